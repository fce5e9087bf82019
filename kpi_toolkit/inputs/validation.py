"""Check a client folder: convert cells as :mod:`kpi_toolkit.method.schema` declares them, then apply
the rules that span tables (SPEC §3, §6).

Validation is lazy, as in pandera: every check runs and every failure becomes a
:class:`~kpi_toolkit.errors.Problem` naming the file (or sheet), row, column, what was
expected against what was found, and the fix. A cell that failed its own check is remembered
and skipped by the later rules, so one typo is reported once, not as a cascade.

:func:`~kpi_toolkit.inputs.loading.validate_client` lists the problems of a folder (the CLI's
``validate``); :func:`~kpi_toolkit.inputs.loading.load_client` raises them. The settings are checked by
:mod:`kpi_toolkit.inputs.settings`.

Tables are converted and checked column by column, once per distinct cell value (see
:class:`~kpi_toolkit.inputs.raw.RawColumn`), and the cross-table rules first select with NumPy
the rows that can break them; only those rows are looked at one by one, to word the problem.
"""
from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpi_toolkit.method.client import ClientConfig, ClientData
from kpi_toolkit.errors import KpiToolkitError, Problem
from kpi_toolkit.method.exact import format_limit, money_in_range
from kpi_toolkit.method.graph import find_cycle
from kpi_toolkit.method.kpi_weights import (MIN_WEIGHT, check_selection_rules, goal_owners, map_owner, paid_position_kpis,
                          position_kpi_weights, position_methods)
from kpi_toolkit.method.schema import ROW, TABLES, Column, Table
from kpi_toolkit.method.teams import bonus_months, team_kpis, team_rows
from kpi_toolkit.inputs.cells import CellError, _bounds, _num, _show, check_range, convert_cell, parse_number
from kpi_toolkit.inputs.raw import RawClient, RawTable
from kpi_toolkit.inputs.settings import check_config


TOLERANCE = 1e-6  # weights and root weights must sum to 1 within this
PERCENT_LIKE = 5  # a threshold, stop threshold or cap above this was written as a percentage



# --------------------------------------------------------------------------- public API


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
    """Convert and check what :func:`kpi_toolkit.inputs.loading.read_sources` read.

    Returns the client when no error was found (else ``None``) and the problems found here
    (the reading problems stay in ``raw.problems``).
    """
    problems: list[Problem] = []
    config = None
    if raw.settings is not None:
        config, found = check_config(raw.settings, raw.path)
        problems += found
    ctx = _Context(config=config, sources=dict(raw.sources), settings=raw.settings)
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
    tables = dict(ctx.tables)
    dropped = tables["position_kpis"].iloc[:0]
    if ctx.weights is not None:  # a map position's rows take its weights; dropped KPIs are not paid on
        given = tables["position_kpis"]
        tables["position_kpis"] = paid_position_kpis(given, ctx.weights)
        dropped = given.loc[given.index.difference(tables["position_kpis"].index)]
    data = ClientData(slug=raw.path.name, path=raw.path, config=config, tables=tables, dropped_kpis=dropped,
                      sources=ctx.sources, input_hashes=dict(sorted(raw.hashes.items())))
    return data, problems


