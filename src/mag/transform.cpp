// FFT grid transforms: fill NaN holes, pad, row r2c FFTs, column FFTs + filter + inverse column
// FFTs fused per block of columns, row c2r FFTs, crop, re-mask. Rows and column blocks are
// independent and go through the same 1-D plans, so results do not depend on the thread count.
#include "sapper/mag/transform.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <numbers>
#include <span>

#include "sapper/core/error.hpp"
#include "sapper/core/fft.hpp"
#include "sapper/core/median.hpp"
#include "sapper/core/parallel.hpp"

namespace sapper::mag {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kDeg = kPi / 180;
constexpr int kFillSweeps = 20;  // Jacobi sweeps smoothing the layered fill of NaN holes
// Full width at half height of a 3-D dipole's total gradient amplitude over its depth h below the
// sensor: (h^2 / (h^2 + d^2))^2 = 1/2 at d = h sqrt(sqrt 2 - 1), width 2 x 0.644 h.
constexpr double kWidthPerDepth = 1.287;
// columns per FFTW many-plan: vectorised across them, 64-byte aligned (32: the fastest of 8-64 at 1536)
constexpr Index kColBlock = 32;

using Arr = Eigen::ArrayXd;
using Cplx = std::complex<double>;

void check_wavelength(double w, const char* name) {
  require(std::isfinite(w) && w > 0, name, ": cutoff_wavelength_m = ", w, " must be positive and finite, m");
}

/// Work arrays of one column's response, allocated once per thread. 64-byte aligned and declared
/// so: Eigen then never peels unaligned leading elements into a scalar loop (whose FMA contraction
/// rounds differently), so every bin is computed alike whatever thread or allocation it gets.
using Col = Eigen::Map<Arr, Eigen::Aligned64>;
struct ColumnScratch {
  Index stride;  // per array, a multiple of 8 doubles
  fft::Buffer<double> mem;
  Col k, inv_k, re, im, t0, t1, t2;
  explicit ColumnScratch(Index n)
      : stride((n + 7) / 8 * 8),
        mem(std::size_t(7 * stride)),
        k(at(0), n),
        inv_k(at(1), n),
        re(at(2), n),
        im(at(3), n),
        t0(at(4), n),
        t1(at(5), n),
        t2(at(6), n) {}
  double* at(Index q) { return mem.data() + q * stride; }
};

/// Sets (re, im) to the response of the factors at wavenumbers (kx, ky[j]) times `scale`. Split
/// real/imaginary Eigen arrays so that sqrt, exp and division vectorise; every temporary lives in
/// the scratch (no allocation per column).
void column_response(const std::vector<Filter::Term>& terms, double kx, const Arr& ky, double scale, ColumnScratch& w) {
  using K = Filter::Term::Kind;
  Col &k = w.k, &inv_k = w.inv_k, &re = w.re, &im = w.im, &t0 = w.t0, &t1 = w.t1, &t2 = w.t2;
  k = (kx * kx + ky.square()).sqrt();
  inv_k = (k > 0).select(k.inverse(), 0.0);
  re.setConstant(scale), im.setZero();
  for (const auto& t : terms) {
    switch (t.kind) {
      case K::dx:  // * i kx
        t0 = -kx * im, im = kx * re, re = t0;
        break;
      case K::dy:  // * i ky
        t0 = -ky * im, im = ky * re, re = t0;
        break;
      case K::dz:  // * (-k)^n
        for (int i = 0; i < int(t.p[0]); ++i) re *= -k, im *= -k;
        break;
      case K::upward:
        t0 = (-t.p[0] * k).exp(), re *= t0, im *= t0;
        break;
      case K::rtp: {
        // One direction u: p = {a = sin I, a' = sin I', cos I' / cos I, hx = cos I sin D, hy = cos I cos D}.
        // G = conj(T) / (|T| |T'|), T = a + i b, T' = a' + i b (cos I' / cos I), b = (hx kx + hy ky) / k.
        const double a = t.p[0], ap = t.p[1], r2 = t.p[2] * t.p[2];
        t0 = (t.p[3] * kx + t.p[4] * ky) * inv_k;                                     // b
        t1 = (a * a + t0.square()).sqrt() * (ap * ap + r2 * t0.square()).sqrt();   // |T| |T'|
        // |T| = 0 only at I = 0 with k across the field: phase undefined, take 0.
        t2 = (t1 > 0).select(a / t1, ap != 0 ? 1 / std::abs(ap) : 0.0);  // Re G
        t1 = (t1 > 0).select(-t0 / t1, 0.0);                                        // Im G
        t0 = re * t2 - im * t1, im = re * t1 + im * t2, re = t0;
        break;
      }
      case K::gauss_lo:  // p = {kc}
        t0 = (k.square() * (-0.5 / (t.p[0] * t.p[0]))).exp(), re *= t0, im *= t0;
        break;
      case K::gauss_hi:
        t0 = 1 - (k.square() * (-0.5 / (t.p[0] * t.p[0]))).exp(), re *= t0, im *= t0;
        break;
      case K::butter_lo:
      case K::butter_hi:  // p = {kc, n}; r = (k/kc)^n: low 1/sqrt(1+r^2), high r/sqrt(1+r^2)
        t0.setOnes();
        for (int i = 0; i < int(t.p[1]); ++i) t0 *= k * (1 / t.p[0]);
        t1 = (1 + t0.square()).rsqrt();
        if (t.kind == K::butter_hi) t1 *= t0;
        re *= t1, im *= t1;
        break;
    }
  }
}

/// Frame-sized work buffers kept between calls (at most kPoolBytes per type): a fresh 20 MB
/// allocation is returned to the OS when freed and costs its page faults again on the next call.
constexpr std::size_t kPoolBytes = std::size_t(256) << 20;
template <class T>
struct Pool {
  std::mutex m;
  std::vector<fft::Buffer<T>> free;
  static Pool& get() {
    static Pool p;
    return p;
  }
};
/// A buffer of at least n elements (contents unspecified) from the pool, returned on destruction.
template <class T>
class Pooled {
 public:
  explicit Pooled(std::size_t n) {
    auto& p = Pool<T>::get();
    {
      std::lock_guard lock(p.m);
      for (auto& b : p.free)
        if (b.size() >= n) {
          std::swap(b, p.free.back());
          buf_ = std::move(p.free.back());
          p.free.pop_back();
          break;
        }
    }
    if (buf_.size() < n) buf_ = fft::Buffer<T>(n);
  }
  Pooled(Pooled&&) = default;
  ~Pooled() {
    if (buf_.empty()) return;
    auto& p = Pool<T>::get();
    std::lock_guard lock(p.m);
    std::size_t held = buf_.size();
    for (auto& b : p.free) held += b.size();
    if (held * sizeof(T) <= kPoolBytes) p.free.push_back(std::move(buf_));
  }
  T* data() { return buf_.data(); }
  T& operator[](std::size_t i) { return buf_[i]; }
  const T& operator[](std::size_t i) const { return buf_[i]; }

