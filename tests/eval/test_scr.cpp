// SCR and target masks against direct formulas on crafted arrays, float and double.
#include <gtest/gtest.h>

#include <cmath>

#include "sapper/core/error.hpp"
#include "sapper/eval.hpp"

using namespace sapper;
using namespace sapper::eval;

template <class T>
class EvalScr : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(EvalScr, Types);

TYPED_TEST(EvalScr, MatchesTheDefinition) {
  using T = TypeParam;
  Matrix<T> y(4, 3);
  y << 10, 1, 2,   //
      3, 4, -1,    //
      -2, 8, 1,    //
      0.5, 1, 1;
  Mask m = Mask::Zero(4, 3);
  m(1, 1) = m(2, 1) = true;  // target: 4 and 8 -> mean(Y^2) = 40
  // clutter: 100 1 4 9 1 4 1 0.25 1 1 -> 122.25 / 10
  EXPECT_NEAR(scr_db<T>(y, m), 10 * std::log10(40 / 12.225), 1e-5);
  // rows [1, 4): clutter 9 1 4 1 0.25 1 1 -> 17.25 / 7 (the 10 in the "air" row is left out)
  EXPECT_NEAR(scr_db<T>(y, m, {1, -1}), 10 * std::log10(40 / (17.25 / 7)), 1e-5);
  EXPECT_NEAR(scr_db<T>(y, m, {1, 3}), 10 * std::log10(40 / (15.0 / 4)), 1e-5);

  Matrix<T> z = y;
  z(1, 1) *= 2;
  z(2, 1) *= 2;  // target x2 -> +6.02 dB
  EXPECT_NEAR(scr_gain_db<T>(y, z, m), 20 * std::log10(2.0), 1e-5);
}

TYPED_TEST(EvalScr, TargetMaskFromTheTwin) {
  using T = TypeParam;
  Matrix<T> twin = Matrix<T>::Constant(3, 2, 5);
  Matrix<T> scene = twin;
  scene(0, 0) += 1;     // |d| = 1: the peak
  scene(1, 0) -= 0.2;   // 0.2 -> -14 dB
  scene(2, 1) += 0.05;  // 0.05 -> -26 dB
  const Mask m = target_mask<T>(scene, twin, -20);
  Mask want = Mask::Zero(3, 2);
  want(0, 0) = want(1, 0) = true;
  EXPECT_EQ(m, want);
  EXPECT_EQ(target_mask<T>(scene, twin, -30).count(), 3);
  EXPECT_EQ(target_mask<T>(scene, twin, 0).count(), 1);
}

TYPED_TEST(EvalScr, BadInput) {
  using T = TypeParam;
  Matrix<T> y = Matrix<T>::Ones(4, 3);
  Mask m = Mask::Zero(4, 3);
  m(2, 2) = true;
  EXPECT_THROW(scr_db<T>(y, Mask::Zero(4, 2)), ValueError);
  EXPECT_THROW(scr_db<T>(y, Mask::Zero(4, 3)), ValueError);      // empty mask
  EXPECT_THROW(scr_db<T>(y, Mask::Ones(4, 3)), ValueError);      // empty complement
  EXPECT_THROW(scr_db<T>(y, m, {0, 2}), ValueError);             // no target in the window
  EXPECT_THROW(scr_db<T>(y, m, {3, 3}), ValueError);             // empty window
  EXPECT_THROW(scr_db<T>(y, m, {0, 5}), ValueError);
  y(1, 2) = std::numeric_limits<T>::quiet_NaN();
  try {
    scr_db<T>(y, m);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("sample 1, trace 2"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(scr_db<T>(y, m, {2, -1}));  // the NaN lies outside the window
  Matrix<T> a = Matrix<T>::Ones(4, 3);
  EXPECT_THROW(target_mask<T>(a, a), ValueError);  // no signature
  EXPECT_THROW(target_mask<T>(a, Matrix<T>::Ones(3, 3)), ValueError);
  EXPECT_THROW(target_mask<T>(a, a, 3), ValueError);
}
