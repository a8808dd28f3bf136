// sapper::sim random numbers: counter-based so that a scene is the same for any thread count
// and any platform (std::normal_distribution is not specified bit for bit across libraries).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace sapper::sim {

/// splitmix64 finaliser: a well-mixed 64-bit hash.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A stream of random numbers keyed by (seed, stream id), e.g. one stream per trace or per object,
/// so that any subset can be drawn in any order and on any thread. Cheap to copy; not thread-safe
/// itself (one per thread).
class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0) : s_(mix64(seed ^ mix64(stream + 0x632be59bd9b4e019ULL))) {}
  std::uint64_t next() { return mix64(s_ += 0x9e3779b97f4a7c15ULL); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  /// Standard normal: Marsaglia and Tsang's ziggurat (128 layers; a table look-up and a compare
  /// for 98% of draws). The layer and the abscissa come from separate bits of one draw.
  double normal();

 private:
  std::uint64_t s_;
};

namespace rng_detail {
struct Ziggurat {
  std::array<double, 128> w, f;
  std::array<std::int64_t, 128> k;
  Ziggurat() {
    const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
    double dn = 3.442619855899, tn = dn;
    const double q = vn / std::exp(-0.5 * dn * dn);
    k[0] = std::int64_t(dn / q * m1), k[1] = 0;
    w[0] = q / m1, w[127] = dn / m1;
    f[0] = 1, f[127] = std::exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; --i) {
      dn = std::sqrt(-2 * std::log(vn / dn + std::exp(-0.5 * dn * dn)));
      k[i + 1] = std::int64_t(dn / tn * m1);
      tn = dn;
      f[i] = std::exp(-0.5 * dn * dn);
      w[i] = dn / m1;
    }
  }
};
inline const Ziggurat& ziggurat() {
  static const Ziggurat z;
  return z;
}
}  // namespace rng_detail

inline double Rng::normal() {
  constexpr double r = 3.442619855899;
  const auto& z = rng_detail::ziggurat();
  for (;;) {
    const std::uint64_t bits = next();
    const int i = int(bits & 127);
    const auto h = std::int64_t(std::int32_t(std::uint32_t(bits >> 32)));
    const double x = double(h) * z.w[std::size_t(i)];
    if ((h < 0 ? -h : h) < z.k[std::size_t(i)]) return x;
    if (i == 0) {  // the tail beyond r
      double a, b;
      do {
        a = -std::log(1.0 - uniform()) / r;
        b = -std::log(1.0 - uniform());
      } while (b + b < a * a);
      return h > 0 ? r + a : -r - a;
    }
    if (z.f[std::size_t(i)] + uniform() * (z.f[std::size_t(i - 1)] - z.f[std::size_t(i)]) < std::exp(-0.5 * x * x)) return x;
  }
}

}  // namespace sapper::sim
