// Chain: JSON (de)serialisation of steps, batch application, and streams of kernel stages.
#include "sapper/gpr/chain.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstring>

#include "kernels.hpp"

namespace sapper::gpr {
namespace {

using json = nlohmann::json;
using namespace detail;

constexpr std::array<const char*, std::variant_size_v<Step>> kOps = {
    "remove_dc", "dewow", "time_zero", "background", "gain", "agc", "bandpass", "envelope"};

// The parameters of each step by name, for JSON in and out.
template <class F> void fields(RemoveDc& s, F&& f) { f("method", s.method), f("t0_ns", s.t0_ns), f("t1_ns", s.t1_ns); }
template <class F> void fields(Dewow& s, F&& f) { f("window_ns", s.window_ns), f("method", s.method); }
template <class F> void fields(TimeZero& s, F&& f) {
  f("threshold", s.threshold), f("target_ns", s.target_ns), f("search_ns", s.search_ns), f("crop", s.crop);
}
template <class F> void fields(Background& s, F&& f) {
  f("window_traces", s.window_traces), f("method", s.method), f("causal", s.causal);
}
template <class F> void fields(Gain& s, F&& f) { f("power", s.power), f("alpha_per_ns", s.alpha_per_ns), f("max_gain", s.max_gain); }
template <class F> void fields(Agc& s, F&& f) { f("window_ns", s.window_ns), f("max_gain", s.max_gain); }
template <class F> void fields(Bandpass& s, F&& f) {
  f("low_mhz", s.low_mhz), f("high_mhz", s.high_mhz), f("taper_mhz", s.taper_mhz), f("causal", s.causal), f("order", s.order);
}
template <class F> void fields(Envelope&, F&&) {}

json value(double v) { return std::isnan(v) ? json(nullptr) : json(v); }
json value(Index v) { return v; }
json value(int v) { return v; }
json value(bool v) { return v; }
json value(Statistic v) { return v == Statistic::mean ? "mean" : "median"; }

void read(const json& j, const char* name, double& v) {
  require(j.is_number() || j.is_null(), "parameter ", name, " = ", j.dump(), " must be a number");
  v = j.is_null() ? kUnset : j.get<double>();
}
template <class I>
void read_int(const json& j, const char* name, I& v) {
  require(j.is_number_integer() || (j.is_number_float() && j.get<double>() == std::floor(j.get<double>())),
          "parameter ", name, " = ", j.dump(), " must be an integer");
  v = I(j.get<double>());
}
void read(const json& j, const char* name, Index& v) { read_int(j, name, v); }
void read(const json& j, const char* name, int& v) { read_int(j, name, v); }
void read(const json& j, const char* name, bool& v) {
  require(j.is_boolean(), "parameter ", name, " = ", j.dump(), " must be true or false");
  v = j.get<bool>();
}
void read(const json& j, const char* name, Statistic& v) {
  require(j == "mean" || j == "median", "parameter ", name, " = ", j.dump(), " must be \"mean\" or \"median\"");
  v = j == "mean" ? Statistic::mean : Statistic::median;
}

json step_json(const Step& step) {
  json j = {{"op", op_name(step)}};
  std::visit([&](auto s) { fields(s, [&](const char* name, auto& v) { j[name] = value(v); }); }, step);
  return j;
}

template <std::size_t I = 0>
Step make_step(const std::string& op) {
  if constexpr (I < kOps.size()) {
    if (op == kOps[I]) return std::variant_alternative_t<I, Step>{};
    return make_step<I + 1>(op);
  } else {
    std::string known;
    for (const char* o : kOps) known += std::string(known.empty() ? "" : ", ") + o;
    throw ValueError("unknown step op = \"" + op + "\" (known: " + known + ")");
  }
}

Step step_from(const json& j) {
  require(j.is_object() && j.contains("op") && j["op"].is_string(), "a step must be an object with an \"op\" name, not ",
          j.dump());
  Step step = make_step(j["op"].get<std::string>());
  std::size_t used = 1;
  std::visit([&](auto& s) {
    fields(s, [&](const char* name, auto& v) {
      if (auto it = j.find(name); it != j.end()) read(*it, name, v), ++used;
    });
  }, step);
  if (used != j.size()) {
    std::string extra;
    json known = step_json(step);
    for (auto& [k, v] : j.items())
      if (!known.contains(k)) extra += " " + k;
    throw ValueError(std::string("step ") + op_name(step) + " has unknown parameter(s):" + extra);
  }
  return step;
}

json parse(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw ValueError(std::string("invalid JSON: ") + e.what());
  }
}

/// Prefixes errors with the step they come from.
template <class F>
auto in_step(std::size_t i, const Step& s, F&& f) {
  try {
    return f();
  } catch (const ValueError& e) {
    throw ValueError("step " + std::to_string(i) + " (" + op_name(s) + "): " + e.what());
  }
}

/// A view of the first rows x cols of contiguous storage.
template <class T>
View<T> block_view(T* p, Index rows, Index cols) {
  return Eigen::Map<Matrix<T>, 0, Eigen::OuterStride<>>(p, rows, cols, Eigen::OuterStride<>(rows));
}

// ---- trace pipelines and stages ----

/// One trace-local step with its own scratch, behind a virtual call.
template <class T>
struct TraceOp {
  Index n_out = 0;
  virtual ~TraceOp() = default;
  virtual void run(const T* x, T* y) = 0;  // x == y allowed
};

template <class T, class K>
struct KernelOp final : TraceOp<T> {
  K k;
  decltype(k.work()) w;
  explicit KernelOp(K kernel) : k(std::move(kernel)), w(k.work()) { this->n_out = k.n_out(); }
  void run(const T* x, T* y) override { k(x, y, w); }
};

template <class T> DcKernel<T> kernel_for(const RemoveDc& p, const TraceFormat& f) { return DcKernel<T>::make(f, p); }
template <class T> DewowKernel<T> kernel_for(const Dewow& p, const TraceFormat& f) { return DewowKernel<T>::make(f, p); }
template <class T> GainKernel<T> kernel_for(const Gain& p, const TraceFormat& f) { return GainKernel<T>::make(f, p); }
template <class T> GainKernel<T> kernel_for(const Agc& p, const TraceFormat& f) { return GainKernel<T>::make(f, p); }
template <class T> BandpassKernel<T> kernel_for(const Bandpass& p, const TraceFormat& f) { return BandpassKernel<T>::make(f, p); }
template <class T> EnvelopeKernel<T> kernel_for(const Envelope& p, const TraceFormat& f) { return EnvelopeKernel<T>::make(f, p); }
template <class T> TimeZeroKernel<T> kernel_for(const TimeZero& p, const TraceFormat& f) {
  require(!std::isnan(p.target_ns), "time_zero needs target_ns set here (batch apply resolves it as the median first break)");
  return TimeZeroKernel<T>::make(f, p);
}

bool trace_local(const Step& s) { return !std::holds_alternative<Background>(s); }

/// The format after a resolved trace-local step.
TraceFormat after(const Step& s, const TraceFormat& f) {
  if (auto* p = std::get_if<TimeZero>(&s)) return time_zero_format(f, *p);
  return f;
}

/// Consecutive trace-local steps run trace by trace in a buffer that stays in cache, so that
/// a chain reads and writes the B-scan once per run of such steps, not once per step.
template <class T>
struct Pipeline {
  std::vector<std::unique_ptr<TraceOp<T>>> ops;
  std::vector<T> buf;
  Pipeline(const Step* begin, const Step* end, TraceFormat f) : buf(f.n_samples) {
    for (const Step* s = begin; s != end; ++s) {
      ops.push_back(std::visit([&](const auto& p) -> std::unique_ptr<TraceOp<T>> {
        using S = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<S, Background>) {
          throw ValueError("internal: background in a trace pipeline");
        } else {
          return std::make_unique<KernelOp<T, decltype(kernel_for<T>(p, f))>>(kernel_for<T>(p, f));
        }
      }, *s));
      f = after(*s, f);
    }
  }
  void run(const T* x, T* y) {
    if (ops.size() == 1) return ops[0]->run(x, y);
    ops[0]->run(x, buf.data());
    for (std::size_t i = 1; i + 1 < ops.size(); ++i) ops[i]->run(buf.data(), buf.data());
    ops.back()->run(buf.data(), y);
  }
};

