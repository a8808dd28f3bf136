// sapper::pipeline::GprChain on lanes of the C++ simulator with the shipped GPR model: an AT mine and
// a mortar found and not called clutter; the preprocessing against the stages called one by one;
// the ps_* columns, classifier columns and labels against direct computations; threads; bad input.
// (The equality with the Python glue it replaced: tests/python/test_pipeline_chain.py.)
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "sapper/classify/logistic.hpp"
#include "sapper/clutter/ground.hpp"
#include "sapper/gpr/ops.hpp"
#include "sapper/pipeline.hpp"
#include "sapper/sim/gpr.hpp"

namespace sapper::pipeline {
namespace {

const std::string kModel = SAPPER_SOURCE_DIR "/python/sapper/classify/models/gpr_default.json";

// test_pipeline.py's scene: a TM-62M (metal AT mine) and a mortar in a 6 m, 4-channel lane
constexpr const char* kScene = R"({"lane": {"length_m": 6, "channels": 4, "channel_spacing_m": 0.1},
  "ground": {"roughness_rms_m": 0.005, "permittivity": 6},
  "objects": [{"type": "TM-62M", "x": 1.5, "y": 0.0, "depth": 0.05},
              {"type": "mortar", "x": 4.5, "y": 0.05, "depth": 0.08, "angle_deg": 0},
              {"type": "rock", "x": 3.0, "y": -0.1, "depth": 0.1, "size_m": 0.05}]})";

template <class T>
struct Lane {
  sim::GprLane<T> sim;
  std::vector<ConstView<T>> channels;
  LaneGeometry geometry;
};

template <class T>
const Lane<T>& lane() {
  static const Lane<T> l = [] {
    Lane<T> r{sim::simulate_gpr<T>(sim::gpr_scene_from_json(kScene), 11), {}, {}};
    const Index nt = r.sim.n_traces();
    for (Index c = 0; c < Index(r.sim.y_m.size()); ++c) r.channels.emplace_back(r.sim.data.middleCols(c * nt, nt));
    r.geometry = {r.sim.format.n_samples, r.sim.format.dt_ns, r.sim.format.time_zero_ns, r.sim.x_m, r.sim.y_m};
    return r;
  }();
  return l;
}

GprChainOptions antenna() {
  GprChainOptions o;
  o.antenna_height_m = 0.07, o.offset_m = 0.05;  // the simulator's defaults
  return o;
}

template <class T>
class GprChainTest : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(GprChainTest, Types);

TYPED_TEST(GprChainTest, FindsTheAtMineAndTheMortar) {
  using T = TypeParam;
  const auto& l = lane<T>();
  const GprChain<T> chain(kModel, l.geometry, antenna());
  const GprResult r = chain.alarms(l.channels);
  ASSERT_GT(r.candidates.prescreen.alarms.size(), r.alarms.size());  // the merge dropped neighbours
  for (const auto& obj : l.sim.truth.objects) {
    if (obj.label == sim::Label::Clutter) continue;
    const GprDetection* best = nullptr;
    for (const auto& a : r.alarms)
      if (std::hypot(a.x_m - obj.x, a.y_m - obj.y) <= 0.5 && (!best || a.confidence > best->confidence)) best = &a;
    ASSERT_NE(best, nullptr) << obj.type << " at " << obj.x;
    EXPECT_STRNE(best->label_name(), "clutter") << obj.type << " at " << obj.x;
    EXPECT_GT(best->confidence, 0.5);
  }
}

