"""Stage 04, the bonus scheme: the formula, fund rules, results, statements, the pool against
its budget per period and quarter, scenarios and sensitivity."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from kpi_toolkit.errors import ScenarioError
from kpi_toolkit.inputs import scenarios
from kpi_toolkit.method.bonus import compute_bonuses
from kpi_toolkit.method.calculate import Results
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.method.sensitivity import attainment_sensitivity
from kpi_toolkit.outputs import charts
from kpi_toolkit.outputs.explain import curve_name, kpi_value, statement_reason
from kpi_toolkit.outputs.html import Html, table
from kpi_toolkit.outputs.i18n import format_period, t
from kpi_toolkit.outputs.statement import statement_css, statement_html
from kpi_toolkit.stages.common import (
    DASH,
    SHIFTS,
    Markdown,
    _code,
    _col,
    _kpi_attr,
    _kpi_names,
    _missing,
    _money,
    _num,
    _ordered,
    _pct,
    _position_departments,
    _sections,
    _signed_money,
    _word,
    capped,
    detail_note,
    over_detail_limit,
    rag_table,
    text,
    write_detail,
)
from kpi_toolkit.stages.selection import _position_title, _scheme, _scheme_columns


def bonus_formula(language: str) -> Markdown:
    """The bonus formula of SPEC §3.5, explained."""
    return text("stage04.formula.text", language)


def fund_rules(client: ClientData, language: str) -> pd.DataFrame:
    """How each position's bonus fund is set: its variable share of target pay and what that is
    as a share of base salary (``v / (1 - v)``)."""
    p = client.positions
    counts = client.employees.groupby("position_id").size()
    share = p["variable_share"].astype(float)
    departments = _position_departments(client)
    return pd.DataFrame({
        _col("position", language): p["name"].astype(str),
        _col("department", language): [DASH if _missing(departments[i]) else str(departments[i])
                                       for i in p["position_id"]],
        _col("employees", language): [_num(int(counts.get(i, 0)), language, 0) for i in p["position_id"]],
        _col("variable_share", language): [_pct(v, language) for v in share],
        _col("fund_of_salary", language): [_pct(v / (1 - v), language, 1) if not _missing(v) and v < 1 else DASH
                                           for v in share],
    })


def scheme_tables(client: ClientData, language: str) -> Html:
    """Per position: KPIs with weights, thresholds, blocking stop thresholds, caps, payout curves
    and the stop-factor rules."""
    pk = _scheme(client)
    rules = client.stop_factors
    names = _kpi_names(client)
    units = _kpi_attr(client, "unit")
    parts = []
    for position_id, rows in pk.groupby("position_id", sort=False):
        body = str(table(_scheme_columns(rows, client, language), language))
        mine = rules[rules["position_id"] == position_id]
        for rule in mine.itertuples():
            words = t("stage04.scheme.stop_rule", language, kpi=names.get(rule.kpi_id, rule.kpi_id),
                      condition=_code("condition", rule.condition, language),
                      limit=kpi_value(rule.limit, units.get(rule.kpi_id), language, client.config.currency),
                      factor=_num(rule.factor, language))
            body += f"\n<p>{html.escape(words)}</p>"
        parts.append((_position_title(rows.iloc[0], language), body))
    return _sections(parts, level=3, toc=False)  # one per position: too many for the contents


def payout_curve_table(client: ClientData, language: str) -> pd.DataFrame:
    """The payout curves: attainment -> coefficient points."""
    rows = []
    for curve in client.config.payout_curves.values():
        at = (lambda x: _num(x, language)) if curve.basis == "value" else (lambda x: _pct(x, language))
        points = "; ".join(f"{at(x)} → {_num(y, language)}" for x, y in curve.points)
        rows.append((curve_name(curve, language), _code("curve_kind", curve.kind, language), points))
    return pd.DataFrame(rows, columns=[_col(c, language) for c in ("curve", "curve_kind", "curve_points")])


def _totals(results: Results) -> pd.DataFrame:
    totals = results.bonus.totals
    return _ordered(totals[totals["period"] == results.period], results.client)


def bonus_summary(results: Results, language: str, output_dir=None) -> Html:
    """Every employee's statement in one line, by department: ratio, fund, bonus and why, with a total.

    Past the client's ``reports.employee_detail_limit`` these lines go to
    ``output_dir/detail/04_bonus_summary.html``, linked from here, and the report shows one
    line per position (:func:`position_bonus_table`).
    """
    if over_detail_limit(results):
        link = None
        if output_dir:
            link = write_detail(output_dir, "04_bonus_summary", t("stage04.summary.title", language),
                                _employee_lines(results, language).html, results, language)
        return Html(detail_note("stages.detail.summary", link, results, language) + "\n"
                    + position_bonus_table(results, language).html)
    return _employee_lines(results, language)


def position_bonus_table(results: Results, language: str) -> Html:
    """One line per position, grouped by department: employees, those paid, blocked or cut by a
    stop factor, the mean performance ratio, fund, bonus and the share of the fund paid, with a total."""
    client = results.client
    t_ = _totals(results)
    scale = 10 ** results.bonus.decimals
    t_ = t_.assign(_paid=t_["bonus_minor"] > 0, _blocked=t_["blocking_kpis"].astype(str) != "",
                   _stopped=(t_["stop_rules"].astype(str) != "") & (t_["blocking_kpis"].astype(str) == ""),
                   _ratio=pd.to_numeric(t_["performance_ratio"], errors="coerce"))
    g = t_.groupby(["department", "position_id"], sort=False, observed=True).agg(
        position=("position", "first"), employees=("employee_id", "size"), paid=("_paid", "sum"),
        blocked=("_blocked", "sum"), stopped=("_stopped", "sum"), ratio=("_ratio", "mean"),
        fund=("fund_minor", "sum"), bonus=("bonus_minor", "sum")).reset_index()
    rows = [(str(r.department), str(r.position), _num(r.employees, language, 0), _num(r.paid, language, 0),
             _num(r.blocked, language, 0), _num(r.stopped, language, 0), _num(r.ratio, language, 3),
             _money(int(r.fund) / scale, client, language), _money(int(r.bonus) / scale, client, language),
             _pct(r.bonus / r.fund, language, 1) if r.fund else DASH) for r in g.itertuples()]
    fund, bonus = int(g["fund"].sum()), int(g["bonus"].sum())
    rows.append(("", t("report.total", language), _num(g["employees"].sum(), language, 0),
                 _num(g["paid"].sum(), language, 0), _num(g["blocked"].sum(), language, 0),
                 _num(g["stopped"].sum(), language, 0), "", _money(fund / scale, client, language),
                 _money(bonus / scale, client, language), _pct(bonus / fund, language, 1) if fund else DASH))
    columns = [_col(c, language) for c in ("department", "position", "employees", "paid", "blocked", "stopped",
                                           "mean_ratio", "fund", "bonus", "share_of_fund")]
    return rag_table(pd.DataFrame(rows, columns=columns), strong_rows=[len(rows) - 1],
                     group_by=_col("department", language))


def _employee_lines(results: Results, language: str) -> Html:
    client = results.client
    t_ = _totals(results)
    names = _kpi_names(client)
    df = pd.DataFrame({
        _col("department", language): t_["department"].astype(str),
        _col("employee", language): t_["employee"].astype(str),
        _col("position", language): t_["position"].astype(str),
        _col("performance_ratio", language): [_num(v, language, 3) for v in t_["performance_ratio"]],
        _col("fund", language): [_money(v, client, language) for v in t_["bonus_fund"]],
        _col("bonus", language): [_money(v, client, language) for v in t_["bonus"]],
        _col("reason", language): [statement_reason(r, language, names, _kpi_attr(client, "unit"), client.config.currency)
                                     for _, r in t_.iterrows()],
    })
    total = {c: "" for c in df.columns}
    total[_col("employee", language)] = t("report.total", language)
    scale = 10 ** results.bonus.decimals
    total[_col("fund", language)] = _money(int(t_["fund_minor"].sum()) / scale, client, language)
    total[_col("bonus", language)] = _money(int(t_["bonus_minor"].sum()) / scale, client, language)
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    return rag_table(df, strong_rows=[len(df) - 1], group_by=_col("department", language))


def bonus_statements(results: Results, language: str, output_dir=None) -> Html:
    """Every employee's bonus statement, grouped by department (a heading each): the statement
    each employee receives (:func:`kpi_toolkit.outputs.statement.statement_html`), without the signature
    lines, and naming the members a team KPI counts.

    Past the client's ``reports.employee_detail_limit`` the statements go to
    ``output_dir/detail/04_bonus_statements.html``, linked from here.
    """
    if over_detail_limit(results):
        link = None
        if output_dir:
            link = write_detail(output_dir, "04_bonus_statements", t("stage04.statements.title", language),
                                _all_statements(results, language).html, results, language)
        return Html(detail_note("stages.detail.statements", link, results, language))
    return _all_statements(results, language)


def _all_statements(results: Results, language: str) -> Html:
    client = results.client
    people = dict(zip(client.employees["employee_id"].astype(str), client.employees["name"].astype(str)))
    parts, current, body = [], None, []
    for _, row in _totals(results).iterrows():
        if row["department"] != current:
            if body:
                parts.append((str(current), "\n".join(body)))
            current, body = row["department"], []
        body.append(statement_html(results, str(row["employee_id"]), language, heading_level=4, team_names=people))
    if body:
        parts.append((str(current), "\n".join(body)))
    return Html(f"<style>{statement_css()}</style>\n{_sections(parts).html}")


def pool_summary(results: Results, language: str) -> Markdown:
    """The pool against its budget, and how many employees are paid."""
    client = results.client
    pool = results.bonus.pool(results.period)
    totals = _totals(results)
    paid = int((totals["bonus_minor"] > 0).sum())
    words = t("stage04.pool.summary", language, pool=_money(pool, client, language),
              paid=_num(paid, language, 0), employees=_num(len(totals), language, 0))
    budget = client.config.bonus_budget
    if budget:
        key = "over" if pool > budget else "under"
        words += " " + t(f"stage04.pool.{key}", language, budget=_money(budget, client, language, 0),
                         amount=_money(abs(pool - budget), client, language), share=_pct(pool / budget, language, 1))
    else:
        words += " " + t("bonus.no_budget", language) + "."
    return Markdown(words)


def pool_chart(results: Results, language: str):
    """The bonus pool against its budget."""
    return charts.pool_vs_budget_chart(results.bonus.pool(results.period), results.client.config.bonus_budget,
                                       results.client.config.currency, language)


def _by_department(results: Results) -> pd.DataFrame:
    t_ = _totals(results)
    scale = 10 ** results.bonus.decimals
    g = t_.groupby("department", sort=False, observed=True).agg(
        employees=("employee_id", "size"), fund=("fund_minor", "sum"), bonus=("bonus_minor", "sum"))
    g["fund"], g["bonus"] = g["fund"] / scale, g["bonus"] / scale
    return g.reset_index()


def department_bonus_table(results: Results, language: str) -> pd.DataFrame:
    """Bonus by department: employees, fund, bonus and the share of the fund paid."""
    client = results.client
    g = _by_department(results)
    return pd.DataFrame({
        _col("department", language): g["department"].astype(str),
        _col("employees", language): [_num(v, language, 0) for v in g["employees"]],
        _col("fund", language): [_money(v, client, language, 0) for v in g["fund"]],
        _col("bonus", language): [_money(v, client, language, 0) for v in g["bonus"]],
        _col("share_of_fund", language): [_pct(b / f, language, 1) if f else DASH
                                          for b, f in zip(g["bonus"], g["fund"])],
    })


def department_bonus_chart(results: Results, language: str):
    """Each department's bonus inside its fund."""
    g = _by_department(results)
    g["department"] = g["department"].astype(str)
    return charts.bonus_by_department_chart(g[["department", "bonus", "fund"]], results.client.config.currency,
                                            language)


