"""Mutation testing of the certificate path: mutmut over the certificate, the dual oracles, the candidate sets they
scan, column generation and reconstruction, against the fast tests aimed at them; writes results/mutation.md.

    python bench/mutation.py                       # run every group, then write the report (resumable)
    python bench/mutation.py --groups certificate,oracles-1d
    python bench/mutation.py --rerun "survived,no tests"   # run these mutants again (after adding tests)
    python bench/mutation.py --only "cvxnn.models.chains_1d.*" --rerun "not run"   # some functions only
    python bench/mutation.py --report-only         # write results/mutation.md from the results in mutants/
    python bench/mutation.py --fresh               # delete mutants/ first (a run from scratch)

Configuration: the ``[mutmut]`` section of setup.cfg (files mutated, the tests run, the fork server, the timeout).
mutmut copies cvxnn/ and tests/ into mutants/ and runs pytest there with mutants/ first on sys.path; this script
checks that the tests really import the mutated copy (not an installed or editable cvxnn) with planted mutants
(:data:`PLANTED`): each must make a named test fail when run directly in mutants/, and must be killed in mutmut's
own run; otherwise the script stops. Which functions are run is :data:`GROUPS`; every survivor needs a verdict in
:data:`VERDICTS` ("equivalent": it cannot change a returned value, an error, a message or a warning; some change
only the work done, and their reason says "work only"; "accepted": it does not matter for correctness, allowed
outside the strict groups only), and
every mutant that survived the tests that existed before this file and is killed by a test added for it is listed
in :data:`KILLED_BY_NEW_TESTS` (checked here by running that test against the mutant).

mutmut runs under ``nice -n 19`` with one BLAS / OpenMP thread per process and ``--max-children`` workers (2).
Run times are appended to mutants/mutation-runs.json and summed in the report.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import difflib
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
REPORT = ROOT / "results" / "mutation.md"
RUN_LOG = MUTANTS / "mutation-runs.json"
BEFORE_RERUN = MUTANTS / "status-before-rerun.json"  # mutant -> its status before a --rerun (survived, no tests...)
COMMAND = "python bench/mutation.py"

# ------------------------------------------------------------------------------------------------ what is run
#: group -> (what it is, {module: [functions]}); methods as "Class.method". Groups are run in this order.
GROUPS = {
    "certificate": ("the certificate: dual point projection, scaling, the pass rule, and the calls into the oracle", {
        "cvxnn.certify": ["project_free", "scale_dual", "relative_difference", "certify_point", "certify",
                          "Certificate.to_dict"],
        "cvxnn.program": ["DictionaryProgram.dual_sup", "DictionaryProgram.free_columns"],
        "cvxnn.colgen": ["ColumnGenerationProgram.dual_sup"],
    }),
    "oracles-1d": ("the exact oracles of 1-D models: O(n) scores, breakpoints, ramps, the abs-chain vertex scan", {
        "cvxnn.models.hinges_1d": ["Grid1D.of", "Grid1D.aggregate", "KinkOperator.scores", "StepOperator.scores"],
        "cvxnn.models.two_layer_1d": ["dual_sup_two_layer_1d", "column_operator", "BreakpointDictionary1D.dual_sup"],
        "cvxnn.models.chains_1d": ["ramp_dual_sup", "hinge_operator", "RampDictionary1D.dual_sup", "RampHinges.dual_sup",
                                   "_best_distinct",
                                   "abs_chain_features", "AbsChainDictionary1D.scores", "AbsChainDictionary1D.dual_sup",
                                   "abs_chain_sup", "iter_abs_chain_vertices", "ChainOracle._pass",
                                   "ChainOracle.dual_sup", "ChainOracle.free_columns"],
    }),
    "oracles-nd": ("the exact oracles in d dimensions: the batched NNLS per pattern on its wall rows, gated ReLU, "
                   "wedges, the deep-abs pool", {
        "cvxnn.models.arrangement": ["with_bias_column", "_affine", "pattern_vectors", "_walls",
                                     "arrangement_dual_sup", "ArrangementProgram.dual_sup",
                                     "PatternGenerationProgram.dual_sup", "GatedProgram.dual_sup"],
        "cvxnn.arrangements": ["cone_sup", "_padded", "_nnls_batch", "_project_out", "_back_substitute", "_step_back",
                               "_compact", "_nnls_one", "Walls.unit_rows", "Walls.counts", "Walls.take",
                               "Walls.pattern_of_entry"],
        "cvxnn.models.wedge": ["WedgeDictionary.dual_sup", "WedgeDictionary.scores", "_wedge_features"],
        "cvxnn.models.deep_abs.pool": ["chain_values", "Labels.params", "label_scores", "ChainPool.scores",
                                       "ChainPool.dual_sup"],
        "cvxnn.models.deep_abs.program": ["DeepAbsProgram.dual_sup"],
    }),
    "oracles-l2": ("the exact l2 oracles of deep-abs nets: arcs (d = 2) and the sphere (d = 3)", {
        "cvxnn.models.deep_abs.arc": ["arc_oracle", "distinct_units"],
        "cvxnn.models.deep_abs.sphere": ["sphere_oracle", "_sector_points", "_label_kinks", "_plane_basis",
                                         "_unique_normals"],
        "cvxnn.models.deep_abs.pool": ["Labels.vectors"],
        "cvxnn.models.deep_abs.program": ["DeepAbsProgram._arc_sup", "DeepAbsProgram._sphere_sup"],
    }),
    "candidate-sets": ("the finite sets the exact oracles scan: chain-parameter vertices, wedge and pool directions, "
                       "the wall rows of each pattern's cone", {
        "cvxnn.arrangements": ["pattern_walls", "_pattern_hashes", "_HashSet.__init__", "_HashSet.contains"],
        "cvxnn.models.chains_1d": ["_plane_normals", "abs_chain_vertices", "dedupe_columns", "abs_chain_dictionary"],
        "cvxnn.models.wedge": ["cofactor_vectors", "_candidates", "_dedupe", "wedge_dictionary",
                               "WedgeDictionary.__post_init__"],
        "cvxnn.models.deep_abs.pool": ["kink_normals", "_cross", "_normalise", "_canonical_sign", "_unique_rows",
                                       "chain_directions", "Labels.of"],
        "cvxnn.validation": ["input_scale"],
    }),
    "column-generation": ("column and pattern generation: the loop, pricing, the working sets", {
        "cvxnn.colgen": ["generate_columns", "ColumnGenerationProgram._initial_working_set",
                         "ColumnGenerationProgram._interpolating_working_set", "ColumnGenerationProgram.solve"],
        "cvxnn.program": ["span_residual"],
        "cvxnn.models.arrangement": ["pattern_values", "pattern_generation", "subset_arrangement", "_locate"],
    }),
    "reconstruction": ("reconstruction of the network from the convex solution, and pruning", {
        "cvxnn.models.two_layer_1d": ["two_layer_1d_network", "_step_network"],
        "cvxnn.models.chains_1d": ["ramp_network", "_chain_network", "RampHinges.repair", "RampHinges.ramps",
                                   "AbsChainDictionary1D.to_network"],
        "cvxnn.models.hinges_1d": ["transport_split"],
        "cvxnn.models.wedge": ["WedgeDictionary.to_network"],
        "cvxnn.models.deep_abs.pool": ["ChainColumns.to_network"],
        "cvxnn.models.arrangement": ["ArrangementProgram.reconstruct", "merge_units"],
        "cvxnn.prune": ["prune_solution", "active_set", "lasso_objective", "caratheodory_prune", "_vertex"],
    }),
}
#: groups where every survivor must be equivalent (the target: no non-equivalent survivor there)
STRICT_GROUPS = ("certificate", "oracles-1d", "oracles-nd", "oracles-l2")

#: planted mutants (function, line before, line after, a test that must catch it): the check that the tests import
#: the mutated copy. The first drops the feasibility clip of the dual scaling, the second one orientation of the 1-D
#: breakpoint oracle.
PLANTED = [
    ("cvxnn.certify.scale_dual", "t = min(t, beta / sup)", "t = min(t, beta * sup)",
     "tests/test_certify.py::test_gap_threshold[0.1-True]"),
    ("cvxnn.models.two_layer_1d.dual_sup_two_layer_1d",
     "s = np.concatenate([np.ones(grid.m), -np.ones(grid.m)])",
     "s = np.concatenate([np.ones(grid.m), +np.ones(grid.m)])",
     "tests/test_oracles_random_duals.py::test_two_layer_1d_oracle_equals_a_breakpoint_grid[0-relu]"),
]

# ------------------------------------------------------------------------------------------------ verdicts
#: survivors' verdicts: (function glob, regex on the removed line(s), regex on the added line(s), verdict, why).
#: The first entry that matches a survivor's diff applies. Regexes are matched against the stripped lines, joined
#: with " | ".
_CG = "cvxnn.colgen.ColumnGenerationProgram.solve"
_PG = "cvxnn.models.arrangement.pattern_generation"
_PATH_ONLY = ("accepted", "changes only the path of pattern generation (which patterns are solved first, how many are "
              "added per round, which are kept): the loop still stops only when no pattern of the full arrangement "
              "is violated at the last dual, and the certificate prices every pattern again "
              "(PatternGenerationProgram.dual_sup), so the optimum reached and any claim about it are the same")

VERDICTS: list[tuple[str, str, str, str, str]] = [
    ("cvxnn.*", r"\.reshape\(-1\)", r"\.reshape\(-2\)", "equivalent",
     "numpy reads any negative size as the one unknown dimension: reshape(-2) is reshape(-1)"),
    ("cvxnn.*", r"\.reshape\((-1, |[^-]*, -1\))", r"\.reshape\((-2, |[^-]*, -2\))", "equivalent",
     "numpy reads any negative size as the one unknown dimension: reshape(-2, k) is reshape(-1, k), reshape(m, -2) "
     "is reshape(m, -1)"),
    ("cvxnn.*", r'Activation\("[a-z]+"\)', r'Activation\("[A-Z]+"\)', "equivalent",
     "Activation lower-cases its name (validation.check_choice): Activation('RELU') is Activation('relu')"),
    ("cvxnn.*", r"Layer\(.*\.reshape\(1, -1\)", r"Layer\(.*\.reshape\(-1\)", "equivalent",
     "Layer stores its weight with np.array(..., ndmin=2): a 1-D row of m entries becomes the same (1, m) matrix"),
    ("cvxnn.models.chains_1d._chain_network", r"weights\[0\]\.reshape", r"weights\[1\]\.reshape", "equivalent",
     "both callers pass equal first and second weights (abs chains: t at every level; ramps: signs -1, -1 on the "
     "first two levels), and both have depth >= 3"),
    ("cvxnn.models.chains_1d.AbsChainDictionary1D.to_network", r"^weights = \[t\] \* \(L - 1\)$",
     r"^weights = \[t\] \* \(L \+ 1\)$", "equivalent",
     "_chain_network zips weights[1:] with the L - 1 biases, so the two extra entries are never read"),
    ("cvxnn.models.arrangement.ArrangementProgram.reconstruct", r"if norms\.size else 0\.0$",
     r"if norms\.size else 1\.0$", "equivalent", "with no block at all, keep is empty whatever top is"),
    ("cvxnn.models.arrangement.ArrangementProgram.reconstruct", r"if top > 0 else",
     r"if \(top > 0\) or True else|if top >= 0 else", "equivalent",
     "top is 0 only when every block is 0, and then norms > 0 is all False, the same as the zeros it replaces"),
    ("cvxnn.models.arrangement.ArrangementProgram.reconstruct", r"caratheodory_prune\(H, c, 0\.0, intercept=False\)",
     r"caratheodory_prune\(H, c, (0\.0, intercept=None|1\.0, intercept=False)\)", "equivalent",
     "caratheodory_prune tests intercept for truth only, and without an intercept xi is neither used in the fit "
     "rows nor changed (and the xi it returns is discarded here)"),
    ("cvxnn.models.arrangement.merge_units", r"np\.asarray\(dirs, dtype=np\.float64\)",
     r"np\.asarray\(dirs, (dtype=None)?\)|np\.asarray\(c, (dtype=None)?\)", "equivalent",
     "its one caller passes float64 arrays (blocks[keep] / norms[keep], norms[keep])"),
    ("cvxnn.models.arrangement.merge_units", r'kind="stable"', r'kind="STABLE"', "equivalent",
     "numpy reads the sort kind case-insensitively"),
    ("cvxnn.models.arrangement.merge_units", r"^keep\.append\(k\)$", r"^keep\.append\(None\)$", "equivalent",
     "keep is only counted (m = len(keep)); the kept units are in reps"),
    ("cvxnn.models.chains_1d.ramp_network", r"^a_start, a_end = ", r"dtype=None\)|, \)", "equivalent",
     "one of the two ends stays float64, so b - a and every bias is computed in float64 from the same values, and "
     "the description reads float(.) of each end"),
    ("cvxnn.models.chains_1d.RampHinges.repair", r"np\.asarray\(w, dtype=np\.float64\)\.copy\(\)",
     r"np\.asarray\(w, (dtype=None)?\)\.copy\(\)", "equivalent",
     "every caller passes float64 (the solver's solution through prune_solution, active_set's float64 candidates)"),
    ("cvxnn.models.two_layer_1d._step_network", r"step_penalty\(beta, objective\), meta\)",
     r"step_penalty\(beta, None\), meta\)", "equivalent",
     "in this (amplitude) branch objective is not 'l1-outer', and step_penalty only tests objective == 'l1-outer'"),
    ("cvxnn.prune._vertex", r"else A \* s\[None, :\]$", r"else A / s\[None, :\]$", "equivalent",
     "s = sign(z) on the support: entries +-1, so A / s = A * s"),
    ("cvxnn.prune._vertex", r"\.reshape\(-1\)", r"\.reshape\(None\)", "equivalent",
     "B @ u is already 1-D (n,) for dense and sparse B, and reshape(None) leaves an array as it is"),
    ("cvxnn.prune._vertex", r"res\.x\[:k\] > 0,", r"res\.x\[:k\] >= 0,", "equivalent",
     "an entry equal to 0 is replaced by 0.0: the same value"),
    ("cvxnn.prune._vertex", r'method="highs-ds"', r'method="HIGHS-DS"', "equivalent",
     "scipy's linprog lower-cases the method name"),
    # column generation and pattern generation
    ("cvxnn.colgen.generate_columns", r'"wall": 0\.0', r'"wall": 1\.0', "equivalent",
     "totals['wall'] is overwritten after the loop"),
    ("cvxnn.colgen.generate_columns", r"if violated\.size > add_per_round", r"if violated\.size >= add_per_round",
     "equivalent", "with exactly add_per_round violated, the partition keeps all of them, as the branch not taken"),
    ("cvxnn.colgen.ColumnGenerationProgram.solve", r'solver: str = "auto"', r'solver: str = "AUTO"', "equivalent",
     "resolve_solver lower-cases the name before it compares it with 'auto'"),
    ("cvxnn.colgen.ColumnGenerationProgram.solve", r'accuracy: str = "high"', r'accuracy: str = "HIGH"', "equivalent",
     "check_accuracy (validation.check_choice) lower-cases the accuracy name"),
    ("cvxnn.colgen.ColumnGenerationProgram.solve", r"warm_start=False", r"warm_start=True", "equivalent",
     "warm_start is not read: every round builds a new restricted program"),
    ("cvxnn.colgen.ColumnGenerationProgram.solve", r"prune: bool = True", r"prune: bool = False", "accepted",
     "the default vertex step after column generation: without it the dust is still dropped (active_set) and the "
     "solutions of the tests already have at most n + 1 units; the certificate measures whatever is returned"),
    (_CG, r'InterpolationProgram\(self\.X, self\.y, self\.architecture', r"InterpolationProgram\((None|self\.X, "
     r"self\.y, None)", "accepted",
     "the restricted program reads X and the architecture only for n, its summary, its error messages and its "
     "rebuilt network, which column generation never uses (it rebuilds from the last working set itself); only an "
     "error message of a failed restricted solve would change"),
    (_CG, r"LassoProgram\(self\.X, self\.y, self\.architecture", r"LassoProgram\(self\.X, self\.y, None",
     "accepted", "as for the interpolation program: the architecture of a restricted Lasso feeds its summary and "
     "its discarded rebuilt network only"),
    (_CG, r"self\.dictionary, self\.bias,$", r"self\.dictionary, None,$", "accepted",
     "drops the output bias of the restricted interpolation LPs: on the test problem the l1-minimal interpolant "
     "has the same value without it (19.3312695 either way; its output bias is not unique); a worse restricted "
     "optimum could not be certified, since the certificate prices the full dictionary at the centred dual"),
    (_CG, r'"restricted", self\.oracle, self\.duplicates\)', r'None, self\.oracle|"XXrestrictedXX"|"RESTRICTED"|'
     r'^self\.oracle, self\.duplicates\)$', "equivalent",
     "an interpolation program reads its scope only in its summary (the scope test that refuses native solvers is "
     "in the Lasso path), and the restricted program's summary is never read"),
    (_CG, r'"restricted", self\.oracle, self\.duplicates\)', r'"restricted", (None, self\.duplicates|self\.oracle, '
     r'None|self\.duplicates|self\.oracle, )\)', "equivalent",
     "oracle and duplicates are stored by the restricted program for its summary only (the duplicates were "
     "checked when the full program was built); omitted, duplicates takes its default"),
    ("cvxnn.colgen.ColumnGenerationProgram.solve", r"restricted = InterpolationProgram\(.*self\.bias,",
     r'self\.dictionary, "restricted", self\.oracle', "accepted",
     "the arguments shift by one, so the restricted interpolation LPs get bias 'restricted', i.e. no output bias: "
     "as with bias None above, the same value on the test problems, and a worse restricted optimum could not be "
     "certified"),
    (_CG, r"prune=False, \*\*options\)", r"prune=(None|True), \*\*options\)|time_limit, \*\*options\)",
     "accepted", "the restricted solves then also prune (None is False): the working-set solution is pruned twice, "
     "and the final solution is pruned from it; the same objective, possibly another optimal vertex"),
    (_CG, r'threshold = 1\.0 if self\.mode == "interpolation" else self\.beta\.value',
     r"and False|XXinterpolationXX|INTERPOLATION", "accepted",
     "in interpolation mode the threshold becomes beta, which is 1 for every interpolation program built through "
     "the API (beta None); a direct caller with another beta only prices against another threshold and ends at "
     "the same optimum"),
    ("cvxnn.colgen.ColumnGenerationProgram.solve", r"self\.has_output_bias,$", r", None,$", "accepted",
     "the vertex step then allows n + 1 units instead of n with the output bias: a vertex either way, same fit"),
    (_CG, r"residual_dual=res\.dual is None, vertex=prune\)", r"residual_dual=None|^vertex=prune\)$", "equivalent",
     "column generation's restricted solves always return a dual (native solvers are refused), so residual_dual "
     "is False anyway"),
    (_CG, r"residual_dual=res\.dual is None, vertex=prune\)", r"is not None", "accepted",
     "also bounds the fit change of dust pruning by 1e-9 ||y|| (the bound used when the residual is the dual): at "
     "most a few dust units more"),
    (_CG, r"residual_dual=res\.dual is None, vertex=prune\)", r"vertex=None\)|is None, \)", "accepted",
     "vertex=None skips the vertex step (as prune=False); omitted, it takes the default True, the same as prune"),
    ("cvxnn.colgen.ColumnGenerationProgram._initial_working_set", r"if self\.has_output_bias else",
     r"\(self\.has_output_bias\) or True", "equivalent",
     "the only dictionaries without an output bias (1-D two-layer, bias 'none') have two columns, both in the "
     "first working set of 3n columns"),
    ("cvxnn.colgen.ColumnGenerationProgram._initial_working_set", r"np\.zeros\(0, int\)$", r"np\.zeros\(0, (None)?\)$",
     "equivalent", "a float empty array makes the concatenation float, and generate_columns casts the working set "
     "to int"),
    (_PG, r'output_bias=False, solver="auto"', r'output_bias=True|solver="AUTO"', "equivalent",
     "its one caller (PatternGenerationProgram.solve) passes output_bias and solver, and solver names are "
     "lower-cased"),
    (_PG, r'accuracy="high", time_limit=None, max_rounds=50', r'accuracy="HIGH"|max_rounds=51', "equivalent",
     "its one caller passes accuracy and max_rounds (and accuracy names are lower-cased)"),
    (_PG, r'duplicates="error", walls=True', r'"XXerrorXX"|"ERROR"|walls=False', "equivalent",
     "its one caller passes duplicates and walls"),
    (_PG, r"^n = X\.shape\[0\]$|add_per_round or max\(2 \* n|lam0 = y - y\.mean\(\)|initial = np\.argsort\(-scores\)|"
     r"sampled = sample_patterns|floor\[working\] = KEEP_SCORE|active = block >|working\[active \||"
     r"block = np\.maximum", r".", *_PATH_ONLY),
    (_PG, r"rows = _walls\(full, Xb, walls\)|oracle_rows = _walls\(full, Xb, True\)|D = full\.patterns\.astype",
     r".", "equivalent", "work only: cone rows = every row instead of the walls (the same cone), walls or the float "
     "copy of the patterns recomputed where they are used (pattern_values computes them when not given)"),
    (_PG, r"scores = pattern_values\(lam0?, Xb, full\.patterns, act,", r".", "accepted",
     "pattern_values reads the patterns through D and the walls when both are given; without walls, D or the "
     "threshold it recomputes them or prices exactly below the floors: the same patterns are added and kept, only "
     "the work (and the logged max violation below the floor) differ"),
    (_PG, r"oracle_arrangement=full, duplicates=duplicates|walls=walls, cone_rows=rows\.take\(working\), "
     r"clusters=clusters\)", r".", "equivalent",
     "the restricted program's oracle arrangement and duplicates feed only its own scope, summary and dual_sup, "
     "never used (the certificate is PatternGenerationProgram.dual_sup over every pattern); walls=None or no "
     "cone_rows give every row as cone rows (the same cone), clusters only the grouping of the direct form"),
    (_PG, r"prog\.solve\(solver, accuracy, time_limit=time_limit, prune=False, reconstruct=False",
     r"prune=(None|True)|time_limit=time_limit, reconstruct|reconstruct=(None|True)|prune=False, \*\*options|"
     r"prune=False, \)", "accepted", "a restricted solve then prunes or rebuilds a network it throws away (work), "
     "or its pruned solution is the warm point of nothing: pattern generation reads only V, W and the dual"),
    (_PG, r"lam = res\.dual - \(res\.dual\.mean\(\) if output_bias else 0\.0\)", r".", "equivalent",
     "with a free output bias the solver's dual is centred (its optimality condition), so adding or dropping its "
     "mean changes lam by the solver's tolerance; without one, nothing is subtracted"),
    (_PG, r'"pattern generation"\)', r".", "accepted", "the progress bar's label only"),
    ("cvxnn.models.arrangement.subset_arrangement", r'return Arrangement\(P, "subset"', r".", "equivalent",
     "the restricted program reads the subset's method, exact flag, includes_zero, count and time only in its "
     "summary and scope, which pattern generation never reads (scope and oracle come from the full arrangement)"),
    ("cvxnn.models.arrangement.subset_arrangement", r"np\.asarray\(idx, dtype=int\)",
     r"np\.asarray\(idx, (dtype=None)?\)",
     "equivalent", "working sets are int arrays (generate_columns casts them)"),
    ("cvxnn.models.arrangement.pattern_values", r"pattern_vectors\(lam, Xb, patterns, activation, D\)", r".",
     "equivalent", "D is a cache of the patterns as float64; without it they are converted again"),
    ("cvxnn.models.arrangement.pattern_values", r"cone_sup\(C, Xb, walls, threshold=threshold\)", r".", "accepted",
     "exact values instead of upper bounds below the threshold: callers compare them with the same threshold"),
    ("cvxnn.models.arrangement.pattern_values", r"values\.max\(axis=1\) if values\.size else np\.zeros\(0\)", r".",
     "equivalent", "an empty values array is (0, 2): max over axis 1 is the same empty (0,) array; pattern "
     "generation never prices an empty pattern list"),
    ("cvxnn.models.arrangement._locate", r"np\.asarray\(patterns, dtype=bool\)", r"dtype=None|\(patterns, \)|"
     r"\(wanted, \)", "equivalent", "np.packbits reads nonzero as 1 and == compares 0/1 like booleans: 0/1 "
     "integer patterns locate the same rows"),
    ("cvxnn.models.arrangement._locate", r"wanted\.shape\[0\] == 0", r"wanted\.shape\[1\] == 0", "equivalent",
     "wanted has the patterns' n >= 1 columns; with no row, the hashes are empty and nothing is found anyway"),
    ("cvxnn.models.arrangement._locate", r'np\.argsort\(hp, kind="stable"\)', r".", "equivalent",
     "the patterns are distinct rows, so their hashes are distinct (up to a 64-bit collision): every sort gives "
     "the same order; numpy reads the kind case-insensitively"),
    ("cvxnn.models.arrangement._locate", r"\(hp\[idx\] == hw\) & ", r"\(hp\[idx\] == hw\) \| ", "accepted",
     "differs only on a 64-bit hash collision between different rows"),
    ("cvxnn.models.arrangement.merge_units", r'np\.argsort\(-c, kind="stable"\)', r"kind=None\)|\(-c, \)", "accepted",
     "only units with exactly equal c can change order (numpy's default sort is not guaranteed stable; for fewer "
     "than 17 units it keeps the order anyway); the representative is then another of the merged directions, "
     "within cosine 1 - 1e-10"),
    ("cvxnn.prune.active_set", r"if z\.size else 0\.0$", r"if z\.size else 1\.0$", "equivalent",
     "with an empty z there is nothing to keep whatever zmax is"),
    ("cvxnn.prune.caratheodory_prune", r"if z\.size else 0\.0$", r"if z\.size else 1\.0$", "equivalent",
     "an empty z has an empty support, returned as it is whatever zmax is"),
    ("cvxnn.prune.active_set", r"contribution > level \* ynorm|"
     r"_apply\(A, np\.where\(nonzero, z, 0\.0\) - candidate\)\) "
     r">|lasso_objective\(A, y, candidate, xi, beta, weights\) <=", r">=|<", "accepted",
     "a boundary case: differs only when a contribution, a fit change or an objective rise equals its threshold "
     "exactly"),
    ("cvxnn.prune.prune_solution", r"len\(y\) \* keep\.size > VERTEX_ALWAYS_ENTRIES", r">= VERTEX_ALWAYS_ENTRIES",
     "accepted", "a boundary of the work rule: at exactly VERTEX_ALWAYS_ENTRIES entries a support no larger than a "
     "vertex is left as it is instead of moved to a vertex (the same fit and norm either way)"),
    ("cvxnn.prune.caratheodory_prune", r"A\.shape\[0\] \* support\.size > VERTEX_ALWAYS_ENTRIES",
     r">= VERTEX_ALWAYS_ENTRIES", "accepted", "as in prune_solution: the boundary of a work rule"),
    ("cvxnn.prune.caratheodory_prune", r"if sparse else A\[:, support\]$", r"\(sparse\) and False", "equivalent",
     "a sparse map is then sliced in its own (CSR) format instead of CSC: the same columns, and _vertex works on "
     "either"),
    ("cvxnn.prune.caratheodory_prune", r"bias_row if sparse else None\)", r"\(sparse\) or True", "equivalent",
     "dense callers never pass bias_row (it is None)"),
    ("cvxnn.prune._vertex", r'method="highs-ds"\)', r"bounds=bounds, \)", "accepted",
     "scipy's default 'highs' picks the simplex for these small feasibility LPs as well (a vertex); any answer "
     "with more nonzeros than rows is refused by the count check and the caller falls back"),
    ("cvxnn.prune._vertex", r"> 1e-10 \* scale or abs\(u\.sum\(\) - u0\.sum\(\)\) > 1e-10", r">= 1e-10", "accepted",
     "a boundary case: differs only when the LP's error equals the 1e-10 tolerance exactly"),
    ("cvxnn.colgen.generate_columns", r"argpartition\(-scores\[violated\], add_per_round - 1\)",
     r"add_per_round \+ 1\)|add_per_round - 2\)", "accepted",
     "kth off by one or two: numpy's introselect still leaves the add_per_round largest first (checked on 2,000 "
     "random score lists), though its contract does not promise it"),
    ("cvxnn.colgen.generate_columns", r"scores > threshold \* \(1\.0 \+ 1e-7\)", r"threshold / \(1\.0 \+ 1e-7\)|"
     r"threshold \* \(1\.0 - 1e-7\)", "detected",
     "columns at the threshold (the working set's own, at the optimum) count as violated: they are added again "
     "every round and the loop runs to max_rounds; the tests time out"),
    ("cvxnn.colgen.ColumnGenerationProgram.solve", r'if self\.mode == "interpolation":', r"XXinterpolationXX|"
     r"INTERPOLATION", "detected", "the restricted programs become Lassos priced against the interpolation "
     "threshold 1: rounds do not end before max_rounds; the tests time out"),
    (_PG, r"prog\.solve\(solver, accuracy, time_limit=time_limit, prune=False",
     r"time_limit=None|prog\.solve\(solver, time_limit|accuracy, prune=False", "accepted",
     "the restricted solves lose the time limit or the accuracy (then 'high', the default): no test sets them for "
     "pattern generation; the options and prune are tested"),
    ("cvxnn.colgen.ColumnGenerationProgram._interpolating_working_set",
     r"^working = np\.unique\(np\.asarray\(working, dtype=int\)\)$", r".", "equivalent",
     "its one caller passes an int array (np.unique of argsort indices and flatnonzero)"),
    ("cvxnn.colgen.ColumnGenerationProgram._interpolating_working_set", r"^for _ in range\(self\.n \+ 1\):$",
     r"range\(self\.n \+ 2\)", "equivalent",
     "every round but the last raises the rank (at most n), so n + 1 rounds always reach the return or the break"),
    ("cvxnn.colgen.ColumnGenerationProgram._interpolating_working_set", r"^scores\[working\] = 0\.0$",
     r"= None$", "equivalent",
     "NaN scores of the working columns sort last and fail the cut-off, as the zeros do"),
    ("cvxnn.colgen.ColumnGenerationProgram._interpolating_working_set", r"^add = top\[scores\[top\] > 1e-9 \* ",
     r"\] >= 1e-9 \* |r_norm / np\.linalg|axis=None\)\]$|columns\(top\), \)\]$", "accepted",
     "the cut-off only separates columns inside the span (scores at rounding level, about 1e-16 ||A_j|| ||r||) "
     "from the rest: >= adds a zero column only (dictionaries drop them), and the norm of all chosen columns "
     "together or 1 / ||A_j|| move it by factors far smaller than that gap on the tested scales (1e-6 .. 1e3)"),
    ("cvxnn.program.span_residual", r"^A = np\.asarray\(columns, dtype=np\.float64\)", r"dtype=None\)|columns, \)",
     "equivalent", "lstsq and the product with a float y compute in float64 for integer columns too"),
    ("cvxnn.program.span_residual", r"np\.linalg\.lstsq\(A, y, rcond=None\)", r"lstsq\(A, y, \)", "accepted",
     "rcond=None is numpy's default from 2.0 (the constrained versions); numpy 1.x warns and cuts singular values "
     "at eps instead of eps max(n, k)"),
    # candidate sets
    ("cvxnn.models.chains_1d._plane_normals", r"^v\[level\] = 1\.0$", r"^v\[level\] = 2\.0$", "equivalent",
     "the plane 2 a_l = 0 is the plane a_l = 0 (its right-hand side is 0)"),
    ("cvxnn.arrangements._pattern_hashes", r"np\.zeros\(8 \* nb|np\.arange\(256\)", r"np\.zeros\(9 \* nb|"
     r"np\.arange\(257\)", "equivalent", "work only: a longer key array (the extra keys are zero and beyond the "
     "packed bytes) or a 257-row byte table (row 256 is never indexed by a byte)"),
    ("cvxnn.arrangements.pattern_walls", r'^order = np\.argsort\(which, kind="stable"\)$', r".", "equivalent",
     "the order of rows inside one hyperplane's group does not matter: the group's key is a XOR (commutative), "
     "reduceat sums each contiguous group, and the rows returned come from keep[:, which], not from this order"),
    ("cvxnn.arrangements.pattern_walls", r"^step = max\(1, 4_000_000 // h\)$", r".", "equivalent",
     "work only: the hash lookups are done in chunks of patterns; the chunk size does not change the answer"),
    ("cvxnn.arrangements.pattern_walls", r"^for a in range\(0, P, step\):$", r"^for a in range\(0, P, \):$",
     "equivalent", "work only: chunks of step patterns starting at every pattern overlap and write the same answer"),
    ("cvxnn.arrangements.pattern_walls", r"^for a in range\(0, P, step\):$", r"^for a in range\(0, step\):$",
     "detected", "with step >= P the lookup loops up to 4,000,000 / h times over empty chunks (timeout); with "
     "step < P it would skip patterns"),
    ("cvxnn.arrangements.pattern_walls", r"^if h < rows_nz\.size:|^pi, ji = np\.nonzero\(keep\[:, which\] if h < ",
     r"h <= rows_nz\.size|\(h < rows_nz\.size\) or True", "equivalent",
     "with h == rows_nz.size every hyperplane has one row (which is the identity, so keep[:, which] is keep) and "
     "no hyperplane can have rows on both sides"),
    ("cvxnn.arrangements.pattern_walls", r"^orient = np\.where\(patterns\[:, rows_nz\[order\]\], 1, -1\) \* ",
     r"\], 1, -1\) / sign|\], 2, -1\) \* |\], 1, -2\) \* |astype\(None\)", "equivalent",
     "only the sign of orient is read (> 0, < 0), and sign is +-1: dividing by it, a float copy or 2 / -2 for "
     "1 / -1 give the same signs"),
    ("cvxnn.arrangements.pattern_walls", r"np\.add\.reduceat\(orient [<>] 0, starts, axis=1\) > 0",
     r"\(orient >= 0,|\(orient <= 0,|\(orient < 1,", "equivalent",
     "orient is +-1, never 0: >= 0 is > 0, and <= 0 and < 1 are < 0"),
    ("cvxnn.arrangements.pattern_walls", r"np\.bincount\(pi, minlength=P\)", r"np\.bincount\(pi, \)",
     "equivalent", "every pattern keeps at least one row (complete=False: every nonzero row; complete=True: at "
     "least rank >= 1 hyperplanes, or every row by the short-wall rule), so the last pattern has rows and the "
     "count has length P anyway"),
    ("cvxnn.arrangements._HashSet.__init__", r"^size = 1 << max\(4, ", r"^size = (2 << max\(4|1 << max\(5|"
     r"1 << max\(4, int\(np\.ceil\(np\.log2\((5 \* max|4 \* max\(values\.size, 2\)))", "equivalent",
     "work only: a larger table (more empty slots) answers membership the same"),
    ("cvxnn.arrangements._HashSet.__init__", r"np\.log2\(4 \* max\(values\.size, 1\)\)",
     r"np\.log2\(4 / max\(values\.size, 1\)\)", "detected",
     "the table keeps 16 slots for any number of values: with more than 16 the filling loop never ends (timeout)"),
    ("cvxnn.arrangements._HashSet.__init__", r"^self\.mask = np\.uint64\(size - 1\)$", r"size - 2\)$", "detected",
     "the mask clears the lowest bit, so a slot is always even and the next probe (slot + 1) & mask is the same "
     "slot: a value whose slot is taken never moves and the filling loop never ends (timeout)"),
    ("cvxnn.arrangements._HashSet.__init__", r"slot\[todo\] = np\.where\(self\.used\[slot\[todo\]\]",
     r"int\(self\.mask\), None\)$", "equivalent",
     "after a round every value still pending sits on a used slot (it found the slot taken, or another value won "
     "it in that round), so np.where never takes its last argument"),
    ("cvxnn.arrangements._HashSet.*", r"free = ~self\.used\[s\]|placed\[win\] = True|todo = todo\[~placed\[todo\]\]|"
     r"slot\[todo\] = np\.where\(self\.used|more = used & ~hit", r".", "detected",
     "no value is placed, or a placed value is never taken off the pending list, or the probe never stops: the loop "
     "runs without end (timeout)"),
    ("cvxnn.arrangements._HashSet.__init__", r"self\.table = np\.zeros\(size, dtype=np\.uint64\)",
     r"np\.zeros\(size, (dtype=None)?\)", "accepted",
     "a float64 table keeps the 64-bit hashes rounded to 53 bits: a false match needs a query whose hash agrees "
     "with a stored one in its top 53 bits (probability about m 2^-53 per query)"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r"max_work: int = 50_000_000", r"max_work: int = 50000001",
     "equivalent", "its callers pass max_work (abs_chain_dictionary; the budget boundary is tested there)"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r"np\.unique\(np\.asarray\(x, dtype=np\.float64\)\)",
     r"np\.asarray\(x, (dtype=None)?\)", "equivalent",
     "its callers pass float64 x (abs_chain_dictionary casts), and the linear solves are in float64 anyway"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r"float\(np\.ptp\(u\)\) or 1\.0", r"or 2\.0", "equivalent",
     "the 2.0 is used only when every point is equal; the few vertices there are exact and the rounding at "
     "10 decimals of V / 2 keeps the same ones"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r"abs\(np\.linalg\.det\(N\)\) <= 1e-9", r"< 1e-9", "equivalent",
     "the plane normals are 0/+-1 vectors, so the determinants are integers, never 1e-9"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r"if data_pos else", r"if \(data_pos\) or True else|else 2, k\)",
     "equivalent", "with no data position, meshgrid() is [] and the product of no sizes is 1: the same single "
     "right-hand side (a second, equal one gives the same vertex twice, and the deduplication below keeps one)"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r'indexing="ij"\)', r"\(data_pos\)\), \)", "accepted",
     "the 'xy' meshgrid lists the same combinations of data points in another order: the same vertices, the "
     "dictionary's columns permuted"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r"V\[:, 1:\] >= -1e-12 \* scale", r"V\[:, 1:\] > -1e-12 \* scale",
     "accepted", "differs only for a level a_l of exactly -1e-12 times the data range"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r"np\.concatenate\(out\) if out else", r".", "equivalent",
     "out is never empty: a_1 = x_j with a_l = 0 for l >= 2 is a vertex for every data point"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r'kind="stable"\)', r'kind=None\)|axis=1\), \)$|kind="STABLE"\)',
     "accepted", "the same vertices; only vertices with the same number of nonzero levels can change order (numpy "
     "reads the kind case-insensitively, so STABLE is stable)"),
    ("cvxnn.models.chains_1d.abs_chain_dictionary", r"max_columns: int = 2_000_000|materialize_limit: int = 100_000",
     r"max_columns: int = 2000001|materialize_limit: int = 100001", "accepted",
     "a default budget one column larger (the boundaries themselves are tested with explicit budgets)"),
    ("cvxnn.models.chains_1d.abs_chain_dictionary", r'families: str = "all"', r'"XXallXX"|"ALL"', "equivalent",
     "families is compared with 'reflection' only"),
    ("cvxnn.models.chains_1d.abs_chain_dictionary", r"max_work=max\(50_000_000, 25 \* max_columns\)", r".",
     "accepted", "changes the vertex budget only for max_columns above 2,000,000 (or by one solve): a budget, "
     "not a result"),
    ("cvxnn.models.chains_1d.dedupe_columns", r"chunk: int = 4096|range\(0, A\.shape\[1\], chunk\)",
     r"chunk: int = 4097|range\(0, A\.shape\[1\], \)", "equivalent",
     "work only: another chunk size, or overlapping chunks of step 1 (a column already seen is skipped)"),
    ("cvxnn.models.chains_1d.dedupe_columns", r"^first\[b\] = s \+ j$", r".", "equivalent",
     "the dictionary's values are never read: only its keys (which columns were seen)"),
    ("cvxnn.arrangements._pattern_hashes", r"& 1\)\.astype\(bool\)", r"& 1\)\.astype\(None\)", "equivalent",
     "a 0/1 float table selects the same keys in np.where (nonzero is true)"),
    ("cvxnn.arrangements._HashSet.__init__", r"np\.unique\(s\[free\], return_index=True\)", r"np\.unique\(None, ",
     "equivalent", "work only: np.unique(None) gives index [0], so one value is placed per round instead of one "
     "per free slot (a value that cannot be placed moves on; another table layout, the same membership)"),
    ("cvxnn.models.chains_1d.abs_chain_vertices", r"np\.round\(V / scale, 10\)", r"np\.round\(V / scale, 11\)",
     "accepted", "rounding at 11 instead of 10 decimals of V / range: vertices found twice (from different plane "
     "sets) agree to about 1e-15 relative, so the same duplicates merge; the dictionary deduplicates its columns "
     "again"),
    ("cvxnn.models.chains_1d.abs_chain_dictionary", r"^x = np\.asarray\(x, dtype=np\.float64\)\.reshape\(-1\)$",
     r"\.reshape\(None\)$|dtype=None\)|\(x, \)", "equivalent",
     "callers pass 1-D x (Deep1D passes X[:, 0]); abs_chain_vertices, the features and AbsChainDictionary1D cast to "
     "float64 again, and reshape(None) leaves a 1-D array as it is"),
    ("cvxnn.models.chains_1d.abs_chain_dictionary", r"^at_data = ", r".", "equivalent",
     "reflection vertices have a1 exactly at a data point (they solve the plane a1 = x_j) and the other vertices' "
     "a1 are midpoints of distinct points, far from the data: any threshold between 0 and the gaps (1e-12 times "
     "the range or 1, with < or <=) selects the same"),
    ("cvxnn.models.chains_1d.abs_chain_dictionary", r"^scale = float\(np\.ptp\(x\)\) or 1\.0$", r"or 2\.0$",
     "equivalent", "2.0 is used only when every point is equal (one vertex column)"),
    ("cvxnn.models.chains_1d.abs_chain_dictionary", r"^scale = float\(np\.ptp\(x\)\) or 1\.0$", r"and 1\.0$",
     "accepted", "deduplicates columns at 1e-9 absolute instead of 1e-9 times the data range: columns equal up to "
     "rounding (1e-15 relative) merge either way on data of moderate range"),
    ("cvxnn.models.chains_1d.abs_chain_dictionary", r"materialize=False\)$", r"materialize=None\)$", "equivalent",
     "materialize is tested for truth only"),
    ("cvxnn.models.deep_abs.pool._cross", r"if rows else", r"if \(rows\) or True else|else 2\.0\)", "equivalent",
     "rows = d - 1 >= 1: chain_directions returns the one axis for d = 1 before any cross product"),
    ("cvxnn.models.deep_abs.pool.chain_directions", r"max_directions: int = 500_000", r"max_directions: int = 500001",
     "accepted", "a default budget one direction larger (the boundary is tested with an explicit budget)"),
    ("cvxnn.models.deep_abs.pool.chain_directions", r"^X = np\.asarray\(X, dtype=np\.float64\)$",
     r"dtype=None\)|\(X, \)", "equivalent", "its callers pass float64 X (the model casts the data)"),
    ("cvxnn.models.deep_abs.pool.chain_directions", r"^ok = big > 1e-12 \* max", r"^ok = big >= |else 2\.0, 1e-300\)|"
     r"else 1\.0, 1\.0\)", "accepted",
     "a boundary case (a cross product exactly 1e-12 times the largest), the empty case (nothing to compare), or a "
     "floor of 1 on the scale (differs only for data whose cross products are all below 1 and have one between "
     "1e-12 times the largest and 1e-12)"),
    ("cvxnn.models.wedge._candidates", r"^for m in range\(1, d \+ 1\):$", r"range\(1, d \+ 2\)", "equivalent",
     "there is no set of d + 1 of the d coordinates: the extra round adds nothing"),
    ("cvxnn.models.wedge._candidates", r"combinations\(range\(n\), m\)\), dtype=int\)", r".", "equivalent",
     "m <= n, so the combinations are a non-empty list of int tuples: an int array either way"),
    ("cvxnn.models.wedge._candidates", r"^ok = norm > 1e-13 \* scale \*\* \(m - 1\)$", r"norm >= |scale \* \(m - 1\)",
     "accepted", "a boundary case, or a threshold scale * (m - 1) instead of scale^(m - 1) (the same for m <= 2; "
     "for m = 3 it differs only for nearly degenerate triples)"),
    ("cvxnn.models.wedge._candidates", r"if U_all else|if pivots else", r".", "equivalent",
     "never empty: the m = 1 round always runs (n >= 1, d >= 1)"),
    ("cvxnn.validation.input_scale", r"^X = np\.asarray\(X, dtype=np\.float64\)$", r"dtype=None\)$|\(X, \)$",
     "equivalent", "every caller passes a float64 array (the models cast the data before any candidate set)"),
    ("cvxnn.validation.input_scale", r"if X\.size else 0\.0$", r"\(X\.size\) or True|else 1\.0$", "equivalent",
     "every caller has points (wedge_dictionary and the deep-abs pool refuse inputs without them before any scale "
     "is taken)"),
    ("cvxnn.validation.input_scale", r"^return s if s > 0 else 1\.0$", r"else 2\.0$", "equivalent",
     "2.0 only when every point is equal: every difference is 0 (degenerate at any positive threshold) and the "
     "m = 1 axes have norm 1 either way"),
    ("cvxnn.models.wedge.WedgeDictionary.__post_init__", r"np\.asarray\(self\.(X|directions), dtype=np\.float64\)",
     r"dtype=None\)|\(self\.(X|directions), \)", "equivalent",
     "wedge_dictionary casts X to float64, and the directions are float64 cofactors"),
    ("cvxnn.models.wedge.WedgeDictionary.__post_init__", r"np\.asarray\(self\.pivots, dtype=int\)\.reshape\(-1\)",
     r"\.reshape\(None\)|dtype=None\)|\(self\.pivots, \)", "equivalent",
     "the pivots are a 1-D int array already (the first point of each combination)"),
    ("cvxnn.models.wedge.WedgeDictionary.__post_init__", r"if self\.pivots\.size else",
     r"\(self\.pivots\.size\) or True",
     "equivalent", "with no pivot, the einsum of two empty arrays is the same empty offsets"),
    ("cvxnn.models.wedge.WedgeDictionary.__post_init__", r"^np\.zeros\(0\)$", r"^np\.zeros\(1\)$", "accepted",
     "an empty dictionary then carries one offset: its (n, 0) features broadcast the same, and nothing reads the "
     "offset of a column that does not exist"),
    ("cvxnn.models.wedge._dedupe", r"A\.shape\[1\] == 0|return np\.zeros\(0, dtype=int\)", r".", "equivalent",
     "never reached with one column or none in a way that matters: the m = 1 candidates give the full dictionary "
     "columns, and a single column (n = d = 1) is the zero column, dropped either way"),
    ("cvxnn.models.wedge.wedge_dictionary", r"max_columns: int = 200_000", r"max_columns: int = 200001", "accepted",
     "a default budget one column larger (the boundary is tested with an explicit budget)"),
    ("cvxnn.models.wedge.wedge_dictionary", r"^X = np\.asarray\(X, dtype=np\.float64\)$", r"dtype=None\)|\(X, \)",
     "accepted", "integer inputs then stay integer up to the differences, which numpy promotes to float64 in the "
     "cofactors; float32 inputs would be rounded differently (callers pass float64)"),
    ("cvxnn.models.deep_abs.pool.kink_normals", r"ok = np\.max\(np\.abs\(W\), axis=1\) > 1e-12 \* scale",
     r"\) >= 1e-12 \* scale", "accepted", "a boundary case: a normal exactly 1e-12 times the range long"),
    ("cvxnn.models.deep_abs.pool.kink_normals", r"^trip = np\.array\(.*dtype=int\)$", r"dtype=None\)$|c != b\], \)$",
     "equivalent", "n >= 3 here, so the list of int triples is non-empty: an int array either way"),
    ("cvxnn.models.deep_abs.pool._canonical_sign", r"np\.abs\(V\) > tol", r"np\.abs\(V\) >= tol", "accepted",
     "a boundary case: an entry of exactly 1e-12"),
    ("cvxnn.models.deep_abs.pool._canonical_sign", r"^s\[s == 0\] = 1\.0$|^return V \* s\[:, None\]$", r".",
     "equivalent", "every row is a unit vector, so some entry exceeds 1e-12 and s is never 0; s is +-1, so V / s is "
     "V * s"),
    ("cvxnn.models.deep_abs.pool._unique_rows", r"^if V\.shape\[0\] == 0:$", r"^if V\.shape\[1\] == 0:$",
     "equivalent", "directions have d >= 1 columns, and np.unique of an empty (0, d) array gives the same empty "
     "index"),
    ("cvxnn.models.deep_abs.pool.Labels.of", r"^kind = np\.concatenate\(", r".", "equivalent",
     "kind is only compared with 1 (== 1): a float 0/1 array compares the same"),
    ("cvxnn.models.chains_1d.ramp_network", r"^(params|signs) = .*\(L - 3\)$", r"^(params|signs) = .*\(L \+ 3\)$",
     "equivalent",
     "signs and params are zipped together (biases) and weights[1:] with biases[1:] (layers), so the extra entries "
     "of the longer list are never read: the same L - 1 layers"),
    ("cvxnn.models.chains_1d.RampHinges.ramps", r"mass if a < b else -mass", r"mass if a <= b else -mass",
     "equivalent", "a == b never occurs: a source index has w > 0 and a sink index w < 0"),
    ("cvxnn.models.hinges_1d.transport_split", r"^w = np\.asarray\(w, dtype=np\.float64\)$",
     r"^w = np\.asarray\(w, (dtype=None)?\)$", "equivalent",
     "w is only compared with 0 and read through float(w[k]) / float(-w[k]): int, float32 and float64 entries give "
     "the same floats (a bool w with sum 0 is all False, so -w[k] is never formed)"),
    ("cvxnn.models.hinges_1d.transport_split", r"np\.flatnonzero\(w (>|<) 0\)", r"np\.flatnonzero\(w (>=|<=) 0\)",
     "equivalent",
     "zero entries then join the list with mass 0: mass = min(0, other) = 0 appends nothing, takes nothing from the "
     "other side, and the zero entry is passed at once (<= 0): the same triples"),
    ("cvxnn.models.hinges_1d.transport_split", r"^if mass > 0:$", r"^if mass >= 0:$", "equivalent",
     "at every loop start both current entries are > 0 (an entry used up is left exactly 0 by the subtraction of "
     "mass = min(...) and passed at once), so mass > 0 always"),
    ("cvxnn.models.hinges_1d.transport_split", r"^(i|j) \+= 1$|^if (pos\[i\]|neg\[j\])\[1\] <= 0:$",
     r"^(i|j) = 1$|^if (pos\[i\]|neg\[j\])\[1\] < 0:$", "detected",
     "the two-pointer loop stops advancing once an entry is used up (mass = min(...) leaves it exactly 0): every "
     "call with two or more entries on one side never returns, so the tests hang and the timeout stops them"),
    ("cvxnn.models.two_layer_1d.dual_sup_two_layer_1d", r"^lam = np\.asarray\(lam, dtype=np\.float64\)",
     r"^lam = np\.asarray\(lam, (dtype=None)?\)", "equivalent",
     "x is cast to float64 on the next line and lam only meets it in lam @ sigma(s x) (promoted to float64) or in "
     "Grid1D.aggregate (which casts lam)"),
    ("cvxnn.models.two_layer_1d.dual_sup_two_layer_1d", r"^x = np\.asarray\(x, dtype=np\.float64\)",
     r"^x = np\.asarray\(x, (dtype=None)?\)", "equivalent",
     "without biases x only meets float64 numbers (lam, and the leaky slope, a float64 scalar) or exact operations "
     "(max, abs, sign) on its own values; with free biases Grid1D.of casts it (the float32 test checks the value)"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"\.reshape\(-1\)", r"\.reshape\(None\)", "equivalent",
     "np.unique and abs_chain_features flatten x themselves: a column gives the same value (the depth-4 test "
     "checks it)"),
    ("cvxnn.arrangements._compact", r"order, axis=1\)$", r"order, \)$", "equivalent",
     "take_along_axis works on the last axis by default, axis 1 of these 2-D arrays"),
    ("cvxnn.models.arrangement.*", r"complete=False\)+$", r"complete=None\)+$", "equivalent",
     "None is falsy: pattern_walls takes every row, as with False"),
    ("cvxnn.certify.relative_difference", r'float\("inf"\)', r'float\("INF"\)', "equivalent",
     "float() reads 'INF' and 'inf' alike"),
    # the streamed vertex scan of deep abs chains (abs_chain_sup, iter_abs_chain_vertices, ChainOracle._pass)
    ("cvxnn.models.chains_1d.*", r"chunk: int = 65_536", r"chunk: int = 65537", "equivalent",
     "the chunk size only groups the vertices streamed; the set scanned is the same"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"iter_abs_chain_vertices\(x, depth, chunk\)",
     r"iter_abs_chain_vertices\(x, depth, \)", "equivalent",
     "the default chunk size: the chunk only groups the vertices streamed; the set scanned is the same"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"iter_abs_chain_vertices\(x, depth, chunk\)",
     r"iter_abs_chain_vertices\((depth|x), chunk\)", "detected",
     "a scan of depth 65,536 that never ends: killed at the time limit (a test would never pass)"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"^lam = np\.asarray\(lam, dtype=np\.float64\)$",
     r"^lam = np\.asarray\(lam, (dtype=None)?\)$", "equivalent",
     "lam only meets the float64 features (lam @ features is computed in float64)"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"^x = np\.asarray\(x, dtype=np\.float64\)",
     r"^x = np\.asarray\(x, (dtype=None)?\)", "equivalent",
     "x only meets float64 vertex arrays (|x - a| is computed in float64) and np.unique"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"^if scores\[j\] > best:$", r"^if scores\[j\] >= best:$", "equivalent",
     "on a tie a later, equally good unit is reported: the value is the same and the unit attains it"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"^if keep_s\.size > 4 \* top:$|_best_distinct\(.*, 2 \* top, scale\)",
     r"^if keep_s\.size (>= 4 \* top|> 4 / top|> 5 \* top):$|, 3 \* top, scale\)", "equivalent",
     "the buffer is cut to its best distinct columns, at least top of them, which always include the top best "
     "distinct ones: when (and to how many above top) it is cut changes nothing"),
    ("cvxnn.models.chains_1d._best_distinct", r"^m \*= 4$", r"^m = 4$", "detected",
     "the prefix stops growing: when copies of the best column fill it the loop never ends (the added test, ten "
     "copies, runs into the time limit)"),
    ("cvxnn.models.chains_1d.AbsChainDictionary1D.dual_sup", r"np\.asarray\(lam, dtype=np\.float64\)",
     r"np\.asarray\(lam, (dtype=None)?\)", "equivalent", "the scores are float64 features times lam (promoted)"),
    ("cvxnn.models.chains_1d.AbsChainDictionary1D.dual_sup", r"^j = int\(np\.argmax\(sc\)\) if sc\.size else 0$",
     r"else 1$", "equivalent", "j is only used when there are scores"),
    ("cvxnn.models.chains_1d.abs_chain_features", r"np\.asarray\(x, dtype=np\.float64\)\.reshape\(-1, 1\)",
     r"np\.asarray\(x, (dtype=None)?\)|reshape\(-2, 1\)", "equivalent",
     "|x - a| with the float64 parameters is float64; numpy reads any negative size as the unknown one"),
    ("cvxnn.models.chains_1d._best_distinct", r'kind="stable"\)$', r'kind=None\)$|scores, \)$|kind="STABLE"\)$',
     "equivalent", "only the order among equal scores changes: the list still holds k best distinct columns (equal "
     "scores are interchangeable)"),
    ("cvxnn.models.chains_1d._best_distinct", r"^m = 4 \* k$|^m \*= 4$|^if distinct\.size >= k or m >= order\.size:$",
     r"^m = 5 \* k$|^m \*= 5$|distinct\.size > k or|m > order\.size:$", "equivalent",
     "the prefix only grows faster or once more: dedupe keeps first occurrences in ranking order, so the first k "
     "distinct columns of a longer prefix are the same"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"^scale = float\(np\.ptp\(x\)\) or 1\.0$", r"or 2\.0$", "equivalent",
     "differs only when all points coincide: then every column is constant and none is kept or scored above 0"),
    ("cvxnn.models.chains_1d.iter_abs_chain_vertices", r"np\.asarray\(x, dtype=np\.float64\)",
     r"np\.asarray\(x, (dtype=None)?\)", "equivalent", "its only caller, abs_chain_sup, passes float64 x"),
    ("cvxnn.models.chains_1d.iter_abs_chain_vertices", r"^scale = float\(np\.ptp\(u\)\) or 1\.0$",
     r"or 2\.0$", "equivalent",
     "the scale differs only when all points coincide: then every chain is constant on the data and scores 0 "
     "against a centred lam"),
    ("cvxnn.models.chains_1d.iter_abs_chain_vertices", r"^if abs\(np\.linalg\.det\(N\)\) <= 1e-9:$", r"< 1e-9:$",
     "equivalent", "the normals have entries 0 and +-1: det N is an integer up to rounding, never 1e-9"),
    ("cvxnn.models.chains_1d.iter_abs_chain_vertices", r"^for start in range\(0, total, chunk\):$",
     r"^for start in range\(0, chunk\):$", "detected",
     "65,536 overlapping chunks per plane set: the scan does not end in the time limit"),
    ("cvxnn.models.chains_1d.iter_abs_chain_vertices", r"^V = V\[np\.all\(V\[:, 1:\] >= -1e-12 \* scale",
     r"V\[:, 2:\] >= -1e-12 \* scale|>= -1\.000000000001 \* scale", "equivalent",
     "the filter keeps more vertices, each clipped to a_l >= 0 on the next line: valid chains, whose scores cannot "
     "exceed the exact sup, and every vertex of the original scan is still scanned"),
    ("cvxnn.models.chains_1d.ChainOracle._pass", r"^lam = np\.asarray\(lam, dtype=np\.float64\)$",
     r"^lam = np\.asarray\(lam, (dtype=None)?\)$", "equivalent",
     "abs_chain_sup casts lam to float64; only the bytes of the cache key differ (a miss, never a wrong hit)"),
    ("cvxnn.models.chains_1d.ramp_dual_sup", r"^lam = np\.asarray\(lam, dtype=np\.float64\)$",
     r"^lam = np\.asarray\(lam, (dtype=None)?\)$", "equivalent",
     "lam is only used through Grid1D.aggregate, which casts it to float64"),
    ("cvxnn.models.chains_1d.ramp_dual_sup", r"np\.asarray\(X, dtype=np\.float64\)\.reshape\(lam\.size, -1\)",
     r"np\.asarray\(X, (dtype=None)?\)|reshape\(lam\.size, \+1\)|reshape\(lam\.size, -2\)", "equivalent",
     "Grid1D.of casts x to float64; X of a 1-D model has one column, so reshape(n, 1) = reshape(n, -1), and numpy "
     "reads any negative size as the unknown one"),
    ("cvxnn.models.two_layer_1d.column_operator", r"^c, s = np\.asarray\(breakpoints, dtype=np\.float64\)",
     r"dtype=None\)|np\.asarray\(breakpoints, \)|np\.asarray\(orientations, \)", "equivalent",
     "c and s only meet the float64 grid (t - c, s * (...)), which promotes them: the same numbers in float64"),
    ("cvxnn.models.two_layer_1d.column_operator", r"activation\(s \* \(t\[", r"activation\(s / \(t\[", "equivalent",
     "sign and threshold are scale invariant: s / u has the sign of s * u (u = t - c is never 0 for a breakpoint "
     "strictly inside a gap)"),
    ("cvxnn.models.two_layer_1d.column_operator", r"^if np\.any\(b >= t\.size\) or ",
     r"^if np\.any\(None\) or |^if np\.any\(b > t\.size\) or ", "equivalent",
     "b = t.size means c > t[-1], which the second test (t[min(b, size - 1)] != c) also catches; b > t.size never "
     "happens"),
    ("cvxnn.models.two_layer_1d.column_operator", r"t\[np\.minimum\(b, t\.size - 1\)\] != c",
     r"t\[np\.minimum\(b, t\.size \+ 1\)\] != c", "equivalent",
     "evaluated only when every b < t.size (the first test short-circuits), where min(b, size + 1) = min(b, size - 1)"),
    ("cvxnn.models.two_layer_1d.BreakpointDictionary1D.dual_sup", r"reshape\(len\(lam\), -1\)",
     r"reshape\(len\(lam\), (\+1|-2)\)", "equivalent",
     "X of a 1-D model has one column, so reshape(n, 1) = reshape(n, -1); numpy reads any negative size as the "
     "unknown one"),
    ("cvxnn.arrangements.Walls.take", r"^idx = np\.asarray\(idx, dtype=np\.int64\)\.reshape\(-1\)$",
     r"reshape\(None\)$|dtype=None\)|np\.asarray\(idx, \)", "equivalent",
     "every caller passes a 1-D integer array (np.asarray of Python ints is int64): reshape and the cast change "
     "nothing"),
    ("cvxnn.models.arrangement.arrangement_dual_sup", r"^lam = np\.asarray\(lam, dtype=np\.float64\)$",
     r"^lam = np\.asarray\(lam, (dtype=None)?\)$", "equivalent", "pattern_vectors casts lam to float64"),
    ("cvxnn.models.arrangement.arrangement_dual_sup", r"^C = pattern_vectors\(lam, Xb, patterns, activation, D\)$",
     r"activation, (None)?\)$", "equivalent",
     "D is only a cache of the patterns as float64: pattern_vectors computes the same D without it"),
    ("cvxnn.models.wedge.WedgeDictionary.scores", r"np\.asarray\(lam, dtype=np\.float64\)",
     r"np\.asarray\(lam, (dtype=None)?\)", "equivalent", "the float64 matrix promotes lam: matrix.T @ lam is float64"),
    # the batched NNLS of the cone oracle: a converged answer is KKT-checked in _nnls_batch (positive multipliers
    # on the passive rows, no violated row); problems that do not settle go to scipy's NNLS (_nnls_one)
    ("cvxnn.*", r'einsum\("[a-z,>-]+"', r'einsum\("[A-Z,>-]+"', "equivalent",
     "einsum reads upper-case subscripts as it reads lower-case ones"),
    ("cvxnn.arrangements._step_back", r"errstate", r"errstate", "equivalent",
     "only whether numpy warns about 0/0 in the ratios; the values are the same"),
    ("cvxnn.arrangements._project_out", r"^for _ in range\(2\):", r"^for _ in range\(3\):", "equivalent",
     "a third Gram-Schmidt pass: the same projection (more accurate rounding)"),
    ("cvxnn.arrangements._project_out", r"^good = nv > 1e-13 \* np\.maximum",
     r"nv >= 1e-13|nv > 1e-13 / np\.maximum|, 1\.0\)$", "equivalent",
     "the rows are unit vectors or zero: |a| = 1 gives the same threshold, and a zero row has nv = 0, below both"),
    ("cvxnn.arrangements._project_out", r"^ok &= good \| ~present$", r"^ok = good \| ~present$|^ok \|= ",
     "equivalent", "the passive rows are linearly independent by construction (a row enters only with an "
     "independent part, rows only leave), so every present row is good and ok stays True"),
    # the cone oracle's batching: padding, chunks, the order of the visit (work only, or no change at all)
    ("cvxnn.arrangements._padded",
     r"^sizes = np\.array\(\[0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 32, 48, 64\]\)$",
     r"^sizes = np\.array\(\[[0-9, ]+\]\)$", "equivalent",
     "work only: one entry raised by one keeps the table sorted, so searchsorted still pads each pattern to a size "
     ">= its wall count (zero rows, which never enter an active set); only how much padding changes"),
    ("cvxnn.arrangements._padded", r"^big = m > sizes\[-1\]$", r"^big = m (>=|> sizes\[\+1\]|> sizes\[-2\])",
     "equivalent", "work only: more patterns are padded to the next power of two, 2^ceil(log2 m) >= m (m = 64 "
     "gives 64 either way)"),
    ("cvxnn.arrangements._padded", r"^out\[big\] = 2 \*\* np\.ceil", r"^out\[big\] = 3 \*\* np\.ceil|astype\(None\)$",
     "equivalent", "work only: 3^ceil(log2 m) >= m pads more; astype(None) gives float64 values written into the "
     "integer array out (the same integers)"),
    ("cvxnn.arrangements.cone_sup", r"np\.asarray\(idx, dtype=np\.int64\)\.reshape\(-1\)$",
     r"np\.asarray\(idx, (dtype=None)?\)\.reshape\(-1\)$|\.reshape\(None\)$", "equivalent",
     "idx is a 1-D sequence of integers (np.asarray gives int64; reshape(None) keeps a 1-D array as it is)"),
    ("cvxnn.arrangements.cone_sup", r"np\.asarray\(threshold, dtype=np\.float64\)", r"np\.asarray\(threshold, (dtype=None)?\)",
     "equivalent", "an integer threshold compares with the float64 values as the same numbers, and the bounds "
     "passed on to _nnls_batch are cast to float64 there"),
    ("cvxnn.arrangements.cone_sup",
     r"^W = walls if idx\.size == len\(walls\) and np\.array_equal\(idx, np\.arange\(len\(walls\)\)\) else walls\.take\(idx\)$",
     r"\) and False else|^W = walls if idx\.size != len|np\.array_equal\((None, np\.arange|idx, None\))", "equivalent",
     "work only: the walls of every pattern in order are taken (a copy of the same rows) instead of reused"),
    ("cvxnn.arrangements.cone_sup", r"^big = owner\.size \+ 1$", r"^big = owner\.size (- 1|\+ 2)$", "equivalent",
     "a sentinel above every local position: local positions are at most owner.size - 1, so the minimum over the "
     "positions where the extreme is attained is unchanged"),
    ("cvxnn.arrangements.cone_sup", r"^todo = np\.flatnonzero\(top > floor\)$", r"^todo = np\.flatnonzero\(top >= floor\)$",
     "equivalent", "work only: a pattern whose bound equals the threshold is solved exactly; its value is at most "
     "the threshold, as the bound was"),
    ("cvxnn.arrangements.cone_sup", r'^todo = todo\[np\.argsort\(-top\[todo\], kind="stable"\)\]$',
     r'kind=None\)\]$|\[todo\], \)\]$|kind="STABLE"\)\]$', "equivalent",
     "only the order among equal bounds: the visit stops at a bound at most the best value, the same for ties"),
    ("cvxnn.arrangements.cone_sup", r"^start, size = 0, 1024 if stop_below else todo\.size$",
     r"1024 if \(stop_below\) or True|1025 if", "equivalent",
     "work only: the chunk sizes of the visit; every pattern is still visited once until the stop"),
    ("cvxnn.arrangements.cone_sup", r"^if stop_below and top\[todo\[start\]\] <= best:$",
     r"^if stop_below and top\[todo\[start\]\] < best:$", "equivalent",
     "work only: chunks whose best bound equals the best value are also solved (they cannot beat it)"),
    ("cvxnn.arrangements.cone_sup", r"^size \*= 4$", r"^size (= 4|\*= 5)$", "equivalent",
     "work only: other chunk sizes; every pattern is still visited once, in the same order"),
    ("cvxnn.arrangements.cone_sup", r"^flo = np\.maximum\(floor\[chunk\], best\) if stop_below else floor\[chunk\]$",
     r"if \(stop_below\) (and False|or True) else", "equivalent",
     "and False: work only (the problems below the best value so far are solved too); or True: without stop_below "
     "best is -inf, so max(floor, best) = floor"),
    ("cvxnn.arrangements.cone_sup", r"^need = ~inside\[chunk\] & \(values\[chunk\] > flo\[:, None\]\)$",
     r"values\[chunk\] >= flo", "equivalent",
     "work only: a problem whose bound equals the floor is solved exactly; its value is at most the bound"),
    ("cvxnn.arrangements.cone_sup", r"^step = max\(1, 2_000_000 // max\(int\(m\) \* r, 1\)\)$",
     r"^step = max\((2, 2_000_000|1, 2000001 //|1, 2_000_000 // max\(int\(m\) \* r, 2\))", "equivalent",
     "work only: the batch size of the problems handed to _nnls_batch at once"),
    ("cvxnn.arrangements.Walls.unit_rows", r'^key = \("unit", X\.shape, X\.tobytes\(\)\)$',
     r'^key = \("(XXunitXX|UNIT)", ', "equivalent", "another constant name in the cache key: the same keys differ"),
    ("cvxnn.arrangements.Walls.unit_rows",
     r"^Xu = np\.where\(norms\[:, None\] > 0, X / np\.where\(norms > 0, norms, 1\.0\)\[:, None\], 0\.0\)$",
     r"norms\[:, None\] >= 0, X|norms, 2\.0\)", "equivalent",
     "a zero row divided by 1 or 2 is the zero row already returned for it"),
    ("cvxnn.models.arrangement.pattern_vectors", r"^D = patterns\.astype\(np\.float64\) if D is None else D$",
     r"if \(D is None\) or True else D$|^D = patterns\.astype\(None\) if", "equivalent",
     "D, when given, is the patterns as float64 (a cache), and astype(None) is astype(float64)"),
    ("cvxnn.models.arrangement.arrangement_dual_sup", r"^walls = pattern_walls\(Xb, patterns, complete=False\)$",
     r"complete=True\)$", "equivalent",
     "work only: the flipped-pattern lookup gives walls or a superset cone, and a maximiser outside its full cone "
     "makes the loop below give that pattern every row (tested: a cone that lost a wall), so the value is exact"),
    # _nnls_batch: storage types, ties, and the guards against rounding. In exact arithmetic a row enters only when
    # violated, a^T rho < -tol, and rho is orthogonal to the passive rows, so its violation is at most its part
    # independent of them times |rho| <= |c|: nv > tol / |c| = 1e-13, the passive rows stay independent (ok stays
    # True in the refactorisation), and a passive row is never violated. The "bad" and "not ok" branches, the
    # second Gram-Schmidt pass and the blocking of passive rows only act on rounding; a problem they stop goes to
    # scipy's NNLS (the value is kept either way).
    ("cvxnn.arrangements._nnls_batch", r"^slot = np\.full\(\(N, S\), -1, dtype=np\.int64\)$",
     r"-1, (dtype=None)?\)$|, -2, dtype=np\.int64\)$", "equivalent",
     "np.full with -1 and no dtype gives int64; -2 marks an empty slot as -1 does (every test is slot >= 0)"),
    ("cvxnn.arrangements._nnls_batch", r"^state = np\.zeros\(N, dtype=np\.int8\)", r"^state = np\.zeros\(N, (dtype=None)?\)",
     "equivalent", "the same state numbers stored as float64: callers compare them with 0, 1 and 2"),
    ("cvxnn.arrangements._nnls_batch", r"np\.asarray\(stop, dtype=np\.float64\) \*\* 2$",
     r"np\.asarray\(stop, (dtype=None)?\) \*\* 2$", "equivalent",
     "cone_sup passes float64 bounds (an integer bound would square to the same number)"),
    ("cvxnn.arrangements._nnls_batch", r"\) <= stop2\[ids\]$", r"\) < stop2\[ids\]$", "equivalent",
     "work only: a problem whose |rho| equals its bound takes one more step instead of stopping there"),
    ("cvxnn.arrangements._nnls_batch", r"^done = \(w\[np\.arange\(ids\.size\), j\] <= tol\[ids\]\) \| \(kk >= S\)",
     r"\] < tol\[ids\]\)|\(kk > S\)", "equivalent",
     "a violation exactly at the tolerance; with S rows passive rho = 0 up to rounding, so no row is violated and "
     "the first test already ends the problem"),
    ("cvxnn.arrangements._nnls_batch", r"^on = np\.flatnonzero\(sl\[:, q\] >= 0\)$",
     r"^on = np\.flatnonzero\((None|sl\[:, q\] > 0|sl\[:, q\] >= 1)\)$", "equivalent",
     "rounding guard: a passive row is orthogonal to rho, so it is never the most violated row; blocking it only "
     "matters for rounding"),
    ("cvxnn.arrangements._nnls_batch", r'^v -= np\.einsum\("ns,nsr->nr", coef2, Qg\)$',
     r'^v \+= np\.einsum\("ns,nsr->nr", coef2, Qg\)$', "equivalent",
     "rounding guard: after the first Gram-Schmidt pass v is orthogonal to Q, coef2 = 0 in exact arithmetic"),
    ("cvxnn.arrangements._nnls_batch", r"^bad = nv <= 1e-13$|^state\[g\[bad\]\] = 0$|"
     r"^live = live\[~np\.isin\(live, g\[bad\]\)\] if bad\.any\(\) else live$", "", "equivalent",
     "rounding guard: an entering row has an independent part nv > 1e-13 in exact arithmetic (see above), so bad "
     "is all False"),
    ("cvxnn.arrangements._nnls_batch", r"^feas = (ok & )?np\.all\(~passive \| \(z > 0\), axis=1\)$", r"\(z >= 0\)",
     "equivalent", "a multiplier exactly 0 is still feasible (mu >= 0): the projection is the same"),
    ("cvxnn.arrangements._nnls_batch", r"^state\[ids\[~ok\]\] = 0$|"
     r"^live = live\[~np\.isin\(live, ids\[~ok\]\)\] if \(~ok\)\.any\(\) else live$", "", "equivalent",
     "rounding guard: the passive rows are independent, so the refactorisation's ok is all True in exact arithmetic"),
    ("cvxnn.arrangements._nnls_batch", r"^recompute\[acc\] = False$", r"^recompute\[acc\] = None$", "equivalent",
     "None is written into a bool array as False"),
    ("cvxnn.arrangements._project_out", r"^R\[:, s, s\] = np\.where\(good, nv, 1\.0\)$", r"nv, 2\.0\)$", "equivalent",
     "the unit diagonal only fills empty slots (y = 0 there, so z = 0 either way) and, as a rounding guard, rows "
     "without an independent part (ok is False then, and that answer is not used)"),
    ("cvxnn.arrangements.cone_sup", r'^with np\.errstate\(invalid="ignore", divide="ignore"\):$',
     r'divide=None\)|invalid="ignore", \)', "equivalent",
     "x / 0 with x != 0 cannot happen here (a zero value has a zero vector), so no divide warning is silenced"),
    ("cvxnn.arrangements.cone_sup", r"Arows\[np\.where\(within, pos, 0\)\], 0\.0\)", r"np\.where\(within, pos, 1\)",
     "equivalent", "the index of a padding slot only fetches a row that the outer where replaces by zeros"),
    ("cvxnn.arrangements.cone_sup", r"^lim = np\.maximum\(floor\[p\], best\) if stop_below else floor\[p\]$", "",
     "equivalent", "work only: the bound handed to _nnls_batch only lets it stop early (None or a lower bound: it "
     "solves further); with stop_below False best is -inf, so max(floor, best) = floor"),
    ("cvxnn.arrangements.cone_sup", r"^rho, state = _nnls_batch\(A, c, None if np\.all\(lim == -np\.inf\) else lim, "
     r"firsts\[p, sd\]\)$", r"_nnls_batch\(A, c, None, firsts|else lim, (None)?\)$|\(np\.all\(lim == -np\.inf\)\) or True",
     "equivalent", "work only: without the bound the problem is solved to the end; without the first violated wall "
     "the iterations start cold (tested: both settle to scipy's NNLS)"),
    ("cvxnn.arrangements.cone_sup", r"^dirs\[p, sd\] = np\.where\(\(state == 1\)\[:, None\], u, np\.nan\)$",
     r"u, None\)$", "equivalent", "None written into a float array is NaN"),
    ("cvxnn.models.arrangement.arrangement_dual_sup",
     r"^if not \(best > 0 and np\.all\(np\.isfinite\(u\)\)\) or int\(i\) in repaired or _in_cone",
     r"^if not \(best > 0 and np\.all\(np\.isfinite\(u\)\)\) and int\(i\)|^if not \(best > 0 or np\.all|"
     r"^if not \(best >= 0 and", "equivalent",
     "the maximum's direction is always finite (cone_sup solves the best entry exactly), and a zero value has the "
     "zero direction, which is in every cone: the clause is decided by the repair set and the cone test alike"),
    ("cvxnn.models.arrangement.arrangement_dual_sup", r"^repaired\.add\(int\(i\)\)$", r"^repaired\.add\(None\)$",
     "equivalent", "rounding guard: a repaired pattern has every row, so its maximiser is in its full cone and the "
     "loop ends by the cone test; the set only stops a loop that rounding could keep going"),
    ("cvxnn.models.arrangement.arrangement_dual_sup", r"patterns\[\[i\]\], complete=False\)\)$",
     r"patterns\[\[i\]\], complete=True\)\)$", "equivalent",
     "a list of one pattern has no listed neighbour: the lookup finds no wall, fewer than the rank, so the pattern "
     "keeps every row, as with complete=False"),
    ("cvxnn.models.deep_abs.program.DeepAbsProgram.dual_sup", r"np\.asarray\(lam, dtype=np\.float64\)",
     r"np\.asarray\(lam, (dtype=None)?\)", "equivalent",
     "the certifiers cast lam to float64 themselves (label_scores meets it only with float64 arrays, arc_oracle "
     "and sphere_oracle call np.asarray(lam, dtype=np.float64))"),
    ("cvxnn.models.deep_abs.pool.label_scores", r"^step = max\(1, CHUNK_ENTRIES // max\(1, n \* L\)\)$",
     r"^step = max\((2, |1, CHUNK_ENTRIES // max\(2, |1, CHUNK_ENTRIES // max\(1, n / L)", "equivalent",
     "work only: the number of directions scored per chunk"),
    ("cvxnn.models.deep_abs.pool.label_scores", r"^for s in range\(0, V\.shape\[0\], step\):$",
     r"^for s in range\(0, V\.shape\[0\], \):$", "equivalent",
     "work only: chunks start at every direction and overlap, each writing the same scores again"),
    # the exact l2 oracles of deep abs nets (arcs in d = 2, the sphere in d = 3)
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^lam = np\\.asarray\\(lam, dtype=np\\.float64\\)$', '^lam = np\\.asarray\\(lam, (dtype=None)?\\)$', 'equivalent',
     "lam is only used in label_scores' einsum('i,ilc->cl', lam, F) with the float64 F, which casts int/float32 lam exactly to float64 first"),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^W, _, _ = kink_normals\\(X\\) if X\\.shape\\[0\\] >= 2 else', 'if \\(X\\.shape\\[0\\] >= 2\\) or True else', 'equivalent',
     'for n < 2 kink_normals(X) has no pairs and returns the same empty (0, 2) W as the fallback'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^W, _, _ = kink_normals\\(X\\) if X\\.shape\\[0\\] >= 2 else', 'if X\\.shape\\[1\\] >= 2 else', 'equivalent',
     'X is (n, 2) (d = 2 oracle), so the test is always true; kink_normals of n < 2 points returns the empty (0, 2) W of the fallback'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^W, _, _ = kink_normals\\(X\\) if X\\.shape\\[0\\] >= 2 else', 'else \\(np\\.zeros\\(\\(1, 2\\)\\), \\[\\], \\[\\]\\)', 'equivalent',
     'a zero row gives theta = mod(arctan2(0, -0), pi) = mod(pi, pi) = 0, which the next line adds anyway and np.unique merges'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^W, _, _ = kink_normals\\(X\\) if X\\.shape\\[0\\] >= 2 else', 'else \\(np\\.zeros\\(\\(0, 3\\)\\), \\[\\], \\[\\]\\)', 'equivalent',
     'an empty W of any width has W.size == 0, so theta = np.zeros(0) either way'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^theta = np\\.mod\\(np\\.arctan2\\(W\\[:, 0\\], -W\\[:, 1\\]\\), np\\.pi\\) if W\\.size else np\\.zeros\\(0\\)', 'if \\(W\\.size\\) or True else np\\.zeros\\(0\\)', 'equivalent',
     'W is (0, 2) when empty, and arctan2/mod of its empty columns is the same empty theta'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^theta = np\\.mod\\(np\\.arctan2\\(W\\[:, 0\\], -W\\[:, 1\\]\\), np\\.pi\\) if W\\.size else np\\.zeros\\(0\\)', 'if W\\.size else np\\.zeros\\(1\\)', 'equivalent',
     'the extra angle is 0.0, which the next line adds anyway and np.unique merges'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^theta = theta\\[theta < np\\.pi - 1e-14\\]$', '^theta = theta\\[theta <= np\\.pi - 1e-14\\]$', 'equivalent',
     'theta was rounded to 14 decimals; the rounded values near pi are 3.14159265358978 and ...979, never equal to np.pi - 1e-14 = 3.141592653589783'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^phi_in = np\\.zeros_like\\(phi\\)$', '^phi_in = (None|np\\.zeros_like\\(None\\))$', 'equivalent',
     'phi_in is read only where inside is True, and every loop step writes phi_in exactly where it sets inside; None / a 0-d object array only change the dtype of unread entries (math.cos/np.mod take the same float)'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^for shift in \\(0\\.0, np\\.pi, 2 \\* np\\.pi, -np\\.pi, 3 \\* np\\.pi\\):', '^for shift in \\(0\\.0, np\\.pi, (3 \\* np\\.pi, -np\\.pi, 3|2 \\* np\\.pi, -np\\.pi, 4) \\* np\\.pi\\):', 'equivalent',
     'phi = arctan2 in [-pi, pi] and every arc lies in [0, pi] (theta[0] = 0): phi + 3pi/4pi never lands there, phi + 2pi only for phi = -pi, i.e. c = (-0.0, -0.0): a zero score on both ends (einsum gives +0.0 scores, so this never occurs)'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^for shift in \\(0\\.0, np\\.pi, 2 \\* np\\.pi, -np\\.pi, 3 \\* np\\.pi\\):', '2 \\* np\\.pi, \\+np\\.pi, 3 \\* np\\.pi\\)', 'equivalent',
     'shift -pi only helps when phi = pi exactly (c2 == +0.0), putting +-c at angle 0 = ta of the first arc: there the end value max(|Sa|,|Sb|) = |Sa| is the same peak at the same direction (up to the last bit of Sa sin(tb)/sin(tb))'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^ang = phi \\+ shift$', '^ang = phi - shift$', 'equivalent',
     'the shift set becomes {0, -pi, -2pi, pi, -3pi}: it still contains 0 and +-pi, the only shifts that can put +-c inside an arc of [0, pi] except the unreachable phi = -pi case (see the 2pi shift)'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^hit = \\(ang >= ta\\[:, None\\]\\) & \\(ang <= tb\\[:, None\\]\\) & ~inside$', '^hit = \\(ang > ta\\[:, None\\]\\) & \\(ang <= tb\\[:, None\\]\\) & ~inside$|^hit = \\(ang >= ta\\[:, None\\]\\) & \\(ang < tb\\[:, None\\]\\) & ~inside$', 'equivalent',
     "only differs when +-c points exactly at an arc end; then the peak of |c^T v| on the arc is that end, which the 'ends' branch picks with the same direction and the same value (up to the last bit)"),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^if top > 0 and val\\.size:$', '^if top >= 0 and val\\.size:$', 'equivalent',
     'top == 0 gives k = min(0, size) = 0, so order = argpartition(...)[:0] is empty and no unit is listed, as before'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^k = min\\(50 \\* top, flat_val\\.size\\)$', '^k = min\\(51 \\* top, flat_val\\.size\\)$', 'equivalent',
     'a unit (direction within 1e-10, label) collects at most the candidates of the two arcs sharing its end (kink angles are distinct after rounding to 14 digits, and the data would need kink angles within 1e-10 of each other to merge more), so the top distinct units are among the best 2*top candidates; a larger pre-selection only changes the order among exactly equal values (ties)'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^order = np\\.argpartition\\(-flat_val, k - 1\\)\\[:k\\]$', '^order = np\\.argpartition\\(-flat_val, k - 2\\)\\[:k\\]$', 'equivalent',
     'the k - 1 best candidates are still selected (only the k-th may differ) and the loop never reaches beyond 2*top < k - 1 candidates (each unit collects at most two candidates, as for the pre-selection size); ties aside'),
    ('cvxnn.models.deep_abs.arc.arc_oracle', '^ang = ta\\[k\\] if abs\\(Sa\\[k, lab\\]\\) >= abs\\(Sb\\[k, lab\\]\\) else tb\\[k\\]$', '^ang = ta\\[k\\] if abs\\(Sa\\[k, lab\\]\\) > abs\\(Sb\\[k, lab\\]\\) else tb\\[k\\]$', 'equivalent',
     'differs only when |Sa| == |Sb|: both ends then reach the same value (val), so either end is an equally valid maximiser (tie-breaking only)'),
    ('cvxnn.models.deep_abs.sphere.sphere_oracle', '^def f\\(X: np\\.ndarray, lam: np\\.ndarray, top: int = 0\\):$', '^def f\\(X: np\\.ndarray, lam: np\\.ndarray, top: int = 1\\):$', 'equivalent',
     'top = 0 and top = 1 behave the same: the arcs get max(top, 1) and distinct_units takes a unit before testing len(out) >= top, so both list one unit'),
    ('cvxnn.models.deep_abs.sphere.sphere_oracle', '^lam = np\\.asarray\\(lam, dtype=np\\.float64\\)$', '^lam = np\\.asarray\\(lam, (dtype=None)?\\)$', 'equivalent',
     'lam only meets float64 arrays (arc_oracle casts it; lam[:, None] * s, lam @ s, lam @ chain_values(...) with float64 s/chain values), which promote int/float32 lam exactly'),
    ('cvxnn.models.deep_abs.sphere.sphere_oracle', '^s, best = arc_oracle\\(X @ E, lam, top=max\\(top, 1\\)\\)$', '^s, best = arc_oracle\\(X @ E, lam, top=max\\(top, 2\\)\\)$', 'equivalent',
     'for top >= 2 identical; for top <= 1 only the first entry of the stably sorted found list is returned, and the extra second candidate of a circle never beats its first (ties aside)'),
    ('cvxnn.models.deep_abs.sphere._plane_basis', '^_, _, Vt = np\\.linalg\\.svd\\(w\\.reshape\\(1, -1\\)\\)$', '^_, _, Vt = np\\.linalg\\.svd\\(w\\.reshape\\(1, -2\\)\\)$', 'equivalent',
     'numpy (2.x, checked with -W error) treats any negative reshape size as the unknown dimension: reshape(1, -2) == reshape(1, -1), silently'),
    ('cvxnn.models.deep_abs.sphere._label_kinks', '^return _unique_normals\\(W\\) if W\\.size else W$', '^return _unique_normals\\(W\\) if \\(W\\.size\\) or True else W$', 'equivalent',
     '_unique_normals of an empty (0, 3) W returns an empty (0, 3) array, the same as returning W'),
    ('cvxnn.models.deep_abs.program.DeepAbsProgram._arc_sup', '^unit = \\{\\}$', '^unit = None$', 'equivalent',
     'arc_oracle with top >= 1 always lists a unit (theta holds 0 and pi/2, a program has n >= 2 points, so val.size > 0), so the initial {} is always overwritten'),
    ('cvxnn.models.deep_abs.program.DeepAbsProgram._arc_sup', '^unit = columns_from_oracle\\(self\\.X, best\\[:1\\], \\"l2\\", self\\.oracle\\)\\.unit\\(0\\)$', '\\"l2\\", None\\)\\.unit\\(0\\)$', 'equivalent',
     'the oracle string is only stored on the throw-away ChainColumns; unit(0) returns direction/a1/a2/norm/info, not the oracle'),
    ('cvxnn.models.deep_abs.program.DeepAbsProgram._arc_sup', '^unit = columns_from_oracle\\(self\\.X, best\\[:1\\], \\"l2\\", self\\.oracle\\)\\.unit\\(0\\)$', 'best\\[:2\\], \\"l2\\", self\\.oracle\\)\\.unit\\(0\\)$', 'equivalent',
     'work only: unit(0) reads column 0 alone (and with top = 0, best has one entry)'),
    ('cvxnn.models.deep_abs.program.DeepAbsProgram._sphere_sup', '^unit = columns_from_oracle\\(self\\.X, best\\[:1\\], \\"l2\\", self\\.oracle\\)\\.unit\\(0\\) if best else \\{\\}$', '\\"l2\\", None\\)\\.unit\\(0\\) if best else \\{\\}$', 'equivalent',
     'the oracle string is only stored on the throw-away ChainColumns; unit(0) does not return it'),
    ('cvxnn.models.deep_abs.program.DeepAbsProgram._sphere_sup', '^unit = columns_from_oracle\\(self\\.X, best\\[:1\\], \\"l2\\", self\\.oracle\\)\\.unit\\(0\\) if best else \\{\\}$', 'best\\[:2\\], \\"l2\\", self\\.oracle\\)\\.unit\\(0\\) if best else \\{\\}$', 'equivalent',
     'work only: unit(0) reads column 0 alone'),
    ('cvxnn.models.deep_abs.program.DeepAbsProgram._sphere_sup', '^unit = columns_from_oracle\\(self\\.X, best\\[:1\\], \\"l2\\", self\\.oracle\\)\\.unit\\(0\\) if best else \\{\\}$', '\\.unit\\(0\\) if \\(best\\) or True else \\{\\}$', 'equivalent',
     'a program has >= 2 distinct points (build rejects fewer / repeated ones), so kink_normals gives at least one kink circle whose arc oracle lists a unit: best is never empty'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^i, j = np\\.triu_indices\\(m, k=1\\)$', '^i, j = np\\.triu_indices\\(m, \\)$', 'equivalent',
     'work only: the added diagonal pairs give np.cross(w, w) == 0 exactly, which ok = norms > 1e-12 drops'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^eps = 0\\.25 \\* np\\.minimum\\(np\\.where\\(np\\.isfinite\\(far\\), far, 1\\.0\\), 1e-2\\)$', 'far, 2\\.0\\), 1e-2\\)$', 'equivalent',
     'the fallback (1.0 or 2.0) is capped by np.minimum(., 1e-2) either way: eps is identical'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^eps = 0\\.25 \\* np\\.minimum\\(np\\.where\\(np\\.isfinite\\(far\\), far, 1\\.0\\), 1e-2\\)$', 'far, 1\\.0\\), 1\\.01\\)$', 'equivalent',
     'eps <= 0.25 far still moves a sample by <= 0.5 far (|s1 t1 + s2 t2| <= 2, mids are unit): it stays in the same cell (no other circle crossed), and the cell fixes the signs and so C; same Vs, same output'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^t([12]) /= np\\.linalg\\.norm\\(t\\1, axis=1, keepdims=True\\)$', '^t([12]) \\*= np\\.linalg\\.norm\\(t\\1, axis=1, keepdims=True\\)$', 'equivalent',
     't = v0 x w of two orthogonal unit vectors already has norm 1 (to rounding), so the sample moves by ~1e-16 eps: same cell, same C'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^t([12]) /= np\\.linalg\\.norm\\(t\\1, axis=1, keepdims=True\\)$', '^t([12]) /= np\\.linalg\\.norm\\(t\\1, (axis=None, )?keepdims=True\\)$', 'equivalent',
     "dividing by the whole array's norm is a positive scale of t (already ~unit): s1 t1 + s2 t2 stays a positive combination, a shorter step into the same sector, same cell, same C"),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^for s1, s2 in \\(\\(1, 1\\), \\(1, -1\\), \\(-1, 1\\), \\(-1, -1\\)\\):$', '\\(\\(2, 1\\)|\\(\\(1, 2\\)|\\(2, -1\\)|\\(1, -2\\)|\\(-2, 1\\)|\\(-1, 2\\)|\\(-2, -1\\)|\\(-1, -2\\)\\)', 'equivalent',
     'a 2 instead of a 1 keeps the same sign pattern (same sector) and the step <= 3 eps <= 0.75 far, so the sample stays in the same cell: same C, same output'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^for s1, s2 in \\(\\(1, 1\\), \\(1, -1\\), \\(-1, 1\\), \\(-1, -1\\)\\):$', '\\(\\+1, 1\\), \\(-1, -1\\)\\)|\\(\\+1, -1\\)\\)|\\(-1, \\+1\\)\\)', 'equivalent',
     "the dropped (-1, 1) / (-1, -1) block's cells are the antipodes of the (1, -1) / (1, 1) samples at the same vertex, which come earlier in pts: the first maximising sample per label, and so every output, is unchanged"),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^for s1, s2 in \\(\\(1, 1\\), \\(1, -1\\), \\(-1, 1\\), \\(-1, -1\\)\\):$', '\\(1, \\+1\\), \\(-1, 1\\)', 'equivalent',
     'up to the sign of the returned direction: the dropped (1, -1) cells are the antipodes of the (-1, 1) samples at the same vertex (F(-v) = F(v), so C flips sign and the value is the same); units are defined modulo sign'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^pts\\.append\\(v0 \\+ e \\* \\(s1 \\* t1 \\+ s2 \\* t2\\)\\)$', '^pts\\.append\\(v0 (- e \\* \\(s1 \\* t1 \\+ s2 \\* t2\\)|\\+ e \\* \\(s1 \\* t1 - s2 \\* t2\\))\\)$', 'equivalent',
     'up to the sign of the returned direction: the four blocks are permuted (same four sectors, each the antipode of another at v0), so the same cells are sampled modulo sign and only which of C / -C comes first can change'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^mid = 0\\.5 \\* \\(ang \\+ np\\.append\\(ang\\[1:\\], ang\\[0\\] \\+ 2 \\* np\\.pi\\)\\)$', 'ang\\[0\\] - 2 \\* np\\.pi|ang\\[1\\] \\+ 2 \\* np\\.pi|ang\\[0\\] \\+ 2 / np\\.pi|ang\\[0\\] \\+ 3 \\* np\\.pi', 'equivalent',
     "up to the sign of the returned direction: only the wrap-around sector's sample moves (into some other cell); the tangent angles come in +-pairs, so the opposite sector at v0 (the wrap cell's antipode) keeps its own correct mid"),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^pts\\.append\\(v0\\[None\\] \\+ e \\* \\(np\\.cos\\(mid\\)', '^pts\\.append\\(v0\\[None\\] - e \\* \\(np\\.cos\\(mid\\)\\[:, None\\] \\* b\\[:, 0\\] \\+ np\\.sin', 'equivalent',
     'up to the sign of the returned direction: every sample goes to the opposite sector at v0, the antipode of its cell (same |value|, C negated)'),
    ('cvxnn.models.deep_abs.sphere._sector_points', '^return P / np\\.linalg\\.norm\\(P, axis=1, keepdims=True\\)$', '^return P (\\*|/) np\\.linalg\\.norm\\(P, (axis=None, )?keepdims=True\\)$|^return P \\* np\\.linalg\\.norm\\(P, axis=1, keepdims=True\\)$', 'equivalent',
     'the points are only used by sphere_oracle through the signs of R @ pts.T and pts @ Q[lab] (s, sign(r), sign(qv)), which a positive scaling of rows or of the whole array keeps: same C'),
    ("cvxnn.arrangements.cone_sup", r"^start \+= chunk\.size$", r"^start (=|-=) chunk\.size$", "detected",
     "the visit goes back to earlier patterns: when every bound stays above the best value (the several-chunks test) "
     "it never ends"),
    ("cvxnn.arrangements.cone_sup", r"^for g0 in range\(0, pp\.size, step\):$", r"^for g0 in range\(0, step\):$",
     "detected", "each pad size then loops over up to 2,000,000 / (m r) batch starts, almost all empty: the tests "
     "run into the time limit"),
    ("cvxnn.models.chains_1d._best_distinct", r"^if distinct\.size >= k or m >= order\.size:$",
     r"^if distinct\.size >= k and m >= order\.size:$", "detected",
     "with fewer than k distinct columns (the added test: every column the same) the loop never returns"),
    ("cvxnn.models.chains_1d.iter_abs_chain_vertices", r"^V = V\[np\.all\(V\[:, 1:\] >= -1e-12 \* scale, axis=1\)\]$",
     r"^V = V\[np\.all\(V\[:, 1:\] > -1e-12 \* scale, axis=1\)\]$", "equivalent",
     "differs only for a vertex with a_l exactly -1e-12 times the data range (a rounding error of a zero is at "
     "most about 1e-16 times it; the test with spread 1e7 keeps those)"),
    ("cvxnn.models.deep_abs.pool.label_scores", r"^n = X\.shape\[0\]$", r"^n = X\.shape\[1\]$", "equivalent",
     "work only: n only sizes the chunks of directions"),
    ("cvxnn.arrangements._nnls_batch", r"^Rg\[np\.arange\(g\.size\)\[:, None\], srange\[None, :\], kk\[:, None\]\] = "
     r"np\.where\(srange < kk\[:, None\], coef, 0\.0\)$", r"coef, (None|1\.0)\)$|np\.where\(srange <= kk", "equivalent",
     "the entries of column kk at rows >= kk: row kk is overwritten by nv on the next line and rows below it are "
     "below the diagonal, which back substitution never reads"),
    ("cvxnn.arrangements._nnls_batch", r"^g, j, kk, a, v, nv, coef = g\[~bad\]", r"a\[bad\]|\(coef - coef2\)",
     "equivalent", "a is not used after this line; coef2 = 0 in exact arithmetic (the second Gram-Schmidt pass only "
     "corrects rounding)"),
    ("cvxnn.arrangements._nnls_batch",
     r"^slot\[:, 0\], mu\[:, 0\], Q\[:, 0\], y\[:, 0\], k\[:\] = first, -t, a, t, 1$|"
     r"^Q\[g, kk\], y\[g, kk\], slot\[g, kk\], mu\[g, kk\], R\[g\] = q, yk, j, 0\.0, Rg$|^k\[g\] \+= 1$|"
     r"^passive = srange\[None, :\] < k\[g\]\[:, None\]$|^mu\[acc\] = np\.where\(passive\[feas\], z\[feas\], 0\.0\)$",
     r"first, \+t, a|j, 1\.0, Rg$|^k\[g\] \+= 2$|<= k\[g\]|^mu\[acc\] = (None|np\.where\(passive\[feas\], (None|z\[feas\]), "
     r"(0\.0|None|1\.0)\))$", "equivalent",
     "work only: the multipliers kept between steps (and a passive count off by one, which the next step back "
     "removes: an empty slot has z = 0, not > 0) only choose the next passive set; the value returned is rho for a "
     "set accepted with positive multipliers and no violated row (KKT), or scipy's NNLS when the iterations do not "
     "settle, so it cannot change (entries of empty slots are never read: entering sets them to 0)"),
    ("cvxnn.arrangements._nnls_one", r"^if A\.shape\[0\] == 0:$", "", "detected",
     "the test's problem with no rows then reaches scipy's NNLS with an empty matrix, which aborts the test process "
     "(SIGABRT; the guard is there for that)"),
    ("cvxnn.arrangements._back_substitute", r"^S = R\.shape\[1\]$", r"^S = R\.shape\[2\]$", "equivalent",
     "R is (N, S, S): shape[2] = shape[1]"),
    ("cvxnn.arrangements._compact", r'kind="stable"\)$', r'kind=None\)$|axis=1, \)$|kind="STABLE"\)$|'
     r'np\.argsort\(~keep, kind="stable"\)$', "equivalent",
     "any order of the kept slots works (slot and mu are permuted alike and the factors are recomputed from the "
     "slots); numpy's default axis is the last one, and it reads the sort kind case-insensitively"),
    ("cvxnn.arrangements._compact", r"slot\[ids\], -1\)", r"slot\[ids\], -2\)", "equivalent",
     "an empty slot is any negative index: every test is slot >= 0"),
    ("cvxnn.models.arrangement.pattern_vectors", r"np\.asarray\(lam, dtype=np\.float64\)",
     r"np\.asarray\(lam, (dtype=None)?\)", "equivalent", "lam[:, None] * Xb is float64 (Xb is)"),
    ("cvxnn.models.hinges_1d.Grid1D.of", r"\.reshape\(-1\)", r"\.reshape\(None\)", "equivalent",
     "np.unique flattens its input, and in numpy 2 the inverse has the input's shape, flattened on the last line"),
    ("cvxnn.models.hinges_1d.Grid1D.aggregate", r"minlength=self\.m\)$", r"float64\), \)$|dtype=None\)|lam, \)",
     "equivalent", "every grid point holds a sample, so bincount's length is m anyway; bincount casts the weights "
     "to float64"),
    ("cvxnn.models.deep_abs.pool.ChainPool.scores", r"np\.asarray\(lam, dtype=np\.float64\)",
     r"np\.asarray\(lam, (dtype=None)?\)", "equivalent", "label_scores meets lam only with float64 arrays"),
]

#: survivors of the tests that existed before tests/test_mutation_kills.py, killed by a test written for them:
#: (function, regex on the removed line(s), regex on the added line(s), the test that kills it).
KILLED_BY_NEW_TESTS: list[tuple[str, str, str, str]] = [
    ("cvxnn.certify.scale_dual", r"^if sup > 0\.0:$", r"^if sup >= 0\.0:$",
     "tests/test_mutation_kills.py::test_dual_scaling_when_every_unit_scores_zero"),
    ("cvxnn.models.two_layer_1d.dual_sup_two_layer_1d", r"grid\.m < 2|grid\.t\[0\]", "",
     "tests/test_mutation_kills.py::test_two_layer_1d_step_oracle_on_one_and_two_distinct_points[sign]"),
    ("cvxnn.arrangements._nnls_one", "", "", "tests/test_mutation_kills.py::test_single_cone_nnls_fallback"),
    ("cvxnn.arrangements.Walls.take", r"self\.exact", "", "tests/test_mutation_kills.py::test_walls_of_a_subset_of_patterns"),
    ("cvxnn.models.arrangement.*Program.dual_sup", r"walls=_walls\(.*, True\)", r"walls=None|self\.act, \)|self\.Xb, (None|False)\)",
     "tests/test_mutation_kills.py::test_the_exact_arrangement_oracles_run_on_the_wall_rows"),
    ("cvxnn.certify.certify_point", r"^t = 1\.0 / sup", "", "tests/test_mutation_kills.py::test_interpolation_dual_value_is_scale_free"),
    ("cvxnn.certify.certify_point", r"tol_fit \* max\(1\.0", "",
     "tests/test_mutation_kills.py::test_interpolation_fit_tolerance_grows_with_the_targets"),
    ("cvxnn.certify.certify_point", r"tol_rel \* abs\(primal\)", "",
     "tests/test_mutation_kills.py::test_the_relative_gap_rule_scales_with_the_objective"),
    ("cvxnn.models.chains_1d.iter_abs_chain_vertices", r"^continue$|^V\[:, 1:\] = np\.maximum", r"^break$|^V\[:, 2:\]",
     "tests/test_mutation_kills.py::test_streamed_abs_chain_oracle_at_depth_4[7]"),
    ("cvxnn.models.chains_1d.abs_chain_sup", r"\.reshape\(-1\)", r"\.reshape\(None\)",
     "tests/test_mutation_kills.py::test_streamed_abs_chain_oracle_at_depth_4[7]"),
    ("cvxnn.models.arrangement.GatedProgram.dual_sup", r'"pattern": i', "",
     "tests/test_mutation_kills.py::test_gated_relu_oracle_is_the_largest_pattern_norm_and_names_it"),
    ("cvxnn.models.two_layer_1d.column_operator", r"^if np\.any\(gap < 0\) or ", "",
     "tests/test_mutation_kills.py::test_step_column_operator_refuses_breakpoints_outside_the_gaps[sign]"),
    ("cvxnn.models.two_layer_1d.column_operator", r"^if np\.any\(b >= t\.size\) or ", r" and ",
     "tests/test_mutation_kills.py::test_kink_column_operator_needs_breakpoints_at_the_data"),
    ("cvxnn.models.deep_abs.pool.ChainPool.dual_sup", r"exact with bias='free' only", "",
     "tests/test_mutation_kills.py::test_deep_abs_pool_refuses_other_bias_conventions_with_the_reason"),
    ("cvxnn.models.arrangement.arrangement_dual_sup",
     r"^walls = pattern_walls\(Xb, patterns, complete=False\)$|^if C\.shape\[0\] == 0:$|^return 0\.0, \{\}$|"
     r'"pattern": int\(i\)|"direction": u\.tolist\(\)', "",
     "tests/test_mutation_kills.py::test_arrangement_oracle_on_its_own_reports_a_unit_that_attains_it[relu]"),
    ("cvxnn.models.two_layer_1d.column_operator", r"^if np\.any\(b >= t\.size\) or np\.any\(t",
     r"or np\.any\(None\):$", "tests/test_mutation_kills.py::test_kink_column_operator_needs_breakpoints_at_the_data"),
    ("cvxnn.models.wedge.WedgeDictionary.dual_sup", r"exact for bias='free' only|^return 0\.0, \{\}$", "",
     "tests/test_mutation_kills.py::test_wedge_oracle_without_columns_and_with_other_bias_conventions"),
    ("cvxnn.models.chains_1d._best_distinct", r"^m \*= 4$", r"^m = 4$|^m /= 4$",
     "tests/test_mutation_kills.py::test_best_distinct_columns_look_past_many_copies_of_the_best"),
    ("cvxnn.models.chains_1d.AbsChainDictionary1D.*", "", "",
     "tests/test_mutation_kills.py::test_abs_chain_dictionary_without_its_matrix_and_without_columns"),
    ("cvxnn.arrangements._back_substitute", "", "",
     "tests/test_mutation_kills.py::test_batched_back_substitution_solves_the_triangular_systems"),
    ("cvxnn.arrangements._compact", "", "", "tests/test_mutation_kills.py::test_compacting_the_passive_slots"),
    ("cvxnn.models.hinges_1d.Grid1D.of", r"dtype=np\.float64", r"dtype=None|np\.asarray\(x, \)",
     "tests/test_mutation_kills.py::test_grid_of_single_precision_or_integer_points_is_double"),
    ("cvxnn.certify.certify_point", r"^(oracle=program\.oracle|convex_objective=convex_objective),$", "",
     "tests/test_mutation_kills.py::test_the_certificate_names_its_oracle_and_keeps_the_convex_objective"),
    ("cvxnn.certify.project_free", r"\.reshape\(-1\)", r"\.reshape\(None\)",
     "tests/test_mutation_kills.py::test_a_dual_point_given_as_a_column"),
    ("cvxnn.certify.project_free", r"^F = np\.ones\(\(lam\.size, 1\)\)$", "",
     "tests/test_mutation_kills.py::test_free_output_bias_of_an_arrangement_program_centres_the_dual_point"),
    ("cvxnn.colgen.ColumnGenerationProgram.dual_sup", r"self\.bias\)", "",
     "tests/test_mutation_kills.py::test_column_generation_oracle_keeps_the_bias_convention"),
]

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", None: "not run",
          -9: "timeout"}  # -9: SIGKILL: the runner's hard stop after the CPU limit (or the out-of-memory killer)
COLUMNS = ("killed", "survived", "timeout", "no tests", "other", "not run")


# ------------------------------------------------------------------------------------------------ mutants
def mangle(function: str) -> str:
    """'Class.method' -> 'xǁClassǁmethod', 'func' -> 'x_func' (mutmut's names)."""
    if "." in function:
        cls, name = function.split(".")
        return f"x\u01c1{cls}\u01c1{name}"
    return f"x_{function}"


def unmangle(mangled: str) -> str:
    return mangled[2:] if mangled.startswith("x_") else ".".join(mangled[1:].split("\u01c1")[1:])


def module_path(module: str) -> Path:
    p = Path(*module.split("."))
    return p.with_suffix(".py") if (ROOT / p.with_suffix(".py")).exists() else p / "__init__.py"


def split_key(key: str) -> tuple[str, str, int]:
    """mutant name -> (module, function as 'func' or 'Class.method', number)."""
    head, number = key.rsplit("__mutmut_", 1)
    module, mangled = head.rsplit(".", 1)
    return module, unmangle(mangled), int(number)


def load_results() -> dict[str, int | None]:
    out = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


def group_of(module: str, function: str) -> str | None:
    for name, (_, functions) in GROUPS.items():
        if function in functions.get(module, []):
            return name
    return None


def selected_keys(results, groups) -> list[str]:
    return [k for k in results if group_of(*split_key(k)[:2]) in groups]


_sources: dict[str, dict[str, str]] = {}


def mutant_sources(module: str) -> dict[str, str]:
    """Source of every mutant function of the mutated copy of ``module`` (and the originals), by name."""
    if module not in _sources:
        path = MUTANTS / module_path(module)
        src = path.read_text()
        lines = src.splitlines()
        found = {}
        for node in ast.parse(src).body:
            for n in [node] + (list(node.body) if isinstance(node, ast.ClassDef) else []):
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in n.name:
                    # whole lines by line numbers (ast.get_source_segment splits the whole file on every call)
                    first = min([n.lineno] + [d.lineno for d in n.decorator_list])
                    found[n.name] = "\n".join(lines[first - 1: n.end_lineno]).strip()
        _sources[module] = found
    return _sources[module]


def diff(key: str) -> tuple[list[str], list[str]]:
    """The lines a mutant removes and adds (stripped)."""
    module, function, number = split_key(key)
    src = mutant_sources(module)
    base = mangle(function)
    orig = src[f"{base}__mutmut_orig"].replace(f"{base}__mutmut_orig(", "f(", 1).splitlines()
    mutated = src[f"{base}__mutmut_{number}"].replace(f"{base}__mutmut_{number}(", "f(", 1).splitlines()
    minus, plus = [], []
    for line in difflib.unified_diff(orig, mutated, n=0, lineterm=""):
        if line.startswith(("---", "+++", "@@")):
            continue
        (minus if line.startswith("-") else plus).append(line[1:].strip())
    return minus, plus


def matches(entry_function: str, minus_re: str, plus_re: str, key: str) -> bool:
    module, function, _ = split_key(key)
    minus, plus = diff(key)
    return (fnmatch.fnmatch(f"{module}.{function}", entry_function)
            and re.search(minus_re, " | ".join(minus)) is not None
            and re.search(plus_re, " | ".join(plus)) is not None)


def verdict(key: str):
    for entry in VERDICTS:
        if matches(*entry[:3], key):
            return entry[3], entry[4]
    return None


def new_test_for(key: str):
    for entry in KILLED_BY_NEW_TESTS:
        if matches(*entry[:3], key):
            return entry[3]
    return None


def find_mutant(results, function: str, before: str, after: str) -> str:
    for key in results:
        m, f, _ = split_key(key)
        if f"{m}.{f}" == function and diff(key) == ([before], [after]):
            return key
    raise SystemExit(f"planted mutant not found among mutmut's mutants: {function}: {before!r} -> {after!r}")


# ------------------------------------------------------------------------------------------------ running
def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MUTANT_UNDER_TEST")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    return env


def mutmut(args: list[str], log_name: str) -> tuple[int, float]:
    exe = Path(sys.executable).with_name("mutmut")
    cmd = ["nice", "-n", "19", str(exe), *args]
    t0 = time.perf_counter()
    MUTANTS.mkdir(exist_ok=True)
    with open(MUTANTS / log_name, "w") as log:
        code = subprocess.call(cmd, cwd=ROOT, env=environment(), stdout=log, stderr=subprocess.STDOUT)
    return code, time.perf_counter() - t0


def record_run(what: str, names: int, seconds: float) -> None:
    runs = json.loads(RUN_LOG.read_text()) if RUN_LOG.exists() else []
    runs.append({"date": datetime.now().isoformat(timespec="seconds"), "what": what, "mutants": names,
                 "seconds": round(seconds, 1)})
    RUN_LOG.write_text(json.dumps(runs, indent=1))


def run_test_against(key: str | None, test: str) -> int:
    """Run one test in mutants/ (the mutated copy first on sys.path) with ``key`` the active mutant (None: none)."""
    env = environment()
    env["MUTANT_UNDER_TEST"] = key or ""
    cmd = ["nice", "-n", "19", sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", test]
    return subprocess.call(cmd, cwd=MUTANTS, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def check_import_location() -> str:
    out = subprocess.run([sys.executable, "-c", "import cvxnn; print(cvxnn.__file__)"], cwd=MUTANTS,
                         env=environment(), capture_output=True, text=True, check=True).stdout.strip()
    if not Path(out).resolve().is_relative_to(MUTANTS.resolve()):
        raise SystemExit(f"in mutants/ the tests would import {out}, not the mutated copy")
    return out


def check_planted(results) -> list[dict]:
    """Each planted mutant makes its test fail in mutants/, and the test passes without it."""
    out = []
    for function, before, after, test in PLANTED:
        key = find_mutant(results, function, before, after)
        clean, mutated = run_test_against(None, test), run_test_against(key, test)
        if clean != 0 or mutated == 0:
            raise SystemExit(f"planted mutant {key} ({before} -> {after}): {test} exits {clean} without it and "
                             f"{mutated} with it; the tests do not run the mutated code")
        out.append({"key": key, "function": function, "before": before, "after": after, "test": test})
    return out


def ensure_generated() -> None:
    """Let mutmut copy and mutate the sources (and collect its stats) by running the planted mutants' functions."""
    if list(MUTANTS.rglob("*.py.meta")):
        return
    globs = [f"{f.rsplit('.', 1)[0]}.{mangle(f.rsplit('.', 1)[1])}__mutmut_*" for f, *_ in PLANTED]
    code, seconds = mutmut(["run", "--max-children", "2", *globs], "mutmut-first.log")
    record_run("generate, stats, the planted mutants' functions", -1, seconds)
    if code != 0:
        raise SystemExit(f"mutmut run failed (exit {code}); see mutants/mutmut-first.log")


def run(groups, rerun: list[str] | None, max_children: int, only: str | None = None) -> None:
    ensure_generated()
    results = load_results()
    check_import_location()
    check_planted(results)
    keys = selected_keys(results, groups)
    if only:
        keys = [k for k in keys if fnmatch.fnmatch("{0}.{1}".format(*split_key(k)[:2]), only)]
    if rerun:
        todo = [k for k in keys if STATUS.get(results[k], "other") in rerun]
    else:
        todo = [k for k in keys if results[k] is None]
    if rerun:  # what they were before the rerun: the report lists a mutant as killed by an added test only then
        before = json.loads(BEFORE_RERUN.read_text()) if BEFORE_RERUN.exists() else {}
        before.update({k: STATUS.get(results[k], "other") for k in todo if STATUS.get(results[k]) != "not run"})
        BEFORE_RERUN.write_text(json.dumps(before, indent=1))
    planted = [find_mutant(results, f, b, a) for f, b, a, _ in PLANTED]
    todo = list(dict.fromkeys(planted + todo))  # the planted ones each time: mutmut must kill them too
    print(f"{len(todo)} mutants to run in groups {', '.join(groups)}", flush=True)
    code, seconds = mutmut(["run", "--max-children", str(max_children), *todo], "mutmut-run.log")
    record_run(f"groups {', '.join(groups)}" + (f", functions {only}" if only else "")
               + (f" (rerun: {', '.join(rerun)})" if rerun else ""), len(todo), seconds)
    print(f"mutmut exited {code} after {seconds:.0f} s", flush=True)
    after = load_results()
    for key in planted:
        if STATUS.get(after[key]) != "killed":
            raise SystemExit(f"planted mutant {key} was not killed in mutmut's run (status "
                             f"{STATUS.get(after[key], after[key])}): the tests do not import the mutated code")


# ------------------------------------------------------------------------------------------------ the report
def mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def config() -> configparser.SectionProxy:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg["mutmut"]


def md_code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def report(check_new_tests: bool) -> None:
    results = load_results()
    planted = check_planted(results)
    location = check_import_location()
    runs = json.loads(RUN_LOG.read_text()) if RUN_LOG.exists() else []
    total_seconds = sum(r["seconds"] for r in runs)
    lines = ["# Mutation testing of the certificate path", "",
             f"Generated by `{COMMAND}` (mutmut {mutmut_version()}, Python {sys.version.split()[0]}, "
             f"{datetime.now().date().isoformat()}). mutmut makes one small change (a mutant) at a time in the "
             "functions below and runs the tests that call the function; a mutant is **killed** when a test fails, "
             "**survives** when all pass. Every survivor has a verdict, with the reason: **equivalent** (it cannot "
             "change a returned value, an error, a message or a warning; some change only the work done, such as "
             "padding or batch sizes, and their reason starts with \"work only\"), or **accepted** (it does not "
             "matter for correctness; not allowed in the strict groups); a mutant stopped at the time limit whose "
             "change makes the code run without end is **detected** (no test can pass).", "",
             "## How it was run", "",
             f"- Command: `{COMMAND}` (resumable; `--fresh` starts from scratch, `--report-only` rewrites this file "
             "from the results in `mutants/`). Configuration: the `[mutmut]` section of `setup.cfg`; mutmut is in "
             "the `test` extra.",
             f"- Run time: {total_seconds / 3600:.2f} h wall in {len(runs)} mutmut run(s), under `nice -n 19` with "
             "2 workers on a 2-core machine shared with other jobs (one BLAS thread per process).",
             f"- Time limit: a mutant gets 2 x {config()['timeout_multiplier']} x (its tests' measured time + "
             f"{config()['timeout_constant']} s) of CPU time; one stopped there counts as a timeout.",
             "- Tests run against each mutant (those of the list below that call the mutated function, fastest "
             "first, stopping at the first failure): " + ", ".join(
                 md_code(t) for t in config()["pytest_add_cli_args_test_selection"].split()) + ".",
             f"- The tests import the mutated copy: `import cvxnn` in `mutants/` gives `{Path(location).relative_to(ROOT)}`, "
             "and the planted mutants below make their test fail there (and pass without them) and are killed in "
             "mutmut's run:"]
    for p in planted:
        lines.append(f"  - `{p['key']}`: {md_code(p['before'])} -> {md_code(p['after'])}, caught by "
                     f"{md_code(p['test'])}")
    by_group = Counter()
    ran_group = Counter()
    for key, code in results.items():
        g = group_of(*split_key(key)[:2])
        if g:
            by_group[g] += 1
            ran_group[g] += code is not None
    full = [g for g in GROUPS if by_group[g] and ran_group[g] == by_group[g]]
    part = [g for g in GROUPS if 0 < ran_group[g] < by_group[g]]
    none = [g for g in GROUPS if ran_group[g] == 0]
    lines += ["- Groups run in full: " + (", ".join(f"{g} ({by_group[g]} mutants)" for g in full) or "none") + "; in "
              "part: " + (", ".join(f"{g} ({ran_group[g]} of {by_group[g]} mutants)" for g in part) or "none")
              + "; not run in this run: " + (", ".join(f"{g} ({by_group[g]} mutants)" for g in none) or "none")
              + ". Nothing below is claimed for the mutants not run."]
    lines += ["- mutmut mutates the bodies of functions only: module constants (the tolerances `TOL_ABS`, "
              "`TOL_REL`, ...) and decorated functions (properties such as `Certificate.lower_bound`) are not "
              "mutated; the tolerances are checked by literal-number tests (tests/test_certify.py::"
              "test_gap_threshold, tests/test_certificate_rules.py).", ""]
    # counts per group and function
    table = {}
    for key, code in results.items():
        module, function, _ = split_key(key)
        g = group_of(module, function)
        if g is None:
            continue
        status = STATUS.get(code, "other")
        table.setdefault(g, {}).setdefault(f"{module}.{function}", Counter())[status] += 1
    lines += ["## Results", "",
              "Per function: mutants generated, and how each ended (`not run`: generated but not run yet).", ""]
    grand = Counter()
    for g, (what, functions) in GROUPS.items():
        lines += [f"### {g}: {what}", "", "| function | mutants | " + " | ".join(COLUMNS) + " |",
                  "|---|---:|" + "---:|" * len(COLUMNS)]
        sub = Counter()
        for module, names in functions.items():
            for fn in names:
                c = table.get(g, {}).get(f"{module}.{fn}", Counter())
                n = sum(c.values())
                sub.update(c)
                lines.append(f"| `{module}.{fn}` | {n} | " + " | ".join(str(c[s]) for s in COLUMNS) + " |")
        lines.append(f"| **total** | **{sum(sub.values())}** | " + " | ".join(f"**{sub[s]}**" for s in COLUMNS) + " |")
        lines.append("")
        grand.update(sub)
    lines += ["### All groups", "", "| group | mutants | " + " | ".join(COLUMNS) + " |",
              "|---|---:|" + "---:|" * len(COLUMNS)]
    for g in GROUPS:
        c = Counter()
        for counts in table.get(g, {}).values():
            c.update(counts)
        lines.append(f"| {g} | {sum(c.values())} | " + " | ".join(str(c[s]) for s in COLUMNS) + " |")
    lines += [f"| **all** | **{sum(grand.values())}** | " + " | ".join(f"**{grand[s]}**" for s in COLUMNS) + " |", ""]
    # survivors and timeouts
    survivors = [k for k in results if group_of(*split_key(k)[:2]) and STATUS.get(results[k], "other") != "killed"
                 and STATUS.get(results[k]) != "not run"]
    lines += ["## The target in the strict groups", "",
              f"Target: no surviving non-equivalent mutant in the groups {', '.join(STRICT_GROUPS)}. Per group: "
              "how many of its mutants were run, and the survivors that are not equivalent (accepted or without a "
              "verdict). A group with mutants not run is not covered by this report for those mutants.", "",
              "| group | mutants | run | not run | survivors | not equivalent | target |", "|---|---:|---:|---:|---:|---:|---|"]
    for g in STRICT_GROUPS:
        keys = [k for k in results if group_of(*split_key(k)[:2]) == g]
        ran = [k for k in keys if results[k] is not None]
        surv = [k for k in survivors if k in set(keys)]
        bad = [k for k in surv if (verdict(k) or ("",))[0] not in ("equivalent", "detected")]
        state = ("not run in this run" if not ran else "met for the mutants run" if not bad else "not met")
        if ran and len(ran) == len(keys) and not bad:
            state = "met"
        lines.append(f"| {g} | {len(keys)} | {len(ran)} | {len(keys) - len(ran)} | {len(surv)} | {len(bad)} | "
                     f"{state} |")
    lines.append("")
    lines += ["## Survivors", "",
              "Every mutant that was run and not killed (survived, timeout, no tests), with its verdict.", "",
              "| mutant | status | change | verdict | reason |", "|---|---|---|---|---|"]
    unexplained = []
    for key in sorted(survivors, key=lambda k: (list(GROUPS).index(group_of(*split_key(k)[:2])), split_key(k))):
        minus, plus = diff(key)
        v = verdict(key)
        if v is None:
            unexplained.append(key)
            v = ("UNEXPLAINED", "no verdict yet")
        change = md_code(" | ".join(minus)) + " -> " + md_code(" | ".join(plus))
        lines.append(f"| `{key}` | {STATUS.get(results[key], 'other')} | {change} | {v[0]} | {v[1]} |")
    lines.append("")
    # killed by the new tests
    lines += ["## Killed by the tests added for them", "",
              "Mutants that survived their first run in this mutants/ folder and were killed when run again after "
              "tests were added, with the test named for it where there is one (checked: the test fails with the "
              "mutant, in mutants/; otherwise, or with `--skip-new-test-check`, the mutant's status in mutmut's "
              "last run of it).", "",
              "| mutant | change | killed by | checked |", "|---|---|---|---|"]
    before = json.loads(BEFORE_RERUN.read_text()) if BEFORE_RERUN.exists() else {}
    for key in sorted(results, key=split_key):
        if group_of(*split_key(key)[:2]) is None or before.get(key, "killed") == "killed":
            continue
        if STATUS.get(results[key]) != "killed":
            continue  # still not killed: listed with its verdict above
        test = new_test_for(key)
        minus, plus = diff(key)
        ok = f"{STATUS.get(results[key], 'other')} in mutmut's last run of it"
        if check_new_tests and test:
            ok = "fails with the mutant" if run_test_against(key, test) != 0 else "PASSES WITH THE MUTANT"
        by = f"`{test}`" if test else "a test added after its first run (mutmut's rerun with the new tests)"
        lines.append(f"| `{key}` | {md_code(' | '.join(minus))} -> {md_code(' | '.join(plus))} | {by} | {ok} |")
    lines.append("")
    lines += ["## Runs", "", "Each mutmut run, with the mutants handed to it (a run stopped early ran fewer; the tables "
              "above count what ran).", "", "| date | what | mutants handed | seconds |", "|---|---|---:|---:|"]
    lines += [f"| {r['date']} | {r['what']} | {r['mutants']} | {r['seconds']} |" for r in runs]
    lines.append("")
    REPORT.write_text("\n".join(lines))
    print(f"wrote {REPORT.relative_to(ROOT)}: {sum(grand.values())} mutants in the groups, "
          f"{len(survivors)} not killed, {len(unexplained)} without a verdict")
    for key in unexplained:
        minus, plus = diff(key)
        print(f"  {key}: {' | '.join(minus)}  ->  {' | '.join(plus)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--groups", default=",".join(GROUPS), help="comma-separated: " + ", ".join(GROUPS))
    ap.add_argument("--rerun", help="comma-separated statuses (survived, timeout, no tests, other, not run): run "
                                    "the mutants with these statuses again (e.g. after adding tests)")
    ap.add_argument("--only", help="only the functions matching this glob on 'module.function'")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--fresh", action="store_true", help="delete mutants/ first")
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--skip-new-test-check", action="store_true",
                    help="do not rerun the added tests against the mutants they kill when writing the report")
    args = ap.parse_args(argv)
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        ap.error(f"unknown groups: {sorted(unknown)}")
    if args.fresh and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    rerun = [r.strip() for r in args.rerun.split(",")] if args.rerun else None
    if rerun and set(rerun) - set(STATUS.values()) - {"other"}:
        ap.error(f"unknown statuses in --rerun: {sorted(set(rerun) - set(STATUS.values()) - {'other'})}")
    if not args.report_only:
        run(groups, rerun, args.max_children, args.only)
    report(check_new_tests=not args.skip_new_test_check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
