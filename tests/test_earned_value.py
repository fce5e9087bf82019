"""Earned value and the project scorecard (SPEC 3.6)."""
import math

import numpy as np
import pandas as pd
import pytest

from kpi_toolkit.method.earned_value import (
    cost_performance_index,
    cost_variance,
    cpi,
    eac,
    estimate_at_completion,
    project_scorecard,
    rag_status,
    schedule_performance_index,
    schedule_variance,
    spending_rate,
    spi,
    vac,
    variance_at_completion,
    worst_status,
)

NAN = float("nan")


@pytest.mark.parametrize("ev, ac, pv, bac, expected", [
    # ev, ac, pv, bac -> cv, cpi, sv, spi, spending rate, eac, vac
    (100, 100, 100, 1000, (0, 1.0, 0, 1.0, 1.0, 1000, 0)),
    (80, 100, 100, 1000, (-20, 0.8, -20, 0.8, 1.25, 1250, -250)),
    (120, 100, 150, 600, (20, 1.2, -30, 0.8, 1 / 1.2, 500, 100)),
    (0, 0, 0, 500, (0, 1.0, 0, 1.0, 1.0, 500, 0)),  # nothing planned or spent yet
    (50, 0, 0, 500, (50, 1.0, 50, 1.0, 1.0, 500, 0)),  # costs not booked yet
])
def test_earned_value_formulas(ev, ac, pv, bac, expected):
    index = cost_performance_index(ev, ac)
    at_completion = estimate_at_completion(bac, index)
    found = (cost_variance(ev, ac), index, schedule_variance(ev, pv),
             schedule_performance_index(ev, pv), spending_rate(ev, ac), at_completion,
             variance_at_completion(bac, at_completion))
    assert found == pytest.approx(expected)
    assert all(isinstance(value, float) for value in found)


def test_money_spent_with_nothing_earned():
    assert cost_performance_index(0, 100) == 0.0
    assert spending_rate(0, 100) == math.inf
    assert estimate_at_completion(1000, 0.0) == math.inf


def test_aliases_are_the_full_functions():
    assert cpi is cost_performance_index and spi is schedule_performance_index
    assert eac is estimate_at_completion and vac is variance_at_completion


def test_series_and_arrays_keep_their_shape():
    ev = pd.Series([90.0, 0.0], index=["a", "b"])
    result = cost_performance_index(ev, pd.Series([100.0, 0.0], index=["a", "b"]))
    assert isinstance(result, pd.Series) and result.index.tolist() == ["a", "b"]
    assert result.tolist() == pytest.approx([0.9, 1.0])
    array = schedule_performance_index(np.array([1.0, 3.0]), np.array([2.0, 3.0]))
    assert isinstance(array, np.ndarray) and array.tolist() == [0.5, 1.0]


@pytest.mark.parametrize("index, expected", [
    (1.3, "green"), (1.0, "green"), (0.95, "green"), (0.9499, "amber"), (0.85, "amber"),
    (0.8499, "red"), (0.0, "red"), (math.inf, "green"), (NAN, None),
    (math.nextafter(0.95, 0), "green"),  # float noise under the threshold reaches it
])
def test_rag_status_default_thresholds(index, expected):
    assert rag_status(index) == expected


def test_rag_status_custom_thresholds_and_arrays():
    assert rag_status(0.92, green=0.9, amber=0.8) == "green"
    assert rag_status(0.92, green=1.0, amber=0.95) == "red"
    assert rag_status([1.0, 0.9, 0.1]).tolist() == ["green", "amber", "red"]


def test_worst_status():
    assert worst_status("green", "red", "amber") == "red"
    assert worst_status("green", None) == "green"
    assert worst_status() is None


