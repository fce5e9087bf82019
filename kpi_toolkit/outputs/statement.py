"""One employee's bonus statement as HTML (SPEC §7, "Individual statements").

:func:`statement_html` is the statement itself, one fragment shared by the bonus stage (every
employee, one after another) and by :func:`statement_page`, the branded page that
``kpi-toolkit statements`` prints for one employee. A statement holds its employee's figures
alone: who, the bonus period and the days employed, the fund, each KPI line's plan, fact,
attainment, coefficient and amount with the scheme it follows (weight, threshold, stop
threshold, cap, payout curve) and the arithmetic written out, the stop factors with their
reasons, adjustments for closed periods, the total and, on the page, lines for signatures.

Every client string is escaped here; every fixed word comes from the message catalogue.
"""
from __future__ import annotations

import datetime as dt
import html
import math
import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import pandas as pd

from kpi_toolkit.method.bonus import bonus_fund_from_variable_share, period_bounds
from kpi_toolkit.method.calculate import Results
from kpi_toolkit.errors import ReportError
from kpi_toolkit.outputs.explain import curve_label, kpi_value, reason_label
from kpi_toolkit.outputs.i18n import format_date, format_money, format_number, format_percent, format_period, label, t
from kpi_toolkit.outputs.html import _COLOUR, _environment, _logo_data_uri, _tint

DASH = "—"
DEFAULT_COLOUR = "#1F4E79"
#: Columns of the adjustments table a statement takes (from the ledger's closed periods);
#: ``amount_minor`` (integer minor units) may stand in for ``amount`` (major units).
ADJUSTMENT_COLUMNS = ("employee_id", "period_corrected", "amount", "reason")
#: Decimals tried for a coefficient shown in a line's arithmetic, so that the product shown
#: gives the amount shown (see :func:`_shown_factors`).
COEFFICIENT_DECIMALS = range(4, 10)


def statement_css() -> str:
    """The statement's style sheet (``templates/statement.css``), for pages that show statements."""
    return resources.files("kpi_toolkit.outputs").joinpath("templates", "statement.css").read_text("utf-8")


# --------------------------------------------------------------------------- one statement

@dataclass(frozen=True)
class _Context:
    results: Results
    language: str
    currency: str
    decimals: int

    def money(self, value, decimals: int | None = None) -> str:
        if value is None or pd.isna(value):
            return DASH
        return format_money(float(value), self.currency, self.language,
                            self.decimals if decimals is None else decimals).replace("-", "−")

    def minor(self, amount_minor: int) -> str:
        return self.money(Decimal(int(amount_minor)).scaleb(-self.decimals))

    def pct(self, value, decimals: int | None = None) -> str:
        if value is None or pd.isna(value) or math.isinf(float(value)):
            return DASH
        if decimals is None:
            hundred = float(value) * 100
            decimals = 0 if abs(hundred - round(hundred)) < 1e-9 else 1
        return format_percent(float(value), self.language, decimals).replace("-", "−")

    def number(self, value, most: int = 4) -> str:
        """A number with as few decimals as it needs, at most ``most``."""
        if value is None or pd.isna(value):
            return DASH
        exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-most), rounding=ROUND_HALF_UP).normalize()
        return format_number(float(value), self.language, max(-exact.as_tuple().exponent, 0))


