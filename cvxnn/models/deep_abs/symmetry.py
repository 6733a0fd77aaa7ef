"""Symmetry structure of three-layer absolute-value nets in d dimensions (theory: "Three-layer absolute-value nets in d
dimensions", "Symmetry").

A unit ``z ||v^T x - a1| - a2|`` is mirror-symmetric about the hyperplane ``v^T x = a1`` (level 1) and, when
a2 > 0, inside each half-space of that plane about ``v^T x = a1 + a2`` and ``v^T x = a1 - a2`` (level 2: a plane
inside a plane). Planes are reported with the unit-l2 normal ``n = v / ||v||_2`` and offset ``c / ||v||_2``, so that
the plane is ``{x : n^T x = offset}``.

Plane kinds (checked in this order, to ``tol`` times the data scale max_k ptp(X[:, k])):
``data`` (through >= 1 training point; ``from`` = all of them), ``reflection`` (through the mirror image
2 x_c - x_b of a training point about another; ``from`` = [b, c] of the first pair, ``constructions`` = all pairs),
``midpoint`` (through (x_k + x_l)/2; ``from`` = [k, l], ``constructions`` = all pairs), else ``other``.

``data_mirrors`` decides, for every hyperplane across which the training data is closed (with equal targets; the
candidates are the reported planes, the coordinate mid-planes and all perpendicular bisectors of two points),
whether the optimal face of the convex program forces weight onto units whose level-1 plane is the mirror
(theory: "Symmetry"): with lam the centred dual, the optimal prediction f_hat is unique, and the optimal face is
``{s >= 0 on the tight columns (|A_j^T lam| = beta), signed by sign(A_j^T lam) : A_T S s + xi 1 = f_hat}``
(every such point has the optimal l1 norm lam^T f_hat / beta). Two LPs minimise and maximise the mirror-plane
weight on it: 'required' (min > 0), 'optional' (min = 0 < max) or 'absent' (max = 0).
The mirror image of an optimum is optimal, so the predictions at the data are symmetric, only when the reflection
preserves the inner-weight norm (``penalty_invariant``): always for l2, and for l1 only for reflections that permute
coordinates up to sign (axis normals, (e_i +- e_j)/sqrt(2)); oblique mirrors with l1 give asymmetric predictions.
For l2 inner weights the tight set is the finite pool plus the working dictionary, a subset of the continuum of
directions, so the roles are relative to those columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import UnsupportedCombinationError
from ...records import Record, fmt, fmt_vector
from ...validation import input_scale

TIGHT_TOL = 1e-6  # |A_j^T lam| >= beta (1 - TIGHT_TOL): a column that can carry weight on the optimal face
ROLE_TOL = 1e-6  # mirror weight above ROLE_TOL x total l1 norm counts as present
PAIR_TOL = 1e-6  # relative tolerance when matching a reflected unit with another unit


# ------------------------------------------------------------------------------------------------- helpers
def _canonical(normal: np.ndarray, offset: float, tol: float = 1e-12):
    """Flip (n, c) so that the first entry of n above tol is positive (the plane is the same); no -0.0."""
    big = np.flatnonzero(np.abs(normal) > tol)
    if big.size and normal[big[0]] < 0:
        normal, offset = -normal, -offset
    return normal + 0.0, float(offset) + 0.0


def unit_planes(direction, a1: float, a2: float):
    """[(normal, offset, level)] of one unit: level 1 at a1, level 2 at a1 +- a2 (when a2 > 0), all in unit-l2
    form and canonical sign."""
    v = np.asarray(direction, dtype=np.float64)
    s = float(np.linalg.norm(v))
    n = v / s
    out = [(*_canonical(n, a1 / s), 1)]
    if a2 > 0:
        out += [(*_canonical(n, (a1 + a2) / s), 2), (*_canonical(n, (a1 - a2) / s), 2)]
    return out


def same_plane(n1, c1, n2, c2, dir_tol: float, off_tol: float) -> bool:
    n1, n2 = np.asarray(n1), np.asarray(n2)
    if np.max(np.abs(n1 - n2)) <= dir_tol and abs(c1 - c2) <= off_tol:
        return True
    return bool(np.max(np.abs(n1 + n2)) <= dir_tol and abs(c1 + c2) <= off_tol)


def reflect_points(P: np.ndarray, normal, offset: float) -> np.ndarray:
    """Euclidean reflection of the rows of P across {x : n^T x = offset} (n unit-l2)."""
    n = np.asarray(normal, dtype=np.float64)
    return P - 2.0 * (P @ n - offset)[:, None] * n[None, :]


def classify_plane(normal, offset: float, X: np.ndarray, tol: float = 1e-7) -> dict:
    """Name a hyperplane by the simplest construction from training points that it passes through."""
    X = np.asarray(X, dtype=np.float64)
    n_pts = X.shape[0]
    atol = tol * input_scale(X)
    t = X @ np.asarray(normal, dtype=np.float64)
    hit = np.flatnonzero(np.abs(t - offset) <= atol)
    if hit.size:
        return {"kind": "data", "from": [int(i) for i in hit], "constructions": [[int(i)] for i in hit]}
    R = 2.0 * t[None, :] - t[:, None]  # R[b, c] = n.(2 x_c - x_b)
    b, c = np.nonzero((np.abs(R - offset) <= atol) & ~np.eye(n_pts, dtype=bool))
    if b.size:
        pairs = [[int(p), int(q)] for p, q in zip(b, c)]
        return {"kind": "reflection", "from": pairs[0], "constructions": pairs}
    M = 0.5 * (t[:, None] + t[None, :])
    k, l = np.nonzero((np.abs(M - offset) <= atol) & (np.arange(n_pts)[:, None] < np.arange(n_pts)[None, :]))
    if k.size:
        pairs = [[int(p), int(q)] for p, q in zip(k, l)]
        return {"kind": "midpoint", "from": pairs[0], "constructions": pairs}
    return {"kind": "other", "from": [], "constructions": []}


def mirrored_points(normal, offset: float, X: np.ndarray, tol: float = 1e-7):
    """(projection pairs, exact pairs): i < k with n.x_i + n.x_k = 2 offset, and with R x_i = x_k."""
    X = np.asarray(X, dtype=np.float64)
    atol = tol * input_scale(X)
    t = X @ np.asarray(normal, dtype=np.float64)
    iu = np.triu(np.ones((t.size, t.size), dtype=bool), k=1)
    i, k = np.nonzero((np.abs(t[:, None] + t[None, :] - 2.0 * offset) <= atol) & iu)
    proj = [[int(a), int(b)] for a, b in zip(i, k)]
    RX = reflect_points(X, normal, offset)
    exact = [[a, b] for a, b in proj if np.max(np.abs(RX[a] - X[b])) <= atol]
    return proj, exact


def _box(X: np.ndarray, pad: float = 0.1):
    lo, hi = X.min(axis=0), X.max(axis=0)
    w = np.where(hi - lo > 0, hi - lo, 1.0)
    return lo - pad * w, hi + pad * w


def plane_asymmetry(predict, X, normal, offset: float, n_points: int = 2000, seed: int = 0):
    """max |f(x) - f(R x)| / (max |f| + 1e-12) over a seeded uniform sample of the data's bounding box enlarged by
    10% on each side, keeping the points whose mirror image R x is also in the box (None when none is)."""
    X = np.asarray(X, dtype=np.float64)
    lo, hi = _box(X)
    rng = np.random.default_rng(seed)
    P = lo + (hi - lo) * rng.random((int(n_points), X.shape[1]))
    RP = reflect_points(P, normal, offset)
    slack = 1e-12 * (hi - lo)
    ok = np.all((RP >= lo - slack) & (RP <= hi + slack), axis=1)
    if not np.any(ok):
        return None
    f = np.asarray(predict(P[ok]), dtype=np.float64).reshape(-1)
    g = np.asarray(predict(RP[ok]), dtype=np.float64).reshape(-1)
    top = max(float(np.max(np.abs(f))), float(np.max(np.abs(g))))
    return float(np.max(np.abs(f - g)) / (top + 1e-12))


def canonical_unit(unit: dict):
    """(n, a1, a2, w) with unit-l2 n (canonical sign): the unit computes w ||n.x - a1| - a2| exactly."""
    v = np.asarray(unit["direction"], dtype=np.float64)
    s = float(np.linalg.norm(v))
    n, a1 = _canonical(v / s, float(unit["a1"]) / s)
    return n, a1, float(unit["a2"]) / s, float(unit["z"]) * s


def reflect_unit(unit: dict, normal, offset: float) -> dict:
    """The unit x -> unit(R x): v' = v - 2 (v.n) n, a1' = a1 - 2 c (v.n), same a2 and z."""
    v = np.asarray(unit["direction"], dtype=np.float64)
    n = np.asarray(normal, dtype=np.float64)
    vn = float(v @ n)
    return {"direction": v - 2.0 * vn * n, "a1": float(unit["a1"]) - 2.0 * offset * vn, "a2": float(unit["a2"]),
            "z": float(unit["z"])}


def unit_value(unit: dict, P: np.ndarray) -> np.ndarray:
    t = np.asarray(P, dtype=np.float64) @ np.asarray(unit["direction"], dtype=np.float64)
    return float(unit["z"]) * np.abs(np.abs(t - float(unit["a1"])) - float(unit["a2"]))


def _same_unit(u, w, dir_tol, off_tol, rtol) -> bool:
    n1, a1, b1, z1 = u
    n2, a2, b2, z2 = w
    if not same_plane(n1, a1, n2, a2, dir_tol, off_tol) or abs(b1 - b2) > off_tol:
        return False
    return abs(z1 - z2) <= rtol * max(abs(z1), abs(z2), 1e-300)


# ------------------------------------------------------------------------------------- the optimal face
def _tight_columns(program, lam: np.ndarray, threshold: float):
    """(ChainColumns of the tight columns, signs): pool columns with |score| >= threshold (1 - TIGHT_TOL),
    materialised, plus the tight columns of the program's working dictionary."""
    cut = threshold * (1.0 - TIGHT_TOL)
    blocks, signs = [], []
    pool = getattr(program, "pool", None)
    if pool is not None:
        sc = pool.scores(lam)
        idx = np.flatnonzero(np.abs(sc) >= cut)
        if idx.size:
            blocks.append(pool.subset(idx))
            signs.append(np.sign(sc[idx]))
    dic = program.dictionary
    sc = dic.scores(lam)
    idx = np.flatnonzero(np.abs(sc) >= cut)
    if idx.size:
        blocks.append(dic.subset(idx))
        signs.append(np.sign(sc[idx]))
    if not blocks:
        return None, np.zeros(0)
    cols = blocks[0]
    for b in blocks[1:]:
        cols = cols.extend(b)
    return cols, np.concatenate(signs)


