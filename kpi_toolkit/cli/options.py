"""What the sub-commands share: the period option, the client folders named, the problems listed."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from kpi_toolkit.errors import ProblemsError

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def period_arg(text: str) -> str:
    """An argparse type: a period ``YYYY-MM``."""
    if not PERIOD.match(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a period; write YYYY-MM, e.g. 2026-09")
    return text


def add_client_args(p, many: bool = True) -> None:
    """CLIENT_DIR..., ``--all`` and ``--clients-root``."""
    p.add_argument("clients", nargs="*" if many else 1, metavar="CLIENT_DIR", help="client folder(s)")
    p.add_argument("--all", action="store_true", help="every client folder under --clients-root")
    p.add_argument("--clients-root", default="clients", help="where --all looks (default: clients)")


def client_dirs(args) -> list[Path]:
    """The client folders named on the command line, or every folder of ``clients/`` with --all."""
    if getattr(args, "all", False):
        root = Path(args.clients_root)
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    return [Path(p) for p in args.clients]


def problems_text(exc: ProblemsError) -> str:
    """Every problem of a refused input, numbered."""
    from kpi_toolkit.inputs.validation import format_problems

    return format_problems(exc.problems)
