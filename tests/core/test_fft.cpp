#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "sapper/core.hpp"

using namespace sapper;

TEST(Fft, GoodSizeIsSmooth) {
  EXPECT_EQ(fft::good_size(512), 512);
  EXPECT_EQ(fft::good_size(640), 640);
  EXPECT_EQ(fft::good_size(11), 12);
  EXPECT_EQ(fft::good_size(1), 1);
}

TEST(Fft, ForwardMatchesDirectDftAndRoundTrips) {
  const Index n = 12;
  auto plan = fft::RealPlan<double>::get(n);
  fft::Buffer<double> x(n), y(n);
  fft::Buffer<std::complex<double>> X(n / 2 + 1);
  for (Index i = 0; i < n; ++i) x[i] = std::sin(0.3 * double(i)) + 0.1 * double(i);
  auto x0 = x;
  plan->forward(x.data(), X.data());
  for (Index k = 0; k <= n / 2; ++k) {
    std::complex<double> d = 0;
    for (Index i = 0; i < n; ++i) d += x0[i] * std::polar(1.0, -2 * M_PI * double(k * i) / double(n));
    EXPECT_NEAR(std::abs(X[k] - d), 0, 1e-12);
  }
  plan->inverse(X.data(), y.data());
  for (Index i = 0; i < n; ++i) EXPECT_NEAR(y[i] / double(n), x0[i], 1e-12);
}

TEST(Fft, CacheSharesAndBoundsPlans) {
  auto a = fft::RealPlan<float>::get(100), b = fft::RealPlan<float>::get(100);
  EXPECT_EQ(a.get(), b.get());
  // more sizes than the cache holds (64 per precision), asked for from several threads at once
  parallel_for(98, 3, [](Index b, Index e) { for (Index n = b + 2; n < e + 2; ++n) fft::RealPlan<float>::get(n); }, 1);
  EXPECT_LE(fft::cache_size(), 128u);
  EXPECT_EQ(a->size(), 100);  // evicted plan still alive through its shared_ptr
  EXPECT_THROW(fft::RealPlan<float>::get(0), ValueError);
}

TEST(Fft, EstimatePlanningDropsCachedPlansAndStillTransforms) {
  ASSERT_EQ(fft::planning(), fft::Planning::measure);
  auto measured = fft::RealPlan<double>::get(96);
  fft::set_planning(fft::Planning::estimate);
  EXPECT_EQ(fft::planning(), fft::Planning::estimate);
  EXPECT_EQ(fft::cache_size(), 0u);
  auto estimated = fft::RealPlan<double>::get(96);
  EXPECT_NE(estimated.get(), measured.get());  // a new plan, made the other way
  // both are transforms: the same spectrum of a cosine to rounding
  fft::Buffer<double> x(96), y(96);
  fft::Buffer<std::complex<double>> X(49), Y(49);
  for (Index i = 0; i < 96; ++i) x[i] = y[i] = std::cos(2 * M_PI * 5.0 * double(i) / 96.0);
  measured->forward(x.data(), X.data());
  estimated->forward(y.data(), Y.data());
  for (Index k = 0; k < 49; ++k) EXPECT_NEAR(std::abs(Y[k] - (k == 5 ? 48.0 : 0.0)), 0, 1e-12) << k;
  for (Index k = 0; k < 49; ++k) EXPECT_NEAR(std::abs(X[k] - Y[k]), 0, 1e-12) << k;
  fft::set_planning(fft::Planning::measure);
  EXPECT_EQ(fft::cache_size(), 0u);
}

TEST(Parallel, CoversRangeOnce) {
  std::vector<int> hits(1000, 0);
  parallel_for(1000, 4, [&](Index b, Index e) { for (Index i = b; i < e; ++i) ++hits[i]; }, 10);
  for (int h : hits) EXPECT_EQ(h, 1);
}
