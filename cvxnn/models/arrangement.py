"""Two-layer nets in any input dimension: the cone-constrained group Lasso over the hyperplane arrangement of the
data (Pilanci & Ergen), its exact NNLS oracle, pattern generation, the reconstruction, and gated ReLU nets
(theory: "Two-layer nets on hyperplane arrangements", "Gated ReLU nets").

Net ``f(X) = sum_j alpha_j sigma(Xb u_j)`` with ``Xb = [X, 1]`` (bias convention 'penalized': the bias is the last
entry of u and is penalised) or ``Xb = X`` ('none'), objective ``(1/2)||f - y||^2 + (beta/2) sum_j (||u_j||^2 +
alpha_j^2)``. With patterns D_i of the arrangement, cones K_i = {u : (2D_i - I) Xb u >= 0} and on K_i
``sigma(Xb u) = M_i Xb u`` (relu: M_i = D_i; leaky: D_i + a (I - D_i); abs: 2D_i - I):

    min (1/2)|| sum_i M_i Xb (v_i - w_i) - y ||^2 + beta sum_i (||v_i|| + ||w_i||)   s.t.  v_i, w_i in K_i.

Dual oracle (theory: "Certificates"): the sup over ALL units of |lambda^T sigma(Xb u)|, ||u|| <= 1, is the max over
patterns and both signs of max_{u in K_i, ||u|| <= 1} +-c_i^T u = min_{mu >= 0} ||+-c_i + A_i^T mu||, c_i = Xb^T M_i
lambda, A_i = (2D_i - I) Xb: one non-negative least squares per pattern and sign, no conic solver. Exact when the
patterns are the whole arrangement (scope 'global'), otherwise only over the sampled patterns (scope 'sampled').
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
from scipy.optimize import nnls

from ..activations import Activation
from ..arrangements import Arrangement, enumerate_patterns, interior_point, pattern_count, sample_patterns
from ..certify import certify
from ..colgen import _BetaValue, generate_columns
from ..errors import SolverFailedError, UnsupportedCombinationError
from ..explain import MAX_ROWS, verdict
from ..network import Layer, Network, Penalty, PenaltyTerm
from ..program import SolveResult, resolve_solver
from ..prune import active_set, caratheodory_prune
from ..solvers import get_solver
from ..validation import check_beta, check_duplicates
from .base import Model, check_two_layer

BLOCK_RTOL = 1e-9  # blocks with norm <= BLOCK_RTOL * max norm are zero
MERGE_COS = 1 - 1e-10  # units whose directions have cosine above this (same sign) are merged


def with_bias_column(X: np.ndarray, bias: str) -> np.ndarray:
    return np.hstack([X, np.ones((X.shape[0], 1))]) if bias == "penalized" else X


def pattern_multipliers(patterns: np.ndarray, activation: Activation) -> np.ndarray:
    """M_i as an (n, P) array of diagonals: the feature of a unit in cone K_i is M_i Xb u."""
    D = patterns.T.astype(np.float64)
    if activation.name == "relu":
        return D
    if activation.name == "leaky":
        return D + activation.slope * (1.0 - D)
    return 2.0 * D - 1.0  # abs


def arrangement_dual_sup(lam, Xb, patterns, activation: Activation):
    """Exact sup over units of |lam^T sigma(Xb u)|, ||u|| <= 1, over the given patterns (NNLS per pattern and sign).
    Patterns are visited by decreasing ||c_i||, an upper bound of their value, and skipped once it cannot win."""
    lam = np.asarray(lam, dtype=np.float64)
    M = pattern_multipliers(patterns, activation)  # (n, P)
    S = 2.0 * patterns.astype(np.float64) - 1.0  # (P, n)
    C = (M * lam[:, None]).T @ Xb  # (P, d') rows c_i
    bound = np.linalg.norm(C, axis=1)
    best, unit = 0.0, {}
    for i in np.argsort(-bound):
        if bound[i] <= best:
            break
        At = (S[i][:, None] * Xb).T  # (d', n): columns are the cone's normals a_k
        for sign in (1.0, -1.0):
            c = sign * C[i]
            mu, value = nnls(At, -c)
            if value > best:
                u = c + At @ mu
                best = value
                unit = {"pattern": int(i), "sign": sign, "direction": (u / value).tolist() if value > 0 else None}
    return best, unit


class ArrangementProgram:
    """The exact (or, with sampled patterns, restricted) two-layer program in d >= 1 dimensions."""

    mode = "training"
    program_kind = "cone-constrained group lasso"

    def __init__(self, X, y, architecture, beta, arrangement, bias, oracle_arrangement=None, duplicates="error",
                 output_bias: bool = False):
        self.X, self.y = X, y
        self.output_bias = bool(output_bias)
        self.architecture = architecture
        self.bias = bias
        self.duplicates = duplicates
        self.act = architecture.act
        self.Xb = with_bias_column(X, bias)
        self.arrangement = arrangement
        self.oracle_arrangement = oracle_arrangement or arrangement
        self.scope = "global" if self.oracle_arrangement.exact else "sampled"
        self.oracle = ("NNLS over every pattern of the exact arrangement, both signs"
                       if self.oracle_arrangement.exact else
                       f"NNLS over {len(self.oracle_arrangement)} SAMPLED patterns only (not a global certificate)")
        self.beta = cp.Parameter(nonneg=True, value=float(beta), name="beta")
        self._build(arrangement.patterns)

    def _build(self, patterns):
        self.patterns = patterns
        P, dp = patterns.shape[0], self.Xb.shape[1]
        M = pattern_multipliers(patterns, self.act)
        S = 2.0 * patterns.T.astype(np.float64) - 1.0  # (n, P)
        self.V = cp.Variable((P, dp), name="v")
        self.W = cp.Variable((P, dp), name="w")
        self.r = cp.Variable(self.n, name="residual")
        self.xi = cp.Variable(name="xi") if self.output_bias else None
        fit = cp.sum(cp.multiply(M, self.Xb @ (self.V - self.W).T), axis=1)
        if self.xi is not None:
            fit = fit + self.xi
        self.data_constraint = self.y - fit - self.r == 0
        cones = [cp.multiply(S, self.Xb @ self.V.T) >= 0, cp.multiply(S, self.Xb @ self.W.T) >= 0]
        penalty = cp.sum(cp.norm(self.V, 2, axis=1)) + cp.sum(cp.norm(self.W, 2, axis=1))
        self.problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(self.r) + self.beta * penalty),
                                  [self.data_constraint] + cones)

    # ------------------------------------------------------------------------------ interface
    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def size(self) -> int:
        return int(self.patterns.shape[0])

    @property
    def has_output_bias(self) -> bool:
        return self.output_bias

    @property
    def penalty_beta(self) -> float:
        return float(self.beta.value)

    def set_beta(self, beta) -> None:
        self.beta.value = check_beta(beta)

    def summary(self) -> dict:
        return {
            **self.architecture.describe(), "mode": self.mode, "bias_convention": self.bias, "n": self.n,
            "d": int(self.X.shape[1]), "beta": self.penalty_beta, "dictionary_size": self.size,
            "n_patterns": self.size, "patterns_mode": self.arrangement.method if not self.arrangement.exact
            else "exact", "patterns_include_zero": bool(self.arrangement.includes_zero),
            "program": self.program_kind, "scope": self.scope, "oracle": self.oracle,
        }

    def dual_sup(self, lam):
        return arrangement_dual_sup(lam, self.Xb, self.oracle_arrangement.patterns, self.act)

    def features(self, U: np.ndarray) -> np.ndarray:
        """sigma(Xb u) for the rows u of U: (n, m)."""
        return self.act(self.Xb @ U.T)

    def convex_objective_blocks(self, V, W, xi=0.0) -> float:
        M = pattern_multipliers(self.patterns, self.act)
        fit = np.sum(M * (self.Xb @ (V - W).T), axis=1) + xi
        res = self.y - fit
        return 0.5 * float(res @ res) + self.penalty_beta * float(
            np.sum(np.linalg.norm(V, axis=1)) + np.sum(np.linalg.norm(W, axis=1)))

    # ------------------------------------------------------------------------------ solve and invert
    def solve(self, solver="auto", accuracy="high", time_limit=None, warm_start=False, prune=True,
              progress=False, **options) -> SolveResult:
        adapter = get_solver(resolve_solver(solver, self.mode))
        run = adapter.solve(self.problem, accuracy, time_limit=time_limit, warm_start=warm_start, **options)
        if not run.has_solution or self.V.value is None:
            raise SolverFailedError(
                f"solver {adapter.name!r} returned no solution (status {run.status!r}, solver said "
                f"{run.raw_status!r}{'; ' + run.error if run.error else ''}) for a group lasso over {self.size} "
                f"patterns with n = {self.n}. Try solver='clarabel', accuracy='mid', or fewer patterns."
            )
        V, W = np.asarray(self.V.value, dtype=np.float64), np.asarray(self.W.value, dtype=np.float64)
        xi = float(self.xi.value) if self.xi is not None else 0.0
        dual = np.asarray(self.data_constraint.dual_value, dtype=np.float64).reshape(-1).copy()
        return self._result(run, V, W, xi, dual, prune)

    def _result(self, run, V, W, xi, dual, prune) -> SolveResult:
        convex = self.convex_objective_blocks(V, W, xi)
        l1 = float(np.sum(np.linalg.norm(V, axis=1)) + np.sum(np.linalg.norm(W, axis=1)))
        net = self.reconstruct(V, W, xi, prune=prune)
        return SolveResult(run, np.array([]), xi, dual, convex, l1, net, self.penalty_beta)

    def reconstruct(self, V, W, xi: float = 0.0, prune: bool = True) -> Network:
        """Nonzero v_i -> unit u = v_i / sqrt||v_i||, alpha = +sqrt||v_i|| (w_i: alpha = -sqrt||w_i||); then merge
        units of the same direction and sign, then Caratheodory pruning to at most n + 1 units (theory: "Merging and
        pruning")."""
        blocks = np.vstack([V, W])
        signs = np.concatenate([np.ones(len(V)), -np.ones(len(W))])
        norms = np.linalg.norm(blocks, axis=1)
        top = float(norms.max()) if norms.size else 0.0
        keep = norms > BLOCK_RTOL * top if top > 0 else np.zeros(norms.size, bool)
        dirs, c, s = blocks[keep] / norms[keep, None], norms[keep], signs[keep]
        raw = int(keep.sum())
        dirs, c, s = merge_units(dirs, c, s)
        merged = int(c.size)
        if prune and c.size:
            H = s[None, :] * self.features(dirs)
            keep = active_set(c, xi, H, self.y, self.penalty_beta)  # drop interior-point dust
            dirs, c, s, H = dirs[keep], c[keep], s[keep], H[:, keep]
            c, _ = caratheodory_prune(H, c, 0.0, intercept=False)  # keeps the fit, so xi stays
            nz = c > 0
            dirs, c, s = dirs[nz], c[nz], s[nz]
        U = np.sqrt(c)[:, None] * dirs
        alpha = s * np.sqrt(c)
        d = self.X.shape[1]
        hidden = Layer(U[:, :d], U[:, d] if self.bias == "penalized" else np.zeros(len(c)), self.act)
        out = Layer(alpha.reshape(1, -1), [xi], Activation("identity"))
        penalty = arrangement_penalty(self.penalty_beta, self.bias)
        meta = {"model": "two-layer", "activation": self.act.to_dict(), "bias_convention": self.bias,
                "output_bias": self.output_bias, "widths": {"raw": raw, "merged": merged, "pruned": int(c.size)}}
        return Network([hidden, out], penalty, meta)


def merge_units(dirs, c, s):
    """Merge units with the same direction and outer sign: sigma(Xb (c1 u)) + sigma(Xb (c2 u)) =
    sigma(Xb ((c1 + c2) u)) for positively homogeneous sigma. Returns merged (dirs, c, s)."""
    out_d, out_c, out_s = [], [], []
    for k in np.argsort(-c):
        for m, (u, sg) in enumerate(zip(out_d, out_s)):
            if sg == s[k] and float(u @ dirs[k]) > MERGE_COS:
                out_c[m] += c[k]
                break
        else:
            out_d.append(dirs[k])
            out_c.append(float(c[k]))
            out_s.append(s[k])
    if not out_d:
        return np.zeros((0, dirs.shape[1])), np.zeros(0), np.zeros(0)
    return np.array(out_d), np.array(out_c), np.array(out_s)


def pattern_values(lam, Xb, patterns, activation: Activation, threshold: float = 0.0) -> np.ndarray:
    """Per pattern, the exact oracle value max over signs of max_{u in K_i, ||u|| <= 1} +-c_i^T u; patterns whose
    upper bound ||c_i|| is at most ``threshold`` are not computed (their entry is that upper bound)."""
    lam = np.asarray(lam, dtype=np.float64)
    M = pattern_multipliers(patterns, activation)
    S = 2.0 * patterns.astype(np.float64) - 1.0
    C = (M * lam[:, None]).T @ Xb
    values = np.linalg.norm(C, axis=1)
    for i in np.flatnonzero(values > threshold):
        At = (S[i][:, None] * Xb).T
        values[i] = max(nnls(At, -C[i])[1], nnls(At, C[i])[1])
    return values


def unit_patterns(U: np.ndarray, Xb: np.ndarray) -> np.ndarray:
    """Activation patterns 1[Xb u >= 0] of the rows u of U (as (m, n) bool)."""
    return (Xb @ U.T >= 0).T


def subset_arrangement(full, idx):
    P = full.patterns[np.asarray(idx, dtype=int)]
    return Arrangement(P, "subset", False, bool((~P).all(axis=1).any()), full.count_formula, 0.0)


def pattern_generation(X, y, architecture, beta, bias, full, *, initial=None, output_bias=False, solver="auto",
                       accuracy="high", time_limit=None, max_rounds=50, add_per_round=None, progress=False,
                       duplicates="error"):
    """Column generation over patterns (theory: "Pattern and column generation", "Certificates"): solve the program on a
    working set of patterns, price ALL patterns with the exact oracle at the solver's dual, add the most violated (score
    > beta), repeat until none is violated. Restricted solutions are feasible for the full program and the final
    certificate prices every pattern of ``full``, so the scope is that of ``full``. Returns (program, result, log)."""
    Xb = with_bias_column(X, bias)
    act = architecture.act
    n = X.shape[0]
    add_per_round = add_per_round or 2 * n
    if initial is None:
        lam0 = y - y.mean() if output_bias else y
        scores = pattern_values(lam0, Xb, full.patterns, act)
        initial = np.argsort(-scores)[: 3 * n]
        # plus a spread of regions from sampled gates (biased through the data when there is a bias column):
        # the oracle scores at lambda = y alone pick near-duplicate patterns
        sampled = sample_patterns(Xb, 4 * n, seed=0, bias_column=bias == "penalized").patterns
        initial = np.concatenate([initial, _locate(full.patterns, sampled)])

    def solve_restricted(working):
        prog = ArrangementProgram(X, y, architecture, beta, subset_arrangement(full, working), bias,
                                  oracle_arrangement=full, duplicates=duplicates, output_bias=output_bias)
        return prog, prog.solve(solver, accuracy, time_limit=time_limit, prune=False)

    def price(prog, res, working):
        lam = res.dual - (res.dual.mean() if output_bias else 0.0)
        scores = pattern_values(lam, Xb, full.patterns, act, threshold=0.5 * beta)
        # keep the working set small: patterns with a nonzero block, or close to their dual constraint
        block = np.maximum(np.linalg.norm(prog.V.value, axis=1), np.linalg.norm(prog.W.value, axis=1))
        active = block > 1e-9 * max(float(block.max()), 1e-300)
        return scores, working[active | (scores[working] >= 0.9 * beta)]

    prog, res, log = generate_columns(initial, solve_restricted, price, beta, add_per_round, max_rounds, progress,
                                      "pattern generation")
    res.network = prog.reconstruct(prog.V.value, prog.W.value, res.xi, prune=True)
    prog.generation_log = log
    return prog, res, log


def _locate(patterns: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Row indices in ``patterns`` of the rows of ``wanted`` that occur there."""
    index = {row.tobytes(): i for i, row in enumerate(np.ascontiguousarray(patterns))}
    return np.array([index[r.tobytes()] for r in np.ascontiguousarray(wanted) if r.tobytes() in index], dtype=int)


#: n * (number of patterns) above which the arrangement program is solved by pattern generation by default
PATTERN_GENERATION_THRESHOLD = 50_000


class PatternGenerationProgram:
    """The full arrangement program solved by pattern generation (same interface for certificates and reports);
    after :meth:`solve`, ``final`` is the last restricted program and ``log`` the rounds."""

    mode = "training"
    program_kind = "cone-constrained group lasso by pattern generation"

    def __init__(self, X, y, architecture, beta, full, bias, duplicates="error", output_bias=False):
        self.X, self.y, self.architecture, self.bias, self.duplicates = X, y, architecture, bias, duplicates
        self.full = full
        self.output_bias = bool(output_bias)
        self.act = architecture.act
        self.Xb = with_bias_column(X, bias)
        self.beta = _BetaValue(float(beta))
        self.scope = "global" if full.exact else "sampled"
        self.oracle = ("NNLS over every pattern of the exact arrangement, both signs" if full.exact else
                       f"NNLS over {len(full)} SAMPLED patterns only (not a global certificate)")
        self.final = None
        self.log = []

    n = property(lambda self: int(self.X.shape[0]))
    size = property(lambda self: len(self.full))
    has_output_bias = property(lambda self: self.output_bias)
    penalty_beta = property(lambda self: self.beta.value)

    def set_beta(self, beta) -> None:
        self.beta.value = check_beta(beta)

    def summary(self) -> dict:
        return {
            **self.architecture.describe(), "mode": self.mode, "bias_convention": self.bias, "n": self.n,
            "d": int(self.X.shape[1]), "beta": self.beta.value, "dictionary_size": self.size,
            "n_patterns": self.size, "patterns_mode": "exact" if self.full.exact else self.full.method,
            "patterns_include_zero": bool(self.full.includes_zero), "program": self.program_kind,
            "scope": self.scope, "oracle": self.oracle,
            "working_set_size": None if self.final is None else self.final.size,
            "column_generation": {"rounds": self.log},
        }

    def dual_sup(self, lam):
        return arrangement_dual_sup(lam, self.Xb, self.full.patterns, self.act)

    def solve(self, solver="auto", accuracy="high", time_limit=None, warm_start=False, prune=True, progress=False,
              initial=None, max_rounds: int = 50, **options) -> SolveResult:
        """``initial``: indices into the full pattern list to start from (default: oracle scores plus samples).
        ``max_rounds``: the most pattern-generation rounds (a run stopped early is not certified by the full
        oracle)."""
        self.final, res, self.log = pattern_generation(
            self.X, self.y, self.architecture, self.beta.value, self.bias, self.full, output_bias=self.output_bias,
            solver=solver, accuracy=accuracy, time_limit=time_limit, progress=progress, duplicates=self.duplicates,
            initial=initial, max_rounds=max_rounds)
        return res


# ------------------------------------------------------------------------------------------------ gated ReLU
class GatedNetwork:
    """Gated ReLU net (Mishkin et al.; a DIFFERENT model from the ReLU net): fixed gates g_j,
    ``f(x) = sum_j 1[g_j^T xb >= 0] alpha_j (u_j^T xb)`` with penalty (beta/2) sum_j (||u_j||^2 + alpha_j^2),
    xb = [x, 1] with bias convention 'penalized'."""

    def __init__(self, gates, U, alpha, bias, beta, meta=None):
        self.gates, self.U, self.alpha = np.asarray(gates, float), np.asarray(U, float), np.asarray(alpha, float)
        self.bias, self.beta, self.meta = bias, float(beta), dict(meta or {})

    @property
    def width(self) -> int:
        return int(self.U.shape[0])

    def predict(self, X) -> np.ndarray:
        Xb = with_bias_column(np.asarray(X, dtype=np.float64).reshape(len(X), -1), self.bias)
        return ((Xb @ self.gates.T >= 0) * (Xb @ self.U.T)) @ self.alpha

    def penalty_value(self) -> float:
        return self.beta / 2 * float(np.sum(self.U**2) + np.sum(self.alpha**2))

    def objective(self, X, y) -> float:
        r = self.predict(X) - np.asarray(y, dtype=np.float64)
        return 0.5 * float(r @ r) + self.penalty_value()

    def to_dict(self) -> dict:
        return {"format": "cvxnn.gated-relu/1", "gates": self.gates.tolist(), "weights": self.U.tolist(),
                "outer": self.alpha.tolist(), "bias_convention": self.bias,
                "forward": "f(x) = sum_j 1[gates_j . xb >= 0] * outer_j * (weights_j . xb), xb = [x, 1] if "
                           "bias_convention is 'penalized' else x",
                "penalty": {"beta": self.beta, "description": "(beta/2) * (sum of squared weights + outer^2)"},
                "meta": self.meta}


class GatedProgram:
    """``min (1/2)||sum_i D_i Xb u_i - y||^2 + beta sum_i ||u_i||`` over the patterns' fixed gates: an
    unconstrained group lasso (theory: "Gated ReLU nets"). Its optimum is <= the ReLU optimum on the same patterns."""

    mode = "training"
    program_kind = "gated-relu group lasso"

    def __init__(self, X, y, architecture, beta, arrangement, bias, duplicates="error"):
        self.X, self.y, self.architecture, self.bias, self.duplicates = X, y, architecture, bias, duplicates
        self.Xb = with_bias_column(X, bias)
        self.arrangement = arrangement
        self.scope = "global" if arrangement.exact else "sampled"
        self.oracle = ("max_i ||Xb^T D_i lambda|| over every pattern of the exact arrangement (gated ReLU)"
                       if arrangement.exact else f"max over {len(arrangement)} SAMPLED gates only")
        self.beta = cp.Parameter(nonneg=True, value=float(beta), name="beta")
        D = arrangement.patterns.T.astype(np.float64)
        self.D = D
        P, dp = D.shape[1], self.Xb.shape[1]
        self.U = cp.Variable((P, dp), name="u")
        self.r = cp.Variable(self.n, name="residual")
        fit = cp.sum(cp.multiply(D, self.Xb @ self.U.T), axis=1)
        self.data_constraint = self.y - fit - self.r == 0
        self.problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(self.r)
                                              + self.beta * cp.sum(cp.norm(self.U, 2, axis=1))),
                                  [self.data_constraint])

    n = property(lambda self: int(self.X.shape[0]))
    size = property(lambda self: int(self.D.shape[1]))
    has_output_bias = False
    penalty_beta = property(lambda self: float(self.beta.value))

    def summary(self) -> dict:
        return {**self.architecture.describe(), "mode": self.mode, "bias_convention": self.bias, "n": self.n,
                "d": int(self.X.shape[1]), "beta": self.penalty_beta, "dictionary_size": self.size,
                "n_patterns": self.size, "patterns_mode": "exact" if self.arrangement.exact else "sample",
                "program": self.program_kind, "scope": self.scope, "oracle": self.oracle}

    def dual_sup(self, lam):
        norms = np.linalg.norm((self.D * np.asarray(lam)[:, None]).T @ self.Xb, axis=1)
        i = int(np.argmax(norms))
        return float(norms[i]), {"pattern": i}

    def solve(self, solver="auto", accuracy="high", time_limit=None, warm_start=False, prune=True, progress=False,
              **options):
        adapter = get_solver(resolve_solver(solver, self.mode))
        run = adapter.solve(self.problem, accuracy, time_limit=time_limit, warm_start=warm_start, **options)
        if not run.has_solution or self.U.value is None:
            raise SolverFailedError(f"solver {adapter.name!r} returned no solution (status {run.status!r}) for the "
                                    f"gated-relu group lasso over {self.size} patterns. Try solver='clarabel'.")
        U = np.asarray(self.U.value, dtype=np.float64)
        res_vec = self.y - np.sum(self.D * (self.Xb @ U.T), axis=1)
        norms = np.linalg.norm(U, axis=1)
        convex = 0.5 * float(res_vec @ res_vec) + self.penalty_beta * float(norms.sum())
        keep = norms > BLOCK_RTOL * max(float(norms.max()), 1e-300)
        gates = np.array([interior_point(self.Xb, self.arrangement.patterns[i]) for i in np.flatnonzero(keep)])
        scale = np.sqrt(norms[keep])
        net = GatedNetwork(gates.reshape(-1, self.Xb.shape[1]), U[keep] / scale[:, None], scale, self.bias,
                           self.penalty_beta, {"model": "gated-relu", "bias_convention": self.bias,
                                               "widths": {"raw": int(keep.sum())}})
        dual = np.asarray(self.data_constraint.dual_value, dtype=np.float64).reshape(-1).copy()
        return SolveResult(run, np.array([]), 0.0, dual, convex, float(norms.sum()), net, self.penalty_beta)


def arrangement_penalty(beta: float, bias: str) -> Penalty:
    """(beta/2) (sum of squared inner weights [and biases, for 'penalized'] + sum of squared outer weights)."""
    return Penalty(float(beta), [PenaltyTerm(0, 0.5, 2.0, "entry", bias == "penalized"), PenaltyTerm(1, 0.5, 2.0)],
                   "(beta/2) * (sum of squared inner weights" + (" and biases" if bias == "penalized" else "")
                   + " + sum of squared outer weights)")


# ------------------------------------------------------------------------------------------------ the lesson
def arrangement_lesson(trained) -> str:
    """The lesson for the arrangement program (two-layer nets in d dimensions)."""
    prog, res, cert = trained.program, trained.result, trained.certificate
    s = prog.summary()
    act = s["activation"]
    beta = float(prog.beta.value)
    lam = res.dual
    net = res.network
    Xb = prog.Xb
    if not hasattr(net, "layers"):  # gated ReLU: fixed gates, unconstrained blocks
        return "\n".join([
            f"Duality lesson: gated ReLU net (fixed gates, a different model from the ReLU net) on n = {s['n']} "
            f"points in d = {s['d']} dimensions, beta = {beta:g}.", "",
            f"1. Convex program: min (1/2)||sum_i D_i X u_i - y||^2 + beta sum_i ||u_i|| over {s['n_patterns']} gates.",
            f"   Primal value P = {res.convex_objective:.10g}.",
            "2. Dual: max lambda^T y - (1/2)||lambda||^2  s.t.  ||X^T D_i lambda|| <= beta for every gate i.",
            f"   Largest ||X^T D_i lambda|| / beta = {cert.dual_violation:.10f}; dual value D = "
            f"{cert.dual_objective:.10g}; certified gap {cert.certified_gap:.2e}.",
            f"3. Rebuilt: one gated unit per nonzero block u_i ({net.width} units), gate = an interior point of the "
            "pattern's region, u = u_i / sqrt||u_i||, alpha = sqrt||u_i||.",
            f"4. Verdict: {verdict(cert)}"])
    U = np.hstack([net.layers[0].weight, net.layers[0].bias[:, None]]) if prog.bias == "penalized" else \
        net.layers[0].weight
    alpha = net.layers[1].weight[0]
    out = [f"Duality lesson: two-layer {act} net on n = {s['n']} points in d = {s['d']} dimensions, beta = {beta:g}, "
           f"bias convention {prog.bias!r}.", ""]
    add = out.append
    add("1. Training: minimise (1/2)||f(X) - y||^2 + (beta/2) sum_j (||u_j||^2 + alpha_j^2),")
    add(f"   f(x) = sum_j alpha_j {act}(u_j^T x" + (" + b_j)" if prog.bias == "penalized" else ")")
        + (" (the bias b_j is part of u_j and penalised)." if prog.bias == "penalized" else "."))
    add(f"2. Convex program: a group lasso over the {s['n_patterns']} activation patterns D_i of the data's hyperplane")
    add("   arrangement, one block v_i (and w_i for negative outer weights) per pattern, each in its cone")
    add(f"   K_i = {{u : (2D_i - I) X u >= 0}}. Primal value P = {res.convex_objective:.10g}.")
    add("3. Dual: max lambda^T y - (1/2)||lambda||^2  s.t.  |lambda^T sigma(X u)| <= beta for every unit ||u|| = 1.")
    add("   Per pattern the constraint is max_{u in K_i, ||u|| <= 1} c_i^T u = min_{mu >= 0} ||c_i + A_i^T mu||,")
    add("   c_i = X^T D_i lambda, A_i = (2D_i - I) X: one non-negative least squares per pattern and sign.")
    add(f"   Largest constraint value / beta = {cert.dual_violation:.10f} (oracle: {cert.oracle}).")
    add(f"   Dual value D = {cert.dual_objective:.10g}; the network's objective {cert.objective:.10g}; "
        f"certified gap {cert.certified_gap:.2e}.")
    add("4. Active units (complementary slackness: each sits where lambda^T sigma(X u) = +-beta, with the sign of")
    add("   its outer weight):")
    for j in range(min(len(alpha), MAX_ROWS)):
        u = U[j] / np.linalg.norm(U[j])
        score = float(lam @ trained.program.act(Xb @ u)) / beta
        add(f"     unit {j}: direction {np.array2string(u, precision=4)}, alpha = {alpha[j]:+.6g}, "
            f"lambda^T sigma(Xu)/beta = {score:+.8f}")
    if len(alpha) > MAX_ROWS:
        add(f"     ... and {len(alpha) - MAX_ROWS} more")
    w = net.meta.get("widths", {})
    add(f"5. Rebuilt: u = v_i / sqrt||v_i||, alpha = +-sqrt||v_i||; widths raw {w.get('raw')}, merged (same direction")
    add(f"   and sign) {w.get('merged')}, after Caratheodory pruning {w.get('pruned')} (at most n + 1, same objective).")
    add(f"6. Verdict: {verdict(cert)}")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ the model
def arrangement_program(X, y, architecture, beta, bias, duplicates, progress=False):
    """Enumerate (or sample) the activation patterns, then the cone-constrained group Lasso (by pattern generation
    above :data:`PATTERN_GENERATION_THRESHOLD`), or the gated ReLU group Lasso."""
    Xb = with_bias_column(X, bias)
    if architecture.patterns == "sample":
        arr = sample_patterns(Xb, architecture.n_samples, seed=architecture.seed, bias_column=bias == "penalized")
    else:
        arr = enumerate_patterns(Xb, max_patterns=architecture.max_patterns, progress=progress)
    if architecture.model == "gated-relu":
        return GatedProgram(X, y, architecture, beta, arr, bias, duplicates)
    use = architecture.column_generation
    if use or (use is None and X.shape[0] * len(arr) > PATTERN_GENERATION_THRESHOLD):
        return PatternGenerationProgram(X, y, architecture, beta, arr, bias, duplicates)
    return ArrangementProgram(X, y, architecture, beta, arr, bias, duplicates=duplicates)


def own_patterns(net, Xb: np.ndarray, bias: str, activation: str) -> np.ndarray:
    """The activation patterns of a net's own hidden units (abs: both signs), as (m, n) bool."""
    hidden = net.layers[0]
    U = np.hstack([hidden.weight, hidden.bias[:, None]]) if bias == "penalized" else hidden.weight
    own = unit_patterns(U, Xb) if U.shape[0] else np.zeros((0, Xb.shape[0]), bool)
    return np.vstack([own, ~own]) if activation == "abs" else own


class ArrangementModel(Model):
    """Two-layer relu / leaky / abs nets in any d (bias 'penalized' or 'none'), and gated ReLU nets."""

    name = "arrangement"

    def size_estimate(self, X, architecture) -> dict:
        return {"kind": "activation patterns (upper bound)",
                "count": pattern_count(with_bias_column(X, architecture.resolve_bias(X.shape[1])))}

    def refuse_mode(self, architecture, d, mode):
        if architecture.model == "gated-relu":
            return UnsupportedCombinationError("gated-relu nets are trained with beta > 0 (mode='training').")
        return UnsupportedCombinationError(
            "interpolation mode is available for 1-D dictionary models; received a two-layer net on "
            f"{d}-dimensional data (or with a penalised bias). Use mode='training' with beta > 0."
        )

    def build(self, X, y, architecture, beta, *, bias, mode, duplicates, progress):
        if architecture.model != "gated-relu":
            check_duplicates(X, duplicates)
        if mode not in self.modes:
            raise self.refuse_mode(architecture, X.shape[1], mode)
        return arrangement_program(X, y, architecture, beta, bias, duplicates, progress)

    def penalty(self, architecture, bias, beta):
        return arrangement_penalty(beta, bias)

    def check_network(self, net, architecture) -> None:
        check_two_layer(net)

    def certification_program(self, X, y, architecture, beta, bias, net, output_bias, *, patterns="exact",
                              n_samples=2000, max_patterns=100_000, mode="training"):
        """Pattern generation over every pattern of the exact arrangement (or the sampled ones), plus the net's own
        patterns: valid units, so adding them never overstates the oracle, and the net is a feasible point."""
        if mode not in self.modes:
            raise self.refuse_mode(architecture, X.shape[1], mode)
        Xb = with_bias_column(X, bias)
        if patterns == "sample":
            full = sample_patterns(Xb, n_samples, bias_column=bias == "penalized")
        else:
            full = enumerate_patterns(Xb, max_patterns=max_patterns)
        own = own_patterns(net, Xb, bias, architecture.activation)
        known = {full.patterns[i].tobytes() for i in _locate(full.patterns, own)}
        missing = np.array([row for row in own if row.tobytes() not in known], dtype=bool).reshape(-1, X.shape[0])
        if missing.size:
            missing = np.unique(missing, axis=0)
            full = Arrangement(np.vstack([full.patterns, missing]), full.method, full.exact,
                               bool(full.includes_zero or (~missing).all(axis=1).any()), full.count_formula,
                               full.seconds)
        return PatternGenerationProgram(X, y, architecture, beta, full, bias, output_bias=output_bias)

    def to_global(self, program) -> str:
        if program.scope == "global":
            return ""
        return (f"enumerate the exact arrangement: patterns='exact' (CLI: --patterns exact); it has at most "
                f"{pattern_count(program.Xb):,} patterns (the budget is max_patterns / --max-patterns)")

    def polish(self, program, net, solver, accuracy):
        """Pattern generation started from the net's own patterns."""
        initial = _locate(program.full.patterns, own_patterns(net, program.Xb, program.bias, program.act.name))
        res = program.solve(solver, accuracy, initial=initial if initial.size else None)
        return res.network, certify(program.final, res)

    def explain(self, trained) -> str:
        return arrangement_lesson(trained)


MODEL = ArrangementModel()
