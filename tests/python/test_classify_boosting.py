"""sapper.classify.GradientBoosting against a plain numpy implementation of the same algorithm
(exact greedy), a Newton step computed by hand, logistic regression on XOR, and model files."""
import json

import numpy as np
import pytest
from scipy.special import softmax

from sapper import classify


def ref_boosting(X, y, n_rounds, lr, max_leaves, min_leaf, l2, min_hess=1e-3, max_depth=0, class_weight=None):
    """The documented algorithm, exact greedy (every cut between distinct values), all rows and
    features: returns the training-set probabilities."""
    classes = sorted(set(y))
    K, (n, d) = len(classes), X.shape
    yi = np.array([classes.index(v) for v in y])
    Y = np.eye(K)[yi]
    cw = np.ones(K) if class_weight is None else n / (K * np.bincount(yi, minlength=K))
    w = cw[yi]
    init = np.log(np.bincount(yi, weights=w, minlength=K) / w.sum())
    F = np.tile(init, (n, 1))

    def best_split(rows, g, h):
        G, H = g[rows].sum(), h[rows].sum()
        best = (0.0, None, None)  # gain > 0 (min_split_gain), first feature then first cut of ties
        for f in range(d):
            x = X[rows, f]
            for v in np.unique(x)[:-1]:
                left = x <= v
                GL, HL, nL = g[rows][left].sum(), h[rows][left].sum(), left.sum()
                GR, HR, nR = G - GL, H - HL, len(rows) - nL
                if min(nL, nR) < min_leaf or min(HL, HR) < min_hess:
                    continue
                gain = GL**2 / (HL + l2) + GR**2 / (HR + l2) - G**2 / (H + l2)
                if gain > best[0]:
                    best = (gain, f, v)
        return best

    for _ in range(n_rounds):
        P = softmax(F, axis=1)
        for k in range(K):
            g, h = w * (P[:, k] - Y[:, k]), w * P[:, k] * (1 - P[:, k])
            leaves = [dict(node=0, rows=np.arange(n), depth=0)]
            n_nodes = 1
            for leaf in leaves:
                ok = len(leaf["rows"]) >= 2 * min_leaf and (max_depth == 0 or leaf["depth"] < max_depth)
                leaf["split"] = best_split(leaf["rows"], g, h) if ok else (0.0, None, None)
            while len(leaves) < max_leaves:
                cand = [lf for lf in leaves if lf["split"][1] is not None]
                if not cand:
                    break
                p = max(cand, key=lambda lf: (lf["split"][0], -lf["node"]))
                _, f, v = p["split"]
                leaves.remove(p)
                rows = p["rows"]
                for part, node in ((rows[X[rows, f] <= v], n_nodes), (rows[X[rows, f] > v], n_nodes + 1)):
                    child = dict(node=node, rows=part, depth=p["depth"] + 1)
                    ok = len(part) >= 2 * min_leaf and (max_depth == 0 or child["depth"] < max_depth)
                    child["split"] = best_split(part, g, h) if ok else (0.0, None, None)
                    leaves.append(child)
                n_nodes += 2
            for leaf in leaves:
                r = leaf["rows"]
                F[r, k] += -lr * g[r].sum() / (h[r].sum() + l2)
    return softmax(F, axis=1), init


