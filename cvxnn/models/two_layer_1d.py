"""Two-layer nets on 1-D data with free biases (relu, leaky, abs, sign, threshold): the finite breakpoint dictionary,
its exact dual oracle and the reconstruction of the layered net (theory: "Two-layer nets on 1-D data").

Apply. A 1-D two-layer unit with unit inner weight is ``sigma(s (x - c))`` with orientation s = +-1 and breakpoint c.
With a free output bias, the dual constraint over all (s, c) is attained at breakpoints on data points, so the
dictionary is one column per (orientation, data point):

- relu:  (x_i - x_j)_+ and (x_j - x_i)_+    (the two identically-zero columns are dropped)
- leaky: s_a(x_i - x_j) and s_a(x_j - x_i)  with s_a(u) = max(u, a u)
- abs:   |x_i - x_j|

Without biases (``bias='none'``) a unit is sigma(s x): the dictionary is the one or two columns with c = 0.

sign and threshold units are constant in c inside each gap between data points, so one breakpoint per gap suffices:
c_j = (x_{j-1} + x_j) / 2, j = 2..n, columns sign(x_i - c_j) or 1{x_i >= c_j}. A breakpoint AT a data point gives
the average of the two neighbouring gap columns (sign(0) = 0), and c outside the data range gives a constant, which
the free output bias absorbs; the opposite orientation is a sign flip (sign) or a constant minus a column
(threshold).

Invert. One unit per nonzero z_j, gamma = sqrt|z_j|: ``w = s_j gamma, b = -s_j c_j gamma, alpha = sign(z_j) gamma``,
output bias xi, so alpha sigma(w x + b) = z_j sigma(s_j (x - c_j)) and (beta/2)(w^2 + alpha^2) = beta |z_j|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..activations import Activation
from ..colgen import dictionary_program
from ..network import Layer, Network, Penalty, PenaltyTerm
from ..program import DenseColumns
from .base import Model, check_two_layer, dictionary_inputs, with_linear_term
from .hinges_1d import Grid1D, KinkOperator, StepOperator
from .symmetry_1d import symmetries


@dataclass
class BreakpointDictionary1D(DenseColumns):
    """Columns ``sigma(orientation_j * (x - breakpoint_j))`` at the training points x, as an O(n) operator
    (:mod:`cvxnn.models.hinges_1d`; ``formulation='sparse'``) or as a stored n x K matrix (``'dense'``, and always
    for bias 'none', whose breakpoint 0 need not be a data point)."""

    x: np.ndarray  # (n,) training inputs
    breakpoints: np.ndarray  # (K,)
    orientations: np.ndarray  # (K,) of +-1
    activation: Activation
    formulation: str = "sparse"

    def __post_init__(self):
        self.x = np.asarray(self.x, dtype=np.float64).reshape(-1)
        self.grid = Grid1D.of(self.x)
        self.operator = None
        if self.formulation == "sparse":
            self.operator = column_operator(self.grid, self.breakpoints, self.orientations, self.activation)
        self.matrix = self.features(self.x) if self.operator is None else None

    @property
    def size(self) -> int:
        return int(self.breakpoints.size)

    def apply(self, z) -> np.ndarray:
        return DenseColumns.apply(self, z) if self.operator is None else self.operator.apply(z)

    def scores(self, lam) -> np.ndarray:
        return DenseColumns.scores(self, lam) if self.operator is None else self.operator.scores(lam)

    def columns(self, idx) -> np.ndarray:
        return DenseColumns.columns(self, idx) if self.operator is None else self.operator.columns(idx)

    def column_norms(self, idx) -> np.ndarray:
        return DenseColumns.column_norms(self, idx) if self.operator is None else self.operator.column_norms(idx)

    def cvxpy_fit(self, z, xi=None):
        return DenseColumns.cvxpy_fit(self, z, xi) if self.operator is None else self.operator.cvxpy_fit(z, xi)

    def fit_map(self, idx):
        """A sparse equivalent of the columns idx for pruning (:meth:`KinkOperator.fit_map`); None when stored."""
        return None if self.operator is None else self.operator.fit_map(idx)

    def features(self, x) -> np.ndarray:
        """The dictionary's columns evaluated at new points x (shape (k,) or (k, 1)); returns (k, K)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
        return self.activation(self.orientations[None, :] * (x - self.breakpoints[None, :]))

    def describe(self, j: int) -> str:
        if self.activation.name in ("sign", "threshold"):
            return f"{self.activation.name}(x - {self.breakpoints[j]:.6g})"
        side = "+" if self.orientations[j] > 0 else "-"
        return f"{self.activation.name}({side}(x - {self.breakpoints[j]:.6g}))"

    def unit(self, j: int) -> dict:
        return {"orientation": float(self.orientations[j]), "breakpoint": float(self.breakpoints[j])}

    def dual_sup(self, lam, X, bias):
        """Exact sup over all two-layer units: see :func:`dual_sup_two_layer_1d`."""
        return dual_sup_two_layer_1d(lam, np.asarray(X).reshape(len(lam), -1)[:, 0], self.activation, bias)

    @property
    def oracle(self) -> str:
        if self.activation.name in ("sign", "threshold"):
            return "breakpoints at data points and gap midpoints, both orientations (exact for 1-D step units)"
        if self.orientations.size and np.all(self.breakpoints == 0):
            return "both unit orientations (exact for bias-free 1-D two-layer nets)"
        return "breakpoints at data points, both orientations (exact for 1-D two-layer nets)"

    def subset(self, idx) -> "BreakpointDictionary1D":
        """The columns idx as a stored dictionary (the working set of column generation)."""
        idx = np.asarray(idx, dtype=int)
        return BreakpointDictionary1D(self.x, self.breakpoints[idx], self.orientations[idx], self.activation, "dense")

    def to_network(self, z, xi, y, beta, bias, architecture):
        return two_layer_1d_network(z, xi, self, y, beta, bias, getattr(architecture, "sign_objective", "amplitude"))


