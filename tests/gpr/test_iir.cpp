// Butterworth design and SOS filtering, against the analytic Butterworth response after bilinear
// pre-warping and a naive direct-form-I run of the difference equations.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <random>
#include <string>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/gpr/iir.hpp"

using namespace sapper;
using namespace sapper::gpr;

namespace {

/// |H(f)|^2 of the cascade: the rational function of every section evaluated at z = exp(2 pi i f dt).
double cascade_mag2(const std::vector<Biquad>& sos, double f_mhz, double dt_ns) {
  const std::complex<double> u = std::polar(1.0, -2 * M_PI * f_mhz * dt_ns * 1e-3);  // z^-1
  std::complex<double> h = 1;
  for (const Biquad& s : sos) h *= (s.b0 + s.b1 * u + s.b2 * u * u) / (1.0 + s.a1 * u + s.a2 * u * u);
  return std::norm(h);
}

/// Analytic digital Butterworth |H|^2: the analog band-pass (low-pass when low = 0, high-pass when
/// high >= Nyquist) at the pre-warped frequency Omega(f) = 2 fs tan(pi f / fs).
double butter_mag2(int order, double low, double high, double dt_ns, double f) {
  const double fs = 1e3 / dt_ns;
  auto W = [&](double v) { return 2 * fs * std::tan(M_PI * v / fs); };
  const double w = W(f);
  double r;
  if (low == 0) r = w / W(high);
  else if (high >= fs / 2) r = W(low) / w;
  else r = (w * w - W(low) * W(high)) / (w * (W(high) - W(low)));
  return 1 / (1 + std::pow(r * r, order));
}

/// The cascade run naively: direct form I per section in long double, each section over the
/// whole signal, from zero history.
std::vector<double> naive_filter(const std::vector<Biquad>& sos, std::vector<double> x) {
  for (const Biquad& s : sos) {
    std::vector<double> y(x.size());
    long double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const long double v = (long double)s.b0 * x[i] + (long double)s.b1 * x1 + (long double)s.b2 * x2 -
                            (long double)s.a1 * y1 - (long double)s.a2 * y2;
      x2 = x1, x1 = x[i], y2 = y1, y1 = v;
      y[i] = double(v);
    }
    x = y;
  }
  return x;
}

/// Amplitude of the sinusoid of angular frequency w (rad/sample) fitted by least squares to y[b, e).
double fitted_amplitude(const Matrix<double>& y, Index b, Index e, double w) {
  double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
  for (Index i = b; i < e; ++i) {
    const double s = std::sin(w * double(i)), c = std::cos(w * double(i));
    ss += s * s, cc += c * c, sc += s * c, ys += y(i, 0) * s, yc += y(i, 0) * c;
  }
  const double det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b2 = (yc * ss - ys * sc) / det;
  return std::hypot(a, b2);
}

Matrix<double> random_bscan(Index n, Index m, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  Matrix<double> x(n, m);
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < n; ++i) x(i, j) = g(rng);
  return x;
}

struct Design {
  int order;
  double low, high, dt;
};

}  // namespace

TEST(Iir, BandpassMagnitudeMatchesAnalyticButterworth) {
  for (const Design d : {Design{4, 200, 800, 0.025}, Design{1, 200, 800, 0.025}, Design{5, 500, 2000, 0.1},
                         Design{12, 300, 3000, 0.05}, Design{8, 100, 150, 0.025}, Design{3, 10, 4900, 0.1}}) {
    const auto sos = butterworth_bandpass(d.order, d.low, d.high, d.dt);
    EXPECT_EQ(sos.size(), std::size_t(d.order));
    const double nyq = 500 / d.dt;
    for (const double f : {0.01 * d.low, 0.5 * d.low, 0.9 * d.low, d.low, std::sqrt(d.low * d.high),
                           0.5 * (d.low + d.high), 0.99 * d.high, d.high, 1.1 * d.high, 2 * d.high,
                           0.5 * (d.high + nyq), 0.99 * nyq}) {
      if (f >= nyq) continue;
      const double ref = butter_mag2(d.order, d.low, d.high, d.dt, f);
      EXPECT_NEAR(cascade_mag2(sos, f, d.dt), ref, 1e-8 * ref) << "order " << d.order << " f " << f;
    }
    EXPECT_NEAR(cascade_mag2(sos, d.low, d.dt), 0.5, 1e-10);  // -3 dB exactly at both corners
    EXPECT_NEAR(cascade_mag2(sos, d.high, d.dt), 0.5, 1e-10);
  }
}

