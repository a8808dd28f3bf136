// Halo matching of alarms to targets in decreasing confidence, ROC in one pass, summaries.
#include "sapper/eval/score.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "sapper/core/error.hpp"

namespace sapper::eval {

namespace {

using sim::Label;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Column of an alarm label in the confusion matrix (kConfusionCols); throws on an unknown label.
int label_column(const std::string& s) {
  return s.empty() ? 4 : static_cast<int>(sim::parse_label(s));
}

void validate_rule(const HaloRule& r) {
  require(std::isfinite(r.ap_m) && r.ap_m >= 0, "halo ap_m = ", r.ap_m, " m must be finite and >= 0");
  require(std::isfinite(r.large_m) && r.large_m >= 0, "halo large_m = ", r.large_m, " m must be finite and >= 0");
  require(r.large_size_m >= 0 && !std::isnan(r.large_size_m), "halo large_size_m = ", r.large_size_m,
          " m must be >= 0 (inf: never)");
  require(std::isfinite(r.margin_m) && r.margin_m >= 0, "halo margin_m = ", r.margin_m, " m must be finite and >= 0");
}

double rule_halo(const sim::TruthObject& o, const HaloRule& r) {
  if (o.size > r.large_size_m) return o.size / 2 + r.margin_m;
  return (o.label == Label::AtMine || o.label == Label::Uxo) ? r.large_m : r.ap_m;
}

void validate(std::span<const Alarm> alarms, const sim::Truth& t, const ScoreOptions& o) {
  const auto& a = t.area;
  require(std::isfinite(a.x0) && std::isfinite(a.x1) && std::isfinite(a.y0) && std::isfinite(a.y1) && a.x1 > a.x0 &&
              a.y1 > a.y0,
          "area [", a.x0, ", ", a.x1, "] x [", a.y0, ", ", a.y1, "] m must be finite with x1 > x0 and y1 > y0");
  for (std::size_t i = 0; i < t.objects.size(); ++i) {
    const auto& b = t.objects[i];
    require(std::isfinite(b.x) && std::isfinite(b.y), "truth object ", i, " (id ", b.id, ") has x = ", b.x,
            ", y = ", b.y, ": must be finite");
    require(std::isfinite(b.depth), "truth object ", i, " (id ", b.id, ") has depth = ", b.depth, ": must be finite");
    require(std::isfinite(b.size) && b.size >= 0, "truth object ", i, " (id ", b.id, ") has size = ", b.size,
            ": must be finite and >= 0");
  }
  for (std::size_t i = 0; i < alarms.size(); ++i) {
    const auto& l = alarms[i];
    require(std::isfinite(l.x) && std::isfinite(l.y), "alarm ", i, " has x = ", l.x, ", y = ", l.y,
            ": must be finite");
    require(std::isfinite(l.confidence), "alarm ", i, " has confidence = ", l.confidence, ": must be finite");
    try {
      label_column(l.label);
    } catch (const ValueError& e) {
      throw ValueError(detail::concat("alarm ", i, ": ", e.what()));
    }
  }
  validate_rule(o.halo);
  for (const auto& [id, h] : o.halo_by_id) {
    require(std::isfinite(h) && h >= 0, "halo of object id ", id, " = ", h, " m must be finite and >= 0");
    require(std::any_of(t.objects.begin(), t.objects.end(), [id = id](const auto& b) { return b.id == id; }),
            "halo given for object id ", id, ", which is not in the truth");
  }
  for (double r : o.fa_rates) require(std::isfinite(r) && r >= 0, "fa_rate = ", r, " FA/m^2 must be finite and >= 0");
  require(std::isfinite(o.max_far) && o.max_far > 0, "max_far = ", o.max_far, " FA/m^2 must be positive and finite");
  require(o.confidence_level > 0 && o.confidence_level < 1, "confidence_level = ", o.confidence_level,
          " must lie in (0, 1)");
  require(o.depth_bins.size() >= 2, "depth_bins needs at least 2 edges, got ", o.depth_bins.size());
  for (std::size_t k = 0; k < o.depth_bins.size(); ++k) {
    require(!std::isnan(o.depth_bins[k]), "depth_bins[", k, "] is NaN");
    require(k == 0 || o.depth_bins[k] > o.depth_bins[k - 1], "depth_bins must increase: [", k, "] = ",
            o.depth_bins[k], " after ", o.depth_bins[k ? k - 1 : 0]);
  }
  require(!o.threshold || !std::isnan(*o.threshold), "threshold is NaN");
  require(std::isfinite(o.operating_far) && o.operating_far >= 0, "operating_far = ", o.operating_far,
          " FA/m^2 must be finite and >= 0");
}

/// Objects bucketed on a uniform grid over the area: each object is listed in every cell that its
/// halo's bounding box touches, so an alarm only looks at the objects of its own cell.
class Grid {
 public:
  Grid(const sim::Truth& t, const std::vector<double>& halo) : a_(t.area) {
    const std::size_t n = halo.size();
    std::vector<double> h(halo);
    double typical = 0;
    if (n) {
      std::nth_element(h.begin(), h.begin() + std::ptrdiff_t(n / 2), h.end());
      typical = h[n / 2];
    }
    // cells about one halo diameter wide, but never more than ~4 cells per object (or 1024)
    const double max_cells = std::max(1024.0, 4.0 * double(n));
    const double cell = std::max(2 * typical, std::sqrt(a_.size_m2() / max_cells));
    const auto count = [&](double len) { return std::clamp<Index>(Index(std::ceil(len / cell)), 1, 4096); };
    nx_ = count(a_.x1 - a_.x0);
    ny_ = count(a_.y1 - a_.y0);
    cx_ = (a_.x1 - a_.x0) / double(nx_);
    cy_ = (a_.y1 - a_.y0) / double(ny_);
    // two passes (count, fill) into one flat array: start_[c] .. start_[c+1] are cell c's objects
    start_.assign(std::size_t(nx_ * ny_ + 1), 0);
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = 0; i < n; ++i) {
        const auto& o = t.objects[i];
        if (o.x + halo[i] < a_.x0 || o.x - halo[i] > a_.x1 || o.y + halo[i] < a_.y0 || o.y - halo[i] > a_.y1)
          continue;  // no scored alarm can reach it
        const Index i0 = ix(o.x - halo[i]), i1 = ix(o.x + halo[i]), j0 = iy(o.y - halo[i]), j1 = iy(o.y + halo[i]);
        for (Index jy = j0; jy <= j1; ++jy)
          for (Index jx = i0; jx <= i1; ++jx) {
            const auto c = std::size_t(jy * nx_ + jx);
            if (pass == 0)
              ++start_[c + 1];
            else
              items_[std::size_t(fill_[c]++)] = Index(i);
          }
      }
      if (pass == 0) {
        std::partial_sum(start_.begin(), start_.end(), start_.begin());
        items_.resize(std::size_t(start_.back()));
        fill_.assign(start_.begin(), start_.end() - 1);
      }
    }
  }

