"""One call from data to a certified network, and the JSON contract every model shares (theory: "Conventions")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .certify import Certificate, certify
from .errors import CvxnnError
from .functional import FunctionalDimension, functional_dimension
from .models import build, model_for
from .network import Network
from .program import DictionaryProgram, SolveResult
from .solvers import ADAPTERS


@dataclass
class Trained:
    """A solved and certified training problem."""

    program: DictionaryProgram
    result: SolveResult
    certificate: Certificate

    @property
    def network(self):
        return self.result.network

    @property
    def globally_optimal(self) -> bool:
        return self.certificate.globally_optimal

    def to_dict(self) -> dict:
        """The machine-readable result (the CLI's --json)."""
        run, cert, res = self.result.run, self.certificate, self.result
        return {
            **self.program.summary(),
            "objective": cert.objective,
            "convex_objective": res.convex_objective,
            "l1_norm": res.l1_norm,
            "certified": cert.certified,
            "globally_optimal": cert.globally_optimal,
            "scope": cert.scope,
            "oracle": cert.oracle,
            "duality_gap": cert.duality_gap,
            "certified_gap": cert.certified_gap,
            "dual_objective": cert.dual_objective,
            "lower_bound": cert.lower_bound,
            "dual_violation": cert.dual_violation,
            "dual_source": cert.dual_source,
            "fit_error": cert.fit_error,
            "reconstruction_gap": cert.reconstruction_gap,
            "certificate_failures": cert.failures,
            "tolerances": cert.tolerances,
            "status": run.status,
            "solver_status": run.raw_status,
            "solver": run.solver,
            "solver_version": _solver_version(run.solver),
            "accuracy": run.accuracy,
            "solver_tolerance": run.tolerance,
            "solver_options": run.options,
            "times": run.times,
            "iterations": run.iterations,
            "n_active": res.network.width,
            "widths": res.network.meta.get("widths"),
            "network": res.network.to_dict(),
            "symmetry": _as_dict(self.symmetry()),
            "functional_dimension": _as_dict(self.functional_dimension()),
        }

    def functional_dimension(self) -> FunctionalDimension | None:
        """Rank of the parameter Jacobian of the rebuilt network on a wide input batch against #params - #hidden
        neurons, with the canonical form that merges parallel-hyperplane neurons (theory: "Functional dimension";
        :mod:`cvxnn.functional`), as a :class:`cvxnn.functional.FunctionalDimension` (printable; ``to_dict()`` for
        JSON; it also reads as that dict). Deep (parallel-chain) nets count their structural parameters only and get
        no canonical form (merging would leave the chain architecture). None for nets it does not cover (gated,
        empty); a report with ``error`` set when it cannot be computed (e.g. step activations)."""
        net = self.result.network
        if not isinstance(net, Network) or net.width == 0:
            return None
        deep = getattr(self.program.architecture, "parallel_chains", False)
        try:
            return functional_dimension(net, self.program.X, parameters="structural" if deep else "all",
                                        canonical=not deep)
        except CvxnnError as exc:
            return FunctionalDimension.failed(str(exc))

    @property
    def model(self):
        """The model family that built the program (:mod:`cvxnn.models`)."""
        return model_for(self.program.architecture, self.program.X.shape[1])

    def symmetry(self):
        """The model family's symmetry report (theory: "Symmetry"): for 1-D models a
        :class:`cvxnn.models.symmetry_1d.SymmetryReport1D` (breakpoints, mirror centres and symmetry windows of the
        fit); for deep-abs nets a :class:`cvxnn.models.deep_abs.symmetry.SymmetryReportND` (reflection planes);
        None for the other families. Reports print readably, ``to_dict()`` gives their JSON, and they also read as
        that dict (``report["features"]``)."""
        return self.model.symmetry(self)

    def plot(self, path, title: str | None = None):
        """Draw the fit to ``path`` (png, pdf, svg; 1-D and 2-D inputs): :func:`cvxnn.plotting.plot_fit`."""
        from .plotting import plot_fit

        return plot_fit(self, path, title)

    def plot_dual(self, path=None, *, dual=None, network=None, ax=None, title: str | None = None):
        """Draw the dual certificate (the dual constraint over the units against the bound beta; the units of the net
        where they touch it) to ``path`` or into ``ax``, and return what was drawn, a
        :class:`cvxnn.plotting.DualPicture`. ``dual`` draws another dual point (e.g. the residual of another net),
        ``network`` marks another net's units. What is drawn for each model: :func:`cvxnn.plotting.plot_dual`."""
        from .plotting import plot_dual

        return plot_dual(self, path, dual=dual, network=network, ax=ax, title=title)

    def explain(self) -> str:
        """A short lesson in duality for this instance, in the model family's terms."""
        return self.model.explain(self)

    def summary(self) -> str:
        s = self.program.summary()
        run, res = self.result.run, self.result
        what = f"beta = {s['beta']:g}" if s["mode"] == "training" else "minimum-norm interpolation (beta -> 0)"
        head = (f"{s['model']} {s['activation']} net, depth {s['depth']}, bias {s['bias_convention']}, "
                f"n = {s['n']}, d = {s['d']}, {what}, dictionary {s['dictionary_size']} columns")
        solve = (f"solver {run.solver} ({run.accuracy} accuracy): status {run.status}, "
                 f"{run.iterations} iterations, wall {run.times['wall']:.3f} s")
        net = (f"network: {res.network.width} active units, objective {self.certificate.objective:.12g} "
               f"(convex optimum {res.convex_objective:.12g}, l1 norm {res.l1_norm:.6g})")
        return "\n".join([head, solve, net, self.certificate.summary()])


def _solver_version(name: str):
    return ADAPTERS[name].version() if name in ADAPTERS else None


def train(X, y, architecture=None, beta=None, *, solver: str = "auto", accuracy: str = "high",
          duplicates: str = "error", time_limit: float | None = None, mode: str = "training",
          progress: bool = False) -> Trained:
    """Build the convex program, solve it, rebuild the network and certify it.

    mode='interpolation' solves the minimum-norm interpolation problem (the beta -> 0 limit; beta must be None).
    solver='auto' uses Clarabel for training and HiGHS for the interpolation LP. progress: progress bars on stderr
    for pattern enumeration and column-generation rounds.
    """
    program = build(X, y, architecture, beta, duplicates=duplicates, mode=mode, progress=progress)
    result = program.solve(solver=solver, accuracy=accuracy, time_limit=time_limit, progress=progress)
    return Trained(program, result, certify(program, result))


def _as_dict(report):
    return None if report is None else report.to_dict()


def to_jsonable(obj):
    """Recursively convert numpy scalars/arrays (and reports, through their dict) so ``json.dump`` accepts the
    result."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
