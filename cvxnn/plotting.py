"""Figures with matplotlib (imported lazily, Agg backend unless a backend is already chosen).

- :func:`plot_fit`: the fitted function and the data; 1-D: breakpoints coloured by kind and mirror centres; 2-D: a
  filled contour with the data drawn on top (fill: target, size: |residual|) and, for deep-abs nets, the reflection
  planes.
- :func:`plot_dual`: the dual certificate as a picture (theory: "Rescaling and duality", "Certificates"): the value
  ``|lambda^T sigma_theta(X)|`` of the dual point over the units theta of the architecture against the bound
  ``beta``. Every value inside the band means the dual point is feasible, so ``D(lambda)`` bounds every network of
  any width; the units of an optimal net touch the band. See the function for what is drawn for each model.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InvalidParameterError, UnsupportedCombinationError

KIND_COLOURS = {"data": "tab:blue", "reflection": "tab:red", "midpoint": "tab:green",
                "reflection_of_reflection": "tab:purple", "other": "tab:gray"}
FIGURE_SUFFIXES = ("png", "pdf", "svg")


def _pyplot():
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_figure_path(path) -> Path:
    """The figure file to write: a png, pdf or svg name (the format comes from the suffix)."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FIGURE_SUFFIXES:
        raise InvalidParameterError(
            f"cannot tell the image format of {str(path)!r}: its suffix is {path.suffix or 'missing'}; use a file name "
            f"ending in {', '.join('.' + s for s in FIGURE_SUFFIXES)} (e.g. fit.png)."
        )
    return path


# ------------------------------------------------------------------------------------------------ titles
def _verdict(cert) -> str:
    """The certificate in words: 'globally optimal' only for a certificate with scope global."""
    if cert.globally_optimal:
        return "globally optimal (certified, scope global)"
    if cert.certified:
        return f"certified for scope {cert.scope!r} only"
    return "NOT certified"


def _title(trained) -> str:
    s = trained.program.summary()
    cert = trained.certificate
    what = f"beta = {s['beta']:g}" if s["mode"] == "training" else "minimum-norm interpolation"
    value = "objective" if s["mode"] == "training" else "weight cost"
    gap = "n/a" if cert.certified_gap is None else f"{cert.certified_gap:.1e}"
    name = s["model"] if s["activation"] in s["model"] else f"{s['model']} {s['activation']}"
    return (f"{name}, depth {s['depth']}, {what}, n = {s['n']}\n"
            f"{value} {cert.objective:.6g}, {trained.network.width} units: {_verdict(cert)}, certified gap {gap}")


def _save(fig, path) -> Path:
    plt = _pyplot()
    path = check_figure_path(path)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def _legend_outside(ax, fontsize: int = 8, below: bool = False) -> None:
    """The legend outside the axes, never over the data: to the right, or below (for axes side by side)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles and below:
        ax.legend(handles, labels, fontsize=fontsize, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                  frameon=False)
    elif handles:
        ax.legend(handles, labels, fontsize=fontsize, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0,
                  frameon=False)


def _range(values, pad: float = 0.08):
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    width = hi - lo or max(abs(lo), 1.0)
    return lo - pad * width, hi + pad * width


# ------------------------------------------------------------------------------------------------ the fit
def plot_fit(trained, path, title: str | None = None) -> Path:
    """Draw a solved 1-D or 2-D problem to ``path`` (format from the suffix: png, pdf, svg): :func:`fit_figure`."""
    check_figure_path(path)
    return _save(fit_figure(trained, title), path)


def fit_figure(trained, title: str | None = None):
    """The matplotlib figure of a solved 1-D or 2-D problem. 1-D: the fitted function, the data, the breakpoints of
    the units coloured by kind and the level-1 mirror centres (deep-abs nets: the centres of their planes); the x
    range covers the data and every breakpoint and centre drawn. 2-D: :func:`fit_figure_2d`. The title gives beta,
    the objective and the certificate's verdict; the legend sits outside the axes."""
    prog = trained.program
    d = prog.X.shape[1]
    if d == 2:
        return fit_figure_2d(trained, title)
    if d != 1:
        raise UnsupportedCombinationError(
            f"plot draws 1-D and 2-D inputs; received d = {d}. Use the JSON output (cvxnn solve --json) instead."
        )
    plt = _pyplot()
    x, y = prog.X[:, 0], prog.y
    sym = trained.symmetry()
    if sym is not None and "planes" in sym:  # a deep-abs report on 1-D data
        return _planes_1d_figure(trained, sym, title)
    features = [] if sym is None else sym["features"]
    windows = [] if sym is None else sym["windows"]
    marks = [bp["x"] for f in features for bp in f["breakpoints"]]
    centres = [w["centre"] for w in windows if w["half_width"] > 0 and w["level"] == 1]
    lo, hi = _range(np.concatenate([x, marks, centres]))
    grid = np.linspace(lo, hi, 2000)
    fit = trained.network.predict(grid.reshape(-1, 1))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(grid, fit, color="black", lw=1.5, label="fitted network")
    ax.scatter(x, y, color="tab:orange", edgecolors="black", linewidths=0.6, zorder=3, label="data")
    seen = set()
    for feat in features:
        for bp in feat["breakpoints"]:
            kind = bp["kind"]
            ax.axvline(bp["x"], color=KIND_COLOURS.get(kind, "gray"), lw=0.8, alpha=0.7,
                       label=f"breakpoint: {kind}" if kind not in seen else None)
            seen.add(kind)
    for i, c in enumerate(centres):
        ax.axvline(c, color="black", ls=":", lw=1.0, alpha=0.6, label="mirror centre (level 1)" if i == 0 else None)
    ax.set_xlim(lo, hi)
    ax.set_title(title or _title(trained), fontsize=10)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    _legend_outside(ax)
    return fig


