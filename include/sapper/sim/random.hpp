// sapper::sim random numbers: counter-based so that a scene is the same for any thread count
// and any platform (std::normal_distribution is not specified bit for bit across libraries).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

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
  /// Standard normal (Box-Muller; both variates used).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u = 1.0 - uniform(), v = uniform();
    const double r = std::sqrt(-2.0 * std::log(u));
    spare_ = r * std::sin(2 * std::numbers::pi * v);
    has_spare_ = true;
    return r * std::cos(2 * std::numbers::pi * v);
  }

 private:
  std::uint64_t s_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace sapper::sim
