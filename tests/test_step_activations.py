"""sign / threshold nets (theory: "Two-layer nets on 1-D data"): the two exact objectives, why plain weight decay is not
offered, and nonconvex training with a smooth surrogate evaluated with the hard activation.

sign and threshold units are scale invariant: sigma(t u) = sigma(u) for t > 0. The two exact objectives (w, b and the
output bias xi unpenalised) are

    (A) 'l1-outer':  f = sum_i alpha_i sigma(w_i x + b_i) + xi,      (1/2)||f - y||^2 + beta sum_i |alpha_i|
    (B) 'amplitude': f = sum_i alpha_i s_i sigma(w_i x + b_i) + xi,  (1/2)||f - y||^2 + (beta/2) sum (alpha_i^2 + s_i^2)

and both equal the Lasso min (1/2)||A z + xi - y||^2 + beta ||z||_1 over one breakpoint per gap between data points.

Everything that defines the objectives, the activations, the dictionary and the dual bound is written out here in
NumPy on purpose (no cvxnn activation, dictionary or certificate code), so that these tests check cvxnn rather than
repeat it. Tests 1 and 2 need no torch; test 3 imports torch lazily (skips locally without it, FAILS in CI).
"""

import math
import time

import numpy as np
import pytest

import cvxnn
from cvxnn.data import noisy_sine

from .conftest import require

STEP_ACTIVATIONS = ("sign", "threshold")
OBJECTIVES = ("amplitude", "l1-outer")


# ----------------------------------------------------------------------------------------------- NumPy reference
def _sigma(u, activation):
    u = np.asarray(u, dtype=np.float64)
    if activation == "sign":
        return np.sign(u)  # sign(0) = 0
    if activation == "threshold":
        return (u >= 0).astype(np.float64)  # 1{u >= 0}
    raise ValueError(activation)


def _gap_dictionary(x, activation):
    """Columns sigma(x - c_j) at the gap midpoints c_j (the exact dictionary of theory: "Two-layer nets on 1-D data"),
    written independently."""
    xs = np.unique(x)
    c = 0.5 * (xs[:-1] + xs[1:])
    return _sigma(x[:, None] - c[None, :], activation), c


def _objective(x, y, w, b, alpha, xi, beta, activation, objective, s=None):
    """Per-start exact objective (A) / (B) or plain weight decay ('plain-wd'), float64 NumPy.

    w, b, alpha (and s for 'amplitude'): (S, m) or (m,); xi: (S,) or scalar. Returns (S,) (or a 0-d array).
    plain-wd: f = sum alpha_i sigma(w_i x + b_i) + xi with (beta/2) sum_i (w_i^2 + alpha_i^2).
    """
    w, b, alpha = (np.asarray(a, dtype=np.float64) for a in (w, b, alpha))
    xi = np.asarray(xi, dtype=np.float64)
    H = _sigma(w[..., None, :] * x[:, None] + b[..., None, :], activation)  # (S, n, m)
    outer = alpha * s if objective == "amplitude" else alpha
    f = np.sum(H * outer[..., None, :], axis=-1) + xi[..., None]
    loss = 0.5 * np.sum((f - y) ** 2, axis=-1)
    if objective == "amplitude":
        return loss + 0.5 * beta * (np.sum(alpha ** 2, axis=-1) + np.sum(s ** 2, axis=-1))
    if objective == "l1-outer":
        return loss + beta * np.sum(np.abs(alpha), axis=-1)
    if objective == "plain-wd":
        return loss + 0.5 * beta * (np.sum(w ** 2, axis=-1) + np.sum(alpha ** 2, axis=-1))
    raise ValueError(objective)


