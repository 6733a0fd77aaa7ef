"""Certificates for networks trained anywhere (SGD, PyTorch, or saved by cvxnn), of any width (theory:
"Certificates").

For a net theta with objective p(theta) and any dual point lambda (centred when the model has a free output bias),
D(lambda_t) is a lower bound on the global optimum of training, computed with the model family's exact oracle;
p(theta) - D is a certified optimality gap. The dual point is the better of the net's residual y - f(X) and the dual
of the Lasso over the net's own units; polishing solves the family's program from the net and returns an improved
net with its own certificate (never a worse net).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cvxpy as cp
import numpy as np

from .activations import Activation
from .architectures import Deep1D, DeepAbs, TwoLayer
from .certify import Certificate, certify_point, project_free
from .errors import InvalidParameterError, ProblemFileError
from .models import model_for
from .models.arrangement import arrangement_penalty
from .models.base import is_diagonal
from .network import Layer, Network, Penalty
from .program import resolve_solver
from .solvers import get_solver
from .torch_interop import _torch
from .validation import check_choice, check_xy


@dataclass
class NetworkCertificate:
    """The certificate of a given net, and optionally the polished net with its own certificate.

    ``lower_bound`` (a lower bound on the global optimum of training, valid for every width) and ``gap`` exist only
    when the oracle checked every unit (scope 'global'); otherwise they are None and ``upper_bound`` (the best
    objective found, which the optimum cannot exceed) is what the run established, with ``to_global`` saying what
    would make the certificate global."""

    network: Network
    certificate: Certificate
    architecture: object
    bias_convention: str
    output_bias: bool
    n_patterns: int | None
    polished_network: Network | None = None
    polished_certificate: Certificate | None = None
    to_global: str = ""
    notes: list = field(default_factory=list)

    @property
    def lower_bound(self) -> float | None:
        return self.certificate.lower_bound

    @property
    def objective(self) -> float:
        return self.certificate.objective

    @property
    def upper_bound(self) -> float:
        """The best objective found (the given net's, or the polished net's when lower): the global optimum is at
        most this."""
        if self.polished_certificate is None:
            return self.objective
        return min(self.objective, self.polished_certificate.objective)

    @property
    def gap(self) -> float | None:
        """objective - lower bound (scope 'global' only)."""
        return self.certificate.certified_gap if self.certificate.scope == "global" else None

    @property
    def relative_gap(self) -> float | None:
        return None if self.gap is None else self.gap / max(abs(self.objective), 1e-300)

    def to_dict(self) -> dict:
        c = self.certificate
        out = {"objective": self.objective, "lower_bound": self.lower_bound, "upper_bound": self.upper_bound,
               "certified_gap": self.gap, "relative_gap": self.relative_gap, "certified": c.certified,
               "globally_optimal": c.globally_optimal, "scope": c.scope, "oracle": c.oracle,
               "model": self.architecture.describe(), "bias_convention": self.bias_convention,
               "output_bias": self.output_bias, "n_patterns": self.n_patterns, "width": self.network.width,
               "to_global": self.to_global or None, "notes": list(self.notes), "certificate": c.to_dict()}
        if self.polished_certificate is not None:
            pc = self.polished_certificate
            out["polished"] = {"objective": pc.objective, "certified": pc.certified,
                               "globally_optimal": pc.globally_optimal, "scope": pc.scope,
                               "certified_gap": pc.certified_gap if pc.scope == "global" else None,
                               "width": self.polished_network.width, "network": self.polished_network.to_dict()}
        return out

    def summary(self) -> str:
        c = self.certificate
        model = ", ".join(f"{k} {v}" for k, v in self.architecture.describe().items())
        lines = [f"network ({model}; bias {self.bias_convention}) of width {self.network.width}: objective "
                 f"{self.objective:.10g}"]
        if c.scope == "global":
            lines += [f"certified lower bound on the global optimum: {self.lower_bound:.10g} (oracle: {c.oracle})",
                      f"certified gap {self.gap:.3e} ({100 * self.relative_gap:.4g}% of the objective): "
                      + ("GLOBALLY OPTIMAL" if c.globally_optimal else "NOT certified optimal")]
        else:
            lines += [f"scope {c.scope!r}: the dual constraint was checked on part of the units only (oracle: "
                      f"{c.oracle}), so no lower bound on the global optimum is known. "
                      + ("The net is optimal for that restricted problem only." if c.certified else
                         "The net is not even optimal for that restricted problem."),
                      f"upper bound on the global optimum (the best objective found): {self.upper_bound:.10g}"]
            if self.to_global:
                lines.append(f"for a global certificate: {self.to_global}")
        if self.polished_certificate is not None:
            pc = self.polished_certificate
            verdict = ("GLOBALLY OPTIMAL" if pc.globally_optimal else
                       f"certified for scope {pc.scope!r} only" if pc.certified else "not certified")
            lines.append(f"polished network: width {self.polished_network.width}, objective {pc.objective:.10g}: "
                         + verdict)
            if pc.globally_optimal and not c.globally_optimal:
                lines.append("the given net is NOT certified; the polished net is (save it with --save-polished)")
        lines += list(self.notes)
        return "\n".join(lines)


def load_weights(path, activation: str = "relu", leaky_slope: float = 0.1) -> Network:
    """A two-layer net from a cvxnn ``.npz`` (written by Network.save) or a PyTorch state dict (``.pt``/``.pth``)
    of Linear -> activation -> Linear (the first two 2-D tensors are the layer weights, in order)."""
    path = Path(path)
    if not path.is_file():
        raise ProblemFileError(f"weights file {str(path)!r} does not exist.")
    if path.suffix == ".npz":
        return Network.load(path)
    if path.suffix not in (".pt", ".pth"):
        raise ProblemFileError(f"weights file {str(path)!r}: expected .npz (cvxnn) or .pt/.pth (torch state dict).")
    torch = _torch()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a bad input
        raise ProblemFileError(f"could not read a torch state dict from {str(path)!r}: {exc}") from None
    if hasattr(state, "state_dict"):
        state = state.state_dict()
    tensors = [(k, v.detach().to(torch.float64).cpu().numpy()) for k, v in state.items()]
    weights = [(k, v) for k, v in tensors if v.ndim == 2]
    if len(weights) != 2:
        raise ProblemFileError(
            f"{str(path)!r}: expected the state dict of Linear -> activation -> Linear (two weight matrices); "
            f"found {len(weights)}: {[k for k, _ in weights]}."
        )
    layers = []
    act = Activation(activation, leaky_slope)
    for i, (key, W) in enumerate(weights):
        bkey = key[: -len("weight")] + "bias" if key.endswith("weight") else None
        b = dict(tensors).get(bkey, np.zeros(W.shape[0]))
        layers.append(Layer(W, b, act if i == 0 else Activation("identity")))
    return Network(layers, arrangement_penalty(1.0, "penalized"))


def as_network(net, activation="relu", leaky_slope=0.1) -> Network:
    if isinstance(net, Network):
        return net
    if isinstance(net, (str, Path)):
        return load_weights(net, activation, leaky_slope)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and isinstance(net, torch.nn.Module):
        return Network.from_torch(net, arrangement_penalty(1.0, "penalized"))
    raise InvalidParameterError(
        f"certify_network needs a cvxnn Network, a torch.nn.Sequential or a weights file; received "
        f"{type(net).__name__}."
    )


MODELS = ("two-layer", "deep-1d", "deep-abs")


def _saved(meta: dict, key: str, given, flag: str):
    """The convention saved with the net, checked against an explicit request (which must agree)."""
    saved = meta.get(key)
    if isinstance(saved, dict):  # activation
        saved = saved.get("name")
    if given is not None and saved is not None and str(given).lower() != str(saved).lower():
        raise InvalidParameterError(
            f"the network was saved with {key.replace('_', ' ')} {saved!r}, but {flag} {given!r} was given. A net is "
            f"certified for the problem it was trained on: drop {flag} (the saved value is used) or pass {saved!r}."
        )
    return saved if saved is not None else given


def network_model(net: Network, d: int, *, model: str | None = None, bias: str | None = None,
                  inner_norm: str | None = None):
    """The architecture a network belongs to, read from its saved description (``net.meta``: model, depth,
    activation, bias convention, inner norm, sign objective) or, for nets without one (torch state dicts), from its
    layers and the explicit arguments. Returns (architecture, bias convention, output bias present); the model
    family checks the layer shapes (``Model.check_network``)."""
    meta = dict(net.meta or {})
    model = _saved(meta, "model", model, "--model")
    bias = _saved(meta, "bias_convention", bias, "--bias")
    inner_norm = _saved(meta, "inner_norm", inner_norm, "--inner-norm")
    layers = net.layers
    if net.input_dim != d:
        raise InvalidParameterError(f"the network takes {net.input_dim} inputs but X has {d} columns.")
    if layers[-1].weight.shape[0] != 1 or layers[-1].activation.name != "identity":
        raise InvalidParameterError(
            f"the network must end in a linear layer with one output; received output shape "
            f"{layers[-1].weight.shape} with activation {layers[-1].activation.name!r}."
        )
    act = layers[0].activation
    if model is None:
        model = "two-layer" if len(layers) == 2 else None
        if model is None and all(is_diagonal(L.weight) for L in layers[1:-1]):
            model = "deep-1d" if d == 1 else "deep-abs" if len(layers) == 3 and act.name == "abs" else None
        if model is None:
            raise InvalidParameterError(
                f"cannot tell which architecture this {len(layers)}-layer net belongs to: certify handles two-layer "
                "nets (Linear -> activation -> Linear), parallel scalar chains on 1-D data (deep-1d: diagonal hidden "
                "layers) and three-layer absolute-value chains (deep-abs). Pass the model (--model)."
            )
    model = check_choice(model, MODELS, "model (--model)")
    output_bias = bool(layers[-1].bias[0] != 0)
    if model == "two-layer":
        step = act.name in ("sign", "threshold")
        objective = meta.get("sign_objective", "amplitude") if step else "amplitude"
        if bias is None:  # no saved description: from the layers
            bias = "free" if step or inner_norm == "l1" else ("penalized" if np.any(layers[0].bias != 0) else "none")
        arch = TwoLayer(act.name, bias=bias, leaky_slope=act.slope or 0.1, sign_objective=objective,
                        inner_norm=inner_norm or "l2", linear_term=net.linear is not None)
        arch.family(d)  # refuses conventions without an exact reformulation
        if bias == "none" and np.any(layers[0].bias != 0):
            raise InvalidParameterError(
                "bias convention 'none' needs a net without inner biases; this net has nonzero inner biases. Pass "
                "--bias penalized (or free for 1-D data)."
            )
        return arch, bias, (output_bias if bias != "free" else True)
    if model == "deep-1d":
        arch = Deep1D(len(layers), act.name, bias=bias, linear_term=net.linear is not None)
    else:
        arch = DeepAbs(len(layers), inner_norm=inner_norm or "l1", bias=bias)
    return arch, arch.resolve_bias(d), True


def _check_penalty(net: Network, penalty: Penalty) -> None:
    """A net with a saved description must have been trained with the model's penalty."""
    if net.meta and net.meta.get("model") and list(net.penalty.terms) != list(penalty.terms):
        raise InvalidParameterError(
            f"the network's saved penalty ({net.penalty.description or net.penalty.terms}) is not the penalty of "
            f"its model ({penalty.description}); the certificate bounds that model's objective only."
        )


