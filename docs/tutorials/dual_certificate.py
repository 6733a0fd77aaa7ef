# %% [markdown]
# # The dual certificate, seen
#
# A two-layer ReLU net on 1-D data, $f(x) = \sum_i \alpha_i (w_i x + b_i)_+ + \xi$, trained with weight decay
# $\tfrac{\beta}{2}\sum_i (w_i^2 + \alpha_i^2)$, has a convex dual with one constraint per possible unit:
#
# $$\max_{\lambda}\ \lambda^\top y - \tfrac12\|\lambda\|^2 \quad\text{s.t.}\quad \mathbf 1^\top\lambda = 0,\qquad
# \bigl|\lambda^\top (s(x - c))_+\bigr| \le \beta \ \text{ for every breakpoint } c \text{ and orientation } s = \pm 1 .$$
#
# So a dual point $\lambda$ is a curve over the breakpoint axis: $F_s(c) = \sum_k \lambda_k (s(x_k - c))_+$, one curve
# per orientation. It is feasible when both curves stay inside the band $[-\beta, \beta]$, and then
# $D(\lambda) = \lambda^\top y - \tfrac12\|\lambda\|^2$ is a lower bound on the training objective of **every** net,
# of any width. At the optimum $\lambda$ is the residual $y - f(x)$, the curves touch the band exactly at the units
# the optimal net uses, with the sign of their outer weight. This tutorial draws that picture, then the same picture
# for a net trained by Adam, whose residual pokes through the band.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt
import numpy as np
import torch

import cvxnn

OUT = Path(os.environ.get("CVXNN_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="cvxnn-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)

rng = np.random.default_rng(0)
x = np.sort(rng.uniform(-2, 2, 12))
y = np.sin(2 * x) + 0.1 * rng.normal(size=12)
beta = 0.05

# %% [markdown]
# ## The certified optimum
#
# `cvxnn.train` solves the equivalent Lasso over the breakpoints at the data points, rebuilds the net and checks
# the certificate.

# %%
trained = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=beta)
cert = trained.certificate
net = trained.network
print(f"objective      {cert.objective:.10f}")
print(f"lower bound    {cert.lower_bound:.10f}")
print(f"certified gap  {cert.certified_gap:.2e}   globally optimal: {cert.globally_optimal}")
print(f"active units   {net.width}")

# %% [markdown]
# The dual vector comes from the solver (the multiplier of the data constraint). With a free output bias it must sum
# to zero, so it is centred. We compute the two curves $F_{\pm}(c)$ ourselves, with numpy, on a fine grid of
# breakpoints, and read the units of the net: unit $i$ has breakpoint $c_i = -b_i / w_i$, orientation
# $s_i = \operatorname{sign}(w_i)$ and outer sign $\operatorname{sign}(\alpha_i)$.

# %%
def dual_curves(lam, x, grid):
    """F_s(c) = sum_k lam_k relu(s (x_k - c)) for s = +1 and s = -1, at every c of the grid."""
    plus = np.maximum(x[:, None] - grid[None, :], 0.0).T @ lam
    minus = np.maximum(grid[None, :] - x[:, None], 0.0).T @ lam
    return plus, minus


def units_of(net):
    """(breakpoint, orientation, outer sign) of each hidden unit of a two-layer net on 1-D data."""
    w = net.layers[0].weight[:, 0]
    b = net.layers[0].bias
    alpha = net.layers[1].weight[0]
    keep = (w != 0) & (alpha != 0)
    return -b[keep] / w[keep], np.sign(w[keep]), np.sign(alpha[keep])


lam = trained.result.dual - trained.result.dual.mean()
grid = np.linspace(x.min() - 0.5, x.max() + 0.5, 2001)
F_plus, F_minus = dual_curves(lam, x, grid)
print(f"max |F| / beta on the grid: {max(np.abs(F_plus).max(), np.abs(F_minus).max()) / beta:.9f}")
print(f"the certificate's dual violation (exact oracle): {cert.dual_violation:.9f}")

c, s, sign_alpha = units_of(net)
F_at_units = np.where(s > 0, *dual_curves(lam, x, c))
print(f"lambda^T x = {lam @ x:.3e}")
assert np.allclose(F_at_units, beta * sign_alpha, rtol=1e-6)  # every unit touches the band, on its outer sign
for ci, si, ai, Fi in zip(c, s, sign_alpha, F_at_units):
    print(f"unit: breakpoint {ci:+.4f}, orientation {si:+.0f}, outer sign {ai:+.0f}:  F / beta = {Fi / beta:+.9f}")

# %% [markdown]
# Every active unit sits where its curve touches the band, on the side of its outer sign: that is the
# complementary slackness of the Lasso, $A_j^\top\lambda = \beta\,\operatorname{sign}(z_j)$ for $z_j \ne 0$.
#
# The two curves differ by a constant: $F_+(c) - F_-(c) = \lambda^\top (x - c\mathbf 1) = \lambda^\top x$, because
# $\mathbf 1^\top \lambda = 0$. (On this instance $\lambda^\top x$ is printed below; when it is 0 the curves
# coincide.) Outside the data range both are constant: 0 on one side, $\pm\lambda^\top x$ on the other.

