// Block reduction, minimum curvature with tension, distance mask. Formulas: docs/mag_gridding.md.
#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <utility>

#include "sapper/core/error.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/mag/gridding.hpp"

namespace sapper::mag {

namespace {

// 2^31 nodes: 16 GiB of doubles; beyond that a spacing is surely a unit mistake.
constexpr Index kMaxNodes = Index(1) << 31;

Index validate(Scattered d) {
  const std::size_t n = d.x.size();
  require(d.y.size() == n && d.value.size() == n, "readings: x, y and value have lengths ", d.x.size(), ", ",
          d.y.size(), " and ", d.value.size(), "; they must be equal");
  for (std::size_t k = 0; k < n; ++k) {
    require(std::isfinite(d.x[k]) && std::isfinite(d.y[k]), "reading ", k, " is at (x, y) = (", d.x[k], ", ", d.y[k],
            "): positions must be finite");
    require(!std::isinf(d.value[k]), "value[", k, "] = ", d.value[k], " is infinite (NaN values are skipped)");
  }
  return Index(n);
}

Index cell_count(const GridSpec& spec) {
  spec.validate();
  require(double(spec.nx) * double(spec.ny) <= double(kMaxNodes), "grid of ", spec.nx, " x ", spec.ny,
          " nodes is larger than the limit of ", kMaxNodes);
  return spec.nx * spec.ny;
}

Index cell_of_node(const GridSpec& s, double x, double y) {
  const double fi = std::floor((x - s.x0) / s.dx + 0.5), fj = std::floor((y - s.y0) / s.dy + 0.5);
  if (!(fi >= 0 && fi < double(s.nx) && fj >= 0 && fj < double(s.ny))) return -1;
  return Index(fj) * s.nx + Index(fi);
}

}  // namespace

GridSpec grid_spec_for(Scattered data, double dx, double dy) {
  const Index n = validate(data);
  require(std::isfinite(dx) && dx > 0 && std::isfinite(dy) && dy > 0, "grid spacing (dx, dy) = (", dx, ", ", dy,
          ") must be positive and finite, m");
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  for (Index k = 0; k < n; ++k) {
    if (std::isnan(data.value[k])) continue;
    x0 = std::min(x0, data.x[k]), x1 = std::max(x1, data.x[k]);
    y0 = std::min(y0, data.y[k]), y1 = std::max(y1, data.y[k]);
  }
  require(x0 <= x1, "no reading has a value (", n, " readings, all NaN or none)");
  const double fx = std::ceil((x1 - x0) / dx - 1e-9) + 1, fy = std::ceil((y1 - y0) / dy - 1e-9) + 1;
  require(fx * fy <= double(kMaxNodes), "the readings span ", x1 - x0, " m x ", y1 - y0,
          " m: at spacing (", dx, ", ", dy, ") m that is ", fx, " x ", fy, " nodes, more than the limit of ",
          kMaxNodes);
  GridSpec s{x0, y0, dx, dy, Index(std::max(fx, 1.0)), Index(std::max(fy, 1.0))};
  return s;
}

namespace {

/// The readings behind each block value, as offsets into `id` (block b: id[start[b] .. start[b + 1])):
/// for the median the middle reading or the two middle ones, for the mean every reading of the cell.
struct Members {
  std::vector<Index> start, id;
};

BlockData reduce(const GridSpec& spec, Scattered data, BlockStatistic stat, BlockLocation where, int threads,
                 Members* members) {
  const Index n = validate(data);
  const Index cells = cell_count(spec);
  // Counting sort of the readings by cell, stable in reading order: O(n + cells).
  std::vector<Index> cell_of(std::size_t(n), -1);
  std::vector<Index> start(std::size_t(cells) + 1, 0);
  BlockData out;
  for (Index k = 0; k < n; ++k) {
    if (std::isnan(data.value[k])) continue;
    const Index c = cell_of_node(spec, data.x[k], data.y[k]);
    if (c < 0) {
      ++out.n_outside;
      continue;
    }
    cell_of[k] = c, ++start[c + 1];
  }
  Index occupied = 0;
  for (Index c = 0; c < cells; ++c) occupied += start[c + 1] > 0, start[c + 1] += start[c];
  std::vector<Index> order(static_cast<std::size_t>(start[cells]));
  {
    std::vector<Index> fill(start.begin(), start.end() - 1);
    for (Index k = 0; k < n; ++k)
      if (cell_of[k] >= 0) order[fill[cell_of[k]]++] = k;
  }
  out.x.resize(occupied), out.y.resize(occupied), out.value.resize(occupied);
  out.cell.resize(occupied), out.count.resize(occupied);
  for (Index c = 0, b = 0; c < cells; ++c)
    if (start[c + 1] > start[c]) out.cell[b] = c, out.count[b] = start[c + 1] - start[c], ++b;
  if (members) {
    members->start.assign(std::size_t(occupied) + 1, 0);
    for (Index b = 0; b < occupied; ++b)
      members->start[b + 1] = members->start[b] + (stat == BlockStatistic::mean ? out.count[b] : 2 - out.count[b] % 2);
    members->id.resize(std::size_t(members->start.back()));
  }

  parallel_for(
      occupied, threads,
      [&](Index b0, Index b1) {
        std::vector<Index> scratch;
        for (Index b = b0; b < b1; ++b) {
          const Index c = out.cell[b], m = out.count[b];
          const Index* ids = order.data() + start[c];
          double v = 0, x = 0, y = 0;
          if (stat == BlockStatistic::mean) {
            for (Index q = 0; q < m; ++q) v += data.value[ids[q]], x += data.x[ids[q]], y += data.y[ids[q]];
            v /= double(m), x /= double(m), y /= double(m);
            if (members) std::copy_n(ids, m, members->id.data() + members->start[b]);
          } else {
            // The middle reading(s) by (value, index): the median value and, at the same time, a
            // position that carries it (a plane's median sits on the plane).
            scratch.assign(ids, ids + m);
            auto less = [&](Index a, Index e) { return data.value[a] < data.value[e] || (data.value[a] == data.value[e] && a < e); };
            const std::size_t h = std::size_t(m / 2);
            std::nth_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(h), scratch.end(), less);
            const Index hi = scratch[h];
            v = data.value[hi], x = data.x[hi], y = data.y[hi];
            if (members) members->id[std::size_t(members->start[b])] = hi;
            if (m % 2 == 0) {
              const Index lo = *std::max_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(h), less);
              v = (data.value[lo] + v) / 2, x = (data.x[lo] + x) / 2, y = (data.y[lo] + y) / 2;
              if (members) members->id[std::size_t(members->start[b]) + 1] = lo;
            }
          }
          out.value[b] = v;
          if (where == BlockLocation::data) {
            out.x[b] = x, out.y[b] = y;
          } else {
            out.x[b] = spec.x(c % spec.nx), out.y[b] = spec.y(c / spec.nx);
          }
        }
      },
      256);
  return out;
}

}  // namespace

