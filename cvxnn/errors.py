"""Exception hierarchy of cvxnn.

Every error raised on purpose by cvxnn is a :class:`CvxnnError` that also subclasses the matching built-in
exception, so ``except ValueError`` keeps working. Messages say what was received, what is needed and how to fix it.
"""


class CvxnnError(Exception):
    """Base class of all cvxnn errors."""


class InvalidDataError(CvxnnError, ValueError):
    """Training data (X, y) that cvxnn cannot use: NaN/inf, wrong shape, too few points, duplicates, non-numeric."""


class InvalidParameterError(CvxnnError, ValueError):
    """A setting with a bad value: beta <= 0, an unknown activation, model, bias convention or accuracy."""


class UnsupportedCombinationError(CvxnnError, ValueError):
    """Settings that are valid alone but whose combination has no exact convex reformulation in cvxnn."""


class ProblemTooLargeError(CvxnnError, ValueError):
    """A dictionary or arrangement larger than the budget; raised before anything large is built."""


class UnknownSolverError(CvxnnError, ValueError):
    """A solver name that cvxnn does not know (usually a misspelling)."""


class SolverNotInstalledError(CvxnnError, ImportError):
    """A solver that cvxnn knows but whose package is not installed."""


class SolverFailedError(CvxnnError, RuntimeError):
    """The solver ran but returned no usable solution."""


class ProblemFileError(CvxnnError, ValueError):
    """A malformed problem or data file."""
