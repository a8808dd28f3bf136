// The GPR detection chain in C++ without Python: simulate a lane with the C++ simulator (an AT
// mine, a mortar, a plastic AP mine and a rock), run sapper::pipeline::GprChain with the shipped
// GPR model, print the alarms.
//   ./gpr_chain [model.json]    (default: the shipped python/sapper/classify/models/gpr_default.json)
#include <sapper/pipeline.hpp>
#include <sapper/sim/gpr.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using namespace sapper;
  const std::string model = argc > 1 ? argv[1] : SAPPER_MODEL_DIR "/gpr_default.json";
  try {
    sim::GprScene scene;  // defaults: 1.5 GHz antenna 7 cm up, 512 samples over 12 ns, 2 cm trace spacing
    scene.lane.length_m = 6, scene.lane.channels = 8, scene.lane.channel_spacing_m = 0.1;
    scene.objects = {{"TM-62M", 1.5, 0.0, 0.05}, {"mortar", 3.0, 0.15, 0.08}, {"PMA-1", 4.5, -0.2, 0.04},
                     {"rock", 5.2, 0.1, 0.1}};
    const auto lane = sim::simulate_gpr<float>(scene, 7);
    const Index nt = lane.n_traces();
    std::vector<ConstView<float>> channels;  // one n_samples x n_traces B-scan per channel
    for (Index c = 0; c < scene.lane.channels; ++c) channels.emplace_back(lane.data.middleCols(c * nt, nt));

    pipeline::GprChainOptions opt;  // the shipped chain's defaults; the instrument (band, features, hyperbola fit)
    opt.antenna_mhz = scene.antenna.frequency_mhz;
    opt.antenna_height_m = scene.antenna.height_m, opt.offset_m = scene.antenna.offset_m;
    const pipeline::GprChain<float> chain(model, {lane.format.n_samples, lane.format.dt_ns, lane.format.time_zero_ns,
                                                   lane.x_m, lane.y_m}, opt);
    const pipeline::GprResult r = chain.alarms(channels);

    std::printf("%zu prescreener alarms, %zu after the classifier's merge\n", r.candidates.prescreen.alarms.size(),
                r.alarms.size());
    std::printf("%7s %7s %8s %8s %7s %6s  %-8s %s\n", "x_m", "y_m", "depth_m", "time_ns", "score", "conf", "label",
                "P(ap, at, uxo, clutter)");
    for (const auto& a : r.alarms)
      if (a.confidence >= 0.2)
        std::printf("%7.2f %7.2f %8.3f %8.2f %7.2f %6.2f  %-8s %.2f %.2f %.2f %.2f\n", a.x_m, a.y_m, a.depth_m,
                    a.time_ns, a.score, a.confidence, a.label_name(), a.proba[0], a.proba[1], a.proba[2], a.proba[3]);
    std::printf("truth:\n");
    for (const auto& o : lane.truth.objects) std::printf("%7.2f %7.2f %8.3f  %s\n", o.x, o.y, o.depth, o.type.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpr_chain: %s\n", e.what());
    return 1;
  }
  return 0;
}
