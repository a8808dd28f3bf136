// Analytic checks of the GPR operations.
#include <gtest/gtest.h>

#include <cmath>

#include "sapper/sapper.hpp"

using namespace sapper;
using namespace sapper::gpr;

namespace {
double ricker(double t_ns, double f_ghz) {
  const double a = M_PI * f_ghz * t_ns;
  return (1 - 2 * a * a) * std::exp(-a * a);
}
}  // namespace

TEST(Dewow, RemovesLinearDriftKeepsWavelet) {
  const Index n = 512;
  const TraceFormat f{n, 0.025, 0};
  Matrix<double> x(n, 1), y(n, 1);
  for (Index i = 0; i < n; ++i) {
    const double t = double(i) * f.dt_ns;
    x(i, 0) = ricker(t - 6.0, 1.5) + 0.5 + 0.2 * t;  // wavelet + DC + slow drift
  }
  dewow<double>(x, y, f, 2.0);  // 81-sample window: the centred mean of a linear drift is the drift
  auto w = [&](Index i) { return ricker(double(i) * f.dt_ns - 6.0, 1.5); };
  for (Index i = 40; i < n - 40; ++i) {
    double m = 0;
    for (Index k = i - 40; k <= i + 40; ++k) m += w(k);
    EXPECT_NEAR(y(i, 0), w(i) - m / 81, 1e-9) << i;  // wavelet minus its own running mean
  }
}

TEST(Dewow, MedianRemovesStepOffset) {
  const Index n = 200;
  const TraceFormat f{n, 0.1, 0};
  Matrix<float> x = Matrix<float>::Constant(n, 3, 2.f), y(n, 3);
  x(100, 1) = 5.f;  // spike survives a median dewow
  dewow<float>(x, y, f, 1.0, Statistic::median);
  EXPECT_FLOAT_EQ(y(100, 1), 3.f);
  EXPECT_FLOAT_EQ(y(50, 0), 0.f);
}

TEST(Gain, SecMatchesFormula) {
  const Index n = 64;
  const TraceFormat f{n, 0.5, 2.0};
  Matrix<double> x = Matrix<double>::Ones(n, 2), y(n, 2);
  sec_gain<double>(x, y, f, 1.5, 0.2, 50.0);
  for (Index i = 0; i < n; ++i) {
    const double t = i * 0.5 - 2.0;
    const double g = std::min(50.0, std::pow(std::max(t, 0.5), 1.5) * std::exp(0.2 * std::max(t, 0.0)));
    EXPECT_NEAR(y(i, 1), g, 1e-12 * g);
  }
}

TEST(Gain, AgcGivesUnitRmsOnStationarySignal) {
  const Index n = 400;
  const TraceFormat f{n, 0.1, 0};
  Matrix<double> x(n, 1), y(n, 1);
  for (Index i = 0; i < n; ++i) x(i, 0) = 3.0 * std::sin(2 * M_PI * 0.1 * double(i));  // period 10 samples
  agc<double>(x, y, f, 2.0);  // 21-sample window: two full periods plus one sample
  for (Index i = 50; i < 350; ++i) EXPECT_NEAR(y(i, 0), std::sin(2 * M_PI * 0.1 * double(i)) * std::sqrt(2.0), 0.1);
}

TEST(Bandpass, PassesInBandRejectsOutOfBand) {
  const Index n = 512;
  const TraceFormat f{n, 0.025, 0};  // Nyquist 20 GHz
  Matrix<double> x(n, 1), y(n, 1);
  const double fin = 1500.0, fout = 5000.0;  // MHz: in band, far above it
  for (Index i = 0; i < n; ++i) {
    const double t = double(i) * f.dt_ns * 1e-3;  // us
    x(i, 0) = std::sin(2 * M_PI * fin * t) + std::sin(2 * M_PI * fout * t);
  }
  bandpass<double>(x, y, f, 500, 3000, 200);
  // band-limited result: compare away from the ends where the wrap-around of a non-periodic trace lives
  for (Index i = 64; i < n - 64; ++i) EXPECT_NEAR(y(i, 0), std::sin(2 * M_PI * fin * i * f.dt_ns * 1e-3), 0.05);
}

