# KPI Toolkit — set-up and the everyday commands. Works from a clean clone on a fresh machine:
# `make demo` and `make test` create the virtual environment and install what they need.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM := .stamp-system

.PHONY: demo test bench install system clean help

help:
	@echo "make demo   - install everything, run every stage for the demo clients, print where the reports are"
	@echo "make test   - install everything, run every test"
	@echo "make bench  - speed and memory benchmarks (figures go to benchmarks/results/)"

install: $(STAMP) $(SYSTEM)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# System tools: Chromium prints the PDF reports, poppler checks them, fonts cover Cyrillic.
$(SYSTEM): scripts/install-system-packages.sh
	sh scripts/install-system-packages.sh
	touch $@

demo: install
	$(BIN)/kpi-toolkit run --all --jobs 2
	@echo
	@echo "Reports (HTML and PDF per stage, combined report.html/report.pdf, results/ for payroll):"
	@for d in reports/*/*/; do echo "  $$d  ->  $${d}report.pdf"; done

test: install
	$(BIN)/python -m pytest --doctest-modules kpi_toolkit tests -q -p no:cacheprovider

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(SYSTEM) reports/*/ .pytest_cache .hypothesis
