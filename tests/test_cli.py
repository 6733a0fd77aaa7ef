"""The CLI contract: `cvxnn solve ... --json OUT`, exit codes 0 / 1 / 2 / 3, and `cvxnn bench`."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cvxnn.cli import main
from cvxnn.data import noisy_sine, write_csv

from .conftest import ACTIVATIONS

ROOT = Path(__file__).resolve().parents[1]

REQUIRED_KEYS = {"objective", "convex_objective", "l1_norm", "certified", "globally_optimal", "scope", "oracle",
                 "bias_convention", "duality_gap", "reconstruction_gap", "status", "solver", "accuracy", "times",
                 "n_active", "network"}


@pytest.fixture
def csv_path(tmp_path):
    x, y = noisy_sine(10, seed=0)
    path = tmp_path / "data.csv"
    write_csv(path, x, y)
    return path


@pytest.mark.parametrize("activation", ACTIVATIONS + ("sign", "threshold"))
def test_solve_json_contract(csv_path, tmp_path, activation, capsys):
    out = tmp_path / "sub" / "out.json"
    code = main(["solve", "--data", str(csv_path), "--model", "two-layer", "--activation", activation, "--depth", "2",
                 "--beta", "0.1", "--solver", "clarabel", "--accuracy", "high", "--bias", "free", "--json", str(out)])
    assert code == 0
    stdout = capsys.readouterr().out
    assert "GLOBALLY OPTIMAL" in stdout
    d = json.loads(out.read_text())
    assert REQUIRED_KEYS <= set(d)
    assert d["certified"] is True and d["globally_optimal"] is True and d["scope"] == "global"
    assert d["bias_convention"] == "free" and d["solver"] == "clarabel" and d["accuracy"] == "high"
    assert abs(d["objective"] - d["convex_objective"]) <= 1e-6 * max(1, abs(d["convex_objective"]))
    assert set(d["times"]) >= {"compile", "solve", "wall"}
    # the JSON network evaluates exactly like predict: rebuild the forward pass from the JSON alone
    x, y = noisy_sine(10, seed=0)
    h = x.reshape(-1, 1)
    for layer in d["network"]["layers"]:
        u = h @ np.array(layer["weight"]).reshape(len(layer["bias"]), -1).T + np.array(layer["bias"])
        name = layer["activation"]["name"]
        h = {"relu": np.maximum(u, 0), "leaky": np.maximum(u, layer["activation"].get("slope", 0) * u),
             "abs": np.abs(u), "sign": np.sign(u), "threshold": (u >= 0).astype(float), "identity": u}[name]
    # the penalty as the JSON states it: sum over terms of coef * beta * sum |W_layer|^power (entrywise)
    penalty = d["network"]["penalty"]
    pen = sum(t["coef"] * penalty["beta"] * np.sum(np.abs(np.array(d["network"]["layers"][t["layer"]]["weight"]))
                                                    ** t["power"]) for t in penalty["terms"])
    assert all(t["norm"] == "entry" and not t["include_bias"] for t in penalty["terms"])
    assert abs(0.5 * np.sum((h[:, 0] - y) ** 2) + pen - d["objective"]) < 1e-9
    assert d["n_active"] == len(d["network"]["layers"][0]["bias"])
    if activation in ("sign", "threshold"):
        assert d["sign_objective"] == "amplitude" and len(d["network"]["layers"]) == 3


def test_not_certified_exit_1(csv_path, capsys):
    code = main(["solve", "--data", str(csv_path), "--beta", "0.01", "--solver", "scs", "--accuracy", "low"])
    assert code == 1
    assert "NOT certified" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("x,y\n0,1\n1,nan\n2,3\n", [], "NaN"),
        ("x,y\n0,1\n1,abc\n2,3\n", [], "non-numeric"),
        ("x,y\n", [], "at least 2"),
        ("", [], "empty"),
        ("x,y\n0,1\n", [], "at least 2"),
        ("x,y\n0,1\n0,2\n1,3\n", [], "repeated input point"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--beta", "0"], "beta"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--beta", "-1"], "beta"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--activation", "sigmoid"], "activation"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--model", "two-layers"], "Did you mean 'two-layer'"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--depth", "3"], "needs depth 2"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--bias", "none", "--activation", "sign"], "bias='free' only"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--bias", "sometimes"], "bias convention"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--solver", "clarabell"], "Did you mean 'clarabel'"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--accuracy", "extreme"], "accuracy"),
        ("x,y\n0,1\n1,2\n2,3\n", ["--duplicates", "drop"], "duplicates"),
        ("y\n1\n2\n", [], "at least one input column"),
    ],
)
def test_bad_input_exit_2(tmp_path, capsys, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    argv = ["solve", "--data", str(path)] + (["--beta", "0.1"] if "--beta" not in args else []) + args
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_file_and_bad_flags_exit_2(tmp_path, capsys):
    assert main(["solve", "--data", str(tmp_path / "nope.csv"), "--beta", "0.1"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["solve", "--data", "x.csv", "--beta", "abc"]) == 2
    assert main(["solve", "--beta", "0.1"]) == 2
    assert main([]) == 2


def test_missing_solver_exit_3(csv_path, monkeypatch, capsys):
    from cvxnn.solvers import registry
    from cvxnn.solvers.base import SolverAdapter

    class Missing(SolverAdapter):
        name = "ghost"
        cvxpy_name = "GHOST"
        module = "cvxnn_no_such_module_xyz"
        distribution = "ghost-solver"

    monkeypatch.setitem(registry.ADAPTERS, "ghost", Missing)
    assert main(["solve", "--data", str(csv_path), "--beta", "0.1", "--solver", "ghost"]) == 3
    err = capsys.readouterr().err
    assert "pip install ghost-solver" in err and "clarabel" in err


def test_duplicates_merge_flag(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("x,y\n0,1\n0,2\n1,3\n2,1\n")
    out = tmp_path / "o.json"
    assert main(["solve", "--data", str(path), "--beta", "0.1", "--duplicates", "merge", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["globally_optimal"] is True


def test_console_script_and_solvers_listing():
    proc = subprocess.run([sys.executable, "-m", "cvxnn", "solvers"], capture_output=True, text=True, check=True)
    assert "clarabel" in proc.stdout and "scs" in proc.stdout


def test_bench_builtin_all_certified(tmp_path, capsys):
    out = tmp_path / "rows.csv"
    assert main(["bench", "--solvers", "clarabel", "--no-progress", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "runs certified" in text and "NOT certified" not in text
    import pandas as pd

    rows = pd.read_csv(out)
    assert rows["certified"].all() and (rows["scope"] == "global").all()


def test_bench_reports_uncertified_rows(capsys):
    """SCS at low accuracy is not certified: the rows say so and the exit status is 1 (two problems: 1-D, d = 2)."""
    problems = [str(ROOT / "problems" / f) for f in ("opt-relu.toml", "blobs2d-relu.toml")]
    assert main(["bench", *problems, "--solvers", "scs", "--accuracy", "low", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "NOT certified: opt-relu / scs / low" in out and "NOT certified: blobs2d-relu / scs / low" in out


@pytest.mark.slow
def test_bench_reports_uncertified_rows_on_the_whole_small_suite(capsys):
    """The same over the whole small suite (about a minute: SCS at low accuracy drives the deep-abs l2 column
    generation through many rounds)."""
    assert main(["bench", "--solvers", "scs", "--accuracy", "low", "--no-progress"]) == 1
    assert "NOT certified" in capsys.readouterr().out


def test_version_prints_the_package_version(capsys):
    import cvxnn

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cvxnn {cvxnn.__version__}"
