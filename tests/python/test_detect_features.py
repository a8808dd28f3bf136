"""sapper.detect hyperbola analysis and features: fits on simulated lanes (sapper.sim.gpr) against
the scene's truth, HOG / EHD against direct numpy implementations written here, energy and spectral
features against numpy, magnetometer features, errors."""
import math

import numpy as np
import pytest

from sapper import detect
from sapper.sim import gpr as simgpr

C = 0.299792458  # m/ns, the simulator's


# ---------------------------------------------------------------- independent references

def hog_ref(w, cell=(8, 8), bins=9, block=2, clip=0.2):
    w = np.asarray(w, dtype=np.float64)
    p = np.pad(w, 1, mode="edge")
    gx = p[1:-1, 2:] - p[1:-1, :-2]
    gy = p[2:, 1:-1] - p[:-2, 1:-1]
    mag = np.hypot(gx, gy)
    th = np.arctan2(gy, gx)
    th = np.where(th < 0, th + np.pi, th)
    th = np.where(th >= np.pi, th - np.pi, th)
    pos = th * bins / np.pi
    k0 = np.floor(pos)
    f = pos - k0
    k0 = k0.astype(int) % bins
    k1 = (k0 + 1) % bins
    ncr, ncc = w.shape[0] // cell[0], w.shape[1] // cell[1]
    cells = np.zeros((ncr, ncc, bins))
    ci = np.arange(w.shape[0])[:, None] // cell[0] + 0 * np.arange(w.shape[1])[None, :]
    cj = 0 * np.arange(w.shape[0])[:, None] + np.arange(w.shape[1])[None, :] // cell[1]
    np.add.at(cells, (ci, cj, k0), (1 - f) * mag)
    np.add.at(cells, (ci, cj, k1), f * mag)
    out = []
    for br in range(ncr - block + 1):
        for bc in range(ncc - block + 1):
            v = cells[br:br + block, bc:bc + block].reshape(-1)
            n = np.linalg.norm(v)
            v = np.minimum(v / n, clip) if n > 0 else v
            n = np.linalg.norm(v)
            out.append(v / n if n > 0 else v)
    return np.concatenate(out)


def ehd_ref(w, grid=(4, 4), block=4, threshold=0.1):
    w = np.asarray(w, dtype=np.float64)
    sr, sc = w.shape[0] // grid[0], w.shape[1] // grid[1]
    hb = block // 2
    thr = threshold * np.abs(w).max()
    out = np.zeros((grid[0], grid[1], 5))
    r2 = math.sqrt(2)
    for gr in range(grid[0]):
        for gc in range(grid[1]):
            sub = w[gr * sr:(gr + 1) * sr, gc * sc:(gc + 1) * sc]
            nb = 0
            for r in range(0, sr - block + 1, block):
                for c in range(0, sc - block + 1, block):
                    b = sub[r:r + block, c:c + block]
                    a0, a1 = b[:hb, :hb].mean(), b[:hb, hb:].mean()
                    a2, a3 = b[hb:, :hb].mean(), b[hb:, hb:].mean()
                    s = [abs(a0 - a1 + a2 - a3), abs(a0 + a1 - a2 - a3), r2 * abs(a0 - a3), r2 * abs(a1 - a2),
                         2 * abs(a0 - a1 - a2 + a3)]
                    k = int(np.argmax(s))
                    if s[k] > thr:
                        out[gr, gc, k] += 1
                    nb += 1
            out[gr, gc] /= nb
    return out.reshape(-1)


def brute_time(x, x0, d, v, h, o):
    """Two-way time by a dense search over the surface crossing points (no Newton, no Snell)."""
    def leg(X):
        if h == 0:
            return math.hypot(d, X) / v
        p = np.linspace(min(0.0, X), max(0.0, X), 200001)
        return float(np.min(np.hypot(h, p) / C + np.hypot(d, X - p) / v))
    return leg(x - o / 2 - x0) + leg(x + o / 2 - x0)


