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

import warnings

import numpy as np

from .native import NativeLassoAdapter


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
        from sklearn.exceptions import ConvergenceWarning

        est.set_params(tol=solver_tol, precompute=bool(Ac.shape[1] <= Ac.shape[0]))
        if z0 is not None:
            est.coef_ = np.array(z0, dtype=np.float64)
        elif hasattr(est, "coef_"):
            del est.coef_
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            est.fit(Ac, yc, check_input=False)
        capped = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        return np.array(est.coef_, dtype=np.float64).reshape(-1), int(est.n_iter_), capped
