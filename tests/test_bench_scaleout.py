"""Scale-out of `cvxnn bench`: --jobs N (joblib/loky) and --backend dask give the same rows as the serial path,
skipped (problem, solver) pairs, the reference-row exit code, the fastest-backend table, and bad settings."""

import math
import socket

import numpy as np
import pandas as pd
import pytest

import cvxnn.bench as bench
from cvxnn.bench import VOLATILE_COLUMNS, cannot_take, run_bench, single_thread_row
from cvxnn.cli import main
from cvxnn.errors import CvxnnError, InvalidParameterError
from cvxnn.problems import suite
from cvxnn.report import fastest_vs_reference, write_report

from .conftest import require

#: tiny library problems of four program kinds: a 1-D Lasso, an interpolation LP, an arrangement group Lasso (SOCP)
#: and a wedge Lasso in d = 2
NAMES = ["relu-1d-n8", "opt-relu-interp", "abs-2d-n6", "abs-l1-2d-n6"]
SOLVERS = ["clarabel", "scs", "osqp"]


@pytest.fixture(scope="module")
def problems():
    by_name = {p.name: p for p in suite("tiny")}
    return [by_name[n] for n in NAMES]


@pytest.fixture(scope="module")
def serial(problems, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return run_bench(problems, SOLVERS, ["low", "high"], out=out), out


def comparable(row):
    """A row without the columns that may differ between two runs (timings, host, load)."""
    return {k: v for k, v in row.items() if k not in VOLATILE_COLUMNS}


def assert_same_rows(a, b):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        ca, cb = comparable(ra), comparable(rb)
        assert ca.keys() == cb.keys()
        for k in ca:
            va, vb = ca[k], cb[k]
            if isinstance(va, float) and isinstance(vb, float) and not (math.isnan(va) and math.isnan(vb)):
                # the same solver on the same data; only the thread count may differ (last-bit differences)
                assert va == pytest.approx(vb, rel=1e-9, abs=1e-12), (ra["problem"], ra["solver"], k, va, vb)
            else:
                assert va == vb, (ra["problem"], ra["solver"], k, va, vb)


def assert_same_csv(dir_a, dir_b):
    fa = pd.read_csv(dir_a / "runs.csv").drop(columns=list(VOLATILE_COLUMNS))
    fb = pd.read_csv(dir_b / "runs.csv").drop(columns=list(VOLATILE_COLUMNS))
    assert list(fa.columns) == list(fb.columns)
    pd.testing.assert_frame_equal(fa, fb, check_exact=False, rtol=1e-9, atol=1e-12)


def test_serial_rows_cover_every_outcome(serial):
    rows, _ = serial
    statuses = {r["status"] for r in rows}
    # certified runs, runs that are not (low accuracy) and skipped pairs (OSQP takes no second-order cones): the
    # comparisons below are between non-trivial row sets
    assert any(r["certified"] for r in rows) and any(not r["certified"] for r in rows)
    assert "skipped" in statuses
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert {(r["problem"], r["solver"]) for r in skipped} == {("abs-2d-n6", "osqp")}
    assert all(r["error"].startswith("skipped: osqp takes LP, QP") for r in skipped)
    assert all(r["host"] == socket.gethostname() for r in rows)


def test_jobs_2_gives_the_same_rows_as_serial(problems, serial, tmp_path):
    rows, out = serial
    parallel = run_bench(problems, SOLVERS, ["low", "high"], out=tmp_path, jobs=2)
    assert_same_rows(rows, parallel)
    assert_same_csv(out, tmp_path)


def test_parallel_run_resumes_and_saves_every_row(problems, serial, tmp_path, monkeypatch):
    rows, _ = serial
    first = run_bench(problems[:2], SOLVERS, ["high"], out=tmp_path, jobs=2)
    assert len(pd.read_csv(tmp_path / "runs.csv")) == len(first) == 6

    def fail(*args, **kwargs):
        raise AssertionError("a finished row was run again")

    monkeypatch.setattr(bench, "run_row", fail)
    again = run_bench(problems[:2], SOLVERS, ["high"], out=tmp_path, jobs=2)  # every row on disk: nothing to run
    assert_same_rows(first, again)
    monkeypatch.undo()
    more = run_bench(problems, SOLVERS, ["low", "high"], out=tmp_path, jobs=2)
    assert_same_rows(rows, more)
    frame = pd.read_csv(tmp_path / "runs.csv")
    assert len(frame) == len(rows) and not frame.duplicated(["problem", "solver", "accuracy", "repeat"]).any()


def test_workers_solve_with_one_blas_thread(problems, monkeypatch):
    threadpoolctl = require("threadpoolctl")
    seen = []

    def record(*args, **kwargs):
        seen.append(max((i["num_threads"] for i in threadpoolctl.threadpool_info()), default=1))
        return {"problem": args[0].name}

    monkeypatch.setattr(bench, "run_row", record)
    single_thread_row(problems[0], "clarabel", "high")
    assert seen == [1]


def test_row_timeout_kills_a_row_and_keeps_the_others(problems, serial, monkeypatch, capsys, tmp_path):
    import os
    import time

    rows, _ = serial
    # a row in a forked process is the same row
    same = run_bench(problems[:1], SOLVERS, ["low", "high"], row_timeout=60)
    assert_same_rows([r for r in rows if r["problem"] == problems[0].name], same)
    original = bench.run_row

    def slow_or_dying(problem, solver, accuracy, repeat=1, **kw):
        if solver == "scs":
            time.sleep(30)
        if solver == "osqp":
            os._exit(3)
        return original(problem, solver, accuracy, repeat, **kw)

    monkeypatch.setattr(bench, "run_row", slow_or_dying)  # the forked child inherits the patch
    started = time.perf_counter()
    out = run_bench(problems[:1], SOLVERS, ["high"], row_timeout=1.0)
    assert time.perf_counter() - started < 20
    by_solver = {r["solver"]: r for r in out}
    assert by_solver["clarabel"]["certified"]
    scs = by_solver["scs"]
    assert scs["status"] == "user_limit" and not scs["certified"] and scs["error"].startswith("row timeout")
    assert 1.0 <= scs["wall_s"] < 10
    assert by_solver["osqp"]["status"] == "error" and "exit code 3" in by_solver["osqp"]["error"]
    # through the CLI, and the flag is in the command that regenerates the report
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\nbeta = 0.1\n[data]\nx = [0, 1, 2, 3]\ny = [0, 1, 0, 1]\n')
    capsys.readouterr()
    assert main(["bench", str(path), "--solvers", "scs", "--row-timeout", "0.5", "--no-progress", "--markdown",
                 str(tmp_path / "r.md")]) == 1
    assert "row timeout: killed after 0.5 s" in capsys.readouterr().out
    assert "--row-timeout 0.5" in (tmp_path / "r.md").read_text()


@pytest.mark.parametrize("kwargs, needle", [
    ({"row_timeout": 0}, "received 0"),
    ({"row_timeout": "10"}, "received '10'"),
    ({"row_timeout": 10, "backend": "dask", "scheduler": "tcp://127.0.0.1:8786"}, "local backend only"),
])
def test_bad_row_timeout_is_refused(problems, kwargs, needle):
    with pytest.raises(InvalidParameterError, match=needle):
        run_bench(problems[:1], ["clarabel"], ["high"], **kwargs)


@pytest.fixture(scope="module")
def cluster():
    """A Dask LocalCluster on loopback TCP: two single-threaded workers in this process."""
    require("distributed")
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, host="127.0.0.1", protocol="tcp",
                      dashboard_address=None) as c:
        yield c


