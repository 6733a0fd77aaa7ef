"""User-facing architecture specifications. They hold settings only; :func:`cvxnn.build` turns an architecture plus
data into a convex program."""

from __future__ import annotations

from dataclasses import dataclass

from .activations import Activation
from .errors import UnsupportedCombinationError
from .validation import check_choice

BIAS_CONVENTIONS = ("free", "penalized", "none")
TWO_LAYER_ACTIVATIONS = ("relu", "leaky", "abs")


@dataclass(frozen=True)
class TwoLayer:
    """Two-layer net ``f(x) = sum_i alpha_i sigma(w_i^T x + b_i) + xi`` with weight decay
    ``(beta/2) sum_i (||w_i||^2 + alpha_i^2)`` (SPEC 2 and 4).

    bias: ``free`` (inner biases and output bias xi unpenalised; default for 1-D data), ``none`` (no biases at all),
    ``penalized`` (a ones column appended to X; not available for 1-D data in this version).
    """

    activation: str = "relu"
    bias: str | None = None
    leaky_slope: float = 0.1

    def __post_init__(self):
        act = Activation(self.activation, self.leaky_slope)
        if act.name not in TWO_LAYER_ACTIVATIONS:
            raise UnsupportedCombinationError(
                f"activation {act.name!r} is not available for two-layer nets in this version; use one of "
                f"{', '.join(repr(a) for a in TWO_LAYER_ACTIVATIONS)}."
            )
        object.__setattr__(self, "activation", act.name)
        if self.bias is not None:
            object.__setattr__(self, "bias", check_choice(self.bias, BIAS_CONVENTIONS, "bias convention"))

    @property
    def act(self) -> Activation:
        return Activation(self.activation, self.leaky_slope)

    @property
    def depth(self) -> int:
        return 2

    @property
    def model(self) -> str:
        return "two-layer"

    def resolve_bias(self, d: int) -> str:
        """The bias convention used for input dimension d (the default depends on d, SPEC 0)."""
        bias = self.bias or ("free" if d == 1 else "penalized")
        if d == 1 and bias not in ("free", "none"):
            raise UnsupportedCombinationError(
                f"bias convention {bias!r} is not available for two-layer nets on 1-D data; received "
                f"bias={bias!r}. Use 'free' (unpenalised inner biases and output bias, the default) or 'none' "
                "(no biases)."
            )
        if d > 1:
            raise UnsupportedCombinationError(
                f"two-layer nets on {d}-dimensional inputs (hyperplane-arrangement programs) are not available in "
                "this version; received X with "
                f"{d} columns. Pass 1-D data (one feature column)."
            )
        return bias

    def describe(self) -> dict:
        d = {"model": self.model, "depth": 2, "activation": self.activation}
        if self.activation == "leaky":
            d["leaky_slope"] = self.leaky_slope
        return d
