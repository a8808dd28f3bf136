#include <gtest/gtest.h>

#include "sapper/core/error.hpp"
#include "sapper/sim/truth.hpp"

using namespace sapper::sim;

TEST(Truth, JsonRoundTrip) {
  Truth t{{0, 20, -0.5, 0.5}, {}};
  t.objects.push_back({3, Label::ApMine, "PMN", 1.25, 0.1, 0.05, 0.112, "plastic", {0, 0, 1e-4}});
  t.objects.push_back({4, Label::Clutter, "rock", 7.5, -0.2, 0.12, 0.08, "rock", {}});
  const Truth r = truth_from_json(to_json(t));
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.objects[0].label, Label::ApMine);
  EXPECT_EQ(r.objects[0].type, "PMN");
  EXPECT_DOUBLE_EQ(r.objects[0].x, 1.25);
  EXPECT_DOUBLE_EQ(r.objects[0].moment[2], 1e-4);
  EXPECT_EQ(r.objects[1].label, Label::Clutter);
  EXPECT_DOUBLE_EQ(r.area.size_m2(), 20.0);
}

TEST(Truth, BadJsonNamesTheField) {
  EXPECT_THROW(truth_from_json("not json"), sapper::ValueError);
  try {
    truth_from_json(R"({"area": {"x0": 0, "x1": 1, "y0": 0, "y1": 1}, "objects": [{"label": "mine", "x": 0, "y": 0}]})");
    FAIL();
  } catch (const sapper::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("\"mine\""), std::string::npos);
  }
  EXPECT_THROW(truth_from_json(R"({"area": {"x0": 0, "x1": 1, "y0": 0, "y1": 1}, "objects": [{"label": "uxo", "y": 0}]})"),
               sapper::ValueError);
}
