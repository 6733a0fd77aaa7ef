"""Solver-comparison runs (cvxnn.bench) and their report (cvxnn.report): long-format rows judged by cvxnn's
certificate, resume, failures as rows, and the pure summary helpers checked against hand computations."""

import math

import numpy as np
import pandas as pd
import pytest

import cvxnn.bench as bench
from cvxnn.bench import run_bench, run_row
from cvxnn.cli import main
from cvxnn.problems import Problem, load_problem
from cvxnn.report import (performance_profile, shifted_geometric_mean, success_and_correct_rates, time_means,
                          write_report)

REQUIRED = ["problem", "model", "activation", "n", "d", "depth", "beta", "mode", "dictionary_size", "scope", "solver",
            "solver_version", "accuracy", "repeat", "status", "certified", "globally_optimal", "correct", "objective",
            "rel_error", "duality_gap", "certified_gap", "dual_violation", "reconstruction_gap", "compile_s",
            "setup_s", "solve_s", "wall_s", "iterations", "n_active", "error"]

TINY_RELU = """
name = "tiny-relu"
description = "six points, ReLU, training"
activation = "relu"
beta = 0.1

[data]
x = [0, 1, 2, 3, 4, 5]
y = [0, 1, 0, 1, 2, 1]
"""

TINY_ABS_INTERP = """
name = "tiny-abs-interp"
activation = "abs"
mode = "interpolation"

[data]
x = [-2, -1, 0, 1.5, 3]
y = [1, 0, 1, 0, 2]
"""


@pytest.fixture
def problem_files(tmp_path):
    paths = []
    for name, text in (("tiny-relu.toml", TINY_RELU), ("tiny-abs-interp.toml", TINY_ABS_INTERP)):
        path = tmp_path / name
        path.write_text(text)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def tiny_rows(tmp_path_factory):
    """clarabel and scs at low and high accuracy on the two tiny problems, written to a folder."""
    folder = tmp_path_factory.mktemp("tiny")
    problems = []
    for name, text in (("a.toml", TINY_RELU), ("b.toml", TINY_ABS_INTERP)):
        (folder / name).write_text(text)
        problems.append(load_problem(folder / name))
    out = folder / "out"
    rows = run_bench(problems, ["clarabel", "scs"], ["low", "high"], out=out)
    return rows, out


def test_bench_rows_have_the_required_columns(tiny_rows):
    rows, out = tiny_rows
    assert len(rows) == 2 * 2 * 2
    frame = pd.read_csv(out / "runs.csv")
    missing = [c for c in REQUIRED if c not in frame.columns]
    assert not missing, missing
    assert len(frame) == 8
    assert set(frame["problem"]) == {"tiny-relu", "tiny-abs-interp"}
    assert set(frame["mode"]) == {"training", "interpolation"}
    assert (frame["d"] == 1).all() and (frame["repeat"] == 1).all() and (frame["model"] == "two-layer").all()
    assert frame["dictionary_size"].gt(0).all() and frame["solver_version"].notna().all()
    high = frame[frame["accuracy"] == "high"]
    assert high["certified"].all() and (high["scope"] == "global").all()
    # rel_error is measured against the best certified objective of the same problem: 0 for that run
    for _, g in frame[frame["certified"]].groupby("problem"):
        assert g["rel_error"].min() == pytest.approx(0.0, abs=1e-15)
        assert (g["rel_error"] >= -1e-12).all()
    # the rows returned and the rows on disk agree
    assert [r["certified"] for r in rows] == frame["certified"].tolist()


def test_correct_is_the_claim_agreeing_with_the_certificate(tiny_rows):
    rows, _ = tiny_rows
    for r in rows:
        assert r["correct"] == ((r["status"] == "optimal") == r["certified"])