 private:
  fft::Buffer<T> buf_;
};

/// Angular wavenumbers of an n-point FFT with spacing d, numpy.fft.fftfreq's order (Nyquist negative).
Arr wavenumbers(Index n, double d) {
  Arr k(n);
  for (Index j = 0; j < n; ++j) k[j] = 2 * kPi * double(j <= (n - 1) / 2 ? j : j - n) / (double(n) * d);
  return k;
}

void validate(const TransformOptions& o) {
  require(std::isfinite(o.pad_fraction) && o.pad_fraction >= 0 && o.pad_fraction <= 4,
          "pad_fraction = ", o.pad_fraction, " must be in [0, 4]");
  require(o.threads >= 0, "threads = ", o.threads, " must be >= 0 (0 = all cores)");
  require(o.padding == Padding::none || o.padding == Padding::mirror || o.padding == Padding::taper,
          "padding = ", int(o.padding), " is not a Padding value");
}

/// Where the grid sits in the padded FFT frame.
struct Layout {
  Index nx, ny;    // grid
  Index Nx, Ny;    // padded
  Index ox, oy;    // offset of grid cell (0, 0) in the padded frame
  Index sr, sc;    // row strides (reals, complex), multiples of 64 bytes so every row is aligned
  Index nh;        // Nx / 2 + 1 complex bins per row
  double dx, dy;
};

Layout layout(const GridSpec& s, const TransformOptions& o) {
  Layout L{};
  L.nx = s.nx, L.ny = s.ny, L.dx = s.dx, L.dy = s.dy;
  auto padded = [&](Index n) {
    if (o.padding == Padding::none) return n;
    return fft::good_size(n + 2 * Index(std::ceil(o.pad_fraction * double(n))));
  };
  L.Nx = padded(s.nx), L.Ny = padded(s.ny);
  L.ox = (L.Nx - L.nx) / 2, L.oy = (L.Ny - L.ny) / 2;
  L.nh = L.Nx / 2 + 1;
  L.sr = (L.Nx + 7) / 8 * 8;
  L.sc = (L.nh + 3) / 4 * 4;
  return L;
}

/// Copy of the grid with NaN cells filled, and the flat indices of those cells. Fill: layers
/// peeled inwards from the hole's rim, each cell the mean of its already-known 4-neighbours, then
/// kFillSweeps Jacobi sweeps of Laplace's equation over the hole cells (data cells fixed).
/// Returns `filled` (the copy) if there were holes, else the input's own values (no copy).
const GridValues& fill_holes(const Grid& g, std::vector<Index>& holes, GridValues& filled) {
  const Index nx = g.spec.nx, ny = g.spec.ny;
  require(g.values.rows() == ny && g.values.cols() == nx, "grid values are ", g.values.rows(), " x ",
          g.values.cols(), "; the spec says ny x nx = ", ny, " x ", nx);
  const GridValues& in = g.values;
  holes.clear();
  for (Index j = 0; j < ny; ++j)
    for (Index i = 0; i < nx; ++i) {
      const double x = in(j, i);
      if (std::isnan(x))
        holes.push_back(j * nx + i);
      else
        require(std::isfinite(x), "grid value at row ", j, ", column ", i, " = ", x,
                " is not finite (NaN marks a cell without data; Inf is not allowed)");
    }
  if (holes.empty()) return in;
  GridValues& v = filled;
  v = in;
  require(Index(holes.size()) < nx * ny, "the grid has no finite value (all ", nx * ny, " cells are NaN)");
  double* d = v.data();
  std::vector<char> known(std::size_t(nx * ny), 1);
  for (Index h : holes) known[std::size_t(h)] = 0;
  auto neighbour_mean = [&](Index h, bool need_known, double& out) {
    const Index j = h / nx, i = h % nx;
    double s = 0;
    int c = 0;
    const Index nb[4] = {i > 0 ? h - 1 : -1, i + 1 < nx ? h + 1 : -1, j > 0 ? h - nx : -1, j + 1 < ny ? h + nx : -1};
    for (Index q : nb)
      if (q >= 0 && (!need_known || known[std::size_t(q)])) s += d[q], ++c;
    if (c > 0) out = s / c;
    return c > 0;
  };
  std::vector<Index> left = holes, next;
  std::vector<std::pair<Index, double>> layer;
  while (!left.empty()) {  // terminates: the 4-neighbour grid is connected and one cell is known
    layer.clear(), next.clear();
    for (Index h : left) {
      double m;
      if (neighbour_mean(h, true, m))
        layer.emplace_back(h, m);
      else
        next.push_back(h);
    }
    for (auto [h, m] : layer) d[h] = m, known[std::size_t(h)] = 1;
    left.swap(next);
  }
  std::vector<double> upd(holes.size());
  for (int s = 0; s < kFillSweeps; ++s) {
    for (std::size_t q = 0; q < holes.size(); ++q) neighbour_mean(holes[q], false, upd[q]);
    for (std::size_t q = 0; q < holes.size(); ++q) d[holes[q]] = upd[q];
  }
  return filled;
}

/// Index of padded position p (grid index p - o, possibly outside [0, n)) reflected into [0, n):
/// symmetric reflection, period 2n.
Index reflect(Index j, Index n) {
  Index m = j % (2 * n);
  if (m < 0) m += 2 * n;
  return m < n ? m : 2 * n - 1 - m;
}

/// Cosine roll-off weight of a padded cell d cells beyond the edge, pad of w cells on that side.
double taper_weight(Index d, Index w) { return d == 0 ? 1.0 : 0.5 * (1 + std::cos(kPi * double(d) / double(w + 1))); }

/// Per padded position along one axis: the grid index it copies and its taper weight.
void taper_axis(Index n, Index N, Index o, std::vector<Index>& src, std::vector<double>& w) {
  src.resize(std::size_t(N)), w.resize(std::size_t(N));
  for (Index I = 0; I < N; ++I) {
    const Index i = I - o, c = std::clamp<Index>(i, 0, n - 1);
    src[std::size_t(I)] = c;
    w[std::size_t(I)] = taper_weight(std::abs(i - c), i < 0 ? o : N - n - o);
  }
}

/// Per padded row and column: the grid index it copies and its weight (1 inside the grid).
struct PadMap {
  std::vector<Index> sx, sy;
  std::vector<double> wx, wy;
  double mean;
  PadMap(const GridValues& v, const Layout& L, Padding p) : mean(v.mean()) {
    taper_axis(L.nx, L.Nx, L.ox, sx, wx);
    taper_axis(L.ny, L.Ny, L.oy, sy, wy);
    if (p == Padding::mirror) {
      for (Index I = 0; I < L.Nx; ++I) sx[std::size_t(I)] = reflect(I - L.ox, L.nx);
      for (Index J = 0; J < L.Ny; ++J) sy[std::size_t(J)] = reflect(J - L.oy, L.ny);
      std::fill(wx.begin(), wx.end(), 1.0), std::fill(wy.begin(), wy.end(), 1.0);
    }
    // none has no padded cells: every weight is 1
  }
  /// Padded row J into row[0, Nx).
  void row(const GridValues& v, const Layout& L, Index J, double* out) const {
    const double* src = v.data() + sy[std::size_t(J)] * L.nx;
    const double wj = wy[std::size_t(J)];
    for (Index I = 0; I < L.Nx; ++I) {
      const double w = wj * wx[std::size_t(I)], x = src[sx[std::size_t(I)]];
      out[I] = w == 1 ? x : mean + (x - mean) * w;  // copies exact where not tapered
    }
  }
};

/// H(kx, ky) / (Nx Ny) on the half spectrum of a padded frame, laid out like the spectrum (bin
/// (j, c) at j * sc + c), cached per frame shape, spacing and filter: the RTP response costs a few
/// square roots and divisions per bin, as much as a third of the FFTs, and a survey's grids are
/// transformed again and again with the same shape and filter. At most kResponseBytes held.
constexpr std::size_t kResponseBytes = std::size_t(256) << 20;
using Response = fft::Buffer<Cplx>;
struct ResponseKey {
  Index Nx, Ny;
  double dx, dy;
  std::vector<Filter::Term> terms;
  bool operator==(const ResponseKey& o) const {
    if (Nx != o.Nx || Ny != o.Ny || dx != o.dx || dy != o.dy || terms.size() != o.terms.size()) return false;
    for (std::size_t t = 0; t < terms.size(); ++t)
      if (terms[t].kind != o.terms[t].kind || !std::equal(std::begin(terms[t].p), std::end(terms[t].p), o.terms[t].p))
        return false;
    return true;
  }
};
struct ResponseCache {
  std::mutex m;
  std::list<std::pair<ResponseKey, std::shared_ptr<const Response>>> lru;  // front = most recent
};

std::shared_ptr<const Response> response(const Layout& L, const Filter& filter, int threads) {
  static ResponseCache cache;
  ResponseKey key{L.Nx, L.Ny, L.dx, L.dy, filter.terms()};
  {
    std::lock_guard lock(cache.m);
    for (auto it = cache.lru.begin(); it != cache.lru.end(); ++it)
      if (it->first == key) {
        cache.lru.splice(cache.lru.begin(), cache.lru, it);
        return it->second;
      }
  }
  auto h = std::make_shared<Response>(std::size_t(L.Ny * L.sc));  // computed outside the cache lock
  const Arr ky = wavenumbers(L.Ny, L.dy);
  const double scale = 1.0 / (double(L.Nx) * double(L.Ny));
  parallel_for(
      L.nh, threads,
      [&](Index b, Index e) {
        ColumnScratch cs(L.Ny);
        for (Index c = b; c < e; ++c) {
          // bin c of a real FFT is kx = 2 pi c / (Nx dx), c <= Nx/2 (positive, as numpy.fft.rfftfreq)
          column_response(filter.terms(), 2 * kPi * double(c) / (double(L.Nx) * L.dx), ky, scale, cs);
          for (Index j = 0; j < L.Ny; ++j) (*h)[std::size_t(j * L.sc + c)] = Cplx(cs.re[j], cs.im[j]);
        }
      },
      16);
  const std::size_t bytes = h->size() * sizeof(Cplx);
  std::lock_guard lock(cache.m);
  if (bytes > kResponseBytes) return h;
  std::size_t held = bytes;
  for (auto& [k, r] : cache.lru) held += r->size() * sizeof(Cplx);
  while (held > kResponseBytes) held -= cache.lru.back().second->size() * sizeof(Cplx), cache.lru.pop_back();
  cache.lru.emplace_front(std::move(key), h);
  return h;
}

/// dst[q] = src[q] * h[q], q < n (dst may be src). Written out: std::complex's operator* checks
/// for NaN and does not vectorise.
inline void multiply(const Cplx* src, const Cplx* h, Cplx* dst, Index n) {
  const double* a = reinterpret_cast<const double*>(src);
  const double* b = reinterpret_cast<const double*>(h);
  double* d = reinterpret_cast<double*>(dst);
  for (Index q = 0; q < 2 * n; q += 2) {
    const double re = a[q] * b[q] - a[q + 1] * b[q + 1], im = a[q] * b[q + 1] + a[q + 1] * b[q];
    d[q] = re, d[q + 1] = im;
  }
}

/// The whole pipeline for nf <= 3 filters: pad each row as it goes into its real FFT, per block
/// of columns the forward FFT, the responses and the inverse FFTs while the block is in cache, then
/// the inverse real FFTs of the grid's rows only (the padded ones are cropped away), each row
/// straight into the output cells: combine(c, x) maps the nf filtered values of a cell to the
/// `nout` output grids' values there.
template <class Combine>
std::vector<Grid> run(const Grid& g, std::span<const Filter* const> filters, const TransformOptions& o, std::size_t nout,
                      Combine&& combine) {
  g.spec.validate();
  validate(o);
  std::vector<Index> holes;
  GridValues filled;
  const GridValues& v = fill_holes(g, holes, filled);
  const Layout L = layout(g.spec, o);
  const std::size_t nf = filters.size();
  const auto px = fft::RealPlan<double>::get(L.Nx);
  std::vector<std::shared_ptr<const Response>> h;
  for (const Filter* f : filters) h.push_back(response(L, *f, o.threads));
  std::vector<Pooled<Cplx>> spec;
  for (std::size_t f = 0; f < nf; ++f) spec.emplace_back(std::size_t(L.Ny * L.sc));

  // Real FFTs of the grid's rows, padded along x. A padded row J is grid row sy[J] rolled off by
  // w = wy[J]: w row + (1 - w) mean, so its spectrum is w times that row's plus (1 - w) mean Nx
  // at bin 0, a third of the row FFTs saved at the default padding (filled per column block below).
  const PadMap pm(v, L, o.padding);
  Cplx* s0 = spec[0].data();
  parallel_for(
      L.ny, o.threads,
      [&](Index b, Index e) {
        fft::Buffer<double> row(std::size_t(L.Nx));
        for (Index J = b + L.oy; J < e + L.oy; ++J) pm.row(v, L, J, row.data()), px->forward(row.data(), s0 + J * L.sc);
      },
      8);

  // blocks are fixed by column index (not by thread), so each column always goes through the
  // same plan: the full-block one, or the remainder's
  const Index nblocks = (L.nh + kColBlock - 1) / kColBlock;
  const auto full = fft::ColumnsPlan<double>::get(L.Ny, std::min(kColBlock, L.nh), L.sc);
  const Index rem = L.nh % kColBlock;
  const auto last = rem && L.nh > kColBlock ? fft::ColumnsPlan<double>::get(L.Ny, rem, L.sc) : full;
  parallel_for(
      nblocks, o.threads,
      [&](Index b, Index e) {
        for (Index blk = b; blk < e; ++blk) {
          const Index c0 = blk * kColBlock, nc = std::min(kColBlock, L.nh - c0);
          const auto& plan = nc == kColBlock || L.nh <= kColBlock ? full : last;
          for (Index p = 0; p < L.Ny - L.ny; ++p) {  // the padded rows' spectra, see above
            const Index J = p < L.oy ? p : p + L.ny;
            const double w = pm.wy[std::size_t(J)];
            const Cplx* src = s0 + (pm.sy[std::size_t(J)] + L.oy) * L.sc + c0;
            Cplx* dst = s0 + J * L.sc + c0;
            for (Index q = 0; q < nc; ++q) dst[q] = w * src[q];
            if (c0 == 0) dst[0] += (1 - w) * pm.mean * double(L.Nx);
          }
          plan->forward(s0 + c0);
          // the last filter first: filters f >= 1 read the untouched block
          for (std::size_t f = nf; f-- > 0;) {
            for (Index j = 0; j < L.Ny; ++j) {
              const std::size_t at = std::size_t(j * L.sc + c0);
              multiply(spec[0].data() + at, h[f]->data() + at, spec[f].data() + at, nc);
            }
            plan->inverse(spec[f].data() + c0);
          }
        }
      },
      1);

  std::vector<Grid> r;
  for (std::size_t q = 0; q < nout; ++q) r.push_back(Grid{g.spec, GridValues(g.spec.ny, g.spec.nx)});
  parallel_for(
      L.ny, o.threads,
      [&](Index b, Index e) {
        fft::Buffer<double> rows(std::size_t(3 * L.sr));
        double c[3] = {}, x[3] = {};
        for (Index j = b; j < e; ++j) {
          for (std::size_t f = 0; f < nf; ++f)
            px->inverse(spec[f].data() + (j + L.oy) * L.sc, rows.data() + std::ptrdiff_t(f) * L.sr);
          for (Index i = 0; i < L.nx; ++i) {
            for (std::size_t f = 0; f < nf; ++f) c[f] = rows[std::size_t(Index(f) * L.sr + L.ox + i)];
            combine(c, x);
            for (std::size_t q = 0; q < nout; ++q) r[q].values(j, i) = x[q];
          }
        }
      },
      8);
  for (auto& gr : r)
    for (Index hole : holes) gr.values.data()[hole] = std::numeric_limits<double>::quiet_NaN();
  return r;
}

/// (median, MAD) of the finite values.
std::pair<double, double> median_mad(const GridValues& v) {
  std::vector<double> a;
  a.reserve(std::size_t(v.size()));
  for (Index q = 0; q < v.size(); ++q)
    if (std::isfinite(v.data()[q])) a.push_back(v.data()[q]);
  const double med = median_inplace(a);
  for (double& x : a) x = std::abs(x - med);
  return {med, median_inplace(a)};
}

void validate(const PickOptions& o) {
  require(std::isfinite(o.k) && o.k > 0, "k = ", o.k, " must be positive and finite");
  require(std::isfinite(o.min_separation_m) && o.min_separation_m >= 0, "min_separation_m = ", o.min_separation_m,
          " must be >= 0 (0 = 3 cells), m");
  require(std::isfinite(o.pairing_radius_m) && o.pairing_radius_m >= 0, "pairing_radius_m = ", o.pairing_radius_m,
          " must be >= 0 (0 = automatic), m");
  require(std::isfinite(o.merge_factor) && o.merge_factor >= 0, "merge_factor = ", o.merge_factor,
          " must be >= 0 (0 = off)");
  require(std::isnan(o.upward_m) || (o.upward_m >= 0 && o.upward_m <= 1e6), "upward_m = ", o.upward_m,
          " must be in [0, 1e6] m (NaN = 1.5 cells, 0 = none)");
}

/// Lowest value of g on the straight path between two positions (cells nearest to samples every
/// half cell; NaN cells skipped).
double path_min(const Grid& g, double xa, double ya, double xb, double yb) {
  const GridSpec& s = g.spec;
  const double len = std::hypot(xb - xa, yb - ya);
  const Index n = Index(std::ceil(2 * len / std::min(s.dx, s.dy))) + 1;
  double m = std::numeric_limits<double>::infinity();
  for (Index q = 0; q <= n; ++q) {
    const double t = double(q) / double(n);
    const Index i = std::clamp<Index>(std::lround((xa + t * (xb - xa) - s.x0) / s.dx), 0, s.nx - 1);
    const Index j = std::clamp<Index>(std::lround((ya + t * (yb - ya) - s.y0) / s.dy), 0, s.ny - 1);
    if (!std::isnan(g.values(j, i))) m = std::min(m, g.values(j, i));
  }
  return m;
}

/// Twice the radius at which the mean of g over rings around cell (j, i) first falls below `half`
/// (rings of one cell, min(dx, dy), NaN cells skipped; linear interpolation between rings).
double ring_width(const Grid& g, Index j, Index i, double peak, double half) {
  const GridSpec& s = g.spec;
  const double dr = std::min(s.dx, s.dy);
  const Index kmax = std::max(s.nx, s.ny);
  double prev = peak;
  for (Index k = 1; k <= kmax; ++k) {
    const double r = double(k) * dr;
    const Index ri = Index(std::ceil((r + dr) / s.dx)), rj = Index(std::ceil((r + dr) / s.dy));
    double sum = 0;
    Index n = 0;
    for (Index jj = std::max<Index>(0, j - rj); jj <= std::min(s.ny - 1, j + rj); ++jj)
      for (Index ii = std::max<Index>(0, i - ri); ii <= std::min(s.nx - 1, i + ri); ++ii) {
        const double d = std::hypot(double(ii - i) * s.dx, double(jj - j) * s.dy), v = g.values(jj, ii);
        if (std::abs(d - r) < 0.5 * dr && !std::isnan(v)) sum += v, ++n;
      }
    if (n == 0) return 2 * r;  // past the grid or its data
    const double m = sum / double(n);
    if (m < half) return 2 * dr * (double(k - 1) + (prev - half) / (prev - m));
    prev = m;
  }
  return 2 * double(kmax) * dr;
}

/// Peaks of g above `floor`, each rising at least `prominence` above the lowest point on the path
/// to every stronger pick nearby; widths measured at half height above `base`.
std::vector<Pick> pick_impl(const Grid& g, double floor, double base, double prominence, const PickOptions& o,
                            const Grid* tf) {
  const GridSpec& s = g.spec;
  const Index nx = s.nx, ny = s.ny;
  const GridValues& v = g.values;
  auto at = [&](Index j, Index i) {
    return (j < 0 || j >= ny || i < 0 || i >= nx) ? std::numeric_limits<double>::quiet_NaN() : v(j, i);
  };
  // local maxima: ties go to the first cell in row-major order
  std::vector<std::pair<double, Index>> cand;
  for (Index j = 0; j < ny; ++j)
    for (Index i = 0; i < nx; ++i) {
      const double x = v(j, i);
      if (!(x > floor)) continue;
      bool peak = true;
      for (Index dj = -1; dj <= 1 && peak; ++dj)
        for (Index di = -1; di <= 1 && peak; ++di) {
          if (!dj && !di) continue;
          const double y = at(j + dj, i + di);
          if (std::isnan(y)) continue;
          const bool before = dj < 0 || (dj == 0 && di < 0);
          peak = before ? x > y : x >= y;
        }
      if (peak) cand.emplace_back(x, j * nx + i);
    }
  std::sort(cand.begin(), cand.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });

