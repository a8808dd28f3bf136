// sapper::detect features: the fixed-length vector a classifier reads for a GPR alarm (HOG and
// edge-histogram descriptors of the window around it, hyperbola parameters, energy and spectral
// features) and the magnetometer target's vector from a dipole fit. Every vector comes with its
// feature names. Formulas, defaults and cost: docs/detect_features.md.
#pragma once

#include <complex>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sapper/core/fft.hpp"
#include "sapper/core/types.hpp"
#include "sapper/detect/alarm.hpp"
#include "sapper/detect/hyperbola.hpp"
#include "sapper/mag/source.hpp"

namespace sapper::detect {

/// Histogram of oriented gradients of a window (rows = samples, columns = traces). Gradients by
/// central differences with edge replication, gx along traces, gy along samples; unsigned
/// orientation atan2(gy, gx) mod pi voted by magnitude into `bins` bins centred on k pi / bins
/// (linear between the two nearest); cells of cell_samples x cell_traces pixels; blocks of
/// block x block cells at a stride of one cell, each L2-normalised, clipped at `clip`, renormalised
/// (L2-Hys). A vertical edge (change along traces) votes into bin 0.
struct HogOptions {
  Index cell_samples = 8, cell_traces = 8;
  Index bins = 9;
  Index block = 2;
  double clip = 0.2;
};

/// MPEG-7 edge histogram: the window is split into grid_samples x grid_traces sub-images, each
/// into image-blocks of block x block pixels, each into 2 x 2 sub-blocks with means a0 a1 / a2 a3.
/// Edge strengths: vertical |a0 - a1 + a2 - a3|, horizontal |a0 + a1 - a2 - a3|, 45 degrees
/// sqrt2 |a0 - a3|, 135 degrees sqrt2 |a1 - a2|, non-directional 2 |a0 - a1 - a2 + a3|. A block
/// counts for its strongest type (first of ties) when that exceeds threshold x max |window|; each
/// sub-image's 5 counts are divided by its number of blocks.
struct EhdOptions {
  Index grid_samples = 4, grid_traces = 4;
  Index block = 4;  ///< pixels, even
  double threshold = 0.1;
};

/// Length of the HOG of a rows x cols window; throws ValueError unless the options are valid and
/// the cells tile the window with at least `block` cells each way.
Index hog_size(Index rows, Index cols, const HogOptions& o = {});
/// Length of the EHD (5 grid_samples grid_traces); throws ValueError unless the options are valid
/// and the sub-images tile a rows x cols window with whole blocks.
Index ehd_size(Index rows, Index cols, const EhdOptions& o = {});

/// HOG of a window into out (hog_size long). Throws ValueError on a size mismatch. Allocates the
/// cell histograms (FeatureExtractor does not).
template <class T>
void hog(ConstView<T> window, std::span<double> out, const HogOptions& o = {});
/// EHD of a window into out (ehd_size long). Throws ValueError on a size mismatch.
template <class T>
void ehd(ConstView<T> window, std::span<double> out, const EhdOptions& o = {});

/// What goes into the alarm's feature vector (in this order, each group optional).
struct FeatureOptions {
  Index window_samples = 64;  ///< window rows, centred on the alarm's sample (moved inside the record)
  Index window_traces = 32;   ///< window columns, centred on the alarm's trace (moved inside the record)
  bool use_hog = true;
  HogOptions hog;
  bool use_ehd = true;
  EhdOptions ehd;
  bool use_hyperbola = true;   ///< hyp_ok, hyp_dx_m, hyp_dt_ns, hyp_velocity_m_ns, hyp_permittivity, hyp_depth_m,
                               ///< hyp_residual_ns, hyp_traces, hyp_polarity (0 when the fit fails)
  HyperbolaOptions hyperbola;  ///< its trace_spacing_m is also the features' when no positions are given
  bool use_energy = true;      ///< energy (mean square), peak (max |x|), energy_ratio_db (window over background)
  Index background_traces = 32;  ///< each side of the window, same rows, for energy_ratio_db
  bool use_spectral = true;    ///< spectral_centroid_mhz, spectral_bandwidth_mhz of the Hann-tapered traces
};

/// Computes the feature vector of an alarm. Not thread-safe (one per thread); compute() allocates
/// nothing and throws nothing.
template <class T>
class FeatureExtractor {
 public:
  /// Throws ValueError on invalid options (named).
  FeatureExtractor(const TraceFormat& f, const FeatureOptions& opt = {});
  Index size() const { return Index(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }
  /// Writes size() features. Returns false (and fills NaN) when the B-scan is smaller than the
  /// window, its rows differ from the format's, out has the wrong size, the alarm lies outside,
  /// or the window holds a NaN/Inf.
  bool compute(ConstView<T> bscan, std::span<const double> position_m, const GprAlarm& a, std::span<double> out);
  /// The hyperbola fit of the last compute() (status invalid_input when not used).
  const HyperbolaFit& last_fit() const { return fit_; }

 private:
  TraceFormat f_;
  FeatureOptions opt_;
  std::vector<std::string> names_;
  HyperbolaFitter<T> fitter_;
  HyperbolaFit fit_;
  std::vector<double> cells_, taper_;
  std::shared_ptr<const fft::RealPlan<double>> plan_;
  fft::Buffer<double> fin_;
  fft::Buffer<std::complex<double>> fout_;
};

/// Features of many alarms: one row per alarm (n_alarms x size), threads workers (0 = all cores,
/// same numbers for any count); ok[k] = compute()'s result for alarm k. Throws ValueError on
/// invalid options.
template <class T>
Matrix<double> gpr_features(ConstView<T> bscan, const TraceFormat& f, std::span<const double> position_m,
                            std::span<const GprAlarm> alarms, const FeatureOptions& opt, std::vector<char>* ok = nullptr,
                            int threads = 0);

/// Names of the features of FeatureOptions (as FeatureExtractor::names()).
std::vector<std::string> gpr_feature_names(const FeatureOptions& opt = {});

/// Names of the magnetometer target features, in mag_features' order.
const std::vector<std::string>& mag_feature_names();
/// The magnetometer target's features from its dipole fit: depth_m, moment_am2, log10_moment,
/// inclination_deg, remanence_deg, amplitude_nt, width_m, rms_nt, scale_nt, coherence,
/// relative_rms (rms / amplitude), converged (0/1). Throws ValueError unless out has
/// mag_feature_names().size() entries.
void mag_features(const mag::DipoleFit& fit, std::span<double> out);

#define SAPPER_FEATURES_EXTERN(T)                                                                             \
  extern template void hog<T>(ConstView<T>, std::span<double>, const HogOptions&);                            \
  extern template void ehd<T>(ConstView<T>, std::span<double>, const EhdOptions&);                            \
  extern template class FeatureExtractor<T>;                                                                  \
  extern template Matrix<double> gpr_features<T>(ConstView<T>, const TraceFormat&, std::span<const double>,  \
                                                 std::span<const GprAlarm>, const FeatureOptions&,            \
                                                 std::vector<char>*, int);
SAPPER_FEATURES_EXTERN(float)
SAPPER_FEATURES_EXTERN(double)
#undef SAPPER_FEATURES_EXTERN

}  // namespace sapper::detect
