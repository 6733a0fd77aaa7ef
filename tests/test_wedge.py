"""The exact dictionary of l1-normalised two-layer abs nets in d dimensions (theory: "Wedges: l1-normalised
absolute-value nets"): size, deduplication, reconstruction, certified solves, and an independent check of the dual sup
(random directions on the l1 sphere, its vertices and edges, exact LPs over arrangement cells, Nelder-Mead refinement)
that uses no dictionary code."""

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import linprog, minimize

import cvxnn
from cvxnn.models.two_layer_1d import two_layer_1d
from cvxnn.program import LassoProgram
from cvxnn.models.wedge import WedgeDictionary, wedge_dictionary, wedge_size


def _data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d)
    y = np.sin(2 * X.sum(axis=1)) + np.abs(X[:, 0]) + 0.1 * rng.standard_normal(n)
    return X, y


def _solve(X, y, frac=0.1):
    D = wedge_dictionary(X)
    beta = frac * float(np.max(np.abs(D.matrix.T @ (y - y.mean()))))
    prog = LassoProgram(X, y, cvxnn.TwoLayer("abs"), beta, D, "free", "global", D.oracle)
    res = prog.solve()
    return D, prog, res, cvxnn.certify(prog, res)


# ----------------------------------------------------------------------------------------- size and columns
@pytest.mark.parametrize("d,n,expected", [(3, 6, 83), (3, 9, 219), (3, 12, 454), (2, 10, 65), (4, 8, 494),
                                          (4, 12, 1819), (1, 7, 7)])
def test_size_formula_general_position(d, n, expected):
    assert wedge_size(n, d) == expected == math.comb(n + d, d) - 1
    assert expected == sum(math.comb(d, m) * math.comb(n, m) for m in range(1, d + 1))
    X, _ = _data(n, d, seed=n + 10 * d)
    raw = wedge_dictionary(X, dedupe=False)
    assert raw.size == raw.n_candidates == expected
    # general position: no degenerate column and no duplicate, so deduplication removes nothing
    assert wedge_dictionary(X).size == expected


def test_columns_are_l1_normalised_cross_products():
    X, _ = _data(7, 3, seed=3)
    D = wedge_dictionary(X)
    for j in range(D.size):
        u, pts, S = D.directions[j], D.point_sets[j], D.supports[j]
        assert len(pts) == len(S) and D.pivots[j] == pts[0]
        assert abs(np.sum(np.abs(u)) - 1) < 1e-14
        assert np.all(u[[k for k in range(3) if k not in S]] == 0)
        for p in pts[1:]:  # the hyperplane passes through every point used
            assert abs((X[p] - X[pts[0]]) @ u) < 1e-12
        assert np.allclose(D.matrix[:, j], np.abs((X - X[pts[0]]) @ u), rtol=0, atol=1e-14)
    # new points: features agree with the matrix at the training points
    assert np.array_equal(D.features(X), D.matrix)


def test_d2_pair_columns_match_the_determinant_formula():
    X, _ = _data(6, 2, seed=4)
    D = wedge_dictionary(X)
    for j in range(D.size):
        pts = D.point_sets[j]
        if len(pts) != 2:
            continue
        i, k = pts[1], pts[0]
        det = np.abs((X[:, 0] - X[k, 0]) * (X[i, 1] - X[k, 1]) - (X[:, 1] - X[k, 1]) * (X[i, 0] - X[k, 0]))
        assert np.allclose(D.matrix[:, j], det / np.sum(np.abs(X[i] - X[k])), rtol=1e-13, atol=1e-14)


def test_one_dimensional_case_is_the_breakpoint_dictionary():
    x = np.array([0.3, -1.2, 2.5, 0.9, 1.7])
    D = wedge_dictionary(x)
    ref = two_layer_1d(x, cvxnn.Activation("abs"), "free", "dense").matrix
    key = lambda A: sorted(map(tuple, np.round(A.T, 12)))
    assert key(D.matrix) == key(ref)


