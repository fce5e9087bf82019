"""kpi-toolkit collect: fact-entry workbooks per department or manager."""
import openpyxl
import pandas as pd
import pytest

from kpi_toolkit.collect import (COLUMNS, FACT_COLUMN, META_SHEET, collect, entry_rows, load_for_entry,
                                 team_kpis)
from kpi_toolkit.errors import ClientDataError, KpiToolkitError

from cycle_helpers import blank_facts, rows_of, workspace_client


@pytest.fixture
def northwind(tmp_path):
    return workspace_client(tmp_path)


def test_one_workbook_per_department_with_plans_filled_in(northwind, tmp_path):
    written = collect(northwind, "2026-09", out=tmp_path / "reports")
    assert [p.name for p in written] == ["finance.xlsx", "legal.xlsx", "marketing.xlsx", "production.xlsx",
                                         "sales.xlsx"]
    assert all(p.parent == tmp_path / "reports" / "northwind" / "2026-09" / "collect" for p in written)
    rows = rows_of(written[-1])
    actuals = pd.read_csv(northwind / "actuals.csv")
    sales = actuals[(actuals["period"] == "2026-09") & actuals["employee_id"].isin(
        [f"E{i:03d}" for i in range(1, 16)] + ["E046"])]
    assert len(rows) == len(sales)
    first = rows[0]
    assert first[:2] == ("E001", "Daniel Whitaker") and first[3] == "revenue" and first[5] == "GBP"
    assert first[6] == "Higher is better" and first[7] == 1270000  # the plan, filled in


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
    path = collect(northwind, "2026-09", out=tmp_path / "r")[2]
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
    text = (northwind / "actuals.csv").read_text().replace("2026-09,E001,revenue,1270000,", "2026-09,E001,revenue,0,")
    (northwind / "actuals.csv").write_text(text)
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
