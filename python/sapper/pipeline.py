"""The detection chain end to end: a GPR lane and/or a magnetometer survey to scored alarms.

Stages (each a small function, so that a study can swap one)::

    GPR lane --preprocess_gpr--> clutter-free C-scan --prescreen_gpr--> alarms (2-D CFAR)
             --gpr_features--> feature rows --classifier--> class probabilities
             --merge_alarms--> one alarm per object                               = gpr_alarms()
    survey   --preprocess_mag--> readings --detect_mag--> picks + dipole fits
             --mag_features--> feature rows --classifier--> class probabilities   = mag_targets()
    both     --calibrate--> --sapper.classify.fuse--> --merge_alarms--> eval alarms
             --sapper.eval.score--> Pd / FAR                                      = run()

No threshold is tuned to a scene: the prescreener's score is a CFAR ratio (unitless), the
magnetometer picks are a k-sigma floor, and the classifier's probability is the confidence.
Data flow, formulas and measured Pd/FAR: ``docs/detect.md``.
"""
from __future__ import annotations

import functools
import math
import os
from typing import NamedTuple

import numpy as np

from . import _core, classify, mag
from . import eval as sev
from .detect import features as dfeat
from .detect import prescreen as dps

__all__ = ["CLASSES", "CALIBRATION_FEATURES", "GPR_DEEPER_GATES", "Result", "preprocess_gpr", "prescreen_gpr", "gpr_features",
           "context_features", "gpr_candidates", "gpr_alarms", "preprocess_mag", "detect_mag", "mag_target_features",
           "mag_targets", "classify_rows", "calibrate", "default_calibration", "merge_alarms", "merge_radius",
           "label_alarms", "run"]

#: Class labels, the column order of every ``proba`` here (as :data:`sapper.classify.CLASSES`).
CLASSES = tuple(classify.CLASSES)

# Prescreener and feature settings shared by the pipeline and the training script (tools/train_models.py):
# the shipped models are trained on exactly these features.
#: Start times (ns after time zero) of the prescreener's deeper gates, each ending where the first
#: does: an echo under a stronger shallower one (a mine under the rough ground's bounce residue, a
#: mortar under a root) gets an alarm, and features, at its own depth (docs/detect.md).
GPR_DEEPER_GATES = (0.9, 1.5)
GPR_ANTENNA_MHZ = 1500.0
"""Centre frequency of the antenna assumed where the lane's scene does not give one: the band-pass
is a third of it to 7/3 of it, and the model gets it as the feature ``acq_antenna_mhz``
(``GprChainOptions::antenna_mhz``)."""
GPR_PRESCREEN = dict(threshold=1.5, train_channels=1, separation_m=0.2, separation_channels=0, window=3)
GPR_FEATURES = dict(window=(64, 32), hog=False, ehd=True, hyperbola=True, energy=True, spectral=True)
MAG_PICK_K = 4.0
MAG_RELATIVE_RMS_CAP = 10.0


class Result(NamedTuple):
    """What :func:`run` returns."""

    alarms: dict        #: fused alarms (``x``, ``y``, ``confidence``, ``label``, ``proba``, ``gpr``, ``mag``)
    gpr: dict           #: :func:`gpr_alarms` output (or None)
    mag: dict           #: :func:`mag_targets` output (or None)
    score: object       #: :class:`sapper.eval.Score` (None without truth)


def _lane_arrays(lane):
    for k in ("data", "dt_ns", "time_zero_ns", "x", "y"):
        if not hasattr(lane, k):
            raise TypeError(f"lane must be a sapper.sim.gpr.GprLane (or have data, dt_ns, time_zero_ns, x, y); "
                            f"it has no {k!r}")
    d = np.asarray(lane.data)
    if d.dtype not in (np.float32, np.float64):
        if d.dtype.kind not in "iuf":
            raise ValueError(f"lane.data has dtype {d.dtype}; expected real numbers")
        d = d.astype(np.float64)
    d = d[:, :, None] if d.ndim == 2 else d
    if d.ndim != 3 or d.shape[0] < 8 or d.shape[1] < 8:
        raise ValueError(f"lane.data has shape {np.shape(lane.data)}; expected (n_samples >= 8, n_traces >= 8"
                         "[, n_channels])")
    x = np.asarray(lane.x, dtype=np.float64)
    y = np.atleast_1d(np.asarray(lane.y, dtype=np.float64))
    if x.shape != (d.shape[1],) or y.shape != (d.shape[2],):
        raise ValueError(f"lane.x {x.shape} / lane.y {y.shape} do not match data {d.shape} (traces, channels)")
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.all(np.diff(x) > 0)):
        raise ValueError("lane.x must be finite and increasing and lane.y finite")
    return d, float(lane.dt_ns), float(lane.time_zero_ns), x, y


