"""Tables for people: rows of results formatted with pandas + tabulate, and the solver-comparison report.

The pure helpers (:func:`shifted_geometric_mean`, :func:`success_and_correct_rates`, :func:`performance_profile`)
take plain tables; :func:`write_report` turns the rows of :func:`cvxnn.bench.run_bench` into a markdown report
with a performance-profile plot next to it. Every judgement is cvxnn's certificate (the ``certified`` column),
never the solver's status.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .certify import TOL_ABS, TOL_FIT, TOL_RECONSTRUCTION, TOL_REL
from .solvers import ADAPTERS

DEFAULT_COLUMNS = ["problem", "n", "activation", "beta", "dictionary_size", "solver", "accuracy", "status",
                   "certified", "scope", "objective", "rel_error", "certified_gap", "reconstruction_gap",
                   "dual_violation", "n_active", "iterations", "wall_s"]

#: shifts of the shifted geometric means: 10 ms for times, 1e-10 for certified gaps
TIME_SHIFT = 0.01
GAP_SHIFT = 1e-10
#: failed runs are charged the time limit, or this multiple of the largest observed time when there is none
FAILURE_FACTOR = 10.0


def format_table(rows, columns=None) -> str:
    """A markdown table of ``rows`` with the given columns (those present); missing values print as '-'."""
    frame = pd.DataFrame(rows)
    columns = [c for c in (columns or DEFAULT_COLUMNS) if c in frame.columns]
    frame = frame[columns].astype(object)
    frame = frame.where(frame.notna(), None)
    return frame.to_markdown(index=False, floatfmt=".4g", missingval="-")


# ------------------------------------------------------------------------------------------- pure helpers

def shifted_geometric_mean(values, shift: float) -> float:
    """``exp(mean(log(v + shift))) - shift``: a geometric mean that small values (a few ms, gaps near 0) cannot
    dominate. Values must be >= 0 and not NaN; an empty input gives NaN."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if shift <= 0:
        raise ValueError(f"shift must be > 0; received {shift}.")
    if v.size == 0:
        return float("nan")
    if np.isnan(v).any() or (v < 0).any():
        raise ValueError("shifted_geometric_mean needs values >= 0 without NaN; "
                         f"received min {np.nanmin(v) if not np.isnan(v).all() else 'nan'} and "
                         f"{int(np.isnan(v).sum())} NaN.")
    return float(np.exp(np.mean(np.log(v + shift))) - shift)


