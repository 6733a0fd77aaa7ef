"""Problem files and the problem library.

A problem file is a training problem in TOML (data inline, as a CSV path, or from a seeded generator), the model
settings and beta. The format is documented in problems/README.md.

```toml
name = "opt-relu"
description = "published toy set 'opt'"
model = "two-layer"          # two-layer | deep-1d | gated-relu | deep-abs
activation = "relu"          # relu | leaky | abs | sign | threshold
depth = 2
bias = "free"                # free | none | penalized
beta = 0.1                   # or: mode = "interpolation" (and no beta)

[data]                       # exactly one of: x and y | csv | generator (+ its keys)
x = [0, 4, 5, 7, 10, 11]
y = [0, 0, 0, 2, 3, 3]
```

The library (:func:`suite`) is a list of problem *families* (:data:`FAMILIES`): one model and activation on one
seeded generator, in three sizes: ``tiny`` (tests: well under a second per solve), ``small`` (the README's main
command, ``cvxnn bench``) and ``medium`` (real solver comparisons: seconds per solve). Problem names carry the
number of points (``relu-2d-n30``), so rows of different sizes never share a resume key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .architectures import Deep1D, DeepAbs, GatedReLU, TwoLayer
from .data import TOY_SETS, noisy_sine, read_csv
from .errors import CvxnnError, InvalidParameterError, ProblemFileError, UnsupportedCombinationError
from .validation import check_choice, closest

MODELS = ("two-layer", "deep-1d", "gated-relu", "deep-abs")
TOP_KEYS = {"name", "description", "model", "activation", "depth", "bias", "beta", "mode", "leaky_slope",
            "sign_objective", "ramps", "patterns", "n_samples", "max_patterns", "inner_norm", "duplicates", "data",
            "formulation", "linear_term"}
SUITES = ("tiny", "small", "medium")


# ------------------------------------------------------------------------------------------------ generators

def _noisy_sine(n=12, seed=0, noise=0.1, spacing="random"):
    if spacing == "random":
        return noisy_sine(n, seed=seed, noise=noise)
    x = np.linspace(-2.0, 2.0, n)
    return x, np.sin(2.0 * x) + noise * np.random.default_rng(seed).normal(size=n)


def _gaussian(n=20, d=2, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, np.sin(X[:, 0]) + X[:, -1] ** 2 - 0.5 + noise * rng.normal(size=n)


def _sawtooth(order=3):
    x = np.arange(2 ** (order + 1) + 1) / 2 ** (order + 1)
    y = x.copy()
    for _ in range(order):
        y = np.where(y < 0.5, 2.0 * y, 2.0 * (1.0 - y))
    return x, y


def _toy(set="opt"):  # noqa: A002 - the TOML key is 'set'
    tx, ty = TOY_SETS[set]
    return np.array(tx, dtype=np.float64), np.array(ty, dtype=np.float64)


@dataclass(frozen=True)
class Generator:
    """A seeded data generator: ``function(**keys)`` returns (X, y); ``keys`` maps each argument to
    (type, default, allowed values or None, meaning)."""

    name: str
    function: object
    keys: dict
    description: str

    def __call__(self, **kwargs):
        return self.function(**{k: kwargs.get(k, spec[1]) for k, spec in self.keys.items()})


def _toy_names():
    return tuple(TOY_SETS)


GENERATORS: dict[str, Generator] = {g.name: g for g in (
    Generator("noisy_sine", _noisy_sine,
              {"n": (int, 12, None, "number of points (>= 2)"), "seed": (int, 0, None, "random seed"),
               "noise": (float, 0.1, None, "standard deviation of the Gaussian noise on y"),
               "spacing": (str, "random", ("random", "grid"),
                           "'random': sorted uniform x on [-2, 2]; 'grid': evenly spaced x (well separated, for "
                           "interpolation)")},
              "1-D: n points on [-2, 2], y = sin(2x) + noise"),
    Generator("gaussian", _gaussian,
              {"n": (int, 20, None, "number of points (>= 2)"), "d": (int, 2, None, "input dimension (>= 1)"),
               "seed": (int, 0, None, "random seed"),
               "noise": (float, 0.1, None, "standard deviation of the Gaussian noise on y")},
              "d-dimensional: X ~ N(0, I_d), y = sin(x_1) + x_d^2 - 1/2 + noise"),
    Generator("sawtooth", _sawtooth, {"order": (int, 3, None, "number of compositions s (>= 1)")},
              "Yarotsky's sawtooth g_s (s-fold tent map) on the grid k / 2^(s+1): 2^(s+1) + 1 points, no noise"),
    Generator("toy", _toy, {"set": (str, "opt", None, "opt | zshape | bounce")},
              "the published toy sets of the deep 1-D paper (Zeger et al. 2024): opt (6 points), zshape, bounce (4)"),
)}
DATA_KEYS = {"x", "y", "csv", "generator"} | {k for g in GENERATORS.values() for k in g.keys}


def generate(generator: str, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) from a named generator (:data:`GENERATORS`); unknown names and keys raise InvalidParameterError."""
    if generator not in GENERATORS:
        raise InvalidParameterError(f"unknown generator {generator!r}; available: {', '.join(GENERATORS)}."
                                    + closest(generator, GENERATORS))
    gen = GENERATORS[generator]
    bad = [k for k in kwargs if k not in gen.keys]
    if bad:
        raise InvalidParameterError(f"generator {generator!r} takes {', '.join(gen.keys)}; received "
                                    f"{', '.join(map(repr, bad))}.")
    _check_generator_values(gen, kwargs, lambda key, msg: InvalidParameterError(
        f"generator {generator!r}, {key}: {msg}"))
    return gen(**kwargs)


