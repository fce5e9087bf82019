"""Read a client folder into a validated :class:`~kpi_toolkit.method.client.ClientData`.

A client folder (SPEC §4) holds its tables either as ``<table>.csv`` files or as sheets of
one ``client.xlsx`` (or LibreOffice ``client.ods``) workbook, read by
:mod:`kpi_toolkit.inputs.workbooks`, and its settings in ``client.yaml``, on the workbook's
``client`` sheet (columns ``key`` and ``value``, nested keys joined by dots, see
:mod:`kpi_toolkit.inputs.settings_sheet`), or in both: they are merged, and a setting given in
both places is an error naming both.

CSV files may be UTF-8 (with or without BOM) separated by ``,``, or what Excel on Windows
writes: Windows-1251 separated by ``;`` with decimal commas (``1 234,56``).

Only files inside the client folder are read: a file that is a symbolic link leading out of
it is refused, without naming its target or quoting it. ``client.yaml`` is composed with
:mod:`kpi_toolkit.inputs.yaml_bounds`, which refuses aliases that expand without bound.

This module only *reads*: every cell comes out as text (or as the number or date a workbook
cell holds) in a :class:`RawTable`; :mod:`kpi_toolkit.inputs.validation` converts and checks it.
Nothing here raises for bad data except :func:`load_client`, which raises one
:class:`~kpi_toolkit.errors.ClientDataError` listing every problem found.

A table is kept column by column, each column as its distinct cells plus one code per record
(:class:`RawColumn`), so that a file of millions of rows is converted and checked once per
distinct value. CSV text without quotes is split by pandas' C parser; anything else (quoted
cells, rows longer than the header, text the C parser refuses) by the :mod:`csv` module,
which defines how a file is read.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from kpi_toolkit.inputs import validation, workbooks, yaml_bounds
from kpi_toolkit.inputs.raw import RawClient, RawColumn, RawSettings, RawTable
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.errors import ClientDataError, KpiToolkitError, Problem, shorten
from kpi_toolkit.fileio import client_slug
from kpi_toolkit.inputs.scenarios import apply_scenario
from kpi_toolkit.inputs.settings_sheet import merge_settings, sheet_settings
from kpi_toolkit.method.schema import TABLES

log = logging.getLogger("kpi_toolkit")

WORKBOOK = "client.xlsx"
WORKBOOKS = (WORKBOOK, "client.ods")  # read alike (SPEC §4)
SETTINGS = "client.yaml"
SETTINGS_SHEET = "client"
IGNORED_SHEETS = ("instructions",)  # the intake template's own sheet

_BLANK = re.compile(r"[\s\ufeff]")  # what _cell strips: str.isspace() characters and BOMs
# The same as characters for str.strip, which then takes off any mix of them ("\ufeff \ufeffa"
# -> "a"), as pandas' parser, which drops a BOM at the start of the text, needs to agree.
_STRIPPED = "".join(chr(c) for c in (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680,
                                     *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F,
                                     0x3000, 0xFEFF))
# Tags that yaml.safe_load can construct; anything else (``!!python/...``, ``!custom``) is refused.
_SAFE_TAGS = frozenset(tag for tag in yaml.SafeLoader.yaml_constructors if tag)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


# --------------------------------------------------------------------------- public API


def load_client(path: str | Path) -> ClientData:
    """Read, convert and check a client folder.

    Raises
    ------
    ClientDataError
        With every error found (never stopping at the first). Warnings do not raise; they
        are in :attr:`ClientData.warnings`.
    """
    data, problems = read_client(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors or data is None:
        raise ClientDataError(errors, client=Path(path).name)
    return data


def validate_client(path: str | Path) -> list[Problem]:
    """Every problem of a client folder, errors and warnings; never raises for bad data."""
    return read_client(path)[1]


def load_for_period(folder, period: str | None = None, scenario: str | None = None) -> tuple[ClientData, str]:
    """Load and validate a client folder, apply a saved scenario, and settle the period.

    The client's slug, under which its output is filed, is the name of the folder ``folder``
    resolves to (``.`` inside ``clients/acme`` is ``acme``).

    Raises :class:`~kpi_toolkit.errors.ClientDataError` / ``ScenarioError`` for bad input and
    :class:`~kpi_toolkit.errors.KpiToolkitError` for a period without actuals or a folder
    whose name is not a slug.
    """
    slug = client_slug(folder)
    client = load_client(folder)
    if client.slug != slug:
        client = replace(client, slug=slug)
    if scenario:
        client = apply_scenario(client, scenario)
    period = period or client.config.period
    if period not in client.periods:
        raise KpiToolkitError(f"no actuals for period {period}; periods with actuals: "
                              f"{', '.join(client.periods) or 'none'}")
    return client, period


def read_client(path: str | Path) -> tuple[ClientData | None, list[Problem]]:
    """Read and check a client folder; return the client (``None`` when it has errors
    that leave nothing to build) and every problem found, errors and warnings."""
    folder = Path(path)
    slug = folder.name
    if not folder.is_dir():
        problem = Problem(table=str(folder), message=f"client folder '{folder}' not found",
                          fix="check the path; a client folder is clients/<slug>/")
        return None, [replace(problem, client=slug)]
    raw = read_sources(folder)
    data, problems = validation.check_client(raw)
    problems = [replace(p, client=slug) for p in raw.problems + problems]
    if data is not None:
        warnings = tuple(p for p in problems if p.severity == "warning")
        data = replace(data, warnings=warnings)
    if any(p.severity == "error" for p in problems):
        log.debug("client %s: %d problem(s)", slug, len(problems))
    return data, problems


def read_sources(folder: Path) -> RawClient:
    """Read every table and the settings of ``folder`` as they are, collecting problems."""
    raw = RawClient(path=folder)
    linked_out = {p.name for p in folder.iterdir()
                  if (p.suffix.lower() == ".csv" or p.name in (*WORKBOOKS, SETTINGS))
                  and leads_outside(p, folder)}
    for name in sorted(linked_out):
        raw.problems.append(link_problem(name))
    csv_files = sorted(p for p in folder.iterdir()
                       if p.is_file() and p.suffix.lower() == ".csv" and p.name not in linked_out)
    books = [folder / name for name in WORKBOOKS if (folder / name).is_file() or name in linked_out]
    if len(books) > 1 or (books and csv_files):
        fix = None
        if csv_files:
            other, keep = f"CSV files ({', '.join(p.name for p in csv_files)})", "the CSV files"
            if all(_header_only(p) for p in csv_files):
                fix = (f"the CSV files hold only their header rows (as 'kpi-toolkit new' writes them): delete "
                       f"them to use {books[0].name} ('kpi-toolkit new SLUG --workbook' makes a client without them)")
        else:
            other = keep = books[1].name
        raw.problems.append(Problem(
            table=books[0].name,
            message=f"both {books[0].name} and {other} are present; expected the tables in one place only",
            fix=fix or f"keep either {books[0].name} or {keep} and move the other away"))
        return raw
    if books and books[0].name in linked_out:
        for name in TABLES:
            raw.sources[name] = f"{books[0].name} [{name}]"
    elif books:
        _read_workbook_into(raw, books[0])
    else:
        _read_csv_folder_into(raw, folder, csv_files, linked_out)
    yaml_file = folder / SETTINGS
    if yaml_file.name in linked_out:
        pass  # reported above; not "missing"
    elif yaml_file.is_file():
        settings = read_yaml(yaml_file, raw)
        if settings is not None and raw.settings is not None:  # the workbook's client sheet
            settings, problems = merge_settings(raw.settings, settings)
            raw.problems.extend(problems)
        raw.settings = settings
    elif raw.settings is None:
        raw.problems.append(Problem(
            table=SETTINGS, message=f"{SETTINGS} is missing; expected the client's settings",
            fix="create client.yaml with name, language, currency and period "
                "(kpi-toolkit new writes a commented one)"))
    if raw.settings is not None:
        raw.sources["client"] = " + ".join(dict.fromkeys([raw.settings.source, *raw.settings.origins.values()]))
    return raw


def _header_only(file: Path) -> bool:
    """Whether a CSV file holds at most a header row (what ``new`` writes)."""
    try:
        return file.stat().st_size <= 4096 and len(file.read_bytes().strip().splitlines()) <= 1
    except OSError:
        return False


def leads_outside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is a symbolic link (or inside a linked folder) that leads out of
    ``folder``. The client folder itself may be a link; links inside it may be followed."""
    try:
        return not path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a loop of links leads nowhere inside the folder either
        return True


