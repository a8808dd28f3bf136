// sapper::io SEG-Y (rev 1 / rev 2) for GPR: reader and writer. Layout, rules and choices:
// docs/io.md, section "SEG-Y".
#pragma once

#include <cstdint>
#include <string>

#include "sapper/io/gpr_file.hpp"

namespace sapper::io {

/// What write_segy writes: the sample format code (1 IBM float, 2 int32, 3 int16, 5 IEEE float),
/// the byte order (big-endian is the standard; little-endian as SEG-Y rev 2 allows) and the
/// encoding of the textual header.
struct SegyWrite {
  int format = 5;
  bool big_endian = true;
  bool ebcdic = false;
};

/// Reads a SEG-Y file (one channel). The sample interval field (bytes 3217-3218, and 117-118 of
/// each trace header) is read as picoseconds: dt_ns = value / 1000 (docs/io.md). Throws
/// FormatError naming the file, the field and the byte offset for malformed input.
template <class T>
GprFile<T> read_segy(const std::string& path);

/// Writes a one-channel SEG-Y rev 2 file that read_segy reads back with the same data, dt and
/// n samples, and xyz to 1 cm. Throws ValueError for data or metadata the file cannot hold.
template <class T>
void write_segy(const std::string& path, const GprFile<T>& file, SegyWrite options = {});

/// IBM System/360 single precision (sign, base-16 exponent biased by 64, 24-bit fraction) to
/// double: exact.
double ibm_to_double(std::uint32_t ibm);
/// double to IBM single precision, rounding the fraction to nearest (ties to even); values below
/// the smallest IBM magnitude become denormal fractions or 0. ValueError for non-finite values
/// and magnitudes above the largest IBM float (about 7.2e75).
std::uint32_t double_to_ibm(double v);

#define SAPPER_IO_SEGY_EXTERN(T)                                     \
  extern template GprFile<T> read_segy<T>(const std::string&);       \
  extern template void write_segy<T>(const std::string&, const GprFile<T>&, SegyWrite);
SAPPER_IO_SEGY_EXTERN(float)
SAPPER_IO_SEGY_EXTERN(double)
#undef SAPPER_IO_SEGY_EXTERN

}  // namespace sapper::io
