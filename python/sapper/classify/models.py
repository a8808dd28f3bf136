"""Classifiers implemented in sapper (no ML dependency): multinomial logistic regression, random
forests and gradient-boosted trees, trained from numpy features, saved and loaded as small versioned JSON models.

``X`` is an array of shape ``(n_samples, n_features)`` (converted to C-ordered float64); NaN/Inf
features raise a ValueError naming the first bad entry, at fit and at predict (there is no
imputation). Labels ``y`` are strings (e.g. ``"ap_mine"``, ``"at_mine"``, ``"uxo"``,
``"clutter"``) or integers; ``classes_`` holds the distinct labels in the lexicographic order of
their string forms, the column order of :meth:`predict_proba`. Integer labels are stored as their
decimal strings in model files and come back as strings from :func:`load`. Formulas, the file
format and measured speed: ``docs/classify.md``. The C++ work runs without the GIL.
"""
from __future__ import annotations

import os

import numpy as np

from .. import _core

__all__ = ["LogisticRegression", "RandomForest", "GradientBoosting", "load", "from_json"]


def _features(X, n_features=None):
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X has dtype {X.dtype}; expected numbers")
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X has shape {X.shape}; expected (n_samples, n_features)")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features (columns); the model takes {n_features}")
    if not np.isfinite(X).all():
        i, j = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"X[{i}, {j}] = {X[i, j]} is not finite (NaN/Inf features are not supported: "
                         "impute or drop the row)")
    return X


def _labels(y, n):
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y has shape {y.shape}; expected ({n},) labels, one per row of X")
    if y.dtype.kind in "iu":
        return [str(int(v)) for v in y], True
    if y.dtype.kind in "US" or (y.dtype.kind == "O" and all(isinstance(v, str) for v in y)):
        return [str(v) for v in y], False
    raise ValueError(f"y has dtype {y.dtype}; labels must be strings or integers")


def _class_weight(class_weight):
    if class_weight is None:
        return False, {}
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight = {class_weight!r} must be None, 'balanced' or a dict")
        return True, {}
    return False, {str(k): float(v) for k, v in dict(class_weight).items()}


class _Classifier:
    _model = None
    _int_labels = False

    def _require_fitted(self):
        if self._model is None:
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit(X, y)")
        return self._model

    @property
    def classes_(self):
        """numpy.ndarray: the class labels, the columns of :meth:`predict_proba`."""
        c = self._require_fitted().classes
        return np.array([int(v) for v in c]) if self._int_labels else np.array(c, dtype=object)

    @property
    def feature_names_(self):
        """list of str: the feature names (``"f0"``, ``"f1"``, ... unless given at fit)."""
        return list(self._require_fitted().feature_names)

    @property
    def n_features_in_(self):
        """int: number of features the model takes."""
        return len(self._require_fitted().feature_names)

    def predict_proba(self, X, threads=0):
        """Class probabilities.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Finite features.
        threads : int, default 0
            Threads (0 = all cores); results do not depend on it.

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_classes)
            ``P(classes_[k] | X[i])``; rows sum to 1.

        Raises
        ------
        ValueError
            If X has the wrong number of columns or a NaN/Inf entry.
        """
        m = self._require_fitted()
        return m.predict_proba(_features(X, len(m.feature_names)), int(threads))

    def predict(self, X, threads=0):
        """Most probable class of each row (the first of ties), as ``classes_`` entries."""
        return self.classes_[np.argmax(self.predict_proba(X, threads), axis=1)]

    def to_json(self):
        """str: the model as a sapper-model JSON document (doubles read back bit-exactly)."""
        return self._require_fitted().to_json()

    def save(self, path):
        """Write the model to ``path`` as sapper-model JSON (see ``docs/classify.md``)."""
        self._require_fitted().save(os.fspath(path))

    def _fit_args(self, X, y, feature_names):
        X = _features(X)
        labels, self._int_labels = _labels(y, X.shape[0])
        names = [] if feature_names is None else [str(n) for n in feature_names]
        return X, labels, names