TEST(Iir, LowpassAndHighpassMatchAnalyticButterworth) {
  const double dt = 0.1, nyq = 5000;
  for (int order : {1, 2, 3, 6, 11}) {
    const auto lp = butterworth_bandpass(order, 0, 800, dt);
    const auto hp = butterworth_bandpass(order, 800, nyq, dt);
    const auto hp_inf = butterworth_bandpass(order, 800, INFINITY, dt);
    EXPECT_EQ(lp.size(), std::size_t((order + 1) / 2));
    EXPECT_EQ(hp.size(), std::size_t((order + 1) / 2));
    for (const double f : {1.0, 100.0, 400.0, 700.0, 800.0, 900.0, 1200.0, 2000.0, 3000.0, 4000.0, 4900.0, 4999.0}) {
      const double rl = butter_mag2(order, 0, 800, dt, f), rh = butter_mag2(order, 800, nyq, dt, f);
      EXPECT_NEAR(cascade_mag2(lp, f, dt), rl, 1e-8 * rl) << "low-pass order " << order << " f " << f;
      EXPECT_NEAR(cascade_mag2(hp, f, dt), rh, 1e-8 * rh) << "high-pass order " << order << " f " << f;
      EXPECT_NEAR(cascade_mag2(hp_inf, f, dt), rh, 1e-8 * rh);
    }
    EXPECT_NEAR(cascade_mag2(lp, 0, dt), 1, 1e-12);    // unit DC gain
    EXPECT_NEAR(cascade_mag2(hp, nyq, dt), 1, 1e-12);  // unit gain at Nyquist
  }
  const auto all = butterworth_bandpass(4, 0, nyq, dt);  // neither corner: pass-through
  const Matrix<double> x = random_bscan(64, 3, 1);
  Matrix<double> y(64, 3);
  sosfilt<double>(all, x, y);
  EXPECT_EQ(y, x);
}

TEST(Iir, ImpulseResponseEqualsNaiveDifferenceEquations) {
  // 12 + 8 = 20 sections also crosses the 16-section grouping of the filter.
  auto cascade = butterworth_bandpass(12, 300, 3000, 0.05);
  const auto more = butterworth_bandpass(8, 400, 2000, 0.05);
  cascade.insert(cascade.end(), more.begin(), more.end());
  for (const auto& sos : {butterworth_bandpass(4, 200, 800, 0.025), butterworth_bandpass(5, 0, 1000, 0.1),
                          butterworth_bandpass(3, 700, 5000, 0.1), cascade}) {
    const Index n = 512;
    std::vector<double> imp(n, 0.0);
    imp[0] = 1;
    const std::vector<double> ref = naive_filter(sos, imp);
    Matrix<double> x = Matrix<double>::Zero(n, 1), y(n, 1);
    x(0, 0) = 1;
    sosfilt<double>(sos, x, y);
    Matrix<float> xf = x.cast<float>(), yf(n, 1);
    sosfilt<float>(sos, xf, yf);
    double peak = 0;
    for (double v : ref) peak = std::max(peak, std::abs(v));
    for (Index i = 0; i < n; ++i) {
      EXPECT_NEAR(y(i, 0), ref[i], 1e-11 * peak) << i;
      EXPECT_NEAR(yf(i, 0), ref[i], 1e-6 * peak) << i;  // computed in double, rounded once to float
    }
  }
}

TEST(Iir, SinusoidsSettleToTheAnalyticGain) {
  const Design d{4, 200, 800, 0.025};
  const auto sos = butterworth_bandpass(d.order, d.low, d.high, d.dt);
  const Index n = 6000, b = 3000;  // the transient has decayed below 1e-9 by sample b
  // Pass-band centre: the warped geometric mean of the corners, where the gain is 1 and the phase 0.
  const double fs = 1e3 / d.dt;
  const double f0 = fs / M_PI * std::atan(std::sqrt(std::tan(M_PI * d.low / fs) * std::tan(M_PI * d.high / fs)));
  for (const double f : {f0, 20.0, 120.0, 1500.0, 5000.0}) {
    const double w = 2 * M_PI * f / fs;
    Matrix<double> x(n, 1), y(n, 1);
    for (Index i = 0; i < n; ++i) x(i, 0) = std::sin(w * double(i));
    sosfilt<double>(sos, x, y);
    const double g = std::sqrt(butter_mag2(d.order, d.low, d.high, d.dt, f));
    EXPECT_NEAR(fitted_amplitude(y, b, n, w), g, 1e-7 * g + 1e-12) << f;
    if (f == f0) {  // zero phase at the centre: the output is the input
      for (Index i = b; i < n; ++i) ASSERT_NEAR(y(i, 0), x(i, 0), 1e-7) << i;
    }
  }
}

