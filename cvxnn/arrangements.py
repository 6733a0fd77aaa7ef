"""Activation patterns of a ReLU layer: the regions of the hyperplane arrangement of the data.

For data ``X`` (n x d; append a ones column yourself when the layer has a bias) every weight vector ``g`` gives the
activation pattern ``D(g) = 1[X g >= 0]`` in {0, 1}^n. The exact convex reformulation of a two-layer ReLU net needs
the patterns of the full-dimensional regions of the arrangement of the hyperplanes ``{g : x_i^T g = 0}``: the sign
vectors ``s`` in {+1, -1}^n for which ``{g : s_i x_i^T g > 0 for all i}`` is non-empty, as ``pattern = (s + 1) / 2``.
A row ``x_i = 0`` is not a hyperplane: its entry is the constant 1 (``0 >= 0``).

Counting (Cover 1965, Zaslavsky): ``n`` hyperplanes through the origin in general position in ``R^r`` (``r`` the rank
of ``X``) cut it into exactly ``2 * sum_{k=0}^{r-1} C(n-1, k)`` regions, and any other data into at most that many.
The count covers EVERY region, so it includes the all-zero pattern exactly when that region exists: always with a
bias column (``g = -e_bias``), and without one only when all points lie strictly on one side of a hyperplane through
the origin (``Arrangement.includes_zero`` tells). Regions come in pairs ``s, -s``.

Three ways to get the patterns:

* :func:`enumerate_patterns` with ``method="rays"``: every region of a general-position arrangement is a pointed cone
  with an extreme ray on the intersection line of some ``r - 1`` hyperplanes, and around that ray the ``r - 1``
  hyperplanes cut space into ``2^(r-1)`` regions whose other signs are those of the ray. Vectorised over subsets; it
  detects data that is not in general position (repeated, parallel or zero rows, ``r`` rows in a common
  ``(r-1)``-dimensional subspace) and then refuses.
* ``method="region-graph"``: a breadth-first search over the region adjacency graph that is exact for ANY data. Rows
  that define the same hyperplane are merged; from each region only the signs of its walls can be flipped, and a flip
  of row ``j`` is feasible iff ``s_j x_j`` is NOT in the cone of the other ``s_i x_i`` (Farkas). This is decided by a
  non-negative least-squares fit (the dual of the feasibility LP, about 30x cheaper than ``linprog``); a feasible flip
  comes with a witness point that is checked in floating point, and any doubtful case goes to the LP
  ``{g : s_i x_i^T g >= t, |g| <= 1}`` solved by ``scipy.optimize.linprog(method="highs")``.
* :func:`sample_patterns`: random weight vectors (not exact, but cheap for large n).

``method="auto"`` (the default) runs the ray method and falls back to the region graph when the data is degenerate.
The size is checked BEFORE anything is enumerated: with more than ``max_patterns`` regions (by the count formula,
an upper bound for every data set) :class:`~cvxnn.errors.ProblemTooLargeError` is raised.
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np

from .errors import InvalidDataError, InvalidParameterError, ProblemTooLargeError
from .validation import check_choice

__all__ = [
    "Arrangement", "Walls", "pattern_count", "count_patterns_upper_bound", "enumerate_patterns", "sample_patterns",
    "interior_point", "pattern_walls", "cone_sup",
]

METHODS = ("auto", "rays", "region-graph")
RANK_TOL = 1e-10  # numerical rank: singular values above RANK_TOL * largest
GP_TOL = 1e-9  # general position: sines of angles (unit rows) below this count as degenerate
MERGE_TOL = 1e-9  # unit rows closer than this (up to sign) define the same hyperplane
MARGIN_TOL = 1e-12  # a witness point must have every |x_i^T g| above this (unit rows, unit g)
LP_TOL = 1e-9  # LP margin t (unit rows, |g|_inf <= 1) above which a region counts as non-empty


@dataclass
class Arrangement:
    """Activation patterns of the full-dimensional regions of the arrangement of the rows of X.

    patterns: (P, n) bool, unique rows in lexicographic order (False < True); row p is ``1[X g >= 0]`` for every
    ``g`` in region p. method: ``"rays"``, ``"region-graph"`` or ``"sample"``. exact: True when the list is
    complete (rays, region-graph), False for sampling. includes_zero: whether the all-False pattern is among the
    patterns. count_formula: the general-position count of :func:`pattern_count` (equal to ``len(self)`` for
    general-position data, an upper bound otherwise). seconds: wall time spent.
    """

    patterns: np.ndarray
    method: str
    exact: bool
    includes_zero: bool
    count_formula: int
    seconds: float
    _walls: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.patterns.shape[0])

    def walls(self, X) -> Walls:
        """The constraint rows of each pattern's cone (:func:`pattern_walls`), computed once per data matrix and
        cached. X must be the matrix the patterns were enumerated (or sampled) from. For an exact arrangement these
        are the walls (facets) only; otherwise one row per hyperplane and side, a superset with the same cone."""
        X = np.asarray(X, dtype=np.float64)
        key = (X.shape, X.tobytes())
        if key not in self._walls:
            self._walls[key] = pattern_walls(X, self.patterns, complete=self.exact)
        return self._walls[key]

    def extended(self, extra, X) -> Arrangement:
        """These patterns followed by the ``extra`` ones (for instance the patterns of a given net's units, which may
        lie on hyperplanes: not regions). The list keeps its ``exact`` flag (it still holds every region); the walls
        of this list carry over, and the extra patterns' cones keep all their rows (their walls are not known)."""
        X = np.asarray(X, dtype=np.float64)
        extra = np.asarray(extra, dtype=bool).reshape(-1, self.patterns.shape[1])
        out = Arrangement(np.vstack([self.patterns, extra]), self.method, self.exact,
                          bool(self.includes_zero or (~extra).all(axis=1).any()), self.count_formula, self.seconds)
        key = (X.shape, X.tobytes())
        out._walls[key] = self.walls(X).concat(pattern_walls(X, extra, complete=False))
        return out

    def __repr__(self) -> str:
        n = self.patterns.shape[1] if self.patterns.ndim == 2 else 0
        return (
            f"Arrangement({len(self)} patterns of {n} points, method={self.method!r}, exact={self.exact}, "
            f"includes_zero={self.includes_zero}, count_formula={self.count_formula}, seconds={self.seconds:.3g})"
        )


# ----------------------------------------------------------------------------------------------------------------
# input checks and shared helpers
# ----------------------------------------------------------------------------------------------------------------


def _check_X(X) -> np.ndarray:
    try:
        arr = np.array(X, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"X must be a numeric array of shape (n_points, n_features); could not convert it to float64 ({exc})."
        ) from None
    if arr.ndim != 2:
        raise InvalidDataError(
            f"X must be a 2-D array of shape (n_points, n_features); received an array with shape {arr.shape}. "
            "Reshape it, e.g. X.reshape(n, -1) (one feature: X.reshape(-1, 1)), and append a ones column "
            "yourself when the layer has a bias."
        )
    n, d = arr.shape
    if n < 1:
        raise InvalidDataError(f"X has no rows (shape {arr.shape}); at least one data point is needed.")
    if d < 1:
        raise InvalidDataError(f"X has no columns (shape {arr.shape}); at least one feature (or a bias column) is "
                               "needed.")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InvalidDataError(
            f"X contains {int(bad.sum())} non-finite value(s) (NaN or inf), the first at row {int(i)}, column "
            f"{int(j)}. Remove or impute those points before enumerating activation patterns."
        )
    return arr