def mirror_columns(cols, normal, offset: float, X: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Boolean mask: columns whose level-1 plane {v.x = a1} is {n.x = offset}."""
    V = np.asarray(cols.directions, dtype=np.float64)
    s = np.linalg.norm(V, axis=1)
    cosang = (V @ np.asarray(normal, dtype=np.float64)) / s
    parallel = np.abs(np.abs(cosang) - 1.0) <= 1e-9
    off = np.sign(cosang) * cols.a[:, 0] / s
    return parallel & (np.abs(off - offset) <= tol * input_scale(X))


def _face_lp(A, f_hat, mask, total, scale_f):
    """min and max of sum_{mask} s over {s >= 0, xi free : |A s + xi 1 - f_hat| <= eps, sum s <= total (1 + 1e-6)}.
    Returns (min, max, eps) or None when the LP fails at every eps tried."""
    from scipy.optimize import linprog

    n, m = A.shape
    Aub_fit = np.hstack([A, np.ones((n, 1))])
    A_ub = np.vstack([Aub_fit, -Aub_fit, np.concatenate([np.ones(m), [0.0]])[None, :]])
    bounds = [(0, None)] * m + [(None, None)]
    c = np.concatenate([mask.astype(np.float64), [0.0]])
    for eps in (1e-9 * scale_f, 1e-8 * scale_f, 1e-7 * scale_f):
        b_ub = np.concatenate([f_hat + eps, -(f_hat - eps), [total * (1.0 + 1e-6)]])
        lo = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
        hi = linprog(-c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if lo.status == 0 and hi.status == 0:
            return max(float(lo.fun), 0.0), max(float(-hi.fun), 0.0), float(eps)
    return None


def penalty_invariant(normal, norm: str) -> bool:
    """Whether the reflection across a plane with this normal maps unit-norm inner weights to unit-norm ones (so
    the mirror image of an optimum is optimal): always for l2; for l1 only when it permutes coordinates up to sign
    (normal along an axis, or (e_i +- e_j)/sqrt(2))."""
    if norm != "l1":
        return True
    a = np.sort(np.abs(np.asarray(normal, dtype=np.float64)))[::-1]
    if abs(a[0] - 1.0) <= 1e-9:
        return True
    return a.size >= 2 and abs(a[0] - a[1]) <= 1e-9 and abs(a[0] - np.sqrt(0.5)) <= 1e-9


def _dual(trained) -> np.ndarray:
    program, res = trained.program, trained.result
    if res.dual is not None:
        lam = np.asarray(res.dual, dtype=np.float64)
    else:  # native solvers return no dual: at a training optimum lam = y - f_hat
        lam = program.y - program.dictionary.matrix @ res.z - res.xi
    return lam - lam.mean()


def data_mirror_candidates(X, y, planes, tol: float = 1e-7):
    """Hyperplanes across which (X, y) is closed: every R x_i is a training point x_k with y_k = y_i (to tol).
    Candidates: the given planes [(normal, offset)], the coordinate hyperplanes x_k = (min + max)/2 and the
    perpendicular bisectors of all pairs of training points (complete: a mirror of the data maps some point off
    it onto another training point, so it is their bisector). Returns [(normal, offset, plane index or None,
    permutation k(i))]."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n_pts, d = X.shape
    atol, ytol = tol * input_scale(X), tol * (float(np.ptp(y)) or 1.0)
    cands = [(np.asarray(n, dtype=np.float64), float(c), i) for i, (n, c) in enumerate(planes)]
    extra = []
    for k in range(d):
        e = np.zeros(d)
        e[k] = 1.0
        extra.append((e, 0.5 * float(X[:, k].min() + X[:, k].max())))
    for i in range(n_pts):
        for k in range(i + 1, n_pts):
            w = X[k] - X[i]
            s = float(np.linalg.norm(w))
            if s > atol:
                extra.append(_canonical(w / s, float(w @ (X[i] + X[k])) / (2.0 * s)))
    for e, c in extra:
        if not any(same_plane(e, c, n, cc, 1e-9, atol) for n, cc, _ in cands):
            cands.append((e, c, None))
    out = []
    for n, c, idx in cands:
        RX = reflect_points(X, n, c)
        D = np.max(np.abs(RX[:, None, :] - X[None, :, :]), axis=2)  # (n, n)
        k = np.argmin(D, axis=1)
        if np.all(D[np.arange(X.shape[0]), k] <= atol) and np.all(np.abs(y[k] - y) <= ytol):
            out.append((n, c, idx, k))
    return out


# ------------------------------------------------------------------------------------------ the report
@dataclass(eq=False)
class SymmetryReportND(Record):
    """The reflection-plane report of a three-layer absolute-value fit in d dimensions (``Trained.symmetry()`` for
    ``DeepAbs``; theory: "Symmetry"; definitions in this module's docstring). ``to_dict()`` is the ``symmetry``
    section of the JSON output; the report also reads as that dict (``report["planes"]``). Entries are JSON-ready
    dicts.

    model, d, tol: 'deep-abs', the input dimension, the relative tolerance of the plane kinds.
    planes: ``{x : normal . x = offset}`` (unit-l2 normal, canonical sign) with ``level`` (1: a unit's mirror,
        2: a plane inside a plane), ``units`` (indices of the units it belongs to), ``kind`` / ``from`` /
        ``constructions`` (data, reflection, midpoint or other, see :func:`classify_plane`), ``mirrored_points`` and
        ``mirrored_points_exact`` (pairs of training points mirrored across it, in projection and exactly) and
        ``asymmetry`` (:func:`plane_asymmetry` of the fit, None when no mirrored sample stays in the box).
    units: one per unit of the network: ``index``, ``dictionary_column``, ``direction``, ``norm``, ``a1``, ``a2``,
        ``z``, ``planes`` (``plane`` index and ``level``), and the pool's ``family``, ``points``,
        ``direction_kind``, ``direction_from``.
    mirrored_unit_pairs: ``units`` [a, b] and ``plane``: reflecting unit a across the plane gives unit b.
    levels: ``plane`` and ``inside``: a level-2 plane inside a unit's level-1 plane.
    data_mirrors: hyperplanes across which the training data (with targets) is closed, with the role of the
        mirror on the optimal face (``required``, ``optional``, ``absent`` or ``unknown``) and the LP weights that
        decide it (``min_weight``, ``max_weight``, ``total_weight``), ``penalty_invariant``, ``pairs``,
        ``prediction_symmetry`` (and relative), ``tight_columns``, ``tight_mirror_columns``, ``lp_eps``.
    """

    model: str = "deep-abs"
    d: int = 0
    tol: float = 1e-7
    planes: list = field(default_factory=list)
    units: list = field(default_factory=list)
    mirrored_unit_pairs: list = field(default_factory=list)
    levels: list = field(default_factory=list)
    data_mirrors: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"model": self.model, "d": self.d, "tol": self.tol, "planes": self.planes, "units": self.units,
                "mirrored_unit_pairs": self.mirrored_unit_pairs, "levels": self.levels,
                "data_mirrors": self.data_mirrors}

    def __str__(self) -> str:
        by_level = [sum(p["level"] == k for p in self.planes) for k in (1, 2)]
        lines = [(f"reflection planes of a three-layer abs fit in d = {self.d}: {len(self.planes)} planes "
                  f"({by_level[0]} level 1, {by_level[1]} level 2) from {len(self.units)} units")]
        for j, p in enumerate(self.planes):
            src = f" (points {', '.join(str(i) for i in _flat(p['from']))})" if p["from"] else ""
            asym = "n/a" if p["asymmetry"] is None else fmt(p["asymmetry"], 3)
            lines.append(f"  plane {j}: normal {fmt_vector(p['normal'])}, offset {fmt(p['offset'], 4)}, level "
                         f"{p['level']}, {p['kind']}{src}; units {p['units']}; asymmetry of the fit {asym}")
        for pair in self.mirrored_unit_pairs:
            a, b = pair["units"]
            lines.append(f"  units {a} and {b} are mirror images across plane {pair['plane']}")
        for m in self.data_mirrors:
            where = "" if m["plane"] is None else f" (plane {m['plane']})"
            lines.append(f"  data mirror normal {fmt_vector(m['normal'])}, offset {fmt(m['offset'], 4)}{where}: role "
                         f"{m['role']} on the optimal face, prediction symmetry "
                         f"{fmt(m['prediction_symmetry_relative'], 3)} (relative)"
                         + ("" if m["penalty_invariant"] else "; the reflection changes the l1 penalty"))
        if not self.data_mirrors:
            lines.append("  the training data has no mirror hyperplane")
        return "\n".join(lines)


def _flat(items):
    for v in items:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def symmetry_report(trained, *, tol: float = 1e-7, asym_points: int = 2000, seed: int = 0) -> SymmetryReportND:
    """Reflection planes, their kinds and levels, mirrored units and data mirrors of a deep-abs fit (theory:
    "Symmetry"), as a :class:`SymmetryReportND` whose entries are JSON-ready (plain lists, floats, ints). See the
    module docstring for the definitions."""
    program = trained.program
    summary = program.summary() if hasattr(program, "summary") else {}
    if summary.get("model") != "deep-abs" or not hasattr(program, "pool"):
        raise UnsupportedCombinationError(
            f"the d-dimensional reflection-plane report covers three-layer absolute-value nets (model 'deep-abs', "
            f"cvxnn.DeepAbs(3)); received a {summary.get('model', type(program).__name__)!r} program. For 1-D "
            "dictionary models use cvxnn.symmetry.symmetries (Trained.symmetry())."
        )
    X = np.asarray(program.X, dtype=np.float64)
    y = np.asarray(program.y, dtype=np.float64)
    S = input_scale(X)
    atol = tol * S
    dir_tol = 1e-9
    units_meta = trained.network.meta.get("units", [])
    columns = trained.network.meta.get("dictionary_columns", [None] * len(units_meta))
    predict = trained.network.predict

    # -- planes, deduplicated over the units
    planes, units = [], []
    for ui, u in enumerate(units_meta):
        refs = []
        for n, c, level in unit_planes(u["direction"], float(u["a1"]), float(u["a2"])):
            j = next((j for j, p in enumerate(planes) if same_plane(p["_n"], p["offset"], n, c, dir_tol, atol)),
                     None)
            if j is None:
                planes.append({"_n": n, "normal": [float(t) for t in n], "offset": float(c), "level": level,
                               "units": []})
                j = len(planes) - 1
            p = planes[j]
            p["level"] = min(p["level"], level)
            if ui not in p["units"]:
                p["units"].append(ui)
            if not any(r["plane"] == j and r["level"] == level for r in refs):
                refs.append({"plane": j, "level": level})
        units.append({"index": ui, "dictionary_column": None if columns[ui] is None else int(columns[ui]),
                      "direction": [float(t) for t in u["direction"]], "norm": u.get("norm"),
                      "a1": float(u["a1"]), "a2": float(u["a2"]), "z": float(u["z"]), "planes": refs,
                      **{k: u.get(k) for k in ("family", "points", "direction_kind", "direction_from")}})
    for p in planes:
        n = p["_n"]
        p.update(classify_plane(n, p["offset"], X, tol))
        p["mirrored_points"], p["mirrored_points_exact"] = mirrored_points(n, p["offset"], X, tol)
        p["asymmetry"] = plane_asymmetry(predict, X, n, p["offset"], asym_points, seed)

    # -- nesting: level-2 planes of a unit inside its level-1 plane
    levels = []
    for u in units:
        outer = [r["plane"] for r in u["planes"] if r["level"] == 1]
        for r in u["planes"]:
            if r["level"] == 2 and r["plane"] not in outer:
                entry = {"plane": outer[0], "inside": r["plane"]}
                if entry not in levels:
                    levels.append(entry)

    # -- mirrored unit pairs: reflecting unit p across a plane gives unit q
    canon = [canonical_unit(u) for u in units_meta]
    pairs = []
    for j, p in enumerate(planes):
        for a in range(len(units_meta)):
            ref = canonical_unit(reflect_unit(units_meta[a], p["_n"], p["offset"]))
            for b in range(a + 1, len(units_meta)):
                if _same_unit(ref, canon[b], 1e-7, 1e-7 * S + atol, PAIR_TOL):
                    pairs.append({"units": [a, b], "plane": j})

    # -- data mirrors and the optimal face
    mirrors = []
    cands = data_mirror_candidates(X, y, [(p["_n"], p["offset"]) for p in planes], tol)
    if cands:
        mirrors = _data_mirrors(trained, cands, X, y, tol)

    for p in planes:
        p.pop("_n")
    return SymmetryReportND("deep-abs", int(X.shape[1]), tol, planes, units, pairs, levels, mirrors)


def _data_mirrors(trained, cands, X, y, tol):
    program, res = trained.program, trained.result
    lam = _dual(trained)
    threshold = 1.0 if getattr(program, "mode", "training") == "interpolation" else float(program.penalty_beta)
    f_hat = program.dictionary.matrix @ res.z + res.xi
    total = float(np.sum(np.abs(res.z)))
    scale_f = max(float(np.max(np.abs(f_hat))), 1.0)
    tight, signs = _tight_columns(program, lam, threshold)
    A = None if tight is None else tight.matrix * signs[None, :]
    f_pred = np.asarray(trained.network.predict(X), dtype=np.float64).reshape(-1)
    top = float(np.max(np.abs(f_pred))) + 1e-12
    out = []
    for n, c, idx, perm in cands:
        asym = float(np.max(np.abs(f_pred - f_pred[perm])))
        entry = {"normal": [float(t) for t in n], "offset": float(c), "plane": idx,
                 "penalty_invariant": penalty_invariant(n, program.dictionary.norm),
                 "pairs": [[int(i), int(k)] for i, k in enumerate(perm) if i < k],
                 "prediction_symmetry": asym, "prediction_symmetry_relative": asym / top,
                 "tight_columns": 0 if tight is None else int(tight.size), "tight_mirror_columns": 0,
                 "role": "absent", "min_weight": 0.0, "max_weight": 0.0, "total_weight": total, "lp_eps": None}
        if tight is not None:
            mask = mirror_columns(tight, n, c, X, tol)
            entry["tight_mirror_columns"] = int(mask.sum())
            if mask.any():
                lp = _face_lp(A, f_hat, mask, total, scale_f)
                if lp is None:
                    entry["role"] = "unknown"
                else:
                    lo, hi, eps = lp
                    entry.update(min_weight=lo, max_weight=hi, lp_eps=eps)
                    cut = ROLE_TOL * max(total, 1e-300)
                    entry["role"] = "required" if lo > cut else ("optional" if hi > cut else "absent")
        out.append(entry)
    return out
