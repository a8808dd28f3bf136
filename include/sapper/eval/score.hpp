// sapper::eval scoring: alarms matched to buried targets within halos, the way demining trials
// score a detector (Pd against false alarms per m^2). Definitions: docs/eval.md.
#pragma once

#include <array>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/sim/truth.hpp"

namespace sapper::eval {

/// One declaration of a detector. x, y in m (the truth's frame); higher confidence = more sure.
/// label: "" (none) or a truth label ("ap_mine", "at_mine", "uxo", "clutter").
struct Alarm {
  double x = 0, y = 0, confidence = 0;
  std::string label;
};

/// Halo radius (m) of a truth object: an alarm within it (distance <= halo) is on the object.
/// size > large_size_m: size/2 + margin_m (the object's footprint plus a margin; equal to large_m at
/// the default 0.6 m, so the rule is continuous); else ap_m for AP mines and clutter, large_m for
/// AT mines and UXO.
struct HaloRule {
  double ap_m = 0.25;
  double large_m = 0.5;
  double large_size_m = 0.6;
  double margin_m = 0.2;
};

/// Halo of `o` under `rule` (no overrides). Throws ValueError if the rule is invalid.
double halo_radius(const sim::TruthObject& o, const HaloRule& rule = {});

struct ScoreOptions {
  HaloRule halo;
  /// (object id, halo m) pairs that replace the rule for those objects.
  std::vector<std::pair<int, double>> halo_by_id;
  /// An alarm only within halos of targets already detected by a more confident alarm is a false
  /// alarm (true) or not scored at all (false).
  bool duplicates_are_false_alarms = true;
  /// FA/m^2 at which Pd is reported.
  std::vector<double> fa_rates{0.001, 0.01, 0.1};
  /// Upper FAR limit (FA/m^2) of the normalised partial AUC.
  double max_far = 0.1;
  /// Two-sided coverage of the Clopper-Pearson intervals.
  double confidence_level = 0.95;
  /// Depth bin edges (m, increasing; bins [e_k, e_k+1)) of the breakdown.
  std::vector<double> depth_bins{0, 0.05, 0.10, 0.15, 0.20, 0.30, std::numeric_limits<double>::infinity()};
  /// Operating threshold of the breakdowns and the confusion matrix; default: the threshold of the
  /// Pd at `operating_far`.
  std::optional<double> threshold;
  double operating_far = 0.01;
};

/// Two-sided confidence interval of a proportion.
struct Interval {
  double lo = 0, hi = 1;
};

/// Pd against FAR over every threshold: point k holds the alarms with confidence >= threshold[k].
/// Point 0 is threshold = +inf (no alarm); then one point per distinct confidence, decreasing.
struct Roc {
  std::vector<double> threshold, pd, far;
  std::vector<Index> n_detected, n_false;
};

/// The detector run at one threshold.
struct OperatingPoint {
  double rate = 0;  ///< requested FA/m^2 (NaN when the point was chosen by threshold)
  double threshold = std::numeric_limits<double>::infinity();
  double pd = 0, far = 0;
  Index n_detected = 0, n_false = 0;
  Interval pd_ci;
};

/// Detection of one group of targets (a type, a label or a depth bin) at the operating threshold.
struct Group {
  std::string name;
  Index n_targets = 0, n_detected = 0;
  double pd = 0;
  Interval pd_ci;
};

/// Per truth object, over all alarms: the most confident alarm that detected it. The object is
/// detected at threshold tau iff alarm >= 0 and confidence >= tau. Clutter is never detected.
struct TargetOutcome {
  Index alarm = -1;  ///< index into the input alarms
  double distance = std::numeric_limits<double>::quiet_NaN();    ///< m
  double confidence = std::numeric_limits<double>::quiet_NaN();  ///< of that alarm
  double halo = 0;                                               ///< m
};

/// Per input alarm. A detection has target >= 0; a duplicate has duplicate_of >= 0; any other
/// scored alarm is a false alarm, with clutter >= 0 when it lies within a clutter object's halo.
struct AlarmOutcome {
  Index target = -1;        ///< index into truth.objects of the target it detected
  Index duplicate_of = -1;  ///< nearest already-detected target whose halo holds it
  Index clutter = -1;       ///< nearest clutter object whose halo holds this false alarm
  bool outside = false;     ///< outside the surveyed area: not scored
  double distance = std::numeric_limits<double>::quiet_NaN();  ///< m to target/duplicate_of/clutter
};

/// Rows of the confusion matrix: what the alarm lies on.
inline constexpr std::array<const char*, 5> kConfusionRows{"ap_mine", "at_mine", "uxo", "false_alarm", "on_clutter"};
/// Columns: the alarm's label ("none" = "").
inline constexpr std::array<const char*, 5> kConfusionCols{"ap_mine", "at_mine", "uxo", "clutter", "none"};

struct Score {
  Index n_targets = 0;  ///< truth objects that are not clutter
  Index n_alarms = 0, n_scored = 0, n_outside = 0;
  double area_m2 = 0;
  Roc roc;
  std::vector<OperatingPoint> at_rates;  ///< one per ScoreOptions::fa_rates
  double max_far = 0, pauc = 0;          ///< normalised partial AUC over [0, max_far]
  OperatingPoint operating;              ///< at the operating threshold
  Index n_false_on_clutter = 0;          ///< false alarms on clutter at the operating threshold
  std::vector<Group> by_type, by_label, by_depth;
  std::vector<TargetOutcome> targets;  ///< one per truth object
  std::vector<AlarmOutcome> alarms;    ///< one per input alarm
  bool has_labels = false;             ///< some alarm carries a label
  /// [row][col] at the operating threshold (all zero unless has_labels); rows kConfusionRows, cols
  /// kConfusionCols. Duplicates count as false_alarm when they are false alarms, else not at all.
  std::array<std::array<Index, 5>, 5> confusion{};
};

/// Scores `alarms` against `truth`. Throws ValueError naming the bad value (non-finite coordinate or
/// confidence, unknown alarm label, empty area, negative halo, bad option). Thread safety: pure.
/// Cost: O(A log A + A k) for A alarms and k objects per grid cell.
Score score(std::span<const Alarm> alarms, const sim::Truth& truth, const ScoreOptions& opt = {});

/// The detector run at `threshold` (alarms with confidence >= threshold), from a scored result.
OperatingPoint operating_point(const Score& s, double threshold, double confidence_level = 0.95);

/// Regularised incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1.
double beta_inc(double a, double b, double x);
/// Inverse of beta_inc in x: the p-quantile of the Beta(a, b) distribution, 0 <= p <= 1.
double beta_inc_inv(double a, double b, double p);
/// Clopper-Pearson ("exact") interval of k successes in n trials at two-sided coverage `level`.
/// n = 0 gives [0, 1].
Interval clopper_pearson(Index k, Index n, double level = 0.95);

}  // namespace sapper::eval