def link_problem(name: str) -> Problem:
    """The problem of a file that links out of the client folder. Neither the link's target
    nor anything of its content is named: the toolkit reads the client's folder, nothing else."""
    return Problem(
        table=name, message=f"'{name}' is a symbolic link to a file outside the client folder; "
                            "only files inside the client folder are read",
        fix=f"copy the file into the client folder in place of the link '{name}'")


def read_table(file: str | Path, name: str | None = None) -> RawTable | list[Problem]:
    """Read one CSV file as a :class:`RawTable`, or return the problems that prevent it."""
    file = Path(file)
    data = file.read_bytes()
    return parse_csv(data, name or file.stem, file.name)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- CSV


def decode_text(data: bytes, source: str) -> tuple[str | None, list[Problem]]:
    """Decode CSV bytes: UTF-8 (BOM or not), else Windows-1251 as Excel on Windows writes."""
    kind = _binary_kind(data)
    if kind == "utf-16":
        return None, [Problem(
            table=source, message="the file is UTF-16 ('Unicode text'); expected UTF-8 or Windows-1251",
            fix="in Excel use File > Save As > 'CSV UTF-8 (comma delimited)'")]
    if kind:
        return None, [Problem(
            table=source, message=f"the file is not a text (CSV) file: it holds {kind}; "
                                  "expected comma-separated text",
            fix=f"save the table as CSV under this name ({source}), or move the file out of the folder")]
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding), []
        except UnicodeDecodeError:
            continue
    return None, [Problem(
        table=source, message="the file is neither UTF-8 nor Windows-1251 text",
        fix="save it as 'CSV UTF-8 (comma delimited)'")]


