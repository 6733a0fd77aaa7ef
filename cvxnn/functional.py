"""Functional dimension of ReLU-type networks (theory: "Functional dimension"; Grigsby, Lindsey and Rolnick 2023, arXiv
2306.06179).

For a net f_theta with scalar output and a batch of inputs x_1..x_k, the functional dimension at theta is
``rank J``, ``J[i, p] = d f_theta(x_i) / d theta_p`` over ALL stored parameters: every entry of every weight matrix
and every bias, layer by layer (weight row-major, then bias). Block-structured deep nets (parallel chains stored as
dense layers with zeros) are counted with all their stored entries, zeros included: the honest parameter count of
the stored net.

Hidden units with a positively homogeneous activation (relu, leaky, abs) have a one-parameter rescaling symmetry
each (incoming weights and bias times c > 0, outgoing weights times 1/c), so ``rank J <= bound = #params -
#hidden``. Neurons of the first hidden layer with the same hyperplane {w^T x + b = 0} (``(w_j, b_j) = c (w_i, b_i)``,
c > 0; for abs also c < 0) compute the same function up to the factor |c|: they lose rank beyond the bound, and
merging them (:func:`canonical_form`) gives the same function with fewer neurons.

Any finite batch gives a lower bound on the rank. Random points miss the thin slivers between nearly parallel
hyperplanes (common in convex optima: neighbouring cells of the arrangement), so :func:`input_batch` adds pairs of
points straddling every hidden neuron's (bent) hyperplane; without them such nets show spurious deficits.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import Activation
from .errors import InvalidDataError, InvalidParameterError, UnsupportedCombinationError
from .network import Layer, Network, Penalty, PenaltyTerm
from .records import Record, fmt
from .validation import check_choice

#: activations whose a.e. derivative the backward pass knows (all piecewise linear and continuous)
JACOBIAN_ACTIVATIONS = ("relu", "leaky", "abs", "identity")
#: hidden activations for which ``#params - #hidden`` is the GLR upper bound on the functional dimension
BOUND_ACTIVATIONS = ("relu", "leaky", "abs")
#: default radii of the input batch, in units of the data scale (see :func:`input_batch`)
DEFAULT_RADII = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
#: numerical rank: singular values of the column-equilibrated Jacobian above
#: ``RANK_SAFETY * max(k, #params) * eps * s_max`` count (LAPACK's default threshold times a safety factor)
RANK_SAFETY = 10.0
#: boundary pairs per hidden neuron in :func:`input_batch`, and bisection steps per pair
DEFAULT_BOUNDARY = 16
BISECTIONS = 20
#: default leaky slope of :func:`random_network` when activation='leaky' is given by name
RANDOM_LEAKY_SLOPE = 0.1


# ----------------------------------------------------------------------------------------------- parameters
def _check_network(network, *, bound: bool = False) -> None:
    if not isinstance(network, Network) or not network.layers:
        raise InvalidParameterError(
            f"expected a cvxnn.Network with at least one layer; received {type(network).__name__}. Build one with "
            "cvxnn.Network(layers, penalty) or take tr.network from cvxnn.train."
        )
    out = network.layers[-1]
    if out.weight.shape[0] != 1:
        raise UnsupportedCombinationError(
            f"the functional dimension is implemented for scalar-output nets; the output layer has "
            f"{out.weight.shape[0]} rows. Use a net whose last layer has weight shape (1, width)."
        )
    for i, layer in enumerate(network.layers):
        name = layer.activation.name
        if name not in JACOBIAN_ACTIVATIONS:
            raise UnsupportedCombinationError(
                f"layer {i} uses activation {name!r}, whose derivative is zero almost everywhere; the parameter "
                f"Jacobian is implemented for {', '.join(JACOBIAN_ACTIVATIONS)}."
            )
        if i + 1 < len(network.layers) and layer.weight.shape[0] != network.layers[i + 1].weight.shape[1]:
            raise InvalidDataError(
                f"layer {i} has {layer.weight.shape[0]} outputs but layer {i + 1} expects "
                f"{network.layers[i + 1].weight.shape[1]} inputs; the stored weights are inconsistent."
            )
        if bound and i + 1 < len(network.layers) and name not in BOUND_ACTIVATIONS:
            raise UnsupportedCombinationError(
                f"hidden layer {i} uses activation {name!r}; the bound #params - #hidden neurons holds for "
                f"positively homogeneous units {', '.join(BOUND_ACTIVATIONS)} (identity hidden layers have a whole "
                "GL(n) of symmetries). Use relu, leaky or abs hidden layers."
            )
    if bound and out.activation.name != "identity":
        raise UnsupportedCombinationError(
            f"the output layer must be linear (identity activation); received {out.activation.name!r}."
        )


def parameters(network: Network) -> np.ndarray:
    """All stored parameters as one vector: per layer ``weight.ravel()`` (row-major), then ``bias``."""
    return np.concatenate([np.concatenate([L.weight.ravel(), L.bias]) for L in network.layers])


def n_parameters(network: Network) -> int:
    return int(sum(L.weight.size + L.bias.size for L in network.layers))


def n_hidden(network: Network) -> int:
    """Number of hidden neurons (rows of every layer but the output layer)."""
    return int(sum(L.weight.shape[0] for L in network.layers[:-1]))


def with_parameters(network: Network, theta) -> Network:
    """A copy of ``network`` with the parameter vector ``theta`` (same order as :func:`parameters`)."""
    theta = np.asarray(theta, dtype=np.float64).reshape(-1)
    if theta.size != n_parameters(network):
        raise InvalidDataError(
            f"theta has {theta.size} entries but the net has {n_parameters(network)} parameters; pass a vector "
            "ordered like functional.parameters(network)."
        )
    layers, pos = [], 0
    for L in network.layers:
        W = theta[pos:pos + L.weight.size].reshape(L.weight.shape)
        pos += L.weight.size
        b = theta[pos:pos + L.bias.size]
        pos += L.bias.size
        layers.append(Layer(W, b, L.activation))
    return Network(layers, network.penalty, dict(network.meta))


# ------------------------------------------------------------------------------------------------- Jacobian
def _check_inputs(network: Network, X, name: str = "X") -> np.ndarray:
    d = network.input_dim
    try:
        X = np.array(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"{name} must be numeric; could not convert it to float64 ({exc}).") from None
    if X.ndim == 1 and d == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[1] != d or X.shape[0] == 0:
        raise InvalidDataError(
            f"{name} must have shape (n, {d}) with n >= 1 to match the net's input dimension {d}; received shape "
            f"{X.shape}. Pass one input point per row."
        )
    if not np.all(np.isfinite(X)):
        raise InvalidDataError(f"{name} contains NaN or infinite values; remove or impute them.")
    return X


def _derivative(act: Activation, U: np.ndarray) -> np.ndarray:
    """a.e. derivative at the pre-activation: relu 1[u>0], leaky 1 or slope, abs sign(u), identity 1."""
    if act.name == "relu":
        return (U > 0).astype(np.float64)
    if act.name == "leaky":
        return np.where(U > 0, 1.0, act.slope)
    if act.name == "abs":
        return np.sign(U)
    return np.ones_like(U)


def jacobian(network: Network, X) -> np.ndarray:
    """``J[i, p] = d f(x_i) / d theta_p``, shape (k, #params), by an exact backward pass (parameter order of
    :func:`parameters`). With ``delta_l = df/du_l`` (u_l the pre-activation of layer l, h_{l-1} its input):
    ``df/dW_l = delta_l h_{l-1}^T``, ``df/db_l = delta_l``, ``delta_{l-1} = (W_l^T delta_l) * sigma'(u_{l-1})``."""
    _check_network(network)
    X = _check_inputs(network, X)
    Hs, Us = [X], []
    for L in network.layers:
        Us.append(Hs[-1] @ L.weight.T + L.bias)
        Hs.append(L.activation(Us[-1]))
    blocks = []
    delta = _derivative(network.layers[-1].activation, Us[-1])  # (k, 1)
    for l in range(len(network.layers) - 1, -1, -1):
        L = network.layers[l]
        gW = (delta[:, :, None] * Hs[l][:, None, :]).reshape(X.shape[0], -1)
        blocks.append(np.hstack([gW, delta]))
        if l > 0:
            delta = (delta @ L.weight) * _derivative(network.layers[l - 1].activation, Us[l - 1])
    return np.hstack(blocks[::-1])


