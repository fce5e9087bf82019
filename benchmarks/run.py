"""`make bench`: every benchmark of the project, each reporting ratios against a baseline measured
in the same run. Figures are printed and written to benchmarks/results/*.json."""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCHMARKS = ["bench_engine", "bench_reports", "bench_scale", "bench_batch", "bench_explorer"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=[b.removeprefix("bench_") for b in BENCHMARKS], action="append")
    args = parser.parse_args()
    for name in BENCHMARKS:
        if args.only and name.removeprefix("bench_") not in args.only:
            continue
        print(f"== {name.removeprefix('bench_')}")
        importlib.import_module(name).main()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