def preprocess_gpr(data, dt_ns, x, *, background_m=1.0, band_mhz=(500.0, 3500.0), ground=True, search_ns=(0.8, 6.0)):
    """Noise and clutter removal per channel: band-pass, adaptive ground-bounce removal, and a
    moving-mean background over ``background_m`` along track.

    The band-pass cuts the white noise outside the antenna's band (most of a long gate's energy
    at 40 dB SNR); :func:`sapper.clutter.remove_ground` follows the bounce on rough ground; the
    moving mean takes out the coupling, its ringing and what is left of the bounce (what stays
    the same over a metre of lane), keeping hyperbolas up to about half that size. Computed by the
    C++ ``sapper::pipeline::preprocess_gpr`` (include/sapper/pipeline/gpr.hpp), the chain's first stage.

    Parameters
    ----------
    data : numpy.ndarray, shape (n_samples, n_traces, n_channels) or (n_samples, n_traces)
    dt_ns : float
        Sample interval, ns.
    x : numpy.ndarray, shape (n_traces,)
        Trace positions, m (increasing).
    background_m : float, default 1.0
        Length of the background window, m.
    band_mhz : (float, float) or None, default (500, 3500)
        Pass band of :func:`sapper.gpr.bandpass`, MHz (for a 1.5 GHz antenna); None: skipped.
    ground : bool, default True
        Track and remove the ground bounce (:func:`sapper.clutter.track_ground`,
        :func:`sapper.clutter.remove_ground`).
    search_ns : (float, float), default (0.8, 6.0)
        Where the bounce is searched, ns after sample 0 (after the antenna's direct coupling).

    Returns
    -------
    numpy.ndarray
        The same shape, Fortran order (each channel a B-scan).

    Raises
    ------
    ValueError
        NaN/Inf data (naming channel, sample and trace), a window shorter than 3 traces, x not
        increasing, a band outside [0, Nyquist].
    """
    d = _c_scan(data)
    out = _lib(d).preprocess(d, float(dt_ns), np.ascontiguousarray(x, dtype=np.float64),
                             _preprocess_options(background_m, band_mhz, ground, search_ns))
    return out[:, :, 0] if np.ndim(data) == 2 else out


def _c_scan(data):
    """data as a Fortran-ordered float32/float64 (n_samples, n_traces, n_channels) array."""
    d = np.asarray(data)
    if d.dtype not in (np.float32, np.float64):
        if d.dtype.kind not in "iuf":
            raise ValueError(f"data has dtype {d.dtype}; expected real numbers")
        d = d.astype(np.float64)
    d = d[:, :, None] if d.ndim == 2 else d
    if d.ndim != 3 or d.size == 0:
        raise ValueError(f"data has shape {np.shape(data)}; expected a non-empty (n_samples, n_traces[, n_channels])")
    return np.asfortranarray(d)


def _lib(d):
    return _core.pipeline.f32 if d.dtype == np.float32 else _core.pipeline.f64


def _preprocess_options(background_m, band_mhz, ground, search_ns):
    o = {"background_m": float(background_m), "bandpass": band_mhz is not None, "ground": bool(ground),
         "search_start_ns": float(search_ns[0]), "search_end_ns": float(search_ns[1])}
    if band_mhz is not None:
        o["band_low_mhz"], o["band_high_mhz"] = float(band_mhz[0]), float(band_mhz[1])
    return o


def _prescreen_options(n_traces, x, gate_ns, statistic, options):
    """The chain's prescreener options: GPR_PRESCREEN overridden by ``options`` (validated as
    :func:`prescreen_gpr`'s; ``separation_m`` converted to traces by the chain)."""
    if statistic not in ("energy", "lms"):
        raise ValueError(f"statistic = {statistic!r} must be 'energy' or 'lms'")
    kw = {**GPR_PRESCREEN, **options}
    lms = {k: kw.pop(k) for k in ("traces", "gap", "depth", "channels", "step") if k in kw} if statistic == "lms" else {}
    o = dps._cfar_opts(n_traces, x, **kw)
    if statistic == "lms":
        o.update(dps._lms_opts(**{"traces": 4, "gap": 4, "depth": 1, "channels": 0, "step": 0.05, **lms}))
    sep_m = kw.get("separation_m")
    o["separation_m"] = float(sep_m) if sep_m is not None and kw.get("trace_spacing_m") is None else math.nan
    o.update(statistic=statistic, gate_start_ns=float(gate_ns[0]), gate_end_ns=float(gate_ns[1]))
    return o


