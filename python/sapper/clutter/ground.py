"""Ground bounce: track the air-ground reflection trace by trace, flatten to it,
and remove it adaptively.

On rough ground the bounce moves by fractions of a sample to several samples
from trace to trace, so subtracting a mean trace leaves most of it behind.
:func:`track_ground` picks it with sub-sample precision, :func:`flatten` aligns
every trace on it, and :func:`remove_ground` subtracts a template scaled and
shifted per trace by least squares, put back at each trace's own bounce.
Formulas: ``docs/clutter.md``, "Ground bounce".
"""
from __future__ import annotations

import math

import numpy as np

from .. import _core
from ..gpr import _dt, _finish, _prepare

__all__ = ["track_ground", "flatten", "remove_ground", "suppress_ground", "GroundSuppressStream",
           "suppress_ground_causal"]


def _lib(x):
    return _core.clutter_ground.f32 if x.dtype == np.float32 else _core.clutter_ground.f64


def _picks(ground_ns, n_traces):
    g = np.ascontiguousarray(np.asarray(ground_ns, dtype=np.float64))
    if g.shape != (n_traces,):
        raise ValueError(f"ground_ns has shape {g.shape}; expected ({n_traces},), one pick per trace")
    if not np.isfinite(g).all():
        raise ValueError(f"ground_ns[{int(np.argmin(np.isfinite(g)))}] is not finite")
    return g


def _rank(ringing_rank):
    if ringing_rank is None:
        return 0
    if int(ringing_rank) < 1:
        raise ValueError(f"ringing_rank = {ringing_rank} must be >= 1 (None: automatic)")
    return int(ringing_rank)


def track_ground(data, dt_ns, *, search_ns=None, outlier_window=15, outlier_mads=4.0, smooth_traces=1,
                 refine_iterations=2, gate_ns=0.0, threads=0, check_finite=True):
    """Ground-bounce time of every trace, ns after sample 0 (sub-sample).

    The peak of ``|x|`` in the search window (3-point parabolic refinement);
    picks farther than ``outlier_mads`` robust deviations (1.4826 MAD) from
    the running median of ``outlier_window`` picks are replaced by that median;
    then ``refine_iterations`` times: flatten to the median pick, take the
    median bounce, and move each pick to the peak of its cross-correlation with
    it (within a quarter period, parabolic refinement).

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
        B-scan, float32 or float64.
    dt_ns : float
        Sample interval, ns.
    search_ns : (float, float), optional
        Window searched for the bounce, ns after sample 0. Start it after the
        antenna's direct coupling when that is stronger than the ground.
        Default: the whole trace.
    outlier_window : int, default 15
        Traces in the running median of the outlier test (0: no test).
    outlier_mads : float, default 4.0
        Threshold of the outlier test, in robust deviations (0: no test).
    smooth_traces : int, default 1
        Centred running mean of the picks over this many traces (1: none).
    refine_iterations : int, default 2
        Cross-correlation refinements (0..20).
    gate_ns : float, default 0.0
        Half-width of the correlation gate around the bounce; 0: 1.5 periods
        of the median bounce.
    threads : int, default 0
        Number of threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf in ``data``.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(n_traces,)``, ns after sample 0.
    """
    lib, x, _, one = _prepare(data, None, check_finite)
    if one:
        raise ValueError("track_ground needs a B-scan (n_samples, n_traces)")
    s0, s1 = (0.0, 0.0) if search_ns is None else (float(search_ns[0]), float(search_ns[1]))
    return _lib(x).track_ground(x, _dt(dt_ns), s0, s1, int(outlier_window), float(outlier_mads), int(smooth_traces),
                                int(refine_iterations), float(gate_ns), int(threads))