def stopped_bonuses(results: Results, language: str):
    """Who is blocked by a stop threshold or cut by a stop factor, and what it costs them."""
    client, bonus = results.client, results.bonus
    t_ = _totals(results)
    hit = t_[(t_["blocking_kpis"] != "") | (t_["stop_rules"] != "")]
    lines = bonus.lines[bonus.lines["period"] == results.period]
    before = (lines["fund_share"] * lines["coefficient"]).groupby(lines["employee_id"], observed=True).sum()
    names = _kpi_names(client)
    if hit.empty:
        return text("stage04.stopped.none", language)
    more = ""
    if over_detail_limit(results):  # the largest amounts withheld first; everyone in the bonus summary's detail
        withheld = [before.get(e, 0.0) - b for e, b in zip(hit["employee_id"], hit["bonus"])]
        hit = hit.assign(_w=withheld).sort_values("_w", ascending=False, kind="stable")
        hit, more = capped(hit, language)
    return Html(rag_table(pd.DataFrame({
        _col("employee", language): hit["employee"].astype(str),
        _col("position", language): hit["position"].astype(str),
        _col("reason", language): [statement_reason(r, language, names, _kpi_attr(client, "unit"), client.config.currency)
                                     for _, r in hit.iterrows()],
        _col("without_stop", language): [_money(before.get(e, 0.0), client, language) for e in hit["employee_id"]],
        _col("bonus", language): [_money(b, client, language) for b in hit["bonus"]],
        _col("withheld", language): [_money(max(before.get(e, 0.0) - b, 0.0), client, language)
                                     for e, b in zip(hit["employee_id"], hit["bonus"])],
    })).html + more)