template <class T>
struct Stage {
  TraceFormat out_f;
  virtual ~Stage() = default;
  virtual Index latency() const { return 0; }
  virtual Index process(ConstView<T> in, View<T> out) = 0;  // writes <= in.cols() traces
  virtual Index flush(View<T>) { return 0; }                // writes <= out.cols() held traces
  virtual void reset() {}
};

template <class T>
struct PipelineStage final : Stage<T> {
  Pipeline<T> p;
  PipelineStage(const Step* b, const Step* e, const TraceFormat& f) : p(b, e, f) {}
  Index process(ConstView<T> in, View<T> out) override {
    for (Index j = 0; j < in.cols(); ++j) p.run(in.col(j).data(), out.col(j).data());
    return in.cols();
  }
};

template <class T>
struct BackgroundStage final : Stage<T> {
  BackgroundCore<T> core;
  BackgroundStage(Index rows, const Background& p)
      : core(rows, p.window_traces, p.causal ? 0 : p.window_traces / 2, p.method) {}
  Index latency() const override { return core.latency(); }
  Index process(ConstView<T> in, View<T> out) override {
    Index e = 0;
    for (Index j = 0; j < in.cols(); ++j) e += core.push(in.col(j).data(), out.col(e).data());
    return e;
  }
  Index flush(View<T> out) override {
    Index e = 0;
    while (e < out.cols() && core.flush_one(out.col(e).data())) ++e;
    return e;
  }
  void reset() override { core.reset(); }
};

