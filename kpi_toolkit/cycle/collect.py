"""``kpi-toolkit collect``: one fact-entry workbook per department or manager (SPEC §7).

Each workbook lists a row per employee and KPI of the period with the plan filled in; only
the fact cells can be edited (sheet protection) and each accepts only a number. Team KPIs
(``kpis.aggregate`` set) are computed from the members' facts and are not asked for. The
workbook records, on a very hidden sheet, the client, the period, the department (or
manager) and every row it was sent with and its plan, with a hash of them, so that
:mod:`kpi_toolkit.cycle.merge` can tell whether it came back untouched and whose it is.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_toolkit.version import __version__
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.errors import ClientDataError, KpiToolkitError
from kpi_toolkit.fileio import atomic_path, cells_as_text
from kpi_toolkit.outputs.i18n import format_period, t

log = logging.getLogger("kpi_toolkit")

FORMAT = "kpi-toolkit facts 1"
META_SHEET = "_kpi_toolkit"
BY = ("department", "manager")
#: The facts sheet's columns, in order; only ``fact`` is editable.
COLUMNS = ("employee_id", "employee", "position", "kpi_id", "kpi", "unit", "direction", "plan", "fact")
PLAN_COLUMN = COLUMNS.index("plan") + 1
FACT_COLUMN = COLUMNS.index("fact") + 1
#: Where the sent rows are listed on the meta sheet (row, employee_id, kpi_id, plan).
SENT_FIRST_COLUMN = 4


@dataclass(frozen=True)
class EntryClient:
    """A client read for data entry: valid except for facts of ``period`` not entered yet.

    ``missing`` holds the ``(employee_id, kpi_id)`` pairs of ``period`` whose fact cell is
    empty; in ``data`` their fact is NaN.
    """

    data: ClientData
    period: str
    missing: frozenset[tuple[str, str]]


def load_for_entry(folder: str | Path, period: str | None = None) -> EntryClient:
    """Read and check a client folder, accepting empty facts in ``period`` (those are to be collected).

    Every other error is raised as :class:`~kpi_toolkit.errors.ClientDataError`: plans,
    employees and KPIs must be right before facts are collected against them.
    """
    from kpi_toolkit.inputs.loading import read_sources
    from kpi_toolkit.inputs.cells import CellError, parse_period
    from kpi_toolkit.inputs.validation import check_client

    folder = Path(folder)
    if not folder.is_dir():
        raise KpiToolkitError(f"client folder '{folder}' not found; a client folder is clients/<slug>/")
    raw = read_sources(folder)
    period = period or _settings_period(raw)
    table = raw.tables.get("actuals")
    missing: set[tuple[str, str]] = set()
    if table is not None and {"period", "employee_id", "kpi_id", "fact", "plan"} <= set(table.header):
        cells = {name: table.columns[table.header.index(name)].cells()
                 for name in ("period", "employee_id", "kpi_id", "fact", "plan")}
        facts = list(cells["fact"])
        for i, value in enumerate(cells["period"]):
            try:
                same = parse_period(value) == period
            except CellError:
                continue
            if same and facts[i] is None and cells["employee_id"][i] is not None:
                missing.add((str(cells["employee_id"][i]), str(cells["kpi_id"][i])))
                facts[i] = cells["plan"][i] if cells["plan"][i] is not None else "1"  # a stand-in, dropped below
        if missing:
            from kpi_toolkit.inputs.loading import RawColumn

            columns = list(table.columns)
            columns[table.header.index("fact")] = RawColumn.from_cells(facts)
            raw.tables["actuals"] = replace(table, columns=columns)
    data, problems = check_client(raw)
    errors = [p for p in raw.problems + problems if p.severity == "error"]
    if errors or data is None:
        raise ClientDataError([replace(p, client=folder.name) for p in errors], client=folder.name)
    if missing:
        actuals = data.actuals.copy()
        keys = list(zip(actuals["employee_id"], actuals["kpi_id"]))
        blank = (actuals["period"] == period).to_numpy() & np.array([k in missing for k in keys], dtype=bool)
        actuals.loc[blank, "fact"] = np.nan
        data = data.with_tables(actuals=actuals)
    warnings = tuple(p for p in raw.problems + problems if p.severity == "warning")
    data = replace(data, warnings=tuple(replace(p, client=folder.name) for p in warnings))
    return EntryClient(data, period, frozenset(missing))


def _settings_period(raw) -> str:
    values = raw.settings.values if raw.settings is not None and isinstance(raw.settings.values, dict) else {}
    period = str(values.get("period") or "")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise KpiToolkitError("name the period: --period YYYY-MM (client.yaml has no usable 'period')")
    return period


def team_kpis(kpis: pd.DataFrame) -> set[str]:
    """KPIs computed from other employees' facts (``aggregate`` set): not asked for.

    Examples
    --------
    >>> team_kpis(pd.DataFrame({"kpi_id": ["rev", "team_rev"], "aggregate": [None, "sum"]}))
    {'team_rev'}
    >>> team_kpis(pd.DataFrame({"kpi_id": ["rev"]}))
    set()
    """
    if "aggregate" not in kpis.columns:
        return set()
    set_ = kpis["aggregate"].notna() & (kpis["aggregate"].astype(str).str.strip() != "")
    return set(kpis.loc[set_, "kpi_id"])


def managers(employees: pd.DataFrame, positions: pd.DataFrame) -> pd.Series:
    """Each employee's manager: the employee of the same department holding the position their
    position reports to (``positions.reports_to``); an employee without one is their own.

    Examples
    --------
    >>> positions = pd.DataFrame({"position_id": ["head", "rep"], "reports_to": [None, "head"]})
    >>> employees = pd.DataFrame({"employee_id": ["E1", "E2", "E3"], "position_id": ["head", "rep", "rep"],
    ...                           "department": ["Sales", "Sales", "Field"]})
    >>> managers(employees, positions).to_dict()
    {'E1': 'E1', 'E2': 'E1', 'E3': 'E3'}
    """
    if "reports_to" not in positions.columns:
        raise KpiToolkitError("--by manager needs the column 'reports_to' in positions (the position each "
                              "position reports to); add it, or collect --by department")
    reports_to = dict(zip(positions["position_id"], positions["reports_to"]))
    holders: dict[tuple, list[str]] = {}
    for e, p, d in zip(employees["employee_id"], employees["position_id"], employees["department"]):
        holders.setdefault((p, d), []).append(e)
    result = {}
    for e, p, d in zip(employees["employee_id"], employees["position_id"], employees["department"]):
        boss = reports_to.get(p)
        candidates = sorted(holders.get((boss, d), [])) if isinstance(boss, str) and boss else []
        result[e] = candidates[0] if candidates else e
    return pd.Series(result, name="manager")


def entry_rows(entry: EntryClient, by: str = "department") -> pd.DataFrame:
    """The rows to collect for ``entry.period``: one per employee and KPI measured, team KPIs left out.

    Columns: ``scope``, ``scope_label`` and those of :data:`COLUMNS` (``plan`` and ``fact``
    as numbers, NaN when empty), plus ``department``; sorted by scope, employee, KPI row.
    """
    if by not in BY:
        raise KpiToolkitError(f"--by '{by}' is not known; expected one of: {', '.join(BY)}")
    data, period = entry.data, entry.period
    actuals = data.actuals[data.actuals["period"] == period]
    actuals = actuals[~actuals["kpi_id"].isin(team_kpis(data.kpis))]
    employees = data.employees.set_index("employee_id")
    positions = data.positions.set_index("position_id")
    kpis = data.kpis.set_index("kpi_id")
    position_of = employees["position_id"]
    department = employees["department"].where(employees["department"].notna(),
                                               position_of.map(positions["department"]))
    rows = pd.DataFrame({
        "employee_id": actuals["employee_id"].to_numpy(),
        "employee": actuals["employee_id"].map(employees["name"]).to_numpy(),
        "position": actuals["employee_id"].map(position_of).map(positions["name"]).to_numpy(),
        "kpi_id": actuals["kpi_id"].to_numpy(),
        "kpi": actuals["kpi_id"].map(kpis["name"]).to_numpy(),
        "unit": actuals["kpi_id"].map(kpis["unit"]).to_numpy(),
        "direction": actuals["kpi_id"].map(kpis["direction"]).fillna("higher").to_numpy(),
        "plan": actuals["plan"].to_numpy(float),
        "fact": actuals["fact"].to_numpy(float),
        "department": actuals["employee_id"].map(department).to_numpy(),
        "_order": actuals["_row"].to_numpy(),
    })
    if by == "department":
        rows["scope"] = rows["department"]
        rows["scope_label"] = rows["department"]
    else:
        boss = managers(data.employees.assign(department=data.employees["employee_id"].map(department)),
                        data.positions)
        rows["scope"] = rows["employee_id"].map(boss)
        rows["scope_label"] = [f"{employees.at[m, 'name']} ({m})" for m in rows["scope"]]
    return rows.sort_values(["scope", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


def plain(value) -> str:
    """A plan or fact as the shortest decimal text, empty when missing.

    Examples
    --------
    >>> plain(1235000.0), plain(27.5), plain(float("nan"))
    ('1235000', '27.5', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return np.format_float_positional(float(value), trim="-")


def sent_hash(meta: dict, sent: list[tuple[int, str, str, str]]) -> str:
    """The hash binding a workbook's client, period, scope and sent rows (row, employee, KPI, plan)."""
    payload = json.dumps([meta["client"], meta["period"], meta["by"], meta["scope"], sent],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def workbook_name(by: str, scope: str, label: str) -> str:
    """A file name for a scope: letters and digits of any script, hyphens between words.

    Examples
    --------
    >>> workbook_name("department", "Отдел продаж", "Отдел продаж")
    'отдел-продаж.xlsx'
    >>> workbook_name("manager", "E001", "Daniel Whitaker (E001)")
    'E001-daniel-whitaker.xlsx'
    """
    words = re.sub(r"[^\w]+", "-", label.split(" (")[0] if by == "manager" else label).strip("-_").lower()
    return f"{scope}-{words}.xlsx" if by == "manager" else f"{words or 'department'}.xlsx"


def collect(folder: str | Path, period: str | None = None, by: str = "department",
            out: str | Path = "reports", database: str | None = None) -> list[Path]:
    """Write one fact-entry workbook per department (or manager) under ``out/<slug>/<period>/collect/``.

    Returns the paths written. A closed period (in the ledger ``database``, by default the
    workspace's) is refused: its facts are not collected any more.
    """
    from kpi_toolkit.errors import PeriodClosedError
    from kpi_toolkit.cycle.ledger import current_closing, open_ledger

    entry = load_for_entry(folder, period)
    with open_ledger(folder, database) as ledger, ledger.transaction(entry.data.slug) as conn:
        closing = current_closing(conn, entry.data.slug, entry.period)
    if closing is not None:
        raise PeriodClosedError(
            f"period {entry.period} of {entry.data.slug} is closed (by {closing.closed_by} on "
            f"{closing.closed_at:%Y-%m-%d}); its facts are not collected any more. Reopen it first: "
            f"kpi-toolkit reopen {folder} --period {entry.period} --reason TEXT")
    rows = entry_rows(entry, by)
    if rows.empty:
        raise KpiToolkitError(f"no rows to collect for {entry.period}: actuals has no plan rows for the period "
                              "(team KPIs are computed, not collected); add the period's plans to actuals first")
    target = Path(out) / entry.data.slug / entry.period / "collect"
    written = []
    for scope, group in rows.groupby("scope", sort=True):
        path = target / workbook_name(by, str(scope), str(group["scope_label"].iloc[0]))
        write_entry_workbook(path, entry.data, entry.period, by, str(scope), str(group["scope_label"].iloc[0]),
                             group)
        written.append(path)
    log.info("collect %s %s: %d workbook(s) in %s", entry.data.slug, entry.period, len(written), target)
    return written


def write_entry_workbook(path: Path, client: ClientData, period: str, by: str, scope: str, scope_label: str,
                         rows: pd.DataFrame) -> Path:
    """Write one fact-entry workbook (whole or not at all)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    language = client.config.language
    period_label = format_period(period, language)
    book = Workbook()
    notes = book.active
    notes.title = t("collect.instructions_sheet", language)
    lines = [t("collect.title", language, period=period_label, scope=scope_label),
             t("collect.client", language, client=client.config.name), "",
             *(f"{i}. " + t(f"collect.step_{i}", language, period=period_label) for i in range(1, 5))]
    for i, line in enumerate(lines, start=1):
        _text(notes.cell(i, 1), line)
    notes["A1"].font = Font(bold=True, size=13)
    notes.column_dimensions["A"].width = 120
    for i in range(4, len(lines) + 1):
        notes.cell(i, 1).alignment = Alignment(wrap_text=True, vertical="top")
    notes.protection.sheet = True

    facts = book.create_sheet(t("collect.facts_sheet", language))
    for j, name in enumerate(COLUMNS, start=1):
        _text(facts.cell(1, j), t(f"collect.{name}", language)).font = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    sent = []
    for i, row in enumerate(rows.itertuples(index=False), start=2):
        for j, name in enumerate(COLUMNS[:PLAN_COLUMN - 1], start=1):
            value = getattr(row, name)
            if name == "direction":
                value = t(f"label.direction.{value}", language)
            _text(facts.cell(i, j), "" if value is None or (isinstance(value, float) and math.isnan(value))
                  else str(value))
        _number(facts.cell(i, PLAN_COLUMN), row.plan)
        fact = facts.cell(i, FACT_COLUMN)
        _number(fact, row.fact)
        fact.protection = Protection(locked=False)
        fact.fill = fill
        sent.append((i, str(row.employee_id), str(row.kpi_id), plain(row.plan)))
    last = len(rows) + 1
    check = DataValidation(type="decimal", operator="between", formula1="-1E+15", formula2="1E+15",
                           allow_blank=True, showErrorMessage=True, errorStyle="stop",
                           errorTitle=t("collect.not_a_number_title", language),
                           error=t("collect.not_a_number", language))
    check.add(f"{_letter(FACT_COLUMN)}2:{_letter(FACT_COLUMN)}{last}")
    facts.add_data_validation(check)
    for j, width in enumerate((12, 28, 28, 14, 36, 8, 18, 14, 14), start=1):
        facts.column_dimensions[_letter(j)].width = width
    facts.freeze_panes = "A2"
    facts.protection.sheet = True
    facts.protection.formatColumns = False  # widening a column is harmless
    book.active = book.index(facts)

    meta = {"format": FORMAT, "client": client.slug, "client_name": client.config.name, "period": period,
            "by": by, "scope": scope, "scope_label": scope_label, "sheet": facts.title,
            "rows": str(len(sent)), "toolkit": __version__,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    meta["hash"] = sent_hash(meta, sent)
    hidden = book.create_sheet(META_SHEET)
    for i, (key, value) in enumerate(meta.items(), start=1):
        _text(hidden.cell(i, 1), key)
        _text(hidden.cell(i, 2), value)
    for i, record in enumerate(sent, start=1):
        hidden.cell(i, SENT_FIRST_COLUMN, record[0])
        for j, value in enumerate(record[1:], start=SENT_FIRST_COLUMN + 1):
            _text(hidden.cell(i, j), value)
    hidden.sheet_state = "veryHidden"
    hidden.protection.sheet = True
    book.security = WorkbookProtection(lockStructure=True)
    for sheet in book.worksheets:
        cells_as_text(sheet)
    with atomic_path(path) as temp:
        book.save(temp)
    return path


def _text(cell, value: str):
    """A text cell, stored as text even when it starts with '=' (never a formula)."""
    cell.value = value
    if isinstance(value, str) and value:
        cell.data_type = "s"
    return cell


def _number(cell, value) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return
    value = float(value)
    cell.value = int(value) if value.is_integer() and abs(value) < 2 ** 53 else value


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)
