"""A scikit-learn estimator around cvxnn: ``cvxnn.sklearn.ConvexNetRegressor`` (``pip install "cvxnn[sklearn]"``).

``fit`` builds the exact convex program of the architecture (:func:`cvxnn.build`), solves it, rebuilds the network
and checks its certificate; ``predict`` evaluates the network; ``score`` is R^2. After ``fit``: ``network_``,
``certificate_`` (a :class:`cvxnn.Certificate`; ``certificate_.globally_optimal`` is true only for a certificate
with scope 'global'), ``result_``, ``program_`` and ``n_features_in_``.

A beta path costs one build. Programs are DPP (beta is a CVXPY parameter), so fits on the same training data and
architecture share the built program through a small cache and only change beta: ``GridSearchCV(est, {"beta":
[...]})`` builds one program per fold, not one per (fold, beta). ``program_cache_info()`` reports the cache,
``clear_program_cache()`` empties it, ``cache=False`` turns it off for an estimator.

Only this module imports scikit-learn; ``import cvxnn`` does not.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict

import numpy as np

try:
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.utils.validation import check_is_fitted
except ImportError as exc:  # pragma: no cover - scikit-learn is in the sklearn and test extras
    raise ImportError(
        f"cvxnn.sklearn needs scikit-learn, which is not installed ({exc}). Install it with: "
        'pip install "cvxnn[sklearn]"'
    ) from None

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _validate_data(estimator, X="no_validation", y="no_validation", reset=True, **kwargs):
        return estimator._validate_data(X, y, reset=reset, **kwargs)

from .architectures import TwoLayer
from .certify import certify
from .errors import InvalidDataError, SolverFailedError
from .validation import check_beta, check_choice

#: what ``fit`` does when the certificate fails: warn (default), raise, or nothing
ON_UNCERTIFIED = ("warn", "raise", "ignore")
#: programs kept by the cache (each one per (training data, architecture, duplicates)); a k-fold beta path needs k
PROGRAM_CACHE_SIZE = 16


class CertificateWarning(UserWarning):
    """A fit whose certificate did not pass (see ``certificate_.failures``)."""


# ------------------------------------------------------------------------------------------------ the program cache
class _Entry:
    def __init__(self, program):
        self.program = program
        self.lock = threading.Lock()  # set_beta + solve + certify of one fit at a time


_CACHE: OrderedDict = OrderedDict()
_CACHE_LOCK = threading.Lock()
_STATS = {"hits": 0, "misses": 0}


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a, dtype=np.float64)
    return hashlib.sha256(a.view(np.uint8).tobytes() + str(a.shape).encode()).hexdigest()


def _cache_key(X, y, architecture, duplicates):
    try:
        hash(architecture)
    except TypeError:  # an architecture that is not hashable is not cached
        return None
    return (_digest(X), _digest(y), architecture, duplicates)


def _program(X, y, architecture, beta, duplicates, use_cache: bool) -> _Entry:
    """The built program for (X, y, architecture, duplicates): from the cache when it holds one, else built now."""
    from .models import build

    key = _cache_key(X, y, architecture, duplicates) if use_cache else None
    if key is not None:
        with _CACHE_LOCK:
            entry = _CACHE.get(key)
            if entry is not None:
                _CACHE.move_to_end(key)
                _STATS["hits"] += 1
                return entry
    entry = _Entry(build(X.copy(), y.copy(), architecture, beta, duplicates=duplicates))  # the cache keeps copies
    if key is not None and _can_set_beta(entry.program):
        with _CACHE_LOCK:
            _STATS["misses"] += 1
            _CACHE[key] = entry
            while len(_CACHE) > PROGRAM_CACHE_SIZE:
                _CACHE.popitem(last=False)
    return entry


def _can_set_beta(program) -> bool:
    return callable(getattr(program, "set_beta", None)) or _beta_parameter(program) is not None


def _beta_parameter(program):
    import cvxpy as cp

    p = getattr(program, "beta", None)
    return p if isinstance(p, cp.Parameter) else None


def _set_beta(program, beta: float) -> None:
    if callable(getattr(program, "set_beta", None)):
        program.set_beta(beta)
    else:  # a DPP program whose beta is a CVXPY parameter
        _beta_parameter(program).value = check_beta(beta)


def program_cache_info() -> dict:
    """{'hits', 'misses', 'size', 'max_size'} of the program cache shared by every ConvexNetRegressor."""
    with _CACHE_LOCK:
        return {**_STATS, "size": len(_CACHE), "max_size": PROGRAM_CACHE_SIZE}


def clear_program_cache() -> None:
    """Drop every cached program and reset the counts."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _STATS.update(hits=0, misses=0)


