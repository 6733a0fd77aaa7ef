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

import time

import cvxpy as cp
import numpy as np

from ..activations import Activation
from ..arrangements import (Arrangement, Walls, _pattern_hashes, _zobrist_keys, cone_sup, enumerate_patterns,
                            interior_point, pattern_count, pattern_walls, sample_patterns)
from ..certify import certify
from ..colgen import _BetaValue, generate_columns
from ..errors import SolverFailedError, UnsupportedCombinationError
from ..explain import MAX_ROWS, verdict
from ..network import Layer, Network, Penalty, PenaltyTerm
from ..program import SolveResult, resolve_solver
from ..prune import active_set, caratheodory_prune
from ..solvers import get_solver
from ..solvers.base import ACCURACIES, SolverRun, check_accuracy
from ..validation import check_beta, check_duplicates
from .base import Model, check_two_layer

BLOCK_RTOL = 1e-9  # blocks with norm <= BLOCK_RTOL * max norm are zero
#: a solved block may break a unit row of its full cone by this much (times the largest block norm) before its
#: pattern gets every row
ROW_VIOLATION_TOL = 1e-6
#: re-solves with the offending patterns' rows added, before every pattern gets every row (one more solve)
ROW_REPAIR_ROUNDS = 3
MERGE_COS = 1 - 1e-10  # units whose directions have cosine above this (same sign) are merged


def with_bias_column(X: np.ndarray, bias: str) -> np.ndarray:
    return np.hstack([X, np.ones((X.shape[0], 1))]) if bias == "penalized" else X


def _affine(activation: Activation) -> tuple[float, float]:
    """M_i = a D_i + b I: (a, b) for relu (1, 0), leaky (1 - slope, slope) and abs (2, -1)."""
    if activation.name == "relu":
        return 1.0, 0.0
    if activation.name == "leaky":
        return 1.0 - activation.slope, activation.slope
    return 2.0, -1.0


def pattern_vectors(lam, Xb, patterns, activation: Activation, D=None) -> np.ndarray:
    """c_i = Xb^T M_i lam for every pattern, as (P, d') rows (D: the patterns as float64, when cached)."""
    L = np.asarray(lam, dtype=np.float64)[:, None] * Xb
    a, b = _affine(activation)
    D = patterns.astype(np.float64) if D is None else D
    C = D @ L
    if a != 1.0:
        C *= a
    if b:
        C += b * L.sum(axis=0)
    return C


def _walls(arrangement: Arrangement, Xb: np.ndarray, walls: bool) -> Walls:
    """The cone rows of an arrangement's patterns: its walls (cached on it), or every nonzero row."""
    if walls:
        return arrangement.walls(Xb)
    return pattern_walls(Xb, arrangement.patterns, complete=False)


def arrangement_dual_sup(lam, Xb, patterns, activation: Activation, walls: Walls | None = None, D=None):
    """Exact sup over units of |lam^T sigma(Xb u)|, ||u|| <= 1, over the given patterns: for each pattern and sign
    the projection of +-c_i onto the pattern's cone (:func:`cvxnn.arrangements.cone_sup`, on the cone's wall rows
    when ``walls`` holds them, else on every row), patterns visited by decreasing upper bound and skipped once
    none can win."""
    lam = np.asarray(lam, dtype=np.float64)
    if walls is None:
        walls = pattern_walls(Xb, patterns, complete=False)
    C = pattern_vectors(lam, Xb, patterns, activation, D)
    if C.shape[0] == 0:
        return 0.0, {}
    repaired = set()
    while True:
        values, dirs = cone_sup(C, Xb, walls, stop_below=True)
        i, side = np.unravel_index(int(np.argmax(values)), values.shape)
        best = float(values[i, side])
        u = dirs[i, side]
        # The maximiser must lie in its pattern's full cone. It can only leave it when the wall rows missed a wall
        # (pattern_walls): the cone on the walls then contains the true one and its value is an upper bound; that
        # pattern gets every row and the oracle runs again, so the maximum returned is always attained.
        if not (best > 0 and np.all(np.isfinite(u))) or int(i) in repaired or _in_cone(u, Xb, patterns[i]):
            break
        repaired.add(int(i))
        walls = walls.replace([i], pattern_walls(Xb, patterns[[i]], complete=False))
    return best, {"pattern": int(i), "sign": 1.0 if side == 0 else -1.0,
                  "direction": u.tolist() if best > 0 and np.all(np.isfinite(u)) else None}