def _check_generator_values(gen: Generator, values: dict, fail) -> None:
    for key, value in values.items():
        kind, _, allowed, _ = gen.keys[key]
        if key == "set" and value not in _toy_names():
            raise fail(key, f"unknown toy set {value!r}; available: {', '.join(_toy_names())}."
                       + closest(str(value), _toy_names()))
        if allowed is not None and value not in allowed:
            raise fail(key, f"expected one of {', '.join(map(repr, allowed))}, got {value!r}."
                       + closest(str(value), allowed))
        if kind is int:
            low = {"n": 2, "d": 1, "order": 1}.get(key)
            if low is not None and value < low:
                raise fail(key, f"must be >= {low}, got {value!r}")
            if key == "order" and value > 12:
                raise fail(key, f"must be <= 12 (2^(order+1) + 1 points), got {value!r}")
        if key == "noise" and value < 0:
            raise fail(key, f"must be >= 0, got {value!r}")


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
    formulation: str = "sparse"  # 1-D models: sparse (O(n), default) | dense (the stored dictionary)
    linear_term: bool = False  # 1-D models, free biases: an unpenalised linear term c x
    duplicates: str = "error"
    description: str = ""
    source: str = "builtin"
    extra: dict = field(default_factory=dict)

    def architecture(self):
        """The architecture object for ``model`` ('two-layer' or 'deep-1d')."""
        model = check_choice(self.model, MODELS, "model")
        if model == "deep-1d":
            return Deep1D(self.depth or 2, self.activation, bias=self.bias, ramps=self.ramps,
                          formulation=self.formulation, linear_term=self.linear_term)
        if model == "deep-abs":
            return DeepAbs(self.depth or 3, inner_norm=self.inner_norm or "l1", bias=self.bias)
        if model == "gated-relu":
            return GatedReLU(bias=self.bias, patterns=self.patterns, n_samples=self.n_samples,
                             max_patterns=self.max_patterns)
        if (self.depth or 2) != 2:
            raise UnsupportedCombinationError(
                f"model 'two-layer' needs depth 2; received depth {self.depth}. Use model 'deep-1d' for deeper nets."
            )
        return TwoLayer(self.activation, bias=self.bias, leaky_slope=self.leaky_slope,
                        sign_objective=self.sign_objective, patterns=self.patterns, n_samples=self.n_samples,
                        max_patterns=self.max_patterns, inner_norm=self.inner_norm or "l2",
                        formulation=self.formulation, linear_term=self.linear_term)

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
    _check_keys(table, DATA_KEYS, path, "data.")
    sources = [k for k in ("x", "csv", "generator") if k in table]
    if len(sources) != 1:
        raise _fail(path, "data", "give exactly one data source: 'x' and 'y' inline, 'csv' (a path relative to "
                    f"the problem file) or 'generator'; found {sources or 'none'}")
    src = sources[0]
    own = {"x": ("x", "y"), "csv": ("csv",), "generator": ("generator",)}[src]
    if src != "generator":
        for key in table:
            if key not in own:
                raise _fail(path, "data." + key, f"{key!r} belongs to a generator; with the data source {src!r} "
                            f"the [data] table takes only {', '.join(map(repr, own))}.")
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
    spec = GENERATORS[gen]
    for key in table:
        if key not in ("generator", *spec.keys):
            raise _fail(path, "data." + key, f"generator {gen!r} takes the keys {', '.join(spec.keys)}; "
                        f"{key!r} belongs to another data source or generator.")
    values = {key: _get(table, key, spec.keys[key][0], path, prefix="data.") for key in spec.keys if key in table}
    _check_generator_values(spec, values, lambda key, msg: _fail(path, "data." + key, msg))
    return spec(**values)


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
        formulation=_get(doc, "formulation", str, path, "sparse"),
        linear_term=_get(doc, "linear_term", bool, path, False),
        duplicates=_get(doc, "duplicates", str, path, "error"),
        description=_get(doc, "description", str, path, ""),
        source=str(path),
    )


