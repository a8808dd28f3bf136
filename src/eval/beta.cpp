// Regularised incomplete beta function, its inverse and the Clopper-Pearson interval.
#include <cmath>

#include "sapper/core/error.hpp"
#include "sapper/eval/score.hpp"

namespace sapper::eval {

namespace {

/// Continued fraction of I_x(a, b) (converges fast for x < (a+1)/(a+b+2)), modified Lentz method:
/// I_x(a,b) = x^a (1-x)^b / (a B(a,b)) * 1/(1+ d1/(1+ d2/(1+ ...))) with
/// d_2m = m(b-m)x / ((a+2m-1)(a+2m)), d_2m+1 = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)).
double beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-16;
  const auto guard = [](double v) { return std::abs(v) < tiny ? tiny : v; };
  double c = 1, d = 1 / guard(1 - (a + b) * x / (a + 1)), f = d;
  for (int m = 1; m <= 100000; ++m) {
    const double two_m = 2.0 * m;
    const double even = m * (b - m) * x / ((a + two_m - 1) * (a + two_m));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    f *= d * c;
    const double odd = -(a + m) * (a + b + m) * x / ((a + two_m) * (a + two_m + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const double step = d * c;
    f *= step;
    if (std::abs(step - 1) < eps) break;
  }
  return f;
}

}  // namespace

double beta_inc(double a, double b, double x) {
  require(std::isfinite(a) && a > 0, "beta_inc: a = ", a, " must be positive and finite");
  require(std::isfinite(b) && b > 0, "beta_inc: b = ", b, " must be positive and finite");
  require(x >= 0 && x <= 1, "beta_inc: x = ", x, " must lie in [0, 1]");
  if (x == 0 || x == 1) return x;
  // log of x^a (1-x)^b / B(a, b)
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  // the fraction converges for x below the mean-ish point; use the symmetry I_x(a,b) = 1 - I_1-x(b,a) above it
  if (x < (a + 1) / (a + b + 2)) return std::exp(log_front) * beta_fraction(a, b, x) / a;
  return 1 - std::exp(log_front) * beta_fraction(b, a, 1 - x) / b;
}

double beta_inc_inv(double a, double b, double p) {
  require(p >= 0 && p <= 1, "beta_inc_inv: p = ", p, " must lie in [0, 1]");
  if (p == 0 || p == 1) return p;
  // Newton on I_x - p (derivative: the Beta density) kept inside a bisection bracket, which
  // shrinks every step: fast near the root, safe where the density misleads
  const double log_norm = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b);
  double lo = 0, hi = 1, x = a / (a + b);
  for (int it = 0; it < 400; ++it) {
    const double f = beta_inc(a, b, x) - p;
    if (f == 0) return x;
    (f < 0 ? lo : hi) = x;
    const double density = std::exp(log_norm + (a - 1) * std::log(x) + (b - 1) * std::log1p(-x));
    double next = x - f / density;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::abs(next - x) <= 1e-15 * x || next <= lo || next >= hi) return next;
    x = next;
  }
  return x;
}

Interval clopper_pearson(Index k, Index n, double level) {
  require(n >= 0 && k >= 0 && k <= n, "clopper_pearson: k = ", k, " successes in n = ", n,
          " trials needs 0 <= k <= n");
  require(level > 0 && level < 1, "clopper_pearson: level = ", level, " must lie in (0, 1)");
  const double alpha = 1 - level, kd = double(k), nd = double(n);
  return {k == 0 ? 0.0 : beta_inc_inv(kd, nd - kd + 1, alpha / 2),
          k == n ? 1.0 : beta_inc_inv(kd + 1, nd - kd, 1 - alpha / 2)};
}

}  // namespace sapper::eval
