# %% [markdown]
# # Why gradient descent gets stuck, and how the certificate knows
#
# Training a net with weight decay is non-convex: gradient methods can stop at stationary points or slow plateaus
# whose objective is above the global optimum. On a small 1-D problem we train the same architecture from 30 random
# starts with PyTorch and put every start next to the certified optimum. Then we ask the certificate, which never
# sees the optimum, how far each start can be from it.
#
# The architecture is a sum of depth-3 absolute-value chains, `cvxnn.Deep1D(3, "abs")`:
# $f(x) = \sum_i \alpha_i \bigl|w_{2,i} |w_{1,i} x + b_{1,i}| + b_{2,i}\bigr| + \xi$, with penalty
# $\tfrac{\beta}{3}\sum_i (|\alpha_i|^3 + |w_{1,i}|^3 + |w_{2,i}|^3)$ and free biases.

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

rng = np.random.default_rng(3)
x = np.sort(rng.uniform(-2, 2, 10))
y = np.sin(2 * x) + 0.1 * rng.normal(size=10)
beta = 0.01

trained = cvxnn.train(x, y, cvxnn.Deep1D(3, "abs"), beta=beta)
optimum = trained.certificate.objective
print(f"certified optimum {optimum:.10f} with {trained.network.width} chains "
      f"(globally optimal: {trained.globally_optimal}, certified gap {trained.certificate.certified_gap:.1e})")

# %% [markdown]
# ## Thirty starts in PyTorch
#
# All starts are trained at once: each parameter has a leading start axis, and the loss we minimise is the sum of
# the per-start objectives, so every start follows its own gradient. Float64, 10 chains per start, Adam with a
# cosine-decayed step size, then L-BFGS on the same objective.

# %%
S, m = 30, 10
gen = torch.Generator().manual_seed(0)


def param(scale=1.0):
    return (torch.randn(S, m, 1, generator=gen, dtype=torch.float64) * scale).requires_grad_()


W1, B1, W2, B2, A = param(), param(), param(), param(), param(0.5)
XI = torch.zeros(S, 1, dtype=torch.float64, requires_grad=True)
params = [W1, B1, W2, B2, A, XI]
X_t, y_t = torch.tensor(x)[None, None, :], torch.tensor(y)


def objectives():
    """Per-start objective: (1/2)||f(x) - y||^2 + (beta/3) sum(|alpha|^3 + |w1|^3 + |w2|^3)."""
    h = torch.abs(W2 * torch.abs(W1 * X_t + B1) + B2)  # (S, m, n): every chain of every start
    f = (A * h).sum(1) + XI  # (S, n)
    penalty = (A.abs() ** 3 + W1.abs() ** 3 + W2.abs() ** 3).sum((1, 2))
    return 0.5 * ((f - y_t) ** 2).sum(1) + beta / 3 * penalty


adam = torch.optim.Adam(params, lr=1e-2)
schedule = torch.optim.lr_scheduler.CosineAnnealingLR(adam, 2500, eta_min=1e-4)
for step in range(2500):
    adam.zero_grad()
    objectives().sum().backward()
    adam.step()
    schedule.step()
after_adam = objectives().detach().numpy()

lbfgs = torch.optim.LBFGS(params, lr=1, max_iter=500, history_size=50, line_search_fn="strong_wolfe",
                          tolerance_grad=1e-12, tolerance_change=1e-15)


def closure():
    lbfgs.zero_grad()
    total = objectives().sum()
    total.backward()
    return total


lbfgs.step(closure)
final = objectives().detach().numpy()
excess = (final - optimum) / optimum
print("relative excess over the certified optimum, sorted:")
print(np.array2string(np.sort(excess), precision=4, max_line_width=110))
assert final.min() >= optimum * (1 - 1e-9)  # no start beats the certified optimum
print(f"best start {excess.min():.2%} above the optimum; {np.sum(excess < 1e-6)} of {S} starts reach it "
      "to 1e-6")

# %% [markdown]
# The final objectives are not spread at random: many starts stop at nearly the same value, a **plateau** (a
# stationary point, or a very flat region, shared by many starts). We group them: a new plateau starts when a value
# is more than 1% above the lowest value of the current one.

