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
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .calculate import Results
from .exact import format_minor, format_money, format_ratio
from .fileio import cells_as_text, machine_faults, staging_folder, swap_folder_into_place
from .explain import reason_label, statement_reason
from .adjustments import add_adjustments

log = logging.getLogger("kpi_toolkit")

LINE_COLUMNS = ["period", "employee_id", "position_id", "kpi_id", "weight", "plan", "fact", "attainment",
                "index", "coefficient", "fund_share", "bonus", "reason"]
TOTAL_COLUMNS = ["period", "employee_id", "position_id", "performance_ratio", "stop_factor", "bonus_fund",
                 "bonus", "reason"]
SCORECARD_COLUMNS = ["period", "pv", "ev", "ac", "cv", "cpi", "sv", "spi", "eac", "vac", "budget", "schedule",
                     "scope", "quality", "overall"]


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
    if results.client.config.bonus_period_months > 1:  # the months each statement covers
        tables["bonus_totals"].insert(1, "months", totals["months"].astype(str).to_numpy())
    if results.project_scorecard is not None:
        sc = results.project_scorecard
        money_cols = {"pv", "ev", "ac", "cv", "sv", "eac", "vac"}
        tables["project_scorecard"] = pd.DataFrame({
            c: (_money(sc[c], dec) if c in money_cols else _ratios(sc[c]) if c in ("cpi", "spi") else sc[c])
            for c in SCORECARD_COLUMNS})
    if results.adjustments is not None and len(results.adjustments):
        tables["bonus_totals"] = add_adjustments(tables["bonus_totals"], results.adjustments, results.period, dec)
    if results.history is not None:
        tables["history"] = results.history.astype(str)
    if results.funnel_plan is not None:
        fp = results.funnel_plan
        tables["funnel_plan"] = fp[["stage", "required_total", "required_per_manager"]].astype(
            {"required_total": "int64", "required_per_manager": "int64"})
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
    final = Path(out_dir) / "results"
    tables = result_tables(results)
    staging = staging_folder(final)
    try:
        with machine_faults(final):
            for name, table in tables.items():
                csv_table(table).to_csv(staging / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
            with pd.ExcelWriter(staging / "results.xlsx", engine="openpyxl") as xlsx:
                for name, table in tables.items():
                    _typed_for_excel(table).to_excel(xlsx, sheet_name=name[:31], index=False)
                    cells_as_text(xlsx.sheets[name[:31]])
                    _fit_columns(xlsx.sheets[name[:31]])
            (staging / "manifest.json").write_text(
                json.dumps(manifest(results, parameters), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
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


def _typed_for_excel(table: pd.DataFrame) -> pd.DataFrame:
    """Numbers as numbers in the workbook (payroll sums them), text as text."""
    out = table.copy()
    for col in out.columns:
        converted = pd.to_numeric(out[col].replace("", None), errors="coerce")
        if converted.notna().sum() == out[col].replace("", None).notna().sum() and col not in (
                "period", "employee_id", "position_id", "kpi_id", "goal_id", "stage"):
            out[col] = converted
    return out


def _fit_columns(sheet) -> None:
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column[:200])
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    sheet.freeze_panes = "A2"
