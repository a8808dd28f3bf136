// Context features of GPR alarms: see include/sapper/detect/context.hpp. The definitions (and the
// order of every sum, so that float64 results match the numpy reference to rounding) are those of
// sapper.pipeline.context_features before it moved here.
#include "sapper/detect/context.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "sapper/core/error.hpp"
#include "sapper/core/median.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::detect {
namespace {

constexpr double kTiny = 1e-30;

void check(const ContextOptions& o) {
  require(o.half >= 1, "half = ", o.half, " must be >= 1 sample");
  require(o.step >= 1 && (3 * o.half) % o.step == 0, "step = ", o.step, " must divide 3 half = ", 3 * o.half);
  require(o.search >= 0, "search = ", o.search, " must be >= 0 samples");
  require(std::isfinite(o.local_m) && o.local_m >= 0, "local_m = ", o.local_m, " must be finite and >= 0");
}

/// Mean of traces t-1..t+1 (clipped at the ends) of a B-scan, summed left to right as numpy does.
template <class T>
void mean3(const ConstView<T>& b, Index t, std::vector<double>& out) {
  const Index n = b.rows(), j0 = std::max<Index>(t - 1, 0), j1 = std::min<Index>(t + 1, b.cols() - 1);
  for (Index i = 0; i < n; ++i) out[std::size_t(i)] = double(b(i, j0));
  for (Index j = j0 + 1; j <= j1; ++j)
    for (Index i = 0; i < n; ++i) out[std::size_t(i)] += double(b(i, j));
  const double k = double(j1 - j0 + 1);
  for (Index i = 0; i < n; ++i) out[std::size_t(i)] /= k;
}

/// w[s0 - half .. s0 + 2 half), zero outside the record.
void segment(const std::vector<double>& w, Index s0, Index half, std::vector<double>& seg) {
  const Index n = Index(w.size());
  for (Index i = 0; i < 3 * half; ++i) {
    const Index k = s0 - half + i;
    seg[std::size_t(i)] = k >= 0 && k < n ? w[std::size_t(k)] : 0.0;
  }
}

double absmax(const std::vector<double>& w, Index lo, Index hi) {
  double m = 0;
  for (Index i = lo; i < hi; ++i) m = std::max(m, std::abs(w[std::size_t(i)]));
  return m;
}

/// numpy's median of |b| (mean of the two middle values for an even count).
template <class T>
double abs_median(const ConstView<T>& b, std::vector<double>& buf) {
  const Index n = b.rows(), m = b.cols();
  buf.resize(std::size_t(n * m));
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < n; ++i) buf[std::size_t(j * n + i)] = std::abs(double(b(i, j)));
  return median_inplace(buf);
}

/// (rank + 0.5) / n with ranks of a stable sort (NaN last, as numpy sorts).
void percentile_ranks(const std::vector<double>& v, Matrix<double>& X, Index col) {
  const auto n = v.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return v[a] < v[b] || (!std::isnan(v[a]) && std::isnan(v[b]));
  });
  for (std::size_t r = 0; r < n; ++r) X(Index(order[r]), col) = (double(r) + 0.5) / double(n);
}

}  // namespace

std::vector<std::string> context_feature_names(const ContextOptions& opt) {
  check(opt);
  std::vector<std::string> names;
  for (Index k = 0; k < 3 * opt.half / opt.step; ++k) names.push_back(detail::concat("wf_", k));
  names.insert(names.end(), {"wf_sign", "wf_amp_db", "nb_max", "nb_min", "nb_corr", "along_3", "along_6",
                             "lane_score_pct", "lane_amp_pct", "local_n", "local_rel"});
  return names;
}

