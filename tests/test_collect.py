"""kpi-toolkit collect: fact-entry workbooks per department or manager."""
import openpyxl
import pandas as pd
import pytest

from kpi_toolkit.cycle.collect import (COLUMNS, FACT_COLUMN, META_SHEET, collect, entry_rows, load_for_entry,
                                 team_kpis)
from kpi_toolkit.errors import ClientDataError, KpiToolkitError

from cycle_helpers import blank_facts, rows_of, workspace_client


@pytest.fixture
def northwind(tmp_path):
    return workspace_client(tmp_path)


def test_one_workbook_per_department_with_plans_filled_in(northwind, tmp_path):
    written = collect(northwind, "2026-09", out=tmp_path / "reports")
    # one workbook per department that has people paid in the period, named for the department
    employees = pd.read_csv(northwind / "employees.csv")
    positions = pd.read_csv(northwind / "positions.csv").set_index("position_id")
    department = employees["department"].fillna(employees["position_id"].map(positions["department"]))
    actuals = pd.read_csv(northwind / "actuals.csv")
    september = actuals[actuals["period"] == "2026-09"]
    asked = set(september["employee_id"])
    expected = sorted({d.lower() + ".xlsx" for d, e in zip(department, employees["employee_id"]) if e in asked})
    assert [p.name for p in written] == expected and "sales.xlsx" in expected
    assert all(p.parent == tmp_path / "reports" / "northwind" / "2026-09" / "collect" for p in written)
    rows = rows_of(written[-1])
    sales_people = set(employees["employee_id"][department == "Sales"])
    team_kpis = set(pd.read_csv(northwind / "kpis.csv").dropna(subset=["aggregate"])["kpi_id"])
    sales = september[september["employee_id"].isin(sales_people) & ~september["kpi_id"].isin(team_kpis)]
    assert len(rows) == len(sales) > 0
    first = rows[0]
    own = september[(september["employee_id"] == "E001") & (september["kpi_id"] == first[3])]
    assert first[:2] == ("E001", "Daniel Whitaker") and len(own) == 1 and first[5] == "GBP"
    assert first[6] == "Higher is better" and first[7] == own["plan"].iloc[0]  # the plan, filled in


def test_only_fact_cells_are_editable_and_accept_numbers(northwind, tmp_path):
    path = collect(northwind, "2026-09", out=tmp_path / "r")[-1]
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[1]
    assert ws.protection.sheet and book.security.lockStructure
    assert ws.cell(2, FACT_COLUMN).protection.locked is False
    assert all(ws.cell(2, j).protection.locked for j in range(1, FACT_COLUMN))
    [validation] = ws.data_validations.dataValidation
    assert validation.type == "decimal" and validation.showErrorMessage
    assert str(validation.sqref) == f"I2:I{ws.max_row}"


def test_period_and_department_are_recorded_in_a_very_hidden_sheet(northwind, tmp_path):
    [path] = [p for p in collect(northwind, "2026-09", out=tmp_path / "r") if p.name == "marketing.xlsx"]
    book = openpyxl.load_workbook(path)
    hidden = book[META_SHEET]
    assert hidden.sheet_state == "veryHidden"
    meta = {k: v for k, v in hidden.iter_rows(min_col=1, max_col=2, values_only=True) if k}
    assert meta["client"] == "northwind" and meta["period"] == "2026-09"
    assert meta["by"] == "department" and meta["scope"] == "Marketing" and len(meta["hash"]) == 64


def test_instructions_in_the_clients_language(tmp_path):
    folder = workspace_client(tmp_path, "sever-trade")
    path = collect(folder, "2026-09", out=tmp_path / "r")[0]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["Инструкция", "Факты"]
    assert "Факты за сентябрь 2026" in book["Инструкция"]["A1"].value
    assert [c.value for c in book["Факты"][1]][-2:] == ["План", "Факт"]


def test_facts_not_reported_yet_are_collected_empty(northwind, tmp_path):
    blank_facts(northwind, "2026-09", {"E016", "E017", "E018"})
    with pytest.raises(ClientDataError):  # the folder is not computable until the facts are in
        from kpi_toolkit import load_client
        load_client(northwind)
    path = [p for p in collect(northwind, "2026-09", out=tmp_path / "r") if p.name == "marketing.xlsx"][0]
    assert all(row[FACT_COLUMN - 1] is None for row in rows_of(path))


def test_other_errors_still_block_collecting(northwind, tmp_path):
    actuals = pd.read_csv(northwind / "actuals.csv", dtype=str, keep_default_na=False)
    row = actuals.index[(actuals["period"] == "2026-09") & (actuals["employee_id"] == "E002")][0]
    actuals.loc[row, "plan"] = "0"
    actuals.to_csv(northwind / "actuals.csv", index=False)
    with pytest.raises(ClientDataError, match="plan of 0"):
        collect(northwind, "2026-09", out=tmp_path / "r")


def test_team_kpis_are_not_asked_for(northwind):
    entry = load_for_entry(northwind, "2026-09")
    kpis = entry.data.kpis.assign(aggregate=[("sum" if k == "revenue" else None) for k in entry.data.kpis["kpi_id"]])
    entry = type(entry)(entry.data.with_tables(kpis=kpis), entry.period, entry.missing)
    assert team_kpis(kpis) == {"revenue"}
    assert "revenue" not in set(entry_rows(entry)["kpi_id"])
    assert "gross_margin" in set(entry_rows(entry)["kpi_id"])


def test_names_that_look_like_formulas_are_written_as_text(northwind, tmp_path):
    text = (northwind / "employees.csv").read_text().replace("Daniel Whitaker", "=HYPERLINK(A1)+1")
    (northwind / "employees.csv").write_text(text)
    path = collect(northwind, "2026-09", out=tmp_path / "r")[-1]
    cell = openpyxl.load_workbook(path).worksheets[1]["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK") and cell.quotePrefix


def test_by_manager_needs_reports_to(northwind, tmp_path):
    positions = pd.read_csv(northwind / "positions.csv", dtype=str, keep_default_na=False)
    positions.drop(columns="reports_to").to_csv(northwind / "positions.csv", index=False)
    with pytest.raises(KpiToolkitError, match="reports_to"):
        collect(northwind, "2026-09", by="manager", out=tmp_path / "r")


def test_columns_are_the_documented_ones():
    assert COLUMNS[-2:] == ("plan", "fact")


def test_by_manager_one_workbook_per_manager_with_their_reports(northwind):
    entry = load_for_entry(northwind, "2026-09")
    positions = entry.data.positions.assign(reports_to=[
        "head-of-sales" if d == "Sales" and p != "head-of-sales" else None
        for p, d in zip(entry.data.positions["position_id"], entry.data.positions["department"])])
    entry = type(entry)(entry.data.with_tables(positions=positions), entry.period, entry.missing)
    rows = entry_rows(entry, "manager")
    sales = rows[rows["department"] == "Sales"]
    assert set(sales["scope"]) == {"E001"}  # the head of sales collects for the team and for himself
    assert set(sales["scope_label"]) == {"Daniel Whitaker (E001)"}
    marketing = rows[rows["department"] == "Marketing"]
    assert set(marketing["scope"]) == set(marketing["employee_id"])  # no manager: each their own