def certify_network(net, X, y, beta=None, *, bias: str | None = None, model: str | None = None,
                    inner_norm: str | None = None, polish: bool = False, patterns: str = "exact",
                    n_samples: int = 2000, max_patterns: int = 100_000, solver: str = "auto",
                    accuracy: str = "high", activation: str = "relu", mode: str = "training") -> NetworkCertificate:
    """Certificate of a net trained anywhere (a cvxnn Network or saved file, a torch.nn.Sequential), of any width.

    The training problem is the one the net belongs to: its saved description (model, depth, activation, bias
    convention, inner norm, linear skip term) when it has one, otherwise the arguments and its layers (two-layer
    nets; the bias convention defaults to 'penalized' when the inner biases are nonzero, else 'none'; 'free' for 1-D
    data must be asked for). Its objective is ``(1/2)||f(X) - y||^2`` plus that model's penalty with this beta; with
    ``mode='interpolation'`` (beta None) the net must fit the data and its objective is its weight cost (the beta ->
    0 limit). The dual point is the better of the net's residual and the dual of the Lasso (interpolation: of the
    LP) restricted to the net's own units, made orthogonal to the free directions (output bias, linear term); the
    model's exact oracle gives the lower bound (deep absolute-value chains above the dictionary budget: the vertex
    oracle streamed, so a deep net is certified from its own dual point). ``patterns='sample'`` (two-layer nets on
    arrangements) checks only sampled patterns: no lower bound is claimed then. ``polish`` solves the model's convex
    program (for arrangements by pattern generation started from, and always including, the net's own activation
    patterns) and keeps the better of the polished and the given net.
    """
    from .models import check_mode_and_beta

    X, y = check_xy(X, y)
    mode, beta = check_mode_and_beta(mode, beta)
    patterns = check_choice(patterns, ("exact", "sample"), "patterns mode (--patterns)")
    net = as_network(net, activation)
    arch, bias, output_bias = network_model(net, X.shape[1], model=model, bias=bias, inner_norm=inner_norm)
    family = model_for(arch, X.shape[1])
    family.check_network(net, arch)
    penalty = family.penalty(arch, bias, 1.0 if beta is None else beta)
    _check_penalty(net, penalty)
    net = Network(net.layers, penalty, dict(net.meta), net.linear)
    program = family.certification_program(X, y, arch, beta, bias, net, output_bias, patterns=patterns,
                                           n_samples=n_samples, max_patterns=max_patterns, mode=mode)
    lam = y - net.predict(X)
    cert = _best_certificate(program, net, lam, arch, bias, X, y, beta, program.has_output_bias, solver)
    n_patterns = len(program.full) if hasattr(program, "full") else None
    out = NetworkCertificate(net, cert, arch, bias, output_bias, n_patterns, to_global=family.to_global(program))
    if polish:
        _keep_better(out, *family.polish(program, net, solver, accuracy))
    return out


