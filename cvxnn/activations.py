"""Scalar activation functions, evaluated elementwise in float64.

Positively homogeneous activations (relu, leaky, abs) satisfy sigma(t u) = t sigma(u) for t > 0, which is what turns
weight decay into an l1 penalty (theory: "Rescaling and duality"). sign and threshold are scale invariant instead
(theory: "Two-layer nets on 1-D data").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidParameterError
from .validation import check_choice

ACTIVATIONS = ("relu", "leaky", "abs", "sign", "threshold", "identity")
HOMOGENEOUS = ("relu", "leaky", "abs", "identity")


@dataclass(frozen=True)
class Activation:
    """An activation by name; ``slope`` is the negative-side slope of the leaky ReLU, max(u, slope * u)."""

    name: str
    slope: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "name", check_choice(self.name, ACTIVATIONS, "activation"))
        if self.name == "leaky":
            s = float(self.slope)
            if not (0.0 < s < 1.0):
                raise InvalidParameterError(
                    f"the leaky ReLU slope must lie strictly between 0 and 1; received {self.slope!r}. "
                    "Use e.g. leaky_slope=0.1 (slope 0 is 'relu', slope 1 is linear)."
                )
            object.__setattr__(self, "slope", s)
        else:
            object.__setattr__(self, "slope", 0.0)

    def __call__(self, u):
        u = np.asarray(u, dtype=np.float64)
        if self.name == "relu":
            return np.maximum(u, 0.0)
        if self.name == "leaky":
            return np.maximum(u, self.slope * u)
        if self.name == "abs":
            return np.abs(u)
        if self.name == "sign":
            return np.sign(u)
        if self.name == "threshold":
            return (u >= 0).astype(np.float64)
        return u.copy()

    def to_dict(self) -> dict:
        d = {"name": self.name}
        if self.name == "leaky":
            d["slope"] = self.slope
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Activation":
        return cls(d["name"], d.get("slope", 0.0))
