"""sapper.mag grid transforms against an independent numpy.fft implementation and the dipole model."""
import math

import numpy as np
import pytest

from sapper import mag
from sapper.sim import mag as smag

# ---- the numpy reference: the same padding and responses, written independently ----


def good_size(n):
    m = max(n, 1)
    while True:
        r = m
        for p in (2, 3, 5, 7):
            while r % p == 0:
                r //= p
        if r == 1:
            return m
        m += 1


def pad_axis(n, frac):
    N = good_size(n + 2 * math.ceil(frac * n))
    o = (N - n) // 2
    idx = np.arange(N) - o
    c = np.clip(idx, 0, n - 1)
    d = np.abs(idx - c)
    side = np.where(idx < 0, o, N - n - o)
    w = np.where(d == 0, 1.0, 0.5 * (1 + np.cos(np.pi * d / (side + 1))))
    return N, o, c, w


def np_pad(v, frac, mode):
    ny, nx = v.shape
    Ny, oy, jc, wy = pad_axis(ny, frac)
    Nx, ox, ic, wx = pad_axis(nx, frac)
    if mode == "mirror":
        p = np.pad(v, ((oy, Ny - ny - oy), (ox, Nx - nx - ox)), mode="symmetric")
    else:
        m = v.mean()
        p = m + (v[jc][:, ic] - m) * wy[:, None] * wx[None, :]
    return p, oy, ox


def wavenumbers(shape, dx, dy):
    ky = 2 * np.pi * np.fft.fftfreq(shape[0], dy)
    kx = 2 * np.pi * np.fft.rfftfreq(shape[1], dx)
    KX, KY = np.meshgrid(kx, ky)
    return KX, KY, np.hypot(KX, KY)


def rtp_factor(inc, dec, stab, KX, KY, K):
    I, D = np.radians(inc), np.radians(dec)
    Ip = I if abs(inc) >= stab else math.copysign(np.radians(stab), inc)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(K > 0, np.cos(I) * (np.sin(D) * KX + np.cos(D) * KY) / K, 0.0)
        ratio = np.cos(Ip) / np.cos(I) if np.cos(I) > 1e-12 else 1.0
        tm = np.sqrt(np.sin(I) ** 2 + b**2)
        tp = np.sqrt(np.sin(Ip) ** 2 + (ratio * b) ** 2)
        den = tm * tp
        return np.where(den > 0, (np.sin(I) - 1j * b) / den, np.where(tp > 0, 1 / tp, 0.0))


def np_filter(v, dx, dy, responses, frac=0.25, mode="taper"):
    """Each response(KX, KY, K) applied with rfft2 / irfft2; returns the cropped grids."""
    p, oy, ox = np_pad(v, frac, mode)
    F = np.fft.rfft2(p)
    KX, KY, K = wavenumbers(p.shape, dx, dy)
    out = []
    for h in responses:
        r = np.fft.irfft2(F * h(KX, KY, K), s=p.shape)
        out.append(r[oy:oy + v.shape[0], ox:ox + v.shape[1]])
    return out


# ---- fixtures ----

FIELD = (49800.0, 58.0, 6.0)


