"""A short lesson in convex duality for one solved instance: what a teacher would project in class."""

from __future__ import annotations

import numpy as np

from .certify import project_free

MAX_ROWS = 12
TIGHT = 1e-6


def dictionary_lesson(trained) -> str:
    """The lesson for a Lasso (or interpolation LP) over a finite dictionary: primal value, dual value, tight dual
    constraints and the units on them, and how the net was rebuilt."""
    prog, res, cert = trained.program, trained.result, trained.certificate
    s = prog.summary()
    interp = prog.mode == "interpolation"
    D = prog.dictionary
    beta = 1.0 if interp else float(prog.beta.value)
    lam = project_free(prog, res.dual if res.dual is not None else prog.y - res.network.predict(prog.X))
    # each column's dual constraint value |.| <= beta (dual_scores: after the column's penalty weight and any
    # multiplier of the program's own constraints)
    scores = (D.dual_scores(lam) if hasattr(D, "dual_scores") else D.scores(lam)) / beta
    active = [int(j) for j in res.network.meta.get("dictionary_columns", [])]
    tight = np.flatnonzero(np.abs(scores) >= 1 - TIGHT)
    act = s["activation"]
    step = act in ("sign", "threshold")
    out = []
    add = out.append
    add(f"Duality lesson: {s['model']} {act} net on n = {s['n']} points, "
        + ("minimum-norm interpolation (beta -> 0)" if interp else f"beta = {beta:g}") + ".")
    add("")
    add("1. The training problem (non-convex in the weights, any width):")
    if interp:
        add("     minimise the weight cost (1/2) sum_i (w_i^2 + alpha_i^2) subject to f(x_k) = y_k for every k,")
    elif step:
        add("     minimise (1/2) sum_k (f(x_k) - y_k)^2 + " + res.network.penalty.description)
    else:
        add("     minimise (1/2) sum_k (f(x_k) - y_k)^2 + (beta/2) sum_i (w_i^2 + alpha_i^2),")
    add(f"     f(x) = sum_i alpha_i {act}(w_i x + b_i)" + (" + xi" if prog.has_output_bias else "") + ".")
    add("2. The convex problem. Rescaling each unit (AM-GM: (w^2 + alpha^2)/2 >= |w alpha|) makes the cost of a")
    add("   unit its coefficient |z_j|; a unit's breakpoint can sit at a data point (or in a gap, for step units)")
    add(f"   without loss, so training is a {s['program']} over {s['dictionary_size']} columns:")
    add("     min ||z||_1  s.t.  A z + xi 1 = y" if interp else
        "     min (1/2)||A z + xi 1 - y||^2 + beta ||z||_1" if prog.has_output_bias else
        "     min (1/2)||A z - y||^2 + beta ||z||_1")
    add(f"   Primal value P = {res.convex_objective:.10g}.")
    add("3. The dual problem, one constraint per unit of the network (infinitely many):")
    add("     max " + ("lambda^T y" if interp else "lambda^T y - (1/2)||lambda||^2") + "  subject to")
    add("       " + ("sum_k lambda_k = 0  and  " if prog.has_output_bias else "")
        + f"|lambda^T {act}(w x + b)| <= {'1' if interp else 'beta'} for every unit with |w| = 1.")
    add("   The solver's multiplier of the data constraint gives lambda"
        + ("" if interp else " (it equals the residual y - f(X))") + ".")
    add(f"   Largest constraint value over ALL units / {'1' if interp else 'beta'} = {cert.dual_violation:.10f}"
        f" (oracle: {cert.oracle}).")
    add(f"   Dual value D = {cert.dual_objective:.10g} after scaling lambda by {cert.dual_scale:.10f} into feasibility.")
    add(f"   Weak duality: every network of every width has objective >= D. The rebuilt network has {cert.objective:.10g},")
    add(f"   so it is within {cert.certified_gap:.2e} of the global optimum.")
    add(f"4. Tight dual constraints (|A_j^T lambda| = {'1' if interp else 'beta'} to {TIGHT:g}): {tight.size} of {D.size} columns.")
    for j in tight[:MAX_ROWS]:
        mark = "active" if j in active else "tight, unused"
        add(f"     {D.describe(j):28s} A_j^T lambda / {'1' if interp else 'beta'} = {scores[j]:+.8f}   {mark}")
    if tight.size > MAX_ROWS:
        add(f"     ... and {tight.size - MAX_ROWS} more")
    add("5. Why each active unit is there (complementary slackness: z_j != 0 only on a tight constraint,")
    add("   with sign(z_j) = sign(A_j^T lambda)):")
    for j in active[:MAX_ROWS]:
        ok = "yes" if abs(abs(scores[j]) - 1) < 1e-4 and np.sign(scores[j]) == np.sign(res.z[j]) else "NO"
        add(f"     {D.describe(j):28s} z_j = {res.z[j]:+.8g}   tight with matching sign: {ok}")
    if len(active) > MAX_ROWS:
        add(f"     ... and {len(active) - MAX_ROWS} more")
    add("6. How the network was rebuilt, one hidden unit per nonzero z_j:")
    formula = getattr(D, "rebuild_formula", None)
    if formula:
        for line in formula:
            add("     " + line)
    elif step:
        add("     w = 1, b = -c_j; " + ("alpha = z_j." if s.get("sign_objective") == "l1-outer" else
                                       "amplitude s = sqrt|z_j|, alpha = sign(z_j) sqrt|z_j|."))
    else:
        add("     w = s_j sqrt|z_j|, b = -s_j c_j sqrt|z_j|, alpha = sign(z_j) sqrt|z_j|, so that")
        add("     alpha * sigma(w x + b) = z_j sigma(s_j (x - c_j)) and (w^2 + alpha^2)/2 = |z_j|.")
    if prog.has_output_bias:
        add(f"     Output bias xi = {res.xi:.8g}.")
    add(f"   The rebuilt network's own objective differs from P by {cert.reconstruction_gap:.2e} (relative).")
    add(f"7. Verdict: {verdict(cert)}")
    return "\n".join(out)


def verdict(cert) -> str:
    return ("GLOBALLY OPTIMAL: certified with scope 'global'." if cert.globally_optimal else
            f"NOT certified: {'; '.join(cert.failures)}." if not cert.certified else
            f"certified for scope {cert.scope!r} only.")