_SIGNATURES = (  # how common binary files begin
    (b"PK\x03\x04", "a zip archive (an .xlsx or .ods workbook is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls (or other Office) file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed data"),
)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")  # never in text a spreadsheet writes


def _binary_kind(data: bytes) -> str | None:
    """``"utf-16"`` for UTF-16 text, what the data is for a known binary format or other
    binary data, ``None`` for text."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if b"\x00" in head and _is_utf16(head):
        return "utf-16"
    if b"\x00" in head or len(_CONTROL.findall(head)) > max(16, len(head) // 10):
        return "binary data"
    return None


def _is_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: text of ASCII-range characters has every other byte zero."""
    head = head[:len(head) // 2 * 2]
    for zeros, chars in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):  # LE, BE
        if zeros.count(0) >= len(zeros) * 0.9 and chars.count(0) <= len(chars) * 0.1:
            return True
    return False


def sniff_delimiter(text: str) -> str:
    """``;`` when the header line has more semicolons than commas, else ``,``."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def parse_csv(data: bytes, name: str, source: str) -> RawTable | list[Problem]:
    """Parse CSV bytes into a :class:`RawTable` (or the problems that prevent it)."""
    text, problems = decode_text(data, source)
    if text is None:
        return problems
    if not text.strip():
        return [Problem(table=source, row=1, message="the file is empty; expected a header row",
                        fix="write the column names in the first row (kpi-toolkit new does it)")]
    delimiter = sniff_delimiter(text)
    table = _parse_plain_csv(text, delimiter, name, source)
    if table is not None:
        return table
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        return [Problem(table=source, message=f"the file is not readable CSV: {exc}",
                        fix="open it in a spreadsheet and save it again as CSV")]
    header = [_cell(h) or "" for h in records[0]]
    while header and not header[-1]:
        header.pop()
    rows = []
    for number, record in enumerate(records[1:], start=2):
        cells = [_cell(c) for c in record]
        if all(c is None for c in cells):
            continue
        if len(cells) > len(header) and any(c is not None for c in cells[len(header):]):
            problems.append(_split_row_problem(source, number, cells, header, delimiter))
        rows.append((number, (cells + [None] * len(header))[:len(header)]))
    return RawTable.from_rows(name, source, header, rows, decimal_comma=delimiter == ";",
                              broken_rows={p.row for p in problems}, problems=problems)


def _parse_plain_csv(text: str, delimiter: str, name: str, source: str) -> RawTable | None:
    """Read CSV text without quotes with pandas' C parser, as the csv module would read it.

    ``None`` when the text is not that simple (quotes, NUL characters, a row with more cells
    than the header, anything the C parser refuses): the csv module then reads it. Without
    quotes both split records at ``\\r``, ``\\n`` or ``\\r\\n`` and cells at the delimiter; a
    short row is padded with empty cells by both.
    """
    if '"' in text or "\x00" in text:
        return None
    try:
        frame = pd.read_csv(io.BytesIO(text.encode("utf-8")), sep=delimiter, header=None,
                            dtype="category", na_filter=False, skip_blank_lines=False,
                            quoting=csv.QUOTE_NONE, engine="c", low_memory=False, encoding="utf-8")
    except Exception:  # whatever the C parser refuses is read by the csv module instead
        return None
    columns = [_plain_column(frame[j].array) for j in frame.columns]
    if None in columns:
        return None  # the parser read a column, header cell included, as numbers or booleans
    header = [c.values[c.codes[0]] if c.codes[0] >= 0 else "" for c in columns]  # record 0
    while header and not header[-1]:
        header.pop()
    if any((c.codes[1:] >= 0).any() for c in columns[len(header):]):
        return None  # a row longer than the header: the csv module counts its cells
    filled = np.zeros(len(frame), dtype=bool)
    for column in columns:
        filled |= column.codes >= 0
    filled[0] = False  # the header
    numbers = np.arange(1, len(frame) + 1, dtype=np.int64)[filled]
    columns = [column.take(filled) for column in columns[:len(header)]]
    return RawTable(name=name, source=source, header=header, numbers=numbers, columns=columns,
                    decimal_comma=delimiter == ";")


def _plain_column(cells: pd.Categorical) -> RawColumn | None:
    """A :class:`RawColumn` from the C parser's categorical: each distinct text normalised once
    (as :func:`_cell` does); ``None`` if the parser turned the texts into numbers."""
    texts = cells.categories.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(texts, skipna=False) != "string":
        return None
    codes = cells.codes.astype(np.intp)
    if all(texts) and not _BLANK.search("".join(texts)):  # usually: nothing to strip
        return RawColumn(texts, codes)
    normalised = [text.strip(_STRIPPED) or None for text in texts]
    column = RawColumn.from_cells(normalised)
    return RawColumn(column.values, np.append(column.codes, -1)[codes])


def _split_row_problem(source, number, cells, header, delimiter) -> Problem:
    fix = "remove the extra cells"
    if delimiter == ",":
        fix = ("a number written with a decimal comma (12,5) splits the cell in a comma-separated "
               "file: write 12.5, or quote the cell")
    return Problem(table=source, row=number,
                   message=f"the row has {len(cells)} cells but the header has {len(header)} "
                           f"columns ({', '.join(header)})",
                   fix=fix)


def _cell(value: Any) -> Any:
    """Normalise a cell: strip text, empty -> None; workbook numbers and dates pass through."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        value = value.strip(_STRIPPED)
        return value or None
    if isinstance(value, (dt.datetime, dt.date, int, float)):
        return value
    return str(value).strip() or None