def three_classes(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    s = X[:, 0] + 0.5 * X[:, 1] ** 2 - 0.7 * X[:, 2] * X[:, 3] + 0.5 * rng.normal(size=n)
    y = np.where(s < -0.3, "a", np.where(s < 1.0, "b", "c"))
    return X, y


@pytest.mark.parametrize("kw", [dict(max_leaves=6, min_samples_leaf=5, l2=1.0),
                                dict(max_leaves=8, min_samples_leaf=3, l2=0.3, max_depth=2, class_weight="balanced")])
def test_matches_numpy_implementation_of_the_same_algorithm(kw):
    X, y = three_classes()
    m = classify.GradientBoosting(4, 0.3, subsample=1.0, colsample=1.0, max_bins=1000, **kw).fit(X, y)
    P, init = ref_boosting(X, y, 4, 0.3, kw["max_leaves"], kw["min_samples_leaf"], kw["l2"],
                           max_depth=kw.get("max_depth", 0), class_weight=kw.get("class_weight"))
    np.testing.assert_allclose(m.init_, init, rtol=0, atol=1e-14)
    np.testing.assert_allclose(m.predict_proba(X), P, rtol=0, atol=1e-10)
    assert m.n_trees_ == 12 and list(m.classes_) == ["a", "b", "c"]
    for t in range(m.n_trees_):
        tree = m.tree(t)
        assert sum(f < 0 for f in tree["feature"]) <= kw["max_leaves"]


def test_first_round_stump_is_the_newton_step():
    # x = 0..9, classes a (x <= 5) and b: init p = (0.6, 0.4); every row has h = 0.24 in both trees
    X = np.arange(10.0)[:, None]
    y = np.array(["a"] * 6 + ["b"] * 4)
    lr, l2 = 0.5, 1.0
    m = classify.GradientBoosting(1, lr, max_leaves=2, min_samples_leaf=1, l2=l2, subsample=1, colsample=1).fit(X, y)
    np.testing.assert_allclose(m.init_, np.log([0.6, 0.4]), rtol=1e-15)
    h = 0.6 * 0.4
    # class a: g = 0.6 - 1 on the six a's, 0.6 on the four b's; class b: the negatives
    left_a, right_a = -lr * (6 * -0.4) / (6 * h + l2), -lr * (4 * 0.6) / (4 * h + l2)
    for t, (vl, vr) in enumerate([(left_a, right_a), (-left_a, -right_a)]):
        tree = m.tree(t)
        assert tree["feature"] == [0, -1, -1] and tree["left"] == [1, -1, -1] and tree["right"] == [2, -1, -1]
        assert 5 <= tree["threshold"][0] < 6
        np.testing.assert_allclose(tree["value"], [0, vl, vr], rtol=1e-14, atol=0)
    F = np.log([0.6, 0.4]) + np.where(X <= 5, [left_a, -left_a], [right_a, -right_a])
    np.testing.assert_allclose(m.predict_proba(X), softmax(F, axis=1), rtol=1e-14)


def test_xor_and_circles_beat_logistic_regression():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (3000, 4))
    for label in (X[:, 0] * X[:, 1] > 0, np.hypot(X[:, 0], X[:, 1]) < 0.7):
        y = np.where(label, "in", "out")
        Xa, ya, Xb, yb = X[:2000], y[:2000], X[2000:], y[2000:]
        g = classify.GradientBoosting(100, 0.1, seed=1).fit(Xa, ya)
        lr = classify.LogisticRegression().fit(Xa, ya)
        acc_g, acc_lr = (g.predict(Xb) == yb).mean(), (lr.predict(Xb) == yb).mean()
        assert acc_g > 0.93 and acc_g > acc_lr + 0.2, (acc_g, acc_lr)


def test_constant_features_give_the_class_fractions():
    # no cut exists: every tree is a root whose Newton step is 0 at the initial fractions
    X, y = np.ones((30, 2)), np.array(["a"] * 20 + ["b"] * 10)
    m = classify.GradientBoosting(20, 0.1, min_samples_leaf=1, subsample=1).fit(X, y)
    assert all(m.tree(t)["feature"] == [-1] for t in range(m.n_trees_))
    np.testing.assert_allclose(m.predict_proba(X[:3]), [[2 / 3, 1 / 3]] * 3, rtol=1e-12)


def test_bins_cap_the_distinct_thresholds():
    X, y = three_classes(1000, seed=2)
    m = classify.GradientBoosting(20, 0.1, max_bins=16, seed=2).fit(X, y)
    cuts = [set() for _ in range(4)]
    for t in range(m.n_trees_):
        tree = m.tree(t)
        for f, c in zip(tree["feature"], tree["threshold"]):
            if f >= 0:
                cuts[f].add(c)
    assert all(1 <= len(c) <= 15 for c in cuts)
    # equal-count bins: every cut used has a multiple of 1/16 of the rows below it (bins of 62 or 63
    # rows of 1000: within 0.1 of a bin)
    for f, c in enumerate(cuts):
        q = np.sort([(X[:, f] <= v).mean() for v in c])
        assert np.all(np.abs(q * 16 - np.round(q * 16)) < 0.1), q