BlockData block_reduce(const GridSpec& spec, Scattered data, BlockStatistic stat, BlockLocation where, int threads) {
  return reduce(spec, data, stat, where, threads, nullptr);
}

BlockGrid block_grid(const GridSpec& spec, Scattered data, BlockStatistic stat, int threads) {
  const BlockData b = block_reduce(spec, data, stat, BlockLocation::centre, threads);
  BlockGrid g;
  g.value.spec = spec;
  g.value.values.setConstant(spec.ny, spec.nx, std::numeric_limits<double>::quiet_NaN());
  g.count.setZero(spec.ny, spec.nx);
  for (std::size_t k = 0; k < b.cell.size(); ++k) {
    g.value.values.data()[b.cell[k]] = b.value[k];
    g.count.data()[b.cell[k]] = b.count[k];
  }
  return g;
}

namespace {

/// One row of the system on the 5 x 5 nodes about its own: entry (dj + 2) * 5 + di + 2 multiplies
/// the node (i + di, j + dj).
using Stencil = std::array<double, 25>;

/// A reading at offset (ex, ey) grid units from its node (|e| <= 1/2) as a row on the node's
/// stencil: the quadratic Taylor expansion about the node with central differences,
/// u + ex u_x + ey u_y + ex^2/2 u_xx + ey^2/2 u_yy + ex ey u_xy, exact for every quadratic.
/// (A quartic Lagrange interpolant is more accurate at a reading but makes two readings either
/// side of a cell boundary two nearly identical rows: the solver then stalls; the Taylor rows
/// differ by their third-derivative terms.)
Stencil taylor_row(double ex, double ey) {
  Stencil s{};
  auto put = [&](int di, int dj, double v) { s[std::size_t((dj + 2) * 5 + di + 2)] = v; };
  const double xy = ex * ey / 4;
  put(0, 0, 1 - ex * ex - ey * ey);
  put(1, 0, (ex + ex * ex) / 2), put(-1, 0, (-ex + ex * ex) / 2);
  put(0, 1, (ey + ey * ey) / 2), put(0, -1, (-ey + ey * ey) / 2);
  put(1, 1, xy), put(-1, 1, -xy), put(1, -1, -xy), put(-1, -1, xy);
  return s;
}

/// Stencil of (1 - T) lap^2 u - T lap u in grid units with e = (hx / hy)^2, normalised by its
/// centre: {1, x +-1, y +-1, diagonals, x +-2, y +-2}.
std::array<double, 6> operator_stencil(double t, double e) {
  const double l = 1 - t;
  const double c = l * (6 + 8 * e + 6 * e * e) + t * (2 + 2 * e);
  return {1, (l * (-4 - 4 * e) - t) / c, (l * (-4 * e - 4 * e * e) - t * e) / c, l * 2 * e / c, l / c, l * e * e / c};
}

/// The final grid, matrix-free: the operator at free nodes, a Taylor constraint at nodes with a
/// block value. Two ghost rows and columns on every side carry the edge conditions u_nn = 0
/// (u_-1 = 2 u_0 - u_1) and u_nnn = 0 (u_-2 = 4 u_0 - 4 u_1 + u_2).
class Fine {
 public:
  Fine(Index nx, Index ny, const std::array<double, 6>& k)
      : nx_(nx), ny_(ny), w_(nx + 4), k_(k), u_(std::size_t((nx + 4) * (ny + 4)), 0.0), which_(std::size_t(nx * ny), -1) {}
  Index nx() const { return nx_; }
  Index ny() const { return ny_; }
  double& at(Index i, Index j) { return u_[std::size_t((j + 2) * w_ + i + 2)]; }
  const double& at(Index i, Index j) const { return u_[std::size_t((j + 2) * w_ + i + 2)]; }
  void set(const std::vector<double>& x) {  // the nodes from x (row-major), and their ghosts
    for (Index j = 0; j < ny_; ++j) std::copy_n(x.data() + j * nx_, nx_, &at(0, j));
    ghosts();
  }
  void get(std::vector<double>& x) const {
    for (Index j = 0; j < ny_; ++j) std::copy_n(&at(0, j), nx_, x.data() + j * nx_);
  }
  void constrain(Index i, Index j, const Stencil& c) {
    which_[std::size_t(j * nx_ + i)] = int(cons_.size());
    cons_.push_back(c);
  }

