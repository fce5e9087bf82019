"""Check the settings of a client folder (``client.yaml`` or the workbook's ``client`` sheet)
and build its :class:`~kpi_toolkit.method.client.ClientConfig` (SPEC §4).

Every problem names the key path and its line, as :class:`~kpi_toolkit.inputs.raw.RawSettings`
recorded it. The ``funnel`` and ``readiness`` sections are checked by the modules that use
them (:func:`kpi_toolkit.method.funnel.funnel_problems`, :func:`kpi_toolkit.method.readiness.readiness_problems`).
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from babel.numbers import get_currency_precision, list_currencies

from kpi_toolkit.method.client import ClientConfig, PayoutCurve
from kpi_toolkit.errors import Problem
from kpi_toolkit.method.earned_value import EAC_METHODS
from kpi_toolkit.method.funnel import funnel_problems
from kpi_toolkit.inputs.logo import logo_problem
from kpi_toolkit.method.payroll import DEFAULT_COLUMNS, PAYROLL_COLUMNS, PayrollLayout
from kpi_toolkit.method.readiness import QUESTIONNAIRE_FIELDS, readiness_problems
from kpi_toolkit.method.schema import CLIENT_YAML_OPTIONAL, CLIENT_YAML_REQUIRED, LANGUAGES
from kpi_toolkit.inputs.cells import CellError, _num, _show, parse_date, parse_period
from kpi_toolkit.inputs.raw import RawSettings


LONG_BONUS_PERIOD = 3  # months; longer bonus periods are warned about (seed 001)
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
CONTACT_KEYS = ("name", "role", "email", "phone")
FUNNEL_KEYS = ("revenue_plan", "average_deal", "sales_managers", "stages", "segments", "rounding", "activity_minutes",
               "working_hours")


def check_config(settings: RawSettings, folder: Path) -> tuple[ClientConfig | None, list[Problem]]:
    """Check the settings and build the :class:`ClientConfig` (``None`` when they have errors)."""
    problems: list[Problem] = []
    values = settings.values

    def problem(path: str, message: str, fix: str, severity: str = "error", rule=None) -> None:
        table, row = settings.place(path)
        problems.append(Problem(table=table, row=row, column=path, message=message, fix=fix,
                                severity=severity, rule=rule))

    if values is None:
        values = {}
    if not isinstance(values, dict):
        problems.append(Problem(table=settings.source, row=1,
                                message=f"expected settings as 'key: value' lines, found a "
                                        f"{type(values).__name__}",
                                fix="write one 'key: value' per line (see kpi-toolkit new)"))
        return None, problems
    known = CLIENT_YAML_REQUIRED + CLIENT_YAML_OPTIONAL
    unknown_keys({k: v for k, v in values.items() if str(k) != "strategy_method"},  # an error below
                 "", known, "settings", problem)
    for key in CLIENT_YAML_REQUIRED:
        if values.get(key) in (None, ""):
            fix = f"add '{key}: ...' ({_KEY_HELP[key]})"
            if "client.yaml" in settings.origins.values():
                fix = f"fill in the value of '{key}' on the client sheet or add '{key}: ...' to client.yaml " \
                      f"({_KEY_HELP[key]})"
            elif settings.source != "client.yaml":
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
    for key, check in (("funnel", funnel_problems), ("readiness", readiness_problems)):
        if key in out:
            problems += [replace(p, table=table, row=row) for p in check(out[key])
                         for table, row in [settings.place(p.column or key)]]
    if any(p.severity == "error" for p in problems):
        return None, problems
    return ClientConfig(**out), problems


_KEY_HELP = {
    "name": "the client's name as reports show it",
    "language": "en or ru",
    "currency": "an ISO 4217 code, e.g. EUR",
    "period": "the period reported, \"YYYY-MM\"",
}


def unknown_keys(section: dict, path: str, known: Sequence[str], what: str, problem,
                 severity: str = "warning") -> bool:
    """Report each key of ``section`` that is not in ``known``, with the nearest known key;
    whether all were known. ``what`` names the section in the message ("a questionnaire key").

    Examples
    --------
    >>> found = []
    >>> unknown_keys({"main_activity": "Trade"}, "questionnaire", ("activity", "headcount"), "questionnaire",
    ...              lambda *args, **kwargs: found.append(args))
    False
    >>> print(found[0][1])
    'main_activity' is not a questionnaire key; did you mean 'activity'? (expected one of: activity, headcount; it is ignored)
    """
    ok = True
    for key in section:
        if str(key) in known:
            continue
        ok = False
        close = difflib.get_close_matches(str(key), known, n=1)
        ignored = "; it is ignored" if severity == "warning" else ""
        listing = f"(expected one of: {', '.join(known)}{ignored})"
        if close:
            message = f"'{key}' is not a {what} key; did you mean '{close[0]}'? {listing}"
            fix = f"rename it to '{close[0]}', or remove it"
        else:
            message = f"'{key}' is not a {what} key {listing}"
            fix = "rename it to one of the expected keys, or remove it"
        problem(f"{path}.{key}" if path else str(key), message, fix, severity=severity)
    return ok


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
            for i, contact in enumerate(contacts):
                unknown_keys(contact, f"contacts[{i}]", CONTACT_KEYS, "contact", problem)
            out["contacts"] = tuple(contacts)
    for key in ("questionnaire", "readiness", "funnel"):
        if values.get(key) is not None:
            if not isinstance(values[key], dict):
                problem(key, f"expected '{key}' to hold 'key: value' entries, found "
                             f"{_show(values[key])}", f"indent the entries of '{key}' under it")
            else:
                out[key] = values[key]
    if "questionnaire" in out:
        unknown_keys(out["questionnaire"], "questionnaire", [f.code for f in QUESTIONNAIRE_FIELDS],
                     "questionnaire", problem)
    if "funnel" in out:
        unknown_keys(out["funnel"], "funnel", FUNNEL_KEYS, "funnel", problem)
        stages = out["funnel"].get("stages")
        for i, stage in enumerate(stages if isinstance(stages, list) else []):
            if isinstance(stage, dict):
                unknown_keys(stage, f"funnel.stages[{i}]", ("stage", "conversion"), "funnel stage", problem)
    if "strategy_method" in values:
        method = values.get("strategy_method")
        fix = ("delete 'strategy_method'; each position now has its own method: goals name the position "
               "accountable for them in goals 'owner' (default: the CEO), and positions 'method' is map "
               "(weights from the goals it owns, the default for a goal owner) or head_on (weights given in "
               "position_kpis, the default otherwise)")
        if method == "head_on":
            fix += "; for the old head_on, just delete the key (positions that own no goals are head_on)"
        problem("strategy_method", f"'strategy_method: {method}' is no longer read: the method of setting KPI "
                                   "weights is chosen per position (positions.method, goals.owner)", fix)
    owner = values.get("strategy_owner")
    if owner not in (None, ""):
        if not isinstance(owner, (str, int)) or isinstance(owner, bool):
            problem("strategy_owner", f"{_show(owner)} is not a position id",
                    "write the position_id of the position that owns the strategy map, e.g. ceo")
        else:
            out["strategy_owner"] = str(owner)
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
            unknown_keys(thresholds, "project_thresholds", tuple(result), "project_thresholds", problem,
                         severity="error")
            for key, value in thresholds.items():
                if key not in result:
                    continue  # reported above
                if not _is_number(value) or value < 0:
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
    if values.get("reports") is not None:
        limit = _check_reports(values["reports"], problem)
        if limit is not None:
            out["employee_detail_limit"] = limit
    method = values.get("eac_method")
    if method is not None:
        if method not in EAC_METHODS:
            close = difflib.get_close_matches(str(method), EAC_METHODS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problem("eac_method", f"eac_method is {_show(method)}; expected one of: {', '.join(EAC_METHODS)}",
                    f"{hint}write cpi (EAC = BAC / CPI, the default), atypical (EAC = AC + BAC - EV: the "
                    "overrun so far was a one-off) or cpi_spi (EAC = AC + (BAC - EV) / (CPI * SPI))")
        else:
            out["eac_method"] = method
    if values.get("payroll") is not None:
        layout = _check_payroll(values["payroll"], problem)
        if layout is not None:
            out["payroll"] = layout
    return out


def _check_reports(reports: Any, problem) -> int | None:
    """``reports: {employee_detail_limit: N}``: the employee count past which per-employee detail
    leaves the report body for files of its own (None when absent or wrong)."""
    example = "reports: {employee_detail_limit: 50}"
    if not isinstance(reports, dict):
        problem("reports", f"expected 'reports' to hold 'key: value' entries, found {_show(reports)}",
                f"write e.g. {example}")
        return None
    for key in reports:
        if key != "employee_detail_limit":
            problem(f"reports.{key}", f"unknown key 'reports.{key}' is ignored; expected employee_detail_limit",
                    "remove or rename it", severity="warning")
    if "employee_detail_limit" not in reports:
        return None
    value = reports["employee_detail_limit"]
    n = _as_int(value)
    if n is None or n < 0:
        problem("reports.employee_detail_limit",
                f"employee_detail_limit {_show(value)} is not a whole number >= 0",
                "write the number of employees up to which reports show every employee's matrix and "
                f"statement in the body, e.g. {example} (0: always in files of their own)")
        return None
    return n


_PAYROLL_EXAMPLE = ('payroll: {columns: [employee_id, name, accrual_code, period_start, amount], '
                    'names: {employee_id: Табельный номер}, accrual_code: "2000"}')


def _check_payroll(payroll: Any, problem) -> PayrollLayout | None:
    """The payroll file's layout (:mod:`kpi_toolkit.method.payroll`), every problem reported."""
    if not isinstance(payroll, dict):
        problem("payroll", f"expected 'payroll' to hold columns, names and accrual_code, found {_show(payroll)}",
                f"write e.g. {_PAYROLL_EXAMPLE}")
        return None
    known = ("columns", "names", "accrual_code", "skip_zero")
    ok = True
    for key in payroll:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problem(f"payroll.{key}", f"unknown key 'payroll.{key}'; expected one of: {', '.join(known)}",
                    f"{hint}remove or rename it")
            ok = False
    columns = payroll.get("columns", list(DEFAULT_COLUMNS))
    allowed = ", ".join(PAYROLL_COLUMNS)
    if not isinstance(columns, list) or not columns:
        problem("payroll.columns", f"expected a list of columns, found {_show(columns)}",
                f"write e.g. columns: [employee_id, name, accrual_code, period_start, amount] (from: {allowed})")
        return None
    for i, column in enumerate(columns):
        if not isinstance(column, str) or column not in PAYROLL_COLUMNS:
            close = difflib.get_close_matches(str(column), PAYROLL_COLUMNS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problem(f"payroll.columns[{i}]", f"{_show(column)} is not a payroll column; expected one of: {allowed}",
                    f"{hint}write one of the listed columns")
            ok = False
    seen = [c for c in columns if isinstance(c, str)]
    for column in sorted({c for c in seen if seen.count(c) > 1}):
        problem("payroll.columns", f"column '{column}' is listed {seen.count(column)} times",
                "list each column once")
        ok = False
    names = payroll.get("names", {})
    if not isinstance(names, dict):
        problem("payroll.names", f"expected 'column: header' entries, found {_show(names)}",
                "write e.g. names: {employee_id: Табельный номер, amount: Сумма}")
        names, ok = {}, False
    for column, header in names.items():
        if column not in seen:
            problem(f"payroll.names.{column}", f"'{column}' is named but is not in payroll.columns "
                                               f"({', '.join(map(str, seen))})",
                    f"add '{column}' to payroll.columns or remove its name")
            ok = False
        elif not isinstance(header, (str, int)) or isinstance(header, bool) or not str(header).strip():
            problem(f"payroll.names.{column}", f"the header of '{column}' is {_show(header)}; expected text",
                    f"write the header the payroll system expects, e.g. {column}: Сумма")
            ok = False
    headers = [str(names.get(c, c)).strip() for c in dict.fromkeys(seen)]
    for header in sorted({h for h in headers if headers.count(h) > 1}):
        problem("payroll.names", f"header '{header}' is used by more than one column", "give each column its own header")
        ok = False
    code = payroll.get("accrual_code")
    if code is not None and (not isinstance(code, str) or not code.strip()):
        quoted = f'accrual_code: "{code}"' if isinstance(code, int) and not isinstance(code, bool) else \
            'accrual_code: "2000"'
        problem("payroll.accrual_code", f"accrual_code {_show(code)} is not text",
                f"write the code in quotes, e.g. {quoted} (quotes keep leading zeros)")
        code, ok = None, False
    if "accrual_code" in seen and code is None and "accrual_code" not in payroll:
        problem("payroll.accrual_code", "payroll.columns lists 'accrual_code' but no accrual_code is given",
                'add accrual_code: "..." — the code of the bonus accrual in the payroll system, e.g. "2000"')
        ok = False
    if code is not None and "accrual_code" not in seen:
        problem("payroll.accrual_code", f"accrual_code \"{code}\" is given but 'accrual_code' is not in "
                                        "payroll.columns, so the payroll file does not carry it",
                "add accrual_code to payroll.columns, or remove the code", severity="warning")
    skip = payroll.get("skip_zero", False)
    if not isinstance(skip, bool):
        problem("payroll.skip_zero", f"skip_zero {_show(skip)} is not true or false",
                "write skip_zero: true to leave out employees with nothing to pay, else false")
        ok = False
    if not ok:
        return None
    return PayrollLayout(tuple(columns), {c: str(h).strip() for c, h in names.items()},
                         code.strip() if code else None, skip)

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
        if kind not in ("steps", "step", "linear"):
            problem(f"{path}.type", f"curve type {_show(kind)} is not known; expected step or linear",
                    "write type: step (a step table) or type: linear (interpolation)")
            ok = False
        kind = "steps" if kind == "step" else kind
        if not unknown_keys(spec, path, ("type", "points", "basis", "open", "label"), "payout curve", problem,
                            severity="error"):
            ok = False
        basis = spec.get("basis", "attainment")
        if basis not in ("attainment", "value"):
            problem(f"{path}.basis", f"curve basis {_show(basis)} is not known; expected attainment or value",
                    "write basis: value for points given as facts in the KPI's units, or leave it out "
                    "(points as attainment, 1 = 100 %)")
            ok = False
        is_open = spec.get("open", False)
        if not isinstance(is_open, bool):
            problem(f"{path}.open", f"open is {_show(is_open)}; expected true or false",
                    "write open: true to let the last segment's slope go on past the last point")
            ok = False
        elif is_open and kind == "steps":
            problem(f"{path}.open", "open: true needs a linear curve; a step curve has no slope to continue",
                    "write type: linear, or remove open")
            ok = False
        label = spec.get("label")
        if label is not None and (not isinstance(label, dict) or not label or not all(
                str(k) in LANGUAGES and isinstance(v, str) and v.strip() for k, v in label.items())):
            problem(f"{path}.label", f"label {_show(label)} is not a name per language; expected e.g. "
                                     "{en: Sales scale, ru: Шкала продаж} with languages from "
                                     f"{', '.join(LANGUAGES)}",
                    "write label: {en: ..., ru: ...} with a non-empty name for each language")
            ok = False
        points = spec.get("points")
        if is_open is True and kind == "linear" and isinstance(points, list) and len(points) < 2:
            problem(f"{path}.points", f"an open curve needs at least two points (the last segment's slope "
                                      f"goes on), found {len(points)}", "add a point before the last one")
            ok = False
        if not isinstance(points, list) or not points:
            problem(f"{path}.points", f"expected a list of [attainment, coefficient] points, found "
                                      f"{_show(points)}", "write e.g. points: [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]]")
            continue
        parsed = []
        x_name = "fact" if basis == "value" else "attainment"
        for i, point in enumerate(points):
            where = f"{path}.points[{i}]"
            if (not isinstance(point, list) or len(point) != 2
                    or not all(_is_number(v) for v in point)):
                problem(where, f"point {_show(point)} is not [{x_name}, coefficient]",
                        "write two numbers, e.g. [1.0, 1.0]")
                ok = False
                continue
            attainment, coefficient = float(point[0]), float(point[1])
            if not (math.isfinite(attainment) and math.isfinite(coefficient)):
                problem(where, f"point {_show(point)} is not finite", "write two finite numbers")
                ok = False
                continue
            if coefficient < 0:
                problem(where, f"coefficient {_num(coefficient)} is negative; expected >= 0",
                        "coefficients are 0 or more")
                ok = False
            if parsed and attainment <= parsed[-1][0]:
                problem(where, f"{x_name} {_num(attainment)} does not increase (previous point "
                               f"{_num(parsed[-1][0])}); expected {x_name}s in strictly increasing order",
                        f"sort the points by {x_name} and remove duplicates")
                ok = False
            parsed.append((attainment, coefficient))
        if ok:
            result[str(name)] = PayoutCurve(name=str(name), kind=kind, points=tuple(parsed), basis=basis,
                                            open=is_open, label={str(k): v for k, v in (label or {}).items()})
    return result


def _check_branding(branding: Any, folder: Path, problem) -> dict:
    result: dict[str, Any] = {"logo": None, "colour": None, "consultancy": None}
    if not isinstance(branding, dict):
        problem("branding", f"expected logo and colour, found {_show(branding)}",
                "write branding: {logo: logo.png, colour: \"#1F4E79\"}")
        return result
    unknown_keys(branding, "branding", tuple(result), "branding", problem)
    logo = branding.get("logo")
    if logo is not None:
        file = (folder / str(logo)).resolve()
        if file.suffix.lower() not in LOGO_SUFFIXES:
            problem("branding.logo", f"logo {_show(logo)} is not a png, jpg or svg image",
                    "use a .png, .jpg or .svg file")
        elif not file.is_file() or not file.is_relative_to(folder.resolve()):
            problem("branding.logo", f"logo file {_show(logo)} is not in the client folder",
                    "put the image in the client folder and give its file name")
        elif (unusable := logo_problem(file)) is not None:
            problem("branding.logo", *unusable)
        else:
            result["logo"] = folder / file.relative_to(folder.resolve())
    colour = branding.get("colour")
    if colour is not None:
        if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
            problem("branding.colour", f"colour {_show(colour)} is not #RRGGBB",
                    "write a hex colour in quotes, e.g. \"#1F4E79\"")
        else:
            result["colour"] = colour
    consultancy = branding.get("consultancy")
    if consultancy is not None:
        if not isinstance(consultancy, str) or not consultancy.strip() or len(consultancy) > 120:
            problem("branding.consultancy", f"consultancy {_show(consultancy)} is not a name of 1 to 120 characters",
                    "write the consultancy's name in quotes, e.g. \"Ledger & Partners LLP\"")
        else:
            result["consultancy"] = " ".join(consultancy.split())
    return result
