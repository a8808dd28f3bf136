// sapper::detect GPR prescreeners: a per-trace detection statistic (depth-gated energy or LMS
// prediction error), normalised against its local background by a CFAR (cell-averaging or
// order-statistic, along-track and across channels), thresholded, and thinned by non-maximum
// suppression into GprAlarms. Batch and streaming give the same alarms for any split of the
// traces into blocks; the stream decides trace j once trace j + delay() has arrived (or at
// flush()). Formulas, defaults, costs and throughput: docs/detect_prescreen.md.
#pragma once

#include <limits>
#include <span>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/detect/alarm.hpp"

namespace sapper::detect {

enum class Statistic {
  energy,  ///< mean x^2 over the gate
  lms,     ///< mean e^2 over the gate, e = x - (NLMS prediction of x from the previous traces)
};

enum class Cfar {
  none,             ///< score = statistic
  cell_average,     ///< score = statistic / mean of the training cells
  order_statistic,  ///< score = statistic / k-th smallest training cell, k = ceil(os_rank * cells)
};

/// The back half shared by every prescreener: trace window, CFAR, threshold, suppression.
struct CfarOptions {
  Index window = 1;          ///< traces averaged (odd, centred) before the CFAR
  Cfar cfar = Cfar::cell_average;
  Index guard = 4;           ///< guard traces on each side of the cell under test
  Index train = 16;          ///< training traces on each side (causal: before the guard only)
  Index train_channels = 0;  ///< training also over channels c - train_channels .. c + train_channels
  bool causal = false;       ///< leading training window only (no look-ahead)
  double os_rank = 0.75;     ///< order-statistic rank as a fraction of the training cells, (0, 1]
  double threshold = 2;      ///< alarm where score >= threshold
  Index separation = 10;     ///< non-maximum suppression: an alarm is the largest score within
  Index separation_channels = 2;  ///< +-separation traces and +-separation_channels channels
};

struct PrescreenOptions {
  Statistic statistic = Statistic::energy;
  double gate_start_ns = 0;  ///< time gate, ns after time zero (inclusive; clipped to the record)
  double gate_end_ns = std::numeric_limits<double>::infinity();
  Index lms_traces = 4;      ///< LMS reference: lms_traces traces ...
  Index lms_gap = 4;         ///< ... before the lms_gap traces before the current one, ...
  Index lms_depth = 1;       ///< ... at samples i - lms_depth .. i + lms_depth ...
  Index lms_channels = 0;    ///< ... of channels c - lms_channels .. c + lms_channels
  double lms_step = 0.05;    ///< NLMS step mu in (0, 2)
  CfarOptions cfar;
};

/// Per-trace outputs of a stream call for the traces it decided: row-major (trace, channel)
/// arrays of at least (traces decided) x n_channels entries; null pointers are skipped.
struct TraceRows {
  double* statistic = nullptr;  ///< windowed statistic (the CFAR's input)
  double* score = nullptr;      ///< CFAR score
  Index* sample = nullptr;      ///< sample of the statistic's peak in the gate (-1: none)
};

/// Window + CFAR + threshold + suppression of a statistic given per trace (n_channels values per
/// trace). Not thread-safe (one per stream); allocates only when `alarms` lacks capacity
/// (reserve max_alarms(block traces)).
class CfarStream {
 public:
  /// dt_ns, time_zero_ns give alarm times (NaN dt_ns: time unknown).
  CfarStream(Index n_channels, const CfarOptions& opt, double dt_ns = std::numeric_limits<double>::quiet_NaN(),
             double time_zero_ns = 0);
  /// Appends the statistic of n traces (stat, sample: n x n_channels, row-major; sample may be
  /// null). Returns the number of traces decided; their rows go to `rows`, their alarms to `alarms`.
  Index process(const double* stat, const Index* sample, Index n, std::vector<GprAlarm>& alarms,
                const TraceRows& rows = {});
  /// Ends the line: decides the last delay() traces (with the windows truncated at the end), resets.
  Index flush(std::vector<GprAlarm>& alarms, const TraceRows& rows = {});
  void reset();
  Index delay() const { return h_ + lead_ + opt_.separation; }  ///< traces between input and decision
  Index n_channels() const { return nc_; }
  Index max_alarms(Index n_traces) const { return (n_traces + delay()) * nc_; }

