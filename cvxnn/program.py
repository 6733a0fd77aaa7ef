"""Model-agnostic convex program forms over a finite dictionary, built in CVXPY with beta as a Parameter (DPP:
re-solving a beta path skips recompilation).

A model's 'apply' step (cvxnn.models) turns architecture + data into one of these programs, holding the CVXPY
problem and the inverse data (the dictionary) that :meth:`DictionaryProgram.reconstruct` uses to rebuild the
network. A dictionary is any object with ``size``, ``cvxpy_fit(z, xi)`` (the fit at the samples as CVXPY
expressions, with any constraints that define it), ``apply(z)`` / ``scores(lam)`` / ``columns(idx)`` (A z, A^T lam
and dense columns in numpy), ``dual_sup(lam, X, bias) -> (sup, unit)`` (the model's exact oracle over ALL units),
``to_network(z, xi, y, beta, bias, architecture)`` and ``oracle`` (a description); ``matrix`` when it is stored as
one (:class:`DenseColumns`), ``subset(idx)`` for column generation.

Lasso form (theory: "Rescaling and duality"): ``min_{z, xi, r} (1/2)||r||^2 + beta ||z||_1  s.t.  y - A z - xi 1 - r =
0``. The residual r is an explicit variable so that the multiplier of the equality constraint is the dual vector lambda
= r* (theory: "Certificates").
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from .errors import InvalidDataError, SolverFailedError
from .network import Network
from .prune import prune_solution
from .solvers import SolverRun, get_solver, installed_solvers
from .solvers.native import refuse
from .validation import check_beta


def resolve_solver(solver: str, mode: str) -> str:
    """'auto' -> Clarabel for training programs, HiGHS (simplex: exact vertex solutions) for interpolation LPs."""
    if str(solver).lower() != "auto":
        return solver
    return "highs" if mode == "interpolation" and "highs" in installed_solvers() else "clarabel"


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


def span_residual(columns, y, free=None) -> np.ndarray:
    """r = y - P y, with P the orthogonal projection onto the span of ``columns`` (n x k) and ``free`` (n x m or None).

    r is orthogonal to every column and r^T y = ||r||^2, so r != 0 is a Farkas certificate that no combination of
    the columns fits y exactly: the interpolation LP over them is infeasible. The columns are scaled to unit norm
    first (zero columns dropped): the same span, and a residual that does not depend on the inputs' scale."""
    y = np.asarray(y, dtype=np.float64)
    A = np.asarray(columns, dtype=np.float64).reshape(len(y), -1)
    if free is not None:
        A = np.column_stack([A, free])
    norms = np.linalg.norm(A, axis=0)
    A = A[:, norms > 0] / norms[norms > 0]
    if A.shape[1] == 0:
        return y.copy()
    return y - A @ np.linalg.lstsq(A, y, rcond=None)[0]


#: y counts as fit exactly by a span when ||y - P y|| <= this times ||y||
SPAN_RTOL = 1e-10


def architecture_words(architecture) -> str:
    """'depth-3 abs deep-1d'-style words for messages (the depth, activation and model of its description)."""
    d = architecture.describe()
    depth = f"depth-{d['depth']}" if d.get("depth") and d.get("model") != "two-layer" else None
    return " ".join(str(w) for w in (depth, d.get("activation"), d.get("model")) if w)


def cannot_interpolate(architecture, y, r) -> InvalidDataError:
    """The error for targets that no network of the dictionary fits exactly (r: the residual of the closest fit)."""
    r_norm, y_norm = float(np.linalg.norm(r)), float(np.linalg.norm(y))
    return InvalidDataError(
        f"minimum-norm interpolation (Python: mode='interpolation'; CLI: --interpolate) needs a network that fits "
        f"every target exactly, and no {architecture_words(architecture)} network of this dictionary does: the "
        f"closest fit leaves a residual of norm {r_norm:.3e} ({r_norm / y_norm:.1e} of ||y||). Train with a "
        "weight-decay beta instead (Python: mode='training', beta=B; CLI: --beta B), or use an architecture whose "
        "units can fit these targets (e.g. with hidden biases)."
    )


