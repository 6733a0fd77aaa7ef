"""skglm's ``Lasso`` (working sets + coordinate descent with Anderson extrapolation), a native Lasso adapter.

skglm minimises ``(1/(2n))||y - X w||^2 + alpha ||w||_1``; cvxnn passes ``alpha = beta / n`` on the centred
dictionary (see :mod:`cvxnn.solvers.native`). Its ``tol`` bounds the optimality violation (distance of the
gradient of the 1/(2n)-scaled loss to the subdifferential of the penalty), in the scaled units; cvxnn passes
``tol * beta / n`` so that the named accuracy is a violation RELATIVE TO beta, the same units as the certificate's
dual-violation check. Caveat, measured on cvxnn's coherent dictionaries: skglm updates X w incrementally and its
Anderson extrapolation mixes past iterates with large coefficients, so the X w it checks can drift from X @ w;
its own criterion then reports convergence while the true violation is orders of magnitude larger. The refinement
loop (module ``native``) recomputes the residual exactly and warm-starts skglm again, which recomputes X w.
"""

from __future__ import annotations

from .native import NativeLassoAdapter, fit_warm


class SkglmAdapter(NativeLassoAdapter):
    name = "skglm"
    module = "skglm"
    distribution = "skglm"

    # below a violation of 1e-11 beta skglm's drifting X w keeps it from stopping: it ran to its iteration caps
    # (minutes on 552 columns); warm restarts at the floor recompute X w and do converge
    TOL_FLOOR = 1e-11

    def solver_options(self, accuracy):
        # max_iter: working-set rounds (skglm's default); max_epochs: epochs per subproblem (default 50,000)
        return {"max_iter": 50, "max_epochs": 20_000, "p0": 10, "ws_strategy": "subdiff"}

    def _make(self, n, beta, opts):
        from skglm import Lasso

        est = Lasso(alpha=beta / n, fit_intercept=False, max_iter=int(opts["max_iter"]),
                    max_epochs=int(opts["max_epochs"]), p0=int(opts["p0"]), ws_strategy=opts["ws_strategy"],
                    warm_start=True)
        est._cvxnn_scale = beta / n
        return est

    def _fit(self, est, Ac, yc, solver_tol, z0):
        est.set_params(tol=solver_tol * est._cvxnn_scale)
        return fit_warm(est, Ac, yc, z0)
