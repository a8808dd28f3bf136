#include "sapper/sim/mag.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>

#include "sapper/core/error.hpp"
#include "sapper/core/parallel.hpp"
#include "sapper/sim/random.hpp"
#include "common.hpp"

namespace sapper::sim {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr const char* kWhat = "mag scene: ";
constexpr Index kMaxReadings = 10'000'000;  // ~1.3 GB of output
constexpr Index kMaxRandom = 10'000;        // per class (placement is quadratic)
constexpr int kDiurnalModes = 32, kSoilModes = 64;

// Random streams, one per purpose (and per line or object), so that each part of a scene is the
// same whatever else the scene holds and whatever the thread count.
enum Purpose : std::uint64_t { kPlace = 1, kMoment, kDiurnal, kSoil, kNoise, kJitter, kBase };
constexpr std::uint64_t stream(Purpose p, std::uint64_t index = 0) { return (std::uint64_t(p) << 48) ^ index; }

std::size_t class_index(std::string_view type, std::string_view where) {
  for (std::size_t c = 0; c < kMagClassCount; ++c)
    if (kMagClasses[c] == type) return c;
  throw ValueError(detail::concat(kWhat, where, " = \"", type,
                                  "\" is not a class (expected at_mine, mortar, shell, ap_mine or fragment)"));
}

Label class_label(std::size_t c) {
  constexpr std::array<Label, kMagClassCount> labels{Label::AtMine, Label::Uxo, Label::Uxo, Label::ApMine,
                                                     Label::Clutter};
  return labels[c];
}

const detail::SceneJson js{kWhat};

MagSurveyGeometry survey_from(const json& o) {
  const std::string w = "survey";
  js.only_keys(o, w,
            {"x0", "x1", "y0", "y1", "line_direction", "line_spacing_m", "sensor_offsets_m", "sensor_height_m",
             "speed_m_s", "sample_rate_hz", "turn_time_s"});
  MagSurveyGeometry g;
  js.get(o, w, "x0", g.x0), js.get(o, w, "x1", g.x1), js.get(o, w, "y0", g.y0), js.get(o, w, "y1", g.y1);
  if (o.contains("line_direction")) {
    const auto& d = o["line_direction"];
    require(d == "north" || d == "east", kWhat, "survey.line_direction = ", d.dump(), " must be \"north\" or \"east\"");
    g.lines_along_x = d == "east";
  }
  js.get(o, w, "line_spacing_m", g.line_spacing_m);
  if (o.contains("sensor_offsets_m")) g.sensor_offsets_m = js.numbers(o["sensor_offsets_m"], "survey.sensor_offsets_m");
  js.get(o, w, "sensor_height_m", g.sensor_height_m);
  js.get(o, w, "speed_m_s", g.speed_m_s);
  js.get(o, w, "sample_rate_hz", g.sample_rate_hz);
  js.get(o, w, "turn_time_s", g.turn_time_s);
  return g;
}

MagClass class_from(const json& o, const std::string& w, MagClass c) {
  js.only_keys(o, w, {"moment_min", "moment_max", "remanent_fraction", "depth_min", "depth_max", "size_m", "thickness_m"});
  js.get(o, w, "moment_min", c.moment_min), js.get(o, w, "moment_max", c.moment_max);
  js.get(o, w, "remanent_fraction", c.remanent_fraction);
  js.get(o, w, "depth_min", c.depth_min), js.get(o, w, "depth_max", c.depth_max);
  js.get(o, w, "size_m", c.size_m), js.get(o, w, "thickness_m", c.thickness_m);
  return c;
}

MagObject object_from(const json& o, const std::string& w) {
  js.only_keys(o, w, {"type", "x", "y", "depth", "moment"});
  for (const char* k : {"type", "x", "y", "depth"}) require(o.contains(k), kWhat, w, " needs \"", k, "\"");
  MagObject r;
  require(o["type"].is_string(), kWhat, w, ".type = ", o["type"].dump(), " must be a string");
  r.type = o["type"].get<std::string>();
  class_index(r.type, w + ".type");
  js.get(o, w, "x", r.x), js.get(o, w, "y", r.y), js.get(o, w, "depth", r.depth);
  if (o.contains("moment")) {
    if (o["moment"].is_array())
      r.moment = js.fixed<3>(o["moment"], w + ".moment");
    else
      r.moment_am2 = js.number(o["moment"], w + ".moment");
  }
  return r;
}

MagNuisances nuisances_from(const json& o) {
  const std::string w = "nuisances";
  js.only_keys(o, w,
            {"diurnal_nt", "diurnal_time_scale_s", "base_rate_hz", "base_noise_nt", "heading_nt", "lag_s", "noise_nt",
             "gps_jitter_m", "soil_nt", "soil_correlation_m", "gradient_nt_m"});
  MagNuisances n;
  js.get(o, w, "diurnal_nt", n.diurnal_nt), js.get(o, w, "diurnal_time_scale_s", n.diurnal_time_scale_s);
  js.get(o, w, "base_rate_hz", n.base_rate_hz), js.get(o, w, "base_noise_nt", n.base_noise_nt);
  if (o.contains("heading_nt")) {
    const auto& h = o["heading_nt"];
    n.heading_nt = h.is_array() ? js.numbers(h, "nuisances.heading_nt") : std::vector{js.number(h, "nuisances.heading_nt")};
  }
  js.get(o, w, "lag_s", n.lag_s), js.get(o, w, "noise_nt", n.noise_nt), js.get(o, w, "gps_jitter_m", n.gps_jitter_m);
  js.get(o, w, "soil_nt", n.soil_nt), js.get(o, w, "soil_correlation_m", n.soil_correlation_m);
  if (o.contains("gradient_nt_m")) n.gradient_nt_m = js.fixed<2>(o["gradient_nt_m"], "nuisances.gradient_nt_m");
  return n;
}

// ---- geometry shared by validation and simulation ----

struct Lines {
  Index count = 0, samples = 0, sensors = 0;
  double cross0 = 0, along0 = 0, along1 = 0, duration_s = 0;  // duration of one line
  Index readings() const { return count * samples * sensors; }
};

Lines lines_of(const MagSurveyGeometry& g) {
  Lines l;
  const double c0 = g.lines_along_x ? g.y0 : g.x0, c1 = g.lines_along_x ? g.y1 : g.x1;
  l.cross0 = c0;
  l.along0 = g.lines_along_x ? g.x0 : g.y0;
  l.along1 = g.lines_along_x ? g.x1 : g.y1;
  l.count = std::max<Index>(1, Index(std::ceil((c1 - c0) / g.line_spacing_m - 1e-9)));
  l.samples = Index(std::floor((l.along1 - l.along0) * g.sample_rate_hz / g.speed_m_s + 1e-9)) + 1;
  l.sensors = Index(g.sensor_offsets_m.size());
  l.duration_s = double(l.samples - 1) / g.sample_rate_hz;
  return l;
}

std::array<double, 3> random_unit(Rng& rng) {
  for (;;) {
    const double a = rng.normal(), b = rng.normal(), c = rng.normal(), r = std::sqrt(a * a + b * b + c * c);
    if (r > 1e-12) return {a / r, b / r, c / r};
  }
}

void place_random(MagScene& sc, std::uint64_t seed) {
  Rng rng(seed, stream(kPlace));
  const auto& g = sc.survey;
  const double d2 = sc.random.min_spacing_m * sc.random.min_spacing_m;
  for (std::size_t c = 0; c < kMagClassCount; ++c) {
    const MagClass& k = sc.classes[c];
    for (Index n = 0; n < sc.random.counts[c]; ++n) {
      bool placed = false;
      for (int attempt = 0; attempt < 10000 && !placed; ++attempt) {
        const double x = rng.uniform(g.x0, g.x1), y = rng.uniform(g.y0, g.y1);
        placed = std::all_of(sc.objects.begin(), sc.objects.end(),
                             [&](const MagObject& o) { return (o.x - x) * (o.x - x) + (o.y - y) * (o.y - y) >= d2; });
        if (placed)
          sc.objects.push_back({std::string(kMagClasses[c]), x, y, rng.uniform(k.depth_min, k.depth_max), {}, 0});
      }
      require(placed, kWhat, "cannot place random.", kMagClasses[c], " object ", n,
              " at least random.min_spacing_m = ", sc.random.min_spacing_m, " m from the others in the area");
    }
    sc.random.counts[c] = 0;
  }
}

/// |m| log-uniform in the class range (or given), split into induced (along F^) and remanent parts.
std::array<double, 3> draw_moment(const MagClass& k, double magnitude, const std::array<double, 3>& f, Rng rng) {
  const double m = magnitude > 0 ? magnitude : std::exp(rng.uniform(std::log(k.moment_min), std::log(k.moment_max)));
  const auto u = random_unit(rng);
  const double q = k.remanent_fraction;
  return {m * ((1 - q) * f[0] + q * u[0]), m * ((1 - q) * f[1] + q * u[1]), m * ((1 - q) * f[2] + q * u[2])};
}

void append(std::string& s, double v) {
  char buf[32];
  s.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f.write(text.data(), std::streamsize(text.size()));
  if (!f.good()) throw Error("cannot write " + p.string());
}

}  // namespace

