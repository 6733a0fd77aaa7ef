"""Training (or minimum-norm interpolation) of three-layer absolute-value nets in d dimensions: the Lasso over the
direction pool, column generation over the pool, and angular generation with the exact l2 oracles (theory:
"Three-layer absolute-value nets in d dimensions", "Pattern and column generation")."""

from __future__ import annotations

import time

import numpy as np

from ...colgen import ColumnGenerationProgram, generate_columns
from ...errors import ProblemTooLargeError
from ...program import InterpolationProgram, LassoProgram, SolveResult, resolve_solver
from ...prune import prune_solution
from ...solvers import SolverRun
from ...validation import input_scale
from .arc import ORACLE_L2_ARCS, arc_oracle
from .pool import (
    ORACLE_L1,
    ORACLE_POOL,
    ROUND,
    ChainColumns,
    ChainPool,
    chain_directions,
    columns_from_oracle,
    direction_count,
    label_count,
    label_scores,
    pool_size,
)
from .refined import ORACLE_L2_SAMPLED, refined_oracle
from .sphere import ORACLE_L2_SPHERE, sphere_oracle

#: column generation over the pool prices these directions (the best at the last full pricing) first
HOT_DIRECTIONS_FRACTION, HOT_DIRECTIONS_MIN = 0.1, 64
#: pools with more columns than this are solved by column generation (measured: d = 2, n = 8, 14.5k columns:
#: 2.1 s as one program, n = 12, 153k columns: 0.4 s by column generation; results/deep-abs.md)
POOL_GENERATION_THRESHOLD = 5_000


