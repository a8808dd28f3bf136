// Dipole fits by variable projection (docs/mag_source.md). The anomaly is modelled as
// dT_i = sum_k g(x_i - p_k) . m_k + b with g the linearised kernel F^.B per unit moment, so for
// given positions p the moments and base are a weighted linear least-squares problem; the
// Levenberg-Marquardt iteration runs over the positions only, with Kaufman's Jacobian of the
// projected residual, J = -P D (D: analytic derivatives of the model w.r.t. the positions).
#include "sapper/mag/source.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <numeric>

#include "sapper/core/error.hpp"
#include "sapper/core/median.hpp"

namespace sapper::mag {

namespace {

constexpr double kC = kMu0Over4Pi * 1e9;  // nT m^3 per A m^2
constexpr double kMad = 1.4826;           // MAD -> sigma for Gaussian noise
constexpr double kHuber = 1.345, kCauchy = 2.385;
constexpr double kDeg = 180 / std::numbers::pi;

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;
using V3 = Eigen::Vector3d;

/// g = F^.B per unit moment at offset r from the dipole (times m: the anomaly).
inline V3 kernel(const V3& r, const V3& u) {
  const double ir2 = 1 / r.squaredNorm(), ir3 = ir2 * std::sqrt(ir2);
  return kC * ir3 * (3 * u.dot(r) * ir2 * r - u);
}

/// d(g.m)/dp (p: dipole position) = -d(g.m)/dr.
inline V3 kernel_grad_p(const V3& r, const V3& u, const V3& m) {
  const double ir2 = 1 / r.squaredNorm(), ir5 = ir2 * ir2 * std::sqrt(ir2);
  const double ur = u.dot(r), mr = m.dot(r), um = u.dot(m);
  return -kC * ir5 * (3 * (mr * u + ur * m) + (3 * um - 15 * ur * mr * ir2) * r);
}

/// Dipole field B (nT) at offset r.
inline V3 field_at(const V3& r, const V3& m) {
  const double ir2 = 1 / r.squaredNorm(), ir3 = ir2 * std::sqrt(ir2);
  return kC * ir3 * (3 * m.dot(r) * ir2 * r - m);
}

double mad_scale(const Vec& e, std::vector<double>& buf) {
  buf.assign(e.data(), e.data() + e.size());
  const double med = median_inplace(buf);
  for (auto& v : buf) v = std::abs(v - med);
  return kMad * median_inplace(buf);
}

void validate(const Points& p, std::span<const double> dt, const DipoleFitOptions& o, Index min_points) {
  const std::size_t n = p.x.size();
  require(p.y.size() == n && p.z.size() == n && dt.size() == n, "x, y, z and dT have lengths ", p.x.size(), ", ",
          p.y.size(), ", ", p.z.size(), " and ", dt.size(), "; they must be equal");
  require(Index(n) >= min_points, "dipole fit needs at least ", min_points, " readings, got ", n);
  field_direction(o.field);
  require(std::isfinite(o.ground_z), "ground_z = ", o.ground_z, " must be finite");
  require(std::isfinite(o.min_depth) && std::isfinite(o.max_depth) && o.min_depth > 0 && o.max_depth > o.min_depth,
          "depth bounds (min_depth, max_depth) = (", o.min_depth, ", ", o.max_depth,
          ") must satisfy 0 < min_depth < max_depth, m");
  require(o.max_iterations >= 1, "max_iterations = ", o.max_iterations, " must be >= 1");
  require(o.max_irls >= 0, "max_irls = ", o.max_irls, " must be >= 0");
  require(std::isfinite(o.xtol) && o.xtol > 0, "xtol = ", o.xtol, " must be positive, m");
  for (double d : o.start_depths)
    require(std::isfinite(d) && d >= o.min_depth && d <= o.max_depth, "start depth ", d, " must be within [",
            o.min_depth, ", ", o.max_depth, "], m");
  require(std::isnan(o.start_xy[0]) == std::isnan(o.start_xy[1]) && !std::isinf(o.start_xy[0]) &&
              !std::isinf(o.start_xy[1]),
          "start_xy = (", o.start_xy[0], ", ", o.start_xy[1], ") must be both finite or both NaN");
  const double top = o.ground_z - o.min_depth;
  for (std::size_t i = 0; i < n; ++i) {
    require(std::isfinite(p.x[i]), "x[", i, "] = ", p.x[i], " is not finite");
    require(std::isfinite(p.y[i]), "y[", i, "] = ", p.y[i], " is not finite");
    require(std::isfinite(p.z[i]), "z[", i, "] = ", p.z[i], " is not finite");
    require(std::isfinite(dt[i]), "dT[", i, "] = ", dt[i], " is not finite");
    require(p.z[i] > top, "z[", i, "] = ", p.z[i], " is not above the shallowest source allowed, ground_z - min_depth = ",
            top, " m");
  }
}

/// Variable-projection least squares for K dipoles at positions pos (3K: x, y, z per dipole).
/// Owns every work array (sized once), so the iterations allocate nothing.
class VarPro {
 public:
  VarPro(const Points& p, const DipoleFitOptions& o, int k)
      : p_(p), o_(o), n_(Index(p.x.size())), k_(k), l_(3 * k + 1), np_(3 * k), ldlt_(l_) {
    const auto f = field_direction(o.field);
    u_ = V3(f[0], f[1], f[2]);
    target.resize(n_), w = Vec::Ones(n_), a_.resize(n_, l_), model.resize(n_), e.resize(n_), theta.resize(l_), m_.resize(l_, l_), s_.resize(l_),
        ad_.resize(l_, np_), mad_.resize(l_, np_);
    jtj.resize(np_, np_), grad.resize(np_);
    zlo_ = o.ground_z - o.max_depth, zhi_ = o.ground_z - o.min_depth;
  }

