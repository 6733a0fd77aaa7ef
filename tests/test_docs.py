"""The documentation: every tutorial runs (and asserts what its text claims), the site builds with
``mkdocs build --strict``, the generated references cover the whole CLI and the public API, and the outputs pasted
into the pages are what the code prints today."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cvxnn

from .conftest import require

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

THEORY_HEADINGS = [
    "Conventions", "Rescaling and duality", "Two-layer nets on 1-D data", "Deep ReLU chains on 1-D data",
    "Deep absolute-value chains on 1-D data", "Two-layer nets on hyperplane arrangements", "Gated ReLU nets",
    "Merging and pruning", "Pattern and column generation", "Wedges: l1-normalised absolute-value nets",
    "Three-layer absolute-value nets in d dimensions", "Certificates", "Symmetry", "Functional dimension",
    "Seed experiments",
]

#: tutorial -> (optional modules it needs, figures it writes)
TUTORIALS = {
    "dual_certificate": (("torch",), ("dual_optimum.png", "dual_adam.png")),
    "stuck": (("torch",), ("stuck.png",)),
    "depth_reflections": ((), ("depth_breakpoints.png", "sawtooth.png")),
    "any_dimension": ((), ("arrangement_fit.png",)),
    "comparing_solvers": ((), ("bench/profile.png", "bench/report.md", "bench/runs.csv")),
}


def hooks():
    """docs/hooks.py as a module (it is not part of the package)."""
    name = "cvxnn_docs_hooks"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, DOCS / "hooks.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file runs
        spec.loader.exec_module(module)
    return sys.modules[name]


def run_env(**extra):
    env = dict(os.environ)
    env.update(MPLBACKEND="Agg", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               NO_MKDOCS_2_WARNING="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(extra)
    return env


# ------------------------------------------------------------------------------------------------ structure
def test_theory_has_the_section_headings_in_order():
    """Code docstrings cite these sections by name: the second-level headings are exactly these, in this order."""
    text = (DOCS / "theory.md").read_text()
    assert re.findall(r"^## (.+)$", text, flags=re.M) == THEORY_HEADINGS


def test_theory_cites_only_tests_that_exist():
    """Every 'tests/FILE.py::NAME' named as numerical evidence in the theory page is a test function in that file."""
    text = (DOCS / "theory.md").read_text()
    cited = set(re.findall(r"tests/(test_\w+\.py)::(test_\w+)", text))
    assert len(cited) > 50
    missing = [f"{f}::{name}" for f, name in sorted(cited)
               if not re.search(rf"^def {name}\(", (ROOT / "tests" / f).read_text(), flags=re.M)]
    assert not missing, missing


def test_api_reference_documents_exactly_the_public_names():
    documented = re.findall(r"^::: cvxnn\.(\w+)\s*$", (DOCS / "api.md").read_text(), flags=re.M)
    assert sorted(documented) == sorted(cvxnn.__all__)
    assert len(documented) == len(set(documented))


def test_cli_reference_covers_every_subcommand_and_option():
    from cvxnn.cli import build_parser

    text = hooks().cli_reference()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert set(sub.choices) == {"solve", "bench", "plot", "certify", "solvers"}
    for name, subparser in sub.choices.items():
        assert f"## `cvxnn {name}`" in text
        for action in subparser._actions:
            for flag in action.option_strings:
                assert flag in text, (name, flag)
    assert "exit codes:" in text


def test_every_results_file_has_a_benchmark_page():
    pages = {source for _, source, _, _ in hooks().RESULTS}
    files = {p.relative_to(ROOT).as_posix() for p in ROOT.glob("results/*.md")}
    files |= {p.relative_to(ROOT).as_posix() for p in ROOT.glob("results/*/report.md")}
    assert files == pages
    summary = hooks().results_summary()
    for _, source, title, _ in hooks().RESULTS:
        assert title in summary and source in summary


def test_tutorials_are_jupytext_percent_scripts():
    jupytext = require("jupytext")
    h = hooks()
    scripts = h.tutorial_scripts()
    assert sorted(p.stem for p in scripts) == sorted(TUTORIALS)
    for path in scripts:
        notebook = jupytext.read(path, fmt="py:percent")
        kinds = [c.cell_type for c in notebook.cells if c.source.strip()]
        assert kinds == [c.kind for c in h.parse_percent(path.read_text())], path.name
        assert kinds[0] == "markdown" and notebook.cells[0].source.startswith("# "), path.name


# ------------------------------------------------------------------------------------------------ tutorials
#: tutorials that take 10-50 s on 2 cores run with the slow checks (python -m pytest -m slow)
SLOW_TUTORIALS = ("comparing_solvers", "dual_certificate", "stuck")


@pytest.mark.parametrize("name", [pytest.param(t, marks=pytest.mark.slow) if t in SLOW_TUTORIALS else t
                                  for t in sorted(TUTORIALS)])
def test_tutorial_runs(name, tmp_path):
    """Run the script as a user would (figures to $CVXNN_TUTORIAL_OUT). Each tutorial asserts its own claims."""
    needs, figures = TUTORIALS[name]
    for module in needs:
        require(module)
    run = subprocess.run([sys.executable, str(DOCS / "tutorials" / f"{name}.py")], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env=run_env(CVXNN_TUTORIAL_OUT=str(tmp_path)))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for figure in figures:
        assert (tmp_path / figure).is_file(), figure


def test_executed_render_shows_each_cells_output_and_figures():
    """The page of an executed tutorial has the printed output under its cell and embeds the figures it wrote."""
    rendered = hooks().render_tutorial(DOCS / "tutorials" / "any_dimension.py", execute=True)
    assert "count formula:" in rendered.markdown and "```text" in rendered.markdown
    assert "![arrangement_fit.png](any_dimension/arrangement_fit.png)" in rendered.markdown
    assert rendered.images["arrangement_fit.png"][:8] == b"\x89PNG\r\n\x1a\n"
    source_only = hooks().render_tutorial(DOCS / "tutorials" / "any_dimension.py")
    assert "```text" not in source_only.markdown and not source_only.images


# ------------------------------------------------------------------------------------------------ pasted output
def _same_output(expected: str, actual: str) -> bool:
    """Line by line: the same words, and numbers equal to rel 1e-6 (abs 1e-8 for tiny ones such as gaps)."""
    number = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
    exp_lines, act_lines = expected.strip().splitlines(), actual.strip().splitlines()
    if len(exp_lines) != len(act_lines):
        return False
    for e, a in zip(exp_lines, act_lines):
        if re.sub(number, "#", e).split() != re.sub(number, "#", a).split():
            return False
        for x, y in zip(re.findall(number, e), re.findall(number, a)):
            if not np.isclose(float(x), float(y), rtol=1e-6, atol=1e-8):
                return False
    return True


def test_getting_started_output_is_what_the_code_prints(tmp_path):
    page = (DOCS / "getting-started.md").read_text()
    blocks = re.findall(r"<!-- docs-test: python -->\n```python\n(.*?)```\n\n```text\n(.*?)```", page, flags=re.S)
    assert len(blocks) == 1
    code, expected = blocks[0]
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env=run_env())
    assert run.returncode == 0, run.stderr[-2000:]
    assert _same_output(expected, run.stdout), run.stdout


# ------------------------------------------------------------------------------------------------ the site
def test_mkdocs_build_strict(tmp_path):
    """The whole site builds without a warning (broken links and anchors included), from the project alone."""
    require("mkdocs")
    require("material")
    require("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, env=run_env(CVXNN_DOCS_EXECUTE="0"))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "cvxnn certify" in (site / "cli" / "index.html").read_text()
    for name in TUTORIALS:
        assert (site / "tutorials" / name / "index.html").is_file(), name
        assert (site / "tutorials" / f"{name}.py").is_file(), name  # the script, for download
    for name, *_ in hooks().RESULTS:
        assert (site / "benchmarks" / name / "index.html").is_file(), name
    assert (site / "figures" / "deep1d-chains.svg").is_file()
    api = (site / "api" / "index.html").read_text()
    for name in cvxnn.__all__:
        assert f'id="cvxnn.{name}"' in api, name


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    """Every ```python block of the README runs as written, in order, in one namespace (they build on each other),
    and its first example ends certified as it claims (its own asserts check that)."""
    require("sklearn")
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)  # the example saves relu_net.npz
    namespace: dict = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {k + 1}", "exec"), namespace)
    assert (tmp_path / "relu_net.npz").is_file()
    assert namespace["t"].certificate.globally_optimal
    assert namespace["est"].certificate_.globally_optimal
    assert "GLOBALLY OPTIMAL" in capsys.readouterr().out
