"""Solver comparison runs: one long-format row per (problem, solver, accuracy, repeat), judged by cvxnn's own
certificate, never by the solver's status alone.

``run_bench`` appends each row to ``OUT/runs.csv`` as it completes and skips the rows already there (resume key:
problem, solver, accuracy, repeat); failures (exceptions, time limits) become rows with status ``error`` or
``user_limit`` and never abort the run. A (problem, solver) pair the solver's adapter cannot take (a native Lasso
backend on a program that is not a whole-dictionary Lasso, a QP solver on a second-order-cone program) becomes a
row with status ``skipped``, which the report leaves out of every rate and mean and lists on its own.

Rows run serially (``jobs=1``), in parallel on this machine (``jobs=N``: joblib's loky processes) or on a Dask
distributed cluster (``backend="dask"``, ``scheduler=ADDRESS``; the optional extra ``pip install -e ".[dask]"``).
Every row, serial or not, runs with one BLAS / OpenMP thread: on a shared machine a multi-threaded BLAS competing
for the cores can slow the dense linear algebra (Caratheodory pruning, certificates) by 10-20x. The rows are the same
whatever the backend (only the timing columns, ``host`` and ``load`` differ) and are saved as they arrive. ``beta_path`` times the re-solves of one DPP program
over several betas. The summaries and the markdown report live in :mod:`cvxnn.report`.
"""

from __future__ import annotations

import csv
import math
import os
import re
import socket
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from .api import _solver_version
from .certify import certify
from .errors import CvxnnError, InvalidParameterError, SolverFailedError
from .models import build
from .problems import Problem, suite
from .program import LassoProgram
from .solvers import ADAPTERS
from .validation import closest

#: the long-format columns, in order (the issue's contract), then a few extras
COLUMNS = ["problem", "model", "activation", "n", "d", "depth", "beta", "mode", "dictionary_size", "scope", "solver",
           "solver_version", "accuracy", "repeat", "status", "certified", "globally_optimal", "correct", "objective",
           "rel_error", "duality_gap", "certified_gap", "dual_violation", "reconstruction_gap", "compile_s", "setup_s",
           "solve_s", "wall_s", "iterations", "n_active", "error"]
#: wall_s is the solver call (CVXPY compilation + the solver, all rounds of column generation) as the adapter
#: times it; for a run that raised, the time until it raised.
#: build_s: building the program (dictionary / arrangement); total_s: build + solve + certify;
#: failed_checks: which certificate checks failed (gap, dual, reconstruction, fit); program: the kind of convex
#: program (lasso, min-norm interpolation LP, cone-constrained group lasso, ...); host: the machine that ran the row;
#: load: its 1-minute load average when the row finished (how busy the machine was)
EXTRA_COLUMNS = ["failed_checks", "time_limit", "build_s", "total_s", "program", "host", "load"]
ALL_COLUMNS = COLUMNS + EXTRA_COLUMNS
KEY = ("problem", "solver", "accuracy", "repeat")
#: the columns that may differ between two runs of the same row (timings, where it ran); everything else is the
#: same whatever the backend
VOLATILE_COLUMNS = ("compile_s", "setup_s", "solve_s", "wall_s", "build_s", "total_s", "host", "load")
#: the reference rows: `cvxnn bench` exits non-zero when one of them is not certified
REFERENCE = ("clarabel", "high")
BACKENDS = ("local", "dask")
#: seconds to wait for a Dask scheduler before giving up
DASK_CONNECT_TIMEOUT = 10.0

_BOOL = {"certified", "globally_optimal", "correct"}
_INT = {"n", "d", "depth", "dictionary_size", "repeat", "iterations", "n_active"}
_FLOAT = {"beta", "objective", "rel_error", "duality_gap", "certified_gap", "dual_violation", "reconstruction_gap",
          "compile_s", "setup_s", "solve_s", "wall_s", "time_limit", "build_s", "total_s", "load"}


