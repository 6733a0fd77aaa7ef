"""Compositional sparsity (Poggio and Fraser 2024, Bull. AMS) in the exact two-layer setting: targets that are sums of
functions of few variables against dense and nested targets, solved exactly with the full arrangement of X in R^4
and with dictionaries restricted to the groups of variables {x1, x2} and {x3, x4}.

The group-restricted program (every hidden unit supported on {x1, x2, 1} or on {x3, x4, 1}) is the cone-constrained
group Lasso over the UNION of the two 2-D arrangements. cvxnn has no public way to build it, so it is built here in
CVXPY (same form as cvxnn's arrangement program) and certified here: the exact oracle of each group's arrangement
(NNLS per pattern) bounds every unit of the restricted architecture, so the scaled dual point gives a lower bound on
the restricted problem (scope: the restricted architecture, not the dense one). The rebuilt restricted net is then
also handed to `cvxnn.certify_network`, whose dense oracle says whether it is a global optimum of the dense problem.

Regenerate: python bench/seed_compositional_sparsity.py  (writes results/seed-compositional-sparsity.md; a few
minutes)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # tiny matrices: one BLAS thread is fastest

import time
from pathlib import Path

import cvxpy as cp
import numpy as np

import cvxnn
from cvxnn.activations import Activation
from cvxnn.arrangements import enumerate_patterns
from cvxnn.models.arrangement import arrangement_dual_sup, merge_units
from cvxnn.network import Layer, Network, Penalty, PenaltyTerm
from cvxnn.prune import active_set, caratheodory_prune

BETA = 1e-3
GROUPS = ([0, 1], [2, 3])
SEEDS = range(3)
N_RESTRICTED = (8, 12, 16, 20, 24, 30)
N_DENSE = (8, 12, 16)  # the dense arrangement has 2 sum_{k<5} C(n-1, k) patterns: 10,072 at n = 20, 55,682 at 30
N_TABLE = 20
ANGLE = 1e-2  # a planted unit is recovered when a unit of the optimum is within this angle (radians) of it
MASS = 0.99  # ... and the matched units carry this share of the path norm
TOL_ABS, TOL_REL = 1e-9, 1e-6
RELU = Activation("relu")


def relu(u):
    return np.maximum(u, 0.0)


TARGETS = {  # name: (function, planted units (w, b) with outer weight +1, or None)
    "additive: r(x1 - x2) + r(x3 + x4)": (lambda X: relu(X[:, 0] - X[:, 1]) + relu(X[:, 2] + X[:, 3]),
                                          [(1, -1, 0, 0, 0), (0, 0, 1, 1, 0)]),
    "dense ridge: r(x1 - x2 + x3 + x4)": (lambda X: relu(X[:, 0] - X[:, 1] + X[:, 2] + X[:, 3]),
                                          [(1, -1, 1, 1, 0)]),
    "nested: r(r(x1 - x2) - r(x3 + x4))": (lambda X: relu(relu(X[:, 0] - X[:, 1]) - relu(X[:, 2] + X[:, 3])),
                                           None),
}


def instance(target: str, n: int, seed: int):
    """X ~ N(0, I_4) (n rows, numpy.random.default_rng(seed)), y = target(X) (noise-free)."""
    X = np.random.default_rng(seed).standard_normal((n, 4))
    return X, TARGETS[target][0](X)


# ------------------------------------------------------------------------------------ restricted program
def _penalty(beta):
    return Penalty(beta, [PenaltyTerm(0, 0.5, 2.0, "entry", True), PenaltyTerm(1, 0.5, 2.0)],
                   "(beta/2) * (sum of squared inner weights and biases + sum of squared outer weights)")


def restricted_solve(X, y, beta=BETA, groups=GROUPS) -> dict:
    """Exact group-restricted two-layer ReLU program (bias penalised, no output bias), solved with Clarabel and
    certified for the restricted architecture. Returns the rebuilt net and its numbers."""
    n, d = X.shape
    parts = []
    for g in groups:
        Xb = np.hstack([X[:, g], np.ones((n, 1))])
        parts.append((list(g), Xb, enumerate_patterns(Xb).patterns))
    fit, cones, penalty, blocks = 0, [], 0, []
    for g, Xb, P in parts:
        D = P.T.astype(float)
        S = 2.0 * D - 1.0
        V, W = cp.Variable((len(P), Xb.shape[1])), cp.Variable((len(P), Xb.shape[1]))
        fit = fit + cp.sum(cp.multiply(D, Xb @ (V - W).T), axis=1)
        cones += [cp.multiply(S, Xb @ V.T) >= 0, cp.multiply(S, Xb @ W.T) >= 0]
        penalty = penalty + cp.sum(cp.norm(V, 2, axis=1)) + cp.sum(cp.norm(W, 2, axis=1))
        blocks.append((g, V, W))
    r = cp.Variable(n)
    data = y - fit - r == 0
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(r) + beta * penalty), [data] + cones)
    t0 = time.perf_counter()
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    wall = time.perf_counter() - t0
    # units embedded in R^(d + 1) (weights on the group's coordinates, then the bias)
    dirs, c, s = [], [], []
    for g, V, W in blocks:
        for B, sign in ((V.value, 1.0), (W.value, -1.0)):
            for row in B:
                u = np.zeros(d + 1)
                u[g], u[d] = row[:-1], row[-1]
                dirs.append(u)
                s.append(sign)
    dirs, s = np.array(dirs), np.array(s)
    c = np.linalg.norm(dirs, axis=1)
    keep = c > 1e-9 * c.max()
    dirs, c, s = merge_units(dirs[keep] / c[keep, None], c[keep], s[keep])
    Xb = np.hstack([X, np.ones((n, 1))])
    H = s[None, :] * relu(Xb @ dirs.T)
    keep = active_set(c, 0.0, H, y, beta)
    dirs, c, s, H = dirs[keep], c[keep], s[keep], H[:, keep]
    c, _ = caratheodory_prune(H, c, 0.0, intercept=False)
    nz = c > 0
    U, alpha = np.sqrt(c[nz])[:, None] * dirs[nz], s[nz] * np.sqrt(c[nz])
    net = Network([Layer(U[:, :d], U[:, d], RELU), Layer(alpha.reshape(1, -1), [0.0], Activation("identity"))],
                  _penalty(beta), {"model": "two-layer", "activation": RELU.to_dict(),
                                   "bias_convention": "penalized", "output_bias": False})
    # certificate for the restricted architecture: exact oracle over each group's arrangement
    lam = np.asarray(data.dual_value, dtype=float).reshape(-1)
    M = max(arrangement_dual_sup(lam, Xb_g, P, RELU)[0] for _, Xb_g, P in parts)
    t = min(float(lam @ y) / float(lam @ lam), beta / M)
    dual = t * float(lam @ y) - 0.5 * t * t * float(lam @ lam)
    obj = float(net.objective(X, y))
    gap = obj - dual
    return {"net": net, "objective": obj, "convex": float(problem.value), "lower": dual, "gap": gap,
            "certified": gap <= TOL_ABS + TOL_REL * abs(obj) and abs(obj - problem.value) <= TOL_ABS + TOL_REL * obj,
            "patterns": sum(len(P) for _, _, P in parts), "wall": wall, "loss": _loss(net, X, y)}


def _loss(net, X, y):
    res = net.predict(X) - y
    return 0.5 * float(res @ res)


def units_within_a_group(net, groups=GROUPS, rtol=1e-6) -> int:
    """Units whose input weights vanish (relative to their largest) outside one group of variables."""
    count = 0
    for w in net.layers[0].weight:
        top = np.max(np.abs(w))
        count += any(np.all(np.abs(np.delete(w, g)) <= rtol * top) for g in groups)
    return int(count)


def dense_solve(X, y, beta=BETA) -> dict:
    t0 = time.perf_counter()
    tr = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=beta)
    wall = time.perf_counter() - t0
    return {"net": tr.network, "objective": tr.certificate.objective, "certified": tr.certificate.globally_optimal,
            "patterns": tr.program.summary()["n_patterns"], "wall": wall, "loss": _loss(tr.network, X, y)}


def recovered(net, planted) -> bool:
    """Every planted unit is matched by a distinct unit of the optimum within ANGLE (weights and bias together, outer
    weight positive), and the matched units carry at least MASS of the path norm sum |alpha| ||u|| (weight decay
    shrinks the planted units a little and leaves a small correcting unit)."""
    if planted is None:
        return False
    U = np.hstack([net.layers[0].weight, net.layers[0].bias[:, None]])
    norms = np.linalg.norm(U, axis=1)
    mass = np.abs(net.layers[1].weight[0]) * norms
    D = U / norms[:, None]
    alpha = net.layers[1].weight[0]
    used, matched = set(), 0.0
    for p in planted:
        p = np.asarray(p, float) / np.linalg.norm(p)
        angles = np.arccos(np.clip(D @ p, -1.0, 1.0))
        angles[list(used)] = np.inf
        k = int(np.argmin(angles))
        if angles[k] > ANGLE or alpha[k] <= 0:
            return False
        used.add(k)
        matched += mass[k]
    return matched >= MASS * mass.sum()


# --------------------------------------------------------------------------------------------------- rows
def value_rows(n=N_TABLE, seed=0):
    rows = []
    for name in TARGETS:
        X, y = instance(name, n, seed)
        dn, rs = dense_solve(X, y), restricted_solve(X, y)
        cross = cvxnn.certify_network(rs["net"], X, y, BETA)
        rows.append({"target": name, "n": n, "dense: objective": f"{dn['objective']:.6g}",
                     "loss": f"{dn['loss']:.3g}", "units": dn["net"].width,
                     "units within one group": units_within_a_group(dn["net"]), "patterns": dn["patterns"],
                     "certified": bool(dn["certified"]),
                     "restricted: objective": f"{rs['objective']:.6g}", "loss ": f"{rs['loss']:.3g}",
                     "units ": rs["net"].width, "patterns ": rs["patterns"], "certified (restricted)": bool(rs["certified"]),
                     "restricted / dense": f"{rs['objective'] / dn['objective']:.4f}",
                     "restricted net is a dense optimum": bool(cross.certificate.globally_optimal),
                     "_dense": dn, "_restricted": rs})
        print({k: v for k, v in rows[-1].items() if not k.startswith("_")}, flush=True)
    return rows


def dense_pattern_count(n: int, r: int = 5) -> int:
    from math import comb

    return 2 * sum(comb(n - 1, k) for k in range(r))


def recovery_rows(seeds=SEEDS):
    rows = []
    ns = sorted(set(N_RESTRICTED) | set(N_DENSE))
    for name, (_, planted) in TARGETS.items():
        if planted is None:
            continue
        programs = [("dense", N_DENSE, dense_solve)]
        if name.startswith("additive"):
            programs.append(("restricted to groups", N_RESTRICTED, restricted_solve))
        for label, grid, solve in programs:
            row = {"target": name, "program": label}
            for n in ns:
                if n not in grid:
                    row[f"n = {n}"] = "-"
                    continue
                hits = 0
                for seed in seeds:
                    X, y = instance(name, n, seed)
                    res = solve(X, y)
                    assert res["certified"], (name, label, n, seed)
                    hits += recovered(res["net"], planted)
                row[f"n = {n}"] = f"{hits}/{len(seeds)}"
            rows.append(row)
            print(row, flush=True)
    rows.append({"target": "patterns, 2 sum_{k<r} C(n-1, k)", "program": "dense (r = 5)", **{f"n = {n}": dense_pattern_count(n)
                                                                         for n in ns}})
    rows.append({"target": "patterns, 2 sum_{k<r} C(n-1, k)", "program": "restricted (2 groups, r = 3)",
                 **{f"n = {n}": 2 * dense_pattern_count(n, 3) for n in ns}})
    return rows


def table(rows_):
    cols = [c for c in dict.fromkeys(k for r in rows_ for k in r) if not c.startswith("_")]
    return "\n".join(["| " + " | ".join(c.strip() for c in cols) + " |", "|" + "---|" * len(cols)] +
                     ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows_])


def first_n(row) -> str:
    """The smallest n from which every seed recovered the planted units at every larger n run."""
    ns = [(int(k[4:]), v) for k, v in row.items() if k.startswith("n = ") and v != "-"]
    ok = [n for n, v in ns if all(w.split("/")[0] == w.split("/")[1] for m, w in ns if m >= n)]
    return str(min(ok)) if ok else f"> {max(n for n, _ in ns)}"


def _from(row) -> str:
    n = first_n(row)
    return f"from n = {n} on" if not n.startswith(">") else f"at no n run (up to {n[2:]}) on every seed"


def notes(values, add, dense_t) -> list[str]:
    v = {r["target"].split(":")[0]: r for r in values}
    a, dr, ne = v["additive"], v["dense ridge"], v["nested"]
    planted_cost = 2 * np.sqrt(2) * BETA
    return [
        "Notes:",
        "",
        f"- Recovery of the additive target's two planted units: on every seed {_from(add['restricted to groups'])} "
        f"with the group-restricted dictionary; {_from(add['dense'])} with the full arrangement. The dense ridge "
        f"(one planted unit) is recovered by the full arrangement {_from(dense_t['dense'])}. At n = {N_TABLE} the "
        f"restricted program has {a['patterns ']} patterns against "
        f"{a['patterns']}.",
        f"- Optimal values at n = {N_TABLE}: the restricted optimum is never below the dense one (a restriction). "
        f"Additive target: ratio {a['restricted / dense']}; the restricted optimum "
        f"{a['restricted: objective']} is the planted net's cost 2 sqrt(2) beta = {planted_cost:.6g} up to the "
        f"fit, while the dense optimum {a['dense: objective']} is lower, with {a['units']} units of which "
        f"{a['units within one group']} see one group only: on {N_TABLE} samples weight decay prefers units that "
        "mix the groups to the planted decomposition, and the restricted net is not a dense optimum.",
        f"- Dense ridge: ratio {dr['restricted / dense']}; the restricted net fits the sample (loss "
        f"{dr['loss ']}) only with {dr['units ']} units against {dr['units']}. Nested target r(r(x1 - x2) - "
        f"r(x3 + x4)): ratio {ne['restricted / dense']}, {ne['units ']} restricted units against {ne['units']} "
        f"dense ({ne['units within one group']} of them within one group). No net restricted to the groups "
        "represents either function on R^4 (they are not sums of functions of the groups); on a finite sample it "
        "interpolates at a higher cost.",
        "- What the claim becomes here: for two-layer nets, compositional sparsity pays exactly when the target is "
        "additive over known groups: the group-restricted program is far smaller and recovers the planted units "
        "from fewer samples. Weight decay over the full arrangement does not find the sparse decomposition by "
        "itself at these n (its certified optimum mixes the groups at a lower cost on the sample), and for a "
        "nested composition a two-layer net gains nothing from the groups. Whether depth exploits the composition "
        "(the paper's central claim) is outside cvxnn's exact programs in d > 1, except the three-layer abs model, "
        "whose chains each see one direction: no result here bears on it.",
        "",
    ]


def main(out="results/seed-compositional-sparsity.md"):
    values = value_rows()
    rec = recovery_rows()
    add = {r["program"]: r for r in rec if r["target"].startswith("additive")}
    dense_t = {r["program"]: r for r in rec if r["target"].startswith("dense")}
    lines = [
        "# Compositional sparsity: group-restricted against dense two-layer programs",
        "",
        "Regenerate: `python bench/seed_compositional_sparsity.py`",
        "",
        f"cvxnn {cvxnn.__version__}; Clarabel at tolerance 1e-9 for both programs. Claim tested (Poggio and Fraser "
        "2024, Bull. AMS, compositional sparsity): functions that are compositions of constituent functions of few "
        "variables each are what deep networks learn without the curse of dimensionality, and a network whose "
        "units follow the sparse graph needs far fewer parameters and samples than a dense one.",
        "",
        f"Setting: two-layer ReLU nets in d = 4 with penalised bias, beta = {BETA:g}, squared loss as a sum. Data "
        "`instance(target, n, seed)`: X ~ N(0, I_4) from `numpy.random.default_rng(seed)`, noise-free targets "
        "(r = ReLU). `dense` = cvxnn's exact arrangement program over all patterns of [X, 1] (certified, scope "
        "global). `restricted` = every unit supported on {x1, x2, 1} or {x3, x4, 1}: the group Lasso over the union "
        "of the two 2-D arrangements, built and certified in the script (exact NNLS oracle over both group "
        "arrangements; the certificate covers the restricted architecture). `restricted net is a dense optimum` = "
        "`cvxnn.certify_network` on the restricted net with the dense oracle.",
        "",
        f"## Optimal values side by side (n = {N_TABLE}, seed 0)",
        "",
        table(values),
        "",
        f"## Samples needed to recover the planted units (seeds {SEEDS.start}..{SEEDS.stop - 1})",
        "",
        f"Recovered = every planted unit is matched by a distinct unit of the certified optimum within {ANGLE:g} "
        f"rad (weights and bias together, outer weight positive), and the matched units carry at least {MASS:g} of "
        "the path norm sum |alpha| ||u|| (weight decay shrinks the planted units and leaves a small correcting "
        "unit). The restricted dictionary cannot express the dense ridge, so only the dense program is run on it; "
        "the dense program is run up to the n its pattern count allows here. The last two rows are the pattern "
        "counts in general position.",
        "",
        table(rec),
        "",
        *notes(values, add, dense_t),
    ]
    Path(out).write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
