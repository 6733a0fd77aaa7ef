"""Column, angular and pattern generation stopped after one round are NOT certified globally optimal.

A working set's optimum is optimal for the working set only; only the oracle over ALL columns / directions /
patterns may certify it. Each instance here needs more than one round (the full run adds columns after its first
round and ends at a strictly lower objective), so a run stopped after one round returns a net that is worse than
the optimum by more than the certificate's tolerance, and a sound certificate must refuse it. A certificate that
priced only the working set would accept it.
"""

import numpy as np
import pytest

import cvxnn


def sine(seed, n):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2.0, 2.0, n))
    return x, np.sin(2 * x) + 0.1 * rng.standard_normal(n)


def cloud(seed, n, d):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (n, d)), rng.standard_normal(n)


def check_one_round_is_refused(full_prog, one_prog, full_res, one_res, rounds):
    full = cvxnn.certify(full_prog, full_res)
    one = cvxnn.certify(one_prog, one_res)
    assert full.globally_optimal, full.failures
    assert len(rounds) > 1 and rounds[0]["added"] > 0 and rounds[-1]["added"] == 0  # needs more than one round
    # the one-round net is worse than the certified optimum by more than the tolerance 1e-9 + 1e-6 |objective|
    assert one.objective > full.objective + 1e-9 + 1e-6 * abs(full.objective)
    assert not one.certified and not one.globally_optimal
    assert any("certified gap" in f for f in one.failures)
    assert one.scope == "global"  # judged by the full oracle ...
    assert one.dual_violation > 1 + 1e-6  # ... which the working set's dual violates


def test_deep_1d_abs_column_generation_stopped_after_one_round():
    x, y = sine(0, 12)
    arch = cvxnn.Deep1D(4, "abs", column_generation=True)
    full_prog = cvxnn.build(x, y, arch, beta=0.01)
    full_res = full_prog.solve()
    one_prog = cvxnn.build(x, y, arch, beta=0.01)
    one_prog.max_rounds = 1
    one_res = one_prog.solve()
    assert len(one_prog.summary()["column_generation"]["rounds"]) == 1
    check_one_round_is_refused(full_prog, one_prog, full_res, one_res,
                               full_prog.summary()["column_generation"]["rounds"])


@pytest.mark.parametrize("d,n,seed", [(2, 6, 2), (3, 5, 2)])
def test_deep_abs_l2_angular_generation_stopped_after_one_round(d, n, seed):
    X, y = cloud(seed, n, d)
    arch = cvxnn.DeepAbs(3, inner_norm="l2")
    full_prog = cvxnn.build(X, y, arch, beta=0.05)
    full_res = full_prog.solve()
    one_prog = cvxnn.build(X, y, arch, beta=0.05)
    one_prog.max_rounds = 1
    one_res = one_prog.solve()
    assert len(one_prog.summary()["column_generation"]["angular_rounds"]) == 1
    check_one_round_is_refused(full_prog, one_prog, full_res, one_res,
                               full_prog.summary()["column_generation"]["angular_rounds"])


@pytest.mark.parametrize("d,n,seed", [(2, 10, 0), (3, 8, 0)])
def test_pattern_generation_stopped_after_one_round(d, n, seed):
    X, y = cloud(seed, n, d)
    arch = cvxnn.TwoLayer("relu", column_generation=True)
    full_prog = cvxnn.build(X, y, arch, beta=0.05)
    full_res = full_prog.solve()
    one_prog = cvxnn.build(X, y, arch, beta=0.05)
    one_res = one_prog.solve(max_rounds=1)
    assert len(one_prog.summary()["column_generation"]["rounds"]) == 1
    check_one_round_is_refused(full_prog, one_prog, full_res, one_res,
                               full_prog.summary()["column_generation"]["rounds"])
