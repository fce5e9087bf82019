"""Writing a run's machine-readable results (SPEC §5): CSV files, one Excel workbook, a manifest.

Files appear whole or not at all: everything is written into a staging folder beside the
target (:func:`kpi_toolkit.fileio.staging_folder`), and only when all of it is written is the
folder moved into place. A read-only or full disk, or a missing permission, is an
:class:`~kpi_toolkit.errors.OutputError` naming the path and the fix, and leaves nothing behind.

A client's strings never become formulas (SPEC §6, OWASP "CSV injection"):

- in ``results.xlsx`` every text cell is stored as text (an inline string, never a ``<f>``
  formula nor an error value such as ``#N/A``), and one that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return also carries Excel's quote prefix, so that editing the
  cell does not turn it into a formula either;
- in the CSV files, a cell that is not a number and starts with ``=``, ``+``, ``-``, ``@``, a
  tab, a carriage return or ``'`` is written with a ``'`` in front (:func:`csv_cell`):
  ``=1+1`` is written ``'=1+1``. Numbers are never changed, so a negative amount stays
  ``-1200.00`` and every numeric column parses as numbers. To read a text cell back exactly,
  drop one leading ``'`` where there is one (``'`` itself is escaped, so this is unambiguous).

``results.xlsx`` is for payroll and HR (SPEC §5): headers in the client's language, employee,
position, KPI and goal names beside their ids, money as numbers in the currency's format
(:func:`money_format`), ratios as percentages, ``kept`` as real booleans, the header row frozen
and filtered. The CSV files keep the codes of SPEC §5 as headers and the exact text of every
amount. The ``payroll`` sheet and ``payroll.csv`` hold what payroll pays (bonus + adjustment) in
the layout of ``client.yaml``'s ``payroll`` section (:mod:`kpi_toolkit.method.payroll`), under the
client's own headers in both.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from babel.numbers import get_currency_symbol
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from kpi_toolkit.version import __version__
from kpi_toolkit.method.calculate import Results
from kpi_toolkit.method.exact import format_minor, format_money, format_ratio
from kpi_toolkit.fileio import cells_as_text, machine_faults, staging_folder, swap_folder_into_place
from kpi_toolkit.outputs.explain import reason_label, statement_reason
from kpi_toolkit.method.adjustments import add_adjustments
from kpi_toolkit.outputs.i18n import catalogue, locale_of
from kpi_toolkit.method.payroll import DATE_COLUMNS, payroll_table

log = logging.getLogger("kpi_toolkit")

LINE_COLUMNS = ["period", "employee_id", "position_id", "kpi_id", "weight", "plan", "fact", "attainment",
                "index", "coefficient", "fund_share", "bonus", "reason"]
TOTAL_COLUMNS = ["period", "employee_id", "position_id", "performance_ratio", "stop_factor", "bonus_fund",
                 "bonus", "reason"]
SCORECARD_COLUMNS = ["period", "pv", "ev", "ac", "cv", "cpi", "sv", "spi", "eac", "etc", "vac", "tcpi", "budget",
                     "schedule", "scope", "quality", "overall"]


def _ratios(values) -> list[str]:
    return [format_ratio(v) for v in values]


def _plain(values) -> list[str]:
    """Plan and fact as the client wrote them (shortest decimal text), empty when missing."""
    return ["" if pd.isna(v) else np.format_float_positional(float(v), trim="-") for v in values]


def _money(values, decimals: int) -> list[str]:
    return format_money(pd.Series(values).to_numpy(float), decimals)


def result_tables(results: Results) -> dict[str, pd.DataFrame]:
    """The results as tables of text, exactly as they are written (`.` decimals, money to the
    minor unit, ratios in full precision)."""
    bonus, language = results.bonus, results.client.config.language
    dec = bonus.decimals
    lines, totals = bonus.lines, bonus.totals
    kpi_names = dict(zip(results.client.kpis["kpi_id"], results.client.kpis["name"]))
    tables = {
        "bonus_lines": pd.DataFrame({
            "period": lines["period"].astype(str), "employee_id": lines["employee_id"].astype(str),
            "position_id": lines["position_id"].astype(str), "kpi_id": lines["kpi_id"].astype(str),
            "weight": _ratios(lines["effective_weight"]), "plan": _plain(lines["plan"]),
            "fact": _plain(lines["fact"]), "attainment": _ratios(lines["attainment"]),
            "index": _ratios(lines["index"]), "coefficient": _ratios(lines["coefficient"]),
            "fund_share": _money(lines["fund_share"], dec),
            "bonus": [format_minor(m, dec) for m in lines["bonus_minor"]],
            "reason": [reason_label(str(r), language) for r in lines["reason"]],
        }, columns=LINE_COLUMNS),
        "bonus_totals": pd.DataFrame({
            "period": totals["period"].astype(str), "employee_id": totals["employee_id"].astype(str),
            "position_id": totals["position_id"].astype(str),
            "performance_ratio": _ratios(totals["performance_ratio"]),
            "stop_factor": _ratios(totals["stop_factor"]),
            "bonus_fund": [format_minor(m, dec) for m in totals["fund_minor"]],
            "bonus": [format_minor(m, dec) for m in totals["bonus_minor"]],
            "reason": [statement_reason(r, language, kpi_names) for _, r in totals.iterrows()],
        }, columns=TOTAL_COLUMNS),
        "goal_weights": pd.DataFrame({
            "goal_id": results.goal_weights["goal_id"], "perspective": results.goal_weights["perspective"],
            "weight": _ratios(results.goal_weights["weight"])}),
        "kpi_weights": pd.DataFrame({  # one row per position and KPI (SPEC 5)
            "position_id": results.kpi_weights["position_id"], "method": results.kpi_weights["method"],
            "kpi_id": results.kpi_weights["kpi_id"], "goal_id": results.kpi_weights["goal_id"].fillna(""),
            "raw_weight": _ratios(results.kpi_weights["raw_weight"]),
            "normalised": _ratios(results.kpi_weights["normalised"]),
            "kept": results.kpi_weights["kept"].map({True: "true", False: "false"}),
            "weight": _ratios(results.kpi_weights["weight"])}),
    }
    if (lines["team_size"] > 0).any():  # team KPIs: the members each line counts
        tables["bonus_lines"]["members"] = lines["members"].astype(str).to_numpy()
        tables["bonus_lines"]["team_size"] = lines["team_size"].astype(int).astype(str).to_numpy()
    if "section_factors" in totals and totals["section_factors"].map(len).any():  # sections (SPEC 3.5.1)
        tables["bonus_totals"]["payout_factor"] = _ratios(totals["payout_factor"])
        tables["bonus_totals"]["section_rule"] = totals["section_rule"].astype(str).to_numpy()
        tables["bonus_totals"]["section_factors"] = [
            "; ".join(f"{name}={format_ratio(f)}" for name, f in pairs) for pairs in totals["section_factors"]]
    if "payout_basis" in totals and (totals["payout_basis"] == "ytd").any():  # the year to date (SPEC 3.5.1)
        bt = tables["bonus_totals"]
        bt["payout_basis"] = totals["payout_basis"].astype(str).to_numpy()
        bt["ytd_bonus"] = [format_minor(m, dec) for m in totals["ytd_minor"]]
        bt["paid_to_date"] = [format_minor(m, dec) for m in totals["paid_to_date_minor"]]
        bt["carried"] = [format_minor(m, dec) for m in totals["carried_minor"]]
        bt["paid_source"] = [";".join(part for part in (f"ledger: {a}" if a else "", f"recomputed: {b}" if b else "")
                                      if part) for a, b in zip(totals["paid_from_ledger"], totals["paid_recomputed"])]
    if results.client.config.bonus_period_months > 1:  # the months each statement covers
        tables["bonus_totals"].insert(1, "months", totals["months"].astype(str).to_numpy())
    if results.project_scorecard is not None:
        sc = results.project_scorecard
        money_cols = {"pv", "ev", "ac", "cv", "sv", "eac", "etc", "vac"}
        tables["project_scorecard"] = pd.DataFrame({
            c: (_money(sc[c], dec) if c in money_cols else _ratios(sc[c]) if c in ("cpi", "spi", "tcpi") else sc[c])
            for c in SCORECARD_COLUMNS})
    if results.adjustments is not None and len(results.adjustments):
        tables["bonus_totals"] = add_adjustments(tables["bonus_totals"], results.adjustments, results.period, dec)
    if results.history is not None:
        tables["history"] = results.history.astype(str)
    if results.funnel_plan is not None:
        fp = results.funnel_plan
        tables["funnel_plan"] = fp[["stage", "required_total", "required_per_manager"]].astype(
            {"required_total": "int64", "required_per_manager": "int64"})
    config = results.client.config
    tables["payroll"] = payroll_table(tables["bonus_totals"], results.client.employees, results.client.positions,
                                      config.payroll, dec, config.currency, config.bonus_period_months)
    return tables


def manifest(results: Results, parameters: dict | None = None) -> dict:
    """What produced a set of results: toolkit version, time, parameters, input file hashes."""
    client = results.client
    return {
        "toolkit": "kpi-toolkit",
        "version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "client": client.slug,
        "client_name": client.config.name,
        "period": results.period,
        "scenario": results.scenario,
        "currency": client.config.currency,
        "currency_decimals": client.config.currency_decimals,
        "parameters": parameters or {},
        "inputs": dict(sorted(client.input_hashes.items())),
        "pool": format_minor(int(results.bonus.totals["bonus_minor"].sum()), results.bonus.decimals),
        "employees": int(len(results.bonus.totals)),
        "warnings": [str(w) for w in client.warnings],
    }


def write_results(results: Results, out_dir: str | Path, parameters: dict | None = None) -> list[Path]:
    """Write ``out_dir/results/`` whole: every CSV, ``results.xlsx`` and ``manifest.json``.

    Returns the paths written. An existing ``results/`` is replaced only once the new one is
    complete; staging folders that killed runs left beside it are removed first.

    Raises
    ------
    OutputError
        When the machine refuses the write (read-only or full disk, no permission); nothing
        is left behind and an existing ``results/`` stays as it was.
    """
    return _write(result_tables(results), WorkbookStyle.of(results), manifest(results, parameters), out_dir)


def write_range_results(runs: list[tuple[Results, object]], out_dir: str | Path,
                        parameters: dict | None = None) -> list[Path]:
    """Write the results of several bonus periods into one ``out_dir/results/`` (``calc --from --to``).

    ``runs`` holds each period's results, as the ledger settled them, with the closing in force
    (or ``None``), in period order. The tables of each period are stacked (their ``period``
    column tells them apart), ``periods.csv`` and the ``periods`` sheet sum each period up
    (:func:`periods_table`), and the tables that do not depend on the period (weights, the project
    scorecard, the funnel, the ledger's history) are the last period's. Written whole or not at all,
    as :func:`write_results`.
    """
    tables = range_tables(runs)
    last = runs[-1][0]
    about = manifest(last, parameters)
    about["period"] = f"{runs[0][0].period}..{last.period}"
    about["periods"] = [r.period for r, _ in runs]
    about["pool"] = format_minor(sum(int(r.bonus.totals["bonus_minor"].sum()) for r, _ in runs), last.bonus.decimals)
    about["employees"] = int(pd.concat([r.bonus.totals["employee_id"] for r, _ in runs]).nunique())
    return _write(tables, WorkbookStyle.of(last), about, out_dir)


def range_tables(runs: list[tuple[Results, object]]) -> dict[str, pd.DataFrame]:
    """The result tables of several periods in one set, with the ``periods`` summary first."""
    per_period = [result_tables(r) for r, _ in runs]
    decimals = runs[-1][0].bonus.decimals
    tables = {"periods": periods_table(runs)}
    for name in per_period[-1]:
        if name in ("bonus_lines", "bonus_totals", "payroll"):
            stacked = pd.concat([t[name] for t in per_period if name in t], ignore_index=True)
            for column in stacked.columns:  # a column only some periods have (corrections booked on them)
                fill = format_minor(0, decimals) if column in MONEY_COLUMNS else ""
                stacked[column] = stacked[column].astype(object).where(stacked[column].notna(), fill)
            tables[name] = stacked
        else:
            tables[name] = per_period[-1][name]
    return tables


PERIOD_COLUMNS = ["period", "state", "employees", "paid", "bonus", "adjustment", "amount", "budget", "difference",
                  "budget_share"]


def periods_table(runs: list[tuple[Results, object]]) -> pd.DataFrame:
    """One row per bonus period: its state in the ledger, employees, how many are paid, the pool
    (``bonus``), the corrections booked on it (``adjustment``), what payroll pays (``amount``), the
    budget, pool minus budget and the pool as a share of the budget (empty without a budget).

    ``state`` is ``closed`` (the amounts paid, as the ledger stored them) or ``open`` (computed now).
    """
    rows = []
    for results, closing in runs:
        dec, totals = results.bonus.decimals, results.bonus.totals
        pool = int(totals.loc[totals["period"] == results.period, "bonus_minor"].sum())
        adjustment = 0 if results.adjustments is None else int(results.adjustments["amount_minor"].sum())
        budget = results.client.config.bonus_budget
        budget_minor = None if budget is None else int((Decimal(str(budget)) * 10 ** dec).to_integral_value())
        rows.append({
            "period": results.period, "state": "closed" if closing is not None else "open",
            "employees": str(len(totals)), "paid": str(int((totals["bonus_minor"] > 0).sum())),
            "bonus": format_minor(pool, dec), "adjustment": format_minor(adjustment, dec),
            "amount": format_minor(pool + adjustment, dec),
            "budget": "" if budget_minor is None else format_minor(budget_minor, dec),
            "difference": "" if budget_minor is None else format_minor(pool - budget_minor, dec),
            "budget_share": "" if not budget_minor else format_ratio(pool / budget_minor),
        })
    return pd.DataFrame(rows, columns=PERIOD_COLUMNS)


def _write(tables: dict[str, pd.DataFrame], style: "WorkbookStyle", about: dict, out_dir: str | Path) -> list[Path]:
    final = Path(out_dir) / "results"
    staging = staging_folder(final)
    try:
        with machine_faults(final):
            for name, table in tables.items():
                shown = table.set_axis(style.headers(name, table.columns), axis=1) if name == "payroll" else table
                csv_table(shown).to_csv(staging / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
            write_workbook(staging / "results.xlsx", tables, style)
            (staging / "manifest.json").write_text(
                json.dumps(about, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        swap_folder_into_place(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written = sorted(final.iterdir())
    log.info("wrote %d result files to %s", len(written), final)
    return written


#: What a spreadsheet may read as the start of a formula (OWASP), and the escape character itself.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE)


def csv_cell(value):
    """A cell as written to a results CSV: text that a spreadsheet could run as a formula gets a ``'``.

    Examples
    --------
    >>> print(csv_cell('=HYPERLINK("http://x","y")'), csv_cell("@SUM(A1)"), csv_cell("'quoted"))
    '=HYPERLINK("http://x","y") '@SUM(A1) ''quoted
    >>> csv_cell("-1200.00"), csv_cell("+5"), csv_cell("E-17"), csv_cell(3)
    ('-1200.00', '+5', 'E-17', 3)
    """
    if isinstance(value, str) and value.startswith((*FORMULA_START, "'")) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_table(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell passed through :func:`csv_cell`; numbers untouched."""
    out = table.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(object).map(csv_cell)
    return out


# --------------------------------------------------------------------------- results.xlsx

#: Columns holding money, and ratios (shown as percentages), in any results sheet.
MONEY_COLUMNS = {"fund_share", "bonus", "bonus_fund", "adjustment", "paid_to_date", "ytd_bonus", "carried", "amount",
                 "pv", "ev", "ac", "cv", "sv", "eac", "etc", "vac", "pool", "budget", "difference"}
RATIO_COLUMNS = {"weight", "attainment", "index", "coefficient", "performance_ratio", "stop_factor", "raw_weight",
                 "normalised", "modifier", "budget_share", "payout_factor"}
#: Columns that stay text even when they look like numbers (ids, codes, periods).
TEXT_COLUMNS = {"period", "employee_id", "position_id", "kpi_id", "goal_id", "stage", "months", "members",
                "accrual_code", "corrects"}
#: An id column and the name shown beside it: (id column, name column, client table, its id column).
NAMED_IDS = (("employee_id", "employee", "employees", "employee_id"), ("position_id", "position", "positions",
             "position_id"), ("kpi_id", "kpi", "kpis", "kpi_id"), ("goal_id", "goal", "goals", "goal_id"))


def money_format(currency: str, language: str, decimals: int) -> str:
    """The spreadsheet number format of money: the currency's decimals and its sign, placed as the
    client's language places it. Excel and LibreOffice both render it (a quoted literal, no locale tag),
    and both group digits and mark decimals as the reader's system does.

    Examples
    --------
    >>> money_format("GBP", "en", 2)
    '"£"#,##0.00'
    >>> money_format("RUB", "ru", 2)
    '#,##0.00 "₽"'
    >>> money_format("JPY", "en", 0), money_format("KWD", "en", 3)
    ('"JP¥"#,##0', '"KWD" #,##0.000')
    """
    symbol = get_currency_symbol(currency, locale=locale_of(language)).replace('"', "")
    number = "#,##0" + ("." + "0" * decimals if decimals else "")
    if language == "ru":
        return f'{number} "{symbol}"'
    return f'"{symbol}"{" " if symbol[-1:].isalpha() else ""}{number}'


@dataclass(frozen=True)
class WorkbookStyle:
    """What ``results.xlsx`` needs beyond the tables: the language, the money format, the names of ids."""

    language: str
    currency: str
    decimals: int
    names: dict[str, dict[str, str]]  # id column -> {id: name}
    payroll_names: dict[str, str]  # payroll column -> the client's header

    @classmethod
    def of(cls, results: Results) -> "WorkbookStyle":
        client = results.client
        names = {}
        for id_col, _, table, key in NAMED_IDS:
            frame = client.tables.get(table)
            if frame is not None and "name" in frame and len(frame):
                names[id_col] = dict(zip(frame[key].astype(str), frame["name"].astype(str)))
        return cls(client.config.language, client.config.currency, results.bonus.decimals, names,
                   dict(client.config.payroll.names))

    def header(self, code: str) -> str:
        """A column's header in the client's language (the code itself when the catalogue has none)."""
        return catalogue(self.language).get(f"results.column.{code}", code)

    def headers(self, sheet: str, columns) -> list[str]:
        if sheet == "payroll":
            return [self.payroll_names.get(c) or self.header(c) for c in columns]
        return [self.header(c) for c in columns]


def write_workbook(path: Path, tables: dict[str, pd.DataFrame], style: WorkbookStyle) -> None:
    """Write ``tables`` as the sheets of one workbook, typed and formatted for payroll (see the module)."""
    book = Workbook()
    book.remove(book.active)
    money, dates = money_format(style.currency, style.language, style.decimals), _date_format(style.language)
    for name, table in tables.items():
        sheet = book.create_sheet(name[:31])
        shown = _with_names(table, style) if name != "payroll" else table
        columns = list(shown.columns)
        typed = {c: _typed_column(c, shown[c], name) for c in columns}
        sheet.append(style.headers(name, columns))
        for i in range(len(shown)):
            sheet.append([typed[c][i] for c in columns])
        cells_as_text(sheet)
        formats = {c: money if c in MONEY_COLUMNS else "0.0%" if c in RATIO_COLUMNS and name != "payroll"
                   else dates if c in DATE_COLUMNS and name == "payroll" else None for c in columns}
        for j, c in enumerate(columns, start=1):
            if formats[c]:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                    if isinstance(cell.value, (int, float, dt.date)) and not isinstance(cell.value, bool):
                        cell.number_format = formats[c]
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        _fit_columns(sheet, columns, formats, style)
        frozen = columns.index("employee") + 2 if "employee" in columns[:4] else 1
        sheet.freeze_panes = sheet.cell(row=2, column=frozen).coordinate
        sheet.auto_filter.ref = sheet.dimensions
        _print_setup(sheet)
    book.save(path)


def _print_setup(sheet) -> None:
    """Printed, a sheet is landscape, one page wide, with the header row on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = "1:1"


def _date_format(language: str) -> str:
    return "dd.mm.yyyy" if language == "ru" else "yyyy-mm-dd"


def _with_names(table: pd.DataFrame, style: WorkbookStyle) -> pd.DataFrame:
    """``table`` with each id's name in a column beside it (employee, position, KPI, goal)."""
    out = table.copy()
    for id_col, name_col, _, _ in NAMED_IDS:
        if id_col in out and name_col not in out and id_col in style.names:
            names = style.names[id_col]
            out.insert(out.columns.get_loc(id_col) + 1, name_col,
                       [names.get(str(v), "") for v in out[id_col]])
    return out


def _typed_column(code: str, values: pd.Series, sheet: str) -> list:
    """One column's cells: numbers as numbers (payroll sums them), ``true``/``false`` as booleans,
    payroll dates as dates, text as text, empty cells empty."""
    text = [None if (v is None or (isinstance(v, float) and np.isnan(v)) or v == "") else v for v in values]
    present = [v for v in text if v is not None]
    if sheet == "payroll" and code in DATE_COLUMNS:
        return [dt.date.fromisoformat(v) if v else None for v in text]
    if code in TEXT_COLUMNS or not present:
        return [None if v is None else str(v) for v in text]
    if all(isinstance(v, (bool, np.bool_)) or str(v) in ("true", "false") for v in present):
        return [None if v is None else (v if isinstance(v, bool) else bool(v) if isinstance(v, np.bool_)
                                        else v == "true") for v in text]
    numbers = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce")
    if numbers.notna().all():
        return [None if v is None else (int(v) if isinstance(v, (int, np.integer)) else float(v)) for v in text]
    return [None if v is None else str(v) for v in text]


def _fit_columns(sheet, columns: list[str], formats: dict, style: WorkbookStyle) -> None:
    """Widths that show every value (as formatted) and no more; long headers wrap instead."""
    symbol = len(money_format(style.currency, style.language, 0)) - len("#,##0") - 2
    for j, code in enumerate(columns, start=1):
        last = min(sheet.max_row, 201)  # never past the data: iter_rows would create empty cells
        cells = [row[0].value for row in sheet.iter_rows(min_row=2, max_row=last, min_col=j, max_col=j)]
        widths = [_shown_width(v, formats[code], style.decimals, symbol) for v in cells if v is not None]
        header = len(str(sheet.cell(row=1, column=j).value))
        width = max([min(header, 18), *widths]) + 3  # room for the filter button
        sheet.column_dimensions[sheet.cell(row=1, column=j).column_letter].width = min(max(8, width), 60)


def _shown_width(value, number_format: str | None, decimals: int, symbol: int) -> int:
    if isinstance(value, bool):
        return 6
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, (int, float)):
        if number_format == "0.0%":
            return len(f"{value * 100:.1f}%")
        if number_format and "#,##0" in number_format:
            return len(f"{value:,.{decimals}f}") + symbol + 1
        return min(len(f"{value:,.6g}"), 14)
    return len(str(value))
