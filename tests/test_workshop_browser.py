"""The workshop app (kpi_toolkit/workshop.py, workshop_server.py): the command, its locks against
other web pages, and a real browser driving the served explorer.

The lock tests start ``kpi-toolkit workshop`` for a copy of a demo client and talk HTTP and
websocket to it on 127.0.0.1 (nothing else): no token, a foreign ``Host`` or no login cookie
get nothing of the app or its kernel. The browser test opens the printed URL (with its token)
in Debian's Chromium through Playwright, moves a weight slider with the keyboard and checks
that the pool on the page becomes what the engine computes for that weight. It saves the
screenshot the README shows (docs/workshop.png).
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from kpi_toolkit.cli import app as cli
from kpi_toolkit.explorer.model import ExplorerModel
from kpi_toolkit.outputs.i18n import format_money
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.explorer.workshop import (CULL_IDLE_SECONDS, NOTEBOOK, free_port, offline, port_is_free, unusable_ip,
                                  voila_command, write_notebook, write_template)
from kpi_toolkit.explorer.server import TOKEN_ENV, host_name

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
    for option in ("-m kpi_toolkit.explorer.server", "--Voila.ip=127.0.0.1", "--port=9999", "--strip_sources=True",
                   "--no-browser", f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
                   "--MappingKernelManager.cull_interval=", "--PasswordIdentityProvider.allow_password_change=False"):
        assert option in command
    assert "token" not in command, "the token travels in the environment: other users can list command lines"


@pytest.mark.parametrize("header, name", [("127.0.0.1:8866", "127.0.0.1"), ("LOCALHOST:1", "localhost"),
                                          ("[::1]:8866", "::1"), ("::1", "::1"), ("evil.example", "evil.example"),
                                          ("localhost.evil.example:8866", "localhost.evil.example")])
def test_the_host_name_of_a_host_header(header, name):
    assert host_name(header) == name


@pytest.mark.parametrize("ip, says", [("0.0.0.0", "every network"), ("::", "every network"),
                                      ("203.0.113.7", "give an address of this computer")])
def test_an_ip_the_app_cannot_lock_or_use_is_refused(ip, says, capsys):
    assert says in unusable_ip(ip)
    assert cli.main(["workshop", str(DEMO / "northwind"), "--ip", ip]) == 1
    assert says in capsys.readouterr().err


def test_the_server_does_not_start_without_a_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    done = subprocess.run([*voila_command(tmp_path / "app.ipynb", free_port())], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"needs a token of 32 or more characters in {TOKEN_ENV}" in done.stdout + done.stderr


# --- the served app in a real browser ------------------------------------------------------------------------

class Workshop:
    """``kpi-toolkit workshop`` running in the background, with its output collected."""

    def __init__(self, folder: Path, port: int, *extra: str, host: str = "127.0.0.1"):
        self.port = port
        self.origin = f"http://{host}:{port}/"
        self.url = ""  # the URL with its token, once printed
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
            found = re.search(re.escape(self.origin) + r"\?token=([A-Za-z0-9_-]+)$", self.output, re.M)
            if found:
                self.url, self.token = found.group(0), found.group(1)
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


# --- the locks: token, Host header, login cookie (a real server, HTTP on 127.0.0.1 only) -------------------------

def get(workshop: Workshop, path: str, host: str | None = None, cookie: str | None = None):
    """GET ``path`` from the app with the given ``Host`` header; (status, headers, body)."""
    connection = http.client.HTTPConnection(urlsplit(workshop.origin).hostname, workshop.port, timeout=START_TIMEOUT)
    headers = {"Host": host or urlsplit(workshop.origin).netloc, **({"Cookie": cookie} if cookie else {})}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def websocket_status(workshop: Workshop, path: str, host: str | None = None, cookie: str | None = None) -> int:
    """The status of a websocket handshake for ``path``: 101 when the server accepts it."""
    request = [f"GET {path} HTTP/1.1", f"Host: {host or urlsplit(workshop.origin).netloc}", "Upgrade: websocket",
               "Connection: Upgrade", f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
               "Sec-WebSocket-Version: 13", *([f"Cookie: {cookie}"] if cookie else [])]
    with socket.create_connection((urlsplit(workshop.origin).hostname, workshop.port), timeout=60) as s:
        s.sendall(("\r\n".join(request) + "\r\n\r\n").encode("ascii"))
        return int(s.recv(4096).split(b"\r\n")[0].split()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One running workshop app for the lock tests."""
    folder = tmp_path_factory.mktemp("locks") / "northwind"
    shutil.copytree(DEMO / "northwind", folder)
    workshop = Workshop(folder, free_port())
    try:
        workshop.wait_ready()
        yield workshop
    finally:
        workshop.interrupt()