def _lane_chain(lane, model, *, background_m, gate_ns, deeper_gates_ns, statistic, threads, merge=True,
                antenna=None, **prescreen_options):
    """The C++ chain of a lane (antenna frequency, height and offset from ``antenna``, else from
    ``lane.scene`` when it has them) and its data."""
    d, dt, tz, x, y = _lane_arrays(lane)
    scene = getattr(lane, "scene", None)
    ant = dict(scene.get("antenna", {}) if isinstance(scene, dict) else {})
    if antenna is not None:
        unknown = set(antenna) - {"frequency_mhz", "height_m", "offset_m"}
        if unknown:
            raise TypeError(f"antenna has {sorted(unknown)}; expected frequency_mhz, height_m, offset_m")
        ant.update(antenna)
    o = {"background_m": float(background_m),   # ground search and working grid: the chain's defaults
         **_prescreen_options(d.shape[1], x, gate_ns, statistic, prescreen_options),
         "antenna_mhz": float(ant.get("frequency_mhz", GPR_ANTENNA_MHZ)),
         "antenna_height_m": float(ant.get("height_m", 0.0)), "offset_m": float(ant.get("offset_m", 0.0)),
         "merge": bool(merge), "threads": int(threads),
         "deeper_gates_ns": [float(t) for t in (deeper_gates_ns or ())]}
    d = np.asfortranarray(d)
    return _lib(d).GprChain(model, d.shape[0], dt, tz, x, y, o), d


def _prescreen_of(c):
    """A :class:`~sapper.detect.prescreen.Prescreen` of the chain's candidates."""
    tr, ch, sm, t, x, y, s = c.alarms
    a = np.empty(len(tr), dps.ALARM_DTYPE)
    a["trace"], a["channel"], a["sample"], a["time_ns"], a["x"], a["y"], a["confidence"] = tr, ch, sm, t, x, y, s
    return dps.Prescreen(a, c.statistic, c.score, c.sample)


def prescreen_gpr(data, dt_ns, time_zero_ns, x, y, *, gate_ns=(0.6, 8.0), statistic="energy", **options):
    """Prescreener: depth-gated energy (or LMS) with 2-D CFAR over channels.

    Parameters
    ----------
    data : numpy.ndarray, shape (n_samples, n_traces, n_channels)
        Preprocessed C-scan.
    dt_ns, time_zero_ns : float
    x, y : numpy.ndarray
        Trace positions (m, along track) and channel positions (m, across).
    gate_ns : (float, float), default (0.6, 8.0)
        Time gate after time zero, ns (from just below the ground bounce of an antenna 7 cm up to
        about 35 cm deep in eps 12 soil).
    statistic : {"energy", "lms"}
    **options
        Override :data:`GPR_PRESCREEN` (see :mod:`sapper.detect.prescreen`).

    Returns
    -------
    sapper.detect.prescreen.Prescreen
    """
    fn = {"energy": dps.energy, "lms": dps.lms}.get(statistic)
    if fn is None:
        raise ValueError(f"statistic = {statistic!r} must be 'energy' or 'lms'")
    kw = {**GPR_PRESCREEN, **options}
    if statistic == "lms" and data.shape[2] == 1:
        kw["train_channels"] = 0
    kw["train_channels"] = min(kw["train_channels"], data.shape[2] - 1)
    return fn(data, dt_ns, time_zero_ns=time_zero_ns, gate_ns=gate_ns, x=x, y=y, **kw)


def gpr_features(data, prescreen, dt_ns, time_zero_ns, x, *, antenna_height_m=0.0, offset_m=0.0,
                 antenna_mhz=GPR_ANTENNA_MHZ, threads=0):
    """Feature rows of the prescreener's alarms.

    :func:`sapper.detect.alarm_features` of each alarm's channel (:data:`GPR_FEATURES`: EHD,
    hyperbola, energy, spectral; HOG is left out, 756 columns the forest did not need), then
    the prescreener's view: ``ps_score`` (CFAR score), ``ps_log_score``, ``ps_time_ns``,
    ``ps_length_traces`` and ``ps_width_channels`` (extent where the score stays above half
    the alarm's: AT mines are wide, stones and fragments small), and ``ps_signed_peak`` (the
    sample at the alarm over the channel's rms: its sign against the negative air-soil bounce
    tells denser from lighter objects). The hyperbola fit takes the ground's sign as -1 (soil
    is always denser than air) and the antenna geometry given. Last, :func:`context_features`
    (waveform, neighbouring channels and traces, ranks in the lane), and the instrument:
    ``acq_antenna_mhz`` and ``acq_antenna_height_m`` (the same on every row). ``data`` is taken on
    its own grid (no resampling: see :func:`gpr_alarms`). Computed by the C++ chain
    (``sapper::pipeline::GprChain::features``, include/sapper/pipeline/gpr.hpp) on ``threads``
    threads (0 = all cores; the result does not depend on it).

    Returns
    -------
    (numpy.ndarray, list of str, numpy.ndarray)
        ``(n_alarms, n_features)`` float64 (non-finite entries set to 0), names, ``ok`` (False
        where the feature window did not fit: those rows are zeros).
    """
    d = _c_scan(data)
    a = prescreen.alarms
    o = {"antenna_height_m": math.nan if antenna_height_m is None else float(antenna_height_m),
         "offset_m": float(offset_m), "antenna_mhz": float(antenna_mhz), "threads": int(threads),
         "gate_start_ns": -float(time_zero_ns), "gate_end_ns": math.inf,   # any gate: the chain prescreens nothing here
         "deeper_gates_ns": [], "grid_dt_ns": 0.0, "grid_spacing_m": 0.0}
    chain = _lib(d).GprChain(None, d.shape[0], float(dt_ns), float(time_zero_ns), np.asarray(x, dtype=np.float64),
                             np.zeros(d.shape[2]), o)
    c = chain.features(d, a["trace"], a["channel"], a["sample"], a["time_ns"], a["x"], a["y"], a["confidence"],
                       np.asarray(prescreen.score, dtype=np.float64).reshape(len(x), -1))
    return c.features, list(chain.feature_names), c.ok