def problem_fields(problem: Problem) -> dict:
    """The columns that describe a problem (known before anything is solved)."""
    X = np.asarray(problem.X)
    try:
        depth = problem.architecture().depth
    except CvxnnError:  # an invalid architecture: the row records the error when the program is built
        depth = problem.depth
    return {"problem": problem.name, "model": problem.model, "activation": problem.activation, "n": problem.n,
            "d": 1 if X.ndim == 1 else int(X.shape[1]), "depth": depth,
            "beta": problem.beta if problem.mode == "training" else None, "mode": problem.mode}


def program_class(program) -> str:
    """'LP', 'QP' or 'SOCP': the class of conic program a CVXPY solver receives for ``program`` (the group Lasso
    programs of arrangements and gates have second-order cones; Lasso programs are QPs, interpolation programs
    LPs)."""
    kind = str(getattr(program, "program_kind", ""))
    if "group lasso" in kind:
        return "SOCP"
    return "LP" if getattr(program, "mode", "training") == "interpolation" else "QP"


def cannot_take(program, solver: str) -> str:
    """'' when ``solver``'s adapter can take ``program``; otherwise the reason it cannot (the row is then recorded
    with status 'skipped'). Native Lasso backends take only Lasso training programs over a whole dictionary (no
    column generation: they return no dual to price columns with); QP-only solvers (OSQP, PIQP, HiGHS) take no
    second-order cones. CVXPY turns QPs into SOCPs for conic solvers, so every CVXPY solver takes LPs and QPs."""

    adapter = ADAPTERS.get(str(solver).lower())
    if adapter is None:
        return ""
    kind = str(getattr(program, "program_kind", "")) or type(program).__name__
    if getattr(adapter, "native_lasso", False):
        if isinstance(program, LassoProgram) and getattr(program, "scope", None) == "global":
            return ""
        return (f"{solver} is a native Lasso backend: it takes only Lasso training programs over a whole "
                f"dictionary; this problem is a {kind}")
    cls = program_class(program)
    if cls == "SOCP" and cls not in adapter.problem_classes:
        return f"{solver} takes {', '.join(adapter.problem_classes)}; this problem is a {kind} ({cls})"
    return ""


def is_correct(status, certified) -> bool:
    """The solver's claim agrees with the certificate: it said 'optimal' exactly when cvxnn certified the run."""
    return (status == "optimal") == bool(certified)


def _failed_checks(failures) -> str:
    names = []
    for f in failures:
        name = ("gap" if f.startswith("certified gap") else "dual" if f.startswith("dual constraint") else
                "reconstruction" if f.startswith("reconstruction gap") else
                "fit" if "does not interpolate" in f else "other")
        if name not in names:
            names.append(name)
    return ",".join(names)


def _one_line(exc: BaseException, with_place: bool = False) -> str:
    text = " ".join(str(exc).split()) or repr(exc)
    if with_place:
        tb = traceback.extract_tb(exc.__traceback__)
        if tb:
            text += f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})"
    return f"{type(exc).__name__}: {text}"


