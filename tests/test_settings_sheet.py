"""The workbook's ``client`` sheet: nested keys, and its merge with client.yaml (SPEC §4)."""
from __future__ import annotations

import pytest

from kpi_toolkit.errors import ClientDataError
from kpi_toolkit.inputs.loading import load_client, read_client
from kpi_toolkit.inputs.raw import RawSettings
from kpi_toolkit.inputs.settings_sheet import merge_settings, sheet_settings

SHEET = "client.xlsx [client]"
REQUIRED = [["name", "Minimal Trading"], ["language", "en"], ["currency", "EUR"], ["period", "2024-03"]]
CURVES = """\
payout_curves:
  sales_curve:
    type: linear
    points: [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]]
"""


def workbook_client(client_copy, make_fixtures, rows: list[list[str]], yaml_text: str | None = None,
                    edit=None):
    """valid_minimal with its tables and ``rows`` (key, value) on the client sheet of client.xlsx,
    and ``yaml_text`` as client.yaml (none when None); ``edit(folder)`` edits the CSV tables first."""
    folder = client_copy()
    if edit is not None:
        edit(folder)
    tables = {f.stem: make_fixtures.read_csv(f) for f in sorted(folder.glob("*.csv"))}
    for file in folder.glob("*.csv"):
        file.unlink()
    tables["client"] = [["key", "value"], *rows]
    make_fixtures.write_xlsx(folder / "client.xlsx", tables)
    if yaml_text is None:
        (folder / "client.yaml").unlink()
    else:
        (folder / "client.yaml").write_text(yaml_text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- the sheet alone


def test_dotted_keys_nest_and_numbered_entries_make_lists():
    settings, problems = sheet_settings([
        (2, "name", "Acme"), (3, "contacts.2.name", "Bob"), (4, "contacts.1.name", "Ann"),
        (5, "contacts.1.email", "ann@example.com"), (6, "questionnaire.activity", "Trade"),
        (7, "questionnaire.headcount", 120), (8, "bonus_budget", None), (9, "payroll.skip_zero", True)], SHEET)
    assert problems == []
    assert settings.values == {
        "name": "Acme", "contacts": [{"name": "Ann", "email": "ann@example.com"}, {"name": "Bob"}],
        "questionnaire": {"activity": "Trade", "headcount": 120}, "payroll": {"skip_zero": True}}
    assert settings.place("contacts[0].email") == (SHEET, 5)
    assert settings.place("contacts[1].name") == (SHEET, 3)
    assert settings.place("questionnaire.headcount") == (SHEET, 7)
    assert settings.place("bonus_budget") == (SHEET, 8)  # an empty row still locates "missing"


@pytest.mark.parametrize("rows, row, severity, fragment", [
    ([(2, "questionnaire..activity", "x")], 2, "warning",
     "is not a setting's name and its value is ignored; expected names joined by dots"),
    ([(2, "contacts.0.name", "x")], 2, "warning", "numbers a list entry 0 and its value is ignored; expected entries "
                                                  "numbered from 1"),
    ([(2, "1.name", "x")], 2, "warning", "is not a setting's name"),
    ([(2, "questionnaire activity", "x")], 2, "warning", "is not a setting's name"),
    ([(2, "name", "a"), (3, "name", "b")], 3, "error", "key 'name' appears twice (first in row 2)"),
    ([(2, "branding", "x"), (3, "branding.colour", "#1F4E79")], 3, "error",
     "key 'branding.colour' does not fit key 'branding' (first in row 2): one names a value"),
    ([(2, "branding.colour", "#1F4E79"), (3, "branding", "x")], 3, "error",
     "key 'branding' does not fit key 'branding.…'"),
])
def test_bad_keys_are_reported_at_their_row(rows, row, severity, fragment):
    _, problems = sheet_settings(rows, SHEET)
    (problem,) = problems
    assert (problem.table, problem.row, problem.column, problem.severity) == (SHEET, row, "key", severity)
    assert fragment in problem.message and problem.fix


def test_a_note_without_a_value_in_the_key_column_is_no_problem():
    settings, problems = sheet_settings([(2, "Notes: ask HR", None), (3, "name", "Acme")], SHEET)
    assert (settings.values, problems) == ({"name": "Acme"}, [])


# --------------------------------------------------------------------------- merged with client.yaml


def test_sections_are_joined_and_every_path_keeps_its_place():
    sheet = RawSettings(SHEET, {"questionnaire": {"headcount": 120}}, {"questionnaire": 5, "questionnaire.headcount": 5})
    yaml = RawSettings("client.yaml", {"questionnaire": {"activity": "Trade"}, "bonus_budget": 10},
                       {"questionnaire": 2, "questionnaire.activity": 3, "bonus_budget": 4})
    merged, problems = merge_settings(sheet, yaml)
    assert problems == []
    assert merged.values == {"questionnaire": {"headcount": 120, "activity": "Trade"}, "bonus_budget": 10}
    assert merged.place("questionnaire.headcount") == (SHEET, 5)
    assert merged.place("questionnaire.activity") == ("client.yaml", 3)
    assert merged.place("bonus_budget") == ("client.yaml", 4)


def test_a_client_yaml_of_comments_only_adds_nothing():
    sheet = RawSettings(SHEET, {"name": "Acme"}, {"name": 2})
    merged, problems = merge_settings(sheet, RawSettings("client.yaml", None))
    assert (merged.values, problems, merged.place("name")) == ({"name": "Acme"}, [], (SHEET, 2))


@pytest.mark.parametrize("sheet_rows, yaml_text, column, row, line", [
    ([["bonus_budget", "6000"]], "bonus_budget: 7000\n", "bonus_budget", 6, 1),
    ([["questionnaire.activity", "Trade"]], "questionnaire:\n  headcount: 5\n  activity: Retail\n",
     "questionnaire.activity", 6, 3),
    ([["contacts.1.name", "Ann"]], "contacts:\n  - {name: Bob}\n", "contacts", 6, 1),
])
def test_the_same_key_in_the_sheet_and_in_client_yaml_is_an_error_naming_both(
        client_copy, make_fixtures, sheet_rows, yaml_text, column, row, line):
    folder = workbook_client(client_copy, make_fixtures, REQUIRED + sheet_rows, CURVES + yaml_text)
    with pytest.raises(ClientDataError) as caught:
        load_client(folder)
    (problem,) = caught.value.problems
    assert (problem.table, problem.row, problem.column) == (SHEET, row, column)
    assert f"'{column}' is set twice: on the client sheet" in problem.message
    assert f"and in client.yaml line {line + CURVES.count(chr(10))}" in problem.message
    assert "expected each setting in one place" in problem.message
    assert problem.fix == (f"keep one: clear the value in row {row} of the client sheet, or delete "
                           f"'{column}' from client.yaml")


def test_the_client_sheet_is_read_beside_client_yaml(client_copy, make_fixtures):
    """Before, a client.yaml made the sheet silently ignored: name and budget were dropped."""
    rows = REQUIRED + [["bonus_budget", "6000"], ["questionnaire.activity", "Wholesale"],
                       ["readiness.kpis_computable", "partly"], ["contacts.1.name", "Jane Smith"],
                       ["contacts.1.email", "jane@example.com"], ["strategy_owner", "head-of-sales"]]
    folder = workbook_client(client_copy, make_fixtures, rows,
                             CURVES + "questionnaire:\n  headcount: 5\nproject_thresholds: {green: 0.9, amber: 0.8}\n",
                             edit=lambda f: _head_on(make_fixtures, f))
    data, problems = read_client(folder)
    assert [p for p in problems if p.severity == "error"] == []
    config = data.config
    assert (config.name, config.bonus_budget, config.period) == ("Minimal Trading", 6000, "2024-03")
    assert config.questionnaire == {"activity": "Wholesale", "headcount": 5}
    assert config.readiness == {"kpis_computable": "partly"}
    assert config.contacts == ({"name": "Jane Smith", "email": "jane@example.com"},)
    assert config.strategy_owner == "head-of-sales"
    assert "sales_curve" in config.payout_curves and config.project_thresholds == {"green": 0.9, "amber": 0.8}
    assert data.sources["client"] == f"{SHEET} + client.yaml"
    assert set(data.input_hashes) == {"client.xlsx", "client.yaml"}


def _head_on(make_fixtures, folder):
    """Every position gives its KPI weights head-on, so that any position may own the strategy map."""
    make_fixtures.add_column(folder, "positions.csv", "method", {2: "head_on", 3: "head_on", 4: "head_on"})


def test_problems_of_merged_settings_name_where_each_key_was_written(client_copy, make_fixtures):
    rows = REQUIRED + [["readiness.kpis_computable", "maybe"]]
    folder = workbook_client(client_copy, make_fixtures, rows, CURVES + "currency_decimals: 9\n")
    problems = {(p.table, p.row, p.column) for p in read_client(folder)[1] if p.severity == "error"}
    assert problems == {(SHEET, 6, "readiness.kpis_computable"), ("client.yaml", 5, "currency_decimals")}


def test_an_unknown_strategy_owner_on_the_sheet_is_located_there(client_copy, make_fixtures):
    folder = workbook_client(client_copy, make_fixtures, REQUIRED + [["strategy_owner", "nobody"]], CURVES)
    (problem,) = [p for p in read_client(folder)[1] if p.severity == "error"]
    assert (problem.table, problem.row, problem.column) == (SHEET, 6, "strategy_owner")
    assert "strategy_owner 'nobody' is not a position of client.xlsx [positions]" in problem.message


def test_a_required_key_missing_from_both_says_where_it_may_go(client_copy, make_fixtures):
    folder = workbook_client(client_copy, make_fixtures, REQUIRED[:3] + [["period", ""]], CURVES)
    (problem,) = [p for p in read_client(folder)[1] if p.severity == "error"]
    assert (problem.table, problem.row, problem.column) == (SHEET, 5, "period")
    assert problem.message == "required key 'period' is missing"
    assert "fill in the value of 'period' on the client sheet or add 'period: ...' to client.yaml" in problem.fix


def test_unknown_keys_on_the_sheet_are_warned_about_with_the_nearest_key(client_copy, make_fixtures):
    rows = REQUIRED + [["questionnaire.main_activity", "Trade"], ["bonus_buget", "6000"],
                       ["contacts.1.mail", "jane@example.com"]]
    folder = workbook_client(client_copy, make_fixtures, rows, CURVES)
    data = load_client(folder)
    found = {(w.table, w.row, w.column): w.message for w in data.warnings}
    assert found[(SHEET, 6, "questionnaire.main_activity")].startswith(
        "'main_activity' is not a questionnaire key; did you mean 'activity'?")
    assert found[(SHEET, 7, "bonus_buget")].startswith("'bonus_buget' is not a settings key; did you mean "
                                                       "'bonus_budget'?")
    assert found[(SHEET, 8, "contacts[0].mail")].startswith("'mail' is not a contact key; did you mean 'email'?")
    assert len(found) == 3