  void ghost_columns(Index j) {
    double* r = &at(0, j);
    const Index m = nx_ - 1;
    r[-1] = 2 * r[0] - r[1], r[-2] = 4 * r[0] - 4 * r[1] + r[2];
    r[m + 1] = 2 * r[m] - r[m - 1], r[m + 2] = 4 * r[m] - 4 * r[m - 1] + r[m - 2];
  }
  void ghost_rows() {
    const Index m = ny_ - 1;
    for (Index i = -2; i < nx_ + 2; ++i) {
      at(i, -1) = 2 * at(i, 0) - at(i, 1), at(i, -2) = 4 * at(i, 0) - 4 * at(i, 1) + at(i, 2);
      at(i, m + 1) = 2 * at(i, m) - at(i, m - 1), at(i, m + 2) = 4 * at(i, m) - 4 * at(i, m - 1) + at(i, m - 2);
    }
  }
  void ghosts() {
    for (Index j = 0; j < ny_; ++j) ghost_columns(j);
    ghost_rows();
  }

  /// Gauss-Seidel sweeps on A u = f (f row-major), each in three passes (rows j = 0, 1, 2 mod 3).
  /// Within a pass the rows are independent (the stencil reaches 2 rows away), so they are split
  /// over threads, each row swept left to right: the same numbers for any thread count.
  /// Constraint rows are under-relaxed (kConstraintRelax): they are not diagonally dominant (centre
  /// 1 - ex^2 - ey^2 >= 1/2 against off-diagonals summing to |ex| + |ey| + |ex ey|), and where
  /// readings crowd a cell corner plain Gauss-Seidel has an oscillating local mode (factor -0.96 on
  /// a patch of the 1e6-reading benchmark) that no coarse grid sees; 0.8 damps it to 0.61.
  void smooth(const std::vector<double>& f, int sweeps, int threads) {
    const Index min_rows = std::max<Index>(1, 16384 / nx_);
    for (int s = 0; s < sweeps; ++s)
      for (Index pass = 0; pass < 3; ++pass) {
        parallel_for(
            (ny_ - pass + 2) / 3, threads,
            [&](Index r0, Index r1) {
              for (Index r = r0; r < r1; ++r) {
                const Index j = pass + 3 * r;
                double* p = &at(0, j);
                const int* which = which_.data() + j * nx_;
                const double* fj = f.data() + j * nx_;
                for (Index i = 0; i < nx_; ++i, ++p) relax(p, which[i], fj[i]);
                ghost_columns(j);
              }
            },
            min_rows);
        ghost_rows();
      }
  }

  /// Extra Gauss-Seidel sweeps over the nodes within `band` of an edge, one thread in a fixed
  /// order (Brandt's boundary relaxation): the folded edge rows and data-free edge strips smooth
  /// worse than the interior. O(perimeter) per sweep.
  void smooth_boundary(const std::vector<double>& f, int sweeps, Index band) {
    for (int s = 0; s < sweeps; ++s) {
      for (Index j = 0; j < ny_; ++j) {
        const bool whole = j < band || j >= ny_ - band;
        for (Index i = 0; i < nx_; ++i) {
          if (!whole && i == band) i = std::max(band, nx_ - band);
          relax(&at(i, j), which_[std::size_t(j * nx_ + i)], f[std::size_t(j * nx_ + i)]);
        }
        ghost_columns(j);
      }
      ghost_rows();
    }
  }

  /// r = f - A u at every node (row-major; f = nullptr: 0), with the ghosts up to date.
  void residual(const double* f, std::vector<double>& r, int threads) const {
    parallel_for(
        ny_, threads,
        [&](Index j0, Index j1) {
          for (Index j = j0; j < j1; ++j) {
            const double* p = &at(0, j);
            const int* which = which_.data() + j * nx_;
            for (Index i = 0; i < nx_; ++i, ++p) {
              const int q = which[i];
              const double fv = f ? f[j * nx_ + i] : 0.0;
              r[std::size_t(j * nx_ + i)] = (q < 0 ? 1.0 : cons_[std::size_t(q)][12]) * (target(p, q, fv) - *p);
            }
          }
        },
        std::max<Index>(1, 16384 / nx_));
  }

  /// The row of node (i, j) with the ghosts folded onto the grid nodes they are made of.
  Stencil row(Index i, Index j) const {
    Stencil raw{}, out{};
    const int q = which_[std::size_t(j * nx_ + i)];
    auto put = [&](int di, int dj, double v) { raw[std::size_t((dj + 2) * 5 + di + 2)] = v; };
    if (q < 0) {
      put(0, 0, 1);
      for (int d : {-1, 1}) put(d, 0, k_[1]), put(0, d, k_[2]), put(2 * d, 0, k_[4]), put(0, 2 * d, k_[5]);
      for (int a : {-1, 1})
        for (int b : {-1, 1}) put(a, b, k_[3]);
    } else {
      raw = cons_[std::size_t(q)];
    }
    if (i >= 2 && i < nx_ - 2 && j >= 2 && j < ny_ - 2) return raw;  // no ghost in reach
    // A ghost's value as weights on the nodes of its row or column (n nodes, 0 <= g < n is a node).
    auto fold = [](Index g, Index n, std::array<std::pair<Index, double>, 3>& to) -> int {
      if (g >= 0 && g < n) return to[0] = {g, 1.0}, 1;
      const Index e = g < 0 ? 0 : n - 1, in = g < 0 ? 1 : -1;  // the edge node and the inward step
      if (g == -1 || g == n) return to[0] = {e, 2.0}, to[1] = {e + in, -1.0}, 2;
      return to[0] = {e, 4.0}, to[1] = {e + in, -4.0}, to[2] = {e + 2 * in, 1.0}, 3;
    };
    std::array<std::pair<Index, double>, 3> fx, fy;
    for (int dj = -2; dj <= 2; ++dj) {
      const int ny = fold(j + dj, ny_, fy);
      for (int di = -2; di <= 2; ++di) {
        const double v = raw[std::size_t((dj + 2) * 5 + di + 2)];
        if (v == 0) continue;
        const int nxx = fold(i + di, nx_, fx);
        for (int b = 0; b < ny; ++b)
          for (int a = 0; a < nxx; ++a)
            out[std::size_t((fy[b].first - j + 2) * 5 + fx[a].first - i + 2)] += v * fx[a].second * fy[b].second;
      }
    }
    return out;
  }

