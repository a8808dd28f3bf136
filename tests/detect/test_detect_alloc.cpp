// The hot paths of detection allocate nothing: HyperbolaFitter::fit and FeatureExtractor::compute.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sapper/detect/features.hpp"
#include "support/alloc_counter.hpp"

using namespace sapper;
using namespace sapper::detect;

TEST(DetectAlloc, FitAndFeaturesAllocateNothing) {
  // a ground-coupled point scatterer: t(x) = sqrt(t0^2 + 4 (x - x0)^2 / v^2), Ricker 1.5 GHz
  const Index n = 256, m = 96;
  const double dt = 0.02, x0 = 0.48, t0 = 2.0, v = 0.1;
  Matrix<float> b(n, m);
  std::vector<double> pos;
  for (Index j = 0; j < m; ++j) {
    const double x = 0.01 * double(j), t = std::sqrt(t0 * t0 + 4 * (x - x0) * (x - x0) / (v * v));
    pos.push_back(x);
    for (Index i = 0; i < n; ++i) {
      const double a = M_PI * 1.5 * (double(i) * dt - t);
      b(i, j) = float((1 - 2 * a * a) * std::exp(-a * a));
    }
  }
  const TraceFormat f{n, dt, 0};
  GprAlarm alarm;
  alarm.trace = 48, alarm.sample = Index(std::lround(t0 / dt));
  HyperbolaFitter<float> fitter(f);
  FeatureExtractor<float> fx(f);
  std::vector<double> out(std::size_t(fx.size()));
  fitter.fit(b, pos, alarm), fx.compute(b, pos, alarm, out);  // first calls: plans are cached
  const long before = test::allocation_count();
  const HyperbolaFit fit = fitter.fit(b, pos, alarm);
  const bool ok = fx.compute(b, pos, alarm, out);
  EXPECT_EQ(test::allocation_count() - before, 0);
  EXPECT_TRUE(ok);
  EXPECT_NEAR(fit.velocity_m_ns, v, 0.05 * v);
}
