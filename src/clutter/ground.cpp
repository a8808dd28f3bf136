#include "sapper/clutter/ground.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ground_detail.hpp"
#include "sapper/clutter/subspace.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/gpr/ops.hpp"

namespace sapper::clutter {

namespace {

using detail::vertex;

/// Centred running median of x over `window` entries (truncated at the ends).
std::vector<double> running_median(const std::vector<double>& x, Index window) {
  const Index m = Index(x.size()), h = window / 2;
  std::vector<double> out(x.size()), buf;
  for (Index j = 0; j < m; ++j) {
    buf.assign(x.begin() + std::max<Index>(0, j - h), x.begin() + std::min(m, j + h + 1));
    out[std::size_t(j)] = median_inplace(buf);
  }
  return out;
}

/// Replaces picks farther than k robust deviations from their running median (scale floored at a
/// quarter sample, so that perfectly flat ground does not make every tiny difference an outlier).
void reject_outliers(std::vector<double>& p, Index window, double k, double dt) {
  if (window <= 1 || k <= 0 || p.size() < 3) return;
  const auto med = running_median(p, window);
  std::vector<double> d(p.size());
  for (std::size_t j = 0; j < p.size(); ++j) d[j] = std::abs(p[j] - med[j]);
  auto dd = d;
  const double scale = std::max(1.4826 * median_inplace(dd), 0.25 * dt);
  for (std::size_t j = 0; j < p.size(); ++j)
    if (d[j] > k * scale) p[j] = med[j];
}

/// Per-sample median over traces [j0, j1) of y, rows [i0, i1).
template <class T>
void row_median(const Matrix<T>& y, Index i0, Index i1, Index j0, Index j1, std::vector<double>& g) {
  std::vector<double> buf(static_cast<std::size_t>(j1 - j0));
  g.assign(std::size_t(i1 - i0), 0.0);
  for (Index i = i0; i < i1; ++i) {
    for (Index j = j0; j < j1; ++j) buf[std::size_t(j - j0)] = double(y(i, j));
    g[std::size_t(i - i0)] = median_inplace(buf);
  }
}

double period_ns(const std::vector<double>& g, Index c, double dt) {
  return detail::period_ns(g, Index(g.size()), c, dt);
}

void check(const TraceFormat& f, Index rows, std::span<const double> ground, Index m) {
  require(f.n_samples == rows, "format.n_samples = ", f.n_samples, " but the data has ", rows, " samples");
  require(std::isfinite(f.dt_ns) && f.dt_ns > 0, "dt_ns = ", f.dt_ns, " must be positive");
  require(Index(ground.size()) == m, "ground_ns has ", ground.size(), " picks for ", m, " traces");
  for (std::size_t j = 0; j < ground.size(); ++j)
    require(std::isfinite(ground[j]), "ground_ns[", j, "] = ", ground[j], " must be finite");
}

}  // namespace

template <class T>
double flatten(ConstView<T> in, View<T> out, const TraceFormat& f, std::span<const double> ground_ns,
               double reference_ns, int threads) {
  check(f, in.rows(), ground_ns, in.cols());
  if (std::isnan(reference_ns)) {
    std::vector<double> p(ground_ns.begin(), ground_ns.end());
    reference_ns = median_inplace(p);
  }
  require(std::isfinite(reference_ns), "reference_ns = ", reference_ns, " must be finite");
  std::vector<double> s(ground_ns.size());
  for (std::size_t j = 0; j < s.size(); ++j) s[j] = reference_ns - ground_ns[j];
  gpr::shift_traces<T>(in, out, f, s, threads);
  return reference_ns;
}

template <class T>
std::vector<double> track_ground(ConstView<T> in, const TraceFormat& f, const GroundTrackOptions& o, int threads) {
  const Index n = in.rows(), m = in.cols();
  require(n >= 3 && m >= 1, "track_ground needs at least 3 samples and 1 trace, got ", n, " x ", m);
  require(f.n_samples == n, "format.n_samples = ", f.n_samples, " but the data has ", n, " samples");
  require(std::isfinite(f.dt_ns) && f.dt_ns > 0, "dt_ns = ", f.dt_ns, " must be positive");
  require(std::isfinite(o.search_start_ns) && o.search_start_ns >= 0 && std::isfinite(o.search_end_ns),
          "search window [", o.search_start_ns, ", ", o.search_end_ns, "] ns must be finite and start >= 0");
  require(o.outlier_window >= 0 && o.outlier_mads >= 0 && std::isfinite(o.outlier_mads), "outlier_window = ",
          o.outlier_window, " and outlier_mads = ", o.outlier_mads, " must be >= 0");
  require(o.smooth_traces >= 1, "smooth_traces = ", o.smooth_traces, " must be >= 1");
  require(o.refine_iterations >= 0 && o.refine_iterations <= 20, "refine_iterations = ", o.refine_iterations,
          " must be in 0..20");
  require(std::isfinite(o.gate_ns) && o.gate_ns >= 0, "gate_ns = ", o.gate_ns, " must be >= 0");
  const double dt = f.dt_ns;
  const Index s0 = std::clamp<Index>(Index(std::ceil(o.search_start_ns / dt)), 0, n - 1);
  const Index s1 = o.search_end_ns > o.search_start_ns
                       ? std::clamp<Index>(Index(std::floor(o.search_end_ns / dt)) + 1, s0 + 1, n)
                       : n;
  require(s1 - s0 >= 1, "the search window holds no sample");

  std::vector<double> p(static_cast<std::size_t>(m));
  parallel_for(m, threads, [&](Index j0, Index j1) {
    for (Index j = j0; j < j1; ++j) {
      const auto x = in.col(j);
      Index k = s0;
      for (Index i = s0 + 1; i < s1; ++i)
        if (std::abs(double(x(i))) > std::abs(double(x(k)))) k = i;
      double d = 0;
      if (k > 0 && k + 1 < n) d = vertex(std::abs(double(x(k - 1))), std::abs(double(x(k))), std::abs(double(x(k + 1))));
      p[std::size_t(j)] = (double(k) + d) * dt;
    }
  });
  reject_outliers(p, o.outlier_window, o.outlier_mads, dt);

  Matrix<T> y(n, m);
  std::vector<double> g;
  for (int it = 0; it < o.refine_iterations; ++it) {
    const double r = flatten<T>(in, y, f, p, std::numeric_limits<double>::quiet_NaN(), threads);
    row_median(y, 0, n, 0, m, g);
    const Index c = std::clamp<Index>(Index(std::lround(r / dt)), 0, n - 1);
    const double gate = o.gate_ns > 0 ? o.gate_ns : 1.5 * period_ns(g, c, dt);
    const Index i0 = std::max<Index>(0, c - Index(std::ceil(gate / dt))), i1 = std::min(n, c + Index(std::ceil(gate / dt)) + 1);
    const Index lag = std::max<Index>(1, Index(std::ceil(0.25 * period_ns(g, c, dt) / dt)));  // within half a period
    parallel_for(m, threads, [&](Index j0, Index j1) {
      std::vector<double> cc(static_cast<std::size_t>(2 * lag + 1));
      for (Index j = j0; j < j1; ++j) {
        for (Index l = -lag; l <= lag; ++l) {
          double s = 0;
          for (Index i = std::max(i0, -l); i < std::min(i1, n - l); ++i) s += g[std::size_t(i)] * double(y(i + l, j));
          cc[std::size_t(l + lag)] = s;
        }
        const auto best = Index(std::max_element(cc.begin(), cc.end()) - cc.begin());
        double d = 0;
        if (best > 0 && best < 2 * lag) d = vertex(cc[std::size_t(best - 1)], cc[std::size_t(best)], cc[std::size_t(best + 1)]);
        p[std::size_t(j)] += (double(best - lag) + d) * dt;
      }
    });
    reject_outliers(p, o.outlier_window, o.outlier_mads, dt);
  }
  if (o.smooth_traces > 1) {
    const Index h = o.smooth_traces / 2;
    std::vector<double> s(p.size());
    for (Index j = 0; j < m; ++j) {
      const Index a = std::max<Index>(0, j - h), b = std::min(m, j + h + 1);
      double acc = 0;
      for (Index k = a; k < b; ++k) acc += p[std::size_t(k)];
      s[std::size_t(j)] = acc / double(b - a);
    }
    p = std::move(s);
  }
  return p;
}

namespace {

/// remove_ground and suppress_ground: with `track`, the picks are re-tracked on x - C before
/// every bounce fit after the first.
template <class T>
GroundFit remove_impl(ConstView<T> in, View<T> out, const TraceFormat& f, std::vector<double> picks,
                      const GroundRemovalOptions& o, const GroundTrackOptions* track, int threads) {
  const Index n = in.rows(), m = in.cols();
  require(n >= 3 && m >= 1, "remove_ground needs at least 3 samples and 1 trace, got ", n, " x ", m);
  require(out.rows() == n && out.cols() == m, "out is ", out.rows(), " x ", out.cols(), ", in is ", n, " x ", m);
  check(f, n, picks, m);
  require(std::isfinite(o.gate_before_ns) && o.gate_before_ns >= 0 && std::isfinite(o.gate_after_ns) &&
              o.gate_after_ns >= 0,
          "gate (before, after) = (", o.gate_before_ns, ", ", o.gate_after_ns, ") ns must be >= 0");
  require(o.template_traces >= 0, "template_traces = ", o.template_traces, " must be >= 0 (0: all traces)");
  require(!o.remove_ringing || (o.ringing_rank >= 0 && o.ringing_rank <= std::min(n, m)), "ringing_rank = ",
          o.ringing_rank, " must be in 0..min(n_samples, n_traces) = ", std::min(n, m), " (0: automatic)");
  require(!o.remove_ringing || o.ringing_rank > 0 || (o.ringing_max_rank >= 1 && o.ringing_max_rank < std::min(n, m)),
          "ringing_max_rank = ", o.ringing_max_rank, " must be in 1..min(n_samples, n_traces) - 1 = ",
          std::min(n, m) - 1);
  require(o.iterations >= 1 && o.iterations <= 20, "iterations = ", o.iterations, " must be in 1..20");
  const double dt = f.dt_ns;
  GroundFit fit;
  fit.amplitude.assign(std::size_t(m), 0.0);
  fit.shift_ns.assign(std::size_t(m), 0.0);
  fit.removed_fraction.assign(std::size_t(m), 0.0);
  Matrix<T> y(n, m), model(n, m);
  std::vector<double> back(static_cast<std::size_t>(m)), w;
  // The bounce model of z (flattened, fitted, shifted back to each trace's bounce) into `model`.
  const auto fit_model = [&](ConstView<T> z, bool first) {
    fit.reference_ns = flatten<T>(z, y, f, picks, std::numeric_limits<double>::quiet_NaN(), threads);
    const Index c = std::clamp<Index>(Index(std::lround(fit.reference_ns / dt)), 0, n - 1);
    std::vector<double> g_all;
    row_median(y, 0, n, 0, m, g_all);
    if (first) {  // the gate's length, from the first median bounce
      const double period = period_ns(g_all, c, dt);
      fit.gate_before_ns = o.gate_before_ns > 0 ? o.gate_before_ns : 2.5 * period;
      fit.gate_after_ns = o.gate_after_ns > 0 ? o.gate_after_ns : 2.5 * period;
    }
    // the gate follows the reference (which moves when the picks are re-tracked)
    const Index i0 = std::max<Index>(0, c - Index(std::ceil(fit.gate_before_ns / dt)));
    const Index i1 = std::min(n, c + Index(std::ceil(fit.gate_after_ns / dt)) + 1);
    // Tukey taper: cosine ramps over a quarter of the gate at each end, so the subtraction fades in and out.
    const Index L = i1 - i0, ramp = std::max<Index>(1, L / 4);
    w.assign(static_cast<std::size_t>(L), 1.0);
    for (Index i = 0; i < ramp && i < L; ++i) {
      const double v = 0.5 * (1 - std::cos(std::numbers::pi * (double(i) + 0.5) / double(ramp)));
      w[std::size_t(i)] = std::min(w[std::size_t(i)], v);
      w[std::size_t(L - 1 - i)] = std::min(w[std::size_t(L - 1 - i)], v);
    }
    const Index h = o.template_traces / 2;
    model.setZero();
    parallel_for(m, threads, [&](Index j0, Index j1) {
      std::vector<double> g(g_all.begin() + i0, g_all.begin() + i1), dg(static_cast<std::size_t>(L));
      for (Index j = j0; j < j1; ++j) {
        if (o.template_traces > 0) row_median(y, i0, i1, std::max<Index>(0, j - h), std::min(m, j + h + 1), g);
        for (Index i = 0; i < L; ++i) {
          const Index lo = std::max<Index>(i - 1, 0), hi = std::min(i + 1, L - 1);
          dg[std::size_t(i)] = hi > lo ? (g[std::size_t(hi)] - g[std::size_t(lo)]) / (double(hi - lo) * dt) : 0.0;
        }
        // weighted normal equations of y ~ a g + b g' over the gate
        double gg = 0, gd = 0, dd = 0, gy = 0, dy = 0, yy = 0;
        for (Index i = 0; i < L; ++i) {
          const double ww = w[std::size_t(i)], gi = g[std::size_t(i)], di = dg[std::size_t(i)], yi = double(y(i0 + i, j));
          gg += ww * gi * gi, gd += ww * gi * di, dd += ww * di * di, gy += ww * gi * yi, dy += ww * di * yi, yy += ww * yi * yi;
        }
        const auto [a, b] = detail::scale_shift(gg, gd, dd, gy, dy, o.fit_shift);
        double em = 0;
        for (Index i = 0; i < L; ++i) {
          const double v = w[std::size_t(i)] * (a * g[std::size_t(i)] + b * dg[std::size_t(i)]);
          model(i0 + i, j) = T(v);
          em += v * v;
        }
        fit.amplitude[std::size_t(j)] = a;
        fit.shift_ns[std::size_t(j)] = a != 0 ? -b / a : 0.0;
        fit.removed_fraction[std::size_t(j)] = yy > 0 ? std::min(1.0, em / yy) : 0.0;
      }
    });
    for (Index j = 0; j < m; ++j) back[std::size_t(j)] = picks[std::size_t(j)] - fit.reference_ns;
    gpr::shift_traces<T>(model, model, f, back, threads);
  };
  fit_model(in, true);
  if (!o.remove_ringing) {
    if (out.data() != in.data()) out = in;
    out -= model;
    fit.ground_ns = std::move(picks);
    return fit;
  }
  // Coupling and ringing C are fixed in time while the bounce follows the ground: alternate
  // between C = leading singular components of x - bounce and the bounce fitted to x - C.
  EigenimageOptions eo;
  eo.rank.rank = o.ringing_rank;  // 0: the gap rule, up to ringing_max_rank
  eo.rank.max_rank = o.ringing_max_rank;
  eo.svd.threads = threads;
  Matrix<T> r(n, m);
  for (int it = 1; it < o.iterations; ++it) {
    r = in - model;
    eigenimage<T>(r, r, eo);  // x - bounce - C
    r += model;               // x - C
    if (track) picks = track_ground<T>(r, f, *track, threads);
    fit_model(r, false);
  }
  r = in - model;
  fit.ringing_rank = eigenimage<T>(r, out, eo).front();
  fit.ground_ns = std::move(picks);
  return fit;
}

}  // namespace

template <class T>
GroundFit remove_ground(ConstView<T> in, View<T> out, const TraceFormat& f, std::span<const double> ground_ns,
                        const GroundRemovalOptions& o, int threads) {
  return remove_impl<T>(in, out, f, std::vector<double>(ground_ns.begin(), ground_ns.end()), o, nullptr, threads);
}

template <class T>
GroundFit suppress_ground(ConstView<T> in, View<T> out, const TraceFormat& f, const GroundTrackOptions& track,
                          const GroundRemovalOptions& o, int threads) {
  auto picks = track_ground<T>(in, f, track, threads);
  return remove_impl<T>(in, out, f, std::move(picks), o, &track, threads);
}

#define SAPPER_CLUTTER_GROUND_INSTANTIATE(T)                                                                        \
  template std::vector<double> track_ground<T>(ConstView<T>, const TraceFormat&, const GroundTrackOptions&, int); \
  template double flatten<T>(ConstView<T>, View<T>, const TraceFormat&, std::span<const double>, double, int);     \
  template GroundFit remove_ground<T>(ConstView<T>, View<T>, const TraceFormat&, std::span<const double>,         \
                                      const GroundRemovalOptions&, int);                                    \
  template GroundFit suppress_ground<T>(ConstView<T>, View<T>, const TraceFormat&, const GroundTrackOptions&,     \
                                        const GroundRemovalOptions&, int);
SAPPER_CLUTTER_GROUND_INSTANTIATE(float)
SAPPER_CLUTTER_GROUND_INSTANTIATE(double)

}  // namespace sapper::clutter
