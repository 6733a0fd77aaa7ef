"""OSQP (ADMM, QP only). Polishing is on: after convergence OSQP solves the KKT system of the guessed active set,
which is what makes high accuracy reachable."""

from .base import ACCURACIES, SolverAdapter


class OSQPAdapter(SolverAdapter):
    name = "osqp"
    cvxpy_name = "OSQP"
    module = "osqp"
    distribution = "osqp"
    problem_classes = ("LP", "QP")

    MAX_ITER = {"low": 10_000, "mid": 50_000, "high": 200_000}

    def options(self, accuracy, time_limit=None):
        tol = ACCURACIES[accuracy]
        opts = {"eps_abs": tol, "eps_rel": tol, "max_iter": self.MAX_ITER[accuracy], "polishing": True}
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        return opts
