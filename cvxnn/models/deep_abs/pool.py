"""The direction pool of three-layer absolute-value nets in d dimensions: kink normals, reflection-plane directions,
the 1-D vertex labels, explicit columns and the implicitly priced pool (theory: "Three-layer absolute-value nets in d
dimensions").

Net ``f(x) = sum_i alpha_i | w2_i | u_i^T x + b1_i | + b2_i | + xi`` (parallel narrow chains), penalty
``(beta/3) sum_i (|alpha_i|^3 + ||u_i||^3 + |w2_i|^3)`` with ||.|| the l1 or the l2 norm (``inner_norm``), biases
free. AM-GM makes a unit ``z ||v^T x - a1| - a2|`` with ||v|| = 1, a2 >= 0, cost beta |z|, so training is a Lasso
over these units and the dual constraint is ``sup_{v, a1, a2} |lam^T ||X v - a1| - a2|| <= beta`` (lam centred).

For a fixed direction v the sup over (a1, a2) is at the 1-D vertices (theory: "Deep absolute-value chains on 1-D data")
on the projections t = X v: reflection labels (j, k): a1 = t_j, a2 = |t_k - t_j| (k = j: the two-layer feature |t -
t_j|), and midpoint labels (k < l): a1 = (t_k + t_l)/2, a2 = |t_l - t_k|/2. Writing a1 = p^T v, a2 = |q^T v|
(reflection: p = x_j, q = x_k - x_j; midpoint: p = (x_k + x_l)/2, q = (x_l - x_k)/2), each labelled feature ``F_i(v) =
||(x_i - p)^T v| - |q^T v||`` is piecewise linear in v with kinks only where v^T w = 0 for a **kink normal** w in {x_i -
x_j} and {x_a + x_b - 2 x_c}. So on each cell of the central arrangement of these hyperplanes lam^T F is linear in v.

- **l1** (||v||_1 = 1): on a cell intersected with an orthant the unit sphere is a polytope face, so the sup is at a
  vertex: d - 1 independent active constraints among {w^T v = 0} and {v_k = 0}. The directions are the generalised
  cross products of d - 1 vectors drawn from the kink normals and the axes; with the vertex labels this is an EXACT
  finite dictionary in every d (verified in d = 2 and 3 against grids and random directions: tests/test_deepabs.py).
  In d = 2 the directions are the axes, the normals of lines through two training points ("data") and the normals
  of lines through x_a and the mirror image 2 x_c - x_b ("reflection"): |V| = 2 + C(n,2) + n C(n-1,2).
- **l2** (||v||_2 = 1): a linear function can peak inside a cell, so the same pool is only a restriction. In d = 2
  the cells are arcs between consecutive kink angles; on an arc lam^T F = c^T v with c fixed by the values at the
  two ends, and the max of |c^T v| over the arc is ||c|| if +-c points into it, else an endpoint value: an EXACT
  angular oracle. Column generation adds the maximisers until none violates the dual (scope global). In d = 3 the
  sup over a spherical cell is at an interior critical point c/||c||, on an edge (a great-circle arc: the 2-D arc
  oracle on the data projected onto that kink plane) or at a vertex: :func:`sphere_oracle` checks all three, so
  d = 3 is exact too. In d >= 4 the oracle scans the pool's directions (cell vertices), sphere samples and refines
  each candidate by the fixed point v <- c/||c|| of its cell: not proven exhaustive, so the scope is 'restricted'.

Reconstruction (theory: "Three-layer absolute-value nets in d dimensions"): t = |z|^(1/3), u = t v, b1 = -a1 t, w2 = t,
b2 = -a2 t^2, alpha = sign(z) t, so the unit computes t^3 ||v^T x - a1| - a2|| and costs (beta/3)(3 t^3) = beta |z|.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from ...activations import Activation
from ...errors import ProblemTooLargeError, UnsupportedCombinationError
from ...network import Layer, Network, Penalty, PenaltyTerm
from ...program import DenseColumns
from ...validation import feature_inputs, input_scale
from ..chains_1d import dedupe_columns

#: entries of the (n, labels, directions) work array evaluated at once when pricing implicitly
CHUNK_ENTRIES = 4_000_000
ROUND = 9  # directions / columns are equal when they agree after rounding at 1e-9 (relative)

ORACLE_L1 = ("vertex directions (generalised cross products of d - 1 vectors from the kink normals x_i - x_j, "
             "x_a + x_b - 2 x_c and the axes) x 1-D vertex labels: exact for l1-normalised inner weights")
ORACLE_POOL = "max over the finite direction pool only (NOT exact for l2-normalised inner weights)"


# ------------------------------------------------------------------------------------- kinks and directions
def kink_normals(X: np.ndarray):
    """The kink normals of the dual in v: differences x_i - x_j (i < j, kind 'data') and x_a + x_b - 2 x_c
    (a < b, c not in {a, b}, kind 'reflection': the line through x_a and the mirror image 2 x_c - x_b of x_b
    about x_c). Returns (W (K, d), kinds, point tuples); zero vectors are dropped."""
    n, d = X.shape
    i, j = np.triu_indices(n, k=1)
    W = [X[i] - X[j]]
    kinds = ["data"] * i.size
    froms = [(int(a), int(b)) for a, b in zip(i, j)]
    if n >= 3:
        trip = np.array([(a, b, c) for a, b in zip(i, j) for c in range(n) if c != a and c != b], dtype=int)
        W.append(X[trip[:, 0]] + X[trip[:, 1]] - 2.0 * X[trip[:, 2]])
        kinds += ["reflection"] * trip.shape[0]
        froms += [tuple(int(v) for v in t) for t in trip]
    W = np.concatenate(W)
    scale = input_scale(X)
    ok = np.max(np.abs(W), axis=1) > 1e-12 * scale
    return W[ok], [k for k, o in zip(kinds, ok) if o], [f for f, o in zip(froms, ok) if o]


def n_kink_normals(n: int) -> int:
    return math.comb(n, 2) + (n * math.comb(n - 1, 2) if n >= 3 else 0)


def direction_count(n: int, d: int) -> int:
    """Directions enumerated before deduplication: C(K + d, d - 1) with K kink normals (d = 2: 2 + C(n,2) +
    n C(n-1,2); d = 1: one)."""
    if d == 1:
        return 1
    return math.comb(n_kink_normals(n) + d, d - 1)


def _cross(R: np.ndarray) -> np.ndarray:
    """Generalised cross products of a stack (K, d-1, d): vectors orthogonal to every row."""
    K, rows, d = R.shape
    out = np.empty((K, d))
    for k in range(d):
        cols = [c for c in range(d) if c != k]
        out[:, k] = (-1.0) ** k * (np.linalg.det(R[:, :, cols]) if rows else 1.0)
    return out


def _normalise(V: np.ndarray, norm: str) -> np.ndarray:
    q = 1 if norm == "l1" else 2
    return V / np.linalg.norm(V, ord=q, axis=1, keepdims=True)


def _canonical_sign(V: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Flip each row so that its first entry above tol is positive (F(v) = F(-v): directions are modulo sign)."""
    first = np.argmax(np.abs(V) > tol, axis=1)
    s = np.sign(V[np.arange(V.shape[0]), first])
    s[s == 0] = 1.0
    return V * s[:, None]


