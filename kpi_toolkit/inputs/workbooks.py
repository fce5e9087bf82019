"""Read the sheets of a client workbook, ``client.xlsx`` or ``client.ods``, as Excel shows them.

A sheet comes out as its rows of cell values (text, numbers, dates, booleans) and the list of
formula cells whose stored value cannot be trusted; :mod:`kpi_toolkit.inputs.loading` turns both into
tables and problems. What a workbook holds is read as Excel or LibreOffice would show it, or
refused (SPEC §6):

- A formula cell keeps the value its program computed when it last saved the file. A
  workbook written by a script (openpyxl, odfpy) or never recalculated has formulas without
  such values; one written by XlsxWriter stores 0 for every formula and asks to be
  recalculated on opening (``fullCalcOnLoad``). Either way the value on disk is not what the
  user sees, so those cells are listed, never read as empty or 0.
- A sheet's stored size (``<dimension>``) is ignored: every row and column that holds a
  cell is read, however small the size a program wrote.
- Only the workbook's own XML is parsed, without document type declarations (no entity
  expansion) and with a bound on the cells a repeat count may stand for.

Numbers of an ``.ods`` are given as the exact decimal text the file stores (``"10250.5"``).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

#: Cells a sheet may stand for; LibreOffice writes an empty tail as one repeated cell, but a
#: repeated non-empty cell is materialised, and this bounds what a hostile file can ask for.
MAX_CELLS = 60_000_000
MAX_COLUMNS = 16_384  # Excel's and LibreOffice's widest sheet

NO_VALUE = "no value"  # a formula cell without a stored value
RECALC = "recalc"  # a formula cell of a workbook that asks to be recalculated on opening

_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


class WorkbookError(Exception):
    """Raised when a workbook cannot be opened or its XML is not what the format defines."""


@dataclass(frozen=True)
class FormulaCell:
    """A formula cell whose stored value is missing (``NO_VALUE``) or a placeholder (``RECALC``)."""

    row: int
    column: int  # 1-based
    formula: str
    reason: str
    stored: Any = None


@dataclass
class Sheet:
    """The cells of one sheet: ``rows`` as ``(row number, values)`` for every row holding a
    cell (row 1 always), ``None`` for an empty cell; ``formulas`` whose values are not to be
    trusted (their cells are empty in ``rows``)."""

    title: str
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    formulas: list[FormulaCell] = field(default_factory=list)


def column_letter(column: int) -> str:
    """``1`` -> ``A``, ``27`` -> ``AA``.

    Examples
    --------
    >>> column_letter(5), column_letter(28)
    ('E', 'AB')
    """
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _parser(start, end, chars=None) -> expat.XMLParserType:
    """An expat parser with ``"namespace local"`` names that refuses document type
    declarations: neither format uses one, and without them no entity can expand."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def doctype(*_):
        raise WorkbookError("the XML declares a document type (not allowed in a workbook)")

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if chars is not None:
        parser.CharacterDataHandler = chars
    parser.buffer_text = True
    return parser


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


# --------------------------------------------------------------------------- xlsx


class XlsxBook:
    """A ``.xlsx`` workbook read with openpyxl (values as Excel last saved them)."""

    def __init__(self, data: bytes):
        import openpyxl  # imported here: CSV-only clients never pay for it

        try:
            self._book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except Exception as exc:  # any malformed workbook is a problem to report, not a crash
            raise WorkbookError(f"{type(exc).__name__}: {exc}") from None
        self.recalculate = _asks_full_recalculation(self._zip)
        self.titles = [ws.title for ws in self._book.worksheets]

    def sheet(self, title: str) -> Sheet:
        ws = self._book[title]
        ws.reset_dimensions()  # read every row and column, whatever size the file states
        sheet = Sheet(title)
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if number == 1 or any(v is not None for v in values):
                sheet.rows.append((number, list(values)))
        sheet.formulas = self._formulas(ws._worksheet_path)
        if sheet.formulas:
            cells = {(f.row, f.column) for f in sheet.formulas}
            for number, values in sheet.rows:
                for i in range(len(values)):
                    if (number, i + 1) in cells:
                        values[i] = None
        return sheet

    def _formulas(self, path: str) -> list[FormulaCell]:
        """The formula cells of the sheet at ``path`` whose value is missing or a placeholder.
        A sheet without formulas (most) costs one scan of its bytes."""
        if not _has_formula(self._zip, path):
            return []
        found: list[FormulaCell] = []
        state: dict[str, Any] = {}

        def start(name, attrs):
            local = _local(name)
            if local == "c":
                state.clear()
                state.update(ref=attrs.get("r", ""), type=attrs.get("t", "n"), f=None, v=None)
            elif local in ("f", "v") and "ref" in state:
                state[local] = ""
                state["in"] = local

        def chars(text):
            where = state.get("in")
            if where:
                state[where] += text

        def end(name):
            local = _local(name)
            if local in ("f", "v"):
                state["in"] = None
            elif local == "c" and state.get("f") is not None:
                value = state["v"]
                stored = value not in (None, "") or (value == "" and state["type"] == "str")
                if not stored or self.recalculate:
                    row, column = _cell_reference(state["ref"])
                    text = "=" + state["f"] if state["f"] else "(a shared formula)"
                    found.append(FormulaCell(row, column, text,
                                             RECALC if stored else NO_VALUE, value or None))
                state.clear()

        parser = _parser(start, end, chars)
        try:
            with self._zip.open(path) as stream:
                parser.ParseFile(stream)
        except (expat.ExpatError, KeyError, zipfile.BadZipFile) as exc:
            raise WorkbookError(f"sheet XML {path}: {exc}") from None
        return found

    def close(self) -> None:
        self._book.close()
        self._zip.close()


