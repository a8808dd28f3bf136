// sapper::io magnetometer line data (Geometrics MagArrow, SENSYS MagDrone R3, sapper's simulator
// CSV, any delimited table with a column mapping) and base stations (CSV, IAGA-2002). Files are
// read line by line; every error is a FormatError naming the file, the line and the column.
// Conventions (presets, units, NaN rules, time): docs/io.md, "Magnetometer line data and base
// stations".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sapper::io {

/// Which column holds what, by header name: case-insensitive, surrounding spaces and a unit in
/// brackets ("Timestamp [ms]") ignored. Empty names are not read. When every name is empty and
/// there are no sensors, the layout is recognised from the header (presets: MagArrow, MagDrone,
/// sapper's simulator CSV).
struct MagColumns {
  std::string time;      ///< "hh:mm:ss[.sss]" or a number in seconds (unit [ms] in the name: ms)
  std::string date;      ///< "YYYY/MM/DD", "YYYY-MM-DD" or "DD.MM.YYYY"; with time: seconds since the first row's midnight
  std::string x, y;      ///< projected coordinates, m (else computed from lat/lon)
  std::string lat, lon;  ///< WGS84, degrees (0 and 0 together: no fix -> NaN)
  std::string altitude;  ///< m
  std::vector<std::string> sensors;                   ///< total-field columns, nT
  std::vector<std::vector<std::string>> vector_sensors;  ///< {x, y, z} columns of a fluxgate: the sensor is the norm, nT
  std::string valid;     ///< a flag column (non-zero: valid)
  std::vector<std::string> extra;  ///< further numeric columns kept in MagLineData::extra
  char delimiter = 0;    ///< 0: auto (',' ';' or tab, the most frequent on the header row)
  bool empty() const {
    return time.empty() && date.empty() && x.empty() && y.empty() && lat.empty() && lon.empty() && altitude.empty() &&
           sensors.empty() && vector_sensors.empty() && valid.empty() && extra.empty();
  }
};

/// Magnetometer readings, one entry per data row (NaN where a row lacks a value: an empty or
/// missing field, a MagDrone GPS of 0/0 meaning no fix, which also blanks its altitude).
struct MagLineData {
  std::vector<double> time_s;
  std::vector<double> x_m, y_m;  ///< from x/y columns, else east/north of the first valid fix (to_local, height 0)
  std::vector<double> lat_deg, lon_deg, altitude_m;  ///< NaN when the file has no such column
  std::vector<std::vector<double>> sensors_nt;       ///< one per sensor, each of the rows' length
  std::vector<std::uint8_t> valid;                   ///< 1 where the valid column is non-zero (all 1 without one)
  std::vector<std::string> sensor_names;
  std::map<std::string, std::vector<double>> extra;  ///< MagColumns::extra (simulator: line, direction, sensor, z_m)
  std::map<std::string, std::string> header;         ///< preamble "key: value" lines, plus "date", "origin_lat_deg", ...
  std::string format;                                ///< "magarrow", "magdrone", "sapper", "g858" or "csv"
  /// Sensor geometry, one entry per sensor (as sensors_nt), m: across the line (right of travel
  /// positive), along it (ahead positive), height above ground; empty where the file does not give
  /// it (G-858: from the .config beside the .stn). across/along are what mag::apply_sensor_offsets takes.
  std::vector<double> sensor_across_m, sensor_along_m, sensor_height_m;
  std::size_t size() const { return time_s.size(); }
};

/// Reads a delimited magnetometer file (see MagColumns). Throws FormatError naming the file, the
/// line and the column (a missing column: its name and the available ones).
MagLineData read_mag_csv(const std::string& path, const MagColumns& columns = {});

/// A Geometrics G-858 STN text file (reverse order, mark rows "3 x y ...", readings "0 s1 [s2] time date ..."); positions interpolated by sample index between marks; the sensor geometry from the project .config beside it, if any; rules: docs/io.md, "Geometrics G-858 STN".
MagLineData read_g858(const std::string& path);

/// Base-station total field against time.
struct BaseStation {
  std::vector<double> time_s;
  std::vector<double> field_nt;  ///< NaN where missing
  std::map<std::string, std::string> header;
};

/// A delimited base-station file. Empty names: time from "time_s" or "time", field from
/// "field_nt", "F" or "total" (e.g. sapper's base_station.csv).
BaseStation read_base_csv(const std::string& path, const std::string& time_column = "",
                          const std::string& field_column = "");

/// An IAGA-2002 file: time_s in seconds since midnight (UTC) of the first row's date; field_nt =
/// the F column where reported and present, else sqrt(X^2+Y^2+Z^2) (XYZ) or sqrt(H^2+Z^2) (HDZ);
/// 99999.00 and 88888.00 are missing (NaN).
BaseStation read_iaga2002(const std::string& path);

}  // namespace sapper::io
