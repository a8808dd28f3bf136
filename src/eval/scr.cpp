// Signal-to-clutter ratio over a target mask, and the mask from a target-free twin.
#include "sapper/eval/scr.hpp"

#include <cmath>

#include "sapper/core/error.hpp"

namespace sapper::eval {

namespace {

void same_shape(Index r0, Index c0, Index r1, Index c1, const char* a, const char* b) {
  require(r0 == r1 && c0 == c1, a, " has shape (", r0, ", ", c0, ") but ", b, " has (", r1, ", ", c1, ")");
}

template <class T>
void require_finite(ConstView<T> x, const char* name, Index i0, Index i1) {
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = i0; i < i1; ++i)
      require(std::isfinite(x(i, j)), name, " holds ", x(i, j), " at sample ", i, ", trace ", j, ": must be finite");
}

/// [begin, end) rows, validated against n samples.
std::pair<Index, Index> rows(SampleWindow w, Index n) {
  const Index end = w.end < 0 ? n : w.end;
  require(w.begin >= 0 && w.begin < end && end <= n, "window [", w.begin, ", ", w.end, ") must satisfy 0 <= begin < end <= ",
          n, " samples (end -1: to the last sample)");
  return {w.begin, end};
}

}  // namespace

template <class T>
double scr_db(ConstView<T> data, MaskView mask, SampleWindow window) {
  same_shape(data.rows(), data.cols(), mask.rows(), mask.cols(), "data", "mask");
  require(data.size() > 0, "data is empty");
  const auto [i0, i1] = rows(window, data.rows());
  require_finite<T>(data, "data", i0, i1);
  double e_in = 0, e_out = 0;
  Index n_in = 0, n_out = 0;
  for (Index j = 0; j < data.cols(); ++j)
    for (Index i = i0; i < i1; ++i) {
      const double v = double(data(i, j)) * double(data(i, j));
      if (mask(i, j))
        e_in += v, ++n_in;
      else
        e_out += v, ++n_out;
    }
  require(n_in > 0, "the mask holds no sample in rows [", i0, ", ", i1, "): no target to measure");
  require(n_out > 0, "the mask covers every sample in rows [", i0, ", ", i1, "): no clutter to measure");
  return 10 * std::log10((e_in / double(n_in)) / (e_out / double(n_out)));
}

template <class T>
Mask target_mask(ConstView<T> scene, ConstView<T> twin, double level_db) {
  same_shape(scene.rows(), scene.cols(), twin.rows(), twin.cols(), "scene", "twin");
  require(std::isfinite(level_db) && level_db <= 0, "level_db = ", level_db, " dB must be finite and <= 0");
  require_finite<T>(scene, "scene", 0, scene.rows());
  require_finite<T>(twin, "twin", 0, twin.rows());
  const auto d = (scene.template cast<double>() - twin.template cast<double>()).cwiseAbs().eval();
  const double peak = d.size() ? d.maxCoeff() : 0.0;
  require(peak > 0, "scene and twin are identical: there is no target signature");
  return (d.array() >= std::pow(10.0, level_db / 20) * peak).matrix();
}

template <class T>
double scr_gain_db(ConstView<T> raw, ConstView<T> processed, MaskView mask, SampleWindow window) {
  same_shape(raw.rows(), raw.cols(), processed.rows(), processed.cols(), "raw", "processed");
  return scr_db<T>(processed, mask, window) - scr_db<T>(raw, mask, window);
}

#define SAPPER_EVAL_SCR(T)                                                          \
  template double scr_db<T>(ConstView<T>, MaskView, SampleWindow);                 \
  template Mask target_mask<T>(ConstView<T>, ConstView<T>, double);                 \
  template double scr_gain_db<T>(ConstView<T>, ConstView<T>, MaskView, SampleWindow);
SAPPER_EVAL_SCR(float)
SAPPER_EVAL_SCR(double)
#undef SAPPER_EVAL_SCR

}  // namespace sapper::eval
