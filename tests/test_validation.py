"""Every bad input raises a cvxnn exception (subclassing the matching built-in) with a helpful message."""

import numpy as np
import pytest

import cvxnn
from cvxnn.errors import (CvxnnError, InvalidDataError, InvalidParameterError, SolverNotInstalledError,
                          UnknownSolverError, UnsupportedCombinationError)

X = np.array([0.0, 1.0, 2.0, 3.5])
Y = np.array([0.0, 1.0, 0.5, 2.0])


@pytest.mark.parametrize(
    "x, y, message",
    [
        (np.array([0.0, np.nan, 2.0, 3.0]), Y, "non-finite"),
        (X, np.array([0.0, np.inf, 1.0, 2.0]), "non-finite"),
        (np.zeros((4, 1, 1)), Y, "2-D array"),
        (X, np.zeros((4, 2)), "y must be 1-D"),
        (X, Y[:3], "same number of samples"),
        (np.array([]), np.array([]), "at least 2 training points"),
        (np.array([1.0]), np.array([2.0]), "at least 2 training points"),
        (np.array(["a", "b"]), np.array([1.0, 2.0]), "must be numeric"),
        (np.array([0.0, 1.0, 1.0, 2.0]), Y, "repeated input point"),
        (np.array([3.0, 3.0]), np.array([1.0, 2.0]), "repeated input point"),
        (np.zeros((4, 0)), Y, "no feature columns"),
    ],
)
def test_bad_data(x, y, message):
    with pytest.raises(InvalidDataError, match=message) as info:
        cvxnn.build(x, y, cvxnn.TwoLayer("relu"), beta=0.1)
    assert isinstance(info.value, ValueError) and isinstance(info.value, CvxnnError)


@pytest.mark.parametrize("beta", [0, -1.0, np.nan, np.inf, "0.1", None, True])
def test_bad_beta(beta):
    with pytest.raises(InvalidParameterError, match="beta must be a finite number > 0"):
        cvxnn.build(X, Y, cvxnn.TwoLayer("relu"), beta=beta)


def test_unknown_activation_suggests_closest():
    with pytest.raises(InvalidParameterError, match="Did you mean 'relu'"):
        cvxnn.TwoLayer("rleu")


def test_unknown_bias_convention():
    with pytest.raises(InvalidParameterError, match="bias convention"):
        cvxnn.TwoLayer("relu", bias="freee")


def test_refused_combination_step_units_without_free_bias():
    with pytest.raises(UnsupportedCombinationError, match="bias='free' only"):
        cvxnn.build(X, Y, cvxnn.TwoLayer("sign", bias="none"), beta=0.1)


def test_refused_free_bias_in_several_dimensions():
    with pytest.raises(UnsupportedCombinationError, match="2 columns"):
        cvxnn.build(np.random.default_rng(0).normal(size=(5, 2)), np.ones(5), cvxnn.TwoLayer("relu", bias="free"),
                    beta=0.1)


@pytest.mark.parametrize("slope", [0.0, 1.0, -0.2, 2.0])
def test_bad_leaky_slope(slope):
    with pytest.raises(InvalidParameterError, match="strictly between 0 and 1"):
        cvxnn.TwoLayer("leaky", leaky_slope=slope)


def test_misspelled_solver():
    prog = cvxnn.build(X, Y, cvxnn.TwoLayer("relu"), beta=0.1)
    with pytest.raises(UnknownSolverError, match="Did you mean 'clarabel'") as info:
        prog.solve(solver="clarabl")
    assert isinstance(info.value, ValueError)


def test_missing_solver_lists_installed_and_install_command(monkeypatch):
    from cvxnn.solvers import registry
    from cvxnn.solvers.base import SolverAdapter

    class Missing(SolverAdapter):
        name = "missingsolver"
        cvxpy_name = "MISSING"
        module = "cvxnn_no_such_module_xyz"
        distribution = "missingsolver-pkg"

    monkeypatch.setitem(registry.ADAPTERS, "missingsolver", Missing)
    with pytest.raises(SolverNotInstalledError, match="pip install missingsolver-pkg") as info:
        cvxnn.get_solver("missingsolver")
    assert "clarabel" in str(info.value) and isinstance(info.value, ImportError)


def test_bad_accuracy():
    prog = cvxnn.build(X, Y, cvxnn.TwoLayer("relu"), beta=0.1)
    with pytest.raises(InvalidParameterError, match="Did you mean 'high'"):
        prog.solve(accuracy="hihg")


def test_duplicates_merge_is_exact():
    """Repeated points share a breakpoint while every sample counts: the optimum is continuous in the data, so it
    matches the optimum with the repeat moved by 1e-9."""
    x = np.array([0.0, 1.0, 1.0, 2.0, 3.0, 4.5])
    y = np.array([0.0, 1.0, 1.4, 0.5, 2.0, 1.0])
    t = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.05, duplicates="merge")
    assert t.certificate.globally_optimal
    assert abs(t.network.objective(x, y) - t.result.convex_objective) < 1e-8
    x2 = x.copy()
    x2[2] += 1e-9
    t2 = cvxnn.train(x2, y, cvxnn.TwoLayer("relu"), beta=0.05)
    assert abs(t.result.convex_objective - t2.result.convex_objective) < 1e-6
    assert t.program.size == 2 * 5 - 2  # 5 distinct points, two identically-zero relu columns dropped
    with pytest.raises(InvalidParameterError, match="duplicates policy"):
        cvxnn.build(x, y, cvxnn.TwoLayer("relu"), beta=0.1, duplicates="average")
