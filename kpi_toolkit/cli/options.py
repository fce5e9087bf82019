"""What the sub-commands share: the period option, the client folders named, the problems listed."""
from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from kpi_toolkit.errors import ProblemsError
from kpi_toolkit.running.workspace import CLIENTS, find_workspace

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def period_arg(text: str) -> str:
    """An argparse type: a period ``YYYY-MM``."""
    if not PERIOD.match(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a period; write YYYY-MM, e.g. 2026-09")
    return text


def in_workspace(name: str) -> str:
    """``clients`` or ``reports`` of the workspace the command runs in, as a path from the working
    directory (``name`` itself at the workspace's top, or outside any workspace)."""
    workspace = find_workspace()
    if workspace is None or workspace == Path.cwd().resolve():
        return name
    return os.path.relpath(workspace / name)


def add_client_args(p, many: bool = True) -> None:
    """CLIENT_DIR..., ``--all`` and ``--clients-root``."""
    p.add_argument("clients", nargs="*" if many else 1, metavar="CLIENT_DIR",
                   help="client folder(s), or names of clients in the workspace's clients/")
    p.add_argument("--all", action="store_true", help="every client folder under --clients-root")
    p.add_argument("--clients-root", default=in_workspace(CLIENTS),
                   help="where --all looks (default: the workspace's clients/)")


def resolve_client(text: str) -> Path:
    """A client folder as named: a folder, else a client of the workspace (``acme`` for ``clients/acme``)."""
    path = Path(text)
    if path.is_dir() or len(path.parts) != 1:
        return path
    workspace = find_workspace()
    if workspace is not None and (workspace / CLIENTS / text).is_dir():
        return Path(os.path.relpath(workspace / CLIENTS / text))
    return path


def client_dirs(args) -> list[Path]:
    """The client folders named on the command line, or every folder of ``clients/`` with --all."""
    if getattr(args, "all", False):
        root = Path(args.clients_root)
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    return [resolve_client(p) for p in args.clients]


def problems_text(exc: ProblemsError) -> str:
    """Every problem of a refused input, numbered."""
    from kpi_toolkit.inputs.validation import format_problems

    return format_problems(exc.problems)
