"""Saved scenarios (kpi_toolkit/scenarios.py): the file, applying it, misfits, and the save -> calc round trip."""
from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from builders import one_employee
from kpi_toolkit.cli import app as cli
from kpi_toolkit.method.bonus import compute_bonuses
from kpi_toolkit.errors import ScenarioError
from kpi_toolkit.explorer.model import ExplorerModel
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.inputs.scenarios import (Scenario, apply_scenario, check_name, list_scenarios, load_scenario,
                                   read_scenario, save_scenario, scenario_problems, scenario_yaml)

DEMO = Path(__file__).resolve().parent.parent / "clients"


@pytest.fixture
def northwind(tmp_path) -> Path:
    """A copy of the Northwind demo client (scenarios are written into its folder)."""
    dest = tmp_path / "clients" / "northwind"
    shutil.copytree(DEMO / "northwind", dest)
    return dest


def folder_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "scenarios" not in p.parts}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / "scenarios" / f"{name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- names -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["revenue-heavy", "pilot-2026-10", "a", "v2"])
def test_good_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["Revenue", "revenue_heavy", "-lead", "trail-", "two--hyphens", "a b",
                                  "../escape", "", "x" * 65, "ünicode"])
def test_bad_names_are_refused(name):
    with pytest.raises(ScenarioError) as err:
        check_name(name)
    assert "lower-case letters, digits and hyphens" in err.value.problems[0].message


# --- saving and reading ------------------------------------------------------------------------------

def test_save_writes_a_readable_file_and_leaves_the_client_alone(northwind):
    client = load_client(northwind)
    before = folder_hashes(northwind)
    model = ExplorerModel(client, position="sales-manager")
    model.set_weight("revenue", 0.6)
    model.set_threshold("cash_collection", 0.8)
    model.set_cap("revenue", None)
    model.select("head-of-sales")
    model.set_stop_factor("staff_turnover > 0.1", False)
    model.set_variable_share(0.3)

    path = save_scenario(client, model, "revenue-heavy", description="More weight on revenue", author="tester")

    assert path == northwind / "scenarios" / "revenue-heavy.yaml"
    assert folder_hashes(northwind) == before, "the client's own files must not change"
    assert not [p for p in path.parent.iterdir() if p.name != path.name], "no temporary files left"
    text = path.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any(line.startswith("# What:") for line in header)
    assert any(line.startswith("# When:") for line in header)
    assert any(line.startswith("# Who:   tester") for line in header)
    assert any(line.startswith("# Base:") and "position_kpis.csv" in line for line in header)
    assert "weight: 0.6                       # was 0.5" in text
    assert "threshold: 0.8" in text and "# was 0.85" in text
    assert "cap: null" in text and "# was 1.5" in text
    assert '"staff_turnover > 0.1": off' in text
    data = yaml.safe_load(text)
    assert data["positions"]["sales-manager"]["kpis"] == {
        "revenue": {"weight": 0.6, "cap": None},
        "cash_collection": {"weight": 0.24, "threshold": 0.8},
        "client_meetings": {"weight": 0.16}}
    assert data["positions"]["head-of-sales"] == {"variable_share": 0.3,
                                                  "stop_factors": {"staff_turnover > 0.1": False}}
    assert data["description"] == "More weight on revenue"
    assert list_scenarios(client) == ["revenue-heavy"]


def test_saved_scenario_applies_as_the_model_computes(northwind):
    client = load_client(northwind)
    model = ExplorerModel(client, position="sales-manager")
    model.set_weight("revenue", 0.7)
    model.set_stop_threshold("cash_collection", None)
    save_scenario(client, model, "no-block")

    applied = apply_scenario(client, "no-block")
    expected = compute_bonuses(model.scenario_client(), model.period).totals
    got = compute_bonuses(applied, model.period).totals
    pd.testing.assert_series_equal(got["bonus_minor"], expected["bonus_minor"])
    assert model.results().pool == got["bonus_minor"].sum() / 100
    assert "scenarios/no-block.yaml" in applied.input_hashes
    assert client.position_kpis.equals(load_client(northwind).position_kpis), "the loaded client is not modified"


def test_save_refuses_a_bad_name_and_writes_nothing(northwind):
    client = load_client(northwind)
    with pytest.raises(ScenarioError):
        save_scenario(client, Scenario(name=""), "Bad Name")
    assert not (northwind / "scenarios").exists()


def test_an_empty_scenario_changes_nothing(northwind):
    client = load_client(northwind)
    save_scenario(client, ExplorerModel(client), "as-is")
    applied = apply_scenario(client, "as-is")
    assert compute_bonuses(applied).pool() == compute_bonuses(client).pool()


