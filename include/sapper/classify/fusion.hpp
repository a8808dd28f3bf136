// sapper::classify fusion: GPR alarms and magnetometer targets associated by location and their
// class probabilities combined by a naive-Bayes rule into one alarm list. docs/classify.md.
#pragma once

#include <string>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/eval/score.hpp"

namespace sapper::classify {

/// One sensor's alarm: position (m) and its classifier's class probabilities (over
/// FusionOptions::classes, in that order).
struct SensorAlarm {
  double x = 0, y = 0;
  std::vector<double> proba;
};

/// What the fusion rule knows about one sensor (all vectors over FusionOptions::classes).
struct SensorModel {
  /// The sensor surveyed the area: its silence at an alarm of the other sensor is evidence.
  /// false: the sensor is absent and contributes nothing.
  bool covers = true;
  /// Class prior of the sensor's classifier (its training class fractions); empty = the fusion prior.
  std::vector<double> prior;
  /// P(this sensor raises an alarm | an object of class c is there), in [0, 1]; empty = all 0
  /// (silence says nothing). The magnetometer's is near 0 for minimum-metal AP mines.
  std::vector<double> pd;
};

struct FusionOptions {
  std::vector<std::string> classes{"ap_mine", "at_mine", "uxo", "clutter"};
  /// P(c) at a location where some sensor alarms; empty = uniform.
  std::vector<double> prior;
  SensorModel gpr, mag;
  /// Association radius, m: a GPR and a magnetometer alarm at most this far apart are one object.
  double halo_m = 0.3;
  /// Weight of the GPR position in the position of an associated pair (1 = GPR's, 0 = mag's).
  double gpr_position_weight = 0.5;
  /// Class whose probability is not a threat: confidence = 1 - P(clutter_label). When it is not
  /// one of classes: confidence = the largest class probability.
  std::string clutter_label = "clutter";
};

/// One fused alarm. gpr / mag: index of the contributing alarm of each sensor, -1 = none.
struct FusedAlarm {
  double x = 0, y = 0;
  std::vector<double> proba;  ///< over FusionOptions::classes, sums to 1
  double confidence = 0;
  std::string label;          ///< clutter if P(clutter) >= 0.5, else the most probable other class
  Index gpr = -1, mag = -1;
};

/// Association: every (GPR, mag) pair within halo_m is a candidate; pairs are taken in increasing
/// distance (ties: lower GPR index, then lower mag index) when neither alarm is taken yet. Output:
/// one alarm per GPR alarm in input order (with its associated mag alarm, if any), then the
/// unassociated mag alarms in input order. Position: gpr_position_weight * GPR + (1 - it) * mag.
/// Rule: P(c | evidence) ∝ prior(c) * L_gpr(c) * L_mag(c) with L_s(c) = p_s(c) / prior_s(c) when
/// sensor s alarmed (1 where prior_s(c) = 0: its classifier cannot speak of c), 1 - pd_s(c) when
/// it covers the area but did not alarm, 1 when it does not cover it. When every class gets 0
/// (contradictory evidence) the result is the prior. Throws ValueError on
/// bad options or alarms (probabilities not finite, negative or of the wrong length; positions
/// not finite). Pure function.
std::vector<FusedAlarm> fuse(const std::vector<SensorAlarm>& gpr, const std::vector<SensorAlarm>& mag,
                             const FusionOptions& opt = {});

/// The fused alarms as eval alarms (x, y, confidence, label) for eval::score.
std::vector<eval::Alarm> to_eval_alarms(const std::vector<FusedAlarm>& fused);

}  // namespace sapper::classify
