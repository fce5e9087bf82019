"""The payroll file: one row per employee and bonus period, in the layout the client's payroll system loads.

The client chooses the layout in ``client.yaml`` (SPEC §5)::

    payroll:
      columns: [employee_id, name, accrual_code, period_start, amount]
      names: {employee_id: Табельный номер, name: Сотрудник, accrual_code: Вид начисления,
              period_start: Период, amount: Сумма}
      accrual_code: "2000"

``columns`` picks and orders the columns from :data:`PAYROLL_COLUMNS`, ``names`` renames any of
them (default: the column's name in the client's language), ``accrual_code`` is the payroll
system's code of the bonus accrual (text, so that leading zeros stay), ``skip_zero`` leaves out
employees with nothing to pay. Without a ``payroll`` section the layout is
:data:`DEFAULT_COLUMNS`.

The amount payroll gets is ``amount = bonus + adjustment``: the bonus of the period plus the
corrections of closed periods booked on it (the ledger's adjustments, SPEC §7). It may be
negative when a correction takes back more than the period pays; payroll then books a deduction.
Every amount is exact: it is summed in minor units from the exact text of ``bonus_totals``.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from kpi_toolkit.method.exact import format_minor

#: Every column a payroll layout may hold, and what it is.
PAYROLL_COLUMNS = {
    "employee_id": "the employee's id (personnel number)",
    "name": "the employee's name",
    "position_id": "the position's id",
    "position": "the position's name",
    "department": "the employee's department",
    "period": "the bonus period, YYYY-MM (named by its last month)",
    "period_start": "the first day of the bonus period (a date)",
    "period_end": "the last day of the bonus period (a date)",
    "accrual_code": "the payroll system's code of the bonus accrual (payroll.accrual_code)",
    "bonus": "the bonus of the period",
    "adjustment": "corrections of closed periods booked on this one",
    "amount": "what payroll pays: bonus + adjustment",
    "currency": "the ISO 4217 currency code",
}
#: The layout without a ``payroll`` section in client.yaml.
DEFAULT_COLUMNS = ("employee_id", "name", "department", "position", "period", "bonus", "adjustment", "amount",
                   "currency")
#: Columns holding money, and holding dates.
MONEY_COLUMNS = ("bonus", "adjustment", "amount")
DATE_COLUMNS = ("period_start", "period_end")


@dataclass(frozen=True)
class PayrollLayout:
    """The columns of the payroll file, their headers and the accrual code (validated)."""

    columns: tuple[str, ...] = DEFAULT_COLUMNS
    names: dict[str, str] = field(default_factory=dict)
    accrual_code: str | None = None
    skip_zero: bool = False


def payroll_table(totals: pd.DataFrame, employees: pd.DataFrame, positions: pd.DataFrame,
                  layout: PayrollLayout, decimals: int, currency: str, months: int = 1) -> pd.DataFrame:
    """The payroll rows, as text, with the layout's columns (named by their codes).

    Parameters
    ----------
    totals : DataFrame
        ``bonus_totals`` as written (text): ``period, employee_id, position_id, bonus`` and,
        when the ledger booked corrections, ``adjustment``.
    employees, positions : DataFrame
        The client's tables, for names and departments.
    layout : PayrollLayout
    decimals : int
        The currency's minor unit.
    currency : str
    months : int
        Months in a bonus period (for ``period_start`` and ``period_end``).

    Examples
    --------
    >>> totals = pd.DataFrame({"period": ["2026-09", "2026-09"], "employee_id": ["E1", "E2"],
    ...                        "position_id": ["rep", "rep"], "bonus": ["1200.50", "0.00"],
    ...                        "adjustment": ["-0.50", "0.00"]})
    >>> employees = pd.DataFrame({"employee_id": ["E1", "E2"], "name": ["Ann", "Bob"],
    ...                           "department": ["Sales", "Sales"]})
    >>> positions = pd.DataFrame({"position_id": ["rep"], "name": ["Sales rep"]})
    >>> layout = PayrollLayout(("employee_id", "accrual_code", "period_start", "amount"), accrual_code="2000",
    ...                        skip_zero=True)
    >>> payroll_table(totals, employees, positions, layout, 2, "RUB").values.tolist()
    [['E1', '2000', '2026-09-01', '1200.00']]
    """
    scale = 10 ** decimals
    names = dict(zip(employees["employee_id"].astype(str), employees["name"].astype(str)))
    departments = dict(zip(employees["employee_id"].astype(str), employees["department"].astype(str)))
    position_names = dict(zip(positions["position_id"].astype(str), positions["name"].astype(str)))
    bonus = [_minor(v, scale) for v in totals["bonus"]]
    adjustment = ([_minor(v, scale) for v in totals["adjustment"]] if "adjustment" in totals
                  else [0] * len(totals))
    amount = [b + a for b, a in zip(bonus, adjustment)]
    periods = totals["period"].astype(str)
    bounds = [bonus_period_dates(p, months) for p in periods]
    ids = totals["employee_id"].astype(str)
    values = {
        "employee_id": list(ids),
        "name": [names.get(e, "") for e in ids],
        "position_id": list(totals["position_id"].astype(str)),
        "position": [position_names.get(p, "") for p in totals["position_id"].astype(str)],
        "department": [departments.get(e, "") for e in ids],
        "period": list(periods),
        "period_start": [b[0].isoformat() for b in bounds],
        "period_end": [b[1].isoformat() for b in bounds],
        "accrual_code": [layout.accrual_code or ""] * len(totals),
        "bonus": [format_minor(m, decimals) for m in bonus],
        "adjustment": [format_minor(m, decimals) for m in adjustment],
        "amount": [format_minor(m, decimals) for m in amount],
        "currency": [currency] * len(totals),
    }
    table = pd.DataFrame({c: values[c] for c in layout.columns}, columns=list(layout.columns))
    if layout.skip_zero:
        table = table[[m != 0 for m in amount]].reset_index(drop=True)
    return table


def bonus_period_dates(period: str, months: int = 1) -> tuple[dt.date, dt.date]:
    """The first and the last day of the bonus period ``period`` of ``months`` months (named by its
    last month, SPEC §3.4; as :func:`kpi_toolkit.method.bonus.period_bounds`, which the engine uses).

    Examples
    --------
    >>> bonus_period_dates("2026-09", 3)
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    >>> bonus_period_dates("2027-02", 3)
    (datetime.date(2026, 12, 1), datetime.date(2027, 2, 28))
    """
    year, month = int(period[:4]), int(period[5:7])
    first = year * 12 + month - 1 - (months - 1)
    return dt.date(first // 12, first % 12 + 1, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _minor(text, scale: int) -> int:
    """Exact text of money (``"1200.50"``) in minor units; an empty cell is 0."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or str(text).strip() == "":
        return 0
    minor = Decimal(str(text)) * scale
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of minor units")  # the toolkit's own text: a bug
    return int(minor)
