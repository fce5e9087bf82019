"""Results files: exact money text, statements that add up, written whole or not at all."""
import csv
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
from kpi_toolkit.results import csv_cell, csv_table, result_tables, write_results

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

    monkeypatch.setattr("kpi_toolkit.results.json.dumps", broken)  # fails after the CSVs and workbook
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
           "spi", "eac", "vac"}


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
