// HOG and EHD on images with known answers, the alarm feature vector (layout, energy and spectral
// features against direct loops), batch = one by one, magnetometer features, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>
#include <numeric>

#include "sapper/detect/features.hpp"

using namespace sapper;
using namespace sapper::detect;

namespace {

/// Step edge: vertical (value changes along traces) or horizontal (along samples), at the middle.
Matrix<double> step(Index rows, Index cols, bool vertical) {
  Matrix<double> w(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) w(i, j) = (vertical ? j >= cols / 2 : i >= rows / 2) ? 1.0 : 0.0;
  return w;
}

double ricker(double t_ns, double f_ghz) {
  const double a = M_PI * f_ghz * t_ns;
  return (1 - 2 * a * a) * std::exp(-a * a);
}

}  // namespace

TEST(DetectFeatures, HogVerticalEdgeInBinZeroHorizontalInMiddleBin) {
  HogOptions o;
  o.bins = 8, o.block = 1;  // one cell per block: each block is its cell's normalised histogram
  const Index n = hog_size(16, 16, o);
  ASSERT_EQ(n, 4 * 8);
  std::vector<double> h(static_cast<std::size_t>(n));
  hog<double>(step(16, 16, true), h, o);
  for (Index c = 0; c < 4; ++c)
    for (Index b = 0; b < 8; ++b) EXPECT_NEAR(h[std::size_t(c * 8 + b)], b == 0 ? 1.0 : 0.0, 1e-12) << c << " " << b;
  hog<double>(step(16, 16, false), h, o);
  for (Index c = 0; c < 4; ++c)
    for (Index b = 0; b < 8; ++b) EXPECT_NEAR(h[std::size_t(c * 8 + b)], b == 4 ? 1.0 : 0.0, 1e-12) << c << " " << b;
  // a 45-degree gradient (value rises with i + j) lands in bin 2 of 8 (edge pixels, one-sided, lean off it)
  Matrix<double> ramp(16, 16);
  for (Index j = 0; j < 16; ++j)
    for (Index i = 0; i < 16; ++i) ramp(i, j) = double(i + j);
  o.clip = 1.0;  // plain L2: the histogram's shape is kept
  hog<double>(ramp, h, o);
  for (Index c = 0; c < 4; ++c) {
    EXPECT_GT(h[std::size_t(c * 8 + 2)], 0.9);
    EXPECT_EQ(std::max_element(h.begin() + c * 8, h.begin() + c * 8 + 8) - (h.begin() + c * 8), 2);
  }
}

TEST(DetectFeatures, HogBlockNormalisationL2Hys) {
  HogOptions o;  // 9 bins, 2 x 2 blocks, clip 0.2
  Matrix<double> w(16, 16);
  for (Index j = 0; j < 16; ++j)
    for (Index i = 0; i < 16; ++i) w(i, j) = std::sin(0.3 * double(i)) * std::cos(0.5 * double(j)) + 0.01 * double(i * j);
  std::vector<double> h(static_cast<std::size_t>(hog_size(16, 16, o)));
  ASSERT_EQ(h.size(), 36u);
  hog<double>(w, h, o);
  double ss = 0;
  for (double v : h) {
    ss += v * v;
    EXPECT_GE(v, 0);
  }
  EXPECT_NEAR(ss, 1.0, 1e-12);  // one block, renormalised after clipping
}

TEST(DetectFeatures, EhdEdgeTypes) {
  EhdOptions o;
  o.grid_samples = 2, o.grid_traces = 2, o.block = 4;
  ASSERT_EQ(ehd_size(16, 16, o), 20);
  std::vector<double> e(20);
  // a vertical edge at column 6 (inside the left sub-images' second block column)
  Matrix<double> v = Matrix<double>::Zero(16, 16);
  v.rightCols(10).setOnes();
  ehd<double>(v, e, o);
  // left sub-images: the 2 blocks at columns 4..7 of their 4 straddle the edge
  for (int r = 0; r < 2; ++r) {
    EXPECT_DOUBLE_EQ(e[std::size_t((r * 2 + 0) * 5 + 0)], 0.5);
    for (int k = 1; k < 5; ++k) EXPECT_EQ(e[std::size_t((r * 2 + 0) * 5 + k)], 0.0);
    for (int k = 0; k < 5; ++k) EXPECT_EQ(e[std::size_t((r * 2 + 1) * 5 + k)], 0.0);  // uniform
  }
  Matrix<double> hzt = v.transpose();
  ehd<double>(hzt, e, o);
  for (int c = 0; c < 2; ++c) EXPECT_DOUBLE_EQ(e[std::size_t((0 * 2 + c) * 5 + 1)], 0.5);
  // a checkerboard of 2 x 2 squares is non-directional everywhere
  Matrix<double> chk(16, 16);
  for (Index j = 0; j < 16; ++j)
    for (Index i = 0; i < 16; ++i) chk(i, j) = ((i / 2 + j / 2) % 2) ? 1.0 : -1.0;
  ehd<double>(chk, e, o);
  for (int s = 0; s < 4; ++s) EXPECT_DOUBLE_EQ(e[std::size_t(s * 5 + 4)], 1.0);
  // the edge of the upper-left triangle runs along the 45-degree ("/") diagonal
  Matrix<double> diag(16, 16);
  for (Index j = 0; j < 16; ++j)
    for (Index i = 0; i < 16; ++i) diag(i, j) = i + j < 16 ? 1.0 : 0.0;
  ehd<double>(diag, e, o);
  double d45 = 0, d135 = 0, other = 0;
  for (int s = 0; s < 4; ++s) d45 += e[std::size_t(s * 5 + 2)], d135 += e[std::size_t(s * 5 + 3)],
                              other += e[std::size_t(s * 5 + 0)] + e[std::size_t(s * 5 + 1)];
  EXPECT_GT(d45, 0);
  EXPECT_EQ(d135, 0);
  EXPECT_EQ(other, 0);
}