def _bool_series(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.map(lambda v: v if isinstance(v, (bool, np.bool_)) else
                 str(v).strip().lower() in ("true", "1", "1.0", "yes")).astype(bool)


def success_and_correct_rates(frame) -> pd.DataFrame:
    """Per (solver, accuracy): runs, certified, success_rate = certified / runs, claimed (status 'optimal'),
    correct (the claim agrees with the certificate: 'optimal' iff certified), correct_rate = correct / runs,
    false_claims ('optimal' but not certified) and missed (certified although the status was not 'optimal').
    Needs the columns solver, accuracy, status, certified."""
    df = pd.DataFrame(frame).copy()
    df["_cert"] = _bool_series(df["certified"])
    df["_claim"] = df["status"].astype(str) == "optimal"
    df["_correct"] = df["_cert"] == df["_claim"]
    df["_false"] = df["_claim"] & ~df["_cert"]
    df["_missed"] = ~df["_claim"] & df["_cert"]
    out = df.groupby(["solver", "accuracy"], sort=False).agg(
        runs=("_cert", "size"), certified=("_cert", "sum"), claimed=("_claim", "sum"), correct=("_correct", "sum"),
        false_claims=("_false", "sum"), missed=("_missed", "sum")).reset_index()
    out["success_rate"] = out["certified"] / out["runs"]
    out["correct_rate"] = out["correct"] / out["runs"]
    cols = ["solver", "accuracy", "runs", "certified", "success_rate", "claimed", "correct", "correct_rate",
            "false_claims", "missed"]
    return out[cols]


def charged_times(frame, column: str = "wall_s", time_limit: float | None = None) -> pd.Series:
    """The times of ``column`` with every run that is not certified charged a penalty: the time limit, or when
    there is none, FAILURE_FACTOR x the largest time observed in the column. Certified runs without a time are NaN."""
    df = pd.DataFrame(frame)
    t = pd.to_numeric(df[column], errors="coerce").astype(float)
    ok = _bool_series(df["certified"])
    if time_limit is not None and np.isfinite(time_limit):
        charge = float(time_limit)
    else:
        largest = t.max(skipna=True)
        charge = FAILURE_FACTOR * (float(largest) if pd.notna(largest) and largest > 0 else 1.0)
    return t.where(ok, charge)


def time_means(frame, column: str = "wall_s", time_limit: float | None = None,
               shift: float = TIME_SHIFT) -> pd.DataFrame:
    """Per (solver, accuracy): the shifted geometric mean of ``column`` (failures charged, see
    :func:`charged_times`) and that mean divided by the best one at the same accuracy (best solver = 1)."""
    df = pd.DataFrame(frame).copy()
    df["_t"] = charged_times(df, column, time_limit)
    rows = []
    for (solver, acc), g in df.groupby(["solver", "accuracy"], sort=False):
        vals = g["_t"].dropna()
        rows.append({"solver": solver, "accuracy": acc, "sgm": shifted_geometric_mean(vals, shift)})
    out = pd.DataFrame(rows, columns=["solver", "accuracy", "sgm"])
    best = out.groupby("accuracy")["sgm"].transform("min")
    out["relative"] = (out["sgm"] / best).where(best > 0)
    return out


def performance_profile(frame, taus, time_col: str = "wall_s", by: str = "solver") -> pd.DataFrame:
    """Dolan-More performance profile: for each ``by`` value (solver) and each tau, the fraction of problems it
    solved AND cvxnn certified within tau x the best time any of them took on that problem.

    Several rows of one (problem, solver) (repeats, or several accuracies when ``by`` is 'solver') are merged:
    median time, solved only if every one is certified. The denominator is every problem in ``frame``; a problem
    nobody certified counts against everyone. Returns a frame indexed by tau with one column per ``by`` value."""
    df = pd.DataFrame(frame).copy()
    df["_ok"] = _bool_series(df["certified"])
    df["_t"] = pd.to_numeric(df[time_col], errors="coerce").astype(float)
    g = df.groupby(["problem", by], sort=False).agg(t=("_t", "median"), ok=("_ok", "all")).reset_index()
    solved = g["ok"] & g["t"].notna()
    best = g[solved].groupby("problem")["t"].min()
    ratio = g["t"] / g["problem"].map(best).clip(lower=1e-12)
    g["ratio"] = ratio.where(solved, np.inf).fillna(np.inf)
    n_problems = df["problem"].nunique()
    taus = np.asarray(list(taus), dtype=float)
    out = pd.DataFrame(index=pd.Index(taus, name="tau"))
    for key in dict.fromkeys(df[by]):
        r = g.loc[g[by] == key, "ratio"].to_numpy()
        out[key] = [float((r <= tau * (1 + 1e-12)).sum()) / n_problems if n_problems else float("nan")
                    for tau in taus]
    return out


def plot_performance_profile(frame, path, time_col: str = "wall_s") -> Path:
    """One panel per accuracy: the performance profile of every solver (matplotlib, Agg canvas, imported here)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    df = pd.DataFrame(frame)
    accuracies = list(dict.fromkeys(df["accuracy"]))
    fig = Figure(figsize=(5.2 * len(accuracies) + 1.0, 3.8), constrained_layout=True)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(accuracies), squeeze=False)[0]
    for ax, acc in zip(axes, accuracies):
        sub = df[df["accuracy"] == acc]
        coarse = performance_profile(sub, [1.0], time_col)
        # the largest finite ratio sets the x range
        g = sub.assign(_t=pd.to_numeric(sub[time_col], errors="coerce"), _ok=_bool_series(sub["certified"]))
        ok = g[g["_ok"] & g["_t"].notna()]
        top = 2.0
        if len(ok):
            best = ok.groupby("problem")["_t"].min().clip(lower=1e-12)
            top = max(2.0, float((ok["_t"] / ok["problem"].map(best)).max()) * 1.1)
        taus = np.geomspace(1.0, top, 400)
        prof = performance_profile(sub, taus, time_col)
        for solver in coarse.columns:
            ax.step(taus, prof[solver].to_numpy(), where="post", label=str(solver))
        ax.set_xscale("log")
        from matplotlib.ticker import FuncFormatter

        if top < 20:
            ax.set_xticks([t for t in (1, 1.5, 2, 3, 5, 10, 15) if t <= top])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(f"tau (time <= tau x best, {time_col})")
        ax.set_ylabel("fraction solved and certified")
        ax.set_title(f"accuracy {acc}: {sub['problem'].nunique()} problems")
        ax.grid(True, which="both", alpha=0.3)
    axes[-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


# -------------------------------------------------------------------------------------------- environment

def environment() -> dict:
    """Machine and versions: platform, CPU, CPU count, cvxnn, Python, numpy, scipy, cvxpy, every installed solver."""
    import importlib.metadata
    import os
    import platform

    from . import __version__  # the package, complete by the time a report is written

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(dist):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    info = {"platform": platform.platform(), "machine": platform.machine(), "cpu": cpu or "unknown",
            "cpu count": os.cpu_count(),
            "load average (1 min, when written)": f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "-",
            "cvxnn": __version__, "python": platform.python_version(),
            "numpy": version("numpy"), "scipy": version("scipy"), "cvxpy": version("cvxpy")}
    for name, adapter in ADAPTERS.items():
        info[f"solver {name}"] = adapter.version() if adapter.is_installed() else "not installed"
    return info


def option_mapping(solvers, accuracies, time_limit: float | None = None) -> pd.DataFrame:
    """The solver's own options cvxnn passes for each named accuracy (``ADAPTERS[name]().options(acc)``)."""
    rows = []
    for s in solvers:
        row = {"solver": s}
        for acc in accuracies:
            if s in ADAPTERS:
                opts = ADAPTERS[s]().options(acc, time_limit)
                row[acc] = ", ".join(f"`{k}`={_short(v)}" for k, v in opts.items())
            else:
                row[acc] = "(unknown solver)"
        rows.append(row)
    return pd.DataFrame(rows)


def _short(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, int):
        return f"{v:g}" if v >= 10_000 else str(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_short(x)}" for k, x in v.items()) + "}"
    return str(v)