def run_row(problem: Problem, solver: str, accuracy: str, repeat: int = 1, time_limit: float | None = None,
            options: dict | None = None) -> dict:
    """Build, solve and certify one problem with one solver, as :func:`cvxnn.train` does (build, solve,
    certify), timing each step; ``options`` are solver options that override the adapter's mapping (e.g.
    ``{"max_iters": 30}`` for SCS). Failures become rows with status 'error' or 'user_limit' and a message,
    never exceptions."""
    row = dict.fromkeys(ALL_COLUMNS)
    row.update(problem_fields(problem), solver=solver, accuracy=accuracy, repeat=int(repeat), time_limit=time_limit,
               certified=False, globally_optimal=False, error="", failed_checks="", host=socket.gethostname())
    row["solver_version"] = _solver_version(solver)
    t0 = time.perf_counter()
    stage, program = "build", None
    try:
        program = build(problem.X, problem.y, problem.architecture(), problem.beta, duplicates=problem.duplicates,
                        mode=problem.mode)
        summary = program.summary()
        row.update(dictionary_size=summary.get("dictionary_size"), scope=summary.get("scope"),
                   program=summary.get("program"))
        t1 = time.perf_counter()
        row["build_s"] = t1 - t0
        reason = cannot_take(program, solver)
        if reason:
            row.update(status="skipped", error="skipped: " + reason, total_s=time.perf_counter() - t0,
                       load=_load_average())
            row["correct"] = None
            return _normalise(row)
        stage = "solve"
        try:
            result = program.solve(solver=solver, accuracy=accuracy, time_limit=time_limit, **(options or {}))
        finally:
            row["wall_s"] = time.perf_counter() - t1
        stage = "certify"
        cert = certify(program, result)
    except Exception as exc:  # noqa: BLE001 - a benchmark records every failure as a row
        status = "error"
        if isinstance(exc, SolverFailedError):
            found = re.search(r"status '([a-z_]+)'", str(exc))
            if found and found.group(1) == "user_limit":
                status = "user_limit"
        row.update(status=status, error=f"{stage}: " + _one_line(exc, not isinstance(exc, CvxnnError)),
                   total_s=time.perf_counter() - t0, load=_load_average())
        row["correct"] = is_correct(status, False)
        return _normalise(row)
    run = result.run
    row.update(
        status=run.status, certified=bool(cert.certified), globally_optimal=bool(cert.globally_optimal),
        scope=cert.scope, objective=cert.objective, duality_gap=cert.duality_gap, certified_gap=cert.certified_gap,
        dual_violation=cert.dual_violation, reconstruction_gap=cert.reconstruction_gap,
        compile_s=run.times.get("compile"), setup_s=_reported(run.times.get("setup")),
        solve_s=_reported(run.times.get("solve")),
        wall_s=run.times.get("wall", row["wall_s"]),
        iterations=run.iterations, n_active=result.network.width, failed_checks=_failed_checks(cert.failures),
        total_s=time.perf_counter() - t0, load=_load_average(),
    )
    row["correct"] = is_correct(row["status"], row["certified"])
    return _normalise(row)


def _reported(t):
    """A solver-reported time, or None when the solver did not measure it: PIQP, for one, reports exactly 0 unless
    asked to compute timings, which no real solve takes."""
    return None if t is None or not t > 0 else float(t)


def add_relative_errors(rows: list[dict]) -> list[dict]:
    """rel_error = (objective - best certified objective of the same problem) / max(1, |best|); None when no run
    of that problem is certified or the run failed."""
    best: dict[str, float] = {}
    for r in rows:
        if r.get("certified") and _finite(r.get("objective")):
            best[r["problem"]] = min(best.get(r["problem"], float("inf")), r["objective"])
    for r in rows:
        b = best.get(r["problem"])
        obj = r.get("objective")
        r["rel_error"] = None if b is None or not _finite(obj) else (obj - b) / max(1.0, abs(b))
    return rows


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _load_average():
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):  # not available on this platform
        return None


def _normalise(row: dict) -> dict:
    """Uniform Python types whether a row was just computed or read back from runs.csv."""
    out = {}
    for k, v in row.items():
        if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v == "" and k != "error"
                                                                        and k != "failed_checks"):
            out[k] = None
        elif k in _BOOL:
            out[k] = v if isinstance(v, bool) else str(v).strip().lower() in ("true", "1", "1.0", "yes")
        elif k in _INT:
            out[k] = int(float(v))
        elif k in _FLOAT:
            out[k] = float(v)
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    for k in ("error", "failed_checks"):
        if out.get(k) is None:
            out[k] = ""
    for k in ("certified", "globally_optimal"):
        if out.get(k) is None:
            out[k] = False
    return out


def row_key(row: dict) -> tuple:
    return (str(row["problem"]), str(row["solver"]), str(row["accuracy"]), int(row["repeat"]))


