"""Input checks. Each check raises a cvxnn error whose message says what was received, what is needed and how to
fix it. Nothing here rescales or mutates the caller's arrays: checked copies are returned."""

from __future__ import annotations

import difflib
import math
from numbers import Real

import numpy as np

from .errors import InvalidDataError, InvalidParameterError


def closest(name: str, options) -> str:
    """A ' Did you mean ...?' hint for a misspelled name, or ''."""
    match = difflib.get_close_matches(str(name).lower(), [str(o) for o in options], n=1, cutoff=0.5)
    return f" Did you mean '{match[0]}'?" if match else ""


def check_choice(value, options, what: str, error=InvalidParameterError) -> str:
    """Return ``value`` (lower-cased) if it is one of ``options``; otherwise raise with the closest option."""
    if not isinstance(value, str) or value.lower() not in options:
        raise error(
            f"unknown {what} {value!r}; expected one of {', '.join(repr(o) for o in options)}."
            + (closest(value, options) if isinstance(value, str) else "")
        )
    return value.lower()


def check_beta(beta) -> float:
    """beta must be a finite real number > 0 (beta -> 0 is the separate interpolation mode)."""
    if isinstance(beta, bool) or not isinstance(beta, (Real, np.floating, np.integer)):
        raise InvalidParameterError(
            f"beta must be a finite number > 0; received {beta!r} of type {type(beta).__name__}. "
            "Pass a float such as beta=0.1."
        )
    b = float(beta)
    if not math.isfinite(b) or b <= 0:
        raise InvalidParameterError(
            f"beta must be a finite number > 0; received {beta!r}. The weight-decay strength of training must be "
            "positive (use the minimum-norm interpolation mode for the beta -> 0 limit)."
        )
    return b


def _as_float_array(a, name: str) -> np.ndarray:
    try:
        arr = np.array(a, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"{name} must be numeric; could not convert it to float64 ({exc}). Pass a numeric array."
        ) from None
    return arr


def check_xy(X, y, *, min_points: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Checked float64 copies of X (n, d) and y (n,).

    X may be 1-D of length n (one feature). y may be (n,) or (n, 1). Raises on NaN/inf, wrong shapes, mismatched
    lengths, or fewer than ``min_points`` samples.
    """
    X = _as_float_array(X, "X")
    y = _as_float_array(y, "y")
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise InvalidDataError(
            f"X must be a 2-D array of shape (n_samples, n_features) or 1-D of length n_samples; received shape "
            f"{X.shape}. Reshape it, e.g. X.reshape(n, -1)."
        )
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise InvalidDataError(
            f"y must be 1-D of length n_samples (one target); received shape {y.shape}. cvxnn fits scalar outputs."
        )
    if X.shape[0] != y.shape[0]:
        raise InvalidDataError(
            f"X and y must have the same number of samples; received X with {X.shape[0]} rows and y with "
            f"{y.shape[0]} entries."
        )
    if X.shape[1] == 0:
        raise InvalidDataError(f"X has no feature columns (shape {X.shape}); at least one input feature is needed.")
    n = X.shape[0]
    if n < min_points:
        raise InvalidDataError(
            f"need at least {min_points} training points; received {n}. A convex training problem with "
            "fewer points is degenerate: add data."
        )
    for name, arr in (("X", X), ("y", y)):
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = np.argwhere(bad)[0]
            raise InvalidDataError(
                f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf), the first at index "
                f"{tuple(int(i) for i in idx)}. Remove or impute those samples before training."
            )
    return X, y


def feature_inputs(X, d: int) -> np.ndarray:
    """New inputs for a dictionary's ``features``: shape (k, d); a 1-D array is k points when d == 1, else one point."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1) if d == 1 else X.reshape(1, -1)
    if X.ndim != 2 or X.shape[1] != d:
        raise InvalidDataError(f"features needs inputs of shape (k, {d}); received shape {X.shape}.")
    return X


def find_duplicate_points(X: np.ndarray) -> list[list[int]]:
    """Groups (lists of row indices, size >= 2) of identical rows of X."""
    _, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    inverse = np.asarray(inverse).reshape(-1)
    return [list(np.flatnonzero(inverse == g)) for g in np.flatnonzero(counts > 1)]


def check_duplicates(X: np.ndarray, policy: str) -> None:
    """Raise on repeated input points unless ``policy == 'merge'``."""
    policy = check_choice(policy, ("error", "merge"), "duplicates policy")
    if policy == "merge":
        return
    groups = find_duplicate_points(X)
    if groups:
        shown = "; ".join(
            f"rows {g[:5]} at x = {X[g[0]].tolist() if X.shape[1] > 1 else float(X[g[0], 0])}" for g in groups[:3]
        )
        raise InvalidDataError(
            f"the data has {len(groups)} repeated input point(s) ({shown}). Repeated points give repeated "
            "dictionary columns. Pass duplicates='merge' (CLI: --duplicates merge) to let repeated points share "
            "one breakpoint while every sample still counts in the loss, or remove the repeats."
        )


def check_interpolable(X: np.ndarray, y: np.ndarray) -> None:
    """Interpolation mode needs one target per input point."""
    for group in find_duplicate_points(X):
        if np.ptp(y[group]) > 0:
            point = f"{float(X[group[0], 0]):g}" if X.shape[1] == 1 else str(X[group[0]].tolist())
            raise InvalidDataError(
                f"interpolation mode needs one target per input point; rows {group[:5]} share x = {point} but have "
                f"targets {y[group[:5]].tolist()}. No network fits them exactly: use training mode with beta > 0."
            )


def input_scale(X) -> float:
    """The largest range of one input coordinate, max_k (max_i X_ik - min_i X_ik); 1 when that is 0 or X is empty:
    the unit of the absolute tolerances on inputs (degenerate directions, equal columns, symmetry matches)."""
    X = np.asarray(X, dtype=np.float64)
    s = float(np.max(np.ptp(X, axis=0))) if X.size else 0.0
    return s if s > 0 else 1.0