  Index n() const { return n_; }
  double zlo() const { return zlo_; }
  double zhi() const { return zhi_; }
  const V3& u() const { return u_; }

  /// Linear solve at pos: theta, model, e = target - model, cost = sum w e^2; with jac, also
  /// jtj = D'WD - D'WA M^-1 A'WD and grad = D'W e. Returns false if the linear system is singular.
  bool evaluate(const Vec& pos, bool jac) {
    switch (k_) {  // compile-time sizes for the common cases keep the accumulators in registers
      case 1: return evaluate_t<1>(pos, jac);
      case 2: return evaluate_t<2>(pos, jac);
      case 3: return evaluate_t<3>(pos, jac);
      default: return evaluate_t<0>(pos, jac);
    }
  }

  /// KC dipoles (0: k_ at run time). One pass per stage, accumulating the small normal matrices
  /// point by point in local arrays (L = 3K + 1 is tiny).
  template <int KC>
  bool evaluate_t(const Vec& pos, bool jac) {
    constexpr int kMaxL = KC ? 3 * KC + 1 : 3 * 20 + 1;
    const int K = KC ? KC : k_;
    const int L = 3 * K + 1, P = 3 * K;
    const double base = o_.fit_base ? 1 : 0;  // without a base its column is 0 and its value pinned to 0
    std::array<double, kMaxL * kMaxL> mm{};
    std::array<double, kMaxL> vv{};
    double* row = a_.data();
    for (Index i = 0; i < n_; ++i, row += L) {
      const V3 xi(p_.x[std::size_t(i)], p_.y[std::size_t(i)], p_.z[std::size_t(i)]);
      for (int k = 0; k < K; ++k) {
        const V3 g = kernel(xi - pos.segment<3>(3 * k), u_);
        row[3 * k] = g[0], row[3 * k + 1] = g[1], row[3 * k + 2] = g[2];
      }
      row[L - 1] = base;
      const double wi = w[i], ti = target[i];
      for (int r = 0; r < L; ++r) {
        const double war = wi * row[r];
        vv[std::size_t(r)] += war * ti;
        for (int c = 0; c <= r; ++c) mm[std::size_t(r * kMaxL + c)] += war * row[c];
      }
    }
    if (!o_.fit_base) mm[std::size_t((L - 1) * kMaxL + L - 1)] = 1;
    // equilibrate: the kernel columns (~1e2-1e4) and the base column (1) differ in scale
    for (int j = 0; j < L; ++j) {
      const double mjj = mm[std::size_t(j * kMaxL + j)];
      if (!(mjj > 0)) return false;
      s_[j] = 1 / std::sqrt(mjj);
    }
    for (int r = 0; r < L; ++r) {
      theta[r] = vv[std::size_t(r)];
      for (int c = 0; c <= r; ++c) m_(c, r) = m_(r, c) = mm[std::size_t(r * kMaxL + c)] * s_[r] * s_[c];
    }
    ldlt_.compute(m_);
    if (ldlt_.info() != Eigen::Success || !(ldlt_.vectorD().minCoeff() > 1e-13 * ldlt_.vectorD().maxCoeff()))
      return false;
    theta = s_.asDiagonal() * ldlt_.solve(s_.asDiagonal() * theta);
    std::array<double, kMaxL> th{};
    for (int r = 0; r < L; ++r) th[std::size_t(r)] = theta[r];
    double cst = 0;
    constexpr int kMaxP = kMaxL - 1;
    std::array<double, kMaxP * kMaxP> jj{};
    std::array<double, kMaxL * kMaxP> ad{};
    std::array<double, kMaxP> gr{}, dv{};
    row = a_.data();
    for (Index i = 0; i < n_; ++i, row += L) {
      double mi = 0;
      for (int r = 0; r < L; ++r) mi += row[r] * th[std::size_t(r)];
      const double ei = target[i] - mi, wi = w[i];
      model[i] = mi, e[i] = ei;
      cst += wi * ei * ei;
      if (!jac) continue;
      const V3 xi(p_.x[std::size_t(i)], p_.y[std::size_t(i)], p_.z[std::size_t(i)]);
      for (int k = 0; k < K; ++k) {
        const V3 m(th[std::size_t(3 * k)], th[std::size_t(3 * k + 1)], th[std::size_t(3 * k + 2)]);
        const V3 g = kernel_grad_p(xi - pos.segment<3>(3 * k), u_, m);
        dv[std::size_t(3 * k)] = g[0], dv[std::size_t(3 * k + 1)] = g[1], dv[std::size_t(3 * k + 2)] = g[2];
      }
      for (int r = 0; r < P; ++r) {
        const double wdr = wi * dv[std::size_t(r)];
        gr[std::size_t(r)] += wdr * ei;
        for (int c = 0; c <= r; ++c) jj[std::size_t(r * kMaxP + c)] += wdr * dv[std::size_t(c)];
        for (int c = 0; c < L; ++c) ad[std::size_t(r * kMaxL + c)] += wdr * row[c];
      }
    }
    cost = cst;
    if (!jac) return true;
    for (int r = 0; r < P; ++r) {
      grad[r] = gr[std::size_t(r)];
      for (int c = 0; c <= r; ++c) jtj(c, r) = jtj(r, c) = jj[std::size_t(r * kMaxP + c)];
      for (int c = 0; c < L; ++c) ad_(c, r) = ad[std::size_t(r * kMaxL + c)];
    }
    mad_ = s_.asDiagonal() * ldlt_.solve(s_.asDiagonal() * ad_);
    jtj.noalias() -= ad_.transpose() * mad_;
    return true;
  }

