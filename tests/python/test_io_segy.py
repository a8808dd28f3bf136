"""sapper.io on SEG-Y: write_segy then read through the dispatch, with the bytes checked
independently by numpy at the documented offsets."""
import numpy as np
import pytest

import sapper.io

FORMATS = {"ieee": (5, "f4", 4), "int32": (2, "i4", 4), "int16": (3, "i2", 2), "ibm": (1, "u4", 4)}


def _field(raw, offset, dtype):
    return np.frombuffer(raw, dtype=dtype, count=1, offset=offset)[0]


def _ibm_to_float(words):
    w = words.astype(np.int64)
    sign = np.where(w >> 31, -1.0, 1.0)
    exp = (w >> 24) & 0x7F
    frac = (w & 0xFFFFFF).astype(np.float64)
    return sign * frac * np.power(16.0, exp - 64) / 2.0**24


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("order", ["big", "little"])
def test_write_read_and_bytes(tmp_path, fmt, order):
    n, m = 50, 6
    data = (np.arange(n * m, dtype=np.float64).reshape(n, m) - 120.0) * 3.0
    xyz = np.column_stack([1000.0 + 0.1 * np.arange(m), 2000.0 + np.zeros(m), np.full(m, 12.34)])
    path = tmp_path / "line.sgy"
    sapper.io.write_segy(path, data, 0.2, xyz=xyz, format=fmt, byte_order=order)

    r = sapper.io.read(path, dtype=np.float64)
    assert r.format == "segy"
    assert r.dt_ns == 0.2
    np.testing.assert_array_equal(r.data, data)
    np.testing.assert_allclose(r.channels[0].xyz, xyz, atol=0.005 + 1e-9)
    np.testing.assert_allclose(r.channels[0].position_m, 0.1 * np.arange(m), atol=0.02)
    assert r.header["byte_order"] == order

    raw = open(path, "rb").read()
    e = ">" if order == "big" else "<"
    code, dt, size = FORMATS[fmt]
    assert raw[:4] == b"C 1 "  # ASCII textual header
    assert _field(raw, 3216, e + "u2") == 200  # sample interval, ps (bytes 3217-3218)
    assert _field(raw, 3220, e + "u2") == n  # samples per trace (3221-3222)
    assert _field(raw, 3224, e + "i2") == code  # format code (3225-3226)
    assert _field(raw, 3500, e + "u2") == 0x0200  # revision 2.0
    assert _field(raw, 3502, e + "i2") == 1  # fixed length
    assert _field(raw, 3504, e + "i2") == 0  # no extended textual headers
    trace = 240 + n * size
    assert len(raw) == 3600 + m * trace
    for k in range(m):
        t = 3600 + k * trace
        assert _field(raw, t + 0, e + "i4") == k + 1  # trace sequence number in line
        assert _field(raw, t + 114, e + "u2") == n
        assert _field(raw, t + 116, e + "u2") == 200
        assert _field(raw, t + 70, e + "i2") == -100  # coordinate scalar: cm
        assert _field(raw, t + 68, e + "i2") == -100
        assert _field(raw, t + 72, e + "i4") == round(xyz[k, 0] * 100)
        assert _field(raw, t + 76, e + "i4") == round(xyz[k, 1] * 100)
        assert _field(raw, t + 40, e + "i4") == 1234
        s = np.frombuffer(raw, dtype=e + dt, count=n, offset=t + 240)
        got = _ibm_to_float(s) if fmt == "ibm" else s.astype(np.float64)
        np.testing.assert_array_equal(got, data[:, k])


def test_no_coordinates_and_float32_exact(tmp_path):
    rng = np.random.default_rng(3)
    data = rng.standard_normal((20, 4)).astype(np.float32)
    path = tmp_path / "a.segy"
    sapper.io.write_segy(path, data, 0.1)
    r = sapper.io.read(path)
    assert r.data.dtype == np.float32
    np.testing.assert_array_equal(r.data, data)
    assert r.channels[0].xyz is None and r.channels[0].position_m is None


def test_write_rejects(tmp_path):
    p = tmp_path / "x.sgy"
    with pytest.raises(ValueError):
        sapper.io.write_segy(p, np.full((4, 2), 40000.0), 0.1, format="int16")
    with pytest.raises(ValueError):
        sapper.io.write_segy(p, np.zeros((4, 2)), 0.1, format="float")
    with pytest.raises(ValueError):
        sapper.io.write_segy(p, np.zeros((4, 2)), 0.1, byte_order="middle")
    with pytest.raises(ValueError):
        sapper.io.write_segy(p, np.zeros((4, 2)), 0.1, xyz=np.zeros((3, 3)))


@pytest.mark.parametrize("cut", [0, 100, 3199, 3200, 3599, 3600, 3700])
def test_truncated_raise_value_error(tmp_path, cut):
    good = tmp_path / "g.sgy"
    sapper.io.write_segy(good, np.ones((8, 3)), 0.1, format="int16")
    bad = tmp_path / "b.sgy"
    bad.write_bytes(good.read_bytes()[:cut])
    with pytest.raises(ValueError, match="byte"):
        sapper.io.read(bad)


def test_time_zero_and_antenna_round_trip(tmp_path):
    p = tmp_path / "t0.sgy"
    sapper.io.write_segy(p, np.zeros((16, 4)), 0.1, time_zero_ns=2.5, antenna_mhz=500.0)
    r = sapper.io.read(p)
    assert r.channels[0].time_zero_ns == 2.5
    assert r.channels[0].antenna_mhz == 500.0
    with pytest.raises(ValueError, match="time_zero_ns"):
        sapper.io.write_segy(p, np.zeros((16, 4)), 0.1, time_zero_ns=-1.0)
