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
        """PIQP has no time-limit setting (its Python interface rejects 'time_limit'): it is bounded by max_iter."""
        tol = ACCURACIES[accuracy]
        return {"eps_abs": tol, "eps_rel": tol, "max_iter": 500}
