// Alarm feature vectors (HOG, EHD, hyperbola, energy, spectral) and magnetometer target features:
// see include/sapper/detect/features.hpp.
#include "sapper/detect/features.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "sapper/core/parallel.hpp"

namespace sapper::detect {
namespace {

constexpr const char* kEdgeTypes[5] = {"vertical", "horizontal", "diag45", "diag135", "nondirectional"};
constexpr const char* kHypNames[9] = {"hyp_ok",      "hyp_dx_m",    "hyp_dt_ns",       "hyp_velocity_m_ns", "hyp_permittivity",
                                      "hyp_depth_m", "hyp_residual_ns", "hyp_traces", "hyp_polarity"};

void check_hog(const HogOptions& o) {
  require(o.cell_samples >= 1 && o.cell_traces >= 1, "HOG cell = ", o.cell_samples, " x ", o.cell_traces,
          " must be at least 1 x 1 pixels");
  require(o.bins >= 2, "HOG bins = ", o.bins, " must be >= 2");
  require(o.block >= 1, "HOG block = ", o.block, " must be >= 1 cell");
  require(std::isfinite(o.clip) && o.clip > 0, "HOG clip = ", o.clip, " must be > 0");
}

void check_ehd(const EhdOptions& o) {
  require(o.grid_samples >= 1 && o.grid_traces >= 1, "EHD grid = ", o.grid_samples, " x ", o.grid_traces,
          " must be at least 1 x 1");
  require(o.block >= 2 && o.block % 2 == 0, "EHD block = ", o.block, " must be an even number of pixels >= 2");
  require(std::isfinite(o.threshold) && o.threshold >= 0, "EHD threshold = ", o.threshold, " must be >= 0");
}

/// HOG with caller-owned cell histograms (ncr ncc bins).
template <class T>
void hog_into(ConstView<T> w, const HogOptions& o, std::vector<double>& cells, std::span<double> out) {
  const Index R = w.rows(), C = w.cols(), ncr = R / o.cell_samples, ncc = C / o.cell_traces, nb = o.bins;
  std::fill(cells.begin(), cells.end(), 0.0);
  for (Index j = 0; j < C; ++j) {
    const Index jl = std::max<Index>(j - 1, 0), jr = std::min(j + 1, C - 1);
    const Index cc = j / o.cell_traces;
    for (Index i = 0; i < R; ++i) {
      const double gx = double(w(i, jr)) - double(w(i, jl));
      const double gy = double(w(std::min(i + 1, R - 1), j)) - double(w(std::max<Index>(i - 1, 0), j));
      const double mag = std::hypot(gx, gy);
      if (mag == 0) continue;
      double th = std::atan2(gy, gx);
      if (th < 0) th += std::numbers::pi;
      if (th >= std::numbers::pi) th -= std::numbers::pi;
      const double pos = th * double(nb) / std::numbers::pi;
      const double fl = std::floor(pos), f = pos - fl;
      const Index k0 = Index(fl) % nb, k1 = (k0 + 1) % nb;
      double* h = cells.data() + ((i / o.cell_samples) * ncc + cc) * nb;
      h[k0] += (1 - f) * mag, h[k1] += f * mag;
    }
  }
  std::size_t at = 0;
  const std::size_t len = std::size_t(o.block * o.block * nb);
  for (Index br = 0; br + o.block <= ncr; ++br)
    for (Index bc = 0; bc + o.block <= ncc; ++bc) {
      double* v = out.data() + at;
      std::size_t k = 0;
      for (Index r = br; r < br + o.block; ++r)
        for (Index c = bc; c < bc + o.block; ++c)
          for (Index b = 0; b < nb; ++b) v[k++] = cells[std::size_t((r * ncc + c) * nb + b)];
      for (int pass = 0; pass < 2; ++pass) {  // L2-Hys
        double ss = 0;
        for (std::size_t q = 0; q < len; ++q) ss += v[q] * v[q];
        const double nrm = std::sqrt(ss);
        if (nrm > 0)
          for (std::size_t q = 0; q < len; ++q) v[q] = pass == 0 ? std::min(v[q] / nrm, o.clip) : v[q] / nrm;
      }
      at += len;
    }
}

template <class T>
void ehd_into(ConstView<T> w, const EhdOptions& o, std::span<double> out) {
  const Index R = w.rows(), C = w.cols(), SR = R / o.grid_samples, SC = C / o.grid_traces, b = o.block, hb = b / 2;
  const double thr = o.threshold * double(w.cwiseAbs().maxCoeff());
  const Index nbr = SR / b, nbc = SC / b;
  auto mean = [&](Index r, Index c) { return double(w.block(r, c, hb, hb).template cast<double>().sum()) / double(hb * hb); };
  for (Index gr = 0; gr < o.grid_samples; ++gr)
    for (Index gc = 0; gc < o.grid_traces; ++gc) {
      double* h = out.data() + (gr * o.grid_traces + gc) * 5;
      std::fill(h, h + 5, 0.0);
      for (Index br = 0; br < nbr; ++br)
        for (Index bc = 0; bc < nbc; ++bc) {
          const Index r = gr * SR + br * b, c = gc * SC + bc * b;
          const double a0 = mean(r, c), a1 = mean(r, c + hb), a2 = mean(r + hb, c), a3 = mean(r + hb, c + hb);
          const double s[5] = {std::abs(a0 - a1 + a2 - a3), std::abs(a0 + a1 - a2 - a3),
                               std::numbers::sqrt2 * std::abs(a0 - a3), std::numbers::sqrt2 * std::abs(a1 - a2),
                               2 * std::abs(a0 - a1 - a2 + a3)};
          const auto k = std::max_element(s, s + 5) - s;
          if (s[k] > thr) h[k] += 1;
        }
      for (int k = 0; k < 5; ++k) h[k] /= double(nbr * nbc);
    }
}

void check_window(const FeatureOptions& o) {
  require(o.window_samples >= 4 && o.window_traces >= 2, "window = ", o.window_samples, " x ", o.window_traces,
          " must be at least 4 samples x 2 traces");
  require(o.background_traces >= 0, "background_traces = ", o.background_traces, " must be >= 0");
  if (o.use_hog) hog_size(o.window_samples, o.window_traces, o.hog);
  if (o.use_ehd) ehd_size(o.window_samples, o.window_traces, o.ehd);
}

}  // namespace

Index hog_size(Index rows, Index cols, const HogOptions& o) {
  check_hog(o);
  require(rows % o.cell_samples == 0 && cols % o.cell_traces == 0, "a ", rows, " x ", cols,
          " window is not tiled by HOG cells of ", o.cell_samples, " x ", o.cell_traces);
  const Index ncr = rows / o.cell_samples, ncc = cols / o.cell_traces;
  require(ncr >= o.block && ncc >= o.block, "a ", rows, " x ", cols, " window has ", ncr, " x ", ncc,
          " HOG cells, fewer than a block of ", o.block, " x ", o.block);
  return (ncr - o.block + 1) * (ncc - o.block + 1) * o.block * o.block * o.bins;
}

Index ehd_size(Index rows, Index cols, const EhdOptions& o) {
  check_ehd(o);
  require(rows % (o.grid_samples * o.block) == 0 && cols % (o.grid_traces * o.block) == 0, "a ", rows, " x ", cols,
          " window is not tiled by ", o.grid_samples, " x ", o.grid_traces, " EHD sub-images of ", o.block, " x ",
          o.block, " blocks");
  return 5 * o.grid_samples * o.grid_traces;
}

template <class T>
void hog(ConstView<T> window, std::span<double> out, const HogOptions& o) {
  const Index n = hog_size(window.rows(), window.cols(), o);
  require(Index(out.size()) == n, "out has ", out.size(), " entries; the HOG has ", n);
  std::vector<double> cells(std::size_t((window.rows() / o.cell_samples) * (window.cols() / o.cell_traces) * o.bins));
  hog_into<T>(window, o, cells, out);
}

template <class T>
void ehd(ConstView<T> window, std::span<double> out, const EhdOptions& o) {
  const Index n = ehd_size(window.rows(), window.cols(), o);
  require(Index(out.size()) == n, "out has ", out.size(), " entries; the EHD has ", n);
  ehd_into<T>(window, o, out);
}

std::vector<std::string> gpr_feature_names(const FeatureOptions& o) {
  check_window(o);
  std::vector<std::string> names;
  if (o.use_hog) {
    const Index nbr = o.window_samples / o.hog.cell_samples - o.hog.block + 1;
    const Index nbc = o.window_traces / o.hog.cell_traces - o.hog.block + 1;
    for (Index br = 0; br < nbr; ++br)
      for (Index bc = 0; bc < nbc; ++bc)
        for (Index k = 0; k < o.hog.block * o.hog.block; ++k)
          for (Index b = 0; b < o.hog.bins; ++b) names.push_back(detail::concat("hog_b", br, "_", bc, "_c", k, "_o", b));
  }
  if (o.use_ehd)
    for (Index r = 0; r < o.ehd.grid_samples; ++r)
      for (Index c = 0; c < o.ehd.grid_traces; ++c)
        for (const char* t : kEdgeTypes) names.push_back(detail::concat("ehd_", r, "_", c, "_", t));
  if (o.use_hyperbola) names.insert(names.end(), std::begin(kHypNames), std::end(kHypNames));
  if (o.use_energy) names.insert(names.end(), {"energy", "peak", "energy_ratio_db"});
  if (o.use_spectral) names.insert(names.end(), {"spectral_centroid_mhz", "spectral_bandwidth_mhz"});
  return names;
}

template <class T>
FeatureExtractor<T>::FeatureExtractor(const TraceFormat& f, const FeatureOptions& opt)
    : f_(f), opt_(opt), names_(gpr_feature_names(opt)), fitter_(f, opt.hyperbola) {
  require(f.n_samples >= opt.window_samples, "format.n_samples = ", f.n_samples, " is shorter than window_samples = ",
          opt.window_samples);
  const Index R = opt.window_samples;
  if (opt.use_hog)
    cells_.resize(std::size_t((R / opt.hog.cell_samples) * (opt.window_traces / opt.hog.cell_traces) * opt.hog.bins));
  if (opt.use_spectral) {
    plan_ = fft::RealPlan<double>::get(R);
    fin_.resize(std::size_t(R)), fout_.resize(std::size_t(R / 2 + 1)), taper_.resize(std::size_t(R));
    for (Index i = 0; i < R; ++i) taper_[std::size_t(i)] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * double(i) / double(R - 1));
  }
}

