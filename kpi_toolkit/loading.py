"""Read a client folder into a validated :class:`~kpi_toolkit.client.ClientData`.

A client folder (SPEC §4) holds its tables either as ``<table>.csv`` files or as sheets of
one ``client.xlsx`` workbook, and its settings in ``client.yaml``. With a workbook and no
``client.yaml``, the settings come from the workbook's ``client`` sheet (columns ``key`` and
``value``); nested settings (``payout_curves``, ``funnel``, ``branding``, ``contacts``, ...)
cannot be written in that sheet and need a ``client.yaml``, which then replaces the sheet.

CSV files may be UTF-8 (with or without BOM) separated by ``,``, or what Excel on Windows
writes: Windows-1251 separated by ``;`` with decimal commas (``1 234,56``).

This module only *reads*: every cell comes out as text (or as the number or date a workbook
cell holds) in a :class:`RawTable`; :mod:`kpi_toolkit.validation` converts and checks it.
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import validation, yaml_bounds
from .client import ClientData
from .errors import ClientDataError, Problem
from .schema import TABLES

log = logging.getLogger("kpi_toolkit")

WORKBOOK = "client.xlsx"
SETTINGS = "client.yaml"
SETTINGS_SHEET = "client"
IGNORED_SHEETS = ("instructions",)  # the intake template's own sheet

_BLANK = re.compile(r"[\s\ufeff]")  # what _cell strips: str.isspace() characters and BOMs
# Tags that yaml.safe_load can construct; anything else (``!!python/...``, ``!custom``) is refused.
_SAFE_TAGS = frozenset(tag for tag in yaml.SafeLoader.yaml_constructors if tag)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


@dataclass
class RawColumn:
    """One column of a :class:`RawTable`: its distinct cells, and per record which one it holds.

    ``values`` holds every distinct non-empty cell once: ``str`` (stripped, never empty) or
    the ``int``/``float``/``datetime`` a workbook cell holds. ``codes[i]`` is the position in
    ``values`` of record ``i``'s cell, or -1 for an empty cell.
    """

    values: np.ndarray  # object
    codes: np.ndarray  # intp, one per record

    @classmethod
    def from_cells(cls, cells: list[Any]) -> "RawColumn":
        """The column of ``cells`` (``None`` = empty), each distinct cell kept once."""
        index: dict[Any, int] = {}
        codes = np.fromiter((-1 if c is None else index.setdefault(c, len(index)) for c in cells),
                            dtype=np.intp, count=len(cells))
        return cls(_object_array(index), codes)

    def cells(self) -> list[Any]:
        lookup = [*self.values, None]  # code -1 picks the trailing None
        return [lookup[c] for c in self.codes]

    def take(self, records: np.ndarray | slice) -> "RawColumn":
        """The column of some records only, without the values they do not hold."""
        codes = self.codes[records]
        used = np.zeros(len(self.values) + 1, dtype=bool)
        used[codes] = True  # code -1 marks the last slot, which is not a value
        used = used[:-1]
        if used.all():
            return RawColumn(self.values, codes)
        lookup = np.append(np.where(used, np.cumsum(used) - 1, -1), -1)
        return RawColumn(self.values[used], lookup[codes])


@dataclass
class RawTable:
    """A table as read from its file: header names and cells, nothing converted yet.

    ``numbers`` holds each record's spreadsheet row number (header = 1; empty records are
    left out) and ``columns`` one :class:`RawColumn` per header column. ``decimal_comma``
    is true for ``;``-separated CSV files. ``broken_rows`` are rows whose cells could not be
    lined up with the header (already reported); their values are used where they convert,
    but never reported again. ``problems`` are those found while reading (the table is
    still usable).
    """

    name: str
    source: str
    header: list[str]
    numbers: np.ndarray
    columns: list[RawColumn]
    decimal_comma: bool = False
    broken_rows: set[int] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def from_rows(cls, name: str, source: str, header: list[str],
                  rows: list[tuple[int, list[Any]]], **fields) -> "RawTable":
        """A table from ``(row number, cells)`` pairs whose cells line up with ``header``."""
        columns = [RawColumn.from_cells([cells[i] for _, cells in rows]) for i in range(len(header))]
        numbers = np.array([number for number, _ in rows], dtype=np.int64)
        return cls(name=name, source=source, header=header, numbers=numbers, columns=columns,
                   **fields)

    @property
    def rows(self) -> list[tuple[int, list[Any]]]:
        """The records as ``(row number, cells)`` pairs, cells lined up with the header."""
        columns = [column.cells() for column in self.columns]
        return [(int(number), [cells[i] for cells in columns])
                for i, number in enumerate(self.numbers)]


def _object_array(values) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


@dataclass
class RawSettings:
    """Settings as read from ``client.yaml`` or the ``client`` sheet, not yet checked.

    ``lines`` maps a key path (``"payout_curves.bonus.points[1]"``) to its line (YAML) or row
    (sheet), so messages can point at it.
    """

    source: str
    values: Any
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int | None:
        """The line of ``path``, else of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