def _in_cone(u, Xb, pattern) -> bool:
    """Whether the unit vector u satisfies every row of the pattern's cone, to ROW_VIOLATION_TOL (unit rows)."""
    rnorm = np.linalg.norm(Xb, axis=1)
    slack = np.where(pattern, 1.0, -1.0) * (Xb @ u) / np.where(rnorm > 0, rnorm, 1.0)
    return bool(slack.min(initial=0.0) >= -ROW_VIOLATION_TOL)


def pattern_values(lam, Xb, patterns, activation: Activation, threshold=0.0, walls: Walls | None = None,
                   D=None) -> np.ndarray:
    """Per pattern, the exact oracle value max over signs of max_{u in K_i, ||u|| <= 1} +-c_i^T u; entries at most
    ``threshold`` (a number or one per pattern) may hold an upper bound (still at most it) instead of the value."""
    if walls is None:
        walls = pattern_walls(Xb, patterns, complete=False)
    C = pattern_vectors(lam, Xb, patterns, activation, D)
    values, _ = cone_sup(C, Xb, walls, threshold=threshold)
    return values.max(axis=1) if values.size else np.zeros(0)


def oracle_description(arrangement: Arrangement) -> str:
    if arrangement.exact:
        return ("NNLS per pattern and sign (projection onto the pattern's cone, batched active set on its walls) over "
                "every pattern of the exact arrangement")
    return (f"NNLS per pattern and sign over {len(arrangement)} SAMPLED patterns only (not a global "
            "certificate)")


#: the direct Clarabel form groups the patterns into about this times sqrt(#patterns) clusters (measured: the KKT
#: factorisation of n = 200, d = 2, 3,017 patterns drops from about 0.6 s to 0.04 s per iteration)
CLUSTERS_PER_SQRT = 2.0