template <class T>
bool FeatureExtractor<T>::compute(ConstView<T> x, std::span<const double> pos, const GprAlarm& a,
                                  std::span<double> out) {
  const Index n = x.rows(), m = x.cols(), R = opt_.window_samples, C = opt_.window_traces;
  fit_ = HyperbolaFit{};
  if (Index(out.size()) != size()) return false;
  std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
  if (n != f_.n_samples || n < R || m < C || a.trace < 0 || a.trace >= m || a.sample < 0 || a.sample >= n) return false;
  const Index r0 = std::clamp<Index>(a.sample - R / 2, 0, n - R), c0 = std::clamp<Index>(a.trace - C / 2, 0, m - C);
  const auto w = x.block(r0, c0, R, C);
  if (!w.allFinite()) return false;
  const ConstView<T> wv(w);
  std::size_t at = 0;
  if (opt_.use_hog) {
    const auto len = std::size_t(hog_size(R, C, opt_.hog));
    hog_into<T>(wv, opt_.hog, cells_, out.subspan(at, len));
    at += len;
  }
  if (opt_.use_ehd) {
    const auto len = std::size_t(5 * opt_.ehd.grid_samples * opt_.ehd.grid_traces);
    ehd_into<T>(wv, opt_.ehd, out.subspan(at, len));
    at += len;
  }
  if (opt_.use_hyperbola) {
    fit_ = fitter_.fit(x, pos, a);
    double* h = out.data() + at;
    std::fill(h, h + 9, 0.0);
    if (fit_.status == HyperbolaStatus::ok) {
      const double xa = pos.empty() ? double(a.trace) * opt_.hyperbola.trace_spacing_m : pos[std::size_t(a.trace)];
      const double ta = std::isfinite(a.time_ns) ? a.time_ns : double(a.sample) * f_.dt_ns - f_.time_zero_ns;
      h[0] = 1, h[1] = fit_.x0_m - xa, h[2] = fit_.t0_ns - ta, h[3] = fit_.velocity_m_ns, h[4] = fit_.permittivity;
      h[5] = fit_.depth_m, h[6] = fit_.residual_ns, h[7] = double(fit_.traces_used), h[8] = fit_.polarity;
    }
    at += 9;
  }
  if (opt_.use_energy) {
    const double e = w.template cast<double>().squaredNorm() / double(R * C);
    const Index bl = std::max<Index>(0, c0 - opt_.background_traces), br = std::min(m, c0 + C + opt_.background_traces);
    double eb = 0;
    Index nb = 0;
    for (Index j = bl; j < br; ++j) {
      if (j >= c0 && j < c0 + C) continue;
      eb += x.col(j).segment(r0, R).template cast<double>().squaredNorm(), ++nb;
    }
    eb = nb > 0 ? eb / double(R * nb) : 0;
    out[at] = e, out[at + 1] = double(w.cwiseAbs().maxCoeff());
    out[at + 2] = nb > 0 && std::isfinite(eb) ? 10 * std::log10(std::max(e, 1e-300) / std::max(eb, 1e-300)) : 0.0;
    at += 3;
  }
  if (opt_.use_spectral) {
    const Index nf = R / 2 + 1;
    double p0 = 0, p1 = 0, p2 = 0;  // moments are linear in P_k: accumulate trace by trace
    const double df_mhz = 1e3 / (double(R) * f_.dt_ns);
    for (Index j = 0; j < C; ++j) {
      for (Index i = 0; i < R; ++i) fin_[std::size_t(i)] = taper_[std::size_t(i)] * double(w(i, j));
      plan_->forward(fin_.data(), fout_.data());
      for (Index k = 0; k < nf; ++k) {
        const double pk = std::norm(fout_[std::size_t(k)]), fk = double(k) * df_mhz;
        p0 += pk, p1 += pk * fk, p2 += pk * fk * fk;
      }
    }
    const double fc = p0 > 0 ? p1 / p0 : 0.0;
    out[at] = fc, out[at + 1] = p0 > 0 ? std::sqrt(std::max(0.0, p2 / p0 - fc * fc)) : 0.0;
    at += 2;
  }
  return true;
}