def _read_csv_folder_into(raw: RawClient, folder: Path, csv_files: list[Path],
                          linked_out: set[str] = frozenset()) -> None:
    by_name = {p.stem: p for p in csv_files}
    for stem, file in by_name.items():
        if stem not in TABLES:
            raw.problems.append(Problem(
                table=file.name, severity="warning",
                message=f"file '{file.name}' is not a client table and is ignored; expected one of: "
                        + ", ".join(f"{t}.csv" for t in TABLES),
                fix="rename it if it is one of the tables, or move it out of the folder"))
    for name, table in TABLES.items():
        source = f"{name}.csv"
        raw.sources[name] = source
        file = by_name.get(name)
        if file is None:
            if table.required and source not in linked_out:
                raw.problems.append(Problem(
                    table=source, message=f"required file '{source}' is missing",
                    fix=f"add {source} with the columns {', '.join(table.column_names)}"))
            continue
        try:
            data = file.read_bytes()
        except OSError as exc:
            raw.problems.append(Problem(table=source, message=f"cannot read the file: {exc}",
                                        fix="check the file's permissions"))
            continue
        raw.hashes[file.name] = sha256(data)
        result = parse_csv(data, name, source)
        if isinstance(result, list):
            raw.problems.extend(result)
            continue
        raw.problems.extend(result.problems)
        raw.tables[name] = result