 private:
  static constexpr double kConstraintRelax = 0.8;
  void relax(double* p, int which, double f) const {
    const double t = target(p, which, f);
    *p = which < 0 ? t : *p + kConstraintRelax * (t - *p);
  }
  // The value of the node that makes its row equal f given its neighbours.
  double target(const double* p, int which, double f) const {
    const Index w = w_;
    if (which < 0)
      return f - (k_[1] * (p[1] + p[-1]) + k_[2] * (p[w] + p[-w]) + k_[3] * (p[w + 1] + p[w - 1] + p[-w + 1] + p[-w - 1]) +
               k_[4] * (p[2] + p[-2]) + k_[5] * (p[2 * w] + p[-2 * w]));
    const Stencil& c = cons_[std::size_t(which)];
    const double* row = p - 2 * w - 2;  // node (i - 2, j - 2)
    double sum = 0;
    for (Index dj = 0; dj < 5; ++dj, row += w)
      for (Index di = 0; di < 5; ++di) sum += c[std::size_t(dj * 5 + di)] * row[di];
    return (f - sum) / c[12] + *p;
  }

  Index nx_, ny_, w_;
  std::array<double, 6> k_;
  std::vector<double> u_;
  std::vector<int> which_;  // per node: its constraint or -1
  std::vector<Stencil> cons_;  // constraint rows
};

/// A coarse grid of the multigrid hierarchy: the Galerkin operator R A P as a 5 x 5 stencil per
/// node, the correction e (two rows and columns of zero padding), its right-hand side f and residual r.
struct Coarse {
  Index nx, ny, w;
  bool cx, cy;  // whether this grid halves the finer one along x, along y
  std::vector<Stencil> a;
  std::vector<double> e, f, r;
  Coarse(Index nx_, Index ny_, bool cx_, bool cy_)
      : nx(nx_), ny(ny_), w(nx_ + 4), cx(cx_), cy(cy_), a(std::size_t(nx_ * ny_)),
        e(std::size_t((nx_ + 4) * (ny_ + 4)), 0.0), f(std::size_t(nx_ * ny_)), r(std::size_t(nx_ * ny_)) {}
  double& at(Index i, Index j) { return e[std::size_t((j + 2) * w + i + 2)]; }
  double apply(Index i, Index j) const {  // (A e) at node (i, j)
    const double* s = a[std::size_t(j * nx + i)].data();
    const double* p = &e[std::size_t(j * w + i)];  // node (i - 2, j - 2)
    double sum = 0;
    for (int dj = 0; dj < 5; ++dj, p += w, s += 5) sum += s[0] * p[0] + s[1] * p[1] + s[2] * p[2] + s[3] * p[3] + s[4] * p[4];
    return sum;
  }
  void smooth(int sweeps, int threads) {  // Gauss-Seidel, rows j = 0, 1, 2 mod 3 as Fine::smooth
    for (int s = 0; s < sweeps; ++s)
      for (Index pass = 0; pass < 3; ++pass)
        parallel_for(
            (ny - pass + 2) / 3, threads,
            [&](Index r0, Index r1) {
              for (Index q = r0; q < r1; ++q) {
                const Index j = pass + 3 * q;
                for (Index i = 0; i < nx; ++i) {
                  const double d = a[std::size_t(j * nx + i)][12];
                  // A Galerkin row of the non-symmetric A can lose its diagonal where data end
                  // (data-free margins): such a row is left to the coarser grids, not divided by.
                  if (d > 0) at(i, j) += (f[std::size_t(j * nx + i)] - apply(i, j)) / d;
                }
              }
            },
            std::max<Index>(1, 16384 / nx));
  }
  void residual(int threads) {
    parallel_for(
        ny, threads,
        [&](Index j0, Index j1) {
          for (Index j = j0; j < j1; ++j)
            for (Index i = 0; i < nx; ++i) r[std::size_t(j * nx + i)] = f[std::size_t(j * nx + i)] - apply(i, j);
        },
        std::max<Index>(1, 16384 / nx));
  }
};

/// Coarse nodes that fine node q interpolates from, with their weights: fine 2c is coarse c,
/// fine 2c + 1 the mean of c and c + 1 (bilinear prolongation); or q itself along an axis not halved.
int parents(Index q, bool halved, std::array<std::pair<Index, double>, 2>& to) {
  if (!halved) return to[0] = {q, 1.0}, 1;
  if (q % 2 == 0) return to[0] = {q / 2, 1.0}, 1;
  return to[0] = {(q - 1) / 2, 0.5}, to[1] = {(q + 1) / 2, 0.5}, 2;
}

/// c.a = P^T A P for the fine rows row(i, j) on fnx x fny nodes. Each coarse row is summed in a
/// fixed order by one thread.
template <class Row>
void galerkin(Index fnx, Index fny, Row&& row, Coarse& c, int threads) {
  parallel_for(
      c.ny, threads,
      [&](Index j0, Index j1) {
        std::array<std::pair<Index, double>, 2> px, py;
        for (Index cj = j0; cj < j1; ++cj)
          for (Index ci = 0; ci < c.nx; ++ci) {
            Stencil out{};
            for (Index sy = c.cy ? -1 : 0; sy <= (c.cy ? 1 : 0); ++sy) {
              const Index pj = (c.cy ? 2 * cj : cj) + sy;
              if (pj < 0 || pj >= fny) continue;
              for (Index sx = c.cx ? -1 : 0; sx <= (c.cx ? 1 : 0); ++sx) {
                const Index pi = (c.cx ? 2 * ci : ci) + sx;
                if (pi < 0 || pi >= fnx) continue;
                const double wp = (sx == 0 ? 1 : 0.5) * (sy == 0 ? 1 : 0.5);
                const Stencil a = row(pi, pj);
                for (Index dj = -2; dj <= 2; ++dj) {
                  const Index qj = pj + dj;
                  if (qj < 0 || qj >= fny) continue;
                  const int ny = parents(qj, c.cy, py);
                  for (Index di = -2; di <= 2; ++di) {
                    const double v = a[std::size_t((dj + 2) * 5 + di + 2)];
                    if (v == 0 || pi + di < 0 || pi + di >= fnx) continue;
                    const int nxx = parents(pi + di, c.cx, px);
                    for (int b = 0; b < ny; ++b)
                      for (int q = 0; q < nxx; ++q)
                        out[std::size_t((py[b].first - cj + 2) * 5 + px[q].first - ci + 2)] +=
                            wp * v * px[q].second * py[b].second;
                  }
                }
              }
            }
            c.a[std::size_t(cj * c.nx + ci)] = out;
          }
      },
      std::max<Index>(1, 4096 / c.nx));
}

/// f of the coarse grid c from the finer residual r (fnx x fny, row-major): P^T r.
void restrict_to(const std::vector<double>& r, Index fnx, Index fny, Coarse& c, int threads) {
  parallel_for(
      c.ny, threads,
      [&](Index j0, Index j1) {
        for (Index cj = j0; cj < j1; ++cj)
          for (Index ci = 0; ci < c.nx; ++ci) {
            double sum = 0;
            for (Index sy = c.cy ? -1 : 0; sy <= (c.cy ? 1 : 0); ++sy) {
              const Index pj = (c.cy ? 2 * cj : cj) + sy;
              if (pj < 0 || pj >= fny) continue;
              for (Index sx = c.cx ? -1 : 0; sx <= (c.cx ? 1 : 0); ++sx) {
                const Index pi = (c.cx ? 2 * ci : ci) + sx;
                if (pi >= 0 && pi < fnx) sum += (sx == 0 ? 1 : 0.5) * (sy == 0 ? 1 : 0.5) * r[std::size_t(pj * fnx + pi)];
              }
            }
            c.f[std::size_t(cj * c.nx + ci)] = sum;
          }
      },
      std::max<Index>(1, 16384 / c.nx));
}

/// fine(i, j) += (P e_c)(i, j) over fnx x fny nodes.
template <class At>
void prolong_add(Coarse& c, Index fnx, Index fny, At&& fine, int threads) {
  parallel_for(
      fny, threads,
      [&](Index j0, Index j1) {
        std::array<std::pair<Index, double>, 2> px, py;
        for (Index j = j0; j < j1; ++j) {
          const int ny = parents(j, c.cy, py);
          for (Index i = 0; i < fnx; ++i) {
            const int nxx = parents(i, c.cx, px);
            double sum = 0;
            for (int b = 0; b < ny; ++b)
              for (int a = 0; a < nxx; ++a) sum += px[a].second * py[b].second * c.at(px[a].first, py[b].first);
            fine(i, j) += sum;
          }
        }
      },
      std::max<Index>(1, 16384 / fnx));
}

}  // namespace

