"""The problem library: seeded generators, families in three sizes, suites covering every model and activation,
generator keys in problem files, and `cvxnn bench --suite / --list`."""

from pathlib import Path

import numpy as np
import pytest

import cvxnn.bench as bench
from cvxnn.bench import run_bench
from cvxnn.cli import main
from cvxnn.errors import InvalidParameterError, ProblemFileError
from cvxnn.problems import FAMILIES, GENERATORS, SUITES, builtin_problems, generate, load_problem, suite

README = Path(__file__).resolve().parent.parent / "problems" / "README.md"


def _d(p):
    return 1 if np.asarray(p.X).ndim == 1 else int(np.asarray(p.X).shape[1])


@pytest.mark.parametrize("size", SUITES)
def test_every_suite_covers_every_model_and_activation(size):
    probs = suite(size)
    names = [p.name for p in probs]
    assert len(names) == len(set(names)) == len(FAMILIES)  # every family in every size, names unique
    kinds = {(p.model, p.activation, p.depth, _d(p) > 1, p.mode, p.inner_norm) for p in probs}
    for act in ("relu", "leaky", "abs", "sign", "threshold"):  # 1-D two-layer, training
        assert ("two-layer", act, None, False, "training", None) in kinds
    for act in ("relu", "abs"):
        assert ("two-layer", act, None, False, "interpolation", None) in kinds
    for act in ("relu", "abs"):
        for depth in (3, 4):
            assert ("deep-1d", act, depth, False, "training", None) in kinds
    for act in ("relu", "leaky", "abs"):  # arrangement programs in d = 2 and 3
        assert {_d(p) for p in probs if p.model == "two-layer" and p.activation == act and _d(p) > 1
                and p.inner_norm is None} == {2, 3}
    assert ("gated-relu", "relu", None, True, "training", None) in kinds
    assert ("two-layer", "abs", None, True, "training", "l1") in kinds  # the wedge Lasso
    assert {p.inner_norm for p in probs if p.model == "deep-abs"} == {"l1", "l2"}
    # the published toy sets, training and minimum-norm interpolation
    for toy in ("opt", "zshape", "bounce"):
        assert {f"{toy}-relu", f"{toy}-relu-interp"} <= set(names)


def test_sizes_grow_and_names_carry_n():
    by_size = {s: {p.extra["family"]: p for p in suite(s)} for s in SUITES}
    for fam in FAMILIES:
        ns = [by_size[s][fam.name].n for s in SUITES]
        assert ns == sorted(ns), fam.name
        if fam.generator != "toy":
            assert ns[0] < ns[2], fam.name
            for s in SUITES:
                assert by_size[s][fam.name].name.endswith(f"-n{by_size[s][fam.name].n}")
    assert max(p.n for p in suite("tiny")) <= 8


def test_suites_are_seeded():
    a, b = suite("small"), suite("small")
    for p, q in zip(a, b):
        assert p.name == q.name
        np.testing.assert_array_equal(p.X, q.X)
        np.testing.assert_array_equal(p.y, q.y)
    assert [p.name for p in builtin_problems()] == [p.name for p in a]


def test_tiny_suite_is_certified_by_clarabel():
    rows = run_bench(suite("tiny"), ["clarabel"], ["high"])
    bad = [(r["problem"], r["status"], r["error"]) for r in rows if not r["certified"]]
    assert not bad
    assert all(r["scope"] == "global" for r in rows)