  const double cell = std::max(s.dx, s.dy);
  const double sep = o.min_separation_m > 0 ? o.min_separation_m : 3 * cell;
  double tf_median = 0;
  if (tf) tf_median = median_mad(tf->values).first;
  std::vector<Pick> picks;
  for (auto [x0, idx] : cand) {
    const Index j = idx / nx, i = idx % nx;
    // sub-cell vertex of the parabola through 3 cells per axis, offset clamped to half a cell
    double off[2] = {0, 0}, amp = x0;
    const double lr[2][2] = {{at(j, i - 1), at(j, i + 1)}, {at(j - 1, i), at(j + 1, i)}};
    for (int a = 0; a < 2; ++a) {
      const double m = lr[a][0], p = lr[a][1], den = m - 2 * x0 + p;
      if (std::isfinite(m) && std::isfinite(p) && den < 0) {
        off[a] = std::clamp(0.5 * (m - p) / den, -0.5, 0.5);
        amp -= 0.25 * (m - p) * off[a];
      }
    }
    Pick pk;
    pk.x = s.x(i) + off[0] * s.dx, pk.y = s.y(j) + off[1] * s.dy, pk.amplitude = amp;
    bool close = false;
    for (const Pick& q : picks) close = close || std::hypot(q.x - pk.x, q.y - pk.y) < sep;
    if (close) continue;
    // full width at half height of the ring means around the peak cell (rings one cell wide, NaN
    // cells skipped), the crossing interpolated: the ring means smooth out the ripples that
    // gridding between survey tracks leaves on a strong anomaly, which a walk along an axis stops at
    pk.width_m = ring_width(g, j, i, x0, base + 0.5 * (x0 - base));
    // noise bumps on the flank of a stronger peak: not separated from it by a saddle deeper than
    // the noise margin (checked within 2 summed widths; farther anomalies are apart anyway)
    bool flank = false;
    for (const Pick& q : picks)
      if (!flank && std::hypot(q.x - pk.x, q.y - pk.y) < 2 * (q.width_m + pk.width_m))
        flank = x0 - path_min(g, s.x(i), s.y(j), q.x, q.y) < prominence;
    if (flank) continue;
    // the skirt of a stronger anomaly (a source's shoulders, its gridding ripples, a weaker source
    // that cannot be told from it): below merge_factor times the stronger pick's dipole envelope
    // A (h^2 / (h^2 + d^2))^2 at distance d, h = its width / 1.29 (the depth below the sensor)
    bool skirt = false;
    for (const Pick& q : picks) {
      const double h2 = std::pow(q.width_m / kWidthPerDepth, 2), d2 = std::pow(q.x - pk.x, 2) + std::pow(q.y - pk.y, 2);
      skirt = skirt || amp < o.merge_factor * q.amplitude * std::pow(h2 / (h2 + d2), 2);
    }
    if (skirt) continue;
    // lobes on the total field
    const double nan = std::numeric_limits<double>::quiet_NaN();
    pk.positive_x = pk.positive_y = pk.positive_nt = nan;
    pk.negative_x = pk.negative_y = pk.negative_nt = nan;
    if (tf) {
      const double r = o.pairing_radius_m > 0 ? o.pairing_radius_m : std::max(2 * pk.width_m, 3 * cell);
      const Index ri = Index(std::ceil(r / s.dx)) + 1, rj = Index(std::ceil(r / s.dy)) + 1;
      const Index ic = Index(std::lround((pk.x - s.x0) / s.dx)), jc = Index(std::lround((pk.y - s.y0) / s.dy));
      for (Index jj = std::max<Index>(0, jc - rj); jj <= std::min(ny - 1, jc + rj); ++jj)
        for (Index ii = std::max<Index>(0, ic - ri); ii <= std::min(nx - 1, ic + ri); ++ii) {
          const double t = tf->values(jj, ii);
          if (!std::isfinite(t) || std::hypot(s.x(ii) - pk.x, s.y(jj) - pk.y) > r) continue;
          if (!(t <= pk.positive_nt)) pk.positive_nt = t, pk.positive_x = s.x(ii), pk.positive_y = s.y(jj);
          if (t < tf_median && !(t >= pk.negative_nt))
            pk.negative_nt = t, pk.negative_x = s.x(ii), pk.negative_y = s.y(jj);
        }
    }
    picks.push_back(pk);
  }
  return picks;
}

