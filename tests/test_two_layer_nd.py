"""Two-layer nets in any input dimension (theory: "Two-layer nets on hyperplane arrangements", "Certificates"): the
arrangement group lasso, its pruning and certificate, pattern generation, sampling scope, and certificates for nets
trained elsewhere."""

import numpy as np
import pytest
from scipy.optimize import minimize

import cvxnn
from cvxnn.data import write_csv

from .conftest import rel, require


def data(n=14, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, np.sin(X[:, 0]) + X[:, -1] ** 2 - 0.5


@pytest.mark.parametrize("activation", ["relu", "leaky", "abs"])
@pytest.mark.parametrize("bias", ["penalized", "none"])
def test_reconstruction_equals_optimum_and_prunes(activation, bias):
    X, y = data(12, 2, seed=1)
    t = cvxnn.train(X, y, cvxnn.TwoLayer(activation, bias=bias), beta=0.05)
    net = t.network
    assert t.certificate.globally_optimal, t.certificate.failures
    assert rel(net.objective(X, y), t.result.convex_objective) < 1e-6
    w = net.meta["widths"]
    assert w["pruned"] <= len(y) + 1 and w["pruned"] <= w["merged"] <= w["raw"]
    # hand-written forward pass and penalty (the bias is penalised with 'penalized')
    act = {"relu": lambda u: np.maximum(u, 0), "leaky": lambda u: np.maximum(u, 0.1 * u), "abs": np.abs}[activation]
    W1, b1, a = net.layers[0].weight, net.layers[0].bias, net.layers[1].weight[0]
    f = act(X @ W1.T + b1) @ a
    pen = 0.05 / 2 * (np.sum(W1**2) + np.sum(a**2) + (np.sum(b1**2) if bias == "penalized" else 0))
    assert rel(0.5 * np.sum((f - y) ** 2) + pen, net.objective(X, y)) < 1e-12
    if bias == "none":
        assert np.all(b1 == 0)


def test_one_dimensional_penalized_bias_uses_the_arrangement():
    x = np.linspace(-1, 1, 9)
    t = cvxnn.train(x, np.abs(x) - 0.3 * x, cvxnn.TwoLayer("relu", bias="penalized"), beta=0.01)
    assert t.program.summary()["n_patterns"] == 2 * 9  # 2 * (C(8, 0) + C(8, 1)) with r = 2
    assert t.certificate.globally_optimal


@pytest.mark.parametrize("activation", ["relu", "leaky", "abs"])
def test_dual_oracle_against_random_units(activation):
    """No random unit beats the NNLS oracle, and local search from the best random units comes close (this also
    checks the leaky-ReLU program, derived in theory: "Two-layer nets on hyperplane arrangements")."""
    X, y = data(10, 2, seed=2)
    t = cvxnn.train(X, y, cvxnn.TwoLayer(activation), beta=0.05)
    lam = t.result.dual
    sup, _ = t.program.dual_sup(lam)
    Xb = np.hstack([X, np.ones((len(y), 1))])
    sigma = {"relu": lambda u: np.maximum(u, 0), "leaky": lambda u: np.maximum(u, 0.1 * u), "abs": np.abs}[activation]
    rng = np.random.default_rng(0)
    U = rng.normal(size=(200_000, 3))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    scores = np.abs(sigma(Xb @ U.T).T @ lam)
    assert scores.max() <= sup * (1 + 1e-9)
    best = scores.max()
    for u0 in U[np.argsort(-scores)[:5]]:
        r = minimize(lambda u: -abs(lam @ sigma(Xb @ (u / np.linalg.norm(u)))), u0, method="Nelder-Mead",
                     options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 4000})
        best = max(best, -r.fun)
    assert best <= sup * (1 + 1e-9) and best >= sup * (1 - 1e-6)


def test_pattern_generation_matches_the_full_program():
    X, y = data(16, 2, seed=3)
    full = cvxnn.train(X, y, cvxnn.TwoLayer("relu", column_generation=False), beta=0.02)
    cg = cvxnn.train(X, y, cvxnn.TwoLayer("relu", column_generation=True), beta=0.02)
    assert type(cg.program).__name__ == "PatternGenerationProgram"
    assert abs(cg.result.convex_objective - full.result.convex_objective) <= 1e-8 * max(1, full.result.convex_objective)
    assert cg.certificate.globally_optimal and cg.program.final.size < full.program.size
    assert cg.program.log[-1]["added"] == 0


