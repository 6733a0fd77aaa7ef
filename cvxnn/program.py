"""Convex programs equivalent to training, built in CVXPY with beta as a Parameter (DPP: re-solving a beta path
skips recompilation).

The 'apply' step of each reformulation: architecture + data -> :class:`ConvexProgram` holding the CVXPY problem and
the inverse data (the dictionary) that :meth:`ConvexProgram.reconstruct` uses to rebuild the network.

Lasso form (SPEC 1): ``min_{z, xi, r} (1/2)||r||^2 + beta ||z||_1  s.t.  y - A z - xi 1 - r = 0``. The residual r is
an explicit variable so that the multiplier of the equality constraint is the dual vector lambda = r* (SPEC 6.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from . import dictionaries
from .architectures import Deep1D, DeepAbs, GatedReLU, TwoLayer
from .errors import InvalidDataError, InvalidParameterError, SolverFailedError, UnsupportedCombinationError
from .network import Network
from .reconstruct import caratheodory_prune
from .solvers import SolverRun, get_solver
from .validation import check_beta, check_choice, check_duplicates, check_xy

MODES = ("training", "interpolation")


def resolve_solver(solver: str, mode: str) -> str:
    """'auto' -> Clarabel for training programs, HiGHS (simplex: exact vertex solutions) for interpolation LPs."""
    if str(solver).lower() != "auto":
        return solver
    from .solvers import installed_solvers

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


class DictionaryProgram:
    """Shared part of the programs over a finite 1-D dictionary: data, dictionary, oracle and reconstruction.
    Subclasses set ``mode``, ``program_kind``, ``problem``, ``data_constraint`` (whose multiplier is the dual vector
    lambda), ``penalty_beta`` and ``convex_objective``."""

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
        n, m = dictionary.matrix.shape
        self.z = cp.Variable(m, name="z")
        self.xi = cp.Variable(name="xi") if bias == "free" else None

    @property
    def fit(self):
        """The CVXPY expression A z + xi 1 (the network's predictions at the data)."""
        return self.dictionary.matrix @ self.z + (self.xi if self.xi is not None else 0.0)

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
        """sup over ALL units of |lam^T sigma_theta(X)| and the maximising unit (SPEC 6.3), by the dictionary's
        oracle."""
        return self.dictionary.dual_sup(lam, self.X, self.bias)

    def reconstruct(self, z, xi) -> Network:
        return self.dictionary.to_network(z, xi, self.y, self.penalty_beta, self.bias, self.architecture)

    def solve(self, solver: str = "auto", accuracy: str = "high", time_limit: float | None = None,
              warm_start: bool = False, prune: bool = True, progress: bool = False, **options) -> SolveResult:
        """Solve with a registered solver ('auto': Clarabel for training, HiGHS for the interpolation LP) and
        rebuild the network; ``prune`` applies Caratheodory pruning (same fit, same l1 norm, at most n + 1 units).
        Raises :class:`SolverFailedError` when no solution comes back."""
        adapter = get_solver(resolve_solver(solver, self.mode))
        if adapter.native_lasso:
            return self._solve_native(adapter, accuracy, time_limit, warm_start, prune, **options)
        run = adapter.solve(self.problem, accuracy, time_limit=time_limit, warm_start=warm_start, **options)
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
        from .solvers.native import refuse

        if self.mode != "training":
            raise refuse(adapter.name, f"a {self.program_kind} (interpolation mode)", "LP",
                         "Use solver='auto' (HiGHS) or train with beta > 0.")
        if self.scope == "restricted":
            raise refuse(adapter.name, "a restricted Lasso inside column generation, which prices the columns "
                         "with the solver's dual vector (native solvers return none)", "QP",
                         "Or pass column_generation=False to the architecture (e.g. cvxnn.Deep1D(4, 'abs', "
                         "column_generation=False)): a native solver takes the whole dictionary at once.")
        A = self.dictionary.matrix
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
        convex = self.convex_objective(z, xi)
        l1 = float(np.sum(np.abs(z)))
        if prune:
            z, xi = caratheodory_prune(self.dictionary.matrix, z, xi, self.has_output_bias)
        net = self.reconstruct(z, xi)
        return SolveResult(run, z, xi, dual, convex, l1, net, self.penalty_beta)


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
        self.problem = cp.Problem(
            cp.Minimize(0.5 * cp.sum_squares(self.r) + self.beta * cp.norm1(self.z)), [self.data_constraint]
        )

    @property
    def penalty_beta(self) -> float:
        return float(self.beta.value)

    def set_beta(self, beta) -> None:
        self.beta.value = check_beta(beta)

    def convex_objective(self, z, xi) -> float:
        """Lasso objective evaluated exactly at (z, xi) in float64."""
        res = self.y - self.dictionary.matrix @ z - xi
        return 0.5 * float(res @ res) + self.penalty_beta * float(np.sum(np.abs(z)))


class InterpolationProgram(DictionaryProgram):
    """Minimum-norm interpolation, the beta -> 0 limit (SPEC 0): ``min ||z||_1 s.t. A z + xi 1 = y``, an LP.
    Its dual is ``max lambda^T y s.t. |A_j^T lambda| <= 1, 1^T lambda = 0``; lambda is the multiplier of the
    data constraint. The rebuilt network's 'objective' is its weight cost (1/2) sum of squared weights, which
    equals ||z||_1, and it must fit the data exactly."""

    mode = "interpolation"
    program_kind = "min-norm interpolation LP"

    def __init__(self, X, y, architecture, dictionary, bias, scope, oracle, duplicates="error"):
        super().__init__(X, y, architecture, dictionary, bias, scope, oracle, duplicates)
        self.data_constraint = y - self.fit == 0
        self.problem = cp.Problem(cp.Minimize(cp.norm1(self.z)), [self.data_constraint])

    @property
    def penalty_beta(self) -> float:
        return 1.0

    def convex_objective(self, z, xi) -> float:
        return float(np.sum(np.abs(z)))


def build(X, y, architecture=None, beta=None, *, duplicates: str = "error", mode: str = "training",
          progress: bool = False):
    """Build the convex program equivalent to training ``architecture`` on (X, y) with weight decay beta.

    mode: 'training' (default; needs beta > 0) or 'interpolation' (minimum-norm exact fit, the beta -> 0 limit;
    beta must be None).
    duplicates: 'error' (default) rejects repeated input points; 'merge' lets repeated points share one breakpoint
    while every sample still counts in the loss (exact: the objective is unchanged). In interpolation mode repeated
    points must have equal targets.
    progress: a progress bar (stderr) while enumerating activation patterns.
    """
    architecture = TwoLayer() if architecture is None else architecture
    mode = check_choice(mode, MODES, "mode")
    if mode == "training":
        beta = check_beta(beta)
    elif beta is not None:
        raise InvalidParameterError(
            f"interpolation mode takes no beta (it is the beta -> 0 limit); received beta={beta!r}. Pass beta=None "
            "or use mode='training'."
        )
    X, y = check_xy(X, y)
    if not isinstance(architecture, (TwoLayer, Deep1D, GatedReLU, DeepAbs)):
        raise UnsupportedCombinationError(
            f"architecture {architecture!r} is not available in this version; use cvxnn.TwoLayer(...), "
            "cvxnn.Deep1D(...), cvxnn.DeepAbs(...) or cvxnn.GatedReLU(...)."
        )
    bias = architecture.resolve_bias(X.shape[1])
    if isinstance(architecture, GatedReLU):
        if mode != "training":
            raise UnsupportedCombinationError("gated-relu nets are trained with beta > 0 (mode='training').")
        return build_arrangement_program(X, y, architecture, beta, bias, duplicates, progress)
    check_duplicates(X, duplicates)
    if isinstance(architecture, DeepAbs):
        from .deepabs import DeepAbsProgram

        if mode == "interpolation":
            _check_interpolable(X, y)
        return DeepAbsProgram(X, y, architecture, beta, bias, mode, duplicates)
    if isinstance(architecture, TwoLayer) and architecture.uses_arrangement(X.shape[1]):
        if mode != "training":
            raise UnsupportedCombinationError(
                "interpolation mode is available for 1-D dictionary models; received a two-layer net on "
                f"{X.shape[1]}-dimensional data (or with a penalised bias). Use mode='training' with beta > 0."
            )
        return build_arrangement_program(X, y, architecture, beta, bias, duplicates, progress)
    if np.unique(X[:, 0]).size < 2 and bias == "free":
        raise InvalidDataError(
            f"all {X.shape[0]} inputs are the same point x = {X[0, 0]:g}; at least two distinct inputs are needed "
            "to train on 1-D data."
        )
    dictionary = make_dictionary(X, architecture, bias)
    oracle = dictionary.oracle
    if mode == "interpolation":
        _check_interpolable(X, y)
    use_colgen = getattr(architecture, "column_generation", None)
    if dictionary.matrix is None or use_colgen or (use_colgen is None and dictionary.size > _colgen_threshold()):
        from .colgen import ColumnGenerationProgram

        if not hasattr(dictionary, "subset"):
            raise UnsupportedCombinationError(
                f"column generation is not available for the {architecture.describe()} dictionary; "
                "pass column_generation=False."
            )
        return ColumnGenerationProgram(X, y, architecture, beta, dictionary, bias, "global", oracle, mode, duplicates)
    if mode == "interpolation":
        return InterpolationProgram(X, y, architecture, dictionary, bias, "global", oracle, duplicates)
    return LassoProgram(X, y, architecture, beta, dictionary, bias, "global", oracle, duplicates)


def build_arrangement_program(X, y, architecture, beta, bias, duplicates, progress=False):
    """Enumerate (or sample) the activation patterns, then the cone-constrained group Lasso (SPEC 4)."""
    from .arrangements import enumerate_patterns, sample_patterns
    from .grouplasso import (PATTERN_GENERATION_THRESHOLD, ArrangementProgram, PatternGenerationProgram,
                             with_bias_column)

    Xb = with_bias_column(X, bias)
    if architecture.patterns == "sample":
        arr = sample_patterns(Xb, architecture.n_samples, seed=architecture.seed, bias_column=bias == "penalized")
    else:
        arr = enumerate_patterns(Xb, max_patterns=architecture.max_patterns, progress=progress)
    if isinstance(architecture, GatedReLU):
        from .grouplasso import GatedProgram

        return GatedProgram(X, y, architecture, beta, arr, bias, duplicates)
    use = architecture.column_generation
    if use or (use is None and X.shape[0] * len(arr) > PATTERN_GENERATION_THRESHOLD):
        return PatternGenerationProgram(X, y, architecture, beta, arr, bias, duplicates)
    return ArrangementProgram(X, y, architecture, beta, arr, bias, duplicates=duplicates)


def _colgen_threshold() -> int:
    from .colgen import COLUMN_GENERATION_THRESHOLD

    return COLUMN_GENERATION_THRESHOLD


def size_estimate(X, architecture) -> dict:
    """The size of the program ``build`` would make, computed before anything large is built."""
    from math import comb

    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    n, d = X.shape
    if isinstance(architecture, DeepAbs):
        from .deepabs import direction_count, pool_size

        return {"kind": f"pool columns ({direction_count(n, d):,} directions x vertex labels, before deduplication)",
                "count": pool_size(n, d)}
    if getattr(architecture, "inner_norm", "l2") == "l1":
        return {"kind": "wedge columns", "count": comb(n + d, d) - 1}
    if isinstance(architecture, Deep1D) and architecture.depth >= 3:
        from .chains import abs_chain_work

        if architecture.activation == "relu":
            return {"kind": "ramp columns", "count": n * (n - 1) // 2}
        return {"kind": "vertex solves (columns are fewer)", "count": abs_chain_work(n, architecture.depth)}
    if isinstance(architecture, (TwoLayer, GatedReLU)) and (isinstance(architecture, GatedReLU)
                                                          or architecture.uses_arrangement(d)):
        from .arrangements import pattern_count
        from .grouplasso import with_bias_column

        return {"kind": "activation patterns (upper bound)",
                "count": pattern_count(with_bias_column(X, architecture.resolve_bias(d)))}
    return {"kind": "breakpoint columns", "count": 2 * n}


def make_dictionary(X, architecture, bias):
    """The exact finite dictionary of ``architecture`` on the inputs X (SPEC 2, 3 and 5.1)."""
    if getattr(architecture, "inner_norm", "l2") == "l1":
        from .wedge import wedge_dictionary

        return wedge_dictionary(X)
    x = X[:, 0]
    if isinstance(architecture, Deep1D) and architecture.depth >= 3:
        from . import chains

        if architecture.activation == "relu":
            return chains.relu_ramp_dictionary(x, architecture.depth, architecture.ramps)
        return chains.abs_chain_dictionary(x, architecture.depth, max_columns=architecture.max_columns)
    return dictionaries.two_layer_1d(x, architecture.act, bias)


def _check_interpolable(X, y) -> None:
    from .validation import find_duplicate_points

    for group in find_duplicate_points(X):
        if np.ptp(y[group]) > 0:
            raise InvalidDataError(
                f"interpolation mode needs one target per input point; rows {group[:5]} share x = "
                f"{float(X[group[0], 0]):g} but have targets {y[group[:5]].tolist()}. No network fits them exactly: "
                "use training mode with beta > 0."
            )
