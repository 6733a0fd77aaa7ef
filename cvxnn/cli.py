"""Command line: ``cvxnn solve | bench | plot | certify | solvers``.

Exit codes (also in ``cvxnn --help``): 0 the net asked about is certified globally optimal (scope global); 1 solver
failure, or the certificate failed; 2 bad input; 3 solver not installed; 4 certified for a sampled or restricted
scope only (an optimum of a restricted problem, not a global certificate).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .data import read_csv
from .errors import CvxnnError, InvalidParameterError, SolverFailedError, SolverNotInstalledError
from .problems import Problem, check_suite, load_problem, suite
from .validation import check_xy

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NO_SOLVER, EXIT_NOT_GLOBAL = 0, 1, 2, 3, 4

#: progress bars appear once a step has run this long (tqdm's delay, set through TQDM_DELAY for the bars of the
#: enumeration, column-generation and bench loops); quick runs print no bar
PROGRESS_DELAY_S = 2.0

EXIT_CODES = """exit codes:
  0  certified globally optimal (scope global): for certify, the net that was given
  1  solver failure, or not certified (certify --polish: the given net is not certified, even when the
     polished one is)
  2  bad input (data, flags, files)
  3  solver not installed
  4  certified for scope 'sampled' or 'restricted' only: optimal for a restricted problem, NOT a global
     certificate (e.g. --patterns sample)
  bench: 0 when every reference row (Clarabel, high accuracy) is certified, else 1"""


def exit_code(certificate) -> int:
    """0 globally optimal, 4 certified for a restricted scope only, 1 not certified."""
    if certificate.globally_optimal:
        return EXIT_OK
    return EXIT_NOT_GLOBAL if certificate.certified else EXIT_FAILED



class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 (bad input) and a clear message."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"cvxnn: error: {message}\n")


def _add_progress(p, what: str = "pattern enumeration and column-generation rounds"):
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help=f"progress bars on stderr ({what}), shown once a step has run for {PROGRESS_DELAY_S:g} s; "
                        "default: on when stderr is a terminal")


def _add_solve(sub):
    p = sub.add_parser("solve", help="train a network to global optimality and certify it", epilog=EXIT_CODES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_problem_arguments(p)
    _add_progress(p)
    p.add_argument("--explain", action="store_true", help="print a short lesson in duality for this instance")
    p.add_argument("--json", dest="json_out", default=None, metavar="OUT.json", help="write the result as JSON")
    p.add_argument("--save", default=None, metavar="NET.npz", help="save the network (npz weights + json)")


def _add_problem_arguments(p):
    p.add_argument("problem", nargs="?", default=None, help="a problem file (problems/NAME.toml); flags override it")
    p.add_argument("--data", default=None, help="CSV with a header row; the LAST column is the target")
    p.add_argument("--model", default=None, help="two-layer (default) | deep-1d | deep-abs (3-layer abs nets in any d) | gated-relu")
    p.add_argument("--activation", default=None, help="relu | leaky | abs | sign | threshold (default relu)")
    p.add_argument("--depth", type=int, default=None, help="layers of weights: 2 for two-layer, >= 2 for deep-1d, 3 for deep-abs")
    p.add_argument("--ramps", default=None,
                   help="deep-1d relu: data (n(n-1)/2 ramps, default) | data+reflections (redundant, larger)")
    p.add_argument("--beta", type=float, default=None, help="weight-decay strength, > 0 (training mode)")
    p.add_argument("--interpolate", action="store_true",
                   help="minimum-norm interpolation (the beta -> 0 limit) instead of training; takes no --beta")
    p.add_argument("--solver", default="auto",
                   help="solver name (see `cvxnn solvers`); auto = clarabel for training, highs for --interpolate")
    p.add_argument("--accuracy", default="high", help="low (1e-3) | mid (1e-6) | high (1e-9)")
    p.add_argument("--bias", default=None, help="free | penalized | none (default: free for 1-D data)")
    p.add_argument("--leaky-slope", type=float, default=None, help="negative-side slope of the leaky ReLU (0.1)")
    p.add_argument("--sign-objective", default=None,
                   help="sign/threshold nets: amplitude (default) | l1-outer")
    p.add_argument("--duplicates", default=None, help="error | merge: how to treat repeated input points")
    p.add_argument("--inner-norm", default=None,
                   help="abs nets: two-layer: l2 (weight decay, default) | l1 (wedge Lasso); "
                        "deep-abs: l1 (default, exact finite pool) | l2 (pool + angular column generation)")
    p.add_argument("--formulation", default=None,
                   help="1-D models: sparse (the O(n) banded program, default) | dense (the stored dictionary)")
    p.add_argument("--linear-term", action="store_true", default=None,
                   help="1-D models, free biases: add an unpenalised linear term c x (a skip connection)")
    p.add_argument("--patterns", default=None,
                   help="d >= 2 or --bias penalized: exact (enumerate the arrangement, default) | sample")
    p.add_argument("--n-samples", type=int, default=None, help="number of sampled gates with --patterns sample")
    p.add_argument("--max-patterns", type=int, default=None, help="budget for exact enumeration (100000)")
    p.add_argument("--time-limit", type=float, default=None, help="solver time limit in seconds")


def _add_certify(sub):
    p = sub.add_parser(
        "certify", help="certify a net trained anywhere (cvxnn .npz or a torch state dict)", epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Certified lower bound and optimality gap of a given net. The training problem is read from "
                    "the net's saved description (model, depth, activation, bias convention, inner norm); flags "
                    "are needed only for nets without one (torch state dicts) and must agree with it otherwise.")
    p.add_argument("--data", required=True, help="CSV with a header row; the LAST column is the target")
    p.add_argument("--weights", required=True, help="NET.npz (written by cvxnn) or NET.pt (torch state dict)")
    p.add_argument("--beta", type=float, default=None,
                   help="weight-decay strength the net was trained with (required unless --interpolate)")
    p.add_argument("--interpolate", action="store_true",
                   help="certify the net as a minimum-norm interpolant (the beta -> 0 limit): it must fit the data, "
                        "its weight cost is bounded below; takes no --beta")
    p.add_argument("--activation", default="relu", help="hidden activation of a .pt state dict (relu|leaky|abs)")
    p.add_argument("--model", default=None,
                   help="two-layer | deep-1d | deep-abs (default: the saved description, else from the layers)")
    p.add_argument("--bias", default=None, help="free (1-D) | penalized | none (default: the saved description; "
                   "for a .pt net penalized when its inner biases are nonzero, else none)")
    p.add_argument("--inner-norm", default=None, help="abs nets: l2 | l1 (default: the saved description)")
    p.add_argument("--polish", action="store_true",
                   help="solve the net's convex program from the net (never returns a worse net), certify it")
    p.add_argument("--patterns", default="exact",
                   help="two-layer nets in d >= 2 / bias penalized: exact (default) | sample (no lower bound)")
    p.add_argument("--n-samples", type=int, default=2000, help="number of sampled gates with --patterns sample")
    p.add_argument("--max-patterns", type=int, default=100_000, help="budget for exact enumeration")
    p.add_argument("--json", dest="json_out", default=None, metavar="OUT.json", help="write the result as JSON")
    p.add_argument("--save-polished", default=None, metavar="NET.npz", help="save the polished network")


def _add_plot(sub):
    p = sub.add_parser("plot", help="solve and draw the fit (1-D: breakpoints and mirror axes; 2-D deep-abs: "
                                    "reflection planes), or with --dual the dual certificate")
    _add_problem_arguments(p)
    _add_progress(p)
    p.add_argument("--out", required=True, help="image file to write (png, pdf or svg)")
    p.add_argument("--dual", action="store_true",
                   help="draw the dual certificate instead of the fit: the dual constraint over the units "
                        "(1-D: a curve over the breakpoint axis with the +-beta band; 2-D: a polar plot over unit "
                        "directions)")


def _add_bench(sub):
    p = sub.add_parser("bench", help="solve problems with several solvers and print the certified table")
    p.add_argument("problems", nargs="*", help="problem files (default: the small suite of the problem library)")
    p.add_argument("--suite", default=None, metavar="SIZE",
                   help="run the library's tiny | small | medium suite (with problem files: as well as them); "
                        "default: small when no problem file is given")
    p.add_argument("--list", dest="list_problems", action="store_true",
                   help="list the problems that would run (name, model, n, d, dictionary) and exit")
    p.add_argument("--solvers", default="clarabel,scs",
                   help="comma-separated solver names, or 'all' (installed); a (problem, solver) pair the solver "
                        "cannot take is recorded as skipped")
    p.add_argument("--accuracy", default="high", help="comma-separated accuracies: low,mid,high")
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="run every (problem, solver, accuracy) N times")
    p.add_argument("--time-limit", type=_time_limit, default=None, metavar="S",
                   help="solver time limit per run, seconds, or 'none'; default: "
                        f"{SUITE_TIME_LIMIT:g} s when only the library's tiny or small suite runs (a solver stopped "
                        "there is judged by the certificate like any other), none otherwise")
    p.add_argument("--row-timeout", type=float, default=None, metavar="S",
                   help="kill a row after S seconds (a forked process per row; local backend). --time-limit bounds "
                        "each solver call, and column generation makes many")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write DIR/runs.csv (appended as runs complete; a rerun skips the rows already there), "
                        "DIR/report.md and DIR/profile.png")
    p.add_argument("--csv", default=None, help="also write the rows to this CSV file")
    p.add_argument("--markdown", default=None, help="also write the report, with the command that made it, here")
    _add_progress(p, "one step per finished row")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="rows run at once on this machine (joblib processes, one BLAS thread each); 1 = serial")
    p.add_argument("--backend", default="local", help="local (this machine, --jobs N) | dask (a Dask cluster: "
                   "pip install -e \".[dask]\")")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --backend dask: the scheduler's address, e.g. tcp://10.0.0.5:8786")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cvxnn", description="Exact, certified training of small neural networks.",
                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"cvxnn {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    _add_solve(sub)
    _add_bench(sub)
    _add_plot(sub)
    _add_certify(sub)
    sub.add_parser("solvers", help="list the solver adapters, installed or not")
    return parser


def _problem_from_args(args):
    """The problem to solve: a problem file and/or --data, with explicit flags taking precedence."""

    if args.problem and args.data:
        raise InvalidParameterError(
            f"give either a problem file or --data, not both; received {args.problem!r} and --data {args.data!r}."
        )
    if args.problem:
        prob = load_problem(args.problem)
    elif args.data:
        X, y = read_csv(args.data)
        prob = Problem(str(args.data), X, y, source=str(args.data))
    else:
        raise InvalidParameterError("cvxnn solve needs a problem file (cvxnn solve problems/NAME.toml) or --data FILE.csv.")
    for attr, flag in (("model", "model"), ("activation", "activation"), ("depth", "depth"), ("bias", "bias"),
                       ("leaky_slope", "leaky_slope"), ("sign_objective", "sign_objective"),
                       ("duplicates", "duplicates"), ("ramps", "ramps"), ("patterns", "patterns"),
                       ("n_samples", "n_samples"), ("max_patterns", "max_patterns"),
                       ("inner_norm", "inner_norm"), ("formulation", "formulation"),
                       ("linear_term", "linear_term")):
        value = getattr(args, flag)
        if value is not None:
            setattr(prob, attr, value)
    if args.interpolate:
        if args.beta is not None:
            raise InvalidParameterError(
                f"--interpolate takes no --beta (it is the beta -> 0 limit); received --beta {args.beta}."
            )
        prob.mode, prob.beta = "interpolation", None
    elif args.beta is not None:
        prob.mode, prob.beta = "training", args.beta
    if prob.mode == "training" and prob.beta is None:
        raise InvalidParameterError(
            "no beta given: pass --beta B (B > 0) for training, or --interpolate for minimum-norm interpolation."
        )
    prob.architecture()  # validates model, depth and activation now: bad input exits 2 before any solve
    return prob


def _progress(args) -> bool:
    """--progress / --no-progress, else on when stderr is a terminal."""
    return sys.stderr.isatty() if args.progress is None else bool(args.progress)


#: per model family: (threshold, how to make it smaller) for the size: the model's size estimate,
#: times n for arrangements and wedges (a program's cost grows with both). Measured on 2 cores: arrangement
#: programs (results/arrangement-scaling.md) with n x patterns of 0.5M-0.8M took 13-25 s and of 1.0M-2.0M took
#: 66-69 s; deep-abs pools (results/deep-abs.md) of 5.4M columns took 15-21 s and of 10.7M-24M columns 8-77 s
#: (l1 / l2); deep 1-D abs chains (results/deep1d-sizes.md, work = abs_chain_work) took 7 s at 2.0M; two-layer 1-D
#: nets took 10 s at n = 20,000 (40k breakpoint columns) and 218 s at n = 100,000; wedges took 33 s at n x columns
#: = 1.7M and 127 s at 13.6M. The thresholds sit where the measured times approach a minute, or below (conservative:
#: the warning comes early rather than late).
SLOW_RUNS = {
    "arrangement": (1_000_000, ("fewer points, or --patterns sample --n-samples K (scope 'sampled': NOT a global "
                                "certificate); --max-patterns N refuses enumerations above N patterns")),
    "deep-abs": (10_000_000, ("fewer points (the pool grows like n^(3d - 1)); --inner-norm l1 needs no angular "
                              "rounds (it is a different model)")),
    "chains-1d": (5_000_000, "fewer points, or a smaller --depth (abs chains: the vertices grow like n^(depth - 1))"),
    "two-layer-1d": (60_000, "fewer points"),
    "wedge": (2_000_000, "fewer points (the columns grow like n^d / d!)"),
}


def size_line(X, arch) -> tuple[str, str | None]:
    """The line printed before building ('building: ...') and, for a run whose size the measured tables put near a
    minute or more, a warning with the size and how to make it smaller (None otherwise)."""
    from .models import model_for, size_estimate

    n = X.shape[0]
    size = size_estimate(X, arch)
    family = model_for(arch, X.shape[1]).name
    count = int(size["count"])
    line = f"building: {count:,} {size['kind']} (n = {n})"
    measured, what = count, size["kind"]
    threshold, smaller = SLOW_RUNS.get(family, (None, ""))
    if family == "arrangement" and getattr(arch, "patterns", "exact") == "sample":
        line = (f"building: up to {arch.n_samples:,} sampled activation patterns (the exact arrangement has at most "
                f"{count:,}; n = {n})")
        measured, what = n * min(count, arch.n_samples), "n x sampled patterns"
        smaller = "fewer points or a smaller --n-samples"
    elif family in ("arrangement", "wedge"):
        measured, what = n * count, f"n x {size['kind']}"
    if threshold is None or measured < threshold:
        return line, None
    return line, (f"warning: this run may take a minute or more: {what} = {measured:,} (n = {n}, d = {X.shape[1]}; "
                  f"the warning starts at {threshold:,}). To make it smaller: {smaller}.")


def _train_from_args(args):
    from .api import train

    prob = _problem_from_args(args)
    arch = prob.architecture()
    X, _ = check_xy(prob.X, prob.y)  # bad data is reported before anything is sized or built
    line, warning = size_line(X, arch)
    print(line, file=sys.stderr)
    if warning:
        print(warning, file=sys.stderr)
    return train(prob.X, prob.y, arch, prob.beta, solver=args.solver, accuracy=args.accuracy,
                 duplicates=prob.duplicates, time_limit=args.time_limit, mode=prob.mode,
                 progress=_progress(args))


def cmd_plot(args) -> int:
    from .plotting import check_figure_path, plot_dual, plot_fit

    check_figure_path(args.out)  # a bad --out is reported before the solve
    trained = _train_from_args(args)
    print(trained.summary())
    if args.dual:
        picture = plot_dual(trained, args.out)
        print(picture.summary())
        print(f"figure written to {picture.path}")
    else:
        print(f"figure written to {plot_fit(trained, args.out)}")
    return exit_code(trained.certificate)


def cmd_certify(args) -> int:
    from .api import to_jsonable
    from .external import certify_network, load_weights

    if args.interpolate and args.beta is not None:
        raise InvalidParameterError(
            f"--interpolate takes no --beta (it is the beta -> 0 limit); received --beta {args.beta}."
        )
    if not args.interpolate and args.beta is None:
        raise InvalidParameterError(
            "no beta given: pass --beta B (the weight decay the net was trained with), or --interpolate to certify "
            "a minimum-norm interpolant."
        )
    X, y = read_csv(args.data)
    net = load_weights(args.weights, args.activation)
    result = certify_network(net, X, y, args.beta, bias=args.bias, model=args.model, inner_norm=args.inner_norm,
                             polish=args.polish, patterns=args.patterns, n_samples=args.n_samples,
                             max_patterns=args.max_patterns,
                             mode="interpolation" if args.interpolate else "training")
    print(result.summary())
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(to_jsonable(result.to_dict()), indent=1))
    if args.save_polished and result.polished_network is not None:
        result.polished_network.save(args.save_polished)
    return exit_code(result.certificate)  # the net that was given, not its polished replacement


def cmd_solve(args) -> int:
    from .api import to_jsonable

    trained = _train_from_args(args)
    print(trained.summary())
    if args.explain:
        print()
        print(trained.explain())
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(to_jsonable(trained.to_dict()), indent=1))
    if args.save:
        trained.network.save(args.save)
    return exit_code(trained.certificate)


#: the default solver time limit per run (seconds) when only the library's tiny or small suite runs: enough for
#: every reference row (Clarabel at high accuracy, under a second each), and it keeps ``cvxnn bench`` short where a
#: first-order solver would spend minutes chasing 1e-9 on one Lasso.
SUITE_TIME_LIMIT = 5.0


def _time_limit(text: str):
    """--time-limit: a positive number of seconds, or 'none' (no limit)."""
    if text.strip().lower() == "none":
        return "none"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds (a number > 0) or 'none'; received {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected seconds > 0 or 'none'; received {text!r}")
    return value


def _bench_time_limit(args) -> float | None:
    """The run's time limit: the flag's value, else SUITE_TIME_LIMIT when only the tiny or small suite runs."""
    if args.time_limit == "none":
        return None
    if args.time_limit is not None:
        return args.time_limit
    if not args.problems and (args.suite is None or args.suite.strip().lower() in ("tiny", "small")):
        return SUITE_TIME_LIMIT
    return None


def _bench_problems(args):
    """The problems of a bench run: the problem files, plus the --suite (default: small when no file is given)."""
    problems = [load_problem(p) for p in args.problems]
    if args.suite is not None or not problems:
        problems += suite(check_suite(args.suite or "small"))
    return problems


def _list_problems(problems) -> int:
    from .models import size_estimate
    from .report import format_table

    rows = []
    for p in problems:
        X, _ = check_xy(p.X, p.y)
        try:
            est = size_estimate(X, p.architecture())
            size = f"{est['count']:,} {est['kind']}"
        except CvxnnError as exc:
            size = f"({exc})"[:60]
        rows.append({"problem": p.name, "model": p.model, "activation": p.activation,
                     "depth": p.depth or "-", "n": p.n, "d": X.shape[1], "mode": p.mode, "beta": p.beta,
                     "dictionary": size, "source": p.source})
    print(format_table(rows, list(rows[0]) if rows else None))
    print(f"\n{len(problems)} problems.")
    return EXIT_OK


def cmd_bench(args) -> int:
    import time

    from .bench import REFERENCE, check_backend, check_jobs, run_bench
    from .report import DEFAULT_COLUMNS, format_table, summary_table
    from .solvers import installed_solvers
    from .solvers.base import check_accuracy
    from .solvers.registry import get_solver

    jobs = check_jobs(args.jobs)
    check_backend(args.backend, args.scheduler, jobs)
    problems = _bench_problems(args)
    if args.list_problems:
        return _list_problems(problems)
    solvers = [s.strip().lower() for s in args.solvers.split(",") if s.strip()]
    if solvers == ["all"]:
        solvers = installed_solvers()
    for s in solvers:
        get_solver(s)  # fail early: unknown or missing solver
    accuracies = [check_accuracy(a.strip()) for a in args.accuracy.split(",") if a.strip()]
    if args.repeat < 1:
        raise InvalidParameterError(f"--repeat must be >= 1; received {args.repeat}.")
    args.time_limit = _bench_time_limit(args)
    started = time.perf_counter()
    rows = run_bench(problems, solvers, accuracies, repeats=args.repeat, out=args.out, time_limit=args.time_limit,
                     progress=_progress(args), jobs=jobs, backend=args.backend,
                     scheduler=args.scheduler, row_timeout=args.row_timeout)
    elapsed = time.perf_counter() - started
    ran = [r for r in rows if r.get("status") != "skipped"]
    skipped = len(rows) - len(ran)
    columns = list(DEFAULT_COLUMNS)
    if args.repeat > 1:
        columns.insert(columns.index("accuracy") + 1, "repeat")
    print(format_table(ran, columns))
    if ran:
        print()
        print(summary_table(ran, args.time_limit).to_markdown(index=False, floatfmt=".3g"))
    reports = ([Path(args.out) / "report.md"] if args.out else []) + ([Path(args.markdown)] if args.markdown else [])
    if reports:
        _write_markdown_report(reports, rows, args, problems, solvers, accuracies, elapsed)
    if args.csv:
        import pandas as pd

        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(args.csv, index=False)
    bad = [r for r in ran if not r.get("certified")]
    n_opt = sum(bool(r.get("globally_optimal")) for r in ran)
    print(f"\n{len(ran) - len(bad)} of {len(ran)} runs certified ({n_opt} globally optimal, scope global)"
          + (f"; {skipped} (problem, solver) pairs skipped: the solver cannot take the program" if skipped else "")
          + f". {elapsed:.1f} s.")
    for r in bad:
        print(f"NOT certified: {r['problem']} / {r['solver']} / {r['accuracy']}: status {r.get('status')} "
              f"{r.get('error', '')}".rstrip())
    reference = [r for r in ran if (r["solver"], r["accuracy"]) == REFERENCE]
    judged = reference or ran
    failed = [r for r in judged if not r.get("certified")]
    if reference:
        print(f"reference rows ({REFERENCE[0]} at {REFERENCE[1]} accuracy): {len(reference) - len(failed)} of "
              f"{len(reference)} certified (the exit code depends on these rows alone).")
        for r in failed:
            print(f"REFERENCE NOT certified: {r['problem']}: status {r.get('status')} {r.get('error', '')}".rstrip())
    else:
        print(f"no reference rows ({REFERENCE[0]} at {REFERENCE[1]} accuracy) in this run: every row counts for the "
              "exit code.")
    for p in reports:
        print(f"report written to {p}")
    return EXIT_OK if not failed else EXIT_FAILED


def _write_markdown_report(paths, rows, args, problems, solvers, accuracies, elapsed=None) -> None:
    """The solver-comparison report (cvxnn.report.write_report) at each path, with a beta-path table for up to two
    1-D problems, the command that regenerates it and how the run was made (backend, jobs, machine load)."""
    import os
    import shlex

    from .bench import beta_path
    from .report import write_report

    command = ["cvxnn", "bench", *args.problems]
    if args.suite is not None:
        command += ["--suite", args.suite]
    command += ["--solvers", args.solvers, "--accuracy", ",".join(accuracies)]
    if args.repeat != 1:
        command += ["--repeat", str(args.repeat)]
    if args.time_limit is not None:
        command += ["--time-limit", f"{args.time_limit:g}"]
    if args.row_timeout is not None:
        command += ["--row-timeout", f"{args.row_timeout:g}"]
    if args.jobs != 1:
        command += ["--jobs", str(args.jobs)]
    if args.backend != "local":
        command += ["--backend", args.backend, "--scheduler", str(args.scheduler)]
    if args.out:
        command += ["--out", str(args.out)]
    if args.markdown:
        command += ["--markdown", str(args.markdown)]
    if args.csv:
        command += ["--csv", str(args.csv)]
    command = " ".join(shlex.quote(c) for c in command)
    path_accuracy = "high" if "high" in accuracies else accuracies[-1]
    path_rows = beta_path(problems, solvers, path_accuracy, time_limit=args.time_limit, total_budget_s=120.0)
    where = ("this machine, serially" if args.backend == "local" and args.jobs == 1 else
             f"this machine, {args.jobs} rows at once (joblib/loky processes, one BLAS thread each)"
             if args.backend == "local" else f"the Dask cluster at {args.scheduler} (one BLAS thread per task)")
    totals = [r.get("total_s") for r in rows if isinstance(r.get("total_s"), float)]
    notes = [f"Rows ran on {where}" + (f"; the last invocation spent {elapsed:.0f} s running rows (rows already in "
                                       "runs.csv are not redone)" if elapsed is not None else "")
             + (f"; the rows' own times (build + solve + certify) add up to {sum(totals) / 60:.1f} min"
                if totals else "") + "."]
    loads = [r.get("load") for r in rows if isinstance(r.get("load"), float)]
    if loads:
        import numpy as np

        cores = os.cpu_count() or 1
        med, top = float(np.median(loads)), float(np.max(loads))
        own = args.jobs if args.backend == "local" else 0
        busy = float(np.mean(np.asarray(loads) > own + 0.5))
        notes.append(f"The 1-minute load average when rows finished: median {med:.2f}, max {top:.2f}, on {cores} "
                     f"cores (this bench adds about {own})."
                     + (f" Other jobs shared the machine: {100 * busy:.0f}% of the rows finished with the load above "
                        f"{own + 0.5:g}. Read the times as upper bounds and the ratios as rough."
                        if args.backend == "local" and busy > 0.05 else ""))
    settings = [f"backend: {args.backend}" + (f" ({args.scheduler})" if args.scheduler else "")
                + f"; jobs: {args.jobs}"]
    for path in paths:
        write_report(rows, path, command, beta_path=path_rows, time_limit=args.time_limit, notes=notes,
                     settings=settings)


def cmd_solvers(args) -> int:
    from .report import format_table
    from .solvers import ADAPTERS

    rows = [{"solver": name, "installed": a.is_installed(), "version": a.version() or "",
             "problem classes": ", ".join(a.problem_classes), "install": a.install_command()}
            for name, a in ADAPTERS.items()]
    print(format_table(rows, list(rows[0])))
    print('\nOptional solvers: pip install "cvxnn[solvers]" (ECOS, PIQP) and "cvxnn[lasso]" (scikit-learn, celer, '
          "skglm). The CVXPY solvers take the Lasso QPs and the interpolation LPs; the native Lasso backends "
          "(class LASSO) take training Lasso programs only.")
    return EXIT_OK


def main(argv=None) -> int:
    if argv is None and "tqdm" not in sys.modules:
        # the command-line program (not a call from Python): tqdm reads TQDM_* defaults when it is first imported,
        # so every bar of this process waits PROGRESS_DELAY_S before it shows
        os.environ.setdefault("TQDM_DELAY", f"{PROGRESS_DELAY_S:g}")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    handler = {"solve": cmd_solve, "bench": cmd_bench, "plot": cmd_plot, "certify": cmd_certify,
               "solvers": cmd_solvers}[args.command]
    try:
        return handler(args)
    except SolverNotInstalledError as exc:
        print(f"cvxnn: error: {exc}", file=sys.stderr)
        return EXIT_NO_SOLVER
    except SolverFailedError as exc:
        print(f"cvxnn: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except CvxnnError as exc:
        print(f"cvxnn: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
