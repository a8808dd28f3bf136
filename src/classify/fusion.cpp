// Fusion of GPR and magnetometer alarms: greedy nearest association within a halo, naive-Bayes
// combination of the sensors' class probabilities (an alarm's likelihood ratio, or a covering
// sensor's miss probability).
#include "sapper/classify/fusion.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace sapper::classify {
namespace {

std::vector<double> checked(const std::vector<double>& v, std::vector<double> fallback, std::size_t K, const char* name,
                            bool probability) {
  if (v.empty()) return fallback;
  require(v.size() == K, name, " has ", v.size(), " entries for ", K, " classes");
  for (std::size_t k = 0; k < K; ++k) {
    require(std::isfinite(v[k]) && v[k] >= 0 && (!probability || v[k] <= 1), name, "[", k, "] = ", v[k],
            probability ? " must be in [0, 1]" : " must be finite and >= 0");
  }
  return v;
}

std::vector<double> normalised(std::vector<double> v, const char* name) {
  const double s = std::accumulate(v.begin(), v.end(), 0.0);
  require(s > 0, name, " sums to 0");
  for (double& x : v) x /= s;
  return v;
}

void check_alarms(const std::vector<SensorAlarm>& a, std::size_t K, const char* name) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    require(std::isfinite(a[i].x) && std::isfinite(a[i].y), name, "[", i, "] position (", a[i].x, ", ", a[i].y,
            ") must be finite");
    require(a[i].proba.size() == K, name, "[", i, "] has ", a[i].proba.size(), " probabilities for ", K, " classes");
    for (std::size_t k = 0; k < K; ++k)
      require(std::isfinite(a[i].proba[k]) && a[i].proba[k] >= 0, name, "[", i, "].proba[", k, "] = ", a[i].proba[k],
              " must be finite and >= 0");
  }
}

/// The label agrees with the confidence: clutter when it holds at least half the probability,
/// else the most probable threat class (an alarm of confidence 0.6 is never called clutter).
/// Without a clutter class (clutter index out of range): the most probable class.
std::size_t decide(const std::vector<double>& p, std::ptrdiff_t clutter) {
  const bool has = clutter >= 0 && std::size_t(clutter) < p.size();
  if (has && p[std::size_t(clutter)] >= 0.5) return std::size_t(clutter);
  std::size_t best = has && clutter == 0 ? 1 : 0;
  for (std::size_t k = 0; k < p.size(); ++k)
    if ((!has || k != std::size_t(clutter)) && p[k] > p[best]) best = k;
  return best;
}

}  // namespace

std::vector<FusedAlarm> fuse(const std::vector<SensorAlarm>& gpr, const std::vector<SensorAlarm>& mag,
                             const FusionOptions& o) {
  const std::size_t K = o.classes.size();
  require(K >= 1, "classes is empty");
  require(std::isfinite(o.halo_m) && o.halo_m >= 0, "halo_m = ", o.halo_m, " must be finite and >= 0");
  require(o.gpr_position_weight >= 0 && o.gpr_position_weight <= 1, "gpr_position_weight = ", o.gpr_position_weight,
          " must be in [0, 1]");
  const std::vector<double> prior =
      normalised(checked(o.prior, std::vector<double>(K, 1.0), K, "prior", false), "prior");
  struct Sensor {
    std::vector<double> prior, miss;
    bool covers;
  };
  auto sensor = [&](const SensorModel& s, const char* prior_name, const char* pd_name) {
    Sensor r{normalised(checked(s.prior, prior, K, prior_name, false), prior_name),
             checked(s.pd, std::vector<double>(K, 0.0), K, pd_name, true), s.covers};
    for (double& p : r.miss) p = s.covers ? 1 - p : 1;
    return r;
  };
  const Sensor sg = sensor(o.gpr, "gpr.prior", "gpr.pd"), sm = sensor(o.mag, "mag.prior", "mag.pd");
  check_alarms(gpr, K, "gpr"), check_alarms(mag, K, "mag");

  // greedy association in increasing distance
  std::vector<std::tuple<double, Index, Index>> pairs;
  for (std::size_t i = 0; i < gpr.size(); ++i)
    for (std::size_t j = 0; j < mag.size(); ++j) {
      const double dist = std::hypot(gpr[i].x - mag[j].x, gpr[i].y - mag[j].y);
      if (dist <= o.halo_m) pairs.emplace_back(dist, Index(i), Index(j));
    }
  std::sort(pairs.begin(), pairs.end());
  std::vector<Index> mag_of(gpr.size(), -1), gpr_of(mag.size(), -1);
  for (const auto& [dist, i, j] : pairs)
    if (mag_of[i] < 0 && gpr_of[j] < 0) mag_of[i] = j, gpr_of[j] = i;

  const auto clutter = std::find(o.classes.begin(), o.classes.end(), o.clutter_label);
  auto make = [&](Index i, Index j) {
    FusedAlarm f;
    f.gpr = i, f.mag = j;
    const double w = i < 0 ? 0.0 : j < 0 ? 1.0 : o.gpr_position_weight;
    f.x = (i < 0 ? 0 : w * gpr[i].x) + (j < 0 ? 0 : (1 - w) * mag[j].x);
    f.y = (i < 0 ? 0 : w * gpr[i].y) + (j < 0 ? 0 : (1 - w) * mag[j].y);
    f.proba.resize(K);
    double total = 0;
    for (std::size_t k = 0; k < K; ++k) {
      const double lg = i >= 0 ? gpr[i].proba[k] / sg.prior[k] : sg.miss[k];
      const double lm = j >= 0 ? mag[j].proba[k] / sm.prior[k] : sm.miss[k];
      // a class the sensor's classifier never saw (prior 0) gets no evidence from it
      const double g = std::isfinite(lg) ? lg : 1.0, m = std::isfinite(lm) ? lm : 1.0;
      total += (f.proba[k] = prior[k] * g * m);
    }
    if (total > 0)
      for (double& p : f.proba) p /= total;
    else
      f.proba = prior;  // contradictory evidence
    f.label = o.classes[decide(f.proba, clutter - o.classes.begin())];
    f.confidence = clutter != o.classes.end() ? 1 - f.proba[clutter - o.classes.begin()]
                                              : *std::max_element(f.proba.begin(), f.proba.end());
    return f;
  };
  std::vector<FusedAlarm> out;
  for (std::size_t i = 0; i < gpr.size(); ++i) out.push_back(make(Index(i), mag_of[i]));
  for (std::size_t j = 0; j < mag.size(); ++j)
    if (gpr_of[j] < 0) out.push_back(make(-1, Index(j)));
  return out;
}

std::vector<eval::Alarm> to_eval_alarms(const std::vector<FusedAlarm>& fused) {
  std::vector<eval::Alarm> a;
  a.reserve(fused.size());
  for (const auto& f : fused) a.push_back({f.x, f.y, f.confidence, f.label});
  return a;
}

}  // namespace sapper::classify
