"""Words for the numbers: why a line or a statement pays what it pays, in the client's language."""
from __future__ import annotations

import pandas as pd

from .i18n import format_money, format_number, format_percent, label, t


def reason_label(code: str, language: str) -> str:
    """The reader's words for a reason code of :data:`kpi_toolkit.bonus.REASONS` (empty for none)."""
    return label("reason", code, language) if code else ""


def statement_reason(row, language: str, kpi_names: dict[str, str] | None = None) -> str:
    """Why an employee's statement pays what it pays: the main reason and its details.

    ``row`` is a row of :attr:`kpi_toolkit.bonus.BonusResult.totals`.
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
            text += f": {_rules(row['stop_rules'], kpi_names, language)}"
        parts.append(text)
    if row["stop_rules"] and code not in ("stop_threshold", "stop_factor"):
        parts.append(t("explain.stop_rules", language, rules=_rules(row["stop_rules"], kpi_names, language)))
    if row["excluded_kpis"]:
        parts.append(t("explain.excluded", language, kpis=names(row["excluded_kpis"])))
    if 0 < row["days_employed"] < row["period_days"]:
        parts.append(t("explain.prorated", language, days=int(row["days_employed"]),
                       period_days=int(row["period_days"])))
    return "; ".join(parts)


def _rules(rules: str, kpi_names: dict[str, str], language: str) -> str:
    """The engine's ``"kpi_id > 0.1: x0.5; …"`` in the reader's words: ``Staff turnover more than 0.1: ×0.5``."""
    out = []
    for rule in rules.split("; "):
        head, _, factor = rule.rpartition(": x")
        kpi_id, condition, limit = head.split(" ", 2)
        out.append(f"{kpi_names.get(kpi_id, kpi_id)} {label('condition', condition, language)} "
                   f"{_num(float(limit), language)}: ×{_num(float(factor), language)}")
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
