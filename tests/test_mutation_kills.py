"""Checks of the certificate path and the steps around it (rebuilt networks, pruning, column and pattern generation,
the candidate sets the oracles scan) that small plausible bugs (mutants, results/mutation.md) slipped past: each test
names the defect it catches. As in tests/test_oracles_random_duals.py, every expected value is computed here (from
the definitions of the units at random dual points, from the documented rules, or by brute force), with literal
tolerances.
"""

import re
import warnings

import numpy as np
import pytest

import cvxnn
from cvxnn.errors import UnsupportedCombinationError
from cvxnn.models.chains_1d import abs_chain_sup
from cvxnn.models.deep_abs.arc import arc_oracle
from cvxnn.models.deep_abs.sphere import sphere_oracle


def sorted_points(seed, n):
    rng = np.random.default_rng(seed)
    return np.sort(rng.uniform(-2.0, 2.0, n)), rng


def centred(rng, n, scale=1.0):
    lam = rng.standard_normal(n)
    return scale * (lam - lam.mean())


def depth3_vertex_values(x, lam):
    """|lam^T ||x - a1| - a2|| at every 1-D vertex (a1, a2) of a depth-3 abs chain, written here: reflections a1 = x_j,
    a2 = |x_k - x_j| (k = j included) and midpoints a1 = (x_k + x_l)/2, a2 = |x_l - x_k|/2. Returns (values, A)."""
    n = x.size
    j, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    p, q = np.triu_indices(n, k=1)
    a1 = np.concatenate([x[j.ravel()], 0.5 * (x[p] + x[q])])
    a2 = np.concatenate([np.abs(x[k.ravel()] - x[j.ravel()]), 0.5 * np.abs(x[q] - x[p])])
    F = np.abs(np.abs(x[:, None] - a1[None, :]) - a2[None, :])
    return np.abs(lam @ F), np.column_stack([a1, a2])


# ----------------------------------------------------------------- the streamed vertex oracle of deep abs chains
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streamed_abs_chain_oracle_equals_the_vertices_written_here(seed):
    """abs_chain_sup (the oracle of nets whose dictionary is over budget) at depth 3: the sup is the max over the
    vertices computed here, the unit it reports attains it, random chains never exceed it, and its ``top`` list
    holds distinct best columns, best first."""
    x, rng = sorted_points(seed, 9)
    for _ in range(3):
        lam = centred(rng, x.size)
        values, A = depth3_vertex_values(x, lam)
        sup, unit = abs_chain_sup(x, lam, 3)
        assert sup == pytest.approx(values.max(), rel=1e-12)
        a1, a2 = unit["a"]
        assert abs(lam @ np.abs(np.abs(x - a1) - a2)) == pytest.approx(sup, rel=1e-12)
        r1 = rng.uniform(x.min() - 1, x.max() + 1, 20_000)
        r2 = rng.uniform(0, np.ptp(x) + 1, 20_000)
        assert np.max(np.abs(lam @ np.abs(np.abs(x[:, None] - r1) - r2))) <= sup * (1 + 1e-12)
        # the top list: distinct columns, best first, the first one attains the sup, every one a vertex value here
        _, _, V = abs_chain_sup(x, lam, 3, top=4)
        cols = np.abs(np.abs(x[:, None] - V[:, 0]) - V[:, 1])
        scores = np.abs(lam @ cols)
        assert 1 <= V.shape[0] <= 4 and V.shape[1] == 2 and scores[0] == pytest.approx(sup, rel=1e-12)
        assert np.all(np.diff(scores) <= 1e-12 * sup)
        assert len({tuple(np.round(c, 9)) for c in cols.T}) == V.shape[0]
        assert all(np.min(np.abs(values - s)) <= 1e-12 * sup for s in scores)


# ------------------------------------------------------------------------------------- the certificate's numbers
BETA = 0.1


@pytest.fixture(scope="module")
def relu_1d():
    """A certified 1-D ReLU net (free biases) on 8 points, and an interpolating one on targets with max |y| < 1."""
    x, rng = sorted_points(7, 8)
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(8)
    trained = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=BETA)
    yi = 0.6 * y / np.max(np.abs(y))
    interp = cvxnn.train(x, yi, cvxnn.TwoLayer("relu"), mode="interpolation")
    assert trained.globally_optimal and interp.globally_optimal
    return x, y, trained, yi, interp


def relu_sup(x, lam):
    """max over breakpoints c at the data and both orientations s of |lam^T relu(s (x - c))|: the sup over all units
    with |w| = 1 for a centred lam (theory: "Two-layer nets on 1-D data")."""
    D = x[:, None] - x[None, :]
    return float(np.max(np.abs(lam @ np.hstack([np.maximum(D, 0.0), np.maximum(-D, 0.0)]))))


def relu_net_output(net, x):
    hidden, out = net.layers
    return np.maximum(np.outer(x, hidden.weight[:, 0]) + hidden.bias, 0.0) @ out.weight[0] + out.bias[0]


def relu_net_objective(net, x, y, beta):
    """(1/2)||f - y||^2 + (beta/2)(sum w^2 + sum alpha^2), from the net's weights."""
    hidden, out = net.layers
    r = relu_net_output(net, x) - y
    return 0.5 * float(r @ r) + 0.5 * beta * float(np.sum(hidden.weight ** 2) + np.sum(out.weight ** 2))


def best_scaling(x, y, lam, beta):
    """(t, D(t lam_c), M): lam centred, t = clip(lam_c^T y / ||lam_c||^2, 0, beta / M), D = t lam_c^T y - t^2/2
    ||lam_c||^2 (theory: "Certificates")."""
    lc = lam - lam.mean()
    sq = float(lc @ lc)
    if sq == 0.0:
        return 0.0, 0.0, 0.0
    M = relu_sup(x, lc)
    t = min(max(float(lc @ y) / sq, 0.0), beta / M)
    return t, t * float(lc @ y) - 0.5 * t * t * sq, M


def shifted(net, delta):
    """The net with its output bias moved by delta (same weights, same penalty)."""
    hidden, out = net.layers
    return cvxnn.Network([hidden, cvxnn.Layer(out.weight, out.bias + delta, out.activation)], net.penalty, net.meta)


def test_the_dual_value_is_the_best_feasible_scaling_of_the_centred_point(relu_1d):
    """Against the closed form at dual points in every regime of the scaling: t = 0 (lam^T y < 0), clipped at beta / M,
    inside the interval, a centred point of norm exactly 1, and the zero point; with any constant added."""
    x, y, tr, _, _ = relu_1d
    prog, net = tr.program, tr.network
    p = relu_net_objective(net, x, y, BETA)
    rng = np.random.default_rng(11)
    yc = y - y.mean()
    r = rng.standard_normal(x.size)
    r -= r.mean()
    r -= (r @ yc) / (yc @ yc) * yc  # centred and orthogonal to y
    a = 0.01 * BETA * (r @ r) / ((yc @ yc) * relu_sup(x, r))  # a small component along y: t well inside
    unit = np.zeros(x.size)
    unit[:4] = [0.5, -0.5, 0.5, -0.5]
    points = {"clipped": yc, "zero scale": -yc, "inside": a * yc + r, "norm 1": unit, "zero": np.zeros(x.size)}
    regimes = set()
    for name, lam in points.items():
        t, D, M = best_scaling(x, y, lam, BETA)
        regimes.add("zero" if t == 0.0 else "clipped" if t == BETA / M else "inside")
        for c in (0.0, 2.5):
            cert = cvxnn.certify_point(prog, net, lam + c)
            assert cert.dual_scale == pytest.approx(t, rel=1e-12, abs=1e-300), name
            assert cert.dual_objective == pytest.approx(D, rel=1e-12, abs=1e-300), name
            assert cert.objective == pytest.approx(p, rel=1e-12)
            assert cert.certified_gap == pytest.approx(p - D, rel=1e-9, abs=1e-12), name
            assert cert.dual_violation == pytest.approx(M / BETA, rel=1e-12, abs=1e-300), name
    assert regimes == {"zero", "clipped", "inside"}


def test_the_pass_rules_are_inclusive(relu_1d):
    """certified gap <= tol_abs + tol_rel |p|, |p - c| <= tol_abs + tol_reconstruction |c| and max|f - y| <=
    tol_fit max(1, max|y|): equality passes, the next float below refuses."""
    x, y, tr, yi, interp = relu_1d
    prog, lam = tr.program, tr.result.dual
    worse = shifted(tr.network, 0.05)
    g = cvxnn.certify_point(prog, worse, lam).certified_gap
    assert g > 1e-6
    assert cvxnn.certify_point(prog, worse, lam, tol_abs=g, tol_rel=0.0).certified
    below = cvxnn.certify_point(prog, worse, lam, tol_abs=np.nextafter(g, 0.0), tol_rel=0.0)
    assert not below.certified and below.failures[0].startswith("certified gap")
    # reconstruction (a loose gap rule, so that only the reconstruction rule decides)
    p = cvxnn.certify_point(prog, worse, lam).objective
    c = p - 0.25
    d = abs(p - c)
    ok = cvxnn.certify_point(prog, worse, lam, convex_objective=c, tol_abs=d, tol_rel=1.0, tol_reconstruction=0.0)
    assert ok.certified
    bad = cvxnn.certify_point(prog, worse, lam, convex_objective=c, tol_abs=np.nextafter(d, 0.0), tol_rel=1.0,
                              tol_reconstruction=0.0)
    assert not bad.certified and bad.failures[0].startswith("reconstruction gap")
    # the fit rule, max |y| < 1 so that its threshold is tol_fit itself
    assert np.max(np.abs(yi)) < 1
    off = shifted(interp.network, 1e-9)
    e = cvxnn.certify_point(interp.program, off, interp.result.dual).fit_error
    assert e == pytest.approx(1e-9, rel=1e-3)
    assert cvxnn.certify_point(interp.program, off, interp.result.dual, tol_fit=e, tol_rel=1.0).certified
    refused = cvxnn.certify_point(interp.program, off, interp.result.dual, tol_fit=np.nextafter(e, 0.0), tol_rel=1.0)
    assert not refused.certified and refused.failures[0].startswith("the network does not interpolate")
    # with max |y| < 1 the threshold is tol_fit, not tol_fit * max|y| and not 2 tol_fit
    assert not cvxnn.certify_point(interp.program, off, interp.result.dual, tol_fit=0.6 * e, tol_rel=1.0).certified


def test_the_failure_messages_state_the_numbers(relu_1d):
    import re

    x, y, tr, yi, interp = relu_1d
    prog, lam = tr.program, tr.result.dual
    worse = shifted(tr.network, 0.05)
    p = relu_net_objective(worse, x, y, BETA)
    _, D, _ = best_scaling(x, y, lam, BETA)
    c = p - 0.25
    cert = cvxnn.certify_point(prog, worse, lam, convex_objective=c)
    gap, recon = cert.failures
    m = re.fullmatch(r"certified gap (\S+) > 1e-09 \+ 1e-06 \* \|objective\|", gap)
    assert m and float(m.group(1)) == pytest.approx(p - D, rel=1e-3)
    m = re.fullmatch(r"reconstruction gap: the network's objective (\S+) differs from the convex optimum (\S+) by "
                     r"(\S+) > 1e-09 \+ 1e-06 \* \|convex optimum\|", recon)
    assert m and float(m.group(1)) == pytest.approx(p, rel=1e-11) and float(m.group(2)) == pytest.approx(c, rel=1e-11)
    assert float(m.group(3)) == pytest.approx(0.25, rel=1e-3)
    off = shifted(interp.network, 1e-3)
    fit = cvxnn.certify_point(interp.program, off, interp.result.dual).failures
    m = re.fullmatch(r"the network does not interpolate: max \|f\(x\) - y\| = (\S+)", fit[-1])
    assert m and float(m.group(1)) == pytest.approx(1e-3, rel=1e-3)


def test_certificate_fields(relu_1d):
    """What a certificate reports besides its verdict: no reconstruction or duality gap without a convex objective,
    the duality gap c - D with one, no fit error in training, the dual source, the mode, the lower bound in to_dict,
    and a worst unit that attains the sup."""
    x, y, tr, yi, interp = relu_1d
    prog, net, lam = tr.program, tr.network, tr.result.dual
    plain = cvxnn.certify_point(prog, net, lam)
    assert plain.reconstruction_gap is None and plain.duality_gap is None and plain.fit_error is None
    assert plain.dual_source == "solver" and plain.mode == "training" and plain.scope == "global"
    assert plain.to_dict()["lower_bound"] == plain.dual_objective == plain.lower_bound
    lc = lam - lam.mean()
    s, b = plain.worst_unit["orientation"], plain.worst_unit["breakpoint"]
    assert abs(lc @ np.maximum(s * (x - b), 0.0)) == pytest.approx(relu_sup(x, lc), rel=1e-12)
    c = tr.result.convex_objective
    full = cvxnn.certify_point(prog, net, lam, convex_objective=c)
    assert full.duality_gap == c - full.dual_objective
    p = relu_net_objective(net, x, y, BETA)
    assert full.reconstruction_gap == pytest.approx(abs(p - c) / abs(c), rel=1e-6, abs=1e-15)
    via = cvxnn.certify(prog, tr.result)
    assert via.dual_source == "solver" and via.certified and via.duality_gap == c - via.dual_objective
    # interpolation: beta = 1 in the violation, D = max(0, lam_c^T y / M), the mode and the fit error reported
    for lam_i in (interp.result.dual, -interp.result.dual, np.zeros(x.size)):
        ic = cvxnn.certify_point(interp.program, interp.network, lam_i)
        li = lam_i - lam_i.mean()
        M = relu_sup(x, li)
        assert ic.mode == "interpolation" and ic.fit_error is not None and ic.fit_error <= 1e-7
        assert ic.dual_violation == pytest.approx(M, rel=1e-12, abs=1e-300)
        assert ic.dual_objective == pytest.approx(max(0.0, li @ yi / M) if M > 0 else 0.0, rel=1e-12, abs=1e-300)
        assert ic.dual_scale == pytest.approx(1.0 / M if M > 0 else 0.0, rel=1e-12)


def test_certify_uses_the_residual_when_the_solver_gives_no_dual_and_passes_tolerances_on(relu_1d):
    x, y, tr, yi, interp = relu_1d
    res = tr.result
    nodual = type(res)(res.run, res.z, res.xi, None, res.convex_objective, res.l1_norm, res.network, res.beta)
    cert = cvxnn.certify(tr.program, nodual)
    _, D, _ = best_scaling(x, y, y - relu_net_output(tr.network, x), BETA)  # the residual, computed here
    assert cert.dual_source == "residual" and cert.certified
    assert cert.dual_objective == pytest.approx(D, rel=1e-12)
    strict = cvxnn.certify(tr.program, res, tol_abs=0.0, tol_rel=0.0, tol_reconstruction=0.0)
    assert strict.tolerances == {"abs": 0.0, "rel": 0.0, "reconstruction": 0.0}
    ires = interp.result
    nodual = type(ires)(ires.run, ires.z, ires.xi, None, ires.convex_objective, ires.l1_norm, ires.network, ires.beta)
    with pytest.raises(ValueError, match=r"^interpolation mode needs the solver's dual vector; the residual is zero$"):
        cvxnn.certify(interp.program, nodual)


def test_a_dual_point_given_as_integers_or_a_list(relu_1d):
    x, y, tr, _, _ = relu_1d
    lam = np.array([3, -1, 0, 2, -4, 1, 0, 5])
    ref = cvxnn.certify_point(tr.program, tr.network, lam.astype(float))
    for given in (lam, list(lam)):
        cert = cvxnn.certify_point(tr.program, tr.network, given)
        assert cert.dual_objective == ref.dual_objective and cert.dual_scale == ref.dual_scale


def test_relative_difference():
    from cvxnn.certify import relative_difference

    assert relative_difference(3.0, 2.0) == 0.5
    assert relative_difference(-1.0, 2.0) == 1.5
    assert relative_difference(2.0, 2.0) == 0.0 and relative_difference(0.0, 0.0) == 0.0
    assert relative_difference(1.0, 0.0) == float("inf")
    assert relative_difference(3.0, 1.0) == 2.0


def test_chain_oracle_certifies_with_the_streamed_vertex_scan():
    """ChainOracle (deep abs chains over the dictionary budget: no program, the vertex scan streamed) as the program
    of a certificate: its sup at each dual point (asked in turn, so that a stale cached pass would show), the
    scaling it gives, and the free directions it projects off (the ones; x too with a linear term)."""
    from cvxnn.models.chains_1d import ChainOracle

    x, rng = sorted_points(3, 9)
    y = np.sin(2 * x)
    beta = 0.05
    net = cvxnn.train(x, y, cvxnn.Deep1D(3, "abs"), beta=beta).network
    oracle = ChainOracle(x.reshape(-1, 1), y, cvxnn.Deep1D(3, "abs"), beta, "training")
    assert oracle.scope == "global" and oracle.has_output_bias
    np.testing.assert_array_equal(oracle.free_columns(), np.ones((x.size, 1)))
    lams = [rng.standard_normal(x.size) for _ in range(2)]
    for lam in lams + lams[:1]:
        lc = lam - lam.mean()
        M = depth3_vertex_values(x, lc)[0].max()
        assert oracle.dual_sup(lc)[0] == pytest.approx(M, rel=1e-12)
        t = min(max(lc @ y / (lc @ lc), 0.0), beta / M)
        cert = cvxnn.certify_point(oracle, net, lam)
        assert cert.dual_objective == pytest.approx(t * (lc @ y) - 0.5 * t * t * (lc @ lc), rel=1e-12)
        assert cert.dual_violation == pytest.approx(M / beta, rel=1e-12)
    linear = ChainOracle(x.reshape(-1, 1), y, cvxnn.Deep1D(3, "abs", linear_term=True), beta, "training")
    np.testing.assert_array_equal(linear.free_columns(), np.column_stack([np.ones(x.size), x]))
    lam = lams[0]
    base = cvxnn.certify_point(linear, net, lam)
    moved = cvxnn.certify_point(linear, net, lam + 0.3 - 0.7 * x)
    assert moved.dual_objective == pytest.approx(base.dual_objective, rel=1e-10)
    Q, _ = np.linalg.qr(np.column_stack([np.ones(x.size), x]))
    lp = lam - Q @ (Q.T @ lam)  # lam projected off the ones and x, here
    assert linear.dual_sup(lp)[0] == pytest.approx(depth3_vertex_values(x, lp)[0].max(), rel=1e-12)
    assert base.dual_violation == pytest.approx(depth3_vertex_values(x, lp)[0].max() / beta, rel=1e-9)


# --------------------------------------------------------------------------------------- 1-D two-layer oracle
@pytest.mark.parametrize("act", ["relu", "leaky"])
def test_two_layer_1d_oracle_without_biases_reports_its_unit_and_takes_columns(act):
    """bias='none': the units are sigma(+x) and sigma(-x); the reported unit (orientation +-1, breakpoint 0) attains
    the sup. Inputs given as columns (n, 1) give the same answer as flat ones."""
    from cvxnn.models.two_layer_1d import dual_sup_two_layer_1d

    sigma = {"relu": lambda u: np.maximum(u, 0.0), "leaky": lambda u: np.maximum(u, 0.1 * u)}[act]
    x, rng = sorted_points(4, 9)
    prog = cvxnn.build(x, np.cos(x), cvxnn.TwoLayer(act, bias="none", leaky_slope=0.1), beta=0.1)
    seen = set()
    for _ in range(12):
        lam = rng.standard_normal(x.size)
        sup, unit = prog.dual_sup(lam)
        assert sup == pytest.approx(max(abs(lam @ sigma(x)), abs(lam @ sigma(-x))), rel=1e-12)
        assert unit["breakpoint"] == 0.0 and unit["orientation"] in (1.0, -1.0)
        assert abs(lam @ sigma(unit["orientation"] * x)) == pytest.approx(sup, rel=1e-12)
        seen.add(unit["orientation"])
        for bias in ("none", "free"):
            flat = dual_sup_two_layer_1d(lam, x, prog.dictionary.activation, bias)
            column = dual_sup_two_layer_1d(lam.reshape(-1, 1), x.reshape(-1, 1), prog.dictionary.activation, bias)
            assert column[0] == pytest.approx(flat[0], rel=1e-12) and column[1] == flat[1]
    assert seen == {1.0, -1.0}


@pytest.mark.parametrize("act", ["sign", "threshold"])
def test_two_layer_1d_step_oracle_on_one_and_two_distinct_points(act):
    """Free biases, sign / threshold units sigma(s (x - c)): with two distinct points (repeated) the sup is the max
    over a fine grid of breakpoints c and both orientations (nonzero for a centred lam); with a single distinct point
    every unit is a constant, the sup is 0, and the unit reported is still a unit: orientation +-1, breakpoint at
    the point, the same keys as in the general case."""
    from cvxnn.activations import Activation
    from cvxnn.models.two_layer_1d import dual_sup_two_layer_1d

    sigma = {"sign": np.sign, "threshold": lambda u: (u >= 0).astype(float)}[act]
    rng = np.random.default_rng(11)
    cs = np.concatenate([np.linspace(-3.0, 4.0, 1401), [-1.0, 2.0]])
    x = np.array([-1.0, 2.0, -1.0, 2.0, 2.0, -1.0, 2.0])
    for _ in range(4):
        lam = centred(rng, x.size)
        F = sigma(np.concatenate([x[:, None] - cs[None, :], cs[None, :] - x[:, None]], axis=1))
        expected = float(np.max(np.abs(lam @ F)))
        sup, unit = dual_sup_two_layer_1d(lam, x, Activation(act), "free")
        assert expected > 1e-3 and sup == pytest.approx(expected, rel=1e-12)
        assert set(unit) == {"orientation", "breakpoint"}
        assert abs(lam @ sigma(unit["orientation"] * (x - unit["breakpoint"]))) == pytest.approx(sup, rel=1e-12)
    one = np.full(5, 0.7)
    sup, unit = dual_sup_two_layer_1d(centred(rng, 5), one, Activation(act), "free")
    assert sup == 0.0 and set(unit) == {"orientation", "breakpoint"}
    assert unit["orientation"] in (1.0, -1.0) and unit["breakpoint"] == 0.7


def test_two_layer_1d_oracle_computes_in_double_precision_for_single_precision_inputs():
    """Data and dual point given in float32: the oracle's value is that of the same numbers in float64 (leaky units
    without biases, where 0.1 x rounds differently in float32)."""
    from cvxnn.activations import Activation
    from cvxnn.models.two_layer_1d import dual_sup_two_layer_1d

    x, rng = sorted_points(5, 9)
    x32 = x.astype(np.float32)
    xd = x32.astype(np.float64)
    for _ in range(4):
        lam32 = rng.standard_normal(9).astype(np.float32)
        ld = lam32.astype(np.float64)
        expected = max(abs(ld @ np.where(xd >= 0, xd, 0.1 * xd)), abs(ld @ np.where(-xd >= 0, -xd, -0.1 * xd)))
        sup, _ = dual_sup_two_layer_1d(lam32, x32, Activation("leaky", slope=0.1), "none")
        assert sup == pytest.approx(expected, rel=1e-13)


# ------------------------------------------------------------------------------- the certificate's dual scaling
def test_dual_scaling_when_every_unit_scores_zero():
    """sup = 0 (every unit is orthogonal to lam, e.g. a single distinct input): no feasibility clip, t is the
    unconstrained best scaling max(lam^T y / |lam|^2, 0) and D(t lam) = t lam^T y - t^2 |lam|^2 / 2."""
    from cvxnn.certify import scale_dual

    lam, y = np.array([0.5, -1.0, 0.5]), np.array([2.0, -1.0, 0.0])  # lam^T y = 2, |lam|^2 = 1.5
    t, dual = scale_dual(lam, y, 0.1, 0.0)
    assert t == pytest.approx(2.0 / 1.5, rel=1e-15) and dual == pytest.approx(2.0 * 2.0 / 1.5 - 0.5 * 1.5 * (2.0 / 1.5) ** 2,
                                                                          rel=1e-15)
    assert scale_dual(-lam, y, 0.1, 0.0) == (0.0, 0.0)


# ------------------------------------------------------------------------------- the batched cone oracle
def cone_value(A, c):
    """max c^T u over {u : A u >= 0, |u| <= 1}, by brute force: the projections p_S of c onto the null spaces of
    every set S of at most r - 1 rows; each feasible one gives the value |p_S| (u = p_S / |p_S|), and the
    projection onto the cone is one of them (it is the projection onto the span of the face it lies in)."""
    from itertools import combinations

    r = A.shape[1]
    rows = [i for i in range(A.shape[0]) if np.linalg.norm(A[i]) > 0]
    best = 0.0
    for k in range(0, r):
        for S in combinations(rows, k):
            B = A[list(S)]
            p = c - (B.T @ np.linalg.lstsq(B.T, c, rcond=None)[0] if k else 0.0)
            if np.all(A @ p >= -1e-10 * np.linalg.norm(c)):
                best = max(best, float(np.linalg.norm(p)))
    return best


def small_arrangement(seed):
    from cvxnn.arrangements import enumerate_patterns

    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((6, 2)), np.ones((6, 1))])
    return X, enumerate_patterns(X).patterns, rng


@pytest.mark.parametrize("seed", [0, 1])
def test_cone_oracle_fallback_equals_the_brute_force_projection(seed, monkeypatch):
    """With no active-set iteration allowed, every violated (pattern, sign) problem is solved by the fallback
    (scipy's NNLS): the values still equal the brute-force cone projections for +c and -c, and the directions
    reported attain them and lie in the cones."""
    import cvxnn.arrangements as arr

    X, patterns, rng = small_arrangement(seed)
    walls = arr.pattern_walls(X, patterns, complete=True)
    C = rng.standard_normal((patterns.shape[0], 3))
    monkeypatch.setattr(arr, "CONE_MAX_ITER", 0)
    values, dirs = arr.cone_sup(C, X, walls)
    for k, p in enumerate(patterns):
        A = np.where(p, 1.0, -1.0)[:, None] * X
        for side, c in enumerate((C[k], -C[k])):
            assert values[k, side] == pytest.approx(cone_value(A, c), rel=1e-9, abs=1e-12)
            if values[k, side] > 1e-9:  # (a zero value is reached up to rounding: no direction to check)
                u = dirs[k, side]
                assert np.linalg.norm(u) == pytest.approx(1.0, rel=1e-12) and np.all(A @ u >= -1e-9)
                assert c @ u == pytest.approx(values[k, side], rel=1e-9)


def test_single_cone_nnls_fallback():
    """The fallback for one problem: rho = c + A^T mu, mu >= 0 minimising |rho|: no rows gives c, one violated
    unit row a gives c - (a^T c) a, several rows give |rho| = the brute-force cone value."""
    from cvxnn.arrangements import _nnls_one

    c = np.array([1.0, -2.0, 0.5])
    assert np.array_equal(_nnls_one(np.zeros((0, 3)), c), c)
    a = np.array([0.0, 1.0, 0.0])
    assert np.allclose(_nnls_one(a[None, :], c), [1.0, 0.0, 0.5], atol=1e-14)
    assert np.allclose(_nnls_one(-a[None, :], c), c, atol=1e-14)  # not violated: mu = 0
    rng = np.random.default_rng(3)
    for _ in range(5):
        A = rng.standard_normal((4, 3))
        A /= np.linalg.norm(A, axis=1)[:, None]
        c = rng.standard_normal(3)
        assert np.linalg.norm(_nnls_one(A, c)) == pytest.approx(cone_value(A, c), rel=1e-9, abs=1e-12)


