"""No public entry point modifies what it is given: data arrays (1-D and d-dimensional, float and integer,
contiguous or not), architectures, networks passed to certify_network, and the files the command line reads."""

import copy
import json
import os
import time

import numpy as np
import pytest

import cvxnn
from cvxnn.cli import main
from cvxnn.data import write_csv


def snapshot(a):
    """A deep copy plus what could change in place: dtype, shape, strides, writeability."""
    a = np.asarray(a)
    return a.copy(), a.dtype, a.shape, a.strides, a.flags.writeable


def assert_unchanged(a, snap):
    ref, dtype, shape, strides, writeable = snap
    a = np.asarray(a)
    assert a.dtype == dtype and a.shape == shape and a.strides == strides and a.flags.writeable == writeable
    assert np.array_equal(a, ref)


def exercise(trained):
    """The follow-up calls a user makes on a result."""
    cvxnn.certify(trained.program, trained.result)
    trained.summary()
    trained.to_dict()


def base_1d():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-2.0, 2.0, 20))
    return x, np.sin(2 * x) + 0.1 * rng.standard_normal(20)


def inputs_1d():
    x, y = base_1d()
    xi = np.array([-7, -3, 0, 2, 5, 9, 12, 15], dtype=np.int64)
    yi = np.array([1, -2, 0, 3, 1, -1, 2, 0], dtype=np.int32)
    yield "float", x[:10].copy(), y[:10].copy()
    yield "strided", x[::2], y[::2]  # non-contiguous views into larger arrays
    yield "integer", xi, yi
    yield "column", x[:10].reshape(-1, 1), y[:10].reshape(-1, 1)
    yield "fortran-column", np.asfortranarray(np.tile(x[:10, None], (1, 2)))[:, 1:], y[:10].copy()


ARCHS_1D = [
    cvxnn.TwoLayer("relu"), cvxnn.TwoLayer("leaky"), cvxnn.TwoLayer("sign"), cvxnn.TwoLayer("relu", bias="none"),
    cvxnn.Deep1D(3, "relu"), cvxnn.Deep1D(3, "abs"), cvxnn.Deep1D(4, "abs", column_generation=True),
    cvxnn.DeepAbs(3),
]


@pytest.mark.parametrize("arch", ARCHS_1D, ids=lambda a: f"{a.model}-{a.activation}-{getattr(a, 'depth', 2)}")
def test_1d_arrays_and_architectures_are_unchanged(arch):
    arch_copy = copy.deepcopy(arch)
    for name, x, y in inputs_1d():
        sx, sy = snapshot(x), snapshot(y)
        tr = cvxnn.train(x, y, arch, beta=0.05)
        exercise(tr)
        assert_unchanged(x, sx)
        assert_unchanged(y, sy)
        # interpolation mode too (not with bias 'none': its two columns cannot interpolate)
        if name in ("strided", "integer") and arch.model != "deep-abs" and arch.bias != "none":
            cvxnn.train(x, y, arch, mode="interpolation")
            assert_unchanged(x, sx)
            assert_unchanged(y, sy)
    assert arch == arch_copy and hash(arch) == hash(arch_copy)


def inputs_nd(d):
    rng = np.random.default_rng(d)
    big = rng.uniform(-1.0, 1.0, (14, 2 * d))
    y = rng.standard_normal(14)
    yield "float", big[:7, :d].copy(), y[:7].copy()
    yield "strided", big[::2, ::2], y[::2]  # non-contiguous in both axes
    yield "fortran", np.asfortranarray(big[:7, :d]), y[:7].copy()
    Xi = np.array([[0, 0], [3, 1], [1, 4], [-2, 2], [4, -3], [-1, -4], [2, 5]], dtype=np.int64)[:, :d]
    if d == 2:
        yield "integer", Xi, np.array([1, 0, 2, -1, 3, 0, 1], dtype=np.int64)


ARCHS_ND = [
    cvxnn.TwoLayer("relu"), cvxnn.TwoLayer("abs", bias="none"), cvxnn.TwoLayer("relu", column_generation=True),
    cvxnn.GatedReLU(), cvxnn.TwoLayer("abs", inner_norm="l1"), cvxnn.DeepAbs(3, inner_norm="l1"),
    cvxnn.DeepAbs(3, inner_norm="l2"),
]


@pytest.mark.parametrize("arch", ARCHS_ND, ids=lambda a: f"{a.model}-{getattr(a, 'inner_norm', 'l2')}")
def test_d_dimensional_arrays_and_architectures_are_unchanged(arch):
    arch_copy = copy.deepcopy(arch)
    for name, X, y in inputs_nd(2):
        sx, sy = snapshot(X), snapshot(y)
        tr = cvxnn.train(X, y, arch, beta=0.05)
        cvxnn.certify(tr.program, tr.result)
        tr.summary()
        if arch.model == "deep-abs":
            tr.symmetry()
        assert_unchanged(X, sx)
        assert_unchanged(y, sy)
    assert arch == arch_copy and hash(arch) == hash(arch_copy)