def statement_html(results: Results, employee_id: str, language: str, *, heading_level: int = 4,
                   adjustments: pd.DataFrame | None = None, team_names: dict[str, str] | None = None,
                   standalone: bool = False) -> str:
    """One employee's bonus statement for ``results.period`` as an HTML fragment.

    Parameters
    ----------
    results : Results
        The client's results for the period (:func:`kpi_toolkit.method.calculate`).
    employee_id : str
    language : str
        ``"en"`` or ``"ru"``.
    heading_level : int
        Level of the heading that names the employee (4 in the bonus stage, 2 on a page).
    adjustments : DataFrame, optional
        Corrections of closed periods booked on this period's statement, columns
        :data:`ADJUSTMENT_COLUMNS` (rows of other employees are ignored). This is where the
        ledger's adjustments come in; without them the statement has no adjustments section.
    team_names : dict, optional
        Employee id -> name, to list the members a team KPI counts. Without it (an individual
        statement) only their number is shown: a statement names no other employee.
    standalone : bool
        Whether the statement stands alone (the printed page): it then ends with a note on
        rounding, the acknowledgement and lines for signatures.

    Raises
    ------
    ReportError
        When the employee has no statement in the period, or an adjustment is not an amount
        of the currency.
    """
    bonus = results.bonus
    ctx = _Context(results, language, bonus.currency, bonus.decimals)
    totals = bonus.totals
    mine = totals[(totals["period"] == results.period) & (totals["employee_id"].astype(str) == str(employee_id))]
    if mine.empty:
        raise ReportError(f"employee '{employee_id}' has no bonus statement for {results.period}: no KPI lines "
                          f"in the period")
    row = mine.iloc[0]
    lines = bonus.lines[(bonus.lines["period"] == results.period)
                        & (bonus.lines["employee_id"].astype(str) == str(employee_id))]
    if adjustments is None:
        adjustments = ledger_adjustments(results, language)
    adjustment_rows, adjustment_minor = _adjustments(adjustments, employee_id, ctx)
    level = max(1, min(int(heading_level), 6))
    parts = [f'<section class="statement" data-employee="{html.escape(str(employee_id), quote=True)}">',
             f'<h{level} class="statement-name">{html.escape(str(row["employee"]))} · '
             f'{html.escape(str(row["position"]))}</h{level}>',
             _facts(row, ctx),
             _lines_table(row, lines, ctx, team_names, final=not adjustment_rows),
             _stops(row, lines, ctx),
             _sections(row, ctx),
             _modifiers(row, ctx),
             _year_to_date(row, ctx)]
    if adjustment_rows:
        parts.append(_adjustments_table(row, adjustment_rows, adjustment_minor, ctx))
    if standalone:
        parts.append(f'<p class="statement-note">{html.escape(t("statement.rounding", language))}</p>')
        parts.append(_signatures(language))
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def statement_page(results: Results, employee_id: str, language: str, *, client_name: str | None = None,
                   period_label: str | None = None, logo_path: str | os.PathLike | None = None,
                   colour: str | None = None, date: dt.date | None = None,
                   adjustments: pd.DataFrame | None = None) -> str:
    """One employee's statement as a branded, self-contained HTML page (for printing to PDF).

    The client's name, logo and colour default to its ``client.yaml``; the page references no
    file and no URL.
    """
    config = results.client.config
    branding = config.branding or {}
    colour = colour or branding.get("colour") or DEFAULT_COLOUR
    if logo_path is None:
        logo_path = _logo_of(results.client)
    body = statement_html(results, employee_id, language, heading_level=2, adjustments=adjustments,
                          standalone=True)
    totals = results.bonus.totals
    name = str(totals.loc[(totals["period"] == results.period)
                          & (totals["employee_id"].astype(str) == str(employee_id)), "employee"].iloc[0])
    if not _COLOUR.match(colour):
        raise ReportError(f"branding colour {colour!r} is not a colour; expected #RRGGBB, e.g. #1F4E79")
    return _environment().get_template("statement.html.j2").render(
        language=language,
        client_name=client_name or config.name,
        employee=name,
        title=t("statement.title", language),
        period_label=period_label or format_period(results.period, language),
        date_label=format_date(date or dt.date.today(), language),
        date_caption=t("report.date", language),
        confidential=t("statement.confidential", language),
        logo=_logo_data_uri(logo_path) if logo_path else None,
        colour=colour,
        tint=_tint(colour, 0.86),
        css=statement_css(),
        body=body,
    )


def _logo_of(client):
    logo = (client.config.branding or {}).get("logo")
    if logo is None:
        return None
    logo = os.fspath(logo)
    if not os.path.isabs(logo) and not os.path.exists(logo):
        logo = os.path.join(client.path, logo)
    return logo


# --------------------------------------------------------------------------- the parts

def _facts(row, ctx: _Context) -> str:
    lang = ctx.language
    client = ctx.results.client
    employees = client.employees
    person = employees[employees["employee_id"].astype(str) == str(row["employee_id"])]
    person = person.iloc[0] if len(person) else None
    days, period_days = int(row["days_employed"]), int(row["period_days"])
    prorated = 0 < days < period_days
    day_text = t("statement.days_prorated" if prorated else "statement.days_full", lang, days=days,
                 period_days=period_days)
    if person is not None and prorated:
        notes = []
        start, end = _date(person.get("start_date")), _date(person.get("end_date"))
        first, last = period_bounds(ctx.results.period, client.config.bonus_period_months)
        if start is not None and start > first:
            notes.append(t("statement.joined", lang, date=format_date(start, lang)))
        if end is not None and end < last:
            notes.append(t("statement.left", lang, date=format_date(end, lang)))
        if notes:
            day_text += f" ({'; '.join(notes)})"
    department = "" if _missing(row["department"]) else str(row["department"])
    pairs = [((t("statement.employee_id", lang), str(row["employee_id"])),
              (t("statement.department", lang), department)),
             ((t("statement.position", lang), str(row["position"])),
              (t("statement.period", lang), _period_text(row, ctx))),
             ((t("statement.performance_ratio", lang), ctx.number(row["performance_ratio"], 3)),
              (t("statement.days", lang), day_text))]
    wide = [(t("statement.fund", lang), _fund_text(row, person, ctx, prorated))]
    outcome = _outcome(row, ctx)
    if outcome:
        wide.append((t("statement.outcome", lang), outcome))
    cells = "".join(f"<tr>{_fact(*a)}{_fact(*b)}</tr>" for a, b in pairs)
    cells += "".join(f'<tr>{_fact(k, v, span=3)}</tr>' for k, v in wide)
    return (f'<table class="statement-facts"><colgroup><col class="c-key"><col><col class="c-key"><col>'
            f"</colgroup><tbody>{cells}</tbody></table>")


