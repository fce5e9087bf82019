"""The workshop app (kpi_toolkit/workshop.py): the command, and a real browser driving the served explorer.

The browser test starts ``kpi-toolkit workshop`` for a copy of a demo client on a free port,
opens it in Debian's Chromium through Playwright, moves a weight slider with the keyboard and
checks that the pool on the page becomes what the engine computes for that weight. It saves
the screenshot the README shows (docs/workshop.png).
"""
from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from kpi_toolkit import cli
from kpi_toolkit.explorer import ExplorerModel
from kpi_toolkit.i18n import format_money
from kpi_toolkit.loading import load_client
from kpi_toolkit.workshop import (CULL_IDLE_SECONDS, NOTEBOOK, free_port, offline, port_is_free, voila_command,
                                  write_notebook, write_template)

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "clients"
SCREENSHOT = ROOT / "docs" / "workshop.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
START_TIMEOUT = 180  # seconds: Voilà, a kernel and the first calculation on a slow, shared machine
STEP_TIMEOUT = 60_000  # milliseconds for each wait in the page


# --- the command without a browser -------------------------------------------------------------------------

def test_an_invalid_client_is_reported_and_nothing_starts(client_copy, capsys):
    folder = client_copy("weights_not_one")
    assert cli.main(["workshop", str(folder), "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert "must sum to 1" in err and "was not started" in err


def test_an_unknown_position_is_refused(capsys):
    assert cli.main(["workshop", str(DEMO / "northwind"), "--position", "astronaut"]) == 1
    assert "position 'astronaut'" in capsys.readouterr().err


def test_the_committed_notebook_is_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c for c in code if "parameters" in c.metadata.get("tags", [])], "a cell tagged 'parameters'"
    assert all(not c.outputs and c.execution_count is None for c in code), "committed without outputs"
    assert not any(re.search(r"^\s*(def|class) ", c.source, re.M) for c in code), "no definitions in the notebook"
    assert "kt.scenario_explorer(" in code[-1].source


def test_the_app_notebook_has_the_client_injected_and_no_prose(tmp_path):
    path = write_notebook(tmp_path / "app.ipynb", {"client_dir": "/data/clients/x", "position": None},
                          title="Acme", language="ru")
    nb = nbformat.read(path, as_version=4)
    assert [c.cell_type for c in nb.cells] == ["code", "code"]
    assert nb.cells[0].source == "client_dir = '/data/clients/x'\nposition = None"
    assert nb.cells[0].metadata["tags"] == ["injected-parameters"]
    assert nb.metadata["title"] == "Acme — Конструктор сценариев премирования"


def test_the_template_loads_nothing_from_other_hosts(tmp_path):
    folder = write_template(tmp_path)
    text = "".join(p.read_text() for p in folder.glob("*.j2"))
    assert not re.search(r"(href|src)=\"(https?:)?//", text)
    assert json.loads((folder / "conf.json").read_text()) == {"base_template": "lab"}
    assert offline('<script src="https://cdn.example/x.js"></script><p>') == "<p>"


def test_voila_is_local_codeless_and_culls_idle_kernels():
    command = " ".join(voila_command(Path("app.ipynb"), 9999))
    for option in ("--Voila.ip=127.0.0.1", "--port=9999", "--strip_sources=True", "--no-browser",
                   f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
                   "--MappingKernelManager.cull_interval="):
        assert option in command


# --- the served app in a real browser ------------------------------------------------------------------------

class Workshop:
    """``kpi-toolkit workshop`` running in the background, with its output collected."""

    def __init__(self, folder: Path, port: int, *extra: str):
        self.url = f"http://127.0.0.1:{port}/"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kpi_toolkit.cli", "workshop", str(folder), "--port", str(port), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.url in self.output:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"the workshop app did not start:\n{self.output}")

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, as a consultant stops it; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)


@pytest.fixture
def northwind(tmp_path) -> Path:
    folder = tmp_path / "northwind"
    shutil.copytree(DEMO / "northwind", folder)
    return folder


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def select_position(page, label: str) -> None:
    """Choose a position in the app's position list (ipywidgets writes spaces as no-break spaces)."""
    select = page.locator(".kt-toolbar select").nth(1)
    options = [o.replace("\u00a0", " ") for o in select.locator("option").all_inner_texts()]
    select.select_option(index=next(i for i, o in enumerate(options) if o.startswith(label)))
    page.wait_for_function(f"document.querySelector('.kt-h2').innerText.includes({json.dumps(label)})",
                           timeout=STEP_TIMEOUT)


@pytest.mark.browser
def test_moving_a_weight_in_the_browser_shows_the_engines_pool(northwind, browser):
    client = load_client(northwind)
    workshop = Workshop(northwind, free_port())
    try:
        workshop.wait_ready()
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        elsewhere = []
        page.on("request", lambda r: elsewhere.append(r.url) if not re.match(r"^(https?|wss?)://127\.0\.0\.1[:/]|^(data|blob):", r.url) else None)
        page.goto(workshop.url, timeout=START_TIMEOUT * 1000)
        page.wait_for_selector(".kt-pool-value", timeout=START_TIMEOUT * 1000)
        select_position(page, "Sales Manager")

        model = ExplorerModel(client, position="sales-manager")
        assert page.inner_text(".kt-pool-value") == format_money(model.results().pool, "GBP", "en")
        first = next(iter(model.scheme().kpis))
        weight = model.scheme().weights[first]
        model.set_weight(first, weight + 0.01)
        expected = format_money(model.results().pool, "GBP", "en")

        handle = page.locator(".kt-weight .noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function(f"document.querySelector('.kt-pool-value').innerText === {json.dumps(expected)}",
                               timeout=STEP_TIMEOUT)
        readouts = [r.replace("\u00a0", "") for r in page.locator(".kt-weight .widget-readout").all_inner_texts()]
        assert readouts == [f"{round(w * 100)}%" for w in model.scheme().weights.values()]
        position_pool = format_money(model.results().position_pool, "GBP", "en")
        assert page.inner_text(".kt-position-pool") == position_pool
        page.wait_for_function("[...document.querySelectorAll('tr.kt-sum .kt-total')].some(e => e.innerText === "
                               f"{json.dumps(position_pool)})", timeout=STEP_TIMEOUT)

        text = page.inner_text("body")
        assert "scenario_explorer" not in text and "import kpi_toolkit" not in text, "no code on the page"
        assert page.locator(".jp-InputArea").count() == 0
        assert elsewhere == [], "the app must work without internet"
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.close()
    finally:
        status = workshop.interrupt()
    assert status == 0, workshop.output
    assert "Workshop app stopped." in workshop.output


@pytest.mark.browser
def test_ctrl_c_stops_the_app_cleanly(northwind):
    port = free_port()
    workshop = Workshop(northwind, port, "--language", "ru")
    try:
        workshop.wait_ready()
        assert "Workshop app for Northwind Components Ltd" in workshop.output
        assert "Ctrl-C" in workshop.output
    finally:
        status = workshop.interrupt()
    assert status == 0, workshop.output
    assert port_is_free(port), "Voilà must be gone with the app"