def _pattern_clusters(D: np.ndarray, k: int, rounds: int = 10):
    """k-means on 0/1 pattern rows under the Hamming distance (centres: majority votes), seeded: (labels, centres)."""
    rng = np.random.default_rng(0)
    centres = D[np.sort(rng.choice(D.shape[0], size=k, replace=False))]
    labels = None
    for _ in range(rounds):
        dist = D @ (1.0 - 2.0 * centres).T + centres.sum(axis=1)  # Hamming distance minus |D_i|
        new = np.argmin(dist, axis=1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros((k, D.shape[1]))
        np.add.at(sums, labels, D)
        keep = counts > 0
        centres = np.where(keep[:, None], (2.0 * sums >= counts[:, None]).astype(np.float64), centres)
    used = np.unique(labels)
    return np.searchsorted(used, labels), centres[used]


def _clarabel_status(raw: str) -> str:
    """Clarabel's status as cvxnn's status vocabulary (as CVXPY maps it)."""
    return {"Solved": "optimal", "AlmostSolved": "optimal_inaccurate", "PrimalInfeasible": "infeasible",
            "AlmostPrimalInfeasible": "infeasible", "DualInfeasible": "unbounded",
            "AlmostDualInfeasible": "unbounded", "MaxIterations": "user_limit",
            "MaxTime": "user_limit"}.get(raw, "solver_error")


class ArrangementProgram:
    """The exact (or, with sampled patterns, restricted) two-layer program in d >= 1 dimensions.

    Variables: one block v_i, w_i in R^{d'} per pattern (d' = columns of Xb), stacked as vectors z_v, z_w of length
    P d', and the residual r: ``min (1/2)||r||^2 + beta sum_i (||v_i|| + ||w_i||)`` subject to
    ``y - Phi (z_v - z_w) - r [- xi 1] = 0`` (Phi = [M_1 Xb, ..., M_P Xb], sparse) and ``G z_v >= 0``,
    ``G z_w >= 0`` (G block diagonal: the rows of each pattern's cone). ``walls=True`` (default) keeps only the
    cone's wall rows (:func:`cvxnn.arrangements.pattern_walls`: the same cone, about 4 rows per pattern in d = 2
    instead of n); ``walls=False`` keeps every row (the textbook form, for comparison). Clarabel receives the
    matrices directly (no CVXPY compilation); every other solver gets the same program through CVXPY (built on
    first use, beta a Parameter)."""

    mode = "training"
    program_kind = "cone-constrained group lasso"

    def __init__(self, X, y, architecture, beta, arrangement, bias, oracle_arrangement=None, duplicates="error",
                 output_bias: bool = False, walls: bool = True, cone_rows: Walls | None = None, clusters=None):
        self.X, self.y = X, y
        self.output_bias = bool(output_bias)
        self.architecture = architecture
        self.bias = bias
        self.duplicates = duplicates
        self.act = architecture.act
        self.Xb = with_bias_column(X, bias)
        self.arrangement = arrangement
        self.oracle_arrangement = oracle_arrangement or arrangement
        self.walls = bool(walls)
        self.clusters = clusters  # None: about 2 sqrt(P) clusters in the direct Clarabel form; 0: none
        self.scope = "global" if self.oracle_arrangement.exact else "sampled"
        self.oracle = oracle_description(self.oracle_arrangement)
        self._beta = check_beta(beta)
        self._cp = None  # the CVXPY form, built on first use
        self.V_value = self.W_value = None
        self.patterns = arrangement.patterns
        self.cone_rows = cone_rows if cone_rows is not None else _walls(arrangement, self.Xb, self.walls)
        self._matrices()

    def _matrices(self) -> None:
        """Phi (n, P d') and G (m, P d') as sparse matrices."""
        import scipy.sparse as sp

        P, dp, n = self.patterns.shape[0], self.Xb.shape[1], self.n
        a, b = _affine(self.act)
        M = a * self.patterns.T + b  # (n, P) multipliers
        ki, pi = np.nonzero(M)
        vals = (M[ki, pi][:, None] * self.Xb[ki]).ravel()
        cols = (pi[:, None] * dp + np.arange(dp)).ravel()
        self.Phi = sp.csc_matrix((vals, (np.repeat(ki, dp), cols)), shape=(n, P * dp))
        W = self.cone_rows
        owner = W.pattern_of_entry()
        norms = np.linalg.norm(self.Xb[W.rows], axis=1)
        A = W.signs[:, None] * self.Xb[W.rows] / np.where(norms > 0, norms, 1.0)[:, None]  # unit rows
        m = owner.size
        cols = (owner[:, None] * dp + np.arange(dp)).ravel()
        self.G = sp.csc_matrix((A.ravel(), (np.repeat(np.arange(m), dp), cols)), shape=(m, P * dp))

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
        return self._beta

    @property
    def beta(self):
        """beta as an object with ``.value`` (a CVXPY Parameter once the CVXPY form exists)."""
        return self._cp["beta"] if self._cp is not None else _BetaValue(self._beta)

    def set_beta(self, beta) -> None:
        self._beta = check_beta(beta)
        if self._cp is not None:
            self._cp["beta"].value = self._beta

    @property
    def n_cone_rows(self) -> int:
        return int(self.G.shape[0])

    def summary(self) -> dict:
        return {
            **self.architecture.describe(), "mode": self.mode, "bias_convention": self.bias, "n": self.n,
            "d": int(self.X.shape[1]), "beta": self.penalty_beta, "dictionary_size": self.size,
            "n_patterns": self.size, "patterns_mode": self.arrangement.method if not self.arrangement.exact
            else "exact", "patterns_include_zero": bool(self.arrangement.includes_zero),
            "program": self.program_kind, "scope": self.scope, "oracle": self.oracle,
        }

    def dual_sup(self, lam):
        arr = self.oracle_arrangement
        return arrangement_dual_sup(lam, self.Xb, arr.patterns, self.act, walls=_walls(arr, self.Xb, True))

    def features(self, U: np.ndarray) -> np.ndarray:
        """sigma(Xb u) for the rows u of U: (n, m)."""
        return self.act(self.Xb @ U.T)

    def convex_objective_blocks(self, V, W, xi=0.0) -> float:
        fit = self.Phi @ (V - W).ravel() + xi
        res = self.y - fit
        return 0.5 * float(res @ res) + self.penalty_beta * float(
            np.sum(np.linalg.norm(V, axis=1)) + np.sum(np.linalg.norm(W, axis=1)))

    # ------------------------------------------------------------------------------ the CVXPY form
    @property
    def problem(self):
        """The program as a CVXPY problem (for every solver but Clarabel, which gets the matrices directly)."""
        if self._cp is None:
            import cvxpy as cp

            P, dp = self.size, self.Xb.shape[1]
            beta = cp.Parameter(nonneg=True, value=self._beta, name="beta")
            zv, zw = cp.Variable(P * dp, name="v"), cp.Variable(P * dp, name="w")
            r = cp.Variable(self.n, name="residual")
            xi = cp.Variable(name="xi") if self.output_bias else None
            fit = self.Phi @ zv - self.Phi @ zw + (xi if xi is not None else 0.0)
            data = self.y - fit - r == 0
            cons = [data]
            if self.G.shape[0]:
                cons += [self.G @ zv >= 0, self.G @ zw >= 0]
            pen = (cp.sum(cp.norm(cp.reshape(zv, (P, dp), order="C"), 2, axis=1))
                   + cp.sum(cp.norm(cp.reshape(zw, (P, dp), order="C"), 2, axis=1)))
            problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(r) + beta * pen), cons)
            self._cp = {"problem": problem, "beta": beta, "zv": zv, "zw": zw, "xi": xi, "data": data}
        return self._cp["problem"]

    # ------------------------------------------------------------------------------ solve and invert
    def solve(self, solver="auto", accuracy="high", time_limit=None, warm_start=False, prune=True,
              progress=False, reconstruct=True, **options) -> SolveResult:
        name = resolve_solver(solver, self.mode)
        adapter = get_solver(name)
        run, sol = self._solve_once(adapter, accuracy, time_limit, warm_start, **options)
        for k in range(ROW_REPAIR_ROUNDS + 1):
            bad = [] if sol is None else self._cone_violations(sol[0], sol[1])
            if not len(bad):
                break
            # a cone that lost a wall (see pattern_walls): those patterns get every row (after ROW_REPAIR_ROUNDS
            # rounds, every pattern does), and the program is solved again: the same program, since the rows added
            # hold on the true cones
            if k == ROW_REPAIR_ROUNDS:
                bad = np.arange(self.size)
            self.cone_rows = self.cone_rows.replace(bad, pattern_walls(self.Xb, self.patterns[bad], complete=False))
            self._matrices()
            self._cp = None
            run, sol = self._solve_once(adapter, accuracy, time_limit, False, **options)
        if sol is None:
            raise SolverFailedError(
                f"solver {adapter.name!r} returned no solution (status {run.status!r}, solver said "
                f"{run.raw_status!r}{'; ' + run.error if run.error else ''}) for a group lasso over {self.size} "
                f"patterns with n = {self.n}. Try solver='clarabel', accuracy='mid', or fewer patterns."
            )
        zv, zw, xi, dual = sol
        dp = self.Xb.shape[1]
        self.V_value, self.W_value = zv.reshape(-1, dp), zw.reshape(-1, dp)
        return self._result(run, self.V_value, self.W_value, xi, dual, prune, reconstruct)

    def _solve_once(self, adapter, accuracy, time_limit, warm_start, **options):
        """One solve: (run, (z_v, z_w, xi, dual) or None)."""
        if adapter.name == "clarabel":
            return self._solve_clarabel(adapter, accuracy, time_limit, **options)
        run = adapter.solve(self.problem, accuracy, time_limit=time_limit, warm_start=warm_start, **options)
        c = self._cp
        if not run.has_solution or c["zv"].value is None:
            return run, None
        dual = c["data"].dual_value
        return run, (np.asarray(c["zv"].value, dtype=np.float64), np.asarray(c["zw"].value, dtype=np.float64),
                     float(c["xi"].value) if c["xi"] is not None else 0.0,
                     None if dual is None else np.asarray(dual, dtype=np.float64).reshape(-1).copy())

    def _cone_violations(self, zv, zw) -> np.ndarray:
        """Patterns whose block (v_i or w_i) breaks a row x_k of the pattern's full cone by more than
        ROW_VIOLATION_TOL |x_k| times the largest block norm (a solver's rounding and interior-point dust stay far
        below): possible only when the cone's wall rows missed a wall."""
        dp = self.Xb.shape[1]
        U = np.vstack([zv.reshape(-1, dp), zw.reshape(-1, dp)])
        norms = np.linalg.norm(U, axis=1)
        top = float(norms.max()) if norms.size else 0.0
        live = np.flatnonzero(norms > BLOCK_RTOL * top) if top > 0 else np.zeros(0, dtype=np.int64)
        if not live.size:
            return live
        P = self.size
        pat = live % P
        rnorm = np.linalg.norm(self.Xb, axis=1)
        S = np.where(self.patterns[pat], 1.0, -1.0)  # (m, n)
        slack = S * (U[live] @ self.Xb.T) / np.where(rnorm > 0, rnorm, 1.0)[None, :]
        return np.unique(pat[(slack < -ROW_VIOLATION_TOL * top).any(axis=1)])

    def _clustered_fit(self):
        """The fit with cluster sums: patterns grouped around k centre patterns D_c (majority votes), so that
        ``sum_i M_i Xb u_i = sum_c M_c Xb s_c + sum_i a (D_i - D_c(i)) Xb u_i`` with ``s_c = sum_{i in c} u_i``
        (M = a D + b). Each block then touches only the rows where its pattern differs from its centre instead of
        about half of all rows, and the n dense rows meet k d' cluster sums instead of every block: the same program,
        with a much cheaper KKT factorisation. Returns (F_u (n, P d'), F_s (n, k d'), L (k d', P d')) with the
        constraint ``s - L u = 0``, or None for k = 0 (tiny programs)."""
        import scipy.sparse as sp

        P, dp, n = self.size, self.Xb.shape[1], self.n
        k = min(P, int(round(CLUSTERS_PER_SQRT * np.sqrt(P)))) if self.clusters is None else min(P, self.clusters)
        if k <= 0 or P < 8:
            return None
        D = self.patterns.astype(np.float64)
        labels, centres = _pattern_clusters(D, k)
        a, b = _affine(self.act)
        E = D - centres[labels]
        pi, ki = np.nonzero(E)
        Fu = sp.csc_matrix((((a * E[pi, ki])[:, None] * self.Xb[ki]).ravel(),
                            (np.repeat(ki, dp), (pi[:, None] * dp + np.arange(dp)).ravel())), shape=(n, P * dp))
        Mc = a * centres + b  # (k, n)
        ci, kj = np.nonzero(Mc)
        Fs = sp.csc_matrix(((Mc[ci, kj][:, None] * self.Xb[kj]).ravel(),
                            (np.repeat(kj, dp), (ci[:, None] * dp + np.arange(dp)).ravel())),
                           shape=(n, centres.shape[0] * dp))
        L = sp.csc_matrix((np.ones(P * dp), ((labels[:, None] * dp + np.arange(dp)).ravel(), np.arange(P * dp))),
                          shape=(centres.shape[0] * dp, P * dp))
        return Fu, Fs, L

    def _solve_clarabel(self, adapter, accuracy, time_limit, **overrides):
        """Clarabel on the program's matrices: x = [z_v, z_w, t, r, (xi), (s)], SOC (t_j, block j), G z >= 0, and
        the fit with cluster sums (:meth:`_clustered_fit`)."""
        import clarabel
        import scipy.sparse as sp

        t0 = time.perf_counter()
        accuracy = check_accuracy(accuracy)
        opts = adapter.options(accuracy, time_limit)
        opts.update(overrides)
        P, dp, n = self.size, self.Xb.shape[1], self.n
        N, B, m = P * dp, 2 * P, self.G.shape[0]
        o = 1 if self.output_bias else 0
        clustered = self._clustered_fit()
        K = clustered[1].shape[1] if clustered is not None else 0
        nx = 2 * N + B + n + o + K
        r0 = 2 * N + B
        Pq = sp.csc_matrix((np.ones(n), (np.arange(r0, r0 + n), np.arange(r0, r0 + n))), shape=(nx, nx))
        q = np.zeros(nx)
        q[2 * N: r0] = self._beta
        Z = sp.csc_matrix
        Fu = self.Phi if clustered is None else clustered[0]
        fit = [Fu, -Fu, Z((n, B)), sp.identity(n, format="csc")] + ([Z(np.ones((n, 1)))] if o else [])
        parts = [sp.hstack(fit + ([clustered[1]] if K else []), format="csc")]
        if K:  # s - L (z_v - z_w) = 0
            L = clustered[2]
            parts.append(sp.hstack([-L, L, Z((K, B + n + o)), sp.identity(K, format="csc")], format="csc"))
        if m:
            parts.append(sp.hstack([-self.G, Z((m, N + B + n + o + K))], format="csc"))
            parts.append(sp.hstack([Z((m, N)), -self.G, Z((m, B + n + o + K))], format="csc"))
        rows = np.arange(B * (dp + 1)).reshape(B, dp + 1)
        cols = np.empty((B, dp + 1), dtype=np.int64)
        cols[:, 0] = 2 * N + np.arange(B)
        cols[:, 1:] = np.arange(2 * N).reshape(B, dp)
        parts.append(sp.csc_matrix((-np.ones(rows.size), (rows.ravel(), cols.ravel())), shape=(rows.size, nx)))
        A = sp.vstack(parts, format="csc")
        b = np.concatenate([self.y, np.zeros(A.shape[0] - n)])
        cones = [clarabel.ZeroConeT(n + K)] + ([clarabel.NonnegativeConeT(2 * m)] if m else []) \
            + [clarabel.SecondOrderConeT(dp + 1)] * B
        settings = clarabel.DefaultSettings()
        settings.verbose = False
        for key, v in opts.items():
            setattr(settings, key, v)
        t1 = time.perf_counter()
        solver = clarabel.DefaultSolver(Pq, q, A, b, cones, settings)
        t2 = time.perf_counter()
        sol = solver.solve()
        t3 = time.perf_counter()
        raw = str(sol.status)
        status = _clarabel_status(raw)
        run = SolverRun(adapter.name, accuracy, status, raw, ACCURACIES[accuracy], dict(opts),
                        {"compile": t1 - t0, "setup": t2 - t1, "solve": float(sol.solve_time), "wall": t3 - t0},
                        int(sol.iterations))
        if not run.has_solution:
            return run, None
        x = np.asarray(sol.x)
        lam = -np.asarray(sol.z)[:n]
        xi = float(x[r0 + n]) if o else 0.0
        return run, (x[:N], x[N: 2 * N], xi, lam)

    def _result(self, run, V, W, xi, dual, prune, reconstruct=True) -> SolveResult:
        convex = self.convex_objective_blocks(V, W, xi)
        l1 = float(np.sum(np.linalg.norm(V, axis=1)) + np.sum(np.linalg.norm(W, axis=1)))
        net = self.reconstruct(V, W, xi, prune=prune) if reconstruct else None
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
            with _one_blas_thread():
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
    sigma(Xb ((c1 + c2) u)) for positively homogeneous sigma. Units are visited by decreasing c; each joins the first
    kept unit of its sign whose direction has cosine above MERGE_COS, else it is kept. Returns merged (dirs, c, s)."""
    dirs, c, s = np.asarray(dirs, dtype=np.float64), np.asarray(c, dtype=np.float64), np.asarray(s)
    order = np.argsort(-c, kind="stable")
    if order.size == 0:
        return np.zeros((0, dirs.shape[1])), np.zeros(0), np.zeros(0)
    keep = []  # positions (in order) of the kept units
    total = np.zeros(order.size)
    reps = np.zeros((order.size, dirs.shape[1]))
    rep_sign = np.zeros(order.size)
    for k in order:
        m = len(keep)
        if m:
            hit = np.flatnonzero((rep_sign[:m] == s[k]) & (reps[:m] @ dirs[k] > MERGE_COS))
            if hit.size:
                total[hit[0]] += c[k]
                continue
        keep.append(k)
        reps[m], rep_sign[m], total[m] = dirs[k], s[k], c[k]
    m = len(keep)
    return reps[:m].copy(), total[:m].copy(), rep_sign[:m].copy()


def _one_blas_thread():
    """A context with one BLAS / OpenMP thread when threadpoolctl is installed: the reconstruction's dense algebra
    is on matrices of about n x n, where extra threads only compete for busy cores (10-100x slower under load)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def unit_patterns(U: np.ndarray, Xb: np.ndarray) -> np.ndarray:
    """Activation patterns 1[Xb u >= 0] of the rows u of U (as (m, n) bool)."""
    return (Xb @ U.T >= 0).T