# %% [markdown]
# `trained.plot_dual()` draws this picture: the curves over a grid of breakpoints covering the data, the band, and
# the units of the net where they sit. It returns what it drew, so the picture can be checked too: its largest value
# is the certificate's sup over **all** units (on 1-D data the grid contains the data points, where the sup is
# attained).

# %%
picture = trained.plot_dual(OUT / "dual_optimum.png")
print(picture.summary())
assert abs(picture.sup - cert.dual_violation * beta) <= 1e-12 * beta
assert np.allclose(sorted(u["breakpoint"] for u in picture.units), sorted(c))

# %% [markdown]
# ## A net trained by Adam
#
# Now the same architecture in PyTorch, float64, 20 hidden units, the same objective, 3,000 Adam steps from a random
# start. Its residual $y - f(x)$, centred, is also a dual point; we draw its curves.

# %%
torch.manual_seed(0)
torch_net = torch.nn.Sequential(torch.nn.Linear(1, 20), torch.nn.ReLU(), torch.nn.Linear(20, 1)).double()
X_t = torch.tensor(x[:, None])
y_t = torch.tensor(y)
optimizer = torch.optim.Adam(torch_net.parameters(), lr=1e-2)
for step in range(3000):
    optimizer.zero_grad()
    f = torch_net(X_t)[:, 0]
    weights = torch_net[0].weight.pow(2).sum() + torch_net[2].weight.pow(2).sum()
    loss = 0.5 * (f - y_t).pow(2).sum() + 0.5 * beta * weights
    loss.backward()
    optimizer.step()

# %% [markdown]
# `cvxnn.certify_network` certifies a net trained anywhere, under the conventions we name (here free biases: inner
# biases and output bias unpenalised). Its lower bound comes from a dual point built from the net itself (its
# residual, or the dual of the Lasso restricted to the net's own units, whichever bounds higher), scaled into
# feasibility.

# %%
adam_net = cvxnn.Network.from_torch(torch_net, net.penalty)  # the same net as a cvxnn Network
adam_cert = cvxnn.certify_network(torch_net, x, y, beta, bias="free")
print(f"Adam net objective          {adam_cert.objective:.10f}")
print(f"certified lower bound       {adam_cert.lower_bound:.10f}  (dual point: {adam_cert.certificate.dual_source})")
print(f"certified gap               {adam_cert.gap:.3e}  ({100 * adam_cert.relative_gap:.3f}% of the objective)")
print(f"true gap to the optimum     {adam_cert.objective - cert.objective:.3e}")
print(f"globally optimal            {adam_cert.certificate.globally_optimal}")

residual = y - adam_net.predict(x)
lam_adam = residual - residual.mean()
F_plus, F_minus = dual_curves(lam_adam, x, grid)
M = max(np.abs(F_plus).max(), np.abs(F_minus).max())
print(f"residual curves: max |F| / beta = {M / beta:.4f} on the grid")
assert M > beta  # the residual of the Adam net is not dual feasible

# %% [markdown]
# The residual pokes out of the band. It is still a valid dual point once it is scaled by
# $t = \min(\lambda^\top y / \|\lambda\|^2,\ \beta / M)$, where $M$ is the largest $|F|$ over **all** units (on 1-D
# data the sup is attained at breakpoints on data points, so the grid's value is $M$ itself up to rounding). Weak
# duality then gives a lower bound on every net, computed here by hand:

# %%
M_exact = max(np.abs(np.concatenate(dual_curves(lam_adam, x, x))))
t = min(lam_adam @ y / (lam_adam @ lam_adam), beta / M_exact)
D = t * (lam_adam @ y) - 0.5 * t**2 * (lam_adam @ lam_adam)
print(f"scale t = {t:.6f}, D(t lambda) = {D:.10f}")
print(f"every net's objective is >= {D:.10f}; the optimum is {cert.objective:.10f}")
assert D <= cert.objective + 1e-9 and adam_cert.lower_bound >= D - 1e-9

fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
trained.plot_dual(ax=axes[0], title="certified optimum")
adam_picture = trained.plot_dual(ax=axes[1], dual=lam_adam, network=adam_net,
                                 title=f"Adam: the residual leaves the band (max |F| = {M / beta:.2f} beta)")
assert not adam_picture.feasible and abs(adam_picture.sup - M_exact) <= 1e-9 * M_exact
fig.tight_layout()
fig.savefig(OUT / "dual_adam.png", dpi=110)
plt.close(fig)
print(f"figures written to {OUT}")

# %% [markdown]
# What to take away:
#
# - the certificate is a picture you can check: curves inside the band, touching it at the units;
# - a net that is not optimal gives a residual outside the band; scaling it back in gives a weaker, but still valid,
#   lower bound, and the distance between the net's objective and that bound is its **certified gap**, which is
#   never smaller than its true gap to the optimum;
# - `cvxnn.certify_network(..., polish=True)` would also solve the convex program and return the optimal net.
