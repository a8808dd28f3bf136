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

// ---- streaming stages ----

template <class T>
struct Stage {
  TraceFormat out_f;
  virtual ~Stage() = default;
  virtual Index latency() const { return 0; }
  virtual Index process(ConstView<T> in, View<T> out) = 0;  // writes <= in.cols() traces
  virtual Index flush(View<T>) { return 0; }                // writes <= out.cols() held traces
  virtual void reset() {}
};

template <class T, class K>
struct KernelStage final : Stage<T> {
  K k;
  decltype(k.work()) w;
  explicit KernelStage(K kernel) : k(std::move(kernel)), w(k.work()) {}
  Index process(ConstView<T> in, View<T> out) override {
    for (Index j = 0; j < in.cols(); ++j) k(in.col(j).data(), out.col(j).data(), w);
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

template <class T> DcKernel<T> kernel_for(const RemoveDc& p, const TraceFormat& f) { return DcKernel<T>::make(f, p); }
template <class T> DewowKernel<T> kernel_for(const Dewow& p, const TraceFormat& f) { return DewowKernel<T>::make(f, p); }
template <class T> GainKernel<T> kernel_for(const Gain& p, const TraceFormat& f) { return GainKernel<T>::make(f, p); }
template <class T> GainKernel<T> kernel_for(const Agc& p, const TraceFormat& f) { return GainKernel<T>::make(f, p); }
template <class T> BandpassKernel<T> kernel_for(const Bandpass& p, const TraceFormat& f) { return BandpassKernel<T>::make(f, p); }
template <class T> EnvelopeKernel<T> kernel_for(const Envelope& p, const TraceFormat& f) { return EnvelopeKernel<T>::make(f, p); }

/// The stage of one resolved step for traces of format f.
template <class T>
std::unique_ptr<Stage<T>> make_stage(const Step& step, const TraceFormat& f) {
  return std::visit([&](const auto& p) -> std::unique_ptr<Stage<T>> {
    using S = std::decay_t<decltype(p)>;
    std::unique_ptr<Stage<T>> s;
    if constexpr (std::is_same_v<S, Background>) {
      check_background(p);
      require(p.window_traces > 0, "a stream cannot remove the global mean trace (window_traces = 0): use a moving window");
      s = std::make_unique<BackgroundStage<T>>(f.n_samples, p);
      s->out_f = f;
    } else if constexpr (std::is_same_v<S, TimeZero>) {
      require(!std::isnan(p.target_ns), "a stream needs target_ns set (batch apply resolves it as the median first break)");
      s = std::make_unique<KernelStage<T, TimeZeroKernel<T>>>(TimeZeroKernel<T>::make(f, p));
      s->out_f = time_zero_format(f, p);
    } else {
      s = std::make_unique<KernelStage<T, decltype(kernel_for<T>(p, f))>>(kernel_for<T>(p, f));
      s->out_f = f;
    }
    return s;
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
  Processed<T> r{Matrix<T>(in.rows(), m), f, m, {}};
  if (steps_.empty()) {
    r.storage = in;
    return r;
  }
  bool first = true;  // the first step reads `in`; the others work in place in r.storage
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    Step step = steps_[i];
    ConstView<T> src = first ? in : ConstView<T>(block_view(r.storage.data(), f.n_samples, m));
    View<T> dst = block_view(r.storage.data(), f.n_samples, m);
    in_step(i, step, [&] {
      std::visit([&](auto& p) {
        using S = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<S, TimeZero>) {
          p = resolve_time_zero<T>(src, f, p, threads);
          const TraceFormat g = time_zero_format(f, p);
          TimeZero shift = p;
          shift.crop = false;  // shift in place, then drop the leading rows column by column
          time_zero<T>(src, dst, f, shift, threads);
          if (g.n_samples < f.n_samples) {
            const Index c = f.n_samples - g.n_samples;
            for (Index j = 0; j < m; ++j)
              std::memmove(r.storage.data() + j * g.n_samples, r.storage.data() + j * f.n_samples + c,
                           sizeof(T) * std::size_t(g.n_samples));
          }
          f = g;
        } else if constexpr (std::is_same_v<S, Background>) {
          check_background(p);
          if (p.window_traces == 0)
            remove_mean_trace<T>(src, dst, threads);
          else
            moving_background<T>(src, dst, p.window_traces, p.method, threads, p.causal);
        } else {
          run_tracewise(kernel_for<T>(p, f), src, dst, threads);
          if constexpr (std::is_same_v<S, Bandpass>)  // record the default taper
            if (!p.causal && std::isnan(p.taper_mhz)) p.taper_mhz = 0.25 * (p.high_mhz - p.low_mhz);
        }
      }, step);
    });
    r.steps.push_back(step);
    first = false;
  }
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
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    Step& step = impl->steps[i];
    if (auto* p = std::get_if<Bandpass>(&step); p && !p->causal && std::isnan(p->taper_mhz))
      p->taper_mhz = 0.25 * (p->high_mhz - p->low_mhz);
    if (auto* p = std::get_if<TimeZero>(&step); p && !std::isnan(p->target_ns))
      p->target_ns = std::round(p->target_ns / impl->out_f.dt_ns) * impl->out_f.dt_ns;
    auto stage = in_step(i, step, [&] { return make_stage<T>(step, impl->out_f); });
    impl->out_f = stage->out_f;
    impl->latency += stage->latency();
    if (i + 1 < steps_.size()) impl->bufs.emplace_back(impl->out_f.n_samples, max_block);
    impl->stages.push_back(std::move(stage));
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
