"""Results files: exact money text, statements that add up, written whole or not at all."""
import csv
import dataclasses
import itertools
import datetime as dt
import re
import shutil
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi_toolkit import calculate, load_client
from kpi_toolkit.errors import OutputError
from kpi_toolkit.outputs.results import csv_cell, csv_table, result_tables, write_results

DEMO = Path(__file__).parent.parent / "clients"


@pytest.fixture(scope="module")
def northwind():
    return calculate(load_client(DEMO / "northwind"))


def test_money_is_written_to_the_minor_unit_and_lines_add_up(northwind):
    tables = result_tables(northwind)
    lines, totals = tables["bonus_lines"], tables["bonus_totals"]
    assert lines["bonus"].str.fullmatch(r"\d+\.\d{2}").all()
    assert totals["bonus_fund"].str.fullmatch(r"\d+\.\d{2}").all()
    sums = defaultdict(Decimal)
    for _, row in lines.iterrows():
        sums[row["employee_id"]] += Decimal(row["bonus"])
    for _, row in totals.iterrows():
        assert Decimal(row["bonus"]) == sums[row["employee_id"]]


def test_every_zero_statement_says_why(northwind):
    totals = result_tables(northwind)["bonus_totals"]
    zero = totals[totals["bonus"] == "0.00"]
    assert len(zero) >= 1 and (zero["reason"] != "").all()


def test_ratios_in_full_precision_with_a_dot(northwind):
    lines = result_tables(northwind)["bonus_lines"]
    assert not lines["attainment"].str.contains(",").any()
    assert (lines["attainment"].str.len().max()) > 6  # not rounded to a few places