def _planes_1d_figure(trained, sym, title):
    """1-D deep-abs fit: the planes of the symmetry report are points x = offset / normal."""
    plt = _pyplot()
    prog = trained.program
    x, y = prog.X[:, 0], prog.y
    centres = [p["offset"] / p["normal"][0] for p in sym["planes"]]
    lo, hi = _range(np.concatenate([x, centres]))
    grid = np.linspace(lo, hi, 2000)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(grid, trained.network.predict(grid.reshape(-1, 1)), color="black", lw=1.5, label="fitted network")
    ax.scatter(x, y, color="tab:orange", edgecolors="black", linewidths=0.6, zorder=3, label="data")
    seen = set()
    for p, centre in zip(sym["planes"], centres):
        key = (p["kind"], p["level"])
        ax.axvline(centre, color=KIND_COLOURS.get(p["kind"], "gray"), lw=0.9, alpha=0.7,
                   ls="-" if p["level"] == 1 else "--",
                   label=f"level {p['level']} centre: {p['kind']}" if key not in seen else None)
        seen.add(key)
    ax.set_xlim(lo, hi)
    ax.set_title(title or _title(trained), fontsize=10)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    _legend_outside(ax)
    return fig


def _clip_line(normal, offset, lo, hi):
    """End points of {x : n.x = offset} inside the box [lo, hi] (2-D), or None."""
    n1, n2 = float(normal[0]), float(normal[1])
    pts = []
    if abs(n2) > 1e-12:
        for xv in (lo[0], hi[0]):
            yv = (offset - n1 * xv) / n2
            if lo[1] - 1e-12 <= yv <= hi[1] + 1e-12:
                pts.append((xv, yv))
    if abs(n1) > 1e-12:
        for yv in (lo[1], hi[1]):
            xv = (offset - n2 * yv) / n1
            if lo[0] - 1e-12 <= xv <= hi[0] + 1e-12:
                pts.append((xv, yv))
    if len(pts) < 2:
        return None
    pts = np.array(pts)
    far = np.argmax(np.sum((pts - pts[0]) ** 2, axis=1))
    return pts[[0, far]]


def plot_fit_2d(trained, path, title: str | None = None, resolution: int = 200) -> Path:
    """Draw a solved 2-D problem to ``path``: :func:`fit_figure_2d`."""
    check_figure_path(path)
    return _save(fit_figure_2d(trained, title, resolution), path)


def fit_figure_2d(trained, title: str | None = None, resolution: int = 200):
    """2-D inputs: filled contour of the fitted function over the data box enlarged by 10%, the training points on
    top (fill: the target on the contour's colour scale, a black edge on a white halo so they stay visible on any
    colour, size growing with the residual |f(x) - y|), and the reflection planes of the symmetry report (deep-abs)
    as lines: level 1 solid, level 2 dashed, coloured by kind."""
    plt = _pyplot()
    prog = trained.program
    X, y = np.asarray(prog.X, dtype=np.float64), np.asarray(prog.y, dtype=np.float64)
    lo, hi = X.min(axis=0), X.max(axis=0)
    w = np.where(hi - lo > 0, hi - lo, 1.0)
    lo, hi = lo - 0.1 * w, hi + 0.1 * w
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    F = np.asarray(trained.network.predict(np.column_stack([g1.ravel(), g2.ravel()])), dtype=np.float64)
    F = F.reshape(g1.shape)
    vmin, vmax = min(float(F.min()), float(y.min())), max(float(F.max()), float(y.max()))
    fig, ax = plt.subplots(figsize=(8.5, 6))
    cs = ax.contourf(g1, g2, F, levels=30, cmap="viridis", vmin=vmin, vmax=vmax)
    fig.colorbar(cs, ax=ax, label="f(x) (points: target y)")
    residual = np.abs(np.asarray(trained.network.predict(X), dtype=np.float64).reshape(-1) - y)
    top = float(residual.max())
    size = 40.0 + (160.0 * residual / top if top > 0 else 0.0)
    ax.scatter(X[:, 0], X[:, 1], s=size + 60.0, color="white", zorder=4)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="viridis", vmin=vmin, vmax=vmax, s=size, edgecolors="black",
               linewidths=1.2, zorder=5, label=f"data (fill: target; size: |residual|, max {top:.2g})")
    sym = trained.symmetry()
    seen = set()
    for p in ([] if sym is None else sym.get("planes", [])):
        seg = _clip_line(p["normal"], p["offset"], lo, hi)
        if seg is None:
            continue
        key = (p["kind"], p["level"])
        ax.plot(seg[:, 0], seg[:, 1], color=KIND_COLOURS.get(p["kind"], "gray"), lw=1.6 if p["level"] == 1 else 1.0,
                ls="-" if p["level"] == 1 else "--", zorder=3,
                label=f"level {p['level']} plane: {p['kind']}" if key not in seen else None)
        seen.add(key)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(title or _title(trained), fontsize=10)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.1), ncol=2, frameon=False)
    return fig