class LogisticRegression(_Classifier):
    """Multinomial (softmax) logistic regression with an L2 penalty on standardised features.

    Training minimises ``J = -sum_i w(y_i) log softmax(W z_i + b)[y_i] + l2/2 ||W||_F^2`` with
    ``z = (x - mean_) / scale_`` (training mean and population standard deviation), ``w`` the class
    weights, ``b`` unpenalised and centred; by L-BFGS, deterministically.

    Parameters
    ----------
    l2 : float, default 1.0
        Penalty weight, > 0 (``1 / l2`` is sklearn's ``C``).
    class_weight : None, "balanced" or dict, default None
        Per-class sample weights: "balanced" gives every class the same total weight
        (``n / (n_classes * n_c)``); a dict maps labels to weights (others 1).
    max_iter : int, default 1000
        L-BFGS iterations.
    tol : float, default 1e-8
        Stop when ``max |grad J| <= tol * sum_i w(y_i)``.
    memory : int, default 10
        L-BFGS correction pairs.

    Attributes
    ----------
    coef_ : numpy.ndarray, shape (n_classes, n_features)
        Weights on standardised features.
    intercept_ : numpy.ndarray, shape (n_classes,)
    mean_, scale_ : numpy.ndarray, shape (n_features,)
    n_iter_ : int
    converged_ : bool
    """

    def __init__(self, l2=1.0, *, class_weight=None, max_iter=1000, tol=1e-8, memory=10):
        self.l2, self.class_weight, self.max_iter, self.tol, self.memory = l2, class_weight, max_iter, tol, memory

    def fit(self, X, y, *, feature_names=None):
        """Train on features ``X`` (n_samples, n_features) and labels ``y`` (n_samples,).

        Raises
        ------
        ValueError
            On NaN/Inf features, fewer than two classes, mismatched lengths or bad parameters.
        """
        X, labels, names = self._fit_args(X, y, feature_names)
        balanced, w = _class_weight(self.class_weight)
        self._model = _core.classify.fit_logistic(X, labels, float(self.l2), int(self.max_iter), float(self.tol),
                                                  int(self.memory), balanced, w, names)
        return self

    coef_ = property(lambda self: self._require_fitted().coef)
    intercept_ = property(lambda self: self._require_fitted().intercept)
    mean_ = property(lambda self: self._require_fitted().mean)
    scale_ = property(lambda self: self._require_fitted().scale)
    n_iter_ = property(lambda self: self._require_fitted().n_iter)
    converged_ = property(lambda self: self._require_fitted().converged)