std::array<MagClass, kMagClassCount> default_mag_classes() {
  // moment_min, moment_max (A m^2), remanent fraction, depth_min, depth_max, size, thickness (m)
  return {{{0.05, 1.0, 0.3, 0.05, 0.30, 0.32, 0.13},     // metal AT mine (TM-62M)
           {0.01, 0.5, 0.3, 0.05, 0.60, 0.35, 0.08},     // mortar bomb (60-120 mm)
           {0.3, 3.0, 0.3, 0.10, 1.00, 0.60, 0.155},     // 105/155 mm shell
           {1e-5, 5e-4, 0.3, 0.02, 0.10, 0.11, 0.05},    // minimum-metal AP mine (fuze parts only)
           {1e-4, 1e-2, 0.8, 0.00, 0.20, 0.03, 0.01}}};  // shrapnel fragment, mostly remanent
}

void MagScene::validate() const {
  const auto& g = survey;
  js.in_range(g.x0, -1e7, 1e7, "survey.x0");
  js.in_range(g.y0, -1e7, 1e7, "survey.y0");
  js.in_range(g.x1, g.x0 + 0.5, g.x0 + 5000, "survey.x1");
  js.in_range(g.y1, g.y0 + 0.5, g.y0 + 5000, "survey.y1");
  js.in_range(g.line_spacing_m, 0.05, 10, "survey.line_spacing_m");
  require(!g.sensor_offsets_m.empty() && g.sensor_offsets_m.size() <= 64, kWhat, "survey.sensor_offsets_m has ",
          g.sensor_offsets_m.size(), " sensors; expected 1 to 64");
  for (std::size_t s = 0; s < g.sensor_offsets_m.size(); ++s)
    js.in_range(g.sensor_offsets_m[s], -5, 5, detail::concat("survey.sensor_offsets_m[", s, "]"));
  js.in_range(g.sensor_height_m, 0.05, 5, "survey.sensor_height_m");
  js.in_range(g.speed_m_s, 0.05, 20, "survey.speed_m_s");
  js.in_range(g.sample_rate_hz, 0.5, 1000, "survey.sample_rate_hz");
  js.in_range(g.turn_time_s, 0, 600, "survey.turn_time_s");
  const Lines l = lines_of(g);
  require(double(l.count) * double(l.samples) * double(l.sensors) <= double(kMaxReadings), kWhat, "the survey has ",
          l.count, " lines x ", l.samples, " samples x ", l.sensors, " sensors; at most ", kMaxReadings,
          " readings are allowed");

  js.in_range(earth_field.total_nt, 20000, 70000, "earth_field.total_nt");
  js.in_range(earth_field.inclination_deg, -90, 90, "earth_field.inclination_deg");
  js.in_range(earth_field.declination_deg, -180, 180, "earth_field.declination_deg");

  for (std::size_t c = 0; c < kMagClassCount; ++c) {
    const MagClass& k = classes[c];
    const std::string w = "classes." + std::string(kMagClasses[c]) + ".";
    js.in_range(k.moment_min, 1e-9, 1e3, w + "moment_min");
    js.in_range(k.moment_max, k.moment_min, 1e3, w + "moment_max");
    js.in_range(k.remanent_fraction, 0, 1, w + "remanent_fraction");
    js.in_range(k.depth_min, 0, 10, w + "depth_min");
    js.in_range(k.depth_max, k.depth_min, 10, w + "depth_max");
    js.in_range(k.size_m, 1e-3, 10, w + "size_m");
    js.in_range(k.thickness_m, 1e-3, k.size_m, w + "thickness_m");
  }
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const MagObject& o = objects[i];
    const std::string w = detail::concat("objects[", i, "].");
    class_index(o.type, w + "type");
    js.in_range(o.x, g.x0, g.x1, w + "x");
    js.in_range(o.y, g.y0, g.y1, w + "y");
    js.in_range(o.depth, 0, 10, w + "depth");
    js.in_range(o.moment_am2, 0, 1e3, w + "moment");
    if (o.moment) {
      for (int c = 0; c < 3; ++c)
        js.in_range((*o.moment)[std::size_t(c)], -1e3, 1e3, detail::concat(w, "moment[", c, "]"));
    }
  }
  for (std::size_t c = 0; c < kMagClassCount; ++c)
    js.in_range(double(random.counts[c]), 0, double(kMaxRandom), "random." + std::string(kMagClasses[c]));
  js.in_range(random.min_spacing_m, 0, 100, "random.min_spacing_m");

  const auto& n = nuisances;
  js.in_range(n.diurnal_nt, 0, 1000, "nuisances.diurnal_nt");
  js.in_range(n.diurnal_time_scale_s, 10, 1e6, "nuisances.diurnal_time_scale_s");
  js.in_range(n.base_rate_hz, 0.01, 100, "nuisances.base_rate_hz");
  js.in_range(n.base_noise_nt, 0, 100, "nuisances.base_noise_nt");
  require(n.heading_nt.size() == 1 || n.heading_nt.size() == g.sensor_offsets_m.size(), kWhat,
          "nuisances.heading_nt has ", n.heading_nt.size(), " entries; expected 1 or one per sensor (",
          g.sensor_offsets_m.size(), ")");
  for (std::size_t s = 0; s < n.heading_nt.size(); ++s)
    js.in_range(n.heading_nt[s], -100, 100, detail::concat("nuisances.heading_nt[", s, "]"));
  js.in_range(n.lag_s, 0, 2, "nuisances.lag_s");
  js.in_range(n.noise_nt, 0, 100, "nuisances.noise_nt");
  js.in_range(n.gps_jitter_m, 0, 10, "nuisances.gps_jitter_m");
  js.in_range(n.soil_nt, 0, 1000, "nuisances.soil_nt");
  js.in_range(n.soil_correlation_m, 0.01, 100, "nuisances.soil_correlation_m");
  js.in_range(n.gradient_nt_m[0], -100, 100, "nuisances.gradient_nt_m[0]");
  js.in_range(n.gradient_nt_m[1], -100, 100, "nuisances.gradient_nt_m[1]");
}