# ------------------------------------------------------------------------------------------------ library

@dataclass(frozen=True)
class Family:
    """One model and activation on one seeded generator, in the three library sizes.

    ``settings``: :class:`Problem` fields shared by every size (model, activation, depth, beta, mode, ...);
    ``data``: generator arguments shared by every size; ``sizes``: per size, more generator arguments and/or
    Problem fields (a size missing from it has no problem of this family); ``label``: the problem name, formatted
    with ``name`` (the family's), ``n`` (number of points) and the generator arguments."""

    name: str
    description: str
    generator: str
    sizes: dict
    settings: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    label: str = "{name}-n{n}"

    def problem(self, size: str) -> Problem:
        spec = {**self.data, **self.settings, **self.sizes[size]}
        gen = GENERATORS[self.generator]
        gen_args = {k: v for k, v in spec.items() if k in gen.keys}
        fields = {k: v for k, v in spec.items() if k not in gen.keys}
        X, y = generate(self.generator, **gen_args)
        name = self.label.format(**{**gen_args, "name": self.name, "n": len(y)})
        where = ", ".join(f"{k} = {v}" for k, v in gen_args.items())
        return Problem(name=name, X=X, y=y, description=f"{self.description} ({self.generator}: {where})",
                       source=f"library:{size}", extra={"family": self.name, "size": size,
                                                        "generator": self.generator, "data": gen_args},
                       **fields)


def _sizes(tiny, small, medium, **shared):
    """Per-size specs: each of tiny / small / medium is an n or a dict (merged over ``shared``)."""
    out = {}
    for size, spec in zip(SUITES, (tiny, small, medium)):
        if spec is not None:
            out[size] = {**shared, **(spec if isinstance(spec, dict) else {"n": spec})}
    return out