  /// Objects (in increasing index) that may hold (x, y), a point inside the area.
  std::span<const Index> near(double x, double y) const {
    const auto c = std::size_t(iy(y) * nx_ + ix(x));
    return {items_.data() + start_[c], std::size_t(start_[c + 1] - start_[c])};
  }

 private:
  Index ix(double x) const { return std::clamp<Index>(Index(std::floor((x - a_.x0) / cx_)), 0, nx_ - 1); }
  Index iy(double y) const { return std::clamp<Index>(Index(std::floor((y - a_.y0) / cy_)), 0, ny_ - 1); }

  sim::Area a_;
  Index nx_ = 1, ny_ = 1;
  double cx_ = 1, cy_ = 1;
  std::vector<Index> start_, fill_, items_;
};

double ratio(Index k, Index n) { return n ? double(k) / double(n) : kNaN; }

/// Index of the last ROC point with threshold >= tau (point 0 has +inf).
std::size_t roc_index(const Roc& r, double tau) {
  const auto it = std::upper_bound(r.threshold.begin(), r.threshold.end(), tau, std::greater<>());
  return std::size_t(it - r.threshold.begin()) - 1;
}

OperatingPoint point(const Score& s, std::size_t k, double rate, double threshold, double level) {
  const auto& r = s.roc;
  return {rate, threshold, r.pd[k], r.far[k], r.n_detected[k], r.n_false[k],
          clopper_pearson(r.n_detected[k], s.n_targets, level)};
}

std::string bin_name(double lo, double hi) {
  std::ostringstream o;
  o << '[' << lo << ", " << hi << ')';
  return o.str();
}

