"""Problem files: the shipped ones solve and certify; malformed ones name the file and the key."""

from pathlib import Path

import pytest

from cvxnn.cli import main
from cvxnn.errors import ProblemFileError
from cvxnn.problems import builtin_problems, load_problem

PROBLEMS = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.toml"))


def test_problem_files_are_shipped():
    assert len(PROBLEMS) >= 8


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_shipped_problem_solves_and_certifies(path, capsys):
    assert main(["solve", str(path)]) == 0
    assert "GLOBALLY OPTIMAL" in capsys.readouterr().out


def test_flags_override_the_file(tmp_path):
    out = tmp_path / "o.json"
    path = [p for p in PROBLEMS if p.stem == "opt-relu"][0]
    assert main(["solve", str(path), "--activation", "abs", "--beta", "0.2", "--json", str(out)]) == 0
    import json

    d = json.loads(out.read_text())
    assert d["activation"] == "abs" and d["beta"] == 0.2


@pytest.mark.parametrize(
    "text, key",
    [
        ('activation = "relu"\nbeta = 0.1\n', "'data'"),
        ('beta = "big"\n[data]\nx = [0, 1, 2]\ny = [0, 1, 0]\n', "'beta'"),
        ('betta = 0.1\n[data]\nx = [0, 1, 2]\ny = [0, 1, 0]\n', "Did you mean 'beta'"),
        ('beta = 0.1\n[data]\nx = [0, 1, 2]\n', "'data.y'"),
        ('beta = 0.1\n[data]\nx = [0, "a", 2]\ny = [0, 1, 0]\n', "'data.x'"),
        ('beta = 0.1\n[data]\ncsv = "missing.csv"\n', "'data.csv'"),
        ('beta = 0.1\n[data]\ngenerator = "noisy_sin"\n', "Did you mean 'noisy_sine'"),
        ('beta = 0.1\n[data]\nx = [0, 1]\ny = [0, 1]\ncsv = "a.csv"\n', "exactly one data source"),
        ('beta = 0.1\n[data\n', "not valid TOML"),
        ('depth = 2.5\nbeta = 0.1\n[data]\nx = [0, 1, 2]\ny = [0, 1, 0]\n', "'depth'"),
    ],
)
def test_malformed_problem_files(tmp_path, text, key, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProblemFileError) as info:
        load_problem(path)
    assert key in str(info.value) and "bad.toml" in str(info.value)
    assert main(["solve", str(path)]) == 2
    assert "bad.toml" in capsys.readouterr().err


def test_missing_beta_and_conflicting_sources(tmp_path, capsys):
    path = tmp_path / "nobeta.toml"
    path.write_text('[data]\nx = [0, 1, 2]\ny = [0, 1, 0]\n')
    assert main(["solve", str(path)]) == 2
    assert "--interpolate" in capsys.readouterr().err
    assert main(["solve", str(path), "--interpolate"]) == 0
    assert main(["solve", str(path), "--data", "x.csv", "--beta", "1"]) == 2
    assert main(["solve", str(path), "--interpolate", "--beta", "1"]) == 2


def test_builtin_set_covers_every_activation_and_both_modes():
    probs = builtin_problems()
    assert {p.activation for p in probs} == {"relu", "leaky", "abs", "sign", "threshold"}
    assert {p.mode for p in probs} == {"training", "interpolation"}