TYPED_TEST(GprChainTest, PreprocessIsTheStagesInOrder) {
  using T = TypeParam;
  const auto& l = lane<T>();
  const GprChain<T> chain(std::shared_ptr<const classify::Model>{}, l.geometry);
  const Index ns = l.geometry.n_samples, nt = Index(l.geometry.x_m.size());
  // background: round(1 m / 0.02 m) | 1 = 51 traces
  ASSERT_EQ(chain.background_traces(), 51);
  ASSERT_EQ(chain.separation_traces(), 10);  // ceil(0.2 m / 0.02 m)
  std::vector<Matrix<T>> out(l.channels.size(), Matrix<T>(ns, nt));
  std::vector<View<T>> views(out.begin(), out.end());
  chain.preprocess(l.channels, views);
  const TraceFormat f{ns, l.geometry.dt_ns, 0};
  for (std::size_t c = 0; c < l.channels.size(); ++c) {
    Matrix<T> b(ns, nt), want(ns, nt);
    gpr::bandpass<T>(l.channels[c], b, f, 500, 3500, 750);
    clutter::GroundTrackOptions g;
    g.search_start_ns = 0.8, g.search_end_ns = 6.0;
    const auto picks = clutter::track_ground<T>(b, f, g);
    Matrix<T> clean(ns, nt);
    clutter::remove_ground<T>(b, clean, f, picks);
    gpr::moving_background<T>(clean, want, 51);
    EXPECT_EQ(out[c], want) << "channel " << c;
  }
}

TYPED_TEST(GprChainTest, ColumnsLabelsAndMergeByTheirDefinitions) {
  using T = TypeParam;
  const auto& l = lane<T>();
  const auto model = std::shared_ptr<const classify::Model>(classify::load_model(kModel));
  GprChainOptions o = antenna();
  o.merge = false;
  const GprChain<T> chain(model, l.geometry, o);
  const GprResult r = chain.alarms(l.channels);
  const auto& names = chain.feature_names();
  const auto col = [&](const std::string& n) { return Index(std::find(names.begin(), names.end(), n) - names.begin()); };
  const auto& ps = r.candidates.prescreen;
  const auto& X = r.candidates.features;
  ASSERT_EQ(r.alarms.size(), ps.alarms.size());
  ASSERT_EQ(names.size(), 137u);
  ASSERT_EQ(names[135], "acq_antenna_mhz");
  ASSERT_EQ(names[136], "acq_antenna_height_m");
  EXPECT_TRUE((X.col(135).array() == o.antenna_mhz).all() && (X.col(136).array() == o.antenna_height_m).all());
  ASSERT_EQ(r.candidates.gate.size(), ps.alarms.size());
  EXPECT_EQ(r.candidates.gate.back(), Index(o.deeper_gates_ns.size()));  // the deeper gates alarm too
  for (std::size_t k = 0; k < ps.alarms.size(); ++k) {
    const auto& a = ps.alarms[k];
    const Index i = Index(k);
    EXPECT_EQ(X(i, col("ps_score")), a.score);
    EXPECT_DOUBLE_EQ(X(i, col("ps_log_score")), std::log(a.score));
    const Index g = r.candidates.gate[k];
    EXPECT_GE(a.time_ns, g == 0 ? o.prescreen.gate_start_ns : o.deeper_gates_ns[std::size_t(g - 1)] - 1e-9);
    if (g == 0) {  // the per-trace rows kept are the first gate's
      const double level = 0.5 * a.score;
      Index len = 1, width = 0;
      for (Index t = a.trace - 1; t >= 0 && ps.score(t, a.channel) >= level; --t) ++len;
      for (Index t = a.trace + 1; t < ps.score.rows() && ps.score(t, a.channel) >= level; ++t) ++len;
      for (Index c = 0; c < ps.score.cols(); ++c) width += ps.score(a.trace, c) >= level;
      EXPECT_EQ(X(i, col("ps_length_traces")), double(len));
      EXPECT_EQ(X(i, col("ps_width_channels")), double(width));
    }
    EXPECT_EQ(a.x_m, l.geometry.x_m[std::size_t(a.trace)]);
    // label and confidence from the probabilities
    const auto& d = r.alarms[k];
    const double pc = r.proba(i, clutter_class);
    EXPECT_DOUBLE_EQ(d.confidence, 1 - pc);
    if (pc >= 0.5) {
      EXPECT_EQ(d.label, clutter_class);
    } else {
      for (Index q = 0; q < clutter_class; ++q) EXPECT_GE(r.proba(i, d.label), r.proba(i, q));
    }
    EXPECT_EQ(std::isnan(d.depth_m), X(i, col("hyp_ok")) == 0);
  }
  // the classifier read the model's columns by name, its classes mapped to gpr_classes
  classify::RowMatrix in(X.rows(), model->n_features());
  for (Index j = 0; j < model->n_features(); ++j) in.col(j) = X.col(col(model->feature_names()[std::size_t(j)]));
  const classify::RowMatrix p = model->predict_proba(in);
  for (Index k = 0; k < model->n_classes(); ++k) {
    const auto& name = model->classes()[std::size_t(k)];
    const Index g = Index(std::find_if(gpr_classes.begin(), gpr_classes.end(), [&](const char* s) { return name == s; }) -
                          gpr_classes.begin());
    EXPECT_EQ(r.proba.col(g), p.col(k)) << name;
  }
  // merged: no kept alarm inside the radius of a more confident kept one
  o.merge = true;
  const auto kept = GprChain<T>(model, l.geometry, o).detections(r.candidates, r.proba);
  ASSERT_LT(kept.size(), r.alarms.size());
  const auto radius = [](const GprDetection& d) {  // by the most probable threat class
    Index t = 0;
    for (Index q = 1; q < clutter_class; ++q)
      if (d.proba[std::size_t(q)] > d.proba[std::size_t(t)]) t = q;
    return t == 0 ? 0.25 : 0.5;
  };
  for (const auto& a : kept)
    for (const auto& b : kept)
      if (b.confidence > a.confidence) EXPECT_GT(std::hypot(a.x_m - b.x_m, a.y_m - b.y_m), radius(b));
}

