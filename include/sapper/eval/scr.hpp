// sapper::eval clutter-suppression metrics: signal-to-clutter ratio of a B-scan over a target mask.
// Definitions: docs/eval.md.
#pragma once

#include "sapper/core/types.hpp"

namespace sapper::eval {

/// Boolean samples x traces mask (true: the target's signature).
using Mask = Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using MaskView = Eigen::Ref<const Mask, 0, Eigen::OuterStride<>>;

/// Rows [begin, end) of a B-scan (end = -1: to the last sample), e.g. to leave out the air above ground.
struct SampleWindow {
  Index begin = 0;
  Index end = -1;
};

/// SCR(Y, M) = 10 log10( mean over M of Y^2 / mean over not-M of Y^2 ), dB, over the rows of `window`.
/// Throws ValueError on a shape mismatch, a bad window, NaN/Inf in the window (naming the first
/// sample and trace), or a window where the mask or its complement is empty. Accumulates in double.
template <class T>
double scr_db(ConstView<T> data, MaskView mask, SampleWindow window = {});

/// M = |scene - twin| >= 10^(level_db/20) max|scene - twin|: where the target's own signature is
/// within level_db (<= 0) of its peak. Throws ValueError on a shape mismatch, NaN/Inf, or if scene
/// equals twin everywhere.
template <class T>
Mask target_mask(ConstView<T> scene, ConstView<T> twin, double level_db = -20);

/// scr_db(processed) - scr_db(raw), dB: how much processing raised the target above the clutter.
template <class T>
double scr_gain_db(ConstView<T> raw, ConstView<T> processed, MaskView mask, SampleWindow window = {});

#define SAPPER_EVAL_SCR(T)                                                                        \
  extern template double scr_db<T>(ConstView<T>, MaskView, SampleWindow);                        \
  extern template Mask target_mask<T>(ConstView<T>, ConstView<T>, double);                        \
  extern template double scr_gain_db<T>(ConstView<T>, ConstView<T>, MaskView, SampleWindow);
SAPPER_EVAL_SCR(float)
SAPPER_EVAL_SCR(double)
#undef SAPPER_EVAL_SCR

}  // namespace sapper::eval
