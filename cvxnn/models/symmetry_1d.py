"""Symmetry structure of 1-D fits (theory: "Symmetry"): breakpoints of the active features and where they come from,
mirror centres level by level, and the symmetry windows of the fitted function.

Breakpoint kinds (checked in this order, to a tolerance of 1e-9 times the data range):
``data`` (a training point x_j), ``reflection`` (R(x_k, x_j) = 2 x_j - x_k), ``midpoint`` ((x_k + x_l) / 2),
``reflection_of_reflection`` (R(R(x_k, x_m), x_j) = 2 x_j - 2 x_m + x_k, or a midpoint reflected about a training
point, 2 x_j - (x_k + x_l) / 2), else ``other``. ``from`` lists the indices of the training points involved, in the
order of the formula.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from ..records import Record, fmt

KIND_TOL = 1e-9
WINDOW_TOL = 1e-6


def classify_point(v: float, x: np.ndarray, tol: float | None = None) -> dict:
    """Name a breakpoint by the simplest construction from training points that produces it."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    n = x.size
    tol = KIND_TOL * (float(np.ptp(x)) or 1.0) if tol is None else tol
    hit = np.flatnonzero(np.abs(x - v) <= tol)
    if hit.size:
        return {"x": float(v), "kind": "data", "from": [int(hit[0])]}
    R = 2 * x[None, :] - x[:, None]  # R[k, j] = 2 x_j - x_k
    k, j = np.nonzero(np.abs(R - v) <= tol)
    if k.size:
        return {"x": float(v), "kind": "reflection", "from": [int(k[0]), int(j[0])]}
    M = 0.5 * (x[:, None] + x[None, :])
    k, l = np.nonzero((np.abs(M - v) <= tol) & (np.arange(n)[:, None] < np.arange(n)[None, :]))
    if k.size:
        return {"x": float(v), "kind": "midpoint", "from": [int(k[0]), int(l[0])]}
    for a, b in itertools.product(range(n), repeat=2):  # O(n^3) vectorised over the third index
        rr = 2 * x - 2 * x[b] + x[a]  # R(R(x_a, x_b), x_j) for all j
        hit = np.flatnonzero(np.abs(rr - v) <= tol)
        if hit.size and a != b:
            return {"x": float(v), "kind": "reflection_of_reflection", "from": [a, b, int(hit[0])]}
    for a, b in itertools.combinations(range(n), 2):
        rm = 2 * x - 0.5 * (x[a] + x[b])  # a midpoint reflected about x_j
        hit = np.flatnonzero(np.abs(rm - v) <= tol)
        if hit.size:
            return {"x": float(v), "kind": "reflection_of_reflection", "from": [a, b, int(hit[0])]}
    return {"x": float(v), "kind": "other", "from": []}


def chain_centres(a) -> list[tuple[float, int]]:
    """Mirror centres of g_a(x) = |...||x - a1| - a2| ... - a_{L-1}|, with their level: the points where the
    level-k inner expression g_{k-1}(x) - a_k vanishes, g_1 = |x - a1|, g_k = |g_{k-1} - a_k| (level 1: a1).
    Solving g_{k-1} = a_k from the inside out: g_{j-1} = a_j +- v (only values >= 0), down to g_1 = |x - a1| = t,
    x = a1 +- t. For L = 3: a1 (level 1), a1 +- a2 (level 2)."""
    a = [float(v) for v in a]
    out = [(a[0], 1)]
    for k in range(2, len(a) + 1):
        targets = {a[k - 1]}
        for j in range(k - 1, 1, -1):
            targets = {a[j - 1] + e * v for v in targets for e in (1.0, -1.0) if a[j - 1] + e * v >= 0}
        for t in sorted(targets):
            for e in (1.0, -1.0):
                if (a[0] + e * t, k) not in out:
                    out.append((a[0] + e * t, k))
    return out


def kinks(f, candidates, scale) -> list[float]:
    """The candidates at which the piecewise-linear function f actually changes slope."""
    out = []
    h = 1e-6 * scale
    for c in sorted(set(round(float(v), 12) for v in candidates)):
        left = (f(np.array([c])) - f(np.array([c - h]))) / h
        right = (f(np.array([c + h])) - f(np.array([c]))) / h
        if abs(right[0] - left[0]) > 1e-6:
            out.append(c)
    return out


def asymmetry(f, c: float, h: float, fmax: float, samples: int = 401) -> float:
    """asym(c, h) = max_{t in [0, h]} |f(c + t) - f(c - t)| / (max|f| + eps) (theory: "Symmetry")."""
    t = np.linspace(0.0, h, samples)
    return float(np.max(np.abs(f(c + t) - f(c - t))) / (fmax + 1e-12))


def symmetry_window(f, c: float, span: float, fmax: float, tol: float = WINDOW_TOL, steps: int = 200) -> float:
    """The largest h (on a grid of ``steps`` up to ``span``) with asym(c, h) <= tol."""
    best = 0.0
    for h in np.linspace(span / steps, span, steps):
        if asymmetry(f, c, h, fmax) <= tol:
            best = float(h)
        else:
            break
    return best


def unit_features(unit: dict, activation: str, scale: float) -> tuple[str, list[float], list[tuple[float, int]]]:
    """(description, breakpoints, mirror centres with their level) of one unit of a 1-D net, from its parameters
    in the network's description: a two-layer unit (``breakpoint``, ``orientation``), a ReLU ramp (``ramp``) or an
    absolute-value chain (``a``)."""
    if "ramp" in unit:
        a, b = (float(v) for v in unit["ramp"])
        return f"ramp({a:.6g}, {b:.6g})", [a, b], []
    if "a" in unit:
        params = [float(v) for v in unit["a"]]
        inner = "x"
        for v in params:
            inner = f"|{inner} - {v:.6g}|"
        centres = chain_centres(params)
        return inner, kinks(lambda t: chain_value(t, params), [c for c, _ in centres], scale), centres
    c = float(unit["breakpoint"])
    if activation in ("sign", "threshold"):
        return f"{activation}(x - {c:.6g})", [c], []
    side = "+" if unit.get("orientation", 1.0) > 0 else "-"
    return f"{activation}({side}(x - {c:.6g}))", [c], ([(c, 1)] if activation == "abs" else [])