TYPED_TEST(GprChainTest, ThreadCountDoesNotChangeTheResult) {
  using T = TypeParam;
  const auto& l = lane<T>();
  GprChainOptions one = antenna(), all = antenna();
  one.threads = 1, all.threads = 0;
  const auto a = GprChain<T>(kModel, l.geometry, one).alarms(l.channels);
  const auto b = GprChain<T>(kModel, l.geometry, all).alarms(l.channels);
  EXPECT_EQ(a.candidates.features, b.candidates.features);
  EXPECT_EQ(a.proba, b.proba);
  ASSERT_EQ(a.alarms.size(), b.alarms.size());
  for (std::size_t k = 0; k < a.alarms.size(); ++k) EXPECT_EQ(a.alarms[k].candidate, b.alarms[k].candidate);
}

template <class F>
void expect_error(F&& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one naming '" << part << "'";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(GprChain, OffGridRecordingIsResampledAndFindsTheTargets) {
  // the scene recorded at 1024 samples over its 12 ns and every 1 cm: the chain works on 512 and 2 cm
  auto scene = sim::gpr_scene_from_json(kScene);
  scene.recording.n_samples = 1024, scene.recording.trace_spacing_m = 0.01;
  const auto s = sim::simulate_gpr<float>(scene, 11);
  const Index nt = s.n_traces();
  std::vector<ConstView<float>> ch;
  for (Index c = 0; c < Index(s.y_m.size()); ++c) ch.emplace_back(s.data.middleCols(c * nt, nt));
  const GprChain<float> chain(kModel, {s.format.n_samples, s.format.dt_ns, s.format.time_zero_ns, s.x_m, s.y_m},
                              antenna());
  const LaneGeometry& g = chain.grid();
  EXPECT_EQ(chain.lane().n_samples, 1024);
  EXPECT_EQ(g.n_samples, 512);
  EXPECT_DOUBLE_EQ(g.dt_ns, 12.0 / 512);
  ASSERT_EQ(g.x_m.size(), std::size_t((nt - 1) / 2 + 1));
  for (std::size_t j = 0; j < g.x_m.size(); ++j) ASSERT_NEAR(g.x_m[j], s.x_m[0] + 0.02 * double(j), 1e-12);
  std::vector<Matrix<float>> outs(s.y_m.size(), Matrix<float>(512, Index(g.x_m.size())));
  std::vector<View<float>> out;
  for (auto& m : outs) out.emplace_back(m);
  chain.preprocess(ch, out);  // lane() in, grid() out
  const GprResult r = chain.alarms(ch);
  for (const auto& obj : s.truth.objects) {
    if (obj.label == sim::Label::Clutter) continue;
    bool found = false;
    for (const auto& a : r.alarms)
      found = found || (std::hypot(a.x_m - obj.x, a.y_m - obj.y) <= 0.5 && a.label != clutter_class);
    EXPECT_TRUE(found) << obj.type << " at " << obj.x;
  }
  GprChainOptions o = antenna();
  o.grid_dt_ns = 0, o.grid_spacing_m = 0;  // the lane's own grid
  const GprChain<float> own(std::shared_ptr<const classify::Model>{}, chain.lane(), o);
  EXPECT_EQ(own.grid().n_samples, 1024);
  EXPECT_EQ(own.grid().x_m, s.x_m);
  o.grid_dt_ns = -1;
  expect_error([&] { GprChain<float>(kModel, chain.lane(), o); }, "grid_dt_ns = -1");
}

