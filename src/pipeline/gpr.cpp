// The GPR detection chain: see include/sapper/pipeline/gpr.hpp. The glue is what sapper.pipeline
// did in Python before (preprocess_gpr's loop, gpr_features' ps_* columns, classify_rows' column
// selection, gpr_alarms' labels, depth and merge), in the same order of operations, so that its
// numbers equal the Python's to rounding (tests/python/test_pipeline_chain.py).
#include "sapper/pipeline/gpr.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "sapper/clutter/ground.hpp"
#include "sapper/core/error.hpp"
#include "sapper/core/median.hpp"
#include "sapper/detect/context.hpp"
#include "sapper/gpr/ops.hpp"
#include "sapper/gpr/resample.hpp"

namespace sapper::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kPsNames[] = {"ps_score",          "ps_log_score",      "ps_time_ns",
                                    "ps_length_traces",  "ps_width_channels", "ps_signed_peak"};
constexpr const char* kAcqNames[] = {"acq_antenna_mhz", "acq_antenna_height_m"};  // the instrument's

/// Median trace spacing, m (numpy's median of np.diff(x)).
double spacing(std::span<const double> x) {
  std::vector<double> d(x.size() - 1);
  for (std::size_t j = 1; j < x.size(); ++j) d[j - 1] = x[j] - x[j - 1];
  return median_inplace(d);
}

/// Traces along track (the run through `trace` on `channel`) and channels across (all at `trace`)
/// where the CFAR score is >= level.
std::pair<Index, Index> extent(const Eigen::MatrixXd& score, Index trace, Index channel, double level) {
  Index lo = trace, hi = trace;
  while (lo > 0 && score(lo - 1, channel) >= level) --lo;
  while (hi < score.rows() - 1 && score(hi + 1, channel) >= level) ++hi;
  return {hi - lo + 1, (score.row(trace).array() >= level).count()};
}

void check_preprocess(const GprChainOptions& o, double dt_ns) {
  require(std::isfinite(dt_ns) && dt_ns > 0, "dt_ns = ", dt_ns, " must be a positive number of ns");
  require(std::isfinite(o.antenna_mhz) && o.antenna_mhz > 0, "antenna_mhz = ", o.antenna_mhz, " must be > 0 MHz");
  if (o.bandpass) {
    const double nyq = 500 / dt_ns;
    const auto [lo, hi] = o.band_mhz();
    require(std::isfinite(lo) && std::isfinite(hi) && lo >= 0 && lo < hi && hi <= nyq, "band [", lo, ", ", hi,
            "] MHz must satisfy 0 <= low < high <= Nyquist = ", nyq, " MHz");
  }
  if (o.ground)
    require(std::isfinite(o.search_start_ns) && std::isfinite(o.search_end_ns) && o.search_start_ns >= 0 &&
                o.search_start_ns < o.search_end_ns,
            "search [", o.search_start_ns, ", ", o.search_end_ns, "] ns must satisfy 0 <= start < end");
}

/// Equal shapes, n_samples x n_traces, finite.
template <class T>
void check_channels(std::span<const ConstView<T>> ch, std::size_t nc, Index ns, Index nt, const char* what) {
  require(ch.size() == nc, what, " has ", ch.size(), " channels; the lane has ", nc, " (y_m)");
  for (std::size_t c = 0; c < nc; ++c) {
    require(ch[c].rows() == ns && ch[c].cols() == nt, what, " channel ", c, " is ", ch[c].rows(), " x ", ch[c].cols(),
            "; the lane is n_samples x n_traces = ", ns, " x ", nt);
    if (!ch[c].allFinite())
      for (Index j = 0; j < nt; ++j)
        for (Index i = 0; i < ns; ++i)
          require(std::isfinite(ch[c](i, j)), what, " channel ", c, " holds NaN or Inf (sample ", i, ", trace ", j, ")");
  }
}

void check_positions(std::span<const double> x) {
  const Index nt = Index(x.size());
  require(nt >= 2, "x_m has ", nt, " positions; the lane needs >= 2 traces");
  for (Index j = 0; j < nt; ++j)
    require(std::isfinite(x[std::size_t(j)]) && (j == 0 || x[std::size_t(j)] > x[std::size_t(j - 1)]), "x_m[", j,
            "] = ", x[std::size_t(j)], " must be finite and greater than x_m[", j - 1,
            "]: trace positions strictly increase");
}

