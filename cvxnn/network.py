"""Layered feed-forward networks: a real forward pass, the training objective with the penalty the network
stores (theory: "Conventions"), JSON/npz serialisation and PyTorch interop."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .activations import Activation
from .errors import InvalidDataError, ProblemFileError
from .torch_interop import layers_from_torch, network_to_torch
from .validation import check_xy

PENALTY_NORMS = ("entry", "l2-row", "l1-row")
PREDICT_BLOCK_ENTRIES = 4_000_000  # hidden activations computed at once by Network.predict


@dataclass
class Layer:
    """``h_out = activation(weight @ h_in + bias)``; weight has shape (out, in)."""

    weight: np.ndarray
    bias: np.ndarray
    activation: Activation

    def __post_init__(self):
        self.weight = np.array(self.weight, dtype=np.float64, ndmin=2)
        self.bias = np.array(self.bias, dtype=np.float64).reshape(-1)
        if self.bias.shape[0] != self.weight.shape[0]:
            raise InvalidDataError(
                f"layer bias has {self.bias.shape[0]} entries but the weight has {self.weight.shape[0]} rows."
            )

    def diagonal(self) -> np.ndarray | None:
        """The diagonal of a square weight with no entry off it (the hidden layers of parallel chains), else None.
        Large diagonal layers are then applied and penalised in O(m) per input instead of O(m^2)."""
        W = self.weight
        if W.shape[0] != W.shape[1] or W.shape[0] <= 64:
            return None
        d = np.diagonal(W)
        return d.copy() if np.count_nonzero(W) == np.count_nonzero(d) else None

    def forward(self, H: np.ndarray, diagonal: np.ndarray | None = None) -> np.ndarray:
        """activation(H W^T + b); ``diagonal`` (from :meth:`diagonal`) applies a diagonal W as a product."""
        if diagonal is not None:
            return self.activation(H * diagonal + self.bias)
        return self.activation(H @ self.weight.T + self.bias)


@dataclass(frozen=True)
class PenaltyTerm:
    """``coef * beta * sum_rows ||W_layer[row]||^power``; norm 'entry' sums |W_ij|^power over all entries."""

    layer: int
    coef: float
    power: float
    norm: str = "entry"
    include_bias: bool = False

    def value(self, layer: Layer) -> float:
        W = layer.weight
        d = layer.diagonal() if self.norm in ("entry", "l2-row", "l1-row") and not self.include_bias else None
        if d is not None:  # one entry per row: every norm is |d|
            return float(np.sum(np.abs(d) ** self.power))
        if self.include_bias:
            W = np.hstack([W, layer.bias[:, None]])
        if self.norm == "entry":
            return float(np.sum(np.abs(W) ** self.power))
        q = 2 if self.norm == "l2-row" else 1
        return float(np.sum(np.linalg.norm(W, ord=q, axis=1) ** self.power))


@dataclass
class Penalty:
    """The regulariser the network was trained with: ``sum_terms term.coef * beta * ...``."""

    beta: float
    terms: list[PenaltyTerm]
    description: str = ""

    def value(self, layers: list[Layer]) -> float:
        return self.beta * sum(t.coef * t.value(layers[t.layer]) for t in self.terms)


@dataclass
class Network:
    """A feed-forward network with scalar output, ``layers[-1]`` being the output layer, and an optional linear
    skip term: f(x) = layers(x) + linear^T x, with ``linear`` unpenalised (None: no skip term)."""

    layers: list[Layer]
    penalty: Penalty
    meta: dict = field(default_factory=dict)
    linear: np.ndarray | None = None

    def __post_init__(self):
        if self.linear is not None:
            self.linear = np.array(self.linear, dtype=np.float64).reshape(-1)
            if self.linear.size != self.input_dim:
                raise InvalidDataError(
                    f"the linear skip term has {self.linear.size} entries but the network takes {self.input_dim} "
                    "inputs."
                )

    @property
    def width(self) -> int:
        """Number of hidden units (of the first hidden layer for deep nets)."""
        return int(self.layers[0].weight.shape[0]) if len(self.layers) > 1 else 0

    @property
    def input_dim(self) -> int:
        return int(self.layers[0].weight.shape[1])

    def predict(self, X) -> np.ndarray:
        """Layered forward pass on inputs X of shape (n, d) (or (n,) for d = 1); returns shape (n,). Rows go through
        in blocks so that no hidden activation array exceeds PREDICT_BLOCK_ENTRIES entries (wide nets on many points
        stay in bounded memory)."""
        X = np.array(X, dtype=np.float64)
        if X.ndim == 1 and self.input_dim == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[1] != self.input_dim:
            raise InvalidDataError(
                f"predict needs inputs of shape (n, {self.input_dim}); received shape {X.shape}."
            )
        width = max([1] + [layer.weight.shape[0] for layer in self.layers])
        block = max(1, PREDICT_BLOCK_ENTRIES // width)
        out = np.empty(X.shape[0])
        diagonals = [layer.diagonal() for layer in self.layers]
        for s in range(0, X.shape[0], block):
            H = X[s:s + block]
            for layer, diag in zip(self.layers, diagonals):
                H = layer.forward(H, diag)
            out[s:s + block] = H[:, 0]
        if self.linear is not None:
            out += X @ self.linear
        return out

    def penalty_value(self) -> float:
        return self.penalty.value(self.layers)

    def loss(self, X, y) -> float:
        """Squared loss as a sum, (1/2)||f(X) - y||^2."""
        X, y = check_xy(X, y, min_points=1)
        return 0.5 * float(np.sum((self.predict(X) - y) ** 2))

    def objective(self, X, y) -> float:
        """The nonconvex training objective: (1/2)||f(X) - y||^2 plus the stored penalty."""
        return self.loss(X, y) + self.penalty_value()

    # ----------------------------------------------------------------- serialisation
    def to_dict(self) -> dict:
        return {
            "format": "cvxnn.network/1",
            "layers": [
                {
                    "shape": list(layer.weight.shape),
                    "weight": layer.weight.tolist(),
                    "bias": layer.bias.tolist(),
                    "activation": layer.activation.to_dict(),
                }
                for layer in self.layers
            ],
            "forward": "h = activation(weight @ h + bias) for each layer in order; output = h[0]"
                       + (" + linear . x (an unpenalised skip term)" if self.linear is not None else ""),
            **({"linear": self.linear.tolist()} if self.linear is not None else {}),
            "penalty": {
                "beta": self.penalty.beta,
                "description": self.penalty.description,
                "terms": [t.__dict__ for t in self.penalty.terms],
            },
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Network":
        try:
            layers = [
                Layer(np.array(L["weight"], dtype=float).reshape(L.get("shape") or (len(L["bias"]), -1)), L["bias"],
                      Activation.from_dict(L["activation"]))
                for L in d["layers"]
            ]
            pen = d["penalty"]
            penalty = Penalty(float(pen["beta"]), [PenaltyTerm(**t) for t in pen["terms"]], pen.get("description", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProblemFileError(f"not a cvxnn network description: {exc!r}") from None
        return cls(layers, penalty, dict(d.get("meta", {})), d.get("linear"))

    def save(self, path) -> Path:
        """Write the weights to ``path`` (.npz, exact float64) and the description to the same stem with .json."""
        path = Path(path).with_suffix(".npz")
        arrays = {}
        for i, layer in enumerate(self.layers):
            arrays[f"weight_{i}"] = layer.weight
            arrays[f"bias_{i}"] = layer.bias
        desc = self.to_dict()
        for L in desc["layers"]:
            L.pop("weight"), L.pop("bias")
        if self.linear is not None:
            arrays["linear"] = self.linear
            desc.pop("linear")
        arrays["description"] = np.array(json.dumps(desc))
        np.savez(path, **arrays)
        path.with_suffix(".json").write_text(json.dumps(self.to_dict(), indent=1))
        return path

    @classmethod
    def load(cls, path) -> "Network":
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                desc = json.loads(str(data["description"]))
                for i, L in enumerate(desc["layers"]):
                    L["weight"] = data[f"weight_{i}"]
                    L["bias"] = data[f"bias_{i}"]
                if "linear" in data:
                    desc["linear"] = data["linear"]
        except (OSError, KeyError, ValueError) as exc:
            raise ProblemFileError(f"could not read a cvxnn network from {str(path)!r}: {exc}") from None
        return cls.from_dict(desc)

    def to_torch(self):
        """An equivalent float64 torch module (requires the optional torch extra): a ``torch.nn.Sequential``, or,
        with a linear skip term, a module adding it to one."""
        return network_to_torch(self)

    @classmethod
    def from_torch(cls, module, penalty: Penalty, meta: dict | None = None) -> "Network":
        """Read a ``torch.nn.Sequential`` of Linear and activation modules (ReLU, LeakyReLU, Abs); the penalty to
        evaluate it with must be given (torch modules carry none)."""
        return cls([Layer(W, b, act) for W, b, act in layers_from_torch(module)], penalty, dict(meta or {}))
