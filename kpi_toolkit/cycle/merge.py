"""``kpi-toolkit merge``: returned fact-entry workbooks into the client's actuals (SPEC §7).

Every returned workbook is checked — right client, period and department (or manager), the
record of what was sent intact, plans untouched, facts numbers, no row added or removed — and
every problem of every file is reported at once. Only when all are valid are the facts
written into ``actuals`` (the CSV file, in its own encoding and delimiter, or the ``actuals``
sheet of ``client.xlsx``) in one atomic step, and each file recorded in the ledger with the
cells it changed. The whole merge holds the client's ledger lock, so two consultants merging
at once are served one after the other. A file already merged (same hash) changes nothing and
is reported so; a fact of a closed period is refused.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from kpi_toolkit.cycle import ledger as db
from kpi_toolkit.cycle.collect import (FACT_COLUMN, FORMAT, META_SHEET, PLAN_COLUMN, SENT_FIRST_COLUMN, EntryClient, entry_rows,
                      load_for_entry, plain, sent_hash)
from kpi_toolkit.errors import KpiToolkitError, Problem, SubmissionError
from kpi_toolkit.fileio import write_bytes_atomic
from kpi_toolkit.outputs.i18n import t

EMPLOYEE_COLUMN, KPI_COLUMN = 1, 4


@dataclass
class Returned:
    """One returned workbook as read: its record of what was sent, and the facts entered."""

    path: Path
    data: bytes
    meta: dict = field(default_factory=dict)
    sent: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, employee, KPI, plan
    facts: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)  # (employee, KPI) -> row, fact
    problems: list[Problem] = field(default_factory=list)
    relabelled: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (employee, KPI) found there
    fatal: bool = False  # not a fact-entry workbook at all: nothing else is checked

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def where(self) -> str:
        return f"{self.name} [{self.meta.get('sheet', '?')}]"


@dataclass(frozen=True)
class Change:
    """One fact cell of ``actuals`` changed by a merge."""

    period: str
    employee_id: str
    kpi_id: str
    row: int  # the record's row in actuals (header = 1)
    old: str  # as it was written ('' = empty)
    new: str


@dataclass
class FileOutcome:
    name: str
    status: str  # "merged" | "unchanged" | "already merged"
    changes: list[Change] = field(default_factory=list)
    submission: int | None = None
    note: str = ""


def read_returned(path: str | Path) -> Returned:
    """Read a returned workbook: meta record, sent rows and entered facts; reading problems in ``problems``."""
    import openpyxl

    path = Path(path)
    try:
        book = Returned(path, path.read_bytes())
    except OSError as exc:
        raise KpiToolkitError(f"cannot read '{path}': {exc.strerror or exc}; check the path") from None
    try:
        values = openpyxl.load_workbook(io.BytesIO(book.data), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(book.data), data_only=False)
    except Exception as exc:  # any unreadable file is a problem of that file
        book.problems.append(Problem(table=book.name, message=f"cannot open the workbook ({type(exc).__name__}); "
                                     "expected the .xlsx file that kpi-toolkit collect wrote",
                                     fix="send back the workbook itself, saved as .xlsx"))
        book.fatal = True
        return book
    if META_SHEET not in values.sheetnames:
        book.problems.append(Problem(table=book.name, message="this is not a fact-entry workbook written by "
                                     "kpi-toolkit collect (its hidden record is missing)",
                                     fix="fill in and return the workbook collect wrote; a copied sheet loses it"))
        book.fatal = True
        return book
    hidden = values[META_SHEET]
    for key, value in hidden.iter_rows(min_col=1, max_col=2, values_only=True):
        if key is None:
            break
        book.meta[str(key)] = "" if value is None else str(value)
    for row in hidden.iter_rows(min_col=SENT_FIRST_COLUMN, max_col=SENT_FIRST_COLUMN + 3, values_only=True):
        if row[0] is None:
            break
        book.sent.append((int(row[0]), *("" if v is None else str(v) for v in row[1:])))
    if book.meta.get("format") != FORMAT:
        book.problems.append(Problem(table=book.name, message=f"the workbook's format is "
                                     f"'{book.meta.get('format', '')}'; expected '{FORMAT}'",
                                     fix="collect the facts again with this version of kpi-toolkit"))
        book.fatal = True
        return book
    sheet = book.meta.get("sheet", "")
    if sheet not in values.sheetnames:
        book.problems.append(Problem(table=book.name, message=f"the facts sheet '{sheet}' is missing",
                                     fix="put the sheet back under its name, or use the workbook as it was sent"))
        book.fatal = True
        return book
    _read_rows(book, values[sheet], formulas[sheet])
    return book


def _read_rows(book: Returned, ws, ws_formulas) -> None:
    language = "ru" if ws.title == t("collect.facts_sheet", "ru") else "en"
    fact_label, plan_label = t("collect.fact", language), t("collect.plan", language)
    sent = {row: (employee, kpi, plan) for row, employee, kpi, plan in book.sent}
    last = max(ws.max_row, max(sent, default=1))
    for number in range(2, last + 1):
        cells = [ws.cell(number, j).value for j in range(1, FACT_COLUMN + 1)]
        employee, kpi = _id(cells[EMPLOYEE_COLUMN - 1]), _id(cells[KPI_COLUMN - 1])
        if number not in sent:
            if any(c not in (None, "") for c in cells):
                book.problems.append(Problem(
                    table=book.where, row=number,
                    message=f"a row was added (employee '{employee}', KPI '{kpi}'); the workbook takes facts only "
                            "for the rows it was sent with",
                    fix="delete the row; to collect facts for a new employee or KPI, add them to the client's "
                        "tables and run kpi-toolkit collect again"))
            continue
        want_employee, want_kpi, want_plan = sent[number]
        if (employee, kpi) != (want_employee, want_kpi):
            book.relabelled[number] = (employee, kpi)  # reported by check_returned, which knows the departments
            continue
        plan = cells[PLAN_COLUMN - 1]
        if not _same_number(plan, want_plan):
            book.problems.append(Problem(
                table=book.where, row=number, column=plan_label,
                message=f"the plan of employee '{employee}', KPI '{kpi}' was changed from {want_plan or 'empty'} to "
                        f"{_show(plan)}; plans are set in the client's actuals, not in the returned workbook",
                fix=f"put back the plan {want_plan or '(empty)'}; a plan that is wrong is corrected by the consultant "
                    "in actuals, and the facts collected again"))
        fact = cells[FACT_COLUMN - 1]
        formula = ws_formulas.cell(number, FACT_COLUMN).value
        if fact is None and isinstance(formula, str) and formula.startswith("="):
            book.problems.append(Problem(
                table=book.where, row=number, column=fact_label,
                message=f"the fact of employee '{employee}', KPI '{kpi}' is a formula ({formula[:40]}) without a "
                        "saved value",
                fix="type the number itself, or open the workbook in Excel and save it so the value is stored"))
        elif isinstance(fact, bool) or isinstance(fact, (dt.date, dt.datetime, dt.time)):
            book.problems.append(Problem(
                table=book.where, row=number, column=fact_label,
                message=f"the fact of employee '{employee}', KPI '{kpi}' is {_show(fact)}, not a number",
                fix="type the number (the cell was read as a date or a truth value)"))
        elif isinstance(fact, str):
            if fact.strip():
                book.problems.append(Problem(
                    table=book.where, row=number, column=fact_label,
                    message=f"the fact of employee '{employee}', KPI '{kpi}' is the text '{fact.strip()[:40]}'; "
                            "expected a number",
                    fix="type the number alone, e.g. 27.5: no spaces, units, percent signs or words"))
        elif fact is not None:
            value = float(fact)
            if not math.isfinite(value) or abs(value) >= 1e15:
                book.problems.append(Problem(
                    table=book.where, row=number, column=fact_label,
                    message=f"the fact of employee '{employee}', KPI '{kpi}' is {_show(fact)}, not a usable number",
                    fix="type the fact as an ordinary number"))
            else:
                book.facts[(employee, kpi)] = (number, value)


def check_returned(book: Returned, entry: EntryClient, closed: str | None = None) -> list[Problem]:
    """Check a returned workbook against the client it is merged into (client, period, scope, plans)."""
    meta, data = book.meta, entry.data
    if meta.get("client") != data.slug:
        return [Problem(table=book.name, message=f"the workbook was sent for client '{meta.get('client')}' "
                        f"({meta.get('client_name', '')}), not '{data.slug}'",
                        fix=f"merge it into clients/{meta.get('client')}, or return the workbook sent for "
                            f"'{data.slug}'")]
    if meta.get("hash") != sent_hash(meta, book.sent):
        return [Problem(table=book.name, message="the workbook's hidden record of its client, period, "
                        f"{meta.get('by', 'department')} and rows was altered",
                        fix="fill in a fresh copy from kpi-toolkit collect")]
    if closed:
        return [Problem(table=book.name, message=f"period {meta['period']} is closed ({closed}); its facts "
                        "are not changed any more",
                        fix=f"reopen it first: kpi-toolkit reopen {data.path} --period {meta['period']} "
                            "--reason TEXT, then merge again")]
    problems = []
    expected = entry_rows(entry, meta["by"])
    scope_of = dict(zip(zip(expected["employee_id"], expected["kpi_id"]), expected["scope"]))
    scope_label_of = dict(zip(expected["scope"], expected["scope_label"]))
    plans = dict(zip(zip(expected["employee_id"], expected["kpi_id"]), expected["plan"]))
    names = dict(zip(data.employees["employee_id"], data.employees["name"]))
    kind = t(f"collect.by_{meta['by']}", data.config.language).lower()
    for row, employee, kpi, plan in book.sent:
        where = f"employee '{employee}' ({names.get(employee, 'unknown')}), KPI '{kpi}'"
        scope = scope_of.get((employee, kpi))
        if scope is None:
            problems.append(Problem(table=book.where, row=row, message=f"{where} has no plan row in "
                                    f"{data.sources.get('actuals', 'actuals')} for {meta['period']} any more",
                                    fix="collect the facts again: the client's actuals changed since"))
        elif scope != meta["scope"]:
            problems.append(Problem(
                table=book.where, row=row, message=f"{where} belongs to {kind} '{scope_label_of[scope]}', not "
                f"'{meta['scope_label']}' that this workbook was sent to",
                fix=f"enter this fact in the workbook sent to '{scope_label_of[scope]}'"))
        elif row in book.relabelled:
            problems.append(_relabelled(book, row, employee, kpi, scope_of, scope_label_of, names, kind))
        elif plain(plans[(employee, kpi)]) != plan:
            problems.append(Problem(
                table=book.where, row=row, message=f"the plan of {where} is {plain(plans[(employee, kpi)])} in "
                f"{data.sources.get('actuals', 'actuals')} now, but the workbook was sent with {plan or 'none'}",
                fix="collect the facts again so the heads see the current plans"))
    problems += _unusable_facts(book, entry)
    return problems


def _unusable_facts(book: Returned, entry: EntryClient) -> list[Problem]:
    """Facts the calculation cannot use: 0 for a lower-is-better KPI without a cap or a baseline (SPEC §3.4)."""
    data = entry.data
    kpis = data.kpis.set_index("kpi_id")
    positions = dict(zip(data.employees["employee_id"], data.employees["position_id"]))
    caps = {(p, k): c for p, k, c in zip(data.position_kpis["position_id"], data.position_kpis["kpi_id"],
                                        data.position_kpis["cap"])}
    language = "ru" if book.meta.get("sheet") == t("collect.facts_sheet", "ru") else "en"
    problems = []
    for (employee, kpi), (row, value) in book.facts.items():
        if value != 0 or kpi not in kpis.index or kpis.at[kpi, "direction"] != "lower":
            continue
        if pd.isna(kpis.at[kpi, "baseline"]) and pd.isna(caps.get((positions.get(employee), kpi), float("nan"))):
            problems.append(Problem(
                table=book.where, row=row, column=t("collect.fact", language),
                message=f"the fact 0 of employee '{employee}', KPI '{kpi}' (lower is better) gives no attainment "
                        "(plan / fact), and the KPI has no cap for this position",
                fix="check the fact; if 0 is right, ask the consultant to give the KPI a cap or a baseline first"))
    return problems


def _relabelled(book: Returned, row: int, want_employee: str, want_kpi: str, scope_of: dict, scope_label_of: dict,
                names: dict, kind: str) -> Problem:
    employee, kpi = book.relabelled[row]
    meta = book.meta
    language = "ru" if meta.get("sheet") == t("collect.facts_sheet", "ru") else "en"
    column = t("collect.employee_id" if employee != want_employee else "collect.kpi_id", language)
    fix = ("put the row back as it was sent (rows must not be added, deleted, moved or re-labelled), or fill in a "
           "fresh copy from kpi-toolkit collect")
    if not employee and not kpi:
        message = f"the row sent for employee '{want_employee}', KPI '{want_kpi}' is empty (deleted)"
    else:
        message = (f"found employee '{employee}', KPI '{kpi}' where the workbook was sent with employee "
                   f"'{want_employee}', KPI '{want_kpi}'")
        other = scope_of.get((employee, kpi)) or next(
            (s for (e, _), s in scope_of.items() if e == employee), None)
        if other is not None and other != meta["scope"]:
            message += (f"; employee '{employee}' ({names.get(employee, '')}) belongs to {kind} "
                        f"'{scope_label_of[other]}', and this workbook was sent to '{meta['scope_label']}'")
            fix = (f"enter {names.get(employee, employee)}'s facts in the workbook sent to '{scope_label_of[other]}', "
                   f"and put this row back to employee '{want_employee}'")
    return Problem(table=book.where, row=row, column=column, message=message, fix=fix)


def merge(folder: str | Path, files: list[str | Path], by: str | None = None,
          database: str | None = None) -> list[FileOutcome]:
    """Check every returned workbook, then write their facts and record them, or raise listing every problem.

    Raises :class:`~kpi_toolkit.errors.SubmissionError` with every problem of every file; the
    client's actuals and the ledger are then untouched.
    """
    folder = Path(folder)
    books = [read_returned(f) for f in files]
    restore: list[tuple[Path, bytes]] = []
    try:
        with db.open_ledger(folder, database) as ledger, ledger.transaction(folder.name) as conn:
            return _merge_locked(conn, folder, books, by or db.login(), restore)
    except BaseException:
        for path, data in restore:  # the ledger refused the record: the facts go back as they were
            write_bytes_atomic(path, data)
        raise


def _merge_locked(conn, folder: Path, books: list[Returned], who: str,
                  restore: list[tuple[Path, bytes]]) -> list[FileOutcome]:
    """The merge itself, inside the transaction that holds the client's lock."""
    entries: dict[str, EntryClient] = {}
    problems: list[Problem] = []
    outcomes: list[FileOutcome] = []
    todo: list[Returned] = []
    for book in books:
        if book.fatal:
            problems += book.problems
            continue
        earlier = conn.execute(sa.select(db.submissions).where(
            db.submissions.c.client == folder.name, db.submissions.c.file_hash == book.hash)
            .order_by(db.submissions.c.id).limit(1)).first()
        if earlier is not None:
            outcomes.append(FileOutcome(book.name, "already merged", note=(
                f"already merged on {earlier.submitted_at:%Y-%m-%d %H:%M} UTC by {earlier.submitted_by} "
                f"(submission {earlier.id}); nothing changed")))
            continue
        period = book.meta.get("period", "")
        if period not in entries:
            entries[period] = load_for_entry(folder, period)
        closing = db.current_closing(conn, folder.name, period)
        closed = f"closed by {closing.closed_by} on {closing.closed_at:%Y-%m-%d}" if closing is not None else None
        found = book.problems + check_returned(book, entries[period], closed)
        problems += found
        if not found:
            todo.append(book)
    problems += _conflicts(todo)
    if problems:
        raise SubmissionError(problems, client=folder.name)
    if not todo:
        return outcomes
    target, source = _actuals_file(folder, next(iter(entries.values())))
    updates = {(b.meta["period"], e, k): v for b in todo for (e, k), (_, v) in b.facts.items()}
    old_bytes = target.read_bytes()
    new_bytes, changes = (_update_csv if target.suffix.lower() == ".csv" else _update_workbook)(old_bytes, updates)
    by_key = {(c.period, c.employee_id, c.kpi_id): c for c in changes}
    for book in todo:
        mine = [by_key[(book.meta["period"], e, k)] for (e, k) in book.facts
                if (book.meta["period"], e, k) in by_key]
        submission = conn.execute(db.submissions.insert().values(
            client=folder.name, period=book.meta["period"], scope_kind=book.meta["by"],
            scope=book.meta["scope"], file_name=book.name, file_hash=book.hash, submitted_by=who,
            submitted_at=db.now(), cells_changed=len(mine))).inserted_primary_key[0]
        if mine:
            conn.execute(db.submission_cells.insert(), [
                {"submission_id": submission, "employee_id": c.employee_id, "kpi_id": c.kpi_id,
                 "actuals_row": c.row, "old_fact": c.old, "new_fact": c.new} for c in mine])
        outcomes.append(FileOutcome(book.name, "merged" if mine else "unchanged", mine, submission,
                                    f"{len(mine)} fact(s) changed in {source}" if mine else
                                    "every fact equals the one in actuals; nothing changed"))
    if changes:
        restore.append((target, old_bytes))
        write_bytes_atomic(target, new_bytes)
    return outcomes