def chain_value(t, params) -> np.ndarray:
    """g_a(t) = | ... || t - a1 | - a2 | ... - a_{L-1} |."""
    h = np.abs(np.asarray(t, dtype=np.float64) - params[0])
    for a in params[1:]:
        h = np.abs(h - a)
    return h


#: the ``notes`` of every 1-D report (what the kinds and windows mean)
NOTES = ("breakpoint kinds: data, reflection R(x_k, x_j) = 2x_j - x_k, midpoint, reflection_of_reflection, other; "
         f"windows: largest h with asym(c, h) <= {WINDOW_TOL:g}; asymmetry over the widest window around the centre "
         "inside the data range")


@dataclass(eq=False)
class SymmetryReport1D(Record):
    """The symmetry report of a 1-D fit (``Trained.symmetry()`` for two-layer and deep 1-D models; theory:
    "Symmetry"). ``to_dict()`` is the ``symmetry`` section of the JSON output; the report also reads as that dict
    (``report["features"]``).

    features: one entry per unit of the rebuilt network, a dict with ``unit`` (the unit as a formula),
        ``coefficient`` (its coefficient z in the convex program), ``centres`` (its mirror centres: ``x`` and
        ``level``; abs units and chains only) and ``breakpoints`` (where the unit has a kink: ``x``, ``kind`` and
        ``from``, the indices of the training points that construct it, see :func:`classify_point`).
    windows: one entry per mirror centre of the fit, a dict with ``centre``, ``level``, ``kind``, ``half_width``
        (the largest h with asym(c, h) <= WINDOW_TOL: the fit is mirror-symmetric on [c - h, c + h]) and
        ``asymmetry`` (asym over the widest window around c inside the data range).
    notes: what the kinds and the windows mean, in words.
    """

    features: list = field(default_factory=list)
    windows: list = field(default_factory=list)
    notes: str = NOTES

    def to_dict(self) -> dict:
        return {"features": self.features, "windows": self.windows, "notes": self.notes}

    def __str__(self) -> str:
        lines = [f"symmetry of the 1-D fit: {len(self.features)} units, {len(self.windows)} mirror centres"]
        for f in self.features:
            bps = "; ".join(f"{fmt(b['x'])} ({_origin(b)})" for b in f["breakpoints"]) or "none"
            lines.append(f"  {f['unit']}, coefficient {fmt(f['coefficient'])}: breakpoints {bps}")
        if self.windows:
            lines.append(f"  mirror centres c (symmetric on [c - h, c + h]: asymmetry <= {WINDOW_TOL:g} there):")
        for w in self.windows:
            window = f"h = {fmt(w['half_width'], 4)}" if w["half_width"] > 0 else "no symmetric window"
            lines.append(f"    c = {fmt(w['centre'])} (level {w['level']}, {w['kind']}): {window}; asymmetry "
                         f"{fmt(w['asymmetry'], 3)} around c inside the data range")
        return "\n".join(lines)


def _origin(bp: dict) -> str:
    """'data x[2]', 'reflection of x[1] about x[3]', ... from a classified breakpoint."""
    kind, src = bp["kind"], bp["from"]
    if kind == "data":
        return f"data point x[{src[0]}]"
    if kind == "reflection":
        return f"reflection of x[{src[0]}] about x[{src[1]}]"
    if kind == "midpoint":
        return f"midpoint of x[{src[0]}] and x[{src[1]}]"
    if kind == "reflection_of_reflection":
        return "reflection of a reflection or midpoint (points " + ", ".join(str(i) for i in src) + ")"
    return kind


def symmetries(trained) -> SymmetryReport1D:
    """The ``symmetry`` report of a 1-D fit: ``features`` (one per unit of the rebuilt network, from its
    description) and ``windows`` of the fitted function (:class:`SymmetryReport1D`)."""
    x = trained.program.X[:, 0]
    net = trained.result.network
    activation = net.meta.get("activation", {}).get("name", "")
    scale = float(np.ptp(x)) or 1.0
    features, centres = [], {}
    for unit in net.meta.get("units", []):
        text, bps, cs = unit_features(unit, activation, scale)
        features.append({
            "unit": text,
            "coefficient": float(unit["z"]),
            "centres": [{"x": c, "level": lvl} for c, lvl in cs],
            "breakpoints": [classify_point(b, x) for b in bps],
        })
        for c, lvl in cs:
            key = round(c, 12)
            centres[key] = min(lvl, centres.get(key, lvl))
    f = lambda t: net.predict(np.asarray(t, dtype=np.float64).reshape(-1, 1))  # noqa: E731
    lo, hi = float(x.min()), float(x.max())
    fmax = float(np.max(np.abs(f(np.linspace(lo, hi, 2001)))))
    windows = []
    for c, lvl in sorted(centres.items(), key=lambda kv: (kv[1], kv[0])):
        inside = min(c - lo, hi - c)
        span = inside if inside > 0 else max(c - lo, hi - c, 1e-12)  # stay inside the data where possible
        windows.append({
            "centre": float(c), "level": int(lvl), "kind": classify_point(c, x)["kind"],
            "half_width": symmetry_window(f, c, span, fmax),
            "asymmetry": asymmetry(f, c, span, fmax),
        })
    return SymmetryReport1D(features, windows, NOTES)
