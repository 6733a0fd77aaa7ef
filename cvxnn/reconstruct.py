"""Convex solution -> network weights (the 'invert' step of each reformulation).

1-D two-layer nets (SPEC 2): one unit per nonzero z_j, with gamma = sqrt|z_j| and orientation s_j, breakpoint c_j:
``w = s_j gamma, b = -s_j c_j gamma, alpha = sign(z_j) gamma``, output bias xi. Then
alpha sigma(w x + b) = z_j sigma(s_j (x - c_j)) and (beta/2)(w^2 + alpha^2) = beta |z_j|.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .dictionaries import BreakpointDictionary1D
from .network import Layer, Network, Penalty, PenaltyTerm

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
    """Sparsify a Lasso solution without changing its fit A z + xi 1 or its l1 norm (SPEC 4.4).

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


def weight_decay_penalty(beta: float, n_layers: int = 2) -> Penalty:
    """(beta/2) sum of squared weights of both layers; biases unpenalised."""
    return Penalty(
        float(beta),
        [PenaltyTerm(layer=i, coef=0.5, power=2.0) for i in range(n_layers)],
        "(beta/2) * (sum of squared inner weights + sum of squared outer weights); biases unpenalised",
    )


def step_penalty(beta: float, objective: str) -> Penalty:
    """Exact objectives for scale-invariant units (SPEC 2): 'l1-outer' = beta sum |alpha_i| (layer 1 is the
    output layer); 'amplitude' = (beta/2) sum (s_i^2 + alpha_i^2) with the amplitudes s_i as a diagonal layer 1."""
    if objective == "l1-outer":
        return Penalty(float(beta), [PenaltyTerm(layer=1, coef=1.0, power=1.0)],
                       "beta * sum |outer weights|; inner weights and biases unpenalised")
    return Penalty(float(beta), [PenaltyTerm(layer=1, coef=0.5, power=2.0), PenaltyTerm(layer=2, coef=0.5, power=2.0)],
                   "(beta/2) * sum (amplitude^2 + outer weight^2); inner weights and biases unpenalised")


def two_layer_1d_network(z, xi, dictionary: BreakpointDictionary1D, y: np.ndarray, beta: float, bias: str,
                         sign_objective: str = "amplitude") -> Network:
    """Rebuild a two-layer 1-D net from the Lasso solution (z, xi) on targets y.

    sign / threshold units (SPEC 2): w = 1, b = -c_j; 'l1-outer': alpha = z_j; 'amplitude': an amplitude layer
    s = sqrt|z_j| then alpha = sign(z_j) sqrt|z_j|, so (beta/2)(s^2 + alpha^2) = beta |z_j|.
    """
    z = np.asarray(z, dtype=np.float64)
    idx = active_set(z, xi, dictionary.matrix, y, beta)
    if dictionary.activation.name in ("sign", "threshold"):
        return _step_network(z, xi, idx, dictionary, beta, sign_objective)
    gamma = np.sqrt(np.abs(z[idx]))
    s = dictionary.orientations[idx]
    c = dictionary.breakpoints[idx]
    W1 = (s * gamma).reshape(-1, 1)
    b1 = -s * c * gamma
    alpha = np.sign(z[idx]) * gamma
    hidden = Layer(W1, b1, dictionary.activation)
    out = Layer(alpha.reshape(1, -1), [float(xi)], Activation("identity"))
    meta = {"model": "two-layer", "activation": dictionary.activation.to_dict(), "bias_convention": bias,
            "dictionary_columns": [int(j) for j in idx]}
    return Network([hidden, out], weight_decay_penalty(beta), meta)


def _step_network(z, xi, idx, dictionary, beta, objective) -> Network:
    c = dictionary.breakpoints[idx]
    hidden = Layer(np.ones((idx.size, 1)), -c, dictionary.activation)
    meta = {"model": "two-layer", "activation": dictionary.activation.to_dict(), "bias_convention": "free",
            "sign_objective": objective, "dictionary_columns": [int(j) for j in idx]}
    identity = Activation("identity")
    if objective == "l1-outer":
        out = Layer(z[idx].reshape(1, -1), [float(xi)], identity)
        return Network([hidden, out], step_penalty(beta, objective), meta)
    gamma = np.sqrt(np.abs(z[idx]))
    amplitude = Layer(np.diag(gamma), np.zeros(idx.size), identity)
    out = Layer((np.sign(z[idx]) * gamma).reshape(1, -1), [float(xi)], identity)
    return Network([hidden, amplitude, out], step_penalty(beta, objective), meta)
