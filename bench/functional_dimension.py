"""Functional dimension (Grigsby, Lindsey and Rolnick 2023, arXiv 2306.06179): how often random nets reach the bound
#params - #hidden neurons, by depth, width and input dimension, and where certified convex optima stand.

Certified optima are often not unique: the optimal face of the convex program has many vertices, and which one an
interior-point solve followed by pruning returns depends on floating-point rounding (the BLAS kernel of the machine).
So the table does not measure "the" solver's net: for each instance it picks K vertices of the optimal face with K
seeded linear programs (HiGHS), certifies each with the solver's dual point, and measures each. Two-layer nets on
arrangements (group Lasso, no finite face LP) are measured as solved.

Regenerate: python bench/functional_dimension.py  (writes results/functional-dimension.md; about 3 minutes)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # tiny matrices: one BLAS thread is fastest

from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.optimize import linprog, nnls

import cvxnn
from cvxnn.functional import functional_dimension, random_fraction

TRIALS = 100
BETA = 0.01
SEEDS = range(5)
VERTICES = 4  # vertices of the optimal face per instance (seeded LP objectives 0..VERTICES-1)
TIE = 1e-8  # a column is on the optimal face when |A_j^T lambda| >= beta (1 - TIE), lambda from kkt_refine

MODELS = [  # name, architecture, d, face LP (finite Lasso dictionary) or the solver's net
    ("two-layer relu", lambda: cvxnn.TwoLayer("relu"), 2),
    ("two-layer relu", lambda: cvxnn.TwoLayer("relu"), 4),
    ("two-layer abs", lambda: cvxnn.TwoLayer("abs"), 3),
    ("two-layer leaky", lambda: cvxnn.TwoLayer("leaky"), 2),
    ("deep-abs l1", lambda: cvxnn.DeepAbs(3, "l1"), 2),
    ("deep-1d abs depth 3", lambda: cvxnn.Deep1D(3, "abs"), 1),
    ("deep-1d relu depth 3", lambda: cvxnn.Deep1D(3, "relu", formulation="dense"), 1),
]


# ------------------------------------------------------------------------------------------------ instances
def instance(d: int, seed: int):
    """X uniform in [-1, 1]^d (n = 10 for d <= 2, 9 otherwise), y = sin(2 x_1) + x_2^2 (d >= 2)."""
    rng = np.random.default_rng(seed)
    n = 10 if d <= 2 else 9
    X = rng.uniform(-1, 1, (n, d))
    y = np.sin(2 * X[:, 0]) + (X[:, 1] ** 2 if d > 1 else 0.0)
    return X, y


def is_chain_model(tr) -> bool:
    return tr.program.summary().get("model") in ("deep-1d", "deep-abs")


# ------------------------------------------------------------------------------ vertices of the optimal face
def face_vertices(tr, k: int = VERTICES, tie: float = TIE):
    """Vertices of the optimal face of a certified Lasso solve (finite dictionary A, the program's working set for
    column generation). lambda = y - A z - xi (centred with a free output bias) is the same for every optimum, so
    every optimum lives on E = {j : |A_j^T lambda| >= beta (1 - tie)} with signs s_j = sign(A_j^T lambda), fits the
    same prediction, and has the same l1 norm. The prediction is projected onto the cone of E (NNLS) and LP number
    i minimises a seeded generic objective c_i^T |z| over {z on E with those signs, A z + xi 1 = prediction}.
    Returns (list of (z, xi), info)."""
    prog, res = tr.program, tr.result
    A, y = prog.dictionary.matrix, prog.y
    z, xi = kkt_refine(A, y, prog.penalty_beta, res.z, res.xi, prog.has_output_bias)
    pred = A @ z + xi
    lam = y - pred
    score = A.T @ lam / prog.penalty_beta
    E = np.flatnonzero(np.abs(score) >= 1 - tie)
    S = np.sign(score[E])
    M = A[:, E] * S
    ones = np.ones((len(y), 1))
    B = np.hstack([M, ones, -ones]) if prog.has_output_bias else M
    target = B @ nnls(B, pred)[0]
    Aeq = np.hstack([M, ones]) if prog.has_output_bias else M
    free = Aeq.shape[1] - E.size
    bounds = [(0, None)] * E.size + [(None, None)] * free
    out = []
    for i in range(k):
        c = np.concatenate([np.random.default_rng(i).uniform(1.0, 2.0, E.size), np.zeros(free)])
        lp = linprog(c, A_eq=Aeq, b_eq=target, bounds=bounds, method="highs")
        if lp.status != 0:
            raise RuntimeError(f"face LP {i} failed: {lp.message}")
        w = lp.x[:E.size].copy()
        w[w <= 1e-12 * max(float(w.max()), 1e-300)] = 0.0
        z = np.zeros(A.shape[1])
        z[E] = S * w
        out.append((z, float(lp.x[-1]) if free else 0.0))
    rank = int(np.linalg.matrix_rank(Aeq))
    outside = np.delete(np.abs(score), E)
    info = {"face_columns": int(E.size), "face_dimension_bound": int(E.size + free - rank),
            "margin": float(1 - outside.max()) if outside.size else 1.0}
    return out, info


def kkt_refine(A, y, beta, z, xi, intercept: bool, rounds: int = 20):
    """The solver's optimum made exact to rounding: on the support S (signs s) of the pruned solution, the optimality
    conditions A_S^T (y - A_S z_S - xi 1) = beta s, 1^T (y - A_S z_S - xi 1) = 0 are a linear system. An active-set
    loop drops columns whose coefficient changes sign and adds the column of largest dual score above beta, until
    every score is <= beta (1 + 1e-10): then lambda = y - A z - xi is the dual optimum to rounding, and the face
    below is computed from it rather than from an interior-point residual accurate to about sqrt(solver tolerance)."""
    z = np.asarray(z, dtype=float).copy()
    lam0 = y - A @ z - xi
    if intercept:
        lam0 = lam0 - lam0.mean()
    S = [j for j in np.flatnonzero(z) if abs(A[:, j] @ lam0) >= beta * (1 - 1e-3)]
    sign = {j: np.sign(z[j]) for j in S}
    for _ in range(rounds):
        M = np.hstack([A[:, S], np.ones((len(y), 1))]) if intercept else A[:, S]
        rhs = M.T @ y - beta * np.concatenate([[sign[j] for j in S], [0.0] if intercept else []])
        sol = np.linalg.lstsq(M.T @ M, rhs, rcond=None)[0]
        coef = sol[:len(S)]
        bad = [j for j, c in zip(S, coef) if np.sign(c) != sign[j]]
        if bad:
            S = [j for j in S if j not in bad]
            continue
        znew = np.zeros(A.shape[1])
        znew[S] = coef
        xinew = float(sol[-1]) if intercept else 0.0
        score = A.T @ (y - A @ znew - xinew) / beta
        j = int(np.argmax(np.abs(score)))
        if abs(score[j]) <= 1 + 1e-10:
            return znew, xinew
        S.append(j)
        sign[j] = np.sign(score[j])
    raise RuntimeError("KKT refinement did not converge")


def certified_vertices(tr, k: int = VERTICES):
    """The K face vertices as networks, each with its certificate against the solver's dual point."""
    nets = []
    vertices, info = face_vertices(tr, k)
    for z, xi in vertices:
        net = tr.program.reconstruct(z, xi)
        cert = cvxnn.certify_point(tr.program, net, tr.result.dual, convex_objective=tr.result.convex_objective)
        nets.append((net, cert))
    return nets, info