def test_walls_of_a_subset_of_patterns():
    """Walls.take: the rows and signs of each chosen pattern, in the order asked (repeats allowed), and the
    ``exact`` flag of the walls it was taken from."""
    from cvxnn.arrangements import pattern_walls

    X, patterns, _ = small_arrangement(2)
    for complete in (True, False):
        walls = pattern_walls(X, patterns, complete=complete)
        idx = [3, 0, 3, len(patterns) - 1]
        sub = walls.take(np.array(idx))
        assert sub.exact is complete and len(sub) == len(idx)
        for k, p in enumerate(idx):
            a, b = walls.indptr[p], walls.indptr[p + 1]
            c, d = sub.indptr[k], sub.indptr[k + 1]
            assert np.array_equal(sub.rows[c:d], walls.rows[a:b]) and np.array_equal(sub.signs[c:d], walls.signs[a:b])


def test_the_exact_arrangement_oracles_run_on_the_wall_rows(monkeypatch):
    """The dual oracles of the whole-arrangement program and of pattern generation (d = 2, biases penalised): the
    sup equals the brute-force max over every pattern's cone of the projections of +-Xb^T D lam, no random unit
    beats it, and the cone oracle is handed the exact wall rows of the enumerated arrangement (as the oracle's
    description says), not every row."""
    import cvxnn.models.arrangement as am
    from cvxnn.arrangements import enumerate_patterns

    rng = np.random.default_rng(8)
    X = rng.standard_normal((7, 2))
    y = np.sin(X[:, 0]) + X[:, 1]
    Xb = np.hstack([X, np.ones((7, 1))])
    patterns = enumerate_patterns(Xb).patterns
    U = rng.standard_normal((20_000, 3))
    U /= np.linalg.norm(U, axis=1)[:, None]
    seen = []
    real = am.cone_sup

    def spy(C, X, walls, *args, **kwargs):
        seen.append(walls.exact)
        return real(C, X, walls, *args, **kwargs)

    monkeypatch.setattr(am, "cone_sup", spy)
    for arch in (cvxnn.TwoLayer("relu"), cvxnn.TwoLayer("relu", column_generation=True)):
        prog = cvxnn.build(X, y, arch, beta=0.05)
        assert prog.bias == "penalized"
        for _ in range(2):
            lam = centred(rng, 7)
            seen.clear()
            sup, _ = prog.dual_sup(lam)
            assert seen == [True]
            expected = 0.0
            for p in patterns:
                A = np.where(p, 1.0, -1.0)[:, None] * Xb
                c = Xb.T @ (p * lam)
                expected = max(expected, cone_value(A, c), cone_value(A, -c))
            assert sup == pytest.approx(expected, rel=1e-9)
            assert np.max(np.abs(lam @ np.maximum(Xb @ U.T, 0.0))) <= sup * (1 + 1e-12)


def test_a_dual_point_given_as_a_column(relu_1d):
    x, y, tr, _, _ = relu_1d
    lam = np.random.default_rng(12).standard_normal(x.size)
    ref = cvxnn.certify_point(tr.program, tr.network, lam)
    cert = cvxnn.certify_point(tr.program, tr.network, lam.reshape(-1, 1))
    assert cert.dual_objective == ref.dual_objective and cert.dual_scale == ref.dual_scale


def test_interpolation_dual_value_is_scale_free(relu_1d):
    """Interpolation mode: lam / M is feasible for the LP's dual, so D = max(0, lam_c^T y / M) and the scale is
    1 / M, whatever the size of lam (M: the sup of the centred point, written here)."""
    x, _, _, yi, interp = relu_1d
    rng = np.random.default_rng(13)
    for _ in range(3):
        lam = rng.standard_normal(x.size)
        lc = lam - lam.mean()
        M = relu_sup(x, lc)
        for scale in (1.0, 3.0, 0.25):
            cert = cvxnn.certify_point(interp.program, interp.network, scale * lam)
            assert cert.dual_scale == pytest.approx(1.0 / (scale * M), rel=1e-12)
            assert cert.dual_objective == pytest.approx(max(0.0, float(lc @ yi) / M), rel=1e-12, abs=1e-300)


def test_interpolation_fit_tolerance_grows_with_the_targets(relu_1d):
    """The fit rule max |f(x) - y| <= 1e-7 max(1, max |y|), on targets with max |y| = 10: the interpolating net
    scaled to them, with its output bias moved by 5e-7 (passes: 5e-7 <= 1e-6) or by 2e-6 (fails)."""
    x, _, _, yi, interp = relu_1d
    k = 10.0 / np.max(np.abs(yi))
    y10 = k * yi
    prog = cvxnn.build(x, y10, cvxnn.TwoLayer("relu"), mode="interpolation")
    hidden, out = interp.network.layers
    lam = np.random.default_rng(14).standard_normal(x.size)
    for delta, ok in ((5e-7, True), (2e-6, False)):
        net = cvxnn.Network([hidden, cvxnn.Layer(k * out.weight, k * out.bias + delta, out.activation)],
                            interp.network.penalty, interp.network.meta)
        cert = cvxnn.certify_point(prog, net, lam)
        assert cert.fit_error == pytest.approx(delta, rel=0.05)
        assert any("does not interpolate" in f for f in cert.failures) is not ok


def test_column_generation_oracle_keeps_the_bias_convention():
    """A stored breakpoint dictionary solved by column generation (free biases): its oracle is the sup over units
    with free biases, the max over data breakpoints and both orientations written here."""
    x, rng = sorted_points(9, 10)
    prog = cvxnn.build(x, np.sin(x), cvxnn.TwoLayer("relu", formulation="dense", column_generation=True), beta=0.1)
    assert prog.program_kind.endswith("by column generation")
    for _ in range(4):
        lam = centred(rng, x.size)
        assert prog.dual_sup(lam)[0] == pytest.approx(relu_sup(x, lam), rel=1e-12)


def test_free_output_bias_of_an_arrangement_program_centres_the_dual_point():
    """A d-dimensional program with a free output bias (no free_columns method): the dual point is centred."""
    from cvxnn.arrangements import enumerate_patterns
    from cvxnn.certify import project_free
    from cvxnn.models.arrangement import ArrangementProgram

    rng = np.random.default_rng(15)
    X = rng.standard_normal((6, 2))
    Xb = np.hstack([X, np.ones((6, 1))])
    prog = ArrangementProgram(X, X[:, 0], cvxnn.TwoLayer("relu"), 0.1, enumerate_patterns(Xb), "penalized",
                              output_bias=True)
    lam = rng.standard_normal(6)
    assert np.allclose(project_free(prog, lam), lam - lam.mean(), rtol=0, atol=1e-15)
    nob = ArrangementProgram(X, X[:, 0], cvxnn.TwoLayer("relu"), 0.1, enumerate_patterns(Xb), "penalized")
    assert np.array_equal(project_free(nob, lam), lam)


def test_the_relative_gap_rule_scales_with_the_objective(relu_1d):
    """certified gap <= tol_rel |p| with tol_abs = 0, at an objective |p| far from 1: passes at 1.01 gap / |p| and
    fails at 0.99 gap / |p|."""
    x, y, tr, _, _ = relu_1d
    prog, lam = tr.program, tr.result.dual
    worse = shifted(tr.network, 0.05)
    base = cvxnn.certify_point(prog, worse, lam)
    g, p = base.certified_gap, base.objective
    assert g > 1e-6 and abs(abs(p) - 1.0) > 0.2
    assert p == pytest.approx(relu_net_objective(worse, x, y, BETA), rel=1e-12)
    assert cvxnn.certify_point(prog, worse, lam, tol_abs=0.0, tol_rel=1.01 * g / abs(p)).certified
    low = cvxnn.certify_point(prog, worse, lam, tol_abs=0.0, tol_rel=0.99 * g / abs(p))
    assert not low.certified and low.failures[0].startswith("certified gap")


def test_the_certificate_names_its_oracle_and_keeps_the_convex_objective(relu_1d):
    x, y, tr, _, _ = relu_1d
    prog, net, lam = tr.program, tr.network, tr.result.dual
    assert isinstance(prog.oracle, str) and prog.oracle
    c = tr.result.convex_objective
    for cert in (cvxnn.certify_point(prog, net, lam), cvxnn.certify_point(prog, net, lam, convex_objective=c)):
        assert cert.oracle == prog.oracle and cert.to_dict()["oracle"] == prog.oracle
    assert cvxnn.certify_point(prog, net, lam, convex_objective=c).convex_objective == c
    assert cvxnn.certify_point(prog, net, lam).convex_objective is None
    assert cvxnn.certify(prog, tr.result).convex_objective == c


@pytest.mark.parametrize("chunk", [7, 65_536])
def test_streamed_abs_chain_oracle_at_depth_4(chunk):
    """abs_chain_sup at depth 4, in small chunks and in one: the same max as the stored depth-4 dictionary (the
    vectorised vertex enumeration, checked against a parameter grid in test_oracles_random_duals) and at least a
    grid of chains written here; its unit attains it. Data given as a column, or in float32, give the value of the
    same numbers in float64."""
    from cvxnn.models.chains_1d import abs_chain_dictionary

    x, rng = sorted_points(21, 7)
    D = abs_chain_dictionary(x, 4)
    g = np.linspace(0.0, 4.2, 15)
    a1, a2, a3 = np.meshgrid(np.linspace(-2.2, 2.2, 23), g, g, indexing="ij")
    G = np.abs(np.abs(np.abs(x[:, None] - a1.ravel()) - a2.ravel()) - a3.ravel())
    x32 = x.astype(np.float32)
    for _ in range(3):
        lam = centred(rng, x.size)
        sup, unit = abs_chain_sup(x, lam, 4, chunk=chunk)
        assert sup == pytest.approx(np.max(np.abs(lam @ D.matrix)), rel=1e-12)
        assert sup >= np.max(np.abs(lam @ G)) * (1 - 1e-12)
        b1, b2, b3 = unit["a"]
        assert abs(lam @ np.abs(np.abs(np.abs(x - b1) - b2) - b3)) == pytest.approx(sup, rel=1e-12)
        assert abs_chain_sup(x.reshape(-1, 1), lam, 4, chunk=chunk)[0] == pytest.approx(sup, rel=1e-12)
        s32, _ = abs_chain_sup(x32, lam.astype(np.float32), 4, chunk=chunk)
        s64, _ = abs_chain_sup(x32.astype(np.float64), lam.astype(np.float32).astype(np.float64), 4, chunk=chunk)
        assert s32 == pytest.approx(s64, rel=1e-13)


@pytest.mark.parametrize("chunk, stretch", [(5, 1.0), (65_536, 1.0), (65_536, 1e8)])
def test_streamed_abs_chain_top_list_holds_the_best_distinct_columns(chunk, stretch):
    """abs_chain_sup(..., top=4) at depth 3, in small chunks and in one: exactly the 4 best distinct columns among
    the vertices written here, best first; for data spread far, columns equal up to rounding relative to the data
    range are one column."""
    x, rng = sorted_points(31, 8)
    x = x * stretch
    for _ in range(3):
        lam = centred(rng, x.size)
        values, A = depth3_vertex_values(x, lam)
        cols = np.abs(np.abs(x[:, None] - A[:, 0]) - A[:, 1])
        best, seen = [], []
        for j in np.argsort(-values, kind="stable"):
            if any(np.max(np.abs(cols[:, j] - s)) <= 1e-9 * stretch for s in seen):
                continue
            seen.append(cols[:, j])
            best.append(values[j])
            if len(best) == 4:
                break
        _, _, V = abs_chain_sup(x, lam, 3, chunk=chunk, top=4)
        got = np.abs(lam @ np.abs(np.abs(x[:, None] - V[:, 0]) - V[:, 1]))
        assert V.shape == (4, 2) and np.allclose(got, best, rtol=1e-11, atol=0)


def test_gated_relu_oracle_is_the_largest_pattern_norm_and_names_it():
    """Gated ReLU (fixed gates): the sup is max over the arrangement's patterns of ||Xb^T D_i lam||, written here,
    and the unit reported is {"pattern": i} for a pattern attaining it."""
    from cvxnn.arrangements import enumerate_patterns

    rng = np.random.default_rng(16)
    X = rng.standard_normal((7, 2))
    Xb = np.hstack([X, np.ones((7, 1))])
    prog = cvxnn.build(X, X[:, 0] ** 2, cvxnn.GatedReLU(), beta=0.1)
    patterns = prog.arrangement.patterns
    assert {tuple(p) for p in patterns} == {tuple(p) for p in enumerate_patterns(Xb).patterns}
    for _ in range(3):
        lam = rng.standard_normal(7)
        norms = [np.linalg.norm(Xb.T @ (p * lam)) for p in patterns]
        sup, unit = prog.dual_sup(lam)
        assert sup == pytest.approx(max(norms), rel=1e-12) and set(unit) == {"pattern"}
        assert norms[unit["pattern"]] == pytest.approx(sup, rel=1e-12)


@pytest.mark.parametrize("act", ["sign", "threshold"])
def test_step_column_operator_refuses_breakpoints_outside_the_gaps(act):
    """Step columns need a breakpoint strictly inside a gap of the data: one below the first point or above the last
    gives no operator (None); inside, the operator's scores are lam^T sigma(s (x - c)) written here."""
    from cvxnn.activations import Activation
    from cvxnn.models.hinges_1d import Grid1D
    from cvxnn.models.two_layer_1d import column_operator

    sigma = {"sign": np.sign, "threshold": lambda u: (u >= 0).astype(float)}[act]
    x, rng = sorted_points(17, 6)
    grid = Grid1D.of(x)
    for bad in ([x[0] - 1.0], [x[-1] + 1.0], [x[0] - 1.0, x[-1] + 1.0], [0.5 * (x[0] + x[1]), x[0] - 0.5]):
        assert column_operator(grid, bad, np.ones(len(bad)), Activation(act)) is None
    c = 0.5 * (x[:-1] + x[1:])
    s = np.where(np.arange(c.size) % 2 == 0, 1.0, -1.0)
    lam = rng.standard_normal(6)
    expected = lam @ sigma(s[None, :] * (x[:, None] - c[None, :]))
    assert np.allclose(column_operator(grid, c, s, Activation(act)).scores(lam), expected, rtol=1e-12, atol=1e-14)


def test_wedge_oracle_without_columns_and_with_other_bias_conventions():
    """The wedge dictionary of coincident points has no columns: the sup is 0 (every unit is a constant); any bias
    convention other than 'free' is refused with the reason."""
    from cvxnn.errors import UnsupportedCombinationError
    from cvxnn.models.wedge import wedge_dictionary

    X = np.tile([[0.3, -1.2]], (4, 1))
    D = wedge_dictionary(X)
    assert D.size == 0
    assert D.dual_sup(np.array([1.0, -1.0, 0.5, -0.5]), X, "free") == (0.0, {})
    with pytest.raises(UnsupportedCombinationError, match=r"exact for bias='free' only .* received bias='penalized'"):
        wedge_dictionary(np.eye(3)).dual_sup(np.zeros(3), np.eye(3), "penalized")


def test_kink_column_operator_needs_breakpoints_at_the_data():
    """Kink columns relu(s (x - c)) need c at a data point: c between two points, or above the last one, gives no
    operator (None); at the data, the operator's scores are lam^T relu(s (x - c)) written here."""
    from cvxnn.activations import Activation
    from cvxnn.models.hinges_1d import Grid1D
    from cvxnn.models.two_layer_1d import column_operator

    x, rng = sorted_points(18, 6)
    grid = Grid1D.of(x)
    for bad in ([0.5 * (x[1] + x[2])], [x[-1] + 1.0], [x[0], 0.5 * (x[0] + x[1])]):
        assert column_operator(grid, bad, np.ones(len(bad)), Activation("relu")) is None
    s = np.where(np.arange(6) % 2 == 0, 1.0, -1.0)
    lam = rng.standard_normal(6)
    expected = lam @ np.maximum(s[None, :] * (x[:, None] - x[None, :]), 0.0)
    assert np.allclose(column_operator(grid, x, s, Activation("relu")).scores(lam), expected, rtol=1e-12, atol=1e-14)


def test_deep_abs_pool_refuses_other_bias_conventions_with_the_reason():
    from cvxnn.errors import UnsupportedCombinationError
    from cvxnn.models.deep_abs.pool import ChainPool, chain_directions
    from cvxnn.models.deep_abs.program import ORACLE_L1

    X = np.random.default_rng(19).standard_normal((5, 2))
    pool = ChainPool(X, chain_directions(X, "l1"), ORACLE_L1)
    with pytest.raises(UnsupportedCombinationError, match=r"^deep-abs nets are exact with bias='free' only; received "
                                                          r"'penalized'\.$"):
        pool.dual_sup(np.zeros(5), X, "penalized")


@pytest.mark.parametrize("act", ["relu", "abs"])
def test_arrangement_oracle_on_its_own_reports_a_unit_that_attains_it(act):
    """arrangement_dual_sup without precomputed walls (every nonzero row of each cone): on all the patterns of
    the enumeration, on a part of them (not a complete list: no row may be dropped), and on none. The sup equals
    the brute-force cone projections written here; the unit {pattern, sign, direction} attains it (sign * lam^T
    sigma(Xb u) = sup with u in the pattern's cone); at lam = 0, and for no pattern, the sup is 0 with no
    direction."""
    from cvxnn.activations import Activation
    from cvxnn.arrangements import enumerate_patterns
    from cvxnn.models.arrangement import arrangement_dual_sup

    rng = np.random.default_rng(20)
    Xb = np.hstack([rng.standard_normal((6, 2)), np.ones((6, 1))])
    sigma = {"relu": lambda u: np.maximum(u, 0.0), "abs": np.abs}[act]
    mult = {"relu": lambda p: p.astype(float), "abs": lambda p: np.where(p, 1.0, -1.0)}[act]
    allp = enumerate_patterns(Xb).patterns
    signs = set()
    for patterns in (allp, allp[::3]):
        for scale in (1.0, 1e-3):
            lam = scale * rng.standard_normal(6)
            expected = 0.0
            for p in patterns:
                A = np.where(p, 1.0, -1.0)[:, None] * Xb
                c = Xb.T @ (mult(p) * lam)
                expected = max(expected, cone_value(A, c), cone_value(A, -c))
            sup, unit = arrangement_dual_sup(lam, Xb, patterns, Activation(act))
            assert sup == pytest.approx(expected, rel=1e-9)
            assert set(unit) == {"pattern", "sign", "direction"} and unit["sign"] in (1.0, -1.0)
            u = np.asarray(unit["direction"])
            p = patterns[unit["pattern"]]
            assert np.linalg.norm(u) == pytest.approx(1.0, rel=1e-12)
            assert np.all(np.where(p, 1.0, -1.0) * (Xb @ u) >= -1e-9)
            assert unit["sign"] * (lam @ sigma(Xb @ u)) == pytest.approx(sup, rel=1e-9)
            # -lam: the same sup, attained by the same unit with the other sign
            sup2, unit2 = arrangement_dual_sup(-lam, Xb, patterns, Activation(act))
            assert sup2 == pytest.approx(sup, rel=1e-9) and unit2["sign"] in (1.0, -1.0)
            u2 = np.asarray(unit2["direction"])
            assert unit2["sign"] * (-lam @ sigma(Xb @ u2)) == pytest.approx(sup, rel=1e-9)
            signs.add(unit["sign"])
            signs.add(unit2["sign"])
    assert signs == {1.0, -1.0}
    sup, unit = arrangement_dual_sup(np.zeros(6), Xb, allp, Activation(act))
    assert sup == 0.0 and unit["direction"] is None
    assert arrangement_dual_sup(rng.standard_normal(6), Xb, allp[:0], Activation(act)) == (0.0, {})
    one, _ = arrangement_dual_sup(lam, Xb, allp[:1], Activation(act))
    A, c = np.where(allp[0], 1.0, -1.0)[:, None] * Xb, Xb.T @ (mult(allp[0]) * lam)
    assert one == pytest.approx(max(cone_value(A, c), cone_value(A, -c)), rel=1e-9, abs=1e-15)


def test_batched_back_substitution_solves_the_triangular_systems():
    """_back_substitute: z with R z = -y for a batch of upper triangular R (checked by multiplying back)."""
    from cvxnn.arrangements import _back_substitute

    rng = np.random.default_rng(22)
    for S in (1, 2, 4):
        R = np.triu(rng.standard_normal((5, S, S))) + 3.0 * np.eye(S)
        y = rng.standard_normal((5, S))
        z = _back_substitute(R, y)
        assert np.allclose(np.einsum("nst,nt->ns", R, z), -y, rtol=0, atol=1e-12)


def test_compacting_the_passive_slots():
    """_compact: the kept slots of the problems ids move to the front in their order, with their multipliers;
    the other slots are empty (negative index, multiplier 0); k counts the kept ones; other problems are left."""
    from cvxnn.arrangements import _compact

    slot = np.array([[4, 7, 2, -1], [0, 1, 2, 3], [5, 6, -1, -1]])
    mu = np.array([[0.4, 0.7, 0.2, 0.0], [1.0, 1.1, 1.2, 1.3], [0.5, 0.6, 0.0, 0.0]])
    k = np.array([3, 4, 2])
    keep = np.array([[False, True, True, False], [True, False, True, False]])
    _compact(np.array([0, 1]), keep, slot, mu, k)
    assert np.array_equal(slot[:, :2], [[7, 2], [0, 2], [5, 6]]) and np.all(slot[:2, 2:] < 0)
    assert np.array_equal(mu, [[0.7, 0.2, 0.0, 0.0], [1.0, 1.2, 0.0, 0.0], [0.5, 0.6, 0.0, 0.0]])
    assert np.array_equal(slot[2], [5, 6, -1, -1]) and np.array_equal(k, [2, 2, 2])


def test_grid_of_single_precision_or_integer_points_is_double():
    from cvxnn.models.hinges_1d import Grid1D

    x = np.array([0.1, -0.3, 0.1, 2.0], dtype=np.float32)
    g = Grid1D.of(x)
    assert g.t.dtype == np.float64 and np.array_equal(g.t, np.unique(x.astype(np.float64)))
    assert np.array_equal(g.t[g.index], x.astype(np.float64))
    assert Grid1D.of([3, 1, 3]).t.dtype == np.float64


def test_best_distinct_columns_look_past_many_copies_of_the_best():
    """_best_distinct: ten copies of the best column, then two others: the 2 best distinct are the first copy and
    the next column (the ranking prefix has to grow past the copies), the 3 best add the last one."""
    from cvxnn.models.chains_1d import _best_distinct

    a, b, c = np.array([1.0, 0.0, 2.0]), np.array([0.0, 1.0, 1.0]), np.array([3.0, 1.0, 0.0])
    F = np.column_stack([a] * 10 + [b, c])
    scores = np.array([9.0] * 10 + [5.0, 4.0])
    assert list(_best_distinct(F, scores, 2, 1.0)) == [0, 10]
    assert list(_best_distinct(F, scores, 3, 1.0)) == [0, 10, 11]
    assert list(_best_distinct(F, scores, 5, 1.0)) == [0, 10, 11]


def test_abs_chain_dictionary_without_its_matrix_and_without_columns(monkeypatch):
    """A depth-3 abs-chain dictionary not materialised (scored chunk by chunk) gives lam^T ||x - a1| - a2|| for
    every column, written here, and its oracle the largest |score| with that column's unit; a dictionary with no
    columns has sup 0 and no unit."""
    import cvxnn.models.chains_1d as ch

    monkeypatch.setattr(ch, "CHUNK", 7)
    x, rng = sorted_points(23, 6)
    params = np.column_stack([rng.uniform(-2.0, 2.0, 30), rng.uniform(0.0, 3.0, 30)])
    D = ch.AbsChainDictionary1D(x, params, 3, materialize=False)
    lam = rng.standard_normal(6)
    expected = lam @ np.abs(np.abs(x[:, None] - params[:, 0]) - params[:, 1])
    assert D.matrix is None and np.allclose(D.scores(lam), expected, rtol=1e-12, atol=1e-14)
    sup, unit = D.dual_sup(lam, x[:, None], "free")
    j = int(np.argmax(np.abs(expected)))
    assert sup == pytest.approx(abs(expected[j]), rel=1e-12) and unit == {"a": [float(v) for v in params[j]]}
    assert ch.AbsChainDictionary1D(x, params[:0], 3).dual_sup(lam, x[:, None], "free") == (0.0, {})


# ---------------------------------------------------------------------------- work the fast oracles promise to save
# Each oracle below has an exact fallback or an exact alternative that is much slower; the tests pin the work they
# promise (a count, not a time): the batched NNLS settles on its own, the vertex stream visits each vertex once,
# the best-distinct search deduplicates a prefix, the chain oracle reuses its last pass, the arrangement oracle
# stops early.
def unit_rows(rng, N, m, r, empty=0):
    """N problems of m unit rows in R^r, the last ``empty`` of them zero (padding)."""
    A = rng.standard_normal((N, m, r))
    A /= np.linalg.norm(A, axis=2)[:, :, None]
    if empty:
        A[:, m - empty:] = 0.0
    return A


@pytest.mark.parametrize("m, r, empty", [(8, 4, 0), (6, 3, 2), (3, 5, 0), (12, 3, 0)])
def test_batched_nnls_settles_on_its_own_and_equals_scipy(m, r, empty):
    """_nnls_batch on random unit rows (rows leave the active set often: m > r): every problem converges within
    the iteration budget (none left to the scipy fallback) from a cold start and from the most violated row, and
    rho equals c + A^T mu for scipy's NNLS mu."""
    from scipy.optimize import nnls

    from cvxnn.arrangements import _nnls_batch

    rng = np.random.default_rng(m * 100 + r)
    N = 200
    A, c = unit_rows(rng, N, m, r, empty), rng.standard_normal((N, r))
    ref = np.array([c[b] + A[b].T @ nnls(A[b].T, -c[b])[0] for b in range(N)])
    dots = np.einsum("nmr,nr->nm", A, c)
    violated = dots.min(axis=1) < 0
    for first in (None, np.argmin(dots, axis=1)):
        if first is None:
            rho, state = _nnls_batch(A, c)
        else:  # the warm start needs a violated row
            rho, state = _nnls_batch(A[violated], c[violated], first=first[violated])
        want = ref if first is None else ref[violated]
        assert np.all(state == 1), f"{np.sum(state != 1)} of {state.size} problems did not settle"
        assert np.allclose(rho, want, rtol=0, atol=1e-10)