# A four-month project worked by hand, BAC 1000.
PROJECT = pd.DataFrame({
    "period": ["2024-04", "2024-01", "2024-02", "2024-03"],  # unsorted on purpose
    "pv": [700.0, 100.0, 250.0, 500.0],
    "ev": [665.0, 100.0, 230.0, 400.0],
    "ac": [700.0, 100.0, 250.0, 500.0],
    "bac": [1000.0] * 4,
    "scope_planned": [8.0, 1.0, 3.0, 6.0],
    "scope_delivered": [8.0, 1.0, 3.0, 5.0],
    "issues_opened": pd.array([0, 5, 10, 5], dtype="Int64"),
    "issues_closed": pd.array([0, 5, 8, 7], dtype="Int64"),
    "_row": [5, 2, 3, 4],
})

EXPECTED = pd.DataFrame({
    "period": ["2024-01", "2024-02", "2024-03", "2024-04"],
    "cv": [0.0, -20.0, -100.0, -35.0],
    "cpi": [1.0, 0.92, 0.8, 0.95],
    "sv": [0.0, -20.0, -100.0, -35.0],
    "spi": [1.0, 0.92, 0.8, 0.95],
    "spending_rate": [1.0, 1 / 0.92, 1.25, 1 / 0.95],
    "eac": [1000.0, 1000 / 0.92, 1250.0, 1000 / 0.95],
    "vac": [0.0, 1000 - 1000 / 0.92, -250.0, 1000 - 1000 / 0.95],
    "scope_ratio": [1.0, 1.0, 5 / 6, 1.0],
    "quality_ratio": [1.0, 13 / 15, 1.0, 1.0],
    "open_issues": [0, 2, 0, 0],
    "budget": ["green", "amber", "red", "green"],
    "schedule": ["green", "amber", "red", "green"],
    "scope": ["green", "green", "red", "green"],
    "quality": ["green", "amber", "green", "green"],
    "overall": ["green", "amber", "red", "green"],
})


def test_project_scorecard_worked_example():
    card = project_scorecard(PROJECT)
    assert list(card.columns) == [
        "period", "pv", "ev", "ac", "bac", "cv", "cpi", "sv", "spi", "spending_rate", "eac",
        "vac", "scope_ratio", "quality_ratio", "issues_opened", "issues_closed", "open_issues",
        "budget", "schedule", "scope", "quality", "overall"]
    for column in EXPECTED.columns:
        expected = EXPECTED[column].tolist()
        found = card[column].tolist()
        if isinstance(expected[0], float):
            assert found == pytest.approx(expected), column
        else:
            assert found == expected, column
    assert card["issues_opened"].tolist() == [5, 10, 5, 0]


def test_scorecard_thresholds_are_configurable():
    card = project_scorecard(PROJECT, green=0.8, amber=0.5)
    assert card["overall"].tolist() == ["green"] * 4


def test_scorecard_without_scope_and_issue_data_rates_budget_and_schedule_only():
    project = PROJECT[["period", "pv", "ev", "ac", "bac"]]
    card = project_scorecard(project)
    assert card["scope"].isna().all() and card["quality"].isna().all()
    assert card["open_issues"].isna().all()
    assert card["overall"].tolist() == ["green", "amber", "red", "green"]


def test_scorecard_empty_issue_cell_counts_as_zero_next_to_data():
    project = PROJECT.copy()
    project["issues_closed"] = pd.array([pd.NA, 5, 8, 7], dtype="Int64")  # 2024-04 empty
    card = project_scorecard(project)
    assert card["open_issues"].tolist() == [0, 2, 0, 0]


def test_scorecard_start_of_project_is_on_track():
    project = pd.DataFrame({"period": ["2024-01"], "pv": [0.0], "ev": [0.0], "ac": [0.0],
                            "bac": [1000.0], "scope_planned": [0.0], "scope_delivered": [0.0],
                            "issues_opened": [0], "issues_closed": [0]})
    card = project_scorecard(project)
    assert card.loc[0, ["cpi", "spi", "scope_ratio", "quality_ratio"]].tolist() == [1.0] * 4
    assert card.loc[0, "overall"] == "green"