def test_generators():
    x, y = generate("sawtooth", order=3)
    assert len(x) == 17 and y.tolist() == [0, 0.5, 1, 0.5] * 4 + [0]  # g_3 on k/16: four teeth
    X, y = generate("gaussian", n=9, d=3, seed=1)
    assert X.shape == (9, 3) and y.shape == (9,)
    x, _ = generate("noisy_sine", n=5, spacing="grid")
    np.testing.assert_allclose(x, [-2, -1, 0, 1, 2])
    x, y = generate("toy", set="zshape")
    assert x.tolist() == [0, 2, 6, 7] and y.tolist() == [0, 0, 3, 3]
    for kwargs, needle in (({"n": 1}, "must be >= 2"), ({"spacing": "grd"}, "Did you mean 'grid'"),
                           ({"d": 2}, "takes n, seed, noise, spacing; received 'd'")):
        with pytest.raises(InvalidParameterError, match=needle):
            generate("noisy_sine", **kwargs)
    with pytest.raises(InvalidParameterError, match="Did you mean 'gaussian'"):
        generate("gausian", n=4)
    with pytest.raises(InvalidParameterError, match="unknown toy set 'opt2'"):
        generate("toy", set="opt2")


def test_problem_files_take_every_generator(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text('name = "w"\nactivation = "abs"\ninner_norm = "l1"\nbeta = 0.01\n'
                    '[data]\ngenerator = "gaussian"\nn = 7\nd = 2\nseed = 3\n')
    p = load_problem(path)
    np.testing.assert_array_equal(p.X, generate("gaussian", n=7, d=2, seed=3)[0])
    path.write_text('mode = "interpolation"\nactivation = "abs"\n[data]\ngenerator = "sawtooth"\norder = 2\n')
    assert load_problem(path).n == 9


@pytest.mark.parametrize("data, key", [
    ('generator = "gaussian"\nn = 6\norder = 2\n', "'data.order'"),
    ('generator = "noisy_sine"\nd = 2\n', "'data.d'"),
    ('generator = "gaussian"\nn = 1\n', "must be >= 2"),
    ('generator = "noisy_sine"\nspacing = "even"\n', "'data.spacing'"),
    ('generator = "toy"\nset = "bouncy"\n', "Did you mean 'bounce'"),
    ('generator = "sawtooth"\norder = 40\n', "must be <= 12"),
    ('x = [0, 1, 2]\ny = [0, 1, 0]\nn = 3\n', "'data.n'"),
])
def test_bad_generator_keys_name_file_and_key(tmp_path, data, key):
    path = tmp_path / "bad.toml"
    path.write_text(f'beta = 0.1\n[data]\n{data}')
    with pytest.raises(ProblemFileError) as info:
        load_problem(path)
    assert key in str(info.value) and "bad.toml" in str(info.value)


def test_unknown_suite_is_refused():
    with pytest.raises(InvalidParameterError, match="unknown suite 'large'.*'tiny', 'small', 'medium'"):
        suite("large")
    with pytest.raises(InvalidParameterError, match="Did you mean 'medium'"):
        suite("meduim")


def test_readme_documents_every_family_and_generator():
    text = README.read_text()
    for fam in FAMILIES:
        assert f"`{fam.name}`" in text, fam.name
    for gen in GENERATORS:
        assert f"`{gen}`" in text, gen
    for size in SUITES:
        assert f"`{size}`" in text


def test_cli_list_prints_the_suite_and_runs_nothing(capsys, monkeypatch):
    monkeypatch.setattr(bench, "run_row", lambda *a, **k: pytest.fail("--list runs nothing"))
    assert main(["bench", "--suite", "medium", "--list"]) == 0
    out = capsys.readouterr().out
    for p in suite("medium"):
        assert f"| {p.name} " in out
    assert f"{len(FAMILIES)} problems." in out


def test_cli_suite_with_problem_files(tmp_path, capsys):
    path = tmp_path / "extra.toml"
    path.write_text('name = "extra"\nbeta = 0.1\n[data]\nx = [0, 1, 2, 3]\ny = [0, 1, 0, 1]\n')
    assert main(["bench", str(path), "--list"]) == 0  # a file alone: no suite
    assert "1 problems." in capsys.readouterr().out
    assert main(["bench", str(path), "--suite", "tiny", "--list"]) == 0
    assert f"{len(FAMILIES) + 1} problems." in capsys.readouterr().out
