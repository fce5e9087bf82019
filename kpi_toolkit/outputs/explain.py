"""Words for the numbers: why a line or a statement pays what it pays, in the client's language."""
from __future__ import annotations

import pandas as pd
from babel.numbers import get_currency_symbol

from kpi_toolkit.outputs.i18n import format_money, format_number, format_percent, label, locale_of, t


def reason_label(code: str, language: str) -> str:
    """The reader's words for a reason code of :data:`kpi_toolkit.method.bonus.REASONS` (empty for none)."""
    return label("reason", code, language) if code else ""


def statement_reason(row, language: str, kpi_names: dict[str, str] | None = None,
                     kpi_units: dict[str, str] | None = None, currency: str | None = None) -> str:
    """Why an employee's statement pays what it pays: the main reason and its details.

    ``row`` is a row of :attr:`kpi_toolkit.method.bonus.BonusResult.totals`. With `kpi_units` (KPI id
    -> unit) a stop factor's limit is shown in its KPI's unit ("more than 10%", not 0.1).
    """
    kpi_names = kpi_names or {}

    def names(ids: str) -> str:
        return ", ".join(kpi_names.get(k.strip(), k.strip()) for k in ids.split(",") if k.strip())

    parts = []
    code = str(row["reason"])
    if code:
        text = reason_label(code, language)
        if code == "stop_threshold" and row["blocking_kpis"]:
            text += f": {names(row['blocking_kpis'])}"
        elif code == "stop_factor" and row["stop_rules"]:
            text += f": {_rules(row['stop_rules'], kpi_names, language, kpi_units, currency)}"
        parts.append(text)
    if row["stop_rules"] and code not in ("stop_threshold", "stop_factor"):
        parts.append(t("explain.stop_rules", language,
                       rules=_rules(row["stop_rules"], kpi_names, language, kpi_units, currency)))
    if row["excluded_kpis"]:
        parts.append(t("explain.excluded", language, kpis=names(row["excluded_kpis"])))
    if 0 < row["days_employed"] < row["period_days"]:
        parts.append(t("explain.prorated", language, days=int(row["days_employed"]),
                       period_days=int(row["period_days"])))
    return "; ".join(parts)


def _rules(rules: str, kpi_names: dict[str, str], language: str, kpi_units: dict[str, str] | None = None,
           currency: str | None = None) -> str:
    """The engine's ``"kpi_id > 0.1: x0.5; …"`` in the reader's words: ``Staff turnover more than 10%: ×0.5``
    (the limit in the KPI's unit when `kpi_units` knows it)."""
    out = []
    for rule in rules.split("; "):
        head, _, factor = rule.rpartition(": x")
        kpi_id, condition, limit = head.split(" ", 2)
        shown = (kpi_value(float(limit), kpi_units[kpi_id], language, currency) if kpi_units and kpi_id in kpi_units
                 else _num(float(limit), language))
        out.append(f"{kpi_names.get(kpi_id, kpi_id)} {label('condition', condition, language)} "
                   f"{shown}: ×{_num(float(factor), language)}")
    return "; ".join(out)


def line_arithmetic(row, language: str, currency: str, decimals: int) -> str:
    """The arithmetic of one bonus line: ``fund share × coefficient × stop factor = bonus``."""
    share = format_money(row["fund_share"], currency, language, decimals)
    coefficient = format_number(row["coefficient"], language, 4)
    d = format_number(row["stop_factor"], language, 2)
    bonus = format_money(row["bonus"], currency, language, decimals)
    return f"{share} × {coefficient} × {d} = {bonus}"


def statement_table(lines: pd.DataFrame, language: str, currency: str, decimals: int) -> pd.DataFrame:
    """One employee's bonus lines as a reader's table with every line's arithmetic and reason."""
    return pd.DataFrame({
        t("table.kpi", language): lines["kpi"].astype(str),
        t("table.weight", language): [format_percent(w, language, 1) for w in lines["effective_weight"]],
        t("table.plan", language): [_num(v, language) for v in lines["plan"]],
        t("table.fact", language): [_num(v, language) for v in lines["fact"]],
        t("table.attainment", language): [format_percent(a, language, 1) if pd.notna(a) else "—"
                                          for a in lines["attainment"]],
        t("table.coefficient", language): [format_number(c, language, 4) for c in lines["coefficient"]],
        t("explain.arithmetic", language): [line_arithmetic(r, language, currency, decimals)
                                            for _, r in lines.iterrows()],
        t("table.reason", language): [reason_label(str(r), language) for r in lines["reason"]],
    })