# ------------------------------------------------------------------------------------------------ report

def _fmt(v, spec=".3g") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return format(v, spec)


def _pct(v) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{100 * v:.0f}%"


def _md(frame: pd.DataFrame, floatfmt=".3g") -> str:
    frame = frame.astype(object)
    return frame.where(frame.notna(), None).to_markdown(index=False, floatfmt=floatfmt, missingval="-")


def summary_table(frame, time_limit: float | None = None) -> pd.DataFrame:
    """The per (solver, accuracy) table of the report: rates, shifted geometric means of wall and solve time
    (failures charged, best solver = 1 at each accuracy) and of the certified gap."""
    df = pd.DataFrame(frame)
    rates = success_and_correct_rates(df)
    wall = time_means(df, "wall_s", time_limit)
    solve = time_means(df, "solve_s", time_limit) if df["solve_s"].notna().any() else None
    out = []
    for _, r in rates.iterrows():
        key = (wall["solver"] == r["solver"]) & (wall["accuracy"] == r["accuracy"])
        g = df[(df["solver"] == r["solver"]) & (df["accuracy"] == r["accuracy"])]
        gaps = pd.to_numeric(g["certified_gap"], errors="coerce").dropna().clip(lower=0.0)
        row = {"solver": r["solver"], "accuracy": r["accuracy"], "runs": int(r["runs"]),
               "success": f"{int(r['certified'])}/{int(r['runs'])} ({_pct(r['success_rate'])})",
               "correct": f"{int(r['correct'])}/{int(r['runs'])} ({_pct(r['correct_rate'])})",
               "false claims": int(r["false_claims"]), "missed": int(r["missed"]),
               "wall sgm ms": 1e3 * float(wall.loc[key, "sgm"].iloc[0]),
               "wall rel": float(wall.loc[key, "relative"].iloc[0])}
        if solve is not None:
            skey = (solve["solver"] == r["solver"]) & (solve["accuracy"] == r["accuracy"])
            row["solve sgm ms"] = 1e3 * float(solve.loc[skey, "sgm"].iloc[0])
            row["solve rel"] = float(solve.loc[skey, "relative"].iloc[0])
        row["gap sgm"] = shifted_geometric_mean(gaps, GAP_SHIFT) if len(gaps) else float("nan")
        out.append(row)
    return pd.DataFrame(out)


