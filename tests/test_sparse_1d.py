"""The O(n) forms of the 1-D programs: they agree with the stored dense dictionaries, their operators are the
columns they stand for, the ramp transport split is exact, pruning keeps the fit and the l1 norm, and no 1-D model
hits a size cliff."""

import numpy as np
import pytest

import cvxnn
from cvxnn.data import noisy_sine


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def _datasets():
    x0, y0 = noisy_sine(18, seed=0)
    x1, y1 = noisy_sine(18, seed=4)
    x1 = np.sign(x1) * np.abs(x1) ** 3  # very uneven spacing
    x2, y2 = noisy_sine(22, seed=7)
    x2 = np.round(x2, 1)  # repeated points (duplicates='merge')
    return {"even-ish": (x0, y0, "error"), "uneven": (x1, y1, "error"), "repeated": (x2, y2, "merge")}


DATA = _datasets()
TWO_LAYER = ["relu", "leaky", "abs", "sign", "threshold"]


@pytest.mark.parametrize("name", sorted(DATA))
@pytest.mark.parametrize("activation", TWO_LAYER)
def test_sparse_and_dense_two_layer_programs_agree(name, activation):
    x, y, dup = DATA[name]
    sparse = cvxnn.train(x, y, cvxnn.TwoLayer(activation), beta=0.02, duplicates=dup)
    dense = cvxnn.train(x, y, cvxnn.TwoLayer(activation, formulation="dense"), beta=0.02, duplicates=dup)
    assert sparse.program.dictionary.matrix is None and dense.program.dictionary.matrix is not None
    assert sparse.certificate.globally_optimal and dense.certificate.globally_optimal
    assert rel(sparse.result.convex_objective, dense.result.convex_objective) < 1e-8
    assert rel(sparse.certificate.objective, dense.certificate.objective) < 1e-8


@pytest.mark.parametrize("name", sorted(DATA))
@pytest.mark.parametrize("depth", [3, 4])
def test_hinge_form_of_relu_chains_agrees_with_the_ramp_lasso(name, depth):
    x, y, dup = DATA[name]
    sparse = cvxnn.train(x, y, cvxnn.Deep1D(depth, "relu"), beta=0.02, duplicates=dup)
    dense = cvxnn.train(x, y, cvxnn.Deep1D(depth, "relu", formulation="dense"), beta=0.02, duplicates=dup)
    n_unique = np.unique(x).size
    assert sparse.program.size == n_unique and dense.program.size == n_unique * (n_unique - 1) // 2
    assert sparse.certificate.globally_optimal and dense.certificate.globally_optimal
    assert rel(sparse.result.convex_objective, dense.result.convex_objective) < 1e-8
    # the rebuilt net is made of ramps between data points, each a depth-L chain
    for unit in sparse.network.meta["units"]:
        a, b = unit["ramp"]
        assert a < b and np.min(np.abs(x - a)) == 0 and np.min(np.abs(x - b)) == 0


@pytest.mark.parametrize("model", ["relu", "abs", "sign", "deep-relu"])
def test_sparse_and_dense_interpolation_agree(model):
    x = np.linspace(-2, 2, 13) + 0.05 * np.sin(7 * np.arange(13))
    y = np.sin(3 * x)
    arch = (lambda **k: cvxnn.Deep1D(3, "relu", **k)) if model == "deep-relu" else \
        (lambda **k: cvxnn.TwoLayer(model, **k))
    sparse = cvxnn.train(x, y, arch(), mode="interpolation")
    dense = cvxnn.train(x, y, arch(formulation="dense"), mode="interpolation")
    assert sparse.certificate.globally_optimal and dense.certificate.globally_optimal
    assert rel(sparse.result.convex_objective, dense.result.convex_objective) < 1e-8
    assert np.max(np.abs(sparse.network.predict(x) - y)) < 1e-7


# --------------------------------------------------------------------------------------- the operators
@pytest.mark.parametrize("activation", TWO_LAYER)
def test_operator_is_the_matrix_of_its_columns(activation):
    """A z, A^T lam, columns and column norms of the O(n) operator, against columns written here from the unit
    formula sigma(s (x - c)) at the samples (repeated points included)."""
    rng = np.random.default_rng(1)
    x = np.round(rng.uniform(-3, 5, 60), 1)
    prog = cvxnn.build(x, np.sin(x), cvxnn.TwoLayer(activation), beta=0.1, duplicates="merge")
    D = prog.dictionary
    act = {"relu": lambda u: np.maximum(u, 0), "leaky": lambda u: np.maximum(u, 0.1 * u), "abs": np.abs,
           "sign": np.sign, "threshold": lambda u: (u >= 0).astype(float)}[activation]
    A = act(D.orientations[None, :] * (x[:, None] - D.breakpoints[None, :]))
    z, lam = rng.normal(size=D.size), rng.normal(size=x.size)
    idx = np.arange(D.size)
    np.testing.assert_allclose(D.apply(z), A @ z, atol=1e-11 * np.abs(A).sum())
    np.testing.assert_allclose(D.scores(lam), A.T @ lam, atol=1e-11 * np.abs(A).sum())
    np.testing.assert_allclose(D.columns(idx), A, atol=1e-12)
    np.testing.assert_allclose(D.column_norms(idx), np.linalg.norm(A, axis=0), rtol=1e-9, atol=1e-12)


