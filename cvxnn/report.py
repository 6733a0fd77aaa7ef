"""Tables for people: rows of results formatted with pandas + tabulate."""

from __future__ import annotations

import pandas as pd

DEFAULT_COLUMNS = ["problem", "n", "activation", "bias", "beta", "dict_size", "solver", "accuracy", "status",
                   "certified", "globally_optimal", "objective", "certified_gap", "reconstruction_gap",
                   "dual_violation", "n_active", "iterations", "wall_s"]


def format_table(rows: list[dict], columns=None) -> str:
    frame = pd.DataFrame(rows)
    columns = [c for c in (columns or DEFAULT_COLUMNS) if c in frame.columns]
    frame = frame[columns]
    return frame.to_markdown(index=False, floatfmt=".4g")