def time_split(frame) -> pd.DataFrame:
    """Per (solver, accuracy), certified or not: median build, CVXPY compile, solver setup, solver solve, wall and
    total time (ms), and the share of the summed wall time spent compiling."""
    df = pd.DataFrame(frame).copy()
    cols = ["build_s", "compile_s", "setup_s", "solve_s", "wall_s", "total_s"]
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce") if c in df else np.nan
    rows = []
    for (solver, acc), g in df.groupby(["solver", "accuracy"], sort=False):
        row = {"solver": solver, "accuracy": acc}
        for c in cols:
            med = g[c].median()
            row[f"{c[:-2]} ms (median)"] = 1e3 * med if pd.notna(med) else float("nan")
        both = g[["compile_s", "wall_s"]].dropna()
        row["compile share"] = _pct(float(both["compile_s"].sum() / both["wall_s"].sum())) if len(both) and \
            both["wall_s"].sum() > 0 else "-"
        rows.append(row)
    return pd.DataFrame(rows)


def failure_table(frame) -> pd.DataFrame:
    """Per (solver, accuracy): the runs not certified, by reason (status 'error' / 'user_limit', or the
    certificate checks that failed)."""
    df = pd.DataFrame(frame)
    bad = df[~_bool_series(df["certified"])]
    rows = []
    for (solver, acc), g in bad.groupby(["solver", "accuracy"], sort=False):
        reasons = g.apply(lambda r: r["status"] if r["status"] in ("error", "user_limit") else
                          ("checks: " + (r.get("failed_checks") or "?")), axis=1)
        counts = reasons.value_counts()
        rows.append({"solver": solver, "accuracy": acc, "not certified": len(g),
                     "reasons": "; ".join(f"{k} x{v}" for k, v in counts.items())})
    return pd.DataFrame(rows, columns=["solver", "accuracy", "not certified", "reasons"])


def _beta_path_table(rows) -> pd.DataFrame:
    out = []
    for r in rows:
        if r.get("error"):
            out.append({"problem": r["problem"], "solver": r["solver"], "warm_start": r["warm_start"],
                        "first solve ms": float("nan"), "error": r["error"][:80]})
            continue
        out.append({"problem": f"{r['problem']} (n {r['n']}, {r['dictionary_size']} cols)", "solver": r["solver"],
                    "warm_start": r["warm_start"], "rounds": r.get("rounds", 1), "first solve ms": 1e3 * r["first_s"],
                    "of which compile ms": 1e3 * r["first_compile_s"], "re-solve ms (median)": 1e3 * r["resolve_s"],
                    "re-solve compile ms": 1e3 * r["resolve_compile_s"], "first / re-solve": r["speedup"],
                    "certified": f"{r['certified']}/{r['solves']}"})
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------- fastest backend vs Clarabel

#: the reference backend of the comparison (CVXPY + Clarabel)
REFERENCE_SOLVER = "clarabel"
#: problem classes of the comparison with CVXPY + Clarabel, by input dimension and mode
CLASSES = ("1-D Lasso", "1-D interpolation LP", "any dimension (d >= 2)")


