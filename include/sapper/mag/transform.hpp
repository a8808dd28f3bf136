// sapper::mag FFT grid transforms (derivatives, continuation, reduction to the pole, analytic signal, tilt, filters) and target picking.
// Every transform: NaN cells filled, grid padded to a fast FFT size, one forward 2-D FFT, a
// wavenumber-domain multiplication, inverse FFT(s), crop, NaN cells put back. Formulas, defaults
// and costs: docs/mag_transform.md. Free functions, thread-safe; they allocate their work buffers.
#pragma once

#include <complex>
#include <limits>
#include <vector>

#include "sapper/mag/grid.hpp"

namespace sapper::mag {

/// How the grid is extended before the FFT (the FFT treats the grid as periodic).
enum class Padding {
  none,    ///< no extension: the grid as is (its own size, periodic edges)
  mirror,  ///< symmetric reflection of the grid (edge cell repeated), like numpy.pad's "symmetric"
  taper,   ///< nearest edge value rolled off to the grid mean by a cosine over the pad (default)
};

struct TransformOptions {
  Padding padding = Padding::taper;
  /// Cells added on each side, as a fraction of the grid's size on that axis, before rounding the
  /// total up to a fast FFT size (2^a 3^b 5^c 7^d). 0.25: 1024 -> 1536. In [0, 4].
  double pad_fraction = 0.25;
  int threads = 0;  ///< 0 = all cores; results are identical for any value
};

/// A wavenumber-domain filter: a product of factors H(kx, ky), k = |(kx, ky)| in rad/m, applied
/// to the FFT of a grid (numpy.fft's sign convention). Immutable; compose with operator*.
class Filter {
 public:
  Filter() = default;  ///< the identity, H = 1
  /// d/dx (east): i kx.
  static Filter derivative_easting();
  /// d/dy (north): i ky.
  static Filter derivative_northing();
  /// n-th derivative upward, (d/dz)^n with z up: (-k)^n. A field of sources below decays upward,
  /// so the first upward derivative is negative over a positive anomaly. n in [1, 10].
  static Filter derivative_upward(int order = 1);
  /// Field on a plane h m higher: exp(-k h), h > 0 (and at most 1e6 m).
  static Filter upward_continuation(double height_m);
  /// Reduction to the pole of a total-field anomaly for the Earth field direction (I, D) and a
  /// magnetisation direction (Im, Dm), degrees: H = G_f G_m with, per direction u,
  /// G_u = conj(T_u) / (|T_u| |T'_u|), T_u = sin I_u + i cos I_u cos(D_u - theta) (theta the
  /// azimuth of k) and T'_u the same with the pseudo-inclination I' = sign(I) max(|I|, Ic) in
  /// its real part and cos I' in its imaginary part. For |I| >= Ic, G_u = 1/T_u (the exact RTP);
  /// below, the amplitude is bounded by 1/sin Ic and the phase stays exact (MacLeod et al.'s
  /// amplitude-correction inclination). Ic = stabilisation_deg in [0, 90), default 20.
  static Filter reduction_to_pole(double inclination_deg, double declination_deg, double mag_inclination_deg,
                                  double mag_declination_deg, double stabilisation_deg = 20);
  /// Induced magnetisation: along the field.
  static Filter reduction_to_pole(double inclination_deg, double declination_deg, double stabilisation_deg = 20) {
    return reduction_to_pole(inclination_deg, declination_deg, inclination_deg, declination_deg, stabilisation_deg);
  }
  /// exp(-k^2 / (2 kc^2)), kc = 2 pi / cutoff_wavelength_m.
  static Filter gaussian_lowpass(double cutoff_wavelength_m);
  /// 1 - exp(-k^2 / (2 kc^2)).
  static Filter gaussian_highpass(double cutoff_wavelength_m);
  /// 1 / sqrt(1 + (k / kc)^(2n)), order n in [1, 32].
  static Filter butterworth_lowpass(double cutoff_wavelength_m, int order = 4);
  /// 1 / sqrt(1 + (kc / k)^(2n)) (0 at k = 0).
  static Filter butterworth_highpass(double cutoff_wavelength_m, int order = 4);

  Filter operator*(const Filter& o) const;
  /// H(kx, ky), rad/m in.
  std::complex<double> response(double kx, double ky) const noexcept;

  /// One factor (exposed for the implementation; use the named constructors).
  struct Term {
    enum class Kind { dx, dy, dz, upward, rtp, gauss_lo, gauss_hi, butter_lo, butter_hi } kind;
    double p[8] = {};
  };
  const std::vector<Term>& terms() const { return terms_; }