def _conflicts(books: list[Returned]) -> list[Problem]:
    seen: dict[tuple, tuple[Returned, int, float]] = {}
    problems = []
    for book in books:
        for (employee, kpi), (row, value) in book.facts.items():
            key = (book.meta["period"], employee, kpi)
            if key in seen and seen[key][2] != value:
                other, other_row, other_value = seen[key]
                problems.append(Problem(
                    table=book.where, row=row, column=t("collect.fact", "en"),
                    message=f"the fact of employee '{employee}', KPI '{kpi}' is {plain(value)} here but "
                            f"{plain(other_value)} in {other.where} row {other_row}",
                    fix="keep one of the two values and merge again"))
            seen.setdefault(key, (book, row, value))
    return problems


def _actuals_file(folder: Path, entry: EntryClient) -> tuple[Path, str]:
    source = entry.data.sources.get("actuals", "actuals.csv")
    if source.startswith("client.xlsx"):
        return folder / "client.xlsx", source
    return folder / "actuals.csv", source


def format_fact(value: float, decimal_comma: bool = False) -> str:
    """A fact as written into actuals: the shortest decimal text.

    Examples
    --------
    >>> format_fact(1376025.0), format_fact(28.9), format_fact(28.9, decimal_comma=True)
    ('1376025', '28.9', '28,9')
    """
    text = plain(value)
    return text.replace(".", ",") if decimal_comma else text


