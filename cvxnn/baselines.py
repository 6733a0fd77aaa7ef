"""The nonconvex baseline: train the same architecture with PyTorch from many random starts and see how often it
reaches the certified optimum, and where it gets stuck when it does not.

The objectives trained here are exactly the ones cvxnn's convex programs solve (theory: "Conventions", "Two-layer nets
on 1-D data", "Deep ReLU chains on 1-D data"), on 1-D inputs x with free (unpenalised) biases:

- ``TwoLayer(relu | leaky | abs)``: ``f = sum_i alpha_i sigma(w_i x + b_i) + xi`` with
  ``(beta/2) sum_i (w_i^2 + alpha_i^2)``.
- ``TwoLayer(sign | threshold)``, scale-invariant units, the exact objective chosen by ``sign_objective``:
  'amplitude' ``f = sum_i alpha_i s_i sigma(w_i x + b_i) + xi`` with ``(beta/2) sum_i (alpha_i^2 + s_i^2)``;
  'l1-outer' ``beta sum_i |alpha_i|`` (w and b unpenalised in both). The hard activation has zero gradient, so
  training uses the smooth surrogate ``tanh(u / tau)`` (sign) or ``sigmoid(u / tau)`` (threshold), tau annealed
  geometrically during the Adam phase; every objective reported is evaluated with the HARD activation.
- ``Deep1D(depth=L, relu | abs)``: parallel scalar chains ``f = sum_i alpha_i h_i(x) + xi``,
  ``h <- sigma(w_l h + b_l)`` for l = 1..L-1 from h = x, with ``(beta/L) sum_i (|alpha_i|^L + sum_l |w_{l,i}|^L)``.

Every start is trained at once: each parameter is a float64 tensor with a leading start axis and the minimised loss
is the SUM of the per-start objectives, so each start's gradient depends on its own parameters only. Training is an
Adam phase (cosine-decayed learning rate) then an L-BFGS phase (strong-Wolfe line search) on the summed objective;
for each start the better of its post-Adam and post-L-BFGS parameters is kept (the shared line search may raise a
single start's objective while lowering the sum).

Per-start objectives are recomputed from the final parameters in float64 NumPy with the hard activation, and the
best start is returned as a :class:`cvxnn.Network` with exactly the layer layout and :class:`cvxnn.Penalty` that the
convex reconstruction builds, so ``best_network.objective(x, y)`` is directly comparable with the certified optimum
and the certificate's lower bound. Any network is feasible for the nonconvex problem, so no start can go below the
certificate's dual bound (weak duality): :func:`compare_with_convex` checks that too.

PyTorch is an optional dependency (``pip install torch==2.13.0``), imported only when training.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Callable

import numpy as np

from .activations import Activation
from .api import train
from .architectures import STEP_ACTIVATIONS, Deep1D, TwoLayer
from .errors import InvalidDataError, InvalidParameterError, UnsupportedCombinationError
from .models.chains_1d import _chain_network
from .models.two_layer_1d import step_penalty, weight_decay_penalty
from .network import Layer, Network
from .validation import check_beta, check_xy

TORCH_INSTALL = "pip install torch==2.13.0"
#: relative width of one plateau in :meth:`BaselineResult.summary` ('stuck_values')
PLATEAU_RTOL = 1e-4
#: surrogate temperature schedule for sign / threshold units (geometric over the Adam phase)
TAU_START, TAU_END = 1e-1, 1e-4
#: default Adam learning rate (cosine-decayed to LR_FLOOR * lr)
DEFAULT_LR = 2e-2
LR_FLOOR = 0.02
#: initial scale of the output weights (and amplitudes)
OUTER_INIT_SCALE = 0.1
#: batches up to this many hidden activations (starts * n * width * layers) run on one torch thread by default
SINGLE_THREAD_ELEMENTS = 2 ** 20


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"cvxnn.baselines trains with PyTorch, which is not installed; install the CPU build with: {TORCH_INSTALL}"
        ) from None
    return torch


# ------------------------------------------------------------------------------------------------ model spec
@dataclass(frozen=True)
class _Spec:
    """What is trained: ``hidden`` layers of scalar units (1 for two-layer nets, L-1 for chains), the output form and
    the penalty ('power' = (beta/L) sum |w|^L over every weight, 'amplitude', 'l1-outer')."""

    activation: Activation  # the hard activation
    hidden: int
    penalty: str
    bias: str  # 'free' or 'none'
    depth: int

    @property
    def step(self) -> bool:
        return self.activation.name in STEP_ACTIVATIONS


def _spec(architecture, d: int) -> _Spec:
    if not isinstance(architecture, (TwoLayer, Deep1D)):
        raise UnsupportedCombinationError(
            f"architecture {architecture!r} has no nonconvex baseline; use cvxnn.TwoLayer(...) or cvxnn.Deep1D(...)."
        )
    bias = architecture.resolve_bias(d)  # raises for unsupported bias conventions
    if d > 1 or bias == "penalized":
        raise UnsupportedCombinationError(
            f"the nonconvex baseline covers 1-D models with bias 'free' or 'none'; received {d}-dimensional inputs "
            f"with bias {bias!r}."
        )
    if isinstance(architecture, TwoLayer):
        act = architecture.act
        if act.name in STEP_ACTIVATIONS:
            return _Spec(act, 1, architecture.sign_objective, bias, 2)
        return _Spec(act, 1, "power", bias, 2)
    return _Spec(architecture.act, architecture.depth - 1, "power", bias, architecture.depth)


# ------------------------------------------------------------------------------------ NumPy evaluation (hard)
def _hidden_numpy(x: np.ndarray, W: np.ndarray, B: np.ndarray, act: Activation) -> np.ndarray:
    """Hidden features (S, n, m) of W, B of shape (K, S, m) on the points x (n,), hard activation."""
    H = np.broadcast_to(x[None, :, None], (W.shape[1], x.size, W.shape[2]))
    for k in range(W.shape[0]):
        H = act(W[k][:, None, :] * H + B[k][:, None, :])
    return H


def _objectives_numpy(x, y, P: dict, spec: _Spec, beta: float) -> np.ndarray:
    """Per-start objective (S,) in float64 NumPy with the hard activation, written from the formulas."""
    H = _hidden_numpy(x, P["W"], P["B"], spec.activation)
    outer = P["alpha"] * P["s"] if spec.penalty == "amplitude" else P["alpha"]
    f = np.sum(H * outer[:, None, :], axis=-1) + P["xi"][:, None]
    loss = 0.5 * np.sum((f - y[None, :]) ** 2, axis=-1)
    if spec.penalty == "amplitude":
        pen = 0.5 * (np.sum(P["alpha"] ** 2, axis=-1) + np.sum(P["s"] ** 2, axis=-1))
    elif spec.penalty == "l1-outer":
        pen = np.sum(np.abs(P["alpha"]), axis=-1)
    else:
        L = spec.depth
        pen = (np.sum(np.abs(P["alpha"]) ** L, axis=-1) + np.sum(np.abs(P["W"]) ** L, axis=(0, 2))) / L
    return loss + beta * pen


def _network(P: dict, i: int, spec: _Spec, beta: float, meta: dict) -> Network:
    """Start i as a cvxnn Network, with the layer layout and Penalty of the convex reconstruction."""
    identity = Activation("identity")
    W, B, alpha, xi = P["W"][:, i], P["B"][:, i], P["alpha"][i], float(P["xi"][i])
    hidden = Layer(W[0].reshape(-1, 1), B[0], spec.activation)
    out = Layer(alpha.reshape(1, -1), [xi], identity)
    if spec.penalty == "amplitude":
        amp = Layer(np.diag(P["s"][i]), np.zeros(alpha.size), identity)
        return Network([hidden, amp, out], step_penalty(beta, "amplitude"), meta)
    if spec.penalty == "l1-outer":
        return Network([hidden, out], step_penalty(beta, "l1-outer"), meta)
    if spec.depth == 2:
        return Network([hidden, out], weight_decay_penalty(beta), meta)
    return _chain_network(list(W), list(B), alpha, xi, spec.activation, spec.depth, beta, meta)


# ------------------------------------------------------------------------------------------------ result
@dataclass
class BaselineResult:
    """Outcome of :func:`train_nonconvex`.

    objectives: per-start final objective (S,), recomputed in float64 NumPy with the hard activation.
    best_network: the best start as a :class:`cvxnn.Network` (its ``objective(x, y)`` is ``objectives.min()``).
    parameters: the final parameters with a leading start axis: 'W', 'B' (K, S, m) for the K hidden layers,
    'alpha' (S, m), 'xi' (S,), and 's' (S, m) for sign_objective='amplitude'.
    after_adam: per-start objectives (hard activation) after the Adam phase, for diagnostics.
    """

    objectives: np.ndarray
    best_network: Network
    seconds: float
    settings: dict
    parameters: dict = field(default_factory=dict, repr=False)
    after_adam: np.ndarray | None = field(default=None, repr=False)
    _builder: Callable[[int], Network] | None = field(default=None, repr=False, compare=False)

    @property
    def best(self) -> float:
        return float(np.min(self.objectives))

    @property
    def best_index(self) -> int:
        return int(np.argmin(self.objectives))

    def network(self, i: int) -> Network:
        """Start i as a :class:`cvxnn.Network` (e.g. to look at a start that got stuck)."""
        if self._builder is None:
            raise InvalidParameterError("this result carries no parameters to rebuild start networks from.")
        n = self.objectives.size
        if isinstance(i, bool) or not isinstance(i, Integral) or not -n <= int(i) < n:
            raise InvalidParameterError(f"start index must be an integer in [0, {n}); received {i!r}.")
        return self._builder(int(i) % n)

    def summary(self, optimum: float | None = None, tol: float = 1e-3) -> dict:
        """Best, worst and median objective, and how many starts come within ``tol`` (relative) of ``optimum``
        (of the best start when no optimum is given). 'stuck_values' lists the plateaus where starts end: the sorted
        objectives grouped so that each group spans at most PLATEAU_RTOL (1e-4) relative to its lowest value, each
        with its count (lowest plateau first)."""
        if isinstance(tol, bool) or not isinstance(tol, Real) or not math.isfinite(tol) or tol < 0:
            raise InvalidParameterError(f"tol must be a finite number >= 0; received {tol!r}.")
        if optimum is not None and (isinstance(optimum, bool) or not isinstance(optimum, Real)
                                    or not math.isfinite(optimum)):
            raise InvalidParameterError(f"optimum must be a finite number or None; received {optimum!r}.")
        obj = np.asarray(self.objectives, dtype=np.float64)
        ref = float(np.min(obj)) if optimum is None else float(optimum)
        scale = max(abs(ref), 1e-300)
        within = obj <= ref + tol * scale + 1e-15
        return {
            "n_starts": int(obj.size),
            "best": float(np.min(obj)),
            "worst": float(np.max(obj)),
            "median": float(np.median(obj)),
            "reference": "optimum" if optimum is not None else "best start",
            "optimum": None if optimum is None else float(optimum),
            "tol": float(tol),
            "n_within_tol": int(np.sum(within)),
            "fraction_within_tol": float(np.mean(within)),
            "best_rel_gap": float((np.min(obj) - ref) / scale),
            "worst_rel_gap": float((np.max(obj) - ref) / scale),
            "stuck_values": [{**p, "rel_gap": (p["value"] - ref) / scale} for p in plateaus(obj)],
            "seconds": float(self.seconds),
        }


def plateaus(values, rtol: float = PLATEAU_RTOL) -> list[dict]:
    """Group values into plateaus: sorted, a new plateau starts when a value exceeds the current plateau's lowest
    value by more than ``rtol`` relative. Returns [{'value': lowest, 'count', 'fraction'}], lowest first."""
    v = np.sort(np.asarray(values, dtype=np.float64).reshape(-1))
    out: list[dict] = []
    for val in v:
        if out and (val == out[-1]["value"] or val - out[-1]["value"] <= rtol * max(abs(out[-1]["value"]), 1e-300)):
            out[-1]["count"] += 1
        else:
            out.append({"value": float(val), "count": 1})
    for p in out:
        p["fraction"] = p["count"] / max(v.size, 1)
    return out


# ------------------------------------------------------------------------------------------------ checks
def _positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}; received {value!r}.")
    return int(value)


def _positive_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise InvalidParameterError(f"{name} must be a finite number > 0; received {value!r}.")
    return float(value)


# ------------------------------------------------------------------------------------------------ training
def _init(torch, gen, spec: _Spec, x: np.ndarray, y: np.ndarray, S: int, m: int) -> dict:
    """Breakpoints spread over the data range: layer 1 puts unit i's kink at a uniform point of [min x, max x];
    each later layer puts its kink at a uniform point of the range its input takes on the data. Weights N(0, 1),
    output weights (and amplitudes) N(0, 0.1^2), xi = mean(y)."""
    dt = torch.float64
    free = spec.bias == "free"
    H = torch.from_numpy(x.copy())[None, :, None].expand(S, x.size, m)
    Ws, Bs = [], []
    for _ in range(spec.hidden):
        w = torch.randn(S, m, generator=gen, dtype=dt)
        lo, hi = H.amin(dim=1), H.amax(dim=1)  # (S, m): the range of this layer's input on the data
        c = lo + (hi - lo) * torch.rand(S, m, generator=gen, dtype=dt)
        b = -w * c if free else torch.zeros(S, m, dtype=dt)
        Ws.append(w)
        Bs.append(b)
        H = _sigma_torch(torch, w[:, None, :] * H + b[:, None, :], spec, None)
    P = {"W": torch.stack(Ws), "B": torch.stack(Bs),
         "alpha": OUTER_INIT_SCALE * torch.randn(S, m, generator=gen, dtype=dt),
         "xi": torch.full((S,), float(y.mean()) if free else 0.0, dtype=dt)}
    if spec.penalty == "amplitude":
        P["s"] = OUTER_INIT_SCALE * torch.randn(S, m, generator=gen, dtype=dt)
    return P


def _sigma_torch(torch, u, spec: _Spec, tau):
    """The training activation: the activation itself for relu / leaky / abs; for sign / threshold the surrogate
    tanh(u / tau) / sigmoid(u / tau), or the hard activation when tau is None (used at initialisation only)."""
    name = spec.activation.name
    if name == "relu":
        return torch.clamp(u, min=0.0)
    if name == "leaky":
        return torch.maximum(u, spec.activation.slope * u)
    if name == "abs":
        return torch.abs(u)
    if tau is None:
        return torch.sign(u) if name == "sign" else (u >= 0).to(u.dtype)
    return torch.tanh(u / tau) if name == "sign" else torch.sigmoid(u / tau)


def _per_start_torch(torch, x_t, y_t, P: dict, spec: _Spec, beta: float, tau):
    W, B, alpha, xi = P["W"], P["B"], P["alpha"], P["xi"]
    S, m = alpha.shape
    H = x_t[None, :, None].expand(S, x_t.numel(), m)
    for k in range(spec.hidden):
        H = _sigma_torch(torch, W[k][:, None, :] * H + B[k][:, None, :], spec, tau)
    outer = alpha * P["s"] if spec.penalty == "amplitude" else alpha
    f = torch.sum(H * outer[:, None, :], dim=-1) + xi[:, None]
    loss = 0.5 * torch.sum((f - y_t[None, :]) ** 2, dim=-1)
    if spec.penalty == "amplitude":
        pen = 0.5 * (torch.sum(alpha ** 2, dim=-1) + torch.sum(P["s"] ** 2, dim=-1))
    elif spec.penalty == "l1-outer":
        pen = torch.sum(torch.abs(alpha), dim=-1)
    else:
        L = spec.depth
        pen = (torch.sum(torch.abs(alpha) ** L, dim=-1) + torch.sum(torch.abs(W) ** L, dim=(0, 2))) / L
    return loss + beta * pen


def train_nonconvex(X, y, architecture, beta, *, starts: int = 32, width: int | None = None, adam_steps: int = 2000,
                    lbfgs_steps: int = 300, lr: float = DEFAULT_LR, seed: int = 0,
                    threads: int | None = None) -> BaselineResult:
    """Train ``architecture`` on (X, y) with weight decay ``beta`` from ``starts`` random starts with PyTorch
    (float64, all starts batched in one tensor) and return every start's final objective.

    width: hidden units per start (chains for Deep1D), default 2n. adam_steps: Adam iterations (learning rate
    ``lr``, cosine-decayed to 2% of it; for sign/threshold units the surrogate temperature is annealed from 0.1 to
    1e-4 over this phase). lbfgs_steps: L-BFGS iterations (strong-Wolfe line search) afterwards, 0 to skip.
    threads: torch CPU threads during the call (restored afterwards); None: 1 thread when the batch is small
    (starts * n * width * layers <= 2^20 elements, where more threads only add overhead), else torch's setting.
    Deterministic for a given seed and thread count. Requires PyTorch (``pip install torch==2.13.0``).
    """
    X, y = check_xy(X, y)
    beta = check_beta(beta)
    spec = _spec(architecture, X.shape[1])
    x = X[:, 0].copy()
    n = x.size
    if spec.bias == "free" and np.unique(x).size < 2:
        raise InvalidDataError(
            f"all {n} inputs are the same point x = {x[0]:g}; at least two distinct inputs are needed to train on "
            "1-D data."
        )
    S = _positive_int(starts, "starts")
    m = 2 * n if width is None else _positive_int(width, "width")
    adam_steps = _positive_int(adam_steps, "adam_steps", 0)
    lbfgs_steps = _positive_int(lbfgs_steps, "lbfgs_steps", 0)
    lr = _positive_float(lr, "lr")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or int(seed) < 0:
        raise InvalidParameterError(f"seed must be an integer >= 0; received {seed!r}.")
    if threads is not None:
        threads = _positive_int(threads, "threads")
    torch = _torch()

    t0 = time.perf_counter()
    old_threads = torch.get_num_threads()
    if threads is None:  # tiny tensors: one thread is fastest (more only add overhead and thrash on busy machines)
        threads = 1 if S * n * m * spec.hidden <= SINGLE_THREAD_ELEMENTS else old_threads
    torch.set_num_threads(threads)
    try:
        P_final, after_adam = _train(torch, x, y, spec, beta, S, m, adam_steps, lbfgs_steps, lr, int(seed))
    finally:
        torch.set_num_threads(old_threads)
    with np.errstate(all="ignore"):
        objectives = _objectives_numpy(x, y, P_final, spec, beta)
    diverged = ~np.isfinite(objectives)
    if diverged.all():
        raise FloatingPointError(
            f"every one of the {S} starts diverged (non-finite objective) with lr = {lr:g}; use a smaller lr."
        )
    objectives[diverged] = np.inf  # diverged starts count as +inf
    seconds = time.perf_counter() - t0
    settings = {
        "architecture": architecture.describe(), "bias_convention": spec.bias, "beta": beta, "n": n, "starts": S,
        "width": m, "adam_steps": adam_steps, "lbfgs_steps": lbfgs_steps, "lr": lr, "lr_schedule": "cosine to 2%",
        "seed": int(seed), "threads": threads, "dtype": "float64",
        "init": "kinks uniform over each layer's input range on the data; weights N(0,1), outer N(0, 0.1^2)",
        "lbfgs": "strong Wolfe, history 50; per start the better of post-Adam and post-L-BFGS is kept",
        "torch": torch.__version__, "diverged_starts": int(diverged.sum()),
    }
    if spec.step:
        settings["surrogate"] = "tanh(u/tau)" if spec.activation.name == "sign" else "sigmoid(u/tau)"
        settings["tau"] = [TAU_START, TAU_END]
        settings["evaluation"] = "hard activation"
    meta = {"trained_by": "cvxnn.baselines.train_nonconvex", "architecture": architecture.describe(),
            "bias_convention": spec.bias}

    def builder(i: int) -> Network:
        return _network(P_final, i, spec, beta, {**meta, "start": i, "seed": int(seed)})

    best = int(np.argmin(objectives))
    return BaselineResult(objectives, builder(best), seconds, settings, P_final, after_adam, builder)


def _train(torch, x, y, spec: _Spec, beta, S, m, adam_steps, lbfgs_steps, lr, seed):
    gen = torch.Generator().manual_seed(seed)
    x_t, y_t = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    with torch.no_grad():
        P = _init(torch, gen, spec, x, y, S, m)
    names = ["W", "alpha"] + (["B", "xi"] if spec.bias == "free" else []) + (["s"] if "s" in P else [])
    params = [P[k].requires_grad_(True) for k in names]
    tau_end = TAU_END if spec.step else None

    def numpy_params():
        return {k: v.detach().numpy().copy() for k, v in P.items()}

    def total(tau):
        return torch.sum(_per_start_torch(torch, x_t, y_t, P, spec, beta, tau))

    # ---- phase 1: Adam, cosine-decayed learning rate (and annealed surrogate temperature)
    if adam_steps > 0:
        adam = torch.optim.Adam(params, lr=lr)
        for step in range(adam_steps):
            frac = step / max(adam_steps - 1, 1)
            for group in adam.param_groups:
                group["lr"] = lr * (LR_FLOOR + (1.0 - LR_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * frac)))
            tau = TAU_START * (TAU_END / TAU_START) ** frac if spec.step else None
            adam.zero_grad(set_to_none=True)
            total(tau).backward()
            adam.step()
    P_adam = numpy_params()
    with np.errstate(all="ignore"):
        obj_adam = _objectives_numpy(x, y, P_adam, spec, beta)
    if lbfgs_steps == 0:
        return P_adam, obj_adam

    # ---- phase 2: L-BFGS with a strong-Wolfe line search on the summed (separable) objective
    lbfgs = torch.optim.LBFGS(params, lr=1.0, max_iter=lbfgs_steps, max_eval=int(1.25 * lbfgs_steps) + 25,
                              history_size=50, tolerance_grad=1e-14, tolerance_change=1e-16,
                              line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad(set_to_none=True)
        loss = total(tau_end)
        loss.backward()
        return loss

    lbfgs.step(closure)
    P_lbfgs = numpy_params()
    with np.errstate(all="ignore"):
        obj_lbfgs = _objectives_numpy(x, y, P_lbfgs, spec, beta)
    # per start, keep the better checkpoint (a non-finite L-BFGS result never wins)
    keep_lbfgs = np.isfinite(obj_lbfgs) & ~(obj_lbfgs > obj_adam)
    P_final = {}
    for k, v in P_adam.items():
        mask = keep_lbfgs.reshape((1, S, 1) if v.ndim == 3 else ((S, 1) if v.ndim == 2 else (S,)))
        P_final[k] = np.where(mask, P_lbfgs[k], v)
    return P_final, obj_adam


# ------------------------------------------------------------------------------------------------ comparison
def compare_with_convex(X, y, architecture, beta, trained=None, *, tol: float = 1e-3, **kwargs) -> dict:
    """Certified convex training against the nonconvex baseline on the same problem.

    Runs :func:`cvxnn.train` (unless ``trained``, a :class:`cvxnn.Trained` for the same data, architecture and beta,
    is given) and :func:`train_nonconvex` (``kwargs`` go to it). Returns the baseline's summary relative to the
    certified optimum (the certified network's objective) plus: 'certified_optimum', 'certified_lower_bound' (the
    certificate's dual objective, below every network of the architecture; None when the oracle's scope is not
    global), 'globally_optimal',
    'never_below_bound' (no start below the bound by more than 1e-12 * max(1, |bound|): weak duality, a theorem),
    'min_minus_bound', 'fraction_reaching_optimum' (within ``tol`` relative), the timings, the settings, and
    'result', the :class:`BaselineResult` itself (its best_network, per-start networks and parameters; drop this
    entry before serialising the dict to JSON).
    """
    Xc, yc = check_xy(X, y)
    beta = check_beta(beta)
    _spec(architecture, Xc.shape[1])
    _torch()  # fail before the convex solve when torch is missing
    if trained is None:
        t0 = time.perf_counter()
        trained = train(Xc, yc, architecture, beta)
        convex_seconds = time.perf_counter() - t0
    else:
        _check_trained(trained, Xc, yc, architecture, beta)
        convex_seconds = (getattr(trained.result.run, "times", None) or {}).get("wall")
    result = train_nonconvex(Xc, yc, architecture, beta, **kwargs)
    cert = trained.certificate
    optimum, bound = float(cert.objective), cert.lower_bound  # None unless the oracle's scope is global
    summary = result.summary(optimum, tol)
    return {
        "architecture": architecture.describe(),
        "beta": beta,
        "n": int(Xc.shape[0]),
        "certified_optimum": optimum,
        "certified_lower_bound": bound,
        "globally_optimal": bool(cert.globally_optimal),
        "certified_gap": float(cert.certified_gap),
        **summary,
        "fraction_reaching_optimum": summary["fraction_within_tol"],
        "n_reaching_optimum": summary["n_within_tol"],
        "never_below_bound": None if bound is None else
        bool(np.all(result.objectives >= bound - 1e-12 * max(1.0, abs(bound)))),
        "min_minus_bound": None if bound is None else float(np.min(result.objectives) - bound),
        "convex_seconds": convex_seconds,
        "nonconvex_seconds": float(result.seconds),
        "settings": result.settings,
        "result": result,
    }


def _check_trained(trained, X, y, architecture, beta) -> None:
    program = getattr(trained, "program", None)
    if program is None or getattr(trained, "certificate", None) is None:
        raise InvalidParameterError(f"trained must be the cvxnn.Trained of cvxnn.train; received {type(trained)!r}.")
    if program.mode != "training":
        raise InvalidParameterError(
            f"trained was solved in {program.mode!r} mode; the baseline compares against training with beta > 0."
        )
    if program.architecture != architecture:
        raise InvalidParameterError(
            f"trained is for architecture {program.architecture!r}, not {architecture!r}; pass the same architecture."
        )
    if not math.isclose(float(program.penalty_beta), beta, rel_tol=1e-12):
        raise InvalidParameterError(f"trained is for beta = {program.penalty_beta!r}, not {beta!r}.")
    if program.X.shape != X.shape or not (np.array_equal(program.X, X) and np.array_equal(program.y, y)):
        raise InvalidParameterError("trained was solved on different data (X, y); pass the same data.")
