"""A float64 PyTorch many-start trainer for the nonconvex two-layer 1-D training objective (theory: "Conventions").

    f(x) = sum_i alpha_i sigma(w_i x + b_i) + xi
    objective = 0.5 * sum_k (f(x_k) - y_k)^2 + (beta / 2) * sum_i (w_i^2 + alpha_i^2)    (b_i and xi unpenalised)

All S starts are trained at once: every parameter is a tensor with a leading start axis ((S, m) for the hidden
units, (S,) for xi), the forward pass broadcasts over starts, and the loss that is minimised is the SUM over starts
of each start's objective, so each start's gradient depends on that start's parameters only. Training is an Adam
phase (a cosine-decayed learning rate) followed by an L-BFGS phase with a strong-Wolfe line search.

The objectives that are returned are recomputed from the final parameters in float64 NumPy (:func:`objective_numpy`),
independently of the torch loss, so that they can be compared exactly with the convex optimum.

This is a test helper, not part of cvxnn: it is deliberately independent of cvxnn's own code.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

ACTIVATIONS = ("relu", "leaky", "abs")


def sigma_torch(u: torch.Tensor, activation: str, leaky_slope: float = 0.1) -> torch.Tensor:
    if activation == "relu":
        return torch.clamp(u, min=0.0)
    if activation == "leaky":
        return torch.maximum(u, leaky_slope * u)
    if activation == "abs":
        return torch.abs(u)
    raise ValueError(f"unknown activation {activation!r}; use one of {ACTIVATIONS}")


def sigma_numpy(u: np.ndarray, activation: str, leaky_slope: float = 0.1) -> np.ndarray:
    if activation == "relu":
        return np.maximum(u, 0.0)
    if activation == "leaky":
        return np.maximum(u, leaky_slope * u)
    if activation == "abs":
        return np.abs(u)
    raise ValueError(f"unknown activation {activation!r}; use one of {ACTIVATIONS}")


def objective_numpy(x, y, w, b, alpha, xi, beta: float, activation: str, leaky_slope: float = 0.1) -> np.ndarray:
    """Per-start training objective in float64 NumPy.

    x, y: (n,); w, b, alpha: (S, m) or (m,); xi: (S,) or scalar. Returns shape (S,) (or a 0-d array for one start).
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w, b, alpha = (np.asarray(a, dtype=np.float64) for a in (w, b, alpha))
    xi = np.asarray(xi, dtype=np.float64)
    U = w[..., None, :] * x[:, None] + b[..., None, :]  # (S, n, m)
    f = np.sum(alpha[..., None, :] * sigma_numpy(U, activation, leaky_slope), axis=-1) + xi[..., None]
    loss = 0.5 * np.sum((f - y) ** 2, axis=-1)
    return loss + 0.5 * beta * (np.sum(w ** 2, axis=-1) + np.sum(alpha ** 2, axis=-1))


@dataclass
class ManyStartResult:
    """Outcome of :func:`train_many_starts`; arrays have a leading start axis of length ``starts``."""

    objectives: np.ndarray  # (S,) float64, recomputed in NumPy from the final parameters
    w: np.ndarray  # (S, m)
    b: np.ndarray  # (S, m)
    alpha: np.ndarray  # (S, m)
    xi: np.ndarray  # (S,)
    width: int
    starts: int
    seconds: float
    history: dict = field(default_factory=dict)  # objectives (NumPy) after the Adam phase, for diagnostics

    @property
    def best(self) -> float:
        return float(np.min(self.objectives))

    @property
    def worst(self) -> float:
        return float(np.max(self.objectives))

    def within(self, target: float, rtol: float) -> int:
        """Number of starts whose objective is within rtol (relative) of target."""
        return int(np.sum(self.objectives <= target * (1.0 + rtol) + 1e-15))


def _forward(x, w, b, alpha, xi, activation, leaky_slope):
    U = w[:, None, :] * x[None, :, None] + b[:, None, :]  # (S, n, m)
    return torch.sum(alpha[:, None, :] * sigma_torch(U, activation, leaky_slope), dim=-1) + xi[:, None]  # (S, n)


