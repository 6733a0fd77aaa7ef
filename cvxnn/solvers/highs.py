"""HiGHS (simplex / interior point for LP, active set for QP)."""

from .base import ACCURACIES, SolverAdapter


class HiGHSAdapter(SolverAdapter):
    name = "highs"
    cvxpy_name = "HIGHS"
    module = "highspy"
    distribution = "highspy"
    problem_classes = ("LP", "QP", "MILP")

    def options(self, accuracy, time_limit=None):
        tol = max(ACCURACIES[accuracy], 1e-10)
        opts = {"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol,
                "ipm_optimality_tolerance": tol}
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        return opts