def test_dedupe_removes_only_true_duplicates():
    """Lattice data (many collinear / coplanar points, repeated coordinates): every removed candidate equals a kept
    column (or is zero) to 1e-9 of the scale, kept columns are pairwise distinct, and the dual sup is unchanged."""
    for X in (np.array(list(itertools.product(range(3), repeat=2)), dtype=float),
              np.array(list(itertools.product(range(2), repeat=3)), dtype=float) * [1.0, 2.0, 1.0]):
        raw = wedge_dictionary(X, dedupe=False)
        D = wedge_dictionary(X)
        assert raw.size <= raw.n_candidates == wedge_size(*X.shape)
        assert D.size < raw.size  # lattice data do have duplicates
        scale = float(np.max(np.ptp(X, axis=0)))
        gap = np.max(np.abs(raw.matrix[:, :, None] - D.matrix[:, None, :]), axis=0)  # (raw, kept)
        nearest = gap.min(axis=1)
        zero = np.max(np.abs(raw.matrix), axis=0) <= 1e-9 * scale
        assert np.all((nearest <= 1e-9 * scale) | zero)
        kept_gap = np.max(np.abs(D.matrix[:, :, None] - D.matrix[:, None, :]), axis=0)
        np.fill_diagonal(kept_gap, np.inf)
        assert kept_gap.min() > 1e-6 * scale
        assert np.all(np.max(D.matrix, axis=0) > 1e-6 * scale)
        rng = np.random.default_rng(0)
        for _ in range(5):
            lam = rng.standard_normal(X.shape[0])
            lam -= lam.mean()
            assert abs(D.dual_sup(lam, X, "free")[0] - raw.dual_sup(lam, X, "free")[0]) < 1e-12


def test_budget_error_before_building(monkeypatch):
    import cvxnn.models.wedge as wedge

    def boom(*args, **kwargs):
        raise AssertionError("the dictionary was built before the budget check")

    monkeypatch.setattr(wedge, "_candidates", boom)
    X = np.random.default_rng(0).standard_normal((400, 6))
    with pytest.raises(cvxnn.ProblemTooLargeError) as info:
        wedge_dictionary(X)
    msg = str(info.value)
    count = math.comb(406, 6) - 1
    assert f"{count:,}" in msg and "200,000" in msg and "max_columns" in msg
    with pytest.raises(cvxnn.ProblemTooLargeError):
        wedge_dictionary(np.zeros((9, 3)), max_columns=218)  # 219 candidates


# ------------------------------------------------------------------------------------ solves and networks
@pytest.mark.parametrize("d,n", [(2, 10), (3, 9), (3, 12), (4, 9)])
def test_rebuilt_network_is_certified_global_optimum(d, n):
    X, y = _data(n, d, seed=7 * d + n)
    D, prog, res, cert = _solve(X, y)
    net = res.network
    assert cert.certified and cert.globally_optimal, cert.summary()
    assert abs(net.objective(X, y) - res.convex_objective) <= 1e-6 * abs(res.convex_objective)
    assert abs(cert.dual_violation - 1) < 1e-6
    assert net.input_dim == d and net.width >= 1
    assert net.meta["inner_norm"] == "l1" and net.meta["bias_convention"] == "free"
    assert net.meta["model"] == "two-layer" and net.meta["activation"] == {"name": "abs"}
    assert prog.summary()["oracle"] == D.oracle


