// Depth-gated energy and LMS prediction-error statistics of the GPR prescreeners, streamed into
// CfarStream: see sapper/detect/prescreen.hpp and docs/detect_prescreen.md.
#include <algorithm>
#include <cmath>

#include "sapper/detect/prescreen.hpp"

namespace sapper::detect {

template <class T>
PrescreenStream<T>::PrescreenStream(const TraceFormat& f, Index n_channels, const PrescreenOptions& opt)
    : opt_(opt),
      ns_(f.n_samples),
      nc_(n_channels),
      back_(n_channels, opt.cfar, f.dt_ns, f.time_zero_ns) {
  require(ns_ >= 1, "n_samples = ", ns_, " must be >= 1");
  require(std::isfinite(f.dt_ns) && f.dt_ns > 0, "dt_ns = ", f.dt_ns, " must be a positive number of ns");
  require(std::isfinite(opt.gate_start_ns) && !std::isnan(opt.gate_end_ns) && opt.gate_start_ns < opt.gate_end_ns,
          "gate [", opt.gate_start_ns, ", ", opt.gate_end_ns, "] ns must have a finite start before its end");
  // sample i is at i dt - time_zero after time zero
  const double a = (opt.gate_start_ns + f.time_zero_ns) / f.dt_ns, b = (opt.gate_end_ns + f.time_zero_ns) / f.dt_ns;
  i0_ = Index(std::clamp(std::ceil(a - 1e-9), 0.0, double(ns_)));
  i1_ = Index(std::clamp(std::floor(b + 1e-9) + 1, 0.0, double(ns_)));
  require(i0_ < i1_, "gate [", opt.gate_start_ns, ", ", opt.gate_end_ns, "] ns holds no sample of the record [",
          -f.time_zero_ns, ", ", double(ns_ - 1) * f.dt_ns - f.time_zero_ns, "] ns");
  const Index lg = i1_ - i0_;
  stat_.resize(nc_), peak_.resize(nc_);
  e_.resize(lg);
  d_ = k_ = r_ = 0;
  if (opt.statistic == Statistic::lms) {
    require(opt.lms_traces >= 1, "lms_traces = ", opt.lms_traces, " must be >= 1");
    require(opt.lms_gap >= 0, "lms_gap = ", opt.lms_gap, " must be >= 0 traces");
    require(opt.lms_depth >= 0, "lms_depth = ", opt.lms_depth, " must be >= 0 samples");
    require(opt.lms_channels >= 0 && opt.lms_channels < nc_, "lms_channels = ", opt.lms_channels,
            " must be in [0, n_channels - 1 = ", nc_ - 1, "]");
    require(std::isfinite(opt.lms_step) && opt.lms_step > 0 && opt.lms_step < 2, "lms_step = ", opt.lms_step,
            " must be in (0, 2)");
    d_ = opt.lms_depth, k_ = opt.lms_traces, r_ = opt.lms_channels, slots_ = k_ + opt.lms_gap;
    hist_.resize(lg + 2 * d_, slots_ * nc_);
    w_.resize(lg, k_ * (2 * d_ + 1) * (2 * r_ + 1) * nc_);
    pred_.resize(lg), uu_.resize(lg);
  }
  reset();
}

template <class T>
void PrescreenStream<T>::reset() {
  back_.reset();
  hist_.setZero(), w_.setZero();
  // start as the mean of the reference traces: a flat background is cancelled from the first trace
  // instead of raising alarms while the weights converge
  const Index terms = k_ * (2 * d_ + 1) * (2 * r_ + 1);
  if (opt_.statistic == Statistic::lms)
    for (Index c = 0; c < nc_; ++c)
      for (Index k = 0; k < k_; ++k)
        w_.col(c * terms + (k * (2 * r_ + 1) + r_) * (2 * d_ + 1) + d_).setConstant(T(1) / T(k_));
  seen_ = 0;
}

template <class T>
void PrescreenStream<T>::statistic(std::span<const ConstView<T>> ch, Index j, Index c) {
  const Index lg = i1_ - i0_;
  auto x = ch[std::size_t(c)].col(j).segment(i0_, lg).array();
  if (opt_.statistic == Statistic::energy) {
    e_ = x;
  } else {  // NLMS: predict from traces j-gap-1 .. j-gap-k_, samples +-d_, channels +-r_; then adapt
    const Index terms = k_ * (2 * d_ + 1) * (2 * r_ + 1);
    pred_.setZero(), uu_.setZero();
    auto each = [&](auto&& f) {
      for (Index k = 1; k <= k_; ++k)
        for (Index dc = -r_; dc <= r_; ++dc) {
          if (c + dc < 0 || c + dc >= nc_) continue;
          const Index slot = (seen_ - opt_.lms_gap - k + slots_) % slots_ * nc_ + c + dc;
          for (Index dd = -d_; dd <= d_; ++dd) {
            const Index t = ((k - 1) * (2 * r_ + 1) + dc + r_) * (2 * d_ + 1) + dd + d_;
            f(w_.col(c * terms + t).array(), hist_.col(slot).segment(d_ + dd, lg).array());
          }
        }
    };
    each([&](auto w, auto u) { pred_ += w * u, uu_ += u.square(); });
    e_ = x - pred_;
    pred_ = (uu_ > T(0)).select(T(opt_.lms_step) * e_ / uu_, T(0));  // the NLMS gain of each sample
    each([&](auto w, auto u) { w += pred_ * u; });
  }
  double s = 0, best = -1;
  Index at = -1;
  for (Index i = 0; i < lg; ++i) {  // in index order: the same sum for any block split
    const double v = double(e_(i)) * double(e_(i));
    s += v;
    if (v > best) best = v, at = i;
  }
  stat_(c) = s / double(lg), peak_(c) = i0_ + at;
}

template <class T>
Index PrescreenStream<T>::process(std::span<const ConstView<T>> ch, std::vector<GprAlarm>& alarms,
                                  const TraceRows& rows) {
  require(Index(ch.size()) == nc_, "process: ", ch.size(), " channels given, the stream has ", nc_);
  const Index n = ch.empty() ? 0 : ch[0].cols();
  for (const auto& v : ch)
    require(v.rows() == ns_ && v.cols() == n, "process: a channel block is ", v.rows(), " x ", v.cols(), ", expected ",
            ns_, " x ", n);
  const bool lms = opt_.statistic == Statistic::lms;
  auto remember = [&](Index j, Index slot) {  // trace j of every channel into history slot
    for (Index c = 0; c < nc_; ++c) {
      auto col = hist_.col(slot * nc_ + c);
      for (Index r = 0; r < col.size(); ++r) {
        const Index i = i0_ - d_ + r;
        col(r) = i >= 0 && i < ns_ ? ch[std::size_t(c)](i, j) : T(0);
      }
    }
  };
  Index written = 0;
  for (Index j = 0; j < n; ++j) {
    if (lms && seen_ == 0)  // the first trace stands in for the traces before it
      for (Index k = 0; k < slots_; ++k) remember(j, k);
    for (Index c = 0; c < nc_; ++c) statistic(ch, j, c);
    if (lms) remember(j, seen_ % slots_);  // after all channels: they read the previous traces only
    ++seen_;
    const TraceRows at{rows.statistic ? rows.statistic + written * nc_ : nullptr,
                       rows.score ? rows.score + written * nc_ : nullptr,
                       rows.sample ? rows.sample + written * nc_ : nullptr};
    written += back_.process(stat_.data(), peak_.data(), 1, alarms, at);
  }
  return written;
}

template <class T>
Index PrescreenStream<T>::process(ConstView<T> bscan, std::vector<GprAlarm>& alarms, const TraceRows& rows) {
  return process(std::span<const ConstView<T>>(&bscan, 1), alarms, rows);
}

template <class T>
Prescreen prescreen(std::span<const ConstView<T>> ch, const TraceFormat& format, const PrescreenOptions& opt) {
  require(!ch.empty(), "prescreen: no channels");
  const Index m = ch[0].rows(), n = ch[0].cols(), nc = Index(ch.size());
  require(m >= 1 && n >= 1, "prescreen: the B-scan is empty (", m, " x ", n, ")");
  require(format.n_samples == m, "format.n_samples = ", format.n_samples, " but the data has ", m,
          " samples per trace");
  for (Index c = 0; c < nc; ++c) {
    const auto& v = ch[std::size_t(c)];
    require(v.rows() == m && v.cols() == n, "prescreen: channel ", c, " is ", v.rows(), " x ", v.cols(),
            ", channel 0 is ", m, " x ", n);
    for (Index j = 0; j < n; ++j)
      for (Index i = 0; i < m; ++i)
        if (!std::isfinite(v(i, j)))
          throw ValueError(detail::concat("prescreen: data holds ", double(v(i, j)), " at sample ", i, ", trace ", j,
                                          ", channel ", c));
  }
  PrescreenStream<T> st(format, nc, opt);
  Prescreen r;
  Eigen::MatrixXd stat_t(nc, n), score_t(nc, n);
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> smp_t(nc, n);
  const Index done = st.process(ch, r.alarms, {stat_t.data(), score_t.data(), smp_t.data()});
  st.flush(r.alarms, {stat_t.data() + done * nc, score_t.data() + done * nc, smp_t.data() + done * nc});
  r.statistic = stat_t.transpose(), r.score = score_t.transpose(), r.sample = smp_t.transpose();
  return r;
}

template <class T>
Prescreen prescreen(ConstView<T> bscan, const TraceFormat& format, const PrescreenOptions& opt) {
  return prescreen<T>(std::span<const ConstView<T>>(&bscan, 1), format, opt);
}

#define SAPPER_DETECT_PRESCREEN_INST(T)                                                                         \
  template class PrescreenStream<T>;                                                                            \
  template Prescreen prescreen<T>(std::span<const ConstView<T>>, const TraceFormat&, const PrescreenOptions&); \
  template Prescreen prescreen<T>(ConstView<T>, const TraceFormat&, const PrescreenOptions&);
SAPPER_DETECT_PRESCREEN_INST(float)
SAPPER_DETECT_PRESCREEN_INST(double)

}  // namespace sapper::detect
