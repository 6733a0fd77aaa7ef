"""The exact angular oracle of three-layer absolute-value nets with l2-normalised inner weights in d = 2 (theory:
"Three-layer absolute-value nets in d dimensions"): on every arc between consecutive kink angles each vertex label's
dual score is a linear function c^T v of the unit direction v, whose maximum over the arc is closed form."""

from __future__ import annotations

import math

import numpy as np

from .pool import Labels, kink_normals, label_scores

ORACLE_L2_ARCS = ("exact angular oracle (d = 2): closed-form max of the linear piece c^T v on every arc between "
                  "consecutive kink angles, for every vertex label")


def distinct_units(candidates, top: int, tol: float) -> list:
    """The first ``top`` distinct units among ``candidates`` (value, v, label), read in the order given (best first)
    and only until ``top`` are taken: a candidate is skipped when a unit already taken for its label has a direction
    within ``tol`` of its own, min(||v - u||, ||v + u||) <= tol (F(-v) = F(v): v and -v are one unit). At least one
    unit is taken when there is a candidate."""
    out = []
    taken: dict[int, list] = {}
    for val, v, lab in candidates:
        same = taken.setdefault(lab, [])
        if any(min(np.linalg.norm(v - u), np.linalg.norm(v + u)) <= tol for u in same):
            continue
        same.append(v)
        out.append((val, v, lab))
        if len(out) >= top:
            break
    return out


def arc_oracle(X: np.ndarray, lam: np.ndarray, top: int = 0):
    """EXACT sup over ||v||_2 = 1 (d = 2) and all (a1, a2) of |lam^T ||X v - a1| - a2||.

    Kink angles (directions normal to a kink normal) plus 0 and pi/2 split [0, pi) into arcs shorter than pi/2; on
    each arc every label's lam^T F is c^T v, c solved from the values at the two ends; the max of |c^T v| on the
    arc is ||c|| when +-c/||c|| lies in the arc, else the larger end value. Returns (sup, best list) where best
    holds up to ``top`` (value, v, label) maximisers, v a unit vector, no two of one label within 1e-10
    (:func:`distinct_units`)."""
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

        def candidates():  # best first; the direction of each (arc, label) maximiser
            for flat in order:
                k, lab = np.unravel_index(flat, val.shape)
                if inside[k, lab]:
                    ang = phi_in[k, lab]
                else:
                    ang = ta[k] if abs(Sa[k, lab]) >= abs(Sb[k, lab]) else tb[k]
                yield float(val[k, lab]), np.array([math.cos(ang), math.sin(ang)]), int(lab)

        best = distinct_units(candidates(), top, tol=1e-10)
    return sup, best
