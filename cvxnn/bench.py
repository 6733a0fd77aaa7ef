"""Solver comparison runs: one long-format row per (problem, solver, accuracy), judged by cvxnn's own
certificate, never by the solver's status alone."""

from __future__ import annotations

import traceback

from .api import train
from .errors import CvxnnError
from .problems import Problem, builtin_problems


def run_row(problem: Problem, solver: str, accuracy: str, time_limit: float | None = None) -> dict:
    """Solve and certify one problem with one solver; failures become rows with an ``error``, never exceptions."""
    row = {"problem": problem.name, "n": problem.n, "activation": problem.activation, "mode": problem.mode,
           "beta": problem.beta, "solver": solver, "accuracy": accuracy}
    try:
        t = train(problem.X, problem.y, problem.architecture(), problem.beta, solver=solver, accuracy=accuracy,
                  time_limit=time_limit, mode=problem.mode, duplicates=problem.duplicates)
    except CvxnnError as exc:
        row.update(status="error", certified=False, globally_optimal=False, error=str(exc))
        return row
    except Exception as exc:  # noqa: BLE001 - a benchmark records every failure as a row
        row.update(status="error", certified=False, globally_optimal=False,
                   error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
        return row
    d = t.to_dict()
    row.update(
        bias=d["bias_convention"], dict_size=d["dictionary_size"], scope=d["scope"], status=d["status"],
        certified=d["certified"], globally_optimal=d["globally_optimal"], objective=d["objective"],
        convex_objective=d["convex_objective"], duality_gap=d["duality_gap"], certified_gap=d["certified_gap"],
        reconstruction_gap=d["reconstruction_gap"], dual_violation=d["dual_violation"], n_active=d["n_active"],
        iterations=d["iterations"], compile_s=d["times"]["compile"], solve_s=d["times"]["solve"],
        wall_s=d["times"]["wall"], solver_version=d["solver_version"], error="",
    )
    return row


def run_problems(problems=None, solvers=("clarabel", "scs"), accuracies=("high",), progress: bool = False):
    """One row per (problem, solver, accuracy); ``problems`` defaults to the built-in set."""
    problems = builtin_problems() if problems is None else problems
    jobs = [(p, s, a) for p in problems for s in solvers for a in accuracies]
    if progress:
        from tqdm import tqdm

        jobs = tqdm(jobs, desc="bench", unit="run")
    return add_relative_errors([run_row(p, s, a) for p, s, a in jobs])


def add_relative_errors(rows: list[dict]) -> list[dict]:
    """rel_error = (objective - best certified objective of the same problem) / max(1, |best|); None when no run
    of that problem is certified or the run failed."""
    best: dict[str, float] = {}
    for r in rows:
        if r.get("certified") and r.get("objective") is not None:
            best[r["problem"]] = min(best.get(r["problem"], float("inf")), r["objective"])
    for r in rows:
        b = best.get(r["problem"])
        r["rel_error"] = None if b is None or r.get("objective") is None else (r["objective"] - b) / max(1.0, abs(b))
    return rows
