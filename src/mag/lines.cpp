// Line preprocessing of magnetometer readings. Formulas and defaults: docs/mag_lines.md.
#include "sapper/mag/lines.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numbers>
#include <numeric>
#include <set>

#include "sapper/core/error.hpp"
#include "sapper/core/median.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/mag/source.hpp"

namespace sapper::mag {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMadToSigma = 1.4826;  // sigma of a Gaussian = 1.4826 MAD
constexpr double kHuberC = 1.345;       // 95% efficiency at the Gaussian
constexpr double kTukeyC = 4.685;       // likewise for the biweight
constexpr double kDeg = 180.0 / std::numbers::pi;
constexpr double kLagMinDirectionFraction = 1.0 / 3;  // dipole lag: weaker direction's peak / min_anomaly_nt
constexpr double kLagMaxRelativeResidual = 0.05;  // dipole lag: residual / data sum of squares at the best lag

double median_of(std::vector<double> v) {
  std::erase_if(v, [](double x) { return !std::isfinite(x); });
  return median_inplace(v.data(), v.size());
}

void check_threads(int threads) { require(threads >= 0, "threads = ", threads, " must be >= 0 (0: all cores)"); }

/// Robust least squares rows phi(i) . c ~ y[i] by iteratively reweighted least squares: Huber
/// weights (c = 1.345 s) to convergence, then Tukey's biweight (c = 4.685 s), which gives gross
/// outliers (anomalies of objects) no weight at all. Scale s: 1.4826 x the median absolute residual,
/// re-estimated each iteration. Serial on purpose: the sums then do not depend on a thread count.
template <class Basis>
Eigen::VectorXd robust_fit(std::span<const double> y, int p, Basis&& basis) {
  const std::size_t n = y.size();
  Eigen::VectorXd c = Eigen::VectorXd::Zero(p), phi(p);
  std::vector<double> w(n, 1.0), res(n), scratch(n);
  bool tukey = false;
  for (int iter = 0; iter < 100; ++iter) {
    Eigen::MatrixXd ata = Eigen::MatrixXd::Zero(p, p);
    Eigen::VectorXd aty = Eigen::VectorXd::Zero(p);
    for (std::size_t i = 0; i < n; ++i) {
      if (w[i] == 0) continue;
      basis(i, phi);
      ata.selfadjointView<Eigen::Lower>().rankUpdate(phi, w[i]);
      aty += w[i] * y[i] * phi;
    }
    const Eigen::VectorXd next = ata.selfadjointView<Eigen::Lower>().ldlt().solve(aty);
    if (!next.allFinite()) break;  // too few points kept: stay with the last fit
    const double change = (next - c).cwiseAbs().maxCoeff();
    c = next;
    for (std::size_t i = 0; i < n; ++i) {
      basis(i, phi);
      res[i] = y[i] - phi.dot(c);
      scratch[i] = std::abs(res[i]);
    }
    const double s = kMadToSigma * median_inplace(scratch.data(), n);
    if (!(s > 0)) break;  // an exact fit of at least half the points
    const bool converged = iter > 0 && change <= 1e-9 * (1 + c.cwiseAbs().maxCoeff());
    if (converged && tukey) break;
    if (converged) tukey = true;
    for (std::size_t i = 0; i < n; ++i) {
      const double a = std::abs(res[i]);
      if (!tukey) {
        w[i] = a <= kHuberC * s ? 1.0 : kHuberC * s / a;
      } else {
        const double u = a / (kTukeyC * s);
        w[i] = u < 1 ? (1 - u * u) * (1 - u * u) : 0.0;
      }
    }
  }
  return c;
}

/// Nearest-neighbour search among points on a uniform hash grid of cell `radius`.
class NeighbourGrid {
 public:
  NeighbourGrid(const Readings& r, std::vector<Index> members, double radius) : r_(r), radius_(radius) {
    x0_ = y0_ = std::numeric_limits<double>::infinity();
    for (Index i : members) x0_ = std::min(x0_, r.x_m[i]), y0_ = std::min(y0_, r.y_m[i]);
    keyed_.reserve(members.size());
    for (Index i : members) keyed_.push_back({key(r.x_m[i], r.y_m[i]), i});
    std::sort(keyed_.begin(), keyed_.end());
  }
  /// The nearest member to (x, y) within the radius, or -1.
  Index nearest(double x, double y) const {
    if (keyed_.empty()) return -1;
    const std::int64_t cx = cell(x, x0_), cy = cell(y, y0_);
    Index best = -1;
    double best_d2 = radius_ * radius_;
    for (std::int64_t dx = -1; dx <= 1; ++dx)
      for (std::int64_t dy = -1; dy <= 1; ++dy) {
        if (cx + dx < 0 || cy + dy < 0) continue;
        const std::int64_t k = pack(cx + dx, cy + dy);
        auto it = std::lower_bound(keyed_.begin(), keyed_.end(), std::pair<std::int64_t, Index>{k, -1});
        for (; it != keyed_.end() && it->first == k; ++it) {
          const double ex = r_.x_m[it->second] - x, ey = r_.y_m[it->second] - y, d2 = ex * ex + ey * ey;
          if (d2 <= best_d2) best_d2 = d2, best = it->second;
        }
      }
    return best;
  }

