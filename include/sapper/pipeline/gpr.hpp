// sapper::pipeline GPR detection chain: a lane's B-scans (one per channel) to classified, merged
// alarms, with the shipped model or any sapper model over its features. The stages are the other
// modules' (gpr band-pass and background, clutter ground bounce, detect prescreener, features and
// context, classify); this is the glue that sapper.pipeline.gpr_alarms calls, so a detector that
// links sapper runs the shipped chain without Python. Stages, defaults and cost: docs/detect.md.
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sapper/classify/model.hpp"
#include "sapper/core/types.hpp"
#include "sapper/detect/features.hpp"
#include "sapper/detect/prescreen.hpp"

namespace sapper::pipeline {

/// Class labels, the column order of every probability here (sapper.pipeline.CLASSES).
inline constexpr std::array<const char*, 4> gpr_classes{"ap_mine", "at_mine", "uxo", "clutter"};
inline constexpr Index clutter_class = 3;

/// The shipped prescreener (sapper.pipeline.GPR_PRESCREEN): depth-gated energy 0.6-8 ns after time
/// zero averaged over 3 traces, cell-averaging CFAR trained over +-1 channel, alarm where the
/// score >= 1.5 and is its channel's maximum within GprChainOptions::separation_m.
detect::PrescreenOptions gpr_prescreen_defaults();
/// The shipped model's window features (sapper.pipeline.GPR_FEATURES): 64 x 32 window, EHD,
/// hyperbola (ground sign -1, the antenna geometry given), energy, spectral; no HOG.
detect::FeatureOptions gpr_feature_defaults(double antenna_height_m = 0, double offset_m = 0);

struct GprChainOptions {
  /// The working grid, which the features' windows (in samples and traces) and the shipped model
  /// assume: a lane recorded at another sample interval is first resampled in time to
  /// round(n_samples dt / grid_dt_ns) samples over the same window (gpr::resample_samples; not when that
  /// is n_samples), one at another or uneven trace spacing along track to grid_spacing_m from its first
  /// trace (gpr::resample_traces: stacked or interpolated; not when every trace lies within 5 % of
  /// a spacing of that grid). 0: the lane's own.
  double grid_dt_ns = 12.0 / 512, grid_spacing_m = 0.02;
  double background_m = 1.0;   ///< moving-mean background along track, m: round(background_m / spacing) | 1
                               ///< traces (>= 3, capped at the lane's odd length)
  /// Centre frequency of the antenna, MHz: the band-pass runs from a third of it to 7/3 of it
  /// (where a Ricker wavelet's amplitude spectrum is 27 % and 6 % of its peak; 500-3500 MHz at
  /// 1.5 GHz) unless band_low_mhz / band_high_mhz are given, and every alarm carries it as the
  /// feature acq_antenna_mhz (and antenna_height_m as acq_antenna_height_m): the shipped model
  /// learned lanes of 0.8-2.6 GHz antennas and needs to know which it is looking at.
  double antenna_mhz = 1500;
  bool bandpass = true;        ///< zero-phase band-pass band_mhz(), taper a quarter of the band
  double band_low_mhz = std::numeric_limits<double>::quiet_NaN();   ///< NaN: antenna_mhz / 3
  double band_high_mhz = std::numeric_limits<double>::quiet_NaN();  ///< NaN: 7 antenna_mhz / 3
  std::array<double, 2> band_mhz() const {
    return {std::isnan(band_low_mhz) ? antenna_mhz / 3 : band_low_mhz,
            std::isnan(band_high_mhz) ? 7 * antenna_mhz / 3 : band_high_mhz};
  }
  bool ground = true;          ///< track the ground bounce in search_*_ns (after sample 0) and remove it
  double search_start_ns = 0.8, search_end_ns = 6.0;
  detect::PrescreenOptions prescreen = gpr_prescreen_defaults();  ///< train_channels capped at n_channels - 1
  /// Start times of deeper gates, ns after time zero, each > prescreen.gate_start_ns: the
  /// prescreener runs again on [start, prescreen.gate_end_ns] for each, so that an echo under a
  /// stronger shallower one (a mine under the rough ground's bounce residue, a mortar under a
  /// root) gets an alarm of its own, with features at its own depth. Empty: one gate.
  std::vector<double> deeper_gates_ns = {0.9, 1.5};
  /// Suppression along track, m: ceil(separation_m / median |dx| - 1e-9) traces; NaN: prescreen.cfar.separation.
  double separation_m = 0.2;
  double antenna_height_m = 0, offset_m = 0;  ///< of the hyperbola fit, m
  bool merge = true;           ///< merge_alarms on the confidence, radius by the most probable threat class:
  double merge_ap_m = 0.25, merge_large_m = 0.5;  ///< ap_mine (and no threat), at_mine / uxo
  int threads = 0;             ///< workers of every stage (0 = all cores; the numbers do not depend on it)
};

/// The background window of the preprocessing, traces: round(background_m / median dx) | 1 (half to
/// even), capped at the lane's odd length. Throws ValueError when under 3 traces or x_m not increasing.
Index background_traces(double background_m, std::span<const double> x_m);

/// The chain's preprocessing (sapper.pipeline.preprocess_gpr), per channel: band-pass, ground bounce
/// tracked and removed, moving-mean background over background_traces(opt.background_m, x_m).
/// in, out: one n_samples x x_m.size() B-scan per channel (out[c] may alias in[c]). Reads the
/// preprocessing fields and threads of opt. Throws ValueError on bad options, a shape mismatch or
/// NaN/Inf input (naming channel, sample and trace).
template <class T>
void preprocess_gpr(std::span<const ConstView<T>> in, std::span<const View<T>> out, double dt_ns,
                    std::span<const double> x_m, const GprChainOptions& opt = {});

/// Where the lane's samples are: every channel is an n_samples x x_m.size() B-scan.
struct LaneGeometry {
  Index n_samples = 0;
  double dt_ns = 0, time_zero_ns = 0;  ///< sample i is at i dt_ns - time_zero_ns after time zero
  std::vector<double> x_m;             ///< along-track position of each trace, strictly increasing, m
  std::vector<double> y_m;             ///< across-track position of each channel, m
};

/// The stages before the classifier.
struct GprCandidates {
  detect::Prescreen prescreen;   ///< alarms (x_m, y_m set; by gate, then trace, then channel) and the
                                 ///< first gate's per-trace rows
  classify::RowMatrix features;  ///< one row per alarm, GprChain::feature_names(); non-finite entries 0
  std::vector<char> ok;          ///< false where the feature window did not fit (its window columns are 0)
  std::vector<Index> gate;       ///< gate of each alarm: 0 = prescreen's, k = deeper_gates_ns[k - 1]
};

/// One classified alarm.
struct GprDetection {
  Index candidate = 0;      ///< its row in GprCandidates
  double x_m = 0, y_m = 0;  ///< position, m
  double depth_m = 0;       ///< the hyperbola fit's depth below the surface, m (NaN where the fit failed)
  double time_ns = 0;       ///< two-way time of the prescreener's peak after time zero, ns
  double score = 0;         ///< CFAR score
  std::array<double, 4> proba{};  ///< in gpr_classes order
  double confidence = 0;    ///< 1 - P(clutter)
  Index label = 0;          ///< clutter where P(clutter) >= 0.5, else the most probable threat (first of ties)
  const char* label_name() const { return gpr_classes[std::size_t(label)]; }
};

struct GprResult {
  GprCandidates candidates;
  classify::RowMatrix proba;          ///< every candidate's class probabilities, n x 4 in gpr_classes order
  std::vector<GprDetection> alarms;   ///< kept by the merge (all without it), in candidate order
};

/// The GPR chain of one lane geometry: preprocess (band-pass, ground bounce, background) ->
/// prescreen -> features (window, prescreener's view ps_*, context) -> classifier -> labels,
/// depth and merge. Equals sapper.pipeline's stages (preprocess_gpr, prescreen_gpr, gpr_features,
/// classify_rows, gpr_alarms). Immutable after construction: const methods are thread-safe and
/// allocate their working memory per call. Inputs: one n_samples x n_traces B-scan per channel.
template <class T>
class GprChain {
 public:
  /// Validates the geometry and options, and that the model's classes are gpr_classes (or a subset:
  /// a class it lacks gets probability 0) and that the chain computes every feature it reads.
  /// Throws ValueError naming the first bad value. A null model: every stage but the classifier.
  GprChain(std::shared_ptr<const classify::Model> model, LaneGeometry lane, const GprChainOptions& opt = {});
  /// The model read from a sapper-model file (classify::load_model; FormatError if malformed).
  GprChain(const std::string& model_path, LaneGeometry lane, const GprChainOptions& opt = {});