# ---------------------------------------------------------------------------------------------- input batch
def default_n_points(network: Network) -> int:
    """``max(256, 4 #params)`` random points: each activation region needs to be hit for the rank to show."""
    return max(256, 4 * n_parameters(network))


def _pre_activations(network: Network, X: np.ndarray) -> list[np.ndarray]:
    """Pre-activations u_l of every hidden layer on X."""
    out, H = [], X
    for L in network.layers[:-1]:
        out.append(H @ L.weight.T + L.bias)
        H = L.activation(out[-1])
    return out


def off_kinks(network: Network, B: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """The rows of B where no hidden pre-activation is zero (|u| <= rtol * max|u| of that neuron on B). At a kink the
    network is not differentiable and a one-sided derivative adds spurious rank; convex optima put their kinks ON
    training points, so the data rows often lie there."""
    keep = np.ones(B.shape[0], dtype=bool)
    for U in _pre_activations(network, B):
        scale = np.max(np.abs(U), axis=0)
        live = scale > 0  # a neuron that is zero on every row (dead) has no kink to avoid
        keep &= np.all(np.abs(U[:, live]) > rtol * scale[live], axis=1)
    return B[keep]


def _boundary_points(network: Network, B: np.ndarray, per_neuron: int, rng) -> np.ndarray:
    """For each hidden neuron, ``per_neuron`` random pairs (a, b) of batch points on opposite sides of its
    (bent) hyperplane {u = 0}, bisected along the segment until |hi - lo| <= 2^-BISECTIONS |b - a|, keeping
    u(lo) < 0 < u(hi): the pair (lo, hi) straddles the hyperplane in two open regions that differ only in that
    neuron's sign. Such pairs separate near-parallel hyperplanes, whose thin slivers random points miss."""
    if per_neuron <= 0 or len(network.layers) < 2:
        return np.zeros((0, B.shape[1]))
    U = _pre_activations(network, B)
    starts, ends, which = [], [], []
    for l, Ul in enumerate(U):
        for i in range(Ul.shape[1]):
            neg, pos = np.flatnonzero(Ul[:, i] < 0), np.flatnonzero(Ul[:, i] > 0)
            if neg.size == 0 or pos.size == 0:
                continue
            starts.append(B[rng.choice(neg, per_neuron)])
            ends.append(B[rng.choice(pos, per_neuron)])
            which.append(np.full(per_neuron, sum(u.shape[1] for u in U[:l]) + i))
    if not starts:
        return np.zeros((0, B.shape[1]))
    lo, hi, col = np.vstack(starts), np.vstack(ends), np.concatenate(which)
    rows = np.arange(col.size)
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        u = np.hstack(_pre_activations(network, mid))[rows, col]
        up = u > 0
        hi = np.where(up[:, None], mid, hi)
        lo = np.where(up[:, None], lo, mid)
    keep = np.hstack(_pre_activations(network, lo))[rows, col] < 0  # u(mid) == 0 exactly moved lo onto the kink
    return np.vstack([lo[keep], hi[keep]])


def input_batch(network: Network, X=None, n_points: int | None = None, radii: Sequence[float] = DEFAULT_RADII,
                seed: int = 0, boundary: int = DEFAULT_BOUNDARY) -> np.ndarray:
    """A wide input batch: ``n_points`` Gaussian points split evenly over the radii,
    ``centre + r * scale * g / sqrt(d)`` with g ~ N(0, I_d) (so |x - centre| ~ r * scale), then the rows of X,
    then 2 * ``boundary`` points per hidden neuron straddling its (bent) hyperplane (see
    :func:`_boundary_points`; 0 turns them off). centre = mean of X and scale = RMS distance of X to its mean
    (centre 0, scale 1 without X). Deterministic given ``seed``. Raises when the Gaussian points and X are fewer
    than the net's parameters (the rank could not reach the bound)."""
    _check_network(network)
    d = network.input_dim
    if n_points is None:
        n_points = default_n_points(network)
    for name, value in (("n_points", n_points), ("boundary", boundary)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise InvalidParameterError(f"{name} must be a non-negative integer; received {value!r}.")
    radii = np.asarray(radii, dtype=np.float64).reshape(-1)
    if radii.size == 0 or not np.all(np.isfinite(radii)) or np.any(radii <= 0):
        raise InvalidParameterError(
            f"radii must be a non-empty sequence of finite positive numbers; received {radii.tolist()!r}. Use e.g. "
            f"{DEFAULT_RADII}."
        )
    centre, scale = np.zeros(d), 1.0
    if X is not None:
        X = _check_inputs(network, X)
        centre = X.mean(axis=0)
        spread = float(np.sqrt(np.mean(np.sum((X - centre) ** 2, axis=1))))
        scale = spread if spread > 0 else max(1.0, float(np.linalg.norm(centre)))
    rng = np.random.default_rng(seed)
    r = np.resize(radii, int(n_points))  # cycles through the radii: counts differ by at most one
    G = rng.standard_normal((int(n_points), d))
    B = centre + (r * scale / np.sqrt(d))[:, None] * G
    if X is not None:
        B = np.vstack([B, X])
    p = n_parameters(network)
    if B.shape[0] < p:
        raise InvalidParameterError(
            f"the input batch has {B.shape[0]} points (n_points={n_points} plus the rows of X) but the net has {p} "
            f"parameters: the Jacobian (k x #params) could not reach rank {p - n_hidden(network)}. Pass "
            f"n_points >= {p} (the default is {default_n_points(network)})."
        )
    return np.vstack([B, _boundary_points(network, B, int(boundary), rng)])


# ------------------------------------------------------------------------------------ degenerate neurons
def _first_layer_rows(network: Network) -> np.ndarray:
    L = network.layers[0]
    return np.hstack([L.weight, L.bias[:, None]])


def dead_neurons(network: Network, tol: float = 1e-9) -> list[tuple[int, int]]:
    """(layer, neuron) of hidden neurons with a zero incoming row and zero bias (they output sigma(0) = 0) or a
    zero outgoing column; zero means norm <= tol * the largest such norm in the layer."""
    out = []
    for l, L in enumerate(network.layers[:-1]):
        rows = np.linalg.norm(np.hstack([L.weight, L.bias[:, None]]), axis=1)
        cols = np.linalg.norm(network.layers[l + 1].weight, axis=0)
        top_r = float(rows.max()) if rows.size else 0.0
        top_c = float(cols.max()) if cols.size else 0.0
        dead = (rows <= tol * top_r) | (cols <= tol * top_c)
        out.extend((l, int(i)) for i in np.flatnonzero(dead))
    return out


def _merge_groups(network: Network, tol: float) -> list[tuple[int, int, float]]:
    """(i, j, c) with (w_j, b_j) = c (w_i, b_i) in the first hidden layer (c > 0; abs also c < 0), i the first
    neuron of its group; directions are compared as unit vectors to within ``tol`` (2-norm)."""
    if len(network.layers) < 2:
        return []
    act = network.layers[0].activation.name
    V = _first_layer_rows(network)
    norms = np.linalg.norm(V, axis=1)
    live = norms > tol * (float(norms.max()) if norms.size else 0.0)
    D = np.where(live[:, None], V / np.where(norms > 0, norms, 1.0)[:, None], 0.0)
    merged, out = set(), []
    for i in range(len(V)):
        if not live[i] or i in merged:
            continue
        for j in range(i + 1, len(V)):
            if not live[j] or j in merged:
                continue
            for s in ((1.0, -1.0) if act == "abs" else (1.0,)):
                if np.linalg.norm(D[j] - s * D[i]) <= tol:
                    out.append((i, j, float(V[j] @ V[i]) / float(V[i] @ V[i])))
                    merged.add(j)
                    break
    return out


def parallel_pairs(network: Network, tol: float = 1e-9) -> list[tuple[int, int]]:
    """Pairs i < j of first-hidden-layer neurons with the same hyperplane, ``(w_j, b_j) = c (w_i, b_i)`` with
    c > 0 (relu, leaky: c < 0 is the opposite half-space, a different function) or any c != 0 (abs)."""
    groups: dict[int, list[int]] = {}
    for i, j, _ in _merge_groups(network, tol):
        groups.setdefault(i, [i]).append(j)
    return sorted((a, b) for g in groups.values() for x, a in enumerate(g) for b in g[x + 1:])


# ----------------------------------------------------------------------------------------- canonical form
def _drop(layers: list[Layer], ids: list[list[int]], l: int, keep: np.ndarray) -> None:
    """Keep only the neurons ``keep`` of hidden layer l (and the matching columns of layer l + 1); ``ids[l]``
    tracks the original indices."""
    L, N = layers[l], layers[l + 1]
    m = int(keep.sum())
    layers[l] = Layer(L.weight[keep].reshape(m, L.weight.shape[1]), L.bias[keep], L.activation)
    layers[l + 1] = Layer(N.weight[:, keep].reshape(N.weight.shape[0], m), N.bias, N.activation)
    ids[l] = [i for i, k in zip(ids[l], keep) if k]


def _remove_dead(layers: list[Layer], ids: list[list[int]], tol: float) -> None:
    """Drop dead neurons until none is left (dropping one can leave a zero column or row elsewhere)."""
    while True:
        dead = dead_neurons(Network(layers, Penalty(0.0, [])), tol)
        if not dead:
            return
        l = dead[0][0]
        keep = np.ones(layers[l].weight.shape[0], dtype=bool)
        keep[[i for ll, i in dead if ll == l]] = False
        _drop(layers, ids, l, keep)


def canonical_form(network: Network, tol: float = 1e-9) -> Network:
    """Same function, fewer neurons: removes dead hidden neurons (any layer, see :func:`dead_neurons`) and merges
    first-hidden-layer neurons with the same hyperplane. With (w_j, b_j) = c (w_i, b_i): sigma(c u) = |c| sigma(u)
    (c > 0, or abs with any c), so neuron j is dropped and the next layer's column i gains |c| times column j (for a
    two-layer net: alpha_i + |c| alpha_j). Works at any depth (only the first hidden layer is merged: deeper
    neurons have no single hyperplane). Each merged neuron is then rebalanced, row * t and column / t with t > 0,
    so that ||incoming row|| = ||outgoing column||, the weight-decay-minimal split (the row includes the bias when
    the penalty of layer 0 includes it). Exact up to ``tol`` (directions equal to within tol); other neurons are
    untouched. ``meta['canonical']`` records the merges (original indices i, j and c) and the removed neurons."""
    _check_network(network, bound=True)
    layers = [Layer(L.weight.copy(), L.bias.copy(), L.activation) for L in network.layers]
    ids = [list(range(L.weight.shape[0])) for L in layers[:-1]]
    meta = copy.deepcopy(network.meta)
    _remove_dead(layers, ids, tol)
    merges = _merge_groups(Network(layers, network.penalty), tol) if len(layers) > 1 else []
    merged_ids = [[ids[0][i], ids[0][j], c] for i, j, c in merges]
    if merges:
        W1, b1, N = layers[0].weight.copy(), layers[0].bias.copy(), layers[1].weight.copy()
        for i, j, c in merges:
            N[:, i] += abs(c) * N[:, j]
        include_bias = any(t.layer == 0 and t.include_bias for t in network.penalty.terms)
        for i in sorted({i for i, _, _ in merges}):
            r = float(np.linalg.norm(np.concatenate([W1[i], [b1[i]]]) if include_bias else W1[i]))
            a = float(np.linalg.norm(N[:, i]))
            if r > 0 and a > 0:
                t = np.sqrt(a / r)
                W1[i], b1[i], N[:, i] = W1[i] * t, b1[i] * t, N[:, i] / t
        layers[0] = Layer(W1, b1, layers[0].activation)
        layers[1] = Layer(N, layers[1].bias, layers[1].activation)
        keep = np.ones(W1.shape[0], dtype=bool)
        keep[[j for _, j, _ in merges]] = False
        _drop(layers, ids, 0, keep)
        _remove_dead(layers, ids, tol)  # a merged neuron whose outgoing weights cancel
    gone = {j for _, j, _ in merged_ids}
    meta["canonical"] = {
        "merged": merged_ids,
        "removed_dead": [[l, i] for l in range(len(ids)) for i in range(network.layers[l].weight.shape[0])
                         if i not in ids[l] and not (l == 0 and i in gone)],
        "widths": [int(L.weight.shape[0]) for L in layers[:-1]],
        "tol": tol,
    }
    return Network(layers, network.penalty, meta)


# ------------------------------------------------------------------------------------ functional dimension
def _rank(J: np.ndarray, rtol: float | None) -> dict:
    """Numerical rank of J after scaling each nonzero column to unit norm (rank-preserving, removes the spread
    from wide radii): #{s_i > rtol * s_max}, default rtol = RANK_SAFETY * max(k, #params) * eps."""
    norms = np.linalg.norm(J, axis=0)
    Jn = J / np.where(norms > 0, norms, 1.0)
    s = np.linalg.svd(Jn, compute_uv=False) if Jn.size else np.zeros(0)
    if rtol is None:
        rtol = RANK_SAFETY * max(J.shape) * np.finfo(np.float64).eps
    smax = float(s[0]) if s.size else 0.0
    rank = int(np.sum(s > rtol * smax)) if smax > 0 else 0
    if rank == 0:
        gap = float("nan")
    elif rank == s.size or s[rank] == 0:
        gap = float("inf")
    else:
        gap = float(s[rank - 1] / s[rank])
    return {"rank": rank, "singular_value_gap": gap, "rtol": float(rtol),
            "smallest_kept": float(s[rank - 1] / smax) if rank else float("nan"),
            "largest_dropped": float(s[rank] / smax) if rank < s.size and smax > 0 else 0.0}


PARAMETER_SETS = ("all", "structural")


def structural_mask(network: Network) -> np.ndarray:
    """Which entries of :func:`parameters` are parameters of the ARCHITECTURE: every weight and bias, except the
    off-diagonal zeros of a diagonal hidden-to-hidden layer (parallel narrow chains store their middle layers as
    diagonal matrices: those zeros are structure, not trained parameters). A weight that merely happens to be zero
    (e.g. an axis-aligned first-layer row) stays a parameter."""
    parts = []
    last = len(network.layers) - 1
    for k, L in enumerate(network.layers):
        W = L.weight
        mask = np.ones(W.shape, dtype=bool)
        if 0 < k < last and W.shape[0] == W.shape[1]:
            eye = np.eye(W.shape[0], dtype=bool)
            if not np.any(W[~eye]):
                mask = eye
        parts += [mask.ravel(), np.ones(L.bias.size, dtype=bool)]
    return np.concatenate(parts)


def _measure(network: Network, B: np.ndarray, rtol: float | None, tol: float, params: str = "all") -> dict:
    J = jacobian(network, B)
    if params == "structural":
        J = J[:, structural_mask(network)]
    p, h = int(J.shape[1]), n_hidden(network)
    out = _rank(J, rtol)
    out.update({"n_params": p, "n_hidden": h, "bound": p - h, "batch_size": int(B.shape[0]), "parameters": params})
    out["reaches_bound"] = out["rank"] == out["bound"]
    out["deficit"] = out["bound"] - out["rank"]
    out["parallel_pairs"] = parallel_pairs(network, tol)
    out["dead"] = dead_neurons(network, tol)
    return out


@dataclass(eq=False)
class FunctionalDimension(Record):
    """The functional dimension of a net (:func:`functional_dimension`, ``Trained.functional_dimension()``; theory:
    "Functional dimension"). ``to_dict()`` is the ``functional_dimension`` section of the JSON output; the report
    also reads as that dict (``fd["rank"]``).

    rank: numerical rank of the parameter Jacobian on the input batch (a lower bound on the functional dimension).
    n_params, n_hidden, bound: parameters counted, hidden neurons, and ``bound = n_params - n_hidden``.
    reaches_bound, deficit: ``rank == bound`` and ``bound - rank``.
    batch_size: inputs in the batch (kinks removed). singular_value_gap: s_rank / s_{rank+1} of the
        column-equilibrated Jacobian (large = a clear rank); rtol: the relative rank threshold; smallest_kept,
        largest_dropped: s_rank and s_{rank+1} relative to s_max.
    parameters: 'all' or 'structural' (see :func:`structural_mask`).
    parallel_pairs, dead: first-layer neurons with the same hyperplane, and dead neurons (:func:`parallel_pairs`,
        :func:`dead_neurons`).
    canonical: the same measurement for :func:`canonical_form` on the same batch (itself without ``canonical``),
        or None when nothing merges or is removed, or when it was not asked for.
    error: set (and every other field None) when the dimension could not be computed for a trained net: then
        ``to_dict()`` is ``{"error": message}``.
    """

    rank: int | None = None
    singular_value_gap: float | None = None
    rtol: float | None = None
    smallest_kept: float | None = None
    largest_dropped: float | None = None
    n_params: int | None = None
    n_hidden: int | None = None
    bound: int | None = None
    batch_size: int | None = None
    parameters: str | None = None
    reaches_bound: bool | None = None
    deficit: int | None = None
    parallel_pairs: list | None = None
    dead: list | None = None
    canonical: FunctionalDimension | None = None
    #: True for the nested measurement of the canonical form (its dict has no 'canonical' key)
    of_canonical_form: bool = False
    error: str | None = None

    KEYS = ("rank", "singular_value_gap", "rtol", "smallest_kept", "largest_dropped", "n_params", "n_hidden", "bound",
            "batch_size", "parameters", "reaches_bound", "deficit", "parallel_pairs", "dead")

    @classmethod
    def from_measure(cls, out: dict, canonical: FunctionalDimension | None = None,
                     of_canonical_form: bool = False) -> FunctionalDimension:
        return cls(**{k: out[k] for k in cls.KEYS}, canonical=canonical, of_canonical_form=of_canonical_form)

    @classmethod
    def failed(cls, message: str) -> FunctionalDimension:
        """The report of a net whose functional dimension could not be computed."""
        return cls(error=str(message))

    def to_dict(self) -> dict:
        if self.error is not None:
            return {"error": self.error}
        out = {k: getattr(self, k) for k in self.KEYS}
        if not self.of_canonical_form:
            out["canonical"] = None if self.canonical is None else self.canonical.to_dict()
        return out

    def __str__(self) -> str:
        if self.error is not None:
            return f"functional dimension not computed: {self.error}"
        return "\n".join(self._lines("functional dimension"))

    def _lines(self, head: str) -> list[str]:
        verdict = "reaches the bound" if self.reaches_bound else f"deficit {self.deficit} below the bound"
        what = "structural parameters" if self.parameters == "structural" else "parameters"
        pairs = ", ".join(f"({a}, {b})" for a, b in self.parallel_pairs) or "none"
        dead = ", ".join(f"layer {layer} neuron {i}" for layer, i in self.dead) or "none"
        lines = [(f"{head}: rank {self.rank} of bound {self.bound} = {self.n_params} {what} - {self.n_hidden} "
                  f"hidden neurons: {verdict}"),
                 (f"  batch of {self.batch_size} inputs; singular-value gap {fmt(self.singular_value_gap, 3)} at the "
                  f"rank (rtol {fmt(self.rtol, 3)})"),
                 f"  parallel first-layer neurons: {pairs}; dead neurons: {dead}"]
        if self.canonical is not None:
            lines += ["  " + line for line in self.canonical._lines("canonical form (parallel neurons merged, dead "
                                                                     "ones removed)")]
        return lines


def functional_dimension(network: Network, X=None, *, n_points: int | None = None, seed: int = 0,
                         rtol: float | None = None, radii: Sequence[float] = DEFAULT_RADII,
                         boundary: int = DEFAULT_BOUNDARY, tol: float = 1e-9, parameters: str = "all",
                         canonical: bool = True) -> FunctionalDimension:
    """rank of the parameter Jacobian on :func:`input_batch` (X, when given, sets the batch's centre and scale and
    is included; n_points, radii, seed, boundary are passed on) against the bound ``#params - #hidden``. The rank
    counts singular values s > rtol * s_max of the column-equilibrated Jacobian (default rtol: see RANK_SAFETY).

    Returns a :class:`FunctionalDimension` (fields, and keys of its ``to_dict()``): rank, n_params, n_hidden, bound,
    reaches_bound, deficit (= bound - rank), batch_size, singular_value_gap
    (s_rank / s_{rank+1} of the column-equilibrated Jacobian; large = a clear rank), rtol, smallest_kept /
    largest_dropped (relative to s_max), parallel_pairs, dead (see :func:`parallel_pairs`, :func:`dead_neurons`; ``tol``
    is theirs), and canonical: the same (without 'canonical') for :func:`canonical_form` on the same batch, or None
    when there is nothing to merge or remove. canonical=False skips the canonical form (merging first-layer neurons of
    parallel chains would leave the chain architecture). parameters: 'all' (every stored weight and bias) or
    'structural' (without the off-diagonal zeros of diagonal
    hidden-to-hidden layers: the parameters of parallel-chain architectures; see :func:`structural_mask`)."""
    parameters = check_choice(parameters, PARAMETER_SETS, "parameter set")
    _check_network(network, bound=True)
    B = off_kinks(network, input_batch(network, X, n_points, radii, seed, boundary))
    out = _measure(network, B, rtol, tol, parameters)
    canon = None
    if canonical and (out["parallel_pairs"] or out["dead"]):
        canon = FunctionalDimension.from_measure(_measure(canonical_form(network, tol), B, rtol, tol, parameters),
                                                 of_canonical_form=True)
    return FunctionalDimension.from_measure(out, canon)


# ------------------------------------------------------------------------------------------- random nets
def _widths(widths) -> list[int]:
    w = [widths] if isinstance(widths, (int, np.integer)) else list(widths)
    if not w or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in w):
        raise InvalidParameterError(
            f"widths must be a positive integer or a non-empty sequence of them (one per hidden layer); received "
            f"{widths!r}. Use e.g. widths=(4, 4)."
        )
    return [int(v) for v in w]


def random_network(d: int, widths, activation="relu", seed: int = 0) -> Network:
    """A scalar-output net with hidden widths ``widths`` (int or sequence), all weights and biases i.i.d. N(0, 1);
    penalty (1/2) sum of squared weights of every layer (beta = 1). ``activation`` is a name or an
    :class:`Activation` ('leaky' by name has slope RANDOM_LEAKY_SLOPE)."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise InvalidParameterError(f"d must be a positive integer (the input dimension); received {d!r}.")
    act = activation if isinstance(activation, Activation) else \
        Activation(activation, RANDOM_LEAKY_SLOPE if str(activation).lower() == "leaky" else 0.0)
    if act.name not in BOUND_ACTIVATIONS:
        raise UnsupportedCombinationError(
            f"random_network builds relu, leaky or abs nets; received activation {act.name!r}."
        )
    sizes = [int(d)] + _widths(widths) + [1]
    rng = np.random.default_rng(seed)
    layers = [Layer(rng.standard_normal((o, i)), rng.standard_normal(o), act if k < len(sizes) - 2 else
                    Activation("identity")) for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:]))]
    penalty = Penalty(1.0, [PenaltyTerm(layer=k, coef=0.5, power=2.0) for k in range(len(layers))],
                      "(1/2) * sum of squared weights of every layer; biases unpenalised")
    return Network(layers, penalty, {"model": "random", "widths": sizes[1:-1], "seed": int(seed),
                                     "activation": act.to_dict()})


def random_fraction(d: int, widths, trials: int, activation="relu", seed: int = 0) -> float:
    """Fraction of ``trials`` random nets (seeds seed, seed + 1, ...) whose functional dimension reaches the bound
    (default batch, same seed as the net)."""
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise InvalidParameterError(f"trials must be a positive integer; received {trials!r}.")
    hits = sum(functional_dimension(random_network(d, widths, activation, seed + t), seed=seed + t).reaches_bound
               for t in range(int(trials)))
    return hits / int(trials)


__all__ = ["FunctionalDimension", "jacobian", "input_batch", "functional_dimension", "canonical_form",  # noqa: RUF022
           "random_network", "random_fraction", "parallel_pairs", "dead_neurons", "parameters", "with_parameters", "n_parameters", "n_hidden",
           "structural_mask", "off_kinks"]
