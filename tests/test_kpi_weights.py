"""KPI weights, pruning and the selection rules (SPEC 3.2)."""
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_toolkit.errors import CalculationError, SchemeError
from kpi_toolkit.kpi_weights import (
    check_selection_rules,
    head_on_kpi_weights,
    kpi_raw_weights,
    kpi_weights,
    prune_kpi_weights,
)

NAN = float("nan")

GOALS = pd.DataFrame({
    "goal_id": ["capitalisation", "market_share", "resources", "p1", "p2", "p3"],
    "name": ["Capitalisation", "Market share", "Resources", "P1", "P2", "P3"],
    "perspective": ["finance", "customers", "processes", "processes", "processes",
                    "processes"],
    "parent_id": [None, "capitalisation", "capitalisation", "market_share", "market_share",
                  "market_share"],
    "strength": [NAN] * 6,
    "root_weight": [NAN] * 6,
}).astype({"parent_id": object})


def kpis_table(rows, **extra):
    """rows: (kpi_id, goal_id, share)."""
    frame = pd.DataFrame(rows, columns=["kpi_id", "goal_id", "share"]).astype(
        {"goal_id": object})
    for column, values in extra.items():
        frame[column] = values
    frame["_row"] = range(2, len(frame) + 2)
    return frame


@pytest.mark.parametrize("goal_weight, shares, expected", [
    (0.5, (NAN, NAN), (0.25, 0.25)),
    (0.5, (3.0, 1.0), (0.375, 0.125)),
    (1.0, (NAN, NAN, NAN, NAN), (0.25, 0.25, 0.25, 0.25)),
    (0.6, (0.5, 0.3, 0.2), (0.3, 0.18, 0.12)),
    (1 / 6, (NAN,), (1 / 6,)),
])
def test_raw_weight_is_goal_weight_split_by_share(goal_weight, shares, expected):
    kpis = kpis_table([(f"k{i}", "g", s) for i, s in enumerate(shares)])
    weights = pd.DataFrame({"goal_id": ["g"], "weight": [goal_weight]})
    raw = kpi_raw_weights(kpis, weights)
    assert list(raw.columns) == ["kpi_id", "goal_id", "raw_weight"]
    assert raw["raw_weight"].tolist() == pytest.approx(list(expected))


def test_kpi_without_goal_has_no_raw_weight():
    kpis = kpis_table([("a", "g", NAN), ("b", None, 1.0)])
    raw = kpi_raw_weights(kpis, pd.DataFrame({"goal_id": ["g"], "weight": [1.0]}))
    assert raw["raw_weight"].iloc[0] == 1.0
    assert math.isnan(raw["raw_weight"].iloc[1])
    assert raw["goal_id"].iloc[1] is None


def test_kpi_naming_an_unknown_goal_is_a_calculation_error():
    kpis = kpis_table([("a", "nowhere", NAN)])
    with pytest.raises(CalculationError, match="nowhere"):
        kpi_raw_weights(kpis, pd.DataFrame({"goal_id": ["g"], "weight": [1.0]}))


def test_map_method_on_the_seed_001_map():
    # two KPIs on the customer goal (0.25 each), one on each process goal (1/6 and 0.5)
    kpis = kpis_table([
        ("share_of_market", "market_share", NAN),
        ("new_regions", "market_share", NAN),
        ("p1_kpi", "p1", NAN),
        ("p2_kpi", "p2", NAN),
        ("resources_kpi", "resources", NAN),
        ("tiny", "p3", 0.1),
        ("tiny_too", "p3", 1.0),
    ])
    table = kpi_weights(kpis, GOALS)
    assert list(table.columns) == ["kpi_id", "goal_id", "raw_weight", "kept", "weight"]
    raw = dict(zip(table["kpi_id"], table["raw_weight"]))
    assert raw["share_of_market"] == pytest.approx(0.25)
    assert raw["p1_kpi"] == pytest.approx(1 / 6)
    assert raw["tiny"] == pytest.approx(1 / 6 * 0.1 / 1.1)
    kept = dict(zip(table["kpi_id"], table["kept"]))
    assert not kept["tiny"] and kept["tiny_too"]
    assert math.fsum(table["weight"]) == pytest.approx(1.0, abs=1e-12)
    assert table.loc[table["kpi_id"] == "tiny", "weight"].item() == 0.0