MagScene mag_scene_from_json(std::string_view text) {
  const auto j = json::parse(text, nullptr, false);
  require(!j.is_discarded(), kWhat, "not valid JSON");
  js.only_keys(j, "", {"survey", "earth_field", "classes", "objects", "random", "nuisances"});
  MagScene s;
  if (j.contains("survey")) s.survey = survey_from(j["survey"]);
  if (j.contains("earth_field")) {
    const auto& e = j["earth_field"];
    js.only_keys(e, "earth_field", {"total_nt", "inclination_deg", "declination_deg"});
    js.get(e, "earth_field", "total_nt", s.earth_field.total_nt);
    js.get(e, "earth_field", "inclination_deg", s.earth_field.inclination_deg);
    js.get(e, "earth_field", "declination_deg", s.earth_field.declination_deg);
  }
  if (j.contains("classes")) {
    const auto& c = j["classes"];
    js.only_keys(c, "classes", std::vector<std::string_view>(kMagClasses.begin(), kMagClasses.end()));
    for (std::size_t k = 0; k < kMagClassCount; ++k) {
      const std::string name(kMagClasses[k]);
      if (c.contains(name)) s.classes[k] = class_from(c[name], "classes." + name, s.classes[k]);
    }
  }
  if (j.contains("objects")) {
    require(j["objects"].is_array(), kWhat, "objects must be an array");
    for (std::size_t i = 0; i < j["objects"].size(); ++i)
      s.objects.push_back(object_from(j["objects"][i], detail::concat("objects[", i, "]")));
  }
  if (j.contains("random")) {
    const auto& r = j["random"];
    js.only_keys(r, "random", {"at_mine", "mortar", "shell", "ap_mine", "fragment", "min_spacing_m"});
    for (std::size_t k = 0; k < kMagClassCount; ++k)
      js.get(r, "random", std::string(kMagClasses[k]).c_str(), s.random.counts[k]);
    js.get(r, "random", "min_spacing_m", s.random.min_spacing_m);
  }
  if (j.contains("nuisances")) s.nuisances = nuisances_from(j["nuisances"]);
  s.validate();
  return s;
}

