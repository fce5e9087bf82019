"""The commands on a client folder: ``validate``, ``calc``, ``new`` and ``template``."""
from __future__ import annotations

import sys

from kpi_toolkit.cli.options import add_client_args, client_dirs, in_workspace, period_arg, problems_text
from kpi_toolkit.errors import KpiToolkitError, OutputError, ProblemsError
from kpi_toolkit.running.workspace import REPORTS


def add_command(subparsers) -> None:
    """Register ``validate``, ``calc``, ``new`` and ``template``."""
    p = subparsers.add_parser("validate", help="check a client folder and list every problem")
    add_client_args(p)
    p.set_defaults(func=cmd_validate)

    p = subparsers.add_parser("calc", help="compute bonuses and write results/ (CSV, Excel, manifest)")
    add_client_args(p)
    p.add_argument("--period", type=period_arg, help="period YYYY-MM (default: client.yaml's period)")
    p.add_argument("--from", dest="from_period", type=period_arg, metavar="P1",
                   help="with --to: every bonus period from P1 to P2 (YYYY-MM) in one folder, "
                        "reports/<slug>/<P1>_<P2>/results/, with a 'periods' summary")
    p.add_argument("--to", dest="to_period", type=period_arg, metavar="P2", help="the last period of --from's range")
    p.add_argument("--out", default=in_workspace(REPORTS), help="output root (default: the workspace's reports/)")
    p.add_argument("--scenario", help="apply clients/<slug>/scenarios/NAME.yaml first")
    p.add_argument("--database", metavar="URL", help="ledger database (default: $KPI_TOOLKIT_DATABASE_URL, else "
                                                      "kpi-ledger.sqlite in the workspace)")
    p.set_defaults(func=cmd_calc)

    p = subparsers.add_parser("new", help="create a client folder with every table's header")
    p.add_argument("slug", help="lower-case letters, digits and hyphens")
    p.add_argument("--language", choices=["en", "ru"], default="en")
    p.add_argument("--workbook", action="store_true",
                   help="the tables and settings in one intake workbook, client.xlsx, instead of CSV files")
    p.add_argument("--root", default="clients", help="where to create it (default: clients)")
    p.set_defaults(func=cmd_new)

    p = subparsers.add_parser("template", help="write an intake workbook for a client to fill in")
    p.add_argument("file", help="FILE.xlsx")
    p.add_argument("--language", choices=["en", "ru"], default="en")
    p.set_defaults(func=cmd_template)


def cmd_validate(args) -> int:
    from kpi_toolkit.inputs.loading import read_client
    from kpi_toolkit.inputs.validation import format_problems

    status = 0
    for folder in client_dirs(args):
        data, problems = read_client(folder)
        errors = [p for p in problems if p.severity == "error"]
        warnings = [p for p in problems if p.severity == "warning"]
        if problems:
            print(format_problems(problems))
        if errors:
            print(f"{folder}: {len(errors)} error(s), {len(warnings)} warning(s): not usable until fixed.")
            status = 1
        else:
            print(f"{folder}: usable ({len(warnings)} warning(s)).")
    return status


def cmd_calc(args) -> int:
    from kpi_toolkit.fileio import clean_stale, target_dir
    from kpi_toolkit.inputs.loading import load_for_period
    from kpi_toolkit.method.calculate import calculate, periods_between
    from kpi_toolkit.outputs.results import write_range_results, write_results

    if (args.from_period is None) != (args.to_period is None):
        print("error: --from and --to go together: give both, e.g. --from 2026-04 --to 2026-09", file=sys.stderr)
        return 2
    if args.from_period and args.period:
        print("error: give either --period or --from/--to, not both", file=sys.stderr)
        return 2
    if args.from_period and args.from_period > args.to_period:
        print(f"error: --from {args.from_period} is after --to {args.to_period}; the range runs forward",
              file=sys.stderr)
        return 2
    failed = []
    for folder in client_dirs(args):
        try:
            if args.from_period:
                client, _ = load_for_period(folder, None, args.scenario)
                periods = periods_between(client, args.from_period, args.to_period)
            else:
                client, period = load_for_period(folder, args.period, args.scenario)
                periods = [period]
            runs = []
            for period in periods:
                results = calculate(client, period, scenario=args.scenario)
                closing = None
                if not args.scenario:  # a what-if is never paid: only the real figures meet the ledger
                    from kpi_toolkit.cycle.closing import settle

                    results, closing = settle(results, args.database)
                runs.append((results, closing))
            label = f"{args.from_period}_{args.to_period}" if args.from_period else periods[0]
            out = target_dir(args.out, client.slug, label, args.scenario)
            clean_stale(out)  # what a killed `run` of this client left beside it
            if args.from_period:
                write_range_results(runs, out, parameters={"from": args.from_period, "to": args.to_period,
                                                           "periods": periods, "scenario": args.scenario})
            else:
                write_results(runs[0][0], out, parameters={"period": label, "scenario": args.scenario})
            for w in client.warnings:
                print(f"  warning: {w}")
            for results, closing in runs:
                print(f"{client.config.name} ({client.slug}), {results.period}: pool "
                      f"{results.bonus.pool(results.period):,.{results.bonus.decimals}f} {client.config.currency} "
                      f"for {len(results.bonus.totals)} employees"
                      + ("" if args.from_period else f" -> {out / 'results'}"))
                if closing is not None:
                    print(f"  closed by {closing.closed_by} on {closing.closed_at:%Y-%m-%d}: these are the amounts "
                          "paid")
            if args.from_period:
                print(f"{len(runs)} period(s) with a 'periods' summary -> {out / 'results'}")
        except ProblemsError as exc:
            print(problems_text(exc), file=sys.stderr)
            print(f"{folder}: nothing written.", file=sys.stderr)
            failed.append(folder)
        except OutputError as exc:
            print(f"error: {exc}\n{folder}: nothing written.", file=sys.stderr)
            failed.append(folder)
        except KpiToolkitError as exc:
            print(f"error: {folder}: {exc}", file=sys.stderr)
            failed.append(folder)
    if failed:
        print(f"{len(failed)} client(s) failed: {', '.join(map(str, failed))}", file=sys.stderr)
    return 1 if failed else 0


def cmd_new(args) -> int:
    from kpi_toolkit.inputs.scaffold import new_client

    path = new_client(args.slug, root=args.root, language=args.language, workbook=args.workbook)
    if args.workbook:
        print(f"created {path}: fill in client.xlsx (the tables, and the settings on its 'client' sheet; "
              f"payout curves, payroll, branding and the funnel go in client.yaml), then run: "
              f"kpi-toolkit validate {path}")
    else:
        print(f"created {path}: fill in the tables and client.yaml, then run: kpi-toolkit validate {path}")
    return 0


def cmd_template(args) -> int:
    from kpi_toolkit.inputs.intake_template import write_intake_template

    write_intake_template(args.file, language=args.language)
    print(f"wrote {args.file}: send it to the client; saved as client.xlsx in a client folder it can be validated"
          " and computed")
    return 0
