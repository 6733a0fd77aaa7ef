"""Every dual oracle against an independent sup written here from the definitions of the units, at random dual
points (centred when the model has a free output bias), not only at the solver's optimal dual.

At a solver's optimal dual the oracle's maximum is usually attained by a column the solver already used, so a
missing candidate cannot show there; at random dual points it does. Each check has two sides:

- the oracle is never below the value of any unit evaluated here (so it cannot miss candidates), and
- the search here comes within a stated epsilon of the oracle (so it does not overstate the sup).

The `*_has_teeth` tests show that a crippled copy of a search (one orientation, half the breakpoints, half the
activation patterns, half the vertex labels or offsets) falls short of the full search by more than the tolerance
used above on some seed: an oracle with the same defect would fail the first side.

Only the public API is used: ``cvxnn.build(...)`` and the program's ``dual_sup`` / ``has_output_bias``.
"""

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

import cvxnn

SEEDS = (0, 1, 2, 3)
LEAKY_SLOPE = 0.1


def sigma(name, u):
    """The activations, written out here (no cvxnn code)."""
    u = np.asarray(u, dtype=np.float64)
    if name == "relu":
        return np.maximum(u, 0.0)
    if name == "leaky":
        return np.maximum(u, LEAKY_SLOPE * u)
    if name == "abs":
        return np.abs(u)
    if name == "sign":
        return np.sign(u)
    if name == "threshold":
        return (u >= 0).astype(np.float64)
    raise ValueError(name)


def dual_point(program, rng):
    """A random dual point, centred when the model has a free output bias (the dual constraint 1^T lam = 0)."""
    lam = rng.standard_normal(program.X.shape[0])
    return lam - lam.mean() if program.has_output_bias else lam


def refine(fun, starts, **options):
    """max of fun by Nelder-Mead from each start (fun: parameters -> value to maximise)."""
    opts = {"xatol": 1e-12, "fatol": 1e-15, "maxiter": 4000, **options}
    best = -np.inf
    for p0 in starts:
        r = minimize(lambda p: -fun(p), np.asarray(p0, dtype=np.float64), method="Nelder-Mead", options=opts)
        best = max(best, -float(r.fun))
    return best


def unit_sphere(rng, m, k, q=2):
    U = rng.standard_normal((m, k))
    return U / np.linalg.norm(U, ord=q, axis=1, keepdims=True)


# ------------------------------------------------------------------------- 1-D two-layer nets, free biases
def breakpoint_grid(x, m=100_001):
    """Breakpoints c on a uniform grid over the data range widened by 1 on each side (outside the data a unit is a
    data-range unit plus a constant, which a centred lam annihilates)."""
    return np.linspace(x.min() - 1.0, x.max() + 1.0, m)


def grid_values_1d(x, lam, act, c, orientations=(1.0, -1.0)):
    """max over the grid c and the orientations s of |lam^T sigma(s (x - c))| (units with |w| = 1)."""
    return max(float(np.max(np.abs(lam @ sigma(act, s * (x[:, None] - c[None, :]))))) for s in orientations)


def data_1d(seed, n=10):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2.0, 2.0, n))
    return x, np.sin(2 * x) + 0.1 * rng.standard_normal(n), rng


