"""Clarabel (interior point, conic): the reference solver."""

from .base import ACCURACIES, SolverAdapter


class ClarabelAdapter(SolverAdapter):
    name = "clarabel"
    cvxpy_name = "CLARABEL"
    module = "clarabel"
    distribution = "clarabel"
    problem_classes = ("LP", "QP", "SOCP", "SDP", "EXP", "POW")

    def options(self, accuracy, time_limit=None):
        tol = ACCURACIES[accuracy]
        opts = {
            "tol_gap_abs": tol,
            "tol_gap_rel": tol,
            "tol_feas": tol,
            "tol_ktratio": max(tol, 1e-8) if accuracy == "high" else tol,
            "max_iter": 400,
        }
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        return opts
