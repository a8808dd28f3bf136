// sapper::mag line preprocessing of survey readings (diurnal, despiking, lag, heading, sensor
// geometry, levelling, regional field). Every step is a free function that takes readings and
// returns corrected copies (the input is never modified) plus what it estimated. Formulas,
// defaults and costs: docs/mag_lines.md. Thread-safe: no shared state; allocates its outputs.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/io/mag_file.hpp"
#include "sapper/mag/dipole.hpp"
#include "sapper/sim/mag.hpp"

namespace sapper::mag {

/// A flat table: one entry per reading per sensor. time_s, x_m, y_m must be finite; value_nt may
/// be NaN (missing or flagged: skipped by every estimate, carried through every correction).
struct Readings {
  std::vector<double> time_s;
  std::vector<double> x_m, y_m;  ///< sensor position, m (x east, y north)
  std::vector<std::int32_t> line, sensor;
  std::vector<double> value_nt;  ///< total field, nT
  Index size() const { return Index(time_s.size()); }
  /// Throws ValueError naming the first column of another length, or a non-finite time/position.
  void validate() const;
};

/// A simulated survey's readings (recorded positions, total_field_nt).
Readings readings_from_survey(const sim::MagSurvey& survey);

/// Line data from a reader: rows with valid = 1, a finite line number (extra[line_column]), time
/// and position become one reading per sensor (sensor k = sensors_nt[k]); other rows are dropped.
/// Throws ValueError when there is no such extra column (naming the ones there are).
Readings readings_from_line_data(const io::MagLineData& data, const std::string& line_column = "line");

/// Readings grouped into tracks, each in time order: one per line, or one per (line, sensor).
/// Reading order[start[k] + i] is the i-th of track k; tracks sorted by (line[, sensor]).
struct Tracks {
  std::vector<Index> order, start;  ///< start has count() + 1 entries
  std::vector<std::int32_t> line, sensor;  ///< per track (sensor -1 when grouped by line)
  Index count() const { return Index(line.size()); }
};
Tracks make_tracks(const Readings& r, bool by_sensor);

/// Direction of travel of every line. The survey axis is the mean line direction (doubled-angle
/// mean of the start-to-end vectors), pointed so that its larger component (north or east) is
/// positive; a line is forward (+1) when its start-to-end vector has a positive projection on it.
struct LineGeometry {
  std::vector<std::int32_t> line;   ///< sorted
  std::vector<std::int8_t> direction;  ///< +1 forward, -1 back
  std::vector<double> heading_deg;  ///< azimuth of travel, clockwise from north, degrees
  std::vector<double> cross_m;      ///< median position across the axis (axis rotated 90 deg clockwise), m
  double axis_deg = 0;              ///< azimuth of the forward direction
  std::vector<std::int8_t> reading_direction;  ///< per reading
};
LineGeometry line_geometry(const Readings& r);

/// Velocity along each (line, sensor) track by central differences over +-half_window samples
/// (one-sided at the ends), m/s.
struct Velocity {
  std::vector<double> vx, vy;
};
Velocity track_velocity(const Readings& r, Index half_window = 5);

// ---- time synchronisation ------------------------------------------------------------------

/// A series interpolated onto reading times.
struct Synced {
  std::vector<double> value;        ///< NaN in a gap
  std::vector<std::uint8_t> gap;    ///< 1 outside the series or between valid samples > max_gap_s apart
  Index gaps = 0;
  double max_gap_s = 0;             ///< the limit applied
};
/// Linear interpolation of (series_t + offset_s, series_v) at times t. series_t strictly increasing
/// and finite; NaN values are missing. max_gap_s <= 0: 5 x the median sample interval.
Synced interpolate_series(std::span<const double> series_t, std::span<const double> series_v,
                          std::span<const double> t, double offset_s = 0, double max_gap_s = 0, int threads = 0);

// ---- diurnal correction --------------------------------------------------------------------

struct Diurnal {
  Readings readings;
  std::vector<double> correction_nt;  ///< subtracted from each value (NaN in a gap)
  std::vector<std::uint8_t> gap;      ///< base station: 1 where it had no value (the reading becomes NaN)
  Index gaps = 0;
  double reference_nt = 0;            ///< base: its reference level; trend: the trend's median
};
/// value - (base(t) - reference); reference NaN: the median of the base values.
Diurnal diurnal_base(const Readings& r, std::span<const double> base_t, std::span<const double> base_v,
                     double offset_s = 0, double max_gap_s = 0,
                     double reference_nt = std::numeric_limits<double>::quiet_NaN(), int threads = 0);
/// value - (median of its line - median of the line medians).
Diurnal diurnal_line_median(const Readings& r);
/// value - (p(t) - median p), p a polynomial in time of `order` (0-5) fitted robustly (Huber IRLS).
Diurnal diurnal_trend(const Readings& r, int order = 2);

// ---- despiking -----------------------------------------------------------------------------

/// Hampel filter along each (line, sensor) track: a spike is a value farther than
/// max(k 1.4826 MAD, min_deviation_nt) from the median of the 2 half_window + 1 samples around it.
struct HampelOptions {
  Index half_window = 3;
  double k = 3.5;
  double min_deviation_nt = 1.0;  ///< a floor: noise samples of flat ground are not spikes
  bool replace = true;  ///< spikes replaced by the window median, else set to NaN
};
struct Despiked {
  Readings readings;
  std::vector<std::uint8_t> spike;
  Index spikes = 0;
};
Despiked despike_hampel(const Readings& r, const HampelOptions& opt = {}, int threads = 0);

// ---- lag -----------------------------------------------------------------------------------

/// profiles: misfit between forward and back profiles (same ground, else neighbouring tracks).
/// dipoles: one dipole fitted per isolated strong anomaly to the readings of both directions, the
/// lag shared by all fits (no pairing of tracks: the model explains their offsets across).
enum class LagMethod { profiles, dipoles };

struct LagOptions {
  double max_lag_s = 0.5;         ///< lags searched in [-max, max]
  double step_s = 0.01;           ///< grid step before parabolic refinement
  double max_separation_m = 0.15;  ///< forward and back tracks at most this far apart across are paired (same ground)
  Index velocity_half_window = 5;
  /// Without such pairs (no track retraces another, e.g. a one-sensor back-and-forth survey), every
  /// forward track is paired with the nearest back track on each side at most this far across, m;
  /// 0 = never. Farther tracks see different parts of the anomalies.
  double neighbour_separation_m = 2.0;
  LagMethod method = LagMethod::profiles;
  // dipoles only: anomalies = readings whose |value - median of their (line, sensor) track| is at
  // least min_anomaly_nt, strongest first, at least 2 radius_m from a stronger one; each fitted to
  // the readings within radius_m of its peak (at least 8 of each direction, each direction's peak
  // at least min_anomaly_nt / 3); kept when its fit explains >= 95 % of its sum of squares at a lag
  // inside the search. Formulas: docs/mag_lines.md (Lag, Dipoles)
  double min_anomaly_nt = 30;
  double radius_m = 0;  ///< 0: 1 m, or 1.5 x the median spacing between tracks across when larger
  Index max_anomalies = 12;
  double sensor_height_m = 0.3;  ///< above the ground (the readings carry no height)
  EarthField field{};            ///< its direction enters the dipole model
};
struct LagEstimate {
  double lag_s = std::numeric_limits<double>::quiet_NaN();  ///< NaN: no pair
  Index pairs = 0, points = 0;
  bool neighbours = false;  ///< the pairs are neighbouring tracks (no track retraces another)
  std::vector<double> lags_s, misfit;  ///< the search grid and its misfit (profiles: mean squared, nT^2;
                                       ///< dipoles: summed residual / summed data sum of squares)
  double radius_m = 0;  ///< dipoles: the window radius used, m
  Index anomalies = 0;  ///< dipoles: anomalies used (0: none strong, seen both ways and fitted -> lag_s NaN)
  std::vector<double> anomaly_x_m, anomaly_y_m;  ///< dipoles: their fitted positions at the estimated lag
};
/// profiles: the lag minimising the misfit between forward and back profiles over the same ground,
/// or between neighbouring forward and back tracks when no track retraces another. dipoles: the lag
/// minimising the summed residual of per-anomaly dipole fits, the lag shared (estimate_lag_dipoles).
LagEstimate estimate_lag(const Readings& r, const LagOptions& opt = {}, int threads = 0);
/// The dipoles method whatever opt.method says; parallel over anomalies (same result for any thread count).
LagEstimate estimate_lag_dipoles(const Readings& r, const LagOptions& opt = {}, int threads = 0);
/// Positions moved by lag_s x the track velocity (recorded = true - lag v, so true = recorded + lag v).
Readings correct_lag(const Readings& r, double lag_s, Index velocity_half_window = 5);

// ---- heading error -------------------------------------------------------------------------

/// Model: value = truth + direction h[sensor]. Coincident: for every forward reading the nearest
/// back reading within radius_m; D(a, b) = median difference per sensor pair, h_a + h_b = D(a, b)
/// solved by least squares weighted by pair counts (minimum norm). Line medians (the fallback when
/// there are no coincident pairs): h_s = (median of forward line medians - median of back) / 2.
struct HeadingOptions {
  double radius_m = 0.5;
  bool coincident = true;
  Index min_pairs = 100;  ///< fewer coincident pairs: line medians are used
};
struct HeadingEstimate {
  std::vector<std::int32_t> sensor;
  std::vector<double> offset_nt;  ///< h per sensor: added on forward lines, subtracted on back
  Index pairs = 0;
  std::string method;             ///< "coincident" or "line_medians"
};
HeadingEstimate estimate_heading(const Readings& r, const HeadingOptions& opt = {});
/// value - direction h[sensor].
Readings correct_heading(const Readings& r, const HeadingEstimate& h);

// ---- sensor geometry -----------------------------------------------------------------------

/// The point across_m to the right of travel and along_m ahead of (x, y) at heading (clockwise from
/// north, degrees): (x, y) + along (sin h, cos h) + across (cos h, -sin h).
std::array<double, 2> offset_position(double x, double y, double heading_deg, double across_m, double along_m);
/// Readings at the reference point (GPS) moved to their sensor: offsets indexed by sensor id; the
/// heading is that of the reference track (track_velocity).
Readings apply_sensor_offsets(const Readings& r, std::span<const double> across_m, std::span<const double> along_m,
                              Index half_window = 5);

// ---- levelling -----------------------------------------------------------------------------

struct Levelled {
  Readings readings;
  std::vector<std::int32_t> line;
  std::vector<double> offset_nt;  ///< subtracted from each line's values
  Index crossovers = 0;
};
/// Each line's median moved to the median of the line medians.
Levelled level_median(const Readings& r);
/// Tie-line levelling: for every reading of a traverse line the nearest tie-line reading within
/// radius_m; D(L, T) = median difference per crossing (L, T); offsets o minimise
/// sum n_LT (o_L - o_T - D)^2 with sum o_T = 0 (ties define the level; lines without a crossing: 0).
Levelled level_tie_lines(const Readings& r, std::span<const std::int32_t> tie_lines, double radius_m = 0.25);

// ---- regional field ------------------------------------------------------------------------

/// A polynomial surface sum c_k u^i v^j (i + j <= order) in u = (x - cx) / scale, v = (y - cy) / scale.
struct PolySurface {
  int order = 0;
  double cx = 0, cy = 0, scale = 1;
  std::vector<double> coef;  ///< (i, j) in order (0,0), (1,0), (0,1), (2,0), (1,1), (0,2), ...
  double operator()(double x, double y) const;
  /// d/dx and d/dy at (x, y), nT/m.
  std::array<double, 2> gradient(double x, double y) const;
};
/// Robust (Huber IRLS) fit of order 0-3 to finite values.
PolySurface fit_poly_surface(std::span<const double> x, std::span<const double> y, std::span<const double> v,
                             int order);
struct Regional {
  Readings readings;
  PolySurface surface;
};
/// value - surface(x, y).
Regional remove_regional(const Readings& r, int order = 1);
/// value - field_nt.
Readings remove_main_field(const Readings& r, double field_nt);

}  // namespace sapper::mag
