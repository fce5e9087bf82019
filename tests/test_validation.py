"""Validation: every fault fixture is reported with its file, row, column and a clear message."""
from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from kpi_toolkit.errors import ClientDataError, Problem
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.inputs.cells import CellError, parse_number
from kpi_toolkit.inputs.loading import validate_client
from kpi_toolkit.inputs.validation import format_problems

from conftest import CLIENTS

# fault folder, file display name, row, column, message fragment
FAULTS = [
    ("missing_file", "employees.csv", None, None, "required file 'employees.csv' is missing"),
    ("missing_column", "positions.csv", 1, "department", "required column 'department' is missing"),
    ("bad_number", "employees.csv", 2, "base_salary", "'2OOO' is not a number"),
    ("decimal_comma_in_csv", "actuals.csv", 3, None, "6 cells but the header has 5"),
    ("bad_enum", "kpis.csv", 2, "direction", "'up' is not an allowed code; expected one of: higher, lower, band"),
    ("bad_date", "employees.csv", 2, "start_date", "'10.01.2022' is not a date; expected YYYY-MM-DD"),
    ("bad_actuals_period", "actuals.csv", 4, "period", "'2024/02' is not a period; expected YYYY-MM"),
    ("negative_salary", "employees.csv", 3, "base_salary", "base_salary is -1800; expected >= 0"),
    ("empty_required_cell", "positions.csv", 3, "name", "empty cell"),
    ("duplicate_employee", "employees.csv", 7, "employee_id", "duplicate employee_id 'E001': already in row 2"),
    ("duplicate_actual", "actuals.csv", 27, "period, employee_id, kpi_id", "already in row 16"),
    ("unknown_kpi_in_position", "position_kpis.csv", 3, "kpi_id", "unknown kpi_id 'RETX'"),
    ("unknown_employee_in_actuals", "actuals.csv", 5, "employee_id", "unknown employee_id 'E009'"),
    ("bad_stop_condition", "stop_factors.csv", 2, "condition", "'=>' is not an allowed code"),
    ("project_negative", "project.csv", 3, "ac", "ac is -21000; expected >= 0"),
    ("project_duplicate_period", "project.csv", 3, "period", "duplicate period '2024-02'"),
    ("goal_cycle", "goals.csv", 5, "parent_id", "'G2', 'G4' form a cycle"),
    ("goal_inconsistent", "goals.csv", 6, "perspective", "goal 'G4' has perspective 'customers' here but 'processes' in row 5"),
    ("root_weights_not_one", "goals.csv", 2, "root_weight", "root weights sum to 0.8"),
    ("band_without_limits", "kpis.csv", 5, "band_high", "band KPI 'STK' has no band_high"),
    ("band_low_above_high", "kpis.csv", 5, "band_low", "band_low 25 is above band_high 20"),
    ("weights_not_one", "position_kpis.csv", 2, "weight", "weights of position 'sales-manager' sum to 1.15"),
    ("threshold_as_percent", "position_kpis.csv", 2, "threshold", "looks like a percentage"),
    ("cap_below_threshold", "position_kpis.csv", 3, "cap", "cap 0.6 is below threshold 0.7"),
    ("unknown_curve", "position_kpis.csv", 2, "curve", "unknown payout curve 'sales_curv'"),
    ("position_without_kpis", "positions.csv", 5, "position_id", "position 'accountant' has 1 employee(s)"),
    ("map_weight_given", "position_kpis.csv", 7, "weight",
     "weight 0.6 is given for KPI 'REV' of position 'head-of-sales', whose weights come from the strategy map "
     "(method map"),
    ("map_kpi_not_candidate", "position_kpis.csv", 9, "kpi_id",
     "KPI 'TRN' is not one of the KPIs of the goals position 'head-of-sales' owns (method map; its candidates: "
     "RET, REV)"),
    ("map_kept_kpi_without_row", "position_kpis.csv", None, "kpi_id",
     "position 'head-of-sales' (method map) has no row for KPI 'RET', which its goals give weight 0.3333"),
    ("map_method_without_goals", "positions.csv", 4, "method",
     "position 'head-of-sales' uses the method map, but it owns no goal of the strategy map"),
    ("head_on_weight_empty", "position_kpis.csv", 4, "weight",
     "KPI 'ORD' of position 'warehouse-lead' has no weight; position 'warehouse-lead' uses the head_on method"),
    ("no_fund", "employees.csv", 4, "bonus_fund", "neither a bonus_fund nor a base_salary"),
    ("fund_beyond_money_limit", "employees.csv", 4, "bonus_fund",
     "bonus_fund is 123456789012345.67; expected at most 45,035,996,273,704.95 EUR"),
    ("start_after_end", "employees.csv", 3, "end_date", "end_date 2023-01-01 is before start_date 2023-05-01"),
    ("plan_zero", "actuals.csv", 13, "plan", "plan of 0 for KPI 'REV'"),
    ("plan_empty", "actuals.csv", 15, "plan", "plan is empty for KPI 'REV'"),
    ("missing_fact_error_policy", "actuals.csv", 13, "fact", "fact is missing for KPI 'REV' of employee 'E001'"),
    ("missing_actuals_row", "employees.csv", 2, "employee_id", "no row in actuals.csv for KPI 'RET'"),
    ("lower_fact_zero_no_cap", "actuals.csv", 17, "fact", "expected a cap or a baseline"),
    ("no_actuals_for_period", "actuals.csv", None, "period", "no rows for period '2024-04'"),
    ("yaml_malformed", "client.yaml", 5, None, "not valid YAML"),
    ("yaml_unsafe_tag", "client.yaml", 2, "name", "tags are not allowed"),
    ("bad_currency", "client.yaml", 4, "currency", "'XYZ' is not an ISO 4217 currency code"),
    ("bad_language", "client.yaml", 3, "language", "'de' is not a supported language"),
    ("bad_period", "client.yaml", 5, "period", "'2024-13' is not a period"),
    ("missing_required_key", "client.yaml", None, "currency", "required key 'currency' is missing"),
    ("curve_not_increasing", "client.yaml", 14, "payout_curves.sales_curve.points[2]", "does not increase"),
    ("bad_colour", "client.yaml", 9, "branding.colour", "colour 'red' is not #RRGGBB"),
    ("strategy_method_given", "client.yaml", 8, "strategy_method",
     "'strategy_method: head_on' is no longer read: the method of setting KPI weights is chosen per position "
     "(positions.method, goals.owner)"),
    ("strategy_owner_unknown", "client.yaml", 8, "strategy_owner",
     "strategy_owner 'ceo' is not a position of positions.csv"),
    ("xlsx_and_csv", "client.xlsx", None, None, "both client.xlsx and CSV files"),
    ("xlsx_formula_without_value", "client.xlsx [actuals]", 23, "fact",
     "cell E23 holds the formula '=0.1+0.02' but no saved value"),
    ("ods_formula_without_value", "client.ods [actuals]", 23, "fact",
     "cell E23 holds the formula '=0.1+0.02' but no saved value"),
    ("ods_and_csv", "client.ods", None, None, "both client.ods and CSV files"),
    ("binary_csv", "actuals.csv", None, None, "not a text (CSV) file: it holds a PNG image"),
    ("yaml_billion_laughs", "client.yaml", 13, None, "stand for more than 100,000 values"),
    ("yaml_recursive_alias", "client.yaml", 8, None, "refers to the list or map that holds it"),
    ("team_kpi_own_row", "actuals.csv", 32, "kpi_id", "a row of team KPI 'TREV' for employee 'H01' in 2024-03: "
     "its plan and fact are the sum of 'REV' over the employees reporting to them (rule: a team KPI has no rows"),
    ("team_kpi_without_over", "kpis.csv", 3, "aggregate_over", "team KPI 'TREV' (aggregate sum) does not say whose"),
    ("team_kpi_aggregate_of_unknown", "kpis.csv", 3, "aggregate_of", "unknown kpi_id 'REVENUE'"),
    ("team_kpi_cycle", "kpis.csv", 2, "aggregate_of", "team KPIs 'REV', 'TREV' aggregate each other in a cycle"),
    ("team_kpi_bad_code", "kpis.csv", 3, "aggregate_over", "'team' is not an allowed code; expected one of: "
     "reports, department"),
    ("team_kpi_empty_team", "employees.csv", 2, "employee_id", "employee 'H01' is paid on team KPI 'TREV' but has "
     "no team in 2024-03: no employee of department 'Sales (Msk)' in a position reporting to 'head-of-sales'"),
    ("reports_to_unknown", "positions.csv", 3, "reports_to", "unknown position_id 'head-of-sale'"),
    ("reports_to_cycle", "positions.csv", 2, "reports_to", "positions 'head-of-sales', 'sales-manager' report to "
     "each other in a cycle"),
]