def test_batched_nnls_stops_at_a_bound_with_an_upper_bound():
    """With ``stop``: a problem whose |rho| falls to at most stop ends in state 2 with stop >= |rho| >= the exact
    value (scipy's NNLS); the others converge to the exact value."""
    from scipy.optimize import nnls

    from cvxnn.arrangements import _nnls_batch

    rng = np.random.default_rng(5)
    N, m, r = 200, 5, 4
    A, c = unit_rows(rng, N, m, r), rng.standard_normal((N, r))
    exact = np.array([np.linalg.norm(c[b] + A[b].T @ nnls(A[b].T, -c[b])[0]) for b in range(N)])
    stop = np.full(N, np.median(exact[exact > 1e-9]))
    rho, state = _nnls_batch(A, c, stop)
    val = np.linalg.norm(rho, axis=1)
    assert set(np.unique(state)) == {1, 2}
    assert np.all(val[state == 2] <= stop[state == 2] * (1 + 1e-12))
    assert np.all(val[state == 2] >= exact[state == 2] * (1 - 1e-12) - 1e-15)
    assert np.allclose(val[state == 1], exact[state == 1], rtol=1e-10, atol=1e-12)


def test_cone_oracle_solves_every_problem_without_the_fallback(monkeypatch):
    """cone_sup on a d = 3 arrangement (2-D data with a bias column): no problem is handed to scipy's NNLS."""
    import cvxnn.arrangements as arr

    calls = []
    monkeypatch.setattr(arr, "_nnls_one", lambda A, c: calls.append(1) or c.copy())
    rng = np.random.default_rng(8)
    X = np.hstack([rng.standard_normal((12, 2)), np.ones((12, 1))])
    patterns = arr.enumerate_patterns(X).patterns
    walls = arr.pattern_walls(X, patterns, complete=True)
    arr.cone_sup(rng.standard_normal((patterns.shape[0], 3)), X, walls)
    assert calls == []


def abs_chain_planes(depth):
    """The planes of the depth-L chain-parameter arrangement, written here from the chain ||..|x - a1| - a2|.. -
    a_{L-1}|: the kinks a1 +- a2 +- ... +- a_l = x_i (one plane per sign pattern and level, right-hand side a data
    point) and a_l = 0 for l >= 2 (right-hand side 0). Returns [(normal, data_rhs)]."""
    from itertools import product

    k = depth - 1
    planes = []
    for level in range(1, k + 1):
        for signs in product((1.0, -1.0), repeat=level - 1):
            planes.append((np.array([1.0, *signs] + [0.0] * (k - level)), True))
    for level in range(2, k + 1):
        normal = np.zeros(k)
        normal[level - 1] = 1.0
        planes.append((normal, False))
    return planes


def raw_vertices(x, depth):
    """Every solution of k = L - 1 independent planes with every choice of data points (a_l >= 0 for l >= 2, up to
    1e-12 times the data range, then clipped at 0): the multiset the vertex stream yields, solved here one by one."""
    from itertools import combinations, product

    u = np.unique(x)
    k = depth - 1
    planes = abs_chain_planes(depth)
    out = []
    for S in combinations(planes, k):
        N = np.array([p[0] for p in S])
        if abs(np.linalg.det(N)) <= 1e-9:
            continue
        for pts in product(u, repeat=sum(p[1] for p in S)):
            it = iter(pts)
            a = np.linalg.solve(N, np.array([next(it) if p[1] else 0.0 for p in S]))
            if np.all(a[1:] >= -1e-12 * np.ptp(u)):
                out.append(np.concatenate([a[:1], np.maximum(a[1:], 0.0)]))
    return np.array(out)


def sorted_rows(V, scale):
    V = np.round(V / scale, 8) + 0.0  # (+ 0.0: no negative zeros)
    return V[np.lexsort(V.T[::-1])]


@pytest.mark.parametrize("depth, n, offset, stretch, midpoints", [
    (3, 5, 0.0, 1.0, False), (4, 4, 0.0, 1.0, False), (4, 4, 1e6, 1.0, False), (4, 5, 0.0, 1e7, False),
    (4, 4, 0.0, 1e7, True)])
def test_vertex_stream_yields_every_vertex_once(depth, n, offset, stretch, midpoints):
    """iter_abs_chain_vertices, in chunks of any size, yields exactly the multiset of vertices solved here (each
    once: no chunk rescans another, none is skipped, vertices with a_l = 0 kept), also for data far from 0 where
    0 or spread far (the a_l >= 0 test is relative to the data range: a_l = 0 comes out of rounding as about
    -1e-16 times the data; with points at midpoints of others, spread 1e7, some vertices have a_l = 0 computed as
    about -1e-9, which must be kept)."""
    from cvxnn.models.chains_1d import iter_abs_chain_vertices

    x, _ = sorted_points(depth * 10 + n, n)
    x = x * stretch + offset
    if midpoints:
        x = np.concatenate([x, [(x[0] + x[1]) / 2, (x[2] + x[3]) / 2]])
    want = raw_vertices(x, depth)
    scale = max(np.ptp(x), 1.0)
    for chunk in (1, 3, 7, 65_536):
        got = np.vstack(list(iter_abs_chain_vertices(x, depth, chunk)))
        assert got.shape == want.shape
        assert np.array_equal(sorted_rows(got, scale), sorted_rows(want, scale))


def test_best_distinct_deduplicates_a_prefix_only(monkeypatch):
    """_best_distinct with k distinct columns among the first 4k of the ranking deduplicates only that prefix (the
    point of the prefix: a chunk holds up to 65,536 vertices), and grows it 4x at a time when it holds fewer."""
    import cvxnn.models.chains_1d as ch

    sizes = []
    real = ch.dedupe_columns
    monkeypatch.setattr(ch, "dedupe_columns", lambda F, scale: sizes.append(F.shape[1]) or real(F, scale))
    rng = np.random.default_rng(4)
    F = rng.standard_normal((5, 1000))
    scores = rng.uniform(0, 1, 1000)
    assert len(ch._best_distinct(F, scores, 3, 1.0)) == 3 and sizes == [12]
    sizes.clear()
    F[:, :] = F[:, :1]  # every column the same: the prefix grows to the whole ranking
    assert len(ch._best_distinct(F, scores, 3, 1.0)) == 1 and sizes == [12, 48, 192, 768, 1000]


def test_chain_oracle_reuses_its_last_pass(monkeypatch):
    """ChainOracle answers dual_sup and top_units at the same dual point from one streamed pass, and makes a new
    pass for a new point."""
    import cvxnn.models.chains_1d as ch

    passes = []
    real = ch.abs_chain_sup
    monkeypatch.setattr(ch, "abs_chain_sup", lambda *a, **k: passes.append(1) or real(*a, **k))
    x, rng = sorted_points(12, 7)
    oracle = ch.ChainOracle(x[:, None], np.sin(x), cvxnn.Deep1D(3, "abs"), 0.1, "training")
    lam = centred(rng, 7)
    sup, unit = oracle.dual_sup(lam)
    cols = oracle.top_units(lam, 3)
    assert oracle.dual_sup(lam) == (sup, unit) and len(passes) == 1
    assert abs(lam @ cols[:, 0]) == pytest.approx(sup, rel=1e-12)
    oracle.dual_sup(2.0 * lam)
    assert len(passes) == 2


def test_arrangement_oracle_stops_early(monkeypatch):
    """arrangement_dual_sup asks the cone oracle for the early-stopped visit (patterns by decreasing bound, skipped
    once none can win): on 40 points in d = 2 it solves fewer (pattern, sign) problems than computing every
    pattern's value, and its max is exact."""
    import cvxnn.arrangements as arr
    import cvxnn.models.arrangement as am
    from cvxnn.activations import Activation

    solved = []
    real = arr._nnls_batch
    monkeypatch.setattr(arr, "_nnls_batch", lambda A, c, *a, **k: solved.append(A.shape[0]) or real(A, c, *a, **k))
    rng = np.random.default_rng(9)
    Xb = np.hstack([rng.standard_normal((40, 2)), np.ones((40, 1))])
    patterns = arr.enumerate_patterns(Xb).patterns
    lam = centred(rng, 40)
    best, _ = am.arrangement_dual_sup(lam, Xb, patterns, Activation("relu"))
    early = sum(solved)
    exact = am.pattern_values(lam, Xb, patterns, Activation("relu"))
    assert best == pytest.approx(exact.max(), rel=1e-12)
    assert 0 < early < 0.8 * (sum(solved) - early)  # measured: 2,045 of 3,110 problems