def read_runs(path) -> list[dict]:
    """The rows of a runs.csv written by :func:`run_bench` (an empty list when the file does not exist)."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return []
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [k for k in (*KEY, "status") if k not in frame.columns]
    if missing:
        raise InvalidParameterError(
            f"{str(path)!r} has no column {', '.join(missing)}: it was not written by `cvxnn bench --out`, and "
            "resuming from it would rewrite it. Choose another --out folder or move the file away.")
    rows = []
    for rec in frame.to_dict("records"):
        rec = {k: (None if v == "" and k not in ("error", "failed_checks") else v) for k, v in rec.items()}
        if any(rec.get(k) is None for k in (*KEY, "status")):
            continue  # a row cut short (interrupted write): it will be redone
        rows.append(_normalise(rec))
    return rows


def _csv_value(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)  # full precision, round-trips
    return v


def _columns_for(rows) -> list[str]:
    extra = [k for r in rows for k in r if k not in ALL_COLUMNS]
    return ALL_COLUMNS + list(dict.fromkeys(extra))


def write_runs(rows: list[dict], path) -> None:
    """Write all rows to ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    columns = _columns_for(rows)
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _csv_value(r.get(k)) for k in columns})
    os.replace(tmp, path)


def _append_run(row: dict, path: Path) -> None:
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=ALL_COLUMNS, extrasaction="ignore")
        writer.writerow({k: _csv_value(row.get(k)) for k in ALL_COLUMNS})
        fh.flush()


def _write_parquet(rows: list[dict], path: Path) -> bool:
    """runs.parquet next to runs.csv when pyarrow is importable (an optional extra, never required)."""
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        return False
    import pandas as pd

    pd.DataFrame(rows, columns=_columns_for(rows)).to_parquet(path, index=False)
    return True


class MissingDependencyError(CvxnnError, ImportError):
    """An optional dependency of a bench backend (joblib, dask.distributed) is not installed."""


def check_jobs(jobs) -> int:
    """``jobs`` as an int >= 1, or an InvalidParameterError saying what was received."""
    if isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or int(jobs) < 1:
        raise InvalidParameterError(f"jobs must be an integer >= 1 (rows run at once on this machine; 1 = serial); "
                                    f"received {jobs!r}.")
    return int(jobs)


def check_backend(backend, scheduler=None, jobs: int = 1) -> str:
    """Validate the backend settings: 'local' (with ``jobs``) or 'dask' (with a scheduler address, no ``jobs``)."""
    if not isinstance(backend, str) or backend.strip().lower() not in BACKENDS:
        raise InvalidParameterError(
            f"unknown backend {backend!r}; expected one of {', '.join(map(repr, BACKENDS))} ('local': this "
            "machine, --jobs N processes; 'dask': a Dask distributed cluster, --scheduler ADDRESS)."
            + (closest(backend, BACKENDS) if isinstance(backend, str) else ""))
    backend = backend.strip().lower()
    if backend == "dask":
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise InvalidParameterError(
                f"the dask backend needs the address of a running Dask scheduler; received {scheduler!r}. Pass "
                "--scheduler tcp://HOST:8786 (start one with `dask scheduler` and workers with "
                "`dask worker tcp://HOST:8786 --nthreads 1`).")
        if jobs != 1:
            raise InvalidParameterError(
                f"--jobs applies to the local backend; received --jobs {jobs} with --backend dask, where the "
                "cluster's workers decide how many rows run at once. Drop --jobs (start more workers instead).")
    elif scheduler is not None:
        raise InvalidParameterError(
            f"a scheduler address ({scheduler!r}) is used only by the dask backend; received backend 'local'. "
            "Add --backend dask, or drop --scheduler.")
    return backend