# --------------------------------------------------------------------------- workbook


def _read_workbook_into(raw: RawClient, file: Path) -> None:
    data = file.read_bytes()
    raw.hashes[file.name] = sha256(data)
    book_name = file.name
    try:
        book = workbooks.open_book(data, file.suffix.lower())
    except workbooks.WorkbookError as exc:  # any malformed workbook is a problem to report
        raw.problems.append(Problem(
            table=book_name, message=f"cannot open the workbook: {exc}",
            fix=f"open it in Excel or LibreOffice and save it again as {file.suffix.lower()}"))
        for name in TABLES:
            raw.sources[name] = f"{book_name} [{name}]"
        return
    try:
        sheets = book.titles
        for title in sheets:
            if title not in TABLES and title != SETTINGS_SHEET and title not in IGNORED_SHEETS:
                raw.problems.append(Problem(
                    table=f"{book_name} [{title}]", severity="warning",
                    message=f"sheet '{title}' is not a client table and is ignored; expected: "
                            + ", ".join(TABLES),
                    fix="rename it if it is one of the tables"))
        for name, table in TABLES.items():
            source = f"{book_name} [{name}]"
            raw.sources[name] = source
            if name not in sheets:
                if table.required:
                    raw.problems.append(Problem(
                        table=source, message=f"required sheet '{name}' is missing",
                        fix=f"add a sheet '{name}' with the columns {', '.join(table.column_names)}"))
                continue
            table = raw.tables[name] = _sheet_table(book.sheet(name), name, source)
            raw.problems.extend(table.problems)
        if SETTINGS_SHEET in sheets:
            raw.settings = _sheet_settings(book.sheet(SETTINGS_SHEET), raw, book_name)
    except workbooks.WorkbookError as exc:
        raw.problems.append(Problem(
            table=book_name, message=f"cannot read the workbook: {exc}",
            fix=f"open it in Excel or LibreOffice and save it again as {file.suffix.lower()}"))
    finally:
        book.close()


def _sheet_rows(sheet: workbooks.Sheet) -> list[tuple[int, list[Any]]]:
    rows = []
    for number, values in sheet.rows:
        cells = [_cell(v) for v in values]
        if number == 1 or any(c is not None for c in cells):
            rows.append((number, cells))
    return rows