def test_step_back_moves_to_the_first_multiplier_that_reaches_zero():
    """_step_back (Lawson-Hanson's inner step), values worked out here: from mu towards z, the step alpha = min over
    passive slots with z_i <= 0 of mu_i / (mu_i - z_i); mu + alpha (z - mu); every passive slot at zero leaves (the
    one that set alpha always), empty slots stay zero."""
    from cvxnn.arrangements import _step_back

    mu = np.array([[1.0, 2.0, 1.0, 0.0],   # slot 1 hits zero first (alpha = 2 / 4 = 0.5)
                   [1.0, 1.0, 0.0, 0.0],   # both hit zero at alpha = 0.5: both leave
                   [1.0, 1.0, 0.0, 0.0]])  # z_0 = 0 exactly: alpha = 1, mu = z
    z = np.array([[3.0, -2.0, 2.0, 5.0],
                  [-1.0, -1.0, 0.0, 0.0],
                  [0.0, 2.0, 0.0, 0.0]])
    passive = np.array([[True, True, True, False], [True, True, False, False], [True, True, False, False]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 / 0 in the empty slots is expected: it must not reach the user
        new, keep = _step_back(mu, z, passive)
    assert np.array_equal(keep, [[True, False, True, False], [False, False, False, False],
                                 [False, True, False, False]])
    assert np.array_equal(new, [[2.0, 0.0, 1.5, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]])


def half_space_bounds(A_list, C):
    """Per pattern and sign, the projection of +-c onto the half-space of the most violated unit row, written here:
    sqrt(|c|^2 - min(0, min_a a^T c)^2) (an upper bound of the cone value, exact for a cone with one row)."""
    out = np.zeros((len(A_list), 2))
    for k, A in enumerate(A_list):
        for side, c in enumerate((C[k], -C[k])):
            worst = min(0.0, float(np.min(A @ c))) if len(A) else 0.0
            out[k, side] = np.sqrt(max(c @ c - worst ** 2, 0.0))
    return out


def cone_rows(X, walls, p):
    """The unit rows of pattern p's cone as stored in ``walls``, written here."""
    a, b = walls.indptr[p], walls.indptr[p + 1]
    R = walls.signs[a:b, None] * X[walls.rows[a:b]]
    return R / np.linalg.norm(R, axis=1)[:, None]


def test_cone_oracle_on_chosen_patterns_integer_vectors_and_zero_vectors():
    """cone_sup with ``idx`` (patterns in any order, repeated, or all of them permuted) gives the brute-force value
    of each chosen cone;
    integer vectors give the values of the same numbers as floats; a zero vector has value 0 and direction 0,
    without a warning."""
    import cvxnn.arrangements as arr

    X, patterns, rng = small_arrangement(4)
    walls = arr.pattern_walls(X, patterns, complete=True)
    idx = np.array([5, 2, 2, 0, len(patterns) - 1])
    C = rng.integers(-3, 4, size=(idx.size, 3))
    values, dirs = arr.cone_sup(C, X, walls, idx)
    for k, p in enumerate(idx):
        A = np.where(patterns[p], 1.0, -1.0)[:, None] * X
        assert values[k] == pytest.approx([cone_value(A, C[k]), cone_value(A, -C[k])], rel=1e-9, abs=1e-12)
    assert np.array_equal(values, arr.cone_sup(C.astype(np.float64), X, walls, idx)[0])
    perm = rng.permutation(len(walls))  # every pattern, in another order
    full = rng.standard_normal((len(walls), 3))
    assert np.allclose(arr.cone_sup(full[perm], X, walls, perm)[0], arr.cone_sup(full, X, walls)[0][perm],
                       rtol=1e-12, atol=1e-15)
    C0 = np.zeros((2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v0, d0 = arr.cone_sup(C0, X, walls, [1, 3])
    assert np.array_equal(v0, np.zeros((2, 2))) and np.array_equal(d0, np.zeros((2, 2, 3)))


def test_cone_oracle_below_a_threshold_keeps_the_half_space_bound(monkeypatch):
    """With a threshold just above each pattern's half-space bound (computed here), cone_sup solves nothing and
    returns those bounds; with no threshold it returns the exact values (never above the bounds)."""
    import cvxnn.arrangements as arr

    X, patterns, rng = small_arrangement(6)
    walls = arr.pattern_walls(X, patterns, complete=True)
    C = rng.standard_normal((patterns.shape[0], 3))
    bounds = half_space_bounds([cone_rows(X, walls, p) for p in range(len(walls))], C)
    solved = []
    real = arr._nnls_batch
    monkeypatch.setattr(arr, "_nnls_batch", lambda A, c, *a, **k: solved.append(A.shape[0]) or real(A, c, *a, **k))
    values, _ = arr.cone_sup(C, X, walls, threshold=bounds.max(axis=1) * (1 + 1e-9))
    assert solved == [] and np.allclose(values, bounds, rtol=1e-12, atol=0)
    exact, _ = arr.cone_sup(C, X, walls)
    assert solved and np.all(exact <= bounds * (1 + 1e-12)) and np.any(exact < bounds * (1 - 1e-6))


def test_cone_oracle_on_half_spaces():
    """Cones of one row (half-spaces), built by hand: the value is the closed form sqrt(|c|^2 - min(0, a^T c)^2)
    for +c and -c (0 for c = -2a, with direction 0)."""
    import cvxnn.arrangements as arr

    rng = np.random.default_rng(10)
    X = rng.standard_normal((5, 3))
    X[0] = [3.0, 0.0, 0.0]  # a unit row in exact arithmetic
    walls = arr.Walls(np.arange(6, dtype=np.int64), np.array([0, 1, 2, 3, 4]), np.array([1.0, -1.0, 1.0, 1.0, -1.0]),
                      False)
    a = walls.signs[:, None] * X / np.linalg.norm(X, axis=1)[:, None]
    C = rng.standard_normal((5, 3))
    C[0] = -2.0 * a[0]  # +c is in the polar cone: value 0, direction 0 (solved, without a 0 / 0 warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, dirs = arr.cone_sup(C, X, walls)
    assert values[0, 0] == 0.0 and np.array_equal(dirs[0, 0], np.zeros(3))
    t = np.einsum("kr,kr->k", a, C)
    want = np.column_stack([np.sqrt(np.einsum("kr,kr->k", C, C) - np.minimum(t, 0.0) ** 2),
                            np.sqrt(np.einsum("kr,kr->k", C, C) - np.minimum(-t, 0.0) ** 2)])
    assert np.allclose(values, want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("n", [60, 70])
def test_cone_oracle_with_many_rows(n):
    """Cones given by every row of 60 or 70 points (near and above the largest padding size): the values equal
    scipy's NNLS projection on those rows, computed here."""
    from scipy.optimize import nnls

    import cvxnn.arrangements as arr

    rng = np.random.default_rng(11)
    X = np.hstack([rng.standard_normal((n, 2)), np.ones((n, 1))])
    u = rng.standard_normal((12, 3))
    patterns = (X @ u.T > 0).T  # 12 patterns of random directions (each cone holds its direction)
    walls = arr.pattern_walls(X, patterns, complete=False)
    assert np.all(walls.counts() == n)
    C = rng.standard_normal((12, 3))
    values, _ = arr.cone_sup(C, X, walls)
    for k, p in enumerate(patterns):
        A = np.where(p, 1.0, -1.0)[:, None] * X / np.linalg.norm(X, axis=1)[:, None]
        for side, c in enumerate((C[k], -C[k])):
            assert values[k, side] == pytest.approx(np.linalg.norm(c + A.T @ nnls(A.T, -c)[0]), rel=1e-9, abs=1e-12)


def test_unit_rows_of_walls():
    """Walls.unit_rows: sign times X_i / |X_i| for each stored row, in float64 for float32 data, zero for a zero
    row (without a warning), recomputed for another X (the cache is per X)."""
    import cvxnn.arrangements as arr

    X = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]], dtype=np.float32)
    walls = arr.Walls(np.array([0, 2, 3], dtype=np.int64), np.array([0, 1, 2]), np.array([1.0, -1.0, -1.0]), False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        U = walls.unit_rows(X)
    assert U.dtype == np.float64
    assert np.array_equal(U[1], [0.0, 0.0]) and np.allclose(U[[0, 2]], [[0.6, 0.8], [-2 ** -0.5, 2 ** -0.5]],
                                                                rtol=0, atol=1e-15)
    U2 = walls.unit_rows(2.0 * X[::-1])
    assert np.allclose(U2, [[2 ** -0.5, -2 ** -0.5], [0.0, 0.0], [-0.6, -0.8]], rtol=0, atol=1e-15)


def cone_max(C, patterns, unit):
    """max over patterns p and signs s of the projection of s c_p onto p's full cone, by scipy's NNLS, here."""
    from scipy.optimize import nnls

    best = 0.0
    for c, pat in zip(C, patterns):
        A = np.where(pat, 1.0, -1.0)[:, None] * unit
        for s in (1.0, -1.0):
            best = max(best, float(np.linalg.norm(s * c + A.T @ nnls(A.T, -s * c)[0])))
    return best


def test_arrangement_oracle_repairs_cones_that_lost_a_wall():
    """arrangement_dual_sup handed wall rows that miss one wall of every pattern with more than 3 (so those cones
    are too big): the value equals scipy's NNLS over every row of every cone, computed here, and the unit it
    reports lies in its pattern's full cone and attains the value (at dual points where the cut cones alone
    would overstate it)."""
    import cvxnn.arrangements as arr
    from cvxnn.activations import Activation
    from cvxnn.models.arrangement import arrangement_dual_sup

    rng = np.random.default_rng(4)
    Xb = np.hstack([rng.standard_normal((9, 2)), np.ones((9, 1))])
    patterns = arr.enumerate_patterns(Xb).patterns
    walls = arr.pattern_walls(Xb, patterns, complete=True)
    keep = np.ones(walls.rows.size, dtype=bool)
    keep[walls.indptr[1:][walls.counts() > 3] - 1] = False
    cnt = np.bincount(walls.pattern_of_entry()[keep], minlength=len(walls))
    cut = arr.Walls(np.concatenate([[0], np.cumsum(cnt)]), walls.rows[keep], walls.signs[keep], False)
    unit = Xb / np.linalg.norm(Xb, axis=1)[:, None]
    repaired = 0
    for trial in range(80):
        lam = rng.standard_normal(9) * (1.0 if trial % 2 else 1e-3)  # sups above and below 1
        C = np.array([Xb.T @ (pat * lam) for pat in patterns])
        if arr.cone_sup(C, Xb, cut)[0].max() <= 1.0001 * cone_max(C, patterns, unit):
            continue  # the cut cones do not overstate the sup at this point: nothing to repair
        repaired += 1
        sup, u = arrangement_dual_sup(lam, Xb, patterns, Activation("relu"), walls=cut)
        assert sup == pytest.approx(cone_max(C, patterns, unit), rel=1e-9)
        d = np.asarray(u["direction"])
        A = np.where(patterns[u["pattern"]], 1.0, -1.0)[:, None] * unit
        assert np.all(A @ d >= -1e-9) and abs(lam @ np.maximum(Xb @ d, 0.0)) == pytest.approx(sup, rel=1e-9)
        if repaired == 6:
            break
    assert repaired >= 1  # the situation tested happened


def test_arrangement_program_cone_rows_are_the_walls_or_every_row():
    """The arrangement program's cone rows: with walls, those of the enumerated arrangement (fewer than n per
    pattern here); without, every nonzero row of X with the pattern's sign."""
    import cvxnn.arrangements as arr
    from cvxnn.models.arrangement import _walls

    rng = np.random.default_rng(12)
    Xb = np.hstack([rng.standard_normal((10, 2)), np.ones((10, 1))])
    Xb[3] = 0.0
    arrangement = arr.enumerate_patterns(Xb)
    every = _walls(arrangement, Xb, False)
    assert np.all(every.counts() == 9)
    for p, pat in enumerate(arrangement.patterns):
        rows = every.rows[every.indptr[p]: every.indptr[p + 1]]
        assert sorted(rows) == [i for i in range(10) if i != 3]
        assert np.array_equal(every.signs[every.indptr[p]: every.indptr[p + 1]], np.where(pat[rows], 1.0, -1.0))
    w = _walls(arrangement, Xb, True)
    assert np.all(w.counts() < 9) and np.array_equal(w.rows, arrangement.walls(Xb).rows)


def test_cone_oracle_early_stop_over_several_chunks(monkeypatch):
    """stop_below=True when every bound stays above the best value: 6,000 thin square pyramids (half-angle a
    around a random axis e, walls e sin a -+ d_i cos a) and c = (d_1 + d_2) / sqrt 2 (+c and -c alike): the
    half-space bound is sqrt(1 - cos^2 a / 2) and the value, at the corner e + tan a (d_1 + d_2), is
    sqrt 2 tan a / sqrt(1 + 2 tan^2 a) (both worked out here), so the visit goes through every chunk of patterns
    and solves each (pattern, sign) problem once."""
    import cvxnn.arrangements as arr

    P, a = 6000, 0.1
    rng = np.random.default_rng(13)
    frames = np.linalg.qr(rng.standard_normal((P, 3, 3)))[0]  # columns: e, d1, d2
    e, d1, d2 = frames[:, :, 0], frames[:, :, 1], frames[:, :, 2]
    normals = np.stack([e * np.sin(a) - d * s * np.cos(a) for d in (d1, d2) for s in (1.0, -1.0)], axis=1)
    X = normals.reshape(-1, 3)
    walls = arr.Walls(np.arange(0, 4 * P + 1, 4, dtype=np.int64), np.arange(4 * P), np.ones(4 * P), False)
    C = (d1 + d2) / np.sqrt(2.0)
    solved = []
    real = arr._nnls_batch
    monkeypatch.setattr(arr, "_nnls_batch", lambda A, c, *x, **k: solved.append(A.shape[0]) or real(A, c, *x, **k))
    values, _ = arr.cone_sup(C, X, walls, stop_below=True)
    t = np.tan(a)
    assert np.allclose(values, np.sqrt(2.0) * t / np.sqrt(1.0 + 2.0 * t * t), rtol=1e-9, atol=0)
    assert sum(solved) == 2 * P and len(solved) >= 3
    bound = np.sqrt(1.0 - np.cos(a) ** 2 / 2.0)
    values, _ = arr.cone_sup(C, X, walls, threshold=bound * (1 + 1e-9))
    assert np.allclose(values, bound, rtol=1e-9, atol=0)


@pytest.mark.parametrize("scale", [1e-14, 1e-6, 1e8])
def test_batched_nnls_is_scale_free(scale):
    """The stopping rule is relative to |c|: c scaled by 1e-14, 1e-6 or 1e8 gives rho scaled by the same factor
    (scipy's NNLS on the scaled problem, here), every problem settled."""
    from scipy.optimize import nnls

    from cvxnn.arrangements import _nnls_batch

    rng = np.random.default_rng(14)
    N, m, r = 100, 7, 4
    A, c = unit_rows(rng, N, m, r), scale * rng.standard_normal((N, r))
    ref = np.array([c[b] + A[b].T @ nnls(A[b].T, -c[b])[0] for b in range(N)])
    rho, state = _nnls_batch(A, c)
    assert np.all(state == 1)
    assert np.allclose(rho, ref, rtol=0, atol=1e-10 * scale)


@pytest.mark.parametrize("chunk", [4_000_000, 500])
def test_label_scores_are_the_chain_values_at_every_label(monkeypatch, chunk):
    """label_scores (the deep-abs pool's oracle): S[c, l] = lam^T ||X v_c - a1| - a2|| with, written here, for the
    two-layer label (j, j) a1 = t_j, a2 = 0; a reflection (j, k): a1 = t_j, a2 = |t_k - t_j|; a midpoint (k, l):
    a1 = (t_k + t_l) / 2, a2 = |t_l - t_k| / 2 (t = X v_c). On 5 points in d = 3 (n != d) with 40 directions, in
    one chunk and in chunks of a few directions."""
    import cvxnn.models.deep_abs.pool as pool

    monkeypatch.setattr(pool, "CHUNK_ENTRIES", chunk)
    rng = np.random.default_rng(15)
    X, V, lam = rng.standard_normal((5, 3)), rng.standard_normal((40, 3)), rng.standard_normal(5)
    cols = []
    T = X @ V.T
    for j in range(5):
        cols.append((T[j], 0.0 * T[j]))
    for j in range(5):
        for k in range(5):
            if j != k:
                cols.append((T[j], np.abs(T[k] - T[j])))
    for k in range(5):
        for m in range(k + 1, 5):
            cols.append((0.5 * (T[k] + T[m]), 0.5 * np.abs(T[m] - T[k])))
    want = np.column_stack([lam @ np.abs(np.abs(T - a1) - a2) for a1, a2 in cols])
    pool.label_scores(X, V, pool.Labels.of(5), rng.standard_normal(5))  # (other scores in memory a chunk skipped
    got = pool.label_scores(X, V, pool.Labels.of(5), lam)                # would leave behind)
    assert got.shape == (40, 35) and np.allclose(got, want, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------ the exact l2 oracles of deep absolute-value nets
# (arcs in d = 2, the sphere in d = 3): helpers, then checks against searches written here
def labels_of(n):
    """The 1-D vertex labels in the documented order: two-layer (j, j), reflections (j, k) with j != k (j outer),
    midpoints (k < l); each as (kind, p, q) with kind 1 for midpoints."""
    out = [(0, j, j) for j in range(n)]
    out += [(0, j, k) for j in range(n) for k in range(n) if j != k]
    out += [(1, k, l) for k in range(n) for l in range(k + 1, n)]
    return out


def label_values(X, lam, V):
    """S[c, l] = lam^T ||X v_c - a1| - a2|| for every direction v_c (rows of V) and every label l: reflection
    (j, k): a1 = t_j, a2 = |t_k - t_j|; midpoint (k, l): a1 = (t_k + t_l)/2, a2 = |t_l - t_k|/2, t = X v."""
    X = np.asarray(X, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    labs = labels_of(X.shape[0])
    kind = np.array([a for a, _, _ in labs])[:, None]
    p = np.array([b for _, b, _ in labs])
    q = np.array([c for _, _, c in labs])
    T = X @ np.asarray(V, dtype=np.float64).T  # (n, m)
    a1 = np.where(kind == 1, 0.5 * (T[p] + T[q]), T[p])  # (L, m)
    a2 = np.where(kind == 1, 0.5 * np.abs(T[q] - T[p]), np.abs(T[q] - T[p]))
    F = np.abs(np.abs(T[:, None, :] - a1[None]) - a2[None])  # (n, L, m)
    return np.einsum("i,ilm->ml", lam, F)


def kink_vectors(X):
    """x_i - x_j (i < j) and x_a + x_b - 2 x_c (a < b, c not in {a, b}), zero rows dropped."""
    n = X.shape[0]
    W = [X[i] - X[j] for i in range(n) for j in range(i + 1, n)]
    W += [X[a] + X[b] - 2 * X[c] for a in range(n) for b in range(a + 1, n) for c in range(n) if c not in (a, b)]
    W = np.array(W).reshape(-1, X.shape[1])
    return W[np.linalg.norm(W, axis=1) > 1e-12]


def angles(t):
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    return np.column_stack([np.cos(t), np.sin(t)])


def kink_angles(X):
    """Angles in [0, pi) of the directions normal to a kink vector (where some label's score has a kink)."""
    W = kink_vectors(X)
    return np.mod(np.arctan2(-W[:, 0], W[:, 1]), np.pi)


def arc_sup_search(X, lam, m=20_000, fine=801, starts=8):
    """A lower bound within ~1e-7 of max over angles and labels of |S_l|: a dense grid, a fine grid around the
    best grid angles, and the kink angles (the only non-smooth points)."""
    t = np.linspace(0.0, np.pi, m, endpoint=False)
    S = np.abs(label_values(X, lam, angles(t))).max(axis=1)
    step = np.pi / m
    tl = t[np.argsort(-S)[:starts]]
    local = (tl[:, None] + np.linspace(-step, step, fine)[None]).ravel()
    best = max(S.max(), np.abs(label_values(X, lam, angles(local))).max())
    ka = kink_angles(X)
    if ka.size:
        best = max(best, np.abs(label_values(X, lam, angles(ka))).max())
    return float(best)


def entry_values(X, lam, best):
    """|S_lab(v)| recomputed here for every (value, v, lab) entry."""
    return np.array([abs(label_values(X, lam, np.asarray(v)[None])[0, lab]) for _, v, lab in best])


def check_sup_and_best_unit(X, lam, sup, best, ref):
    """The oracle's sup is never below the search's value ref and within 1e-6 of it; its one listed unit is a unit
    vector whose listed value is the sup and whose value recomputed here is the sup."""
    assert ref <= sup * (1 + 1e-12)
    assert sup <= ref * (1 + 1e-6)
    assert len(best) == 1
    value, v, lab = best[0]
    assert abs(np.linalg.norm(v) - 1) < 1e-12
    assert abs(value - sup) <= 1e-12 * sup
    assert abs(entry_values(X, lam, best)[0] - sup) <= 1e-10 * sup


# -------------------------------------------------------------------------------------------- the arc oracle
@pytest.mark.parametrize("n,seed", [(2, 0), (2, 1), (3, 2), (3, 3), (4, 4), (5, 5), (5, 6), (6, 7)])
def test_arc_oracle_equals_a_refined_angle_search(n, seed):
    """d = 2: at random centred duals the oracle's sup equals the max over a dense + locally refined angle grid
    and the kink angles (within 1e-6), is never below it, and the reported direction attains it."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    for scale in (1.0, 0.01):
        lam = centred(rng, n, scale)
        sup, best = arc_oracle(X, lam, top=1)
        check_sup_and_best_unit(X, lam, sup, best, arc_sup_search(X, lam))


def arc_label_sups(X, lam, m=20_000, fine=801):
    """Per label, max over angles of |S_l| to ~1e-7: a dense grid, a fine grid around the label's best grid angle
    and the kink angles."""
    t = np.linspace(0.0, np.pi, m, endpoint=False)
    S = np.abs(label_values(X, lam, angles(t)))  # (m, L)
    step = np.pi / m
    tl = t[np.argmax(S, axis=0)]
    best = S.max(axis=0)
    for lab, t0 in enumerate(tl):
        local = np.abs(label_values(X, lam, angles(t0 + np.linspace(-step, step, fine))))[:, lab]
        best[lab] = max(best[lab], local.max())
    ka = kink_angles(X)
    if ka.size:
        best = np.maximum(best, np.abs(label_values(X, lam, angles(ka))).max(axis=0))
    return best


def check_top_list(X, lam, sup, best, tol=1e-10):
    """The list is best first, starts at sup, holds distinct (direction, label) units whose values are recomputed
    here, and, for every label, the label's own sup over the angle (top above the number of candidates)."""
    X64 = np.asarray(X, dtype=np.float64)
    lam64 = np.asarray(lam, dtype=np.float64)
    vals = np.array([b[0] for b in best])
    assert np.all(np.diff(vals) <= 1e-12 * sup)
    assert abs(vals[0] - sup) <= 1e-12 * sup
    np.testing.assert_allclose(entry_values(X64, lam64, best), vals, rtol=0, atol=tol * sup)
    ang = np.array([np.mod(np.arctan2(v[1], v[0]), np.pi) for _, v, _ in best])
    labs = np.array([b[2] for b in best])
    for i in range(len(best)):  # distinct units
        same = (labs == labs[i]) & (np.arange(len(best)) != i)
        gap = np.abs(ang[same] - ang[i])
        assert np.all(np.minimum(gap, np.pi - gap) > 1e-12)
    own = arc_label_sups(X64, lam64)
    listed = np.array([vals[labs == lab].max() if np.any(labs == lab) else 0.0 for lab in range(own.size)])
    np.testing.assert_allclose(listed, own, rtol=0, atol=1e-6 * sup)
    return vals, ang, labs


@pytest.mark.parametrize("n,seed", [(2, 0), (2, 1), (3, 2), (4, 3), (4, 4), (5, 5)])
def test_arc_oracle_top_list_holds_every_label_sup_and_smooth_local_maximum(n, seed):
    """With top above the number of candidates the list holds every label's own sup and, for every label, each
    strict local maximum of |S_l| over the angle that is not at a kink (there the score is c^T v on an arc and
    peaks at c/||c||); every entry is a distinct (direction, label) unit whose value is recomputed here, best
    first."""
    rng = np.random.default_rng(10 + seed)
    X = rng.uniform(-1, 1, (n, 2))
    lam = centred(rng, n)
    sup, best = arc_oracle(X, lam, top=10 ** 6)
    vals, ang, labs = check_top_list(X, lam, sup, best)
    m = 20_000
    t = np.linspace(0.0, np.pi, m, endpoint=False)
    S = np.abs(label_values(X, lam, angles(t)))
    ka = kink_angles(X)
    found = 0
    for lab in range(S.shape[1]):
        s = S[:, lab]
        peak = (s > np.roll(s, 1)) & (s > np.roll(s, -1)) & (s > 1e-6 * sup)
        for i in np.flatnonzero(peak):
            d = np.abs(ka - t[i])
            if ka.size and np.min(np.minimum(d, np.pi - d)) < 1e-3:
                continue  # a kink peak: not necessarily the max of its own arc
            d = np.abs(ang - t[i])
            hit = (labs == lab) & (np.minimum(d, np.pi - d) < 2 * np.pi / m)
            assert np.any(hit), (lab, t[i])
            assert np.max(vals[hit]) >= s[i] * (1 - 1e-8)
            found += 1
    assert found >= 1


def test_arc_oracle_float32_data_lists_the_float64_label_sups():
    """float32 data are read as float64: on points 3 + k 2^-22 (exact in float32, where x_a + x_b rounds in float32)
    every label's best listed value equals that label's sup over the angle for the float64 copy (a float32 kink
    vector moves a kink by up to ~0.1 rad and label sups by ~1e-3)."""
    rng = np.random.default_rng(7)
    B = rng.integers(-30, 31, (4, 2)).astype(np.float64)
    X32 = (3.0 + 2.0 ** -22 * B).astype(np.float32)
    assert np.all(X32.astype(np.float64) == 3.0 + 2.0 ** -22 * B)
    lam = centred(rng, 4)
    sup, best = arc_oracle(X32, lam, top=10 ** 6)
    check_top_list(X32, lam, sup, best, tol=1e-7)  # the points differ by ~1e-5 around 3: cancellation ~1e-9


def test_arc_oracle_top_two_on_collinear_horizontal_data():
    """Points on the x-axis: every score is G_l |cos(angle)| with G_l the 1-D score of label l on the abscissae, so
    the best two units are the two labels with the largest |G_l|, both at v = +-(1, 0) (one entry each although
    both arcs around angle 0 reach that peak)."""
    x = np.array([0.0, 1.0, 3.5])
    X = np.column_stack([x, np.zeros(3)])
    lam = np.array([0.9, -1.2, 0.1])
    G = []
    for kind, p, q in labels_of(3):
        a1 = 0.5 * (x[p] + x[q]) if kind else x[p]
        a2 = 0.5 * abs(x[q] - x[p]) if kind else abs(x[q] - x[p])
        G.append(abs(lam @ np.abs(np.abs(x - a1) - a2)))
    G = np.array(G)
    order = np.argsort(-G)
    assert G[order[1]] > G[order[2]] + 1e-3  # the two best labels are well separated here
    sup, best = arc_oracle(X, lam, top=2)
    assert len(best) == 2
    assert sup == pytest.approx(G[order[0]], rel=1e-12)
    assert [b[2] for b in best] == [int(order[0]), int(order[1])]
    for (value, v, lab), g in zip(best, G[order[:2]]):
        assert value == pytest.approx(g, rel=1e-12)
        assert abs(abs(v[0]) - 1) < 1e-12


def test_arc_oracle_on_vertical_collinear_data():
    """Points on a vertical line: every kink lies at angle 0, the scores are G_l |sin(angle)|, so the sup is the
    best 1-D label score of the ordinates, attained at v = +-(0, 1)."""
    y = np.array([0.0, 1.0, 3.0])
    X = np.column_stack([np.full(3, 0.5), y])
    lam = np.array([1.0, -0.25, -0.75])
    G = max(abs(lam @ np.abs(np.abs(y - (0.5 * (y[p] + y[q]) if k else y[p]))
                             - (0.5 * abs(y[q] - y[p]) if k else abs(y[q] - y[p]))))
            for k, p, q in labels_of(3))
    sup, best = arc_oracle(X, lam, top=1)
    assert sup == pytest.approx(G, rel=1e-12)
    assert abs(abs(best[0][1][1]) - 1) < 1e-12


def test_arc_oracle_near_vertical_kink_angle():
    """Two points whose difference is (1e-15, 1): the kink angle is pi - 1e-15, the same direction as angle 0
    modulo sign; the scores are G_l |x_diff . v|, so the sup is max_l |G_l| |x1 - x0| (here |lam_0| |x1 - x0| for
    lam = (1, -1)), attained along the difference; the full list holds distinct units (pi - 1e-15 is angle 0)."""
    X = np.array([[0.0, 0.0], [1e-15, 1.0]])
    lam = np.array([1.0, -1.0])
    sup, best = arc_oracle(X, lam, top=1)
    assert sup == pytest.approx(np.hypot(1e-15, 1.0), rel=1e-9)
    assert abs(abs(best[0][1][1]) - 1) < 1e-9
    sup, best = arc_oracle(X, lam, top=10 ** 6)
    check_top_list(X, lam, sup, best)
    X3 = np.array([[0.0, 0.0], [1e-15, 1.0], [0.7, 0.4]])
    lam3 = np.array([1.0, -2.0, 1.0])
    sup, best = arc_oracle(X3, lam3, top=10 ** 6)
    check_top_list(X3, lam3, sup, best)


@pytest.mark.parametrize("tilt", [2e-15, -1e-15])
def test_arc_oracle_list_is_unchanged_by_a_kink_angle_within_1e_14_of_zero(tilt):
    """Kink angles are the same angle when they agree to 1e-14 (pinned): tilting x1 - x0 = (0, 1) by 2e-15 puts
    its kink angle at pi - 2e-15, by -1e-15 at 1e-15, both angle 0 modulo pi, which every list holds anyway. So the
    full list, label by label, equals the list for the untilted data (values to 1e-12, directions modulo sign to
    1e-9): no arc shorter than 1e-14 adds entries."""
    lam = np.array([1.0, -2.0, 1.0])
    X = np.array([[0.0, 0.0], [0.0, 1.0], [0.7, 0.4]])
    Xt = X.copy()
    Xt[1, 0] = tilt
    lists = [sorted(arc_oracle(Z, lam, top=10 ** 6)[1], key=lambda e: (e[2], -e[0])) for Z in (X, Xt)]
    assert len(lists[0]) == len(lists[1])
    for (v0, d0, l0), (v1, d1, l1) in zip(*lists):
        assert l0 == l1 and v1 == pytest.approx(v0, rel=1e-12)
        assert min(np.linalg.norm(d0 - d1), np.linalg.norm(d0 + d1)) < 1e-9


def test_arc_oracle_small_inputs_and_default_top():
    """One point: every score is 0 (sup 0.0) with one unit direction listed for top = 1; no points: (0.0, []);
    the default top = 0 (or a negative top) lists nothing; top = 1 lists exactly one unit."""
    sup, best = arc_oracle(np.array([[0.3, -2.0]]), np.array([0.0]), top=1)
    assert sup == 0.0 and len(best) == 1
    assert abs(np.linalg.norm(best[0][1]) - 1) < 1e-12 and best[0][0] == 0.0 and best[0][2] == 0
    sup, best = arc_oracle(np.array([[0.3, -2.0]]), np.array([1.5]), top=3)
    assert sup == 0.0 and len(best) >= 1
    assert arc_oracle(np.zeros((0, 2)), np.zeros(0), top=2) == (0.0, [])
    assert arc_oracle(np.zeros((0, 2)), np.zeros(0)) == (0.0, [])
    assert arc_oracle(np.array([[0.0, 1.0], [2.0, 0.5], [1.0, -1.0]]), np.array([1.0, -2.0, 1.0]), top=-1)[1] == []
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (4, 2))
    lam = centred(rng, 4)
    sup0, best0 = arc_oracle(X, lam)
    assert best0 == []
    sup1, best1 = arc_oracle(X, lam, top=1)
    assert len(best1) == 1 and sup1 == sup0


def test_arc_oracle_float32_and_integer_inputs_give_the_float64_answer():
    """float32 and integer data / duals are read as float64: the sup equals the refined angle search on the
    float64 copy of the same numbers to 1e-9 (a float32 computation is off by ~1e-7)."""
    rng = np.random.default_rng(21)
    X32 = rng.uniform(-1, 1, (5, 2)).astype(np.float32)
    lam32 = centred(rng, 5).astype(np.float32)
    X64, lam64 = X32.astype(np.float64), lam32.astype(np.float64)
    ref = arc_sup_search(X64, lam64)
    for X, lam in ((X32, lam32), (X32, lam64), (X64, lam32)):
        sup, best = arc_oracle(X, lam, top=1)
        assert isinstance(sup, float)
        assert abs(sup - ref) <= 1e-9 * ref
        assert abs(entry_values(X64, lam64, best)[0] - sup) <= 1e-12 * ref
    Xi = np.array([[0, 1], [2, -1], [3, 3], [-1, 2]])
    li = np.array([3, -1, -4, 2])
    sup, best = arc_oracle(Xi, li, top=1)
    ref = arc_sup_search(Xi.astype(float), li.astype(float))
    assert ref <= sup * (1 + 1e-12) and sup <= ref * (1 + 1e-6)


# ----------------------------------------------------------------------------------------- the sphere oracle
def normalised_rows(V):
    V = np.asarray(V, dtype=np.float64)
    return V / np.linalg.norm(V, axis=1, keepdims=True)


def label_gradient(X, lam, v, lab):
    """The gradient of S_l at v (the c of the linear piece c^T v on v's cell): with p, q of the label (a1 = p^T v,
    a2 = |q^T v|) and r_i = x_i - p, d/dv ||r_i^T v| - |q^T v|| = s_i (sign(r_i^T v) r_i - sign(q^T v) q),
    s_i = sign(|r_i^T v| - |q^T v|)."""
    kind, j, k = labels_of(X.shape[0])[lab]
    p, q = (0.5 * (X[j] + X[k]), 0.5 * (X[k] - X[j])) if kind else (X[j], X[k] - X[j])
    R = X - p
    r, qv = R @ v, q @ v
    s = np.sign(np.abs(r) - abs(qv))
    return (lam * s * np.sign(r)) @ R - (lam @ s) * np.sign(qv) * q


def ascent(X, lam, v, lab, steps=30):
    """The unit vectors visited by fixed-point ascent of label lab's |score| from v (v <- gradient / its norm)."""
    out = []
    for _ in range(steps):
        g = label_gradient(X, lam, v, lab)
        if not np.linalg.norm(g):
            break
        v = g / np.linalg.norm(g)
        out.append(v)
    return out


def sphere_search(X, lam, rng, m=20_000, circle=2_000, starts=20):
    """Lower bounds (overall, per label) of the sup over unit v in R^3: random directions; the fixed point
    v <- +-c/||c|| of the best label's linear piece from the best random directions (exact for a maximum inside a
    cell); a grid on every kink great circle refined around its best points (edges); and every cross product of
    two kink vectors (vertices)."""
    W = normalised_rows(kink_vectors(X))
    R = normalised_rows(rng.standard_normal((m, 3)))
    S = np.abs(label_values(X, lam, R))
    per = S.max(axis=0)
    tries = []
    for i in np.argsort(-S.max(axis=1))[:starts]:
        tries += ascent(X, lam, R[i], int(np.argmax(S[i])))
    t = np.linspace(0.0, np.pi, circle, endpoint=False)
    step = np.pi / circle
    for w in W:
        E = np.linalg.svd(w[None])[2][1:].T  # (3, 2): orthonormal basis of the plane w^T v = 0
        C = np.abs(label_values(X, lam, angles(t) @ E.T))
        per = np.maximum(per, C.max(axis=0))
        t0 = t[np.argmax(C.max(axis=1))]
        tries.extend(angles(t0 + np.linspace(-step, step, 201)) @ E.T)
    i, j = np.triu_indices(W.shape[0], k=1)
    V = np.cross(W[i], W[j])
    tries.extend(normalised_rows(V[np.linalg.norm(V, axis=1) > 1e-9]))
    per = np.maximum(per, np.abs(label_values(X, lam, np.array(tries))).max(axis=0))
    return float(per.max()), per


def canonical(v):
    v = np.asarray(v, dtype=np.float64)
    k = int(np.argmax(np.abs(v) > 1e-9))
    return v if v[k] > 0 else -v


@pytest.mark.parametrize("n,seed", [(3, 0), (3, 1), (4, 2), (4, 3), (4, 4), (5, 5)])
def test_sphere_oracle_equals_a_refined_direction_search(n, seed):
    """d = 3: at random centred duals (also scaled by 0.01) the oracle's sup is never below random directions,
    cell fixed points, refined kink-circle grids and vertices, comes within 1e-6 of their best, the reported
    direction attains it, and nothing warns."""
    rng = np.random.default_rng(100 + seed)
    X = rng.uniform(-1, 1, (n, 3))
    for scale in (1.0, 0.01):
        check_sphere_sup(X, centred(rng, n, scale), rng)


def check_sphere_sup(X, lam, rng):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sup, best = sphere_oracle(X, lam, top=1)
    check_sup_and_best_unit(X, lam, sup, best, sphere_search(X, lam, rng)[0])


@pytest.mark.parametrize("seed", [2, 20])
def test_sphere_oracle_equals_a_refined_direction_search_for_uncentred_duals(seed):
    """The sphere oracle takes any dual (no centring needed): on five points with a raw Gaussian dual the sup
    equals the refined search here (to 1e-6, never below it) and is attained."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (5, 3))
    check_sphere_sup(X, rng.standard_normal(5), rng)


def test_sphere_oracle_with_a_dual_on_one_point():
    """lam = e_0: the first label (the two-layer feature at x_0) scores 0 everywhere (its cell gradients vanish),
    the others score ||r_0^T v| - |q^T v||, whose maxima lie inside cells: the sup still equals the refined search
    here and is attained."""
    rng = np.random.default_rng(31)
    X = rng.uniform(-1, 1, (4, 3))
    check_sphere_sup(X, np.array([1.0, 0.0, 0.0, 0.0]), rng)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sphere_oracle_top_list(seed):
    """top = 6: six distinct (direction mod sign, label) units, best first, the first at the sup, each value
    recomputed here, and the k-th listed value at least the k-th largest per-label sup found here (every label's
    sup is a candidate, or its kink circle lists top better units)."""
    rng = np.random.default_rng(200 + seed)
    n = 4
    X = rng.uniform(-1, 1, (n, 3))
    lam = centred(rng, n)
    top = 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sup, best = sphere_oracle(X, lam, top=top)
    assert len(best) == top
    vals = np.array([b[0] for b in best])
    assert np.all(np.diff(vals) <= 1e-12 * sup)
    assert abs(vals[0] - sup) <= 1e-12 * sup
    np.testing.assert_allclose(entry_values(X, lam, best), vals, rtol=0, atol=1e-10 * sup)
    for a in range(top):
        assert abs(np.linalg.norm(best[a][1]) - 1) < 1e-12
        for b in range(a):
            if best[a][2] == best[b][2]:
                assert np.linalg.norm(canonical(best[a][1]) - canonical(best[b][1])) > 1e-9
    _, per = sphere_search(X, lam, rng)
    assert np.all(vals >= np.sort(per)[::-1][:top] * (1 - 1e-9))


def test_sphere_oracle_small_inputs_default_top_and_wrong_dimension():
    """One point: sup 0.0 and no unit; the default top gives the same sup as top = 1; d = 2 data are refused
    with a message naming both dimensions."""
    assert sphere_oracle(np.array([[0.3, -2.0, 1.0]]), np.array([1.5]), top=2) == (0.0, [])
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (4, 3))
    lam = centred(rng, 4)
    sup0, best0 = sphere_oracle(X, lam)
    sup1, best1 = sphere_oracle(X, lam, top=1)
    assert sup0 == sup1 and len(best1) == 1
    with pytest.raises(UnsupportedCombinationError, match=r"d = 3; received d = 2"):
        sphere_oracle(rng.uniform(-1, 1, (4, 2)), lam)


def test_sphere_oracle_two_points_a_tiny_distance_apart():
    """Two points 8e-13 apart along e1: every score is G_l |(x1 - x0) . v| and for lam = (a, -a) the best label
    gives |a| |x1 - x0| at v = +-e1, found although every label's kink vectors are below 1e-12."""
    X = np.array([[0.2, -0.1, 0.4], [0.2 + 8e-13, -0.1, 0.4]])
    d = X[1, 0] - X[0, 0]
    lam = np.array([1.5, -1.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sup, best = sphere_oracle(X, lam, top=1)
    assert sup == pytest.approx(1.5 * d, rel=1e-6)
    assert abs(abs(best[0][1][0]) - 1) < 1e-9


def test_sphere_oracle_two_points_is_silent_and_exact():
    """Two points: every score is G_l |w . v| with w = x1 - x0 (the midpoint label's is 0, where the cell gradient
    vanishes), so the sup is max_l |G_l| |w| = |lam_0| |w| for lam = (a, -a), attained at v = +-w/|w|; no
    warning on the way."""
    X = np.array([[0.3, -0.2, 0.5], [-0.4, 0.6, 0.1]])
    w = X[1] - X[0]
    lam = np.array([0.7, -0.7])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sup, best = sphere_oracle(X, lam, top=3)
    assert sup == pytest.approx(0.7 * np.linalg.norm(w), rel=1e-12)
    assert abs(abs(best[0][1] @ w) - np.linalg.norm(w)) < 1e-12


def test_sphere_oracle_float32_data_give_the_float64_answer():
    """float32 data are read as float64: on points 3 + k 2^-22 (exact in float32) the sup equals the refined search
    here on the float64 copy (to 1e-6, never below it) and the reported unit attains it in float64."""
    rng = np.random.default_rng(9)
    B = rng.integers(-30, 31, (4, 3)).astype(np.float64)
    X32 = (3.0 + 2.0 ** -22 * B).astype(np.float32)
    X64 = X32.astype(np.float64)
    lam = centred(rng, 4)
    ref, _ = sphere_search(X64, lam, rng)
    for lamx in (lam, lam.astype(np.float32).astype(np.float64)):
        sup, best = sphere_oracle(X32, lamx, top=1)
        ref, _ = sphere_search(X64, lamx, rng)
        assert ref <= sup * (1 + 1e-9) and sup <= ref * (1 + 1e-6)
        assert abs(entry_values(X64, lamx, best)[0] - sup) <= 1e-8 * sup


# ----------------------------------------------------------------------------------- the program's l2 oracles
def unit_value(X, lam, unit):
    v = np.array(unit["direction"])
    return abs(lam @ np.abs(np.abs(X @ v - unit["a1"]) - unit["a2"]))


@pytest.mark.parametrize("d", [2, 3])
def test_program_dual_sup_returns_an_l2_unit_attaining_the_sup(d):
    """DeepAbs(3, 'l2') in d = 2 and 3: dual_sup gives (sup, unit dict) whose l2-unit direction and (a1, a2)
    reach the sup (recomputed here), equal to the refined search here; top = k gives k distinct listed units."""
    rng = np.random.default_rng(300 + d)
    n = 5 if d == 2 else 4
    X = rng.uniform(-1, 1, (n, d))
    prog = cvxnn.build(X, rng.standard_normal(n), cvxnn.DeepAbs(3, "l2"), beta=0.1)
    sup_fn = prog._arc_sup if d == 2 else prog._sphere_sup
    lam = centred(rng, n)
    sup, unit = prog.dual_sup(lam)
    assert isinstance(unit, dict) and unit["norm"] == "l2"
    assert abs(np.linalg.norm(unit["direction"]) - 1) < 1e-12 and unit["a2"] >= 0
    assert abs(unit_value(X, lam, unit) - sup) <= 1e-10 * sup
    ref = arc_sup_search(X, lam) if d == 2 else sphere_search(X, lam, rng)[0]
    assert ref <= sup * (1 + 1e-12) and sup <= ref * (1 + 1e-6)
    for top in (1, 3):
        s, best = sup_fn(lam, top=top)
        assert s == sup and isinstance(best, list) and len(best) == top
        assert abs(best[0][0] - sup) <= 1e-12 * sup
    s, unit0 = sup_fn(lam)
    assert s == sup and unit0 == unit


def sphere_label_search(X, lam, rng, m=20_000, circle=1_000, starts=3):
    """Per label lower bounds: random directions and, from each label's best few, the fixed point of its linear
    piece (interior maxima); per kink great circle and label, the max over a grid on that circle (edges);
    vertices. Returns (per-label bounds, per-circle per-label grid maxima, unit kink vectors)."""
    W = normalised_rows(kink_vectors(X))
    R = normalised_rows(rng.standard_normal((m, 3)))
    S = np.abs(label_values(X, lam, R))
    per = S.max(axis=0)
    tries = []
    for lab in range(S.shape[1]):
        for i in np.argsort(-S[:, lab])[:starts]:
            tries += ascent(X, lam, R[i], lab)
    t = np.linspace(0.0, np.pi, circle, endpoint=False)
    on_circle = []
    for w in W:
        E = np.linalg.svd(w[None])[2][1:].T
        C = np.abs(label_values(X, lam, angles(t) @ E.T)).max(axis=0)
        on_circle.append(C)
        per = np.maximum(per, C)
    i, j = np.triu_indices(W.shape[0], k=1)
    V = np.cross(W[i], W[j])
    tries.extend(normalised_rows(V[np.linalg.norm(V, axis=1) > 1e-9]))
    per = np.maximum(per, np.abs(label_values(X, lam, np.array(tries))).max(axis=0))
    return per, np.array(on_circle), W


@pytest.mark.parametrize("n,case", [(4, 0), (4, 1), (4, 2), (3, 3), (3, 4), (3, 5)])
def test_sphere_oracle_full_list_holds_every_label_and_kink_circle_sup(n, case):
    """With top above the number of candidates the list holds distinct units (direction mod sign, label) whose
    values are recomputed here, every label's own sup, and for every kink great circle and label a unit on that
    circle at least as good as a grid on it (the arc oracle's candidates there); one dual has zeros, which makes
    the first midpoint label's linear pieces vanish."""
    rng = np.random.default_rng(400 + case)
    X = rng.uniform(-1, 1, (n, 3))
    lam = np.array([0.8, -0.8, 0.0, 0.0]) if case == 2 else centred(rng, n)
    check_full_sphere_list(X, lam, rng)


GRID_POINTS = [
    [[0, 0, 0], [1, 0, 0], [0, 2, 0]],  # a right angle at x_0: perpendicular kink planes
    [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],  # corner of a cube: many circles through one vertex
    [[1, 0, 0], [-1, 0, 0], [0, 1, 1], [0, -1, 1]],
    [[0, 0, 0], [2, 0, 0], [0, 2, 0], [1, 1, 2]],
]


@pytest.mark.parametrize("case", range(len(GRID_POINTS)))
@pytest.mark.parametrize("seed", [0, 1])
def test_sphere_oracle_full_list_on_points_of_a_grid(case, seed):
    """Points with integer coordinates (perpendicular kink planes, three or more kink circles through one vertex):
    the full list still holds every label's own sup and every kink circle's best per label (as above)."""
    rng = np.random.default_rng(500 + seed)
    X = np.array(GRID_POINTS[case], dtype=np.float64)
    check_full_sphere_list(X, centred(rng, X.shape[0]), rng, entries=False)


def check_full_sphere_list(X, lam, rng, entries=True):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sup, best = sphere_oracle(X, lam, top=10 ** 6)
    vals = np.array([b[0] for b in best])
    labs = np.array([b[2] for b in best])
    V = np.array([canonical(b[1]) for b in best])
    assert np.all(np.diff(vals) <= 1e-12 * sup) and abs(vals[0] - sup) <= 1e-12 * sup
    if entries:  # (on grid data some low entries' values are off by ~1%: projected kink angles that agree up to
        # rounding fall on both sides of the 14-digit merge and leave arcs ~1e-14 long with an inaccurate fit)
        np.testing.assert_allclose(entry_values(X, lam, best), vals, rtol=0, atol=1e-10 * sup)
    assert abs(entry_values(X, lam, best[:1])[0] - sup) <= 1e-10 * sup
    for lab in np.unique(labs):
        Vl = V[labs == lab]
        gaps = np.linalg.norm(Vl[:, None] - Vl[None], axis=2) + 10 * np.eye(len(Vl))
        assert gaps.min() > 1e-9
    per, on_circle, W = sphere_label_search(X, lam, rng)
    listed = np.array([vals[labs == lab].max() if np.any(labs == lab) else 0.0 for lab in range(per.size)])
    assert np.all(listed >= per * (1 - 1e-12) - 1e-15)
    for w, C in zip(W, on_circle):
        on = np.abs(V @ w) < 1e-9
        there = np.array([vals[on & (labs == lab)].max() if np.any(on & (labs == lab)) else 0.0
                          for lab in range(per.size)])
        assert np.all(there >= C * (1 - 1e-12) - 1e-15)


def test_sphere_oracle_finds_a_midpoint_label_peak_inside_a_cell():
    """x_0 = 0, x_1 = e1, x_2 = (3, 0.1, 0), lam = e_0: the midpoint label (1, 2) scores
    ||(x_0 - m)^T v| - |q^T v|| = min(|(x_0 - x_2)^T v|, |(x_0 - x_1)^T v|) <= |v_1| <= 1, equal to 1 at v = e1,
    which lies on no kink circle: the full list must hold that label at value 1 (and every other label's sup)."""
    X = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [3.0, 0.1, 0.0]])
    lam = np.array([1.0, 0.0, 0.0])
    assert np.all(np.abs(kink_vectors(X) @ np.array([1.0, 0.0, 0.0])) > 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sup, best = sphere_oracle(X, lam, top=10 ** 6)
    mid12 = labels_of(3).index((1, 1, 2))
    assert max(b[0] for b in best if b[2] == mid12) == pytest.approx(1.0, rel=1e-12)
    check_full_sphere_list(X, lam, np.random.default_rng(8), entries=False)


# ------------------------------------------------------------------ the cells the sphere oracle looks inside
# The sphere oracle finds a label's interior peaks by taking one point inside every cell of the label's kink
# arrangement (``_sector_points``) on the unit normals of its kink planes (``_label_kinks``, ``_unique_normals``).
# These tests check those three helpers against their contracts, with the cells enumerated here by linear programs.
def cells_by_lp(W, margin=1e-9):
    """Sign vectors s (first entry +1: cells modulo the antipodal map) of the open cells {v: s_k w_k^T v > 0} of the
    central arrangement of the planes w_k^T v = 0, each found nonempty by the LP max t s.t. s_k w_k^T v >= t,
    -1 <= v <= 1 (t > margin)."""
    from scipy.optimize import linprog

    m = W.shape[0]
    found = []
    for bits in range(2 ** (m - 1)):
        s = np.array([1.0] + [1.0 if bits >> k & 1 else -1.0 for k in range(m - 1)])
        A = np.hstack([-(s[:, None] * W), np.ones((m, 1))])  # -s_k w_k^T v + t <= 0
        res = linprog(np.r_[0.0, 0.0, 0.0, -1.0], A_ub=A, b_ub=np.zeros(m),
                      bounds=[(-1, 1)] * 3 + [(None, 1)], method="highs")
        if res.status == 0 and -res.fun > margin:
            found.append(s)
    return np.array(found)


def cells_hit(W, P):
    """Which of the cells_by_lp(W) hold a point of P strictly inside, up to the antipodal map."""
    cells = cells_by_lp(W)
    S = np.sign(P @ W.T)  # (points, planes)
    S = S * np.where(S[:, :1] < 0, -1.0, 1.0)  # the antipodal point has the opposite signs
    return cells, np.array([np.any(np.all(S == c[None], axis=1)) for c in cells])


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def on_sphere(lat, lon):
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def small_triangle(size, extra):
    """Unit normals of the great circles AB, BC, CA through the corners of a small equilateral triangle (side ~ size)
    near (1, 0, 0). When extra, three more circles come first, one through each corner X, 10 degrees outside the
    triangle from the corner's first side S (AB at A and B, BC at C): every corner is a triple point, and the four
    sectors of S and the extra circle alone put no bisector inside the triangle."""
    A, B, C = (on_sphere(size * np.sin(a), size * np.cos(a)) for a in (0.0, 2 * np.pi / 3, 4 * np.pi / 3))
    sides = [unit(np.cross(A, B)), unit(np.cross(B, C)), unit(np.cross(C, A))]
    if not extra:
        return np.array(sides)

    def towards(X, Y):  # unit tangent at X of the arc towards Y
        return unit(Y - (Y @ X) * X)

    out = []
    for X, along, other in ((A, B, C), (B, A, C), (C, B, A)):
        t1, t2 = towards(X, along), towards(X, other)
        away = -unit(t2 - (t2 @ t1) * t1)  # tangent at X, orthogonal to t1, pointing away from the triangle
        e = np.cos(np.deg2rad(10.0)) * t1 + np.sin(np.deg2rad(10.0)) * away
        out.append(unit(np.cross(X, e)))
    return np.array(out + sides)


def arrangements():
    """Named plane arrangements (unit normals): generic; pencils of circles through one point (in narrow pencils the
    plane normals fall in one wide cell, so the thin cells hold only the points placed around that point; also with
    normals of alternating sign); a tiny triangle among large cells; small triangles whose corners are triple
    points; three nearly parallel planes (every pair crosses at a small angle); integer planes with triple points."""
    rng = np.random.default_rng(11)
    out = {f"generic{m}": normalised_rows(rng.standard_normal((m, 3))) for m in (2, 3, 4, 6)}
    ax = unit([1.0, 2.0, 2.0])
    pencil = [unit(np.cross(ax, unit(rng.standard_normal(3)))) for _ in range(4)]
    out["pencil"] = np.array(pencil)
    out["pencil+1"] = np.array(pencil + [unit(rng.standard_normal(3))])
    b = np.linalg.svd(ax[None])[2][1:]  # orthonormal tangent basis at the pencil's point
    for name, degrees in (("narrow-pencil", [0, 10, 20, 30]), ("uneven-pencil", [0, 7, 15, 24, 34, 100])):
        t = np.deg2rad(np.array(degrees, dtype=float))
        out[name] = normalised_rows(np.cross(ax, np.cos(t)[:, None] * b[0] + np.sin(t)[:, None] * b[1]))
    # the same planes with alternating normal signs: the tangent directions of neighbouring circles come out
    # opposite, so a thin cell lies between a tangent direction and the opposite of the next one
    out["narrow-pencil-alternating"] = out["narrow-pencil"] * np.array([1.0, -1.0, 1.0, -1.0])[:, None]
    out["tiny-triangle"] = np.vstack([small_triangle(1e-4, False), normalised_rows(rng.standard_normal((2, 3)))])
    out["triangle-triple-corners"] = small_triangle(1e-2, True)
    out["tiny-triangle-triple-corners"] = small_triangle(1e-5, True)
    near = np.random.default_rng(5)
    out["near-parallel"] = normalised_rows(np.array([0.0, 0.0, 1.0]) + 1e-4 * near.standard_normal((3, 3)))
    out["integer"] = normalised_rows([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -1, 0], [0, 1, 1], [1, 1, 1]])
    return out


@pytest.mark.parametrize("name", list(arrangements()))
def test_sector_points_fall_inside_every_cell(name):
    """Every cell of the arrangement (modulo the antipodal map) that a linear program finds nonempty holds one of
    the returned points strictly inside; the points are unit vectors."""
    from cvxnn.models.deep_abs.sphere import _sector_points

    W = arrangements()[name]
    P = _sector_points(W.copy())
    np.testing.assert_allclose(np.linalg.norm(P, axis=1), 1.0, atol=1e-12)
    cells, hit = cells_hit(W, P)
    assert cells.shape[0] >= W.shape[0]
    assert np.all(hit), f"{name}: {np.sum(~hit)} of {len(hit)} cells missed"


def test_sector_points_tolerances():
    """Pinned tolerances: two planes whose normals' cross product is at most 1e-12 long are one plane (no vertex,
    so the lune between them, thinner than 1e-12, gets no point); at 2e-12 they cross and the lune gets a point. A
    circle that passes exactly 1e-10 from a vertex goes through it: the vertex is a triple point and each of the six
    sectors of the three tangent lines gets a point 0.25 * 1e-2 away (no other circle is near)."""
    from cvxnn.models.deep_abs.sphere import _sector_points

    for gap, vertex in ((1e-12, False), (2e-12, True)):
        W = np.array([[1.0, 0.0, 0.0], [1.0, gap, 0.0]])
        assert np.linalg.norm(W[1]) == 1.0 and np.linalg.norm(np.cross(W[0], W[1])) == gap
        P = _sector_points(W)
        S = np.sign(P @ W.T)
        assert P.shape[0] == (6 if vertex else 2)
        assert bool(np.any(S[:, 0] != S[:, 1])) == vertex
    a = 0.3
    w3 = np.array([a, np.sqrt(1.0 - a * a), 1e-10])
    assert np.linalg.norm(w3) == 1.0  # a unit normal whose circle passes 1e-10 from (0, 0, 1), exactly
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], w3])
    P = _sector_points(W)
    near = P[np.abs(np.linalg.norm(P - np.array([0.0, 0.0, 1.0]), axis=1) - 2.5e-3) < 1e-6]
    assert near.shape[0] == 6
    assert len({tuple(row) for row in np.sign(near @ W.T)}) == 6


def same_planes(U, V, tol=1e-9):
    """Whether the unit normals U and V describe the same set of planes (each row of one parallel to a row of the
    other, |u x v| < tol) and U holds no plane twice."""
    para = np.linalg.norm(np.cross(U[:, None, :], V[None, :, :]), axis=2) < tol
    twice = np.linalg.norm(np.cross(U[:, None, :], U[None, :, :]), axis=2) < tol
    return bool(np.all(para.any(axis=1)) and np.all(para.any(axis=0)) and twice.sum() == U.shape[0])


def distinct_planes(W, tol=1e-9):
    """One unit normal per plane of the nonzero rows W, written here (greedy, |u x v| < tol is one plane)."""
    out = []
    for w in W:
        u = w / np.linalg.norm(w)
        if not any(np.linalg.norm(np.cross(u, v)) < tol for v in out):
            out.append(u)
    return np.array(out)


def test_unique_normals_give_one_unit_normal_per_plane():
    """Rows of any length and sign, repeated, scaled (1e-6 to 1e6) and negated, come back as one unit normal per
    plane."""
    from cvxnn.models.deep_abs.sphere import _unique_normals

    rng = np.random.default_rng(2)
    base = rng.standard_normal((4, 3))
    W = np.vstack([base * 10.0 ** rng.uniform(-6, 6, (4, 1)), -3.0 * base[:2], 1e5 * base[2:], base[:1] * 7e-6])
    U = _unique_normals(W.copy())
    np.testing.assert_allclose(np.linalg.norm(U, axis=1), 1.0, atol=1e-12)
    assert U.shape[0] == 4 and same_planes(U, distinct_planes(W))


@pytest.mark.parametrize("scale", [0.1, 1e3])
def test_label_kinks_are_the_kink_planes_of_the_label_feature(scale):
    """||r_i^T v| - |q^T v|| kinks where r_i^T v, q^T v, (r_i - q)^T v or (r_i + q)^T v is 0: the planes of the
    nonzero vectors among r_i, q, r_i - q, r_i + q, one unit normal each. Pinned: a vector no longer than 1e-12
    max(1, largest entry) is a rounding remainder (zero); rows equal to q, to -q, to 0, and at scale 1e3 a row
    q + 1e-10 e1 (r - q dropped), at scale 0.1 (every entry below 1) a row of length exactly 1e-12 (dropped)."""
    from cvxnn.models.deep_abs.sphere import _label_kinks

    rng = np.random.default_rng(4)
    q = scale * rng.standard_normal(3)
    R = np.vstack([scale * rng.standard_normal((3, 3)), q, -q, np.zeros(3)])
    if scale > 1.0:
        R = np.vstack([R, q + np.array([1e-10, 0.0, 0.0])])
    else:
        assert np.linalg.norm([0.0, 0.0, 1e-12]) == 1e-12
        R = np.vstack([R, [0.0, 0.0, 1e-12]])
    W = np.vstack([R, q[None], R - q[None], R + q[None]])
    tiny = 1e-12 * max(1.0, float(np.abs(W).max()))
    assert (tiny == 1e-12) == (scale < 1.0)
    expected = distinct_planes(W[np.linalg.norm(W, axis=1) > tiny])
    U = _label_kinks(R.copy(), q.copy())
    np.testing.assert_allclose(np.linalg.norm(U, axis=1), 1.0, atol=1e-12)
    assert same_planes(U, expected)


def test_distinct_units_keep_the_best_unit_of_each_direction_and_label():
    """Candidates are read best first; one within tol of a unit already taken for its label (also as -v) is
    skipped, at exactly tol too (pinned: ||(1, 1e-9, 0) - (1, 0, 0)|| is exactly 1e-9); other labels and directions
    farther than tol are kept; reading stops once top units are taken; one unit is taken even for top = 0."""
    from cvxnn.models.deep_abs.arc import distinct_units

    e1 = np.array([1.0, 0.0, 0.0])
    near, far = np.array([1.0, 1e-9, 0.0]), np.array([1.0, 3e-9, 0.0])
    assert np.linalg.norm(near - e1) == 1e-9 and np.linalg.norm(near) == 1.0
    cands = [(5.0, e1, 0), (4.0, near, 0), (3.9, -near, 0), (3.8, e1, 1), (3.0, -far, 0), (2.0, far, 0),
             (1.0, np.array([0.0, 1.0, 0.0]), 0)]
    out = distinct_units(cands, 10, tol=1e-9)
    assert [(val, lab) for val, _, lab in out] == [(5.0, 0), (3.8, 1), (3.0, 0), (1.0, 0)]
    assert out[2][1] is cands[4][1]
    assert [val for val, _, _ in distinct_units(cands, 10, tol=2e-9)] == [5.0, 3.8, 3.0, 1.0]
    assert [val for val, _, _ in distinct_units(cands, 10, tol=0.5e-9)] == [5.0, 4.0, 3.8, 3.0, 1.0]
    read = []

    def lazy():
        for c in cands:
            read.append(c[0])
            yield c

    assert [val for val, _, _ in distinct_units(lazy(), 2, tol=1e-9)] == [5.0, 3.8]
    assert read == [5.0, 4.0, 3.9, 3.8]
    assert len(distinct_units(cands, 0, tol=1e-9)) == 1 and distinct_units([], 3, tol=1e-9) == []


# -------------------------------------------------------------------------- rebuilding deep ReLU chains in 1-D
@pytest.mark.parametrize("off", [0.0, 1e-3, -0.2])
def test_ramp_hinges_rebuild_the_hinge_sum_even_when_the_balance_is_off(off):
    """The sparse (hinge) form of deep ReLU chains: a hinge vector w with sum w = off (0 from an exact solver, not 0
    after dust is dropped) rebuilds as ramps whose network equals, on the data, xi + sum_k w_k (x - t_k)_+ written
    here: the balance goes to the hinge at the last point, which is zero on the data. Its description names the
    model, activation, depth and bias convention, the hinge columns used, and ramps between data points whose sum
    is the same function with total mass ||w||_1 / 2."""
    from cvxnn.models.chains_1d import RampHinges

    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(-1.0, 2.0, 9))
    w = rng.standard_normal(9) * (rng.uniform(size=9) < 0.7)
    w[-1] -= w.sum() - off
    assert w.sum() == pytest.approx(off, abs=1e-12)
    form = RampHinges(x, depth=3)
    net = form.to_network(w.copy(), 0.3, None, 0.1, "free", None)
    expected = 0.3 + np.maximum(x[:, None] - x[None, :], 0.0) @ w
    np.testing.assert_allclose(net.predict(x.reshape(-1, 1)).ravel(), expected, rtol=0, atol=1e-9)
    # the saved description: what `cvxnn certify` reads back, and the ramps themselves
    meta = net.meta
    assert (meta["model"], meta["activation"], meta["depth"], meta["bias_convention"]) == (
        "deep-1d", {"name": "relu"}, 3, "free")
    balanced = w.copy()
    balanced[-1] -= balanced.sum()
    assert meta["dictionary_columns"] == [int(k) for k in np.flatnonzero(balanced)]
    ramps = np.array([u["ramp"] for u in meta["units"]])
    z = np.array([u["z"] for u in meta["units"]])
    assert np.all(ramps[:, 0] < ramps[:, 1]) and np.all(np.isin(ramps, x)) and np.all(z != 0)
    R = np.maximum(x[:, None] - ramps[None, :, 0], 0.0) - np.maximum(x[:, None] - ramps[None, :, 1], 0.0)
    np.testing.assert_allclose(0.3 + R @ z, expected, rtol=0, atol=1e-9)
    assert np.abs(z).sum() == pytest.approx(0.5 * np.abs(balanced).sum(), rel=1e-12)


