"""Three-layer absolute-value nets in any input dimension (theory: "Three-layer absolute-value nets in d
dimensions"): the reflection-plane direction pool (:mod:`.pool`), the exact l2 oracles in d = 2 (:mod:`.arc`) and
d = 3 (:mod:`.sphere`), a best-effort oracle in d >= 4 (:mod:`.refined`), the program with pool and angular
generation (:mod:`.program`) and the symmetry report of reflection planes (:mod:`.symmetry`)."""

from __future__ import annotations

from ...validation import check_duplicates, check_interpolable
from ..base import Model, check_parallel_chains
from .pool import deep_abs_penalty, direction_count, pool_size
from .program import DeepAbsProgram
from .symmetry import symmetry_report


class DeepAbsModel(Model):
    """DeepAbs(3, inner_norm='l1' | 'l2'): parallel three-layer absolute-value chains, biases free."""

    name = "deep-abs"
    modes = ("training", "interpolation")

    def size_estimate(self, X, architecture) -> dict:
        n, d = X.shape
        return {"kind": f"pool columns ({direction_count(n, d):,} directions x vertex labels, before deduplication)",
                "count": pool_size(n, d)}

    def build(self, X, y, architecture, beta, *, bias, mode, duplicates, progress):
        check_duplicates(X, duplicates)
        if mode == "interpolation":
            check_interpolable(X, y)
        return DeepAbsProgram(X, y, architecture, beta, bias, mode, duplicates)

    def penalty(self, architecture, bias, beta):
        return deep_abs_penalty(beta, architecture.inner_norm)

    def check_network(self, net, architecture) -> None:
        check_parallel_chains(net, 3, "deep-abs")

    def to_global(self, program) -> str:
        if program.scope == "global":
            return ""
        return ("the l2 oracle of deep-abs nets is exact in d = 2 and 3 only; use inner_norm='l1' (exact in every d) "
                "or fewer input dimensions")

    def symmetry(self, trained):
        return symmetry_report(trained)


MODEL = DeepAbsModel()

__all__ = ["MODEL", "DeepAbsModel", "DeepAbsProgram"]
