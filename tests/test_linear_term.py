"""The free linear (skip) term of 1-D models, f(x) + c x with c unpenalised: exact in the program (one free column),
in the certificate (the dual point is made orthogonal to x as well as to the ones), in the rebuilt network (a
skip term that predict, save/load and torch carry), and in certify_network (interpolation mode included)."""

import numpy as np
import pytest

import cvxnn
from cvxnn.certify import certify_point
from cvxnn.data import noisy_sine

from .conftest import require

GRID = np.arange(17) / 16


def test_x_squared_costs_one_minus_2_to_the_minus_4_with_a_linear_term_at_every_depth():
    """Minimum l1 of an exact fit of x^2 on k/16 (closed forms): 1 - 2^-4 with a free linear term, 2 - 2^-4 with the
    intercept alone (the linear part x then costs 1 more), for depth 2, 3 and 4."""
    y = GRID ** 2
    for depth in (2, 3, 4):
        make = (lambda **k: cvxnn.TwoLayer("abs", **k)) if depth == 2 else (lambda **k: cvxnn.Deep1D(depth, "abs", **k))
        with_term = cvxnn.train(GRID, y, make(linear_term=True), mode="interpolation")
        without = cvxnn.train(GRID, y, make(), mode="interpolation")
        assert with_term.certificate.globally_optimal and without.certificate.globally_optimal
        assert with_term.result.convex_objective == pytest.approx(1 - 2.0 ** -4, rel=1e-9)
        assert without.result.convex_objective == pytest.approx(2 - 2.0 ** -4, rel=1e-9)
        net = with_term.network
        assert net.linear is not None and np.max(np.abs(net.predict(GRID) - y)) < 1e-8


@pytest.mark.parametrize("arch", [cvxnn.TwoLayer("relu", linear_term=True), cvxnn.TwoLayer("abs", linear_term=True),
                                  cvxnn.Deep1D(3, "relu", linear_term=True), cvxnn.Deep1D(3, "abs", linear_term=True)],
                         ids=["relu", "abs", "deep-relu", "deep-abs"])
def test_training_with_a_linear_term_is_certified_and_never_worse(arch):
    x, y = noisy_sine(14, seed=2)
    y = y + 1.5 * x  # a strong linear trend
    t = cvxnn.train(x, y, arch, beta=0.05)
    plain = cvxnn.train(x, y, type(arch)(**{**arch.__dict__, "linear_term": False}), beta=0.05)
    assert t.certificate.globally_optimal
    assert t.certificate.objective <= plain.certificate.objective + 1e-9  # more freedom, never a higher optimum
    # the network's objective is computed here: loss + its own penalty, the skip term unpenalised
    net = t.network
    assert net.linear is not None
    assert t.certificate.objective == pytest.approx(0.5 * np.sum((net.predict(x) - y) ** 2) + net.penalty_value(),
                                                    rel=1e-12)
    # the dual point is orthogonal to x and to the ones (the free directions)
    lam = t.result.dual
    assert abs(lam.sum()) < 1e-6 * np.abs(lam).sum() and abs(lam @ x) < 1e-6 * np.abs(lam).sum() * np.abs(x).max()


def test_certificate_projects_the_dual_point_off_x():
    """certify_point(lam + a + b x) == certify_point(lam) with a linear term; without one, adding b x changes it."""
    x, y = noisy_sine(12, seed=3)
    t = cvxnn.train(x, y, cvxnn.TwoLayer("abs", linear_term=True), beta=0.05)
    lam = t.result.dual
    a = certify_point(t.program, t.network, lam)
    b = certify_point(t.program, t.network, lam + 0.3 + 0.7 * x)
    assert b.dual_objective == pytest.approx(a.dual_objective, rel=1e-10, abs=1e-14)
    plain = cvxnn.train(x, y, cvxnn.TwoLayer("abs"), beta=0.05)
    c = certify_point(plain.program, plain.network, plain.result.dual + 0.7 * x)
    assert c.dual_objective < plain.certificate.dual_objective - 1e-6