def forward_torch(x, w, b, alpha, xi, activation: str, leaky_slope: float = 0.1) -> torch.Tensor:
    """Batched forward pass: x (n,), w/b/alpha (S, m), xi (S,) -> predictions (S, n)."""
    return _forward(x, w, b, alpha, xi, activation, leaky_slope)


def per_start_objective_torch(x, y, params, beta: float, activation: str, leaky_slope: float = 0.1) -> torch.Tensor:
    """Per-start objective (S,) in torch, differentiable; params = (w, b, alpha, xi) with a leading start axis."""
    w, b, alpha, xi = params
    f = _forward(x, w, b, alpha, xi, activation, leaky_slope)
    loss = 0.5 * torch.sum((f - y[None, :]) ** 2, dim=-1)
    return loss + 0.5 * beta * (torch.sum(w ** 2, dim=-1) + torch.sum(alpha ** 2, dim=-1))


def train_many_starts(x, y, activation: str, beta: float, *, starts: int = 48, width: int | None = None,
                      adam_steps: int = 2000, adam_lr: float = 2e-2, lbfgs_iters: int = 300,
                      leaky_slope: float = 0.1, alpha_scale: float = 0.1, seed: int = 0) -> ManyStartResult:
    """Train ``starts`` independent width-``width`` nets (default width 2n) on (x, y) and return each one's final
    objective. Deterministic for a given seed (float64, CPU)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; use one of {ACTIVATIONS}")
    t0 = time.perf_counter()
    x_np = np.asarray(x, dtype=np.float64).reshape(-1)
    y_np = np.asarray(y, dtype=np.float64).reshape(-1)
    n = x_np.size
    m = 2 * n if width is None else int(width)
    if m < 2 * n:
        raise ValueError(f"width must be >= 2n = {2 * n}; received {m}")
    S = int(starts)
    beta = float(beta)

    gen = torch.Generator().manual_seed(seed)
    dt = torch.float64
    x_t = torch.from_numpy(x_np.copy())
    y_t = torch.from_numpy(y_np.copy())
    lo, hi = float(x_np.min()), float(x_np.max())
    with torch.no_grad():
        w = torch.randn(S, m, generator=gen, dtype=dt)
        centres = lo + (hi - lo) * torch.rand(S, m, generator=gen, dtype=dt)  # breakpoints spread over the data
        b = -w * centres
        alpha = alpha_scale * torch.randn(S, m, generator=gen, dtype=dt)
        xi = torch.full((S,), float(y_np.mean()), dtype=dt)
    params = [p.requires_grad_(True) for p in (w, b, alpha, xi)]

    def total_loss():
        return torch.sum(per_start_objective_torch(x_t, y_t, params, beta, activation, leaky_slope))

    # ---- phase 1: Adam with a cosine-decayed learning rate
    adam = torch.optim.Adam(params, lr=adam_lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        adam, lambda k: 0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * min(k, adam_steps) / max(adam_steps, 1))))
    for _ in range(adam_steps):
        adam.zero_grad(set_to_none=True)
        loss = total_loss()
        loss.backward()
        adam.step()
        sched.step()

    def snapshot():
        return [p.detach().numpy().copy() for p in params]

    after_adam = objective_numpy(x_np, y_np, *snapshot(), beta, activation, leaky_slope)

    # ---- phase 2: L-BFGS with a strong-Wolfe line search on the summed (separable) objective
    if lbfgs_iters > 0:
        lbfgs = torch.optim.LBFGS(params, lr=1.0, max_iter=lbfgs_iters, max_eval=int(1.25 * lbfgs_iters) + 25,
                                  history_size=50, tolerance_grad=1e-14, tolerance_change=1e-16,
                                  line_search_fn="strong_wolfe")

        def closure():
            lbfgs.zero_grad(set_to_none=True)
            loss = total_loss()
            loss.backward()
            return loss

        lbfgs.step(closure)

    w_f, b_f, a_f, xi_f = snapshot()
    objectives = objective_numpy(x_np, y_np, w_f, b_f, a_f, xi_f, beta, activation, leaky_slope)
    if not np.all(np.isfinite(objectives)):
        raise FloatingPointError("nonconvex training diverged (non-finite objective)")
    return ManyStartResult(objectives, w_f, b_f, a_f, xi_f, m, S, time.perf_counter() - t0,
                           {"after_adam": after_adam})