# ------------------------------------------------------------------------------------------------ the estimator
class ConvexNetRegressor(RegressorMixin, BaseEstimator):
    """A neural network trained to its exact global optimum by convex optimization, with a certificate.

    Parameters
    ----------
    architecture : a cvxnn architecture (``cvxnn.TwoLayer``, ``cvxnn.Deep1D``, ``cvxnn.DeepAbs``,
        ``cvxnn.GatedReLU``) or None for ``cvxnn.TwoLayer("relu")``. Exact arrangement programs grow like n^d; for
        many features use ``TwoLayer("relu", patterns="sample")`` (scope 'sampled': no global certificate).
    beta : weight-decay strength, > 0.
    solver, accuracy, time_limit : as in :func:`cvxnn.train` (``solver="auto"``: Clarabel; ``accuracy`` low, mid or
        high).
    duplicates : 'merge' (default: repeated inputs share a unit, every sample still counts) or 'error'.
    on_uncertified : what ``fit`` does when the certificate fails: 'warn' (a :class:`CertificateWarning`),
        'raise' (:class:`cvxnn.SolverFailedError`) or 'ignore'. The certificate is in ``certificate_`` either way.
    cache : reuse the built program of earlier fits on the same data and architecture (a beta path); the program is
        then shared, so ``program_`` holds the beta of the latest fit that used it.

    Attributes
    ----------
    network_ : the trained network (``network_.predict``, ``network_.save``, ``network_.to_torch``).
    certificate_ : its :class:`cvxnn.Certificate`; ``globally_optimal`` only with scope 'global'.
    result_ : the :class:`cvxnn.SolveResult` (solver run, convex solution, dual vector).
    program_ : the convex program (not pickled: None after unpickling).
    n_features_in_ : number of input features (``feature_names_in_`` too when X has column names).
    """

    def __init__(self, architecture=None, beta=0.01, solver="auto", accuracy="high", duplicates="merge",
                 time_limit=None, on_uncertified="warn", cache=True):
        self.architecture = architecture
        self.beta = beta
        self.solver = solver
        self.accuracy = accuracy
        self.duplicates = duplicates
        self.time_limit = time_limit
        self.on_uncertified = on_uncertified
        self.cache = cache

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = False
        return tags

    def fit(self, X, y):
        """Build (or reuse), solve and certify the convex program of ``architecture`` on (X, y)."""
        X, y = _validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        if X.shape[0] < 2:
            raise InvalidDataError(
                f"ConvexNetRegressor needs at least 2 samples to fit; received {X.shape[0]} sample. Pass more rows "
                "of X and y."
            )
        beta = check_beta(self.beta)
        on_uncertified = check_choice(self.on_uncertified, ON_UNCERTIFIED, "on_uncertified")
        architecture = TwoLayer("relu") if self.architecture is None else self.architecture
        entry = _program(X, y, architecture, beta, self.duplicates, bool(self.cache))
        with entry.lock:
            _set_beta(entry.program, beta)
            result = entry.program.solve(solver=self.solver, accuracy=self.accuracy, time_limit=self.time_limit)
            certificate = certify(entry.program, result)
        self.program_, self.result_, self.certificate_ = entry.program, result, certificate
        self.network_ = result.network
        if not certificate.certified and on_uncertified != "ignore":
            message = (f"the fit with beta = {beta:g} is NOT certified: {'; '.join(certificate.failures)}. Try "
                       "accuracy='high' or another solver; certificate_ has the details.")
            if on_uncertified == "raise":

                raise SolverFailedError(message)
            warnings.warn(message, CertificateWarning, stacklevel=2)
        return self

    def predict(self, X):
        """The network's predictions, shape (n_samples,)."""
        check_is_fitted(self, "network_")
        X = _validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(self.network_.predict(X), dtype=np.float64).reshape(-1)

    def __getstate__(self):
        state = super().__getstate__()
        if "program_" in state:
            state["program_"] = None  # a CVXPY problem: rebuilt by fitting again, not pickled
        return state


__all__ = ["PROGRAM_CACHE_SIZE", "CertificateWarning", "ConvexNetRegressor", "clear_program_cache",
           "program_cache_info"]