def _fact(key: str, value: str, span: int = 1) -> str:
    colspan = f' colspan="{span}"' if span > 1 else ""
    return f'<th scope="row">{html.escape(key)}</th><td{colspan}>{html.escape(value)}</td>'


def _outcome(row, ctx: _Context) -> str:
    """Why the statement pays what it pays, in a line (the details follow in the statement)."""
    lang = ctx.language
    names = _kpi_names(ctx.results.client)

    def kpis(ids: str) -> str:
        return ", ".join(_quoted(names.get(k.strip(), k.strip()), lang) for k in str(ids).split(",") if k.strip())

    parts = []
    code = str(row["reason"])
    if code:
        text = reason_label(code, lang)
        if code == "stop_threshold" and row["blocking_kpis"]:
            text += f": {kpis(row['blocking_kpis'])}"
        elif code == "stop_factor" and row["stop_rules"]:
            text += ": " + kpis(",".join(r.split(" ", 1)[0] for r in str(row["stop_rules"]).split("; ")))
        parts.append(text)
    if row["excluded_kpis"]:
        parts.append(t("explain.excluded", lang, kpis=kpis(row["excluded_kpis"])))
    return "; ".join(parts)


def _period_text(row, ctx: _Context) -> str:
    lang = ctx.language
    if "months" in row.index and isinstance(row["months"], str) and row["months"]:
        months = [m.strip() for m in row["months"].split(",") if m.strip()]
    else:
        first, last = period_bounds(ctx.results.period, ctx.results.client.config.bonus_period_months)
        months = [f"{y:04d}-{m:02d}" for y, m in _month_range(first, last)]
    if len(months) <= 1:
        return format_period(months[0] if months else ctx.results.period, lang)
    return t("statement.period_months", lang, first=format_period(months[0], lang),
             last=format_period(months[-1], lang), count=len(months))


def _month_range(first: dt.date, last: dt.date):
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _fund_text(row, person, ctx: _Context, prorated: bool) -> str:
    lang = ctx.language
    fund = ctx.money(row["bonus_fund"])
    if person is None:
        return fund
    client = ctx.results.client
    given = person.get("bonus_fund")
    if given is not None and not pd.isna(given):
        full, text = float(given), None
    else:
        positions = client.positions.set_index("position_id")
        share = positions["variable_share"].get(row["position_id"])
        salary = person.get("base_salary")
        if share is None or pd.isna(share) or salary is None or pd.isna(salary):
            return fund
        full = float(bonus_fund_from_variable_share(float(salary), float(share)))
        text = t("statement.fund_from_salary", lang, fund=ctx.money(full), salary=ctx.money(salary),
                 share=ctx.pct(share))
    if prorated:
        return "; ".join([t("statement.fund_prorated", lang, full=ctx.money(full), days=int(row["days_employed"]),
                            period_days=int(row["period_days"]), fund=fund)]
                         + [text or t("statement.fund_given", lang, fund=ctx.money(full))])
    return text or t("statement.fund_given", lang, fund=fund)