@pytest.mark.parametrize("raw, kept, weight", [
    ((0.5, 0.3, 0.15, 0.05), (True, True, True, False), (0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0)),
    ((0.6, 0.4), (True, True), (0.6, 0.4)),
    ((0.1, 0.09, 0.81), (True, False, True), (0.1 / 0.91, 0, 0.81 / 0.91)),
    ((1 / 3 * 0.3, 0.9), (True, True), (0.1 / 1.0, 0.9)),  # 0.0999... is 0.1
    ((0.05, NAN, 0.95), (False, False, True), (0, 0, 1.0)),
    ((0.05, 0.05), (False, False), (0, 0)),
])
def test_prune_table(raw, kept, weight):
    frame = pd.DataFrame({"kpi_id": [f"k{i}" for i in range(len(raw))], "goal_id": "g",
                          "raw_weight": raw})
    result = prune_kpi_weights(frame)
    assert result["kept"].tolist() == list(kept)
    assert result["weight"].tolist() == pytest.approx(list(weight))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=15),
       st.sampled_from([0.05, 0.1, 0.2]))
def test_prune_properties(raw, min_weight):
    frame = pd.DataFrame({"kpi_id": [f"k{i}" for i in range(len(raw))], "goal_id": "g",
                          "raw_weight": raw})
    result = prune_kpi_weights(frame, min_weight)
    assert result["kpi_id"].tolist() == frame["kpi_id"].tolist()  # order preserved
    kept = result[result["kept"]]
    assert (result.loc[~result["kept"], "weight"] == 0).all()
    assert all(r < min_weight for r in result.loc[~result["kept"], "raw_weight"])
    if len(kept):
        assert abs(math.fsum(kept["weight"]) - 1.0) <= 1e-12
        total = math.fsum(kept["raw_weight"])
        assert (kept["weight"] >= min_weight / total - 1e-9).all()
        # proportions among the kept ones are those of the raw weights
        assert kept["weight"].tolist() == pytest.approx((kept["raw_weight"] / total).tolist())


@pytest.mark.parametrize("shares, weights", [
    ((4.0, 3.0, 2.0, 1.0), (0.4, 0.3, 0.2, 0.1)),
    ((0.5, 0.25, 0.25), (0.5, 0.25, 0.25)),
    ((NAN, NAN), (0.5, 0.5)),
    ((0.6, NAN, NAN), (0.6, 0.2, 0.2)),
    ((50.0, 45.0, 5.0), (50 / 95, 45 / 95, 0)),  # 0.05 pruned
])
def test_head_on_method(shares, weights):
    kpis = kpis_table([(f"k{i}", None, s) for i, s in enumerate(shares)])
    result = head_on_kpi_weights(kpis)
    assert result["weight"].tolist() == pytest.approx(list(weights))
    assert kpi_weights(kpis, None, method="head_on").equals(result)


def test_unknown_method_is_a_scheme_error():
    kpis = kpis_table([("a", None, 1.0)])
    with pytest.raises(SchemeError) as caught:
        kpi_weights(kpis, GOALS, method="gut_feeling")
    assert caught.value.problems[0].column == "strategy_method"
    with pytest.raises(SchemeError):
        kpi_weights(kpis, None, method="map")


# --- selection rules -------------------------------------------------------------------

