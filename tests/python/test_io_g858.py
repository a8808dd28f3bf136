"""Geometrics G-858 STN through sapper.io.read_mag, checked against a plain parse of the text."""

import os

import numpy as np
import pytest

from sapper import io

STN = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "mag", "geometrics-g858", "data_1.stn")


def _plain(path):
    """Readings in recording order (the file is written last-first) and line starts."""
    with open(path, encoding="utf-8") as fh:
        rows = [line.split() for line in fh if line.strip()]
    rows.reverse()
    data = [r for r in rows if r[0] == "0"]
    starts = [r for r in rows if r[0] == "3" and len(r) >= 9 and r[8] == "36"]
    return data, starts


def _clock(t):
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


@pytest.mark.skipif(not os.path.exists(STN), reason="no G-858 sample file")
def test_real_file_matches_plain_parse():
    data, starts = _plain(STN)
    m = io.read_mag(STN)
    assert m.format == "g858"
    assert m.sensors.shape == (2, len(data))
    np.testing.assert_array_equal(m.sensors[0], [float(r[1]) for r in data])
    np.testing.assert_array_equal(m.sensors[1], [float(r[2]) for r in data])
    # one date in this file: time_s is the clock time
    assert {r[4] for r in data} == {"09/30/18"}
    np.testing.assert_allclose(m.time_s, [_clock(r[3]) for r in data], atol=1e-9)
    assert m.header["date"] == "2018-09-30"
    assert int(m.header["lines"]) == len(starts) == 21
    line = m.extra["line"]
    assert sorted(set(line.tolist())) == sorted(float(r[6]) for r in starts)
    assert np.all(np.isfinite(m.x_m)) and np.all(np.isfinite(m.y_m))
    # each line's first reading lies at its start mark
    first = np.flatnonzero(np.diff(np.concatenate(([-1.0], line))) != 0)
    for i, r in zip(first, starts):
        assert m.x_m[i] == pytest.approx(float(r[1]))
        assert m.y_m[i] == pytest.approx(float(r[2]))
    assert m.extra["mark"][first].tolist() == [36.0] * len(starts)


def test_bad_value_names_file_and_line(tmp_path):
    p = tmp_path / "bad.stn"
    p.write_text("99 0 0\n0   49313.758  49x08.539 13:38:25.40 09/30/18   0\n")
    with pytest.raises(ValueError, match=r"bad\.stn: line 2, column 'sensor 2'"):
        io.read_mag(p)


@pytest.mark.skipif(not os.path.exists(STN), reason="no G-858 sample file")
def test_real_config_gives_sensor_heights():
    with open(STN[:-4] + ".config", encoding="utf-8") as fh:
        cfg = fh.read().splitlines()
    m = io.read_mag(STN)
    assert int(cfg[5]) == 0  # vertical: lines 4 and 5 are the two sensors' heights
    np.testing.assert_array_equal(m.sensor_height_m, [float(cfg[3]), float(cfg[4])])
    np.testing.assert_array_equal(m.sensor_across_m, [0.0, 0.0])
    np.testing.assert_array_equal(m.sensor_along_m, [0.0, 0.0])
    assert m.header["config title"] == cfg[1]
    assert float(m.header["config inclination_deg"]) == float(cfg[7])


def test_horizontal_config_and_none(tmp_path):
    rows = "0   50001.000  50011.000 10:00:01.00 01/02/20   0\n0   50000.000  50010.000 10:00:00.00 01/02/20   0\n"
    (tmp_path / "a.stn").write_text(rows)
    m = io.read_mag(tmp_path / "a.stn")
    assert m.sensor_across_m is None and m.sensor_height_m is None
    (tmp_path / "a.config").write_text("magnetic\nt\n0\n0.3\n0.8\n1\n48000\n60\n0\n")
    m = io.read_mag(tmp_path / "a.stn")
    np.testing.assert_array_equal(m.sensor_across_m, [-0.4, 0.4])
    np.testing.assert_array_equal(m.sensor_height_m, [0.3, 0.3])
    (tmp_path / "a.config").write_text("magnetic\nt\n0\n0.3\nx\n1\n48000\n60\n0\n")
    with pytest.raises(ValueError, match=r"a\.config: line 5 \(height of sensor 2"):
        io.read_mag(tmp_path / "a.stn")
