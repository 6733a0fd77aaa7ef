"""Helpers for the tests that check committed results tables against a fresh computation: load a bench script as a
module and read the markdown tables of a results file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_module(name: str):
    """bench/<name>.py as a module (the bench folder is not a package)."""
    path = ROOT / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tables(results_file: str) -> list[list[dict]]:
    """Every markdown table of results/<results_file>, as lists of {header: cell} rows (cells stripped); a header
    that repeats an earlier one of its table gets a suffix: 'loss', 'loss (2)'."""
    lines = (ROOT / "results" / results_file).read_text().splitlines()
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            head = []
            for c in (c.strip() for c in lines[i].strip().strip("|").split("|")):
                head.append(c if c not in head else f"{c} ({sum(h.split(' (')[0] == c for h in head) + 1})")
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                rows.append(dict(zip(head, cells)))
                i += 1
            out.append(rows)
        else:
            i += 1
    return out


def find_row(results_file: str, **match) -> dict:
    """The one row, in any table of the file, whose cells equal ``match`` (values compared as strings)."""
    hits = [r for t in tables(results_file) for r in t
            if all(r.get(k) == str(v) for k, v in match.items())]
    assert len(hits) == 1, f"{results_file}: {len(hits)} rows match {match}"
    return hits[0]
