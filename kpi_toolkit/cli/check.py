"""``kpi-toolkit check-report``: the layout rules of a printed report, checked on its PDF."""
from __future__ import annotations

import sys

from kpi_toolkit.errors import KpiToolkitError
from kpi_toolkit.outputs.layout_check import check_pdf


def add_command(subparsers) -> None:
    """Register ``kpi-toolkit check-report``."""
    p = subparsers.add_parser(
        "check-report", help="check a report's PDF for stranded headings, split tables and clipped text",
        description="Check each PDF against the layout rules a client-ready report keeps: no page holding only "
                    "the footer, no text past the column, no heading or name last on its page, no table split "
                    "leaving fewer than three rows on a page, every continued table repeating its header.",
        epilog="Exit status: 0 no layout problem; 1 a problem was found or a file is not a readable PDF; "
               "2 the command was used wrongly.")
    p.add_argument("reports", nargs="+", metavar="REPORT.pdf", help="report PDF(s) to check")
    p.set_defaults(func=cmd)


def cmd(args) -> int:
    found = 0
    for report in args.reports:
        try:
            problems = check_pdf(report)
        except KpiToolkitError as error:
            print(f"error: {report}: {error}", file=sys.stderr)
            found += 1
            continue
        for problem in problems:
            print(f"{report}: {problem}")
        found += len(problems)
        if not problems:
            print(f"{report}: no layout problem")
    return 1 if found else 0