void check_background(const Background& p) {
  require(p.window_traces >= 0 && (p.window_traces == 0 || p.window_traces % 2 == 1), "window_traces = ",
          p.window_traces, " must be a positive odd number of traces (or 0: global mean trace)");
}

/// Fills in the defaults that need no data (band-pass taper, target snapped to the grid) and
/// validates the step for format f; returns the format after it. Time zero may stay unset.
TraceFormat resolve(Step& step, const TraceFormat& f) {
  return std::visit([&](auto& p) {
    using S = std::decay_t<decltype(p)>;
    if constexpr (std::is_same_v<S, Background>) {
      check_background(p);
      return f;
    } else if constexpr (std::is_same_v<S, TimeZero>) {
      if (std::isnan(p.target_ns)) return TraceFormat{-1, f.dt_ns, 0};  // known once resolved on data
      TimeZeroKernel<float>::make(f, p);
      p.target_ns = std::round(p.target_ns / f.dt_ns) * f.dt_ns;
      return time_zero_format(f, p);
    } else {
      if constexpr (std::is_same_v<S, Bandpass>)
        if (!p.causal && std::isnan(p.taper_mhz)) p.taper_mhz = 0.25 * (p.high_mhz - p.low_mhz);
      kernel_for<float>(p, f);
      return f;
    }
  }, step);
}

}  // namespace

const char* op_name(const Step& s) { return kOps[s.index()]; }
std::string to_json(const Step& s) { return step_json(s).dump(); }
Step step_from_json(const std::string& text) { return step_from(parse(text)); }

Chain Chain::from_json(const std::string& text) {
  json j = parse(text);
  if (j.is_object() && j.contains("steps")) j = j["steps"];
  require(j.is_array(), "a chain must be a list of steps or an object with \"steps\"");
  Chain c;
  for (const auto& s : j) c.add(step_from(s));
  return c;
}

std::string Chain::to_json() const {
  json steps = json::array();
  for (const auto& s : steps_) steps.push_back(step_json(s));
  return json{{"sapper", "0.1.0"}, {"steps", steps}}.dump();
}

Chain Chain::default_gpr(double antenna_mhz, double dt_ns) {
  check_positive(antenna_mhz, "antenna_mhz");
  check_positive(dt_ns, "dt_ns");
  const double nyq = 1e3 / (2 * dt_ns);
  require(antenna_mhz < nyq, "antenna_mhz = ", antenna_mhz, " must be below Nyquist = ", nyq, " MHz");
  return Chain({RemoveDc{}, Dewow{2e3 / antenna_mhz}, TimeZero{}, Background{},
                Gain{1.0, 0.0, 1e6}, Bandpass{antenna_mhz / 4, std::min(2.5 * antenna_mhz, nyq)}});
}

