// sapper::clutter ground bounce: track the air-ground reflection trace by trace, flatten the
// B-scan to it, and remove it adaptively (a template scaled and shifted per trace by least
// squares). On rough ground the bounce wanders by fractions of a sample to several samples from
// trace to trace, so mean-trace subtraction leaves most of it behind; following it does not.
// Formulas: docs/clutter.md, "Ground bounce".
#pragma once

#include <limits>
#include <span>
#include <vector>

#include "sapper/core/types.hpp"

namespace sapper::clutter {

struct GroundTrackOptions {
  /// Times searched for the bounce, ns after sample 0 (end <= start: to the end of the trace).
  /// Start it after the antenna's direct coupling when that is stronger than the ground.
  double search_start_ns = 0, search_end_ns = 0;
  /// Outlier rejection: a pick farther than outlier_mads robust deviations (1.4826 MAD of the
  /// pick-minus-running-median) from the running median of outlier_window picks is replaced by
  /// that median (a shallow target or a dropout must not drag the surface). 0 turns it off.
  Index outlier_window = 15;
  double outlier_mads = 4;
  /// Picks are then smoothed by a centred running mean of this many traces (1: not smoothed; real
  /// roughness changes from trace to trace, so smoothing is off by default).
  Index smooth_traces = 1;
  /// Refinement: picks re-estimated by cross-correlating each trace with the median bounce
  /// (gate_ns either side of it) this many times.
  int refine_iterations = 2;
  double gate_ns = 0;  ///< 0: 1.5 periods of the dominant frequency of the median bounce
};

/// Ground-bounce time of every trace, ns after sample 0 (sub-sample): the peak of |x| in the
/// search window (3-point parabolic refinement), outliers replaced, then refined by
/// cross-correlation with the median flattened bounce. Throws ValueError for bad options or an
/// empty window; NaN samples propagate.
template <class T>
std::vector<double> track_ground(ConstView<T> in, const TraceFormat& f, const GroundTrackOptions& o = {},
                                 int threads = 0);

/// out = in shifted so that every trace's bounce lands on reference_ns (NaN: the median pick):
/// trace j moves by reference - ground_ns[j] (gpr::shift_traces, 16-tap Lanczos). Returns the
/// reference used. in == out is allowed.
template <class T>
double flatten(ConstView<T> in, View<T> out, const TraceFormat& f, std::span<const double> ground_ns,
               double reference_ns = std::numeric_limits<double>::quiet_NaN(), int threads = 0);

struct GroundRemovalOptions {
  double gate_before_ns = 0, gate_after_ns = 0;  ///< removed around the bounce; 0: 2.5 periods each side
  Index template_traces = 0;  ///< template = median of this many flattened traces (centred; 0: all)
  bool fit_shift = true;      ///< also fit a residual sub-sample shift per trace (else amplitude only)
  /// Also remove the antenna's coupling and ringing C, fixed in time while the bounce follows the
  /// ground: C = the leading `ringing_rank` singular components (eigen-image) of x - bounce model,
  /// alternated with the bounce fitted to x - C; the output is x - bounce - C.
  bool remove_ringing = true;
  /// Components of C (a scale drift along the lane is rank 1 per shape); 0 = automatic: the
  /// largest singular-value gap k = argmax_{1 <= k <= ringing_max_rank} s_k / s_{k+1} of x - bounce
  /// (RankSpec's gap rule), chosen anew at every estimate. On flat ground C is rank 1 and further
  /// components only take targets; on rough ground the bounce misfit adds components.
  Index ringing_rank = 0;
  int iterations = 4;           ///< bounce fits (the first on x itself); 1..20
  Index ringing_max_rank = 3;   ///< cap of the automatic ringing rank
};

/// Per trace: the fitted amplitude a and residual shift (ns) of the template, and the fraction of
/// the gate's energy removed; ground_ns: the picks used last (re-tracked by suppress_ground).
struct GroundFit {
  std::vector<double> amplitude, shift_ns, removed_fraction, ground_ns;
  double reference_ns = 0, gate_before_ns = 0, gate_after_ns = 0;
  Index ringing_rank = 0;  ///< components of the last C removed (0 without ringing removal)
};

/// Adaptive ground-bounce removal. Flattened to the picks, trace j is y_j(t); the template g(t) is
/// the median of the flattened traces (all, or template_traces centred on j) inside the gate
/// [r - before, r + after], tapered by a Tukey window w. Least squares over the gate gives
/// y_j ~ a g + b g' (g' = dg/dt: a shift of -b/a to first order); the model w (a g + b g') is
/// shifted back to the trace's own bounce and subtracted from the input, so the data are
/// interpolated only through the smooth model. With remove_ringing, alternated with the
/// coupling/ringing subspace (GroundRemovalOptions). in == out is allowed.
template <class T>
GroundFit remove_ground(ConstView<T> in, View<T> out, const TraceFormat& f, std::span<const double> ground_ns,
                        const GroundRemovalOptions& o = {}, int threads = 0);

/// The default ground pipeline: picks = track_ground(x), then remove_ground, with the picks
/// re-tracked on x - C (the coupling and ringing removed) before every bounce fit after the
/// first, so that a coupling stronger than the bounce and overlapping it no longer pulls them.
/// fit.ground_ns holds the final picks. in == out is allowed.
template <class T>
GroundFit suppress_ground(ConstView<T> in, View<T> out, const TraceFormat& f, const GroundTrackOptions& track = {},
                          const GroundRemovalOptions& o = {}, int threads = 0);

struct GroundStreamOptions {
  /// Bounce search, outlier test and cross-correlation refinement, as GroundTrackOptions; the
  /// outlier test compares each pick with the median of the previous outlier_window final picks.
  double search_start_ns = 0, search_end_ns = 0;
  Index outlier_window = 15;
  double outlier_mads = 4;
  int refine_iterations = 2;
  double gate_before_ns = 0, gate_after_ns = 0;  ///< 0: 2.5 periods of the first trace's bounce each side
  Index template_traces = 128;  ///< running template = per-sample median of this many previous traces
  bool fit_shift = true;
  bool remove_ringing = true;
  /// Components of C, fixed (default 3: the coupling/ringing and two bounce-misfit directions), or
  /// 0: the gap rule of GroundRemovalOptions, re-chosen at every re-estimation. Not the default:
  /// over a moving window on rough ground the gap flips between k = 1 and 3; a rank-1 U mixes the
  /// coupling with the bounce misfit, so a trace whose bounce departs from the window's (a ground
  /// excursion) gets the wrong ringing coefficient and comes out with a full-depth stripe, and
  /// each flip is a step along the track. docs/clutter.md, "Streaming ground suppression".
  Index ringing_rank = 3, ringing_max_rank = 3;
  /// Traces of x - bounce the ringing subspace is estimated from (its Gram matrix: 8 window^2 bytes).
  Index ringing_window = 256;
  /// Traces between its re-estimations. Default every trace: a subspace 16 traces old misses the
  /// misfit directions of the latest ground excursions, which then leak into the ringing
  /// coefficient as full-depth stripes. The estimate is warm-started subspace iteration on the
  /// window's trace-space Gram matrix (updated by one row per trace): per estimate
  /// O(ringing_window^2 (l + 1) (power_iters + 1) + n ringing_window k), plus n ringing_window per trace.
  Index ringing_update = 1;
  int power_iters = 0;         ///< extra block power steps per re-estimation (0..20; one is always done)
  int iterations = 2;          ///< per-trace alternations pick -> bounce fit -> ringing; 1..20
};

/// Streaming (causal) suppress_ground, latency 0 traces: trace j is cleaned from itself and the
/// traces before it. Running ground template = per-sample median of the last template_traces
/// flattened gates; ringing C = U U^T (x_j - B_j), U the leading left singular vectors of the last
/// ringing_window traces of x - B (tracked: Rayleigh-Ritz on the previous basis plus the newest
/// trace, then a power step), re-estimated before trace j when j % ringing_update == 0; during
/// the warm-up (j < ringing_update) from traces [0, j], trace j included, at every alternation (so
/// the first traces come out near zero: trace 0 spans its own subspace). Bit-identical for any split of
/// the traces into blocks. The constructor allocates everything; process() allocates nothing.
/// Not thread-safe (one per stream). Formulas: docs/clutter.md, "Streaming ground suppression".
template <class T>
class GroundSuppressStream {
 public:
  GroundSuppressStream(const TraceFormat& f, const GroundStreamOptions& o = {});
  /// in, out: n_samples x any number of traces (in == out allowed); ground_ns: empty, or one slot
  /// per trace for the final pick (ns after sample 0). Throws ValueError for a wrong shape or
  /// non-finite input, before any state changes.
  void process(ConstView<T> in, View<T> out, std::span<double> ground_ns = {});
  void reset();
  Index n_samples() const { return n_; }
  Index ringing_rank() const { return k_; }     ///< components of C at present
  Index traces_seen() const { return seen_; }
  double reference_ns() const { return ref_ns_; }  ///< flattening reference (the first trace's pick; NaN before)
  double gate_before_ns() const { return before_ns_; }
  double gate_after_ns() const { return after_ns_; }

