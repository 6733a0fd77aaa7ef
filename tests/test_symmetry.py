"""Symmetry structure of 1-D fits (theory: "Symmetry"): centres, breakpoint kinds, windows, and the plot."""

import numpy as np
import pytest

import cvxnn
from cvxnn.data import TOY_SETS, noisy_sine
from cvxnn.models.symmetry_1d import asymmetry, chain_centres, classify_point


def test_chain_centres_are_zeros_of_the_inner_expressions():
    rng = np.random.default_rng(0)
    for _ in range(300):
        a = np.concatenate([rng.normal(size=1), rng.uniform(0, 1, rng.integers(1, 4))])
        for c, level in chain_centres(a):
            h = abs(c - a[0])
            for v in a[1:level - 1]:
                h = abs(h - v)
            assert abs((h - a[level - 1]) if level > 1 else c - a[0]) < 1e-12
        # and every kink of g_a is a centre
        x = np.linspace(a[0] - 5, a[0] + 5, 200_001)
        g = np.abs(x - a[0])
        for v in a[1:]:
            g = np.abs(g - v)
        slope = np.diff(g) / np.diff(x)
        kinks = x[1:-1][np.abs(np.diff(slope)) > 1e-6]
        centres = np.array([c for c, _ in chain_centres(a)])
        assert all(np.min(np.abs(centres - k)) < 1e-4 for k in kinks)


def test_classify_point_kinds():
    x = np.array([0.0, 2.0, 6.0, 7.0])
    assert classify_point(6.0, x) == {"x": 6.0, "kind": "data", "from": [2]}
    assert classify_point(4.0, x)["kind"] == "reflection"  # R(0, 2) = 4
    assert classify_point(6.5, x) == {"x": 6.5, "kind": "midpoint", "from": [2, 3]}
    assert classify_point(-8.0, x)["kind"] == "reflection_of_reflection"  # R(R(6, 7), 0) = 2*0 - (2*7 - 6)
    assert classify_point(0.123, x) == {"x": 0.123, "kind": "other", "from": []}


def test_symmetry_section_of_a_deep_fit():
    x, y = noisy_sine(10, seed=1)
    t = cvxnn.train(x, y, cvxnn.Deep1D(3, "abs"), beta=0.01)
    sym = t.to_dict()["symmetry"]
    assert len(sym["features"]) == t.network.width
    kinds = {"data", "reflection", "midpoint", "reflection_of_reflection", "other"}
    for f in sym["features"]:
        assert f["centres"][0]["level"] == 1
        for bp in f["breakpoints"]:
            assert bp["kind"] in kinds
            if bp["kind"] == "data":
                assert x[bp["from"][0]] == pytest.approx(bp["x"])
            if bp["kind"] == "reflection":
                k, j = bp["from"]
                assert 2 * x[j] - x[k] == pytest.approx(bp["x"])
    f = lambda s: t.network.predict(np.asarray(s).reshape(-1, 1))  # noqa: E731
    fmax = float(np.max(np.abs(f(np.linspace(x.min(), x.max(), 2001)))))
    for w in sym["windows"]:
        if w["half_width"] > 0:
            assert asymmetry(f, w["centre"], w["half_width"], fmax) <= 1e-6


def test_a_symmetric_fit_has_a_full_window_at_its_mirror():
    x = np.linspace(-1, 1, 9)
    t = cvxnn.train(x, np.abs(x), cvxnn.Deep1D(3, "abs"), mode="interpolation")
    centres = {round(w["centre"], 9): w for w in t.symmetry()["windows"]}
    assert 0.0 in centres and centres[0.0]["half_width"] == pytest.approx(1.0)


def test_plot_writes_a_figure(tmp_path):
    x, y = (np.array(v, float) for v in TOY_SETS["opt"])
    from cvxnn.plotting import plot_fit

    t = cvxnn.train(x, y, cvxnn.Deep1D(3, "abs"), beta=0.05)
    out = plot_fit(t, tmp_path / "fit.png")
    assert out.exists() and out.stat().st_size > 10_000
    from cvxnn.cli import main

    assert main(["plot", "--data", str(tmp_path / "nope.csv"), "--beta", "0.1", "--out", str(tmp_path / "x.png")]) == 2