FORMULA_FIX = "open and save the workbook in Excel or LibreOffice so that values are stored"
_FORMULAS_LISTED = 10  # per sheet; the rest are counted in one more problem


def _formula_problems(sheet: workbooks.Sheet, source: str, header: list[str]) -> list[Problem]:
    """One problem per formula cell whose value is not stored, or is a placeholder."""
    problems = []
    for cell in sheet.formulas[:_FORMULAS_LISTED]:
        where = f"{workbooks.column_letter(cell.column)}{cell.row}"
        column = header[cell.column - 1] if 0 < cell.column <= len(header) and header[cell.column - 1] \
            else workbooks.column_letter(cell.column)
        if cell.reason == workbooks.NO_VALUE:
            message = (f"cell {where} holds the formula '{shorten(cell.formula)}' but no saved value "
                       "(the workbook was written by a program or never recalculated); "
                       "expected the value Excel shows")
        else:
            message = (f"cell {where} holds the formula '{shorten(cell.formula)}' and the workbook asks "
                       "to be recalculated when opened (it was written by a program, not saved by "
                       f"Excel or LibreOffice), so its stored value '{shorten(cell.stored)}' may be a "
                       "placeholder; expected the value Excel shows")
        problems.append(Problem(table=source, row=cell.row, column=column, message=message,
                                fix=FORMULA_FIX))
    more = sheet.formulas[_FORMULAS_LISTED:]
    if more:
        rows = sorted({c.row for c in more})
        problems.append(Problem(
            table=source, message=f"{len(more)} more formula cell(s) without a saved value, in rows "
                                  + _rows_listing(rows), fix=FORMULA_FIX))
    return problems


