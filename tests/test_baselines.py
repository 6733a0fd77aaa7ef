"""The nonconvex PyTorch baseline (cvxnn.baselines): it never beats the certified lower bound, its best network is a
real cvxnn Network with the convex reconstruction's layout and penalty, and its summary reports how often training
reaches the optimum and where it gets stuck.

Torch tests use ``require('torch')``: they skip locally without torch and FAIL in CI. Input checks need no torch.
"""

import sys

import numpy as np
import pytest

import cvxnn
from cvxnn.baselines import BaselineResult, compare_with_convex, plateaus, train_nonconvex
from cvxnn.data import noisy_sine
from cvxnn.errors import InvalidDataError, InvalidParameterError, UnsupportedCombinationError

from .conftest import require

BETA = 0.1
BOUND_ATOL = 1e-12
#: the best start must reach the optimum within this (relative) where training is reliable
BEST_RTOL = 1e-3
#: default-settings runs on noisy_sine(8, seed 0): (architecture, assert that the best start reaches the optimum)
MAIN = {
    "two-layer-relu": (cvxnn.TwoLayer("relu"), True),
    # deep relu chains reach the optimum from most starts here (best <= 7e-5 relative on seeds 0-5), so assert it
    "deep3-relu": (cvxnn.Deep1D(3, "relu"), True),
    # three-layer abs training stalls 0.3-8% above the optimum; on seed 0 two of 32 starts get within 1e-3
    # and 23 stall at +0.35% (seeds 3 and 5: none within 1e-3). Measured and reported, not asserted.
    "deep3-abs": (cvxnn.Deep1D(3, "abs"), False),
}
#: small-settings runs that check the network layout and the bound for the other architectures
SMALL = dict(starts=8, adam_steps=300, lbfgs_steps=50)
LAYOUT = {
    "two-layer-leaky": cvxnn.TwoLayer("leaky", leaky_slope=0.2),
    "two-layer-abs": cvxnn.TwoLayer("abs"),
    "two-layer-relu-nobias": cvxnn.TwoLayer("relu", bias="none"),
    "sign-amplitude": cvxnn.TwoLayer("sign"),
    "threshold-l1-outer": cvxnn.TwoLayer("threshold", sign_objective="l1-outer"),
    "deep2-abs": cvxnn.Deep1D(2, "abs"),
    "deep4-relu": cvxnn.Deep1D(4, "relu"),
}


@pytest.fixture(scope="module")
def sine8():
    return noisy_sine(8, seed=0)


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def _check_layout(net, reference):
    """Same layer structure, activations and Penalty as the convex reconstruction (widths may differ)."""
    assert len(net.layers) == len(reference.layers)
    m = net.layers[0].weight.shape[0]
    for k, (ours, theirs) in enumerate(zip(net.layers, reference.layers)):
        assert ours.activation == theirs.activation, k
        if k == 0:
            assert ours.weight.shape == (m, 1) and ours.bias.shape == (m,)
        elif k == len(net.layers) - 1:
            assert ours.weight.shape == (1, m) and ours.bias.shape == (1,)
        else:  # diagonal chain / amplitude layers
            assert ours.weight.shape == (m, m) and np.array_equal(ours.weight, np.diag(np.diag(ours.weight)))
            if theirs.activation.name == "identity":  # amplitude layers carry no bias
                assert not np.any(ours.bias)
    assert net.penalty == reference.penalty
    if not np.any(reference.layers[0].bias):  # bias='none'
        assert not np.any(net.layers[0].bias) and not np.any(net.layers[-1].bias)


def _check_result(result, x, y, trained):
    """Every start: finite, not below the certified lower bound, its Network objective equal to its entry."""
    obj = result.objectives
    S = result.settings["starts"]
    assert obj.shape == (S,) and obj.dtype == np.float64 and np.all(np.isfinite(obj))
    bound = trained.certificate.dual_objective
    assert np.all(obj >= bound - BOUND_ATOL), (obj.min(), bound)
    best = result.best_network
    assert _rel(best.objective(x, y), obj.min()) <= 1e-10, (best.objective(x, y), obj.min())
    assert isinstance(best, cvxnn.Network) and best.meta["start"] == int(np.argmin(obj))
    _check_layout(best, trained.network)
    for i in range(S):
        assert _rel(result.network(i).objective(x, y), obj[i]) <= 1e-10, i
    # the penalty, written out from the trained parameters (independently of cvxnn's Penalty)
    P, i = result.parameters, int(np.argmin(obj))
    pen = best.penalty_value()
    if "s" in P:
        assert _rel(pen, 0.5 * BETA * (np.sum(P["alpha"][i] ** 2) + np.sum(P["s"][i] ** 2))) <= 1e-12
    elif trained.network.meta.get("sign_objective") == "l1-outer":
        assert _rel(pen, BETA * np.sum(np.abs(P["alpha"][i]))) <= 1e-12
    else:
        L = P["W"].shape[0] + 1
        assert _rel(pen, BETA / L * (np.sum(np.abs(P["alpha"][i]) ** L) + np.sum(np.abs(P["W"][:, i]) ** L))) <= 1e-12


