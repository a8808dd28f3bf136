// Block reduction, minimum curvature with tension, distance mask. Formulas: docs/mag_gridding.md.
#include <algorithm>
#include <array>
#include <memory>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>

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

BlockData block_reduce(const GridSpec& spec, Scattered data, BlockStatistic stat, BlockLocation where, int threads) {
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
          } else {
            // The middle reading(s) by (value, index): the median value and, at the same time, a
            // position that carries it (a plane's median sits on the plane).
            scratch.assign(ids, ids + m);
            auto less = [&](Index a, Index e) { return data.value[a] < data.value[e] || (data.value[a] == data.value[e] && a < e); };
            const std::size_t h = std::size_t(m / 2);
            std::nth_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(h), scratch.end(), less);
            const Index hi = scratch[h];
            v = data.value[hi], x = data.x[hi], y = data.y[hi];
            if (m % 2 == 0) {
              const Index lo = *std::max_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(h), less);
              v = (data.value[lo] + v) / 2, x = (data.x[lo] + x) / 2, y = (data.y[lo] + y) / 2;
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

/// A block value as a constraint on one node: the quadratic Taylor expansion about the node, with
/// central differences, evaluated at the value's offset (ex, ey) in grid units (|e| <= 1/2):
/// u + ex u_x + ey u_y + ex^2/2 u_xx + ey^2/2 u_yy + ex ey u_xy = value.
/// Exact for every quadratic, hence for planes and bilinear functions.
struct Constraint {
  double value;
  double c, e, w, n, s, ne, nw, se, sw;  // weights of the node and its 8 neighbours
};

Constraint taylor(double ex, double ey, double value) {
  const double xy = ex * ey / 4;
  return {value,
          1 - ex * ex - ey * ey,
          (ex + ex * ex) / 2,
          (-ex + ex * ex) / 2,
          (ey + ey * ey) / 2,
          (-ey + ey * ey) / 2,
          xy,
          -xy,
          -xy,
          xy};
}

