"""Convex solution -> network weights (the 'invert' step of each reformulation).

1-D two-layer nets (SPEC 2): one unit per nonzero z_j, with gamma = sqrt|z_j| and orientation s_j, breakpoint c_j:
``w = s_j gamma, b = -s_j c_j gamma, alpha = sign(z_j) gamma``, output bias xi. Then
alpha sigma(w x + b) = z_j sigma(s_j (x - c_j)) and (beta/2)(w^2 + alpha^2) = beta |z_j|.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .dictionaries import RampDictionary1D
from .network import Layer, Network, Penalty, PenaltyTerm

#: coefficients with |z_j| <= ACTIVE_RTOL * max|z| are treated as zero (interior-point solutions are never exactly
#: sparse); dropping them changes the objective by at most beta * sum of dropped |z_j| plus the matching loss change,
#: which the certificate then measures on the network actually returned.
ACTIVE_RTOL = 1e-9


def active_set(z: np.ndarray, rtol: float = ACTIVE_RTOL) -> np.ndarray:
    """Indices of coefficients that count as nonzero, relative to the largest one."""
    z = np.asarray(z, dtype=np.float64)
    if z.size == 0:
        return np.zeros(0, dtype=int)
    zmax = float(np.max(np.abs(z)))
    if zmax == 0.0:
        return np.zeros(0, dtype=int)
    return np.flatnonzero(np.abs(z) > rtol * zmax)


def weight_decay_penalty(beta: float, n_layers: int = 2) -> Penalty:
    """(beta/2) sum of squared weights of both layers; biases unpenalised."""
    return Penalty(
        float(beta),
        [PenaltyTerm(layer=i, coef=0.5, power=2.0) for i in range(n_layers)],
        "(beta/2) * (sum of squared inner weights + sum of squared outer weights); biases unpenalised",
    )


def two_layer_1d_network(z, xi, dictionary: RampDictionary1D, beta: float, bias: str,
                         rtol: float = ACTIVE_RTOL) -> Network:
    """Rebuild a two-layer 1-D net from the Lasso solution (z, xi)."""
    z = np.asarray(z, dtype=np.float64)
    idx = active_set(z, rtol)
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
