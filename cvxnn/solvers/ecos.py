"""ECOS (interior point, LP and SOCP)."""

from .base import ACCURACIES, SolverAdapter


class ECOSAdapter(SolverAdapter):
    name = "ecos"
    cvxpy_name = "ECOS"
    module = "ecos"
    distribution = "ecos"
    problem_classes = ("LP", "SOCP", "EXP")
    extra = "solvers"

    def options(self, accuracy, time_limit=None):
        tol = ACCURACIES[accuracy]
        return {"abstol": tol, "reltol": tol, "feastol": tol, "max_iters": 200}
