"""Two-layer programs in d dimensions made fast, without changing what they compute (theory: "Two-layer nets on
hyperplane arrangements", "Certificates"): each cone from its wall rows only, the batched projection oracle, the
direct Clarabel call, and the light command line.

The references here are independent of cvxnn's algorithms: scipy's LP (HiGHS) for cone membership and facets,
scipy's NNLS on EVERY row of a cone, and plain sampling of unit directions.
"""

import re
import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import linprog, nnls

import cvxnn
from cvxnn.arrangements import (Arrangement, cone_sup, enumerate_patterns, interior_point, pattern_walls,
                                sample_patterns)
from cvxnn.errors import InvalidParameterError
from cvxnn.models.arrangement import ArrangementProgram, arrangement_dual_sup, arrangement_penalty, pattern_vectors

from .conftest import rel


def gaussian(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, np.sin(X[:, 0]) + X[:, -1] ** 2 - 0.5


def repeated(seed=0):
    """Six points, four of them twice, in d = 2."""
    X, _ = gaussian(6, 2, seed)
    X = np.vstack([X, X[:4]])
    return X, np.cos(2 * X[:, 0]) - X[:, 1]


def collinear(seed=0):
    """Points on two lines through a common point, plus a few others (many collinear triples) in d = 2."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=5)
    X = np.vstack([np.c_[t, 2 * t + 1], np.c_[t[:4] + 0.3, -t[:4] + 1.3], rng.normal(size=(3, 2))])
    return X, np.abs(X[:, 0]) - 0.5 * X[:, 1]


def on_a_line(seed=0):
    """Every point on one line in d = 2: with the bias column the data has rank 2, so each cone contains a line."""
    t = np.sort(np.random.default_rng(seed).normal(size=9))
    X = np.c_[t, 0.5 * t - 1.0]
    return X, np.sin(2 * t)


def repeated_coplanar_d3(seed=0):
    """d = 3: seven points on a plane (with the bias column: rank 3), three of them twice, and two off the plane."""
    rng = np.random.default_rng(seed)
    P = rng.normal(size=(7, 2)) @ rng.normal(size=(2, 3)) + np.array([0.5, -0.2, 0.1])
    X = np.vstack([P, P[:3], rng.normal(size=(2, 3))])
    return X, X[:, 0] - np.abs(X[:, 1]) + 0.3 * X[:, 2]


def repeated_d4(seed=0):
    """d = 4: six points, three of them twice."""
    X, _ = gaussian(6, 4, seed)
    X = np.vstack([X, X[:3]])
    return X, np.sin(X[:, 0]) + X[:, 3]


INSTANCES = {
    "d2": lambda: gaussian(12, 2, 0),
    "d3": lambda: gaussian(9, 3, 1),
    "d4": lambda: gaussian(8, 4, 2),
    "repeated": repeated,
    "collinear": collinear,
    "on-a-line": on_a_line,
    "repeated-coplanar-d3": repeated_coplanar_d3,
    "repeated-d4": repeated_d4,
}


def xb(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def cone_rows(Xb, pattern):
    """Every nonzero row of the cone {u : (2D - 1)_i x_i^T u >= 0}."""
    keep = np.linalg.norm(Xb, axis=1) > 0
    return (np.where(pattern, 1.0, -1.0)[:, None] * Xb)[keep]


def wall_rows(Xb, walls, p):
    lo, hi = walls.indptr[p], walls.indptr[p + 1]
    return walls.signs[lo:hi, None] * Xb[walls.rows[lo:hi]]


def lp_min(a, A):
    """min a^T u over {u : A u >= 0, -1 <= u <= 1} (HiGHS)."""
    res = linprog(a, A_ub=-A if A.size else None, b_ub=np.zeros(A.shape[0]) if A.size else None,
                  bounds=[(-1, 1)] * a.size, method="highs")
    assert res.status == 0
    return res.fun


# ------------------------------------------------------------------------------------------------ the walls
@pytest.mark.parametrize("name", list(INSTANCES))
def test_wall_rows_describe_the_same_cone(name):
    """By LP: every row left out is implied by the walls (so the two cones are equal), every wall is a facet (the
    cone grows without its hyperplane), and random points lie in both cones or in neither."""
    X, _ = INSTANCES[name]()
    Xb = xb(X)
    arr = enumerate_patterns(Xb)
    walls = arr.walls(Xb)
    assert walls.exact and len(walls) == len(arr)
    assert np.all(walls.counts() <= Xb.shape[0]) and walls.counts().sum() < arr.patterns.size
    rng = np.random.default_rng(0)
    unit = Xb / np.linalg.norm(Xb, axis=1, keepdims=True)
    for p in rng.choice(len(arr), size=min(len(arr), 25), replace=False):
        full, W = cone_rows(Xb, arr.patterns[p]), wall_rows(Xb, walls, p)
        listed = set(walls.rows[walls.indptr[p]: walls.indptr[p + 1]].tolist())
        for j in range(Xb.shape[0]):
            if j not in listed:  # implied: min over the wall cone of the row's value is >= 0
                a = np.where(arr.patterns[p, j], 1.0, -1.0) * Xb[j]
                assert lp_min(a, W) >= -1e-9
        for j in listed:  # a facet: drop every row parallel to it, and the row can go negative
            a = np.where(arr.patterns[p, j], 1.0, -1.0) * Xb[j]
            parallel = np.abs(unit @ unit[j]) > 1 - 1e-12
            others = cone_rows(Xb[~parallel], arr.patterns[p][~parallel])
            assert lp_min(a, others) < -1e-6
        # random points around an interior point: in both cones or in neither
        g = interior_point(Xb, arr.patterns[p])
        scale = np.linalg.norm(g) * 10.0 ** rng.uniform(-6, 1, size=(400, 1))
        U = g + scale * rng.normal(size=(400, Xb.shape[1]))
        in_full = np.all(U @ full.T >= 0, axis=1)
        in_walls = np.all(U @ W.T >= 0, axis=1)
        assert np.array_equal(in_full, in_walls) and 0 < in_full.sum() < len(U)


def test_walls_of_patterns_that_are_not_a_complete_list_keep_every_row():
    X, _ = gaussian(10, 2, 3)
    Xb = xb(X)
    sampled = sample_patterns(Xb, 40, seed=1, bias_column=True)
    walls = sampled.walls(Xb)
    assert not walls.exact and np.all(walls.counts() == 10)
    # and an exact arrangement extended by a pattern that is not a region keeps all of that pattern's rows
    arr = enumerate_patterns(Xb)
    extra = np.ones((1, 10), dtype=bool)
    extra[0, :3] = False
    ext = arr.extended(extra, Xb)
    w = ext.walls(Xb)
    assert ext.exact and len(ext) == len(arr) + 1 and w.counts()[-1] == 10
    assert np.array_equal(w.counts()[:-1], arr.walls(Xb).counts())
    with pytest.raises(InvalidParameterError, match="one column per row"):
        pattern_walls(Xb, arr.patterns[:, :5], complete=True)


@pytest.mark.parametrize("name", list(INSTANCES))
@pytest.mark.parametrize("activation", ["relu", "leaky", "abs"])
def test_wall_and_full_row_programs_have_the_same_optimum(name, activation):
    X, y = INSTANCES[name]()
    arch = cvxnn.TwoLayer(activation)
    arr = enumerate_patterns(xb(X))
    beta = 0.02
    walls = ArrangementProgram(X, y, arch, beta, arr, "penalized")
    full = ArrangementProgram(X, y, arch, beta, arr, "penalized", walls=False)
    assert walls.n_cone_rows < full.n_cone_rows
    a, b = walls.solve(), full.solve()
    assert rel(a.convex_objective, b.convex_objective) < 1e-8
    assert rel(a.network.objective(X, y), a.convex_objective) < 1e-6
    for prog, res in ((walls, a), (full, b)):
        cert = cvxnn.certify(prog, res)
        assert cert.globally_optimal, (name, activation, cert.failures)


def test_clarabel_direct_and_through_cvxpy_solve_the_same_program():
    X, y = gaussian(10, 2, 4)
    arr = enumerate_patterns(xb(X))
    prog = ArrangementProgram(X, y, cvxnn.TwoLayer("relu"), 0.05, arr, "penalized")
    direct = prog.solve("clarabel")
    assert direct.run.times["compile"] < direct.run.times["wall"]
    via = ArrangementProgram(X, y, cvxnn.TwoLayer("relu"), 0.05, arr, "penalized")
    from cvxnn.solvers import get_solver

    run = get_solver("clarabel").solve(via.problem, "high")
    assert run.status == "optimal"
    assert rel(float(via.problem.value), direct.convex_objective) < 1e-8
    lam = np.asarray(via._cp["data"].dual_value).ravel()
    assert np.max(np.abs(lam - direct.dual)) < 1e-6 * max(1.0, np.max(np.abs(lam)))
    plain = ArrangementProgram(X, y, cvxnn.TwoLayer("relu"), 0.05, arr, "penalized", clusters=0)
    assert prog._clustered_fit() is not None and plain._clustered_fit() is None  # the fit with and without cluster sums
    assert rel(plain.solve().convex_objective, direct.convex_objective) < 1e-8
    scs = ArrangementProgram(X, y, cvxnn.TwoLayer("relu"), 0.05, arr, "penalized").solve("scs")
    assert rel(scs.convex_objective, direct.convex_objective) < 1e-5
    prog.set_beta(0.1)  # a new beta: a new solve of the same matrices
    assert prog.solve().convex_objective > direct.convex_objective


# ------------------------------------------------------------------------------------------------ the oracle
def nnls_value(A, c):
    """max_{u in {A u >= 0}, |u| <= 1} c^T u = min_{mu >= 0} |c + A^T mu| by scipy's NNLS."""
    return nnls(A.T, -c)[1]


@pytest.mark.parametrize("name", list(INSTANCES))
@pytest.mark.parametrize("activation", ["relu", "leaky", "abs"])
def test_batched_oracle_equals_nnls_on_every_row(name, activation):
    X, _ = INSTANCES[name]()
    Xb = xb(X)
    arr = enumerate_patterns(Xb)
    act = cvxnn.TwoLayer(activation).act
    rng = np.random.default_rng(5)
    for _ in range(3):
        lam = rng.normal(size=X.shape[0])
        C = pattern_vectors(lam, Xb, arr.patterns, act)
        values, dirs = cone_sup(C, Xb, arr.walls(Xb))
        scale = np.abs(C).max()
        for p in range(len(arr)):
            A = cone_rows(Xb, arr.patterns[p])
            for side, c in ((0, C[p]), (1, -C[p])):
                assert abs(values[p, side] - nnls_value(A, c)) <= 1e-10 * scale
                u = dirs[p, side]
                if values[p, side] > 1e-9 * scale:  # the maximiser: a unit vector in the cone attaining the value
                    assert abs(np.linalg.norm(u) - 1) < 1e-12 and np.all(A @ u >= -1e-9 * np.abs(A).max())
                    assert abs(c @ u - values[p, side]) <= 1e-10 * scale


def test_bounded_and_ordered_oracle_modes_keep_the_maximum_and_only_bound_the_rest():
    X, _ = gaussian(30, 3, 6)
    Xb = xb(X)
    arr = enumerate_patterns(Xb)
    lam = np.random.default_rng(1).normal(size=30)
    C = pattern_vectors(lam, Xb, arr.patterns, cvxnn.TwoLayer("relu").act)
    exact, _ = cone_sup(C, Xb, arr.walls(Xb))
    thr = float(np.quantile(exact.max(axis=1), 0.7))
    bounded, dirs = cone_sup(C, Xb, arr.walls(Xb), threshold=thr)
    above = exact > thr
    np.testing.assert_allclose(bounded[above], exact[above], rtol=1e-12, atol=0)
    assert np.all(bounded[~above] <= thr + 1e-12) and np.all(bounded >= exact - 1e-12 * np.abs(exact).max())
    ordered, _ = cone_sup(C, Xb, arr.walls(Xb), stop_below=True)
    assert ordered.max() == pytest.approx(exact.max(), rel=1e-13) and np.all(ordered >= exact - 1e-12)


@pytest.mark.parametrize("d, n", [(2, 12), (3, 9), (4, 7)])
@pytest.mark.parametrize("activation", ["relu", "abs"])
def test_dual_sup_against_100k_random_unit_directions(d, n, activation):
    """No random unit beats the oracle's sup, the oracle's maximising unit attains it (independent forward pass),
    and in d = 2 the best random unit comes within 1% of it."""
    X, _ = gaussian(n, d, 7)
    Xb = xb(X)
    arr = enumerate_patterns(Xb)
    act = cvxnn.TwoLayer(activation).act
    sigma = {"relu": lambda t: np.maximum(t, 0), "abs": np.abs}[activation]
    rng = np.random.default_rng(8)
    U = rng.normal(size=(100_000, d + 1))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    F = sigma(Xb @ U.T)  # (n, 100k)
    for _ in range(3):
        lam = rng.normal(size=n)
        sup, unit = arrangement_dual_sup(lam, Xb, arr.patterns, act, walls=arr.walls(Xb))
        brute = float(np.max(np.abs(lam @ F)))
        assert brute <= sup * (1 + 1e-9)
        u = np.asarray(unit["direction"])
        assert abs(np.linalg.norm(u) - 1) < 1e-12
        assert abs(abs(lam @ sigma(Xb @ u)) - sup) <= 1e-9 * sup
        if d == 2:
            assert brute >= 0.99 * sup


def test_oracle_on_cones_without_walls_and_bad_sizes():
    Xb = np.zeros((3, 2))
    arr = Arrangement(np.ones((1, 3), dtype=bool), "rays", True, False, 1, 0.0)
    values, dirs = cone_sup(np.array([[3.0, 4.0]]), Xb, arr.walls(Xb))
    assert values.tolist() == [[5.0, 5.0]] and np.allclose(dirs[0, 0], [0.6, 0.8])
    with pytest.raises(InvalidParameterError, match="vectors for"):
        cone_sup(np.zeros((2, 2)), Xb, arr.walls(Xb))


# ------------------------------------------------------------------------------------------- missing walls
def far_cloud(n=12, seed=3, loc=1000.0):
    """Points with spread 1 around (loc, loc): nearly parallel rows of [X, 1], regions thinner than the enumeration's
    LP tolerance, so the exact enumeration misses a few (here 131 of 134) and a hash lookup of flipped patterns can
    lose a wall."""
    rng = np.random.default_rng(seed)
    return rng.normal(loc, 1.0, size=(n, 2)), rng.normal(size=n)


def test_a_pattern_never_keeps_fewer_walls_than_the_rank():
    """A region of a rank-r central arrangement is a pointed cone with at least r facets. On the far cloud the
    lookup of flipped patterns finds fewer for some pattern (its neighbours are missing from the list); that pattern
    keeps every row, so every pattern's wall rows span R^3 (the cone is pointed, as the true one is)."""
    X, _ = far_cloud()
    Xb = xb(X)
    arr = enumerate_patterns(Xb)
    assert len(arr) < arr.count_formula  # the situation tested: regions missing from an 'exact' list
    walls = arr.walls(Xb)
    assert walls.counts().min() >= 3
    unit = Xb / np.linalg.norm(Xb, axis=1, keepdims=True)
    for p in range(len(arr)):
        W = unit[walls.rows[walls.indptr[p]: walls.indptr[p + 1]]]
        assert np.linalg.matrix_rank(W) == 3, p


def test_a_solve_on_cones_that_lost_a_wall_repairs_them_and_matches_every_row():
    """Cones given with one wall taken away from every pattern that has more than the rank: the solved blocks
    that leave their full cone get every row and the program is solved again, so the optimum equals the program
    on every row (1e-7 relative) and the rebuilt net's objective equals it."""
    X, y = gaussian(9, 2, 4)
    Xb = xb(X)
    arr = enumerate_patterns(Xb)
    walls = arr.walls(Xb)
    short = []
    for p in range(len(arr)):
        lo, hi = walls.indptr[p], walls.indptr[p + 1]
        short.append((walls.rows[lo: hi - 1], walls.signs[lo: hi - 1]) if hi - lo > 3 else
                     (walls.rows[lo:hi], walls.signs[lo:hi]))
    counts = np.array([len(r) for r, _ in short])
    indptr = np.concatenate([[0], np.cumsum(counts)])
    cut = type(walls)(indptr, np.concatenate([r for r, _ in short]), np.concatenate([s for _, s in short]), False)
    arch = cvxnn.TwoLayer("relu")
    every = ArrangementProgram(X, y, arch, 0.01, arr, "penalized", walls=False)
    ref = every.solve()
    fixed = ArrangementProgram(X, y, arch, 0.01, arr, "penalized", cone_rows=cut)
    res = fixed.solve()
    assert rel(res.convex_objective, ref.convex_objective) < 1e-7
    assert rel(res.network.objective(X, y), ref.convex_objective) < 1e-7
    assert fixed.n_cone_rows > cut.rows.size  # rows were added back


def test_the_oracle_on_cones_that_lost_a_wall_still_returns_an_attained_maximum():
    """arrangement_dual_sup with walls missing one row per pattern: the value equals scipy's NNLS over every row of
    every cone (the exact sup, computed here) and the unit it reports lies in its pattern's full cone."""
    X, _ = gaussian(9, 2, 4)
    Xb = xb(X)
    arr = enumerate_patterns(Xb)
    walls = arr.walls(Xb)
    keep = np.ones(walls.rows.size, dtype=bool)
    keep[walls.indptr[1:][walls.counts() > 3] - 1] = False  # drop the last wall of patterns with more than 3
    cnt = np.bincount(np.repeat(np.arange(len(walls)), walls.counts())[keep], minlength=len(walls))
    cut = type(walls)(np.concatenate([[0], np.cumsum(cnt)]), walls.rows[keep], walls.signs[keep], False)
    act = cvxnn.TwoLayer("relu").act
    rng = np.random.default_rng(8)
    for _ in range(4):
        lam = rng.normal(size=X.shape[0])
        C = pattern_vectors(lam, Xb, arr.patterns, act)
        exact = max(max(nnls_value(cone_rows(Xb, arr.patterns[p]), c) for c in (C[p], -C[p]))
                    for p in range(len(arr)))
        sup, unit = arrangement_dual_sup(lam, Xb, arr.patterns, act, walls=cut)
        assert abs(sup - exact) <= 1e-9 * exact
        u = np.asarray(unit["direction"])
        assert np.all(cone_rows(Xb, arr.patterns[unit["pattern"]]) @ u >= -1e-9)
        assert abs(abs(lam @ np.maximum(Xb @ u, 0.0)) - sup) <= 1e-9 * sup


# ------------------------------------------------------------------------------------------------ the whole loop
def test_pattern_generation_on_walls_matches_full_rows_and_certifies():
    X, y = gaussian(30, 2, 9)
    on = cvxnn.train(X, y, cvxnn.TwoLayer("relu", column_generation=True), beta=0.01)
    prog = on.program
    off = type(prog)(X, y, prog.architecture, 0.01, prog.full, prog.bias, walls=False)
    res = off.solve()
    assert on.certificate.globally_optimal and cvxnn.certify(off, res).globally_optimal
    assert rel(on.result.convex_objective, res.convex_objective) < 1e-8
    assert on.result.run.iterations < res.run.iterations  # wall rows: fewer interior-point iterations


def test_certificate_of_a_net_whose_unit_lies_on_two_opposite_points():
    """Data with a point and its mirror image (no bias): a unit orthogonal to them has a pattern with both rows
    active, which is no region; the certificate adds it with all its rows and stays global."""
    X, y = gaussian(8, 2, 10)
    X[0], X[1] = [1.0, 2.0], [-1.0, -2.0]
    u = np.array([2.0, -1.0])  # exactly orthogonal to x_0 and x_1
    W1 = np.vstack([u, np.random.default_rng(0).normal(size=(3, 2))])
    net = cvxnn.Network([cvxnn.Layer(W1, np.zeros(4), cvxnn.Activation("relu")),
                         cvxnn.Layer(np.array([[0.3, 0.2, -0.1, 0.4]]), [0.0], cvxnn.Activation("identity"))],
                        arrangement_penalty(1.0, "none"), {})
    c = cvxnn.certify_network(net, X, y, 0.05, bias="none", polish=True)
    assert c.certificate.scope == "global" and c.polished_certificate.globally_optimal
    assert np.all(X[:2] @ u == 0) and c.n_patterns == len(enumerate_patterns(X)) + 1
    assert c.lower_bound <= c.polished_certificate.objective + 1e-9


# ------------------------------------------------------------------------------------------------ the command line
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["solve", "--beta", "x"], ["no-such-command"]])
def test_cli_help_version_and_errors_import_neither_cvxpy_nor_torch(args):
    probe = ("import sys, runpy\n"
             f"sys.argv = ['cvxnn'] + {args!r}\n"
             "try:\n    runpy.run_module('cvxnn', run_name='__main__')\n"
             "except SystemExit as e:\n    code = e.code\n"
             "heavy = [m for m in ('cvxpy', 'torch', 'scipy', 'pandas') if m in sys.modules]\n"
             "print('HEAVY', heavy, 'CODE', code)\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("HEAVY [] CODE"), run.stdout[-500:] + run.stderr[-500:]
    assert last.endswith("CODE 0") == (args[0] in ("--help", "--version"))
    # the same seen by the interpreter's own import log
    log = subprocess.run([sys.executable, "-X", "importtime", "-m", "cvxnn", *args], capture_output=True, text=True,
                         timeout=60).stderr
    assert "import time:" in log
    assert not re.search(r"\|\s+(cvxpy|torch)(\.|$)", log, flags=re.M)
