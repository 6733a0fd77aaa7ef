"""Solver adapters: agreement at high accuracy, option mapping, status vocabulary, timings."""

import numpy as np
import pytest

import cvxnn
from cvxnn.data import noisy_sine
from cvxnn.solvers import ACCURACIES, ADAPTERS, STATUSES, get_solver, map_status

from .conftest import ACTIVATIONS, rel


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("bias", ["free", "none"])
def test_clarabel_and_scs_agree_at_high_accuracy(activation, bias):
    x, y = noisy_sine(20, seed=7)
    runs = {s: cvxnn.train(x, y, cvxnn.TwoLayer(activation, bias=bias), beta=0.02, solver=s) for s in ("clarabel", "scs")}
    a, b = runs["clarabel"], runs["scs"]
    assert rel(a.result.convex_objective, b.result.convex_objective) < 1e-6
    # the fit at the data is unique (strictly convex loss), even where the coefficients are not
    np.testing.assert_allclose(a.network.predict(x), b.network.predict(x), atol=1e-5)
    assert a.certificate.globally_optimal and b.certificate.globally_optimal


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_option_mapping_and_report(name):
    adapter = get_solver(name)
    for acc, tol in ACCURACIES.items():
        opts = adapter.options(acc)
        assert tol in opts.values() or max(tol, 1e-10) in opts.values(), (name, acc, opts)  # passed explicitly
    x, y = noisy_sine(8, seed=0)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu"), beta=0.1)
    res = prog.solve(solver=name, accuracy="mid")
    run = res.run
    assert run.status in STATUSES and run.tolerance == 1e-6 and run.options == adapter.options("mid")
    assert run.iterations and run.iterations > 0
    assert run.times["wall"] > 0 and run.times["solve"] is not None and 0 <= run.times["solve"] <= run.times["wall"]
    assert adapter.version()


def test_status_vocabulary():
    assert map_status("optimal") == "optimal"
    assert map_status("optimal_inaccurate") == "optimal_inaccurate"
    assert map_status("infeasible_inaccurate") == "infeasible"
    assert map_status("unbounded") == "unbounded"
    assert map_status("user_limit") == "user_limit"
    assert map_status("something new") == "solver_error"


def test_iteration_cap_reports_failure_or_uncertified():
    """SCS stopped after a few iterations may still say optimal_inaccurate: only the certificate decides."""
    x, y = noisy_sine(30, seed=2)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer("relu"), beta=0.01)
    try:
        res = prog.solve(solver="scs", accuracy="high", max_iters=30)
    except cvxnn.SolverFailedError as exc:
        assert "returned no solution" in str(exc)
        return
    assert res.run.status in ("optimal_inaccurate", "user_limit", "optimal")
    assert not cvxnn.certify(prog, res).certified


TINY = [("relu", "opt"), ("abs", "zshape"), ("leaky", "bounce"), ("sign", "opt"), ("threshold", "zshape")]


@pytest.fixture(scope="module")
def clarabel_reference():
    from cvxnn.data import TOY_SETS

    out = {}
    for act, toy in TINY:
        x, y = (np.array(v, float) for v in TOY_SETS[toy])
        out[act, toy] = (x, y, cvxnn.train(x, y, cvxnn.TwoLayer(act), beta=0.1))
    return out


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_agrees_with_clarabel(name, clarabel_reference):
    """Every registered adapter (a missing one fails in CI) solves the tiny problems; at high accuracy its
    objective agrees with Clarabel's to 1e-6; whenever its result is certified, the objective agrees to 1e-7
    (a certificate never vouches for a wrong answer), whatever the accuracy."""
    from .conftest import require

    require(ADAPTERS[name].module)
    for (act, toy), (x, y, ref) in clarabel_reference.items():
        assert ref.certificate.globally_optimal
        high = cvxnn.train(x, y, cvxnn.TwoLayer(act), beta=0.1, solver=name, accuracy="high")
        assert rel(high.result.convex_objective, ref.result.convex_objective) < 1e-6, (name, act, toy)
        low = cvxnn.train(x, y, cvxnn.TwoLayer(act), beta=0.1, solver=name, accuracy="low")
        for t in (high, low):
            if t.certificate.certified:
                assert rel(t.network.objective(x, y), ref.result.convex_objective) < 1e-7
            assert t.result.run.tolerance == cvxnn.ACCURACIES[t.result.run.accuracy]