# --------------------------------------------------------------------------------- kinks of parallel chains
def _exact_rank(rows: list[dict], keys: list) -> int:
    """Rank of the integer matrix whose rows are {key: coefficient} over the basis ``keys`` (exact arithmetic)."""
    M = [[Fraction(r.get(key, 0)) for key in keys] for r in rows]
    rank, col = 0, 0
    ncols = len(keys)
    while rank < len(M) and col < ncols:
        piv = next((i for i in range(rank, len(M)) if M[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        M[rank], M[piv] = M[piv], M[rank]
        for i in range(len(M)):
            if i != rank and M[i][col] != 0:
                f = M[i][col] / M[rank][col]
                M[i] = [a - f * b for a, b in zip(M[i], M[rank])]
        rank += 1
        col += 1
    return rank


def _cluster(values: list[float], tol: float) -> list[int]:
    """Labels such that values within tol (after sorting, chained) share a label: the same kink."""
    order = np.argsort(values, kind="stable")
    labels = [0] * len(values)
    label, prev = 0, None
    for i in order:
        if prev is not None and values[i] - prev > tol:
            label += 1
        labels[i] = label
        prev = values[i]
    return labels


def chain_kinks(net, X) -> list[dict]:
    """Per chain of a parallel-chain net: its direction group, kinks along t = v^T x, and whether a2 = 0.
    abs chains z ||t - a1| - a2|: kinks l = a1 - a2, m = a1, r = a1 + a2 (one kink m when a2 = 0);
    relu ramps z clip(t - a, 0, b - a): kinks a, b."""
    out = []
    for u in net.meta.get("units") or []:
        if "ramp" in u:
            a, b = u["ramp"]
            out.append({"direction": (1.0,), "kind": "ramp", "kinks": (a, b), "a2_zero": False})
            continue
        if "a" in u:
            v, (a1, a2) = np.ones(1), u["a"]
        else:
            v, a1, a2 = np.asarray(u["direction"], dtype=float), u["a1"], u["a2"]
        lead = v[np.flatnonzero(np.abs(v) > 1e-12)[0]]
        if lead < 0:  # |(-v)^T x + a1| = |v^T x - a1|: one orientation per direction
            v, a1 = -v, -a1
        v = v / np.linalg.norm(v)
        out.append({"direction": tuple(np.round(v, 12)), "kind": "abs", "kinks": (a1 - a2, a1, a1 + a2),
                    "a2_zero": a2 == 0, "perp": (-v[1], v[0]) if v.size == 2 else None})
    return out


def kink_prediction(net, X) -> dict:
    """Rank of the parameter Jacobian of a net of parallel chains predicted from its kinks alone.

    Per chain the derivatives split into a continuous piecewise-linear part (d/dz: in the basis |t - kink|) and
    piecewise-constant parts (d/da1, d/da2 for abs: H_l - H_m + H_r and H_l - H_r modulo constants, H_k = 1[t > k];
    d/da, d/db for ramps: H_a and H_b; and for d >= 2 the direction's derivative, (v_perp^T x) times the d/da1 step
    function including its constant). Continuous and piecewise-constant functions meet only in the constants, and
    chains of different directions share no kink, so with xi's constant:
    rank = 1 + sum over direction groups of (rank PL + rank steps + rank direction steps), every rank exact over the
    kink basis of the group, less the dependencies among the linear functions v_perp^T x that direction groups
    can produce (at most d of them are independent). A chain with a2 = 0 has d/da2 = constant: a zero row. Kinks closer than 1e-9 times the
    data scale are the same kink (shared kinks)."""
    chains = chain_kinks(net, X)
    d = X.shape[1]
    scale = float(np.max(np.abs(X))) or 1.0
    groups: dict = {}
    for c in chains:
        groups.setdefault(c["direction"], []).append(c)
    rank, linear = 1, []
    for members in groups.values():
        values = [k for c in members for k in c["kinks"]]
        labels = _cluster(values, 1e-9 * scale)
        pos = 0
        pl, step, direction = [], [], []
        for c in members:
            lab = labels[pos:pos + len(c["kinks"])]
            pos += len(c["kinks"])
            if c["kind"] == "ramp":
                a, b = lab
                pl.append({a: 1, b: -1} if a != b else {})
                step += [{a: 1}, {b: 1}]
                continue
            lo, mid, hi = lab
            if c["a2_zero"]:
                pl.append({mid: 1})
                step += [{mid: 1}, {}]
                direction.append({"1": -1, mid: 2})
            else:
                row = {}
                for key, coef in ((lo, 1), (hi, 1), (mid, -1)):
                    row[key] = row.get(key, 0) + coef
                pl.append(row)
                r1, r2 = {}, {}
                for key, coef in ((lo, 1), (mid, -1), (hi, 1)):
                    r1[key] = r1.get(key, 0) + coef
                for key, coef in ((lo, 1), (hi, -1)):
                    r2[key] = r2.get(key, 0) + coef
                step += [r1, r2]
                drow = {"1": -1}
                for key, coef in ((lo, 2), (mid, -2), (hi, 2)):
                    drow[key] = drow.get(key, 0) + coef
                direction.append(drow)
        keys = sorted(set(labels))
        rank += _exact_rank(pl, keys) + _exact_rank(step, keys)
        if d >= 2:
            full = _exact_rank(direction, ["1"] + keys)
            rank += full
            if full > _exact_rank(direction, keys):  # the span holds (v_perp^T x) * 1, a linear function
                linear.append(np.asarray(next(iter(members))["perp"]))
    if linear:  # linear functions from different groups live in the d-dimensional space of linear functions
        rank -= len(linear) - int(np.linalg.matrix_rank(np.array(linear)))
    per_chain = 3 if d == 1 else 4  # (z, a1, a2) or (z, a), plus the direction's d - 1 = 1 angle in d = 2
    if d > 2:
        raise NotImplementedError("kink prediction is written for d <= 2")
    bound = per_chain * len(chains) + 1
    return {"predicted_rank": rank, "bound": bound, "predicted_deficit": bound - rank,
            "a2_zero": sum(c["a2_zero"] for c in chains)}


def opposite_pairs(net, tol: float = 1e-9) -> int:
    """First-layer neurons of a two-layer net with opposite hyperplane orientation, (w_j, b_j) = -c (w_i, b_i), c > 0."""
    V = np.hstack([net.layers[0].weight, net.layers[0].bias[:, None]])
    norms = np.linalg.norm(V, axis=1)
    D = V / np.where(norms > 0, norms, 1.0)[:, None]
    return sum(np.linalg.norm(D[i] + D[j]) <= tol for i in range(len(D)) for j in range(i + 1, len(D)))


# ------------------------------------------------------------------------------------------------ rows
def random_rows():
    rows = []
    for act in ("relu", "abs"):
        for d in (2, 3, 4):
            row = {"activation": act, "d": d, "width": 4}
            for depth in (1, 2, 3):
                row[f"{depth} hidden"] = random_fraction(d, (4,) * depth, TRIALS, act, seed=0)
            rows.append(row)
            print(row, flush=True)
    return rows


def measure(net, X, chain: bool) -> dict:
    fd = functional_dimension(net, X, parameters="structural" if chain else "all", canonical=not chain)
    out = {"deficit": fd["deficit"], "parallel": len(fd["parallel_pairs"]),
           "canonical reaches": (fd["canonical"] or fd)["reaches_bound"]}
    if chain:
        kp = kink_prediction(net, X)
        assert kp["bound"] == fd["bound"], (kp, fd["bound"])
        out.update(a2_zero=kp["a2_zero"], predicted=kp["predicted_deficit"])
    else:
        out.update(opposite=int(opposite_pairs(net)))
    return out


def optimum_rows(seeds=SEEDS, models=MODELS, k=VERTICES):
    rows = []
    for name, make, d in models:
        per = []
        for seed in seeds:
            X, y = instance(d, seed)
            tr = cvxnn.train(X, y, make(), beta=BETA)
            assert tr.certificate.globally_optimal, (name, seed)
            chain = is_chain_model(tr)
            if chain:
                nets, info = certified_vertices(tr, k)
                if not all(c.globally_optimal for _, c in nets):
                    raise RuntimeError(f"{name} seed {seed}: a face vertex is not certified")
                per.append((info, [measure(net, X, True) for net, _ in nets]))
            else:
                per.append((None, [measure(tr.network, X, False)]))
        rows.append(_optimum_row(name, d, per, k))
        print(rows[-1], flush=True)
    return rows


def _optimum_row(name, d, per, k):
    chain = per[0][0] is not None
    deficits = [" ".join(str(m["deficit"]) for m in ms) for _, ms in per]
    all_m = [m for _, ms in per for m in ms]
    row = {"model": name, "d": d, "instances": len(per),
           "nets measured": "solver's net" if not chain else f"{k} certified face vertices each",
           "optimal face: columns / dimension bound": "" if not chain else
           " ".join(f"{i['face_columns']}/{i['face_dimension_bound']}" for i, _ in per),
           "deficits": " / ".join(deficits),
           "nets reaching bound": f"{sum(m['deficit'] == 0 for m in all_m)} of {len(all_m)}"}
    if chain:
        row["abs chains with a2 = 0"] = "" if name.startswith("deep-1d relu") else \
            " / ".join(" ".join(str(m["a2_zero"]) for m in ms) for _, ms in per)
        row["deficit = kink prediction"] = f"{sum(m['deficit'] == m['predicted'] for m in all_m)} of {len(all_m)}"
    else:
        row["opposite-orientation pairs"] = sum(m["opposite"] for m in all_m)
        row["parallel pairs"] = sum(m["parallel"] for m in all_m)
        row["reach bound after canonical form"] = sum(m["canonical reaches"] for m in all_m)
    return row


def table(rows):
    cols = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.2f}" if isinstance(v, float) else str(v)  # noqa: E731
    return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)] +
                     ["| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |" for r in rows])


