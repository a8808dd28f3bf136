// Private to src/sim: reading scene JSON with errors that name the key, and smooth random fields.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include "sapper/core/error.hpp"
#include "sapper/core/types.hpp"
#include "sapper/sim/random.hpp"

namespace sapper::sim::detail {

using sapper::detail::concat;

/// Reads one kind of scene; every message starts with `what` ("GPR scene: ") and names the key by
/// its JSON path (e.g. "ground.permittivity").
struct SceneJson {
  using json = nlohmann::json;
  std::string_view what;

  void in_range(double v, double lo, double hi, std::string_view name) const {
    require(std::isfinite(v) && v >= lo && v <= hi, what, name, " = ", v, " is outside [", lo, ", ", hi, "]");
  }
  static std::string join(std::string_view where, std::string_view key) {
    return where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
  }
  /// Throws unless `o` is an object whose keys are all in `keys`.
  void only_keys(const json& o, std::string_view where, const std::vector<std::string_view>& keys) const {
    require(o.is_object(), what, where.empty() ? "the scene" : where, " must be a JSON object");
    for (auto it = o.begin(); it != o.end(); ++it) {
      if (std::find(keys.begin(), keys.end(), it.key()) != keys.end()) continue;
      std::string expected;
      for (auto k : keys) expected += (expected.empty() ? "" : ", ") + std::string(k);
      throw ValueError(concat(what, "unknown key \"", join(where, it.key()), "\" (expected ", expected, ")"));
    }
  }
  double number(const json& j, std::string_view name) const {
    require(j.is_number(), what, name, " = ", j.dump(), " must be a number");
    return j.get<double>();
  }
  /// Leaves v (its default) alone when the key is absent.
  void get(const json& o, std::string_view where, const char* key, double& v) const {
    if (o.contains(key)) v = number(o[key], join(where, key));
  }
  void get(const json& o, std::string_view where, const char* key, Index& v) const {
    if (!o.contains(key)) return;
    const auto& j = o[key];
    require(j.is_number_integer(), what, join(where, key), " = ", j.dump(), " must be an integer");
    v = j.get<Index>();
  }
  std::vector<double> numbers(const json& j, std::string_view name) const {
    require(j.is_array(), what, name, " = ", j.dump(), " must be an array of numbers");
    std::vector<double> v;
    for (std::size_t i = 0; i < j.size(); ++i) v.push_back(number(j[i], concat(name, "[", i, "]")));
    return v;
  }
  template <std::size_t N>
  std::array<double, N> fixed(const json& j, std::string_view name) const {
    const auto v = numbers(j, name);
    require(v.size() == N, what, name, " has ", v.size(), " entries; expected ", N);
    std::array<double, N> a;
    std::copy(v.begin(), v.end(), a.begin());
    return a;
  }
};

/// Stationary smooth random function: A sqrt(2/M) sum_m cos(k_m . r + phi_m), k_m ~ N(0, I / L^2),
/// phi_m ~ U[0, 2 pi): a Gaussian random field (as M grows) of variance A^2 and covariance
/// A^2 exp(-|d|^2 / (2 L^2)) (random Fourier features). D = 1 (time, distance) or 2 (ground).
template <int D>
struct FourierField {
  std::vector<std::array<double, D + 1>> modes;  // k_1..k_D, phase
  double amplitude = 0;

  FourierField(double rms, double length, int count, Rng rng) : amplitude(rms * std::sqrt(2.0 / count)) {
    if (rms == 0) return;
    modes.resize(std::size_t(count));
    for (auto& m : modes) {
      for (int d = 0; d < D; ++d) m[std::size_t(d)] = rng.normal() / length;
      m[D] = rng.uniform(0, 2 * std::numbers::pi);
    }
  }
  double operator()(double a, double b = 0) const {
    double s = 0;
    for (const auto& m : modes) {
      if constexpr (D == 1)
        s += std::cos(m[0] * a + m[1]);
      else
        s += std::cos(m[0] * a + m[1] * b + m[2]);
    }
    return amplitude * s;
  }
};

}  // namespace sapper::sim::detail