class DenseColumns:
    """The dictionary protocol for a dictionary stored as a matrix (``matrix``: n x K at the training points)."""

    matrix: np.ndarray

    def apply(self, z) -> np.ndarray:
        """A z at the training points."""
        return self.matrix @ np.asarray(z, dtype=np.float64)

    def columns(self, idx) -> np.ndarray:
        return self.matrix[:, np.asarray(idx, dtype=int)]

    def column_norms(self, idx) -> np.ndarray:
        return np.linalg.norm(self.columns(idx), axis=0)

    def scores(self, lam) -> np.ndarray:
        """A^T lam: every column's dual score."""
        return self.matrix.T @ np.asarray(lam, dtype=np.float64)

    def cvxpy_fit(self, z, xi=None):
        """(A z + xi at the samples, extra constraints) as CVXPY expressions."""
        return self.matrix @ z + (xi if xi is not None else 0.0), []


#: native Lasso solvers take a dictionary without a stored matrix by materialising its columns, up to this many entries
NATIVE_MAX_ENTRIES = 20_000_000


def native_matrix(dictionary) -> np.ndarray | None:
    """The plain Lasso matrix a native solver needs: the stored matrix, or the columns of an operator dictionary
    (None when the program is not a plain Lasso: per-column weights or constraints beyond the fit)."""
    if getattr(dictionary, "matrix", None) is not None:
        return dictionary.matrix
    if getattr(dictionary, "weights", None) is not None or getattr(dictionary, "constrained", False):
        return None
    n = len(dictionary.grid.index) if hasattr(dictionary, "grid") else None
    if n is not None and n * dictionary.size > NATIVE_MAX_ENTRIES:
        return None
    return dictionary.columns(np.arange(dictionary.size))


def top_columns(dictionary, lam, k: int) -> np.ndarray:
    """The k columns of a dictionary with the largest |A_j^T lam| (the free columns of :class:`WithFreeColumns` and
    weighted columns, which are not unit-cost units, are left out)."""
    D = getattr(dictionary, "inner", dictionary)
    if getattr(D, "weights", None) is not None or D.size == 0:
        return np.zeros((len(lam), 0))
    scores = np.abs(D.scores(np.asarray(lam, dtype=np.float64)))
    k = min(k, scores.size)
    return D.columns(np.argpartition(-scores, k - 1)[:k])


