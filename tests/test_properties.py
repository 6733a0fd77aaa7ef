"""Property tests on random small problems (hypothesis): a run called globally optimal is never beaten by a
network found independently, and a net that is beaten is never called globally optimal.

Independent computations, written here without cvxnn's dictionaries or oracles:

- a Lasso over a fine grid of units (breakpoints in 1-D, random directions in d = 2) solved with CVXPY: every
  feasible point of it is a network of the architecture (the unit with weights sqrt|z| and outer weight sign(z)
  sqrt|z| costs beta |z|), so its objective, evaluated exactly here, is an upper bound on the optimum;
- random networks of the architecture and small perturbations of the certified net, with the objective computed
  here from the definition (squared loss as a sum plus the weight decay of the architecture).

The tolerance is the certificate's own rule, written literally: 1e-9 + 1e-6 |objective|.
"""

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cvxnn

SETTINGS = dict(max_examples=15, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
ACTS = {"relu": lambda u: np.maximum(u, 0.0), "leaky": lambda u: np.maximum(u, 0.1 * u), "abs": np.abs}


def tol(p):
    return 1e-9 + 1e-6 * abs(p)


def two_layer_objective(X, y, W, b, alpha, xi, beta, act, penalised_bias):
    """(1/2)||f - y||^2 + (beta/2)(sum W^2 [+ sum b^2] + sum alpha^2), f = sum_j alpha_j sigma(W_j x + b_j) + xi."""
    f = ACTS[act](X @ W.T + b) @ alpha + xi
    pen = np.sum(W ** 2) + np.sum(alpha ** 2) + (np.sum(b ** 2) if penalised_bias else 0.0)
    return 0.5 * float(np.sum((f - y) ** 2)) + 0.5 * beta * float(pen)


def lasso_upper_bound(A, y, beta, intercept):
    """Solve the Lasso over the columns A with CVXPY and return its objective evaluated exactly at the solution
    (the objective of an actual network, whatever the solver's accuracy)."""
    z = cp.Variable(A.shape[1])
    xi = cp.Variable() if intercept else 0.0
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ z + xi - y) + beta * cp.norm1(z))).solve(solver=cp.CLARABEL)
    zv = np.asarray(z.value, dtype=np.float64)
    xv = float(xi.value) if intercept else 0.0
    return 0.5 * float(np.sum((A @ zv + xv - y) ** 2)) + beta * float(np.sum(np.abs(zv)))


def hidden_params(net):
    hidden, out = net.layers
    return hidden.weight, hidden.bias, out.weight[0], float(out.bias[0])


def check_never_beaten(tr, X, y, beta, act, penalised_bias, grid_columns, intercept, rng):
    cert = tr.certificate
    if not cert.globally_optimal:
        return
    p = cert.objective
    assert cert.lower_bound <= p + tol(p)
    # 1. the fine-grid Lasso (a restriction of training)
    grid = lasso_upper_bound(grid_columns, y, beta, intercept)
    assert p <= grid + tol(p)
    assert cert.lower_bound <= grid + tol(p)
    # 2. random nets of the architecture
    d = X.shape[1]
    for width in (1, 3, 8):
        for _ in range(5):
            W = rng.standard_normal((width, d))
            b = rng.standard_normal(width) if (intercept or penalised_bias) else np.zeros(width)
            alpha = rng.standard_normal(width) * 0.5
            xi = float(np.mean(y)) if intercept else 0.0
            q = two_layer_objective(X, y, W, b, alpha, xi, beta, act, penalised_bias)
            assert p <= q + tol(p)
    # 3. perturbations of the certified net
    W, b, alpha, xi = hidden_params(tr.network)
    assert two_layer_objective(X, y, W, b, alpha, xi, beta, act, penalised_bias) == pytest.approx(p, rel=1e-9,
                                                                                                   abs=1e-12)
    for scale in (1e-2, 1e-4):
        for _ in range(5):
            Wp = W + scale * rng.standard_normal(W.shape)
            bp = b + scale * rng.standard_normal(b.shape) if (intercept or penalised_bias) else b
            ap = alpha + scale * rng.standard_normal(alpha.shape)
            xp = xi + scale * rng.standard_normal() if intercept else xi
            q = two_layer_objective(X, y, Wp, bp, ap, xp, beta, act, penalised_bias)
            assert p <= q + tol(p)