def _dual_sup(lam, x, activation):
    """sup over ALL units (any w, b) of |lam^T sigma(w x + b)| for a centred lam, by enumeration: breakpoints at the
    gap midpoints (constant inside a gap), exactly AT the data points (sign(0) = 0 / 1{0 >= 0} = 1) and outside
    the data range (constants, which a centred lam annihilates up to roundoff), both orientations. w = 0 is a
    constant too."""
    xs = np.unique(x)
    c = np.concatenate([0.5 * (xs[:-1] + xs[1:]), xs, [xs[0] - 1.0, xs[-1] + 1.0]])
    return max(float(np.max(np.abs(lam @ _sigma(o * (x[:, None] - c[None, :]), activation)))) for o in (1.0, -1.0))


def _dual_value(lam, y, beta, sup):
    """D(t lam) for the best feasible t: a lower bound on every network's objective (A) or (B), of any width."""
    lam_sq = float(lam @ lam)
    t = max(float(lam @ y) / lam_sq, 0.0)
    if sup > 0:
        t = min(t, beta / sup)
    return t * float(lam @ y) - 0.5 * t * t * lam_sq


def _exact_lasso_optimum(x, y, activation, beta, z0):
    """Polish cvxnn's solution to machine precision: on the support and signs of z0, the Lasso optimum solves a
    linear system (the KKT conditions); its residual, centred, is then checked to be dual feasible over ALL units.
    Returns (primal objective, rigorous dual lower bound, z, xi). primal - lower is ~1e-16: an exact optimum, which
    the 'never below the optimum by 1e-9' check needs (Clarabel's own duality gap is ~1e-9 relative here)."""
    A, _ = _gap_dictionary(x, activation)
    z0 = np.asarray(z0, dtype=np.float64)
    S = np.flatnonzero(np.abs(z0) > 1e-6 * np.max(np.abs(z0)))
    sgn = np.sign(z0[S])
    M = np.column_stack([A[:, S], np.ones(x.size)])
    sol = np.linalg.solve(M.T @ M, M.T @ y - beta * np.concatenate([sgn, [0.0]]))
    z = np.zeros_like(z0)
    z[S] = sol[:-1]
    xi = float(sol[-1])
    assert np.array_equal(np.sign(z[S]), sgn), "the polished solution changed sign: the support guess was wrong"
    r = y - A @ z - xi
    primal = 0.5 * float(r @ r) + beta * float(np.sum(np.abs(z)))
    lam = r - r.mean()
    sup = _dual_sup(lam, x, activation)
    assert sup <= beta * (1 + 1e-9), (sup, beta)  # KKT: the polished point is optimal
    lower = _dual_value(lam, y, beta, sup)
    assert primal - lower <= 1e-13 * max(1.0, primal), (primal, lower)
    return primal, lower, z, xi


def _units(net, objective):
    """(w, b, outer, xi) with f = sum_i outer_i sigma(w_i x + b_i) + xi, from a cvxnn step network's layers
    (outer = alpha for 'l1-outer', alpha_i s_i for 'amplitude'); also checks the documented layer structure."""
    hidden = net.layers[0]
    assert hidden.weight.shape[1] == 1 and hidden.bias.shape == (hidden.weight.shape[0],)
    if objective == "amplitude":
        assert len(net.layers) == 3
        amp, out = net.layers[1], net.layers[2]
        m = hidden.weight.shape[0]
        assert amp.weight.shape == (m, m) and amp.activation.name == "identity"
        assert np.array_equal(amp.weight, np.diag(np.diag(amp.weight))), "amplitude layer is not diagonal"
        assert np.array_equal(amp.bias, np.zeros(m)), "amplitude layer has a bias"
        outer = out.weight[0] * np.diag(amp.weight)
    else:
        assert len(net.layers) == 2
        out = net.layers[1]
        outer = out.weight[0].copy()
    assert out.weight.shape == (1, hidden.weight.shape[0]) and out.bias.shape == (1,)
    assert out.activation.name == "identity"
    return hidden.weight[:, 0].copy(), hidden.bias.copy(), outer, float(out.bias[0])