def unit_columns(net: Network, architecture, bias: str) -> np.ndarray:
    """Each unit's feature at unit cost, sigma_theta(X) scaled so that the unit's minimal weight-decay cost (after
    the rescaling of the convex reformulation) is beta per unit coefficient: column j = (unit j's output) / z_j with
    z_j = |alpha_j| times the product of its weight norms (inner row: l2 or l1, with the bias for 'penalized';
    diagonal entries of later layers; step units: their amplitude, or 1 for 'l1-outer'). Returns a function of X.
    Units with z_j = 0 are left out."""
    hidden = net.layers[:-1]
    alpha = net.layers[-1].weight[0]
    step = architecture.activation in ("sign", "threshold")
    if step:  # the step's own weights are unpenalised: only the amplitude (if any) and alpha count
        z = np.abs(alpha) * (np.abs(np.diag(hidden[1].weight)) if len(hidden) == 2 else 1.0)
    else:
        first = hidden[0].weight
        if bias == "penalized":
            first = np.hstack([first, hidden[0].bias[:, None]])
        q = 1 if getattr(architecture, "inner_norm", "l2") == "l1" else 2
        z = np.abs(alpha) * np.linalg.norm(first, ord=q, axis=1)
        for layer in hidden[1:]:
            z = z * np.abs(np.diag(layer.weight))
    keep = np.flatnonzero(z > 0)

    def columns(X):
        H = np.asarray(X, dtype=np.float64)
        for layer in hidden:
            H = layer.forward(H)
        return H[:, keep] * (alpha[keep] / z[keep])[None, :]

    return columns


