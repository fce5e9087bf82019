"""Loading: sources, encodings, the post-load shape, client.yaml and malformed files."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_toolkit.inputs import loading

from kpi_toolkit.inputs import validation
from kpi_toolkit.method.client import ClientData, PayoutCurve
from kpi_toolkit.errors import ClientDataError
from kpi_toolkit.inputs.loading import load_client, parse_csv, read_client, read_table, validate_client
from kpi_toolkit.method.schema import ROW, TABLES

from conftest import CLIENTS

DEMO_LOGO = Path(__file__).resolve().parent.parent / "clients" / "northwind" / "logo.png"

DTYPES = {"number": "float64", "integer": "Int64", "date": "datetime64[ns]"}


def _errors(folder: Path) -> list:
    return [p for p in read_client(folder)[1] if p.severity == "error"]


def _rewrite(folder: Path, file: str, transform, encoding="utf-8", delimiter=",", newline="\n"):
    rows = list(csv.reader(io.StringIO((folder / file).read_text(encoding="utf-8"), newline="")))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(transform(rows))
    (folder / file).write_bytes(out.getvalue().encode(encoding))


def test_valid_client_has_the_declared_shape():
    data = load_client(CLIENTS / "valid_minimal")
    assert isinstance(data, ClientData)
    assert data.slug == "valid_minimal"
    assert set(data.tables) == set(TABLES)
    for name, table in TABLES.items():
        frame = data.tables[name]
        assert list(frame.columns) == table.column_names + [ROW]
        for column in table.columns:
            expected = DTYPES.get(column.kind, "object")
            assert str(frame[column.name].dtype) == expected, (name, column.name)
        assert frame[ROW].tolist() == list(range(2, len(frame) + 2))
    assert data.employees.loc[0, "name"] == "Анна Петрова"
    assert data.employees.loc[2, "base_salary"] != data.employees.loc[2, "base_salary"]  # NaN
    assert data.employees.loc[0, "department"] == "Sales"
    assert data.employees.loc[0, "start_date"] == pd.Timestamp("2022-01-10")
    assert data.actuals.loc[18, "fact"] == pytest.approx(1234567.89)
    assert data.kpis["form"].isna().all() and data.kpis["form"].dtype == object  # absent optional column
    assert data.project["issues_opened"].tolist() == [5, 3]
    assert data.periods == ["2024-02", "2024-03"]


def test_config_sources_and_hashes():
    data = load_client(CLIENTS / "valid_minimal")
    config = data.config
    assert (config.name, config.language, config.currency, config.period) == (
        "Minimal Trading", "en", "EUR", "2024-03")
    assert config.currency_decimals == 2 and config.bonus_budget == 6000
    assert config.payout_curves == {"sales_curve": PayoutCurve(
        "sales_curve", "linear", ((0.8, 0.5), (1.0, 1.0), (1.2, 1.5)))}
    assert data.sources["employees"] == "employees.csv"
    assert data.sources["client"] == "client.yaml"
    folder = CLIENTS / "valid_minimal"
    assert data.input_hashes == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}
    assert data.warnings == ()


def _with_every_table(folder: Path) -> Path:
    """Add the optional tables valid_minimal leaves out (gates, modifiers), so an encoding test
    reads every table of the schema, numbers with fractions included."""
    (folder / "gates.csv").write_text(
        "position_id,gate_kpi_id,level,applies_to,cap\n"
        "sales-manager,RET,0.85,REV,1\n", encoding="utf-8")
    (folder / "modifiers.csv").write_text(
        "period,scope,id,factor,reason\n"
        "2024-03,department,Sales,0.9,Отгрузки сорваны\n", encoding="utf-8")
    assert {f"{name}.csv" for name in TABLES} <= {p.name for p in folder.iterdir()}
    return folder


def test_windows_1251_semicolons_and_decimal_commas_read_like_utf8(client_copy):
    folder = _with_every_table(client_copy())
    expected = load_client(folder)
    # per table: positions.level is a text (line/lead/head), gates.level a number
    numeric = {name: {c.name for c in t.columns if c.kind in ("number", "integer")}
               for name, t in TABLES.items()}

    def excel_ru(rows, numeric):
        header = rows[0]
        out = [header]
        for row in rows[1:]:
            cells = []
            for name, cell in zip(header, row):
                if name in numeric and cell:
                    whole, _, frac = cell.partition(".")
                    sign, digits = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
                    groups = f"{int(digits):,}".replace(",", "\u00a0")  # Excel's NBSP thousands
                    cell = sign + groups + ("," + frac if frac else "")
                cells.append(cell)
            out.append(cells)
        return out

    for name in TABLES:
        _rewrite(folder, f"{name}.csv", lambda rows, name=name: excel_ru(rows, numeric[name]),
                 encoding="cp1251", delimiter=";", newline="\r\n")
    raw = (folder / "actuals.csv").read_bytes()
    assert b";" in raw and b"1\xa0234\xa0567,89" in raw
    assert "Анна".encode("cp1251") in (folder / "employees.csv").read_bytes()
    assert b";0,85;" in (folder / "gates.csv").read_bytes()
    assert b";line\r\n" in (folder / "positions.csv").read_bytes()
    got = load_client(folder)
    assert got.tables["gates"].loc[0, "level"] == 0.85
    for name in TABLES:
        pd.testing.assert_frame_equal(got.tables[name], expected.tables[name], check_exact=True)


def test_utf8_with_bom_and_crlf(client_copy):
    folder = _with_every_table(client_copy())
    expected = load_client(folder)
    for name in TABLES:
        _rewrite(folder, f"{name}.csv", lambda rows: rows, encoding="utf-8-sig", newline="\r\n")
    assert (folder / "goals.csv").read_bytes().startswith(b"\xef\xbb\xbfgoal_id")
    got = load_client(folder)
    for name in TABLES:
        pd.testing.assert_frame_equal(got.tables[name], expected.tables[name])


def test_optional_tables_may_be_absent(client_copy):
    folder = client_copy()
    (folder / "project.csv").unlink()
    (folder / "stop_factors.csv").unlink()
    data = load_client(folder)
    for name in ("project", "stop_factors"):
        assert data.tables[name].empty
        assert list(data.tables[name].columns) == TABLES[name].column_names + [ROW]
    assert not data.has_project
    assert "project.csv" not in data.input_hashes


def test_unknown_column_and_file_are_warnings(client_copy):
    folder = client_copy()
    _rewrite(folder, "positions.csv",
             lambda rows: [r + (["grade"] if i == 0 else ["B"]) for i, r in enumerate(rows)])
    (folder / "employee.csv").write_text("employee_id\n", encoding="utf-8")
    data = load_client(folder)
    by_table = {p.table: p for p in data.warnings}
    column = by_table["positions.csv"]
    assert (column.row, column.column, column.severity) == (1, "grade", "warning")
    assert "unknown column 'grade'" in column.message and "remove" in column.fix
    assert "not a client table" in by_table["employee.csv"].message
    assert list(data.positions.columns) == TABLES["positions"].column_names + [ROW]


def test_unknown_settings_key_is_a_warning(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", "bonus_budget: 6000\nbonus_buget: 1")
    data = load_client(folder)
    (warning,) = data.warnings
    assert (warning.table, warning.row, warning.column) == ("client.yaml", 8, "bonus_buget")
    assert "'bonus_buget' is not a settings key; did you mean 'bonus_budget'?" in warning.message
    assert warning.fix == "rename it to 'bonus_budget', or remove it"


@pytest.mark.parametrize("added, column, message, fix", [
    ("questionnaire:\n  main_activity: Trade\n", "questionnaire.main_activity",
     "'main_activity' is not a questionnaire key; did you mean 'activity'?", "rename it to 'activity', or remove it"),
    ("questionnaire:\n  turnover: 5\n", "questionnaire.turnover", "'turnover' is not a questionnaire key (expected "
     "one of: organisation, contacts, activity,", "rename it to one of the expected keys, or remove it"),
    ("contacts:\n  - {name: Ann, mail: ann@example.com}\n", "contacts[0].mail",
     "'mail' is not a contact key; did you mean 'email'?", "rename it to 'email', or remove it"),
    ("branding:\n  color: '#1F4E79'\n", "branding.color", "'color' is not a branding key; did you mean 'colour'?",
     "rename it to 'colour', or remove it"),
    ("funnel:\n  revenue_plan: 1000\n  average_deal: 100\n  sales_managers: 1\n  stages: [{stage: contracts, conversion: 0.5}]"
     "\n  avg_deal: 5\n", "funnel.avg_deal", "'avg_deal' is not a funnel key; did you mean 'average_deal'?",
     "rename it to 'average_deal', or remove it"),
    ("funnel:\n  revenue_plan: 1000\n  average_deal: 100\n  sales_managers: 1\n  stages:\n"
     "    - {stage: contracts, conversion: 0.5, conversion_rate: 1}\n", "funnel.stages[0].conversion_rate",
     "'conversion_rate' is not a funnel stage key; did you mean 'conversion'?", "rename it to 'conversion', or remove it"),
])
def test_unknown_nested_keys_are_warned_about_with_the_nearest_key(client_copy, make_fixtures, added, column,
                                                                    message, fix):
    folder = client_copy()
    with open(folder / "client.yaml", "a", encoding="utf-8") as handle:
        handle.write(added)
    first = len((CLIENTS / "valid_minimal" / "client.yaml").read_text(encoding="utf-8").splitlines()) + 2
    (warning,) = load_client(folder).warnings
    assert (warning.table, warning.column, warning.severity) == ("client.yaml", column, "warning")
    assert first <= warning.row <= first + 4
    assert warning.message.startswith(message) and "it is ignored)" in warning.message
    assert warning.fix == fix


@pytest.mark.parametrize("added, column, message", [
    ("readiness:\n  kpis_computeable: 'yes'\n", "readiness.kpis_computeable",
     "'kpis_computeable' is not a readiness condition; did you mean 'kpis_computable'?"),
    ("project_thresholds:\n  gren: 0.9\n", "project_thresholds.gren",
     "'gren' is not a project_thresholds key; did you mean 'green'? (expected one of: green, amber)"),
])
def test_unknown_keys_that_would_change_a_result_are_errors_with_the_nearest_key(client_copy, added, column,
                                                                                  message):
    folder = client_copy()
    text = (folder / "client.yaml").read_text(encoding="utf-8")
    text = text[:text.index("project_thresholds:")]  # valid_minimal's thresholds are replaced
    (folder / "client.yaml").write_text(text + added, encoding="utf-8")
    (error,) = [p for p in validate_client(folder) if p.severity == "error"]
    assert (error.table, error.column) == ("client.yaml", column) and error.row is not None
    assert error.message.startswith(message)


def test_currency_decimals_from_iso_4217_unless_given(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "currency: EUR", "currency: JPY")
    assert load_client(folder).config.currency_decimals == 0
    make_fixtures.set_yaml(folder, "currency: JPY", "currency: JPY\ncurrency_decimals: 2")
    assert load_client(folder).config.currency_decimals == 2


def test_branding_logo_is_checked_and_hashed(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000",
                           'bonus_budget: 6000\nbranding:\n  logo: logo.png\n  colour: "#1F4E79"')
    errors = _errors(folder)
    assert [(p.column, p.row) for p in errors] == [("branding.logo", 9)]
    shutil.copy(DEMO_LOGO, folder / "logo.png")
    data = load_client(folder)
    assert data.config.branding == {"logo": folder / "logo.png", "colour": "#1F4E79", "consultancy": None}
    assert "logo.png" in data.input_hashes


def test_branding_consultancy_is_the_reports_author(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000",
                           'bonus_budget: 6000\nbranding:\n  consultancy: "  Ledger &  Partners "')
    assert load_client(folder).config.branding["consultancy"] == "Ledger & Partners"
    make_fixtures.set_yaml(folder, 'consultancy: "  Ledger &  Partners "', "consultancy: [a, b]")
    errors = _errors(folder)
    assert [(p.column, p.row) for p in errors] == [("branding.consultancy", 9)]
    assert "['a', 'b']" in errors[0].message and "in quotes" in errors[0].fix


def test_unsafe_yaml_tag_is_never_executed(client_copy, make_fixtures, tmp_path):
    folder = client_copy()
    marker = tmp_path / "pwned"
    make_fixtures.set_yaml(folder, "name: Minimal Trading",
                           f"name: !!python/object/apply:os.system ['touch {marker}']")
    with pytest.raises(ClientDataError) as caught:
        load_client(folder)
    assert not marker.exists()
    assert "tags are not allowed" in caught.value.problems[0].message


@pytest.mark.parametrize("content, fragment", [
    ("- just\n- a list\n", "expected settings as 'key: value' lines"),
    ("", "required key 'name' is missing"),
    ("name: [unclosed\n", "not valid YAML"),
    ("name: x\nproject_start: 2024-13-01\n", "'2024-13-01' is not a calendar date"),
    ("name: x\n? [a, b]\n: c\n", "found unhashable key"),
    ("name: a\nname: b\n", None),  # duplicate keys: PyYAML keeps the last; still a valid file
])
def test_odd_client_yaml(client_copy, content, fragment):
    folder = client_copy()
    (folder / "client.yaml").write_text(content, encoding="utf-8")
    problems = read_client(folder)[1]
    if fragment:
        assert any(fragment in p.message for p in problems), problems
    assert all(p.table == "client.yaml" for p in problems)


def test_missing_client_yaml_and_folder(client_copy, tmp_path):
    folder = client_copy()
    (folder / "client.yaml").unlink()
    (problem,) = _errors(folder)
    assert problem.table == "client.yaml" and "missing" in problem.message
    with pytest.raises(ClientDataError, match="not found"):
        load_client(tmp_path / "no-such-client")


@pytest.mark.parametrize("data, fragment", [
    ("goal_id,name\n".encode("utf-16"), "UTF-16"),
    (b"", "the file is empty"),
    (bytes(range(256)) * 4, ""),
    (b"\x81\x98\x81", ""),
    (b'goal_id,name,perspective\n"unterminated,x,finance\n', ""),
])
def test_malformed_csv_is_a_problem_not_a_crash(client_copy, data, fragment):
    folder = client_copy()
    (folder / "goals.csv").write_bytes(data)
    problems = [p for p in _errors(folder) if p.table == "goals.csv"]
    assert any(fragment in p.message for p in problems)


def test_malformed_workbook_is_a_problem(client_copy):
    folder = client_copy()
    for file in folder.glob("*.csv"):
        file.unlink()
    (folder / "client.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (problem,) = _errors(folder)
    assert problem.table == "client.xlsx" and "cannot open the workbook" in problem.message


def test_read_table_gives_raw_cells(tmp_path):
    file = tmp_path / "positions.csv"
    file.write_bytes("position_id;name;department;variable_share\r\np1; Продавец ;Sales;0,3\r\n"
                     .encode("cp1251"))
    table = read_table(file)
    assert table.decimal_comma and table.header[0] == "position_id"
    assert table.rows == [(2, ["p1", "Продавец", "Sales", "0,3"])]


ODD_CELLS = ["", "abc", "-1", "0", "1e309", "2024-13", "E001", "=1+1", "\u00a0", '"', "; ,",
             "12,5", "90 %", "NaN", "2024-02-30", "G1", "sales-manager", "band", "lower", "<",
             "0.0000001", "99999999999999999999", "Ё", "\t", "None", "TRUE"]


@pytest.mark.parametrize("seed", range(12))
def test_random_bad_cells_never_crash(client_copy, make_fixtures, seed):
    import random

    rng = random.Random(seed)
    folder = client_copy()
    for _ in range(8):
        file = rng.choice(sorted(p.name for p in folder.glob("*.csv")))
        rows = make_fixtures.read_csv(folder / file)
        row = rng.randrange(len(rows))
        column = rng.choice(rows[0])
        make_fixtures.set_cell(folder, file, row + 1, column, rng.choice(ODD_CELLS))
    data, problems = read_client(folder)
    assert (data is None) == any(p.severity == "error" for p in problems)
    assert all(p.table and p.message for p in problems)


# --------------------------------------------------------------------------- large files

# Quote-free CSV is split by pandas' C parser; these texts probe where it could read otherwise
# than the csv module (which reads everything else, and defines the result).
PLAIN_TEXTS = [
    "a,b,c\n1,2,3\n",
    "a,b,c\r\n1,2,3\r\n\r\n4,5,6\r\n\r\n",  # blank lines still count as rows
    "a;b;c\r1;2,5;3\r\r4;5;6",  # bare CR ends a record too
    "a,b,c\n1\n,,\n 1 , 2 ,\u00a03\u00a0\n   \n",  # short, empty and blank-only rows
    "\ufeffa,b,c\n\ufeff1,2,\ufeff 3\n",
    "a,b,,\n1,2,,\n",  # unnamed trailing columns, empty
    "a,b\n1,2,3\n",  # a row longer than the header
    "a,b,,\n1,2,,x\n",  # a value right of the named columns
    "1e309,2\n3,4\n",  # a header the C parser would read as numbers
    "99999999999999999999\n3\n",
    "TRUE,FALSE\nfalse,True\n",
    "a,b\nx,\x00y\n",
    "a,b\n\x1a1,\x0b2\x0c\n\x1c,\x85\n",
]


def _read_both(data: bytes) -> tuple:
    def seen(table):
        if isinstance(table, list):
            return table
        return table.header, table.rows, table.broken_rows, table.problems, table.decimal_comma

    fast = seen(parse_csv(data, "t", "t.csv"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loading, "_parse_plain_csv", lambda *args: None)
        slow = seen(parse_csv(data, "t", "t.csv"))
    return fast, slow


@pytest.mark.parametrize("text", PLAIN_TEXTS)
def test_plain_csv_is_read_as_the_csv_module_reads_it(text):
    fast, slow = _read_both(text.encode("utf-8"))
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab1.,; \t\r\n\ufeff\u00a0\x0b\x85E-", "\r\n", "12", "nan"]),
                max_size=60).map("".join))
def test_any_text_is_read_as_the_csv_module_reads_it(text):
    fast, slow = _read_both(text.encode("utf-8"))
    assert fast == slow


def test_large_actuals_hold_their_ids_as_categoricals(monkeypatch):
    expected = load_client(CLIENTS / "valid_minimal")
    monkeypatch.setattr(validation, "CATEGORICAL_ROWS", 1)
    data = load_client(CLIENTS / "valid_minimal")
    for column in ("period", "employee_id", "kpi_id"):
        assert isinstance(data.actuals[column].dtype, pd.CategoricalDtype), column
        assert data.actuals[column].astype(object).tolist() == expected.actuals[column].tolist()
    pd.testing.assert_frame_equal(data.actuals.drop(columns=["period", "employee_id", "kpi_id"]),
                                  expected.actuals.drop(columns=["period", "employee_id", "kpi_id"]))
    assert str(data.employees["employee_id"].dtype) == "object"
    assert data.periods == expected.periods


def test_many_rows_are_checked_row_by_row(client_copy, make_fixtures):
    """Thousands of rows with a few faults: each fault is found where it is, once."""
    folder = client_copy()
    rows = make_fixtures.read_csv(folder / "actuals.csv")
    extra = [[f"{year}-{month:02d}", employee, "REV", "100", "90"]
             for year in range(1900, 2000) for month in range(1, 13) for employee in ("E001", "E002")]
    extra[1000][3] = "1,5"
    body = rows[1:] + extra + [rows[1]]
    make_fixtures.write_csv(folder / "actuals.csv", [rows[0]] + body)
    errors = _errors(folder)
    assert [(p.row, p.column) for p in errors] == [
        (len(rows) + 1001, "plan"), (len(body) + 1, "period, employee_id, kpi_id")]
    assert "already in row 2" in errors[1].message


# --------------------------------------------------------------------------- workbooks (issue 7)


def _workbook_client(client_copy, make_fixtures, suffix, formulas=None, slug=None) -> Path:
    folder = client_copy(slug=slug or f"book{suffix.replace('.', '-')}")
    make_fixtures.tables_to_workbook(folder, suffix, formulas)
    return folder


def _assert_same_tables(got, expected=None):
    expected = expected or load_client(CLIENTS / "valid_minimal")
    for name in TABLES:
        pd.testing.assert_frame_equal(got.tables[name], expected.tables[name], check_exact=True)


def _edit_zip(path: Path, edit) -> None:
    """Rewrite the members of a zip (an .xlsx) through ``edit(name, data) -> data``."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        members = [(info, edit(info.filename, src.read(info.filename))) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in members:
            dst.writestr(info, data)