POSITIONS = pd.DataFrame({
    "position_id": ["head", "rep", "empty", "many"],
    "name": ["Head of sales", "Sales rep", "Clerk", "Analyst"],
    "department": ["Sales"] * 4,
    "level": ["head", "line", None, None],
    "_row": [2, 3, 4, 5],
})
KPIS = pd.DataFrame({
    "kpi_id": ["revenue", "margin", "calls", "meetings", "nps", "unused"],
    "data_source": ["CRM", "accounting", None, "  ", "survey", None],
    "measurement_cost": [NAN, NAN, NAN, NAN, 900.0, 5000.0],
    "measurement_worth": [NAN, NAN, NAN, NAN, 300.0, 1.0],
    "_row": [2, 3, 4, 5, 6, 7],
})


def position_kpis(rows):
    frame = pd.DataFrame(rows, columns=["position_id", "kpi_id", "weight"])
    frame["_row"] = range(2, len(frame) + 2)
    return frame


LINKS = position_kpis([
    ("head", "revenue", 0.5), ("head", "margin", 0.3), ("head", "nps", 0.2),
    ("rep", "revenue", 0.5), ("rep", "calls", 0.3), ("rep", "meetings", 0.15),
    ("rep", "margin", 0.05),
    ("many", "revenue", 0.2), ("many", "margin", 0.2), ("many", "calls", 0.2),
    ("many", "meetings", 0.2), ("many", "nps", 0.1), ("many", "revenue", 0.1),
])


def test_selection_rules_find_each_rule():
    problems = check_selection_rules(POSITIONS, LINKS, KPIS)
    assert all(p.severity == "warning" for p in problems)
    found = {(p.rule, p.table, p.row, p.column) for p in problems}
    assert found == {
        ("kpi-count", "positions.csv", 3, "position_id"),  # rep: line, 4 KPIs
        ("kpi-count", "positions.csv", 4, "position_id"),  # empty: 0 KPIs
        ("kpi-count", "positions.csv", 5, "position_id"),  # many: 6 KPIs
        ("weight-min", "position_kpis.csv", 8, "weight"),  # rep margin 0.05
        ("data-source", "kpis.csv", 4, "data_source"),  # calls
        ("data-source", "kpis.csv", 5, "data_source"),  # meetings (blank)
        ("measurement-cost", "kpis.csv", 6, "measurement_cost"),  # nps
    }


def test_selection_rule_messages_quote_the_offender():
    problems = {(p.rule, p.row): p for p in check_selection_rules(POSITIONS, LINKS, KPIS)}
    rep = problems[("kpi-count", 3)]
    assert "'rep'" in rep.message and "4 KPIs" in rep.message and "2 to 3" in rep.message
    many = problems[("kpi-count", 5)]
    assert "6 KPIs" in many.message and "3 to 5" in many.message
    calls = problems[("data-source", 4)]
    assert "'calls'" in calls.message and "'rep'" in calls.message and "'many'" in calls.message
    assert "0.05" in problems[("weight-min", 8)].message
    assert all(p.fix for p in problems.values())


def test_selection_rules_use_the_given_source_names():
    sources = {"positions": "client.xlsx [positions]", "kpis": "client.xlsx [kpis]",
               "position_kpis": "client.xlsx [position_kpis]"}
    tables = {p.table for p in check_selection_rules(POSITIONS, LINKS, KPIS, sources)}
    assert tables == set(sources.values())


def test_selection_rules_quiet_for_a_good_scheme():
    positions = POSITIONS.iloc[:2]
    links = position_kpis([
        ("head", "revenue", 0.5), ("head", "margin", 0.3), ("head", "nps", 0.2),
        ("rep", "revenue", 0.6), ("rep", "margin", 0.4),
    ])
    kpis = KPIS.assign(measurement_cost=NAN)
    assert check_selection_rules(positions, links, kpis) == []


def test_selection_rules_without_row_numbers():
    positions = POSITIONS.drop(columns=["_row", "level"])
    problems = check_selection_rules(positions, LINKS.drop(columns="_row"),
                                     KPIS.drop(columns="_row"))
    assert problems and all(p.row is None for p in problems)
