"""Speed in one dimension: cvxnn end to end (build, solve, prune, rebuild, certify) against plain CVXPY + Clarabel on
the full dense dictionary built here with numpy, for every 1-D model and growing n.

The reference is what a user can write in a few lines: the columns of the exact dictionary (breakpoints at the data
for two-layer nets, the n(n-1)/2 ramps for deep ReLU chains, the reflection and midpoint features for deep abs
chains), then ``min (1/2)||A z + xi - y||^2 + beta ||z||_1`` in CVXPY with Clarabel at cvxnn's high accuracy
(tolerances 1e-9). Both run in this one process, interleaved (cvxnn, reference, cvxnn, ...), ``--repeats`` times;
the table shows medians and their ratio. A reference whose matrix would exceed ``--max-entries`` entries is not
built ("too large"), and a reference slower than ``--slow`` seconds is not repeated. Peak memory: each case once
more in a fresh child process, its peak resident set above the level reached after importing and making the data
(``VmHWM`` of /proc/self/status). Growth exponents: least-squares slopes of log(median time) against log n.

Regenerate: python bench/speed_1d.py   (writes results/speed-1d.md; about 25 minutes on 2 cores)
Options: --out PATH, --repeats N (3), --sizes 100,200,400,1000,10000, --big 100000 (cvxnn alone, two-layer relu,
one run), --max-entries (30,000,000), --slow SECONDS (120), --quick (sizes 100,200 and 1 repeat: a smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BETA = 0.01
ROOT = Path(__file__).resolve().parent.parent


def data(n: int):
    from cvxnn.data import noisy_sine

    return noisy_sine(n, seed=n)


# ------------------------------------------------------------------------------------------------ the models
def architecture(model: str):
    import cvxnn

    return {"two-layer relu": cvxnn.TwoLayer("relu"), "two-layer leaky": cvxnn.TwoLayer("leaky"),
            "two-layer abs": cvxnn.TwoLayer("abs"), "two-layer sign": cvxnn.TwoLayer("sign"),
            "deep relu (L = 3)": cvxnn.Deep1D(3, "relu"), "deep abs (L = 3)": cvxnn.Deep1D(3, "abs")}[model]


MODELS = ["two-layer relu", "two-layer leaky", "two-layer abs", "two-layer sign", "deep relu (L = 3)",
          "deep abs (L = 3)"]
#: deep abs chains are solved by column generation over a dictionary of about 1.5 n^2 columns: the sizes it takes
MAX_N = {"deep abs (L = 3)": 400}


def reference_columns(model: str, n: int) -> int:
    m = n  # distinct points (noisy_sine has no repeats)
    return {"two-layer relu": 2 * m - 2, "two-layer leaky": 2 * m, "two-layer abs": m, "two-layer sign": m - 1,
            "deep relu (L = 3)": m * (m - 1) // 2, "deep abs (L = 3)": m * m + m * (m - 1) // 2}[model]


def reference_matrix(model: str, x: np.ndarray) -> np.ndarray:
    """The exact dictionary, written here with numpy (independent of cvxnn)."""
    t = np.unique(x)
    X = x[:, None]
    if model in ("two-layer relu", "two-layer leaky", "two-layer abs"):
        slope = {"two-layer relu": 0.0, "two-layer leaky": 0.1, "two-layer abs": -1.0}[model]
        act = (lambda u: np.maximum(u, slope * u)) if slope >= 0 else np.abs
        cols = [act(X - t[None, :])] + ([] if model == "two-layer abs" else [act(t[None, :] - X)])
        A = np.hstack(cols)
        return A[:, np.any(A != 0, axis=0)]
    if model == "two-layer sign":
        return np.sign(X - 0.5 * (t[:-1] + t[1:])[None, :])
    if model == "deep relu (L = 3)":
        a, b = np.triu_indices(t.size, k=1)
        return np.clip(X - t[a][None, :], 0.0, (t[b] - t[a])[None, :])
    # deep abs, L = 3: reflection features ||x - t_j| - |t_k - t_j|| and midpoint features ||x - c| - r||
    j, k = np.meshgrid(np.arange(t.size), np.arange(t.size), indexing="ij")
    refl = np.abs(np.abs(X - t[j.ravel()][None, :]) - np.abs(t[k.ravel()] - t[j.ravel()])[None, :])
    a, b = np.triu_indices(t.size, k=1)
    mid = np.abs(np.abs(X - (0.5 * (t[a] + t[b]))[None, :]) - (0.5 * (t[b] - t[a]))[None, :])
    return np.hstack([refl, mid])


def run_reference(model: str, x, y) -> dict:
    import cvxpy as cp

    t0 = time.perf_counter()
    A = reference_matrix(model, x)
    z, xi = cp.Variable(A.shape[1]), cp.Variable()
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ z + xi - y) + BETA * cp.norm1(z)))
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    return {"seconds": time.perf_counter() - t0, "objective": float(prob.value), "status": prob.status}


def run_cvxnn(model: str, x, y) -> dict:
    import cvxnn

    t0 = time.perf_counter()
    t = cvxnn.train(x, y, architecture(model), BETA)
    seconds = time.perf_counter() - t0
    c = t.certificate
    return {"seconds": seconds, "objective": c.objective, "globally_optimal": c.globally_optimal,
            "certified_gap": c.certified_gap, "units": t.network.width, "program": t.program.program_kind,
            "size": t.program.size}


# ------------------------------------------------------------------------------------------------ memory
def high_water_mb() -> float:
    """This process's peak resident set (MB): VmHWM of /proc/self/status, which starts afresh at exec (getrusage's
    ru_maxrss would keep the forking parent's high-water mark), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(which: str, model: str, n: int) -> None:
    """Run one case and print its peak resident set above the level after imports and data (JSON)."""
    import cvxnn  # noqa: F401  (imported before the baseline)
    import cvxpy  # noqa: F401

    x, y = data(n)
    base = high_water_mb()
    out = run_cvxnn(model, x, y) if which == "cvxnn" else run_reference(model, x, y)
    print(json.dumps({**out, "peak_mb": max(high_water_mb() - base, 0.0)}))