def column_operator(grid: Grid1D, breakpoints, orientations, activation: Activation):
    """The O(n) operator of the columns sigma(s_j (x - c_j)) with breakpoints c_j on the data (kink columns) or at
    gap midpoints (step columns); None when a breakpoint is neither (bias 'none')."""
    c, s = np.asarray(breakpoints, dtype=np.float64), np.asarray(orientations, dtype=np.float64)
    t = grid.t
    if activation.name in ("sign", "threshold"):
        gap = np.searchsorted(t, c) - 1  # c lies strictly inside (t_gap, t_gap+1)
        if np.any(gap < 0) or np.any(gap >= t.size - 1):
            return None
        first = activation(s * (t[0] - c))
        jump = activation(s * (t[gap + 1] - c)) - activation(s * (t[gap] - c))
        return StepOperator(grid, gap, jump, first)
    b = np.searchsorted(t, c)
    if np.any(b >= t.size) or np.any(t[np.minimum(b, t.size - 1)] != c):
        return None
    # sigma(s(x - c)) for positively homogeneous sigma: slope -sigma(-s) before c, sigma(s) after it
    return KinkOperator(grid, b, -activation(-s), activation(s), activation(s * (t[0] - c)))


def unit_orientations(activation: Activation) -> tuple[float, ...]:
    """Orientations that give distinct features: abs is even, so one orientation suffices."""
    return (1.0,) if activation.name == "abs" else (1.0, -1.0)


def gap_midpoints(x: np.ndarray) -> np.ndarray:
    """Midpoints between consecutive distinct points of x."""
    u = np.unique(np.asarray(x, dtype=np.float64))
    return 0.5 * (u[:-1] + u[1:])


