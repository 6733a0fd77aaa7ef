"""Problem files: a training problem in TOML (data inline, as a CSV path, or from a seeded generator), the model
settings and beta. The format is documented in problems/README.md.

```toml
name = "opt-relu"
description = "published toy set 'opt'"
model = "two-layer"          # two-layer | deep-1d
activation = "relu"          # relu | leaky | abs | sign | threshold
depth = 2
bias = "free"                # free | none
beta = 0.1                   # or: mode = "interpolation" (and no beta)

[data]                       # exactly one of: x and y | csv | generator
x = [0, 4, 5, 7, 10, 11]
y = [0, 0, 0, 2, 3, 3]
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .architectures import Deep1D, DeepAbs, GatedReLU, TwoLayer

MODELS = ("two-layer", "deep-1d", "gated-relu", "deep-abs")
from .errors import CvxnnError, ProblemFileError
from .validation import closest

TOP_KEYS = {"name", "description", "model", "activation", "depth", "bias", "beta", "mode", "leaky_slope",
            "sign_objective", "ramps", "patterns", "n_samples", "max_patterns", "inner_norm", "duplicates", "data"}
DATA_KEYS = {"x", "y", "csv", "generator", "n", "seed", "noise"}
GENERATORS = ("noisy_sine",)


@dataclass
class Problem:
    """A named training problem: data, architecture settings, beta (None in interpolation mode)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    activation: str = "relu"
    beta: float | None = None
    model: str = "two-layer"
    depth: int | None = None  # default: 2 (two-layer, deep-1d), 3 (deep-abs)
    bias: str | None = None
    mode: str = "training"
    leaky_slope: float = 0.1
    sign_objective: str = "amplitude"
    ramps: str = "data"
    patterns: str = "exact"
    n_samples: int = 2000
    max_patterns: int = 100_000
    inner_norm: str | None = None  # two-layer abs: l2 (default) | l1; deep-abs: l1 (default) | l2
    duplicates: str = "error"
    description: str = ""
    source: str = "builtin"
    extra: dict = field(default_factory=dict)

    def architecture(self):
        """The architecture object for ``model`` ('two-layer' or 'deep-1d')."""
        from .validation import check_choice

        model = check_choice(self.model, MODELS, "model")
        if model == "deep-1d":
            return Deep1D(self.depth or 2, self.activation, bias=self.bias, ramps=self.ramps)
        if model == "deep-abs":
            return DeepAbs(self.depth or 3, inner_norm=self.inner_norm or "l1", bias=self.bias)
        if model == "gated-relu":
            return GatedReLU(bias=self.bias, patterns=self.patterns, n_samples=self.n_samples,
                             max_patterns=self.max_patterns)
        if (self.depth or 2) != 2:
            from .errors import UnsupportedCombinationError

            raise UnsupportedCombinationError(
                f"model 'two-layer' needs depth 2; received depth {self.depth}. Use model 'deep-1d' for deeper nets."
            )
        return TwoLayer(self.activation, bias=self.bias, leaky_slope=self.leaky_slope,
                        sign_objective=self.sign_objective, patterns=self.patterns, n_samples=self.n_samples,
                        max_patterns=self.max_patterns, inner_norm=self.inner_norm or "l2")

    @property
    def n(self) -> int:
        return int(self.X.shape[0])


def _fail(path, key, message) -> ProblemFileError:
    return ProblemFileError(f"problem file {str(path)!r}, key {key!r}: {message}")


