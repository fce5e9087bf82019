"""The settings on a workbook's ``client`` sheet, and how they join those of ``client.yaml``.

The sheet has the columns ``key`` and ``value``, one setting per row (SPEC §4). A key is a
path of names joined by dots, as ``client.yaml`` nests them: ``questionnaire.activity``,
``readiness.kpis_computable``, ``project_thresholds.green``. A number in the path counts the
entries of a list from 1: ``contacts.1.name``, ``contacts.1.email``, ``contacts.2.name``. An
empty value means "not set". Paths are recorded as ``client.yaml``'s reader records them
(``contacts[0].name``), so that a problem of either source points at its row or line.

When a client has both, the sheet and ``client.yaml`` are merged: sections (``questionnaire``,
``readiness``, ...) may be split between them, but a value given in both places is an error
naming both.
"""
from __future__ import annotations

import re
from typing import Any

from kpi_toolkit.errors import Problem, shorten
from kpi_toolkit.inputs.raw import RawSettings

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"[0-9]+")
_EXAMPLE = "e.g. 'questionnaire.activity' or 'contacts.1.name'"


def sheet_settings(rows: list[tuple[int, Any, Any]], source: str) -> tuple[RawSettings, list[Problem]]:
    """The settings of a ``client`` sheet from its ``(row, key, value)`` records.

    Examples
    --------
    >>> settings, problems = sheet_settings([(2, "name", "Acme"), (3, "contacts.1.name", "Jane Smith"),
    ...                                      (4, "contacts.1.role", "HR"), (5, "questionnaire.headcount", 120)],
    ...                                     "client.xlsx [client]")
    >>> settings.values
    {'name': 'Acme', 'contacts': [{'name': 'Jane Smith', 'role': 'HR'}], 'questionnaire': {'headcount': 120}}
    >>> settings.place("contacts[0].role"), problems
    (('client.xlsx [client]', 4), [])
    """
    settings = RawSettings(source=source, values={})
    problems: list[Problem] = []
    tree: dict = {}
    rows_of: dict[tuple, int] = {}  # path parts -> the row that set it (a value) or opened it (a section)

    def problem(row: int, message: str, fix: str, severity: str = "error") -> None:
        problems.append(Problem(table=source, row=row, column="key", message=message, fix=fix,
                                severity=severity))

    for number, key, value in rows:
        text = str(key).strip()
        parts = tuple(text.split("."))
        unreadable = (not _NAME.fullmatch(parts[0])
                      or not all(_NAME.fullmatch(p) or _INDEX.fullmatch(p) for p in parts[1:]))
        if value is None:  # "not set"; its row still locates a "required key is missing"
            if not unreadable:
                rows_of.setdefault(parts, number)
            continue
        # like an unknown key, a key that cannot be read is warned about and its value ignored
        if unreadable:
            problem(number, f"key '{shorten(text)}' is not a setting's name and its value is ignored; expected "
                            f"names joined by dots, with list entries numbered from 1 ({_EXAMPLE})",
                    "write the key as the instructions sheet lists it", severity="warning")
            continue
        if any(_INDEX.fullmatch(p) and int(p) < 1 for p in parts):
            problem(number, f"key '{text}' numbers a list entry 0 and its value is ignored; expected entries "
                            "numbered from 1",
                    f"write e.g. '{'.'.join('1' if _INDEX.fullmatch(p) else p for p in parts)}'", severity="warning")
            continue
        clash = _clash(tree, parts)
        if clash is not None:
            first = rows_of.get(clash)
            where = f" (first in row {first})" if first else ""
            if clash == parts and not isinstance(_get(tree, parts), dict):
                message = f"key '{text}' appears twice{where}"
                fix = "keep one row per key"
            else:
                message = (f"key '{text}' does not fit key '{_dotted(clash, parts)}'{where}: one names a "
                           "value, the other a section of values")
                fix = f"keep either '{_dotted(clash, parts)}' or the keys under it"
            problem(number, message, fix)
            continue
        node = tree
        for depth, part in enumerate(parts[:-1]):
            node = node.setdefault(part, {})
            rows_of.setdefault(parts[:depth + 1], number)
        node[parts[-1]] = value
        rows_of[parts] = number
    settings.values, paths = _lists(tree, (), "")
    for parts, number in rows_of.items():
        settings.lines.setdefault(paths.get(parts) or _yaml_path(parts), number)
    return settings, problems


def _clash(tree: dict, parts: tuple[str, ...]) -> tuple[str, ...] | None:
    """The path already in ``tree`` that ``parts`` collides with, if any."""
    node: Any = tree
    for depth, part in enumerate(parts):
        if not isinstance(node, dict):
            return parts[:depth]  # a value where the key needs a section
        if part not in node:
            return None
        node = node[part]
    return parts  # the same key again, or a section where the key is a value


