"""Model-agnostic post-processing of a convex solution: which coefficients are solver noise, and Caratheodory
pruning to at most n + 1 units with the same fit and the same l1 norm (theory: "Merging and pruning")."""

from __future__ import annotations

import numpy as np

#: Interior-point solutions are never exactly sparse. Coefficients below ZERO_RTOL * max|z| are zero. Of the rest,
#: units whose contribution ||z_j A_j||_2 is below thr * ||y||_2 are dropped for the largest thr in PRUNE_LEVELS
#: such that the Lasso objective rises by at most PRUNE_OBJECTIVE_RTOL * max(1, objective): pruning never costs
#: more than that, and the certificate then measures the network actually returned.
ZERO_RTOL = 1e-12
PRUNE_LEVELS = (1e-6, 1e-7, 1e-8, 1e-9)
PRUNE_OBJECTIVE_RTOL = 1e-10


def lasso_objective(A, y, z, xi, beta) -> float:
    res = y - A @ z - xi
    return 0.5 * float(res @ res) + beta * float(np.sum(np.abs(z)))


def active_set(z, xi, A, y, beta) -> np.ndarray:
    """Indices of the coefficients kept as units (see the thresholds above)."""
    z = np.asarray(z, dtype=np.float64)
    zmax = float(np.max(np.abs(z))) if z.size else 0.0
    if zmax == 0.0:
        return np.zeros(0, dtype=int)
    nonzero = np.abs(z) > ZERO_RTOL * zmax
    full = lasso_objective(A, y, np.where(nonzero, z, 0.0), xi, beta)
    contribution = np.abs(z) * np.linalg.norm(A, axis=0)
    ynorm = float(np.linalg.norm(y))
    for level in PRUNE_LEVELS:
        keep = nonzero & (contribution > level * ynorm)
        if lasso_objective(A, y, np.where(keep, z, 0.0), xi, beta) <= full + PRUNE_OBJECTIVE_RTOL * max(1.0, full):
            return np.flatnonzero(keep)
    return np.flatnonzero(nonzero)


def caratheodory_prune(A: np.ndarray, z: np.ndarray, xi: float, intercept: bool, rank_tol: float = 1e-10):
    """Sparsify a Lasso solution without changing its fit A z + xi 1 or its l1 norm (theory: "Merging and pruning").

    While the support columns are linearly dependent together with the sign row s^T (and a ones column for the
    intercept), step along a null vector v of [[A_S, 1], [s^T, 0]] until a coefficient reaches zero: A z + xi 1 and
    s^T z = ||z||_1 stay the same, so the objective does too. Works on n + 2 columns at a time, so it ends with at
    most n (with intercept) or n + 1 (without) nonzeros, fewer when the remaining columns are dependent.
    Returns (z, xi).
    """
    z = np.asarray(z, dtype=np.float64).copy()
    n = A.shape[0]
    zmax = float(np.max(np.abs(z))) if z.size else 0.0
    if zmax == 0.0:
        return z, xi
    z[np.abs(z) <= ZERO_RTOL * zmax] = 0.0
    group = n + (1 if not intercept else 0) + 1  # with the intercept column: n + 2 columns, n + 1 rows
    while True:
        support = np.flatnonzero(z)
        S = support[:group]
        s = np.sign(z[S])
        M = np.vstack([A[:, S], s[None, :]])
        if intercept:
            M = np.hstack([M, np.concatenate([np.ones(n), [0.0]])[:, None]])
        _, sv, vt = np.linalg.svd(M)
        if M.shape[1] <= M.shape[0] and sv[-1] > rank_tol * sv[0]:
            if S.size == support.size:
                break  # the whole support is independent: a vertex of the optimal face
            S = support  # look for a dependency among all remaining columns
            continue_full = _null_vector(A, z, S, intercept, rank_tol)
            if continue_full is None:
                break
            v = continue_full
        else:
            v = vt[-1]
        dz, dxi = v[: S.size], (v[-1] if intercept else 0.0)
        shrinking = dz * z[S] < 0
        if not shrinking.any():
            dz, dxi = -dz, -dxi
            shrinking = dz * z[S] < 0
        if not shrinking.any():
            break
        steps = -z[S][shrinking] / dz[shrinking]
        k = int(np.argmin(steps))
        z[S] += steps[k] * dz
        xi += steps[k] * dxi
        z[S[np.flatnonzero(shrinking)[k]]] = 0.0
        # keep exact signs: a coefficient may only shrink to zero, never cross it
        z[S] = np.where(np.sign(z[S]) == np.sign(s), z[S], 0.0)
    return z, xi


def _null_vector(A, z, S, intercept, rank_tol):
    n = A.shape[0]
    M = np.vstack([A[:, S], np.sign(z[S])[None, :]])
    if intercept:
        M = np.hstack([M, np.concatenate([np.ones(n), [0.0]])[:, None]])
    _, sv, vt = np.linalg.svd(M)
    if M.shape[1] > M.shape[0] or sv[-1] <= rank_tol * sv[0]:
        return vt[-1]
    return None
