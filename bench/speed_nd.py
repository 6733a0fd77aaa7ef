"""Speed of exact two-layer ReLU nets in d dimensions: cvxnn end to end (enumeration, pattern generation, network,
certificate) against plain CVXPY + Clarabel on the full arrangement program, and against PyTorch (Adam then L-BFGS,
float64, width 2n) reaching the certified optimum, all in one process on the same data.

Regenerate: python bench/speed_nd.py  (writes results/speed-nd.md; about 20 minutes on 2 cores)

How it measures. Every method runs with one BLAS / OpenMP / torch thread. For each size, cvxnn (3 runs) and the
reference (CVXPY + Clarabel on the full program, 3 runs while it takes under 10 s, else 1) are interleaved in the same
process and the medians compared; peak memory is measured in a separate, untimed run of each in a forked child (peak
resident set size minus its size at the start: solver-internal memory included). The full program is the textbook
form: one block per pattern and sign, every cone with all n rows, built with CVXPY expressions and solved by Clarabel
at the same tolerances as cvxnn. PyTorch trains one start at a time (seeds 0, 1, ...) until a start's objective, in
float64 NumPy, is within 1e-6 (relative) of the certified optimum, at most 20 starts: the time to the optimum is the
sum over those starts, or "never". The old oracle (scipy NNLS per pattern and sign on every row, patterns visited by
decreasing |c|) is timed against the new one at the same dual point. `cvxnn --help` is timed in subprocesses against
`python -c "import cvxpy"`.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from measure import peak_mb  # noqa: E402 - the bench folder is not a package

BETA = 0.01
SIZES = {2: [20, 40, 60, 100, 150, 200, 300], 3: [10, 20, 30, 40, 60, 80], 4: [8, 12, 16, 20, 30]}
STOP_AFTER = 120.0  # seconds: larger n of the same d are not run once cvxnn took longer than this
FULL_MAX = 250_000  # n * patterns above which the full CVXPY program is not attempted (its compilation alone ...)
FULL_LIMIT = 120.0  # ... or once a smaller n took longer than this
TORCH_MAX_N = 100  # PyTorch runs up to this n
TORCH_STARTS = 20
TORCH_RTOL = 1e-6
REPEATS = 3
TARGETS = [  # (what, d, n, limit in seconds)
    ("d = 2, n = 100 certified global", 2, 100, 10.0),
    ("d = 2, n = 200 certified global", 2, 200, 60.0),
    ("d = 3, n = 60 certified global", 3, 60, 60.0),
]


def instance(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, np.sin(X[:, 0]) + X[:, -1] ** 2 - 0.5


def one_thread():
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    import torch

    torch.set_num_threads(1)


# ------------------------------------------------------------------------------------------------ the methods
def run_cvxnn(X, y):
    import cvxnn

    t0 = time.perf_counter()
    tr = cvxnn.train(X, y, cvxnn.TwoLayer("relu", max_patterns=10_000_000), beta=BETA)
    wall = time.perf_counter() - t0
    prog = tr.program
    walls = prog.full.walls(prog.Xb).counts() if hasattr(prog, "full") else prog.cone_rows.counts()
    return wall, {"certified": bool(tr.certificate.globally_optimal), "objective": tr.certificate.objective,
                  "convex": tr.result.convex_objective, "lower_bound": tr.certificate.lower_bound,
                  "patterns": prog.size, "walls": float(walls.mean()),
                  "rounds": len(getattr(prog, "log", [])) or 1,
                  "working_set": prog.final.size if getattr(prog, "final", None) is not None else prog.size,
                  "iterations": tr.result.run.iterations, "dual": tr.result.dual, "program": prog}


def run_full_cvxpy(X, y):
    """The textbook program with CVXPY expressions, every pattern, every row, solved by Clarabel."""
    import cvxpy as cp

    from cvxnn.arrangements import enumerate_patterns
    from cvxnn.solvers import get_solver

    t0 = time.perf_counter()
    n = X.shape[0]
    Xb = np.hstack([X, np.ones((n, 1))])
    D = enumerate_patterns(Xb, max_patterns=10_000_000).patterns.T.astype(np.float64)  # (n, P)
    S = 2.0 * D - 1.0
    P, dp = D.shape[1], Xb.shape[1]
    V, W, r = cp.Variable((P, dp)), cp.Variable((P, dp)), cp.Variable(n)
    fit = cp.sum(cp.multiply(D, Xb @ (V - W).T), axis=1)
    cons = [y - fit - r == 0, cp.multiply(S, Xb @ V.T) >= 0, cp.multiply(S, Xb @ W.T) >= 0]
    penalty = cp.sum(cp.norm(V, 2, axis=1)) + cp.sum(cp.norm(W, 2, axis=1))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(r) + BETA * penalty), cons)
    opts = get_solver("clarabel").options("high")
    problem.solve(solver="CLARABEL", **opts)
    wall = time.perf_counter() - t0
    return wall, {"objective": float(problem.value), "status": problem.status, "patterns": P,
                  "iterations": problem.solver_stats.num_iters}


def torch_start(X, y, seed, adam_steps=2000, lr=0.01, lbfgs_iter=2000):
    """One start of width 2n: Adam (cosine-decayed) then L-BFGS (strong Wolfe), float64; the objective in NumPy."""
    import torch

    n, d = X.shape
    g = torch.Generator().manual_seed(seed)
    Xb = np.hstack([X, np.ones((n, 1))])
    Xt, yt = torch.tensor(Xb), torch.tensor(y)
    U = (torch.randn(2 * n, d + 1, generator=g, dtype=torch.float64) / np.sqrt(d + 1)).requires_grad_()
    a = (0.1 * torch.randn(2 * n, generator=g, dtype=torch.float64)).requires_grad_()

    def objective():
        f = torch.relu(Xt @ U.T) @ a
        return 0.5 * ((f - yt) ** 2).sum() + BETA / 2 * ((U**2).sum() + (a**2).sum())

    opt = torch.optim.Adam([U, a], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, adam_steps, eta_min=0.02 * lr)
    for _ in range(adam_steps):
        opt.zero_grad()
        objective().backward()
        opt.step()
        sched.step()
    lbfgs = torch.optim.LBFGS([U, a], max_iter=lbfgs_iter, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                              tolerance_change=1e-15, history_size=50)

    def closure():
        lbfgs.zero_grad()
        loss = objective()
        loss.backward()
        return loss

    lbfgs.step(closure)
    Un, an = U.detach().numpy(), a.detach().numpy()
    f = np.maximum(Xb @ Un.T, 0.0) @ an
    return 0.5 * float(np.sum((f - y) ** 2)) + BETA / 2 * float(np.sum(Un**2) + np.sum(an**2))


def run_torch(X, y, optimum):
    """Starts until one is within TORCH_RTOL of the certified optimum (at most TORCH_STARTS)."""
    times, gaps = [], []
    for seed in range(TORCH_STARTS):
        t0 = time.perf_counter()
        value = torch_start(X, y, seed)
        times.append(time.perf_counter() - t0)
        gaps.append((value - optimum) / abs(optimum))
        if gaps[-1] <= TORCH_RTOL:
            break
    reached = gaps[-1] <= TORCH_RTOL
    return {"one_start_s": statistics.median(times), "to_optimum_s": sum(times) if reached else None,
            "starts": len(times), "best_gap": min(gaps), "total_s": sum(times), "below_bound": min(gaps) < -1e-6}


def old_oracle(lam, Xb, patterns):
    """scipy NNLS per pattern and sign on every row, patterns by decreasing |c| with the early exit (the oracle
    before the batched one)."""
    from scipy.optimize import nnls

    D = patterns.astype(np.float64)
    S = 2.0 * D - 1.0
    C = (D * lam[None, :]) @ Xb
    bound = np.linalg.norm(C, axis=1)
    best = 0.0
    for i in np.argsort(-bound):
        if bound[i] <= best:
            break
        At = (S[i][:, None] * Xb).T
        for sign in (1.0, -1.0):
            best = max(best, nnls(At, -sign * C[i])[1])
    return best


# ------------------------------------------------------------------------------------------------ measuring
def timed_subprocess(args, repeats=7):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fmt(x, digits=3):
    if x is None:
        return "-"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, str):
        return x
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}" if abs(x) < 10 ** digits else f"{x:.0f}"


# ------------------------------------------------------------------------------------------------ the sections
def end_to_end(log):
    rows = []
    for d, sizes in SIZES.items():
        full_ok = True
        for n in sizes:
            X, y = instance(n, d)
            from cvxnn.arrangements import pattern_count

            P = pattern_count(np.hstack([X, np.ones((n, 1))]))
            try_full = full_ok and n * P <= FULL_MAX
            cv, ref, info, ref_info = [], [], None, None
            for rep in range(REPEATS):
                wall, info = run_cvxnn(X, y)
                cv.append(wall)
                if try_full and (rep == 0 or (ref and ref[0] < 10.0)):
                    rwall, ref_info = run_full_cvxpy(X, y)
                    ref.append(rwall)
            row = {"d": d, "n": n, "patterns": info["patterns"], "walls/pattern": round(info["walls"], 2),
                   "rounds": info["rounds"], "working set": info["working_set"], "cvxnn s": statistics.median(cv),
                   "certified": info["certified"]}
            if ref:
                row["CVXPY full s"] = statistics.median(ref)
                row["full / cvxnn"] = row["CVXPY full s"] / row["cvxnn s"]
                row["objective diff"] = abs(ref_info["objective"] - info["convex"]) / abs(info["convex"])
                full_ok = row["CVXPY full s"] < FULL_LIMIT
            else:
                full_ok = False
            row["cvxnn MB"] = peak_mb(run_cvxnn, X, y)
            row["CVXPY full MB"] = peak_mb(run_full_cvxpy, X, y) if ref else None
            if n <= TORCH_MAX_N:
                t = run_torch(X, y, info["objective"])
                row.update({"torch 1 start s": t["one_start_s"], "torch to optimum s": t["to_optimum_s"],
                            "torch starts": t["starts"], "torch best gap": t["best_gap"]})
                row["1 start / cvxnn"] = t["one_start_s"] / row["cvxnn s"]
                assert not t["below_bound"], "a PyTorch start went below the certified optimum"
            # the oracle at the final dual point: batched (walls) against per-pattern NNLS on every row
            prog = info["program"]
            full = getattr(prog, "full", None) or prog.oracle_arrangement
            lam = info["dual"]
            new, old = [], []
            for _ in range(3):
                t0 = time.perf_counter()
                sup_new, _ = prog.dual_sup(lam)
                new.append(time.perf_counter() - t0)
                if n * len(full) <= 4_000_000:
                    t0 = time.perf_counter()
                    sup_old = old_oracle(lam, prog.Xb, full.patterns)
                    old.append(time.perf_counter() - t0)
            row["oracle s"] = statistics.median(new)
            if old:
                row["NNLS oracle s"] = statistics.median(old)
                row["NNLS / oracle"] = row["NNLS oracle s"] / row["oracle s"]
                assert abs(sup_new - sup_old) <= 1e-9 * max(sup_old, 1e-300), (sup_new, sup_old)
            rows.append(row)
            log(row)
            if row["cvxnn s"] > STOP_AFTER:
                break
    return rows


ABLATION = ((2, 60), (2, 100), (3, 30))


def ablation(log):
    """What each part buys, on three sizes: every row instead of the walls, no cluster sums, neither (one run each,
    interleaved)."""
    import cvxnn
    from cvxnn.arrangements import enumerate_patterns
    from cvxnn.models.arrangement import PatternGenerationProgram

    rows = []
    for d, n in ABLATION:
        X, y = instance(n, d)
        variants = [("walls + cluster sums (default)", True, None), ("every row", False, None),
                    ("no cluster sums", True, 0), ("every row, no cluster sums", False, 0)]
        row = {"d": d, "n": n}
        for name, walls, clusters in variants:
            t0 = time.perf_counter()
            Xb = np.hstack([X, np.ones((n, 1))])
            full = enumerate_patterns(Xb, max_patterns=10_000_000)
            prog = PatternGenerationProgram(X, y, cvxnn.TwoLayer("relu"), BETA, full, "penalized", walls=walls,
                                            clusters=clusters)
            res = prog.solve()
            cert = cvxnn.certify(prog, res)
            row[name + " s"] = time.perf_counter() - t0
            row[name + " iterations"] = res.run.iterations
            assert cert.globally_optimal, (d, n, name)
        rows.append(row)
        log(row)
    return rows


def certify_speed(log):
    import torch

    import cvxnn
    from cvxnn.arrangements import enumerate_patterns

    n, d = 50, 3
    X, y = instance(n, d)
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(d, 2 * n, dtype=torch.float64), torch.nn.ReLU(),
                            torch.nn.Linear(2 * n, 1, bias=False, dtype=torch.float64))
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(2000):
        opt.zero_grad()
        loss = 0.5 * ((m(Xt)[:, 0] - yt) ** 2).sum() + BETA / 2 * sum((p**2).sum() for p in m.parameters())
        loss.backward()
        opt.step()
    from cvxnn.external import own_units_dual

    c = cvxnn.certify_network(m, X, y, BETA)  # warm (imports)
    new, old = [], []
    Xb = np.hstack([X, np.ones((n, 1))])
    patterns = enumerate_patterns(Xb).patterns
    # the two dual points certify_network tries: the residual and the dual of the Lasso over the net's own units
    points = [y - c.network.predict(X), own_units_dual(c.network, c.architecture, "penalized", X, y, BETA, False)]
    for _ in range(5):
        t0 = time.perf_counter()
        c = cvxnn.certify_network(m, X, y, BETA)
        new.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for lam in points:
            old_oracle(lam, Xb, patterns)
        old.append(time.perf_counter() - t0)
    row = {"n": n, "d": d, "patterns": c.n_patterns, "certify_network s": statistics.median(new),
           "NNLS oracle at its two dual points s": statistics.median(old),
           "ratio": statistics.median(old) / statistics.median(new), "gap": c.gap, "scope": c.certificate.scope}
    log(row)
    return row


def cli_speed(log):
    py = sys.executable
    helps = timed_subprocess([py, "-m", "cvxnn", "--help"])
    bare = timed_subprocess([py, "-c", "pass"])
    cvxpy = timed_subprocess([py, "-c", "import cvxpy"])
    light = timed_subprocess([py, "-c", "import cvxnn"])
    imports = subprocess.run([py, "-X", "importtime", "-m", "cvxnn", "--help"], capture_output=True, text=True,
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}).stderr
    heavy = [m for m in ("cvxpy", "torch", "scipy", "pandas")
             if any(line.rstrip().endswith(f"| {m}") or f"|   {m}" in line for line in imports.splitlines())]
    row = {"cvxnn --help s": helps, "python -c 'import cvxnn' s": light, "python -c pass s": bare,
           "python -c 'import cvxpy' s": cvxpy,
           "heavy modules imported by --help": ", ".join(heavy) or "none"}
    log(row)
    return row


# ------------------------------------------------------------------------------------------------ the report
def table(rows, columns):
    head = "| " + " | ".join(columns) + " |"
    sep = "|" + "|".join("---:" for _ in columns) + "|"
    body = ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join([head, sep, *body])


def main(out="results/speed-nd.md"):
    one_thread()
    import cvxnn

    load0 = os.getloadavg()
    t_start = time.perf_counter()
    X, y = instance(12, 2)
    cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=BETA)  # imports and caches, not timed

    def log(row):
        print({k: v for k, v in row.items() if k != "program"}, flush=True)

    rows = end_to_end(log)
    abl = ablation(log)
    cert = certify_speed(log)
    cli = cli_speed(log)
    load1 = os.getloadavg()
    minutes = (time.perf_counter() - t_start) / 60

    by = {(r["d"], r["n"]): r for r in rows}
    checks = []
    for what, d, n, limit in TARGETS:
        r = by.get((d, n))
        value = r["cvxnn s"] if r else None
        checks.append({"target": what, "limit s": limit, "measured s": value,
                       "met": bool(r and r["certified"] and value <= limit)})
    for r in rows:
        if r["d"] == 2 and r["n"] <= 60 and "torch 1 start s" in r:
            checks.append({"target": f"d = 2, n = {r['n']}: no slower than one PyTorch start",
                           "limit s": r["torch 1 start s"], "measured s": r["cvxnn s"],
                           "met": r["cvxnn s"] <= r["torch 1 start s"]})
    checks.append({"target": "certify_network, n = 50, d = 3", "limit s": 1.0, "measured s": cert["certify_network s"],
                   "met": cert["certify_network s"] < 1.0})
    checks.append({"target": "cvxnn --help", "limit s": 0.5, "measured s": cli["cvxnn --help s"],
                   "met": cli["cvxnn --help s"] < 0.5 and cli["heavy modules imported by --help"] == "none"})

    largest = {}
    for d in SIZES:
        ok = [r["n"] for r in rows if r["d"] == d and r["certified"] and r["cvxnn s"] < 60]
        full = [r["n"] for r in rows if r["d"] == d and r.get("CVXPY full s") is not None and r["CVXPY full s"] < 60]
        largest[d] = (max(ok) if ok else None, max(full) if full else None)

    lines = [
        "# Exact two-layer ReLU nets in d dimensions: speed", "",
        f"Generated by `python bench/speed_nd.py` (cvxnn {cvxnn.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, one BLAS / torch thread per method; load average "
        f"{load0[0]:.1f} at the start, {load1[0]:.1f} at the end; {minutes:.0f} minutes). Gaussian X, "
        "y = sin(x1) + x_d^2 - 1/2, relu, bias 'penalized', beta = 0.01, Clarabel at high accuracy. Other jobs "
        "shared the machine: compare the methods by the ratios (same process, interleaved, medians of "
        f"{REPEATS} runs for cvxnn and for the full program while it takes under 10 s), not by absolute times.",
        "",
        "- `cvxnn s`: `cvxnn.train` end to end (enumeration, walls, pattern generation, network, certificate), "
        "certified global in every row marked `certified`.",
        "- `CVXPY full s`: the textbook program (every pattern, every row of every cone, CVXPY expressions) solved by "
        f"Clarabel; not attempted once n * patterns exceeds {FULL_MAX:,} or a smaller n took over {FULL_LIMIT:g} s; "
        "`objective diff` is its optimum against cvxnn's (relative).",
        f"- `torch`: PyTorch starts of width 2n (Adam 2000 steps, then L-BFGS), one at a time, until one is within "
        f"{TORCH_RTOL:g} (relative) of the certified optimum, at most {TORCH_STARTS}: `torch to optimum s` sums "
        "those starts (`-`: never), `torch best gap` is the best relative gap reached. No start ever went below the "
        "certified optimum (checked).",
        "- `oracle s`: one certificate oracle call at the final dual point (batched projections on the walls); "
        "`NNLS oracle s`: scipy NNLS per pattern and sign on every row (the previous oracle), same point, same "
        "value (checked to 1e-9).",
        "- `MB`: peak resident memory of one run above the process size at its start (forked child; solver memory "
        "included).", "",
        "## Targets", "", table(checks, ["target", "limit s", "measured s", "met"]), "",
        "## Largest n certified in under a minute", "",
    ]
    for d, (a, b) in largest.items():
        lines.append(f"- d = {d}: {a} with cvxnn, {b if b else 'none of the sizes tried'} with the full CVXPY program.")
    lines += ["", "## End to end", "",
              table(rows, ["d", "n", "patterns", "walls/pattern", "rounds", "working set", "cvxnn s", "certified",
                           "CVXPY full s", "full / cvxnn", "objective diff", "cvxnn MB", "CVXPY full MB"]), "",
              "## Against PyTorch", "",
              table([r for r in rows if "torch 1 start s" in r],
                    ["d", "n", "cvxnn s", "torch 1 start s", "1 start / cvxnn", "torch to optimum s", "torch starts",
                     "torch best gap"]), "",
              "## The certificate oracle", "",
              table(rows, ["d", "n", "patterns", "walls/pattern", "oracle s", "NNLS oracle s", "NNLS / oracle"]), "",
              "## What each part buys", "",
              "Pattern generation with the cones' wall rows or every row, with or without the cluster sums in the "
              "direct Clarabel form (one run each, certified global each; `iterations`: Clarabel iterations summed "
              "over the rounds).", "",
              table(abl, list(abl[0].keys())), "",
              "## Certifying a net trained elsewhere", "",
              "A PyTorch net of width 100 (Adam, 2000 steps) on n = 50 points in d = 3: `cvxnn.certify_network` "
              "(enumeration, walls, both dual points, the restricted Lasso, the oracle; median of 5) against the "
              "previous per-pattern NNLS oracle alone at the same two dual points (the net's residual and the dual "
              "of the Lasso over its own units).", "",
              table([cert], list(cert.keys())), "",
              "## The command line", "",
              "Medians of 7 subprocess runs.", "",
              table([cli], list(cli.keys())), ""]
    Path(ROOT / out).parent.mkdir(parents=True, exist_ok=True)
    (ROOT / out).write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--quick" in args:  # a smoke run of every section on tiny sizes (not a result)
        args.remove("--quick")
        SIZES = {2: [20, 40], 3: [10], 4: [8]}
        ABLATION = ((2, 20),)
        TORCH_STARTS, REPEATS = 2, 1
    main(*args)
