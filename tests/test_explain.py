"""explain(): the duality lesson states values that agree with the certificate and with complementary slackness."""

import re

import numpy as np

import cvxnn
from cvxnn.cli import main
from cvxnn.data import TOY_SETS


def test_explain_states_the_numbers():
    x, y = (np.array(v, float) for v in TOY_SETS["opt"])
    t = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.1)
    text = t.explain()
    assert f"Primal value P = {t.result.convex_objective:.10g}" in text
    assert f"Dual value D = {t.certificate.dual_objective:.10g}" in text
    assert "GLOBALLY OPTIMAL" in text
    # every active unit is on a tight constraint with the matching sign (complementary slackness)
    lines = [ln for ln in text.splitlines() if "tight with matching sign" in ln]
    assert len(lines) == t.network.width and all(ln.endswith("yes") for ln in lines)
    tight = int(re.search(r"\): (\d+) of (\d+) columns", text).group(1))
    assert tight >= t.network.width


def test_explain_interpolation_and_cli(tmp_path, capsys):
    x, y = (np.array(v, float) for v in TOY_SETS["zshape"])
    t = cvxnn.train(x, y, cvxnn.TwoLayer("abs"), mode="interpolation")
    assert "minimum-norm interpolation" in t.explain()
    path = tmp_path / "d.csv"
    path.write_text("x,y\n0,0\n2,0\n6,3\n7,3\n")
    assert main(["solve", "--data", str(path), "--activation", "sign", "--beta", "0.1", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "Duality lesson" in out and "amplitude s = sqrt|z_j|" in out


def test_explain_says_not_certified():
    from cvxnn.data import noisy_sine

    x, y = noisy_sine(30, seed=0)
    t = cvxnn.train(x, y, cvxnn.TwoLayer("relu"), beta=0.01, solver="scs", accuracy="low")
    assert "NOT certified" in t.explain()