def _manual_forward(net, X):
    """h = activation(W h + b) layer by layer, activations written out here."""
    H = np.asarray(X, dtype=np.float64).reshape(-1, 1)
    for layer in net.layers:
        U = H @ layer.weight.T + layer.bias
        name = layer.activation.name
        H = U if name == "identity" else _sigma(U, name)
    return H[:, 0]


def _train(x, y, activation, objective, beta=0.05):
    t = cvxnn.train(x, y, cvxnn.TwoLayer(activation, sign_objective=objective), beta=beta)
    assert t.network.meta.get("sign_objective") == objective
    return t


@pytest.fixture(scope="module")
def sine12_step():
    """noisy_sine(12, seed 0), beta = 0.05: one certified solve per (activation, objective)."""
    x, y = noisy_sine(12, seed=0)
    return x, y, 0.05, {(a, o): _train(x, y, a, o, 0.05) for a in STEP_ACTIVATIONS for o in OBJECTIVES}


# ------------------------------------------------------------------------------ 1. exact objectives, both forms
@pytest.mark.parametrize("activation", STEP_ACTIVATIONS)
def test_exact_objectives_match_convex_optimum(activation, sine12_step):
    x, y, beta, trained = sine12_step
    A, c = _gap_dictionary(x, activation)
    exact, lower, _, _ = _exact_lasso_optimum(x, y, activation, beta, trained[(activation, "l1-outer")].result.z)
    grid = np.concatenate([x, c, np.linspace(-3.0, 3.0, 121)])  # data points, gap midpoints, beyond the range
    preds = {}
    for objective in OBJECTIVES:
        t = trained[(activation, objective)]
        net = t.network
        opt = t.result.convex_objective
        assert t.certificate.globally_optimal, t.certificate.summary()
        assert net.layers[0].activation.name == activation
        # the convex objective is the Lasso at (z, xi), on a dictionary built here; and it is the exact optimum
        res = y - A @ t.result.z - t.result.xi
        assert opt == pytest.approx(0.5 * float(res @ res) + beta * float(np.sum(np.abs(t.result.z))), rel=1e-12)
        assert exact - 1e-12 <= opt <= exact * (1 + 1e-6), (opt, exact)
        assert t.certificate.dual_objective <= exact + 1e-12
        # the rebuilt network's nonconvex objective is the convex optimum
        assert abs(net.objective(x, y) - opt) <= 1e-6 * abs(opt), (net.objective(x, y), opt)
        # a hand-written forward pass from net.layers is net.predict, at the data and off it
        np.testing.assert_allclose(_manual_forward(net, grid), net.predict(grid), rtol=0, atol=1e-12)
        preds[objective] = net.predict(grid)
        # ... and the exact objective written out from the layers is net.objective
        w, b, outer, xi = _units(net, objective)
        assert np.all(w != 0)
        if objective == "amplitude":
            s = np.diag(net.layers[1].weight).copy()
            alpha = net.layers[2].weight[0].copy()
            ours = _objective(x, y, w, b, alpha, xi, beta, activation, "amplitude", s=s)
            # balanced factors: |alpha_i| = s_i, so (beta/2)(alpha^2 + s^2) = beta |alpha_i s_i|
            np.testing.assert_allclose(np.abs(alpha), s, rtol=1e-12)
        else:
            ours = _objective(x, y, w, b, outer, xi, beta, activation, "l1-outer")
        assert float(ours) == pytest.approx(net.objective(x, y), rel=1e-12)
        assert net.penalty_value() == pytest.approx(beta * np.sum(np.abs(outer)), rel=1e-12)
        # scale invariance: the exact objectives do not see the scale of (w, b)
        for scale in (1e-4, 37.0):
            scaled = cvxnn.Network([cvxnn.Layer(net.layers[0].weight * scale, net.layers[0].bias * scale,
                                                net.layers[0].activation), *net.layers[1:]], net.penalty)
            np.testing.assert_array_equal(scaled.predict(x), net.predict(x))
            assert scaled.objective(x, y) == pytest.approx(net.objective(x, y), rel=1e-14)
        # a breakpoint moved exactly ONTO a data point (sign(0) = 0, 1{0 >= 0} = 1): still a valid net, so never
        # below the optimum; net.objective must use sigma(0) exactly as written here
        xs = np.sort(x)
        for j in range(w.size):
            cj = -b[j] / w[j]
            k = int(np.searchsorted(xs, cj))  # unit j's breakpoint lies in the gap (xs[k-1], xs[k])
            assert 1 <= k < xs.size and xs[k - 1] < cj < xs[k]
            for xk in (xs[k - 1], xs[k]):
                W0, b0 = net.layers[0].weight.copy(), net.layers[0].bias.copy()
                W0[j, 0], b0[j] = 1.0, -xk
                moved = cvxnn.Network([cvxnn.Layer(W0, b0, net.layers[0].activation), *net.layers[1:]], net.penalty)
                H = _sigma(np.outer(x, w) + b, activation)
                H[:, j] = np.where(x > xk, 1.0, 0.0 if activation == "threshold" else -1.0)
                H[x == xk, j] = 0.0 if activation == "sign" else 1.0
                expected = 0.5 * float(np.sum((H @ outer + xi - y) ** 2)) + net.penalty_value()
                assert moved.objective(x, y) == pytest.approx(expected, rel=1e-12)
                assert expected >= lower - 1e-12 and expected >= exact * (1 - 1e-9)
                if activation == "threshold" and xk == xs[k]:  # 1{x >= x_k} = 1{x >= c_j} on the data
                    assert moved.objective(x, y) == pytest.approx(net.objective(x, y), rel=1e-14)
        # independent optimality check (no cvxnn code): the residual is dual feasible over all units
        lam = y - net.predict(x)
        lam = lam - lam.mean()
        assert _dual_sup(lam, x, activation) <= beta * (1 + 1e-5)
        assert _dual_value(lam, y, beta, _dual_sup(lam, x, activation)) <= exact + 1e-12
    # the two objectives are the same Lasso: same optimum, same function
    opt_a = trained[(activation, "amplitude")].result.convex_objective
    opt_b = trained[(activation, "l1-outer")].result.convex_objective
    assert opt_a == pytest.approx(opt_b, rel=1e-9)
    np.testing.assert_allclose(preds["amplitude"], preds["l1-outer"], rtol=0, atol=1e-8)
    print(f"\n{activation}: convex optimum {opt_b:.12g}, exact (polished) {exact:.15g}, dual bound {lower:.15g}")