def _lines_table(row, lines: pd.DataFrame, ctx: _Context, team_names, final: bool) -> str:
    lang = ctx.language
    heads = [("kpi", "statement-kpi"), ("weight", "num"), ("plan", "num"), ("fact", "num"),
             ("attainment", "num"), ("coefficient", "num"), ("bonus", "num")]
    head = "".join(f'<th scope="col" class="{css}">{html.escape(t(f"statement.{key}", lang))}</th>'
                   for key, css in heads)
    blocking = {k.strip() for k in str(row["blocking_kpis"]).split(",") if k.strip()}
    bodies = []
    for line in lines.itertuples(index=False):
        bodies.append(_line_rows(line, row, ctx, blocking, team_names))
    period_text = _period_text(row, ctx)
    total_label = t("statement.total", lang) if final else t("statement.period_total", lang, period=period_text)
    shown_total = row["bonus_minor"]
    if _is_ytd(row):  # the lines hold the year to date; what the period pays follows below them
        total_label, shown_total = t("statement.ytd_total", lang), row["ytd_minor"]
    total = (f'<tr class="statement-total"><th scope="row" colspan="6">{html.escape(total_label)}</th>'
             f'<td class="num">{ctx.minor(shown_total)}</td></tr>')
    # the total travels with the last KPI line: a page never begins with the total alone
    if bodies:
        bodies[-1] = bodies[-1].replace("</tbody>", total + "</tbody>")
    else:
        bodies.append(f'<tbody class="statement-line">{total}</tbody>')
    caption = f"<caption>{html.escape(t('statement.lines', lang))}</caption>"
    cols = ('<colgroup><col class="c-kpi"><col class="c-weight"><col class="c-plan"><col class="c-fact">'
            '<col class="c-attainment"><col class="c-coefficient"><col class="c-bonus"></colgroup>')
    return (f'<table class="statement-lines">{caption}{cols}<thead><tr>{head}</tr></thead>'
            + "".join(bodies) + "</table>")


def _line_rows(line, row, ctx: _Context, blocking: set[str], team_names) -> str:
    lang = ctx.language
    client = ctx.results.client
    status = str(line.fact_status)
    excluded = str(line.reason) == "excluded"
    attainment = ctx.pct(line.attainment, 1) if not pd.isna(line.attainment) else DASH
    cells = [html.escape(str(line.kpi)), ctx.pct(line.effective_weight if not excluded else line.weight),
             _plan_text(line, ctx),
             kpi_value(line.fact, line.unit, lang, ctx.currency) if status != "missing_excluded" else DASH,
             attainment, ctx.number(line.coefficient, 4), ctx.minor(line.bonus_minor)]
    first = (f'<tr class="statement-values"><th scope="row" class="statement-kpi">{cells[0]}</th>'
             + "".join(f'<td class="num">{html.escape(c)}</td>' for c in cells[1:]) + "</tr>")
    details = [f"{html.escape(t('statement.scheme', lang))}: {html.escape(_scheme_text(line, ctx))}"]
    team = _team_text(line, ctx, team_names)
    if team:
        details.append(html.escape(team))
    if not excluded:
        details.append(f"{html.escape(t('statement.calculation', lang))}: {html.escape(_arithmetic(line, row, ctx))}")
    why = _why(line, ctx, blocking)
    if why:
        details.append(f'<span class="statement-why">{html.escape(t("statement.why", lang))}: '
                       f"{html.escape(why)}</span>")
    detail = (f'<tr class="statement-detail"><td colspan="7">'
              + "<br>".join(details) + "</td></tr>")
    return f'<tbody class="statement-line">{first}{detail}</tbody>'


def _plan_text(line, ctx: _Context) -> str:
    """The plan; for a KPI kept within a band, the band."""
    if str(line.direction) == "band" and pd.isna(line.plan):
        kpis = ctx.results.client.kpis.set_index("kpi_id")
        low, high = kpis["band_low"].get(line.kpi_id), kpis["band_high"].get(line.kpi_id)
        if low is not None and high is not None and not pd.isna(low) and not pd.isna(high):
            return (f"{kpi_value(low, None, ctx.language)}–"
                    f"{kpi_value(high, line.unit, ctx.language, ctx.currency)}")
    return kpi_value(line.plan, line.unit, ctx.language, ctx.currency)


def _scheme_text(line, ctx: _Context) -> str:
    lang = ctx.language
    parts = []
    if (str(line.reason) != "excluded" and not pd.isna(line.effective_weight)
            and abs(float(line.effective_weight) - float(line.weight)) > 1e-12):
        parts.append(t("statement.weight_renormalised", lang, weight=ctx.pct(line.weight),
                       effective=ctx.pct(line.effective_weight, 1)))
    parts.append(t("statement.threshold", lang, value=ctx.pct(line.threshold)) if not pd.isna(line.threshold)
                 else t("statement.no_threshold", lang))
    if not pd.isna(line.stop_threshold):
        parts.append(t("statement.stop_threshold", lang, value=ctx.pct(line.stop_threshold)))
    parts.append(t("statement.cap", lang, value=ctx.pct(line.cap)) if not pd.isna(line.cap)
                 else t("statement.no_cap", lang))
    curve = line.curve if isinstance(line.curve, str) and line.curve else None
    curves = ctx.results.client.config.payout_curves
    if curve and curve in curves:
        parts.append(curve_label(curves[curve], lang))
    else:
        parts.append(t("statement.proportional", lang))
    return "; ".join(parts + _gate_words(line, ctx))