# ------------------------------------------------------------------ rebuilt networks: every field of the result
# A rebuilt net must compute the dictionary's fit, cost exactly beta ||z||_1 under its penalty, and describe itself
# (model, activation, conventions, the columns and units used): `cvxnn certify` and the symmetry report read the
# description. Coefficients given in single precision must give the double-precision net.
def sparse_coefficients(rng, size, k, low=0.2, high=1.5):
    z = np.zeros(size)
    pick = np.sort(rng.choice(size, k, replace=False))
    z[pick] = rng.uniform(low, high, k) * rng.choice([-1.0, 1.0], k)
    return z, pick


def check_rebuilt(build, z, X, expected_fit, beta, expected_meta, output_width):
    """build(z) -> Network; checks the fit on X (any constant offset is an error here), the penalty beta ||z||_1, the
    description, the output layer's shape, and that float32 or list coefficients give the float64 answer."""
    net = build(z)
    np.testing.assert_allclose(net.predict(X), expected_fit, rtol=0, atol=1e-12)
    assert net.penalty_value() == pytest.approx(beta * np.abs(z).sum(), rel=1e-12)
    assert net.meta == expected_meta
    assert net.layers[-1].weight.shape == (1, output_width)
    z32 = z.astype(np.float32)
    ref = build(z32.astype(np.float64))
    for other in (build(z32), build(list(z32.astype(np.float64)))):
        np.testing.assert_allclose(other.predict(X), ref.predict(X), rtol=1e-14, atol=1e-14)
        assert other.penalty_value() == pytest.approx(ref.penalty_value(), rel=1e-14)
        assert other.meta == ref.meta
    return net


@pytest.mark.parametrize("act,bias", [("relu", "free"), ("abs", "free"), ("relu", "none")])
def test_rebuilt_two_layer_1d_net(act, bias):
    from cvxnn.activations import Activation
    from cvxnn.models.two_layer_1d import two_layer_1d

    x, rng = sorted_points(21, 9)
    D = two_layer_1d(x, Activation(act), bias)
    k = min(4, D.size)  # bias 'none': the two orientations through 0
    z, pick = sparse_coefficients(rng, D.size, k)
    xnew = np.linspace(-2.5, 2.5, 41)
    sigma = (lambda t: np.maximum(t, 0.0)) if act == "relu" else np.abs
    s, c = D.orientations[pick], D.breakpoints[pick]
    fit = sigma(s[None, :] * (xnew[:, None] - c[None, :])) @ z[pick] - 0.4
    units = [{"orientation": float(a), "breakpoint": float(b), "z": float(v)} for a, b, v in zip(s, c, z[pick])]
    meta = {"model": "two-layer", "activation": {"name": act}, "bias_convention": bias,
            "dictionary_columns": [int(j) for j in pick], "units": units}
    check_rebuilt(lambda zz: D.to_network(zz, -0.4, None, 0.3, bias, cvxnn.TwoLayer(act)), z, xnew, fit, 0.3, meta, k)


@pytest.mark.parametrize("act,objective", [("sign", "amplitude"), ("threshold", "amplitude"),
                                           ("sign", "l1-outer"), ("threshold", "l1-outer")])
def test_rebuilt_step_net(act, objective):
    from cvxnn.activations import Activation
    from cvxnn.models.two_layer_1d import two_layer_1d, two_layer_1d_network

    x, rng = sorted_points(22, 8)
    D = two_layer_1d(x, Activation(act), "free")
    z, pick = sparse_coefficients(rng, D.size, 3)
    xnew = np.linspace(-2.5, 2.5, 53)
    xnew = xnew[np.min(np.abs(xnew[:, None] - D.breakpoints[None, :]), axis=1) > 1e-6]
    step = (lambda t: np.sign(t)) if act == "sign" else (lambda t: (t > 0).astype(float))
    fit = step(xnew[:, None] - D.breakpoints[pick][None, :]) @ z[pick] + 0.25
    meta = {"model": "two-layer", "activation": {"name": act}, "bias_convention": "free", "sign_objective": objective,
            "dictionary_columns": [int(j) for j in pick],
            "units": [{"orientation": float(D.orientations[j]), "breakpoint": float(D.breakpoints[j]),
                       "z": float(z[j])} for j in pick]}
    arch = cvxnn.TwoLayer(act, sign_objective=objective)
    net = check_rebuilt(lambda zz: D.to_network(zz, 0.25, None, 0.2, "free", arch), z, xnew, fit, 0.2, meta, 3)
    assert len(net.layers) == (2 if objective == "l1-outer" else 3)
    if objective == "l1-outer":  # the outer weights are z, the inner ones 1 (unpenalised)
        np.testing.assert_array_equal(net.layers[1].weight, z[pick][None, :])
        np.testing.assert_array_equal(net.layers[0].weight, np.ones((3, 1)))
    # the rebuild's default objective is the amplitude form
    default = two_layer_1d_network(z, 0.25, D, None, 0.2, "free")
    assert default.meta["sign_objective"] == "amplitude" and len(default.layers) == 3
    assert default.penalty_value() == pytest.approx(0.2 * np.abs(z).sum(), rel=1e-12)


def test_rebuilt_wedge_net():
    from cvxnn.models.wedge import wedge_dictionary

    rng = np.random.default_rng(23)
    X = rng.uniform(-1.0, 1.0, (6, 2))
    D = wedge_dictionary(X)
    z, pick = sparse_coefficients(rng, D.size, 4)
    Xnew = rng.uniform(-1.5, 1.5, (30, 2))
    U, off = D.directions[pick], D.offsets[pick]
    np.testing.assert_allclose(np.abs(U).sum(axis=1), 1.0, rtol=1e-12)  # the l1-normalised directions
    fit = np.abs(Xnew @ U.T + off[None, :]) @ z[pick] + 0.1
    units = [{"direction": [float(v) for v in D.directions[j]], "offset": float(D.offsets[j]),
              "pivot": int(D.pivots[j]), "points": list(D.point_sets[j]), "support": list(D.supports[j])}
             for j in pick]
    meta = {"model": "two-layer", "activation": {"name": "abs"}, "inner_norm": "l1", "bias_convention": "free",
            "dictionary_columns": [int(j) for j in pick], "units": units}
    check_rebuilt(lambda zz: D.to_network(zz, 0.1, None, 0.15, "free"), z, Xnew, fit, 0.15, meta, 4)


@pytest.mark.parametrize("depth", [3, 4])
def test_rebuilt_abs_chain_1d_net(depth):
    from cvxnn.models.chains_1d import abs_chain_dictionary

    x, rng = sorted_points(24, 6)
    D = abs_chain_dictionary(x, depth)
    z, pick = sparse_coefficients(rng, D.size, 5)
    xnew = np.linspace(-2.5, 2.5, 47)
    G = np.empty((xnew.size, pick.size))
    for col, j in enumerate(pick):
        h = xnew.copy()
        for a in D.params[j]:
            h = np.abs(h - a)
        G[:, col] = h
    fit = G @ z[pick] - 0.2
    meta = {"model": "deep-1d", "activation": {"name": "abs"}, "depth": depth, "bias_convention": "free",
            "dictionary_columns": [int(j) for j in pick],
            "units": [{"a": [float(v) for v in D.params[j]], "z": float(z[j])} for j in pick]}
    net = check_rebuilt(lambda zz: D.to_network(np.asarray(zz), -0.2, None, 0.1, "free", None), z, xnew, fit, 0.1,
                        meta, 5)
    assert len(net.layers) == depth


