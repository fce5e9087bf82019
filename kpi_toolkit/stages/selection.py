"""Stage 02, KPI selection: the catalogue, each position's scheme and its warnings, data sources,
the sales funnel and suggested targets."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from kpi_toolkit.errors import Problem
from kpi_toolkit.method.calculate import Results
from kpi_toolkit.method.catalogue import classification_summary
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.method.kpi_weights import (
    KPI_COUNT,
    KPI_COUNT_DEFAULT,
    MIN_WEIGHT,
    check_selection_rules,
    position_kpi_weights,
    position_methods,
)
from kpi_toolkit.method.matrix import kpi_matrix
from kpi_toolkit.method.targets import suggest_targets
from kpi_toolkit.method.teams import team_kpis
from kpi_toolkit.outputs import charts
from kpi_toolkit.outputs.explain import curve_name
from kpi_toolkit.outputs.html import Html, table
from kpi_toolkit.outputs.i18n import t
from kpi_toolkit.stages.common import (
    DASH,
    Markdown,
    _code,
    _col,
    _goal_names,
    _kpi_attr,
    _kpi_names,
    _levels,
    _missing,
    _money,
    _num,
    _pct,
    _position_departments,
    _position_order,
    _rounded,
    _sections,
    _word,
    rag_table,
    text,
)
from kpi_toolkit.stages.strategy import _owners

TAGS = ("kind", "measure", "horizon", "timing", "sales_family", "form")
CATALOGUE_TAGS = ("kind", "measure", "horizon", "timing", "form", "sales_family")


def kpi_catalogue_table(client: ClientData, language: str) -> pd.DataFrame:
    """The client's KPI catalogue with its classification (SPEC §3.3), tags translated and joined
    in one column (kind · measure · horizon · timing · form · sales family) so the table fits a page."""
    k = client.kpis
    tags = [[_code(tag, v, language) for v in (k[tag] if tag in k else [None] * len(k))] for tag in CATALOGUE_TAGS]
    return pd.DataFrame({
        _col("kpi", language): k["name"].astype(str),
        _col("unit", language): [DASH if _missing(u) else str(u) for u in k["unit"]],
        _col("direction", language): [_code("direction", d or "higher", language) for d in k["direction"]],
        _col("classification", language): [" · ".join(v for v in values if v != DASH) for values in zip(*tags)],
    })


def classification_table(client: ClientData, language: str) -> pd.DataFrame:
    """How many KPIs carry each code of each classification tag."""
    summary = classification_summary(client.kpis, TAGS)
    first = ~summary["tag"].duplicated()
    return pd.DataFrame({
        _col("tag", language): [t(f"stages.col.tag_{g}", language) if f else "" for g, f in zip(summary["tag"], first)],
        _col("tag_value", language): [_word("not_set", language) if v == "not_set" else _code(g, v, language)
                                      for g, v in zip(summary["tag"], summary["value"])],
        _col("kpi_count", language): [_num(c, language, 0) for c in summary["count"]],
        _col("share", language): [_pct(s, language, 0) for s in summary["share"]],
    })


def _scheme(client: ClientData) -> pd.DataFrame:
    pk = client.position_kpis.merge(client.positions[["position_id", "name"]], on="position_id",
                                    how="left").rename(columns={"name": "position"})
    pk["department"] = pk["position_id"].map(_position_departments(client))
    pk["kpi"] = pk["kpi_id"].map(_kpi_names(client))
    pk["_p"] = pk["position_id"].map(_position_order(client))
    return pk.sort_values(["_p", "weight"], ascending=[True, False], kind="stable")


def _scheme_columns(rows: pd.DataFrame, client: ClientData, language: str, tags: bool = False) -> pd.DataFrame:
    data = {_col("kpi", language): rows["kpi"].astype(str),
            _col("weight", language): [_pct(w, language) for w in rows["weight"]]}
    if tags:
        kind, timing = _kpi_attr(client, "kind"), _kpi_attr(client, "timing")
        data[_col("tag_kind", language)] = [_code("kind", kind.get(k), language) for k in rows["kpi_id"]]
        data[_col("tag_timing", language)] = [_code("timing", timing.get(k), language) for k in rows["kpi_id"]]
    data[_col("threshold", language)] = [_pct(v, language) for v in rows["threshold"]]
    data[_col("stop_threshold", language)] = [_pct(v, language) for v in rows["stop_threshold"]]
    data[_col("cap", language)] = [_pct(v, language) for v in rows["cap"]]
    curves = client.config.payout_curves
    data[_col("curve", language)] = [DASH if _missing(c) or c == "" else
                                     curve_name(curves[c], language) if c in curves else str(c) for c in rows["curve"]]
    return pd.DataFrame(data)


def _position_title(row, language: str) -> str:
    dept = row["department"]
    return f"{row['position']} · {dept}" if isinstance(dept, str) and dept else str(row["position"])


def selection_tables(client: ClientData, language: str) -> Html:
    """Per position: how its weights are set (strategy map or head-on), its KPIs with weights,
    classification, thresholds, caps and payout curves, and the selection rules it breaks."""
    pk = _scheme(client)
    levels = _levels(client)
    methods = position_methods(client.positions, client.goals, client.config.strategy_owner)
    owners, goal_names = _owners(client), _goal_names(client)
    kpi_names = _kpi_names(client)
    warnings = _position_warnings(client, language)
    parts = []
    for position_id, rows in pk.groupby("position_id", sort=False):
        level = levels.get(position_id)
        fewest, most = KPI_COUNT.get(level, KPI_COUNT_DEFAULT)
        notes = [t("stage02.selection.position_note", language, level=_code("level", level, language),
                   count=_num(len(rows), language, 0), fewest=fewest, most=most)]
        if methods.get(position_id) == "map":
            goals = ", ".join(goal_names.get(g, g) for g, who in owners.items() if who == position_id)
            notes.append(t("stage02.selection.method_map", language, goals=goals))
        else:
            notes.append(t("stage02.selection.method_head_on", language))
        dropped = client.dropped_kpis
        dropped = dropped[dropped["position_id"] == position_id] if len(dropped) else dropped
        if len(dropped):
            notes.append(t("stage02.selection.conditions", language,
                           kpis=", ".join(kpi_names.get(k, k) for k in dropped["kpi_id"])))
        body = "".join(f"<p>{html.escape(n)}</p>\n" for n in notes)
        body += table(_scheme_columns(rows, client, language, tags=True), language).html
        mine = warnings.get(position_id, [])
        if mine:
            body += (f"\n<p>{html.escape(t('stage02.selection.warnings', language))}</p>\n<ul>"
                     + "".join(f"<li>{html.escape(w)}</li>" for w in mine) + "</ul>")
        else:
            body += f"\n<p>{html.escape(t('stage02.rules.none', language))}</p>"
        parts.append((_position_title(rows.iloc[0], language), body))
    return _sections(parts, level=3, toc=False)  # one per position: too many for the contents


def _selection_problems(client: ClientData) -> list[Problem]:
    """The selection rules' warnings on the KPIs paid on, and the dropped map KPIs that keep a row."""
    dropped = [p for p in client.warnings if p.rule == "weight-min" and p.column == "kpi_id"]
    return [*check_selection_rules(client.positions, client.position_kpis, client.kpis, client.sources),
            *dropped]


