"""The reproducible install: constraints.txt bounds every requirement from above, torch stays the exact CPU release,
and the README's install command (which .ci/run runs verbatim) uses the file."""

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(<=|==)([0-9][A-Za-z0-9.]*)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints() -> dict:
    out = {}
    for raw in (ROOT / "constraints.txt").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, f"not an upper bound: {line!r}"
        name = canonical(m.group(1))
        assert name not in out, f"{name} listed twice"
        out[name] = (m.group(2), m.group(3))
    return out


def requirement_names() -> set:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].splitlines() + cfg["options.extras_require"]["test"].splitlines()
    return {canonical(re.split(r"[\[<>=~! ]", line.strip())[0]) for line in lines if line.strip()}


def test_every_requirement_has_an_upper_bound_and_torch_is_exact():
    bounds = constraints()
    missing = requirement_names() - set(bounds)
    assert not missing, f"requirements without a bound in constraints.txt: {sorted(missing)}"
    assert bounds["torch"] == ("==", "2.13.0")  # a range would admit a multi-GB CUDA build
    assert all(op == "<=" for name, (op, _) in bounds.items() if name != "torch")
    assert "distributed" in bounds and "scipy" in bounds  # transitive requirements are bounded too


def test_the_readme_install_command_uses_the_constraints_and_ci_runs_it():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- ci:commands -->")[1].split("<!-- /ci:commands -->")[0]
    install = [line for line in block.splitlines() if line.startswith("python3.11")][0]
    assert "pip install -c constraints.txt -e \".[test]\"" in install
    assert f"expected_install='{install}'" in (ROOT / ".ci" / "run").read_text()
    assert (ROOT / "bench" / "refresh_constraints.sh").is_file()
