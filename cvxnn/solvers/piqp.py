"""PIQP (proximal interior point, QP only)."""

from .base import ACCURACIES, SolverAdapter


class PIQPAdapter(SolverAdapter):
    name = "piqp"
    cvxpy_name = "PIQP"
    module = "piqp"
    distribution = "piqp"
    problem_classes = ("LP", "QP")
    extra = "solvers"

    def options(self, accuracy, time_limit=None):
        tol = ACCURACIES[accuracy]
        opts = {"eps_abs": tol, "eps_rel": tol, "max_iter": 500}
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        return opts
