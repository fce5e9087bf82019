"""A synthetic company for benchmarks: N employees x 5 KPIs x P monthly periods."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from kpi_toolkit.method.client import ClientConfig, ClientData, PayoutCurve
from kpi_toolkit.method.schema import ROW, TABLES

KPIS = 5
POSITIONS = 20


def _conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    spec = TABLES[name]
    for col in spec.columns:
        if col.name not in df:
            df[col.name] = np.nan if col.kind == "number" else (
                pd.NaT if col.kind == "date" else None)
    df = df[spec.column_names].copy()
    df[ROW] = np.arange(2, len(df) + 2)
    return df


def synthetic_tables(employees: int, periods: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    kpi_ids = [f"K{i}" for i in range(KPIS)]
    kpis = pd.DataFrame({"kpi_id": kpi_ids, "name": [f"KPI {i}" for i in range(KPIS)],
                         "direction": ["higher", "higher", "lower", "higher", "band"],
                         "band_low": [np.nan] * 4 + [10.0], "band_high": [np.nan] * 4 + [15.0],
                         "band_tolerance": [np.nan] * 4 + [5.0],
                         "missing": ["error", "error", "error", "exclude", "zero"]})
    pos_ids = [f"P{i:02d}" for i in range(POSITIONS)]
    positions = pd.DataFrame({"position_id": pos_ids, "name": [f"Position {i}" for i in range(POSITIONS)],
                              "department": [f"Dept {i % 6}" for i in range(POSITIONS)],
                              "variable_share": 0.25})
    weights = [0.3, 0.25, 0.2, 0.15, 0.1]
    pk = pd.DataFrame([{"position_id": p, "kpi_id": k, "weight": w, "threshold": 0.7,
                        "stop_threshold": 0.5 if k == "K1" else np.nan, "cap": 1.5,
                        "curve": "linear" if (i % 4 == 0 and k == "K0") else None}
                       for i, p in enumerate(pos_ids) for k, w in zip(kpi_ids, weights)])
    emp_ids = np.array([f"E{i:06d}" for i in range(employees)], dtype=object)
    emp = pd.DataFrame({"employee_id": emp_ids, "name": [f"Employee {i}" for i in range(employees)],
                        "position_id": np.array(pos_ids, dtype=object)[rng.integers(0, POSITIONS, employees)],
                        "base_salary": rng.integers(3000, 9000, employees).astype(float) * 10})
    emp["start_date"] = pd.NaT
    joiners = rng.random(employees) < 0.02
    emp.loc[joiners, "start_date"] = pd.Timestamp("2025-06-16")
    labels = [f"2025-{m:02d}" for m in range(1, periods + 1)]
    n = employees * KPIS * periods
    period = pd.Categorical.from_codes(np.repeat(np.arange(periods), employees * KPIS), categories=labels)
    employee = pd.Categorical.from_codes(np.tile(np.repeat(np.arange(employees), KPIS), periods), categories=emp_ids)
    kpi = pd.Categorical.from_codes(np.tile(np.arange(KPIS), employees * periods), categories=kpi_ids)
    plan = np.round(rng.uniform(50, 500, n), 2)
    fact = np.round(plan * rng.normal(1.0, 0.2, n), 2)
    k = np.tile(np.arange(KPIS), employees * periods)
    fact[k == 4] = np.round(rng.uniform(5, 20, (k == 4).sum()), 1)
    plan[k == 4] = np.nan
    fact[(k == 3) & (rng.random(n) < 0.01)] = np.nan
    fact[(k == 2) & (fact <= 0)] = 1.0
    actuals = pd.DataFrame({"period": period, "employee_id": employee, "kpi_id": kpi, "plan": plan, "fact": fact})
    stop = pd.DataFrame({"position_id": pos_ids[:5], "kpi_id": "K3", "condition": "<", "limit": 20.0, "factor": 0.5})
    given = {"kpis": kpis, "positions": positions, "position_kpis": pk, "stop_factors": stop, "employees": emp,
             "actuals": actuals}
    return {name: _conform(name, given.get(name, pd.DataFrame())) for name in TABLES}


def synthetic_client(employees: int, periods: int, seed: int = 7) -> ClientData:
    config = ClientConfig(name="Synthetic", language="en", currency="EUR", period=f"2025-{periods:02d}",
                          currency_decimals=2,
                          payout_curves={"linear": PayoutCurve("linear", "linear", ((0.7, 0.5), (1.0, 1.0), (1.3, 1.5)))})
    return ClientData(slug="synthetic", path=Path("."), config=config, tables=synthetic_tables(employees, periods, seed))


def write_client_folder(client: ClientData, folder: Path) -> None:
    """Write the synthetic client as a client folder (CSV + client.yaml), as a consultant would have it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in client.tables.items():
        if name == "project" or (name in ("gates", "modifiers") and df.empty):
            continue
        out = df.drop(columns=[ROW])
        for col in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        out.to_csv(folder / f"{name}.csv", index=False)
    cfg = {"name": "Synthetic", "language": "en", "currency": "EUR", "period": client.config.period,
           "payout_curves": {"linear": {"type": "linear", "points": [[0.7, 0.5], [1.0, 1.0], [1.3, 1.5]]}}}
    (folder / "client.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
