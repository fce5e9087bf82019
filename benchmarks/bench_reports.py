"""Report runs: `kpi-toolkit run` against the plain way, in seconds per client.

The plain way is what one would write without the toolkit's runner: for every notebook of a
client, in a shell loop, ``papermill`` (a fresh kernel each time), ``jupyter nbconvert --to
html`` and ``chromium --headless --print-to-pdf``. `kpi-toolkit run` does more (the combined
report, results/, offline branded HTML) with one kernel per client, one browser per process
and HTML rendered in-process.

Both run on copies of a demo client (all stages, HTML and PDF), measured in the same run.
The plain way costs the same for every client, so it is timed on a few copies
(``--plain-copies``, default 3) and reported per client.

    python benchmarks/bench_reports.py [--copies 10] [--plain-copies 3] [--client northwind]

Figures go to ``benchmarks/results/reports.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results" / "reports.json"


def make_copies(client: Path, count: int, into: Path) -> list[Path]:
    """`count` copies of `client` named ``<slug>-01`` ... (each its own client to the runner)."""
    copies = []
    for i in range(1, count + 1):
        dest = into / f"{client.name}-{i:02d}"
        shutil.copytree(client, dest)
        copies.append(dest)
    return copies


def plain_script(copies: list[Path], notebooks: list[Path], out: Path, browser: str) -> str:
    """The shell loop of the plain way."""
    lines = ["set -e"]
    for client in copies:
        folder = out / client.name
        lines.append(f"mkdir -p {shlex.quote(str(folder))}")
        for nb in notebooks:
            executed = folder / nb.name
            html = executed.with_suffix(".html")
            pdf = executed.with_suffix(".pdf")
            lines += [
                f"{BIN / 'papermill'} --no-progress-bar -k python3 {shlex.quote(str(nb))} {shlex.quote(str(executed))}"
                f" -p client_dir {shlex.quote(str(client))} -p output_dir {shlex.quote(str(folder))} >/dev/null 2>&1",
                f"{BIN / 'jupyter'} nbconvert --to html {shlex.quote(str(executed))} >/dev/null 2>&1",
                f"{shlex.quote(browser)} --headless --no-sandbox --disable-gpu --no-pdf-header-footer "
                f"--print-to-pdf={shlex.quote(str(pdf))} {html.as_uri()} >/dev/null 2>&1",
            ]
    return "\n".join(lines) + "\n"


def time_plain(copies: list[Path], notebooks: list[Path], work: Path, browser: str) -> float:
    out = work / "plain"
    script = work / "plain.sh"
    script.write_text(plain_script(copies, notebooks, out, browser))
    started = time.perf_counter()
    subprocess.run(["bash", str(script)], check=True, cwd=ROOT / "notebooks")
    elapsed = time.perf_counter() - started
    expected = len(copies) * len(notebooks)
    printed = len(list(out.rglob("*.pdf")))
    if printed != expected:
        raise RuntimeError(f"the plain way printed {printed} PDFs, expected {expected}")
    return elapsed


def time_runner(copies: list[Path], jobs: int, work: Path) -> float:
    out = work / f"runner-jobs{jobs}"
    command = [str(BIN / "kpi-toolkit"), "run", *map(str, copies), "--jobs", str(jobs), "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"kpi-toolkit run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    reports = list(out.glob("*/*/report.pdf"))
    if len(reports) != len(copies):
        raise RuntimeError(f"kpi-toolkit run published {len(reports)} reports, expected {len(copies)}")
    return elapsed


def main(argv: list[str] | None = None) -> dict:
    """Measure, print the table, write reports.json; `argv` as on the command line (default: none)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of the demo client (default 10)")
    parser.add_argument("--plain-copies", type=int, default=3, help="copies run the plain way (default 3)")
    parser.add_argument("--client", default="northwind", help="demo client under clients/ (default northwind)")
    args = parser.parse_args(argv or [])

    sys.path.insert(0, str(ROOT))
    from kpi_toolkit.outputs.pdf import find_browser
    from kpi_toolkit.running.runner import default_notebooks_dir, find_stages

    browser = str(find_browser())
    notebooks = [s.path for s in find_stages(default_notebooks_dir())]
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        work = Path(tmp)
        copies = make_copies(ROOT / "clients" / args.client, args.copies, work / "clients")
        plain_copies = copies[:max(1, min(args.plain_copies, args.copies))]
        plain = time_plain(plain_copies, notebooks, work, browser) / len(plain_copies)
        jobs1 = time_runner(copies, 1, work) / len(copies)
        jobs2 = time_runner(copies, 2, work) / len(copies)
    figures = {
        "client": args.client,
        "stages": len(notebooks),
        "copies": args.copies,
        "plain_copies": len(plain_copies),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "seconds_per_client": {"plain": round(plain, 2), "jobs_1": round(jobs1, 2), "jobs_2": round(jobs2, 2)},
        "speedup_vs_plain": {"jobs_1": round(plain / jobs1, 1), "jobs_2": round(plain / jobs2, 1)},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"Reports: {args.client}, {len(notebooks)} stages, HTML and PDF, {os.cpu_count()} CPUs")
    rows = [("plain: papermill, nbconvert, chromium", plain), ("kpi-toolkit run --jobs 1", jobs1),
            ("kpi-toolkit run --jobs 2", jobs2)]
    print(f"{'way':<40}{'s / client':>12}{'speed-up':>10}")
    for name, seconds in rows:
        print(f"{name:<40}{seconds:>12.2f}{plain / seconds:>9.1f}x")
    print(f"-> {RESULTS.relative_to(ROOT)}")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
