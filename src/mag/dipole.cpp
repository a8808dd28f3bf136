#include "sapper/mag/dipole.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "sapper/core/error.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::mag {

namespace {

// Points are processed in blocks of fixed length so that the inner loop has a constant trip count
// (vectorised without an epilogue) and every point goes through the same arithmetic, whatever
// the split over threads: results are identical for any thread count.
constexpr Index kBlock = 64;
constexpr double kNtPerT = 1e9;

void require_finite(double v, const char* what, Index i, const char* field) {
  require(std::isfinite(v), what, "[", i, "]", field, " = ", v, " is not finite");
}

Index validate(std::span<const Dipole> dipoles, const Points& p, std::initializer_list<std::size_t> out_sizes) {
  const std::size_t n = p.x.size();
  require(p.y.size() == n && p.z.size() == n, "points: x, y and z have lengths ", p.x.size(), ", ", p.y.size(), " and ",
          p.z.size(), "; they must be equal");
  for (const std::size_t s : out_sizes)
    require(s == n, "output has length ", s, "; it must equal the number of points, ", n);
  for (std::size_t i = 0; i < n; ++i) {
    require_finite(p.x[i], "x", Index(i), "");
    require_finite(p.y[i], "y", Index(i), "");
    require_finite(p.z[i], "z", Index(i), "");
  }
  for (std::size_t k = 0; k < dipoles.size(); ++k) {
    const Dipole& d = dipoles[k];
    const double v[6] = {d.x, d.y, d.z, d.mx, d.my, d.mz};
    const char* names[6] = {".x", ".y", ".z", ".mx", ".my", ".mz"};
    for (int c = 0; c < 6; ++c) require_finite(v[c], "dipole", Index(k), names[c]);
  }
  return Index(n);
}

[[noreturn]] void throw_singular(std::span<const Dipole> dipoles, const Points& p, Index i) {
  std::size_t best = 0;
  double r_best = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < dipoles.size(); ++k) {
    const double r = std::hypot(p.x[i] - dipoles[k].x, p.y[i] - dipoles[k].y, p.z[i] - dipoles[k].z);
    if (r < r_best) r_best = r, best = k;
  }
  throw ValueError(detail::concat("point ", i, " (", p.x[i], ", ", p.y[i], ", ", p.z[i], ") is at distance ", r_best,
                                  " m of dipole ", best, ": the dipole field is singular there"));
}

using Block = Eigen::Array<double, kBlock, 1>;

/// b = sum over dipoles of the field at the kBlock points p, nT. Eigen packets: sqrt and division
/// vectorise even where the compiler's loop vectoriser would not (errno semantics of std::sqrt).
void block_field(std::span<const Dipole> dipoles, const Block& px, const Block& py, const Block& pz, Block& bx,
                 Block& by, Block& bz) {
  bx.setZero(), by.setZero(), bz.setZero();
  constexpr double c = kMu0Over4Pi * kNtPerT;
  Block dx, dy, dz, inv_r2, s, t;
  for (const Dipole& d : dipoles) {
    dx = px - d.x, dy = py - d.y, dz = pz - d.z;
    inv_r2 = (dx.square() + dy.square() + dz.square()).inverse();
    s = c * inv_r2 * inv_r2.sqrt();                          // 1e2 / r^3
    t = 3.0 * (d.mx * dx + d.my * dy + d.mz * dz) * inv_r2;  // 3 (m.r) / r^2
    bx += s * (t * dx - d.mx);
    by += s * (t * dy - d.my);
    bz += s * (t * dz - d.mz);
  }
}

