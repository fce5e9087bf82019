"""Stage 05, the pilot: status by period, plan against fact, early warnings, data gaps, the
project's earned value and attainment trends across periods."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from kpi_toolkit.method.bonus import days_employed, period_bounds
from kpi_toolkit.method.calculate import Results
from kpi_toolkit.method.matrix import kpi_matrix
from kpi_toolkit.method.teams import team_kpis
from kpi_toolkit.outputs import charts
from kpi_toolkit.outputs.html import Html
from kpi_toolkit.outputs.i18n import format_period, t
from kpi_toolkit.stages.bonus_scheme import _quarter, _quarter_label
from kpi_toolkit.stages.common import (
    DASH,
    TREND_PERIODS,
    Markdown,
    _code,
    _col,
    _departments,
    _figure_html,
    _kpi_attr,
    _kpi_names,
    _money,
    _num,
    _pct,
    _period,
    _rag,
    _rag_legend,
    _sections,
    _word,
    rag_table,
    text,
)


def _pilot_lines(results: Results) -> pd.DataFrame:
    lines = kpi_matrix(results.client, "all")
    return lines[lines["period"].astype(str) <= results.period]


def _trends(results: Results, by_position: bool = False) -> pd.DataFrame:
    """Per department (and position), KPI and period: mean plan, fact and attainment over the
    employees. Plans and facts are only comparable within a position (a head's revenue plan is
    the department's); attainment is comparable across positions."""
    lines = _pilot_lines(results)
    lines = lines.assign(department=lines["department"].astype(str), kpi=lines["kpi"].astype(str),
                         kpi_id=lines["kpi_id"].astype(str), period=lines["period"].astype(str),
                         position=lines["position"].astype(str), position_id=lines["position_id"].astype(str),
                         attainment=lines["attainment"].where(lines["fact_status"].astype(str) == "ok"))
    keys = ["department", "position_id", "position"] if by_position else ["department"]
    g = lines.groupby([*keys, "kpi_id", "kpi", "period"], sort=False).agg(
        plan=("plan", "mean"), fact=("fact", "mean"), attainment=("attainment", "mean"),
        employees=("employee_id", "nunique"), weight=("weight", "sum"))
    g = g.reset_index()
    departments = {d: i for i, d in enumerate(_departments(results.client))}
    g["_d"] = g["department"].map(departments).fillna(len(departments))
    return g.sort_values(["_d", "period"], kind="stable").drop(columns="_d")


def _periods_of(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["period"].unique())


def rag_by_period(results: Results, language: str) -> Html:
    """Red, amber or green status per department, KPI and period (mean attainment of the employees)."""
    g = _trends(results)
    periods = _periods_of(g)
    grid = g.pivot_table(index=["department", "kpi"], columns="period", values="attainment", sort=False)
    grid = grid.reindex(columns=periods)
    df = pd.DataFrame({
        "_department": list(grid.index.get_level_values(0)),
        _col("kpi", language): list(grid.index.get_level_values(1)),
    })
    statuses = {}
    for p in periods:
        heading = format_period(p, language, short=True)
        df[heading] = [_pct(v, language, 0) for v in grid[p]]
        statuses[heading] = [_rag(v) for v in grid[p]]
    return Html(rag_table(df, statuses, group_by="_department").html
                + f"\n<p>{html.escape(_rag_legend(language))}</p>")


def plan_fact_charts(results: Results, language: str) -> Html:
    """Plan against fact over the pilot periods in each department: the heaviest KPI of the
    department's largest position, averaged over that position's employees."""
    from matplotlib.ticker import FuncFormatter

    g = _trends(results, by_position=True)
    direction = _kpi_attr(results.client, "direction")
    parts = []
    for department, rows in g.groupby("department", sort=False):
        rows = rows[rows["kpi_id"].map(direction).fillna("higher") != "band"]
        if rows.empty:
            continue
        now = rows[rows["period"] == rows["period"].max()]
        position = now.groupby("position_id", sort=False)["employees"].max().idxmax()
        top = now[now["position_id"] == position].sort_values("weight", ascending=False, kind="stable").iloc[0]
        series = rows[(rows["kpi_id"] == top["kpi_id"]) & (rows["position_id"] == position)].sort_values("period")
        key = "stage05.trends.one" if top["employees"] == 1 else "stage05.trends.average"
        fig = charts.plan_fact_chart(series[["period", "plan", "fact"]], t(key, language, kpi=top["kpi"],
                                     position=top["position"]), language,
                                     direction=direction.get(top["kpi_id"]) or "higher")
        # plan_fact_chart leaves the value axis in matplotlib's own format: use the reader's
        fig.axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, language)))
        parts.append((department, _figure_html(fig)))
    return _sections(parts)