def random_text(rows) -> list[str]:
    return [f"## Random nets: fraction reaching the bound ({TRIALS} nets each, weights and biases N(0, 1), seeds "
            f"0..{TRIALS - 1}, batch seed = net seed)", "", table(rows), ""]


def optimum_text(rows) -> list[str]:
    two = [r for r in rows if r["nets measured"] == "solver's net"]
    chains = [r for r in rows if r["nets measured"] != "solver's net"]
    drop = ("nets measured", "optimal face: columns / dimension bound", "abs chains with a2 = 0",
            "deficit = kink prediction")
    two = [{k: v for k, v in r.items() if k not in drop} for r in two]
    chains = [{k: v for k, v in r.items() if k != "nets measured"} for r in chains]
    return [
        "## Certified convex optima",
        "",
        f"beta = {BETA}; instances `instance(d, seed)`, seeds {SEEDS.start}..{SEEDS.stop - 1}: X uniform in "
        "[-1, 1]^d (n = 10 for d <= 2, 9 for d >= 3), y = sin(2 x_1) + x_2^2 (d >= 2). Every net below is certified "
        "globally optimal (scope global). `deficits` = bound - rank per net, instances separated by /.",
        "",
        "### Two-layer nets (arrangement programs; every stored parameter counts; the solver's net)",
        "",
        table(two),
        "",
        "### Parallel chains (structural parameters: biases, first-layer and outer weights)",
        "",
        "The optimum of a chain model is rarely unique: the dictionary columns whose dual score reaches beta "
        "(`columns`) carry an optimal face of dimension up to `dimension bound`. Which vertex an interior-point "
        "solve followed by pruning returns depends on floating-point rounding (the BLAS kernel of the machine), so "
        f"the rows do not use the solver's net: the solver's optimum is made exact on its support (`kkt_refine`), "
        f"and {VERTICES} vertices of the face are taken by seeded linear programs (HiGHS, objective seeds "
        f"0..{VERTICES - 1}); each vertex is rebuilt and certified with the solver's dual point. `abs chains with "
        "a2 = 0` and `deficits` list the vertices in the same order. The three-layer abs model with l2-normalised "
        "inner weights is left out: its column generation adds the continuous oracle's maximisers, near-duplicate "
        "columns for which no face LP over the working set is well posed.",
        "",
        table(chains),
        "",
    ]