bool same_spec(const GridSpec& a, const GridSpec& b) {
  return a.nx == b.nx && a.ny == b.ny && a.x0 == b.x0 && a.y0 == b.y0 && a.dx == b.dx && a.dy == b.dy;
}

void check_values(const Grid& g, const char* name) {
  g.spec.validate();
  require(g.values.rows() == g.spec.ny && g.values.cols() == g.spec.nx, name, " values are ", g.values.rows(), " x ",
          g.values.cols(), "; the spec says ny x nx = ", g.spec.ny, " x ", g.spec.nx);
  for (Index q = 0; q < g.values.size(); ++q)
    require(!std::isinf(g.values.data()[q]), name, " value at row ", q / g.spec.nx, ", column ", q % g.spec.nx, " = ",
            g.values.data()[q], " is not finite (NaN marks a cell without data; Inf is not allowed)");
}

}  // namespace

// ---- Filter ----

Filter Filter::derivative_easting() { return Filter(Term{Term::Kind::dx, {}}); }
Filter Filter::derivative_northing() { return Filter(Term{Term::Kind::dy, {}}); }

Filter Filter::derivative_upward(int order) {
  require(order >= 1 && order <= 10, "derivative order = ", order, " must be in [1, 10]");
  Term t{Term::Kind::dz, {}};
  t.p[0] = order;
  return Filter(t);
}

