"""MkDocs hooks of the cvxnn site: pages generated at build time from the project itself.

- ``docs/cli.md``: the marker ``<!-- cvxnn:cli-reference -->`` becomes the ``--help`` text of ``cvxnn`` and of every
  subcommand, rendered from :func:`cvxnn.cli.build_parser` (never copied by hand).
- ``docs/tutorials/*.py`` (jupytext percent format) become pages ``tutorials/<name>.md``: markdown cells as text,
  code cells as Python blocks. With ``CVXNN_DOCS_EXECUTE=1`` each tutorial is also run, cell by cell, and the
  printed output and the figures it writes (to ``$CVXNN_TUTORIAL_OUT``) are shown under the cell that made them.
- ``results/*.md`` and ``results/<suite>/report.md`` become the pages ``benchmarks/<name>.md`` (with the suites'
  performance-profile figures), so the benchmark tables on the site are the generated files themselves.

The functions are importable without MkDocs (``render_tutorial``, ``cli_reference``), which the tests use.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIALS = DOCS / "tutorials"
EXECUTE_ENV = "CVXNN_DOCS_EXECUTE"
CLI_MARKER = "<!-- cvxnn:cli-reference -->"
IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif")

RESULTS_MARKER = "<!-- cvxnn:results-summary -->"

#: (page name, results file, title, excerpt): the benchmark pages, in navigation order. The overview page shows, for
#: each, the first markdown table under the heading ``excerpt`` (None: the file's bullet list, else no excerpt).
RESULTS = [
    ("small", "results/small/report.md", "Small suite: Clarabel and SCS", "## Success and correctness"),
    ("small-all", "results/small-all/report.md", "Small suite: every installed solver",
     "## Success and correctness"),
    ("medium", "results/medium/report.md", "Medium suite", "## Success and correctness"),
    ("speed-nd", "results/speed-nd.md", "Two-layer nets in d dimensions: speed", "## Targets"),
    ("deep1d-sizes", "results/deep1d-sizes.md", "Deep 1-D dictionaries", "# "),
    ("deep-abs", "results/deep-abs.md", "Three-layer absolute-value nets in d dimensions",
     "## Largest n solved in under a minute"),
    ("functional-dimension", "results/functional-dimension.md", "Functional dimension",
     "## Certified convex optima"),
    ("lasso-backends", "results/lasso-backends.md", "Native Lasso backends", "# "),
    ("seed-positive-homogeneity", "results/seed-positive-homogeneity.md",
     "Bias-free nets on symmetric data: the linear floor", "## Exact one-hidden-layer optima"),
    ("seed-hidden-symmetries", "results/seed-hidden-symmetries.md", "Hidden symmetries of random nets and optima",
     "## The paper's architectures"),
    ("seed-compositional-sparsity", "results/seed-compositional-sparsity.md",
     "Compositional sparsity: group-restricted programs", "## Optimal values side by side"),
    ("seed-sawtooth", "results/seed-sawtooth.md", "Depth and sawtooths", "# "),
    ("speed-1d", "results/speed-1d.md", "Speed in one dimension", "# "),
    ("mutation", "results/mutation.md", "Mutation testing of the certificate path", "### All groups"),
]


# ------------------------------------------------------------------------------------------------ CLI reference
def cli_reference(width: int = 100) -> str:
    """Markdown: the help of ``cvxnn`` and of each subcommand, as argparse prints it at ``width`` columns."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from cvxnn.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        parser = build_parser()
        parts = ["## `cvxnn`", "", "```text", parser.format_help().rstrip(), "```", ""]
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        for name, subparser in sub.choices.items():
            parts += [f"## `cvxnn {name}`", "", "```text", subparser.format_help().rstrip(), "```", ""]
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------ tutorials
@dataclass
class Cell:
    kind: str  # 'markdown' or 'code'
    source: str


@dataclass
class Rendered:
    markdown: str
    images: dict = field(default_factory=dict)  # file name -> bytes (executed renders only)


_MARKER = re.compile(r"^# %%(?P<title>[^\[]*)(\[(?P<kind>\w+)\])?\s*$")


def parse_percent(text: str) -> list[Cell]:
    """Cells of a jupytext percent script: ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose
    lines are comments. A leading jupytext header (``# ---`` ... ``# ---``) and text before the first marker are
    kept as a code cell only if they hold code."""
    lines = text.splitlines()
    if lines and lines[0].strip() == "# ---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "# ---"), None)
        if end is not None:
            lines = lines[end + 1:]
    cells, kind, buf = [], "code", []

    def flush():
        if kind == "markdown":
            body = "\n".join(re.sub(r"^# ?", "", ln) if ln.startswith("#") else ln for ln in buf).strip("\n")
        else:
            body = "\n".join(buf).strip("\n")
        if body.strip():
            cells.append(Cell(kind, body))

    for line in lines:
        m = _MARKER.match(line)
        if m:
            flush()
            kind, buf = ("markdown" if (m.group("kind") or "").lower() in ("markdown", "md") else "code"), []
        else:
            buf.append(line)
    flush()
    return cells


def _new_images(out: Path, seen: dict) -> list[Path]:
    found = []
    for p in sorted(out.rglob("*")):
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file():
            stamp = p.stat().st_mtime_ns
            if seen.get(p) != stamp:
                seen[p] = stamp
                found.append(p)
    return found


