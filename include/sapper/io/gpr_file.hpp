// sapper::io GPR files: what a reader returns, and the entry point that picks the reader.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sapper/core/types.hpp"

namespace sapper::io {

/// A GPR file as read. Each channel is a B-scan (samples x traces) with its time axis
/// (dt_ns, time_zero_ns) and trace axes (positions in m when the file gives them, x/y/z when it
/// has coordinates, antenna centre frequency in MHz, NaN when unknown). Samples are the file's
/// values converted to T, unscaled (8/16-bit unsigned GSSI data has its offset removed).
template <class T>
struct GprFile {
  std::string path;
  std::string format;                          ///< "dzt", "dt1", "rd3", "rd7", "segy"
  std::vector<BScan<T>> channels;
  std::vector<Index> marks;                    ///< traces carrying a user mark, ascending
  std::map<std::string, std::string> header;   ///< raw header fields, as text (names as in the format's docs)
};

/// Reads a GPR file, choosing the reader from the content (magic bytes) and the extension.
/// Throws FormatError naming the file, the field and the byte offset for malformed input.
template <class T>
GprFile<T> read_gpr(const std::string& path);

/// One reader per format (read_gpr dispatches to them).
template <class T>
GprFile<T> read_dzt(const std::string& path);
template <class T>
GprFile<T> read_dt1(const std::string& path);   ///< path of the .DT1 (the .HD beside it)
template <class T>
GprFile<T> read_mala(const std::string& path);  ///< path of the .rd3 / .rd7 (the .rad beside it)

/// A GPS track from a GSSI DZG file: for each "$GSSIS,<scan>,..." line, the first valid GGA
/// sentence after it (else the first valid RMC). Scans are 0-based trace indices, ascending (a
/// scan given twice keeps its last fix). altitude_m is above the ellipsoid (GGA altitude + geoid
/// separation; NaN from RMC). Corrupted or invalid sentences are skipped and counted.
struct GpsTrack {
  std::vector<double> scan, time_s, lat_deg, lon_deg, altitude_m;
  std::size_t skipped = 0;
};
/// Throws FormatError for a $GSSIS line without a scan number or with scans going back.
GpsTrack read_dzg(const std::string& path);

/// The user marks of a GSSI DZX file (scan numbers, ascending, unique), from any of its known XML
/// layouts: <WayPt> with <mark>User</mark> and <scan> ("File" and "ProfileGroup"), and
/// <TargetWayPt> with <scanSampChanProp>scan,... ("TargetGroup"). Throws FormatError for a mark
/// without a readable scan number.
std::vector<Index> read_dzx(const std::string& path);

/// Writes a GSSI DZT file (16- or 32-bit samples) that read_dzt reads back with the same data and
/// metadata. Throws ValueError for data that the chosen sample format cannot hold.
template <class T>
void write_dzt(const std::string& path, const GprFile<T>& file, int bits = 16);

#define SAPPER_IO_EXTERN(T)                                                   \
  extern template GprFile<T> read_gpr<T>(const std::string&);                 \
  extern template GprFile<T> read_dzt<T>(const std::string&);                 \
  extern template GprFile<T> read_dt1<T>(const std::string&);                 \
  extern template GprFile<T> read_mala<T>(const std::string&);                \
  extern template void write_dzt<T>(const std::string&, const GprFile<T>&, int);
SAPPER_IO_EXTERN(float)
SAPPER_IO_EXTERN(double)
#undef SAPPER_IO_EXTERN

}  // namespace sapper::io