def _gate_words(line, ctx: _Context) -> list[str]:
    """The gates on this KPI (SPEC §3.5.1) in words: which KPI must reach what, and whether it did."""
    gates = ctx.results.client.gates
    if gates.empty:
        return []
    totals = ctx.results.bonus.totals
    row = totals[(totals["employee_id"] == line.employee_id) & (totals["period"].astype(str) == str(line.period))]
    shut = str(row["gates"].iloc[0]) if len(row) and isinstance(row["gates"].iloc[0], str) else ""
    names = dict(zip(ctx.results.client.kpis["kpi_id"], ctx.results.client.kpis["name"]))
    words = []
    for g in gates[(gates["position_id"] == line.position_id) & (gates["applies_to"] == line.kpi_id)].itertuples():
        key = "gate_shut" if f"{g.gate_kpi_id} < {g.level:g}: {g.applies_to} x" in shut else "gate_open"
        words.append(t(f"statement.{key}", ctx.language, kpi=names.get(g.gate_kpi_id, g.gate_kpi_id),
                       level=ctx.pct(g.level), most=ctx.pct(g.cap)))
    return words


def _team_text(line, ctx: _Context, team_names) -> str:
    """A team KPI's members (SPEC §3.4): their number, or their names where ``team_names`` is given."""
    members = getattr(line, "members", "")
    if not isinstance(members, str) or not members.strip():
        return ""
    ids = [m.strip() for m in members.split(",") if m.strip()]
    kpis = ctx.results.client.kpis
    aggregate = kpis.set_index("kpi_id")["aggregate"].get(line.kpi_id) if "aggregate" in kpis else None
    how = t("statement.team_mean" if aggregate == "mean" else "statement.team_sum", ctx.language)
    if team_names is not None:
        return t("statement.team_members", ctx.language, how=how, count=len(ids),
                 members=", ".join(team_names.get(i, i) for i in ids))
    return t("statement.team", ctx.language, how=how, count=len(ids))


