"""cvxnn: train small neural networks to their exact global optimum by convex optimization, and prove it.

``import cvxnn`` is light: the names that need CVXPY, the solvers or PyTorch (train, build's programs, certify_network,
the solver registry) are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .activations import Activation
from .architectures import Deep1D, DeepAbs, GatedReLU, TwoLayer
from .certify import Certificate, certify, certify_point
from .errors import (CvxnnError, InvalidDataError, InvalidParameterError, ProblemFileError, ProblemTooLargeError,
                     SolverFailedError, SolverNotInstalledError, UnknownSolverError, UnsupportedCombinationError)
from .models import build
from .models.symmetry_1d import symmetries
from .network import Layer, Network, Penalty, PenaltyTerm

__version__ = "0.1.0"

if TYPE_CHECKING:  # what static analysis (type checkers, the API reference) sees; at run time see __getattr__
    from .api import Trained, train
    from .external import certify_network, load_weights
    from .program import LassoProgram, SolveResult
    from .solvers import ACCURACIES, get_solver, installed_solvers

#: public names imported on first use (they import CVXPY or the solvers)
_LAZY = {
    "Trained": ".api", "train": ".api",
    "certify_network": ".external", "load_weights": ".external",
    "LassoProgram": ".program", "SolveResult": ".program",
    "ACCURACIES": ".solvers", "get_solver": ".solvers", "installed_solvers": ".solvers",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cvxnn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Activation", "certify_network", "load_weights", "Trained", "train", "TwoLayer", "Deep1D", "DeepAbs", "GatedReLU",
    "Certificate", "certify", "certify_point", "CvxnnError", "InvalidDataError", "InvalidParameterError",
    "UnknownSolverError", "UnsupportedCombinationError", "SolverFailedError", "SolverNotInstalledError",
    "ProblemFileError", "ProblemTooLargeError", "Layer", "Network", "Penalty", "PenaltyTerm", "LassoProgram",
    "SolveResult", "build", "ACCURACIES", "get_solver", "installed_solvers", "symmetries",
]


def __dir__():
    return sorted(set(globals()) | set(__all__))