def test_results_appear_whole_or_not_at_all(northwind, tmp_path, monkeypatch):
    write_results(northwind, tmp_path)
    before = (tmp_path / "results" / "bonus_totals.csv").read_text(encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("kpi_toolkit.outputs.results.json.dumps", broken)  # fails after the CSVs and workbook
    with pytest.raises(OutputError):
        write_results(northwind, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]  # no staging folder left behind
    assert (tmp_path / "results" / "bonus_totals.csv").read_text(encoding="utf-8") == before

    fresh = tmp_path / "fresh"
    with pytest.raises(OutputError):
        write_results(northwind, fresh)
    assert list(fresh.iterdir()) == []


def test_excel_workbook_has_every_table_with_numbers_as_numbers(northwind, tmp_path):
    write_results(northwind, tmp_path)
    book = pd.read_excel(tmp_path / "results" / "results.xlsx", sheet_name=None)
    assert set(book) == {"bonus_lines", "bonus_totals", "goal_weights", "kpi_weights", "project_scorecard",
                         "funnel_plan", "payroll"}
    assert pd.api.types.is_numeric_dtype(book["bonus_totals"]["Bonus"])
    csv_total = sum(Decimal(r["bonus"]) for r in csv.DictReader(
        open(tmp_path / "results" / "bonus_totals.csv", encoding="utf-8")))
    assert Decimal(str(round(book["bonus_totals"]["Bonus"].sum(), 2))) == csv_total


# --------------------------------------------------------------------------- client strings never formulas

#: valid_minimal's ids replaced by text a spreadsheet would run as a formula (OWASP CSV injection).
FORMULA_IDS = {"E001": '=HYPERLINK("http://x","y")', "E002": "-2+3+cmd|' /C calc'!A0", "E004": "'quoted",
               "G2": "=1+1", "RET": "@SUM(1)"}
NUMERIC = {"weight", "plan", "fact", "attainment", "index", "coefficient", "fund_share", "bonus",
           "performance_ratio", "stop_factor", "bonus_fund", "raw_weight", "pv", "ev", "ac", "cv", "cpi", "sv",
           "spi", "eac", "etc", "vac", "tcpi"}


@pytest.fixture(scope="module")
def formula_ids(tmp_path_factory):
    """valid_minimal whose employee, goal and KPI ids start with =, -, @ and '."""
    folder = tmp_path_factory.mktemp("clients") / "formula-ids"
    shutil.copytree(Path(__file__).parent / "fixtures" / "clients" / "valid_minimal", folder)
    for file in folder.glob("*.csv"):
        with open(file, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        with open(file, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([[FORMULA_IDS.get(c, c) for c in row] for row in rows])
    return calculate(load_client(folder))


def test_formula_ids_are_stored_as_text_not_formulas_in_results_xlsx(formula_ids, tmp_path):
    write_results(formula_ids, tmp_path)
    path = tmp_path / "results" / "results.xlsx"
    with zipfile.ZipFile(path) as book:
        sheets = {n: book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/sheet")}
    assert len(sheets) == 6  # five tables and the payroll file
    for name, xml in sheets.items():
        assert not re.search(r"<f[ >/]", xml), f"{name} holds a formula"
        assert 't="e"' not in xml and 't="str"' not in xml  # no error values, no formula results
    assert '<is><t>=HYPERLINK("http://x","y")</t></is>' in "".join(sheets.values())
    book = openpyxl.load_workbook(path)
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in FORMULA_IDS.values():
                    found[cell.value] = cell
                    assert cell.data_type == "s"
                    assert cell.quotePrefix == cell.value.startswith(("=", "-", "@"))  # an edit keeps it text
    assert set(found) == set(FORMULA_IDS.values())
    lines = pd.read_excel(path, sheet_name="bonus_lines", dtype={"Employee ID": str})
    assert set(lines["Employee ID"]) == {FORMULA_IDS[e] for e in ("E001", "E002", "E004")} | {"E003", "E005"}


def test_formula_ids_are_escaped_in_csv_and_numbers_stay_numbers(formula_ids, tmp_path):
    write_results(formula_ids, tmp_path)
    folder = tmp_path / "results"
    read = {f.stem: list(csv.DictReader(open(f, encoding="utf-8", newline=""))) for f in folder.glob("*.csv")}
    employees = {r["employee_id"] for r in read["bonus_totals"]}
    assert employees == {"'" + FORMULA_IDS["E001"], "'" + FORMULA_IDS["E002"], "''quoted", "E003", "E005"}
    assert {r["kpi_id"] for r in read["bonus_lines"]} >= {"'@SUM(1)", "REV"}
    assert "'=1+1" in {r["goal_id"] for r in read["goal_weights"]}
    assert "'=1+1" in {r["goal_id"] for r in read["kpi_weights"]}
    for name, rows in read.items():  # every cell starting with a formula character is a number or escaped
        for row in rows:
            for column, value in row.items():
                if column in NUMERIC:
                    assert value == "" or Decimal(value) == Decimal(value), (name, column, value)
                elif value.startswith(("=", "+", "-", "@", "\t", "\r")):
                    pytest.fail(f"{name}.csv column {column}: {value!r} is not escaped")
    scorecard = {r["period"]: r for r in read["project_scorecard"]}
    assert scorecard["2024-03"]["cv"] == "-2000.00"  # a negative amount stays a number
    restored = {v[1:] if v.startswith("'") else v for v in employees}  # the documented way back
    assert restored == {FORMULA_IDS["E001"], FORMULA_IDS["E002"], "'quoted", "E003", "E005"}


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+7 (495) 123", "'+7 (495) 123"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("'x", "''x"), ("E-17", "E-17"),
    ("a=1", "a=1"), ("", ""), ("-1200.00", "-1200.00"), ("+5", "+5"), ("-1.5e-3", "-1.5e-3"), ("-inf", "-inf"),
])
def test_csv_cell_escapes_text_that_could_run_as_a_formula(value, written):
    assert csv_cell(value) == written


def test_csv_table_leaves_numeric_columns_alone():
    table = pd.DataFrame({"id": ["=1", "A"], "count": [-3, 4], "amount": ["-1200.00", "5.00"]})
    assert csv_table(table).to_dict("list") == {"id": ["'=1", "A"], "count": [-3, 4], "amount": ["-1200.00", "5.00"]}


def test_team_lines_carry_their_members_and_a_quarter_its_months(tmp_path):
    regional = Path(__file__).parent / "fixtures" / "clients" / "regional_sales_offices"
    lines = result_tables(calculate(load_client(regional)))["bonus_lines"].set_index(["employee_id", "kpi_id"])
    assert lines.loc[("H01", "TREV"), ["plan", "fact", "members", "team_size"]].tolist() == [
        "200000", "140000", "M01, M02, M03, M05", "4"]
    assert lines.loc[("M01", "REV"), ["members", "team_size"]].tolist() == ["", "0"]
    quarter = tmp_path / "regional-quarter"
    shutil.copytree(regional, quarter)
    text = (quarter / "client.yaml").read_text(encoding="utf-8")
    (quarter / "client.yaml").write_text(text.replace("bonus_period_months: 1", "bonus_period_months: 3"),
                                         encoding="utf-8")
    kpis = (quarter / "kpis.csv").read_text(encoding="utf-8")  # January has no rows: left out, not an error
    (quarter / "kpis.csv").write_text(kpis.replace(",error,", ",exclude,"), encoding="utf-8")
    totals = result_tables(calculate(load_client(quarter)))["bonus_totals"]
    assert list(totals.columns[:2]) == ["period", "months"]
    assert set(totals["months"]) == {"2024-01, 2024-02, 2024-03"}


# --------------------------------------------------------------------------- results.xlsx for payroll

def _sheet(path: Path, name: str):
    """A sheet of a written workbook: its headers and, per header, the cells below it."""
    sheet = openpyxl.load_workbook(path)[name]
    headers = [c.value for c in sheet[1]]
    return sheet, headers, {h: [row[j] for row in sheet.iter_rows(min_row=2)] for j, h in enumerate(headers)}


def _with_settings(folder: Path, **settings) -> Path:
    text = (folder / "client.yaml").read_text(encoding="utf-8")
    for key, value in settings.items():
        text = re.sub(rf"(?m)^{key}:.*$", f"{key}: {value}", text) if re.search(rf"(?m)^{key}:", text) \
            else text + f"\n{key}: {value}\n"
    (folder / "client.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("currency, decimals, sign", [("GBP", 2, "£"), ("RUB", 2, "RUB"), ("JPY", 0, "¥"),
                                                       ("KWD", 3, "KWD")])
def test_money_cells_carry_the_currency_format_with_its_decimals(client_copy, tmp_path, currency, decimals, sign):
    folder = _with_settings(client_copy(), currency=currency)
    results = calculate(load_client(folder))
    write_results(results, tmp_path)
    _, _, cells = _sheet(tmp_path / "results" / "results.xlsx", "bonus_totals")
    bonus = cells["Bonus"]
    assert all(isinstance(c.value, (int, float)) for c in bonus)
    fmt = bonus[0].number_format
    assert sign in fmt and fmt.count("0") - fmt.split(".")[0].count("0") == decimals
    assert ("." in fmt) == (decimals > 0)
    assert {c.number_format for c in bonus + cells["Bonus fund"]} == {fmt}
    texts = {r["employee_id"]: r["bonus"] for r in csv.DictReader(open(tmp_path / "results" / "bonus_totals.csv",
                                                                      encoding="utf-8"))}
    ids = [c.value for c in cells["Employee ID"]]
    for employee, cell in zip(ids, bonus):  # the cell is the exact amount of the CSV, to the minor unit
        assert Decimal(texts[employee]) == Decimal(str(round(cell.value, decimals)))
        assert re.fullmatch(r"-?\d+" + (rf"\.\d{{{decimals}}}" if decimals else ""), texts[employee])


def test_workbook_shows_ratios_as_percentages_names_beside_ids_and_real_booleans(northwind, tmp_path):
    write_results(northwind, tmp_path)
    path = tmp_path / "results" / "results.xlsx"
    sheet, headers, cells = _sheet(path, "bonus_lines")
    assert headers[:6] == ["Period", "Employee ID", "Employee", "Position ID", "Position", "KPI ID"]
    assert headers[6] == "KPI"
    employees = dict(zip(northwind.client.employees["employee_id"], northwind.client.employees["name"]))
    assert all(employees[i.value] == n.value for i, n in zip(cells["Employee ID"], cells["Employee"]))
    assert {c.number_format for c in cells["Attainment"] + cells["Weight"] if c.value is not None} == {"0.0%"}
    assert cells["Bonus"][0].number_format == '"£"#,##0.00'
    assert sheet.freeze_panes == "D2" and sheet.auto_filter.ref == sheet.dimensions
    _, headers, cells = _sheet(path, "kpi_weights")
    assert {c.value for c in cells["Kept"]} == {True, False} and {c.data_type for c in cells["Kept"]} == {"b"}
    assert "Goal" in headers and "KPI" in headers
    for name in openpyxl.load_workbook(path).sheetnames:
        sheet = openpyxl.load_workbook(path)[name]
        assert sheet.freeze_panes is not None and sheet.auto_filter.ref
        assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[1])
    with open(tmp_path / "results" / "kpi_weights.csv", encoding="utf-8") as f:  # the CSV keeps SPEC 5's codes
        assert next(csv.reader(f))[:3] == ["position_id", "method", "kpi_id"]


