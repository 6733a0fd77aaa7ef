"""The exact finite dictionary of l1-normalised two-layer absolute-value nets in d dimensions (theory: "Wedges:
l1-normalised absolute-value nets").

Net ``f(x) = sum_i alpha_i |w_i^T x + b_i| + xi`` with penalty ``(beta/2) sum_i (||w_i||_1^2 + alpha_i^2)``, inner
biases b and output bias xi free. |.| is positively homogeneous, so AM-GM turns training into the Lasso
``min (1/2)||A z + xi 1 - y||^2 + beta ||z||_1`` over the units with ||w||_1 = 1, and the dual constraint is
``sup_{||w||_1 = 1, b} |lam^T |X w + b|| <= beta`` (lam centred, because xi is free).

Why a finite dictionary is exact. For a fixed w, b -> lam^T |X w + b| is piecewise linear with kinks at
b = -w^T x_j and constant (sum lam = 0) outside the data range, so its sup is at b = -w^T x_j for some data point j.
For that j, w -> lam^T |(X - x_j) w| is linear on each cone of the central arrangement of the hyperplanes
(x_i - x_j)^T w = 0; intersected with one orthant and the l1 ball, each cone gives a polytope whose nonzero vertices
lie on the facet sum_k s_k w_k = 1 and have d - 1 further independent active constraints, of the form w_k = 0
(k outside a support S, |S| = m) or (x_i - x_j)^T w = 0 (m - 1 of them). So w_S spans the null space of the
(m-1) x m matrix with rows (x_{p_k} - x_j)_S: the generalised cross product (cofactor vector) of those rows, and the
max of |linear| over a polytope is at a vertex. The argument does not depend on d.

Columns: for m = 1..d, every set of m training points {p_1, ..., p_m} and every coordinate set S with |S| = m:
``u_S = cofactor vector of the rows (x_{p_k} - x_{p_1})_S, k = 2..m`` (u_S = 1 for m = 1: an axis), u = 0 off S,
u /= ||u||_1, column ``|(x - x_{p_1})^T u|`` (the offset -u^T x_{p_1} is the same for every p_k). That is
``sum_{m=1}^d C(d, m) C(n, m) = C(n + d, d) - 1`` candidates; degenerate (zero) and duplicate columns are removed.

Reconstruction: ``w = sqrt|z_j| u_j, b = -sqrt|z_j| u_j^T x_{p_1}, alpha = sign(z_j) sqrt|z_j|``, so a unit computes
z_j times column j and costs (beta/2)(||w||_1^2 + alpha^2) = beta |z_j|.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from ..activations import Activation
from ..colgen import dictionary_program
from ..errors import InvalidDataError, ProblemTooLargeError, UnsupportedCombinationError
from ..network import Layer, Network, Penalty, PenaltyTerm
from ..program import DenseColumns
from ..validation import feature_inputs, input_scale
from .base import Model, check_two_layer, dictionary_inputs

ORACLE = ("wedge vertices of the l1 ball: all units |u.(x - x_p)|, u the l1-normalised generalised cross product of "
          "up to d - 1 data differences on a coordinate support (exact for every d)")
DEDUPE_DECIMALS = 9  # columns are equal when they agree after rounding at 1e-9 * scale


def wedge_size(n: int, d: int) -> int:
    """Number of candidate columns before removing degenerate / duplicate ones: sum_{m=1}^d C(d,m) C(n,m)
    = C(n + d, d) - 1 (Vandermonde)."""
    return math.comb(int(n) + int(d), int(d)) - 1


def l1_weight_decay_penalty(beta: float) -> Penalty:
    """(beta/2) sum_i (||w_i||_1^2 + alpha_i^2); biases unpenalised."""
    return Penalty(
        float(beta),
        [PenaltyTerm(layer=0, coef=0.5, power=2.0, norm="l1-row"), PenaltyTerm(layer=1, coef=0.5, power=2.0)],
        "(beta/2) * (sum of squared l1 norms of the inner weight rows + sum of squared outer weights); "
        "biases unpenalised",
    )


def cofactor_vectors(R: np.ndarray) -> np.ndarray:
    """Generalised cross products of a stack of (m-1) x m matrices R (shape (K, m-1, m)): u_k = (-1)^k det(R
    without column k), so R u = 0 (expansion of a determinant with a repeated row). For m = 1 returns ones."""
    K, rows, m = R.shape
    if m == 1:
        return np.ones((K, 1))
    out = np.empty((K, m))
    for k in range(m):
        cols = [c for c in range(m) if c != k]
        out[:, k] = (-1.0) ** k * np.linalg.det(R[:, :, cols])
    return out


def _candidates(X: np.ndarray):
    """All C(n + d, d) - 1 candidates: directions U (K, d) (l1-normalised; rows of zeros where degenerate), pivot
    point indices (K,), the point sets and the supports."""
    n, d = X.shape
    scale = input_scale(X)
    U_all, pivots, point_sets, supports = [], [], [], []
    for m in range(1, d + 1):
        if m > n:
            break
        combos = np.array(list(itertools.combinations(range(n), m)), dtype=int)  # (C(n, m), m)
        D = X[combos[:, 1:]] - X[combos[:, :1]]  # (C(n, m), m - 1, d)
        for S in itertools.combinations(range(d), m):
            S = list(S)
            uS = cofactor_vectors(D[:, :, S])
            norm = np.sum(np.abs(uS), axis=1)
            ok = norm > 1e-13 * scale ** (m - 1)
            U = np.zeros((combos.shape[0], d))
            U[np.ix_(ok, S)] = uS[ok] / norm[ok, None]
            U_all.append(U)
            pivots.append(combos[:, 0])
            point_sets.extend(tuple(int(p) for p in c) for c in combos)
            supports.extend([tuple(S)] * combos.shape[0])
    U = np.concatenate(U_all) if U_all else np.zeros((0, d))
    piv = np.concatenate(pivots) if pivots else np.zeros(0, dtype=int)
    return U, piv, point_sets, supports


def _wedge_features(Xnew: np.ndarray, U: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return np.abs(Xnew @ U.T + offsets[None, :])


@dataclass
class WedgeDictionary(DenseColumns):
    """Columns ``|u_j^T (x - x_{p_j})|`` with ||u_j||_1 = 1, evaluated at the training points X (n, d)."""

    X: np.ndarray  # (n, d) training inputs
    directions: np.ndarray  # (m, d), l1-normalised
    pivots: np.ndarray  # (m,) index of the training point x_{p_1} the hyperplane passes through
    point_sets: list = field(default_factory=list)  # per column, the training points used (p_1, ..., p_m)
    supports: list = field(default_factory=list)  # per column, the coordinate set S
    n_candidates: int = 0  # candidates enumerated before removing degenerate / duplicate columns

    activation = Activation("abs")
    oracle = ORACLE

    def __post_init__(self):
        self.X = np.asarray(self.X, dtype=np.float64)
        self.directions = np.asarray(self.directions, dtype=np.float64).reshape(-1, self.X.shape[1])
        self.pivots = np.asarray(self.pivots, dtype=int).reshape(-1)
        self.offsets = -np.einsum("jd,jd->j", self.directions, self.X[self.pivots]) if self.pivots.size else \
            np.zeros(0)
        self.matrix = _wedge_features(self.X, self.directions, self.offsets)

    @property
    def size(self) -> int:
        return int(self.directions.shape[0])

    @property
    def input_dim(self) -> int:
        return int(self.X.shape[1])

    def features(self, X) -> np.ndarray:
        """The columns evaluated at new points X of shape (k, d) (or (k,) when d = 1); returns (k, m)."""
        return _wedge_features(feature_inputs(X, self.input_dim), self.directions, self.offsets)

    def columns(self, idx) -> np.ndarray:
        return self.matrix[:, np.asarray(idx, dtype=int)]

    def describe(self, j: int) -> str:
        u = ", ".join(f"{v:.6g}" for v in self.directions[j])
        return f"|u.(x - x_{int(self.pivots[j])})|, u = [{u}]"

    def unit(self, j: int) -> dict:
        return {"direction": [float(v) for v in self.directions[j]], "offset": float(self.offsets[j]),
                "pivot": int(self.pivots[j]),
                "points": list(self.point_sets[j]) if self.point_sets else [int(self.pivots[j])],
                "support": list(self.supports[j]) if self.supports else None}

    def scores(self, lam) -> np.ndarray:
        return self.matrix.T @ np.asarray(lam, dtype=np.float64)

    def dual_sup(self, lam, X, bias):
        """Exact sup over ALL units (||w||_1 = 1, any b) of |lam^T |X w + b|| for centred lam: the max over the
        columns (theory: "Wedges: l1-normalised absolute-value nets"). Only the free-bias convention is exact."""
        if bias != "free":
            raise UnsupportedCombinationError(
                f"the wedge dictionary is exact for bias='free' only (free inner biases and output bias); received "
                f"bias={bias!r}."
            )
        sc = np.abs(self.scores(lam))
        if not sc.size:
            return 0.0, {}
        j = int(np.argmax(sc))
        return float(sc[j]), self.unit(j)

    def subset(self, idx) -> "WedgeDictionary":
        idx = np.asarray(idx, dtype=int)
        return WedgeDictionary(self.X, self.directions[idx], self.pivots[idx],
                               [self.point_sets[j] for j in idx] if self.point_sets else [],
                               [self.supports[j] for j in idx] if self.supports else [], self.n_candidates)

    def to_network(self, z, xi, y, beta, bias, architecture=None) -> Network:
        """w = sqrt|z_j| u_j, b = -sqrt|z_j| u_j^T x_{p_j}, alpha = sign(z_j) sqrt|z_j|: unit j computes
        z_j |u_j^T (x - x_{p_j})| and costs beta |z_j| under the l1-row penalty."""
        z = np.asarray(z, dtype=np.float64)
        idx = np.flatnonzero(z)
        g = np.sqrt(np.abs(z[idx]))
        W1 = g[:, None] * self.directions[idx]
        b1 = g * self.offsets[idx]
        alpha = np.sign(z[idx]) * g
        hidden = Layer(W1.reshape(idx.size, self.input_dim), b1, self.activation)
        out = Layer(alpha.reshape(1, -1), [float(xi)], Activation("identity"))
        meta = {"model": "two-layer", "activation": self.activation.to_dict(), "inner_norm": "l1",
                "bias_convention": "free", "dictionary_columns": [int(j) for j in idx],
                "units": [self.unit(int(j)) for j in idx]}
        return Network([hidden, out], l1_weight_decay_penalty(beta), meta)


def _dedupe(A: np.ndarray, scale: float) -> np.ndarray:
    """Indices of the first occurrence of each distinct nonzero column (equal after rounding at 1e-9 * scale)."""
    if A.shape[1] == 0:
        return np.zeros(0, dtype=int)
    key = np.round(A / scale, DEDUPE_DECIMALS)
    _, idx = np.unique(key, axis=1, return_index=True)
    idx = np.sort(idx)
    return idx[np.any(key[:, idx] != 0, axis=0)]


def wedge_dictionary(X, max_columns: int = 200_000, *, dedupe: bool = True) -> WedgeDictionary:
    """The exact dictionary of l1-normalised two-layer abs nets with free biases on X (n, d) (theory: "Wedges:
    l1-normalised absolute-value nets").

    The candidate count C(n + d, d) - 1 is checked against ``max_columns`` before anything is built. With
    ``dedupe=False`` only degenerate candidates (zero cross product) are removed; otherwise zero columns and
    duplicate columns (equal after rounding at 1e-9 * the data scale; the first, i.e. simplest, is kept) go too.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[0] < 1:
        raise InvalidDataError(f"wedge_dictionary needs inputs of shape (n, d); received shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        raise InvalidDataError("wedge_dictionary needs finite inputs; X contains NaN or inf.")
    n, d = X.shape
    count = wedge_size(n, d)
    if count > max_columns:
        raise ProblemTooLargeError(
            f"the l1 absolute-value (wedge) dictionary on n = {n} points in d = {d} dimensions has "
            f"C(n + d, d) - 1 = {count:,} candidate columns, above the budget max_columns = {max_columns:,}. Use "
            "fewer points or fewer input dimensions (memory grows like n * columns); in Python, "
            "cvxnn.models.wedge.wedge_dictionary(X, max_columns=...) builds a larger dictionary."
        )
    U, piv, point_sets, supports = _candidates(X)
    keep = np.flatnonzero(np.any(U != 0, axis=1))
    full = WedgeDictionary(X, U[keep], piv[keep], [point_sets[j] for j in keep], [supports[j] for j in keep], count)
    if not dedupe:
        return full
    return full.subset(_dedupe(full.matrix, input_scale(X)))


# ------------------------------------------------------------------------------------------------ the model
class WedgeModel(Model):
    """Two-layer absolute-value nets with l1-normalised inner weights and free biases, in any d."""

    name = "wedge"
    modes = ("training", "interpolation")

    def size_estimate(self, X, architecture) -> dict:
        return {"kind": "wedge columns", "count": wedge_size(*X.shape)}

    def build(self, X, y, architecture, beta, *, bias, mode, duplicates, progress):
        dictionary_inputs(X, y, bias, mode, duplicates)
        return dictionary_program(X, y, architecture, beta, wedge_dictionary(X), bias, mode, duplicates,
                                  column_generation=architecture.column_generation)

    def penalty(self, architecture, bias, beta):
        return l1_weight_decay_penalty(beta)

    def check_network(self, net, architecture) -> None:
        check_two_layer(net)


MODEL = WedgeModel()
