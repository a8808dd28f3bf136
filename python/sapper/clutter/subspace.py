"""Subspace clutter suppression of GPR B-scans: truncated SVD, eigen-image removal, robust PCA,
per-depth whitening, and their streaming (causal) forms.

B-scans are arrays of shape ``(n_samples, n_traces)``, float32 or float64 (integers become
float64); results have the same dtype, Fortran (trace-contiguous) order. ``out`` (where offered)
is a caller-owned Fortran-ordered array of that dtype and shape, possibly ``data`` itself.
``threads``: number of threads, 0 = all cores; results do not depend on it. ``check_finite``:
reject NaN/Inf with a ValueError naming the first sample and trace. Exact formulas, defaults
and costs: ``docs/clutter.md``. The C++ work runs without the GIL.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _core
from ..gpr import _prepare

__all__ = [
    "truncated_svd", "eigenimage", "eigenimage_causal", "rpca", "RpcaInfo", "whiten",
    "EigenimageStream", "WhitenStream",
]


def _lib(dtype):
    return _core.clutter.f32 if np.dtype(dtype) == np.float32 else _core.clutter.f64


def _prep2(data, out, check_finite):
    if np.ndim(data) != 2:
        raise ValueError(f"data has shape {np.shape(data)}; expected (n_samples, n_traces)")
    _, x, y, _ = _prepare(data, out, check_finite)
    return _lib(x.dtype), x, y


def _int(name, v, lo, hi=None):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo or (hi is not None and v > hi):
        lim = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} = {v!r} must be an integer {lim}")
    return int(v)


def _rank_args(rank, first, energy, max_rank):
    """(first, rank, energy, max_rank) for C++: rank 0 = automatic, energy 0 = gap rule."""
    first = _int("first", first, 0)
    max_rank = _int("max_rank", max_rank, 1)
    r = 0 if rank is None else _int("rank", rank, 1)
    if energy is None:
        e = 0.0
    else:
        e = float(energy)
        if not 0 < e < 1:
            raise ValueError(f"energy = {energy!r} must be in (0, 1)")
        if rank is not None:
            raise ValueError("give rank or energy, not both")
    return first, r, e, max_rank


def _svd_args(oversample, power_iters, seed):
    return (_int("oversample", oversample, 0), _int("power_iters", power_iters, 0, 100),
            _int("seed", seed, 0))


def truncated_svd(a, k, *, oversample=10, power_iters=2, seed=0, threads=0, check_finite=True):
    """Leading ``k`` singular triplets by randomised subspace iteration (Halko et al. 2011).

    ``a ~= u @ np.diag(s) @ vt``; deterministic for a ``seed``, exact to rounding when
    ``rank(a) <= k + oversample``.

    Parameters
    ----------
    a : array_like, shape (m, n)
        float32 or float64 (integers become float64).
    k : int
        Number of triplets, ``1 <= k <= min(m, n)``.
    oversample : int, default 10
        Extra random directions of the sketch.
    power_iters : int, default 2
        Passes of ``a @ a.T`` (each re-orthonormalised) that sharpen a slow spectral decay.
    seed : int, default 0
        Seed of the Gaussian test matrix.
    threads : int, default 0
        Threads; 0 = all cores.
    check_finite : bool, default True
        Reject NaN/Inf.

    Returns
    -------
    u : numpy.ndarray, shape (m, k)
    s : numpy.ndarray, shape (k,), descending
    vt : numpy.ndarray, shape (k, n)
        In the dtype of ``a``. Sign: the largest-magnitude entry of each column of ``u`` is positive.
    """
    lib, x, _ = _prep2(a, None, check_finite)
    k = _int("k", k, 1, min(x.shape))
    u, s, v = lib.truncated_svd(x, k, *_svd_args(oversample, power_iters, seed), int(threads))
    return u, s[:, 0], v.T


def eigenimage(data, rank=None, first=0, energy=None, *, max_rank=8, block=None, overlap=None,
               oversample=10, power_iters=2, seed=0, out=None, threads=0, check_finite=True,
               return_rank=False):
    """Eigen-image (SVD/PCA) clutter removal.

    ``y = x - sum_{i=first}^{first+k-1} s_i u_i v_i^T`` with the truncated SVD of the B-scan
    (or of each block of ``block`` traces, blended in the overlaps by complementary cos^2 tapers).

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
        B-scan, float32 or float64.
    rank : int, optional
        Components removed. Default: automatic, by the largest singular-value ratio
        ``s[first+k-1] / s[first+k]`` over ``1 <= k <= max_rank``, or by ``energy``.
    first : int, default 0
        First component removed (0: the ground bounce and flat background).
    energy : float, optional
        Automatic rank by energy: the smallest ``k <= max_rank`` whose components hold at least
        this fraction (0, 1) of ``sum(x**2)``. Not with ``rank``.
    max_rank : int, default 8
        Cap of the automatic rank.
    block : int, optional
        Traces per block; default the whole profile in one block.
    overlap : int, optional
        Traces shared by neighbouring blocks, ``<= block // 2``; default ``block // 4``.
    oversample, power_iters, seed
        Of the truncated SVD (see :func:`truncated_svd`).
    out, threads, check_finite
        See the module docstring.
    return_rank : bool, default False
        Also return the list of ranks removed (one per block).

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, list of int)
    """
    lib, x, y = _prep2(data, out, check_finite)
    f, r, e, mr = _rank_args(rank, first, energy, max_rank)
    n = x.shape[1]
    b = 0 if block is None else _int("block", block, 1)
    o = -1 if overlap is None else _int("overlap", overlap, 0)
    if b and o > b // 2:
        raise ValueError(f"overlap = {overlap} must be <= block // 2 = {b // 2}")
    p = min(x.shape[0], b if 0 < b < n else n)
    if f + max(r, 1) > p:
        raise ValueError(f"first + rank = {f + max(r, 1)} exceeds min(n_samples, block traces) = {p}")
    ranks = lib.eigenimage(x, y, f, r, e, mr, b, o, *_svd_args(oversample, power_iters, seed), int(threads))
    return (y, list(ranks)) if return_rank else y


def eigenimage_causal(data, window=256, update=32, rank=None, first=0, energy=None, *, max_rank=8,
                      oversample=10, power_iters=2, seed=0, out=None, threads=0, check_finite=True):
    """Causal moving-window eigen-image removal: the batch form of :class:`EigenimageStream`.

    Trace ``j`` minus its projection on the left singular vectors ``[first, first + k)`` of the
    ``window`` traces before ``s = (j // update) * update``; during warm-up (``j < update``) of
    the traces ``0..j``. Rank parameters as in :func:`eigenimage`.
    """
    lib, x, y = _prep2(data, out, check_finite)
    s = EigenimageStream(x.shape[0], window, update, rank, first, energy, max_rank=max_rank,
                         oversample=oversample, power_iters=power_iters, seed=seed, dtype=x.dtype,
                         threads=threads)
    return s.process(x, out=y, check_finite=False)


class RpcaInfo(NamedTuple):
    """Convergence report of :func:`rpca`."""
    iterations: int
    residual: float      #: ||M - L - S||_F / ||M||_F at the end
    converged: bool      #: residual < tol
    objective: float     #: ||L||_* + lam ||S||_1
    nuclear_norm: float
    l1_norm: float
    lam: float
    rank: int            #: rank of L


def rpca(data, rank=10, lam=None, tol=1e-7, max_iter=500, *, rho=1.5, power_iters=2, oversample=10,
         seed=0, threads=0, check_finite=True):
    """Robust PCA ``M = L + S`` (low rank + sparse) by inexact ALM with partial SVDs.

    Lin, Chen & Ma (2010), Alg. 5: minimises ``||L||_* + lam ||S||_1`` subject to ``L + S = M``;
    the singular value thresholding of every iteration keeps at most ``rank`` values (a
    randomised partial SVD). Computed in float64; results in the dtype of ``data``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
    rank : int, default 10
        Max rank of ``L``.
    lam : float, optional
        Weight of the sparse term; default ``1 / sqrt(max(n_samples, n_traces))``.
    tol : float, default 1e-7
        Stop when ``||M - L - S||_F / ||M||_F < tol``.
    max_iter : int, default 500
    rho : float, default 1.5
        Growth of the penalty ``mu`` (``mu_0 = 1.25 / ||M||_2``, capped at ``1e7 mu_0``).
    power_iters, oversample, seed
        Of the partial SVD.

    Returns
    -------
    low_rank, sparse : numpy.ndarray
        ``L`` (the background) and ``S`` (the target image).
    info : RpcaInfo
    """
    lib, x, low = _prep2(data, None, check_finite)
    rank = _int("rank", rank, 1, min(x.shape))
    if lam is not None and not (np.isfinite(lam) and lam > 0):
        raise ValueError(f"lam = {lam!r} must be positive")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol = {tol!r} must be positive")
    if not (np.isfinite(rho) and rho > 1):
        raise ValueError(f"rho = {rho!r} must be > 1")
    sparse = np.empty_like(low, order="F")
    d = lib.rpca(x, low, sparse, rank, 0.0 if lam is None else float(lam), float(tol),
                 _int("max_iter", max_iter, 1), float(rho), _int("power_iters", power_iters, 0, 100),
                 _int("oversample", oversample, 0), _int("seed", seed, 0), int(threads))
    return low, sparse, RpcaInfo(**d)


def whiten(data, window=51, causal=False, *, min_std=0.0, out=None, threads=0, check_finite=True):
    """Per-depth whitening across traces.

    ``y[i, j] = (x[i, j] - mean) / max(sd, min_std)`` with the mean and population deviation of
    row ``i`` over the traces ``[j - window//2, j + window//2]`` (centred; ``window`` odd) or
    ``[j - window + 1, j]`` (causal), truncated at the ends; 0 where ``max(sd, min_std) == 0``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_traces)
    window : int, default 51
        Traces per window.
    causal : bool, default False
    min_std : float, default 0.0
        Floor on the deviation, in data units.
    out, threads, check_finite
        See the module docstring.
    """
    lib, x, y = _prep2(data, out, check_finite)
    window = _int("window", window, 1)
    if not causal and window % 2 == 0:
        raise ValueError(f"window = {window} must be odd for the centred window")
    if not (np.isfinite(min_std) and min_std >= 0):
        raise ValueError(f"min_std = {min_std!r} must be >= 0")
    lib.whiten(x, y, window, bool(causal), float(min_std), int(threads))
    return y


class _Stream:
    def _run(self, block, out, check_finite):
        if np.ndim(block) != 2 or np.shape(block)[0] != self.n_samples:
            raise ValueError(f"block has shape {np.shape(block)}; expected ({self.n_samples}, n_traces)")
        if np.asarray(block).dtype != self.dtype:
            raise ValueError(f"block has dtype {np.asarray(block).dtype}; this stream takes {self.dtype}")
        _, x, y, _ = _prepare(block, out, check_finite)
        self._s.process(x, y)
        return y

    def reset(self):
        """Forget every trace seen (back to the state after construction)."""
        self._s.reset()


class EigenimageStream(_Stream):
    """Causal moving-window eigen-image removal, block by block; equals :func:`eigenimage_causal`
    for any split of the traces. One per stream (not thread-safe).

    Parameters
    ----------
    n_samples : int
    window : int, default 256
        Traces the subspace is estimated from.
    update : int, default 32
        Traces between re-estimations.
    rank, first, energy, max_rank, oversample, power_iters, seed
        As in :func:`eigenimage`.
    dtype : {numpy.float32, numpy.float64}, default numpy.float32
    threads : int, default 0
        Threads of the SVDs.
    """

    def __init__(self, n_samples, window=256, update=32, rank=None, first=0, energy=None, *, max_rank=8,
                 oversample=10, power_iters=2, seed=0, dtype=np.float32, threads=0):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype = {dtype!r} must be float32 or float64")
        self.n_samples = _int("n_samples", n_samples, 1)
        f, r, e, mr = _rank_args(rank, first, energy, max_rank)
        self._s = _lib(self.dtype).EigenimageStream(self.n_samples, _int("window", window, 1),
                                                    _int("update", update, 1), f, r, e, mr,
                                                    *_svd_args(oversample, power_iters, seed), int(threads))

    @property
    def rank(self):
        """Components removed at present."""
        return self._s.rank

    def process(self, block, out=None, check_finite=True):
        """Process the next traces, shape (n_samples, n_traces); returns the cleaned block."""
        return self._run(block, out, check_finite)


class WhitenStream(_Stream):
    """Causal per-depth whitening, block by block; equals ``whiten(..., causal=True)`` for any
    split of the traces. One per stream (not thread-safe); ``process`` allocates nothing.

    Parameters
    ----------
    n_samples : int
    window : int, default 51
    min_std : float, default 0.0
    dtype : {numpy.float32, numpy.float64}, default numpy.float32
    """

    def __init__(self, n_samples, window=51, min_std=0.0, *, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype = {dtype!r} must be float32 or float64")
        self.n_samples = _int("n_samples", n_samples, 1)
        if not (np.isfinite(min_std) and min_std >= 0):
            raise ValueError(f"min_std = {min_std!r} must be >= 0")
        self._s = _lib(self.dtype).WhitenStream(self.n_samples, _int("window", window, 1), float(min_std))

    def process(self, block, out=None, check_finite=True):
        """Process the next traces, shape (n_samples, n_traces); returns the whitened block."""
        return self._run(block, out, check_finite)
