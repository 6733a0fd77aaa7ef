"""The interface every model family implements once (theory: "Rescaling and duality").

A model family is an exact reformulation: it turns an architecture plus data into a convex program (*apply*), and
the program's solution back into a layered network (*invert*, with the program's inverse data: breakpoints,
patterns, directions). Between the two sits the family's dual *oracle*, the sup over ALL units of the architecture
of |lambda^T sigma_theta(X)|, which the certificate needs and which no solver is trusted for. The program object a
family builds carries both: ``program.dual_sup(lam)`` and ``program.reconstruct(...)`` (via its dictionary).

The core modules (program, colgen, certify, prune, network) know no model; a family knows the core, never another
family (shared 1-D helpers live in :mod:`cvxnn.models.symmetry_1d`).
"""

from __future__ import annotations

import abc

import numpy as np

from ..certify import certify
from ..errors import InvalidDataError, InvalidParameterError, UnsupportedCombinationError
from ..explain import dictionary_lesson
from ..program import WithFreeColumns
from ..validation import check_duplicates, check_interpolable


class Model(abc.ABC):
    """One model family. ``name`` is its registry key (``architecture.family(d)`` returns it)."""

    name: str = ""
    #: the modes its programs offer ('training' always; 'interpolation': the minimum-norm LP, the beta -> 0 limit)
    modes: tuple[str, ...] = ("training",)

    # ------------------------------------------------------------------------------------------------ apply
    @abc.abstractmethod
    def size_estimate(self, X: np.ndarray, architecture) -> dict:
        """{'kind', 'count'}: the size of the program :meth:`build` would make, known before anything is built."""

    @abc.abstractmethod
    def build(self, X, y, architecture, beta, *, bias: str, mode: str, duplicates: str, progress: bool):
        """The convex program equivalent to training (checked inputs; ``bias`` already resolved)."""

    def refuse_mode(self, architecture, d: int, mode: str) -> UnsupportedCombinationError:
        return UnsupportedCombinationError(
            f"{mode} mode is not available for {architecture.describe()} on {d}-dimensional data; use mode='training' "
            "with beta > 0."
        )

    # -------------------------------------------------------------------------------------------- certify
    @abc.abstractmethod
    def penalty(self, architecture, bias: str, beta: float):
        """The weight-decay penalty of the training objective (a :class:`cvxnn.Penalty`)."""

    @abc.abstractmethod
    def check_network(self, net, architecture) -> None:
        """Raise when a given net does not have the architecture's layer shapes (certify_network)."""

    def certification_program(self, X, y, architecture, beta, bias, net, output_bias, **options):
        """The program whose oracle certifies a given net (its ``dual_sup``); by default the training program."""
        if options.get("patterns", "exact") != "exact":
            raise InvalidParameterError(
                f"--patterns sample applies to two-layer nets on hyperplane arrangements (bias penalized or none); "
                f"this net is {architecture.describe()} with bias {bias!r}, whose oracle is exact without sampling. "
                "Drop --patterns."
            )
        mode = options.get("mode", "training")
        if mode not in self.modes:
            raise self.refuse_mode(architecture, X.shape[1], mode)
        return self.build(X, y, architecture, beta, bias=bias, mode=mode, duplicates="merge", progress=False)

    def to_global(self, program) -> str:
        """What would make a certificate of ``program`` global ('' when its scope already is)."""
        return ""

    def polish(self, program, net, solver: str, accuracy: str):
        """Solve the program (started from ``net`` where the family can) -> (network, its certificate)."""
        res = program.solve(solver, accuracy)
        return res.network, certify(program, res)

    # -------------------------------------------------------------------------------------------- reports
    def symmetry(self, trained):
        """The family's symmetry report of a solved problem, or None."""
        return None

    def explain(self, trained) -> str:
        """A short lesson in duality for one solved instance."""
        return dictionary_lesson(trained)


# ------------------------------------------------------------------------------------ shared helpers
def dictionary_inputs(X, y, bias: str, mode: str, duplicates: str) -> None:
    """The checks every finite-dictionary family makes before building (repeated points, interpolability)."""
    check_duplicates(X, duplicates)
    if bias == "free" and np.unique(X, axis=0).shape[0] < 2:
        point = f"{float(X[0, 0]):g}" if X.shape[1] == 1 else str(X[0].tolist())
        raise InvalidDataError(
            f"all {X.shape[0]} inputs are the same point x = {point}; at least two distinct inputs are needed to "
            "train with free biases."
        )
    if mode == "interpolation":
        check_interpolable(X, y)


def with_linear_term(dictionary, X, architecture):
    """The dictionary plus the unpenalised column x when the architecture asks for a linear (skip) term c x."""
    if not getattr(architecture, "linear_term", False):
        return dictionary
    return WithFreeColumns(dictionary, X[:, :1], ["linear term x"], _attach_linear)


def _attach_linear(net, c):
    net.linear = np.asarray(c, dtype=np.float64).reshape(-1)
    net.meta["linear_term"] = float(net.linear[0])
    return net


def check_two_layer(net, hidden_layers: int = 1) -> None:
    """A two-layer net: ``hidden_layers`` layers before the output (2 for step units with an amplitude layer)."""
    if len(net.layers) != hidden_layers + 1:
        raise InvalidParameterError(
            f"a two-layer net of this kind has {hidden_layers + 1} layers; received {len(net.layers)}."
        )


def is_diagonal(W: np.ndarray) -> bool:
    return W.shape[0] == W.shape[1] and not np.any(W - np.diag(np.diag(W)))


def check_parallel_chains(net, depth: int, model: str) -> None:
    """Parallel scalar chains: the first layer maps the input to m units, every hidden layer after it is diagonal
    (m x m) with the same activation, the output layer is 1 x m."""
    layers = net.layers
    act = layers[0].activation
    if len(layers) != depth or any(L.activation != act for L in layers[:-1]) \
            or not all(is_diagonal(L.weight) for L in layers[1:-1]) \
            or layers[0].weight.shape[0] != layers[-1].weight.shape[1]:
        raise InvalidParameterError(
            f"a depth-{depth} {model} net is a sum of parallel scalar chains: the first layer maps the input to m "
            "units, every hidden layer after it is diagonal (m x m) with the same activation, the output layer is "
            f"1 x m. This {len(layers)}-layer net is not of that form."
        )