def _problem_positions(problem: Problem, client: ClientData) -> list[str]:
    """The positions a selection-rule warning is about."""
    if problem.rule == "kpi-count":
        return [p for p in [_record(client.positions, problem.row).get("position_id")] if p]
    if problem.rule == "weight-min":
        source = client.dropped_kpis if problem.column == "kpi_id" else client.position_kpis
        return [p for p in [_record(source, problem.row).get("position_id")] if p]
    kpi_id = _record(client.kpis, problem.row).get("kpi_id")
    return list(dict.fromkeys(client.position_kpis.loc[client.position_kpis["kpi_id"] == kpi_id, "position_id"]))


def _position_warnings(client: ClientData, language: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in _selection_problems(client):
        message, _ = _warning_text(problem, client, language)
        for position_id in _problem_positions(problem, client):
            found.setdefault(position_id, []).append(message)
    return found


def _record(table_: pd.DataFrame, row) -> dict:
    if row is None or "_row" not in table_:
        return {}
    found = table_[table_["_row"] == row]
    return found.iloc[0].to_dict() if len(found) else {}


def _warning_text(problem, client: ClientData, language: str) -> tuple[str, str]:
    """The problem and its fix in the reader's language (the engine's own text is English)."""
    names = _kpi_names(client)
    positions = dict(zip(client.positions["position_id"], client.positions["name"]))
    rule = (problem.rule or "").replace("-", "_")
    if problem.rule == "kpi-count":
        record = _record(client.positions, problem.row)
        pid = record.get("position_id")
        level = record.get("level") if isinstance(record.get("level"), str) else None
        fewest, most = KPI_COUNT.get(level, KPI_COUNT_DEFAULT)
        count = int((client.position_kpis["position_id"] == pid).sum())
        fmt = {"position": positions.get(pid, pid), "count": count, "fewest": fewest, "most": most,
               "level": _code("level", level, language)}
        fix = "stages.rule_fix.kpi_count_" + ("fewer" if count > most else "more")
    elif problem.rule == "weight-min" and problem.column == "kpi_id":  # a map KPI dropped, with a row
        record = _record(client.dropped_kpis, problem.row)
        weights = position_kpi_weights(client.positions, client.position_kpis, client.kpis, client.goals,
                                       client.config.strategy_owner)
        share = weights.loc[(weights["position_id"] == record.get("position_id"))
                            & (weights["kpi_id"] == record.get("kpi_id")), "normalised"]
        fmt = {"kpi": names.get(record.get("kpi_id"), record.get("kpi_id")),
               "position": positions.get(record.get("position_id"), record.get("position_id")),
               "weight": _pct(share.iloc[0] if len(share) else None, language, 1),
               "min": _pct(MIN_WEIGHT, language)}
        rule, fix = "weight_dropped", "stages.rule_fix.weight_dropped"
    elif problem.rule == "weight-min":
        record = _record(client.position_kpis, problem.row)
        fmt = {"kpi": names.get(record.get("kpi_id"), record.get("kpi_id")),
               "position": positions.get(record.get("position_id"), record.get("position_id")),
               "weight": _pct(record.get("weight"), language), "min": _pct(MIN_WEIGHT, language)}
        fix = "stages.rule_fix.weight_min"
    elif problem.rule in ("data-source", "measurement-cost"):
        record = _record(client.kpis, problem.row)
        kpi_id = record.get("kpi_id")
        users = client.position_kpis.loc[client.position_kpis["kpi_id"] == kpi_id, "position_id"]
        fmt = {"kpi": names.get(kpi_id, kpi_id),
               "positions": ", ".join(positions.get(p, p) for p in dict.fromkeys(users)),
               "cost": _money(record.get("measurement_cost"), client, language, 0),
               "worth": _money(record.get("measurement_worth"), client, language, 0)}
        fix = f"stages.rule_fix.{rule}"
    else:
        return problem.message, problem.fix
    return t(f"stages.rule_message.{rule}", language, **fmt), t(fix, language)


def rule_warning_table(client: ClientData, language: str) -> pd.DataFrame:
    """The selection rules of SPEC §3.2 checked for every position: each warning with its rule,
    where it is, what is wrong and how to fix it (empty when every rule holds)."""
    problems = _selection_problems(client)
    rows = []
    for p in problems:
        message, fix = _warning_text(p, client, language)
        where = p.table if p.row is None else t("stages.word.row", language, table=p.table, row=p.row)
        rows.append((_code("rule", (p.rule or "").replace("-", "_"), language), where, message, fix))
    return pd.DataFrame(rows, columns=[_col(c, language) for c in ("rule", "where", "problem", "fix")])


def data_source_table(client: ClientData, language: str) -> Html:
    """Data source and measurement cost of each KPI, with a verdict (red where a KPI in use
    names no source or costs more to measure than it is worth)."""
    k = client.kpis
    used = client.position_kpis.groupby("kpi_id")["position_id"].nunique()
    cost = k["measurement_cost"] if "measurement_cost" in k else pd.Series(np.nan, index=k.index)
    worth = k["measurement_worth"] if "measurement_worth" in k else pd.Series(np.nan, index=k.index)

    def verdict(kpi_id, source, c, w):
        if kpi_id not in used.index:
            return "not_used"
        if _missing(source) or not str(source).strip():
            return "no_source"
        if not _missing(c) and not _missing(w) and c > w:
            return "costs_more"
        return "ok"

    verdicts = [verdict(*r) for r in zip(k["kpi_id"], k["data_source"], cost, worth)]
    df = pd.DataFrame({
        _col("kpi", language): k["name"].astype(str),
        _col("data_source", language): [DASH if _missing(s) or not str(s).strip() else str(s)
                                        for s in k["data_source"]],
        _col("measurement_cost", language): [_money(c, client, language, 0) for c in cost],
        _col("measurement_worth", language): [_money(w, client, language, 0) for w in worth],
        _col("positions_using", language): [_num(int(used.get(i, 0)), language, 0) for i in k["kpi_id"]],
        _col("verdict", language): [_word(v, language) for v in verdicts],
    })
    return rag_table(df, {_col("verdict", language): ["red" if v in ("no_source", "costs_more") else None
                                                      for v in verdicts]})


def has_funnel(results: Results) -> bool:
    """Whether the client has a sales funnel (``client.yaml`` ``funnel``)."""
    return results.funnel_plan is not None


def funnel_summary(results: Results, language: str) -> Markdown:
    """From the financial plan to the deals needed (SPEC §3.7)."""
    if not has_funnel(results):
        return text("stage02.funnel.none", language)
    f, client = results.client.config.funnel, results.client
    deals = int(results.funnel_plan["required_total"].iloc[0])
    return text("stage02.funnel.summary", language, revenue=_money(f["revenue_plan"], client, language, 0),
                deal=_money(f["average_deal"], client, language, 0), deals=_num(deals, language, 0),
                managers=_num(int(f["sales_managers"]), language, 0))


def funnel_table(results: Results, language: str) -> pd.DataFrame:
    """The funnel plan: how many of each stage the revenue plan needs, in total and per manager."""
    if not has_funnel(results):
        return pd.DataFrame()
    plan = results.funnel_plan
    return pd.DataFrame({
        _col("stage", language): [_code("funnel_stage", s, language) for s in plan["stage"]],
        _col("conversion", language): [_pct(c, language) for c in plan["conversion"]],
        _col("required_total", language): [_num(v, language, 0) for v in plan["required_total"]],
        _col("required_per_manager", language): [_num(v, language, 0) for v in plan["required_per_manager"]],
    })


def sales_funnel_chart(results: Results, language: str):
    """The sales funnel from leads down to deals (nothing without a funnel)."""
    if not has_funnel(results):
        return Markdown("")
    plan = results.funnel_plan.copy()
    plan["stage"] = [_code("funnel_stage", s, language) for s in plan["stage"]]
    return charts.funnel_chart(plan, language)


def activity_table(results: Results, language: str) -> pd.DataFrame:
    """Contact norms per client segment times clients: the activity volume and the hours it needs."""
    w = results.funnel_workload
    if w is None or w.empty:
        return pd.DataFrame()
    w = w[w["volume"] > 0]
    return pd.DataFrame({
        _col("segment", language): [_code("segment", s, language) for s in w["segment"]],
        _col("activity", language): [_code("activity", a, language) for a in w["activity"]],
        _col("clients", language): [_num(v, language, 0) for v in w["clients"]],
        _col("per_client", language): [_num(v, language) for v in w["per_client"]],
        _col("volume", language): [_num(v, language, 0) for v in w["volume"]],
        _col("hours", language): [_num(v, language, 0) for v in w["hours"]],
    })


def workload_note(results: Results, language: str) -> Markdown:
    """The hours the contact norms need against the sales team's working time."""
    s = results.funnel_summary
    if not has_funnel(results) or not s or _missing(s.get("hours_available")):
        return text("stage02.workload.none", language)
    ratio = s["load_ratio"]
    verdict = "over" if ratio > 1 else "tight" if ratio > 0.6 else "fits"
    return text("stage02.workload.summary", language, needed=_num(s["hours_needed"], language, 0),
                available=_num(s["hours_available"], language, 0), share=_pct(ratio, language, 0),
                verdict=t(f"stage02.workload.{verdict}", language))


def _history(client: ClientData, period: str) -> pd.DataFrame:
    """Plan and fact per employee, KPI and bonus period up to ``period``: the actuals, or where
    they are not the lines as paid (team KPIs, bonus periods of several months) the KPI matrix."""
    if team_kpis(client.kpis).empty and client.config.bonus_period_months == 1:
        a = client.actuals
        return a[a["period"].astype(str) <= period]
    m = kpi_matrix(client, "all")
    m = m[(m["period"].astype(str) <= period).to_numpy()]
    return pd.DataFrame({c: m[c].astype(str) if c in ("period", "employee_id", "kpi_id") else m[c]
                         for c in ("period", "employee_id", "kpi_id", "plan", "fact")}).reset_index(drop=True)


def target_table(results: Results, language: str):
    """Achievable targets per position and KPI from the history (SPEC §3.8): between the average
    and the best result of the position's employees; higher for leads and heads."""
    client = results.client
    history = _history(client, results.period).merge(client.employees[["employee_id", "position_id"]], on="employee_id")
    scheme = _scheme(client)
    direction = {k: d for k, d in _kpi_attr(client, "direction").items() if isinstance(d, str)}
    units = _kpi_attr(client, "unit")
    levels = _levels(client)
    current = history[history["period"].astype(str) == results.period].groupby(["position_id", "kpi_id"])["plan"].mean()
    rows = []
    for record in scheme.itertuples():
        h = history[(history["position_id"] == record.position_id) & (history["kpi_id"] == record.kpi_id)]
        if h.empty:
            continue
        s = suggest_targets(h[["period", "kpi_id", "fact"]], direction, level=levels.get(record.position_id, "line"),
                            per_employee=False)
        if s.empty:
            continue
        s = s.iloc[0]
        rows.append((record.position, record.kpi, units.get(record.kpi_id),
                     current.get((record.position_id, record.kpi_id)), s["average"], s["best"], s["suggested"]))
    if not rows:
        return text("stage02.targets.none", language)
    return rag_table(pd.DataFrame({
        "_position": [r[0] for r in rows],
        _col("kpi", language): [r[1] for r in rows],
        _col("unit", language): [DASH if _missing(r[2]) else str(r[2]) for r in rows],
        _col("current_plan", language): [_num(r[3], language) for r in rows],
        _col("average", language): [_rounded(r[4], language) for r in rows],
        _col("best", language): [_num(r[5], language) for r in rows],
        _col("suggested", language): [_rounded(r[6], language) for r in rows],
    }), group_by="_position")