def _check_summary(s, obj, optimum, tol):
    assert s["n_starts"] == obj.size
    assert s["best"] == obj.min() and s["worst"] == obj.max() and s["median"] == np.median(obj)
    within = obj <= optimum * (1 + tol) + 1e-15
    assert s["n_within_tol"] == int(within.sum()) and s["fraction_within_tol"] == pytest.approx(within.mean())
    assert s["best_rel_gap"] == pytest.approx((obj.min() - optimum) / optimum, abs=1e-15)
    pl = s["stuck_values"]
    values = [p["value"] for p in pl]
    assert sum(p["count"] for p in pl) == obj.size and values == sorted(values) and values[0] == obj.min()
    for k, p in enumerate(pl):  # each plateau: [value, next plateau) holds exactly `count` starts, all within 1e-4
        upper = pl[k + 1]["value"] if k + 1 < len(pl) else np.inf
        members = obj[(obj >= p["value"]) & (obj < upper)]
        assert members.size == p["count"] and p["value"] in obj
        assert np.all(members <= p["value"] * (1 + 1e-4))
        assert upper > p["value"] * (1 + 1e-4)
        assert p["rel_gap"] == pytest.approx((p["value"] - optimum) / optimum, abs=1e-15)


@pytest.fixture(scope="module")
def main_runs(sine8):
    """Certified solves and default-settings baselines (32 starts, 2000 Adam + 300 L-BFGS steps, width 2n)."""
    require("torch")
    x, y = sine8
    out = {}
    for name, (arch, _) in MAIN.items():
        trained = cvxnn.train(x, y, arch, beta=BETA)
        assert trained.globally_optimal, trained.certificate.summary()
        out[name] = (trained, compare_with_convex(x, y, arch, BETA, trained=trained))
    return out


@pytest.mark.parametrize("name", list(MAIN))
def test_baseline_against_certified_optimum(name, main_runs, sine8, record_property):
    x, y = sine8
    trained, report = main_runs[name]
    result = report["result"]
    assert isinstance(result, BaselineResult)
    _check_result(result, x, y, trained)
    opt, bound = trained.certificate.objective, trained.certificate.dual_objective
    assert report["certified_optimum"] == opt and report["certified_lower_bound"] == bound
    assert report["globally_optimal"] is True and report["never_below_bound"] is True
    assert report["min_minus_bound"] == pytest.approx(result.objectives.min() - bound)
    assert report["fraction_reaching_optimum"] == report["fraction_within_tol"]
    _check_summary(report, result.objectives, opt, 1e-3)
    _check_summary(result.summary(opt, tol=1e-2), result.objectives, opt, 1e-2)
    settings = result.settings
    assert settings["width"] == 2 * x.size and settings["starts"] == 32 and settings["threads"] == 1
    assert settings["architecture"] == MAIN[name][0].describe()
    numbers = {k: report[k] for k in ("certified_optimum", "certified_lower_bound", "best", "worst", "median",
                                      "best_rel_gap", "worst_rel_gap", "fraction_reaching_optimum",
                                      "nonconvex_seconds")}
    numbers["stuck_values"] = [(round(p["rel_gap"], 5), p["count"]) for p in report["stuck_values"]]
    record_property(f"baseline_{name}", numbers)
    print(f"\nbaseline {name}: {numbers}")
    if MAIN[name][1]:
        assert report["best_rel_gap"] <= BEST_RTOL, numbers
        assert report["n_reaching_optimum"] >= 1


@pytest.mark.parametrize("name", list(LAYOUT))
def test_layout_and_bound_other_architectures(name, sine8):
    require("torch")
    x, y = sine8
    arch = LAYOUT[name]
    trained = cvxnn.train(x, y, arch, beta=BETA)
    result = train_nonconvex(x, y, arch, BETA, seed=1, **SMALL)
    _check_result(result, x, y, trained)
    if arch.activation in ("sign", "threshold"):
        assert "surrogate" in result.settings and result.settings["evaluation"] == "hard activation"


