"""Native Lasso adapters: coordinate-descent / working-set Lasso solvers called directly on the dictionary matrix,
bypassing CVXPY.

They solve only the Lasso training programs ``min (1/2)||A z + xi 1 - y||^2 + beta ||z||_1`` (xi present iff the
bias is free), which :meth:`cvxnn.program.DictionaryProgram.solve` hands them as (A, y, beta, intercept). Any other
program (an interpolation LP, an arrangement group Lasso, a restricted program inside column generation) is refused
with a :class:`~cvxnn.errors.UnsupportedCombinationError` naming the solvers that take it.

The free output bias is eliminated exactly by centring: with ``A_c = A - 1 mean(A)`` and ``y_c = y - mean(y)`` the
problem in z is the Lasso on (A_c, y_c) without intercept, and ``xi = mean(y - A z)`` (the minimiser over xi for
the returned z). The solvers see the unscaled objective through ``alpha = beta / n`` (they minimise
``(1/(2n))||y - X w||^2 + alpha ||w||_1``, which is cvxnn's objective divided by n).

Accuracy (the same meaning for every native adapter). No dual vector comes back: cvxnn certifies with the residual
``r = y - A z - xi`` (see :func:`cvxnn.certify.certify`). The named accuracy tol (low / mid / high: 1e-3 / 1e-6 /
1e-9) is therefore a target on that residual, checked by cvxnn after the solver returns:

* relative duality gap: ``P(z) - D(t r) <= tol * P(z)``, with ``t`` the best feasible scaling of r
  (the certificate's own dual bound, computed over the dictionary columns), and
* dual violation: ``max_j |A_c[:, j]^T r| / beta - 1 <= tol``.

The solver's own tolerance starts at ``tol`` (in the solver's units, see each adapter) and, while the target is not
met, is divided by 100 (never below the adapter's ``TOL_FLOOR``, under which that solver stalls) and the solver
warm-started from its last point, at most ``max_refinements`` times. The run is 'optimal' when the target is met
and 'optimal_inaccurate' otherwise; the certificate (tolerances 1e-6, never loosened) decides either way. A time limit is checked between refinements only (a solver call is never
interrupted); reaching it before the target gives 'user_limit'.
"""

from __future__ import annotations

import abc
import time
import warnings

import numpy as np

from ..errors import InvalidParameterError, UnsupportedCombinationError
from .base import ACCURACIES, ADAPTERS, SolverAdapter, SolverRun, check_accuracy


def lasso_quality(Ac: np.ndarray, yc: np.ndarray, z: np.ndarray, beta: float) -> dict:
    """The residual certificate's quantities on the centred Lasso: primal P, dual bound D, relative gap
    (P - D) / P and the dual violation max_j |A_c[:, j]^T r| / beta - 1 (r = y_c - A_c z)."""
    r = yc - Ac @ z
    primal = 0.5 * float(r @ r) + beta * float(np.sum(np.abs(z)))
    sup = float(np.max(np.abs(Ac.T @ r))) if Ac.shape[1] else 0.0
    rr, ry = float(r @ r), float(r @ yc)
    if rr == 0.0:
        dual = 0.0
    else:
        t = max(ry / rr, 0.0)
        if sup > 0.0:
            t = min(t, beta / sup)
        dual = t * ry - 0.5 * t * t * rr
    gap = primal - dual
    return {"primal": primal, "dual": dual, "rel_gap": gap / primal if primal > 0 else 0.0,
            "violation": sup / beta - 1.0}


def takers(problem_class: str) -> list[str]:
    """Installed (CVXPY-based) solvers whose problem classes include ``problem_class``."""
    return [name for name, a in ADAPTERS.items()
            if not a.native_lasso and problem_class in a.problem_classes and a.is_installed()]


def refuse(adapter_name: str, what: str, problem_class: str, hint: str = "") -> UnsupportedCombinationError:
    """The error a native adapter raises for a program that is not a Lasso training program."""
    names = takers(problem_class)
    return UnsupportedCombinationError(
        f"solver {adapter_name!r} is a native Lasso solver: it solves only the Lasso training programs "
        f"min (1/2)||A z + xi 1 - y||^2 + beta ||z||_1 over a finite dictionary (1-D models and the l1-normalised "
        f"wedge Lasso); received {what}. Solvers that take this {problem_class}: "
        f"{', '.join(names) or 'none installed'}." + (f" {hint}" if hint else "")
    )


def problem_class(problem) -> str:
    """'LP', 'QP' or 'SOCP' (conic) for a CVXPY problem, for error messages."""
    try:
        if problem.is_lp():
            return "LP"
        if problem.is_qp():
            return "QP"
    except Exception:  # noqa: BLE001 - only used to word a message
        pass
    return "SOCP"


