"""celer's ``Lasso`` (working sets + coordinate descent with dual extrapolation), a native Lasso adapter.

celer minimises ``(1/(2n))||y - X w||^2 + alpha ||w||_1``; cvxnn passes ``alpha = beta / n`` on the centred
dictionary (see :mod:`cvxnn.solvers.native`). Its ``tol`` is a duality-gap tolerance like sklearn's (gap of the
1/(2n)-scaled objective <= tol ||y||^2 / n, i.e. gap of cvxnn's objective <= tol ||y - mean(y)||^2), but the gap is
taken at the best EXTRAPOLATED dual point celer has seen, not at the residual cvxnn certifies with: celer often stops
with a residual whose own gap is larger, which the refinement loop (module ``native``) catches.
"""

from __future__ import annotations

from .native import NativeLassoAdapter, fit_warm


class CelerAdapter(NativeLassoAdapter):
    name = "celer"
    module = "celer"
    distribution = "celer"

    def solver_options(self, accuracy):
        # max_iter: working-set rounds (celer's default); max_epochs: coordinate-descent epochs per working-set
        # subproblem (celer's default is 50,000). Measured at high accuracy (results/lasso-backends.md instances):
        # with 200,000 epochs per subproblem one depth-4 instance (9,066 columns) ran > 100 s, with 20,000 it took
        # 33 s and with 5,000 2.4 s (certified every time): a stalled subproblem is better cut short and the
        # working set rebuilt
        return {"max_iter": 100, "max_epochs": 5_000, "p0": 10, "prune": True}

    def _make(self, n, beta, opts):
        from celer import Lasso

        return Lasso(alpha=beta / n, fit_intercept=False, max_iter=int(opts["max_iter"]),
                     max_epochs=int(opts["max_epochs"]), p0=int(opts["p0"]), prune=bool(opts["prune"]),
                     warm_start=True)

    def _fit(self, est, Ac, yc, solver_tol, z0):
        est.set_params(tol=solver_tol)
        return fit_warm(est, Ac, yc, z0)