def problem_class(d, mode) -> str:
    """The comparison class of a row: '1-D Lasso' (1-D training: a Lasso over a finite dictionary), '1-D
    interpolation LP' or 'any dimension (d >= 2)' (arrangement and gated group Lassos, wedge and deep-abs Lassos)."""
    try:
        d = int(d)
    except (TypeError, ValueError):
        d = 1
    if d >= 2:
        return CLASSES[2]
    return CLASSES[1] if str(mode) == "interpolation" else CLASSES[0]


def _ran(frame) -> pd.DataFrame:
    """The rows that were run: status 'skipped' (the solver cannot take the program) left out."""
    df = pd.DataFrame(frame)
    if "status" not in df or not len(df):
        return df
    return df[df["status"].astype(str) != "skipped"]


def _per_problem_times(df: pd.DataFrame, time_col: str) -> pd.DataFrame:
    """One row per (problem, solver): median time over repeats, certified only if every repeat is."""
    g = df.assign(_t=pd.to_numeric(df[time_col], errors="coerce"), _ok=_bool_series(df["certified"]))
    return g.groupby(["problem", "solver"], sort=False).agg(t=("_t", "median"), ok=("_ok", "all")).reset_index()


def fastest_vs_reference(frame, reference: str = "clarabel", time_col: str = "wall_s",
                         time_limit: float | None = None, shift: float = TIME_SHIFT) -> tuple[pd.DataFrame,
                                                                                          pd.DataFrame]:
    """How much faster than ``reference`` (CVXPY + Clarabel) the fastest certified backend is, per problem class
    (:func:`problem_class`) and accuracy. Skipped rows are left out.

    Returns (summary, detail). ``detail``: one row per (class, accuracy, solver) with the problems it took, how
    many it certified, its shifted geometric mean of ``time_col`` over those problems (runs not certified charged
    as in :func:`charged_times`), the reference's over the same problems (its failures charged likewise), and
    ``ratio`` = the first over the second (< 1: faster than the reference). ``summary``: per (class, accuracy)
    the backend with the lowest ratio among those that took every problem of the class (any backend when none
    did), and per problem the fastest certified time over the reference's certified
    time (problems the reference certified), summarised by its geometric mean, min and max, and which backend was
    fastest how often."""
    df = _ran(frame).copy()
    detail_cols = ["class", "accuracy", "solver", "problems", "certified", "sgm ms", "reference sgm ms", "ratio"]
    summary_cols = ["class", "accuracy", "problems", "reference certified", "fastest backend (sgm)", "its sgm ms",
                    "reference sgm ms", "sgm ratio", "per-problem ratio (geo mean)", "min", "max", "fastest on"]
    if not len(df):
        return pd.DataFrame(columns=summary_cols), pd.DataFrame(columns=detail_cols)
    dims = df["d"] if "d" in df else [1] * len(df)
    modes = df["mode"] if "mode" in df else ["training"] * len(df)
    df["_class"] = [problem_class(d, m) for d, m in zip(dims, modes)]
    df["_t"] = charged_times(df, time_col, time_limit)
    detail, summary = [], []
    for cls in [c for c in CLASSES if c in set(df["_class"])]:
        for acc in dict.fromkeys(df["accuracy"]):
            sub = df[(df["_class"] == cls) & (df["accuracy"] == acc)]
            ref = sub[sub["solver"] == reference]
            if not len(sub) or not len(ref):
                continue
            ref_t = ref.groupby("problem")["_t"].median()
            best_row, best_full = None, None
            for solver, g in sub.groupby("solver", sort=False):
                t = g.groupby("problem")["_t"].median()
                common = t.index.intersection(ref_t.index)
                if not len(common):
                    continue
                ok = _bool_series(g["certified"]).groupby(g["problem"]).all()
                mine = shifted_geometric_mean(t[common].dropna(), shift)
                theirs = shifted_geometric_mean(ref_t[common].dropna(), shift)
                row = {"class": cls, "accuracy": acc, "solver": solver, "problems": int(len(t)),
                       "certified": int(ok.sum()), "sgm ms": 1e3 * mine, "reference sgm ms": 1e3 * theirs,
                       "ratio": mine / theirs if theirs > 0 else float("nan")}
                detail.append(row)
                if best_row is None or row["ratio"] < best_row["ratio"]:
                    best_row = row
                if len(t) >= len(ref_t) and (best_full is None or row["ratio"] < best_full["ratio"]):
                    best_full = row  # took every problem the reference took: the same problem set
            best_row = best_full or best_row
            per = _per_problem_times(sub, time_col)
            solved = per[per["ok"] & per["t"].notna()]
            ref_ok = solved[solved["solver"] == reference].set_index("problem")["t"]
            ratios, winners = [], []
            for prob, g in solved.groupby("problem", sort=False):
                if prob not in ref_ok.index:
                    continue
                k = g["t"].idxmin()
                ratios.append(float(g.loc[k, "t"]) / max(float(ref_ok[prob]), 1e-12))
                winners.append(str(g.loc[k, "solver"]))
            counts = pd.Series(winners).value_counts() if winners else pd.Series(dtype=int)
            summary.append({
                "class": cls, "accuracy": acc, "problems": int(sub["problem"].nunique()),
                "reference certified": f"{len(ref_ok)}/{int(ref['problem'].nunique())}",
                "fastest backend (sgm)": best_row["solver"] if best_row else "-",
                "its sgm ms": best_row["sgm ms"] if best_row else float("nan"),
                "reference sgm ms": best_row["reference sgm ms"] if best_row else float("nan"),
                "sgm ratio": best_row["ratio"] if best_row else float("nan"),
                "per-problem ratio (geo mean)": float(np.exp(np.mean(np.log(ratios)))) if ratios else float("nan"),
                "min": min(ratios) if ratios else float("nan"), "max": max(ratios) if ratios else float("nan"),
                "fastest on": ", ".join(f"{k} {v}" for k, v in counts.items()) or "-"})
    return pd.DataFrame(summary, columns=summary_cols), pd.DataFrame(detail, columns=detail_cols)


