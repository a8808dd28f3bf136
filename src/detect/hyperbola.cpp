// Hyperbola picking and fitting around a GPR alarm: see include/sapper/detect/hyperbola.hpp.
#include "sapper/detect/hyperbola.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "sapper/core/median.hpp"

namespace sapper::detect {
namespace {

/// One-way time from an antenna at lateral distance X (and height h) to the scatterer at depth d,
/// and its derivatives in X, d, v. With h > 0 the ray refracts at the surface point p that makes
/// the time stationary (Fermat), so the derivatives hold at fixed p (envelope theorem).
struct Leg {
  double tau, dX, dd, dv;
};

Leg leg(double X, double d, double v, double h) {
  const double a = std::abs(X), sgn = X < 0 ? -1.0 : 1.0;
  if (h <= 0) {
    const double r = std::hypot(d, a);
    return {r / v, r > 0 ? sgn * a / (v * r) : 0.0, r > 0 ? d / (v * r) : 1 / v, -r / (v * v)};
  }
  // g(p) = p / (c ra) - (a - p) / (v rg) increases from <= 0 at p = 0 to >= 0 at p = a.
  double lo = 0, hi = a;
  double p = a * (c_m_ns / v) * h / ((c_m_ns / v) * h + d);  // paraxial refraction point
  for (int it = 0; it < 60 && hi - lo > 1e-14 * (1 + a); ++it) {
    const double ra = std::hypot(h, p), q = a - p, rg = std::hypot(d, q);
    const double g = p / (c_m_ns * ra) - q / (v * rg);
    if (g == 0) break;
    (g > 0 ? hi : lo) = p;
    const double dg = h * h / (c_m_ns * ra * ra * ra) + (rg > 0 ? d * d / (v * rg * rg * rg) : 0.0);
    double next = dg > 0 ? p - g / dg : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::abs(next - p) < 1e-15 * (1 + a)) {
      p = next;
      break;
    }
    p = next;
  }
  const double ra = std::hypot(h, p), q = a - p, rg = std::hypot(d, q);
  return {ra / c_m_ns + rg / v, rg > 0 ? sgn * q / (v * rg) : 0.0, rg > 0 ? d / (v * rg) : 1 / v, -rg / (v * v)};
}

struct TimeJac {
  double t, dx0, dd, dv;
};

TimeJac two_way(double x, double x0, double d, double v, double h, double o) {
  const Leg a = leg(x - 0.5 * o - x0, d, v, h), b = leg(x + 0.5 * o - x0, d, v, h);
  return {a.tau + b.tau, -(a.dX + b.dX), a.dd + b.dd, a.dv + b.dv};
}

/// The same for an object of footprint half-width rho: each leg goes to the
/// footprint's nearest point, |X| - rho from its centre (0 over the footprint),
/// as the simulator and a flat-topped mine.
struct TimeJacR {
  double t, dx0, dd, dv, drho;
};

TimeJacR two_way(double x, double x0, double d, double v, double rho, double h, double o) {
  TimeJacR r{0, 0, 0, 0, 0};
  for (double X : {x - 0.5 * o - x0, x + 0.5 * o - x0}) {
    const double e = std::abs(X) - rho, sgn = X < 0 ? -1.0 : 1.0;
    const Leg l = leg(e > 0 ? sgn * e : 0.0, d, v, h);
    r.t += l.tau, r.dd += l.dd, r.dv += l.dv;
    if (e > 0) r.dx0 -= l.dX, r.drho -= sgn * l.dX;
  }
  return r;
}

/// Sub-sample peak of y around index i (y(i) a local maximum): offset in [-0.5, 0.5] and value.
template <class F>
std::pair<double, double> parabolic(F&& y, Index i, Index n) {
  if (i <= 0 || i >= n - 1) return {0.0, y(i)};
  const double ym = y(i - 1), y0 = y(i), yp = y(i + 1), den = ym - 2 * y0 + yp;
  if (!(den < 0)) return {0.0, y0};
  const double d = std::clamp(0.5 * (ym - yp) / den, -0.5, 0.5);
  return {d, y0 - 0.25 * (ym - yp) * d};
}

/// pick_ground without allocating: the mean trace is summed sample by sample.
template <class T>
GroundBounce ground_in(ConstView<T> x, const TraceFormat& f, Index first, Index last, Index i_lo, Index i_hi) {
  const Index n = x.rows();
  auto mean = [&](Index i) {
    double s = 0;
    for (Index j = first; j < last; ++j) s += double(x(i, j));
    return s / double(last - first);
  };
  GroundBounce g;
  Index best = -1;
  double vmax = 0;
  for (Index i = std::max<Index>(i_lo, 0); i <= std::min(i_hi, n - 1); ++i) {
    const double v = std::abs(mean(i));
    if (v > vmax) vmax = v, best = i;
  }
  if (best < 0 || !std::isfinite(vmax)) return g;
  const double s = mean(best) < 0 ? -1.0 : 1.0;
  const auto [d, peak] = parabolic([&](Index i) { return s * mean(i); }, best, n);
  g.time_ns = (double(best) + d) * f.dt_ns - f.time_zero_ns;
  g.amplitude = s * peak;
  g.sign = int(s);
  return g;
}

}  // namespace