def single_thread_row(problem: Problem, solver: str, accuracy: str, repeat: int = 1,
                      time_limit: float | None = None, options: dict | None = None,
                      row_timeout: float | None = None) -> dict:
    """:func:`run_row` with one BLAS / OpenMP thread (threadpoolctl, when installed): what every row of
    :func:`run_bench` runs, serial, parallel or on Dask, so that N rows at once use N cores and timings stay
    comparable (and a multi-threaded BLAS does not thrash against other jobs on a shared machine).

    ``row_timeout`` (seconds): run the row in a forked child process and kill it after that long (status
    'user_limit'). The solver's ``time_limit`` bounds each solver call, but column and pattern generation make
    many calls, so only this bounds a whole row."""
    if row_timeout is not None:
        return _row_in_child(problem, solver, accuracy, repeat, time_limit, options, row_timeout)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn and joblib's loky workers
        return run_row(problem, solver, accuracy, repeat, time_limit=time_limit, options=options)
    with threadpool_limits(limits=1):
        return run_row(problem, solver, accuracy, repeat, time_limit=time_limit, options=options)


def _row_child(conn, job, time_limit, options):  # pragma: no cover - runs in the forked child
    try:
        conn.send(single_thread_row(*job, time_limit=time_limit, options=options))
    finally:
        conn.close()


def _row_in_child(problem, solver, accuracy, repeat, time_limit, options, row_timeout) -> dict:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    job = (problem, solver, accuracy, repeat)
    started = time.perf_counter()
    proc = ctx.Process(target=_row_child, args=(sender, job, time_limit, options), daemon=True)
    proc.start()
    sender.close()
    try:
        if receiver.poll(row_timeout):
            try:
                return receiver.recv()
            except EOFError:
                proc.join(5)
                return _failed_row(*job, time_limit, RuntimeError(
                    f"the row's process died (exit code {proc.exitcode}) before returning a row"))
        proc.kill()
        row = _failed_row(*job, time_limit, TimeoutError(f"killed after {row_timeout:g} s (--row-timeout)"))
        row.update(status="user_limit", error=f"row timeout: killed after {row_timeout:g} s (the solver's time "
                   "limit bounds each solver call; column and pattern generation make many)",
                   wall_s=time.perf_counter() - started, total_s=time.perf_counter() - started,
                   host=socket.gethostname(), load=_load_average())
        row["correct"] = is_correct("user_limit", False)
        return _normalise(row)
    finally:
        receiver.close()
        proc.join(5)


def _failed_row(problem, solver, accuracy, repeat, time_limit, exc) -> dict:
    """A row for a run whose worker died or was killed (a Dask task that raised, a forked row process that
    exited or timed out): status 'error', never an abort."""
    row = dict.fromkeys(ALL_COLUMNS)
    row.update(problem_fields(problem), solver=solver, accuracy=accuracy, repeat=int(repeat), time_limit=time_limit,
               certified=False, globally_optimal=False, status="error", failed_checks="",
               error="worker: " + _one_line(exc), host="", load=None)
    row["correct"] = is_correct("error", False)
    return _normalise(row)


def _rows_serial(todo, time_limit, options, row_timeout=None):
    for p, s, a, r in todo:
        yield (p, s, a, r), single_thread_row(p, s, a, r, time_limit=time_limit, options=options,
                                              row_timeout=row_timeout)


def _rows_joblib(todo, jobs, time_limit, options, row_timeout=None):
    try:
        from joblib import Parallel, delayed, parallel_config
    except ImportError:
        raise MissingDependencyError(
            f"--jobs {jobs} runs rows in parallel with joblib, which is not installed (nor recent enough: "
            "joblib >= 1.3). Install it with: pip install joblib (it also comes with scikit-learn, "
            "pip install -e \".[lasso]\"), or use --jobs 1.") from None
    # loky processes, each limited to one BLAS / OpenMP thread (inner_max_num_threads) and, inside, to one thread
    # per threadpool (single_thread_row); results come back as they finish
    with parallel_config(backend="loky", n_jobs=jobs, inner_max_num_threads=1):
        try:
            parallel = Parallel(return_as="generator_unordered")
        except (TypeError, ValueError):  # joblib < 1.4: in order, still as they complete
            parallel = Parallel(return_as="generator")
        tasks = (delayed(_keyed_row)(job, time_limit, options, row_timeout) for job in todo)
        yield from parallel(tasks)