def test_reconstruction_units_equal_scaled_columns():
    X, y = _data(10, 3, seed=1)
    D, prog, res, cert = _solve(X, y, frac=0.05)
    net = res.network
    hidden, out = net.layers
    cols = net.meta["dictionary_columns"]
    beta = prog.penalty_beta
    assert len(cols) == net.width >= 2
    for k, j in enumerate(cols):
        unit = out.weight[0, k] * np.abs(X @ hidden.weight[k] + hidden.bias[k])
        assert np.allclose(unit, res.z[j] * D.matrix[:, j], rtol=1e-12, atol=1e-14)
        # each unit costs (beta/2)(||w||_1^2 + alpha^2) = beta |z_j|
        cost = 0.5 * beta * (np.sum(np.abs(hidden.weight[k])) ** 2 + out.weight[0, k] ** 2)
        assert abs(cost - beta * abs(res.z[j])) <= 1e-12 * beta * abs(res.z[j])
        assert np.allclose(hidden.weight[k] / np.sum(np.abs(hidden.weight[k])), D.directions[j], atol=1e-15)
    assert abs(net.penalty_value() - beta * np.sum(np.abs(res.z[cols]))) <= 1e-12 * max(1.0, net.penalty_value())
    assert np.allclose(net.predict(X), D.matrix[:, cols] @ res.z[cols] + res.xi, rtol=0, atol=1e-12)
    # serialisation round trip keeps the l1-row penalty
    again = cvxnn.Network.from_dict(net.to_dict())
    assert abs(again.objective(X, y) - net.objective(X, y)) < 1e-14


def test_hooks_subset_describe_and_bias():
    X, _ = _data(6, 2, seed=2)
    D = wedge_dictionary(X)
    sub = D.subset([3, 0, 5])
    assert isinstance(sub, WedgeDictionary) and sub.size == 3
    assert np.array_equal(sub.matrix, D.matrix[:, [3, 0, 5]])
    assert sub.unit(0) == D.unit(3)
    assert D.describe(0).startswith("|u.(x - x_")
    assert set(D.unit(0)) >= {"direction", "offset", "points"}
    assert D.activation == cvxnn.Activation("abs") and "exact" in D.oracle
    lam = np.arange(6.0) - 2.5
    with pytest.raises(cvxnn.UnsupportedCombinationError):
        D.dual_sup(lam, X, "none")
    M, unit = D.dual_sup(lam, X, "free")
    assert M == pytest.approx(np.max(np.abs(D.matrix.T @ lam)), rel=0, abs=0)


def test_column_generation_uses_the_hooks():
    from cvxnn.colgen import ColumnGenerationProgram

    X, y = _data(9, 3, seed=5)
    D, prog, res, cert = _solve(X, y)
    cg = ColumnGenerationProgram(X, y, cvxnn.TwoLayer("abs"), prog.penalty_beta, D, "free", "global", D.oracle,
                                 initial_size=5, add_per_round=5)
    r = cg.solve()
    c = cvxnn.certify(cg, r)
    assert c.certified, c.summary()
    assert abs(r.convex_objective - res.convex_objective) <= 1e-6 * abs(res.convex_objective)


# --------------------------------------------------------------- independent check of the exact dual oracle
# Written out here on purpose: no cvxnn dictionary code. For fixed w the sup over b of |lam^T |X w + b|| with
# centred lam is attained at b = -w^T x_j (piecewise linear in b, constant outside the data range).
def _sup_over_b(lam, X, W):
    out = np.empty(W.shape[0])
    for s in range(0, W.shape[0], 2000):
        P = X @ W[s:s + 2000].T
        V = np.abs(P[:, None, :] - P[None, :, :])  # (i, j, k): |w_k^T (x_i - x_j)|
        out[s:s + 2000] = np.max(np.abs(np.einsum("i,ijk->jk", lam, V)), axis=0)
    return out


def _l1_sphere(rng, K, d):
    W = rng.exponential(size=(K, d)) ** rng.uniform(0.3, 3.0, size=(K, 1)) * rng.choice([-1.0, 1.0], (K, d))
    return W / np.sum(np.abs(W), axis=1, keepdims=True)


def _vertices_and_edges(d, t=np.linspace(0.0, 1.0, 101)):
    rows = [np.eye(d)]
    for k, l in itertools.combinations(range(d), 2):
        for s in (1.0, -1.0):
            W = np.zeros((t.size, d))
            W[:, k], W[:, l] = t, s * (1 - t)
            rows.append(W)
    return np.concatenate(rows)