def quiet_scene(height, offset, objects, snr_db=80.0):
    return {"ground": {"permittivity": 6.0, "conductivity_ms_m": 0.0, "roughness_rms_m": 0.0},
            "antenna": {"ringing": 0.0, "drift": 0.0, "offset_m": offset, "height_m": height},
            "recording": {"trace_spacing_m": 0.01},
            "lane": {"length_m": 2.0}, "snr_db": snr_db, "objects": objects}


def point_lane(height, offset, depth=0.1, x=1.005, eps=6.0, snr_db=80.0, obj="point", dtype=np.float64):
    """A quiet lane with one object, minus the same lane without it (noise-free: the exact background;
    the noise of the first lane stays)."""
    scene = quiet_scene(height, offset, [{"type": obj, "x": x, "y": 0.0, "depth": depth}], snr_db)
    scene["ground"]["permittivity"] = eps
    lane = simgpr.simulate(scene, seed=1, dtype=dtype)
    bg = simgpr.simulate(dict(scene, objects=[], snr_db=400.0), seed=1, dtype=dtype).data
    return lane, lane.data - bg


def fit_near_apex(lane, data, height, offset, depth, x0, v, **kw):
    j = int(np.argmin(np.abs(lane.x - x0))) + 3  # an alarm a few traces off the apex
    s = int(round((brute_time(lane.x[j], x0, depth, v, height, offset) + lane.time_zero_ns) / lane.dt_ns))
    return detect.fit_hyperbola(data, (j, s), lane.dt_ns, lane.time_zero_ns, positions=lane.x,
                                antenna_height_m=height, offset_m=offset, **kw)


# ---------------------------------------------------------------- hyperbola on the simulator

@pytest.mark.parametrize("height,offset", [(0.07, 0.05), (0.0, 0.0), (0.0, 0.05), (0.07, 0.0), (0.15, 0.0),
                                           (0.15, 0.05)])
def test_fit_recovers_apex_and_velocity_on_simulated_point(height, offset):
    depth, x0, eps = 0.1, 1.005, 6.0
    v = C / math.sqrt(eps)
    lane, data = point_lane(height, offset, depth, x0, snr_db=400.0)
    t0 = brute_time(x0, x0, depth, v, height, offset)
    fit = fit_near_apex(lane, data, height, offset, depth, x0, v)
    assert fit.ok, fit
    spacing = lane.x[1] - lane.x[0]
    assert abs(fit.x0_m - x0) <= spacing
    assert abs(fit.x0_trace - np.interp(x0, lane.x, np.arange(len(lane.x)))) <= 1
    assert abs(fit.t0_ns - t0) <= lane.dt_ns
    assert fit.velocity_m_ns == pytest.approx(v, rel=0.05)
    assert fit.permittivity == pytest.approx(eps, rel=0.10)
    assert fit.depth_m == pytest.approx(depth, abs=0.01)
    assert fit.traces_used >= 10 and fit.residual_ns < 0.2 * lane.dt_ns


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("eps", [4.0, 6.0, 12.0])
@pytest.mark.parametrize("depth", [0.05, 0.1, 0.2])
def test_default_antenna_depths_permittivities_with_noise(depth, eps, dtype):
    """Issue 7's check: the simulator's default antenna (7 cm high, 5 cm tx-rx), noise 90 dB below
    the ground bounce (the point's apex 15-140 times the noise rms): apex within a sample and a
    trace, velocity within 5%."""
    x0, v = 1.005, C / math.sqrt(eps)
    lane, data = point_lane(0.07, 0.05, depth, x0, eps, snr_db=90.0, dtype=dtype)
    fit = fit_near_apex(lane, data, 0.07, 0.05, depth, x0, v)
    assert fit.ok, fit
    assert abs(fit.t0_ns - brute_time(x0, x0, depth, v, 0.07, 0.05)) <= lane.dt_ns
    assert abs(fit.x0_m - x0) <= 0.01
    assert fit.velocity_m_ns == pytest.approx(v, rel=0.05)