 private:
  std::int64_t cell(double v, double v0) const {
    const double c = std::floor((v - v0) / radius_);
    return c < 0 ? -1 : std::int64_t(std::min(c, 1e9));
  }
  static std::int64_t pack(std::int64_t cx, std::int64_t cy) { return (cx << 31) | cy; }
  std::int64_t key(double x, double y) const { return pack(cell(x, x0_), cell(y, y0_)); }
  const Readings& r_;
  double radius_, x0_, y0_;
  std::vector<std::pair<std::int64_t, Index>> keyed_;
};

/// Cubic Hermite interpolation at s in [x[j-1], x[j]] with Catmull-Rom slopes (one-sided at the
/// ends): anomalies a few samples wide are interpolated far better than linearly, which matters
/// because linear interpolation errors repeat with the sample spacing and pull lag estimates
/// towards lags where the two tracks' samples coincide.
double hermite(const double* x, const double* v, std::size_t n, std::size_t j, double s) {
  const double h = x[j] - x[j - 1];
  if (!(h > 0)) return v[j - 1];
  const auto slope = [&](std::size_t i) {
    const std::size_t a = i > 0 ? i - 1 : i, b = i + 1 < n ? i + 1 : i;
    return x[b] > x[a] ? (v[b] - v[a]) / (x[b] - x[a]) : 0.0;
  };
  const double t = (s - x[j - 1]) / h, t2 = t * t, t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * v[j - 1] + (t3 - 2 * t2 + t) * h * slope(j - 1) + (-2 * t3 + 3 * t2) * v[j] +
         (t3 - t2) * h * slope(j);
}

/// Median of the finite values of each track.
std::vector<double> track_medians(const Readings& r, const Tracks& t) {
  std::vector<double> med(std::size_t(t.count())), buf;
  for (Index k = 0; k < t.count(); ++k) {
    buf.clear();
    for (Index j = t.start[k]; j < t.start[k + 1]; ++j)
      if (std::isfinite(r.value_nt[t.order[j]])) buf.push_back(r.value_nt[t.order[j]]);
    med[k] = median_inplace(buf.data(), buf.size());
  }
  return med;
}

/// Per line: median - median of the line medians (lines without a finite value: 0).
void median_offsets(const Readings& r, std::vector<std::int32_t>& line, std::vector<double>& offset,
                    std::vector<double>& per_reading, double& level) {
  const Tracks t = make_tracks(r, false);
  const auto med = track_medians(r, t);
  level = median_of(med);
  line = t.line;
  offset.assign(std::size_t(t.count()), 0.0);
  per_reading.assign(std::size_t(r.size()), 0.0);
  for (Index k = 0; k < t.count(); ++k) {
    if (std::isfinite(med[k])) offset[k] = med[k] - level;
    for (Index j = t.start[k]; j < t.start[k + 1]; ++j) per_reading[t.order[j]] = offset[k];
  }
}

std::map<std::int32_t, Index> dense_ids(const std::vector<std::int32_t>& ids) {
  std::map<std::int32_t, Index> m;
  for (auto v : ids) m.emplace(v, 0);
  Index k = 0;
  for (auto& [id, idx] : m) idx = k++;
  return m;
}

}  // namespace

void Readings::validate() const {
  const std::size_t n = time_s.size();
  const auto same = [n](std::size_t m, const char* name) {
    require(m == n, "readings: ", name, " has length ", m, "; time_s has ", n, " (they must be equal)");
  };
  same(x_m.size(), "x_m"), same(y_m.size(), "y_m"), same(line.size(), "line"), same(sensor.size(), "sensor");
  same(value_nt.size(), "value_nt");
  for (std::size_t i = 0; i < n; ++i) {
    require(std::isfinite(time_s[i]), "readings: time_s[", i, "] = ", time_s[i], " is not finite");
    require(std::isfinite(x_m[i]) && std::isfinite(y_m[i]), "readings: position [", i, "] = (", x_m[i], ", ", y_m[i],
            ") is not finite");
    require(!std::isinf(value_nt[i]), "readings: value_nt[", i, "] = ", value_nt[i], " is infinite (NaN marks a missing value)");
  }
}

Readings readings_from_survey(const sim::MagSurvey& s) {
  Readings r;
  r.time_s = s.time_s, r.x_m = s.x_m, r.y_m = s.y_m, r.line = s.line, r.sensor = s.sensor;
  r.value_nt = s.total_field_nt;
  r.validate();
  return r;
}

Readings readings_from_line_data(const io::MagLineData& d, const std::string& line_column) {
  const auto it = d.extra.find(line_column);
  if (it == d.extra.end()) {
    std::string have;
    for (const auto& [k, v] : d.extra) have += (have.empty() ? "" : ", ") + k;
    throw ValueError(detail::concat("line data has no extra column '", line_column, "' (it has: ",
                                    have.empty() ? "none" : have, ")"));
  }
  const auto& line = it->second;
  const std::size_t n = d.size();
  require(line.size() == n && d.x_m.size() == n && d.y_m.size() == n && d.valid.size() == n,
          "line data columns have unequal lengths (time_s has ", n, ")");
  for (std::size_t k = 0; k < d.sensors_nt.size(); ++k)
    require(d.sensors_nt[k].size() == n, "line data: sensor ", k, " has ", d.sensors_nt[k].size(), " rows; time_s has ", n);
  Readings r;
  for (std::size_t i = 0; i < n; ++i) {
    if (!d.valid[i] || !std::isfinite(line[i]) || !std::isfinite(d.time_s[i]) || !std::isfinite(d.x_m[i]) ||
        !std::isfinite(d.y_m[i]))
      continue;
    require(std::abs(line[i]) < 2e9, "line data: ", line_column, "[", i, "] = ", line[i], " is not a line number");
    for (std::size_t k = 0; k < d.sensors_nt.size(); ++k) {
      r.time_s.push_back(d.time_s[i]), r.x_m.push_back(d.x_m[i]), r.y_m.push_back(d.y_m[i]);
      r.line.push_back(std::int32_t(std::lround(line[i]))), r.sensor.push_back(std::int32_t(k));
      const double v = d.sensors_nt[k][i];
      r.value_nt.push_back(std::isfinite(v) ? v : kNaN);
    }
  }
  return r;
}

Tracks make_tracks(const Readings& r, bool by_sensor) {
  r.validate();
  Tracks t;
  t.order.resize(std::size_t(r.size()));
  std::iota(t.order.begin(), t.order.end(), Index{0});
  // std::sort with the index as the last key is a stable sort (GCC 12's stable_sort buffer trips
  // ASan's new/free check)
  std::sort(t.order.begin(), t.order.end(), [&](Index a, Index b) {
    if (r.line[a] != r.line[b]) return r.line[a] < r.line[b];
    if (by_sensor && r.sensor[a] != r.sensor[b]) return r.sensor[a] < r.sensor[b];
    if (r.time_s[a] != r.time_s[b]) return r.time_s[a] < r.time_s[b];
    return a < b;
  });
  for (Index j = 0; j < r.size(); ++j) {
    const Index i = t.order[j];
    if (j == 0 || r.line[i] != t.line.back() || (by_sensor && r.sensor[i] != t.sensor.back())) {
      t.start.push_back(j), t.line.push_back(r.line[i]), t.sensor.push_back(by_sensor ? r.sensor[i] : -1);
    }
  }
  t.start.push_back(r.size());
  return t;
}