  /// Levenberg-Marquardt over pos (clamped to the depth bounds). Returns iterations; sets ok when
  /// the step fell below xtol.
  int solve(Vec& pos, bool& ok) {
    ok = false;
    for (int k = 0; k < k_; ++k) pos[3 * k + 2] = std::clamp(pos[3 * k + 2], zlo_, zhi_);
    if (!evaluate(pos, true)) return 0;
    Mat jtj0 = jtj, h(np_, np_);
    Vec g0 = grad, g(np_), step(np_), trial(np_);
    double c0 = cost, lambda = 1e-3;
    int it = 0;
    while (it < o_.max_iterations) {
      ++it;
      h = jtj0;
      for (Index j = 0; j < np_; ++j) h(j, j) += lambda * std::max(jtj0(j, j), 1e-12 * (1 + jtj0.diagonal().maxCoeff()));
      step = h.ldlt().solve(g0);
      // a depth at its bound with the step pushing outward is held there (projected step)
      bool held = false;
      g = g0;
      for (int k = 0; k < k_; ++k) {
        const Index z = 3 * k + 2;
        if ((pos[z] <= zlo_ && step[z] < 0) || (pos[z] >= zhi_ && step[z] > 0)) {
          h.row(z).setZero(), h.col(z).setZero(), h(z, z) = 1, g[z] = 0, held = true;
        }
      }
      if (held) step = h.ldlt().solve(g);
      trial = pos + step;
      for (int k = 0; k < k_; ++k) trial[3 * k + 2] = std::clamp(trial[3 * k + 2], zlo_, zhi_);
      const double moved = (trial - pos).norm();
      if (evaluate(trial, true) && cost < c0) {
        const bool small = moved < o_.xtol || c0 - cost < 1e-12 * c0;
        pos = trial, jtj0 = jtj, g0 = grad, c0 = cost;
        lambda = std::max(lambda / 10, 1e-12);
        if (small) {
          ok = true;
          break;
        }
      } else {
        lambda *= 10;
        if (moved < o_.xtol || lambda > 1e12) {
          ok = moved < o_.xtol || lambda > 1e12;
          break;
        }
      }
    }
    evaluate(pos, false);  // leave theta, model, e, cost at pos
    return it;
  }

