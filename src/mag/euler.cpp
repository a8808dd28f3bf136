// Moving-window Euler deconvolution (docs/mag_source.md). Per window the 4 x 4 normal equations
// of (x0, y0, z0, B) are accumulated from column sums: for a row of windows, each grid column's
// sums over the window's rows are formed once (x is constant down a column, so the x-dependent
// terms factor out), then each window adds its w columns. Every sum runs in a fixed order, so the
// results do not depend on the thread count; the cost is O(w) per window.
#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/LU>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "sapper/core/error.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/mag/source.hpp"

namespace sapper::mag {

namespace {
constexpr int kSums = 15;  // TxTx TxTy TxTz Tx TyTy TyTz Ty TzTz Tz n Txc Tyc Tzc c cc
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

std::vector<EulerSolution> euler_deconvolution(const Grid& t, GridRef dtdx, GridRef dtdy, GridRef dtdz,
                                               const EulerOptions& o) {
  const GridSpec& g = t.spec;
  g.validate();
  const Index nx = g.nx, ny = g.ny, w = o.window, step = o.step;
  require(t.values.rows() == ny && t.values.cols() == nx, "grid values are ", t.values.rows(), " x ",
          t.values.cols(), " but the spec says ny x nx = ", ny, " x ", nx);
  const GridRef* d[3] = {&dtdx, &dtdy, &dtdz};
  const char* names[3] = {"dT/dx", "dT/dy", "dT/dz"};
  for (int k = 0; k < 3; ++k)
    require(d[k]->rows() == ny && d[k]->cols() == nx, names[k], " grid is ", d[k]->rows(), " x ", d[k]->cols(),
            "; it must match the anomaly grid, ", ny, " x ", nx);
  require(std::isfinite(o.structural_index) && o.structural_index >= 0 && o.structural_index <= 10,
          "structural_index = ", o.structural_index, " must be in [0, 10]");
  require(w >= 3 && w <= std::min(nx, ny), "window = ", w, " cells must be >= 3 and fit in the ", ny, " x ", nx,
          " grid");
  require(step >= 1, "step = ", step, " must be >= 1 cell");
  require(std::isfinite(o.height), "height = ", o.height, " must be finite, m");
  require(std::isfinite(o.min_valid_fraction) && o.min_valid_fraction >= 0 && o.min_valid_fraction <= 1,
          "min_valid_fraction = ", o.min_valid_fraction, " must be in [0, 1]");
  require(std::isfinite(o.max_depth_uncertainty) && o.max_depth_uncertainty > 0, "max_depth_uncertainty = ",
          o.max_depth_uncertainty, " must be positive");
  require(std::isfinite(o.max_offset) && o.max_offset >= 0, "max_offset = ", o.max_offset, " must be >= 0");
  require(o.threads >= 0, "threads = ", o.threads, " must be >= 0 (0 = all cores)");

  const Index nwx = (nx - w) / step + 1, nwy = (ny - w) / step + 1;
  const double n_si = o.structural_index, half = 0.5 * double(w - 1), zl = o.height;
  const double min_cells = std::max(5.0, o.min_valid_fraction * double(w * w));
  const double reach = o.max_offset * double(w) * std::max(g.dx, g.dy);
  std::vector<EulerSolution> out(std::size_t(nwx * nwy));

  parallel_for(
      nwy, o.threads,
      [&](Index jb, Index je) {
        std::vector<std::array<double, kSums>> col(static_cast<std::size_t>(nx));  // per chunk, not per window
        for (Index jw = jb; jw < je; ++jw) {
          const Index j0 = jw * step;
          for (Index i = 0; i < nx; ++i) {
            std::array<double, kSums> s{};
            for (Index j = j0; j < j0 + w; ++j) {
              const double tt = t.values(j, i), tx = dtdx(j, i), ty = dtdy(j, i), tz = dtdz(j, i);
              if (!std::isfinite(tt + tx + ty + tz)) continue;  // skip NaN cells
              const double c = (double(j - j0) - half) * g.dy * ty + zl * tz + n_si * tt;
              s[0] += tx * tx, s[1] += tx * ty, s[2] += tx * tz, s[3] += tx, s[4] += ty * ty, s[5] += ty * tz;
              s[6] += ty, s[7] += tz * tz, s[8] += tz, s[9] += 1, s[10] += tx * c, s[11] += ty * c;
              s[12] += tz * c, s[13] += c, s[14] += c * c;
            }
            col[std::size_t(i)] = s;
          }
          for (Index iw = 0; iw < nwx; ++iw) {
            const Index i0 = iw * step;
            EulerSolution& r = out[std::size_t(jw * nwx + iw)];
            r = {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, g.x(i0) + half * g.dx, g.y(j0) + half * g.dy, 0,
                 false};
            std::array<double, kSums> s{};
            double sx[5] = {0, 0, 0, 0, 0}, sxx = 0;  // sum xl * (TxTx, TxTy, TxTz, Tx, Txc), xl^2 TxTx
            for (Index i = i0; i < i0 + w; ++i) {
              const auto& c = col[std::size_t(i)];
              const double xl = (double(i - i0) - half) * g.dx;
              for (int k = 0; k < kSums; ++k) s[std::size_t(k)] += c[std::size_t(k)];
              sx[0] += xl * c[0], sx[1] += xl * c[1], sx[2] += xl * c[2], sx[3] += xl * c[3], sx[4] += xl * c[10];
              sxx += xl * xl * c[0];
            }
            r.cells = Index(s[9]);
            if (s[9] < min_cells) continue;
            Eigen::Matrix4d m;
            m << s[0], s[1], s[2], n_si * s[3], s[1], s[4], s[5], n_si * s[6], s[2], s[5], s[7], n_si * s[8],
                n_si * s[3], n_si * s[6], n_si * s[8], n_si * n_si * s[9];
            const Eigen::Vector4d atb(sx[0] + s[10], sx[1] + s[11], sx[2] + s[12], n_si * (sx[3] + s[13]));
            const double btb = sxx + 2 * sx[4] + s[14];
            // equilibrate (gradients in nT/m vs the constant N column) before factorising
            Eigen::Vector4d sc;
            for (int k = 0; k < 4; ++k) sc[k] = m(k, k) > 0 ? 1 / std::sqrt(m(k, k)) : 0;
            if (!(sc.minCoeff() > 0)) continue;
            const Eigen::Matrix4d ms = sc.asDiagonal() * m * sc.asDiagonal();  // unit diagonal
            // a flat or one-dimensional window makes the system singular: det of the equilibrated
            // matrix (at most 1) measures how far from it
            if (!(ms.determinant() > 1e-12)) continue;
            const Eigen::Matrix4d inv = sc.asDiagonal() * ms.inverse() * sc.asDiagonal();
            const Eigen::Vector4d th = inv * atb;
            const double rss = std::max(0.0, btb - th.dot(atb));
            const double var = s[9] > 4 ? rss / (s[9] - 4) : kNaN;
            r.x = r.window_x + th[0], r.y = r.window_y + th[1], r.z = th[2], r.base = th[3];
            r.sigma_x = std::sqrt(var * inv(0, 0)), r.sigma_y = std::sqrt(var * inv(1, 1));
            r.sigma_z = std::sqrt(var * inv(2, 2)), r.sigma_base = std::sqrt(var * inv(3, 3));
            r.accepted = r.z < o.height && r.sigma_z <= o.max_depth_uncertainty * (o.height - r.z) &&
                         std::hypot(th[0], th[1]) <= reach;
          }
        }
      },
      1);
  return out;
}

}  // namespace sapper::mag