def test_sampled_patterns_never_claim_global():
    X, y = data(14, 2, seed=4)
    t = cvxnn.train(X, y, cvxnn.TwoLayer("relu", patterns="sample", n_samples=50), beta=0.02)
    exact = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=0.02)
    assert t.certificate.scope == "sampled" and not t.globally_optimal
    assert "SAMPLED" in t.certificate.oracle and "GLOBALLY" not in t.summary()
    assert t.result.convex_objective >= exact.result.convex_objective - 1e-9  # a restriction: an upper bound
    d = t.to_dict()
    assert d["scope"] == "sampled" and d["patterns_mode"] == "sample" and d["globally_optimal"] is False


def test_too_many_patterns_is_refused_before_enumeration():
    X, y = data(60, 4, seed=0)
    with pytest.raises(cvxnn.ProblemTooLargeError, match="max_patterns"):
        cvxnn.build(X, y, cvxnn.TwoLayer("relu", max_patterns=1000), beta=0.1)


def test_refused_combinations_in_d_dimensions():
    X, y = data(8, 2)
    with pytest.raises(cvxnn.UnsupportedCombinationError, match="'free'"):
        cvxnn.build(X, y, cvxnn.TwoLayer("relu", bias="free"), beta=0.1)
    with pytest.raises(cvxnn.UnsupportedCombinationError, match="1-D data"):
        cvxnn.build(X, y, cvxnn.TwoLayer("sign"), beta=0.1)
    with pytest.raises(cvxnn.UnsupportedCombinationError, match="interpolation"):
        cvxnn.build(X, y, cvxnn.TwoLayer("relu"), mode="interpolation")


def test_cli_solve_in_two_dimensions(tmp_path, capsys):
    import json

    from cvxnn.cli import main

    X, y = data(12, 2, seed=5)
    path = tmp_path / "d2.csv"
    write_csv(path, X, y)
    out = tmp_path / "o.json"
    assert main(["solve", "--data", str(path), "--beta", "0.05", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["bias_convention"] == "penalized" and d["patterns_mode"] == "exact" and d["n_patterns"] > 0
    assert d["globally_optimal"] and d["symmetry"] is None
    assert main(["solve", "--data", str(path), "--beta", "0.05", "--patterns", "sample", "--n-samples", "30"]) == 4
    assert "scope 'sampled' only" in capsys.readouterr().out


# ----------------------------------------------------------------------------- nets trained elsewhere
def _sgd_net(X, y, beta, steps, width=24, seed=0):
    torch = require("torch")
    torch.manual_seed(seed)
    m = torch.nn.Sequential(torch.nn.Linear(X.shape[1], width, dtype=torch.float64), torch.nn.ReLU(),
                            torch.nn.Linear(width, 1, bias=False, dtype=torch.float64))
    opt = torch.optim.SGD(m.parameters(), lr=0.01)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        f = m(Xt)[:, 0]
        loss = 0.5 * ((f - yt) ** 2).sum() + beta / 2 * sum((p**2).sum() for p in m.parameters())
        loss.backward()
        opt.step()
    return m


def test_certified_gap_of_sgd_nets_bounds_the_true_gap_and_polishing_closes_it(tmp_path):
    X, y = data(16, 2, seed=6)
    beta = 0.05
    p_star = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=beta).result.convex_objective
    for steps in (50, 500, 3000):
        m = _sgd_net(X, y, beta, steps)
        c = cvxnn.certify_network(m, X, y, beta, polish=steps == 3000)
        true_gap = c.objective - p_star
        assert c.certificate.scope == "global"
        assert c.gap >= true_gap - 1e-9 and c.lower_bound <= p_star + 1e-9
    assert c.polished_certificate.globally_optimal
    assert rel(c.polished_network.objective(X, y), p_star) < 1e-6
    assert c.polished_network.objective(X, y) <= c.objective


def test_certify_cli_with_a_torch_state_dict(tmp_path, capsys):
    torch = require("torch")
    from cvxnn.cli import main

    X, y = data(12, 2, seed=7)
    path = tmp_path / "d.csv"
    write_csv(path, X, y)
    m = _sgd_net(X, y, 0.05, 200)
    torch.save(m.state_dict(), tmp_path / "net.pt")
    code = main(["certify", "--data", str(path), "--weights", str(tmp_path / "net.pt"), "--beta", "0.05", "--polish",
                 "--save-polished", str(tmp_path / "pol.npz")])
    assert code == 1  # the given net (200 SGD steps) is not optimal; only its polished replacement is certified
    out = capsys.readouterr().out
    assert "certified lower bound" in out and "polished network" in out
    assert "the given net is NOT certified; the polished net is" in out
    assert (tmp_path / "pol.npz").exists()
    assert main(["certify", "--data", str(path), "--weights", str(tmp_path / "missing.pt"), "--beta", "0.05"]) == 2


def test_many_start_training_never_beats_the_certified_optimum():
    """Batched many-start float64 training (Adam then L-BFGS) of width-2n nets in d = 2 never goes below the
    certified lower bound, and its best start comes close."""
    torch = require("torch")
    X, y = data(8, 2, seed=8)
    beta = 0.1
    t = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=beta)
    bound = t.certificate.dual_objective
    torch.manual_seed(0)
    S, m = 24, 16
    Xb = torch.tensor(np.hstack([X, np.ones((8, 1))]))
    yt = torch.tensor(y)
    U = torch.randn(S, m, 3, dtype=torch.float64, requires_grad=True)
    a = (0.1 * torch.randn(S, m, dtype=torch.float64)).requires_grad_()

    def objectives():
        f = (torch.relu(torch.einsum("nd,smd->snm", Xb, U)) * a[:, None, :]).sum(-1)
        return 0.5 * ((f - yt) ** 2).sum(-1) + beta / 2 * ((U**2).sum((1, 2)) + (a**2).sum(1))

    opt = torch.optim.Adam([U, a], lr=0.02)
    for _ in range(1500):
        opt.zero_grad()
        objectives().sum().backward()
        opt.step()
    lbfgs = torch.optim.LBFGS([U, a], max_iter=300, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                              tolerance_change=1e-15)

    def closure():
        lbfgs.zero_grad()
        loss = objectives().sum()
        loss.backward()
        return loss

    lbfgs.step(closure)
    with torch.no_grad():
        final = objectives().numpy()
    assert final.min() >= bound - 1e-12
    # training rarely gets closer (theory: "Pattern and column generation")
    assert final.min() <= t.result.convex_objective * (1 + 5e-3)