TEST(DetectFeatures, AlarmVectorLayoutEnergySpectral) {
  const TraceFormat f{256, 0.025, 0.5};
  const Index m = 128;
  Matrix<double> x(256, m);
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < 256; ++i) {
      const double t = double(i) * f.dt_ns - f.time_zero_ns, xp = 0.01 * double(j - 64);
      x(i, j) = ricker(t - 2 * std::sqrt(0.01 + xp * xp) / 0.1, 1.2) + 0.01 * std::sin(double(i * 7 + j * 3));
    }
  FeatureOptions o;
  o.hyperbola.trace_spacing_m = 0.01;
  FeatureExtractor<double> fx(f, o);
  const auto& names = fx.names();
  ASSERT_EQ(fx.size(), 756 + 80 + 9 + 3 + 2);
  EXPECT_EQ(names.front(), "hog_b0_0_c0_o0");
  EXPECT_EQ(names[756], "ehd_0_0_vertical");
  EXPECT_EQ(names[836], "hyp_ok");
  EXPECT_EQ(names[845], "energy");
  EXPECT_EQ(names.back(), "spectral_bandwidth_mhz");
  EXPECT_EQ(gpr_feature_names(o), names);
  GprAlarm a;
  a.trace = 64, a.sample = Index(std::lround((2.0 + 0.5) / 0.025));
  std::vector<double> v(static_cast<std::size_t>(fx.size()));
  ASSERT_TRUE(fx.compute(x, {}, a, v));
  // window: rows [a.sample - 32, +64), traces [48, 80); background traces [16, 48) and [80, 112)
  const auto w = x.block(a.sample - 32, 48, 64, 32);
  EXPECT_NEAR(v[845], w.squaredNorm() / (64 * 32), 1e-12);
  EXPECT_NEAR(v[846], w.cwiseAbs().maxCoeff(), 1e-12);
  const double eb = (x.block(a.sample - 32, 16, 64, 32).squaredNorm() + x.block(a.sample - 32, 80, 64, 32).squaredNorm()) /
                    (64 * 64);
  EXPECT_NEAR(v[847], 10 * std::log10(v[845] / eb), 1e-9);
  // spectral moments by a direct DFT of the Hann-tapered traces
  double p0 = 0, p1 = 0, p2 = 0;
  for (Index j = 0; j < 32; ++j)
    for (Index k = 0; k <= 32; ++k) {
      std::complex<double> s = 0;
      for (Index i = 0; i < 64; ++i)
        s += (0.5 - 0.5 * std::cos(2 * M_PI * double(i) / 63)) * w(i, j) * std::polar(1.0, -2 * M_PI * double(k * i) / 64);
      const double pk = std::norm(s), fk = double(k) * 1e3 / (64 * 0.025);
      p0 += pk, p1 += pk * fk, p2 += pk * fk * fk;
    }
  EXPECT_NEAR(v[848], p1 / p0, 1e-6);
  EXPECT_NEAR(v[849], std::sqrt(p2 / p0 - (p1 / p0) * (p1 / p0)), 1e-6);
  EXPECT_GT(v[848], 600);
  EXPECT_LT(v[848], 2000);  // around the 1.2 GHz Ricker's centroid
  // hyperbola block: the fit succeeded and found v = 0.1 m/ns at the right place
  EXPECT_EQ(v[836], 1.0);
  EXPECT_NEAR(v[839], 0.1, 0.005);
  EXPECT_NEAR(v[837], 0.0, 0.01);
  // HOG and EHD blocks equal the free functions on the same window
  std::vector<double> hg(756), ed(80);
  hog<double>(w, hg), ehd<double>(w, ed);
  for (std::size_t k = 0; k < 756; ++k) ASSERT_EQ(v[k], hg[k]);
  for (std::size_t k = 0; k < 80; ++k) ASSERT_EQ(v[756 + k], ed[k]);

  // batch equals one by one, any threads; an alarm at the edge moves its window inside
  std::vector<GprAlarm> alarms(5, a);
  alarms[1].trace = 0, alarms[2].sample = 255, alarms[3].trace = 127, alarms[4].trace = 400;
  std::vector<char> ok;
  const Matrix<double> all = gpr_features<double>(x, f, {}, alarms, o, &ok, 2);
  ASSERT_EQ(all.rows(), 5);
  EXPECT_EQ(ok, (std::vector<char>{1, 1, 1, 1, 0}));
  for (Index k = 0; k < 4; ++k) {
    ASSERT_TRUE(fx.compute(x, {}, alarms[std::size_t(k)], v));
    for (Index q = 0; q < fx.size(); ++q) ASSERT_EQ(all(k, q), v[std::size_t(q)]) << k << " " << names[std::size_t(q)];
  }
  EXPECT_TRUE(std::isnan(all(4, 0)));
  // float data gives the same features to float precision
  const Matrix<float> xf = x.cast<float>();
  FeatureExtractor<float> ff(f, o);
  std::vector<double> vf(v.size());
  ASSERT_TRUE(ff.compute(xf, {}, a, vf));
  ASSERT_TRUE(fx.compute(x, {}, a, v));
  for (std::size_t k = 845; k < v.size(); ++k) EXPECT_NEAR(vf[k], v[k], 1e-4 * (1 + std::abs(v[k]))) << names[k];
}

