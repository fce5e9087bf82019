"""The ``kpi-toolkit`` command: parses options and hands off to the package.

Exit status: 0 done, 1 a client's input has problems, or the machine refused to write (a
read-only or full disk, no permission; the message names the path and the fix), or some
clients of a batch failed; 2 the command was used wrongly or the toolkit itself failed.
"""
from __future__ import annotations

import argparse
import logging
import sys
import traceback

from kpi_toolkit.cli import check, clients, cycle, run, statements, workshop, workspace
from kpi_toolkit.cli.options import problems_text
from kpi_toolkit.errors import KpiToolkitError, ProblemsError
from kpi_toolkit.version import __version__

log = logging.getLogger("kpi_toolkit")

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpi-toolkit", description="KPI and bonus systems, every number traceable.")
    parser.add_argument("--version", action="version", version=f"kpi-toolkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    parser.add_argument("--debug", action="store_true", help="show a traceback when the toolkit itself fails")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for commands in COMMANDS:
        commands.add_command(sub)
    return parser


#: The families of sub-commands, in the order ``--help`` lists them: the workspace's (``init``,
#: ``notebook``), a client folder's (``validate``,
#: ``calc``, ``new``, ``template``), ``run`` (stage notebooks and reports), ``statements`` (every
#: employee's own), the monthly cycle (``collect``, ``merge``, ``close``, ``reopen``, ``adjust``,
#: ``history``), ``workshop`` (the scenario explorer as a web app) and ``check-report`` (a PDF's layout).
COMMANDS = (workspace, clients, run, statements, cycle, workshop, check)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if hasattr(args, "clients") and not args.clients and not getattr(args, "all", False):
        parser.error(f"{args.command}: name a CLIENT_DIR or use --all")
    try:
        return args.func(args)
    except ProblemsError as exc:
        print(problems_text(exc), file=sys.stderr)
        return 1
    except KpiToolkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        from kpi_toolkit.fileio import MACHINE_FAULTS, output_error

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
