// GSSI DZT (stub: being written).
#include "bytes.hpp"
#include "sapper/io/gpr_file.hpp"

namespace sapper::io {

template <class T>
GprFile<T> read_dzt(const std::string& path) { throw FormatError(path + ": DZT reader not implemented yet"); }
template <class T>
void write_dzt(const std::string& path, const GprFile<T>&, int) { throw FormatError(path + ": DZT writer not implemented yet"); }

template GprFile<float> read_dzt<float>(const std::string&);
template GprFile<double> read_dzt<double>(const std::string&);
template void write_dzt<float>(const std::string&, const GprFile<float>&, int);
template void write_dzt<double>(const std::string&, const GprFile<double>&, int);

}  // namespace sapper::io