def _sheet_member(path: Path, title: str) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return book[title]._worksheet_path
    finally:
        book.close()


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_workbook_is_read_like_the_csv_files(client_copy, make_fixtures, suffix):
    folder = _workbook_client(client_copy, make_fixtures, suffix)
    data = load_client(folder)
    _assert_same_tables(data)
    assert data.sources["actuals"] == f"client{suffix} [actuals]"
    assert set(data.input_hashes) == {f"client{suffix}", "client.yaml"}


def test_ods_settings_may_come_from_its_client_sheet(client_copy, make_fixtures):
    folder = client_copy()
    (folder / "client.yaml").unlink()
    make_fixtures.set_cell(folder, "position_kpis.csv", 2, "curve", "")  # curves need client.yaml
    tables = {f.stem: make_fixtures.read_csv(f) for f in sorted(folder.glob("*.csv"))}
    for file in folder.glob("*.csv"):
        file.unlink()
    tables["client"] = [["key", "value"], ["name", "Minimal Trading"], ["language", "en"],
                        ["currency", "EUR"], ["period", "2024-03"], ["language", "ru"]]
    make_fixtures.write_ods(folder / "client.ods", tables)
    (problem,) = _errors(folder)
    assert (problem.table, problem.row, problem.column) == ("client.ods [client]", 6, "key")
    tables["client"].pop()
    make_fixtures.write_ods(folder / "client.ods", tables)
    data = load_client(folder)
    assert (data.config.name, data.config.period, data.sources["client"]) == (
        "Minimal Trading", "2024-03", "client.ods [client]")


