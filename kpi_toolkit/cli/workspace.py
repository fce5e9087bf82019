"""``kpi-toolkit init`` (a consultant's workspace) and ``kpi-toolkit notebook`` (a stage in JupyterLab)."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from kpi_toolkit.cli.options import resolve_client
from kpi_toolkit.errors import KpiToolkitError
from kpi_toolkit.running.workspace import client_notebook, find_workspace, init_workspace

DEFAULT_PORT = 8888


def add_command(subparsers) -> None:
    """Register ``init`` and ``notebook``."""
    p = subparsers.add_parser(
        "init", help="make a workspace: clients/, reports/, notebooks/, a README and a .gitignore",
        description="Make DIR a consultant's workspace (SPEC §8). Every command run inside it finds its clients in "
                    "clients/ and writes its reports to reports/. Files already there are kept.")
    p.add_argument("folder", metavar="DIR", help="the workspace folder (created if missing)")
    p.set_defaults(func=cmd_init)

    p = subparsers.add_parser(
        "notebook", help="open a stage notebook for a client in JupyterLab",
        description="Write notebooks/<client>/<stage>.ipynb in the workspace with the client filled in (kept if it "
                    "exists: it is your work) and start JupyterLab on it.")
    p.add_argument("client", metavar="CLIENT", help="client folder, or its name under the workspace's clients/")
    p.add_argument("stage", metavar="STAGE", help="0 … 6, a name such as 04_bonus_scheme, or explorer")
    p.add_argument("--no-browser", action="store_true", help="print the URL instead of opening a browser")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}, or the next free)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: this computer only)")
    p.add_argument("--force", action="store_true", help="write the notebook again from the toolkit's copy")
    p.set_defaults(func=cmd_notebook)


def cmd_init(args) -> int:
    root = Path(args.folder)
    written = init_workspace(root)
    print(f"{root}: workspace ready ({len(written)} new file(s) or folder(s)). Next: cd {root} && "
          "kpi-toolkit new acme --workbook")
    return 0


def cmd_notebook(args) -> int:
    client = resolve_client(args.client)
    if not client.is_dir():
        raise KpiToolkitError(f"client '{args.client}' not found: name a client folder, or a client under the "
                              "workspace's clients/ (kpi-toolkit new NAME makes one)")
    workspace = find_workspace(client) or client.resolve().parent
    notebook = client_notebook(workspace, client, args.stage, force=args.force)
    token = secrets.token_urlsafe(24)
    relative = notebook.resolve().relative_to(workspace.resolve()).as_posix()
    url = f"http://{args.ip}:{args.port}/lab/tree/{relative}?token={token}"
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={workspace.resolve()}",
               f"--ServerApp.ip={args.ip}", f"--ServerApp.port={args.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # a container or CI: JupyterLab refuses root otherwise
        command.append("--allow-root")
    print(f"{notebook}\nJupyterLab: {url}\n(Ctrl-C stops it)", flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0