def _scheme_outcome(client: ClientData, period: str) -> dict:
    b = compute_bonuses(client, period)
    totals = b.totals[b.totals["period"] == period]
    scale = 10 ** b.decimals
    return {
        "pool": int(totals["bonus_minor"].sum()) / scale,
        "paid": int((totals["bonus_minor"] > 0).sum()),
        "stopped": int(((totals["blocking_kpis"] != "") | (totals["stop_rules"] != "")).sum()),
        "departments": (totals.groupby("department", sort=False, observed=True)["bonus_minor"].sum() / scale).to_dict(),
    }


def scenario_comparison(client: ClientData, period: str | None = None, language: str | None = None) -> pd.DataFrame:
    """The current scheme and every saved scenario side by side: pool, against budget, employees
    paid and stopped, and the bonus of each department.

    Returns an empty table when the client has no saved scenario.
    """
    period = period or client.config.period
    language = language or client.config.language
    names = list(scenarios.list_scenarios(client))
    if not names:
        return pd.DataFrame()
    outcomes = {t("stages.word.current_scheme", language): _scheme_outcome(client, period)}
    for name in names:
        try:
            outcomes[str(name)] = _scheme_outcome(scenarios.apply_scenario(client, name), period)
        except ScenarioError:
            outcomes[str(name)] = None
    budget = client.config.bonus_budget
    departments = list(dict.fromkeys(d for o in outcomes.values() if o for d in o["departments"]))
    rows = [("pool", lambda o: _money(o["pool"], client, language, 0))]
    if budget:
        rows.append(("against_budget", lambda o: _signed_money(o["pool"] - budget, client, language)))
    rows += [("paid", lambda o: _num(o["paid"], language, 0)),
             ("stopped", lambda o: _num(o["stopped"], language, 0))]
    data = {_col("measure", language): [t(f"stage04.scenarios.{k}", language) for k, _ in rows]
            + [t("stage04.scenarios.department", language, department=d) for d in departments]}
    for name, o in outcomes.items():
        if o is None:
            data[name] = [_word("not_applicable", language)] + [""] * (len(rows) + len(departments) - 1)
            continue
        data[name] = [f(o) for _, f in rows] + [_money(o["departments"].get(d, 0.0), client, language, 0)
                                                for d in departments]
    return pd.DataFrame(data)


