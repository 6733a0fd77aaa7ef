"""Tables for people: rows of results formatted with pandas + tabulate."""

from __future__ import annotations

import pandas as pd

DEFAULT_COLUMNS = ["problem", "n", "activation", "beta", "dict_size", "solver", "accuracy", "status", "certified",
                   "scope", "objective", "rel_error", "certified_gap", "reconstruction_gap", "dual_violation", "n_active",
                   "iterations", "wall_s"]


def format_table(rows: list[dict], columns=None) -> str:
    """A markdown table of ``rows`` with the given columns (those present); missing values print as '-'."""
    frame = pd.DataFrame(rows)
    columns = [c for c in (columns or DEFAULT_COLUMNS) if c in frame.columns]
    frame = frame[columns].astype(object)
    frame = frame.where(frame.notna(), None)
    return frame.to_markdown(index=False, floatfmt=".4g", missingval="-")