  /// Robust loss by IRLS around solve(); returns iterations; ok = converged and weights settled.
  int solve_robust(Vec& pos, bool& ok, std::vector<double>& buf) {
    int it = solve(pos, ok);
    if (o_.loss == Loss::l2) {
      scale = mad_scale(e, buf);
      return it;
    }
    bool settled = false;
    for (int r = 0; r <= o_.max_irls; ++r) {
      scale = mad_scale(e, buf);
      const double s = std::max(scale, 1e-9 * (1 + target.cwiseAbs().maxCoeff()));
      double change = 0;
      for (Index i = 0; i < n_; ++i) {
        const double a = std::abs(e[i]) / s;
        const double wi = o_.loss == Loss::huber ? (a <= kHuber ? 1 : kHuber / a) : 1 / (1 + (a / kCauchy) * (a / kCauchy));
        change = std::max(change, std::abs(wi - w[i])), w[i] = wi;
      }
      if (change < 1e-3) {
        settled = true;
        break;
      }
      if (r == o_.max_irls) break;
      bool ok_r = false;
      it += solve(pos, ok_r);
      ok = ok_r;
    }
    ok = ok && settled;
    return it;
  }

  /// exact - linear anomaly of the current fit, per reading: |F+B| - |F| - F^.B.
  void nonlinear_part(const Vec& pos, Vec& q) const {
    const double f0 = o_.field.total_nt;
    const V3 f = f0 * u_;
    for (Index i = 0; i < n_; ++i) {
      const V3 xi(p_.x[std::size_t(i)], p_.y[std::size_t(i)], p_.z[std::size_t(i)]);
      V3 b = V3::Zero();
      for (int k = 0; k < k_; ++k) b += field_at(xi - pos.segment<3>(3 * k), theta.segment<3>(3 * k));
      const double exact = (2 * f.dot(b) + b.squaredNorm()) / ((f + b).norm() + f0);
      q[i] = exact - u_.dot(b);
    }
  }

  Vec target, w, model, e, theta;
  Mat jtj;
  Vec grad;
  double cost = 0, scale = 0;