@pytest.mark.parametrize("depth", [3, 4, 5])
def test_rebuilt_relu_ramp_net(depth):
    from cvxnn.models.chains_1d import ramp_network, relu_ramp_dictionary

    x, rng = sorted_points(25, 7)
    D = relu_ramp_dictionary(x, depth)
    z, pick = sparse_coefficients(rng, D.size, 4)
    xnew = np.linspace(-2.5, 2.5, 47)
    a, b = D.starts[pick], D.ends[pick]
    fit = np.clip(xnew[:, None] - a[None, :], 0.0, (b - a)[None, :]) @ z[pick] + 0.3
    meta = {"model": "deep-1d", "activation": {"name": "relu"}, "depth": depth, "bias_convention": "free",
            "dictionary_columns": [int(j) for j in pick],
            "units": [{"ramp": [float(s), float(e)], "z": float(z[j])} for s, e, j in zip(a, b, pick)]}
    net = check_rebuilt(lambda zz: D.to_network(np.asarray(zz), 0.3, None, 0.1, "free", None), z, xnew, fit, 0.1,
                        meta, 4)
    assert len(net.layers) == depth
    # starts, ends and coefficients given in single precision give the double-precision chains
    lo, hi, c = (v.astype(np.float32) for v in (a, b, z[pick]))
    ref = ramp_network(lo.astype(np.float64), hi.astype(np.float64), c.astype(np.float64), 0.3, depth, 0.1)
    single = ramp_network(lo, hi, c, 0.3, depth, 0.1)
    np.testing.assert_allclose(single.predict(xnew), ref.predict(xnew), rtol=1e-14, atol=1e-14)
    assert single.penalty_value() == pytest.approx(ref.penalty_value(), rel=1e-14)
    assert ref.meta["dictionary_columns"] == []  # no columns given


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_rebuilt_deep_abs_net(norm):
    from cvxnn.models.deep_abs.pool import ChainColumns

    rng = np.random.default_rng(26)
    X = rng.uniform(-1.0, 1.0, (7, 2))
    V = rng.standard_normal((6, 2))
    V /= np.linalg.norm(V, ord=1 if norm == "l1" else 2, axis=1, keepdims=True)
    A = rng.uniform(0.0, 0.8, (6, 2))
    info = [{"family": f"f{j}"} for j in range(6)]
    D = ChainColumns(X, V, A, norm, info)
    z, pick = sparse_coefficients(rng, D.size, 3)
    Xnew = rng.uniform(-1.5, 1.5, (30, 2))
    fit = np.abs(np.abs(Xnew @ V[pick].T - A[pick, 0]) - A[pick, 1]) @ z[pick] + 0.05
    units = [{"direction": [float(v) for v in V[j]], "a1": float(A[j, 0]), "a2": float(A[j, 1]), "norm": norm,
              "family": f"f{j}", "z": float(z[j])} for j in pick]
    meta = {"model": "deep-abs", "activation": {"name": "abs"}, "depth": 3, "inner_norm": norm,
            "bias_convention": "free", "dictionary_columns": [int(j) for j in pick], "units": units}
    net = check_rebuilt(lambda zz: D.to_network(zz, 0.05, None, 0.2, "free"), z, Xnew, fit, 0.2, meta, 3)
    assert [layer.activation.name for layer in net.layers] == ["abs", "abs", "identity"]


def test_rebuilt_two_layer_net_from_arrangement_blocks():
    """ArrangementProgram.reconstruct: each nonzero block v is the unit sqrt||v|| relu(Xb v / ||v||) (w: outer sign
    -), blocks of norm <= 1e-9 times the largest are zero, blocks of one direction and sign merge, and pruning (the
    default) leaves at most n + 1 units with the same fit and the same sum of norms. Checked on hand-made blocks."""
    from cvxnn.arrangements import enumerate_patterns
    from cvxnn.models.arrangement import ArrangementProgram

    rng = np.random.default_rng(27)
    n = 6
    X = rng.standard_normal((n, 2))
    Xb = np.hstack([X, np.ones((n, 1))])
    y = rng.standard_normal(n)
    prog = ArrangementProgram(X, y, cvxnn.TwoLayer("relu"), 0.1, enumerate_patterns(Xb), "penalized")
    relu = lambda t: np.maximum(t, 0.0)  # noqa: E731

    def fit_of(blocks_v, blocks_w, xi, points):
        pb = np.hstack([points, np.ones((len(points), 1))])
        return relu(pb @ blocks_v.T).sum(axis=1) - relu(pb @ blocks_w.T).sum(axis=1) + xi

    def widths(net):
        return net.meta["widths"]

    u1 = np.array([3.0, 0.0, 0.0])
    u2 = np.array([0.6, -0.8, 0.5])
    V = np.zeros((5, 3))
    V[0], V[1], V[2] = u1, u1 / 3.0, 2.0 * u2  # V[1]: the direction of V[0] (merged), norm 1
    V[3] = [1e-9 * 3.0, 0.0, 0.0]  # norm exactly 1e-9 times the largest (3): zero
    W = np.zeros((5, 3))
    W[0] = 0.5 * u1  # the direction of V[0] with the other sign: not merged
    Xnew = rng.uniform(-2.0, 2.0, (25, 2))
    for scale in (1.0, 0.1):  # a largest norm below 1 too
        net = prog.reconstruct(scale * V, scale * W, prune=False)
        kept_v, kept_w = scale * V[:3], scale * W[:1]
        np.testing.assert_allclose(net.predict(Xnew), fit_of(kept_v, kept_w, 0.0, Xnew), rtol=0, atol=1e-12)
        assert net.layers[1].bias.tolist() == [0.0]  # the output bias defaults to 0
        norms = np.concatenate([np.linalg.norm(kept_v, axis=1), np.linalg.norm(kept_w, axis=1)])
        assert net.penalty_value() == pytest.approx(0.1 * norms.sum(), rel=1e-12)
        assert net.meta == {"model": "two-layer", "activation": {"name": "relu"}, "bias_convention": "penalized",
                            "output_bias": False, "widths": {"raw": 4, "merged": 3, "pruned": 3}}
        assert net.width == 3 and net.layers[1].weight.shape == (1, 3)
    assert prog.reconstruct(V, W, xi=0.7, prune=False).layers[1].bias.tolist() == [0.7]

    # no block, or only zero blocks: no unit
    for empty in (np.zeros((0, 3)), np.zeros((4, 3))):
        net = prog.reconstruct(empty, empty, xi=0.2)
        assert net.width == 0 and net.meta["widths"] == {"raw": 0, "merged": 0, "pruned": 0}
        np.testing.assert_allclose(net.predict(Xnew), 0.2, rtol=0, atol=0)

    # ten blocks of distinct directions: pruning (the default) keeps at most n + 1 = 7 units, the fit on the data
    # and the sum of norms; without it all ten stay
    B = rng.standard_normal((10, 3))
    B[:, 2] += 2.0  # every unit active somewhere
    zero = np.zeros((0, 3))
    full = prog.reconstruct(B, zero, prune=False)
    assert widths(full) == {"raw": 10, "merged": 10, "pruned": 10} and full.width == 10
    pruned = prog.reconstruct(B, zero)
    assert pruned.width <= n + 1 and widths(pruned) == {"raw": 10, "merged": 10, "pruned": pruned.width}
    assert np.all(pruned.layers[1].weight != 0)  # no zero unit is kept
    np.testing.assert_allclose(pruned.predict(X), fit_of(B, zero, 0.0, X), rtol=0, atol=1e-9)
    assert pruned.penalty_value() == pytest.approx(0.1 * np.linalg.norm(B, axis=1).sum(), rel=1e-9)


# ------------------------------------------------------------------------ pruning: dust, then a vertex of the face
def lasso_value(A, y, z, xi, beta, weights=None):
    r = y - A @ z - xi
    w = np.ones(z.size) if weights is None else weights
    return 0.5 * r @ r + beta * np.sum(w * np.abs(z))


def test_lasso_objective_is_the_weighted_lasso():
    from cvxnn.prune import lasso_objective

    rng = np.random.default_rng(31)
    A, y, z = rng.standard_normal((6, 4)), rng.standard_normal(6), rng.standard_normal(4)
    w = rng.uniform(0.5, 2.0, 4)
    for weights in (None, w):
        expected = lasso_value(A, y, z, 0.3, 0.7, weights)
        assert lasso_objective(A, y, z, 0.3, 0.7, weights) == pytest.approx(expected, rel=1e-14)


def kept_by_the_documented_rule(z, xi, A, y, beta, weights, fit_rtol, repair):
    """The dust rule as documented in cvxnn.prune, written here: entries at most 1e-12 max|z| are zero; of the rest,
    those with ||z_j A_j|| <= level ||y|| are dropped for the first level of (1e-6, 1e-7, 1e-8, 1e-9) at which the
    (repaired) Lasso objective rises by at most 1e-10 max(1, objective) and, with fit_rtol, the fit moves by at most
    fit_rtol ||y||; else every nonzero stays."""
    if not np.any(z):
        return np.zeros(0, dtype=int)
    nonzero = np.abs(z) > 1e-12 * np.max(np.abs(z))
    full = lasso_value(A, y, repair(np.where(nonzero, z, 0.0)), xi, beta, weights)
    contribution = np.abs(z) * np.linalg.norm(A, axis=0)
    for level in (1e-6, 1e-7, 1e-8, 1e-9):
        cand = repair(np.where(nonzero & (contribution > level * np.linalg.norm(y)), z, 0.0))
        if fit_rtol is not None and np.linalg.norm(A @ (np.where(nonzero, z, 0.0) - cand)) > \
                fit_rtol * np.linalg.norm(y):
            continue
        if lasso_value(A, y, cand, xi, beta, weights) <= full + 1e-10 * max(1.0, full):
            return np.flatnonzero(cand)
    return np.flatnonzero(nonzero)


class RepairedMatrix:
    """A matrix operator whose coefficients must sum to 0: repair moves the balance onto the last one."""

    def __init__(self, A):
        self.A = A

    def apply(self, z):
        return self.A @ z

    def column_norms(self, idx):
        return np.linalg.norm(self.A[:, idx], axis=0)

    def repair(self, z):
        z = np.array(z, dtype=np.float64)
        z[-1] -= z.sum()
        return z


def test_active_set_follows_the_documented_dust_rule():
    """On random problems whose dust spans the thresholds (sizes 1e-4 .. 1e-14 of the largest coefficient, data of
    scale 1e-3 .. 1e4, residuals from none to large, with and without weights, fit bound and a repair), the kept set
    equals the rule written here."""
    from cvxnn.prune import active_set

    rng = np.random.default_rng(32)
    decisions = set()
    for trial in range(400):
        n, k = rng.integers(3, 8), rng.integers(2, 9)
        A = rng.standard_normal((n, k)) * 10.0 ** rng.uniform(-1, 1, k)
        z = rng.standard_normal(k) * 10.0 ** rng.uniform(-3, 3)
        dust = rng.random(k) < 0.5
        z[dust] *= 10.0 ** rng.uniform(-14, -4, dust.sum())
        if trial % 7 == 0:
            z[rng.integers(k)] = 1e-12 * np.max(np.abs(z))  # exactly at the zero threshold
        noise = [0.0, 1e-9, 1e-3, 1.0][trial % 4]
        y = A @ z + noise * np.linalg.norm(A @ z) * rng.standard_normal(n)
        xi, beta = rng.standard_normal(), 10.0 ** rng.uniform(-4, 0)
        weights = rng.uniform(0.0, 3.0, k) if trial % 3 == 0 else None
        fit_rtol = 1e-9 if trial % 5 == 0 else None
        op = RepairedMatrix(A) if trial % 11 == 0 else A
        repair = op.repair if trial % 11 == 0 else (lambda v: v)
        for zz in (z, z.astype(np.float32)):
            got = active_set(zz, xi, op, y, beta, weights, fit_rtol)
            expected = kept_by_the_documented_rule(np.asarray(zz, np.float64), xi, A, y, beta, weights, fit_rtol,
                                                   repair)
            assert got.dtype.kind == "i" and got.tolist() == expected.tolist(), trial
        decisions.add((int(got.size), int(np.count_nonzero(z))))
    assert len(decisions) > 20  # the cases do reach different decisions
    for empty in (np.zeros(4), np.zeros(0)):
        got = active_set(empty, 0.0, np.ones((3, empty.size)), np.ones(3), 0.1)
        assert got.dtype.kind == "i" and got.size == 0


def test_caratheodory_prune_keeps_fit_and_l1_norm_at_a_vertex():
    """Random supports larger than a vertex can hold: the result has at most n + 1 nonzeros (n with an intercept),
    the same fit A z + xi, the same l1 norm and the signs of z; entries up to 1e-12 max|z| become 0; supports of one
    entry and zero vectors come back unchanged; without an intercept xi stays."""
    from cvxnn.prune import caratheodory_prune

    rng = np.random.default_rng(33)
    for trial in range(40):
        n, k = int(rng.integers(2, 6)), int(rng.integers(7, 14))
        A = rng.standard_normal((n, k))
        z = rng.standard_normal(k) * 10.0 ** rng.uniform(-2, 2)
        z[0] = 1e-12 * np.max(np.abs(z[1:]))  # noise
        intercept = bool(trial % 2)
        for zz in (z, z.astype(np.float32).astype(np.float64)):
            out, xi = caratheodory_prune(A, zz, 0.4, intercept)
            if zz is z:
                assert out[0] == 0.0
            assert np.count_nonzero(out) <= n + (0 if intercept else 1)
            assert np.all(out * zz >= 0)
            base = zz.copy()
            base[np.abs(base) <= 1e-12 * np.max(np.abs(base))] = 0.0
            np.testing.assert_allclose(A @ out + xi, A @ base + 0.4, rtol=0, atol=1e-9 * max(1, np.abs(A @ base).max()))
            assert np.abs(out).sum() == pytest.approx(np.abs(base).sum(), rel=1e-10)
            if not intercept:
                assert xi == 0.4
    A = rng.standard_normal((3, 5))
    one = np.array([0.0, 0.0, 2.0, 0.0, 0.0])
    for z in (one, np.zeros(5), np.zeros(0)):
        out, xi = caratheodory_prune(A[:, :z.size], z, 0.4, True)
        assert np.array_equal(out, z) and xi == 0.4
    # a float32 input is pruned in double precision
    z32 = rng.standard_normal(5).astype(np.float32)
    out, _ = caratheodory_prune(A, z32, 0.0, False)
    assert out.dtype == np.float64


def test_a_vertex_that_breaks_the_fit_the_norm_or_the_count_is_refused(monkeypatch):
    """_vertex checks the LP's answer: a solver status other than 0, or a point whose fit is off by 2e-10 relative, or
    whose l1 norm is off by 2e-10, or with more nonzeros than rows, gives None (and the caller falls back); a point
    off by 0.5e-10 is accepted."""
    import scipy.optimize

    from cvxnn.prune import _vertex, caratheodory_prune

    rng = np.random.default_rng(34)
    A = rng.standard_normal((3, 6))
    z = rng.uniform(0.5, 1.5, 6) * rng.choice([-1.0, 1.0], 6)
    real = scipy.optimize.linprog
    honest = _vertex(A, z, 0.0, False)
    assert honest is not None
    u_true = np.abs(honest[0])

    class Result:
        def __init__(self, x, status=0):
            self.x, self.status = x, status

    def fake(u, status=0):
        monkeypatch.setattr(scipy.optimize, "linprog", lambda *a, **k: Result(u, status))
        return _vertex(A, z, 0.0, False)

    target = A @ z
    assert fake(u_true, status=2) is None
    assert fake(None, status=0) is None
    ok = fake(u_true)  # the LP's own answer, handed back
    assert ok is not None and np.allclose(ok[0], honest[0])
    u_many = np.abs(z)  # fit and norm right, 6 nonzeros > 4 rows
    assert fake(u_many) is None
    scale = max(1.0, np.linalg.norm(target))
    s = np.sign(z)
    B = A * s[None, :]
    support = np.flatnonzero(u_true)
    j = support[0]
    outcomes = []
    for rel in (0.5e-10, 2e-10):
        u = u_true.copy()
        u[j] += rel * scale / np.linalg.norm(B[:, j])  # the fit moves by rel * scale
        u_scaled = u * (u_true.sum() / u.sum())  # the same l1 norm, the fit still moved by about rel * scale
        got = fake(u_scaled)
        moved = np.linalg.norm(B @ u_scaled - target)
        assert (got is not None) == (moved <= 1e-10 * scale), (rel, moved / scale)
        outcomes.append(got is not None)
    for rel in (0.2e-10, 0.5e-10, 2e-10):
        got = fake(u_true * (1 + rel))  # the l1 norm off by rel (and the fit by rel * |target|)
        fit_ok = np.linalg.norm(B @ (u_true * (1 + rel)) - target) <= 1e-10 * scale
        norm_ok = abs(u_true.sum() * rel) <= 1e-10 * max(1.0, np.abs(z).sum())
        assert (got is not None) == (fit_ok and norm_ok)
        outcomes.append(got is not None)
    # each case above asserts the rule itself; this guards that the cases reach both sides of it (here: the two fit
    # moves are refused, the norm offsets 0.2e-10 and 0.5e-10 accepted, 2e-10 refused)
    assert True in outcomes and False in outcomes
    monkeypatch.setattr(scipy.optimize, "linprog", real)
    # when the LP answer is refused, a stored matrix is pruned column by column instead
    monkeypatch.setattr(scipy.optimize, "linprog", lambda *a, **k: Result(None, 4))
    out, xi = caratheodory_prune(A, z, 0.0, False)
    assert np.count_nonzero(out) <= 4
    np.testing.assert_allclose(A @ out, A @ z, rtol=0, atol=1e-9)


# ------------------------------------------------------------------------------- the column-generation loop
class FakeRestricted:
    """solve_restricted and price for generate_columns: fixed scores per round, a recorded working set per round,
    solver reports with times and iterations that sum to known totals."""

    def __init__(self, rounds):
        from cvxnn.solvers.base import SolverRun

        self.rounds = rounds  # list of score vectors, one per round
        self.seen = []
        self.run = SolverRun

    def solve(self, working):
        from types import SimpleNamespace

        k = len(self.seen)
        self.seen.append(working.tolist())
        run = self.run(f"fake{k}", f"acc{k}", f"status{k}", f"raw{k}", 1e-8 * (k + 1), {"round": k},
                       {"compile": 0.5, "setup": 0.25 if k == 0 else None, "solve": 1.0 + k}, [7, None, 8][k % 3],
                       f"err{k}")
        return f"program{k}", SimpleNamespace(run=run, convex_objective=10.0 - k)

    def price(self, program, res, working):
        import time

        time.sleep(0.05)
        return np.array(self.rounds[len(self.seen) - 1], dtype=float), working


def test_column_generation_loop_adds_the_most_violated_and_sums_the_rounds(capsys):
    """threshold 2 (violated: > 2 (1 + 1e-7)); round 1 has six violated columns outside the working set {1, 3}, a
    score of exactly 2 and one of 2 (1 + 1e-7), both not violated, and large scores on the working set, which do not
    count; the three most violated (add_per_round) are added, most violated first; round 2 has none: stop."""
    from cvxnn.colgen import generate_columns

    r1 = [2.0, 50.0, 9.0, 60.0, 2.0 * (1.0 + 1e-7), 5.0, 7.0, 3.0, 8.0, 4.0, 1.0]
    r2 = [0.0, 50.0, 2.0, 60.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5]
    fake = FakeRestricted([r1, r2])
    program, res, log = generate_columns([3.0, 1.0, 3.0], fake.solve, fake.price, 2.0, 3, 5)
    assert program == "program1"
    assert fake.seen == [[1, 3], [1, 3, 2, 8, 6]]
    assert log == [{"round": 1, "working_set": 2, "objective": 10.0, "max_violation": 4.5, "added": 3},
                   {"round": 2, "working_set": 5, "objective": 9.0, "max_violation": 0.75, "added": 0}]
    run = res.run
    assert (run.solver, run.accuracy, run.status, run.raw_status, run.tolerance, run.options, run.error) == \
        ("fake1", "acc1", "status1", "raw1", 2e-8, {"round": 1}, "err1")
    assert run.iterations == 7  # 7 + None
    assert set(run.times) == {"compile", "setup", "solve", "wall", "pricing"}
    assert (run.times["compile"], run.times["setup"], run.times["solve"]) == (1.0, 0.25, 3.0)  # None counts 0
    assert 0.1 <= run.times["pricing"] <= run.times["wall"] < 60.0
    assert capsys.readouterr().err == ""  # no progress bar unless asked

    # three rounds (iterations 7 + None + 8), then the round limit; a progress bar of rounds
    r3 = [30.0] + [0.0] * 10
    fake = FakeRestricted([r1, [0.0] * 10 + [20.0], r3])
    _, res, log = generate_columns([1, 3], fake.solve, fake.price, 2.0, 3, 3, progress=True)
    assert [entry["added"] for entry in log] == [3, 1, 1] and res.run.iterations == 15
    assert fake.seen[-1] == [1, 3, 2, 8, 6, 10]
    err = capsys.readouterr().err
    assert re.search(r"(^|\r)column generation:", err) and "3/3" in err and ("round/s" in err or "s/round" in err)

    # every violated column when add_per_round allows (the one at exactly 2 (1 + 1e-7) is not violated)
    fake = FakeRestricted([r1, r2])
    _, _, log = generate_columns([1, 3], fake.solve, fake.price, 2.0, 20, 5)
    assert fake.seen[1] == [1, 3, 2, 8, 6, 5, 9, 7] and log[0]["added"] == 6
    # the add_per_round most violated of many, in decreasing order
    rng = np.random.default_rng(38)
    many = rng.uniform(3.0, 100.0, 80)
    fake = FakeRestricted([many, np.zeros(80)])
    generate_columns([0], fake.solve, fake.price, 2.0, 10, 5)
    top = [int(j) for j in np.argsort(-many) if j != 0][:10]
    assert fake.seen[1] == [0] + top

    # no column at all: nothing to add, a violation of 0
    fake = FakeRestricted([[]])
    _, _, log = generate_columns(np.zeros(0), fake.solve, fake.price, 2.0, 3, 5, desc="pattern generation")
    assert log == [{"round": 1, "working_set": 0, "objective": 10.0, "max_violation": 0.0, "added": 0}]


@pytest.mark.parametrize("mode", ["training", "interpolation"])
def test_column_generation_program_equals_the_whole_dictionary(mode, capsys):
    """Column generation over a stored 1-D ReLU dictionary (3 columns added per round) reaches the
    optimum of the whole dictionary solved at once, in both modes, with the solver's defaults (auto: Clarabel for
    training, HiGHS for interpolation; accuracy high), the solution it returns pruned to at most n + 1 units and
    rebuilt into a network that fits and costs what the result says; no progress bar unless asked."""
    from cvxnn.activations import Activation
    from cvxnn.colgen import ColumnGenerationProgram, dictionary_program
    from cvxnn.models.two_layer_1d import two_layer_1d

    x, rng = sorted_points(35, 12)
    y = np.sin(2.0 * x) + 0.2 * rng.standard_normal(12)
    if mode == "interpolation":
        y = 0.5 * y / np.max(np.abs(y))
    X = x[:, None]
    arch = cvxnn.TwoLayer("relu")
    D = two_layer_1d(x, Activation("relu"), "free", "dense")
    whole = dictionary_program(X, y, arch, 0.05, D, "free", mode, "error", column_generation=False)
    cg = dictionary_program(X, y, arch, 0.05, D, "free", mode, "error", column_generation=True)
    assert isinstance(cg, ColumnGenerationProgram) and not isinstance(whole, ColumnGenerationProgram)
    # training starts from 2 columns, interpolation from 14 (smaller starts: tests/test_interpolation.py)
    cg.initial_size, cg.add_per_round = (2 if mode == "training" else 14), 3
    ref, got = whole.solve(), cg.solve()
    assert len(cg.log.rounds) >= 2
    assert got.run.solver == ref.run.solver == ("highs" if mode == "interpolation" else "clarabel")
    assert got.run.accuracy == "high"
    assert got.convex_objective == pytest.approx(ref.convex_objective, rel=1e-6)
    assert np.count_nonzero(got.z) <= 13 and got.z.size == cg.dictionary.size  # z is over the last working set
    fit = cg.dictionary.features(x) @ got.z + got.xi
    l1 = float(np.abs(got.z).sum())
    assert got.l1_norm == pytest.approx(l1, rel=1e-12)
    assert got.beta == ref.beta
    np.testing.assert_allclose(got.network.predict(X), fit, rtol=0, atol=1e-9)
    if mode == "interpolation":
        np.testing.assert_allclose(fit, y, rtol=0, atol=1e-7)
        assert got.convex_objective == pytest.approx(l1, rel=1e-12)
    else:
        r = y - fit
        assert got.convex_objective == pytest.approx(0.5 * r @ r + 0.05 * l1, rel=1e-12)
    assert capsys.readouterr().err == ""


def test_column_generation_refuses_a_native_lasso_solver_for_its_restricted_programs():
    """Each round prices the columns with the restricted program's dual vector, which native Lasso solvers do not
    return: the restricted program says so (in the caller's terms) instead of pricing with nothing."""
    from cvxnn.activations import Activation
    from cvxnn.colgen import dictionary_program
    from cvxnn.errors import CvxnnError
    from cvxnn.models.two_layer_1d import two_layer_1d

    x, rng = sorted_points(36, 8)
    y = np.sin(x)
    D = two_layer_1d(x, Activation("relu"), "free", "dense")
    cg = dictionary_program(x[:, None], y, cvxnn.TwoLayer("relu"), 0.05, D, "free", "training", "error",
                            column_generation=True)
    with pytest.raises(CvxnnError, match="restricted Lasso inside column generation"):
        cg.solve(solver="sklearn")


@pytest.mark.parametrize("bias", ["free", "none"])
def test_column_generation_starts_from_the_top_columns_at_the_targets(bias):
    """The first working set: the initial_size columns scoring highest at lam = y (centred with a free output bias),
    and for chain dictionaries every column of the two-layer kind (a = (x_j, 0, ..., 0): they keep every restricted
    interpolation LP feasible)."""
    from cvxnn.activations import Activation
    from cvxnn.colgen import ColumnGenerationProgram
    from cvxnn.models.chains_1d import abs_chain_dictionary
    from cvxnn.models.two_layer_1d import two_layer_1d

    x, rng = sorted_points(37, 9)
    y = 3.0 + np.sin(2 * x) + 0.3 * rng.standard_normal(9)  # far from centred
    lam = y - y.mean() if bias == "free" else y
    D = two_layer_1d(x, Activation("relu"), bias, "dense")
    F = np.maximum(D.orientations[None, :] * (x[:, None] - D.breakpoints[None, :]), 0.0)
    cg = ColumnGenerationProgram(x[:, None], y, cvxnn.TwoLayer("relu"), 0.1, D, bias, "global", D.oracle,
                                 initial_size=4)
    expected = np.sort(np.argsort(-np.abs(lam @ F))[:4])
    assert cg._initial_working_set().tolist() == expected.tolist()
    if bias == "none":
        return
    C = abs_chain_dictionary(x, 3)
    G = np.abs(np.abs(x[:, None] - C.params[None, :, 0]) - C.params[None, :, 1])
    two_layer_kind = np.flatnonzero(C.params[:, 1] == 0)
    assert 0 < two_layer_kind.size < C.size
    cg = ColumnGenerationProgram(x[:, None], y, cvxnn.Deep1D(3, "abs"), 0.1, C, "free", "global", C.oracle,
                                 initial_size=5)
    top = np.argsort(-np.abs(lam @ G))[:5]
    assert cg._initial_working_set().tolist() == np.union1d(top, two_layer_kind).tolist()