def _unique_rows(V: np.ndarray) -> np.ndarray:
    if V.shape[0] == 0:
        return np.zeros(0, dtype=int)
    _, idx = np.unique(np.round(V, ROUND), axis=0, return_index=True)
    return np.sort(idx)


@dataclass
class Directions:
    """Unit directions (rows) with their provenance: kind 'axis' | 'data' | 'reflection' | 'mixed' | 'oracle' and
    the training points that define them."""

    V: np.ndarray
    kinds: list
    froms: list
    norm: str

    @property
    def size(self) -> int:
        return int(self.V.shape[0])

    def subset(self, idx) -> "Directions":
        idx = np.asarray(idx, dtype=int)
        return Directions(self.V[idx], [self.kinds[i] for i in idx], [self.froms[i] for i in idx], self.norm)


def chain_directions(X, norm: str = "l1", *, axes: bool = True, max_directions: int = 500_000) -> Directions:
    """The direction pool: generalised cross products of d - 1 vectors from the kink normals (and the axes), unit
    norm ``norm``, deduplicated modulo sign. ``axes=False`` drops the axis generators (for demonstrations: the
    result is then not exact for l1)."""
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if d == 1:
        return Directions(np.ones((1, 1)), ["axis"], [()], norm)
    count = direction_count(n, d)
    if count > max_directions:
        raise ProblemTooLargeError(
            f"the three-layer absolute-value pool on n = {n} points in d = {d} dimensions has {count:,} candidate "
            f"directions (generalised cross products of {d - 1} of the {n_kink_normals(n) + d:,} kink normals and "
            f"axes), above the budget max_directions = {max_directions:,}. Use fewer points, or raise "
            "max_directions (each direction carries about 1.5 n^2 columns)."
        )
    W, wk, wf = kink_normals(X)
    gens = [W]
    kinds, froms = list(wk), list(wf)
    if axes:
        gens.insert(0, np.eye(d))
        kinds = ["axis"] * d + kinds
        froms = [()] * d + froms
    G = np.concatenate(gens)
    combos = np.array(list(itertools.combinations(range(G.shape[0]), d - 1)), dtype=int).reshape(-1, d - 1)
    V = _cross(G[combos])
    big = np.max(np.abs(V), axis=1)
    ok = big > 1e-12 * max(float(np.max(big)) if big.size else 1.0, 1e-300)
    combos, V = combos[ok], V[ok]
    V = _canonical_sign(_normalise(V, norm))
    keep = _unique_rows(V)
    dk, df = [], []
    for c in combos[keep]:
        ks = {kinds[g] for g in c}
        dk.append(ks.pop() if len(ks) == 1 else "mixed")  # 'axis', 'data' or 'reflection' when all agree
        # d = 2: the generator's own points, in order ((i, j) data; (a, b, c): the line through x_a and
        # 2 x_c - x_b); d >= 3: every training point involved
        df.append(froms[c[0]] if len(c) == 1 else tuple(sorted({p for g in c for p in froms[g]})))
    return Directions(V[keep], dk, df, norm)