template <class T>
Matrix<double> gpr_features(ConstView<T> bscan, const TraceFormat& f, std::span<const double> position_m,
                            std::span<const GprAlarm> alarms, const FeatureOptions& opt, std::vector<char>* ok,
                            int threads) {
  const FeatureExtractor<T> probe(f, opt);  // validates once, before any thread starts
  const Index k = Index(alarms.size()), p = probe.size();
  Matrix<double> rows_by_feature(p, k);  // column per alarm so each write is contiguous
  if (ok) ok->assign(std::size_t(k), 0);
  parallel_for(
      k, threads,
      [&](Index b, Index e) {
        FeatureExtractor<T> fx(f, opt);
        for (Index q = b; q < e; ++q) {
          const bool good = fx.compute(bscan, position_m, alarms[std::size_t(q)],
                                       std::span<double>(rows_by_feature.col(q).data(), std::size_t(p)));
          if (ok) (*ok)[std::size_t(q)] = char(good);
        }
      },
      4);
  return rows_by_feature.transpose();
}

const std::vector<std::string>& mag_feature_names() {
  static const std::vector<std::string> names = {
      "mag_depth_m",  "mag_moment_am2", "mag_log10_moment", "mag_inclination_deg", "mag_remanence_deg",
      "mag_amplitude_nt", "mag_width_m", "mag_rms_nt", "mag_scale_nt", "mag_coherence", "mag_relative_rms",
      "mag_converged"};
  return names;
}

