// sapper: B-scan views. A B-scan is samples x traces, column-major (each trace contiguous).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "sapper/core/error.hpp"

namespace sapper {

using Index = std::ptrdiff_t;

/// Owning B-scan storage: rows are samples, columns are traces.
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

/// Read-only view of a B-scan (inner stride 1, any outer stride).
template <class T>
using ConstView = Eigen::Ref<const Matrix<T>, 0, Eigen::OuterStride<>>;

/// Writable view of a B-scan.
template <class T>
using View = Eigen::Ref<Matrix<T>, 0, Eigen::OuterStride<>>;

/// The time axis of every trace of a B-scan.
struct TraceFormat {
  Index n_samples = 0;
  double dt_ns = 0;         ///< sample interval, ns
  double time_zero_ns = 0;  ///< time of sample 0 relative to time zero is -time_zero_ns
};

/// Where and with what the traces were recorded; empty members are unknown.
struct TraceAxes {
  std::vector<double> position_m;                  ///< distance along the line of each trace, m
  Eigen::Matrix<double, Eigen::Dynamic, 3> xyz;    ///< x, y, z of each trace, m (0 rows: none)
  double antenna_mhz = std::numeric_limits<double>::quiet_NaN();  ///< centre frequency (NaN: unknown)
};

/// A B-scan with its metadata.
template <class T>
struct BScan {
  Matrix<T> data;
  TraceFormat format;
  TraceAxes axes;

  /// Throws ValueError unless the metadata agree with the data.
  void validate() const {
    const Index m = data.cols();
    require(format.n_samples == data.rows(), "format.n_samples = ", format.n_samples, " but the data has ",
            data.rows(), " samples per trace");
    require(std::isfinite(format.dt_ns) && format.dt_ns > 0, "dt_ns = ", format.dt_ns, " must be a positive number of ns");
    require(axes.position_m.empty() || Index(axes.position_m.size()) == m, "position_m has ", axes.position_m.size(),
            " entries for ", m, " traces");
    for (std::size_t j = 0; j < axes.position_m.size(); ++j)
      require(std::isfinite(axes.position_m[j]), "position_m[", j, "] = ", axes.position_m[j], " must be finite");
    require(axes.xyz.rows() == 0 || axes.xyz.rows() == m, "xyz has ", axes.xyz.rows(), " rows for ", m, " traces");
    require(std::isnan(axes.antenna_mhz) || axes.antenna_mhz > 0, "antenna_mhz = ", axes.antenna_mhz,
            " must be positive (or NaN: unknown)");
  }
};

}  // namespace sapper
