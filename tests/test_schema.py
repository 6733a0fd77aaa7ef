"""The JSON Schemas of the JSON output (cvxnn/schemas/*.schema.json): real outputs of ``cvxnn solve --json`` for
every model and of ``cvxnn certify --json`` follow them, documents that break the contract do not, and the schemas
are shipped, consistent with each other and documented."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from cvxnn import schemas
from cvxnn.cli import main
from cvxnn.data import noisy_sine, write_csv
from cvxnn.errors import InvalidDataError

from .conftest import require

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def data_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schema-data")
    x, y = noisy_sine(9, seed=2)
    one = folder / "one.csv"
    write_csv(one, x, y)
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, (7, 2))
    two = folder / "two.csv"
    np.savetxt(two, np.column_stack([X, np.sin(2 * X[:, 0]) + X[:, 1] ** 2]), delimiter=",", header="x1,x2,y",
               comments="")
    X6 = X[:6]
    small = folder / "small.csv"
    np.savetxt(small, np.column_stack([X6, np.abs(X6[:, 0]) - X6[:, 1]]), delimiter=",", header="x1,x2,y",
               comments="")
    return {"one": one, "two": two, "small": small}


#: (name, data file, flags, exit code): every model the CLI trains, both modes, every scope
SOLVES = [
    ("two-layer relu", "one", ["--activation", "relu", "--beta", "0.1"], 0),
    ("two-layer leaky", "one", ["--activation", "leaky", "--beta", "0.1"], 0),
    ("two-layer abs", "one", ["--activation", "abs", "--beta", "0.1"], 0),
    ("two-layer sign", "one", ["--activation", "sign", "--beta", "0.1"], 0),
    ("two-layer threshold", "one", ["--activation", "threshold", "--beta", "0.1", "--sign-objective", "l1-outer"], 0),
    ("two-layer relu interpolation", "one", ["--activation", "relu", "--interpolate"], 0),
    ("two-layer relu, bias none", "one", ["--activation", "relu", "--bias", "none", "--beta", "0.1"], 0),
    ("two-layer relu, 1-D penalized bias", "one", ["--activation", "relu", "--bias", "penalized", "--beta", "0.1"], 0),
    ("deep-1d relu", "one", ["--model", "deep-1d", "--depth", "3", "--activation", "relu", "--beta", "0.05"], 0),
    ("deep-1d abs", "one", ["--model", "deep-1d", "--depth", "3", "--activation", "abs", "--beta", "0.05"], 0),
    ("deep-1d abs interpolation", "one", ["--model", "deep-1d", "--depth", "3", "--activation", "abs",
                                          "--interpolate"], 0),
    ("arrangement relu d = 2", "two", ["--activation", "relu", "--beta", "0.05"], 0),
    ("arrangement leaky d = 2, bias none", "two", ["--activation", "leaky", "--bias", "none", "--beta", "0.05"], 0),
    ("arrangement abs d = 2, sampled", "two", ["--activation", "abs", "--patterns", "sample", "--n-samples", "40",
                                               "--beta", "0.05"], 4),
    ("gated relu", "two", ["--model", "gated-relu", "--beta", "0.05"], 0),
    ("wedge", "two", ["--activation", "abs", "--inner-norm", "l1", "--beta", "0.05"], 0),
    ("deep-abs l1", "small", ["--model", "deep-abs", "--depth", "3", "--inner-norm", "l1", "--beta", "0.05"], 0),
    ("deep-abs l2", "small", ["--model", "deep-abs", "--depth", "3", "--inner-norm", "l2", "--beta", "0.05"], 0),
    ("not certified (SCS, low accuracy)", "one", ["--activation", "relu", "--beta", "0.01", "--solver", "scs",
                                                   "--accuracy", "low"], 1),
]


def _solve(data_files, tmp_path, key, flags, capsys, save=None):
    out = tmp_path / "out.json"
    argv = ["solve", "--data", str(data_files[key]), *flags, "--json", str(out), "--no-progress"]
    if save:
        argv += ["--save", str(save)]
    code = main(argv)
    capsys.readouterr()
    return code, json.loads(out.read_text())


@pytest.mark.parametrize("name, key, flags, code", SOLVES, ids=[s[0] for s in SOLVES])
def test_solve_json_follows_the_schema(data_files, tmp_path, capsys, name, key, flags, code):
    require("jsonschema")
    got, doc = _solve(data_files, tmp_path, key, flags, capsys)
    assert got == code, name
    schemas.validate(doc, "solve")
    # what the exit code says, the document says
    assert doc["globally_optimal"] is (code == 0)
    assert doc["scope"] == ("sampled" if code == 4 else "global")


def test_certify_json_follows_the_schema(data_files, tmp_path, capsys):
    require("jsonschema")
    cases = [("one", ["--activation", "relu", "--beta", "0.1"], []),
             ("one", ["--model", "deep-1d", "--depth", "3", "--activation", "abs", "--beta", "0.1"], ["--polish"]),
             ("two", ["--activation", "relu", "--beta", "0.1"], ["--patterns", "sample", "--n-samples", "30"]),
             ("small", ["--model", "deep-abs", "--depth", "3", "--inner-norm", "l1", "--beta", "0.1"], [])]
    scopes = set()
    for i, (key, flags, extra) in enumerate(cases):
        net = tmp_path / f"net{i}.npz"
        assert _solve(data_files, tmp_path, key, flags, capsys, save=net)[0] == 0
        out = tmp_path / f"cert{i}.json"
        # a slightly worse net than the optimum: scale the output layer
        code = main(["certify", "--data", str(data_files[key]), "--weights", str(net), "--beta", "0.1",
                     "--json", str(out), *extra])
        capsys.readouterr()
        doc = json.loads(out.read_text())
        schemas.validate(doc, "certify")
        assert code in (0, 1, 4) and doc["globally_optimal"] is (code == 0)
        assert ("polished" in doc) is ("--polish" in extra)
        scopes.add(doc["scope"])
    assert scopes == {"global", "sampled"}


@pytest.fixture(scope="module")
def relu_doc(data_files, tmp_path_factory):
    import cvxnn
    from cvxnn.api import to_jsonable

    x, y = noisy_sine(9, seed=2)
    return json.loads(json.dumps(to_jsonable(cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.1).to_dict())))


@pytest.mark.parametrize("change, where", [
    (lambda d: d.update(scope="sampled"), "lower_bound"),  # sampled scope with a lower bound, globally optimal
    (lambda d: d.update(status="converged"), "status"),
    (lambda d: d.pop("certified"), "certified"),
    (lambda d: d.update(extra_key=1), "extra_key"),
    (lambda d: d.update(certified=False), "certified"),  # globally optimal without being certified
    (lambda d: d["network"]["layers"][0]["activation"].update(name="tanh"), "activation"),
    (lambda d: d["symmetry"]["features"][0]["breakpoints"][0].update(kind="mirror"), "kind"),
])
def test_the_schema_rejects_documents_that_break_the_contract(relu_doc, change, where):
    require("jsonschema")
    schemas.validate(relu_doc, "solve")
    bad = copy.deepcopy(relu_doc)
    change(bad)
    with pytest.raises(InvalidDataError, match="does not follow the 'solve' schema") as info:
        schemas.validate(bad, "solve")
    assert where in str(info.value)


def test_certify_schema_rejects_a_lower_bound_without_global_scope(tmp_path):
    require("jsonschema")
    doc = {"objective": 1.0, "lower_bound": 0.9, "upper_bound": 1.0, "certified_gap": 0.1, "relative_gap": 0.1,
           "certified": False, "globally_optimal": False, "scope": "sampled", "oracle": "sampled patterns",
           "model": {"model": "two-layer", "depth": 2, "activation": "relu"}, "bias_convention": "penalized",
           "output_bias": False, "n_patterns": 10, "width": 3, "to_global": "enumerate", "notes": [],
           "certificate": {}}
    with pytest.raises(InvalidDataError) as info:
        schemas.validate(doc, "certify")
    text = str(info.value)
    assert "lower_bound" in text and "certificate" in text


def test_schemas_are_valid_shipped_and_share_their_definitions():
    jsonschema = require("jsonschema")
    solve, certify = schemas.schema("solve"), schemas.schema("certify")
    for s in (solve, certify):
        jsonschema.Draft202012Validator.check_schema(s)
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    shared = set(solve["$defs"]) & set(certify["$defs"])
    assert {"layered_network", "scope", "tolerances"} <= shared
    assert all(solve["$defs"][k] == certify["$defs"][k] for k in shared)
    assert solve["$defs"]["scope"]["enum"] == ["global", "restricted", "sampled"]
    from cvxnn.solvers.base import STATUSES

    assert solve["$defs"]["status"]["enum"] == list(STATUSES)
    # shipped with the package: package data in setup.cfg, files inside cvxnn/schemas
    setup = (ROOT / "setup.cfg").read_text()
    assert "cvxnn.schemas = *.json" in setup
    assert schemas.path("solve").parent == ROOT / "cvxnn" / "schemas"
    with pytest.raises(Exception, match="unknown schema"):
        schemas.path("bench")


def test_json_page_documents_every_key_of_the_schemas():
    page = (ROOT / "docs" / "json.md").read_text()
    for name in schemas.NAMES:
        s = schemas.schema(name)
        for key in s["properties"]:
            assert f"`{key}`" in page, (name, key)
        assert f"cvxnn/schemas/{name}.schema.json" in page