Filter Filter::upward_continuation(double height_m) {
  require(std::isfinite(height_m) && height_m > 0 && height_m <= 1e6, "upward continuation height_m = ", height_m,
          " must be in (0, 1e6], m");
  Term t{Term::Kind::upward, {}};
  t.p[0] = height_m;
  return Filter(t);
}

Filter Filter::reduction_to_pole(double inc, double dec, double minc, double mdec, double stab) {
  const double v[4] = {inc, dec, minc, mdec};
  const char* names[4] = {"inclination_deg", "declination_deg", "mag_inclination_deg", "mag_declination_deg"};
  for (int q = 0; q < 4; ++q) {
    require(std::isfinite(v[q]), "reduction to the pole: ", names[q], " = ", v[q], " is not finite");
    if (q % 2 == 0)
      require(std::abs(v[q]) <= 90, "reduction to the pole: ", names[q], " = ", v[q], " must be in [-90, 90]");
  }
  require(std::isfinite(stab) && stab >= 0 && stab < 90, "reduction to the pole: stabilisation_deg = ", stab,
          " must be in [0, 90)");
  Filter f;
  for (int u = 0; u < 2; ++u) {
    const double I = v[2 * u] * kDeg, D = v[2 * u + 1] * kDeg;
    const double Ip = std::abs(v[2 * u]) >= stab ? I : std::copysign(stab * kDeg, I);
    Term t{Term::Kind::rtp, {}};
    const double ci = std::cos(I);
    t.p[0] = std::sin(I), t.p[1] = std::sin(Ip);
    t.p[2] = ci > 1e-12 ? std::cos(Ip) / ci : 1.0;
    t.p[3] = ci * std::sin(D), t.p[4] = ci * std::cos(D);
    f.terms_.push_back(t);
  }
  return f;
}