TEST(GprChain, BadInputGivesNamedErrors) {
  const auto& l = lane<double>();
  const GprChain<double> chain(kModel, l.geometry);
  std::vector<ConstView<double>> three(l.channels.begin(), l.channels.end() - 1);
  expect_error([&] { chain.alarms(three); }, "has 3 channels; the lane has 4");
  Matrix<double> bad = l.channels[2];
  bad(7, 9) = std::numeric_limits<double>::quiet_NaN();
  std::vector<ConstView<double>> nan;
  for (std::size_t c = 0; c < 4; ++c) nan.emplace_back(c == 2 ? ConstView<double>(bad) : l.channels[c]);
  expect_error([&] { chain.alarms(nan); }, "channel 2 holds NaN or Inf (sample 7, trace 9)");
  const Matrix<double> short_ = Matrix<double>::Zero(l.geometry.n_samples, 10);
  std::vector<ConstView<double>> shapes;
  for (std::size_t c = 0; c < 4; ++c) shapes.emplace_back(c == 1 ? ConstView<double>(short_) : l.channels[c]);
  expect_error([&] { chain.candidates(shapes); }, "channel 1 is");

  LaneGeometry g = l.geometry;
  std::swap(g.x_m[5], g.x_m[6]);
  expect_error([&] { GprChain<double>(kModel, g); }, "x_m[6]");
  g = l.geometry;
  g.y_m.clear();
  expect_error([&] { GprChain<double>(kModel, g); }, "y_m");
  GprChainOptions o;
  o.background_m = 0.03;
  expect_error([&] { GprChain<double>(kModel, l.geometry, o); }, "background_m = 0.03 is under 3 traces");
  o = {};
  o.band_high_mhz = 1e5;
  expect_error([&] { GprChain<double>(kModel, l.geometry, o); }, "Nyquist");

  classify::RowMatrix X(4, 2);
  X << 0, 1, 1, 0, 2, 1, 3, 2;
  classify::LogisticOptions lo;
  lo.feature_names = {"energy", "xyz"};
  const auto foreign = std::make_shared<classify::LogisticRegression>(
      classify::LogisticRegression::fit(X, {"ap_mine", "clutter", "ap_mine", "clutter"}, lo));
  expect_error([&] { GprChain<double>(foreign, l.geometry); }, "the model needs feature 'xyz' that the chain does not compute");
  lo.feature_names = {"energy", "peak"};
  const auto wrong = std::make_shared<classify::LogisticRegression>(
      classify::LogisticRegression::fit(X, {"a", "b", "a", "b"}, lo));
  expect_error([&] { GprChain<double>(wrong, l.geometry); }, "the model's classes [a, b]");
  const GprChain<double> none(std::shared_ptr<const classify::Model>{}, l.geometry);
  expect_error([&] { none.alarms(l.channels); }, "no model");
}

}  // namespace
}  // namespace sapper::pipeline
