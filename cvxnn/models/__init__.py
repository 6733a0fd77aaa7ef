"""Model families, one module (or package) each, found through the architecture: ``architecture.family(d)`` names
the family, :data:`FAMILIES` maps the name to its module, and the module's ``MODEL`` implements
:class:`cvxnn.models.base.Model`. Adding a model: a module under cvxnn/models/ with a ``MODEL``, one line in
:data:`FAMILIES`, and an architecture class whose ``family(d)`` returns the new name.

Modules are imported on first use, so ``import cvxnn`` does not import CVXPY or any model.
"""

from __future__ import annotations

import importlib

from ..architectures import TwoLayer
from ..errors import InvalidParameterError, UnsupportedCombinationError
from ..validation import check_beta, check_choice, check_xy

#: family name -> module holding its MODEL
FAMILIES = {
    "two-layer-1d": "cvxnn.models.two_layer_1d",  # two-layer nets on 1-D data, free biases: breakpoints
    "arrangement": "cvxnn.models.arrangement",  # two-layer relu / leaky / abs in any d, gated ReLU: patterns
    "chains-1d": "cvxnn.models.chains_1d",  # deep narrow chains on 1-D data: ramps, abs vertices
    "wedge": "cvxnn.models.wedge",  # l1-normalised two-layer abs nets in any d
    "deep-abs": "cvxnn.models.deep_abs",  # three-layer abs chains in any d: reflection planes
}

MODES = ("training", "interpolation")


def model_for(architecture, d: int):
    """The model family that reformulates ``architecture`` on d-dimensional inputs."""
    family = getattr(architecture, "family", None)
    if not callable(family):
        raise UnsupportedCombinationError(
            f"architecture {architecture!r} is not available in this version; use cvxnn.TwoLayer(...), "
            "cvxnn.Deep1D(...), cvxnn.DeepAbs(...) or cvxnn.GatedReLU(...)."
        )
    return importlib.import_module(FAMILIES[family(d)]).MODEL


def check_mode_and_beta(mode, beta):
    """(mode, beta) checked: training needs beta > 0, interpolation (the beta -> 0 limit) takes none."""
    mode = check_choice(mode, MODES, "mode")
    if mode == "training":
        beta = check_beta(beta)
    elif beta is not None:
        raise InvalidParameterError(
            f"interpolation mode takes no beta (it is the beta -> 0 limit); received beta={beta!r}. Pass beta=None "
            "or use mode='training'."
        )
    return mode, beta


def build(X, y, architecture=None, beta=None, *, duplicates: str = "error", mode: str = "training",
          progress: bool = False):
    """Build the convex program equivalent to training ``architecture`` on (X, y) with weight decay beta.

    mode: 'training' (default; needs beta > 0) or 'interpolation' (minimum-norm exact fit, the beta -> 0 limit;
    beta must be None).
    duplicates: 'error' (default) rejects repeated input points; 'merge' lets repeated points share one breakpoint
    while every sample still counts in the loss (exact: the objective is unchanged). In interpolation mode repeated
    points must have equal targets.
    progress: a progress bar (stderr) while enumerating activation patterns.
    """
    architecture = TwoLayer() if architecture is None else architecture
    mode, beta = check_mode_and_beta(mode, beta)
    X, y = check_xy(X, y)
    model = model_for(architecture, X.shape[1])
    bias = architecture.resolve_bias(X.shape[1])
    return model.build(X, y, architecture, beta, bias=bias, mode=mode, duplicates=duplicates, progress=progress)


def size_estimate(X, architecture) -> dict:
    """The size of the program ``build`` would make, computed before anything large is built."""
    import numpy as np

    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    return model_for(architecture, X.shape[1]).size_estimate(X, architecture)


__all__ = ["FAMILIES", "MODES", "build", "model_for", "size_estimate"]
