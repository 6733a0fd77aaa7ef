import os

import numpy as np
import pytest

import cvxnn
from cvxnn.data import noisy_sine

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ACTIVATIONS = ("relu", "leaky", "abs")


def require(module_name: str):
    """Import an optional dependency; skip without it locally, FAIL without it in CI (CI=true)."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ImportError:
        if IN_CI:
            pytest.fail(f"optional dependency {module_name!r} is missing in CI; install the test extra")
        pytest.skip(f"{module_name} not installed")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tests train tiny torch models: one thread is fastest, and two thrash on a busy 2-core runner."""
    try:
        import torch
    except ImportError:  # tests that need torch fail or skip on their own (see require)
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def sine12():
    return noisy_sine(12, seed=0)


@pytest.fixture(scope="session")
def trained_by_activation(sine12):
    """Clarabel high-accuracy solves on the same data, one per activation (shared to keep the suite fast)."""
    x, y = sine12
    return {a: cvxnn.train(x, y, cvxnn.TwoLayer(a), beta=0.05) for a in ACTIVATIONS}


def rel(a, b):
    return abs(a - b) / max(1.0, abs(b))


__all__ = ["require", "rel", "np"]