# ------------------------------------------------------------------------------------------------ the dual
@dataclass
class DualPicture:
    """What :func:`plot_dual` drew.

    kind: 'breakpoints' (1-D two-layer nets), 'bias-free' (1-D, no biases), 'ramps' (deep 1-D ReLU chains),
    'chain-plane' (depth-3 abs chains on 1-D data) or 'directions' (a polar plot over unit directions).
    description: the quantity drawn, in words. band: the bound beta of the dual constraint (1 in interpolation
    mode). sup: the largest value of the constraint found (max over the drawn values and the units; exact for every
    kind but 'chain-plane' on its grid, where it is the max over the vertices of the units' arrangement, also
    exact). grid, values: the x-axis (or the angles) and the drawn curves by label. units: the units of the net
    with their coordinates on the picture and their value. path: the file written, or None; figure: the matplotlib
    figure when nothing was written (close it with ``matplotlib.pyplot.close``).
    """

    kind: str
    description: str
    band: float
    sup: float
    grid: np.ndarray
    values: dict = field(default_factory=dict)
    units: list = field(default_factory=list)
    verdict: str = ""
    path: Path | None = None
    figure: object = field(default=None, repr=False)  # the open figure when drawn without a path

    @property
    def feasible(self) -> bool:
        """Whether the dual point drawn satisfies the constraint, to a relative 1e-6 (a solver's dual vector is
        feasible to its own tolerance; the certificate scales it by t <= 1 to make it exactly feasible)."""
        return self.sup <= self.band * (1.0 + 1e-6)

    def summary(self) -> str:
        return (f"dual picture ({self.kind}): {self.description}\n  max over the units = {self.sup:.9g} = "
                f"{self.sup / self.band:.9g} x the bound {self.band:g}: the dual point is "
                + ("feasible" if self.feasible else "NOT feasible (it leaves the band)")
                + f"; {len(self.units)} units of the net marked")


def _dual_point(trained, dual) -> np.ndarray:
    """The dual point drawn: ``dual`` when given, else the solver's dual vector (the residual when the solver gave
    none), centred when the model has a free output bias, exactly as the certificate uses it."""
    program, res = trained.program, trained.result
    n = program.X.shape[0]
    if dual is not None:
        lam = np.asarray(dual, dtype=np.float64).reshape(-1)
        if lam.size != n or not np.all(np.isfinite(lam)):
            raise InvalidParameterError(
                f"dual must be a finite vector with one entry per training point ({n}); received shape "
                f"{np.shape(dual)}. Pass e.g. the residual y - net.predict(X)."
            )
    elif res.dual is not None:
        lam = np.asarray(res.dual, dtype=np.float64).reshape(-1)
    elif program.mode == "training":
        lam = program.y - np.asarray(res.network.predict(program.X), dtype=np.float64).reshape(-1)
    else:
        raise UnsupportedCombinationError(
            "this interpolation solve has no dual vector (the residual of an interpolating net is zero); solve with "
            "solver='auto' (HiGHS), which returns one."
        )
    return lam - lam.mean() if program.has_output_bias else lam.copy()


