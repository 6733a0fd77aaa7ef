"""Certificates for two-layer networks trained anywhere (SGD, PyTorch), of any width (SPEC 6.4).

For a net theta with objective p(theta) and any dual point lambda (here the residual y - f(X), centred when the net
has an output bias), D(lambda_t) is a lower bound on the global optimum of training, computed with the exact
arrangement oracle; p(theta) - D is a certified optimality gap. The raw residual gives a loose bound; polishing
(pattern generation started from the net's own activation patterns) returns an improved net with a tight
certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .activations import Activation
from .architectures import TwoLayer
from .certify import Certificate, certify, certify_point
from .errors import InvalidParameterError, ProblemFileError
from .network import Layer, Network, Penalty, PenaltyTerm
from .validation import check_beta, check_choice, check_xy


@dataclass
class NetworkCertificate:
    """The certificate of an external net, and optionally the polished net with its own certificate."""

    network: Network
    certificate: Certificate
    bias_convention: str
    output_bias: bool
    n_patterns: int
    polished_network: Network | None = None
    polished_certificate: Certificate | None = None

    @property
    def lower_bound(self) -> float:
        return self.certificate.dual_objective

    @property
    def objective(self) -> float:
        return self.certificate.objective

    @property
    def gap(self) -> float:
        return self.certificate.certified_gap

    @property
    def relative_gap(self) -> float:
        return self.gap / max(abs(self.objective), 1e-300)

    def to_dict(self) -> dict:
        out = {"objective": self.objective, "lower_bound": self.lower_bound, "certified_gap": self.gap,
               "relative_gap": self.relative_gap, "globally_optimal": self.certificate.globally_optimal,
               "scope": self.certificate.scope, "oracle": self.certificate.oracle,
               "bias_convention": self.bias_convention, "output_bias": self.output_bias,
               "n_patterns": self.n_patterns, "width": self.network.width, "certificate": self.certificate.to_dict()}
        if self.polished_certificate is not None:
            out["polished"] = {"objective": self.polished_certificate.objective,
                               "certified_gap": self.polished_certificate.certified_gap,
                               "globally_optimal": self.polished_certificate.globally_optimal,
                               "width": self.polished_network.width, "network": self.polished_network.to_dict()}
        return out

    def summary(self) -> str:
        c = self.certificate
        lines = [f"network of width {self.network.width}: objective {self.objective:.10g}",
                 f"certified lower bound on the global optimum: {self.lower_bound:.10g} (scope {c.scope}, "
                 f"{self.n_patterns} patterns)",
                 f"certified gap {self.gap:.3e} ({100 * self.relative_gap:.4g}% of the objective): "
                 + ("GLOBALLY OPTIMAL" if c.globally_optimal else "not certified optimal")]
        if self.polished_certificate is not None:
            pc = self.polished_certificate
            lines.append(f"polished network: width {self.polished_network.width}, objective {pc.objective:.10g}, "
                         f"certified gap {pc.certified_gap:.3e}: "
                         + ("GLOBALLY OPTIMAL" if pc.globally_optimal else "not certified optimal"))
        return "\n".join(lines)


def standard_penalty(beta: float, bias: str) -> Penalty:
    return Penalty(float(beta), [PenaltyTerm(0, 0.5, 2.0, "entry", bias == "penalized"), PenaltyTerm(1, 0.5, 2.0)],
                   "(beta/2) * (sum of squared inner weights" + (" and biases" if bias == "penalized" else "")
                   + " + sum of squared outer weights)")


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
    from .torch_interop import _torch

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
    return Network(layers, standard_penalty(1.0, "penalized"))


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
        from .torch_interop import network_from_torch

        return network_from_torch(net, standard_penalty(1.0, "penalized"))
    raise InvalidParameterError(
        f"certify_network needs a cvxnn Network, a torch.nn.Sequential or a weights file; received "
        f"{type(net).__name__}."
    )


def certify_network(net, X, y, beta, *, bias: str | None = None, polish: bool = False,
                    patterns: str = "exact", n_samples: int = 2000, max_patterns: int = 100_000,
                    solver: str = "auto", accuracy: str = "high") -> NetworkCertificate:
    """Certified lower bound and optimality gap of a two-layer net (Linear -> relu/leaky/abs -> Linear).

    bias: 'penalized' (the inner biases are part of the penalised weights) or 'none'; by default 'penalized'
    when the net has nonzero inner biases, else 'none'. A nonzero output bias is treated as a free (unpenalised)
    output bias. The objective is (1/2)||f(X) - y||^2 + (beta/2)(||W1||^2 [+ ||b1||^2] + ||W2||^2).
    """
    from .arrangements import enumerate_patterns, sample_patterns
    from .grouplasso import PatternGenerationProgram, _locate, unit_patterns, with_bias_column

    X, y = check_xy(X, y)
    beta = check_beta(beta)
    net = as_network(net)
    if len(net.layers) != 2 or net.layers[1].weight.shape[0] != 1 or net.layers[1].activation.name != "identity":
        raise InvalidParameterError(
            f"certify_network handles two-layer nets with one output (Linear -> activation -> Linear); received "
            f"{len(net.layers)} layers with output shape {net.layers[-1].weight.shape}."
        )
    hidden = net.layers[0]
    if hidden.activation.name not in ("relu", "leaky", "abs"):
        raise InvalidParameterError(
            f"certify_network handles relu, leaky and abs hidden layers; received {hidden.activation.name!r}."
        )
    if hidden.weight.shape[1] != X.shape[1]:
        raise InvalidParameterError(
            f"the network takes {hidden.weight.shape[1]} inputs but X has {X.shape[1]} columns."
        )
    bias = bias or ("penalized" if np.any(hidden.bias != 0) else "none")
    bias = check_choice(bias, ("penalized", "none"), "bias convention")
    if bias == "none" and np.any(hidden.bias != 0):
        raise InvalidParameterError("bias='none' needs a net without inner biases; this net has nonzero biases.")
    output_bias = bool(net.layers[1].bias[0] != 0)
    net = Network(net.layers, standard_penalty(beta, bias), dict(net.meta))
    arch = TwoLayer(hidden.activation.name, bias=bias, leaky_slope=hidden.activation.slope or 0.1)
    Xb = with_bias_column(X, bias)
    if patterns == "sample":
        full = sample_patterns(Xb, n_samples, bias_column=bias == "penalized")
    else:
        full = enumerate_patterns(Xb, max_patterns=max_patterns)
    prog = PatternGenerationProgram(X, y, arch, beta, full, bias, output_bias=output_bias)
    lam = y - net.predict(X)
    cert = certify_point(prog, net, lam, dual_source="residual", check_dual_violation=False)
    out = NetworkCertificate(net, cert, bias, output_bias, len(full))
    if polish:
        U = np.hstack([hidden.weight, hidden.bias[:, None]]) if bias == "penalized" else hidden.weight
        own = unit_patterns(U, Xb)
        if hidden.activation.name == "abs":
            own = np.vstack([own, ~own])
        initial = _locate(full.patterns, own)
        res = prog.solve(solver, accuracy, initial=initial if initial.size else None)
        out.polished_network = res.network
        out.polished_certificate = certify(prog.final, res)
    return out
