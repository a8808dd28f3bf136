// Scoring against hand-computed Pd/FAR on crafted scenes, a brute-force matcher, and closed forms.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sapper/core/error.hpp"
#include "sapper/eval.hpp"

using namespace sapper;
using namespace sapper::eval;
using sim::Label;

namespace {

sim::TruthObject obj(int id, Label l, double x, double y, double depth = 0.1, double size = 0.1,
                     std::string type = "t") {
  sim::TruthObject o;
  o.id = id;
  o.label = l;
  o.x = x;
  o.y = y;
  o.depth = depth;
  o.size = size;
  o.type = std::move(type);
  return o;
}

sim::Truth lane(std::vector<sim::TruthObject> objects) { return {{0, 10, 0, 2}, std::move(objects)}; }  // 20 m^2

template <class F>
void expect_message(F f, const std::string& part) {
  try {
    f();
    FAIL() << "no ValueError (expected one mentioning \"" << part << "\")";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(EvalScore, TwoAlarmsOnOneTargetAreOneDetectionAndOneFalseAlarm) {
  const auto t = lane({obj(1, Label::ApMine, 1, 1)});
  const std::vector<Alarm> a{{1.1, 1, 0.9, ""}, {1, 1.05, 0.8, ""}};
  const Score s = score(a, t);
  EXPECT_EQ(s.roc.n_detected.back(), 1);
  EXPECT_EQ(s.roc.n_false.back(), 1);
  EXPECT_DOUBLE_EQ(s.roc.far.back(), 1.0 / 20);
  EXPECT_DOUBLE_EQ(s.roc.pd.back(), 1.0);
  EXPECT_EQ(s.alarms[0].target, 0);
  EXPECT_NEAR(s.alarms[0].distance, 0.1, 1e-12);
  EXPECT_EQ(s.alarms[1].target, -1);
  EXPECT_EQ(s.alarms[1].duplicate_of, 0);
  EXPECT_EQ(s.targets[0].alarm, 0);
  EXPECT_DOUBLE_EQ(s.targets[0].confidence, 0.9);

  ScoreOptions o;
  o.duplicates_are_false_alarms = false;
  const Score q = score(a, t, o);
  EXPECT_EQ(q.roc.n_detected.back(), 1);
  EXPECT_EQ(q.roc.n_false.back(), 0);
  EXPECT_EQ(q.alarms[1].duplicate_of, 0);
}

TEST(EvalScore, TheMoreConfidentAlarmDetectsEvenWhenLaterInInput) {
  const auto t = lane({obj(1, Label::ApMine, 1, 1)});
  const std::vector<Alarm> a{{1, 1, 0.2, ""}, {1.2, 1, 0.7, ""}};
  const Score s = score(a, t);
  EXPECT_EQ(s.alarms[1].target, 0);
  EXPECT_EQ(s.alarms[0].duplicate_of, 0);
  EXPECT_EQ(s.targets[0].alarm, 1);
}

TEST(EvalScore, AlarmBetweenTwoTargetsGoesToTheNearerAndTheOtherCanStillBeFound) {
  // AT halos 0.5 m; targets 0.75 m apart
  const auto t = lane({obj(1, Label::AtMine, 4, 1), obj(2, Label::AtMine, 4.75, 1)});
  // first: 0.3125 m from target 0, 0.4375 m from target 1 (both halos) -> target 0;
  // second: 0.25 m from the detected target 0 and 0.5 m (on the edge) from target 1 -> target 1
  const std::vector<Alarm> a{{4.3125, 1, 0.9, ""}, {4.25, 1, 0.5, ""}};
  const Score s = score(a, t);
  EXPECT_EQ(s.alarms[0].target, 0);
  EXPECT_DOUBLE_EQ(s.alarms[0].distance, 0.3125);
  EXPECT_EQ(s.alarms[1].target, 1);
  EXPECT_DOUBLE_EQ(s.alarms[1].distance, 0.5);
  EXPECT_EQ(s.roc.n_detected, (std::vector<Index>{0, 1, 2}));
  EXPECT_EQ(s.roc.n_false, (std::vector<Index>{0, 0, 0}));
}

TEST(EvalScore, AlarmsOutsideTheAreaAreIgnored) {
  const auto t = lane({obj(1, Label::ApMine, 0.1, 1)});
  const std::vector<Alarm> a{{-0.05, 1, 0.9, ""}, {11, 1, 0.8, ""}, {5, 3, 0.7, ""}, {5, 1, 0.1, ""}};
  const Score s = score(a, t);
  EXPECT_EQ(s.n_alarms, 4);
  EXPECT_EQ(s.n_outside, 3);
  EXPECT_EQ(s.n_scored, 1);
  EXPECT_TRUE(s.alarms[0].outside && s.alarms[1].outside && s.alarms[2].outside);
  EXPECT_FALSE(s.alarms[3].outside);
  EXPECT_EQ(s.roc.n_detected.back(), 0);  // the alarm 0.15 m away is outside: the target is missed
  EXPECT_EQ(s.roc.n_false.back(), 1);
  EXPECT_EQ(s.roc.threshold.size(), 2u);
}

TEST(EvalScore, AlarmOnClutterIsAFalseAlarmCountedOnClutter) {
  const auto t = lane({obj(1, Label::ApMine, 1, 1), obj(2, Label::Clutter, 9, 1, 0.05, 0.1, "rock")});
  const std::vector<Alarm> a{{9.1, 1, 0.9, "ap_mine"}, {6, 1, 0.8, "ap_mine"}, {1, 1, 0.7, "ap_mine"}};
  const Score s = score(a, t);
  EXPECT_EQ(s.n_targets, 1);
  EXPECT_EQ(s.alarms[0].clutter, 1);
  EXPECT_NEAR(s.alarms[0].distance, 0.1, 1e-12);
  EXPECT_EQ(s.alarms[1].clutter, -1);
  EXPECT_EQ(s.roc.n_false.back(), 2);
  EXPECT_EQ(s.targets[1].alarm, -1);  // clutter is never "detected"
  ScoreOptions o;
  o.threshold = 0.0;
  const Score q = score(a, t, o);
  EXPECT_EQ(q.n_false_on_clutter, 1);
  EXPECT_EQ(q.confusion[4][0], 1);  // on_clutter x ap_mine
  EXPECT_EQ(q.confusion[3][0], 1);  // false_alarm x ap_mine
  EXPECT_EQ(q.confusion[0][0], 1);  // ap_mine x ap_mine
}

TEST(EvalScore, HaloDependsOnLabelAndSize) {
  // 0.3 m from an AP mine misses (halo 0.25 m), 0.3 m from an AT mine hits (0.5 m), 0.65 m from a
  // 1.0 m object hits (1.0/2 + 0.2 = 0.7 m)
  const auto t = lane({obj(1, Label::ApMine, 1, 1), obj(2, Label::AtMine, 4, 1), obj(3, Label::Uxo, 7, 1, 0.3, 1.0)});
  const std::vector<Alarm> a{{1.3, 1, 0.9, ""}, {4.3, 1, 0.8, ""}, {7.65, 1, 0.7, ""}};
  const Score s = score(a, t);
  EXPECT_EQ(s.alarms[0].target, -1);
  EXPECT_EQ(s.alarms[1].target, 1);
  EXPECT_EQ(s.alarms[2].target, 2);
  EXPECT_DOUBLE_EQ(s.targets[0].halo, 0.25);
  EXPECT_DOUBLE_EQ(s.targets[1].halo, 0.5);
  EXPECT_DOUBLE_EQ(s.targets[2].halo, 0.7);
  EXPECT_DOUBLE_EQ(halo_radius(obj(0, Label::Clutter, 0, 0)), 0.25);
  EXPECT_DOUBLE_EQ(halo_radius(obj(0, Label::Uxo, 0, 0, 0, 0.6)), 0.5);  // the size rule is continuous at 0.6 m

  ScoreOptions o;
  o.halo.ap_m = 0.35;
  o.halo_by_id = {{2, 0.2}};
  const Score q = score(a, t, o);
  EXPECT_EQ(q.alarms[0].target, 0);
  EXPECT_EQ(q.alarms[1].target, -1);
}

TEST(EvalScore, RocPdAtRatesAndPartialAuc) {
  // 100 m^2, four AP mines; alarms alternate detection / false alarm with a tie at the end
  sim::Truth t{{0, 10, 0, 10},
               {obj(1, Label::ApMine, 1, 1, 0.02, 0.1, "PMN"), obj(2, Label::ApMine, 3, 3, 0.07, 0.1, "PMN"),
                obj(3, Label::ApMine, 5, 5, 0.12, 0.1, "PMA-1"), obj(4, Label::ApMine, 7, 7, 0.35, 0.1, "M14")}};
  const std::vector<Alarm> a{{9, 1, 0.4, ""}, {1, 1, 0.9, ""}, {9, 2, 0.8, ""}, {3, 3, 0.7, ""},
                             {9, 3, 0.6, ""}, {5, 5, 0.5, ""}, {9, 4, 0.4, ""}};
  ScoreOptions o;
  o.fa_rates = {0.001, 0.01, 0.02, 0.1};
  o.max_far = 0.05;
  const Score s = score(a, t, o);
  EXPECT_EQ(s.roc.threshold, (std::vector<double>{INFINITY, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4}));
  EXPECT_EQ(s.roc.n_detected, (std::vector<Index>{0, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(s.roc.n_false, (std::vector<Index>{0, 0, 1, 1, 2, 2, 4}));
  for (std::size_t k = 1; k < s.roc.pd.size(); ++k) {
    EXPECT_GE(s.roc.pd[k], s.roc.pd[k - 1]);
    EXPECT_GE(s.roc.far[k], s.roc.far[k - 1]);
    EXPECT_LT(s.roc.threshold[k], s.roc.threshold[k - 1]);
  }
  ASSERT_EQ(s.at_rates.size(), 4u);
  const double want_pd[] = {0.25, 0.5, 0.75, 0.75}, want_thr[] = {0.9, 0.7, 0.5, 0.5}, want_far[] = {0, 0.01, 0.02, 0.02};
  for (int k = 0; k < 4; ++k) {
    EXPECT_DOUBLE_EQ(s.at_rates[std::size_t(k)].pd, want_pd[k]) << k;
    EXPECT_DOUBLE_EQ(s.at_rates[std::size_t(k)].threshold, want_thr[k]) << k;
    EXPECT_DOUBLE_EQ(s.at_rates[std::size_t(k)].far, want_far[k]) << k;
  }
  // step curve: 0.25 on [0, 0.01), 0.5 on [0.01, 0.02), 0.75 on [0.02, 0.05)
  EXPECT_NEAR(s.pauc, (0.25 * 0.01 + 0.5 * 0.01 + 0.75 * 0.03) / 0.05, 1e-12);
  o.max_far = 0.015;
  EXPECT_NEAR(score(a, t, o).pauc, (0.25 * 0.01 + 0.5 * 0.005) / 0.015, 1e-12);

  // operating point: Pd at 0.01 FA/m^2 -> threshold 0.7, mines 1 and 2 found
  EXPECT_DOUBLE_EQ(s.operating.threshold, 0.7);
  EXPECT_EQ(s.operating.n_detected, 2);
  EXPECT_EQ(s.operating.n_false, 1);
  ASSERT_EQ(s.by_label.size(), 1u);
  EXPECT_EQ(s.by_label[0].name, "ap_mine");
  EXPECT_EQ(s.by_label[0].n_detected, 2);
  ASSERT_EQ(s.by_type.size(), 3u);
  EXPECT_EQ(s.by_type[0].name, "M14");
  EXPECT_EQ(s.by_type[2].name, "PMN");
  EXPECT_EQ(s.by_type[2].n_targets, 2);
  EXPECT_EQ(s.by_type[2].n_detected, 2);
  EXPECT_EQ(s.by_type[1].n_detected, 0);
  ASSERT_EQ(s.by_depth.size(), 6u);
  const Index want_n[] = {1, 1, 1, 0, 0, 1}, want_d[] = {1, 1, 0, 0, 0, 0};
  for (int b = 0; b < 6; ++b) {
    EXPECT_EQ(s.by_depth[std::size_t(b)].n_targets, want_n[b]) << b;
    EXPECT_EQ(s.by_depth[std::size_t(b)].n_detected, want_d[b]) << b;
  }
  EXPECT_EQ(s.by_depth[5].name, "[0.3, inf)");
  EXPECT_TRUE(std::isnan(s.by_depth[3].pd));

  // a threshold between ROC points runs the alarms above it
  const auto p = operating_point(s, 0.55);
  EXPECT_EQ(p.n_detected, 2);
  EXPECT_EQ(p.n_false, 2);
  EXPECT_EQ(operating_point(s, INFINITY).n_detected, 0);
  EXPECT_EQ(operating_point(s, -INFINITY).n_false, 4);
}

TEST(EvalScore, ConfusionMatrixCounts) {
  const auto t = lane({obj(1, Label::ApMine, 1, 1), obj(2, Label::AtMine, 4, 1), obj(3, Label::Uxo, 7, 1),
                       obj(4, Label::Clutter, 9, 1)});
  const std::vector<Alarm> a{{1, 1, 0.9, "ap_mine"},   {4, 1, 0.9, "ap_mine"}, {7, 1, 0.9, "uxo"},
                             {9, 1, 0.9, "clutter"},   {5.5, 1, 0.9, ""},      {1.1, 1, 0.9, "ap_mine"},
                             {5.5, 1.5, 0.1, "at_mine"}};
  ScoreOptions o;
  o.threshold = 0.5;
  const Score s = score(a, t, o);
  ASSERT_TRUE(s.has_labels);
  std::array<std::array<Index, 5>, 5> want{};
  want[0][0] = 1;  // AP found, called AP
  want[1][0] = 1;  // AT found, called AP
  want[2][2] = 1;  // UXO found, called UXO
  want[4][3] = 1;  // on clutter, called clutter
  want[3][4] = 1;  // false alarm without a label
  want[3][0] = 1;  // duplicate on the AP mine
  EXPECT_EQ(s.confusion, want);  // the 0.1-confidence alarm is below the threshold
  EXPECT_FALSE(score(std::vector<Alarm>{{1, 1, 1, ""}}, t).has_labels);
}

TEST(EvalScore, NoAlarmsAndNoTargets) {
  const auto t = lane({obj(1, Label::ApMine, 1, 1)});
  const Score s = score(std::vector<Alarm>{}, t);
  EXPECT_EQ(s.roc.threshold.size(), 1u);
  EXPECT_EQ(s.at_rates[0].pd, 0);
  EXPECT_EQ(s.pauc, 0);
  EXPECT_DOUBLE_EQ(s.at_rates[0].pd_ci.hi, 1 - std::pow(0.025, 1.0));  // 0 of 1: 1 - (alpha/2)^(1/n)

  const auto blank = lane({obj(1, Label::Clutter, 1, 1)});
  const Score b = score(std::vector<Alarm>{{5, 1, 1, ""}}, blank);
  EXPECT_EQ(b.n_targets, 0);
  EXPECT_TRUE(std::isnan(b.roc.pd.back()));
  EXPECT_DOUBLE_EQ(b.roc.far.back(), 0.05);
}

TEST(EvalScore, GridAgreesWithBruteForce) {
  // random scene with mixed halos (some objects larger than 0.6 m) against an O(A T) matcher
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> ux(-1, 31), uy(-1, 11), uc(0, 1), us(0.05, 1.5);
  sim::Truth t{{0, 30, 0, 10}, {}};
  for (int i = 0; i < 300; ++i) {
    const Label l = static_cast<Label>(i % 4);
    t.objects.push_back(obj(i, l, ux(rng), uy(rng), 0.1, i % 7 == 0 ? us(rng) : 0.1));
  }
  std::vector<Alarm> a;
  for (int k = 0; k < 3000; ++k) a.push_back({ux(rng), uy(rng), std::round(uc(rng) * 50) / 50, ""});
  const Score s = score(a, t);

  std::vector<Index> order;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (t.area.contains(a[k].x, a[k].y)) order.push_back(Index(k));
  std::sort(order.begin(), order.end(), [&](Index p, Index q) {
    const double cp = a[std::size_t(p)].confidence, cq = a[std::size_t(q)].confidence;
    return cp > cq || (cp == cq && p < q);
  });
  std::vector<char> det(t.objects.size(), 0);
  Index n_det = 0, n_fa = 0;
  for (Index k : order) {
    const auto& al = a[std::size_t(k)];
    Index best = -1, dup = -1;
    double db = INFINITY;
    for (std::size_t i = 0; i < t.objects.size(); ++i) {
      const auto& o = t.objects[i];
      const double d = std::hypot(al.x - o.x, al.y - o.y);
      if (o.label == Label::Clutter || d > halo_radius(o)) continue;
      if (det[i])
        dup = Index(i);
      else if (d < db)
        best = Index(i), db = d;
    }
    EXPECT_EQ(s.alarms[std::size_t(k)].target, best) << "alarm " << k;
    if (best >= 0)
      det[std::size_t(best)] = 1, ++n_det;
    else
      ++n_fa;
    EXPECT_EQ(s.alarms[std::size_t(k)].duplicate_of >= 0, best < 0 && dup >= 0) << "alarm " << k;
  }
  EXPECT_EQ(s.roc.n_detected.back(), n_det);
  EXPECT_EQ(s.roc.n_false.back(), n_fa);
  EXPECT_GT(n_det, 20);
}

TEST(EvalScore, BadInputNamesTheValue) {
  const auto t = lane({obj(1, Label::ApMine, 1, 1)});
  expect_message([&] { score(std::vector<Alarm>{{NAN, 1, 1, ""}}, t); }, "alarm 0 has x = nan");
  expect_message([&] { score(std::vector<Alarm>{{1, 1, 1, ""}, {1, 1, INFINITY, ""}}, t); }, "alarm 1 has confidence = inf");
  expect_message([&] { score(std::vector<Alarm>{{1, 1, 1, "mine"}}, t); }, "\"mine\"");
  ScoreOptions o;
  o.halo.ap_m = -0.1;
  expect_message([&] { score(std::vector<Alarm>{}, t, o); }, "ap_m = -0.1");
  o = {};
  o.halo_by_id = {{9, 0.3}};
  expect_message([&] { score(std::vector<Alarm>{}, t, o); }, "id 9");
  o = {};
  o.depth_bins = {0, 0.1, 0.1};
  expect_message([&] { score(std::vector<Alarm>{}, t, o); }, "depth_bins must increase");
  o = {};
  o.max_far = 0;
  expect_message([&] { score(std::vector<Alarm>{}, t, o); }, "max_far = 0");
  o = {};
  o.confidence_level = 1;
  expect_message([&] { score(std::vector<Alarm>{}, t, o); }, "confidence_level = 1");
  sim::Truth empty{{0, 0, 0, 1}, {}};
  expect_message([&] { score(std::vector<Alarm>{}, empty); }, "x1 > x0");
  auto bad = t;
  bad.objects[0].y = NAN;
  expect_message([&] { score(std::vector<Alarm>{}, bad); }, "y = nan");
}

TEST(EvalBeta, IncompleteBetaClosedForms) {
  for (double x : {1e-6, 0.01, 0.3, 0.5, 0.77, 0.999}) {
    EXPECT_NEAR(beta_inc(1, 7.5, x), 1 - std::pow(1 - x, 7.5), 1e-14) << x;
    EXPECT_NEAR(beta_inc(3.2, 1, x), std::pow(x, 3.2), 1e-14) << x;
    EXPECT_NEAR(beta_inc(2, 2, x), 3 * x * x - 2 * x * x * x, 1e-14) << x;
    EXPECT_NEAR(beta_inc(40, 25, x) + beta_inc(25, 40, 1 - x), 1, 1e-13) << x;
    for (double p : {0.025, 0.5, 0.975})
      EXPECT_NEAR(beta_inc(40, 25, beta_inc_inv(40, 25, p)), p, 1e-13) << p;
  }
  EXPECT_NEAR(beta_inc_inv(1, 9, 0.5), 1 - std::pow(0.5, 1.0 / 9), 1e-15);
  EXPECT_THROW(beta_inc(0, 1, 0.5), ValueError);
  EXPECT_THROW(beta_inc(1, 1, 1.5), ValueError);
}

TEST(EvalBeta, ClopperPearsonEdgesAndKnownValue) {
  for (Index n : {1, 7, 50, 1000}) {
    const auto none = clopper_pearson(0, n), all = clopper_pearson(n, n);
    EXPECT_EQ(none.lo, 0);
    EXPECT_NEAR(none.hi, 1 - std::pow(0.025, 1.0 / double(n)), 1e-13) << n;  // (1 - p)^n = alpha/2
    EXPECT_NEAR(all.lo, std::pow(0.025, 1.0 / double(n)), 1e-13) << n;
    EXPECT_EQ(all.hi, 1);
  }
  const auto i = clopper_pearson(5, 10);  // the textbook 5/10: [0.1871, 0.8129]
  EXPECT_NEAR(i.lo, 0.187086, 1e-6);
  EXPECT_NEAR(i.hi, 0.812914, 1e-6);
  const auto e = clopper_pearson(0, 0);
  EXPECT_EQ(e.lo, 0);
  EXPECT_EQ(e.hi, 1);
  EXPECT_THROW(clopper_pearson(3, 2), ValueError);
  EXPECT_THROW(clopper_pearson(1, 2, 0.0), ValueError);
}