@pytest.mark.parametrize("act", ["relu", "leaky", "abs"])
@pytest.mark.parametrize("seed", SEEDS)
def test_two_layer_1d_oracle_equals_a_breakpoint_grid(act, seed):
    x, y, rng = data_1d(seed)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer(act, leaky_slope=LEAKY_SLOPE), beta=0.1)
    assert prog.has_output_bias
    for _ in range(3):
        lam = dual_point(prog, rng)
        sup, unit = prog.dual_sup(lam)
        c = breakpoint_grid(x)
        grid = grid_values_1d(x, lam, act, c)
        # lam^T sigma(s (x - c)) is Lipschitz in c with constant sum |lam_i| (slopes of sigma are at most 1), so
        # the grid's max is within sum|lam| * spacing of the sup over every c
        eps = np.abs(lam).sum() * (c[1] - c[0])
        assert grid <= sup * (1 + 1e-12) + 1e-12
        assert sup <= grid + eps
        # the reported unit attains the sup
        s, b = unit["orientation"], unit["breakpoint"]
        assert abs(lam @ sigma(act, s * (x - b))) == pytest.approx(sup, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("act", ["sign", "threshold"])
@pytest.mark.parametrize("seed", SEEDS)
def test_step_unit_oracle_equals_a_breakpoint_grid(act, seed):
    """sign / threshold units are constant in c inside each gap between data points, so a grid finer than the
    smallest gap visits every value: the oracle must equal the grid's max (to rounding)."""
    x, y, rng = data_1d(seed)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer(act), beta=0.1)
    c = breakpoint_grid(x)
    assert np.min(np.diff(x)) > 10 * (c[1] - c[0])  # every gap holds grid points
    for _ in range(3):
        lam = dual_point(prog, rng)
        sup, _ = prog.dual_sup(lam)
        grid = grid_values_1d(x, lam, act, c)
        assert sup == pytest.approx(grid, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("act", ["relu", "leaky"])
def test_two_layer_1d_without_biases(act):
    """bias='none': the units are sigma(w x); with |w| = 1, w = +-1, and any w scales the value by |w|."""
    x, y, rng = data_1d(5)
    prog = cvxnn.build(x, y, cvxnn.TwoLayer(act, bias="none", leaky_slope=LEAKY_SLOPE), beta=0.1)
    assert not prog.has_output_bias
    w = rng.standard_normal(2000) * 10.0 ** rng.uniform(-2, 2, 2000)
    for _ in range(3):
        lam = dual_point(prog, rng)
        sup, _ = prog.dual_sup(lam)
        both = max(abs(lam @ sigma(act, x)), abs(lam @ sigma(act, -x)))
        assert sup == pytest.approx(both, rel=1e-12)
        assert np.all(np.abs(lam @ sigma(act, np.outer(x, w))) <= np.abs(w) * sup * (1 + 1e-12) + 1e-12)


def test_two_layer_1d_search_has_teeth():
    """Dropping one orientation, or half of the breakpoints, loses more than the grid tolerance on some seed."""
    lost_orientation, lost_half = 0.0, 0.0
    for seed in SEEDS:
        x, y, rng = data_1d(seed)
        for _ in range(3):
            lam = rng.standard_normal(x.size)
            lam -= lam.mean()
            c = breakpoint_grid(x)
            eps = np.abs(lam).sum() * (c[1] - c[0])
            full = grid_values_1d(x, lam, "relu", c)
            one = grid_values_1d(x, lam, "relu", c, orientations=(1.0,))
            half = grid_values_1d(x, lam, "relu", x[::2])  # breakpoints at every other data point only
            lost_orientation = max(lost_orientation, (full - one) / eps)
            lost_half = max(lost_half, (full - half) / eps)
    assert lost_orientation > 10 and lost_half > 10


# ------------------------------------------------------------------------------- deep 1-D chains
def ramp_grid_sup(x, lam, ends):
    """max over grid endpoints a < b of |lam^T clip(x - a, 0, b - a)|, from the definition of a ramp."""
    best = 0.0
    for i in range(ends.size - 1):
        a, b = ends[i], ends[i + 1:]
        R = np.clip(x[:, None] - a, 0.0, (b - a)[None, :])
        best = max(best, float(np.max(np.abs(lam @ R))))
    return best


@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("seed", SEEDS[:3])
def test_deep_relu_oracle_against_random_chains_and_a_ramp_grid(depth, seed):
    x, y, rng = data_1d(seed, n=9)
    prog = cvxnn.build(x, y, cvxnn.Deep1D(depth, "relu"), beta=0.1)
    ends = np.linspace(x.min() - 0.5, x.max() + 0.5, 1201)
    for _ in range(2):
        lam = dual_point(prog, rng)
        sup, _ = prog.dual_sup(lam)
        # random scalar ReLU chains h <- relu(w h + b) of depth 3..6: |lam^T h| <= sup * prod |w| (AM-GM cost)
        for _ in range(2000):
            L = int(rng.integers(3, 7))
            w = rng.standard_normal(L - 1)
            b = rng.standard_normal(L - 1) * 2
            h = x.copy()
            for wl, bl in zip(w, b):
                h = np.maximum(wl * h + bl, 0.0)
            assert abs(lam @ h) <= sup * np.prod(np.abs(w)) * (1 + 1e-9) + 1e-12
        grid = ramp_grid_sup(x, lam, ends)
        eps = 2 * np.abs(lam).sum() * (ends[1] - ends[0])  # both endpoints move by at most one spacing
        assert grid <= sup * (1 + 1e-12) + 1e-12
        assert sup <= grid + eps


def abs_chain(x, a):
    """g_a(x) = | ... ||x - a1| - a2| ... - a_k| for the rows a of A (shape (m, k)); returns (n, m)."""
    a = np.atleast_2d(a)
    h = np.abs(x[:, None] - a[None, :, 0])
    for level in range(1, a.shape[1]):
        h = np.abs(h - a[None, :, level])
    return h


def abs_chain_grid_sup(x, lam, axes, chunk=200_000):
    """max of |lam^T g_a| over the product grid ``axes`` and the best grid points (for refinement)."""
    A = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(axes))
    best, top = 0.0, []
    for s in range(0, len(A), chunk):
        v = np.abs(lam @ abs_chain(x, A[s:s + chunk]))
        k = np.argsort(-v)[:8]
        top += [(float(v[j]), A[s + j]) for j in k]
        best = max(best, float(v.max()))
    top.sort(key=lambda t: -t[0])
    return best, [p for _, p in top[:8]]


