"""Figures with matplotlib (imported lazily, Agg backend): the fitted function, the data, breakpoints coloured by
kind, and mirror axes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import UnsupportedCombinationError

KIND_COLOURS = {"data": "tab:blue", "reflection": "tab:red", "midpoint": "tab:green",
                "reflection_of_reflection": "tab:purple", "other": "tab:gray"}


def plot_fit(trained, path, title: str | None = None) -> Path:
    """Draw a solved 1-D or 2-D problem to ``path`` (format from the suffix: png, pdf, svg). 2-D inputs: a filled
    contour of the fit, the data coloured by target and (deep-abs) the reflection planes (:func:`plot_fit_2d`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prog = trained.program
    d = prog.X.shape[1]
    if d == 2:
        return plot_fit_2d(trained, path, title)
    if d != 1:
        raise UnsupportedCombinationError(
            f"plot draws 1-D and 2-D inputs; received d = {d}. Use the JSON output (cvxnn solve --json) instead."
        )
    x, y = prog.X[:, 0], prog.y
    sym = trained.symmetry()
    if sym is not None and "planes" in sym:  # a deep-abs report (cvxnn.symmetry_nd) on 1-D data
        return _plot_planes_1d(trained, sym, path, title)
    lo, hi = float(x.min()), float(x.max())
    pad = 0.1 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, 2000)
    fit = trained.network.predict(grid.reshape(-1, 1))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(grid, fit, color="black", lw=1.5, label="fitted network")
    ax.scatter(x, y, color="tab:orange", zorder=3, label="data")
    seen = set()
    for feat in sym["features"]:
        for bp in feat["breakpoints"]:
            kind = bp["kind"]
            label = f"breakpoint: {kind}" if kind not in seen else None
            seen.add(kind)
            ax.axvline(bp["x"], color=KIND_COLOURS.get(kind, "gray"), lw=0.8, alpha=0.7, label=label)
    for w in sym["windows"]:
        if w["half_width"] > 0 and w["level"] == 1:
            ax.axvline(w["centre"], color="black", ls=":", lw=1.0, alpha=0.6)
    ax.set_title(title or _title(trained))
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize=8, loc="best")
    return _save(fig, path)


def _title(trained) -> str:
    s = trained.program.summary()
    cert = trained.certificate
    verdict = "globally optimal" if cert.globally_optimal else ("certified" if cert.certified else "NOT certified")
    return (f"{s['model']} {s['activation']}, depth {s['depth']}: {trained.network.width} units, "
            f"{verdict} (gap {cert.certified_gap:.1e})")


def _save(fig, path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_planes_1d(trained, sym, path, title) -> Path:
    """1-D deep-abs fit: the planes of :func:`cvxnn.symmetry_nd.symmetry_report` are points x = offset / normal."""
    import matplotlib.pyplot as plt

    prog = trained.program
    x, y = prog.X[:, 0], prog.y
    lo, hi = float(x.min()), float(x.max())
    pad = 0.1 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, 2000)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(grid, trained.network.predict(grid.reshape(-1, 1)), color="black", lw=1.5, label="fitted network")
    ax.scatter(x, y, color="tab:orange", zorder=3, label="data")
    seen = set()
    for p in sym["planes"]:
        centre = p["offset"] / p["normal"][0]
        if not grid[0] <= centre <= grid[-1]:
            continue
        key = (p["kind"], p["level"])
        ax.axvline(centre, color=KIND_COLOURS.get(p["kind"], "gray"), lw=0.9, alpha=0.7,
                   ls="-" if p["level"] == 1 else "--",
                   label=f"level {p['level']} centre: {p['kind']}" if key not in seen else None)
        seen.add(key)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_title(title or _title(trained))
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize=8, loc="best")
    return _save(fig, path)


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
    """2-D inputs: filled contour of the fitted function over the data box enlarged by 10%, the training points
    coloured by target, and the reflection planes of the symmetry report (deep-abs) as lines: level 1 solid,
    level 2 dashed, coloured by kind."""
    import matplotlib.pyplot as plt

    prog = trained.program
    X, y = np.asarray(prog.X, dtype=np.float64), np.asarray(prog.y, dtype=np.float64)
    lo, hi = X.min(axis=0), X.max(axis=0)
    w = np.where(hi - lo > 0, hi - lo, 1.0)
    lo, hi = lo - 0.1 * w, hi + 0.1 * w
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    F = np.asarray(trained.network.predict(np.column_stack([g1.ravel(), g2.ravel()])), dtype=np.float64)
    F = F.reshape(g1.shape)
    vmin, vmax = min(float(F.min()), float(y.min())), max(float(F.max()), float(y.max()))
    fig, ax = plt.subplots(figsize=(7.5, 6))
    cs = ax.contourf(g1, g2, F, levels=30, cmap="viridis", vmin=vmin, vmax=vmax)
    fig.colorbar(cs, ax=ax, label="f(x)")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="viridis", vmin=vmin, vmax=vmax, edgecolors="white", linewidths=1.2,
               s=55, zorder=4, label="data (colour: target)")
    sym = trained.symmetry()
    seen = set()
    for p in (sym or {}).get("planes", []):
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
    return _save(fig, path)
