#!/bin/sh
# Write constraints.txt from the packages installed in a virtual environment: the versions the
# test suite ran with. `make lock` freezes .venv (after adding a dependency to pyproject.toml);
# `make upgrade` freezes a fresh environment of the newest releases and then runs the tests.
set -e
python="${1:-.venv/bin/python}"
out="${2:-constraints.txt}"
tmp="$out.tmp.$$"
{
  echo "# Tested versions of every package make demo, make test and CI install (pip -c)."
  echo "# Lower bounds live in pyproject.toml; this file is refreshed on purpose only:"
  echo "# 'make upgrade' (newest releases, then the tests) or 'make lock' (after adding a dependency)."
  echo "# Python $("$python" -c 'import platform; print(platform.python_version())')"
  "$python" -m pip freeze --all --exclude-editable | grep -v -i '^kpi.toolkit[= ]' | LC_ALL=C sort -f
} > "$tmp"
mv "$tmp" "$out"
echo "wrote $out ($(grep -vc '^#' "$out") packages)"