@pytest.mark.parametrize("depth", [0.03, 0.08, 0.15])
def test_pmn_mine_with_its_twin(depth):
    """A PMN (11.2 cm plastic disc, top at `depth`): the echo comes from the nearest point of the
    disc, so the curve is flat over it; the fitted flat top gives the radius and the velocity."""
    x0, v, r = 1.005, C / math.sqrt(6.0), 0.056
    scene = quiet_scene(0.07, 0.05, [{"type": "PMN", "x": x0, "y": 0.0, "depth": depth}], snr_db=90.0)
    lane = simgpr.simulate(scene, seed=3, dtype=np.float32, twin=True)
    data = lane.data - lane.twin  # the twin drops the mine: background, clutter and noise removed

    def t_disc(x):  # each leg to the disc's nearest point, |X| - r from its centre
        leg = lambda X: 0.5 * brute_time(max(abs(X) - r, 0.0), 0.0, depth, v, 0.07, 0.0)
        return leg(x - 0.025 - x0) + leg(x + 0.025 - x0)

    j = int(np.argmin(np.abs(lane.x - x0))) + 3
    s = int(round((t_disc(lane.x[j]) + lane.time_zero_ns) / lane.dt_ns))
    fit = detect.fit_hyperbola(data, (j, s), lane.dt_ns, lane.time_zero_ns, positions=lane.x,
                               antenna_height_m=0.07, offset_m=0.05, ground_sign=-1)
    assert fit.ok, fit
    assert abs(fit.t0_ns - t_disc(x0)) <= lane.dt_ns
    assert abs(fit.x0_m - x0) <= 0.01
    assert fit.velocity_m_ns == pytest.approx(v, rel=0.05)
    assert fit.radius_m == pytest.approx(r, abs=0.01)
    assert fit.depth_m == pytest.approx(depth, abs=0.01)
    assert fit.polarity == -1
    point = detect.fit_hyperbola(data, (j, s), lane.dt_ns, lane.time_zero_ns, positions=lane.x,
                                 antenna_height_m=0.07, offset_m=0.05, max_radius_m=0.0)
    assert not point.ok or point.velocity_m_ns > 1.3 * v  # what the point model alone made of it


def test_height_from_ground_time_and_float32():
    lane, data = point_lane(0.15, 0.05, snr_db=400.0)
    tg = 2 * math.hypot(0.15, 0.025) / C
    v = C / math.sqrt(6.0)
    j = int(np.argmin(np.abs(lane.x - 1.005)))
    s = int(round((brute_time(lane.x[j], 1.005, 0.1, v, 0.15, 0.05) + lane.time_zero_ns) / lane.dt_ns))
    fit = detect.fit_hyperbola(data.astype(np.float32), [j, s], lane.dt_ns, lane.time_zero_ns,
                               trace_spacing_m=0.01, antenna_height_m=None, offset_m=0.05, ground_time_ns=tg,
                               ground_sign=-1)
    assert isinstance(fit, detect.HyperbolaFit) and fit.ok
    # the derived height and float32 data
    assert fit.velocity_m_ns == pytest.approx(v, rel=0.05)
    assert fit.ground_time_ns == tg
    # the ground bounce of the raw lane: its time and (negative) sign
    g = detect.pick_ground(lane.data, lane.dt_ns, lane.time_zero_ns, gate_ns=(tg - 0.15, tg + 0.15))
    assert g.sign == -1 and abs(g.time_ns - tg) < 2 * lane.dt_ns