def early_warnings(results: Results, language: str) -> Html:
    """Leading indicators (timing = leading) over the last periods: a falling one warns early."""
    g = _trends(results)
    timing = _kpi_attr(results.client, "timing")
    g = g[g["kpi_id"].map(timing) == "leading"]
    periods = _periods_of(g)[-TREND_PERIODS:]
    if g.empty or not periods:
        return Html(f"<p>{html.escape(t('stage05.warnings.none_leading', language))}</p>")
    rows, statuses, trend_status = [], {p: [] for p in periods}, []
    for (department, kpi_id, kpi), series in g.groupby(["department", "kpi_id", "kpi"], sort=False):
        values = series.set_index("period")["attainment"].reindex(periods)
        v = values.dropna().to_numpy()
        falling = len(v) == len(periods) and len(v) >= 2 and bool(np.all(np.diff(v) < -1e-9))
        rising = len(v) >= 2 and bool(np.all(np.diff(v) > 1e-9))
        trend = "falling" if falling else "rising" if rising else "stable"
        rows.append([department, kpi, *[_pct(x, language, 0) for x in values],
                     _word(f"trend_{trend}", language)])
        for p, x in zip(periods, values):
            statuses[p].append(_rag(x))
        trend_status.append("red" if falling else "green" if rising else None)
    headings = [format_period(p, language, short=True) for p in periods]
    columns = ["_department", _col("kpi", language), *headings, _col("trend", language)]
    df = pd.DataFrame(rows, columns=columns)
    status_map = {h: statuses[p] for h, p in zip(headings, periods)}
    status_map[_col("trend", language)] = trend_status
    falling = sum(1 for s in trend_status if s == "red")
    note = (t("stage05.warnings.some", language, count=falling, periods=len(periods) - 1) if falling
            else t("stage05.warnings.none", language))
    return Html(f"<p>{html.escape(note)}</p>\n" + rag_table(df, status_map, group_by="_department").html)


def data_gaps(results: Results, language: str) -> pd.DataFrame:
    """Facts missing during the pilot: lines without a fact (and how they were treated) and KPIs
    of employees at work with no line at all."""
    client = results.client
    lines = _pilot_lines(results)
    missing = lines[lines["fact_status"].astype(str) != "ok"]
    rows = [(str(r.period), str(r.employee), str(r.kpi), _code("fact_status", str(r.fact_status), language))
            for r in missing.itertuples()]
    present = set(zip(client.actuals["period"].astype(str), client.actuals["employee_id"], client.actuals["kpi_id"]))
    names = _kpi_names(client)
    team = set(team_kpis(client.kpis)["kpi_id"])  # a team KPI has no rows: its team's rows are its data
    own = client.position_kpis[~client.position_kpis["kpi_id"].isin(team)]
    scheme = own.groupby("position_id")["kpi_id"].apply(list).to_dict()
    for period in [p for p in client.periods if p <= results.period]:
        start, end = period_bounds(period)  # the rows are monthly, whatever the bonus period
        for e in client.employees.itertuples():
            if days_employed(start, end, e.start_date, e.end_date) == 0:
                continue
            for kpi_id in scheme.get(e.position_id, []):
                if (period, e.employee_id, kpi_id) not in present:
                    rows.append((period, e.name, names.get(kpi_id, kpi_id), _word("no_row", language)))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return pd.DataFrame({
        _col("period", language): [_period(r[0], language) for r in rows],
        _col("employee", language): [r[1] for r in rows],
        _col("kpi", language): [r[2] for r in rows],
        _col("treatment", language): [r[3] for r in rows],
    })