def test_sign_at_beta_is_threshold_at_half_beta():
    """sign(x - c) = 2 * 1{x >= c} - 1 off the data and xi is free, so sign at beta is threshold at beta / 2."""
    x, y = noisy_sine(12, seed=0)
    for objective in OBJECTIVES:
        s = _train(x, y, "sign", objective, 0.1)
        t = _train(x, y, "threshold", objective, 0.05)
        assert s.certificate.globally_optimal and t.certificate.globally_optimal
        assert s.result.convex_objective == pytest.approx(t.result.convex_objective, rel=1e-7)
        np.testing.assert_allclose(s.network.predict(x), t.network.predict(x), rtol=0, atol=1e-6)


# ------------------------------------------------------------------- 2. plain weight decay is NOT a Lasso here
def _split_shrink(w, b, outer, k, eps):
    """Each unit -> k copies with outer weight outer/k and (w, b) scaled by eps > 0 (sigma unchanged)."""
    return np.repeat(eps * w, k), np.repeat(eps * b, k), np.repeat(outer / k, k)


def _plain_wd_network(w, b, alpha, xi, beta, activation):
    """A cvxnn 2-layer net that carries the PLAIN weight decay (beta/2)(sum w^2 + sum alpha^2)."""
    penalty = cvxnn.Penalty(beta, [cvxnn.PenaltyTerm(layer=0, coef=0.5, power=2.0),
                                   cvxnn.PenaltyTerm(layer=1, coef=0.5, power=2.0)], "plain weight decay")
    return cvxnn.Network([cvxnn.Layer(w[:, None], b, cvxnn.Activation(activation)),
                          cvxnn.Layer(alpha[None, :], [xi], cvxnn.Activation("identity"))], penalty)


