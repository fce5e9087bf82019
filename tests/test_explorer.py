"""The scenario explorer (kpi_toolkit/explorer/model.py, view.py) and the sensitivity of the pool
(kpi_toolkit/sensitivity.py)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from builders import make_client, one_employee
from kpi_toolkit.method.bonus import compute_bonuses
from kpi_toolkit.errors import SchemeError
from kpi_toolkit.explorer.model import ExplorerModel, renormalised_weights
from kpi_toolkit.explorer.view import scenario_explorer
from kpi_toolkit.explorer.view import ExplorerView, budget_status, parse_percent, percent_text, statements_html
from kpi_toolkit.outputs.i18n import format_money
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.inputs.scenarios import Scenario, apply_scenario, save_scenario
from kpi_toolkit.method.sensitivity import (attainment_sensitivity, restrict_to_position, shift_attainment,
                                     stacked_pools, threshold_sensitivity)

DEMO = Path(__file__).resolve().parent.parent / "clients"


@pytest.fixture(scope="module")
def northwind():
    return load_client(DEMO / "northwind")


@pytest.fixture
def northwind_copy(tmp_path):
    dest = tmp_path / "northwind"
    shutil.copytree(DEMO / "northwind", dest)
    return load_client(dest)


def engine(client, scenario: Scenario, period: str):
    """What the engine computes for the whole client with a scenario applied."""
    return compute_bonuses(apply_scenario(client, scenario), period)


def html_values(widget) -> list[str]:
    """The HTML of every HTML widget inside ``widget``."""
    import ipywidgets

    found = [widget.value] if isinstance(widget, ipywidgets.HTML) else []
    for child in getattr(widget, "children", ()):
        found += html_values(child)
    return found


def pool_on_page(view: ExplorerView) -> str:
    return re.search(r'kt-pool-value">([^<]*)<', view.cards.value).group(1)


# --- weights ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("weights, kpi, weight, locked, expected", [
    ({"a": 0.4, "b": 0.35, "c": 0.25}, "a", 0.5, (), {"a": 0.5, "b": 0.29, "c": 0.21}),
    ({"a": 0.4, "b": 0.35, "c": 0.25}, "a", 0.5, ("c",), {"a": 0.5, "b": 0.25, "c": 0.25}),
    ({"a": 0.4, "b": 0.35, "c": 0.25}, "a", 0.9, ("c",), {"a": 0.75, "b": 0.0, "c": 0.25}),  # room is 0.75
    ({"a": 0.4, "b": 0.35, "c": 0.25}, "a", 0.5, ("b", "c"), {"a": 0.4, "b": 0.35, "c": 0.25}),  # nothing can move
    ({"a": 1.0, "b": 0.0, "c": 0.0}, "a", 0.7, (), {"a": 0.7, "b": 0.15, "c": 0.15}),  # zero others share equally
    ({"a": 0.5, "b": 0.5}, "a", 0.333, (), {"a": 0.33, "b": 0.67}),  # whole percent steps
    ({"a": 0.125, "b": 0.375, "c": 0.5}, "c", 0.6, (), {"a": 0.1, "b": 0.3, "c": 0.6}),
    ({"a": 0.2, "b": 0.2, "c": 0.2, "d": 0.2, "e": 0.2}, "a", 0.97, (),
     {"a": 0.97, "b": 0.01, "c": 0.01, "d": 0.01, "e": 0.0}),
])
def test_renormalised_weights(weights, kpi, weight, locked, expected):
    got = renormalised_weights(weights, kpi, weight, locked)
    assert got == pytest.approx(expected, abs=1e-12)
    assert sum(got.values()) == pytest.approx(1, abs=1e-9)
    assert min(got.values()) >= 0
    assert all(got[k] == weights[k] for k in locked if k != kpi)


def test_renormalised_weights_keep_an_off_grid_locked_weight():
    got = renormalised_weights({"a": 0.125, "b": 0.375, "c": 0.5}, "b", 0.4, locked={"a"})
    assert got["a"] == 0.125 and got["b"] == 0.4 and got["c"] == pytest.approx(0.475)


def test_low_weights_are_flagged(northwind):
    model = ExplorerModel(northwind, position="sales-manager")
    assert model.low_weights() == []
    model.set_weight("revenue", 0.85)
    assert model.low_weights() == ["cash_collection", "client_meetings"]


def test_moving_a_map_positions_weight_is_an_override_the_view_labels(northwind):
    model = ExplorerModel(northwind, position="head-of-sales")
    assert model.method() == "map" and model.method("sales-manager") == "head_on"
    # the goals the head of sales owns give 8/15, 4/15 and 3/15 (stage 01 shows the arithmetic)
    assert model.scheme().weights == pytest.approx({"team_revenue": 8 / 15, "key_account_revenue": 4 / 15,
                                                    "new_accounts": 3 / 15})
    assert model.weight_overrides() == []
    view = ExplorerView(model)
    assert any("weights come from the strategy map" in v for v in html_values(view.controls))
    assert not any("override of the map" in v for v in html_values(view.controls))
    view.weight_sliders["team_revenue"].value = 0.6
    assert set(model.weight_overrides()) == {"team_revenue", "key_account_revenue", "new_accounts"}
    assert "override of the map" in view.weight_flags["team_revenue"].value
    model.select("sales-manager")
    model.set_weight("revenue", 0.6)
    assert model.weight_overrides() == []  # a head-on position's weights are the expert's to move


# --- the model against the engine --------------------------------------------------------------------------

def test_model_starts_on_the_largest_position_and_matches_the_engine(northwind):
    model = ExplorerModel(northwind)
    assert model.position == "production-operator"
    figures = model.results()
    base = compute_bonuses(northwind, "2026-09")
    assert figures.pool == base.pool("2026-09")
    assert figures.pool == figures.current_pool
    assert figures.employees == 17 == model.headcount()


def test_every_setting_recomputes_what_the_engine_gives(northwind):
    model = ExplorerModel(northwind, position="sales-manager")
    model.set_weight("revenue", 0.62)
    model.lock("revenue")
    model.set_weight("client_meetings", 0.1)
    model.set_threshold("revenue", 0.75)
    model.set_stop_threshold("cash_collection", 0.9)
    model.set_cap("client_meetings", None)
    model.set_variable_share(0.45)
    model.select("key-account-manager")
    model.set_curve("key_account_revenue", None)
    model.set_threshold("key_account_revenue", 0.8)
    model.select("head-of-sales")
    model.set_stop_factor("staff_turnover > 0.1", False)
    model.select("sales-manager")

    assert model.scheme().weights == {"revenue": 0.62, "cash_collection": 0.28, "client_meetings": 0.1}
    figures = model.results()
    result = engine(northwind, model.to_scenario(), model.period)
    totals = result.totals
    own = totals[totals["position_id"] == "sales-manager"]
    assert figures.pool == result.pool("2026-09")
    assert figures.position_pool == int(own["bonus_minor"].sum()) / 100
    assert figures.statements["bonus_minor"].tolist() == own["bonus_minor"].tolist()
    assert figures.blocked == int((own["stop_factor"] == 0).sum()) > 0
    assert figures.zero == int((own["bonus_minor"] == 0).sum())
    assert figures.company_blocked == int((totals["stop_factor"] == 0).sum())
    by_dept = totals.groupby("department", observed=True)["bonus_minor"].sum() / 100
    assert figures.by_department.set_index("department")["bonus"].to_dict() == pytest.approx(by_dept.to_dict())
    assert figures.pool != figures.current_pool


def test_only_the_changed_position_is_recomputed(northwind, monkeypatch):
    import kpi_toolkit.explorer.model as explorer

    model = ExplorerModel(northwind, position="sales-manager")
    seen = []
    real = explorer.compute_bonuses
    monkeypatch.setattr(explorer, "compute_bonuses", lambda client, *a: seen.append(len(client.employees)) or real(client, *a))
    model.set_weight("revenue", 0.55)
    model.results()
    model.results()  # nothing changed since: nothing recomputed
    assert seen == [8]


def test_reset_and_start_from_a_saved_scenario(northwind_copy):
    client = northwind_copy
    model = ExplorerModel(client, position="sales-manager")
    model.set_weight("revenue", 0.7)
    model.select("head-of-sales")
    model.set_stop_factor("staff_turnover > 0.1", False)
    save_scenario(client, model, "saved")
    scenario = model.to_scenario()
    model.reset_all()
    assert model.to_scenario().positions == {}
    model.start_from("saved")
    assert model.to_scenario().positions == scenario.positions
    model.reset("head-of-sales")
    assert list(model.to_scenario().positions) == ["sales-manager"]


def test_comparison_shows_current_scheme_this_scenario_and_saved_ones(northwind_copy):
    client = northwind_copy
    model = ExplorerModel(client, position="sales-manager")
    model.set_weight("revenue", 0.7)
    save_scenario(client, model, "seventy")
    model.set_weight("revenue", 0.3)
    (client.path / "scenarios" / "stale.yaml").write_text("positions:\n  gone: {variable_share: 0.2}\n")
    table = model.comparison().set_index("scheme")
    assert list(table.index) == ["current", "explorer", "seventy", "stale"]
    assert table.at["current", "pool"] == compute_bonuses(client).pool()
    assert table.at["seventy", "pool"] == engine(client, Scenario("s", {"sales-manager": {"kpis": {
        "revenue": {"weight": 0.7}, "cash_collection": {"weight": 0.18}, "client_meetings": {"weight": 0.12}}}}),
        "2026-09").pool()
    assert table.at["explorer", "weights"]["revenue"] == 0.3
    assert table.at["seventy", "weights"]["revenue"] == 0.7
    assert "position 'gone'" in table.at["stale", "problems"] and np.isnan(table.at["stale", "pool"])


def test_bad_settings_are_refused_and_change_nothing(northwind):
    model = ExplorerModel(northwind, position="sales-manager")
    before = model.scheme()
    with pytest.raises(SchemeError):
        model.set_threshold("revenue", 70)  # a percentage, not a ratio
    with pytest.raises(SchemeError):
        model.set_threshold("revenue", 1.6)  # above the cap of 1.5
    with pytest.raises(SchemeError):
        model.set_curve("revenue", "no_such_curve")
    with pytest.raises(KeyError):
        model.set_weight("output", 0.5)
    assert model.scheme() == before


def test_period_can_change_and_keeps_the_settings(northwind):
    model = ExplorerModel(northwind, position="sales-manager")
    model.set_weight("revenue", 0.6)
    model.set_period("2026-06")
    assert model.results().pool == engine(northwind, model.to_scenario(), "2026-06").pool("2026-06")


# --- the widgets --------------------------------------------------------------------------------------------

def test_moving_widgets_shows_what_the_engine_computes(northwind):
    view = scenario_explorer(northwind, position="sales-manager")
    view.weight_sliders["revenue"].value = 0.6
    assert view.weight_sliders["cash_collection"].value == 0.24
    assert view.weight_sliders["client_meetings"].value == 0.16
    view.lock_buttons["client_meetings"].value = True
    view.weight_sliders["revenue"].value = 0.7
    assert view.weight_sliders["client_meetings"].value == 0.16
    assert view.weight_sliders["cash_collection"].value == pytest.approx(0.14)
    view.threshold_inputs["revenue"].value = "72,5"
    view.cap_inputs["revenue"].value = ""
    view.stop_inputs["cash_collection"].value = ""
    view.share_slider.value = 0.45
    view.position_input.value = "key-account-manager"
    view.curve_inputs["key_account_revenue"].value = ""
    view.position_input.value = "head-of-sales"
    view.stop_checks["staff_turnover > 0.1"].value = False

    model = view.model
    settings = model.scheme("sales-manager").kpis["revenue"]
    assert settings["threshold"] == 0.725 and settings["cap"] is None
    assert model.scheme("key-account-manager").kpis["key_account_revenue"]["curve"] is None
    result = engine(northwind, model.to_scenario(), "2026-09")
    assert pool_on_page(view) == format_money(result.pool("2026-09"), "GBP", "en")
    own = result.totals[result.totals["position_id"] == "head-of-sales"]
    assert format_money(own["bonus"].sum(), "GBP", "en") in view.cards.value


def test_a_wrong_percentage_is_marked_and_ignored(northwind):
    view = scenario_explorer(northwind, position="sales-manager")
    before = view.cards.value
    view.threshold_inputs["revenue"].value = "seventy"
    assert "kt-invalid" in view.threshold_inputs["revenue"]._dom_classes
    assert "not a percentage" in view.message.value
    assert view.model.scheme().kpis["revenue"]["threshold"] == 0.7
    assert view.cards.value == before
    view.threshold_inputs["revenue"].value = "70"
    assert "kt-invalid" not in view.threshold_inputs["revenue"]._dom_classes


def test_a_locked_weight_and_a_lone_free_weight_cannot_move(northwind):
    view = scenario_explorer(northwind, position="sales-manager")
    view.lock_buttons["revenue"].value = True
    assert view.weight_sliders["revenue"].disabled
    view.lock_buttons["cash_collection"].value = True
    assert view.weight_sliders["client_meetings"].disabled  # no other free weight to take up the change


def test_tabs_render_charts_comparison_and_sensitivity(northwind):
    view = scenario_explorer(northwind, position="sales-manager")
    view.weight_sliders["revenue"].value = 0.6
    view.tabs.selected_index = 1
    assert bytes(view.departments.value).startswith(b"\x89PNG")
    view.tabs.selected_index = 2
    assert "This scenario" in view.comparison.value and "Current scheme" in view.comparison.value
    view.tabs.selected_index = 3
    assert "Pool if every attainment changes" in view.sensitivity_tables.value
    assert bytes(view.sensitivity_chart.value).startswith(b"\x89PNG")


def test_saving_from_the_view(northwind_copy):
    view = scenario_explorer(northwind_copy, position="sales-manager")
    view.weight_sliders["revenue"].value = 0.6
    view.save_name.value = "Bad Name"
    view.save_button.click()
    assert "kt-error" in view.message.value
    view.save_name.value = "board-choice"
    view.save_button.click()
    assert (northwind_copy.path / "scenarios" / "board-choice.yaml").is_file()
    assert "scenarios/board-choice.yaml" in view.message.value
    assert ("board-choice", "board-choice") in view.start_input.options


def test_client_strings_are_escaped():
    client = make_client(
        positions=[{"position_id": "p", "name": "<b>Boss</b>", "department": "<i>Sales</i>", "variable_share": 0.2}],
        position_kpis=[{"position_id": "p", "kpi_id": "k", "weight": 1.0, "threshold": 0.5}],
        kpis=[{"kpi_id": "k", "name": "<script>alert(1)</script>"}],
        employees=[{"employee_id": "E1", "name": "<img src=x onerror=alert(1)>", "position_id": "p",
                    "base_salary": 1000}],
        actuals=[{"period": "2026-09", "employee_id": "E1", "kpi_id": "k", "plan": 10, "fact": 3}])
    view = scenario_explorer(client)
    for tab in (1, 2, 3):
        view.tabs.selected_index = tab
    shown = "".join(html_values(view))
    assert "<script>" not in shown and "<img src=x" not in shown and "<b>Boss" not in shown
    assert "&lt;script&gt;" in statements_html(view.model, view.model.results())
    assert "&lt;img src=x onerror=alert(1)&gt;" in view.statements.value


def test_russian_view(northwind):
    view = scenario_explorer(northwind, position="sales-manager", language="ru")
    assert "Премиальный фонд компании" in view.cards.value
    assert "\u00a0£" in pool_on_page(view)


def test_the_explorer_opens_a_client_folder():
    view = scenario_explorer(DEMO / "sever-trade")
    assert view.model.client.config.language == "ru"
    assert "₽" in pool_on_page(view)


@pytest.mark.parametrize("ratio, language, text", [(0.7, "en", "70"), (0.725, "ru", "72,5"), (1.2, "en", "120"),
                                                   (None, "en", ""), (0.0, "en", "0")])
def test_percent_text(ratio, language, text):
    assert percent_text(ratio, language) == text
    assert parse_percent(text) == ratio or (ratio is None and parse_percent(text) is None)


def test_budget_status():
    assert [budget_status(p, 100) for p in (100, 110, 110.01)] == ["green", "amber", "red"]


# --- sensitivity ----------------------------------------------------------------------------------------------

def test_shift_attainment_moves_facts_by_direction():
    kpis = [{"kpi_id": "up", "name": "up"}, {"kpi_id": "down", "name": "down", "direction": "lower"},
            {"kpi_id": "base", "name": "base", "baseline": 50},
            {"kpi_id": "band", "name": "band", "direction": "band", "band_low": 1, "band_high": 2,
             "band_tolerance": 1},
            {"kpi_id": "watch", "name": "watch"}]
    client = one_employee([{"kpi_id": "up", "weight": 0.25, "plan": 100, "fact": 90},
                           {"kpi_id": "down", "weight": 0.25, "plan": 10, "fact": 12},
                           {"kpi_id": "base", "weight": 0.25, "plan": 150, "fact": 130},
                           {"kpi_id": "band", "weight": 0.25, "plan": None, "fact": 2.5}],
                          kpis=kpis, extra_actuals=[{"period": "2026-09", "employee_id": "E1", "kpi_id": "watch",
                                                     "plan": None, "fact": 0.2}],
                          stop_factors=[{"position_id": "pos", "kpi_id": "watch", "condition": ">", "limit": 0.1,
                                         "factor": 0.5}])
    moved = shift_attainment(client, 0.1).actuals.set_index("kpi_id")["fact"]
    assert moved["up"] == pytest.approx(99) and moved["down"] == pytest.approx(12 / 1.1)
    assert moved["base"] == pytest.approx(50 + 80 * 1.1) and moved["band"] == 2.5 and moved["watch"] == 0.2
    before = compute_bonuses(client).lines.set_index("kpi_id")["attainment"]
    after = compute_bonuses(shift_attainment(client, 0.1)).lines.set_index("kpi_id")["attainment"]
    for kpi in ("up", "down", "base"):
        assert after[kpi] == pytest.approx(before[kpi] * 1.1)


def test_attainment_sensitivity(northwind):
    table = attainment_sensitivity(northwind)
    assert table["shift"].tolist() == [-0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2]
    assert table.loc[table["shift"] == 0, "pool"].item() == compute_bonuses(northwind).pool()
    assert table["pool"].is_monotonic_increasing
    assert table.loc[3, "change"] == 0


def test_threshold_sensitivity_agrees_with_one_change_at_a_time(northwind):
    table = threshold_sensitivity(northwind)
    assert table["impact"].is_monotonic_decreasing
    top = table.iloc[0]
    pk = northwind.position_kpis
    row = (pk["position_id"] == top.position_id) & (pk["kpi_id"] == top.kpi_id)
    base = compute_bonuses(northwind).pool()
    for step, column in ((-0.05, "change_down"), (0.05, "change_up")):
        moved = pk.assign(threshold=np.where(row, pk["threshold"] + step, pk["threshold"]))
        assert round(compute_bonuses(northwind.with_tables(position_kpis=moved)).pool() - base, 2) == top[column]
    assert set(table["position_id"]) <= set(pk["position_id"])
    assert not table["threshold"].isna().any()


def test_stacked_pools_equal_separate_runs(northwind):
    variants = [restrict_to_position(northwind, p, "2026-09") for p in ("sales-manager", "accountant")]
    variants.append(shift_attainment(variants[0], -0.1))
    pools = stacked_pools(variants, "2026-09")
    assert pools.tolist() == [int(compute_bonuses(v, "2026-09").totals["bonus_minor"].sum()) for v in variants]


def test_restricting_to_a_position_keeps_its_statements(northwind):
    sub = restrict_to_position(northwind, "sales-manager", "2026-09")
    full = compute_bonuses(northwind).totals
    own = full[full["position_id"] == "sales-manager"].reset_index(drop=True)
    pd.testing.assert_series_equal(compute_bonuses(sub).totals["bonus_minor"], own["bonus_minor"])


REGIONAL = Path(__file__).parent / "fixtures" / "clients" / "regional_sales_offices"


def test_a_team_kpi_is_explored_with_its_team_and_stacked_apart():
    # head-of-sales is paid on his team's revenue: restricted to the position, the teams come
    # along, the heads' statements are the whole client's, and two stacked copies don't mix teams.
    client = load_client(REGIONAL)
    full = compute_bonuses(client).totals
    heads = full[full["position_id"] == "head-of-sales"].reset_index(drop=True)
    sub = restrict_to_position(client, "head-of-sales")
    totals = compute_bonuses(sub).totals
    mine = totals[totals["position_id"] == "head-of-sales"].reset_index(drop=True)
    pd.testing.assert_series_equal(mine["bonus_minor"], heads["bonus_minor"])
    variants = [sub, shift_attainment(sub, -0.2)]
    pools = stacked_pools(variants, client.config.period)
    assert pools.tolist() == [int(compute_bonuses(v).totals["bonus_minor"].sum()) for v in variants]
    model = ExplorerModel(client, position="head-of-sales")
    model.set_threshold("TREV", 0.75)  # Moscow's team is at exactly 70 %: now below
    figures = model.results()
    engine_totals = engine(client, model.to_scenario(), model.period).totals
    own = engine_totals[engine_totals["position_id"] == "head-of-sales"]
    assert figures.statements["bonus_minor"].tolist() == own["bonus_minor"].tolist()
    assert figures.statements["bonus_minor"].iloc[0] < heads["bonus_minor"].iloc[0]


def test_shifting_attainment_moves_a_team_kpi_with_its_members():
    client = load_client(REGIONAL)
    lines = compute_bonuses(shift_attainment(client, 0.1)).lines.set_index(["employee_id", "kpi_id"])
    assert lines.loc[("H01", "TREV"), "attainment"] == pytest.approx(0.77)


def test_a_quarter_is_explored_over_its_three_months():
    # The position restricted to the quarter ending in the period keeps all three months' rows.
    months = ("2026-11", "2026-12", "2027-01")
    client = make_client(
        positions=[{"position_id": "pos", "name": "Manager", "department": "Sales"}],
        position_kpis=[{"position_id": "pos", "kpi_id": "rev", "weight": 1, "threshold": 0.7}],
        employees=[{"employee_id": "E1", "name": "Ann", "position_id": "pos", "bonus_fund": 3000}],
        actuals=[{"period": p, "employee_id": "E1", "kpi_id": "rev", "plan": 100, "fact": f}
                 for p, f in zip(months, (90, 120, 60))],
        period="2027-01", bonus_period_months=3)
    sub = restrict_to_position(client, "pos")
    assert sorted(sub.actuals["period"]) == list(months)
    model = ExplorerModel(client, position="pos")
    model.set_threshold("rev", 0.95)  # 270 / 300 = 90 %: now below
    assert model.results().statements["bonus_minor"].tolist() == [0]
    model.set_threshold("rev", 0.9)  # exactly at it: 3000 * 0.9 = 2700
    assert model.results().statements["bonus_minor"].tolist() == [270_000]
