"""Minimum-norm interpolation (the beta -> 0 limit) and its LP dual certificate, on published closed-form cases."""

import numpy as np
import pytest

import cvxnn
from cvxnn.certify import certify_point
from cvxnn.data import TOY_SETS

# minimum l1 norms of exact fits by two-layer nets (depth 2)
PUBLISHED = {("relu", "opt"): 2.0, ("relu", "zshape"): 1.5, ("relu", "bounce"): 4.0,
             ("abs", "opt"): 1.0, ("abs", "zshape"): 0.75, ("abs", "bounce"): 4.0}


@pytest.mark.parametrize("activation, toy", sorted(PUBLISHED))
def test_published_toy_values(activation, toy):
    x, y = (np.array(v, float) for v in TOY_SETS[toy])
    t = cvxnn.train(x, y, cvxnn.TwoLayer(activation), mode="interpolation")
    assert t.certificate.globally_optimal and t.certificate.mode == "interpolation"
    assert t.result.convex_objective == pytest.approx(PUBLISHED[activation, toy], rel=1e-7)
    net = t.network
    assert np.max(np.abs(net.predict(x) - y)) < 1e-7
    assert net.penalty_value() == pytest.approx(PUBLISHED[activation, toy], rel=1e-7)


def test_yarotsky_tooth_needs_56():
    """g_3 (three-fold composed tooth) on k/16: minimum l1 = 56 with 7 absolute-value units (theory: "Seed
    experiments")."""
    g = lambda x: 1 - np.abs(2 * x - 1)  # noqa: E731
    x = np.arange(17) / 16
    t = cvxnn.train(x, g(g(g(x))), cvxnn.TwoLayer("abs"), mode="interpolation")
    assert t.certificate.globally_optimal
    assert t.result.convex_objective == pytest.approx(56.0, rel=1e-8)
    assert t.network.width == 7


def test_lp_dual_certificate_by_hand():
    """The LP dual point: lambda^T y / max_j |A_j^T lambda| equals the optimum (strong duality), computed here
    from scratch with the relu features at the data points."""
    x, y = (np.array(v, float) for v in TOY_SETS["opt"])
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu"), mode="interpolation")
    res = prog.solve()
    lam = res.dual - res.dual.mean()
    feats = np.concatenate([np.maximum(x[:, None] - x[None, :], 0), np.maximum(x[None, :] - x[:, None], 0)], 1)
    assert lam @ y / np.max(np.abs(feats.T @ lam)) == pytest.approx(2.0, rel=1e-8)


def test_non_interpolating_network_not_certified():
    x, y = (np.array(v, float) for v in TOY_SETS["zshape"])
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu"), mode="interpolation")
    res = prog.solve()
    z = res.z * 0.9  # cheaper, but no longer an exact fit
    cert = certify_point(prog, prog.reconstruct(z, res.xi), res.dual, convex_objective=prog.convex_objective(z, res.xi))
    assert not cert.certified and any("does not interpolate" in f for f in cert.failures)


def test_interpolation_bad_inputs():
    x = np.array([0.0, 1.0, 1.0, 2.0])
    with pytest.raises(cvxnn.InvalidParameterError, match="takes no beta"):
        cvxnn.build(x[[0, 1, 3]], np.ones(3), cvxnn.TwoLayer("relu"), beta=0.1, mode="interpolation")
    with pytest.raises(cvxnn.InvalidDataError, match="one target per input point"):
        cvxnn.build(x, np.array([0.0, 1.0, 2.0, 3.0]), cvxnn.TwoLayer("relu"), mode="interpolation",
                    duplicates="merge")
    with pytest.raises(cvxnn.InvalidParameterError, match="mode"):
        cvxnn.build(x[[0, 1, 3]], np.ones(3), cvxnn.TwoLayer("relu"), beta=0.1, mode="interp")


def test_training_tends_to_interpolation_as_beta_shrinks():
    """As beta -> 0 the training optimum's l1 norm tends to the minimum interpolation norm from below."""
    x, y = (np.array(v, float) for v in TOY_SETS["opt"])
    norms = [cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=b).result.l1_norm for b in (1e-2, 1e-3, 1e-4)]
    assert norms[0] <= norms[1] + 1e-9 <= norms[2] + 2e-9
    assert norms[2] == pytest.approx(2.0, abs=1e-3)