@dataclass
class RawClient:
    """Everything read from a client folder, before checking."""

    path: Path
    tables: dict[str, RawTable] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    settings: RawSettings | None = None
    problems: list[Problem] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)


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
    csv_files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    workbook = folder / WORKBOOK
    if workbook.is_file() and csv_files:
        names = ", ".join(p.name for p in csv_files)
        raw.problems.append(Problem(
            table=WORKBOOK,
            message=f"both {WORKBOOK} and CSV files ({names}) are present; "
                    "expected the tables in one place only",
            fix=f"keep either {WORKBOOK} or the CSV files and move the other away"))
        return raw
    if workbook.is_file():
        _read_workbook_into(raw, workbook)
    else:
        _read_csv_folder_into(raw, folder, csv_files)
    yaml_file = folder / SETTINGS
    if yaml_file.is_file():
        raw.settings = read_yaml(yaml_file, raw)
    elif raw.settings is None:
        raw.problems.append(Problem(
            table=SETTINGS, message=f"{SETTINGS} is missing; expected the client's settings",
            fix="create client.yaml with name, language, currency and period "
                "(kpi-toolkit new writes a commented one)"))
    if raw.settings is not None:
        raw.sources["client"] = raw.settings.source
    return raw


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
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:1000]:
        return None, [Problem(
            table=source, message="the file is UTF-16 ('Unicode text'); expected UTF-8 or Windows-1251",
            fix="in Excel use File > Save As > 'CSV UTF-8 (comma delimited)'")]
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding), []
        except UnicodeDecodeError:
            continue
    return None, [Problem(
        table=source, message="the file is neither UTF-8 nor Windows-1251 text",
        fix="save it as 'CSV UTF-8 (comma delimited)'")]


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
    normalised = [text.strip().strip("\ufeff").strip() or None for text in texts]
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
        value = value.strip().strip("\ufeff").strip()
        return value or None
    if isinstance(value, (dt.datetime, dt.date, int, float)):
        return value
    return str(value).strip() or None


def _read_csv_folder_into(raw: RawClient, folder: Path, csv_files: list[Path]) -> None:
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
            if table.required:
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
    import openpyxl  # imported here: CSV-only clients never pay for it

    data = file.read_bytes()
    raw.hashes[file.name] = sha256(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any malformed workbook is a problem to report, not a crash
        raw.problems.append(Problem(
            table=WORKBOOK, message=f"cannot open the workbook: {type(exc).__name__}: {exc}",
            fix="open it in Excel and save it again as .xlsx"))
        for name in TABLES:
            raw.sources[name] = f"{WORKBOOK} [{name}]"
        return
    try:
        sheets = {ws.title: ws for ws in workbook.worksheets}
        for title in sheets:
            if title not in TABLES and title != SETTINGS_SHEET and title not in IGNORED_SHEETS:
                raw.problems.append(Problem(
                    table=f"{WORKBOOK} [{title}]", severity="warning",
                    message=f"sheet '{title}' is not a client table and is ignored; expected: "
                            + ", ".join(TABLES),
                    fix="rename it if it is one of the tables"))
        for name, table in TABLES.items():
            source = f"{WORKBOOK} [{name}]"
            raw.sources[name] = source
            if name not in sheets:
                if table.required:
                    raw.problems.append(Problem(
                        table=source, message=f"required sheet '{name}' is missing",
                        fix=f"add a sheet '{name}' with the columns {', '.join(table.column_names)}"))
                continue
            table = raw.tables[name] = _sheet_table(sheets[name], name, source)
            raw.problems.extend(table.problems)
        if SETTINGS_SHEET in sheets and not (raw.path / SETTINGS).is_file():
            raw.settings = _sheet_settings(sheets[SETTINGS_SHEET], raw)
    finally:
        workbook.close()


def _sheet_rows(ws) -> list[tuple[int, list[Any]]]:
    rows = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        if number == 1 or any(c is not None for c in cells):
            rows.append((number, cells))
    return rows


def _sheet_table(ws, name: str, source: str) -> RawTable:
    rows = _sheet_rows(ws)
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
    return RawTable.from_rows(name, source, header, records,
                              broken_rows={p.row for p in problems}, problems=problems)


def _sheet_settings(ws, raw: RawClient) -> RawSettings:
    source = f"{WORKBOOK} [{SETTINGS_SHEET}]"
    settings = RawSettings(source=source, values={})
    rows = _sheet_rows(ws)
    header = [str(h).strip().lower() if h is not None else "" for h in (rows[0][1] if rows else [])]
    if "key" not in header or "value" not in header:
        raw.problems.append(Problem(
            table=source, row=1, message=f"expected the columns 'key' and 'value' in row 1, found "
                                         f"{', '.join(repr(h) for h in header if h) or 'none'}",
            fix="write 'key' in A1 and 'value' in B1"))
        return settings
    k, v = header.index("key"), header.index("value")
    for number, cells in rows[1:]:
        cells = cells + [None] * (max(k, v) + 1 - len(cells))
        key, value = cells[k], cells[v]
        if key is None:
            continue
        key = str(key)
        if value is None:  # an empty value means "not set", as in a table
            settings.lines.setdefault(key, number)
            continue
        if key in settings.values:
            raw.problems.append(Problem(
                table=source, row=number, column="key",
                message=f"key '{key}' appears twice (first in row {settings.lines[key]})",
                fix="keep one row per key"))
            continue
        settings.values[key] = value
        settings.lines[key] = number
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
