# %% [markdown]
# # Depth and reflections
#
# On 1-D data cvxnn trains sums of narrow chains exactly: `cvxnn.TwoLayer("abs")` (depth 2) and
# `cvxnn.Deep1D(L, "abs")` with units
# $z\,\bigl|\cdots\bigl||x - a_1| - a_2\bigr| \cdots - a_{L-1}\bigr|$. Each extra layer folds the line once more, so a
# unit's kinks are no longer only at data points: they appear at **reflections** of data points about data points,
# at **midpoints**, and, at depth 4, at reflections of those. This tutorial looks at where the kinks of certified
# optima are, and at the function that needs depth most: Yarotsky's sawtooth.

# %%
import os
import tempfile
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt
import numpy as np

import cvxnn

OUT = Path(os.environ.get("CVXNN_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="cvxnn-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)

rng = np.random.default_rng(2)
x = np.sort(rng.uniform(-2, 2, 10))
y = np.sin(2 * x) + 0.1 * rng.normal(size=10)
beta = 0.01

# %% [markdown]
# ## The same data at depths 2, 3 and 4
#
# The penalty of a depth-$L$ chain is $\tfrac{\beta}{L}$ times the sum of $|{\rm weight}|^L$ over its $L$ weights,
# which after rescaling costs $\beta|z|$ per unit at every depth: the objectives are comparable, and a deeper
# dictionary contains the shallower one, so the optimum can only go down with depth.

# %%
fits = {}
for depth in (2, 3, 4):
    arch = cvxnn.TwoLayer("abs") if depth == 2 else cvxnn.Deep1D(depth, "abs")
    fits[depth] = cvxnn.train(x, y, arch, beta=beta)
    t = fits[depth]
    kinds = Counter(bp["kind"] for f in t.symmetry().features for bp in f["breakpoints"])
    print(f"depth {depth}: objective {t.certificate.objective:.6f}, {t.network.width} units, "
          f"{t.program.size} dictionary columns, globally optimal {t.globally_optimal}")
    print(f"          breakpoint kinds of the active units: {dict(kinds)}")

objectives = [fits[d].certificate.objective for d in (2, 3, 4)]
assert objectives[2] <= objectives[1] + 1e-9 <= objectives[0] + 2e-9  # deeper dictionaries contain shallower ones

# %% [markdown]
# `trained.symmetry()` lists, for each active unit, its breakpoints (where the unit has a kink) and names each one by
# the simplest construction from training points that produces it: `data` ($x_j$), `reflection`
# ($2x_j - x_k$, the mirror image of $x_k$ about $x_j$), `midpoint` ($(x_k + x_l)/2$),
# `reflection_of_reflection`, or `other` when none of these matches (at depth 4 some vertices are deeper
# constructions than the classifier names). It also lists each unit's **mirror centres**: a depth-3 unit
# $||x - a_1| - a_2|$ is symmetric about $a_1$ (level 1) and, on each side, about $a_1 \pm a_2$ (level 2).
# The report is a `SymmetryReport1D`: `print(report)` shows it in words, `report.to_dict()` is its JSON, and its
# fields `features` and `windows` hold plain dicts.

# %%
for f in fits[3].symmetry().features[:4]:
    bps = ", ".join(f"{b['x']:+.3f} ({b['kind']})" for b in f["breakpoints"])
    centres = ", ".join(f"{c['x']:+.3f} (level {c['level']})" for c in f["centres"])
    print(f"{f['unit']}\n    breakpoints: {bps}\n    centres:     {centres}")

# %% [markdown]
# A reflection breakpoint is not a coincidence. A unit $z\,||x - a_1| - a_2|$ has kinks at $a_1$ and $a_1 \pm a_2$.
# When $a_1 = x_j$ and $a_2 = |x_k - x_j|$ (a vertex of the dictionary), the kinks are $x_j$, $x_k$ and the mirror
# image $2x_j - x_k$: the unit is forced to bend at a point where there is no data, because it bends at $x_k$ and is
# symmetric about $x_j$.

# %%
colors = {"data": "k", "reflection": "C3", "midpoint": "C2", "reflection_of_reflection": "C4", "other": "C7"}
grid = np.linspace(x.min() - 0.5, x.max() + 0.5, 600)
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
for ax, (depth, t) in zip(axes, fits.items()):
    ax.plot(x, y, "ko", ms=4)
    ax.plot(grid, t.network.predict(grid), "C0")
    seen = set()
    for f in t.symmetry().features:
        for b in f["breakpoints"]:
            label = b["kind"] if b["kind"] not in seen else None
            seen.add(b["kind"])
            ax.axvline(b["x"], color=colors[b["kind"]], lw=0.8, ls=":", label=label)
    ax.set_xlim(grid[0], grid[-1])  # kinks far outside the data are off the plot
    ax.set_title(f"depth {depth}: objective {t.certificate.objective:.5f}")
    ax.legend(fontsize=7, loc="lower left")
fig.tight_layout()
fig.savefig(OUT / "depth_breakpoints.png", dpi=110)
plt.close(fig)

# %% [markdown]
# ## The sawtooth needs one deep unit
#
# Yarotsky's tooth $g(x) = 1 - |2x - 1|$ composed three times, $g_3 = g \circ g \circ g$, is a sawtooth with 4
# teeth. We ask for the **minimum-norm interpolation** of $g_3$ on the grid $k/16$ (the $\beta \to 0$ limit:
# minimise the weight cost subject to an exact fit, an LP certified by LP duality).

# %%
def tooth(t):
    return 1 - np.abs(2 * t - 1)


xs = np.arange(17) / 16
ys = tooth(tooth(tooth(xs)))
saw = {}
for depth in (2, 3, 4):
    arch = cvxnn.TwoLayer("abs") if depth == 2 else cvxnn.Deep1D(depth, "abs")
    saw[depth] = cvxnn.train(xs, ys, arch, mode="interpolation")
    t = saw[depth]
    print(f"depth {depth}: minimum weight cost {t.result.convex_objective:.6f} with {t.network.width} units "
          f"(globally optimal: {t.globally_optimal})")

costs = [saw[d].result.convex_objective for d in (2, 3, 4)]
assert np.allclose(costs, [56, 56 / 3, 8], rtol=1e-7) and saw[4].network.width == 1

# %% [markdown]
# Depth 2 needs 7 units and cost 56; depth 4 needs **one** unit of cost 8: the certified optimum is Yarotsky's
# construction itself, $-8\,\bigl|\,||x - \tfrac12| - \tfrac14| - \tfrac18\bigr| + \xi$, found by the solver, not
# built in. Its mirror centres are the whole dyadic hierarchy: $\tfrac12$ (level 1), $\tfrac14, \tfrac34$
# (level 2), $\tfrac18, \tfrac38, \tfrac58, \tfrac78$ (level 3), and the fitted function is exactly symmetric
# about each of them on its window.

# %%
deep = saw[4]
report = deep.symmetry()
unit = report.features[0]
print(unit["unit"], "coefficient", round(unit["coefficient"], 9))
for w in report.windows:
    print(f"  centre {w['centre']:.4f} (level {w['level']}): symmetric on +-{w['half_width']:.4f}, "
          f"asymmetry {w['asymmetry']:.1e}")

fig, axes = plt.subplots(1, 3, figsize=(14, 3.4), sharey=True)
fine = np.linspace(0, 1, 801)
for ax, (depth, t) in zip(axes, saw.items()):
    ax.plot(xs, ys, "ko", ms=4)
    ax.plot(fine, t.network.predict(fine), "C0")
    ax.set_title(f"depth {depth}: cost {t.result.convex_objective:.2f}, {t.network.width} unit(s)")
for c in deep.symmetry().windows:
    axes[2].axvline(c["centre"], color=f"C{c['level']}", lw=0.8, ls="--")
fig.tight_layout()
fig.savefig(OUT / "sawtooth.png", dpi=110)
plt.close(fig)
print(f"figures written to {OUT}")

# %% [markdown]
# ## ReLU chains are different
#
# Every scalar ReLU chain of depth $\ge 3$ is a **ramp**: flat, then slope $\pm1$ on one interval, then flat. So
# `cvxnn.Deep1D(L, "relu")` has the same dictionary (the $n(n-1)/2$ ramps between data points) and the same optimum
# for every $L \ge 3$: depth beyond 3 adds nothing for this architecture, while for absolute-value chains it keeps
# adding reflections.

# %%
for depth in (2, 3, 4, 5):
    t = cvxnn.train(x, y, cvxnn.TwoLayer("relu") if depth == 2 else cvxnn.Deep1D(depth, "relu"), beta=beta)
    print(f"relu depth {depth}: objective {t.certificate.objective:.8f}, {t.program.size} columns")
print(f"abs  depth 2: objective {fits[2].certificate.objective:.8f}")

# %% [markdown]
# The last line is no accident either. A ramp is half the difference of two absolute values,
# $\operatorname{clip}(x - a, 0, b - a) = 	frac12igl(|x - a| - |x - b| + (b - a)igr)$, so a ramp of weight $z$
# (cost $eta|z|$) is two two-layer abs units of weights $\pm z/2$ (cost $eta|z|$ too) plus a constant. Every
# ReLU-chain net is therefore matched by a two-layer abs net of the same cost: the depth-3 ReLU optimum is never
# below the two-layer abs optimum. It can be above it (an abs unit centred inside the data is not a single ramp),
# and on this instance the two happen to coincide.