def test_save_load_is_bit_exact_and_thread_independent(tmp_path):
    X, y = three_classes(600, seed=4)
    names = ["energy", "depth", "hog0", "hog1"]
    m = classify.GradientBoosting(30, 0.1, max_leaves=7, min_samples_leaf=5, seed=3, threads=1)
    m.fit(X, y, feature_names=names)
    path = tmp_path / "gbt.json"
    m.save(path)
    back = classify.load(path)
    assert type(back) is classify.GradientBoosting
    assert back.feature_names_ == names and back.n_trees_ == 90
    Xp = np.random.default_rng(8).normal(0, 3, (500, 4))
    assert np.array_equal(back.predict_proba(Xp), m.predict_proba(Xp))
    assert classify.from_json(m.to_json()).to_json() == m.to_json()
    doc = json.loads(path.read_text())
    assert doc["type"] == "gradient_boosting" and len(doc["init"]) == 3 and doc["learning_rate"] == 0.1
    for th in (0, 2, 3):
        g = classify.GradientBoosting(30, 0.1, max_leaves=7, min_samples_leaf=5, seed=3, threads=th)
        assert g.fit(X, y, feature_names=names).to_json() == m.to_json()
        assert np.array_equal(g.predict_proba(Xp, threads=th), m.predict_proba(Xp, threads=1))
    other = classify.GradientBoosting(30, 0.1, max_leaves=7, min_samples_leaf=5, seed=4).fit(X, y)
    assert not np.array_equal(other.predict_proba(Xp), m.predict_proba(Xp))  # the seed matters


@pytest.mark.parametrize("kw, name", [
    (dict(n_rounds=0), "n_rounds"), (dict(learning_rate=0), "learning_rate"), (dict(learning_rate=1.5), "learning_rate"),
    (dict(max_leaves=1), "max_leaves"), (dict(max_depth=0), "max_depth"), (dict(min_samples_leaf=0), "min_samples_leaf"),
    (dict(min_hessian_leaf=-1), "min_hessian_leaf"), (dict(l2=-1), "l2"), (dict(l2=np.nan), "l2"),
    (dict(l2=0, min_hessian_leaf=0), "l2"), (dict(min_split_gain=-1), "min_split_gain"),
    (dict(subsample=0), "subsample"), (dict(subsample=1.2), "subsample"), (dict(colsample=0), "colsample"),
    (dict(max_bins=1), "max_bins"), (dict(max_bins=70000), "max_bins"), (dict(seed=-1), "seed"),
    (dict(class_weight="equal"), "class_weight"), (dict(class_weight={"zz": 1.0}), "zz"),
])
def test_bad_options_are_named(kw, name):
    X, y = three_classes(50)
    with pytest.raises(ValueError, match=name):
        classify.GradientBoosting(**kw).fit(X, y)


def test_bad_input_is_named():
    X, y = three_classes(50)
    m = classify.GradientBoosting(3)
    with pytest.raises(RuntimeError, match="not fitted"):
        m.predict(X)
    Xn = X.copy()
    Xn[7, 2] = np.inf
    with pytest.raises(ValueError, match=r"X\[7, 2\]"):
        m.fit(Xn, y)
    with pytest.raises(ValueError, match="y has shape"):
        m.fit(X, y[:-1])
    with pytest.raises(ValueError, match="feature_names"):
        m.fit(X, y, feature_names=["a", "b"])
    m.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict_proba(X[:, :3])
    with pytest.raises(ValueError, match=r"X\[7, 2\]"):
        m.predict_proba(Xn)
    with pytest.raises(ValueError, match="two"):
        classify.GradientBoosting(3).fit(X, ["a"] * 50)
