"""sapper.classify models: logistic regression against scipy's optimum of the same objective,
random forests against brute force and chance, model files."""
import json

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from sapper import classify


def gaussian(means, n_per, sd=1.0, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([m + sd * rng.standard_normal((n, len(m))) for m, n in zip(means, n_per)])
    y = np.concatenate([[f"c{k}"] * n for k, n in enumerate(n_per)])
    return X, y


def xor(n, extra=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2 + extra))
    return X, np.where(X[:, 0] * X[:, 1] > 0, "a", "b")


def scipy_logistic(X, y, l2, w_class):
    """Minimiser of the documented objective by scipy (independent of sapper's L-BFGS)."""
    classes = sorted(set(y))
    K, (n, d) = len(classes), X.shape
    mean, scale = X.mean(0), X.std(0)
    Z = (X - mean) / scale
    Y = np.zeros((n, K))
    Y[np.arange(n), [classes.index(v) for v in y]] = 1
    w = Y @ np.array([w_class.get(c, 1.0) for c in classes])

    def f(theta):
        W, b = theta[:K * d].reshape(K, d), theta[K * d:]
        A = Z @ W.T + b
        lse = logsumexp(A, axis=1)
        J = -(w * ((A * Y).sum(1) - lse)).sum() + 0.5 * l2 * (W ** 2).sum()
        G = w[:, None] * (np.exp(A - lse[:, None]) - Y)
        return J, np.concatenate([(G.T @ Z + l2 * W).ravel(), G.sum(0)])

    r = minimize(f, np.zeros(K * (d + 1)), jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 10000})
    W, b = r.x[:K * d].reshape(K, d), r.x[K * d:]
    return W, b - b.mean(), mean, scale


