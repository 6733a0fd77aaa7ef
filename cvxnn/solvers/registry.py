"""Solver registry: one name -> one adapter. Unknown names get the closest known name; known but missing solvers
get the list of installed ones and the install command."""

from __future__ import annotations

from ..errors import SolverNotInstalledError, UnknownSolverError
from ..validation import closest
from .base import ADAPTERS, SolverAdapter
from .celer_lasso import CelerAdapter
from .clarabel import ClarabelAdapter
from .ecos import ECOSAdapter
from .highs import HiGHSAdapter
from .osqp import OSQPAdapter
from .piqp import PIQPAdapter
from .scs import SCSAdapter
from .skglm_lasso import SkglmAdapter
from .sklearn_lasso import SklearnLassoAdapter


def register(adapter: type[SolverAdapter]) -> type[SolverAdapter]:
    """Add an adapter class to the registry (usable as a decorator)."""
    ADAPTERS[adapter.name] = adapter
    return adapter


# CVXPY-based adapters, then the native Lasso adapters (training Lasso programs only; see native.py)
for _a in (ClarabelAdapter, SCSAdapter, ECOSAdapter, PIQPAdapter, OSQPAdapter, HiGHSAdapter,
           SklearnLassoAdapter, CelerAdapter, SkglmAdapter):
    register(_a)


def installed_solvers() -> list[str]:
    return [name for name, a in ADAPTERS.items() if a.is_installed()]


def get_solver(name) -> SolverAdapter:
    """An adapter instance for ``name`` (case-insensitive)."""
    key = str(name).lower()
    if key not in ADAPTERS:
        raise UnknownSolverError(
            f"unknown solver {name!r}; cvxnn knows {', '.join(sorted(ADAPTERS))} "
            f"(installed: {', '.join(installed_solvers()) or 'none'}).{closest(key, ADAPTERS)}"
        )
    adapter = ADAPTERS[key]
    if not adapter.is_installed():
        raise SolverNotInstalledError(
            f"solver {key!r} is not installed. Installed solvers: {', '.join(installed_solvers()) or 'none'}. "
            f"Install it with: {adapter.install_command()}"
        )
    return adapter()
