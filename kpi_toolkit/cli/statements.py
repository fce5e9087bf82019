"""``kpi-toolkit statements``: every employee's own statement of a period, as HTML and PDF."""
from __future__ import annotations

import argparse
import sys

from kpi_toolkit.cli.options import client_dirs, in_workspace, period_arg, problems_text
from kpi_toolkit.errors import KpiToolkitError, ProblemsError
from kpi_toolkit.fileio import target_dir
from kpi_toolkit.inputs.loading import load_for_period
from kpi_toolkit.method.calculate import calculate
from kpi_toolkit.outputs.statements import FORMATS, start_printer, write_statements
from kpi_toolkit.running.workspace import CLIENTS, REPORTS


def add_command(subparsers) -> None:
    """Register ``kpi-toolkit statements``."""
    p = subparsers.add_parser(
        "statements", help="write every employee's own bonus statement (PDF and HTML)",
        description="Compute the period and write one statement per employee to "
                    "reports/<slug>/<period>/statements/<employee_id>.pdf (and .html), in the client's language "
                    "and branding, each holding that employee's figures alone.",
        epilog="Exit status: 0 every statement was written (with its PDF, when asked for); 1 a client's data has "
               "problems, an --employee is unknown, or the PDFs could not be printed (the HTML is still "
               "written); 2 the command was used wrongly.")
    p.add_argument("clients", nargs="*", metavar="CLIENT_DIR", help="client folder(s)")
    p.add_argument("--all", action="store_true", help="every client folder under --clients-root")
    p.add_argument("--clients-root", default=in_workspace(CLIENTS), help="where --all looks (default: the workspace's clients/)")
    p.add_argument("--period", type=period_arg, help="period YYYY-MM (default: client.yaml's period)")
    p.add_argument("--employee", action="append", nargs="+", metavar="ID", dest="employees",
                   help="only these employees (ids as in employees); may be repeated")
    p.add_argument("--out", default=in_workspace(REPORTS), help="output root (default: the workspace's reports/)")
    p.add_argument("--format", type=_formats, default=",".join(FORMATS), dest="formats",
                   help="html, pdf or html,pdf (default)")
    p.set_defaults(func=cmd_statements)


def cmd_statements(args) -> int:

    folders = client_dirs(args)
    wanted = [e for group in (args.employees or []) for e in group]
    if wanted and len(folders) > 1:
        print("error: --employee names employees of one client; name one CLIENT_DIR", file=sys.stderr)
        return 2
    failed, printer, pdf_problem = [], None, ""
    try:
        for folder in folders:
            try:
                client, period = load_for_period(folder, args.period)
                results = calculate(client, period)
                if "pdf" in args.formats and printer is None and not pdf_problem:
                    printer, pdf_problem = start_printer(client.config.language)
                formats = args.formats if printer is not None else frozenset({"html"})
                outcome = write_statements(results, target_dir(args.out, client.slug, period), employees=wanted or None,
                                           formats=formats, printer=printer)
                kinds = " and ".join(k.upper() for k in FORMATS if k in outcome.formats)
                print(f"{client.config.name} ({client.slug}), {period}: {len(outcome.employees)} statement(s), "
                      f"{kinds} -> {outcome.folder}/  [{outcome.seconds:.1f} s]")
                _note_without_statement(results, wanted)
            except ProblemsError as exc:
                print(problems_text(exc), file=sys.stderr)
                print(f"{folder}: nothing written.", file=sys.stderr)
                failed.append(folder)
            except KpiToolkitError as exc:
                print(f"error: {folder}: {exc}", file=sys.stderr)
                print(f"{folder}: nothing written.", file=sys.stderr)
                failed.append(folder)
            except OSError as exc:  # the machine's refusal, not named yet by the toolkit
                from kpi_toolkit.fileio import output_error

                print(f"error: {folder}: {output_error(exc, args.out)}", file=sys.stderr)
                print(f"{folder}: nothing written.", file=sys.stderr)
                failed.append(folder)
    finally:
        if printer is not None:
            printer.close()
    if pdf_problem and "pdf" in args.formats:
        print(f"PDF statements were not printed: {pdf_problem}. The HTML statements are written.", file=sys.stderr)
    if failed:
        print(f"{len(failed)} client(s) failed: {', '.join(map(str, failed))}", file=sys.stderr)
    return 1 if failed or (pdf_problem and "pdf" in args.formats) else 0


def _note_without_statement(results, wanted) -> None:
    """Say who of the employees table gets no statement for the period (not employed in it)."""
    if wanted:
        return
    have = set(results.bonus.totals.loc[results.bonus.totals["period"] == results.period, "employee_id"].astype(str))
    others = [e for e in results.client.employees["employee_id"].astype(str) if e not in have]
    if others:
        print(f"  {len(others)} employee(s) without KPI lines in {results.period} get no statement: "
              f"{', '.join(others)}")


def _formats(text: str) -> frozenset[str]:

    chosen = frozenset(f.strip().lower() for f in text.split(",") if f.strip())
    if not chosen or chosen - set(FORMATS):
        raise argparse.ArgumentTypeError(f"'{text}': formats are html and pdf, e.g. --format html,pdf")
    return chosen