def pool_sensitivity(client: ClientData, period: str | None = None, shifts=SHIFTS) -> pd.DataFrame:
    """The bonus pool when every attainment of the period changes by each shift (-0.1 = 10 % lower).

    Facts are moved as :func:`kpi_toolkit.method.sensitivity.attainment_sensitivity` says (the
    scenario explorer shares it) and the bonuses computed again, so thresholds, caps, curves and
    stop factors all take effect.

    Returns
    -------
    DataFrame
        Columns ``shift, pool`` (money in major units), sorted by shift, with a shift of 0.
    """
    period = period or client.config.period
    shifts = sorted({float(s) for s in shifts} | {0.0})
    return attainment_sensitivity(client, period, shifts)[["shift", "pool"]].reset_index(drop=True)


def sensitivity_table(sensitivity: pd.DataFrame, client: ClientData, language: str) -> pd.DataFrame:
    """The sensitivity of the pool as a reader's table: change, pool, against now and budget."""
    base = sensitivity.loc[sensitivity["shift"] == 0, "pool"]
    base = float(base.iloc[0]) if len(base) else np.nan
    budget = client.config.bonus_budget
    data = {
        _col("attainment_shift", language): [("+" if s > 0 else "") + _pct(s, language) for s in sensitivity["shift"]],
        _col("pool", language): [_money(p, client, language, 0) for p in sensitivity["pool"]],
        _col("against_current", language): [_signed_money(p - base, client, language) for p in sensitivity["pool"]],
    }
    if budget:
        data[_col("against_budget", language)] = [_signed_money(p - budget, client, language)
                                                  for p in sensitivity["pool"]]
    return pd.DataFrame(data)