@pytest.mark.parametrize("obj,expected", [
    ({"type": "PMN"}, -1),                               # plastic (eps 3 in eps 6): opposite to the ground
    ({"type": "void", "size_m": 0.04}, -1),              # air
    ({"type": "point"}, 1),                              # metal: same sign as the ground
    ({"type": "TM-62M"}, 1),                             # metal AT mine
    ({"type": "rock", "size_m": 0.04, "permittivity": 15.0}, 1),  # denser than the soil
])
def test_polarity_plastic_versus_metal(obj, expected):
    h, o, depth = 0.07, 0.05, 0.08
    scene = quiet_scene(h, o, [dict(obj, x=1.0, y=0.0, depth=depth)], snr_db=60)
    lane = simgpr.simulate(scene, seed=2, dtype=np.float64)
    tg = 2 * math.hypot(h, o / 2) / C
    ground = detect.pick_ground(lane.data, lane.dt_ns, lane.time_zero_ns, gate_ns=(tg - 0.15, tg + 0.15))
    data = lane.data - lane.data.mean(axis=1, keepdims=True)
    j = int(np.argmin(np.abs(lane.x - 1.0)))
    s = int(round((2 * (h + math.sqrt(6.0) * depth) / C + lane.time_zero_ns) / lane.dt_ns))
    fit = detect.fit_hyperbola(data, (j, s), lane.dt_ns, lane.time_zero_ns, positions=lane.x, antenna_height_m=h,
                               offset_m=o, ground_sign=ground.sign)
    assert ground.sign == -1
    assert fit.polarity == expected, fit
    # reading the ground sign in the same call from the raw lane gives the same answer
    raw = detect.fit_hyperbola(lane.data, (j, s), lane.dt_ns, lane.time_zero_ns, positions=lane.x,
                               antenna_height_m=h, offset_m=o, ground_time_ns=tg)
    assert raw.polarity == expected


def test_many_alarms_and_alarm_objects():
    lane, data = point_lane(0.0, 0.0)
    j = int(np.argmin(np.abs(lane.x - 1.005)))
    s = int(round((2 * 0.1 / (C / math.sqrt(6)) + lane.time_zero_ns) / lane.dt_ns))

    class Alarm:
        trace, sample, time_ns = j, s, math.nan

    fits = detect.fit_hyperbola(data, np.array([[j, s], [j, 5]]), lane.dt_ns, lane.time_zero_ns, positions=lane.x)
    assert len(fits) == 2 and fits[0].ok and not fits[1].ok
    one = detect.fit_hyperbola(data, Alarm(), lane.dt_ns, lane.time_zero_ns, positions=lane.x)
    assert repr(one) == repr(fits[0])  # repr: NaN fields compare unequal
    assert repr(detect.fit_hyperbola(data, [Alarm(), (j, s)], lane.dt_ns, lane.time_zero_ns,
                                     positions=lane.x)) == repr([one, one])
    bad = detect.fit_hyperbola(data, (10**6, 3), lane.dt_ns, lane.time_zero_ns, positions=lane.x)
    assert bad.status == "invalid_input" and math.isnan(bad.velocity_m_ns)


def test_hyperbola_time_is_the_textbook_hyperbola_when_ground_coupled():
    x = np.linspace(-0.3, 0.3, 7)
    t = detect.hyperbola_time(x, 0.02, 0.12, 0.1)
    np.testing.assert_allclose(t, np.sqrt((2 * 0.12 / 0.1) ** 2 + 4 * (x - 0.02) ** 2 / 0.01), rtol=1e-12)
    assert detect.hyperbola_time(0.1, 0.0, 0.1, 0.12, 0.07, 0.05) == pytest.approx(
        brute_time(0.1, 0.0, 0.1, 0.12, 0.07, 0.05), rel=1e-4)  # the library's c is 0.2998 m/ns


def test_hyperbola_errors():
    x = np.zeros((64, 50))
    with pytest.raises(ValueError, match="positions"):
        detect.fit_hyperbola(x, (3, 3), 0.1)
    with pytest.raises(ValueError, match="increasing"):
        detect.fit_hyperbola(x, (3, 3), 0.1, positions=np.zeros(50))
    with pytest.raises(ValueError, match="half_width"):
        detect.fit_hyperbola(x, (3, 3), 0.1, trace_spacing_m=0.02, half_width=1)
    with pytest.raises(ValueError, match="v_min"):
        detect.fit_hyperbola(x, (3, 3), 0.1, trace_spacing_m=0.02, velocity_bounds=(0.2, 0.1))
    with pytest.raises(ValueError, match="dt_ns"):
        detect.fit_hyperbola(x, (3, 3), 0.0, trace_spacing_m=0.02)
    with pytest.raises(ValueError, match="ground_sign"):
        detect.fit_hyperbola(x, (3, 3), 0.1, trace_spacing_m=0.02, ground_sign=3)
    with pytest.raises(TypeError):
        detect.fit_hyperbola(x.astype(np.complex64), (3, 3), 0.1, trace_spacing_m=0.02)
    with pytest.raises(TypeError):
        detect.fit_hyperbola(x, "alarm", 0.1, trace_spacing_m=0.02)
    with pytest.raises(ValueError, match="NaN"):
        detect.fit_hyperbola(np.full((64, 50), np.nan), (3, 3), 0.1, trace_spacing_m=0.02, check_finite=True)
    assert detect.fit_hyperbola(np.full((64, 50), np.nan), (3, 3), 0.1, trace_spacing_m=0.02).status == "non_finite"
    with pytest.raises(ValueError, match="gate"):
        detect.pick_ground(x, 0.1, gate_ns=(100.0, 200.0))


