// sapper: B-scan views. A B-scan is samples x traces, column-major (each trace contiguous).
#pragma once

#include <Eigen/Core>
#include <cstddef>

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

}  // namespace sapper