 private:
  void trace(const T* x, T* y, double* pick);
  void init_geometry();
  double peak_pick(const double* z) const;
  double refine(const double* z, double p);
  double outlier(double p);
  void fit(const double* z, double p);
  void template_derivative(const double* g);
  void project(const Eigen::VectorXd& r, Eigen::VectorXd& c) const;
  void store(Index slot, Index n_cols, const Eigen::VectorXd& r);
  void estimate(Index n_cols, Index newest);

  TraceFormat f_;
  GroundStreamOptions o_;
  Index n_, s0_, s1_, l_;  // samples, search window [s0, s1), singular values computed
  // geometry, fixed by the first trace
  double ref_ns_, before_ns_, after_ns_;
  Index i0_ = 0, L_ = 0, lag_ = 1;
  std::vector<double> w_, g_, dg_, yb_, cc_;
  // running template: ring of the last template_traces flattened gates, and each row sorted
  Eigen::MatrixXd tring_, tsort_;
  Index tcount_ = 0;
  // picks ring for the outlier test
  std::vector<double> pring_, dring_, scratch_;
  Index pcount_ = 0;
  double dev_ = 0;  // deviation of the last pick from the previous picks' median
  // ringing subspace: history ring (n x window), its Gram matrix over ring slots, the tracked
  // trace-space basis (window x l), scratch (window x (l + 1)), U (n x l)
  Eigen::MatrixXd hist_, gram_, v_, bb_, zz_, u_;
  std::vector<double> s_;
  Index k_ = 0;
  // per-trace buffers
  Eigen::VectorXd x_, z_, b_, c_, r_;
  double prev_pick_ = 0;
  Index seen_ = 0;
};

#define SAPPER_CLUTTER_GROUND_EXTERN(T)                                                                         \
  extern template std::vector<double> track_ground<T>(ConstView<T>, const TraceFormat&, const GroundTrackOptions&, \
                                                      int);                                                      \
  extern template double flatten<T>(ConstView<T>, View<T>, const TraceFormat&, std::span<const double>, double, int); \
  extern template GroundFit remove_ground<T>(ConstView<T>, View<T>, const TraceFormat&, std::span<const double>,  \
                                             const GroundRemovalOptions&, int);                  \
  extern template GroundFit suppress_ground<T>(ConstView<T>, View<T>, const TraceFormat&, const GroundTrackOptions&, \
                                               const GroundRemovalOptions&, int); \
  extern template class GroundSuppressStream<T>;
SAPPER_CLUTTER_GROUND_EXTERN(float)
SAPPER_CLUTTER_GROUND_EXTERN(double)
#undef SAPPER_CLUTTER_GROUND_EXTERN

}  // namespace sapper::clutter