/// The lane on the working grid (see GprChainOptions::grid_dt_ns): in time round(n dt / dt_ns) samples
/// over the same window unless that is n; along track uniform at grid_spacing_m from x_m[0] (as
/// gpr::resample_traces places them) unless every trace is within 5 % of a spacing of that grid.
LaneGeometry working_grid(const LaneGeometry& lane, const GprChainOptions& o) {
  require(std::isfinite(o.grid_dt_ns) && o.grid_dt_ns >= 0, "grid_dt_ns = ", o.grid_dt_ns, " must be >= 0 ns (0: the lane's)");
  require(std::isfinite(o.grid_spacing_m) && o.grid_spacing_m >= 0, "grid_spacing_m = ", o.grid_spacing_m, " must be >= 0 m (0: the lane's)");
  LaneGeometry g = lane;
  if (o.grid_dt_ns > 0) {
    const double m = std::nearbyint(double(lane.n_samples) * lane.dt_ns / o.grid_dt_ns);
    require(m >= 8 && m * double(lane.x_m.size()) <= double(gpr::max_resampled_values), "grid_dt_ns = ", o.grid_dt_ns,
            " resamples ", lane.n_samples, " samples of ", lane.dt_ns, " ns to ", m,
            ": need >= 8 and samples x traces <= ", gpr::max_resampled_values);
    if (Index(m) != lane.n_samples) g.n_samples = Index(m), g.dt_ns = lane.dt_ns * double(lane.n_samples) / m;
  }
  if (o.grid_spacing_m > 0) {
    const auto& x = lane.x_m;
    const double s = o.grid_spacing_m, k = gpr::resampled_traces(x.front(), x.back(), s);
    bool on = double(x.size()) == k;
    for (std::size_t j = 0; on && j < x.size(); ++j) on = std::abs(x[j] - x.front() - double(j) * s) <= 0.05 * s;
    if (!on) {
      require(k >= 2 && k * double(g.n_samples) <= double(gpr::max_resampled_values), "grid_spacing_m = ", s,
              " resamples a lane of ", x.back() - x.front(), " m to ", k,
              " traces: need >= 2 and samples x traces <= ", gpr::max_resampled_values);
      g.x_m.resize(std::size_t(k));
      for (std::size_t j = 0; j < g.x_m.size(); ++j) g.x_m[j] = x.front() + double(j) * s;
    }
  }
  return g;
}

}  // namespace

Index background_traces(double background_m, std::span<const double> x) {
  check_positions(x);
  const Index nt = Index(x.size());
  require(std::isfinite(background_m) && background_m > 0, "background_m = ", background_m, " must be > 0 m");
  const double dx = spacing(x);
  // Python's round() (half to even) is nearbyint in the default rounding mode
  const Index w = Index(std::nearbyint(background_m / dx)) | 1;
  require(w >= 3, "background_m = ", background_m, " is under 3 traces of ", dx, " m");
  return std::min(w, nt - (1 - nt % 2));
}

template <class T>
void preprocess_gpr(std::span<const ConstView<T>> in, std::span<const View<T>> out, double dt_ns,
                    std::span<const double> x, const GprChainOptions& opt) {
  const Index w = background_traces(opt.background_m, x);
  check_preprocess(opt, dt_ns);
  require(!in.empty(), "data has no channel");
  const Index ns = in[0].rows(), nt = Index(x.size());
  check_channels(in, in.size(), ns, nt, "data");
  require(out.size() == in.size(), "out has ", out.size(), " channels; data has ", in.size());
  for (std::size_t c = 0; c < out.size(); ++c)
    require(out[c].rows() == ns && out[c].cols() == nt, "out channel ", c, " is ", out[c].rows(), " x ",
            out[c].cols(), "; data's is ", ns, " x ", nt);
  const TraceFormat f{ns, dt_ns, 0};  // the stages' times are after sample 0
  const int th = opt.threads;
  const auto band = opt.band_mhz();
  Matrix<T> b(ns, nt);
  for (std::size_t c = 0; c < in.size(); ++c) {
    if (opt.bandpass)
      gpr::bandpass<T>(in[c], b, f, band[0], band[1], 0.25 * (band[1] - band[0]), th);
    else
      b = in[c];
    if (opt.ground) {
      clutter::GroundTrackOptions track;
      track.search_start_ns = opt.search_start_ns, track.search_end_ns = opt.search_end_ns;
      const std::vector<double> picks = clutter::track_ground<T>(b, f, track, th);
      clutter::remove_ground<T>(b, b, f, picks, {}, th);
    }
    gpr::moving_background<T>(b, out[c], w, gpr::Statistic::mean, th, false);
  }
}