 private:
  explicit Filter(Term t) : terms_{t} {}
  std::vector<Term> terms_;
};

/// The filtered grid (same spec; NaN where the input is NaN). Throws ValueError on an Inf cell,
/// a grid without a finite cell, an invalid spec or options.
Grid apply_filter(const Grid& grid, const Filter& filter, const TransformOptions& options = {});

/// Convenience wrappers around apply_filter.
Grid derivative_easting(const Grid& grid, const TransformOptions& options = {});
Grid derivative_northing(const Grid& grid, const TransformOptions& options = {});
Grid derivative_upward(const Grid& grid, int order = 1, const TransformOptions& options = {});
Grid upward_continuation(const Grid& grid, double height_m, const TransformOptions& options = {});
Grid reduction_to_pole(const Grid& grid, double inclination_deg, double declination_deg, double mag_inclination_deg,
                       double mag_declination_deg, double stabilisation_deg = 20, const TransformOptions& options = {});

/// Total gradient amplitude (the analytic signal's), sqrt(dx^2 + dy^2 + dz^2), nT/m: one forward
/// and three inverse FFTs.
Grid total_gradient_amplitude(const Grid& grid, const TransformOptions& options = {});
/// Tilt derivative atan(-dz / sqrt(dx^2 + dy^2)), radians in (-pi/2, pi/2), with dz the upward
/// derivative: -dz is the downward one (Miller & Singh's z-down dT/dz), so the tilt is positive over
/// a positive (pole-reduced) anomaly and zero near its edges.
Grid tilt(const Grid& grid, const TransformOptions& options = {});

/// Options of target picking.
struct PickOptions {
  /// Noise-floor multiplier. pick_peaks: floor = median + k 1.4826 MAD of the grid; pick_targets:
  /// floor = k sqrt(sx^2 + sy^2 + sz^2), s_c = 1.4826 MAD of each gradient component. > 0.
  double k = 5;
  /// Picks closer than this to a stronger pick are dropped, m; 0 = 3 cells (3 max(dx, dy)).
  double min_separation_m = 0;
  /// Radius around a pick searched for the total-field lobes, m; 0 = max(2 width, 3 cells).
  double pairing_radius_m = 0;
  /// A weaker peak is merged into a stronger pick (dropped) when it is below merge_factor times
  /// the stronger pick's dipole envelope A (h^2 / (h^2 + d^2))^2 at its distance d, h = width / 1.29
  /// the stronger source's depth below the sensor: one anomaly, one pick. 0 = off; >= 0.
  double merge_factor = 3;
  /// pick_targets only: if finite, the field is reduced to the pole (induced, this inclination and
  /// declination_deg, default stabilisation) before the analytic signal. For a 3-D dipole the
  /// total gradient peaks ~0.2 depth towards the magnetic equator of the source; at the pole it
  /// peaks over it.
  double inclination_deg = std::numeric_limits<double>::quiet_NaN();
  double declination_deg = 0;
  /// pick_targets only: the field is continued upward by this height, m, before the gradient: the
  /// ripples gridding leaves between survey tracks on a strong anomaly (each a pick otherwise) fade.
  /// NaN = 1.5 max(dx, dy); 0 = none.
  double upward_m = std::numeric_limits<double>::quiet_NaN();
};

/// One picked target. Lobes are NaN when there is no total-field grid or no such lobe (the
/// negative lobe must be below the total-field grid's median) within the pairing radius.
struct Pick {
  double x = 0, y = 0;    ///< sub-cell peak position (quadratic fit through 3 cells per axis), m
  double amplitude = 0;   ///< peak value of the picked grid (quadratic fit)
  double width_m = 0;     ///< full width at half height above the grid median, mean of x and y, m
  double positive_x = 0, positive_y = 0, positive_nt = 0;  ///< largest total field within the radius
  double negative_x = 0, negative_y = 0, negative_nt = 0;  ///< smallest total field within the radius
};

/// Local maxima of `grid` (8-neighbour, NaN cells ignored) above median + k 1.4826 MAD, strongest
/// first, thinned to min_separation, and dropped when the lowest grid value on the straight path to
/// a stronger pick within 2 (sum of widths) is less than k 1.4826 MAD below the peak (a noise bump
/// on its flank); lobes paired on `total_field` if given (its spec must equal the grid's). For
/// Gaussian noise the per-cell false-alarm rate at k = 5 is 2.9e-7.
std::vector<Pick> pick_peaks(const Grid& grid, const PickOptions& options = {}, const Grid* total_field = nullptr);

/// Peaks of the total gradient amplitude of a total-field grid, above k times the robust rms of
/// the gradient vector (a 5-sigma floor of the gradient noise; the flank margin is the same);
/// lobes paired on the total field.
std::vector<Pick> pick_targets(const Grid& total_field, const PickOptions& options = {},
                               const TransformOptions& transform = {});

}  // namespace sapper::mag