def own_units_dual(net: Network, architecture, bias: str, X, y, beta: float | None, output_bias: bool,
                   solver: str = "auto", extra: np.ndarray | None = None) -> np.ndarray | None:
    """A dual point from the net's own units: the multiplier of the Lasso (beta None: the minimum-norm interpolation
    LP) restricted to the columns of :func:`unit_columns` (the net's units at unit cost, plus the free output bias
    and linear term when the model has them). When the net's units hold an optimal support this is the optimal dual
    point, which the net's raw residual only approximates (pruned or dust-free nets fit the data slightly differently
    from the solver's solution; an interpolating net's residual is zero). Any dual point gives a valid bound, so this
    only ever tightens the certificate. ``extra``: more unit-cost columns (n x k) to restrict to. None when no
    solution comes back."""
    A = unit_columns(net, architecture, bias)(X)
    if extra is not None:
        A = np.hstack([A, extra])
    if A.shape[1] == 0:
        return None
    z = cp.Variable(A.shape[1])
    fit = A @ z + (cp.Variable() if output_bias else 0.0)
    if getattr(architecture, "linear_term", False):
        fit = fit + X[:, 0] * cp.Variable()
    if beta is None:
        fit_constraint = y - fit == 0
        problem = cp.Problem(cp.Minimize(cp.norm1(z)), [fit_constraint])
    else:
        r = cp.Variable(len(y))
        fit_constraint = y - fit - r == 0
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(r) + beta * cp.norm1(z)), [fit_constraint])
    run = get_solver(resolve_solver(solver, "training" if beta is not None else "interpolation")).solve(problem,
                                                                                                     "high")
    if not run.has_solution or fit_constraint.dual_value is None:
        return None
    return np.asarray(fit_constraint.dual_value, dtype=np.float64).reshape(-1)