detect::PrescreenOptions gpr_prescreen_defaults() {
  detect::PrescreenOptions o;
  o.statistic = detect::Statistic::energy;
  o.gate_start_ns = 0.6, o.gate_end_ns = 8.0;
  o.cfar.window = 3, o.cfar.train_channels = 1, o.cfar.threshold = 1.5, o.cfar.separation_channels = 0;
  return o;
}

detect::FeatureOptions gpr_feature_defaults(double antenna_height_m, double offset_m) {
  detect::FeatureOptions o;
  o.window_samples = 64, o.window_traces = 32;
  o.use_hog = false, o.use_ehd = o.use_hyperbola = o.use_energy = o.use_spectral = true;
  o.hyperbola.ground_sign = -1, o.hyperbola.antenna_height_m = antenna_height_m, o.hyperbola.offset_m = offset_m;
  return o;
}

template <class T>
GprChain<T>::GprChain(const std::string& model_path, LaneGeometry lane, const GprChainOptions& opt)
    : GprChain(std::shared_ptr<const classify::Model>(classify::load_model(model_path)), std::move(lane), opt) {}

template <class T>
GprChain<T>::GprChain(std::shared_ptr<const classify::Model> model, LaneGeometry lane, const GprChainOptions& opt)
    : model_(std::move(model)), lane_(std::move(lane)), opt_(opt) {
  detect::PrescreenOptions ps0 = opt.prescreen;
  const auto& y = lane_.y_m;
  const Index nc = Index(y.size());
  require(lane_.n_samples >= 1, "n_samples = ", lane_.n_samples, " must be >= 1");
  require(std::isfinite(lane_.dt_ns) && lane_.dt_ns > 0, "dt_ns = ", lane_.dt_ns, " must be a positive number of ns");
  require(std::isfinite(lane_.time_zero_ns), "time_zero_ns = ", lane_.time_zero_ns, " must be finite");
  require(nc >= 1, "y_m is empty; the lane needs >= 1 channel");
  for (Index c = 0; c < nc; ++c) require(std::isfinite(y[std::size_t(c)]), "y_m[", c, "] = ", y[std::size_t(c)], " must be finite");
  check_positions(lane_.x_m);
  grid_ = working_grid(lane_, opt_);
  const auto& x = grid_.x_m;

  background_ = pipeline::background_traces(opt_.background_m, x);
  check_preprocess(opt_, grid_.dt_ns);
  if (!std::isnan(opt_.separation_m)) {
    require(std::isfinite(opt_.separation_m) && opt_.separation_m >= 0, "separation_m = ", opt_.separation_m,
            " must be >= 0 m (NaN: prescreen.cfar.separation traces)");
    ps0.cfar.separation = Index(std::ceil(opt_.separation_m / spacing(x) - 1e-9));  // x increases: checked above
  }
  ps0.cfar.train_channels = std::min(ps0.cfar.train_channels, nc - 1);
  const TraceFormat f{grid_.n_samples, grid_.dt_ns, grid_.time_zero_ns};
  (void)detect::PrescreenStream<T>(f, nc, ps0);  // validates the prescreener's options and gate
  gates_.push_back(ps0);
  for (std::size_t k = 0; k < opt_.deeper_gates_ns.size(); ++k) {
    const double t = opt_.deeper_gates_ns[k];
    require(std::isfinite(t) && t > gates_.back().gate_start_ns && t < ps0.gate_end_ns, "deeper_gates_ns[", k,
            "] = ", t, " must lie after the previous gate's start (", gates_.back().gate_start_ns,
            " ns) and before the gate's end (", ps0.gate_end_ns, " ns)");
    gates_.push_back(ps0);
    gates_.back().gate_start_ns = t;
    (void)detect::PrescreenStream<T>(f, nc, gates_.back());
  }

  window_ = gpr_feature_defaults(opt_.antenna_height_m, opt_.offset_m);
  (void)detect::FeatureExtractor<T>(f, window_);  // validates the feature options against the record
  names_ = detect::gpr_feature_names(window_);
  n_window_ = Index(names_.size());
  names_.insert(names_.end(), std::begin(kPsNames), std::end(kPsNames));
  const auto ctx = detect::context_feature_names();
  names_.insert(names_.end(), ctx.begin(), ctx.end());
  names_.insert(names_.end(), std::begin(kAcqNames), std::end(kAcqNames));
  std::map<std::string, Index> column;
  for (std::size_t k = 0; k < names_.size(); ++k) column[names_[k]] = Index(k);
  hyp_ok_ = column.at("hyp_ok"), hyp_depth_ = column.at("hyp_depth_m");

  if (!model_) return;
  for (const auto& n : model_->feature_names()) {
    const auto it = column.find(n);
    require(it != column.end(), "the model needs feature '", n, "' that the chain does not compute");
    model_columns_.push_back(it->second);
  }
  std::string list;
  for (const auto& c : model_->classes()) list += (list.empty() ? "" : ", ") + c;
  for (const auto& c : model_->classes()) {
    const auto it = std::find_if(gpr_classes.begin(), gpr_classes.end(), [&](const char* g) { return c == g; });
    const Index k = Index(it - gpr_classes.begin());
    require(it != gpr_classes.end() &&
                std::find(model_classes_.begin(), model_classes_.end(), k) == model_classes_.end(),
            "the model's classes [", list, "] are not ap_mine, at_mine, uxo, clutter (or a subset)");
    model_classes_.push_back(k);
  }
  require(model_classes_.size() >= 2, "the model's classes [", list, "] are fewer than 2");
}