def _num(value, language: str) -> str:
    if pd.isna(value):
        return "—"
    value = float(value)
    decimals = 0 if value.is_integer() else min(len(repr(value).split(".")[1]), 4)
    return format_number(value, language, decimals)


def curve_label(curve, language: str) -> str:
    """A payout curve in the reader's words: its display name (or its kind) and its points.

    A curve of ``client.yaml`` is known by a key such as ``sales_curve``, which is not for the
    client's eyes: the curve's ``label`` is shown when it has one, else its kind.

    Examples
    --------
    >>> from kpi_toolkit.method.client import PayoutCurve
    >>> curve_label(PayoutCurve("sales_curve", "linear", ((0.7, 0.5), (1.0, 1.0), (1.3, 1.5))), "en")
    'linear payout scale: 70% → 0.5; 100% → 1; 130% → 1.5'
    >>> curve_name(PayoutCurve("sales_curve", "steps", ((1.0, 1.0),), label={"en": "Sales scale"}), "en")
    'Sales scale'
    >>> curve_name(PayoutCurve("sales_curve", "steps", ((1.0, 1.0),)), "ru")
    'ступенчатая шкала выплат'
    """
    def at(x):  # a value-basis curve's points are facts in the KPI's units (SPEC 3.5.1)
        if getattr(curve, "basis", "attainment") == "value":
            return _num(x, language)
        return format_percent(x, language, 0 if round(x * 100, 9).is_integer() else 1)

    points = "; ".join(f"{at(x)} → {_num(y, language)}" for x, y in curve.points)
    name = curve.display_name(language) if hasattr(curve, "display_name") else getattr(curve, "label", None)
    if name:
        return t("explain.curve_named", language, name=name, points=points)
    return t(f"explain.curve_{curve.kind}", language, points=points)


def curve_name(curve, language: str) -> str:
    """A payout curve's short name for a table cell: its display name in `language`, else its kind."""
    name = curve.display_name(language) if hasattr(curve, "display_name") else None
    return name or t(f"explain.curve_kind_{curve.kind}", language)


#: Units whose values are shares of one, shown as percents.
SHARE_UNITS = frozenset({"ratio", "share", "доля"})
#: How clients write a currency as a KPI's unit, besides its ISO code and symbol.
CURRENCY_UNITS = {"RUB": frozenset({"руб.", "руб", "р.", "₽", "rub."})}


def kpi_value(value, unit, language: str, currency: str | None = None) -> str:
    """A plan, fact or limit in the KPI's unit: money for the client's currency, a percent for a
    share of one (``ratio``), the number and its unit otherwise.

    Examples
    --------
    >>> kpi_value(0.13, "ratio", "en"), kpi_value(27.5, "%", "en"), kpi_value(48, "days", "en")
    ('13%', '27.5%', '48 days')
    >>> kpi_value(1270000, "GBP", "en", "GBP")
    '£1,270,000'
    >>> kpi_value(3400000, "руб.", "ru", "RUB") == "3\u00a0400\u00a0000\u00a0₽"
    True
    """
    if value is None or pd.isna(value):
        return "—"
    unit = "" if unit is None or (isinstance(unit, float) and pd.isna(unit)) else str(unit).strip()
    value = float(value)
    if unit.lower() in SHARE_UNITS:
        hundred = value * 100
        return format_percent(value, language, 0 if abs(hundred - round(hundred)) < 1e-9 else 1)
    if currency and _is_currency(unit, currency, language):
        return format_money(value, currency, language, 0 if value.is_integer() else None)
    number = _num(value, language)
    if unit == "%":
        return f"{number}%" if language == "en" else f"{number}\u00a0%"
    return f"{number} {unit}" if unit else number  # a long unit may go under its number


def _is_currency(unit: str, currency: str, language: str) -> bool:
    code = currency.upper()
    return (unit.upper() == code or unit.lower() in CURRENCY_UNITS.get(code, ())
            or unit == get_currency_symbol(code, locale=locale_of(language)))
