"""User-facing architecture specifications. They hold settings only; :func:`cvxnn.build` turns an architecture plus
data into a convex program through the model family that ``family(d)`` names (:mod:`cvxnn.models`)."""

from __future__ import annotations

from dataclasses import dataclass

from .activations import Activation
from .errors import InvalidParameterError, UnsupportedCombinationError
from .validation import check_choice

BIAS_CONVENTIONS = ("free", "penalized", "none")
TWO_LAYER_ACTIVATIONS = ("relu", "leaky", "abs", "sign", "threshold")
PATTERN_MODES = ("exact", "sample")
SIGN_OBJECTIVES = ("amplitude", "l1-outer")
STEP_ACTIVATIONS = ("sign", "threshold")
FORMULATIONS = ("sparse", "dense")


@dataclass(frozen=True)
class TwoLayer:
    """Two-layer net ``f(x) = sum_i alpha_i sigma(w_i^T x + b_i) + xi`` with weight decay
    ``(beta/2) sum_i (||w_i||^2 + alpha_i^2)`` (theory: "Two-layer nets on 1-D data", "Two-layer nets on hyperplane
    arrangements").

    bias: ``free`` (inner biases and output bias xi unpenalised; default for 1-D data), ``none`` (no biases at all),
    ``penalized`` (a ones column appended to X, so each bias is part of its unit's penalised weights; the default
    for d >= 2, and on 1-D data the arrangement program).

    sign and threshold units are scale invariant, so plain weight decay is NOT a Lasso for them (its infimum is the
    least-squares fit, reached by shrinking w and splitting units). Two exact objectives are offered
    (``sign_objective``): 'amplitude' (default), ``f = sum_i alpha_i s_i sigma(w_i x + b_i) + xi`` with
    ``(beta/2) sum_i (alpha_i^2 + s_i^2)``; and 'l1-outer', ``beta sum_i |alpha_i|``. w and b are unpenalised.
    """

    activation: str = "relu"
    bias: str | None = None
    leaky_slope: float = 0.1
    sign_objective: str = "amplitude"
    patterns: str = "exact"  # d >= 2 (or bias='penalized'): 'exact' enumeration or 'sample'
    n_samples: int = 2000
    max_patterns: int = 100_000
    seed: int = 0
    column_generation: bool | None = None  # arrangement programs: None = automatic above a size threshold
    # abs only: 'l1' = l1-normalised inner weights, the finite wedge Lasso (theory: "Wedges: l1-normalised
    # absolute-value nets")
    inner_norm: str = "l2"
    # 1-D data, free biases: 'sparse' (the O(n) banded program) or 'dense' (the Lasso over the stored n x 2n matrix)
    formulation: str = "sparse"
    # 1-D data, free biases: add an unpenalised linear term c x (a skip connection) to the net
    linear_term: bool = False

    def __post_init__(self):
        act = Activation(self.activation, self.leaky_slope)
        if act.name not in TWO_LAYER_ACTIVATIONS:
            raise UnsupportedCombinationError(
                f"activation {act.name!r} is not available for two-layer nets in this version; use one of "
                f"{', '.join(repr(a) for a in TWO_LAYER_ACTIVATIONS)}."
            )
        object.__setattr__(self, "activation", act.name)
        object.__setattr__(self, "sign_objective", check_choice(self.sign_objective, SIGN_OBJECTIVES, "sign objective"))
        object.__setattr__(self, "patterns", check_choice(self.patterns, PATTERN_MODES, "patterns mode"))
        object.__setattr__(self, "inner_norm", check_choice(self.inner_norm, ("l2", "l1"), "inner norm"))
        object.__setattr__(self, "formulation", check_choice(self.formulation, FORMULATIONS, "formulation"))
        _check_flag(self.linear_term, "linear_term")
        if self.inner_norm == "l1" and act.name != "abs":
            raise UnsupportedCombinationError(
                f"inner_norm='l1' (the finite wedge dictionary) is exact for absolute-value nets only; received "
                f"activation {act.name!r}. Use activation='abs' or inner_norm='l2'."
            )
        for name in ("n_samples", "max_patterns"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be a positive integer; received {value!r}.")
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
        """The bias convention used for input dimension d (the default depends on d, theory: "Conventions")."""
        bias = self.bias or ("free" if d == 1 or self.inner_norm == "l1" else "penalized")
        if self.activation in STEP_ACTIVATIONS and (d > 1 or bias != "free"):
            raise UnsupportedCombinationError(
                f"{self.activation} nets are available on 1-D data with bias='free' only; received bias={bias!r} "
                f"and {d}-dimensional inputs. Their exact Lasso needs a free breakpoint per unit and a free output "
                "bias."
            )
        if self.inner_norm == "l1":
            if bias != "free":
                raise UnsupportedCombinationError(
                    f"l1-normalised absolute-value nets are exact with bias='free' (free inner biases and output "
                    f"bias); received bias={bias!r}."
                )
            return bias
        if d > 1 and bias == "free":
            raise UnsupportedCombinationError(
                f"bias='free' (unpenalised inner biases) is exact only for 1-D data; received X with {d} columns. "
                "Use 'penalized' (a ones column appended to X, the default for d >= 2) or 'none'."
            )
        return bias

    def family(self, d: int) -> str:
        """The model family for d-dimensional inputs: 'wedge' (inner_norm='l1'), 'arrangement' (d >= 2 or a
        penalised bias) or 'two-layer-1d'."""
        family = "wedge" if self.inner_norm == "l1" else "arrangement" if self.uses_arrangement(d) else "two-layer-1d"
        self.resolve_bias(d)
        if self.linear_term and (family != "two-layer-1d" or self.resolve_bias(d) != "free"):
            raise UnsupportedCombinationError(
                f"linear_term=True (an unpenalised skip term c x) is available for nets on 1-D data with bias='free'; "
                f"received {d}-dimensional inputs, bias={self.resolve_bias(d)!r}, inner_norm={self.inner_norm!r}. "
                "Drop linear_term, or use 1-D data with free biases."
            )
        return family

    def uses_arrangement(self, d: int) -> bool:
        """True when the exact program is the group Lasso over the hyperplane arrangement (d >= 2 or a penalised
        bias on 1-D data)."""
        return self.inner_norm == "l2" and (d > 1 or self.resolve_bias(d) == "penalized")

    def describe(self) -> dict:
        d = {"model": self.model, "depth": 2, "activation": self.activation}
        if self.activation == "leaky":
            d["leaky_slope"] = self.leaky_slope
        if self.activation in STEP_ACTIVATIONS:
            d["sign_objective"] = self.sign_objective
        if self.inner_norm != "l2":
            d["inner_norm"] = self.inner_norm
        if self.formulation != "sparse":
            d["formulation"] = self.formulation
        if self.linear_term:
            d["linear_term"] = True
        return d


def _check_flag(value, name: str) -> None:
    if not isinstance(value, bool):
        raise InvalidParameterError(f"{name} must be True or False; received {value!r}.")


def _free_bias_only(model: str, bias) -> str:
    """The chain models are exact with free inner biases and a free output bias only."""
    bias = bias or "free"
    if bias != "free":
        raise UnsupportedCombinationError(
            f"{model} nets are exact with bias='free' only (free inner biases and output bias); received "
            f"bias={bias!r}."
        )
    return bias


DEEP_ACTIVATIONS = ("relu", "abs")
RAMP_FAMILIES = ("data", "data+reflections")


@dataclass(frozen=True)
class Deep1D:
    """Parallel narrow chains on 1-D data (theory: "Deep ReLU chains on 1-D data"): ``f(x) = sum_i alpha_i h_i(x) + xi``
    with scalar chains ``h <- sigma(w_l h + b_l)`` of ``depth`` layers of weights (including the output weight alpha),
    penalty ``(beta/L) sum_i (|alpha_i|^L + sum_l |w_{l,i}|^L)``, biases free (bias convention 'free' only).

    relu: every ReLU chain of depth >= 3 is a ramp, so every depth >= 3 has the same optimum (the ramp dictionary);
    ``ramps='data+reflections'`` adds the redundant ramps whose endpoints are reflections of data points.
    abs: the dictionary is the vertex set of the chain-parameter arrangement (reflections, midpoints, reflections of
    reflections, ...). depth 2 is the two-layer net.
    """

    depth: int = 3
    activation: str = "abs"
    bias: str | None = None
    ramps: str = "data"
    max_columns: int = 2_000_000
    column_generation: bool | None = None  # None: automatic above COLUMN_GENERATION_THRESHOLD columns
    # ReLU chains and depth 2: 'sparse' (the O(n) hinge program) or 'dense' (the Lasso over the stored ramps)
    formulation: str = "sparse"
    linear_term: bool = False  # add an unpenalised linear term c x (a skip connection) to the net

    def __post_init__(self):
        act = Activation(self.activation)
        if act.name not in DEEP_ACTIVATIONS:
            raise UnsupportedCombinationError(
                f"activation {act.name!r} is not available for deep 1-D nets; use one of "
                f"{', '.join(repr(a) for a in DEEP_ACTIVATIONS)}. (sign/threshold chains have no finite-dictionary "
                "form established in cvxnn.)"
            )
        object.__setattr__(self, "activation", act.name)
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth < 2:
            raise InvalidParameterError(
                f"depth must be an integer >= 2 (layers of weights, output layer included); received {self.depth!r}."
            )
        object.__setattr__(self, "ramps", check_choice(self.ramps, RAMP_FAMILIES, "ramp family"))
        object.__setattr__(self, "formulation", check_choice(self.formulation, FORMULATIONS, "formulation"))
        _check_flag(self.linear_term, "linear_term")
        if self.bias is not None:
            object.__setattr__(self, "bias", check_choice(self.bias, BIAS_CONVENTIONS, "bias convention"))
        if isinstance(self.max_columns, bool) or not isinstance(self.max_columns, int) or self.max_columns < 1:
            raise InvalidParameterError(f"max_columns must be a positive integer; received {self.max_columns!r}.")

    @property
    def act(self) -> Activation:
        return Activation(self.activation)

    @property
    def model(self) -> str:
        return "deep-1d"

    def resolve_bias(self, d: int) -> str:
        if d != 1:
            raise UnsupportedCombinationError(
                f"deep-1d nets take 1-D inputs; received X with {d} columns. Pass one feature column."
            )
        return _free_bias_only("deep-1d", self.bias)

    parallel_chains = True  # a sum of width-one chains (functional dimension counts the chain parameters)

    def family(self, d: int) -> str:
        """'two-layer-1d' at depth 2, else 'chains-1d'."""
        return "two-layer-1d" if self.depth == 2 else "chains-1d"

    def describe(self) -> dict:
        d = {"model": self.model, "depth": self.depth, "activation": self.activation}
        if self.activation == "relu" and self.ramps != "data":
            d["ramps"] = self.ramps
        if self.formulation != "sparse":
            d["formulation"] = self.formulation
        if self.linear_term:
            d["linear_term"] = True
        return d


@dataclass(frozen=True)
class GatedReLU:
    """Gated ReLU nets (a DIFFERENT model from ReLU nets, theory: "Gated ReLU nets"): fixed gates, one per activation
    pattern of the data's arrangement, ``f(x) = sum_j 1[g_j^T xb >= 0] alpha_j u_j^T xb``. Training is an unconstrained
    group lasso; its optimum is at most the ReLU optimum on the same patterns."""

    bias: str | None = None
    patterns: str = "exact"
    n_samples: int = 2000
    max_patterns: int = 100_000
    seed: int = 0
    activation = "gated-relu"

    def __post_init__(self):
        if self.bias is not None:
            object.__setattr__(self, "bias", check_choice(self.bias, ("penalized", "none"), "bias convention"))
        object.__setattr__(self, "patterns", check_choice(self.patterns, PATTERN_MODES, "patterns mode"))

    @property
    def model(self) -> str:
        return "gated-relu"

    @property
    def depth(self) -> int:
        return 2

    def resolve_bias(self, d: int) -> str:
        return self.bias or "penalized"

    def family(self, d: int) -> str:
        return "arrangement"

    def describe(self) -> dict:
        return {"model": self.model, "depth": 2, "activation": "gated-relu"}


@dataclass(frozen=True)
class DeepAbs:
    """Three-layer absolute-value nets in any input dimension (theory: "Three-layer absolute-value nets in d
    dimensions"): parallel narrow chains
    ``f(x) = sum_i alpha_i | w2_i | u_i^T x + b1_i | + b2_i | + xi`` with penalty ``(beta/3) sum_i (|alpha_i|^3 +
    ||u_i||^3 + |w2_i|^3)``, biases free (bias convention 'free' only).

    inner_norm: 'l1' (||u||_1: the finite pool of reflection-plane directions is exact in every d) or 'l2' (the
    pool is a restriction; ``angular_generation`` closes the gap with the continuous oracle: exact in d = 2
    and d = 3, best effort, scope 'restricted', in d >= 4).
    directions: 'all' (axes, data and reflection planes) or 'no-axes' (drops the axis generators; NOT exact,
    for demonstrations).
    column_generation: None = automatic above the column-generation threshold of the pool.
    """

    depth: int = 3
    inner_norm: str = "l1"
    bias: str | None = None
    directions: str = "all"
    max_directions: int = 500_000
    max_columns: int = 50_000_000
    column_generation: bool | None = None
    angular_generation: bool = True
    oracle_samples: int = 2000
    seed: int = 0
    activation = "abs"

    def __post_init__(self):
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth != 3:
            raise UnsupportedCombinationError(
                f"deep-abs nets in d dimensions are available at depth 3 in this version; received depth "
                f"{self.depth!r}. For depth 2 use TwoLayer('abs') (inner_norm 'l2' or 'l1'); for deeper chains on "
                "1-D data use Deep1D(depth, 'abs')."
            )
        object.__setattr__(self, "inner_norm", check_choice(self.inner_norm, ("l1", "l2"), "inner norm"))
        object.__setattr__(self, "directions", check_choice(self.directions, ("all", "no-axes"), "direction set"))
        if self.bias is not None:
            object.__setattr__(self, "bias", check_choice(self.bias, BIAS_CONVENTIONS, "bias convention"))
        for name in ("max_directions", "max_columns", "oracle_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be a positive integer; received {value!r}.")

    @property
    def act(self) -> Activation:
        return Activation("abs")

    @property
    def model(self) -> str:
        return "deep-abs"

    def resolve_bias(self, d: int) -> str:
        return _free_bias_only("deep-abs", self.bias)

    parallel_chains = True

    def family(self, d: int) -> str:
        return "deep-abs"

    def describe(self) -> dict:
        d = {"model": self.model, "depth": self.depth, "activation": "abs", "inner_norm": self.inner_norm}
        if self.directions != "all":
            d["directions"] = self.directions
        return d
