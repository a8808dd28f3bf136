// sapper::sim GPR lanes: B-scans (one channel) and C-scans (channels across track) of a survey lane
// over buried mines and clutter, with ground truth and a target-free twin. Ray model: Ricker
// wavelets placed at Fermat travel times (refraction at the surface), with reflection and
// transmission coefficients, spreading, attenuation and a beam pattern. Exact formulas and the
// scene JSON schema: docs/sim_gpr.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sapper/core/types.hpp"
#include "sapper/sim/truth.hpp"

namespace sapper::sim {

struct GprLayer {
  double depth_m = 0.3;      ///< interface depth below the mean surface, m
  double permittivity = 9;   ///< relative permittivity below it
};

struct GprGround {
  double permittivity = 6;             ///< relative permittivity, 3-25
  double conductivity_ms_m = 10;       ///< mS/m, 0-50; attenuation 188.4 sigma / sqrt(eps) Np/m
  double roughness_rms_m = 0.005;      ///< rms surface height, 0-0.02 m
  double correlation_length_m = 0.1;   ///< Gaussian correlation length of the surface, 0.05-0.15 m
  std::vector<GprLayer> layers;        ///< optional planar interfaces (specular reflections only)
};

struct GprAntenna {
  double frequency_mhz = 1500;   ///< Ricker centre frequency, 500-3000 MHz
  double height_m = 0.07;        ///< above the mean surface, 0.05-0.10 m (0 allowed for tests)
  double offset_m = 0.05;        ///< tx-rx separation along track, m
  double coupling = 1.0;         ///< direct-coupling amplitude (flat-ground bounce is R_ground)
  double ringing = 0.15;         ///< amplitude of the first ringing echo, relative to coupling
  double ringing_decay_ns = 1.5; ///< e-folding time of the ringing, ns
  double drift = 0.05;           ///< relative amplitude drift of coupling/ringing along the lane
  double drift_length_m = 2.0;   ///< length scale of that drift, m
};

struct GprRecording {
  Index n_samples = 512;
  double time_window_ns = 12;    ///< n_samples * dt
  double time_zero_ns = 1.0;     ///< time of transmission after sample 0, ns
  double trace_spacing_m = 0.02; ///< 0.01-0.05 m
};

struct GprLaneGeometry {
  double length_m = 10;          ///< traces at x = 0, spacing, ..., <= length
  Index channels = 1;            ///< > 1: a C-scan; channels centred on y = 0
  double channel_spacing_m = 0.1;///< also the swath of one channel (area = length x channels x spacing)
};

/// An object placed by hand. Size, permittivity and angle default to the catalogue's values
/// (or, for clutter, to values drawn from the seed).
struct GprObject {
  std::string type;              ///< PMN, PMA-1, TS-50, TM-62M, TM-62P, mortar, rock, root, fragment, void, point
  double x = 0, y = 0, depth = 0.05;
  double size_m = 0;             ///< 0: catalogue / random
  double permittivity = 0;       ///< 0: catalogue / random (metal objects ignore it)
  double angle_deg = 0;          ///< rotation of elongated footprints about the vertical
};

/// Objects scattered at random (uniform in the lane, at least min_spacing_m apart).
struct GprRandomObjects {
  Index ap_mines = 0, at_mines = 0, clutter = 0;
  double min_spacing_m = 0.5;
  double max_depth_ap_m = 0.15, max_depth_at_m = 0.30, max_depth_clutter_m = 0.30;
  Index uxo = 0;  // last, so that aggregate initialisers written before it still compile
  double max_depth_uxo_m = 0.30;
};

struct GprScene {
  GprGround ground;
  GprAntenna antenna;
  GprRecording recording;
  GprLaneGeometry lane;
  double snr_db = 40;            ///< flat-ground bounce amplitude over the noise rms, dB
  std::vector<GprObject> objects;
  GprRandomObjects random;

  /// Throws ValueError naming the first parameter out of its range.
  void validate() const;
};

/// Parses the scene JSON (missing keys take their defaults; unknown keys are errors).
GprScene gpr_scene_from_json(std::string_view json);
/// Every parameter written out, so that the scene can be replayed.
std::string to_json(const GprScene& s);

/// A simulated lane. Column c * n_traces + j is the trace of channel c at x_m[j].
template <class T>
struct GprLane {
  Matrix<T> data;                ///< n_samples x (n_traces * channels)
  Matrix<T> twin;                ///< the same scene without its targets (mines; clutter stays); empty unless asked
  TraceFormat format;            ///< dt, time zero
  std::vector<double> x_m;       ///< along-track position of each trace
  std::vector<double> y_m;       ///< across-track position of each channel
  std::vector<double> surface_m; ///< surface height under each antenna (same order as columns), m
  Truth truth;                   ///< every object placed, area = the swath
  std::string scene_json;        ///< the scene as applied (random objects written out)
  Index n_traces() const { return Index(x_m.size()); }
};

/// Renders a lane; the same (scene, seed) gives the same numbers for any `threads`.
template <class T>
GprLane<T> simulate_gpr(const GprScene& scene, std::uint64_t seed, bool with_twin = false, int threads = 0);

/// Writes data.npy (+ twin.npy) of shape (n_samples, n_traces[, channels]), meta.json (dt_ns,
/// time_zero_ns, x_m, y_m, surface_m), truth.json and scene.json into `directory` (created if
/// missing); sapper.sim.gpr.read loads it. Throws Error on I/O failure.
template <class T>
void write_gpr_lane(const std::string& directory, const GprLane<T>& lane);

/// Writes a column-major matrix as a Fortran-ordered .npy file (numpy format 1.0); with channels > 1
/// its columns are split into a third axis: shape (rows, cols / channels, channels).
template <class T>
void write_npy(const std::string& path, const Matrix<T>& m, Index channels = 1);

extern template GprLane<float> simulate_gpr<float>(const GprScene&, std::uint64_t, bool, int);
extern template GprLane<double> simulate_gpr<double>(const GprScene&, std::uint64_t, bool, int);
extern template void write_gpr_lane<float>(const std::string&, const GprLane<float>&);
extern template void write_gpr_lane<double>(const std::string&, const GprLane<double>&);
extern template void write_npy<float>(const std::string&, const Matrix<float>&, Index);
extern template void write_npy<double>(const std::string&, const Matrix<double>&, Index);

}  // namespace sapper::sim
