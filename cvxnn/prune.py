"""Model-agnostic post-processing of a convex solution: which coefficients are solver noise, and Caratheodory
pruning to at most n + 1 units with the same fit and the same l1 norm (theory: "Merging and pruning").

Interior-point solutions are never exactly sparse: every coefficient the exact optimum has at zero comes back as
"dust" of size ~ the solver's tolerance. :func:`prune_solution` first drops the dust (:func:`active_set`), then,
only if more units remain than a vertex of the optimal face can have, moves to such a vertex on the remaining
support (:func:`caratheodory_prune`, one LP). Both steps work with the dictionary as an operator (``apply``,
``column_norms``, ``columns`` on the support), so no dense dictionary is built for them.
"""

from __future__ import annotations

import numpy as np

#: Which coefficients are noise. Coefficients below ZERO_RTOL * max|z| are zero. Of the rest, units whose whole
#: contribution ||z_j A_j||_2 to the fit is below level * ||y||_2 are dropped, for the largest level in PRUNE_LEVELS
#: such that the Lasso objective rises by at most PRUNE_OBJECTIVE_RTOL * max(1, objective) and, when the
#: certificate will use the network's residual as its dual point (no dual vector from the solver), the fit moves by
#: at most PRUNE_FIT_RTOL * ||y||: both computed exactly for the set D dropped (the fit change is ||A z_D||, the l1
#: change sum_{j in D} |z_j|: :func:`dust_change`). With the solver's dual the certified gap depends on the
#: objective alone (to first order); with the residual it depends on the fit, hence the second bound. The
#: certificate then measures the network actually returned, so pruning can never make a false claim.
ZERO_RTOL = 1e-12
PRUNE_LEVELS = (1e-6, 1e-7, 1e-8, 1e-9)
PRUNE_OBJECTIVE_RTOL = 1e-10
PRUNE_FIT_RTOL = 1e-9
#: supports with fewer columns than rows are still moved to a vertex (dependent columns dropped) when the support
#: matrix has at most this many entries; above it only supports larger than a vertex can be are pruned
VERTEX_ALWAYS_ENTRIES = 4_000_000


def _apply(A, z) -> np.ndarray:
    return A.apply(z) if hasattr(A, "apply") else A @ z


def _column_norms(A, idx) -> np.ndarray:
    return A.column_norms(idx) if hasattr(A, "column_norms") else np.linalg.norm(A[:, idx], axis=0)


def _columns(A, idx) -> np.ndarray:
    return A.columns(idx) if hasattr(A, "columns") else A[:, idx]


def lasso_objective(A, y, z, xi, beta, weights=None) -> float:
    """(1/2)||y - A z - xi||^2 + beta sum_j c_j |z_j|; A a matrix or an operator with ``apply``."""
    res = y - _apply(A, z) - xi
    a = np.abs(z)
    return 0.5 * float(res @ res) + beta * float(np.sum(a if weights is None else weights * a))


def active_set(z, xi, A, y, beta, weights=None, fit_rtol: float | None = None) -> np.ndarray:
    """Indices of the coefficients kept as units (see the thresholds above); A a matrix or an operator; fit_rtol
    bounds the fit change (None: not bounded). An operator with ``repair(z)`` (a program with a constraint on z,
    such as sum z = 0) has every candidate repaired before it is evaluated."""
    fix = getattr(A, "repair", lambda v: v)
    z = np.asarray(z, dtype=np.float64)
    zmax = float(np.max(np.abs(z))) if z.size else 0.0
    if zmax == 0.0:
        return np.zeros(0, dtype=int)
    nonzero = np.abs(z) > ZERO_RTOL * zmax
    idx = np.flatnonzero(nonzero)
    full = lasso_objective(A, y, fix(np.where(nonzero, z, 0.0)), xi, beta, weights)
    contribution = np.zeros(z.size)
    contribution[idx] = np.abs(z[idx]) * _column_norms(A, idx)
    ynorm = float(np.linalg.norm(y))
    for level in PRUNE_LEVELS:
        keep = nonzero & (contribution > level * ynorm)
        candidate = fix(np.where(keep, z, 0.0))
        if fit_rtol is not None and np.linalg.norm(_apply(A, np.where(nonzero, z, 0.0) - candidate)) > \
                fit_rtol * max(ynorm, 1e-300):
            continue
        if lasso_objective(A, y, candidate, xi, beta, weights) <= full + PRUNE_OBJECTIVE_RTOL * max(1.0, full):
            return np.flatnonzero(candidate)
    return idx


def dust_change(z, keep, A) -> dict:
    """What dropping every coefficient outside ``keep`` changes: the fit (2-norm, exact) and the l1 norm."""
    z = np.asarray(z, dtype=np.float64)
    dropped = np.where(np.isin(np.arange(z.size), keep), 0.0, z)
    return {"fit": float(np.linalg.norm(_apply(A, dropped))), "l1": float(np.sum(np.abs(dropped)))}