LineGeometry line_geometry(const Readings& r) {
  const Tracks t = make_tracks(r, false);
  LineGeometry g;
  g.line = t.line;
  const auto nl = std::size_t(t.count());
  std::vector<double> dx(nl), dy(nl);
  double c2 = 0, s2 = 0;
  for (Index k = 0; k < t.count(); ++k) {
    // start-to-end vector: mean of the last 10% of readings - mean of the first 10% (jitter averages out)
    const Index b = t.start[k], m = t.start[k + 1] - b, q = std::max<Index>(1, m / 10);
    double ax = 0, ay = 0, bx = 0, by = 0;
    for (Index j = 0; j < q; ++j) {
      ax += r.x_m[t.order[b + j]], ay += r.y_m[t.order[b + j]];
      bx += r.x_m[t.order[b + m - 1 - j]], by += r.y_m[t.order[b + m - 1 - j]];
    }
    dx[k] = (bx - ax) / double(q), dy[k] = (by - ay) / double(q);
    const double len = std::hypot(dx[k], dy[k]), phi = std::atan2(dy[k], dx[k]);
    c2 += len * std::cos(2 * phi), s2 += len * std::sin(2 * phi);
  }
  const double axis = 0.5 * std::atan2(s2, c2);
  double ux = std::cos(axis), uy = std::sin(axis);
  if (std::abs(uy) >= std::abs(ux) ? uy < 0 : ux < 0) ux = -ux, uy = -uy;
  g.axis_deg = std::fmod(std::atan2(ux, uy) * kDeg + 360.0, 360.0);
  g.direction.resize(nl), g.heading_deg.resize(nl), g.cross_m.resize(nl);
  g.reading_direction.assign(std::size_t(r.size()), 1);
  std::vector<double> buf;
  for (Index k = 0; k < t.count(); ++k) {
    g.direction[k] = dx[k] * ux + dy[k] * uy >= 0 ? 1 : -1;
    g.heading_deg[k] = std::fmod(std::atan2(dx[k], dy[k]) * kDeg + 360.0, 360.0);
    buf.clear();
    for (Index j = t.start[k]; j < t.start[k + 1]; ++j) {
      const Index i = t.order[j];
      buf.push_back(r.x_m[i] * uy - r.y_m[i] * ux);  // the axis rotated 90 deg clockwise: (uy, -ux)
      g.reading_direction[i] = g.direction[k];
    }
    g.cross_m[k] = median_inplace(buf.data(), buf.size());
  }
  return g;
}

Velocity track_velocity(const Readings& r, Index half_window) {
  require(half_window >= 1, "velocity half_window = ", half_window, " must be >= 1 sample");
  const Tracks t = make_tracks(r, true);
  Velocity v;
  v.vx.assign(std::size_t(r.size()), 0.0), v.vy.assign(std::size_t(r.size()), 0.0);
  for (Index k = 0; k < t.count(); ++k) {
    const Index b = t.start[k], m = t.start[k + 1] - b;
    for (Index j = 0; j < m; ++j) {
      const Index lo = t.order[b + std::max<Index>(0, j - half_window)];
      const Index hi = t.order[b + std::min<Index>(m - 1, j + half_window)];
      const double dt = r.time_s[hi] - r.time_s[lo];
      if (dt > 0) {
        v.vx[t.order[b + j]] = (r.x_m[hi] - r.x_m[lo]) / dt;
        v.vy[t.order[b + j]] = (r.y_m[hi] - r.y_m[lo]) / dt;
      }
    }
  }
  return v;
}

Synced interpolate_series(std::span<const double> st, std::span<const double> sv, std::span<const double> t,
                          double offset_s, double max_gap_s, int threads) {
  check_threads(threads);
  require(st.size() == sv.size(), "series: time has ", st.size(), " samples and values ", sv.size(), " (must be equal)");
  require(st.size() >= 2, "series has ", st.size(), " samples; at least 2 are needed");
  require(std::isfinite(offset_s), "clock offset_s = ", offset_s, " is not finite");
  require(std::isfinite(max_gap_s), "max_gap_s = ", max_gap_s, " is not finite");
  for (std::size_t i = 0; i < st.size(); ++i) {
    require(std::isfinite(st[i]), "series time[", i, "] = ", st[i], " is not finite");
    require(i == 0 || st[i] > st[i - 1], "series time[", i, "] = ", st[i], " is not after time[", i - 1, "] = ", st[i - 1]);
    require(!std::isinf(sv[i]), "series value[", i, "] = ", sv[i], " is infinite (NaN marks a missing value)");
  }
  for (std::size_t i = 0; i < t.size(); ++i) require(std::isfinite(t[i]), "reading time[", i, "] = ", t[i], " is not finite");
  Synced out;
  if (max_gap_s <= 0) {
    std::vector<double> d(st.size() - 1);
    for (std::size_t i = 1; i < st.size(); ++i) d[i - 1] = st[i] - st[i - 1];
    max_gap_s = 5 * median_inplace(d.data(), d.size());
  }
  out.max_gap_s = max_gap_s;
  std::vector<double> tv, vv;  // the valid samples, on the readings' clock
  for (std::size_t i = 0; i < st.size(); ++i)
    if (!std::isnan(sv[i])) tv.push_back(st[i] + offset_s), vv.push_back(sv[i]);
  out.value.assign(t.size(), kNaN), out.gap.assign(t.size(), 1);
  if (!tv.empty()) {
    parallel_for(Index(t.size()), threads, [&](Index b, Index e) {
      for (Index i = b; i < e; ++i) {
        const double x = t[i];
        if (x < tv.front() || x > tv.back()) continue;
        const auto j = std::size_t(std::upper_bound(tv.begin(), tv.end(), x) - tv.begin());
        if (j == tv.size()) {  // x == the last sample
          out.value[i] = vv.back(), out.gap[i] = 0;
          continue;
        }
        const double t0 = tv[j - 1], t1 = tv[j];
        if (t1 - t0 > max_gap_s) continue;
        out.value[i] = vv[j - 1] + (vv[j] - vv[j - 1]) * (x - t0) / (t1 - t0);
        out.gap[i] = 0;
      }
    }, 4096);
  }
  out.gaps = Index(std::count(out.gap.begin(), out.gap.end(), std::uint8_t{1}));
  return out;
}

Diurnal diurnal_base(const Readings& r, std::span<const double> base_t, std::span<const double> base_v, double offset_s,
                     double max_gap_s, double reference_nt, int threads) {
  r.validate();
  require(!std::isinf(reference_nt), "reference_nt = ", reference_nt, " must be finite (NaN: the base median)");
  Synced s = interpolate_series(base_t, base_v, r.time_s, offset_s, max_gap_s, threads);
  Diurnal d;
  d.reference_nt = std::isnan(reference_nt) ? median_of({base_v.begin(), base_v.end()}) : reference_nt;
  require(std::isfinite(d.reference_nt), "the base station has no finite value");
  d.readings = r;
  d.correction_nt.resize(std::size_t(r.size()));
  for (Index i = 0; i < r.size(); ++i) {
    d.correction_nt[i] = s.value[i] - d.reference_nt;
    d.readings.value_nt[i] -= d.correction_nt[i];
  }
  d.gap = std::move(s.gap), d.gaps = s.gaps;
  return d;
}

Diurnal diurnal_line_median(const Readings& r) {
  Diurnal d;
  std::vector<std::int32_t> lines;
  std::vector<double> offsets;
  median_offsets(r, lines, offsets, d.correction_nt, d.reference_nt);
  d.readings = r;
  for (Index i = 0; i < r.size(); ++i) d.readings.value_nt[i] -= d.correction_nt[i];
  d.gap.assign(std::size_t(r.size()), 0);
  return d;
}