template <class T>
void GprChain<T>::check_channels(std::span<const ConstView<T>> ch, const char* what) const {
  pipeline::check_channels(ch, grid_.y_m.size(), grid_.n_samples, Index(grid_.x_m.size()), what);
}

template <class T>
void GprChain<T>::preprocess(std::span<const ConstView<T>> in, std::span<const View<T>> out) const {
  pipeline::check_channels(in, lane_.y_m.size(), lane_.n_samples, Index(lane_.x_m.size()), "data");
  const bool in_time = grid_.n_samples != lane_.n_samples, along = grid_.x_m != lane_.x_m;
  if (!in_time && !along) return preprocess_gpr<T>(in, out, grid_.dt_ns, grid_.x_m, opt_);
  std::vector<Matrix<T>> rs;
  std::vector<ConstView<T>> views;
  for (const auto& c : in) {
    Matrix<T> t;
    if (in_time) {
      t.resize(grid_.n_samples, c.cols());
      gpr::resample_samples<T>(c, t, opt_.threads);
    }
    if (along) t = gpr::resample_traces<T>(in_time ? ConstView<T>(t) : c, lane_.x_m, opt_.grid_spacing_m, opt_.threads).data;
    rs.push_back(std::move(t));
  }
  for (const auto& m : rs) views.emplace_back(m);
  preprocess_gpr<T>(views, out, grid_.dt_ns, grid_.x_m, opt_);
}

template <class T>
detect::Prescreen GprChain<T>::prescreen(std::span<const ConstView<T>> preprocessed, Index gate) const {
  check_channels(preprocessed, "preprocessed data");
  require(gate >= 0 && gate < n_gates(), "gate = ", gate, " must be in [0, ", n_gates(), ")");
  detect::Prescreen p = detect::prescreen<T>(preprocessed, TraceFormat{grid_.n_samples, grid_.dt_ns, grid_.time_zero_ns},
                                             gates_[std::size_t(gate)]);
  detect::set_positions(p.alarms, grid_.x_m, grid_.y_m);
  return p;
}