def _check_exact_split_nets(x, y, ws, bs, a_s, xi, activation, nets, opt):
    l1 = cvxnn.Network([cvxnn.Layer(ws[:, None], bs, cvxnn.Activation(activation)),
                        cvxnn.Layer(a_s[None, :], [xi], cvxnn.Activation("identity"))], nets["l1-outer"].penalty)
    g = np.sqrt(np.abs(a_s))
    amp = cvxnn.Network([cvxnn.Layer(ws[:, None], bs, cvxnn.Activation(activation)),
                         cvxnn.Layer(np.diag(g), np.zeros(g.size), cvxnn.Activation("identity")),
                         cvxnn.Layer((np.sign(a_s) * g)[None, :], [xi], cvxnn.Activation("identity"))],
                        nets["amplitude"].penalty)
    assert l1.objective(x, y) == pytest.approx(opt, rel=1e-6)
    assert amp.objective(x, y) == pytest.approx(opt, rel=1e-6)
    assert l1.objective(x, y) == pytest.approx(nets["l1-outer"].objective(x, y), rel=1e-12)
    assert amp.objective(x, y) == pytest.approx(nets["amplitude"].objective(x, y), rel=1e-12)


@pytest.mark.parametrize("activation", STEP_ACTIVATIONS)
def test_plain_weight_decay_is_not_a_lasso(activation, sine12_step, record_property):
    x, y, beta, trained = sine12_step
    opt = trained[(activation, "l1-outer")].result.convex_objective
    nets = {o: trained[(activation, o)].network for o in OBJECTIVES}
    w, b, z, xi = _units(nets["l1-outer"], "l1-outer")
    w_a, b_a, z_a, xi_a = _units(nets["amplitude"], "amplitude")
    # same units in both forms
    np.testing.assert_allclose(z_a, z, rtol=1e-12)
    np.testing.assert_array_equal(w_a, w)
    np.testing.assert_array_equal(b_a, b)
    assert xi_a == pytest.approx(xi, rel=1e-12)
    m = z.size
    H = _sigma(np.outer(x, w) + b, activation)
    loss_star = 0.5 * float(np.sum((H @ z + xi - y) ** 2))
    assert opt == pytest.approx(loss_star + beta * np.sum(np.abs(z)), rel=1e-6)

    # the least-squares fits over step features (numpy lstsq): over the Lasso net's own units, and over the whole
    # dictionary (one unit per gap; with n distinct points this interpolates, so its value is ~0: the infimum of
    # plain weight decay over all widths)
    M = np.column_stack([H, np.ones(x.size)])
    coef = np.linalg.lstsq(M, y, rcond=None)[0]
    z_ls, xi_ls = coef[:-1], float(coef[-1])
    ls_value = 0.5 * float(np.sum((M @ coef - y) ** 2))
    A_full, _ = _gap_dictionary(x, activation)
    M_full = np.column_stack([A_full, np.ones(x.size)])
    ls_full = 0.5 * float(np.sum((M_full @ np.linalg.lstsq(M_full, y, rcond=None)[0] - y) ** 2))
    assert ls_full <= ls_value + 1e-12 and ls_value <= loss_star + 1e-12
    assert ls_full <= 1e-20 * max(1.0, float(y @ y)) + 1e-24

    eps = 1e-6
    ks = (1, 2, 10, 100, 1000, 10000)
    split_vals, refit_vals = [], []
    for k in ks:
        # (a) the Lasso-optimal net, split and shrunk: same function on the data, plain WD -> the Lasso's loss term
        ws, bs, a_s = _split_shrink(w, b, z, k, eps)
        assert np.array_equal(_sigma(np.outer(x, ws) + bs, activation), np.repeat(H, k, axis=1)), "sigma changed"
        plain = _plain_wd_network(ws, bs, a_s, xi, beta, activation)
        np.testing.assert_allclose(plain.predict(x), nets["l1-outer"].predict(x), rtol=0, atol=1e-12)
        val = plain.objective(x, y)
        assert val == pytest.approx(float(_objective(x, y, ws, bs, a_s, xi, beta, activation, "plain-wd")), rel=1e-12)
        formula = loss_star + 0.5 * beta * (k * eps ** 2 * float(w @ w) + float(z @ z) / k)
        assert val == pytest.approx(formula, rel=1e-10)
        split_vals.append(val)
        # the same split net under the EXACT objectives is still the optimum: (A) and (B) are immune to the trick
        g = np.sqrt(np.abs(a_s))  # (B): amplitude s = |alpha| = sqrt(|z| / k) per copy
        assert float(_objective(x, y, ws, bs, a_s, xi, beta, activation, "l1-outer")) == pytest.approx(opt, rel=1e-6)
        assert float(_objective(x, y, ws, bs, np.sign(a_s) * g, xi, beta, activation, "amplitude", s=g)) == \
            pytest.approx(opt, rel=1e-6)
        if k <= 100:  # ... also as cvxnn networks (the amplitude layer is a dense (km, km) diagonal matrix)
            _check_exact_split_nets(x, y, ws, bs, a_s, xi, activation, nets, opt)
        # (b) the same hidden units with the output layer refitted by least squares, split and shrunk:
        #     plain WD -> the least-squares value
        ws, bs, a_s = _split_shrink(w, b, z_ls, k, eps)
        refit = _plain_wd_network(ws, bs, a_s, xi_ls, beta, activation)
        rval = refit.objective(x, y)
        assert rval == pytest.approx(ls_value + 0.5 * beta * (k * eps ** 2 * float(w @ w) + float(z_ls @ z_ls) / k),
                                     rel=1e-9, abs=1e-15)
        refit_vals.append(rval)

    split_vals, refit_vals = np.array(split_vals), np.array(refit_vals)
    assert np.all(np.diff(split_vals) < 0) and np.all(np.diff(refit_vals) < 0)
    # far below the certified optimum of the architecture: plain weight decay would "beat" the global optimum
    big = [i for i, k in enumerate(ks) if k >= 10]
    assert np.all(split_vals[big] < 0.5 * opt), (split_vals, opt)
    assert np.all(refit_vals[big] < 0.5 * opt), (refit_vals, opt)
    assert np.all(split_vals < opt * (1 - 1e-3))  # even k = 1 (shrinking w only) is below the optimum
    # ... and tends to the least-squares value as k grows (the limit, not attained: there is no minimiser)
    assert abs(split_vals[-1] - loss_star) <= 1e-3 * opt
    assert abs(refit_vals[-1] - ls_value) <= 1e-2 * opt
    assert np.all(refit_vals > ls_value)
    summary = {"activation": activation, "beta": beta, "lasso_optimum": opt, "units": m,
               "lasso_loss_term": loss_star, "ls_over_lasso_units": ls_value, "ls_full_dictionary": ls_full,
               "plain_wd_split_lasso_net": dict(zip(ks, split_vals.tolist())),
               "plain_wd_split_ls_refit": dict(zip(ks, refit_vals.tolist()))}
    record_property("plain_weight_decay", summary)
    print("\nplain-weight-decay", summary)