def chain_kinks(x, a, level):
    """Candidates for the maximum of |lam^T g_a| along the coordinate a_level, the others fixed: with h the chain
    value before level (h = x for level 0), each g_a(x_i) is piecewise linear in a_level with kinks where an inner
    absolute value vanishes, a_level = h_i + sum_{m > level} e_m a_m for some e_m in {-1, 0, 1}; far out it is
    linear with the same slope for every i, which a centred lam annihilates. So the 1-D max is at a kink (or at
    a_level = 0, the boundary, for level >= 1)."""
    h = x.copy()
    for m in range(level):
        h = np.abs(h - a[m])
    offsets = [float(np.dot(e, a[level + 1:])) for e in itertools.product((-1.0, 0.0, 1.0), repeat=a.size - level - 1)]
    c = (h[:, None] + np.array(offsets)[None, :]).ravel()
    if level > 0:
        c = np.append(c[c >= 0], 0.0)
    return np.unique(c)


def chain_ascent(x, lam, a, sweeps=50):
    """Exact coordinate-wise maximisation of |lam^T g_a| (each coordinate at its kinks), until no coordinate
    improves."""
    a = np.asarray(a, dtype=np.float64).copy()
    a[1:] = np.abs(a[1:])
    value = float(np.abs(lam @ abs_chain(x, a)[:, 0]))
    for _ in range(sweeps):
        before = value
        for level in range(a.size):
            c = chain_kinks(x, a, level)
            A = np.repeat(a[None], c.size, axis=0)
            A[:, level] = c
            v = np.abs(lam @ abs_chain(x, A))
            j = int(np.argmax(v))
            if v[j] > value:
                value, a = float(v[j]), A[j]
        if value <= before:
            break
    return value, a


def refine_chain(x, lam, starts):
    """From each start, alternate exact coordinate ascent and Nelder-Mead (which moves along ridges that no single
    coordinate climbs) until neither improves."""

    def value(a):
        a = np.asarray(a, dtype=np.float64).copy()
        a[1:] = np.abs(a[1:])
        return float(np.abs(lam @ abs_chain(x, a)[:, 0]))

    best = 0.0
    for a in starts:
        current = -np.inf
        for _ in range(8):
            v1, a = chain_ascent(x, lam, a)
            r = minimize(lambda p: -value(p), a, method="Nelder-Mead",
                         options={"xatol": 1e-13, "fatol": 1e-15, "maxiter": 2000})
            a = np.concatenate([r.x[:1], np.abs(r.x[1:])])
            if max(v1, -r.fun) <= current * (1 + 1e-15):
                break
            current = max(v1, -float(r.fun))
        best = max(best, current)
    return best


@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("seed", SEEDS[:3])
def test_deep_abs_1d_oracle_equals_a_parameter_grid(depth, seed):
    """Chains ||x - a1| - a2| (and - a3 at depth 4), a_l >= 0 for l >= 2: a dense grid over the parameters, then a
    refinement from the best grid points. Outside the grid's box a chain equals a chain inside it plus a constant
    (a centred lam annihilates constants)."""
    x, y, rng = data_1d(seed, n=8)
    prog = cvxnn.build(x, y, cvxnn.Deep1D(depth, "abs"), beta=0.1)
    lo, hi = x.min() - 1.0, x.max() + 1.0
    k = {3: 400, 4: 60}[depth]
    axes = [np.linspace(lo, hi, k)] + [np.linspace(0.0, hi - lo, k)] * (depth - 2)
    spacing = sum(ax[1] - ax[0] for ax in axes)
    for _ in range(2):
        lam = dual_point(prog, rng)
        sup, _ = prog.dual_sup(lam)
        grid, starts = abs_chain_grid_sup(x, lam, axes)
        # each parameter moves g_a(x_i) by at most its own change: Lipschitz constant sum|lam| per coordinate
        assert grid <= sup * (1 + 1e-12) + 1e-12
        assert sup <= grid + np.abs(lam).sum() * spacing
        refined = refine_chain(x, lam, starts)
        assert refined <= sup * (1 + 1e-12) + 1e-12
        assert refined >= sup * (1 - 1e-9)


