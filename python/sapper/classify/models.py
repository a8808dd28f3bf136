"""Classifiers implemented in sapper (no ML dependency): multinomial logistic regression and random
forests, trained from numpy features, saved and loaded as small versioned JSON models.

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

__all__ = ["LogisticRegression", "RandomForest", "load", "from_json"]


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


def _wrap(model):
    cls = LogisticRegression if model.type == "logistic_regression" else RandomForest
    obj = cls()
    obj._model = model
    return obj


def load(path):
    """Read a model saved by ``save``.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    LogisticRegression or RandomForest
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
