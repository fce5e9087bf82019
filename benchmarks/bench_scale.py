"""Report runs as the client grows: `kpi-toolkit run` (every stage, HTML and PDF) of synthetic
clients of 50, 500 and 5,000 employees (5 KPIs, 6 months), each measured for its wall time,
the peak memory of the run with its notebook kernels and Chromium (the resident memory of
the whole process tree, sampled every 0.2 s), and the pages of the combined report and of
the per-employee files beside it (``detail/``, HTML only: their size in MB).

    python benchmarks/bench_scale.py [--sizes 50,500,5000] [--format html,pdf]

The target (issue 14): 5,000 employees within 10 minutes and 4 GB, and a combined report
that stays a report (summaries and exceptions; each employee's detail in its own files).
Figures go to ``benchmarks/results/scale.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "scale.json"
PERIODS = 6
SIZES = (50, 500, 5000)
LIMIT_SECONDS, LIMIT_GB = 600, 4.0  # the target for 5,000 employees


class PeakMemory:
    """The largest resident memory of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.2):
        self.process, self.every, self.peak = psutil.Process(pid), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for p in tree:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)


def make_client(employees: int, into: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synthetic import synthetic_client, write_client_folder

    folder = into / f"synthetic-{employees}"
    write_client_folder(synthetic_client(employees, PERIODS), folder)
    return folder


def pdf_pages(path: Path) -> int | None:
    if not path.is_file():
        return None
    import pypdf

    return len(pypdf.PdfReader(str(path)).pages)


def measure(employees: int, work: Path, formats: str) -> dict:
    client = make_client(employees, work / "clients")
    out = work / "reports"
    command = [sys.executable, "-m", "kpi_toolkit.cli", "run", str(client), "--format", formats,
               "--out", str(out)]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with PeakMemory(process.pid) as memory:
        output, _ = process.communicate()
    seconds = time.perf_counter() - started
    published = out / client.name / f"2025-{PERIODS:02d}"
    detail = published / "detail"
    figures = {
        "employees": employees,
        "status": process.returncode,
        "seconds": round(seconds, 1),
        "peak_gb": round(memory.peak / 1e9, 2),
        "report_pages": pdf_pages(published / "report.pdf"),
        "report_html_mb": round((published / "report.html").stat().st_size / 1e6, 2)
        if (published / "report.html").is_file() else None,
        "detail_files": sorted(p.name for p in detail.glob("*.html")) if detail.is_dir() else [],
        "detail_mb": round(sum(p.stat().st_size for p in detail.glob("*")) / 1e6, 1) if detail.is_dir() else 0,
        "load_before": round(load, 2),
    }
    if process.returncode != 0:
        figures["output"] = output[-2000:]
    return figures


def main(argv: list[str] | None = None) -> dict:
    """Measure, print the table, write scale.json; `argv` as on the command line (default: none)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="employees, comma-separated")
    parser.add_argument("--format", default="html,pdf", help="report formats (default html,pdf)")
    args = parser.parse_args(argv or [])
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows = []
    print(f"Reports by client size: every stage, {args.format}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'employees':>10}{'seconds':>10}{'peak GB':>10}{'pages':>8}{'detail MB':>11}  status")
    for employees in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            row = measure(employees, Path(tmp), args.format)
        rows.append(row)
        ok = row["status"] == 0 and (employees < 5000 or (row["seconds"] <= LIMIT_SECONDS
                                                         and row["peak_gb"] <= LIMIT_GB))
        print(f"{employees:>10}{row['seconds']:>10.1f}{row['peak_gb']:>10.2f}"
              f"{row['report_pages'] if row['report_pages'] is not None else '-':>8}{row['detail_mb']:>11.1f}  "
              f"{'ok' if ok else 'FAILED' if row['status'] else 'over target'}", flush=True)
        if row["status"]:
            print(row.get("output", ""))
    figures = {"periods": PERIODS, "formats": args.format, "cpus": os.cpu_count(), "runs": rows,
               "target": {"employees": 5000, "seconds": LIMIT_SECONDS, "gb": LIMIT_GB}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"-> {RESULTS.relative_to(ROOT)}")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