Filter Filter::gaussian_lowpass(double w) {
  check_wavelength(w, "gaussian_lowpass");
  Term t{Term::Kind::gauss_lo, {}};
  t.p[0] = 2 * kPi / w;
  return Filter(t);
}

Filter Filter::gaussian_highpass(double w) {
  check_wavelength(w, "gaussian_highpass");
  Term t{Term::Kind::gauss_hi, {}};
  t.p[0] = 2 * kPi / w;
  return Filter(t);
}

Filter Filter::butterworth_lowpass(double w, int order) {
  check_wavelength(w, "butterworth_lowpass");
  require(order >= 1 && order <= 32, "butterworth_lowpass: order = ", order, " must be in [1, 32]");
  Term t{Term::Kind::butter_lo, {}};
  t.p[0] = 2 * kPi / w, t.p[1] = order;
  return Filter(t);
}

Filter Filter::butterworth_highpass(double w, int order) {
  check_wavelength(w, "butterworth_highpass");
  require(order >= 1 && order <= 32, "butterworth_highpass: order = ", order, " must be in [1, 32]");
  Term t{Term::Kind::butter_hi, {}};
  t.p[0] = 2 * kPi / w, t.p[1] = order;
  return Filter(t);
}

Filter Filter::operator*(const Filter& o) const {
  Filter r = *this;
  r.terms_.insert(r.terms_.end(), o.terms_.begin(), o.terms_.end());
  return r;
}