  /// Resampling to grid(), band-pass, ground-bounce removal and moving-mean background of each
  /// channel: in on lane(), out on grid() (out[c] may alias in[c] when they are the same). Throws
  /// ValueError on a shape mismatch or NaN/Inf input. Every method below works on grid().
  void preprocess(std::span<const ConstView<T>> in, std::span<const View<T>> out) const;
  /// The prescreener of one gate (0 = prescreen's, k = deeper_gates_ns[k - 1]) on preprocessed
  /// channels, alarm positions set from the geometry.
  detect::Prescreen prescreen(std::span<const ConstView<T>> preprocessed, Index gate = 0) const;
  /// Feature rows of a prescreener's alarms (its score rows give the ps_*_traces / channels
  /// extents; the context features rank the alarm among this prescreener's). gate: all 0.
  GprCandidates features(std::span<const ConstView<T>> preprocessed, detect::Prescreen prescreen) const;
  /// preprocess -> prescreen -> features of raw channels, every gate, concatenated in gate order.
  GprCandidates candidates(std::span<const ConstView<T>> channels) const;
  /// The model's probabilities of the candidates in gpr_classes order (ValueError without a model).
  classify::RowMatrix classify(const GprCandidates& c) const;
  /// Labels, depth, confidence and the merge from probabilities (n x 4, gpr_classes order) of the
  /// candidates, from this chain's model or any other.
  std::vector<GprDetection> detections(const GprCandidates& c, classify::ConstRows proba) const;
  /// The whole chain on raw channels.
  GprResult alarms(std::span<const ConstView<T>> channels) const;

