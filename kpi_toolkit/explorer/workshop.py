"""``kpi-toolkit workshop CLIENT_DIR``: the scenario explorer as a local web app for a workshop.

The explorer notebook (``notebooks/scenario_explorer.ipynb``) is copied into a temporary
folder with the client's folder injected as its parameter and served by Voilà on
127.0.0.1 (or the ``--ip`` given): the page shows the widgets only (Voilà strips the code),
needs no internet (the template is Voilà's own with the links to a font CDN removed: the fonts
are bundled), and kernels idle for 10 minutes are culled. Ctrl-C stops the server and its kernels.

Other web pages cannot use the app (:mod:`kpi_toolkit.explorer.server`): every start makes a
random token, printed in the URL the command shows (``http://127.0.0.1:PORT/?token=...``, as
Jupyter does), and requests for any host name but localhost, 127.0.0.1, [::1] and the ``--ip``
are refused. There is no way to switch the token off.
"""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from kpi_toolkit.fileio import package_notebooks

DEFAULT_PORT = 8866
HOST = "127.0.0.1"
TEMPLATE = "kpi-workshop"
CULL_IDLE_SECONDS = 600
CULL_INTERVAL_SECONDS = 60
START_TIMEOUT = 60.0
NOTEBOOK = package_notebooks() / "scenario_explorer.ipynb"

PAGE_CSS = """<style>
  body { background: #ffffff; }
  #rendered_cells { padding: 18px 24px 40px 24px; }
  .jp-Cell { padding: 0; }
  .jp-OutputArea-prompt { display: none; }
  .jp-MarkdownCell { display: none; }
</style>"""


def serve(parameters: dict, port: int, title: str = "", language: str = "en", ip: str = HOST) -> int:
    """Run Voilà on ``ip:port`` with a new token until Ctrl-C (or SIGTERM); return the exit status."""
    from kpi_toolkit.explorer.server import TOKEN_ENV

    token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="kpi-workshop-") as tmp:
        folder = Path(tmp)
        notebook = write_notebook(folder / "app" / "scenario-explorer.ipynb", parameters, title, language)
        write_template(folder / "share")
        log_path = folder / "voila.log"
        # the token goes in the environment, which other users cannot read (they can read command lines)
        env = dict(os.environ, JUPYTER_PATH=os.pathsep.join(
            [str(folder / "share"), *filter(None, [os.environ.get("JUPYTER_PATH")])]), **{TOKEN_ENV: token})
        with open(log_path, "wb") as log:
            process = subprocess.Popen(voila_command(notebook, port, ip), cwd=notebook.parent, env=env,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        signals = _StopSignals()
        try:
            with signals:
                if not _wait_until_listening(process, port, ip):
                    signals.ignore()
                    _stop(process)
                    print(f"error: the workshop app did not start; Voilà said:\n{_tail(log_path)}", file=sys.stderr)
                    return 2
                print(f"Workshop app{' for ' + title if title else ''}: {app_url(ip, port, token)}", flush=True)
                print("Press Ctrl-C to stop.", flush=True)
                status = process.wait()
                signals.ignore()
                print(f"error: the workshop app stopped by itself (status {status}):\n{_tail(log_path)}",
                      file=sys.stderr)
                return 2
        except _Stopped:
            with _StopSignals() as again:
                again.ignore()
                _stop(process)
            print("Workshop app stopped.", flush=True)
            return 0
        finally:
            if process.poll() is None:
                _stop(process)


def app_url(ip: str, port: int, token: str) -> str:
    """The address to open: the app with its token.

    Examples
    --------
    >>> app_url("127.0.0.1", 8866, "abc"), app_url("::1", 8866, "abc")
    ('http://127.0.0.1:8866/?token=abc', 'http://[::1]:8866/?token=abc')
    """
    host = f"[{ip}]" if ":" in ip else ip
    return f"http://{host}:{port}/?token={token}"


def voila_command(notebook: Path, port: int, ip: str = HOST) -> list[str]:
    """The Voilà command line (:mod:`kpi_toolkit.explorer.server`): on ``ip`` only (and answering to
    that name and localhost's), no code, no password can replace the token, our template, idle
    kernels culled. The token is not here but in the environment."""
    return [sys.executable, "-m", "kpi_toolkit.explorer.server", str(notebook), "--no-browser", f"--port={port}",
            f"--Voila.ip={ip}", f"--WorkshopVoila.allowed_hosts={ip}",
            "--PasswordIdentityProvider.allow_password_change=False",
            "--Voila.port_retries=0", f"--template={TEMPLATE}", "--theme=light",
            "--strip_sources=True", "--show_tracebacks=False",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}"]


def write_notebook(path: Path, parameters: dict, title: str = "", language: str = "en") -> Path:
    """Copy the explorer notebook to ``path`` with ``parameters`` injected and its prose removed
    (the app has its own header)."""
    import nbformat

    from kpi_toolkit.errors import ReportError
    from kpi_toolkit.outputs.i18n import t

    if not NOTEBOOK.is_file():
        raise ReportError(f"the explorer notebook is missing: {NOTEBOOK}")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "parameters" in cell.metadata.get("tags", []):
            cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items()),
                                             metadata={"tags": ["injected-parameters"]})
        cells.append(cell)
    nb.cells = cells
    nb.metadata["title"] = f"{title} — {t('explorer.title', language)}" if title else t("explorer.title", language)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_template(share: Path) -> Path:
    """A Voilà template that is Voilà's ``lab`` template without its links to a font CDN
    (Voilà bundles the same fonts), plus the app's page style. Found through ``JUPYTER_PATH``."""
    from jupyter_core.paths import jupyter_path

    lab = next((Path(p) / "index.html.j2" for p in jupyter_path("voila", "templates", "lab")
                if (Path(p) / "index.html.j2").is_file()), None)
    if lab is None:
        raise FileNotFoundError("Voilà's lab template was not found; reinstall voila")
    folder = share / "voila" / "templates" / TEMPLATE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conf.json").write_text('{"base_template": "lab"}\n', encoding="utf-8")
    (folder / "kpi-lab.html.j2").write_text(offline(lab.read_text(encoding="utf-8")), encoding="utf-8")
    (folder / "index.html.j2").write_text(
        "{%- extends 'kpi-lab.html.j2' -%}\n"
        "{%- block notebook_css -%}\n{{ super() }}\n" + PAGE_CSS + "\n{%- endblock notebook_css -%}\n",
        encoding="utf-8")
    return folder