class DeepAbsProgram(ColumnGenerationProgram):
    """Training (or minimum-norm interpolation) of three-layer abs nets in d dimensions.

    Solves the Lasso over the direction pool (whole when it has at most ``POOL_GENERATION_THRESHOLD`` columns, else
    by column generation over the pool), then, for l2-normalised inner weights, adds the continuous oracle's
    maximisers until no unit violates the dual ("angular generation"). The certificate uses ``dual_sup``: the
    exact pool oracle (l1), the exact arc oracle (l2, d = 2), the exact sphere oracle (l2, d = 3) or the refined
    sampled oracle (l2, d >= 4: scope 'restricted'). ``full_dictionary`` (alias ``pool``) is the pool,
    ``dictionary`` the final working columns."""

    def __init__(self, X, y, architecture, beta, bias, mode="training", duplicates="error", max_rounds=1000):
        n, d = X.shape
        norm = architecture.inner_norm if d > 1 else "l1"
        count = pool_size(n, d)
        if count > architecture.max_columns:
            raise ProblemTooLargeError(
                f"the three-layer absolute-value pool on n = {n} points in d = {d} dimensions has about "
                f"{count:,} columns ({direction_count(n, d):,} directions x {label_count(n):,} vertex labels), above "
                f"the budget max_columns = {architecture.max_columns:,}. Use fewer points, or raise max_columns "
                "(pricing costs about n x columns per round)."
            )
        dirs = chain_directions(X, norm, axes=architecture.directions == "all",
                                max_directions=architecture.max_directions)
        pool = ChainPool(X, dirs, ORACLE_L1 if norm == "l1" else ORACLE_POOL)
        if norm == "l1" or d == 1:
            exact = pool if architecture.directions == "all" else ChainPool(X, chain_directions(
                X, "l1", max_directions=architecture.max_directions))
            self._certifier = lambda lam: exact.dual_sup(lam)
            scope, oracle = "global", ORACLE_L1
        elif d == 2:
            self._certifier = self._arc_sup
            scope, oracle = "global", ORACLE_L2_ARCS
        elif d == 3:
            self._certifier = self._sphere_sup
            scope, oracle = "global", ORACLE_L2_SPHERE
        else:
            self._certifier = self._refined_sup
            scope, oracle = "restricted", ORACLE_L2_SAMPLED.format(samples=architecture.oracle_samples)
        super().__init__(X, y, architecture, beta, pool, bias, scope, oracle, mode, duplicates,
                         max_rounds=max_rounds)
        self.pool = pool
        self.norm = norm
        self.direction_kinds = {k: dirs.kinds.count(k) for k in sorted(set(dirs.kinds))}
        self.generate_angles = norm == "l2" and d >= 2 and architecture.angular_generation
        self.rounds, self.angular_rounds = [], []
        self.pool_objective = None
        self.program_kind = ("lasso" if mode == "training" else "min-norm interpolation LP") + \
            " over reflection-plane directions"

    def summary(self) -> dict:
        return {**super().summary(), "directions": self.pool.dirs.size,
                "direction_set": self.architecture.directions, "direction_kinds": self.direction_kinds,
                "pool_objective": self.pool_objective,
                "column_generation": {"rounds": self.rounds, "angular_rounds": self.angular_rounds}}

    def dual_sup(self, lam):
        return self._certifier(np.asarray(lam, dtype=np.float64))

    def _arc_sup(self, lam, top=0):
        sup, best = arc_oracle(self.X, lam, top=max(top, 1))
        unit = {}
        if best:
            unit = columns_from_oracle(self.X, best[:1], "l2", self.oracle).unit(0)
        return (sup, unit) if top == 0 else (sup, best)

    def _sphere_sup(self, lam, top=0):
        sup, best = sphere_oracle(self.X, lam, top=max(top, 1))
        unit = columns_from_oracle(self.X, best[:1], "l2", self.oracle).unit(0) if best else {}
        return (sup, unit) if top == 0 else (sup, best)

    def _refined_sup(self, lam, top=0):
        sup, best = refined_oracle(self.X, lam, self.pool.dirs.V, samples=self.architecture.oracle_samples,
                                   seed=self.architecture.seed, top=max(top, 1))
        unit = columns_from_oracle(self.X, best[:1], "l2", self.oracle).unit(0) if best else {}
        return (sup, unit) if top == 0 else (sup, best)

    # -- solving
    def _restricted(self, columns: ChainColumns):
        if self.mode == "interpolation":
            return InterpolationProgram(self.X, self.y, self.architecture, columns, self.bias, "restricted",
                                        self.oracle, self.duplicates)
        return LassoProgram(self.X, self.y, self.architecture, self.beta.value, columns, self.bias, "restricted",
                            self.oracle, self.duplicates)

    def _use_pool_generation(self) -> bool:
        use = self.architecture.column_generation
        return bool(use) or (use is None and self.pool.size > POOL_GENERATION_THRESHOLD)

    def _initial_working_set(self) -> np.ndarray:
        lam = self.y - self.y.mean()
        top = np.argsort(-np.abs(self.pool.scores(lam)))[: self.initial_size]
        return np.unique(np.concatenate([top, self.pool.base_columns()]))

    def solve(self, solver: str = "auto", accuracy: str = "high", time_limit=None, warm_start=False,
              prune: bool = True, progress: bool = False, **options):
        t_start = time.perf_counter()
        solver = resolve_solver(solver, self.mode)
        threshold = 1.0 if self.mode == "interpolation" else self.beta.value
        self.rounds, self.angular_rounds = [], []

        def run(columns):
            program = self._restricted(columns)
            return program, program.solve(solver, accuracy, time_limit=time_limit, prune=False, **options)

        if self._use_pool_generation():
            def solve_restricted(working):
                self.dictionary = self.pool.subset(working)
                return run(self.dictionary)

            hot = {"dirs": None}
            K, L = self.pool.dirs.size, self.pool.labels.size

            def price(program, res, working):
                """Partial pricing: the directions that scored highest at the last full pricing first; the whole
                pool only when none of them is violated (so the loop still ends on a full, exact pricing)."""
                lam = res.dual - res.dual.mean()
                if hot["dirs"] is not None:
                    part = np.abs(label_scores(self.X, self.pool.dirs.V[hot["dirs"]], self.pool.labels, lam))
                    if part.max() > threshold * (1.0 + 1e-7):
                        scores = np.zeros((K, L))
                        scores[hot["dirs"]] = part
                        return scores.ravel(), working
                scores = np.abs(self.pool.scores(lam))
                per_direction = scores.reshape(K, L).max(axis=1)
                keep = max(HOT_DIRECTIONS_MIN, int(HOT_DIRECTIONS_FRACTION * K))
                hot["dirs"] = np.sort(np.argsort(-per_direction)[:keep]) if keep < K else None
                return scores, working

            initial = self._initial_working_set()
            if self.mode == "interpolation":  # base_columns fit any targets when one direction separates the points
                initial = self._interpolating_working_set(initial)
            _, res, self.rounds = generate_columns(initial, solve_restricted, price,
                                                   threshold, self.add_per_round, self.max_rounds, progress,
                                                   desc="pool columns")
        else:
            self.dictionary = self.pool.materialize()
            _, res = run(self.dictionary)
        self.pool_objective = res.convex_objective
        times = dict(res.run.times)
        iterations = res.run.iterations or 0
        if self.generate_angles:
            oracle = {2: self._arc_sup, 3: self._sphere_sup}.get(self.X.shape[1], self._refined_sup)
            for round_index in range(self.max_rounds):
                lam = res.dual - res.dual.mean()
                sup, best = oracle(lam, top=self.add_per_round)
                new = [b for b in best if b[0] > threshold * (1.0 + 1e-7)]
                fresh = columns_from_oracle(self.X, new, "l2", self.oracle) if new else None
                if fresh is not None:  # drop columns already in the working set (an inexact dual can repeat them)
                    known = {tuple(np.round(c / input_scale(self.X), ROUND)) for c in self.dictionary.matrix.T}
                    keep = [j for j, c in enumerate(fresh.matrix.T)
                            if tuple(np.round(c / input_scale(self.X), ROUND)) not in known]
                    fresh = fresh.subset(keep) if keep else None
                self.angular_rounds.append({"round": round_index + 1, "working_set": self.dictionary.size,
                                            "objective": res.convex_objective, "max_violation": sup / threshold,
                                            "added": 0 if fresh is None else fresh.size})
                if fresh is None:
                    break
                self.dictionary = self.dictionary.extend(fresh)
                _, res = run(self.dictionary)
                for key in ("compile", "setup", "solve"):
                    times[key] = (times.get(key) or 0.0) + (res.run.times.get(key) or 0.0)
                iterations += res.run.iterations or 0
        times["wall"] = time.perf_counter() - t_start
        res.run = SolverRun(res.run.solver, res.run.accuracy, res.run.status, res.run.raw_status,
                            res.run.tolerance, res.run.options, times, iterations, res.run.error)
        z, xi = res.z, res.xi
        z, xi = prune_solution(self.dictionary, z, xi, self.y, self.penalty_beta, True,
                               residual_dual=res.dual is None, vertex=prune)
        convex, l1 = self.convex_objective(z, xi), self.weighted_l1(z)  # of the returned solution
        return SolveResult(res.run, z, xi, res.dual, convex, l1, self.reconstruct(z, xi), self.penalty_beta)