def subset_arrangement(full, idx):
    P = full.patterns[np.asarray(idx, dtype=int)]
    return Arrangement(P, "subset", False, bool((~P).all(axis=1).any()), full.count_formula, 0.0)


def pattern_generation(X, y, architecture, beta, bias, full, *, initial=None, output_bias=False, solver="auto",
                       accuracy="high", time_limit=None, max_rounds=50, add_per_round=None, progress=False,
                       duplicates="error", walls=True, clusters=None, prune=True, **options):
    """Column generation over patterns (theory: "Pattern and column generation", "Certificates"): solve the program on a
    working set of patterns, price ALL patterns with the exact oracle at the solver's dual, add the most violated (score
    > beta), repeat until none is violated. Restricted solutions are feasible for the full program and the final
    certificate prices every pattern of ``full``, so the scope is that of ``full``. The walls of every pattern are
    computed once (cached on ``full``) and the patterns once as floats; a round builds only the restricted matrices
    and rebuilds no network (the network is rebuilt once, from the last round, pruned when ``prune``). ``options`` go
    to the solver in every round. Returns (program, result, log)."""
    Xb = with_bias_column(X, bias)
    act = architecture.act
    n = X.shape[0]
    add_per_round = add_per_round or max(2 * n, len(full) // ADD_FRACTION)
    rows = _walls(full, Xb, walls)
    oracle_rows = _walls(full, Xb, True)
    D = full.patterns.astype(np.float64)
    if initial is None:
        lam0 = y - y.mean() if output_bias else y
        scores = pattern_values(lam0, Xb, full.patterns, act, walls=oracle_rows, D=D)
        initial = np.argsort(-scores)[: 3 * n]
        # plus a spread of regions from sampled gates (biased through the data when there is a bias column):
        # the oracle scores at lambda = y alone pick near-duplicate patterns
        sampled = sample_patterns(Xb, 4 * n, seed=0, bias_column=bias == "penalized").patterns
        initial = np.concatenate([initial, _locate(full.patterns, sampled)])

    def solve_restricted(working):
        prog = ArrangementProgram(X, y, architecture, beta, subset_arrangement(full, working), bias,
                                  oracle_arrangement=full, duplicates=duplicates, output_bias=output_bias,
                                  walls=walls, cone_rows=rows.take(working), clusters=clusters)
        return prog, prog.solve(solver, accuracy, time_limit=time_limit, prune=False, reconstruct=False, **options)

    def price(prog, res, working):
        lam = res.dual - (res.dual.mean() if output_bias else 0.0)
        # exact where it matters: above beta (patterns to add) and, in the working set, above KEEP_SCORE beta
        floor = np.full(len(full), beta)
        floor[working] = KEEP_SCORE * beta
        scores = pattern_values(lam, Xb, full.patterns, act, threshold=floor, walls=oracle_rows, D=D)
        # keep the working set small: patterns with a nonzero block, or close to their dual constraint
        block = np.maximum(np.linalg.norm(prog.V_value, axis=1), np.linalg.norm(prog.W_value, axis=1))
        active = block > 1e-9 * max(float(block.max()), 1e-300)
        return scores, working[active | (scores[working] >= KEEP_SCORE * beta)]

    prog, res, log = generate_columns(initial, solve_restricted, price, beta, add_per_round, max_rounds, progress,
                                      "pattern generation")
    res.network = prog.reconstruct(prog.V_value, prog.W_value, res.xi, prune=prune)
    prog.generation_log = log
    return prog, res, log


def _locate(patterns: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Row indices in ``patterns`` of the rows of ``wanted`` that occur there (by sorted row hashes, each match
    checked row against row)."""
    patterns, wanted = np.asarray(patterns, dtype=bool), np.asarray(wanted, dtype=bool).reshape(-1, patterns.shape[1])
    if patterns.shape[0] == 0 or wanted.shape[0] == 0:
        return np.zeros(0, dtype=int)
    keys = _zobrist_keys(patterns.shape[1])
    hp, hw = _pattern_hashes(patterns, keys), _pattern_hashes(wanted, keys)
    order = np.argsort(hp, kind="stable")
    pos = np.minimum(np.searchsorted(hp[order], hw), order.size - 1)
    idx = order[pos]
    ok = (hp[idx] == hw) & np.all(patterns[idx] == wanted, axis=1)
    return idx[ok].astype(int)


#: pattern generation keeps the patterns of nonzero blocks and those whose oracle score is at least this times beta
KEEP_SCORE = 0.9
#: and adds up to max(2n, #patterns / ADD_FRACTION) per round (measured: d = 3, n = 80, 164,480 patterns: 10 rounds
#: and 32 s instead of 21 rounds and 60 s with 2n)
ADD_FRACTION = 256

#: n * (number of patterns) above which the arrangement program is solved by pattern generation by default
#: (measured on the speed benchmark's data: pattern generation is as fast from n * P ~ 2,000 on, and 2-4x faster at
#: n * P ~ 15,000-50,000, e.g. d = 3, n = 20: 0.75 s against 2.6 s for the whole program)
PATTERN_GENERATION_THRESHOLD = 5_000


class PatternGenerationProgram:
    """The full arrangement program solved by pattern generation (same interface for certificates and reports);
    after :meth:`solve`, ``final`` is the last restricted program and ``log`` the rounds."""

    mode = "training"
    program_kind = "cone-constrained group lasso by pattern generation"

    def __init__(self, X, y, architecture, beta, full, bias, duplicates="error", output_bias=False, walls=True,
                 clusters=None):
        self.X, self.y, self.architecture, self.bias, self.duplicates = X, y, architecture, bias, duplicates
        self.full = full
        self.walls = bool(walls)  # False: every row of each cone (the textbook form, for comparison)
        self.clusters = clusters  # None: cluster sums in the direct Clarabel form; 0: none (for comparison)
        self.output_bias = bool(output_bias)
        self.act = architecture.act
        self.Xb = with_bias_column(X, bias)
        self.beta = _BetaValue(float(beta))
        self.scope = "global" if full.exact else "sampled"
        self.oracle = oracle_description(full)
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
        return arrangement_dual_sup(lam, self.Xb, self.full.patterns, self.act, walls=_walls(self.full, self.Xb, True))

    def solve(self, solver="auto", accuracy="high", time_limit=None, warm_start=False, prune=True, progress=False,
              initial=None, max_rounds: int = 50, **options) -> SolveResult:
        """``initial``: indices into the full pattern list to start from (default: oracle scores plus samples).
        ``max_rounds``: the most pattern-generation rounds (a run stopped early is not certified by the full
        oracle)."""
        self.final, res, self.log = pattern_generation(
            self.X, self.y, self.architecture, self.beta.value, self.bias, self.full, output_bias=self.output_bias,
            solver=solver, accuracy=accuracy, time_limit=time_limit, progress=progress, duplicates=self.duplicates,
            initial=initial, max_rounds=max_rounds, walls=self.walls, clusters=self.clusters, prune=prune, **options)
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

    def set_beta(self, beta) -> None:
        """A new beta for the next solve (the program is DPP: no recompilation)."""
        self.beta.value = check_beta(beta)

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
        if missing.size:  # patterns of units on a hyperplane (not regions): their cones keep every row
            full = full.extended(np.unique(missing, axis=0), Xb)
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