Diurnal diurnal_trend(const Readings& r, int order) {
  r.validate();
  require(order >= 0 && order <= 5, "trend order = ", order, " must be in 0-5");
  std::vector<double> tt, yy;
  for (Index i = 0; i < r.size(); ++i)
    if (std::isfinite(r.value_nt[i])) tt.push_back(r.time_s[i]), yy.push_back(r.value_nt[i]);
  require(Index(yy.size()) > order, "the trend of order ", order, " needs more than ", order, " finite values; there are ",
          yy.size());
  const auto [lo, hi] = std::minmax_element(tt.begin(), tt.end());
  const double tc = 0.5 * (*lo + *hi), ts = *hi > *lo ? 0.5 * (*hi - *lo) : 1.0;
  const auto powers = [&](double t, Eigen::VectorXd& phi) {
    const double u = (t - tc) / ts;
    phi[0] = 1;
    for (int k = 1; k <= order; ++k) phi[k] = phi[k - 1] * u;
  };
  const Eigen::VectorXd c = robust_fit(yy, order + 1, [&](std::size_t i, Eigen::VectorXd& phi) { powers(tt[i], phi); });
  Diurnal d;
  d.readings = r;
  d.correction_nt.resize(std::size_t(r.size()));
  Eigen::VectorXd phi(order + 1);
  for (Index i = 0; i < r.size(); ++i) powers(r.time_s[i], phi), d.correction_nt[i] = phi.dot(c);
  d.reference_nt = median_of(d.correction_nt);
  for (Index i = 0; i < r.size(); ++i) {
    d.correction_nt[i] -= d.reference_nt;
    d.readings.value_nt[i] -= d.correction_nt[i];
  }
  d.gap.assign(std::size_t(r.size()), 0);
  return d;
}

Despiked despike_hampel(const Readings& r, const HampelOptions& o, int threads) {
  check_threads(threads);
  require(o.half_window >= 1 && o.half_window <= 10000, "Hampel half_window = ", o.half_window, " must be in 1-10000 samples");
  require(std::isfinite(o.k) && o.k > 0, "Hampel k = ", o.k, " must be positive");
  require(std::isfinite(o.min_deviation_nt) && o.min_deviation_nt >= 0, "Hampel min_deviation_nt = ", o.min_deviation_nt,
          " must be >= 0");
  const Tracks t = make_tracks(r, true);
  Despiked d;
  d.readings = r;
  d.spike.assign(std::size_t(r.size()), 0);
  parallel_for(t.count(), threads, [&](Index kb, Index ke) {
    std::vector<double> win(std::size_t(2 * o.half_window + 1)), dev(win.size());  // per chunk, not per sample
    for (Index k = kb; k < ke; ++k) {
      const Index b = t.start[k], m = t.start[k + 1] - b;
      for (Index j = 0; j < m; ++j) {
        const Index i = t.order[b + j];
        const double x = r.value_nt[i];
        if (std::isnan(x)) continue;
        std::size_t n = 0;
        for (Index q = std::max<Index>(0, j - o.half_window); q <= std::min<Index>(m - 1, j + o.half_window); ++q) {
          const double v = r.value_nt[t.order[b + q]];
          if (!std::isnan(v)) win[n++] = v;
        }
        const double med = median_inplace(win.data(), n);
        for (std::size_t q = 0; q < n; ++q) dev[q] = std::abs(win[q] - med);
        const double mad = median_inplace(dev.data(), n);
        if (std::abs(x - med) > std::max(o.k * kMadToSigma * mad, o.min_deviation_nt)) {
          d.spike[i] = 1;
          d.readings.value_nt[i] = o.replace ? med : kNaN;
        }
      }
    }
  }, 1);
  d.spikes = Index(std::count(d.spike.begin(), d.spike.end(), std::uint8_t{1}));
  return d;
}

namespace {

void check_lag_options(const LagOptions& o, int threads) {
  check_threads(threads);
  require(std::isfinite(o.max_lag_s) && o.max_lag_s > 0 && o.max_lag_s <= 100, "max_lag_s = ", o.max_lag_s,
          " must be in (0, 100] s");
  require(std::isfinite(o.step_s) && o.step_s > 0 && o.max_lag_s / o.step_s <= 10000, "lag step_s = ", o.step_s,
          " must be positive and at most 10,000 steps per max_lag_s");
  require(std::isfinite(o.max_separation_m) && o.max_separation_m > 0, "max_separation_m = ", o.max_separation_m,
          " must be positive");
  require(std::isfinite(o.neighbour_separation_m) && o.neighbour_separation_m >= 0, "neighbour_separation_m = ",
          o.neighbour_separation_m, " must be >= 0 (0 = no neighbouring pairs)");
  require(o.method == LagMethod::profiles || o.method == LagMethod::dipoles, "lag method = ", int(o.method),
          " is not a LagMethod");
  require(std::isfinite(o.min_anomaly_nt) && o.min_anomaly_nt > 0, "min_anomaly_nt = ", o.min_anomaly_nt,
          " must be positive, nT");
  require(std::isfinite(o.radius_m) && o.radius_m >= 0, "lag radius_m = ", o.radius_m, " must be >= 0 m (0: automatic)");
  require(o.max_anomalies >= 1, "max_anomalies = ", o.max_anomalies, " must be >= 1");
  require(std::isfinite(o.sensor_height_m) && o.sensor_height_m > 0, "sensor_height_m = ", o.sensor_height_m,
          " must be positive, m");
  (void)field_direction(o.field);  // throws on a bad field
}

/// Vertex of the parabola through the grid minimum and its neighbours (the minimum itself at an
/// end or without a curvature). best: index of the minimum of finite misfit values, or -1.
double refine_minimum(const std::vector<double>& lags, const std::vector<double>& misfit, Index& best, double step) {
  const Index nk = Index(misfit.size());
  best = -1;
  for (Index k = 0; k < nk; ++k)
    if (std::isfinite(misfit[k]) && (best < 0 || misfit[k] < misfit[best])) best = k;
  if (best < 0) return kNaN;
  double lag = lags[best];
  if (best > 0 && best < nk - 1 && std::isfinite(misfit[best - 1]) && std::isfinite(misfit[best + 1])) {
    const double a = misfit[best - 1], b = misfit[best], c = misfit[best + 1], den = a - 2 * b + c;
    if (den > 0) lag += 0.5 * (a - c) / den * step;
  }
  return lag;
}

}  // namespace

