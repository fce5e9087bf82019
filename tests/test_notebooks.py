"""nbval over every stage notebook (notebooks/NN_<stage>.ipynb) on the English demo client.

How, and why this way:

- The notebooks are committed with their outputs stripped (STYLE 8), so there is no stored
  output to compare a fresh run with. nbval therefore runs in ``--nbval-lax`` mode: every cell
  is executed in order in a fresh kernel, as a consultant's JupyterLab would, and any error
  fails the cell. A cell that wants its output compared carries ``# NBVAL_CHECK_OUTPUT``; what
  changes between runs (timestamps, memory addresses, pandas Styler ids, figure reprs, widget
  ids) is blanked by tests/fixtures/nbval_sanitize.cfg. Widget and figure cells need no tag in
  lax mode: their outputs are never compared unless marked.
- nbval runs on copies parameterised with papermill's ``parameterize_notebook``, the very
  injection ``kpi-toolkit run`` does, so the cells see the demo client's absolute folder and
  write only into a temporary folder, never into the repository.
- One nbval session (a subprocess: nbval is a pytest plugin) runs all notebooks; each notebook
  is then one test here, reading that session's JUnit report.
"""
from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from kpi_toolkit.running.runner import default_notebooks_dir, find_stages

ROOT = Path(__file__).resolve().parent.parent
SANITIZE = Path(__file__).parent / "fixtures" / "nbval_sanitize.cfg"
DEMO = ROOT / "clients" / "northwind"
STAGES = find_stages(default_notebooks_dir())


@pytest.fixture(scope="module")
def nbval_results(tmp_path_factory) -> dict[str, list[tuple[str, str | None]]]:
    """Run nbval once over parameterised copies; notebook file -> [(cell, failure or None)]."""
    tmp = tmp_path_factory.mktemp("nbval")
    output = tmp / "output"
    output.mkdir()
    parameters = {"client_dir": str(DEMO), "period": None, "language": "en", "output_dir": str(output),
                  "scenario": None}
    for stage in STAGES:
        notebook = load_notebook_node(str(stage.path))
        nbformat.write(parameterize_notebook(notebook, parameters), tmp / stage.path.name)
    (tmp / "pytest.ini").write_text("[pytest]\n")
    junit = tmp / "nbval.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-sanitize-with", str(SANITIZE),
         "--nbval-cell-timeout", "300", "-p", "no:cacheprovider", "-q", "-c", str(tmp / "pytest.ini"),
         "--rootdir", str(tmp), f"--junitxml={junit}", *(s.path.name for s in STAGES)],
        cwd=tmp, capture_output=True, text=True, timeout=1200)
    if not junit.is_file():
        pytest.fail(f"nbval did not run:\n{done.stdout}\n{done.stderr}")
    results: dict[str, list] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        text = None if failure is None else _plain(failure.text or failure.get("message", ""))
        results.setdefault(case.get("classname", ""), []).append((case.get("name"), text))
    return results


def _plain(text: str) -> str:
    """A failure's text without the terminal colours nbval puts in it."""
    return re.sub(r"(?:\x1b|#x1B)\[[0-9;]*m", "", text)


def test_there_are_seven_stages():
    assert [s.number for s in STAGES] == ["00", "01", "02", "03", "04", "05", "06"]


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_every_cell_runs(nbval_results, stage):
    cells = next((v for k, v in nbval_results.items() if k.endswith(stage.path.name)), None)
    assert cells, f"nbval collected no cell of {stage.path.name}"
    failed = [f"{name}:\n{text[-3000:]}" for name, text in cells if text is not None]
    assert not failed, "\n\n".join(failed)


def test_every_stage_has_the_parameters_the_runner_injects():
    """Exactly one cell tagged `parameters`, in which papermill finds the five parameters."""
    import papermill

    for stage in STAGES:
        notebook = nbformat.read(stage.path, as_version=4)
        tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{stage.path.name}: {len(tagged)} cells tagged 'parameters'; expected one"
        found = set(papermill.inspect_notebook(str(stage.path)))
        assert found == {"client_dir", "period", "language", "output_dir", "scenario"}, (
            f"{stage.path.name}: papermill reads the parameters {sorted(found)} from its parameters cell")


def test_notebooks_are_committed_without_outputs():
    for stage in STAGES:
        notebook = nbformat.read(stage.path, as_version=4)
        kept = [i for i, c in enumerate(notebook.cells)
                if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
        assert not kept, f"{stage.path.name}: cells {kept} have outputs; strip them (nbstripout) before committing"
