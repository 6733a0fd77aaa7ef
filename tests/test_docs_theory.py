"""Numerical checks of statements the theory page proves that no other test covers."""

import numpy as np
import pytest

import cvxnn
from cvxnn.data import noisy_sine


def test_bias_free_relu_on_odd_symmetric_data_reaches_only_the_linear_fit():
    """Data closed under x -> -x with odd targets: every bias-free ReLU net's loss is at least the linear
    least-squares residual (g(x) - g(-x) is linear), and as beta -> 0 the certified optimum's loss reaches it. With a
    (penalised) bias the loss goes well below it."""
    rng = np.random.default_rng(0)
    P = rng.normal(size=(10, 2))
    X = np.vstack([P, -P])
    t = np.tanh(2 * P[:, 0]) + P[:, 1] ** 3
    y = np.concatenate([t, -t])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    linear_residual = 0.5 * np.sum((X @ coef - y) ** 2)
    losses = []
    for beta in (1e-3, 1e-5):
        trained = cvxnn.train(X, y, cvxnn.TwoLayer("relu", bias="none"), beta=beta)
        assert trained.globally_optimal
        losses.append(0.5 * np.sum((trained.network.predict(X) - y) ** 2))
    assert min(losses) >= linear_residual * (1 - 1e-9)
    assert losses[-1] == pytest.approx(linear_residual, rel=1e-6)
    biased = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=1e-5)
    assert 0.5 * np.sum((biased.network.predict(X) - y) ** 2) < 0.01 * linear_residual


@pytest.mark.parametrize("seed", range(4))
def test_relu_chains_never_beat_two_layer_abs(seed):
    """A ramp is (|x - a| - |x - b| + b - a) / 2: the depth-3 ReLU-chain optimum is never below the two-layer abs
    optimum on the same data and beta."""
    x, y = noisy_sine(9 + seed, seed=seed)
    for beta in (0.01, 0.1):
        two_abs = cvxnn.train(x, y, cvxnn.TwoLayer("abs"), beta=beta).certificate.objective
        relu3 = cvxnn.train(x, y, cvxnn.Deep1D(3, "relu"), beta=beta).certificate.objective
        assert relu3 >= two_abs * (1 - 1e-7)