std::string to_json(const MagScene& s) {
  ojson j;
  const auto& g = s.survey;
  j["survey"] = {{"x0", g.x0},
                 {"x1", g.x1},
                 {"y0", g.y0},
                 {"y1", g.y1},
                 {"line_direction", g.lines_along_x ? "east" : "north"},
                 {"line_spacing_m", g.line_spacing_m},
                 {"sensor_offsets_m", g.sensor_offsets_m},
                 {"sensor_height_m", g.sensor_height_m},
                 {"speed_m_s", g.speed_m_s},
                 {"sample_rate_hz", g.sample_rate_hz},
                 {"turn_time_s", g.turn_time_s}};
  j["earth_field"] = {{"total_nt", s.earth_field.total_nt},
                      {"inclination_deg", s.earth_field.inclination_deg},
                      {"declination_deg", s.earth_field.declination_deg}};
  for (std::size_t c = 0; c < kMagClassCount; ++c) {
    const MagClass& k = s.classes[c];
    j["classes"][std::string(kMagClasses[c])] = {
        {"moment_min", k.moment_min},  {"moment_max", k.moment_max}, {"remanent_fraction", k.remanent_fraction},
        {"depth_min", k.depth_min},    {"depth_max", k.depth_max},   {"size_m", k.size_m},
        {"thickness_m", k.thickness_m}};
  }
  j["objects"] = ojson::array();
  for (const auto& o : s.objects) {
    ojson r = {{"type", o.type}, {"x", o.x}, {"y", o.y}, {"depth", o.depth}};
    if (o.moment)
      r["moment"] = *o.moment;
    else if (o.moment_am2 > 0)
      r["moment"] = o.moment_am2;
    j["objects"].push_back(r);
  }
  for (std::size_t c = 0; c < kMagClassCount; ++c) j["random"][std::string(kMagClasses[c])] = s.random.counts[c];
  j["random"]["min_spacing_m"] = s.random.min_spacing_m;
  const auto& n = s.nuisances;
  j["nuisances"] = {{"diurnal_nt", n.diurnal_nt},
                    {"diurnal_time_scale_s", n.diurnal_time_scale_s},
                    {"base_rate_hz", n.base_rate_hz},
                    {"base_noise_nt", n.base_noise_nt},
                    {"heading_nt", n.heading_nt},
                    {"lag_s", n.lag_s},
                    {"noise_nt", n.noise_nt},
                    {"gps_jitter_m", n.gps_jitter_m},
                    {"soil_nt", n.soil_nt},
                    {"soil_correlation_m", n.soil_correlation_m},
                    {"gradient_nt_m", n.gradient_nt_m}};
  return j.dump(1);
}