def test_ramp_oracle_equals_a_brute_force_over_ramps_at_random_duals():
    """max F - min F (O(n log n)) against every ramp between sorted data points and random ramps, written here."""
    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(-2, 2, 40))
    prog = cvxnn.build(x, np.cos(x), cvxnn.Deep1D(3, "relu"), beta=0.1)
    for _ in range(5):
        lam = rng.normal(size=x.size)
        lam -= lam.mean()
        sup, unit = prog.dual_sup(lam)
        a, b = np.triu_indices(x.size, k=1)
        ramps = np.clip(x[:, None] - x[a][None, :], 0, (x[b] - x[a])[None, :])
        brute = np.max(np.abs(lam @ ramps))
        starts, widths = rng.uniform(-3, 3, 5000), rng.uniform(0, 5, 5000)
        random = np.max(np.abs(lam @ np.clip(x[:, None] - starts[None, :], 0, widths[None, :])))
        assert sup == pytest.approx(brute, rel=1e-12) and random <= sup * (1 + 1e-12)
        ra, rb = unit["ramp"]
        assert abs(lam @ np.clip(x - ra, 0, rb - ra)) == pytest.approx(sup, rel=1e-12)


def test_transport_split_gives_ramps_of_least_total_mass():
    from cvxnn.models.hinges_1d import transport_split

    rng = np.random.default_rng(3)
    for _ in range(20):
        w = rng.normal(size=15) * (rng.uniform(size=15) < 0.6)
        w[-1] -= w.sum()
        pairs = transport_split(w)
        back = np.zeros_like(w)
        for src, dst, mass in pairs:
            assert mass > 0
            back[src] += mass
            back[dst] -= mass
        np.testing.assert_allclose(back, w, atol=1e-12)
        assert sum(m for _, _, m in pairs) == pytest.approx(0.5 * np.abs(w).sum(), rel=1e-12)
        assert len(pairs) <= max(np.count_nonzero(w) - 1, 0)


# ------------------------------------------------------------------------------------------------ pruning
def test_pruning_keeps_fit_and_l1_and_returns_at_most_n_plus_1_units():
    """On a dense interior-point solution of a stored dictionary (deep abs chains: a degenerate optimal face):
    the returned solution fits the data as the solver's did and has its l1 norm, with at most n + 1 units."""
    from cvxnn.prune import prune_solution

    x, y = noisy_sine(14, seed=5)
    prog = cvxnn.build(x, y, cvxnn.Deep1D(4, "abs", column_generation=False), beta=0.005)
    raw = prog.solve(prune=False)
    # prune=False keeps the dust step only; the solver's own solution is in the CVXPY variable
    z_solver = np.asarray(prog.z.value, dtype=np.float64)
    assert np.count_nonzero(np.abs(z_solver) > 1e-12 * np.abs(z_solver).max()) > x.size + 1  # dense
    z, xi = prune_solution(prog.dictionary, z_solver, float(prog.xi.value), y, 0.005, True)
    A = prog.dictionary.matrix
    fit_solver, fit = A @ z_solver + float(prog.xi.value), A @ z + xi
    assert np.count_nonzero(z) <= x.size + 1
    assert np.linalg.norm(fit - fit_solver) <= 1e-6 * np.linalg.norm(y)
    assert np.abs(z).sum() == pytest.approx(np.abs(z_solver).sum(), rel=1e-6)
    assert raw.network.width >= np.count_nonzero(z)


def test_caratheodory_keeps_the_fit_and_l1_exactly():
    from cvxnn.prune import caratheodory_prune

    rng = np.random.default_rng(6)
    A = rng.normal(size=(8, 40))
    z = rng.uniform(0.1, 1, 40) * rng.choice([-1, 1], 40)
    for intercept in (True, False):
        zp, xi = caratheodory_prune(A, z, 0.3, intercept)
        assert np.count_nonzero(zp) <= 8 + 1
        np.testing.assert_allclose(A @ zp + xi, A @ z + 0.3, atol=1e-10)
        assert np.abs(zp).sum() == pytest.approx(np.abs(z).sum(), rel=1e-12)
        assert np.all(zp * z >= 0)  # signs kept


# ----------------------------------------------------------------------------------------- no size cliff
def test_deep_relu_at_250_points_trains_and_certifies():
    x, y = noisy_sine(250, seed=0)
    t = cvxnn.train(x, y, cvxnn.Deep1D(3, "relu"), beta=0.01)
    assert t.certificate.globally_optimal
    assert t.network.width <= x.size


@pytest.mark.parametrize("arch", [cvxnn.TwoLayer("relu", formulation="dense", column_generation=True),
                                  cvxnn.Deep1D(3, "relu", formulation="dense", column_generation=True)],
                         ids=["breakpoints", "ramps"])
def test_stored_1d_dictionaries_solve_by_column_generation(arch):
    """Above the column-generation threshold a stored 1-D dictionary is solved by column generation (forced here on
    a small instance), with the same certified optimum as the O(n) program."""
    x, y = noisy_sine(30, seed=2)
    cg = cvxnn.train(x, y, arch, beta=0.01)
    sparse = cvxnn.train(x, y, type(arch)(**{**arch.__dict__, "formulation": "sparse", "column_generation": None}),
                         beta=0.01)
    assert cg.program.program_kind.endswith("by column generation")
    assert cg.certificate.globally_optimal and sparse.certificate.globally_optimal
    assert rel(cg.result.convex_objective, sparse.result.convex_objective) < 1e-8
