"""Solver adapters and their registry."""

from .base import ACCURACIES, STATUSES, SolverAdapter, SolverRun, map_status
from .registry import ADAPTERS, get_solver, installed_solvers, register

__all__ = ["ACCURACIES", "STATUSES", "SolverAdapter", "SolverRun", "map_status", "ADAPTERS", "get_solver",
           "installed_solvers", "register"]