# ------------------------------------------------------------------------------------------ vertex labels
@dataclass(frozen=True)
class Labels:
    """The 1-D vertex labels on n points: kind 0 = reflection (j, k) (k == j: two-layer feature), 1 = midpoint
    (k < l). Two-layer labels come first, so deduplication keeps the simplest parameterisation."""

    kind: np.ndarray
    p: np.ndarray
    q: np.ndarray

    @staticmethod
    def of(n: int) -> "Labels":
        jj = np.arange(n)
        rj, rk = np.meshgrid(jj, jj, indexing="ij")
        off = rj != rk
        mk, ml = np.triu_indices(n, k=1)
        kind = np.concatenate([np.zeros(n, int), np.zeros(int(off.sum()), int), np.ones(mk.size, int)])
        p = np.concatenate([jj, rj[off], mk])
        q = np.concatenate([jj, rk[off], ml])
        return Labels(kind, p, q)

    @property
    def size(self) -> int:
        return int(self.kind.size)

    def params(self, T: np.ndarray, idx=None):
        """(a1, a2) for every label (rows) and every direction (columns of the projections T (n, k))."""
        kind, p, q = (self.kind, self.p, self.q) if idx is None else (self.kind[idx], self.p[idx], self.q[idx])
        Tp, Tq = T[p], T[q]
        mid = (kind == 1)[:, None]
        a1 = np.where(mid, 0.5 * (Tp + Tq), Tp)
        a2 = np.where(mid, 0.5 * np.abs(Tq - Tp), np.abs(Tq - Tp))
        return a1, a2

    def vectors(self, X, idx):
        """(p, q) with a1 = p^T v and a2 = |q^T v| for the labels idx (rows)."""
        kind, p, q = self.kind[idx], self.p[idx], self.q[idx]
        mid = (kind == 1)[:, None]
        P = np.where(mid, 0.5 * (X[p] + X[q]), X[p])
        Q = np.where(mid, 0.5 * (X[q] - X[p]), X[q] - X[p])
        return P, Q

    def family(self, i: int) -> str:
        if self.kind[i] == 1:
            return "midpoint"
        return "two-layer" if self.p[i] == self.q[i] else "reflection"