 private:
  void advance(bool end, std::vector<GprAlarm>& alarms, const TraceRows& rows, Index& written);
  double& at(Eigen::MatrixXd& m, Index j, Index c) { return m(c, j % cap_); }
  CfarOptions opt_;
  Index nc_, h_, lead_, cap_;
  double dt_, tz_;
  Eigen::MatrixXd raw_, stat_, score_;  // n_channels x ring capacity
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> sample_;
  std::vector<double> cells_;
  Index n_in_ = 0, n_stat_ = 0, n_score_ = 0, n_out_ = 0;
};

/// Streaming prescreener on B-scans: statistic per trace and channel, then CfarStream.
/// Not thread-safe (one per stream); process() allocates only as CfarStream does. Input must be
/// finite (not checked here; the batch function checks).
template <class T>
class PrescreenStream {
 public:
  PrescreenStream(const TraceFormat& format, Index n_channels, const PrescreenOptions& opt);
  /// One n_samples x (block) B-scan per channel, equal block sizes (1 channel: a single view).
  Index process(std::span<const ConstView<T>> channels, std::vector<GprAlarm>& alarms, const TraceRows& rows = {});
  Index process(ConstView<T> bscan, std::vector<GprAlarm>& alarms, const TraceRows& rows = {});
  Index flush(std::vector<GprAlarm>& alarms, const TraceRows& rows = {}) { return back_.flush(alarms, rows); }
  void reset();
  Index delay() const { return back_.delay(); }
  Index n_channels() const { return back_.n_channels(); }
  Index max_alarms(Index n_traces) const { return back_.max_alarms(n_traces); }
  Index gate_begin() const { return i0_; }  ///< first sample of the gate
  Index gate_end() const { return i1_; }    ///< one past the last sample of the gate

 private:
  void statistic(std::span<const ConstView<T>> ch, Index j, Index c);
  PrescreenOptions opt_;
  Index ns_, nc_, i0_, i1_, d_, k_, r_, slots_ = 1;
  CfarStream back_;
  Matrix<T> hist_, w_;  // LMS: history (gate +- d) x (slots * nc), weights gate x (terms * nc)
  Eigen::Array<T, Eigen::Dynamic, 1> pred_, uu_, e_;
  Eigen::VectorXd stat_;
  Eigen::Matrix<Index, Eigen::Dynamic, 1> peak_;
  Index seen_ = 0;
};

/// Batch result: alarms (by trace, then channel) and n_traces x n_channels per-trace rows.
struct Prescreen {
  std::vector<GprAlarm> alarms;
  Eigen::MatrixXd statistic, score;
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> sample;
};

/// Prescreens one B-scan per channel (equal shapes, finite); equals PrescreenStream + flush.
template <class T>
Prescreen prescreen(std::span<const ConstView<T>> channels, const TraceFormat& format, const PrescreenOptions& opt);
template <class T>
Prescreen prescreen(ConstView<T> bscan, const TraceFormat& format, const PrescreenOptions& opt);

/// CFAR + suppression of a given statistic (n_traces x n_channels, finite, >= 0 for a CFAR);
/// sample (same shape, optional) is carried into the alarms.
Prescreen cfar(const Eigen::MatrixXd& statistic, const CfarOptions& opt,
               const Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic>* sample = nullptr,
               double dt_ns = std::numeric_limits<double>::quiet_NaN(), double time_zero_ns = 0);

/// Sets x_m = x[trace] (x: one per trace) and y_m = y[channel] (y: one per channel) where given.
void set_positions(std::span<GprAlarm> alarms, std::span<const double> x, std::span<const double> y);

#define SAPPER_DETECT_PRESCREEN_EXTERN(T)                                                                \
  extern template class PrescreenStream<T>;                                                              \
  extern template Prescreen prescreen<T>(std::span<const ConstView<T>>, const TraceFormat&,              \
                                         const PrescreenOptions&);                                       \
  extern template Prescreen prescreen<T>(ConstView<T>, const TraceFormat&, const PrescreenOptions&);
SAPPER_DETECT_PRESCREEN_EXTERN(float)
SAPPER_DETECT_PRESCREEN_EXTERN(double)
#undef SAPPER_DETECT_PRESCREEN_EXTERN

}  // namespace sapper::detect