def main(out="results/functional-dimension.md"):
    rnd = random_rows()
    opt = optimum_rows()
    chain_nets = [r for r in opt if r["nets measured"] != "solver's net"]
    text = [
        "# Functional dimension",
        "",
        "Regenerate: `python bench/functional_dimension.py` (every random net, batch, instance and face LP is "
        "seeded; the table holds integers and fractions only, and the same table came out with the OpenBLAS "
        "kernels SkylakeX and Haswell).",
        "",
        f"cvxnn {cvxnn.__version__}. Rank of the parameter Jacobian of the outputs on cvxnn's wide batch "
        "(`cvxnn.functional.input_batch`: Gaussian points at radii 0.1 to 100 around the data, the data, and pairs "
        "straddling every neuron's hyperplane; rows on a kink left out), column-equilibrated SVD, singular values "
        "above 10 max(k, #params) eps s_max count; bound = #params - #hidden neurons (one rescaling per neuron). "
        "Grigsby, Lindsey and Rolnick 2023 (arXiv 2306.06179) call a net whose rank is below the bound one with "
        "hidden symmetries; `results/seed-hidden-symmetries.md` runs their protocol.",
        "",
        *random_text(rnd),
        *optimum_text(opt),
        "What the rows support:",
        "",
        "- Vertices of one optimal face differ in functional dimension (see the deep-1d abs and deep-abs rows): "
        "the deficit belongs to the optimal net, not to the instance, and a table of the solver's own nets does "
        "not reproduce across machines (an earlier version of this table did not).",
        "- A three-layer abs chain with a2 = 0 always loses one direction (d/db2 = alpha times a constant, the "
        "output bias's direction), but the deficit is not the number of such chains: chains that share kinks "
        "lose more, and deep-1d ReLU chains (ramps between data points) lose directions with no a2 at all. What "
        "held on every vertex measured is the kink prediction (`kink_prediction`): exact ranks of the kink "
        "incidence of the continuous and the piecewise-constant parts of the derivatives, per direction; "
        + ", ".join(f"{r['model']}: {r['deficit = kink prediction']}" for r in chain_nets) + " nets.",
        "",
    ]
    Path(out).write_text("\n".join(text))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
