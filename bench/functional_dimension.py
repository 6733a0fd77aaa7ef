"""Functional dimension (theory: "Functional dimension"): how often random nets reach the bound #params - #hidden
neurons, by depth and input dimension, and where certified convex optima stand (before and after the canonical form).

Regenerate: python bench/functional_dimension.py  (writes results/functional-dimension.md; a few minutes)
"""

import platform
import sys
from pathlib import Path

import numpy as np

import cvxnn
from cvxnn.functional import canonical_form, functional_dimension, random_fraction

TRIALS = 100


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


def optimum_rows(seeds=range(5)):
    rows = []
    models = [("two-layer relu", lambda: cvxnn.TwoLayer("relu"), 2), ("two-layer relu", lambda: cvxnn.TwoLayer("relu"), 4),
              ("two-layer abs", lambda: cvxnn.TwoLayer("abs"), 3), ("two-layer leaky", lambda: cvxnn.TwoLayer("leaky"), 2),
              ("deep-abs l1", lambda: cvxnn.DeepAbs(3, "l1"), 2), ("deep-abs l2", lambda: cvxnn.DeepAbs(3, "l2"), 2),
              ("deep-1d abs depth 3", lambda: cvxnn.Deep1D(3, "abs"), 1), ("deep-1d relu depth 3", lambda: cvxnn.Deep1D(3, "relu"), 1)]
    for name, make, d in models:
        reach = reach_canon = pairs = 0
        deficits, flat = [], []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            n = 10 if d <= 2 else 9
            X = rng.uniform(-1, 1, (n, d))
            y = np.sin(2 * X[:, 0]) + (X[:, 1] ** 2 if d > 1 else 0.0)
            tr = cvxnn.train(X, y, make(), beta=0.01)
            assert tr.certificate.certified
            fd = tr.functional_dimension()
            reach += fd["reaches_bound"]
            deficits.append(fd["deficit"])
            flat.append(_two_layer_chains(tr.network))
            pairs += len(fd["parallel_pairs"])
            canon = fd["canonical"] or fd
            reach_canon += canon["reaches_bound"]
        rows.append({"model": name, "d": d, "instances": len(seeds), "parameters": fd["parameters"],
                     "reach bound": reach, "deficits": " ".join(map(str, deficits)),
                     "abs chains with a2 = 0": " ".join(map(str, flat)) if None not in flat else "",
                     "parallel pairs (total)": pairs, "reach bound after canonical form": reach_canon})
        print(rows[-1], flush=True)
    return rows


def _two_layer_chains(net):
    """Abs chains whose second offset a2 is 0 (a two-layer feature inside a three-layer chain); None otherwise."""
    units = net.meta.get("units") or []
    if net.meta.get("model") not in ("deep-abs", "deep-1d") or net.layers[0].activation.name != "abs":
        return None
    a2 = [u["a2"] if "a2" in u else u["a"][1] for u in units]
    return sum(abs(v) <= 1e-12 for v in a2)


def table(rows):
    cols = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.2f}" if isinstance(v, float) else str(v)  # noqa: E731
    return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)] +
                     ["| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |" for r in rows])


def main(out="results/functional-dimension.md"):
    rnd = random_rows()
    opt = optimum_rows()
    text = [
        "# Functional dimension",
        "",
        "Regenerate: `python bench/functional_dimension.py`",
        "",
        f"Machine: {platform.machine()}, Python {sys.version.split()[0]}, cvxnn {cvxnn.__version__}. Rank of the "
        "parameter Jacobian of the outputs on a wide batch (Gaussian points at radii 0.1 to 100 around the data, "
        "the data, and pairs straddling every neuron's hyperplane), column-equilibrated SVD; bound = #params - "
        "#hidden neurons (one rescaling per neuron).",
        "",
        f"## Random nets: fraction reaching the bound ({TRIALS} nets each, weights and biases N(0, 1))",
        "",
        table(rnd),
        "",
        "## Certified convex optima (beta = 0.01, seeded instances)",
        "",
        "Two-layer nets count every stored parameter; parallel-chain nets (deep-1d, deep-abs) their structural "
        "parameters (biases and nonzero weights; the stored hidden-to-hidden layers are diagonal). The canonical "
        "form merges parallel-hyperplane neurons of the first hidden layer and removes dead ones (two-layer nets "
        "only: merging would leave the chain architecture). A three-layer abs chain with a2 = 0 has dJ/db2 = alpha "
        "* 1, the output bias's direction: for the abs models the deficit equals the number of such chains.",
        "",
        table(opt),
        "",
    ]
    Path(out).write_text("\n".join(text))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