def context_features(data, prescreen, *, half=32, step=4, search=16, local_m=0.3, threads=0):
    """What one channel's window does not show: the echo's waveform, its neighbours across and along
    track, and how the alarm ranks among the lane's.

    Per alarm (trace ``t``, channel ``c``, sample ``s``), on the mean of traces ``t-1..t+1``, the
    strongest sample within ``search`` samples of ``s`` (``s0``) is the echo's peak:

    - ``wf_0..wf_{3 half / step - 1}``: the waveform from ``s0 - half`` to ``s0 + 2 half`` over
      ``|peak|``, averaged over ``step`` samples (signed: a plastic mine's top echo has the opposite
      sign to a metal or denser object's, and its bottom echo follows with the other sign);
      ``wf_sign``, ``wf_amp_db`` (the peak over the channel's median ``|sample|``);
    - ``nb_max``, ``nb_min``: the neighbouring channels' peak near ``s0`` over this one's,
      ``nb_corr``: the best correlation of their waveform with this one (the object's size across);
    - ``along_3``, ``along_6``: the same peak 3 and 6 traces along track over this one (the
      hyperbola's spread; a root is long, a mine's echo falls off);
    - ``lane_score_pct``, ``lane_amp_pct``: the alarm's CFAR score and peak as percentiles among the
      lane's alarms (soils differ in loss and clutter; the rank does not);
    - ``local_n``, ``local_rel``: other alarms within ``local_m`` and the CFAR score over the
      strongest of them.

    Computed by the C++ ``sapper::detect::context_features`` (include/sapper/detect/context.hpp:
    float32 data are read as float64; percentile ties rank in alarm order) on ``threads`` threads
    (0 = all cores; the result does not depend on it).

    Returns
    -------
    (numpy.ndarray, list of str)
        ``(n_alarms, n_features)`` float64 and the names.

    Raises
    ------
    ValueError
        NaN/Inf data, an alarm outside the data, or ``step`` not dividing ``3 half``.
    """
    d = np.asarray(data)
    if d.dtype not in (np.float32, np.float64):
        d = d.astype(np.float64)
    d = np.asfortranarray(d[:, :, None] if d.ndim == 2 else d)
    a = prescreen.alarms
    lib = _core.detect_context.f32 if d.dtype == np.float32 else _core.detect_context.f64
    opt = (int(half), int(step), int(search), float(local_m))
    X = lib.context_features(d, a["trace"], a["channel"], a["sample"], a["time_ns"], a["x"], a["y"], a["confidence"],
                             *opt, int(threads))
    return X, list(_core.detect_context.names(*opt))


def classify_rows(model, X, names):
    """Class probabilities of feature rows, in :data:`CLASSES` order.

    The model's ``feature_names_`` pick and order the columns, so a model trained on a subset of
    the features works unchanged.

    Raises
    ------
    ValueError
        A feature the model needs is missing, or the model's classes are not :data:`CLASSES` or a
        subset of them (a class the model lacks gets probability 0).
    """
    need = model.feature_names_
    idx = {n: i for i, n in enumerate(names)}
    missing = [n for n in need if n not in idx]
    if missing:
        raise ValueError(f"the model needs features {missing[:5]} that the pipeline did not compute")
    cls = [str(c) for c in model.classes_]
    if len(cls) < 2 or not set(cls) <= set(CLASSES) or len(set(cls)) != len(cls):
        raise ValueError(f"the model's classes {cls} are not {list(CLASSES)} (or a subset)")
    out = np.zeros((len(X), len(CLASSES)))
    if len(X):
        # a class the model never saw (no AP mine among the magnetometer's training picks) gets 0
        p = model.predict_proba(np.ascontiguousarray(X[:, [idx[n] for n in need]]))
        out[:, [CLASSES.index(c) for c in cls]] = p
    return out


#: Columns of a calibration model (:func:`calibrate`): the log of each class probability.
CALIBRATION_FEATURES = [f"log_p_{c}" for c in CLASSES]
_LOG_FLOOR = 1e-3


