// GPR lane simulator: scene JSON, object placement, ray-model rendering, .npy/JSON output.
#include "sapper/sim/gpr.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <numbers>

#include "sapper/core/parallel.hpp"
#include "sapper/sim/random.hpp"
#include "common.hpp"

namespace sapper::sim {

namespace {

using json = nlohmann::ordered_json;  // written in this order
constexpr double kC = 0.299792458;  // m/ns
constexpr double kPi = std::numbers::pi;

// Random-stream families (high bits) so that no two draws share a stream.
enum Stream : std::uint64_t { kPlace = 1ULL << 40, kProps = 2ULL << 40, kSurface = 3ULL << 40, kDrift = 4ULL << 40,
                              kNoise = 5ULL << 40 };

// ---------------------------------------------------------------------------------------------
// Scene JSON

const detail::SceneJson js{"GPR scene: "};

void check(double v, double lo, double hi, const char* name) { js.in_range(v, lo, hi, name); }

// ---------------------------------------------------------------------------------------------
// Object catalogue

enum class Material { Plastic, Metal, Dielectric };

struct Kind {
  std::string_view type;
  Label label;
  bool disc;             // circular footprint (else a rectangle of half-lengths a x b)
  double a, b, height;   // m (disc: a = b = radius); clutter: the upper end of the random range
  Material material;
  double permittivity;   // plastic and dielectric; clutter: upper end of the random range
};

// Mines after REFERENCE.md: PMN 11.2 x 5.6 cm, TS-50 9 x 4.4 cm, PMA-1 14 x 6.4 x 3.4 cm, TM-62 32 cm.
// Explosive and plastic case: eps ~ 3.
constexpr std::array<Kind, 11> kCatalogue{{
    {"PMN", Label::ApMine, true, 0.056, 0.056, 0.056, Material::Plastic, 3.0},
    {"PMA-1", Label::ApMine, false, 0.070, 0.032, 0.034, Material::Plastic, 3.0},
    {"TS-50", Label::ApMine, true, 0.045, 0.045, 0.044, Material::Plastic, 3.0},
    {"TM-62M", Label::AtMine, true, 0.160, 0.160, 0.128, Material::Metal, 1.0},
    {"TM-62P", Label::AtMine, true, 0.160, 0.160, 0.128, Material::Plastic, 3.0},
    // 60-82 mm mortar bomb lying flat: a steel body ~30 cm long
    {"mortar", Label::Uxo, false, 0.150, 0.040, 0.080, Material::Metal, 1.0},
    {"rock", Label::Clutter, true, 0.075, 0.075, 0.0, Material::Dielectric, 9.0},
    {"root", Label::Clutter, false, 0.300, 0.015, 0.0, Material::Dielectric, 20.0},
    {"fragment", Label::Clutter, true, 0.020, 0.020, 0.005, Material::Metal, 1.0},
    {"void", Label::Clutter, true, 0.050, 0.050, 0.0, Material::Dielectric, 1.0},
    {"point", Label::Clutter, true, 0.0, 0.0, 0.0, Material::Metal, 1.0},  // for tests: a true point
}};

const Kind& kind_of(const std::string& type) {
  for (const auto& k : kCatalogue)
    if (k.type == type) return k;
  throw ValueError(detail::concat("GPR scene: unknown object type \"", type,
                                  "\" (PMN, PMA-1, TS-50, TM-62M, TM-62P, mortar, rock, root, fragment, void, point)"));
}

std::string_view material_name(Material m, double eps) {
  if (m == Material::Metal) return "metal";
  if (m == Material::Plastic) return "plastic";
  return eps <= 1.5 ? "air" : eps >= 10 ? "wood" : "rock";
}

// Fills the catalogue's (or random) size, permittivity and angle into an object given by hand or
// drawn at random; returns the resolved object.
GprObject resolve(GprObject o, std::uint64_t seed, std::uint64_t index) {
  const Kind& k = kind_of(o.type);
  Rng r(seed, kProps + index);
  const bool clutter = k.label == Label::Clutter && k.type != "point";
  if (o.size_m <= 0) o.size_m = 2 * k.a * (clutter ? r.uniform(0.2, 1.0) : 1.0);
  if (o.permittivity <= 0)
    o.permittivity = k.type == "rock" ? r.uniform(4.0, k.permittivity)
                     : k.type == "root" ? r.uniform(12.0, k.permittivity) : k.permittivity;
  return o;
}

struct Body {  // an object as the renderer sees it
  double x, y, depth, ca, sa, a, b, height;
  bool disc, target;
  double r_top;   // reflection coefficient soil -> object
  double r_bot;   // object -> soil, times the two transmissions (0 for metal)
  double t_in;    // extra two-way time through the object to its bottom, ns
  double area;    // footprint area, m^2
  double reach;   // largest horizontal distance (m) at which the body contributes
};

Body make_body(const GprObject& o, double n_soil, double height) {
  const Kind& k = kind_of(o.type);
  Body b{};
  b.x = o.x, b.y = o.y, b.depth = o.depth;
  b.ca = std::cos(o.angle_deg * kPi / 180), b.sa = std::sin(o.angle_deg * kPi / 180);
  const double scale = k.a > 0 ? o.size_m / (2 * k.a) : 0;
  b.a = k.a * scale, b.b = k.b * scale, b.disc = k.disc;
  b.height = k.height > 0 ? k.height * scale : (k.type == "root" ? 2 * b.b : k.type == "point" ? 0 : b.a);
  b.target = k.label != Label::Clutter;
  if (k.material == Material::Metal) {
    b.r_top = -1;  // perfect conductor: same sign as the ground bounce
  } else {
    const double n_obj = std::sqrt(o.permittivity);
    b.r_top = (n_soil - n_obj) / (n_soil + n_obj);
    b.r_bot = -b.r_top * (1 - b.r_top * b.r_top);
    b.t_in = 2 * b.height * n_obj / kC;
  }
  b.area = b.disc ? kPi * std::max(b.a * b.a, 2.5e-5) : 4 * b.a * b.b;  // a point scatters like a 1 cm disc
  // beyond 60 degrees from the antenna (air) or the vertical (ground-coupled) there is no echo:
  // tan 60 = sqrt 3 bounds both legs of the path; 0.1 m covers the surface's roughness
  b.reach = std::sqrt(3.0) * (height + b.depth + 0.1) + std::max(b.a, b.b);
  return b;
}

/// Horizontal distance from (px, py) to the body's footprint.
double footprint_distance(const Body& b, double px, double py) {
  const double dx = px - b.x, dy = py - b.y;
  if (b.disc) return std::max(0.0, std::hypot(dx, dy) - b.a);
  const double u = std::abs(dx * b.ca + dy * b.sa) - b.a, v = std::abs(-dx * b.sa + dy * b.ca) - b.b;
  return std::hypot(std::max(u, 0.0), std::max(v, 0.0));
}

// ---------------------------------------------------------------------------------------------
// Ray model

struct Ray {
  double t;        // one-way time, ns
  double ground;   // path length in the ground, m
  double cos_a;    // cosine of the ray's angle from vertical at the antenna (the beam pattern's argument)
};

/// Fermat path from a point at height h above the surface to a point at depth d below it, rho apart
/// horizontally, in ground of refractive index n: minimises sqrt(h^2 + u^2) + n sqrt(d^2 + (rho - u)^2)
/// over the crossing point u (a convex function: safeguarded Newton on its derivative, Snell's law).
/// h = 0 is a ground-coupled antenna: a straight ray in the ground.
Ray one_way(double h, double d, double rho, double n) {
  if (rho <= 1e-12) return {(h + n * d) / kC, d, 1.0};
  if (h <= 0) {
    const double r = std::hypot(d, rho);
    return {n * r / kC, r, r > 0 ? d / r : 1.0};
  }
  double lo = 0, hi = rho, u = rho * h / (h + d + 1e-300);
  for (int it = 0; it < 50; ++it) {
    const double ra = std::sqrt(h * h + u * u), w = rho - u, rg = std::sqrt(d * d + w * w);
    const double g = (ra > 0 ? u / ra : 1.0) - (rg > 0 ? n * w / rg : n);
    if (g > 0) hi = u; else lo = u;
    const double g2 = (ra > 0 ? h * h / (ra * ra * ra) : 0) + (rg > 0 ? n * d * d / (rg * rg * rg) : 0);
    double next = g2 > 0 ? u - g / g2 : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::abs(next - u) < 1e-10) {
      u = next;
      break;
    }
    u = next;
  }
  const double w = rho - u, rg = std::sqrt(d * d + w * w), ra = std::sqrt(h * h + u * u);
  return {(ra + n * rg) / kC, rg, h / ra};
}

/// Antenna beam, one way: 1 along the vertical, falling linearly in cos(angle) to 0 at 60 degrees.
double beam_factor(double cos_angle) { return std::max(0.0, 2 * cos_angle - 1); }

struct Event {
  double t, amp;
  bool target;
};

/// Adds a * ricker(t_i - tau) over the wavelet's support; the Gaussian factor by a recurrence
/// (two multiplications a sample instead of an exp).
template <class T>
void add_ricker(T* y, Index n, double dt, double t_first, double tau, double a, double f_ghz) {
  const double half = 1.4 / f_ghz;
  const Index i0 = std::max<Index>(0, Index(std::ceil((tau - half - t_first) / dt)));
  const Index i1 = std::min<Index>(n - 1, Index(std::floor((tau + half - t_first) / dt)));
  if (i1 < i0) return;
  const double pf = kPi * f_ghz, c = pf * pf;
  double s = t_first + double(i0) * dt - tau;
  double g = std::exp(-c * s * s), ratio = std::exp(-c * (2 * s * dt + dt * dt));
  const double step = std::exp(-2 * c * dt * dt);
  for (Index i = i0; i <= i1; ++i) {
    y[i] += T(a * (1 - 2 * c * s * s) * g);
    g *= ratio;
    ratio *= step;
    s += dt;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void GprScene::validate() const {
  check(ground.permittivity, 1.0, 81.0, "ground.permittivity");
  check(ground.conductivity_ms_m, 0, 1000, "ground.conductivity_ms_m");
  check(ground.roughness_rms_m, 0, 0.05, "ground.roughness_rms_m");
  check(ground.correlation_length_m, 0.005, 10, "ground.correlation_length_m");
  double last = 0;
  for (const auto& l : ground.layers) {
    check(l.depth_m, 1e-3, 10, "ground.layers[].depth_m");
    check(l.permittivity, 1.0, 81.0, "ground.layers[].permittivity");
    require(l.depth_m > last, "GPR scene: ground.layers must be listed by increasing depth_m");
    last = l.depth_m;
  }
  check(antenna.frequency_mhz, 50, 10000, "antenna.frequency_mhz");
  check(antenna.height_m, 0, 2, "antenna.height_m");
  check(antenna.offset_m, 0, 2, "antenna.offset_m");
  check(antenna.coupling, 0, 1e3, "antenna.coupling");
  check(antenna.ringing, 0, 1, "antenna.ringing");
  check(antenna.ringing_decay_ns, 0, 100, "antenna.ringing_decay_ns");
  check(antenna.drift, 0, 1, "antenna.drift");
  check(antenna.drift_length_m, 0.01, 1e4, "antenna.drift_length_m");
  check(double(recording.n_samples), 8, 65536, "recording.n_samples");
  check(recording.time_window_ns, 0.1, 1e4, "recording.time_window_ns");
  check(recording.time_zero_ns, 0, recording.time_window_ns, "recording.time_zero_ns");
  check(recording.trace_spacing_m, 1e-3, 10, "recording.trace_spacing_m");
  check(lane.length_m, 0, 1e4, "lane.length_m");
  check(double(lane.channels), 1, 1024, "lane.channels");
  check(lane.channel_spacing_m, 1e-3, 10, "lane.channel_spacing_m");
  require(lane.length_m / recording.trace_spacing_m * double(lane.channels) * double(recording.n_samples) <= 4e9,
          "GPR scene: the lane would hold more than 4e9 samples");
  check(snr_db, -40, 400, "snr_db");
  const double half_w = 0.5 * double(lane.channels) * lane.channel_spacing_m;
  for (const auto& o : objects) {
    kind_of(o.type);
    check(o.x, -1e4, 1e4, "objects[].x");
    check(o.y, -half_w - 10, half_w + 10, "objects[].y");
    check(o.depth, 0, 10, "objects[].depth");
    check(o.size_m, 0, 5, "objects[].size_m");
    check(o.permittivity, 0, 81, "objects[].permittivity");
    check(o.angle_deg, -360, 360, "objects[].angle_deg");
  }
  for (auto [v, name] : {std::pair{random.ap_mines, "random.ap_mines"}, {random.at_mines, "random.at_mines"},
                         {random.clutter, "random.clutter"}, {random.uxo, "random.uxo"}})
    check(double(v), 0, 1e5, name);
  check(random.min_spacing_m, 0, 100, "random.min_spacing_m");
  check(random.max_depth_ap_m, 0.01, 10, "random.max_depth_ap_m");
  check(random.max_depth_at_m, 0.01, 10, "random.max_depth_at_m");
  check(random.max_depth_clutter_m, 0.01, 10, "random.max_depth_clutter_m");
  check(random.max_depth_uxo_m, 0.01, 10, "random.max_depth_uxo_m");
}

GprScene gpr_scene_from_json(std::string_view text) {
  using nj = nlohmann::json;
  const nj j = nj::parse(text, nullptr, false);
  require(!j.is_discarded(), "GPR scene: not valid JSON");
  js.only_keys(j, "", {"ground", "antenna", "recording", "lane", "snr_db", "objects", "random"});
  GprScene s;
  js.get(j, "", "snr_db", s.snr_db);
  // reads the listed number keys of section `name` into the given fields
  auto section = [&](const char* name, std::initializer_list<std::pair<const char*, double*>> keys,
                     std::vector<std::string_view> extra = {}) {
    if (!j.contains(name)) return;
    for (const auto& k : keys) extra.push_back(k.first);
    js.only_keys(j[name], name, extra);
    for (const auto& [key, dst] : keys) js.get(j[name], name, key, *dst);
  };
  auto& g = s.ground;
  section("ground", {{"permittivity", &g.permittivity}, {"conductivity_ms_m", &g.conductivity_ms_m},
                     {"roughness_rms_m", &g.roughness_rms_m}, {"correlation_length_m", &g.correlation_length_m}},
          {"layers"});
  if (j.contains("ground") && j["ground"].contains("layers")) {
    const auto& layers = j["ground"]["layers"];
    require(layers.is_array(), "GPR scene: ground.layers must be an array");
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::string w = detail::concat("ground.layers[", i, "]");
      js.only_keys(layers[i], w, {"depth_m", "permittivity"});
      GprLayer l;
      js.get(layers[i], w, "depth_m", l.depth_m);
      js.get(layers[i], w, "permittivity", l.permittivity);
      g.layers.push_back(l);
    }
  }
  auto& a = s.antenna;
  section("antenna", {{"frequency_mhz", &a.frequency_mhz}, {"height_m", &a.height_m}, {"offset_m", &a.offset_m},
                      {"coupling", &a.coupling}, {"ringing", &a.ringing}, {"ringing_decay_ns", &a.ringing_decay_ns},
                      {"drift", &a.drift}, {"drift_length_m", &a.drift_length_m}});
  auto& r = s.recording;
  section("recording", {{"time_window_ns", &r.time_window_ns}, {"time_zero_ns", &r.time_zero_ns},
                        {"trace_spacing_m", &r.trace_spacing_m}}, {"n_samples"});
  if (j.contains("recording")) js.get(j["recording"], "recording", "n_samples", r.n_samples);
  section("lane", {{"length_m", &s.lane.length_m}, {"channel_spacing_m", &s.lane.channel_spacing_m}}, {"channels"});
  if (j.contains("lane")) js.get(j["lane"], "lane", "channels", s.lane.channels);
  auto& rs = s.random;
  section("random", {{"min_spacing_m", &rs.min_spacing_m}, {"max_depth_ap_m", &rs.max_depth_ap_m},
                     {"max_depth_at_m", &rs.max_depth_at_m}, {"max_depth_clutter_m", &rs.max_depth_clutter_m},
                     {"max_depth_uxo_m", &rs.max_depth_uxo_m}},
          {"ap_mines", "at_mines", "clutter", "uxo"});
  if (j.contains("random"))
    for (auto [key, dst] : {std::pair{"ap_mines", &rs.ap_mines}, {"at_mines", &rs.at_mines}, {"clutter", &rs.clutter},
                            {"uxo", &rs.uxo}})
      js.get(j["random"], "random", key, *dst);
  if (j.contains("objects")) {
    require(j["objects"].is_array(), "GPR scene: objects must be an array");
    for (std::size_t i = 0; i < j["objects"].size(); ++i) {
      const auto& o = j["objects"][i];
      const std::string w = detail::concat("objects[", i, "]");
      js.only_keys(o, w, {"type", "x", "y", "depth", "size_m", "permittivity", "angle_deg"});
      require(o.contains("type") && o["type"].is_string(), "GPR scene: ", w, " needs a string \"type\"");
      GprObject ob;
      ob.type = o["type"].get<std::string>();
      for (auto [key, dst] : {std::pair{"x", &ob.x}, {"y", &ob.y}, {"depth", &ob.depth}, {"size_m", &ob.size_m},
                              {"permittivity", &ob.permittivity}, {"angle_deg", &ob.angle_deg}})
        js.get(o, w, key, *dst);
      s.objects.push_back(ob);
    }
  }
  s.validate();
  return s;
}

std::string to_json(const GprScene& s) {
  json j;
  json layers = json::array();
  for (const auto& l : s.ground.layers) layers.push_back({{"depth_m", l.depth_m}, {"permittivity", l.permittivity}});
  j["ground"] = {{"permittivity", s.ground.permittivity}, {"conductivity_ms_m", s.ground.conductivity_ms_m},
                 {"roughness_rms_m", s.ground.roughness_rms_m}, {"correlation_length_m", s.ground.correlation_length_m},
                 {"layers", layers}};
  const auto& a = s.antenna;
  j["antenna"] = {{"frequency_mhz", a.frequency_mhz}, {"height_m", a.height_m}, {"offset_m", a.offset_m},
                  {"coupling", a.coupling}, {"ringing", a.ringing}, {"ringing_decay_ns", a.ringing_decay_ns},
                  {"drift", a.drift}, {"drift_length_m", a.drift_length_m}};
  j["recording"] = {{"n_samples", s.recording.n_samples}, {"time_window_ns", s.recording.time_window_ns},
                    {"time_zero_ns", s.recording.time_zero_ns}, {"trace_spacing_m", s.recording.trace_spacing_m}};
  j["lane"] = {{"length_m", s.lane.length_m}, {"channels", s.lane.channels}, {"channel_spacing_m", s.lane.channel_spacing_m}};
  j["snr_db"] = s.snr_db;
  j["objects"] = json::array();
  for (const auto& o : s.objects)
    j["objects"].push_back({{"type", o.type}, {"x", o.x}, {"y", o.y}, {"depth", o.depth}, {"size_m", o.size_m},
                            {"permittivity", o.permittivity}, {"angle_deg", o.angle_deg}});
  const auto& r = s.random;
  j["random"] = {{"ap_mines", r.ap_mines}, {"at_mines", r.at_mines}, {"clutter", r.clutter}, {"uxo", r.uxo},
                 {"min_spacing_m", r.min_spacing_m}, {"max_depth_ap_m", r.max_depth_ap_m},
                 {"max_depth_at_m", r.max_depth_at_m}, {"max_depth_clutter_m", r.max_depth_clutter_m},
                 {"max_depth_uxo_m", r.max_depth_uxo_m}};
  return j.dump(1);
}

template <class T>
GprLane<T> simulate_gpr(const GprScene& scene_in, std::uint64_t seed, bool with_twin, int threads) {
  scene_in.validate();
  GprScene scene = scene_in;
  const auto& g = scene.ground;
  const auto& ant = scene.antenna;
  const auto& rec = scene.recording;
  const Index m = Index(std::floor(scene.lane.length_m / rec.trace_spacing_m + 1e-9)) + 1;
  const Index nc = scene.lane.channels, n = rec.n_samples;
  const double sp = scene.lane.channel_spacing_m, half_w = 0.5 * double(nc) * sp;

  GprLane<T> lane;
  lane.format = {n, rec.time_window_ns / double(n), rec.time_zero_ns};
  for (Index j = 0; j < m; ++j) lane.x_m.push_back(double(j) * rec.trace_spacing_m);
  for (Index c = 0; c < nc; ++c) lane.y_m.push_back((double(c) - 0.5 * double(nc - 1)) * sp);
  lane.truth.area = {0, scene.lane.length_m, -half_w, half_w};

  // Random objects: uniform in the lane, rejection-sampled to keep min_spacing_m apart.
  {
    Rng r(seed, kPlace);
    const auto& rs = scene.random;
    // uxo last: scenes without it draw what they drew before it existed
    const std::array<std::pair<Index, std::vector<const char*>>, 4> groups{{
        {rs.ap_mines, {"PMN", "PMA-1", "TS-50"}}, {rs.at_mines, {"TM-62M", "TM-62P"}},
        {rs.clutter, {"rock", "root", "fragment", "void"}}, {rs.uxo, {"mortar"}}}};
    const std::array<double, 4> max_depth{rs.max_depth_ap_m, rs.max_depth_at_m, rs.max_depth_clutter_m,
                                          rs.max_depth_uxo_m};
    const double margin = std::min(0.25, 0.25 * scene.lane.length_m);
    for (std::size_t gi = 0; gi < groups.size(); ++gi)
      for (Index k = 0; k < groups[gi].first; ++k) {
        GprObject o;
        o.type = groups[gi].second[std::size_t(r.uniform() * double(groups[gi].second.size()))];
        o.depth = r.uniform(0.01, max_depth[gi]);
        if (!kind_of(o.type).disc) o.angle_deg = r.uniform(0, 180);  // PMA-1, roots: any orientation
        for (int tries = 0;; ++tries) {
          require(tries < 10000, "GPR scene: cannot place ", groups[gi].first, " random objects ", rs.min_spacing_m,
                  " m apart in this lane");
          o.x = r.uniform(margin, scene.lane.length_m - margin);
          o.y = r.uniform(-half_w, half_w);
          bool free = true;
          for (const auto& p : scene.objects) free = free && std::hypot(p.x - o.x, p.y - o.y) >= rs.min_spacing_m;
          if (free) break;
        }
        scene.objects.push_back(o);
      }
    scene.random.ap_mines = scene.random.at_mines = scene.random.clutter = scene.random.uxo = 0;  // now written out
  }
  const double n_soil = std::sqrt(g.permittivity);
  std::vector<Body> bodies;
  for (std::size_t i = 0; i < scene.objects.size(); ++i) {
    GprObject& o = scene.objects[i];
    o = resolve(o, seed, i);
    const Kind& k = kind_of(o.type);
    TruthObject t;
    t.id = int(i), t.label = k.label, t.type = o.type, t.x = o.x, t.y = o.y, t.depth = o.depth, t.size = o.size_m;
    t.material = material_name(k.material, o.permittivity);
    lane.truth.objects.push_back(t);
    bodies.push_back(make_body(o, n_soil, ant.height_m));
  }
  lane.scene_json = to_json(scene);

  const double f = ant.frequency_mhz * 1e-3;                       // GHz
  const double alpha = 188.4 * g.conductivity_ms_m * 1e-3 / n_soil; // Np/m
  const double r_ground = (1 - n_soil) / (1 + n_soil);
  const double t_trans = 4 * n_soil / ((1 + n_soil) * (1 + n_soil)); // air -> ground -> air
  const double d_ref = 2 * std::max(ant.height_m, 0.05);             // spreading reference, m
  const double sigma = std::abs(r_ground) * std::pow(10.0, -scene.snr_db / 20);
  const double lambda_g = kC / (f * n_soil);                         // wavelength in the ground, m
  // surface correlation exp(-r^2 / l^2): a field of length l / sqrt(2)
  const detail::FourierField<2> surface(g.roughness_rms_m, g.correlation_length_m / std::sqrt(2.0), 64,
                                        Rng(seed, kSurface));
  std::vector<detail::FourierField<1>> drift;
  for (Index c = 0; c < nc; ++c) drift.emplace_back(1.0, ant.drift_length_m, 8, Rng(seed, kDrift + std::uint64_t(c)));
  const Index n_ring = ant.ringing > 0 ? std::min<Index>(20, Index(std::ceil(5 * ant.ringing_decay_ns * f))) : 0;
  const double dt = lane.format.dt_ns, t_first = -rec.time_zero_ns;

  // Coupling and ringing are antenna-internal: one waveform, scaled by each trace's drift.
  std::vector<double> coupling(std::size_t(n), 0.0);
  {
    const double t_direct = ant.offset_m / kC;
    add_ricker(coupling.data(), n, dt, t_first, t_direct, 1.0, f);
    for (Index k = 1; k <= n_ring; ++k)
      add_ricker(coupling.data(), n, dt, t_first, t_direct + double(k) / f,
                 ant.ringing * (k % 2 ? -1.0 : 1.0) * std::exp(-double(k - 1) / f / ant.ringing_decay_ns), f);
  }
  // Surface heights under every antenna, by a rotation recurrence along x per mode and channel
  // (a complex multiplication a trace instead of a cosine).
  lane.surface_m.assign(std::size_t(m * nc), 0.0);
  parallel_for(nc, threads, [&](Index c0, Index c1) {
    for (Index c = c0; c < c1; ++c)
      for (const auto& k : surface.modes) {
        std::complex<double> z = std::polar(surface.amplitude, k[1] * lane.y_m[std::size_t(c)] + k[2]);
        const std::complex<double> step = std::polar(1.0, k[0] * rec.trace_spacing_m);
        double* sc = lane.surface_m.data() + c * m;
        for (Index j = 0; j < m; ++j, z *= step) sc[j] += z.real();
      }
  }, 1);

  lane.data.setZero(n, m * nc);
  if (with_twin) lane.twin.setZero(n, m * nc);

  parallel_for(m * nc, threads, [&](Index b, Index e) {
    std::vector<Event> ev;
    for (Index col = b; col < e; ++col) {
      const Index c = col / m, j = col % m;
      const double xa = lane.x_m[std::size_t(j)], ya = lane.y_m[std::size_t(c)];
      const double s = lane.surface_m[std::size_t(col)];
      const double h = std::max(ant.height_m - s, 0.0), half_off = 0.5 * ant.offset_m;
      ev.clear();
      const double k_drift = ant.coupling * (1 + ant.drift * drift[std::size_t(c)](xa));
      // ground bounce: mirror path
      const double l_gb = 2 * std::hypot(h, half_off);
      ev.push_back({l_gb / kC, r_ground * std::min(1.0, d_ref / std::max(l_gb, 1e-9)), false});
      // layers: vertical incidence through the layers above
      {
        double t = l_gb / kC, n_above = n_soil, z_above = 0, trans = t_trans, att = 0;
        for (const auto& l : g.layers) {
          const double dz = l.depth_m + s - z_above, n_below = std::sqrt(l.permittivity);
          if (dz <= 0) continue;
          t += 2 * n_above * dz / kC;
          att += 2 * alpha * dz;
          const double r = (n_above - n_below) / (n_above + n_below);
          ev.push_back({t, r * trans * std::exp(-att) * std::min(1.0, d_ref / (kC * t)), false});
          trans *= 1 - r * r;
          n_above = n_below, z_above = l.depth_m + s;
        }
      }
      // objects: tx and rx rays to the nearest point of the footprint
      for (const Body& o : bodies) {
        if (std::abs(o.x - xa) > o.reach || std::abs(o.y - ya) > o.reach) continue;
        const double d = o.depth + s;
        const Ray tx = one_way(h, d, footprint_distance(o, xa - half_off, ya), n_soil);
        const Ray rx = one_way(h, d, footprint_distance(o, xa + half_off, ya), n_soil);
        const double beam = beam_factor(tx.cos_a) * beam_factor(rx.cos_a);
        if (beam <= 0) continue;
        const double t = tx.t + rx.t;
        const double r_f2 = lambda_g * (0.5 * kC * t / n_soil) / 2;  // first Fresnel zone radius^2
        const double size = std::min(1.0, o.area / (kPi * r_f2));
        const double amp = t_trans * beam * size * std::exp(-alpha * (tx.ground + rx.ground)) *
                           std::min(1.0, d_ref / (kC * t));
        ev.push_back({t, o.r_top * amp, o.target});
        if (o.r_bot != 0 && o.t_in > 0) ev.push_back({t + o.t_in, o.r_bot * amp, o.target});
      }
      T* y = lane.data.col(col).data();
      Rng noise(seed, kNoise + std::uint64_t(col));
      for (Index i = 0; i < n; ++i) y[i] = T(k_drift * coupling[std::size_t(i)] + sigma * noise.normal());
      if (with_twin) std::copy_n(y, n, lane.twin.col(col).data());  // same clutter, same noise
      for (const Event& v : ev) {
        add_ricker(y, n, dt, t_first, v.t, v.amp, f);
        if (with_twin && !v.target) add_ricker(lane.twin.col(col).data(), n, dt, t_first, v.t, v.amp, f);
      }
    }
  }, 16);
  return lane;
}

template <class T>
void write_npy(const std::string& path, const Matrix<T>& mat, Index channels) {
  std::string shape = std::to_string(mat.rows()) + ", " + std::to_string(mat.cols() / channels);
  if (channels > 1) shape += ", " + std::to_string(channels);
  std::string header = "{'descr': '<" + std::string(sizeof(T) == 4 ? "f4" : "f8") +
                       "', 'fortran_order': True, 'shape': (" + shape + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  require(bool(out), "cannot open ", path, " for writing");
  const unsigned short len = static_cast<unsigned short>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char le[2] = {char(len & 0xff), char(len >> 8)};
  out.write(le, 2);
  out << header;
  out.write(reinterpret_cast<const char*>(mat.data()), std::streamsize(sizeof(T) * std::size_t(mat.size())));
  if (!out) throw Error("write failed: " + path);
}

template <class T>
void write_gpr_lane(const std::string& directory, const GprLane<T>& lane) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw Error("cannot create directory " + directory + ": " + ec.message());
  const std::filesystem::path dir(directory);
  const Index nc = Index(lane.y_m.size());
  write_npy((dir / "data.npy").string(), lane.data, nc);
  if (lane.twin.size()) write_npy((dir / "twin.npy").string(), lane.twin, nc);
  auto text = [](const std::filesystem::path& p, const std::string& s) {
    std::ofstream out(p);
    out << s << '\n';
    if (!out) throw Error("write failed: " + p.string());
  };
  json meta = {{"dt_ns", lane.format.dt_ns}, {"time_zero_ns", lane.format.time_zero_ns},
               {"n_samples", lane.format.n_samples}, {"n_traces", lane.n_traces()}, {"channels", lane.y_m.size()},
               {"x_m", lane.x_m}, {"y_m", lane.y_m}, {"surface_m", lane.surface_m}};
  text(dir / "meta.json", meta.dump(1));
  text(dir / "truth.json", to_json(lane.truth));
  text(dir / "scene.json", lane.scene_json);
}

#define SAPPER_SIM_GPR(T)                                                               \
  template GprLane<T> simulate_gpr<T>(const GprScene&, std::uint64_t, bool, int);       \
  template void write_gpr_lane<T>(const std::string&, const GprLane<T>&);               \
  template void write_npy<T>(const std::string&, const Matrix<T>&, Index);
SAPPER_SIM_GPR(float)
SAPPER_SIM_GPR(double)
#undef SAPPER_SIM_GPR

}  // namespace sapper::sim