def _asks_full_recalculation(archive: zipfile.ZipFile) -> bool:
    """Whether the workbook part sets ``<calcPr fullCalcOnLoad="1">``, as XlsxWriter and
    openpyxl do (openpyxl's own reading of it defaults to true when the attribute is absent)."""
    found = []

    def start_rels(name, attrs):
        if _local(name) == "Relationship" and attrs.get("Type", "").endswith("/officeDocument"):
            found.append(attrs.get("Target", "").lstrip("/"))

    def start_book(name, attrs):
        if _local(name) == "calcPr" and attrs.get("fullCalcOnLoad", "").lower() in ("1", "true"):
            found.append(True)

    try:
        _parser(start_rels, lambda name: None).Parse(archive.read("_rels/.rels"), True)
        book = next((t for t in found if isinstance(t, str)), "xl/workbook.xml")
        found.clear()
        _parser(start_book, lambda name: None).Parse(archive.read(book), True)
    except (expat.ExpatError, KeyError, zipfile.BadZipFile) as exc:
        raise WorkbookError(f"workbook XML: {exc}") from None
    return bool(found)


def _has_formula(archive: zipfile.ZipFile, path: str) -> bool:
    tail = b""
    try:
        with archive.open(path) as stream:
            while chunk := stream.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-16:]
    except (KeyError, zipfile.BadZipFile) as exc:
        raise WorkbookError(f"sheet XML {path}: {exc}") from None
    return False


def _cell_reference(ref: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref or "")
    if not match:
        return 0, 0
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    return int(match.group(2)), column


# --------------------------------------------------------------------------- ods

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class OdsBook:
    """A LibreOffice ``.ods`` workbook, read from its ``content.xml`` with the standard library."""

    def __init__(self, data: bytes):
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            mimetype = self._zip.read("mimetype").strip() if "mimetype" in self._zip.namelist() else b""
            if mimetype != ODS_MIMETYPE:
                raise WorkbookError(f"not an OpenDocument spreadsheet (mimetype {mimetype[:60]!r})")
            self._sheets = _OdsContent(self._zip).read()
        except WorkbookError:
            raise
        except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
            raise WorkbookError(f"{type(exc).__name__}: {exc}") from None
        self.recalculate = False
        self.titles = list(self._sheets)

    def sheet(self, title: str) -> Sheet:
        return self._sheets[title]

    def close(self) -> None:
        self._zip.close()


