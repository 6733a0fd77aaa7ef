"""Figures: the dual certificate as a picture (``Trained.plot_dual``, ``cvxnn plot --dual``) for every model it
draws, checked against the certificate's own oracle, and the fit figures (titles, legends, ranges, 2-D points)."""

import matplotlib  # a dependency of cvxnn: these tests never skip
import numpy as np
import pytest

import cvxnn
from cvxnn.cli import main
from cvxnn.data import noisy_sine, write_csv
from cvxnn.errors import InvalidParameterError, UnsupportedCombinationError
from cvxnn.plotting import DualPicture, fit_figure

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

X1, Y1 = noisy_sine(10, seed=0)
_rng = np.random.default_rng(0)
X2 = _rng.normal(size=(8, 2))
Y2 = X2[:, 0] ** 2 - X2[:, 1]

#: (name, X, y, architecture, picture kind): every model plot_dual draws
CASES = [
    ("two-layer relu", X1, Y1, cvxnn.TwoLayer("relu"), "breakpoints"),
    ("two-layer leaky", X1, Y1, cvxnn.TwoLayer("leaky"), "breakpoints"),
    ("two-layer abs", X1, Y1, cvxnn.TwoLayer("abs"), "breakpoints"),
    ("two-layer sign", X1, Y1, cvxnn.TwoLayer("sign"), "breakpoints"),
    ("two-layer threshold", X1, Y1, cvxnn.TwoLayer("threshold"), "breakpoints"),
    ("two-layer relu, no bias", X1, Y1, cvxnn.TwoLayer("relu", bias="none"), "bias-free"),
    ("two-layer relu, 1-D penalized bias", X1, Y1, cvxnn.TwoLayer("relu", bias="penalized"), "directions"),
    ("deep relu", X1, Y1, cvxnn.Deep1D(3, "relu"), "ramps"),
    ("deep abs, depth 3", X1, Y1, cvxnn.Deep1D(3, "abs"), "chain-plane"),
    ("deep-abs on 1-D data", X1[:7], Y1[:7], cvxnn.DeepAbs(3), "chain-plane"),
    ("wedge on 1-D data", X1, Y1, cvxnn.TwoLayer("abs", inner_norm="l1"), "breakpoints"),
    ("arrangement relu d = 2", X2, Y2, cvxnn.TwoLayer("relu"), "directions"),
    ("arrangement leaky d = 2, no bias", X2, Y2, cvxnn.TwoLayer("leaky", bias="none"), "directions"),
    ("arrangement abs d = 2", X2, Y2, cvxnn.TwoLayer("abs"), "directions"),
    ("gated relu", X2, Y2, cvxnn.GatedReLU(), "directions"),
    ("gated relu, no bias", X2, Y2, cvxnn.GatedReLU(bias="none"), "directions"),
    ("wedge", X2, Y2, cvxnn.TwoLayer("abs", inner_norm="l1"), "directions"),
    ("deep-abs l1", X2[:6], np.abs(X2[:6, 0]), cvxnn.DeepAbs(3, inner_norm="l1"), "directions"),
    ("deep-abs l2", X2[:6], np.abs(X2[:6, 0]), cvxnn.DeepAbs(3, inner_norm="l2"), "directions"),
]


def _outer_weights(trained):
    """|coefficient| of each unit of the net, in the order plot_dual lists them (None when unknown)."""
    net = trained.network
    if hasattr(net, "alpha"):
        return np.abs(net.alpha) * np.linalg.norm(net.U, axis=1)
    weight = np.linalg.norm(net.layers[0].weight, axis=1) * np.abs(net.layers[-1].weight[0])
    for layer in net.layers[1:-1]:  # parallel chains: diagonal layers
        weight = weight * np.abs(np.diag(layer.weight))
    return weight


@pytest.mark.parametrize("name, X, y, arch, kind", CASES, ids=[c[0] for c in CASES])
def test_dual_picture_reaches_the_oracles_sup_and_the_units_touch_the_band(name, X, y, arch, kind):
    """The largest value drawn equals the certificate's sup over ALL units (its exact oracle, computed elsewhere),
    the optimum's dual point stays inside the band, and every unit carrying weight sits on the band."""
    t = cvxnn.train(X, y, arch, beta=0.05)
    assert t.globally_optimal
    pic = t.plot_dual()
    plt.close(pic.figure)
    assert isinstance(pic, DualPicture) and pic.kind == kind
    oracle = t.certificate.dual_violation * pic.band
    assert pic.sup == pytest.approx(oracle, rel=1e-9, abs=1e-12)
    assert pic.feasible and pic.band == pytest.approx(0.05)
    weights = _outer_weights(t)
    assert len(pic.units) == t.network.width
    for i, u in enumerate(pic.units):
        if weights is None or weights[i] > 1e-3 * weights.max():  # solver dust need not be tight
            assert abs(u["value"]) == pytest.approx(pic.band, rel=1e-6), (name, u)
    if kind == "breakpoints" and arch.activation in ("relu", "leaky"):
        # complementary slackness with signs: the value at a unit is beta times the sign of its outer weight
        for u in pic.units:
            assert u["value"] == pytest.approx(pic.band * u["outer_sign"], rel=1e-6)