LagEstimate estimate_lag(const Readings& r, const LagOptions& o, int threads) {
  check_lag_options(o, threads);
  if (o.method == LagMethod::dipoles) return estimate_lag_dipoles(r, o, threads);
  const LineGeometry g = line_geometry(r);
  const Velocity vel = track_velocity(r, o.velocity_half_window);
  const double ux = std::sin(g.axis_deg / kDeg), uy = std::cos(g.axis_deg / kDeg);
  // Each (line, sensor) track: its finite readings with position and velocity along the axis, sorted by position.
  struct Track {
    int dir;
    double cross;
    std::vector<double> s, v, val;
  };
  const Tracks t = make_tracks(r, true);
  const auto line_index = dense_ids(g.line);
  std::vector<Track> tr(static_cast<std::size_t>(t.count()));
  std::vector<double> buf;
  for (Index k = 0; k < t.count(); ++k) {
    Track& a = tr[k];
    a.dir = g.direction[line_index.at(t.line[k])];
    std::vector<std::pair<double, Index>> sorted;
    buf.clear();
    for (Index j = t.start[k]; j < t.start[k + 1]; ++j) {
      const Index i = t.order[j];
      buf.push_back(r.x_m[i] * uy - r.y_m[i] * ux);
      if (std::isfinite(r.value_nt[i])) sorted.push_back({r.x_m[i] * ux + r.y_m[i] * uy, i});
    }
    a.cross = median_inplace(buf.data(), buf.size());
    std::sort(sorted.begin(), sorted.end());
    for (auto [s, i] : sorted)
      a.s.push_back(s), a.v.push_back(vel.vx[i] * ux + vel.vy[i] * uy), a.val.push_back(r.value_nt[i]);
  }
  std::vector<std::pair<Index, Index>> pairs;  // (forward, back)
  std::size_t longest = 0;
  for (std::size_t a = 0; a < tr.size(); ++a) {
    longest = std::max(longest, tr[a].s.size());
    if (tr[a].dir < 0 || tr[a].s.size() < 3) continue;
    for (std::size_t b = 0; b < tr.size(); ++b)
      if (tr[b].dir < 0 && tr[b].s.size() >= 3 && std::abs(tr[a].cross - tr[b].cross) <= o.max_separation_m)
        pairs.push_back({Index(a), Index(b)});
  }
  LagEstimate e;
  if (pairs.empty() && o.neighbour_separation_m > 0) {
    // no track retraces another: every forward track with the nearest back track on each side
    // (the neighbouring line's). Their profiles see each source from across; its anomaly peaks at
    // the same along-track position on both (a symmetric bias only), and the regression absorbs
    // the amplitude ratio.
    for (std::size_t a = 0; a < tr.size(); ++a) {
      if (tr[a].dir < 0 || tr[a].s.size() < 3) continue;
      Index side[2] = {-1, -1};
      for (std::size_t b = 0; b < tr.size(); ++b) {
        const double d = tr[b].cross - tr[a].cross;
        if (tr[b].dir > 0 || tr[b].s.size() < 3 || std::abs(d) > o.neighbour_separation_m) continue;
        Index& k = side[d > 0];
        if (k < 0 || std::abs(d) < std::abs(tr[k].cross - tr[a].cross)) k = Index(b);
      }
      for (Index k : side)
        if (k >= 0) pairs.push_back({Index(a), k});
    }
    e.neighbours = !pairs.empty();
  }
  e.pairs = Index(pairs.size());
  if (pairs.empty()) return e;
  const Index half = Index(std::floor(o.max_lag_s / o.step_s + 1e-9)), nk = 2 * half + 1;
  e.lags_s.resize(std::size_t(nk)), e.misfit.assign(std::size_t(nk), kNaN);
  std::vector<Index> points(std::size_t(nk), 0);
  parallel_for(nk, threads, [&](Index kb, Index ke) {
    std::vector<double> bs(longest), bv(longest);
    for (Index k = kb; k < ke; ++k) {
      const double lag = double(k - half) * o.step_s;
      e.lags_s[k] = lag;
      double ssr = 0;
      Index count = 0;
      for (auto [ai, bi] : pairs) {
        const Track &A = tr[ai], &B = tr[bi];
        const std::size_t nb = B.s.size();
        // B's moved positions stay nearly sorted (velocity ~ constant): insertion sort is ~linear
        for (std::size_t q = 0; q < nb; ++q) bs[q] = B.s[q] + lag * B.v[q], bv[q] = B.val[q];
        for (std::size_t q = 1; q < nb; ++q)
          for (std::size_t p = q; p > 0 && bs[p - 1] > bs[p]; --p) std::swap(bs[p - 1], bs[p]), std::swap(bv[p - 1], bv[p]);
        // A and B(s), each less its straight line in s (levels and slow drifts differ), fitted by
        // orthogonal regression A ~ beta B: the residual (the smaller eigenvalue of their 2 x 2
        // covariance) ignores amplitude changes between tracks a little apart across and treats
        // the two tracks alike
        Eigen::Matrix4d m = Eigen::Matrix4d::Zero();  // sums of z z^T, z = (1, s, B, A)
        for (std::size_t q = 0; q < A.s.size(); ++q) {
          const double s = A.s[q] + lag * A.v[q];
          if (s < bs[0] || s > bs[nb - 1]) continue;
          std::size_t j = std::size_t(std::upper_bound(bs.begin(), bs.begin() + Index(nb), s) - bs.begin());
          if (j == nb) j = nb - 1;
          const Eigen::Vector4d z(1.0, s - A.s[0], hermite(bs.data(), bv.data(), nb, j, s), A.val[q]);
          m.selfadjointView<Eigen::Lower>().rankUpdate(z);
        }
        const double n = m(0, 0);
        if (n < 5) continue;
        const Eigen::Matrix4d full = m.selfadjointView<Eigen::Lower>();
        const Eigen::Matrix2d xx = full.topLeftCorner<2, 2>();
        const Eigen::Matrix2d xz = full.topRightCorner<2, 2>();
        const Eigen::Matrix2d c = full.bottomRightCorner<2, 2>() - xz.transpose() * xx.ldlt().solve(xz);
        const double tr = c(0, 0) + c(1, 1), det = c(0, 0) * c(1, 1) - c(0, 1) * c(1, 0);
        const double r = 0.5 * (tr - std::sqrt(std::max(tr * tr - 4 * det, 0.0)));
        if (std::isfinite(r)) ssr += std::max(r, 0.0), count += Index(n);
      }
      e.misfit[k] = count > 0 ? ssr / double(count) : kNaN;
      points[k] = count;
    }
  }, 1);
  Index best = -1;
  e.lag_s = refine_minimum(e.lags_s, e.misfit, best, o.step_s);
  if (best >= 0) e.points = points[best];
  return e;
}