class _OdsContent:
    """One streaming pass over ``content.xml``, collecting every sheet."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.sheets: dict[str, Sheet] = {}
        self.sheet: Sheet | None = None
        self.cells = 0
        self.row = 0  # the current row's number
        self.row_repeat = 1
        self.values: list[Any] = []
        self.column = 0  # cells placed in the current row (positions, including empty ones)
        self.cell: dict[str, Any] | None = None
        self.text: list[str] | None = None  # the current cell's paragraphs
        self.paragraph = 0  # depth inside a text:p or text:h of the current cell
        self.cell_has_text = False
        self.skip = 0  # depth inside an annotation (a comment's text is not the cell's)

    def read(self) -> dict[str, Sheet]:
        parser = _parser(self.start, self.end, self.chars)
        try:
            with self.archive.open("content.xml") as stream:
                parser.ParseFile(stream)
        except expat.ExpatError as exc:
            raise WorkbookError(f"content.xml: {exc}") from None
        return self.sheets

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(" ")
        if self.skip:
            self.skip += 1
            return
        if ns == _TABLE and local == "table" and self.sheet is None:
            title = attrs.get(f"{_TABLE} name", f"Sheet{len(self.sheets) + 1}")
            self.sheet = self.sheets.setdefault(title, Sheet(title))
            self.row = 0
        elif self.sheet is None:
            return
        elif ns == _TABLE and local == "table-row":
            self.row_repeat = _count(attrs.get(f"{_TABLE} number-rows-repeated"))
            self.values, self.column = [], 0
        elif ns == _TABLE and local in ("table-cell", "covered-table-cell"):
            self.cell = attrs
            self.text = []
            self.cell_has_text = False
        elif ns == _OFFICE and local == "annotation":
            self.skip = 1
        elif self.text is not None and ns == _TEXT:
            if local in ("p", "h"):
                if self.text:
                    self.text.append("\n")
                self.paragraph += 1
                self.cell_has_text = True
            elif local == "s":
                self.text.append(" " * _count(attrs.get(f"{_TEXT} c")))
            elif local == "tab":
                self.text.append("\t")
            elif local == "line-break":
                self.text.append("\n")

    def chars(self, data: str) -> None:
        if self.paragraph and not self.skip:
            self.text.append(data)

    def end(self, name: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        ns, _, local = name.rpartition(" ")
        if ns == _TEXT and local in ("p", "h") and self.paragraph:
            self.paragraph -= 1
        if self.sheet is None or ns != _TABLE:
            return
        if local in ("table-cell", "covered-table-cell") and self.cell is not None:
            self._end_cell()
        elif local == "table-row":
            self._end_row()
        elif local == "table":
            self.sheet = None

    def _end_cell(self) -> None:
        attrs, text = self.cell, "".join(self.text or ())
        self.cell = self.text = None
        repeat = _count(attrs.get(f"{_TABLE} number-columns-repeated"))
        value = _ods_value(attrs, text)
        formula = attrs.get(f"{_TABLE} formula")
        if formula is not None and not _ods_stored(attrs, self.cell_has_text):
            self.sheet.formulas.append(FormulaCell(self.row + 1, self.column + 1,
                                                   _ods_formula(formula), NO_VALUE))
            value = None
        if value is None:
            self.column += repeat  # an empty tail is one cell repeated: never materialised
            return
        if self.column + repeat > MAX_COLUMNS:
            raise WorkbookError(f"sheet '{self.sheet.title}' has cells beyond column {MAX_COLUMNS}")
        self.values.extend([None] * (self.column - len(self.values)))
        self.values.extend([value] * repeat)
        self.column += repeat

    def _end_row(self) -> None:
        repeat, values = self.row_repeat, self.values
        if values or self.row == 0:
            copies = repeat if values else 1
            self.cells += len(values) * copies
            if self.cells > MAX_CELLS:
                raise WorkbookError(f"sheet '{self.sheet.title}' holds more than {MAX_CELLS:,} cells")
            for r in range(copies):
                self.sheet.rows.append((self.row + 1 + r, list(values) if r else values))
        self.row += repeat
        self.values, self.column, self.row_repeat = [], 0, 1


def _count(text: str | None) -> int:
    try:
        return max(1, int(text)) if text else 1
    except ValueError:
        return 1


def _ods_stored(attrs: dict[str, str], has_text: bool) -> bool:
    """Whether a formula cell carries the value its program computed. LibreOffice writes an
    empty text result as a cell without a type but with an empty paragraph; a script that
    writes only the formula leaves both out."""
    kind = attrs.get(f"{_OFFICE} value-type")
    if kind is None:
        return has_text
    if kind in ("float", "percentage", "currency"):
        return f"{_OFFICE} value" in attrs
    if kind in ("date", "time", "boolean"):
        return f"{_OFFICE} {kind}-value" in attrs
    return True  # a string result is the cell's text, even when empty


def _ods_formula(formula: str) -> str:
    """``of:=SUM([.A1:.A3])`` -> ``=SUM(A1:A3)``, as the user typed it."""
    formula = re.sub(r"^[a-z]+:", "", formula)
    return re.sub(r"\[\$?[^\].]*\.([^\]]+)\]", r"\1", formula).replace("$", "")


def _ods_value(attrs: dict[str, str], text: str) -> Any:
    """The value a cell shows: numbers as their stored decimal text, dates as datetimes."""
    kind = attrs.get(f"{_OFFICE} value-type")
    if kind in ("float", "percentage", "currency"):
        return attrs.get(f"{_OFFICE} value")
    if kind == "date":
        value = attrs.get(f"{_OFFICE} date-value", "")
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value or None
    if kind == "boolean":
        value = attrs.get(f"{_OFFICE} boolean-value", "").lower()
        return {"true": True, "false": False}.get(value, value or None)
    # strings (and errors such as #DIV/0!), times as shown, and cells without a type
    return text or attrs.get(f"{_OFFICE} string-value") or None


def open_book(data: bytes, suffix: str) -> XlsxBook | OdsBook:
    """The workbook in ``data``; ``suffix`` is ``.xlsx`` or ``.ods``."""
    return OdsBook(data) if suffix == ".ods" else XlsxBook(data)

