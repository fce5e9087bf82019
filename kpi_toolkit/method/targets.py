"""Achievable targets from the history of results (SPEC 3.8, seed 001).

Seed 001: take the average result (say 10 meetings a month that ended in a contract), raise
it towards the best result reached in the department (say 15): that is the number everyone
strives for; for the head it rises again. The suggested plan is

    suggested = average + position * (best - average)

with ``position`` 0.5 for line staff and ``head_position`` 0.75 for leads and heads by
default (0 = the average, 1 = the best; above 1 goes beyond the best, as seed 001 does for
the head of sales). For a lower-is-better KPI the best result is the lowest.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

TARGET_COLUMNS = ["kpi_id", "employee_id", "periods", "average", "best", "suggested"]
SENIOR_LEVELS = ("head", "lead")


def suggested_target(average: float, best: float, position: float = 0.5) -> float:
    """A plan between the average and the best result: ``average + position * (best - average)``.

    Examples
    --------
    >>> suggested_target(10, 15)
    12.5
    >>> suggested_target(10, 15, position=2.0)  # the head of sales in seed 001
    20.0
    >>> suggested_target(4.0, 2.0)  # lower is better: the best is the lowest
    3.0
    """
    return float(average + position * (best - average))


def _level_of(level: str | Mapping[str, str], employee_id: str | None) -> str:
    """The level of one employee; employees a mapping does not name are line staff."""
    if isinstance(level, Mapping):
        return level.get(employee_id, "line")
    return level


def suggest_targets(history: pd.DataFrame, direction: Mapping[str, str] | None = None,
                    level: str | Mapping[str, str] = "line", position: float = 0.5,
                    head_position: float = 0.75, per_employee: bool = True) -> pd.DataFrame:
    """Suggest achievable plans from past facts, between the average and the best result.

    Parameters
    ----------
    history : pandas.DataFrame
        Columns ``period, kpi_id, fact`` and optionally ``employee_id`` (e.g. the client
        ``actuals`` table). Empty facts are left out.
    direction : mapping, optional
        KPI id -> ``"higher"`` (default), ``"lower"`` (best = lowest) or ``"band"`` (a band
        KPI has no best result: its best and suggestion are NaN).
    level : str or mapping, default "line"
        ``"line"``, ``"lead"`` or ``"head"``, or a mapping employee id -> level. Leads and
        heads get ``head_position``.
    position, head_position : float
        Where the plan lies between the average (0) and the best (1).
    per_employee : bool, default True
        One suggestion per employee and KPI when ``history`` has an ``employee_id`` column;
        otherwise (or when False) one per KPI over everybody's results.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi_id, employee_id, periods, average, best, suggested`` (without
        ``employee_id`` for per-KPI suggestions), in order of first appearance;
        ``periods`` counts the facts used.

    Examples
    --------
    >>> history = pd.DataFrame({
    ...     "period": ["2024-01", "2024-02", "2024-03"] * 2,
    ...     "kpi_id": ["meetings"] * 3 + ["response_hours"] * 3,
    ...     "fact": [8.0, 10.0, 12.0, 5.0, 4.0, 3.0]})
    >>> suggest_targets(history, direction={"response_hours": "lower"})
               kpi_id  periods  average  best  suggested
    0        meetings        3     10.0  12.0       11.0
    1  response_hours        3      4.0   3.0        3.5
    >>> lower = {"response_hours": "lower"}
    >>> suggest_targets(history, lower, level="head")["suggested"].tolist()
    [11.5, 3.25]
    """
    direction = direction or {}
    by_employee = per_employee and "employee_id" in history.columns
    keys = ["kpi_id", "employee_id"] if by_employee else ["kpi_id"]
    facts = history.dropna(subset=["fact"])
    rows = []
    for key, group in facts.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        kpi_id = key[0]
        values = group["fact"].astype(float)
        kind = direction.get(kpi_id) or "higher"
        best = (values.min() if kind == "lower" else values.max() if kind == "higher"
                else np.nan)
        average = values.mean()
        senior = _level_of(level, key[1] if by_employee else None) in SENIOR_LEVELS
        where = head_position if senior else position
        rows.append((*key, len(values), average, best, suggested_target(average, best, where)))
    columns = TARGET_COLUMNS if by_employee else [c for c in TARGET_COLUMNS
                                                  if c != "employee_id"]
    result = pd.DataFrame(rows, columns=columns)
    result = result.astype({c: object for c in keys})
    return result.astype({"periods": "int64", "average": float, "best": float,
                          "suggested": float})
