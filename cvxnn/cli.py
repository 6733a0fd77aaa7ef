"""Command line: ``cvxnn solve | bench | solvers``.

Exit codes: 0 ok, 1 solver or certificate failure, 2 bad input, 3 solver not installed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import CvxnnError, InvalidParameterError, SolverFailedError, SolverNotInstalledError, UnsupportedCombinationError
from .validation import check_choice

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NO_SOLVER = 0, 1, 2, 3

MODELS = ("two-layer",)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 (bad input) and a clear message."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"cvxnn: error: {message}\n")


def _add_solve(sub):
    p = sub.add_parser("solve", help="train a network to global optimality and certify it")
    p.add_argument("--data", required=True, help="CSV with a header row; the LAST column is the target")
    p.add_argument("--model", default="two-layer", help="model family (default two-layer)")
    p.add_argument("--activation", default="relu", help="relu | leaky | abs")
    p.add_argument("--depth", type=int, default=2, help="number of layers (2 for two-layer)")
    p.add_argument("--beta", type=float, default=None, help="weight-decay strength, > 0 (training mode)")
    p.add_argument("--interpolate", action="store_true",
                   help="minimum-norm interpolation (the beta -> 0 limit) instead of training; takes no --beta")
    p.add_argument("--solver", default="clarabel", help="solver name (see `cvxnn solvers`)")
    p.add_argument("--accuracy", default="high", help="low (1e-3) | mid (1e-6) | high (1e-9)")
    p.add_argument("--bias", default=None, help="free | penalized | none (default: free for 1-D data)")
    p.add_argument("--leaky-slope", type=float, default=0.1, help="negative-side slope of the leaky ReLU")
    p.add_argument("--duplicates", default="error", help="error | merge: how to treat repeated input points")
    p.add_argument("--time-limit", type=float, default=None, help="solver time limit in seconds")
    p.add_argument("--json", dest="json_out", default=None, metavar="OUT.json", help="write the result as JSON")


def _add_bench(sub):
    p = sub.add_parser("bench", help="solve the built-in problems with several solvers and print the table")
    p.add_argument("--solvers", default="clarabel,scs", help="comma-separated solver names")
    p.add_argument("--accuracy", default="high", help="comma-separated accuracies")
    p.add_argument("--csv", default=None, help="also write the rows to this CSV file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cvxnn", description="Exact, certified training of small neural networks.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    _add_solve(sub)
    _add_bench(sub)
    sub.add_parser("solvers", help="list the solver adapters, installed or not")
    return parser


def _architecture(args):
    from .architectures import TwoLayer

    model = check_choice(args.model, MODELS, "model")
    if model == "two-layer" and args.depth != 2:
        raise UnsupportedCombinationError(
            f"--model two-layer needs --depth 2; received --depth {args.depth}."
        )
    return TwoLayer(args.activation, bias=args.bias, leaky_slope=args.leaky_slope)


def cmd_solve(args) -> int:
    from .api import to_jsonable, train
    from .data import read_csv

    arch = _architecture(args)
    X, y = read_csv(args.data)
    if args.beta is None and not args.interpolate:
        raise InvalidParameterError(
            "cvxnn solve needs --beta B (B > 0) for training, or --interpolate for minimum-norm interpolation."
        )
    trained = train(X, y, arch, args.beta, solver=args.solver, accuracy=args.accuracy,
                    duplicates=args.duplicates, time_limit=args.time_limit,
                    mode="interpolation" if args.interpolate else "training")
    print(trained.summary())
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(to_jsonable(trained.to_dict()), indent=1))
    return EXIT_OK if trained.certificate.certified else EXIT_FAILED


def cmd_bench(args) -> int:
    from .bench import run_builtin
    from .report import format_table
    from .solvers.base import check_accuracy
    from .solvers.registry import get_solver

    solvers = [s.strip().lower() for s in args.solvers.split(",") if s.strip()]
    for s in solvers:
        get_solver(s)  # fail early: unknown or missing solver
    accuracies = [check_accuracy(a.strip()) for a in args.accuracy.split(",") if a.strip()]
    rows = run_builtin(solvers, accuracies, progress=not args.no_progress and sys.stderr.isatty())
    print(format_table(rows))
    if args.csv:
        import pandas as pd

        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(args.csv, index=False)
    bad = [r for r in rows if not r.get("certified")]
    n_opt = sum(bool(r.get("globally_optimal")) for r in rows)
    print(f"\n{len(rows) - len(bad)} of {len(rows)} runs certified ({n_opt} globally optimal, scope global).")
    for r in bad:
        print(f"NOT certified: {r['problem']} / {r['solver']} / {r['accuracy']}: status {r.get('status')} "
              f"{r.get('error', '')}".rstrip())
    return EXIT_OK if not bad else EXIT_FAILED


def cmd_solvers(args) -> int:
    from .report import format_table
    from .solvers import ADAPTERS

    rows = [{"solver": name, "installed": a.is_installed(), "version": a.version() or "",
             "problem classes": ", ".join(a.problem_classes), "install": a.install_command()}
            for name, a in ADAPTERS.items()]
    print(format_table(rows, list(rows[0])))
    return EXIT_OK


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    handler = {"solve": cmd_solve, "bench": cmd_bench, "solvers": cmd_solvers}[args.command]
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