template <class T>
Processed<T> Chain::apply(ConstView<T> in, const TraceFormat& f0, int threads) const {
  TraceFormat f{in.rows(), f0.dt_ns, f0.time_zero_ns};
  check_format(f);
  const Index m = in.cols();
  Processed<T> r{Matrix<T>(in.rows(), m), f, m, steps_, {}};
  std::vector<Step>& steps = r.steps;  // resolved as they are reached
  bool first = true;                   // the first pass reads `in`; later ones work in place
  auto src = [&] { return first ? in : ConstView<T>(block_view(r.storage.data(), f.n_samples, m)); };
  for (std::size_t i = 0; i < steps.size();) {
    if (auto* bg = std::get_if<Background>(&steps[i])) {
      in_step(i, steps[i], [&] { resolve(steps[i], f); });
      View<T> dst = block_view(r.storage.data(), f.n_samples, m);
      if (bg->window_traces == 0)
        remove_mean_trace<T>(src(), dst, threads);
      else
        moving_background<T>(src(), dst, bg->window_traces, bg->method, threads, bg->causal);
      first = false, ++i;
      continue;
    }
    // a run [i, e) of trace-local steps, cut before a time zero that must first be resolved on data
    std::size_t e = i;
    TraceFormat g = f;
    for (; e < steps.size() && trace_local(steps[e]); ++e) {
      auto* tz = std::get_if<TimeZero>(&steps[e]);
      if (tz && std::isnan(tz->target_ns)) {
        if (e > i) break;
        in_step(e, steps[e], [&] { *tz = resolve_time_zero<T>(src(), f, *tz, threads); });
      }
      g = in_step(e, steps[e], [&] { return resolve(steps[e], g); });
    }
    // writing in place with fewer rows would overrun columns not yet read: keep the stride, compact after
    const bool compact = !first && g.n_samples < f.n_samples;
    View<T> dst = block_view(r.storage.data(), compact ? f.n_samples : g.n_samples, m);
    ConstView<T> x = src();
    parallel_for(m, threads, [&](Index b, Index end) {
      Pipeline<T> p(steps.data() + i, steps.data() + e, f);
      for (Index j = b; j < end; ++j) p.run(x.col(j).data(), dst.col(j).data());
    }, 16);
    if (compact)
      for (Index j = 1; j < m; ++j)
        std::memmove(r.storage.data() + j * g.n_samples, r.storage.data() + j * f.n_samples,
                     sizeof(T) * std::size_t(g.n_samples));
    f = g, first = false, i = e;
  }
  if (first) r.storage = in;
  r.format = f;
  return r;
}

template <class T>
struct Stream<T>::Impl {
  TraceFormat in_f, out_f;
  Index max_block = 0, latency = 0;
  std::vector<Step> steps;
  std::vector<std::unique_ptr<Stage<T>>> stages;
  std::vector<Matrix<T>> bufs;  // the output of every stage but the last

  /// Runs `in` through stages i.. into out (>= in.cols() columns); returns the traces written.
  Index run(std::size_t i, ConstView<T> in, View<T> out) {
    if (in.cols() == 0) return 0;
    if (i + 1 == stages.size()) return stages[i]->process(in, out);
    const Index k = stages[i]->process(in, bufs[i].leftCols(in.cols()));
    return run(i + 1, bufs[i].leftCols(k), out);
  }
};

