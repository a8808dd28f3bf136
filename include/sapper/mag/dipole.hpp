// sapper::mag dipole forward model: the field of point magnetic dipoles and the total-field
// anomaly a scalar magnetometer records. Coordinates x east, y north, z up (m); moments A m^2;
// fields nT. Formulas: docs/sim_mag.md.
#pragma once

#include <array>
#include <span>

namespace sapper::mag {

/// mu0 / (4 pi), T m / A.
inline constexpr double kMu0Over4Pi = 1e-7;

/// The main (Earth's) field at the survey. Defaults: Karabakh.
struct EarthField {
  double total_nt = 49800;      ///< |F|, nT
  double inclination_deg = 58;  ///< I, below the horizontal (positive in the northern hemisphere)
  double declination_deg = 6;   ///< D, east of geographic north
};

/// A point dipole at (x, y, z), m, of moment (mx, my, mz), A m^2.
struct Dipole {
  double x = 0, y = 0, z = 0;
  double mx = 0, my = 0, mz = 0;
};

/// Evaluation points as a structure of arrays of equal length, m.
struct Points {
  std::span<const double> x, y, z;
};

/// Unit vector along F: (cos I sin D, cos I cos D, -sin I). Throws ValueError unless
/// 0 < total_nt and |I| <= 90 deg, all finite.
std::array<double, 3> field_direction(const EarthField& f);

/// B at every point, nT: the sum over dipoles of 1e-7 [3 (m.r^) r^ - m] / |r|^3 T, r = point - dipole.
/// Writes bx, by, bz (each of the points' length). Work is split over `threads` (0 = all cores).
/// Throws ValueError on mismatched lengths, a non-finite coordinate or moment (named), or a point
/// at a dipole (the field is singular there).
void dipole_field(std::span<const Dipole> dipoles, Points p, std::span<double> bx, std::span<double> by,
                  std::span<double> bz, int threads = 0);

/// Total-field anomaly, nT: dT = |F + B| - |F| with B the dipoles' field at each point (exact, not
/// the F^.B approximation), evaluated as (2 F.B + |B|^2) / (|F + B| + |F|) to keep precision.
/// Same validation as dipole_field, plus the field's (field_direction).
void total_field_anomaly(std::span<const Dipole> dipoles, Points p, const EarthField& field, std::span<double> anomaly,
                         int threads = 0);

/// Induced moment of a compact steel object, A m^2: m = k V |B0| / mu0 along F^, with B0 the
/// Earth's field (T) and k the apparent susceptibility. For a sphere of susceptibility chi,
/// k = 3 chi / (chi + 3): steel (chi ~ 100-1000) is demagnetisation-limited, k -> 3, so the
/// moment depends on the volume and the field, hardly on the steel. Elongated objects reach k > 3
/// along their axis. Throws ValueError unless volume_m3 >= 0 and k > 0, finite.
std::array<double, 3> induced_moment(double volume_m3, const EarthField& field, double apparent_susceptibility = 3.0);

}  // namespace sapper::mag
