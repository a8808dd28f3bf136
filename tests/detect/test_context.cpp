// Context features on a hand-made C-scan of spikes with answers worked out by hand (waveform,
// neighbours, along track, ranks with a tie, local neighbourhood, record edges), float = double,
// any thread count the same, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "sapper/detect/context.hpp"

using namespace sapper;
using namespace sapper::detect;

namespace {

struct Scene {
  std::vector<Matrix<double>> data;
  std::vector<GprAlarm> alarms;
};

GprAlarm alarm(Index t, Index c, Index s, double x, double y, double score) {
  GprAlarm a;
  a.trace = t, a.channel = c, a.sample = s, a.x_m = x, a.y_m = y, a.score = score;
  return a;
}

/// 3 channels of 128 samples x 20 traces, zero but for four spikes.
Scene spikes() {
  Scene s;
  s.data.assign(3, Matrix<double>::Zero(128, 20));
  s.data[1](60, 10) = 3.0;   // the echo: 3-trace mean 1 at sample 60
  s.data[0](60, 10) = 1.5;   // the channel beside it: half as strong, same shape
  s.data[1](62, 16) = 6.0;   // 6 traces along: 3-trace mean 2
  s.data[2](127, 19) = 4.0;  // last sample of the last trace: 2-trace mean 2
  s.alarms = {alarm(10, 1, 55, 1.0, 0.1, 5.0), alarm(0, 0, 0, 0.0, 0.0, 2.0), alarm(19, 2, 127, 1.2, 0.2, 4.0),
              alarm(10, 1, 55, 1.0, 0.1, 5.0)};
  return s;
}

template <class T>
std::vector<ConstView<T>> views(const std::vector<Matrix<T>>& d) {
  return {d.begin(), d.end()};
}

ContextOptions small() {
  ContextOptions o;
  o.half = 8, o.step = 4, o.search = 16, o.local_m = 0.3;
  return o;
}

}  // namespace

TEST(DetectContext, NamesInPythonOrder) {
  const auto n = context_feature_names();
  ASSERT_EQ(n.size(), 35u);
  EXPECT_EQ(n[0], "wf_0");
  EXPECT_EQ(n[23], "wf_23");
  EXPECT_EQ(n[24], "wf_sign");
  EXPECT_EQ(n[34], "local_rel");
  EXPECT_EQ(context_feature_names(small()).size(), 6u + 11u);
}

TEST(DetectContext, SpikesGiveTheHandWorkedValues) {
  const Scene s = spikes();
  const auto v = views(s.data);
  const Matrix<double> X = context_features<double>(v, s.alarms, small(), 1);
  ASSERT_EQ(X.rows(), 4);
  ASSERT_EQ(X.cols(), 17);
  const double inf_db = 20 * std::log10((1 + 1e-30) / 1e-30);  // median |x| = 0: floor 1e-30
  // alarm 0: peak moved from sample 55 to 60, p = 1; segment 52..75 holds it at index 8 (wf_2 = 1/4)
  const double a0[17] = {0, 0, 0.25, 0, 0, 0, 1, inf_db, 0.5, 0, 1, 0, 1, 2.5 / 4, 1.5 / 4, 2, 1};
  // alarm 1: nothing at trace 0 of channel 0; p = 1e-30, its only neighbour (channel 1) empty too
  const double a1[17] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5 / 4, 0.5 / 4, 0, 1};
  // alarm 2: last trace (mean of 2) and last sample (segment beyond the record is zero), p = 2
  const double a2[17] = {0, 0, 0.25, 0, 0, 0, 1, 20 * std::log10(2e30), 0, 0, 0, 0, 0, 1.5 / 4, 3.5 / 4, 2, 0.8};
  for (int j = 0; j < 17; ++j) {
    EXPECT_NEAR(X(0, j), a0[j], 1e-9 * std::max(1.0, std::abs(a0[j]))) << "feature " << j;
    EXPECT_NEAR(X(1, j), a1[j], 1e-12) << "feature " << j;
    EXPECT_NEAR(X(2, j), a2[j], 1e-9 * std::max(1.0, std::abs(a2[j]))) << "feature " << j;
  }
  // alarm 3 repeats alarm 0: the same features but the ranks, where the tie goes in index order
  for (int j = 0; j < 13; ++j) EXPECT_EQ(X(3, j), X(0, j)) << j;
  EXPECT_DOUBLE_EQ(X(3, 13), 3.5 / 4);
  EXPECT_DOUBLE_EQ(X(3, 14), 2.5 / 4);
  EXPECT_EQ(X(3, 15), 2);
  EXPECT_EQ(X(3, 16), 1);
}