def calibrate(proba, calibration):
    """Calibrated class probabilities: a multinomial logistic regression on the log of a classifier's.

    A forest's probabilities rank alarms well but are over-confident on lanes it has not seen, and
    the naive-Bayes rule of :func:`sapper.classify.fuse` multiplies them as likelihoods; the
    calibration, trained on out-of-fold probabilities of the training lanes
    (``tools/train_models.py``), maps them to ones that hold on unseen lanes.

    Parameters
    ----------
    proba : array_like, shape (n, 4)
        Probabilities in :data:`CLASSES` order.
    calibration : classifier or None
        A :mod:`sapper.classify` model over :data:`CALIBRATION_FEATURES` (``log(max(p, 1e-3))``);
        None: ``proba`` unchanged.

    Returns
    -------
    numpy.ndarray, shape (n, 4)
    """
    p = np.asarray(proba, dtype=np.float64).reshape(-1, len(CLASSES))
    if calibration is None:
        return p
    return classify_rows(calibration, np.log(np.maximum(p, _LOG_FLOOR)), CALIBRATION_FEATURES)


@functools.lru_cache(maxsize=None)
def default_calibration(sensor="gpr"):
    """The shipped calibration of a sensor's default classifier (``{sensor}_calibration.json`` next to
    the models), or None where none ships.

    Raises
    ------
    ValueError
        An unknown sensor.
    """
    if sensor not in ("gpr", "mag"):
        raise ValueError(f"sensor = {sensor!r} must be 'gpr' or 'mag'")
    path = os.path.join(classify.MODEL_DIR, f"{sensor}_calibration.json")
    return classify.load(path) if os.path.isfile(path) else None


def merge_alarms(x, y, confidence, radius_m=0.25):
    """Greedy non-maximum suppression on the classifier's confidence.

    Alarms are taken in decreasing confidence (ties: input order); one within the radius of an
    alarm already kept (that alarm's radius) is dropped. The prescreener keeps every channel's
    peaks (so that a mine beside a stronger echo is not suppressed before it is classified);
    this merges the neighbours that describe one object. Computed by the C++
    ``sapper::detect::merge_alarms`` (include/sapper/detect/context.hpp).

    Parameters
    ----------
    x, y, confidence : array_like, shape (n,)
    radius_m : float or array_like of shape (n,), default 0.25
        Merge radius, m; per alarm, e.g. :func:`merge_radius`.

    Returns
    -------
    numpy.ndarray of int
        Indices of the kept alarms, in input order.
    """
    x, y, c = (np.asarray(v, dtype=np.float64).ravel() for v in (x, y, confidence))
    r = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), x.shape)
    if not (x.shape == y.shape == c.shape) or not np.all(r >= 0):
        raise ValueError("x, y, confidence must have one shape and radius_m be >= 0")
    return _core.detect_context.merge_alarms(x, y, c, np.ascontiguousarray(r))


def merge_radius(proba, ap_m=0.25, large_m=0.5):
    """Merge radius of each alarm from its most probable target class: ``large_m`` for AT mines
    and UXO, ``ap_m`` otherwise (the halos of :mod:`sapper.eval`)."""
    p = np.asarray(proba, dtype=np.float64).reshape(-1, len(CLASSES)).copy()
    p[:, CLASSES.index("clutter")] = -1.0
    big = np.isin(p.argmax(axis=1), [CLASSES.index("at_mine"), CLASSES.index("uxo")])
    return np.where(big, large_m, ap_m)


def gpr_candidates(lane, *, background_m=1.0, gate_ns=(0.6, 8.0), deeper_gates_ns=GPR_DEEPER_GATES,
                   statistic="energy", antenna=None, threads=0, **prescreen_options):
    """The GPR stages before the classifier: :func:`preprocess_gpr`, :func:`prescreen_gpr` once per
    gate (``gate_ns``, then from each of ``deeper_gates_ns`` to ``gate_ns[1]``), :func:`gpr_features`
    of each gate's alarms (``antenna`` as in :func:`gpr_alarms`), on the chain's working grid (see
    :func:`gpr_alarms`), run by the C++ chain (``sapper::pipeline::GprChain::candidates``) without
    returning to Python. Trace and sample indices of the alarms are the grid's.

    Returns
    -------
    (Prescreen, numpy.ndarray, list of str, numpy.ndarray)
        The prescreener's result (the alarms of every gate, in gate order; the first gate's
        per-trace rows) and the feature rows, names and ``ok`` of its alarms.
    """
    chain, d = _lane_chain(lane, None, background_m=background_m, gate_ns=gate_ns, deeper_gates_ns=deeper_gates_ns,
                           statistic=statistic, threads=threads, antenna=antenna, **prescreen_options)
    c = chain.candidates(d)
    return _prescreen_of(c), c.features, list(chain.feature_names), c.ok