def test_deterministic_and_threads_restored(sine8):
    torch = require("torch")
    x, y = sine8
    before = torch.get_num_threads()
    a = train_nonconvex(x, y, cvxnn.Deep1D(3, "abs"), BETA, seed=3, threads=1, **SMALL)
    b = train_nonconvex(list(x), list(y), cvxnn.Deep1D(3, "abs"), BETA, seed=3, threads=1, **SMALL)
    assert torch.get_num_threads() == before
    np.testing.assert_array_equal(a.objectives, b.objectives)
    c = train_nonconvex(x, y, cvxnn.Deep1D(3, "abs"), BETA, seed=4, width=5, **SMALL)
    assert c.parameters["W"].shape == (2, 8, 5) and c.best_network.width == 5
    assert not np.array_equal(a.objectives, c.objectives)
    s = c.summary()  # no optimum: relative to the best start
    assert s["reference"] == "best start" and s["best_rel_gap"] == 0.0 and s["n_within_tol"] >= 1
    with pytest.raises(InvalidParameterError):
        c.network(8)


def test_plateaus():
    pl = plateaus([2.0, 1.00005, 1.0, 1.0002, 2.0])
    assert [(p["value"], p["count"]) for p in pl] == [(1.0, 2), (1.0002, 1), (2.0, 2)]
    assert [p["fraction"] for p in pl] == [0.4, 0.2, 0.4]
    pl = plateaus([np.inf, 3.0, np.inf])  # diverged starts are reported as +inf and form one plateau
    assert [(p["value"], p["count"]) for p in pl] == [(3.0, 1), (np.inf, 2)]


# ----------------------------------------------------------------------------------- bad input (no torch needed)
@pytest.mark.parametrize("beta", [0.0, -1.0, float("nan"), float("inf"), True, "0.1", None])
def test_bad_beta(beta, sine8):
    x, y = sine8
    with pytest.raises(InvalidParameterError):
        train_nonconvex(x, y, cvxnn.TwoLayer("relu"), beta)
    with pytest.raises(InvalidParameterError):
        compare_with_convex(x, y, cvxnn.TwoLayer("relu"), beta)


def test_bad_data(sine8):
    x, y = sine8
    for xb, yb in [(np.where(np.arange(8) == 3, np.nan, x), y), (x, np.where(np.arange(8) == 2, np.inf, y)),
                   (x[:5], y), (x[:1], y[:1]), (np.full(8, 0.5), y)]:
        with pytest.raises(InvalidDataError):
            train_nonconvex(xb, yb, cvxnn.Deep1D(3, "abs"), BETA)
    with pytest.raises(InvalidDataError):
        compare_with_convex(np.where(np.arange(8) == 0, np.nan, x), y, cvxnn.TwoLayer("relu"), BETA)
    with pytest.raises(UnsupportedCombinationError):  # 2-D inputs
        train_nonconvex(np.column_stack([x, x]), y, cvxnn.TwoLayer("relu"), BETA)
    with pytest.raises(UnsupportedCombinationError):
        train_nonconvex(x, y, "relu", BETA)


@pytest.mark.parametrize("kwargs", [dict(starts=0), dict(starts=2.5), dict(width=0), dict(adam_steps=-1),
                                    dict(lbfgs_steps=True), dict(lr=0.0), dict(lr=float("nan")), dict(seed=-1),
                                    dict(threads=0)])
def test_bad_settings(kwargs, sine8):
    x, y = sine8
    with pytest.raises(InvalidParameterError):
        train_nonconvex(x, y, cvxnn.TwoLayer("relu"), BETA, **kwargs)


def test_compare_rejects_mismatched_trained(sine8):
    x, y = sine8
    require("torch")
    trained = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=BETA)
    for args in [(x, y, cvxnn.TwoLayer("abs"), BETA), (x, y, cvxnn.TwoLayer("relu"), 2 * BETA),
                 (x, y + 1.0, cvxnn.TwoLayer("relu"), BETA)]:
        with pytest.raises(InvalidParameterError):
            compare_with_convex(*args, trained=trained, **SMALL)


def test_summary_rejects_bad_tol():
    r = BaselineResult(np.array([1.0, 2.0]), None, 0.0, {})
    for tol in (-1.0, float("nan"), "0.1"):
        with pytest.raises(InvalidParameterError):
            r.summary(1.0, tol=tol)
    with pytest.raises(InvalidParameterError):
        r.summary(float("nan"))
    assert r.summary(1.0)["n_within_tol"] == 1


def test_without_torch_names_the_install_command(sine8, monkeypatch):
    x, y = sine8
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        train_nonconvex(x, y, cvxnn.TwoLayer("relu"), BETA)
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        compare_with_convex(x, y, cvxnn.TwoLayer("relu"), BETA)
