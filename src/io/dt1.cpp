// Sensors & Software DT1 + HD (stub: being written).
#include "bytes.hpp"
#include "sapper/io/gpr_file.hpp"

namespace sapper::io {

template <class T>
GprFile<T> read_dt1(const std::string& path) { throw FormatError(path + ": DT1 reader not implemented yet"); }

template GprFile<float> read_dt1<float>(const std::string&);
template GprFile<double> read_dt1<double>(const std::string&);

}  // namespace sapper::io
