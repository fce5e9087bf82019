"""The bonus (SPEC 3.5): funds, correction coefficients, thresholds, caps, payout curves, blocking
KPIs, stop factors, proration and rounding per line to the currency's minor unit.

    Bonus = (BF_1 * c_1 + BF_2 * c_2 + ... + BF_n * c_n) * D        (seed 001)

Only each line's final amount is rounded (SPEC 3.5.1): the prorated fund, the coefficients and
D multiply exact values; the prorated fund on a statement is rounded for display only. Money is
kept as integer minor units (kopecks, pence) from the moment it is rounded, so a statement's
lines always add up to its total. Decisions on a boundary (a fact exactly at a threshold, an
amount exactly at half a kopeck) are taken exactly: see :mod:`kpi_toolkit.method.exact`. An amount
that is not finite or beyond :func:`~kpi_toolkit.method.exact.money_limit` (a fund, a line, a
statement, a period's pool) is a :class:`~kpi_toolkit.errors.ClientDataError` naming its row,
never a wrapped or rounded number.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
import math
from fractions import Fraction

import numpy as np
import pandas as pd

from kpi_toolkit.method.attainment import as_result, attainment, attainment_exact
from kpi_toolkit.method.client import ClientData, PayoutCurve
from kpi_toolkit.errors import CalculationError, ClientDataError, Problem
from kpi_toolkit.method.exact import (MONEY_LIMIT_MINOR, SCALE, format_limit, half_up_ratio, minor_units, money_in_range, near,
                    scaled_integers, to_decimal)
from kpi_toolkit.method.kpi_weights import exact_weight_lookup, position_kpi_weights
from kpi_toolkit.method.matrix import (FACT_MISSING_EXCLUDED, Lines, _category, _float, build_lines, codes_in,
                     employee_departments, lines_frame)
from kpi_toolkit.method.schema import ROW
from kpi_toolkit.method.teams import bonus_months, month_label, month_number

#: Why a line or a statement pays nothing (or less): codes, translated by :mod:`kpi_toolkit.outputs.i18n`.
REASONS = ("", "below_threshold", "zero_attainment", "missing_zero", "excluded", "stop_threshold",
           "stop_factor", "no_fund", "not_employed", "rounded_to_zero", "gate")
_R = {code: i for i, code in enumerate(REASONS)}


# --- one formula, one function ---------------------------------------------------------------

def bonus_fund_from_variable_share(base_salary, variable_share):
    """Bonus fund from the variable share ``v`` of target pay: ``BF = base * v / (1 - v)``.

    Examples
    --------
    >>> bonus_fund_from_variable_share(90_000, 0.25)
    30000.0
    """
    return as_result(np.multiply(base_salary, variable_share) / np.subtract(1.0, variable_share))


def bonus_fund_from_target_percent(base_salary, target_percent):
    """Bonus fund as a share ``t`` of base pay (SPEC 3.5.1): ``BF = base * t``.

    Examples
    --------
    >>> bonus_fund_from_target_percent(80_000, 0.15)
    12000.0
    """
    return as_result(np.multiply(base_salary, target_percent))


def fund_share(bonus_fund, weight):
    """The fund share of a KPI: ``BF_k = BF * w_k``.

    Examples
    --------
    >>> fund_share(30_000, 0.5)
    15000.0
    """
    return as_result(np.multiply(bonus_fund, weight))


def correction_coefficient(a, threshold=np.nan, cap=np.nan):
    """``c = 0`` if ``a < threshold``, else ``min(a, cap)`` (no threshold: 0; no cap: none).

    Examples
    --------
    >>> correction_coefficient(0.69, threshold=0.7)
    0.0
    >>> correction_coefficient(1.4, threshold=0.7, cap=1.2)
    1.2
    """
    a, threshold, cap = (np.asarray(v, dtype=float) for v in (a, threshold, cap))
    c = np.where(np.isnan(cap), a, np.minimum(a, cap))
    c = np.where(a < np.nan_to_num(threshold, nan=-np.inf), 0.0, c)
    return as_result(c)


def payout_curve_coefficient(curve: PayoutCurve, a) -> np.ndarray:
    """Coefficient from a payout curve, at attainment ``a`` (or at the fact, for a curve whose
    ``basis`` is ``value``: its points are in the KPI's units).

    ``steps``: the coefficient of the highest point reached (0 below the first). ``linear``:
    interpolation between points, 0 below the first point and the last coefficient above the
    last point, or, for an ``open`` curve, the last segment's slope going on (the KPI's cap, if
    any, applies afterwards).

    Examples
    --------
    >>> curve = PayoutCurve("sales", "linear", ((0.7, 0.5), (1.0, 1.0), (1.3, 1.5)))
    >>> payout_curve_coefficient(curve, [0.6, 0.7, 0.85, 1.0, 2.0]).tolist()
    [0.0, 0.5, 0.75, 1.0, 1.5]
    >>> steps = PayoutCurve("steps", "steps", ((0.8, 0.5), (1.0, 1.0), (1.2, 1.3)))
    >>> payout_curve_coefficient(steps, [0.79, 0.8, 1.1, 1.25]).tolist()
    [0.0, 0.5, 1.0, 1.3]
    >>> accelerator = PayoutCurve("acc", "linear", ((0.8, 0.5), (1.0, 1.0)), open=True)
    >>> payout_curve_coefficient(accelerator, [1.0, 1.2]).tolist()  # slope 2.5 goes on: 1 + 0.2 x 2.5
    [1.0, 1.5]
    >>> sap = PayoutCurve("sap", "linear", ((620, 0.5), (1997, 1.0)), basis="value")
    >>> payout_curve_coefficient(sap, [619, 620, 1997]).tolist()
    [0.0, 0.5, 1.0]
    """
    a = np.asarray(a, dtype=float)
    xs = np.array([p[0] for p in curve.points])
    ys = np.array([p[1] for p in curve.points])
    if curve.kind == "steps":
        i = np.searchsorted(xs, a, side="right") - 1
        c = np.where(i >= 0, ys[np.clip(i, 0, None)], 0.0)
    else:
        c = np.where(a < xs[0], 0.0, np.interp(a, xs, ys))
        if curve.open and len(xs) > 1:
            slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
            with np.errstate(over="ignore", invalid="ignore"):
                c = np.where(a > xs[-1], ys[-1] + (a - xs[-1]) * slope, c)
    return np.where(np.isnan(a), np.nan, c)


def payout_curve_coefficient_exact(curve: PayoutCurve, a: Fraction) -> Fraction:
    """The same as :func:`payout_curve_coefficient` for one exact attainment (or fact).

    Examples
    --------
    >>> curve = PayoutCurve("sales", "linear", ((0.7, 0.5), (1.0, 1.0), (1.3, 1.5)))
    >>> payout_curve_coefficient_exact(curve, Fraction(17, 20))
    Fraction(3, 4)
    >>> payout_curve_coefficient_exact(PayoutCurve("sap", "linear", ((620, 0.5), (1997, 1.0)), basis="value"),
    ...                                Fraction(620))
    Fraction(1, 2)
    """
    points = [(Fraction(to_decimal(x)), Fraction(to_decimal(y))) for x, y in curve.points]
    if a < points[0][0]:
        return Fraction(0)
    if curve.kind == "steps":
        return [y for x, y in points if a >= x][-1]
    if a >= points[-1][0]:
        if curve.open and len(points) > 1:
            (x0, y0), (x1, y1) = points[-2:]
            return y1 + (a - x1) * (y1 - y0) / (x1 - x0)
        return points[-1][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= a <= x1:
            return y0 + (y1 - y0) * (a - x0) / (x1 - x0)
    raise CalculationError(f"attainment {a} not covered by curve '{curve.name}'")


def overall_stop_factor(blocked: bool, violated_factors) -> float:
    """``D = 0`` if any stop threshold is breached, else the product of the violated rules' factors.

    Examples
    --------
    >>> overall_stop_factor(False, []), overall_stop_factor(False, [0.5, 0.8]), overall_stop_factor(True, [1])
    (1.0, 0.4, 0.0)
    """
    return 0.0 if blocked else float(np.prod(violated_factors)) if len(violated_factors) else 1.0


def stop_rule_violated(fact, condition: str, limit) -> bool:
    """Whether a stop-factor rule ``fact <condition> limit`` is violated (exact at the limit).

    Examples
    --------
    >>> stop_rule_violated(0.12, ">", 0.1), stop_rule_violated(0.1, ">", 0.1), stop_rule_violated(0.1, ">=", 0.1)
    (True, False, True)
    """
    f, lim = to_decimal(fact), to_decimal(limit)
    return {"<": f < lim, "<=": f <= lim, ">": f > lim, ">=": f >= lim}[condition]


def period_bounds(period: str, months: int = 1) -> tuple[date, date]:
    """First and last day of the bonus period of ``months`` months whose last month is ``period``
    (SPEC §3.4: a period is named by its last month).

    Examples
    --------
    >>> period_bounds("2026-02")
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    >>> period_bounds("2027-01", 3)
    (datetime.date(2026, 11, 1), datetime.date(2027, 1, 31))
    """
    year, month = int(period[:4]), int(period[5:7])
    first = year * 12 + month - 1 - (months - 1)  # month number of the period's first month
    start = date(first // 12, first % 12 + 1, 1)
    return start, date(year, month, calendar.monthrange(year, month)[1])


def days_employed(period_start: date, period_end: date, start_date=None, end_date=None) -> int:
    """Calendar days of the period the employee was employed, both ends included.

    Examples
    --------
    >>> days_employed(date(2026, 9, 1), date(2026, 9, 30), start_date=date(2026, 9, 16))
    15
    >>> days_employed(date(2026, 9, 1), date(2026, 9, 30), end_date=date(2026, 8, 31))
    0
    """
    first = max(period_start, _as_date(start_date) or period_start)
    last = min(period_end, _as_date(end_date) or period_end)
    return max((last - first).days + 1, 0)


def _as_date(value):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    return value.date() if hasattr(value, "date") else value


def seed_001_bonus(fund_shares, attainments, thresholds, blocking, stop_factors=()) -> float:
    """The whole seed-001 formula for one employee, for worked examples and explanations.

    Examples
    --------
    Fund 100 000 split 50/30/20 over three KPIs with thresholds 70 %, 85 % (blocking) and 60 %:

    >>> seed_001_bonus([50_000, 30_000, 20_000], [0.9, 0.95, 0.55], [0.7, 0.85, 0.6], [False, True, False])
    73500.0
    >>> seed_001_bonus([50_000, 30_000, 20_000], [0.9, 0.8, 1.0], [0.7, 0.85, 0.6], [False, True, False])
    0.0
    """
    blocked = any(b and a < t for a, t, b in zip(attainments, thresholds, blocking))
    d = overall_stop_factor(blocked, list(stop_factors))
    return float(sum(f * correction_coefficient(a, t) for f, a, t in zip(fund_shares, attainments, thresholds)) * d)


# --- the whole calculation -------------------------------------------------------------------

@dataclass(frozen=True)
class BonusResult:
    """Every line and every statement of a bonus calculation.

    ``lines``: the KPI matrix plus ``coefficient, stop_factor, modifier, scale, fund, fund_share, bonus_minor,
    bonus, reason, members, team_size`` (``scale``: what sections, a gate on the total and the
    total cap multiply the line by, 1 when nothing; ``fund`` and ``fund_share`` unrounded: only
    ``bonus_minor`` is rounded; ``members``: a team KPI's members counted). ``totals``: one
    statement per employee and period: ``period, months`` (the bonus period's months,
    comma-separated), ``employee_id, employee, position_id, position, department,
    performance_ratio, stop_factor, days_employed,
    period_days, fund_minor, bonus_fund, bonus_minor, bonus, reason, blocking_kpis, stop_rules,
    excluded_kpis, gates, payout_factor, section_rule, section_factors, modifier, modifier_reasons``
    (``gates``: the gates shut, ``gate_kpi < level: applies_to xcap``; ``payout_factor``: the
    weighted payout factor ``sum of w_k c_k`` combined by the sections' rule and capped by a gate
    on the total, before D and modifiers; ``section_factors``: ``(name, factor)`` pairs, one per section). ``stop_hits``: each stop-factor rule evaluated: ``period, employee_id,
    kpi_id, condition, limit, fact, factor, violated``. Money columns ``*_minor`` are exact
    integers; ``bonus``/``bonus_fund`` are the same amounts in major units for display
    (``fund_minor``/``bonus_fund``: the prorated fund rounded for display, not used in the lines).
    """

    lines: pd.DataFrame
    totals: pd.DataFrame
    stop_hits: pd.DataFrame
    currency: str
    decimals: int
    periods: tuple[str, ...]

    def pool(self, period: str | None = None) -> float:
        """Total bonus of a period (all periods when ``None``), in major units."""
        t = self.totals if period is None else self.totals[self.totals["period"] == period]
        return int(t["bonus_minor"].sum()) / 10**self.decimals

    def statement(self, employee_id: str, period: str | None = None) -> pd.DataFrame:
        """One employee's bonus lines for a period (the first period when ``None``)."""
        period = period or self.periods[0]
        m = (self.lines["employee_id"] == employee_id) & (self.lines["period"] == period)
        return self.lines[m]


def compute_bonuses(client: ClientData, periods=None, paid: pd.DataFrame | None = None) -> BonusResult:
    """Compute every employee's bonus for the periods asked (default: the reported period).

    ``periods``: ``None`` (client.yaml's period), a label ``"YYYY-MM"``, a list of labels, or
    ``"all"``. The client must have been validated (:func:`kpi_toolkit.load_client`).
    ``paid``: for positions paid on the year to date (``positions.payout_basis: ytd``), what
    the ledger says was paid for closed periods, columns ``period, employee_id, bonus_minor``;
    the earlier periods of the year not in it are recomputed (see :func:`year_to_date`).
    """
    lines, others = build_lines(client, periods)
    result = _Calculation(client, lines, others).run()
    if _ytd_positions(client):
        result = year_to_date(client, result, paid)
    return result


# --- year to date with catch-up (SPEC 3.5.1) ---------------------------------------------------

#: Columns the year to date adds to ``BonusResult.totals`` (when a position uses it).
YTD_COLUMNS = ("payout_basis", "ytd_minor", "paid_to_date_minor", "carried_minor", "paid_from_ledger",
               "paid_recomputed")


def _ytd_positions(client: ClientData) -> dict[str, bool]:
    """Positions paid on the year to date, each with whether it claws back (``clawback: yes``)."""
    positions = client.positions
    if "payout_basis" not in positions or not (positions["payout_basis"] == "ytd").any():
        return {}
    ytd = positions[positions["payout_basis"] == "ytd"]
    claw = ytd["clawback"] if "clawback" in ytd else pd.Series(None, index=ytd.index, dtype=object)
    return dict(zip(ytd["position_id"], claw == "yes"))


def year_periods(period: str, months: int = 1) -> list[str]:
    """The bonus periods of ``period``'s calendar year up to ``period`` (named by their last
    month, ``months`` months each), oldest first: those that start in the same year.

    Examples
    --------
    >>> year_periods("2026-03"), year_periods("2026-09", 3), year_periods("2026-05", 3)
    (['2026-01', '2026-02', '2026-03'], ['2026-03', '2026-06', '2026-09'], ['2026-05'])
    """
    last = int(month_number([period])[0])
    january = last - (last % 12)
    ends = [end for end in range(last, january - 1, -months) if end - months + 1 >= january]
    return [month_label(end) for end in sorted(ends)]


def _cumulative(client: ClientData, period: str, count: int) -> BonusResult:
    """The bonus computed on the cumulative plan and fact of the ``count`` bonus periods ending at
    ``period`` (combined by each KPI's ``period_aggregation``), on the sum of their funds."""
    months = client.config.bonus_period_months
    span = client.with_config(bonus_period_months=months * count)
    lines, others = build_lines(span, period)
    return _Calculation(span, lines, others, sub_periods=(count, months)).run()


def year_to_date(client: ClientData, result: BonusResult, paid: pd.DataFrame | None = None) -> BonusResult:
    """Statements of positions paid on the year to date, with catch-up (SPEC 3.5.1).

    For each period P and each employee of such a position: the bonus computed on the year's
    cumulative plan and fact up to P (``ytd_minor``, its lines the statement's lines) minus what
    the year's earlier periods paid (``paid_to_date_minor``). What an earlier period paid is
    the ledger's amount where ``paid`` has it (``paid_from_ledger`` lists those periods), else
    recomputed the same way from the inputs (``paid_recomputed``). A negative difference is
    carried (``carried_minor``; nothing is paid and later periods catch up), unless the position
    has ``clawback: yes``: then it is paid as a negative amount. ``bonus_minor`` is what the
    period pays; its lines hold the year to date's amounts.

    Worked examples (fund 1 000 a month, January 1 100, February 700, March 0 with 1 800
    carried, April 2 200): tests/test_bonus.py, "year to date".
    """
    claw = _ytd_positions(client)
    months = client.config.bonus_period_months
    paid_at: dict[tuple[str, str], int] = {}
    if paid is not None and len(paid):
        paid_at = {(str(p), str(e)): int(m) for p, e, m in zip(paid["period"], paid["employee_id"],
                                                               paid["bonus_minor"])}
    totals, lines = result.totals, result.lines
    is_ytd = totals["position_id"].astype(object).isin(list(claw)).to_numpy()
    extra = {"payout_basis": np.where(is_ytd, "ytd", "period").astype(object),
             "ytd_minor": totals["bonus_minor"].to_numpy(np.int64).copy(),
             "paid_to_date_minor": np.zeros(len(totals), np.int64),
             "carried_minor": np.zeros(len(totals), np.int64),
             "paid_from_ledger": np.full(len(totals), "", dtype=object),
             "paid_recomputed": np.full(len(totals), "", dtype=object)}
    if not is_ytd.any():
        return replace(result, totals=totals.assign(**extra))
    cache: dict[str, pd.DataFrame] = {}

    def cumulative(q: str, count: int) -> BonusResult:
        if q not in cache:
            cache[q] = _cumulative(client, q, count)
        return cache[q]

    keep_t = ~is_ytd
    keep_l = ~(pd.MultiIndex.from_arrays([lines["period"].astype(str), lines["employee_id"].astype(str)]).isin(
        list(zip(totals["period"].astype(str)[is_ytd], totals["employee_id"].astype(str)[is_ytd]))))
    new_totals, new_lines, new_hits = [totals[keep_t].assign(**{k: v[keep_t] for k, v in extra.items()})], \
        [lines[keep_l]], [result.stop_hits]
    for period in sorted(set(totals["period"].astype(str)[is_ytd])):
        year = year_periods(period, months)
        runs = [cumulative(q, i + 1) for i, q in enumerate(year)]
        cum = [dict(zip(r.totals["employee_id"].astype(str), r.totals["bonus_minor"].astype(np.int64))) for r in runs]
        last = runs[-1]
        mine = is_ytd & (totals["period"].astype(str) == period).to_numpy()
        ids = totals["employee_id"].astype(str)[mine].tolist()
        positions = dict(zip(totals["employee_id"].astype(str)[mine], totals["position_id"].astype(str)[mine]))
        t = last.totals[last.totals["employee_id"].astype(str).isin(ids)].copy()
        to_date, carried, ytd, from_ledger, recomputed, net = [], [], [], [], [], []
        for e in t["employee_id"].astype(str):
            back = claw[positions[e]]
            before, ledger, again = 0, [], []
            for q, amounts in zip(year[:-1], cum[:-1]):
                if (q, e) not in paid_at and e not in amounts:
                    continue  # no statement that period (no data, not employed): nothing was paid
                if (q, e) in paid_at:
                    x = paid_at[(q, e)]
                    ledger.append(q)
                else:
                    x = int(amounts.get(e, 0)) - before
                    x = x if back else max(x, 0)
                    again.append(q)
                before += x
            total = int(cum[-1].get(e, 0))
            difference = total - before
            to_date.append(before)
            ytd.append(total)
            net.append(difference if back else max(difference, 0))
            carried.append(0 if back else max(-difference, 0))
            from_ledger.append(", ".join(ledger))
            recomputed.append(", ".join(again))
        dec = result.decimals
        t = t.assign(bonus_minor=np.array(net, np.int64), bonus=np.array(net, np.int64) / 10.0**dec,
                     payout_basis="ytd", ytd_minor=np.array(ytd, np.int64),
                     paid_to_date_minor=np.array(to_date, np.int64), carried_minor=np.array(carried, np.int64),
                     paid_from_ledger=np.array(from_ledger, dtype=object),
                     paid_recomputed=np.array(recomputed, dtype=object))
        new_totals.append(t)
        new_lines.append(last.lines[last.lines["employee_id"].astype(str).isin(ids)])
        hits = last.stop_hits
        if len(hits):
            new_hits[0] = new_hits[0][~(new_hits[0]["employee_id"].astype(str).isin(ids)
                                        & (new_hits[0]["period"].astype(str) == period))]
            new_hits.append(hits[hits["employee_id"].astype(str).isin(ids)])
    order = {e: i for i, e in enumerate(client.employees["employee_id"].astype(str))}
    return replace(result, totals=_stacked(new_totals, order), lines=_stacked(new_lines, order),
                   stop_hits=pd.concat([h for h in new_hits if len(h)] or [result.stop_hits], ignore_index=True))


def _stacked(frames: list[pd.DataFrame], order: dict[str, int]) -> pd.DataFrame:
    """Frames of the same columns one under the other, categorical columns kept categorical (their
    categories united in order), sorted by period and the employee's row as the engine sorts them."""
    frames = [f for f in frames if len(f)] or frames[:1]
    out = {}
    for column in frames[0].columns:
        parts = [f[column] for f in frames]
        if any(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            categories = pd.Index(pd.unique(pd.concat([pd.Series(p.cat.categories if isinstance(
                p.dtype, pd.CategoricalDtype) else pd.unique(p.astype(object))) for p in parts], ignore_index=True)))
            out[column] = pd.Categorical(np.concatenate([p.astype(object).to_numpy() for p in parts]),
                                         categories=categories)
        else:
            out[column] = np.concatenate([p.to_numpy() for p in parts])
    frame = pd.DataFrame(out, columns=frames[0].columns)
    key = np.lexsort((frame["employee_id"].astype(str).map(order).to_numpy(), frame["period"].astype(str).to_numpy()))
    return frame.iloc[key].reset_index(drop=True)


class _Calculation:
    """One run of the bonus formula over the arrays of a KPI matrix."""

    def __init__(self, client: ClientData, lines: Lines, others: pd.DataFrame, sub_periods: tuple[int, int] = (1, 0)):
        self.client, self.lines, self.others = client, lines, others
        # (count, months): the bonus period is ``count`` periods of ``months`` months (the year to
        # date), its fund the sum of theirs, each prorated on its own
        self.sub_periods = sub_periods
        self.decimals = client.config.currency_decimals
        pks = lines.position_kpis
        s = lines.scheme
        self.threshold = _float(pks, "threshold")[s]
        self.stop = _float(pks, "stop_threshold")[s]
        self.cap = _float(pks, "cap")[s]  # the KPI's cap, lowered by a shut gate (see apply_gates)
        self.kpi_cap = self.cap  # the KPI's own cap: a lower-is-better fact of 0 takes it as attainment
        self.total_cap = np.full(lines.n_groups, np.nan)  # a shut gate on the total: its cap
        self.shut: dict[int, list[str]] = {}  # per group, the gates shut (for the statement)
        self.gate_zero = np.zeros(lines.n_groups, bool)  # a shut gate on the total with cap 0
        curve_names = pks["curve"].to_numpy(dtype=object)[s] if len(pks) else np.array([], dtype=object)
        self.curve_names = curve_names
        self._init_sections()
        self.excluded = lines.fact_status == 2
        self.exact_c: dict[int, Fraction] = {}
        self._group_order = None
        self._c = None
        self._exact_weights: dict | None = None

    # sections (SPEC 3.5.1)
    def _init_sections(self) -> None:
        """Per line its section (code 0: none), per group whether its position multiplies its
        sections, and per line the cap a shut gate on its section sets (NaN: none)."""
        L, pks = self.lines, self.lines.position_kpis
        names = pks["section"].to_numpy(dtype=object)[L.scheme] if "section" in pks and len(pks) else \
            np.full(len(L), None, dtype=object)
        names = np.where(pd.isna(names), None, names)
        labels = [None, *sorted({str(n) for n in names if n is not None})]
        self.section_labels = labels
        self.section_code = pd.Index(labels).get_indexer(names).astype(np.int64) if len(L) else np.zeros(0, np.int64)
        positions = self.client.positions.set_index("position_id")
        n_e = len(L.employees)
        rule = (L.employees["position_id"].map(positions["section_rule"]).to_numpy(dtype=object)
                if "section_rule" in positions else np.full(n_e, None, dtype=object))
        self.section_rule = np.where(pd.isna(rule), "add", rule)[np.arange(L.n_groups) % n_e] if n_e else \
            np.zeros(0, dtype=object)
        self.multiply = self.section_rule == "multiply"
        self.section_cap = np.full(len(L), np.nan)
        self.section_exact = np.zeros(L.n_groups, bool)
        self.section_factors: dict[int, list[tuple[str, float]]] = {}

    def _sections(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per line what its position's sections multiply it by, and per group the combined
        weighted payout factor ``P``.

        A section's factor is ``f_s = sum of w_k c_k / sum of w_k`` over its KPIs (kept ones),
        capped by a shut gate on the section. ``add``: ``P = sum of W_s f_s`` plus the KPIs
        without a section (the seeds' ``R`` when nothing is capped), each line of a capped
        section scaled by ``cap / f_s``. ``multiply``: ``P = product of f_s`` (a section whose
        KPIs are all excluded counts as 1), every line scaled by ``P / R`` so the lines still
        add up to the total. Groups scaled are settled exactly (:meth:`_exact_amount`).
        """
        L = self.lines
        kept = ~self.excluded
        wc = np.where(kept, L.effective_weight * c, 0.0)
        ratio = np.bincount(L.group, wc, minlength=L.n_groups)
        scale = np.ones(len(L))
        n_s = len(self.section_labels)
        if n_s == 1:
            return ratio, scale
        key = L.group * n_s + self.section_code
        size = L.n_groups * n_s
        w_s = np.bincount(key, np.where(kept, L.effective_weight, 0.0), minlength=size)
        wc_s = np.bincount(key, wc, minlength=size)
        cap_s = np.full(size, np.nan)
        np.fmin.at(cap_s, key, self.section_cap)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(w_s > 0, wc_s / w_s, np.nan)
            capped = ~np.isnan(cap_s) & (f > cap_s)
            f_c = np.where(capped, cap_s, f)
            sectioned = self.section_code > 0
            scale = np.where(sectioned & capped[key], (cap_s / f)[key], 1.0)
            add = np.bincount(L.group, wc * scale, minlength=L.n_groups)
            product = np.prod(np.where(np.isnan(f_c), 1.0, f_c).reshape(L.n_groups, n_s)[:, 1:], axis=1)
            scale = np.where(self.multiply[L.group],
                             np.where(ratio[L.group] > 0, product[L.group] / ratio[L.group], 0.0), scale)
        used = np.bincount(L.group, sectioned, minlength=L.n_groups) > 0
        self.section_exact = used & (self.multiply | (np.bincount(
            key // n_s, (~np.isnan(cap_s) & ((f > cap_s) | near(f, cap_s)))[key], minlength=L.n_groups) > 0))
        grid = f_c.reshape(L.n_groups, n_s)
        present = (np.bincount(key, minlength=size) > 0).reshape(L.n_groups, n_s)
        for g in np.flatnonzero(used):
            self.section_factors[int(g)] = [(self.section_labels[s], float(grid[g, s]))
                                            for s in range(1, n_s) if present[g, s]]
        return np.where(self.multiply, product, add), scale

    def _exact_combined(self, g: int, members: np.ndarray, weights: dict) -> tuple[Fraction, dict]:
        """The combined payout factor ``P`` of group ``g`` and the multiplier of each of its kept
        lines, exactly (see :meth:`_sections`); ``weights``: each kept line's exact weight
        (renormalised where KPIs are excluded)."""
        kept = [j for j in members if not self.excluded[j]]
        wc = {}
        for j in kept:
            cj = self.exact_c.get(j)
            if cj is None:
                cj = self._exact_line(j)[1]
            wc[j] = weights[j] * cj
        ratio = sum(wc.values(), Fraction(0))
        by_section: dict[int, list[int]] = {}
        for j in kept:
            if self.section_code[j]:
                by_section.setdefault(int(self.section_code[j]), []).append(j)
        factors, scale = {}, {j: Fraction(1) for j in kept}
        for s, js in by_section.items():
            w = sum((weights[j] for j in js), Fraction(0))
            f = sum((wc[j] for j in js), Fraction(0)) / w
            caps = [self.section_cap[j] for j in js if not np.isnan(self.section_cap[j])]
            if caps and f > _fraction(min(caps)):
                cap = _fraction(min(caps))
                for j in js:
                    scale[j] = cap / f
                f = cap
            factors[s] = f
        if self.multiply[g] and by_section:
            product = Fraction(1)
            for f in factors.values():
                product *= f
            return product, {j: (product / ratio if ratio else Fraction(0)) for j in kept}
        return sum((wc[j] * scale[j] for j in kept), Fraction(0)), scale

    # coefficients and blocking
    def coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        L = self.lines
        a = L.attainment
        c = a.copy()
        curves = self.client.config.payout_curves
        ambiguous = near(a, self.threshold) | near(a, self.stop)
        for name in pd.unique(self.curve_names[pd.notna(self.curve_names)]):
            m = self.curve_names == name
            curve = curves[name]
            at = self._curve_input(curve, m)
            c[m] = payout_curve_coefficient(curve, at)
            for x, _ in curve.points:
                ambiguous[m] |= near(at, x)
        c = np.where(np.isnan(self.cap), c, np.minimum(c, self.cap))
        c = np.where(a < np.nan_to_num(self.threshold, nan=-np.inf), 0.0, c)
        breach = a < np.nan_to_num(self.stop, nan=-np.inf)
        c[self.excluded] = 0.0
        breach[self.excluded] = False
        idx = np.flatnonzero(ambiguous & ~self.excluded)
        if len(idx):
            an, ad, ok = self._attainment_rational(idx)
            limits = [scaled_integers(v[idx]) for v in (self.cap, self.threshold, self.stop)]
            for j in np.flatnonzero(ok & pd.isna(self.curve_names[idx])):
                i = idx[j]
                scaled = [(int(v[j]), bool(v_ok[j])) for v, v_ok in limits]
                c[i], breach[i] = self._decide_rational(i, int(an[j]), int(ad[j]), *scaled)
            for i in idx[~(ok & pd.isna(self.curve_names[idx]))]:
                exact_a, exact_c, exact_breach = self._exact_line(i)
                c[i], breach[i] = float(exact_c), exact_breach
                self.exact_c[i] = exact_c
        return c, breach

    def _gate_scale(self, c: np.ndarray) -> np.ndarray:
        """Per group, what a shut gate on the total multiplies every line by: ``cap / R`` where the
        weighted payout factor ``R = sum of w_k c_k`` exceeds the gate's cap, else 1. Groups near
        the cap or scaled are settled exactly (:meth:`_exact_amount`)."""
        payout, self.line_scale = self._sections(c)
        self._payout_factor = payout
        capped = ~np.isnan(self.total_cap)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(capped & (payout > self.total_cap), self.total_cap / payout, 1.0)
        self.gate_exact = capped & ((payout > self.total_cap) | near(payout, self.total_cap))
        self.gate_exact |= self.section_exact
        return scale

    def modifiers(self, n_groups: int) -> tuple[np.ndarray, dict[int, list]]:
        """Per group, the product of the modifiers of its period that reach its employee (by
        company, department, position or employee), and per group the modifier rows applied."""
        L, rules = self.lines, self.client.modifiers
        factor = np.ones(n_groups)
        applied: dict[int, list] = {}
        if rules.empty or len(L) == 0:
            return factor, applied
        emp, n_e = L.employees, len(L.employees)
        keys = {"company": np.full(n_e, None, dtype=object),
                "department": employee_departments(emp, self.client.positions).to_numpy(dtype=object),
                "position": emp["position_id"].to_numpy(dtype=object),
                "employee": emp["employee_id"].to_numpy(dtype=object)}
        periods = list(L.periods)
        for rule in rules.itertuples(index=False):
            if rule.period not in periods:
                continue
            p = periods.index(rule.period)
            who = np.ones(n_e, bool) if rule.scope == "company" else keys[rule.scope] == rule.id
            g = p * n_e + np.flatnonzero(who)
            factor[g] *= rule.factor
            for gi in g:
                applied.setdefault(int(gi), []).append(rule)
        return factor, applied

    def _total_cap_scale(self, d: np.ndarray, gate_scale: np.ndarray, modifier: np.ndarray) -> np.ndarray:
        """Per group, what ``positions.total_cap`` multiplies every line by: ``cap / F`` where the
        final payout factor ``F = R x gate x D x modifiers`` exceeds the cap, else 1."""
        L = self.lines
        positions = self.client.positions.set_index("position_id")
        self.position_cap = np.full(L.n_groups, np.nan)
        if "total_cap" not in positions or positions["total_cap"].isna().all():
            return np.ones(L.n_groups)
        n_e = len(L.employees)
        cap = L.employees["position_id"].map(positions["total_cap"]).to_numpy(dtype=float, na_value=np.nan)
        cap = cap[np.arange(L.n_groups) % n_e]
        self.position_cap = cap
        final = self._payout_factor * gate_scale * d * modifier
        capped = ~np.isnan(cap)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(capped & (final > cap), cap / final, 1.0)
        self.gate_exact |= capped & ((final > cap) | near(final, cap))
        return scale

    def _curve_input(self, curve: PayoutCurve, m) -> np.ndarray:
        """What a curve reads on the lines ``m``: their attainment, or for a ``value`` curve their
        fact (a missing fact counted as zero is 0)."""
        L = self.lines
        if curve.basis != "value":
            return L.attainment[m]
        return np.where(L.fact_status[m] == 1, 0.0, L.fact[m])

    def _decide_rational(self, i: int, an: int, ad: int, cap, threshold, stop) -> tuple[float, bool]:
        """Coefficient and stop-threshold breach of a line from its exact attainment ``an/ad``;
        ``cap``, ``threshold``, ``stop`` are (millionths, exact?) pairs."""
        def below(limit: float, scaled) -> bool:
            value, exact = scaled
            if not exact:
                return Fraction(an, ad) < _fraction(limit)
            return an * SCALE < value * ad

        c = an / ad
        if not np.isnan(self.cap[i]) and not below(self.cap[i], cap):
            c = float(self.cap[i])
        if not np.isnan(self.threshold[i]) and below(self.threshold[i], threshold):
            c = 0.0
        return c, bool(not np.isnan(self.stop[i]) and below(self.stop[i], stop))

    def _exact_line(self, i: int) -> tuple[Fraction, Fraction, bool]:
        L = self.lines
        if L.fact_status[i] == 1:
            a = Fraction(0)
        else:
            direction = ("higher", "lower", "band")[L.direction[i]]
            a = attainment_exact(L.plan[i], L.fact[i], direction, L.baseline[i], L.band_low[i], L.band_high[i],
                                 L.band_tolerance[i], self.cap[i])
        name = self.curve_names[i]
        c = a
        if pd.notna(name):
            curve = self.client.config.payout_curves[name]
            at = a
            if curve.basis == "value":  # the fact itself, exactly as typed (SPEC 3.5.1)
                at = Fraction(0) if L.fact_status[i] == 1 else _fraction(L.fact[i])
            c = payout_curve_coefficient_exact(curve, at)
        if not np.isnan(self.cap[i]):
            c = min(c, _fraction(self.cap[i]))
        if not np.isnan(self.threshold[i]) and a < _fraction(self.threshold[i]):
            c = Fraction(0)
        breach = bool(not np.isnan(self.stop[i]) and a < _fraction(self.stop[i]))
        return a, c, breach

    # gates (SPEC 3.5.1)
    def apply_gates(self) -> None:
        """Decide every gate of every statement: a shut gate caps its KPI's coefficient (folded
        into the line's cap) or the statement's weighted payout factor (``total_cap``)."""
        L, gates = self.lines, self.client.gates
        if gates.empty or len(L) == 0:
            return
        n_e, n_groups = len(L.employees), L.n_groups
        emp_pos = L.employees["position_id"].to_numpy(dtype=object)
        kpi_ids = L.kpis["kpi_id"].to_numpy(dtype=object)
        cap = self.cap.copy()
        for gate in gates.itertuples(index=False):
            groups = np.flatnonzero(emp_pos[np.arange(n_groups) % n_e] == gate.position_id)
            groups = groups[np.isin(groups, L.group)]  # no lines, no statement: e.g. one who left earlier
            if not len(groups):
                continue
            shut = self._gate_shut(gate, groups)
            g = groups[shut]
            if not len(g):
                continue
            text = f"{gate.gate_kpi_id} < {gate.level:g}: {gate.applies_to} x{gate.cap:g}"
            for gi in g:
                self.shut.setdefault(int(gi), []).append(text)
            if gate.applies_to == "total":
                self.total_cap[g] = np.fmin(self.total_cap[g], gate.cap)
                self.gate_zero[g] |= gate.cap == 0
            else:
                shut_group = np.zeros(n_groups, bool)
                shut_group[g] = True
                m = shut_group[L.group] & (kpi_ids[L.kpi] == gate.applies_to)
                cap[m] = np.fmin(cap[m], gate.cap)
                if gate.applies_to in self.section_labels[1:]:  # a section: its factor capped
                    s = self.section_labels.index(gate.applies_to)
                    m = shut_group[L.group] & (self.section_code == s)
                    self.section_cap[m] = np.fmin(self.section_cap[m], gate.cap)
        self.cap = cap

    def _gate_shut(self, gate, groups: np.ndarray) -> np.ndarray:
        """Whether the gate KPI's attainment is below the gate's level, per group of ``groups``;
        decided exactly at the level, like a threshold."""
        L, n_e = self.lines, len(self.lines.employees)
        kpis = L.kpis.reset_index(drop=True)
        k = int(np.flatnonzero(kpis["kpi_id"].to_numpy(dtype=object) == gate.gate_kpi_id)[0])
        n_groups = L.n_groups
        plan, fact = np.full(n_groups, np.nan), np.full(n_groups, np.nan)
        status = np.full(n_groups, -1, np.int8)  # -1: no row
        m = L.kpi == k
        plan[L.group[m]], fact[L.group[m]], status[L.group[m]] = L.plan[m], L.fact[m], L.fact_status[m]
        o = self.others
        if len(o):
            om = (o["kpi_id"] == gate.gate_kpi_id).to_numpy()
            if om.any():
                oe = codes_in(o["employee_id"][om], pd.Index(L.employees["employee_id"]))
                op = codes_in(o["period"][om], L.periods)
                keep = (oe >= 0) & (op >= 0)
                og = op[keep].astype(np.int64) * n_e + oe[keep]
                plan[og], fact[og] = _float(o[om], "plan")[keep], _float(o[om], "fact")[keep]
                status[og] = 0
        row = kpis.iloc[k]
        direction = {"lower": 1, "band": 2}.get(row["direction"], 0)
        extra = [float(row[c]) if pd.notna(row[c]) else np.nan
                 for c in ("baseline", "band_low", "band_high", "band_tolerance")]
        p, f, st = plan[groups], fact[groups], status[groups]
        missing = np.isnan(f) | (st == 2)
        if (missing & (row["missing"] == "zero")).any():
            f = np.where(np.isnan(f), 0.0, f)
            missing = st == 2
        if missing.any():
            gi = groups[missing][0]
            e = gi % n_e
            raise ClientDataError([self._problem(
                "actuals", None, "fact",
                f"gate on KPI '{gate.gate_kpi_id}' of position '{gate.position_id}': employee "
                f"'{L.employees['employee_id'].iloc[e]}' has no fact for it in period {L.periods[gi // n_e]}; "
                "expected a plan and a fact (the gate decides whether the bonus is capped)",
                f"add the row to actuals, or set kpis.missing of '{gate.gate_kpi_id}' to zero")],
                client=self.client.slug)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = attainment(p, f, direction, *extra)
        shut = a < gate.level
        for j in np.flatnonzero(near(a, gate.level)):
            exact = attainment_exact(p[j], f[j], ("higher", "lower", "band")[direction], *extra)
            shut[j] = exact < _fraction(gate.level)
        return shut

    # stop factors
    def stop_factors(self, n_groups: int) -> tuple[np.ndarray, pd.DataFrame, dict[int, list]]:
        L, rules = self.lines, self.client.stop_factors
        factor = np.ones(n_groups)
        hits, violated_by_group = [], {}
        if rules.empty or len(L) == 0:
            return factor, pd.DataFrame(hits, columns=_HIT_COLUMNS), violated_by_group
        emp = L.employees
        emp_pos = emp["position_id"].to_numpy(dtype=object)
        kpi_ids = pd.Index(L.kpis["kpi_id"])
        policy = L.kpis.set_index("kpi_id")["missing"]
        groups = np.flatnonzero(np.bincount(L.group, minlength=n_groups) > 0)
        other_e = codes_in(self.others["employee_id"], pd.Index(emp["employee_id"])) if len(self.others) else np.zeros(0, int)
        other_p = codes_in(self.others["period"], L.periods) if len(self.others) else np.zeros(0, int)
        other_k = codes_in(self.others["kpi_id"], kpi_ids) if len(self.others) else np.zeros(0, int)
        other_f = _float(self.others, "fact") if len(self.others) else np.zeros(0)
        for rule in rules.itertuples(index=False):
            k = kpi_ids.get_loc(rule.kpi_id)
            in_pos = emp_pos[groups % len(emp)] == rule.position_id
            g = groups[in_pos]
            fact = np.full(n_groups, np.nan)
            has = np.zeros(n_groups, bool)
            m = L.kpi == k
            fact[L.group[m]], has[L.group[m]] = L.fact[m], True
            m = other_k == k
            og = other_p[m].astype(np.int64) * len(emp) + other_e[m]
            fact[og], has[og] = other_f[m], True
            f = fact[g]
            pol = policy.get(rule.kpi_id) or "error"
            if pol == "zero":
                f = np.where(np.isnan(f), 0.0, f)
            missing = np.isnan(f)
            if missing.any() and pol == "error":
                e = g[missing][0] % len(emp)
                raise CalculationError(
                    f"stop factor on '{rule.kpi_id}' for employee '{emp['employee_id'].iloc[e]}': no fact "
                    f"in period '{L.periods[g[missing][0] // len(emp)]}'; validate the client first")
            op = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[rule.condition]
            with np.errstate(invalid="ignore"):
                viol = op(f, rule.limit) & ~missing
            for j in np.flatnonzero(near(f, rule.limit) & ~missing):
                viol[j] = stop_rule_violated(f[j], rule.condition, rule.limit)
            factor[g[viol]] *= rule.factor
            for gi in g[viol]:
                violated_by_group.setdefault(int(gi), []).append(rule)
            if len(g):
                hits.append(pd.DataFrame({
                    "period": L.periods[g // len(emp)], "employee_id": emp["employee_id"].to_numpy()[g % len(emp)],
                    "kpi_id": rule.kpi_id, "condition": rule.condition, "limit": rule.limit,
                    "fact": f, "factor": rule.factor, "violated": viol,
                    "evaluated": ~missing}))
        hit_frame = pd.concat(hits, ignore_index=True) if hits else pd.DataFrame(columns=_HIT_COLUMNS)
        return factor, hit_frame, violated_by_group

    # funds
    def funds(self, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per group: the prorated fund (unrounded, major units), the same rounded to minor units
        for display, days employed and days of the period."""
        L, cfg = self.lines, self.client.config
        emp, n_e = L.employees, len(L.employees)
        positions = self.client.positions.set_index("position_id")
        v = emp["position_id"].map(positions["variable_share"]).to_numpy(dtype=float, na_value=np.nan)
        t = emp["position_id"].map(positions["target_percent"]).to_numpy(dtype=float, na_value=np.nan) \
            if "target_percent" in positions else np.full(n_e, np.nan)
        given = _float(emp, "bonus_fund")
        base = _float(emp, "base_salary")
        with np.errstate(over="ignore", invalid="ignore"):
            from_base = np.where(np.isnan(t), bonus_fund_from_variable_share(base, v),
                                 bonus_fund_from_target_percent(base, t))
            full = np.where(np.isnan(given), from_base, given)
        full = np.where(np.isnan(full), 0.0, full)  # no fund; an infinite one stays for the check below
        self.target = t
        self._check_funds(full, given)
        self.given, self.base, self.share, self.target = given, base, v, t
        days = np.zeros(n_groups, np.int64)
        pdays = np.zeros(n_groups, np.int64)
        starts = emp["start_date"].to_numpy(dtype="datetime64[D]")
        ends = emp["end_date"].to_numpy(dtype="datetime64[D]")
        for p, label in enumerate(L.periods):
            first, last = (np.datetime64(d, "D") for d in period_bounds(label, cfg.bonus_period_months))
            lo = np.where(np.isnat(starts), first, np.maximum(starts, first))
            hi = np.where(np.isnat(ends), last, np.minimum(ends, last))
            days[p * n_e:(p + 1) * n_e] = np.maximum((hi - lo).astype(np.int64) + 1, 0)
            pdays[p * n_e:(p + 1) * n_e] = (last - first).astype(np.int64) + 1
        self.days, self.pdays = days, pdays
        self.fund_ratio = None
        count, months = self.sub_periods
        if count > 1:  # the year to date: the sum of each period's days employed / its days
            self.fund_ratio = [Fraction(0)] * n_groups
            for p, label in enumerate(L.periods):
                last = int(month_number([label])[0])
                for j in range(count):
                    first_day, last_day = (np.datetime64(d, "D") for d in period_bounds(
                        month_label(last - j * months), months))
                    lo = np.where(np.isnat(starts), first_day, np.maximum(starts, first_day))
                    hi = np.where(np.isnat(ends), last_day, np.minimum(ends, last_day))
                    d = np.maximum((hi - lo).astype(np.int64) + 1, 0)
                    pd_ = int((last_day - first_day).astype(np.int64)) + 1
                    for e in range(n_e):
                        self.fund_ratio[p * n_e + e] += Fraction(int(d[e]), pd_)
            ratio = np.array([float(r) for r in self.fund_ratio])
            fund = full[np.arange(n_groups) % n_e] * ratio
        else:
            fund = full[np.arange(n_groups) % n_e] * days / pdays  # prorated, not rounded (SPEC 3.5.1)

        def exact(idx):
            return np.array([_half_up(self._exact_fund(int(g)), self.decimals) for g in idx], dtype=np.int64)

        return fund, minor_units(fund, self.decimals, exact), days, pdays

    def _exact_fund(self, g: int) -> Fraction:
        """The prorated fund of group ``g`` in major units, exactly."""
        e = g % len(self.lines.employees)
        if not np.isnan(self.given[e]):
            full = _fraction(self.given[e])
        elif not np.isnan(self.base[e]) and not np.isnan(self.target[e]):
            full = _fraction(self.base[e]) * _fraction(self.target[e])
        elif np.isnan(self.base[e]) or np.isnan(self.share[e]):
            full = Fraction(0)
        else:
            v = _fraction(self.share[e])
            full = _fraction(self.base[e]) * v / (1 - v)
        if self.fund_ratio is not None:
            return full * self.fund_ratio[g]
        return full * int(self.days[g]) / int(self.pdays[g])

    def _fund_rational(self, g: np.ndarray):
        """The prorated funds of groups ``g`` in major units as Python-int rationals, with a mask
        of those whose inputs are short decimals (the others take the Fraction path)."""
        e = g % len(self.lines.employees)
        given, given_ok = scaled_integers(self.given[e])
        base, base_ok = scaled_integers(self.base[e])
        share, share_ok = scaled_integers(self.share[e])
        target, target_ok = scaled_integers(self.target[e])
        has = ~np.isnan(self.given[e])
        by_target = ~has & ~np.isnan(self.target[e])
        share, target = share.astype(object), target.astype(object)
        num = np.where(has, given.astype(object),
                       base.astype(object) * np.where(by_target, target, share))
        # base * v / (1 - v), or base * t; v and t in millionths
        den = np.where(has, SCALE, np.where(by_target, SCALE * SCALE, SCALE * (SCALE - share)))
        if self.fund_ratio is not None:
            days = np.array([self.fund_ratio[gi].numerator for gi in g], dtype=object)
            pdays = np.array([self.fund_ratio[gi].denominator for gi in g], dtype=object)
        else:
            days, pdays = self.days[g].astype(object), self.pdays[g].astype(object)
        return (num * days, den * pdays,
                np.where(has, given_ok, base_ok & np.where(by_target, target_ok, share_ok)))

    def run(self) -> BonusResult:
        L, dec = self.lines, self.decimals
        n_groups = L.n_groups
        self.apply_gates()
        c, breach = self.coefficients()
        self._c = c
        blocked = np.bincount(L.group, breach.astype(float), minlength=n_groups) > 0
        factor, hits, violated = self.stop_factors(n_groups)
        d = np.where(blocked, 0.0, factor)
        fund, fund_minor, days, pdays = self.funds(n_groups)
        g = L.group
        gate_scale = self._gate_scale(c)
        self._gate_scale_value = gate_scale
        modifier, self.modifier_rules = self.modifiers(n_groups)
        self.modifier = modifier
        scale = gate_scale * self._total_cap_scale(d, gate_scale, modifier)
        with np.errstate(over="ignore", invalid="ignore"):  # an infinite amount is refused just below
            amount = fund[g] * L.effective_weight * c * self.line_scale * d[g] * modifier[g] * scale[g]
        unfit = ~money_in_range(amount, dec)
        if unfit.any():
            raise ClientDataError(self._line_problems(np.flatnonzero(unfit), amount), client=self.client.slug)

        def exact_amount(idx):
            return self._exact_minor(idx, d, violated)

        bonus_minor = minor_units(amount, dec, exact_amount)
        bonus_minor[self.excluded] = 0
        bonus_total = np.bincount(g, bonus_minor.astype(float), minlength=n_groups)
        # float sums of integers are exact below 2**53, so anything at or past the limit shows
        self._check_totals(bonus_total)

        reason = self._line_reasons(c, d, blocked, violated, fund, days, bonus_minor, amount)
        frame = lines_frame(L, self.client, {
            "coefficient": c,
            "stop_factor": d[g],
            "modifier": modifier[g],
            "scale": self.line_scale * scale[g],
            "fund": fund[g],
            "fund_share": fund[g] * L.effective_weight,
            "bonus_minor": bonus_minor,
            "bonus": bonus_minor / 10.0**dec,
            "reason": pd.Categorical.from_codes(reason, categories=list(REASONS)),
        })
        totals = self._totals(bonus_total, d, blocked, violated, fund, fund_minor, days, pdays, breach, reason)
        return BonusResult(frame, totals, hits, self.client.config.currency, dec, tuple(L.periods))

    # money that fits (SPEC 6): checked before anything is rounded or written
    def _check_funds(self, full: np.ndarray, given: np.ndarray) -> None:
        """Every employee's fund (given, or from base salary and variable share) within the limit."""
        unfit = np.flatnonzero(~money_in_range(full, self.decimals))
        if not len(unfit):
            return
        emp, problems = self.lines.employees, []
        for e in unfit[:_LISTED]:
            column = "bonus_fund" if not np.isnan(given[e]) else "base_salary"
            how = "" if column == "bonus_fund" else " (base_salary x target_percent)" \
                if not np.isnan(self.target[e]) else " (base_salary x variable_share / (1 - variable_share))"
            problems.append(self._problem(
                "employees", _row_of(emp, e), column,
                f"the bonus fund of employee '{emp['employee_id'].iloc[e]}' is {_amount_text(full[e], self.decimals)}"
                f"{how}; {self._beyond()}",
                f"check {column} (a misplaced decimal point or exponent?)"))
        raise ClientDataError(problems + self._more(len(unfit), "employees"), client=self.client.slug)

    def _line_problems(self, bad: np.ndarray, amount: np.ndarray) -> list[Problem]:
        """A problem for each line whose amount is not finite or beyond the limit, at its actuals row."""
        L = self.lines
        emp_ids = L.employees["employee_id"].to_numpy(dtype=object)
        kpi_ids = L.kpis["kpi_id"].to_numpy(dtype=object)
        rows = _actuals_rows(self.client.actuals, [(L.periods[L.period[i]], emp_ids[L.employee[i]], kpi_ids[L.kpi[i]])
                                                   for i in bad[:_LISTED]])
        problems = []
        for i, row in zip(bad[:_LISTED], rows):
            kpi = kpi_ids[L.kpi[i]]
            problems.append(self._problem(
                "actuals", row, "fact",
                f"employee '{emp_ids[L.employee[i]]}', KPI '{kpi}', period {L.periods[L.period[i]]}: the bonus line "
                f"comes to {_amount_text(amount[i], self.decimals)} "
                f"(plan {float(L.plan[i])!r}, fact {float(L.fact[i])!r}, "
                f"attainment {L.attainment[i]:.6g}, coefficient {self._c[i]:.6g}); {self._beyond()}",
                f"check the plan and the fact (a misplaced decimal point or exponent?), or give KPI '{kpi}' a cap "
                "in position_kpis"))
        return problems + self._more(len(bad), "actuals")

    def _check_totals(self, bonus_total: np.ndarray) -> None:
        """Every statement's total and every period's pool within the limit."""
        L, dec, n_e = self.lines, self.decimals, len(self.lines.employees)
        problems = []
        unfit = np.flatnonzero(bonus_total >= MONEY_LIMIT_MINOR)
        emp = L.employees
        for gi in unfit[:_LISTED]:
            e = gi % n_e
            problems.append(self._problem(
                "employees", _row_of(emp, e), "bonus_fund",
                f"the bonus lines of employee '{emp['employee_id'].iloc[e]}' in period {L.periods[gi // n_e]} add up "
                f"to {_amount_text(bonus_total[gi] / 10**dec, dec)}; {self._beyond()}",
                "check the fund and the facts of the employee's KPIs"))
        if problems:  # a pool holding such a statement is beyond the limit too
            raise ClientDataError(problems + self._more(len(unfit), "employees"), client=self.client.slug)
        pools = np.bincount(np.arange(len(bonus_total)) // n_e, bonus_total, minlength=len(L.periods))
        for p in np.flatnonzero(pools >= MONEY_LIMIT_MINOR):
            problems.append(self._problem(
                "employees", None, None,
                f"the bonus pool of period {L.periods[p]} adds up to {_amount_text(pools[p] / 10**dec, dec)}; "
                f"{self._beyond()}", "check the funds, or split the employees over several client folders"))
        if not problems and len(pools) > 1 and pools.sum() >= MONEY_LIMIT_MINOR:
            problems.append(self._problem(
                "employees", None, None,
                f"the bonus pools of periods {L.periods[0]} to {L.periods[-1]} add up to "
                f"{_amount_text(pools.sum() / 10**dec, dec)}; {self._beyond()}", "compute fewer periods at a time"))
        if problems:
            raise ClientDataError(problems, client=self.client.slug)

    def _beyond(self) -> str:
        return (f"expected at most {format_limit(self.decimals)} {self.client.config.currency}, the largest amount "
                "the toolkit computes exactly (2**52 minor units)")

    def _problem(self, table: str, row, column, message: str, fix: str) -> Problem:
        return Problem(table=self.client.sources.get(table, table), row=row, column=column, message=message, fix=fix)

    def _more(self, count: int, table: str) -> list[Problem]:
        if count <= _LISTED:
            return []
        return [self._problem(table, None, None, f"{count - _LISTED} more amount(s) like the above",
                              "fix the ones listed and run again")]

    def _exact_minor(self, idx: np.ndarray, d, violated) -> np.ndarray:
        """Exact half-up minor units of the lines ``idx`` whose float amount sits on a half unit.

        Such ties are common (a capped coefficient times a weight times a fund in kopecks), so
        they are settled in bulk with rational arithmetic on Python integers; a line whose
        inputs are not short decimals (or that uses a payout curve) is settled with Fractions.
        """
        L, dec = self.lines, self.decimals
        out = np.zeros(len(idx), dtype=np.int64)
        g = L.group[idx]
        c_float = self._c[idx]
        live = (d[g] != 0) & (c_float != 0) & ~self.excluded[idx]
        c_num, c_den, ok = self._coefficient_rational(idx)
        w_num, w_ok = scaled_integers(L.weight[idx])
        ok &= w_ok & pd.isna(self.curve_names[idx])
        kept_sum, sums_short = self._kept_weight_sums()
        renormalised = L.effective_weight[idx] != L.weight[idx]
        ok &= sums_short[g] | ~renormalised  # a map weight such as 2/3 among them: the Fraction path
        w_den = np.where(renormalised, kept_sum[g], SCALE)
        d_num, d_den, d_ok = self._stop_factor_rational(g, d, violated)
        f_num, f_den, f_ok = self._fund_rational(g)
        ok &= d_ok & f_ok & ~self.gate_exact[g]
        rational = live & ok
        if rational.any():
            r = np.flatnonzero(rational)
            num = f_num[r] * 10**dec * w_num[r].astype(object) * c_num[r] * d_num[r]
            den = f_den[r] * w_den[r].astype(object) * c_den[r] * d_den[r]
            out[r] = half_up_ratio(num, den).astype(np.int64)
        for j in np.flatnonzero(live & ~ok):
            out[j] = _half_up(self._exact_amount(int(idx[j]), d, violated), dec)
        return out

    def _attainment_rational(self, idx: np.ndarray):
        """The exact attainment of lines ``idx`` as (numerator, denominator) Python ints, with a
        mask of the lines whose inputs are short decimals (the others take the Fraction path)."""
        L = self.lines
        P, okP = scaled_integers(L.plan[idx])
        F, okF = scaled_integers(L.fact[idx])
        B, okB = scaled_integers(L.baseline[idx])
        lo, ok_lo = scaled_integers(L.band_low[idx])
        hi, ok_hi = scaled_integers(L.band_high[idx])
        tol, ok_tol = scaled_integers(L.band_tolerance[idx])
        cap, ok_cap = scaled_integers(self.kpi_cap[idx])
        has_b = ~np.isnan(L.baseline[idx])
        direction, status = L.direction[idx], L.fact_status[idx]
        P, F, B, lo, hi, tol, cap = (v.tolist() for v in (P, F, B, lo, hi, tol, cap))
        n = len(idx)
        num = np.ones(n, dtype=object)
        den = np.ones(n, dtype=object)
        ok = np.ones(n, bool)
        for j in range(n):  # only the lines on a boundary
            dj = direction[j]
            if status[j] == 1:
                a = (0, 1)
            elif dj == 2:
                ok[j] = okF[j] and ok_lo[j] and ok_hi[j] and ok_tol[j]
                outside = max(lo[j] - F[j], 0) + max(F[j] - hi[j], 0)
                a = (max(tol[j] - outside, 0), tol[j] or 1)
            elif has_b[j]:
                ok[j] = okF[j] and okP[j] and okB[j]
                a = (F[j] - B[j], (P[j] - B[j]) or 1)
            elif dj == 1:
                ok[j] = okF[j] and okP[j] and (F[j] != 0 or ok_cap[j])
                a = (P[j], F[j]) if F[j] != 0 else (cap[j], SCALE)
            else:
                ok[j] = okF[j] and okP[j]
                a = (F[j], P[j] or 1)
            an, ad = a if a[1] > 0 else (-a[0], -a[1])
            num[j], den[j] = (an, ad) if an >= 0 else (0, 1)
        return num, den, ok

    def _coefficient_rational(self, idx: np.ndarray):
        """The exact coefficient (attainment, capped) of lines ``idx`` as Python-int rationals."""
        num, den, ok = self._attainment_rational(idx)
        cap, ok_cap = scaled_integers(self.cap[idx])
        has_cap = ~np.isnan(self.cap[idx])
        for j in np.flatnonzero(has_cap):
            ok[j] = ok[j] and ok_cap[j]
            if num[j] * SCALE >= int(cap[j]) * den[j]:
                num[j], den[j] = int(cap[j]), SCALE
        return num, den, ok

    def _kept_weight_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Per group, the sum of the kept lines' weights in millionths (for renormalisation), and
        whether every weight of the group is a short decimal (else the sum is not exact)."""
        L = self.lines
        w, w_ok = scaled_integers(L.weight)
        sums = np.bincount(L.group, np.where(self.excluded, 0, w).astype(float),
                           minlength=L.n_groups).astype(np.int64)
        return sums, np.bincount(L.group, ~w_ok, minlength=L.n_groups) == 0

    def _weight(self, i: int) -> Fraction:
        """The exact weight of line ``i``: a weight from the strategy map (2/3, 1/6) as the fraction
        it is (SPEC 3.2), a weight written as a decimal as that decimal."""
        L = self.lines
        if self._exact_weights is None:
            c = self.client
            self._exact_weights = exact_weight_lookup(position_kpi_weights(
                c.positions, c.position_kpis, c.kpis, c.goals, c.config.strategy_owner))
        key = (L.employees["position_id"].iat[L.employee[i]], L.kpis["kpi_id"].iat[L.kpi[i]])
        exact = self._exact_weights.get(key)
        return exact if exact is not None and float(exact) == L.weight[i] else _fraction(L.weight[i])

    def _stop_factor_rational(self, g: np.ndarray, d, violated):
        n = len(g)
        num = np.ones(n, dtype=object)
        den = np.ones(n, dtype=object)
        ok = np.ones(n, bool)
        for j, gj in enumerate(g):
            for rule in [*violated.get(int(gj), []), *self.modifier_rules.get(int(gj), [])]:
                f, f_ok = scaled_integers(np.array([rule.factor]))
                ok[j] &= bool(f_ok[0])
                num[j] *= int(f[0])
                den[j] *= SCALE
        return num, den, ok

    def _exact_amount(self, i: int, d, violated) -> Fraction:
        """The exact amount of one line in major units."""
        L = self.lines
        g = L.group[i]
        if d[g] == 0 or self.excluded[i]:
            return Fraction(0)
        c = self.exact_c.get(i)
        if c is None:
            c = self._exact_line(i)[1]
        if self._group_order is None:
            order = np.argsort(L.group, kind="stable")
            self._group_order = order, L.group[order]
        order, sorted_groups = self._group_order
        lo, hi = np.searchsorted(sorted_groups, [g, g + 1])
        members = order[lo:hi]
        w = self._weight(i)
        kept = sum(self._weight(j) for j in members if not self.excluded[j])
        if kept != sum(self._weight(j) for j in members):
            w = w / kept
        dd = Fraction(1)
        for rule in violated.get(int(g), []):
            dd *= _fraction(rule.factor)
        for rule in self.modifier_rules.get(int(g), []):
            dd *= _fraction(rule.factor)
        if self.gate_exact[g]:  # sections, a shut gate on the total or a total cap: lines scaled, exactly
            payout, line_scale = self._exact_combined(int(g), members, self._exact_weights_of(members))
            dd *= line_scale[i]
            if not np.isnan(self.total_cap[g]) and payout > _fraction(self.total_cap[g]):
                dd *= _fraction(self.total_cap[g]) / payout
                payout = _fraction(self.total_cap[g])
            final = payout * dd
            if not np.isnan(self.position_cap[g]) and final > _fraction(self.position_cap[g]):
                dd *= _fraction(self.position_cap[g]) / final
        return self._exact_fund(int(g)) * w * c * dd

    def _exact_weights_of(self, members: np.ndarray) -> dict:
        """The exact weight of each kept line of a group, renormalised where KPIs are excluded."""
        kept = [j for j in members if not self.excluded[j]]
        weights = {j: self._weight(j) for j in kept}
        total_w = sum(weights.values())
        all_w = sum(self._weight(j) for j in members)
        return {j: (w / total_w if total_w != all_w else w) for j, w in weights.items()}

    def _line_reasons(self, c, d, blocked, violated, fund, days, bonus_minor, amount) -> np.ndarray:
        L, g = self.lines, self.lines.group
        r = np.zeros(len(L), np.int8)
        zero = bonus_minor == 0
        below = (L.attainment < np.nan_to_num(self.threshold, nan=-np.inf)) & (c == 0)
        rules = [
            (zero & (amount > 0), "rounded_to_zero"),
            (zero & (c == 0) & (L.attainment == 0), "zero_attainment"),
            (zero & below, "below_threshold"),
            (zero & (L.fact_status == 1), "missing_zero"),
            (zero & (d[g] == 0) & ~blocked[g], "stop_factor"),
            (zero & (self.gate_zero[g] | ((self.cap == 0) & (self.kpi_cap != 0)) | (self.section_cap == 0)), "gate"),
            (zero & blocked[g], "stop_threshold"),
            (zero & (fund[g] == 0), "no_fund"),
            (zero & (days[g] == 0), "not_employed"),
            (self.excluded, "excluded"),
        ]
        for mask, code in rules:  # later rules take precedence
            r[mask] = _R[code]
        return r

    def _totals(self, bonus_total, d, blocked, violated, fund, fund_minor, days, pdays, breach,
                reason) -> pd.DataFrame:
        L, dec = self.lines, self.decimals
        n_groups = L.n_groups
        count = np.bincount(L.group, minlength=n_groups)
        groups = np.flatnonzero(count > 0)
        bonus = bonus_total.astype(np.int64)  # within the money limit: checked in run()
        ratio = np.bincount(L.group, L.index, minlength=n_groups)
        n_e = len(L.employees)
        e = groups % n_e
        emp = L.employees
        positions = self.client.positions.set_index("position_id")
        dept = employee_departments(emp, self.client.positions)
        kpi_ids = L.kpis["kpi_id"].to_numpy(dtype=object)

        def joined(mask) -> dict[int, str]:
            out: dict[int, list[str]] = {}
            for i in np.flatnonzero(mask):
                out.setdefault(int(L.group[i]), []).append(kpi_ids[L.kpi[i]])
            return {k: ", ".join(v) for k, v in out.items()}

        blocking = joined(breach)
        excluded = joined(self.excluded)
        rules_text = {gi: "; ".join(f"{r.kpi_id} {r.condition} {r.limit:g}: x{r.factor:g}" for r in rs)
                      for gi, rs in violated.items()}
        all_below = np.bincount(L.group, (reason == _R["below_threshold"]).astype(float), minlength=n_groups) == count
        code = np.zeros(n_groups, np.int8)
        for mask, name in [
            (bonus == 0, "zero_attainment"),
            ((bonus == 0) & all_below, "below_threshold"),
            (d < 1, "stop_factor"),
            ((bonus == 0) & self.gate_zero, "gate"),
            (blocked, "stop_threshold"),
            (fund == 0, "no_fund"),
            (days == 0, "not_employed"),
        ]:
            code[mask] = _R[name]
        return pd.DataFrame({
            "period": _category(L.periods, groups // n_e),
            "months": _category([", ".join(bonus_months(p, self.client.config.bonus_period_months))
                                 for p in L.periods], groups // n_e),
            "employee_id": _category(emp["employee_id"], e),
            "employee": _category(emp["name"], e),
            "position_id": _category(emp["position_id"], e),
            "position": _category(emp["position_id"].map(positions["name"]), e),
            "department": _category(dept, e),
            "performance_ratio": ratio[groups],
            "stop_factor": d[groups],
            "days_employed": days[groups],
            "period_days": pdays[groups],
            "fund_minor": fund_minor[groups],
            "bonus_fund": fund_minor[groups] / 10.0**dec,
            "bonus_minor": bonus[groups],
            "bonus": bonus[groups] / 10.0**dec,
            "reason": pd.Categorical.from_codes(code[groups], categories=list(REASONS)),
            "blocking_kpis": _texts(blocking, groups, n_groups),
            "stop_rules": _texts(rules_text, groups, n_groups),
            "excluded_kpis": _texts(excluded, groups, n_groups),
            "gates": _texts({gi: "; ".join(v) for gi, v in self.shut.items()}, groups, n_groups),
            "payout_factor": (self._payout_factor * self._gate_scale_value)[groups],
            "section_rule": self.section_rule[groups] if len(groups) else np.zeros(0, dtype=object),
            "section_factors": _sections_pairs(self.section_factors, groups, n_groups),
            "modifier": self.modifier[groups],
            "modifier_reasons": _texts({gi: _modifier_text(rs) for gi, rs in self.modifier_rules.items()},
                                       groups, n_groups),
        }, copy=False)


def _sections_pairs(factors: dict[int, list[tuple[str, float]]], groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group its sections' weighted payout factors as ``(name, factor)`` pairs (an empty
    tuple where the position has no sections)."""
    out = np.empty(n_groups, dtype=object)
    out[:] = [()] * n_groups
    for g, pairs in factors.items():
        out[g] = tuple(pairs)
    return out[groups]


def _modifier_text(rules) -> str:
    """The reasons of the modifiers applied, each with its factor when there are several."""
    if len(rules) == 1:
        return str(rules[0].reason)
    return "; ".join(f"{r.reason} (x{r.factor:g})" for r in rules)


def _fraction(x) -> Fraction:
    """The exact value of a number typed as decimal text (held as a float)."""
    return Fraction(to_decimal(x))


def _half_up(amount: Fraction, decimals: int) -> int:
    """An exact non-negative amount in major units, rounded half-up, as minor units."""
    return math.floor(amount * 10**decimals + Fraction(1, 2))


#: At most this many amounts beyond the limit are listed, then how many more.
_LISTED = 20


def _amount_text(amount: float, decimals: int) -> str:
    """An amount as far as it can be shown: in full to the minor unit while that is short."""
    if not np.isfinite(amount):
        return "not a finite number" if np.isnan(amount) else "infinite"
    return f"{amount:,.{decimals}f}" if abs(amount) < 1e21 else f"{amount:.6g}"


def _row_of(frame: pd.DataFrame, position: int):
    return int(frame[ROW].iloc[position]) if ROW in frame else None


def _actuals_rows(actuals: pd.DataFrame, keys: list[tuple]) -> list:
    """The spreadsheet row of each (period, employee_id, kpi_id) in ``actuals`` (None if absent)."""
    if ROW not in actuals or not keys:
        return [None] * len(keys)
    periods, employees, kpis = (set(k) for k in zip(*keys))
    near_rows = actuals[actuals["employee_id"].isin(employees) & actuals["kpi_id"].isin(kpis)
                        & actuals["period"].isin(periods)]
    found = {(str(p), str(e), str(k)): int(r) for p, e, k, r in
             zip(near_rows["period"], near_rows["employee_id"], near_rows["kpi_id"], near_rows[ROW])}
    return [found.get(tuple(map(str, key))) for key in keys]


def _texts(by_group: dict[int, str], groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per listed group its text, empty for the others (no loop over all groups)."""
    out = np.full(n_groups, "", dtype=object)
    if by_group:
        out[np.fromiter(by_group.keys(), dtype=np.int64, count=len(by_group))] = list(by_group.values())
    return out[groups]


_HIT_COLUMNS = ["period", "employee_id", "kpi_id", "condition", "limit", "fact", "factor", "violated", "evaluated"]