def _keyed_row(job, time_limit, options, row_timeout=None):
    return job, single_thread_row(*job, time_limit=time_limit, options=options, row_timeout=row_timeout)


def _rows_dask(todo, scheduler, time_limit, options):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise MissingDependencyError(
            "--backend dask needs dask.distributed, which is not installed. Install the optional extra with: "
            "pip install -e \".[dask]\" (or pip install \"dask[distributed]\").") from None
    try:
        client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvalidParameterError(
            f"could not connect to the Dask scheduler at {scheduler!r} within {DASK_CONNECT_TIMEOUT:g} s: "
            f"{_one_line(exc)}. Start one with `dask scheduler` (and workers with `dask worker ADDRESS "
            "--nthreads 1`), then pass the address it prints, e.g. --scheduler tcp://127.0.0.1:8786.") from None
    try:
        futures = {client.submit(single_thread_row, *job, time_limit=time_limit, options=options, pure=False): job
                   for job in todo}
        for future in as_completed(list(futures), loop=client.loop):
            job = futures[future]
            try:
                row = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker that died is a failed row, not an abort
                row = _failed_row(*job, time_limit, exc)
            yield job, row
    finally:
        client.close()


def run_bench(problems=None, solvers=("clarabel", "scs"), accuracies=("high",), repeats: int = 1, out=None,
              time_limit: float | None = None, options: dict | None = None, progress: bool = False,
              jobs: int = 1, backend: str = "local", scheduler: str | None = None,
              row_timeout: float | None = None) -> list[dict]:
    """Run every (problem, solver, accuracy, repeat) and return its rows, in that order.

    With ``out`` (a folder) each row is appended to ``out/runs.csv`` as soon as it completes, rows already in that
    file are not redone (resume), and at the end the file is rewritten with ``rel_error`` filled in (rows of other
    runs already in the file first, then this plan's rows in plan order) and ``out/runs.parquet`` is written when
    pyarrow is importable. ``problems`` defaults to the small suite; ``time_limit`` (seconds) is passed to the
    solver of each run.

    ``jobs`` > 1 runs that many rows at once in loky processes (joblib); ``backend='dask'`` sends them to the Dask
    scheduler at ``scheduler`` (e.g. 'tcp://10.0.0.5:8786'). Every row (serial too) runs with one BLAS / OpenMP
    thread, the rows are the same whatever the backend apart from :data:`VOLATILE_COLUMNS`, and they are saved as
    they arrive. ``row_timeout`` (local backend only): each row runs in a forked process killed after that many
    seconds (see :func:`single_thread_row`)."""
    jobs = check_jobs(jobs)
    backend = check_backend(backend, scheduler, jobs)
    if row_timeout is not None:
        if isinstance(row_timeout, bool) or not isinstance(row_timeout, (int, float)) or not row_timeout > 0:
            raise InvalidParameterError(f"row_timeout must be a number of seconds > 0; received {row_timeout!r}.")
        if backend == "dask":
            raise InvalidParameterError(
                f"a row timeout ({row_timeout!r} s) works on the local backend only (a forked process per row); "
                "with --backend dask bound the solver calls with --time-limit instead.")
    problems = suite("small") if problems is None else list(problems)
    names = [p.name for p in problems]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InvalidParameterError(f"problem names must be unique in one bench run (they key the rows); "
                                    f"repeated: {', '.join(dupes)}. Set a distinct 'name' in each problem file.")
    if int(repeats) < 1:
        raise InvalidParameterError(f"repeats must be >= 1; received {repeats}.")
    plan = [(p, s, a, r) for p in problems for s in solvers for a in accuracies for r in range(1, int(repeats) + 1)]
    done: dict[tuple, dict] = {}
    csv_path = None
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        csv_path = out / "runs.csv"
        for r in read_runs(csv_path):
            done[row_key(r)] = r
        write_runs(list(done.values()), csv_path)  # a clean header (and no half-written line) to append to
    todo = [j for j in plan if (j[0].name, j[1], j[2], j[3]) not in done]
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="bench", unit="run", file=sys.stderr)
    if backend == "dask":
        stream = _rows_dask(todo, scheduler, time_limit, options) if todo else iter(())
    elif jobs > 1 and len(todo) > 1:
        stream = _rows_joblib(todo, jobs, time_limit, options, row_timeout)
    else:
        stream = _rows_serial(todo, time_limit, options, row_timeout)
    try:
        for (p, s, a, _), row in stream:
            done[row_key(row)] = row
            if csv_path is not None:
                _append_run(row, csv_path)
            if bar is not None:
                bar.set_postfix_str(f"{p.name} {s} {a}", refresh=False)
                bar.update(1)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
        if bar is not None:
            bar.close()
    keys = [(p.name, s, a, r) for p, s, a, r in plan]
    in_plan = set(keys)
    everything = add_relative_errors([r for k, r in done.items() if k not in in_plan] + [done[k] for k in keys])
    if csv_path is not None:
        write_runs(everything, csv_path)
        _write_parquet(everything, csv_path.with_suffix(".parquet"))
    return [done[k] for k in keys]