 private:
  Points p_;
  const DipoleFitOptions& o_;
  Index n_;
  int k_;
  Index l_, np_;
  V3 u_;
  double zlo_ = 0, zhi_ = 0;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> a_;  // [g_1 .. g_K, 1] per reading
  Mat m_, ad_, mad_;
  Vec s_;
  Eigen::LDLT<Mat> ldlt_;
};

/// Full solve of K dipoles from pos: robust LM, then `exact` fixed-point passes that move the
/// nonlinear part of |F+B|-|F| (from the current fit) to the data side and refit.
struct Solved {
  int iterations = 0;
  bool converged = false;
};

Solved solve_all(VarPro& vp, std::span<const double> dt, Vec& pos, std::vector<double>& buf) {
  Solved s;
  for (Index i = 0; i < vp.n(); ++i) vp.target[i] = dt[std::size_t(i)];
  s.iterations = vp.solve_robust(pos, s.converged, buf);
  return s;
}

/// Index of the strongest anomaly of a (deviation from its median): among the 16 largest |a|, the
/// reading whose |a| is best supported by its 6 nearest neighbours (an isolated spike is not).
Index robust_peak(const Points& p, const Vec& a, double& value) {
  const Index n = a.size();
  std::vector<Index> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), Index{0});
  const Index nc = std::min<Index>(16, n);
  std::partial_sort(idx.begin(), idx.begin() + nc, idx.end(),
                    [&](Index i, Index j) { return std::abs(a[i]) > std::abs(a[j]); });
  Index best = idx[0];
  value = -1;
  for (Index c = 0; c < nc; ++c) {
    const auto i = std::size_t(idx[std::size_t(c)]);
    // the 6 nearest other readings, by insertion into a sorted array (one O(n) pass)
    std::array<std::pair<double, double>, 6> nb;
    nb.fill({INFINITY, 0.0});
    for (std::size_t j = 0; j < std::size_t(n); ++j) {
      const double dx = p.x[j] - p.x[i], dy = p.y[j] - p.y[i], d2 = dx * dx + dy * dy;
      if (j == i || d2 >= nb.back().first) continue;
      std::size_t q = nb.size() - 1;
      for (; q > 0 && nb[q - 1].first > d2; --q) nb[q] = nb[q - 1];
      nb[q] = {d2, std::abs(a[Index(j)])};
    }
    std::array<double, 6> v;
    std::size_t m = 0;
    for (const auto& [d2, av] : nb) {  // insertion sort (std::sort of 6 trips GCC 12's -Warray-bounds)
      if (!std::isfinite(d2)) continue;
      std::size_t q = m++;
      for (; q > 0 && v[q - 1] > av; --q) v[q] = v[q - 1];
      v[q] = av;
    }
    const double med = m == 0 ? 0.0 : (m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]));
    const double score = std::min(std::abs(a[Index(i)]), med);
    if (score > value) value = score, best = Index(i);
  }
  return best;
}

/// Target features of dipole k of a fit.
DipoleFit features(const VarPro& vp, const Points& p, std::span<const double> dt, const Vec& pos, int k,
                   const DipoleFitOptions& o) {
  DipoleFit f;
  f.x = pos[3 * k], f.y = pos[3 * k + 1], f.z = pos[3 * k + 2], f.depth = o.ground_z - f.z;
  const V3 m = vp.theta.segment<3>(3 * k);
  f.moment = {m[0], m[1], m[2]};
  f.moment_am2 = m.norm();
  if (f.moment_am2 > 0) {
    f.inclination_deg = std::asin(std::clamp(-m[2] / f.moment_am2, -1.0, 1.0)) * kDeg;
    f.declination_deg = std::atan2(m[0], m[1]) * kDeg;
    f.remanence_deg = std::acos(std::clamp(vp.u().dot(m) / f.moment_am2, -1.0, 1.0)) * kDeg;
  }
  f.base_nt = vp.theta[vp.theta.size() - 1];
  const Index n = vp.n();
  // rms and coherence of the whole fit (exact model + base) against the data
  const Vec d = Eigen::Map<const Vec>(dt.data(), n);
  // target = d - q (q: nonlinear part), so d - (target - model) = model + q: the exact model
  const Vec r = vp.target - vp.model;
  f.rms_nt = std::sqrt(r.squaredNorm() / double(n));
  const Vec mod = d - r;
  const double md = d.mean(), mm = mod.mean();
  const double sdd = (d.array() - md).square().sum(), smm = (mod.array() - mm).square().sum();
  f.coherence = sdd > 0 && smm > 0 ? ((d.array() - md) * (mod.array() - mm)).sum() / std::sqrt(sdd * smm) : 0;
  f.scale_nt = vp.scale;
  f.points_used = n;
  // amplitude: this dipole's own linear anomaly at the readings
  double lo = INFINITY, hi = -INFINITY, zmean = 0;
  for (Index i = 0; i < n; ++i) {
    const V3 xi(p.x[std::size_t(i)], p.y[std::size_t(i)], p.z[std::size_t(i)]);
    const double a = kernel(xi - pos.segment<3>(3 * k), vp.u()).dot(m);
    lo = std::min(lo, a), hi = std::max(hi, a), zmean += xi[2];
  }
  f.amplitude_nt = hi - lo;
  // width: equivalent diameter of the area where |anomaly| >= half its maximum, on a 61 x 61 grid
  // over +-3 source-to-sensor distances at the mean sensor height
  zmean /= double(n);
  const double hgt = zmean - f.z, half = 3 * hgt, cell = 2 * half / 60;
  std::vector<double> g(61 * 61);
  double gmax = 0;
  for (int j = 0; j < 61; ++j)
    for (int i = 0; i < 61; ++i) {
      const V3 r(-half + i * cell, -half + j * cell, hgt);
      g[std::size_t(j * 61 + i)] = std::abs(kernel(r, vp.u()).dot(m));
      gmax = std::max(gmax, g[std::size_t(j * 61 + i)]);
    }
  const auto cnt = std::count_if(g.begin(), g.end(), [&](double v) { return v >= 0.5 * gmax; });
  f.width_m = gmax > 0 ? 2 * std::sqrt(double(cnt) * cell * cell / std::numbers::pi) : 0;
  return f;
}

