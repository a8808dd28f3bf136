#include <gtest/gtest.h>

#include "sapper/classify/fusion.hpp"

namespace sapper::classify {
namespace {

// classes: ap_mine, at_mine, uxo, clutter
FusionOptions options() {
  FusionOptions o;
  o.prior = {0.2, 0.1, 0.1, 0.6};
  o.gpr.prior = {0.25, 0.25, 0.25, 0.25};
  o.gpr.pd = {0.9, 0.95, 0.9, 0.5};
  o.mag.prior = {0.1, 0.3, 0.3, 0.3};
  o.mag.pd = {0.05, 0.98, 0.98, 0.6};
  o.halo_m = 0.3;
  return o;
}

// P(c) ∝ prior(c) * g(c) * m(c), written out.
std::vector<double> direct(const std::vector<double>& prior, const std::vector<double>& g, const std::vector<double>& m) {
  std::vector<double> p(prior.size());
  double s = 0;
  for (std::size_t k = 0; k < p.size(); ++k) s += p[k] = prior[k] * g[k] * m[k];
  for (double& x : p) x /= s;
  return p;
}

void expect_near(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-14) << k;
}

TEST(ClassifyFusion, BayesRuleForAnAssociatedPair) {
  const auto o = options();
  const std::vector<double> pg{0.4, 0.3, 0.1, 0.2}, pm{0.05, 0.5, 0.25, 0.2};
  const auto f = fuse({{1.0, 2.0, pg}}, {{1.2, 2.0, pm}}, o);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].gpr, 0);
  EXPECT_EQ(f[0].mag, 0);
  EXPECT_NEAR(f[0].x, 1.1, 1e-15);
  EXPECT_NEAR(f[0].y, 2.0, 1e-15);
  const auto want = direct(o.prior, {0.4 / 0.25, 0.3 / 0.25, 0.1 / 0.25, 0.2 / 0.25},
                           {0.05 / 0.1, 0.5 / 0.3, 0.25 / 0.3, 0.2 / 0.3});
  expect_near(f[0].proba, want);
  EXPECT_NEAR(f[0].confidence, 1 - want[3], 1e-14);
  // clutter 0.6 * 0.8 * 2/3 = 0.32 of 0.713 in all: 0.45 < 0.5, so the label is the most probable
  // threat, at_mine 0.1 * 1.2 * 5/3 = 0.2 (ap_mine 0.16), although clutter is the largest class
  EXPECT_EQ(f[0].label, "at_mine");
}

TEST(ClassifyFusion, SilentMagnetometerCountsAgainstMetal) {
  const auto o = options();
  const std::vector<double> pg{0.3, 0.3, 0.2, 0.2};
  const auto f = fuse({{0, 0, pg}}, {{0.5, 0, {0.25, 0.25, 0.25, 0.25}}}, o);  // mag alarm outside the halo
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].gpr, 0);
  EXPECT_EQ(f[0].mag, -1);
  EXPECT_EQ(f[1].gpr, -1);
  EXPECT_EQ(f[1].mag, 0);
  expect_near(f[0].proba, direct(o.prior, {1.2, 1.2, 0.8, 0.8}, {0.95, 0.02, 0.02, 0.4}));
  EXPECT_EQ(f[0].label, "ap_mine");
  expect_near(f[1].proba, direct(o.prior, {0.1, 0.05, 0.1, 0.5}, {2.5, 2.5 / 3, 2.5 / 3, 2.5 / 3}));
}

TEST(ClassifyFusion, OneSensorAlonePassesThrough) {
  auto o = options();
  o.mag.covers = false;
  o.gpr.prior = o.prior;  // the GPR classifier was trained at the fusion prior
  const std::vector<double> pg{0.1, 0.2, 0.3, 0.4};
  const auto f = fuse({{3, 4, pg}}, {}, o);
  ASSERT_EQ(f.size(), 1u);
  expect_near(f[0].proba, pg);
  EXPECT_EQ(f[0].x, 3);
  EXPECT_EQ(f[0].y, 4);
  EXPECT_EQ(f[0].label, "uxo");  // confidence 0.6: not clutter, whose 0.4 is the largest class
  EXPECT_NEAR(f[0].confidence, 0.6, 1e-15);
  EXPECT_EQ(fuse({{3, 4, {0.1, 0.1, 0.3, 0.5}}}, {}, o)[0].label, "clutter");  // P(clutter) = 0.5
  auto none = o;
  none.clutter_label = "not a class";  // no clutter class: the most probable class, confidence its probability
  EXPECT_EQ(fuse({{3, 4, pg}}, {}, none)[0].label, "clutter");
  EXPECT_NEAR(fuse({{3, 4, pg}}, {}, none)[0].confidence, 0.4, 1e-15);
  auto e = to_eval_alarms(f);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].x, 3);
  EXPECT_EQ(e[0].confidence, f[0].confidence);
  EXPECT_EQ(e[0].label, "uxo");
  // magnetometer only, GPR absent
  o.gpr.covers = false;
  o.mag.covers = true;
  o.mag.prior = o.prior;
  const auto g = fuse({}, {{1, 1, pg}}, o);
  ASSERT_EQ(g.size(), 1u);
  expect_near(g[0].proba, pg);
}

TEST(ClassifyFusion, GreedyAssociationTakesTheClosestPairFirst) {
  auto o = options();
  const std::vector<double> p{0.25, 0.25, 0.25, 0.25};
  // g0 at 0, g1 at 0.25; m0 at 0.2: closest to g1 (0.05) though within g0's halo (0.2)
  const auto f = fuse({{0, 0, p}, {0.25, 0, p}}, {{0.2, 0, p}, {-0.1, 0, p}}, o);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].gpr, 0);
  EXPECT_EQ(f[0].mag, 1);
  EXPECT_EQ(f[1].gpr, 1);
  EXPECT_EQ(f[1].mag, 0);
  o.halo_m = 0.04;
  EXPECT_EQ(fuse({{0, 0, p}, {0.25, 0, p}}, {{0.2, 0, p}, {-0.1, 0, p}}, o).size(), 4u);
}

TEST(ClassifyFusion, RejectsBadInput) {
  const auto o = options();
  EXPECT_THROW(fuse({{0, 0, {0.5, 0.5}}}, {}, o), ValueError);
  EXPECT_THROW(fuse({{NAN, 0, {0.25, 0.25, 0.25, 0.25}}}, {}, o), ValueError);
  auto b = o;
  b.mag.pd = {0.1, 1.5, 0, 0};
  EXPECT_THROW(fuse({}, {}, b), ValueError);
  b = o;
  b.halo_m = -1;
  EXPECT_THROW(fuse({}, {}, b), ValueError);
}

}  // namespace
}  // namespace sapper::classify
