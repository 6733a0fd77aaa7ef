"""The certificate's rules, with every number written here literally (nothing imported from the library):

- a free output bias makes the dual constraint 1^T lam = 0, so the certificate centres lam: certify_point(lam + c)
  equals certify_point(lam) for every constant c; without an output bias it must not centre;
- certified gap (from the scaled feasible dual) <= 1e-9 + 1e-6 |objective|;
- for a solve, |objective - convex optimum| <= 1e-9 + 1e-6 |convex optimum|;
- in interpolation mode, max |f(x_i) - y_i| <= 1e-7 max(1, max |y|).
"""

import functools

import numpy as np
import pytest

import cvxnn
from cvxnn.data import noisy_sine


def cloud(seed, n, d):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (n, d)), rng.standard_normal(n)


FREE_BIAS_MODELS = {
    "two-layer relu": lambda: (*noisy_sine(10, seed=1), cvxnn.TwoLayer("relu")),
    "two-layer sign": lambda: (*noisy_sine(10, seed=2), cvxnn.TwoLayer("sign")),
    "deep-1d relu": lambda: (*noisy_sine(10, seed=3), cvxnn.Deep1D(3, "relu")),
    "deep-1d abs": lambda: (*noisy_sine(9, seed=4), cvxnn.Deep1D(3, "abs")),
    "wedge d=2": lambda: (*cloud(5, 7, 2), cvxnn.TwoLayer("abs", inner_norm="l1")),
    "deep-abs l1 d=2": lambda: (*cloud(6, 6, 2), cvxnn.DeepAbs(3, inner_norm="l1")),
    "deep-abs l2 d=2": lambda: (*cloud(7, 6, 2), cvxnn.DeepAbs(3, inner_norm="l2")),
}


@functools.lru_cache(maxsize=None)
def trained(name):
    X, y, arch = FREE_BIAS_MODELS[name]()
    return cvxnn.train(X, y, arch, beta=0.05)


def same_certificate(a, b):
    for field in ("certified_gap", "dual_objective", "dual_violation", "dual_scale", "objective"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-9, abs=1e-12), field
    assert a.certified == b.certified and a.globally_optimal == b.globally_optimal


@pytest.mark.parametrize("name", sorted(FREE_BIAS_MODELS))
def test_a_constant_added_to_the_dual_point_changes_nothing_with_a_free_output_bias(name):
    tr = trained(name)
    prog, net = tr.program, tr.network
    assert prog.has_output_bias
    rng = np.random.default_rng(0)
    points = [tr.result.dual, prog.y - net.predict(prog.X), rng.standard_normal(prog.X.shape[0])]
    for lam in points:
        base = cvxnn.certify_point(prog, net, lam)
        for c in (1.0, -3.7, 100.0):
            same_certificate(cvxnn.certify_point(prog, net, lam + c), base)
    # the solver's dual certifies the optimum whatever constant is added to it
    shifted = cvxnn.certify_point(prog, net, tr.result.dual + 5.0, convex_objective=tr.result.convex_objective)
    assert shifted.globally_optimal and tr.certificate.globally_optimal


@pytest.mark.parametrize("X,arch", [
    (np.linspace(-2, 2, 10), cvxnn.TwoLayer("relu", bias="none")),
    (cloud(8, 7, 2)[0], cvxnn.TwoLayer("relu", bias="penalized")),
    (cloud(9, 7, 2)[0], cvxnn.TwoLayer("abs", bias="none")),
], ids=["1d-relu-none", "2d-relu-penalized", "2d-abs-none"])
def test_without_an_output_bias_the_dual_point_is_not_centred(X, arch):
    """No output bias: 1^T lam = 0 is not a dual constraint, lam + c is a different dual point, and centring it
    would be wrong (it could give a bound the net does not satisfy)."""
    y = np.sin(np.asarray(X).reshape(len(X), -1).sum(axis=1) * 2)
    tr = cvxnn.train(X, y, arch, beta=0.05)
    prog, net = tr.program, tr.network
    assert not prog.has_output_bias and tr.globally_optimal
    lam = tr.result.dual
    base = cvxnn.certify_point(prog, net, lam)
    for c in (0.5, -1.0):
        other = cvxnn.certify_point(prog, net, lam + c)
        assert abs(other.dual_objective - base.dual_objective) > 1e-3 * abs(base.dual_objective)
        assert other.dual_objective < base.dual_objective  # the optimal dual point is the best one
    # weak duality still holds for the shifted point: its bound is below the certified optimum
    assert cvxnn.certify_point(prog, net, lam + 0.5).dual_objective <= tr.certificate.objective + 1e-12


def test_tolerances_reported_are_the_documented_numbers():
    tr = trained("two-layer relu")
    assert tr.certificate.tolerances == {"abs": 1e-9, "rel": 1e-6, "reconstruction": 1e-6}
    interp = cvxnn.train(*noisy_sine(8, seed=3), cvxnn.TwoLayer("relu"), mode="interpolation")
    assert interp.certificate.tolerances == {"abs": 1e-9, "rel": 1e-6, "reconstruction": 1e-6, "fit": 1e-7}


@pytest.mark.parametrize("factor,expected", [(10.0, False), (0.1, True)])
def test_reconstruction_gap_threshold(factor, expected):
    """|objective - convex optimum| <= 1e-9 + 1e-6 |convex optimum|: a claimed convex optimum below the net's
    objective by 10x that tolerance is refused, by 0.1x accepted (the certified gap is unaffected)."""
    tr = trained("two-layer relu")
    prog, net = tr.program, tr.network
    p = net.objective(prog.X, prog.y)
    # solve p - c = factor * (1e-9 + 1e-6 c) for c
    c = (p - factor * 1e-9) / (1 + factor * 1e-6)
    cert = cvxnn.certify_point(prog, net, tr.result.dual, convex_objective=c)
    assert (p - c) == pytest.approx(factor * (1e-9 + 1e-6 * c), rel=1e-6)
    assert cert.certified is expected
    assert any("reconstruction gap" in f for f in cert.failures) is (not expected)


@pytest.mark.parametrize("factor,expected", [(10.0, False), (0.1, True)])
def test_interpolation_fit_threshold(factor, expected):
    """max |f(x_i) - y_i| <= 1e-7 max(1, max |y|): shifting the output bias of a minimum-norm interpolant by 10x
    that tolerance is refused, by 0.1x accepted (the weight cost, hence the certified gap, is unchanged)."""
    x, y = noisy_sine(8, seed=3)
    y = 3.0 * y  # max |y| > 1, so the relative part of the rule counts
    tr = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), mode="interpolation")
    assert tr.globally_optimal
    net = tr.network
    delta = factor * 1e-7 * max(1.0, float(np.max(np.abs(y))))
    out = net.layers[-1]
    shifted = cvxnn.Network(net.layers[:-1] + [cvxnn.Layer(out.weight, out.bias + delta, out.activation)],
                            net.penalty, net.meta)
    cert = cvxnn.certify_point(tr.program, shifted, tr.result.dual)
    assert cert.fit_error == pytest.approx(delta, rel=1e-2)
    assert cert.certified is expected