def test_linear_term_is_refused_where_it_is_not_exact():
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(cvxnn.UnsupportedCombinationError, match="linear_term"):
        cvxnn.build(X, X[:, 0], cvxnn.TwoLayer("relu", linear_term=True), beta=0.1)
    with pytest.raises(cvxnn.InvalidParameterError, match="linear_term must be True or False"):
        cvxnn.TwoLayer("relu", linear_term="yes")


def test_skip_term_survives_save_load_and_torch(tmp_path):
    x, y = noisy_sine(10, seed=1)
    net = cvxnn.train(x, y + x, cvxnn.TwoLayer("relu", linear_term=True), beta=0.05).network
    path = net.save(tmp_path / "net.npz")
    back = cvxnn.Network.load(path)
    grid = np.linspace(-3, 3, 101)
    np.testing.assert_array_equal(back.predict(grid), net.predict(grid))
    assert back.linear is not None and back.linear[0] == net.linear[0]
    torch = require("torch")
    module = net.to_torch()
    with torch.no_grad():
        out = module(torch.tensor(grid.reshape(-1, 1)))[:, 0].numpy()
    np.testing.assert_allclose(out, net.predict(grid), atol=1e-12)


def test_a_saved_net_with_a_linear_term_certifies(tmp_path):
    x, y = noisy_sine(12, seed=4)
    t = cvxnn.train(x, y + 2 * x, cvxnn.Deep1D(3, "relu", linear_term=True), beta=0.05)
    t.network.save(tmp_path / "net.npz")
    c = cvxnn.certify_network(cvxnn.Network.load(tmp_path / "net.npz"), x, y + 2 * x, 0.05)
    assert c.certificate.globally_optimal and c.architecture.linear_term
    assert c.objective == pytest.approx(t.certificate.objective, rel=1e-12)


def test_interpolation_certificate_of_a_given_net():
    """mode='interpolation': the net must fit the data; its weight cost is bounded below by the LP dual."""
    y = GRID ** 2
    t = cvxnn.train(GRID, y, cvxnn.Deep1D(3, "abs", linear_term=True), mode="interpolation")
    c = cvxnn.certify_network(t.network, GRID, y, mode="interpolation")
    assert c.certificate.globally_optimal and c.certificate.mode == "interpolation"
    assert c.objective == pytest.approx(1 - 2.0 ** -4, rel=1e-9)
    # a net that does not interpolate is refused, whatever its weight cost
    off = cvxnn.certify_network(t.network, GRID, y + 0.01 * np.sin(40 * GRID), mode="interpolation")
    assert not off.certificate.certified
    with pytest.raises(cvxnn.InvalidParameterError, match="takes no beta"):
        cvxnn.certify_network(t.network, GRID, y, beta=0.1, mode="interpolation")


@pytest.mark.slow
def test_yarotskys_depth_5_chain_for_x_squared_is_certified_optimal():
    """x^2 = x - sum_s g_s(x) / 4^s on k/16 (g_s the s-fold tooth): four parallel absolute-value chains of depth 5
    plus a linear term, built here from the closed form, cost 1/2 + 1/4 + 1/8 + 1/16; the depth-5 dictionary is over
    the budget, so the vertex oracle is streamed. (About a minute on 2 cores.)"""
    from cvxnn.models.chains_1d import AbsChainDictionary1D

    y = GRID ** 2
    params = np.zeros((4, 4))
    for s in range(1, 5):
        params[s - 1, :s] = [2.0 ** -k for k in range(1, s + 1)]
    z = np.array([2.0 ** -s for s in range(1, 5)])
    net = AbsChainDictionary1D(GRID, params, 5).to_network(z, -sum(4.0 ** -s for s in range(1, 5)), y, 1.0, "free",
                                                          cvxnn.Deep1D(5, "abs"))
    net.linear = np.array([1.0])
    assert np.max(np.abs(net.predict(GRID) - y)) < 1e-15
    c = cvxnn.certify_network(net, GRID, y, mode="interpolation")
    assert c.certificate.globally_optimal and c.objective == pytest.approx(0.9375, rel=1e-12)
    assert c.lower_bound == pytest.approx(0.9375, rel=1e-9)
