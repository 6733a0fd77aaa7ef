# %% [markdown]
# # Any dimension: arrangements, patterns and pattern generation
#
# In $d \ge 2$ dimensions a ReLU unit $\alpha\,(u^\top x + b)_+$ no longer has a breakpoint on a line but a
# hyperplane $\{x : u^\top x + b = 0\}$, and what matters for the training data is only **which points are on its
# positive side**: the activation pattern $D = \operatorname{diag}(\mathbf 1[X_b g \ge 0])$, with
# $X_b = [X, \mathbf 1]$ and $g = (u, b)$. There are finitely many patterns, one per region of the hyperplane
# arrangement $\{g : [x_i, 1]^\top g = 0\}$ in weight space, and on each region the unit's features are linear in
# $g$. That turns training (with the bias penalised as part of $g$) into a convex group Lasso with one pair of
# cone-constrained blocks per pattern:
#
# $$\min_{v_i, w_i}\ \tfrac12\Bigl\|\sum_i D_i X_b (v_i - w_i) - y\Bigr\|^2 + \beta \sum_i \bigl(\|v_i\|_2 + \|w_i\|_2\bigr)
# \quad\text{s.t.}\quad (2D_i - I) X_b v_i \ge 0,\ (2D_i - I) X_b w_i \ge 0 .$$

# %%
import os
import tempfile
from math import comb
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt
import numpy as np

import cvxnn

OUT = Path(os.environ.get("CVXNN_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="cvxnn-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)

rng = np.random.default_rng(1)
X = rng.normal(size=(14, 2))
y = np.sin(X[:, 0]) + X[:, 1] ** 2 - 0.5
beta = 0.01

# %% [markdown]
# ## How many patterns?
#
# $n$ hyperplanes through the origin of $\mathbb R^r$ in general position cut it into exactly
# $2\sum_{k=0}^{r-1}\binom{n-1}{k}$ regions (Cover 1965). Here $r = d + 1 = 3$ (the bias column), so the count grows
# like $n^2$, not $2^n$. We also look for patterns the naive way, with random weight vectors: that finds only some of
# them.

# %%
n, r = X.shape[0], X.shape[1] + 1
formula = 2 * sum(comb(n - 1, k) for k in range(r))
Xb = np.hstack([X, np.ones((n, 1))])
G = np.random.default_rng(0).normal(size=(3, 20_000))
sampled = {tuple(col) for col in (Xb @ G >= 0).T}
print(f"count formula: {formula} patterns; 20,000 Gaussian weight vectors found {len(sampled)}")

trained = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=beta)
summary = trained.program.summary()
assert summary["n_patterns"] == formula  # these points are in general position
for key in ("bias_convention", "n_patterns", "patterns_mode", "patterns_include_zero", "program", "scope"):
    print(f"  {key:22s} {summary[key]}")
print(f"objective {trained.certificate.objective:.10f}, certified gap {trained.certificate.certified_gap:.1e}, "
      f"globally optimal: {trained.globally_optimal}, {trained.network.width} units")

# %% [markdown]
# cvxnn enumerates the regions exactly (every pattern, the all-zero one included: with a bias column it is always a
# region) and checks the count against a budget (`max_patterns`) before it enumerates anything.
#
# ## The dual oracle
#
# The dual constraint says $|\lambda^\top (X_b g)_+| \le \beta$ for **every** unit with $\|g\|_2 \le 1$. On one
# region the unit's feature is $D_i X_b g$, so the largest value there is
# $\max_{g \in K_i,\ \|g\| \le 1} c_i^\top g$ with $c_i = X_b^\top D_i \lambda$ and the cone
# $K_i = \{g : (2D_i - I) X_b g \ge 0\}$; by conic duality that equals
# $\min_{\mu \ge 0}\|c_i + ((2D_i - I)X_b)^\top \mu\|_2$, a non-negative least-squares problem. One NNLS per pattern
# and sign covers every unit: the certificate is global.

