// Stacking and resampling checked against direct formulas (bins found by brute force here).
#include "sapper/gpr/resample.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "sapper/core/error.hpp"

using namespace sapper;
using namespace sapper::gpr;

namespace {

template <class T>
double tol() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// Traces linear in position: sample i of the trace at x is a_i + b_i * x.
double lin(Index i, double x) { return 0.3 * double(i) - 1.0 + (2.0 - 0.5 * double(i)) * x; }

template <class T>
Matrix<T> linear_traces(Index n, const std::vector<double>& p) {
  Matrix<T> x(n, Index(p.size()));
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < n; ++i) x(i, j) = T(lin(i, p[j]));
  return x;
}

template <class T>
void check_linear(int threads) {
  // Irregular positions away from bin edges; s = 0.1 gives x_k = 0, 0.1, ..., 1.0 (K = 11).
  const std::vector<double> p{0.0, 0.03, 0.07, 0.12, 0.13, 0.18, 0.42, 0.44, 0.61, 0.93, 1.02};
  const double s = 0.1;
  const Index n = 5, K = 11;
  const auto r = resample_traces<T>(linear_traces<T>(n, p), p, s, threads);
  ASSERT_EQ(r.data.rows(), n);
  ASSERT_EQ(r.data.cols(), K);
  ASSERT_EQ(Index(r.count.size()), K);
  EXPECT_EQ(r.x0_m, 0.0);
  EXPECT_EQ(r.spacing_m, s);
  for (Index k = 0; k < K; ++k) {
    const double xk = double(k) * s;
    double sum = 0;
    Index c = 0;
    for (double pj : p)
      if (pj >= xk - s / 2 && (pj < xk + s / 2 || (k == K - 1 && pj <= xk + s / 2))) sum += pj, ++c;
    EXPECT_EQ(r.count[k], c) << k;
    // a stacked bin is the mean trace a + b*mean(p); an empty bin is the line itself at x_k
    const double x = c ? sum / double(c) : xk;
    for (Index i = 0; i < n; ++i) EXPECT_NEAR(r.data(i, k), lin(i, x), tol<T>() * 4) << k << ", " << i;
  }
  const std::vector<Index> expected_count{2, 3, 1, 0, 2, 0, 1, 0, 0, 1, 1};
  EXPECT_EQ(r.count, expected_count);
}

/// Distinct, non-linear values per trace so that a wrong pairing of traces shows.
template <class T>
Matrix<T> arbitrary(Index n, Index m) {
  Matrix<T> x(n, m);
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < n; ++i) x(i, j) = T(std::sin(1.3 * double(j * j) + 0.7 * double(i)) + 0.1 * double(j));
  return x;
}

template <class T>
void check_stops() {
  const std::vector<double> p{0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.5, 2.0};  // cart stopped at 1 m
  const Matrix<T> x = arbitrary<T>(4, 8);
  const auto r = resample_traces<T>(x, p, 0.5);
  ASSERT_EQ(r.data.cols(), 5);
  EXPECT_EQ(r.count, (std::vector<Index>{1, 1, 4, 1, 1}));
  const Index src[] = {0, 1, -1, 6, 7};
  for (Index i = 0; i < 4; ++i) {
    const double mean = (double(x(i, 2)) + x(i, 3) + x(i, 4) + x(i, 5)) / 4;
    EXPECT_NEAR(r.data(i, 2), mean, tol<T>());
    for (Index k : {0, 1, 3, 4}) EXPECT_EQ(r.data(i, k), x(i, src[k]));
  }
}

template <class T>
void check_gap() {
  // s = 0.2: x_k = 0, 0.2, ..., 1.0; bins 1..4 are empty and interpolate between 0.08 and 1.0.
  const std::vector<double> p{0.0, 0.08, 1.0, 1.05};
  const Matrix<T> x = arbitrary<T>(3, 4);
  const auto r = resample_traces<T>(x, p, 0.2);
  ASSERT_EQ(r.data.cols(), 6);
  EXPECT_EQ(r.count, (std::vector<Index>{2, 0, 0, 0, 0, 2}));
  for (Index i = 0; i < 3; ++i) {
    EXPECT_NEAR(r.data(i, 0), (double(x(i, 0)) + x(i, 1)) / 2, tol<T>());
    EXPECT_NEAR(r.data(i, 5), (double(x(i, 2)) + x(i, 3)) / 2, tol<T>());
    for (Index k = 1; k <= 4; ++k) {
      const double w = (0.2 * double(k) - 0.08) / (1.0 - 0.08);
      EXPECT_NEAR(r.data(i, k), (1 - w) * x(i, 1) + w * x(i, 2), tol<T>()) << k;
    }
  }
}

