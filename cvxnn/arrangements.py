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
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .errors import InvalidDataError, InvalidParameterError, ProblemTooLargeError
from .validation import check_choice

__all__ = [
    "Arrangement", "pattern_count", "count_patterns_upper_bound", "enumerate_patterns", "sample_patterns",
    "interior_point",
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

    def __len__(self) -> int:
        return int(self.patterns.shape[0])

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