# %%
cert = trained.certificate
print(f"dual sup / beta = {cert.dual_violation:.10f} (oracle: NNLS over every pattern)")
print(f"the maximising unit: {cert.worst_unit}")

# %% [markdown]
# ## The optimal net, drawn
#
# Each hidden unit is a line in the plane (the hyperplane $u^\top x + b = 0$); the data points on its positive side
# make its pattern.

# %%
net = trained.network
U, b = net.layers[0].weight, net.layers[0].bias
alpha = net.layers[1].weight[0]
lo, hi = X.min(0) - 0.5, X.max(0) + 0.5
g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
F = net.predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
fig, ax = plt.subplots(figsize=(6, 5))
cs = ax.contourf(g1, g2, F, levels=20, cmap="viridis")
fig.colorbar(cs, ax=ax, label="f(x)")
ax.scatter(X[:, 0], X[:, 1], c=y, cmap="viridis", edgecolor="w", s=50)
t = np.linspace(-10, 10, 2)
for j in range(len(b)):
    # points x0 + t * (u rotated by 90 degrees), x0 = -b u / |u|^2 on the line
    x0 = -b[j] * U[j] / (U[j] @ U[j])
    direction = np.array([-U[j, 1], U[j, 0]])
    line = x0[None, :] + t[:, None] * direction[None, :]
    ax.plot(line[:, 0], line[:, 1], "w--" if alpha[j] > 0 else "r--", lw=1)
ax.set_xlim(lo[0], hi[0])
ax.set_ylim(lo[1], hi[1])
ax.set_title(f"{net.width} ReLU units (white: alpha > 0, red: alpha < 0)")
fig.tight_layout()
fig.savefig(OUT / "arrangement_fit.png", dpi=110)
plt.close(fig)

# %% [markdown]
# ## Pattern generation
#
# The program has one block pair per pattern, which is large for larger $n$ or $d$. **Pattern generation** solves it
# on a small working set of patterns, prices all the others with the exact oracle at the solver's dual, adds the most
# violated ones and repeats until none is violated. The restricted solutions are feasible for the full program and
# the last oracle call covers every pattern, so the certificate is still global. (cvxnn switches to it by itself
# above a size threshold; here we ask for it.)

# %%
generated = cvxnn.train(X, y, cvxnn.TwoLayer("relu", column_generation=True), beta=beta)
gs = generated.program.summary()
print(f"{gs['program']} over {gs['n_patterns']} patterns, scope {gs['scope']}")
for rnd in gs["column_generation"]["rounds"]:
    print(f"  round {rnd['round']}: {rnd['working_set']:3d} patterns, objective {rnd['objective']:.8f}, "
          f"max violation {rnd['max_violation']:.6f}, added {rnd['added']}")
print(f"same optimum as the full program: difference {generated.certificate.objective - trained.certificate.objective:.1e}")

# %% [markdown]
# ## Sampled patterns: an upper bound, not a certificate
#
# Sampling patterns instead of enumerating them gives a restriction of the program: its optimum is an upper bound on
# the true optimum, and the oracle only covers the sampled patterns. cvxnn says so: the scope is `sampled`, no lower
# bound is claimed, and `cvxnn solve` would exit with code 4 (certified for a restricted scope only).

# %%
few = cvxnn.train(X, y, cvxnn.TwoLayer("relu", patterns="sample", n_samples=30), beta=beta)
c = few.certificate
print(f"{few.program.summary()['n_patterns']} sampled patterns: objective {c.objective:.8f} "
      f"(exact optimum {trained.certificate.objective:.8f})")
assert c.scope == "sampled" and c.lower_bound is None and not c.globally_optimal
print(f"scope {c.scope!r}, certified {c.certified}, globally optimal {c.globally_optimal}, lower bound {c.lower_bound}")
print(f"figure written to {OUT}")