def chain_values(T: np.ndarray, a1: np.ndarray, a2: np.ndarray) -> np.ndarray:
    """||t - a1| - a2|: T (k, m) projections, a1/a2 (m,) -> (k, m)."""
    return np.abs(np.abs(T - a1[None, :]) - a2[None, :])


def label_scores(X: np.ndarray, V: np.ndarray, labels: Labels, lam: np.ndarray) -> np.ndarray:
    """S[c, l] = lam^T ||X v_c - a1| - a2|| at label l's vertex for direction c, in chunks of directions.

    ``out`` starts as NaN so that a chunk left unscored shows instead of reading stale memory."""
    n = X.shape[0]
    L = labels.size
    out = np.full((V.shape[0], L), np.nan)
    step = max(1, CHUNK_ENTRIES // max(1, n * L))
    for s in range(0, V.shape[0], step):
        T = X @ V[s:s + step].T  # (n, kc)
        a1, a2 = labels.params(T)  # (L, kc)
        F = np.abs(np.abs(T[:, None, :] - a1[None]) - a2[None])  # (n, L, kc)
        out[s:s + step] = np.einsum("i,ilc->cl", lam, F)
    return out


# ------------------------------------------------------------------------------------ explicit columns
@dataclass
class ChainColumns(DenseColumns):
    """Explicit columns ``||v_j^T x - a1_j| - a2_j|`` evaluated at the training points (a materialised dictionary:
    the working set of column generation, or a small pool)."""

    X: np.ndarray
    directions: np.ndarray  # (m, d), unit norm in ``norm``
    a: np.ndarray  # (m, 2): a1, a2 >= 0
    norm: str = "l1"
    info: list = field(default_factory=list)  # per column: provenance dict (direction kind/from, label family/points)
    oracle: str = ORACLE_POOL
    scope_note: str = ""

    activation = Activation("abs")
    rebuild_formula = ("t = |z_j|^(1/3): u = t v_j, b1 = -a1 t, w2 = t, b2 = -a2 t^2, alpha = sign(z_j) t, so that",
                       "alpha |w2 |u.x + b1| + b2| = z_j ||v_j.x - a1| - a2| and (|alpha|^3 + ||u||^3 + |w2|^3)/3 "
                       "= |z_j|.")

    def __post_init__(self):
        self.X = np.asarray(self.X, dtype=np.float64)
        self.directions = np.asarray(self.directions, dtype=np.float64).reshape(-1, self.X.shape[1])
        self.a = np.asarray(self.a, dtype=np.float64).reshape(-1, 2)
        self.matrix = self.features(self.X)

    @property
    def size(self) -> int:
        return int(self.a.shape[0])

    @property
    def input_dim(self) -> int:
        return int(self.X.shape[1])

    def features(self, Xnew) -> np.ndarray:
        Xnew = feature_inputs(Xnew, self.input_dim)
        return chain_values(Xnew @ self.directions.T, self.a[:, 0], self.a[:, 1])

    def columns(self, idx) -> np.ndarray:
        return self.matrix[:, np.asarray(idx, dtype=int)]

    def unit(self, j: int) -> dict:
        out = {"direction": [float(v) for v in self.directions[j]], "a1": float(self.a[j, 0]),
               "a2": float(self.a[j, 1]), "norm": self.norm}
        if self.info:
            out.update(self.info[j])
        return out

    def describe(self, j: int) -> str:
        v = ", ".join(f"{t + 0.0:.4g}" for t in self.directions[j])
        return f"||[{v}].x - {self.a[j, 0]:.6g}| - {self.a[j, 1]:.6g}|"

    def scores(self, lam) -> np.ndarray:
        return self.matrix.T @ np.asarray(lam, dtype=np.float64)

    def dual_sup(self, lam, X, bias):
        sc = np.abs(self.scores(lam))
        if not sc.size:
            return 0.0, {}
        j = int(np.argmax(sc))
        return float(sc[j]), self.unit(j)

    def subset(self, idx) -> "ChainColumns":
        idx = np.asarray(idx, dtype=int)
        return ChainColumns(self.X, self.directions[idx], self.a[idx], self.norm,
                            [self.info[j] for j in idx] if self.info else [], self.oracle)

    def extend(self, other: "ChainColumns") -> "ChainColumns":
        info = (self.info or [{}] * self.size) + (other.info or [{}] * other.size)
        return ChainColumns(self.X, np.vstack([self.directions, other.directions]), np.vstack([self.a, other.a]),
                            self.norm, info, self.oracle)

    def to_network(self, z, xi, y, beta, bias, architecture=None) -> Network:
        """t = |z|^(1/3): u = t v, b1 = -a1 t, w2 = t, b2 = -a2 t^2, alpha = sign(z) t (theory: "Three-layer
        absolute-value nets in d dimensions")."""
        z = np.asarray(z, dtype=np.float64)
        idx = np.flatnonzero(z)
        t = np.abs(z[idx]) ** (1.0 / 3.0)
        layers = [Layer(t[:, None] * self.directions[idx], -self.a[idx, 0] * t, Activation("abs")),
                  Layer(np.diag(t), -self.a[idx, 1] * t ** 2, Activation("abs")),
                  Layer((np.sign(z[idx]) * t).reshape(1, -1), [float(xi)], Activation("identity"))]
        meta = {"model": "deep-abs", "activation": {"name": "abs"}, "depth": 3, "inner_norm": self.norm,
                "bias_convention": "free", "dictionary_columns": [int(j) for j in idx],
                "units": [{**self.unit(int(j)), "z": float(z[j])} for j in idx]}
        return Network(layers, deep_abs_penalty(beta, self.norm), meta)


def deep_abs_penalty(beta: float, norm: str) -> Penalty:
    """(beta/3) sum_i (|alpha_i|^3 + ||u_i||^3 + |w2_i|^3), ||u|| the l1 or l2 norm of the inner row."""
    row = "l1-row" if norm == "l1" else "l2-row"
    return Penalty(float(beta), [PenaltyTerm(0, 1.0 / 3.0, 3.0, row), PenaltyTerm(1, 1.0 / 3.0, 3.0),
                                 PenaltyTerm(2, 1.0 / 3.0, 3.0)],
                   f"(beta/3) * (sum of cubed {norm} norms of the inner rows + sum of |w2|^3 + sum of |alpha|^3); "
                   "biases unpenalised")


# ------------------------------------------------------------------------------------------ implicit pool
class ChainPool:
    """Directions x vertex labels, priced implicitly (column j = direction j // L, label j % L); nothing of size
    n x columns is stored. ``subset`` materialises columns."""

    activation = Activation("abs")
    matrix = None

    def __init__(self, X, directions: Directions, oracle: str = ORACLE_L1):
        self.X = np.asarray(X, dtype=np.float64)
        self.dirs = directions
        self.labels = Labels.of(self.X.shape[0])
        self.oracle = oracle

    @property
    def size(self) -> int:
        return self.dirs.size * self.labels.size

    @property
    def norm(self) -> str:
        return self.dirs.norm

    def scores(self, lam) -> np.ndarray:
        return label_scores(self.X, self.dirs.V, self.labels, np.asarray(lam, dtype=np.float64)).ravel()

    def dual_sup(self, lam, X=None, bias="free"):
        if bias != "free":
            raise UnsupportedCombinationError(f"deep-abs nets are exact with bias='free' only; received {bias!r}.")
        sc = np.abs(self.scores(lam))
        j = int(np.argmax(sc))
        return float(sc[j]), self.subset([j]).unit(0)

    def columns(self, idx) -> np.ndarray:
        """The columns idx at the training points (n x len(idx))."""
        return self.subset(idx).matrix

    def base_columns(self) -> np.ndarray:
        """Two-layer columns |v^T x - v^T x_j| along one direction with distinct projections: with the output bias
        they fit any targets, so every restricted interpolation LP is feasible."""
        T = self.X @ self.dirs.V.T
        c = 0
        for c in range(self.dirs.size):
            if np.unique(np.round(T[:, c], 12)).size == T.shape[0]:
                break
        return c * self.labels.size + np.arange(self.X.shape[0])

    def subset(self, idx) -> ChainColumns:
        idx = np.asarray(idx, dtype=int)
        L = self.labels.size
        c, lab = idx // L, idx % L
        V = self.dirs.V[c]
        T = np.einsum("nd,md->nm", self.X, V)
        Tp, Tq = T[self.labels.p[lab], np.arange(idx.size)], T[self.labels.q[lab], np.arange(idx.size)]
        mid = self.labels.kind[lab] == 1
        a1 = np.where(mid, 0.5 * (Tp + Tq), Tp)
        a2 = np.where(mid, 0.5 * np.abs(Tq - Tp), np.abs(Tq - Tp))
        info = [{"direction_kind": self.dirs.kinds[ci], "direction_from": list(self.dirs.froms[ci]),
                 "family": self.labels.family(li), "points": [int(self.labels.p[li]), int(self.labels.q[li])]}
                for ci, li in zip(c, lab)]
        return ChainColumns(self.X, V, np.column_stack([a1, a2]), self.norm, info, self.oracle)

    def materialize(self, dedupe: bool = True) -> ChainColumns:
        cols = self.subset(np.arange(self.size))
        if not dedupe:
            return cols
        return cols.subset(dedupe_columns(cols.matrix, input_scale(self.X)))


def columns_from_oracle(X, best, norm: str, oracle: str) -> ChainColumns:
    """Explicit columns at the oracle's maximisers (v, label)."""
    labels = Labels.of(X.shape[0])
    V = _canonical_sign(np.array([b[1] for b in best]).reshape(-1, X.shape[1]))
    labs = np.array([b[2] for b in best], dtype=int)
    T = X @ V.T
    cols = np.arange(len(best))
    Tp, Tq = T[labels.p[labs], cols], T[labels.q[labs], cols]
    mid = labels.kind[labs] == 1
    a = np.column_stack([np.where(mid, 0.5 * (Tp + Tq), Tp), np.where(mid, 0.5 * np.abs(Tq - Tp), np.abs(Tq - Tp))])
    info = [{"direction_kind": "oracle", "direction_from": [], "family": labels.family(li),
             "points": [int(labels.p[li]), int(labels.q[li])]} for li in labs]
    return ChainColumns(X, V, a, norm, info, oracle)


# ------------------------------------------------------------------------------------------------ sizes
def label_count(n: int) -> int:
    return n * n + n * (n - 1) // 2


def pool_size(n: int, d: int) -> int:
    """Columns of the pool before deduplication: directions x vertex labels (known before building)."""
    return direction_count(n, d) * label_count(n)
