"""Instrument files: read GPR files (GSSI DZT, Sensors & Software DT1 + HD, MALA
RD3/RD7 + RAD) into numpy B-scans with their metadata, and write DZT.

Readers check every size and offset against the file: a truncated or malformed
file raises ``ValueError`` naming the file, the field and the byte offset.
Format details and traps: ``docs/io.md``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from . import _core

__all__ = ["Channel", "GprData", "read", "write_dzt", "parse_nmea", "to_utm", "from_utm", "to_local"]


@dataclass
class Channel:
    """One channel of a GPR file.

    Attributes
    ----------
    data : numpy.ndarray
        ``(n_samples, n_traces)``, Fortran order (goes into :mod:`sapper.gpr`
        without a copy); the file's sample values, unscaled.
    dt_ns : float
        Sample interval, ns.
    time_zero_ns : float
        Time zero after sample 0 as the file gives it, ns (0 when it does not).
    position_m : numpy.ndarray or None
        Distance along the line of each trace, m.
    xyz : numpy.ndarray or None
        ``(n_traces, 3)`` coordinates, m, when the file has them.
    antenna_mhz : float
        Antenna centre frequency, MHz (NaN when unknown).
    """

    data: np.ndarray
    dt_ns: float
    time_zero_ns: float
    position_m: np.ndarray | None
    xyz: np.ndarray | None
    antenna_mhz: float


@dataclass
class GprData:
    """A GPR file as read: its channels, user marks and raw header fields."""

    path: str
    format: str
    channels: list[Channel]
    marks: list[int] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> np.ndarray:
        """The first channel's B-scan."""
        return self.channels[0].data

    @property
    def dt_ns(self) -> float:
        return self.channels[0].dt_ns

    @property
    def time_zero_ns(self) -> float:
        return self.channels[0].time_zero_ns