def peak_memory(which: str, model: str, n: int, timeout: float) -> float | None:
    cmd = [sys.executable, __file__, "--child", which, model, str(n)]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=True)
        return float(json.loads(out.stdout.strip().splitlines()[-1])["peak_mb"])
    except (subprocess.SubprocessError, ValueError, KeyError, IndexError):
        return None


# ------------------------------------------------------------------------------------------------ the table
def slope(ns, secs) -> float | None:
    pts = [(np.log(n), np.log(s)) for n, s in zip(ns, secs) if s is not None and s > 0]
    if len(pts) < 2:
        return None
    a = np.array(pts)
    return float(np.polyfit(a[:, 0], a[:, 1], 1)[0])


def fmt(v, spec=".3g", none="-"):
    return none if v is None else format(v, spec)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "results" / "speed-1d.md"))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sizes", default="100,200,400,1000,10000")
    p.add_argument("--big", type=int, default=100_000)
    p.add_argument("--max-entries", type=float, default=3e7)
    p.add_argument("--slow", type=float, default=120.0)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--child", nargs=3, metavar=("WHICH", "MODEL", "N"))
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    sizes = [100, 200] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeats = 1 if args.quick else args.repeats
    import cvxnn

    started = time.perf_counter()
    x0, y0 = data(20)
    for model in MODELS:  # warm up: imports, CVXPY's first compilation
        run_cvxnn(model, x0, y0)
        run_reference(model, x0, y0)
    rows = []
    for model in MODELS:
        for n in sizes:
            if n > MAX_N.get(model, 10**9):
                continue
            x, y = data(n)
            entries = n * reference_columns(model, n)
            do_ref = entries <= args.max_entries
            ours, refs = [], []
            for r in range(repeats):
                ours.append(run_cvxnn(model, x, y))
                if do_ref and (r == 0 or refs[0]["seconds"] <= args.slow):
                    refs.append(run_reference(model, x, y))
            med = float(np.median([o["seconds"] for o in ours]))
            ref_med = float(np.median([o["seconds"] for o in refs])) if refs else None
            last = ours[-1]
            row = {"model": model, "n": n, "program": last["program"], "size": last["size"], "cvxnn_s": med,
                   "runs": len(ours), "reference_s": ref_med, "reference_runs": len(refs),
                   "ratio": (ref_med / med) if ref_med else None, "certified": last["globally_optimal"],
                   "certified_gap": last["certified_gap"], "units": last["units"],
                   "rel_diff": (abs(last["objective"] - refs[-1]["objective"]) / abs(refs[-1]["objective"])
                                if refs else None),
                   "reference_status": refs[-1]["status"] if refs else ("too large" if not do_ref else "-"),
                   "dense_entries": entries}
            row["cvxnn_mb"] = peak_memory("cvxnn", model, n, timeout=1200)
            row["reference_mb"] = peak_memory("reference", model, n, timeout=1200) if do_ref else None
            rows.append(row)
            print(json.dumps(row), flush=True)
    big = None
    if args.big and not args.quick:
        x, y = data(args.big)
        big = run_cvxnn("two-layer relu", x, y)
        big["n"] = args.big
        big["peak_mb"] = peak_memory("cvxnn", "two-layer relu", args.big, timeout=3000)
        print(json.dumps(big), flush=True)
    write(rows, big, args, time.perf_counter() - started, cvxnn.__version__)
    return 0


