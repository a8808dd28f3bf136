// sapper::sim ground truth shared by the simulators and the scorer: what is buried where.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace sapper::sim {

/// What a deminer must find (ApMine, AtMine, Uxo) or may be distracted by (Clutter).
enum class Label { ApMine, AtMine, Uxo, Clutter };

/// "ap_mine", "at_mine", "uxo", "clutter".
std::string_view label_name(Label l);
/// Inverse of label_name; throws ValueError naming the string otherwise.
Label parse_label(std::string_view s);

/// One buried object. Coordinates: x along track (m), y across track (m), depth of the object's
/// top below the mean ground surface (m, positive down). Thread safety: a plain value.
struct TruthObject {
  int id = 0;
  Label label = Label::Clutter;
  std::string type;      // "PMN", "PMA-1", "TS-50", "TM-62", "rock", "root", "fragment", "void", "mortar", ...
  double x = 0, y = 0, depth = 0;
  double size = 0;       // largest dimension, m
  std::string material;  // "plastic", "metal", "rock", "wood", "air", "steel"
  std::array<double, 3> moment{0, 0, 0};  // magnetic moment (x east, y north, z up), A m^2; 0 for GPR-only
};

/// The surveyed rectangle, m. False alarms are counted per m^2 of it.
struct Area {
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  double size_m2() const { return (x1 - x0) * (y1 - y0); }
  bool contains(double x, double y) const { return x >= x0 && x <= x1 && y >= y0 && y <= y1; }
};

/// The truth of one scene: {"area": {"x0","x1","y0","y1"}, "objects": [{"id","label","type","x","y",
/// "depth","size","material","moment"}]}.
struct Truth {
  Area area;
  std::vector<TruthObject> objects;
};

std::string to_json(const Truth& t);
/// Throws ValueError naming the missing or malformed field.
Truth truth_from_json(std::string_view json);

}  // namespace sapper::sim
