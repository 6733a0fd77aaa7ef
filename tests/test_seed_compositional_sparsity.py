"""results/seed-compositional-sparsity.md against a fresh computation: the group-restricted optimum (its own
certificate), a recovery cell, and the dense optimum beside it."""

import pytest

from tests._seed_tables import bench_module, find_row

FILE = "seed-compositional-sparsity.md"
ADDITIVE = "additive: r(x1 - x2) + r(x3 + x4)"


@pytest.fixture(scope="module")
def cs():
    return bench_module("seed_compositional_sparsity")


def test_restricted_optimum_reproduces(cs):
    committed = find_row(FILE, target=ADDITIVE, n=cs.N_TABLE)
    X, y = cs.instance(ADDITIVE, cs.N_TABLE, 0)
    rs = cs.restricted_solve(X, y)
    assert rs["certified"] and committed["certified (restricted)"] == "True"
    assert float(committed["restricted: objective"]) == pytest.approx(rs["objective"], rel=1e-5)
    assert int(committed["patterns (2)"]) == rs["patterns"]
    assert rs["lower"] <= rs["objective"]


def test_restricted_recovery_cell(cs):
    committed = find_row(FILE, target=ADDITIVE, program="restricted to groups")
    n = 16
    hits = sum(cs.recovered(cs.restricted_solve(*cs.instance(ADDITIVE, n, s))["net"], cs.TARGETS[ADDITIVE][1])
               for s in cs.SEEDS)
    assert committed[f"n = {n}"] == f"{hits}/{len(cs.SEEDS)}"


def test_dense_optimum_reproduces(cs):
    committed = find_row(FILE, target=ADDITIVE, n=cs.N_TABLE)
    X, y = cs.instance(ADDITIVE, cs.N_TABLE, 0)
    dn = cs.dense_solve(X, y)
    assert dn["certified"] and committed["certified"] == "True"
    assert float(committed["dense: objective"]) == pytest.approx(dn["objective"], rel=1e-5)
    assert int(committed["patterns"]) == dn["patterns"]
