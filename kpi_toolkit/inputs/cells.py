"""One cell of a client's table converted to what its column declares, or refused with the fix.

The parsers read what people type into spreadsheets: ``1 234,56`` with a decimal comma, ``15%``,
dates as Excel stores them, periods ``YYYY-MM``. :mod:`kpi_toolkit.inputs.validation` (tables)
and :mod:`kpi_toolkit.inputs.settings` (``client.yaml``) both use them.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from typing import Any


from kpi_toolkit.errors import shorten
from kpi_toolkit.method.schema import Column

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Each digit has one place to go in these patterns: "\d+\.?\d*" would try every split of a
# long run of digits and take hours on one 50 MB cell.
_NUMBER = re.compile(r"[+-]?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SPACES = ("\u00a0", "\u202f", " ")  # thousands separators Excel writes


class CellError(ValueError):
    """Raised by a cell converter when a cell does not hold what its column declares."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message = message
        self.fix = fix


def _show(value: Any) -> str:
    """The offender as the user wrote it, quoted."""
    if value is None:
        return "nothing"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return f"'{shorten(value)}'"


def _num(value: float) -> str:
    return f"{value:.10g}"


def parse_number(value: Any, decimal_comma: bool = False) -> float:
    """Read a number cell without guessing.

    ``decimal_comma`` is true for ``;``-separated files, where ``1 234,56`` means 1234.56.
    In ``,``-separated files a comma can only be a thousands separator before a decimal
    point (``1,234.56``); ``12,5`` is refused rather than misread.

    Examples
    --------
    >>> parse_number("1 234,56", decimal_comma=True)
    1234.56
    >>> parse_number("1,234.5")
    1234.5
    >>> parse_number("0.9", decimal_comma=True)
    0.9
    """
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.datetime)):
        raise CellError(f"{_show(value)} is not a number", "write a number")
    if isinstance(value, (int, float)):
        if math.isnan(value) or math.isinf(value):
            raise CellError(f"{_show(value)} is not a number", "write a finite number")
        return float(value)
    text = str(value)
    example = "1234,5" if decimal_comma else "1234.5"
    if text.endswith("%"):
        try:
            share = parse_number(text[:-1].strip(), decimal_comma) / 100
        except CellError:
            share = None
        fix = f"write {_num(share)} for {text}" if share is not None else "write a ratio, e.g. 0.9 for 90 %"
        raise CellError(f"{_show(text)} is a percentage; expected a plain number", fix)
    s = text
    for space in _SPACES:
        s = s.replace(space, " ")
    if decimal_comma and "," in s:
        sep, groups = ",", " ."
    elif decimal_comma:
        sep, groups = ".", " "
    else:
        sep, groups = ".", " ,"
    sign = s[:1] if s[:1] in "+-" else ""
    whole, _, frac = s[len(sign):].partition(sep)
    bad_fix = f"write digits with '{sep}' as the decimal separator, e.g. {example}"
    if not decimal_comma and "," in whole and not frac:
        # "12,5" or "1,234": a decimal comma or a thousands separator? Never guess.
        kind = "ambiguous" if re.fullmatch(r"\d{1,3}(,\d{3})+", whole) else "a decimal comma"
        raise CellError(f"{_show(text)} is not a number ({kind}); expected e.g. {example}",
                        "a decimal comma is not allowed in a comma-separated file: write 12.5 for "
                        "12,5 and 1234 for 1,234")
    if decimal_comma and sep == "." and re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", whole + "." + frac):
        raise CellError(f"{_show(text)} is not a number (ambiguous: thousands or decimals?); "
                        f"expected e.g. {example}", f"write {whole}{frac} or {whole},{frac}")
    used = [g for g in groups if g in whole]
    if used:
        parts = whole.split(used[0])
        grouped = len(used) == 1 and parts[0].isdigit() and len(parts[0]) <= 3 and all(
            len(p) == 3 and p.isdigit() for p in parts[1:])
        if not grouped:
            raise CellError(f"{_show(text)} is not a number (ambiguous separators); "
                            f"expected e.g. {example}", bad_fix + " and no thousands separator")
        whole = "".join(parts)
    s = sign + whole + ("." + frac if sep in s else "")
    if not _NUMBER.fullmatch(s):
        raise CellError(f"{_show(text)} is not a number; expected e.g. {example}", bad_fix)
    number = float(s)
    if not math.isfinite(number):
        raise CellError(f"{_show(text)} is too large a number", "check the value")
    return number


def convert_cell(value: Any, column: Column, decimal_comma: bool = False) -> Any:
    """Convert one non-empty cell to its column's type, or raise :class:`CellError`."""
    kind = column.kind
    if kind == "number":
        return parse_number(value, decimal_comma)
    if kind == "integer":
        number = parse_number(value, decimal_comma)
        if not number.is_integer():
            raise CellError(f"{_show(value)} is not a whole number", "write a whole number, e.g. 3")
        return int(number)
    if kind == "date":
        return parse_date(value)
    if kind == "period":
        return parse_period(value)
    text = _text(value)
    if kind == "enum" and text not in column.choices:
        allowed = ", ".join(column.choices)
        fix = "use one of the codes"
        if text.lower() in column.choices:
            fix = f"write '{text.lower()}' (codes are lower-case)"
        else:
            close = difflib.get_close_matches(text, column.choices, n=1)
            if close:
                fix = f"did you mean '{close[0]}'? Use one of the codes"
        raise CellError(f"{_show(text)} is not an allowed code; expected one of: {allowed}", fix)
    return text


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return str(value)


def parse_date(value: Any) -> dt.datetime:
    """A ``YYYY-MM-DD`` text or a workbook date."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value)
    if _DATE.fullmatch(text):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise CellError(f"{_show(text)} is not a calendar date; expected YYYY-MM-DD",
                            "check the day and the month") from None
    raise CellError(f"{_show(value)} is not a date; expected YYYY-MM-DD",
                    "write the date as YYYY-MM-DD, e.g. 2024-03-15")


def parse_period(value: Any) -> str:
    """A ``YYYY-MM`` text (a workbook date on the 1st of a month is read as its month)."""
    if isinstance(value, (dt.date, dt.datetime)) and value.day == 1:
        return f"{value.year:04d}-{value.month:02d}"
    text = _text(value)
    if _PERIOD.fullmatch(text):
        return text
    raise CellError(f"{_show(value)} is not a period; expected YYYY-MM",
                    "write the period as YYYY-MM, e.g. 2024-03 (format the cells as text in Excel)")


def check_range(value: float, column: Column) -> str | None:
    """What the value should be when it breaks the column's bounds, else ``None``."""
    for bound, op, ok in (
        (column.ge, ">=", lambda v, b: v >= b),
        (column.gt, ">", lambda v, b: v > b),
        (column.le, "<=", lambda v, b: v <= b),
        (column.lt, "<", lambda v, b: v < b),
    ):
        if bound is not None and not ok(value, bound):
            return f"{op} {_num(bound)}"
    return None


def _bounds(column: Column) -> str:
    parts = []
    for bound, op in ((column.ge, ">="), (column.gt, ">"), (column.le, "<="), (column.lt, "<")):
        if bound is not None:
            parts.append(f"{op} {_num(bound)}")
    return " and ".join(parts)
