"""Build small in-memory clients for engine tests, shaped exactly as the loader shapes them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kpi_toolkit.method.client import ClientConfig, ClientData, PayoutCurve
from kpi_toolkit.method.schema import ROW, TABLES


def frame(table: str, rows: list[dict] | None) -> pd.DataFrame:
    """A table with the declared columns and dtypes; absent values are empty."""
    spec = TABLES[table]
    rows = rows or []
    data = {}
    for col in spec.columns:
        values = [r.get(col.name) for r in rows]
        if col.kind == "number":
            data[col.name] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        elif col.kind == "integer":
            data[col.name] = pd.Series(values, dtype="Int64")
        elif col.kind == "date":
            data[col.name] = pd.to_datetime(pd.Series(values, dtype=object))
        else:
            data[col.name] = pd.Series(values, dtype=object)
    df = pd.DataFrame(data, columns=spec.column_names)
    df[ROW] = np.arange(2, len(df) + 2)
    return df


def make_client(*, positions, position_kpis, employees, actuals, kpis=None, stop_factors=None, gates=None, modifiers=None,
                goals=None, project=None, period="2026-09", currency="RUB", decimals=2,
                curves=None, bonus_period_months=1, language="en") -> ClientData:
    if kpis is None:
        ids = sorted({r["kpi_id"] for r in position_kpis} | {r["kpi_id"] for r in (stop_factors or [])})
        kpis = [{"kpi_id": k, "name": k} for k in ids]
    curves = {name: PayoutCurve(name, kind, tuple(map(tuple, pts)), *rest)  # rest: basis, open
              for name, (kind, pts, *rest) in (curves or {}).items()}
    config = ClientConfig(name="Test client", language=language, currency=currency, period=period,
                          currency_decimals=decimals, bonus_period_months=bonus_period_months,
                          payout_curves=curves)
    tables = {
        "goals": frame("goals", goals), "kpis": frame("kpis", kpis), "positions": frame("positions", positions),
        "position_kpis": frame("position_kpis", position_kpis), "stop_factors": frame("stop_factors", stop_factors),
        "gates": frame("gates", gates), "modifiers": frame("modifiers", modifiers),
        "employees": frame("employees", employees), "actuals": frame("actuals", actuals),
        "project": frame("project", project),
    }
    return ClientData(slug="test", path=Path("."), config=config, tables=tables,
                      sources={t: f"{t}.csv" for t in tables})


def one_employee(kpi_rows, *, fund=100_000, period="2026-09", stop_factors=None, extra_actuals=(),
                 curves=None, kpis=None, employee=None, decimals=2):
    """A client with one position and one employee: ``kpi_rows`` are dicts with kpi_id, weight,
    plan, fact and optional threshold, stop_threshold, cap, curve."""
    scheme_keys = ("weight", "threshold", "stop_threshold", "cap", "curve")
    pks = [{"position_id": "pos", "kpi_id": r["kpi_id"], **{k: r[k] for k in scheme_keys if k in r}}
           for r in kpi_rows]
    emp = {"employee_id": "E1", "name": "Ann", "position_id": "pos", "bonus_fund": fund}
    emp.update(employee or {})
    actuals = [{"period": period, "employee_id": "E1", "kpi_id": r["kpi_id"], "plan": r.get("plan"),
                "fact": r.get("fact")} for r in kpi_rows] + list(extra_actuals)
    return make_client(positions=[{"position_id": "pos", "name": "Position", "department": "Sales"}],
                       position_kpis=pks, employees=[emp], actuals=actuals, kpis=kpis,
                       stop_factors=stop_factors, period=period, curves=curves, decimals=decimals)


def sectioned_client(rule, gates=(), training=8, **position):
    """Fund 100 000, one employee; sections business: sales w 0.5 (120 of 100: c 1.2), margin w 0.2
    (9 of 10: c 0.9); individual: training w 0.3 (``training`` of 10, threshold 0.7); the
    position's ``section_rule`` is ``rule``; ``gates``: rows without position_id."""
    client = one_employee([{"kpi_id": "sales", "weight": 0.5, "plan": 100, "fact": 120},
                           {"kpi_id": "margin", "weight": 0.2, "plan": 10, "fact": 9},
                           {"kpi_id": "training", "weight": 0.3, "plan": 10, "fact": training, "threshold": 0.7}])
    pks = client.position_kpis.to_dict("records")
    for r, section in zip(pks, ("business", "business", "individual")):
        r["section"] = section
    positions = [{"position_id": "pos", "name": "Position", "department": "Sales", "section_rule": rule, **position}]
    return client.with_tables(position_kpis=frame("position_kpis", pks), positions=frame("positions", positions),
                              gates=frame("gates", [{"position_id": "pos", **g} for g in gates]))


#: Facts of the year-to-date worked example (tests/test_bonus.py): sales, plan 100 a month.
YTD_FACTS = {"2026-01": 120, "2026-02": 60, "2026-03": 20, "2026-04": 200}


def ytd_client(clawback=None, start=None, facts=None):
    """Fund 1 000 a month; sales (weight 1, plan 100 a month, threshold 0.7, cap 1.1) paid on the
    year to date (``positions.payout_basis: ytd``); reported period 2026-04."""
    facts = YTD_FACTS if facts is None else facts
    return make_client(
        positions=[{"position_id": "pos", "name": "P", "department": "Sales", "payout_basis": "ytd",
                    "clawback": clawback}],
        position_kpis=[{"position_id": "pos", "kpi_id": "sales", "weight": 1, "threshold": 0.7, "cap": 1.1}],
        employees=[{"employee_id": "E1", "name": "Ann", "position_id": "pos", "bonus_fund": 1000,
                    "start_date": start}],
        actuals=[{"period": p, "employee_id": "E1", "kpi_id": "sales", "plan": 100, "fact": f}
                 for p, f in facts.items()], period="2026-04")