def test_inaccurate_runs_are_not_certified_and_lower_the_correct_rate(problem_files):
    prob = load_problem(problem_files[0])
    # SCS at low accuracy says 'optimal' but its dual point does not pass the certificate: a false claim
    low = run_row(prob, "scs", "low")
    assert low["status"] == "optimal" and not low["certified"] and low["correct"] is False
    assert "gap" in low["failed_checks"]
    # 30 iterations at high accuracy: SCS stops early ('optimal_inaccurate'), not certified, the claim is honest
    capped = run_row(prob, "scs", "high", options={"max_iters": 30})
    assert capped["iterations"] <= 30
    assert capped["status"] in ("optimal", "optimal_inaccurate") and not capped["certified"]
    good = run_row(prob, "scs", "high")
    assert good["status"] == "optimal" and good["certified"] and good["correct"] is True
    rates = success_and_correct_rates(pd.DataFrame([low, capped, good])).set_index("accuracy")
    assert rates.loc["low", "runs"] == 1 and rates.loc["low", "success_rate"] == 0.0
    assert rates.loc["low", "correct_rate"] == 0.0 and rates.loc["low", "false_claims"] == 1
    assert rates.loc["high", "runs"] == 2 and rates.loc["high", "success_rate"] == 0.5
    expected = 1.0 if capped["status"] == "optimal_inaccurate" else 0.5  # an honest 'inaccurate' is correct
    assert rates.loc["high", "correct_rate"] == expected


def test_failures_become_rows_and_do_not_abort(tmp_path):
    bad = Problem("repeated-x", np.array([0.0, 1.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0, 0.0]), "relu", 0.1)
    good = Problem("fine", np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.0, 1.0]), "relu", 0.1)
    rows = run_bench([bad, good], ["clarabel"], ["high"], out=tmp_path)
    assert [r["problem"] for r in rows] == ["repeated-x", "fine"]
    assert rows[0]["status"] == "error" and not rows[0]["certified"] and "build" in rows[0]["error"]
    assert rows[1]["certified"] and rows[1]["error"] == ""
    # a per-run time limit reaches the solver: Clarabel stops at once, the row says user_limit, not certified
    limited = run_row(good, "clarabel", "high", time_limit=1e-9)
    assert limited["status"] == "user_limit" and not limited["certified"] and limited["time_limit"] == 1e-9


def test_resume_does_not_redo_finished_rows(problem_files, tmp_path, monkeypatch):
    problems = [load_problem(p) for p in problem_files]
    calls = []
    original = bench.run_row

    def counting(problem, solver, accuracy, repeat=1, **kw):
        calls.append((problem.name, solver, accuracy, repeat))
        if len(calls) == 3 and interrupt:
            raise KeyboardInterrupt  # a run stopped half-way: the rows finished so far are on disk
        return original(problem, solver, accuracy, repeat, **kw)

    monkeypatch.setattr(bench, "run_row", counting)
    out = tmp_path / "out"
    interrupt = True
    with pytest.raises(KeyboardInterrupt):
        run_bench(problems, ["clarabel"], ["high"], repeats=2, out=out)
    assert len(pd.read_csv(out / "runs.csv")) == 2
    interrupt = False
    calls.clear()
    rows = run_bench(problems, ["clarabel"], ["high"], repeats=2, out=out)
    assert calls == [("tiny-abs-interp", "clarabel", "high", 1), ("tiny-abs-interp", "clarabel", "high", 2)]
    assert len(rows) == 4 and all(r["certified"] for r in rows)
    calls.clear()
    run_bench(problems, ["clarabel", "scs"], ["high"], repeats=2, out=out)
    assert {c[1] for c in calls} == {"scs"} and len(calls) == 4
    calls.clear()
    again = run_bench(problems, ["clarabel", "scs"], ["high"], repeats=2, out=out)
    assert calls == [] and len(again) == 8
    frame = pd.read_csv(out / "runs.csv")
    assert len(frame) == 8 and not frame.duplicated(["problem", "solver", "accuracy", "repeat"]).any()
    assert frame["certified"].dtype == bool and frame["rel_error"].notna().all()


