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