def _min_l1_interpolation_by_linprog(F, y, intercept: bool) -> float:
    """min ||z||_1 s.t. F z (+ xi) = y, as an LP in (z+, z-, xi) solved by scipy directly."""
    from scipy.optimize import linprog

    n, k = F.shape
    A = np.hstack([F, -F] + ([np.ones((n, 1))] if intercept else []))
    c = np.r_[np.ones(2 * k), np.zeros(1 if intercept else 0)]
    bounds = [(0, None)] * (2 * k) + ([(None, None)] if intercept else [])
    res = linprog(c, A_eq=A, b_eq=y, bounds=bounds, method="highs")
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("initial_size", [1, 2, 5])
def test_column_generation_interpolation_starts_from_any_working_set(initial_size):
    """Column generation for the interpolation LP first adds columns until its working set can fit y exactly
    (a restricted LP that cannot fit y is infeasible and has no dual to price with), then reaches the LP optimum
    over the whole dictionary, here computed by scipy's linprog on the relu features built in the test."""
    from cvxnn.colgen import ColumnGenerationProgram

    rng = np.random.default_rng(41)
    x = np.sort(rng.uniform(-2.0, 2.0, 10))
    y = np.sin(2.0 * x) + 0.1 * rng.standard_normal(10)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu", formulation="dense", column_generation=True),
                       mode="interpolation")
    assert isinstance(prog, ColumnGenerationProgram)
    prog.initial_size, prog.add_per_round = initial_size, 2
    F = np.hstack([np.maximum(x[:, None] - x[None, :], 0.0), np.maximum(x[None, :] - x[:, None], 0.0)])
    start = prog._initial_working_set()
    assert start.size <= initial_size
    working = prog._interpolating_working_set(start)
    assert set(start) <= set(working)
    A = np.column_stack([prog.full_dictionary.columns(working), np.ones(10)])
    fit = A @ np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(fit, y, rtol=0, atol=1e-9)
    res = prog.solve()
    assert res.convex_objective == pytest.approx(_min_l1_interpolation_by_linprog(F, y, True), rel=1e-7)
    assert np.max(np.abs(res.network.predict(x[:, None]) - y)) < 1e-7


@pytest.mark.parametrize("column_generation", [False, True])
def test_targets_no_network_can_fit_get_a_clear_error(column_generation):
    """Without hidden biases a 1-D relu net is a x_+ + b (-x)_+: four generic targets cannot be fit, so
    minimum-norm interpolation has no solution. Both the whole LP and column generation say so in the caller's
    terms, with the residual of the closest fit (computed here by least squares on [x_+, (-x)_+])."""
    x = np.array([-1.0, 0.5, 2.0, 3.0])
    y = np.array([1.0, -2.0, 0.5, 4.0])
    arch = cvxnn.TwoLayer("relu", bias="none", formulation="dense", column_generation=column_generation)
    F = np.column_stack([np.maximum(x, 0.0), np.maximum(-x, 0.0)])
    r = y - F @ np.linalg.lstsq(F, y, rcond=None)[0]
    with pytest.raises(cvxnn.InvalidDataError) as info:
        cvxnn.train(x, y, arch, mode="interpolation")
    msg = str(info.value)
    assert "no relu two-layer network" in msg and "--interpolate" in msg and "--beta B" in msg
    assert f"residual of norm {np.linalg.norm(r):.3e}" in msg


def test_cli_interpolation_without_hidden_biases_exits_2(tmp_path):
    import subprocess
    import sys

    data = tmp_path / "four.csv"
    data.write_text("x,y\n-1,1\n0.5,-2\n2,0.5\n3,4\n")
    out = subprocess.run([sys.executable, "-m", "cvxnn", "solve", "--data", str(data), "--model", "two-layer",
                          "--activation", "relu", "--bias", "none", "--interpolate"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "cvxnn: error: minimum-norm interpolation" in out.stderr and "--interpolate" in out.stderr
    assert "Traceback" not in out.stderr
