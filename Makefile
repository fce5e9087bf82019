# KPI Toolkit — set-up and the everyday commands. Works from a clean clone on a fresh machine:
# `make demo` and `make test` create the virtual environment and install what they need.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM := .stamp-system
LOCK   := constraints.txt

.PHONY: demo test bench install system clean help lock upgrade

help:
	@echo "make demo   - install everything, close the demo clients' earlier months, run every stage, print where the reports are"
	@echo "make test   - install everything, run every test"
	@echo "make bench  - speed and memory benchmarks (figures go to benchmarks/results/)"
	@echo "make upgrade - refresh constraints.txt to the newest releases, then run every test"
	@echo "make lock   - write constraints.txt from .venv (after adding a dependency)"

install: $(STAMP) $(SYSTEM)

# Installs take the tested versions pinned in constraints.txt, never whatever is newest today.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# System tools: Chromium prints the PDF reports, poppler checks them, fonts cover Cyrillic.
$(SYSTEM): scripts/install-system-packages.sh
	sh scripts/install-system-packages.sh
	touch $@

# The demo clients' months before the reported one (2026-09) are paid: closed in the workspace's
# ledger (kpi-ledger.sqlite), so the reports show closed and open periods. Closing again is a no-op.
DEMO_CLOSED := 2026-04 2026-05 2026-06 2026-07 2026-08

demo: install
	@for client in clients/*/; do for period in $(DEMO_CLOSED); do \
	  $(BIN)/kpi-toolkit close "$${client%/}" --period $$period --by "make demo" || exit 1; done; done
	$(BIN)/kpi-toolkit run --all --jobs 2
	@echo
	@echo "Reports (HTML and PDF per stage, combined report.html/report.pdf, results/ for payroll):"
	@for d in reports/*/*/; do echo "  $$d  ->  $${d}report.pdf"; done

test: install
	$(BIN)/python -m pytest --doctest-modules kpi_toolkit tests -q -p no:cacheprovider

bench: install
	$(BIN)/python benchmarks/run.py

lock:
	sh scripts/freeze-constraints.sh $(BIN)/python $(LOCK)

# A deliberate step: the newest releases allowed by pyproject.toml in a fresh environment, frozen
# into constraints.txt; then .venv is rebuilt from it and every test runs.
upgrade:
	rm -rf .venv-upgrade
	$(PYTHON) -m venv .venv-upgrade
	.venv-upgrade/bin/python -m pip install --quiet --upgrade pip
	.venv-upgrade/bin/python -m pip install --quiet '.[dev]'
	sh scripts/freeze-constraints.sh .venv-upgrade/bin/python $(LOCK)
	rm -rf .venv-upgrade $(VENV)
	$(MAKE) test

clean:
	rm -rf $(VENV) $(SYSTEM) reports/*/ .pytest_cache .hypothesis
