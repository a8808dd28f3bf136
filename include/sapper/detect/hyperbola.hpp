// sapper::detect hyperbola analysis: the diffraction hyperbola around a GPR alarm, picked trace by
// trace and fitted robustly, giving apex, velocity / permittivity, depth and polarity relative to
// the ground bounce. Formulas, defaults and cost: docs/detect_features.md. Times are two-way, ns
// after time zero (sample i is at i dt - time_zero_ns); positions m along track; velocities m/ns.
#pragma once

#include <limits>
#include <span>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/detect/alarm.hpp"

namespace sapper::detect {

/// Speed of light in vacuum, m/ns.
inline constexpr double c_m_ns = 0.2998;

/// Options of HyperbolaFitter. The travel-time model: transmitter and receiver at x -/+ offset/2,
/// `antenna_height_m` above a flat surface, a scatterer at (x0, depth d) in ground of velocity v
/// with a flat top of half-width rho (0: a point), each ray going to the top's nearest point; rays
/// refract at the surface (Fermat). Height 0 is a ground-coupled antenna:
/// t(x) = sqrt(t0^2 + 4 (x - x0)^2 / v^2) for a point when offset = 0.
struct HyperbolaOptions {
  Index half_width = 20;         ///< traces each side of the alarm that may be picked
  double trace_spacing_m = 0;    ///< used when no positions are given, m (> 0 then)
  double gate_ns = 0;            ///< search half-gate around each predicted time, ns (0: half the apex lobe)
  double min_amplitude = 0.1;    ///< an arm ends where a trace's correlation with the apex wavelet drops below this
  Index min_traces = 5;          ///< fewer picks: status too_few_traces
  double antenna_height_m = 0;   ///< h, m; NaN: from ground_time_ns, h = sqrt((c t_g / 2)^2 - offset^2 / 4)
  double offset_m = 0;           ///< transmitter-receiver separation along track, m
  double ground_time_ns = std::numeric_limits<double>::quiet_NaN();  ///< ground bounce time (NaN: unknown)
  int ground_sign = 0;           ///< sign of the ground reflection in the data (+1/-1); 0: read it at ground_time_ns
  double v_min = 0.02, v_max = c_m_ns;  ///< velocity bounds, m/ns; a fit at a bound has status velocity_out_of_range
  double huber_k = 1.345;        ///< Huber loss threshold, in robust scales (1.4826 MAD of the residuals)
  int max_iterations = 100;      ///< Levenberg-Marquardt iterations, weights updated each (IRLS: linear convergence)
  double max_radius_m = 0.1;     ///< the target's flat top (footprint half-width) is fitted in [0, this], m; 0: a point
};

enum class HyperbolaStatus {
  ok,
  invalid_input,          ///< alarm outside the B-scan, rows != n_samples, positions too few / not increasing
  non_finite,             ///< a NaN/Inf in the traces picked
  too_few_traces,         ///< fewer than min_traces picks
  no_curvature,           ///< the picks are not a downward-opening hyperbola (flat or inverted)
  velocity_out_of_range,  ///< the fitted velocity sits at v_min or v_max
  not_converged,          ///< no convergence within max_iterations
};

/// Name of a status ("ok", "invalid_input", ...).
const char* to_string(HyperbolaStatus s);

/// A fitted hyperbola. Numbers are NaN (counts 0) unless status is ok, except that the picks
/// (traces_used, apex_amplitude, polarity) are kept for no_curvature, velocity_out_of_range and
/// not_converged.
struct HyperbolaFit {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  HyperbolaStatus status = HyperbolaStatus::invalid_input;
  double x0_m = nan;            ///< apex position along track, m
  double x0_trace = nan;        ///< apex as a fractional trace index
  double t0_ns = nan;           ///< model two-way time at the apex, ns after time zero
  double velocity_m_ns = nan;   ///< ground velocity, m/ns
  double permittivity = nan;    ///< (c / v)^2
  double depth_m = nan;         ///< scatterer depth below the surface, m (= v (t0 - t_ground) / 2 at zero offset)
  double residual_ns = nan;     ///< rms of picked minus model times over the picks, ns
  double ground_time_ns = nan;  ///< ground bounce time used (NaN: unknown)
  double apex_amplitude = nan;  ///< signed amplitude of the pick nearest the alarm
  Index traces_used = 0;        ///< picks in the fit
  int polarity = 0;             ///< +1: apex wavelet of the ground reflection's sign (metal-like), -1 opposite, 0 unknown
  int iterations = 0;
  double radius_m = nan;        ///< fitted half-width of the target's flat top (footprint), m (0: a point)
};

/// The ground bounce read from a B-scan: the extreme of the mean of traces [first, last) within
/// [t_lo_ns, t_hi_ns], sub-sample by parabolic interpolation.
struct GroundBounce {
  double time_ns = std::numeric_limits<double>::quiet_NaN();
  double amplitude = 0;  ///< signed, of the mean trace
  int sign = 0;          ///< sign of amplitude (0: nothing in the gate)
};

/// Picks the ground bounce (see GroundBounce). Throws ValueError on an empty trace range, a gate
/// outside the record, or rows != f.n_samples. Allocates one trace.
template <class T>
GroundBounce pick_ground(ConstView<T> bscan, const TraceFormat& f, Index first, Index last, double t_lo_ns,
                         double t_hi_ns);

/// Fits the hyperbola around an alarm. Picks: on the alarm's trace the extreme of |x| within
/// +/- gate of the alarm's sample fixes the polarity s and the template (that trace's wavelet,
/// 3 gates each side); then both arms outward, alternately, each trace's pick is the peak of its
/// correlation with the template within +/- gate of the time predicted by the picks so far,
/// refined by a parabola; an arm stops at the window's edge or where the correlation (relative to
/// the template's energy) drops below min_amplitude. Absolute times from the lobe top of the
/// picked traces stacked along their lags. Fit: t^2 = A x^2 + B x + C by amplitude-weighted least
/// squares (and a scan of the flat-top half-width) for a start, then Levenberg-Marquardt over
/// (x0, d, v, rho) on the exact travel-time model, weighted by amplitude^2 with Huber IRLS.
/// Not thread-safe (one per thread); fit() allocates nothing and throws nothing.
template <class T>
class HyperbolaFitter {
 public:
  /// Throws ValueError on invalid options or format (named).
  HyperbolaFitter(const TraceFormat& f, const HyperbolaOptions& opt = {});
  /// position_m: one position per trace of bscan, increasing (empty: trace index x trace_spacing_m).
  HyperbolaFit fit(ConstView<T> bscan, std::span<const double> position_m, const GprAlarm& a);
  const HyperbolaOptions& options() const { return opt_; }
  const TraceFormat& format() const { return f_; }
  double antenna_height_m() const { return h_; }  ///< as resolved from the options

