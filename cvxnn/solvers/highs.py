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
        # LPs: interior point then crossover (an exact vertex solution). On the degenerate interpolation LPs of deep
        # dictionaries (thousands of nearly parallel columns) the default simplex took 8-12 s where this took 0.8 s
        # (depth-4 sawtooth, 7,587 columns). QPs use HiGHS's QP solver either way.
        opts = {"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol,
                "ipm_optimality_tolerance": tol, "highs_options": {"solver": "ipm"}}
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        return opts
