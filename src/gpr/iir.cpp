// Butterworth design by the bilinear transform, and the second-order-section cascade
// (definitions in iir.hpp).
#include "sapper/gpr/iir.hpp"

#include <algorithm>
#include <cmath>
#include <complex>

#include "sapper/core/error.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::gpr {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr int kMaxOrder = 12;
constexpr Index kGroup = 16;  // sections run together, their state in fixed stack arrays

/// Analog section (n2 s^2 + n1 s + n0) / (d2 s^2 + d1 s + d0) to digital by s = (1 - z^-1) / (1 + z^-1)
/// (unit constant: the corners are warped with the same one). n2 = d2 = 0 is first order.
Biquad bilinear(double n2, double n1, double n0, double d2, double d1, double d0) {
  if (n2 == 0 && d2 == 0) {  // times (1 + z^-1) only, not squared: no cancelling pole/zero at z = -1
    const double g = 1 / (d1 + d0);
    return {(n1 + n0) * g, (n0 - n1) * g, 0, (d0 - d1) * g, 0};
  }
  const double g = 1 / (d2 + d1 + d0);
  return {(n2 + n1 + n0) * g, 2 * (n0 - n2) * g, (n2 - n1 + n0) * g, 2 * (d0 - d2) * g, (d2 - d1 + d0) * g};
}
}  // namespace

std::vector<Biquad> butterworth_bandpass(int order, double low_mhz, double high_mhz, double dt_ns) {
  require(order >= 1 && order <= kMaxOrder, "Butterworth order = ", order, " must be in [1, ", kMaxOrder, "]");
  require(std::isfinite(dt_ns) && dt_ns > 0, "dt_ns = ", dt_ns, " must be a positive number of ns");
  const double nyq = 1e3 / (2 * dt_ns);
  require(std::isfinite(low_mhz) && low_mhz >= 0 && low_mhz < nyq, "band-pass low_mhz = ", low_mhz,
          " must lie in [0, Nyquist = ", nyq, ") MHz");
  require(high_mhz > low_mhz, "band-pass high_mhz = ", high_mhz, " must exceed low_mhz = ", low_mhz);  // NaN too
  const bool lp = low_mhz == 0, hp = high_mhz >= nyq;
  if (lp && hp) return {{1, 0, 0, 0, 0}};
  auto warp = [&](double f) { return std::tan(kPi * f * dt_ns * 1e-3); };  // pre-warped corner
  const double wl = warp(low_mhz), wh = hp ? 0 : warp(high_mhz);
  const double bw = wh - wl, w0sq = wl * wh;
  std::vector<Biquad> sos;
  sos.reserve(std::size_t(order));
  // Prototype poles exp(i t), t = pi (2k + order + 1) / (2 order): one of each conjugate pair here,
  // the real pole -1 of an odd order below. A pair and its conjugate make the sections.
  for (int k = 0; k < order / 2; ++k) {
    const std::complex<double> p = std::polar(1.0, kPi * (2 * k + order + 1) / (2.0 * order));
    if (lp) {  // s -> s / wh
      sos.push_back(bilinear(0, 0, wh * wh, 1, -2 * wh * p.real(), wh * wh));
    } else if (hp) {  // s -> wl / s
      sos.push_back(bilinear(1, 0, 0, 1, -2 * wl * p.real(), wl * wl));
    } else {  // s -> (s^2 + w0^2) / (bw s) sends p to the roots q of s^2 - p bw s + w0^2, one per
              // half-plane; each q with its conjugate (from conj p) is one section bw s / |s - q|^2.
      const std::complex<double> c = p * (bw / 2), d = std::sqrt(c * c - w0sq);
      for (const auto q : {c + d, c - d}) sos.push_back(bilinear(0, bw, 0, 1, -2 * q.real(), std::norm(q)));
    }
  }
  if (order % 2) {
    if (lp) sos.push_back(bilinear(0, 0, wh, 0, 1, wh));
    else if (hp) sos.push_back(bilinear(0, 1, 0, 0, 1, wl));
    else sos.push_back(bilinear(0, bw, 0, 1, bw, w0sq));  // -1 -> roots of s^2 + bw s + w0^2
  }
  return sos;
}

template <class T>
void sosfilt_trace(const std::vector<Biquad>& sos, const T* x, T* y, Index n) noexcept {
  // Samples outer, sections inner (transposed direct form II): the sections' recurrences
  // overlap in the pipeline (about 1.5-2x one pass per section) and the signal stays in double
  // between sections. Only a cascade longer than kGroup rounds to T between groups.
  const Index m = Index(sos.size());
  if (m == 0 && x != y) std::copy_n(x, n, y);
  for (Index g = 0; g < m; g += kGroup) {
    const Biquad* s = sos.data() + g;
    const Index ng = std::min(kGroup, m - g);
    const T* src = g == 0 ? x : y;  // x[i] is read before y[i] is written: in place is fine
    double z1[kGroup] = {}, z2[kGroup] = {};
    for (Index i = 0; i < n; ++i) {
      double v = src[i];
      for (Index k = 0; k < ng; ++k) {
        const double o = s[k].b0 * v + z1[k];
        z1[k] = s[k].b1 * v - s[k].a1 * o + z2[k];
        z2[k] = s[k].b2 * v - s[k].a2 * o;
        v = o;
      }
      y[i] = T(v);
    }
  }
}

template <class T>
void sosfilt(const std::vector<Biquad>& sos, ConstView<T> in, View<T> out, int threads) {
  require(!sos.empty(), "sos has no section: give at least one");
  for (std::size_t k = 0; k < sos.size(); ++k) {
    const Biquad& s = sos[k];
    require(std::isfinite(s.b0) && std::isfinite(s.b1) && std::isfinite(s.b2) && std::isfinite(s.a1) &&
                std::isfinite(s.a2),
            "sos section ", k, " = [", s.b0, ", ", s.b1, ", ", s.b2, ", 1, ", s.a1, ", ", s.a2,
            "] has a non-finite coefficient");
  }
  require(out.rows() == in.rows() && out.cols() == in.cols(), "output shape (", out.rows(), ", ", out.cols(),
          ") must equal input shape (", in.rows(), ", ", in.cols(), ")");
  parallel_for(in.cols(), threads, [&](Index b, Index e) {
    for (Index j = b; j < e; ++j) sosfilt_trace(sos, in.col(j).data(), out.col(j).data(), in.rows());
  }, 16);
}

#define SAPPER_GPR_IIR_INSTANTIATE(T)                                                         \
  template void sosfilt_trace<T>(const std::vector<Biquad>&, const T*, T*, Index) noexcept; \
  template void sosfilt<T>(const std::vector<Biquad>&, ConstView<T>, View<T>, int);
SAPPER_GPR_IIR_INSTANTIATE(float)
SAPPER_GPR_IIR_INSTANTIATE(double)
#undef SAPPER_GPR_IIR_INSTANTIATE

}  // namespace sapper::gpr
