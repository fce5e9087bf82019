"""KPI weights, pruning and the selection rules (SPEC 3.2)."""
import math
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_toolkit.errors import CalculationError
from kpi_toolkit.method.kpi_weights import (
    check_selection_rules,
    kpi_raw_weights,
    map_owner,
    paid_position_kpis,
    position_kpi_weights,
    position_methods,
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


# --- weights per position (SPEC 3.2) ---------------------------------------------------

SEED_001_GOALS = pd.DataFrame({
    "goal_id": ["cap", "share", "resources", "p1", "p2", "p3"],
    "parent_id": [None, "cap", "cap", "share", "share", "share"],
    "owner": [None] * 6,
}).astype({"parent_id": object, "owner": object})
SEED_001_KPIS = pd.DataFrame({"kpi_id": ["cap", "share", "nps", "k1", "k2", "k3"],
                              "goal_id": ["cap", "share", "share", "p1", "p2", "p3"],
                              "share": [NAN] * 6})


def links(rows):
    """rows: (position_id, kpi_id, weight)."""
    return pd.DataFrame(rows, columns=["position_id", "kpi_id", "weight"])


def test_seed_001_worked_example_gives_two_thirds_and_two_sixths():
    positions = pd.DataFrame({"position_id": ["ceo"], "level": ["ceo"], "method": [None]})
    table = position_kpi_weights(positions, links([("ceo", "cap", NAN), ("ceo", "share", NAN),
                                                   ("ceo", "nps", NAN)]), SEED_001_KPIS, SEED_001_GOALS)
    assert list(table.columns[:8]) == ["position_id", "method", "kpi_id", "goal_id", "raw_weight",
                                       "normalised", "kept", "weight"]
    assert set(table["method"]) == {"map"}
    raw = [Fraction(1), Fraction(1, 4), Fraction(1, 4), Fraction(1, 6), Fraction(1, 6), Fraction(1, 6)]
    assert table["raw_weight"].tolist() == pytest.approx([float(r) for r in raw])
    assert table["normalised"].tolist() == pytest.approx([0.5, 0.125, 0.125, 1 / 12, 1 / 12, 1 / 12])
    assert table["kept"].tolist() == [True, True, True, False, False, False]
    assert table["exact"].tolist() == [Fraction(2, 3), Fraction(1, 6), Fraction(1, 6), 0, 0, 0]
    assert table["weight"].tolist() == [2 / 3, 1 / 6, 1 / 6, 0.0, 0.0, 0.0]


def test_three_map_positions_whose_goals_do_not_overlap_weigh_only_their_own_kpis():
    goals = pd.DataFrame({
        "goal_id": ["profit", "sales", "ops", "people"],
        "parent_id": [None, "profit", "profit", "profit"],
        "strength": [NAN, 2.0, 1.0, 1.0],
        "owner": [None, "head-sales", "head-ops", None],
    }).astype({"parent_id": object})
    kpis = pd.DataFrame({
        "kpi_id": ["ebit", "revenue", "margin", "calls", "output", "scrap", "turnover"],
        "goal_id": ["profit", "sales", "sales", "sales", "ops", "ops", "people"],
        "share": [NAN, 3.0, 1.0, 0.3, NAN, NAN, NAN],
    })
    positions = pd.DataFrame({"position_id": ["ceo", "head-sales", "head-ops", "rep"],
                              "level": ["ceo", "head", "head", "line"], "method": [None] * 4})
    rows = links([("ceo", "ebit", NAN), ("ceo", "turnover", NAN),
                  ("head-sales", "revenue", NAN), ("head-sales", "margin", NAN),
                  ("head-ops", "output", NAN), ("head-ops", "scrap", NAN),
                  ("rep", "revenue", 0.7), ("rep", "calls", 0.3)])
    table = position_kpi_weights(positions, rows, kpis, goals)
    by = {p: t.set_index("kpi_id") for p, t in table.groupby("position_id")}
    assert dict(zip(table["position_id"], table["method"])) == {
        "ceo": "map", "head-sales": "map", "head-ops": "map", "rep": "head_on"}
    # the CEO owns the goals without an owner: profit (1) and people (1/4)
    assert by["ceo"]["exact"].to_dict() == {"ebit": Fraction(4, 5), "turnover": Fraction(1, 5)}
    # sales (1/2): shares 3, 1, 0.3 -> normalised 30/43, 10/43, 3/43; calls dropped
    assert by["head-sales"]["normalised"].tolist() == pytest.approx([30 / 43, 10 / 43, 3 / 43])
    assert by["head-sales"]["kept"].tolist() == [True, True, False]
    assert by["head-sales"]["exact"].tolist() == [Fraction(3, 4), Fraction(1, 4), 0]
    assert by["head-ops"]["exact"].tolist() == [Fraction(1, 2), Fraction(1, 2)]
    assert by["rep"]["weight"].tolist() == [0.7, 0.3]
    assert by["rep"]["raw_weight"].isna().all() and by["rep"]["kept"].all()
    # every position's kept weights sum to 1 exactly and none is under 0.1
    for position, group in table[table["kept"]].groupby("position_id"):
        assert sum(group["exact"]) == 1, position
        assert (group["weight"] >= 0.1).all(), position


def test_method_defaults_to_map_for_a_goal_owner_and_head_on_otherwise():
    positions = pd.DataFrame({"position_id": ["boss", "head", "clerk", "forced"],
                              "level": ["ceo", "head", "line", "line"],
                              "method": [None, None, None, "map"]})
    goals = pd.DataFrame({"goal_id": ["g", "h"], "owner": [None, "head"]})
    assert position_methods(positions, goals) == {"boss": "map", "head": "map", "clerk": "head_on",
                                                  "forced": "map"}
    assert map_owner(positions) == "boss" and map_owner(positions, "head") == "head"
    assert position_methods(positions, goals, "head") == {"boss": "head_on", "head": "map",
                                                          "clerk": "head_on", "forced": "map"}


def test_paid_position_kpis_fill_map_weights_and_leave_dropped_kpis_unpaid():
    positions = pd.DataFrame({"position_id": ["ceo"], "level": ["ceo"], "method": [None]})
    rows = links([("ceo", "cap", NAN), ("ceo", "share", NAN), ("ceo", "nps", NAN), ("ceo", "k1", NAN)])
    table = position_kpi_weights(positions, rows, SEED_001_KPIS, SEED_001_GOALS)
    paid = paid_position_kpis(rows, table)
    assert paid["kpi_id"].tolist() == ["cap", "share", "nps"]
    assert paid["weight"].tolist() == [2 / 3, 1 / 6, 1 / 6]


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