def dipole_grid(n=160, d=0.1, sources=((0.0, 0.0, -1.0),), moment=0.05, field=FIELD, z=0.0):
    x = (np.arange(n) - n // 2) * d
    X, Y = np.meshgrid(x, x)
    m = smag.induced_moment(1.0, field)
    m = m / np.linalg.norm(m) * moment
    dip = [[sx, sy, sz, *m] for sx, sy, sz in sources]
    return mag.Grid(smag.dipole_anomaly(dip, X, Y, z, field=field), x[0], x[0], d, d), X, Y


@pytest.fixture(scope="module")
def rough():
    rng = np.random.default_rng(3)
    g, _, _ = dipole_grid(n=96)
    v = g.values + 0.05 * rng.standard_normal(g.shape)
    return mag.Grid(v[:90, :], g.x0, g.y0, 0.1, 0.2)  # rectangular, anisotropic cells


CASES = [
    ("derivative_easting", {}, lambda KX, KY, K: 1j * KX),
    ("derivative_northing", {}, lambda KX, KY, K: 1j * KY),
    ("derivative_upward", {"order": 2}, lambda KX, KY, K: K**2),
    ("upward_continuation", {"height": 0.4}, lambda KX, KY, K: np.exp(-0.4 * K)),
    ("gaussian_lowpass", {"wavelength": 1.5}, lambda KX, KY, K: np.exp(-K**2 / (2 * (2 * np.pi / 1.5) ** 2))),
    ("gaussian_highpass", {"wavelength": 1.5},
     lambda KX, KY, K: 1 - np.exp(-K**2 / (2 * (2 * np.pi / 1.5) ** 2))),
    ("butterworth_lowpass", {"wavelength": 2.0, "order": 3},
     lambda KX, KY, K: 1 / np.sqrt(1 + (K / (2 * np.pi / 2.0)) ** 6)),
    ("butterworth_highpass", {"wavelength": 2.0, "order": 3},
     lambda KX, KY, K: (K / (np.pi)) ** 3 / np.sqrt(1 + (K / np.pi) ** 6)),
    ("reduction_to_pole", {"inclination": 58.0, "declination": 6.0},
     lambda KX, KY, K: rtp_factor(58, 6, 20, KX, KY, K) ** 2),
    ("reduction_to_pole", {"inclination": 8.0, "declination": -15.0, "magnetization_inclination": 40.0,
                           "magnetization_declination": 30.0},
     lambda KX, KY, K: rtp_factor(8, -15, 20, KX, KY, K) * rtp_factor(40, 30, 20, KX, KY, K)),
]


@pytest.mark.parametrize("name,kw,h", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("padding", ["taper", "mirror"])
def test_filters_match_numpy_fft(rough, name, kw, h, padding):
    got = getattr(mag, name)(rough, **kw, padding=padding)
    (want,) = np_filter(rough.values, rough.dx, rough.dy, [h], mode=padding)
    assert isinstance(got, mag.Grid) and got.shape == rough.shape and got.x0 == rough.x0 and got.dy == rough.dy
    np.testing.assert_allclose(got.values, want, rtol=0, atol=1e-10 * np.abs(want).max())


def test_analytic_signal_and_tilt_match_numpy(rough):
    dx, dy, dz = np_filter(rough.values, rough.dx, rough.dy,
                           [lambda KX, KY, K: 1j * KX, lambda KX, KY, K: 1j * KY, lambda KX, KY, K: -K])
    asa = np.sqrt(dx**2 + dy**2 + dz**2)
    np.testing.assert_allclose(mag.total_gradient_amplitude(rough).values, asa, atol=1e-10 * asa.max())
    np.testing.assert_allclose(mag.analytic_signal(rough).values, asa, atol=1e-10 * asa.max())
    np.testing.assert_allclose(mag.tilt(rough).values, np.arctan2(-dz, np.hypot(dx, dy)), atol=1e-9)


def test_composed_filter_is_one_pass(rough):
    f = mag.Filter.upward_continuation(0.3) * mag.Filter.derivative_upward() * mag.Filter.gaussian_lowpass(2.0)
    (want,) = np_filter(rough.values, rough.dx, rough.dy,
                        [lambda KX, KY, K: np.exp(-0.3 * K) * -K * np.exp(-K**2 / (2 * (np.pi) ** 2))])
    got = mag.apply_filter(rough, f)
    np.testing.assert_allclose(got.values, want, atol=1e-10 * np.abs(want).max())
    assert f.response(3.0, 4.0) == pytest.approx(np.exp(-1.5) * -5 * np.exp(-25 / (2 * np.pi**2)))


def test_no_padding_is_periodic(rough):
    got = mag.gaussian_lowpass(rough, 1.0, padding="none")
    F = np.fft.rfft2(rough.values)
    KX, KY, K = wavenumbers(rough.shape, rough.dx, rough.dy)
    want = np.fft.irfft2(F * np.exp(-K**2 / (2 * (2 * np.pi) ** 2)), s=rough.shape)
    np.testing.assert_allclose(got.values, want, atol=1e-12 * np.abs(want).max())


@pytest.mark.parametrize("inc", [58.0, 30.0])
def test_rtp_of_induced_dipole_is_the_pole_anomaly(inc):
    # 25.6 m grid over a source 1 m deep: truncation ~(1/12.8)^3 of the peak; compared within 4 m
    field = (49800.0, inc, 12.0)
    g, X, Y = dipole_grid(n=256, field=field)
    ref, _, _ = dipole_grid(n=256, field=(49800.0, 90.0, 0.0))
    r = mag.reduction_to_pole(g, inc, 12.0)
    near = np.hypot(X, Y) < 4
    assert np.abs(r.values - ref.values)[near].max() < 5e-3 * np.abs(ref.values).max()


def test_upward_continuation_is_the_field_higher():
    g, X, Y = dipole_grid(n=256)
    hi, _, _ = dipole_grid(n=256, z=0.5)
    near = np.hypot(X, Y) < 4
    r = mag.upward_continuation(g, 0.5)
    assert np.abs(r.values - hi.values)[near].max() < 2e-3 * np.abs(hi.values).max()


def test_nan_cells_are_remasked_and_input_kept():
    g, X, Y = dipole_grid(n=160)
    v = g.values.copy()
    v[10:20, 100:115] = np.nan
    h = mag.Grid(v, g.x0, g.y0, g.dx, g.dy)
    before = h.values.copy()
    r = mag.derivative_upward(h)
    np.testing.assert_array_equal(np.isnan(r.values), np.isnan(v))
    np.testing.assert_array_equal(h.values, before)
    full = mag.derivative_upward(g)
    near = np.hypot(X, Y) < 3
    assert np.abs(r.values - full.values)[near].max() < 2e-3 * np.abs(full.values).max()


def test_pick_targets_finds_dipoles_and_lobes():
    src = ((-4.0, -4.0, -0.5), (4.0, -3.5, -0.6), (-3.0, 4.5, -0.45))
    g, _, _ = dipole_grid(n=200, sources=src, moment=0.1, z=0.3)
    rng = np.random.default_rng(5)
    g = g.like(g.values + 0.2 * rng.standard_normal(g.shape))
    p = mag.pick_targets(g, inclination=58.0, declination=6.0)
    assert set(p) == {"x", "y", "amplitude", "width", "positive_x", "positive_y", "positive_nt",
                      "negative_x", "negative_y", "negative_nt"}
    assert len(p["x"]) == len(src)
    for sx, sy, _ in src:
        k = np.argmin(np.hypot(p["x"] - sx, p["y"] - sy))
        assert math.hypot(p["x"][k] - sx, p["y"][k] - sy) < 0.1
        assert p["negative_nt"][k] < 0 < p["positive_nt"][k]
        assert p["negative_y"][k] > p["positive_y"][k]
    assert np.all(np.diff(p["amplitude"]) <= 0)


@pytest.mark.parametrize("seed", [1, 5, 6])
def test_pick_targets_one_pick_per_simulated_target(seed):
    # a simulated cart survey (every nuisance on) preprocessed and gridded: each AT mine, mortar and
    # shell is picked once, and no object has two picks within 0.5 m (before the upward
    # continuation and envelope merge the strong ones had 2-7 picks each)
    s = smag.simulate(smag.default_scene(), seed=seed)
    ef = s.scene["earth_field"]
    r, _ = mag.preprocess(mag.readings_from_survey(s), base=s.base_station)
    ok = np.isfinite(r["value_nt"])
    g = mag.grid(r["x_m"][ok], r["y_m"][ok], r["value_nt"][ok], 0.1)
    p = mag.pick_targets(g, inclination=ef["inclination_deg"], declination=ef["declination_deg"])
    strong = 0
    for o in s.truth["objects"]:
        n = int((np.hypot(p["x"] - o["x"], p["y"] - o["y"]) < 0.5).sum())
        assert n <= 1, (o["type"], o["x"], o["y"], n)
        if o["type"] in ("at_mine", "mortar", "shell"):
            strong += 1
            assert n == 1, (o["type"], o["x"], o["y"])
    assert strong >= 4
    # and every pick is over some object
    ox = np.array([o["x"] for o in s.truth["objects"]])
    oy = np.array([o["y"] for o in s.truth["objects"]])
    assert all(np.hypot(ox - x, oy - y).min() < 0.5 for x, y in zip(p["x"], p["y"]))


def test_pick_peaks_noise_floor():
    # Gaussian noise: P(> median + 5 sigma) = 2.9e-7 per cell: 0.019 expected on 256^2 cells
    rng = np.random.default_rng(9)
    g = mag.Grid(rng.normal(1.0, 0.3, (256, 256)), 0, 0, 0.1, 0.1)
    assert len(mag.pick_peaks(g)["x"]) == 0
    assert len(mag.pick_targets(g)["x"]) == 0
    assert len(mag.pick_peaks(g, k=2.0)["x"]) > 100
    p = mag.pick_peaks(g, g, k=2.0)
    assert np.all(np.isfinite(p["positive_nt"]))


def test_threads_do_not_change_numbers(rough):
    a = mag.reduction_to_pole(rough, 58, 6, threads=1).values
    b = mag.reduction_to_pole(rough, 58, 6, threads=3).values
    # FFTW plans a batch of columns per thread; batches of other sizes may take other codelets
    # (SIMD across transforms or not), so the last bit can differ with the thread count.
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * np.abs(a).max())


@pytest.mark.parametrize("call,match", [
    (lambda g: mag.derivative_easting(g, padding="zero"), "padding"),
    (lambda g: mag.derivative_easting(g, pad_fraction=-0.5), "pad_fraction"),
    (lambda g: mag.derivative_easting(g, threads=-1), "threads"),
    (lambda g: mag.upward_continuation(g, 0.0), "height_m = 0"),
    (lambda g: mag.upward_continuation(g, float("nan")), "height_m = nan"),
    (lambda g: mag.derivative_upward(g, 0), "order = 0"),
    (lambda g: mag.derivative_upward(g, 1.5), "order"),
    (lambda g: mag.gaussian_lowpass(g, -1.0), "cutoff_wavelength_m = -1"),
    (lambda g: mag.butterworth_highpass(g, 1.0, order=40), "order = 40"),
    (lambda g: mag.reduction_to_pole(g, 95.0, 0.0), "inclination_deg = 95"),
    (lambda g: mag.reduction_to_pole(g, 60.0, 0.0, stabilisation=90), "stabilisation_deg = 90"),
    (lambda g: mag.pick_peaks(g, k=0), "k = 0"),
    (lambda g: mag.pick_peaks(g, min_separation=-1), "min_separation"),
    (lambda g: mag.pick_peaks(g, merge_factor=-1), "merge_factor"),
    (lambda g: mag.pick_targets(g, upward=-0.1), "upward"),
    (lambda g: mag.pick_peaks(g, mag.Grid(np.zeros((3, 3)))), "total_field"),
    (lambda g: mag.tilt(g.like(np.full(g.shape, np.nan))), "no finite value"),
    (lambda g: mag.tilt(g.like(np.where(np.arange(64).reshape(8, 8) == 9, np.inf, 0.0))), "row 1, column 1"),
])
def test_bad_input_raises_value_error(call, match):
    g = mag.Grid(np.zeros((8, 8)), 0, 0, 1, 1)
    with pytest.raises(ValueError, match=match):
        call(g)


def test_non_grid_is_a_type_error():
    with pytest.raises(TypeError, match="Grid"):
        mag.tilt(np.zeros((4, 4)))