def sensitivity_figure(sensitivity: pd.DataFrame, client: ClientData, language: str):
    """The pool against the change in attainment, with the budget line."""
    return charts.sensitivity_chart(sensitivity, client.config.bonus_budget, client.config.currency, language)


def _quarter(period: str) -> str:
    """The calendar quarter of a period, ``"2026-Q3"``."""
    return f"{period[:4]}-Q{(int(period[5:7]) - 1) // 3 + 1}"


def _quarter_label(quarter: str, language: str) -> str:
    return t("periods.quarter", language, q=quarter[-1], year=quarter[:4])


def pool_by_period(results: Results, database: str | None = None) -> pd.DataFrame:
    """The pool of every bonus period up to the reported one, against its budget.

    Columns ``period, source, employees, paid, pool_minor, budget_minor`` (and ``error``: why a
    period could not be computed). ``source`` is ``ledger`` for a closed period (the pool the
    ledger stored when it was closed or adjusted) and ``computed`` for an open one (recomputed
    from the client's data now); a scenario is always recomputed, never the ledger's.
    """
    from kpi_toolkit.cycle.closing import closed_pools
    from kpi_toolkit.errors import KpiToolkitError
    from kpi_toolkit.method.matrix import all_bonus_periods

    client = results.client
    dec = results.bonus.decimals
    closed = {} if results.scenario else closed_pools(client, database)
    budget = client.config.bonus_budget
    budget_minor = None if budget is None else int(round(budget * 10 ** dec))
    rows = []
    for period in [p for p in all_bonus_periods(client) if p <= results.period]:
        row = {"period": period, "source": "ledger" if period in closed else "computed", "employees": None,
               "paid": None, "pool_minor": closed.get(period), "budget_minor": budget_minor, "error": ""}
        try:
            totals = (results.bonus if period == results.period else compute_bonuses(client, period)).totals
            totals = totals[totals["period"] == period]
            row["employees"], row["paid"] = len(totals), int((totals["bonus_minor"] > 0).sum())
            if row["pool_minor"] is None:
                row["pool_minor"] = int(totals["bonus_minor"].sum())
        except KpiToolkitError as exc:  # an old month the data cannot compute: said, not hidden
            row["error"] = str(exc).splitlines()[0]
        rows.append(row)
    return pd.DataFrame(rows, columns=["period", "source", "employees", "paid", "pool_minor", "budget_minor",
                                       "error"])


def _pool_rows(label: str, pool: int | None, budget: int | None, periods: int, dec: int, client: ClientData,
               language: str) -> dict:
    scale = 10 ** dec
    budget_total = None if budget is None else budget * periods
    return {
        _col("period", language): label,
        t("periods.col.pool", language): "—" if pool is None else _money(pool / scale, client, language),
        t("periods.col.budget", language): "" if budget_total is None else _money(budget_total / scale, client,
                                                                                   language),
        t("periods.col.difference", language): "" if budget_total is None or pool is None
        else _signed_money((pool - budget_total) / scale, client, language),
        t("periods.col.share", language): "" if not budget_total or pool is None
        else _pct(pool / budget_total, language, 1),
    }


