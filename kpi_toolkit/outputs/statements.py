"""``kpi-toolkit statements``: every employee's own bonus statement, as HTML and PDF.

:func:`write_statements` renders one page per employee (:func:`kpi_toolkit.outputs.statement.statement_page`)
into ``<folder>/statements/<employee_id>.html`` and prints each to ``.pdf`` with one browser,
reused for them all. The folder appears whole or not at all: everything is written in a
staging folder beside it and swapped in at the end (with ``--employee``, only the statements
asked for are replaced, each file whole). ``kpi-toolkit run --statements`` writes the same
folder inside the run's (:mod:`kpi_toolkit.running.runner`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by the computation; the CLI parser stays light
    import pandas as pd

log = logging.getLogger("kpi_toolkit")

FOLDER = "statements"
FORMATS = ("html", "pdf")
_SAFE = re.compile(r"[^\w.-]", re.UNICODE)


@dataclass
class StatementsOutcome:
    """What :func:`write_statements` wrote: the folder, the employees, and why PDFs are missing."""

    folder: Path
    employees: list[str]
    formats: frozenset[str]
    pdf_problem: str = ""
    seconds: float = 0.0


def file_stem(employee_id: str) -> str:
    """The file name (without suffix) of an employee's statement: the id itself when it is a safe
    file name, else the id with unsafe characters replaced and a short hash that keeps it unique.

    Examples
    --------
    >>> file_stem("E001"), file_stem("Петров-7")
    ('E001', 'Петров-7')
    >>> file_stem("../etc/x")  # doctest: +ELLIPSIS
    '_.._etc_x-...'
    """
    text = str(employee_id)
    safe = _SAFE.sub("_", text)
    if safe.startswith("."):
        safe = "_" + safe
    if safe == text and safe not in ("", ".", ".."):
        return safe
    return f"{safe[:60]}-{hashlib.blake2s(text.encode('utf-8'), digest_size=4).hexdigest()}"


def employees_of(results, wanted: list[str] | None = None) -> list[str]:
    """The employees who get a statement for ``results.period`` (in the stage's order), or the
    ``wanted`` ones, checked.

    Raises
    ------
    KpiToolkitError
        When a wanted id is not an employee of the client, or has no statement in the period
        (not employed in it), naming the id and what to do.
    """
    from kpi_toolkit.errors import KpiToolkitError

    totals = results.bonus.totals
    totals = totals[totals["period"] == results.period]
    ordered = _ordered_ids(totals, results.client)
    if not wanted:
        return ordered
    known = set(results.client.employees["employee_id"].astype(str))
    source = results.client.sources.get("employees", "employees.csv")
    problems = []
    for employee_id in dict.fromkeys(wanted):
        if employee_id not in known:
            problems.append(f"--employee {employee_id}: no employee with this id in {source}; "
                            f"ids are case-sensitive, e.g. {', '.join(sorted(known)[:3])}")
        elif employee_id not in ordered:
            problems.append(f"--employee {employee_id}: no bonus statement for {results.period} (no KPI lines in "
                            f"the period: not employed in it, or no actuals); choose another --period")
    if problems:
        raise KpiToolkitError("; ".join(problems))
    return [e for e in dict.fromkeys(wanted)]


def _ordered_ids(totals: "pd.DataFrame", client) -> list[str]:
    departments = {d: i for i, d in enumerate(dict.fromkeys(client.positions["department"].dropna()))}
    positions = {p: i for i, p in enumerate(client.positions["position_id"])}
    order = totals.assign(_d=totals["department"].astype(object).map(departments).fillna(len(departments)),
                          _p=totals["position_id"].astype(object).map(positions).fillna(len(positions)),
                          _e=totals["employee"].astype(str))
    return order.sort_values(["_d", "_p", "_e"], kind="stable")["employee_id"].astype(str).tolist()


def write_statements(results, folder: str | os.PathLike, *, employees: list[str] | None = None,
                     adjustments: "pd.DataFrame | None" = None, formats=FORMATS, printer=None,
                     period_label: str | None = None, date: dt.date | None = None) -> StatementsOutcome:
    """Write every employee's statement (or those of ``employees``) to ``folder/statements/``.

    Parameters
    ----------
    results : Results
    folder : path
        The period's report folder, ``reports/<slug>/<period>``.
    employees : list of str, optional
        Employee ids; default every employee with a statement in the period. With ids, only
        their files are replaced and the folder's other statements stay.
    adjustments : DataFrame, optional
        Corrections of closed periods (see :func:`kpi_toolkit.outputs.statement.statement_html`).
    formats : iterable of str
        ``"html"`` and/or ``"pdf"``.
    printer : PdfPrinter, optional
        A started printer to reuse (the runner's); without one, one is started for the batch.
        When no browser can be started, the HTML is written and ``pdf_problem`` says why.
    period_label, date : optional
        What the page header shows (default: the period's month, today).
    """
    from kpi_toolkit.fileio import machine_faults, staging_folder, swap_folder_into_place
    from kpi_toolkit.outputs.statement import statement_page

    clock = time.monotonic()
    formats = frozenset(formats)
    chosen = employees_of(results, employees)
    final = Path(folder) / FOLDER
    staging = staging_folder(final)  # also removes what a killed run left beside it
    language = results.client.config.language
    pdf_problem = ""
    own_printer = None
    try:
        pages = []
        names = dict(zip(results.bonus.totals["employee_id"].astype(str), results.bonus.totals["employee"].astype(str)))
        for employee_id in chosen:
            page = statement_page(results, employee_id, language, period_label=period_label, date=date,
                                  adjustments=adjustments)
            path = staging / f"{file_stem(employee_id)}.html"
            with machine_faults(path):
                path.write_text(page, encoding="utf-8")
            pages.append((employee_id, path))
        if "pdf" in formats:
            if printer is None:
                own_printer, pdf_problem = start_printer(language)
                printer = own_printer
            if printer is not None:
                title = _title(language)
                label = period_label or _period_label(results.period, language)
                printer.print_many([(path, path.with_suffix(".pdf"), f"{results.client.config.name} · {title} · "
                                                                      f"{names.get(employee_id, employee_id)} · {label}")
                                    for employee_id, path in pages], language=language)
        if "html" not in formats:
            for _, path in pages:
                path.unlink()
        if employees:
            with machine_faults(final):
                final.mkdir(exist_ok=True)
                for item in sorted(staging.iterdir()):
                    os.replace(item, final / item.name)  # each file whole; the others stay
            shutil.rmtree(staging, ignore_errors=True)
        else:
            swap_folder_into_place(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if own_printer is not None:
            own_printer.close()
    return StatementsOutcome(final, chosen, formats if not pdf_problem else formats - {"pdf"}, pdf_problem,
                             time.monotonic() - clock)


def start_printer(language: str):
    from kpi_toolkit.errors import ReportError
    from kpi_toolkit.outputs.pdf import PdfPrinter

    try:
        return PdfPrinter(language=language).__enter__(), ""
    except ReportError as exc:  # BrowserNotFoundError included
        return None, str(exc)


def _title(language: str) -> str:
    from kpi_toolkit.outputs.i18n import t

    return t("statement.title", language)


def _period_label(period: str, language: str) -> str:
    from kpi_toolkit.outputs.i18n import format_period

    return format_period(period, language)


# --------------------------------------------------------------------------- the command