def test_deep_abs_1d_search_has_teeth():
    """Reflection parameters only (a1 at a data point): the grid beats them by more than the refinement
    tolerance on some seed, so an oracle missing the midpoint family would be caught."""
    worst = 0.0
    for seed in SEEDS[:3]:
        x, _, rng = data_1d(seed, n=8)
        lo, hi = x.min() - 1.0, x.max() + 1.0
        axes = [np.linspace(lo, hi, 700), np.linspace(0.0, hi - lo, 700)]
        for _ in range(2):
            lam = rng.standard_normal(x.size)
            lam -= lam.mean()
            full, _ = abs_chain_grid_sup(x, lam, axes)
            refl, _ = abs_chain_grid_sup(x, lam, [x, axes[1]])
            worst = max(worst, (full - refl) / full)
    assert worst > 1e-3


# ------------------------------------------------------------------------ two-layer nets on arrangements
def data_nd(seed, n, d):
    rng = np.random.default_rng(100 + seed)
    X = rng.uniform(-1.0, 1.0, (n, d))
    return X, rng.standard_normal(n), rng


def arrangement_values(Xb, lam, U, act):
    return np.abs(lam @ sigma(act, Xb @ U.T))


ARRANGEMENT_CASES = [(act, d, bias) for act in ("relu", "leaky", "abs") for d in (2, 3)
                     for bias in ("penalized", "none")]


@pytest.mark.parametrize("act,d,bias", ARRANGEMENT_CASES)
def test_arrangement_oracle_equals_a_direction_search(act, d, bias):
    """sup over ||u|| = 1 (u includes the bias entry when the bias is penalised) of |lam^T sigma(Xb u)|: 100,000
    random unit directions, then Nelder-Mead from the 10 best, at raw and at centred random dual points."""
    n = 7 if d == 2 else 6
    X, y, rng = data_nd(d, n, d)
    prog = cvxnn.build(X, y, cvxnn.TwoLayer(act, bias=bias, leaky_slope=LEAKY_SLOPE), beta=0.1)
    Xb = np.hstack([X, np.ones((n, 1))]) if bias == "penalized" else X
    for centred in (False, True):
        lam = rng.standard_normal(n)
        if centred:
            lam -= lam.mean()
        sup, _ = prog.dual_sup(lam)
        U = unit_sphere(rng, 100_000, Xb.shape[1])
        v = arrangement_values(Xb, lam, U, act)
        assert v.max() <= sup * (1 + 1e-12) + 1e-12
        refined = refine(lambda u: arrangement_values(Xb, lam, (u / np.linalg.norm(u))[None], act)[0],
                         U[np.argsort(-v)[:10]])
        assert refined <= sup * (1 + 1e-12) + 1e-12
        assert refined >= sup * (1 - 1e-9)


def pattern_half(Xb, U, salt):
    """A fixed half of the activation patterns: parity of a random weighting of the pattern bits."""
    P = (Xb @ U.T >= 0).T
    return (P.astype(np.int64) @ salt) % 2 == 0


def test_arrangement_search_has_teeth():
    """The directions whose activation pattern lies in a fixed half of the patterns fall short of the oracle by
    far more than the 1e-9 tolerance above on some instance: an oracle visiting half the patterns would fail."""
    worst = 0.0
    for seed in SEEDS:
        X, y, rng = data_nd(seed, 7, 2)
        Xb = np.hstack([X, np.ones((7, 1))])
        prog = cvxnn.build(X, y, cvxnn.TwoLayer("relu"), beta=0.1)
        salt = rng.integers(1, 1 << 20, 7)
        for _ in range(3):
            lam = rng.standard_normal(7)
            lam -= lam.mean()
            sup, _ = prog.dual_sup(lam)
            U = unit_sphere(rng, 100_000, 3)
            v = arrangement_values(Xb, lam, U, "relu")
            kept = pattern_half(Xb, U, salt)
            worst = max(worst, 1 - v[kept].max() / sup)
    assert worst > 1e-3