Grid minimum_curvature(const GridSpec& spec, Scattered data, const MinimumCurvatureOptions& o,
                       MinimumCurvatureReport* report) {
  cell_count(spec);
  require(spec.nx >= 3 && spec.ny >= 3, "minimum curvature needs a grid of at least 3 x 3 nodes, got ", spec.nx,
          " x ", spec.ny);
  require(o.tension >= 0 && o.tension < 1, "tension = ", o.tension, " must be in [0, 1)");
  require(std::isfinite(o.convergence) && o.convergence >= 0, "convergence = ", o.convergence,
          " must be >= 0 (0: automatic), nT");
  require(o.max_cycles >= 1, "max_cycles = ", o.max_cycles, " must be >= 1");
  require(o.threads >= 0, "threads = ", o.threads, " must be >= 0 (0: all cores)");
  require(o.refine >= 1 && o.refine <= 16, "refine = ", o.refine, " must be in [1, 16]");
  if (o.refine > 1) {
    // Solved on a grid r times finer whose nodes include every node of this one, grown by r/2
    // fine nodes on every side so that its cells cover this grid's cells; every r-th node returned.
    const Index r = o.refine, pad = r / 2;
    const GridSpec f{spec.x0 - double(pad) * spec.dx / double(r), spec.y0 - double(pad) * spec.dy / double(r),
                     spec.dx / double(r), spec.dy / double(r), (spec.nx - 1) * r + 1 + 2 * pad,
                     (spec.ny - 1) * r + 1 + 2 * pad};
    require(double(f.nx) * double(f.ny) <= double(kMaxNodes), "refine = ", r, " makes a grid of ", f.nx, " x ", f.ny,
            " nodes, more than the limit of ", kMaxNodes);
    // The same continuous operator: with derivatives in grid units the tension term weighs
    // T / ((1 - T) h^2) against the biharmonic one, so T / (1 - T) scales by 1 / r^2.
    const double ratio = o.tension / (1 - o.tension) / double(r * r);
    MinimumCurvatureOptions once = o;
    once.refine = 1, once.tension = ratio / (1 + ratio);
    const Grid fine = minimum_curvature(f, data, once, report);
    Grid out;
    out.spec = spec;
    out.values.resize(spec.ny, spec.nx);
    for (Index j = 0; j < spec.ny; ++j)
      for (Index i = 0; i < spec.nx; ++i) out.values(j, i) = fine.values(pad + j * r, pad + i * r);
    return out;
  }
  Members members;
  const BlockData b = reduce(spec, data, o.block, BlockLocation::data, o.threads, &members);
  const Index m = Index(b.value.size());
  require(m > 0, "no reading with a value lies inside the grid (", b.n_outside, " outside)");

  // Least-squares plane through the block values, removed and scaled out as GMT does: the solver
  // then works on O(1) numbers starting from 0.
  double xm = 0, ym = 0, vm = 0;
  for (Index k = 0; k < m; ++k) xm += b.x[k], ym += b.y[k], vm += b.value[k];
  xm /= double(m), ym /= double(m), vm /= double(m);
  double sxx = 0, sxy = 0, syy = 0, sxv = 0, syv = 0;
  for (Index k = 0; k < m; ++k) {
    const double ex = b.x[k] - xm, ey = b.y[k] - ym, ev = b.value[k] - vm;
    sxx += ex * ex, sxy += ex * ey, syy += ey * ey, sxv += ex * ev, syv += ey * ev;
  }
  const double det = sxx * syy - sxy * sxy;
  double gx = 0, gy = 0;
  if (det > 1e-12 * sxx * syy && det > 0) gx = (syy * sxv - sxy * syv) / det, gy = (sxx * syv - sxy * sxv) / det;
  auto plane = [&](double x, double y) { return vm + gx * (x - xm) + gy * (y - ym); };
  std::vector<double> res(static_cast<std::size_t>(m));
  double rms = 0, lo = 0, hi = 0, scale = 0;
  for (Index k = 0; k < m; ++k) {
    res[k] = b.value[k] - plane(b.x[k], b.y[k]), rms += res[k] * res[k];
    lo = std::min(lo, res[k]), hi = std::max(hi, res[k]), scale = std::max(scale, std::abs(b.value[k]));
  }
  rms = std::sqrt(rms / double(m));
  if (rms <= 1e-13 * scale) rms = 0;  // a plane up to rounding: nothing left to solve

  MinimumCurvatureReport rep;
  rep.n_blocks = m, rep.n_outside = b.n_outside, rep.levels = 1;
  rep.convergence = o.convergence > 0 ? o.convergence : (rms > 0 ? 1e-6 * (hi - lo) : 1e-6);
  rep.converged = true;
  Grid out;
  out.spec = spec;
  out.values.resize(spec.ny, spec.nx);
  if (rms > 0) {
    const double limit = rep.convergence / rms;
    Fine fine(spec.nx, spec.ny, operator_stencil(o.tension, (spec.dx / spec.dy) * (spec.dx / spec.dy)));
    // Each block value constrains the node of its own cell (at most one per cell): the mean of
    // the Taylor rows of the readings it is the mean of (the middle one or two for the median),
    // so averaging two readings costs no curvature error.
    const std::size_t n = std::size_t(spec.nx * spec.ny);
    std::vector<double> rhs(n, 0.0);
    for (Index q = 0; q < m; ++q) {
      const Index i = b.cell[q] % spec.nx, j = b.cell[q] / spec.nx;
      Stencil row{};
      const Index k0 = members.start[q], k1 = members.start[q + 1];
      for (Index k = k0; k < k1; ++k) {
        const Index id = members.id[std::size_t(k)];
        const Stencil one = taylor_row((data.x[id] - spec.x(i)) / spec.dx, (data.y[id] - spec.y(j)) / spec.dy);
        for (std::size_t t = 0; t < 25; ++t) row[t] += one[t] / double(k1 - k0);
      }
      fine.constrain(i, j, row);
      rhs[std::size_t(b.cell[q])] = res[q] / rms;
    }
    // The hierarchy: halve each axis of more than 5 nodes, down to at most 5 x 5 nodes, solved
    // directly. The first coarse grid may equal the final one (a final grid of at most 5 x 5).
    std::vector<Coarse> levels;
    {
      Index nx = spec.nx, ny = spec.ny;
      do {
        const bool cx = nx > 5, cy = ny > 5;
        nx = cx ? nx / 2 + 1 : nx, ny = cy ? ny / 2 + 1 : ny;
        levels.emplace_back(nx, ny, cx, cy);
      } while (levels.back().nx > 5 || levels.back().ny > 5);
    }
    galerkin(spec.nx, spec.ny, [&](Index i, Index j) { return fine.row(i, j); }, levels[0], o.threads);
    for (std::size_t l = 1; l < levels.size(); ++l) {
      const Coarse& f = levels[l - 1];
      galerkin(f.nx, f.ny, [&](Index i, Index j) { return f.a[std::size_t(j * f.nx + i)]; }, levels[l], o.threads);
    }
    Coarse& top = levels.back();
    Eigen::MatrixXd dense = Eigen::MatrixXd::Zero(top.nx * top.ny, top.nx * top.ny);
    for (Index j = 0; j < top.ny; ++j)
      for (Index i = 0; i < top.nx; ++i)
        for (Index dj = -2; dj <= 2; ++dj)
          for (Index di = -2; di <= 2; ++di)
            if (i + di >= 0 && i + di < top.nx && j + dj >= 0 && j + dj < top.ny)
              dense(j * top.nx + i, (j + dj) * top.nx + i + di) = top.a[std::size_t(j * top.nx + i)][std::size_t((dj + 2) * 5 + di + 2)];
    // Least squares of minimum norm: the coarsest operator is singular when the data leave a
    // function of the null space (planes, xy) undetermined.
    const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> direct(dense);

    // The V-cycle from zero on A e = r: a fixed linear operator, the preconditioner M^-1.
    constexpr int kSmooth = 2;  // Gauss-Seidel sweeps before and after each coarse correction
    constexpr int kBoundarySweeps = 4;  // and on the final grid, boundary sweeps over 4 nodes deep
    constexpr Index kBand = 4;
    std::vector<double> zero(n, 0.0), tmp(n), fine_r(n);
    auto vcycle = [&](const std::vector<double>& r, std::vector<double>& e) {
      fine.set(zero);
      fine.smooth(r, kSmooth, o.threads);
      fine.smooth_boundary(r, kBoundarySweeps, kBand);
      fine.residual(r.data(), fine_r, o.threads);
      restrict_to(fine_r, spec.nx, spec.ny, levels[0], o.threads);
      for (std::size_t l = 0; l + 1 < levels.size(); ++l) {
        Coarse& c = levels[l];
        std::fill(c.e.begin(), c.e.end(), 0.0);
        c.smooth(kSmooth, o.threads);
        c.residual(o.threads);
        restrict_to(c.r, c.nx, c.ny, levels[l + 1], o.threads);
      }
      const Eigen::VectorXd x = direct.solve(Eigen::Map<const Eigen::VectorXd>(top.f.data(), Eigen::Index(top.f.size())));
      for (Index j = 0; j < top.ny; ++j)
        for (Index i = 0; i < top.nx; ++i) top.at(i, j) = x(j * top.nx + i);
      for (std::size_t l = levels.size() - 1; l-- > 0;) {
        Coarse& c = levels[l];
        prolong_add(levels[l + 1], c.nx, c.ny, [&](Index i, Index j) -> double& { return c.at(i, j); }, o.threads);
        c.smooth(kSmooth, o.threads);
      }
      prolong_add(levels[0], spec.nx, spec.ny, [&](Index i, Index j) -> double& { return fine.at(i, j); }, o.threads);
      fine.ghosts();
      fine.smooth(r, kSmooth, o.threads);
      fine.smooth_boundary(r, kBoundarySweeps, kBand);
      fine.get(e);
      ++rep.cycles;
    };
    // Vector algebra with sums in a fixed order (per grid row, then the rows in turn): the same
    // numbers for any thread count.
    std::vector<double> partial(std::size_t(spec.ny));
    auto dot = [&](const std::vector<double>& a, const std::vector<double>& c) {
      parallel_for(
          spec.ny, o.threads,
          [&](Index j0, Index j1) {
            for (Index j = j0; j < j1; ++j) {
              double sum = 0;
              for (Index i = j * spec.nx; i < (j + 1) * spec.nx; ++i) sum += a[std::size_t(i)] * c[std::size_t(i)];
              partial[std::size_t(j)] = sum;
            }
          },
          std::max<Index>(1, 65536 / spec.nx));
      double sum = 0;
      for (double v : partial) sum += v;
      return sum;
    };
    auto axpy = [&](double a, const std::vector<double>& x, std::vector<double>& y) {  // y += a x
      parallel_for(
          Index(n), o.threads,
          [&](Index i0, Index i1) {
            for (Index i = i0; i < i1; ++i) y[std::size_t(i)] += a * x[std::size_t(i)];
          },
          65536);
    };
    // GMRES(kRestart) on M^-1 A u = M^-1 rhs: its residual is the V-cycle's estimate of the error
    // left in u, stopped when its rms is under the limit. (The V-cycle alone converges slowly or
    // not at all on some line surveys: the constraint rows make A non-symmetric.)
    constexpr int kRestart = 20;
    std::vector<double> u(n, 0.0);
    std::vector<std::vector<double>> v(kRestart + 1, std::vector<double>(n));
    Eigen::MatrixXd h = Eigen::MatrixXd::Zero(kRestart + 1, kRestart);
    Eigen::VectorXd g(kRestart + 1), cs(kRestart), sn(kRestart);
    const double rn = std::sqrt(double(n));
    double estimate = 0;
    while (true) {
      fine.set(u);
      fine.residual(rhs.data(), tmp, o.threads);
      vcycle(tmp, v[0]);
      double beta = std::sqrt(dot(v[0], v[0]));
      estimate = beta / rn;
      if (estimate <= limit || rep.cycles >= o.max_cycles) break;
      for (double& x : v[0]) x /= beta;
      g.setZero(), g(0) = beta;
      int k = 0;
      while (k < kRestart && rep.cycles < o.max_cycles) {
        fine.set(v[std::size_t(k)]);
        fine.residual(nullptr, tmp, o.threads);  // -A v_k
        vcycle(tmp, v[std::size_t(k) + 1]);
        std::vector<double>& w = v[std::size_t(k) + 1];
        for (double& x : w) x = -x;
        for (int i = 0; i <= k; ++i) h(i, k) = dot(w, v[std::size_t(i)]), axpy(-h(i, k), v[std::size_t(i)], w);
        h(k + 1, k) = std::sqrt(dot(w, w));
        const bool breakdown = !(h(k + 1, k) > 1e-300);
        if (!breakdown)
          for (double& x : w) x /= h(k + 1, k);
        for (int i = 0; i < k; ++i) {  // the earlier rotations, then a new one zeroing h(k + 1, k)
          const double a = h(i, k), c = h(i + 1, k);
          h(i, k) = cs(i) * a + sn(i) * c, h(i + 1, k) = -sn(i) * a + cs(i) * c;
        }
        const double d = std::hypot(h(k, k), h(k + 1, k));
        cs(k) = d > 0 ? h(k, k) / d : 1, sn(k) = d > 0 ? h(k + 1, k) / d : 0;
        h(k, k) = d, h(k + 1, k) = 0;
        g(k + 1) = -sn(k) * g(k), g(k) = cs(k) * g(k);
        ++k;
        if (breakdown || std::abs(g(k)) / rn <= limit) break;
      }
      Eigen::VectorXd y = h.topLeftCorner(k, k).triangularView<Eigen::Upper>().solve(g.head(k));
      for (int i = 0; i < k; ++i) axpy(y(i), v[std::size_t(i)], u);
    }
    fine.set(u);
    rep.levels = Index(levels.size()) + 1;
    rep.converged = estimate <= limit;
    rep.error_estimate = estimate * rms;
    for (Index j = 0; j < spec.ny; ++j)
      for (Index i = 0; i < spec.nx; ++i) out.values(j, i) = u[std::size_t(j * spec.nx + i)] * rms + plane(spec.x(i), spec.y(j));
  } else {
    for (Index j = 0; j < spec.ny; ++j)
      for (Index i = 0; i < spec.nx; ++i) out.values(j, i) = plane(spec.x(i), spec.y(j));
  }
  if (report) *report = rep;
  return out;
}

