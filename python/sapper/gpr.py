"""GPR B-scan preprocessing.

Every function takes a B-scan of shape ``(n_samples, n_traces)`` (a single
trace of shape ``(n_samples,)`` works too, except for :func:`stack_traces` and
:func:`resample_traces`), float32 or float64. The filters return a new array of
the same dtype, shape and Fortran (trace-contiguous) order, so that it goes back
into sapper without a copy; :func:`time_zero` (with ``crop``),
:func:`stack_traces` and :func:`resample_traces` change the number of samples
or traces, and :func:`first_break` returns float64 picks. Other layouts are
converted once; integer input is converted to float64; any other dtype raises
``TypeError``.

Units: times in ns, frequencies in MHz, rates in 1/ns, windows of traces in
traces, positions in m. Exact definitions: ``docs/gpr.md``.

Keyword parameters shared by the functions:

``out``
    Caller-owned Fortran-ordered array of the same dtype and shape as the
    result (float64 for integer data); may be ``data`` itself for in-place work.
``threads``
    Number of threads; 0 = all cores.
``check_finite``
    Reject NaN/Inf with a ``ValueError`` naming the first sample and trace
    (default). ``False`` skips the check; NaN/Inf then propagate.

Parameters are validated before any work: a bad value raises ``ValueError``
naming the parameter and its value. The C++ work runs without the GIL.
"""
from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

from . import _core

__all__ = [
    "remove_dc", "dewow", "sec_gain", "tpow_gain", "agc", "bandpass", "envelope",
    "remove_mean_trace", "moving_background", "first_break", "shift_traces", "time_zero",
    "butterworth_sos", "sosfilt", "stack_traces", "resample_samples", "resample_traces", "Resampled",
    "Chain", "Processed", "Stream",
]


def _as_float(data, name="data", kinds="iu"):
    """``data`` as a float32/float64 array: integer (and ``kinds``) dtypes become float64."""
    a = np.asarray(data)
    if a.dtype.kind in kinds:
        return a.astype(np.float64)
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} has dtype {a.dtype}; expected float32 or float64")
    return a


def _check_finite(x):
    """Raises ValueError naming the first NaN/Inf of a (n_samples, n_traces[, n_channels]) array."""
    if not np.isfinite(x).all():
        first = np.argwhere(~np.isfinite(x))[0]
        where = ", ".join(f"{k} {i}" for k, i in zip(("sample", "trace", "channel"), first))
        raise ValueError(f"data holds NaN or Inf (first at {where})")


def _prepare(data, out, check_finite):
    a = _as_float(data)
    if a.ndim not in (1, 2):
        raise ValueError(f"data has shape {a.shape}; expected (n_samples, n_traces) or (n_samples,)")
    if a.size == 0:
        raise ValueError(f"data has shape {a.shape}: it is empty")
    one = a.ndim == 1
    x = np.asfortranarray(a[:, None] if one else a)
    if check_finite:
        _check_finite(x)
    if out is None:
        y = np.empty_like(x, order="F")
    else:
        if not isinstance(out, np.ndarray) or out.dtype != x.dtype or out.shape != a.shape:
            raise ValueError(f"out must be a {x.dtype} array of shape {a.shape}")
        y = out[:, None] if one else out
        if not y.flags.f_contiguous:
            raise ValueError("out must be Fortran-ordered (trace-contiguous)")
    lib = _core.f32 if x.dtype == np.float32 else _core.f64
    return lib, x, y, one


def _finish(y, one):
    return y[:, 0] if one else y


def _dt(dt_ns):
    if not np.isfinite(dt_ns) or dt_ns <= 0:
        raise ValueError(f"dt_ns = {dt_ns} must be a positive number of ns")
    return float(dt_ns)


