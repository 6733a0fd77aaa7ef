"""Functional dimension (theory: "Functional dimension"): exact parameter Jacobian, the bound #params - #hidden,
parallel-hyperplane pairs and their canonical merge, random-net fractions and a convex optimum."""

import numpy as np
import pytest

import cvxnn
from cvxnn.errors import InvalidDataError, InvalidParameterError, UnsupportedCombinationError
from cvxnn.functional import (canonical_form, dead_neurons, functional_dimension, input_batch, jacobian, n_parameters,
                              parallel_pairs, parameters, random_fraction, random_network, with_parameters)
from cvxnn.network import Layer, Network
from tests.conftest import require


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """Hundreds of tiny SVDs: one BLAS thread is fastest, and two thrash on a busy 2-core runner."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _with_copy(net, c, a=0.7):
    """Append to a one- or two-hidden-layer net a first-layer neuron with (w, b) = c * (w_0, b_0), outgoing a."""
    L0, L1 = net.layers[0], net.layers[1]
    W = np.vstack([L0.weight, c * L0.weight[:1]])
    b = np.append(L0.bias, c * L0.bias[0])
    N = np.hstack([L1.weight, np.full((L1.weight.shape[0], 1), a)])
    return Network([Layer(W, b, L0.activation), Layer(N, L1.bias, L1.activation)] + net.layers[2:], net.penalty, {})


# ------------------------------------------------------------------------------------------------- Jacobian
@pytest.mark.parametrize("act", ["relu", "leaky", "abs"])
def test_jacobian_matches_central_differences(act):
    net = random_network(3, (4, 3), act, seed=1)
    X = np.random.default_rng(0).normal(size=(7, 3))
    J = jacobian(net, X)
    theta, h = parameters(net), 1e-6
    assert J.shape == (7, n_parameters(net)) == (7, 4 * 3 + 4 + 3 * 4 + 3 + 3 + 1)
    fd = np.array([(with_parameters(net, theta + h * e).predict(X) - with_parameters(net, theta - h * e).predict(X))
                   / (2 * h) for e in np.eye(theta.size)]).T
    assert np.max(np.abs(J - fd)) < 1e-6 * max(1.0, np.max(np.abs(J)))
    assert np.allclose(J[:, -1], 1.0)  # the output bias is the last parameter


@pytest.mark.parametrize("act", ["relu", "abs"])
def test_jacobian_matches_torch_autograd(act):
    torch = require("torch")
    net = random_network(2, (5, 4), act, seed=3)
    X = np.random.default_rng(1).normal(size=(9, 2))
    shapes = [(L.weight.shape, L.bias.shape) for L in net.layers]
    Xt = torch.tensor(X, dtype=torch.float64)

    def f(theta):
        H, pos = Xt, 0
        for k, (ws, bs) in enumerate(shapes):
            W = theta[pos:pos + ws[0] * ws[1]].reshape(ws)
            pos += ws[0] * ws[1]
            b = theta[pos:pos + bs[0]]
            pos += bs[0]
            H = H @ W.T + b
            if k < len(shapes) - 1:
                H = torch.relu(H) if act == "relu" else torch.abs(H)
        return H[:, 0]

    Jt = torch.autograd.functional.jacobian(f, torch.tensor(parameters(net), dtype=torch.float64)).numpy()
    assert np.max(np.abs(jacobian(net, X) - Jt)) < 1e-12 * max(1.0, np.max(np.abs(Jt)))


# --------------------------------------------------------------------------------------------------- bound
@pytest.mark.parametrize("d,width,act", [(2, 4, "relu"), (3, 5, "relu"), (2, 4, "leaky"), (3, 4, "abs")])
def test_random_one_hidden_layer_net_reaches_the_bound(d, width, act):
    net = random_network(d, width, act, seed=7)
    r = functional_dimension(net)
    assert r["n_params"] == width * (d + 2) + 1 and r["n_hidden"] == width
    assert r["bound"] == r["n_params"] - width
    assert r["reaches_bound"] and r["deficit"] == 0 and r["rank"] == r["bound"]
    assert r["singular_value_gap"] > 1e6  # a clear numerical rank
    assert r["parallel_pairs"] == [] and r["dead"] == [] and r["canonical"] is None


def test_fraction_reaching_the_bound_falls_with_depth():
    """d = 2, width 4, 40 seeded nets per depth: measured 1.0, 0.25, 0.025 (400 nets: 1.0, 0.31, 0.06)."""
    f1, f2, f3 = (random_fraction(2, [4] * depth, trials=40, seed=0) for depth in (1, 2, 3))
    assert f1 >= 0.9
    assert f2 < f1 and f3 <= f2 and f3 < f1


# ------------------------------------------------------------------------------------ parallel neurons
@pytest.mark.parametrize("d", [2, 3, 4])
def test_parallel_pair_loses_d_plus_1_and_canonical_form_restores_the_bound(d):
    base = random_network(d, d + 1, "relu", seed=d)
    net = _with_copy(base, 2.0)
    m = d + 1  # index of the copy
    r = functional_dimension(net)
    assert r["parallel_pairs"] == [(0, m)]
    assert r["deficit"] == d + 1  # the copy's d + 1 incoming parameters add nothing beyond its rescaling
    assert functional_dimension(base)["reaches_bound"]
    c = r["canonical"]
    assert c is not None and c["reaches_bound"] and c["n_hidden"] == d + 1 and c["rank"] == r["rank"]

    canon = canonical_form(net)
    B = input_batch(net, seed=5)
    assert np.max(np.abs(canon.predict(B) - net.predict(B))) <= 1e-10 * max(1.0, np.max(np.abs(net.predict(B))))
    # rebalanced for the stored penalty, which leaves biases out for random nets: ||w|| = |alpha|
    assert np.linalg.norm(canon.layers[0].weight[0]) == pytest.approx(abs(canon.layers[1].weight[0, 0]), rel=1e-12)
    assert canon.meta["canonical"]["merged"] == [[0, m, pytest.approx(2.0)]]


def test_merged_neuron_is_balanced_with_the_bias_when_the_penalty_includes_it():
    base = random_network(2, 3, "relu", seed=9)
    pen = cvxnn.Penalty(0.1, [cvxnn.PenaltyTerm(0, 0.5, 2.0, "entry", True), cvxnn.PenaltyTerm(1, 0.5, 2.0)])
    net = _with_copy(Network(base.layers, pen), 0.5, a=-2.0)
    canon = canonical_form(net)
    row = np.concatenate([canon.layers[0].weight[0], [canon.layers[0].bias[0]]])
    assert np.linalg.norm(row) == pytest.approx(abs(canon.layers[1].weight[0, 0]), rel=1e-12)
    B = input_batch(net)
    assert np.allclose(canon.predict(B), net.predict(B), rtol=0, atol=1e-10)
    assert canon.penalty_value() < net.penalty_value()


def test_abs_merges_both_orientations_relu_only_the_same():
    """|c u| = |c| |u| for any c, but relu(-u) is the other half-space: a relu pair of opposite orientation is a
    different function, not merged; it still loses exactly 1 (1[u>0] + 1[u<0] = 1, the output bias's column)."""
    for act, pairs, deficit in (("abs", [(0, 4)], 4), ("relu", [], 1), ("leaky", [], 1)):
        net = _with_copy(random_network(3, 4, act, seed=11), -1.5)
        r = functional_dimension(net)
        assert r["parallel_pairs"] == pairs and r["deficit"] == deficit, act
        if pairs:
            assert r["canonical"]["reaches_bound"]
            B = input_batch(net, seed=2)
            assert np.allclose(canonical_form(net).predict(B), net.predict(B), rtol=0, atol=1e-10)
        else:
            assert r["canonical"] is None


def test_dead_neurons_are_reported_and_removed():
    base = random_network(2, 4, "relu", seed=4)
    W, b = base.layers[0].weight.copy(), base.layers[0].bias.copy()
    a = base.layers[1].weight.copy()
    W[1], b[1] = 0.0, 0.0  # outputs relu(0) = 0
    a[0, 2] = 0.0  # never read
    net = Network([Layer(W, b, base.layers[0].activation), Layer(a, base.layers[1].bias, base.layers[1].activation)],
                  base.penalty)
    assert dead_neurons(net) == [(0, 1), (0, 2)]
    r = functional_dimension(net)
    assert r["dead"] == [(0, 1), (0, 2)] and not r["reaches_bound"]
    assert r["canonical"]["reaches_bound"] and r["canonical"]["n_hidden"] == 2
    canon = canonical_form(net)
    assert canon.meta["canonical"]["removed_dead"] == [[0, 1], [0, 2]]
    B = input_batch(net)
    assert np.allclose(canon.predict(B), net.predict(B), rtol=0, atol=1e-12)


def test_deep_net_merges_first_layer_copies_through_the_next_layer():
    net = _with_copy(random_network(2, (4, 3), "relu", seed=2), 3.0, a=0.4)
    assert parallel_pairs(net) == [(0, 4)]
    canon = canonical_form(net)
    assert [L.weight.shape[0] for L in canon.layers[:-1]] == [4, 3]
    B = input_batch(net, seed=1)
    assert np.max(np.abs(canon.predict(B) - net.predict(B))) <= 1e-10 * max(1.0, np.max(np.abs(net.predict(B))))
    r = functional_dimension(net)
    assert r["deficit"] > 0 and r["canonical"]["deficit"] < r["deficit"]


# ------------------------------------------------------------------------------------------ convex optimum
def test_convex_optimum_reaches_the_bound_after_canonical_form():
    """The reconstruction already merges same-direction units, so no exact pair is left; what remains are nearly
    parallel units from neighbouring arrangement cells. They are distinct hyperplanes (full rank), but random points
    miss the slivers between them: without the boundary probes this net shows a spurious deficit."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 2))
    y = np.sin(2 * X[:, 0]) * np.cos(X[:, 1])
    net = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=0.01).network
    assert net.layers[0].weight.shape == (net.width, 2) and net.layers[1].weight.shape == (1, net.width)
    canon = canonical_form(net)
    assert np.allclose(canon.predict(X), net.predict(X), rtol=0, atol=1e-10)
    assert functional_dimension(canon)["reaches_bound"]
    r = functional_dimension(net, X)
    assert r["reaches_bound"] and r["parallel_pairs"] == [] and r["dead"] == []
    assert functional_dimension(net, X, boundary=0)["deficit"] > 0  # the batch artifact the probes remove


# ----------------------------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_helpful_errors():
    net = random_network(2, 4, seed=0)
    with pytest.raises(InvalidDataError, match=r"shape \(n, 2\).*received shape \(5, 3\)"):
        jacobian(net, np.zeros((5, 3)))
    with pytest.raises(InvalidDataError, match=r"shape \(n, 2\)"):
        functional_dimension(net, np.zeros(4))
    with pytest.raises(InvalidDataError, match="NaN"):
        functional_dimension(net, np.array([[0.0, np.nan]]))
    with pytest.raises(InvalidParameterError, match="n_points >= 17"):
        functional_dimension(net, n_points=10)
    step = Network([Layer(np.ones((2, 1)), [0.0, 1.0], cvxnn.Activation("sign")),
                    Layer(np.ones((1, 2)), [0.0], cvxnn.Activation("identity"))], net.penalty)
    with pytest.raises(UnsupportedCombinationError, match="sign"):
        functional_dimension(step)
    with pytest.raises(InvalidParameterError, match="widths"):
        random_network(2, [4, 0])


def test_input_batch_is_deterministic_and_wide():
    net = random_network(2, (4, 4), seed=0)
    X = np.random.default_rng(3).normal(loc=5.0, size=(6, 2))
    B1, B2 = input_batch(net, X, seed=4), input_batch(net, X, seed=4)
    assert np.array_equal(B1, B2) and not np.array_equal(B1, input_batch(net, X, seed=5))
    dist = np.linalg.norm(B1 - X.mean(axis=0), axis=1)
    spread = np.sqrt(np.mean(np.sum((X - X.mean(axis=0)) ** 2, axis=1)))
    assert dist.min() < 0.2 * spread and dist.max() > 50 * spread
    assert any(np.array_equal(row, x) for x in X for row in B1)  # the data is in the batch


def _split_unit(net, j, share=0.5):
    """The same function and penalty with unit j split into two parallel copies (still optimal for a convex
    optimum: a unit's cost beta |z| is additive): scale (w, b) by sqrt(share) and sqrt(1 - share), same alpha
    scale."""
    L0, L1 = net.layers
    s = np.sqrt([share, 1 - share])
    W = np.vstack([L0.weight, L0.weight[j] * s[1]])
    W[j] *= s[0]
    b = np.append(L0.bias, L0.bias[j] * s[1])
    b[j] *= s[0]
    a = np.append(L1.weight[0], L1.weight[0, j] * s[1])
    a[j] *= s[0]
    return Network([Layer(W, b, L0.activation), Layer(a.reshape(1, -1), L1.bias, L1.activation)], net.penalty,
                   dict(net.meta))


def test_split_convex_optimum_loses_rank_and_merging_restores_the_bound():
    """A convex optimum in d = 4 with a pair of parallel-hyperplane neurons (an equally optimal net)
    loses d + 1 = 5 below the bound; the canonical form merges the pair and reaches the bound again."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(9, 4))
    y = np.tanh(X[:, 0] - X[:, 1]) + 0.5 * X[:, 2]
    tr = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=0.05)
    assert tr.certificate.globally_optimal
    net = tr.network
    split = _split_unit(net, 0)
    assert split.objective(X, y) == pytest.approx(net.objective(X, y), rel=1e-12)  # still a global optimum
    r = functional_dimension(split, X)
    assert r["parallel_pairs"] == [(0, net.width)]
    assert r["deficit"] == 5
    assert r["canonical"]["reaches_bound"]
    assert functional_dimension(net, X)["reaches_bound"]


def test_trained_json_reports_functional_dimension_for_two_layer_and_deep_nets():
    import json

    from cvxnn.api import to_jsonable

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (7, 2))
    y = np.sin(3 * X[:, 0]) + X[:, 1]
    two = to_jsonable(cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=0.01).to_dict())
    deep = to_jsonable(cvxnn.train(X, y, cvxnn.DeepAbs(3, "l2"), beta=0.01).to_dict())
    json.dumps([two, deep])
    for doc, params in ((two, "all"), (deep, "structural")):
        fd = doc["functional_dimension"]
        assert fd["parameters"] == params
        assert fd["bound"] == fd["n_params"] - fd["n_hidden"] and fd["rank"] <= fd["bound"]
    # a deep-abs net of m chains in d = 2 stores d + 4 structural parameters per chain plus the output bias
    m = deep["n_active"]
    assert deep["functional_dimension"]["n_params"] == m * (2 + 4) + 1
    assert deep["functional_dimension"]["n_hidden"] == 2 * m


