"""sapper.io on GSSI DZT: the real GPRPy example file against numpy.fromfile at the documented
offsets, write_dzt round trips, and truncated files."""
import math
import os

import numpy as np
import pytest

import sapper.io

REAL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "gpr", "gssi", "FILE____032.DZT")


@pytest.fixture
def real():
    if not os.path.exists(REAL):
        pytest.skip(f"{REAL} missing")
    return REAL


def _field(raw, offset, dtype):
    return np.frombuffer(raw, dtype=dtype, count=1, offset=offset)[0]


def test_real_file_matches_fromfile(real):
    raw = open(real, "rb").read()
    nsamp = int(_field(raw, 4, "<u2"))
    bits = int(_field(raw, 6, "<u2"))
    rh_data = int(_field(raw, 2, "<u2"))
    nchan = int(_field(raw, 52, "<u2"))
    rng = float(_field(raw, 26, "<f4"))
    spm = float(_field(raw, 14, "<f4"))
    ant = raw[98:112].split(b"\0")[0].decode()
    assert (bits, nchan, nsamp, rng, spm, ant) == (16, 1, 512, 48.0, 50.0, "400MHz")
    data_start = 1024 * rh_data if rh_data < 1024 else 1024 * nchan
    expected = (np.fromfile(real, offset=data_start, dtype="<u2").astype(np.int64) - 32768)
    expected = expected.reshape((nsamp, -1), order="F")
    assert expected.shape == (512, 1040)

    r = sapper.io.read(real)
    assert r.format == "dzt"
    assert len(r.channels) == 1
    assert r.data.shape == expected.shape
    assert r.data.dtype == np.float32
    np.testing.assert_array_equal(r.data, expected)
    assert r.data[0, 0] == -32768 and r.data[0, -1] == 1039 - 32768  # sample 0: scan number
    assert r.dt_ns == pytest.approx(rng / nsamp)
    assert r.time_zero_ns == 0.0
    c = r.channels[0]
    assert c.antenna_mhz == 400.0
    np.testing.assert_allclose(c.position_m, np.arange(1040) / 50.0)
    marks = np.flatnonzero(expected[1] != -32768).tolist()
    assert r.marks == marks == list(range(0, 1001, 100))
    assert r.header["rh_nsamp"] == "512"
    assert r.header["rh_antname"] == "400MHz"
    r64 = sapper.io.read(real, dtype=np.float64)
    np.testing.assert_array_equal(r64.data, expected)


@pytest.mark.parametrize("bits", [16, 32])
def test_write_read_round_trip(tmp_path, bits):
    rng = np.random.default_rng(1)
    hi = 32767 if bits == 16 else 2**31 - 1
    data = rng.integers(-hi - 1, hi, size=(100, 23), endpoint=True).astype(np.float64)
    p = tmp_path / "rt.dzt"
    pos = 0.5 * np.arange(23)
    sapper.io.write_dzt(p, data, 0.125, time_zero_ns=1.25, antenna_mhz=1600.0, position_m=pos, bits=bits)
    r = sapper.io.read(p, dtype=np.float64)
    np.testing.assert_array_equal(r.data, data)
    assert r.dt_ns == 0.125
    assert r.time_zero_ns == 1.25
    assert r.channels[0].antenna_mhz == 1600.0
    np.testing.assert_array_equal(r.channels[0].position_m, pos)
    assert r.header["rh_bits"] == str(bits)


def test_write_rejects_out_of_range(tmp_path):
    with pytest.raises(ValueError):
        sapper.io.write_dzt(tmp_path / "x.dzt", np.full((4, 3), 40000.0), 0.1)
    with pytest.raises(ValueError):
        sapper.io.write_dzt(tmp_path / "x.dzt", np.full((4, 3), 0.5), 0.1)


def test_truncated_raise_value_error(tmp_path):
    src = tmp_path / "src.dzt"
    sapper.io.write_dzt(src, np.arange(64 * 5, dtype=np.float64).reshape(64, 5), 0.1, antenna_mhz=math.nan)
    raw = src.read_bytes()
    for n in [0, 1, 2, 50, 100, 127, 500, 1023, 1024, 1025, 1024 + 127, len(raw) - 1]:
        p = tmp_path / f"cut_{n}.DZT"
        p.write_bytes(raw[:n])
        with pytest.raises(ValueError) as e:
            sapper.io.read(p)
        msg = str(e.value)
        assert f"cut_{n}.DZT" in msg and "byte" in msg, msg


def _nmea(body):
    x = 0
    for c in body.encode():
        x ^= c
    return f"${body}*{x:02X}"


def test_dzg_and_dzx_beside_the_dzt(tmp_path):
    # 9 traces, no in-data marks (raw second sample 0); fixes at scans 0 and 8, 0.0001 deg apart in latitude
    data = np.full((8, 9), 5.0)
    data[1] = -32768.0
    p = tmp_path / "LINE01.DZT"
    sapper.io.write_dzt(p, data, 0.1)
    lines = []
    for scan, minutes in ((0, "5100.0000"), (8, "5100.0060")):
        lines += [f"$GSSIS,{scan},{scan * 0.1}",
                  _nmea(f"GPGGA,120000.00,{minutes},N,00500.0000,E,1,09,0.8,50.0,M,47.0,M,,")]
    (tmp_path / "LINE01.DZG").write_text("\n".join(lines) + "\n")
    (tmp_path / "LINE01.DZX").write_text(
        "<DZX><File><Profile><WayPt><scan>3</scan><mark>User</mark></WayPt></Profile></File></DZX>")
    r = sapper.io.read(p)
    assert r.marks == [3]
    xyz = r.channels[0].xyz
    assert xyz.shape == (9, 3)
    # 0.0001 deg of latitude at 51 deg: the meridian radius of curvature M times the angle
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    phi = math.radians(51.00005)
    m = a * (1 - e2) / (1 - e2 * math.sin(phi) ** 2) ** 1.5
    north = m * math.radians(0.0001)
    np.testing.assert_allclose(xyz[:, 1], north * np.arange(9) / 8, atol=2e-3)
    np.testing.assert_allclose(xyz[:, 0], 0.0, atol=1e-6)
    # time-mode survey (no distance calibration): positions along the GPS track
    np.testing.assert_allclose(r.channels[0].position_m, north * np.arange(9) / 8, atol=2e-3)
    assert float(r.header["origin_lat_deg"]) == pytest.approx(51.0)
    assert r.header["dzg_fixes"] == "2"
