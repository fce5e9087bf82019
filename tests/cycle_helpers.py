"""Helpers of the monthly-cycle tests: a demo client copied into a workspace, workbooks filled as a head would."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl

DEMO = Path(__file__).parent.parent / "clients"
FIXTURES = Path(__file__).parent / "fixtures" / "clients"


def workspace_client(tmp_path: Path, name: str = "northwind", source: Path = DEMO) -> Path:
    """Copy a client into ``tmp_path/clients/<name>`` (``tmp_path`` is the workspace)."""
    folder = tmp_path / "clients" / name
    shutil.copytree(source / name, folder)
    return folder


def fill(workbook: Path, facts: dict, out: Path, edit=None) -> Path:
    """Fill in a fact-entry workbook as a department head would: ``facts`` maps (employee, KPI) to a value."""
    book = openpyxl.load_workbook(workbook)
    ws = book.worksheets[1]
    for row in range(2, ws.max_row + 1):
        key = (ws.cell(row, 1).value, ws.cell(row, 4).value)
        if key in facts:
            ws.cell(row, 9).value = facts[key]
    if edit is not None:
        edit(ws)
    book.save(out)
    return out


def blank_facts(folder: Path, period: str, employees: set[str]) -> None:
    """Empty the facts of ``employees`` in ``period`` (plans set, facts not reported yet)."""
    path = folder / "actuals.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out = []
    for line in lines:
        cells = line.rstrip("\n").split(",")
        if cells[0] == period and cells[1] in employees:
            line = ",".join(cells[:-1]) + ",\n"
        out.append(line)
    path.write_text("".join(out), encoding="utf-8")


def rows_of(workbook: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(workbook).worksheets[1]
    return [tuple(r) for r in ws.iter_rows(min_row=2, values_only=True)]