/// Robust fit of K dipoles from pos, with the exact-model passes; fills iterations / converged.
Solved fit_k(VarPro& vp, std::span<const double> dt, Vec& pos, const DipoleFitOptions& o, std::vector<double>& buf) {
  Solved s = solve_all(vp, dt, pos, buf);
  if (!o.exact) return s;
  Vec q(vp.n());
  for (int pass = 0; pass < 2; ++pass) {
    vp.nonlinear_part(pos, q);
    for (Index i = 0; i < vp.n(); ++i) vp.target[i] = dt[std::size_t(i)] - q[i];
    bool ok = false;
    s.iterations += vp.solve_robust(pos, ok, buf);
    s.converged = ok;
  }
  return s;
}

/// Start position for one dipole on data a (nT): the robust peak, and the best of a few depths
/// by the cost of the linear solve there (weights 1).
Vec start_position(VarPro& vp, const Points& p, std::span<const double> a_in, const DipoleFitOptions& o,
                   std::vector<double>& buf) {
  const Index n = vp.n();
  Vec a = Eigen::Map<const Vec>(a_in.data(), n);
  vp.target = a;  // the start depths are ranked by the linear misfit to these data
  buf.assign(a.data(), a.data() + n);
  a.array() -= median_inplace(buf);
  double peak = 0;
  const Index ip = robust_peak(p, a, peak);
  double x0 = p.x[std::size_t(ip)], y0 = p.y[std::size_t(ip)];
  if (!std::isnan(o.start_xy[0])) x0 = o.start_xy[0], y0 = o.start_xy[1];
  std::vector<double> depths = o.start_depths;
  if (depths.empty()) {
    // half-width h: median distance from the peak of readings near half the peak; for a dipole the
    // half maximum lies about half the source-to-sensor distance from the peak
    std::vector<double> dist;
    const double sgn = a[ip] >= 0 ? 1 : -1;
    for (Index i = 0; i < n; ++i) {
      const double r = sgn * a[i] / std::max(peak, 1e-300);
      if (r >= 0.35 && r <= 0.65) dist.push_back(std::hypot(p.x[std::size_t(i)] - x0, p.y[std::size_t(i)] - y0));
    }
    const double h = dist.empty() ? 0.25 : median_inplace(dist);
    const double d0 = 2 * h - (p.z[std::size_t(ip)] - o.ground_z);
    for (double f : {0.5, 0.75, 1.0, 1.5, 2.0}) depths.push_back(std::clamp(f * d0, o.min_depth, o.max_depth));
  }
  Vec pos(3), best(3);
  double best_cost = INFINITY;
  for (double d : depths) {
    pos << x0, y0, o.ground_z - d;
    if (vp.evaluate(pos, false) && vp.cost < best_cost) best_cost = vp.cost, best = pos;
  }
  if (!std::isfinite(best_cost)) best << x0, y0, o.ground_z - depths.front();
  return best;
}

}  // namespace

void dipole_kernel(const Dipole& d, Points p, const std::array<double, 3>& u, std::span<double> f,
                   std::span<double> df_dx0, std::span<double> df_dy0, std::span<double> df_dz0) {
  const std::size_t n = p.x.size();
  require(p.y.size() == n && p.z.size() == n && f.size() == n && df_dx0.size() == n && df_dy0.size() == n &&
              df_dz0.size() == n,
          "dipole_kernel: points and outputs must have equal lengths (x has ", n, ")");
  const V3 uu(u[0], u[1], u[2]), pos(d.x, d.y, d.z), m(d.mx, d.my, d.mz);
  for (std::size_t i = 0; i < n; ++i) {
    const V3 r = V3(p.x[i], p.y[i], p.z[i]) - pos;
    f[i] = kernel(r, uu).dot(m);
    const V3 g = kernel_grad_p(r, uu, m);
    df_dx0[i] = g[0], df_dy0[i] = g[1], df_dz0[i] = g[2];
  }
}