template <class T>
Matrix<T> stack_reference(const Matrix<T>& x, Index n) {
  const Index m = x.cols(), g = (m + n - 1) / n;
  Matrix<T> y(x.rows(), g);
  for (Index k = 0; k < g; ++k) {
    const Index e = std::min(m, (k + 1) * n);
    for (Index i = 0; i < x.rows(); ++i) {
      double s = 0;
      for (Index j = k * n; j < e; ++j) s += x(i, j);
      y(i, k) = T(s / double(e - k * n));
    }
  }
  return y;
}

template <class T>
void check_stack() {
  const Matrix<T> x = arbitrary<T>(6, 7);
  for (Index n : {1, 2, 3, 7, 10}) {  // 3 leaves a last group of one trace; 10 > m stacks everything
    const Matrix<T> y = stack_traces<T>(x, n, 2), ref = stack_reference(x, n);
    ASSERT_EQ(y.rows(), 6);
    ASSERT_EQ(y.cols(), (7 + n - 1) / n) << n;
    for (Index k = 0; k < y.cols(); ++k)
      for (Index i = 0; i < 6; ++i) EXPECT_NEAR(y(i, k), ref(i, k), tol<T>()) << n << ", " << k;
  }
  // n = 3 by hand: groups {0,1,2}, {3,4,5}, {6}
  const Matrix<T> y = stack_traces<T>(x, 3);
  EXPECT_NEAR(y(2, 1), (double(x(2, 3)) + x(2, 4) + x(2, 5)) / 3, tol<T>());
  EXPECT_EQ(y(2, 2), x(2, 6));
}

/// Expects a ValueError whose message contains `needle`.
template <class F>
void expect_value_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception, expected one mentioning " << needle;
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Resample, LinearInPositionIrregularSpacing) {
  check_linear<double>(0);
  check_linear<float>(1);
}

TEST(Resample, CartStopStacksRepeatedPositions) {
  check_stops<double>();
  check_stops<float>();
}

TEST(Resample, GapsAreInterpolated) {
  check_gap<double>();
  check_gap<float>();
}

TEST(Resample, StackTracesPartialLastGroup) {
  check_stack<double>();
  check_stack<float>();
}

TEST(Resample, BinEdgesHalfOpenLastClosed) {
  // 0.25 / 0.5 = 0.5 exactly: the edge belongs to the bin above it
  auto r = resample_traces<double>(Matrix<double>::Ones(2, 4), {0.0, 0.25, 0.5, 1.0}, 0.5);
  EXPECT_EQ(r.count, (std::vector<Index>{1, 2, 1}));
  // the last bin is closed: 0.75 is its upper edge
  r = resample_traces<double>(Matrix<double>::Ones(2, 2), {0.0, 0.75}, 0.5);
  EXPECT_EQ(r.count, (std::vector<Index>{1, 1}));
}

TEST(Resample, TailPastLastBinOnlyInterpolates) {
  // K = floor(2.9) + 1 = 3: x = 0, 1, 2; the trace at 2.9 is past the last bin [1.5, 2.5].
  const Matrix<double> x = arbitrary<double>(3, 2);
  const auto r = resample_traces<double>(x, {0.0, 2.9}, 1.0);
  ASSERT_EQ(r.data.cols(), 3);
  EXPECT_EQ(r.count, (std::vector<Index>{1, 0, 0}));
  for (Index i = 0; i < 3; ++i)
    for (Index k = 1; k <= 2; ++k)
      EXPECT_NEAR(r.data(i, k), x(i, 0) + double(k) / 2.9 * (x(i, 1) - x(i, 0)), 1e-12);
}

TEST(Resample, ZeroLengthLineAndSingleTrace) {
  const Matrix<double> x = arbitrary<double>(3, 3);
  auto r = resample_traces<double>(x, {2.0, 2.0, 2.0}, 0.1);
  ASSERT_EQ(r.data.cols(), 1);
  EXPECT_EQ(r.x0_m, 2.0);
  EXPECT_EQ(r.count, (std::vector<Index>{3}));
  for (Index i = 0; i < 3; ++i) EXPECT_NEAR(r.data(i, 0), (x(i, 0) + x(i, 1) + x(i, 2)) / 3, 1e-12);
  r = resample_traces<double>(x.leftCols(1), {5.0}, 0.1);
  ASSERT_EQ(r.data.cols(), 1);
  EXPECT_EQ(r.data.col(0), x.col(0));
}

