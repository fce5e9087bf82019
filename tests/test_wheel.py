"""The wheel runs everything outside the checkout (issue "A package a newcomer can read and install").

The wheel is built from this checkout and installed into a fresh virtual environment; the
commands then run in a workspace made by ``kpi-toolkit init`` in a temporary folder, so nothing
of the checkout (its ``notebooks/``, its ``clients/``) can be found by accident. The fresh
environment borrows the third-party packages of the running one (a ``.pth`` line) instead of
downloading them again; the toolkit itself comes only from the wheel.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its ``bin/``."""
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(base / "dist"), str(ROOT)], check=True, capture_output=True, cwd=base)
    wheel, = (base / "dist").glob("kpi_toolkit-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=_clean_env())
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "-q", str(wheel)], check=True, capture_output=True, env=_clean_env())
    # Then the running environment's packages, but not its (editable) toolkit: .pth files of an
    # added directory are not processed, so its editable-install hook stays out.
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # and their data files (Voilà's and nbconvert's templates), but not the kernel spec, so that
    # kernels run this environment's Python and import the wheel's toolkit.
    data = venv / "share" / "jupyter"
    data.mkdir(parents=True)
    for entry in (Path(sys.prefix) / "share" / "jupyter").iterdir():
        if entry.name != "kernels":
            (data / entry.name).symlink_to(entry)
    return venv / "bin"


def _clean_env() -> dict:
    """The environment without what would point Python at the checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def run(bin_: Path, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = _clean_env()
    env["PATH"] = f"{bin_}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([str(bin_ / "kpi-toolkit"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def workspace(installed, tmp_path_factory) -> Path:
    outside = tmp_path_factory.mktemp("consultant")
    done = run(installed, "init", "ws", cwd=outside)
    assert done.returncode == 0, done.stderr
    ws = outside / "ws"
    shutil.copytree(ROOT / "clients" / "northwind", ws / "clients" / "northwind")
    return ws


def test_the_toolkit_comes_from_the_wheel(installed, workspace):
    found = subprocess.run([str(installed / "python"), "-c", "import kpi_toolkit, sys; print(kpi_toolkit.__file__)"],
                           cwd=workspace, capture_output=True, text=True, env=_clean_env())
    assert Path(found.stdout.strip()).is_relative_to(installed.parent), found.stdout + found.stderr
    assert not Path(found.stdout.strip()).is_relative_to(ROOT)


def test_init_writes_the_workspace(workspace):
    assert {p.name for p in workspace.iterdir()} >= {"clients", "reports", "notebooks", "README.md", ".gitignore"}
    stages = sorted(p.name for p in (workspace / "notebooks").glob("*.ipynb"))
    assert stages[0] == "00_diagnostic.ipynb" and "06_rollout.ipynb" in stages and "scenario_explorer.ipynb" in stages
    source = json.loads((workspace / "notebooks" / "04_bonus_scheme.ipynb").read_text())
    parameters = next(c for c in source["cells"] if "parameters" in c["metadata"].get("tags", []))
    assert re.search(r"^client_dir = None", "".join(parameters["source"]), re.M)  # tied to no demo client
    assert "reports/" in (workspace / ".gitignore").read_text().splitlines()


def test_new_validate_and_calc_outside_the_checkout(installed, workspace):
    done = run(installed, "new", "acme", "--workbook", cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert (workspace / "clients" / "acme" / "client.xlsx").is_file()
    done = run(installed, "validate", "northwind", cwd=workspace / "clients")  # a client by name, from below the top
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(installed, "calc", "northwind", cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert list((workspace / "reports" / "northwind").glob("*/results/bonus_totals.csv"))


def test_run_finds_the_stage_notebooks_in_the_wheel(installed, workspace):
    done = run(installed, "run", "northwind", "--stages", "00,04", cwd=workspace)
    assert done.returncode == 0, done.stdout + done.stderr
    published, = (workspace / "reports" / "northwind").glob("*/report.pdf")
    assert {p.name for p in published.parent.glob("*.html")} >= {"00_diagnostic.html", "04_bonus_scheme.html",
                                                                  "report.html"}
    assert published.read_bytes().startswith(b"%PDF")


def test_the_workshop_serves_its_first_page(installed, workspace):
    port = _free_port()
    env = _clean_env()
    process = subprocess.Popen([str(installed / "kpi-toolkit"), "workshop", "clients/northwind", "--port", str(port)],
                               cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines, url = [], None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and url is None:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            lines.append(line)
            found = re.search(rf"http://127\.0\.0\.1:{port}/\?token=[A-Za-z0-9_-]+", line)
            url = found.group(0) if found else None
        assert url, "".join(lines)
        with urllib.request.urlopen(url, timeout=120) as page:
            assert page.status == 200
            assert "Northwind" in page.read().decode("utf-8")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