def test_a_scenario_file_round_trips_through_its_text(northwind):
    client = load_client(northwind)
    scenario = Scenario(name="mix", positions={
        "key-account-manager": {"kpis": {"key_account_revenue": {"curve": None, "threshold": 0.75}},
                                "fund_scale": 1.2},
        "production-foreman": {"stop_factors": {"quality_claims": False}}})
    again = read_scenario(scenario_yaml(client, scenario), "mix")
    assert again.positions == scenario.positions


def test_list_scenarios_ignores_files_that_are_not_scenarios(northwind):
    client = load_client(northwind)
    write(northwind, "b-plan", "positions: {}\n")
    write(northwind, "a-plan", "positions: {}\n")
    (northwind / "scenarios" / "Notes.yaml").write_text("x: 1\n")
    (northwind / "scenarios" / "readme.txt").write_text("x\n")
    assert list_scenarios(client) == ["a-plan", "b-plan"]


def test_fund_scale_multiplies_the_funds_given_per_employee():
    client = one_employee([{"kpi_id": "k", "weight": 1, "plan": 100, "fact": 100}], fund=1000)
    scenario = Scenario(name="more", positions={"pos": {"fund_scale": 1.5}})
    assert compute_bonuses(apply_scenario(client, scenario)).pool() == 1500.0


# --- scenarios that no longer fit ------------------------------------------------------------------------

MISFIT = """\
# a scenario written for an older version of the scheme
name: stale
positions:
  sales-manager:
    kpis:
      revenue:
        weight: 0.7
      retired_kpi:
        weight: 0.1
      cash_collection:
        threshold: 85
  receptionist:
    variable_share: 0.2
  key-account-manager:
    kpis:
      key_account_revenue:
        curve: bonus_curve
        colour: red
      gross_margin:
        weight: 0.5
  head-of-sales:
    stop_factors:
      absenteeism: off
"""


def test_a_misfit_lists_every_problem_with_file_line_and_entry(northwind):
    client = load_client(northwind)
    write(northwind, "stale", MISFIT)
    with pytest.raises(ScenarioError) as err:
        apply_scenario(client, "stale")
    problems = {p.column: p for p in err.value.problems}
    assert all(p.table == "scenarios/stale.yaml" for p in problems.values())
    expected_lines = {
        "positions.sales-manager.kpis.retired_kpi": 8,
        "positions.sales-manager.kpis.cash_collection.threshold": 11,
        "positions.receptionist": 12,
        "positions.key-account-manager.kpis.key_account_revenue.curve": 17,
        "positions.key-account-manager.kpis.key_account_revenue.colour": 18,
        "positions.head-of-sales.stop_factors.absenteeism": 23,
        "positions.sales-manager.kpis": 5,
        "positions.key-account-manager.kpis": 15,
    }
    assert {c: p.row for c, p in problems.items()} == expected_lines
    assert "not in kpis.csv (removed?)" in problems["positions.sales-manager.kpis.retired_kpi"].message
    assert "looks like a percentage" in problems["positions.sales-manager.kpis.cash_collection.threshold"].message
    assert "position 'receptionist' is not in positions.csv" in problems["positions.receptionist"].message
    assert "unknown payout curve 'bonus_curve'" in problems[
        "positions.key-account-manager.kpis.key_account_revenue.curve"].message
    assert "sum to 1.2" in problems["positions.sales-manager.kpis"].message
    assert "must sum to 1" in problems["positions.key-account-manager.kpis"].message
    assert all(p.fix for p in problems.values())
    assert "scenarios/stale.yaml, row 8, column 'positions.sales-manager.kpis.retired_kpi'" in str(err.value)


def test_a_kpi_of_another_position_is_a_misfit(northwind):
    client = load_client(northwind)
    problems = scenario_problems(client, Scenario(name="x", positions={
        "sales-manager": {"kpis": {"output": {"threshold": 0.5}}}}))
    assert len(problems) == 1
    assert "not a KPI of position 'sales-manager'" in problems[0].message
    assert "revenue, cash_collection, client_meetings" in problems[0].fix


def test_cap_below_threshold_after_applying(northwind):
    client = load_client(northwind)
    problems = scenario_problems(client, Scenario(name="x", positions={
        "sales-manager": {"kpis": {"revenue": {"threshold": 1.6}}}}))
    assert [p.column for p in problems] == ["positions.sales-manager.kpis.revenue.cap"]