TEST(Resample, SameForAnyThreadCount) {
  const Index m = 500;
  std::vector<double> p(m);
  for (Index j = 0; j < m; ++j) p[j] = 0.01 * double(j) + 0.004 * std::sin(double(j)) + (j > 300 ? 0.5 : 0.0);
  const Matrix<float> x = arbitrary<float>(7, m);
  const auto a = resample_traces<float>(x, p, 0.013, 1), b = resample_traces<float>(x, p, 0.013, 5);
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(stack_traces<float>(x, 3, 1), stack_traces<float>(x, 3, 5));
}

TEST(Resample, RejectsBadInput) {
  const Matrix<double> x = Matrix<double>::Ones(2, 3);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  expect_value_error([&] { resample_traces<double>(x, {0.0, 0.2, 0.1}, 0.1); }, "positions_m[2] = 0.1");
  expect_value_error([&] { resample_traces<double>(x, {0.0, nan, 0.3}, 0.1); }, "positions_m[1]");
  expect_value_error([&] { resample_traces<double>(x, {0.0, 0.1, inf}, 0.1); }, "positions_m[2]");
  expect_value_error([&] { resample_traces<double>(x, {0.0, 0.1}, 0.1); }, "3 traces");
  for (double s : {0.0, -0.1, nan, inf})
    expect_value_error([&] { resample_traces<double>(x, {0.0, 0.1, 0.2}, s); }, "spacing_m");
  expect_value_error([&] { resample_traces<double>(x, {0.0, 0.1, 1e6}, 1e-6); }, "max_resampled_values");
  expect_value_error([&] { resample_traces<double>(Matrix<double>(2, 0), {}, 0.1); }, "empty");
  for (Index n : {0, -1}) expect_value_error([&] { stack_traces<double>(x, n); }, "stack n");
  expect_value_error([&] { stack_traces<float>(Matrix<float>(0, 4), 2); }, "empty");
}

/// A band-limited periodic trace (whole cycles over the window, below both Nyquists) sampled at
/// n points: resampling to m samples gives its analytic samples at the m new times.
template <class T>
void check_band_limited(Index n, Index m, int threads) {
  const auto f = [](double u) {  // u = time / window, in [0, 1)
    return 0.7 + std::cos(2 * M_PI * 3 * u + 0.4) - 0.5 * std::sin(2 * M_PI * 17 * u) + 0.25 * std::cos(2 * M_PI * 40 * u);
  };
  Matrix<T> x(n, 3), y(m, 3);
  for (Index j = 0; j < 3; ++j)
    for (Index i = 0; i < n; ++i) x(i, j) = T((1.0 + double(j)) * f(double(i) / double(n)));
  resample_samples<T>(x, y, threads);
  for (Index j = 0; j < 3; ++j)
    for (Index i = 0; i < m; ++i)
      ASSERT_NEAR(double(y(i, j)), (1.0 + double(j)) * f(double(i) / double(m)), 1e3 * tol<T>()) << n << " -> " << m;
}

TEST(Resample, SamplesBandLimitedTraceExactly) {
  for (const auto& [n, m] : std::vector<std::pair<Index, Index>>{{128, 256}, {256, 128}, {101, 333}, {333, 100},
                                                                 {200, 200}, {96, 97}}) {
    check_band_limited<double>(n, m, 1);
    check_band_limited<float>(n, m, 3);
  }
}

TEST(Resample, SamplesUnpairedBinSplitAndJoined) {
  // The Nyquist cosine of an even n is the unpaired bin: growing splits it into the pair +-n/2, a
  // cosine through the old samples; shrinking to m makes bin m/2 the unpaired one, joined from +-m/2.
  const Index n = 16;
  Matrix<double> x(n, 1), up(32, 1), down(8, 1);
  for (Index i = 0; i < n; ++i) x(i, 0) = (i % 2 ? -1.0 : 1.0);
  resample_samples<double>(x, up);
  for (Index i = 0; i < 32; ++i) EXPECT_NEAR(up(i, 0), std::cos(M_PI * double(i) / 2), 1e-12);
  for (Index i = 0; i < n; ++i) x(i, 0) = std::cos(2 * M_PI * 4 * double(i) / double(n));  // bin 4 = 8 / 2
  resample_samples<double>(x, down);
  for (Index i = 0; i < 8; ++i) EXPECT_NEAR(down(i, 0), std::cos(M_PI * double(i)), 1e-12);
}

TEST(Resample, SamplesRejectsBadShapes) {
  Matrix<double> x = Matrix<double>::Ones(8, 3), y3(4, 3), y2(4, 2), y0(0, 3);
  expect_value_error([&] { resample_samples<double>(x, y2); }, "output has 2 traces");
  expect_value_error([&] { resample_samples<double>(x, y0); }, "0 samples");
  Matrix<double> e(0, 3);
  expect_value_error([&] { resample_samples<double>(e, y3); }, "empty");
}
