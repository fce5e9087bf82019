"""Stage 03, the KPI matrices: each employee's matrix, attainment heat maps and the roll-up."""
from __future__ import annotations

import html

import pandas as pd

from kpi_toolkit.method.calculate import Results
from kpi_toolkit.method.matrix import department_rollup
from kpi_toolkit.outputs import charts
from kpi_toolkit.outputs.html import Html
from kpi_toolkit.outputs.i18n import t
from kpi_toolkit.stages.common import (
    DASH,
    _col,
    _departments,
    _figure_html,
    _num,
    _ordered,
    _pct,
    _rag,
    _rag_legend,
    _sections,
    rag_table,
)
from kpi_toolkit.stages.selection import _position_title


def _matrix_table(lines: pd.DataFrame, language: str) -> Html:
    """One position's KPI matrix: a group row per employee, a line per KPI with its attainment
    tinted, and the performance ratio (the sum of the indices) under the indices."""
    group, ratio_label = "_employee", t("stages.word.performance_ratio_row", language)
    rows, statuses = [], []
    for employee_id, mine in lines.groupby("employee_id", sort=False, observed=True):
        name = str(mine["employee"].iloc[0])
        for r in mine.itertuples():
            rows.append((name, str(r.kpi), str(r.unit) if r.unit else DASH, _pct(r.effective_weight, language),
                         _num(r.plan, language), _num(r.fact, language), _pct(r.attainment, language, 1),
                         _num(r.index, language, 3)))
            statuses.append(_rag(r.attainment) if str(r.fact_status) == "ok" else None)
        rows.append((name, ratio_label, "", "", "", "", "", _num(mine["index"].sum(), language, 3)))
        statuses.append(None)
    columns = [group] + [_col(c, language) for c in ("kpi", "unit", "weight", "plan", "fact", "attainment", "index")]
    df = pd.DataFrame(rows, columns=columns)
    strong = [i for i, r in enumerate(rows) if r[1] == ratio_label and r[2] == ""]
    return rag_table(df, {_col("attainment", language): statuses}, strong_rows=strong, group_by=group)


def kpi_matrices(results: Results, language: str) -> Html:
    """For every position, the KPI matrix of its employees in the period (SPEC §3.4): weight,
    plan, fact, attainment tinted red, amber or green, index, and each employee's performance ratio."""
    client = results.client
    lines = _ordered(results.bonus.lines[results.bonus.lines["period"] == results.period], client)
    parts = [(_position_title(rows.iloc[0], language), _matrix_table(rows, language).html)
             for _, rows in lines.groupby(["department", "position_id"], sort=False, observed=True)]
    return Html(_sections(parts).html + f"\n<p>{html.escape(_rag_legend(language))}</p>")


def attainment_heatmaps(results: Results, language: str) -> Html:
    """Attainment heatmaps, employees × KPIs, one per department, the KPIs numbered with a legend
    below (charts.attainment_heatmap wraps long column labels wider than their columns)."""
    lines = _ordered(results.bonus.lines[results.bonus.lines["period"] == results.period], results.client)
    parts = []
    for department, rows in lines.groupby("department", sort=False, observed=True):
        names = list(pd.unique(rows["kpi"].astype(str)))
        number = {name: str(i + 1) for i, name in enumerate(names)}
        m = pd.DataFrame({"employee": rows["employee"].astype(str), "kpi": rows["kpi"].astype(str).map(number),
                          "attainment": rows["attainment"]})
        legend = " · ".join(f"<strong>{number[n]}</strong>\u00a0{html.escape(n)}" for n in names)
        parts.append((str(department), _figure_html(charts.attainment_heatmap(m, language))
                      + f'\n<p class="heatmap-legend" style="font-size: 8.5pt">{legend}</p>'))
    return _sections(parts)


def rollup_table(results: Results, language: str) -> Html:
    """Roll-up by department: employees, mean, lowest and highest performance ratio, KPIs at plan."""
    lines = results.bonus.lines[results.bonus.lines["period"] == results.period]
    r = department_rollup(lines)
    order = {d: i for i, d in enumerate(_departments(results.client))}
    r = r.assign(_d=r["department"].astype(object).map(order)).sort_values("_d", kind="stable")
    df = pd.DataFrame({
        _col("department", language): r["department"].astype(str),
        _col("employees", language): [_num(v, language, 0) for v in r["employees"]],
        _col("mean_ratio", language): [_num(v, language, 3) for v in r["mean_ratio"]],
        _col("min_ratio", language): [_num(v, language, 3) for v in r["min_ratio"]],
        _col("max_ratio", language): [_num(v, language, 3) for v in r["max_ratio"]],
        _col("kpis_at_plan", language): [_pct(v, language, 0) for v in r["kpis_at_plan"]],
    })
    return rag_table(df)