def offline(template: str) -> str:
    """Remove every ``<link>`` and ``<script>`` that loads from another host.

    Examples
    --------
    >>> offline('<link rel="stylesheet" href="https://cdn.example/a.css" type="text/css" />\\n<b>kept</b>')
    '\\n<b>kept</b>'
    """
    template = re.sub(r"<link\b[^>]*\bhref=\"(?:https?:)?//[^\"]*\"[^>]*>", "", template)
    return re.sub(r"<script\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"[^>]*>\s*</script>", "", template)


def unusable_ip(ip: str) -> str | None:
    """Why the app cannot listen on ``ip``, or ``None``.

    Every interface (0.0.0.0, ::) is refused: the app answers only to the name it listens on,
    so participants need one address to open.

    Examples
    --------
    >>> unusable_ip("127.0.0.1") is None
    True
    >>> unusable_ip("0.0.0.0")
    "--ip 0.0.0.0 means every network of this computer; give the one address participants open (e.g. this computer's address on the workshop network, see 'ip addr' or 'ipconfig')"
    """
    try:
        every = ip.strip() in ("", "*") or ipaddress.ip_address(ip.strip("[]")).is_unspecified
    except ValueError:
        every = False
    if every:
        return (f"--ip {ip} means every network of this computer; give the one address participants open "
                f"(e.g. this computer's address on the workshop network, see 'ip addr' or 'ipconfig')")
    try:
        _bind(ip, 0)
    except OSError as error:
        reason = error.strerror or str(error)
        return (f"cannot listen on --ip {ip} ({reason}); give an address of this computer "
                f"(127.0.0.1, or its address on the workshop network: see 'ip addr' or 'ipconfig')")
    return None


def _bind(ip: str, port: int) -> int:
    """Bind a socket to ``ip:port`` and let it go; the port bound (a free one for 0)."""
    family, kind, proto, _, address = socket.getaddrinfo(ip, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as s:
        s.bind(address)
        return s.getsockname()[1]


def port_is_free(port: int, ip: str = HOST) -> bool:
    try:
        _bind(ip, port)
    except OSError:
        return False
    return True


def free_port(ip: str = HOST) -> int:
    """A port on ``ip`` that nothing listens on now."""
    return _bind(ip, 0)


def _wait_until_listening(process: subprocess.Popen, port: int, ip: str = HOST,
                          timeout: float = START_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM lets Voilà shut its kernels down; kill it if it does not stop in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class _Stopped(Exception):
    """Raised in the main thread when Ctrl-C or SIGTERM asks the workshop app to stop."""


class _StopSignals:
    """Turn SIGINT and SIGTERM into :class:`_Stopped` while the app runs."""

    def __enter__(self):
        self._old = {s: signal.signal(s, self._raise) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._old.items():
            signal.signal(s, handler)

    def ignore(self) -> None:
        """Ignore further Ctrl-C while cleaning up."""
        for s in self._old:
            signal.signal(s, signal.SIG_IGN)

    @staticmethod
    def _raise(signum, frame):
        raise _Stopped(signum)
