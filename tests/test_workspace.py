"""The consultant's workspace (SPEC §8): ``init``, commands run from inside it, ``notebook``."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kpi_toolkit.cli import main
from kpi_toolkit.errors import KpiToolkitError
from kpi_toolkit.running.workspace import client_notebook, find_workspace, init_workspace, resolve_stage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path) -> Path:
    init_workspace(tmp_path / "ws")
    shutil.copytree(ROOT / "clients" / "northwind", tmp_path / "ws" / "clients" / "northwind")
    return tmp_path / "ws"


def parameters(notebook: Path) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    return "".join(next(c for c in cells if "parameters" in c["metadata"].get("tags", []))["source"])


def test_init_twice_keeps_what_the_consultant_changed(tmp_path):
    written = init_workspace(tmp_path / "ws")
    assert tmp_path / "ws" / "README.md" in written and tmp_path / "ws" / "clients" in written
    (tmp_path / "ws" / "README.md").write_text("our notes")
    (tmp_path / "ws" / "notebooks" / "04_bonus_scheme.ipynb").unlink()
    again = init_workspace(tmp_path / "ws")
    assert again == [tmp_path / "ws" / "notebooks" / "04_bonus_scheme.ipynb"]
    assert (tmp_path / "ws" / "README.md").read_text() == "our notes"


def test_init_refuses_a_file(tmp_path):
    (tmp_path / "ws").write_text("")
    with pytest.raises(KpiToolkitError, match="is a file"):
        init_workspace(tmp_path / "ws")


def test_the_workspace_is_found_from_below(workspace):
    assert find_workspace(workspace / "clients" / "northwind") == workspace.resolve()
    assert find_workspace(workspace.parent) is None


@pytest.mark.parametrize("typed, name", [("4", "04_bonus_scheme"), ("04", "04_bonus_scheme"),
                                         ("bonus_scheme", "04_bonus_scheme"), ("00_diagnostic", "00_diagnostic"),
                                         ("explorer", "scenario_explorer")])
def test_stages_as_a_consultant_types_them(typed, name):
    assert resolve_stage(typed) == name


def test_an_unknown_stage_lists_the_stages():
    with pytest.raises(KpiToolkitError, match=r"no stage '9'; stages: 00_diagnostic, .*06_rollout"):
        resolve_stage("9")


def test_a_client_notebook_points_at_its_client_and_is_kept(workspace):
    notebook = client_notebook(workspace, workspace / "clients" / "northwind", "4")
    assert notebook == workspace / "notebooks" / "northwind" / "04_bonus_scheme.ipynb"
    client_dir = re.search(r"^client_dir = '([^']+)'", parameters(notebook), re.M).group(1)
    assert (notebook.parent / client_dir).resolve() == (workspace / "clients" / "northwind").resolve()
    notebook.write_text(notebook.read_text().replace("open_stage", "open_stage "))  # the consultant's edit
    assert client_notebook(workspace, workspace / "clients" / "northwind", "04") == notebook
    assert "open_stage " in notebook.read_text()


def test_commands_inside_a_workspace_write_its_reports(workspace, monkeypatch, capsys):
    monkeypatch.chdir(workspace / "notebooks")
    assert main(["calc", "northwind"]) == 0
    assert list((workspace / "reports" / "northwind").glob("*/results/bonus_totals.csv"))
    assert not (workspace / "notebooks" / "reports").exists()
    assert main(["validate", "--all"]) == 0
    assert "northwind" in capsys.readouterr().out


def test_a_workspace_notebook_without_a_client_says_how_to_set_it(workspace):
    from kpi_toolkit import stages

    with pytest.raises(KpiToolkitError, match="client_dir is not set.*kpi-toolkit notebook"):
        stages.open_stage(None)


def test_notebook_opens_jupyterlab_on_the_stage(workspace):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "kpi_toolkit.cli", "notebook", "northwind", "4", "--no-browser",
                                "--port", str(port)], cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        lines = [process.stdout.readline() for _ in range(2)]
        url = re.search(r"JupyterLab: (\S+)", "".join(lines)).group(1)
        assert f":{port}/lab/tree/notebooks/northwind/04_bonus_scheme.ipynb?token=" in url
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(url, timeout=10) as page:
                    status = page.status
            except OSError:
                time.sleep(0.5)
        assert status == 200
        api = url.split("/lab/")[0] + "/api/contents/notebooks/northwind?" + url.split("?")[1]
        with urllib.request.urlopen(api, timeout=10) as listing:
            assert "04_bonus_scheme.ipynb" in {c["name"] for c in json.load(listing)["content"]}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