 private:
  TraceFormat f_;
  HyperbolaOptions opt_;
  double h_;
  std::vector<double> x_, t_, w_, r_, scratch_, amp_, tmpl_;
  std::vector<Index> jx_;
};

/// One-off fit (constructs a HyperbolaFitter).
template <class T>
HyperbolaFit fit_hyperbola(ConstView<T> bscan, const TraceFormat& f, std::span<const double> position_m,
                           const GprAlarm& a, const HyperbolaOptions& opt = {});

/// Two-way travel time of the model (see HyperbolaOptions) for an antenna midpoint at x, m -> ns.
double hyperbola_time(double x, double x0, double depth_m, double v, double height_m, double offset_m);

#define SAPPER_HYPERBOLA_EXTERN(T)                                                                              \
  extern template class HyperbolaFitter<T>;                                                                     \
  extern template GroundBounce pick_ground<T>(ConstView<T>, const TraceFormat&, Index, Index, double, double); \
  extern template HyperbolaFit fit_hyperbola<T>(ConstView<T>, const TraceFormat&, std::span<const double>,      \
                                                const GprAlarm&, const HyperbolaOptions&);
SAPPER_HYPERBOLA_EXTERN(float)
SAPPER_HYPERBOLA_EXTERN(double)
#undef SAPPER_HYPERBOLA_EXTERN

}  // namespace sapper::detect