MagScene default_mag_scene() {
  MagScene s;
  s.random.counts = {2, 2, 1, 3, 15};
  return s;
}

MagSurvey simulate_mag(const MagScene& scene, std::uint64_t seed, int threads) {
  scene.validate();
  require(threads >= 0, "threads = ", threads, " must be >= 0 (0 = all cores)");
  MagScene sc = scene;  // becomes the scene as applied
  const auto& g = sc.survey;
  const auto& nu = sc.nuisances;
  const auto f = mag::field_direction(sc.earth_field);

  // Objects: scatter the random ones, draw missing moments, write both into the scene.
  place_random(sc, seed);
  MagSurvey r;
  r.truth.area = {g.x0, g.x1, g.y0, g.y1};
  std::vector<mag::Dipole> dipoles;
  for (std::size_t i = 0; i < sc.objects.size(); ++i) {
    MagObject& o = sc.objects[i];
    const std::size_t c = class_index(o.type, "type");
    const MagClass& k = sc.classes[c];
    if (!o.moment) o.moment = draw_moment(k, o.moment_am2, f, Rng(seed, stream(kMoment, i)));
    o.moment_am2 = 0;
    const auto& m = *o.moment;
    r.truth.objects.push_back(
        {int(i), class_label(c), o.type, o.x, o.y, o.depth, k.size_m, c == 3 ? "plastic" : "steel", m});
    dipoles.push_back({o.x, o.y, -(o.depth + k.thickness_m / 2), m[0], m[1], m[2]});
  }
  if (const double h = nu.heading_nt[0]; nu.heading_nt.size() == 1)
    sc.nuisances.heading_nt.assign(g.sensor_offsets_m.size(), h);

  // Readings, line by line (each line's random streams are its own).
  const Lines l = lines_of(g);
  const auto n = std::size_t(l.readings());
  for (auto* v : {&r.time_s, &r.x_m, &r.y_m, &r.z_m, &r.x_true_m, &r.y_true_m, &r.total_field_nt, &r.anomaly_nt,
                  &r.diurnal_nt, &r.heading_nt, &r.soil_nt, &r.gradient_nt})
    v->resize(n);
  r.line.resize(n), r.direction.resize(n), r.sensor.resize(n);
  const detail::FourierField<1> diurnal(nu.diurnal_nt, nu.diurnal_time_scale_s, kDiurnalModes, Rng(seed, stream(kDiurnal)));
  const detail::FourierField<2> soil(nu.soil_nt, nu.soil_correlation_m, kSoilModes, Rng(seed, stream(kSoil)));
  const double xc = (g.x0 + g.x1) / 2, yc = (g.y0 + g.y1) / 2, f0 = sc.earth_field.total_nt;
  parallel_for(
      l.count, threads,
      [&](Index b, Index e) {
        for (Index j = b; j < e; ++j) {
          Rng noise(seed, stream(kNoise, std::uint64_t(j))), jitter(seed, stream(kJitter, std::uint64_t(j)));
          const int dir = j % 2 == 0 ? 1 : -1;
          const double ex = g.lines_along_x ? dir : 0, ey = g.lines_along_x ? 0 : dir;  // travel direction
          const double cross = l.cross0 + (double(j) + 0.5) * g.line_spacing_m;
          const double t0 = double(j) * (l.duration_s + g.turn_time_s);
          for (Index k = 0; k < l.samples; ++k) {
            const double t = t0 + double(k) / g.sample_rate_hz;
            const double along = (dir > 0 ? l.along0 : l.along1) + dir * double(k) * g.speed_m_s / g.sample_rate_hz;
            const double cx = g.lines_along_x ? along : cross, cy = g.lines_along_x ? cross : along;
            const double jx = nu.gps_jitter_m > 0 ? nu.gps_jitter_m * jitter.normal() : 0;
            const double jy = nu.gps_jitter_m > 0 ? nu.gps_jitter_m * jitter.normal() : 0;
            const double drift = diurnal(t);
            for (Index s = 0; s < l.sensors; ++s) {
              const auto i = std::size_t((j * l.samples + k) * l.sensors + s);
              const double off = g.sensor_offsets_m[std::size_t(s)];
              const double x = cx + off * ey, y = cy - off * ex;  // right of travel: (ey, -ex)
              r.time_s[i] = t, r.line[i] = std::int32_t(j), r.direction[i] = dir, r.sensor[i] = std::int32_t(s);
              r.x_true_m[i] = x, r.y_true_m[i] = y, r.z_m[i] = g.sensor_height_m;
              r.x_m[i] = x - nu.lag_s * g.speed_m_s * ex + jx;
              r.y_m[i] = y - nu.lag_s * g.speed_m_s * ey + jy;
              r.diurnal_nt[i] = drift;
              r.heading_nt[i] = dir * sc.nuisances.heading_nt[std::size_t(s)];
              r.soil_nt[i] = soil(x, y);
              r.gradient_nt[i] = nu.gradient_nt_m[0] * (x - xc) + nu.gradient_nt_m[1] * (y - yc);
              r.total_field_nt[i] = f0 + r.diurnal_nt[i] + r.heading_nt[i] + r.soil_nt[i] + r.gradient_nt[i] +
                                    (nu.noise_nt > 0 ? nu.noise_nt * noise.normal() : 0);
            }
          }
        }
      },
      1);
  mag::total_field_anomaly(dipoles, {r.x_true_m, r.y_true_m, r.z_m}, sc.earth_field, r.anomaly_nt, threads);
  for (std::size_t i = 0; i < n; ++i) r.total_field_nt[i] += r.anomaly_nt[i];

  // Base station: the same drift, from time 0 to past the last reading.
  const double t_end = r.time_s.empty() ? 0 : r.time_s.back();
  const auto nb = std::size_t(std::ceil(t_end * nu.base_rate_hz - 1e-9)) + 1;
  Rng base(seed, stream(kBase));
  for (std::size_t k = 0; k < nb; ++k) {
    const double t = double(k) / nu.base_rate_hz;
    r.base_time_s.push_back(t);
    r.base_field_nt.push_back(f0 + diurnal(t) + (nu.base_noise_nt > 0 ? nu.base_noise_nt * base.normal() : 0));
  }
  r.scene_json = to_json(sc);
  return r;
}