def gpr_alarms(lane, model=None, *, background_m=1.0, gate_ns=(0.6, 8.0), deeper_gates_ns=GPR_DEEPER_GATES,
               statistic="energy", merge=True, antenna=None, threads=0, **prescreen_options):
    """GPR branch: preprocessing, prescreener, features and classifier of a lane.

    Run by the C++ chain (``sapper::pipeline::GprChain``, include/sapper/pipeline/gpr.hpp) end to
    end for a :mod:`sapper.classify` model; any other model with ``predict_proba``,
    ``classes_`` and ``feature_names_`` classifies the chain's candidates through
    :func:`classify_rows`, then the chain labels and merges them.

    The lane is first brought to the chain's working grid, 512 samples per 12 ns and traces 2 cm
    apart (band-limited resampling in time, stacking or interpolation along track), where the
    recording is elsewhere; the alarms' positions and times are the lane's.

    Parameters
    ----------
    lane : sapper.sim.gpr.GprLane or similar
        Needs ``data`` ((n_samples, n_traces) or (n_samples, n_traces, n_channels)), ``dt_ns``,
        ``time_zero_ns``, ``x`` (m, increasing) and ``y`` (m per channel).
    model : classifier, str or None
        A fitted :mod:`sapper.classify` model, a model file, or None for the shipped GPR model
        (:func:`sapper.classify.default_model`).
    background_m, gate_ns, statistic, **prescreen_options
        See :func:`preprocess_gpr` and :func:`prescreen_gpr`.
    deeper_gates_ns : sequence of float, default :data:`GPR_DEEPER_GATES`
        Start times of the deeper gates (see :func:`gpr_candidates`); () for one gate.
    merge : bool, default True
        :func:`merge_alarms` with :func:`merge_radius` (False: keep every prescreener alarm).
    antenna : dict, optional
        The instrument: ``frequency_mhz`` (centre frequency: the band-pass and the feature
        ``acq_antenna_mhz``), ``height_m`` and ``offset_m`` (the hyperbola fit and
        ``acq_antenna_height_m``); default ``lane.scene["antenna"]``, else 1500 MHz, 0 m, 0 m.
        Give them for a recorded file: the shipped model learned antennas of 0.8-2.6 GHz at 4-10 cm.
    threads : int, default 0

    Returns
    -------
    dict
        ``x``, ``y`` (m), ``depth`` (m: the hyperbola fit's, NaN where it failed), ``time_ns``,
        ``score`` (CFAR), ``proba`` (n, 4) in ``classes`` order, ``confidence`` = 1 - P(clutter),
        ``label``, ``classes``, ``features``, ``feature_names``, ``gate`` (of each alarm), ``prescreen`` (the
        :class:`~sapper.detect.prescreen.Prescreen`).

    Raises
    ------
    TypeError, ValueError
        A lane without those attributes, mismatched shapes, NaN/Inf data, bad options.
    """
    model = _model(model, "gpr")
    core = getattr(model, "_model", None)
    core = core if isinstance(core, _core.classify.Model) else None   # else: classify_rows, then the chain
    chain, d = _lane_chain(lane, core, background_m=background_m, gate_ns=gate_ns, deeper_gates_ns=deeper_gates_ns,
                           statistic=statistic, threads=threads, merge=merge, antenna=antenna, **prescreen_options)
    names = list(chain.feature_names)
    if core is not None:
        c, _, r = chain.alarms(d)
    else:
        c = chain.candidates(d)
        r = chain.detections(c, classify_rows(model, c.features, names))
    k, X = r["candidate"], c.features
    return {"x": r["x"], "y": r["y"], "proba": r["proba"], "confidence": r["confidence"],
            "label": np.array(r["label"], dtype=object), "classes": list(CLASSES), "depth": r["depth"],
            "time_ns": r["time_ns"], "score": r["score"], "features": X[k], "feature_names": names,
            "ok": c.ok[k], "gate": c.gate[k], "prescreen": _prescreen_of(c)}


def _model(model, sensor):
    if model is None:
        return classify.default_model(sensor)
    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        return classify.load(model)
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"model must be a sapper.classify model, a model file or None, not {type(model).__name__}")
    return model


def _out(x, y, p, **extra):
    """Alarm columns; the label agrees with the confidence as in :func:`sapper.classify.fuse`:
    clutter when ``P(clutter) >= 0.5``, else the most probable threat class."""
    p = np.asarray(p, dtype=np.float64).reshape(len(x), len(CLASSES))
    kc = CLASSES.index("clutter")
    threat = np.where(np.arange(len(CLASSES)) == kc, -np.inf, p).argmax(axis=1)
    lab = np.array([CLASSES[k] for k in np.where(p[:, kc] >= 0.5, kc, threat)], dtype=object)
    return {"x": np.asarray(x, dtype=np.float64), "y": np.asarray(y, dtype=np.float64), "proba": p,
            "confidence": 1.0 - p[:, CLASSES.index("clutter")], "label": lab, "classes": list(CLASSES), **extra}