def plot_dual(trained, path=None, *, dual=None, network=None, ax=None, title: str | None = None,
              resolution: int = 721) -> DualPicture:
    """Draw the dual certificate of a solved problem: the value of the dual constraint ``|lambda^T
    sigma_theta(X)|`` over the units theta of the architecture against the bound beta (1 in interpolation mode).

    lambda is the dual point of the certificate (the solver's dual vector, or the residual when the solver gave
    none; centred when the model has a free output bias), or ``dual`` when given (e.g. the residual of another
    net). The units of the net (``trained.network``, or ``network`` when given) are marked where they sit; at an
    optimum they touch the band. What is drawn:

    - two-layer nets on 1-D data, free biases: for every breakpoint c on a grid covering the data (the data points
      and, for sign / threshold units, the gap midpoints included, where the sup is attained) and both
      orientations s = +-1, the curve ``F_s(c) = lambda^T sigma(s (x - c))``, with the band [-beta, beta] (abs:
      one orientation, sigma is even; sign / threshold: s = +1, the other orientation gives -F up to a constant);
      bias 'none': the two values of sigma(+x) and sigma(-x);
    - deep ReLU chains on 1-D data: every unit is a ramp and ``lambda^T ramp(a, b) = F(a) - F(b)`` with
      ``F(c) = lambda^T (x - c)_+``: the curve F with the band [min F, min F + beta]; the constraint is
      max F - min F <= beta; each unit is a segment from (a, F(a)) to (b, F(b));
    - depth-3 absolute-value chains on 1-D data: the map of ``|lambda^T ||x - a1| - a2||`` over the plane of the
      units' parameters (a1, a2 >= 0), the contour at beta, and the units as points;
    - two-dimensional unit directions (a polar plot over the angle t of a unit direction u = (cos t, sin t); radius =
      the value / beta, the unit circle = the bound): two-layer relu / leaky / abs nets with inner weights in R^2
      (d = 2 without bias, or d = 1 with a penalized bias, u = (w, b)): ``|lambda^T sigma(Xb u)|``; d = 2 with a
      penalized bias, units (w, b) on the unit sphere of R^3: the sup over the bias of
      ``|lambda^T sigma(cos(p) X u + sin(p))|`` over p in [-pi/2, pi/2] (computed exactly per direction); gated ReLU
      nets: the same with ``||Xb^T D(gate) lambda||``; l1-normalised abs nets (wedges, d = 2):
      ``max_b |lambda^T |X u / ||u||_1 - b||``; three-layer abs nets (DeepAbs, d = 2): the max over (a1, a2) of
      ``|lambda^T ||X v - a1| - a2||`` with v = u / ||u|| in the inner norm.

    The angles of the units and of the unit the certificate's oracle found are added to the grid, so ``sup`` is the
    sup of the oracle wherever the oracle is exact. Writes ``path`` when given (png, pdf, svg), draws into ``ax``
    when given (a polar axes for the polar kinds; the legend then goes below it), and returns a
    :class:`DualPicture`. ``title`` replaces the default title (the max against the bound, the certificate's verdict
    and what is drawn). Other models (e.g. deep 1-D
    abs chains of depth >= 4, inputs of dimension >= 3) raise :class:`cvxnn.UnsupportedCombinationError`."""
    if path is not None:
        check_figure_path(path)
    program = trained.program
    lam = _dual_point(trained, dual)
    band = 1.0 if program.mode == "interpolation" else float(program.penalty_beta)
    net = trained.network if network is None else network
    family = trained.model.name
    arch = program.architecture
    d = program.X.shape[1]
    worst = None if dual is not None else trained.certificate.worst_unit
    if family == "two-layer-1d" or (family == "wedge" and d == 1):  # on 1-D data an l1 wedge is a two-layer abs net
        picture = _breakpoints(program, lam, band, net, arch, resolution)
    elif family == "chains-1d" and arch.activation == "relu":
        picture = _ramps(program, lam, band, net, resolution)
    elif (family == "chains-1d" and arch.depth == 3) or (family == "deep-abs" and d == 1):
        picture = _chain_plane(program, lam, band, net)
    elif family in ("arrangement", "wedge", "deep-abs") and _plane_dim(program, family) == 2:
        picture = _directions(program, lam, band, net, family, worst, resolution)
    else:
        raise UnsupportedCombinationError(
            f"plot_dual draws two-layer nets on 1-D data (the breakpoint axis), deep ReLU chains on 1-D data "
            f"(ramps), depth-3 abs chains on 1-D data (Deep1D(3, 'abs') or DeepAbs: the (a1, a2) plane), and unit "
            f"directions in a plane: "
            f"two-layer relu / leaky / abs nets on 2-D data (or 1-D data with a penalized bias), gated ReLU nets, "
            f"l1-normalised abs nets and DeepAbs nets on 2-D data. Received {arch.describe()} on {d}-dimensional "
            f"data. Use the certificate's numbers instead (trained.certificate.dual_violation, worst_unit)."
        )
    picture.verdict = ("a dual point given by the caller" if dual is not None else
                       f"certificate: {_verdict(trained.certificate)}")
    _draw(picture, ax, title, path)
    return picture


def _plane_dim(program, family) -> int:
    """The dimension of the space of unit directions the polar plot sweeps (its in-plane part)."""
    d = program.X.shape[1]
    if family == "arrangement":
        return d + (1 if program.bias == "penalized" else 0) if d == 1 else d
    return d


# -- 1-D two-layer nets
def _layer_units_1d(net):
    """(breakpoint c, orientation s, outer sign) of the hidden units of a two-layer net on 1-D data."""
    meta_units = getattr(net, "meta", {}).get("units") or []
    if meta_units and all("breakpoint" in u for u in meta_units):
        return [(float(u["breakpoint"]), float(u.get("orientation", 1.0)), float(np.sign(u["z"])))
                for u in meta_units]
    layers = getattr(net, "layers", None)
    if not layers or len(layers) != 2 or layers[0].weight.shape[1] != 1:
        return []
    w, b, alpha = layers[0].weight[:, 0], layers[0].bias, layers[1].weight[0]
    keep = (w != 0) & (alpha != 0)
    return [(float(-bi / wi), float(np.sign(wi)), float(np.sign(ai))) for wi, bi, ai in zip(w[keep], b[keep],
                                                                                             alpha[keep])]