def _cell_lp(lam, X, w, j):
    """Exact max of |lam^T |(X - x_j) v|| over the l1 ball intersected with the cell of w (signs of (X - x_j) v and
    of v fixed): a linear function on a polytope, solved by HiGHS."""
    Dj = X - X[j]
    sig = np.where(Dj @ w >= 0, 1.0, -1.0)
    s = np.where(w >= 0, 1.0, -1.0)
    c = (lam * sig) @ Dj
    A = np.vstack([-(sig[:, None] * Dj), -np.diag(s), s[None, :]])
    b = np.concatenate([np.zeros(X.shape[0] + X.shape[1]), [1.0]])
    best = 0.0
    for sgn in (1.0, -1.0):
        r = linprog(-sgn * c, A_ub=A, b_ub=b, bounds=[(None, None)] * X.shape[1], method="highs")
        if r.status == 0:
            best = max(best, -r.fun)
    return best


def _independent_sup(lam, X, rng, n_random=4000, n_cells=12, n_nm=3):
    n, d = X.shape
    W = np.concatenate([_l1_sphere(rng, n_random, d), _vertices_and_edges(d)])
    vals = _sup_over_b(lam, X, W)
    order = np.argsort(-vals)
    best = float(vals[order[0]])
    picks = np.concatenate([order[: n_cells // 2], rng.choice(W.shape[0], n_cells - n_cells // 2, replace=False)])
    for i in picks:
        for j in range(n):
            best = max(best, _cell_lp(lam, X, W[i], j))
    f = lambda v: -_sup_over_b(lam, X, (v / max(np.sum(np.abs(v)), 1e-300))[None, :])[0]
    for i in order[:n_nm]:
        best = max(best, -minimize(f, W[i], method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-15}).fun)
    return best


def _lam_favouring_full_support(D, X):
    """A centred lam whose strict maximiser is a column through d points with full support (u dense): with
    l1-normalised units the optimal duals and random lam are nearly always maximised by axis or 2-sparse units,
    which would leave the cross-product columns untested. LP: max A_j^T lam s.t. |A_k^T lam| <= 1 (k != j)."""
    n, d = X.shape
    A = D.matrix
    for j in range(D.size):
        if len(D.point_sets[j]) != d:
            continue
        others = np.delete(A, j, axis=1)
        r = linprog(-A[:, j], A_ub=np.vstack([others.T, -others.T]), b_ub=np.ones(2 * others.shape[1]),
                    A_eq=np.ones((1, n)), b_eq=[0.0], bounds=[(-10, 10)] * n, method="highs")
        if r.status == 0 and -r.fun > 1 + 1e-3:
            return r.x - r.x.mean()
    raise AssertionError("no full-support column can be made the strict maximiser")


@pytest.mark.parametrize("d,n", [(2, 9), (3, 8), (4, 7)])
def test_dual_sup_is_exact_against_independent_search(d, n):
    """No unit found by sampling, cell LPs or local refinement beats the dictionary's sup (exactness), and the
    best found comes within a few % of it; for the optimal dual, a random lam, and a lam maximised by a dense
    cross-product column. d = 4 passes too: the vertex argument does not depend on d."""
    X, y = _data(n, d, seed=11 * d + n)
    D, prog, res, cert = _solve(X, y)
    rng = np.random.default_rng(d)
    lam_opt = res.dual - res.dual.mean()
    lam_rand = rng.standard_normal(n)
    lam_rand -= lam_rand.mean()
    lam_dense = _lam_favouring_full_support(D, X)
    assert len(D.dual_sup(lam_dense, X, "free")[1]["points"]) == d
    for lam in (lam_opt, lam_rand, lam_dense):
        M = D.dual_sup(lam, X, "free")[0]
        if lam is lam_opt:
            assert M == pytest.approx(cert.dual_violation * prog.penalty_beta, rel=1e-14)
        found = _independent_sup(lam, X, rng)
        assert found <= M * (1 + 1e-9), (found / M, d)
        assert found >= 0.97 * M, (found / M, d)
