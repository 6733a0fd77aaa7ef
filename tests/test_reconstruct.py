"""The rebuilt network's layered forward pass reproduces the convex optimum (theory: "Two-layer nets on 1-D data")."""

import numpy as np
import pytest

import cvxnn
from cvxnn.data import TOY_SETS, noisy_sine

from .conftest import ACTIVATIONS, rel


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("bias", ["free", "none"])
@pytest.mark.parametrize("seed", [0, 3])
def test_network_objective_equals_convex_optimum(activation, bias, seed):
    x, y = noisy_sine(15, seed=seed)
    t = cvxnn.train(x, y, cvxnn.TwoLayer(activation, bias=bias), beta=0.03)
    net = t.network
    # the forward pass is the real layered net: recompute it by hand from the stored weights
    W1, b1 = net.layers[0].weight, net.layers[0].bias
    alpha, xi = net.layers[1].weight[0], net.layers[1].bias[0]
    act = cvxnn.Activation(activation, 0.1)
    manual = act(np.outer(x, W1[:, 0]) + b1) @ alpha + xi
    np.testing.assert_allclose(net.predict(x), manual, rtol=0, atol=1e-12)
    manual_obj = 0.5 * np.sum((manual - y) ** 2) + 0.03 / 2 * (np.sum(W1**2) + np.sum(alpha**2))
    assert rel(net.objective(x, y), manual_obj) < 1e-12
    assert rel(net.objective(x, y), t.result.convex_objective) < 1e-6
    assert t.certificate.globally_optimal
    if bias == "none":
        assert np.all(b1 == 0) and xi == 0
    # l1_norm is the convex penalty / beta and equals (1/2) * sum of squared weights of the rebuilt net
    assert rel(t.result.l1_norm, 0.5 * (np.sum(W1**2) + np.sum(alpha**2))) < 1e-6


def test_unit_is_the_dictionary_column():
    """Each hidden unit reproduces z_j * sigma(s_j (x - c_j)) exactly (the reconstruction formula)."""
    x, y = noisy_sine(10, seed=5)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("leaky"), beta=0.02)
    res = prog.solve()
    net = res.network
    cols = net.meta["dictionary_columns"]
    H = net.layers[0].forward(x.reshape(-1, 1)) * net.layers[1].weight[0]
    # column j written here from its breakpoint and orientation: leaky(s (x - c)) = max(s (x - c), 0.1 s (x - c))
    s, c = prog.dictionary.orientations[cols], prog.dictionary.breakpoints[cols]
    u = s[None, :] * (x[:, None] - c[None, :])
    np.testing.assert_allclose(H, np.maximum(u, 0.1 * u) * res.z[cols], atol=1e-12)


def test_large_beta_closed_form():
    """Closed form: z = 0 is optimal iff beta >= max_j |A_j^T (y - mean y)|; then f = mean(y)."""
    x, y = np.array(TOY_SETS["opt"][0], float), np.array(TOY_SETS["opt"][1], float)
    yc = y - y.mean()
    # independent of the library: the relu features at data breakpoints, both orientations
    feats = np.concatenate([np.maximum(x[:, None] - x[None, :], 0), np.maximum(x[None, :] - x[:, None], 0)], axis=1)
    beta_max = np.max(np.abs(feats.T @ yc))
    t = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=1.001 * beta_max)
    assert t.network.width == 0
    assert rel(t.network.objective(x, y), 0.5 * yc @ yc) < 1e-9
    np.testing.assert_allclose(t.network.predict(x), y.mean(), atol=1e-8)
    assert t.certificate.globally_optimal
    t2 = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.9 * beta_max)
    assert t2.network.width >= 1 and t2.network.objective(x, y) < 0.5 * yc @ yc - 1e-6


def test_dual_vector_is_the_residual():
    """The solver's dual vector is lambda = y - f(X) at the optimum (the sign convention of theory: "Certificates")."""
    x, y = noisy_sine(12, seed=2)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu"), beta=0.05)
    res = prog.solve()
    np.testing.assert_allclose(res.dual, y - res.network.predict(x), atol=1e-6)
    assert abs(res.dual.sum()) < 1e-6  # free output bias: 1^T lambda = 0


def test_beta_path_reuses_the_program():
    """beta is a Parameter: re-solving after set_beta equals a fresh build."""
    x, y = noisy_sine(12, seed=4)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("abs"), beta=0.5)
    prog.solve()
    prog.set_beta(0.02)
    res = prog.solve()
    fresh = cvxnn.train(x, y, cvxnn.TwoLayer("abs"), beta=0.02)
    assert rel(res.convex_objective, fresh.result.convex_objective) < 1e-7
    assert res.network.penalty.beta == 0.02
    assert cvxnn.certify(prog, res).globally_optimal


def test_inputs_are_not_mutated():
    x, y = noisy_sine(10, seed=1)
    x0, y0 = x.copy(), y.copy()
    xr = x[::-1].copy()
    yr = y[::-1].copy()
    t = cvxnn.train(xr, yr, cvxnn.TwoLayer("relu"), beta=0.05)
    np.testing.assert_array_equal(xr, x0[::-1])
    np.testing.assert_array_equal(yr, y0[::-1])
    # unsorted input gives the same optimum as sorted input
    t2 = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.05)
    assert rel(t.result.convex_objective, t2.result.convex_objective) < 1e-7
