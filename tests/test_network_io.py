"""Network serialisation and PyTorch interop preserve predictions exactly."""

import json

import numpy as np
import pytest

import cvxnn
from cvxnn.network import Network

from .conftest import require


@pytest.fixture(scope="module")
def nets():
    from cvxnn.data import noisy_sine

    x, y = noisy_sine(12, seed=3)
    out = {a: cvxnn.train(x, y, cvxnn.TwoLayer(a), beta=0.05).network for a in ("relu", "leaky", "abs")}
    out["sign-amplitude"] = cvxnn.train(x, y, cvxnn.TwoLayer("sign"), beta=0.05).network
    out["threshold-l1"] = cvxnn.train(x, y, cvxnn.TwoLayer("threshold", sign_objective="l1-outer"), beta=0.05).network
    return out


GRID = np.linspace(-4, 4, 1001)


@pytest.mark.parametrize("name", ["relu", "leaky", "abs", "sign-amplitude", "threshold-l1"])
def test_save_load_round_trip(tmp_path, nets, name):
    net = nets[name]
    path = net.save(tmp_path / f"{name}.npz")
    back = Network.load(path)
    np.testing.assert_array_equal(back.predict(GRID), net.predict(GRID))
    assert back.penalty_value() == net.penalty_value()
    # the JSON side file describes the same layers
    desc = json.loads(path.with_suffix(".json").read_text())
    assert len(desc["layers"]) == len(net.layers)
    again = Network.from_dict(desc)
    np.testing.assert_allclose(again.predict(GRID), net.predict(GRID), rtol=0, atol=1e-13)


def test_load_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(cvxnn.ProblemFileError, match="could not read"):
        Network.load(bad)


@pytest.mark.parametrize("name", ["relu", "leaky", "abs"])
def test_torch_round_trip(nets, name):
    torch = require("torch")

    net = nets[name]
    module = net.to_torch()
    with torch.no_grad():
        out = module(torch.from_numpy(GRID.reshape(-1, 1))).numpy()[:, 0]
    # torch sums in another order: equal up to rounding; the weights themselves round-trip bit for bit
    np.testing.assert_allclose(out, net.predict(GRID), rtol=0, atol=1e-13)
    back = Network.from_torch(module, net.penalty)
    np.testing.assert_array_equal(back.predict(GRID), net.predict(GRID))
    assert back.penalty_value() == net.penalty_value()


def test_from_torch_rejects_unknown_modules():
    torch = require("torch")
    module = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1))
    with pytest.raises(cvxnn.InvalidParameterError, match="Sigmoid"):
        cvxnn.Network.from_torch(module, cvxnn.Penalty(1.0, []))
