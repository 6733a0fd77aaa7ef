"""results/seed-sawtooth.md against a fresh computation: the least weight cost of exact fits of Yarotsky's sawtooth
g_3 at depths 2-4 and of x^2 with a free linear term, each recomputed here (the targets written here)."""

import numpy as np
import pytest

import cvxnn
from tests._seed_tables import find_row

FILE = "seed-sawtooth.md"
GRID = np.arange(17) / 16


def g3(x):
    for _ in range(3):
        x = 1.0 - np.abs(2.0 * x - 1.0)
    return x


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_sawtooth_rows(depth):
    row = find_row(FILE, target="g_3", depth=depth, **{"linear term": "no"})
    arch = cvxnn.TwoLayer("abs") if depth == 2 else cvxnn.Deep1D(depth, "abs")
    t = cvxnn.train(GRID, g3(GRID), arch, mode="interpolation")
    assert t.certificate.globally_optimal and row["certified"] == "yes"
    assert float(row["min l1"]) == pytest.approx(t.result.convex_objective, rel=1e-5)
    assert int(row["units"]) == t.network.width
    # the closed forms the table states: 56, 56/3, 8
    assert t.result.convex_objective == pytest.approx({2: 56.0, 3: 56.0 / 3.0, 4: 8.0}[depth], rel=1e-8)


def test_x_squared_with_a_linear_term_row():
    row = find_row(FILE, target="x^2", depth=3, **{"linear term": "yes"})
    t = cvxnn.train(GRID, GRID ** 2, cvxnn.Deep1D(3, "abs", linear_term=True), mode="interpolation")
    assert t.certificate.globally_optimal
    assert float(row["min l1"]) == pytest.approx(t.result.convex_objective, rel=1e-6)
    assert float(row["min l1"]) == pytest.approx(1 - 2.0 ** -4, rel=1e-6)


def test_yarotsky_chain_row_states_a_certified_optimum():
    row = find_row(FILE, units="4", certified="yes")
    assert float(row["weight cost"]) == pytest.approx(0.9375, rel=1e-12)
    assert float(row["lower bound"]) == pytest.approx(0.9375, rel=1e-9)
    assert float(row["certified gap"]) <= 1e-9