class WithFreeColumns:
    """A dictionary plus unpenalised columns F (n x k, here the linear term x of 1-D nets): coefficients
    (z, c) with the fit A z + F c and penalty beta sum_j c_j |z_j| (weight 0 on c). Free columns are dual equality
    constraints (F^T lambda = 0): the certificate projects its dual point onto their orthogonal complement
    (``free_columns``), and the oracle over units is the inner dictionary's. ``attach(network, c)`` puts the free
    coefficients into the rebuilt network (the linear skip term). Everything else is the inner dictionary's."""

    def __init__(self, inner, F: np.ndarray, names: list[str], attach):
        self.inner = inner
        self.F = np.asarray(F, dtype=np.float64).reshape(len(F), -1)
        self.names = list(names)
        self.attach = attach
        w = getattr(inner, "weights", None)
        self.weights = np.concatenate([np.ones(inner.size) if w is None else np.asarray(w, float),
                                       np.zeros(self.k)])

    def __getattr__(self, name):  # attributes not defined here are the inner dictionary's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def k(self) -> int:
        return int(self.F.shape[1])

    @property
    def size(self) -> int:
        return self.inner.size + self.k

    @property
    def matrix(self):
        A = getattr(self.inner, "matrix", None)
        return None if A is None else np.hstack([A, self.F])

    @property
    def free_columns(self) -> np.ndarray:
        return self.F

    def split(self, z):
        z = np.asarray(z, dtype=np.float64)
        return z[: self.inner.size], z[self.inner.size:]

    def apply(self, z) -> np.ndarray:
        zi, c = self.split(z)
        return self.inner.apply(zi) + self.F @ c

    def scores(self, lam) -> np.ndarray:
        return np.concatenate([self.inner.scores(lam), self.F.T @ np.asarray(lam, dtype=np.float64)])

    def columns(self, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=int)
        inner = idx[idx < self.inner.size]
        out = np.empty((self.F.shape[0], idx.size))
        out[:, idx < self.inner.size] = self.inner.columns(inner)
        out[:, idx >= self.inner.size] = self.F[:, idx[idx >= self.inner.size] - self.inner.size]
        return out

    def column_norms(self, idx) -> np.ndarray:
        return np.linalg.norm(self.columns(idx), axis=0)

    def cvxpy_fit(self, z, xi=None):
        fit, cons = self.inner.cvxpy_fit(z[: self.inner.size], xi)
        return fit + self.F @ z[self.inner.size:], cons

    def subset(self, idx) -> "WithFreeColumns":
        """The inner columns idx (free columns are always kept)."""
        idx = np.asarray(idx, dtype=int)
        return WithFreeColumns(self.inner.subset(idx[idx < self.inner.size]), self.F, self.names, self.attach)

    def describe(self, j: int) -> str:
        return self.inner.describe(j) if j < self.inner.size else f"{self.names[j - self.inner.size]} (free)"

    def prune(self, z, xi, y, beta, intercept, residual_dual, vertex):
        """Pruning keeps the free coefficients and prunes the inner ones against y - F c."""
        zi, c = self.split(z)
        zi, xi = prune_solution(self.inner, zi, xi, y - self.F @ c, beta, intercept, residual_dual, vertex)
        return np.concatenate([zi, c]), xi

    def to_network(self, z, xi, y, beta, bias, architecture):
        zi, c = self.split(z)
        return self.attach(self.inner.to_network(zi, xi, y - self.F @ c, beta, bias, architecture), c)


