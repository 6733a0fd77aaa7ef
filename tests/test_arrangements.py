"""Activation patterns of ReLU layers (hyperplane-arrangement regions): exact enumeration against brute force.

Brute force here is independent of cvxnn.arrangements' algorithms: (a) dense random sampling of weight vectors g
(Gaussian, plus thresholds spread over the data for biased layers) and (b) for small n an LP over EVERY sign vector in
{0, 1}^n (via interior_point, whose answers are checked by recomputing 1[X g >= 0]).
"""

import itertools
import math

import numpy as np
import pytest

import cvxnn.arrangements as arr
from cvxnn.arrangements import (Arrangement, count_patterns_upper_bound, enumerate_patterns, interior_point,
                                pattern_count, sample_patterns)
from cvxnn.errors import CvxnnError, InvalidDataError, InvalidParameterError, ProblemTooLargeError


def with_bias(F):
    F = np.asarray(F, dtype=float)
    return np.hstack([F, np.ones((F.shape[0], 1))])


def gaussian(n, d, *, bias, seed):
    F = np.random.default_rng(seed).standard_normal((n, d))
    return with_bias(F) if bias else F


def codes(patterns):
    """Each bool row as an integer (bit i = entry i); the test data has at most 62 points."""
    patterns = np.asarray(patterns, dtype=bool).reshape(-1, np.shape(patterns)[-1])
    assert patterns.shape[1] <= 62
    return patterns.astype(np.int64) @ (np.int64(1) << np.arange(patterns.shape[1], dtype=np.int64))


def as_set(patterns):
    return set(codes(patterns).tolist())