std::complex<double> Filter::response(double kx, double ky) const noexcept {
  const Arr Ky = Arr::Constant(1, ky);
  ColumnScratch w(1);
  column_response(terms_, kx, Ky, 1.0, w);
  return {w.re[0], w.im[0]};
}

// ---- grid transforms ----

Grid apply_filter(const Grid& grid, const Filter& filter, const TransformOptions& options) {
  const Filter* f[1] = {&filter};
  return std::move(run(grid, f, options, 1, [](const double* c, double* r) { r[0] = c[0]; })[0]);
}

Grid derivative_easting(const Grid& g, const TransformOptions& o) {
  return apply_filter(g, Filter::derivative_easting(), o);
}
Grid derivative_northing(const Grid& g, const TransformOptions& o) {
  return apply_filter(g, Filter::derivative_northing(), o);
}
Grid derivative_upward(const Grid& g, int order, const TransformOptions& o) {
  return apply_filter(g, Filter::derivative_upward(order), o);
}
Grid upward_continuation(const Grid& g, double h, const TransformOptions& o) {
  return apply_filter(g, Filter::upward_continuation(h), o);
}
Grid reduction_to_pole(const Grid& g, double inc, double dec, double minc, double mdec, double stab,
                       const TransformOptions& o) {
  return apply_filter(g, Filter::reduction_to_pole(inc, dec, minc, mdec, stab), o);
}

