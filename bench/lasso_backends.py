"""Clarabel (through CVXPY) vs the native Lasso backends (sklearn, celer, skglm) on growing 1-D dictionaries.

Every solve runs in this one process at high accuracy on the same program; each result is judged by cvxnn's
certificate (the solver's dual for Clarabel, the residual for the native backends: the same tolerances). The
backends are interleaved (clarabel, sklearn, celer, skglm, clarabel, ...) ``--repeats`` times per size and the table
shows medians and their ratio to Clarabel's; a backend slower than ``--skip-after`` seconds is not repeated. Peak
memory: each (size, backend) once more in a forked child, its peak resident set above the level at the fork.

Regenerate: python bench/lasso_backends.py  (writes results/lasso-backends.md; about 10 minutes on 2 cores)
Options: --out PATH, --solvers clarabel,sklearn,celer,skglm, --repeats R (default 3), --skip-after SECONDS (a
backend slower than this on one size is not repeated, nor run on the larger sizes of the same model; default 10),
--budget SECONDS (no native run starts after this much time; default 720). With --skip-after 1e9 --budget 1e9
everything runs (an hour and more: sklearn alone took 650 s on the 9,402-column program without reaching the
target).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import cvxnn
from cvxnn.certify import certify
from cvxnn.data import noisy_sine
from cvxnn.solvers import ADAPTERS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import peak_mb  # noqa: E402 - the bench folder is not a package

BETA = 0.01
#: (family, depth, n): Deep1D(depth, 'abs') on noisy_sine(n, seed=n), every column in one program
CASES = [("deep3", 3, 20), ("deep3", 3, 40), ("deep3", 3, 80),
         ("deep4", 4, 12), ("deep4", 4, 14), ("deep4", 4, 16)]


def warm_up(solvers) -> dict:
    """One tiny solve per backend first, so that imports and JIT compilation (skglm: numba) are not timed."""
    x, y = noisy_sine(8, seed=0)
    out = {}
    for s in solvers:
        t0 = time.perf_counter()
        cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.1, solver=s, accuracy="low")
        out[s] = time.perf_counter() - t0
    return out


def run_case(family, depth, n, solver, accuracy="high"):
    x, y = noisy_sine(n, seed=n)
    prog = cvxnn.build(x, y, cvxnn.Deep1D(depth, "abs", column_generation=False), beta=BETA)
    t0 = time.perf_counter()
    res = prog.solve(solver=solver, accuracy=accuracy)
    t_solve_call = time.perf_counter() - t0
    cert = certify(prog, res)
    total = time.perf_counter() - t0
    run = res.run
    return {
        "family": family, "depth": depth, "n": n, "columns": prog.size, "solver": solver, "accuracy": accuracy,
        "solver_s": run.times["wall"],  # the adapter call: CVXPY compile + Clarabel, or centring + native solves
        "compile_s": run.times.get("compile") or 0.0,
        "post_s": t_solve_call - run.times["wall"],  # Caratheodory pruning + rebuilding the network
        "total_s": total,  # solve() + certify()
        "status": run.status, "certified": cert.certified, "objective": res.convex_objective,
        "certified_gap": cert.certified_gap, "dual_violation": cert.dual_violation - 1.0,
        "iterations": run.iterations, "nnz": int(np.count_nonzero(res.z)), "units": res.network.width,
        "note": run.raw_status if ADAPTERS[solver].native_lasso else "",
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="results/lasso-backends.md")
    p.add_argument("--solvers", default="clarabel,sklearn,celer,skglm")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-after", type=float, default=10.0)
    p.add_argument("--budget", type=float, default=720.0)
    args = p.parse_args(argv)
    solvers = [s for s in args.solvers.split(",") if s]
    missing = [s for s in solvers if not ADAPTERS[s].is_installed()]
    if missing:
        raise SystemExit(f"not installed: {missing}; pip install 'cvxnn[lasso]'")
    if args.repeats < 1:
        raise SystemExit(f"--repeats must be at least 1; received {args.repeats}.")
    t_start = time.perf_counter()
    warm = warm_up(solvers)
    print("warm-up (imports, JIT):", {k: round(v, 2) for k, v in warm.items()}, flush=True)
    rows, slow = [], {}
    for family, depth, n in CASES:
        runs = {}
        for rep in range(args.repeats):  # interleaved: every backend once per repeat
            for s in solvers:
                if rep == 0 and s != "clarabel" and time.perf_counter() - t_start > args.budget \
                        and (family, s) not in slow:
                    slow[family, s] = f"time budget of {args.budget:g} s used up"
                if (family, s) in slow and s not in runs:
                    continue
                if rep > 0 and runs[s][0]["solver_s"] > args.skip_after:
                    continue  # a slow backend runs once
                runs.setdefault(s, []).append(run_case(family, depth, n, s))
        for s in solvers:
            if s not in runs:
                rows.append({"family": family, "depth": depth, "n": n, "solver": s, "accuracy": "high",
                             "note": f"skipped: {slow[family, s]}"})
                print(f"{family} n={n} {s}: skipped", flush=True)
                continue
            row = dict(runs[s][0])  # the first run's outcome (certificate, status, iterations, ...)
            row["runs"] = len(runs[s])
            row["solver_s"] = statistics.median(r["solver_s"] for r in runs[s])
            row["total_s"] = statistics.median(r["total_s"] for r in runs[s])
            row["certified_runs"] = sum(bool(r["certified"]) for r in runs[s])
            row["peak_mb"] = peak_mb(run_case, family, depth, n, s)
            rows.append(row)
            print(f"{family} n={n} cols={row['columns']} {s}: solver {row['solver_s']:.3f}s total "
                  f"{row['total_s']:.3f}s ({row['runs']} runs) certified={row['certified']} peak "
                  f"{row['peak_mb']} MB {row['note']}", flush=True)
            if runs[s][0]["solver_s"] > args.skip_after:
                slow[family, s] = f"{runs[s][0]['solver_s']:.0f} s at n = {n}"
    elapsed = time.perf_counter() - t_start
    write_report(rows, warm, elapsed, args)


def write_report(rows, warm, elapsed, args):
    import pandas as pd

    ref = {(r["family"], r["n"]): r for r in rows if r["solver"] == "clarabel" and "solver_s" in r}
    table = []
    for r in rows:
        c = ref.get((r["family"], r["n"]))
        done = "solver_s" in r
        if not done:
            table.append({"model": f"Deep1D({r['depth']}, abs)", "n": r["n"], "columns": c["columns"] if c else "",
                          "solver": r["solver"], "status": "skipped (see below)"})
            continue
        table.append({
            "model": f"Deep1D({r['depth']}, abs)", "n": r["n"], "columns": r.get("columns", ""),
            "solver": r["solver"],
            "runs": r["runs"],
            "solver_s": round(r["solver_s"], 3) if done else None,
            "ratio_vs_clarabel": round(r["solver_s"] / c["solver_s"], 2) if done and c else None,
            "total_s": round(r["total_s"], 3) if done else None,
            "total_ratio": round(r["total_s"] / c["total_s"], 2) if done and c else None,
            "peak_mb": r["peak_mb"],
            "certified": (str(r["certified_runs"] == r["runs"]) if r["certified_runs"] in (0, r["runs"])
                          else f"{r['certified_runs']} of {r['runs']}"),
            "status": r.get("status", ""),
            "rel_obj_vs_clarabel": (f"{(r['objective'] - c['objective']) / max(1.0, abs(c['objective'])):.1e}"
                                    if done and c else ""),
            "certified_gap": f"{r['certified_gap']:.1e}" if done else "",
            "dual_violation": f"{r['dual_violation']:.1e}" if done else "",
            "iterations": str(r["iterations"]), "nnz": r["nnz"],
        })
    notes = [f"- {r['solver']}, Deep1D({r['depth']}, abs), n = {r['n']}: {r['note']}" for r in rows if r.get("note")]
    versions = ", ".join(f"{s} {ADAPTERS[s].version()}" for s in args.solvers.split(",") if s)
    text = [
        "# Native Lasso backends vs Clarabel on 1-D dictionaries",
        "",
        f"Generated by `python bench/lasso_backends.py` in {elapsed:.0f} s (cvxnn {cvxnn.__version__}, {versions}; "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; load average "
        f"{os.getloadavg()[0]:.1f} at the end). One process: per size the backends are interleaved (each once per "
        f"repeat, {args.repeats} repeats) and the times are medians over `runs`. Data `noisy_sine(n, seed=n)`, "
        "beta = 0.01, `cvxnn.Deep1D(depth, 'abs', column_generation=False)` (every column in one program), accuracy "
        "`high` for every solver.",
        "",
        "- `solver_s`: the solver adapter call (Clarabel: CVXPY compilation + solve; native: centring + every "
        "solve of the refinement loop, see `cvxnn/solvers/native.py`). `ratio_vs_clarabel` = median solver_s / "
        "Clarabel's median solver_s on the same program (> 1: slower than Clarabel).",
        "- `total_s`: `program.solve()` (solver, Caratheodory pruning, network rebuild) + `certify()`; "
        "`total_ratio` likewise. Clarabel's interior-point solutions are dense, so its pruning step costs more.",
        f"- `runs`: timed runs (a backend slower than {args.skip_after:g} s runs once). `peak_mb`: one more run in a "
        "forked child, its peak resident memory above the level at the fork (imports and compiled code not "
        "counted; solver-internal memory included).",
        "- `certified`: cvxnn's certificate in every timed run (\"k of R\" otherwise): certified gap, from the dual "
        "point scaled into feasibility, <= 1e-9 + 1e-6 |objective|, and reconstruction gap <= 1e-6; "
        "`dual_violation` is reported, not a pass condition; from Clarabel's dual vector or from the native "
        "solution's residual. The other columns are the first run's.",
        "- `rel_obj_vs_clarabel`: (objective - Clarabel's) / max(1, |Clarabel's|) of the convex objective; "
        "negative: below Clarabel's (which is optimal only to its own tolerance). `iterations`: interior-point "
        "iterations (Clarabel), coordinate-descent epochs (sklearn), working-set rounds (celer, skglm), summed "
        "over the refinement loop. `nnz`: nonzeros of the convex solution before pruning.",
        "- Warm-up (imports, numba JIT of skglm) before timing: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in warm.items()) + ".",
        f"- A backend slower than {args.skip_after:g} s on one size is skipped on the larger sizes of that model, "
        f"and no native size starts after {args.budget:g} s (`--skip-after`, `--budget`).",
        "",
        pd.DataFrame(table).astype(object).fillna("").to_markdown(index=False),
        "",
        "## Native runs: refinement-loop outcome",
        "",
        *notes,
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(text))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