def _update_csv(data: bytes, updates: dict) -> tuple[bytes, list[Change]]:
    """The CSV with the updated facts: only the changed records are rewritten, every other byte kept."""
    from kpi_toolkit.inputs.loading import sniff_delimiter
    from kpi_toolkit.inputs.cells import CellError, parse_number, parse_period

    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1251"), "cp1251"
    delimiter = sniff_delimiter(text)
    comma = delimiter == ";"
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip().strip("\ufeff").strip() for h in next(reader)]
    at = {name: header.index(name) for name in ("period", "employee_id", "kpi_id", "fact")}
    out, start, changes, number = lines[:reader.line_num], reader.line_num, [], 1
    for record in reader:
        end = reader.line_num
        number += 1
        chunk = lines[start:end]
        cells = [c.strip() for c in record] + [""] * (len(header) - len(record))
        try:
            key = (parse_period(cells[at["period"]]), cells[at["employee_id"]], cells[at["kpi_id"]])
        except CellError:
            key = None
        if key in updates and any(cells):
            old = cells[at["fact"]]
            try:
                same = old != "" and parse_number(old, decimal_comma=comma) == updates[key]
            except CellError:
                same = False
            if not same:
                new = format_fact(updates[key], comma)
                fields = list(record) + [""] * (len(header) - len(record))
                fields[at["fact"]] = new
                ending = re.search(r"(\r\n|\r|\n)$", chunk[-1])
                buffer = io.StringIO()
                csv.writer(buffer, delimiter=delimiter, lineterminator=ending.group(1) if ending else "").writerow(
                    fields)
                chunk = [buffer.getvalue()]
                changes.append(Change(*key, row=number, old=old, new=new))
        out += chunk
        start = end
    body = "".join(out).encode(encoding)
    return (b"\xef\xbb\xbf" + body if bom else body), changes