LagEstimate estimate_lag_dipoles(const Readings& r, const LagOptions& o, int threads) {
  check_lag_options(o, threads);
  const LineGeometry g = line_geometry(r);
  const Velocity vel = track_velocity(r, o.velocity_half_window);
  // levels (diurnal, heading error) differ between tracks: each loses its median
  const Tracks t = make_tracks(r, true);
  const auto med = track_medians(r, t);
  std::vector<double> lev(std::size_t(r.size()), kNaN);
  for (Index k = 0; k < t.count(); ++k)
    for (Index j = t.start[k]; j < t.start[k + 1]; ++j) lev[t.order[j]] = r.value_nt[t.order[j]] - med[k];
  // anomalies: the strongest readings at least 2 radius_m from a stronger one, with readings of
  // both directions within radius_m (their windows do not overlap)
  std::vector<Index> strong;
  for (Index i = 0; i < r.size(); ++i)
    if (std::abs(lev[i]) >= o.min_anomaly_nt) strong.push_back(i);  // NaN compares false
  std::sort(strong.begin(), strong.end(), [&](Index a, Index b) {
    return std::abs(lev[a]) != std::abs(lev[b]) ? std::abs(lev[a]) > std::abs(lev[b]) : a < b;
  });
  // radius 0: 1 m, or 1.5 track spacings where tracks are farther apart (a window must hold
  // readings of both directions)
  double radius = o.radius_m;
  if (radius == 0) {
    const double ux = std::sin(g.axis_deg / kDeg), uy = std::cos(g.axis_deg / kDeg);
    std::vector<double> cross, buf;
    for (Index k = 0; k < t.count(); ++k) {
      buf.clear();
      for (Index j = t.start[k]; j < t.start[k + 1]; ++j) buf.push_back(r.x_m[t.order[j]] * uy - r.y_m[t.order[j]] * ux);
      cross.push_back(median_inplace(buf.data(), buf.size()));
    }
    std::sort(cross.begin(), cross.end());
    std::vector<double> gaps;
    for (std::size_t k = 1; k < cross.size(); ++k)
      if (cross[k] - cross[k - 1] > 0.01) gaps.push_back(cross[k] - cross[k - 1]);
    radius = gaps.empty() ? 1.0 : std::max(1.0, 1.5 * median_inplace(gaps.data(), gaps.size()));
  }
  LagEstimate e;
  e.radius_m = radius;
  std::vector<Index> peaks;
  std::vector<std::vector<Index>> windows;
  const double r2 = radius * radius;
  for (Index i : strong) {
    if (Index(windows.size()) >= o.max_anomalies) break;
    bool near = false;
    for (Index p : peaks) near = near || std::hypot(r.x_m[i] - r.x_m[p], r.y_m[i] - r.y_m[p]) < 2 * radius;
    if (near) continue;
    peaks.push_back(i);
    std::vector<Index> w;
    Index count[2] = {0, 0};
    double peak[2] = {0, 0};
    for (Index j = 0; j < r.size(); ++j) {
      const double dx = r.x_m[j] - r.x_m[i], dy = r.y_m[j] - r.y_m[i];
      if (std::isfinite(lev[j]) && dx * dx + dy * dy <= r2) {
        w.push_back(j);
        const int d = g.reading_direction[j] > 0;
        count[d] += 1, peak[d] = std::max(peak[d], std::abs(lev[j]));
      }
    }
    // the lag shows as the shift between the two directions' views: both must see the anomaly
    // (a source under a line 1 m from every opposite track is seen by one direction only)
    if (count[0] >= 8 && count[1] >= 8 && std::min(peak[0], peak[1]) >= kLagMinDirectionFraction * o.min_anomaly_nt)
      windows.push_back(std::move(w));
  }
  e.anomalies = Index(windows.size());
  if (windows.empty()) return e;
  const Index half = Index(std::floor(o.max_lag_s / o.step_s + 1e-9)), nk = 2 * half + 1;
  e.lags_s.resize(std::size_t(nk));
  for (Index k = 0; k < nk; ++k) e.lags_s[k] = double(k - half) * o.step_s;
  DipoleFitOptions fo;
  fo.field = o.field, fo.ground_z = 0;
  // per anomaly and trial lag: residual sum of squares / data sum of squares
  const Index na = e.anomalies;
  std::vector<double> rel(std::size_t(na * nk), kNaN);
  std::vector<double> ssum(std::size_t(na), 0.0);
  parallel_for(na, threads, [&](Index ab, Index ae) {
    std::vector<double> x, y, z, v;
    for (Index a = ab; a < ae; ++a) {
      const auto& w = windows[a];
      const std::size_t n = w.size();
      x.resize(n), y.resize(n), z.assign(n, o.sensor_height_m), v.resize(n);
      double ss = 0;
      for (std::size_t q = 0; q < n; ++q) v[q] = lev[w[q]], ss += v[q] * v[q];
      ssum[a] = ss;
      const auto move = [&](double lag) {
        for (std::size_t q = 0; q < n; ++q) x[q] = r.x_m[w[q]] + lag * vel.vx[w[q]], y[q] = r.y_m[w[q]] + lag * vel.vy[w[q]];
      };
      // every trial starts where the fit without lag ended: no trial depends on another
      move(0);
      DipoleFitOptions f0 = fo;
      const DipoleFit start = fit_dipole({x, y, z}, v, f0);
      f0.start_xy = {start.x, start.y}, f0.start_depths = {start.depth};
      for (Index k = 0; k < nk; ++k) {
        move(e.lags_s[k]);
        const DipoleFit f = fit_dipole({x, y, z}, v, f0);
        rel[std::size_t(a * nk + k)] = double(n) * f.rms_nt * f.rms_nt / ss;
      }
    }
  }, 1);
  // anomalies the dipole does not explain at any lag (two sources, a window clipped by the
  // survey's edge) or whose best lag is at the end of the search are dropped; the rest make one
  // least-squares problem (the lag shared): the misfit is their summed residual / summed data
  std::vector<Index> used;
  double ss_used = 0;
  for (Index a = 0; a < na; ++a) {
    const auto first = rel.begin() + a * nk, lowest = std::min_element(first, first + nk);
    const bool inside = lowest != first && lowest != first + nk - 1;
    if (*lowest > 0 && *lowest <= kLagMaxRelativeResidual && inside) used.push_back(a), ss_used += ssum[a];
  }
  e.anomalies = Index(used.size());
  if (used.empty()) return e;
  e.misfit.assign(std::size_t(nk), 0.0);
  for (Index k = 0; k < nk; ++k)
    for (Index a : used) e.misfit[k] += rel[std::size_t(a * nk + k)] * ssum[a] / ss_used;
  Index best = -1;
  e.lag_s = refine_minimum(e.lags_s, e.misfit, best, o.step_s);
  if (best < 0) return e;
  for (Index a : used) {
    const auto& w = windows[a];
    std::vector<double> x, y, z(w.size(), o.sensor_height_m), v;
    for (Index j : w)
      x.push_back(r.x_m[j] + e.lag_s * vel.vx[j]), y.push_back(r.y_m[j] + e.lag_s * vel.vy[j]), v.push_back(lev[j]);
    const DipoleFit f = fit_dipole({x, y, z}, v, fo);
    e.anomaly_x_m.push_back(f.x), e.anomaly_y_m.push_back(f.y);
    e.points += Index(w.size());
  }
  return e;
}

