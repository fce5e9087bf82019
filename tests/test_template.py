"""The intake workbook: its structure, and a filled-in copy loads like the CSV client."""
from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi_toolkit.errors import ClientDataError
from kpi_toolkit.inputs.loading import load_client, read_client
from kpi_toolkit.method.schema import TABLES
from kpi_toolkit.inputs.intake_template import CLIENT_KEYS, write_intake_template

from conftest import CLIENTS

VALID = CLIENTS / "valid_minimal"


def _typed(text: str, kind: str):
    """A cell as a client typing into Excel leaves it: numbers as numbers, dates as dates."""
    if kind == "number":
        return float(text)
    if kind == "integer":
        return int(text)
    if kind == "date":
        return dt.datetime.fromisoformat(text)
    return text


def fill_template(template: Path, dest: Path, settings: dict | None = None,
                  clear: tuple[str, str] | None = None) -> Path:
    """Copy valid_minimal's tables (and ``settings``) into the template; save as ``dest``."""
    workbook = openpyxl.load_workbook(template)
    for name, table in TABLES.items():
        ws = workbook[name]
        header = [cell.value for cell in ws[1]]
        if not (VALID / f"{name}.csv").exists():  # an optional table valid_minimal does not have
            continue
        with open(VALID / f"{name}.csv", encoding="utf-8", newline="") as handle:
            for r, record in enumerate(csv.DictReader(handle), start=2):
                for c, column in enumerate(header, start=1):
                    text = record.get(column) or ""
                    if text and (name, column) != clear:
                        ws.cell(row=r, column=c, value=_typed(text, table.column(column).kind))
    for row in workbook["client"].iter_rows(min_row=2):
        key = row[0].value
        if settings and key in settings:
            row[1].value = settings[key]
    dest.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(dest)
    return dest


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_intake_template(tmp_path_factory.mktemp("template") / "intake.xlsx")


def test_template_structure(template):
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == ["instructions", "client", *TABLES]
    text = " ".join(str(c) for row in workbook["instructions"].iter_rows(values_only=True)
                    for c in row if c)
    assert "How to fill in this workbook" in text and "Как заполнить эту книгу" in text
    for name in TABLES:
        assert name in text
    assert [c.value for c in workbook["client"]["A"][1:]] == [k for k, _, _ in CLIENT_KEYS]
    for name, table in TABLES.items():
        ws = workbook[name]
        assert [c.value for c in ws[1]] == table.column_names
        assert ws.freeze_panes == "A2"
        validations = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
        for index, column in enumerate(table.columns, start=1):
            cell = ws.cell(row=1, column=index)
            assert cell.font.bold
            assert column.help in cell.comment.text and column.help_ru in cell.comment.text
            letter = cell.column_letter
            if column.choices:
                assert validations[f"{letter}2:{letter}1000"] == '"' + ",".join(column.choices) + '"'
    assert not [p for p in template.parent.iterdir() if p != template]  # no temporary file left


def test_russian_template_puts_russian_first(tmp_path):
    path = write_intake_template(tmp_path / "ru.xlsx", language="ru")
    workbook = openpyxl.load_workbook(path)
    assert workbook["instructions"]["A1"].value == "Как заполнить эту книгу"
    assert workbook["client"]["B3"].value == "ru"
    assert workbook["goals"]["A1"].comment.text.splitlines()[1] == TABLES["goals"].columns[0].help_ru
    with pytest.raises(ValueError):
        write_intake_template(tmp_path / "de.xlsx", language="de")


def test_filled_template_with_client_yaml_loads_like_the_csv_client(template, tmp_path):
    folder = tmp_path / "minimal-xlsx"
    dest = fill_template(template, folder / "client.xlsx")
    shutil.copy(VALID / "client.yaml", folder / "client.yaml")
    workbook = openpyxl.load_workbook(dest)
    workbook["actuals"]["A2"].value = dt.datetime(2024, 2, 1)  # what Excel makes of "2024-02"
    workbook["client"]["B3"].value = None  # the language the template fills in is client.yaml's here
    workbook.save(dest)
    got = load_client(folder)
    expected = load_client(VALID)
    for name in TABLES:
        pd.testing.assert_frame_equal(got.tables[name], expected.tables[name])
    assert got.config == expected.config
    assert got.sources["employees"] == "client.xlsx [employees]"
    assert set(got.input_hashes) == {"client.xlsx", "client.yaml"}
    assert got.warnings == ()


def test_filled_template_settings_from_the_client_sheet(template, tmp_path):
    settings = {"name": "Minimal Trading", "language": "en", "currency": "EUR", "period": "2024-03",
                "bonus_period_months": 1, "bonus_budget": 6000}
    folder = tmp_path / "minimal-sheet"
    fill_template(template, folder / "client.xlsx", settings, clear=("position_kpis", "curve"))
    data = load_client(folder)
    config = data.config
    assert (config.name, config.language, config.currency, config.period) == (
        "Minimal Trading", "en", "EUR", "2024-03")
    assert config.bonus_budget == 6000 and config.currency_decimals == 2
    assert data.sources["client"] == "client.xlsx [client]"
    assert len(data.employees) == 5


def test_workbook_problems_name_the_sheet(template, tmp_path):
    folder = tmp_path / "broken"
    dest = fill_template(template, folder / "client.xlsx", {"name": "X", "language": "fr",
                                                            "currency": "EUR", "period": "2024-03"})
    workbook = openpyxl.load_workbook(dest)
    workbook["employees"]["E2"].value = "abc"
    del workbook["goals"]
    workbook.save(dest)
    with pytest.raises(ClientDataError) as caught:
        load_client(folder)
    located = {(p.table, p.row, p.column) for p in caught.value.problems}
    assert ("client.xlsx [employees]", 2, "base_salary") in located
    assert ("client.xlsx [goals]", None, None) in located
    assert ("client.xlsx [client]", 3, "language") in located


def test_the_empty_template_reports_what_is_missing(template, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    shutil.copy(template, folder / "client.xlsx")
    problems = read_client(folder)[1]
    assert {p.column for p in problems if "required key" in p.message} == {"name", "currency", "period"}
    assert all(p.table.startswith("client.xlsx") for p in problems)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_intake_template_holds_text_never_formulas(tmp_path, language):
    """Every workbook the toolkit writes stores its strings as text (SPEC §6)."""
    import re
    import zipfile

    path = write_intake_template(tmp_path / "intake.xlsx", language=language)
    with zipfile.ZipFile(path) as book:
        sheets = [book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == len(TABLES) + 2
    assert not any(re.search(r"<f[ >/]", xml) or 't="e"' in xml for xml in sheets)
    for sheet in openpyxl.load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)


def test_template_carries_sections_and_the_year_to_date(template):
    """SPEC 3.5.1: position_kpis.section; positions.section_rule, payout_basis and clawback with their codes."""
    workbook = openpyxl.load_workbook(template)
    positions = [c.value for c in workbook["positions"][1]]
    assert {"section_rule", "payout_basis", "clawback"} <= set(positions)
    assert "section" in [c.value for c in workbook["position_kpis"][1]]
    validations = {str(dv.sqref): dv.formula1 for dv in workbook["positions"].data_validations.dataValidation}
    letter = openpyxl.utils.get_column_letter(positions.index("section_rule") + 1)
    assert validations[f"{letter}2:{letter}1000"] == '"add,multiply"'
