"""Report dataclasses that read like the JSON they stand for.

The structured reports of a solved problem (:class:`cvxnn.models.symmetry_1d.SymmetryReport1D`,
:class:`cvxnn.models.deep_abs.symmetry.SymmetryReportND`, :class:`cvxnn.functional.FunctionalDimension`) are
dataclasses with documented fields, a readable ``str()`` and ``to_dict()``, which gives the JSON-ready dict of the
JSON output. They are also read-only mappings over that dict, so ``report["features"]``, ``report.get("windows")``,
``"planes" in report``, ``dict(report)`` and comparison with a dict work as they did when the reports were dicts.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping


class Record(Mapping):
    """Base of cvxnn's report dataclasses: a read-only mapping over :meth:`to_dict`."""

    @abstractmethod
    def to_dict(self) -> dict:
        """The JSON-ready dict of the report."""

    def __getitem__(self, key):
        return self.to_dict()[key]

    def __iter__(self):
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython / Jupyter: the readable text
        printer.text(str(self))


def fmt(value, digits: int = 6) -> str:
    """A number in short form (``g`` with ``digits`` significant digits); None as 'none'."""
    if value is None:
        return "none"
    if isinstance(value, (bool, int)):
        return str(value)
    return f"{float(value):.{digits}g}"


def fmt_vector(values, digits: int = 4) -> str:
    return "(" + ", ".join(fmt(v, digits) for v in values) + ")"


__all__ = ["Record", "fmt", "fmt_vector"]
