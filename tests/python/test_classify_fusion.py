"""sapper.classify.fuse: association within the halo and the naive-Bayes rule, against a direct
computation."""
import numpy as np
import pytest

from sapper import classify
from sapper.eval import _alarm_columns

PRIOR = np.array([0.2, 0.1, 0.1, 0.6])
GPR_PRIOR = np.array([0.25, 0.25, 0.25, 0.25])
GPR_PD = np.array([0.9, 0.95, 0.9, 0.5])
MAG_PRIOR = np.array([0.1, 0.3, 0.3, 0.3])
MAG_PD = np.array([0.05, 0.98, 0.98, 0.6])
KW = dict(prior=PRIOR, gpr_prior=GPR_PRIOR, gpr_pd=GPR_PD, mag_prior=MAG_PRIOR, mag_pd=MAG_PD, halo=0.3)


def bayes(*factors):
    p = PRIOR * np.prod(factors, axis=0)
    return p / p.sum()


def test_pair_silence_and_lone_alarms():
    gp = np.array([[0.4, 0.3, 0.1, 0.2], [0.3, 0.3, 0.2, 0.2]])
    mp = np.array([[0.05, 0.5, 0.25, 0.2], [0.25, 0.25, 0.25, 0.25]])
    gpr = dict(x=[1.0, 5.0], y=[2.0, 0.0], proba=gp)
    mag = dict(x=[1.2, 8.0], y=[2.0, 0.0], proba=mp)
    f = classify.fuse(gpr, mag, **KW)
    assert f["gpr"].tolist() == [0, 1, -1] and f["mag"].tolist() == [0, -1, 1]
    np.testing.assert_allclose(f["x"], [1.1, 5.0, 8.0])
    want = [bayes(gp[0] / GPR_PRIOR, mp[0] / MAG_PRIOR), bayes(gp[1] / GPR_PRIOR, 1 - MAG_PD),
            bayes(1 - GPR_PD, mp[1] / MAG_PRIOR)]
    np.testing.assert_allclose(f["proba"], want, rtol=1e-13)
    np.testing.assert_allclose(f["confidence"], 1 - np.array(want)[:, 3], rtol=1e-13)
    # clutter when it holds half the probability or more, else the most probable threat class
    want = np.array(want)
    threat = np.argmax(want[:, :3], axis=1)
    assert list(f["label"]) == [classify.CLASSES[3 if w[3] >= 0.5 else t] for w, t in zip(want, threat)]
    # ready for sapper.eval.score
    x, y, c, labels = _alarm_columns({k: f[k] for k in ("x", "y", "confidence", "label")})
    assert len(x) == 3


def test_one_sensor_alone_passes_through_and_columns_reorder():
    p = np.array([[0.1, 0.2, 0.3, 0.4]])
    f = classify.fuse(dict(x=[3.0], y=[4.0], proba=p), None, prior=PRIOR, gpr_prior=PRIOR, mag_pd=MAG_PD)
    np.testing.assert_allclose(f["proba"], p, rtol=1e-14)  # mag absent: its pd is not used
    order = ["clutter", "uxo", "at_mine", "ap_mine"]
    g = classify.fuse(None, dict(x=[3.0], y=[4.0], proba=p[:, ::-1], classes=order))
    np.testing.assert_allclose(g["proba"], p, rtol=1e-14)
    assert g["gpr"].tolist() == [-1] and g["label"][0] == "uxo"  # P(clutter) 0.4 < 0.5


def test_greedy_association_and_errors():
    p = np.full((2, 4), 0.25)
    f = classify.fuse(dict(x=[0, 0.25], y=[0, 0], proba=p), dict(x=[0.2, -0.1], y=[0, 0], proba=p), halo=0.3)
    assert f["mag"].tolist() == [1, 0]
    assert len(classify.fuse(dict(x=[0, 0.25], y=[0, 0], proba=p), dict(x=[0.2, -0.1], y=[0, 0], proba=p),
                             halo=0.04)["x"]) == 4
    with pytest.raises(ValueError):
        classify.fuse(dict(x=[0], y=[0], proba=[[0.5, 0.5]]))
    with pytest.raises(ValueError):
        classify.fuse(None, None, mag_pd=[0, 2, 0, 0])
    with pytest.raises(ValueError):
        classify.fuse(dict(x=[np.nan], y=[0], proba=p[:1]))