def test_workbook_headers_are_in_the_clients_language(tmp_path):
    results = calculate(load_client(DEMO / "sever-trade"))
    write_results(results, tmp_path)
    path = tmp_path / "results" / "results.xlsx"
    _, headers, cells = _sheet(path, "bonus_totals")
    assert headers[:5] == ["Период", "Табельный номер", "Сотрудник", "Код должности", "Должность"]
    assert "Премия" in headers and "Коэффициент результативности" in headers
    assert cells["Премия"][0].number_format == '#,##0.00 "₽"'
    assert cells["Стоп-фактор"][0].number_format == "0.0%"
    _, headers, _ = _sheet(path, "payroll")
    assert headers == ["Табельный номер", "Сотрудник", "Подразделение", "Должность", "Период", "Премия",
                       "Корректировка", "Сумма к начислению", "Валюта"]


def test_default_payroll_file_pays_bonus_plus_adjustment(northwind, tmp_path):
    adjusted = dataclasses.replace(northwind, adjustments=pd.DataFrame(
        {"employee_id": ["E001", "E001", "E999"], "position_id": ["head-of-sales"] * 3,
         "corrects": ["2026-07", "2026-08", "2026-08"], "amount_minor": [120000, -5, -3333]}))
    write_results(adjusted, tmp_path)
    with open(tmp_path / "results" / "payroll.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["Employee ID", "Employee", "Department", "Position", "Period", "Bonus", "Adjustment",
                             "Amount to pay", "Currency"]
    by_id = {r["Employee ID"]: r for r in rows}
    bonus = Decimal(by_id["E001"]["Bonus"])
    assert by_id["E001"]["Adjustment"] == "1199.95"
    assert Decimal(by_id["E001"]["Amount to pay"]) == bonus + Decimal("1199.95")
    assert by_id["E999"]["Bonus"] == "0.00" and by_id["E999"]["Amount to pay"] == "-33.33"  # left, corrected
    totals = {r["employee_id"]: r for r in csv.DictReader(open(tmp_path / "results" / "bonus_totals.csv",
                                                                 encoding="utf-8"))}
    assert sum(Decimal(r["Amount to pay"]) for r in rows) == sum(
        Decimal(r["bonus"]) + Decimal(r["adjustment"]) for r in totals.values())
    _, _, cells = _sheet(tmp_path / "results" / "results.xlsx", "payroll")
    assert cells["Amount to pay"][0].number_format == '"£"#,##0.00'
    assert sum(Decimal(str(c.value)) for c in cells["Amount to pay"]) == sum(Decimal(r["Amount to pay"]) for r in rows)