# %%
def plateaus(values, rtol=0.01):
    groups = []
    for v in np.sort(values):
        if groups and v <= groups[-1][0] * (1 + rtol):
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


for g in plateaus(final):
    print(f"  {len(g):2d} starts at {g[0]:.6f}  ({(g[0] - optimum) / optimum:+.2%} vs the optimum)")

# %% [markdown]
# ## What the certificate says about each start
#
# Each start is a net of the same architecture: a first layer $x \mapsto |w_1 x + b_1|$ with 10 units, a diagonal
# second layer (10 parallel chains), a linear output layer. `cvxnn.certify_network` certifies it with no knowledge of
# the optimum: it builds a dual point from the net (its residual, or the dual of the Lasso over the net's own
# chains), scales it into feasibility with the exact oracle over **all** depth-3 chains and reports
# objective - lower bound, the certified gap.

# %%
def start_network(k):
    w1, b1, w2, b2, a = (p.detach().numpy()[k, :, 0] for p in (W1, B1, W2, B2, A))
    abs_ = cvxnn.Activation("abs")
    layers = [cvxnn.Layer(w1[:, None], b1, abs_), cvxnn.Layer(np.diag(w2), b2, abs_),
              cvxnn.Layer(a[None, :], [XI.detach().numpy()[k, 0]], cvxnn.Activation("identity"))]
    return cvxnn.Network(layers, trained.network.penalty)


certs = [cvxnn.certify_network(start_network(k), x, y, beta, model="deep-1d") for k in range(S)]
objective = np.array([c.objective for c in certs])
lower = np.array([c.lower_bound for c in certs])
gap = objective - lower
print(f"objectives agree with torch's: max difference {np.max(np.abs(objective - final)):.1e}")
print(f"highest lower bound over the starts {lower.max():.10f} <= optimum {optimum:.10f}: {lower.max() <= optimum}")
print(f"certified gap >= true gap for every start: {np.all(gap >= objective - optimum - 1e-12)}")
assert lower.max() <= optimum + 1e-12 and np.all(gap >= objective - optimum - 1e-12)  # weak duality
order = np.argsort(objective)
for k in order[:3].tolist() + order[-2:].tolist():
    print(f"start {k:2d}: objective {objective[k]:.6f}, certified gap {gap[k] / objective[k]:7.2%} "
          f"(true gap {(objective[k] - optimum) / objective[k]:6.2%}), dual point: {certs[k].certificate.dual_source}")

# %% [markdown]
# The certificate separates the starts without knowing the optimum: every lower bound is below every objective
# (weak duality), and a start's certified gap bounds its true distance to the optimum from above. Where the gap is
# small (a fraction of a percent) the start is provably nearly optimal; where it is large the start is either far
# from the optimum or the dual point built from it is poor, and the certificate does not claim more than it
# knows. Polishing (`polish=True`) solves the convex program and returns the certified optimum itself.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
grid = np.linspace(x.min() - 0.3, x.max() + 0.3, 400)
axes[0].plot(x, y, "ko", label="data")
axes[0].plot(grid, trained.network.predict(grid), "k", lw=2, label="certified optimum")
for k, style in ((order[0], "C0--"), (order[len(order) // 2], "C1--"), (order[-1], "C3--")):
    axes[0].plot(grid, start_network(k).predict(grid), style, label=f"start {k}: +{excess[k]:.1%}")
axes[0].legend(fontsize=8)
axes[0].set_title("fits")
rank = np.arange(S)
axes[1].semilogy(rank, np.sort(excess), "o", label="true gap (objective - optimum) / optimum")
axes[1].semilogy(rank, (gap / optimum)[order], "x", label="certified gap / optimum (no optimum needed)")
axes[1].set_xlabel("starts, sorted by objective")
axes[1].legend(fontsize=8)
axes[1].set_title("30 starts against the certificate")
fig.tight_layout()
fig.savefig(OUT / "stuck.png", dpi=110)
plt.close(fig)
print(f"figure written to {OUT}")