def test_gated_relu_is_a_different_model_below_the_relu_optimum():
    X, y = data(12, 2, seed=9)
    g = cvxnn.train(X, y, cvxnn.GatedReLU(), beta=0.05)
    r = cvxnn.train(X, y, cvxnn.TwoLayer("relu"), beta=0.05)
    assert g.to_dict()["model"] == "gated-relu" and g.certificate.globally_optimal
    assert g.result.convex_objective <= r.result.convex_objective + 1e-9
    assert rel(g.network.objective(X, y), g.result.convex_objective) < 1e-6
    # the gated forward pass by hand
    net = g.network
    Xb = np.hstack([X, np.ones((len(y), 1))])
    f = ((Xb @ net.gates.T >= 0) * (Xb @ net.U.T)) @ net.alpha
    np.testing.assert_allclose(f, net.predict(X), atol=1e-12)
    assert "gated ReLU" in g.explain()


def test_gated_relu_beta_path_reuses_the_program_and_matches_fresh_builds():
    """set_beta on the gated program (a DPP parameter): each re-solve equals a program built for that beta (1e-7
    relative) and is certified; a negative beta is refused."""
    X, y = data(10, 2, seed=4)
    prog = cvxnn.build(X, y, cvxnn.GatedReLU(), beta=1.0)
    for beta in (1.0, 0.1, 0.01):
        prog.set_beta(beta)
        res = prog.solve()
        fresh = cvxnn.train(X, y, cvxnn.GatedReLU(), beta=beta)
        assert rel(res.convex_objective, fresh.result.convex_objective) < 1e-7
        assert cvxnn.certify(prog, res).globally_optimal
    with pytest.raises(cvxnn.CvxnnError):
        prog.set_beta(-1.0)


def test_l1_normalised_abs_nets_through_the_api_and_cli(tmp_path):
    from cvxnn.cli import main

    X, y = data(10, 3, seed=10)
    t = cvxnn.train(X, y, cvxnn.TwoLayer("abs", inner_norm="l1"), beta=0.05)
    assert t.certificate.globally_optimal and t.program.size == 285  # C(10 + 3, 3) - 1 on general-position data
    W1 = t.network.layers[0].weight
    a = t.network.layers[1].weight[0]
    pen = 0.05 / 2 * (np.sum(np.abs(W1).sum(axis=1) ** 2) + np.sum(a**2))  # (beta/2)(||w||_1^2 + alpha^2)
    assert rel(t.network.penalty_value(), pen) < 1e-12
    assert rel(t.network.objective(X, y), t.result.convex_objective) < 1e-6
    with pytest.raises(cvxnn.UnsupportedCombinationError, match="absolute-value nets only"):
        cvxnn.TwoLayer("relu", inner_norm="l1")
    path = tmp_path / "d3.csv"
    write_csv(path, X, y)
    assert main(["solve", "--data", str(path), "--activation", "abs", "--inner-norm", "l1", "--beta", "0.05"]) == 0