def check_beaten_net_refused(tr, factor, drop):
    """A deliberately worse net (outer weights scaled, or a unit dropped): when the certified optimum beats it by
    more than the tolerance, certify_point must not call it globally optimal, whatever dual point it is given."""
    if not tr.certificate.globally_optimal or tr.network.width == 0:
        return
    net, prog = tr.network, tr.program
    hidden, out = net.layers
    keep = np.arange(hidden.weight.shape[0])
    if drop:
        keep = keep[keep != int(np.argmin(np.abs(out.weight[0])))]
    worse = cvxnn.Network([cvxnn.Layer(hidden.weight[keep], hidden.bias[keep], hidden.activation),
                           cvxnn.Layer(out.weight[:, keep] * factor, out.bias, out.activation)], net.penalty,
                          dict(net.meta))
    q = worse.objective(prog.X, prog.y)
    p = tr.certificate.objective
    if q <= p + tol(p):
        return  # not beaten by more than the tolerance: nothing to assert
    for lam in (tr.result.dual, prog.y - worse.predict(prog.X)):
        cert = cvxnn.certify_point(prog, worse, lam)
        assert not cert.globally_optimal and not cert.certified
        assert cert.dual_objective <= p + tol(p)  # and its lower bound is still below the optimum


xs_1d = st.lists(st.integers(-20, 20), min_size=3, max_size=6, unique=True).map(lambda v: np.sort(v) / 10.0)
betas = st.sampled_from([0.01, 0.05, 0.2, 1.0])


@settings(**SETTINGS)
@given(x=xs_1d, data=st.data(), act=st.sampled_from(sorted(ACTS)), beta=betas,
       seed=st.integers(0, 2 ** 16))
def test_1d_two_layer_never_beaten(x, data, act, beta, seed):
    y = np.array(data.draw(st.lists(st.integers(-20, 20), min_size=x.size, max_size=x.size))) / 10.0
    rng = np.random.default_rng(seed)
    tr = cvxnn.train(x, y, cvxnn.TwoLayer(act), beta=beta)
    c = np.linspace(x.min() - 1.0, x.max() + 1.0, 301)
    grid = np.hstack([ACTS[act](s * (x[:, None] - c[None, :])) for s in (1.0, -1.0)])
    check_never_beaten(tr, x.reshape(-1, 1), y, beta, act, False, grid, True, rng)
    check_beaten_net_refused(tr, factor=1 + rng.uniform(0.01, 0.5), drop=False)
    check_beaten_net_refused(tr, factor=1.0, drop=True)


@settings(**SETTINGS)
@given(pts=st.lists(st.tuples(st.integers(-10, 10), st.integers(-10, 10)), min_size=3, max_size=6, unique=True),
       data=st.data(), act=st.sampled_from(["relu", "abs"]), beta=betas, seed=st.integers(0, 2 ** 16))
def test_2d_two_layer_never_beaten(pts, data, act, beta, seed):
    X = np.array(pts, dtype=np.float64) / 10.0
    y = np.array(data.draw(st.lists(st.integers(-20, 20), min_size=len(pts), max_size=len(pts)))) / 10.0
    rng = np.random.default_rng(seed)
    tr = cvxnn.train(X, y, cvxnn.TwoLayer(act), beta=beta)  # bias 'penalized' (a ones column), no output bias
    U = rng.standard_normal((400, 3))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    grid = ACTS[act](np.hstack([X, np.ones((len(X), 1))]) @ U.T)
    check_never_beaten(tr, X, y, beta, act, True, grid, False, rng)
    check_beaten_net_refused(tr, factor=1 + rng.uniform(0.01, 0.5), drop=False)
    check_beaten_net_refused(tr, factor=1.0, drop=True)


@settings(**SETTINGS)
@given(x=xs_1d, data=st.data(), beta=betas, shift=st.floats(-5, 5), seed=st.integers(0, 2 ** 16))
def test_worse_nets_are_refused_with_any_dual_point(x, data, beta, shift, seed):
    """Random dual points, shifted by a constant: a net worse than the certified optimum by more than the tolerance
    is never called globally optimal."""
    y = np.array(data.draw(st.lists(st.integers(-20, 20), min_size=x.size, max_size=x.size))) / 10.0
    rng = np.random.default_rng(seed)
    tr = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=beta)
    if not tr.globally_optimal:
        return
    p = tr.certificate.objective
    net = tr.network
    hidden, out = net.layers
    worse = cvxnn.Network([hidden, cvxnn.Layer(out.weight, out.bias + 0.05 + 0.1 * rng.random(), out.activation)],
                          net.penalty, dict(net.meta))
    q = worse.objective(x, y)
    assert q > p + tol(p)  # shifting the output bias of an optimum off the mean residual costs n delta^2 / 2
    for lam in (rng.standard_normal(x.size), tr.result.dual + shift, y - worse.predict(x) + shift):
        cert = cvxnn.certify_point(tr.program, worse, lam)
        assert not cert.globally_optimal
        assert cert.dual_objective <= p + tol(p)
