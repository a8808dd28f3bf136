// sapper::sim magnetometer surveys: a cart of total-field sensors walked along parallel lines over
// buried dipoles (mines, UXO, fragments), with the survey's nuisances (diurnal drift and its base
// station, heading error, position lag, noise, GPS jitter, magnetic soil, regional gradient) and
// ground truth. Deterministic from (scene, seed), for any thread count. Scene JSON schema and
// formulas: docs/sim_mag.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/mag/dipole.hpp"
#include "sapper/sim/truth.hpp"

namespace sapper::sim {

/// Object classes, in this order everywhere (scene keys, random counts).
inline constexpr std::array<std::string_view, 5> kMagClasses{"at_mine", "mortar", "shell", "ap_mine", "fragment"};
inline constexpr std::size_t kMagClassCount = kMagClasses.size();

/// Lines run from one edge of the rectangle to the other, alternately forward (+1: north or east)
/// and back (-1); line j is centred at (j + 1/2) line_spacing from the low edge.
struct MagSurveyGeometry {
  double x0 = 0, x1 = 20, y0 = 0, y1 = 20;  ///< surveyed rectangle, m (x east, y north)
  bool lines_along_x = false;               ///< JSON "line_direction": "north" (false) or "east"
  double line_spacing_m = 1.0;
  std::vector<double> sensor_offsets_m{-0.375, -0.125, 0.125, 0.375};  ///< to the right of travel, m
  double sensor_height_m = 0.3;                                        ///< above the ground (z = 0)
  double speed_m_s = 1.0;
  double sample_rate_hz = 10;
  double turn_time_s = 5;  ///< from the end of one line to the start of the next
};

/// How the objects of one class are drawn: |m| log-uniform in [moment_min, moment_max] (A m^2),
/// m = |m| ((1 - q) F^ + q u) with q = remanent_fraction and u a random unit vector; top depth
/// uniform in [depth_min, depth_max] (m, random objects only); the dipole sits thickness_m / 2
/// below the top; size_m is the largest dimension (truth only).
struct MagClass {
  double moment_min = 0, moment_max = 0, remanent_fraction = 0.3;
  double depth_min = 0, depth_max = 0, size_m = 0, thickness_m = 0;
};

/// Defaults of every class, in kMagClasses order.
std::array<MagClass, kMagClassCount> default_mag_classes();

/// An object placed by hand. Moment: a vector (A m^2) used as is, else a magnitude (0: drawn)
/// split into induced and remanent parts as for its class.
struct MagObject {
  std::string type;                ///< one of kMagClasses
  double x = 0, y = 0, depth = 0;  ///< depth of the top below the ground, m
  std::optional<std::array<double, 3>> moment;
  double moment_am2 = 0;
};

/// Objects scattered uniformly over the rectangle, at least min_spacing_m from every other object.
struct MagRandomObjects {
  std::array<Index, kMagClassCount> counts{};
  double min_spacing_m = 1.0;
};

/// Each nuisance is off when its amplitude is 0.
struct MagNuisances {
  double diurnal_nt = 20;                           ///< rms of the diurnal drift, nT
  double diurnal_time_scale_s = 1800;               ///< its correlation time, s
  double base_rate_hz = 1;                          ///< base-station sample rate
  double base_noise_nt = 0.02;                      ///< base-station white noise rms, nT
  std::vector<double> heading_nt{1.0};              ///< per sensor (or one for all): +h forward, -h back, nT
  double lag_s = 0.1;                               ///< recorded position = true position - lag_s * velocity
  double noise_nt = 0.2;                            ///< sensor white noise rms, nT
  double gps_jitter_m = 0.02;                       ///< rms of recorded-position jitter per epoch, each axis, m
  double soil_nt = 2;                               ///< rms of the soil's Gaussian random field, nT
  double soil_correlation_m = 0.5;                  ///< its Gaussian correlation length, m
  std::array<double, 2> gradient_nt_m{0.02, 0.01};  ///< regional gradient east, north, nT/m
};

struct MagScene {
  MagSurveyGeometry survey;
  mag::EarthField earth_field;
  std::array<MagClass, kMagClassCount> classes = default_mag_classes();
  std::vector<MagObject> objects;
  MagRandomObjects random;
  MagNuisances nuisances;

  /// Throws ValueError naming the first parameter out of its range (JSON path, value, range).
  void validate() const;
};

/// Parses the scene JSON (missing keys take their defaults; unknown keys are errors naming them).
MagScene mag_scene_from_json(std::string_view json);
/// Every parameter written out, so that the scene can be replayed.
std::string to_json(const MagScene& s);
/// The default demo scene: the defaults plus a few objects of every class scattered at random.
MagScene default_mag_scene();

/// A simulated survey, one entry per reading in time order (line, sample, sensor). Noise-free
/// components are kept separately: total_field_nt = F + anomaly + soil + gradient + diurnal +
/// heading + white noise.
struct MagSurvey {
  std::vector<double> time_s;
  std::vector<std::int32_t> line, direction, sensor;  ///< direction +1 forward, -1 back
  std::vector<double> x_m, y_m, z_m;                  ///< recorded position (lag, jitter), m
  std::vector<double> x_true_m, y_true_m;             ///< true sensor position, m
  std::vector<double> total_field_nt;
  std::vector<double> anomaly_nt, diurnal_nt, heading_nt, soil_nt, gradient_nt;
  std::vector<double> base_time_s, base_field_nt;  ///< base station: F + diurnal + its noise
  Truth truth;                                     ///< area = the surveyed rectangle
  std::string scene_json;                          ///< as applied: random objects and moments written out
  Index size() const { return Index(time_s.size()); }
};

/// Simulates a survey; the same (scene, seed) gives the same numbers for any `threads` (0 = all cores).
/// Replaying scene_json with the same seed gives the same survey.
MagSurvey simulate_mag(const MagScene& scene, std::uint64_t seed, int threads = 0);

/// Writes readings.csv (time_s,line,direction,sensor,x_m,y_m,z_m,total_field_nt), base_station.csv
/// (time_s,field_nt), truth.json and scene.json into `directory` (created if missing).
/// Throws Error on I/O failure.
void write_mag_survey(const std::string& directory, const MagSurvey& survey);

}  // namespace sapper::sim
