// sapper::detect context features: what one channel's feature window does not show about a GPR
// alarm (the echo's waveform, its neighbours across and along track, and how it ranks among the
// lane's alarms). The shipped GPR model reads them after the window features (sapper.pipeline,
// docs/detect.md); the definitions are sapper.pipeline.context_features's. Also the chain's last
// step, merge_alarms (sapper.pipeline.merge_alarms).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/detect/alarm.hpp"

namespace sapper::detect {

/// Per alarm (trace t, channel c, sample s), on w = the mean of traces t-1..t+1 of channel c
/// (clipped at the record's ends), s0 = the first index of the largest |w| within `search`
/// samples of s, p = |w(s0)| + 1e-30, seg = w(s0 - half .. s0 + 2 half - 1) (zero outside):
/// - wf_0 .. wf_{3 half / step - 1}: seg / p averaged over `step` samples; wf_sign = sign w(s0);
///   wf_amp_db = 20 log10(p / (median |channel c| + 1e-30));
/// - nb_max, nb_min: max |v| over s +- search / p of the neighbouring channels' 3-trace means v,
///   nb_corr: the largest normalised correlation of their segment (at s0) with seg (0 without a
///   neighbouring channel);
/// - along_3, along_6: mean over t -+ d (inside the record) of max |w_t+-d| over s0 +- 2 search / p;
/// - lane_score_pct, lane_amp_pct: (rank + 0.5) / n of the alarm's score and p among the alarms
///   (stable rank: ties in index order);
/// - local_n: alarms with hypot(dx, dy) <= local_m (x_m, y_m) less one; local_rel: the score over
///   the largest of theirs (and 0 when some alarm is farther).
/// Non-finite results are set to 0.
struct ContextOptions {
  Index half = 32;      ///< samples before the peak; the segment is 3 half long
  Index step = 4;       ///< samples averaged per waveform feature (divides 3 half)
  Index search = 16;    ///< samples either side of the alarm's sample searched for the peak
  double local_m = 0.3; ///< radius of the local neighbourhood, m
};

/// Names of the context features, in order (3 half / step + 11).
std::vector<std::string> context_feature_names(const ContextOptions& opt = {});

/// Context features of the alarms of a C-scan given as one n_samples x n_traces B-scan per channel
/// (equal shapes, finite; float data are read as double): n_alarms x names, row per alarm.
/// threads workers (0 = all cores; the same numbers for any count). Throws ValueError on invalid
/// options, unequal or empty channels, non-finite data, or an alarm outside the C-scan.
template <class T>
Matrix<double> context_features(std::span<const ConstView<T>> channels, std::span<const GprAlarm> alarms,
                                const ContextOptions& opt = {}, int threads = 0);

/// Greedy non-maximum suppression of alarms on their confidence: alarms are taken in decreasing
/// confidence (ties and NaN: input order, NaN last); one with (x - x_k)^2 + (y - y_k)^2 <= r_k^2
/// for an alarm k already kept (r_k its radius, m) is dropped. radius_m: one per alarm or one for
/// all. Returns the kept indices in input order. Throws ValueError on unequal sizes or a radius
/// that is not >= 0.
std::vector<Index> merge_alarms(std::span<const double> x, std::span<const double> y,
                                std::span<const double> confidence, std::span<const double> radius_m);

#define SAPPER_CONTEXT_EXTERN(T)                                                                           \
  extern template Matrix<double> context_features<T>(std::span<const ConstView<T>>, std::span<const GprAlarm>, \
                                                     const ContextOptions&, int);
SAPPER_CONTEXT_EXTERN(float)
SAPPER_CONTEXT_EXTERN(double)
#undef SAPPER_CONTEXT_EXTERN

}  // namespace sapper::detect