class RandomForest(_Classifier):
    """Random forest of CART trees: Gini splits, bootstrap samples, features subsampled per split.

    Probabilities are the mean over trees of the (class-weighted) class fractions of the leaf a
    sample falls in. Tree ``t`` draws its random numbers from its own stream ``(seed, t)``, so the
    forest is the same for any ``threads``.

    Parameters
    ----------
    n_trees : int, default 100
    max_depth : int or None, default None
        Maximum depth (root = 0; 1 = a stump); None = unlimited.
    min_samples_split : int, default 2
        A node with fewer drawn samples is a leaf.
    min_samples_leaf : int, default 1
        Each child of a split keeps at least this many samples.
    max_features : "sqrt", int or None, default "sqrt"
        Features tried per split: ``round(sqrt(n_features))``, that many, or all.
    bootstrap : bool, default True
        Each tree on ``n_samples`` rows drawn with replacement (else on all rows).
    class_weight : None, "balanced" or dict, default None
        As in :class:`LogisticRegression`; for imbalanced sets (few mines, much clutter).
    seed : int, default 0
    threads : int, default 0
        Threads for training (0 = all cores); results do not depend on it.
    """

    def __init__(self, n_trees=100, *, max_depth=None, min_samples_split=2, min_samples_leaf=1, max_features="sqrt",
                 bootstrap=True, class_weight=None, seed=0, threads=0):
        self.n_trees, self.max_depth, self.min_samples_split = n_trees, max_depth, min_samples_split
        self.min_samples_leaf, self.max_features, self.bootstrap = min_samples_leaf, max_features, bootstrap
        self.class_weight, self.seed, self.threads = class_weight, seed, threads

    def fit(self, X, y, *, feature_names=None):
        """Train on features ``X`` (n_samples, n_features) and labels ``y`` (n_samples,).

        Raises
        ------
        ValueError
            On NaN/Inf features, fewer than two classes, mismatched lengths or bad parameters.
        """
        X, labels, names = self._fit_args(X, y, feature_names)
        balanced, w = _class_weight(self.class_weight)
        if self.max_features == "sqrt":
            mf = 0
        elif self.max_features is None:
            mf = X.shape[1]
        elif isinstance(self.max_features, (int, np.integer)) and not isinstance(self.max_features, bool) \
                and self.max_features >= 1:
            mf = int(self.max_features)
        else:
            raise ValueError(f"max_features = {self.max_features!r} must be 'sqrt', None or an integer >= 1")
        depth = 0 if self.max_depth is None else int(self.max_depth)
        if self.max_depth is not None and depth < 1:
            raise ValueError(f"max_depth = {self.max_depth!r} must be None or >= 1")
        if int(self.seed) < 0:
            raise ValueError(f"seed = {self.seed!r} must be >= 0")
        self._model = _core.classify.fit_forest(X, labels, int(self.n_trees), depth, int(self.min_samples_split),
                                                int(self.min_samples_leaf), mf, bool(self.bootstrap), balanced, w,
                                                int(self.seed), names, int(self.threads))
        return self

    @property
    def n_trees_(self):
        """int: number of trees."""
        return self._require_fitted().n_trees

    def tree(self, t):
        """Tree ``t`` as a dict of arrays ``feature``, ``threshold``, ``left``, ``right``, ``value``.

        Node ``j`` is a leaf when ``feature[j] < 0``; else ``x[feature[j]] <= threshold[j]`` goes to
        ``left[j]``; ``value[j]`` holds the weighted class fractions of its training samples.
        """
        return self._require_fitted().tree(int(t))