# -------------------------------------------------------- 3. nonconvex training with a surrogate, hard evaluation
#: instances (noisy_sine n, seed, beta) on which the surrogate trainer's best start reaches the optimum
TORCH_INSTANCES = [(8, 0, 0.1), (8, 1, 0.1)]
STARTS, WIDTH, STEPS, LR, TAU0, TAU1 = 32, 48, 1000, 2e-2, 1e-1, 1e-4
NEVER_BELOW_RTOL, BOUND_ATOL = 1e-9, 1e-12
BEST_RTOL = 1e-3  # observed best: ~0 for 'amplitude', <= 6e-5 for 'l1-outer' (Adam on |alpha|)


def _train_surrogate(torch, x, y, activation, objective, beta, *, seed):
    """Many starts at once (leading start axis), float64. The hard activation has zero gradient, so train with
    tanh(u / tau) (sign) or sigmoid(u / tau) (threshold), tau annealed geometrically TAU0 -> TAU1, Adam with a
    cosine-decayed learning rate, on the exact objective (A) or (B). Returns the final parameters as NumPy arrays:
    (w, b, alpha, s or None, xi)."""
    gen = torch.Generator().manual_seed(seed)
    dt = torch.float64
    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    lo, hi = float(x.min()), float(x.max())
    with torch.no_grad():
        w = torch.randn(STARTS, WIDTH, generator=gen, dtype=dt)
        b = -w * (lo + (hi - lo) * torch.rand(STARTS, WIDTH, generator=gen, dtype=dt))  # breakpoints in the data
        alpha = 0.1 * torch.randn(STARTS, WIDTH, generator=gen, dtype=dt)
        s = 0.1 * torch.randn(STARTS, WIDTH, generator=gen, dtype=dt)
        xi = torch.full((STARTS,), float(y.mean()), dtype=dt)
    params = [w, b, alpha, xi] + ([s] if objective == "amplitude" else [])
    for p in params:
        p.requires_grad_(True)
    surrogate = torch.tanh if activation == "sign" else torch.sigmoid

    def loss(tau):
        H = surrogate((w[:, None, :] * xt[None, :, None] + b[:, None, :]) / tau)  # (S, n, m)
        outer = alpha * s if objective == "amplitude" else alpha
        f = torch.sum(H * outer[:, None, :], dim=-1) + xi[:, None]
        per_start = 0.5 * torch.sum((f - yt) ** 2, dim=-1)
        if objective == "amplitude":
            per_start = per_start + 0.5 * beta * (torch.sum(alpha ** 2, -1) + torch.sum(s ** 2, -1))
        else:
            per_start = per_start + beta * torch.sum(torch.abs(alpha), -1)
        return per_start.sum()  # separable: each start's gradient depends on its own parameters only

    opt = torch.optim.Adam(params, lr=LR)
    for step in range(STEPS):
        frac = step / (STEPS - 1)
        for group in opt.param_groups:
            group["lr"] = LR * (0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * frac)))
        opt.zero_grad(set_to_none=True)
        loss(TAU0 * (TAU1 / TAU0) ** frac).backward()
        opt.step()
    out = [p.detach().numpy().copy() for p in (w, b, alpha)]
    return (*out, s.detach().numpy().copy() if objective == "amplitude" else None, xi.detach().numpy().copy())