def _breakpoints(program, lam, band, net, arch, resolution) -> DualPicture:
    x = program.X[:, 0]
    act = arch.act
    name = act.name
    units = _layer_units_1d(net)
    if program.bias == "none":
        values = {f"{name}(+x)": np.array([lam @ act(x)]), f"{name}(-x)": np.array([lam @ act(-x)])}
        marked = [{"orientation": s, "value": float(lam @ act(s * x)), "outer_sign": a} for _, s, a in units]
        sup = max(abs(v[0]) for v in values.values())
        return DualPicture("bias-free", f"lambda^T {name}(s x) for the two units s = +-1 (no biases: no breakpoint "
                           "axis)", band, sup, np.zeros(1), values, marked)
    lo, hi = float(x.min()), float(x.max())
    pad = 0.15 * (hi - lo or 1.0)
    # a unit whose breakpoint lies outside the data range is affine on the data: with lambda centred its value is
    # that of the breakpoint at the edge of the plot (evaluating it at a far breakpoint would only add rounding)
    clip = lambda c: min(max(c, lo - pad), hi + pad)  # noqa: E731
    extra = [clip(c) for c, _, _ in units]
    grid = np.linspace(lo - pad, hi + pad, resolution)
    u = np.unique(x)
    grid = np.unique(np.concatenate([grid, u, 0.5 * (u[:-1] + u[1:]), extra]))
    orientations = (1.0,) if name in ("abs", "sign", "threshold") else (1.0, -1.0)
    values = {}
    for s in orientations:
        F = np.concatenate([lam @ act(s * (x[:, None] - grid[None, k:k + 2000])) for k in range(0, grid.size, 2000)])
        values[f"F_{'+' if s > 0 else '-'}(c) = lambda^T {name}({'' if s > 0 else '-'}(x - c))"] = F
    marked = []
    for c, s, a in units:
        s_drawn = s if s in orientations else 1.0
        value = float(lam @ act(s * (x - clip(c))))
        marked.append({"breakpoint": c, "orientation": s, "outer_sign": a, "value": value,
                       "curve": 0 if s_drawn > 0 else 1, "drawn": clip(c) == c})
    sup = max(float(np.max(np.abs(F))) for F in values.values())
    sup = max([sup] + [abs(m["value"]) for m in marked])
    desc = (f"F_s(c) = lambda^T {name}(s (x - c)) over the breakpoint c, both orientations s"
            if len(orientations) == 2 else f"F(c) = lambda^T {name}(x - c) over the breakpoint c")
    return DualPicture("breakpoints", desc + f"; feasible when |F| <= {band:g}", band, sup, grid, values, marked)


# -- deep ReLU chains on 1-D data
def _ramps(program, lam, band, net, resolution) -> DualPicture:
    x = program.X[:, 0]
    lo, hi = float(x.min()), float(x.max())
    pad = 0.15 * (hi - lo or 1.0)
    ramps = [u["ramp"] for u in getattr(net, "meta", {}).get("units", []) if "ramp" in u]
    grid = np.unique(np.concatenate([np.linspace(lo - pad, hi + pad, resolution), x, np.ravel(ramps or [])]))
    F = np.maximum(x[:, None] - grid[None, :], 0.0).T @ lam
    marked = []
    for a, b in ramps:
        Fa, Fb = (float(lam @ np.maximum(x - v, 0.0)) for v in (a, b))
        marked.append({"ramp": [float(a), float(b)], "F_a": Fa, "F_b": Fb, "value": Fa - Fb})
    sup = float(F.max() - F.min())
    return DualPicture("ramps", "F(c) = lambda^T (x - c)_+; a ramp unit (a, b) has value F(a) - F(b), so the "
                       f"constraint is max F - min F <= {band:g}", band, sup, grid, {"F(c) = lambda^T (x - c)_+": F},
                       marked)


# -- depth-3 abs chains on 1-D data
def _chain_units_1d(net):
    """(a1, a2, outer sign) of the units z ||x - a1| - a2|: Deep1D units ('a') or DeepAbs units on 1-D data
    ('direction' v, 'a1', 'a2': ||v x - a1| - a2| = |v| ||x - a1 / v| - a2 / |v||)."""
    out = []
    for u in getattr(net, "meta", {}).get("units", []):
        if "a" in u and len(u["a"]) == 2:
            out.append((float(u["a"][0]), float(u["a"][1]), float(np.sign(u.get("z", 1.0)))))
        elif "direction" in u and len(u["direction"]) == 1 and u["direction"][0] != 0:
            v = float(u["direction"][0])
            out.append((float(u["a1"]) / v, float(u["a2"]) / abs(v), float(np.sign(u.get("z", 1.0)))))
    return out


def _abs_chain_vertices(t: np.ndarray):
    """The vertices (a1, a2 >= 0) of the arrangement of the lines a1 = t_k, a2 = |t_k - a1|: where
    ``lambda^T ||t - a1| - a2||`` (lambda centred) attains its max over the half-plane."""
    D = np.abs(t[:, None] - t[None, :])
    a1 = np.concatenate([np.repeat(t, t.size), (0.5 * (t[:, None] + t[None, :])).ravel()])
    a2 = np.concatenate([D.ravel(), 0.5 * D.ravel()])
    return a1, a2


def _chain_plane(program, lam, band, net) -> DualPicture:
    x = program.X[:, 0]
    lo, hi = float(x.min()), float(x.max())
    span = hi - lo or 1.0
    units = _chain_units_1d(net)
    g1 = np.linspace(lo - 0.1 * span, hi + 0.1 * span, 301)
    g2 = np.linspace(0.0, 1.05 * span, 201)
    A1, A2 = np.meshgrid(g1, g2)
    H = np.abs(np.abs(x[None, :] - A1.reshape(-1, 1)) - A2.reshape(-1, 1)) @ lam
    v1, v2 = _abs_chain_vertices(x)
    V = np.abs(np.abs(x[None, :] - v1[:, None]) - v2[:, None]) @ lam
    marked = [{"a1": a1, "a2": a2, "outer_sign": s,
               "value": float(lam @ np.abs(np.abs(x - a1) - a2))} for a1, a2, s in units]
    sup = max([float(np.max(np.abs(V)))] + [abs(m["value"]) for m in marked])
    return DualPicture("chain-plane", "|lambda^T ||x - a1| - a2|| over the units' parameters (a1, a2); feasible "
                       f"when <= {band:g} everywhere (the max is at a vertex: a1 a data point or a midpoint)", band,
                       sup, g1, {"a2": g2, "value": np.abs(H).reshape(A1.shape)}, marked)


