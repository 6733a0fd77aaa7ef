"""1-D dictionaries as linear operators in O(n): columns that are piecewise linear with one kink (relu, leaky, abs
units, hinges) or steps (sign, threshold units) at a point of the data, shared by the 1-D model families (theory:
"Two-layer nets on 1-D data", "Deep ReLU chains on 1-D data").

Let t_1 < ... < t_m be the distinct data points, g_l = t_{l+1} - t_l the gaps, and every sample x_i = t_{k(i)}. A
**kink column** j is a function c_j(x) that is linear with slope ``left_j`` before its kink t_{b_j} and ``right_j``
after it, with value ``first_j`` at t_1. On the data it is determined by those three numbers:

    c_j(t_1) = first_j,    c_j(t_{l+1}) - c_j(t_l) = g_l * (left_j if l < b_j else right_j).

So for coefficients z the fit F = A z at the distinct points satisfies, with slopes p_l on the gaps,

    F_1 = sum_j first_j z_j,   p_1 = sum_j slope_j(1) z_j,   p_l - p_{l-1} = sum_{j: b_j = l} (right_j - left_j) z_j,
    F_{l+1} - F_l = g_l p_l,

two dense rows and banded rows with one entry per column: O(n + K) nonzeros instead of the n x K of the dense matrix.
A **step column** (sign, threshold at a gap midpoint) jumps by ``jump_j`` across its gap: F_{l+1} - F_l =
sum_{j in gap l} jump_j z_j. The transpose is as cheap: with Lambda_k = sum over the samples at t_k of lambda_i and
the tail sums R_l = sum_{k > l} Lambda_k (so sum_i lambda_i c_j(x_i) = first_j sum Lambda + sum_l slope_j(l) g_l
R_l), A^T lambda needs one prefix sum: the dual oracle of every 1-D two-layer net and of ReLU ramps is O(n log n)
(the sort) with no matrix at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Grid1D:
    """The distinct sorted data points and where every sample sits."""

    t: np.ndarray  # (m,) distinct points, increasing
    index: np.ndarray  # (n,) sample i sits at t[index[i]]

    @classmethod
    def of(cls, x) -> "Grid1D":
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        t, index = np.unique(x, return_inverse=True)
        return cls(t, np.asarray(index).reshape(-1))

    @property
    def m(self) -> int:
        return int(self.t.size)

    @property
    def gaps(self) -> np.ndarray:
        return np.diff(self.t)

    def aggregate(self, lam) -> np.ndarray:
        """Lambda_k: the sum of lam over the samples at t_k."""
        return np.bincount(self.index, weights=np.asarray(lam, dtype=np.float64), minlength=self.m)


@dataclass
class KinkOperator:
    """K kink columns on a grid: kink index ``b`` (into grid.t), slopes ``left`` / ``right``, value ``first`` at t_1."""

    grid: Grid1D
    b: np.ndarray
    left: np.ndarray
    right: np.ndarray
    first: np.ndarray

    @property
    def size(self) -> int:
        return int(self.b.size)

    def slopes(self, z) -> np.ndarray:
        """Slopes p_1..p_{m-1} of A z on the gaps."""
        z = np.asarray(z, dtype=np.float64)
        jump = np.bincount(self.b, weights=(self.right - self.left) * z, minlength=self.grid.m)
        # gap l (0-based, between t_l and t_{l+1}) sees right_j for b_j <= l
        return float(self.left @ z) + np.cumsum(jump)[:-1]

    def values(self, z) -> np.ndarray:
        """A z at the distinct points t_1..t_m."""
        F = np.empty(self.grid.m)
        F[0] = float(self.first @ np.asarray(z, dtype=np.float64))
        F[1:] = F[0] + np.cumsum(self.grid.gaps * self.slopes(z))
        return F

    def apply(self, z) -> np.ndarray:
        """A z at the samples."""
        return self.values(z)[self.grid.index]

    def scores(self, lam) -> np.ndarray:
        """A^T lam (one value per column)."""
        Lam = self.grid.aggregate(lam)
        R = np.cumsum(Lam[::-1])[::-1][1:]  # R_l = sum_{k > l} Lambda_k, l = 0..m-2
        Q = np.concatenate([[0.0], np.cumsum(self.grid.gaps * R)])  # Q_b = sum_{l < b} g_l R_l
        return self.first * Lam.sum() + self.left * Q[self.b] + self.right * (Q[-1] - Q[self.b])

    def cvxpy_fit(self, z, xi=None):
        """(F at the samples, constraints) as CVXPY expressions: the banded form of A z (+ xi)."""
        import cvxpy as cp
        import scipy.sparse as sp

        m, K = self.grid.m, self.size
        F = cp.Variable(m, name="fit")
        first = self.first @ z + (xi if xi is not None else 0.0)
        if m == 1:
            return F[self.grid.index], [F[0] == first]
        p = cp.Variable(m - 1, name="slope")
        # row l (1..m-2) of D z: the columns that kink at t_l change the slope between gaps l-1 and l
        rows = self.b - 1
        ok = (rows >= 0) & (rows < m - 2)
        D = sp.csr_matrix(((self.right - self.left)[ok], (rows[ok], np.flatnonzero(ok))), shape=(max(m - 2, 0), K))
        slope_first = np.where(self.b <= 0, self.right, self.left)
        cons = [F[0] == first, p[0] == slope_first @ z, F[1:] - F[:-1] == cp.multiply(self.grid.gaps, p)]
        if m > 2:
            cons.append(p[1:] - p[:-1] == D @ z)
        return F[self.grid.index], cons

    def fit_map(self, idx):
        """A sparse matrix M (m rows, len(idx) columns) with A z = A z' on the data iff M z = M z' (for columns
        idx): the value at t_1 (row 0, where an output bias enters), the slope on the first gap (row 1) and the slope
        change at each interior point (rows 2..m-1). O(n + K) nonzeros."""
        import scipy.sparse as sp

        idx = np.asarray(idx, dtype=int)
        m, k = self.grid.m, idx.size
        b = self.b[idx]
        cols = np.arange(k)
        slope_first = np.where(b <= 0, self.right[idx], self.left[idx])
        interior = (b >= 1) & (b <= m - 2)
        rows = np.concatenate([np.zeros(k, int), np.ones(k, int), b[interior] + 1])
        data = np.concatenate([self.first[idx], slope_first, (self.right - self.left)[idx][interior]])
        return sp.csr_matrix((data, (rows, np.concatenate([cols, cols, cols[interior]]))), shape=(max(m, 2), k))

    def columns(self, idx) -> np.ndarray:
        """Dense columns (n x len(idx)) of the given indices, for pruning on a support."""
        idx = np.asarray(idx, dtype=int)
        t, b = self.grid.t, self.b[idx]
        T = t[:, None]
        tb = t[b][None, :]
        V = self.first[idx][None, :] + np.where(T < tb, self.left[idx] * (T - t[0]),
                                                 self.left[idx] * (tb - t[0]) + self.right[idx] * (T - tb))
        return V[self.grid.index]

    def column_norms(self, idx) -> np.ndarray:
        """||c_j|| over the samples, in O(n + K): on each side of its kink a column is affine in x, so its squared
        norm is a quadratic in the prefix sums (count, sum x, sum x^2) of the samples on that side."""
        idx = np.asarray(idx, dtype=int)
        g = self.grid
        centre = float(np.mean(g.t))
        u = g.t - centre  # the points, centred to limit cancellation
        count = np.bincount(g.index, minlength=g.m).astype(np.float64)
        N, S1, S2 = (np.concatenate([[0.0], np.cumsum(v)]) for v in (count, count * u, count * u * u))
        b = self.b[idx]
        left, right = self.left[idx], self.right[idx]
        at_kink = self.first[idx] + left * (g.t[b] - g.t[0])  # the value at the kink
        ub = u[b]

        def side(slope, n, s1, s2):  # sum over the side's samples of (at_kink + slope (u - ub))^2
            a = at_kink - slope * ub
            return a * a * n + 2 * a * slope * s1 + slope * slope * s2

        total = side(left, N[b], S1[b], S2[b]) + side(right, N[-1] - N[b], S1[-1] - S1[b], S2[-1] - S2[b])
        return np.sqrt(np.maximum(total, 0.0))


@dataclass
class StepOperator:
    """K step columns, one per gap ``gap`` (0-based: between t_gap and t_{gap+1}), jumping by ``jump``, with value
    ``first`` at t_1."""

    grid: Grid1D
    gap: np.ndarray
    jump: np.ndarray
    first: np.ndarray

    @property
    def size(self) -> int:
        return int(self.gap.size)

    def values(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        steps = np.bincount(self.gap, weights=self.jump * z, minlength=self.grid.m - 1)
        return float(self.first @ z) + np.concatenate([[0.0], np.cumsum(steps)])

    def apply(self, z) -> np.ndarray:
        return self.values(z)[self.grid.index]

    def scores(self, lam) -> np.ndarray:
        Lam = self.grid.aggregate(lam)
        R = np.cumsum(Lam[::-1])[::-1][1:]
        return self.first * Lam.sum() + self.jump * R[self.gap]

    def cvxpy_fit(self, z, xi=None):
        import cvxpy as cp
        import scipy.sparse as sp

        m, K = self.grid.m, self.size
        F = cp.Variable(m, name="fit")
        first = self.first @ z + (xi if xi is not None else 0.0)
        J = sp.csr_matrix((self.jump, (self.gap, np.arange(K))), shape=(m - 1, K))
        return F[self.grid.index], [F[0] == first, F[1:] - F[:-1] == J @ z]

    def fit_map(self, idx):
        """M (m rows) with A z = A z' iff M z = M z': the value at t_1 (row 0) and the jump across each gap."""
        import scipy.sparse as sp

        idx = np.asarray(idx, dtype=int)
        k = idx.size
        rows = np.concatenate([np.zeros(k, int), self.gap[idx] + 1])
        data = np.concatenate([self.first[idx], self.jump[idx]])
        return sp.csr_matrix((data, (rows, np.tile(np.arange(k), 2))), shape=(self.grid.m, k))

    def columns(self, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=int)
        k = np.arange(self.grid.m)[:, None]
        V = self.first[idx][None, :] + np.where(k > self.gap[idx][None, :], self.jump[idx][None, :], 0.0)
        return V[self.grid.index]

    def column_norms(self, idx) -> np.ndarray:
        """||c_j|| over the samples in O(n + K): the column is ``first`` up to its gap and ``first + jump`` after."""
        idx = np.asarray(idx, dtype=int)
        count = np.bincount(self.grid.index, minlength=self.grid.m).astype(np.float64)
        below = np.cumsum(count)[self.gap[idx]]
        above = len(self.grid.index) - below
        return np.sqrt(self.first[idx] ** 2 * below + (self.first[idx] + self.jump[idx]) ** 2 * above)


def hinge_sum(x, centres, weights) -> np.ndarray:
    """sum_k weights_k (x - centres_k)_+ at the points x, in O((n + K) log(n + K))."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    c = np.asarray(centres, dtype=np.float64).reshape(-1)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    order = np.argsort(c, kind="stable")
    c, w = c[order], w[order]
    W, WC = np.concatenate([[0.0], np.cumsum(w)]), np.concatenate([[0.0], np.cumsum(w * c)])
    k = np.searchsorted(c, x, side="right")  # the centres at or below x count ((x - c)_+ = 0 at x = c anyway)
    return W[k] * x - WC[k]


def transport_split(w) -> list[tuple[int, int, float]]:
    """Pair the positive and negative entries of w (sum w = 0) greedily in index order: (source, sink, mass)
    triples with mass > 0, at most (nonzeros - 1) of them, such that sum of mass (e_source - e_sink) = w and the
    total mass is ||w||_1 / 2 (the least possible)."""
    w = np.asarray(w, dtype=np.float64)
    pos = [[int(k), float(w[k])] for k in np.flatnonzero(w > 0)]
    neg = [[int(k), float(-w[k])] for k in np.flatnonzero(w < 0)]
    out, i, j = [], 0, 0
    while i < len(pos) and j < len(neg):
        mass = min(pos[i][1], neg[j][1])
        if mass > 0:
            out.append((pos[i][0], neg[j][0], mass))
        pos[i][1] -= mass
        neg[j][1] -= mass
        if pos[i][1] <= 0:
            i += 1
        if neg[j][1] <= 0:
            j += 1
    return out
