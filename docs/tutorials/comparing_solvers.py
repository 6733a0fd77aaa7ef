# %% [markdown]
# # Comparing solvers with `cvxnn bench`
#
# Every convex program in cvxnn can be handed to several solvers. A solver's own status (`optimal`) is a claim
# about its own stopping test; cvxnn judges each run by its **certificate** instead (certified gap from the scaled
# dual point at most $10^{-9} + 10^{-6}|\text{objective}|$, and the rebuilt net's objective equal to the convex
# optimum to the same tolerance). `cvxnn bench` runs problems x solvers x accuracies, one row per run, and writes a
# report. This tutorial runs a small comparison and reads it.

# %%
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]  # the repository (the problem files live in problems/)
OUT = Path(os.environ.get("CVXNN_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="cvxnn-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## A run
#
# Three problem files (a two-layer abs net on 12 points, an l1-normalised abs net on 12 points in 2-D, depth-3 abs
# chains on 20 points), two solvers (Clarabel, an interior-point method, and SCS, a first-order splitting method),
# two accuracies (`low`: tolerances $10^{-3}$, `high`: $10^{-9}$, translated into each solver's own options). The
# same command works in a shell.

# %%
problems = [ROOT / "problems" / f for f in ("sine12-abs.toml", "wedge2d-abs-l1.toml", "sine20-abs-deep3.toml")]
command = [sys.executable, "-m", "cvxnn", "bench", *map(str, problems), "--solvers", "clarabel,scs",
           "--accuracy", "low,high", "--out", str(OUT / "bench")]
run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
print(f"$ cvxnn bench {' '.join(p.relative_to(ROOT).as_posix() for p in problems)} "
      f"--solvers clarabel,scs --accuracy low,high --out OUT/bench")
print(f"exit status {run.returncode}")
print("\n".join(run.stdout.splitlines()[-8:]))

# %% [markdown]
# The exit status is 0 because every **reference** row (Clarabel at high accuracy) is certified: the bench exits
# non-zero only when a reference row is not. The other rows are data.
#
# ## Reading the rows
#
# `OUT/bench/runs.csv` has one row per run (it is also how an interrupted bench resumes). The columns to read first:
# `status` (the solver's claim), `certified` (cvxnn's verdict), `certified_gap`, `rel_error` (the objective against
# the best certified objective of that problem) and `wall_s` (the solver call, CVXPY's compilation included).

# %%
rows = pd.read_csv(OUT / "bench" / "runs.csv")
view = rows[["problem", "solver", "accuracy", "status", "certified", "certified_gap", "rel_error", "wall_s"]]
with pd.option_context("display.width", 120, "display.precision", 3):
    print(view.to_string(index=False))

# %% [markdown]
# At low accuracy both solvers say `optimal`, yet no run is certified: their solutions are within about $10^{-3}$
# of the optimum, which is what was asked, but $10^{-3}$ is not a proof of optimality to $10^{-6}$. The certificate's
# tolerances do not loosen with the requested accuracy, so a low-accuracy solve is simply not certified. That is
# what the report's `correct` column counts: runs where the solver's claim (`optimal`) agrees with the certificate.

# %%
low, high = rows[rows["accuracy"] == "low"], rows[rows["accuracy"] == "high"]
assert (low["status"] == "optimal").all() and not low["certified"].any()  # what the text above says
assert high["certified"].all()
table = pd.crosstab([rows["solver"], rows["accuracy"]], [rows["status"], rows["certified"]])
print(table)

# %% [markdown]
# ## Shifted geometric means
#
# Times are summarised by the **shifted geometric mean** $\exp\bigl(\tfrac1k\sum_i \log(t_i + s)\bigr) - s$ with a
# shift $s$ of 10 ms (so that tiny times do not dominate a ratio), and a run that is not certified is charged 10 times
# the largest time in the column. We recompute the high-accuracy wall-time means from the rows and compare them with
# the report's table.

# %%
def shifted_geometric_mean(seconds, shift=0.010):
    return float(np.exp(np.mean(np.log(np.asarray(seconds) + shift))) - shift)


ran = rows[rows["status"] != "skipped"]
worst = ran["wall_s"].max()
for (solver, accuracy), g in ran.groupby(["solver", "accuracy"]):
    charged = np.where(g["certified"], g["wall_s"], 10 * worst)
    print(f"{solver:9s} {accuracy:5s} wall sgm {1000 * shifted_geometric_mean(charged):10.4g} ms")

report = (OUT / "bench" / "report.md").read_text()
section = report.split("## Success and correctness")[1].split("## ")[0]
print("\n".join(line for line in section.splitlines() if line.startswith("|")))

# %% [markdown]
# The report (`OUT/bench/report.md`) also has the machine and versions, the options passed to each solver, where
# the time goes (build, compile, solve), a beta path (one compiled program re-solved for several betas: the programs
# are DPP, so CVXPY compiles only once), the fastest certified backend per problem class, a performance profile
# (`profile.png`) and every run that was not certified. The site's [benchmarks](../benchmarks/index.md) pages are
# such reports, on the problem library's small and medium suites.

# %%
print("sections:", [line[3:] for line in report.splitlines() if line.startswith("## ")])
print(f"report and profile written to {OUT / 'bench'}")
