"""Data loading and the small built-in problem set."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InvalidDataError


def read_csv(path) -> tuple[np.ndarray, np.ndarray]:
    """Read a CSV with a header row; the LAST column is the target y, the others are the inputs X."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InvalidDataError(f"data file {str(path)!r} does not exist. Pass the path of a CSV file with a header.")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InvalidDataError(
            f"data file {str(path)!r} is empty; it needs a header row and at least two data rows."
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidDataError(f"could not parse {str(path)!r} as CSV: {exc}") from None
    if frame.shape[1] < 2:
        raise InvalidDataError(
            f"data file {str(path)!r} has {frame.shape[1]} column(s); it needs at least one input column and the "
            "target as the LAST column, under a header row."
        )
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InvalidDataError(
                f"data file {str(path)!r}: column {col!r} has a non-numeric value {frame[col].iloc[row]!r} in data "
                f"row {row + 1}. Every cell must be a number."
            )
        if frame[col].isna().any():
            row = int(np.flatnonzero(frame[col].isna().to_numpy())[0])
            raise InvalidDataError(
                f"data file {str(path)!r}: column {col!r} has a missing or NaN value in data row {row + 1}. "
                "Remove or impute it."
            )
        frame[col] = values
    data = frame.to_numpy(dtype=np.float64)
    return data[:, :-1], data[:, -1]


def write_csv(path, X, y, names=None) -> None:
    import pandas as pd

    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    names = names or [f"x{i + 1}" for i in range(X.shape[1])] + ["y"]
    pd.DataFrame(np.column_stack([X, y]), columns=names).to_csv(path, index=False, float_format="%.17g")


#: the published toy sets of the deep 1-D paper (theory: "Deep ReLU chains on 1-D data")
TOY_SETS = {
    "opt": ([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3]),
    "zshape": ([0, 2, 6, 7], [0, 0, 3, 3]),
    "bounce": ([0, 2, 6, 7], [0, 0, 3, 7]),
}


def noisy_sine(n: int = 12, seed: int = 0, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """n sorted points on [-2, 2] with y = sin(2x) + noise (seeded)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2.0, 2.0, n))
    return x, np.sin(2.0 * x) + noise * rng.normal(size=n)
