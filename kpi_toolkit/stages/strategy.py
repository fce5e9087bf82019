"""Stage 01, the strategy map: goals, their links and weights, and each position's KPI weights."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from kpi_toolkit.method.calculate import Results
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.method.kpi_weights import MIN_WEIGHT, goal_owners, map_owner
from kpi_toolkit.method.strategy_map import goal_links
from kpi_toolkit.outputs import charts
from kpi_toolkit.outputs.html import Html, escape
from kpi_toolkit.outputs.i18n import t
from kpi_toolkit.stages.common import (
    DASH,
    Markdown,
    _code,
    _col,
    _figure_html,
    _goal_names,
    _kpi_names,
    _missing,
    _num,
    _pct,
    _position_order,
    _sections,
    _word,
    rag_table,
    text,
)


def has_map(results: Results) -> bool:
    """Whether the client has a strategy map (a goals table); without one every position is head-on."""
    return not results.goal_weights.empty


def _owners(client: ClientData) -> dict[str, str | None]:
    """Goal id -> the position accountable for it (its owner, else the map's owner)."""
    return goal_owners(client.goals, map_owner(client.positions, client.config.strategy_owner))


def _position_names(client: ClientData) -> dict[str, str]:
    return dict(zip(client.positions["position_id"], client.positions["name"].astype(str)))


def goal_table(results: Results, language: str) -> pd.DataFrame:
    """Goals by perspective with their weights (SPEC §3.1), the position accountable for each and
    how many of its KPIs that position is paid on (empty without a strategy map)."""
    gw = results.goal_weights
    kw = results.kpi_weights
    owners = _owners(results.client)
    names = _position_names(results.client)
    kept = kw[kw["kept"] & (kw["method"] == "map")]
    mine = np.array([owners.get(g) == p for g, p in zip(kept["goal_id"], kept["position_id"])], dtype=bool)
    kept = kept[mine].groupby("goal_id").size()
    return pd.DataFrame({
        _col("perspective", language): [_code("perspective", p, language) for p in gw["perspective"]],
        _col("goal", language): gw["name"].astype(str),
        _col("weight", language): [_num(w, language, 3) for w in gw["weight"]],
        _col("owner", language): [names.get(owners.get(g), DASH) for g in gw["goal_id"]],
        _col("kpis_kept", language): [_num(int(kept.get(g, 0)), language, 0) for g in gw["goal_id"]],
    })


def link_table(results: Results, language: str) -> pd.DataFrame:
    """The causal links: which goal supports which, the link's strength and the weight it carries."""
    links = goal_links(results.client.goals)
    names = _goal_names(results.client)
    weight = dict(zip(results.goal_weights["goal_id"], results.goal_weights["weight"]))
    return pd.DataFrame({
        _col("goal", language): [names.get(g, g) for g in links["goal_id"]],
        _col("supports", language): [names.get(p, p) for p in links["parent_id"]],
        _col("strength", language): [_num(s, language) for s in links["strength"]],
        _col("flow_share", language): [_pct(s, language) for s in links["flow_share"]],
        _col("weight_carried", language): [_num(weight.get(p, np.nan) * s, language, 3)
                                           for p, s in zip(links["parent_id"], links["flow_share"])],
    })


def strategy_map(results: Results, language: str):
    """The strategy map drawn as a Balanced Scorecard diagram (a note when there is no map)."""
    if not has_map(results):
        return text("stage01.no_map", language)
    return charts.strategy_map_chart(results.goal_weights, goal_links(results.client.goals), language)


def method_summary(results: Results, language: str) -> Markdown:
    """Which positions take their weights from the map and which are given them head-on."""
    names = _position_names(results.client)
    kw = results.kpi_weights
    by_method = {m: [names.get(p, p) for p in dict.fromkeys(kw.loc[kw["method"] == m, "position_id"])]
                 for m in ("map", "head_on")}
    key = "stage01.methods.both" if all(by_method.values()) else (
        "stage01.methods.map_only" if by_method["map"] else
        "stage01.methods.head_on_with_map" if has_map(results) else "stage01.methods.head_on_only")
    return text(key, language, map=escape(", ".join(by_method["map"])),
                head_on=escape(", ".join(by_method["head_on"])))


def _map_rows(results: Results) -> pd.DataFrame:
    """The candidates of the map positions with goal and KPI names, in position order."""
    client = results.client
    kw = results.kpi_weights
    kw = kw[kw["method"] == "map"].copy()
    kw["kpi"] = kw["kpi_id"].map(_kpi_names(client))
    kw["goal"] = kw["goal_id"].map(_goal_names(client))
    goal_weight = dict(zip(results.goal_weights["goal_id"], results.goal_weights["weight"]))
    kw["goal_weight"] = kw["goal_id"].map(goal_weight)
    kw["share"] = kw["raw_weight"] / kw["goal_weight"]
    kw["_p"] = kw["position_id"].map(_position_order(client))
    return kw.sort_values(["_p", "normalised"], ascending=[True, False], kind="stable")


def position_weights(results: Results, language: str) -> Html:
    """Per ``map`` position (SPEC §3.2): the goals it owns and the arithmetic of its KPI weights —
    goal weight × the KPI's share of the goal = raw weight; raw weights normalised over the
    position's candidates; under 10 % dropped; the rest renormalised to 100 %."""
    client = results.client
    rows = _map_rows(results)
    if rows.empty:
        return Html("")
    positions = client.positions.set_index("position_id")
    owners = _owners(client)
    goal_weight = dict(zip(results.goal_weights["goal_id"], results.goal_weights["weight"]))
    goal_names = _goal_names(client)
    parts = []
    for position_id, group in rows.groupby("position_id", sort=False):
        owned = [g for g in results.goal_weights["goal_id"] if owners.get(g) == position_id]
        goals = "; ".join(f"{goal_names.get(g, g)} ({_num(goal_weight[g], language, 3)})" for g in owned)
        kept = group[group["kept"]]
        note = t("stage01.weights.owns", language, goals=goals)
        arithmetic = t("stage01.weights.arithmetic", language, raw=_num(group["raw_weight"].sum(), language, 3),
                       candidates=_num(len(group), language, 0), kept=_num(len(kept), language, 0),
                       kept_sum=_pct(kept["normalised"].sum(), language, 1), min=_pct(MIN_WEIGHT, language))
        df = pd.DataFrame({
            _col("goal", language): group["goal"].astype(str),
            _col("kpi", language): group["kpi"].astype(str),
            _col("weight_of_goal", language): [_num(w, language, 3) for w in group["goal_weight"]],
            _col("share_of_goal", language): [_pct(q, language, 1) for q in group["share"]],
            _col("raw", language): [_num(w, language, 4) for w in group["raw_weight"]],
            _col("normalised", language): [_pct(w, language, 1) for w in group["normalised"]],
            _col("weight", language): [_pct(w, language, 1) if k else _word("dropped", language)
                                       for w, k in zip(group["weight"], group["kept"])],
        })
        statuses = {_col("weight", language): [None if k else "red" for k in group["kept"]]}
        body = (f"<p>{html.escape(note)}</p>\n{rag_table(df, statuses).html}\n"
                f"<p>{html.escape(arithmetic)}</p>")
        dept = positions.at[position_id, "department"]
        title = f"{positions.at[position_id, 'name']} · {dept}" if isinstance(dept, str) and dept else str(
            positions.at[position_id, "name"])
        parts.append((title, body))
    return _sections(parts, level=3)


def head_on_weight_table(results: Results, language: str) -> pd.DataFrame:
    """The expert weights of the ``head_on`` positions (method 2 of seed 001)."""
    client = results.client
    kw = results.kpi_weights
    kw = kw[kw["method"] == "head_on"].copy()
    kw["_p"] = kw["position_id"].map(_position_order(client))
    kw = kw.sort_values(["_p", "weight"], ascending=[True, False], kind="stable")
    names, kpis = _position_names(client), _kpi_names(client)
    first = ~kw["position_id"].duplicated()
    return pd.DataFrame({
        _col("position", language): [names.get(p, p) if f else "" for p, f in zip(kw["position_id"], first)],
        _col("kpi", language): [str(kpis.get(k, k)) for k in kw["kpi_id"]],
        _col("weight", language): [_pct(w, language, 1) for w in kw["weight"]],
    })


def kpi_weight_charts(results: Results, language: str) -> Html:
    """Per ``map`` position, its KPIs' normalised weights against the 10 % line and the weights
    kept after renormalisation."""
    rows = _map_rows(results)
    names = _position_names(results.client)
    parts = []
    for position_id, group in rows.groupby("position_id", sort=False):
        data = group[["kpi", "normalised", "kept", "weight"]].rename(columns={"normalised": "raw_weight"})
        fig = charts.kpi_weights_chart(data, language, min_weight=MIN_WEIGHT)
        parts.append((names.get(position_id, position_id), _figure_html(fig)))
    return _sections(parts, level=3)


def dropped_kpi_table(results: Results, language: str) -> pd.DataFrame:
    """Per ``map`` position, the candidates dropped for a normalised weight under 10 % (none of
    them is paid on; they may still serve as conditions that raise or lower a bonus)."""
    rows = _map_rows(results)
    rows = rows[~rows["kept"]]
    names = _position_names(results.client)
    paid = _paid_positions(results)
    first = ~rows["position_id"].duplicated()
    return pd.DataFrame({
        _col("position", language): [names.get(p, p) if f else "" for p, f in zip(rows["position_id"], first)],
        _col("kpi", language): rows["kpi"].astype(str),
        _col("goal", language): [DASH if _missing(g) else str(g) for g in rows["goal"]],
        _col("normalised", language): [_pct(w, language, 1) for w in rows["normalised"]],
        _col("paid_on_by", language): [", ".join(names.get(p, p) for p in paid.get(k, [])) or DASH
                                        for k in rows["kpi_id"]],
    })


def _paid_positions(results: Results) -> dict[str, list[str]]:
    """KPI id -> the positions paid on it (their kept KPIs), in position order."""
    kw = results.kpi_weights
    kw = kw[kw["kept"]]
    order = _position_order(results.client)
    kw = kw.assign(_p=kw["position_id"].map(order)).sort_values("_p", kind="stable")
    return kw.groupby("kpi_id", sort=False)["position_id"].agg(list).to_dict()