  const std::vector<std::string>& feature_names() const { return names_; }
  const LaneGeometry& lane() const { return lane_; }  ///< the input's
  /// The working grid (GprChainOptions::grid_dt_ns, grid_spacing_m): lane() where it is on it already.
  const LaneGeometry& grid() const { return grid_; }
  const GprChainOptions& options() const { return opt_; }
  const classify::Model* model() const { return model_.get(); }
  Index background_traces() const { return background_; }  ///< the background window, traces
  Index separation_traces() const { return gates_[0].cfar.separation; }
  Index n_gates() const { return Index(gates_.size()); }

 private:
  void check_channels(std::span<const ConstView<T>> ch, const char* what) const;
  std::shared_ptr<const classify::Model> model_;
  LaneGeometry lane_, grid_;
  GprChainOptions opt_;
  std::vector<detect::PrescreenOptions> gates_;  // the prescreener of each gate
  detect::FeatureOptions window_;
  std::vector<std::string> names_;
  Index background_ = 0, n_window_ = 0, hyp_ok_ = 0, hyp_depth_ = 0;
  std::vector<Index> model_columns_, model_classes_;  // feature column of each model input; class of each output
};

#define SAPPER_PIPELINE_GPR_EXTERN(T)                                                                  \
  extern template void preprocess_gpr<T>(std::span<const ConstView<T>>, std::span<const View<T>>, double, \
                                         std::span<const double>, const GprChainOptions&);                \
  extern template class GprChain<T>;
SAPPER_PIPELINE_GPR_EXTERN(float)
SAPPER_PIPELINE_GPR_EXTERN(double)
#undef SAPPER_PIPELINE_GPR_EXTERN

}  // namespace sapper::pipeline