DipoleFit fit_dipole(Points p, std::span<const double> dt, const DipoleFitOptions& opt) {
  validate(p, dt, opt, 8);
  std::vector<double> buf;
  VarPro vp(p, opt, 1);
  Vec pos = start_position(vp, p, dt, opt, buf);
  const Solved s = fit_k(vp, dt, pos, opt, buf);
  DipoleFit f = features(vp, p, dt, pos, 0, opt);
  f.iterations = s.iterations, f.converged = s.converged;
  return f;
}

std::vector<Index> select_window(std::span<const double> x, std::span<const double> y, double cx, double cy,
                                 double radius) {
  require(x.size() == y.size(), "x and y have lengths ", x.size(), " and ", y.size(), "; they must be equal");
  require(std::isfinite(cx) && std::isfinite(cy), "window centre (", cx, ", ", cy, ") must be finite");
  require(std::isfinite(radius) && radius > 0, "radius = ", radius, " must be positive, m");
  std::vector<Index> out;
  const double r2 = radius * radius;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - cx, dy = y[i] - cy;
    if (dx * dx + dy * dy <= r2) out.push_back(Index(i));  // NaN positions are never inside
  }
  return out;
}

MultiDipoleFit fit_dipoles(Points p, std::span<const double> dt, const MultiDipoleOptions& opt) {
  validate(p, dt, opt.fit, 8);
  require(opt.max_dipoles >= 1 && opt.max_dipoles <= 20, "max_dipoles = ", opt.max_dipoles, " must be in [1, 20]");
  require(std::isfinite(opt.min_peak_nt) && opt.min_peak_nt >= 0, "min_peak_nt = ", opt.min_peak_nt,
          " must be >= 0 (0: automatic)");
  const Index n = Index(p.x.size());
  std::vector<double> buf;
  std::vector<double> resid(dt.begin(), dt.end());
  Vec pos(0), theta;
  Solved solved;
  MultiDipoleFit out;
  double rms = INFINITY;
  std::vector<DipoleFit> fits;
  for (int k = 1; k <= opt.max_dipoles; ++k) {
    if (k > 1) {
      // stop when the residual's peak is within the noise
      Vec a = Eigen::Map<const Vec>(resid.data(), n);
      buf.assign(a.data(), a.data() + n);
      a.array() -= median_inplace(buf);
      double peak = 0;
      robust_peak(p, a, peak);
      const double noise = mad_scale(a, buf);
      if (peak < (opt.min_peak_nt > 0 ? opt.min_peak_nt : 5 * noise)) break;
    }
    // a single dipole on the residual, started at its peak
    VarPro one(p, opt.fit, 1);
    Vec p1 = start_position(one, p, resid, opt.fit, buf);
    solve_all(one, resid, p1, buf);
    // all k jointly, from the previous positions and the new one
    Vec pk(3 * k);
    pk << pos, p1;
    VarPro vp(p, opt.fit, k);
    const Solved s = fit_k(vp, dt, pk, opt.fit, buf);
    const Vec r = vp.target - vp.model;
    const double rms_k = std::sqrt(r.squaredNorm() / double(n));
    if (k > 1 && !(rms_k < 0.95 * rms)) break;  // the new dipole explains nothing: keep the previous fit
    rms = rms_k, pos = pk, solved = s;
    fits.clear();
    for (int j = 0; j < k; ++j) {
      fits.push_back(features(vp, p, dt, pos, j, opt.fit));
      fits.back().iterations = s.iterations, fits.back().converged = s.converged;
    }
    for (Index i = 0; i < n; ++i) resid[std::size_t(i)] = r[i];
  }
  out.dipoles = std::move(fits);
  out.residual_nt = std::move(resid);
  out.rms_nt = rms;
  return out;
}

}  // namespace sapper::mag
