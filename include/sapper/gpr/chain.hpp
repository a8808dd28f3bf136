// sapper::gpr::Chain: a list of preprocessing steps applied in batch (apply) or as a stream
// of trace blocks (stream). Both give the same numbers. The output carries the steps as
// applied, with every default resolved, so that replaying them reproduces it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sapper/gpr/steps.hpp"

namespace sapper::gpr {

/// A processed B-scan. `storage` may hold more rows than `format.n_samples` (time-zero
/// cropping works in place): use data().
template <class T>
struct Processed {
  Matrix<T> storage;
  TraceFormat format;
  Index n_traces = 0;
  std::vector<Step> steps;  ///< as applied: replaying them on the same input gives the same output
  TraceAxes axes;           ///< the input's (a chain keeps every trace, in order)
  Eigen::Map<Matrix<T>> data() { return {storage.data(), format.n_samples, n_traces}; }
  Eigen::Map<const Matrix<T>> data() const { return {storage.data(), format.n_samples, n_traces}; }
};

/// A chain configured for a trace format and a largest block, fed blocks of traces.
/// Traces come out in order, `latency()` traces behind the input (centred background
/// windows hold traces back); flush() releases them at the end of the profile. process and
/// flush allocate nothing and run on the calling thread (run one stream per channel).
template <class T>
class Stream {
 public:
  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  ~Stream();
  const TraceFormat& input_format() const;
  const TraceFormat& output_format() const;
  Index max_block() const;
  Index latency() const;  ///< traces held back in total
  /// Takes in.cols() <= max_block() traces of input_format().n_samples samples; writes the
  /// traces that are complete to the first columns of out (output_format().n_samples rows,
  /// at least in.cols() columns) and returns how many.
  Index process(ConstView<T> in, View<T> out);
  /// End of the profile: writes the held-back traces to out (at least latency() columns);
  /// returns how many. The stream is then empty, as after reset().
  Index flush(View<T> out);
  void reset();
  const std::vector<Step>& steps() const;

 private:
  friend class Chain;
  struct Impl;
  explicit Stream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Chain {
 public:
  Chain() = default;
  explicit Chain(std::vector<Step> steps) : steps_(std::move(steps)) {}
  Chain& add(Step s) {
    steps_.push_back(std::move(s));
    return *this;
  }
  const std::vector<Step>& steps() const { return steps_; }

  /// {"steps": [{"op": "dewow", "window_ns": 2.0}, ...]} or a bare list of steps.
  static Chain from_json(const std::string& json);
  /// {"sapper": "<version>", "steps": [...]}, every parameter written out.
  std::string to_json() const;

  /// The default GPR chain for an antenna of centre frequency f (MHz) sampled every dt_ns:
  /// DC removal (mean), dewow (mean, 2 periods), time zero (20% threshold, crop), moving
  /// background (mean, 51 traces), SEC gain (t^1), zero-phase band-pass [f/4, min(2.5 f, Nyquist)].
  static Chain default_gpr(double antenna_mhz, double dt_ns);

  /// Batch: applies every step to the whole B-scan, traces split over threads (0 = all
  /// cores). Throws ValueError naming the step and parameter that is invalid for f.
  template <class T>
  Processed<T> apply(ConstView<T> in, const TraceFormat& f, int threads = 0) const;
  /// The same on a B-scan with metadata (validated); the result carries its axes.
  template <class T>
  Processed<T> apply(const BScan<T>& in, int threads = 0) const {
    in.validate();
    Processed<T> r = apply<T>(in.data, in.format, threads);
    r.axes = in.axes;
    return r;
  }

  /// Streaming: validates, plans and allocates everything for blocks of up to max_block traces.
  /// Needs every parameter resolved up front (a time-zero target, no global background).
  template <class T>
  Stream<T> stream(const TraceFormat& f, Index max_block) const;

 private:
  std::vector<Step> steps_;
};

extern template Processed<float> Chain::apply<float>(ConstView<float>, const TraceFormat&, int) const;
extern template Processed<double> Chain::apply<double>(ConstView<double>, const TraceFormat&, int) const;
extern template Stream<float> Chain::stream<float>(const TraceFormat&, Index) const;
extern template Stream<double> Chain::stream<double>(const TraceFormat&, Index) const;
extern template class Stream<float>;
extern template class Stream<double>;

}  // namespace sapper::gpr