def test_ods_as_libreoffice_writes_it(client_copy, make_fixtures):
    """Repeated cells and rows, covered cells, comments, spaces and line breaks in text."""
    folder = client_copy()
    tables = {f.stem: make_fixtures.read_csv(f) for f in sorted(folder.glob("*.csv"))}
    for file in folder.glob("*.csv"):
        file.unlink()
    make_fixtures.write_ods(folder / "client.ods", tables)
    import zipfile

    def edit(name, data):
        if name != "content.xml":
            return data
        text = data.decode()
        empty_tail = ('<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
                      '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                      'table:number-columns-repeated="1024"/></table:table-row></table:table>')
        text = text.replace("</table:table-row></table:table>", empty_tail)
        # E001's name with a comment, a run of spaces and an empty covered cell before it
        text = text.replace("<text:p>Анна Петрова</text:p>",
                            "<office:annotation><text:p>checked</text:p></office:annotation>"
                            "<text:p>Анна<text:s/>Петрова</text:p>")
        return text.encode()

    _edit_zip(folder / "client.ods", edit)
    data = load_client(folder)
    _assert_same_tables(data)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_formula_without_saved_value_is_refused_not_read_as_empty(client_copy, make_fixtures, suffix):
    """A script-written workbook: the stop factor's fact is a formula with no value. Read as
    empty, the stop factor of E004 (turnover 0.12 > 0.1) was skipped and the bonus paid in full."""
    formulas = {".xlsx": {("actuals", "E23"): "=0.1+0.02"}, ".ods": {("actuals", 23, 5): "=0.1+0.02"}}
    folder = _workbook_client(client_copy, make_fixtures, suffix, formulas[suffix])
    (problem,) = _errors(folder)
    assert (problem.table, problem.row, problem.column) == (f"client{suffix} [actuals]", 23, "fact")
    assert "cell E23 holds the formula '=0.1+0.02' but no saved value" in problem.message
    assert problem.fix == ("open and save the workbook in Excel or LibreOffice so that values "
                           "are stored")


def test_formula_with_its_saved_value_is_read(client_copy, make_fixtures):
    """As Excel or LibreOffice saves it: the formula and the value it computed."""
    folder = _workbook_client(client_copy, make_fixtures, ".xlsx", {("actuals", "E23"): "=0.1+0.02"})
    book = folder / "client.xlsx"
    sheet = _sheet_member(book, "actuals")
    _edit_zip(book, lambda name, data: (
        data.replace(b"<f>0.1+0.02</f><v />", b"<f>0.1+0.02</f><v>0.12</v>") if name == sheet
        else data.replace(b' fullCalcOnLoad="1"', b"") if name == "xl/workbook.xml" else data))
    _assert_same_tables(load_client(folder))


def test_placeholder_values_of_a_workbook_to_recalculate_are_refused(client_copy, make_fixtures):
    """XlsxWriter stores 0 for every formula and asks to be recalculated on opening."""
    folder = _workbook_client(client_copy, make_fixtures, ".xlsx", {("actuals", "E23"): "=0.1+0.02"})
    book = folder / "client.xlsx"
    sheet = _sheet_member(book, "actuals")
    _edit_zip(book, lambda name, data: data.replace(b"<v />", b"<v>0</v>") if name == sheet else data)
    (problem,) = _errors(folder)
    assert (problem.row, problem.column) == (23, "fact")
    assert "asks to be recalculated" in problem.message and "'0' may be a placeholder" in problem.message


def test_many_formula_cells_are_listed_then_counted(client_copy, make_fixtures):
    formulas = {("actuals", f"E{row}"): "=1+1" for row in range(2, 27)}
    folder = _workbook_client(client_copy, make_fixtures, ".xlsx", formulas)
    errors = _errors(folder)
    assert [p.row for p in errors[:10]] == list(range(2, 12))
    assert "15 more formula cell(s) without a saved value, in rows 12, 13" in errors[10].message
    assert len(errors) == 11


def test_stale_sheet_dimension_does_not_hide_rows(client_copy, make_fixtures):
    """A program wrote <dimension ref="A1:B3"> for sheets of more rows and columns: every row
    and column that holds a cell is read all the same."""
    import re

    folder = _workbook_client(client_copy, make_fixtures, ".xlsx")
    book = folder / "client.xlsx"
    sheets = {_sheet_member(book, title) for title in ("employees", "actuals")}
    _edit_zip(book, lambda name, data: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B3"', data)
              if name in sheets else data)
    _assert_same_tables(load_client(folder))


def test_workbooks_of_both_kinds_are_an_error(client_copy, make_fixtures):
    folder = _workbook_client(client_copy, make_fixtures, ".xlsx")
    make_fixtures.write_ods(folder / "client.ods", {"goals": make_fixtures.GOALS})
    (problem,) = _errors(folder)
    assert problem.table == "client.xlsx"
    assert "both client.xlsx and client.ods are present" in problem.message


def test_malformed_ods_is_a_problem(client_copy):
    folder = client_copy()
    for file in folder.glob("*.csv"):
        file.unlink()
    import zipfile

    with zipfile.ZipFile(folder / "client.ods", "w") as ods:
        ods.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        ods.writestr("content.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    (problem,) = _errors(folder)
    assert problem.table == "client.ods" and "document type" in problem.message


# --------------------------------------------------------------------------- binary files


@pytest.mark.parametrize("data, kind", [
    (bytes(range(256)) * 20, "binary data"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "a PNG image"),
    (b"PK\x03\x04" + bytes(100), "a zip archive"),
    (bytes(range(1, 32)) * 200, "binary data"),  # no NUL, yet no text either
])
def test_binary_file_is_not_called_utf16(client_copy, data, kind):
    folder = client_copy()
    (folder / "actuals.csv").write_bytes(data)
    (problem,) = _errors(folder)
    assert problem.table == "actuals.csv"
    assert f"not a text (CSV) file: it holds {kind}" in problem.message
    assert "UTF-16" not in problem.message and "save the table as CSV" in problem.fix


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_still_named_utf16(client_copy, encoding):
    folder = client_copy()
    (folder / "goals.csv").write_bytes((CLIENTS / "valid_minimal" / "goals.csv").read_text(
        encoding="utf-8").encode(encoding))
    (problem,) = _errors(folder)
    assert "UTF-16" in problem.message


# --------------------------------------------------------------------------- links out of the folder

SECRET = "root:x:0:0:SECRET-LINE:/root:/bin/bash"


@pytest.fixture
def outside(tmp_path):
    """A file outside every client folder, with a line that must never be echoed."""
    file = tmp_path / "elsewhere" / "passwd"
    file.parent.mkdir()
    file.write_text(SECRET + "\n" + SECRET + "\n", encoding="utf-8")
    return file


@pytest.mark.parametrize("name", ["goals.csv", "client.yaml"])
def test_link_out_of_the_client_folder_is_refused_without_its_content(client_copy, outside, name):
    folder = client_copy()
    (folder / name).unlink()
    (folder / name).symlink_to(outside)
    with pytest.raises(ClientDataError) as caught:
        load_client(folder)
    (problem,) = caught.value.problems
    assert problem.table == name and f"'{name}' is a symbolic link to a file outside" in problem.message
    assert "SECRET" not in str(caught.value) and str(outside) not in str(caught.value)


def test_linked_workbook_and_logo_out_of_the_folder_are_refused(client_copy, make_fixtures, outside):
    folder = client_copy()
    for file in folder.glob("*.csv"):
        file.unlink()
    (folder / "client.xlsx").symlink_to(outside)
    (folder / "logo.png").symlink_to(outside)
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", "bonus_budget: 6000\nbranding:\n  logo: logo.png")
    problems = _errors(folder)
    text = "\n".join(map(str, problems))
    assert "'client.xlsx' is a symbolic link to a file outside" in text
    assert any(p.column == "branding.logo" for p in problems)
    assert "SECRET" not in text and str(outside) not in text


def test_links_inside_the_client_folder_are_followed(client_copy):
    folder = client_copy()
    (folder / "data").mkdir()
    (folder / "actuals.csv").rename(folder / "data" / "actuals.csv")
    (folder / "actuals.csv").symlink_to(Path("data") / "actuals.csv")
    _assert_same_tables(load_client(folder))


def test_client_folder_itself_may_be_a_link(client_copy, tmp_path):
    folder = client_copy()
    link = tmp_path / "linked"
    link.symlink_to(folder)
    _assert_same_tables(load_client(link))


# --------------------------------------------------------------------------- hostile input


def test_billion_laughs_client_yaml_is_refused(client_copy, make_fixtures):
    """Nine lines that stand for 10⁹ values: refused from the node tree, never expanded (the
    old reader walked the expansion for 26 s and died with MemoryError)."""
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000\n", "bonus_budget: 6000\n" + make_fixtures.BILLION_LAUGHS)
    (problem,) = _errors(folder)
    assert problem.table == "client.yaml" and "billion laughs" in problem.message


def test_deeply_nested_yaml_is_refused(client_copy):
    folder = client_copy()
    text = (CLIENTS / "valid_minimal" / "client.yaml").read_text(encoding="utf-8")
    (folder / "client.yaml").write_text(text + "questionnaire: " + "[" * 50000 + "]" * 50000 + "\n",
                                        encoding="utf-8")
    (problem,) = _errors(folder)
    assert problem.table == "client.yaml" and "nested" in problem.message


def test_yaml_aliases_that_stay_small_are_read(client_copy, make_fixtures):
    folder = client_copy()
    make_fixtures.set_yaml(folder, "    points:\n      - [0.8, 0.5]\n      - [1.0, 1.0]\n      - [1.2, 1.5]\n",
                           "    points: &points\n      - [0.8, 0.5]\n      - [1.0, 1.0]\n      - [1.2, 1.5]\n"
                           "  other_curve:\n    type: linear\n    points: *points\n")
    data = load_client(folder)
    assert data.config.payout_curves["other_curve"].points == data.config.payout_curves["sales_curve"].points


LONG = 3_000_000  # characters of one cell or line; real values have tens


def _problems_text(folder: Path) -> str:
    return "\n".join(map(str, read_client(folder)[1]))


@pytest.mark.parametrize("where", ["number", "id", "header", "yaml", "enum"])
def test_a_huge_cell_is_quoted_cut_short(client_copy, make_fixtures, where):
    folder = client_copy()
    huge = "9" * LONG + "x"
    if where == "number":
        make_fixtures.set_cell(folder, "employees.csv", 2, "base_salary", huge)
    elif where == "id":
        make_fixtures.set_cell(folder, "actuals.csv", 2, "employee_id", "E" + huge)
    elif where == "header":
        make_fixtures.replace_text(folder, "positions.csv", "position_id,", "position_id," + huge + ",")
    elif where == "enum":
        make_fixtures.set_cell(folder, "kpis.csv", 2, "direction", "up" * (LONG // 2))
    else:
        make_fixtures.set_yaml(folder, "currency: EUR", f"currency: {huge}")
    text = _problems_text(folder)
    assert 0 < len(text) < 3000, text[:3000]
    assert re.search(r"… \([\d,]{9} characters", text), text


def test_ods_formula_results_are_read_as_libreoffice_stores_them(tmp_path, make_fixtures):
    """What LibreOffice saves for formulas: a number, an empty text (no type, an empty
    paragraph), an error shown as text; only a formula with neither is refused."""
    from kpi_toolkit.inputs import workbooks

    path = tmp_path / "f.ods"
    make_fixtures.write_ods(path, {"t": [["a", "b", "c", "d"], ["", "", "", ""]]},
                            {("t", 2, 4): "=1+1"})

    def edit(name, data):
        if name != "content.xml":
            return data
        cells = ('<table:table-cell table:formula="of:=0.1+0.02" office:value-type="float" '
                 'office:value="0.12"><text:p>0.12</text:p></table:table-cell>'
                 '<table:table-cell table:formula="of:=&quot;&quot;"><text:p/></table:table-cell>'
                 '<table:table-cell table:formula="of:=1/0" office:value-type="string" '
                 'office:string-value=""><text:p>#DIV/0!</text:p></table:table-cell>')
        return data.replace(b"<table:table-cell/><table:table-cell/><table:table-cell/>", cells.encode(), 1)

    _edit_zip(path, edit)
    book = workbooks.open_book(path.read_bytes(), ".ods")
    sheet = book.sheet("t")
    assert sheet.rows == [(1, ["a", "b", "c", "d"]), (2, ["0.12", None, "#DIV/0!"])]
    assert [(f.row, f.column, f.formula, f.reason) for f in sheet.formulas] == [
        (2, 4, "=1+1", workbooks.NO_VALUE)]


def test_a_linked_folder_that_is_not_read_is_no_problem(client_copy, outside):
    folder = client_copy()
    (folder / "archive").symlink_to(outside.parent)
    assert load_client(folder).warnings == ()


def test_formula_without_value_in_the_client_sheet_is_refused(client_copy, make_fixtures):
    folder = client_copy()
    (folder / "client.yaml").unlink()
    make_fixtures.set_cell(folder, "position_kpis.csv", 2, "curve", "")
    tables = {f.stem: make_fixtures.read_csv(f) for f in sorted(folder.glob("*.csv"))}
    for file in folder.glob("*.csv"):
        file.unlink()
    tables["client"] = [["key", "value"], ["name", "Minimal Trading"], ["language", "en"],
                        ["currency", "EUR"], ["period", ""]]
    make_fixtures.write_ods(folder / "client.ods", tables, {("client", 5, 2): '="2024-"&"03"'})
    problems = _errors(folder)
    formula = [p for p in problems if "holds the formula" in p.message]
    assert [(p.table, p.row, p.column) for p in formula] == [("client.ods [client]", 5, "value")]
    assert "'=\"2024-\"&\"03\"'" in formula[0].message