def _update_workbook(data: bytes, updates: dict) -> tuple[bytes, list[Change]]:
    """``client.xlsx`` with the updated facts in its ``actuals`` sheet."""
    import openpyxl

    from kpi_toolkit.inputs.cells import CellError, parse_period

    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book["actuals"]
    header = [str(c.value).strip() if c.value is not None else "" for c in ws[1]]
    at = {name: header.index(name) + 1 for name in ("period", "employee_id", "kpi_id", "fact")}
    changes = []
    for number in range(2, ws.max_row + 1):
        try:
            key = (parse_period(ws.cell(number, at["period"]).value),
                   _id(ws.cell(number, at["employee_id"]).value), _id(ws.cell(number, at["kpi_id"]).value))
        except CellError:
            continue
        if key not in updates:
            continue
        cell = ws.cell(number, at["fact"])
        if _same_number(cell.value, plain(updates[key])):
            continue
        old = "" if cell.value is None else str(cell.value)
        value = updates[key]
        cell.value = int(value) if value.is_integer() and abs(value) < 2 ** 53 else value
        changes.append(Change(*key, row=number, old=old, new=plain(value)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), changes


def _id(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _same_number(cell, text: str) -> bool:
    if cell is None or cell == "":
        return text == ""
    if isinstance(cell, bool) or not isinstance(cell, (int, float)) or text == "":
        return False
    return float(cell) == float(text)


def _show(value) -> str:
    return "empty" if value is None or value == "" else f"'{value}'" if isinstance(value, str) else plain(value) \
        if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