# ------------------------------------------------------------------------------------------- gated ReLU
@pytest.mark.parametrize("d,bias", [(2, "penalized"), (3, "penalized"), (2, "none")])
def test_gated_relu_oracle_equals_a_gate_search(d, bias):
    """Gated units 1[Xb g >= 0] * (Xb u), ||u|| = 1: for a gate g the sup over u is ||Xb^T D_g lam||; gates are
    200,000 random directions (each region of the arrangement is hit)."""
    n = 7 if d == 2 else 6
    X, y, rng = data_nd(10 + d, n, d)
    prog = cvxnn.build(X, y, cvxnn.GatedReLU(bias=bias), beta=0.1)
    Xb = np.hstack([X, np.ones((n, 1))]) if bias == "penalized" else X
    G = unit_sphere(rng, 200_000, Xb.shape[1])
    D = (Xb @ G.T >= 0).astype(np.float64)  # (n, gates)
    for centred in (False, True, True):
        lam = rng.standard_normal(n)
        if centred:
            lam -= lam.mean()
        sup, _ = prog.dual_sup(lam)
        values = np.linalg.norm((D * lam[:, None]).T @ Xb, axis=1)
        assert values.max() == pytest.approx(sup, rel=1e-12)
    # teeth: the gates whose pattern lies in a fixed half of the patterns fall short on some dual point
    salt = rng.integers(1, 1 << 20, n)
    kept = ((D.T.astype(np.int64) @ salt) % 2) == 0
    worst_half = 0.0
    for _ in range(10):
        lam = rng.standard_normal(n)
        values = np.linalg.norm((D * lam[:, None]).T @ Xb, axis=1)
        worst_half = max(worst_half, 1 - values[kept].max() / values.max())
    assert worst_half > 1e-3


# --------------------------------------------------------------------- l1-normalised abs nets (wedges)
def wedge_values(X, lam, W):
    """For each direction w (rows of W): max over offsets b at the data projections of |lam^T |X w + b||. For a
    fixed w, b -> lam^T |X w + b| is piecewise linear with kinks at b = -w^T x_j and constant outside them
    (sum lam = 0), so those offsets give its sup."""
    T = X @ W.T  # (n, m)
    out = np.zeros(W.shape[0])
    for j in range(X.shape[0]):
        out = np.maximum(out, np.abs(lam @ np.abs(T - T[j][None, :])))
    return out


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("seed", SEEDS[:3])
def test_wedge_oracle_equals_a_direction_search(d, seed):
    n = 7 if d == 2 else 6
    X, y, rng = data_nd(20 + seed, n, d)
    prog = cvxnn.build(X, y, cvxnn.TwoLayer("abs", inner_norm="l1"), beta=0.1)
    assert prog.has_output_bias
    for _ in range(2):
        lam = dual_point(prog, rng)
        sup, _ = prog.dual_sup(lam)
        W = unit_sphere(rng, 100_000, d, q=1)
        v = wedge_values(X, lam, W)
        assert v.max() <= sup * (1 + 1e-12) + 1e-12
        refined = refine(lambda w: wedge_values(X, lam, (w / np.abs(w).sum())[None])[0], W[np.argsort(-v)[:10]])
        assert refined <= sup * (1 + 1e-12) + 1e-12
        assert refined >= sup * (1 - 1e-9)


def test_wedge_search_has_teeth():
    """Offsets at half of the data projections fall short by more than the tolerance on some instance."""
    worst = 0.0
    for seed in SEEDS[:3]:
        X, _, rng = data_nd(20 + seed, 7, 2)
        for _ in range(2):
            lam = rng.standard_normal(7)
            lam -= lam.mean()
            W = unit_sphere(rng, 50_000, 2, q=1)
            full = wedge_values(X, lam, W).max()
            T = X @ W.T
            half = np.zeros(W.shape[0])
            for j in range(0, 7, 2):
                half = np.maximum(half, np.abs(lam @ np.abs(T - T[j][None, :])))
            worst = max(worst, 1 - half.max() / full)
    assert worst > 1e-3