def test_shifted_geometric_mean_by_hand():
    # (0.02 * 0.04 * 0.10) ** (1/3) - 0.01
    assert shifted_geometric_mean([0.01, 0.03, 0.09], 0.01) == pytest.approx(8e-5 ** (1 / 3) - 0.01, rel=1e-12)
    assert shifted_geometric_mean([5.0, 5.0], 0.01) == pytest.approx(5.0)
    assert shifted_geometric_mean([0.0, 0.0], 1e-10) == pytest.approx(0.0, abs=1e-20)
    # the shift keeps one tiny value from dominating: plain geometric mean of (1e-6, 1) is 1e-3
    assert shifted_geometric_mean([1e-6, 1.0], 0.01) == pytest.approx(math.sqrt(0.010001 * 1.01) - 0.01)
    assert math.isnan(shifted_geometric_mean([], 0.01))
    with pytest.raises(ValueError):
        shifted_geometric_mean([-1.0, 1.0], 0.01)
    with pytest.raises(ValueError):
        shifted_geometric_mean([float("nan")], 0.01)


def test_success_and_correct_rates_by_hand():
    frame = pd.DataFrame({
        "solver": ["a", "a", "a", "a", "b", "b", "b"],
        "accuracy": ["low"] * 7,
        "status": ["optimal", "optimal", "optimal_inaccurate", "user_limit", "optimal", "optimal", "error"],
        # as read back from a CSV: strings
        "certified": ["True", "False", "False", "True", "True", "True", "False"],
    })
    rates = success_and_correct_rates(frame).set_index("solver")
    a, b = rates.loc["a"], rates.loc["b"]
    assert (a["runs"], a["certified"], a["claimed"], a["correct"]) == (4, 2, 2, 2)
    assert a["success_rate"] == 0.5 and a["correct_rate"] == 0.5
    assert (a["false_claims"], a["missed"]) == (1, 1)
    assert b["success_rate"] == pytest.approx(2 / 3) and b["correct_rate"] == 1.0
    assert (b["false_claims"], b["missed"]) == (0, 0)


def test_time_means_charge_failures_and_normalise():
    frame = pd.DataFrame({"solver": ["a", "a", "b", "b"], "accuracy": ["high"] * 4,
                          "certified": [True, False, True, True], "wall_s": [0.02, 0.5, 0.04, 0.04]})
    means = time_means(frame, "wall_s", time_limit=2.0).set_index("solver")
    # a's failure is charged the time limit (2 s), not its 0.5 s
    assert means.loc["a", "sgm"] == pytest.approx(math.sqrt(0.03 * 2.01) - 0.01)
    assert means.loc["b", "sgm"] == pytest.approx(0.04)
    assert means.loc["b", "relative"] == 1.0 and means.loc["a", "relative"] > 1.0
    # no time limit: 10 x the largest observed time (0.5 s) -> 5 s
    means = time_means(frame, "wall_s").set_index("solver")
    assert means.loc["a", "sgm"] == pytest.approx(math.sqrt(0.03 * 5.01) - 0.01)


def test_performance_profile_by_hand():
    frame = pd.DataFrame({
        "problem": ["p1", "p1", "p2", "p2", "p3", "p3"],
        "solver": ["a", "b"] * 3,
        "certified": [True, True, True, True, False, True],
        "wall_s": [1.0, 2.0, 3.0, 1.0, 1.0, 5.0],
    })
    prof = performance_profile(frame, [1, 2, 3, 10])
    # ratios: a = (1, 3, failed), b = (2, 1, 1)
    assert prof["a"].tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3])
    assert prof["b"].tolist() == pytest.approx([2 / 3, 1, 1, 1])
    # a problem nobody certified counts against everyone
    more = pd.concat([frame, pd.DataFrame({"problem": ["p4", "p4"], "solver": ["a", "b"], "certified": [False] * 2,
                                           "wall_s": [1.0, 1.0]})])
    assert performance_profile(more, [10])["b"].tolist() == pytest.approx([3 / 4])