def execute_cells(cells: list[Cell], path: Path) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """Run the code cells in one namespace, as the script would run; per cell, what it printed and the images it
    wrote to ``$CVXNN_TUTORIAL_OUT`` (a fresh temporary folder)."""
    results = []
    saved_env = os.environ.get("CVXNN_TUTORIAL_OUT")
    saved_argv, saved_cwd = sys.argv, os.getcwd()
    with tempfile.TemporaryDirectory(prefix="cvxnn-docs-") as tmp:
        out = Path(tmp)
        os.environ["CVXNN_TUTORIAL_OUT"] = tmp
        os.environ.setdefault("MPLBACKEND", "Agg")
        sys.argv = [str(path)]
        namespace = {"__name__": "__main__", "__file__": str(path)}
        seen: dict = {}
        try:
            for i, cell in enumerate(cells):
                if cell.kind != "code":
                    results.append(("", []))
                    continue
                buf = io.StringIO()
                with contextlib.redirect_stdout(buf):
                    exec(compile(cell.source, f"{path.name} (cell {i + 1})", "exec"), namespace)
                images = [(p.name, p.read_bytes()) for p in _new_images(out, seen)]
                results.append((buf.getvalue(), images))
        finally:
            sys.argv = saved_argv
            os.chdir(saved_cwd)
            if saved_env is None:
                os.environ.pop("CVXNN_TUTORIAL_OUT", None)
            else:
                os.environ["CVXNN_TUTORIAL_OUT"] = saved_env
    return results


def render_tutorial(path, execute: bool = False) -> Rendered:
    """The page of one tutorial script. Executed renders show each code cell's output and figures (image links
    ``<stem>/<file>``, returned in ``Rendered.images``)."""
    path = Path(path)
    cells = parse_percent(path.read_text())
    outputs = execute_cells(cells, path) if execute else [("", [])] * len(cells)
    parts, images = [], {}
    for cell, (printed, figs) in zip(cells, outputs):
        if cell.kind == "markdown":
            parts.append(cell.source)
        else:
            parts.append(f"```python\n{cell.source}\n```")
            if printed.strip():
                parts.append(f"```text\n{printed.rstrip()}\n```")
            for name, data in figs:
                images[name] = data
                parts.append(f"![{name}]({path.stem}/{name})")
        parts.append("")
    note = (f"*This page is rendered from the script [`{path.name}`]({path.name}) "
            f"({'run while the site was built' if execute else 'source only; run it to see the output and figures'}"
            f"): `python docs/tutorials/{path.name}`.*")
    body = "\n".join(parts).rstrip() + "\n"
    # the note goes after the page title (the first markdown line that starts with '# ')
    m = re.search(r"^# .*$", body, flags=re.M)
    if m:
        body = body[:m.end()] + "\n\n" + note + "\n" + body[m.end():]
    else:
        body = note + "\n\n" + body
    return Rendered(body, images)


def tutorial_scripts() -> list[Path]:
    return sorted(p for p in TUTORIALS.glob("*.py") if not p.name.startswith("_"))


# ------------------------------------------------------------------------------------------------ benchmarks
def results_page(name: str, source: str, title: str) -> tuple[str, dict]:
    """The page of one results file (its text, first heading replaced by ``title``) and its figures."""
    path = ROOT / source
    text = path.read_text()
    text = re.sub(r"\A# .*\n", "", text)
    images = {}
    for img in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text):
        src = path.parent / img
        if src.is_file():
            images[f"{name}/{img}"] = src
            text = text.replace(f"]({img})", f"]({name}/{img})")
    head = (f"# {title}\n\n*Generated file [`{source}`]: shown here as it is in the repository, the command that "
            "regenerates it is stated in it.*\n\n")
    return head + text, images


def _excerpt(text: str, heading: str | None) -> str:
    """The first markdown table after the first line starting with ``heading``; with heading None, the first bullet
    list of the file. '' when there is none."""
    lines = text.splitlines()
    if heading is None:
        bullets = [ln for ln in lines if ln.startswith("- ")]
        return "\n".join(bullets)
    start = next((i for i, ln in enumerate(lines) if ln.startswith(heading)), None)
    if start is None:
        return ""
    table = []
    for ln in lines[start + 1:]:
        if ln.startswith("|"):
            table.append(ln)
        elif table or ln.startswith("#"):
            break
    return "\n".join(table)


def results_summary() -> str:
    """Markdown for the benchmarks overview: per results file, its title, the command that regenerates it (as the file
    states it) and an excerpt, all read from the files."""
    parts = []
    for name, source, title, heading in RESULTS:
        path = ROOT / source
        if not path.is_file():
            continue
        text = path.read_text()
        command = re.search(r"(Regenerate[^`]*|Generated by )`([^`]+)`", text)
        parts += [f"### [{title}]({name}.md)", ""]
        if command:
            parts += [f"`{command.group(2)}` (`{source}`)", ""]
        excerpt = _excerpt(text, heading)
        if excerpt:
            parts += [excerpt, ""]
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------ MkDocs events
def _execute() -> bool:
    return os.environ.get(EXECUTE_ENV, "").lower() in ("1", "true", "yes")


def on_files(files, config, **kwargs):
    from mkdocs.structure.files import File

    execute = _execute()
    for script in tutorial_scripts():
        rendered = render_tutorial(script, execute=execute)
        files.append(File.generated(config, f"tutorials/{script.stem}.md", content=rendered.markdown))
        for name, data in rendered.images.items():
            files.append(File.generated(config, f"tutorials/{script.stem}/{name}", content=data))
    for name, source, title, _ in RESULTS:
        if not (ROOT / source).is_file():
            continue  # the navigation entry then fails the strict build: a results file went missing
        text, images = results_page(name, source, title)
        files.append(File.generated(config, f"benchmarks/{name}.md", content=text))
        for uri, src in images.items():
            files.append(File.generated(config, f"benchmarks/{uri}", abs_src_path=str(src)))
    return files


def on_page_markdown(markdown, page, config, files, **kwargs):
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if RESULTS_MARKER in markdown:
        markdown = markdown.replace(RESULTS_MARKER, results_summary())
    return markdown