class NativeLassoAdapter(SolverAdapter):
    """Base class of the native Lasso adapters. Subclasses set the class attributes, :meth:`solver_options`
    (their own options) and implement :meth:`_make` / :meth:`_fit`."""

    native_lasso = True
    cvxpy_name = ""
    problem_classes = ("LASSO",)
    extra = "lasso"
    MAX_REFINEMENTS = 5
    TOL_FLOOR = 1e-16  # the solver's own tolerance is never pushed below this

    @abc.abstractmethod
    def solver_options(self, accuracy: str) -> dict:
        """The solver's own fixed options (iteration caps, strategy), without the tolerance."""

    def options(self, accuracy, time_limit=None):
        """``tol``: the accuracy target on the residual certificate (module docstring) and the solver's first
        tolerance; ``max_refinements``: how many times the solver's tolerance may be divided by 100."""
        opts = {"tol": ACCURACIES[accuracy], "max_refinements": self.MAX_REFINEMENTS, **self.solver_options(accuracy)}
        if time_limit is not None:
            opts["time_limit"] = float(time_limit)
        return opts

    def solve(self, problem, accuracy="high", time_limit=None, warm_start=False, **overrides):
        """A CVXPY problem reaching a native adapter is never a Lasso training program handed over as matrices."""
        raise refuse(self.name, f"a {problem_class(problem)} built in CVXPY (e.g. the arrangement group Lasso of a "
                                "two-layer net on d >= 2 data or with a penalised bias, or a gated ReLU net)",
                     problem_class(problem))

    @abc.abstractmethod
    def _make(self, n: int, beta: float, opts: dict):
        """The solver object (an estimator) for n samples and penalty beta."""

    @abc.abstractmethod
    def _fit(self, est, Ac, yc, solver_tol: float, z0: np.ndarray | None) -> tuple[np.ndarray, int, bool]:
        """Run the solver from z0 (None: from zero) with its own tolerance; returns (z, iterations, hit the
        iteration cap)."""

    def solve_lasso(self, A, y, beta: float, intercept: bool, accuracy: str = "high", time_limit: float | None = None,
                    z0=None, **overrides) -> tuple[np.ndarray, float, SolverRun]:
        """Solve ``min (1/2)||A z + xi 1 - y||^2 + beta ||z||_1`` (xi iff ``intercept``); returns (z, xi, run).
        Never raises for solver failures (the run's status says so and z is None)."""
        accuracy = check_accuracy(accuracy)
        opts = self.options(accuracy, time_limit)
        unknown = sorted(set(overrides) - set(opts))
        if unknown:
            raise InvalidParameterError(
                f"solver {self.name!r} has no option {', '.join(map(repr, unknown))}; its options are "
                f"{', '.join(map(repr, opts))}."
            )
        opts.update(overrides)
        run = SolverRun(self.name, accuracy, "solver_error", "", ACCURACIES[accuracy], dict(opts))
        t0 = time.perf_counter()
        A = np.asarray(A, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if intercept:
            Ac = np.asfortranarray(A - A.mean(axis=0))
            yc = y - y.mean()
        else:
            Ac = np.asfortranarray(A)
            yc = y.copy()
        target = float(opts["tol"])
        solver_tol = target
        z = None if z0 is None else np.asarray(z0, dtype=np.float64).reshape(-1).copy()
        iterations, solve_time, rounds, quality, capped = 0, 0.0, 0, None, False
        setup = time.perf_counter() - t0
        try:
            est = self._make(A.shape[0], float(beta), opts)
            for rounds in range(1, int(opts["max_refinements"]) + 2):
                ts = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # convergence warnings: the status and the certificate report
                    z, its, capped = self._fit(est, Ac, yc, solver_tol, z)
                solve_time += time.perf_counter() - ts
                iterations += int(its)
                if not np.all(np.isfinite(z)):
                    raise FloatingPointError("the solver returned non-finite coefficients")
                quality = lasso_quality(Ac, yc, z, float(beta))
                if quality["rel_gap"] <= target and quality["violation"] <= target:
                    run.status = "optimal"
                    break
                if time_limit is not None and time.perf_counter() - t0 >= time_limit:
                    run.status = "user_limit"
                    break
                if rounds > int(opts["max_refinements"]):
                    run.status = "optimal_inaccurate"
                    break
                solver_tol = max(solver_tol * 1e-2, self.TOL_FLOOR)
        except Exception as exc:  # noqa: BLE001 - a solver failure is a status, as for the CVXPY adapters
            run.status, run.raw_status = "solver_error", "exception"
            run.error = f"{type(exc).__name__}: {exc}"
            z = None
        wall = time.perf_counter() - t0
        run.times = {"compile": 0.0, "setup": setup, "solve": solve_time, "wall": wall}
        run.iterations = iterations
        if z is None:
            return None, 0.0, run
        run.raw_status = (
            f"{'target met' if run.status == 'optimal' else 'target NOT met'} after {rounds} solve(s), last solver "
            f"tol {solver_tol:.0e}{' (iteration cap hit)' if capped else ''}: relative gap "
            f"{quality['rel_gap']:.2e}, dual violation {quality['violation']:.2e} (target {target:.0e})"
        )
        xi = float(np.mean(y - A @ z)) if intercept else 0.0
        return z, xi, run


def fit_warm(est, Ac, yc, z0, **fit_kwargs):
    """Fit a scikit-learn style Lasso estimator warm-started at z0 (or cold); returns (coef, iterations, capped),
    capped = the estimator warned that it stopped at its iteration cap."""
    from sklearn.exceptions import ConvergenceWarning

    if z0 is not None:
        est.coef_ = np.array(z0, dtype=np.float64)
        est.intercept_ = 0.0
    elif hasattr(est, "coef_"):
        del est.coef_
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(Ac, yc, **fit_kwargs)
    capped = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return np.array(est.coef_, dtype=np.float64).reshape(-1), int(np.sum(est.n_iter_)), capped
