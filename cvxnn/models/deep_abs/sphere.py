"""The exact sphere oracle of three-layer absolute-value nets with l2-normalised inner weights in d = 3 (theory:
"Three-layer absolute-value nets in d dimensions"): the sup of a cell's linear piece is at an interior critical
point, on an edge (a great-circle arc: the arc oracle in that kink plane) or at a vertex."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedCombinationError
from .arc import arc_oracle, distinct_units
from .pool import Labels, _canonical_sign, _unique_rows, chain_values, kink_normals

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
    of that label's arrangement. Returns (sup, best list) like :func:`arc_oracle` (no two units of one label
    within 1e-9)."""
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
    return sup, distinct_units(found, top, tol=1e-9)
