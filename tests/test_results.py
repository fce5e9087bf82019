"""Results files: exact money text, statements that add up, written whole or not at all."""
import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from kpi_toolkit import calculate, load_client
from kpi_toolkit.errors import OutputError
from kpi_toolkit.results import result_tables, write_results

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
                         "funnel_plan"}
    assert pd.api.types.is_numeric_dtype(book["bonus_totals"]["bonus"])
    csv_total = sum(Decimal(r["bonus"]) for r in csv.DictReader(
        open(tmp_path / "results" / "bonus_totals.csv", encoding="utf-8")))
    assert Decimal(str(round(book["bonus_totals"]["bonus"].sum(), 2))) == csv_total
