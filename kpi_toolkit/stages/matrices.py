"""Stage 03, the KPI matrices: each employee's matrix, attainment heat maps and the roll-up."""
from __future__ import annotations

import html

import pandas as pd

from kpi_toolkit.method.calculate import Results
from kpi_toolkit.method.matrix import department_rollup
from kpi_toolkit.outputs import charts
from kpi_toolkit.outputs.explain import statement_reason
from kpi_toolkit.outputs.html import Html
from kpi_toolkit.outputs.i18n import t
from kpi_toolkit.stages.common import (
    DASH,
    EXCEPTIONS_SHOWN,
    _col,
    _departments,
    _figure_html,
    _heading,
    _kpi_attr,
    _num,
    _ordered,
    _pct,
    _rag,
    _rag_legend,
    _sections,
    capped,
    detail_note,
    over_detail_limit,
    rag_table,
    write_detail,
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


def kpi_matrices(results: Results, language: str, output_dir=None) -> Html:
    """For every position, the KPI matrix of its employees in the period (SPEC §3.4): weight,
    plan, fact, attainment tinted red, amber or green, index, and each employee's performance ratio.

    Past the client's ``reports.employee_detail_limit`` the matrices go to
    ``output_dir/detail/03_kpi_matrices.html``, linked from here, and the report shows each
    position's KPIs summarised over its employees (:func:`position_summary`) and the
    exceptions (:func:`employee_exceptions`).
    """
    if over_detail_limit(results):
        link = None
        if output_dir:
            link = write_detail(output_dir, "03_kpi_matrices", t("stage03.matrices.title", language),
                                _all_matrices(results, language).html, results, language)
        return Html("\n".join([detail_note("stages.detail.matrices", link, results, language),
                               _heading(t("stage03.summary.title", language), 3),
                               f"<p>{html.escape(t('stage03.summary.intro', language))}</p>",
                               position_summary(results, language).html,
                               employee_exceptions(results, language).html]))
    return _all_matrices(results, language)


def _all_matrices(results: Results, language: str) -> Html:
    client = results.client
    lines = _ordered(results.bonus.lines[results.bonus.lines["period"] == results.period], client)
    parts = [(_position_title(rows.iloc[0], language), _matrix_table(rows, language).html)
             for _, rows in lines.groupby(["department", "position_id"], sort=False, observed=True)]
    return Html(_sections(parts).html + f"\n<p>{html.escape(_rag_legend(language))}</p>")


def _measured(lines: pd.DataFrame) -> pd.DataFrame:
    """The KPI lines with a fact (attainment measured), as float attainment and threshold."""
    ok = lines[lines["fact_status"].astype(str) == "ok"]
    return ok.assign(attainment=pd.to_numeric(ok["attainment"], errors="coerce"),
                     threshold=pd.to_numeric(ok["threshold"], errors="coerce"))


def position_summary(results: Results, language: str) -> Html:
    """Each position's KPIs over its employees, grouped by department: employees measured, mean
    and lowest attainment (tinted), the share at or above plan and how many fell below the threshold."""
    lines = _ordered(results.bonus.lines[results.bonus.lines["period"] == results.period], results.client)
    rows, statuses, groups = [], [], []
    for _, mine in lines.groupby(["department", "position_id"], sort=False, observed=True):
        title = _position_title(mine.iloc[0], language)
        measured = _measured(mine)
        for kpi, k in mine.groupby("kpi_id", sort=False, observed=True):
            m = measured[measured["kpi_id"] == kpi]
            att = m["attainment"].dropna()
            below = int((m["attainment"] < m["threshold"]).sum())
            rows.append((title, str(k["kpi"].iloc[0]), _num(k["employee_id"].nunique(), language, 0),
                         _num(len(att), language, 0), _pct(att.mean(), language, 1) if len(att) else DASH,
                         _pct(att.min(), language, 1) if len(att) else DASH,
                         _pct((att >= 1).mean(), language, 0) if len(att) else DASH, _num(below, language, 0)))
            statuses.append(_rag(att.mean()) if len(att) else None)
            groups.append(title)
    columns = ["_position", _col("kpi", language), _col("employees", language), _col("measured", language),
               _col("mean_attainment", language), _col("min_attainment", language),
               _col("at_plan", language), _col("below_threshold", language)]
    df = pd.DataFrame(rows, columns=columns)
    return Html(rag_table(df, {columns[4]: statuses}, group_by="_position").html
                + f"\n<p>{html.escape(_rag_legend(language))}</p>")


def employee_exceptions(results: Results, language: str, shown: int = EXCEPTIONS_SHOWN) -> Html:
    """The employees a reader of a large client's report must see by name: bonus blocked by a
    stop threshold, cut by a stop factor, a KPI below its threshold, and the highest and lowest
    performance ratios; each list at most `shown` rows, saying how many more there are."""
    client = results.client
    totals = results.bonus.totals
    t_ = _ordered(totals[totals["period"] == results.period], client)
    lines = results.bonus.lines[results.bonus.lines["period"] == results.period]
    measured = _measured(lines)
    below = measured[measured["attainment"] < measured["threshold"]]
    below_kpis = below.groupby("employee_id", observed=True)["kpi"].agg(lambda k: ", ".join(map(str, k)))
    ratio = pd.to_numeric(t_["performance_ratio"], errors="coerce")
    kpi_names, units = _kpi_attr(client, "name"), _kpi_attr(client, "unit")

    def reason(r) -> str:
        return statement_reason(r, language, kpi_names, units, client.config.currency)

    def listing(rows: pd.DataFrame, extra: tuple | None = None) -> str:
        rows, more = capped(rows, language, shown)
        df = pd.DataFrame({
            _col("department", language): rows["department"].astype(str),
            _col("employee", language): rows["employee"].astype(str),
            _col("position", language): rows["position"].astype(str),
            _col("performance_ratio", language): [_num(v, language, 3) for v in rows["performance_ratio"]],
        })
        if extra is not None:
            df[extra[0]] = [extra[1](r) for _, r in rows.iterrows()]
        return rag_table(df).html + more

    parts = []
    for key, rows, extra in (
            ("blocked", t_[t_["blocking_kpis"].astype(str) != ""], (_col("reason", language), reason)),
            ("stopped", t_[(t_["stop_rules"].astype(str) != "") & (t_["blocking_kpis"].astype(str) == "")],
             (_col("reason", language), reason)),
            ("below", t_[t_["employee_id"].isin(below_kpis.index)].assign(_r=ratio).sort_values("_r", kind="stable"),
             (_col("kpis_below", language), lambda r: below_kpis.get(r["employee_id"], ""))),
    ):
        count = _num(len(rows), language, 0)
        title = t(f"stage03.exceptions.{key}", language, count=count)
        body = listing(rows, extra) if len(rows) else f"<p>{html.escape(t('stage03.exceptions.none', language))}</p>"
        parts.append((title, body))
    half = max(shown // 2, 1)
    ranked = t_.assign(_r=ratio).dropna(subset=["_r"])
    top = ranked.sort_values("_r", ascending=False, kind="stable").head(half)
    bottom = ranked.sort_values("_r", kind="stable").head(half)
    parts.append((t("stage03.exceptions.top", language, count=_num(len(top), language, 0)), listing(top)))
    parts.append((t("stage03.exceptions.bottom", language, count=_num(len(bottom), language, 0)), listing(bottom)))
    return Html(_heading(t("stage03.exceptions.title", language), 3) + "\n" + _sections(parts, level=4).html)


def attainment_heatmaps(results: Results, language: str) -> Html:
    """Attainment heatmaps, employees × KPIs, one per department, the KPIs numbered with a legend
    below (charts.attainment_heatmap wraps long column labels wider than their columns).

    A department of more employees than a heat map draws (charts.HEATMAP_MAX_ROWS) shows its
    positions' mean attainment instead, as does every department past the client's
    ``reports.employee_detail_limit``, where the distribution of the performance ratios comes first.
    """
    lines = _ordered(results.bonus.lines[results.bonus.lines["period"] == results.period], results.client)
    parts = []
    over = over_detail_limit(results)
    if over:
        totals = results.bonus.totals
        ratios = totals.loc[totals["period"] == results.period, "performance_ratio"]
        parts.append((t("stage03.distribution.title", language),
                      f"<p>{html.escape(t('stage03.distribution.intro', language))}</p>\n"
                      + _figure_html(charts.ratio_distribution_chart(ratios, language))))
    for department, rows in lines.groupby("department", sort=False, observed=True):
        names = list(pd.unique(rows["kpi"].astype(str)))
        number = {name: str(i + 1) for i, name in enumerate(names)}
        m = pd.DataFrame({"employee": rows["employee"].astype(str), "kpi": rows["kpi"].astype(str).map(number),
                          "attainment": rows["attainment"],
                          "group": rows["position"].astype(str)})
        legend = " · ".join(f"<strong>{number[n]}</strong>\u00a0{html.escape(n)}" for n in names)
        note, most = "", charts.HEATMAP_MAX_ROWS
        if over or rows["employee_id"].nunique() > most:  # past the limit, no chart of every employee either
            most = 0 if over else most
            note = f"<p>{html.escape(t('stage03.heatmap.by_position', language))}</p>\n"
        parts.append((str(department), note + _figure_html(charts.attainment_heatmap(m, language, max_rows=most))
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