def _families() -> list[Family]:
    fams = []
    # 1-D two-layer nets, training: a Lasso over data breakpoints (relu, leaky, abs) or gap midpoints (sign,
    # threshold); the native Lasso backends take these
    for act in ("relu", "leaky", "abs", "sign", "threshold"):
        big = 400 if act in ("sign", "threshold") else 200
        fams.append(Family(f"{act}-1d", f"two-layer {act} net, 1-D noisy sine, training", "noisy_sine",
                           _sizes({"n": 8, "beta": 0.05}, 40, big, beta=0.01),
                           {"model": "two-layer", "activation": act}, {"seed": 1}))
    # 1-D minimum-norm interpolation (LPs) on evenly spaced points (random spacing puts points so close that the
    # interpolating slopes explode and interior-point solvers fail numerically)
    for act, big in (("relu", 120), ("abs", 300)):
        fams.append(Family(f"{act}-1d-interp", f"two-layer {act} net, minimum-norm interpolation of a noisy sine",
                           "noisy_sine", _sizes(8, 30, big), {"model": "two-layer", "activation": act,
                                                             "mode": "interpolation"},
                           {"seed": 2, "spacing": "grid"}))
    # deep 1-D chains, training: Lasso over ramps (relu) or over the vertices of the chain-parameter arrangement
    for act, depth, sizes in (("relu", 3, (6, 20, 60)), ("relu", 4, (6, 20, 60)), ("abs", 3, (6, 15, 40)),
                              ("abs", 4, (5, 8, 12))):
        fams.append(Family(f"{act}-deep{depth}", f"depth-{depth} {act} chains, 1-D noisy sine, training",
                           "noisy_sine", _sizes({"n": sizes[0], "beta": 0.05}, sizes[1], sizes[2], beta=0.01),
                           {"model": "deep-1d", "activation": act, "depth": depth}, {"seed": 3}))
    # d >= 2: exact cone-constrained group Lasso over the hyperplane arrangement (bias penalised)
    for d, sizes in ((2, (6, 12, 30)), (3, (5, 10, 15))):
        for act in ("relu", "leaky", "abs"):
            fams.append(Family(f"{act}-{d}d", f"two-layer {act} net, {d}-D Gaussian inputs, arrangement group "
                               "Lasso", "gaussian", _sizes(*sizes, beta=0.01),
                               {"model": "two-layer", "activation": act}, {"d": d, "seed": 4}))
    # gated ReLU (a different model: fixed gates, unconstrained group Lasso)
    fams.append(Family("gated-2d", "gated ReLU net, 2-D Gaussian inputs, group Lasso over fixed gates", "gaussian",
                       _sizes(6, 12, 40, beta=0.01), {"model": "gated-relu", "activation": "relu"},
                       {"d": 2, "seed": 5}))
    # l1-normalised absolute-value units: the finite wedge Lasso in any dimension
    for d, sizes in ((2, (6, 15, 40)), (3, (5, 10, 20))):
        fams.append(Family(f"abs-l1-{d}d", f"two-layer abs net with l1-normalised inner weights (wedge Lasso), "
                           f"{d}-D Gaussian inputs", "gaussian", _sizes(*sizes, beta=0.01),
                           {"model": "two-layer", "activation": "abs", "inner_norm": "l1"}, {"d": d, "seed": 6}))
    # three-layer absolute-value nets in d = 2: Lasso over reflection-plane directions (l1: exact pool; l2: the pool,
    # then angular generation with the exact arc oracle)
    for norm, sizes in (("l1", (5, 8, 16)), ("l2", (5, 8, 16))):
        fams.append(Family(f"deep-abs-{norm}-2d", f"three-layer abs net, {norm}-normalised inner weights, 2-D "
                           "Gaussian inputs", "gaussian", _sizes(*sizes, beta=0.01),
                           {"model": "deep-abs", "activation": "abs", "depth": 3, "inner_norm": norm},
                           {"d": 2, "seed": 7}))
    # the published toy sets: fixed data, the same in every size
    for toy in _toy_names():
        fams.append(Family(f"{toy}-relu", f"published toy set '{toy}', two-layer ReLU, training", "toy",
                           _sizes({}, {}, {}), {"model": "two-layer", "activation": "relu", "beta": 0.1},
                           {"set": toy}, label="{set}-relu"))
        fams.append(Family(f"{toy}-relu-interp", f"published toy set '{toy}', two-layer ReLU, minimum-norm "
                           "interpolation", "toy", _sizes({}, {}, {}),
                           {"model": "two-layer", "activation": "relu", "mode": "interpolation"}, {"set": toy},
                           label="{set}-relu-interp"))
    return fams


#: the problem library, one entry per family (see :func:`suite`)
FAMILIES: list[Family] = _families()


def check_suite(size) -> str:
    """``size`` if it names a suite (tiny, small, medium); otherwise an InvalidParameterError saying how to fix."""
    if not isinstance(size, str) or size.strip().lower() not in SUITES:
        raise InvalidParameterError(f"unknown suite {size!r}; expected one of {', '.join(map(repr, SUITES))} "
                                    "(tiny: for tests, small: `cvxnn bench`'s default, medium: real comparisons)."
                                    + (closest(size, SUITES) if isinstance(size, str) else ""))
    return size.strip().lower()


def suite(size: str = "small") -> list[Problem]:
    """The library problems of one size (``tiny``, ``small`` or ``medium``), one per family that has that size,
    generated afresh (seeded: the same data every time)."""
    size = check_suite(size)
    return [f.problem(size) for f in FAMILIES if size in f.sizes]


def builtin_problems() -> list[Problem]:
    """The problem set the README's first command (``cvxnn bench``) runs: the small suite."""
    return suite("small")
