"""sapper.io.read on the real Sensors & Software DT1 and MALA RD3 files, checked against an
independent numpy decode; truncated copies raise ValueError naming the file."""
import os
import shutil

import numpy as np
import pytest

from sapper import io as sio

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "gpr")
DT1 = os.path.join(DATA, "sensors-software", "XLINE00.DT1")
HD = os.path.join(DATA, "sensors-software", "XLINE00.HD")
RD3 = os.path.join(DATA, "mala", "DAT_1251_A1.rd3")
RAD = os.path.join(DATA, "mala", "DAT_1251_A1.rad")

need_dt1 = pytest.mark.skipif(not (os.path.exists(DT1) and os.path.exists(HD)), reason="shared DT1 data missing")
need_rd3 = pytest.mark.skipif(not (os.path.exists(RD3) and os.path.exists(RAD)), reason="shared RD3 data missing")


def _fields(path, sep):
    out = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            if sep in line:
                k, v = line.split(sep, 1)
                out.setdefault(" ".join(k.split()), v.strip())
    return out


@need_dt1
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dt1_matches_numpy(dtype):
    hd = _fields(HD, "=")
    n, pts = int(hd["NUMBER OF TRACES"]), int(hd["NUMBER OF PTS/TRC"])
    rec = np.fromfile(DT1, dtype=np.dtype([("h", "<f4", 25), ("comment", "S28"), ("d", "<i2", pts)]))
    assert rec.shape == (n,) == (531,)
    r = sio.read(DT1, dtype=dtype)
    assert r.format == "dt1"
    assert r.data.dtype == dtype
    assert r.data.shape == (pts, n) == (1500, 531)
    np.testing.assert_array_equal(r.data, rec["d"].T.astype(dtype))
    assert r.data[0, 0] == -279 and r.data[-1, -1] == -135
    assert r.dt_ns == pytest.approx(float(hd["TOTAL TIME WINDOW"]) / pts)  # 0.8 ns
    assert r.time_zero_ns == pytest.approx((float(hd["TIMEZERO AT POINT"]) - 1) * 0.8)
    c = r.channels[0]
    np.testing.assert_allclose(c.position_m, rec["h"][:, 1].astype(np.float64) * 0.3048)  # ft -> m
    assert c.position_m[-1] == pytest.approx(1060 * 0.3048)
    assert c.antenna_mhz == 50.0
    assert c.xyz is None or len(c.xyz) == 0
    assert r.header["POSITION UNITS"] == "ft"
    assert r.header["NUMBER OF TRACES"] == "531"


@need_rd3
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rd3_matches_numpy(dtype):
    rad = _fields(RAD, ":")
    ns = int(rad["SAMPLES"])
    raw = np.fromfile(RD3, dtype="<i2")
    assert raw.size % ns == 0
    ref = raw.reshape((ns, -1), order="F")
    assert ref.shape == (568, 2156)
    r = sio.read(RD3, dtype=dtype)
    assert r.format == "rd3"
    np.testing.assert_array_equal(r.data, ref.astype(dtype))
    dt = 1000.0 / float(rad["FREQUENCY"])
    assert r.dt_ns == pytest.approx(dt)
    assert r.dt_ns * ns == pytest.approx(float(rad["TIMEWINDOW"]), rel=1e-6)
    assert r.time_zero_ns == pytest.approx(float(rad["SIGNAL POSITION"]) * dt)
    c = r.channels[0]
    np.testing.assert_allclose(c.position_m, np.arange(ref.shape[1]) * float(rad["DISTANCE INTERVAL"]))
    assert c.antenna_mhz == 500.0
    assert r.header["LAST TRACE"] == "2156"


@need_dt1
@pytest.mark.parametrize("cut", [0, 50, 127, 129, 3000, 1660968 - 1])
def test_truncated_dt1_raises(tmp_path, cut):
    shutil.copy(HD, tmp_path / "XLINE00.HD")
    p = tmp_path / "XLINE00.DT1"
    with open(DT1, "rb") as f:
        p.write_bytes(f.read()[:cut])
    with pytest.raises(ValueError, match="XLINE00.DT1"):
        sio.read(p)


@need_rd3
@pytest.mark.parametrize("cut", [0, 1, 1135, 568 * 2 * 100 + 3, 2449216 - 1])
def test_truncated_rd3_raises(tmp_path, cut):
    shutil.copy(RAD, tmp_path / "DAT_1251_A1.rad")
    p = tmp_path / "DAT_1251_A1.rd3"
    with open(RD3, "rb") as f:
        p.write_bytes(f.read()[:cut])
    with pytest.raises(ValueError, match="DAT_1251_A1.rd3"):
        sio.read(p)


@need_rd3
def test_whole_traces_missing_rd3_raises(tmp_path):
    # a cut at a trace boundary: LAST TRACE in the .rad says more traces than the file holds
    shutil.copy(RAD, tmp_path / "DAT_1251_A1.rad")
    p = tmp_path / "DAT_1251_A1.rd3"
    with open(RD3, "rb") as f:
        p.write_bytes(f.read()[: 568 * 2 * 100])
    with pytest.raises(ValueError, match="LAST TRACE"):
        sio.read(p)


def test_missing_header_raises(tmp_path):
    for name in ("x.DT1", "x.rd3"):
        p = tmp_path / name
        p.write_bytes(b"\0" * 256)
        with pytest.raises(ValueError, match=name):
            sio.read(p)