def has_project(results: Results) -> bool:
    """Whether the client has a project table (the implementation project's scorecard)."""
    return results.project_scorecard is not None and not results.project_scorecard.empty


def _scorecard(results: Results) -> pd.DataFrame:
    sc = results.project_scorecard
    return sc[sc["period"].astype(str) <= results.period]


def _forecast_words(last, client, language: str) -> list[str]:
    """The forecast at the latest period in words: the EAC method, the estimate to complete and
    the efficiency the rest needs, or why there is no figure (nothing earned, budget spent)."""
    method = client.config.eac_method
    words = [t(f"stage05.project.eac_method.{method}", language)]
    if not np.isfinite(last["eac"]):
        return words
    words.append(t("stage05.project.etc", language, etc=_money(last["etc"], client, language, 0)))
    tcpi = last["tcpi"]
    if np.isnan(tcpi):
        words.append(t("stage05.project.tcpi_done", language))
    elif np.isinf(tcpi):
        words.append(t("stage05.project.tcpi_budget_spent", language))
    elif tcpi < 0:
        words.append(t("stage05.project.tcpi_overrun", language))
    else:
        words.append(t("stage05.project.tcpi", language, tcpi=_num(tcpi, language, 2)))
    return words


def project_summary(results: Results, language: str) -> Markdown:
    """The project's position at the latest period: indices, forecast (by the client's
    ``eac_method``), what the rest of the work may cost and the efficiency it needs, status.
    Where a forecast has no finite value (nothing earned yet; the budget spent with work left)
    the summary says so instead of a figure."""
    if not has_project(results):
        return text("stage05.project.none", language)
    client = results.client
    last = _scorecard(results).iloc[-1]
    status = _code("rag", last["overall"], language)
    period, cpi_, spi_ = _period(last["period"], language), _num(last["cpi"], language), _num(last["spi"], language)
    if not np.isfinite(last["eac"]):
        lead = t("stage05.project.summary_no_forecast", language, period=period, cpi=cpi_, spi=spi_, status=status)
    else:
        key = "overrun" if last["vac"] < 0 else "saving"
        lead = t(f"stage05.project.summary_{key}", language, period=period, cpi=cpi_, spi=spi_,
                 eac=_money(last["eac"], client, language, 0), bac=_money(last["bac"], client, language, 0),
                 vac=_money(abs(last["vac"]), client, language, 0), status=status)
    return Markdown(" ".join([lead, *_forecast_words(last, client, language)]))


def _forecast_money(value, client, language: str) -> str:
    return _money(value, client, language, 0) if np.isfinite(value) else DASH


def project_scorecard_tables(results: Results, language: str) -> Html:
    """The project scorecard: earned-value figures per period, the forecast (EAC, ETC, VAC, TCPI;
    a dash where there is no finite value, with a note saying why), then each area's status."""
    if not has_project(results):
        return Html("")
    client = results.client
    sc = _scorecard(results)
    period_col = _col("period", language)
    periods = [format_period(p, language, short=True) for p in sc["period"]]
    money = pd.DataFrame({period_col: periods})
    for c in ("pv", "ev", "ac", "cv", "sv"):
        money[c.upper()] = [_money(v, client, language, 0) for v in sc[c]]
    indices = pd.DataFrame({period_col: periods, "CPI": [_num(v, language, 2) for v in sc["cpi"]],
                            "SPI": [_num(v, language, 2) for v in sc["spi"]]})
    for c in ("eac", "etc", "vac"):
        indices[c.upper()] = [_forecast_money(v, client, language) for v in sc[c]]
    indices["TCPI"] = [_num(v, language, 2) for v in sc["tcpi"]]
    notes = []
    if (~np.isfinite(sc["eac"])).any():
        notes.append(t("stage05.project.note_no_forecast", language))
    if np.isinf(sc["tcpi"]).any():
        notes.append(t("stage05.project.note_budget_spent", language))
    status = pd.DataFrame({period_col: periods})
    tints = {}
    for area in ("budget", "schedule", "scope", "quality", "overall"):
        heading = _col(f"area_{area}", language)
        status[heading] = [_code("rag", s, language) for s in sc[area]]
        tints[heading] = list(sc[area])
    status[_col("issues_opened", language)] = [_num(v, language, 0) for v in sc["issues_opened"]]
    status[_col("issues_closed", language)] = [_num(v, language, 0) for v in sc["issues_closed"]]
    status[_col("open_issues", language)] = [_num(v, language, 0) for v in sc["open_issues"]]
    note = "".join(f"\n<p>{html.escape(n)}</p>" for n in notes)
    return Html("\n".join(rag_table(df).html for df in (money, indices)) + note + "\n" + rag_table(status, tints).html)