class GradientBoosting(_Classifier):
    r"""Gradient-boosted regression trees on the multiclass softmax loss (as LightGBM / XGBoost).

    The score of class ``k`` is ``F_k(x) = init_[k] + sum_r f_rk(x)``, one regression tree
    ``f_rk`` per class and round; probabilities are ``softmax(F(x))``. ``init_[k]`` is the log of
    the (weighted) fraction of class ``k``. Each round, with ``p`` the current probabilities, ``w``
    the class weights and ``y_ik = 1`` for the true class:

        g_ik = w_i (p_ik - y_ik),   h_ik = w_i p_ik (1 - p_ik)

    and the tree of class ``k`` is grown leaf-wise (the leaf of the largest gain split first, up to
    ``max_leaves``) on a ``subsample`` of the rows and a ``colsample`` of the features, a cut
    ``x[f] <= t`` scoring

        gain = G_L^2 / (H_L + l2) + G_R^2 / (H_R + l2) - G^2 / (H + l2)

    (``G``, ``H``: sums of ``g``, ``h`` over the leaf's rows; a split needs ``gain >
    min_split_gain`` and ``min_samples_leaf`` rows and ``min_hessian_leaf`` hessian in each child).
    A leaf adds ``-learning_rate * G / (H + l2)`` (one Newton step). Cuts are searched between
    ``max_bins`` quantile bins of each feature's training values, stored as plain numbers between two
    training values. Round ``r`` draws its rows and features from the stream ``(seed, r)``, so the
    model is the same for any ``threads``.

    Parameters
    ----------
    n_rounds : int, default 300
        Boosting rounds (``n_rounds * n_classes`` trees).
    learning_rate : float, default 0.05
        Shrinkage of each leaf value, in (0, 1].
    max_leaves : int, default 31
        Leaves per tree, >= 2.
    max_depth : int or None, default None
        Maximum depth (root = 0); None = unlimited.
    min_samples_leaf : int, default 20
        Rows (of the round's subsample) each child of a split keeps at least.
    min_hessian_leaf : float, default 1e-3
        Hessian sum each child keeps at least.
    l2 : float, default 1.0
        L2 penalty on leaf values, >= 0.
    min_split_gain : float, default 0.0
    subsample : float, default 0.8
        Fraction of rows drawn without replacement each round, in (0, 1].
    colsample : float, default 0.5
        Fraction of the (non-constant) features drawn for each tree, in (0, 1].
    max_bins : int, default 255
        Quantile bins per feature, in [2, 65536]; with at least as many bins as distinct values
        every cut between two distinct training values is tried (exact greedy).
    class_weight : None, "balanced" or dict, default None
        As in :class:`LogisticRegression`; for imbalanced sets (few mines, much clutter).
    seed : int, default 0
    threads : int, default 0
        Threads for training (the trees of a round in parallel; 0 = all cores); results do not
        depend on it.
    """

    def __init__(self, n_rounds=300, learning_rate=0.05, *, max_leaves=31, max_depth=None, min_samples_leaf=20,
                 min_hessian_leaf=1e-3, l2=1.0, min_split_gain=0.0, subsample=0.8, colsample=0.5, max_bins=255,
                 class_weight=None, seed=0, threads=0):
        self.n_rounds, self.learning_rate, self.max_leaves, self.max_depth = n_rounds, learning_rate, max_leaves, max_depth
        self.min_samples_leaf, self.min_hessian_leaf, self.l2 = min_samples_leaf, min_hessian_leaf, l2
        self.min_split_gain, self.subsample, self.colsample, self.max_bins = min_split_gain, subsample, colsample, max_bins
        self.class_weight, self.seed, self.threads = class_weight, seed, threads

    def fit(self, X, y, *, feature_names=None):
        """Train on features ``X`` (n_samples, n_features) and labels ``y`` (n_samples,).

        Raises
        ------
        ValueError
            On NaN/Inf features, fewer than two classes, mismatched lengths or bad parameters (named).
        """
        X, labels, names = self._fit_args(X, y, feature_names)
        balanced, w = _class_weight(self.class_weight)
        depth = 0 if self.max_depth is None else int(self.max_depth)
        if self.max_depth is not None and depth < 1:
            raise ValueError(f"max_depth = {self.max_depth!r} must be None or >= 1")
        if int(self.seed) < 0:
            raise ValueError(f"seed = {self.seed!r} must be >= 0")
        self._model = _core.classify.fit_boosting(
            X, labels, int(self.n_rounds), float(self.learning_rate), int(self.max_leaves), depth,
            int(self.min_samples_leaf), float(self.min_hessian_leaf), float(self.l2), float(self.min_split_gain),
            float(self.subsample), float(self.colsample), int(self.max_bins), balanced, w, int(self.seed), names,
            int(self.threads))
        return self

    @property
    def n_trees_(self):
        """int: number of trees (``n_rounds * n_classes``; tree ``t`` belongs to class ``t % n_classes``)."""
        return self._require_fitted().n_trees

    @property
    def init_(self):
        """numpy.ndarray, shape (n_classes,): the initial scores (log weighted class fractions)."""
        return np.array(self._require_fitted().init)

    def tree(self, t):
        """Tree ``t`` as a dict of arrays ``feature``, ``threshold``, ``left``, ``right``, ``value``.

        Node ``j`` is a leaf when ``feature[j] < 0``; else ``x[feature[j]] <= threshold[j]`` goes to
        ``left[j]``; ``value[j]`` is the leaf's score increment (learning rate included; 0 at
        internal nodes).
        """
        return self._require_fitted().tree(int(t))


_TYPES = {"logistic_regression": LogisticRegression, "random_forest": RandomForest,
          "gradient_boosting": GradientBoosting}


def _wrap(model):
    obj = _TYPES[model.type]()
    obj._model = model
    return obj


def load(path):
    """Read a model saved by ``save``.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    LogisticRegression, RandomForest or GradientBoosting
        Ready to predict (training parameters are not stored; labels come back as strings).

    Raises
    ------
    ValueError
        If the file is not a valid sapper-model document; the message names the file and field.
    """
    return _wrap(_core.classify.load(os.fspath(path)))


def from_json(text):
    """A model from the text of a sapper-model JSON document (see :func:`load`)."""
    return _wrap(_core.classify.from_json(str(text)))
