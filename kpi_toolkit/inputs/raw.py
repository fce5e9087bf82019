"""A client folder as read, before any check: each table column by column, and the settings.

:mod:`kpi_toolkit.inputs.loading` fills these from the files; :mod:`kpi_toolkit.inputs.validation`
and :mod:`kpi_toolkit.inputs.settings` convert and check them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kpi_toolkit.errors import Problem


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
    but never reported again. ``failed_cells`` are ``(row number, column name)`` of cells
    reported while reading, which the later rules skip. ``problems`` are those found while
    reading (the table is still usable).
    """

    name: str
    source: str
    header: list[str]
    numbers: np.ndarray
    columns: list[RawColumn]
    decimal_comma: bool = False
    broken_rows: set[int] = field(default_factory=set)
    failed_cells: set[tuple[int, str]] = field(default_factory=set)
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
    (sheet), so messages can point at it. Settings merged from the ``client`` sheet and
    ``client.yaml`` keep in ``origins`` the source of each path that is not ``source``.
    """

    source: str
    values: Any
    lines: dict[str, int] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def line(self, path: str) -> int | None:
        """The line of ``path``, else of its nearest parent that has one."""
        return _nearest(self.lines, path)

    def place(self, path: str) -> tuple[str, int | None]:
        """Where ``path`` was written: its file or sheet, and its line or row."""
        return _nearest(self.origins, path) or self.source, self.line(path)


def _nearest(found: dict[str, Any], path: str) -> Any:
    """The entry of ``path``, else of its nearest parent that has one."""
    while path:
        if path in found:
            return found[path]
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
