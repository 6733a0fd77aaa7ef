"""HiGHS (simplex / interior point for LP, active set for QP)."""

import contextlib
import os
import sys

from .base import ACCURACIES, SolverAdapter


@contextlib.contextmanager
def _quiet_stdout():
    """Silence the C-level standard output: highspy prints a banner when its first solver object is made, before
    any option can turn output off."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real file descriptor 1 (embedded interpreters): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class HiGHSAdapter(SolverAdapter):
    name = "highs"
    cvxpy_name = "HIGHS"
    module = "highspy"
    distribution = "highspy"
    problem_classes = ("LP", "QP", "MILP")

    def options(self, accuracy, time_limit=None):
        tol = max(ACCURACIES[accuracy], 1e-10)
        # LPs: interior point then crossover (an exact vertex solution). On the degenerate interpolation LPs of deep
        # dictionaries (thousands of nearly parallel columns) the default simplex took 8-12 s where this took 0.8 s
        # (depth-4 sawtooth, 7,587 columns). QPs use HiGHS's QP solver either way.
        opts = {"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol,
                "ipm_optimality_tolerance": tol, "highs_options": {"solver": "ipm"}}
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        return opts

    def solve(self, problem, accuracy="high", time_limit=None, warm_start=False, **overrides):
        with _quiet_stdout():
            return super().solve(problem, accuracy, time_limit=time_limit, warm_start=warm_start, **overrides)