def write(rows, big, args, elapsed, version) -> None:
    import clarabel
    import cvxpy

    lines = ["# Speed in one dimension: cvxnn against plain CVXPY + Clarabel on the dense dictionary", "",
             f"Regenerate with `python bench/speed_1d.py` (this run: {elapsed / 60:.1f} min; cvxnn {version}, "
             f"CVXPY {cvxpy.__version__}, Clarabel {clarabel.__version__}; Python {platform.python_version()}, "
             f"{platform.machine()}, {os.cpu_count()} CPUs, load average at the end "
             f"{os.getloadavg()[0]:.2f}). Data `noisy_sine(n, seed=n)`, beta = {BETA}.", "",
             "- `cvxnn_s`: `cvxnn.train` end to end (build, solve, noise and Caratheodory pruning, rebuild, "
             "certificate), median of the runs; `reference_s`: numpy columns + CVXPY + Clarabel at the same "
             "tolerances (1e-9) on the full dense dictionary, median, run interleaved with cvxnn in this process. "
             "`ratio` = reference_s / cvxnn_s (> 1: cvxnn is faster).",
             "- `rel_diff`: |cvxnn's certified objective - the reference's optimum| / the reference's optimum. "
             "`certified`: cvxnn's certificate, scope global. `units`: hidden units (chains) of the rebuilt net.",
             "- `*_mb`: peak resident memory above the level after imports and data, each case once more in a fresh "
             "process. `too large`: the dense reference would have more than "
             f"{args.max_entries:.3g} entries (not built).", "",
             "| model | n | cvxnn program | size | cvxnn_s | reference_s | ratio | rel_diff | certified | gap | units "
             "| cvxnn_mb | reference_mb |",
             "|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['n']} | {r['program']} | {r['size']:,} | {fmt(r['cvxnn_s'])} | "
                     f"{fmt(r['reference_s'], none=r['reference_status'])} | {fmt(r['ratio'], '.3g')} | "
                     f"{fmt(r['rel_diff'], '.1e')} | {r['certified']} | {r['certified_gap']:.1e} | {r['units']} | "
                     f"{fmt(r['cvxnn_mb'], '.0f')} | {fmt(r['reference_mb'], '.0f')} |")
    lines += ["", "## Growth exponents (time ~ n^k, least squares over the sizes run)", "",
              "| model | cvxnn k | reference k |", "|---|---:|---:|"]
    for model in MODELS:
        mine = [r for r in rows if r["model"] == model]
        k1 = slope([r["n"] for r in mine], [r["cvxnn_s"] for r in mine])
        k2 = slope([r["n"] for r in mine], [r["reference_s"] for r in mine])
        lines.append(f"| {model} | {fmt(k1, '.2f')} | {fmt(k2, '.2f')} |")
    if big is not None:
        lines += ["", f"## n = {big['n']:,} (two-layer relu, cvxnn alone, one run)", "",
                  f"{big['seconds']:.1f} s end to end, certified globally optimal: {big['globally_optimal']} "
                  f"(certified gap {big['certified_gap']:.2e}), {big['units']} units, peak memory "
                  f"{fmt(big['peak_mb'], '.0f')} MB above the baseline."]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
