// sapper::median_inplace against the definition: sort, take the middle value or the mean of the two.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "sapper/core/median.hpp"

TEST(Median, EqualsTheSortedDefinitionForOddAndEvenCounts) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g;
  for (std::size_t n = 1; n <= 40; ++n) {
    std::vector<double> v(n);
    for (auto& x : v) x = std::round(4 * g(rng)) / 4;  // ties included
    auto s = v;
    std::sort(s.begin(), s.end());
    const double want = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    auto a = v;
    EXPECT_EQ(sapper::median_inplace(a), want) << "n = " << n;
    std::sort(a.begin(), a.end());
    EXPECT_EQ(a, s) << "reordered, not changed";
    auto b = v;
    EXPECT_EQ(sapper::median_inplace(b.data(), n - n / 3), [&] {  // a prefix only
      std::vector<double> p(v.begin(), v.begin() + std::ptrdiff_t(n - n / 3));
      std::sort(p.begin(), p.end());
      const std::size_t m = p.size();
      return m % 2 ? p[m / 2] : (p[m / 2 - 1] + p[m / 2]) / 2;
    }());
  }
}

TEST(Median, EmptyIsNaN) {
  std::vector<double> v;
  EXPECT_TRUE(std::isnan(sapper::median_inplace(v)));
  EXPECT_TRUE(std::isnan(sapper::median_inplace(nullptr, 0)));
}
