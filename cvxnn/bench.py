"""Solver comparison runs: one long-format row per (problem, solver, accuracy), judged by cvxnn's own
certificate, never by the solver's status alone."""

from __future__ import annotations

import traceback

from .api import train
from .architectures import TwoLayer
from .data import BuiltinProblem, builtin_problems
from .errors import CvxnnError


def run_row(problem: BuiltinProblem, solver: str, accuracy: str, time_limit: float | None = None) -> dict:
    """Solve and certify one problem with one solver; failures become rows with an ``error``, never exceptions."""
    arch = TwoLayer(problem.activation, **problem.options)
    row = {"problem": problem.name, "n": len(problem.y), "activation": problem.activation, "beta": problem.beta,
           "solver": solver, "accuracy": accuracy}
    try:
        t = train(problem.X, problem.y, arch, problem.beta, solver=solver, accuracy=accuracy, time_limit=time_limit)
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


def run_builtin(solvers=("clarabel", "scs"), accuracies=("high",), progress: bool = False) -> list[dict]:
    problems = builtin_problems()
    jobs = [(p, s, a) for p in problems for s in solvers for a in accuracies]
    if progress:
        from tqdm import tqdm

        jobs = tqdm(jobs, desc="bench", unit="run")
    return [run_row(p, s, a) for p, s, a in jobs]