# ------------------------------------------------------------------------- candidate sets: the 1-D abs chain vertices
def distinct_column_set(F, scale):
    """The set of distinct nonzero columns of F, rounded at 1e-9 * scale (as tuples)."""
    keys = set()
    for col in np.round(F / scale, 9).T + 0.0:
        if np.any(col != 0):
            keys.add(tuple(col))
    return keys


def test_abs_chain_dictionary_families_budget_and_streamed_form():
    """Depth 3 on 7 points: the full dictionary's distinct columns are those of the reflections (a1 = x_j, a2 =
    |x_k - x_j|) and midpoints (a1 = (x_k + x_l)/2, a2 = |x_l - x_k|/2) written here, each once; families='reflection'
    keeps exactly the reflection columns (a1 at a data point); above materialize_limit the vertices are kept
    unmaterialised (same scores at a random dual point); above max_columns the error names the numbers and the fix."""
    from cvxnn.errors import ProblemTooLargeError
    from cvxnn.models.chains_1d import abs_chain_dictionary

    x, rng = sorted_points(41, 7)
    x = 3.0 * x  # a range far from 1
    scale = np.ptp(x)
    lam = centred(rng, 7)
    _, P = depth3_vertex_values(x, lam)
    F = np.abs(np.abs(x[:, None] - P[None, :, 0]) - P[None, :, 1])
    full = abs_chain_dictionary(list(x), 3)
    G = np.abs(np.abs(x[:, None] - full.params[None, :, 0]) - full.params[None, :, 1])
    assert full.size == len(distinct_column_set(G, scale)) == len(distinct_column_set(F, scale))
    assert distinct_column_set(G, scale) == distinct_column_set(F, scale)
    refl = abs_chain_dictionary(x, 3, families="reflection")
    assert np.all(np.min(np.abs(refl.params[:, :1] - x[None, :]), axis=1) == 0.0)
    R = np.abs(np.abs(x[:, None] - refl.params[None, :, 0]) - refl.params[None, :, 1])
    assert distinct_column_set(R, scale) == distinct_column_set(F[:, :49], scale)
    assert refl.size == len(distinct_column_set(R, scale)) < full.size

    streamed = abs_chain_dictionary(x, 3, materialize_limit=10)
    assert streamed.matrix is None and streamed.size > full.size and streamed.depth == 3  # raw, not deduplicated
    Fs = np.abs(np.abs(x[:, None] - streamed.params[None, :, 0]) - streamed.params[None, :, 1])
    np.testing.assert_allclose(streamed.scores(lam), lam @ Fs, rtol=0, atol=1e-12)
    assert distinct_column_set(Fs, scale) == distinct_column_set(F, scale)
    exact = abs_chain_dictionary(x, 3, materialize_limit=streamed.size)  # at the limit: materialised
    assert exact.matrix is not None and exact.size == full.size
    with pytest.raises(ProblemTooLargeError) as err:
        abs_chain_dictionary(x, 3, materialize_limit=10, max_columns=streamed.size - 1)
    assert str(err.value) == (
        f"the depth-3 absolute-value dictionary on 7 points has {streamed.size:,} vertex columns, above the budget "
        f"max_columns = {streamed.size - 1:,}. Use fewer points or a smaller depth, or raise max_columns.")
    assert abs_chain_dictionary(x, 3, materialize_limit=10, max_columns=streamed.size).size == streamed.size


def test_abs_chain_vertex_budget_message():
    """The vertex-solve budget: refused above it with the counts, the growth n^(L-1) and the fix; allowed at it."""
    from cvxnn.errors import ProblemTooLargeError
    from cvxnn.models.chains_1d import abs_chain_vertices, abs_chain_work

    x = np.linspace(0.0, 1.0, 9)
    for depth in (3, 4):
        work = abs_chain_work(9, depth)
        assert abs_chain_vertices(x, depth, max_work=work).shape[1] == depth - 1
        with pytest.raises(ProblemTooLargeError) as err:
            abs_chain_vertices(x, depth, max_work=work - 1)
        assert str(err.value) == (
            f"the depth-{depth} absolute-value dictionary on 9 points needs {work:,} vertex solves (budget "
            f"{work - 1:,}); its size grows like n^{depth - 1}. Use fewer points, a smaller depth, or raise the "
            "budget with max_columns / max_work.")


def wedge_candidates_written_here(X):
    """Every (m points, m coordinates) pair, m = 1..min(n, d), in the order m, coordinate set, point set: the
    l1-normalised direction on those coordinates orthogonal to the differences of the points (a null vector by
    SVD), or None where that null space is not one line."""
    import itertools

    n, d = X.shape
    out = []
    for m in range(1, min(n, d) + 1):
        for S in itertools.combinations(range(d), m):
            for P in itertools.combinations(range(n), m):
                D = (X[list(P[1:])] - X[P[0]])[:, list(S)]
                if m == 1:
                    v = np.ones(1)
                else:
                    _, sv, vt = np.linalg.svd(D)
                    v = vt[-1] if sv.size == m - 1 and sv[-1] > 1e-9 * max(sv[0], 1e-300) else None
                u = None
                if v is not None:
                    u = np.zeros(d)
                    u[list(S)] = v / np.abs(v).sum()
                out.append((u, P, S))
    return out


@pytest.mark.parametrize("shape,seed", [((5, 2), 51), ((4, 3), 52), ((2, 3), 53), ((6, 1), 54)])
def test_wedge_candidates_are_every_point_and_coordinate_set(shape, seed):
    """wedge_dictionary(dedupe=False): one column per nondegenerate (points, coordinates) pair, C(n + d, d) - 1
    pairs in all, each with the direction, pivot, point set and support written here; with dedupe every distinct
    nonzero column once; 1-D input read as one column; bad inputs refused with the shape or the reason."""
    import math

    from cvxnn.errors import ProblemTooLargeError
    from cvxnn.models.wedge import wedge_dictionary

    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, shape) * 300.0
    n, d = shape
    expected = [c for c in wedge_candidates_written_here(X) if c[0] is not None]
    D = wedge_dictionary(X, dedupe=False)
    assert D.n_candidates == math.comb(n + d, d) - 1 == len(wedge_candidates_written_here(X))
    assert D.size == len(expected)
    for j, (u, P, S) in enumerate(expected):
        sign = np.sign(D.directions[j] @ u)
        np.testing.assert_allclose(sign * D.directions[j], u, rtol=0, atol=1e-9)
        assert (int(D.pivots[j]), D.point_sets[j], D.supports[j]) == (P[0], P, S)
        np.testing.assert_allclose(D.offsets[j], -D.directions[j] @ X[P[0]], rtol=1e-12, atol=1e-9)
    F = np.abs(np.einsum("jd,njd->nj", D.directions, X[:, None, :] - X[None, D.pivots, :]))
    np.testing.assert_allclose(D.matrix, F, rtol=0, atol=1e-9)
    kept = wedge_dictionary(X)
    scale = np.max(np.ptp(X, axis=0))
    assert distinct_column_set(kept.matrix, scale) == distinct_column_set(F, scale)
    assert kept.size == len(distinct_column_set(F, scale))
    if d == 1:
        one = wedge_dictionary(X[:, 0])
        assert one.X.shape == (n, 1) and np.array_equal(one.matrix, kept.matrix)
    with pytest.raises(ProblemTooLargeError) as err:
        wedge_dictionary(X, max_columns=D.n_candidates - 1)
    assert str(err.value) == (
        f"the l1 absolute-value (wedge) dictionary on n = {n} points in d = {d} dimensions has C(n + d, d) - 1 = "
        f"{D.n_candidates:,} candidate columns, above the budget max_columns = {D.n_candidates - 1:,}. Use fewer "
        "points or fewer input dimensions (memory grows like n * columns); in Python, "
        "cvxnn.models.wedge.wedge_dictionary(X, max_columns=...) builds a larger dictionary.")
    assert wedge_dictionary(X, max_columns=D.n_candidates).size == kept.size


def test_wedge_dictionary_degenerate_pairs_and_bad_inputs():
    """A pair of points whose difference has l1 norm at most 1e-13 * scale^(m - 1) is degenerate (no column), the
    scale being the largest range of one coordinate: differences 5e-11 at scale 1e3 and 1e-13 at scale 1 are
    degenerate; 1e-6 at scale 1e3, 3e-10 at scale 1e3 with a coordinate far from 0, 1e-14 at scale 1e-3 are not.
    One point is enough."""
    from cvxnn.errors import InvalidDataError
    from cvxnn.models.wedge import wedge_dictionary

    X = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0], [5e-11, 0.0], [1000.0 + 1e-6, 0.0]])
    D = wedge_dictionary(X, dedupe=False)
    pairs = [p for p, s in zip(D.point_sets, D.supports) if len(p) == 2]
    assert (0, 3) not in pairs and (1, 4) in pairs and len(pairs) == 9
    X1 = np.array([[0.0, 0.0], [1.0, 1.0], [1e-13, 0.0]])
    pairs = [p for p in wedge_dictionary(X1, dedupe=False).point_sets if len(p) == 2]
    assert (0, 2) not in pairs and len(pairs) == 2
    X2 = np.array([[0.0, 4000.0], [1000.0, 4000.0], [0.0, 5000.0], [3e-10, 4000.0]])  # all-entry range 5000
    assert (0, 3) in [p for p in wedge_dictionary(X2, dedupe=False).point_sets if len(p) == 2]
    X3 = 1e-3 * np.array([[0.0, 0.0], [1.0, 1.0]])
    X3 = np.vstack([X3, [1e-14, 0.0]])
    assert (0, 2) in [p for p in wedge_dictionary(X3, dedupe=False).point_sets if len(p) == 2]
    # three collinear points at scale 1e3: the lines through any two of them are one line, whose columns agree to
    # rounding and are kept once
    # (the third point is 1e-8 off the line: columns 1e-8 apart are equal at 1e-9 times the range, 1.9e-6)
    line = 1e3 * np.array([[0.1, 0.2], [0.4, 0.8], [0.7, 1.4], [0.3, -0.5]])
    line[2, 1] += 1e-8
    D = wedge_dictionary(line, dedupe=False)
    kept = wedge_dictionary(line)
    assert kept.size == len(distinct_column_set(D.matrix, 1e3 * 1.9)) < D.size
    assert kept.size < len(distinct_column_set(D.matrix, 1e-3))  # at 1e-12 they would be distinct
    single = wedge_dictionary(np.array([[0.5, -0.5]]))
    assert single.size == 0 and single.n_candidates == 2
    with pytest.raises(InvalidDataError, match=r"needs inputs of shape \(n, d\); received shape \(0, 2\)\."):
        wedge_dictionary(np.zeros((0, 2)))
    with pytest.raises(InvalidDataError, match=r"received shape \(2, 2, 2\)\."):
        wedge_dictionary(np.zeros((2, 2, 2)))
    with pytest.raises(InvalidDataError) as err:
        wedge_dictionary(np.array([[0.0, np.nan], [1.0, 1.0]]))
    assert str(err.value) == "wedge_dictionary needs finite inputs; X contains NaN or inf."


# ------------------------------------------------------------------------- candidate sets: the deep-abs directions
def directions_written_here(X, axes=True):
    """The generators (axes, then differences x_i - x_j, then x_a + x_b - 2 x_c) with kinds and points, and every
    direction orthogonal to d - 1 of them (a null vector by SVD), l1-normalised, first nonzero entry positive."""
    import itertools

    n, d = X.shape
    gens, kinds, froms = [], [], []
    if axes:
        gens += list(np.eye(d))
        kinds += ["axis"] * d
        froms += [()] * d
    for i, j in itertools.combinations(range(n), 2):
        gens.append(X[i] - X[j]), kinds.append("data"), froms.append((i, j))
    for i, j in itertools.combinations(range(n), 2):
        for c in range(n):
            if c not in (i, j):
                gens.append(X[i] + X[j] - 2 * X[c]), kinds.append("reflection"), froms.append((i, j, c))
    out = {}
    for S in itertools.combinations(range(len(gens)), d - 1):
        _, sv, vt = np.linalg.svd(np.array([gens[g] for g in S]).reshape(d - 1, d), full_matrices=True)
        if d > 1 and (sv.size < d - 1 or sv[-1] <= 1e-9 * sv[0]):
            continue
        v = vt[-1] / np.abs(vt[-1]).sum()
        v = v * np.sign(v[np.flatnonzero(np.abs(v) > 1e-12)[0]])
        key = tuple(np.round(v, 8) + 0.0)
        if key not in out:
            ks = {kinds[g] for g in S}
            kind = "axis" if ks == {"axis"} else (ks.pop() if len(ks) == 1 else "mixed")
            pts = froms[S[0]] if len(S) == 1 else tuple(sorted({p for g in S for p in froms[g]}))
            out[key] = (kind, pts)
    return out