def preprocess_mag(survey):
    """Line preprocessing of a simulated survey (:func:`sapper.mag.preprocess` with its base station;
    the lag from dipole fits with the scene's Earth field and sensor height, else from profiles).

    Returns
    -------
    dict
        The readings (``x_m``, ``y_m``, ``value_nt`` anomaly, ...).
    """
    ef, sv = survey.scene["earth_field"], survey.scene["survey"]
    r, _ = mag.preprocess(mag.readings_from_survey(survey), base=survey.base_station, lag="dipoles",
                          field=(ef["total_nt"], ef["inclination_deg"], ef["declination_deg"]),
                          sensor_height_m=sv["sensor_height_m"])
    return r


def detect_mag(readings, field, height_m, *, spacing_m=0.1, k=MAG_PICK_K, radius_m=1.0):
    """Grid, pick targets on the reduced-to-pole analytic signal and fit a dipole at each.

    Parameters
    ----------
    readings : dict
        Preprocessed readings (``x_m``, ``y_m``, ``value_nt``).
    field : (float, float, float)
        Earth field (total nT, inclination, declination in degrees).
    height_m : float
        Sensor height above ground, m.
    spacing_m : float, default 0.1
        Grid cell, m.
    k : float, default MAG_PICK_K
        Pick floor in robust sigmas of the gradient (:func:`sapper.mag.pick_targets`).
    radius_m : float, default 1.0
        Readings within this of a pick go into its dipole fit.

    Returns
    -------
    (dict, list)
        The picks (``x``, ``y``, ``amplitude``, ...) and one :class:`sapper.mag.DipoleFit` per pick
        (None where fewer than 20 readings were near it).
    """
    x, y, v = (np.asarray(readings[c], dtype=np.float64) for c in ("x_m", "y_m", "value_nt"))
    ok = np.isfinite(v)
    x, y, v = x[ok], y[ok], v[ok]
    g = mag.grid(x, y, v, spacing_m)
    picks = mag.pick_targets(g, k=k, inclination=field[1], declination=field[2])
    z = np.full(len(x), float(height_m))
    fits = []
    for px, py in zip(picks["x"], picks["y"]):
        idx = mag.select_window(x, y, (px, py), radius_m)
        fits.append(mag.fit_dipole(x[idx], y[idx], z[idx], v[idx], field, start=(px, py)) if len(idx) >= 20 else None)
    return picks, fits


def mag_target_features(picks, fits):
    """Feature rows of magnetometer picks: :func:`sapper.detect.mag_features` of each dipole fit plus
    ``pick_log_amplitude`` (log10 of the analytic-signal peak, nT/m) and ``pick_width_m``;
    ``mag_relative_rms`` is capped at ``MAG_RELATIVE_RMS_CAP`` (10: a fit with no moment left).

    Returns
    -------
    (numpy.ndarray, list of str, numpy.ndarray)
        Rows (zeros where there is no fit), names, ``ok`` (a fit exists).
    """
    names = dfeat.mag_feature_names() + ["pick_log_amplitude", "pick_width_m"]
    X = np.zeros((len(fits), len(names)))
    ok = np.array([f is not None for f in fits], dtype=bool)
    if ok.any():
        X[ok, :-2] = dfeat.mag_features([f for f in fits if f is not None])[0]
        # a fit that collapsed to no moment has rms / amplitude ~1e16, a value left to rounding: 10
        # already says "no dipole here"
        r = names.index("mag_relative_rms")
        X[:, r] = np.minimum(X[:, r], MAG_RELATIVE_RMS_CAP)
    X[:, -2] = np.log10(np.maximum(np.asarray(picks["amplitude"], dtype=np.float64), 1e-12))
    X[:, -1] = picks["width"]
    X[~np.isfinite(X)] = 0.0
    return X, names, ok


def mag_targets(survey, model=None, *, spacing_m=0.1, k=MAG_PICK_K):
    """Magnetometer branch: preprocessing, gridding, picks, dipole fits, features and classifier.

    Parameters
    ----------
    survey : sapper.sim.mag.Survey
        A simulated survey (its scene gives the Earth field and sensor height).
    model : classifier, str or None
        As in :func:`gpr_alarms`; None: the shipped magnetometer model.
    spacing_m, k
        See :func:`detect_mag`.

    Returns
    -------
    dict
        ``x``, ``y`` (m; the dipole fit's where it converged, else the pick's), ``depth`` (m, the
        fit's), ``moment_am2``, ``amplitude`` (nT/m), ``proba``, ``confidence``, ``label``,
        ``classes``, ``features``, ``feature_names``.

    Raises
    ------
    TypeError
        Not a simulated survey.
    """
    if not hasattr(survey, "scene") or not hasattr(survey, "base_station"):
        raise TypeError(f"survey must be a sapper.sim.mag.Survey, not {type(survey).__name__}")
    model = _model(model, "mag")
    ef, sv = survey.scene["earth_field"], survey.scene["survey"]
    field = (ef["total_nt"], ef["inclination_deg"], ef["declination_deg"])
    picks, fits = detect_mag(preprocess_mag(survey), field, sv["sensor_height_m"], spacing_m=spacing_m, k=k)
    X, names, ok = mag_target_features(picks, fits)
    p = classify_rows(model, X, names)
    near = [f is not None and f.converged and np.hypot(f.x - px, f.y - py) < 0.3
            for f, px, py in zip(fits, picks["x"], picks["y"])]
    x = np.array([f.x if n else px for f, n, px in zip(fits, near, picks["x"])])
    y = np.array([f.y if n else py for f, n, py in zip(fits, near, picks["y"])])
    depth = np.array([f.depth if f is not None else np.nan for f in fits])
    moment = np.array([f.moment_am2 if f is not None else np.nan for f in fits])
    return _out(x, y, p, depth=depth, moment_am2=moment, amplitude=np.asarray(picks["amplitude"]),
                features=X, feature_names=names, ok=ok)