@pytest.fixture(scope="module")
def session(served):
    """The app opened with the printed URL: (login cookie, kernel id)."""
    status, headers, body = get(served, urlsplit(served.url)._replace(scheme="", netloc="").geturl())
    assert status == 200, body[-2000:]
    assert "HttpOnly" in headers["Set-Cookie"]
    return headers["Set-Cookie"].split(";")[0], re.search(r'"kernelId": "([0-9a-f-]{36})"', body).group(1)


def test_the_app_without_its_token_is_refused(served):
    """Issue 7 item 9: any page the consultant visited could use the app (no token needed)."""
    for path in ("/", "/?token=wrong-token", f"/?token={served.token[:-1]}"):
        status, headers, body = get(served, path)
        assert status == 302 and headers["Location"].startswith("/login?next="), (path, status)
        assert "kernelId" not in body
    status, _, body = get(served, "/login")  # Jupyter's login page, where the token can be typed
    assert status == 200 and "kernelId" not in body and "password" in body


def test_the_printed_url_opens_the_app_and_its_cookie_keeps_it_open(served, session):
    cookie, kernel = session
    status, _, body = get(served, "/", cookie=cookie)
    assert status == 200 and '"kernelId"' in body
    assert get(served, f"/api/kernels/{kernel}", cookie=cookie)[0] == 200
    assert websocket_status(served, f"/api/kernels/{kernel}/channels", cookie=cookie) == 101
    assert websocket_status(served, f"/api/kernels/{kernel}/channels?token={served.token}") == 101


def test_a_foreign_host_is_refused_even_with_the_token(served, session):
    """Issue 7 item 9: the app answered any Host header, so DNS rebinding could reach it."""
    cookie, kernel = session
    for host in (f"evil.example:{served.port}", "evil.example", f"127.0.0.1.evil.example:{served.port}",
                 f"localhost.:{served.port}"):
        for path in (f"/?token={served.token}", f"/api/kernels/{kernel}?token={served.token}", "/login",
                     "/voila/static/voila.js", "/voila/templates/lab/static/voila.css",
                     "/voila/labextensions/@voila-dashboards/widgets-manager8/package.json"):
            status, _, body = get(served, path, host=host, cookie=cookie)
            assert status == 403 and "kernelId" not in body, (host, path, status)
        assert websocket_status(served, f"/api/kernels/{kernel}/channels", host=host, cookie=cookie) == 403
    assert get(served, "/voila/static/voila.js", host=f"localhost:{served.port}")[0] == 200
    assert get(served, "/voila/static/voila.js", host=f"[::1]:{served.port}")[0] == 200


def test_kernel_and_websocket_requests_without_the_token_or_cookie_are_refused(served, session):
    cookie, kernel = session
    forged = cookie.split("=", 1)[0] + '="2|1:0|10:1796457698|forged"'
    for credentials in ({}, {"cookie": forged}):
        assert get(served, f"/api/kernels/{kernel}", **credentials)[0] == 403
        assert websocket_status(served, f"/api/kernels/{kernel}/channels", **credentials) == 403
        assert websocket_status(served, f"/api/kernels/{kernel}/channels?token=wrong", **credentials) == 403


def test_with_ip_the_app_answers_to_that_address_and_still_needs_its_token(northwind):
    ip = "127.0.0.2"  # a second loopback address stands for the laptop's address on a workshop network
    if unusable_ip(ip):
        pytest.skip(f"{ip} cannot be bound on this machine")
    workshop = Workshop(northwind, free_port(ip), "--ip", ip, host=ip)
    try:
        workshop.wait_ready()
        assert get(workshop, "/voila/static/voila.js")[0] == 200
        assert get(workshop, "/voila/static/voila.js", host=f"evil.example:{workshop.port}")[0] == 403
        assert get(workshop, "/")[0] == 302
        with pytest.raises(ConnectionRefusedError):  # bound to the address given, not to every one
            socket.create_connection(("127.0.0.1", workshop.port), timeout=5).close()
    finally:
        assert workshop.interrupt() == 0, workshop.output


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