# ---------------------------------------------------------------- HOG and EHD

@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("opts", [{}, {"cell": (4, 8), "bins": 6, "block": 3, "clip": 0.3}])
def test_hog_matches_numpy(dt, opts):
    rng = np.random.default_rng(4)
    w = rng.standard_normal((64, 32)).cumsum(axis=0).astype(dt)
    got = detect.hog(w, **opts)
    ref = hog_ref(w, **opts)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=1e-6 if dt == np.float32 else 1e-12)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("opts", [{}, {"grid": (2, 4), "block": 8, "threshold": 0.05}])
def test_ehd_matches_numpy(dt, opts):
    rng = np.random.default_rng(5)
    w = np.round(rng.standard_normal((64, 32)) * 4).astype(dt)  # integer values: no ties decided by rounding
    w[:, 16:] += 6
    got = detect.ehd(w, **opts)
    np.testing.assert_allclose(got, ehd_ref(w, **opts), atol=1e-12)
    assert got.shape == (5 * opts.get("grid", (4, 4))[0] * opts.get("grid", (4, 4))[1],)


def test_known_edges():
    v = np.zeros((32, 32))
    v[:, 13:] = 1.0  # a vertical edge (change along traces), inside blocks
    h = detect.hog(v, bins=8, block=1).reshape(-1, 8)
    assert np.all(np.argmax(h[[0, 2, 4, 6]], axis=1) == 0)       # cells holding the edge: bin 0
    e = detect.ehd(v).reshape(4, 4, 5)
    assert np.all(e[:, 1, 0] > 0) and e[..., 1:].sum() == 0      # vertical only
    e = detect.ehd(v.T.copy()).reshape(4, 4, 5)
    assert np.all(e[1, :, 1] > 0) and e[..., [0, 2, 3, 4]].sum() == 0  # horizontal only
    h = detect.hog(v.T.copy(), bins=8, block=1).reshape(-1, 8)
    assert np.all(np.argmax(h[h.sum(axis=1) > 0], axis=1) == 4)  # gradient along samples: pi/2


# ---------------------------------------------------------------- alarm vectors

