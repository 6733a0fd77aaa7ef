"""scikit-learn's ``Lasso`` (cyclic coordinate descent with gap-safe screening), a native Lasso adapter.

sklearn minimises ``(1/(2n))||y - X w||^2 + alpha ||w||_1``; cvxnn passes ``alpha = beta / n`` on the centred
dictionary (see :mod:`cvxnn.solvers.native`). Its ``tol`` is a duality-gap tolerance: it stops when the gap of
cvxnn's (unscaled) objective, with the residual scaled into dual feasibility as dual point, is at most
``tol * ||y - mean(y)||^2`` (sklearn's docs: the gap of its 1/(2n)-scaled objective <= tol ||y||^2 / n). That gap
is the residual certificate's own, so sklearn's tolerance and cvxnn's target measure nearly the same thing.
``precompute`` (the Gram matrix) is used only when the dictionary has no more columns than rows: the Gram matrix is
m x m and each coordinate step then costs O(m) instead of O(n), which never pays when m > n (every cvxnn
dictionary has m >= 2n columns).
"""

from __future__ import annotations

from .native import NativeLassoAdapter, fit_warm


class SklearnLassoAdapter(NativeLassoAdapter):
    name = "sklearn"
    module = "sklearn"
    distribution = "scikit-learn"

    MAX_ITER = 1_000_000  # coordinate-descent epochs per solve

    def solver_options(self, accuracy):
        return {"max_iter": self.MAX_ITER, "selection": "cyclic", "precompute": "gram iff columns <= rows"}

    def _make(self, n, beta, opts):
        from sklearn.linear_model import Lasso

        return Lasso(alpha=beta / n, fit_intercept=False, max_iter=int(opts["max_iter"]),
                     selection=opts["selection"], warm_start=True, copy_X=False)

    def _fit(self, est, Ac, yc, solver_tol, z0):
        est.set_params(tol=solver_tol, precompute=bool(Ac.shape[1] <= Ac.shape[0]))
        return fit_warm(est, Ac, yc, z0, check_input=False)