double default_max_distance(const GridSpec& spec, Scattered data) {
  const Index n = validate(data);
  spec.validate();
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  Index m = 0;
  for (Index k = 0; k < n; ++k) {
    if (std::isnan(data.value[k])) continue;
    ++m;
    x0 = std::min(x0, data.x[k]), x1 = std::max(x1, data.x[k]);
    y0 = std::min(y0, data.y[k]), y1 = std::max(y1, data.y[k]);
  }
  require(m > 0, "no reading has a value (", n, " readings, all NaN or none)");
  const double area = (x1 - x0) * (y1 - y0), fallback = 1.5 * std::max(spec.dx, spec.dy);
  if (!(area > 0)) return fallback;
  // Buckets of side b = sqrt(A / m) lie between the along-track sampling a and the track spacing
  // s (b^2 = a s for line data), so each track fills about L / b of them: s = A / (n_b b).
  const double b = std::sqrt(area / double(m));
  const Index bx = Index(std::floor((x1 - x0) / b)) + 1, by = Index(std::floor((y1 - y0) / b)) + 1;
  std::vector<unsigned char> hit(std::size_t(bx * by), 0);
  Index nb = 0;
  for (Index k = 0; k < n; ++k) {
    if (std::isnan(data.value[k])) continue;
    const Index i = std::min(bx - 1, Index((data.x[k] - x0) / b)), j = std::min(by - 1, Index((data.y[k] - y0) / b));
    unsigned char& h = hit[std::size_t(j * bx + i)];
    nb += h == 0, h = 1;
  }
  return 1.5 * area / (double(nb) * b);
}

