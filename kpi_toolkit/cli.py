"""The ``kpi-toolkit`` command: parses options and hands off to the package.

Exit status: 0 done, 1 a client's input has problems, or the machine refused to write (a
read-only or full disk, no permission; the message names the path and the fix), or some
clients of a batch failed; 2 the command was used wrongly or the toolkit itself failed.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import re
import sys
import traceback
from pathlib import Path

from . import __version__
from .errors import KpiToolkitError, OutputError, ProblemsError

log = logging.getLogger("kpi_toolkit")

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _period(text: str) -> str:
    if not PERIOD.match(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a period; write YYYY-MM, e.g. 2026-09")
    return text


def client_dirs(args) -> list[Path]:
    """The client folders named on the command line, or every folder of ``clients/`` with --all."""
    if getattr(args, "all", False):
        root = Path(args.clients_root)
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    return [Path(p) for p in args.clients]


def cmd_validate(args) -> int:
    from .loading import read_client
    from .validation import format_problems

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
    from .calculate import calculate, load_for_period, periods_between
    from .fileio import clean_stale, target_dir
    from .results import write_range_results, write_results

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
                    from .closing import settle

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
            print(_problems_text(exc), file=sys.stderr)
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


def _problems_text(exc: ProblemsError) -> str:
    from .validation import format_problems

    return format_problems(exc.problems)


def cmd_new(args) -> int:
    from .scaffold import new_client

    path = new_client(args.slug, root=args.root, language=args.language)
    print(f"created {path}: fill in the tables and client.yaml, then run: kpi-toolkit validate {path}")
    return 0


def cmd_template(args) -> int:
    from .template import write_intake_template

    write_intake_template(args.file, language=args.language)
    print(f"wrote {args.file}: send it to the client; saved as client.xlsx in a client folder it can be validated"
          " and computed")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpi-toolkit", description="KPI and bonus systems, every number traceable.")
    parser.add_argument("--version", action="version", version=f"kpi-toolkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    parser.add_argument("--debug", action="store_true", help="show a traceback when the toolkit itself fails")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def clients_args(p, many=True):
        p.add_argument("clients", nargs="*" if many else 1, metavar="CLIENT_DIR", help="client folder(s)")
        p.add_argument("--all", action="store_true", help="every client folder under --clients-root")
        p.add_argument("--clients-root", default="clients", help="where --all looks (default: clients)")

    p = sub.add_parser("validate", help="check a client folder and list every problem")
    clients_args(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("calc", help="compute bonuses and write results/ (CSV, Excel, manifest)")
    clients_args(p)
    p.add_argument("--period", type=_period, help="period YYYY-MM (default: client.yaml's period)")
    p.add_argument("--from", dest="from_period", type=_period, metavar="P1",
                   help="with --to: every bonus period from P1 to P2 (YYYY-MM) in one folder, "
                        "reports/<slug>/<P1>_<P2>/results/, with a 'periods' summary")
    p.add_argument("--to", dest="to_period", type=_period, metavar="P2", help="the last period of --from's range")
    p.add_argument("--out", default="reports", help="output root (default: reports)")
    p.add_argument("--scenario", help="apply clients/<slug>/scenarios/NAME.yaml first")
    p.add_argument("--database", metavar="URL", help="ledger database (default: $KPI_TOOLKIT_DATABASE_URL, else "
                                                      "kpi-ledger.sqlite in the workspace)")
    p.set_defaults(func=cmd_calc)

    p = sub.add_parser("new", help="create a client folder with every table's header")
    p.add_argument("slug", help="lower-case letters, digits and hyphens")
    p.add_argument("--language", choices=["en", "ru"], default="en")
    p.add_argument("--root", default="clients", help="where to create it (default: clients)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("template", help="write an intake workbook for a client to fill in")
    p.add_argument("file", help="FILE.xlsx")
    p.add_argument("--language", choices=["en", "ru"], default="en")
    p.set_defaults(func=cmd_template)

    for module in _COMMAND_MODULES:  # each defines add_command(subparsers); heavy imports stay inside it
        importlib.import_module(f".{module}", __package__).add_command(sub)
    return parser


#: Modules that bring their own sub-command: ``run`` (stage notebooks and reports), ``workshop`` (the web app),
#: ``cycle`` (the monthly cycle: collect, merge, close, reopen, adjust, history), ``statements`` (every
#: employee's own statement).
_COMMAND_MODULES = [m for m in ("runner", "workshop", "cycle", "statements")
                    if importlib.util.find_spec(f"{__package__}.{m}") is not None]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if hasattr(args, "clients") and not args.clients and not getattr(args, "all", False):
        parser.error(f"{args.command}: name a CLIENT_DIR or use --all")
    try:
        return args.func(args)
    except ProblemsError as exc:
        print(_problems_text(exc), file=sys.stderr)
        return 1
    except KpiToolkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        from .fileio import MACHINE_FAULTS, output_error

        if exc.errno not in MACHINE_FAULTS:
            return _internal_error(exc, args)
        print(f"error: {output_error(exc, option='')}", file=sys.stderr)  # the machine's refusal, not a bug
        return 1
    except Exception as exc:
        return _internal_error(exc, args)


def _internal_error(exc: Exception, args) -> int:
    """The toolkit's own failure: say so plainly, trace only on request."""
    if args.debug:
        traceback.print_exc()
    print(f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in kpi-toolkit; run again with --debug "
          "and report the output.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
