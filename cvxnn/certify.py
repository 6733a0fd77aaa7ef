"""Certificates of global optimality (theory: "Rescaling and duality", "Certificates").

For any dual point lambda (centred when the net has a free output bias) let M(lambda) be the sup over ALL units
theta of |lambda^T sigma_theta(X)|. Scaling lambda_t = t lambda with t = clip(lambda^T y / ||lambda||^2, 0, beta/M)
makes it dual feasible, and ``D(lambda_t) = lambda_t^T y - (1/2)||lambda_t||^2`` is a lower bound on the training
objective of every network of the architecture, of any width (weak duality). A network whose objective p satisfies
p - D <= tol_abs + tol_rel |p| is therefore globally optimal up to that tolerance.

The rule. A network is **certified** when (1) its certified gap p - D(lambda_t), computed from the SCALED dual
point (feasible by construction, whatever the solver's dual violation was), is at most ``tol_abs + tol_rel |p|``;
(2) for a solve, the rebuilt network's objective equals the convex optimum c: ``|p - c| <= tol_abs +
tol_reconstruction |c|``; (3) in interpolation mode, the network fits the data. The dual violation M / beta of the
unscaled point is reported, never a pass condition: scaling already made the point feasible, and weak duality needs
nothing more. It is **globally optimal** when certified and the oracle's scope is ``global``; with scope
``sampled`` or ``restricted`` the dual value bounds only the restricted problem, so no lower bound on the global
optimum is claimed (``Certificate.lower_bound`` is None).

Tolerances do not loosen with the solver's accuracy: a low-accuracy solve is simply not certified.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


TOL_ABS = 1e-9
TOL_REL = 1e-6
TOL_RECONSTRUCTION = 1e-6
TOL_FIT = 1e-7  # interpolation mode: max |f(x_i) - y_i| <= TOL_FIT * max(1, max |y|)


def project_free(program, lam) -> np.ndarray:
    """lam with its components along the program's unpenalised directions removed (a free output bias: lam is
    centred; a free linear term: lam is also orthogonal to x), so that it is feasible for their dual equalities."""
    lam = np.asarray(lam, dtype=np.float64).reshape(-1).copy()
    F = program.free_columns() if hasattr(program, "free_columns") else None
    if F is None and program.has_output_bias:
        F = np.ones((lam.size, 1))
    if F is not None and F.shape[1] == 1 and np.all(F[:, 0] == 1.0):
        lam -= lam.mean()
    elif F is not None and F.size:
        Q, _ = np.linalg.qr(F)
        lam -= Q @ (Q.T @ lam)
    return lam


def scale_dual(lam: np.ndarray, y: np.ndarray, beta: float, sup: float) -> tuple[float, float]:
    """Best feasible scaling t of lam and the dual value D(t lam) (theory: "Certificates")."""
    lam_sq = float(lam @ lam)
    if lam_sq == 0.0:
        return 0.0, 0.0
    t = max(float(lam @ y) / lam_sq, 0.0)
    if sup > 0.0:
        t = min(t, beta / sup)
    return t, t * float(lam @ y) - 0.5 * t * t * lam_sq


@dataclass
class Certificate:
    """The outcome of a certificate check. ``certified`` means every check passed for ``scope``;
    ``globally_optimal`` means certified with scope 'global'."""

    certified: bool
    globally_optimal: bool
    scope: str
    oracle: str
    objective: float  # nonconvex objective of the network
    convex_objective: float | None
    dual_objective: float  # D(lambda_t): a lower bound on the training optimum when scope is 'global'
    duality_gap: float | None  # convex_objective - D
    certified_gap: float  # objective - D
    reconstruction_gap: float | None  # |objective - convex_objective| / |convex_objective| (relative)
    dual_violation: float  # M(lambda) / beta before scaling (reported, not a pass condition)
    dual_scale: float
    dual_source: str  # 'solver' or 'residual'
    worst_unit: dict
    failures: list = field(default_factory=list)
    tolerances: dict = field(default_factory=dict)
    mode: str = "training"
    fit_error: float | None = None  # interpolation mode: max |f(x_i) - y_i|

    @property
    def lower_bound(self) -> float | None:
        """D(lambda_t), a lower bound on the global optimum of training, when the oracle checked every unit (scope
        'global'); None otherwise (a sampled or restricted oracle bounds only the restricted problem)."""
        return self.dual_objective if self.scope == "global" else None

    def to_dict(self) -> dict:
        return {**asdict(self), "lower_bound": self.lower_bound}

    def summary(self) -> str:
        verdict = "GLOBALLY OPTIMAL (certified, scope global)" if self.globally_optimal else (
            f"certified for scope {self.scope!r} only, NOT a global certificate" if self.certified
            else "NOT certified")
        what = "minimum weight cost" if self.mode == "interpolation" else "training objective"
        if self.scope == "global":
            bound = f"lower bound on the global optimum {self.dual_objective:.12g}"
        else:
            bound = (f"dual value {self.dual_objective:.12g} of the {self.scope} problem (NOT a lower bound on the "
                     f"global optimum: the oracle did not check every unit)")
        lines = [
            f"certificate: {verdict}",
            f"  {what} {self.objective:.12g}, {bound}, certified gap {self.certified_gap:.3e}",
            f"  dual sup / beta = {self.dual_violation:.12g} before scaling (oracle: {self.oracle})",
        ]
        if self.reconstruction_gap is not None:
            lines.append(f"  reconstruction gap {self.reconstruction_gap:.3e} (relative)")
        for f in self.failures:
            lines.append(f"  failed: {f}")
        return "\n".join(lines)


def relative_difference(a: float, b: float) -> float:
    """|a - b| / |b| (0 when both are 0, inf when only b is)."""
    diff = abs(a - b)
    if diff == 0.0:
        return 0.0
    return diff / abs(b) if b != 0.0 else float("inf")


def certify_point(program, network, lam, *, convex_objective=None, dual_source="solver",
                  tol_abs=TOL_ABS, tol_rel=TOL_REL, tol_reconstruction=TOL_RECONSTRUCTION,
                  tol_fit=TOL_FIT) -> Certificate:
    """Certify ``network`` on ``program``'s data with the dual point ``lam``.

    Training mode: weak duality for the regularised problem (theory: "Certificates"). Interpolation mode (min weight
    cost subject to an exact fit): lambda / M is dual feasible for the LP, so ``D = max(0, lambda^T y / M)`` bounds the
    minimum cost of every interpolating network of any width; the network must also fit the data to ``tol_fit * max(1,
    max|y|)``. The pass rule is in the module docstring.
    """
    X, y = program.X, program.y
    lam = project_free(program, lam)
    sup, unit = program.dual_sup(lam)
    failures = []
    fit_error = None
    if program.mode == "interpolation":
        beta = 1.0
        t = 1.0 / sup if sup > 0 else 0.0
        dual_obj = max(0.0, float(lam @ y) * t)
        primal = network.penalty_value()
        fit_error = float(np.max(np.abs(network.predict(X) - y)))
        if not fit_error <= tol_fit * max(1.0, float(np.max(np.abs(y)))):
            failures.append(f"the network does not interpolate: max |f(x) - y| = {fit_error:.3e}")
    else:
        beta = float(program.beta.value)
        t, dual_obj = scale_dual(lam, y, beta, sup)
        primal = network.objective(X, y)
    cert_gap = primal - dual_obj
    if not cert_gap <= tol_abs + tol_rel * abs(primal):
        failures.append(f"certified gap {cert_gap:.3e} > {tol_abs:g} + {tol_rel:g} * |objective|")
    violation = sup / beta
    recon = None
    duality_gap = None
    if convex_objective is not None:
        recon = relative_difference(primal, convex_objective)
        duality_gap = convex_objective - dual_obj
        if not abs(primal - convex_objective) <= tol_abs + tol_reconstruction * abs(convex_objective):
            failures.append(f"reconstruction gap: the network's objective {primal:.12g} differs from the convex "
                            f"optimum {convex_objective:.12g} by {abs(primal - convex_objective):.3e} > {tol_abs:g} "
                            f"+ {tol_reconstruction:g} * |convex optimum|")
    certified = not failures
    return Certificate(
        certified=certified,
        globally_optimal=certified and program.scope == "global",
        scope=program.scope,
        oracle=program.oracle,
        objective=primal,
        convex_objective=convex_objective,
        dual_objective=dual_obj,
        duality_gap=duality_gap,
        certified_gap=cert_gap,
        reconstruction_gap=recon,
        dual_violation=violation,
        dual_scale=t,
        dual_source=dual_source,
        worst_unit=unit,
        failures=failures,
        tolerances={"abs": tol_abs, "rel": tol_rel, "reconstruction": tol_reconstruction,
                    **({"fit": tol_fit} if program.mode == "interpolation" else {})},
        mode=program.mode,
        fit_error=fit_error,
    )


def certify(program, result, **tolerances) -> Certificate:
    """Certify a solve: the solver's dual vector (or, if the solver gave none, the network's residual), the
    rebuilt network's objective, and the continuous dual constraint."""
    net = result.network
    if result.dual is not None:
        lam, source = result.dual, "solver"
    elif program.mode == "training":
        lam, source = program.y - net.predict(program.X), "residual"
    else:
        raise ValueError("interpolation mode needs the solver's dual vector; the residual is zero")
    return certify_point(program, net, lam, convex_objective=result.convex_objective, dual_source=source,
                         **tolerances)
