"""Goal weights on the strategy map (SPEC 3.1)."""
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_toolkit.errors import SchemeError
from kpi_toolkit.method.strategy_map import goal_links, goal_weights, root_weights

NAN = float("nan")


def goals_table(rows):
    """rows: (goal_id, perspective, parent_id, strength, root_weight)."""
    frame = pd.DataFrame(rows, columns=["goal_id", "perspective", "parent_id", "strength",
                                        "root_weight"])
    frame.insert(1, "name", frame["goal_id"].str.upper())
    frame["_row"] = range(2, len(frame) + 2)
    return frame.astype({"parent_id": object})


SEED_001 = goals_table([
    ("capitalisation", "finance", None, NAN, NAN),
    ("market_share", "customers", "capitalisation", NAN, NAN),
    ("resources", "processes", "capitalisation", NAN, NAN),
    ("p1", "processes", "market_share", NAN, NAN),
    ("p2", "processes", "market_share", NAN, NAN),
    ("p3", "processes", "market_share", NAN, NAN),
])


def weights_of(goals):
    table = goal_weights(goals)
    return dict(zip(table["goal_id"], table["weight"]))


def test_seed_001_worked_example():
    weights = weights_of(SEED_001)
    assert weights["capitalisation"] == 1.0
    assert weights["market_share"] == pytest.approx(0.5)
    assert weights["resources"] == pytest.approx(0.5)
    for goal in ("p1", "p2", "p3"):
        assert weights[goal] == pytest.approx(1 / 6)


def test_columns_and_order():
    table = goal_weights(SEED_001)
    assert list(table.columns) == ["goal_id", "name", "perspective", "weight"]
    # perspective order, then descending weight, then goal id
    assert table["goal_id"].tolist() == [
        "capitalisation", "market_share", "resources", "p1", "p2", "p3"]
    assert table["name"].tolist()[0] == "CAPITALISATION"


def test_goal_with_two_parents_adds_its_shares():
    goals = goals_table([
        ("root", "finance", None, NAN, NAN),
        ("a", "customers", "root", NAN, NAN),
        ("b", "customers", "root", NAN, NAN),
        ("shared", "processes", "a", NAN, NAN),
        ("shared", "processes", "b", NAN, NAN),
        ("only_b", "processes", "b", NAN, NAN),
    ])
    weights = weights_of(goals)
    # a passes all 0.5 to shared; b passes 0.25 to shared and 0.25 to only_b
    assert weights["shared"] == pytest.approx(0.75)
    assert weights["only_b"] == pytest.approx(0.25)
    assert len(goal_weights(goals)) == 5  # one row per goal, not per link


@pytest.mark.parametrize("strengths, expected", [
    ((1.0, 1.0), (0.5, 0.5)),
    ((3.0, 1.0), (0.75, 0.25)),
    ((NAN, 3.0), (0.25, 0.75)),  # empty strength = 1
    ((0.2, 0.8), (0.2, 0.8)),
])
def test_strengths_split_the_parent_weight(strengths, expected):
    goals = goals_table([
        ("root", "finance", None, NAN, NAN),
        ("a", "customers", "root", strengths[0], NAN),
        ("b", "customers", "root", strengths[1], NAN),
    ])
    weights = weights_of(goals)
    assert (weights["a"], weights["b"]) == pytest.approx(expected)


@pytest.mark.parametrize("given_weights, expected", [
    ((NAN, NAN), (0.5, 0.5)),
    ((0.7, 0.3), (0.7, 0.3)),
    ((0.7, NAN), (0.7, 0.3)),
    ((NAN, 0.1), (0.9, 0.1)),
])
def test_root_weights(given_weights, expected):
    goals = goals_table([
        ("growth", "finance", None, NAN, given_weights[0]),
        ("loyalty", "customers", None, NAN, given_weights[1]),
        ("child", "processes", "growth", NAN, NAN),
    ])
    weights = weights_of(goals)
    assert (weights["growth"], weights["loyalty"]) == pytest.approx(expected)
    assert weights["child"] == pytest.approx(expected[0])


def test_remaining_root_weight_is_shared_equally():
    goals = goals_table([
        ("a", "finance", None, NAN, 0.4),
        ("b", "finance", None, NAN, NAN),
        ("c", "finance", None, NAN, NAN),
    ])
    assert root_weights(goals) == pytest.approx({"a": 0.4, "b": 0.3, "c": 0.3})


@pytest.mark.parametrize("given_weights", [(0.7, 0.7), (0.5, 0.4), (1.2, NAN)])
def test_root_weights_that_do_not_add_up_are_a_scheme_error(given_weights):
    goals = goals_table([
        ("a", "finance", None, NAN, given_weights[0]),
        ("b", "finance", None, NAN, given_weights[1]),
    ])
    with pytest.raises(SchemeError) as caught:
        goal_weights(goals)
    assert caught.value.problems[0].column == "root_weight"


def test_cycle_is_a_scheme_error_naming_the_goals():
    goals = goals_table([
        ("root", "finance", None, NAN, NAN),
        ("a", "customers", "root", NAN, NAN),
        ("a", "customers", "c", NAN, NAN),
        ("b", "processes", "a", NAN, NAN),
        ("c", "learning", "b", NAN, NAN),
    ])
    with pytest.raises(SchemeError) as caught:
        goal_weights(goals)
    problem = caught.value.problems[0]
    assert (problem.table, problem.column) == ("goals", "parent_id")
    for goal in ("'a'", "'b'", "'c'"):
        assert goal in problem.message
    assert "'root'" not in problem.message
    assert problem.fix


def test_goal_links_flow_shares():
    links = goal_links(SEED_001)
    assert list(links.columns) == ["parent_id", "goal_id", "strength", "flow_share"]
    assert len(links) == 5
    shares = links.groupby("parent_id")["flow_share"].sum()
    assert shares.tolist() == pytest.approx([1.0, 1.0])
    assert links.loc[links["goal_id"] == "p1", "flow_share"].item() == pytest.approx(1 / 3)
    assert (links["strength"] == 1.0).all()


@st.composite
def random_dags(draw):
    """A random DAG: goal i may support any goal j < i."""
    count = draw(st.integers(1, 12))
    rows = []
    for i in range(count):
        parents = draw(st.sets(st.integers(0, i - 1), max_size=3)) if i else set()
        if not parents:
            rows.append((f"g{i}", "finance", None, NAN, NAN))
        for parent in sorted(parents):
            strength = draw(st.floats(0.1, 10))
            rows.append((f"g{i}", "processes", f"g{parent}", strength, NAN))
    return goals_table(rows)


@settings(max_examples=60, deadline=None)
@given(random_dags())
def test_leaf_weights_sum_to_one(goals):
    """Weight is neither created nor lost: the goals nobody supports carry all of it."""
    weights = weights_of(goals)
    parents = set(goals["parent_id"].dropna())
    leaves = [g for g in weights if g not in parents]
    assert math.fsum(weights[g] for g in leaves) == pytest.approx(1.0)
    assert all(w > 0 for w in weights.values())


def test_empty_map_has_no_weights():
    empty = goals_table([])
    assert goal_weights(empty).empty
    assert list(goal_weights(empty).columns) == ["goal_id", "name", "perspective", "weight"]
    assert goal_links(empty).empty
