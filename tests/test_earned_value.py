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
    estimate_to_complete,
    project_scorecard,
    rag_status,
    schedule_performance_index,
    schedule_variance,
    spending_rate,
    spi,
    to_complete_performance_index,
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
        "etc", "vac", "tcpi", "scope_ratio", "quality_ratio", "issues_opened", "issues_closed", "open_issues",
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


# --------------------------------------------------------------------------- eac_method, ETC, TCPI

# Worked examples of the kind standard earned-value course material uses (PMBOK-style
# exercises); the arithmetic is in each row's comment.
@pytest.mark.parametrize("bac, pv, ev, ac, method, eac_expected, etc_expected", [
    # CPI = 40 000 / 45 000 = 8/9; EAC = BAC / CPI = 100 000 * 9/8 = 112 500; ETC = 112 500 - 45 000
    (100_000, 50_000, 40_000, 45_000, "cpi", 112_500, 67_500),
    # atypical: EAC = AC + (BAC - EV) = 45 000 + 60 000 = 105 000; ETC = 60 000
    (100_000, 50_000, 40_000, 45_000, "atypical", 105_000, 60_000),
    # SPI = 40 000 / 50 000 = 0.8; CPI * SPI = 8/9 * 4/5 = 32/45;
    # EAC = 45 000 + 60 000 * 45/32 = 45 000 + 84 375 = 129 375; ETC = 84 375
    (100_000, 50_000, 40_000, 45_000, "cpi_spi", 129_375, 84_375),
    # CPI = 4 000 / 5 000 = 0.8; EAC = 10 000 / 0.8 = 12 500; ETC = 7 500
    (10_000, 5_000, 4_000, 5_000, "cpi", 12_500, 7_500),
    # atypical: 5 000 + (10 000 - 4 000) = 11 000; ETC = 6 000
    (10_000, 5_000, 4_000, 5_000, "atypical", 11_000, 6_000),
    # CPI * SPI = 0.8 * 0.8 = 0.64; EAC = 5 000 + 6 000 / 0.64 = 5 000 + 9 375 = 14 375
    (10_000, 5_000, 4_000, 5_000, "cpi_spi", 14_375, 9_375),
    # under budget and ahead: CPI = 1.25, SPI = 1.25; EAC = 1 000 / 1.25 = 800
    (1_000, 400, 500, 400, "cpi", 800, 400),
    # CPI * SPI = 1.5625; EAC = 400 + 500 / 1.5625 = 400 + 320 = 720
    (1_000, 400, 500, 400, "cpi_spi", 720, 320),
    # 0.1 + 0.2 style figures: 0.3 * 0.3 / 0.1 is 0.8999999999999999 in floats; exactly 0.9
    (0.3, 0.1, 0.1, 0.3, "cpi", 0.9, 0.6),
])
def test_eac_methods_worked_examples(bac, pv, ev, ac, method, eac_expected, etc_expected):
    forecast = estimate_at_completion(bac, ev=ev, ac=ac, pv=pv, method=method)
    assert forecast == eac_expected  # exact, not approximately
    assert estimate_to_complete(forecast, ac) == etc_expected


@pytest.mark.parametrize("bac, ev, ac, expected", [
    (100_000, 40_000, 45_000, 12 / 11),  # (100 000 - 40 000) / (100 000 - 45 000) = 60/55
    (10_000, 4_000, 5_000, 1.2),         # 6 000 / 5 000
    (1_000, 500, 400, 500 / 600),        # under budget: less efficiency needed than so far
    (1_000, 500, 1_200, -2.5),           # budget already overrun: 500 / -200
])
def test_tcpi_worked_examples(bac, ev, ac, expected):
    assert to_complete_performance_index(bac, ev, ac) == pytest.approx(expected, rel=1e-15)


def test_edge_case_cpi_zero_nothing_earned_gives_no_forecast_not_an_error():
    # EV = 0 with money spent: CPI = 0, BAC / CPI and (BAC - EV) / (CPI * SPI) have no value
    assert estimate_at_completion(1_000, ev=0, ac=200, method="cpi") == math.inf
    assert estimate_at_completion(1_000, ev=0, ac=200, pv=100, method="cpi_spi") == math.inf
    # atypical needs no index: 200 + 1 000 - 0
    assert estimate_at_completion(1_000, ev=0, ac=200, method="atypical") == 1_200


def test_edge_case_bac_equals_ac_budget_spent():
    # BAC = AC: (BAC - EV) / 0 -- the remaining work cannot be done within the budget
    assert to_complete_performance_index(1_000, 600, 1_000) == math.inf
    # ... and with no work remaining either (EV = BAC) there is nothing to complete: NaN
    assert math.isnan(to_complete_performance_index(1_000, 1_000, 1_000))


def test_unknown_eac_method_is_named():
    with pytest.raises(ValueError, match="'median'; expected one of cpi, atypical, cpi_spi"):
        estimate_at_completion(1_000, ev=1, ac=1, method="median")


@pytest.mark.parametrize("method, eac_expected", [
    # 2024-03 of PROJECT: BAC 1 000, PV 500, EV 400, AC 500 (CPI = SPI = 0.8)
    ("cpi", 1_250.0),      # 1 000 / 0.8
    ("atypical", 1_100.0),  # 500 + 600
    ("cpi_spi", 1_437.5),   # 500 + 600 / 0.64
])
def test_project_scorecard_uses_the_eac_method(method, eac_expected):
    card = project_scorecard(PROJECT, eac_method=method).set_index("period")
    row = card.loc["2024-03"]
    assert (row["eac"], row["etc"], row["vac"]) == (eac_expected, eac_expected - 500, 1_000 - eac_expected)
    assert row["tcpi"] == 600 / 500  # (1 000 - 400) / (1 000 - 500), whatever the method
