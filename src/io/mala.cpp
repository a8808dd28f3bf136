// MALA RD3 / RD7 + RAD (stub: being written).
#include "bytes.hpp"
#include "sapper/io/gpr_file.hpp"

namespace sapper::io {

template <class T>
GprFile<T> read_mala(const std::string& path) { throw FormatError(path + ": MALA reader not implemented yet"); }

template GprFile<float> read_mala<float>(const std::string&);
template GprFile<double> read_mala<double>(const std::string&);

}  // namespace sapper::io
