"""PyTorch interop (optional extra): Network <-> torch.nn.Sequential in float64."""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .errors import InvalidParameterError


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "PyTorch is needed for this; install the CPU build with: pip install torch==2.13.0"
        ) from None
    return torch


def _abs_module():
    torch = _torch()

    class Abs(torch.nn.Module):
        """Elementwise absolute value."""

        def forward(self, u):
            return torch.abs(u)

    return Abs


def activation_module(act: Activation):
    torch = _torch()
    if act.name == "relu":
        return torch.nn.ReLU()
    if act.name == "leaky":
        return torch.nn.LeakyReLU(act.slope)
    if act.name == "abs":
        return _abs_module()()
    if act.name == "identity":
        return None
    raise InvalidParameterError(f"activation {act.name!r} has no PyTorch equivalent in cvxnn's interop.")


def network_to_torch(net):
    """A float64 ``torch.nn.Sequential`` computing exactly ``net.predict`` (output shape (n, 1)); ``net`` is any
    object with ``layers`` of weight, bias and activation (a :class:`cvxnn.Network`)."""
    torch = _torch()
    modules = []
    for layer in net.layers:
        lin = torch.nn.Linear(layer.weight.shape[1], layer.weight.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.weight))
            lin.bias.copy_(torch.from_numpy(layer.bias))
        modules.append(lin)
        mod = activation_module(layer.activation)
        if mod is not None:
            modules.append(mod)
    body = torch.nn.Sequential(*modules)
    linear = getattr(net, "linear", None)
    if linear is None:
        return body

    class WithSkip(torch.nn.Module):
        """body(x) + x @ linear: the network with its unpenalised linear skip term."""

        def __init__(self):
            super().__init__()
            self.body = body
            self.linear = torch.nn.Parameter(torch.from_numpy(np.asarray(linear, dtype=np.float64)).reshape(-1, 1))

        def forward(self, x):
            return self.body(x) + x @ self.linear

    return WithSkip()


def layers_from_torch(module) -> list[list]:
    """Read a Sequential of Linear and activation modules (ReLU, LeakyReLU, Abs) as [weight, bias, activation]
    triples in float64 (``cvxnn.Network.from_torch`` builds the network from them)."""
    torch = _torch()
    layers = []
    for m in module:
        if isinstance(m, torch.nn.Linear):
            W = m.weight.detach().to(torch.float64).cpu().numpy().copy()
            b = (m.bias.detach().to(torch.float64).cpu().numpy().copy() if m.bias is not None
                 else np.zeros(W.shape[0]))
            layers.append([W, b, Activation("identity")])
        else:
            if not layers or layers[-1][2].name != "identity":
                raise InvalidParameterError(
                    f"cannot read module {m!r}: expected Linear layers each followed by at most one activation."
                )
            if isinstance(m, torch.nn.ReLU):
                act = Activation("relu")
            elif isinstance(m, torch.nn.LeakyReLU):
                act = Activation("leaky", m.negative_slope)
            elif type(m).__name__ == "Abs":
                act = Activation("abs")
            else:
                raise InvalidParameterError(
                    f"unsupported module {type(m).__name__}; cvxnn reads Linear, ReLU, LeakyReLU and Abs."
                )
            layers[-1][2] = act
    return layers