template <class T>
GprCandidates GprChain<T>::features(std::span<const ConstView<T>> pre, detect::Prescreen ps) const {
  check_channels(pre, "preprocessed data");
  const Index ns = grid_.n_samples, nt = Index(grid_.x_m.size()), nc = Index(grid_.y_m.size());
  const auto& al = ps.alarms;
  const Index n = Index(al.size());
  require(ps.score.rows() == nt && ps.score.cols() == nc, "the prescreener's score rows are ", ps.score.rows(), " x ",
          ps.score.cols(), "; the lane is n_traces x n_channels = ", nt, " x ", nc);
  for (Index k = 0; k < n; ++k) {
    const auto& a = al[std::size_t(k)];
    require(a.trace >= 0 && a.trace < nt && a.channel >= 0 && a.channel < nc && a.sample >= 0 && a.sample < ns,
            "alarm ", k, " at trace ", a.trace, ", channel ", a.channel, ", sample ", a.sample, " is outside the lane");
  }
  GprCandidates out;
  out.features = classify::RowMatrix::Zero(n, Index(names_.size()));
  out.ok.assign(std::size_t(n), 0);
  out.gate.assign(std::size_t(n), 0);
  auto& X = out.features;
  const TraceFormat f{ns, grid_.dt_ns, grid_.time_zero_ns};

  // window features, channel by channel (the alarm's time from its sample, as the Python passed it)
  for (Index c = 0; c < nc; ++c) {
    std::vector<Index> rows;
    std::vector<detect::GprAlarm> sub;
    for (Index k = 0; k < n; ++k)
      if (al[std::size_t(k)].channel == c) {
        rows.push_back(k), sub.push_back(al[std::size_t(k)]);
        sub.back().time_ns = kNaN;
      }
    if (rows.empty()) continue;
    std::vector<char> ok;
    const Matrix<double> w = detect::gpr_features<T>(pre[std::size_t(c)], f, grid_.x_m, sub, window_, &ok, opt_.threads);
    for (std::size_t q = 0; q < rows.size(); ++q) {
      X.row(rows[q]).head(n_window_) = w.row(Index(q));
      out.ok[std::size_t(rows[q])] = ok[q];
    }
  }
  // the prescreener's view
  std::vector<double> rms(static_cast<std::size_t>(nc));
  for (Index c = 0; c < nc; ++c)
    rms[std::size_t(c)] =
        std::sqrt(pre[std::size_t(c)].template cast<double>().squaredNorm() / double(ns * nt)) + 1e-30;
  for (Index k = 0; k < n; ++k) {
    const auto& a = al[std::size_t(k)];
    const auto [len, width] = extent(ps.score, a.trace, a.channel, 0.5 * a.score);
    double* r = X.row(k).data() + n_window_;
    r[0] = a.score, r[1] = std::log(std::max(a.score, 1e-12)), r[2] = a.time_ns;
    r[3] = double(len), r[4] = double(width);
    r[5] = double(pre[std::size_t(a.channel)](a.sample, a.trace)) / rms[std::size_t(a.channel)];
  }
  // context
  const Matrix<double> ctx = detect::context_features<T>(pre, al, {}, opt_.threads);
  const Index acq = X.cols() - Index(std::size(kAcqNames));  // the instrument's columns, after the context's
  X.middleCols(acq - ctx.cols(), ctx.cols()) = ctx;
  X.col(acq).setConstant(opt_.antenna_mhz);
  X.col(acq + 1).setConstant(opt_.antenna_height_m);
  X = X.unaryExpr([](double v) { return std::isfinite(v) ? v : 0.0; });
  out.prescreen = std::move(ps);
  return out;
}

template <class T>
GprCandidates GprChain<T>::candidates(std::span<const ConstView<T>> channels) const {
  std::vector<Matrix<T>> pre(channels.size(), Matrix<T>(grid_.n_samples, Index(grid_.x_m.size())));
  std::vector<View<T>> out;
  std::vector<ConstView<T>> in;
  for (auto& m : pre) out.emplace_back(m), in.emplace_back(m);
  preprocess(channels, out);
  GprCandidates all = features(in, prescreen(in, 0));
  for (Index g = 1; g < n_gates(); ++g) {
    GprCandidates c = features(in, prescreen(in, g));
    const Index n0 = all.features.rows(), n1 = c.features.rows();
    auto& a = all.prescreen.alarms;
    a.insert(a.end(), c.prescreen.alarms.begin(), c.prescreen.alarms.end());
    all.features.conservativeResize(n0 + n1, Eigen::NoChange);
    all.features.bottomRows(n1) = c.features;
    all.ok.insert(all.ok.end(), c.ok.begin(), c.ok.end());
    all.gate.insert(all.gate.end(), std::size_t(n1), g);
  }
  return all;
}

