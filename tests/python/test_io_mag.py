"""sapper.io.read_mag / read_base_station against the real instrument files,
checked with plain csv/numpy parsing done here."""
import csv
import math
from pathlib import Path

import numpy as np
import pytest

from sapper import io

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mag"
MAGARROW = DATA / "magarrow" / "MagArrow.csv"
MAGDRONE = DATA / "magdrone" / "Magdrone.csv"


@pytest.mark.skipif(not MAGARROW.exists(), reason="MagArrow.csv missing")
def test_magarrow_matches_csv_module():
    with open(MAGARROW, newline="") as f:
        rows = list(csv.reader(f))
    head, rows = [h.strip() for h in rows[0]], rows[1:]
    col = {h: i for i, h in enumerate(head)}
    d = io.read_mag(MAGARROW)
    assert d.format == "magarrow"
    assert d.sensors.shape == (1, len(rows))
    assert d.sensor_names == ["Mag"]
    mag = np.array([float(r[col["Mag"]]) for r in rows])
    np.testing.assert_array_equal(d.sensors[0], mag)
    t = np.array([sum(float(p) * s for p, s in zip(r[col["Time"]].split(":"), (3600, 60, 1))) for r in rows])
    np.testing.assert_allclose(d.time_s, t, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(d.lat_deg, [float(r[col["Latitude"]]) for r in rows])
    np.testing.assert_array_equal(d.valid, [int(r[col["MagValid"]]) for r in rows])
    e, n, _ = io.to_local(d.lat_deg, d.lon_deg, 0.0, d.lat_deg[0], d.lon_deg[0], 0.0)
    np.testing.assert_allclose(d.x_m, e, atol=1e-9)
    np.testing.assert_allclose(d.y_m, n, atol=1e-9)
    assert d.header["date"] == "2020-09-28"


@pytest.mark.skipif(not MAGDRONE.exists(), reason="Magdrone.csv missing")
def test_magdrone_matches_numpy():
    lines = MAGDRONE.read_text().splitlines()
    h = next(i for i, l in enumerate(lines) if l.startswith("Timestamp"))
    names = [c.split("[")[0].strip() for c in lines[h].split(";")]
    rows = [l.split(";") for l in lines[h + 1:] if l.strip()]
    a = {nm: np.array([float(r[i]) for r in rows]) for i, nm in enumerate(names) if nm and nm not in ("GPSDate", "GPSTime")}
    d = io.read_mag(MAGDRONE)
    assert d.format == "magdrone"
    assert d.sensor_names == ["B1", "B2"]
    assert d.sensors.shape == (2, len(rows))
    np.testing.assert_allclose(d.time_s, a["Timestamp"] / 1000, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d.sensors[0], np.sqrt(a["B1x"] ** 2 + a["B1y"] ** 2 + a["B1z"] ** 2), rtol=1e-14)
    np.testing.assert_allclose(d.sensors[1], np.sqrt(a["B2x"] ** 2 + a["B2y"] ** 2 + a["B2z"] ** 2), rtol=1e-14)
    assert d.sensors[0, 0] == pytest.approx(math.sqrt(10195.42**2 + 14678.99**2 + 48024.38**2), rel=1e-15)
    nofix = (a["Latitude"] == 0) & (a["Longitude"] == 0)
    assert nofix.any() and (~nofix).any()
    assert np.isnan(d.lat_deg[nofix]).all() and np.isnan(d.x_m[nofix]).all() and np.isnan(d.altitude_m[nofix]).all()
    np.testing.assert_array_equal(d.lat_deg[~nofix], a["Latitude"][~nofix])
    assert abs(d.x_m[0]) < 1e-6 and abs(d.y_m[0]) < 1e-6  # the origin is the first fix
    assert d.header["Samples"] == "266847"


def test_columns_mapping_and_errors(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("t [s];E;N;F [nT]\n0.5;1;2;50000\n1.5;1.1;2.1;50001\n")
    d = io.read_mag(p, columns={"time": "T", "x": "e", "y": "n", "sensors": "f"})
    np.testing.assert_array_equal(d.time_s, [0.5, 1.5])
    np.testing.assert_array_equal(d.sensors, [[50000, 50001]])
    with pytest.raises(ValueError, match="'G'.*available"):
        io.read_mag(p, columns={"time": "t", "sensors": ["G"]})
    q = tmp_path / "bad.csv"
    q.write_bytes(b"time_s,x_m,y_m,total_field_nt\n0,1,2,\xff\n")
    with pytest.raises(ValueError, match="line 2.*total_field_nt"):
        io.read_mag(q)


def test_base_stations(tmp_path):
    def hl(k, v):
        return (" " + k).ljust(24) + v.ljust(45) + "|\n"
    iaga = tmp_path / "abc.min"
    iaga.write_text(hl("Format", "IAGA-2002") + hl("IAGA CODE", "ABC") + hl("Reported", "XYZF")
                    + "DATE       TIME         DOY     ABCX      ABCY      ABCZ      ABCF   |\n"
                    + "2020-09-28 00:00:00.000 272     17000.00   1500.00  48000.00  50943.04\n"
                    + "2020-09-28 00:01:00.000 272     17000.00   1500.00  48000.00  99999.00\n"
                    + "2020-09-28 00:02:00.000 272     99999.00   1500.00  48000.00  99999.00\n")
    b = io.read_base_station(iaga)
    np.testing.assert_array_equal(b.time_s, [0, 60, 120])
    assert b.field_nt[0] == 50943.04
    assert b.field_nt[1] == pytest.approx(math.sqrt(17000.0**2 + 1500.0**2 + 48000.0**2))
    assert np.isnan(b.field_nt[2])
    c = tmp_path / "base.csv"
    c.write_text("time_s,field_nt\n0,50000.5\n1,50000.25\n")
    b = io.read_base_station(c)
    np.testing.assert_array_equal(b.field_nt, [50000.5, 50000.25])