def run_problems(problems=None, solvers=("clarabel", "scs"), accuracies=("high",), progress: bool = False):
    """One row per (problem, solver, accuracy); ``problems`` defaults to the small suite (no files written)."""
    return run_bench(problems, solvers, accuracies, progress=progress)


# ---------------------------------------------------------------------------------------------- beta path

def beta_path_problems(problems, max_problems: int = 2) -> list[tuple[Problem, object]]:
    """Up to ``max_problems`` 1-D training problems whose program is one DPP problem with a beta parameter,
    largest n first, each with its built program."""
    candidates = [p for p in problems if p.mode == "training" and p.beta is not None
                  and (np.asarray(p.X).ndim == 1 or np.asarray(p.X).shape[1] == 1)]
    candidates.sort(key=lambda p: -p.n)
    chosen = []
    for p in candidates:
        if len(chosen) >= max_problems:
            break
        try:
            prog = build(p.X, p.y, p.architecture(), p.beta, duplicates=p.duplicates)
        except CvxnnError:
            continue
        cp_problem = getattr(prog, "problem", None)
        if hasattr(prog, "set_beta") and cp_problem is not None and cp_problem.is_dpp():
            chosen.append((p, prog))
    return chosen


def beta_path(problems, solvers, accuracy: str = "high", n_betas: int = 6, max_problems: int = 2,
              time_limit: float | None = None, rounds: int = 3, budget_s: float = 3.0,
              total_budget_s: float | None = None) -> list[dict]:
    """Re-solve one DPP program over ``n_betas`` betas (10 beta .. beta / 10) per (problem, solver), cold and with
    ``warm_start=True``: the first solve pays CVXPY's compilation, the re-solves reuse the compiled problem and
    only update the parameter. Every solve is certified. Each path is run ``rounds`` times on a freshly built
    program (cold and warm alternating which goes first) and the times are medians over the rounds; no further
    round starts once a (problem, solver) has taken ``budget_s`` seconds (slow solvers run one round), and once the
    whole table has taken ``total_budget_s`` seconds no further solve starts (the path under way and the paths not
    started say so in ``error``); the native Lasso backends, often much slower, go after every CVXPY solver. A
    solver that cannot take the program (:func:`cannot_take`) gets rows saying so. One row per (problem, solver,
    warm_start), problem by problem."""
    def native(solver):
        return bool(getattr(ADAPTERS.get(str(solver).lower()), "native_lasso", False))

    chosen = beta_path_problems(problems, max_problems)
    order = [(i, j) for native_pass in (False, True) for i in range(len(chosen)) for j, s in enumerate(solvers)
             if native(s) == native_pass]
    out = {}
    table_start = time.perf_counter()
    for i, j in order:
        p, built = chosen[i]
        solver = solvers[j]
        base = {"problem": p.name, "n": p.n, "activation": p.activation, "solver": solver, "accuracy": accuracy,
                "betas": n_betas, "dictionary_size": built.size}
        skip = cannot_take(built, solver)
        if not skip and total_budget_s is not None and time.perf_counter() - table_start > total_budget_s:
            skip = f"not run: the beta-path table's budget ({total_budget_s:g} s) was spent"
        if skip:
            out[i, j] = [{**base, "warm_start": warm, "rounds": 0, "error": skip} for warm in (False, True)]
            continue
        deadline = None if total_budget_s is None else table_start + total_budget_s
        out[i, j] = _beta_path_pair(p, solver, accuracy, np.geomspace(10 * p.beta, p.beta / 10, n_betas), base,
                                    time_limit, rounds, budget_s, deadline, total_budget_s)
    return [row for key in sorted(out) for row in out[key]]