#: rounds of dual refinement for oracle-only programs (each adds the best units of one oracle pass)
DUAL_ROUNDS, UNITS_PER_ROUND = 8, 100


def _best_certificate(program, net, lam, architecture, bias, X, y, beta, output_bias, solver) -> Certificate:
    """The certificate from the net's residual (training mode), or from its own units' restricted dual when that
    bounds higher. A program that can name its best units at a dual point (``top_units``: oracle-only programs,
    which nothing can polish) refines that dual point: the restricted program gains the units the oracle ranks
    highest, round by round, until the certificate passes (column generation on the dual side; the net itself is
    not changed, and any dual point gives a valid bound)."""
    kind = "LP" if beta is None else "Lasso"
    cert = certify_point(program, net, lam, dual_source="residual") if beta is not None else None
    own = own_units_dual(net, architecture, bias, X, y, beta, output_bias, solver)
    if own is not None:
        alt = certify_point(program, net, own, dual_source=f"the net's own units (restricted {kind} dual)")
        if cert is None or alt.dual_objective > cert.dual_objective:
            cert = alt
    if cert is None:
        cert = certify_point(program, net, np.zeros(len(y)), dual_source="zero (no restricted dual came back)")
    if not hasattr(program, "top_units"):
        return cert
    extra = np.zeros((len(y), 0))
    for round_index in range(DUAL_ROUNDS):
        if cert.certified or own is None:
            break
        extra = np.hstack([extra, program.top_units(project_free(program, own), UNITS_PER_ROUND)])
        own = own_units_dual(net, architecture, bias, X, y, beta, output_bias, solver, extra=extra)
        if own is not None:
            alt = certify_point(program, net, own, dual_source=f"the net's own units and {extra.shape[1]} units "
                                                               f"from the oracle (restricted {kind} dual)")
            if alt.dual_objective > cert.dual_objective:
                cert = alt
    return cert


def _keep_better(out: NetworkCertificate, polished: Network, cert: Certificate) -> None:
    """Record the polished net, unless it is worse than the given one (then the given net stays the answer)."""
    if cert.objective > out.certificate.objective:
        out.polished_network, out.polished_certificate = out.network, out.certificate
        out.notes.append(f"polishing found no better net (it reached {cert.objective:.10g}); the given net is kept")
        return
    out.polished_network, out.polished_certificate = polished, cert