def _file_hash(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- tables


@dataclass
class _Context:
    """What the cross-table rules see: converted tables and what is safe to trust."""

    config: ClientConfig | None
    sources: dict[str, str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    present: dict[str, set[str]] = field(default_factory=dict)  # table -> columns in the file
    failed: dict[tuple[str, str], set[int]] = field(default_factory=dict)  # reported cells' rows
    weights: pd.DataFrame | None = None  # every position's KPI weights, once they are sound
    settings: Any = None  # the RawSettings read (for the line of a setting)

    def usable(self, table: str, *columns: str) -> bool:
        return table in self.present and set(columns) <= self.present[table]

    def fail(self, table: str, row: int, *columns: str) -> None:
        """Remember a reported cell, so that later rules skip it."""
        for column in columns:
            self.failed.setdefault((table, column), set()).add(int(row))

    def ok(self, table: str, row: int, *columns: str) -> bool:
        return not any(row in self.failed.get((table, c), ()) for c in columns)

    def failed_in(self, table: str, rows: np.ndarray, *columns: str) -> np.ndarray:
        """Per row number of ``rows``: whether one of its ``columns`` was already reported."""
        failed = set().union(*(self.failed.get((table, c), ()) for c in columns))
        if not failed:
            return np.zeros(len(rows), dtype=bool)
        return np.isin(rows, np.fromiter(failed, dtype=np.int64, count=len(failed)))

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
            if (raw.columns[i].codes >= 0).any():
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
    for number, name in raw.failed_cells:  # reported while reading (a formula without a value)
        ctx.fail(table.name, number, name)

    data = {}
    empty = np.full(len(raw.numbers), -1, dtype=np.intp)
    for column in table.columns:
        pos = position.get(column.name)
        values, codes = (raw.columns[pos].values, raw.columns[pos].codes) if pos is not None \
            else (np.empty(0, dtype=object), empty)
        converted, bad = _convert_values(values, column, raw.decimal_comma)
        failing = np.zeros(len(values) + 1, dtype=bool)  # per value, then for empty (code -1)
        failing[list(bad)] = True
        failing[-1] = pos is not None and not column.nullable
        for i in np.flatnonzero(failing[codes]):
            number, code = int(raw.numbers[i]), codes[i]
            ctx.fail(table.name, number, column.name)
            if number not in raw.broken_rows:
                problems.append(ctx.problem(table.name, number, column.name,
                                            *(bad[code] if code >= 0 else _empty_cell(column))))
        data[column.name] = _series(converted, codes, column, table)
    data[ROW] = pd.Series(raw.numbers, dtype="int64")
    frame = pd.DataFrame(data)
    problems += _check_key(frame, table, ctx)
    return frame, problems


# Actuals tables from this many rows on hold their id columns as pandas categoricals (the KPI
# matrix reads their codes); smaller ones keep plain str objects like every other table.
CATEGORICAL_ROWS = 100_000
_CATEGORICAL = {"actuals": ("period", "employee_id", "kpi_id")}


def _series(converted: list | np.ndarray, codes: np.ndarray, column: Column, table: Table) -> pd.Series:
    """The column of a frame: each record's converted value (``codes`` -1 = empty)."""
    if column.kind == "number":
        return pd.Series(np.append(converted, math.nan)[codes], dtype="float64")
    if column.kind == "integer":
        lookup = [*converted, None]
        return pd.Series(pd.array([lookup[c] for c in codes], dtype="Int64"))
    if column.kind == "date":
        stamps = pd.Series([*converted, None], dtype="datetime64[ns]").to_numpy()
        return pd.Series(stamps[codes], dtype="datetime64[ns]")
    if column.name in _CATEGORICAL.get(table.name, ()) and len(codes) >= CATEGORICAL_ROWS:
        return pd.Series(_categorical(converted, codes))
    return pd.Series(_objects([*converted, None])[codes], dtype=object)


def _categorical(converted: list, codes: np.ndarray) -> pd.Categorical:
    """Values as a categorical with sorted categories (a converted value may repeat, e.g. a
    workbook's 1 and '1' both give '1')."""
    categories = sorted(set(converted) - {None})
    position = {value: i for i, value in enumerate(categories)}
    lookup = np.array([position.get(v, -1) for v in converted] + [-1], dtype=np.intp)
    return pd.Categorical.from_codes(lookup[codes], categories=categories)


def _objects(values: list) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _empty_cell(column: Column) -> tuple[str, str]:
    return (f"empty cell; column '{column.name}' requires a value",
            f"fill it in: {column.help}" if column.help else "fill it in")


def _convert_values(values: np.ndarray, column: Column,
                    decimal_comma: bool) -> tuple[list | np.ndarray, dict[int, tuple[str, str]]]:
    """Each distinct non-empty cell converted (``None``/NaN where it does not convert), and
    by position the (message, fix) of those that do not."""
    if column.kind == "number":
        numbers, bad = _parse_numbers(values, decimal_comma)
        for i in np.flatnonzero(_out_of_range(numbers, column)):
            bad[i] = _range_problem(float(numbers[i]), column)
            numbers[i] = math.nan
        return numbers, bad
    if column.kind in ("id", "text") and _all_text(values):
        return list(values), {}  # text is taken as it is
    converted, bad = [], {}
    for i, value in enumerate(values):
        value, problem = _convert(value, column, decimal_comma)
        converted.append(value)
        if problem is not None:
            bad[i] = problem
    return converted, bad


def _convert(cell: Any, column: Column, decimal_comma: bool) -> tuple[Any, tuple | None]:
    """One non-empty cell converted, or ``None`` and the (message, fix) saying why not."""
    try:
        value = convert_cell(cell, column, decimal_comma)
    except CellError as bad:
        return None, (bad.message, bad.fix)
    if column.kind in ("number", "integer") and check_range(value, column) is not None:
        return None, _range_problem(value, column)
    return value, None


def _range_problem(value: float, column: Column) -> tuple[str, str]:
    return (f"{column.name} is {_num(value)}; expected {_bounds(column)}",
            f"write a value {_bounds(column)}")


def _out_of_range(values: np.ndarray, column: Column) -> np.ndarray:
    """Where ``values`` break the column's bounds, as :func:`check_range` says (NaN never does)."""
    broken = np.zeros(len(values), dtype=bool)
    for bound, ok in ((column.ge, np.greater_equal), (column.gt, np.greater),
                      (column.le, np.less_equal), (column.lt, np.less)):
        if bound is not None:
            broken |= ~ok(values, bound)
    return broken & ~np.isnan(values)


# Cells that float() reads exactly as parse_number does (keyed by decimal_comma): digits, one
# decimal separator, an exponent; no spaces, thousands separators, percent signs, other digits.
_PLAIN_NUMBER = {False: re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"),
                 True: re.compile(r"[+-]?(?:[0-9]+(?:,[0-9]*)?|,[0-9]+)(?:[eE][+-]?[0-9]+)?")}
_NOT_PLAIN = {False: re.compile(r"[^0-9.eE+-]"), True: re.compile(r"[^0-9,eE+-]")}


def _all_text(values: np.ndarray) -> bool:
    return pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty")


def _parse_numbers(values: np.ndarray, decimal_comma: bool) -> tuple[np.ndarray, dict[int, tuple]]:
    """:func:`parse_number` of each value (NaN where it fails, with the reason by position);
    plain numbers are read by ``float`` directly."""
    if _all_text(values) and not _NOT_PLAIN[decimal_comma].search("".join(values)):
        # Only digits, signs, exponents and the decimal separator: what float() accepts of
        # such text is exactly what _PLAIN_NUMBER matches.
        texts = [v.replace(",", ".") for v in values] if decimal_comma else values
        try:
            numbers = np.asarray(texts, dtype=object).astype(np.float64)
        except ValueError:
            numbers = None
        if numbers is not None and np.isfinite(numbers).all():
            return numbers, {}
    plain = _PLAIN_NUMBER[decimal_comma]
    numbers = np.empty(len(values), dtype=np.float64)
    bad = {}
    for i, value in enumerate(values):
        if type(value) is str and plain.fullmatch(value):
            number = float(value.replace(",", ".") if decimal_comma else value)
            if math.isfinite(number):
                numbers[i] = number
                continue
        try:
            numbers[i] = parse_number(value, decimal_comma)
        except CellError as error:
            numbers[i] = math.nan
            bad[i] = (error.message, error.fix)
    return numbers, bad


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row the position of its value among the distinct values (-1 for an empty one),
    and those values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.intp), series.cat.categories.to_numpy(dtype=object)
    codes, values = pd.factorize(series.to_numpy(dtype=object))
    return codes.astype(np.intp), np.asarray(values, dtype=object)


def _check_key(frame: pd.DataFrame, table: Table, ctx: _Context) -> list[Problem]:
    if not table.key or not ctx.usable(table.name, *table.key):
        return []
    rows = frame[ROW].to_numpy()
    keep = np.flatnonzero(~ctx.failed_in(table.name, rows, *table.key))
    columns = [_codes(frame[c].iloc[keep]) for c in table.key]
    key, size = np.zeros(len(keep), dtype=np.int64), 1  # one number per combination of values
    for codes, values in columns:
        if size * (len(values) + 1) >= 2 ** 62:
            key, size = pd.factorize(key)[0].astype(np.int64), len(keep)  # renumber: no overflow
        key, size = key * (len(values) + 1) + (codes + 1), size * (len(values) + 1)
    duplicate = np.flatnonzero(pd.Series(key).duplicated().to_numpy())
    if not len(duplicate):
        return []
    keys, first = np.unique(key, return_index=True)
    problems = []
    label = ", ".join(table.key)
    for j in duplicate:
        row, first_row = int(rows[keep[j]]), int(rows[keep[first[np.searchsorted(keys, key[j])]]])
        shown = ", ".join(f"{c} {_show(values[codes[j]]) if codes[j] >= 0 else 'empty'}"
                          for c, (codes, values) in zip(table.key, columns))
        problems.append(ctx.problem(
            table.name, row, label,
            f"duplicate {shown}: already in row {first_row}; expected each "
            f"{'combination of ' if len(table.key) > 1 else ''}{label} once",
            "remove one of the rows or correct the id"))
        ctx.fail(table.name, row, *table.key)
    return problems


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
            frame = ctx.tables[table.name]
            rows = frame[ROW].to_numpy()
            codes, values = _codes(frame[column.name])
            unknown = np.array([v not in known for v in values] + [False], dtype=bool)
            found = {}  # value -> (message, fix): one difflib search per unknown value
            for i in np.flatnonzero(unknown[codes] & ~ctx.failed_in(table.name, rows, column.name)):
                value, row = values[codes[i]], int(rows[i])
                ctx.fail(table.name, row, column.name)
                if value not in found:
                    found[value] = _unknown_reference(ctx, value, known, ref_table, ref_column)
                problems.append(ctx.problem(table.name, row, column.name, *found[value]))
    return problems


def _unknown_reference(ctx: _Context, value: str, known: set, ref_table: str,
                       ref_column: str) -> tuple[str, str]:
    close = [k for k in known if k.lower() == value.lower()] or \
        difflib.get_close_matches(value, sorted(known), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return (f"unknown {ref_column} {_show(value)}: not in {ctx.sources.get(ref_table, ref_table)} "
            f"(known: {_listing(known)})",
            f"{hint}add it to {ctx.sources.get(ref_table, ref_table)} or correct the id "
            "(ids are case-sensitive)")


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
        for column in ("name", "perspective", "owner"):
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
    """Weights by each position's method (SPEC 3.2); thresholds and caps are ratios; curves exist."""
    if not ctx.usable("position_kpis", "position_id", "kpi_id", "weight"):
        return []
    problems = check_position_weights(ctx)
    records = ctx.records("position_kpis")
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


def check_gates(ctx: _Context) -> list[Problem]:
    """A gate's level is an attainment ratio; it applies to a KPI of its position or to total
    (SPEC 3.5.1)."""
    if not ctx.usable("gates", "position_id", "gate_kpi_id", "level", "applies_to", "cap") or \
            not ctx.usable("position_kpis", "position_id", "kpi_id"):
        return []
    kpis_of: dict[str, list[str]] = {}
    sections_of: dict[str, list[str]] = {}
    has_sections = ctx.usable("position_kpis", "section")
    for record in ctx.records("position_kpis"):
        kpis_of.setdefault(record["position_id"], []).append(record["kpi_id"])
        section = record.get("section") if has_sections else None
        if section is not None and section not in sections_of.get(record["position_id"], []):
            sections_of.setdefault(record["position_id"], []).append(section)
    problems = []
    for record in ctx.records("gates"):
        row, position, target = record[ROW], record["position_id"], record["applies_to"]
        for column in ("level", "cap"):
            value = record[column]
            if value > PERCENT_LIKE and ctx.ok("gates", row, column):
                problems.append(ctx.problem(
                    "gates", row, column,
                    f"{column} {_num(value)} looks like a percentage; expected an attainment ratio (1 = 100 %)",
                    f"write {_num(value / 100)} for {_num(value)} %"))
        if not ctx.ok("gates", row, "position_id", "applies_to") or target is None:
            continue
        own = kpis_of.get(position, [])
        sections = sections_of.get(position, [])
        if target != "total" and target not in own and target not in sections:
            what = "a KPI" if not sections else "a KPI or a section"
            problems.append(ctx.problem(
                "gates", row, "applies_to",
                f"applies_to {_show(target)} is neither {what} of position '{position}' nor total; expected "
                f"total or one of: {_listing(own + sections)}",
                f"write total, or a kpi_id (or section) that {ctx.sources.get('position_kpis', 'position_kpis')} "
                f"gives position '{position}'"))
    return problems


def check_sections(ctx: _Context) -> list[Problem]:
    """Sections of position_kpis and how positions combine them (SPEC 3.5.1): a position that
    multiplies its sections puts every KPI in one; a section is not named like a KPI of its
    position or ``total`` (a gate's applies_to would be ambiguous)."""
    if not ctx.usable("position_kpis", "position_id", "kpi_id"):
        return []
    has_section = ctx.usable("position_kpis", "section")
    rule_of = {}
    if ctx.usable("positions", "position_id", "section_rule"):
        rule_of = {r["position_id"]: (r["section_rule"], r[ROW]) for r in ctx.records("positions")
                   if ctx.ok("positions", r[ROW], "section_rule")}
    records = ctx.records("position_kpis")
    kpis_of: dict[str, set] = {}
    for record in records:
        kpis_of.setdefault(record["position_id"], set()).add(record["kpi_id"])
    table = ctx.sources.get("positions", "positions")
    problems = []
    for record in records:
        row, position = record[ROW], record["position_id"]
        section = record.get("section") if has_section else None
        if not ctx.ok("position_kpis", row, "position_id", "kpi_id", *(("section",) if has_section else ())):
            continue
        rule, rule_row = rule_of.get(position, (None, None))
        if rule == "multiply" and section is None:
            problems.append(ctx.problem(
                "position_kpis", row, "section" if has_section else None,
                f"KPI '{record['kpi_id']}' of position '{position}' has no section, but the position's "
                f"section_rule is multiply ({table}, row {rule_row}); expected a section name on every KPI "
                "of a position that multiplies its sections",
                "write the KPI's section (e.g. business, team, individual), or set the position's "
                "section_rule to add"))
        if section is not None and (section == "total" or section in kpis_of.get(position, ())):
            what = "the word total" if section == "total" else f"a KPI of position '{position}'"
            problems.append(ctx.problem(
                "position_kpis", row, "section",
                f"section {_show(section)} is also {what}; expected a section name that is neither "
                "total nor a kpi_id of the position (a gate's applies_to names one of them)",
                "rename the section, e.g. add _section"))
    return problems


def check_payout_basis(ctx: _Context) -> list[Problem]:
    """``clawback`` only means something for a position paid on the year to date (SPEC 3.5.1)."""
    if not ctx.usable("positions", "position_id", "clawback"):
        return []
    problems = []
    for record in ctx.records("positions"):
        row = record[ROW]
        basis = record.get("payout_basis") or "period"
        if record["clawback"] is not None and basis != "ytd" and ctx.ok("positions", row, "clawback",
                                                                         "payout_basis"):
            problems.append(ctx.problem(
                "positions", row, "clawback",
                f"position '{record['position_id']}' has clawback {_show(record['clawback'])} but payout_basis "
                f"{basis}; expected clawback only with payout_basis ytd (a period paid on its own has "
                "nothing to take back)",
                "clear the clawback cell, or set payout_basis to ytd"))
    return problems


_MAP_INPUTS = {"goals": ("goal_id", "parent_id", "strength", "root_weight", "owner"),
               "kpis": ("kpi_id", "goal_id", "share"), "positions": ("position_id", "level", "method"),
               "position_kpis": ("position_id", "kpi_id", "weight")}


def check_position_weights(ctx: _Context) -> list[Problem]:
    """Each position's KPI weights by its method (SPEC 3.2).

    ``head_on``: every row has a weight and they sum to 1. ``map``: no row has a weight (the map
    gives them), the position owns goals with KPIs, every kept candidate has a row, no row names
    a KPI that is not a candidate; a dropped candidate with a row is a warning (it is not paid
    on). When all is sound the weights are kept in ``ctx.weights`` for the later rules.
    """
    if not ctx.usable("positions", "position_id") or any(
            (table, column) in ctx.failed for table, columns in _MAP_INPUTS.items() for column in columns):
        return []
    tables = {name: ctx.tables[name] for name in ("goals", "kpis", "positions", "position_kpis")}
    positions = {r["position_id"]: r for r in tables["positions"].to_dict("records")}
    owner_setting = ctx.config.strategy_owner if ctx.config is not None else None
    problems = []
    if owner_setting is not None and owner_setting not in positions:
        table, line = ctx.settings.place("strategy_owner") if ctx.settings is not None else ("client", None)
        return [ctx.problem(
            table, line, "strategy_owner",
            f"strategy_owner '{owner_setting}' is not a position of "
            f"{ctx.sources.get('positions', 'positions')} (known: {_listing(positions)})",
            "write the position_id of the position that owns the strategy map, or delete the key to "
            "default to the position whose level is ceo")]
    try:
        methods = position_methods(tables["positions"], tables["goals"], owner_setting)
        weights = position_kpi_weights(tables["positions"], tables["position_kpis"], tables["kpis"],
                                       tables["goals"], owner_setting)
    except KpiToolkitError:  # a cycle or root weights: reported by check_goals
        return []
    owners = goal_owners(tables["goals"], map_owner(tables["positions"], owner_setting))
    rows_of: dict[str, list[dict]] = defaultdict(list)
    for record in ctx.records("position_kpis"):
        rows_of[record["position_id"]].append(record)
    source = ctx.sources.get("position_kpis", "position_kpis")
    for position, method in methods.items():
        rows = rows_of.get(position, [])
        if method == "head_on":
            problems += _head_on_problems(ctx, position, rows)
        else:
            problems += _map_problems(ctx, position, positions[position], rows,
                                      weights[weights["position_id"] == position], owners, source)
    if not any(p.severity == "error" for p in problems):
        ctx.weights = weights
    return problems


def _head_on_problems(ctx: _Context, position: str, rows: list[dict]) -> list[Problem]:
    empty = [r for r in rows if math.isnan(r["weight"])]
    if empty:
        return [ctx.problem(
            "position_kpis", r[ROW], "weight",
            f"KPI '{r['kpi_id']}' of position '{position}' has no weight; position '{position}' uses the "
            "head_on method (weights given by the expert), so every one of its KPIs needs a weight",
            f"fill the weights of '{position}' so that they sum to 1, or let the strategy map give them: "
            f"make '{position}' the owner of its goals (goals 'owner') with method map") for r in empty]
    total = sum(r["weight"] for r in rows)
    if rows and abs(total - 1) > TOLERANCE:
        detail = ", ".join(f"{r['kpi_id']} {_num(r['weight'])}" for r in rows)
        return [ctx.problem(
            "position_kpis", rows[0][ROW], "weight",
            f"weights of position '{position}' sum to {_num(round(total, 9))} ({detail}); "
            "they must sum to 1",
            f"correct the weights of '{position}' (rows {', '.join(str(r[ROW]) for r in rows)})")]
    return []


def _map_problems(ctx: _Context, position: str, record: dict, rows: list[dict], weights: pd.DataFrame,
                  owners: dict, source: str) -> list[Problem]:
    problems = []
    owned = [g for g, who in owners.items() if who == position]
    if weights.empty:  # the method itself is the fault: its rows are not checked against it
        why = (f"it owns goals {_listing(owned)} but none of them has a KPI" if owned
               else "it owns no goal of the strategy map")
        return [ctx.problem(
            "positions", record[ROW], "method",
            f"position '{position}' uses the method map, but {why}",
            "name it as the owner of goals (goals 'owner') and attach KPIs to them (kpis 'goal_id'), or set "
            f"its method to head_on and give its weights in {source}")]
    for r in rows:
        if not math.isnan(r["weight"]):
            problems.append(ctx.problem(
                "position_kpis", r[ROW], "weight",
                f"weight {_num(r['weight'])} is given for KPI '{r['kpi_id']}' of position '{position}', "
                "whose weights come from the strategy map (method map: from the goals it owns)",
                f"clear the weight cells of '{position}'; or, to give its weights yourself, set method "
                f"head_on for '{position}' in {ctx.sources.get('positions', 'positions')}"))
    if not weights["kept"].any():  # the goals it owns carry no weight on the map
        return [ctx.problem(
            "positions", record[ROW], "method",
            f"position '{position}' uses the method map, but the goals it owns ({_listing(owned)}) carry no "
            "weight on the strategy map, so none of its KPIs can be paid on",
            "give those goals weight (goals 'root_weight' or the links to them), or set its method to "
            f"head_on and give its weights in {source}")]
    candidates = {k: (kept, w) for k, kept, w in
                  zip(weights["kpi_id"], weights["kept"], weights["normalised"])}
    has_row = {r["kpi_id"] for r in rows}
    for r in rows:
        if r["kpi_id"] not in candidates:
            problems.append(ctx.problem(
                "position_kpis", r[ROW], "kpi_id",
                f"KPI '{r['kpi_id']}' is not one of the KPIs of the goals position '{position}' owns "
                f"(method map; its candidates: {_listing(candidates)})",
                f"remove the row, attach the KPI to a goal '{position}' owns (kpis 'goal_id'), or set "
                f"method head_on for '{position}' and give all its weights"))
        elif not candidates[r["kpi_id"]][0]:
            problems.append(ctx.problem(
                "position_kpis", r[ROW], "kpi_id",
                f"KPI '{r['kpi_id']}' of position '{position}' weighs {_num(round(candidates[r['kpi_id']][1], 4))} "
                f"among its candidates on the strategy map, under {_num(MIN_WEIGHT)}: it is dropped and not "
                "paid on (it can serve as a condition that raises or lowers the bonus)",
                "remove the row, or give the KPI's goal more weight on the map",
                severity="warning", rule="weight-min"))
    missing = [k for k, (kept, _) in candidates.items() if kept and k not in has_row]
    for kpi_id in missing:
        problems.append(ctx.problem(
            "position_kpis", None, "kpi_id",
            f"position '{position}' (method map) has no row for KPI '{kpi_id}', which its goals give "
            f"weight {_num(round(float(weights.loc[weights['kpi_id'] == kpi_id, 'weight'].iloc[0]), 4))}",
            f"add the row '{position},{kpi_id}' with the weight empty (and its threshold and cap) to {source}"))
    return problems


def check_employees(ctx: _Context) -> list[Problem]:
    """Funds, dates, positions with KPIs."""
    if not ctx.usable("employees", "employee_id", "position_id"):
        return []
    positions = {r["position_id"]: r for r in ctx.records("positions")} \
        if ctx.usable("positions", "position_id") else {}
    with_kpis = set(ctx.tables["position_kpis"]["position_id"].dropna()) \
        if ctx.usable("position_kpis", "position_id") else None
    period = _period_bounds(ctx)
    frame = ctx.tables["employees"]
    rows = frame[ROW].to_numpy()
    codes, ids = _codes(frame["position_id"])
    ids = [*ids, None]  # code -1 picks None
    staffed = np.array([p in positions for p in ids])[codes] & \
        ~ctx.failed_in("employees", rows, "position_id")
    share = np.array([_fund_rate(positions[p]) if p in positions else math.nan for p in ids])
    share_ok = np.array([p in positions and ctx.ok("positions", positions[p][ROW], "variable_share", "target_percent")
                         for p in ids])
    base, fund = frame["base_salary"].to_numpy(), frame["bonus_fund"].to_numpy()
    unfunded = staffed & share_ok[codes] & ~ctx.failed_in("employees", rows, "bonus_fund", "base_salary") \
        & np.isnan(fund) & (np.isnan(base) | np.isnan(share[codes]))
    # Only the rows these masks pick can have a problem; their messages come from the records.
    problems = []
    for record in frame.iloc[np.flatnonzero(unfunded | _odd_dates(frame, period))].to_dict("records"):
        problems += _employee_problems(ctx, record, positions, period)
    if with_kpis is not None:
        employees = frame["employee_id"].to_numpy(dtype=object)
        for code in pd.unique(codes[staffed]):
            position = ids[code]
            if position not in with_kpis:
                staff = list(employees[staffed & (codes == code)])
                problems.append(ctx.problem(
                    "positions", positions[position][ROW], "position_id",
                    f"position '{position}' has {len(staff)} employee(s) "
                    f"({_listing(staff, 3)}) but no KPIs",
                    f"add its KPIs to {ctx.sources.get('position_kpis', 'position_kpis')}"))
    return problems


def _fund_rate(position: dict) -> float:
    """What makes a fund from base pay for a position: its target_percent or variable_share
    (NaN when neither is given)."""
    t = position.get("target_percent", math.nan)
    return position["variable_share"] if math.isnan(t) else t


def check_positions(ctx: _Context) -> list[Problem]:
    """A position gives its fund as target_percent or as variable_share, not both (SPEC 3.5.1)."""
    if not ctx.usable("positions", "position_id", "variable_share", "target_percent"):
        return []
    problems = []
    for record in ctx.records("positions"):
        row = record[ROW]
        v, t = record["variable_share"], record["target_percent"]
        if not math.isnan(v) and not math.isnan(t) and ctx.ok("positions", row, "variable_share", "target_percent"):
            problems.append(ctx.problem(
                "positions", row, "target_percent",
                f"position '{record['position_id']}' has both variable_share {_num(v)} and target_percent "
                f"{_num(t)}; expected one of them (the fund is base_salary x t, or base_salary x v / (1 - v))",
                "clear one of the two cells"))
    return problems


def _odd_dates(frame: pd.DataFrame, period) -> np.ndarray:
    """Rows whose dates are crossed or outside the period reported."""
    start, end = frame["start_date"].to_numpy(), frame["end_date"].to_numpy()
    odd = start > end  # NaT compares false
    if period is not None:
        first, last = (bound.to_datetime64() for bound in period)
        odd |= (end < first) | (start > last)
    return odd


def _employee_problems(ctx: _Context, record: dict, positions: dict, period) -> list[Problem]:
    problems = []
    row, employee = record[ROW], record["employee_id"]
    position = record["position_id"]
    if position in positions and ctx.ok("employees", row, "position_id"):
        share = _fund_rate(positions[position])
        fund_cells_ok = ctx.ok("employees", row, "bonus_fund", "base_salary") and \
            ctx.ok("positions", positions[position][ROW], "variable_share", "target_percent")
        if fund_cells_ok and math.isnan(record["bonus_fund"]) and (
                math.isnan(record["base_salary"]) or math.isnan(share)):
            problems.append(ctx.problem(
                "employees", row, "bonus_fund",
                f"employee '{employee}' has neither a bonus_fund nor a base_salary with a "
                f"variable_share or target_percent for position '{position}'; expected one of them",
                "fill bonus_fund, or base_salary here and variable_share or target_percent in "
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
    return problems


def _period_bounds(ctx: _Context) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last day of the bonus period reported (named by its last month)."""
    if ctx.config is None:
        return None
    months = bonus_months(ctx.config.period, ctx.config.bonus_period_months)
    last = pd.Timestamp(months[-1] + "-01")
    return pd.Timestamp(months[0] + "-01"), last + pd.offsets.MonthEnd(0)


@dataclass
class _Ids:
    """An id column as codes into its distinct values, the empty value (``None``) included:
    ``values[codes[i]]`` is row ``i``'s id and ``position`` maps an id to its code."""

    codes: np.ndarray
    values: list

    @classmethod
    def of(cls, series: pd.Series) -> "_Ids":
        codes, values = _codes(series)
        return cls(np.where(codes < 0, len(values), codes), [*values, None])

    @cached_property
    def position(self) -> dict:
        return {value: i for i, value in enumerate(self.values)}

    def lookup(self, mapping: dict, default=-1) -> np.ndarray:
        """Per row, ``mapping.get(id, default)``."""
        return np.array([mapping.get(v, default) for v in self.values])[self.codes]


def check_actuals(ctx: _Context) -> list[Problem]:
    """Plans, facts and missing rows of the KPIs each employee is measured on."""
    needed = ctx.usable("actuals", "period", "employee_id", "kpi_id") and \
        ctx.usable("kpis", "kpi_id") and ctx.usable("employees", "employee_id", "position_id") and \
        ctx.usable("position_kpis", "position_id", "kpi_id")
    if not needed:
        return []
    kpi_records = ctx.records("kpis")
    kpis = {r["kpi_id"]: r for r in kpi_records}
    employees: dict[Any, int] = {}  # id -> its first row (position in the frame)
    for i, employee in enumerate(ctx.tables["employees"]["employee_id"]):
        employees.setdefault(employee, i)
    settings = ctx.records("position_kpis")
    dropped = set() if ctx.weights is None else set(zip(
        *[ctx.weights.loc[~ctx.weights["kept"], c] for c in ("position_id", "kpi_id")]))
    measured = {(r["position_id"], r["kpi_id"]): i for i, r in enumerate(settings)
                if (r["position_id"], r["kpi_id"]) not in dropped}
    actuals = ctx.tables["actuals"]
    rows = actuals[ROW].to_numpy()
    employee, kpi = _Ids.of(actuals["employee_id"]), _Ids.of(actuals["kpi_id"])

    # The setting (row of position_kpis) of each row: its employee's position and its KPI.
    positions = ctx.tables["employees"]["position_id"].to_numpy(dtype=object)
    staff = employee.lookup(employees)
    held = [positions[employees[e]] if e in employees else None for e in employee.values]
    held_codes, held_positions = pd.factorize(np.array(held, dtype=object))  # None -> -1
    by_pair = np.array([[measured.get((p, k), -1) for k in kpi.values]
                        for p in [*held_positions, None]], dtype=np.intp)
    setting = by_pair[held_codes[employee.codes], kpi.codes]
    checked = (staff >= 0) & kpi.lookup({k: True for k in kpis}, False).astype(bool) & \
        (setting >= 0) & ~ctx.failed_in("actuals", rows, "employee_id", "kpi_id")

    # Per row, what its plan and fact are compared with: its KPI's and its setting's values.
    def attribute(get, default) -> np.ndarray:
        return np.array([get(kpis[k]) if k in kpis else default for k in kpi.values])[kpi.codes]

    band = attribute(lambda r: r["direction"] == "band", False)
    lower = attribute(lambda r: r["direction"] == "lower", False)
    baseline = attribute(lambda r: r["baseline"], math.nan).astype(float)
    fact_required = attribute(lambda r: (r["missing"] or "error") == "error", False)
    cap = np.append([s["cap"] for s in settings], math.nan).astype(float)[setting]
    plan, fact = actuals["plan"].to_numpy(), actuals["fact"].to_numpy()
    no_base = np.isnan(baseline)
    bad_plan = ~band & ~ctx.failed_in("actuals", rows, "plan") & (
        np.isnan(plan) | (no_base & (plan == 0)) | (~no_base & (plan == baseline)))
    bad_fact = ~ctx.failed_in("actuals", rows, "fact") & (
        (np.isnan(fact) & fact_required) | (lower & (fact == 0) & no_base & np.isnan(cap)))

    # Only the rows these masks pick can have a problem; their messages come from the records.
    problems = []
    period = _Ids.of(actuals["period"])
    for i in np.flatnonzero(checked & (bad_plan | bad_fact)):
        record = {ROW: int(rows[i]), "period": period.values[period.codes[i]],
                  "employee_id": employee.values[employee.codes[i]],
                  "kpi_id": kpi.values[kpi.codes[i]], "plan": float(plan[i]), "fact": float(fact[i])}
        problems += _check_plan(ctx, record, kpis[record["kpi_id"]])
        problems += _check_fact(ctx, record, kpis[record["kpi_id"]], settings[setting[i]])
    problems += _check_missing_rows(ctx, period, employee, kpi, kpis, list(measured))
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


def _check_missing_rows(ctx: _Context, period: _Ids, employee: _Ids, kpi: _Ids, kpis: dict,
                        measured: list[tuple]) -> list[Problem]:
    """Employees active in the period reported without a row for a KPI whose missing fact is
    an error; ``measured`` holds the (position, KPI) pairs of position_kpis in file order."""
    bounds = _period_bounds(ctx)
    if bounds is None or ctx.failed_in("actuals", ctx.tables["actuals"][ROW].to_numpy(), "period").any():
        return []
    reported = ctx.config.period
    found = sorted({period.values[c] for c in np.unique(period.codes)} - {None})
    if reported not in found:
        return [ctx.problem(
            "actuals", None, "period",
            f"no rows for period '{reported}', the period reported in {ctx.sources.get('client', 'client.yaml')}; "
            f"found periods: {_listing(found)}",
            "add the plan and fact of that period, or correct 'period' in the settings")]
    by_position: dict[str, list[str]] = defaultdict(list)
    for position, kpi_id in measured:
        by_position[position].append(kpi_id)
    width = len(kpi.values)
    frame = ctx.tables["employees"]
    rows, ids = frame[ROW].to_numpy(), frame["employee_id"].to_numpy(dtype=object)
    first = ~ctx.failed_in("employees", rows, "employee_id", "position_id", "start_date", "end_date")
    first[first] = ~pd.Series(ids[first]).duplicated().to_numpy()
    positions = frame["position_id"].to_numpy(dtype=object)

    wanted: dict[Any, list[tuple[str, int]]] = {}

    def required(position) -> list[tuple[str, int]]:
        """The KPIs of ``position`` whose missing fact is an error, with their codes (a team
        KPI has no rows: its team's rows are checked by check_team_kpis)."""
        if position not in wanted:
            wanted[position] = [
                (k, kpi.position.get(k, -1)) for k in by_position.get(position, [])
                if kpis.get(k) is not None and (kpis[k]["missing"] or "error") == "error"
                and kpis[k].get("aggregate") is None]
        return wanted[position]

    problems = []
    for month in bonus_months(reported, ctx.config.bonus_period_months):  # every month of a longer period
        first_day = pd.Timestamp(month + "-01")
        in_period = period.codes == period.position.get(month, -2)
        present = np.unique(employee.codes[in_period].astype(np.int64) * width + kpi.codes[in_period])
        candidates = np.flatnonzero(first & ~_inactive(frame, (first_day, first_day + pd.offsets.MonthEnd(0))))
        lists = [required(positions[i]) for i in candidates]
        counts = [len(pairs) for pairs in lists]
        owner = np.repeat(candidates, counts)
        pairs = [pair for pairs in lists for pair in pairs]
        kpi_codes = np.array([code for _, code in pairs], dtype=np.int64)
        staff = np.repeat(np.array([employee.position.get(e, -1) for e in ids[candidates]],
                                   dtype=np.int64), counts)
        missing = (staff < 0) | (kpi_codes < 0) | ~np.isin(staff * width + kpi_codes, present)
        within = "" if month == reported else f" (a month of the bonus period ending {reported})"
        for j in np.flatnonzero(missing):
            i, kpi_id = owner[j], pairs[j][0]
            problems.append(ctx.problem(
                "employees", int(rows[i]), "employee_id",
                f"employee '{ids[i]}' has no row in {ctx.sources.get('actuals', 'actuals')} "
                f"for KPI '{kpi_id}' of position '{positions[i]}' in {month}{within}; "
                "a missing fact is an error for this KPI",
                "add the row with plan and fact, or set missing to 'zero' or 'exclude' for the "
                f"KPI in {ctx.sources.get('kpis', 'kpis')}"))
    return problems


def _inactive(frame: pd.DataFrame, bounds) -> np.ndarray:
    """Employees who left before the period or joined after it."""
    first, last = (bound.to_datetime64() for bound in bounds)
    start, end = frame["start_date"].to_numpy(), frame["end_date"].to_numpy()
    return (end < first) | (start > last)  # NaT compares false


def check_team_kpis(ctx: _Context) -> list[Problem]:
    """Team KPIs (SPEC §3.4): ``aggregate`` with ``aggregate_over``, no chain of team KPIs that
    aggregates itself, no cycle in ``positions.reports_to``, no rows of their own in actuals."""
    problems = []
    if ctx.usable("kpis", "kpi_id", "aggregate"):
        problems += _check_aggregate_columns(ctx)
        if problems:  # the teams cannot be formed: the rows are checked once the KPIs are sound
            return problems
    if ctx.usable("positions", "position_id", "reports_to"):
        edges = {}
        for record in ctx.records("positions"):
            boss = record["reports_to"]
            if boss is not None and ctx.ok("positions", record[ROW], "position_id", "reports_to"):
                edges.setdefault((record["position_id"], boss), record[ROW])
        cycle = find_cycle(edges)
        if cycle is not None:
            rows = sorted(edges[pair] for pair in zip(cycle, cycle[1:]))
            chain = " -> ".join(cycle)
            problems.append(ctx.problem(
                "positions", rows[0], "reports_to",
                f"positions {', '.join(repr(p) for p in cycle[:-1])} report to each other in a cycle: {chain} "
                f"(rows {', '.join(map(str, rows))}); expected a hierarchy without cycles",
                "correct reports_to so that no position reports, even indirectly, to itself"))
    problems += _check_team_rows(ctx)
    return problems


def _check_aggregate_columns(ctx: _Context) -> list[Problem]:
    problems, edges = [], {}
    for record in ctx.records("kpis"):
        row, kpi, aggregate = record[ROW], record["kpi_id"], record["aggregate"]
        if not ctx.ok("kpis", row, "kpi_id", "aggregate", "aggregate_of", "aggregate_over"):
            continue
        of, over = record.get("aggregate_of"), record.get("aggregate_over")
        if aggregate is None:
            for column, value in (("aggregate_of", of), ("aggregate_over", over)):
                if value is not None:
                    problems.append(ctx.problem(
                        "kpis", row, column,
                        f"{column} {_show(value)} is given for KPI '{kpi}', which has no aggregate; "
                        "expected aggregate (sum or mean) for a team KPI",
                        f"set aggregate to sum or mean to make '{kpi}' a team KPI, or clear {column}"))
            continue
        if over is None:
            problems.append(ctx.problem(
                "kpis", row, "aggregate_over",
                f"team KPI '{kpi}' (aggregate {aggregate}) does not say whose results it aggregates; "
                "expected aggregate_over: reports or department",
                "write reports (the employees whose positions report to the employee's position, in "
                "the same department) or department (the other employees of the department)"))
        if of is not None and of != kpi:
            edges.setdefault((kpi, of), row)
    cycle = find_cycle(edges)
    if cycle is not None:
        rows = sorted(edges[pair] for pair in zip(cycle, cycle[1:]) if pair in edges)
        problems.append(ctx.problem(
            "kpis", rows[0] if rows else None, "aggregate_of",
            f"team KPIs {', '.join(repr(k) for k in cycle[:-1])} aggregate each other in a cycle: "
            f"{' -> '.join(cycle)} (rows {', '.join(map(str, rows))}); expected each team KPI to "
            "aggregate a KPI measured without it", "make one of them aggregate a KPI with rows in actuals"))
    return problems


def _check_team_rows(ctx: _Context) -> list[Problem]:
    """Rows of a team KPI for an employee paid on it (the rule: the team's rows give its plan
    and fact) and, in the period reported, teams without a member with a row."""
    needed = ctx.usable("kpis", "kpi_id", "aggregate") and ctx.usable("actuals", "period", "employee_id", "kpi_id") \
        and ctx.usable("employees", "employee_id", "position_id") and ctx.usable("position_kpis", "position_id", "kpi_id")
    if not needed or any(("kpis", c) in ctx.failed for c in ("kpi_id", "aggregate", "aggregate_of", "aggregate_over")):
        return []
    kpis = ctx.tables["kpis"]
    team = team_kpis(kpis.drop_duplicates("kpi_id"))
    if team.empty:
        return []
    spec = team.set_index("kpi_id")
    actuals, employees, pks = ctx.tables["actuals"], ctx.tables["employees"], ctx.tables["position_kpis"]
    position = dict(zip(employees["employee_id"], employees["position_id"]))
    paid = set(zip(pks["position_id"], pks["kpi_id"]))
    problems = []
    is_team = actuals["kpi_id"].isin(spec.index).to_numpy()
    for record in actuals[is_team].to_dict("records"):
        kpi, employee = record["kpi_id"], record["employee_id"]
        if (position.get(employee), kpi) not in paid:
            continue
        of = spec.at[kpi, "aggregate_of"]
        over = {"reports": "the employees reporting to them", "department": "their department"}.get(
            spec.at[kpi, "aggregate_over"], "their team")
        problems.append(ctx.problem(
            "actuals", record[ROW], "kpi_id",
            f"a row of team KPI '{kpi}' for employee '{employee}' in {record['period']}: its plan and fact "
            f"are the {spec.at[kpi, 'aggregate']} of '{of}' over {over} (rule: a team KPI has no rows of "
            "its own)", f"remove the row; the team members' rows of '{of}' give the plan and fact"))
    problems += _check_empty_teams(ctx, team, paid)
    return problems


def _check_empty_teams(ctx: _Context, team: pd.DataFrame, paid: set) -> list[Problem]:
    """Employees at work in the period reported, paid on a team KPI whose missing fact is an
    error, whose team has no member with a row of the aggregated KPI in the bonus period."""
    bounds = _period_bounds(ctx)
    if bounds is None or any((t, c) in ctx.failed for t, c in (
            ("actuals", "period"), ("actuals", "employee_id"), ("actuals", "kpi_id"), ("employees", "position_id"),
            ("positions", "reports_to"), ("positions", "department"), ("employees", "department"))):
        return []
    kpis, positions = ctx.tables["kpis"].drop_duplicates("kpi_id"), ctx.tables["positions"]
    policy = dict(zip(kpis["kpi_id"], kpis["missing"].fillna("error")))
    team = team[[policy.get(t) == "error" for t in team["kpi_id"]]]
    employees = ctx.tables["employees"].drop_duplicates("employee_id")
    employees = employees[~_inactive(employees, bounds)]
    heads = employees[[any((p, t) in paid for t in team["kpi_id"]) for p in employees["position_id"]]]
    if heads.empty:
        return []
    months = bonus_months(ctx.config.period, ctx.config.bonus_period_months)
    actuals = ctx.tables["actuals"]
    pool = actuals[actuals["period"].isin(months).to_numpy()].assign(period=ctx.config.period)
    everyone = ctx.tables["employees"].drop_duplicates("employee_id")
    default = everyone["position_id"].map(dict(zip(positions["position_id"], positions["department"])))
    departments = everyone["department"].where(everyone["department"].notna(), default)
    found = team_rows(pool, everyone, departments, positions, kpis, ctx.tables["position_kpis"])
    has = set(zip(found["employee_id"], found["kpi_id"]))
    problems = []
    head_departments = departments.set_axis(everyone["employee_id"]).to_dict()
    source = ctx.sources.get("positions", "positions")
    for record in heads.to_dict("records"):
        for t in team["kpi_id"]:
            if (record["position_id"], t) not in paid or (record["employee_id"], t) in has:
                continue
            of, over = team.set_index("kpi_id").at[t, "aggregate_of"], team.set_index("kpi_id").at[t, "aggregate_over"]
            department = head_departments.get(record["employee_id"])
            who = (f"employee of department '{department}' in a position reporting to '{record['position_id']}'"
                   if over == "reports" else f"other employee of department '{department}'")
            fix = (f"set reports_to '{record['position_id']}' for the team's positions in {source}, "
                   if over == "reports" else "") + f"add the team's rows of '{of}', or set missing to 'zero' or " \
                f"'exclude' for '{t}' in {ctx.sources.get('kpis', 'kpis')}"
            problems.append(ctx.problem(
                "employees", record[ROW], "employee_id",
                f"employee '{record['employee_id']}' is paid on team KPI '{t}' but has no team in "
                f"{ctx.config.period}: no {who} has a row of '{of}' in {ctx.sources.get('actuals', 'actuals')}",
                fix))
    return problems


RATE_UNITS = ("%", "ratio", "rate")  # levels, not amounts: summing their months is rarely meant


def check_period_aggregation(ctx: _Context) -> list[Problem]:
    """With a bonus period of several months, a KPI measured as a rate left to the default
    ``period_aggregation`` (sum) is warned about: three monthly 95 % make 285 %."""
    if ctx.config is None or ctx.config.bonus_period_months <= 1 or not ctx.usable("kpis", "kpi_id", "unit"):
        return []
    months = ctx.config.bonus_period_months
    problems = []
    for record in ctx.records("kpis"):
        unit = (record["unit"] or "").strip().lower()
        if unit in RATE_UNITS and record.get("period_aggregation") is None and record.get("aggregate") is None:
            problems.append(ctx.problem(
                "kpis", record[ROW], "period_aggregation",
                f"KPI '{record['kpi_id']}' is measured in '{record['unit']}' and its {months} monthly plans and "
                f"facts are summed over the bonus period (the default period_aggregation, sum)",
                "set period_aggregation to mean (an average rate) or last (a level at the period's end)",
                severity="warning"))
    return problems


def check_methodology(ctx: _Context) -> list[Problem]:
    """The KPI selection rules (warnings with rule codes: kpi-count, weight-min, data-source,
    measurement-cost), once the cells they read are sound: a typo is reported once, as an
    error, not again as a methodology warning."""
    needed = {"positions": ("position_id",), "position_kpis": ("position_id", "kpi_id", "weight"),
              "kpis": ("kpi_id",)}
    read = {"positions": ("position_id", "level"), "position_kpis": ("position_id", "kpi_id", "weight"),
            "kpis": ("kpi_id", "data_source", "measurement_cost", "measurement_worth")}
    if not all(ctx.usable(table, *columns) for table, columns in needed.items()) or any(
            (table, column) in ctx.failed for table, columns in read.items() for column in columns):
        return []
    if ctx.weights is None:
        return []
    paid = paid_position_kpis(ctx.tables["position_kpis"], ctx.weights)
    return check_selection_rules(ctx.tables["positions"], paid, ctx.tables["kpis"], ctx.sources)


# --------------------------------------------------------------------------- money


#: Columns holding amounts of money, refused beyond what the toolkit computes exactly.
MONEY_COLUMNS = {"employees": ("base_salary", "bonus_fund"), "project": ("pv", "ev", "ac", "bac")}


def check_money(ctx: _Context) -> list[Problem]:
    """Amounts beyond :func:`~kpi_toolkit.method.exact.money_limit` for the currency's decimals (SPEC 6):
    the money columns, and a bonus fund computed from base_salary and variable_share."""
    if ctx.config is None:
        return []
    decimals = ctx.config.currency_decimals
    beyond = (f"expected at most {format_limit(decimals)} {ctx.config.currency}, the largest amount the toolkit "
              f"computes exactly (2**52 minor units)")
    problems = []
    for table, columns in MONEY_COLUMNS.items():
        frame = ctx.tables[table]
        rows = frame[ROW].to_numpy()
        for column in columns:
            values = frame[column].to_numpy(dtype=float, na_value=np.nan)
            for i in np.flatnonzero(~np.isnan(values) & ~money_in_range(values, decimals)):
                if ctx.ok(table, rows[i], column):
                    ctx.fail(table, rows[i], column)
                    problems.append(ctx.problem(
                        table, int(rows[i]), column, f"{column} is {_amount(values[i])}; {beyond}",
                        "check the amount (a misplaced decimal point or exponent?)"))
    return problems + _check_funds_from_share(ctx, beyond)


def _check_funds_from_share(ctx: _Context, beyond: str) -> list[Problem]:
    """Employees without a bonus_fund whose base_salary x v / (1 - v) is beyond the limit."""
    if not ctx.usable("employees", "employee_id", "position_id", "base_salary") or \
            not (ctx.usable("positions", "position_id", "variable_share")
                 or ctx.usable("positions", "position_id", "target_percent")):
        return []
    positions = ctx.tables["positions"].drop_duplicates("position_id").set_index("position_id")
    frame = ctx.tables["employees"]
    share = frame["position_id"].map(positions["variable_share"]).to_numpy(dtype=float, na_value=np.nan)
    target = frame["position_id"].map(positions["target_percent"]).to_numpy(dtype=float, na_value=np.nan)
    base, fund = frame["base_salary"].to_numpy(dtype=float), frame["bonus_fund"].to_numpy(dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        derived = np.where(np.isnan(target), base * share / (1 - share), base * target)
    problems = []
    beyond_limit = ~np.isnan(derived) & ~money_in_range(derived, ctx.config.currency_decimals)
    for i in np.flatnonzero(np.isnan(fund) & beyond_limit):
        row, position = int(frame[ROW].iloc[i]), frame["position_id"].iloc[i]
        if ctx.ok("employees", row, "base_salary", "bonus_fund") and not np.isnan(target[i]):
            problems.append(ctx.problem(
                "employees", row, "base_salary",
                f"the bonus fund of employee '{frame['employee_id'].iloc[i]}', base_salary {_amount(base[i])} x "
                f"target_percent {_amount(target[i])} of position '{position}', is {_amount(derived[i])}; {beyond}",
                "check base_salary and the position's target_percent, or give the fund in bonus_fund"))
        elif ctx.ok("employees", row, "base_salary", "bonus_fund"):
            problems.append(ctx.problem(
                "employees", row, "base_salary",
                f"the bonus fund of employee '{frame['employee_id'].iloc[i]}', base_salary {_amount(base[i])} x "
                f"variable_share {_amount(share[i])} / (1 - {_amount(share[i])}) of position '{position}', is "
                f"{_amount(derived[i])}; {beyond}",
                "check base_salary and the position's variable_share, or give the fund in bonus_fund"))
    return problems


def _amount(value: float) -> str:
    """An amount in full (as typed) while that is short."""
    return np.format_float_positional(value, trim="-") if abs(value) < 1e21 else repr(float(value))


RULES = (check_references, check_goals, check_kpis, check_positions, check_position_kpis, check_sections, check_gates,
         check_payout_basis, check_employees,
         check_actuals, check_team_kpis, check_period_aggregation, check_methodology, check_money)
