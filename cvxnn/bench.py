"""Solver comparison runs: one long-format row per (problem, solver, accuracy, repeat), judged by cvxnn's own
certificate, never by the solver's status alone.

``run_bench`` appends each row to ``OUT/runs.csv`` as it completes and skips the rows already there (resume key:
problem, solver, accuracy, repeat); failures (exceptions, time limits) become rows with status ``error`` or
``user_limit`` and never abort the run. ``beta_path`` times the re-solves of one DPP program over several betas.
The summaries and the markdown report live in :mod:`cvxnn.report`.
"""

from __future__ import annotations

import csv
import math
import os
import re
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from .api import _solver_version
from .certify import certify
from .errors import CvxnnError, InvalidParameterError, SolverFailedError
from .program import build
from .problems import Problem, builtin_problems

#: the long-format columns, in order (the issue's contract), then a few extras
COLUMNS = ["problem", "model", "activation", "n", "d", "depth", "beta", "mode", "dictionary_size", "scope", "solver",
           "solver_version", "accuracy", "repeat", "status", "certified", "globally_optimal", "correct", "objective",
           "rel_error", "duality_gap", "certified_gap", "dual_violation", "reconstruction_gap", "compile_s", "setup_s",
           "solve_s", "wall_s", "iterations", "n_active", "error"]
#: wall_s is the solver call (CVXPY compilation + the solver, all rounds of column generation) as the adapter
#: times it; for a run that raised, the time until it raised.
#: build_s: building the program (dictionary / arrangement); total_s: build + solve + certify;
#: failed_checks: which certificate checks failed (gap, dual, reconstruction, fit)
EXTRA_COLUMNS = ["failed_checks", "time_limit", "build_s", "total_s"]
ALL_COLUMNS = COLUMNS + EXTRA_COLUMNS
KEY = ("problem", "solver", "accuracy", "repeat")

_BOOL = {"certified", "globally_optimal", "correct"}
_INT = {"n", "d", "depth", "dictionary_size", "repeat", "iterations", "n_active"}
_FLOAT = {"beta", "objective", "rel_error", "duality_gap", "certified_gap", "dual_violation", "reconstruction_gap",
          "compile_s", "setup_s", "solve_s", "wall_s", "time_limit", "build_s", "total_s"}


def problem_fields(problem: Problem) -> dict:
    """The columns that describe a problem (known before anything is solved)."""
    X = np.asarray(problem.X)
    return {"problem": problem.name, "model": problem.model, "activation": problem.activation, "n": problem.n,
            "d": 1 if X.ndim == 1 else int(X.shape[1]), "depth": problem.architecture().depth,
            "beta": problem.beta if problem.mode == "training" else None, "mode": problem.mode}


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
               certified=False, globally_optimal=False, error="", failed_checks="")
    row["solver_version"] = _solver_version(solver)
    t0 = time.perf_counter()
    stage, program = "build", None
    try:
        program = build(problem.X, problem.y, problem.architecture(), problem.beta, duplicates=problem.duplicates,
                        mode=problem.mode)
        summary = program.summary()
        row.update(dictionary_size=summary.get("dictionary_size"), scope=summary.get("scope"))
        t1 = time.perf_counter()
        row["build_s"] = t1 - t0
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
                   total_s=time.perf_counter() - t0)
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
        total_s=time.perf_counter() - t0,
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