TEST(DetectContext, FloatEqualsDoubleAndThreadsDoNotMatter) {
  std::mt19937 g(3);
  std::normal_distribution<double> z;
  std::vector<Matrix<double>> d(4, Matrix<double>(96, 300));
  std::vector<Matrix<float>> f(4, Matrix<float>(96, 300));
  for (int c = 0; c < 4; ++c)
    for (Index j = 0; j < 300; ++j)
      for (Index i = 0; i < 96; ++i) f[std::size_t(c)](i, j) = float(z(g)), d[std::size_t(c)](i, j) = f[std::size_t(c)](i, j);
  std::vector<GprAlarm> a;
  std::uniform_int_distribution<Index> tr(0, 299), ch(0, 3), sm(0, 95);
  for (int k = 0; k < 500; ++k) {
    const Index t = tr(g), c = ch(g);
    a.push_back(alarm(t, c, sm(g), 0.01 * double(t), 0.1 * double(c), z(g)));
  }
  const auto vd = views(d);
  const auto vf = views(f);
  const Matrix<double> x1 = context_features<double>(vd, a, {}, 1);
  const Matrix<double> x3 = context_features<double>(vd, a, {}, 3);
  const Matrix<double> xf = context_features<float>(vf, a, {}, 2);
  EXPECT_EQ(x1, x3);
  EXPECT_EQ(x1, xf);  // float data are read as double
  EXPECT_GT(x1.col(24 + 9).maxCoeff(), 0);  // some alarms have neighbours within 0.3 m
}

TEST(DetectContext, Errors) {
  Scene s = spikes();
  const auto v = views(s.data);
  ContextOptions o = small();
  o.step = 5;
  EXPECT_THROW(context_features<double>(v, s.alarms, o), ValueError);
  o = small(), o.local_m = std::nan("");
  EXPECT_THROW(context_features<double>(v, s.alarms, o), ValueError);
  auto bad = s.alarms;
  bad[1].sample = 128;
  EXPECT_THROW(context_features<double>(v, bad, small()), ValueError);
  bad = s.alarms, bad[1].channel = 3;
  EXPECT_THROW(context_features<double>(v, bad, small()), ValueError);
  EXPECT_THROW(context_features<double>(std::span<const ConstView<double>>{}, s.alarms, small()), ValueError);
  const Matrix<double> other = Matrix<double>::Zero(128, 19);
  const std::vector<ConstView<double>> unequal = {s.data[0], other, s.data[2]};
  EXPECT_THROW(context_features<double>(unequal, s.alarms, small()), ValueError);
  s.data[2](5, 5) = std::numeric_limits<double>::infinity();
  EXPECT_THROW(context_features<double>(views(s.data), s.alarms, small()), ValueError);
  EXPECT_EQ(context_features<double>(views(spikes().data), std::span<const GprAlarm>{}, small()).rows(), 0);
}

TEST(DetectContext, MergeKeepsTheStrongestOfEachNeighbourhood) {
  // 0 and 1 are 0.2 m apart (1 the stronger), 2 ties with 1 farther away, 3 sits 0.3 m from 2
  // inside 2's radius of 0.5 but outside 1's 0.25; 4 is NaN: last, kept (nothing near)
  const std::vector<double> x = {0.0, 0.2, 2.0, 2.3, 9.0}, y = {0, 0, 0, 0, 0};
  const std::vector<double> c = {0.5, 0.9, 0.9, 0.95, std::nan("")}, r = {0.25, 0.25, 0.5, 0.25, 0.25};
  // order: 3 (0.95), 1, 2 (tie: index order), 0, 4. 3 kept; 1 kept; 2 is 0.3 from 3 > 0.25: kept;
  // 0 within 0.25 of 1: dropped; 4 kept
  EXPECT_EQ(merge_alarms(x, y, c, r), (std::vector<Index>{1, 2, 3, 4}));
  const std::vector<double> one = {0.35};  // now 2 falls within 3's radius
  EXPECT_EQ(merge_alarms(x, y, c, one), (std::vector<Index>{1, 3, 4}));
  const std::vector<double> exact = {0.2};  // at exactly the radius: merged (<= r)
  EXPECT_EQ(merge_alarms({x.data(), 2}, {y.data(), 2}, {c.data(), 2}, std::span<const double>(exact)),
            (std::vector<Index>{1}));
  EXPECT_TRUE(merge_alarms({}, {}, {}, std::span<const double>(exact)).empty());
  const std::vector<double> neg = {-0.1};
  EXPECT_THROW(merge_alarms(x, y, c, neg), ValueError);
  EXPECT_THROW(merge_alarms(x, {y.data(), 3}, c, r), ValueError);
  EXPECT_THROW(merge_alarms(x, y, c, {r.data(), 3}), ValueError);
}
