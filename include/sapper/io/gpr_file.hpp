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