def two_layer_1d(x: np.ndarray, activation: Activation, bias: str, formulation: str = "sparse") \
        -> BreakpointDictionary1D:
    """The exact dictionary of a two-layer net on the 1-D points x: breakpoints at the data (both orientations;
    one for abs), without the columns that vanish on the data; gap midpoints for step units."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if activation.name in ("sign", "threshold"):
        c = gap_midpoints(x)
        return BreakpointDictionary1D(x, c, np.ones(c.size), activation, formulation)
    centres = np.unique(x) if bias == "free" else np.zeros(1)
    orientations = np.concatenate([np.full(centres.shape, s) for s in unit_orientations(activation)])
    breakpoints = np.tile(centres, len(unit_orientations(activation)))
    # sigma(s (x - c)) vanishes on the data when every point is on its flat side: relu at the last point (s = +1)
    # or the first (s = -1)
    lo, hi = float(x.min()), float(x.max())
    flat = activation(orientations * (hi - breakpoints)) == 0.0
    flat &= activation(orientations * (lo - breakpoints)) == 0.0
    keep = ~flat
    return BreakpointDictionary1D(x, breakpoints[keep], orientations[keep], activation,
                                  formulation if bias == "free" else "dense")


# ------------------------------------------------------------------------------------------------ dual oracle
def dual_sup_two_layer_1d(lam, x, activation: Activation, bias: str):
    """sup over all units |lam^T sigma(w x + b)| for two-layer 1-D nets, per unit-normalised |w| = 1, in
    O(n log n).

    With bias 'free' (lam must sum to zero) a unit's feature sigma(s(x - c)) is affine in the breakpoint c between
    consecutive data points and, outside the data range, equals a data-breakpoint feature plus a constant, which
    lam annihilates; so the sup is a max over breakpoints at the data points, both orientations (scored all at once
    by the operator of :mod:`cvxnn.models.hinges_1d`). sign / threshold units are constant in c inside each gap, and
    a breakpoint at a data point gives the average of the two neighbouring gap features (sign(0) = 0) or one of them
    (threshold): the max over the gap midpoints is the sup. Units with w = 0 are constants (value 0). With bias
    'none' the units are sigma(+x) and sigma(-x). Returns (M, the maximising unit as a dict).
    """
    lam = np.asarray(lam, dtype=np.float64).reshape(-1)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    grid = Grid1D.of(x)
    if bias != "free":
        scores = np.array([float(lam @ activation(s * x)) for s in (1.0, -1.0)])
        j = int(np.argmax(np.abs(scores)))
        return float(abs(scores[j])), {"orientation": (1.0, -1.0)[j], "breakpoint": 0.0}
    if activation.name in ("sign", "threshold"):
        if grid.m < 2:
            return 0.0, {"orientation": 1.0, "breakpoint": float(grid.t[0])}
        c = 0.5 * (grid.t[:-1] + grid.t[1:])
        s = np.ones(c.size)
    else:
        c = np.concatenate([grid.t, grid.t])
        s = np.concatenate([np.ones(grid.m), -np.ones(grid.m)])
    scores = column_operator(grid, c, s, activation).scores(lam)
    j = int(np.argmax(np.abs(scores)))
    return float(abs(scores[j])), {"orientation": float(s[j]), "breakpoint": float(c[j])}


# ------------------------------------------------------------------------------------------------ invert
def weight_decay_penalty(beta: float, n_layers: int = 2) -> Penalty:
    """(beta/2) sum of squared weights of both layers; biases unpenalised."""
    return Penalty(
        float(beta),
        [PenaltyTerm(layer=i, coef=0.5, power=2.0) for i in range(n_layers)],
        "(beta/2) * (sum of squared inner weights + sum of squared outer weights); biases unpenalised",
    )


def step_penalty(beta: float, objective: str) -> Penalty:
    """Exact objectives for scale-invariant units (theory: "Two-layer nets on 1-D data"): 'l1-outer' = beta sum
    |alpha_i| (layer 1 is the output layer); 'amplitude' = (beta/2) sum (s_i^2 + alpha_i^2) with the amplitudes s_i as a
    diagonal layer 1."""
    if objective == "l1-outer":
        return Penalty(float(beta), [PenaltyTerm(layer=1, coef=1.0, power=1.0)],
                       "beta * sum |outer weights|; inner weights and biases unpenalised")
    return Penalty(float(beta), [PenaltyTerm(layer=1, coef=0.5, power=2.0), PenaltyTerm(layer=2, coef=0.5, power=2.0)],
                   "(beta/2) * sum (amplitude^2 + outer weight^2); inner weights and biases unpenalised")


def two_layer_1d_network(z, xi, dictionary: BreakpointDictionary1D, y: np.ndarray, beta: float, bias: str,
                         sign_objective: str = "amplitude") -> Network:
    """Rebuild a two-layer 1-D net from the Lasso solution (z, xi) on targets y.

    sign / threshold units (theory: "Two-layer nets on 1-D data"): w = 1, b = -c_j; 'l1-outer': alpha = z_j;
    'amplitude': an amplitude layer s = sqrt|z_j| then alpha = sign(z_j) sqrt|z_j|, so (beta/2)(s^2 + alpha^2) = beta
    |z_j|.
    """
    z = np.asarray(z, dtype=np.float64)
    idx = np.flatnonzero(z)
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
            "dictionary_columns": [int(j) for j in idx], "units": _units(dictionary, z, idx)}
    return Network([hidden, out], weight_decay_penalty(beta), meta)


def _units(dictionary, z, idx) -> list[dict]:
    """Each unit's breakpoint, orientation and coefficient z_j (the symmetry report reads them)."""
    return [{**dictionary.unit(int(j)), "z": float(z[j])} for j in idx]