def test_a_dual_point_outside_the_band_is_drawn_as_infeasible(tmp_path):
    t = cvxnn.train(X1, Y1, cvxnn.TwoLayer("relu"), beta=0.05)
    worse = cvxnn.train(X1, Y1, cvxnn.TwoLayer("relu"), beta=0.5)  # a net with a larger residual
    residual = Y1 - worse.network.predict(X1)
    pic = t.plot_dual(tmp_path / "adam.png", dual=residual, network=worse.network)
    assert pic.path.is_file() and pic.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lam = residual - residual.mean()
    # the sup over breakpoints at the data points, computed here by hand
    by_hand = max(abs(lam @ np.maximum(s * (X1 - c), 0.0)) for c in X1 for s in (1.0, -1.0))
    assert pic.sup == pytest.approx(by_hand, rel=1e-12) and pic.sup > pic.band and not pic.feasible
    assert "NOT feasible" in pic.summary() and pic.verdict == "a dual point given by the caller"


def test_dual_picture_refuses_what_it_cannot_draw():
    t4 = cvxnn.train(X1[:7], Y1[:7], cvxnn.Deep1D(4, "abs"), beta=0.05)
    with pytest.raises(UnsupportedCombinationError, match="depth-3 abs chains") as info:
        t4.plot_dual()
    assert "'depth': 4" in str(info.value)
    X3 = np.random.default_rng(1).normal(size=(6, 3))
    t3 = cvxnn.train(X3, X3[:, 0], cvxnn.TwoLayer("relu", bias="none"), beta=0.1)
    with pytest.raises(UnsupportedCombinationError, match="3-dimensional"):
        t3.plot_dual()
    t2 = cvxnn.train(X2, Y2, cvxnn.TwoLayer("relu"), beta=0.05)
    fig, ax = plt.subplots()
    with pytest.raises(InvalidParameterError, match="polar"):
        t2.plot_dual(ax=ax)
    plt.close(fig)
    with pytest.raises(InvalidParameterError, match="one entry per training point"):
        t2.plot_dual(dual=np.ones(3))
    with pytest.raises(InvalidParameterError, match="suffix"):
        t2.plot_dual("picture.txt")


def test_cli_plot_dual(tmp_path, capsys):
    data = tmp_path / "d.csv"
    write_csv(data, X1, Y1)
    out = tmp_path / "dual.png"
    assert main(["plot", "--data", str(data), "--beta", "0.05", "--dual", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "dual picture (breakpoints)" in text and "the dual point is feasible" in text
    # a bad image name is bad input, reported before anything is solved
    assert main(["plot", "--data", str(data), "--beta", "0.05", "--out", str(tmp_path / "x.txt")]) == 2
    captured = capsys.readouterr()
    assert "suffix" in captured.err and "building:" not in captured.err


def test_1d_fit_figure_covers_every_breakpoint_with_beta_and_objective_in_the_title():
    x = np.linspace(-2, 2, 12)
    t = cvxnn.train(x, np.sin(2 * x), cvxnn.Deep1D(3, "abs"), beta=0.01)
    fig = fit_figure(t)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    marks = [bp["x"] for f in t.symmetry().features for bp in f["breakpoints"]]
    assert min(marks) < x.min() or max(marks) > x.max()  # reflections outside the data: the case to cover
    assert lo <= min(marks) and hi >= max(marks) and lo <= x.min() and hi >= x.max()
    title = ax.get_title()
    assert "beta = 0.01" in title and f"objective {t.certificate.objective:.6g}" in title
    assert "globally optimal" in title  # this run is certified with scope global
    legend = ax.get_legend()
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # outside, right of the axes
    plt.close(fig)


def test_2d_fit_figure_draws_points_visibly_sized_by_residual():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (9, 2))
    t = cvxnn.train(X, np.sin(3 * X[:, 0]) + X[:, 1], cvxnn.TwoLayer("relu"), beta=0.2)
    fig = fit_figure(t)
    ax = fig.axes[0]
    points = next(c for c in ax.collections if c.get_label().startswith("data"))
    residual = np.abs(t.network.predict(X) - t.program.y)
    sizes = points.get_sizes()
    assert np.argmax(sizes) == np.argmax(residual) and np.ptp(sizes) > 0
    assert np.allclose(points.get_edgecolors()[:, :3], 0.0)  # black edges on every colour of the contour
    assert "beta = 0.2" in ax.get_title() and "objective" in ax.get_title()
    plt.close(fig)


def test_fit_title_never_claims_global_optimality_without_a_global_certificate():
    t = cvxnn.train(X2, Y2, cvxnn.TwoLayer("relu", patterns="sample", n_samples=30), beta=0.05)
    assert t.certificate.scope == "sampled"
    fig = fit_figure(t)
    title = fig.axes[0].get_title()
    plt.close(fig)
    assert "globally optimal" not in title and "scope 'sampled'" in title
    pic = t.plot_dual()
    plt.close(pic.figure)
    assert "globally optimal" not in pic.verdict
