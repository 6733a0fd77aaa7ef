"""The certificate: an independent dense-grid evaluation of the dual constraint, and cases that must FAIL."""

import numpy as np
import pytest

import cvxnn
from cvxnn import Layer, Network, certify_point
from cvxnn.data import noisy_sine

from .conftest import ACTIVATIONS


def _sigma(name, u):
    # written out here on purpose: no cvxnn activation or dictionary code
    return {"relu": np.maximum(u, 0), "leaky": np.maximum(u, 0.1 * u), "abs": np.abs(u)}[name]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dual_sup_agrees_with_dense_grid(activation, trained_by_activation, sine12):
    """Grid over breakpoints inside and far outside the data range, both orientations, and random unnormalised
    units (w, b): none exceeds the certificate's sup, and the grid's max comes within its resolution of it."""
    x, y = sine12
    t = trained_by_activation[activation]
    lam = t.result.dual - t.result.dual.mean()
    c = np.linspace(x.min() - 50, x.max() + 50, 200_001)
    grid = max(np.max(np.abs(lam @ _sigma(activation, s * (x[:, None] - c[None, :])))) for s in (1.0, -1.0))
    sup, _ = t.program.dual_sup(lam)
    assert grid <= sup * (1 + 1e-12) + 1e-14
    lipschitz = np.sum(np.abs(lam))  # |d/dc lam^T sigma(s(x - c))| <= sum |lam_i|
    assert grid >= sup - lipschitz * (c[1] - c[0])
    # the certified dual constraint: the sup is beta (active units) to solver precision
    beta = t.program.beta.value
    assert abs(sup / beta - 1) < 1e-6 and abs(t.certificate.dual_violation - sup / beta) < 1e-12
    rng = np.random.default_rng(0)
    w = rng.normal(size=5000) * 10.0 ** rng.uniform(-3, 3, 5000)
    b = rng.normal(size=5000) * 10.0 ** rng.uniform(-3, 3, 5000)
    scores = np.abs(lam @ _sigma(activation, np.outer(x, w) + b))
    assert np.all(scores <= np.abs(w) * beta * (1 + 1e-6) + 1e-12)


def test_dual_bound_below_any_network(sine12, trained_by_activation):
    """Weak duality: the certified lower bound is below the objective of arbitrary networks of any width."""
    x, y = sine12
    t = trained_by_activation["relu"]
    bound = t.certificate.dual_objective
    rng = np.random.default_rng(1)
    pen = t.network.penalty
    for width in (1, 5, 50):
        for _ in range(20):
            net = Network([Layer(rng.normal(size=(width, 1)), rng.normal(size=width), cvxnn.Activation("relu")),
                           Layer(rng.normal(size=(1, width)) * 0.3, [rng.normal()], cvxnn.Activation("identity"))],
                          pen)
            assert net.objective(x, y) >= bound - 1e-12


def _net_with_units(net, keep):
    hidden, out = net.layers
    return Network([Layer(hidden.weight[keep], hidden.bias[keep], hidden.activation),
                    Layer(out.weight[:, keep], out.bias, out.activation)], net.penalty, net.meta)


def test_perturbed_solution_not_certified(trained_by_activation):
    t = trained_by_activation["abs"]
    prog, res = t.program, t.result
    z = res.z.copy()
    j = int(np.argmax(np.abs(z)))
    z[j] *= 1.01
    net = prog.reconstruct(z, res.xi)
    cert = certify_point(prog, net, res.dual, convex_objective=prog.convex_objective(z, res.xi))
    assert not cert.certified and not cert.globally_optimal
    assert any("certified gap" in f for f in cert.failures)


def test_too_narrow_network_not_certified(trained_by_activation):
    t = trained_by_activation["relu"]
    net = t.network
    assert net.width >= 2
    smallest = int(np.argmin(np.abs(net.layers[1].weight[0])))
    narrow = _net_with_units(net, [i for i in range(net.width) if i != smallest])
    cert = certify_point(t.program, narrow, t.result.dual, convex_objective=t.result.convex_objective)
    assert not cert.certified
    # the residual of the narrow net as dual point does not certify it either
    lam = t.program.y - narrow.predict(t.program.X)
    assert not certify_point(t.program, narrow, lam).certified


@pytest.mark.parametrize("factor,expected", [(10.0, False), (0.1, True)])
def test_gap_threshold(trained_by_activation, factor, expected):
    """Raising the objective by `factor` times the tolerance flips the verdict exactly at the tolerance. The rule is
    written here as literal numbers (certified gap <= 1e-9 + 1e-6 |objective|), not imported: a loosened or
    tightened tolerance in the library fails this test."""
    t = trained_by_activation["leaky"]
    x, y = t.program.X, t.program.y
    net = t.network
    p = net.objective(x, y)
    tol = 1e-9 + 1e-6 * abs(p)
    # residual sums to zero at the optimum, so shifting xi by delta adds n delta^2 / 2 to the loss
    delta = np.sqrt(2 * factor * tol / len(y))
    shifted = Network([net.layers[0], Layer(net.layers[1].weight, net.layers[1].bias + delta,
                                            net.layers[1].activation)], net.penalty)
    cert = certify_point(t.program, shifted, t.result.dual)
    assert cert.certified_gap == pytest.approx(t.certificate.certified_gap + factor * tol, rel=0.02)
    assert cert.certified is expected


def test_low_accuracy_is_not_certified(sine12):
    x, y = noisy_sine(40, seed=1)
    for solver in ("clarabel", "scs"):
        t = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.01, solver=solver, accuracy="low")
        assert not t.certificate.certified, (solver, t.certificate)
        assert not t.globally_optimal
        assert t.result.run.status in ("optimal", "optimal_inaccurate")  # the solver claims success anyway


def test_residual_dual_when_solver_gives_none(trained_by_activation):
    """Without a solver dual the residual y - f(X) is used; it still certifies an accurate optimum."""
    t = trained_by_activation["relu"]
    res = t.result
    res_nodual = type(res)(res.run, res.z, res.xi, None, res.convex_objective, res.l1_norm, res.network, res.beta)
    cert = cvxnn.certify(t.program, res_nodual)
    assert cert.dual_source == "residual"
    assert cert.certified_gap >= t.certificate.certified_gap - 1e-12