def _located(problems: list[Problem], table, row, column) -> list[Problem]:
    return [p for p in problems if (p.table, p.row, p.column) == (table, row, column)]


@pytest.mark.parametrize("folder, table, row, column, fragment", FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_is_reported_where_it_is(folder, table, row, column, fragment):
    with pytest.raises(ClientDataError) as caught:
        load_client(CLIENTS / folder)
    found = _located(caught.value.problems, table, row, column)
    assert found, "\n".join(map(str, caught.value.problems))
    assert any(fragment in p.message for p in found), "\n".join(map(str, found))
    assert all(p.fix for p in found)
    assert caught.value.client == folder


@pytest.mark.parametrize("folder", [f[0] for f in FAULTS])
def test_one_fault_one_error(folder):
    """No cascades: a folder with one fault reports one error."""
    errors = [p for p in validate_client(CLIENTS / folder) if p.severity == "error"]
    assert len(errors) == 1, "\n".join(map(str, errors))


def test_every_fault_folder_is_tested():
    folders = {p.name for p in CLIENTS.iterdir() if p.is_dir()} - {"valid_minimal", "valid_without_map",
                                                                 "regional_sales_offices"}
    assert folders == {f[0] for f in FAULTS}
    assert len(folders) >= 28


def test_valid_minimal_has_no_problems():
    assert validate_client(CLIENTS / "valid_minimal") == []


def test_a_client_without_a_strategy_map_validates():
    """An empty goals table and every position head-on: the seeds' method 2."""
    assert validate_client(CLIENTS / "valid_without_map") == []


def test_three_faults_are_reported_at_once(client_copy, make_fixtures):
    folder = client_copy()
    for fault in ("bad_number", "weights_not_one", "bad_currency"):
        make_fixtures.FAULTS[fault](folder)
    with pytest.raises(ClientDataError) as caught:
        load_client(folder)
    problems = caught.value.problems
    assert _located(problems, "employees.csv", 2, "base_salary")
    assert _located(problems, "position_kpis.csv", 2, "weight")
    assert _located(problems, "client.yaml", 4, "currency")
    assert len(problems) == 3


def test_fixtures_are_in_sync_with_the_generator(tmp_path, make_fixtures):
    make_fixtures.main(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(CLIENTS) for p in CLIENTS.rglob("*") if p.is_file())
    assert fresh == committed
    texts = [p for p in fresh if p.suffix != ".xlsx"]
    _, mismatch, errors = filecmp.cmpfiles(tmp_path, CLIENTS, [str(p) for p in texts], shallow=False)
    assert not mismatch and not errors, "run: python tests/fixtures/make_fixtures.py"


def test_warnings_do_not_block(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_period_months: 1", "bonus_period_months: 6")
    for row in range(2, 6):  # the data holds two of the six months: the others are left out, not errors
        make_fixtures.set_cell(folder, "kpis.csv", row, "missing", "exclude")
    make_fixtures.set_cell(folder, "employees.csv", 3, "end_date", "2023-09-30")  # before October-March
    data = load_client(folder)
    rules = {(p.table, p.column, p.rule) for p in data.warnings}
    assert ("client.yaml", "bonus_period_months", "bonus-period") in rules
    left = [p for p in data.warnings if p.column == "end_date"]
    assert left and "no bonus" in left[0].message and left[0].row == 3


def test_format_problems_lists_errors_first_then_warnings():
    problems = [
        Problem("client.yaml", "a long period", severity="warning", rule="bonus-period"),
        Problem("employees.csv", "'abc' is not a number", "write digits", row=4, column="base_salary"),
    ]
    text = format_problems(problems)
    assert text.index("1 error(s)") < text.index("1 warning(s)")
    assert "  1. employees.csv, row 4, column 'base_salary': 'abc' is not a number. Fix: write digits" in text
    assert "  2. client.yaml: a long period [bonus-period]" in text
    assert format_problems([]) == "No problems found."


def test_validate_client_on_a_missing_folder(tmp_path):
    problems = validate_client(tmp_path / "nope")
    assert len(problems) == 1 and "not found" in problems[0].message


@pytest.mark.parametrize("text, decimal_comma, expected", [
    ("12", False, 12.0),
    ("-0.5", False, -0.5),
    ("1,234.56", False, 1234.56),
    ("1 234", False, 1234.0),
    ("1 234,56", True, 1234.56),
    ("1\u00a0234\u00a0567,5", True, 1234567.5),
    ("1\u202f234,5", True, 1234.5),
    ("1.234,56", True, 1234.56),
    ("0.9", True, 0.9),
    ("0,9", True, 0.9),
    ("1e3", False, 1000.0),
    ("1,234,567.5", False, 1234567.5),
    ("-1 234,5", True, -1234.5),
    (7, False, 7.0),
])
def test_parse_number(text, decimal_comma, expected):
    assert parse_number(text, decimal_comma) == pytest.approx(expected)


@pytest.mark.parametrize("text, decimal_comma, fragment", [
    ("12,5", False, "decimal comma"),
    ("1,234", False, "ambiguous"),
    ("abc", False, "not a number"),
    ("90%", False, "write 0.9 for 90%"),
    ("12 34", True, "ambiguous"),
    ("1,2,3", True, "not a number"),
    ("nan", False, "not a number"),
    ("1e309", False, "too large"),
    ("1.234", True, "ambiguous"),
    ("1.234.567", True, "not a number"),
    ("", False, "not a number"),
])
def test_parse_number_refuses_to_guess(text, decimal_comma, fragment):
    with pytest.raises(CellError) as caught:
        parse_number(text, decimal_comma)
    assert fragment in caught.value.message + " " + caught.value.fix


# --------------------------------------------------------------------------- methodology

DEMO_CLIENTS = Path(__file__).parents[1] / "clients"


@pytest.mark.parametrize("client", ["northwind", "sever-trade"])
def test_demo_clients_get_the_kpi_selection_warnings(client):
    problems = validate_client(DEMO_CLIENTS / client)
    assert not [p for p in problems if p.severity == "error"], format_problems(problems)
    data_source = [p for p in problems if p.rule == "data-source"]
    assert data_source
    assert all((p.severity, p.table, p.column) == ("warning", "kpis.csv", "data_source") and p.row
               for p in data_source)


def test_kpi_selection_rules_are_warnings_naming_their_rule(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_cell(folder, "kpis.csv", 2, "data_source", "")  # REV
    make_fixtures.set_cell(folder, "positions.csv", 2, "level", "head")  # 2 KPIs, a head needs 3
    for row, weight in ((4, "0.65"), (6, "0.05")):  # warehouse-lead: ORD 0.65, STK 0.3, TRN 0.05
        make_fixtures.set_cell(folder, "position_kpis.csv", row, "weight", weight)
    data = load_client(folder)
    assert {(p.table, p.row, p.column, p.rule) for p in data.warnings} == {
        ("positions.csv", 2, "position_id", "kpi-count"),
        ("position_kpis.csv", 6, "weight", "weight-min"),
        ("kpis.csv", 2, "data_source", "data-source"),
    }
    assert all(p.severity == "warning" for p in data.warnings)


def test_a_bad_cell_is_not_reported_again_as_a_methodology_warning(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_cell(folder, "position_kpis.csv", 6, "weight", "0,05")
    problems = validate_client(folder)
    assert [(p.table, p.row, p.column) for p in problems] == [("position_kpis.csv", 6, "weight")]


def test_a_map_position_takes_its_weights_from_the_goals_it_owns(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.head_of_sales_on_the_map(folder)
    data = load_client(folder)
    assert [(p.rule, p.row) for p in data.warnings] == [("kpi-count", 4)]  # 2 KPIs, a head needs 3
    rows = data.position_kpis[data.position_kpis["position_id"] == "head-of-sales"]
    assert dict(zip(rows["kpi_id"], rows["weight"])) == {"REV": 2 / 3, "RET": 1 / 3}


def test_a_dropped_kpi_with_a_row_is_warned_about_and_not_paid_on(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.head_of_sales_on_the_map(folder)
    make_fixtures.set_cell(folder, "goals.csv", 4, "strength", "0.1")  # G3: 0.1 / 2.1 of the root
    data = load_client(folder)
    (warning,) = [p for p in data.warnings if p.rule == "weight-min"]
    # the rules count the KPIs paid on: one is left
    assert any(p.rule == "kpi-count" and "has 1 KPIs" in p.message for p in data.warnings)
    assert (warning.table, warning.row, warning.column, warning.rule) == ("position_kpis.csv", 8, "kpi_id",
                                                                          "weight-min")
    assert "KPI 'RET' of position 'head-of-sales' weighs 0.0476" in warning.message
    assert "dropped and not paid on" in warning.message
    rows = data.position_kpis[data.position_kpis["position_id"] == "head-of-sales"]
    assert dict(zip(rows["kpi_id"], rows["weight"])) == {"REV": 1.0}


def test_map_weights_in_a_head_on_clients_data_need_no_goals(client_copy):
    """valid_minimal has goals but no owner and no CEO: every position is head-on."""
    data = load_client(client_copy())
    sm = data.position_kpis[data.position_kpis["position_id"] == "sales-manager"]
    assert sm["weight"].tolist() == [0.6, 0.4]


FUNNEL = """bonus_budget: 6000
funnel:
  revenue_plan: 1200000
  average_deal: 12000
  sales_managers: 4
  stages:
    - {stage: contracts, conversion: 0.8}
    - {stage: meetings, conversion: 1.5}"""


def test_funnel_problems_point_at_their_line(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", FUNNEL)
    with pytest.raises(ClientDataError) as caught:
        load_client(folder)
    (problem,) = caught.value.problems
    assert (problem.table, problem.row, problem.column) == ("client.yaml", 14, "funnel.stages[1].conversion")
    assert "conversion of stage 'meetings' is 1.5; expected a share" in problem.message and problem.fix
    make_fixtures.set_yaml(folder, "conversion: 1.5", "conversion: 0.5")
    assert load_client(folder).config.funnel["sales_managers"] == 4


def test_a_funnel_without_stages_is_reported_at_the_section(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", FUNNEL.split("\n  stages:")[0])
    (problem,) = validate_client(folder)
    assert (problem.table, problem.row, problem.column, problem.severity) == (
        "client.yaml", 8, "funnel.stages", "error")


def test_readiness_problems_point_at_their_line(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", "bonus_budget: 6000\nreadiness:\n"
                           "  management_involved: yes\n  kpis_computable: maybe\n  goal_tree: 'yes'")
    with pytest.raises(ClientDataError) as caught:
        load_client(folder)
    assert [(p.table, p.row, p.column) for p in caught.value.problems] == [
        ("client.yaml", 10, "readiness.kpis_computable"), ("client.yaml", 11, "readiness.goal_tree")]
    assert "expected yes, partly or no" in caught.value.problems[0].message
    assert "not a readiness condition" in caught.value.problems[1].message


def test_fund_from_variable_share_beyond_money_limit_is_refused(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_cell(folder, "employees.csv", 2, "base_salary", "100000000000")
    make_fixtures.set_cell(folder, "positions.csv", 2, "variable_share", "0.999999")
    errors = [p for p in validate_client(folder) if p.severity == "error"]
    assert [(p.table, p.row, p.column) for p in errors] == [("employees.csv", 2, "base_salary")]
    assert "x variable_share 0.999999 / (1 - 0.999999)" in errors[0].message
    assert "45,035,996,273,704.95 EUR" in errors[0].message


@pytest.mark.parametrize("decimals, fund, refused", [
    (2, "45035996273704.95", False), (2, "45035996273704.96", True),
    (0, "4503599627370495", False), (0, "4503599627370496", True), (3, "4503599627370.5", True)])
def test_money_limit_follows_the_currency_decimals(client_copy, make_fixtures, decimals, fund, refused):
    """2**52 minor units: 45 trillion at 2 decimals, 4.5 quadrillion at 0, 4.5 trillion at 3."""
    folder = client_copy()
    make_fixtures.set_yaml(folder, "currency: EUR", f"currency: EUR\ncurrency_decimals: {decimals}")
    make_fixtures.set_cell(folder, "employees.csv", 4, "bonus_fund", fund)
    errors = [p for p in validate_client(folder) if p.severity == "error"]
    assert [(p.row, p.column) for p in errors] == ([(4, "bonus_fund")] if refused else [])


def test_project_money_beyond_money_limit_is_refused(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_cell(folder, "project.csv", 3, "bac", "1e17")
    errors = [p for p in validate_client(folder) if p.severity == "error"]
    assert [(p.table, p.row, p.column) for p in errors] == [("project.csv", 3, "bac")]


def test_a_quarter_needs_every_months_facts_under_the_error_policy(client_copy, make_fixtures):
    # Period 2024-03 with 3 months is January to March: the fixture has no January rows, and
    # its KPIs treat a missing fact as an error, so every employee at work in January is reported.
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_period_months: 1", "bonus_period_months: 3")
    problems = [p for p in validate_client(folder) if p.severity == "error"]
    assert problems and all("in 2024-01 (a month of the bonus period ending 2024-03)" in p.message
                            for p in problems)
    assert {p.row for p in problems} == {2, 3, 4, 5}  # E005 joined in March


def test_a_rate_summed_over_a_quarter_is_warned_about(client_copy, make_fixtures):
    # RET (retention, %) over three months would be 0.9 + 0.9 + 0.9 = 2.7 planned: say so.
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_period_months: 1", "bonus_period_months: 3")
    warned = [p for p in validate_client(folder) if p.column == "period_aggregation"]
    assert [(p.severity, p.row) for p in warned] == [("warning", 3), ("warning", 7)]  # RET and TOV, in %
    assert "summed over the bonus period" in warned[0].message and "mean" in warned[0].fix


def _add_column(make_fixtures, folder, file, column, values):
    rows = make_fixtures.read_csv(folder / file)
    make_fixtures.write_csv(folder / file, [rows[0] + [column]] + [r + [v] for r, v in zip(rows[1:], values)])


def test_target_percent_and_variable_share_together_are_refused_at_the_row(client_copy, make_fixtures):
    folder = client_copy()
    _add_column(make_fixtures, folder, "positions.csv", "target_percent", ["0.15", "", ""])
    errors = [p for p in validate_client(folder) if p.severity == "error"]
    assert [(p.table, p.row, p.column) for p in errors] == [("positions.csv", 2, "target_percent")]
    assert "both variable_share 0.3 and target_percent 0.15" in errors[0].message
    assert errors[0].fix == "clear one of the two cells"


def test_target_percent_replaces_variable_share_as_the_funds_source(client_copy, make_fixtures):
    folder = client_copy()
    _add_column(make_fixtures, folder, "positions.csv", "target_percent", ["0.15", "", ""])
    make_fixtures.set_cell(folder, "positions.csv", 2, "variable_share", "")
    assert [p for p in validate_client(folder) if p.severity == "error"] == []
    make_fixtures.set_cell(folder, "positions.csv", 2, "target_percent", "2")
    make_fixtures.set_cell(folder, "employees.csv", 2, "base_salary", "30000000000000")
    errors = [p for p in validate_client(folder) if p.severity == "error"]
    assert [(p.table, p.row, p.column) for p in errors] == [("employees.csv", 2, "base_salary")]
    assert "x target_percent 2 of position 'sales-manager', is 60000000000000" in errors[0].message


CURVES_YAML = """payout_curves:
  sales_curve:
    type: step
    basis: value
    label: {en: Sales scale, ru: Шкала продаж}
    points:
      - [620, 0.5]
      - [1997, 1.0]
  accelerator:
    type: linear
    open: true
    points:
      - [0.8, 0.5]
      - [1.0, 1.0]
"""


def _with_curves(folder, text):
    yaml = (folder / "client.yaml").read_text(encoding="utf-8")
    start, end = yaml.index("payout_curves:"), yaml.index("project_thresholds:")
    (folder / "client.yaml").write_text(yaml[:start] + text + yaml[end:], encoding="utf-8")


def test_value_basis_step_and_open_curves_with_labels_are_read(client_copy):
    folder = client_copy()
    _with_curves(folder, CURVES_YAML)
    curves = load_client(folder).config.payout_curves
    sales, acc = curves["sales_curve"], curves["accelerator"]
    assert (sales.kind, sales.basis, sales.open, sales.points) == ("steps", "value", False, ((620, 0.5), (1997, 1.0)))
    assert sales.display_name("ru") == "Шкала продаж"
    assert (acc.kind, acc.basis, acc.open) == ("linear", "attainment", True)


@pytest.mark.parametrize("spec, path, fragment", [
    ("{type: step, open: true, points: [[0.8, 0.5], [1.0, 1.0]]}", "payout_curves.sales_curve.open",
     "open: true needs a linear curve"),
    ("{type: linear, basis: units, points: [[0.8, 0.5]]}", "payout_curves.sales_curve.basis",
     "curve basis 'units' is not known; expected attainment or value"),
    ("{type: linear, open: yes please, points: [[0.8, 0.5], [1, 1]]}", "payout_curves.sales_curve.open",
     "expected true or false"),
    ("{type: linear, open: true, points: [[0.8, 0.5]]}", "payout_curves.sales_curve.points",
     "an open curve needs at least two points"),
    ("{type: linear, label: {de: Skala}, points: [[0.8, 0.5]]}", "payout_curves.sales_curve.label",
     "is not a name per language"),
    ("{type: linear, basis: value, points: [[620, 0.5], [600, 1]]}", "payout_curves.sales_curve.points[1]",
     "fact 600 does not increase"),
    ("{type: linear, shape: s, points: [[0.8, 0.5]]}", "payout_curves.sales_curve.shape",
         "'shape' is not a payout curve key (expected one of: type, points, basis, open, label)"),
])
def test_bad_curve_settings_are_reported_at_their_key(client_copy, spec, path, fragment):
    folder = client_copy()
    _with_curves(folder, f"payout_curves:\n  sales_curve: {spec}\n")
    errors = [p for p in validate_client(folder) if p.severity == "error"]
    assert [(p.table, p.column) for p in errors] == [("client.yaml", path)]
    assert fragment in errors[0].message and errors[0].row is not None


@pytest.mark.parametrize("row, column, fragment", [
    ("head-of-sales,REV,0.9,RET,1", None, None),
    ("head-of-sales,REV,0.9,total,0", None, None),
    ("head-of-sales,REV,90,total,0", "level", "level 90 looks like a percentage"),
    ("head-of-sales,REV,0.9,ORD,1", "applies_to", "applies_to 'ORD' is neither a KPI of position 'head-of-sales' "
                                                  "nor total; expected total or one of:"),
    ("head-of-sales,NOPE,0.9,total,1", "gate_kpi_id", "unknown kpi_id 'NOPE': not in kpis.csv"),
])
def test_gates_are_checked_where_they_are_written(client_copy, make_fixtures, row, column, fragment):
    folder = client_copy()
    (folder / "gates.csv").write_text("position_id,gate_kpi_id,level,applies_to,cap\n" + row + "\n", encoding="utf-8")
    errors = [p for p in validate_client(folder) if p.severity == "error"]
    if column is None:
        assert errors == []
        return
    assert [(p.table, p.row, p.column) for p in errors] == [("gates.csv", 2, column)]
    assert fragment in errors[0].message


# --- sections and the year to date (SPEC 3.5.1) -----------------------------------------------

def _sectioned_folder(client_copy, sections, rule="multiply", clawback="", basis="", slug=None):
    """valid_minimal with head-of-sales' KPIs REV, RET, TRN in ``sections`` and its section_rule
    ``rule`` (position_kpis rows 7-9, positions row 4)."""
    folder = client_copy(slug=slug)
    pks = (folder / "position_kpis.csv").read_text(encoding="utf-8").splitlines()
    own = iter(sections)
    pks = [pks[0] + ",section"] + [line + "," + (next(own) if line.startswith("head-of-sales") else "")
                                    for line in pks[1:]]
    (folder / "position_kpis.csv").write_text("\n".join(pks) + "\n", encoding="utf-8")
    positions = (folder / "positions.csv").read_text(encoding="utf-8").splitlines()
    positions = [positions[0] + ",section_rule,payout_basis,clawback"] + [
        line + (f",{rule},{basis},{clawback}" if line.startswith("head-of-sales") else ",,,") for line in positions[1:]]
    (folder / "positions.csv").write_text("\n".join(positions) + "\n", encoding="utf-8")
    return folder


def _errors(folder):
    return [p for p in validate_client(folder) if p.severity == "error"]


def test_sections_that_are_sound_validate(client_copy):
    assert _errors(_sectioned_folder(client_copy, ["business", "business", "individual"])) == []


def test_a_multiplied_position_needs_a_section_on_every_kpi(client_copy):
    [problem] = _errors(_sectioned_folder(client_copy, ["business", "business", ""]))
    assert (problem.table, problem.row, problem.column) == ("position_kpis.csv", 9, "section")
    assert ("KPI 'TRN' of position 'head-of-sales' has no section, but the position's section_rule is multiply "
            "(positions.csv, row 4)") in problem.message
    assert "set the position's section_rule to add" in problem.fix


def test_a_section_named_like_a_kpi_or_total_is_refused(client_copy):
    problems = _errors(_sectioned_folder(client_copy, ["RET", "total", "individual"], rule="add"))
    assert [(p.table, p.row, p.column) for p in problems] == [("position_kpis.csv", 7, "section"),
                                                              ("position_kpis.csv", 8, "section")]
    assert "section 'RET' is also a KPI of position 'head-of-sales'" in problems[0].message
    assert "section 'total' is also the word total" in problems[1].message


def test_an_unknown_section_rule_is_refused_with_the_codes(client_copy):
    [problem] = _errors(_sectioned_folder(client_copy, ["b", "b", "i"], rule="product"))
    assert (problem.table, problem.row, problem.column) == ("positions.csv", 4, "section_rule")
    assert "'product' is not an allowed code; expected one of: add, multiply" in problem.message


def test_a_gate_may_apply_to_a_section_of_its_position(client_copy):
    folder = _sectioned_folder(client_copy, ["business", "business", "individual"])
    (folder / "gates.csv").write_text("position_id,gate_kpi_id,level,applies_to,cap\n"
                                      "head-of-sales,RET,0.9,business,1\nhead-of-sales,RET,0.9,team,1\n",
                                      encoding="utf-8")
    [problem] = _errors(folder)
    assert (problem.table, problem.row, problem.column) == ("gates.csv", 3, "applies_to")
    assert ("applies_to 'team' is neither a KPI or a section of position 'head-of-sales' nor total; expected "
            "total or one of: RET, REV, TRN, business, individual") in problem.message


def test_clawback_without_a_year_to_date_basis_is_refused(client_copy):
    [problem] = _errors(_sectioned_folder(client_copy, ["b", "b", "i"], clawback="yes"))
    assert (problem.table, problem.row, problem.column) == ("positions.csv", 4, "clawback")
    assert "has clawback 'yes' but payout_basis period; expected clawback only with payout_basis ytd" \
        in problem.message
    assert _errors(_sectioned_folder(client_copy, ["b", "b", "i"], clawback="yes", basis="ytd", slug="ytd")) == []

def test_employee_detail_limit_defaults_to_50_and_is_read_from_reports(client_copy, make_fixtures):
    folder = client_copy()
    assert load_client(folder).config.employee_detail_limit == 50
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", "bonus_budget: 6000\nreports:\n  employee_detail_limit: 0")
    assert load_client(folder).config.employee_detail_limit == 0


@pytest.mark.parametrize("value, fragment", [
    ("-3", "employee_detail_limit '-3' is not a whole number >= 0"),
    ("fifty", "employee_detail_limit 'fifty' is not a whole number >= 0"),
    ("2.5", "employee_detail_limit '2.5' is not a whole number >= 0"),
])
def test_a_bad_employee_detail_limit_is_refused_at_its_line(client_copy, make_fixtures, value, fragment):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000",
                           f"bonus_budget: 6000\nreports:\n  employee_detail_limit: {value}")
    (problem,) = validate_client(folder)
    assert (problem.table, problem.column, problem.severity) == ("client.yaml", "reports.employee_detail_limit", "error")
    assert problem.row is not None and fragment in problem.message
    assert "reports: {employee_detail_limit: 50}" in problem.fix


def test_reports_must_hold_entries_and_unknown_ones_are_warned_about(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", "bonus_budget: 6000\nreports: 50")
    (problem,) = validate_client(folder)
    assert (problem.column, problem.severity) == ("reports", "error") and "found '50'" in problem.message
    make_fixtures.set_yaml(folder, "reports: 50", "reports:\n  employee_limit: 50")
    (problem,) = validate_client(folder)
    assert (problem.column, problem.severity) == ("reports.employee_limit", "warning")


# --------------------------------------------------------------------------- eac_method (SPEC 3.6)


@pytest.mark.parametrize("method", ["cpi", "atypical", "cpi_spi"])
def test_eac_method_is_read(client_copy, method):
    folder = client_copy()
    with open(folder / "client.yaml", "a", encoding="utf-8") as f:
        f.write(f"eac_method: {method}\n")
    assert load_client(folder).config.eac_method == method


def test_eac_method_defaults_to_cpi(client_copy):
    assert load_client(client_copy()).config.eac_method == "cpi"


@pytest.mark.parametrize("value, hint", [("cpi-spi", "did you mean 'cpi_spi'? "), ("median", "")])
def test_unknown_eac_method_is_reported_at_its_line(client_copy, value, hint):
    folder = client_copy()
    lines = (folder / "client.yaml").read_text(encoding="utf-8").count("\n")
    with open(folder / "client.yaml", "a", encoding="utf-8") as f:
        f.write(f"eac_method: {value}\n")
    errors = [p for p in validate_client(folder) if p.severity == "error"]
    assert [(p.table, p.row, p.column) for p in errors] == [("client.yaml", lines + 1, "eac_method")]
    assert errors[0].message == f"eac_method is '{value}'; expected one of: cpi, atypical, cpi_spi"
    assert errors[0].fix.startswith(hint + "write cpi (EAC = BAC / CPI, the default)")


def test_funnel_rounding_and_one_in_n_are_read_and_checked_at_their_line(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", FUNNEL.replace("1.5}", '"1 in 2"}') + "\n  rounding: up")
    (problem,) = validate_client(folder)
    assert (problem.table, problem.row, problem.column) == ("client.yaml", 15, "funnel.rounding")
    assert problem.message == "funnel.rounding is 'up'; expected each_stage or end"
    make_fixtures.set_yaml(folder, "rounding: up", "rounding: end")
    funnel = load_client(folder).config.funnel
    assert (funnel["rounding"], funnel["stages"][1]["conversion"]) == ("end", "1 in 2")
