"""``kpi-toolkit run``: the stage notebooks of each client, published as HTML and PDF reports."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from kpi_toolkit.cli.options import client_dirs, in_workspace, period_arg
from kpi_toolkit.running.batch import format_summary, run_batch
from kpi_toolkit.running.runner import DEFAULT_TIMEOUT, FORMATS, RunOptions, default_notebooks_dir, find_stages
from kpi_toolkit.running.workspace import CLIENTS, REPORTS


def add_command(subparsers) -> None:
    """Register ``kpi-toolkit run``."""
    p = subparsers.add_parser(
        "run", help="run the stage notebooks and publish HTML and PDF reports",
        description="Execute the stage notebooks for each client and publish reports/<slug>/<period>/: an HTML "
                    "and a PDF per stage, the combined report, the executed notebooks and results/. A client "
                    "is published whole or not at all; a failed one keeps its notebooks in .failed/.",
        epilog="Exit status: 0 every client was published (with its PDFs, when asked for); 1 a client's data or "
               "notebook failed, its reports could not be written (a read-only or full disk, no permission: the "
               "message names the folder and the fix), or the PDFs could not be printed (the HTML reports are "
               "still written); "
               "2 the command was used wrongly.")
    p.add_argument("clients", nargs="*", metavar="CLIENT_DIR", help="client folder(s)")
    p.add_argument("--all", action="store_true", help="every client folder under --clients-root")
    p.add_argument("--clients-root", default=in_workspace(CLIENTS), help="where --all looks (default: the workspace's clients/)")
    p.add_argument("--period", type=period_arg, help="period YYYY-MM (default: client.yaml's period)")
    p.add_argument("--stages", help="stages to run, e.g. 00,03 (default: all)")
    p.add_argument("--scenario", help="apply clients/<slug>/scenarios/NAME.yaml; published under "
                                      "<period>/scenarios/NAME/")
    p.add_argument("--out", default=in_workspace(REPORTS), help="output root (default: the workspace's reports/)")
    p.add_argument("--jobs", type=_positive, default=None,
                   help="clients run in parallel processes (default: 1; with --scheduler local: one per CPU)")
    p.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER_ADDRESS") or None, metavar="ADDRESS",
                   help="run one Dask task per client on the cluster whose scheduler is at ADDRESS "
                        "(tcp://HOST:8786; default: $DASK_SCHEDULER_ADDRESS), or 'local' for a local cluster "
                        "of --jobs worker processes; results are published in --out on this machine")
    p.add_argument("--format", type=_formats, default=",".join(FORMATS), dest="formats",
                   help="html, pdf or html,pdf (default)")
    p.add_argument("--notebooks", help="folder of the stage notebooks (default: the toolkit's notebooks/)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds a cell may run (default: 600)")
    p.add_argument("--statements", action="store_true",
                   help="also write every employee's own statement to statements/ (as `kpi-toolkit statements`)")
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    if getattr(args, "debug", False):  # tracebacks of failed clients, from worker processes too
        logging.getLogger("kpi_toolkit").setLevel(logging.DEBUG)
    stages = find_stages(args.notebooks or default_notebooks_dir(), args.stages)
    options = RunOptions(stages=stages, out=Path(args.out), period=args.period, scenario=args.scenario,
                         formats=args.formats, timeout=args.timeout, statements=args.statements)
    scheduler = args.scheduler
    if args.jobs and scheduler and scheduler != "local":
        print(f"kpi-toolkit run: error: --jobs {args.jobs} with --scheduler {scheduler}: the cluster's workers run "
              f"the clients; drop --jobs, or use --scheduler local --jobs N for N local workers", file=sys.stderr)
        return 2
    batch = run_batch(client_dirs(args), options, jobs=args.jobs or 1, scheduler=scheduler)
    print(format_summary(batch))
    return 0 if batch.ok else 1


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of jobs; write 1 or more")
    return int(text)


def _formats(text: str) -> frozenset[str]:
    chosen = frozenset(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = chosen - set(FORMATS)
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(f"'{text}': formats are html and pdf, e.g. --format html,pdf")
    return chosen