def _step_network(z, xi, idx, dictionary, beta, objective) -> Network:
    c = dictionary.breakpoints[idx]
    hidden = Layer(np.ones((idx.size, 1)), -c, dictionary.activation)
    meta = {"model": "two-layer", "activation": dictionary.activation.to_dict(), "bias_convention": "free",
            "sign_objective": objective, "dictionary_columns": [int(j) for j in idx],
            "units": _units(dictionary, z, idx)}
    identity = Activation("identity")
    if objective == "l1-outer":
        out = Layer(z[idx].reshape(1, -1), [float(xi)], identity)
        return Network([hidden, out], step_penalty(beta, objective), meta)
    gamma = np.sqrt(np.abs(z[idx]))
    amplitude = Layer(np.diag(gamma), np.zeros(idx.size), identity)
    out = Layer((np.sign(z[idx]) * gamma).reshape(1, -1), [float(xi)], identity)
    return Network([hidden, amplitude, out], step_penalty(beta, objective), meta)


# ------------------------------------------------------------------------------------------------ the model
class TwoLayer1DModel(Model):
    """Two-layer nets on 1-D data with bias 'free' or 'none' (TwoLayer on 1-D data, Deep1D at depth 2)."""

    name = "two-layer-1d"
    modes = ("training", "interpolation")

    def size_estimate(self, X, architecture) -> dict:
        return {"kind": "breakpoint columns", "count": 2 * X.shape[0]}

    def build(self, X, y, architecture, beta, *, bias, mode, duplicates, progress):
        dictionary_inputs(X, y, bias, mode, duplicates)
        dictionary = with_linear_term(two_layer_1d(X[:, 0], architecture.act, bias, architecture.formulation), X,
                                      architecture)
        return dictionary_program(X, y, architecture, beta, dictionary, bias, mode, duplicates,
                                  column_generation=getattr(architecture, "column_generation", None))

    def penalty(self, architecture, bias, beta):
        if architecture.activation in ("sign", "threshold"):
            return step_penalty(beta, architecture.sign_objective)
        return weight_decay_penalty(beta)

    def check_network(self, net, architecture) -> None:
        step = architecture.activation in ("sign", "threshold")
        check_two_layer(net, 2 if step and architecture.sign_objective == "amplitude" else 1)

    def symmetry(self, trained):
        return symmetries(trained)


MODEL = TwoLayer1DModel()
