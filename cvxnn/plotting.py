"""Figures with matplotlib (imported lazily, Agg backend): the fitted function, the data, breakpoints coloured by
kind, and mirror axes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

KIND_COLOURS = {"data": "tab:blue", "reflection": "tab:red", "midpoint": "tab:green",
                "reflection_of_reflection": "tab:purple", "other": "tab:gray"}


def plot_fit(trained, path, title: str | None = None) -> Path:
    """Draw a solved 1-D problem to ``path`` (format from the suffix: png, pdf, svg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prog = trained.program
    x, y = prog.X[:, 0], prog.y
    sym = trained.symmetry()
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
    s = prog.summary()
    cert = trained.certificate
    verdict = "globally optimal" if cert.globally_optimal else ("certified" if cert.certified else "NOT certified")
    ax.set_title(title or f"{s['model']} {s['activation']}, depth {s['depth']}: {trained.network.width} units, "
                 f"{verdict} (gap {cert.certified_gap:.1e})")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
