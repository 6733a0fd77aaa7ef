"""Solver adapters: one small class per solver maps cvxnn's named accuracies onto the solver's own options, runs
the CVXPY problem with output off, and maps the outcome onto a fixed status vocabulary."""

from __future__ import annotations

import abc
import importlib.metadata
import importlib.util
import time
import warnings
from dataclasses import dataclass, field

import cvxpy as cp

from ..validation import check_choice

#: named accuracy levels -> target tolerance
ACCURACIES = {"low": 1e-3, "mid": 1e-6, "high": 1e-9}

#: the fixed status vocabulary
STATUSES = ("optimal", "optimal_inaccurate", "infeasible", "unbounded", "user_limit", "solver_error")

_STATUS_MAP = {
    cp.OPTIMAL: "optimal",
    cp.OPTIMAL_INACCURATE: "optimal_inaccurate",
    cp.INFEASIBLE: "infeasible",
    cp.INFEASIBLE_INACCURATE: "infeasible",
    cp.UNBOUNDED: "unbounded",
    cp.UNBOUNDED_INACCURATE: "unbounded",
    "infeasible_or_unbounded": "infeasible",
    cp.USER_LIMIT: "user_limit",
    cp.SOLVER_ERROR: "solver_error",
}


def map_status(cvxpy_status) -> str:
    """Map a CVXPY status string onto :data:`STATUSES`."""
    return _STATUS_MAP.get(cvxpy_status, "solver_error")


def check_accuracy(accuracy: str) -> str:
    return check_choice(accuracy, tuple(ACCURACIES), "accuracy")


@dataclass
class SolverRun:
    """What one solve reports, whatever the solver: times are in seconds (CVXPY already converts SCS's ms)."""

    solver: str
    accuracy: str
    status: str
    raw_status: str
    tolerance: float
    options: dict
    times: dict = field(default_factory=dict)  # compile, setup, solve, wall
    iterations: int | None = None
    error: str | None = None

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "optimal_inaccurate", "user_limit")


class SolverAdapter(abc.ABC):
    """Base adapter. Subclasses set the class attributes and implement :meth:`options`."""

    name: str = ""
    cvxpy_name: str = ""
    module: str = ""  # import name, checked without importing
    distribution: str = ""  # pip distribution name, for versions and install hints
    problem_classes: tuple[str, ...] = ()  # e.g. ("QP", "SOCP")
    extra: str = ""  # the cvxnn extra that installs it, if any
    native_lasso: bool = False  # True: solves Lasso training programs from matrices, bypassing CVXPY (native.py)

    @classmethod
    def is_installed(cls) -> bool:
        return importlib.util.find_spec(cls.module) is not None

    @classmethod
    def version(cls) -> str | None:
        try:
            return importlib.metadata.version(cls.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    @classmethod
    def install_command(cls) -> str:
        return f'pip install "cvxnn[{cls.extra}]"' if cls.extra else f"pip install {cls.distribution}"

    @abc.abstractmethod
    def options(self, accuracy: str, time_limit: float | None = None) -> dict:
        """The solver's own option names and values for a named accuracy (and an optional time limit)."""

    def solve(self, problem: cp.Problem, accuracy: str = "high", time_limit: float | None = None,
              warm_start: bool = False, **overrides) -> SolverRun:
        """Solve ``problem`` in place (CVXPY variables receive the solution); never raises for solver failures."""
        accuracy = check_accuracy(accuracy)
        opts = self.options(accuracy, time_limit)
        opts.update(overrides)
        run = SolverRun(self.name, accuracy, "solver_error", "", ACCURACIES[accuracy], dict(opts))
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # CVXPY warns "Solution may be inaccurate"; cvxnn reports the status and lets the certificate judge
                warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
                problem.solve(solver=self.cvxpy_name, verbose=False, warm_start=warm_start, **opts)
            run.raw_status = str(problem.status)
            run.status = map_status(problem.status)
        except cp.error.SolverError as exc:
            run.raw_status = "exception"
            run.error = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
        wall = time.perf_counter() - t0
        stats = problem.solver_stats
        run.times = {
            "compile": _num(getattr(problem, "compilation_time", None)),
            "setup": _num(getattr(stats, "setup_time", None)) if stats else None,
            "solve": _num(getattr(stats, "solve_time", None)) if stats else None,
            "wall": wall,
        }
        run.iterations = getattr(stats, "num_iters", None) if stats else None
        return run


def _num(v):
    return None if v is None else float(v)


#: the registry, name -> adapter class, filled by :func:`cvxnn.solvers.registry.register`
ADAPTERS: dict[str, type[SolverAdapter]] = {}