def remove_dc(data, dt_ns, *, method="mean", window_ns=None, time_zero_ns=0.0,
              out=None, threads=0, check_finite=True):
    """Subtract each trace's mean or median (DC offset).

    ``y[i, j] = x[i, j] - c_j``, where ``c_j`` is the mean or median of trace
    ``j`` over the samples with ``t0 <= t_i <= t1``, ``t_i = i*dt_ns -
    time_zero_ns`` (ns after time zero), or over the whole trace when
    ``window_ns`` is omitted. The median of an even count is the mean of the
    two middle values.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    method : {"mean", "median"}, default "mean"
        Statistic subtracted.
    window_ns : (float, float), optional
        Window ``(t0, t1)`` in ns after time zero over which the statistic is
        taken; finite, ``t1 > t0``, holding at least one sample. Default: the
        whole trace.
    time_zero_ns : float, default 0.0
        Time zero, ns after sample 0; finite. Only places ``window_ns``.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order; if
        ``dt_ns`` is not positive and finite, ``method`` is unknown,
        ``time_zero_ns`` is not finite, or ``window_ns`` is not finite, has
        ``t1 <= t0`` or holds no sample.

    See Also
    --------
    dewow : Subtract a running mean or median instead.

    Examples
    --------
    >>> y = remove_dc(bscan, dt_ns=0.025, window_ns=(10.0, 12.0))  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    a, b = (0.0, 0.0) if window_ns is None else map(float, window_ns)
    if window_ns is not None and not b > a:
        raise ValueError(f"window_ns = {window_ns}: the end must follow the start")
    lib.remove_dc(x, y, _dt(dt_ns), float(time_zero_ns), method, a, b, threads)
    return _finish(y, one)


def dewow(data, dt_ns, window_ns, *, method="mean", out=None, threads=0, check_finite=True):
    """Remove low-frequency "wow": subtract a centred running mean or median.

    ``y[i] = x[i] - m_i``, where ``m_i`` is the mean or median of the centred
    window of ``2*floor(window_ns/dt_ns/2)+1`` samples around sample ``i``,
    truncated at the ends of the trace (the statistic is taken over the
    samples that exist). ``window_ns`` is typically 1-3 periods of the
    antenna's centre frequency (a period is ``1e3/f_mhz`` ns).

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    window_ns : float
        Window length, ns; positive and finite. Below ``2*dt_ns`` the window
        is one sample and the output is zero.
    method : {"mean", "median"}, default "mean"
        Running statistic: the mean (GPRPy's definition) or the median
        (RGPR's).
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order; if
        ``dt_ns`` or ``window_ns`` is not positive and finite, or ``method``
        is unknown.

    See Also
    --------
    bandpass : Removes the wow with the rest of the out-of-band energy.

    Notes
    -----
    Peers differ: GPRPy subtracts a centred running mean over
    ``2*ceil(W/2)+1`` samples, RGPR a running median (default window 5
    dominant periods), readgssi a cubic fitted to the trace; ImpDAR has no
    dewow and uses a band-pass. Cost: O(n) per trace for the mean, O(n w) for
    the median.

    Examples
    --------
    Two periods of a 1500 MHz antenna:

    >>> y = dewow(bscan, 0.025, window_ns=2 * 1e3 / 1500)  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.dewow(x, y, _dt(dt_ns), float(window_ns), method, threads)
    return _finish(y, one)


def sec_gain(data, dt_ns, *, power=1.0, alpha_per_ns=0.0, max_gain=1e6, time_zero_ns=0.0,
             out=None, threads=0, check_finite=True):
    """Apply spreading and exponential compensation (SEC) gain.

    ``y[i] = x[i] * g(t_i)`` with
    ``g(t) = min(max_gain, max(t, dt)**power * exp(alpha_per_ns * max(t, 0)))``
    and ``t_i = i*dt_ns - time_zero_ns`` in ns, so samples at or before time
    zero get ``min(max_gain, dt_ns**power)``. ``alpha_per_ns = 0`` is
    t-power gain (:func:`tpow_gain`), ``power = 0`` exponential gain.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    power : float, default 1.0
        Exponent of ``t`` (in ns); in [-10, 10].
    alpha_per_ns : float, default 0.0
        Exponential rate, 1/ns; in [-100, 100].
    max_gain : float, default 1e6
        Cap on the gain; positive and finite.
    time_zero_ns : float, default 0.0
        Time zero, ns after sample 0; finite.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order; if
        ``dt_ns`` or ``max_gain`` is not positive and finite, ``power`` or
        ``alpha_per_ns`` is out of range, or ``time_zero_ns`` is not finite.

    See Also
    --------
    tpow_gain : The same with ``alpha_per_ns = 0``.
    agc : A gain from the data's own amplitude.

    Examples
    --------
    >>> y = sec_gain(bscan, 0.025, power=1.0, alpha_per_ns=0.1, time_zero_ns=1.5)  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.sec_gain(x, y, _dt(dt_ns), float(time_zero_ns), float(power), float(alpha_per_ns),
                 float(max_gain), threads)
    return _finish(y, one)


def tpow_gain(data, dt_ns, power, *, max_gain=1e6, time_zero_ns=0.0, out=None, threads=0,
              check_finite=True):
    """Apply t-power gain ``g(t) = min(max_gain, max(t, dt)**power)``.

    ``y[i] = x[i] * g(t_i)`` with ``t_i = i*dt_ns - time_zero_ns`` in ns:
    :func:`sec_gain` with ``alpha_per_ns = 0``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    power : float
        Exponent of ``t`` (in ns); in [-10, 10].
    max_gain : float, default 1e6
        Cap on the gain; positive and finite.
    time_zero_ns : float, default 0.0
        Time zero, ns after sample 0; finite.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        As :func:`sec_gain`.

    See Also
    --------
    sec_gain : Adds an exponential term.

    Examples
    --------
    >>> y = tpow_gain(bscan, 0.025, 2.0)  # doctest: +SKIP
    """
    return sec_gain(data, dt_ns, power=power, alpha_per_ns=0.0, max_gain=max_gain,
                    time_zero_ns=time_zero_ns, out=out, threads=threads, check_finite=check_finite)


def agc(data, dt_ns, window_ns, *, max_gain=1e6, out=None, threads=0, check_finite=True):
    """Automatic gain control: divide by the RMS of a centred window of ``window_ns``.

    ``y[i] = x[i] * min(max_gain, 1/rms_i)``, where ``rms_i`` is the root mean
    square of the centred window of ``2*floor(window_ns/dt_ns/2)+1`` samples
    around sample ``i``, truncated at the ends of the trace (Seismic Unix's
    RMS definition). An all-zero window gets ``max_gain``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    window_ns : float
        Window length, ns; positive and finite.
    max_gain : float, default 1e6
        Cap on the gain; positive and finite.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order; if
        ``dt_ns``, ``window_ns`` or ``max_gain`` is not positive and finite.

    See Also
    --------
    sec_gain : A gain that depends on time only.

    Notes
    -----
    Peers differ: GPRPy divides by the window's L2 norm (``sqrt(w)`` times the
    RMS of ``w`` samples), RGPR by a Gaussian-smoothed power envelope
    (rescaled), ImpDAR applies one gain per row from the maximum absolute
    value across traces.

    Examples
    --------
    >>> y = agc(bscan, 0.025, window_ns=5.0)  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.agc(x, y, _dt(dt_ns), float(window_ns), float(max_gain), threads)
    return _finish(y, one)


def bandpass(data, dt_ns, low_mhz, high_mhz, *, taper_mhz=None, causal=False, order=4, out=None,
             threads=0, check_finite=True):
    """Band-pass every trace between ``low_mhz`` and ``high_mhz``.

    Zero-phase (default): each trace is zero-padded to ``N = fft_size(n_samples)``
    samples, its spectrum multiplied by ``H(f) = r(f; low_mhz) * (1 - r(f; high_mhz))``
    with ``r(f; e) = sin(pi/2 * clip((f - e)/taper_mhz + 1/2, 0, 1))**2``, and
    the first ``n_samples`` samples of the inverse transform kept: gain 1
    between ``low_mhz + taper/2`` and ``high_mhz - taper/2``, cos^2 ramps of
    width ``taper_mhz`` centred on the corners, 0 outside. A corner at 0 or at
    Nyquist (``500/dt_ns`` MHz) is not applied.

    ``causal=True``: a digital Butterworth of ``order`` (the band-pass has
    ``2*order`` poles; -3 dB at the corners), run forward only from zero state
    in float64, as ``scipy.signal.sosfilt(butterworth_sos(order, low_mhz,
    high_mhz, dt_ns), data, axis=0)``. What a real-time system can apply; it
    delays the signal by the filter's group delay.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    low_mhz : float
        Lower corner, MHz; ``0 <= low_mhz < high_mhz`` (and below Nyquist).
        0: no low cut.
    high_mhz : float
        Upper corner, MHz; above ``low_mhz``. Zero-phase: at most Nyquist
        (at Nyquist: no high cut). Causal: at or above Nyquist gives a
        high-pass.
    taper_mhz : float, optional
        Width of the cos^2 ramps, MHz; in ``[0, high_mhz - low_mhz]`` (0: a
        step). Default: a quarter of the band, ``(high_mhz - low_mhz)/4``.
        Zero-phase only; ignored when ``causal``.
    causal : bool, default False
        Use the causal Butterworth instead of the zero-phase filter.
    order : int, default 4
        Butterworth order, in [1, 12]. Causal only; ignored otherwise.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order; if
        ``dt_ns`` is not positive and finite, or a corner, ``taper_mhz`` or
        ``order`` is out of range.

    See Also
    --------
    butterworth_sos : The causal filter's sections.
    sosfilt : Causal filtering by any second-order sections.
    fft_size : The zero-phase filter's FFT length.

    Notes
    -----
    Peers: readgssi applies a zero-phase FIR (25-tap triangle), RGPR a
    Hamming-windowed sinc via the FFT, ImpDAR a zero-phase IIR (filtfilt),
    ridal causal biquads. The zero-padding to ``n + n/4`` keeps the circular
    wrap-around away from the ends of the trace. Cost: one real FFT pair per
    trace (zero-phase), O(order n) (causal).

    Examples
    --------
    >>> y = bandpass(bscan, 0.025, 300.0, 3000.0)  # doctest: +SKIP
    >>> y = bandpass(bscan, 0.025, 300.0, 3000.0, causal=True, order=4)  # doctest: +SKIP
    """
    if causal:
        return sosfilt(data, butterworth_sos(order, low_mhz, high_mhz, dt_ns), out=out, threads=threads,
                       check_finite=check_finite)
    lib, x, y, one = _prepare(data, out, check_finite)
    taper = 0.25 * (high_mhz - low_mhz) if taper_mhz is None else taper_mhz
    lib.bandpass(x, y, _dt(dt_ns), float(low_mhz), float(high_mhz), float(taper), threads)
    return _finish(y, one)


def butterworth_sos(order, low_mhz, high_mhz, dt_ns):
    """Design a digital Butterworth band-pass as second-order sections.

    An analog low-pass prototype of ``order`` poles is turned into a band-pass
    (``2*order`` poles, -3 dB at ``low_mhz`` and ``high_mhz``) and digitised by
    the bilinear transform with the corners pre-warped to ``tan(pi f dt)``:
    the response of ``scipy.signal.butter(order, [low_mhz, high_mhz],
    'bandpass', fs=1e3/dt_ns, output='sos')``, with the sections paired and
    scaled differently. ``low_mhz = 0`` gives a low-pass at ``high_mhz``,
    ``high_mhz`` at or above Nyquist a high-pass at ``low_mhz`` (each of
    ``order`` poles), both at once a single pass-through section.

    Parameters
    ----------
    order : int
        Order of the prototype, in [1, 12].
    low_mhz : float
        Lower corner, MHz; ``0 <= low_mhz <`` Nyquist (``500/dt_ns`` MHz).
    high_mhz : float
        Upper corner, MHz; above ``low_mhz``.
    dt_ns : float
        Sample interval, ns; positive and finite.

    Returns
    -------
    numpy.ndarray of float64, shape (n_sections, 6), C order
        One row ``[b0, b1, b2, a0, a1, a2]`` per section, with ``a0 = 1``
        (scipy's layout). ``n_sections`` is ``order`` for a band-pass,
        ``ceil(order/2)`` for a low- or high-pass (an odd order has one
        first-order section), 1 for the pass-through.

    Raises
    ------
    ValueError
        If ``order`` is outside [1, 12], ``dt_ns`` is not positive and
        finite, ``low_mhz`` is outside ``[0, Nyquist)`` or ``high_mhz`` does
        not exceed ``low_mhz``.

    See Also
    --------
    sosfilt : Apply the sections.
    bandpass : ``causal=True`` designs and applies them in one call.

    Examples
    --------
    >>> butterworth_sos(4, 300.0, 3000.0, 0.025).shape
    (4, 6)
    """
    return _core.butterworth_sos(int(order), float(low_mhz), float(high_mhz), _dt(dt_ns))


def sosfilt(data, sos, *, out=None, threads=0, check_finite=True):
    """Filter every trace causally by a cascade of second-order sections.

    Each trace runs forward through the sections from zero state, as
    ``scipy.signal.sosfilt(sos, data, axis=0)``; the cascade is computed in
    float64 whatever the data's dtype (scipy computes in the data's dtype),
    and the result is stored in the data's dtype.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    sos : array_like, shape (n_sections, 6)
        One row ``[b0, b1, b2, a0, a1, a2]`` per section, scipy's layout (each
        row is divided by its ``a0``); at least one section, finite,
        ``a0 != 0``. From :func:`butterworth_sos` or
        ``scipy.signal.butter(..., output='sos')``.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order; if
        ``sos`` is not of shape ``(n_sections, 6)`` with ``n_sections >= 1``,
        has a section with ``a0 = 0`` or is not finite.

    See Also
    --------
    butterworth_sos : Design Butterworth sections.
    bandpass : Zero-phase or causal band-pass in one call.

    Examples
    --------
    >>> y = sosfilt(bscan, butterworth_sos(4, 300.0, 3000.0, 0.025))  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.sosfilt(np.ascontiguousarray(sos, dtype=np.float64), x, y, threads)
    return _finish(y, one)


def fft_size(n_samples: int) -> int:
    """FFT length that :func:`bandpass` uses for traces of ``n_samples``.

    ``good_size(n_samples + n_samples // 4)``: the smallest
    ``2**a * 3**b * 5**c * 7**d`` that is at least ``n_samples +
    floor(n_samples/4)``. The zero-padding keeps the filter's circular
    wrap-around away from the ends of the trace.

    Parameters
    ----------
    n_samples : int
        Samples per trace, at least 1 (smaller values give 1).

    Returns
    -------
    int
        FFT length, in samples.

    See Also
    --------
    bandpass : The zero-phase filter that pads to this length.

    Examples
    --------
    >>> fft_size(512)
    640
    """
    return _core.bandpass_fft_size(int(n_samples))


def envelope(data, *, out=None, threads=0, check_finite=True):
    """Compute the instantaneous amplitude (envelope) of every trace.

    ``y = |x + i H{x}|``, ``H`` the Hilbert transform, computed with an FFT of
    the whole trace, without padding: the same as
    ``numpy.abs(scipy.signal.hilbert(data, axis=0))``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order, non-negative; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order.

    Examples
    --------
    >>> a = envelope(bscan)  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.envelope(x, y, threads)
    return _finish(y, one)


def remove_mean_trace(data, *, out=None, threads=0, check_finite=True):
    """Background removal: subtract the mean trace of the whole B-scan.

    ``y[i, j] = x[i, j] - mean_k x[i, k]``, the mean over all ``n_traces``
    traces, summed in double precision. A single trace gives zeros.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order.

    See Also
    --------
    moving_background : A moving window instead of the whole profile.

    Notes
    -----
    In a :class:`Chain` this is the ``background`` step with
    ``window_traces = 0``, which cannot stream.

    Examples
    --------
    >>> y = remove_mean_trace(bscan)  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.remove_mean_trace(x, y, threads)
    return _finish(y, one)


def moving_background(data, window_traces, *, method="mean", causal=False, out=None, threads=0,
                      check_finite=True):
    """Background removal: subtract a moving-window mean or median trace.

    ``y[i, j] = x[i, j] - s_ij``, where ``s_ij`` is the mean or median of
    sample ``i`` over a window of ``W = window_traces`` traces, truncated at
    the ends of the profile (the statistic is taken over the traces that
    exist). The window is centred on the trace, ``[j - W//2, j + W//2]``, or
    with ``causal=True`` trailing, ``[j - W + 1, j]``: the trace and the
    ``W - 1`` before it (what a real-time system can do with no latency).

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    window_traces : int
        Window length ``W``, traces; positive and odd.
    method : {"mean", "median"}, default "mean"
        Statistic subtracted.
    causal : bool, default False
        Trailing instead of centred window.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work (no copy of the
        B-scan is made).
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order; if
        ``window_traces`` is not a positive odd number or ``method`` is
        unknown.

    See Also
    --------
    remove_mean_trace : The mean over the whole profile.

    Notes
    -----
    In a :class:`Chain` this is the ``background`` step; streamed, a centred
    window holds back ``W//2`` traces, a causal one none. GPRPy, RGPR and
    readgssi (boxcar) subtract a moving-window mean; RGPR also offers a
    robust trimmed mean and an SVD eigen-image. Cost: O(n m) for the mean,
    O(n m W) for the median.

    Examples
    --------
    >>> y = moving_background(bscan, 51)  # doctest: +SKIP
    >>> y = moving_background(bscan, 51, causal=True, out=bscan)  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    lib.moving_background(x, y, int(window_traces), method, threads, bool(causal))
    return _finish(y, one)


def first_break(data, dt_ns, *, threshold=0.2, search_ns=None, threads=0, check_finite=True):
    """Pick the first-break time of every trace, ns after sample 0.

    With ``A = max|x|`` over the first ``search_ns`` of the trace (samples
    ``0 .. ceil(search_ns/dt_ns)``; the whole trace by default), the pick is
    the first sample ``i`` with ``|x_i| >= threshold * A``, linearly
    interpolated between that sample and the one before:
    ``t = (i-1 + (threshold*A - |x_{i-1}|) / (|x_i| - |x_{i-1}|)) * dt_ns``
    (0 when ``i = 0``). NaN for a trace that is all zero.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    threshold : float, default 0.2
        Fraction of the peak amplitude ``A``; in (0, 1].
    search_ns : float, optional
        Time after sample 0, ns, within which the peak is taken; finite.
        None or <= 0: the whole trace.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray of float64, shape (n_traces,)
        First-break times, ns after sample 0 (not after time zero); shape
        ``(1,)`` for a single trace.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``dt_ns`` is not positive and finite,
        ``threshold`` is outside (0, 1] or ``search_ns`` is not finite.

    See Also
    --------
    time_zero : Align the traces on their first breaks.

    Examples
    --------
    >>> picks = first_break(bscan, 0.025, threshold=0.2, search_ns=5.0)  # doctest: +SKIP
    """
    lib, x, _, one = _prepare(data, None, check_finite)
    picks = np.empty(x.shape[1])
    lib.first_break(x, picks, _dt(dt_ns), float(threshold), float(search_ns or 0.0), threads)
    return picks


def shift_traces(data, dt_ns, shifts_ns, *, out=None, threads=0, check_finite=True):
    """Shift every trace later by ``shifts_ns`` (one per trace, or a scalar), ``y(t) = x(t - s)``.

    Sub-sample shifts use 16-tap Lanczos (windowed-sinc) interpolation,
    ``L(z) = sinc(z) * sinc(z/8)``, with the weights normalised to sum 1;
    samples shifted in from outside the trace are 0; whole-sample shifts copy
    exactly.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    shifts_ns : float or array_like of shape (n_traces,)
        Delay of each trace, ns (negative: earlier); finite. A scalar shifts
        every trace by the same delay.
    out : numpy.ndarray, optional
        Caller-owned Fortran-ordered array of the same dtype and shape as
        ``data``; may be ``data`` itself for in-place work.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape and dtype of ``data`` (float64 for integer input), Fortran
        order; written into ``out`` when given.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``out`` has the wrong dtype, shape or order; if
        ``dt_ns`` is not positive and finite, or ``shifts_ns`` does not
        broadcast to ``(n_traces,)`` or is not finite.

    See Also
    --------
    time_zero : Shift every trace so that its first break lands on time zero.
    first_break : The picks to shift by.

    Examples
    --------
    >>> y = shift_traces(bscan, 0.025, 2.0 - first_break(bscan, 0.025))  # doctest: +SKIP
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    s = np.broadcast_to(np.asarray(shifts_ns, dtype=np.float64), (x.shape[1],)).copy()
    lib.shift_traces(x, y, s, _dt(dt_ns), threads)
    return _finish(y, one)


def time_zero(data, dt_ns, *, threshold=0.2, target_ns=None, search_ns=None, crop=True,
              threads=0, check_finite=True):
    """Align every trace's first break (see :func:`first_break`) at a common time zero.

    The target ``t0 = target_ns`` (default: the median first break) is snapped
    to the sample grid at sample ``k0 = round(t0 / dt_ns)``; every trace is
    shifted by ``k0*dt_ns - pick_j`` (with :func:`shift_traces`'
    interpolation), so that its first break lands on sample ``k0``. Traces
    without a first break (all zero) are only cropped. With ``crop`` the
    samples ``0 .. k0-1`` are dropped: the output has ``n_samples - k0``
    samples and time zero at sample 0; without it, time zero is at sample
    ``k0``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces) or (n_samples,)
        B-scan or single trace; float32, float64 or integer.
    dt_ns : float
        Sample interval, ns; positive and finite.
    threshold : float, default 0.2
        First-break threshold, fraction of the peak amplitude; in (0, 1].
    target_ns : float, optional
        Time zero, ns after sample 0; in ``[0, n_samples*dt_ns)``. Default:
        the median first break of the traces that have one.
    search_ns : float, optional
        Time after sample 0, ns, within which the peak is taken; finite.
        None or <= 0: the whole trace.
    crop : bool, default True
        Drop the samples before time zero.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        A new array of the dtype of ``data`` (float64 for integer input),
        Fortran order, shape ``(n_samples - k0, n_traces)`` with ``crop``,
        else the shape of ``data`` (1-D for a single trace).

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``dt_ns`` is not positive and finite,
        ``threshold`` is outside (0, 1], ``search_ns`` is not finite or
        ``target_ns`` lies outside the trace; if ``target_ns`` is None and
        every trace is all zero.

    See Also
    --------
    first_break : The picks.
    shift_traces : The interpolation.
    Chain : Returns the resolved target in ``Processed.steps``.

    Notes
    -----
    The target found on the data is not returned: run
    ``Chain([{"op": "time_zero"}]).apply(data, dt_ns)`` to get it back in
    ``Processed.steps`` (e.g. for a :class:`Stream`, which needs it set).

    Examples
    --------
    >>> y = time_zero(bscan, 0.025, threshold=0.2)  # doctest: +SKIP
    """
    step = {"op": "time_zero", "threshold": threshold, "target_ns": target_ns,
            "search_ns": search_ns or 0.0, "crop": crop}
    return Chain([step]).apply(data, dt_ns, threads=threads, check_finite=check_finite).data


def stack_traces(data, n, *, threads=0, check_finite=True):
    """Average every ``n`` consecutive traces.

    Output trace ``g`` is the mean of input traces ``[g*n, min((g+1)*n,
    n_traces))``, summed in double precision, so the last, partial group is
    averaged over the traces it has: ``ceil(n_traces / n)`` traces out.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
        B-scan; float32, float64 or integer. A single trace is rejected.
    n : int
        Traces per group; at least 1.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray, shape (n_samples, ceil(n_traces / n))
        A new array of the dtype of ``data`` (float64 for integer input),
        Fortran order.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 2-D, is empty or holds NaN/Inf (with
        ``check_finite``), or ``n < 1``.

    See Also
    --------
    resample_traces : Stack by position instead of by count.

    Examples
    --------
    >>> y = stack_traces(bscan, 4)  # doctest: +SKIP
    """
    lib, x, _, one = _prepare(data, None, check_finite)
    if one:
        raise ValueError("stack_traces needs a B-scan (n_samples, n_traces)")
    return lib.stack_traces(x, int(n), threads)


class Resampled(NamedTuple):
    """Result of :func:`resample_traces`: traces at uniform spacing along the line.

    A named tuple ``(data, positions_m, count)``.

    Attributes
    ----------
    data : numpy.ndarray, shape (n_samples, K)
        The resampled traces; dtype of the input (float64 for integer input),
        Fortran order.
    positions_m : numpy.ndarray of float64, shape (K,)
        Position of each output trace, m: ``positions_m[0] + k * spacing_m``.
    count : numpy.ndarray of int64, shape (K,)
        Input traces stacked into each output trace (0: interpolated).
    """
    data: np.ndarray
    positions_m: np.ndarray
    count: np.ndarray


def resample_samples(data, n_samples, *, threads=0, check_finite=True):
    """Band-limited resampling of every trace to ``n_samples`` over the same time window.

    The sample interval becomes ``dt * n / n_samples`` (``n`` = the input's samples): an
    instrument recorded at another rate is brought to the grid a model or a window learned.
    Equals ``scipy.signal.resample(data, n_samples, axis=0)``: the real spectrum cut to (or
    padded with zeros beyond) ``min(n, n_samples) // 2 + 1`` bins, the unpaired bin of an even
    ``min(n, n_samples)`` doubled when shrinking and halved when growing, inverse transform over
    ``n``. Traces are taken as periodic (no taper): a trace whose ends differ rings a little there.

    Parameters
    ----------
    data : array_like, shape (n_samples_in, n_traces) or (n_samples_in,)
        B-scan or one trace; float32, float64 or integer.
    n_samples : int
        Samples of each output trace, >= 1.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_samples, n_traces)`` (or ``(n_samples,)``), dtype of ``data`` (float64 for
        integer input), Fortran order.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is empty or holds NaN/Inf (with ``check_finite``), or ``n_samples`` is < 1
        or gives more than ``10**8`` values.

    Examples
    --------
    >>> fine = resample_samples(bscan_1024, 512)  # doctest: +SKIP
    """
    lib, x, _, one = _prepare(data, None, check_finite)
    return _finish(lib.resample_samples(x, int(n_samples), threads), one)


def resample_traces(data, positions_m, spacing_m, *, threads=0, check_finite=True):
    """Stack and resample traces to a uniform spacing along the line.

    With ``p = positions_m`` and ``s = spacing_m``, the outputs lie at
    ``x_k = p[0] + k*s``, ``k = 0 .. floor((p[-1] - p[0])/s)``. Output trace
    ``k`` is the mean of the input traces with ``p_j`` in ``[x_k - s/2,
    x_k + s/2)`` (the last bin closed), or, where there are none, the linear
    interpolation in position between the nearest traces either side, ``a``
    and ``b = a + 1``: ``in_a + (x_k - p_a)/(p_b - p_a) * (in_b - in_a)``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
        B-scan; float32, float64 or integer. A single trace is rejected.
    positions_m : array_like, shape (n_traces,)
        Position of each trace along the line, m; finite and non-decreasing
        (repeats where the cart stopped).
    spacing_m : float
        Output trace spacing, m; positive and finite.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf with a ValueError naming the first sample and trace.

    Returns
    -------
    Resampled
        ``(data, positions_m, count)``: ``data`` of shape ``(n_samples, K)``,
        ``K = floor((p[-1] - p[0])/s) + 1``, dtype of ``data`` (float64 for
        integer input), Fortran order.

    Raises
    ------
    TypeError
        If ``data`` is not float32, float64 or integer.
    ValueError
        If ``data`` is not 2-D, is empty or holds NaN/Inf (with
        ``check_finite``); if ``positions_m`` does not have ``n_traces``
        entries or has a non-finite or decreasing entry (named by index); if
        ``spacing_m`` is not positive and finite; if ``K * n_samples`` exceeds
        ``10**8`` values.

    See Also
    --------
    stack_traces : Stack a fixed number of traces.

    Notes
    -----
    ``floor`` allows a rounding error of ``1e-9`` spacings, so that a line
    that is a whole number of spacings long keeps its end point. A tail
    shorter than ``s/2`` beyond the last output is in no bin. A line of zero
    length gives one trace, the mean of all traces. Sums are in double
    precision. Cost: O(n_samples (n_traces + K)).

    Examples
    --------
    >>> r = resample_traces(bscan, odometer_m, 0.02)  # doctest: +SKIP
    >>> r.data.shape, r.positions_m[:3], r.count[:3]  # doctest: +SKIP
    """
    lib, x, _, one = _prepare(data, None, check_finite)
    if one:
        raise ValueError("resample_traces needs a B-scan (n_samples, n_traces)")
    pos = np.asarray(positions_m, dtype=np.float64).ravel()
    y, x0, s, count = lib.resample_traces(x, pos.tolist(), float(spacing_m), threads)
    return Resampled(y, x0 + s * np.arange(y.shape[1]), np.asarray(count))


class Processed:
    """A processed B-scan and the steps as applied, returned by :meth:`Chain.apply`.

    ``steps`` has every default resolved (the time-zero target found on the
    data, the band-pass taper), so that ``processed.chain.apply(raw, dt_ns,
    time_zero_ns=...)`` with the arguments of the original call reproduces
    ``data`` exactly.

    Parameters
    ----------
    data : numpy.ndarray
        The processed data.
    dt_ns : float
        Sample interval, ns.
    time_zero_ns : float
        Time zero of ``data``, ns after sample 0.
    steps : list of dict
        The steps as applied.

    Attributes
    ----------
    data : numpy.ndarray, shape (n_samples_out, n_traces) or (n_samples_out,)
        The input's dtype (float64 for integer input), Fortran order; fewer
        samples than the input when a time-zero step crops.
    dt_ns : float
        Sample interval, ns.
    time_zero_ns : float
        Time zero of ``data``, ns after sample 0 (0 after a cropping time-zero
        step).
    steps : list of dict
        The steps as applied, every parameter written out.
    chain : Chain
        ``Chain(steps)``.
    """

    def __init__(self, data, dt_ns, time_zero_ns, steps):
        self.data, self.dt_ns, self.time_zero_ns, self.steps = data, dt_ns, time_zero_ns, steps

    @property
    def chain(self):
        """The steps as applied, as a :class:`Chain`.

        Every default is resolved, the time-zero target included.

        Returns
        -------
        Chain
            ``Chain(self.steps)``; e.g. ``processed.chain.stream(...)`` streams
            with the time-zero target found by the batch run.
        """
        return Chain(self.steps)

    def __repr__(self):
        ops = " -> ".join(s["op"] for s in self.steps)
        return f"Processed(shape={self.data.shape}, dtype={self.data.dtype}, dt_ns={self.dt_ns}, steps: {ops})"


class Chain:
    """A list of preprocessing steps, applied in batch or as a stream.

    Each step is a dict ``{"op": name, **parameters}``; unset (None) values
    take the default shown (units: ns, MHz, traces; ``docs/gpr.md``):

    - ``remove_dc``: ``method`` ("mean"), ``t0_ns``, ``t1_ns`` (0, 0: whole
      trace; ns after time zero)
    - ``dewow``: ``window_ns`` (2.0), ``method`` ("mean")
    - ``time_zero``: ``threshold`` (0.2), ``target_ns`` (None: median first
      break), ``search_ns`` (0: whole trace), ``crop`` (True)
    - ``background``: ``window_traces`` (51; 0 = global mean trace),
      ``method`` ("mean"), ``causal`` (False)
    - ``gain``: ``power`` (1.0), ``alpha_per_ns`` (0.0), ``max_gain`` (1e6):
      SEC gain; t-power with alpha 0
    - ``agc``: ``window_ns`` (5.0), ``max_gain`` (1e6)
    - ``bandpass``: ``low_mhz``, ``high_mhz`` (required), ``taper_mhz``
      (None: a quarter of the band), ``causal`` (False), ``order`` (4, causal
      only)
    - ``envelope``: no parameters

    Each op computes what the function of that name does (``background``:
    :func:`moving_background`, or :func:`remove_mean_trace` for
    ``window_traces = 0``; ``gain``: :func:`sec_gain`). Names and types are
    checked when the chain is built, values when it is applied or streamed.

    Parameters
    ----------
    steps : iterable of dict, str or Chain, default ()
        The steps: a list of step dicts, JSON text of such a list or of
        ``{"steps": [...]}`` (as :meth:`to_json` writes), or another Chain.
        Empty: a chain that returns a copy of the data.

    Attributes
    ----------
    steps : list of dict
        The steps, every parameter written out (None: unset).

    Raises
    ------
    ValueError
        On an unknown op or parameter name, a value of the wrong type (e.g. a
        non-integer ``window_traces``), invalid JSON, or JSON that is not a
        list of steps.
    TypeError
        If a step holds a value ``json`` cannot serialise (e.g.
        ``numpy.int64``: pass Python numbers).

    See Also
    --------
    Stream : The same steps on blocks of traces as they arrive.

    Notes
    -----
    Consecutive trace-local steps (all but ``background``) run trace by trace
    in a buffer that stays in cache, so the B-scan is read and written once
    per run of such steps.

    Examples
    --------
    >>> chain = Chain([{"op": "remove_dc"}, {"op": "dewow", "window_ns": 2.0},
    ...                {"op": "background", "window_traces": 51},
    ...                {"op": "bandpass", "low_mhz": 300, "high_mhz": 3000}])
    >>> result = chain.apply(bscan, dt_ns=0.025)      # doctest: +SKIP
    >>> result.steps                                  # doctest: +SKIP
    """

    def __init__(self, steps=()):
        if isinstance(steps, Chain):
            steps = steps.steps
        text = steps if isinstance(steps, str) else json.dumps(list(steps))
        self._json = _core.chain_normalise(text)

    @classmethod
    def default(cls, antenna_mhz=1500.0, dt_ns=0.025):
        """The default GPR chain for an antenna of ``antenna_mhz`` sampled every ``dt_ns``.

        With ``f = antenna_mhz``: DC removal (mean over the whole trace),
        dewow over 2 periods (``window_ns = 2e3/f``), time zero (defaults;
        the target is found on the data), moving background (51 traces,
        centred mean), t-gain (``power = 1``), zero-phase band-pass
        ``[f/4, min(2.5 f, Nyquist)]`` with the default taper.

        Parameters
        ----------
        antenna_mhz : float, default 1500.0
            Antenna centre frequency, MHz; positive, below Nyquist
            (``500/dt_ns`` MHz).
        dt_ns : float, default 0.025
            Sample interval, ns, of the data the chain is meant for;
            positive and finite.

        Returns
        -------
        Chain

        Raises
        ------
        ValueError
            If ``antenna_mhz`` or ``dt_ns`` is not positive and finite, or
            ``antenna_mhz`` is not below Nyquist.

        Examples
        --------
        >>> [s["op"] for s in Chain.default(1500.0, 0.025).steps]
        ['remove_dc', 'dewow', 'time_zero', 'background', 'gain', 'bandpass']
        """
        c = cls.__new__(cls)
        c._json = _core.chain_default(float(antenna_mhz), _dt(dt_ns))
        return c

    @property
    def steps(self):
        """The steps as a list of dicts, every parameter written out (None: unset).

        A new list on every access: editing it does not change the chain.
        """
        return json.loads(self._json)["steps"]

    def to_json(self):
        """The chain as JSON text.

        The text :class:`Chain` reads back, e.g. to store a chain with its
        results.

        Returns
        -------
        str
            ``{"sapper": version, "steps": [...]}``, every parameter written
            out (null: unset); ``Chain(chain.to_json()) == chain``.
        """
        return self._json

    def __repr__(self):
        return f"Chain({self.steps!r})"

    def __eq__(self, other):
        return isinstance(other, Chain) and self._json == other._json

    def apply(self, data, dt_ns, *, time_zero_ns=0.0, threads=0, check_finite=True):
        """Apply every step to a whole B-scan ``(n_samples, n_traces)``.

        Steps run in order. Defaults that depend on the data are resolved as
        they are reached (a time-zero target is the median first break of the
        data at that point) and written into the result's ``steps``.

        Parameters
        ----------
        data : array_like, shape (n_samples, n_traces) or (n_samples,)
            B-scan or single trace; float32, float64 or integer.
        dt_ns : float
            Sample interval, ns; positive and finite.
        time_zero_ns : float, default 0.0
            Time zero of ``data``, ns after sample 0; finite. Used by
            ``remove_dc`` windows and ``gain`` until a ``time_zero`` step
            sets a new one.
        threads : int, default 0
            Number of threads; 0 = all cores.
        check_finite : bool, default True
            Reject NaN/Inf with a ValueError naming the first sample and
            trace.

        Returns
        -------
        Processed
            ``.data`` is a new array of the dtype of ``data`` (float64 for
            integer input), Fortran order, shape of ``data`` except fewer
            samples when a time-zero step crops.

        Raises
        ------
        TypeError
            If ``data`` is not float32, float64 or integer.
        ValueError
            If ``data`` is not 1-D or 2-D, is empty or holds NaN/Inf (with
            ``check_finite``); if ``dt_ns`` is not positive and finite or
            ``time_zero_ns`` is not finite; if a step's parameter is invalid
            for this data (the message names the step, the parameter and its
            value); if a ``time_zero`` step without ``target_ns`` meets only
            all-zero traces.

        Examples
        --------
        >>> result = Chain.default(1500.0, 0.025).apply(bscan, 0.025)  # doctest: +SKIP
        >>> result.data.shape, result.steps[2]["target_ns"]  # doctest: +SKIP
        """
        lib, x, _, one = _prepare(data, None, check_finite)
        y, steps, t0 = lib.chain_apply(self._json, x, _dt(dt_ns), float(time_zero_ns), threads)
        return Processed(_finish(y, one), float(dt_ns), t0, json.loads(steps)["steps"])

    def stream(self, n_samples, dt_ns, *, time_zero_ns=0.0, max_block=256, dtype=np.float32):
        """A :class:`Stream` of this chain for traces of ``n_samples``.

        The same as ``Stream(self, n_samples, dt_ns, ...)``.

        Parameters
        ----------
        n_samples : int
            Samples per input trace; at least 1.
        dt_ns : float
            Sample interval, ns; positive and finite.
        time_zero_ns : float, default 0.0
            Time zero of the input traces, ns after sample 0; finite.
        max_block : int, default 256
            Most traces per :meth:`Stream.process` call; in [1, 2**24].
        dtype : {numpy.float32, numpy.float64}, default numpy.float32
            Dtype of the blocks in and out.

        Returns
        -------
        Stream
            A new stream, ready for the first block.

        Raises
        ------
        TypeError
            If ``dtype`` is not float32 or float64.
        ValueError
            As :class:`Stream`: a parameter out of range, or a step that
            cannot stream.
        """
        return Stream(self, n_samples, dt_ns, time_zero_ns=time_zero_ns, max_block=max_block, dtype=dtype)


class Stream:
    """A chain fed blocks of traces as they arrive; gives the same numbers as ``Chain.apply``.

    ``process(block)`` takes ``(n_samples, k)`` with ``k <= max_block`` (or one trace
    ``(n_samples,)``) and returns the ``(output_samples, k')`` traces completed so far,
    ``latency`` traces behind the input (a centred background window of ``W`` traces
    holds back ``W//2``; a causal one nothing). ``flush()`` returns the held-back
    traces at the end of the profile and leaves the stream ready for the next one.
    For any split of a profile into blocks, the outputs concatenated equal
    ``Chain.apply`` on the whole profile. Every parameter must be resolved up front:
    a time-zero step needs ``target_ns`` (take it from a batch run's
    ``Processed.steps``), and the global mean trace cannot stream. The stream is
    validated, planned and allocated when made; its work runs on the calling thread
    (one stream per channel), without the GIL, and allocates nothing in C++.

    Parameters
    ----------
    chain : Chain, list of dict or str
        The steps, in any form :class:`Chain` accepts.
    n_samples : int
        Samples per input trace; at least 1.
    dt_ns : float
        Sample interval, ns; positive and finite.
    time_zero_ns : float, default 0.0
        Time zero of the input traces, ns after sample 0; finite.
    max_block : int, default 256
        Most traces per :meth:`process` call; in [1, 2**24].
    dtype : {numpy.float32, numpy.float64}, default numpy.float32
        Dtype of the blocks in and out.

    Attributes
    ----------
    dtype : numpy.dtype
        Dtype of the blocks in and out.
    n_samples : int
        Samples per input trace.
    latency : int
        Traces held back (read-only).
    max_block : int
        Most traces per :meth:`process` call (read-only).
    output_samples : int
        Samples per output trace: ``n_samples`` less any time-zero crop
        (read-only).
    steps : list of dict
        The steps as resolved for this stream (read-only).

    Raises
    ------
    TypeError
        If ``dtype`` is not float32 or float64.
    ValueError
        If ``n_samples``, ``dt_ns``, ``time_zero_ns`` or ``max_block`` is out
        of range; if a step's parameter is invalid (the message names the
        step); if a ``time_zero`` step has no ``target_ns`` or a
        ``background`` step has ``window_traces = 0``.

    See Also
    --------
    Chain.stream : Make a stream from a chain.
    Chain.apply : The batch run it matches.

    Examples
    --------
    >>> batch = Chain.default(1500.0, 0.025).apply(first_profile, 0.025)  # doctest: +SKIP
    >>> stream = batch.chain.stream(512, 0.025, max_block=64)  # doctest: +SKIP
    >>> done = [stream.process(block) for block in blocks]  # doctest: +SKIP
    >>> done.append(stream.flush())  # doctest: +SKIP
    """

    def __init__(self, chain, n_samples, dt_ns, *, time_zero_ns=0.0, max_block=256, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype {self.dtype}: expected float32 or float64")
        lib = _core.f32 if self.dtype == np.float32 else _core.f64
        self._s = lib.Stream(Chain(chain).to_json(), int(n_samples), _dt(dt_ns), float(time_zero_ns),
                             int(max_block))
        self.n_samples = int(n_samples)

    latency = property(lambda self: self._s.latency, doc="traces held back")
    max_block = property(lambda self: self._s.max_block)
    output_samples = property(lambda self: self._s.output_samples)
    steps = property(lambda self: json.loads(self._s.steps)["steps"])

    def process(self, block, *, check_finite=True):
        """Run a block of traces through the chain; return the traces completed so far.

        Output traces come in input order, ``latency`` traces behind the
        input, so a call returns between 0 and ``k`` traces.

        Parameters
        ----------
        block : array_like, shape (n_samples, k) or (n_samples,)
            ``1 <= k <= max_block`` traces, of exactly the stream's dtype (no
            conversion); other layouts are converted to Fortran order once.
        check_finite : bool, default True
            Reject NaN/Inf with a ValueError naming the first sample and
            trace.

        Returns
        -------
        numpy.ndarray, shape (output_samples, k_out)
            ``0 <= k_out <= k`` completed traces, the stream's dtype, Fortran
            order; a new array, 2-D even for a single trace.

        Raises
        ------
        TypeError
            If the block's dtype is not the stream's.
        ValueError
            If the block is empty, holds NaN/Inf (with ``check_finite``), or
            does not have ``n_samples`` samples and at most ``max_block``
            traces.
        """
        a = np.asarray(block)
        if a.dtype != self.dtype:
            raise TypeError(f"block has dtype {a.dtype}; this stream takes {self.dtype}")
        _, x, _, _ = _prepare(a, None, check_finite)
        if x.shape[0] != self.n_samples or x.shape[1] > self.max_block:
            raise ValueError(f"block has shape {a.shape}; expected ({self.n_samples}, k <= {self.max_block})")
        out = np.empty((self.output_samples, x.shape[1]), self.dtype, order="F")
        k = self._s.process(x, out)
        return out[:, :k]

    def flush(self):
        """Return the held-back traces at the end of a profile and reset the stream.

        Call it once after the last :meth:`process` of a profile; the traces
        it returns follow those :meth:`process` returned.

        Returns
        -------
        numpy.ndarray, shape (output_samples, k_out)
            The ``k_out <= latency`` traces still held back (none when the
            chain holds nothing back), the stream's dtype, Fortran order.
            The stream is then ready for the next profile.
        """
        out = np.empty((self.output_samples, max(self.latency, 1)), self.dtype, order="F")
        k = self._s.flush(out)
        return out[:, :k]

    def reset(self):
        """Drop the held-back traces without output, ready for a new profile.

        For a profile abandoned part way; :meth:`flush` resets the stream
        itself.
        """
        self._s.reset()