class DictionaryProgram:
    """Shared part of the programs over a finite 1-D dictionary: data, dictionary, oracle and reconstruction.
    Subclasses set ``mode``, ``program_kind``, ``problem``, ``data_constraint`` (whose multiplier is the dual vector
    lambda), ``penalty_beta`` and ``convex_objective``.

    The dictionary supplies the fit as CVXPY expressions (``cvxpy_fit``: dense ``A z`` for a matrix, a banded form
    for the 1-D operators of :mod:`cvxnn.models.hinges_1d`), ``apply`` / ``scores`` in numpy, and optionally
    ``weights`` (per-column penalty weights c_j: the penalty is beta sum_j c_j |z_j|; default 1)."""

    mode = ""
    program_kind = ""

    def __init__(self, X, y, architecture, dictionary, bias: str, scope: str, oracle: str, duplicates: str):
        self.X, self.y = X, y
        self.architecture = architecture
        self.dictionary = dictionary
        self.bias = bias
        self.scope = scope
        self.oracle = oracle
        self.duplicates = duplicates
        self.z = cp.Variable(dictionary.size, name="z")
        self.xi = cp.Variable(name="xi") if bias == "free" else None
        self.fit, self.fit_constraints = dictionary.cvxpy_fit(self.z, self.xi)
        w = getattr(dictionary, "weights", None)
        self.weights = None if w is None else np.asarray(w, dtype=np.float64)
        self.l1 = cp.norm1(self.z if self.weights is None else cp.multiply(self.weights, self.z))

    def weighted_l1(self, z) -> float:
        """sum_j c_j |z_j|: the penalty / beta of the convex solution."""
        a = np.abs(np.asarray(z, dtype=np.float64))
        return float(np.sum(a if self.weights is None else self.weights * a))

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

    def free_columns(self) -> np.ndarray | None:
        """The unpenalised directions of the fit (ones for the output bias, the dictionary's free columns): a dual
        point must be orthogonal to all of them (the certificate projects it)."""
        cols = ([np.ones(self.n)] if self.xi is not None else []) + \
            list(np.asarray(getattr(self.dictionary, "free_columns", np.zeros((self.n, 0)))).T)
        return np.column_stack(cols) if cols else None

    def summary(self) -> dict:
        return {
            **self.architecture.describe(),
            "mode": self.mode,
            "bias_convention": self.bias,
            "n": self.n,
            "d": int(self.X.shape[1]),
            "beta": self.penalty_beta if self.mode == "training" else None,
            "dictionary_size": self.size,
            "program": self.program_kind,
            "scope": self.scope,
            "oracle": self.oracle,
        }

    def dual_sup(self, lam: np.ndarray):
        """sup over ALL units of |lam^T sigma_theta(X)| and the maximising unit (theory: "Certificates"), by the
        dictionary's oracle."""
        return self.dictionary.dual_sup(lam, self.X, self.bias)

    def reconstruct(self, z, xi) -> Network:
        return self.dictionary.to_network(z, xi, self.y, self.penalty_beta, self.bias, self.architecture)

    def top_units(self, lam, k: int) -> np.ndarray:
        """Columns (n x <= k) of the k dictionary units scoring highest at lam (unit cost: plain columns only)."""
        return top_columns(self.dictionary, lam, k)

    def solve(self, solver: str = "auto", accuracy: str = "high", time_limit: float | None = None,
              warm_start: bool = False, prune: bool = True, progress: bool = False, **options) -> SolveResult:
        """Solve with a registered solver ('auto': Clarabel for training, HiGHS for the interpolation LP) and
        rebuild the network from the coefficients that are not solver noise (:func:`cvxnn.prune.prune_solution`);
        ``prune`` also applies Caratheodory pruning (same fit, same l1 norm, at most n + 1 units).
        Raises :class:`SolverFailedError` when no solution comes back."""
        adapter = get_solver(resolve_solver(solver, self.mode))
        if adapter.native_lasso:
            return self._solve_native(adapter, accuracy, time_limit, warm_start, prune, **options)
        run = adapter.solve(self.problem, accuracy, time_limit=time_limit, warm_start=warm_start, **options)
        if run.status == "infeasible" and self.mode == "interpolation":
            r = span_residual(self.dictionary.columns(np.arange(self.size)), self.y, self.free_columns())
            if np.linalg.norm(r) > SPAN_RTOL * np.linalg.norm(self.y):
                raise cannot_interpolate(self.architecture, self.y, r)
        if not run.has_solution or self.z.value is None:
            raise SolverFailedError(
                f"solver {adapter.name!r} returned no solution (status {run.status!r}, solver said "
                f"{run.raw_status!r}{'; ' + run.error if run.error else ''}) for a {self.size}-column "
                f"{self.program_kind} with n = {self.n}. Try accuracy='mid', another solver (e.g. "
                "solver='clarabel'), or a larger time limit."
            )
        z = np.asarray(self.z.value, dtype=np.float64).copy()
        xi = float(self.xi.value) if self.xi is not None else 0.0
        dual_value = self.data_constraint.dual_value
        dual = None if dual_value is None else np.asarray(dual_value, dtype=np.float64).reshape(-1).copy()
        return self._result(run, z, xi, dual, prune)

    def _solve_native(self, adapter, accuracy, time_limit, warm_start, prune, **options) -> SolveResult:
        """A native Lasso adapter (cvxnn.solvers.native) on the matrices of a Lasso training program, bypassing
        CVXPY. No dual vector comes back (``dual = None``): :func:`cvxnn.certify.certify` uses the centred residual.
        The solution is also written into the CVXPY variables, as a CVXPY solve would."""
        if self.mode != "training":
            raise refuse(adapter.name, f"a {self.program_kind} (interpolation mode)", "LP",
                         "Use solver='auto' (HiGHS) or train with beta > 0.")
        if self.scope == "restricted":
            raise refuse(adapter.name, "a restricted Lasso inside column generation, which prices the columns "
                         "with the solver's dual vector (native solvers return none)", "QP",
                         "Or pass column_generation=False to the architecture (e.g. cvxnn.Deep1D(4, 'abs', "
                         "column_generation=False)): a native solver takes the whole dictionary at once.")
        A = native_matrix(self.dictionary)
        if A is None:
            raise refuse(adapter.name, f"the {self.program_kind} in its sparse form with n = {self.n} (hinge weights "
                         f"under a constraint, or more than {NATIVE_MAX_ENTRIES:,} matrix entries)", "QP",
                         "Pass formulation='dense' to the architecture (the Lasso over the dictionary's columns) "
                         "for a native solver.")
        z0 = self.z.value if warm_start and self.z.value is not None else None
        z, xi, run = adapter.solve_lasso(A, self.y, self.penalty_beta, self.has_output_bias, accuracy,
                                         time_limit=time_limit, z0=z0, **options)
        if z is None or not run.has_solution:
            raise SolverFailedError(
                f"solver {adapter.name!r} returned no solution (status {run.status!r}, solver said "
                f"{run.raw_status!r}{'; ' + run.error if run.error else ''}) for a {self.size}-column "
                f"{self.program_kind} with n = {self.n}. Try accuracy='mid' or another solver (e.g. "
                "solver='clarabel')."
            )
        self.z.value = z
        if self.xi is not None:
            self.xi.value = xi
        self.r.value = self.y - A @ z - xi
        return self._result(run, z.copy(), xi, None, prune)

    def _result(self, run, z, xi, dual, prune) -> SolveResult:
        """The result from the solver's (z, xi): noise dropped (and Caratheodory-pruned), the convex objective and l1
        norm of that returned solution, the network rebuilt from it."""
        z, xi = prune_solution(self.dictionary, z, xi, self.y, self.penalty_beta, self.has_output_bias,
                               residual_dual=dual is None, vertex=prune)
        net = self.reconstruct(z, xi)
        return SolveResult(run, z, xi, dual, self.convex_objective(z, xi), self.weighted_l1(z), net,
                           self.penalty_beta)