# -- unit directions in the plane
def _angles(resolution: int, extra) -> np.ndarray:
    base = np.linspace(-np.pi, np.pi, resolution)
    return np.unique(np.concatenate([base, np.asarray(extra, dtype=np.float64).reshape(-1)]))


def _relu_type(act):
    """(slope for u > 0, slope for u < 0) of a positively homogeneous activation."""
    return float(act(np.array([1.0]))[0]), -float(act(np.array([-1.0]))[0])


def _sup_over_bias(T: np.ndarray, lam: np.ndarray, pos: float, neg: float) -> np.ndarray:
    """For each row t of T: max over p in [-pi/2, pi/2] of |sum_k lam_k sigma(cos(p) t_k + sin(p))|, sigma with
    slopes (pos, neg), exactly: between the breakpoints p_k = -atan(t_k) the active set is fixed and the value is
    A cos p + B sin p, whose max on an interval is at an end or at atan2(B, A) (+ pi)."""
    out = np.empty(T.shape[0])
    for i, t in enumerate(T):
        phi = -np.arctan(t)
        order = np.argsort(phi)
        ends = np.concatenate([[-np.pi / 2], phi[order], [np.pi / 2]])
        lt, l1 = (lam * t)[order], lam[order]
        # interval j (between ends[j] and ends[j+1]): the points order[:j] are active (p > p_k)
        A = neg * lt.sum() + (pos - neg) * np.concatenate([[0.0], np.cumsum(lt)])
        B = neg * l1.sum() + (pos - neg) * np.concatenate([[0.0], np.cumsum(l1)])
        left, right = ends[:-1], ends[1:]
        vals = [np.abs(A * np.cos(left) + B * np.sin(left)), np.abs(A * np.cos(right) + B * np.sin(right))]
        star = np.arctan2(B, A)
        for shift in (-np.pi, 0.0, np.pi):
            p = star + shift
            inside = (p >= left) & (p <= right)
            vals.append(np.where(inside, np.hypot(A, B), 0.0))
        out[i] = float(np.max(vals))
    return out


