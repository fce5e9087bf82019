"""Target setting from the history of results (SPEC 3.8)."""
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_toolkit.method.targets import suggest_targets, suggested_target

NAN = float("nan")


def history(rows):
    """rows: (period, employee_id, kpi_id, fact)."""
    return pd.DataFrame(rows, columns=["period", "employee_id", "kpi_id", "fact"])


# Seed 001: on average 10 meetings ending in a contract, the department's best 15.
MEETINGS = history([
    ("2024-01", "ann", "meetings", 8.0), ("2024-02", "ann", "meetings", 10.0),
    ("2024-01", "bob", "meetings", 15.0), ("2024-02", "bob", "meetings", 11.0),
    ("2024-01", "cat", "meetings", 6.0), ("2024-02", "cat", "meetings", 10.0),
])


@pytest.mark.parametrize("average, best, position, expected", [
    (10, 15, 0.5, 12.5),
    (10, 15, 1.0, 15.0),
    (10, 15, 0.0, 10.0),
    (10, 15, 2.0, 20.0),  # the head of sales in seed 001
    (4, 2, 0.5, 3.0),  # lower is better
])
def test_suggested_target(average, best, position, expected):
    assert suggested_target(average, best, position) == expected


def test_department_level_suggestion_seed_001():
    result = suggest_targets(MEETINGS.drop(columns="employee_id"))
    assert list(result.columns) == ["kpi_id", "periods", "average", "best", "suggested"]
    row = result.iloc[0]
    assert (row.kpi_id, row.periods, row.average, row.best) == ("meetings", 6, 10.0, 15.0)
    assert row.suggested == 12.5
    assert suggest_targets(MEETINGS, per_employee=False).equals(result)


def test_head_gets_a_higher_target():
    department = MEETINGS.drop(columns="employee_id")
    line = suggest_targets(department)["suggested"].item()
    head = suggest_targets(department, level="head")["suggested"].item()
    lead = suggest_targets(department, level="lead")["suggested"].item()
    assert (line, head, lead) == (12.5, 13.75, 13.75)
    assert suggest_targets(department, level="head", head_position=2.0)["suggested"].item() == 20


def test_per_employee_suggestions():
    result = suggest_targets(MEETINGS)
    assert list(result.columns) == ["kpi_id", "employee_id", "periods", "average", "best",
                                    "suggested"]
    by_employee = result.set_index("employee_id")
    assert by_employee.loc["ann", ["average", "best", "suggested"]].tolist() == [9, 10, 9.5]
    assert by_employee.loc["bob", ["average", "best", "suggested"]].tolist() == [13, 15, 14]
    assert by_employee["periods"].tolist() == [2, 2, 2]


def test_level_per_employee():
    result = suggest_targets(MEETINGS, level={"bob": "head"})
    suggested = dict(zip(result["employee_id"], result["suggested"]))
    assert suggested == {"ann": 9.5, "bob": 14.5, "cat": 9.0}


@pytest.mark.parametrize("direction, best, suggested", [
    ("higher", 6.0, 5.0),
    ("lower", 2.0, 3.0),
    (None, 6.0, 5.0),  # default: higher is better
])
def test_direction_decides_the_best_result(direction, best, suggested):
    data = history([("2024-01", None, "k", 2.0), ("2024-02", None, "k", 4.0),
                    ("2024-03", None, "k", 6.0)]).drop(columns="employee_id")
    result = suggest_targets(data, {"k": direction} if direction else None)
    assert (result["best"].item(), result["suggested"].item()) == (best, suggested)


def test_band_kpi_gets_no_suggestion_and_missing_facts_are_left_out():
    data = history([("2024-01", "ann", "stock", 10.0), ("2024-02", "ann", "stock", NAN),
                    ("2024-03", "ann", "stock", 14.0)])
    result = suggest_targets(data, {"stock": "band"})
    assert result["periods"].item() == 2 and result["average"].item() == 12.0
    assert math.isnan(result["best"].item()) and math.isnan(result["suggested"].item())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=20),
       st.floats(0, 1), st.sampled_from(["higher", "lower"]))
def test_suggestion_lies_between_average_and_best(facts, position, direction):
    data = pd.DataFrame({"period": range(len(facts)), "kpi_id": "k", "fact": facts})
    row = suggest_targets(data, {"k": direction}, position=position).iloc[0]
    low, high = sorted((row.average, row.best))
    slack = 1e-9 * max(1.0, abs(low), abs(high))
    assert low - slack <= row.suggested <= high + slack
    assert row.best == (max(facts) if direction == "higher" else min(facts))