/// Runs block_field over all points in parallel; finish(first point, count, bx, by, bz) consumes a block.
template <class Finish>
void for_blocks(std::span<const Dipole> dipoles, const Points& p, Index n, int threads, Finish&& finish) {
  require(threads >= 0, "threads = ", threads, " must be >= 0 (0 = all cores)");
  parallel_for(
      n, threads,
      [&](Index b, Index e) {
        Block px, py, pz, bx, by, bz;
        for (Index i0 = b; i0 < e; i0 += kBlock) {
          const Index m = std::min(kBlock, e - i0);
          for (Index i = 0; i < kBlock; ++i) {  // the tail repeats the last point
            const auto j = std::size_t(i0 + std::min(i, m - 1));
            px[i] = p.x[j], py[i] = p.y[j], pz[i] = p.z[j];
          }
          block_field(dipoles, px, py, pz, bx, by, bz);
          for (Index i = 0; i < m; ++i)
            if (!std::isfinite(bx[i] + by[i] + bz[i])) throw_singular(dipoles, p, i0 + i);
          finish(i0, m, bx.data(), by.data(), bz.data());
        }
      },
      4 * kBlock);
}

}  // namespace

std::array<double, 3> field_direction(const EarthField& f) {
  require(std::isfinite(f.total_nt) && f.total_nt > 0, "earth field total_nt = ", f.total_nt, " must be positive");
  require(std::isfinite(f.inclination_deg) && std::abs(f.inclination_deg) <= 90,
          "earth field inclination_deg = ", f.inclination_deg, " must be in [-90, 90]");
  require(std::isfinite(f.declination_deg), "earth field declination_deg = ", f.declination_deg, " is not finite");
  constexpr double deg = std::numbers::pi / 180;
  const double ci = std::cos(f.inclination_deg * deg), si = std::sin(f.inclination_deg * deg);
  return {ci * std::sin(f.declination_deg * deg), ci * std::cos(f.declination_deg * deg), -si};
}

void dipole_field(std::span<const Dipole> dipoles, Points p, std::span<double> bx, std::span<double> by,
                  std::span<double> bz, int threads) {
  const Index n = validate(dipoles, p, {bx.size(), by.size(), bz.size()});
  for_blocks(dipoles, p, n, threads, [&](Index i0, Index m, const double* x, const double* y, const double* z) {
    std::copy_n(x, m, bx.begin() + i0);
    std::copy_n(y, m, by.begin() + i0);
    std::copy_n(z, m, bz.begin() + i0);
  });
}

void total_field_anomaly(std::span<const Dipole> dipoles, Points p, const EarthField& field, std::span<double> anomaly,
                         int threads) {
  const auto u = field_direction(field);
  const Index n = validate(dipoles, p, {anomaly.size()});
  const double f0 = field.total_nt, fx = f0 * u[0], fy = f0 * u[1], fz = f0 * u[2];
  for_blocks(dipoles, p, n, threads, [&](Index i0, Index m, const double* bx, const double* by, const double* bz) {
    for (Index i = 0; i < m; ++i) {
      const double b2 = bx[i] * bx[i] + by[i] * by[i] + bz[i] * bz[i];
      const double fb = fx * bx[i] + fy * by[i] + fz * bz[i];
      const double gx = fx + bx[i], gy = fy + by[i], gz = fz + bz[i];
      anomaly[std::size_t(i0 + i)] = (2 * fb + b2) / (std::sqrt(gx * gx + gy * gy + gz * gz) + f0);
    }
  });
}

std::array<double, 3> induced_moment(double volume_m3, const EarthField& field, double apparent_susceptibility) {
  require(std::isfinite(volume_m3) && volume_m3 >= 0, "volume_m3 = ", volume_m3, " must be >= 0");
  require(std::isfinite(apparent_susceptibility) && apparent_susceptibility > 0,
          "apparent_susceptibility = ", apparent_susceptibility, " must be positive");
  const auto u = field_direction(field);
  // B0 / mu0 = (total_nt * 1e-9) / (4 pi 1e-7)
  const double m =
      apparent_susceptibility * volume_m3 * field.total_nt / kNtPerT / (4 * std::numbers::pi * kMu0Over4Pi);
  return {m * u[0], m * u[1], m * u[2]};
}

}  // namespace sapper::mag