def read(path, *, dtype=np.float32) -> GprData:
    """Read a GPR file, choosing the reader from the extension and the content.

    Parameters
    ----------
    path : str or os.PathLike
        ``.DZT``; ``.DT1`` (with its ``.HD``); ``.rd3``/``.rd7`` (with ``.rad``).
    dtype : {numpy.float32, numpy.float64}
        Sample type of the returned arrays (float64 holds 32-bit samples exactly).

    Returns
    -------
    GprData

    Raises
    ------
    ValueError
        Malformed or truncated file, naming the file, the field and the byte offset.
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, not {dtype}")
    fn = _core.io.read_gpr_f32 if dtype == np.float32 else _core.io.read_gpr_f64
    r = fn(os.fspath(path))
    channels = [Channel(c["data"], c["dt_ns"], c["time_zero_ns"], c["position_m"], c["xyz"], c["antenna_mhz"])
                for c in r["channels"]]
    return GprData(r["path"], r["format"], channels, list(r["marks"]), dict(r["header"]))


def write_dzt(path, data, dt_ns, *, time_zero_ns=0.0, antenna_mhz=math.nan, position_m=None, bits=16) -> None:
    """Write a one-channel GSSI DZT file that :func:`read` reads back.

    Parameters
    ----------
    path : str or os.PathLike
    data : array_like, shape (n_samples, n_traces)
        Sample values; they must fit the chosen sample format (16-bit: 0..65535
        after the +32768 offset of unsigned GSSI data, i.e. -32768..32767;
        32-bit: signed integers) and be integral.
    dt_ns : float
        Sample interval, ns.
    time_zero_ns : float, default 0
    antenna_mhz : float, optional
    position_m : array_like, optional
        Trace positions, m; uniform spacing is stored as traces per metre.
    bits : {16, 32}
    """
    a = np.asfortranarray(np.asarray(data, dtype=np.float64))
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"data has shape {a.shape}; expected a non-empty (n_samples, n_traces) array")
    pos = [] if position_m is None else [float(p) for p in np.asarray(position_m, dtype=np.float64).ravel()]
    _core.io.write_dzt(os.fspath(path), a, float(dt_ns), float(time_zero_ns), float(antenna_mhz), pos, int(bits))


def parse_nmea(sentence: str) -> dict | None:
    """Parse one NMEA 0183 GGA or RMC sentence (any talker: GP, GN, GL, ...).

    Returns
    -------
    dict or None
        ``type`` ("GGA"/"RMC"), ``time_s`` (UTC seconds of the day), ``lat_deg``,
        ``lon_deg``, ``altitude_m``, ``geoid_m``, ``quality``, ``satellites``,
        ``hdop``, ``valid``, ``speed_m_s``, ``course_deg``, ``date_ddmmyy``
        (NaN / -1 where the sentence has no such field); None for other
        sentence types.

    Raises
    ------
    ValueError
        A malformed GGA/RMC (naming the field) or a wrong checksum.
    """
    return _core.io.parse_nmea(str(sentence))


def to_utm(lat_deg, lon_deg, zone: int = 0):
    """WGS84 latitude/longitude (deg) to UTM (m).

    Parameters
    ----------
    lat_deg, lon_deg : float or array_like
    zone : int, default 0
        1..60; 0 takes the standard zone of the first point, used for all
        points (a survey stays in one frame).

    Returns
    -------
    easting_m, northing_m : numpy.ndarray
    zone : int
    north : numpy.ndarray of bool
        False where the false northing of 10,000 km was added.
    """
    e, n, z, north = _core.io.to_utm(np.ravel(lat_deg), np.ravel(lon_deg), int(zone))
    return e, n, z, north.astype(bool)


def from_utm(easting_m, northing_m, zone: int, north: bool = True):
    """UTM (m) to WGS84 latitude/longitude (deg); returns ``(lat_deg, lon_deg)`` arrays."""
    return _core.io.from_utm(np.ravel(easting_m), np.ravel(northing_m), int(zone), bool(north))


def to_local(lat_deg, lon_deg, h_m, lat0_deg, lon0_deg, h0_m=0.0):
    """East, north, up (m) in the tangent plane at ``(lat0, lon0, h0)``
    (exact, through earth-centred coordinates; heights above the ellipsoid).
    Returns ``(east_m, north_m, up_m)`` arrays."""
    return _core.io.to_local(np.ravel(lat_deg), np.ravel(lon_deg), np.ravel(h_m), float(lat0_deg),
                             float(lon0_deg), float(h0_m))


# --- Magnetometer line data and base stations ------------------------------------------------

_MAG_COLUMN_KEYS = ("time", "date", "x", "y", "lat", "lon", "altitude", "sensors", "vector_sensors", "valid",
                    "extra", "delimiter")


@dataclass
class MagData:
    """Magnetometer readings as read by :func:`read_mag`, one entry per data row.

    Attributes
    ----------
    time_s : numpy.ndarray
        Time, s: UTC seconds since midnight of the first row's date (MagArrow,
        files with a date column), the logger's timestamp (MagDrone
        ``Timestamp [ms]`` / 1000) or the file's own seconds (sapper CSV).
    x_m, y_m : numpy.ndarray
        Position, m: the file's x/y columns, else east/north of the tangent
        plane at the first valid fix (height 0); NaN without a fix.
    lat_deg, lon_deg : numpy.ndarray
        WGS84, degrees; NaN where absent or 0/0 (no fix).
    altitude_m : numpy.ndarray
        m; NaN where absent (or with no fix).
    sensors : numpy.ndarray
        ``(n_sensors, n)`` total field, nT (fluxgate vectors: the norm).
    valid : numpy.ndarray of uint8
        1 where the valid column is non-zero (all 1 without one).
    sensor_names : list of str
    header : dict
        Preamble ``key: value`` lines, plus ``date`` and ``origin_lat_deg`` /
        ``origin_lon_deg`` where they apply.
    format : str
        ``"magarrow"``, ``"magdrone"``, ``"sapper"``, ``"g858"`` or ``"csv"``.
    extra : dict of str to numpy.ndarray
        Further numeric columns (simulator CSV: line, direction, sensor, z_m).
    sensor_across_m, sensor_along_m, sensor_height_m : numpy.ndarray or None
        Sensor geometry, one value per sensor, m: across the line (right of
        travel positive), along it (ahead positive), height above ground;
        None where the file does not give it (G-858: read from the project
        ``.config`` beside the ``.stn``). ``sapper.mag.lines.apply_sensor_offsets(
        readings, data.sensor_across_m, data.sensor_along_m)`` takes them.
    """

    time_s: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    altitude_m: np.ndarray
    sensors: np.ndarray
    valid: np.ndarray
    sensor_names: list[str]
    header: dict[str, str] = field(default_factory=dict)
    format: str = ""
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    sensor_across_m: np.ndarray | None = None
    sensor_along_m: np.ndarray | None = None
    sensor_height_m: np.ndarray | None = None


@dataclass
class BaseStationData:
    """A base station's total field against time.

    Attributes
    ----------
    time_s : numpy.ndarray
        s (IAGA-2002: since midnight UTC of the first row's date).
    field_nt : numpy.ndarray
        Total field, nT; NaN where missing.
    header : dict
    """

    time_s: np.ndarray
    field_nt: np.ndarray
    header: dict[str, str] = field(default_factory=dict)


def read_mag(path, *, columns=None) -> MagData:
    """Read magnetometer line data from a delimited text file.

    Parameters
    ----------
    path : str or os.PathLike
    columns : dict, optional
        Column names by role (case-insensitive, a bracketed unit and spaces
        ignored): ``time``, ``date``, ``x``, ``y``, ``lat``, ``lon``,
        ``altitude``, ``valid`` (str); ``sensors`` (list of total-field
        columns, nT); ``vector_sensors`` (list of ``[x, y, z]`` column names:
        the sensor is the vector's norm); ``extra`` (list); ``delimiter``
        (one character; default: detected). None: the layout is recognised
        (Geometrics MagArrow, SENSYS MagDrone, sapper's simulator CSV).
        A path ending in ``.stn`` (any case) is read as Geometrics G-858 STN
        text (docs/io.md, "Geometrics G-858 STN"), with the sensor geometry
        of the ``.config`` beside it when there is one; it takes no ``columns``.

    Returns
    -------
    MagData

    Raises
    ------
    ValueError
        A malformed file, naming the file, the line and the column (a missing
        column: its name and the available ones).
    """
    if os.fspath(path).lower().endswith(".stn"):
        if columns:
            raise ValueError("a Geometrics G-858 .stn file takes no column mapping")
        return MagData(**_core.io.read_g858(os.fspath(path)))
    cols = dict(columns or {})
    unknown = set(cols) - set(_MAG_COLUMN_KEYS)
    if unknown:
        raise ValueError(f"unknown column roles {sorted(unknown)}; expected some of {list(_MAG_COLUMN_KEYS)}")
    if isinstance(cols.get("sensors"), str):
        cols["sensors"] = [cols["sensors"]]
    d = _core.io.read_mag(os.fspath(path), cols)
    return MagData(**d)


def read_base_station(path, *, time_column: str = "", field_column: str = "") -> BaseStationData:
    """Read a base station: IAGA-2002 (recognised by its ``Format IAGA-2002``
    line) or a delimited file.

    Parameters
    ----------
    path : str or os.PathLike
    time_column, field_column : str, optional
        CSV only; default ``time_s`` / ``time`` and ``field_nt`` / ``F`` /
        ``total`` (seconds or ``hh:mm:ss``; nT).

    Returns
    -------
    BaseStationData
        IAGA-2002: time in s since midnight UTC of the first row's date; the
        field is F where reported, else ``sqrt(X^2+Y^2+Z^2)`` (XYZ) or
        ``sqrt(H^2+Z^2)`` (HDZ); 99999 and 88888 are NaN.
    """
    p = os.fspath(path)
    with open(p, "rb") as f:
        head = f.read(4096)
    if b"IAGA-2002" in head and b"Format" in head:
        d = _core.io.read_iaga2002(p)
    else:
        d = _core.io.read_base_csv(p, time_column, field_column)
    return BaseStationData(**d)


__all__ += ["MagData", "BaseStationData", "read_mag", "read_base_station"]


_SEGY_FORMATS = {"ibm": 1, "int32": 2, "int16": 3, "ieee": 5}


def write_segy(path, data, dt_ns, *, xyz=None, format="ieee", byte_order="big", time_zero_ns=0.0,
               antenna_mhz=math.nan) -> None:
    """Write a one-channel SEG-Y rev 2 file that :func:`read` reads back (``.sgy``/``.segy``).

    Parameters
    ----------
    path : str or os.PathLike
    data : array_like, shape (n_samples, n_traces)
        Sample values. ``"int16"``/``"int32"`` need integers in range; ``"ieee"``
        stores float32 (exact for float32 data); ``"ibm"`` rounds to IBM single
        precision (24-bit hex fraction).
    dt_ns : float
        Sample interval, ns; stored as whole picoseconds (1..65535) in the
        microsecond field, the GPR convention :func:`read` applies.
    xyz : array_like, shape (n_traces, 3), optional
        Trace coordinates, m: source x/y and elevation, stored in cm (scalar -100).
    format : {"ieee", "ibm", "int32", "int16"}
        Sample format (codes 5, 1, 2, 3).
    byte_order : {"big", "little"}
        Big-endian is the standard; little-endian as SEG-Y rev 2 allows.
    time_zero_ns : float
        Time zero, ns after the first sample (>= 0). SEG-Y has no field for it:
        it goes into sapper's textual header line ``C 6``, which :func:`read`
        reads back (other readers ignore it).
    antenna_mhz : float
        Antenna centre frequency, MHz (NaN: unknown), on the same line.

    Raises
    ------
    ValueError
        Data, dt or coordinates the file cannot hold.
    """
    if format not in _SEGY_FORMATS:
        raise ValueError(f"format must be one of {sorted(_SEGY_FORMATS)}, not {format!r}")
    if byte_order not in ("big", "little"):
        raise ValueError(f"byte_order must be 'big' or 'little', not {byte_order!r}")
    a = np.asfortranarray(np.asarray(data, dtype=np.float64))
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"data has shape {a.shape}; expected a non-empty (n_samples, n_traces) array")
    c = None if xyz is None else np.ascontiguousarray(np.asarray(xyz, dtype=np.float64))
    if not (math.isfinite(time_zero_ns) and time_zero_ns >= 0):
        raise ValueError(f"time_zero_ns = {time_zero_ns} must be finite and >= 0")
    if not (math.isnan(antenna_mhz) or (math.isfinite(antenna_mhz) and antenna_mhz > 0)):
        raise ValueError(f"antenna_mhz = {antenna_mhz} must be positive (or NaN: unknown)")
    _core.io.write_segy(os.fspath(path), a, float(dt_ns), c, _SEGY_FORMATS[format], byte_order == "big",
                        float(time_zero_ns), float(antenna_mhz))


__all__.append("write_segy")