def _arithmetic(line, row, ctx: _Context) -> str:
    lang = ctx.language
    modifier = getattr(line, "modifier", None)
    has_modifier = modifier is not None and not pd.isna(modifier) and float(modifier) != 1.0
    scale = getattr(line, "scale", None)
    has_scale = scale is not None and not pd.isna(scale) and float(scale) != 1.0
    m = float(modifier) if has_modifier else 1.0
    shown = Decimal(1)
    if has_scale:  # the scale as shown is what the reader multiplies by: as many decimals as that needs
        for places in range(6, 16):
            shown = Decimal(repr(float(scale))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            if _choose_decimals(line, ctx, Decimal(repr(m)) * shown) is not None:
                break
    share, coefficient = _shown_factors(line, ctx, m, shown)
    fmt = dict(share=share, coefficient=coefficient, factor=ctx.number(line.stop_factor, 4),
               bonus=ctx.minor(line.bonus_minor))
    if has_scale:  # sections, a gate on the total or the total cap scaled the line (SPEC 3.5.1)
        return t("statement.arithmetic_scale", lang, modifier=ctx.number(modifier if has_modifier else 1, 4),
                 scale=ctx.number(float(shown), 15), **fmt)
    if has_modifier:
        return t("statement.arithmetic_modifier", lang, modifier=ctx.number(modifier, 4), **fmt)
    return t("statement.arithmetic", lang, **fmt)


def _shown_factors(line, ctx: _Context, modifier: float, scale: Decimal = Decimal(1)) -> tuple[str, str]:
    """The fund share and coefficient as the arithmetic shows them, with just enough decimals
    that the product shown, rounded half-up, is the line's amount (a reader with a calculator
    gets the statement's figure); the amount itself is the engine's, never recomputed here."""
    share_value, c_value = float(line.fund_share), float(line.coefficient)
    chosen = _choose_decimals(line, ctx, Decimal(repr(modifier)) * scale)
    share_decimals, c_decimals = chosen or (ctx.decimals, 4)
    return ctx.money(share_value, share_decimals), ctx.number(c_value, c_decimals)


def _choose_decimals(line, ctx: _Context, factor: Decimal) -> tuple[int, int] | None:
    """The fewest decimals of fund share and coefficient whose product with the stop factor and
    ``factor`` rounds half-up to the line's amount (None when none does)."""
    target = int(line.bonus_minor)
    d = Decimal(repr(float(line.stop_factor))) * factor
    unit = Decimal(1).scaleb(-ctx.decimals)
    share_value, c_value = float(line.fund_share), float(line.coefficient)
    chosen = None
    for share_decimals in range(ctx.decimals, ctx.decimals + 3):
        share = Decimal(repr(share_value)).quantize(Decimal(1).scaleb(-share_decimals), rounding=ROUND_HALF_UP)
        for c_decimals in COEFFICIENT_DECIMALS:
            c = Decimal(repr(c_value)).quantize(Decimal(1).scaleb(-c_decimals), rounding=ROUND_HALF_UP)
            product = (share * c * d).quantize(unit, rounding=ROUND_HALF_UP)
            if int(product.scaleb(ctx.decimals)) == target:
                chosen = share_decimals, c_decimals
                break
        if chosen:
            break
    return chosen


def _why(line, ctx: _Context, blocking: set[str]) -> str:
    lang = ctx.language
    code = str(line.reason)
    if str(line.kpi_id) in blocking:
        return t("statement.blocked_line", lang, attainment=ctx.pct(line.attainment, 1),
                 threshold=ctx.pct(line.stop_threshold))
    if not code:
        return ""
    if code == "excluded":
        return t("statement.excluded_line", lang)
    if code == "below_threshold":
        return t("statement.below_threshold", lang, attainment=ctx.pct(line.attainment, 1),
                 threshold=ctx.pct(line.threshold))
    return _lower_first(reason_label(code, lang))


def _stops(row, lines: pd.DataFrame, ctx: _Context) -> str:
    lang = ctx.language
    client = ctx.results.client
    names = _kpi_names(client)
    units = dict(zip(client.kpis["kpi_id"], client.kpis["unit"]))
    items = []
    blocking = [k.strip() for k in str(row["blocking_kpis"]).split(",") if k.strip()]
    for kpi_id in blocking:
        line = lines[lines["kpi_id"].astype(str) == kpi_id]
        if len(line):
            line = line.iloc[0]
            items.append(t("statement.blocked", lang, kpi=_quoted(names.get(kpi_id, kpi_id), lang),
                           attainment=ctx.pct(line["attainment"], 1), threshold=ctx.pct(line["stop_threshold"])))
    rules = client.stop_factors[client.stop_factors["position_id"] == row["position_id"]]
    hits = ctx.results.bonus.stop_hits
    if len(hits):
        hits = hits[(hits["period"] == ctx.results.period) & (hits["employee_id"].astype(str) == str(row["employee_id"]))]
    for rule in rules.itertuples(index=False):
        hit = hits[(hits["kpi_id"] == rule.kpi_id) & (hits["condition"] == rule.condition)
                   & (hits["limit"] == rule.limit)] if len(hits) else hits
        unit = units.get(rule.kpi_id)
        fact = hit["fact"].iloc[0] if len(hit) else float("nan")
        evaluated = bool(hit["evaluated"].iloc[0]) if len(hit) and "evaluated" in hit else len(hit) > 0
        text = t("statement.stop_rule", lang, kpi=_quoted(names.get(rule.kpi_id, rule.kpi_id), lang),
                 fact=kpi_value(fact, unit, lang, ctx.currency),
                 condition=label("condition", rule.condition, lang),
                 limit=kpi_value(rule.limit, unit, lang, ctx.currency))
        if not evaluated or pd.isna(fact):
            verdict = t("statement.stop_no_fact", lang)
        elif bool(hit["violated"].iloc[0]):
            verdict = t("statement.stop_applied", lang, factor=ctx.number(rule.factor, 4))
        else:
            verdict = t("statement.stop_not_applied", lang)
        items.append(f"{text} — {verdict}")
    if not items:
        return ""
    listed = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    total = t("statement.stop_factor_total", lang, factor=ctx.number(row["stop_factor"], 4))
    return (f'<div class="statement-block"><p class="statement-subtitle">{html.escape(t("statement.stops", lang))}'
            f'</p><ul>{listed}</ul><p>{html.escape(total)}</p></div>')


def _sections(row, ctx: _Context) -> str:
    """Sections (SPEC §3.5.1): how they combine, each one's weighted payout factor and the
    factor in total, when the position has sections."""
    pairs = row["section_factors"] if "section_factors" in row.index else ()
    if not isinstance(pairs, tuple) or not pairs:
        return ""
    lang = ctx.language
    rule = t(f"statement.section_rule_{'multiply' if row['section_rule'] == 'multiply' else 'add'}", lang)
    listed = "".join(f"<li>{html.escape(t('statement.section_factor', lang, section=name, factor=ctx.pct(f, 2)))}</li>"
                     for name, f in pairs)
    total = t("statement.payout_factor_total", lang, factor=ctx.pct(row["payout_factor"], 2))
    return (f'<div class="statement-block"><p class="statement-subtitle">{html.escape(t("statement.sections", lang))}'
            f'</p><p>{html.escape(rule)}</p><ul>{listed}</ul><p>{html.escape(total)}</p></div>')


def _is_ytd(row) -> bool:
    return "payout_basis" in row.index and row["payout_basis"] == "ytd"


def _year_to_date(row, ctx: _Context) -> str:
    """The year to date with catch-up (SPEC §3.5.1): the bonus to date, what the earlier periods
    paid and where that figure comes from (the ledger's closed periods, or recomputed), what is
    carried or taken back, and what the period pays."""
    if not _is_ytd(row):
        return ""
    lang = ctx.language
    sources = [t("statement.ytd_from_ledger", lang, periods=row["paid_from_ledger"])] if row["paid_from_ledger"] else []
    if row["paid_recomputed"]:
        sources.append(t("statement.ytd_recomputed", lang, periods=row["paid_recomputed"]))
    paid = t("statement.ytd_paid", lang, amount=ctx.minor(row["paid_to_date_minor"]))
    if sources:
        paid += f" ({'; '.join(sources)})"
    items = [t("statement.ytd_total", lang) + ": " + ctx.minor(row["ytd_minor"]), paid]
    shortfall = int(row["paid_to_date_minor"]) - int(row["ytd_minor"])
    if int(row["carried_minor"]) > 0:
        items.append(t("statement.ytd_carried", lang, amount=ctx.minor(row["carried_minor"])))
    elif shortfall > 0 and int(row["bonus_minor"]) < 0:
        items.append(t("statement.ytd_clawback", lang, amount=ctx.minor(shortfall)))
    items.append(t("statement.ytd_pay", lang, period=format_period(str(row["period"]), lang),
                   amount=ctx.minor(row["bonus_minor"])))
    listed = "".join(f"<li>{html.escape(item)}</li>" for item in items)
    return (f'<div class="statement-block"><p class="statement-subtitle">{html.escape(t("statement.ytd", lang))}'
            f'</p><ul>{listed}</ul></div>')


def _modifiers(row, ctx: _Context) -> str:
    """Modifiers (SPEC §3.5.1) when the engine reports them: ``modifier`` and ``modifier_reasons``."""
    if "modifier" not in row.index or pd.isna(row["modifier"]) or float(row["modifier"]) == 1.0:
        return ""
    lang = ctx.language
    reason = str(row["modifier_reasons"]) if "modifier_reasons" in row.index and not _missing(
        row["modifier_reasons"]) else ""
    text = t("statement.modifier", lang, reason=reason or t("statement.modifiers", lang),
             factor=ctx.number(row["modifier"], 4))
    return (f'<div class="statement-block"><p class="statement-subtitle">'
            f'{html.escape(t("statement.modifiers", lang))}</p><p>{html.escape(text)}</p></div>')


# --------------------------------------------------------------------------- adjustments

def ledger_adjustments(results: Results, language: str) -> pd.DataFrame | None:
    """The corrections the ledger booked on this period (``results.adjustments``, attached by
    :func:`kpi_toolkit.cycle.closing.settle`) in the columns of :data:`ADJUSTMENT_COLUMNS`."""
    booked = getattr(results, "adjustments", None)
    if booked is None or len(booked) == 0:
        return None
    return pd.DataFrame({
        "employee_id": booked["employee_id"].astype(str),
        "period_corrected": booked["corrects"].astype(str),
        "amount_minor": booked["amount_minor"].astype("int64"),
        "reason": [t("stage04.statement.correction", language, period=format_period(p, language))
                   for p in booked["corrects"].astype(str)],
    })


def _adjustments(adjustments: pd.DataFrame | None, employee_id: str, ctx: _Context) -> tuple[list, int]:
    """This employee's adjustments as (period corrected, reason, minor units) and their sum."""
    if adjustments is None or len(adjustments) == 0:
        return [], 0
    missing = [c for c in ("employee_id", "period_corrected") if c not in adjustments]
    if missing or not ({"amount", "amount_minor"} & set(adjustments.columns)):
        raise ReportError(f"the adjustments table has columns {', '.join(map(str, adjustments.columns))}; "
                          f"expected {', '.join(ADJUSTMENT_COLUMNS)} (or amount_minor for amount)")
    mine = adjustments[adjustments["employee_id"].astype(str) == str(employee_id)]
    rows = []
    for record in mine.to_dict("records"):
        minor = _adjustment_minor(record, ctx.decimals, employee_id)
        reason = record.get("reason")
        rows.append((str(record["period_corrected"]), "" if _missing(reason) else str(reason), minor))
    return rows, sum(r[2] for r in rows)


def _adjustment_minor(record: dict, decimals: int, employee_id: str) -> int:
    if "amount_minor" in record and not _missing(record["amount_minor"]):
        value = Decimal(str(record["amount_minor"]))
    else:
        value = Decimal(str(record.get("amount"))).scaleb(decimals) if not _missing(record.get("amount")) else None
    if value is None or not value.is_finite() or value != value.to_integral_value():
        raise ReportError(f"adjustment for employee '{employee_id}', period {record.get('period_corrected')}: "
                          f"amount {record.get('amount', record.get('amount_minor'))!r} is not an amount to "
                          f"{decimals} decimals; the ledger must give exact amounts")
    return int(value)


def _adjustments_table(row, adjustment_rows, adjustment_minor: int, ctx: _Context) -> str:
    lang = ctx.language
    head = "".join(f'<th scope="col"{cls}>{html.escape(t(f"statement.{k}", lang))}</th>'
                   for k, cls in (("adjustment_period", ""), ("adjustment_reason", ""),
                                  ("adjustment_amount", ' class="num"')))
    body = "".join(f"<tr><td>{html.escape(format_period(p, lang) if _is_period(p) else p)}</td>"
                   f"<td>{html.escape(r)}</td><td class=\"num\">{_signed(m, ctx)}</td></tr>"
                   for p, r, m in adjustment_rows)
    period_total = t("statement.period_total", lang, period=_period_text(row, ctx))
    totals = (f'<tr class="statement-subtotal"><th scope="row" colspan="2">'
              f'{html.escape(t("statement.adjustments_total", lang))}</th>'
              f'<td class="num">{_signed(adjustment_minor, ctx)}</td></tr>'
              f'<tr class="statement-subtotal"><th scope="row" colspan="2">{html.escape(period_total)}</th>'
              f'<td class="num">{ctx.minor(row["bonus_minor"])}</td></tr>'
              f'<tr class="statement-total"><th scope="row" colspan="2">{html.escape(t("statement.total", lang))}'
              f'</th><td class="num">{ctx.minor(int(row["bonus_minor"]) + adjustment_minor)}</td></tr>')
    caption = f"<caption>{html.escape(t('statement.adjustments', lang))}</caption>"
    return (f'<table class="statement-adjustments">{caption}<colgroup><col class="c-period"><col>'
            f'<col class="c-bonus"></colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f'<tbody class="statement-line">{totals}</tbody></table>')


def _signed(minor: int, ctx: _Context) -> str:
    text = ctx.minor(abs(minor))
    return ("+" if minor > 0 else "−" if minor < 0 else "") + text


def _is_period(text: str) -> bool:
    return len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit()


# --------------------------------------------------------------------------- signatures

def _signatures(language: str) -> str:
    def line(caption: str) -> str:
        return (f'<td><div class="signature-line"></div>'
                f'<span class="signature-caption">{html.escape(t(caption, language))}</span></td>')

    captions = ("statement.signature", "statement.name_in_print", "statement.sign_date")
    rows = "".join(f'<tr><th scope="row">{html.escape(t(f"statement.{role}", language))}</th>'
                   + "".join(line(c) for c in captions) + "</tr>"
                   for role in ("sign_employee", "sign_manager"))
    return (f'<div class="statement-signatures"><p>{html.escape(t("statement.acknowledged", language))}</p>'
            f'<table class="signature-table"><colgroup><col class="c-role"><col><col><col class="c-date">'
            f'</colgroup><tbody>{rows}</tbody></table></div>')


# --------------------------------------------------------------------------- helpers

def _quoted(name: str, language: str) -> str:
    """A KPI's name inside a sentence: in quotation marks in Russian, as it is in English."""
    return f"«{name}»" if language == "ru" else str(name)


def _lower_first(text: str) -> str:
    """A label continuing a sentence (after a colon): lower-case first letter, unless it starts an
    abbreviation ("KPI")."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _kpi_names(client) -> dict[str, str]:
    return dict(zip(client.kpis["kpi_id"], client.kpis["name"]))


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == ""


def _date(value):
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.date() if hasattr(value, "date") else value