def _check_positive_int(value, name: str, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < 1:
        raise InvalidParameterError(f"{name} must be a positive integer; received {value!r}. {hint}")
    return int(value)


def _geometry(X: np.ndarray):
    """Rank and row-space coordinates of the row-normalised data.

    Returns (r, nonzero, P): ``nonzero`` marks rows that are not exactly zero, ``P`` (n_nonzero, r) holds those rows
    scaled to unit length and expressed in an orthonormal basis of the row space (patterns only depend on the
    directions of the rows, and the part of g orthogonal to the row space does not change any pattern).
    """
    norms = np.linalg.norm(X, axis=1)
    nonzero = norms > 0
    U = X[nonzero] / norms[nonzero, None]
    if U.shape[0] == 0:
        return 0, nonzero, np.zeros((0, 0))
    _, sv, Vt = np.linalg.svd(U, full_matrices=False)
    r = int(np.sum(sv > RANK_TOL * sv[0]))
    P = U @ Vt[:r].T
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    return r, nonzero, P


def _formula(n: int, r: int) -> int:
    if r == 0:
        return 1  # X = 0: the single constant pattern (all True)
    return 2 * sum(math.comb(n - 1, k) for k in range(r))


def pattern_count(X) -> int:
    """Number of activation patterns (full-dimensional regions) of data in general position.

    ``2 * sum_{k=0}^{r-1} C(n-1, k)`` with ``n`` the number of rows and ``r`` the numerical rank of X (singular
    values above ``1e-10`` times the largest, computed on the rows scaled to unit length since patterns only depend
    on the directions of the rows). Exact for data in general position, an upper bound for any data. It counts every
    region, including the all-zero pattern when that region exists (always with a bias column). For ``X = 0`` it
    returns 1 (the constant all-True pattern).
    """
    X = _check_X(X)
    r, _, _ = _geometry(X)
    return _formula(X.shape[0], r)


count_patterns_upper_bound = pattern_count  # the same formula: an upper bound for every data set


def _pack(patterns: np.ndarray) -> np.ndarray:
    """Bool rows (N, n) as big-endian 64-bit words (N, ceil(n/64)): word order = lexicographic row order."""
    N, n = patterns.shape
    k = max(1, (n + 63) // 64)
    b = np.zeros((N, 8 * k), dtype=np.uint8)
    b[:, : (n + 7) // 8] = np.packbits(patterns, axis=1)
    return b.view(">u8").astype(np.uint64)


def _unpack(words: np.ndarray, n: int) -> np.ndarray:
    b = np.ascontiguousarray(words.astype(">u8")).view(np.uint8)
    return np.unpackbits(b, axis=1, count=n).astype(bool)


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection of uint64 that spreads every input bit over the output)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _unique_words(W: np.ndarray, *, lexicographic: bool = True) -> np.ndarray:
    """Unique rows of a (N, k) uint64 array; sorted lexicographically unless ``lexicographic=False``."""
    if W.shape[0] == 0:
        return W
    if W.shape[1] == 1:
        Ws = np.sort(W[:, 0])[:, None]
    elif lexicographic:
        Ws = W[np.lexsort(W.T[::-1])]
    else:  # sort by a 64-bit hash of the row (much faster than lexsort); equal hashes must be equal rows
        h = _mix(W[:, 0])
        for c in range(1, W.shape[1]):
            h = _mix(h ^ W[:, c])
        order = np.argsort(h)
        Ws, hs = W[order], h[order]
        same_h = hs[1:] == hs[:-1]
        same_w = (Ws[1:] == Ws[:-1]).all(axis=1)
        if (same_h & ~same_w).any():
            return _unique_words(W, lexicographic=True)  # a hash collision (practically never)
        keep = np.ones(Ws.shape[0], dtype=bool)
        keep[1:] = ~same_w
        return Ws[keep]
    keep = np.ones(Ws.shape[0], dtype=bool)
    keep[1:] = (Ws[1:] != Ws[:-1]).any(axis=1)
    return Ws[keep]


def _canonical(patterns: np.ndarray) -> np.ndarray:
    """Unique rows of a bool array in lexicographic order (False < True)."""
    patterns = np.asarray(patterns, dtype=bool)
    return _unpack(_unique_words(_pack(patterns)), patterns.shape[1])


class _Dedup:
    """Incremental set of bool rows (stored packed)."""

    def __init__(self, n: int):
        self.n = n
        self.parts: list[np.ndarray] = []
        self.unique = np.zeros((0, max(1, (n + 63) // 64)), dtype=np.uint64)
        self.pending = 0

    def add(self, patterns: np.ndarray) -> None:
        self.add_words(_pack(patterns))

    def add_words(self, words: np.ndarray) -> None:
        if words.shape[0] == 0:
            return
        v = _unique_words(words, lexicographic=False)
        self.parts.append(v)
        self.pending += v.shape[0]
        if self.pending > 4 * self.unique.shape[0] + 100_000:
            self._flush()

    def _flush(self) -> None:
        if self.parts:
            self.unique = _unique_words(np.concatenate([self.unique, *self.parts]), lexicographic=False)
            self.parts, self.pending = [], 0

    def __len__(self) -> int:
        self._flush()
        return int(self.unique.shape[0])

    def result(self) -> np.ndarray:
        self._flush()
        return _unpack(_unique_words(self.unique), self.n)


def _progress(progress: bool, total, desc: str, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not progress, file=sys.stderr, leave=False)


#: above this many patterns exact enumeration is not worth suggesting (memory: n bits per pattern, plus a cone each)
ENUMERABLE_PATTERNS = 10_000_000


def _budget_error(n: int, r: int, count: int, max_patterns: int) -> ProblemTooLargeError:
    raise_it = (f"raise the budget (Python: TwoLayer(max_patterns={count}); CLI: --max-patterns {count}) if time and "
                "memory allow; " if count <= ENUMERABLE_PATTERNS else
                f"exact enumeration is out of reach at this size (more than {ENUMERABLE_PATTERNS:,} patterns); ")
    return ProblemTooLargeError(
        f"the activation-pattern arrangement of X (n={n} points, rank r={r}) has up to {count:,} patterns "
        f"(2 * sum_{{k<r}} C(n-1, k)), more than the budget max_patterns={max_patterns:,}; nothing was enumerated. "
        f"Options: {raise_it}use sampled patterns instead (Python: TwoLayer(patterns=\"sample\", n_samples=K); "
        "CLI: --patterns sample --n-samples K), which gives an upper bound on the optimum, not a global "
        f"certificate; or use fewer points (the count grows like n^{max(r - 1, 0)})."
    )


# ----------------------------------------------------------------------------------------------------------------
# ray method (general position)
# ----------------------------------------------------------------------------------------------------------------


class _Degenerate(Exception):
    """The data is not in general position (the ray method does not apply)."""


def _null_vectors(A: np.ndarray) -> np.ndarray:
    """Generalised cross products: for A (B, r-1, r) the vectors z (B, r) with A z = 0, |z| = volume of the rows."""
    B, _, r = A.shape
    z = np.empty((B, r))
    for c in range(r):
        minor = np.delete(A, c, axis=2)
        z[:, c] = (-1) ** c * np.linalg.det(minor)
    return z


def _rays(P: np.ndarray, rows: np.ndarray, progress: bool) -> np.ndarray:
    """Patterns of the unit rows P (in R^r) by the ray method; raises _Degenerate. rows: their indices in X."""
    m, r = P.shape
    if r == 1:
        a = P[:, 0]
        return _canonical(np.stack([a > 0, a < 0]))
    k = r - 1
    K = 2 ** k
    nw = (m + 63) // 64
    valid = _pack(np.ones((1, m), dtype=bool))[0]  # the bits of real rows (no padding)
    word_of = np.arange(m) // 64
    bit_of = np.left_shift(np.uint64(1), (63 - np.arange(m) % 64).astype(np.uint64))
    n_subsets = math.comb(m, k)
    batch = max(1, min(n_subsets, 4_000_000 // (2 * K * nw + m)))
    dedup = _Dedup(m)
    subsets = itertools.combinations(range(m), k)
    with _progress(progress, n_subsets, "activation patterns (rays)", "subsets") as bar:
        done = 0
        while done < n_subsets:
            B = min(batch, n_subsets - done)
            S = np.fromiter(itertools.chain.from_iterable(itertools.islice(subsets, B)), dtype=np.intp,
                            count=B * k).reshape(B, k)
            z = _null_vectors(P[S])
            vol = np.linalg.norm(z, axis=1)
            if vol.min() < GP_TOL:
                b = int(np.argmin(vol))
                raise _Degenerate(f"rows {rows[S[b]].tolist()} of X are linearly dependent")
            a = (z / vol[:, None]) @ P.T  # (B, m): x_j^T z, zero on S
            absa = np.abs(a)
            absa[np.arange(B)[:, None], S] = np.inf
            if absa.min() < GP_TOL:
                b, j = np.unravel_index(int(np.argmin(absa)), absa.shape)
                raise _Degenerate(f"row {int(rows[j])} of X lies in the span of rows {rows[S[b]].tolist()}")
            # The 2 * 2^(r-1) regions around the rays +-z. The point u = sigma z + eps X_S^+ s with eps below half of
            # min_{j not in S} |x_j^T z| / |x_j^T X_S^+ s| has sign(x_j^T u) = sigma sign(x_j^T z) off S and s on S
            # (X_S X_S^+ = I), so its pattern is read off without forming u: packed words, all choices on S.
            base = _pack(a > 0)  # (B, nw)
            SB = np.zeros((B, k, nw), dtype=np.uint64)  # bit of each row of S
            SB[np.arange(B)[:, None], np.arange(k)[None, :], word_of[S]] = bit_of[S]
            maskS = np.bitwise_or.reduce(SB, axis=1)
            onS = np.zeros((B, 1, nw), dtype=np.uint64)  # all 2^(r-1) choices of the bits on S: (B, K, nw)
            for t in range(k):
                onS = np.concatenate([onS, onS | SB[:, t, None, :]], axis=1)
            plus = (base & ~maskS)[:, None, :] | onS
            minus = (~base & valid & ~maskS)[:, None, :] | onS
            dedup.add_words(np.concatenate([plus, minus], axis=1).reshape(-1, nw))
            done += B
            bar.update(B)
    return dedup.result()


# ----------------------------------------------------------------------------------------------------------------
# region-graph search (any data)
# ----------------------------------------------------------------------------------------------------------------


def _merge(P: np.ndarray):
    """Merge unit rows that define the same hyperplane: H (h, r) and for each row its hyperplane and sign."""
    m = P.shape[0]
    which = np.full(m, -1, dtype=np.intp)
    sign = np.ones(m)
    reps = []
    close = np.abs(P @ P.T) > 0.5  # candidates only; the merge itself compares coordinates
    for i in range(m):
        if which[i] >= 0:
            continue
        which[i] = len(reps)
        reps.append(P[i])
        js = np.flatnonzero(close[i, i + 1:]) + i + 1
        js = js[which[js] < 0]
        if js.size:
            same = np.linalg.norm(P[js] - P[i], axis=1) < MERGE_TOL
            opposite = np.linalg.norm(P[js] + P[i], axis=1) < MERGE_TOL
            which[js[same | opposite]] = which[i]
            sign[js[opposite & ~same]] = -1.0
    return np.array(reps).reshape(len(reps), P.shape[1]), which, sign


def _lp_point(A: np.ndarray) -> np.ndarray | None:
    """A point g with A g > 0 (rows of A unit), from the LP max t s.t. A g >= t, |g|_inf <= 1; None if empty."""
    from scipy.optimize import linprog

    h, r = A.shape
    if h == 0:
        return np.zeros(r)
    c = np.zeros(r + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=np.hstack([-A, np.ones((h, 1))]), b_ub=np.zeros(h),
                  bounds=[(-1.0, 1.0)] * r + [(None, 1.0)], method="highs")
    if res.status != 0 or -res.fun <= LP_TOL:
        return None
    g = res.x[:r]
    return g if _strict(A, g) else None


def _strict(A: np.ndarray, g: np.ndarray) -> bool:
    """A g > 0 with a margin that floating-point error cannot fake."""
    ng = np.linalg.norm(g)
    return bool(ng > 0 and (A @ g).min() > MARGIN_TOL * ng)


def _flip(SH: np.ndarray, j: int, g: np.ndarray, use_lp: bool) -> np.ndarray | None:
    """Interior point of the region of SH (rows s_i h_i) with row j negated, or None when that region is empty.

    g is an interior point of the current region (SH g > 0).
    """
    T = SH.copy()
    T[j] = -T[j]
    if use_lp:
        return _lp_point(T)
    from scipy.optimize import nnls

    others = np.delete(SH, j, axis=0)
    b = SH[j]
    if others.shape[0]:
        lam, _ = nnls(others.T, b)
        rho = b - others.T @ lam
    else:  # a single hyperplane (scipy's nnls must not see an empty matrix)
        rho = b.copy()
    res = np.linalg.norm(rho)
    if res < GP_TOL:
        # s_j h_j is a non-negative combination of the others: flipping it empties the region (Farkas)
        return None if res < 1e-3 * GP_TOL else _lp_point(T)
    # KKT: others @ rho <= 0 and b @ rho = |rho|^2 > 0, so -rho + eps g is in the flipped region
    eps = 0.5 * res**2 / float(b @ g)
    w = -rho + eps * g
    return w / np.linalg.norm(w) if _strict(T, w) else _lp_point(T)


def _wall_candidates(SH: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Rows that may be walls of the region {g : SH g > 0} (a superset; g is an interior point).

    Row j is NOT a wall iff SH_j is in the cone of the other rows, i.e. iff the central projection
    p_j = SH_j / (SH_j . g) onto the plane {y : y . g = 1} lies in the convex hull of the other p_i. One convex hull
    (Qhull) replaces a cone-membership test per row; only rows strictly inside the hull (by a relative margin) are
    ruled out, so the hull's rounding can only add candidates, which the exact flip test then rejects.
    """
    h, r = SH.shape
    everything = np.ones(h, dtype=bool)
    if h <= r + 1:
        return everything
    gn = g / np.linalg.norm(g)
    v = gn.copy()
    v[0] += 1.0 if gn[0] >= 0 else -1.0
    Q = np.eye(r)[:, 1:] - np.outer(v, v[1:]) * (2.0 / (v @ v))  # Householder: orthonormal basis of g's complement
    q = (SH / (SH @ gn)[:, None]) @ Q  # (h, r-1)
    scale = np.abs(q).max() + 1.0
    tol = 1e-9 * scale
    if r == 2:
        x = q[:, 0]
        return (x <= x.min() + tol) | (x >= x.max() - tol)
    from scipy.spatial import ConvexHull

    try:
        hull = ConvexHull(q)
    except Exception:  # QhullError (precision, flat input) or ValueError: no filtering, every row is tested
        return everything
    eq = hull.equations
    inside = (q @ eq[:, :-1].T + eq[:, -1]).max(axis=1) < -tol
    out = ~inside
    out[hull.vertices] = True
    return out


def _region_graph(P: np.ndarray, nonzero: np.ndarray, max_regions: int, progress: bool,
                  use_lp: bool = False) -> np.ndarray:
    """Patterns (of all n rows) by breadth-first search over the regions of the merged arrangement of P."""
    n = nonzero.shape[0]
    H, which, sign = _merge(P)
    h, r = H.shape
    if h == 0:
        return np.ones((1, n), dtype=bool)
    rng = np.random.default_rng(0)
    while True:
        g0 = rng.standard_normal(r)
        g0 /= np.linalg.norm(g0)
        if np.abs(H @ g0).min() > 1e-6:
            break
    s0 = H @ g0 > 0
    visited = {s0.tobytes(): s0}
    empty: set[bytes] = set()
    queue = deque([(s0, g0)])
    with _progress(progress, max_regions, "activation patterns (region graph)", "regions") as bar:
        bar.update(1)
        while queue:
            s, g = queue.popleft()
            SH = np.where(s, 1.0, -1.0)[:, None] * H
            base = s.tobytes()
            unknown = []
            for j in range(h):
                key = base[:j] + (b"\x00" if s[j] else b"\x01") + base[j + 1:]
                if key not in visited and key not in empty:
                    unknown.append((j, key))
            if len(unknown) > 3 and r >= 2:
                maybe_wall = _wall_candidates(SH, g)
                for j, key in unknown:
                    if not maybe_wall[j]:
                        empty.add(key)
                unknown = [(j, key) for j, key in unknown if maybe_wall[j]]
            for j, key in unknown:
                t = s.copy()
                t[j] = not t[j]
                w = _flip(SH, j, g, use_lp)
                if w is None:
                    empty.add(key)
                else:
                    visited[key] = t
                    queue.append((t, w))
                    bar.update(1)
    S = np.array(list(visited.values()))  # (R, h)
    out = np.ones((S.shape[0], n), dtype=bool)
    out[:, nonzero] = np.where(S[:, which], sign, -sign) > 0
    return _canonical(out)


# ----------------------------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------------------------


def enumerate_patterns(X, *, max_patterns: int = 100_000, method: str = "auto", progress: bool = False) -> Arrangement:
    """All activation patterns ``1[X g >= 0]`` of the full-dimensional regions of the arrangement of X's rows.

    method: ``"auto"`` (ray method, falling back to the region graph when the data is not in general position),
    ``"rays"`` (general position only; raises InvalidDataError otherwise) or ``"region-graph"`` (any data).
    max_patterns: budget; when the count formula (an upper bound) exceeds it, ProblemTooLargeError is raised before
    any enumeration. progress: show a tqdm progress bar on stderr.
    """
    t0 = time.perf_counter()
    X = _check_X(X)
    max_patterns = _check_positive_int(max_patterns, "max_patterns",
                                       "It bounds the number of activation patterns, e.g. max_patterns=100_000.")
    method = check_choice(method, METHODS, "arrangement method")
    n = X.shape[0]
    r, nonzero, P = _geometry(X)
    count = _formula(n, r)
    if count > max_patterns:
        raise _budget_error(n, r, count, max_patterns)
    n_zero = int(n - nonzero.sum())

    if r == 0:
        patterns, used = np.ones((1, n), dtype=bool), "rays" if method != "region-graph" else "region-graph"
    else:
        patterns, used = None, method
        if method in ("auto", "rays"):
            try:
                if n_zero:
                    raise _Degenerate(f"{n_zero} row(s) of X are zero (the first is row {int(np.argmin(nonzero))})")
                sub = _rays(P, np.flatnonzero(nonzero), progress)
                if sub.shape[0] != count:
                    raise _Degenerate(f"the ray method found {sub.shape[0]} patterns instead of {count}")
                patterns, used = sub, "rays"  # no zero rows here, so sub covers all n rows
            except _Degenerate as exc:
                if method == "rays":
                    raise InvalidDataError(
                        f"the ray method needs data in general position (every {r} rows of X linearly independent "
                        f"after projecting onto its {r}-dimensional row space); here {exc}. Use method='auto' or "
                        "method='region-graph', which handle repeated, parallel, zero and collinear rows."
                    ) from None
                used = "region-graph"
        if patterns is None:
            patterns = _region_graph(P, nonzero, count, progress)
    includes_zero = bool(patterns.shape[0] and (~patterns.any(axis=1)).any())
    return Arrangement(patterns=patterns, method=used, exact=True, includes_zero=includes_zero,
                       count_formula=count, seconds=time.perf_counter() - t0)


def _sampler_bias(X: np.ndarray, rng: np.random.Generator, batch: int):
    """Weight vectors g = (w, -b) with the threshold b in a uniformly chosen gap of the sorted projections X w."""
    F = X[:, :-1]
    n, k = F.shape
    if k:
        C = np.atleast_2d(np.cov(F, rowvar=False, bias=True)) if n > 1 else np.zeros((k, k))
        evals, evecs = np.linalg.eigh(C)
        keep = evals > RANK_TOL * max(evals.max(), 0.0)
        whiten = evecs[:, keep] / np.sqrt(evals[keep]) if keep.any() else np.eye(k)
    while True:
        if k:
            W = rng.standard_normal((batch, whiten.shape[1])) @ whiten.T  # (B, k) directions, whitened
            proj = F @ W.T  # (n, B)
        else:
            W = np.zeros((batch, 0))
            proj = np.zeros((n, batch))
        srt = np.sort(proj, axis=0)
        gap = rng.integers(0, n + 1, size=batch)  # 0: below all points, n: above all points
        lo = srt[np.maximum(gap - 1, 0), np.arange(batch)]
        hi = srt[np.minimum(gap, n - 1), np.arange(batch)]
        spread = srt[-1] - srt[0] + 1.0
        b = np.where(gap == 0, srt[0] - spread, np.where(gap == n, srt[-1] + spread, 0.5 * (lo + hi)))
        yield proj >= b[None, :]


def _sampler_gauss(X: np.ndarray, rng: np.random.Generator, batch: int):
    while True:
        G = rng.standard_normal((X.shape[1], batch))
        yield X @ G >= 0


def sample_patterns(X, n_samples: int, *, seed=0, bias_column: bool = False, drop_zero: bool = True) -> Arrangement:
    """Activation patterns ``1[X g >= 0]`` of ``n_samples`` random weight vectors g, deduplicated (not exact).

    bias_column=False: g ~ N(0, I). bias_column=True (the last column of X is all ones): the direction w of the
    feature part is Gaussian in whitened feature coordinates and the bias is placed in a uniformly chosen gap between
    the sorted projections ``x_i^T w`` (or outside all of them), so thresholds inside the data, which plain N(0, I)
    rarely produces when the data is far from the origin or widely spread, are reached as often as the others.
    drop_zero: remove the all-False pattern (a neuron that is never active). Deterministic for a given seed.
    """
    t0 = time.perf_counter()
    X = _check_X(X)
    n_samples = _check_positive_int(n_samples, "n_samples", "Pass the number of random weight vectors to draw, "
                                                            "e.g. n_samples=10_000.")
    if not isinstance(bias_column, (bool, np.bool_)):
        raise InvalidParameterError(f"bias_column must be True or False; received {bias_column!r}.")
    if bias_column and not np.all(X[:, -1] == 1.0):
        last = X[:, -1]
        raise InvalidParameterError(
            f"bias_column=True needs the last column of X to be all ones (the bias column); received a last column "
            f"with values in [{last.min():.6g}, {last.max():.6g}]. Append np.ones((n, 1)) to X, or pass "
            "bias_column=False."
        )
    try:
        rng = np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"seed must be an integer (or None); received {seed!r} ({exc}).") from None
    n = X.shape[0]
    batch = int(max(1, min(n_samples, 2_000_000 // max(n, 1), 50_000)))
    gen = _sampler_bias(X, rng, batch) if bias_column else _sampler_gauss(X, rng, batch)
    dedup = _Dedup(n)
    done = 0
    while done < n_samples:
        pats = next(gen).T
        take = min(batch, n_samples - done)
        dedup.add(pats[:take])
        done += take
    patterns = dedup.result()
    if drop_zero:
        patterns = patterns[patterns.any(axis=1)]
    includes_zero = bool((~patterns.any(axis=1)).any()) if patterns.shape[0] else False
    return Arrangement(patterns=patterns, method="sample", exact=False, includes_zero=includes_zero,
                       count_formula=pattern_count(X), seconds=time.perf_counter() - t0)


def interior_point(X, pattern) -> np.ndarray | None:
    """A weight vector g with ``(2 D - 1) X g >= 1`` for the pattern D, or None when that region is empty.

    Solved as the LP ``max t s.t. (2 D_i - 1) x_i^T g / |x_i| >= t, |g|_inf <= 1`` (scipy HiGHS), then rescaled;
    the returned g is checked in floating point, so ``1[X g >= 0] == pattern``. Zero rows of X are exempt (their
    entry of every pattern is True; a pattern with False there is empty). When every row is zero, a zero vector is
    returned for the all-True pattern.
    """
    X = _check_X(X)
    n, d = X.shape
    D = np.asarray(pattern)
    if D.shape != (n,) or not (D.dtype == bool or np.isin(D, (0, 1)).all()):
        raise InvalidParameterError(
            f"pattern must be a 0/1 (or bool) vector with one entry per row of X (shape ({n},)); received shape "
            f"{D.shape} and dtype {D.dtype}."
        )
    D = D.astype(bool)
    norms = np.linalg.norm(X, axis=1)
    nz = norms > 0
    if not D[~nz].all():
        return None
    if not nz.any():
        return np.zeros(d)
    A = np.where(D[nz], 1.0, -1.0)[:, None] * X[nz] / norms[nz, None]
    g = _lp_point(A)
    if g is None:
        return None
    g = g / (np.where(D[nz], 1.0, -1.0) * (X[nz] @ g)).min()
    return g if np.array_equal(X @ g >= 0, D) else None


# ----------------------------------------------------------------------------------------------------------------
# the cone of each pattern: its walls, and the exact projection oracle over many cones at once
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Walls:
    """The constraint rows of each pattern's cone, stored as compressed rows (CSR).

    The cone of pattern p is ``K_p = {u : signs[k] * X[rows[k]] u >= 0 for k in indptr[p]:indptr[p + 1]}``, and it
    equals ``{u : (2 D_p - 1)_i X_i u >= 0 for every i}`` (:func:`pattern_walls` says why). ``exact``: True when the
    rows were found as the walls of a complete arrangement (every row listed is on a facet of the cone).
    """

    indptr: np.ndarray  # (P + 1,) int64
    rows: np.ndarray  # (nnz,) row indices of X
    signs: np.ndarray  # (nnz,) +1.0 or -1.0
    exact: bool
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.indptr.shape[0] - 1)

    def unit_rows(self, X) -> np.ndarray:
        """The stored rows as unit vectors with their signs, (nnz, columns of X) (cached per X)."""
        X = np.asarray(X, dtype=np.float64)
        key = ("unit", X.shape, X.tobytes())
        if key not in self._cache:
            norms = np.linalg.norm(X, axis=1)
            Xu = np.where(norms[:, None] > 0, X / np.where(norms > 0, norms, 1.0)[:, None], 0.0)
            self._cache[key] = self.signs[:, None] * Xu[self.rows]
        return self._cache[key]

    def counts(self) -> np.ndarray:
        """Number of constraint rows of each pattern's cone."""
        return np.diff(self.indptr)

    def take(self, idx) -> Walls:
        """The walls of the patterns ``idx`` (in that order)."""
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        cnt = self.counts()[idx]
        indptr = np.zeros(idx.size + 1, dtype=np.int64)
        np.cumsum(cnt, out=indptr[1:])
        pos = np.repeat(self.indptr[idx] - indptr[:-1], cnt) + np.arange(indptr[-1])
        return Walls(indptr, self.rows[pos], self.signs[pos], self.exact)

    def concat(self, other: Walls) -> Walls:
        """These patterns' walls followed by ``other``'s (``exact`` only when both are)."""
        return Walls(np.concatenate([self.indptr, other.indptr[1:] + self.indptr[-1]]),
                     np.concatenate([self.rows, other.rows]), np.concatenate([self.signs, other.signs]),
                     self.exact and other.exact)

    def replace(self, which, other: Walls) -> Walls:
        """These walls with pattern ``which[j]``'s rows replaced by pattern j's rows of ``other`` (``exact`` only
        when both are)."""
        which = np.asarray(which, dtype=np.int64).reshape(-1)
        if which.size != len(other):
            raise InvalidParameterError(f"Walls.replace: {which.size} patterns for {len(other)} replacements.")
        cnt = self.counts().copy()
        cnt[which] = other.counts()
        source = np.zeros(len(self), dtype=np.int64)  # 0: self, 1 + j: other's pattern j
        source[which] = 1 + np.arange(which.size)
        rows, signs = [], []
        for p in range(len(self)):
            W, q = (self, p) if source[p] == 0 else (other, source[p] - 1)
            rows.append(W.rows[W.indptr[q]: W.indptr[q + 1]])
            signs.append(W.signs[W.indptr[q]: W.indptr[q + 1]])
        indptr = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(cnt, out=indptr[1:])
        return Walls(indptr, np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64),
                     np.concatenate(signs) if signs else np.zeros(0), self.exact and other.exact)

    def pattern_of_entry(self) -> np.ndarray:
        """For each stored row, the (position of the) pattern it belongs to."""
        return np.repeat(np.arange(len(self)), self.counts())


def _zobrist_keys(n: int) -> np.ndarray:
    """Fixed pseudo-random 64-bit keys, one per row (a pattern's hash is the XOR of the keys of its True rows)."""
    return np.random.default_rng(0x5EED).integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)


def _pattern_hashes(patterns: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """XOR of ``keys`` over the True entries of each row, through one 256-entry table per byte of the packed row."""
    P, n = patterns.shape
    packed = np.packbits(patterns, axis=1)  # (P, nb), big-endian bits
    nb = packed.shape[1]
    k = np.zeros(8 * nb, dtype=np.uint64)
    k[:n] = keys
    bits = ((np.arange(256)[:, None] >> (7 - np.arange(8))[None, :]) & 1).astype(bool)  # (256, 8)
    out = np.zeros(P, dtype=np.uint64)
    for b in range(nb):
        table = np.bitwise_xor.reduce(np.where(bits, k[8 * b: 8 * b + 8][None, :], np.uint64(0)), axis=1)
        out ^= table[packed[:, b]]
    return out


class _HashSet:
    """A set of uint64 hashes (uniformly random bits) in an open-addressing table with linear probing, filled and
    queried with vectorised probes (a few rounds: the table is at most a quarter full)."""

    def __init__(self, values: np.ndarray):
        values = np.unique(values)
        size = 1 << max(4, int(np.ceil(np.log2(4 * max(values.size, 1)))))
        self.mask = np.uint64(size - 1)
        self.table = np.zeros(size, dtype=np.uint64)
        self.used = np.zeros(size, dtype=bool)
        slot = (values & self.mask).astype(np.int64)
        todo = np.arange(values.size)
        while todo.size:
            s = slot[todo]
            free = ~self.used[s]
            _, first = np.unique(s[free], return_index=True)
            win = todo[free][first]
            self.table[slot[win]] = values[win]
            self.used[slot[win]] = True
            placed = np.zeros(values.size, dtype=bool)
            placed[win] = True
            todo = todo[~placed[todo]]
            slot[todo] = np.where(self.used[slot[todo]], (slot[todo] + 1) & int(self.mask), slot[todo])

    def contains(self, queries: np.ndarray) -> np.ndarray:
        q = queries.ravel()
        found = np.zeros(q.size, dtype=bool)
        slot = (q & self.mask).astype(np.int64)
        todo = np.arange(q.size)
        while todo.size:
            s = slot[todo]
            used = self.used[s]
            hit = used & (self.table[s] == q[todo])
            found[todo[hit]] = True
            more = used & ~hit
            todo = todo[more]
            slot[todo] = (s[more] + 1) & int(self.mask)
        return found.reshape(queries.shape)


def pattern_walls(X, patterns, *, complete: bool) -> Walls:
    """The rows that define the cone of each pattern: its walls.

    The cone of a pattern D is ``K = {u : s_i x_i^T u >= 0 for all i}`` with ``s = 2 D - 1``. Rows that span the
    same hyperplane (repeated, parallel or opposite points) are grouped; zero rows define nothing. A hyperplane h
    is a **wall** of region R when flipping the signs of its rows gives another (full-dimensional) region R'.

    **The cone is unchanged when only the rows of the walls are kept** (R a full-dimensional region, K its closure,
    K_W the cone of the wall rows alone; K is contained in K_W). Suppose u is in K_W but not in K. With g inside R
    (every s_i x_i^T g > 0), u' = u + eps g is, for small eps > 0, inside K_W and still outside K, and so are the
    points of a small ball B around u'. The segments from g to a point of B that pass through the intersection of
    two different hyperplanes (a subspace of codimension 2) end in a subset of B of dimension lower than B, so some
    v in B has a segment p(t) = (1 - t) g + t v that meets at most one hyperplane at a time. Every s_i x_i^T p(t)
    is affine in t and positive at t = 0; v is outside K, so the segment leaves K at a first t*, where exactly one
    hyperplane h vanishes and every other row is still strictly positive. Just after t*, the rows of h are negative
    and all the others positive: that is a non-empty open set, the region R' with h flipped, so h is a wall. But
    the rows of a wall are positive at g and at v (v is inside K_W), hence on the whole segment (affine), and h
    cannot vanish at t*: a contradiction. So K_W = K.

    Finding the walls. ``complete=True``: ``patterns`` lists EVERY region of the arrangement (an exact enumeration),
    and h is a wall of pattern p iff the pattern with h's rows flipped is in the list: a hash lookup (the XOR of
    fixed random 64-bit keys of the True rows; flipping h XORs in the keys of its rows). A hash collision can only
    add a row, never drop one, and extra rows leave the cone unchanged. Every row of a wall hyperplane is kept (with
    its own sign), so near-parallel rows that were grouped all stay. ``complete=False`` (sampled or hand-made
    patterns, which may not be regions): every hyperplane is kept, once per side it is constrained from (both sides
    when the pattern puts it in an equality), i.e. all nonzero rows up to repeats: the same cone by definition.
    """
    X = _check_X(X)
    patterns = np.asarray(patterns, dtype=bool)
    if patterns.ndim != 2 or patterns.shape[1] != X.shape[0]:
        raise InvalidParameterError(
            f"patterns must be a (P, n) bool array with one column per row of X (n = {X.shape[0]}); received shape "
            f"{patterns.shape}."
        )
    P, n = patterns.shape
    rank, nonzero, U = _geometry(X)
    rows_nz = np.flatnonzero(nonzero)
    if rows_nz.size == 0 or P == 0:
        return Walls(np.zeros(P + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), complete)
    _, which, sign = _merge(U)
    h = int(which.max()) + 1
    order = np.argsort(which, kind="stable")
    cls_sorted = which[order]
    starts = np.flatnonzero(np.r_[True, cls_sorted[1:] != cls_sorted[:-1]])
    keep = np.ones((P, h), dtype=bool)
    if complete:
        keys = _zobrist_keys(n)
        class_keys = np.bitwise_xor.reduceat(keys[rows_nz[order]], starts)  # (h,)
        hp = _pattern_hashes(patterns, keys)
        table = _HashSet(hp)
        step = max(1, 4_000_000 // h)
        for a in range(0, P, step):
            keep[a: a + step] = table.contains(hp[a: a + step, None] ^ class_keys[None, :])
        if h < rows_nz.size:  # grouped rows: a pattern that puts one hyperplane on both sides is not a region
            # (cannot happen in a complete list of regions); keep such a hyperplane anyway
            orient = np.where(patterns[:, rows_nz[order]], 1, -1) * sign[order].astype(np.int64)  # (P, m)
            has_plus = np.add.reduceat(orient > 0, starts, axis=1) > 0  # (P, h)
            has_minus = np.add.reduceat(orient < 0, starts, axis=1) > 0
            keep |= has_plus & has_minus
        # A region of a central arrangement of rank r is a pointed cone: it has at least r walls. Fewer means some
        # neighbouring region is missing from the list (a region thinner than the enumeration's LP tolerance, on
        # nearly degenerate data), and the lookup dropped a wall: such a pattern keeps every hyperplane (the same
        # cone by definition). Fewer walls than needed are detected here; any other missing wall only enlarges a
        # cone, which the program's solve and the oracle check against every row (ArrangementProgram.solve,
        # cvxnn.models.arrangement.arrangement_dual_sup).
        short = keep.sum(axis=1) < rank
        keep[short] = True
    # every row of a kept hyperplane, with its own sign (complete=False: every nonzero row)
    pi, ji = np.nonzero(keep[:, which] if h < rows_nz.size else keep)
    rows = rows_nz[ji]
    signs = np.where(patterns[pi, rows], 1.0, -1.0)
    indptr = np.zeros(P + 1, dtype=np.int64)
    np.cumsum(np.bincount(pi, minlength=P), out=indptr[1:])
    return Walls(indptr, rows.astype(np.int64), signs, complete)


#: stop the active-set iterations once no constraint is violated by more than this (relative to |c|)
CONE_TOL = 1e-13
#: Lawson-Hanson iterations before a problem is handed to scipy's NNLS
CONE_MAX_ITER = 60


def _project_out(AP: np.ndarray, c: np.ndarray):
    """QR of the passive rows by Gram-Schmidt with reorthogonalisation, batched.

    AP (N, S, r): the passive rows in slots 0..k-1 (zero rows in the empty slots after them); c (N, r). Returns
    (rho, z, ok, Q, R, y): rho = c minus its projection onto the span of the passive rows (accurate to rounding
    whatever their conditioning), z the coefficients with rho = c + AP^T z (back substitution), ok where every
    passive row had a numerically independent part (else z is not trusted), and the factors: AP^T = Q^T R on the
    passive slots, y = Q c (empty slots: zero rows of Q, unit diagonal of R)."""
    N, S, r = AP.shape
    Q = np.zeros((N, S, r))
    R = np.zeros((N, S, S))
    ok = np.ones(N, dtype=bool)
    for s in range(S):
        v = AP[:, s].copy()
        for _ in range(2):  # classical Gram-Schmidt, twice: orthogonal to rounding
            if s:
                coef = np.einsum("nsr,nr->ns", Q[:, :s], v)
                R[:, :s, s] += coef
                v -= np.einsum("ns,nsr->nr", coef, Q[:, :s])
        nv = np.sqrt(np.einsum("nr,nr->n", v, v))
        present = np.any(AP[:, s] != 0, axis=1)
        good = nv > 1e-13 * np.maximum(np.sqrt(np.einsum("nr,nr->n", AP[:, s], AP[:, s])), 1e-300)
        ok &= good | ~present
        R[:, s, s] = np.where(good, nv, 1.0)
        Q[:, s] = np.where(good[:, None], v / R[:, s, s][:, None], 0.0)
    y = np.einsum("nsr,nr->ns", Q, c)
    rho = c - np.einsum("ns,nsr->nr", y, Q)
    return rho, _back_substitute(R, y), ok, Q, R, y


def _back_substitute(R: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z with R z = -y for upper triangular R (N, S, S)."""
    S = R.shape[1]
    z = np.zeros(y.shape)
    for s in range(S - 1, -1, -1):
        acc = -y[:, s] - np.einsum("nt,nt->n", R[:, s, s + 1:], z[:, s + 1:])
        z[:, s] = acc / R[:, s, s]
    return z


def _step_back(mu: np.ndarray, z: np.ndarray, passive: np.ndarray):
    """Lawson-Hanson's inner step: move from mu (>= 0) towards z until a multiplier reaches zero, drop it (and any
    other at zero). Returns (mu, keep) with the kept slots."""
    cand = passive & (z <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cand, mu / (mu - z), np.inf)
    k = np.argmin(ratio, axis=1)
    alpha = ratio[np.arange(mu.shape[0]), k]
    mu = mu + alpha[:, None] * (z - mu)
    drop = passive & (mu <= 0)
    drop[np.arange(mu.shape[0]), k] = True
    return np.where(passive & ~drop, mu, 0.0), passive & ~drop


def _nnls_batch(A: np.ndarray, c: np.ndarray, stop=None, first=None):
    """Batched Lawson-Hanson active-set NNLS: for each problem b, mu_b >= 0 minimising |c_b + A_b^T mu_b|.

    A (N, m, r): unit (or zero) constraint rows; c (N, r). The passive set (linearly independent rows, at most
    min(m, r)) sits in the first slots, with the QR factors of its rows kept up to date: a row entering costs one
    Gram-Schmidt step; after a row leaves, the factors are recomputed. Returns (rho, state): rho = c minus its
    projection onto the span of the current passive rows, whose multipliers are positive, so ``|rho| =
    |c + A^T mu|`` with mu >= 0, which bounds ``max_{u in K, |u| <= 1} c^T u`` from above (weak duality) at every
    step, and decreases from step to step. state 1 (converged): no row is violated by more than CONE_TOL |c| at
    rho, so rho is the projection of c onto the cone and |rho| that max (to rounding); state 2 (bounded): the
    iterations stopped once |rho| <= stop[b] (the value is known to be at most that); state 0: failed (the caller
    falls back). first: optional index of the most violated row of each problem (a_j^T c < 0), where the
    iterations start (its projection in closed form)."""
    N, m, r = A.shape
    S = min(m, r)
    slot = np.full((N, S), -1, dtype=np.int64)
    mu = np.zeros((N, S))
    Q = np.zeros((N, S, r))
    R = np.broadcast_to(np.eye(S), (N, S, S)).copy()
    y = np.zeros((N, S))
    k = np.zeros(N, dtype=np.int64)
    rho = c.copy()
    if first is not None:  # one step done: rho = c - (a_j^T c) a_j, mu_j = -a_j^T c > 0 (unit rows)
        a = A[np.arange(N), first]
        t = np.einsum("nr,nr->n", a, c)
        slot[:, 0], mu[:, 0], Q[:, 0], y[:, 0], k[:] = first, -t, a, t, 1
        rho -= t[:, None] * a
    state = np.zeros(N, dtype=np.int8)  # 0 running/failed, 1 converged, 2 bounded
    recompute = np.zeros(N, dtype=bool)
    stop2 = None if stop is None else np.asarray(stop, dtype=np.float64) ** 2
    tol = CONE_TOL * np.maximum(np.linalg.norm(c, axis=1), 1e-300)
    live = np.arange(N)
    srange = np.arange(S)
    for _ in range(CONE_MAX_ITER):
        if live.size == 0:
            break
        # phase A: at a feasible point (rho the projection for the passive set): stop, or let a row enter
        ids = live[~recompute[live]]
        if ids.size and stop2 is not None:
            low = np.einsum("nr,nr->n", rho[ids], rho[ids]) <= stop2[ids]
            state[ids[low]] = 2
            ids = ids[~low]
        if ids.size:
            w = -np.einsum("nmr,nr->nm", A[ids], rho[ids])
            sl = slot[ids]
            for q in range(S):  # rows already in the passive set cannot enter again
                on = np.flatnonzero(sl[:, q] >= 0)
                w[on, sl[on, q]] = -np.inf
            j = np.argmax(w, axis=1)
            kk = k[ids]
            done = (w[np.arange(ids.size), j] <= tol[ids]) | (kk >= S)  # full: rho = 0 up to rounding
            state[ids[done]] = 1
            g, j, kk = ids[~done], j[~done], kk[~done]
            if g.size:
                a = A[g, j]
                Qg = Q[g]
                coef = np.einsum("nsr,nr->ns", Qg, a)
                v = a - np.einsum("ns,nsr->nr", coef, Qg)
                coef2 = np.einsum("nsr,nr->ns", Qg, v)
                v -= np.einsum("ns,nsr->nr", coef2, Qg)
                nv = np.sqrt(np.einsum("nr,nr->n", v, v))
                bad = nv <= 1e-13
                state[g[bad]] = 0
                live = live[~np.isin(live, g[bad])] if bad.any() else live
                g, j, kk, a, v, nv, coef = g[~bad], j[~bad], kk[~bad], a[~bad], v[~bad], nv[~bad], (coef + coef2)[~bad]
                Rg = R[g]
                Rg[np.arange(g.size)[:, None], srange[None, :], kk[:, None]] = np.where(srange < kk[:, None], coef, 0.0)
                Rg[np.arange(g.size), kk, kk] = nv
                q = v / nv[:, None]
                yk = np.einsum("nr,nr->n", q, c[g])
                Q[g, kk], y[g, kk], slot[g, kk], mu[g, kk], R[g] = q, yk, j, 0.0, Rg
                k[g] += 1
                z = _back_substitute(Rg, y[g])
                passive = srange[None, :] < k[g][:, None]
                feas = np.all(~passive | (z > 0), axis=1)
                acc = g[feas]
                mu[acc] = np.where(passive[feas], z[feas], 0.0)
                rho[acc] -= yk[feas, None] * q[feas]
                if (~feas).any():
                    rej = g[~feas]
                    mu[rej], keep = _step_back(mu[rej], z[~feas], passive[~feas])
                    _compact(rej, keep, slot, mu, k)
                    recompute[rej] = True
        live = live[state[live] == 0]
        # phase B: after rows left, refactor the passive rows and take the least-squares step again
        ids = live[recompute[live]]
        if ids.size:
            sl = slot[ids]
            passive = sl >= 0
            AP = A[ids[:, None], np.maximum(sl, 0)]
            AP[~passive] = 0.0
            rh, z, ok, Qn, Rn, yn = _project_out(AP, c[ids])
            state[ids[~ok]] = 0
            Q[ids], R[ids], y[ids] = Qn, Rn, yn
            feas = ok & np.all(~passive | (z > 0), axis=1)
            acc = ids[feas]
            mu[acc] = np.where(passive[feas], z[feas], 0.0)
            rho[acc] = rh[feas]
            recompute[acc] = False
            rest = ok & ~feas
            if rest.any():
                b = ids[rest]
                mu[b], keep = _step_back(mu[b], z[rest], passive[rest])
                _compact(b, keep, slot, mu, k)
            live = live[~np.isin(live, ids[~ok])] if (~ok).any() else live
    state[live] = 0  # out of iterations
    return rho, state


def _compact(ids, keep, slot, mu, k) -> None:
    """Move the kept passive slots of problems ``ids`` to the front, in order (in place)."""
    order = np.argsort(~keep, axis=1, kind="stable")
    slot[ids] = np.take_along_axis(np.where(keep, slot[ids], -1), order, axis=1)
    mu[ids] = np.take_along_axis(np.where(keep, mu[ids], 0.0), order, axis=1)
    k[ids] = keep.sum(axis=1)


def _nnls_one(A: np.ndarray, c: np.ndarray) -> np.ndarray:
    """rho = c + A^T mu for scipy's NNLS solution mu >= 0 (one problem)."""
    from scipy.optimize import nnls

    if A.shape[0] == 0:
        return c.copy()
    mu, _ = nnls(A.T, -c)
    return c + A.T @ mu


#: patterns per batch of the projection oracle (memory: batch x walls x columns floats)
CONE_BATCH = 4096


def _padded(m: np.ndarray) -> np.ndarray:
    """Wall counts rounded up to a few sizes (zero rows pad the rest: they never enter an active set)."""
    sizes = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 32, 48, 64])
    out = sizes[np.minimum(np.searchsorted(sizes, m), sizes.size - 1)]
    big = m > sizes[-1]
    out[big] = 2 ** np.ceil(np.log2(m[big])).astype(np.int64)
    return out


def cone_sup(C, X, walls: Walls, idx=None, *, threshold=None, stop_below: bool = False):
    """For pattern k (``idx[k]``, default all) and vector c_k (row k of C): ``max_{u in K, |u| <= 1} c_k^T u`` for
    the pattern's cone K (the norm of the projection of c_k onto K), and the same for -c_k.

    The value equals ``min_{mu >= 0} |c_k + A^T mu|`` (conic duality; A the cone's rows), computed for all patterns
    at once by a batched active-set NNLS (Lawson-Hanson) on the wall rows, patterns with similar wall counts
    together. Each value is the norm of c_k minus its projection onto the span of the final active rows, whose
    multipliers are positive and at which no row is violated (the KKT conditions of the projection onto K, checked
    to rounding); problems whose active set does not settle are solved by scipy's NNLS instead. When no wall is
    violated (c in K) the value is |c| at once; otherwise the iterations start from the most violated wall.

    threshold (a number, or one per pattern): values at most ``threshold`` are not computed exactly: their entries
    hold an upper bound that is at most ``threshold`` (|c| sharpened by the projection onto the most violated
    wall's half-space, a superset of K, or the active-set iterate, whose norm only decreases). stop_below=True:
    patterns are visited by decreasing bound, and the visit stops once no remaining bound exceeds the best value
    found (values below it are only bounded the same way), so the overall maximum is exact while the other entries
    may hold bounds. Returns (values (K, 2) for +c and -c, directions (K, 2, r): the maximising unit vectors, zero
    where the value is zero, NaN where only a bound is known)."""
    C = np.asarray(C, dtype=np.float64)
    K, r = C.shape
    idx = np.arange(len(walls)) if idx is None else np.asarray(idx, dtype=np.int64).reshape(-1)
    if idx.size != K:
        raise InvalidParameterError(f"cone_sup: {K} vectors for {idx.size} patterns.")
    floor = np.full(K, -np.inf) if threshold is None else np.broadcast_to(
        np.asarray(threshold, dtype=np.float64), (K,)).copy()
    W = walls if idx.size == len(walls) and np.array_equal(idx, np.arange(len(walls))) else walls.take(idx)
    cnt = W.counts()
    owner = W.pattern_of_entry()
    Arows = W.unit_rows(X)  # (nnz, r) unit rows
    # the most violated wall of +c (most negative a^T c) and of -c (most positive): its half-space contains K,
    # so the projection onto it bounds the value; with no violated wall, c is in K and the value is |c|
    cn2 = np.einsum("kr,kr->k", C, C)
    dots = np.einsum("er,er->e", Arows, C[owner])
    lo, hi = np.zeros(K), np.zeros(K)
    lo_at, hi_at = np.zeros(K, dtype=np.int64), np.zeros(K, dtype=np.int64)
    has = cnt > 0
    if has.any():
        at = W.indptr[:-1][has]
        lo[has] = np.minimum.reduceat(dots, at)
        hi[has] = np.maximum.reduceat(dots, at)
        local = np.arange(owner.size) - W.indptr[owner]
        big = owner.size + 1
        lo_at[has] = np.minimum.reduceat(np.where(dots == lo[owner], local, big), at)
        hi_at[has] = np.minimum.reduceat(np.where(dots == hi[owner], local, big), at)
    viol = np.stack([lo, -hi], axis=1)  # (K, 2): the most negative a^T (+-c)
    firsts = np.stack([lo_at, hi_at], axis=1)
    values = np.sqrt(np.maximum(cn2[:, None] - np.minimum(viol, 0.0) ** 2, 0.0))
    dirs = np.full((K, 2, r), np.nan)
    inside = viol >= 0  # exact already: c (or -c) is in K
    with np.errstate(invalid="ignore", divide="ignore"):
        cc = np.stack([C, -C], axis=1)
        dirs[inside] = np.where(values[inside][:, None] > 0, cc[inside] / values[inside][:, None], 0.0)
    top = values.max(axis=1)
    todo = np.flatnonzero(top > floor)
    pad = _padded(cnt)
    if stop_below:
        todo = todo[np.argsort(-top[todo], kind="stable")]
    best = -np.inf
    start, size = 0, 1024 if stop_below else todo.size
    while start < todo.size:
        if stop_below and top[todo[start]] <= best:
            break
        chunk = todo[start: start + size]
        start += chunk.size
        size *= 4
        # the problems (pattern, side) still open: a violated wall and a bound above the floor
        flo = np.maximum(floor[chunk], best) if stop_below else floor[chunk]
        need = ~inside[chunk] & (values[chunk] > flo[:, None])
        pk, sk = np.nonzero(need)
        pk = chunk[pk]
        for m in np.unique(pad[pk]):
            sel = pad[pk] == m
            pp, ss = pk[sel], sk[sel]
            step = max(1, 2_000_000 // max(int(m) * r, 1))
            for g0 in range(0, pp.size, step):
                p, sd = pp[g0: g0 + step], ss[g0: g0 + step]
                pos = W.indptr[p][:, None] + np.arange(m)[None, :]
                within = pos < W.indptr[p + 1][:, None]
                A = np.where(within[:, :, None], Arows[np.where(within, pos, 0)], 0.0)  # (B, m, r), zero-padded
                c = np.where(sd[:, None] == 0, C[p], -C[p])
                lim = np.maximum(floor[p], best) if stop_below else floor[p]
                rho, state = _nnls_batch(A, c, None if np.all(lim == -np.inf) else lim, firsts[p, sd])
                for q in np.flatnonzero(state == 0):
                    rho[q] = _nnls_one(A[q], c[q])
                    state[q] = 1
                val = np.linalg.norm(rho, axis=1)
                values[p, sd] = val
                with np.errstate(invalid="ignore", divide="ignore"):
                    u = np.where(val[:, None] > 0, rho / val[:, None], 0.0)
                dirs[p, sd] = np.where((state == 1)[:, None], u, np.nan)
        best = max(best, float(values[chunk].max()))
    return values, dirs