@pytest.mark.parametrize("n,d,axes", [(4, 2, True), (3, 3, True), (4, 2, False)])
def test_deep_abs_directions_are_the_cross_products_of_the_generators(n, d, axes):
    """chain_directions: the distinct unit (l1) directions orthogonal to d - 1 generators, each once modulo sign,
    with the kind and the points of the first generator set that gives it; l2-normalised on request; d = 1: the one
    axis; over max_directions: refused with the counts."""
    import math

    from cvxnn.errors import ProblemTooLargeError
    from cvxnn.models.deep_abs.pool import chain_directions

    rng = np.random.default_rng(61 + n + d)
    X = rng.uniform(-1.0, 1.0, (n, d))
    expected = directions_written_here(X, axes)
    D = chain_directions(X, axes=axes) if axes else chain_directions(X, "l1", axes=False)
    got = {tuple(np.round(v, 8) + 0.0): (k, f) for v, k, f in zip(D.V, D.kinds, D.froms)}
    assert D.norm == "l1" and len(got) == D.V.shape[0] == len(expected)
    assert got == expected
    L2 = chain_directions(X, "l2", axes=axes)
    np.testing.assert_allclose(np.linalg.norm(L2.V, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(L2.V / np.abs(L2.V).sum(axis=1, keepdims=True), D.V, rtol=0, atol=1e-12)
    K = math.comb(n, 2) + n * math.comb(n - 1, 2)
    count = math.comb(K + d, d - 1)
    with pytest.raises(ProblemTooLargeError) as err:
        chain_directions(X, max_directions=count - 1)
    assert str(err.value) == (
        f"the three-layer absolute-value pool on n = {n} points in d = {d} dimensions has {count:,} candidate "
        f"directions (generalised cross products of {d - 1} of the {K + d:,} kink normals and axes), above the "
        f"budget max_directions = {count - 1:,}. Use fewer points, or raise max_directions (each direction carries "
        "about 1.5 n^2 columns).")
    assert chain_directions(X, max_directions=count).V.shape == D.V.shape if axes else True
    one = chain_directions(X[:, :1])
    assert one.V.tolist() == [[1.0]] and one.kinds == ["axis"] and one.froms == [()] and one.norm == "l1"
    assert chain_directions(X[:, :1], "l2").norm == "l2"


# ------------------------------------------------------------------------------- pattern generation (d dimensions)
@pytest.mark.parametrize("n_rows,n_cols", [(40, 9), (1, 5), (300, 70)])
def test_locate_finds_each_wanted_pattern_that_occurs(n_rows, n_cols):
    """_locate: for each wanted row (in order) the index of the equal row of patterns, absent rows skipped; empty
    inputs give an empty integer array; 0/1 integers are read as booleans."""
    from cvxnn.models.arrangement import _locate

    rng = np.random.default_rng(71 + n_rows)
    P = np.unique(rng.random((n_rows, n_cols)) < 0.5, axis=0)
    P = P[rng.permutation(P.shape[0])]
    present = rng.permutation(P.shape[0])  # every row (the one with the largest hash too)
    absent = rng.random((5, n_cols)) < 0.5
    absent = np.array([a for a in absent if not np.any(np.all(P == a, axis=1))]).reshape(-1, n_cols)
    wanted = np.vstack([P[present[:3]], absent, P[present[3:]]])
    order = rng.permutation(wanted.shape[0])
    wanted = wanted[order]
    expected = [int(np.flatnonzero(np.all(P == w, axis=1))[0]) for w in wanted if np.any(np.all(P == w, axis=1))]
    for pats, want in ((P, wanted), (P.astype(int), wanted.astype(int))):
        got = _locate(pats, want)
        assert got.dtype.kind == "i" and got.tolist() == expected
    assert _locate(P, wanted[0]).tolist() == expected[:1] if np.any(np.all(P == wanted[0], axis=1)) else True
    for pats, want in ((P[:0], wanted), (P, wanted[:0])):
        got = _locate(pats, want)
        assert got.dtype.kind == "i" and got.size == 0


@pytest.mark.parametrize("bias,output_bias", [("penalized", False), ("free", True)])
def test_pattern_generation_reaches_the_full_program(bias, output_bias, capsys):
    """Pattern generation over every pattern of a d = 2 arrangement (a few added per round) ends at the optimum of
    the program over all patterns solved at once, returns a pruned network (at most n + 1 units) whose objective is
    the result's, and logs its rounds; no progress bar unless asked."""
    from cvxnn.arrangements import enumerate_patterns
    from cvxnn.models.arrangement import ArrangementProgram, pattern_generation

    rng = np.random.default_rng(72)
    n = 12
    X = rng.standard_normal((n, 2))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.standard_normal(n)
    arch = cvxnn.TwoLayer("relu")
    Xb = np.hstack([X, np.ones((n, 1))]) if bias == "penalized" else X
    full = enumerate_patterns(Xb)
    whole = ArrangementProgram(X, y, arch, 0.05, full, bias, output_bias=output_bias)
    ref = whole.solve()
    # from its own first working set (the top 3n patterns at lam = y and sampled gates), then from two patterns
    for initial in (None, np.arange(2)):
        prog, res, log = pattern_generation(X, y, arch, 0.05, bias, full, output_bias=output_bias, add_per_round=2,
                                            initial=initial)
        assert prog.generation_log is log and (initial is None or len(log) >= 3)
        assert [entry["round"] for entry in log] == list(range(1, len(log) + 1))
        assert res.convex_objective == pytest.approx(ref.convex_objective, rel=1e-6)
        net = res.network
        assert net.width <= n + 1 and net.meta["widths"]["pruned"] == net.width
        assert net.objective(X, y) == pytest.approx(ref.convex_objective, rel=1e-6)
        assert res.run.accuracy == "high"
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("intercept", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_vertex_lp_keeps_fit_and_norm_with_and_without_intercept(intercept, sparse):
    """_vertex on random supports (dense, or a sparse map with the output bias on row 0): a point with at most
    rows nonzeros, the signs of z, the same l1 norm and the same fit A z + xi b (b = ones, or e_0 for a sparse
    map), xi moved only with an intercept."""
    import scipy.sparse as sp

    from cvxnn.prune import _vertex

    rng = np.random.default_rng(81 + 2 * intercept + sparse)
    for trial in range(6):
        n, k = 4, 9
        A = rng.standard_normal((n, k))
        z = rng.uniform(0.2, 1.5, k) * rng.choice([-1.0, 1.0], k) * 10.0 ** (trial - 3)
        xi = 0.3
        b = np.zeros(n) if sparse else np.ones(n)
        if sparse:
            b[0] = 1.0
        got = _vertex(sp.csr_matrix(A) if sparse else A, z, xi, intercept, 0 if sparse else None)
        assert got is not None
        u, new_xi = got
        assert np.count_nonzero(u) <= n + 1 and np.all(u * z >= 0)
        assert np.abs(u).sum() == pytest.approx(np.abs(z).sum(), rel=1e-10)
        np.testing.assert_allclose(A @ u + (new_xi if intercept else xi) * b, A @ z + xi * b, rtol=0,
                                   atol=1e-9 * max(1.0, np.linalg.norm(A @ z)))
        if not intercept:
            assert new_xi == xi


@pytest.mark.parametrize("size", [3.0, 1e-3])
def test_vertex_refuses_an_l1_norm_off_by_more_than_1e_10(size, monkeypatch):
    """The LP's answer is checked for its l1 norm on its own: a point with the same fit and support size whose norm
    is off by 0.5e-10 max(1, ||z||_1) is accepted, by 1.5e-10 refused (||z||_1 above and below 1); the same for
    the fit against 1e-10 max(1, ||A z||)."""
    import scipy.optimize

    from cvxnn.prune import _vertex

    rng = np.random.default_rng(82)
    A = rng.standard_normal((3, 4))
    z = rng.uniform(0.5, 1.5, 4)
    z *= size / z.sum()  # ||z||_1 = size
    v = np.linalg.svd(A)[2][-1]  # A v = 0
    assert abs(v.sum()) > 0.05

    class Result:
        def __init__(self, x):
            self.x, self.status = x, 0

    outcomes = []
    for rel in (0.5e-10, 1.5e-10):
        t = rel * max(1.0, np.abs(z).sum()) / v.sum()
        u = np.abs(z) + t * v  # same fit, norm off by rel * max(1, ||z||_1), still positive
        monkeypatch.setattr(scipy.optimize, "linprog", lambda *a, **kw: Result(u))
        outcomes.append(_vertex(A, z, 0.0, False) is not None)
    assert outcomes == [True, False]
    # the fit rule at a small target: off by 0.5e-10 accepted, 1.5e-10 refused (the tolerance is 1e-10 max(1, |t|))
    B = A * np.sign(z)[None, :]
    outcomes = []
    for rel in (0.5e-10, 1.5e-10):
        w = np.linalg.lstsq(B, np.eye(3)[0], rcond=None)[0]  # B w = e_0
        w -= v * (w.sum() / v.sum())  # and sum w = 0: the norm stays
        u = np.abs(z) + rel * max(1.0, np.linalg.norm(A @ z)) * w
        monkeypatch.setattr(scipy.optimize, "linprog", lambda *a, **kw: Result(u))
        outcomes.append(_vertex(A, z, 0.0, False) is not None)
    assert outcomes == [True, False]


def test_prune_solution_dispatch(monkeypatch):
    """prune_solution: a dictionary with its own prune gets every argument; otherwise the dust step gets the
    dictionary's weights and the fit bound 1e-9 exactly when the residual will be the dual; nothing kept gives
    zeros; vertex=False or prunable=False keep the dust step's coefficients (repaired); a fit_map goes to the LP as
    a sparse map with the bias on row 0; a stored support no larger than a vertex (n + 1, n with an intercept) and
    with more than VERTEX_ALWAYS_ENTRIES entries is left as it is (exactly that many entries: pruned), a larger one
    goes to the vertex LP."""
    import cvxnn.prune as prune

    calls = {}

    def spy_active(z, xi, A, y, beta, weights=None, fit_rtol=None):
        calls["active"] = (weights, fit_rtol)
        return np.flatnonzero(np.abs(z) > 0.05)

    def spy_cara(A, z, xi, intercept, rank_tol=1e-10, bias_row=None):
        calls["cara"] = (A, z.copy(), intercept, bias_row)
        out = z.copy()
        out[0] = 0.0
        return out, xi + 1.0

    monkeypatch.setattr(prune, "active_set", spy_active)
    monkeypatch.setattr(prune, "caratheodory_prune", spy_cara)

    class Own:
        def prune(self, *args):
            calls["own"] = args
            return "pruned"

    y = np.arange(4.0)
    assert prune.prune_solution(Own(), [1, 2], 0.5, y, 0.1, True, True, False) == "pruned"
    z_own = calls["own"][0]
    assert z_own.dtype == np.float64 and calls["own"][1:4] == (0.5, y, 0.1) and calls["own"][4:] == (True, True, False)

    class Stored:
        def __init__(self, n, k, **attrs):
            self.matrix = np.arange(n * k, dtype=float).reshape(n, k) + 1.0
            self.__dict__.update(attrs)

        def columns(self, idx):
            return self.matrix[:, idx]

    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    z = np.array([0.5, 0.01, -0.7, 0.2, 0.0])
    D = Stored(4, 5, weights=w)
    for residual_dual, bound in ((False, None), (True, 1e-9)):
        calls.clear()
        prune.prune_solution(D, z, 0.0, y, 0.1, False, residual_dual=residual_dual)
        assert calls["active"][0] is w and calls["active"][1] == bound
    calls.clear()
    out, xi = prune.prune_solution(Stored(4, 5), np.zeros(5), 0.25, y, 0.1, False)
    assert np.array_equal(out, np.zeros(5)) and xi == 0.25 and calls["active"] == (None, None)
    # one coefficient kept is not a reason to stop: only none is
    out, _ = prune.prune_solution(Stored(4, 5, prunable=False), np.array([0.0, 0.0, 0.3, 0.0, 0.0]), 0.0, y, 0.1,
                                  False)
    assert out.tolist() == [0.0, 0.0, 0.3, 0.0, 0.0]

    # the dust step only (repaired): vertex=False, or a dictionary that is not prunable
    for D2, vertex in ((Stored(4, 5, repair=lambda v: v * 2.0), False), (Stored(4, 5, prunable=False), True)):
        calls.clear()
        out, xi = prune.prune_solution(D2, z, 0.0, y, 0.1, False, vertex=vertex)
        factor = 2.0 if vertex is False else 1.0
        assert out.tolist() == [0.5 * factor, 0.0, -0.7 * factor, 0.2 * factor, 0.0] and "cara" not in calls
    # a sparse fit map: the LP on it, the output bias on row 0
    M = object()
    calls.clear()
    out, xi = prune.prune_solution(Stored(4, 5, fit_map=lambda keep: (M, keep.tolist())), z, 0.0, y, 0.1, True)
    A, zk, intercept, bias_row = calls["cara"]
    assert A == (M, [0, 2, 3]) and zk.tolist() == [0.5, -0.7, 0.2] and intercept is True and bias_row == 0
    assert out.tolist() == [0.0, 0.0, -0.7, 0.2, 0.0] and xi == 1.0

    # stored supports: left alone at the vertex size when large, pruned above it or when small
    monkeypatch.setattr(prune, "VERTEX_ALWAYS_ENTRIES", 8)
    for n, intercept, support, pruned in ((4, False, 5, False), (4, True, 4, False), (4, True, 5, True),
                                          (4, False, 6, True), (2, False, 3, True), (4, False, 2, True)):
        zz = np.zeros(8)
        zz[:support] = 0.5
        calls.clear()
        out, _ = prune.prune_solution(Stored(n, 8), zz, 0.0, np.arange(float(n)), 0.1, intercept)
        assert ("cara" in calls) == pruned, (n, intercept, support)
        if pruned:
            assert calls["cara"][2] is intercept and calls["cara"][3] is None
            assert np.array_equal(calls["cara"][0], Stored(n, 8).matrix[:, :support])
        else:
            assert np.array_equal(out, zz)


def test_caratheodory_prune_dispatch(monkeypatch):
    """caratheodory_prune: zero vectors and single entries are returned as they are; a stored support no larger
    than a vertex (n + 1, n with an intercept) with more than VERTEX_ALWAYS_ENTRIES entries too; every other support
    goes to the vertex LP (dense columns of the support; a sparse map as CSC columns with its bias row), and when the
    LP gives nothing a stored matrix goes to the column-at-a-time method while a sparse map keeps z."""
    import scipy.sparse as sp

    import cvxnn.prune as prune

    calls = []

    def spy_vertex(A, z, xi, intercept, bias_row=None):
        calls.append(("vertex", A, z.copy(), intercept, bias_row))
        return None

    def spy_steps(A, z, xi, intercept, rank_tol=1e-10):
        calls.append(("steps", A, z.copy(), intercept, rank_tol))
        return z * 0.5, xi

    monkeypatch.setattr(prune, "_vertex", spy_vertex)
    monkeypatch.setattr(prune, "caratheodory_steps", spy_steps)
    monkeypatch.setattr(prune, "VERTEX_ALWAYS_ENTRIES", 8)
    A = np.arange(40.0).reshape(4, 10) + 1.0
    for z in (np.zeros(10), np.eye(10)[3] * 2.0):
        calls.clear()
        out, xi = prune.caratheodory_prune(A, z, 0.5, False)
        assert np.array_equal(out, z) and xi == 0.5 and calls == []
    for n, intercept, support, goes in ((4, False, 5, False), (4, True, 4, False), (4, True, 5, True),
                                        (4, False, 6, True), (2, False, 3, True), (4, False, 2, True)):
        z = np.zeros(10)
        z[:support] = -0.5
        calls.clear()
        out, _ = prune.caratheodory_prune(A[:n], z, 0.0, intercept, rank_tol=3e-7)
        if not goes:
            assert calls == [] and np.array_equal(out, z)
            continue
        (_, Av, zv, iv, bv), (_, As, zs, is_, rt) = calls
        assert np.array_equal(Av, A[:n, :support]) and zv.tolist() == [-0.5] * support and iv is intercept
        assert bv is None and np.array_equal(As, A[:n]) and is_ is intercept and rt == 3e-7
        assert np.array_equal(out, z * 0.5)
    # a sparse map: the LP on its CSC support columns with the bias row; no fallback
    z = np.zeros(10)
    z[[1, 4, 6]] = [1.0, -2.0, 3.0]
    calls.clear()
    out, xi = prune.caratheodory_prune(sp.csr_matrix(A), z, 0.7, True, bias_row=2)
    (_, Av, zv, iv, bv), = calls
    assert sp.issparse(Av) and np.array_equal(Av.toarray(), A[:, [1, 4, 6]]) and zv.tolist() == [1.0, -2.0, 3.0]
    assert iv is True and bv == 2 and np.array_equal(out, z) and xi == 0.7
    # entries at most 1e-12 max|z| are zero before anything else
    z = np.array([1e-12, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # one entry left: returned
    calls.clear()
    out, _ = prune.caratheodory_prune(A, z, 0.0, False)
    assert out.tolist() == [0.0, 0.0, 1.0] + [0.0] * 7 and calls == []


def test_merge_units_keeps_the_largest_of_each_direction_and_sign():
    """merge_units: visited by decreasing c (ties in input order), each unit joins the first kept unit of its sign
    whose direction has cosine above 1 - 1e-10 (exactly 1 - 1e-10 is not above), else it is kept; one unit and no
    unit come back as they are."""
    from cvxnn.models.arrangement import merge_units

    cos = 1 - 1e-10
    a = np.array([1.0, 0.0])
    near = np.array([1.0, 1e-6])
    near /= np.linalg.norm(near)  # cosine 1 - 5e-13 with a
    edge = np.array([cos, np.sqrt(1.0 - cos * cos)])  # cosine exactly 1 - 1e-10 with a (a . edge = cos)
    dirs = np.array([near, a, edge, a, -a])
    c = np.array([2.0, 3.0, 1.0, 0.5, 4.0])
    s = np.array([1.0, 1.0, 1.0, -1.0, 1.0])
    D, C, S = merge_units(dirs, c, s)
    # order by c: -a (4, +), a (3, +), near (2, + -> joins a), edge (1, + -> kept), a (0.5, - -> kept)
    np.testing.assert_array_equal(D, np.array([-a, a, edge, a]))
    assert C.tolist() == [4.0, 5.0, 1.0, 0.5] and S.tolist() == [1.0, 1.0, 1.0, -1.0]
    # ties: the first in input order is kept and the others join it
    D, C, S = merge_units(np.array([near, a]), np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    np.testing.assert_array_equal(D, near[None, :])
    assert C.tolist() == [2.0]
    D, C, S = merge_units(a[None, :], [0.7], [-1.0])
    assert D.tolist() == [a.tolist()] and C.tolist() == [0.7] and S.tolist() == [-1.0]
    D, C, S = merge_units(np.zeros((0, 3)), np.zeros(0), np.zeros(0))
    assert D.shape == (0, 3) and C.shape == (0,) and S.shape == (0,)


@pytest.mark.parametrize("chunk", [3, 4096])
def test_dedupe_columns_keeps_the_first_of_each_rounded_column(chunk):
    """dedupe_columns: the first index of each distinct column after rounding at 1e-9 * scale (scale 1e-3 here:
    differences of 1e-13 are equal, of 1e-11 distinct; 4e-10 * scale rounds away at 9 decimals), zero columns
    (0.0 or -0.0) dropped, over chunk boundaries; an all-zero matrix gives an empty integer array."""
    from cvxnn.models.chains_1d import dedupe_columns

    scale = 1e-3
    base = np.array([0.12, -0.3, 0.05]) * scale
    cols = [base, np.zeros(3), base + 1e-13, -0.0 * base, base + 1e-11, 2 * base, base + 4e-10 * scale,
            base + 1e-11, np.array([0.0, -0.0, 1e-4]), 2 * base, np.array([-0.0, 0.0, 1e-4])]
    A = np.column_stack(cols)
    keep = dedupe_columns(A, scale, chunk=chunk)
    assert keep.dtype.kind == "i" and keep.tolist() == [0, 4, 5, 8]
    empty = dedupe_columns(np.zeros((3, 5)), 1.0, chunk=chunk)
    assert empty.dtype.kind == "i" and empty.size == 0


def test_hash_set_membership_with_colliding_and_wrapping_slots():
    """_HashSet answers membership like np.isin, for random 64-bit values and for values built to collide: three
    values whose home slots are 0, 0 and 1 (the second must probe past a slot taken in the same round), a chain that
    wraps around the end of the table, and a repeated value; queries of any shape."""
    from cvxnn.arrangements import _HashSet

    rng = np.random.default_rng(91)
    size = 16  # the smallest table: up to 4 values
    hi = np.uint64(1) << np.uint64(40)
    cases = [
        np.array([0, 0, 1], dtype=np.uint64) + hi * np.array([1, 2, 3], dtype=np.uint64),
        np.array([size - 1, size - 1, size - 1], dtype=np.uint64) + hi * np.array([1, 2, 3], dtype=np.uint64),
        np.array([5, 5, 7, 7], dtype=np.uint64) + hi,  # repeated values
        rng.integers(0, 2 ** 63, 500, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1),
    ]
    for values in cases:
        table = _HashSet(values)
        absent = values + np.uint64(size)  # same home slots, different values
        queries = np.concatenate([values, absent, values[::-1]])
        got = table.contains(queries)
        assert got.dtype == bool and got.tolist() == np.isin(queries, values).tolist()
        grid = queries[: 2 * (queries.size // 2)].reshape(2, -1)
        assert table.contains(grid).shape == grid.shape
        assert table.contains(grid).tolist() == np.isin(grid, values).tolist()
    empty = _HashSet(np.zeros(0, dtype=np.uint64))
    assert empty.contains(np.array([0, 1], dtype=np.uint64)).tolist() == [False, False]


@pytest.mark.parametrize("depth", [3, 4])
def test_abs_chain_vertices_scale_with_the_data(depth):
    """The vertices of data scaled by 1e6 or 1e-6 (and shifted) are the vertices of the data, scaled (and shifted in
    a1 only): the same count, in the same order, with every a_l >= 0 for l >= 2 and no two rows equal."""
    from cvxnn.models.chains_1d import abs_chain_vertices

    x, _ = sorted_points(95, 6)
    V = abs_chain_vertices(x, depth)
    assert np.all(V[:, 1:] >= 0) and np.unique(np.round(V, 9), axis=0).shape[0] == V.shape[0]
    for scale, shift in ((1e6, 3e6), (1e-6, -2e-6)):
        W = abs_chain_vertices(scale * x + shift, depth)
        assert W.shape == V.shape
        expected = scale * V
        expected[:, 0] += shift
        np.testing.assert_allclose(W, expected, rtol=0, atol=1e-9 * scale)


def test_column_generation_program_passes_its_settings_to_every_round(capsys):
    """accuracy, time limit and solver options reach the restricted solves (the result reports them: a limit of
    one iteration or 1e-9 s ends at the solver's user limit), and progress=True shows a bar of rounds."""
    from cvxnn.activations import Activation
    from cvxnn.colgen import dictionary_program
    from cvxnn.models.two_layer_1d import two_layer_1d

    x, _ = sorted_points(39, 12)
    y = np.sin(2.0 * x)
    D = two_layer_1d(x, Activation("relu"), "free", "dense")

    def program():
        cg = dictionary_program(x[:, None], y, cvxnn.TwoLayer("relu"), 0.05, D, "free", "training", "error",
                                column_generation=True)
        cg.initial_size, cg.add_per_round = 2, 3
        return cg

    res = program().solve(accuracy="mid")
    assert res.run.accuracy == "mid" and res.run.options["tol_gap_rel"] == 1e-6 and res.run.status == "optimal"
    res = program().solve(max_iter=1)
    assert res.run.options["max_iter"] == 1 and res.run.status == "user_limit"
    res = program().solve(time_limit=1e-9)
    assert res.run.options["time_limit"] == 1e-9 and res.run.status == "user_limit"
    assert capsys.readouterr().err == ""
    program().solve(progress=True)
    assert re.search(r"(^|\r)column generation:", capsys.readouterr().err)


def test_pattern_values_of_a_subset_of_patterns_without_walls():
    """pattern_values on some of the patterns, without cached walls, equals the values of the same patterns priced
    with the complete list (a subset must not be read as a complete list)."""
    from cvxnn.activations import Activation
    from cvxnn.arrangements import enumerate_patterns
    from cvxnn.models.arrangement import pattern_values

    for seed in range(8):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((7, 2))
        Xb = np.hstack([X, np.ones((7, 1))])
        full = enumerate_patterns(Xb).patterns
        lam = rng.standard_normal(7)
        every = pattern_values(lam, Xb, full, Activation("relu"))
        pick = np.sort(rng.choice(full.shape[0], full.shape[0] // 2, replace=False))
        np.testing.assert_allclose(pattern_values(lam, Xb, full[pick], Activation("relu")), every[pick], rtol=1e-9,
                                   atol=1e-12)
    assert pattern_values(lam, Xb, full[:0], Activation("relu")).shape == (0,)


def test_pattern_generation_program_passes_solver_options_and_prune(capsys):
    """PatternGenerationProgram.solve hands solver options to every round and prune to the rebuild: a limit of one
    iteration ends at the solver's user limit; prune=False keeps every merged unit, the default prunes to at most
    n + 1 with the same objective; progress=True shows a bar of pattern-generation rounds."""
    from cvxnn.arrangements import enumerate_patterns
    from cvxnn.models.arrangement import PatternGenerationProgram

    rng = np.random.default_rng(97)
    n = 14
    X = rng.standard_normal((n, 2))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    full = enumerate_patterns(np.hstack([X, np.ones((n, 1))]))
    prog = PatternGenerationProgram(X, y, cvxnn.TwoLayer("relu"), 0.01, full, "penalized")
    res = prog.solve(max_iter=1, max_rounds=2)
    assert res.run.options["max_iter"] == 1 and res.run.status == "user_limit"
    kept = prog.solve(prune=False).network
    assert kept.meta["widths"]["pruned"] == kept.meta["widths"]["merged"] == kept.width > n + 1
    pruned = prog.solve().network
    assert pruned.width <= n + 1 and pruned.meta["widths"]["pruned"] == pruned.width
    assert pruned.objective(X, y) == pytest.approx(kept.objective(X, y), rel=1e-7)
    assert capsys.readouterr().err == ""
    prog.solve(progress=True)
    assert re.search(r"(^|\r)pattern generation:", capsys.readouterr().err)


def test_caratheodory_prune_merges_two_equal_columns():
    """Two equal columns of the same sign: the vertex LP keeps one of them (a support of two is not left alone),
    with the same fit and l1 norm."""
    from cvxnn.prune import caratheodory_prune

    a = np.array([1.0, -2.0, 0.5])
    A = np.column_stack([a, a, np.zeros(3)])
    out, xi = caratheodory_prune(A, np.array([0.7, 1.3, 0.0]), 0.0, False)
    assert np.count_nonzero(out) == 1 and out.sum() == pytest.approx(2.0, rel=1e-12) and xi == 0.0


def test_deep_abs_directions_drop_degenerate_cross_products():
    """Collinear points at scale 1e3 give parallel generators whose cross products are rounding noise (relative
    1e-16): they are dropped (the directions are those of the generators in general position, written here), at
    scale 1e-3 too; with no axes and one generator in d = 3 there is no direction at all."""
    from cvxnn.models.deep_abs.pool import chain_directions

    rng = np.random.default_rng(98)
    v, p0 = rng.standard_normal(3), rng.standard_normal(3)
    for scale in (1e3, 1e-3):
        X = scale * np.vstack([p0 + t * v for t in (0.0, 0.37, 1.91)] + [rng.standard_normal(3)])
        D = chain_directions(X)
        got = {tuple(np.round(u, 8) + 0.0) for u in D.V}
        assert got == set(directions_written_here(X))
    none = chain_directions(rng.standard_normal((2, 3)), axes=False)
    assert none.V.shape == (0, 3) and none.kinds == [] and none.froms == []


def test_kink_normals_are_the_data_differences_and_reflections():
    """kink_normals: x_i - x_j for i < j ('data', points (i, j)), then x_a + x_b - 2 x_c for a < b and c not in
    {a, b} ('reflection', points (a, b, c)), in that order; normals no longer than 1e-12 times the largest
    coordinate range are dropped (two points 1e-10 apart at range 1e3 are: 1e-10 < 1e-9)."""
    import itertools

    from cvxnn.models.deep_abs.pool import kink_normals

    rng = np.random.default_rng(99)
    X = 1e3 * rng.uniform(-1.0, 1.0, (5, 2))
    X[4] = X[1] + np.array([1e-10, 0.0])
    W, kinds, froms = kink_normals(X)
    rows, want_kinds, want_froms = [], [], []
    for i, j in itertools.combinations(range(5), 2):
        rows.append(X[i] - X[j]), want_kinds.append("data"), want_froms.append((i, j))
    for a, b in itertools.combinations(range(5), 2):
        for c in range(5):
            if c not in (a, b):
                rows.append(X[a] + X[b] - 2 * X[c]), want_kinds.append("reflection"), want_froms.append((a, b, c))
    rows = np.array(rows)
    keep = np.max(np.abs(rows), axis=1) > 1e-9 * (np.ptp(X, axis=0).max() / 1e3)
    assert not keep[want_froms.index((1, 4))]  # the near-duplicate pair
    np.testing.assert_allclose(W, rows[keep], rtol=0, atol=1e-9)
    assert kinds == [k for k, o in zip(want_kinds, keep) if o] and froms == [f for f, o in zip(want_froms, keep) if o]
    W2, kinds2, froms2 = kink_normals(X[:2])  # two points: one difference, no reflection
    assert kinds2 == ["data"] and froms2 == [(0, 1)] and np.allclose(W2, [X[0] - X[1]])


# ------------------------------------------------------------------------------ candidate sets: the walls of each cone
def _rows_of(walls, p):
    a, b = walls.indptr[p], walls.indptr[p + 1]
    return walls.rows[a:b].tolist(), walls.signs[a:b].tolist()


def test_walls_of_a_pattern_on_both_sides_of_a_hyperplane_are_that_hyperplanes_rows():
    """Rows 0, 1 span one hyperplane (parallel up to 1e-12), rows 2, 3 another, row 4 a third. In a complete list,
    a region's walls are the hyperplanes whose flip is another listed region (found here by flipping each group of
    rows by hand); a pattern that puts a hyperplane's rows on both sides is no region, and keeps exactly the rows of
    such hyperplanes when there are at least rank (2) of them."""
    from cvxnn.arrangements import enumerate_patterns, pattern_walls

    X = np.array([[1.0, 0.0], [1.0, 1e-12], [0.0, 1.0], [1e-12, 1.0], [1.0, 1.0]])
    groups = [[0, 1], [2, 3], [4]]
    regions = enumerate_patterns(X).patterns
    listed = {tuple(p) for p in regions}
    bad = np.array([True, False, True, False, True])
    walls = pattern_walls(X, np.vstack([regions, bad]), complete=True)
    assert walls.exact is True and len(walls) == len(regions) + 1
    for k, p in enumerate(regions):
        expected = []
        for g in groups:
            q = p.copy()
            q[g] = ~q[g]
            if tuple(q) in listed:
                expected += g
        assert len(expected) >= 2  # every region of this arrangement has two walls
        assert _rows_of(walls, k) == (expected, [1.0 if p[i] else -1.0 for i in expected])
    assert _rows_of(walls, len(regions)) == ([0, 1, 2, 3], [1.0, -1.0, 1.0, -1.0])


def test_a_region_whose_neighbours_are_missing_keeps_every_row():
    """A 'complete' list that lacks neighbouring regions (as a thin region missed by the enumeration would): a
    pattern with fewer walls found than the rank (2) keeps every nonzero row (the same cone by definition), the
    others keep the walls found (flips by hand); the zero row is never kept."""
    from cvxnn.arrangements import enumerate_patterns, pattern_walls

    rng = np.random.default_rng(61)
    X = np.vstack([rng.standard_normal((5, 2)), np.zeros((1, 2))])
    regions = enumerate_patterns(X).patterns
    listed = [tuple(p) for p in regions]

    def flips(p, kept):
        out = []
        for i in range(5):
            q = list(p)
            q[i] = not q[i]
            if tuple(q) in kept:
                out.append(i)
        return out

    r0 = listed[0]
    drop = set()
    for i in flips(r0, set(listed)):  # the neighbours of r0
        q = list(r0)
        q[i] = not q[i]
        drop.add(tuple(q))
    assert len(drop) == 2
    kept = [p for p in listed if p not in drop]
    walls = pattern_walls(X, np.array(kept), complete=True)
    n_short = 0
    for k, p in enumerate(kept):
        found = flips(p, set(kept))
        expected = found if len(found) >= 2 else list(range(5))
        n_short += len(found) < 2
        assert _rows_of(walls, k) == (expected, [1.0 if p[i] else -1.0 for i in expected])
    assert flips(r0, set(kept)) == [] and 1 <= n_short < len(kept)


def test_pattern_walls_takes_patterns_as_numbers_and_returns_empty_walls_without_rows():
    """0/1 numbers (a list of floats) are patterns like booleans; no nonzero row or no pattern gives P + 1 zero
    offsets and no rows (int64) or signs, with the completeness flag it was given; a wrong shape names n."""
    from cvxnn.arrangements import pattern_walls
    from cvxnn.errors import InvalidParameterError

    X, patterns, _ = small_arrangement(7)
    for complete in (True, False):
        ref = pattern_walls(X, patterns, complete=complete)
        got = pattern_walls(X, patterns.astype(float).tolist(), complete=complete)
        assert np.array_equal(got.indptr, ref.indptr) and np.array_equal(got.rows, ref.rows)
        assert np.array_equal(got.signs, ref.signs)
    for Xz, P in ((np.zeros((3, 2)), np.ones((2, 3), bool)), (X, np.ones((0, X.shape[0]), bool))):
        for complete in (True, False):
            w = pattern_walls(Xz, P, complete=complete)
            assert w.exact is complete and w.indptr.tolist() == [0] * (P.shape[0] + 1)
            assert w.rows.shape == (0,) and w.rows.dtype == np.int64 and w.signs.shape == (0,)
    with pytest.raises(InvalidParameterError) as info:
        pattern_walls(np.ones((5, 2)), np.zeros((3, 4), bool), complete=True)
    assert str(info.value) == ("patterns must be a (P, n) bool array with one column per row of X (n = 5); "
                               "received shape (3, 4).")


# ------------------------------------------------------------------ column generation: phase one of the interpolation LP
def _relu_1d_interpolation_program(n, seed, scale=1.0, linear_term=False, x_scale=1.0):
    from cvxnn.colgen import ColumnGenerationProgram

    x, rng = sorted_points(seed, n)
    y = scale * (np.sin(2.0 * x) + 0.3 * rng.standard_normal(n))
    x = x_scale * x
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu", formulation="dense", column_generation=True,
                                            linear_term=linear_term), mode="interpolation")
    assert isinstance(prog, ColumnGenerationProgram)
    relu = np.hstack([np.maximum(x[:, None] - x[None, :], 0.0), np.maximum(x[None, :] - x[:, None], 0.0)])
    inner = getattr(prog.full_dictionary, "inner", prog.full_dictionary)  # without the linear term's column
    F = inner.columns(np.arange(inner.size))
    # the dictionary's columns are the nonzero relu features (x - x_i)_+ and (x_i - x)_+, in its own order
    assert sorted(map(tuple, F.T.round(12))) == sorted(map(tuple, relu[:, relu.any(axis=0)].T.round(12)))
    return prog, x, y, F


def _fits_exactly(columns, y):
    """y lies in the span of the columns: the least-squares residual, by QR here."""
    Q, _ = np.linalg.qr(columns)
    return np.linalg.norm(y - Q @ (Q.T @ y)) <= 1e-9 * np.linalg.norm(y)


@pytest.mark.parametrize("scale, x_scale", [(1.0, 1.0), (1e3, 1.0), (1e-6, 1.0), (1.0, 1e-6)])
def test_phase_one_adds_columns_until_the_working_set_fits_y(scale, x_scale):
    """From one column (or none), adding one column per round raises the rank by one each time and stops as soon as
    the span (with the output bias) holds y: n - 1 relu columns for generic targets, the start kept; three per
    round also end with a span that holds y. A start that already fits is returned as is (sorted, unique). Tiny
    and large targets and inputs: the tolerances are relative."""
    n = 7
    prog, x, y, F = _relu_1d_interpolation_program(n, 71, scale, x_scale=x_scale)
    ones = np.ones((n, 1))
    assert not _fits_exactly(np.hstack([F[:, :n - 2], ones]), y)  # generic: n - 1 columns are needed
    for per_round, sizes in ((1, {n - 1}), (3, set(range(n - 1, 3 * n)))):
        prog.add_per_round = per_round
        for start in ([0], [F.shape[1] - 1], [3], []):
            got = prog._interpolating_working_set(np.array(start, dtype=int))
            assert set(start) <= set(got.tolist()) and got.size in sizes
            assert np.array_equal(got, np.unique(got)) and got.dtype.kind == "i"
            assert _fits_exactly(np.hstack([F[:, got], ones]), y)
    full = np.array([5, 2, 5] + list(range(F.shape[1])))
    assert prog._interpolating_working_set(full).tolist() == list(range(F.shape[1]))
    prog.y = np.zeros(n)  # zero targets: any working set fits them
    assert prog._interpolating_working_set(np.array([4, 1])).tolist() == [1, 4]


def test_phase_one_counts_the_free_columns_of_a_linear_term():
    """With a linear term the unpenalised columns are 1 and x: n - 2 relu columns complete the span."""
    n = 8
    prog, x, y, F = _relu_1d_interpolation_program(n, 72, linear_term=True)
    prog.add_per_round = 1
    got = prog._interpolating_working_set(np.array([1]))
    assert got.size == n - 2 and 1 in got and np.all(got < F.shape[1])
    assert _fits_exactly(np.hstack([F[:, got], np.ones((n, 1)), x[:, None]]), y)


def test_phase_one_refuses_targets_no_network_of_the_dictionary_fits():
    """relu units without hidden biases span only x_+ and (-x)_+: the error gives the residual of the closest fit
    (least squares here), in Python and CLI terms."""
    from cvxnn.colgen import ColumnGenerationProgram

    x = np.array([-1.0, 0.5, 2.0, 3.0])
    y = np.array([1.0, -2.0, 0.5, 4.0])
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu", bias="none", formulation="dense", column_generation=True),
                       mode="interpolation")
    assert isinstance(prog, ColumnGenerationProgram)
    F = np.column_stack([np.maximum(x, 0.0), np.maximum(-x, 0.0)])
    r = y - F @ np.linalg.lstsq(F, y, rcond=None)[0]
    for start in ([0], [1], [0, 1]):
        with pytest.raises(cvxnn.InvalidDataError) as info:
            prog._interpolating_working_set(np.array(start))
        msg = str(info.value)
        assert (f"no relu two-layer network of this dictionary does: the closest fit leaves a residual of norm "
                f"{np.linalg.norm(r):.3e} ({np.linalg.norm(r) / np.linalg.norm(y):.1e} of ||y||)") in msg
        assert "mode='interpolation'; CLI: --interpolate" in msg and "CLI: --beta B" in msg
    with pytest.raises(cvxnn.InvalidDataError, match="closest fit leaves a residual"):
        prog.solve()


def test_span_residual_against_a_qr_projection():
    """y - P y with P the projection onto the columns and the free columns: orthogonal to all of them, equal to the
    QR projection's residual (tiny and zero columns too); no columns give a copy of y; a 1-D column is one
    column."""
    from cvxnn.program import span_residual

    rng = np.random.default_rng(73)
    A, free, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 1)), rng.standard_normal(6)
    tiny_and_zero = np.column_stack([1e-8 * A[:, :2], np.zeros(6)])
    for cols, fr in ((A, None), (A, free), (A[:, 0], None), (np.zeros((6, 0)), free), (tiny_and_zero, free)):
        B = np.column_stack([c for c in (np.reshape(cols, (6, -1)), fr) if c is not None])
        B = B[:, np.any(B != 0, axis=0)]  # a zero column spans nothing
        Q, _ = np.linalg.qr(B)
        r = span_residual(cols, y, fr)
        np.testing.assert_allclose(r, y - Q @ (Q.T @ y), rtol=0, atol=1e-12)
        np.testing.assert_allclose(B.T @ r, 0.0, atol=1e-12)
    r = span_residual(np.zeros((6, 0)), y)
    assert np.array_equal(r, y) and not np.shares_memory(r, y)
    assert np.array_equal(span_residual(np.zeros((6, 0)), y.tolist()), y)
    r = span_residual(np.zeros((3, 0)), [1, 2, 3])  # integer targets: a float residual
    assert r.dtype == np.float64 and r.tolist() == [1.0, 2.0, 3.0]