/// One grid of the coarse-to-fine sequence, with two ghost rows and columns on every side that
/// carry the edge conditions: u_nn = 0 (u_-1 = 2 u_0 - u_1) and u_nnn = 0 (u_-2 = 4 u_0 - 4 u_1 + u_2).
class Level {
 public:
  Level(Index nx, Index ny) : nx_(nx), ny_(ny), w_(nx + 4), u_(std::size_t((nx + 4) * (ny + 4)), 0.0),
                              which_(std::size_t(nx * ny), -1) {}
  Index nx() const { return nx_; }
  Index ny() const { return ny_; }
  double& at(Index i, Index j) { return u_[std::size_t((j + 2) * w_ + i + 2)]; }
  double at(Index i, Index j) const { return u_[std::size_t((j + 2) * w_ + i + 2)]; }
  void constrain(Index i, Index j, const Constraint& c) {
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

  /// One Gauss-Seidel/SOR sweep in three passes (rows j = 0, 1, 2 mod 3). Within a pass the rows
  /// are independent (the 13-node stencil reaches 2 rows away), so they are split over threads,
  /// each row swept left to right: the same numbers for any thread count. Returns the largest change.
  double sweep(const std::array<double, 6>& k, double omega, int threads) {
    double biggest = 0;
    std::mutex m;
    const Index min_rows = std::max<Index>(1, 16384 / nx_);
    for (Index pass = 0; pass < 3; ++pass) {
      const Index rows = (ny_ - pass + 2) / 3;
      parallel_for(
          rows, threads,
          [&](Index r0, Index r1) {
            double local = 0;
            for (Index r = r0; r < r1; ++r) {
              const Index j = pass + 3 * r;
              local = std::max(local, sweep_row(j, k, omega));
              ghost_columns(j);
            }
            std::lock_guard lock(m);
            biggest = std::max(biggest, local);
          },
          min_rows);
      ghost_rows();
    }
    return biggest;
  }

 private:
  // k = {centre, x +-1, y +-1, diagonals, x +-2, y +-2} of (1 - T) lap^2 - T lap, divided so that
  // the update of a free node is u = -(sum of k times the neighbours).
  double sweep_row(Index j, const std::array<double, 6>& k, double omega) {
    double* p = &at(0, j);
    const Index w = w_;
    const int* which = which_.data() + j * nx_;
    double biggest = 0;
    for (Index i = 0; i < nx_; ++i, ++p) {
      double target, relax = omega;
      if (which[i] < 0) {
        target = -(k[1] * (p[1] + p[-1]) + k[2] * (p[w] + p[-w]) + k[3] * (p[w + 1] + p[w - 1] + p[-w + 1] + p[-w - 1]) +
                   k[4] * (p[2] + p[-2]) + k[5] * (p[2 * w] + p[-2 * w]));
      } else {
        const Constraint& c = cons_[std::size_t(which[i])];
        target = (c.value - (c.e * p[1] + c.w * p[-1] + c.n * p[w] + c.s * p[-w] + c.ne * p[w + 1] + c.nw * p[w - 1] +
                             c.se * p[-w + 1] + c.sw * p[-w - 1])) /
                 c.c;
        relax = 1;  // over-relaxing the constraints diverges: they are not diagonally dominant
      }
      const double step = relax * (target - *p);
      *p += step;
      biggest = std::max(biggest, std::abs(step));
    }
    return biggest;
  }

  Index nx_, ny_, w_;
  std::vector<double> u_;
  std::vector<int> which_;  // per node: its constraint or -1
  std::vector<Constraint> cons_;
};

/// Stencil of (1 - T) lap^2 u - T lap u in grid units with e = (hx / hy)^2, normalised by its
/// centre and negated: {1, x +-1, y +-1, diagonals, x +-2, y +-2}.
std::array<double, 6> stencil(double t, double e) {
  const double l = 1 - t;
  const double c = l * (6 + 8 * e + 6 * e * e) + t * (2 + 2 * e);
  return {1, (l * (-4 - 4 * e) - t) / c, (l * (-4 * e - 4 * e * e) - t * e) / c, l * 2 * e / c, l / c, l * e * e / c};
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
  require(o.max_iterations >= 1, "max_iterations = ", o.max_iterations, " must be >= 1");
  require(o.relaxation > 0 && o.relaxation < 2, "relaxation = ", o.relaxation, " must be in (0, 2)");
  require(o.threads >= 0, "threads = ", o.threads, " must be >= 0 (0: all cores)");
  const BlockData b = block_reduce(spec, data, o.block, BlockLocation::data, o.threads);
  const Index m = Index(b.value.size());
  require(m > 0, "no reading with a value lies inside the grid (", b.n_outside, " outside)");

  // Least-squares plane through the block values, removed and scaled out as GMT does: the solver
  // then starts from 0, and the convergence limit is relative to the residual's rms.
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
  double rms = 0;
  for (Index k = 0; k < m; ++k) res[k] = b.value[k] - plane(b.x[k], b.y[k]), rms += res[k] * res[k];
  rms = std::sqrt(rms / double(m));
  double scale = 0;
  for (Index k = 0; k < m; ++k) scale = std::max(scale, std::abs(b.value[k]));
  if (rms <= 1e-13 * scale) rms = 0;  // a plane up to rounding: nothing left to solve

  MinimumCurvatureReport rep;
  rep.n_blocks = m, rep.n_outside = b.n_outside;
  rep.convergence = o.convergence > 0 ? o.convergence : (rms > 0 ? 1e-5 * rms : 1e-5);
  rep.converged = true;
  Grid out;
  out.spec = spec;
  out.values.resize(spec.ny, spec.nx);
  if (rms > 0) {
    const double limit = rep.convergence / rms;
    const std::array<double, 6> k = stencil(o.tension, (spec.dx / spec.dy) * (spec.dx / spec.dy));
    auto nodes = [](Index n, Index s) { return (n - 1 + s - 1) / s + 1; };
    Index top = 0;
    while (nodes(spec.nx, Index(1) << (top + 1)) >= 3 && nodes(spec.ny, Index(1) << (top + 1)) >= 3) ++top;
    std::unique_ptr<Level> coarse;
    for (Index l = top; l >= 0; --l) {
      const Index s = Index(1) << l;
      auto lv = std::make_unique<Level>(nodes(spec.nx, s), nodes(spec.ny, s));
      const double hx = spec.dx * double(s), hy = spec.dy * double(s);
      // The nearest block value to each node constrains it (GMT's choice on coarse grids; on the
      // final grid each node has at most one, its own cell's).
      std::vector<Index> best(std::size_t(lv->nx() * lv->ny()), -1);
      std::vector<double> best_d2(best.size(), 0.0);
      for (Index q = 0; q < m; ++q) {
        const double fx = (b.x[q] - spec.x0) / hx, fy = (b.y[q] - spec.y0) / hy;
        const Index i = std::clamp(Index(std::floor(fx + 0.5)), Index(0), lv->nx() - 1);
        const Index j = std::clamp(Index(std::floor(fy + 0.5)), Index(0), lv->ny() - 1);
        const double d2 = (fx - double(i)) * (fx - double(i)) + (fy - double(j)) * (fy - double(j));
        const std::size_t node = std::size_t(j * lv->nx() + i);
        if (best[node] < 0 || d2 < best_d2[node]) best[node] = q, best_d2[node] = d2;
      }
      for (Index j = 0; j < lv->ny(); ++j)
        for (Index i = 0; i < lv->nx(); ++i)
          if (const Index q = best[std::size_t(j * lv->nx() + i)]; q >= 0)
            lv->constrain(i, j,
                          taylor((b.x[q] - spec.x0) / hx - double(i), (b.y[q] - spec.y0) / hy - double(j), res[q] / rms));
      if (coarse) {  // bilinear prolongation: fine node i sits at coarse i / 2
        for (Index j = 0; j < lv->ny(); ++j)
          for (Index i = 0; i < lv->nx(); ++i) {
            const Index i0 = i / 2, j0 = j / 2, i1 = (i + 1) / 2, j1 = (j + 1) / 2;
            lv->at(i, j) = 0.25 * (coarse->at(i0, j0) + coarse->at(i1, j0) + coarse->at(i0, j1) + coarse->at(i1, j1));
          }
      }
      lv->ghosts();
      // SOR with the constraint rows (not diagonally dominant) can diverge: then the level starts
      // again from its initial values with the over-relaxation halved toward 1, then under 1.
      const Level start = *lv;
      double omega = o.relaxation, change = 0;
      Index it = 0;
      for (;;) {
        double first = 0;
        bool diverged = false;
        for (Index n = 0;; ++n) {
          change = lv->sweep(k, omega, o.threads);
          ++it;
          if (n == 0) first = change;
          if (!(change <= 1e3 * first + limit)) {
            diverged = true;
            break;
          }
          if (change <= limit || it >= o.max_iterations) break;
        }
        if (!diverged || it >= o.max_iterations) break;
        *lv = start;
        omega = omega > 1.05 ? (1 + omega) / 2 : 0.7 * omega;
        ++rep.restarts;
      }
      ++rep.levels, rep.iterations += it;
      rep.converged = rep.converged && change <= limit;
      if (l == 0) rep.final_iterations = it, rep.final_change = change * rms;
      coarse = std::move(lv);
    }
    for (Index j = 0; j < spec.ny; ++j)
      for (Index i = 0; i < spec.nx; ++i) out.values(j, i) = coarse->at(i, j) * rms + plane(spec.x(i), spec.y(j));
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