Readings correct_lag(const Readings& r, double lag_s, Index velocity_half_window) {
  require(std::isfinite(lag_s), "lag_s = ", lag_s, " is not finite");
  const Velocity v = track_velocity(r, velocity_half_window);
  Readings out = r;
  for (Index i = 0; i < r.size(); ++i) out.x_m[i] += lag_s * v.vx[i], out.y_m[i] += lag_s * v.vy[i];
  return out;
}

HeadingEstimate estimate_heading(const Readings& r, const HeadingOptions& o) {
  require(std::isfinite(o.radius_m) && o.radius_m > 0, "heading radius_m = ", o.radius_m, " must be positive");
  require(o.min_pairs >= 1, "heading min_pairs = ", o.min_pairs, " must be >= 1");
  const LineGeometry g = line_geometry(r);
  const auto sensors = dense_ids(r.sensor);
  const Index ns = Index(sensors.size());
  HeadingEstimate h;
  for (auto [id, k] : sensors) h.sensor.push_back(id);
  h.offset_nt.assign(std::size_t(ns), 0.0);
  if (o.coincident) {
    std::vector<Index> back;
    for (Index i = 0; i < r.size(); ++i)
      if (g.reading_direction[i] < 0 && std::isfinite(r.value_nt[i])) back.push_back(i);
    const NeighbourGrid grid(r, std::move(back), o.radius_m);
    std::vector<std::vector<double>> diff(static_cast<std::size_t>(ns * ns));
    for (Index i = 0; i < r.size(); ++i) {
      if (g.reading_direction[i] < 0 || !std::isfinite(r.value_nt[i])) continue;
      const Index j = grid.nearest(r.x_m[i], r.y_m[i]);
      if (j < 0) continue;
      diff[std::size_t(sensors.at(r.sensor[i]) * ns + sensors.at(r.sensor[j]))].push_back(r.value_nt[i] - r.value_nt[j]);
      ++h.pairs;
    }
    // h_a + h_b = D(a, b), each row weighted by 1 / var(median) ~ n / (1.4826 MAD)^2
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(ns * ns, ns);
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(ns * ns);
    std::vector<bool> seen(std::size_t(ns), false);
    for (Index p = 0; p < ns * ns; ++p) {
      auto& d = diff[std::size_t(p)];
      if (d.size() < 3) continue;
      const double med = median_inplace(d.data(), d.size());
      for (auto& v : d) v = std::abs(v - med);
      const double sigma = std::max(kMadToSigma * median_inplace(d.data(), d.size()), 1e-6);
      const double w = std::sqrt(double(d.size())) / sigma;
      a(p, p / ns) += w, a(p, p % ns) += w, rhs[p] = w * med;
      seen[std::size_t(p / ns)] = seen[std::size_t(p % ns)] = true;
    }
    if (h.pairs >= o.min_pairs && std::all_of(seen.begin(), seen.end(), [](bool s) { return s; })) {
      const Eigen::VectorXd x = a.completeOrthogonalDecomposition().solve(rhs);
      for (Index k = 0; k < ns; ++k) h.offset_nt[k] = x[k];
      h.method = "coincident";
      return h;
    }
  }
  // line medians per sensor: (median of forward track medians - median of back ones) / 2
  const Tracks t = make_tracks(r, true);
  const auto med = track_medians(r, t);
  const auto line_index = dense_ids(g.line);
  std::vector<std::vector<double>> fwd(static_cast<std::size_t>(ns)), bwd(static_cast<std::size_t>(ns));
  for (Index k = 0; k < t.count(); ++k) {
    if (!std::isfinite(med[k])) continue;
    const auto s = std::size_t(sensors.at(t.sensor[k]));
    (g.direction[line_index.at(t.line[k])] > 0 ? fwd : bwd)[s].push_back(med[k]);
  }
  for (Index k = 0; k < ns; ++k)
    if (!fwd[k].empty() && !bwd[k].empty()) h.offset_nt[k] = 0.5 * (median_of(fwd[k]) - median_of(bwd[k]));
  h.method = "line_medians";
  return h;
}

Readings correct_heading(const Readings& r, const HeadingEstimate& h) {
  require(h.sensor.size() == h.offset_nt.size(), "heading estimate: ", h.sensor.size(), " sensors but ",
          h.offset_nt.size(), " offsets");
  std::map<std::int32_t, double> off;
  for (std::size_t k = 0; k < h.sensor.size(); ++k) {
    require(std::isfinite(h.offset_nt[k]), "heading offset of sensor ", h.sensor[k], " = ", h.offset_nt[k], " is not finite");
    off[h.sensor[k]] = h.offset_nt[k];
  }
  const LineGeometry g = line_geometry(r);
  Readings out = r;
  for (Index i = 0; i < r.size(); ++i) {
    const auto it = off.find(r.sensor[i]);
    if (it != off.end()) out.value_nt[i] -= g.reading_direction[i] * it->second;
  }
  return out;
}

std::array<double, 2> offset_position(double x, double y, double heading_deg, double across_m, double along_m) {
  const double s = std::sin(heading_deg / kDeg), c = std::cos(heading_deg / kDeg);
  return {x + along_m * s + across_m * c, y + along_m * c - across_m * s};
}

Readings apply_sensor_offsets(const Readings& r, std::span<const double> across_m, std::span<const double> along_m,
                              Index half_window) {
  require(across_m.size() == along_m.size(), "sensor offsets: ", across_m.size(), " across and ", along_m.size(),
          " along (must be equal)");
  for (std::size_t k = 0; k < across_m.size(); ++k)
    require(std::isfinite(across_m[k]) && std::isfinite(along_m[k]), "sensor ", k, " offset (", across_m[k], ", ",
            along_m[k], ") is not finite");
  r.validate();
  for (Index i = 0; i < r.size(); ++i)
    require(r.sensor[i] >= 0 && std::size_t(r.sensor[i]) < across_m.size(), "reading ", i, " has sensor ", r.sensor[i],
            "; offsets are given for sensors 0-", Index(across_m.size()) - 1);
  const Velocity v = track_velocity(r, half_window);
  const LineGeometry g = line_geometry(r);
  const auto line_index = dense_ids(g.line);
  Readings out = r;
  for (Index i = 0; i < r.size(); ++i) {
    // standing still (a track of one epoch): the line's heading
    const double hd = (v.vx[i] != 0 || v.vy[i] != 0) ? std::atan2(v.vx[i], v.vy[i]) * kDeg
                                                     : g.heading_deg[line_index.at(r.line[i])];
    const auto p = offset_position(r.x_m[i], r.y_m[i], hd, across_m[r.sensor[i]], along_m[r.sensor[i]]);
    out.x_m[i] = p[0], out.y_m[i] = p[1];
  }
  return out;
}

