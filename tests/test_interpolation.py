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