def _budget_status(pool, budget) -> str | None:
    if pool is None or not budget:
        return None
    return "green" if pool <= budget else "amber" if pool <= budget * 1.1 else "red"


def pool_by_period_table(results: Results, language: str, pools: pd.DataFrame | None = None) -> Html:
    """The pool of each bonus period against its budget, where each figure comes from (the ledger
    for a closed period, recomputed for an open one), and why a period could not be computed.
    ``pools``: :func:`pool_by_period` when the caller has it already (it recomputes every period)."""
    client, dec = results.client, results.bonus.decimals
    data = pool_by_period(results) if pools is None else pools
    rows, statuses = [], []
    for r in data.itertuples():
        pool = None if pd.isna(r.pool_minor) else int(r.pool_minor)
        budget = None if pd.isna(r.budget_minor) else int(r.budget_minor)
        row = {**_pool_rows(format_period(r.period, language), pool, budget, 1, dec, client, language)}
        row[t("periods.col.source", language)] = t(f"periods.source.{r.source}", language) if not r.error \
            else t("periods.source.error", language, error=r.error)
        row[t("periods.col.paid", language)] = "" if r.employees is None or pd.isna(r.employees) else \
            f"{_num(r.paid, language, 0)} / {_num(r.employees, language, 0)}"
        rows.append(row)
        statuses.append(_budget_status(pool, budget))
    df = _without_budget_columns(pd.DataFrame(rows), client, language)
    return rag_table(df, {t("periods.col.share", language): statuses})


def _without_budget_columns(df: pd.DataFrame, client: ClientData, language: str) -> pd.DataFrame:
    """No budget in client.yaml: no empty budget columns."""
    if client.config.bonus_budget is not None:
        return df
    return df.drop(columns=[t(f"periods.col.{c}", language) for c in ("budget", "difference", "share")])


def pool_by_quarter_table(results: Results, language: str, pools: pd.DataFrame | None = None) -> Html:
    """The pool by calendar quarter and for the year to date, against the budget of the bonus
    periods they hold (a bonus period counts in the quarter of its last month)."""
    client, dec = results.client, results.bonus.decimals
    data = pool_by_period(results) if pools is None else pools
    data = data[data["pool_minor"].notna()]
    budget = client.config.bonus_budget
    budget_minor = None if budget is None else int(round(budget * 10 ** dec))
    rows, statuses, strong = [], [], []
    for quarter, g in data.groupby(data["period"].map(_quarter), sort=True):
        pool = int(g["pool_minor"].sum())
        rows.append(_pool_rows(_quarter_label(quarter, language), pool, budget_minor, len(g), dec, client, language))
        statuses.append(_budget_status(pool, None if budget_minor is None else budget_minor * len(g)))
    year = results.period[:4]
    ytd = data[data["period"].str[:4] == year]
    if len(ytd):
        pool = int(ytd["pool_minor"].sum())
        rows.append(_pool_rows(t("periods.ytd", language, year=year, period=format_period(results.period, language)),
                               pool, budget_minor, len(ytd), dec, client, language))
        statuses.append(_budget_status(pool, None if budget_minor is None else budget_minor * len(ytd)))
        strong.append(len(rows) - 1)
    df = _without_budget_columns(pd.DataFrame(rows), client, language)
    return rag_table(df, {t("periods.col.share", language): statuses}, strong_rows=strong)


def pool_by_period_chart(results: Results, language: str, pools: pd.DataFrame | None = None):
    """The pool of each bonus period as a bar against the budget line."""
    data = pool_by_period(results) if pools is None else pools
    data = data[data["pool_minor"].notna()]
    scale = 10 ** results.bonus.decimals
    return charts.pool_by_period_chart(list(data["period"]), [int(m) / scale for m in data["pool_minor"]],
                                       list(data["source"]), results.client.config.bonus_budget,
                                       results.client.config.currency, language)
