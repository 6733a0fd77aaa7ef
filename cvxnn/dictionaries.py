"""Finite feature dictionaries: the columns of the Lasso that is equivalent to training (SPEC 2).

A 1-D two-layer unit with unit inner weight is ``sigma(s (x - c))`` with orientation s = +-1 and breakpoint c. With a
free output bias, the dual constraint over all (s, c) is attained at breakpoints on data points, so the dictionary
is one column per (orientation, data point) (SPEC 2):

- relu:  (x_i - x_j)_+ and (x_j - x_i)_+    (the two identically-zero columns are dropped)
- leaky: s_a(x_i - x_j) and s_a(x_j - x_i)  with s_a(u) = max(u, a u)
- abs:   |x_i - x_j|

Without biases (``bias='none'``) a unit is sigma(s x): the dictionary is the one or two columns with c = 0.

sign and threshold units are constant in c inside each gap between data points, so one breakpoint per gap suffices
(SPEC 2): c_j = (x_{j-1} + x_j) / 2, j = 2..n, columns sign(x_i - c_j) or 1{x_i >= c_j}. A breakpoint AT a data
point gives the average of the two neighbouring gap columns (sign(0) = 0), and c outside the data range gives a
constant, which the free output bias absorbs; the opposite orientation is a sign flip (sign) or a constant minus a
column (threshold).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import Activation


@dataclass
class BreakpointDictionary1D:
    """Columns ``sigma(orientation_j * (x - breakpoint_j))`` evaluated at the training points."""

    matrix: np.ndarray  # (n, m)
    breakpoints: np.ndarray  # (m,)
    orientations: np.ndarray  # (m,) of +-1
    activation: Activation

    @property
    def size(self) -> int:
        return int(self.matrix.shape[1])

    def features(self, x) -> np.ndarray:
        """The dictionary's columns evaluated at new points x (shape (k,) or (k, 1)); returns (k, m)."""
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
        """Exact sup over all two-layer units (SPEC 2): see :func:`cvxnn.certify.dual_sup_two_layer_1d`."""
        from .certify import dual_sup_two_layer_1d

        return dual_sup_two_layer_1d(lam, np.asarray(X).reshape(len(lam), -1)[:, 0], self.activation, bias)

    @property
    def oracle(self) -> str:
        if self.activation.name in ("sign", "threshold"):
            return "breakpoints at data points and gap midpoints, both orientations (exact for 1-D step units, SPEC 2)"
        if self.orientations.size and np.all(self.breakpoints == 0):
            return "both unit orientations (exact for bias-free 1-D two-layer nets)"
        return "breakpoints at data points, both orientations (exact for 1-D two-layer nets, SPEC 2)"

    def to_network(self, z, xi, y, beta, bias, architecture):
        from .reconstruct import two_layer_1d_network

        return two_layer_1d_network(z, xi, self, y, beta, bias, getattr(architecture, "sign_objective", "amplitude"))


def unit_orientations(activation: Activation) -> tuple[float, ...]:
    """Orientations that give distinct features: abs is even, so one orientation suffices."""
    return (1.0,) if activation.name == "abs" else (1.0, -1.0)


def gap_midpoints(x: np.ndarray) -> np.ndarray:
    """Midpoints between consecutive distinct points of x."""
    u = np.unique(np.asarray(x, dtype=np.float64))
    return 0.5 * (u[:-1] + u[1:])


def two_layer_1d(x: np.ndarray, activation: Activation, bias: str) -> BreakpointDictionary1D:
    """The exact dictionary of a two-layer net on the 1-D points x (SPEC 2)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if activation.name in ("sign", "threshold"):
        c = gap_midpoints(x)
        return BreakpointDictionary1D(activation(x[:, None] - c[None, :]), c, np.ones(c.size), activation)
    centres = np.unique(x) if bias == "free" else np.zeros(1)
    bps, signs = [], []
    for s in unit_orientations(activation):
        bps.append(centres)
        signs.append(np.full(centres.shape, s))
    breakpoints = np.concatenate(bps)
    orientations = np.concatenate(signs)
    dictionary = BreakpointDictionary1D(np.empty((x.size, 0)), breakpoints, orientations, activation)
    A = dictionary.features(x)
    keep = np.any(A != 0.0, axis=0)
    return BreakpointDictionary1D(A[:, keep], breakpoints[keep], orientations[keep], activation)