template <class T>
Stream<T> Chain::stream(const TraceFormat& f0, Index max_block) const {
  auto impl = std::make_unique<typename Stream<T>::Impl>();
  check_format(f0);
  require(max_block >= 1 && max_block <= (Index(1) << 24), "max_block = ", max_block, " must be in [1, 2^24] traces");
  impl->in_f = impl->out_f = f0;
  impl->max_block = max_block;
  impl->steps = steps_;
  auto& steps = impl->steps;
  for (std::size_t i = 0; i < steps.size();) {
    const TraceFormat f = impl->out_f;
    std::unique_ptr<Stage<T>> stage;
    std::size_t e = i + 1;
    if (auto* bg = std::get_if<Background>(&steps[i])) {
      in_step(i, steps[i], [&] {
        resolve(steps[i], f);
        require(bg->window_traces > 0, "a stream cannot remove the global mean trace (window_traces = 0): use a moving window");
      });
      stage = std::make_unique<BackgroundStage<T>>(f.n_samples, *bg);
      stage->out_f = f;
    } else {
      TraceFormat g = f;
      for (e = i; e < steps.size() && trace_local(steps[e]); ++e)
        g = in_step(e, steps[e], [&] {
          auto* tz = std::get_if<TimeZero>(&steps[e]);
          require(!tz || !std::isnan(tz->target_ns), "a stream needs target_ns set (batch apply resolves it as the median first break)");
          return resolve(steps[e], g);
        });
      stage = std::make_unique<PipelineStage<T>>(steps.data() + i, steps.data() + e, f);
      stage->out_f = g;
    }
    impl->out_f = stage->out_f;
    impl->latency += stage->latency();
    impl->stages.push_back(std::move(stage));
    if (e < steps.size()) impl->bufs.emplace_back(impl->out_f.n_samples, max_block);
    i = e;
  }
  return Stream<T>(std::move(impl));
}

template <class T> Stream<T>::Stream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
template <class T> Stream<T>::Stream(Stream&&) noexcept = default;
template <class T> Stream<T>& Stream<T>::operator=(Stream&&) noexcept = default;
template <class T> Stream<T>::~Stream() = default;
template <class T> const TraceFormat& Stream<T>::input_format() const { return impl_->in_f; }
template <class T> const TraceFormat& Stream<T>::output_format() const { return impl_->out_f; }
template <class T> Index Stream<T>::max_block() const { return impl_->max_block; }
template <class T> Index Stream<T>::latency() const { return impl_->latency; }
template <class T> const std::vector<Step>& Stream<T>::steps() const { return impl_->steps; }

template <class T>
void Stream<T>::reset() {
  for (auto& s : impl_->stages) s->reset();
}

template <class T>
Index Stream<T>::process(ConstView<T> in, View<T> out) {
  Impl& s = *impl_;
  require(in.rows() == s.in_f.n_samples && in.cols() <= s.max_block, "stream input block (", in.rows(), ", ",
          in.cols(), ") must have ", s.in_f.n_samples, " samples and at most ", s.max_block, " traces");
  require(out.rows() == s.out_f.n_samples && out.cols() >= in.cols(), "stream output block (", out.rows(), ", ",
          out.cols(), ") must have ", s.out_f.n_samples, " samples and at least ", in.cols(), " traces");
  if (s.stages.empty()) {
    out.leftCols(in.cols()) = in;
    return in.cols();
  }
  return s.run(0, in, out);
}

template <class T>
Index Stream<T>::flush(View<T> out) {
  Impl& s = *impl_;
  require(out.rows() == s.out_f.n_samples && out.cols() >= s.latency, "stream flush block (", out.rows(), ", ",
          out.cols(), ") must have ", s.out_f.n_samples, " samples and at least latency = ", s.latency, " traces");
  Index written = 0;
  for (std::size_t i = 0; i < s.stages.size(); ++i) {  // drain each stage through the ones after it
    const bool last = i + 1 == s.stages.size();
    for (;;) {
      View<T> rest = out.rightCols(out.cols() - written);
      const Index k = last ? s.stages[i]->flush(rest) : s.stages[i]->flush(s.bufs[i]);
      if (k == 0) break;
      written += last ? k : s.run(i + 1, s.bufs[i].leftCols(k), rest);
    }
  }
  reset();
  return written;
}

template Processed<float> Chain::apply<float>(ConstView<float>, const TraceFormat&, int) const;
template Processed<double> Chain::apply<double>(ConstView<double>, const TraceFormat&, int) const;
template Stream<float> Chain::stream<float>(const TraceFormat&, Index) const;
template Stream<double> Chain::stream<double>(const TraceFormat&, Index) const;
template class Stream<float>;
template class Stream<double>;

}  // namespace sapper::gpr