def _gated_sup_over_bias(T: np.ndarray, X: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """For each in-plane gate direction (row t = X u): max over the gate's bias angle p of ||Xb^T D lam||, D the
    pattern 1[cos(p) t + sin(p) >= 0]: the patterns are the prefixes of the points sorted by p_k = -atan(t_k)."""
    Xb = np.hstack([X, np.ones((X.shape[0], 1))])
    out = np.empty(T.shape[0])
    for i, t in enumerate(T):
        order = np.argsort(-np.arctan(t))
        prefix = np.vstack([np.zeros(Xb.shape[1]), np.cumsum((lam[:, None] * Xb)[order], axis=0)])
        out[i] = float(np.max(np.linalg.norm(prefix, axis=1)))
    return out


def _direction_units(net, family, program):
    """Per unit of the net: (angle of its in-plane direction, its value function input) for the polar plot."""
    layers = getattr(net, "layers", None)
    if family == "gated":
        G = np.asarray(net.gates, dtype=np.float64)
        return [{"angle": float(np.arctan2(g[1], g[0])), "gate": g.tolist(), "weights": u.tolist(),
                 "outer_sign": float(np.sign(a))} for g, u, a in zip(G, net.U, net.alpha)]
    if not layers:
        return []
    W, b = layers[0].weight, layers[0].bias
    out = []
    for k in range(W.shape[0]):
        entry = {"w": W[k].tolist(), "b": float(b[k])}
        if family == "arrangement" and program.X.shape[1] == 1:
            entry["angle"] = float(np.arctan2(b[k], W[k, 0]))  # u = (w, b)
        else:
            entry["angle"] = float(np.arctan2(W[k, 1], W[k, 0]))
        if family == "deep-abs" and len(layers) == 3:
            entry["w2"], entry["b2"] = float(layers[1].weight[k, k]), float(layers[1].bias[k])
        entry["outer_sign"] = float(np.sign(layers[-1].weight[0, k]))
        out.append(entry)
    return out


def _directions(program, lam, band, net, family, worst, resolution) -> DualPicture:
    X = np.asarray(program.X, dtype=np.float64)
    arch = program.architecture
    gated = getattr(arch, "model", "") == "gated-relu"
    kind_units = "gated" if gated else family
    units = _direction_units(net, kind_units, program)
    extra = [u["angle"] for u in units]
    wd = None if not worst else worst.get("direction")
    if wd is not None and len(wd) >= 2:  # the oracle's unit: in-plane part of its direction (or of (w, b) in 1-D)
        extra.append(float(np.arctan2(wd[1], wd[0])))
    if family == "arrangement":  # the boundaries between activation patterns of 2-column inputs, and the middles
        Xb2 = np.hstack([X, np.ones((X.shape[0], 1))]) if X.shape[1] == 1 else X
        if Xb2.shape[1] == 2:
            edges = np.sort(np.mod(np.concatenate([np.arctan2(Xb2[:, 1], Xb2[:, 0]) + s * np.pi / 2
                                                   for s in (-1.0, 1.0)]) + np.pi, 2 * np.pi) - np.pi)
            mids = 0.5 * (edges + np.roll(edges, -1) + np.where(np.arange(edges.size) == edges.size - 1, 2 * np.pi, 0))
            extra += list(edges) + list(np.mod(mids + np.pi, 2 * np.pi) - np.pi)
    theta = _angles(resolution, extra)
    U = np.column_stack([np.cos(theta), np.sin(theta)])
    if family == "arrangement":
        Xb = np.hstack([X, np.ones((X.shape[0], 1))]) if program.bias == "penalized" else X
        penalized_2d = Xb.shape[1] == 3
        if gated:
            act_name = "gated relu"
            if penalized_2d:
                g = _gated_sup_over_bias(U @ X.T, X, lam)
                desc = ("max over the gate's bias of ||Xb^T D lambda||, D = 1[gate . xb >= 0], by the in-plane "
                        "direction of the gate (unit gates (g, c) on the sphere of R^3)")
            else:
                D = (Xb @ U.T >= 0).astype(np.float64)  # (n, T)
                g = np.linalg.norm((D * lam[:, None]).T @ Xb, axis=1)
                desc = "||Xb^T D(u) lambda|| over gate directions u, D(u) = 1[Xb u >= 0]"
        else:
            act = arch.act
            act_name = act.name
            if penalized_2d:
                pos, neg = _relu_type(act)
                g = _sup_over_bias(U @ X.T, lam, pos, neg)
                desc = (f"max over the bias of |lambda^T {act_name}(w . x + b)| over unit (w, b) in R^3, by the "
                        "direction of w in the plane")
            else:
                g = np.abs(act(Xb @ U.T).T @ lam)
                what = "(w, b)" if X.shape[1] == 1 else "w"
                desc = f"|lambda^T {act_name}(Xb u)| over unit directions u = {what}"
        for u in units:
            if gated:
                gate, w = np.asarray(u["gate"]), np.asarray(u["weights"])
                Dg = (Xb @ gate >= 0).astype(np.float64)
                u["value"] = float(np.linalg.norm(Xb.T @ (Dg * lam)))
            else:
                v = np.concatenate([u["w"], [u["b"]]]) if program.bias == "penalized" else np.asarray(u["w"])
                v = v / (np.linalg.norm(v) or 1.0)
                u["value"] = float(abs(lam @ arch.act(Xb @ v)))
    elif family == "wedge":
        Ul1 = U / np.abs(U).sum(axis=1, keepdims=True)
        g = np.empty(theta.size)
        for i, u in enumerate(Ul1):
            t = X @ u
            g[i] = float(np.max(np.abs(np.abs(t[None, :] - t[:, None]) @ lam)))
        desc = "max over the offset b of |lambda^T |x . u - b||, u = direction / ||direction||_1"
        for u in units:
            w = np.asarray(u["w"])
            s = np.abs(w).sum() or 1.0
            u["value"] = float(abs(lam @ np.abs(X @ (w / s) + u["b"] / s)))
    else:  # deep-abs
        norm = getattr(arch, "inner_norm", "l2")
        scale = np.abs(U).sum(axis=1) if norm == "l1" else np.linalg.norm(U, axis=1)
        g = np.empty(theta.size)
        for i in range(theta.size):
            t = X @ (U[i] / scale[i])
            a1, a2 = _abs_chain_vertices(t)
            g[i] = float(np.max(np.abs(np.abs(np.abs(t[None, :] - a1[:, None]) - a2[:, None]) @ lam)))
        desc = (f"max over (a1, a2) of |lambda^T ||x . v - a1| - a2|| over unit directions v (||v||_{norm[1]} = 1)")
        for u in units:
            w = np.asarray(u["w"])
            s = (np.abs(w).sum() if norm == "l1" else np.linalg.norm(w)) or 1.0
            w2 = u.get("w2", 1.0) or 1.0
            a1, a2 = -u["b"] / s, -u.get("b2", 0.0) / (w2 * s)
            u["value"] = float(abs(lam @ np.abs(np.abs(X @ (w / s) - a1) - a2)))
    sup = max([float(np.max(g))] + [u["value"] for u in units])
    return DualPicture("directions", desc + f"; feasible inside the circle of radius 1 (= {band:g})", band, sup,
                       theta, {"value": g}, units)


# -- drawing
def _draw(picture: DualPicture, ax, title, path) -> None:
    plt = _pyplot()
    polar = picture.kind == "directions"
    own = ax is None
    if own:
        fig = plt.figure(figsize=(7, 6.5) if polar else (10, 4.5))
        ax = fig.add_subplot(projection="polar" if polar else None)
    elif polar and getattr(ax, "name", "") != "polar":
        raise InvalidParameterError(
            "this dual picture is a polar plot over unit directions; pass a polar axes "
            "(fig.add_subplot(projection='polar')) or no ax."
        )
    fig = ax.figure
    {"breakpoints": _draw_breakpoints, "bias-free": _draw_bias_free, "ramps": _draw_ramps,
     "chain-plane": _draw_chain_plane, "directions": _draw_directions}[picture.kind](ax, picture, not own)
    if title is None:  # what is drawn, its max against the bound, and the certificate's verdict
        title = (f"dual constraint, bound {picture.band:g}: max = {picture.sup / picture.band:.6g} x bound; "
                 f"{picture.verdict}\n" + _wrap(picture.description))
    ax.set_title(title, fontsize=9)
    if path is not None:
        if own:
            picture.path = _save(fig, path)
        else:
            path = check_figure_path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=120, bbox_inches="tight")
            picture.path = path
    elif own:
        fig.tight_layout()
        picture.figure = fig
    else:
        picture.figure = fig


