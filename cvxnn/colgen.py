"""Column generation: one driver (:func:`generate_columns`) for dictionaries, activation patterns and directions,
and the program over a finite dictionary too large for one program (theory: "Pattern and column generation").

Solve the Lasso (or the interpolation LP) on a working set of columns, take the solver's dual vector lambda, price
EVERY column of the full dictionary with the exact oracle, add the most violated ones (|A_j^T lambda| > beta), and
repeat until none is violated. The restricted solutions are feasible for the full problem, and the final
certificate prices the full dictionary, so the result is certified with the full dictionary's scope.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .certify import project_free
from .errors import UnsupportedCombinationError
from .program import (SPAN_RTOL, InterpolationProgram, LassoProgram, SolveResult, architecture_words,
                      cannot_interpolate, resolve_solver, span_residual, top_columns)
from .prune import prune_solution
from .solvers import SolverRun
from .validation import check_beta

#: stored dictionaries with more columns than this are solved by column generation unless told otherwise (measured:
#: depth-4 abs chains on 20 points, 47,870 columns: 21 s as one program, under 1 s by column generation; depth-3
#: abs chains on 60 / 100 points, 5,252 / 14,752 columns: 12 s / 61 s whole, 4.6 s / 12.8 s by column generation,
#: same optima, on a shared 2-core machine)
COLUMN_GENERATION_THRESHOLD = 5_000


def generate_columns(initial, solve_restricted, price, threshold: float, add_per_round: int, max_rounds: int,
                     progress: bool = False, desc: str = "column generation"):
    """The column-generation loop shared by dictionaries and arrangements.

    ``solve_restricted(working) -> (program, result)`` solves on the working set; ``price(program, result,
    working) -> (scores, working)`` returns the oracle score of EVERY column (or pattern) at the result's dual and
    the working set to keep. Columns outside the working set scoring above ``threshold * (1 + 1e-7)`` are added,
    most violated first, up to ``add_per_round``; the loop stops when none is violated. Returns
    (program, result with times summed over rounds, log)."""
    working = np.unique(np.asarray(initial, dtype=int))
    totals = {"compile": 0.0, "setup": 0.0, "solve": 0.0, "wall": 0.0, "pricing": 0.0}
    iterations, log = 0, []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=max_rounds, desc=desc, unit="round")
    t_start = time.perf_counter()
    for round_index in range(max_rounds):
        program, res = solve_restricted(working)
        for key in ("compile", "setup", "solve"):
            totals[key] += res.run.times.get(key) or 0.0
        iterations += res.run.iterations or 0
        t0 = time.perf_counter()
        scores, working = price(program, res, working)
        totals["pricing"] += time.perf_counter() - t0
        scores = scores.copy()
        scores[working] = 0.0
        violated = np.flatnonzero(scores > threshold * (1.0 + 1e-7))
        if violated.size > add_per_round:  # the most violated, without sorting millions of scores
            violated = violated[np.argpartition(-scores[violated], add_per_round - 1)[:add_per_round]]
        add = violated[np.argsort(-scores[violated])]
        log.append({"round": round_index + 1, "working_set": int(working.size), "objective": res.convex_objective,
                    "max_violation": float(scores.max() / threshold) if scores.size else 0.0,
                    "added": int(add.size)})
        if bar is not None:
            bar.update(1)
        if add.size == 0:
            break
        working = np.concatenate([working, add])
    if bar is not None:
        bar.close()
    totals["wall"] = time.perf_counter() - t_start
    res.run = SolverRun(res.run.solver, res.run.accuracy, res.run.status, res.run.raw_status, res.run.tolerance,
                        res.run.options, totals, iterations, res.run.error)
    return program, res, log


@dataclass
class _BetaValue:
    value: float


@dataclass
class ColumnGenerationLog:
    rounds: list = field(default_factory=list)  # per round: working-set size, objective, max violation, added

    def to_dict(self) -> dict:
        return {"rounds": self.rounds}


class ColumnGenerationProgram:
    """The same interface as :class:`LassoProgram` / :class:`InterpolationProgram` for certificates and reports;
    ``dictionary`` is the final working set, ``full_dictionary`` the whole dictionary priced by the oracle."""

    program_kind = "lasso by column generation"

    def __init__(self, X, y, architecture, beta, full_dictionary, bias, scope, oracle, mode="training",
                 duplicates="error", initial_size=None, add_per_round=None, max_rounds=100):
        self.X, self.y = X, y
        self.architecture = architecture
        self.full_dictionary = full_dictionary
        self.dictionary = None
        self.bias, self.scope, self.oracle, self.mode, self.duplicates = bias, scope, oracle, mode, duplicates
        self.beta = _BetaValue(float(beta) if beta is not None else 1.0)
        n = X.shape[0]
        self.initial_size = initial_size or 3 * n
        self.add_per_round = add_per_round or max(2 * n, 20)
        self.max_rounds = max_rounds
        self.log = ColumnGenerationLog()
        if mode == "interpolation":
            self.program_kind = "min-norm interpolation LP by column generation"

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def size(self) -> int:
        return self.full_dictionary.size

    @property
    def has_output_bias(self) -> bool:
        return self.bias == "free"

    def free_columns(self) -> np.ndarray | None:
        """The unpenalised directions of the fit (ones with the output bias, and the dictionary's free columns)."""
        cols = ([np.ones(self.n)] if self.has_output_bias else []) + \
            list(np.asarray(getattr(self.full_dictionary, "free_columns", np.zeros((self.n, 0)))).T)
        return np.column_stack(cols) if cols else None

    @property
    def penalty_beta(self) -> float:
        """beta of the Lasso; 1 for the interpolation LP (its objective is the l1 norm), as InterpolationProgram."""
        return 1.0 if self.mode == "interpolation" else self.beta.value

    def set_beta(self, beta) -> None:
        self.beta.value = check_beta(beta)

    def summary(self) -> dict:
        return {
            **self.architecture.describe(),
            "mode": self.mode,
            "bias_convention": self.bias,
            "n": self.n,
            "d": int(self.X.shape[1]),
            "beta": self.beta.value if self.mode == "training" else None,
            "dictionary_size": self.size,
            "working_set_size": None if self.dictionary is None else self.dictionary.size,
            "program": self.program_kind,
            "scope": self.scope,
            "oracle": self.oracle,
            "column_generation": self.log.to_dict(),
        }

    def dual_sup(self, lam):
        return self.full_dictionary.dual_sup(lam, self.X, self.bias)

    def weighted_l1(self, z) -> float:
        """sum_j c_j |z_j| over the working set (free columns weigh 0)."""
        a = np.abs(np.asarray(z, dtype=np.float64))
        w = getattr(self.dictionary, "weights", None)
        return float(np.sum(a if w is None else np.asarray(w) * a))

    def convex_objective(self, z, xi) -> float:
        if self.mode == "interpolation":
            return self.weighted_l1(z)
        res = self.y - self.dictionary.apply(z) - xi
        return 0.5 * float(res @ res) + self.beta.value * self.weighted_l1(z)

    def reconstruct(self, z, xi):
        return self.dictionary.to_network(z, xi, self.y, self.penalty_beta, self.bias, self.architecture)

    def top_units(self, lam, k: int) -> np.ndarray:
        """Columns of the k units of the whole dictionary scoring highest at lam."""
        return top_columns(self.full_dictionary, lam, k)

    def _initial_working_set(self) -> np.ndarray:
        lam = self.y - self.y.mean() if self.has_output_bias else self.y.copy()
        scores = np.abs(self.full_dictionary.scores(lam))
        top = np.argsort(-scores)[: self.initial_size]
        # columns of the two-layer kind (a = (x_j, 0, ..., 0)) make every restricted interpolation LP feasible
        params = getattr(self.full_dictionary, "params", None)
        base = np.flatnonzero(np.all(params[:, 1:] == 0, axis=1)) if params is not None else np.zeros(0, int)
        return np.unique(np.concatenate([top, base]))

    def _interpolating_working_set(self, working) -> np.ndarray:
        """Phase one of the interpolation LP: columns are added until the working set can fit y exactly.

        With P the projection onto the span of the working columns (and the free columns), r = y - P y is orthogonal
        to every one of them and r^T y = ||r||^2: when r != 0 it is a Farkas certificate that the restricted LP is
        infeasible. A column j with A_j^T r != 0 lies outside that span, so adding the ``add_per_round`` columns of
        largest |A_j^T r| (those above 1e-9 ||A_j|| ||r||) raises the rank: at most n rounds. When no column has
        A_j^T r != 0, the whole dictionary cannot fit y either (r certifies it)."""
        working = np.unique(np.asarray(working, dtype=int))
        free = self.free_columns()
        for _ in range(self.n + 1):
            r = span_residual(self.full_dictionary.columns(working), self.y, free)
            r_norm = float(np.linalg.norm(r))
            if r_norm <= SPAN_RTOL * np.linalg.norm(self.y):
                return working
            scores = np.abs(self.full_dictionary.scores(r))
            scores[working] = 0.0
            top = np.argsort(-scores)[: self.add_per_round]
            add = top[scores[top] > 1e-9 * r_norm * np.linalg.norm(self.full_dictionary.columns(top), axis=0)]
            if add.size == 0:
                break
            working = np.union1d(working, add)
        raise cannot_interpolate(self.architecture, self.y, r)

    def solve(self, solver: str = "auto", accuracy: str = "high", time_limit=None, warm_start=False,
              prune: bool = True, progress: bool = False, **options) -> SolveResult:
        solver = resolve_solver(solver, self.mode)

        def solve_restricted(working):
            self.dictionary = self.full_dictionary.subset(working)
            if self.mode == "interpolation":
                restricted = InterpolationProgram(self.X, self.y, self.architecture, self.dictionary, self.bias,
                                                  "restricted", self.oracle, self.duplicates)
            else:
                restricted = LassoProgram(self.X, self.y, self.architecture, self.beta.value, self.dictionary,
                                          self.bias, "restricted", self.oracle, self.duplicates)
            return restricted, restricted.solve(solver, accuracy, time_limit=time_limit, prune=False, **options)

        def price(restricted, res, working):
            return np.abs(self.full_dictionary.scores(project_free(self, res.dual))), working

        threshold = 1.0 if self.mode == "interpolation" else self.beta.value
        initial = self._initial_working_set()
        if self.mode == "interpolation":
            initial = self._interpolating_working_set(initial)
        _, res, rounds = generate_columns(initial, solve_restricted, price, threshold,
                                          self.add_per_round, self.max_rounds, progress)
        self.log = ColumnGenerationLog(rounds)
        z, xi = res.z, res.xi
        z, xi = prune_solution(self.dictionary, z, xi, self.y, self.penalty_beta, self.has_output_bias,
                               residual_dual=res.dual is None, vertex=prune)
        convex, l1 = self.convex_objective(z, xi), self.weighted_l1(z)  # of the returned solution
        return SolveResult(res.run, z, xi, res.dual, convex, l1, self.reconstruct(z, xi), self.penalty_beta)


def dictionary_program(X, y, architecture, beta, dictionary, bias, mode, duplicates, *, scope="global",
                       column_generation=None):
    """The program over a model's finite dictionary: the Lasso (training) or the interpolation LP, solved whole, or
    by column generation over a stored dictionary when it is priced implicitly (``matrix`` None), when
    ``column_generation`` is True, or (None) when it has more than :data:`COLUMN_GENERATION_THRESHOLD` columns.
    Operator dictionaries (no ``matrix`` attribute: the O(n) 1-D forms) are always solved whole."""
    stored = hasattr(dictionary, "matrix") and getattr(dictionary, "operator", None) is None
    use = column_generation
    if stored and (dictionary.matrix is None or use or (use is None and dictionary.size > COLUMN_GENERATION_THRESHOLD)):
        if not hasattr(dictionary, "subset"):
            raise UnsupportedCombinationError(
                f"column generation is not available for the {architecture_words(architecture)} dictionary; "
                "pass column_generation=False."
            )
        return ColumnGenerationProgram(X, y, architecture, beta, dictionary, bias, scope, dictionary.oracle, mode,
                                       duplicates)
    if mode == "interpolation":
        return InterpolationProgram(X, y, architecture, dictionary, bias, scope, dictionary.oracle, duplicates)
    return LassoProgram(X, y, architecture, beta, dictionary, bias, scope, dictionary.oracle, duplicates)