def _get(tree: dict, parts: tuple[str, ...]) -> Any:
    for part in parts:
        tree = tree[part]
    return tree


def _dotted(clash: tuple[str, ...], parts: tuple[str, ...]) -> str:
    return ".".join(clash) if clash != parts else ".".join(parts) + ".…"


def _lists(node: Any, parts: tuple[str, ...], prefix: str) -> tuple[Any, dict[tuple, str]]:
    """Sections whose keys are all numbers become lists, in the numbers' order; and each
    path's ``client.yaml`` form (``contacts[0].name``) by its parts."""
    if not isinstance(node, dict):
        return node, {}
    numbered = bool(node) and all(_INDEX.fullmatch(k) for k in node)
    keys = sorted(node, key=int) if numbered else list(node)
    out: Any = [] if numbered else {}
    paths: dict[tuple, str] = {}
    for position, key in enumerate(keys):
        here = f"{prefix}[{position}]" if numbered else (f"{prefix}.{key}" if prefix else key)
        child, child_paths = _lists(node[key], parts + (key,), here)
        if numbered:
            out.append(child)
        else:
            out[key] = child
        paths[parts + (key,)] = here
        paths.update(child_paths)
    return out, paths


def _yaml_path(parts: tuple[str, ...]) -> str:
    path = ""
    for part in parts:
        path += f"[{int(part) - 1}]" if _INDEX.fullmatch(part) else (f".{part}" if path else part)
    return path


def merge_settings(sheet: RawSettings, yaml: RawSettings) -> tuple[RawSettings, list[Problem]]:
    """The ``client`` sheet's settings joined with ``client.yaml``'s; a value in both is an error.

    Sections are joined key by key; anything else (a value, a list such as ``contacts``) must be
    given in one place only. ``client.yaml`` holding only comments adds nothing. When
    ``client.yaml`` is not a map of keys, it is returned as it is, for the check to report.

    Examples
    --------
    >>> sheet = RawSettings("client.xlsx [client]", {"name": "Acme", "questionnaire": {"headcount": 120}},
    ...                     {"name": 2, "questionnaire": 5, "questionnaire.headcount": 5})
    >>> yaml = RawSettings("client.yaml", {"name": "ACME", "questionnaire": {"activity": "Trade"}},
    ...                    {"name": 3, "questionnaire": 7, "questionnaire.activity": 8})
    >>> merged, problems = merge_settings(sheet, yaml)
    >>> merged.values["questionnaire"], merged.place("questionnaire.activity")
    ({'headcount': 120, 'activity': 'Trade'}, ('client.yaml', 8))
    >>> print(problems[0])  # doctest: +NORMALIZE_WHITESPACE
    client.xlsx [client], row 2, column 'name': 'name' is set twice: on the client sheet ('Acme') and in
    client.yaml line 3 ('ACME'); expected each setting in one place. Fix: keep one: clear the value in row 2
    of the client sheet, or delete 'name' from client.yaml
    """
    values = {} if yaml.values is None else yaml.values
    if not isinstance(values, dict) or not isinstance(sheet.values, dict):
        return yaml, []
    problems: list[Problem] = []
    merged = RawSettings(source=sheet.source, values=None)
    for settings in (sheet, yaml):
        for path, line in settings.lines.items():
            if path not in merged.lines:
                merged.lines[path] = line
                merged.origins[path] = settings.source
    merged.values = _join(sheet.values, values, "", sheet, yaml, problems)
    return merged, problems


def _join(sheet: dict, yaml: dict, path: str, sheet_settings: RawSettings, yaml_settings: RawSettings,
          problems: list[Problem]) -> dict:
    out = dict(sheet)
    for key, value in yaml.items():
        here = f"{path}.{key}" if path else str(key)
        if key not in out:
            out[key] = value
        elif value is None:  # 'key:' with nothing after it sets nothing
            continue
        elif isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = _join(out[key], value, here, sheet_settings, yaml_settings, problems)
        else:
            row, line = sheet_settings.line(here), yaml_settings.line(here)
            problems.append(Problem(
                table=sheet_settings.source, row=row, column=here,
                message=f"'{here}' is set twice: on the client sheet ({_quoted(out[key])}) and in "
                        f"{yaml_settings.source}{f' line {line}' if line else ''} ({_quoted(value)}); "
                        "expected each setting in one place",
                fix=f"keep one: clear the value{f' in row {row}' if row else ''} of the client sheet, "
                    f"or delete '{here}' from {yaml_settings.source}"))
    return out


def _quoted(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a section" if isinstance(value, dict) else "a list"
    return f"'{shorten(str(value))}'"