def _hard_network(w, b, alpha, s, xi, activation, penalty):
    layers = [cvxnn.Layer(w[:, None], b, cvxnn.Activation(activation))]
    if s is not None:
        layers.append(cvxnn.Layer(np.diag(s), np.zeros(s.size), cvxnn.Activation("identity")))
    layers.append(cvxnn.Layer(alpha[None, :], [xi], cvxnn.Activation("identity")))
    return cvxnn.Network(layers, penalty)


@pytest.mark.parametrize("instance", TORCH_INSTANCES, ids=lambda p: f"sine{p[0]}-seed{p[1]}-beta{p[2]}")
@pytest.mark.parametrize("activation", STEP_ACTIVATIONS)
def test_surrogate_training_never_beats_certified_optimum(activation, instance, record_property):
    torch = require("torch")
    n, seed, beta = instance
    x, y = noisy_sine(n, seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is fastest, and 2 threads thrash on a busy 2-core runner
    try:
        for objective in OBJECTIVES:
            t = _train(x, y, activation, objective, beta)
            assert t.certificate.globally_optimal, t.certificate.summary()
            opt = t.result.convex_objective
            bound = t.certificate.dual_objective  # weak duality: below every network of the architecture
            exact, exact_lower, _, _ = _exact_lasso_optimum(x, y, activation, beta, t.result.z)
            assert bound <= exact + 1e-12 and exact <= opt + 1e-12

            t0 = time.perf_counter()
            w, b, alpha, s, xi = _train_surrogate(torch, x, y, activation, objective, beta, seed=seed)
            seconds = time.perf_counter() - t0
            # EVALUATE with the hard activation, float64 NumPy, the same exact objective
            obj = _objective(x, y, w, b, alpha, xi, beta, activation, objective, s=s)
            assert obj.shape == (STARTS,) and np.all(np.isfinite(obj))
            # ... which is cvxnn's Network.objective of the same net (best and worst start)
            for i in (int(np.argmin(obj)), int(np.argmax(obj))):
                net = _hard_network(w[i], b[i], alpha[i], None if s is None else s[i], float(xi[i]), activation,
                                    t.network.penalty)
                assert net.objective(x, y) == pytest.approx(obj[i], rel=1e-12)
            # valid nets with breakpoints EXACTLY on data points (sign(0) = 0): every unit of every start moved onto
            # its nearest data point, outer weights kept
            with np.errstate(divide="ignore", invalid="ignore"):
                c = np.where(w != 0, -b / w, x[0])
            nearest = x[np.argmin(np.abs(c[..., None] - x), axis=-1)]
            o = np.sign(w)
            snapped = _objective(x, y, o, -o * nearest, alpha, xi, beta, activation, objective, s=s)
            u = o[..., None, :] * x[:, None] - o[..., None, :] * nearest[..., None, :]  # (S, n, m), as evaluated
            assert np.all(np.min(np.abs(u), axis=-2) == 0.0)  # every snapped unit has sigma(0) at a data point

            rel_gap = (obj - exact) / exact
            on_data = int(np.sum(np.min(np.abs(w[..., None, :] * x[:, None] + b[..., None, :]), axis=-2) == 0))
            summary = {"activation": activation, "objective": objective, "n": n, "seed": seed, "beta": beta,
                       "convex_optimum": opt, "exact_optimum": exact, "dual_bound": bound,
                       "clarabel_excess_rel": (opt - exact) / exact,
                       "best_rel_to_convex_optimum": float((obj.min() - opt) / opt),
                       "trained_units_on_a_data_point": on_data,
                       "best": float(obj.min()), "best_rel_gap": float(rel_gap.min()),
                       "worst": float(obj.max()), "worst_rel_gap": float(rel_gap.max()),
                       "within_1e-3": int(np.sum(rel_gap <= BEST_RTOL)), "within_1e-6": int(np.sum(rel_gap <= 1e-6)),
                       "snapped_min": float(snapped.min()), "starts": STARTS, "width": WIDTH,
                       "train_seconds": round(seconds, 3)}
            record_property(f"surrogate_{objective}", summary)
            print("\nsurrogate-vs-convex", summary)

            for vals in (obj, snapped):
                # never below the certified lower bound (weak duality: a theorem, whatever the solver accuracy)
                assert np.all(vals >= bound - BOUND_ATOL), (vals.min(), bound)
                # never below the (exact) optimum by more than 1e-9 relative
                assert np.all(vals >= exact * (1 - NEVER_BELOW_RTOL)), (vals.min(), exact)
                assert np.all(vals >= exact_lower - BOUND_ATOL), (vals.min(), exact_lower)
            # the trainer is not a straw man: its best start reaches the optimum
            assert obj.min() <= exact * (1 + BEST_RTOL), summary
    finally:
        torch.set_num_threads(threads)
