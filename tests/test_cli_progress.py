"""The command line's progress bars (--progress / --no-progress, on when stderr is a terminal, shown only for steps
that run a while) and the size line with its warning before runs estimated to take a minute or more."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cvxnn
from cvxnn import cli
from cvxnn.cli import main, size_line

ROOT = Path(__file__).resolve().parent.parent
BAR = "activation patterns (r"  # the enumeration's bar: '(rays)' or '(region graph)'


@pytest.fixture
def data2d(tmp_path):
    X = np.random.default_rng(0).normal(size=(9, 2))
    path = tmp_path / "d2.csv"
    np.savetxt(path, np.column_stack([X, X[:, 0] ** 2 - X[:, 1]]), delimiter=",", header="x1,x2,y", comments="")
    return path


def test_progress_flag_forces_the_bars_and_no_progress_silences_them(data2d, capsys):
    args = ["solve", "--data", str(data2d), "--beta", "0.05"]
    assert main(args + ["--progress"]) == 0
    assert BAR in capsys.readouterr().err  # the enumeration's bar
    assert main(args + ["--no-progress"]) == 0
    err = capsys.readouterr().err
    assert BAR not in err and "building:" in err
    assert main(args) == 0  # stderr is not a terminal here: no bar by default
    assert BAR not in capsys.readouterr().err


def test_bench_rows_progress(capsys):
    problem = str(ROOT / "problems" / "opt-relu.toml")
    assert main(["bench", problem, "--solvers", "clarabel", "--progress"]) == 0
    assert "bench" in capsys.readouterr().err
    assert main(["bench", problem, "--solvers", "clarabel", "--no-progress"]) == 0
    assert "run/s" not in capsys.readouterr().err


def test_the_program_delays_its_bars(monkeypatch):
    """Run as a program (argv from the command line), cvxnn sets tqdm's delay before tqdm is imported; a call from
    Python (argv given) leaves tqdm alone."""
    monkeypatch.delenv("TQDM_DELAY", raising=False)
    monkeypatch.delitem(sys.modules, "tqdm", raising=False)
    assert main(["solvers"]) == 0 and "TQDM_DELAY" not in os.environ
    monkeypatch.setattr(sys, "argv", ["cvxnn", "solvers"])
    assert main() == 0 and os.environ["TQDM_DELAY"] == f"{cli.PROGRESS_DELAY_S:g}"


@pytest.mark.slow
def test_the_program_shows_no_bar_for_a_quick_run(data2d):
    """As a program (python -m cvxnn), bars wait a couple of seconds before they show: a quick run prints none even
    with --progress."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    run = subprocess.run([sys.executable, "-m", "cvxnn", "solve", "--data", str(data2d), "--beta", "0.05",
                          "--progress"], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "building:" in run.stderr and BAR not in run.stderr
    assert cli.PROGRESS_DELAY_S >= 1.0


def _warning(n, d, arch, seed=0):
    X = np.random.default_rng(seed).uniform(-1, 1, (n, d))
    return size_line(X, arch)


@pytest.mark.parametrize("small, large, arch, advice", [
    ((20, 2), (150, 2), cvxnn.TwoLayer("relu"), "--patterns sample"),
    ((10, 2), (30, 2), cvxnn.DeepAbs(3, inner_norm="l2"), "fewer points"),
    ((20, 1), (80, 1), cvxnn.Deep1D(4, "abs"), "a smaller --depth"),
    ((200, 1), (40_000, 1), cvxnn.TwoLayer("relu"), "fewer points"),
    ((40, 2), (250, 2), cvxnn.TwoLayer("abs", inner_norm="l1"), "fewer points"),
])
def test_size_warning_before_large_runs_names_the_size_and_how_to_shrink_it(small, large, arch, advice):
    line, warning = _warning(*small, arch)
    assert line.startswith("building: ") and warning is None
    line, warning = _warning(*large, arch)
    assert warning is not None and warning.startswith("warning: this run may take a minute or more")
    assert advice in warning and f"n = {large[0]}" in warning
    measured = int(warning.split(" = ")[1].split(" ")[0].replace(",", ""))
    count = int(line.split()[1].replace(",", ""))
    assert measured in (count, large[0] * count)  # the size named is the estimate (times n for arrangements)


def test_sampled_patterns_line_and_warning():
    line, warning = _warning(40, 2, cvxnn.TwoLayer("relu", patterns="sample", n_samples=500))
    assert line.startswith("building: up to 500 sampled activation patterns") and warning is None
    line, warning = _warning(3000, 2, cvxnn.TwoLayer("relu", patterns="sample", n_samples=500))
    assert "n x sampled patterns = 1,500,000" in warning and "--n-samples" in warning


def test_cli_prints_the_warning_before_building(tmp_path, capsys, monkeypatch):
    x = np.linspace(-1, 1, 12)
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([x, np.sin(3 * x)]), delimiter=",", header="x,y", comments="")
    monkeypatch.setitem(cli.SLOW_RUNS, "two-layer-1d", (10, "fewer points"))  # as if 12 points were a large run
    assert main(["solve", "--data", str(path), "--beta", "0.1"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "building: 24 breakpoint columns (n = 12)"
    assert err[1].startswith("warning: this run may take a minute or more: breakpoint columns = 24")
