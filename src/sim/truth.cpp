#include "sapper/sim/truth.hpp"

#include <nlohmann/json.hpp>

#include "sapper/core/error.hpp"

namespace sapper::sim {

namespace {
constexpr std::array<std::string_view, 4> kLabels{"ap_mine", "at_mine", "uxo", "clutter"};
}

std::string_view label_name(Label l) { return kLabels[static_cast<std::size_t>(l)]; }

Label parse_label(std::string_view s) {
  for (std::size_t i = 0; i < kLabels.size(); ++i)
    if (kLabels[i] == s) return static_cast<Label>(i);
  throw ValueError(detail::concat("unknown label \"", s, "\" (expected ap_mine, at_mine, uxo or clutter)"));
}

std::string to_json(const Truth& t) {
  nlohmann::ordered_json j;
  j["area"] = {{"x0", t.area.x0}, {"x1", t.area.x1}, {"y0", t.area.y0}, {"y1", t.area.y1}};
  j["objects"] = nlohmann::ordered_json::array();
  for (const auto& o : t.objects)
    j["objects"].push_back({{"id", o.id}, {"label", label_name(o.label)}, {"type", o.type}, {"x", o.x}, {"y", o.y},
                            {"depth", o.depth}, {"size", o.size}, {"material", o.material}, {"moment", o.moment}});
  return j.dump(1);
}

Truth truth_from_json(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  require(!j.is_discarded() && j.is_object(), "truth JSON: not a JSON object");
  auto num = [](const nlohmann::json& o, const char* key, const std::string& where) {
    require(o.contains(key) && o[key].is_number(), "truth JSON: ", where, " needs a number \"", key, "\"");
    return o[key].get<double>();
  };
  Truth t;
  require(j.contains("area") && j["area"].is_object(), "truth JSON: missing \"area\" object");
  const auto& a = j["area"];
  t.area = {num(a, "x0", "area"), num(a, "x1", "area"), num(a, "y0", "area"), num(a, "y1", "area")};
  require(t.area.x1 > t.area.x0 && t.area.y1 > t.area.y0, "truth JSON: area must have x1 > x0 and y1 > y0");
  require(j.contains("objects") && j["objects"].is_array(), "truth JSON: missing \"objects\" array");
  int k = 0;
  for (const auto& o : j["objects"]) {
    const std::string where = "object " + std::to_string(k++);
    require(o.is_object(), "truth JSON: ", where, " is not an object");
    TruthObject r;
    r.id = o.value("id", k - 1);
    require(o.contains("label") && o["label"].is_string(), "truth JSON: ", where, " needs a string \"label\"");
    r.label = parse_label(o["label"].get<std::string>());
    r.type = o.value("type", std::string());
    r.x = num(o, "x", where);
    r.y = num(o, "y", where);
    r.depth = o.value("depth", 0.0);
    r.size = o.value("size", 0.0);
    r.material = o.value("material", std::string());
    if (o.contains("moment") && o["moment"].is_array() && o["moment"].size() == 3)
      for (int i = 0; i < 3; ++i) r.moment[i] = o["moment"][i].get<double>();
    t.objects.push_back(std::move(r));
  }
  return t;
}

}  // namespace sapper::sim
