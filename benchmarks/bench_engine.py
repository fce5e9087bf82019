"""Bonus engine benchmark: 100,000 employees x 5 KPIs x 12 periods (6 million lines).

Each measurement runs in a fresh process so that its peak memory is its own. Reports wall time
and peak resident memory with loading excluded (tables already in memory) and included (a
client folder of CSV files read and validated), and the speed-up against a plain per-line
Python loop over a sample of the same lines, measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _child(mode: str, employees: int, periods: int, folder: str | None) -> dict:
    """Run one measurement in this process (called in a fresh interpreter)."""
    import resource

    sys.path.insert(0, str(HERE))
    from synthetic import synthetic_client

    from kpi_toolkit import compute_bonuses, load_client

    if mode == "compute":
        client = synthetic_client(employees, periods)
        start = time.perf_counter()
        result = compute_bonuses(client, "all")
    else:
        start = time.perf_counter()
        client = load_client(folder)
        loaded = time.perf_counter() - start
        result = compute_bonuses(client, "all")
    wall = time.perf_counter() - start
    out = {"mode": mode, "lines": int(len(result.lines)), "seconds": wall,
           "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "pool_minor": int(result.totals["bonus_minor"].sum())}
    if mode == "load":
        out["load_seconds"] = loaded
    return out


def plain_loop(employees: int, periods: int, sample: int) -> dict:
    """The plain way a notebook would do it: a loop over the DataFrame's rows, looking each
    line's scheme up in the tables, Decimal rounding per line; on a sample."""
    sys.path.insert(0, str(HERE))
    from synthetic import synthetic_client

    client = synthetic_client(employees, periods)
    actuals = client.actuals.head(sample)
    employees_ = client.employees.set_index("employee_id")
    kpis = client.kpis.set_index("kpi_id")
    scheme = client.position_kpis.set_index(["position_id", "kpi_id"])
    cent = Decimal("0.01")
    start = time.perf_counter()
    total = Decimal(0)
    for _, line in actuals.iterrows():
        e = employees_.loc[line["employee_id"]]
        k = kpis.loc[line["kpi_id"]]
        s = scheme.loc[(e["position_id"], line["kpi_id"])]
        plan, fact = line["plan"], line["fact"]
        if fact != fact:
            a = 0.0
        elif k["direction"] == "lower":
            a = plan / fact
        elif k["direction"] == "band":
            outside = max(k["band_low"] - fact, 0) + max(fact - k["band_high"], 0)
            a = max(1 - outside / k["band_tolerance"], 0)
        else:
            a = fact / plan
        c = 0.0 if a < s["threshold"] else min(a, s["cap"])
        fund = e["base_salary"] * 0.25 / 0.75
        total += Decimal(repr(float(fund * s["weight"] * c))).quantize(cent, rounding=ROUND_HALF_UP)
    seconds = time.perf_counter() - start
    return {"lines": len(actuals), "seconds": seconds, "per_line_us": seconds / len(actuals) * 1e6}


def tuned_loop(employees: int, periods: int, sample: int) -> dict:
    """A tuned pure-Python loop: the tables turned into dicts first, one iteration per line."""
    sys.path.insert(0, str(HERE))
    from synthetic import synthetic_client

    client = synthetic_client(employees, periods)
    actuals = client.actuals.head(sample)
    pks = {(r.position_id, r.kpi_id): r for r in client.position_kpis.itertuples()}
    kpis = {r.kpi_id: r for r in client.kpis.itertuples()}
    emps = {r.employee_id: r for r in client.employees.itertuples()}
    rows = list(zip(actuals["employee_id"].astype(str), actuals["kpi_id"].astype(str), actuals["plan"],
                    actuals["fact"]))
    cent = Decimal("0.01")
    start = time.perf_counter()
    total = Decimal(0)
    for employee_id, kpi_id, plan, fact in rows:
        e = emps[employee_id]
        k = kpis[kpi_id]
        s = pks[(e.position_id, kpi_id)]
        if fact != fact:
            a = 0.0
        elif k.direction == "lower":
            a = plan / fact
        elif k.direction == "band":
            outside = max(k.band_low - fact, 0) + max(fact - k.band_high, 0)
            a = max(1 - outside / k.band_tolerance, 0)
        else:
            a = fact / plan
        c = 0.0 if a < s.threshold else min(a, s.cap)
        fund = e.base_salary * 0.25 / 0.75
        amount = Decimal(repr(fund * s.weight * c)).quantize(cent, rounding=ROUND_HALF_UP)
        total += amount
    seconds = time.perf_counter() - start
    return {"lines": len(rows), "seconds": seconds, "per_line_us": seconds / len(rows) * 1e6}


def _run_child(mode: str, employees: int, periods: int, folder: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--employees", str(employees), "--periods", str(periods)]
    if folder:
        cmd += ["--folder", folder]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(employees: int = 100_000, periods: int = 12, sample: int = 60_000, include_loading: bool = True) -> dict:
    figures: dict = {"employees": employees, "kpis": 5, "periods": periods}
    figures["compute"] = _run_child("compute", employees, periods)
    if include_loading:
        sys.path.insert(0, str(HERE))
        from synthetic import synthetic_client, write_client_folder

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "synthetic"
            write_client_folder(synthetic_client(employees, periods), folder)
            figures["load_and_compute"] = _run_child("load", employees, periods, str(folder))
    figures["plain_loop"] = plain_loop(employees, periods, sample // 6)
    figures["tuned_loop"] = tuned_loop(employees, periods, sample)
    engine_per_line = figures["compute"]["seconds"] / figures["compute"]["lines"] * 1e6
    figures["engine_per_line_us"] = engine_per_line
    figures["speedup_vs_loop"] = figures["plain_loop"]["per_line_us"] / engine_per_line
    figures["speedup_vs_tuned_loop"] = figures["tuned_loop"]["per_line_us"] / engine_per_line
    figures["targets"] = {"seconds": 5.0, "peak_mb": 3072, "speedup": 100}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engine.json").write_text(json.dumps(figures, indent=2) + "\n")
    c = figures["compute"]
    print(f"bonus engine, {c['lines']:,} lines ({employees:,} employees x 5 KPIs x {periods} periods)")
    print(f"  loading excluded : {c['seconds']:7.2f} s   peak {c['peak_mb']:7.0f} MB   (target < 5 s, < 3072 MB)")
    if "load_and_compute" in figures:
        lc = figures["load_and_compute"]
        print(f"  loading included : {lc['seconds']:7.2f} s   peak {lc['peak_mb']:7.0f} MB   "
              f"(of which reading + validating {lc['load_seconds']:.2f} s)")
    print(f"  engine           : {engine_per_line:.3f} us/line")
    print(f"  plain row loop   : {figures['plain_loop']['per_line_us']:8.2f} us/line on {figures['plain_loop']['lines']:,} "
          f"lines -> engine {figures['speedup_vs_loop']:.0f}x faster (target >= 100x)")
    print(f"  tuned dict loop  : {figures['tuned_loop']['per_line_us']:8.2f} us/line on {figures['tuned_loop']['lines']:,} "
          f"lines -> engine {figures['speedup_vs_tuned_loop']:.1f}x faster (does far less: no reasons, ties, totals)")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child")
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--folder")
    parser.add_argument("--no-loading", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.employees, args.periods, args.folder)))
    else:
        main(args.employees, args.periods, include_loading=not args.no_loading)
