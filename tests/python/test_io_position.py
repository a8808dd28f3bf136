"""sapper.io positions: NMEA sentences of a real instrument, UTM against the meridian arc, ENU."""
import csv
import os

import numpy as np
import pytest

from sapper import io

A, F = 6378137.0, 1 / 298.257223563
E2 = F * (2 - F)
MAGARROW = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "mag", "magarrow", "MagArrow.csv")


def meridian_arc(lat_deg):
    from scipy.integrate import quad
    return quad(lambda p: A * (1 - E2) / (1 - E2 * np.sin(p) ** 2) ** 1.5, 0, np.radians(lat_deg), epsabs=1e-9)[0]


@pytest.mark.skipif(not os.path.exists(MAGARROW), reason="shared data missing")
def test_sentences_in_a_magarrow_file_match_its_own_columns():
    n = 0
    with open(MAGARROW, newline="") as f:
        for row in csv.DictReader(f, skipinitialspace=True):
            for key in ("GgaSentence", "RmcSentence"):
                if row.get(key):
                    fix = io.parse_nmea(row[key])
                    assert fix["type"] == key[:3].upper()
                    assert fix["lat_deg"] == pytest.approx(float(row["Latitude"]), abs=1e-6)
                    assert fix["lon_deg"] == pytest.approx(float(row["Longitude"]), abs=1e-6)
                    n += 1
    assert n >= 2


def test_nmea_errors_and_other_sentences():
    assert io.parse_nmea("$GPGSV,3,1,11,03,03,111,00*74") is None
    with pytest.raises(ValueError, match="checksum"):
        io.parse_nmea("$GNRMC,133753.000,A,5651.737132,N,02406.816782,E,0.29,252.26,280920,,,D*79")


def test_utm_central_meridian_and_round_trip():
    lat = np.array([0.0, 20.0, 45.0, 70.0])
    e, n, zone, north = io.to_utm(lat, np.full(4, 27.0))
    assert zone == 35 and north.all()
    np.testing.assert_allclose(e, 500000.0, atol=1e-6)
    np.testing.assert_allclose(n, [0.9996 * meridian_arc(v) for v in lat], atol=2e-3)
    lat2, lon2 = io.from_utm(e + 1234.5, n, zone)
    e2, n2, _, _ = io.to_utm(lat2, lon2, zone)
    np.testing.assert_allclose(e2, e + 1234.5, atol=1e-6)
    np.testing.assert_allclose(n2, n, atol=1e-6)
    with pytest.raises(ValueError, match="latitude"):
        io.to_utm(86.0, 10.0)


def test_local_frame_up_and_north():
    east, north, up = io.to_local([39.801, 39.8], [46.75, 46.75], [0.0, 7.0], 39.8, 46.75, 2.0)
    assert north[0] == pytest.approx(meridian_arc(39.801) - meridian_arc(39.8), abs=1e-3)
    assert east[0] == pytest.approx(0, abs=1e-9) and up[1] == pytest.approx(5.0, abs=1e-9)