# --------------------------------------------------------------------- three-layer abs nets in d dims
def vertex_labels(t, midpoints=True):
    """The 1-D vertices (a1, a2) of ||t - a1| - a2| on the projections t (n,): reflections a1 = t_j,
    a2 = |t_k - t_j| (k = j: a2 = 0) and midpoints a1 = (t_k + t_l)/2, a2 = |t_l - t_k|/2. They are the
    intersections of two of the lines a1 = t_i, a1 + a2 = t_i, a1 - a2 = t_i, a2 = 0, where the piecewise linear
    map (a1, a2) -> lam^T ||t - a1| - a2|| has its vertices; its recession directions change it by constants."""
    n = t.shape[0]
    j, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    a1 = [t[j.ravel()]]
    a2 = [np.abs(t[k.ravel()] - t[j.ravel()])]
    if midpoints:
        p, q = np.triu_indices(n, k=1)
        a1.append(0.5 * (t[p] + t[q]))
        a2.append(0.5 * np.abs(t[q] - t[p]))
    return np.concatenate(a1), np.concatenate(a2)


def deep_abs_values(X, lam, V, midpoints=True, chunk=2000):
    """For each direction v (rows of V): max over the vertex labels of |lam^T ||X v - a1| - a2||."""
    out = np.empty(V.shape[0])
    for s in range(0, V.shape[0], chunk):
        T = X @ V[s:s + chunk].T  # (n, m)
        A1, A2 = vertex_labels(T, midpoints)  # (L, m)
        F = np.abs(np.abs(T[:, None, :] - A1[None]) - A2[None])  # (n, L, m)
        out[s:s + chunk] = np.abs(np.einsum("i,ilm->lm", lam, F)).max(axis=0)
    return out


DEEP_ABS_CASES = [("l1", 2), ("l2", 2), ("l1", 3), ("l2", 3)]


@pytest.mark.parametrize("norm,d", DEEP_ABS_CASES)
def test_deep_abs_oracle_equals_a_direction_search(norm, d):
    """sup over unit v (l1 or l2) and all (a1, a2 >= 0) of |lam^T ||X v - a1| - a2||: random unit directions
    with every vertex label computed here from the projections, then Nelder-Mead from the best directions."""
    n = 6 if d == 2 else 5
    q = 1 if norm == "l1" else 2
    X, y, rng = data_nd(30 + d, n, d)
    prog = cvxnn.build(X, y, cvxnn.DeepAbs(3, inner_norm=norm), beta=0.1)
    assert prog.has_output_bias and prog.scope == "global"
    m = 40_000 if d == 2 else 30_000
    for _ in range(2):
        lam = dual_point(prog, rng)
        sup, _ = prog.dual_sup(lam)
        V = unit_sphere(rng, m, d, q=q)
        v = deep_abs_values(X, lam, V)
        assert v.max() <= sup * (1 + 1e-12) + 1e-12
        refined = refine(lambda w: deep_abs_values(X, lam, (w / np.linalg.norm(w, ord=q))[None])[0],
                         V[np.argsort(-v)[:10]])
        assert refined <= sup * (1 + 1e-12) + 1e-12
        assert refined >= sup * (1 - 1e-9)


def test_deep_abs_l2_search_has_teeth():
    """For l2-normalised inner weights the finite set of reflection-plane directions (the axes and the normals of
    the lines through two data points or through a data point and the mirror image of another) is only a
    restriction: a dense angle grid beats it by more than the tolerance on some dual point, so an l2 oracle
    scanning those directions only would fail the check above."""
    worst = 0.0
    for seed in SEEDS[:3]:
        X, _, rng = data_nd(30 + seed, 6, 2)
        n = X.shape[0]
        W = [X[i] - X[j] for i in range(n) for j in range(i + 1, n)]
        W += [X[a] + X[b] - 2 * X[c] for a in range(n) for b in range(a + 1, n) for c in range(n) if c not in (a, b)]
        W = np.array(W + [[1.0, 0.0], [0.0, 1.0]])
        P = np.column_stack([-W[:, 1], W[:, 0]])
        P /= np.linalg.norm(P, axis=1, keepdims=True)
        angles = np.linspace(0.0, np.pi, 4000, endpoint=False)
        G = np.column_stack([np.cos(angles), np.sin(angles)])
        for _ in range(3):
            lam = rng.standard_normal(n)
            lam -= lam.mean()
            worst = max(worst, 1 - deep_abs_values(X, lam, P).max() / deep_abs_values(X, lam, G).max())
    assert worst > 1e-3