const char* to_string(HyperbolaStatus s) {
  switch (s) {
    case HyperbolaStatus::ok: return "ok";
    case HyperbolaStatus::invalid_input: return "invalid_input";
    case HyperbolaStatus::non_finite: return "non_finite";
    case HyperbolaStatus::too_few_traces: return "too_few_traces";
    case HyperbolaStatus::no_curvature: return "no_curvature";
    case HyperbolaStatus::velocity_out_of_range: return "velocity_out_of_range";
    case HyperbolaStatus::not_converged: return "not_converged";
  }
  return "unknown";
}

double hyperbola_time(double x, double x0, double depth_m, double v, double height_m, double offset_m) {
  return two_way(x, x0, depth_m, v, height_m, offset_m).t;
}

template <class T>
GroundBounce pick_ground(ConstView<T> bscan, const TraceFormat& f, Index first, Index last, double t_lo_ns,
                         double t_hi_ns) {
  require(bscan.rows() == f.n_samples, "the B-scan has ", bscan.rows(), " samples per trace but format.n_samples = ",
          f.n_samples);
  require(std::isfinite(f.dt_ns) && f.dt_ns > 0, "dt_ns = ", f.dt_ns, " must be a positive number of ns");
  require(0 <= first && first < last && last <= bscan.cols(), "traces [", first, ", ", last,
          ") must be a non-empty range within the ", bscan.cols(), " traces");
  const double t_end = double(f.n_samples - 1) * f.dt_ns - f.time_zero_ns;
  require(std::isfinite(t_lo_ns) && std::isfinite(t_hi_ns) && t_lo_ns <= t_hi_ns && t_hi_ns >= -f.time_zero_ns &&
              t_lo_ns <= t_end,
          "the ground gate [", t_lo_ns, ", ", t_hi_ns, "] ns must overlap the record [", -f.time_zero_ns, ", ", t_end,
          "] ns");
  const Index i_lo = Index(std::ceil((t_lo_ns + f.time_zero_ns) / f.dt_ns));
  const Index i_hi = Index(std::floor((t_hi_ns + f.time_zero_ns) / f.dt_ns));
  return ground_in<T>(bscan, f, first, last, i_lo, i_hi);
}