def label_alarms(x, y, truth):
    """Truth label of each alarm by the halo rule of :mod:`sapper.eval` (for training).

    The nearest target (AP mine: 0.25 m halo; AT mine, UXO: 0.5 m) whose halo holds the alarm
    gives its label; otherwise ``"clutter"``.

    Returns
    -------
    (numpy.ndarray of object, numpy.ndarray of int)
        Labels and the truth index of the target (-1 for clutter).
    """
    objs = [o for o in truth["objects"] if o["label"] != "clutter"]
    lab = np.full(len(x), "clutter", dtype=object)
    idx = np.full(len(x), -1)
    if not objs or len(x) == 0:
        return lab, idx
    ox = np.array([o["x"] for o in objs])
    oy = np.array([o["y"] for o in objs])
    halo = np.array([0.25 if o["label"] == "ap_mine" else 0.5 for o in objs])
    d = np.hypot(np.asarray(x)[:, None] - ox, np.asarray(y)[:, None] - oy)
    d[d > halo] = np.inf
    best = d.argmin(axis=1)
    hit = np.isfinite(d[np.arange(len(x)), best])
    lab[hit] = [objs[k]["label"] for k in best[hit]]
    idx[hit] = [objs[k]["id"] for k in best[hit]]
    return lab, idx


def run(lane=None, survey=None, *, gpr_model=None, mag_model=None, truth=None, fusion=None, gpr_options=None,
        mag_options=None, score_options=None):
    """The whole chain: GPR alarms, magnetometer targets, fusion, and the score against the truth.

    Parameters
    ----------
    lane : sapper.sim.gpr.GprLane, optional
    survey : sapper.sim.mag.Survey, optional
        At least one of the two. A survey over the lane: :func:`sapper.sim.mag.scene_over_lane`.
    gpr_model, mag_model : classifier, str or None
        None: the shipped models.
    truth : dict, optional
        Default: the lane's truth (else the survey's).
    fusion : dict, optional
        Keyword arguments of :func:`sapper.classify.fuse`; default the shipped
        (:func:`sapper.classify.default_fusion`: per-sensor Pd by class, halo).
    gpr_options, mag_options, score_options : dict, optional
        Keyword arguments of :func:`gpr_alarms`, :func:`mag_targets`, :func:`sapper.eval.score`.

    Each shipped model's probabilities go through its shipped calibration
    (:func:`default_calibration`, :func:`calibrate`) before the fusion; a model given here is used
    as it is.

    Returns
    -------
    Result
        Fused alarms (after :func:`merge_alarms` with :func:`merge_radius`: one per object), each
        sensor's (uncalibrated), and the :class:`sapper.eval.Score` (None without truth).

    Raises
    ------
    ValueError
        Neither a lane nor a survey.
    """
    if lane is None and survey is None:
        raise ValueError("run needs a GPR lane, a magnetometer survey, or both")
    g = gpr_alarms(lane, gpr_model, **(gpr_options or {})) if lane is not None else None
    m = mag_targets(survey, mag_model, **(mag_options or {})) if survey is not None else None
    fo = classify.default_fusion() if fusion is None else dict(fusion)
    if g is None:
        fo.pop("gpr_pd", None)
    if m is None:
        fo.pop("mag_pd", None)
    fo.setdefault("classes", CLASSES)
    # the shipped models' probabilities are calibrated before the naive-Bayes product (see calibrate)
    cg = default_calibration("gpr") if g is not None and gpr_model is None else None
    cm = default_calibration("mag") if m is not None and mag_model is None else None
    fused = classify.fuse(None if g is None else {**g, "proba": calibrate(g["proba"], cg)},
                          None if m is None else {**m, "proba": calibrate(m["proba"], cm)}, **fo)
    k = merge_alarms(fused["x"], fused["y"], fused["confidence"], merge_radius(fused["proba"]))
    fused = {key: (v[k] if isinstance(v, np.ndarray) and len(v) == len(fused["x"]) else v) for key, v in fused.items()}
    if truth is None:
        truth = lane.truth if lane is not None else survey.truth
    s = sev.score(fused, truth, **(score_options or {})) if truth is not None else None
    return Result(fused, g, m, s)
