// Shared by the classify tests: synthetic labelled data.
#pragma once

#include <string>
#include <vector>

#include "sapper/classify.hpp"
#include "sapper/sim/random.hpp"

namespace sapper::classify::testing {

struct Data {
  RowMatrix X;
  std::vector<std::string> y;
};

/// Gaussian classes: class k ~ N(means.row(k), sd^2 I), n_per[k] samples each.
inline Data gaussian_classes(const RowMatrix& means, double sd, const std::vector<Index>& n_per, std::uint64_t seed) {
  Data d;
  Index n = 0;
  for (Index c : n_per) n += c;
  d.X.resize(n, means.cols());
  sim::Rng rng(seed);
  Index i = 0;
  for (Index k = 0; k < means.rows(); ++k)
    for (Index r = 0; r < n_per[k]; ++r, ++i) {
      for (Index j = 0; j < means.cols(); ++j) d.X(i, j) = means(k, j) + sd * rng.normal();
      d.y.push_back("c" + std::to_string(k));
    }
  return d;
}

/// XOR: x uniform in [-1, 1]^2 plus `extra` noise features; label "a" if x0 * x1 > 0 else "b".
inline Data xor_data(Index n, Index extra, std::uint64_t seed) {
  Data d;
  d.X.resize(n, 2 + extra);
  sim::Rng rng(seed);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < d.X.cols(); ++j) d.X(i, j) = rng.uniform(-1, 1);
    d.y.push_back(d.X(i, 0) * d.X(i, 1) > 0 ? "a" : "b");
  }
  return d;
}

inline double accuracy(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  Index ok = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ok += a[i] == b[i];
  return double(ok) / double(a.size());
}

}  // namespace sapper::classify::testing
