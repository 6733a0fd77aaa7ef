"""cvxnn: train small neural networks to their exact global optimum by convex optimization, and prove it."""

from .activations import Activation
from .api import Trained, train
from .architectures import Deep1D, DeepAbs, GatedReLU, TwoLayer
from .certify import Certificate, certify, certify_point
from .external import certify_network, load_weights
from .errors import (CvxnnError, InvalidDataError, InvalidParameterError, ProblemFileError, ProblemTooLargeError,
                     SolverFailedError, SolverNotInstalledError, UnknownSolverError, UnsupportedCombinationError)
from .network import Layer, Network, Penalty, PenaltyTerm
from .program import LassoProgram, SolveResult, build
from .solvers import ACCURACIES, get_solver, installed_solvers
from .symmetry import symmetries

__version__ = "0.1.0"

__all__ = [
    "Activation", "certify_network", "load_weights", "Trained", "train", "TwoLayer", "Deep1D", "DeepAbs", "GatedReLU", "Certificate", "certify", "certify_point", "CvxnnError",
    "InvalidDataError", "InvalidParameterError", "ProblemFileError", "ProblemTooLargeError", "SolverFailedError",
    "SolverNotInstalledError", "UnknownSolverError", "UnsupportedCombinationError", "Layer", "Network", "Penalty",
    "PenaltyTerm", "LassoProgram", "SolveResult", "build", "ACCURACIES", "get_solver", "installed_solvers", "symmetries",
]
