"""The report dataclasses of ``Trained.symmetry()`` and ``functional_dimension()``: fields, ``to_dict()`` (the JSON
sections, unchanged), the dict-like reading kept for existing code, and the printed text."""

import json

import numpy as np
import pytest

import cvxnn
from cvxnn.api import to_jsonable
from cvxnn.functional import FunctionalDimension, functional_dimension, random_network
from cvxnn.models.deep_abs.symmetry import SymmetryReportND
from cvxnn.models.symmetry_1d import SymmetryReport1D


@pytest.fixture(scope="module")
def deep1d():
    x = np.linspace(-2, 2, 10)
    return cvxnn.train(x, np.sin(2 * x), cvxnn.Deep1D(3, "abs"), beta=0.01)


@pytest.fixture(scope="module")
def deepabs():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (7, 2))
    return cvxnn.train(X, np.abs(X[:, 0]) + 0.3 * X[:, 1], cvxnn.DeepAbs(3, inner_norm="l1"), beta=0.02)


def test_1d_report_is_a_dataclass_whose_dict_is_the_json_section(deep1d):
    rep = deep1d.symmetry()
    assert isinstance(rep, SymmetryReport1D)
    d = rep.to_dict()
    assert list(d) == ["features", "windows", "notes"]
    assert d["features"] is rep.features and d["windows"] is rep.windows
    # one feature per unit of the network, breakpoints on the unit's kinks
    assert len(rep.features) == deep1d.network.width
    assert json.loads(json.dumps(to_jsonable(deep1d.to_dict())))["symmetry"] == json.loads(json.dumps(d))
    # read like the dict it replaces
    assert rep["features"] == rep.features and rep.get("windows") == rep.windows and "notes" in rep
    assert dict(rep) == d and rep == d and set(rep) == set(d) and len(rep) == 3
    assert to_jsonable(rep) == to_jsonable(d)


def test_1d_report_prints_every_unit_and_centre(deep1d):
    rep = deep1d.symmetry()
    text = str(rep)
    lines = text.splitlines()
    assert lines[0] == f"symmetry of the 1-D fit: {len(rep.features)} units, {len(rep.windows)} mirror centres"
    for f in rep.features:
        assert any(line.strip().startswith(f["unit"]) for line in lines), f["unit"]
    assert sum(line.strip().startswith("c = ") for line in lines) == len(rep.windows)
    kinds = {b["kind"] for f in rep.features for b in f["breakpoints"]}
    if "reflection" in kinds:
        assert "reflection of x[" in text


def test_nd_report_dataclass_and_text(deepabs):
    rep = deepabs.symmetry()
    assert isinstance(rep, SymmetryReportND)
    d = rep.to_dict()
    assert list(d) == ["model", "d", "tol", "planes", "units", "mirrored_unit_pairs", "levels", "data_mirrors"]
    assert rep.d == 2 and rep.model == "deep-abs" and rep["planes"] is rep.planes
    assert json.loads(json.dumps(to_jsonable(deepabs.to_dict())))["symmetry"] == json.loads(json.dumps(to_jsonable(d)))
    text = str(rep)
    head = f"reflection planes of a three-layer abs fit in d = 2: {len(rep.planes)} planes"
    assert text.splitlines()[0].startswith(head)
    assert sum(line.strip().startswith("plane ") for line in text.splitlines()) == len(rep.planes)


def test_functional_dimension_dataclass_fields_and_nested_canonical():
    # two first-layer neurons with the same hyperplane: the canonical form merges them
    net = random_network(2, 4, seed=3)
    W = net.layers[0].weight.copy()
    b = net.layers[0].bias.copy()
    W[1], b[1] = 2.0 * W[0], 2.0 * b[0]
    net = cvxnn.Network([cvxnn.Layer(W, b, net.layers[0].activation), net.layers[1]], net.penalty, net.meta)
    fd = functional_dimension(net)
    assert isinstance(fd, FunctionalDimension) and fd.error is None
    assert fd.bound == fd.n_params - fd.n_hidden and fd.deficit == fd.bound - fd.rank
    assert fd.reaches_bound == (fd.rank == fd.bound) and (0, 1) in [tuple(p) for p in fd.parallel_pairs]
    assert isinstance(fd.canonical, FunctionalDimension) and fd.canonical.n_hidden == fd.n_hidden - 1
    d = fd.to_dict()
    assert "canonical" in d and "canonical" not in d["canonical"] and d["canonical"] == fd.canonical.to_dict()
    assert fd["rank"] == fd.rank and fd["canonical"]["rank"] == fd.canonical.rank
    text = str(fd)
    assert text.startswith(f"functional dimension: rank {fd.rank} of bound {fd.bound} = {fd.n_params} parameters")
    assert "canonical form" in text and "(0, 1)" in text


def test_functional_dimension_of_a_net_it_cannot_measure():
    x = np.linspace(-1, 1, 6)
    tr = cvxnn.train(x, np.sign(x - 0.1), cvxnn.TwoLayer("sign"), beta=0.1)
    fd = tr.functional_dimension()
    assert isinstance(fd, FunctionalDimension) and fd.rank is None
    assert list(fd.to_dict()) == ["error"] and "sign" in fd.error
    assert str(fd).startswith("functional dimension not computed: ")
    assert tr.to_dict()["functional_dimension"] == {"error": fd.error}


def test_trained_json_carries_the_report_dicts(deepabs):
    d = deepabs.to_dict()
    assert isinstance(d["symmetry"], dict) and isinstance(d["functional_dimension"], dict)
    assert d["functional_dimension"] == deepabs.functional_dimension().to_dict()