def flatten(data, dt_ns, ground_ns, *, reference_ns=None, out=None, threads=0, check_finite=True):
    """Shift every trace so that its ground bounce lands on ``reference_ns``.

    Trace ``j`` moves later by ``reference_ns - ground_ns[j]`` (16-tap
    Lanczos interpolation, as :func:`sapper.gpr.shift_traces`).

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
    dt_ns : float
    ground_ns : array_like, shape (n_traces,)
        Bounce time of each trace, ns after sample 0 (e.g. :func:`track_ground`).
    reference_ns : float, optional
        Where the bounces go; default the median of ``ground_ns``.
    out, threads, check_finite
        As in :mod:`sapper.gpr`.

    Returns
    -------
    (numpy.ndarray, float)
        The flattened B-scan and the reference used, ns.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    g = _picks(ground_ns, x.shape[1])
    ref = math.nan if reference_ns is None else float(reference_ns)
    r = _lib(x).flatten(x, y, _dt(dt_ns), g, ref, int(threads))
    return _finish(y, one), r


def remove_ground(data, dt_ns, ground_ns, *, gate_ns=None, template_traces=0, fit_shift=True, remove_ringing=True,
                  ringing_rank=None, ringing_max_rank=3, iterations=4, out=None, threads=0, check_finite=True):
    """Adaptive ground-bounce removal.

    Flattened to the picks, trace ``j`` is ``y_j(t)``; the template ``g(t)``
    is the median of the flattened traces (all, or ``template_traces``
    centred on ``j``) inside the gate ``[r - before, r + after]`` around the
    reference ``r``, tapered by a Tukey window ``w`` (cosine ramps over a
    quarter of the gate). Weighted least squares over the gate gives
    ``y_j ~ a g + b g'`` (``g' = dg/dt``: a residual shift of ``-b/a``); the
    model ``w (a g + b g')`` is shifted back to the trace's own bounce and
    subtracted from the input, so the data themselves are never interpolated.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
    dt_ns : float
    ground_ns : array_like, shape (n_traces,)
        Bounce time of each trace (:func:`track_ground`).
    gate_ns : (float, float), optional
        ``(before, after)`` the bounce, ns; default 2.5 periods of the median
        bounce each side.
    template_traces : int, default 0
        Traces in the moving template (0: the whole profile).
    fit_shift : bool, default True
        Fit the residual shift ``b`` as well as the amplitude ``a``.
    remove_ringing : bool, default True
        Also remove the antenna's coupling and ringing ``C``, fixed in time
        while the bounce follows the ground: ``C`` = the leading
        ``ringing_rank`` singular components (eigen-image) of
        ``x - bounce model``, alternated with the bounce refitted to
        ``x - C``; the output is ``x - bounce - C``.
    ringing_rank : int, optional
        Components of ``C`` (1..min(n_samples, n_traces)). Default (None):
        automatic at every estimate, the largest singular-value gap
        ``k = argmax_{1 <= k <= ringing_max_rank} s_k / s_{k+1}`` of
        ``x - bounce model`` (rank 1 on flat ground, where more components
        would only take targets; up to 3 on rough ground).
    ringing_max_rank : int, default 3
        Cap of the automatic rank (1..min(n_samples, n_traces) - 1).
    iterations : int, default 4
        Bounce fits (the first on ``x`` itself), 1..20.
    out, threads, check_finite
        As in :mod:`sapper.gpr`.

    Returns
    -------
    (numpy.ndarray, dict)
        The B-scan without the bounce, and the fit: ``amplitude``,
        ``shift_ns``, ``removed_fraction``, ``ground_ns`` (per trace),
        ``reference_ns``, ``gate_before_ns``, ``gate_after_ns``,
        ``ringing_rank`` (components of the last ``C``; 0 without ringing
        removal).

    Raises
    ------
    ValueError
        Bad picks (shape, NaN), gate, ``ringing_rank``, ``ringing_max_rank``
        or ``iterations``.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    g = _picks(ground_ns, x.shape[1])
    before, after = (0.0, 0.0) if gate_ns is None else (float(gate_ns[0]), float(gate_ns[1]))
    fit = _lib(x).remove_ground(x, y, _dt(dt_ns), g, before, after, int(template_traces), bool(fit_shift),
                                bool(remove_ringing), _rank(ringing_rank), int(ringing_max_rank), int(iterations),
                                int(threads))
    return _finish(y, one), fit


def suppress_ground(data, dt_ns, *, search_ns=None, outlier_window=15, outlier_mads=4.0, gate_ns=None,
                    template_traces=0, fit_shift=True, ringing_rank=None, ringing_max_rank=3, iterations=4, out=None,
                    threads=0,
                    check_finite=True):
    """The default ground pipeline: track the bounce, remove it and the antenna's
    coupling and ringing, re-tracking the bounce once they are gone.

    ``picks = track_ground(x)``; then :func:`remove_ground` with ringing
    removal, where before every bounce fit after the first the picks are
    re-tracked on ``x - C`` (``C`` the current coupling/ringing subspace), so
    that a coupling stronger than the bounce and overlapping it in time no
    longer pulls the picks towards itself.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
    dt_ns : float
    search_ns, outlier_window, outlier_mads
        As in :func:`track_ground` (``smooth_traces`` 1, 2 refinements,
        automatic correlation gate).
    gate_ns, template_traces, fit_shift, ringing_rank, ringing_max_rank, iterations
        As in :func:`remove_ground` (default: the ringing rank chosen by the
        singular-value gap, up to 3).
    out, threads, check_finite
        As in :mod:`sapper.gpr`.

    Returns
    -------
    (numpy.ndarray, dict)
        The B-scan without bounce, coupling and ringing, and the fit as in
        :func:`remove_ground` (``ground_ns``: the final picks).

    Raises
    ------
    ValueError
        Bad parameters, as in :func:`track_ground` and :func:`remove_ground`.
    """
    lib, x, y, one = _prepare(data, out, check_finite)
    if one:
        raise ValueError("suppress_ground needs a B-scan (n_samples, n_traces)")
    s0, s1 = (0.0, 0.0) if search_ns is None else (float(search_ns[0]), float(search_ns[1]))
    before, after = (0.0, 0.0) if gate_ns is None else (float(gate_ns[0]), float(gate_ns[1]))
    fit = _lib(x).suppress_ground(x, y, _dt(dt_ns), s0, s1, int(outlier_window), float(outlier_mads), 1, 2, 0.0,
                                  before, after, int(template_traces), bool(fit_shift), _rank(ringing_rank),
                                  int(ringing_max_rank),
                                  int(iterations), int(threads))
    return _finish(y, one), fit


def _count(name, v, lo):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} = {v!r} must be an integer >= {lo}")
    return int(v)