template <class T>
classify::RowMatrix GprChain<T>::classify(const GprCandidates& c) const {
  require(model_ != nullptr, "this chain has no model: give one to classify");
  const Index n = c.features.rows(), m = Index(model_columns_.size());
  require(c.features.cols() == Index(names_.size()), "the candidates have ", c.features.cols(),
          " features; the chain computes ", names_.size());
  classify::RowMatrix in(n, m);
  for (Index j = 0; j < m; ++j) in.col(j) = c.features.col(model_columns_[std::size_t(j)]);
  classify::RowMatrix out = classify::RowMatrix::Zero(n, Index(gpr_classes.size()));
  if (n == 0) return out;
  const classify::RowMatrix p = model_->predict_proba(in, opt_.threads);
  for (std::size_t k = 0; k < model_classes_.size(); ++k) out.col(model_classes_[k]) = p.col(Index(k));
  return out;
}

template <class T>
std::vector<GprDetection> GprChain<T>::detections(const GprCandidates& c, classify::ConstRows proba) const {
  const auto& al = c.prescreen.alarms;
  const Index n = Index(al.size());
  require(proba.rows() == n && proba.cols() == Index(gpr_classes.size()), "proba is ", proba.rows(), " x ",
          proba.cols(), "; it must be n_alarms x 4 = ", n, " x 4");
  require(c.features.rows() == n && c.features.cols() == Index(names_.size()), "the candidates' features are ",
          c.features.rows(), " x ", c.features.cols(), "; expected ", n, " x ", names_.size());
  std::vector<GprDetection> d(static_cast<std::size_t>(n));
  std::vector<double> x(d.size()), y(d.size()), conf(d.size()), radius(d.size());
  for (Index k = 0; k < n; ++k) {
    auto& o = d[std::size_t(k)];
    const auto& a = al[std::size_t(k)];
    o.candidate = k, o.x_m = a.x_m, o.y_m = a.y_m, o.time_ns = a.time_ns, o.score = a.score;
    o.depth_m = c.features(k, hyp_ok_) > 0 ? c.features(k, hyp_depth_) : kNaN;
    for (std::size_t q = 0; q < o.proba.size(); ++q) o.proba[q] = proba(k, Index(q));
    o.confidence = 1.0 - o.proba[clutter_class];
    Index threat = 0;  // the most probable threat class, first of ties
    for (Index q = 1; q < clutter_class; ++q)
      if (o.proba[std::size_t(q)] > o.proba[std::size_t(threat)]) threat = q;
    o.label = o.proba[clutter_class] >= 0.5 ? clutter_class : threat;
    x[std::size_t(k)] = o.x_m, y[std::size_t(k)] = o.y_m, conf[std::size_t(k)] = o.confidence;
    radius[std::size_t(k)] = threat == 1 || threat == 2 ? opt_.merge_large_m : opt_.merge_ap_m;
  }
  if (!opt_.merge) return d;
  const std::vector<Index> keep = detect::merge_alarms(x, y, conf, radius);
  std::vector<GprDetection> kept;
  kept.reserve(keep.size());
  for (const Index k : keep) kept.push_back(d[std::size_t(k)]);
  return kept;
}

template <class T>
GprResult GprChain<T>::alarms(std::span<const ConstView<T>> channels) const {
  require(model_ != nullptr, "this chain has no model: give one to classify");
  GprResult r;
  r.candidates = candidates(channels);
  r.proba = classify(r.candidates);
  r.alarms = detections(r.candidates, r.proba);
  return r;
}

#define SAPPER_PIPELINE_GPR_INST(T)                                                                          \
  template void preprocess_gpr<T>(std::span<const ConstView<T>>, std::span<const View<T>>, double,           \
                                  std::span<const double>, const GprChainOptions&);                          \
  template class GprChain<T>;
SAPPER_PIPELINE_GPR_INST(float)
SAPPER_PIPELINE_GPR_INST(double)
#undef SAPPER_PIPELINE_GPR_INST

}  // namespace sapper::pipeline