def test_logistic_matches_scipy_optimum():
    X, y = gaussian([[0, 0, 0], [1.5, 0, 0.5], [0, 1.5, -0.5]], [150, 100, 60], seed=1)
    X[:, 2] = 100 + 30 * X[:, 2]  # badly scaled feature: standardisation inside the model
    m = classify.LogisticRegression(l2=0.5, class_weight={"c2": 2.5}).fit(X, y)
    W, b, mean, scale = scipy_logistic(X, y, 0.5, {"c2": 2.5})
    assert m.converged_
    np.testing.assert_allclose(m.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(m.scale_, scale, rtol=1e-12)
    np.testing.assert_allclose(m.coef_, W, atol=1e-5)
    np.testing.assert_allclose(m.intercept_, b, atol=1e-5)
    np.testing.assert_allclose(m.predict_proba(X), softmax((X - mean) / scale @ W.T + b, axis=1), atol=1e-6)
    assert list(m.classes_) == ["c0", "c1", "c2"]


def test_logistic_balanced_weights_match_scipy():
    X, y = gaussian([[0, 0], [1, 1]], [200, 25], seed=2)
    m = classify.LogisticRegression(l2=1.0, class_weight="balanced").fit(X, y)
    W, b, _, _ = scipy_logistic(X, y, 1.0, {"c0": 225 / 400, "c1": 225 / 50})
    np.testing.assert_allclose(m.coef_, W, atol=1e-5)
    np.testing.assert_allclose(m.intercept_, b, atol=1e-5)


def test_logistic_integer_labels_and_predict():
    X, y = gaussian([[-2, 0], [2, 0]], [50, 50], seed=3)
    yi = np.where(y == "c0", 3, 7)
    m = classify.LogisticRegression().fit(X, yi)
    assert m.classes_.tolist() == [3, 7]
    assert (m.predict(X) == yi).mean() > 0.95


def test_nan_features_are_rejected():
    X, y = gaussian([[0, 0], [1, 1]], [10, 10])
    X[4, 1] = np.nan
    for model in (classify.LogisticRegression(), classify.RandomForest(n_trees=2)):
        with pytest.raises(ValueError, match=r"X\[4, 1\]"):
            model.fit(X, y)
        model.fit(np.nan_to_num(X), y)
        with pytest.raises(ValueError, match=r"X\[4, 1\]"):
            model.predict_proba(X)
        with pytest.raises(ValueError, match="features"):
            model.predict_proba(X[:, :1])
    with pytest.raises(ValueError, match="two"):
        classify.LogisticRegression().fit(np.zeros((3, 1)), ["a", "a", "a"])
    with pytest.raises(RuntimeError, match="not fitted"):
        classify.RandomForest().predict(X)


def test_forest_beats_chance_on_xor_and_is_thread_independent():
    X, y = xor(2000, seed=4)
    Xt, yt = xor(2000, seed=5)
    f = classify.RandomForest(n_trees=40, max_features=2, seed=3, threads=1).fit(X, y)
    assert (f.predict(Xt) == yt).mean() > 0.9
    assert (classify.LogisticRegression().fit(X, y).predict(Xt) == yt).mean() < 0.6
    for th in (2, 5):
        g = classify.RandomForest(n_trees=40, max_features=2, seed=3, threads=th).fit(X, y)
        assert g.to_json() == f.to_json()
        assert np.array_equal(g.predict_proba(Xt, threads=th), f.predict_proba(Xt, threads=1))


def test_stump_is_the_brute_force_best_gini_split():
    X, y = gaussian([[0, 0, 0], [1, 0.5, 0], [0, 1, 0.7]], [60, 40, 30], seed=6)
    t = classify.RandomForest(n_trees=1, max_depth=1, bootstrap=False, max_features=None).fit(X, y).tree(0)
    labels = np.unique(y)
    Y = (y[:, None] == labels).astype(float)

    def gini(mask):
        return sum(m.sum() - (Y[m].sum(0) ** 2).sum() / m.sum() for m in (mask, ~mask) if m.sum())

    best = min((gini(X[:, j] <= v), j, v) for j in range(3) for v in np.unique(X[:, j])[:-1])
    j = t["feature"][0]
    assert j == best[1]
    assert np.array_equal(X[:, j] <= t["threshold"][0], X[:, j] <= best[2])
    np.testing.assert_allclose(t["value"][0], [60 / 130, 40 / 130, 30 / 130], rtol=1e-15)


@pytest.mark.parametrize("kind", ["lr", "rf"])
def test_save_load_round_trip_is_bit_exact(tmp_path, kind):
    X, y = gaussian([[0, 0, 0, 0], [1, 0.3, -0.2, 0.1], [0, 1, 0.1, 0.5]], [40, 40, 30], seed=7)
    m = (classify.LogisticRegression() if kind == "lr" else classify.RandomForest(n_trees=9, seed=1))
    m.fit(X, y, feature_names=["energy", "depth", "hog0", "hog1"])
    path = tmp_path / "model.json"
    m.save(path)
    back = classify.load(path)
    assert type(back) is type(m)
    assert back.feature_names_ == ["energy", "depth", "hog0", "hog1"]
    Xp = np.random.default_rng(8).normal(0, 3, (500, 4))
    assert np.array_equal(back.predict_proba(Xp), m.predict_proba(Xp))
    doc = json.loads(path.read_text())
    assert doc["format"] == "sapper-model" and doc["version"] == 1 and doc["classes"] == ["c0", "c1", "c2"]
    assert classify.from_json(m.to_json()).to_json() == m.to_json()


def test_corrupt_model_files_give_clear_errors(tmp_path):
    X, y = gaussian([[0, 0], [1, 1]], [20, 20])
    text = classify.LogisticRegression().fit(X, y).to_json()
    doc = json.loads(text)
    cases = {
        "truncated": (text[: len(text) // 2], "not valid JSON"),
        "nonjson": ("\x00\x01binary", "not valid JSON"),
        "nan": (text.replace('"coef":[[', '"coef":[[NaN,'), "not valid JSON"),
        "version": (json.dumps({**doc, "version": 7}), "version"),
        "shape": (json.dumps({**doc, "coef": doc["coef"][:1]}), "coef"),
        "type": (json.dumps({**doc, "type": "svm"}), "type"),
    }
    for name, (body, field) in cases.items():
        p = tmp_path / f"{name}.json"
        p.write_text(body)
        with pytest.raises(ValueError, match=field) as e:
            classify.load(p)
        assert str(p) in str(e.value)
