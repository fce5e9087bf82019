"""Check a client folder: convert cells as :mod:`kpi_toolkit.schema` declares them, then apply
the rules that span tables (SPEC §3, §6).

Validation is lazy, as in pandera: every check runs and every failure becomes a
:class:`~kpi_toolkit.errors.Problem` naming the file (or sheet), row, column, what was
expected against what was found, and the fix. A cell that failed its own check is remembered
and skipped by the later rules, so one typo is reported once, not as a cascade.

:func:`validate_client` lists the problems of a folder (the CLI's ``validate``);
:func:`~kpi_toolkit.loading.load_client` raises them.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from babel.numbers import get_currency_precision, list_currencies

from .client import ClientConfig, ClientData, PayoutCurve
from .errors import Problem
from .graph import find_cycle
from .schema import (
    CLIENT_YAML_OPTIONAL,
    CLIENT_YAML_REQUIRED,
    LANGUAGES,
    ROW,
    TABLES,
    Column,
    Table,
)

if TYPE_CHECKING:
    from .loading import RawClient, RawSettings, RawTable

TOLERANCE = 1e-6  # weights and root weights must sum to 1 within this
PERCENT_LIKE = 5  # a threshold, stop threshold or cap above this was written as a percentage
LONG_BONUS_PERIOD = 3  # months; longer bonus periods are warned about (seed 001)
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SPACES = ("\u00a0", "\u202f", " ")  # thousands separators Excel writes
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


# --------------------------------------------------------------------------- public API


def validate_client(path: str | Path) -> list[Problem]:
    """Every problem of a client folder, errors and warnings; never raises for bad data."""
    from .loading import read_client  # loading calls back into this module

    return read_client(path)[1]


def format_problems(problems: list[Problem]) -> str:
    """A numbered, human-readable list: errors first, then warnings.

    Examples
    --------
    >>> print(format_problems([Problem("employees.csv", "'abc' is not a number", "write digits",
    ...                                row=4, column="base_salary")]))
    1 error(s):
      1. employees.csv, row 4, column 'base_salary': 'abc' is not a number. Fix: write digits
    """
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if not problems:
        return "No problems found."
    lines = []
    number = 0
    for title, group in (("error(s)", errors), ("warning(s)", warnings)):
        if not group:
            continue
        lines.append(f"{len(group)} {title}:")
        for problem in group:
            number += 1
            lines.append(f"  {number}. {problem}")
    return "\n".join(lines)


def check_client(raw: RawClient) -> tuple[ClientData | None, list[Problem]]:
    """Convert and check what :func:`kpi_toolkit.loading.read_sources` read.

    Returns the client when no error was found (else ``None``) and the problems found here
    (the reading problems stay in ``raw.problems``).
    """
    problems: list[Problem] = []
    config = None
    if raw.settings is not None:
        config, found = check_config(raw.settings, raw.path)
        problems += found
    ctx = _Context(config=config, sources=dict(raw.sources))
    for name, table in TABLES.items():
        frame, found = convert_table(raw.tables.get(name), table, raw.sources.get(name, name), ctx)
        ctx.tables[name] = frame
        problems += found
    for rule in RULES:
        problems += rule(ctx)
    has_errors = any(p.severity == "error" for p in raw.problems + problems)
    if has_errors or config is None:
        return None, problems
    if config.branding.get("logo"):
        logo = config.branding["logo"]
        raw.hashes[logo.relative_to(raw.path).as_posix()] = _file_hash(logo)
    data = ClientData(slug=raw.path.name, path=raw.path, config=config, tables=ctx.tables,
                      sources=ctx.sources, input_hashes=dict(sorted(raw.hashes.items())))
    return data, problems


def _file_hash(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- cells


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
    return f"'{value}'"


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


# --------------------------------------------------------------------------- tables


@dataclass
class _Context:
    """What the cross-table rules see: converted tables and what is safe to trust."""

    config: ClientConfig | None
    sources: dict[str, str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    present: dict[str, set[str]] = field(default_factory=dict)  # table -> columns in the file
    failed: set[tuple[str, int, str]] = field(default_factory=set)  # reported cells

    def usable(self, table: str, *columns: str) -> bool:
        return table in self.present and set(columns) <= self.present[table]

    def ok(self, table: str, row: int, *columns: str) -> bool:
        return not any((table, row, c) in self.failed for c in columns)

    def problem(self, table: str, row: int | None, column: str | None, message: str, fix: str,
                severity: str = "error", rule: str | None = None) -> Problem:
        return Problem(table=self.sources.get(table, table), row=row, column=column,
                       message=message, fix=fix, severity=severity, rule=rule)

    def records(self, table: str) -> list[dict]:
        return self.tables[table].to_dict("records")


def empty_frame(table: Table) -> pd.DataFrame:
    """A table with no rows, with the declared columns and dtypes."""
    return _frame(table, {c.name: [] for c in table.columns}, [])


def _frame(table: Table, values: dict[str, list], rows: list[int]) -> pd.DataFrame:
    data = {}
    for column in table.columns:
        col = values[column.name]
        if column.kind == "number":
            data[column.name] = pd.Series([math.nan if v is None else v for v in col], dtype="float64")
        elif column.kind == "integer":
            data[column.name] = pd.Series(pd.array(col, dtype="Int64"))
        elif column.kind == "date":
            data[column.name] = pd.Series(col, dtype="datetime64[ns]")
        else:
            data[column.name] = pd.Series(col, dtype=object)
    data[ROW] = pd.Series(rows, dtype="int64")
    return pd.DataFrame(data)


def convert_table(raw: RawTable | None, table: Table, source: str,
                  ctx: _Context) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert a raw table as its declaration says; every bad cell becomes a problem."""
    if raw is None:
        return empty_frame(table), []
    problems: list[Problem] = []
    position: dict[str, int] = {}
    for i, name in enumerate(raw.header):
        if not name:
            if any(i < len(cells) and cells[i] is not None for _, cells in raw.rows):
                problems.append(ctx.problem(
                    table.name, 1, None,
                    f"column {i + 1} has values but no name in the header row",
                    "write the column's name in row 1, or clear the column"))
        elif name in position:
            problems.append(ctx.problem(
                table.name, 1, name, f"column '{name}' appears twice in the header",
                "keep one column of that name"))
        else:
            position[name] = i
            if name not in table.column_names:
                close = difflib.get_close_matches(name, table.column_names, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(ctx.problem(
                    table.name, 1, name,
                    f"unknown column '{name}'{hint}; expected columns: {', '.join(table.column_names)}",
                    "remove the column or rename it to one of the expected names",
                    severity="warning"))
    for column in table.columns:
        if column.required and column.name not in position:
            problems.append(ctx.problem(
                table.name, 1, column.name,
                f"required column '{column.name}' is missing; found columns: "
                f"{', '.join(h for h in raw.header if h) or 'none'}",
                f"add a column '{column.name}' to the header row ({column.help})"))
    ctx.present[table.name] = {c for c in table.column_names if c in position}

    values: dict[str, list] = {}
    for column in table.columns:
        pos = position.get(column.name)
        cells = []
        for number, row in raw.rows:
            cell = row[pos] if pos is not None else None
            value, problem = _convert(cell, column, raw, number)
            if problem is not None:
                ctx.failed.add((table.name, number, column.name))
                if number not in raw.broken_rows:
                    problems.append(ctx.problem(table.name, number, column.name, *problem))
            cells.append(value)
        values[column.name] = cells
    frame = _frame(table, values, [n for n, _ in raw.rows])
    problems += _check_key(frame, table, ctx)
    return frame, problems


def _convert(cell: Any, column: Column, raw: RawTable, row: int) -> tuple[Any, tuple | None]:
    if cell is None:
        if column.nullable or column.name not in raw.header:
            return None, None
        return None, (f"empty cell; column '{column.name}' requires a value",
                      f"fill it in: {column.help}" if column.help else "fill it in")
    try:
        value = convert_cell(cell, column, raw.decimal_comma)
    except CellError as bad:
        return None, (bad.message, bad.fix)
    if column.kind in ("number", "integer"):
        expected = check_range(value, column)
        if expected is not None:
            return None, (f"{column.name} is {_num(value)}; expected {_bounds(column)}",
                          f"write a value {_bounds(column)}")
    return value, None


def _check_key(frame: pd.DataFrame, table: Table, ctx: _Context) -> list[Problem]:
    if not table.key or not ctx.usable(table.name, *table.key):
        return []
    problems = []
    first: dict[tuple, int] = {}
    label = ", ".join(table.key)
    for record in frame.to_dict("records"):
        row = record[ROW]
        if not ctx.ok(table.name, row, *table.key):
            continue
        key = tuple(record[c] for c in table.key)
        if key in first:
            shown = ", ".join(f"{c} {_show(v) if v is not None else 'empty'}"
                              for c, v in zip(table.key, key))
            problems.append(ctx.problem(
                table.name, row, label,
                f"duplicate {shown}: already in row {first[key]}; expected each "
                f"{'combination of ' if len(table.key) > 1 else ''}{label} once",
                "remove one of the rows or correct the id"))
            ctx.failed.update((table.name, row, c) for c in table.key)
        else:
            first[key] = row
    return problems


# --------------------------------------------------------------------------- client.yaml


_UNSET = object()


def check_config(settings: RawSettings, folder: Path) -> tuple[ClientConfig | None, list[Problem]]:
    """Check the settings and build the :class:`ClientConfig` (``None`` when they have errors)."""
    problems: list[Problem] = []
    values = settings.values

    def problem(path: str, message: str, fix: str, severity: str = "error", rule=None) -> None:
        problems.append(Problem(table=settings.source, row=settings.line(path), column=path,
                                message=message, fix=fix, severity=severity, rule=rule))

    if values is None:
        values = {}
    if not isinstance(values, dict):
        problems.append(Problem(table=settings.source, row=1,
                                message=f"expected settings as 'key: value' lines, found a "
                                        f"{type(values).__name__}",
                                fix="write one 'key: value' per line (see kpi-toolkit new)"))
        return None, problems
    known = CLIENT_YAML_REQUIRED + CLIENT_YAML_OPTIONAL
    for key in values:
        if str(key) not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problem(str(key), f"unknown key '{key}' is ignored; expected one of: {', '.join(known)}",
                    f"{hint}remove or rename it", severity="warning")
    for key in CLIENT_YAML_REQUIRED:
        if values.get(key) in (None, ""):
            fix = f"add '{key}: ...' ({_KEY_HELP[key]})"
            if settings.source != "client.yaml":
                fix = f"fill in the value of '{key}' ({_KEY_HELP[key]})"
            problems.append(Problem(table=settings.source, row=settings.lines.get(key), column=key,
                                    message=f"required key '{key}' is missing", fix=fix))
    out: dict[str, Any] = {}
    name = values.get("name")
    if name not in (None, ""):
        if isinstance(name, (dict, list)):
            problem("name", f"name must be text, found a {type(name).__name__}", "write the client's name")
        else:
            out["name"] = str(name).strip()
    language = values.get("language")
    if language not in (None, ""):
        if language not in LANGUAGES:
            problem("language", f"{_show(language)} is not a supported language; expected one of: "
                                f"{', '.join(LANGUAGES)}", "write en or ru")
        else:
            out["language"] = language
    currency = values.get("currency")
    if currency not in (None, ""):
        if not isinstance(currency, str) or currency not in list_currencies():
            fix = "write an ISO 4217 code such as EUR, USD or RUB"
            if isinstance(currency, str) and currency.upper() in list_currencies():
                fix = f"write '{currency.upper()}' (codes are upper-case)"
            problem("currency", f"{_show(currency)} is not an ISO 4217 currency code", fix)
        else:
            out["currency"] = currency
    period = values.get("period")
    if period not in (None, ""):
        try:
            out["period"] = parse_period(period)
        except CellError as bad:
            problem("period", bad.message, "write the period reported as \"YYYY-MM\", e.g. \"2024-03\"")
    decimals = values.get("currency_decimals")
    if decimals is not None:
        n = _as_int(decimals)
        if n is None or not 0 <= n <= 4:
            problem("currency_decimals", f"{_show(decimals)} is not a whole number from 0 to 4",
                    "write the number of decimals of the currency's minor unit, e.g. 2, or remove "
                    "the key to use the ISO 4217 value")
        else:
            out["currency_decimals"] = n
    elif "currency" in out:
        out["currency_decimals"] = get_currency_precision(out["currency"])
    months = values.get("bonus_period_months")
    if months is not None:
        n = _as_int(months)
        if n is None or n < 1:
            problem("bonus_period_months", f"{_show(months)} is not a whole number >= 1",
                    "write the length of the bonus period in months, e.g. 1 or 3")
        else:
            out["bonus_period_months"] = n
            if n > LONG_BONUS_PERIOD:
                problem("bonus_period_months",
                        f"a bonus period of {n} months is longer than {LONG_BONUS_PERIOD}; long "
                        "periods weaken the link between result and reward (seed 001)",
                        "use periods of at most 3 months, with intermediate milestones",
                        severity="warning", rule="bonus-period")
    budget = values.get("bonus_budget")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget < 0:
            problem("bonus_budget", f"{_show(budget)} is not a number >= 0",
                    "write the bonus pool budget per bonus period as a number, e.g. 25000")
        else:
            out["bonus_budget"] = float(budget)
    out.update(_check_nested(values, folder, problem))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return ClientConfig(**out), problems


_KEY_HELP = {
    "name": "the client's name as reports show it",
    "language": "en or ru",
    "currency": "an ISO 4217 code, e.g. EUR",
    "period": "the period reported, \"YYYY-MM\"",
}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_nested(values: dict, folder: Path, problem) -> dict[str, Any]:
    """The optional, structured keys of client.yaml."""
    out: dict[str, Any] = {}
    curves = values.get("payout_curves")
    if curves is not None:
        out["payout_curves"] = _check_curves(curves, problem)
    branding = values.get("branding")
    if branding is not None:
        out["branding"] = _check_branding(branding, folder, problem)
    contacts = values.get("contacts")
    if contacts is not None:
        if not isinstance(contacts, list) or not all(isinstance(c, dict) for c in contacts):
            problem("contacts", "expected a list of contacts, each with name, role, email, phone",
                    "write '- name: ...' entries under contacts")
        else:
            out["contacts"] = tuple(contacts)
    for key in ("questionnaire", "readiness", "funnel"):
        if values.get(key) is not None:
            if not isinstance(values[key], dict):
                problem(key, f"expected '{key}' to hold 'key: value' entries, found "
                             f"{_show(values[key])}", f"indent the entries of '{key}' under it")
            else:
                out[key] = values[key]
    method = values.get("strategy_method")
    if method is not None:
        if method not in ("map", "head_on"):
            problem("strategy_method", f"{_show(method)} is not a strategy method; expected map or head_on",
                    "write map (strategy map, the default) or head_on (weights given directly)")
        else:
            out["strategy_method"] = method
    start = values.get("project_start")
    if start is not None:
        try:
            out["project_start"] = parse_date(start).date().isoformat()
        except CellError as bad:
            problem("project_start", bad.message, "write the start date as YYYY-MM-DD")
    thresholds = values.get("project_thresholds")
    if thresholds is not None:
        result = {"green": 0.95, "amber": 0.85}
        if not isinstance(thresholds, dict):
            problem("project_thresholds", "expected {green: 0.95, amber: 0.85}",
                    "write green and amber thresholds under project_thresholds")
        else:
            for key, value in thresholds.items():
                if key not in result or not _is_number(value) or value < 0:
                    problem(f"project_thresholds.{key}",
                            f"{key}: {_show(value)}; expected green or amber with a number >= 0",
                            "write e.g. green: 0.95 and amber: 0.85")
                else:
                    result[key] = float(value)
            if result["amber"] > result["green"]:
                problem("project_thresholds.amber",
                        f"amber {_num(result['amber'])} is above green {_num(result['green'])}",
                        "amber must not exceed green")
            out["project_thresholds"] = result
    return out


def _check_curves(curves: Any, problem) -> dict[str, PayoutCurve]:
    result: dict[str, PayoutCurve] = {}
    example = "{type: linear, points: [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]]}"
    if not isinstance(curves, dict):
        problem("payout_curves", f"expected named curves, found {_show(curves)}",
                f"write e.g. payout_curves: {{bonus: {example}}}")
        return result
    for name, spec in curves.items():
        path = f"payout_curves.{name}"
        if not isinstance(spec, dict):
            problem(path, f"curve '{name}' must have type and points, found {_show(spec)}",
                    f"write e.g. {name}: {example}")
            continue
        kind = spec.get("type")
        ok = True
        if kind not in ("steps", "linear"):
            problem(f"{path}.type", f"curve type {_show(kind)} is not known; expected steps or linear",
                    "write type: steps (a step table) or type: linear (interpolation)")
            ok = False
        points = spec.get("points")
        if not isinstance(points, list) or not points:
            problem(f"{path}.points", f"expected a list of [attainment, coefficient] points, found "
                                      f"{_show(points)}", "write e.g. points: [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]]")
            continue
        parsed = []
        for i, point in enumerate(points):
            where = f"{path}.points[{i}]"
            if (not isinstance(point, list) or len(point) != 2
                    or not all(_is_number(v) for v in point)):
                problem(where, f"point {_show(point)} is not [attainment, coefficient]",
                        "write two numbers, e.g. [1.0, 1.0]")
                ok = False
                continue
            attainment, coefficient = float(point[0]), float(point[1])
            if coefficient < 0:
                problem(where, f"coefficient {_num(coefficient)} is negative; expected >= 0",
                        "coefficients are 0 or more")
                ok = False
            if parsed and attainment <= parsed[-1][0]:
                problem(where, f"attainment {_num(attainment)} does not increase (previous point "
                               f"{_num(parsed[-1][0])}); expected attainments in strictly increasing order",
                        "sort the points by attainment and remove duplicates")
                ok = False
            parsed.append((attainment, coefficient))
        if ok:
            result[str(name)] = PayoutCurve(name=str(name), kind=kind, points=tuple(parsed))
    return result


def _check_branding(branding: Any, folder: Path, problem) -> dict:
    result: dict[str, Any] = {"logo": None, "colour": None}
    if not isinstance(branding, dict):
        problem("branding", f"expected logo and colour, found {_show(branding)}",
                "write branding: {logo: logo.png, colour: \"#1F4E79\"}")
        return result
    logo = branding.get("logo")
    if logo is not None:
        file = (folder / str(logo)).resolve()
        if file.suffix.lower() not in LOGO_SUFFIXES:
            problem("branding.logo", f"logo {_show(logo)} is not a png, jpg or svg image",
                    "use a .png, .jpg or .svg file")
        elif not file.is_file() or not file.is_relative_to(folder.resolve()):
            problem("branding.logo", f"logo file {_show(logo)} is not in the client folder",
                    "put the image in the client folder and give its file name")
        else:
            result["logo"] = folder / file.relative_to(folder.resolve())
    colour = branding.get("colour")
    if colour is not None:
        if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
            problem("branding.colour", f"colour {_show(colour)} is not #RRGGBB",
                    "write a hex colour in quotes, e.g. \"#1F4E79\"")
        else:
            result["colour"] = colour
    return result


# --------------------------------------------------------------------------- cross-table rules


def check_references(ctx: _Context) -> list[Problem]:
    """Every ``ref`` column's values exist in the table it points to."""
    problems = []
    for table in TABLES.values():
        for column in table.columns:
            if column.ref is None or not ctx.usable(table.name, column.name):
                continue
            ref_table, ref_column = column.ref.split(".")
            if not ctx.usable(ref_table, ref_column):
                continue
            known = set(ctx.tables[ref_table][ref_column].dropna())
            for record in ctx.records(table.name):
                value, row = record[column.name], record[ROW]
                if value is None or value in known or not ctx.ok(table.name, row, column.name):
                    continue
                ctx.failed.add((table.name, row, column.name))
                close = [k for k in known if k.lower() == value.lower()] or \
                    difflib.get_close_matches(value, sorted(known), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                problems.append(ctx.problem(
                    table.name, row, column.name,
                    f"unknown {ref_column} {_show(value)}: not in {ctx.sources.get(ref_table, ref_table)} "
                    f"(known: {_listing(known)})",
                    f"{hint}add it to {ctx.sources.get(ref_table, ref_table)} or correct the id "
                    "(ids are case-sensitive)"))
    return problems


def _listing(values, limit: int = 8) -> str:
    values = sorted(values)
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "") if values else "none"


def check_goals(ctx: _Context) -> list[Problem]:
    """Goal rows agree on name and perspective; the goal graph is acyclic; root weights sum to 1."""
    if not ctx.usable("goals", "goal_id"):
        return []
    problems = []
    records = [r for r in ctx.records("goals") if r["goal_id"] is not None]
    first: dict[str, dict] = {}
    for record in records:
        goal = record["goal_id"]
        if goal not in first:
            first[goal] = record
            continue
        for column in ("name", "perspective"):
            a, b = first[goal][column], record[column]
            if (ctx.usable("goals", column) and a is not None and b is not None and a != b
                    and ctx.ok("goals", record[ROW], column)):
                problems.append(ctx.problem(
                    "goals", record[ROW], column,
                    f"goal '{goal}' has {column} {_show(b)} here but {_show(a)} in row "
                    f"{first[goal][ROW]}; expected the same {column} on every row of a goal",
                    f"write {_show(a)} here, or give the other goal its own goal_id"))
    if ctx.usable("goals", "parent_id"):
        problems += _check_cycle(ctx, records)
    if ctx.usable("goals", "parent_id", "root_weight"):
        problems += _check_root_weights(ctx, records)
    return problems


def _check_cycle(ctx: _Context, records: list[dict]) -> list[Problem]:
    edges = {}
    for record in records:
        if record["parent_id"] is not None and ctx.ok("goals", record[ROW], "parent_id"):
            edges.setdefault((record["parent_id"], record["goal_id"]), record[ROW])
    cycle = find_cycle(edges)
    if cycle is None:
        return []
    rows = sorted(edges[pair] for pair in zip(cycle, cycle[1:]))
    return [ctx.problem(
        "goals", rows[0], "parent_id",
        f"goals {', '.join(repr(g) for g in cycle[:-1])} form a cycle: {' <- '.join(cycle)} "
        f"(rows {', '.join(map(str, rows))}); expected a strategy map without cycles",
        "remove one of these links (a goal cannot support, even indirectly, a goal that supports it)")]


def _check_root_weights(ctx: _Context, records: list[dict]) -> list[Problem]:
    has_parent = {r["goal_id"] for r in records if r["parent_id"] is not None}
    root_rows = [r for r in records if r["goal_id"] not in has_parent]
    problems = []
    for record in records:
        if record["goal_id"] in has_parent and not math.isnan(record["root_weight"]):
            problems.append(ctx.problem(
                "goals", record[ROW], "root_weight",
                f"root_weight {_num(record['root_weight'])} is given for goal '{record['goal_id']}', "
                "which is not a root goal (it has a parent) and is ignored",
                "clear the cell; only goals without a parent take a root weight",
                severity="warning"))
    weights: dict[str, tuple[float, int]] = {}
    for record in root_rows:
        if not ctx.ok("goals", record[ROW], "root_weight"):
            return problems
        if not math.isnan(record["root_weight"]):
            weights.setdefault(record["goal_id"], (record["root_weight"], record[ROW]))
    if not weights:
        return problems
    roots = list(dict.fromkeys(r["goal_id"] for r in root_rows))
    unweighted = [g for g in roots if g not in weights]
    for goal in unweighted:
        row = next(r[ROW] for r in root_rows if r["goal_id"] == goal)
        problems.append(ctx.problem(
            "goals", row, "root_weight",
            f"root goal '{goal}' has no root_weight while other root goals have one",
            "give every root goal a root_weight (summing to 1), or clear them all for equal shares"))
    total = sum(w for w, _ in weights.values())
    if not unweighted and abs(total - 1) > TOLERANCE:
        first_row = min(row for _, row in weights.values())
        parts = ", ".join(f"'{g}' {_num(w)}" for g, (w, _) in weights.items())
        problems.append(ctx.problem(
            "goals", first_row, "root_weight",
            f"root weights sum to {_num(round(total, 9))} ({parts}); they must sum to 1",
            "correct the root weights so they add up to 1, or clear them all for equal shares"))
    return problems


def check_kpis(ctx: _Context) -> list[Problem]:
    """Band KPIs have their band."""
    if not ctx.usable("kpis", "kpi_id", "direction"):
        return []
    problems = []
    for record in ctx.records("kpis"):
        if record["direction"] != "band":
            continue
        row, kpi = record[ROW], record["kpi_id"]
        for column in ("band_low", "band_high", "band_tolerance"):
            if math.isnan(record[column]) and ctx.ok("kpis", row, column):
                problems.append(ctx.problem(
                    "kpis", row, column,
                    f"band KPI '{kpi}' has no {column}; expected band_low, band_high and band_tolerance",
                    f"fill {column}, or change direction to higher or lower"))
        low, high = record["band_low"], record["band_high"]
        if low > high:
            problems.append(ctx.problem(
                "kpis", row, "band_low",
                f"band_low {_num(low)} is above band_high {_num(high)} for KPI '{kpi}'",
                "swap the two limits"))
    return problems


def check_position_kpis(ctx: _Context) -> list[Problem]:
    """Weights sum to 1 per position; thresholds and caps are ratios; curves exist."""
    if not ctx.usable("position_kpis", "position_id", "kpi_id", "weight"):
        return []
    problems = []
    records = ctx.records("position_kpis")
    by_position: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        if record["position_id"] is not None and ctx.ok("position_kpis", record[ROW], "position_id"):
            by_position[record["position_id"]].append(record)
    for position, rows in by_position.items():
        if any(not ctx.ok("position_kpis", r[ROW], "weight") or math.isnan(r["weight"]) for r in rows):
            continue
        total = sum(r["weight"] for r in rows)
        if abs(total - 1) > TOLERANCE:
            detail = ", ".join(f"{r['kpi_id']} {_num(r['weight'])}" for r in rows)
            problems.append(ctx.problem(
                "position_kpis", rows[0][ROW], "weight",
                f"weights of position '{position}' sum to {_num(round(total, 9))} ({detail}); "
                "they must sum to 1",
                f"correct the weights of '{position}' (rows {', '.join(str(r[ROW]) for r in rows)})"))
    curves = ctx.config.payout_curves if ctx.config is not None else None
    for record in records:
        row = record[ROW]
        percent = set()
        for column in ("threshold", "stop_threshold", "cap"):
            value = record[column]
            if value > PERCENT_LIKE:
                percent.add(column)
                problems.append(ctx.problem(
                    "position_kpis", row, column,
                    f"{column} {_num(value)} looks like a percentage; expected an attainment ratio "
                    "(1 = 100 %)", f"write {_num(value / 100)} for {_num(value)} %"))
        threshold, cap = record["threshold"], record["cap"]
        if cap < threshold and not percent & {"threshold", "cap"}:
            problems.append(ctx.problem(
                "position_kpis", row, "cap",
                f"cap {_num(cap)} is below threshold {_num(threshold)}; expected cap >= threshold",
                "raise the cap to at least the threshold, or clear it"))
        curve = record["curve"]
        if curve is not None and curves is not None and curve not in curves:
            problems.append(ctx.problem(
                "position_kpis", row, "curve",
                f"unknown payout curve {_show(curve)}; client.yaml payout_curves defines: "
                f"{_listing(curves)}",
                "correct the name or define the curve under payout_curves in client.yaml"))
    return problems


def check_employees(ctx: _Context) -> list[Problem]:
    """Funds, dates, positions with KPIs."""
    if not ctx.usable("employees", "employee_id", "position_id"):
        return []
    problems = []
    positions = {r["position_id"]: r for r in ctx.records("positions")} \
        if ctx.usable("positions", "position_id") else {}
    with_kpis = set(ctx.tables["position_kpis"]["position_id"].dropna()) \
        if ctx.usable("position_kpis", "position_id") else None
    period = _period_bounds(ctx)
    staff: dict[str, list[str]] = defaultdict(list)
    for record in ctx.records("employees"):
        row, employee = record[ROW], record["employee_id"]
        position = record["position_id"]
        if position in positions and ctx.ok("employees", row, "position_id"):
            staff[position].append(employee)
            share = positions[position]["variable_share"]
            fund_cells_ok = ctx.ok("employees", row, "bonus_fund", "base_salary") and \
                ctx.ok("positions", positions[position][ROW], "variable_share")
            if fund_cells_ok and math.isnan(record["bonus_fund"]) and (
                    math.isnan(record["base_salary"]) or math.isnan(share)):
                problems.append(ctx.problem(
                    "employees", row, "bonus_fund",
                    f"employee '{employee}' has neither a bonus_fund nor a base_salary with a "
                    f"variable_share for position '{position}'; expected one of them",
                    "fill bonus_fund, or base_salary here and variable_share in "
                    f"{ctx.sources.get('positions', 'positions')}"))
        start, end = record["start_date"], record["end_date"]
        if pd.notna(start) and pd.notna(end) and start > end:
            problems.append(ctx.problem(
                "employees", row, "end_date",
                f"end_date {end:%Y-%m-%d} is before start_date {start:%Y-%m-%d}",
                "correct one of the dates"))
        elif period is not None:
            first, last = period
            if pd.notna(end) and end < first:
                problems.append(ctx.problem(
                    "employees", row, "end_date",
                    f"employee '{employee}' left on {end:%Y-%m-%d}, before the period reported "
                    f"({ctx.config.period}): no bonus", "check the date, or remove the employee",
                    severity="warning"))
            elif pd.notna(start) and start > last:
                problems.append(ctx.problem(
                    "employees", row, "start_date",
                    f"employee '{employee}' joined on {start:%Y-%m-%d}, after the period reported "
                    f"({ctx.config.period}): no bonus", "check the date",
                    severity="warning"))
    if with_kpis is not None:
        for position, employees in staff.items():
            if position not in with_kpis:
                problems.append(ctx.problem(
                    "positions", positions[position][ROW], "position_id",
                    f"position '{position}' has {len(employees)} employee(s) "
                    f"({_listing(employees, 3)}) but no KPIs",
                    f"add its KPIs to {ctx.sources.get('position_kpis', 'position_kpis')}"))
    return problems


def _period_bounds(ctx: _Context) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if ctx.config is None:
        return None
    first = pd.Timestamp(ctx.config.period + "-01")
    return first, first + pd.offsets.MonthEnd(0)


def _active(record: dict, bounds) -> bool:
    first, last = bounds
    start, end = record["start_date"], record["end_date"]
    return not ((pd.notna(end) and end < first) or (pd.notna(start) and start > last))


def check_actuals(ctx: _Context) -> list[Problem]:
    """Plans, facts and missing rows of the KPIs each employee is measured on."""
    needed = ctx.usable("actuals", "period", "employee_id", "kpi_id") and \
        ctx.usable("kpis", "kpi_id") and ctx.usable("employees", "employee_id", "position_id") and \
        ctx.usable("position_kpis", "position_id", "kpi_id")
    if not needed:
        return []
    problems = []
    kpis = {r["kpi_id"]: r for r in ctx.records("kpis")}
    employees = {}
    for r in ctx.records("employees"):
        employees.setdefault(r["employee_id"], r)
    measured = {(r["position_id"], r["kpi_id"]): r for r in ctx.records("position_kpis")}
    keys = set()
    for record in ctx.records("actuals"):
        row, kpi_id = record[ROW], record["kpi_id"]
        keys.add((record["period"], record["employee_id"], kpi_id))
        employee = employees.get(record["employee_id"])
        if employee is None or kpi_id not in kpis or not ctx.ok("actuals", row, "employee_id", "kpi_id"):
            continue
        setting = measured.get((employee["position_id"], kpi_id))
        if setting is None:
            continue  # not one of the position's KPIs (e.g. watched by a stop factor)
        kpi = kpis[kpi_id]
        problems += _check_plan(ctx, record, kpi)
        problems += _check_fact(ctx, record, kpi, setting)
    problems += _check_missing_rows(ctx, keys, kpis, measured)
    return problems


def _check_plan(ctx: _Context, record: dict, kpi: dict) -> list[Problem]:
    row, plan, kpi_id = record[ROW], record["plan"], record["kpi_id"]
    if kpi["direction"] == "band" or not ctx.ok("actuals", row, "plan"):
        return []
    baseline = kpi["baseline"]
    where = f"KPI '{kpi_id}' of employee '{record['employee_id']}' in {record['period']}"
    if math.isnan(plan):
        return [ctx.problem("actuals", row, "plan", f"plan is empty for {where}; expected a plan "
                            "(only band KPIs may leave it empty)", "fill in the plan")]
    if math.isnan(baseline) and plan == 0:
        return [ctx.problem("actuals", row, "plan", f"plan of 0 for {where} gives no attainment "
                            "(fact / plan); expected a plan other than 0",
                            "correct the plan, or give the KPI a baseline in "
                            f"{ctx.sources.get('kpis', 'kpis')}")]
    if not math.isnan(baseline) and plan == baseline:
        return [ctx.problem("actuals", row, "plan", f"plan {_num(plan)} equals the baseline of "
                            f"{where}; attainment (fact - baseline) / (plan - baseline) has no value",
                            "correct the plan or the baseline")]
    return []


def _check_fact(ctx: _Context, record: dict, kpi: dict, setting: dict) -> list[Problem]:
    row, fact, kpi_id = record[ROW], record["fact"], record["kpi_id"]
    if not ctx.ok("actuals", row, "fact"):
        return []
    where = f"KPI '{kpi_id}' of employee '{record['employee_id']}' in {record['period']}"
    if math.isnan(fact):
        if (kpi["missing"] or "error") == "error":
            return [ctx.problem(
                "actuals", row, "fact",
                f"fact is missing for {where}; KPI '{kpi_id}' treats a missing fact as an error",
                "fill in the fact, or set missing to 'zero' or 'exclude' for the KPI in "
                f"{ctx.sources.get('kpis', 'kpis')}")]
        return []
    if kpi["direction"] == "lower" and fact == 0 and math.isnan(kpi["baseline"]) \
            and math.isnan(setting["cap"]):
        return [ctx.problem(
            "actuals", row, "fact",
            f"fact 0 of lower-is-better {where} has no finite attainment (plan / fact) and position "
            f"'{setting['position_id']}' sets no cap for it; expected a cap or a baseline",
            f"give the KPI a cap in {ctx.sources.get('position_kpis', 'position_kpis')} row "
            f"{setting[ROW]}, or a baseline in {ctx.sources.get('kpis', 'kpis')}")]
    return []


def _check_missing_rows(ctx: _Context, keys: set, kpis: dict, measured: dict) -> list[Problem]:
    bounds = _period_bounds(ctx)
    if bounds is None or any(not ctx.ok("actuals", r, "period")
                             for r in ctx.tables["actuals"][ROW]):
        return []
    period = ctx.config.period
    found = sorted({k[0] for k in keys if k[0] is not None})
    if period not in found:
        return [ctx.problem(
            "actuals", None, "period",
            f"no rows for period '{period}', the period reported in {ctx.sources.get('client', 'client.yaml')}; "
            f"found periods: {_listing(found)}",
            "add the plan and fact of that period, or correct 'period' in the settings")]
    problems = []
    by_position: dict[str, list[str]] = defaultdict(list)
    for position, kpi_id in measured:
        by_position[position].append(kpi_id)
    seen = set()
    for record in ctx.records("employees"):
        employee, row = record["employee_id"], record[ROW]
        if employee in seen or not ctx.ok("employees", row, "employee_id", "position_id",
                                           "start_date", "end_date"):
            continue
        seen.add(employee)
        if not _active(record, bounds):
            continue
        for kpi_id in by_position.get(record["position_id"], []):
            kpi = kpis.get(kpi_id)
            if kpi is None or (kpi["missing"] or "error") != "error":
                continue
            if (period, employee, kpi_id) not in keys:
                problems.append(ctx.problem(
                    "employees", row, "employee_id",
                    f"employee '{employee}' has no row in {ctx.sources.get('actuals', 'actuals')} "
                    f"for KPI '{kpi_id}' of position '{record['position_id']}' in {period}; "
                    "a missing fact is an error for this KPI",
                    "add the row with plan and fact, or set missing to 'zero' or 'exclude' for the "
                    f"KPI in {ctx.sources.get('kpis', 'kpis')}"))
    return problems


RULES = (check_references, check_goals, check_kpis, check_position_kpis, check_employees,
         check_actuals)