def scaffold_payroll_example(language: str) -> str:
    """The commented ``payroll:`` example of the scaffold's client.yaml, uncommented."""
    from kpi_toolkit.inputs import scaffold

    text = scaffold._YAML[language].format(slug="x", name="x", period="2026-09")
    lines = text[text.index("# payroll:"):].splitlines()
    block = [lines[0][2:]] + [line[2:] for line in itertools.takewhile(lambda x: x.startswith("#   "), lines[1:])]
    return "\n".join(block) + "\n"


def test_russian_payroll_layout_in_the_clients_columns_names_and_order(tmp_path):
    folder = tmp_path / "sever-trade"
    shutil.copytree(DEMO / "sever-trade", folder)
    example = scaffold_payroll_example("ru")
    assert example == scaffold_payroll_example("en")  # the same example in both languages' scaffold
    with open(folder / "client.yaml", "a", encoding="utf-8") as f:
        f.write("\n" + example.replace('"2000"', '"0200"'))
    results = calculate(load_client(folder))
    write_results(results, tmp_path / "out")
    with open(tmp_path / "out" / "results" / "payroll.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Табельный номер", "Сотрудник", "Вид начисления", "Период", "Сумма"]
    paid = results.bonus.totals[results.bonus.totals["bonus_minor"] > 0]
    assert len(rows) - 1 == len(paid) < len(results.bonus.totals)  # nobody with nothing to pay
    assert {r[2] for r in rows[1:]} == {"0200"} and {r[3] for r in rows[1:]} == {"2026-09-01"}
    amounts = dict(zip(paid["employee_id"], paid["bonus_minor"]))
    assert all(Decimal(r[4]) * 100 == amounts[r[0]] for r in rows[1:])
    sheet, headers, cells = _sheet(tmp_path / "out" / "results" / "results.xlsx", "payroll")
    assert headers == rows[0] and sheet.freeze_panes == "A2"
    assert {c.data_type for c in cells["Вид начисления"]} == {"s"}  # the code stays text: "0200", not 200
    assert cells["Период"][0].value.date() == dt.date(2026, 9, 1) and cells["Период"][0].number_format == "dd.mm.yyyy"
    assert cells["Сумма"][0].number_format == '#,##0.00 "₽"'