def brute_sample(X, n_draws, *, bias, seed=0):
    """Patterns 1[X g >= 0] of n_draws random g (in chunks); biased layers also get thresholds between the data."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    found = set()
    for start in range(0, n_draws, 50_000):
        m = min(50_000, n_draws - start)
        G = rng.standard_normal((d, m))
        if bias:  # half of the draws: threshold at a random data point's projection, shifted by a random fraction
            half = m // 2
            proj = X[:, :-1] @ G[:-1, :half]
            lo, hi = proj.min(axis=0), proj.max(axis=0)
            G[-1, :half] = -(lo + (hi - lo) * rng.uniform(-0.05, 1.05, size=half))
        found |= set(np.unique(codes((X @ G >= 0).T)).tolist())
    return found


def brute_lp(X):
    """All patterns of X by an LP per sign vector (exact, 2^n LPs: small n only)."""
    out = set()
    for bits in itertools.product([False, True], repeat=X.shape[0]):
        D = np.array(bits)
        g = interior_point(X, D)
        if g is not None:
            assert np.array_equal(X @ g >= 0, D)
            out |= as_set(D[None])
    return out


def assert_realizable(X, patterns, *, limit=None, seed=0):
    """Every (or `limit` random) pattern has an interior point g with (2D - 1) X g >= 1."""
    idx = np.arange(len(patterns))
    if limit is not None and len(idx) > limit:
        idx = np.random.default_rng(seed).choice(idx, size=limit, replace=False)
    for p in idx:
        D = patterns[p]
        g = interior_point(X, D)
        assert g is not None, f"enumerated pattern {p} has no interior point"
        assert np.array_equal(X @ g >= 0, D)
        nz = np.linalg.norm(X, axis=1) > 0
        assert ((2 * D[nz] - 1) * (X[nz] @ g)).min() >= 1 - 1e-9


def assert_well_formed(a: Arrangement, n):
    assert a.patterns.dtype == bool and a.patterns.ndim == 2 and a.patterns.shape[1] == n
    assert len(np.unique(a.patterns, axis=0)) == len(a) == a.patterns.shape[0]
    assert a.includes_zero == bool((~a.patterns.any(axis=1)).any())
    assert a.seconds >= 0


# ---------------------------------------------------------------------------------------------------------------
# the count formula
# ---------------------------------------------------------------------------------------------------------------


def test_pattern_count_formula_values():
    # n = 16, d = 3: 2 * (1 + 15 + 105) = 242 without a bias; with the bias column r = 4 adds 2 * C(15, 3) -> 1152
    assert pattern_count(gaussian(16, 3, bias=False, seed=0)) == 242
    assert pattern_count(gaussian(16, 3, bias=True, seed=0)) == 1152
    assert pattern_count(gaussian(8, 2, bias=False, seed=0)) == 16
    assert pattern_count(gaussian(3, 5, bias=False, seed=0)) == 8  # n <= r: all 2^n sign vectors
    assert pattern_count(gaussian(50, 3, bias=False, seed=0)) == 2 * sum(math.comb(49, k) for k in range(3))
    # rank deficient: 10 points in a 2-D subspace of R^5 -> r = 2 -> 2n
    X = np.random.default_rng(1).standard_normal((10, 2)) @ np.random.default_rng(2).standard_normal((2, 5))
    assert pattern_count(X) == 20
    assert pattern_count(np.zeros((4, 3))) == 1
    assert count_patterns_upper_bound(X) == pattern_count(X)
    # only directions matter: scaling a row does not change the rank (or the count)
    Y = gaussian(6, 3, bias=False, seed=3)
    Y[0] *= 1e-14
    assert pattern_count(Y) == pattern_count(gaussian(6, 3, bias=False, seed=3))


# ---------------------------------------------------------------------------------------------------------------
# exact enumeration on general-position data
# ---------------------------------------------------------------------------------------------------------------

GENERAL = [  # (n, d, bias, seed)
    (8, 2, False, 0),
    (8, 2, True, 1),
    (10, 3, True, 2),
    (16, 3, False, 3),
    (16, 3, True, 4),
    (30, 2, True, 5),
]


@pytest.mark.parametrize("n, d, bias, seed", GENERAL)
def test_exact_equals_formula_and_brute_force(n, d, bias, seed):
    X = gaussian(n, d, bias=bias, seed=seed)
    a = enumerate_patterns(X)
    assert a.method == "rays" and a.exact
    assert_well_formed(a, n)
    assert len(a) == a.count_formula == pattern_count(X)
    # the bias column always makes the all-zero pattern a region (g = -e_bias); the formula counts it
    if bias:
        assert a.includes_zero
    sampled = brute_sample(X, 200_000, bias=bias, seed=seed)
    assert sampled <= as_set(a.patterns), "a randomly sampled pattern is missing from the exact enumeration"
    # dense sampling reaches nearly every region (the rest are thin ones; all are checked by LP below or in
    # test_exact_equals_lp_over_all_sign_vectors)
    assert len(sampled) >= 0.75 * len(a)
    assert_realizable(X, a.patterns, limit=100, seed=seed)


@pytest.mark.parametrize("n, d, bias, seed", [(7, 2, False, 10), (8, 2, True, 11), (6, 4, False, 12)])
def test_exact_equals_lp_over_all_sign_vectors(n, d, bias, seed):
    X = gaussian(n, d, bias=bias, seed=seed)
    a = enumerate_patterns(X)
    assert a.method == "rays"
    assert as_set(a.patterns) == brute_lp(X)


def test_formula_counts_the_all_zero_pattern_exactly_when_it_is_a_region():
    # centred Gaussian data without a bias: no g has X g < 0, so neither all-zero nor all-one is a region
    X = gaussian(16, 3, bias=False, seed=3)
    a = enumerate_patterns(X)
    assert not a.includes_zero and not a.patterns.all(axis=1).any()
    assert len(a) == a.count_formula
    # the same data moved into a half-space (x_1 > 0): both appear, and the count is unchanged
    Y = X.copy()
    Y[:, 0] = np.abs(Y[:, 0]) + 0.1
    b = enumerate_patterns(Y)
    assert b.includes_zero and b.patterns.all(axis=1).any()
    assert len(b) == b.count_formula == len(a)
    # regions come in pairs s, -s
    assert as_set(~b.patterns) == as_set(b.patterns)


def test_rank_deficient_data_is_projected_onto_its_row_space():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 6))  # rank 3 in R^6
    a = enumerate_patterns(X)
    assert a.method == "rays" and len(a) == pattern_count(X) == 2 * (1 + 7 + 21)
    assert as_set(a.patterns) == brute_lp(X)


@pytest.mark.parametrize("n, d, bias, seed", GENERAL[:5])
def test_rays_and_region_graph_agree_on_general_position_data(n, d, bias, seed):
    X = gaussian(n, d, bias=bias, seed=seed)
    rays = enumerate_patterns(X, method="rays")
    graph = enumerate_patterns(X, method="region-graph")
    assert graph.method == "region-graph" and graph.exact
    assert np.array_equal(rays.patterns, graph.patterns)  # both sorted lexicographically


def test_region_graph_with_plain_lp_flip_test_agrees():
    """The NNLS (Farkas) flip test and the convex-hull wall filter give the same regions as the plain LP test."""
    X = gaussian(8, 2, bias=True, seed=1)
    r, nonzero, P = arr._geometry(X)
    fast = arr._region_graph(P, nonzero, 10**6, False)
    lp = arr._region_graph(P, nonzero, 10**6, False, use_lp=True)
    assert np.array_equal(fast, lp)
    assert np.array_equal(fast, enumerate_patterns(X).patterns)


def test_tiny_and_trivial_inputs():
    a = enumerate_patterns(np.array([[2.0]]))
    assert a.patterns.tolist() == [[False], [True]]
    b = enumerate_patterns(np.array([[1.0], [2.0], [-3.0]]))  # one feature, no bias: g > 0 or g < 0
    assert b.patterns.tolist() == [[False, False, True], [True, True, False]]
    z = enumerate_patterns(np.zeros((3, 2)), method="region-graph")
    assert z.patterns.tolist() == [[True, True, True]] and len(z) == z.count_formula == 1
    assert enumerate_patterns(np.zeros((3, 2))).patterns.tolist() == [[True, True, True]]


# ---------------------------------------------------------------------------------------------------------------
# degenerate data: the region-graph fallback
# ---------------------------------------------------------------------------------------------------------------


def _degenerate_cases():
    rng = np.random.default_rng(21)
    Z = rng.standard_normal((7, 2))
    yield "repeated row (bias)", with_bias(np.vstack([Z, Z[:1]]))
    yield "three collinear points among others (bias)", with_bias(
        np.vstack([rng.standard_normal((5, 2)), [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]]))
    yield "zero row", np.vstack([rng.standard_normal((7, 3)), np.zeros((1, 3))])
    Z = rng.standard_normal((7, 3))
    yield "negative multiple of a row", np.vstack([Z, -2.0 * Z[:1]])
    yield "3x3 grid (bias)", with_bias([[i, j] for i in range(3) for j in range(3)])
    yield "1-D with repeated points (bias)", with_bias([[0.0], [0.0], [1.0], [2.0], [2.0], [3.0], [5.0], [5.0]])


@pytest.mark.parametrize("name, X", list(_degenerate_cases()), ids=[c[0] for c in _degenerate_cases()])
def test_degenerate_data_falls_back_to_region_graph(name, X):
    a = enumerate_patterns(X)
    assert a.method == "region-graph" and a.exact
    assert_well_formed(a, X.shape[0])
    assert len(a) < a.count_formula  # degenerate data has fewer regions than the general-position formula
    assert as_set(a.patterns) == brute_lp(X)
    with pytest.raises(InvalidDataError, match="general position"):
        enumerate_patterns(X, method="rays")


def test_zero_row_is_constant_one():
    X = np.vstack([gaussian(6, 2, bias=False, seed=5), np.zeros((1, 2))])
    a = enumerate_patterns(X)
    assert a.patterns[:, -1].all() and not a.includes_zero
    assert len(a) == pattern_count(X[:-1])  # the other rows are in general position


def test_larger_degenerate_grid_matches_sampling_and_unfiltered_search(monkeypatch):
    X = with_bias([[i, j] for i in range(5) for j in range(5)])
    a = enumerate_patterns(X)
    assert a.method == "region-graph" and len(a) == 402 < a.count_formula == 602
    assert brute_sample(X, 100_000, bias=True) <= as_set(a.patterns)
    assert sample_patterns(X, 100_000, bias_column=True, drop_zero=False).patterns.tolist() == a.patterns.tolist()
    assert_realizable(X, a.patterns, limit=40)
    # without the convex-hull wall filter (every flip tested): the same regions
    monkeypatch.setattr(arr, "_wall_candidates", lambda SH, g: np.ones(SH.shape[0], dtype=bool))
    assert np.array_equal(enumerate_patterns(X, method="region-graph").patterns, a.patterns)


def test_collinear_points_with_bias_are_general_position_after_projection():
    """All points on one line (with a bias): rank 2, so the data is 1-D data with a bias, 2n regions, no fallback."""
    t = np.array([0.0, 0.3, 1.0, 1.7, 2.5, 4.0, 4.2, 6.0])
    X = with_bias(np.c_[t, 2 * t + 1])
    a = enumerate_patterns(X)
    assert a.method == "rays" and len(a) == a.count_formula == 2 * len(t)
    assert as_set(a.patterns) == brute_lp(X)


# ---------------------------------------------------------------------------------------------------------------
# budget
# ---------------------------------------------------------------------------------------------------------------


def test_budget_error_is_raised_before_any_enumeration(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("enumeration started despite the budget")

    monkeypatch.setattr(arr, "_rays", boom)
    monkeypatch.setattr(arr, "_region_graph", boom)
    X = gaussian(50, 3, bias=False, seed=0)
    for method in ("auto", "rays", "region-graph"):
        with pytest.raises(ProblemTooLargeError) as info:
            enumerate_patterns(X, max_patterns=10, method=method)
        msg = str(info.value)
        assert "2,452" in msg and "max_patterns=10" in msg and "--max-patterns 2452" in msg
        assert 'TwoLayer(patterns="sample", n_samples=K)' in msg and "--patterns sample --n-samples K" in msg
        assert "fewer points" in msg and 'mode="sample"' not in msg
        assert isinstance(info.value, ValueError) and isinstance(info.value, CvxnnError)
    # a huge arrangement is refused before enumerating (the monkeypatched enumerators would raise), and the
    # message does not advise a budget nobody could enumerate
    with pytest.raises(ProblemTooLargeError, match="max_patterns=100,000") as info:
        enumerate_patterns(gaussian(2000, 4, bias=True, seed=0))
    assert "out of reach" in str(info.value) and "--max-patterns" not in str(info.value)


def test_budget_equal_to_the_count_is_allowed():
    X = gaussian(16, 3, bias=True, seed=4)
    assert len(enumerate_patterns(X, max_patterns=1152)) == 1152
    with pytest.raises(ProblemTooLargeError, match="1,152"):
        enumerate_patterns(X, max_patterns=1151)


# ---------------------------------------------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------------------------------------------


def test_biased_sampler_reaches_many_more_regions_than_gaussian():
    rng = np.random.default_rng(8)
    X = with_bias(30.0 + 3.0 * rng.standard_normal((30, 2)))  # data away from the origin, as real features are
    exact = enumerate_patterns(X)
    assert len(exact) == 872
    plain = sample_patterns(X, 20_000, seed=0)
    biased = sample_patterns(X, 20_000, seed=0, bias_column=True)
    for s in (plain, biased):
        assert s.method == "sample" and not s.exact and s.count_formula == 872
        assert_well_formed(s, 30)
        assert as_set(s.patterns) <= as_set(exact.patterns)
        assert not s.includes_zero  # dropped by default
    assert len(biased) >= 4 * len(plain), (len(biased), len(plain))  # 833 vs 99
    assert len(biased) >= 0.9 * len(exact)


def test_sampling_is_deterministic_and_keeps_zero_on_request():
    X = gaussian(12, 2, bias=True, seed=9)
    a = sample_patterns(X, 3000, seed=4, bias_column=True)
    b = sample_patterns(X, 3000, seed=4, bias_column=True)
    assert np.array_equal(a.patterns, b.patterns)
    kept = sample_patterns(X, 3000, seed=4, bias_column=True, drop_zero=False)
    assert kept.includes_zero and len(kept) == len(a) + 1
    g = sample_patterns(gaussian(12, 3, bias=False, seed=9), 5000, seed=1)
    assert as_set(g.patterns) <= as_set(enumerate_patterns(gaussian(12, 3, bias=False, seed=9)).patterns)


def test_sampling_without_feature_columns():
    X = np.ones((5, 1))  # bias only: g_bias > 0 or < 0
    s = sample_patterns(X, 100, bias_column=True, drop_zero=False)
    assert s.patterns.tolist() == [[False] * 5, [True] * 5]


# ---------------------------------------------------------------------------------------------------------------
# interior points, progress and input checks
# ---------------------------------------------------------------------------------------------------------------


def test_interior_point():
    X = with_bias([[0.0], [1.0], [2.0]])
    g = interior_point(X, [True, True, False])
    assert g is not None and np.array_equal(X @ g >= 0, [True, True, False])
    assert np.all((np.array([1, 1, -1]) * (X @ g)) >= 1 - 1e-9)
    assert interior_point(X, np.array([1, 0, 1])) is None  # not a threshold pattern of 1-D data
    Z = np.vstack([X, np.zeros((1, 2))])
    assert interior_point(Z, [True, True, False, False]) is None  # a zero row is always active
    assert interior_point(Z, [True, True, False, True]) is not None
    assert np.array_equal(interior_point(np.zeros((2, 3)), [True, True]), np.zeros(3))
    with pytest.raises(InvalidParameterError, match=r"shape \(3,\)"):
        interior_point(X, [True, False])
    with pytest.raises(InvalidParameterError, match="0/1"):
        interior_point(X, [0.5, 1, 0])


def test_progress_bar_goes_to_stderr(capsys):
    X = gaussian(10, 2, bias=True, seed=0)
    enumerate_patterns(X, progress=True)
    enumerate_patterns(X, progress=True, method="region-graph")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "activation patterns (rays)" in captured.err and "activation patterns (region graph)" in captured.err


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([1.0, 2.0]), r"2-D array .* shape \(2,\)"),
        (np.zeros((2, 2, 2)), "2-D array"),
        (np.zeros((0, 3)), "no rows"),
        (np.zeros((3, 0)), "no columns"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "non-finite .* row 0, column 1"),
        (np.array([[1.0, np.inf]]), "non-finite"),
        ([["a", "b"]], "numeric"),
    ],
)
def test_bad_data(X, message):
    for call in (lambda: enumerate_patterns(X), lambda: pattern_count(X), lambda: sample_patterns(X, 10),
                 lambda: interior_point(X, [True])):
        with pytest.raises(InvalidDataError, match=message):
            call()


def test_bad_parameters():
    X = gaussian(5, 2, bias=True, seed=0)
    with pytest.raises(InvalidParameterError, match="Did you mean 'rays'"):
        enumerate_patterns(X, method="ray")
    for bad in (0, -3, 1.5, True, "10"):
        with pytest.raises(InvalidParameterError, match="max_patterns must be a positive integer"):
            enumerate_patterns(X, max_patterns=bad)
    for bad in (0, 2.0, None):
        with pytest.raises(InvalidParameterError, match="n_samples must be a positive integer"):
            sample_patterns(X, bad)
    with pytest.raises(InvalidParameterError, match="last column of X to be all ones"):
        sample_patterns(gaussian(5, 2, bias=False, seed=0), 10, bias_column=True)
    with pytest.raises(InvalidParameterError, match="bias_column must be True or False"):
        sample_patterns(X, 10, bias_column="yes")
    with pytest.raises(InvalidParameterError, match="seed"):
        sample_patterns(X, 10, seed="abc")