TEST(Iir, CausalLinearAndTimeInvariant) {
  const auto sos = butterworth_bandpass(6, 250, 1200, 0.05);
  const Index n = 512, t0 = 100;
  Matrix<double> x = Matrix<double>::Zero(n, 2), y(n, 2);
  x(0, 0) = 1;
  x(t0, 1) = 1;
  sosfilt<double>(sos, x, y);
  for (Index i = 0; i < t0; ++i) EXPECT_EQ(y(i, 1), 0.0) << i;        // nothing before the impulse
  for (Index i = t0; i < n; ++i) EXPECT_EQ(y(i, 1), y(i - t0, 0)) << i;  // a delayed input, a delayed output
  const Matrix<double> u = random_bscan(n, 1, 2), v = random_bscan(n, 1, 3);
  const Matrix<double> mix = 2.5 * u - 0.75 * v;
  Matrix<double> fu(n, 1), fv(n, 1), fmix(n, 1);
  sosfilt<double>(sos, u, fu);
  sosfilt<double>(sos, v, fv);
  sosfilt<double>(sos, mix, fmix);
  const Matrix<double> lin = 2.5 * fu - 0.75 * fv;
  EXPECT_LT((fmix - lin).cwiseAbs().maxCoeff(), 1e-12 * lin.cwiseAbs().maxCoeff());
}

TEST(Iir, TracesIndependentAnyThreadsInPlaceAndStrided) {
  const auto sos = butterworth_bandpass(4, 300, 1500, 0.1);
  const Index n = 300, m = 150;
  const Matrix<double> x = random_bscan(n, m, 4);
  Matrix<double> y1(n, m), y4(n, m);
  sosfilt<double>(sos, x, y1, 1);
  sosfilt<double>(sos, x, y4, 4);
  EXPECT_EQ(y1, y4);
  Matrix<double> z = x;
  sosfilt<double>(sos, z, z, 3);  // in place
  EXPECT_EQ(z, y1);
  Matrix<double> big = Matrix<double>::Zero(n + 7, m + 2);  // views with an outer stride != rows
  big.block(3, 1, n, m) = x;
  Matrix<double> outbig = Matrix<double>::Constant(n + 5, m, -1);
  sosfilt<double>(sos, big.block(3, 1, n, m), outbig.topRows(n), 2);
  EXPECT_EQ(outbig.topRows(n), y1);
  EXPECT_TRUE((outbig.bottomRows(5).array() == -1).all());  // nothing written outside the view
  for (Index j : {Index(0), Index(77), m - 1}) {  // each trace is filtered on its own
    const std::vector<double> ref = naive_filter(sos, std::vector<double>(x.col(j).data(), x.col(j).data() + n));
    for (Index i = 0; i < n; ++i) EXPECT_NEAR(y1(i, j), ref[i], 1e-12) << i << ", " << j;
  }
  Matrix<float> xf = x.cast<float>(), yf(n, m);
  sosfilt<float>(sos, xf, yf, 2);
  EXPECT_LT((yf.cast<double>() - y1).cwiseAbs().maxCoeff(), 1e-5);
  Matrix<double> e0(0, 3), e1(5, 0), one = Matrix<double>::Constant(1, 2, 2.0), o1(1, 2);  // degenerate shapes
  sosfilt<double>(sos, e0, e0);
  sosfilt<double>(sos, e1, e1);
  sosfilt<double>(sos, one, o1);
  EXPECT_DOUBLE_EQ(o1(0, 1), 2.0 * sos[0].b0 * sos[1].b0 * sos[2].b0 * sos[3].b0);
}

TEST(Iir, RejectsBadParametersNamingTheValue) {
  auto throws_naming = [](auto&& f, const std::string& what) {
    try {
      f();
      ADD_FAILURE() << "no ValueError for " << what;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  throws_naming([] { butterworth_bandpass(0, 100, 200, 0.1); }, "order = 0");
  throws_naming([] { butterworth_bandpass(13, 100, 200, 0.1); }, "order = 13");
  throws_naming([] { butterworth_bandpass(4, 300, 300, 0.1); }, "high_mhz = 300");
  throws_naming([] { butterworth_bandpass(4, 300, 200, 0.1); }, "high_mhz = 200");
  throws_naming([] { butterworth_bandpass(4, 100, NAN, 0.1); }, "high_mhz = nan");
  throws_naming([] { butterworth_bandpass(4, -5, 200, 0.1); }, "low_mhz = -5");
  throws_naming([] { butterworth_bandpass(4, 5000, 6000, 0.1); }, "low_mhz = 5000");  // at Nyquist
  throws_naming([] { butterworth_bandpass(4, 100, 200, 0); }, "dt_ns = 0");
  throws_naming([] { butterworth_bandpass(4, 100, 200, -0.1); }, "dt_ns = -0.1");
  throws_naming([] { butterworth_bandpass(4, 100, 200, INFINITY); }, "dt_ns = inf");
  const auto sos = butterworth_bandpass(2, 100, 200, 0.1);
  Matrix<double> x(10, 3), bad_rows(9, 3), bad_cols(10, 2);
  throws_naming([&] { sosfilt<double>(sos, x, bad_rows); }, "(9, 3)");
  throws_naming([&] { sosfilt<double>(sos, x, bad_cols); }, "(10, 2)");
  throws_naming([&] { sosfilt<double>({}, x, x); }, "no section");
  throws_naming([&] { sosfilt<double>({{1, 0, 0, NAN, 0}}, x, x); }, "section 0");
}
