"""results/seed-positive-homogeneity.md against a fresh computation: R_lin, the bias-free exact optimum (loss on
the linear floor, patterns, width) and a penalised-bias optimum, and the floor itself on a random bias-free net."""

import numpy as np
import pytest

import cvxnn
from tests._seed_tables import bench_module, find_row

FILE = "seed-positive-homogeneity.md"


@pytest.fixture(scope="module")
def ph():
    return bench_module("seed_positive_homogeneity")


def _row(ph, index, beta):
    name = ph.DATASETS[index][0]
    return find_row(FILE, data=name, beta=ph.g(beta))


def test_bias_free_optimum_sits_on_the_linear_floor(ph):
    X, t = ph.DATASETS[1][1]()
    committed = _row(ph, 1, 1e-4)
    R = ph.r_lin(X, t)
    assert float(committed["R_lin"]) == pytest.approx(R, rel=1e-7)
    tr = cvxnn.train(X, t, cvxnn.TwoLayer("relu", bias="none"), beta=1e-4)
    assert tr.certificate.globally_optimal and committed["certified"] == "yes"
    loss = ph.loss(tr.network, X, t)
    assert loss >= R - 1e-9  # the floor
    assert float(committed["bias-free objective"]) == pytest.approx(tr.certificate.objective, rel=1e-6)
    assert float(committed["loss"]) == pytest.approx(loss, rel=1e-6)
    assert int(committed["patterns"]) == tr.program.summary()["n_patterns"]
    assert int(committed["width"]) == tr.network.width
    assert int(committed["opposite pairs"]) == ph.opposite_pair_count(tr.network)


def test_penalised_bias_optimum(ph):
    X, t = ph.DATASETS[0][1]()
    committed = _row(ph, 0, 0.1)
    tr = cvxnn.train(X, t, cvxnn.TwoLayer("relu", bias="penalized"), beta=0.1)
    assert tr.certificate.globally_optimal
    objective, loss, patterns = committed["penalised-bias objective"], committed["loss (2)"], committed["patterns (2)"]
    assert committed["certified (2)"] == "yes"
    assert float(objective) == pytest.approx(tr.certificate.objective, rel=1e-5)
    assert float(loss) == pytest.approx(ph.loss(tr.network, X, t), rel=1e-2)
    assert int(patterns) == tr.program.summary()["n_patterns"]
    assert float(loss) < float(committed["R_lin"])


def test_no_bias_free_one_hidden_layer_net_goes_below_the_floor(ph):
    """The odd-part argument, on random bias-free nets of several widths."""
    X, t = ph.DATASETS[2][1]()
    R = ph.r_lin(X, t)
    rng = np.random.default_rng(0)
    for width in (1, 3, 10, 50):
        W, a = rng.standard_normal((width, X.shape[1])), rng.standard_normal(width)
        # the best output layer for these units is a least-squares fit: still above R_lin
        H = np.maximum(X @ W.T, 0.0)
        coef = np.linalg.lstsq(H, t, rcond=None)[0]
        for alpha in (a, coef):
            r = H @ alpha - t
            assert 0.5 * float(r @ r) >= R - 1e-9
