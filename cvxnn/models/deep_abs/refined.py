"""A best-effort l2 oracle for three-layer absolute-value nets in d >= 4 (scope 'restricted': not proven
exhaustive): pool directions and sphere samples, each refined by the cell fixed point v <- c/||c||."""

from __future__ import annotations

import numpy as np

from .pool import Labels, _normalise, label_scores

ORACLE_L2_SAMPLED = ("pool directions (cell vertices) + {samples} sphere samples, each refined by the cell fixed "
                     "point v <- c/||c||: NOT proven exhaustive for l2 in d >= 3")


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