template <class T>
Matrix<double> context_features(std::span<const ConstView<T>> ch, std::span<const GprAlarm> alarms,
                                const ContextOptions& opt, int threads) {
  check(opt);
  const Index nc = Index(ch.size());
  require(nc >= 1, "the C-scan has no channel");
  const Index ns = ch[0].rows(), nt = ch[0].cols();
  require(ns >= 1 && nt >= 1, "the C-scan is empty (", ns, " samples x ", nt, " traces)");
  for (Index c = 0; c < nc; ++c) {
    const auto& b = ch[std::size_t(c)];
    require(b.rows() == ns && b.cols() == nt, "channel ", c, " is ", b.rows(), " x ", b.cols(), "; channel 0 is ", ns,
            " x ", nt);
    require(b.allFinite(), "channel ", c, " holds NaN or Inf");
  }
  const Index n = Index(alarms.size()), half = opt.half, step = opt.step, search = opt.search;
  const Index nw = 3 * half / step;
  std::vector<char> used(std::size_t(nc), 0);
  for (Index k = 0; k < n; ++k) {
    const GprAlarm& a = alarms[std::size_t(k)];
    require(a.channel >= 0 && a.channel < nc && a.trace >= 0 && a.trace < nt && a.sample >= 0 && a.sample < ns,
            "alarm ", k, " (trace ", a.trace, ", channel ", a.channel, ", sample ", a.sample, ") lies outside the ",
            ns, " x ", nt, " x ", nc, " C-scan");
    used[std::size_t(a.channel)] = 1;
  }
  Matrix<double> X = Matrix<double>::Zero(n, nw + 11);
  if (n == 0) return X;

  std::vector<double> flo(std::size_t(nc), 0.0);  // only the channels with alarms: a median costs a copy
  parallel_for(
      nc, threads,
      [&](Index b, Index e) {
        std::vector<double> buf;
        for (Index c = b; c < e; ++c)
          if (used[std::size_t(c)]) flo[std::size_t(c)] = abs_median(ch[std::size_t(c)], buf) + kTiny;
      },
      1);

  std::vector<double> amp(static_cast<std::size_t>(n));
  parallel_for(
      n, threads,
      [&](Index b, Index e) {
        const auto len = std::size_t(ns), len3 = std::size_t(3 * half);
        std::vector<double> w(len), v(len), seg(len3), sv(len3);
        for (Index k = b; k < e; ++k) {
          const GprAlarm& a = alarms[std::size_t(k)];
          const Index t = a.trace, c = a.channel, s = a.sample;
          mean3(ch[std::size_t(c)], t, w);
          const Index lo = std::max<Index>(s - search, 0), hi = std::min(s + search + 1, ns);
          Index s0 = lo;
          for (Index i = lo + 1; i < hi; ++i)
            if (std::abs(w[std::size_t(i)]) > std::abs(w[std::size_t(s0)])) s0 = i;
          const double w0 = w[std::size_t(s0)], p = std::abs(w0) + kTiny;
          amp[std::size_t(k)] = p;
          segment(w, s0, half, seg);
          for (Index q = 0; q < nw; ++q) {
            double sum = 0;
            for (Index i = q * step; i < (q + 1) * step; ++i) sum += seg[std::size_t(i)] / p;
            X(k, q) = sum / double(step);
          }
          X(k, nw) = double((w0 > 0) - (w0 < 0));
          X(k, nw + 1) = 20 * std::log10(p / flo[std::size_t(c)]);
          double seg_ss = 0;
          for (double x : seg) seg_ss += x * x;
          double nb_max = -std::numeric_limits<double>::infinity(), nb_min = -nb_max, corr = nb_max;
          bool any = false;
          for (const Index cc : {c - 1, c + 1}) {
            if (cc < 0 || cc >= nc) continue;
            mean3(ch[std::size_t(cc)], t, v);
            const double r = absmax(v, lo, hi) / p;
            nb_max = std::max(nb_max, r), nb_min = std::min(nb_min, r), any = true;
            segment(v, s0, half, sv);
            double dot = 0, ss = 0;
            for (std::size_t i = 0; i < sv.size(); ++i) dot += sv[i] * seg[i], ss += sv[i] * sv[i];
            corr = std::max(corr, dot / (std::sqrt(ss) * std::sqrt(seg_ss) + kTiny));
          }
          if (any) X(k, nw + 2) = nb_max, X(k, nw + 3) = nb_min, X(k, nw + 4) = corr;
          const Index a0 = std::max<Index>(s0 - 2 * search, 0), a1 = std::min(s0 + 2 * search + 1, ns);
          for (int j = 0; j < 2; ++j) {
            const Index d = j == 0 ? 3 : 6;
            double sum = 0;
            int cnt = 0;
            for (const Index tt : {t - d, t + d}) {
              if (tt < 0 || tt >= nt) continue;
              mean3(ch[std::size_t(c)], tt, v);
              sum += absmax(v, a0, a1) / p, ++cnt;
            }
            X(k, nw + 5 + j) = cnt ? sum / cnt : 0.0;
          }
        }
      },
      16);

  std::vector<double> sc(static_cast<std::size_t>(n));
  for (Index k = 0; k < n; ++k) sc[std::size_t(k)] = alarms[std::size_t(k)].score;
  percentile_ranks(sc, X, nw + 7);
  percentile_ranks(amp, X, nw + 8);
  parallel_for(
      n, threads,
      [&](Index b, Index e) {
        for (Index i = b; i < e; ++i) {
          const GprAlarm& ai = alarms[std::size_t(i)];
          Index cnt = 0;
          double best = -std::numeric_limits<double>::infinity();
          for (Index j = 0; j < n; ++j) {
            const GprAlarm& aj = alarms[std::size_t(j)];
            const bool near = std::hypot(ai.x_m - aj.x_m, ai.y_m - aj.y_m) <= opt.local_m;
            cnt += near;
            best = std::max(best, near ? aj.score : 0.0);
          }
          X(i, nw + 9) = double(cnt - 1);
          X(i, nw + 10) = ai.score / best;
        }
      },
      64);
  X = X.unaryExpr([](double x) { return std::isfinite(x) ? x : 0.0; });
  return X;
}

std::vector<Index> merge_alarms(std::span<const double> x, std::span<const double> y,
                                std::span<const double> confidence, std::span<const double> radius_m) {
  const std::size_t n = x.size();
  require(y.size() == n && confidence.size() == n, "x, y, confidence have ", n, ", ", y.size(), ", ",
          confidence.size(), " entries; they must have one per alarm");
  require(radius_m.size() == n || radius_m.size() == 1, "radius_m has ", radius_m.size(),
          " entries; it must have one per alarm (", n, ") or one for all");
  for (const double r : radius_m) require(r >= 0, "radius_m = ", r, " must be >= 0");
  auto rad = [&](std::size_t k) { return radius_m.size() == 1 ? radius_m[0] : radius_m[k]; };
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return confidence[a] > confidence[b] || (!std::isnan(confidence[a]) && std::isnan(confidence[b]));
  });
  std::vector<std::size_t> keep;
  for (const std::size_t i : order) {
    bool far = true;
    for (const std::size_t k : keep) {
      const double dx = x[i] - x[k], dy = y[i] - y[k], r = rad(k);
      if (!(dx * dx + dy * dy > r * r)) {
        far = false;
        break;
      }
    }
    if (far) keep.push_back(i);
  }
  std::sort(keep.begin(), keep.end());
  return {keep.begin(), keep.end()};
}

#define SAPPER_CONTEXT_INST(T)                                                                              \
  template Matrix<double> context_features<T>(std::span<const ConstView<T>>, std::span<const GprAlarm>, \
                                              const ContextOptions&, int);
SAPPER_CONTEXT_INST(float)
SAPPER_CONTEXT_INST(double)

}  // namespace sapper::detect