void mag_features(const mag::DipoleFit& d, std::span<double> out) {
  require(out.size() == mag_feature_names().size(), "out has ", out.size(), " entries; the magnetometer features are ",
          mag_feature_names().size());
  const double v[] = {d.depth,
                      d.moment_am2,
                      std::log10(std::max(d.moment_am2, 1e-30)),
                      d.inclination_deg,
                      d.remanence_deg,
                      d.amplitude_nt,
                      d.width_m,
                      d.rms_nt,
                      d.scale_nt,
                      d.coherence,
                      d.amplitude_nt > 0 ? d.rms_nt / d.amplitude_nt : 0.0,
                      d.converged ? 1.0 : 0.0};
  std::copy(std::begin(v), std::end(v), out.begin());
}

#define SAPPER_FEATURES_INST(T)                                                                      \
  template void hog<T>(ConstView<T>, std::span<double>, const HogOptions&);                          \
  template void ehd<T>(ConstView<T>, std::span<double>, const EhdOptions&);                          \
  template class FeatureExtractor<T>;                                                                \
  template Matrix<double> gpr_features<T>(ConstView<T>, const TraceFormat&, std::span<const double>, \
                                          std::span<const GprAlarm>, const FeatureOptions&,          \
                                          std::vector<char>*, int);
SAPPER_FEATURES_INST(float)
SAPPER_FEATURES_INST(double)

}  // namespace sapper::detect
