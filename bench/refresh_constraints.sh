#!/usr/bin/env bash
# Recreate constraints.txt, the upper bounds that the README's install command uses.
#
# It installs cvxnn with its test extra into a brand-new virtual environment WITHOUT the constraints (so pip
# resolves the newest releases it can find), then writes every package installed there, direct and transitive,
# as an upper bound "name<=version" (torch stays pinned exactly, "torch==2.13.0", as setup.cfg pins it: a range
# would admit a multi-GB CUDA build). Refresh deliberately, never in CI: run this script, then the whole test
# suite in the environment it made (it prints the command), and commit the new constraints.txt only if it passes.
#
# Usage: bash bench/refresh_constraints.sh            (PYTHON=python3.11 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3.11}"
work="$(mktemp -d)"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q -e ".[test]"
pyver="$("$work/venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
{
  echo "# Upper bounds for every package that 'pip install -e \".[test]\"' resolves (direct and transitive): the"
  echo "# versions the test suite was run with. Made by bench/refresh_constraints.sh (Python $pyver, a fresh"
  echo "# virtual environment, no constraints, then 'pip freeze --all'); refresh deliberately with that script and"
  echo "# commit the result only after the whole test suite passes with it. torch is pinned exactly (CPU build)."
  "$work/venv/bin/pip" freeze --all --exclude-editable \
    | grep -v -i -e '^pip==' -e '^#' \
    | sed -E 's/\+[A-Za-z0-9.]+$//' \
    | awk -F'==' 'tolower($1) == "torch" { print "torch==" $2; next } { print $1 "<=" $2 }' \
    | LC_ALL=C sort -f
} > constraints.txt
echo "wrote constraints.txt ($(grep -c -v '^#' constraints.txt) packages) from $work/venv"
echo "now run the whole suite there: (cd $PWD && $work/venv/bin/python -m pytest -m 'slow or not slow')"