def test_dask_gives_the_same_rows_as_the_local_path(problems, serial, cluster, tmp_path, monkeypatch):
    rows, out = serial
    address = cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    remote = run_bench(problems, SOLVERS, ["low", "high"], out=tmp_path, backend="dask", scheduler=address)
    assert_same_rows(rows, remote)
    assert_same_csv(out, tmp_path)
    # the rows are on disk: the local path resumes from them and runs nothing
    monkeypatch.setattr(bench, "run_row", lambda *a, **k: pytest.fail("a finished row was run again"))
    assert_same_rows(rows, run_bench(problems, SOLVERS, ["low", "high"], out=tmp_path))


def test_cli_dask_backend(cluster, tmp_path, capsys):
    out = tmp_path / "dask"
    args = ["bench", "--suite", "tiny", "--solvers", "clarabel", "--backend", "dask", "--scheduler",
            cluster.scheduler_address, "--out", str(out), "--no-progress"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "reference rows (clarabel at high accuracy): 28 of 28 certified" in printed
    frame = pd.read_csv(out / "runs.csv")
    assert len(frame) == len(suite("tiny")) and frame["certified"].all()
    text = (out / "report.md").read_text()
    assert f"--backend dask --scheduler {cluster.scheduler_address}" in text
    assert "the Dask cluster at" in text


@pytest.mark.parametrize("kwargs, needle", [
    ({"jobs": 0}, "jobs must be an integer >= 1"),
    ({"jobs": -3}, "received -3"),
    ({"jobs": 2.5}, "received 2.5"),
    ({"backend": "spark"}, "unknown backend 'spark'"),
    ({"backend": "dsk", "scheduler": "tcp://x:1"}, "Did you mean 'dask'"),
    ({"backend": "dask"}, "needs the address of a running Dask scheduler; received None"),
    ({"backend": "dask", "scheduler": "  "}, "--scheduler tcp://HOST:8786"),
    ({"scheduler": "tcp://127.0.0.1:8786"}, "Add --backend dask"),
    ({"backend": "dask", "scheduler": "tcp://127.0.0.1:8786", "jobs": 2}, "received --jobs 2 with --backend dask"),
])
def test_bad_scaleout_settings_are_refused(problems, kwargs, needle):
    with pytest.raises(InvalidParameterError) as info:
        run_bench(problems[:1], ["clarabel"], ["high"], **kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize("argv, needle", [
    (["--jobs", "0"], "received 0"),
    (["--backend", "spark"], "unknown backend 'spark'"),
    (["--backend", "dask"], "--scheduler tcp://HOST:8786"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "Add --backend dask"),
    (["--suite", "big"], "unknown suite 'big'"),
    (["--suite", "smal"], "Did you mean 'small'"),
])
def test_cli_bad_scaleout_settings_exit_2(argv, needle, capsys, monkeypatch):
    monkeypatch.setattr(bench, "run_row", lambda *a, **k: pytest.fail("nothing should run"))
    assert main(["bench", "--no-progress", *argv]) == 2
    assert needle in capsys.readouterr().err


def test_missing_dask_says_how_to_install(problems, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(CvxnnError, match=r'pip install -e "\.\[dask\]"'):
        run_bench(problems[:1], ["clarabel"], ["high"], backend="dask", scheduler="tcp://127.0.0.1:8786")
    assert main(["bench", "--suite", "tiny", "--solvers", "clarabel", "--backend", "dask", "--scheduler",
                 "tcp://127.0.0.1:8786", "--no-progress"]) == 2
    assert '.[dask]' in capsys.readouterr().err


def test_unreachable_scheduler_is_a_clear_error(problems, monkeypatch):
    require("distributed")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(bench, "DASK_CONNECT_TIMEOUT", 1.0)
    with pytest.raises(InvalidParameterError, match=f"could not connect to the Dask scheduler at 'tcp://127.0.0.1:{port}'"):
        run_bench(problems[:1], ["clarabel"], ["high"], backend="dask", scheduler=f"tcp://127.0.0.1:{port}")


# ------------------------------------------------------------------------------------- skipped pairs, exit code

def test_native_backends_skip_what_they_cannot_take(tmp_path, capsys):
    require("sklearn")
    by_name = {p.name: p for p in suite("tiny")}
    rows = run_bench([by_name["relu-1d-n8"], by_name["opt-relu-interp"], by_name["gated-2d-n6"],
                      by_name["abs-l1-2d-n6"]], ["clarabel", "sklearn"], ["high"])
    status = {(r["problem"], r["solver"]): r["status"] for r in rows}
    assert status[("opt-relu-interp", "sklearn")] == "skipped"  # an interpolation LP
    assert status[("gated-2d-n6", "sklearn")] == "skipped"  # a group Lasso
    ran = {k: r for k, r in zip(status, rows) if r["status"] != "skipped"}
    assert {k[1] for k in ran} == {"clarabel", "sklearn"} and all(r["certified"] for r in ran.values())
    assert ("relu-1d-n8", "sklearn") in ran and ("abs-l1-2d-n6", "sklearn") in ran  # Lassos: taken
    report = write_report(rows, tmp_path / "report.md", "cvxnn bench ...").read_text()
    assert "## Skipped" in report and "2 skipped" in report
    assert "| sklearn  | high       |      2 | 2/2 (100%)" in report  # skipped pairs are in no rate
    # through the CLI: skipped pairs do not fail the run
    path = tmp_path / "interp.toml"
    path.write_text('activation = "relu"\nmode = "interpolation"\n[data]\nx = [0, 1, 2, 3]\ny = [0, 1, 0, 2]\n')
    assert main(["bench", str(path), "--solvers", "clarabel,sklearn", "--no-progress"]) == 0
    assert "1 (problem, solver) pairs skipped" in capsys.readouterr().out


def test_cannot_take_matches_what_the_solvers_refuse(problems):
    from cvxnn.models import build
    from cvxnn.solvers import ADAPTERS

    refused = 0
    for p in problems:
        prog = build(p.X, p.y, p.architecture(), p.beta, mode=p.mode)
        for solver in ("osqp", "piqp", "highs", "ecos", "scs"):
            if not ADAPTERS[solver].is_installed():
                continue
            reason = cannot_take(prog, solver)
            try:
                prog.solve(solver=solver, accuracy="low")
                error = ""
            except CvxnnError as exc:
                error = str(exc)
            # a pair is skipped exactly when CVXPY refuses it ('cannot solve'), never for a mere failure
            assert bool(reason) == ("cannot solve" in error), (p.name, solver, reason, error)
            refused += bool(reason)
    assert refused >= 1


def test_exit_code_follows_the_reference_rows(tmp_path, monkeypatch, capsys):
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\nactivation = "relu"\nbeta = 0.1\n[data]\nx = [0, 1, 2, 3, 4]\ny = [0, 1, 0, 2, 1]\n')
    args = ["bench", str(path), "--solvers", "clarabel,scs", "--accuracy", "low,high", "--no-progress"]
    # low-accuracy rows are not certified, but the reference (clarabel, high) is: exit 0
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "NOT certified: p / scs / low" in printed and "1 of 1 certified" in printed
    original = bench.run_row

    def broken_reference(problem, solver, accuracy, repeat=1, **kw):
        row = original(problem, solver, accuracy, repeat, **kw)
        if (solver, accuracy) == ("clarabel", "high"):
            row.update(certified=False, globally_optimal=False, failed_checks="gap")
        return row

    monkeypatch.setattr(bench, "run_row", broken_reference)
    assert main(args) == 1
    assert "REFERENCE NOT certified: p" in capsys.readouterr().out
    # without reference rows every row counts
    assert main(["bench", str(path), "--solvers", "scs", "--accuracy", "low", "--no-progress"]) == 1
    assert "every row counts" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ fastest backend

def test_fastest_vs_reference_by_hand():
    def row(problem, d, mode, solver, t, ok=True, status="optimal"):
        return {"problem": problem, "d": d, "mode": mode, "solver": solver, "accuracy": "high", "wall_s": t,
                "certified": ok, "status": status}

    frame = pd.DataFrame([
        row("a", 1, "training", "clarabel", 1.0), row("a", 1, "training", "fast", 0.25),
        row("b", 1, "training", "clarabel", 2.0), row("b", 1, "training", "fast", 4.0, ok=False),
        row("c", 2, "training", "clarabel", 0.5), row("c", 2, "training", "fast", 0.0, ok=False, status="skipped"),
        row("c", 2, "training", "other", 0.1),
    ])
    summary, detail = fastest_vs_reference(frame, time_limit=10.0, shift=1e-12)
    s = summary.set_index("class")
    lasso, nd = s.loc["1-D Lasso"], s.loc["any dimension (d >= 2)"]
    # per problem: a -> fast 0.25 / 1; b -> clarabel itself (fast not certified) -> 1
    assert lasso["per-problem ratio (geo mean)"] == pytest.approx(math.sqrt(0.25 * 1.0))
    assert (lasso["min"], lasso["max"]) == (pytest.approx(0.25), pytest.approx(1.0))
    assert lasso["fastest on"] == "fast 1, clarabel 1" and lasso["reference certified"] == "2/2"
    # sgm (tiny shift): fast = sqrt(0.25 * 10) (b charged the 10 s limit), clarabel = sqrt(1 * 2)
    d = detail.set_index(["class", "solver"])
    assert d.loc[("1-D Lasso", "fast"), "ratio"] == pytest.approx(math.sqrt(2.5) / math.sqrt(2.0), rel=1e-9)
    assert lasso["fastest backend (sgm)"] == "clarabel" and lasso["sgm ratio"] == pytest.approx(1.0)
    # d >= 2: the skipped row is left out; 'other' is 5x faster
    assert nd["fastest backend (sgm)"] == "other" and nd["sgm ratio"] == pytest.approx(0.2, rel=1e-9)
    assert nd["per-problem ratio (geo mean)"] == pytest.approx(0.2) and nd["problems"] == 1
    assert ("any dimension (d >= 2)", "fast") not in d.index
    assert "1-D interpolation LP" not in s.index


def test_report_has_the_fastest_backend_table(serial, tmp_path):
    rows, _ = serial
    text = write_report(rows, tmp_path / "r.md", "cvxnn bench x").read_text()
    assert "## Fastest certified backend vs CVXPY + Clarabel" in text
    for cls in ("1-D Lasso", "1-D interpolation LP", "any dimension (d >= 2)"):
        assert f"| {cls}" in text
    summary, _ = fastest_vs_reference(pd.DataFrame(rows))
    high = summary[summary["accuracy"] == "high"]
    assert len(high) == 3 and (high["max"] <= 1.0 + 1e-12).all()  # Clarabel itself is a candidate on every problem
    assert np.isnan(summary.loc[summary["accuracy"] == "low", "max"]).all()  # Clarabel certified nothing at low


def test_beta_path_budget_and_native_backends_last(monkeypatch):
    require("sklearn")
    from cvxnn.bench import beta_path

    tiny = suite("tiny")
    spent = beta_path(tiny, ["sklearn", "clarabel"], total_budget_s=0.0)
    assert spent and all(r["error"].startswith("not run: the beta-path table's budget (0 s)") for r in spent)
    order = []
    original = bench._beta_path_pair

    def record(p, solver, *args):
        order.append((p.name, solver))
        return original(p, solver, *args)

    monkeypatch.setattr(bench, "_beta_path_pair", record)
    rows = beta_path(tiny, ["sklearn", "clarabel"], rounds=1)
    # every CVXPY path runs before any native one; the rows keep the (problem, solver) order given
    assert [s for _, s in order] == ["clarabel", "clarabel", "sklearn", "sklearn"]
    assert [(r["problem"], r["solver"]) for r in rows][::2] == [(order[0][0], "sklearn"), (order[0][0], "clarabel"),
                                                                 (order[1][0], "sklearn"), (order[1][0], "clarabel")]
    assert all(r["certified"] == r["solves"] == 6 for r in rows)