class LassoProgram(DictionaryProgram):
    """Training: ``min (1/2)||A z + xi 1 - y||^2 + beta ||z||_1`` over a finite dictionary, xi present iff the
    bias is free. The residual r is explicit: ``y - A z - xi 1 - r = 0`` has multiplier lambda = r*."""

    mode = "training"
    program_kind = "lasso"

    def __init__(self, X, y, architecture, beta, dictionary, bias, scope, oracle, duplicates="error"):
        super().__init__(X, y, architecture, dictionary, bias, scope, oracle, duplicates)
        self.beta = cp.Parameter(nonneg=True, value=float(beta), name="beta")
        self.r = cp.Variable(self.n, name="residual")
        self.data_constraint = y - self.fit - self.r == 0
        self.problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(self.r) + self.beta * self.l1),
                                  [self.data_constraint, *self.fit_constraints])

    @property
    def penalty_beta(self) -> float:
        return float(self.beta.value)

    def set_beta(self, beta) -> None:
        self.beta.value = check_beta(beta)

    def convex_objective(self, z, xi) -> float:
        """Lasso objective evaluated exactly at (z, xi) in float64."""
        res = self.y - self.dictionary.apply(z) - xi
        return 0.5 * float(res @ res) + self.penalty_beta * self.weighted_l1(z)


class InterpolationProgram(DictionaryProgram):
    """Minimum-norm interpolation, the beta -> 0 limit (theory: "Conventions"): ``min ||z||_1 s.t. A z + xi 1 = y``, an
    LP. Its dual is ``max lambda^T y s.t. |A_j^T lambda| <= 1, 1^T lambda = 0``; lambda is the multiplier of the data
    constraint. The rebuilt network's 'objective' is its weight cost (1/2) sum of squared weights, which equals ||z||_1,
    and it must fit the data exactly."""

    mode = "interpolation"
    program_kind = "min-norm interpolation LP"

    def __init__(self, X, y, architecture, dictionary, bias, scope, oracle, duplicates="error"):
        super().__init__(X, y, architecture, dictionary, bias, scope, oracle, duplicates)
        self.data_constraint = y - self.fit == 0
        self.problem = cp.Problem(cp.Minimize(self.l1), [self.data_constraint, *self.fit_constraints])

    @property
    def penalty_beta(self) -> float:
        return 1.0

    def convex_objective(self, z, xi) -> float:
        return self.weighted_l1(z)