def skipped_table(frame) -> pd.DataFrame:
    """The (solver, reason) pairs recorded with status 'skipped' and the problems they cover."""
    df = pd.DataFrame(frame)
    if "status" not in df or not len(df):
        return pd.DataFrame(columns=["solver", "problems", "reason"])
    sk = df[df["status"].astype(str) == "skipped"]
    rows = []
    for (solver, err), g in sk.groupby(["solver", "error"], sort=False):
        reason = str(err).removeprefix("skipped: ")
        reason = reason.split("; this problem is a ", 1)
        rows.append({"solver": solver, "problems": ", ".join(map(str, dict.fromkeys(g["problem"]))),
                     "reason": reason[0] + (f" (here: {reason[1]})" if len(reason) > 1 else "")})
    return pd.DataFrame(rows, columns=["solver", "problems", "reason"])


def write_report(rows, path, command: str, *, beta_path=None, time_limit: float | None = None,
                 profile: bool = True, notes=None, settings=None) -> Path:
    """Write the markdown solver-comparison report of ``rows`` (from :func:`cvxnn.bench.run_bench` or read back
    from runs.csv) to ``path``; ``command`` is the command that regenerates it. ``beta_path``: rows of
    :func:`cvxnn.bench.beta_path`, if any. With ``profile`` the performance-profile plot goes next to the report
    (``profile.png``, or ``STEM-profile.png`` when the report is not called ``report.md``). The time limit, when
    not given, is read from the rows' ``time_limit`` column. ``notes``: lines printed under the command (how the
    run was made, e.g. on a shared machine); ``settings``: more lines for the Settings section (backend, jobs).
    Rows with status 'skipped' (the solver cannot take the program) are left out of every table and listed in
    their own section."""
    df_all = pd.DataFrame(rows).reset_index(drop=True)
    df = _ran(df_all).reset_index(drop=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if time_limit is None and "time_limit" in df and df["time_limit"].notna().any():
        time_limit = float(pd.to_numeric(df["time_limit"], errors="coerce").max())
    solvers = list(dict.fromkeys(df_all["solver"]))
    accuracies = list(dict.fromkeys(df_all["accuracy"]))
    problems = list(dict.fromkeys(df_all["problem"]))
    repeats = int(pd.to_numeric(df_all["repeat"], errors="coerce").max()) if "repeat" in df_all and len(df_all) \
        else 1
    env = environment()
    charge = (f"the time limit ({time_limit:g} s)" if time_limit is not None else
              f"{FAILURE_FACTOR:g} x the largest time observed in the column")

    n_skipped = len(df_all) - len(df)
    text = [f"# cvxnn solver comparison: {len(df)} runs" + (f" ({n_skipped} skipped)" if n_skipped else ""), "",
            f"Regenerate with `{command}`.", "", *[f"{line}" for line in (notes or [])],
            *([""] if notes else []),
            "Every run is judged by cvxnn's own certificate (`certified`), never by the solver's status: certified "
            f"means certified gap (from the dual point scaled into feasibility) <= {TOL_ABS:g} + {TOL_REL:g} |objective| "
            f"and |objective - convex optimum| <= {TOL_ABS:g} + {TOL_RECONSTRUCTION:g} |convex optimum| (interpolation: also max |f(x) - y| <= {TOL_FIT:g} "
            "max(1, max |y|)). These tolerances do not loosen with the solver's accuracy.", "",
            "## Machine and versions", "",
            _md(pd.DataFrame({"item": list(env), "value": [str(v) for v in env.values()]})), "",
            "## Settings", "",
            f"- problems ({len(problems)}): {', '.join(f'`{p}`' for p in problems)}",
            f"- solvers: {', '.join(solvers)}; accuracies: {', '.join(accuracies)}; repeats: {repeats}; "
            f"time limit per run: {f'{time_limit:g} s' if time_limit is not None else 'none'}",
            *[f"- {line}" for line in (settings or [])],
            "- the options cvxnn passes to each solver (`cvxnn.solvers.ADAPTERS[name]().options(accuracy)`):", "",
            _md(option_mapping(solvers, accuracies, time_limit)), ""]

    text += ["## Success and correctness", "",
             "`success` = certified / runs. `correct` = runs where the solver's claim agrees with the certificate "
             "(status `optimal` exactly when certified); `false claims` = `optimal` but not certified, `missed` = "
             "certified although the status was not `optimal`. `wall` is the solver call's wall time (CVXPY "
             "compilation + the solver, summed over rounds of column generation), `solve` the solver's own solve "
             "time. `sgm` = shifted geometric mean over the runs (shift 10 ms; a run that is not "
             f"certified is charged {charge}); `rel` divides it by the best solver's at the same accuracy (best = 1). "
             "`gap sgm` = shifted geometric mean of the certified gap (shift 1e-10, negatives counted as 0). `-`: the "
             "solver does not report that time (PIQP reports a solve time of 0 unless asked to time itself).", "",
             _md(summary_table(df, time_limit)), ""]
    if n_skipped:
        text += [f"{n_skipped} (problem, solver) pairs were skipped because the solver cannot take the program (see "
                 "\"Skipped\" below): they are in no rate, mean or profile here, so a solver's means cover only the "
                 "problems it took.", ""]

    if REFERENCE_SOLVER in solvers and len(solvers) > 1:
        summary, detail = fastest_vs_reference(df, REFERENCE_SOLVER, "wall_s", time_limit)
        if len(summary):
            text += ["## Fastest certified backend vs CVXPY + Clarabel", "",
                     "Per problem class and accuracy. `sgm ratio`: among the backends that took every problem of "
                     "the class, the one with the lowest shifted geometric mean of wall time (shift 10 ms, runs not "
                     "certified charged as above), divided by CVXPY + Clarabel's (< 1: faster). `per-problem "
                     "ratio`: on each problem Clarabel certified, the fastest certified run's wall time (any "
                     "backend, Clarabel included, so <= 1) over Clarabel's; geometric mean, min and max over "
                     "those problems; `fastest on` counts which backend that was. Wall time is the solver call: "
                     "CVXPY's compilation + the solver for CVXPY backends, the whole native solve (centring, "
                     "refinement rounds) for the native Lasso backends.", "",
                     _md(summary), "", "Every backend, on the problems it took:", "", _md(detail), ""]

    text += ["## Where the time goes", "",
             "Medians per run in milliseconds: `build` (dictionary or arrangement, before any solver), `compile` "
             "(CVXPY's reduction to the solver's form), `setup` and `solve` (as the solver reports them), `wall` "
             "(as above), `total` (build + wall + rebuilding and pruning the network + certifying it). "
             "`compile share` = summed compile time / summed wall time.", "",
             _md(time_split(df)), ""]

    if beta_path:
        n_betas = beta_path[0].get("betas", 6)
        text += ["## Beta path: re-solving one compiled program", "",
                 f"One program per (problem, solver) built once, then `prog.set_beta(b); prog.solve()` over {n_betas} "
                 "betas from 10 beta to beta / 10 (the program is DPP: beta is a `cp.Parameter`, so CVXPY compiles "
                 "on the first solve and only substitutes the parameter afterwards); `warm_start=True` passes the "
                 "previous solution to solvers that accept one. Times are the solver call's wall time (compile + "
                 "solve), medians over `rounds` paths, each on a freshly built program (fewer rounds for slow "
                 "solvers); every solve on the path is certified (`certified` counts them; the network is not "
                 "pruned here, which changes neither its fit nor its l1 norm).", "",
                 _md(_beta_path_table(beta_path)), ""]

    if profile and len(df):
        stem = Path(path).stem
        png = path.with_name("profile.png" if stem == "report" else f"{stem}-profile.png")
        plot_performance_profile(df, png)
        taus = [1.0, 2.0, 10.0]
        lines = []
        for acc in accuracies:
            prof = performance_profile(df[df["accuracy"] == acc], taus)
            t = prof.T.reset_index().rename(columns={"index": "solver"})
            t.columns = ["solver"] + [f"tau = {x:g}" for x in taus]
            lines += [f"accuracy {acc}:", "", _md(t, ".2f"), ""]
        text += ["## Performance profile", "",
                 "Fraction of problems a solver solved **and cvxnn certified** within tau x the best wall time of "
                 "any solver on that problem (same accuracy; repeats merged by median time, certified only if every "
                 "repeat is). tau = 1: the solver was the fastest certified one.", "",
                 f"![performance profile]({png.name})", "", *lines]

    fails = failure_table(df)
    text += ["## Runs not certified", ""]
    text += [_md(fails) if len(fails) else "Every run was certified.", ""]
    if n_skipped:
        text += ["## Skipped", "",
                 "(problem, solver) pairs the solver's adapter cannot take, recorded with status `skipped` and "
                 "left out of everything above:", "", _md(skipped_table(df_all)), ""]
    if "error" in df:
        errs = df[df["error"].fillna("").astype(str) != ""]
        for (solver, acc, msg), g in errs.groupby(["solver", "accuracy", "error"], sort=False):
            text.append(f"- {solver} / {acc}, {len(g)} run(s) ({', '.join(map(str, dict.fromkeys(g['problem'])))}): "
                        f"{str(msg)[:300]}")
        if len(errs):
            text.append("")

    cols = DEFAULT_COLUMNS + (["repeat"] if repeats > 1 else []) + ["correct"]
    text += ["## Runs", "", "`rel_error` = (objective - best certified objective of the problem) / max(1, |best|).",
             "", format_table(df.to_dict("records"), cols), ""]
    path.write_text("\n".join(text))
    return path
