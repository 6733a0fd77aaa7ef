"""Native Lasso adapters (sklearn, celer, skglm; cvxnn/solvers/native.py): they bypass CVXPY, agree with Clarabel,
are certified from the residual at high accuracy (same tolerances) and not at low accuracy, and refuse every program
that is not a Lasso training program with a message naming the solvers that take it."""

import subprocess
import sys

import numpy as np
import pytest

import cvxnn
from cvxnn.data import noisy_sine
from cvxnn.errors import InvalidParameterError, SolverNotInstalledError, UnsupportedCombinationError
from cvxnn.program import resolve_solver
from cvxnn.solvers import ADAPTERS, get_solver
from cvxnn.solvers.native import NativeLassoAdapter, lasso_quality

from .conftest import rel, require

NATIVE = sorted(name for name, a in ADAPTERS.items() if a.native_lasso)
MODELS = {
    "two-layer-relu": lambda: cvxnn.TwoLayer("relu"),
    "two-layer-relu-nobias": lambda: cvxnn.TwoLayer("relu", bias="none"),  # no output bias: no centring
    "deep3-abs": lambda: cvxnn.Deep1D(3, "abs"),
}


def test_native_adapters_are_registered_and_auto_stays_clarabel():
    assert {"sklearn", "celer", "skglm"} <= set(NATIVE)
    for name in NATIVE:
        a = ADAPTERS[name]
        assert a.problem_classes == ("LASSO",) and a.extra == "lasso"
        assert a.install_command() == 'pip install "cvxnn[lasso]"'
        opts = a().options("high")
        assert opts["tol"] == 1e-9 and opts["max_refinements"] >= 1
    assert resolve_solver("auto", "training") == "clarabel"
    assert not ADAPTERS["clarabel"].native_lasso


@pytest.fixture(scope="module")
def data():
    return noisy_sine(16, seed=3)


@pytest.fixture(scope="module")
def reference(data):
    x, y = data
    return {key: cvxnn.train(x, y, make(), beta=0.01) for key, make in MODELS.items()}


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("name", NATIVE)
def test_high_accuracy_agrees_with_clarabel_and_is_certified_from_the_residual(name, model, data, reference):
    require(ADAPTERS[name].module)
    x, y = data
    ref = reference[model]
    assert ref.certificate.globally_optimal and ref.result.run.solver == "clarabel"
    t = cvxnn.train(x, y, MODELS[model](), beta=0.01, solver=name, accuracy="high")
    run = t.result.run
    assert run.solver == name and run.status in ("optimal", "optimal_inaccurate"), run.raw_status
    assert rel(t.result.convex_objective, ref.result.convex_objective) < 1e-6
    assert t.result.dual is None and t.certificate.dual_source == "residual"
    assert t.certificate.tolerances == ref.certificate.tolerances  # nothing loosened for native solvers
    assert t.certificate.globally_optimal, t.certificate.failures
    np.testing.assert_allclose(t.network.predict(x), ref.network.predict(x), atol=1e-5)
    assert run.options == get_solver(name).options("high") and run.tolerance == 1e-9
    assert run.iterations > 0 and run.times["compile"] == 0.0 and 0 < run.times["solve"] <= run.times["wall"]


@pytest.mark.parametrize("name", NATIVE)
def test_low_accuracy_is_not_certified(name, data):
    require(ADAPTERS[name].module)
    x, y = data
    for key in ("two-layer-relu", "deep3-abs"):  # (the bias-free dictionary has 2 columns: exact at any accuracy)
        t = cvxnn.train(x, y, MODELS[key](), beta=0.01, solver=name, accuracy="low")
        assert t.result.run.status in ("optimal", "optimal_inaccurate")
        assert not t.certificate.certified


@pytest.mark.parametrize("name", NATIVE)
def test_interpolation_and_arrangement_programs_are_refused(name, data):
    require(ADAPTERS[name].module)
    x, y = data
    with pytest.raises(UnsupportedCombinationError, match="native Lasso solver") as info:
        cvxnn.train(x, y, cvxnn.TwoLayer("relu"), mode="interpolation", solver=name)
    assert "interpolation" in str(info.value) and "clarabel" in str(info.value) and "highs" in str(info.value)
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(UnsupportedCombinationError, match="native Lasso solver") as info:
        cvxnn.train(X, X[:, 0] ** 2, cvxnn.TwoLayer("relu"), beta=0.1, solver=name)
    assert "d >= 2" in str(info.value) and "clarabel" in str(info.value)
    with pytest.raises(UnsupportedCombinationError, match="native Lasso solver"):
        cvxnn.train(X, X[:, 0] ** 2, cvxnn.GatedReLU(), beta=0.1, solver=name)