@pytest.mark.parametrize("section, found", [
    ("payroll: [employee_id, amount]", "payroll: expected 'payroll' to hold columns, names and accrual_code"),
    ("payroll: {columns: [employee_id, amout]}", "payroll.columns[1]: 'amout' is not a payroll column"),
    ("payroll: {columns: [employee_id, amount, amount]}", "column 'amount' is listed 2 times"),
    ("payroll: {columns: []}", "payroll.columns: expected a list of columns, found '[]'"),
    ("payroll: {columns: [employee_id, amount], names: {name: Сотрудник}}",
     "payroll.names.name: 'name' is named but is not in payroll.columns (employee_id, amount)"),
    ("payroll: {columns: [employee_id, amount], names: {employee_id: Сумма, amount: Сумма}}",
     "header 'Сумма' is used by more than one column"),
    ("payroll: {columns: [employee_id, accrual_code, amount], accrual_code: 2000}",
     "accrual_code '2000' is not text"),
    ("payroll: {columns: [employee_id, accrual_code, amount]}",
     "payroll.columns lists 'accrual_code' but no accrual_code is given"),
    ("payroll: {columns: [employee_id, amount], skip_zero: 'yes'}", "skip_zero 'yes' is not true or false"),
    ("payroll: {colums: [employee_id, amount]}", "unknown key 'payroll.colums'"),
])
def test_payroll_layout_errors_name_the_key_and_the_fix(client_copy, section, found):
    from kpi_toolkit.errors import ClientDataError

    folder = client_copy()
    with open(folder / "client.yaml", "a", encoding="utf-8") as f:
        f.write(section + "\n")
    with pytest.raises(ClientDataError) as caught:
        load_client(folder)
    problems = [p for p in caught.value.problems if p.column and p.column.startswith("payroll")]
    assert len(problems) == 1, problems
    shown = f"{problems[0].column}: {problems[0].message}"
    assert found in shown and problems[0].table == "client.yaml" and problems[0].row and problems[0].fix


def test_accrual_code_not_in_the_columns_is_a_warning(client_copy):
    folder = client_copy()
    with open(folder / "client.yaml", "a", encoding="utf-8") as f:
        f.write('payroll: {columns: [employee_id, amount], accrual_code: "2000"}\n')
    client = load_client(folder)
    assert any(w.column == "payroll.accrual_code" and "not in payroll.columns" in w.message for w in client.warnings)
    assert client.config.payroll.columns == ("employee_id", "amount")


def test_bonus_totals_carry_the_payout_factor_per_section_and_in_total():
    """Sections multiplied (tests/builders.sectioned_client): business 39/35, individual 0.8,
    in total 156/175 = 0.891428571…; a client without sections keeps the seeds' columns."""
    from builders import one_employee, sectioned_client

    client = sectioned_client("multiply")
    totals = result_tables(calculate(client, client.config.period))["bonus_totals"]
    row = totals.iloc[0]
    assert float(row["payout_factor"]) == pytest.approx(156 / 175, abs=1e-12)
    assert row["section_rule"] == "multiply"
    business, individual = row["section_factors"].split("; ")
    assert business.startswith("business=1.11428571") and individual == "individual=0.8"
    assert row["bonus"] == "89142.85"
    plain = one_employee([{"kpi_id": "k", "weight": 1, "plan": 1, "fact": 1}])
    assert "section_factors" not in result_tables(calculate(plain, plain.config.period))["bonus_totals"]


def test_bonus_totals_of_a_year_to_date_position_carry_ytd_paid_to_date_and_carried():
    """March of tests/builders.ytd_client: 0 to date, 1 800 paid before (recomputed), 1 800 carried."""
    from builders import ytd_client

    client = ytd_client()
    row = result_tables(calculate(client, "2026-03"))["bonus_totals"].iloc[0]
    assert (row["payout_basis"], row["ytd_bonus"], row["paid_to_date"], row["carried"], row["bonus"]) == (
        "ytd", "0.00", "1800.00", "1800.00", "0.00")
    assert row["paid_source"] == "recomputed: 2026-01, 2026-02"