namespace {
/// The three gradient components of `pre` applied to g (one forward FFT), combined per cell.
template <class Combine>
std::vector<Grid> gradient(const Grid& g, const Filter& pre, const TransformOptions& o, std::size_t nout,
                           Combine&& combine) {
  const Filter fx = Filter::derivative_easting() * pre, fy = Filter::derivative_northing() * pre,
               fz = Filter::derivative_upward() * pre;
  const Filter* f[3] = {&fx, &fy, &fz};
  return run(g, f, o, nout, std::forward<Combine>(combine));
}
}  // namespace

Grid total_gradient_amplitude(const Grid& g, const TransformOptions& o) {
  return std::move(gradient(g, Filter(), o, 1, [](const double* c, double* r) {
    r[0] = std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
  })[0]);
}

Grid tilt(const Grid& g, const TransformOptions& o) {
  return std::move(gradient(g, Filter(), o, 1, [](const double* c, double* r) {
    r[0] = std::atan2(-c[2], std::hypot(c[0], c[1]));
  })[0]);
}

// ---- picking ----

std::vector<Pick> pick_peaks(const Grid& grid, const PickOptions& o, const Grid* total_field) {
  check_values(grid, "grid");
  validate(o);
  if (total_field) {
    check_values(*total_field, "total_field");
    require(same_spec(grid.spec, total_field->spec), "total_field must lie on the picked grid's cells (same x0, y0, dx, dy, nx, ny)");
  }
  const auto [med, mad] = median_mad(grid.values);
  require(std::isfinite(med), "the grid has no finite value");
  return pick_impl(grid, med + o.k * 1.4826 * mad, med, o.k * 1.4826 * mad, o, total_field);
}

std::vector<Pick> pick_targets(const Grid& total_field, const PickOptions& o, const TransformOptions& t) {
  check_values(total_field, "total_field");
  validate(o);
  // the gradient components, of the pole-reduced field if the field direction is given
  Filter rtp;
  if (std::isfinite(o.inclination_deg)) rtp = Filter::reduction_to_pole(o.inclination_deg, o.declination_deg);
  // continued upward a little: the ripples gridding leaves between survey tracks on a strong
  // anomaly (short wavelengths) fade, the anomaly itself barely widens
  const double up = std::isnan(o.upward_m) ? 1.5 * std::max(total_field.spec.dx, total_field.spec.dy) : o.upward_m;
  if (up > 0) rtp = rtp * Filter::upward_continuation(up);
  const auto comp =
      gradient(total_field, rtp, t, 3, [](const double* c, double* r) { r[0] = c[0], r[1] = c[1], r[2] = c[2]; });
  double var = 0;
  for (auto& g : comp) {
    const double s = 1.4826 * median_mad(g.values).second;
    var += s * s;
  }
  Grid asa{total_field.spec, (comp[0].values.array().square() + comp[1].values.array().square() +
                              comp[2].values.array().square()).sqrt().matrix()};
  const double floor = o.k * std::sqrt(var);
  return pick_impl(asa, floor, median_mad(asa.values).first, floor, o, &total_field);
}

}  // namespace sapper::mag