def test_column_generation_is_refused_with_the_way_out(data):
    require("sklearn")
    x, y = data
    with pytest.raises(UnsupportedCombinationError, match="column_generation=False"):
        cvxnn.train(x, y, cvxnn.Deep1D(3, "abs", column_generation=True), beta=0.01, solver="sklearn")
    t = cvxnn.train(x, y, cvxnn.Deep1D(3, "abs", column_generation=False), beta=0.01, solver="sklearn")
    assert t.certificate.globally_optimal


def test_wedge_lasso_in_two_dimensions_is_a_plain_lasso():
    """The l1-normalised abs net in d = 2 is a finite Lasso: native solvers take it (only the program type
    matters, not d)."""
    require("sklearn")
    X = np.random.default_rng(1).normal(size=(8, 2))
    y = np.abs(X[:, 0] - X[:, 1])
    arch = cvxnn.TwoLayer("abs", inner_norm="l1")
    ref = cvxnn.train(X, y, arch, beta=0.05)
    t = cvxnn.train(X, y, arch, beta=0.05, solver="sklearn")
    assert rel(t.result.convex_objective, ref.result.convex_objective) < 1e-6
    assert t.certificate.certified == ref.certificate.certified


def test_warm_start_and_program_state(data):
    require("sklearn")
    x, y = data
    prog = cvxnn.build(x, y, cvxnn.Deep1D(3, "abs"), beta=0.01)
    first = prog.solve(solver="sklearn", accuracy="high", prune=False)
    np.testing.assert_allclose(prog.z.value, first.z)  # written back into the CVXPY variables
    again = prog.solve(solver="sklearn", accuracy="high", warm_start=True, prune=False)
    assert again.run.iterations < first.run.iterations
    assert rel(again.convex_objective, first.convex_objective) < 1e-9
    prog.set_beta(0.02)  # a beta path works as with CVXPY solvers
    res = prog.solve(solver="sklearn", accuracy="high")
    assert cvxnn.certify(prog, res).globally_optimal


def test_unknown_option_is_refused_and_known_ones_pass_through(data):
    require("sklearn")
    x, y = data
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu"), beta=0.01)
    with pytest.raises(InvalidParameterError, match="'eps_abs'"):
        prog.solve(solver="sklearn", eps_abs=1e-5)
    res = prog.solve(solver="sklearn", accuracy="high", max_iter=5, max_refinements=0)
    assert res.run.options["max_iter"] == 5 and res.run.status in ("optimal_inaccurate", "user_limit")
    assert "iteration cap hit" in res.run.raw_status and not cvxnn.certify(prog, res).certified


def test_lasso_quality_matches_the_certificate(data):
    x, y = data
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu", formulation="dense"), beta=0.01)
    res = prog.solve(prune=False)
    A = prog.dictionary.matrix
    q = lasso_quality(A - A.mean(0), y - y.mean(), res.z, 0.01)
    cert = cvxnn.certify(prog, res)
    assert q["violation"] < 1e-6 and q["rel_gap"] < 1e-6 and cert.globally_optimal
    assert abs(q["primal"] - res.convex_objective) < 1e-9


def test_missing_native_solver_gives_the_install_command(monkeypatch):
    from cvxnn.solvers import registry
    from cvxnn.solvers.sklearn_lasso import SklearnLassoAdapter

    class Missing(SklearnLassoAdapter):
        name = "missinglasso"
        module = "cvxnn_no_such_module_xyz"

    monkeypatch.setitem(registry.ADAPTERS, "missinglasso", Missing)
    with pytest.raises(SolverNotInstalledError, match=r'pip install "cvxnn\[lasso\]"'):
        get_solver("missinglasso")


def test_install_checks_do_not_import_the_packages():
    code = ("import sys, cvxnn; from cvxnn.solvers import ADAPTERS, installed_solvers; installed_solvers(); "
            "[a.version() for a in ADAPTERS.values()]; print(sorted(m for m in ('sklearn', 'celer', 'skglm') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cli_lists_native_solvers(capsys):
    from cvxnn.cli import main

    assert main(["solvers"]) == 0
    out = capsys.readouterr().out
    for name in ("sklearn", "celer", "skglm"):
        assert name in out
    assert "LASSO" in out and 'cvxnn[lasso]' in out


def test_base_class_refuses_cvxpy_problems():
    class Dummy(NativeLassoAdapter):
        name, module, distribution = "dummy", "numpy", "numpy"

        def solver_options(self, accuracy):
            return {}

        def _make(self, n, beta, opts):
            return None

        def _fit(self, est, Ac, yc, solver_tol, z0):
            raise AssertionError

    import cvxpy as cp

    v = cp.Variable(2)
    with pytest.raises(UnsupportedCombinationError, match="Solvers that take this LP"):
        Dummy().solve(cp.Problem(cp.Minimize(cp.sum(v)), [v >= 0]))
