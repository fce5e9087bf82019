"""Adjustment lines on a statement: corrections of closed periods booked on a later one (SPEC §7)."""
from __future__ import annotations

import pandas as pd

from kpi_toolkit.method.exact import format_minor


def correction_note(corrects: str, amount_minor: int, decimals: int) -> str:
    """The words of an adjustment line.

    Examples
    --------
    >>> correction_note("2026-09", 120000, 2)
    'correction for 2026-09: +1,200.00'
    >>> correction_note("2026-09", -5, 2)
    'correction for 2026-09: -0.05'
    """
    sign = "+" if amount_minor >= 0 else "-"
    return f"correction for {corrects}: {sign}{abs(amount_minor) / 10 ** decimals:,.{decimals}f}"


def add_adjustments(totals: pd.DataFrame, adjustments: pd.DataFrame, period: str, decimals: int) -> pd.DataFrame:
    """``bonus_totals`` (as text) with the ``adjustment`` and ``adjustment_note`` columns.

    ``adjustments`` has ``employee_id, position_id, corrects, amount_minor``. An employee
    corrected but not computed in ``period`` (e.g. who has left) gets a row of their own with a
    bonus of 0.

    Examples
    --------
    >>> totals = pd.DataFrame({"period": ["2026-10"], "employee_id": ["E1"], "position_id": ["rep"],
    ...                        "bonus": ["100.00"]})
    >>> adj = pd.DataFrame({"employee_id": ["E1", "E2"], "position_id": ["rep", "rep"],
    ...                     "corrects": ["2026-09", "2026-09"], "amount_minor": [120000, -500]})
    >>> add_adjustments(totals, adj, "2026-10", 2)[["employee_id", "bonus", "adjustment"]].values.tolist()
    [['E1', '100.00', '1200.00'], ['E2', '0.00', '-5.00']]
    """
    out = totals.copy()
    by_employee = adjustments.groupby("employee_id", sort=True)
    amounts = by_employee["amount_minor"].sum()
    notes = by_employee.apply(lambda g: "; ".join(correction_note(c, int(a), decimals)
                                                  for c, a in zip(g["corrects"], g["amount_minor"])),
                              include_groups=False)
    missing = [e for e in amounts.index if e not in set(out["employee_id"])]
    if missing:
        positions = dict(zip(adjustments["employee_id"], adjustments["position_id"]))
        extra = pd.DataFrame({c: [""] * len(missing) for c in out.columns})
        extra["period"], extra["employee_id"] = period, missing
        extra["position_id"] = [positions[e] for e in missing]
        extra["bonus"] = format_minor(0, decimals)
        out = pd.concat([out, extra], ignore_index=True)
    out["adjustment"] = [format_minor(int(amounts.get(e, 0)), decimals) for e in out["employee_id"]]
    out["adjustment_note"] = [notes.get(e, "") for e in out["employee_id"]]
    return out
