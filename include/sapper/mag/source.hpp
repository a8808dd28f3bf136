// sapper::mag source characterisation: dipole fits to scattered total-field readings (single and
// greedy multi-dipole), the fit-window helper, and moving-window Euler deconvolution on a grid.
// Coordinates x east, y north, z up (m); depths positive down from `ground_z`; moments A m^2;
// fields nT. Every formula: docs/mag_source.md. All functions are stateless and thread-safe.
#pragma once

#include <array>
#include <limits>
#include <span>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/mag/dipole.hpp"
#include "sapper/mag/grid.hpp"

namespace sapper::mag {

/// Robust loss of the dipole fits, applied by iteratively reweighted least squares with the scale
/// s = 1.4826 MAD of the residuals: huber w = min(1, k s / |r|) (k = 1.345), cauchy
/// w = 1 / (1 + (r / (c s))^2) (c = 2.385), l2 w = 1.
enum class Loss { l2, huber, cauchy };

/// The linearised anomaly of one dipole, f = F^.B (nT), at each point, and its gradient with
/// respect to the dipole's position (nT/m), analytic. u = F^ (field_direction). The dipole fits
/// use this kernel; it is public so that its derivatives can be checked. Writes every span
/// (each of the points' length). Throws ValueError on mismatched lengths.
void dipole_kernel(const Dipole& d, Points p, const std::array<double, 3>& u, std::span<double> f,
                   std::span<double> df_dx0, std::span<double> df_dy0, std::span<double> df_dz0);

/// Options of fit_dipole / fit_dipoles.
struct DipoleFitOptions {
  EarthField field;               ///< the main field (direction used by the kernel, |F| by the exact correction)
  double ground_z = 0;            ///< z of the ground surface, m
  double min_depth = 0.02;        ///< the source's depth below ground_z is kept in [min_depth, max_depth], m
  double max_depth = 3.0;         ///< m
  Loss loss = Loss::huber;        ///< robust loss (IRLS)
  bool fit_base = true;           ///< solve a constant base level with the moment (else base = 0)
  bool exact = true;              ///< correct for |F+B|-|F| - F^.B (fixed-point passes, see docs)
  int max_iterations = 50;        ///< Levenberg-Marquardt iterations per solve
  int max_irls = 10;              ///< reweighting rounds (robust losses)
  double xtol = 1e-5;             ///< converged when the position step is below xtol, m
  std::vector<double> start_depths;  ///< start depths, m (empty: from the anomaly's half-width)
  std::array<double, 2> start_xy{std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN()};  ///< start (x, y), m (NaN: peak of |dT|)
};

/// One fitted dipole and its target features.
struct DipoleFit {
  double x = 0, y = 0, z = 0;                ///< position, m (z up)
  double depth = 0;                          ///< ground_z - z, m
  std::array<double, 3> moment{};            ///< (mx, my, mz), A m^2
  double moment_am2 = 0;                     ///< |m|, A m^2
  double inclination_deg = 0;                ///< of m, below the horizontal
  double declination_deg = 0;                ///< of m, east of north
  double remanence_deg = 0;                  ///< angle between m and F, deg (0: purely induced)
  double base_nt = 0;                        ///< fitted constant base level, nT
  double rms_nt = 0;                         ///< rms of data - model over the points used, nT
  double scale_nt = 0;                       ///< robust residual scale 1.4826 MAD, nT
  double coherence = 0;                      ///< Pearson correlation of data and model
  double amplitude_nt = 0;                   ///< max - min of the fitted anomaly at the readings, nT
  double width_m = 0;                        ///< equivalent diameter of the anomaly's half-maximum area, m
  int iterations = 0;                        ///< Levenberg-Marquardt iterations (all rounds)
  bool converged = false;                    ///< step below xtol (and weights settled) within the limits
  Index points_used = 0;                     ///< readings in the fit
};

/// Fits one point dipole to total-field readings dt (nT) at points p: Levenberg-Marquardt over the
/// position (variable projection: moment and base solved linearly at each position), analytic
/// Jacobian, depth bounded, robust loss, multi-start over depths. Throws ValueError on mismatched
/// or empty input (fewer than 8 readings), a non-finite value (named), invalid options, or a
/// reading below ground_z - min_depth.
DipoleFit fit_dipole(Points p, std::span<const double> dt, const DipoleFitOptions& opt = {});

/// Indices of the readings within `radius` (m, horizontal) of (cx, cy), in increasing order.
std::vector<Index> select_window(std::span<const double> x, std::span<const double> y, double cx, double cy,
                                 double radius);

/// Options of the greedy multi-dipole fit.
struct MultiDipoleOptions {
  DipoleFitOptions fit;
  int max_dipoles = 4;
  double min_peak_nt = 0;  ///< stop when the residual's peak |dT| is below this (0: 5 x the robust noise scale)
};

/// The dipoles, each with its features (rms, coherence and base are those of the joint fit), and
/// the residual data - model per reading.
struct MultiDipoleFit {
  std::vector<DipoleFit> dipoles;
  std::vector<double> residual_nt;
  double rms_nt = 0;
};

/// Greedy multi-dipole fit: fit the strongest anomaly, subtract, start the next at the residual's
/// peak, refit all positions jointly (all moments linear), until the residual peak is below
/// min_peak_nt or max_dipoles are fitted. Throws as fit_dipole.
MultiDipoleFit fit_dipoles(Points p, std::span<const double> dt, const MultiDipoleOptions& opt = {});

/// Options of euler_deconvolution.
struct EulerOptions {
  double structural_index = 3;         ///< N: 3 dipole, 2 line of dipoles / pipe, 1 thin dyke / contact edge
  Index window = 10;                   ///< window side, cells
  Index step = 1;                      ///< window stride, cells
  double height = 0;                   ///< z of the grid (the sensors), m
  double min_valid_fraction = 0.5;     ///< windows with fewer valid (finite) cells are skipped
  double max_depth_uncertainty = 0.1;  ///< accept when sigma_z / (height - z) is at most this
  double max_offset = 0.5;             ///< accept when the solution is within this many window widths of its centre
  int threads = 0;                     ///< 0 = all cores; results do not depend on it
};

/// One window's solution (NaN where the window was skipped or its system is singular).
struct EulerSolution {
  double x, y, z, base;                          ///< source position (m, z up) and background (nT)
  double sigma_x, sigma_y, sigma_z, sigma_base;  ///< one-sigma uncertainties from the residual
  double window_x, window_y;                     ///< centre of the window, m
  Index cells;                                   ///< valid cells used
  bool accepted;                                 ///< passes the acceptance filter
};

/// Moving-window Euler deconvolution: in every window of window x window cells (stride `step`),
/// least squares of (x - x0) Tx + (y - y0) Ty + (z - z0) Tz = N (B - T) over its valid cells for
/// (x0, y0, z0, B). t is the anomaly grid; dtdx, dtdy, dtdz its derivatives (nT/m, z up) on the
/// same cells. Returns one solution per window, windows in row-major order. Throws ValueError on a
/// shape mismatch, invalid spec or options.
std::vector<EulerSolution> euler_deconvolution(const Grid& t, GridRef dtdx, GridRef dtdy, GridRef dtdz,
                                               const EulerOptions& opt = {});

}  // namespace sapper::mag
