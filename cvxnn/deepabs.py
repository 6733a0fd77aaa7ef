"""Three-layer absolute-value nets in d dimensions: reflection planes (SPEC 5.3).

Net ``f(x) = sum_i alpha_i | w2_i | u_i^T x + b1_i | + b2_i | + xi`` (parallel narrow chains), penalty
``(beta/3) sum_i (|alpha_i|^3 + ||u_i||^3 + |w2_i|^3)`` with ||.|| the l1 or the l2 norm (``inner_norm``), biases
free. AM-GM makes a unit ``z ||v^T x - a1| - a2|`` with ||v|| = 1, a2 >= 0, cost beta |z|, so training is a Lasso
over these units and the dual constraint is ``sup_{v, a1, a2} |lam^T ||X v - a1| - a2|| <= beta`` (lam centred).

For a fixed direction v the sup over (a1, a2) is at the 1-D vertices of SPEC 3.2 on the projections t = X v:
reflection labels (j, k): a1 = t_j, a2 = |t_k - t_j| (k = j: the two-layer feature |t - t_j|), and midpoint labels
(k < l): a1 = (t_k + t_l)/2, a2 = |t_l - t_k|/2. Writing a1 = p^T v, a2 = |q^T v| (reflection: p = x_j,
q = x_k - x_j; midpoint: p = (x_k + x_l)/2, q = (x_l - x_k)/2), each labelled feature
``F_i(v) = ||(x_i - p)^T v| - |q^T v||`` is piecewise linear in v with kinks only where v^T w = 0 for a **kink
normal** w in {x_i - x_j} and {x_a + x_b - 2 x_c}. So on each cell of the central arrangement of these hyperplanes
lam^T F is linear in v.

- **l1** (||v||_1 = 1): on a cell intersected with an orthant the unit sphere is a polytope face, so the sup is at a
  vertex: d - 1 independent active constraints among {w^T v = 0} and {v_k = 0}. The directions are the generalised
  cross products of d - 1 vectors drawn from the kink normals and the axes; with the vertex labels this is an EXACT
  finite dictionary in every d (SPEC 5.3 verified d = 2; d = 3 verified here by random search, tests).
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

Reconstruction (SPEC 5.3): t = |z|^(1/3), u = t v, b1 = -a1 t, w2 = t, b2 = -a2 t^2, alpha = sign(z) t, so the
unit computes t^3 ||v^T x - a1| - a2|| and costs (beta/3)(3 t^3) = beta |z|.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .activations import Activation
from .errors import ProblemTooLargeError, UnsupportedCombinationError
from .network import Layer, Network, Penalty, PenaltyTerm
from .colgen import ColumnGenerationProgram, generate_columns
from .reconstruct import active_set
from .validation import feature_inputs

#: entries of the (n, labels, directions) work array evaluated at once when pricing implicitly
CHUNK_ENTRIES = 4_000_000
ROUND = 9  # directions / columns are equal when they agree after rounding at 1e-9 (relative)
#: column generation over the pool prices these directions (the best at the last full pricing) first
HOT_DIRECTIONS_FRACTION, HOT_DIRECTIONS_MIN = 0.1, 64
#: pools with more columns than this are solved by column generation (measured: d = 2, n = 8, 14.5k columns:
#: 2.1 s as one program, n = 12, 153k columns: 0.4 s by column generation; results/deep-abs.md)
POOL_GENERATION_THRESHOLD = 5_000

ORACLE_L1 = ("vertex directions (generalised cross products of d - 1 vectors from the kink normals x_i - x_j, "
             "x_a + x_b - 2 x_c and the axes) x 1-D vertex labels: exact for l1-normalised inner weights (SPEC 5.3)")
ORACLE_L2_ARCS = ("exact angular oracle (d = 2): closed-form max of the linear piece c^T v on every arc between "
                  "consecutive kink angles, for every vertex label (SPEC 6.3)")
ORACLE_L2_SAMPLED = ("pool directions (cell vertices) + {samples} sphere samples, each refined by the cell fixed "
                     "point v <- c/||c||: NOT proven exhaustive for l2 in d >= 3")
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
    scale = _scale(X)
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
    combos = np.array(list(itertools.combinations(range(G.shape[0]), d - 1)), dtype=int)
    V = _cross(G[combos])
    big = np.max(np.abs(V), axis=1)
    ok = big > 1e-12 * max(float(np.max(big)) if big.size else 1.0, 1e-300)
    combos, V = combos[ok], V[ok]
    V = _canonical_sign(_normalise(V, norm))
    keep = _unique_rows(V)
    dk, df = [], []
    for c in combos[keep]:
        ks = {kinds[g] for g in c}
        dk.append("axis" if ks == {"axis"} else ks.pop() if len(ks) == 1 else "mixed")
        # d = 2: the generator's own points, in order ((i, j) data; (a, b, c): the line through x_a and
        # 2 x_c - x_b); d >= 3: every training point involved
        df.append(froms[c[0]] if len(c) == 1 else tuple(sorted({p for g in c for p in froms[g]})))
    if d == 2:  # the direction normal to a generator: an axis generator gives the OTHER axis
        dk = ["axis" if k == "axis" else k for k in dk]
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


def _scale(X: np.ndarray) -> float:
    s = float(np.max(np.ptp(X, axis=0))) if X.size else 0.0
    return s if s > 0 else 1.0


def label_scores(X: np.ndarray, V: np.ndarray, labels: Labels, lam: np.ndarray) -> np.ndarray:
    """S[c, l] = lam^T ||X v_c - a1| - a2|| at label l's vertex for direction c, in chunks of directions."""
    n = X.shape[0]
    L = labels.size
    out = np.empty((V.shape[0], L))
    step = max(1, CHUNK_ENTRIES // max(1, n * L))
    for s in range(0, V.shape[0], step):
        T = X @ V[s:s + step].T  # (n, kc)
        a1, a2 = labels.params(T)  # (L, kc)
        F = np.abs(np.abs(T[:, None, :] - a1[None]) - a2[None])  # (n, L, kc)
        out[s:s + step] = np.einsum("i,ilc->cl", lam, F)
    return out


# ------------------------------------------------------------------------------------ explicit columns
@dataclass
class ChainColumns:
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
        """t = |z|^(1/3): u = t v, b1 = -a1 t, w2 = t, b2 = -a2 t^2, alpha = sign(z) t (SPEC 5.3)."""
        z = np.asarray(z, dtype=np.float64)
        idx = active_set(z, xi, self.matrix, y, beta)
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
        from .chains import dedupe_columns

        return cols.subset(dedupe_columns(cols.matrix, _scale(self.X)))


# ------------------------------------------------------------------------------------------ l2 oracles
def arc_oracle(X: np.ndarray, lam: np.ndarray, top: int = 0):
    """EXACT sup over ||v||_2 = 1 (d = 2) and all (a1, a2) of |lam^T ||X v - a1| - a2||.

    Kink angles (directions normal to a kink normal) plus 0 and pi/2 split [0, pi) into arcs shorter than pi/2; on
    each arc every label's lam^T F is c^T v, c solved from the values at the two ends; the max of |c^T v| on the
    arc is ||c|| when +-c/||c|| lies in the arc, else the larger end value. Returns (sup, best list) where best
    holds up to ``top`` (value, v, label) maximisers with distinct directions (v a unit vector)."""
    X = np.asarray(X, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    W, _, _ = kink_normals(X) if X.shape[0] >= 2 else (np.zeros((0, 2)), [], [])
    theta = np.mod(np.arctan2(W[:, 0], -W[:, 1]), np.pi) if W.size else np.zeros(0)  # v = (-w2, w1)
    theta = np.unique(np.round(np.concatenate([theta, [0.0, 0.5 * np.pi]]), 14))
    theta = theta[theta < np.pi - 1e-14]
    V = np.column_stack([np.cos(theta), np.sin(theta)])
    labels = Labels.of(X.shape[0])
    S = label_scores(X, V, labels, lam)  # (K, L)
    ta, tb = theta, np.append(theta[1:], theta[0] + np.pi)
    Sa, Sb = S, np.vstack([S[1:], S[:1]])  # F(-v) = F(v)
    det = np.sin(tb - ta)[:, None]
    c1 = (Sa * np.sin(tb)[:, None] - Sb * np.sin(ta)[:, None]) / det
    c2 = (Sb * np.cos(ta)[:, None] - Sa * np.cos(tb)[:, None]) / det
    phi = np.arctan2(c2, c1)
    norm_c = np.hypot(c1, c2)
    inside = np.zeros_like(phi, dtype=bool)
    phi_in = np.zeros_like(phi)
    for shift in (0.0, np.pi, 2 * np.pi, -np.pi, 3 * np.pi):  # +-c as an angle in [ta, tb]
        ang = phi + shift
        hit = (ang >= ta[:, None]) & (ang <= tb[:, None]) & ~inside
        phi_in = np.where(hit, ang, phi_in)
        inside |= hit
    ends = np.maximum(np.abs(Sa), np.abs(Sb))
    val = np.where(inside, norm_c, ends)
    sup = float(val.max()) if val.size else 0.0
    best = []
    if top > 0 and val.size:
        flat_val = val.ravel()
        k = min(50 * top, flat_val.size)
        order = np.argpartition(-flat_val, k - 1)[:k]
        order = order[np.argsort(-flat_val[order])]
        seen = set()
        for flat in order:
            k, lab = np.unravel_index(flat, val.shape)
            if inside[k, lab]:
                ang = phi_in[k, lab]
            else:
                ang = ta[k] if abs(Sa[k, lab]) >= abs(Sb[k, lab]) else tb[k]
            v = np.array([math.cos(ang), math.sin(ang)])
            key = (round(float(np.mod(ang, np.pi)), 10), int(lab))
            if key in seen:
                continue
            seen.add(key)
            best.append((float(val[k, lab]), v, int(lab)))
            if len(best) >= top:
                break
    return sup, best


def _label_gradient(X, v, lam, P, Q):
    """c with lam^T F(v) = c^T v on v's cell, for labels with a1 = p^T v, a2 = |q^T v| (rows of P, Q)."""
    R = X[:, None, :] - P[None]  # (n, m, d)
    r = np.einsum("nmd,d->nm", R, v)
    qv = Q @ v
    s = np.sign(np.abs(r) - np.abs(qv)[None])
    G = s[..., None] * (np.sign(r)[..., None] * R - np.sign(qv)[None, :, None] * Q[None])
    return np.einsum("n,nmd->md", lam, G)


def refined_oracle(X: np.ndarray, lam: np.ndarray, pool_dirs: np.ndarray, *, samples: int = 2000, seed: int = 0,
                   candidates: int = 64, iterations: int = 30, top: int = 0):
    """Best-effort sup over ||v||_2 = 1 in d >= 3 (a LOWER bound on the true sup: scope 'restricted'): exact label
    scores on the pool directions and on ``samples`` random unit directions, then for the best ``candidates``
    (direction, label) pairs the fixed point v <- c/||c|| of the cell's linear piece (the cell maximum when it lies
    inside the cell), re-scoring every label at each new v. Returns (sup, best list) like :func:`arc_oracle`."""
    X = np.asarray(X, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    d = X.shape[1]
    rng = np.random.default_rng(seed)
    R = rng.standard_normal((samples, d))
    V = np.vstack([_normalise(pool_dirs, "l2"), _normalise(R, "l2")])
    labels = Labels.of(X.shape[0])
    S = np.abs(label_scores(X, V, labels, lam))
    order = np.argsort(-S, axis=None)[:candidates]
    found = []
    for flat in order:
        c, lab = np.unravel_index(flat, S.shape)
        v, best_val, best_lab = V[c].copy(), float(S[c, lab]), int(lab)
        for _ in range(iterations):
            P, Q = labels.vectors(X, [best_lab])
            g = _label_gradient(X, v, lam, P, Q)[0]
            if not np.any(g):
                break
            v_new = g / np.linalg.norm(g)
            s_new = np.abs(label_scores(X, v_new[None], labels, lam))[0]
            j = int(np.argmax(s_new))
            if s_new[j] <= best_val * (1 + 1e-13):
                break
            v, best_val, best_lab = v_new, float(s_new[j]), j
        found.append((best_val, v, best_lab))
    found.sort(key=lambda t: -t[0])
    sup = max(float(S.max()), found[0][0] if found else 0.0)
    return sup, found[:top]


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


# ------------------------------------------------------------------------------------------ the program
def label_count(n: int) -> int:
    return n * n + n * (n - 1) // 2


def pool_size(n: int, d: int) -> int:
    """Columns of the pool before deduplication: directions x vertex labels (known before building)."""
    return direction_count(n, d) * label_count(n)


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
        return {**super().summary(), "directions": self.pool.dirs.size, "direction_kinds": self.direction_kinds,
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
        from .program import InterpolationProgram, LassoProgram

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
        from .program import SolveResult, resolve_solver
        from .reconstruct import caratheodory_prune
        from .solvers import SolverRun

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

            _, res, self.rounds = generate_columns(self._initial_working_set(), solve_restricted, price,
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
                    known = {tuple(np.round(c / _scale(self.X), ROUND)) for c in self.dictionary.matrix.T}
                    keep = [j for j, c in enumerate(fresh.matrix.T)
                            if tuple(np.round(c / _scale(self.X), ROUND)) not in known]
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
        convex, l1 = self.convex_objective(z, xi), float(np.sum(np.abs(z)))
        if prune:
            z, xi = caratheodory_prune(self.dictionary.matrix, z, xi, True)
        return SolveResult(res.run, z, xi, res.dual, convex, l1, self.reconstruct(z, xi), self.penalty_beta)


# ------------------------------------------------------------------------- exact l2 oracle in d = 3
ORACLE_L2_SPHERE = ("exact sphere oracle (d = 3): every kink great circle by the closed-form arc oracle (edges and "
                    "vertices), plus the interior critical point c/||c|| of every cell of every label's own kink "
                    "arrangement (cells reached from their vertices)")


def _plane_basis(w: np.ndarray) -> np.ndarray:
    """Orthonormal basis (d, d - 1) of the hyperplane w^T v = 0."""
    _, _, Vt = np.linalg.svd(w.reshape(1, -1))
    return Vt[1:].T


def _unique_normals(W: np.ndarray) -> np.ndarray:
    W = _canonical_sign(W / np.linalg.norm(W, axis=1, keepdims=True))
    return W[_unique_rows(W)]


def _sector_points(Wl: np.ndarray) -> np.ndarray:
    """One point inside every cell of the central arrangement of the planes Wl (unit rows) on the 2-sphere, modulo
    sign: at every vertex (cross product of two planes) step a little into each angular sector between the great
    circles through it, closer than any other circle. Also the plane normals (cells of an arrangement with no
    vertex)."""
    m = Wl.shape[0]
    if m < 2:
        return Wl
    i, j = np.triu_indices(m, k=1)
    V = np.cross(Wl[i], Wl[j])
    norms = np.linalg.norm(V, axis=1)
    ok = norms > 1e-12
    V, i, j = _canonical_sign(V[ok] / norms[ok, None]), i[ok], j[ok]
    first = _unique_rows(V)
    V, i, j = V[first], i[first], j[first]
    D = np.abs(V @ Wl.T)  # (vertices, planes): sin of the distance to each circle
    through = D <= 1e-10
    far = np.where(through, np.inf, D).min(axis=1)
    eps = 0.25 * np.minimum(np.where(np.isfinite(far), far, 1.0), 1e-2)
    pts = [Wl]
    simple = through.sum(axis=1) == 2  # two circles cross: four sectors, inside directions +-t1 +-t2
    if np.any(simple):
        v0, e = V[simple], eps[simple, None]
        t1 = np.cross(v0, Wl[i[simple]])
        t2 = np.cross(v0, Wl[j[simple]])
        t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
        t2 /= np.linalg.norm(t2, axis=1, keepdims=True)
        for s1, s2 in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            pts.append(v0 + e * (s1 * t1 + s2 * t2))
    for v0, row, e in zip(V[~simple], through[~simple], eps[~simple]):  # three or more circles through v0
        b = _plane_basis(v0)  # tangent plane at v0
        T = np.cross(v0[None], Wl[row]) @ b  # tangent directions of the circles through v0 (2-D)
        ang = np.sort(np.mod(np.concatenate([np.arctan2(T[:, 1], T[:, 0]),
                                             np.arctan2(-T[:, 1], -T[:, 0])]), 2 * np.pi))
        mid = 0.5 * (ang + np.append(ang[1:], ang[0] + 2 * np.pi))
        pts.append(v0[None] + e * (np.cos(mid)[:, None] * b[:, 0] + np.sin(mid)[:, None] * b[:, 1]))
    P = np.concatenate(pts)
    return P / np.linalg.norm(P, axis=1, keepdims=True)


def _label_kinks(R: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Kink normals of one label's feature ||r_i^T v| - |q^T v||: r_i, q, r_i - q, r_i + q (nonzero, unique)."""
    W = np.vstack([R, q[None], R - q[None], R + q[None]])
    W = W[np.linalg.norm(W, axis=1) > 1e-12 * max(1.0, float(np.abs(W).max()))]
    return _unique_normals(W) if W.size else W


def sphere_oracle(X: np.ndarray, lam: np.ndarray, top: int = 0):
    """EXACT sup over ||v||_2 = 1 in d = 3 and all (a1, a2) of |lam^T ||X v - a1| - a2||.

    Each label's lam^T F is c^T v on the cells of its own kink arrangement (at most 3n + 1 great circles). The sup of
    |c^T v| over a closed cell is at an interior critical point c/||c|| (when inside), on an edge (a great-circle
    arc: the 2-D arc oracle applied to the data projected onto that kink plane, whose own kinks are the
    intersections with every other kink plane) or at a vertex (an arc end). So the max over: the arc oracle in
    every kink plane of the data, and, for every label, the exact value at c/||c|| for c taken inside every cell
    of that label's arrangement. Returns (sup, best list) like :func:`arc_oracle`."""
    X = np.asarray(X, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    n, d = X.shape
    if d != 3:
        raise UnsupportedCombinationError(f"sphere_oracle is for d = 3; received d = {d}.")
    found = []
    sup = 0.0
    W, _, _ = kink_normals(X)
    for w in _unique_normals(W):  # edges and vertices: every kink great circle
        E = _plane_basis(w)
        s, best = arc_oracle(X @ E, lam, top=max(top, 1))
        sup = max(sup, s)
        found += [(val, E @ v, lab) for val, v, lab in best]
    labels = Labels.of(n)
    P, Q = labels.vectors(X, np.arange(labels.size))
    for lab in range(labels.size):  # cell interiors, label by label
        R = X - P[lab][None]
        pts = _sector_points(_label_kinks(R, Q[lab]))
        if not pts.size:
            continue
        r = R @ pts.T  # (n, k)
        qv = pts @ Q[lab]
        s = np.sign(np.abs(r) - np.abs(qv)[None])
        C = (lam[:, None] * s * np.sign(r)).T @ R - (lam @ s * np.sign(qv))[:, None] * Q[lab][None]
        cn = np.linalg.norm(C, axis=1)
        ok = cn > 0
        if not np.any(ok):
            continue
        Vs = C[ok] / cn[ok, None]
        T = X @ Vs.T
        a1, a2 = labels.params(T, [lab])
        vals = np.abs(lam @ chain_values(T, a1[0], a2[0]))
        k = int(np.argmax(vals))
        sup = max(sup, float(vals[k]))
        found.append((float(vals[k]), Vs[k], lab))
    found.sort(key=lambda t: -t[0])
    out, seen = [], set()
    for val, v, lab in found:
        key = (tuple(np.round(_canonical_sign(v[None])[0], 9)), lab)
        if key in seen:
            continue
        seen.add(key)
        out.append((val, v, lab))
        if len(out) >= top:
            break
    return sup, out
