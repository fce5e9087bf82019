#!/bin/sh
# Install the wheel into a fresh virtual environment of the given Python, with its dependencies
# from PyPI (the tested versions of constraints.txt where that Python has them), and run the
# consultant's commands in a new workspace outside the checkout.
#   sh scripts/check-wheel.sh python3.12 [--no-constraints]
set -eu
PYTHON=$1
CHECKOUT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m venv "$WORK/venv"
BIN="$WORK/venv/bin"
"$BIN/python" -m pip install --quiet --upgrade pip wheel setuptools
"$BIN/python" -m pip wheel --quiet --no-deps -w "$WORK/dist" "$CHECKOUT"
if [ "${2:-}" = "--no-constraints" ]; then
  "$BIN/python" -m pip install --quiet "$WORK"/dist/kpi_toolkit-*.whl
else
  "$BIN/python" -m pip install --quiet -c "$CHECKOUT/constraints.txt" "$WORK"/dist/kpi_toolkit-*.whl
fi
cd "$WORK"
"$BIN/kpi-toolkit" init ws
cd ws
cp -r "$CHECKOUT/clients/northwind" clients/
"$BIN/kpi-toolkit" new acme
"$BIN/kpi-toolkit" validate northwind
"$BIN/kpi-toolkit" calc northwind
"$BIN/kpi-toolkit" run northwind --stages 00,04
ls reports/northwind/*/report.pdf
"$BIN/python" -c "import sys, kpi_toolkit; print(sys.version.split()[0], kpi_toolkit.__file__)"
echo "wheel check passed with $("$BIN/python" --version)"
