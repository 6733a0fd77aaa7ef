"""SCS (first-order splitting, conic). CVXPY silently tightens SCS's default eps to 1e-5; cvxnn always passes the
tolerances explicitly and records them. SCS stopped early still says ``optimal_inaccurate``: only the certificate
decides."""

from .base import ACCURACIES, SolverAdapter


class SCSAdapter(SolverAdapter):
    name = "scs"
    cvxpy_name = "SCS"
    module = "scs"
    distribution = "scs"
    problem_classes = ("LP", "QP", "SOCP", "SDP", "EXP", "POW")

    MAX_ITERS = {"low": 10_000, "mid": 100_000, "high": 1_000_000}

    def options(self, accuracy, time_limit=None):
        tol = ACCURACIES[accuracy]
        opts = {"eps_abs": tol, "eps_rel": tol, "eps_infeas": min(tol, 1e-7), "max_iters": self.MAX_ITERS[accuracy]}
        if time_limit is not None:
            opts["time_limit_secs"] = float(time_limit)
        return opts