def test_alarm_features_layout_and_numpy_reference():
    lane, data = point_lane(0.0, 0.0)
    j = int(np.argmin(np.abs(lane.x - 1.005)))
    s = int(round((2 * 0.1 / (C / math.sqrt(6)) + lane.time_zero_ns) / lane.dt_ns))
    alarms = np.array([[j, s], [3, 10], [j, 500], [10**5, 0]])
    f, names, ok = detect.alarm_features(data, alarms, lane.dt_ns, lane.time_zero_ns, positions=lane.x)
    assert names == detect.feature_names() and f.shape == (4, len(names)) == (4, 756 + 80 + 9 + 3 + 2)
    assert ok.tolist() == [True, True, True, False] and np.isnan(f[3]).all()
    col = {n: k for k, n in enumerate(names)}
    n, m = data.shape
    for a in range(3):
        t, smp = alarms[a]
        r0, c0 = min(max(smp - 32, 0), n - 64), min(max(t - 16, 0), m - 32)
        w = data[r0:r0 + 64, c0:c0 + 32]
        np.testing.assert_allclose(f[a, :756], hog_ref(w), atol=1e-12)
        np.testing.assert_allclose(f[a, 756:836], ehd_ref(w), atol=1e-12)
        e = np.mean(w ** 2)
        assert f[a, col["energy"]] == pytest.approx(e, rel=1e-12)
        assert f[a, col["peak"]] == pytest.approx(np.abs(w).max(), rel=1e-12)
        bg = np.concatenate([data[r0:r0 + 64, max(c0 - 32, 0):c0], data[r0:r0 + 64, c0 + 32:c0 + 64]], axis=1)
        assert f[a, col["energy_ratio_db"]] == pytest.approx(10 * np.log10(e / np.mean(bg ** 2)), rel=1e-9)
        p = (np.abs(np.fft.rfft(w * np.hanning(64)[:, None], axis=0)) ** 2).sum(axis=1)
        fk = np.fft.rfftfreq(64, lane.dt_ns) * 1e3
        fc = (p * fk).sum() / p.sum()
        assert f[a, col["spectral_centroid_mhz"]] == pytest.approx(fc, rel=1e-9)
        assert f[a, col["spectral_bandwidth_mhz"]] == pytest.approx(
            math.sqrt((p * (fk - fc) ** 2).sum() / p.sum()), rel=1e-7)
    # the alarm on the point: a good hyperbola close to the alarm
    assert f[0, col["hyp_ok"]] == 1 and abs(f[0, col["hyp_dx_m"]]) < 0.02
    assert f[0, col["hyp_velocity_m_ns"]] == pytest.approx(C / math.sqrt(6), rel=0.05)
    # threads and single alarms give the same rows; groups can be left out
    f1, _, _ = detect.alarm_features(data, alarms, lane.dt_ns, lane.time_zero_ns, positions=lane.x, threads=1)
    np.testing.assert_array_equal(f1, f)
    g, gn, _ = detect.alarm_features(data, (j, s), lane.dt_ns, lane.time_zero_ns, hog=False, ehd=False,
                                     hyperbola=False)
    assert gn == ["energy", "peak", "energy_ratio_db", "spectral_centroid_mhz", "spectral_bandwidth_mhz"]
    np.testing.assert_array_equal(g[0], f[0, 845:])


def test_feature_errors():
    x = np.zeros((128, 64))
    with pytest.raises(ValueError, match="tiled"):
        detect.alarm_features(x, (3, 3), 0.1, window=(60, 32), hyperbola=False)
    with pytest.raises(ValueError, match="window_samples"):
        detect.alarm_features(x, (3, 3), 0.1, window=(256, 32), hyperbola=False)
    with pytest.raises(ValueError, match="positions"):
        detect.alarm_features(x, (3, 3), 0.1)
    with pytest.raises(ValueError, match="even"):
        detect.ehd(np.zeros((12, 12)), grid=(1, 1), block=3)
    with pytest.raises(ValueError, match="NaN"):
        detect.hog(np.full((16, 16), np.nan))
    with pytest.raises(ValueError, match="bins"):
        detect.hog(np.zeros((16, 16)), bins=1)
    with pytest.raises(ValueError):
        detect.feature_names(window=(64, 30))


def test_mag_features_from_dipole_fit():
    from sapper.mag import DipoleFit
    fit = DipoleFit(x=1.0, y=2.0, z=-0.3, depth=0.3, moment=(0.01, 0.0, -0.02), moment_am2=0.05, inclination_deg=40.0,
                    declination_deg=3.0, remanence_deg=12.0, base_nt=1.0, rms_nt=2.0, scale_nt=1.5, coherence=0.98,
                    amplitude_nt=80.0, width_m=0.6, iterations=7, converged=True, points_used=100)
    v, names = detect.mag_features(fit)
    assert names == detect.mag_feature_names() and v.shape == (len(names),)
    d = dict(zip(names, v))
    assert d["mag_depth_m"] == 0.3 and d["mag_moment_am2"] == 0.05
    assert d["mag_log10_moment"] == pytest.approx(math.log10(0.05))
    assert d["mag_relative_rms"] == pytest.approx(2.0 / 80) and d["mag_converged"] == 1.0
    many, _ = detect.mag_features([fit, fit.as_dict()])
    assert many.shape == (2, len(names))
    np.testing.assert_array_equal(many[0], many[1])