void write_mag_survey(const std::string& directory, const MagSurvey& s) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw Error("cannot create directory " + directory + ": " + ec.message());
  const fs::path dir(directory);
  std::string csv = "time_s,line,direction,sensor,x_m,y_m,z_m,total_field_nt\n";
  csv.reserve(csv.size() + s.time_s.size() * 96);
  for (std::size_t i = 0; i < s.time_s.size(); ++i) {
    append(csv, s.time_s[i]);
    for (const std::int32_t v : {s.line[i], s.direction[i], s.sensor[i]}) csv += ',' + std::to_string(v);
    for (const double v : {s.x_m[i], s.y_m[i], s.z_m[i], s.total_field_nt[i]}) {
      csv += ',';
      append(csv, v);
    }
    csv += '\n';
  }
  write_file(dir / "readings.csv", csv);
  std::string base = "time_s,field_nt\n";
  for (std::size_t k = 0; k < s.base_time_s.size(); ++k) {
    append(base, s.base_time_s[k]);
    base += ',';
    append(base, s.base_field_nt[k]);
    base += '\n';
  }
  write_file(dir / "base_station.csv", base);
  write_file(dir / "truth.json", to_json(s.truth) + "\n");
  write_file(dir / "scene.json", s.scene_json + "\n");
}

}  // namespace sapper::sim