def run_bench(problems=None, solvers=("clarabel", "scs"), accuracies=("high",), repeats: int = 1, out=None,
              time_limit: float | None = None, options: dict | None = None, progress: bool = False) -> list[dict]:
    """Run every (problem, solver, accuracy, repeat) and return its rows, in that order.

    With ``out`` (a folder) each row is appended to ``out/runs.csv`` as soon as it completes, rows already in that
    file are not redone (resume), and at the end the file is rewritten with ``rel_error`` filled in (rows of other
    runs already in the file are kept) and ``out/runs.parquet`` is written when pyarrow is importable.
    ``problems`` defaults to the built-in set; ``time_limit`` (seconds) is passed to the solver of each run."""
    problems = builtin_problems() if problems is None else list(problems)
    names = [p.name for p in problems]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InvalidParameterError(f"problem names must be unique in one bench run (they key the rows); "
                                    f"repeated: {', '.join(dupes)}. Set a distinct 'name' in each problem file.")
    if int(repeats) < 1:
        raise InvalidParameterError(f"repeats must be >= 1; received {repeats}.")
    jobs = [(p, s, a, r) for p in problems for s in solvers for a in accuracies for r in range(1, int(repeats) + 1)]
    done: dict[tuple, dict] = {}
    csv_path = None
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        csv_path = out / "runs.csv"
        for r in read_runs(csv_path):
            done[row_key(r)] = r
        write_runs(list(done.values()), csv_path)  # a clean header (and no half-written line) to append to
    todo = [j for j in jobs if (j[0].name, j[1], j[2], j[3]) not in done]
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="bench", unit="run", file=sys.stderr)
    try:
        for p, s, a, r in todo:
            if bar is not None:
                bar.set_postfix_str(f"{p.name} {s} {a}", refresh=False)
            row = run_row(p, s, a, r, time_limit=time_limit, options=options)
            done[row_key(row)] = row
            if csv_path is not None:
                _append_run(row, csv_path)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    everything = add_relative_errors(list(done.values()))
    if csv_path is not None:
        write_runs(everything, csv_path)
        _write_parquet(everything, csv_path.with_suffix(".parquet"))
    return [done[(p.name, s, a, r)] for p, s, a, r in jobs]


def run_problems(problems=None, solvers=("clarabel", "scs"), accuracies=("high",), progress: bool = False):
    """One row per (problem, solver, accuracy); ``problems`` defaults to the built-in set (no files written)."""
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
              time_limit: float | None = None, rounds: int = 3, budget_s: float = 3.0) -> list[dict]:
    """Re-solve one DPP program over ``n_betas`` betas (10 beta .. beta / 10) per (problem, solver), cold and with
    ``warm_start=True``: the first solve pays CVXPY's compilation, the re-solves reuse the compiled problem and
    only update the parameter. Every solve is certified. Each path is run ``rounds`` times on a freshly built
    program (cold and warm alternating which goes first) and the times are medians over the rounds; no further
    round starts once a (problem, solver) has taken ``budget_s`` seconds (slow solvers run one round).
    One row per (problem, solver, warm_start)."""
    rows = []
    for p, _ in beta_path_problems(problems, max_problems):
        betas = np.geomspace(10 * p.beta, p.beta / 10, n_betas)
        for solver in solvers:
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
                        for i, b in enumerate(betas):
                            prog.set_beta(float(b))
                            # no Caratheodory pruning: it keeps the fit and the l1 norm (so the certificate's
                            # inputs) and costs more than these small solves; only the solver call is timed
                            res = prog.solve(solver=solver, accuracy=accuracy, time_limit=time_limit,
                                             warm_start=warm, prune=False)
                            st["first" if i == 0 else "rest"].append(res.run.times["wall"])
                            st["first_compile" if i == 0 else "rest_compile"].append(
                                res.run.times.get("compile") or 0.0)
                            st["certified"] += bool(certify(prog, res).certified)
                            st["solves"] += 1
                    except Exception as exc:  # noqa: BLE001 - recorded, never fatal
                        st["error"] = _one_line(exc)
            for warm in (False, True):
                st = stats[warm]
                row = {"problem": p.name, "n": p.n, "activation": p.activation, "solver": solver,
                       "accuracy": accuracy, "warm_start": warm, "betas": n_betas, "rounds": st["rounds"],
                       "dictionary_size": p_size(p), "error": st["error"]}
                if not st["error"]:
                    first, rest = float(np.median(st["first"])), float(np.median(st["rest"]))
                    row.update(first_s=first, first_compile_s=float(np.median(st["first_compile"])),
                               resolve_s=rest, resolve_compile_s=float(np.median(st["rest_compile"])),
                               speedup=first / max(rest, 1e-12), certified=st["certified"], solves=st["solves"])
                rows.append(row)
    return rows


def p_size(problem: Problem):
    """Dictionary size of a problem's program (None when it cannot be built)."""
    try:
        return build(problem.X, problem.y, problem.architecture(), problem.beta, duplicates=problem.duplicates,
                     mode=problem.mode).size
    except CvxnnError:
        return None
