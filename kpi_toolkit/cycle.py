"""The monthly cycle's commands (SPEC §7): ``collect``, ``merge`` (and the ledger options they share).

The commands only parse options, hand off to :mod:`kpi_toolkit.collect`,
:mod:`kpi_toolkit.merge` and :mod:`kpi_toolkit.closing`, and print what happened.
"""
from __future__ import annotations

from pathlib import Path


def add_command(subparsers) -> None:
    """Register ``collect`` and ``merge`` on the ``kpi-toolkit`` command."""
    from .cli import _period

    p = subparsers.add_parser(
        "collect", help="write one fact-entry workbook per department (or manager) for a period",
        description="Write reports/<slug>/<PERIOD>/collect/<department>.xlsx: a row per employee and KPI with the "
                    "plan filled in and only the fact cells editable, for the department heads to fill in.")
    p.add_argument("client", metavar="CLIENT_DIR", help="client folder")
    p.add_argument("--period", type=_period, help="period YYYY-MM (default: client.yaml's period)")
    p.add_argument("--by", choices=["department", "manager"], default="department",
                   help="one workbook per department (default) or per manager (positions.reports_to)")
    p.add_argument("--out", default="reports", help="output root (default: reports)")
    _database_option(p)
    p.set_defaults(func=cmd_collect)

    p = subparsers.add_parser(
        "merge", help="check returned fact-entry workbooks and write their facts into actuals",
        description="Check every returned workbook (client, period, department, plans, facts, rows) and list every "
                    "problem; only when all are valid, write the facts into the client's actuals in one step and "
                    "record each file in the ledger.")
    p.add_argument("client", metavar="CLIENT_DIR", help="client folder")
    p.add_argument("files", nargs="+", metavar="FILE", help="returned workbooks (.xlsx)")
    p.add_argument("--by", metavar="NAME", help="who merges (recorded in the ledger; default: your login)")
    _database_option(p)
    p.set_defaults(func=cmd_merge)


def _database_option(p) -> None:
    p.add_argument("--database", metavar="URL",
                   help="ledger database (default: $KPI_TOOLKIT_DATABASE_URL, else kpi-ledger.sqlite in the "
                        "workspace)")


def cmd_collect(args) -> int:
    from .collect import collect

    folder = Path(args.client)
    written = collect(folder, args.period, by=args.by, out=args.out, database=args.database)
    period = written[0].parent.parent.name
    print(f"{folder.name}, {period}: {len(written)} workbook(s) to send, one per {args.by}:")
    for path in written:
        print(f"  {path}")
    print(f"When they come back: kpi-toolkit merge {folder} FILE... --by YOUR_NAME")
    return 0


def cmd_merge(args) -> int:
    from .merge import merge

    outcomes = merge(args.client, args.files, by=args.by, database=args.database)
    changed = sum(len(o.changes) for o in outcomes)
    for outcome in outcomes:
        print(f"  {outcome.name}: {outcome.note}")
        for change in outcome.changes:
            print(f"    row {change.row}: {change.period} {change.employee_id} {change.kpi_id}: fact "
                  f"{change.old or 'empty'} -> {change.new}")
    if changed:
        print(f"{Path(args.client).name}: {changed} fact(s) written into actuals and recorded in the ledger.")
    else:
        print(f"{Path(args.client).name}: nothing changed.")
    return 0