def _wrap(text: str, width: int = 100) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _band(ax, lo, hi):
    ax.axhspan(lo, hi, color="0.9", label="bound of the dual constraint", zorder=0)
    ax.axhline(lo, color="0.5", lw=0.8)
    ax.axhline(hi, color="0.5", lw=0.8)


def _draw_breakpoints(ax, p: DualPicture, below: bool = False) -> None:
    _band(ax, -p.band, p.band)
    styles = [{"color": "C0"}, {"color": "C1", "ls": "--"}]
    for (label, F), style in zip(p.values.items(), styles):
        ax.plot(p.grid, F, label=label, **style)
    drawn = [u for u in p.units if u["drawn"]]
    if drawn:
        c = [u["breakpoint"] for u in drawn]
        v = [u["value"] for u in drawn]
        colours = ["C0" if u["curve"] == 0 else "C1" for u in drawn]
        ax.scatter(c, v, color=colours, edgecolor="k", zorder=3, label="units of the net (breakpoint, value)")
    if len(drawn) < len(p.units):
        ax.plot([], [], " ", label=f"{len(p.units) - len(drawn)} units with a breakpoint off the plot (affine on "
                                   "the data)")
    ax.set_xlim(float(p.grid[0]), float(p.grid[-1]))
    ax.set_xlabel("breakpoint c")
    ax.set_ylabel("lambda^T sigma(s (x - c))")
    _legend_outside(ax, below=below)


def _draw_bias_free(ax, p: DualPicture, below: bool = False) -> None:
    _band(ax, -p.band, p.band)
    labels = list(p.values)
    ax.bar(range(len(labels)), [p.values[k][0] for k in labels], color=["C0", "C1"], label="lambda^T sigma(s x)")
    ax.set_xticks(range(len(labels)), labels)
    _legend_outside(ax, below=below)


def _draw_ramps(ax, p: DualPicture, below: bool = False) -> None:
    F = next(iter(p.values.values()))
    lo = float(F.min())
    _band(ax, lo, lo + p.band)
    ax.plot(p.grid, F, color="C0", label=next(iter(p.values)))
    for i, u in enumerate(p.units):
        (a, b), Fa, Fb = u["ramp"], u["F_a"], u["F_b"]
        ax.plot([a, b], [Fa, Fb], color="C3", lw=1.0, marker="o", mec="k",
                label="ramp units of the net: (a, F(a)) to (b, F(b))" if i == 0 else None)
    ax.set_xlim(float(p.grid[0]), float(p.grid[-1]))
    ax.set_xlabel("c")
    ax.set_ylabel("F(c)")
    _legend_outside(ax, below=below)


def _draw_chain_plane(ax, p: DualPicture, below: bool = False) -> None:
    import matplotlib

    H = p.values["value"] / p.band
    cmap = matplotlib.colormaps["viridis"].with_extremes(over="red")
    cs = ax.contourf(p.grid, p.values["a2"], H, levels=np.linspace(0.0, 1.0, 21), cmap=cmap, extend="max")
    ax.figure.colorbar(cs, ax=ax, label="|lambda^T ||x - a1| - a2|| / bound (red: above the bound)")
    if p.units:
        ax.scatter([u["a1"] for u in p.units], [u["a2"] for u in p.units], color="white", edgecolor="k", zorder=3,
                   label="units of the net (a1, a2)")
    ax.set_xlabel("a1")
    ax.set_ylabel("a2")
    if p.units:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)


def _draw_directions(ax, p: DualPicture, below: bool = False) -> None:
    r = p.values["value"] / p.band
    top = max(1.2, float(np.max(r)) * 1.08, *[u["value"] / p.band * 1.08 for u in p.units])
    circle = np.linspace(-np.pi, np.pi, 361)
    ax.fill_between(circle, 0.0, 1.0, color="0.9", label="bound (radius 1)", zorder=0)
    ax.plot(circle, np.ones_like(circle), color="0.4", lw=1.0)
    ax.plot(p.grid, r, color="C0", lw=1.4, label="value / bound")
    if p.units:
        ax.scatter([u["angle"] for u in p.units], [u["value"] / p.band for u in p.units], color="C3",
                   edgecolor="k", zorder=3, label="units of the net")
    ax.set_ylim(0.0, top)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.05, 1.0), frameon=False)


__all__ = ["DualPicture", "check_figure_path", "fit_figure", "fit_figure_2d", "plot_dual", "plot_fit", "plot_fit_2d"]