def test_kink_points_are_left_out_of_the_batch():
    """A training point on a hyperplane of the net (convex optima put kinks at the data) would add spurious rank
    through a one-sided derivative: such rows are removed."""
    from cvxnn.functional import off_kinks

    net = random_network(2, 3, seed=0)
    W, b = net.layers[0].weight, net.layers[0].bias
    on = np.array([[-b[0] / W[0, 0], 0.0]])  # on neuron 0's hyperplane
    B = np.vstack([on, np.random.default_rng(0).normal(size=(5, 2))])
    kept = off_kinks(net, B)
    assert kept.shape == (5, 2) and not np.any(np.all(kept == on, axis=1))


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_deep_abs_optimum_loses_one_per_two_layer_chain(seed):
    """A hidden symmetry of three-layer abs chains, measured: a chain with a2 = 0 (a two-layer feature inside a
    three-layer chain: |w2 |u.x + b1| + b2| with b2 = 0 and a nonnegative input) has dJ/db2 = alpha * 1, the same
    direction as the output bias, so each such chain lowers the rank by exactly one below the bound."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (10, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    for norm in ("l1", "l2"):
        tr = cvxnn.train(X, y, cvxnn.DeepAbs(3, norm), beta=0.01)
        fd = tr.functional_dimension()
        two_layer = sum(abs(u["a2"]) <= 1e-12 for u in tr.network.meta["units"])
        assert fd["parameters"] == "structural" and fd["canonical"] is None
        assert fd["deficit"] == two_layer