def test_deep_abs_in_3d_leaves_its_arrays_unchanged():
    for (name, X, y), norm in zip(inputs_nd(3), ("l1", "l2", "l1")):
        X, y = X[:5], y[:5]
        sx, sy = snapshot(X), snapshot(y)
        cvxnn.train(X, y, cvxnn.DeepAbs(3, inner_norm=norm), beta=0.05).to_dict()
        assert_unchanged(X, sx)
        assert_unchanged(y, sy)


def network_snapshot(net):
    return ([(L.weight.copy(), L.bias.copy(), L.activation) for L in net.layers], copy.deepcopy(net.meta),
            copy.deepcopy(net.penalty))


def assert_network_unchanged(net, snap):
    layers, meta, penalty = snap
    assert len(net.layers) == len(layers)
    for L, (w, b, act) in zip(net.layers, layers):
        assert np.array_equal(L.weight, w) and np.array_equal(L.bias, b) and L.activation == act
    assert net.meta == meta and net.penalty == penalty


def test_certify_network_leaves_the_net_and_the_data_unchanged():
    rng = np.random.default_rng(3)
    x, y = base_1d()
    X2 = rng.uniform(-1, 1, (12, 2))
    y2 = rng.standard_normal(12)
    cases = []
    # a perturbed two-layer net in 1-D (free bias), polished
    tr = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.05)
    net = tr.network
    noisy = cvxnn.Network([cvxnn.Layer(net.layers[0].weight * 1.05, net.layers[0].bias, net.layers[0].activation),
                           net.layers[1]], net.penalty, dict(net.meta))
    cases.append((noisy, x, y, {"bias": "free"}))
    # a random two-layer relu net in d = 2 (penalised bias)
    relu = cvxnn.Activation("relu")
    hidden = cvxnn.Layer(rng.standard_normal((6, 2)), rng.standard_normal(6), relu)
    out = cvxnn.Layer(rng.standard_normal((1, 6)) * 0.3, [0.0], cvxnn.Activation("identity"))
    cases.append((cvxnn.Network([hidden, out], net.penalty), X2[::2], y2[::2], {"bias": "penalized"}))
    # certified deep nets, as saved by a solve
    cases.append((cvxnn.train(x, y, cvxnn.Deep1D(3, "abs"), beta=0.05).network, x, y, {}))
    deep_abs = cvxnn.train(X2[:6], y2[:6], cvxnn.DeepAbs(3, inner_norm="l1"), beta=0.05).network
    cases.append((deep_abs, X2[:6], y2[:6], {}))
    for net, X, Y, kwargs in cases:
        snap, sx, sy = network_snapshot(net), snapshot(X), snapshot(Y)
        result = cvxnn.certify_network(net, X, Y, 0.05, polish=True, **kwargs)
        result.to_dict()
        assert_network_unchanged(net, snap)
        assert_unchanged(X, sx)
        assert_unchanged(Y, sy)


def file_state(path):
    st = os.stat(path)
    return path.read_bytes(), st.st_mtime_ns, st.st_size


def test_cli_leaves_its_input_files_unchanged(tmp_path):
    x, y = base_1d()
    data = tmp_path / "data.csv"
    write_csv(data, x[:10], y[:10])
    rng = np.random.default_rng(1)
    data2 = tmp_path / "data2.csv"
    write_csv(data2, rng.uniform(-1, 1, (7, 2)), rng.standard_normal(7))
    problem = tmp_path / "problem.toml"
    problem.write_text('name = "p"\nmodel = "two-layer"\nactivation = "relu"\nbeta = 0.05\n\n[data]\n'
                       'csv = "data2.csv"\n')
    net_path = tmp_path / "given.npz"
    tr = cvxnn.train(x[:10], y[:10], cvxnn.TwoLayer("relu"), beta=0.05)
    given = tr.network
    cvxnn.Network([cvxnn.Layer(given.layers[0].weight * 1.1, given.layers[0].bias, given.layers[0].activation),
                   given.layers[1]], given.penalty, dict(given.meta)).save(net_path)
    inputs = [data, data2, problem, net_path, net_path.with_suffix(".json")]
    before = {p: file_state(p) for p in inputs}
    time.sleep(0.01)  # a rewrite would show in the modification times
    runs = [
        ["solve", "--data", str(data), "--model", "two-layer", "--activation", "relu", "--beta", "0.05",
         "--json", str(tmp_path / "a.json"), "--save", str(tmp_path / "a.npz")],
        ["solve", "--data", str(data), "--model", "deep-1d", "--depth", "3", "--activation", "abs", "--beta", "0.05",
         "--json", str(tmp_path / "b.json")],
        ["solve", "--data", str(data2), "--model", "deep-abs", "--inner-norm", "l2", "--beta", "0.05"],
        ["solve", str(problem), "--json", str(tmp_path / "c.json")],
        ["certify", "--data", str(data), "--weights", str(net_path), "--beta", "0.05", "--polish",
         "--save-polished", str(tmp_path / "polished.npz"), "--json", str(tmp_path / "d.json")],
        ["bench", str(problem), "--solvers", "clarabel", "--out", str(tmp_path / "bench"), "--no-progress"],
    ]
    for argv in runs:
        code = main(argv)
        assert code in (0, 1), argv  # ran (the given net of 'certify' is not optimal: exit 1)
        assert {p: file_state(p) for p in inputs} == before, argv
    assert json.loads((tmp_path / "d.json").read_text())["globally_optimal"] is False
