// Trace window, CFAR, threshold and non-maximum suppression of a per-trace statistic: see
// sapper/detect/prescreen.hpp and docs/detect_prescreen.md.
#include <algorithm>
#include <cmath>

#include "sapper/detect/prescreen.hpp"

namespace sapper::detect {

CfarStream::CfarStream(Index n_channels, const CfarOptions& opt, double dt_ns, double time_zero_ns)
    : opt_(opt), nc_(n_channels), dt_(dt_ns), tz_(time_zero_ns) {
  require(n_channels >= 1, "n_channels = ", n_channels, " must be >= 1");
  require(opt.window >= 1 && opt.window % 2 == 1, "window = ", opt.window, " must be an odd number of traces >= 1");
  require(opt.guard >= 0, "guard = ", opt.guard, " must be >= 0 traces");
  require(opt.train >= 1, "train = ", opt.train, " must be >= 1 trace");
  require(opt.train_channels >= 0, "train_channels = ", opt.train_channels, " must be >= 0");
  require(std::isfinite(opt.os_rank) && opt.os_rank > 0 && opt.os_rank <= 1, "os_rank = ", opt.os_rank,
          " must be in (0, 1]");
  require(std::isfinite(opt.threshold), "threshold = ", opt.threshold, " must be finite");
  require(opt.separation >= 0, "separation = ", opt.separation, " must be >= 0 traces");
  require(opt.separation_channels >= 0, "separation_channels = ", opt.separation_channels, " must be >= 0");
  require(std::isnan(dt_ns) || dt_ns > 0, "dt_ns = ", dt_ns, " must be positive (or NaN: unknown)");
  require(std::isfinite(time_zero_ns), "time_zero_ns = ", time_zero_ns, " must be finite");
  const bool cfar = opt.cfar != Cfar::none;
  h_ = opt.window / 2;
  lead_ = cfar && !opt.causal ? opt.guard + opt.train : 0;
  // the flush runs each stage to the end before the next, so the ring holds all their spans at once
  cap_ = 2 * (h_ + opt.guard + opt.train + opt.separation) + lead_ + 2;
  raw_.resize(nc_, cap_), stat_.resize(nc_, cap_), score_.resize(nc_, cap_), sample_.resize(nc_, cap_);
  cells_.resize(std::size_t(2 * opt.train * (2 * opt.train_channels + 1)));
}

void CfarStream::reset() { n_in_ = n_stat_ = n_score_ = n_out_ = 0; }

Index CfarStream::process(const double* stat, const Index* sample, Index n, std::vector<GprAlarm>& alarms,
                          const TraceRows& rows) {
  Index written = 0;
  for (Index j = 0; j < n; ++j) {  // one trace at a time keeps the ring bounded
    for (Index c = 0; c < nc_; ++c) {
      at(raw_, n_in_, c) = stat[j * nc_ + c];
      sample_(c, n_in_ % cap_) = sample ? sample[j * nc_ + c] : -1;
    }
    ++n_in_;
    advance(false, alarms, rows, written);
  }
  return written;
}

Index CfarStream::flush(std::vector<GprAlarm>& alarms, const TraceRows& rows) {
  Index written = 0;
  advance(true, alarms, rows, written);
  reset();
  return written;
}

void CfarStream::advance(bool end, std::vector<GprAlarm>& alarms, const TraceRows& rows, Index& written) {
  const Index n = n_in_, g = opt_.guard, nt = opt_.train, rc = opt_.train_channels;
  for (; n_stat_ < n && (end || n_stat_ + h_ < n); ++n_stat_) {
    const Index u = n_stat_, a = std::max<Index>(0, u - h_), b = std::min(n - 1, u + h_);
    for (Index c = 0; c < nc_; ++c) {
      double s = 0;
      for (Index k = a; k <= b; ++k) s += at(raw_, k, c);
      at(stat_, u, c) = s / double(b - a + 1);
    }
  }
  for (; n_score_ < n_stat_ && (end || n_score_ + lead_ < n_stat_); ++n_score_) {
    const Index u = n_score_;
    for (Index c = 0; c < nc_; ++c) {
      const double s = at(stat_, u, c);
      if (opt_.cfar == Cfar::none) {
        at(score_, u, c) = s;
        continue;
      }
      Index m = 0;
      auto take = [&](Index k0, Index k1) {
        for (Index k = std::max<Index>(k0, 0); k <= std::min(k1, n_stat_ - 1); ++k)
          for (Index d = std::max<Index>(c - rc, 0); d <= std::min(c + rc, nc_ - 1); ++d)
            cells_[std::size_t(m++)] = at(stat_, k, d);
      };
      take(u - g - nt, u - g - 1);
      if (!opt_.causal) take(u + g + 1, u + g + nt);
      double bg = 0;
      if (m > 0 && opt_.cfar == Cfar::cell_average) {
        for (Index i = 0; i < m; ++i) bg += cells_[std::size_t(i)];
        bg /= double(m);
      } else if (m > 0) {
        const Index k = std::clamp<Index>(Index(std::ceil(opt_.os_rank * double(m) - 1e-9)), 1, m) - 1;
        std::nth_element(cells_.begin(), cells_.begin() + k, cells_.begin() + m);
        bg = cells_[std::size_t(k)];
      }
      at(score_, u, c) = bg > 0 ? s / bg : 0.0;  // no background (no cells, all zero): no score
    }
  }
  const Index sep = opt_.separation, sc = opt_.separation_channels;
  for (; n_out_ < n_score_ && (end || n_out_ + sep < n_score_); ++n_out_, ++written) {
    const Index v = n_out_;
    for (Index c = 0; c < nc_; ++c) {
      const double q = at(score_, v, c);
      const Index smp = sample_(c, v % cap_);
      if (rows.statistic) rows.statistic[written * nc_ + c] = at(stat_, v, c);
      if (rows.score) rows.score[written * nc_ + c] = q;
      if (rows.sample) rows.sample[written * nc_ + c] = smp;
      if (!(q >= opt_.threshold)) continue;
      bool peak = true;  // strict local maximum; ties go to the earlier (trace, channel)
      for (Index k = std::max<Index>(v - sep, 0); peak && k <= std::min(v + sep, n_score_ - 1); ++k)
        for (Index d = std::max<Index>(c - sc, 0); d <= std::min(c + sc, nc_ - 1); ++d) {
          const double o = at(score_, k, d);
          if (o > q || (o == q && (k < v || (k == v && d < c)))) {
            peak = false;
            break;
          }
        }
      if (!peak) continue;
      GprAlarm a;
      a.trace = v, a.channel = c, a.sample = smp, a.score = q;
      if (smp >= 0 && std::isfinite(dt_)) a.time_ns = double(smp) * dt_ - tz_;
      alarms.push_back(a);
    }
  }
}

Prescreen cfar(const Eigen::MatrixXd& statistic, const CfarOptions& opt,
               const Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic>* sample, double dt_ns, double time_zero_ns) {
  const Index n = statistic.rows(), nc = statistic.cols();
  require(n >= 1 && nc >= 1, "cfar: the statistic is empty (", n, " x ", nc, ")");
  require(!sample || (sample->rows() == n && sample->cols() == nc), "cfar: sample is ", sample ? sample->rows() : 0,
          " x ", sample ? sample->cols() : 0, ", the statistic ", n, " x ", nc);
  for (Index c = 0; c < nc; ++c)
    for (Index j = 0; j < n; ++j) {
      const double s = statistic(j, c);
      require(std::isfinite(s), "cfar: statistic[", j, ", ", c, "] = ", s, " must be finite");
      require(opt.cfar == Cfar::none || s >= 0, "cfar: statistic[", j, ", ", c, "] = ", s,
              " must be >= 0 for a CFAR");
    }
  CfarStream st(nc, opt, dt_ns, time_zero_ns);
  Prescreen r;
  r.statistic.resize(n, nc), r.score.resize(n, nc), r.sample.resize(n, nc);
  // row-major per-trace rows are the transposes of column-major (channel x trace) matrices
  Eigen::MatrixXd stat_t(nc, n), score_t(nc, n);
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> smp_t(nc, n);
  const Eigen::MatrixXd in = statistic.transpose();
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> in_s;
  if (sample) in_s = sample->transpose();
  const Index done = st.process(in.data(), sample ? in_s.data() : nullptr, n, r.alarms,
                                {stat_t.data(), score_t.data(), smp_t.data()});
  st.flush(r.alarms, {stat_t.data() + done * nc, score_t.data() + done * nc, smp_t.data() + done * nc});
  r.statistic = stat_t.transpose(), r.score = score_t.transpose(), r.sample = smp_t.transpose();
  return r;
}

void set_positions(std::span<GprAlarm> alarms, std::span<const double> x, std::span<const double> y) {
  for (auto& a : alarms) {
    if (!x.empty()) {
      require(a.trace >= 0 && std::size_t(a.trace) < x.size(), "set_positions: alarm trace ", a.trace, " but x has ",
              x.size(), " entries");
      a.x_m = x[std::size_t(a.trace)];
    }
    if (!y.empty()) {
      require(a.channel >= 0 && std::size_t(a.channel) < y.size(), "set_positions: alarm channel ", a.channel,
              " but y has ", y.size(), " entries");
      a.y_m = y[std::size_t(a.channel)];
    }
  }
}

}  // namespace sapper::detect
