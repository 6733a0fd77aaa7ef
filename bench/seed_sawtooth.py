"""Depth and sawtooths (Yarotsky 2017, arXiv 1610.01145) in the exact setting: the least weight cost (min l1 of an
exact fit, the beta -> 0 limit) of Yarotsky's sawtooths g_1, g_2, g_3 and of x^2 on the grid k/16, by parallel
absolute-value chains of depth 2 to 5, with and without a free linear (skip) term.

g(x) = 1 - |2x - 1| is one absolute-value unit and g_s is its s-fold composition. Depths 2 to 4 are solved exactly
(``cvxnn.Deep1D(L, 'abs')`` in interpolation mode: the vertex dictionary, by column generation when large) and
certified. Depth 5 on 17 points has a dictionary of about 89 million vertex candidates, over the budget: the depth-4
optimum, which is a depth-5 net (a last level a_4 = 0), is certified at depth 5 by ``cvxnn.certify_network`` with
the vertex oracle streamed (no dictionary). Yarotsky's own construction of x^2, x - sum_{s=1}^{4} g_s(x) / 4^s, is
four parallel chains of depth 5 plus the linear term, built here from the closed form and certified the same way.

Regenerate: python bench/seed_sawtooth.py   (writes results/seed-sawtooth.md; about 10 minutes on 2 cores, most of
it the streamed depth-5 oracle)
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

import cvxnn
from cvxnn.models.chains_1d import AbsChainDictionary1D

GRID = np.arange(17) / 16
DEPTHS = (2, 3, 4)


def tooth(x):
    return 1.0 - np.abs(2.0 * x - 1.0)


def sawtooth(s: int):
    def g(x):
        for _ in range(s):
            x = tooth(x)
        return x
    return g


TARGETS = {"g_1": sawtooth(1), "g_2": sawtooth(2), "g_3": sawtooth(3), "x^2": lambda x: x * x}


def architecture(depth: int, linear: bool):
    return cvxnn.TwoLayer("abs", linear_term=linear) if depth == 2 else cvxnn.Deep1D(depth, "abs", linear_term=linear)


def exact(target: str, depth: int, linear: bool) -> dict:
    """The certified minimum-norm interpolant at depths 2-4."""
    t0 = time.perf_counter()
    y = TARGETS[target](GRID)
    tr = cvxnn.train(GRID, y, architecture(depth, linear), mode="interpolation")
    return {"target": target, "depth": depth, "linear": linear, "min_l1": tr.result.convex_objective,
            "units": tr.network.width, "certified": tr.certificate.globally_optimal,
            "how": "solved" + (" (column generation)" if "column generation" in tr.program.program_kind else ""),
            "seconds": time.perf_counter() - t0, "network": tr.network}


def deeper(net, target: str, depth: int, linear: bool) -> dict:
    """A depth-(L-1) chain net as a depth-L one (one more level with a = 0: |h - 0| = h for h >= 0), certified at
    depth L by the streamed oracle."""
    t0 = time.perf_counter()
    units = net.meta["units"]
    params = np.zeros((len(units), depth - 1))
    z = np.array([u["z"] for u in units])
    for i, u in enumerate(units):
        a = u["a"] if "a" in u else [u["breakpoint"]]
        params[i, :len(a)] = a
    xi = float(net.layers[-1].bias[0])
    y = TARGETS[target](GRID)
    deep = AbsChainDictionary1D(GRID, params, depth).to_network(z, xi, y, 1.0, "free", cvxnn.Deep1D(depth, "abs"))
    if linear:
        deep.linear = np.asarray(net.linear, dtype=np.float64)
    assert np.max(np.abs(deep.predict(GRID) - y)) < 1e-9
    c = cvxnn.certify_network(deep, GRID, y, mode="interpolation")
    return {"target": target, "depth": depth, "linear": linear, "min_l1": c.objective if c.certificate.certified
            else None, "upper": c.objective, "units": deep.width, "certified": c.certificate.globally_optimal,
            "lower_bound": c.lower_bound, "how": "depth-4 optimum, certified by the streamed oracle",
            "seconds": time.perf_counter() - t0}


def yarotsky_chain() -> dict:
    """x^2 = x - sum_{s=1}^{4} g_s / 4^s on k/16: g_s = 1 - 2^s |...||x - 1/2| - 1/4| ... - 2^-s|, so the net is four
    chains a = (1/2, ..., 2^-s) with coefficients 2^-s, the intercept -sum 4^-s and the linear term x."""
    t0 = time.perf_counter()
    y = GRID ** 2
    params = np.zeros((4, 4))
    for s in range(1, 5):
        params[s - 1, :s] = [2.0 ** -k for k in range(1, s + 1)]
    z = np.array([2.0 ** -s for s in range(1, 5)])
    xi = -sum(4.0 ** -s for s in range(1, 5))
    net = AbsChainDictionary1D(GRID, params, 5).to_network(z, xi, y, 1.0, "free", cvxnn.Deep1D(5, "abs"))
    net.linear = np.array([1.0])
    fit = float(np.max(np.abs(net.predict(GRID) - y)))
    c = cvxnn.certify_network(net, GRID, y, mode="interpolation")
    return {"weight_cost": c.objective, "lower_bound": c.lower_bound, "certified": c.certificate.globally_optimal,
            "gap": c.certificate.certified_gap, "fit": fit, "units": net.width, "seconds": time.perf_counter() - t0,
            "dual_source": c.certificate.dual_source}


def fmt(v, spec=".6g"):
    return "-" if v is None else format(v, spec)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "results" / "seed-sawtooth.md"))
    args = p.parse_args(argv)
    started = time.perf_counter()
    rows = []
    for target in TARGETS:
        for linear in (False, True) if target == "x^2" else (False,):
            last = None
            for depth in DEPTHS:
                last = exact(target, depth, linear)
                rows.append(last)
                print(target, depth, linear, fmt(last["min_l1"]), last["units"], flush=True)
            rows.append(deeper(last["network"], target, 5, linear))
            print(target, 5, linear, rows[-1], flush=True)
    chain = yarotsky_chain()
    print(chain, flush=True)
    lines = ["# Depth and sawtooths: the least weight cost of exact fits, depth 2 to 5", "",
             f"Regenerate: `python bench/seed_sawtooth.py` (this run: {(time.perf_counter() - started) / 60:.1f} min, "
             f"cvxnn {cvxnn.__version__}, Python {platform.python_version()}). Data: the 17 points k/16, "
             "targets g_s (Yarotsky's sawtooth, the s-fold composition of g(x) = 1 - |2x - 1|) and x^2; models "
             "`cvxnn.TwoLayer('abs')` (depth 2) and `cvxnn.Deep1D(L, 'abs')` (parallel absolute-value chains, depth "
             "L), minimum-norm interpolation (min l1 of an exact fit, the beta -> 0 limit).", "",
             "- `min l1`: the certified minimum weight cost (scope global). Depths 2-4: the convex program solved; "
             "depth 5: the depth-4 optimum as a depth-5 net, certified with the vertex oracle streamed (the "
             "depth-5 dictionary, about 89 million vertex candidates, is over the budget).",
             "- `units`: parallel chains of the certified net (one optimum; the optimal face may hold others).", "",
             "| target | linear term | depth | min l1 | units | certified | how |", "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r['target']} | {'yes' if r['linear'] else 'no'} | {r['depth']} | {fmt(r['min_l1'])} | "
                     f"{r['units']} | {'yes' if r['certified'] else 'no'} | {r['how']} |")
    lines += ["", "## Yarotsky's x^2 chain at depth 5", "",
              "x^2 = x - sum_{s=1}^{4} g_s(x) / 4^s on k/16, written as four parallel depth-5 absolute-value chains "
              "(chain s has levels 1/2, 1/4, ..., 2^-s and coefficient 2^-s) plus the linear term x, built from the "
              "closed form and certified by `cvxnn.certify_network(net, x, y, mode='interpolation')`.", "",
              "| weight cost | lower bound | certified gap | certified | max fit error | units | dual point |",
              "|---:|---:|---:|---|---:|---:|---|",
              f"| {chain['weight_cost']:.10g} | {fmt(chain['lower_bound'], '.10g')} | {chain['gap']:.1e} | "
              f"{'yes' if chain['certified'] else 'no'} | {chain['fit']:.1e} | {chain['units']} | "
              f"{chain['dual_source']} |", ""]
    by = {(r["target"], r["linear"], r["depth"]): r for r in rows}
    g3 = [by[("g_3", False, d)]["min_l1"] for d in (2, 3, 4)]
    x2 = [by[("x^2", True, d)]["min_l1"] for d in (2, 3, 4, 5)]
    x2_plain = [by[("x^2", False, d)]["min_l1"] for d in (2, 3, 4, 5)]
    lines += ["## What the claims become here", "",
              f"- Depth pays for the sawtooth: g_3 costs {fmt(g3[0])} at depth 2 "
              f"({by[('g_3', False, 2)]['units']} units), {fmt(g3[1])} at depth 3 and {fmt(g3[2])} at depth 4 "
              f"({by[('g_3', False, 4)]['units']} unit: Yarotsky's construction, a chain with mirrors at 1/2, 1/4, "
              "1/8), and no less at depth 5.",
              f"- x^2 costs the same at every depth: {', '.join(fmt(v) for v in x2)} with a free linear term "
              f"(1 - 2^-4 = 0.9375), {', '.join(fmt(v) for v in x2_plain)} with the intercept alone (the linear part x "
              "then costs 1 more). Depth buys nothing for x^2 on this grid: the shallow spline and Yarotsky's deep "
              "chain are both optimal, a degenerate optimal face.",
              f"- Yarotsky's depth-5 chain for x^2 is a certified global optimum of the depth-5 problem (weight cost "
              f"{chain['weight_cost']:.6g}, certified gap {chain['gap']:.1e}), from its own units and the units the "
              "streamed oracle ranks highest (a dual point refined without changing the net).", ""]
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