def prune_solution(dictionary, z, xi, y, beta, intercept: bool, residual_dual: bool = False, vertex: bool = True):
    """Drop the solver's dust, then (``vertex``) Caratheodory-prune the rest to at most n + 1 units (n with an
    intercept): the solution actually returned (z, xi), whose nonzeros are the units the network is rebuilt from.
    ``residual_dual``: the certificate will use the network's residual (the solver gave no dual vector), so the fit
    change is bounded too. A dictionary with ``prunable = False`` gets the dust step only."""
    z = np.asarray(z, dtype=np.float64)
    if hasattr(dictionary, "prune"):  # a composite dictionary prunes its own parts (free columns kept)
        return dictionary.prune(z, xi, y, beta, intercept, residual_dual, vertex)
    keep = active_set(z, xi, dictionary, y, beta, getattr(dictionary, "weights", None),
                      PRUNE_FIT_RTOL if residual_dual else None)
    out = np.zeros_like(z)
    if keep.size == 0:
        return out, xi
    if not vertex or not getattr(dictionary, "prunable", True):
        out[keep] = z[keep]
        return getattr(dictionary, "repair", lambda v: v)(out), xi
    sparse = getattr(dictionary, "fit_map", None)
    M = sparse(keep) if sparse is not None else None
    if M is not None:  # the fit as a sparse map: the vertex LP never builds dense columns
        zk, xi = caratheodory_prune(M, z[keep], xi, intercept, bias_row=0)
        out[keep] = zk
        return out, xi
    limit = len(y) + (0 if intercept else 1)
    if keep.size <= limit and len(y) * keep.size > VERTEX_ALWAYS_ENTRIES:
        out[keep] = z[keep]
        return out, xi
    zk, xi = caratheodory_prune(_columns(dictionary, keep), z[keep], xi, intercept)
    out[keep] = zk
    return out, xi


def caratheodory_prune(A, z: np.ndarray, xi: float, intercept: bool, rank_tol: float = 1e-10,
                       bias_row: int | None = None):
    """Sparsify a Lasso solution without changing its fit A z + xi 1 or its l1 norm (theory: "Merging and pruning").

    Every point of the polytope {u >= 0 : (A S) u + xi 1 = A z + xi0 1, 1^T u = ||z||_1} (S = diag(sign z), xi free
    with an intercept) has the same fit and the same l1 norm, hence the same objective, and a vertex of it has at
    most as many nonzeros as there are equality rows (n + 1). One LP, solved by the dual simplex method (which ends
    on a vertex), finds one; it is checked (fit and l1 norm to 1e-10 relative, signs kept). ``A`` may be a sparse
    map M with A z = A z' iff M z = M z' (the O(n) 1-D operators), the output bias entering its row ``bias_row``
    only: then nothing dense is built. Should the LP fail, a stored A goes to the column-at-a-time method
    (:func:`caratheodory_steps`); a sparse map keeps z. Returns (z, xi)."""
    import scipy.sparse as sp

    z = np.asarray(z, dtype=np.float64).copy()
    zmax = float(np.max(np.abs(z))) if z.size else 0.0
    if zmax == 0.0:
        return z, xi
    z[np.abs(z) <= ZERO_RTOL * zmax] = 0.0
    support = np.flatnonzero(z)
    sparse = sp.issparse(A)
    if support.size <= 1 or (not sparse and support.size <= A.shape[0] + (0 if intercept else 1)
                             and A.shape[0] * support.size > VERTEX_ALWAYS_ENTRIES):
        return z, xi
    As = A.tocsc()[:, support] if sparse else A[:, support]
    vertex = _vertex(As, z[support], xi, intercept, bias_row if sparse else None)
    if vertex is not None:
        out = np.zeros_like(z)
        out[support], xi = vertex
        return out, xi
    return (z, xi) if sparse else caratheodory_steps(A, z, xi, intercept, rank_tol)


def _vertex(A, z, xi, intercept, bias_row=None):
    """A vertex of the face above (see :func:`caratheodory_prune`), or None."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n, k = A.shape
    s = np.sign(z)
    u0 = np.abs(z)
    B = sp.csr_matrix(A.multiply(s[None, :])) if sp.issparse(A) else A * s[None, :]
    target = np.asarray(B @ u0).reshape(-1)
    if intercept:
        bias = np.zeros(n) if bias_row is not None else np.ones(n)
        if bias_row is not None:
            bias[bias_row] = 1.0
        target = target + xi * bias
    top = sp.hstack([sp.csr_matrix(B), sp.csr_matrix(bias[:, None])]) if intercept else sp.csr_matrix(B)
    bottom = sp.csr_matrix(np.concatenate([np.ones(k), [0.0] if intercept else []])[None, :])
    rows = sp.vstack([top, bottom]).tocsr()
    b = np.concatenate([target, [u0.sum()]])
    bounds = [(0, None)] * k + ([(None, None)] if intercept else [])
    res = linprog(np.zeros(rows.shape[1]), A_eq=rows, b_eq=b, bounds=bounds, method="highs-ds")
    if res.status != 0 or res.x is None:
        return None
    u = np.where(res.x[:k] > 0, res.x[:k], 0.0)
    new_xi = float(res.x[k]) if intercept else xi
    fit = np.asarray(B @ u).reshape(-1) + (new_xi * bias if intercept else 0.0)
    scale = max(1.0, float(np.linalg.norm(target)))
    if np.linalg.norm(fit - target) > 1e-10 * scale or abs(u.sum() - u0.sum()) > 1e-10 * max(1.0, u0.sum()) \
            or np.count_nonzero(u) > rows.shape[0]:
        return None
    return s * u, new_xi


def caratheodory_steps(A: np.ndarray, z: np.ndarray, xi: float, intercept: bool, rank_tol: float = 1e-10):
    """Sparsify a Lasso solution one column at a time, without changing its fit A z + xi 1 or its l1 norm.
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
