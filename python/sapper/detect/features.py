"""Feature vectors that classifiers read: GPR alarm windows and magnetometer targets.

:func:`alarm_features` gives one fixed-length row per GPR alarm: the HOG and
MPEG-7 edge-histogram (EHD) descriptors of the window around it, the
hyperbola fit's parameters, energy and spectral features; :func:`feature_names`
names the columns. :func:`hog` and :func:`ehd` compute the descriptors of any
2-D window. :func:`mag_features` turns magnetometer dipole fits
(:class:`sapper.mag.DipoleFit`) into rows with names, so that classifiers read
both sensors the same way. Windows and B-scans are ``(n_samples, n_traces)``;
formulas and cost: ``docs/detect_features.md``. The C++ work runs without the GIL.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import _core
from .hyperbola import _alarms, _bscan, _dt, _hyp_options, _positions

__all__ = ["alarm_features", "feature_names", "hog", "ehd", "mag_features", "mag_feature_names"]


def _hog_opts(cell=(8, 8), bins=9, block=2, clip=0.2):
    cs, ct = map(int, cell)
    return {"cell_samples": cs, "cell_traces": ct, "bins": int(bins), "block": int(block), "clip": float(clip)}


def _ehd_opts(grid=(4, 4), block=4, threshold=0.1):
    gs, gt = map(int, grid)
    return {"grid_samples": gs, "grid_traces": gt, "block": int(block), "threshold": float(threshold)}


def _options(window, hog_options, ehd_options, hyperbola_options, background_traces, use, spacing=0.0):
    ws, wt = map(int, window)
    return {"window_samples": ws, "window_traces": wt, "hog": use["hog"], "hog_options": _hog_opts(**(hog_options or {})),
            "ehd": use["ehd"], "ehd_options": _ehd_opts(**(ehd_options or {})), "hyperbola": use["hyperbola"],
            "hyperbola_options": _hyp_options(spacing, **(hyperbola_options or {})), "energy": use["energy"],
            "background_traces": int(background_traces), "spectral": use["spectral"]}


def feature_names(*, window=(64, 32), hog=True, ehd=True, hyperbola=True, energy=True, spectral=True,
                  hog_options=None, ehd_options=None, hyperbola_options=None, background_traces=32) -> list:
    """Names of :func:`alarm_features`' columns for the same options.

    Returns
    -------
    list of str
        ``hog_b{block row}_{block col}_c{cell in block}_o{bin}``,
        ``ehd_{row}_{col}_{vertical|horizontal|diag45|diag135|nondirectional}``,
        ``hyp_ok, hyp_dx_m, hyp_dt_ns, hyp_velocity_m_ns, hyp_permittivity,
        hyp_depth_m, hyp_residual_ns, hyp_traces, hyp_polarity``,
        ``energy, peak, energy_ratio_db``,
        ``spectral_centroid_mhz, spectral_bandwidth_mhz``.

    Raises
    ------
    ValueError
        Options that do not tile the window, or out of range.
    """
    use = dict(hog=hog, ehd=ehd, hyperbola=hyperbola, energy=energy, spectral=spectral)
    return list(_core.detect_features.feature_names(
        _options(window, hog_options, ehd_options, hyperbola_options, background_traces, use)))


def alarm_features(data, alarms, dt_ns, time_zero_ns=0.0, *, positions=None, trace_spacing_m=None,
                   window=(64, 32), hog=True, ehd=True, hyperbola=True, energy=True, spectral=True,
                   hog_options=None, ehd_options=None, hyperbola_options=None, background_traces=32, threads=0):
    """Feature vectors of GPR alarms.

    The window is ``window[0]`` samples by ``window[1]`` traces centred on
    the alarm (moved inside the record at its edges). Groups, in this order:

    - HOG (``hog_options``: ``cell=(8, 8)``, ``bins=9``, ``block=2``,
      ``clip=0.2``): see :func:`hog`;
    - EHD (``ehd_options``: ``grid=(4, 4)``, ``block=4``, ``threshold=0.1``):
      see :func:`ehd`;
    - hyperbola: ``hyp_ok`` (1 when the fit succeeded; else every hyperbola
      feature is 0), apex offset from the alarm ``hyp_dx_m`` (m) and
      ``hyp_dt_ns`` (ns), velocity, permittivity, depth, residual, picks and
      polarity of :func:`sapper.detect.fit_hyperbola` (``hyperbola_options``:
      its keyword arguments);
    - energy: mean square of the window, its peak ``|x|``, and
      ``10 log10(energy / background)`` where the background is the mean
      square of the same samples over ``background_traces`` traces each side
      (0 dB when there are none);
    - spectral: centroid and rms bandwidth (MHz) of the summed power spectra
      of the window's Hann-tapered traces.

    Parameters
    ----------
    data : numpy.ndarray
        B-scan ``(n_samples, n_traces)``, float32 or float64.
    alarms : tuple, array or sequence
        ``(trace, sample)`` pairs, an ``(n, 2)`` integer array, or alarm objects
        with ``trace`` and ``sample``.
    dt_ns, time_zero_ns : float
    positions, trace_spacing_m :
        Trace positions (m) or spacing; needed by the hyperbola features.
    window : (int, int), default (64, 32)
    hog, ehd, hyperbola, energy, spectral : bool
        Which groups to compute.
    threads : int, default 0
        0 = all cores; the result does not depend on it.

    Returns
    -------
    features : numpy.ndarray
        ``(n_alarms, n_features)`` float64.
    names : list of str
    ok : numpy.ndarray of bool
        False where the window did not fit the record, the alarm lies outside
        it or the window holds NaN/Inf (that row is NaN).

    Raises
    ------
    ValueError
        Invalid options or positions.
    """
    lib, x = _bscan(data)
    dt, tz = _dt(dt_ns, time_zero_ns)
    if hyperbola:
        pos, spacing = _positions(positions, trace_spacing_m, x.shape[1])
    else:
        pos, spacing = np.empty(0), 0.0
    ts, times, _ = _alarms(alarms)
    use = dict(hog=hog, ehd=ehd, hyperbola=hyperbola, energy=energy, spectral=spectral)
    o = _options(window, hog_options, ehd_options, hyperbola_options, background_traces, use, spacing)
    names = list(_core.detect_features.feature_names(o))
    f, ok = lib.features(x, dt, tz, pos, ts, times, o, int(threads))
    return np.asarray(f).reshape(len(ts), len(names)), names, np.asarray(ok, dtype=bool)


def _window(window):
    w = np.asarray(window)
    if w.dtype not in (np.float32, np.float64):
        w = w.astype(np.float64)
    if w.ndim != 2:
        raise ValueError(f"window has shape {w.shape}; expected (n_samples, n_traces)")
    if not np.isfinite(w).all():
        raise ValueError("window holds NaN or Inf")
    lib = _core.detect_features.f32 if w.dtype == np.float32 else _core.detect_features.f64
    return lib, np.asfortranarray(w)


def hog(window, *, cell=(8, 8), bins=9, block=2, clip=0.2) -> np.ndarray:
    """Histogram of oriented gradients (Dalal-Triggs; as in Torrione et al. 2014 for GPR).

    Gradients by central differences with edge replication: ``gx`` along
    traces, ``gy`` along samples; unsigned orientation ``atan2(gy, gx) mod pi``
    voted by magnitude into ``bins`` bins centred on ``k pi / bins``, linearly
    between the two nearest; cells of ``cell`` pixels; blocks of ``block x
    block`` cells at a stride of one cell, each L2-normalised, clipped at
    ``clip`` and renormalised (L2-Hys). A vertical edge votes into bin 0.

    Parameters
    ----------
    window : array_like
        ``(n_samples, n_traces)``, tiled by the cells.
    cell : (int, int), default (8, 8)
        Cell size, samples x traces.
    bins : int, default 9
    block : int, default 2
    clip : float, default 0.2

    Returns
    -------
    numpy.ndarray
        Blocks in row-major order, each its cells in row-major order, each its
        bins.

    Raises
    ------
    ValueError
        A window not tiled by the cells, smaller than a block, or holding NaN.
    """
    lib, w = _window(window)
    return lib.hog(w, _hog_opts(cell, bins, block, clip))


def ehd(window, *, grid=(4, 4), block=4, threshold=0.1) -> np.ndarray:
    """MPEG-7 edge histogram descriptor (as Frigui & Gader's landmine EHD).

    The window is split into ``grid`` sub-images, each into image-blocks of
    ``block x block`` pixels, each into 2 x 2 sub-blocks of means ``a0 a1 /
    a2 a3``. Edge strengths: vertical ``|a0 - a1 + a2 - a3|``, horizontal
    ``|a0 + a1 - a2 - a3|``, 45 degrees ``sqrt2 |a0 - a3|``, 135 degrees
    ``sqrt2 |a1 - a2|``, non-directional ``2 |a0 - a1 - a2 + a3|``. A block
    counts for its strongest type (the first of ties) when that exceeds
    ``threshold * max |window|``; counts are divided by the sub-image's number
    of blocks.

    Returns
    -------
    numpy.ndarray
        ``5 * grid[0] * grid[1]``: sub-images row-major, each (vertical,
        horizontal, 45, 135, non-directional).

    Raises
    ------
    ValueError
        A window not tiled by whole blocks, an odd block, or NaN.
    """
    lib, w = _window(window)
    return lib.ehd(w, _ehd_opts(grid, block, threshold))


def mag_feature_names() -> list:
    """Names of :func:`mag_features`' columns."""
    return list(_core.detect_features.mag_feature_names())


def mag_features(fits):
    """Classifier features of magnetometer targets from their dipole fits.

    Parameters
    ----------
    fits : DipoleFit, dict or sequence of them
        :class:`sapper.mag.DipoleFit` (from :func:`sapper.mag.fit_dipole`) or
        its ``as_dict()``.

    Returns
    -------
    features : numpy.ndarray
        ``(n_features,)`` for one fit, else ``(n_fits, n_features)``: depth (m),
        moment (A m^2) and its log10, inclination and remanence (deg),
        amplitude (nT), width (m), rms and robust scale (nT), coherence,
        rms / amplitude, converged (0/1).
    names : list of str
    """
    def as_dict(f):
        return dataclasses.asdict(f) if dataclasses.is_dataclass(f) else dict(f)

    single = dataclasses.is_dataclass(fits) or isinstance(fits, dict)
    rows = [_core.detect_features.mag_features(as_dict(f)) for f in ([fits] if single else fits)]
    names = mag_feature_names()
    out = np.array(rows, dtype=np.float64).reshape(len(rows), len(names))
    return (out[0] if single else out), names