TEST(DetectFeatures, BadInput) {
  const TraceFormat f{128, 0.025, 0.5};
  FeatureOptions o;
  o.hyperbola.trace_spacing_m = 0.01;
  FeatureExtractor<double> fx(f, o);
  std::vector<double> v(static_cast<std::size_t>(fx.size()));
  Matrix<double> x = Matrix<double>::Ones(128, 40);
  GprAlarm a;
  a.trace = 20, a.sample = 60;
  x(60, 20) = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(fx.compute(x, {}, a, v));
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_FALSE(fx.compute(Matrix<double>::Ones(128, 20), {}, a, v));       // narrower than the window
  EXPECT_FALSE(fx.compute(Matrix<double>::Ones(100, 40), {}, a, v));       // rows != n_samples
  std::vector<double> short_out(3);
  EXPECT_FALSE(fx.compute(Matrix<double>::Ones(128, 40), {}, a, short_out));
  auto bad = [&](auto edit) {
    FeatureOptions p = o;
    edit(p);
    EXPECT_THROW(FeatureExtractor<double>(f, p), ValueError);
  };
  bad([](auto& p) { p.window_samples = 60; });  // not tiled by 8-sample cells
  bad([](auto& p) { p.hog.bins = 1; });
  bad([](auto& p) { p.ehd.block = 3; });
  bad([](auto& p) { p.window_samples = 256; });  // longer than the record
  bad([](auto& p) { p.background_traces = -1; });
  bad([](auto& p) { p.hyperbola.v_min = 0; });
  std::vector<double> h(10);
  EXPECT_THROW(hog<double>(Matrix<double>::Ones(16, 16), h), ValueError);
  EXPECT_THROW(ehd<double>(Matrix<double>::Ones(15, 16), h), ValueError);
}

TEST(DetectFeatures, MagnetometerFeaturesFromDipoleFit) {
  mag::DipoleFit d;
  d.depth = 0.3, d.moment_am2 = 0.05, d.inclination_deg = 40, d.remanence_deg = 12, d.amplitude_nt = 80;
  d.width_m = 0.6, d.rms_nt = 2, d.scale_nt = 1.5, d.coherence = 0.98, d.converged = true;
  const auto& names = mag_feature_names();
  std::vector<double> v(names.size());
  mag_features(d, v);
  auto at = [&](const std::string& n) { return v[std::size_t(std::find(names.begin(), names.end(), n) - names.begin())]; };
  EXPECT_EQ(at("mag_depth_m"), 0.3);
  EXPECT_NEAR(at("mag_log10_moment"), std::log10(0.05), 1e-15);
  EXPECT_EQ(at("mag_relative_rms"), 2.0 / 80);
  EXPECT_EQ(at("mag_converged"), 1.0);
  EXPECT_EQ(at("mag_coherence"), 0.98);
  std::vector<double> bad(3);
  EXPECT_THROW(mag_features(d, bad), ValueError);
}