def _get(table, key, kind, path, default=None, prefix=""):
    if key not in table:
        return default
    value = table[key]
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(path, prefix + key, f"expected a number, got {value!r}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, prefix + key, f"expected an integer, got {value!r}")
        return value
    if not isinstance(value, kind):
        raise _fail(path, prefix + key, f"expected a {kind.__name__}, got {value!r}")
    return value


def _check_keys(table, allowed, path, prefix=""):
    for key in table:
        if key not in allowed:
            raise _fail(path, prefix + key, f"unknown key; allowed keys are {', '.join(sorted(allowed))}."
                        + closest(key, sorted(allowed)))


def _numeric_list(value, path, key):
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _fail(path, key, "expected a list of numbers (or a list of rows for several input columns)") from None
    if arr.ndim not in (1, 2):
        raise _fail(path, key, f"expected a list of numbers or of rows; got an array of shape {arr.shape}")
    return arr


def _load_data(table, path: Path):
    from .data import noisy_sine, read_csv

    _check_keys(table, DATA_KEYS, path, "data.")
    sources = [k for k in ("x", "csv", "generator") if k in table]
    if len(sources) != 1:
        raise _fail(path, "data", "give exactly one data source: 'x' and 'y' inline, 'csv' (a path relative to "
                    f"the problem file) or 'generator'; found {sources or 'none'}")
    src = sources[0]
    if src == "x":
        if "y" not in table:
            raise _fail(path, "data.y", "missing: inline data needs both 'x' and 'y'")
        return _numeric_list(table["x"], path, "data.x"), _numeric_list(table["y"], path, "data.y")
    if src == "csv":
        csv = Path(_get(table, "csv", str, path, prefix="data."))
        csv = csv if csv.is_absolute() else path.parent / csv
        try:
            return read_csv(csv)
        except CvxnnError as exc:
            raise _fail(path, "data.csv", str(exc)) from None
    gen = _get(table, "generator", str, path, prefix="data.")
    if gen not in GENERATORS:
        raise _fail(path, "data.generator", f"unknown generator {gen!r}; available: {', '.join(GENERATORS)}."
                    + closest(gen, GENERATORS))
    n = _get(table, "n", int, path, 12, "data.")
    seed = _get(table, "seed", int, path, 0, "data.")
    noise = _get(table, "noise", float, path, 0.1, "data.")
    return noisy_sine(n, seed=seed, noise=noise)


def load_problem(path) -> Problem:
    """Read a TOML problem file; every malformed entry raises :class:`ProblemFileError` naming file and key."""
    path = Path(path)
    if not path.is_file():
        raise ProblemFileError(f"problem file {str(path)!r} does not exist.")
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ProblemFileError(f"problem file {str(path)!r} is not valid TOML: {exc}") from None
    _check_keys(doc, TOP_KEYS, path)
    if "data" not in doc or not isinstance(doc["data"], dict):
        raise _fail(path, "data", "missing: a [data] table is required")
    X, y = _load_data(doc["data"], path)
    mode = _get(doc, "mode", str, path, "training")
    beta = _get(doc, "beta", float, path)
    return Problem(
        name=_get(doc, "name", str, path, path.stem),
        X=X, y=y,
        activation=_get(doc, "activation", str, path, "relu"),
        beta=beta,
        model=_get(doc, "model", str, path, "two-layer"),
        depth=_get(doc, "depth", int, path, None),
        bias=_get(doc, "bias", str, path),
        mode=mode,
        leaky_slope=_get(doc, "leaky_slope", float, path, 0.1),
        sign_objective=_get(doc, "sign_objective", str, path, "amplitude"),
        ramps=_get(doc, "ramps", str, path, "data"),
        patterns=_get(doc, "patterns", str, path, "exact"),
        n_samples=_get(doc, "n_samples", int, path, 2000),
        max_patterns=_get(doc, "max_patterns", int, path, 100_000),
        inner_norm=_get(doc, "inner_norm", str, path, None),
        duplicates=_get(doc, "duplicates", str, path, "error"),
        description=_get(doc, "description", str, path, ""),
        source=str(path),
    )


def builtin_problems() -> list[Problem]:
    """The small problem set the README's first command runs: every 1-D two-layer activation on seeded noisy
    sines, and the published toy sets (training and minimum-norm interpolation)."""
    from .data import TOY_SETS, noisy_sine

    out = []
    x, y = noisy_sine(12, seed=0)
    x40, y40 = noisy_sine(40, seed=1)
    for act in ("relu", "leaky", "abs", "sign", "threshold"):
        out.append(Problem(f"sine12-{act}", x, y, act, 0.05, description="noisy sine, n = 12"))
        out.append(Problem(f"sine40-{act}", x40, y40, act, 0.01, description="noisy sine, n = 40"))
    for name, (tx, ty) in TOY_SETS.items():
        tx, ty = np.array(tx, float), np.array(ty, float)
        out.append(Problem(f"{name}-relu", tx, ty, "relu", 0.1, description=f"toy set '{name}'"))
        out.append(Problem(f"{name}-relu-interp", tx, ty, "relu", None, mode="interpolation",
                           description=f"toy set '{name}', minimum-norm interpolation"))
    return out