template <class T>
HyperbolaFitter<T>::HyperbolaFitter(const TraceFormat& f, const HyperbolaOptions& opt) : f_(f), opt_(opt) {
  require(f.n_samples >= 3, "format.n_samples = ", f.n_samples, " must be >= 3");
  require(std::isfinite(f.dt_ns) && f.dt_ns > 0, "dt_ns = ", f.dt_ns, " must be a positive number of ns");
  require(std::isfinite(f.time_zero_ns), "time_zero_ns = ", f.time_zero_ns, " must be finite");
  require(opt.half_width >= 2, "half_width = ", opt.half_width, " must be >= 2 traces");
  require(std::isfinite(opt.trace_spacing_m) && opt.trace_spacing_m >= 0, "trace_spacing_m = ", opt.trace_spacing_m,
          " must be >= 0 m (0: positions given)");
  require(std::isfinite(opt.gate_ns) && opt.gate_ns >= 0, "gate_ns = ", opt.gate_ns, " must be >= 0 ns");
  require(std::isfinite(opt.min_amplitude) && opt.min_amplitude >= 0 && opt.min_amplitude < 1,
          "min_amplitude = ", opt.min_amplitude, " must be in [0, 1)");
  require(opt.min_traces >= 4 && opt.min_traces <= 2 * opt.half_width + 1, "min_traces = ", opt.min_traces,
          " must be in [4, 2 half_width + 1]");
  require(std::isfinite(opt.offset_m) && opt.offset_m >= 0, "offset_m = ", opt.offset_m, " must be >= 0 m");
  require(std::isnan(opt.ground_time_ns) || std::isfinite(opt.ground_time_ns), "ground_time_ns = ",
          opt.ground_time_ns, " must be finite or NaN");
  require(opt.ground_sign >= -1 && opt.ground_sign <= 1, "ground_sign = ", opt.ground_sign, " must be -1, 0 or 1");
  require(std::isfinite(opt.v_min) && std::isfinite(opt.v_max) && 0 < opt.v_min && opt.v_min < opt.v_max &&
              opt.v_max <= c_m_ns,
          "velocity bounds [", opt.v_min, ", ", opt.v_max, "] m/ns must satisfy 0 < v_min < v_max <= ", c_m_ns);
  require(std::isfinite(opt.max_radius_m) && opt.max_radius_m >= 0 && opt.max_radius_m <= 1,
          "max_radius_m = ", opt.max_radius_m, " must be in [0, 1] m");
  require(std::isfinite(opt.huber_k) && opt.huber_k > 0, "huber_k = ", opt.huber_k, " must be > 0");
  require(opt.max_iterations >= 1, "max_iterations = ", opt.max_iterations, " must be >= 1");
  if (std::isnan(opt.antenna_height_m)) {
    require(std::isfinite(opt.ground_time_ns) && opt.ground_time_ns > 0, "antenna_height_m = NaN needs ground_time_ns",
            " > 0, not ", opt.ground_time_ns);
    const double half = 0.5 * c_m_ns * opt.ground_time_ns;
    h_ = std::sqrt(std::max(0.0, half * half - 0.25 * opt.offset_m * opt.offset_m));
  } else {
    require(std::isfinite(opt.antenna_height_m) && opt.antenna_height_m >= 0, "antenna_height_m = ",
            opt.antenna_height_m, " must be >= 0 m (or NaN: from ground_time_ns)");
    h_ = opt.antenna_height_m;
  }
  const auto n = std::size_t(2 * opt.half_width + 1);
  x_.resize(n), t_.resize(n), w_.resize(n), r_.resize(n), scratch_.resize(n), amp_.resize(n), jx_.resize(n);
  tmpl_.resize(std::size_t(2 * f.n_samples + 1));
}