Index distance_mask(const GridSpec& s, Eigen::Ref<GridValues> values, Scattered data, double max_distance,
                    int threads) {
  const Index n = validate(data);
  cell_count(s);
  require(values.rows() == s.ny && values.cols() == s.nx, "grid values are ", values.rows(), " x ", values.cols(),
          " but the spec says ", s.ny, " x ", s.nx);
  require(max_distance > 0, "max_distance = ", max_distance, " must be positive, m (inf: no mask)");
  if (std::isinf(max_distance)) return 0;
  const double r = max_distance, r2 = r * r;
  // Buckets of side >= r over the grid's extent grown by r: a reading within r of a node lies in
  // the node's bucket or one of its 8 neighbours; readings outside cannot be within r of a node.
  const double bx0 = s.x0 - r, by0 = s.y0 - r;
  const double wx = double(s.nx - 1) * s.dx + 2 * r, wy = double(s.ny - 1) * s.dy + 2 * r;
  const double cap = 4.0 * double(n + s.nx * s.ny) + 16;
  const double side = std::max(r, std::sqrt(wx * wy / cap));
  const Index nbx = Index(wx / side) + 1, nby = Index(wy / side) + 1;
  auto bucket = [&](double x, double y) -> Index {
    const double fi = std::floor((x - bx0) / side), fj = std::floor((y - by0) / side);
    if (!(fi >= 0 && fi < double(nbx) && fj >= 0 && fj < double(nby))) return -1;
    return Index(fj) * nbx + Index(fi);
  };
  std::vector<Index> start(std::size_t(nbx * nby) + 1, 0), which(std::size_t(n), -1);
  for (Index k = 0; k < n; ++k) {
    if (std::isnan(data.value[k])) continue;
    const Index b = bucket(data.x[k], data.y[k]);
    if (b >= 0) which[k] = b, ++start[b + 1];
  }
  for (Index b = 0; b < nbx * nby; ++b) start[b + 1] += start[b];
  std::vector<double> px(std::size_t(start.back())), py(px.size());
  {
    std::vector<Index> fill(start.begin(), start.end() - 1);
    for (Index k = 0; k < n; ++k)
      if (which[k] >= 0) {
        const Index q = fill[which[k]]++;
        px[q] = data.x[k], py[q] = data.y[k];
      }
  }
  std::atomic<Index> masked{0};
  parallel_for(
      s.ny, threads,
      [&](Index j0, Index j1) {
        Index local = 0;
        for (Index j = j0; j < j1; ++j) {
          const double y = s.y(j);
          const Index bj = Index(std::floor((y - by0) / side));
          for (Index i = 0; i < s.nx; ++i) {
            const double x = s.x(i);
            const Index bi = Index(std::floor((x - bx0) / side));
            bool near = false;
            for (Index qj = std::max<Index>(bj - 1, 0); qj <= std::min(bj + 1, nby - 1) && !near; ++qj)
              for (Index qi = std::max<Index>(bi - 1, 0); qi <= std::min(bi + 1, nbx - 1) && !near; ++qi) {
                const Index b = qj * nbx + qi;
                for (Index q = start[b]; q < start[b + 1]; ++q) {
                  const double ex = px[q] - x, ey = py[q] - y;
                  if (ex * ex + ey * ey <= r2) {
                    near = true;
                    break;
                  }
                }
              }
            if (!near) ++local, values(j, i) = std::numeric_limits<double>::quiet_NaN();
          }
        }
        masked += local;
      },
      8);
  return masked.load();
}

}  // namespace sapper::mag