Levelled level_median(const Readings& r) {
  Levelled l;
  std::vector<double> per;
  double level = 0;
  median_offsets(r, l.line, l.offset_nt, per, level);
  l.readings = r;
  for (Index i = 0; i < r.size(); ++i) l.readings.value_nt[i] -= per[i];
  return l;
}

Levelled level_tie_lines(const Readings& r, std::span<const std::int32_t> tie_lines, double radius_m) {
  require(std::isfinite(radius_m) && radius_m > 0, "tie-line radius_m = ", radius_m, " must be positive");
  require(!tie_lines.empty(), "tie-line levelling needs at least one tie line");
  r.validate();
  const std::set<std::int32_t> ties(tie_lines.begin(), tie_lines.end());
  const auto lines = dense_ids(r.line);
  for (auto id : ties) require(lines.count(id), "tie line ", id, " has no reading");
  const Index nl = Index(lines.size());
  std::vector<Index> tie_members;
  for (Index i = 0; i < r.size(); ++i)
    if (ties.count(r.line[i]) && std::isfinite(r.value_nt[i])) tie_members.push_back(i);
  const NeighbourGrid grid(r, std::move(tie_members), radius_m);
  std::map<std::pair<Index, Index>, std::vector<double>> cross;  // (line, tie) -> differences
  for (Index i = 0; i < r.size(); ++i) {
    if (ties.count(r.line[i]) || !std::isfinite(r.value_nt[i])) continue;
    const Index j = grid.nearest(r.x_m[i], r.y_m[i]);
    if (j >= 0) cross[{lines.at(r.line[i]), lines.at(r.line[j])}].push_back(r.value_nt[i] - r.value_nt[j]);
  }
  // normal equations of sum n (o_L - o_T - D)^2, plus lambda (sum of crossed tie offsets)^2 to fix the level
  Eigen::MatrixXd n = Eigen::MatrixXd::Zero(nl, nl);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(nl), tie = Eigen::VectorXd::Zero(nl);
  Levelled l;
  for (auto& [key, d] : cross) {
    const double w = double(d.size()), dm = median_inplace(d.data(), d.size());
    const auto [L, T] = key;
    n(L, L) += w, n(T, T) += w, n(L, T) -= w, n(T, L) -= w;
    b[L] += w * dm, b[T] -= w * dm;
    tie[T] = 1;
    ++l.crossovers;
  }
  for (Index k = 0; k < nl; ++k)
    if (n(k, k) == 0) n(k, k) = 1;  // a line without crossings keeps its level (offset 0)
  const double lambda = std::max(1.0, n.diagonal().mean());
  n += lambda * tie * tie.transpose();
  const Eigen::VectorXd o = n.completeOrthogonalDecomposition().solve(b);
  l.readings = r;
  for (auto [id, k] : lines) l.line.push_back(id), l.offset_nt.push_back(o[k]);
  for (Index i = 0; i < r.size(); ++i) l.readings.value_nt[i] -= o[lines.at(r.line[i])];
  return l;
}

double PolySurface::operator()(double x, double y) const {
  const double u = (x - cx) / scale, v = (y - cy) / scale;
  double s = 0;
  std::size_t k = 0;
  for (int d = 0; d <= order; ++d)
    for (int i = d; i >= 0; --i) s += coef[k++] * std::pow(u, i) * std::pow(v, d - i);
  return s;
}

std::array<double, 2> PolySurface::gradient(double x, double y) const {
  const double u = (x - cx) / scale, v = (y - cy) / scale;
  double gx = 0, gy = 0;
  std::size_t k = 0;
  for (int d = 0; d <= order; ++d)
    for (int i = d; i >= 0; --i, ++k) {
      const int j = d - i;
      if (i > 0) gx += coef[k] * i * std::pow(u, i - 1) * std::pow(v, j);
      if (j > 0) gy += coef[k] * j * std::pow(u, i) * std::pow(v, j - 1);
    }
  return {gx / scale, gy / scale};
}

PolySurface fit_poly_surface(std::span<const double> x, std::span<const double> y, std::span<const double> v, int order) {
  require(order >= 0 && order <= 3, "surface order = ", order, " must be in 0-3");
  require(x.size() == y.size() && x.size() == v.size(), "surface fit: x, y, v have lengths ", x.size(), ", ", y.size(),
          ", ", v.size(), " (must be equal)");
  std::vector<double> xs, ys, vs;
  for (std::size_t i = 0; i < x.size(); ++i) {
    require(std::isfinite(x[i]) && std::isfinite(y[i]), "surface fit: position [", i, "] is not finite");
    if (std::isfinite(v[i])) xs.push_back(x[i]), ys.push_back(y[i]), vs.push_back(v[i]);
  }
  PolySurface p;
  p.order = order;
  const int terms = (order + 1) * (order + 2) / 2;
  require(Index(vs.size()) >= terms, "a surface of order ", order, " needs at least ", terms,
          " finite values; there are ", vs.size());
  const auto [x0, x1] = std::minmax_element(xs.begin(), xs.end());
  const auto [y0, y1] = std::minmax_element(ys.begin(), ys.end());
  p.cx = 0.5 * (*x0 + *x1), p.cy = 0.5 * (*y0 + *y1);
  p.scale = std::max({0.5 * (*x1 - *x0), 0.5 * (*y1 - *y0), 1e-9});
  const auto basis = [&](std::size_t i, Eigen::VectorXd& phi) {
    const double u = (xs[i] - p.cx) / p.scale, w = (ys[i] - p.cy) / p.scale;
    Index k = 0;
    for (int d = 0; d <= order; ++d)
      for (int a = d; a >= 0; --a) phi[k++] = std::pow(u, a) * std::pow(w, d - a);
  };
  const Eigen::VectorXd c = robust_fit(vs, terms, basis);
  p.coef.assign(c.data(), c.data() + c.size());
  return p;
}

Regional remove_regional(const Readings& r, int order) {
  r.validate();
  Regional g;
  g.surface = fit_poly_surface(r.x_m, r.y_m, r.value_nt, order);
  g.readings = r;
  for (Index i = 0; i < r.size(); ++i) g.readings.value_nt[i] -= g.surface(r.x_m[i], r.y_m[i]);
  return g;
}

Readings remove_main_field(const Readings& r, double field_nt) {
  require(std::isfinite(field_nt), "main field_nt = ", field_nt, " is not finite");
  Readings out = r;
  for (auto& v : out.value_nt) v -= field_nt;
  return out;
}

}  // namespace sapper::mag