/// Pd per group of targets at threshold tau; group_of(i) gives the group key of object i (or
/// nothing to leave it out).
template <class Key, class F>
std::vector<Group> groups(const sim::Truth& t, const Score& s, double tau, double level, F group_of,
                          const std::vector<Key>& keys, const std::vector<std::string>& names) {
  std::vector<Group> g(keys.size());
  for (std::size_t k = 0; k < keys.size(); ++k) g[k].name = names[k];
  for (std::size_t i = 0; i < t.objects.size(); ++i) {
    if (t.objects[i].label == Label::Clutter) continue;
    const auto key = group_of(t.objects[i]);
    const auto at = std::find(keys.begin(), keys.end(), key);
    if (at == keys.end()) continue;
    auto& gr = g[std::size_t(at - keys.begin())];
    ++gr.n_targets;
    if (s.targets[i].alarm >= 0 && s.targets[i].confidence >= tau) ++gr.n_detected;
  }
  for (auto& gr : g) {
    gr.pd = ratio(gr.n_detected, gr.n_targets);
    gr.pd_ci = clopper_pearson(gr.n_detected, gr.n_targets, level);
  }
  return g;
}

}  // namespace

double halo_radius(const sim::TruthObject& o, const HaloRule& rule) {
  validate_rule(rule);
  return rule_halo(o, rule);
}

OperatingPoint operating_point(const Score& s, double threshold, double confidence_level) {
  require(!std::isnan(threshold), "threshold is NaN");
  require(!s.roc.threshold.empty(), "operating_point: the score has no ROC");
  return point(s, roc_index(s.roc, threshold), kNaN, threshold, confidence_level);
}

