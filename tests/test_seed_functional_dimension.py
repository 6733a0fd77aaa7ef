"""results/functional-dimension.md against a fresh run of bench/functional_dimension.py: two parallel-chain rows
(certified face vertices, their deficits, a2 = 0 chains, the kink prediction) and one random-net cell."""

import pytest

from tests._seed_tables import bench_module, find_row

FILE = "functional-dimension.md"


@pytest.fixture(scope="module")
def fd():
    return bench_module("functional_dimension")


@pytest.mark.parametrize("model", ["deep-1d abs depth 3", "deep-1d relu depth 3"])
def test_chain_rows_reproduce(fd, model):
    spec = [m for m in fd.MODELS if m[0] == model]
    (row,) = fd.optimum_rows(models=spec)
    committed = find_row(FILE, model=model)
    for key, value in row.items():
        if key == "nets measured":
            continue
        assert committed[key] == str(value), (model, key)
    n = fd.VERTICES * len(fd.SEEDS)
    assert row["deficit = kink prediction"] == f"{n} of {n}"


def test_random_cell_reproduces(fd):
    from cvxnn.functional import random_fraction

    committed = find_row(FILE, activation="relu", d="4", width="4")
    assert committed["2 hidden"] == f"{random_fraction(4, (4, 4), fd.TRIALS, 'relu', seed=0):.2f}"


def test_kink_prediction_counts_a_flat_chain():
    """A single three-layer abs chain with a2 = 0 loses exactly one direction; with a2 > 0 none."""
    import numpy as np

    import cvxnn

    fd = bench_module("functional_dimension")
    x = np.linspace(-1, 1, 9)
    y = np.abs(x - 0.25)
    tr = cvxnn.train(x, y, cvxnn.Deep1D(3, "abs"), beta=1e-3)
    assert tr.certificate.globally_optimal
    for net, cert in fd.certified_vertices(tr, 2)[0]:
        assert cert.globally_optimal
        measured = fd.measure(net, x.reshape(-1, 1), True)
        assert measured["deficit"] == measured["predicted"] >= measured["a2_zero"]