TEST(Envelope, OfModulatedCarrier) {
  const Index n = 1024;
  Matrix<double> x(n, 1), y(n, 1);
  for (Index i = 0; i < n; ++i) {
    const double a = 1.0 + 0.5 * std::cos(2 * M_PI * 2 * double(i) / double(n));
    x(i, 0) = a * std::cos(2 * M_PI * 100 * double(i) / double(n));
  }
  envelope<double>(x, y);
  for (Index i = 0; i < n; ++i) EXPECT_NEAR(y(i, 0), 1.0 + 0.5 * std::cos(2 * M_PI * 2 * double(i) / double(n)), 1e-9);
}

TEST(Background, MovingMeanRemovesFlatLayerKeepsTarget) {
  const Index n = 32, m = 101;
  Matrix<double> x = Matrix<double>::Zero(n, m);
  for (Index j = 0; j < m; ++j) x(10, j) = 4.0;  // flat ground bounce
  x(20, 50) = 1.0;                              // point target
  Matrix<double> y(n, m);
  moving_background<double>(x, y, 21);
  EXPECT_NEAR(y.row(10).cwiseAbs().maxCoeff(), 0, 1e-12);
  EXPECT_NEAR(y(20, 50), 1.0 - 1.0 / 21, 1e-12);
  moving_background<double>(x, x, 21);  // in place gives the same
  EXPECT_NEAR((x - y).cwiseAbs().maxCoeff(), 0, 1e-15);
  EXPECT_THROW(moving_background<double>(x, y, 4), ValueError);
}

TEST(Background, MedianAndGlobalMean) {
  Matrix<float> x(4, 5), y(4, 5);
  x.setConstant(1.f);
  x(2, 2) = 9.f;
  moving_background<float>(x, y, 3, Statistic::median);
  EXPECT_FLOAT_EQ(y(2, 2), 8.f);
  remove_mean_trace<float>(x, y);
  EXPECT_FLOAT_EQ(y(2, 2), 9.f - 13.f / 5.f);
  EXPECT_FLOAT_EQ(y(0, 0), 0.f);
}

TEST(Streaming, TraceLocalOpsEqualBatchForAnyBlockSplit) {
  const Index n = 256, m = 150;
  const TraceFormat f{n, 0.05, 1.0};
  Matrix<float> x = Matrix<float>::Random(n, m), batch(n, m), stream(n, m);
  auto run = [&](ConstView<float> in, View<float> out) {
    out = in;
    remove_dc<float>(out, out, f, Statistic::mean, 0, 0, 1);
    dewow<float>(out, out, f, 1.0, Statistic::mean, 1);
    sec_gain<float>(out, out, f, 1.0, 0.1, 1e3, 1);
    bandpass<float>(out, out, f, 200, 3000, 100, 1);
  };
  run(x, batch);
  for (Index block : {1, 7, 64}) {
    for (Index j = 0; j < m; j += block) {
      const Index k = std::min(block, m - j);
      run(x.middleCols(j, k), stream.middleCols(j, k));
    }
    EXPECT_EQ((batch - stream).cwiseAbs().maxCoeff(), 0.f) << block;
  }
}

TEST(Errors, NameTheBadValue) {
  Matrix<float> x(8, 2), y(8, 2), z(7, 2);
  const TraceFormat f{8, 0.1, 0};
  EXPECT_THROW(dewow<float>(x, y, TraceFormat{8, 0.0, 0}, 1.0), ValueError);
  EXPECT_THROW(dewow<float>(x, z, f, 1.0), ValueError);
  try {
    bandpass<float>(x, y, f, 100, 1e6, 10);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("high_mhz = 1e+06"), std::string::npos) << e.what();
  }
}