Score score(std::span<const Alarm> alarms, const sim::Truth& truth, const ScoreOptions& opt) {
  validate(alarms, truth, opt);
  const auto& objs = truth.objects;
  const std::size_t n_obj = objs.size();
  Score s;
  s.n_alarms = Index(alarms.size());
  s.area_m2 = truth.area.size_m2();
  s.max_far = opt.max_far;
  s.targets.resize(n_obj);
  s.alarms.resize(alarms.size());

  std::vector<double> halo(n_obj);
  for (std::size_t i = 0; i < n_obj; ++i) {
    halo[i] = rule_halo(objs[i], opt.halo);
    for (const auto& [id, h] : opt.halo_by_id)
      if (objs[i].id == id) halo[i] = h;
    s.targets[i].halo = halo[i];
    if (objs[i].label != Label::Clutter) ++s.n_targets;
  }
  const Grid grid(truth, halo);
  // what the matching loop reads, packed (TruthObject carries strings): x, y, halo^2, kind
  enum Kind : char { kFree, kDetected, kClutter };
  struct Packed {
    double x, y, h2;
    Kind kind;
  };
  std::vector<Packed> packed(n_obj);
  for (std::size_t i = 0; i < n_obj; ++i)
    packed[i] = {objs[i].x, objs[i].y, halo[i] * halo[i], objs[i].label == Label::Clutter ? kClutter : kFree};

  // decreasing confidence, ties in input order: the matches at threshold tau are the prefix >= tau
  std::vector<std::pair<double, Index>> order;
  order.reserve(alarms.size());
  for (std::size_t k = 0; k < alarms.size(); ++k) {
    if (truth.area.contains(alarms[k].x, alarms[k].y))
      order.emplace_back(alarms[k].confidence, Index(k));
    else
      s.alarms[k].outside = true;
  }
  s.n_scored = Index(order.size());
  s.n_outside = s.n_alarms - s.n_scored;
  // (std::sort with the index as tie-break equals a stable sort, without its temporary buffer)
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });

  auto& roc = s.roc;
  const auto push = [&](double tau, Index det, Index fa) {
    roc.threshold.push_back(tau);
    roc.n_detected.push_back(det);
    roc.n_false.push_back(fa);
    roc.pd.push_back(ratio(det, s.n_targets));
    roc.far.push_back(double(fa) / s.area_m2);
  };
  push(kInf, 0, 0);
  Index n_det = 0, n_fa = 0;
  for (std::size_t r = 0; r < order.size(); ++r) {
    const auto [confidence, k] = order[r];
    const Alarm& al = alarms[std::size_t(k)];
    AlarmOutcome& out = s.alarms[std::size_t(k)];
    // nearest free target, nearest detected target, nearest clutter object whose halo holds the alarm
    // (squared distances: halo membership is d^2 <= halo^2)
    Index best[3] = {-1, -1, -1};
    double d2_best[3] = {kInf, kInf, kInf};
    for (Index i : grid.near(al.x, al.y)) {
      const Packed& o = packed[std::size_t(i)];
      const double dx = al.x - o.x, dy = al.y - o.y, d2 = dx * dx + dy * dy;
      if (d2 <= o.h2 && d2 < d2_best[o.kind]) best[o.kind] = i, d2_best[o.kind] = d2;
    }
    if (const Index t = best[kFree]; t >= 0) {
      packed[std::size_t(t)].kind = kDetected;
      out.target = t;
      out.distance = std::sqrt(d2_best[kFree]);
      s.targets[std::size_t(t)] = {k, out.distance, confidence, halo[std::size_t(t)]};
      ++n_det;
    } else if (best[kDetected] >= 0) {
      out.duplicate_of = best[kDetected];
      out.distance = std::sqrt(d2_best[kDetected]);
      if (opt.duplicates_are_false_alarms) ++n_fa;
    } else {
      out.clutter = best[kClutter];
      out.distance = best[kClutter] >= 0 ? std::sqrt(d2_best[kClutter]) : kNaN;
      ++n_fa;
    }
    if (r + 1 == order.size() || order[r + 1].first != confidence) push(confidence, n_det, n_fa);
  }

  // Pd at each rate: the highest Pd with FAR <= rate, at the highest threshold reaching it
  const double level = opt.confidence_level;
  const auto best_at = [&](double rate) {
    std::size_t last = 0;
    while (last + 1 < roc.far.size() && roc.far[last + 1] <= rate) ++last;
    std::size_t first = last;
    while (first > 0 && roc.n_detected[first - 1] == roc.n_detected[last]) --first;
    return first;
  };
  for (double rate : opt.fa_rates) {
    const auto k = best_at(rate);
    s.at_rates.push_back(point(s, k, rate, roc.threshold[k], level));
  }

  // pAUC: Pd*(f) = highest Pd with FAR <= f is the step curve through the ROC points
  double area = 0;
  for (std::size_t k = 0; k < roc.far.size() && roc.far[k] < opt.max_far; ++k) {
    const double next = k + 1 < roc.far.size() ? std::min(roc.far[k + 1], opt.max_far) : opt.max_far;
    area += roc.pd[k] * (next - roc.far[k]);
  }
  s.pauc = area / opt.max_far;

  // operating point and the summaries there
  if (opt.threshold) {
    s.operating = operating_point(s, *opt.threshold, level);
  } else {
    const auto k = best_at(opt.operating_far);
    s.operating = point(s, k, opt.operating_far, roc.threshold[k], level);
  }
  const double tau = s.operating.threshold;

  std::vector<std::string> types;
  for (const auto& o : objs)
    if (o.label != Label::Clutter) types.push_back(o.type);
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  s.by_type = groups(truth, s, tau, level, [](const auto& o) { return o.type; }, types, types);

  std::vector<Label> labels;
  std::vector<std::string> label_names;
  for (Label l : {Label::ApMine, Label::AtMine, Label::Uxo})
    if (std::any_of(objs.begin(), objs.end(), [l](const auto& o) { return o.label == l; })) {
      labels.push_back(l);
      label_names.emplace_back(sim::label_name(l));
    }
  s.by_label = groups(truth, s, tau, level, [](const auto& o) { return o.label; }, labels, label_names);

  const auto& e = opt.depth_bins;
  std::vector<std::size_t> bins(e.size() - 1);
  std::vector<std::string> bin_names;
  std::iota(bins.begin(), bins.end(), std::size_t(0));
  for (std::size_t b = 0; b + 1 < e.size(); ++b) bin_names.push_back(bin_name(e[b], e[b + 1]));
  const auto bin_of = [&e](const auto& o) {
    return std::size_t(std::upper_bound(e.begin(), e.end(), o.depth) - e.begin()) - 1;  // SIZE_MAX below e[0]
  };
  s.by_depth = groups(truth, s, tau, level, bin_of, bins, bin_names);

  for (std::size_t k = 0; k < alarms.size(); ++k) {
    const auto& out = s.alarms[k];
    if (out.outside || alarms[k].confidence < tau) continue;
    int row;
    if (out.target >= 0) {
      row = static_cast<int>(objs[std::size_t(out.target)].label);
    } else if (out.duplicate_of >= 0) {
      if (!opt.duplicates_are_false_alarms) continue;
      row = 3;
    } else {
      row = out.clutter >= 0 ? 4 : 3;
      if (out.clutter >= 0) ++s.n_false_on_clutter;
    }
    ++s.confusion[std::size_t(row)][std::size_t(label_column(alarms[k].label))];
  }
  s.has_labels = std::any_of(alarms.begin(), alarms.end(), [](const Alarm& a) { return !a.label.empty(); });
  if (!s.has_labels) s.confusion = {};
  return s;
}

}  // namespace sapper::eval