def earned_value_figure(results: Results, language: str):
    """The earned-value S-curves: PV, EV and AC against the budget at completion (nothing
    without a project table)."""
    if not has_project(results):
        return Markdown("")
    return charts.earned_value_chart(_scorecard(results), results.client.config.currency, language)


def _trend_lines(results: Results) -> pd.DataFrame:
    """Every KPI line of every period up to the reported one, with its department and attainment
    (empty where the fact is missing or excluded)."""
    lines = _pilot_lines(results)
    return pd.DataFrame({
        "department": lines["department"].astype(str).to_numpy(), "kpi": lines["kpi"].astype(str).to_numpy(),
        "period": lines["period"].astype(str).to_numpy(),
        "attainment": lines["attainment"].where(lines["fact_status"].astype(str) == "ok").to_numpy(dtype=float),
    })


def attainment_trends(results: Results, by: str = "kpi") -> pd.DataFrame:
    """Mean attainment per KPI (``by="kpi"``) or per department (``by="department"``) in each
    period, each calendar quarter and the year to date of the reported period.

    A quarter's or the year's figure is the mean over all KPI lines of its periods (not the mean
    of the monthly means), so a month with more lines weighs more. Columns: the name, then
    ``YYYY-MM`` per period, ``YYYY-Qn`` per quarter and ``ytd``.
    """
    lines = _trend_lines(results)
    key = "kpi" if by == "kpi" else "department"
    order = list(dict.fromkeys(lines[key]))
    if key == "department":
        known = _departments(results.client)
        order = [d for d in known if d in set(order)] + [d for d in order if d not in known]
    periods = sorted(lines["period"].unique())
    out = pd.DataFrame({key: order})
    monthly = lines.groupby([key, "period"])["attainment"].mean()
    for p in periods:
        out[p] = [monthly.get((name, p), np.nan) for name in order]
    lines["quarter"] = lines["period"].map(_quarter)
    quarterly = lines.groupby([key, "quarter"])["attainment"].mean()
    for q in sorted(lines["quarter"].unique()):
        out[q] = [quarterly.get((name, q), np.nan) for name in order]
    ytd = lines[lines["period"].str[:4] == results.period[:4]].groupby(key)["attainment"].mean()
    out["ytd"] = [ytd.get(name, np.nan) for name in order]
    return out


def attainment_trend_table(results: Results, language: str, by: str = "kpi") -> Html:
    """:func:`attainment_trends` as a red-amber-green table: the months, then the quarters and the
    year to date (in bold headings of their own)."""
    data = attainment_trends(results, by)
    key = data.columns[0]
    df = pd.DataFrame({_col("kpi" if by == "kpi" else "department", language): data[key]})
    statuses = {}
    for column in data.columns[1:]:
        if column == "ytd":
            heading = t("periods.ytd_short", language, year=results.period[:4])
        elif "-Q" in column:
            heading = _quarter_label(column, language)
        else:
            heading = format_period(column, language, short=True)
        df[heading] = [_pct(v, language, 0) for v in data[column]]
        statuses[heading] = [_rag(v) for v in data[column]]
    return Html(rag_table(df, statuses).html + f"\n<p>{html.escape(_rag_legend(language))}</p>")


def attainment_trend_chart(results: Results, language: str):
    """Mean attainment of each department, period by period."""
    data = attainment_trends(results, "department")
    periods = [c for c in data.columns[1:] if "-Q" not in c and c != "ytd"]
    return charts.attainment_trend_chart(data.set_index("department")[periods], language)
