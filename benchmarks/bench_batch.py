"""The monthly batch: `kpi-toolkit run` of many clients with --jobs 1, --jobs 2 and on Dask.

Copies of a demo client (all stages, HTML and PDF by default) are run three ways in the same
run: one after another in one process (``--jobs 1``), in two worker processes (``--jobs 2``)
and as one Dask task per client on a local cluster of two worker processes (``--scheduler
local --jobs 2``: the same code that sends them to a cluster of many machines, with the client
folders and the reports travelling as tars). Each way must publish every copy with the same
results CSVs as the first; the figures are seconds per client and the speed-up over ``--jobs 1``.

    python benchmarks/bench_batch.py [--copies 8] [--client northwind] [--format html,pdf]

Figures go to ``benchmarks/results/batch.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "batch.json"
WAYS = (("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"]),
        ("--scheduler local (2 workers)", ["--scheduler", "local", "--jobs", "2"]))


def make_copies(client: Path, count: int, into: Path) -> list[Path]:
    """`count` copies of `client` named ``<slug>-01`` ... (each its own client to the runner)."""
    copies = []
    for i in range(1, count + 1):
        dest = into / f"{client.name}-{i:02d}"
        shutil.copytree(client, dest)
        copies.append(dest)
    return copies


def time_way(clients_root: Path, out: Path, way: list[str], formats: str, copies: int) -> float:
    command = [sys.executable, "-m", "kpi_toolkit.cli", "run", "--all", "--clients-root", str(clients_root),
               "--out", str(out), "--format", formats, *way]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    published = list(out.glob("*/*/results/bonus_totals.csv"))
    if len(published) != copies:
        raise RuntimeError(f"{' '.join(way)} published {len(published)} clients, expected {copies}")
    return elapsed


def results_of(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.glob("*/*/results/*.csv"))}


def main(argv: list[str] | None = None) -> dict:
    """Measure, print the table, write batch.json; `argv` as on the command line (default: none)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8, help="copies of the demo client (default 8)")
    parser.add_argument("--client", default="northwind", help="demo client under clients/ (default northwind)")
    parser.add_argument("--format", default="html,pdf", help="report formats (default html,pdf)")
    args = parser.parse_args(argv or [])

    seconds = {}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        make_copies(ROOT / "clients" / args.client, args.copies, work / "clients")
        first = None
        for name, way in WAYS:
            out = work / f"out-{len(seconds)}"
            seconds[name] = time_way(work / "clients", out, way, args.format, args.copies) / args.copies
            results = results_of(out)
            if first is None:
                first = results
            elif results != first:
                raise RuntimeError(f"{name} wrote other results CSVs than {WAYS[0][0]}")
    base = seconds[WAYS[0][0]]
    figures = {
        "client": args.client,
        "copies": args.copies,
        "formats": args.format,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "seconds_per_client": {name: round(s, 2) for name, s in seconds.items()},
        "speedup_vs_jobs_1": {name: round(base / s, 2) for name, s in seconds.items()},
        "results_identical": True,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"Batch: {args.copies} copies of {args.client}, every stage, {args.format}, {os.cpu_count()} CPUs, "
          f"load average {figures['load_average'][0]}")
    print(f"{'way':<34}{'s / client':>12}{'speed-up':>10}")
    for name, s in seconds.items():
        print(f"{name:<34}{s:>12.2f}{base / s:>9.2f}x")
    print("results CSVs byte-identical across the three ways")
    print(f"-> {RESULTS.relative_to(ROOT)}")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