def test_report_has_machine_versions_rates_and_profile(tiny_rows, tmp_path):
    rows, _ = tiny_rows
    report = write_report(rows, tmp_path / "report.md", "cvxnn bench a.toml b.toml --out x")
    text = report.read_text()
    for needle in ("## Machine and versions", "cpu count", "python", "numpy", "cvxpy", "solver clarabel",
                   "solver scs", "## Settings", "`eps_abs`", "`tol_gap_abs`", "## Success and correctness",
                   "cvxnn bench a.toml b.toml --out x", "## Performance profile", "profile.png"):
        assert needle in text, needle
    rates = success_and_correct_rates(pd.DataFrame(rows))
    for _, r in rates.iterrows():
        assert f"{int(r['certified'])}/{int(r['runs'])} ({100 * r['success_rate']:.0f}%)" in text
        assert f"{int(r['correct'])}/{int(r['runs'])} ({100 * r['correct_rate']:.0f}%)" in text
    assert (tmp_path / "profile.png").stat().st_size > 1000


def test_cli_bench_out_writes_runs_report_and_profile_and_resumes(problem_files, tmp_path, capsys, monkeypatch):
    out = tmp_path / "results"
    args = ["bench", *map(str, problem_files), "--solvers", "clarabel,scs", "--accuracy", "low,high",
            "--out", str(out), "--no-progress", "--time-limit", "30"]
    # low accuracy rows are not certified, but the exit code follows the reference rows (clarabel, high) alone
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "NOT certified: tiny-relu / scs / low" in printed and "report written to" in printed
    assert "reference rows (clarabel at high accuracy): 2 of 2 certified" in printed
    for name in ("runs.csv", "report.md", "profile.png"):
        assert (out / name).is_file(), name
    frame = pd.read_csv(out / "runs.csv")
    assert len(frame) == 8 and (frame["time_limit"] == 30).all()
    text = (out / "report.md").read_text()
    assert "## Beta path" in text and "tiny-relu" in text and "--time-limit 30" in text
    calls = []
    monkeypatch.setattr(bench, "run_row", lambda *a, **k: calls.append(a))
    assert main(args) == 0
    assert calls == []
    high_only = ["bench", *map(str, problem_files), "--solvers", "clarabel,scs", "--accuracy", "high", "--out",
                 str(out), "--no-progress"]
    assert main(high_only) == 0 and calls == []  # the plan's rows are all on disk and certified


def test_resume_refuses_a_foreign_runs_csv(tmp_path):
    (tmp_path / "runs.csv").write_text("problem,solver,accuracy,certified\nx,clarabel,high,True\n")
    good = Problem("fine", np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.0, 1.0]), "relu", 0.1)
    with pytest.raises(ValueError, match="not written by"):
        run_bench([good], ["clarabel"], ["high"], out=tmp_path)
    assert "x,clarabel,high,True" in (tmp_path / "runs.csv").read_text()  # left as it was


def test_cli_bench_time_limit_defaults_to_five_seconds_for_the_library_suites_only(problem_files, monkeypatch,
                                                                                    capsys):
    """`cvxnn bench` on the library's tiny / small suite limits each solve to 5 s unless told otherwise
    (--time-limit S or 'none'); with problem files or the medium suite there is no default limit."""
    seen = []
    monkeypatch.setattr(bench, "run_bench", lambda problems, *a, **k: seen.append(k["time_limit"]) or [])
    for argv, expected in ((["--suite", "tiny"], 5.0), (["--suite", "small"], 5.0), ([], 5.0),
                           (["--suite", "tiny", "--time-limit", "none"], None),
                           (["--suite", "tiny", "--time-limit", "12.5"], 12.5),
                           ([str(problem_files[0])], None), (["--suite", "medium"], None)):
        seen.clear()
        main(["bench", *argv, "--no-progress"])
        assert seen == [expected], argv
    for bad in ("0", "-3", "soon"):
        assert main(["bench", "--suite", "tiny", "--time-limit", bad]) == 2
        assert "--time-limit" in capsys.readouterr().err
