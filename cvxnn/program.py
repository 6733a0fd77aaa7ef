"""Convex programs equivalent to training, built in CVXPY with beta as a Parameter (DPP: re-solving a beta path
skips recompilation).

The 'apply' step of each reformulation: architecture + data -> :class:`ConvexProgram` holding the CVXPY problem and
the inverse data (the dictionary) that :meth:`ConvexProgram.reconstruct` uses to rebuild the network.

Lasso form (SPEC 1): ``min_{z, xi, r} (1/2)||r||^2 + beta ||z||_1  s.t.  y - A z - xi 1 - r = 0``. The residual r is
an explicit variable so that the multiplier of the equality constraint is the dual vector lambda = r* (SPEC 6.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from . import dictionaries
from .architectures import TwoLayer
from .errors import SolverFailedError, UnsupportedCombinationError
from .network import Network
from .reconstruct import two_layer_1d_network
from .solvers import SolverRun, get_solver
from .validation import check_beta, check_duplicates, check_xy


@dataclass
class SolveResult:
    """One solve: the solver's report, the convex solution, the solver's dual vector and the rebuilt network."""

    run: SolverRun
    z: np.ndarray
    xi: float
    dual: np.ndarray | None
    convex_objective: float
    l1_norm: float
    network: Network
    beta: float

    @property
    def status(self) -> str:
        return self.run.status


class LassoProgram:
    """``min (1/2)||A z + xi 1 - y||^2 + beta ||z||_1`` over a finite dictionary, xi present iff bias is free."""

    def __init__(self, X, y, architecture, beta, dictionary, bias: str, scope: str, oracle: str,
                 duplicates: str = "error"):
        self.X, self.y = X, y
        self.architecture = architecture
        self.dictionary = dictionary
        self.bias = bias
        self.scope = scope
        self.oracle = oracle
        self.duplicates = duplicates
        A = dictionary.matrix
        n, m = A.shape
        self.beta = cp.Parameter(nonneg=True, value=float(beta), name="beta")
        self.z = cp.Variable(m, name="z")
        self.xi = cp.Variable(name="xi") if bias == "free" else None
        self.r = cp.Variable(n, name="residual")
        fit = A @ self.z + (self.xi if self.xi is not None else 0.0)
        self.residual_constraint = y - fit - self.r == 0
        self.problem = cp.Problem(
            cp.Minimize(0.5 * cp.sum_squares(self.r) + self.beta * cp.norm1(self.z)), [self.residual_constraint]
        )

    # -------------------------------------------------------------- description
    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def size(self) -> int:
        """Number of dictionary columns."""
        return self.dictionary.size

    @property
    def has_output_bias(self) -> bool:
        return self.xi is not None

    def set_beta(self, beta) -> None:
        self.beta.value = check_beta(beta)

    def summary(self) -> dict:
        return {
            **self.architecture.describe(),
            "bias_convention": self.bias,
            "n": self.n,
            "d": int(self.X.shape[1]),
            "beta": float(self.beta.value),
            "dictionary_size": self.size,
            "program": "lasso",
            "scope": self.scope,
            "oracle": self.oracle,
        }

    # -------------------------------------------------------------- objective and dual
    def convex_objective(self, z, xi) -> float:
        """Lasso objective evaluated exactly at (z, xi) in float64."""
        res = self.y - self.dictionary.matrix @ z - xi
        return 0.5 * float(res @ res) + float(self.beta.value) * float(np.sum(np.abs(z)))

    def dual_sup(self, lam: np.ndarray):
        """sup over ALL units of |lam^T sigma_theta(X)| and the maximising unit (SPEC 6.3)."""
        from .certify import dual_sup_two_layer_1d

        return dual_sup_two_layer_1d(lam, self.X[:, 0], self.dictionary.activation, self.bias)

    # -------------------------------------------------------------- solve and invert
    def solve(self, solver: str = "clarabel", accuracy: str = "high", time_limit: float | None = None,
              warm_start: bool = False, **options) -> SolveResult:
        """Solve with a registered solver; raises :class:`SolverFailedError` when no solution comes back."""
        adapter = get_solver(solver)
        run = adapter.solve(self.problem, accuracy, time_limit=time_limit, warm_start=warm_start, **options)
        if not run.has_solution or self.z.value is None:
            raise SolverFailedError(
                f"solver {adapter.name!r} returned no solution (status {run.status!r}, solver said "
                f"{run.raw_status!r}{'; ' + run.error if run.error else ''}) for a {self.size}-column Lasso with "
                f"n = {self.n}. Try accuracy='mid', another solver (e.g. solver='clarabel'), or a larger time limit."
            )
        return self._result(run)

    def _result(self, run: SolverRun) -> SolveResult:
        z = np.asarray(self.z.value, dtype=np.float64).copy()
        xi = float(self.xi.value) if self.xi is not None else 0.0
        dual_value = self.residual_constraint.dual_value
        dual = None if dual_value is None else np.asarray(dual_value, dtype=np.float64).reshape(-1).copy()
        beta = float(self.beta.value)
        net = self.reconstruct(z, xi)
        return SolveResult(run, z, xi, dual, self.convex_objective(z, xi), float(np.sum(np.abs(z))), net, beta)

    def reconstruct(self, z, xi) -> Network:
        return two_layer_1d_network(z, xi, self.dictionary, self.y, float(self.beta.value), self.bias)


def build(X, y, architecture=None, beta=None, *, duplicates: str = "error") -> LassoProgram:
    """Build the convex program equivalent to training ``architecture`` on (X, y) with weight decay beta.

    duplicates: 'error' (default) rejects repeated input points; 'merge' lets repeated points share one breakpoint
    while every sample still counts in the loss (exact: the objective is unchanged).
    """
    architecture = TwoLayer() if architecture is None else architecture
    beta = check_beta(beta)
    X, y = check_xy(X, y)
    if not isinstance(architecture, TwoLayer):
        raise UnsupportedCombinationError(
            f"architecture {architecture!r} is not available in this version; use cvxnn.TwoLayer(...)."
        )
    bias = architecture.resolve_bias(X.shape[1])
    check_duplicates(X, duplicates)
    if np.unique(X[:, 0]).size < 2 and bias == "free":
        from .errors import InvalidDataError

        raise InvalidDataError(
            f"all {X.shape[0]} inputs are the same point x = {X[0, 0]:g}; at least two distinct inputs are needed "
            "to train on 1-D data."
        )
    dictionary = dictionaries.two_layer_1d(X[:, 0], architecture.act, bias)
    oracle = "breakpoints at data points (exact for 1-D two-layer nets, SPEC 2)" if bias == "free" else \
        "both unit orientations (exact for bias-free 1-D two-layer nets)"
    return LassoProgram(X, y, architecture, beta, dictionary, bias, "global", oracle, duplicates)