@pytest.mark.parametrize("text, line, message", [
    ("positions:\n  sales-manager: [\n", 3, "not valid YAML"),
    ("positions: !!python/object:os.system {}\n", 1, "not valid YAML"),
    ("- a list\n", 1, "expected a map"),
    ("positions: 3\n", 1, "expected position ids"),
    ("name: x\nweights: {}\n", 2, "unknown entry 'weights'"),
])
def test_a_broken_file_is_reported_with_its_line(northwind, text, line, message):
    client = load_client(northwind)
    write(northwind, "broken", text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(client, "broken")
    problem = err.value.problems[0]
    assert problem.table == "scenarios/broken.yaml"
    assert problem.row == line
    assert message in problem.message


def test_a_missing_scenario_names_the_saved_ones(northwind):
    client = load_client(northwind)
    write(northwind, "pilot", "positions: {}\n")
    with pytest.raises(ScenarioError) as err:
        apply_scenario(client, "final")
    assert "scenario 'final' not found" in err.value.problems[0].message
    assert "pilot" in err.value.problems[0].fix


# --- save -> calc round trip ------------------------------------------------------------------------------

def totals_csv(out: Path, scenario: str | None = None) -> pd.DataFrame:
    folder = out / "northwind" / "2026-09"
    if scenario:
        folder = folder / "scenarios" / scenario
    return pd.read_csv(folder / "results" / "bonus_totals.csv", dtype=str).set_index("employee_id")


def test_save_then_calc_uses_the_scenario(northwind, tmp_path, capsys):
    client = load_client(northwind)
    model = ExplorerModel(client, position="sales-manager")
    model.set_weight("revenue", 0.6)
    model.set_stop_threshold("cash_collection", None)
    model.select("head-of-sales")
    model.set_stop_factor("staff_turnover > 0.1", False)
    save_scenario(client, model, "workshop-1")
    out = tmp_path / "reports"

    assert cli.main(["calc", str(northwind), "--out", str(out)]) == 0
    assert cli.main(["calc", str(northwind), "--out", str(out), "--scenario", "workshop-1"]) == 0
    base, scenario = totals_csv(out), totals_csv(out, "workshop-1")

    # The engine on the changed settings, written here by hand rather than through the scenario code.
    pk = client.position_kpis.copy()
    sm = pk["position_id"] == "sales-manager"
    pk.loc[sm, "weight"] = pk.loc[sm, "kpi_id"].map({"revenue": 0.6, "cash_collection": 0.24, "client_meetings": 0.16})
    pk.loc[sm & (pk["kpi_id"] == "cash_collection"), "stop_threshold"] = np.nan
    rules = client.stop_factors[client.stop_factors["position_id"] != "head-of-sales"]
    expected = compute_bonuses(client.with_tables(position_kpis=pk, stop_factors=rules), "2026-09").totals
    expected = dict(zip(expected["employee_id"].astype(str), expected["bonus"]))

    changed = set(base.index[base["bonus"] != scenario["bonus"]])
    assert changed, "the scenario must change some bonuses"
    assert changed <= set(base.index[base["position_id"].isin(["sales-manager", "head-of-sales"])])
    for employee, row in scenario.iterrows():
        assert Decimal(row["bonus"]) == Decimal(f"{expected[employee]:.2f}"), employee
    manifest = (out / "northwind" / "2026-09" / "scenarios" / "workshop-1" / "results" / "manifest.json").read_text()
    assert '"scenario": "workshop-1"' in manifest and "scenarios/workshop-1.yaml" in manifest


def test_calc_with_a_misfit_scenario_reports_it_and_writes_nothing(northwind, tmp_path, capsys):
    write(northwind, "stale", MISFIT)
    out = tmp_path / "reports"
    assert cli.main(["calc", str(northwind), "--out", str(out), "--scenario", "stale"]) == 1
    err = capsys.readouterr().err
    assert "scenarios/stale.yaml, row 8" in err
    assert not out.exists() or not any(out.rglob("bonus_totals.csv"))


# --- hostile files (issue 7) -----------------------------------------------------------------------

LAUGHS = "".join(f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]\n"
                 for p, c in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("text, line, message", [
    ("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + LAUGHS, 5,
     "stand for more than 100,000 values"),
    ("positions: &p\n  again: *p\n", 1, "refers to the list or map that holds it"),
])
def test_a_scenario_that_expands_without_bound_is_refused(northwind, text, line, message):
    client = load_client(northwind)
    write(northwind, "laughs", text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(client, "laughs")
    (problem,) = err.value.problems
    assert (problem.table, problem.row) == ("scenarios/laughs.yaml", line)
    assert message in problem.message and problem.fix


def test_a_scenario_linked_out_of_the_client_folder_is_refused(northwind, tmp_path):
    client = load_client(northwind)
    secret = tmp_path / "secret.yaml"
    secret.write_text("positions: {}\nname: SECRET-TEXT\n", encoding="utf-8")
    (northwind / "scenarios").mkdir(exist_ok=True)
    (northwind / "scenarios" / "linked.yaml").symlink_to(secret)
    with pytest.raises(ScenarioError) as err:
        load_scenario(client, "linked")
    (problem,) = err.value.problems
    assert "'scenarios/linked.yaml' is a symbolic link to a file outside" in problem.message
    assert "SECRET" not in str(err.value) and str(secret) not in str(err.value)
