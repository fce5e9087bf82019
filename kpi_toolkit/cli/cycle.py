"""The monthly cycle's commands (SPEC §7): ``collect``, ``merge``, ``close``, ``reopen``, ``adjust``, ``history``.

The commands only parse options, hand off to :mod:`kpi_toolkit.cycle.collect`,
:mod:`kpi_toolkit.cycle.merge` and :mod:`kpi_toolkit.cycle.closing`, and print what happened.
"""
from __future__ import annotations

import sys
from pathlib import Path

from kpi_toolkit.cli.options import in_workspace, period_arg
from kpi_toolkit.running.workspace import REPORTS


def add_command(subparsers) -> None:
    """Register the cycle's commands on ``kpi-toolkit``."""
    p = subparsers.add_parser(
        "collect", help="write one fact-entry workbook per department (or manager) for a period",
        description="Write reports/<slug>/<PERIOD>/collect/<department>.xlsx: a row per employee and KPI with the "
                    "plan filled in and only the fact cells editable, for the department heads to fill in.")
    p.add_argument("client", metavar="CLIENT_DIR", help="client folder")
    p.add_argument("--period", type=period_arg, help="period YYYY-MM (default: client.yaml's period)")
    p.add_argument("--by", choices=["department", "manager"], default="department",
                   help="one workbook per department (default) or per manager (positions.reports_to)")
    p.add_argument("--out", default=in_workspace(REPORTS), help="output root (default: the workspace's reports/)")
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

    p = subparsers.add_parser(
        "close", help="compute a period, store the amounts paid and mark it closed",
        description="Compute the period, store its paid lines and totals and a snapshot of every input that decides "
                    "them in the ledger, and mark it closed: calc and run then show the stored amounts and refuse "
                    "when an input changed.")
    p.add_argument("client", metavar="CLIENT_DIR", help="client folder")
    p.add_argument("--period", type=period_arg, required=True, help="period YYYY-MM")
    p.add_argument("--by", metavar="NAME", required=True, help="who closes it (recorded)")
    _database_option(p)
    p.set_defaults(func=cmd_close)

    p = subparsers.add_parser("reopen", help="reopen a closed period, saying why (recorded)")
    p.add_argument("client", metavar="CLIENT_DIR", help="client folder")
    p.add_argument("--period", type=period_arg, required=True, help="period YYYY-MM")
    p.add_argument("--reason", required=True, help="why (kept in the ledger)")
    p.add_argument("--by", metavar="NAME", help="who reopens it (default: your login)")
    _database_option(p)
    p.set_defaults(func=cmd_reopen)

    p = subparsers.add_parser(
        "adjust", help="book a closed period's differences as corrections on the next open period",
        description="Compute the closed period with its current inputs and book each employee's difference from "
                    "what was paid as an adjustment line on the next open period (bonus_totals.csv: adjustment).")
    p.add_argument("client", metavar="CLIENT_DIR", help="client folder")
    p.add_argument("--period", type=period_arg, required=True, help="the closed period YYYY-MM")
    p.add_argument("--by", metavar="NAME", help="who books it (default: your login)")
    _database_option(p)
    p.set_defaults(func=cmd_adjust)

    p = subparsers.add_parser("history", help="the client's periods, submissions and adjustments from the ledger")
    p.add_argument("client", metavar="CLIENT_DIR", help="client folder")
    _database_option(p)
    p.set_defaults(func=cmd_history)


def _login() -> str:
    from kpi_toolkit.cycle.ledger import login

    return login()


def _database_option(p) -> None:
    p.add_argument("--database", metavar="URL",
                   help="ledger database (default: $KPI_TOOLKIT_DATABASE_URL, else kpi-ledger.sqlite in the "
                        "workspace)")


def cmd_collect(args) -> int:
    from kpi_toolkit.cycle.collect import collect

    folder = Path(args.client)
    written = collect(folder, args.period, by=args.by, out=args.out, database=args.database)
    period = written[0].parent.parent.name
    print(f"{folder.name}, {period}: {len(written)} workbook(s) to send, one per {args.by}:")
    for path in written:
        print(f"  {path}")
    print(f"When they come back: kpi-toolkit merge {folder} FILE... --by YOUR_NAME")
    return 0


def cmd_merge(args) -> int:
    from kpi_toolkit.cycle.merge import merge
    from kpi_toolkit.errors import SubmissionError
    from kpi_toolkit.inputs.validation import format_problems

    try:
        outcomes = merge(args.client, args.files, by=args.by or _login(), database=args.database)
    except SubmissionError as exc:
        print(format_problems(exc.problems), file=sys.stderr)
        print(f"{Path(args.client).name}: nothing merged, actuals and the ledger unchanged. Have the workbooks "
              "corrected and merge them all again.", file=sys.stderr)
        return 1
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


def cmd_close(args) -> int:
    from kpi_toolkit.cycle.closing import close_period

    done = close_period(args.client, args.period, args.by, args.database)
    if done["state"] != "closed":
        print(f"{Path(args.client).name}, {done['period']}: {done['state']}, inputs unchanged; nothing to do.")
        return 0
    print(f"{Path(args.client).name}, {done['period']}: closed by {args.by}; {done['pool']} {done['currency']} paid to "
          f"{done['employees']} employees, stored in the ledger.")
    return 0


def cmd_reopen(args) -> int:
    from kpi_toolkit.cycle.closing import reopen_period

    reopen_period(args.client, args.period, args.reason, args.by or _login(), args.database)
    print(f"{Path(args.client).name}, {args.period}: reopened ({args.reason}). Close it again to store the new "
          "amounts.")
    return 0


def cmd_adjust(args) -> int:
    from kpi_toolkit.cycle.closing import adjust_period
    from kpi_toolkit.method.adjustments import correction_note

    done = adjust_period(args.client, args.period, args.by or _login(), args.database)
    if not done["booked"]:
        print(f"{Path(args.client).name}, {args.period}: the inputs changed but no amount did; the new inputs are "
              "recorded, nothing booked.")
        return 0
    print(f"{Path(args.client).name}: booked on {done['target']}:")
    for line in done["booked"]:
        print(f"  {line['employee_id']}: {correction_note(args.period, line['amount_minor'], done['decimals'])} "
              f"{done['currency']}")
    return 0


def cmd_history(args) -> int:
    from kpi_toolkit.cycle.closing import history

    tables = history(args.client, args.database)
    for title, table in tables.items():
        print(f"{title}:")
        print(table.to_string(index=False) if len(table) else "  (none)")
        print()
    return 0