def _beta_path_pair(p, solver, accuracy, betas, base, time_limit, rounds, budget_s, deadline, total_budget_s):
    """The two rows (cold, warm) of one (problem, solver) beta path; see :func:`beta_path`."""
    stats = {warm: {"first": [], "first_compile": [], "rest": [], "rest_compile": [], "certified": 0,
                    "solves": 0, "rounds": 0, "error": ""} for warm in (False, True)}
    started = time.perf_counter()
    for r in range(rounds):
        if r > 0 and time.perf_counter() - started > budget_s:
            break
        for warm in ((False, True) if r % 2 == 0 else (True, False)):
            st = stats[warm]
            if st["error"]:
                continue
            st["rounds"] += 1
            try:
                prog = build(p.X, p.y, p.architecture(), float(betas[0]), duplicates=p.duplicates)
                for k, b in enumerate(betas):
                    if deadline is not None and time.perf_counter() > deadline:
                        raise TimeoutError(f"stopped after {st['solves']} solves: the beta-path table's budget "
                                           f"({total_budget_s:g} s) was spent")
                    prog.set_beta(float(b))
                    # no Caratheodory pruning: it keeps the fit and the l1 norm (so the certificate's inputs) and
                    # costs more than these small solves; only the solver call is timed
                    res = prog.solve(solver=solver, accuracy=accuracy, time_limit=time_limit, warm_start=warm,
                                     prune=False)
                    st["first" if k == 0 else "rest"].append(res.run.times["wall"])
                    st["first_compile" if k == 0 else "rest_compile"].append(res.run.times.get("compile") or 0.0)
                    st["certified"] += bool(certify(prog, res).certified)
                    st["solves"] += 1
            except Exception as exc:  # noqa: BLE001 - recorded, never fatal
                st["error"] = _one_line(exc)
    rows = []
    for warm in (False, True):
        st = stats[warm]
        row = {**base, "warm_start": warm, "rounds": st["rounds"], "error": st["error"]}
        if not st["error"]:
            first, rest = float(np.median(st["first"])), float(np.median(st["rest"]))
            row.update(first_s=first, first_compile_s=float(np.median(st["first_compile"])), resolve_s=rest,
                       resolve_compile_s=float(np.median(st["rest_compile"])), speedup=first / max(rest, 1e-12),
                       certified=st["certified"], solves=st["solves"])
        rows.append(row)
    return rows


def p_size(problem: Problem):
    """Dictionary size of a problem's program (None when it cannot be built)."""
    try:
        return build(problem.X, problem.y, problem.architecture(), problem.beta, duplicates=problem.duplicates,
                     mode=problem.mode).size
    except CvxnnError:
        return None