class GroundSuppressStream:
    """Streaming (causal) :func:`suppress_ground`, block by block, latency 0 traces.

    Trace ``j`` is cleaned from itself and the traces before it, so the
    output of any split of the traces into blocks is the same, bit for bit.
    Per trace, ``iterations`` times: ``z = x - C``; pick the bounce on ``z``
    (peak of ``|z|`` in ``search_ns``, then ``refine_iterations``
    cross-correlations with the template, then the outlier test against the
    previous ``outlier_window`` picks); fit ``B = w (a g + b g')`` to ``z``
    flattened to the pick and shift it back; ``C = U U^T (x - B)``. Output
    ``x - B - C``. The template ``g`` is the per-sample median of the last
    ``template_traces`` flattened gates of ``x - C``; ``U`` holds the leading
    left singular vectors of the last ``ringing_window`` traces of ``x - B``,
    re-estimated every ``ringing_update`` traces (every trace during the
    warm-up) by warm-started subspace iteration on the window's trace-space
    Gram matrix (Rayleigh-Ritz on the previous basis plus the newest trace,
    then a power step), ``ringing_rank`` of them (default 3) or as many as
    the largest singular-value gap says (up to ``ringing_max_rank``). The reference time
    and the gate come from the first trace. Formulas: ``docs/clutter.md``,
    "Streaming ground suppression". One per stream (not thread-safe);
    ``process`` allocates nothing in C++.

    Parameters
    ----------
    n_samples : int
        Samples per trace (>= 3).
    dt_ns : float
        Sample interval, ns.
    search_ns : (float, float), optional
        Window searched for the bounce, ns after sample 0 (default: the whole trace).
    outlier_window : int, default 15
        Previous picks of the outlier test (0 or 1: no test).
    outlier_mads : float, default 4.0
        Its threshold in robust deviations (1.4826 MAD, floored at a quarter sample).
    refine_iterations : int, default 2
        Cross-correlation refinements of each pick (0..20).
    gate_ns : (float, float), optional
        ``(before, after)`` the bounce, ns; default 2.5 periods of the first
        trace's bounce each side.
    template_traces : int, default 128
        Traces of the running median template.
    fit_shift : bool, default True
        Fit the residual shift ``b`` as well as the amplitude ``a``.
    remove_ringing : bool, default True
        Remove the coupling/ringing subspace ``C``.
    ringing_rank : int or None, default 3
        Components of ``C`` (1..14); None: the singular-value gap, re-chosen
        at every re-estimation. Not the default: on rough ground it flips
        between 1 and 3 along the lane, and a rank-1 ``C`` mixes the coupling
        with the bounce misfit, so a ground excursion comes out as a
        full-depth stripe (a false alarm).
    ringing_max_rank : int, default 3
        Cap of the automatic rank (1..13).
    ringing_window : int, default 256
        Traces of ``x - B`` the subspace is estimated from (its Gram matrix
        takes ``8 ringing_window**2`` bytes).
    ringing_update : int, default 1
        Traces between re-estimations. Every trace by default: a subspace a
        few traces old misses the bounce misfit of the latest ground
        excursions, which then leaks into ``C`` as full-depth stripes.
    power_iters : int, default 0
        Extra block power steps per re-estimation, on top of the one always
        done (0..20); each costs ``2 ringing_window**2 (l + 1)`` flops (``l``
        = rank + 2).
    iterations : int, default 2
        Per-trace alternations (1..20).
    dtype : {numpy.float32, numpy.float64}, default numpy.float32

    Raises
    ------
    ValueError
        Bad parameters (named).
    """

    def __init__(self, n_samples, dt_ns, *, search_ns=None, outlier_window=15, outlier_mads=4.0, refine_iterations=2,
                 gate_ns=None, template_traces=128, fit_shift=True, remove_ringing=True, ringing_rank=3,
                 ringing_max_rank=3, ringing_window=256, ringing_update=1, power_iters=0, iterations=2,
                 dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype = {dtype!r} must be float32 or float64")
        self.n_samples = _count("n_samples", n_samples, 3)
        self.dt_ns = _dt(dt_ns)
        s0, s1 = (0.0, 0.0) if search_ns is None else (float(search_ns[0]), float(search_ns[1]))
        before, after = (0.0, 0.0) if gate_ns is None else (float(gate_ns[0]), float(gate_ns[1]))
        lib = _core.clutter.f32 if self.dtype == np.float32 else _core.clutter.f64
        self._s = lib.GroundSuppressStream(
            self.n_samples, self.dt_ns, s0, s1, _count("outlier_window", outlier_window, 0), float(outlier_mads),
            _count("refine_iterations", refine_iterations, 0), before, after,
            _count("template_traces", template_traces, 1), bool(fit_shift), bool(remove_ringing), _rank(ringing_rank),
            _count("ringing_max_rank", ringing_max_rank, 1), _count("ringing_window", ringing_window, 1),
            _count("ringing_update", ringing_update, 1), _count("power_iters", power_iters, 0),
            _count("iterations", iterations, 1))

    def process(self, block, out=None, *, return_picks=False, check_finite=True):
        """Clean the next traces.

        Parameters
        ----------
        block : array_like, shape (n_samples, n_traces)
            Of this stream's dtype.
        out : numpy.ndarray, optional
            Fortran-ordered array of the same dtype and shape (may be ``block``).
        return_picks : bool, default False
            Also return the final bounce pick of every trace (ns after sample 0).
        check_finite : bool, default True
            Reject NaN/Inf here (the C++ side rejects them too, naming no sample).

        Returns
        -------
        numpy.ndarray or (numpy.ndarray, numpy.ndarray)
            The cleaned block, and the picks when ``return_picks``.
        """
        if np.ndim(block) != 2 or np.shape(block)[0] != self.n_samples:
            raise ValueError(f"block has shape {np.shape(block)}; expected ({self.n_samples}, n_traces)")
        if np.asarray(block).dtype != self.dtype:
            raise ValueError(f"block has dtype {np.asarray(block).dtype}; this stream takes {self.dtype}")
        _, x, y, _ = _prepare(block, out, check_finite)
        picks = np.empty(x.shape[1] if return_picks else 0)
        self._s.process(x, y, picks)
        return (y, picks) if return_picks else y

    def reset(self):
        """Forget every trace seen (back to the state after construction)."""
        self._s.reset()

    @property
    def ringing_rank(self):
        """Components of the ringing subspace at present."""
        return self._s.ringing_rank

    @property
    def traces_seen(self):
        return self._s.traces_seen

    @property
    def reference_ns(self):
        """Flattening reference: the first trace's pick (NaN before any trace)."""
        return self._s.reference_ns

    @property
    def gate_ns(self):
        """``(before, after)`` of the gate in use, ns (0 before any trace when automatic)."""
        return self._s.gate_before_ns, self._s.gate_after_ns


def suppress_ground_causal(data, dt_ns, *, return_picks=False, check_finite=True, **options):
    """One :class:`GroundSuppressStream` run over the whole B-scan (its batch form).

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
        float32 or float64 (other dtypes become float64).
    dt_ns : float
    return_picks : bool, default False
    check_finite : bool, default True
    **options
        As :class:`GroundSuppressStream`.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        As :meth:`GroundSuppressStream.process`.
    """
    lib, x, _, one = _prepare(data, None, check_finite)
    if one:
        raise ValueError("suppress_ground_causal needs a B-scan (n_samples, n_traces)")
    s = GroundSuppressStream(x.shape[0], dt_ns, dtype=x.dtype, **options)
    return s.process(x, return_picks=return_picks, check_finite=False)