def _rows_listing(rows: list[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _sheet_table(sheet: workbooks.Sheet, name: str, source: str) -> RawTable:
    rows = _sheet_rows(sheet)
    header = [str(h) if h is not None else "" for h in (rows[0][1] if rows and rows[0][0] == 1 else [])]
    while header and not header[-1]:
        header.pop()
    problems, records = [], []
    for number, cells in rows:
        if number == 1:
            continue
        if any(c is not None for c in cells[len(header):]):
            problems.append(Problem(
                table=source, row=number,
                message=f"the row has values right of the last named column ({len(header)} columns: "
                        f"{', '.join(header)})",
                fix="give the column a name in row 1, or clear those cells"))
        records.append((number, (cells + [None] * len(header))[:len(header)]))
    broken = {p.row for p in problems}
    failed = {(c.row, header[c.column - 1]) for c in sheet.formulas if 0 < c.column <= len(header)}
    return RawTable.from_rows(name, source, header, records, broken_rows=broken, failed_cells=failed,
                              problems=_formula_problems(sheet, source, header) + problems)


def _sheet_settings(sheet: workbooks.Sheet, raw: RawClient, book_name: str = WORKBOOK) -> RawSettings:
    source = f"{book_name} [{SETTINGS_SHEET}]"
    rows = _sheet_rows(sheet)
    header = [str(h).strip().lower() if h is not None else "" for h in (rows[0][1] if rows else [])]
    raw.problems.extend(_formula_problems(sheet, source, header))
    unsaved = {c.row for c in sheet.formulas}
    if "key" not in header or "value" not in header:
        raw.problems.append(Problem(
            table=source, row=1, message=f"expected the columns 'key' and 'value' in row 1, found "
                                         f"{', '.join(repr(h) for h in header if h) or 'none'}",
            fix="write 'key' in A1 and 'value' in B1"))
        return RawSettings(source=source, values={})
    k, v = header.index("key"), header.index("value")
    records = []
    for number, values in sheet.rows:
        values = list(values) + [None] * (max(k, v) + 1 - len(values))
        key, value = _cell(values[k]), values[v]
        # true and false stay what they are (payroll.skip_zero), not the text a table cell becomes
        value = value if isinstance(value, bool) else _cell(value)
        if number > 1 and key is not None and number not in unsaved:
            records.append((number, key, value))
    settings, problems = sheet_settings(records, source)
    raw.problems.extend(problems)
    return settings


# --------------------------------------------------------------------------- client.yaml


def read_yaml(file: Path, raw: RawClient) -> RawSettings | None:
    """Read ``client.yaml`` safely: syntax errors and unsafe tags become problems."""
    data = file.read_bytes()
    raw.hashes[file.name] = sha256(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raw.problems.append(Problem(table=SETTINGS, message="client.yaml is not UTF-8 text",
                                    fix="save it as UTF-8"))
        return None
    try:
        # compose builds the node tree only (no objects are constructed): line numbers and
        # the tags used, before anything is loaded.
        root = yaml_bounds.compose(text)
    except yaml_bounds.UnboundedYamlError as exc:
        raw.problems.append(Problem(table=SETTINGS, row=exc.line, message=exc.message, fix=exc.fix))
        return None
    except yaml.MarkedYAMLError as exc:
        raw.problems.append(_yaml_syntax_problem(exc))
        return None
    except yaml.YAMLError as exc:
        raw.problems.append(Problem(table=SETTINGS, message=f"not valid YAML: {exc}",
                                    fix="correct the syntax"))
        return None
    settings = RawSettings(source=SETTINGS, values=None)
    tag_problems: list[Problem] = []
    if root is not None:
        _walk_nodes(root, "", settings.lines, tag_problems)
    if tag_problems:
        raw.problems.extend(tag_problems)
        return None
    try:
        settings.values = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:  # e.g. a list used as a key
        raw.problems.append(_yaml_syntax_problem(exc))
        return None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raw.problems.append(Problem(table=SETTINGS, message=f"not valid YAML: {exc}",
                                    fix="correct the value"))
        return None
    return settings


def _yaml_syntax_problem(exc: yaml.MarkedYAMLError) -> Problem:
    mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
    what = exc.problem or "syntax error"
    if exc.context:
        started = f" on line {context.line + 1}" if context and mark and context.line != mark.line else ""
        what = f"{exc.context}{started}: {what}"
    return Problem(table=SETTINGS, row=mark.line + 1 if mark else None,
                   message=f"not valid YAML, {what}" + (f" (column {mark.column + 1})" if mark else ""),
                   fix="correct the syntax (indent with spaces, quote values that contain ':' or '#')")


def _walk_nodes(node: yaml.Node, path: str, lines: dict[str, int], problems: list[Problem]) -> None:
    if node.tag not in _SAFE_TAGS:
        problems.append(Problem(
            table=SETTINGS, row=node.start_mark.line + 1, column=path or None,
            message=f"tags are not allowed: found '{_short_tag(node.tag)}'; expected plain values, "
                    "lists and maps",
            fix="remove the tag (the text starting with '!')"))
        return
    if node.tag == _TIMESTAMP and not _is_calendar_date(node.value):
        problems.append(Problem(
            table=SETTINGS, row=node.start_mark.line + 1, column=path or None,
            message=f"'{node.value}' is not a calendar date; expected YYYY-MM-DD",
            fix="check the month and the day"))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            lines.setdefault(child, key_node.start_mark.line + 1)
            _walk_nodes(key_node, child, {}, problems)
            _walk_nodes(value_node, child, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            lines.setdefault(child, item.start_mark.line + 1)
            _walk_nodes(item, child, lines, problems)


def _is_calendar_date(text: str) -> bool:
    try:
        yaml.SafeLoader.construct_yaml_timestamp(yaml.SafeLoader(""), yaml.ScalarNode(_TIMESTAMP, text))
    except (ValueError, OverflowError):
        return False
    return True


def _short_tag(tag: str) -> str:
    """A tag as it was written: ``tag:yaml.org,2002:python/...`` -> ``!!python/...``."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag
