"""Deep narrow chains on 1-D data (theory: "Deep ReLU chains on 1-D data"): their Lasso dictionaries, exact dual oracles
and reconstruction.

A deep 1-D model is a sum of parallel scalar chains ``f(x) = sum_i alpha_i h_i(x) + xi``, each h_i built by
``h <- sigma(w_l h + b_l)`` from h = x, with penalty ``(beta/L) sum_i (|alpha_i|^L + sum_l |w_{l,i}|^L)`` and free
biases. AM-GM makes the cost of a unit beta |alpha prod w|, so training is a Lasso over the unit-scale chains.

- ReLU, L >= 3 (theory: "Deep ReLU chains on 1-D data"): every scalar ReLU chain is a ramp ``s clip(x - a, 0, h)`` up to
  a constant, so the n(n-1)/2 ramps ``clip(x - x_a, 0, x_b - x_a)``, a < b, are a complete dictionary for every L >= 3:
  depth beyond 3 adds nothing for this architecture. With F(c) = lambda^T (x - c)_+ (piecewise linear in c, kinks at the
  data), a ramp scores F(a) - F(b), so the exact dual sup is max F - min F over the data points.
- Absolute value (theory: "Deep absolute-value chains on 1-D data"): a unit is ``z g_a(x)``, ``g_a(x) = | ... || x - a1
  | - a2 | ... - a_{L-1} |`` with a_l >= 0 for l >= 2. For fixed data each g_a(x_i) is linear in a on the cells of the
  arrangement of the planes ``a1 + e2 a2 + ... + e_k a_k = x_i`` (e in {+1,-1}, k = 1..L-1) and ``a_l = 0`` (l >= 2);
  cells are pointed and along their recession directions g changes by constants only, which the free output bias
  absorbs. So the sup of |lambda^T g_a| over all a is attained at a vertex: the vertices are the dictionary, and
  scanning them is an exact oracle. At L = 3 the vertices are the reflection features ||x - x_j| - |x_k - x_j|| and the
  midpoint features ||x - c| - r||, c = (x_k + x_l)/2, r = (x_l - x_k)/2.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..activations import Activation
from ..colgen import _BetaValue, dictionary_program
from ..errors import ProblemTooLargeError
from ..network import Layer, Network, Penalty, PenaltyTerm
from ..program import DenseColumns
from .base import Model, check_parallel_chains, dictionary_inputs, with_linear_term
from .hinges_1d import Grid1D, KinkOperator, transport_split
from .symmetry_1d import symmetries

CHUNK = 20_000  # columns evaluated at once by the chunked oracles


def chain_penalty(beta: float, depth: int) -> Penalty:
    """(beta/L) * sum of |w|^L over every weight of every layer (entrywise); biases unpenalised."""
    return Penalty(float(beta), [PenaltyTerm(layer=i, coef=1.0 / depth, power=float(depth)) for i in range(depth)],
                   f"(beta/{depth}) * sum of |weight|^{depth} over all layers; biases unpenalised")


def _chain_network(weights, biases, alpha, xi, activation, depth, beta, meta) -> Network:
    """Parallel chains as a layered net: first layer (m, 1), hidden layers diagonal (m, m), output (1, m)."""
    layers = [Layer(weights[0].reshape(-1, 1), biases[0], activation)]
    for w, b in zip(weights[1:], biases[1:]):
        layers.append(Layer(np.diag(w), b, activation))
    layers.append(Layer(alpha.reshape(1, -1), [float(xi)], Activation("identity")))
    return Network(layers, chain_penalty(beta, depth), meta)


def dedupe_columns(A: np.ndarray, scale: float, chunk: int = 4096) -> np.ndarray:
    """Indices of the first occurrence of each distinct column (equality after rounding at 1e-9 * scale), and of
    no all-zero column. Works chunk by chunk on the bytes of the rounded columns (a hash table of them), so no
    rounded or sorted copy of the whole dictionary is made."""
    first: dict[bytes, int] = {}
    keep = []
    for s in range(0, A.shape[1], chunk):
        key = np.round(A[:, s:s + chunk] / max(scale, 1e-300), 9)
        key[key == 0] = 0.0  # -0.0 and 0.0 are the same value
        nonzero = np.any(key != 0, axis=0)
        raw = np.ascontiguousarray(key.T)
        for j in range(raw.shape[0]):
            if nonzero[j]:
                b = raw[j].tobytes()
                if b not in first:
                    first[b] = s + j
                    keep.append(s + j)
    return np.asarray(keep, dtype=int)


# ------------------------------------------------------------------------------------------------ ReLU ramps
@dataclass
class RampDictionary1D(DenseColumns):
    """Columns ``clip(x - start_j, 0, end_j - start_j)`` (ReLU chains of depth >= 3), stored as a matrix (the
    'dense' formulation; :class:`RampHinges` is the O(n) one)."""

    x: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    depth: int
    family: str = "data"  # 'data' (n(n-1)/2 ramps) or 'data+reflections' (redundant, larger)
    matrix: np.ndarray | None = None  # computed from the rest when not given

    activation = Activation("relu")
    rebuild_formula = ("ramp(a, b) as a chain, gamma = |z_j|^(1/L): signs s = (-1, -1, +1, ...), w_l = s_l gamma,",
                       "b_l = -s_l a_l gamma^l with a_1 = b, a_2 = b - a; alpha = sign(z_j) gamma (cost beta |z_j|).")

    def __post_init__(self):
        if self.matrix is None:
            self.matrix = self.features(self.x)

    @property
    def size(self) -> int:
        return int(self.starts.size)

    def features(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
        return np.clip(x - self.starts[None, :], 0.0, (self.ends - self.starts)[None, :])

    def subset(self, idx) -> "RampDictionary1D":
        idx = np.asarray(idx, dtype=int)
        return RampDictionary1D(self.x, self.starts[idx], self.ends[idx], self.depth, self.family,
                                self.matrix[:, idx])

    def describe(self, j: int) -> str:
        return f"ramp({self.starts[j]:.6g}, {self.ends[j]:.6g})"

    def unit(self, j: int) -> dict:
        return {"ramp": [float(self.starts[j]), float(self.ends[j])]}


    oracle = "ramp oracle max F - min F at data breakpoints (every ReLU chain of depth >= 3 is a ramp; exact)"

    def dual_sup(self, lam, X, bias):
        """Exact sup over ALL ReLU chains of depth >= 3: see :func:`ramp_dual_sup`."""
        return ramp_dual_sup(lam, X)

    def to_network(self, z, xi, y, beta, bias, architecture) -> Network:
        z = np.asarray(z, dtype=np.float64)
        idx = np.flatnonzero(z)
        return ramp_network(self.starts[idx], self.ends[idx], z[idx], xi, self.depth, beta,
                            [int(j) for j in idx])


def ramp_dual_sup(lam, X):
    """Exact sup over ALL ReLU chains of depth >= 3 of |lam^T h(X)| (unit cost), lam centred: every chain is a ramp
    up to sign and a constant, a ramp(a, b) scores F(a) - F(b) with F(c) = lam^T (x - c)_+, piecewise linear in c
    with kinks at the data, so the sup is max F - min F over the data points. F at every data point at once in
    O(n log n) (:meth:`KinkOperator.scores`)."""
    lam = np.asarray(lam, dtype=np.float64)
    grid = Grid1D.of(np.asarray(X, dtype=np.float64).reshape(lam.size, -1)[:, 0])
    F = hinge_operator(grid).scores(lam)
    i, k = int(np.argmax(F)), int(np.argmin(F))
    a, b = sorted((grid.t[i], grid.t[k]))
    return float(F[i] - F[k]), {"ramp": [float(a), float(b)]}


def hinge_operator(grid: Grid1D) -> KinkOperator:
    """The hinges (x - t_k)_+ at every distinct point, as an O(n) operator."""
    m = grid.m
    return KinkOperator(grid, np.arange(m), np.zeros(m), np.ones(m), np.zeros(m))


def ramp_network(starts, ends, coefficients, xi, depth: int, beta: float, columns=None) -> Network:
    """Ramps as parallel chains. Ramp(a, b) as a chain: s = (-1, -1, +1, ...), a1 = b, a2 = b - a, a_l = 0 after;
    gamma = |z|^(1/L): w_l = s_l gamma, b_l = -s_l a_l gamma^l, alpha = sign(z) gamma (theory: "Deep ReLU chains on
    1-D data"), so the chain computes z ramp(a, b) up to a constant and costs beta |z|."""
    L = depth
    z = np.asarray(coefficients, dtype=np.float64)
    a_start, a_end = np.asarray(starts, dtype=np.float64), np.asarray(ends, dtype=np.float64)
    g = np.abs(z) ** (1.0 / L)
    params = [a_end, a_end - a_start] + [np.zeros(z.size)] * (L - 3)
    signs = [-1.0, -1.0] + [1.0] * (L - 3)
    weights = [s * g for s in signs]
    biases = [-s * a * g ** (lvl + 1) for lvl, (s, a) in enumerate(zip(signs, params))]
    meta = {"model": "deep-1d", "activation": {"name": "relu"}, "depth": L, "bias_convention": "free",
            "dictionary_columns": list(columns) if columns is not None else [],
            "units": [{"ramp": [float(a), float(b)], "z": float(c)} for a, b, c in zip(a_start, a_end, z)]}
    return _chain_network(weights, biases, np.sign(z) * g, xi, Activation("relu"), L, beta, meta)


@dataclass
class RampHinges:
    """The O(n) program of ReLU chains of depth >= 3 (the 'sparse' formulation). A ramp is a difference of two
    hinges, ramp(t_a, t_b) = (x - t_a)_+ - (x - t_b)_+, so a sum of ramps is sum_k w_k (x - t_k)_+ with sum_k w_k
    = 0, and its least cost sum |z| over the ramps is ||w||_1 / 2 (each ramp moves mass |z| from one hinge to
    another; conversely the greedy transport split of w gives ramps of total mass ||w||_1 / 2). So the Lasso over
    the n(n-1)/2 ramps equals the Lasso over the n hinges with penalty weights 1/2 and the constraint sum w = 0
    (the hinge at the last point is zero on the data: it carries the balance), written in the banded form of
    :class:`KinkOperator`: linear trend filtering on an irregular grid with zero slope outside the data. The dual
    constraint is max_k F_k - min_k F_k <= beta with F = hinge scores: the ramp oracle."""

    x: np.ndarray
    depth: int

    activation = Activation("relu")
    constrained = True  # sum w = 0 (native Lasso solvers cannot take it)
    prunable = False  # the transport split already gives at most n - 1 ramps
    oracle = RampDictionary1D.oracle
    rebuild_formula = ("hinge weights w (sum w = 0) -> ramps by the greedy transport split, z_j ramp(a_j, b_j) with",
                       "sum |z_j| = ||w||_1 / 2; each ramp as a chain, gamma = |z_j|^(1/L), as for the dense ramps.")

    def __post_init__(self):
        self.x = np.asarray(self.x, dtype=np.float64).reshape(-1)
        self.grid = Grid1D.of(self.x)
        self.operator = hinge_operator(self.grid)
        self.weights = np.full(self.grid.m, 0.5)

    @property
    def size(self) -> int:
        return self.grid.m

    def apply(self, z) -> np.ndarray:
        return self.operator.apply(z)

    def scores(self, lam) -> np.ndarray:
        return self.operator.scores(lam)

    def columns(self, idx) -> np.ndarray:
        return self.operator.columns(idx)

    def column_norms(self, idx) -> np.ndarray:
        return self.operator.column_norms(idx)

    def cvxpy_fit(self, z, xi=None):
        import cvxpy as cp

        fit, constraints = self.operator.cvxpy_fit(z, xi)
        return fit, [*constraints, cp.sum(z) == 0]

    def repair(self, w) -> np.ndarray:
        """Restore sum w = 0 on the last hinge (zero on the data: the fit is unchanged)."""
        w = np.asarray(w, dtype=np.float64).copy()
        w[-1] -= w.sum()
        return w

    def dual_scores(self, lam) -> np.ndarray:
        """Each hinge's dual constraint value (F_k - nu) / (1/2), nu = (max F + min F) / 2 the multiplier of
        sum w = 0: all within +-beta iff max F - min F <= beta (the ramp oracle)."""
        F = self.scores(lam)
        return (F - 0.5 * (F.max() + F.min())) / 0.5

    def describe(self, j: int) -> str:
        return f"hinge (x - {self.grid.t[j]:.6g})_+"

    def unit(self, j: int) -> dict:
        return {"hinge": float(self.grid.t[j])}

    def dual_sup(self, lam, X, bias):
        return ramp_dual_sup(lam, X)

    def ramps(self, w, xi, y, beta):
        """(starts, ends, coefficients, hinge support) of the ramps a hinge solution w (the solver's dust already
        dropped, :func:`cvxnn.prune.prune_solution`) stands for: the balance restored (:meth:`repair`), then the
        transport split."""
        v = self.repair(w)
        t = self.grid.t
        pairs = transport_split(v)
        starts = np.array([t[min(a, b)] for a, b, _ in pairs])
        ends = np.array([t[max(a, b)] for a, b, _ in pairs])
        coef = np.array([mass if a < b else -mass for a, b, mass in pairs])
        return starts, ends, coef, np.flatnonzero(v)

    def to_network(self, z, xi, y, beta, bias, architecture) -> Network:
        starts, ends, coef, support = self.ramps(z, xi, y, beta)
        return ramp_network(starts, ends, coef, xi, self.depth, beta, [int(j) for j in support])


def relu_ramp_dictionary(x, depth: int, family: str = "data") -> RampDictionary1D:
    """All ramps between distinct data points (a < b); with family 'data+reflections' the endpoints also range over
    the reflections R(x_k, x_j) = 2 x_j - x_k inside the data range (valid but redundant columns)."""
    u = np.unique(np.asarray(x, dtype=np.float64))
    ends = u
    if family == "data+reflections":
        refl = (2 * u[None, :] - u[:, None]).ravel()
        refl = refl[(refl > u[0]) & (refl < u[-1])]
        ends = np.unique(np.concatenate([u, refl]))
    a, b = np.triu_indices(ends.size, k=1)
    starts, stops = ends[a], ends[b]
    d = RampDictionary1D(np.asarray(x, dtype=np.float64), starts, stops, depth, family)
    if family == "data":  # ramps between distinct data points differ on the data: no duplicates to remove
        return d
    return d.subset(dedupe_columns(d.matrix, float(np.ptp(u)) or 1.0))


# ------------------------------------------------------------------------------------------- abs chains
def abs_chain_features(x, params: np.ndarray) -> np.ndarray:
    """g_a(x) = | ... || x - a1 | - a2 | ... - a_{L-1} | for each row a of params; returns (len(x), m)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    h = np.abs(x - params[None, :, 0])
    for level in range(1, params.shape[1]):
        h = np.abs(h - params[None, :, level])
    return h


def _plane_normals(depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Normals of the parameter-arrangement planes and whether their right-hand side is a data point (else 0)."""
    k = depth - 1
    normals, data_rhs = [], []
    for level in range(1, k + 1):
        for e in itertools.product((1.0, -1.0), repeat=level - 1):
            v = np.zeros(k)
            v[0] = 1.0
            v[1:level] = e
            normals.append(v)
            data_rhs.append(True)
    for level in range(1, k):
        v = np.zeros(k)
        v[level] = 1.0
        normals.append(v)
        data_rhs.append(False)
    return np.array(normals), np.array(data_rhs)


def abs_chain_work(n: int, depth: int) -> int:
    """Number of linear systems the vertex enumeration solves (its cost), known before building."""
    normals, data_rhs = _plane_normals(depth)
    k = depth - 1
    total = 0
    for S in itertools.combinations(range(len(normals)), k):
        if abs(np.linalg.det(normals[list(S)])) > 1e-9:
            total += n ** int(data_rhs[list(S)].sum())
    return total


def abs_chain_vertices(x, depth: int, max_work: int = 50_000_000) -> np.ndarray:
    """Vertices (rows a = (a1, ..., a_{L-1}), a_l >= 0 for l >= 2) of the parameter arrangement (theory: "Deep
    absolute-value chains on 1-D data")."""
    u = np.unique(np.asarray(x, dtype=np.float64))
    n, k = u.size, depth - 1
    work = abs_chain_work(n, depth)
    if work > max_work:
        raise ProblemTooLargeError(
            f"the depth-{depth} absolute-value dictionary on {n} points needs {work:,} vertex solves (budget "
            f"{max_work:,}); its size grows like n^{depth - 1}. Use fewer points, a smaller depth, or raise the "
            "budget with max_columns / max_work."
        )
    normals, data_rhs = _plane_normals(depth)
    scale = float(np.ptp(u)) or 1.0
    out = []
    for S in itertools.combinations(range(len(normals)), k):
        S = list(S)
        N = normals[S]
        if abs(np.linalg.det(N)) <= 1e-9:
            continue
        Ninv = np.linalg.inv(N)
        data_pos = [i for i, flag in enumerate(data_rhs[S]) if flag]
        grids = np.meshgrid(*([u] * len(data_pos)), indexing="ij") if data_pos else []
        rhs = np.zeros((int(np.prod([n] * len(data_pos))) if data_pos else 1, k))
        for pos, g in zip(data_pos, grids):
            rhs[:, pos] = g.ravel()
        V = rhs @ Ninv.T
        V = V[np.all(V[:, 1:] >= -1e-12 * scale, axis=1)]
        V[:, 1:] = np.maximum(V[:, 1:], 0.0)
        out.append(V)
    V = np.concatenate(out) if out else np.zeros((0, k))
    _, idx = np.unique(np.round(V / scale, 10), axis=0, return_index=True)
    V = V[np.sort(idx)]
    # simplest parameters first (fewest nonzero a_l, l >= 2), so that deduplication keeps e.g. (x_j, 0, 0) for
    # the two-layer feature |x - x_j| rather than an equivalent deeper parameterisation
    order = np.argsort(np.count_nonzero(V[:, 1:] > 0, axis=1), kind="stable")
    return V[order]


def iter_abs_chain_vertices(x, depth: int, chunk: int = 65_536):
    """The vertices of :func:`abs_chain_vertices` in chunks (arrays (<= chunk, L-1)), not deduplicated: memory stays
    bounded whatever the count (n^(L-1) grows fast), for an oracle that only needs the max over them."""
    u = np.unique(np.asarray(x, dtype=np.float64))
    n, k = u.size, depth - 1
    normals, data_rhs = _plane_normals(depth)
    scale = float(np.ptp(u)) or 1.0
    for S in itertools.combinations(range(len(normals)), k):
        S = list(S)
        N = normals[S]
        if abs(np.linalg.det(N)) <= 1e-9:
            continue
        Ninv_T = np.linalg.inv(N).T
        data_pos = [i for i, flag in enumerate(data_rhs[S]) if flag]
        total = n ** len(data_pos)
        for start in range(0, total, chunk):
            flat = np.arange(start, min(total, start + chunk))
            rhs = np.zeros((flat.size, k))
            if data_pos:
                for pos, digit in zip(data_pos, np.unravel_index(flat, (n,) * len(data_pos))):
                    rhs[:, pos] = u[digit]
            V = rhs @ Ninv_T
            V = V[np.all(V[:, 1:] >= -1e-12 * scale, axis=1)]
            V[:, 1:] = np.maximum(V[:, 1:], 0.0)
            if V.size:
                yield V


def abs_chain_sup(x, lam, depth: int, chunk: int = 65_536, top: int = 0):
    """Exact sup over ALL depth-L absolute-value chains of |lam^T g_a(x)| (lam centred), streamed over the vertices
    of the chain-parameter arrangement without building the dictionary: the oracle of nets deeper than the
    dictionary budget. Returns (sup, the maximising unit), and with ``top`` > 0 also the ``top`` best vertices
    (distinct columns, best first) as an array (k, L-1)."""
    lam = np.asarray(lam, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    scale = float(np.ptp(x)) or 1.0
    best, unit = 0.0, {}
    keep_v, keep_s = np.zeros((0, depth - 1)), np.zeros(0)
    for V in iter_abs_chain_vertices(x, depth, chunk):
        F = abs_chain_features(x, V)
        scores = np.abs(lam @ F)
        j = int(np.argmax(scores))
        if scores[j] > best:
            best, unit = float(scores[j]), {"a": [float(v) for v in V[j]]}
        if top:
            # many vertices share a column: keep the best DISTINCT columns of the chunk, and of the kept ones
            idx = _best_distinct(F, scores, top, scale)
            keep_v, keep_s = np.vstack([keep_v, V[idx]]), np.concatenate([keep_s, scores[idx]])
            if keep_s.size > 4 * top:
                idx = _best_distinct(abs_chain_features(x, keep_v), keep_s, 2 * top, scale)
                keep_v, keep_s = keep_v[idx], keep_s[idx]
    if not top:
        return best, unit
    idx = _best_distinct(abs_chain_features(x, keep_v), keep_s, top, scale)
    return best, unit, keep_v[idx]


def _best_distinct(F: np.ndarray, scores: np.ndarray, k: int, scale: float) -> np.ndarray:
    """Indices of the (at most) k best-scoring distinct nonzero columns of F, best first: deduplicated over a
    prefix of the ranking that grows until it holds k distinct columns (or is the whole ranking)."""
    order = np.argsort(-scores, kind="stable")
    m = 4 * k
    while True:
        distinct = dedupe_columns(F[:, order[:m]], scale)
        if distinct.size >= k or m >= order.size:
            return order[distinct[:k]]
        m *= 4


@dataclass
class AbsChainDictionary1D(DenseColumns):
    """Columns g_a(x) at the vertices a of the parameter arrangement (depth L absolute-value chains)."""

    x: np.ndarray
    params: np.ndarray  # (m, L-1)
    depth: int
    materialize: bool = True

    activation = Activation("abs")
    rebuild_formula = ("t = |z_j|^(1/L): w_l = t, b_1 = -a_1 t, b_l = -a_l t^l, alpha = sign(z_j) t, so the chain",
                       "computes z_j g_a(x) and costs (beta/L) * (L t^L) = beta |z_j|.")
    oracle_name = "vertices of the chain-parameter arrangement (exact vertex oracle)"

    def __post_init__(self):
        self.matrix = abs_chain_features(self.x, self.params) if self.materialize else None

    @property
    def oracle(self) -> str:
        return self.oracle_name

    @property
    def size(self) -> int:
        return int(self.params.shape[0])

    def features(self, x) -> np.ndarray:
        return abs_chain_features(x, self.params)

    def columns(self, idx) -> np.ndarray:
        return abs_chain_features(self.x, self.params[np.asarray(idx, dtype=int)])

    def describe(self, j: int) -> str:
        inner = "x"
        for level, a in enumerate(self.params[j]):
            inner = f"|{inner} - {a:.6g}|"
        return inner

    def unit(self, j: int) -> dict:
        return {"a": [float(v) for v in self.params[j]]}


    def scores(self, lam) -> np.ndarray:
        """lam^T g_a for every vertex, in chunks (no full matrix needed)."""
        if self.matrix is not None:
            return self.matrix.T @ lam
        return np.concatenate([abs_chain_features(self.x, self.params[s:s + CHUNK]).T @ lam
                               for s in range(0, self.size, CHUNK)])

    def dual_sup(self, lam, X, bias):
        """Exact sup over ALL chains of this depth: the max over the arrangement's vertices."""
        sc = np.abs(self.scores(np.asarray(lam, dtype=np.float64)))
        j = int(np.argmax(sc)) if sc.size else 0
        return (float(sc[j]) if sc.size else 0.0), (self.unit(j) if sc.size else {})

    def subset(self, idx) -> "AbsChainDictionary1D":
        return AbsChainDictionary1D(self.x, self.params[np.asarray(idx, dtype=int)], self.depth)

    def to_network(self, z, xi, y, beta, bias, architecture) -> Network:
        """t = |z|^(1/L): w_l = t, b_1 = -a1 t, b_l = -a_l t^l, alpha = sign(z) t (theory: "Deep absolute-value chains
        on 1-D data"), so the chain computes
        t^L g_a(x) and costs (beta/L) * L * t^L = beta |z|."""
        L = self.depth
        z = np.asarray(z, dtype=np.float64)
        idx = np.flatnonzero(z)
        t = np.abs(z[idx]) ** (1.0 / L)
        P = self.params[idx]
        weights = [t] * (L - 1)
        biases = [-P[:, lvl] * t ** (lvl + 1) for lvl in range(L - 1)]
        meta = {"model": "deep-1d", "activation": {"name": "abs"}, "depth": L, "bias_convention": "free",
                "dictionary_columns": [int(j) for j in idx],
                "units": [{**self.unit(int(j)), "z": float(z[j])} for j in idx]}
        return _chain_network(weights, biases, np.sign(z[idx]) * t, xi, Activation("abs"), L, beta, meta)


def abs_chain_dictionary(x, depth: int, *, max_columns: int = 2_000_000, materialize_limit: int = 100_000,
                         families: str = "all") -> AbsChainDictionary1D:
    """The exact depth-L absolute-value dictionary: vertex enumeration, then deduplication of equal columns.
    ``families='reflection'`` (depth 3 only) keeps the reflection family alone: NOT exact, for demonstrations."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    V = abs_chain_vertices(x, depth, max_work=max(50_000_000, 25 * max_columns))
    if families == "reflection":
        u = np.unique(x)
        at_data = np.min(np.abs(V[:, :1] - u[None, :]), axis=1) <= 1e-12 * (np.ptp(u) or 1.0)
        V = V[at_data]
    scale = float(np.ptp(x)) or 1.0
    if V.shape[0] <= materialize_limit:
        A = abs_chain_features(x, V)
        keep = dedupe_columns(A, scale)
        return AbsChainDictionary1D(x, V[keep], depth)
    if V.shape[0] > max_columns:
        raise ProblemTooLargeError(
            f"the depth-{depth} absolute-value dictionary on {np.unique(x).size} points has {V.shape[0]:,} vertex "
            f"columns, above the budget max_columns = {max_columns:,}. Use fewer points or a smaller depth, or "
            "raise max_columns."
        )
    return AbsChainDictionary1D(x, V, depth, materialize=False)


def estimated_columns(n: int, depth: int, activation: str) -> int:
    """A quick size estimate, before anything is built (upper bound for ReLU; work count for abs)."""
    if activation == "relu":
        return n * (n - 1) // 2
    return abs_chain_work(n, depth) if depth > 2 else n


# ------------------------------------------------------------------------------------------------ the model
class ChainOracle:
    """Certification without a program: deep absolute-value chains above the dictionary budget, with the exact
    vertex oracle streamed (:func:`abs_chain_sup`). It answers ``dual_sup`` (and the data and conventions the
    certificate reads); it has nothing to solve."""

    scope = "global"
    program_kind = "the vertex oracle alone (the dictionary is over budget)"

    def __init__(self, X, y, architecture, beta, mode):
        self.X, self.y, self.architecture, self.mode = X, y, architecture, mode
        self.beta = _BetaValue(1.0 if beta is None else float(beta))
        self.oracle = "vertices of the chain-parameter arrangement, streamed without a dictionary (exact)"

    has_output_bias = True
    n = property(lambda self: int(self.X.shape[0]))
    penalty_beta = property(lambda self: self.beta.value)

    def free_columns(self) -> np.ndarray:
        cols = [np.ones(self.n)] + ([self.X[:, 0]] if self.architecture.linear_term else [])
        return np.column_stack(cols)

    #: best units kept from each oracle pass (for :meth:`top_units`, which then needs no second pass)
    TOP = 200

    def _pass(self, lam):
        lam = np.asarray(lam, dtype=np.float64)
        key = lam.tobytes()
        if getattr(self, "_last", (None,))[0] != key:
            self._last = (key, *abs_chain_sup(self.X[:, 0], lam, self.architecture.depth, top=self.TOP))
        return self._last[1:]

    def dual_sup(self, lam):
        sup, unit, _ = self._pass(lam)
        return sup, unit

    def top_units(self, lam, k: int) -> np.ndarray:
        """The columns (n x <= k) of the k units that score highest at lam (from the same streamed oracle pass)."""
        _, _, V = self._pass(lam)
        return abs_chain_features(self.X[:, 0], V[:k])

    def solve(self, *args, **kwargs):
        raise ProblemTooLargeError(
            f"the depth-{self.architecture.depth} absolute-value dictionary on {np.unique(self.X[:, 0]).size} points "
            "is over the budget: this net can be certified (the oracle is streamed), not polished. Use fewer "
            "points or a smaller depth to polish."
        )


def _hinge_form(architecture) -> bool:
    """ReLU chains use the O(n) hinge program unless the dense ramps are asked for (formulation='dense', or the
    redundant reflection ramps, which only the dense dictionary has)."""
    return architecture.formulation == "sparse" and architecture.ramps == "data"


class Chains1DModel(Model):
    """Deep narrow chains on 1-D data (Deep1D, depth >= 3): ReLU ramps, absolute-value vertices."""

    name = "chains-1d"
    modes = ("training", "interpolation")

    def size_estimate(self, X, architecture) -> dict:
        n = X.shape[0]
        if architecture.activation == "relu":
            if _hinge_form(architecture):
                return {"kind": "hinge weights (the n(n-1)/2 ramps in O(n) form)", "count": n}
            return {"kind": "ramp columns", "count": n * (n - 1) // 2}
        return {"kind": "vertex solves (columns are fewer)", "count": abs_chain_work(n, architecture.depth)}

    def build(self, X, y, architecture, beta, *, bias, mode, duplicates, progress):
        dictionary_inputs(X, y, bias, mode, duplicates)
        x = X[:, 0]
        if architecture.activation == "relu" and _hinge_form(architecture):
            dictionary = RampHinges(x, architecture.depth)
        elif architecture.activation == "relu":
            dictionary = relu_ramp_dictionary(x, architecture.depth, architecture.ramps)
        else:
            dictionary = abs_chain_dictionary(x, architecture.depth, max_columns=architecture.max_columns)
        dictionary = with_linear_term(dictionary, X, architecture)
        return dictionary_program(X, y, architecture, beta, dictionary, bias, mode, duplicates,
                                  column_generation=architecture.column_generation)

    def penalty(self, architecture, bias, beta):
        return chain_penalty(beta, architecture.depth)

    def certification_program(self, X, y, architecture, beta, bias, net, output_bias, **options):
        """The training (or interpolation) program; for absolute-value chains whose dictionary is over budget, the
        streamed vertex oracle alone (:class:`ChainOracle`): enough for a certificate, not for polishing."""
        try:
            return super().certification_program(X, y, architecture, beta, bias, net, output_bias, **options)
        except ProblemTooLargeError:
            if architecture.activation != "abs":
                raise
            return ChainOracle(X, y, architecture, beta, options.get("mode", "training"))

    def check_network(self, net, architecture) -> None:
        check_parallel_chains(net, architecture.depth, "deep-1d")

    def symmetry(self, trained):
        return symmetries(trained)


MODEL = Chains1DModel()