template <class T>
HyperbolaFit HyperbolaFitter<T>::fit(ConstView<T> x, std::span<const double> pos, const GprAlarm& a) {
  HyperbolaFit out;
  const Index n = x.rows(), m = x.cols();
  const double dt = f_.dt_ns, tz = f_.time_zero_ns, o = opt_.offset_m;
  if (n != f_.n_samples || m < 1 || a.trace < 0 || a.trace >= m || a.sample < 0 || a.sample >= n) return out;
  if (!pos.empty() && Index(pos.size()) != m) return out;
  if (pos.empty() && !(opt_.trace_spacing_m > 0)) return out;
  auto position = [&](Index j) { return pos.empty() ? double(j) * opt_.trace_spacing_m : pos[std::size_t(j)]; };
  const Index j_lo = std::max<Index>(0, a.trace - opt_.half_width), j_hi = std::min(m - 1, a.trace + opt_.half_width);
  for (Index j = j_lo; j <= j_hi; ++j)
    if (!std::isfinite(position(j)) || (j > j_lo && !(position(j) > position(j - 1)))) return out;
  const double xa = position(a.trace);

  // First pick: extreme of |x| near the alarm's sample, climbed to the top of its lobe.
  const Index g_user = opt_.gate_ns > 0 ? std::max<Index>(1, Index(std::lround(opt_.gate_ns / dt))) : 0;
  const Index g0 = g_user > 0 ? g_user : 4;
  auto col = [&](Index j) { return x.col(j); };
  Index i0 = -1;
  double best = -1;
  for (Index i = std::max<Index>(0, a.sample - g0); i <= std::min(n - 1, a.sample + g0); ++i) {
    const double v = double(col(a.trace)(i));
    if (!std::isfinite(v)) {
      out.status = HyperbolaStatus::non_finite;
      return out;
    }
    if (std::abs(v) > best) best = std::abs(v), i0 = i;
  }
  const double s = double(col(a.trace)(i0)) < 0 ? -1.0 : 1.0;
  auto sx = [&](Index j, Index i) { return s * double(col(j)(i)); };
  for (bool moved = true; moved;) {
    moved = false;
    for (Index k : {i0 - 1, i0 + 1})
      if (k >= 0 && k < n && std::isfinite(sx(a.trace, k)) && sx(a.trace, k) > sx(a.trace, i0)) i0 = k, moved = true;
  }
  Index gate = g_user;
  if (gate == 0) {  // half the width of the apex lobe (between its zero crossings)
    Index l = i0, r = i0;
    while (l > 0 && sx(a.trace, l - 1) > 0) --l;
    while (r < n - 1 && sx(a.trace, r + 1) > 0) ++r;
    gate = std::max<Index>(1, (r - l + 2) / 2);
  }
  const auto [d0, a0] = parabolic([&](Index i) { return sx(a.trace, i); }, i0, n);
  out.apex_amplitude = s * a0;
  if (!(a0 > 0)) {
    out.status = HyperbolaStatus::too_few_traces;
    return out;
  }

  // Template: the apex trace's whole wavelet (main lobe and side lobes, 3 gates
  // each side). Each trace is picked by correlation with it, which uses every
  // sample of the wavelet rather than the three at a lobe's top, so weak arms
  // (the beam pattern) and noise move the picks far less.
  const Index L = std::min<Index>(3 * gate, Index(tmpl_.size() - 1) / 2);
  double e0 = 0;
  for (Index k = -L; k <= L; ++k) {
    const Index i = i0 + k;
    const double v = i >= 0 && i < n ? sx(a.trace, i) : 0.0;
    if (!std::isfinite(v)) {
      out.status = HyperbolaStatus::non_finite;
      return out;
    }
    tmpl_[std::size_t(k + L)] = v, e0 += v * v;
  }
  // correlation of trace j with the template centred on sample c, / template
  // energy (1 at the apex)
  auto corr = [&](Index j, Index c) {
    double acc = 0;
    for (Index k = std::max(-L, -c); k <= std::min(L, n - 1 - c); ++k) acc += tmpl_[std::size_t(k + L)] * sx(j, c + k);
    return acc / e0;
  };
  std::size_t np = 0;
  x_[np] = 0, t_[np] = 0, amp_[np] = 1, jx_[np] = a.trace, ++np;  // t_: lags behind the template for now

  // Arms, alternately left and right, so that the prediction sees both sides:
  // from the weighted fit t^2 = A X^2 + B X + C of the picks so far once it
  // curves downward, else extrapolated from the arm's last two picks. Times
  // here in samples.
  Eigen::Matrix3d pm = Eigen::Matrix3d::Zero();
  Eigen::Vector3d pr = Eigen::Vector3d::Zero();
  auto add_pick = [&](double X, double ts, double w) {
    const Eigen::Vector3d row(X * X, X, 1.0);
    pm += w * row * row.transpose(), pr += w * row * (ts * ts);
  };
  const double t_apex = double(i0) + d0;
  add_pick(0, t_apex, 1);
  struct Arm {
    Index j;
    double t1, x1, t2, x2;
    bool two, alive;
  } arms[2] = {{a.trace - 1, t_apex, xa, t_apex, xa, false, true}, {a.trace + 1, t_apex, xa, t_apex, xa, false, true}};
  for (bool any = true; any;) {
    any = false;
    for (Arm& r : arms) {
      if (!r.alive) continue;
      const Index j = r.j;
      if (j < j_lo || j > j_hi) {
        r.alive = false;
        continue;
      }
      const double xj = position(j), X = xj - xa;
      double pred = r.two ? r.t1 + (r.t1 - r.t2) * (xj - r.x1) / (r.x1 - r.x2) : r.t1;
      if (np >= 4) {
        const Eigen::Vector3d q = pm.ldlt().solve(pr);
        const double t2p = q[0] * X * X + q[1] * X + q[2];
        if (q[0] > 0 && t2p > 0 && std::isfinite(t2p)) pred = std::sqrt(t2p);
      }
      if (!std::isfinite(pred) || pred < 0 || pred > double(n - 1)) {
        r.alive = false;
        continue;
      }
      const Index c = Index(std::lround(pred));
      Index ib = -1;
      double vb = 0;
      for (Index i = std::max<Index>(0, c - gate); i <= std::min(n - 1, c + gate); ++i) {
        const double v = corr(j, i);
        if (!std::isfinite(v)) {
          out.status = HyperbolaStatus::non_finite;
          return out;
        }
        if (ib < 0 || v > vb) vb = v, ib = i;
      }
      if (!(vb > opt_.min_amplitude)) {
        r.alive = false;
        continue;
      }
      const auto [dj, aj] = parabolic([&](Index i) { return corr(j, i); }, ib, n);
      const double tj = double(ib) + dj + d0, wj = std::min(aj * aj, 1.0);  // d0: a first reference
      r.t2 = r.t1, r.x2 = r.x1, r.t1 = tj, r.x1 = xj, r.two = true, r.j += j < a.trace ? -1 : 1, any = true;
      x_[np] = X, t_[np] = double(ib) + dj - double(i0), amp_[np] = wj, jx_[np] = j, ++np;
      add_pick(X, tj, wj);
    }
  }
  // The template's own time (the top of its lobe) fixes every pick's absolute
  // time. It is read on the stack of all picked traces aligned by their lags
  // (weights: amplitudes), not on the apex trace alone, so that the apex
  // trace's noise does not pass whole into t0. tmpl_ is reused.
  const Index hs = std::min<Index>(gate, L);
  Index kb = 0;
  double sb = -std::numeric_limits<double>::infinity();
  for (Index k = -hs; k <= hs; ++k) {
    double acc = 0;
    for (std::size_t q = 0; q < np; ++q) {
      const double u = double(i0 + k) + t_[q], fl = std::floor(u);
      const Index i = Index(fl);
      if (i < 0 || i + 1 >= n) continue;
      acc += std::sqrt(amp_[q]) * ((1 - (u - fl)) * sx(jx_[q], i) + (u - fl) * sx(jx_[q], i + 1));
    }
    tmpl_[std::size_t(k + hs)] = acc;
    if (acc > sb) sb = acc, kb = k;
  }
  const double ref =
      double(i0 + kb) + parabolic([&](Index q) { return tmpl_[std::size_t(q)]; }, kb + hs, 2 * hs + 1).first;
  for (std::size_t k = 0; k < np; ++k) t_[k] = (ref + t_[k]) * dt - tz;
  out.traces_used = Index(np);

  // Polarity against the ground reflection.
  int gs = opt_.ground_sign;
  if (gs == 0 && std::isfinite(opt_.ground_time_ns)) {
    const double ig = (opt_.ground_time_ns + tz) / dt;
    gs = ground_in<T>(x, f_, j_lo, j_hi + 1, Index(std::floor(ig)) - gate, Index(std::ceil(ig)) + gate).sign;
  }
  out.polarity = int(s) * gs;
  out.ground_time_ns = std::isfinite(opt_.ground_time_ns) ? opt_.ground_time_ns
                       : h_ > 0                          ? 2 * std::hypot(h_, 0.5 * o) / c_m_ns
                                                         : HyperbolaFit::nan;
  if (Index(np) < opt_.min_traces) {
    out.status = HyperbolaStatus::too_few_traces;
    return out;
  }

  // Start: t^2 = A X^2 + B X + C by least squares.
  Eigen::Matrix3d nm = Eigen::Matrix3d::Zero();
  Eigen::Vector3d rhs = Eigen::Vector3d::Zero();
  for (std::size_t k = 0; k < np; ++k) {
    const Eigen::Vector3d row(x_[k] * x_[k], x_[k], 1.0);
    nm += amp_[k] * row * row.transpose(), rhs += amp_[k] * row * (t_[k] * t_[k]);
  }
  Eigen::Vector3d abc = nm.ldlt().solve(rhs);
  double A = abc[0], xs = -abc[1] / (2 * abc[0]), T02 = abc[2] - abc[1] * abc[1] / (4 * abc[0]);
  if (!(A > 0) || !(T02 > 0) || !std::isfinite(xs)) {
    out.status = HyperbolaStatus::no_curvature;
    return out;
  }
  // Flat top: the same fit in X shortened by rho on each side of xs, rho on a 5
  // mm grid; the best (weighted squared misfit of t^2) starts the fit. rho is
  // fitted only when that best is not 0: a fourth parameter would cost a point
  // target velocity precision for nothing.
  double rho = 0;
  if (opt_.max_radius_m > 0) {
    auto misfit = [&](double rr, Eigen::Vector3d& q) {
      Eigen::Matrix3d mm = Eigen::Matrix3d::Zero();
      Eigen::Vector3d rv = Eigen::Vector3d::Zero();
      auto xe = [&](std::size_t k) {
        const double X = x_[k] - xs, e = std::abs(X) - rr;
        return e > 0 ? (X < 0 ? -e : e) : 0.0;
      };
      for (std::size_t k = 0; k < np; ++k) {
        const Eigen::Vector3d row(xe(k) * xe(k), xe(k), 1.0);
        mm += amp_[k] * row * row.transpose(), rv += amp_[k] * row * (t_[k] * t_[k]);
      }
      q = mm.ldlt().solve(rv);
      double ss = 0;
      for (std::size_t k = 0; k < np; ++k) {
        const double e = q[0] * xe(k) * xe(k) + q[1] * xe(k) + q[2] - t_[k] * t_[k];
        ss += amp_[k] * e * e;
      }
      return q.allFinite() && q[0] > 0 ? ss : std::numeric_limits<double>::infinity();
    };
    Eigen::Vector3d q;
    double best_ss = misfit(0, q);
    for (int i = 1; 0.005 * i <= opt_.max_radius_m * (1 + 1e-9); ++i) {
      const double ss = misfit(0.005 * i, q);
      if (ss < best_ss) best_ss = ss, rho = 0.005 * i, abc = q;
    }
    if (rho > 0) {
      A = abc[0], T02 = abc[2] - abc[1] * abc[1] / (4 * abc[0]);
      if (!(T02 > 0)) {
        out.status = HyperbolaStatus::no_curvature;
        return out;
      }
    }
  }
  const double T0 = std::sqrt(T02), tg = 2 * std::hypot(h_, 0.5 * o) / c_m_ns;
  double v = 2 / std::sqrt(A);
  if (h_ > 0) {  // near the apex t^2 ~ T0^2 + 2 T0 X^2 / (c h + v^2 (T0 - t_air) / 2)
    const double v2 = 2 * (2 * T0 / A - c_m_ns * h_) / (T0 - 2 * h_ / c_m_ns);
    if (v2 > 0 && std::isfinite(v2)) v = std::sqrt(v2);
  }
  v = std::clamp(v, opt_.v_min, opt_.v_max);
  Eigen::Vector4d p(xs, std::max(1e-3, 0.5 * v * (T0 - tg)), v, rho);
  const bool fit_rho = rho > 0;

  // Levenberg-Marquardt over (x0, d, v, rho), weighted by amplitude^2 (a pick's
  // time error goes as noise / amplitude) times Huber weights of the
  // standardised residuals amplitude x residual.
  auto residuals = [&](const Eigen::Vector4d& q) {
    for (std::size_t k = 0; k < np; ++k) r_[k] = t_[k] - two_way(x_[k], q[0], q[1], q[2], q[3], h_, o).t;
  };
  auto cost = [&](const Eigen::Vector4d& q) {
    double c = 0;
    for (std::size_t k = 0; k < np; ++k) {
      const double e = t_[k] - two_way(x_[k], q[0], q[1], q[2], q[3], h_, o).t;
      c += w_[k] * e * e;
    }
    return c;
  };
  double lambda = 1e-3;
  bool converged = false;
  int it = 0;
  for (; it < opt_.max_iterations && !converged; ++it) {
    residuals(p);
    for (std::size_t k = 0; k < np; ++k) scratch_[k] = std::sqrt(amp_[k]) * r_[k];
    const double med = median_inplace(scratch_.data(), std::size_t(np));
    for (std::size_t k = 0; k < np; ++k) scratch_[k] = std::abs(std::sqrt(amp_[k]) * r_[k] - med);
    const double scale = std::max(1.4826 * median_inplace(scratch_.data(), std::size_t(np)), 1e-3 * dt);
    Eigen::Matrix4d H = Eigen::Matrix4d::Zero();
    Eigen::Vector4d g = Eigen::Vector4d::Zero();
    for (std::size_t k = 0; k < np; ++k) {
      const double ar = std::sqrt(amp_[k]) * std::abs(r_[k]);
      w_[k] = amp_[k] * (ar > opt_.huber_k * scale ? opt_.huber_k * scale / ar : 1.0);
      const TimeJacR tj = two_way(x_[k], p[0], p[1], p[2], p[3], h_, o);
      const Eigen::Vector4d jr(tj.dx0, tj.dd, tj.dv, fit_rho ? tj.drho : 0.0);
      H += w_[k] * jr * jr.transpose(), g += w_[k] * jr * r_[k];
    }
    if (!fit_rho) H(3, 3) = 1;  // rho held at 0 (its gradient is 0)
    const double c0 = cost(p);
    bool accepted = false;
    for (int tries = 0; tries < 12 && !accepted; ++tries) {
      Eigen::Matrix4d Hd = H;
      Hd.diagonal() *= 1 + lambda;
      Eigen::Vector4d step = Hd.ldlt().solve(g);
      if ((p[3] <= 0 && step[3] < 0) || (p[3] >= opt_.max_radius_m && step[3] > 0)) {  // rho held at its bound
        Hd.row(3).setZero(), Hd.col(3).setZero(), Hd(3, 3) = 1;
        Eigen::Vector4d g3 = g;
        g3[3] = 0;
        step = Hd.ldlt().solve(g3);
      }
      Eigen::Vector4d q = p + step;
      q[1] = std::max(q[1], 1e-6);
      q[2] = std::clamp(q[2], opt_.v_min, opt_.v_max);
      q[3] = std::clamp(q[3], 0.0, opt_.max_radius_m);
      if (!q.allFinite()) break;
      const double c1 = cost(q);
      if (c1 <= c0) {
        const Eigen::Vector4d dq = q - p;
        converged = std::abs(dq[0]) < 1e-6 && std::abs(dq[1]) < 1e-6 && std::abs(dq[2]) < 1e-6 * q[2] &&
                    std::abs(dq[3]) < 1e-6;  // a micrometre: far below any resolution
        p = q, accepted = true, lambda = std::max(lambda / 10, 1e-9);
      } else {
        lambda *= 10;
      }
    }
    if (!accepted) converged = true;  // no descent left at this weighting: a minimum
  }
  out.iterations = it;
  if (!converged) {
    out.status = HyperbolaStatus::not_converged;
    return out;
  }
  if (p[2] <= opt_.v_min * (1 + 1e-9) || p[2] >= opt_.v_max * (1 - 1e-9)) {
    out.status = HyperbolaStatus::velocity_out_of_range;
    return out;
  }
  residuals(p);
  double ss = 0;
  for (std::size_t k = 0; k < np; ++k) ss += r_[k] * r_[k];
  out.status = HyperbolaStatus::ok;
  out.x0_m = xa + p[0];
  out.t0_ns = two_way(p[0], p[0], p[1], p[2], p[3], h_, o).t;
  out.radius_m = p[3];
  out.velocity_m_ns = p[2];
  out.permittivity = (c_m_ns / p[2]) * (c_m_ns / p[2]);
  out.depth_m = p[1];
  out.residual_ns = std::sqrt(ss / double(np));
  // fractional trace: interpolate (or extrapolate) the positions
  Index j = j_lo;
  while (j + 1 < j_hi && position(j + 1) < out.x0_m) ++j;
  const Index j2 = std::min(j + 1, m - 1);
  out.x0_trace = j2 == j ? double(j) : double(j) + (out.x0_m - position(j)) / (position(j2) - position(j));
  return out;
}

template <class T>
HyperbolaFit fit_hyperbola(ConstView<T> bscan, const TraceFormat& f, std::span<const double> position_m,
                           const GprAlarm& a, const HyperbolaOptions& opt) {
  HyperbolaFitter<T> h(f, opt);
  return h.fit(bscan, position_m, a);
}

#define SAPPER_HYPERBOLA_INST(T)                                                                         \
  template class HyperbolaFitter<T>;                                                                     \
  template GroundBounce pick_ground<T>(ConstView<T>, const TraceFormat&, Index, Index, double, double); \
  template HyperbolaFit fit_hyperbola<T>(ConstView<T>, const TraceFormat&, std::span<const double>,      \
                                         const GprAlarm&, const HyperbolaOptions&);
SAPPER_HYPERBOLA_INST(float)
SAPPER_HYPERBOLA_INST(double)

}  // namespace sapper::detect
