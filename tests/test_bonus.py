"""The bonus formula: seed 001 worked examples, exactness, proration, properties."""
import calendar
import math
import operator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from builders import make_client, one_employee
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.method.bonus import (bonus_fund_from_variable_share, compute_bonuses, days_employed, period_bounds,
                               seed_001_bonus)
from kpi_toolkit.method.client import PayoutCurve
from kpi_toolkit.errors import ClientDataError

SEED_001 = [  # fund 100 000 split 50/30/20; thresholds 70 %, 85 % (blocking), 60 %
    {"kpi_id": "sales", "weight": 0.5, "threshold": 0.7, "plan": 100},
    {"kpi_id": "margin", "weight": 0.3, "threshold": 0.85, "stop_threshold": 0.85, "plan": 100},
    {"kpi_id": "clients", "weight": 0.2, "threshold": 0.6, "plan": 100},
]
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
TURNOVER = [{"position_id": "pos", "kpi_id": "turnover", "condition": ">", "limit": 0.1, "factor": 0.5}]


def seed_case(facts, turnover=None):
    rows = [{**r, "fact": f} for r, f in zip(SEED_001, facts)]
    extra = []
    if turnover is not None:
        extra = [{"period": "2026-09", "employee_id": "E1", "kpi_id": "turnover", "plan": None, "fact": turnover}]
    return one_employee(rows, stop_factors=TURNOVER if turnover is not None else None, extra_actuals=extra)


@pytest.mark.parametrize("facts, turnover, lines, total, reason", [
    ((90, 95, 65), None, [45000, 28500, 13000], 86500, ""),
    ((90, 95, 55), None, [45000, 28500, 0], 73500, ""),                 # KPI 3 under 60 %
    ((65, 95, 65), None, [0, 28500, 13000], 41500, ""),                  # KPI 1 under 70 %
    ((90, 84, 65), None, [0, 0, 0], 0, "stop_threshold"),                # KPI 2 blocks everything
    ((90, 85, 65), None, [45000, 25500, 13000], 83500, ""),              # exactly 85 % is reached
    ((90, 95, 65), 0.12, [22500, 14250, 6500], 43250, "stop_factor"),    # turnover 12 % > 10 %: x0.5
    ((90, 95, 65), 0.10, [45000, 28500, 13000], 86500, ""),              # 10 % is not > 10 %
    ((90, 84, 65), 0.12, [0, 0, 0], 0, "stop_threshold"),
    ((130, 95, 65), None, [65000, 28500, 13000], 106500, ""),            # no cap: proportional
])
def test_seed_001_bonus(facts, turnover, lines, total, reason):
    result = compute_bonuses(seed_case(facts, turnover))
    assert (result.lines["bonus_minor"] // 100).tolist() == lines
    assert int(result.totals["bonus_minor"].iloc[0]) == total * 100
    assert result.totals["reason"].iloc[0] == reason
    shares = [50_000, 30_000, 20_000]
    blocking = [False, True, False]
    rules = [0.5] if turnover is not None and turnover > 0.1 else []
    assert seed_001_bonus(shares, [f / 100 for f in facts], [0.7, 0.85, 0.6], blocking, rules) == total


def test_every_zero_line_has_a_reason():
    result = compute_bonuses(seed_case((90, 84, 55)))
    assert result.lines["reason"].tolist() == ["stop_threshold", "stop_threshold", "stop_threshold"]
    assert result.totals["blocking_kpis"].iloc[0] == "margin"
    below = compute_bonuses(seed_case((90, 95, 55)))
    assert below.lines["reason"].tolist() == ["", "", "below_threshold"]
    cut = compute_bonuses(seed_case((90, 95, 65), turnover=0.12))
    assert cut.totals["stop_rules"].iloc[0] == "turnover > 0.1: x0.5"
    assert cut.stop_hits["violated"].tolist() == [True]


@pytest.mark.parametrize("plan, fact, threshold", [(13, 11.7, 0.9), (8.3, 5.81, 0.7)])
def test_fact_exactly_at_threshold_reaches_it(plan, fact, threshold):
    assert fact / plan < threshold  # binary floating point says it does not
    client = one_employee([{"kpi_id": "k", "weight": 1, "plan": plan, "fact": fact, "threshold": threshold,
                            "stop_threshold": threshold}], fund=1000)
    result = compute_bonuses(client)
    assert result.lines["coefficient"].iloc[0] == threshold
    assert int(result.totals["bonus_minor"].iloc[0]) == int(threshold * 1000 * 100)


def test_half_a_kopeck_rounds_up():
    client = one_employee([{"kpi_id": "k", "weight": 0.5, "plan": 1, "fact": 1},
                           {"kpi_id": "j", "weight": 0.5, "plan": 1, "fact": 1}], fund=700.07)
    result = compute_bonuses(client)
    assert result.lines["bonus_minor"].tolist() == [35004, 35004]  # 350.035 -> 350.04 each
    assert int(result.totals["bonus_minor"].iloc[0]) == 70008  # the sum of the rounded lines


def test_exact_half_kopeck_from_a_repeating_ratio():
    """1730.01 / 0.91 never terminates, yet 9 999.99 x 0.5 x it is exactly 950 553 994.5 kopecks."""
    client = one_employee([{"kpi_id": "k", "weight": 0.5, "plan": 0.91, "fact": 1730.01},
                           {"kpi_id": "j", "weight": 0.5, "plan": 0.01, "fact": 0.01}], fund=9999.99)
    assert compute_bonuses(client).lines["bonus_minor"].tolist() == [950553995, 500000]


def test_cap_and_payout_curve():
    client = one_employee(
        [{"kpi_id": "k1", "weight": 0.5, "plan": 100, "fact": 150, "cap": 1.2},
         {"kpi_id": "k2", "weight": 0.5, "plan": 100, "fact": 85, "curve": "sales"}],
        curves={"sales": ("linear", [[0.7, 0.5], [1.0, 1.0], [1.3, 1.5]])}, fund=1000)
    result = compute_bonuses(client)
    assert result.lines["coefficient"].tolist() == pytest.approx([1.2, 0.75])
    assert result.lines["bonus_minor"].tolist() == [60000, 37500]


def test_fund_from_variable_share_and_proration():
    assert bonus_fund_from_variable_share(90_000, 0.25) == 30_000
    client = make_client(
        positions=[{"position_id": "pos", "name": "P", "department": "Sales", "variable_share": 0.25}],
        position_kpis=[{"position_id": "pos", "kpi_id": "k", "weight": 1}],
        employees=[{"employee_id": "E1", "name": "Ann", "position_id": "pos", "base_salary": 90_000,
                    "start_date": "2026-09-16"}],
        actuals=[{"period": "2026-09", "employee_id": "E1", "kpi_id": "k", "plan": 1, "fact": 1}])
    totals = compute_bonuses(client).totals
    assert int(totals["days_employed"].iloc[0]) == 15 and int(totals["period_days"].iloc[0]) == 30
    assert int(totals["fund_minor"].iloc[0]) == 1_500_000  # 30 000 x 15/30
    assert int(totals["bonus_minor"].iloc[0]) == 1_500_000


def test_period_helpers():
    assert period_bounds("2027-02", 3) == (date(2026, 12, 1), date(2027, 2, 28))  # named by its last month
    assert days_employed(date(2026, 9, 1), date(2026, 9, 30), date(2026, 9, 30), date(2026, 9, 30)) == 1


def test_several_periods_and_employees():
    actuals = [{"period": p, "employee_id": e, "kpi_id": "k", "plan": 10, "fact": f}
               for p, e, f in [("2026-08", "E1", 10), ("2026-09", "E1", 12), ("2026-09", "E2", 5)]]
    client = make_client(
        positions=[{"position_id": "pos", "name": "P", "department": "Sales"}],
        position_kpis=[{"position_id": "pos", "kpi_id": "k", "weight": 1, "threshold": 0.6}],
        employees=[{"employee_id": e, "name": e, "position_id": "pos", "bonus_fund": 100} for e in ("E1", "E2")],
        actuals=actuals)
    result = compute_bonuses(client, "all")
    assert result.totals[["period", "employee_id"]].astype(str).values.tolist() == [
        ["2026-08", "E1"], ["2026-09", "E1"], ["2026-09", "E2"]]
    assert result.totals["bonus_minor"].tolist() == [10000, 12000, 0]
    assert result.pool("2026-09") == 120.0


# --- rounding after proration (SPEC 3.5.1: only each line's final amount is rounded) -----------

LEAVER_LINES = [{"kpi_id": k, "weight": w, "plan": 100, "fact": 100} for k, w in
                (("sales", 0.5), ("margin", 0.3), ("clients", 0.2))]


def test_leaver_is_paid_the_rounded_lines_of_the_unrounded_prorated_fund():
    """Leaves on 2026-10-20: 20 of October's 31 days. By hand, 100 000 x 20/31 = 64 516.129032…;
    at plan the lines are 50 % 32 258.064516… -> 32 258.06, 30 % 19 354.838709… -> 19 354.84 and
    20 % 12 903.225806… -> 12 903.23: 64 516.13. Rounding the prorated fund first (64 516.13)
    made the first line 32 258.065 -> 32 258.07 and the total 64 516.14."""
    client = one_employee(LEAVER_LINES, fund=100_000, period="2026-10", employee={"end_date": "2026-10-20"})
    result = compute_bonuses(client)
    assert result.lines["bonus_minor"].tolist() == [3225806, 1935484, 1290323]
    totals = result.totals.iloc[0]
    assert (int(totals["days_employed"]), int(totals["period_days"])) == (20, 31)
    assert int(totals["bonus_minor"]) == 6451613
    assert int(totals["fund_minor"]) == 6451613  # the prorated fund, rounded for display only
    assert result.lines["fund_share"].iloc[0] == pytest.approx(100_000 * 20 / 31 * 0.5, rel=1e-15)


def test_fund_from_variable_share_is_not_rounded_before_the_lines():
    """BF = 10 000 x 0.35 / 0.65 = 5 384.615384…; lines 50/30/20 at plan: 2 692.307692… -> 2 692.31,
    1 615.384615… -> 1 615.38, 1 076.923076… -> 1 076.92: 5 384.61 (rounding BF to 5 384.62 first
    gave 2 692.31 + 1 615.39 + 1 076.92 = 5 384.62)."""
    client = make_client(
        positions=[{"position_id": "pos", "name": "P", "department": "Sales", "variable_share": 0.35}],
        position_kpis=[{"position_id": "pos", "kpi_id": r["kpi_id"], "weight": r["weight"]} for r in LEAVER_LINES],
        employees=[{"employee_id": "E1", "name": "Ann", "position_id": "pos", "base_salary": 10_000}],
        actuals=[{"period": "2026-09", "employee_id": "E1", "kpi_id": r["kpi_id"], "plan": 1, "fact": 1}
                 for r in LEAVER_LINES])
    result = compute_bonuses(client)
    assert result.lines["bonus_minor"].tolist() == [269231, 161538, 107692]
    assert int(result.totals["bonus_minor"].iloc[0]) == 538461


@pytest.mark.parametrize("curve", [None, "same"], ids=["integer_path", "fraction_path"])
def test_half_kopeck_tie_is_settled_on_the_unrounded_prorated_fund(curve):
    """700.03 x 20/31 x 0.5 x 31/20 is exactly 350.015: half-up 350.02. The prorated fund
    rounded first (451.63) gave 350.01325 -> 350.01. A payout curve sends the line to the
    Fraction path, a plain coefficient to the bulk integer path; both settle on exact values."""
    rows = [{"kpi_id": "k", "weight": 0.5, "plan": 20, "fact": 31},
            {"kpi_id": "j", "weight": 0.5, "plan": 1, "fact": 1}]
    if curve:
        rows[0]["curve"] = curve
    client = one_employee(rows, fund=700.03, period="2026-10", employee={"end_date": "2026-10-20"},
                          curves={"same": ("linear", [[0, 0], [2, 2]])})
    result = compute_bonuses(client)
    assert result.lines["bonus_minor"].tolist() == [35002, 22582]  # 700.03 x 20/31 x 0.5 = 225.8161… -> 225.82
    assert int(result.totals["fund_minor"].iloc[0]) == 45163  # 451.6322… shown as 451.63


# --- money that cannot wrap (SPEC 6) ----------------------------------------------------------

LIMIT = "45,035,996,273,704.95 RUB"


def _refused(client):
    with pytest.raises(ClientDataError) as caught:
        compute_bonuses(client)
    return caught.value.problems


def test_infinite_attainment_is_refused_at_its_actuals_row_not_paid_as_a_wrapped_amount():
    """A plan of 1e-300 against a fact of 1e308 wrote a bonus of -92 233 720 368 547 758.08."""
    [problem] = _refused(one_employee([{"kpi_id": "k", "weight": 1, "plan": 1e-300, "fact": 1e308}], fund=100))
    assert (problem.table, problem.row, problem.column) == ("actuals.csv", 2, "fact")
    assert "employee 'E1', KPI 'k', period 2026-09" in problem.message and "infinite" in problem.message
    assert LIMIT in problem.message and "cap" in problem.fix


def test_huge_finite_bonus_line_is_refused_at_its_actuals_row():
    rows = [{"kpi_id": "k", "weight": 0.5, "plan": 1, "fact": 1},
            {"kpi_id": "j", "weight": 0.5, "plan": 1e-10, "fact": 1e10}]
    [problem] = _refused(one_employee(rows, fund=100))
    assert (problem.row, problem.column) == (3, "fact") and "KPI 'j'" in problem.message
    assert "comes to 5e+21" in problem.message


def test_huge_attainment_under_a_cap_is_paid_at_the_cap():
    rows = [{"kpi_id": "k", "weight": 1, "plan": 1e-300, "fact": 1e308, "cap": 1.5}]
    assert compute_bonuses(one_employee(rows, fund=100)).lines["bonus_minor"].tolist() == [15000]


@pytest.mark.parametrize("fund", [1e17, 123456789012345.67])
def test_fund_beyond_the_money_limit_is_refused_not_overflowed_or_rounded(fund):
    """1e17 ended in OverflowError; 123 456 789 012 345.67 was paid as …345.68."""
    [problem] = _refused(one_employee([{"kpi_id": "k", "weight": 1, "plan": 1, "fact": 1}], fund=fund))
    assert (problem.table, problem.row, problem.column) == ("employees.csv", 2, "bonus_fund")
    assert LIMIT in problem.message


def test_statement_beyond_the_money_limit_is_refused():
    """Each line (30 trillion) fits; their sum does not."""
    rows = [{"kpi_id": k, "weight": 0.5, "plan": 1, "fact": 1.5} for k in ("k", "j")]
    [problem] = _refused(one_employee(rows, fund=40e12))
    assert (problem.table, problem.row, problem.column) == ("employees.csv", 2, "bonus_fund")
    assert "add up to 60,000,000,000,000.00" in problem.message


def test_pool_beyond_the_money_limit_is_refused():
    client = make_client(
        positions=[{"position_id": "pos", "name": "P", "department": "Sales"}],
        position_kpis=[{"position_id": "pos", "kpi_id": "k", "weight": 1}],
        employees=[{"employee_id": e, "name": e, "position_id": "pos", "bonus_fund": 30e12} for e in ("E1", "E2")],
        actuals=[{"period": "2026-09", "employee_id": e, "kpi_id": "k", "plan": 1, "fact": 1} for e in ("E1", "E2")])
    [problem] = _refused(client)
    assert problem.row is None and "bonus pool of period 2026-09 adds up to 60,000,000,000,000.00" in problem.message


@pytest.mark.parametrize("fund, weight, expected", [
    (45035996273704.95, 1, 4503599627370495),       # the limit itself
    (45035996273704.93, 0.5, 2251799813685247),     # 22 517 998 136 852.465 -> .47
    (45035996273704.91, 0.3, 1351079888211147),     # 13 510 798 882 111.473 -> .47
])
def test_amounts_stay_exact_up_to_the_money_limit(fund, weight, expected):
    rows = [{"kpi_id": "k", "weight": weight, "plan": 1, "fact": 1}]
    if weight != 1:
        rows.append({"kpi_id": "j", "weight": 1 - weight, "plan": 1, "fact": 0})
    result = compute_bonuses(one_employee(rows, fund=fund))
    assert int(result.lines["bonus_minor"].iloc[0]) == expected
    assert int(result.totals["fund_minor"].iloc[0]) == round(Decimal(repr(fund)) * 100)


# --- properties ------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=500_000, places=2)
ratio = st.decimals(min_value=Decimal("0.1"), max_value=2, places=2)
value = st.decimals(min_value=Decimal("0.01"), max_value=10_000, places=2)


@st.composite
def schemes(draw, capped=False):
    n = draw(st.integers(1, 5))
    raw = [draw(st.integers(1, 20)) for _ in range(n)]
    weights = [Decimal(r) / Decimal(sum(raw)) for r in raw]
    weights = [w.quantize(Decimal("0.0001")) for w in weights]
    weights[-1] = Decimal(1) - sum(weights[:-1])
    assume(all(w > 0 for w in weights))
    rows = []
    for i, w in enumerate(weights):
        row = {"kpi_id": f"k{i}", "weight": float(w), "plan": float(draw(value)), "fact": float(draw(value))}
        if draw(st.booleans()):
            row["threshold"] = float(draw(st.decimals(min_value=0, max_value=1, places=2)))
        if capped or draw(st.booleans()):
            row["cap"] = float(draw(ratio))
        if draw(st.integers(0, 4)) == 0:
            row["stop_threshold"] = float(draw(st.decimals(min_value=0, max_value=1, places=2)))
        rows.append(row)
    return rows, draw(money)


@dataclass
class Case:
    """One employee's statement for the rational reference: KPI lines, the fund (given, or from
    base salary and variable share), the period and employment dates, stop-factor rules."""

    rows: list
    fund: Decimal | None = None
    base: Decimal | None = None
    share: Decimal | None = None
    target: Decimal | None = None
    period: str = "2026-09"
    start: date | None = None
    end: date | None = None
    curves: dict = field(default_factory=dict)
    rules: list = field(default_factory=list)
    turnover: float | None = None
    gates: list = field(default_factory=list)  # {level, applies_to (a row's kpi_id or total), cap} on KPI 'gk'
    gate_plan: float = 1.0
    gate_fact: float = 1.0
    modifiers: list = field(default_factory=list)  # company factors of the period
    total_cap: float | None = None
    section_rule: str | None = None  # add | multiply; the rows' "section" keys name their sections


def _q(x) -> Fraction:
    """The decimal as typed (the float's shortest repr), exactly."""
    return Fraction(repr(float(x)))


def reference_curve(kind: str, points, a: Fraction, basis: str = "attainment", open_: bool = False) -> Fraction:
    """A payout curve by its definition: 0 below the first point; steps pay the level of the
    highest point reached; linear interpolates and pays the last level past the last point, or
    when open continues the last segment's slope (``a`` is the fact for a value-basis curve)."""
    pts = [(_q(x), _q(y)) for x, y in points]
    if a < pts[0][0]:
        return Fraction(0)
    if kind == "steps":
        return [y for x, y in pts if x <= a][-1]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if a <= x1:
            return y0 + (y1 - y0) * (a - x0) / (x1 - x0)
    if open_ and len(pts) > 1:
        (x0, y0), (x1, y1) = pts[-2:]
        return y1 + (a - x1) * (y1 - y0) / (x1 - x0)
    return pts[-1][1]


def reference_statement(case: Case) -> list[int]:
    """The bonus formula for one employee in exact rational arithmetic, rounding only each line's
    final amount (SPEC 3.5, 3.5.1): the definition the engine must equal. (Not Decimal: 1730.01 /
    0.91 has no finite decimal expansion, and a truncated one can turn an exact half kopeck into
    0.4999…)"""
    if case.fund is not None:
        fund = Fraction(case.fund)
    elif case.target is not None:
        fund = Fraction(case.base) * Fraction(case.target)
    else:
        v = Fraction(case.share)
        fund = Fraction(case.base) * v / (1 - v)
    year, month = int(case.period[:4]), int(case.period[5:])
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    days = max((min(case.end or last, last) - max(case.start or first, first)).days + 1, 0)
    fund *= Fraction(days, (last - first).days + 1)
    d = Fraction(1)
    for rule in case.rules:
        if OPERATORS[rule["condition"]](_q(case.turnover), _q(rule["limit"])):
            d *= _q(rule["factor"])
    shut = [g for g in case.gates if _q(case.gate_fact) / _q(case.gate_plan) < _q(g["level"])]
    coefficients = []
    for r in case.rows:
        a = max(_q(r["fact"]) / _q(r["plan"]), Fraction(0))
        if "curve" in r:
            kind, points, *rest = case.curves[r["curve"]]
            basis = rest[0] if rest else "attainment"
            c = reference_curve(kind, points, _q(r["fact"]) if basis == "value" else a, basis, *rest[1:])
        else:
            c = a
        if "cap" in r:
            c = min(c, _q(r["cap"]))
        for g in shut:
            if g["applies_to"] == r["kpi_id"]:
                c = min(c, _q(g["cap"]))
        if "threshold" in r and a < _q(r["threshold"]):
            c = Fraction(0)
        if "stop_threshold" in r and a < _q(r["stop_threshold"]):
            d = Fraction(0)
        coefficients.append(c)
    raw = sum(_q(r["weight"]) * c for r, c in zip(case.rows, coefficients))
    payout, scales = reference_sections(case, coefficients, shut, raw)
    combined = payout
    for g in shut:  # a shut gate on the total caps the weighted payout factor: every line x cap / R
        if g["applies_to"] == "total" and payout > _q(g["cap"]):
            d *= _q(g["cap"]) / payout
            payout = _q(g["cap"])
    for factor in case.modifiers:  # after D (SPEC 3.5.1)
        d *= _q(factor)
    if case.total_cap is not None and combined * d > _q(case.total_cap):  # d holds the gate's scale already
        d *= _q(case.total_cap) / (combined * d)
    return [math.floor(fund * _q(r["weight"]) * c * k * d * 100 + Fraction(1, 2))
            for r, c, k in zip(case.rows, coefficients, scales)]


def reference_sections(case: Case, coefficients, shut, raw) -> tuple[Fraction, list[Fraction]]:
    """Sections by their definition (SPEC 3.5.1): a section's factor is its KPIs' weighted
    coefficient over their weight, capped by a shut gate on the section; ``add`` sums weight x
    factor (plus the KPIs without a section), ``multiply`` takes the product of the factors and
    scales every line by product / R. Returns the combined payout factor and each line's scale."""
    names = [r.get("section") for r in case.rows]
    scales = [Fraction(1)] * len(case.rows)
    if not any(names):
        return raw, scales
    factors = {}
    for name in dict.fromkeys(n for n in names if n):
        idx = [i for i, n in enumerate(names) if n == name]
        w = sum(_q(case.rows[i]["weight"]) for i in idx)
        f = sum(_q(case.rows[i]["weight"]) * coefficients[i] for i in idx) / w
        for g in shut:
            if g["applies_to"] == name and f > _q(g["cap"]):
                for i in idx:
                    scales[i] = scales[i] * _q(g["cap"]) / f
                f = _q(g["cap"])
        factors[name] = f
    if case.section_rule == "multiply":
        product = math.prod(factors.values(), start=Fraction(1))
        return product, [product / raw if raw else Fraction(0)] * len(case.rows)
    return sum(_q(r["weight"]) * c * k for r, c, k in zip(case.rows, coefficients, scales)), scales


def reference_bonus(rows, fund: Decimal) -> tuple[list[int], int]:
    lines = reference_statement(Case(rows, fund=fund))
    return lines, sum(lines)


def case_client(case: Case):
    """The case as a client (one position, one employee), built as the loader builds it."""
    keys = ("weight", "threshold", "stop_threshold", "cap", "curve", "section")
    employee = {"employee_id": "E1", "name": "Ann", "position_id": "pos", "bonus_fund": case.fund,
                "base_salary": case.base, "start_date": case.start and case.start.isoformat(),
                "end_date": case.end and case.end.isoformat()}
    actuals = [{"period": case.period, "employee_id": "E1", "kpi_id": r["kpi_id"], "plan": r["plan"],
                "fact": r["fact"]} for r in case.rows]
    if case.rules:
        actuals.append({"period": case.period, "employee_id": "E1", "kpi_id": "turnover", "plan": None,
                        "fact": case.turnover})
    if case.gates:
        actuals.append({"period": case.period, "employee_id": "E1", "kpi_id": "gk", "plan": case.gate_plan,
                        "fact": case.gate_fact})
    kpis = [{"kpi_id": k, "name": k} for k in sorted({r["kpi_id"] for r in case.rows} | {"turnover", "gk"})]
    return make_client(
        kpis=kpis, gates=[{"position_id": "pos", "gate_kpi_id": "gk", **g} for g in case.gates] or None,
        modifiers=[{"period": case.period, "scope": "company", "factor": f, "reason": f"m{i}"}
                   for i, f in enumerate(case.modifiers)] or None,
        positions=[{"position_id": "pos", "name": "P", "department": "Sales", "variable_share": case.share,
                    "target_percent": case.target, "total_cap": case.total_cap,
                    "section_rule": case.section_rule}],
        position_kpis=[{"position_id": "pos", **{k: r[k] for k in ("kpi_id", *keys) if k in r}} for r in case.rows],
        employees=[employee], actuals=actuals, period=case.period,
        stop_factors=[{"position_id": "pos", "kpi_id": "turnover", **rule} for rule in case.rules] or None,
        curves={name: (kind, [list(p) for p in points], *rest) for name, (kind, points, *rest) in case.curves.items()})


two_places = st.decimals(min_value=0, max_value=Decimal("0.3"), places=2)


@st.composite
def curve_points(draw, kind: str):
    xs = sorted(draw(st.sets(st.decimals(min_value=Decimal("0.3"), max_value=Decimal("1.8"), places=2),
                             min_size=2, max_size=4)))
    ys = sorted(draw(st.lists(st.decimals(min_value=0, max_value=2, places=2), min_size=len(xs), max_size=len(xs))))
    return kind, tuple((float(x), float(y)) for x, y in zip(xs, ys))


@st.composite
def value_points(draw, kind: str):
    """Curve points in a KPI's own units (SPEC 3.5.1: SAP's 620 -> 50 %, 1997 -> 100 %)."""
    xs = sorted(draw(st.sets(value, min_size=2, max_size=4)))
    ys = sorted(draw(st.lists(st.decimals(min_value=0, max_value=2, places=2), min_size=len(xs), max_size=len(xs))))
    return kind, tuple((float(x), float(y)) for x, y in zip(xs, ys))


@st.composite
def cases(draw):
    """Statements with everything the formula multiplies: proration, variable-share and
    target-percent funds, payout curves (linear, steps, open, in the KPI's units) under caps and
    thresholds, stop thresholds, stop factors, sections added or multiplied, gates on a KPI, a
    section or the total, modifiers and a total cap."""
    rows, fund = draw(schemes())
    curves = {"linear": draw(curve_points("linear")), "steps": draw(curve_points("steps")),
              "open": (*draw(curve_points("linear")), "attainment", True),
              "value": (*draw(value_points(draw(st.sampled_from(["linear", "steps"])))), "value",
                        draw(st.booleans()))}
    if curves["value"][0] == "steps":
        curves["value"] = (*curves["value"][:3], False)  # a step curve is never open
    for row in rows:
        curve = draw(st.sampled_from([None, None, "linear", "steps", "open", "value"]))
        if curve:
            row["curve"] = curve
        if curve == "value" and draw(st.booleans()):  # a fact exactly at one of the curve's points
            row["fact"] = draw(st.sampled_from([x for x, _ in curves["value"][1]]))
    case = Case(rows, curves=curves, period=draw(st.sampled_from(["2026-09", "2026-10", "2026-02", "2024-02"])))
    source = draw(st.sampled_from(["fund", "share", "target"]))
    if source == "fund":
        case.fund = fund
    else:
        case.base = draw(money)
        rate = draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.6"), places=2))
        case.share, case.target = (rate, None) if source == "share" else (None, rate)
    year, month = int(case.period[:4]), int(case.period[5:])
    last = calendar.monthrange(year, month)[1]
    if draw(st.booleans()):
        case.start = date(year, month, draw(st.integers(1, last)))
    if draw(st.booleans()):
        case.end = date(year, month, draw(st.integers(case.start.day if case.start else 1, last)))
    conditions = draw(st.lists(st.tuples(st.sampled_from(sorted(OPERATORS)), two_places), max_size=2,
                               unique=True))
    case.rules = [{"condition": c, "limit": float(limit),
                   "factor": float(draw(st.decimals(min_value=0, max_value=1, places=2)))} for c, limit in conditions]
    case.turnover = float(draw(two_places))
    case.section_rule = draw(st.sampled_from([None, "add", "multiply"]))
    if case.section_rule is not None:  # sections: every KPI in one when multiplied, some without when added
        names = ["business", "team", "individual"]
        for row in rows:
            section = draw(st.sampled_from(names + ([None] if case.section_rule == "add" else [])))
            if section:
                row["section"] = section
    sections = sorted({r["section"] for r in rows if "section" in r})
    targets = st.sampled_from(["total"] + [r["kpi_id"] for r in rows] + sections)
    gates = draw(st.lists(st.fixed_dictionaries({
        "level": st.one_of(st.just(0.9), st.decimals(min_value=Decimal("0.5"), max_value=Decimal("1.2"),
                                                     places=2).map(float)),
        "applies_to": targets,
        "cap": st.decimals(min_value=0, max_value=Decimal("1.5"), places=2).map(float)}),
        max_size=2, unique_by=lambda g: g["applies_to"]))
    case.gates = gates
    case.gate_plan = float(draw(value))
    at_level = float(Decimal(repr(case.gate_plan)) * Decimal("0.9"))  # exactly at a level of 0.9
    case.gate_fact = draw(st.one_of(st.just(at_level), value.map(float)))
    case.modifiers = [float(f) for f in draw(st.lists(st.decimals(min_value=0, max_value=2, places=2), max_size=2))]
    case.total_cap = draw(st.one_of(st.none(), st.decimals(min_value=Decimal("0.1"), max_value=2, places=2).map(float)))
    return case


@settings(max_examples=300, deadline=None)
@given(schemes())
def test_engine_equals_the_decimal_reference(scheme):
    rows, fund = scheme
    result = compute_bonuses(one_employee(rows, fund=float(fund)))
    lines, total = reference_bonus(rows, fund)
    assert result.lines["bonus_minor"].tolist() == lines
    assert int(result.totals["bonus_minor"].iloc[0]) == total == int(result.lines["bonus_minor"].sum())


@settings(max_examples=400, deadline=None)
@given(cases())
def test_engine_equals_the_rational_reference_with_proration_curves_and_stop_factors(case):
    result = compute_bonuses(case_client(case))
    lines = reference_statement(case)
    assert result.lines["bonus_minor"].tolist() == lines
    assert int(result.totals["bonus_minor"].iloc[0]) == sum(lines)


@settings(max_examples=150, deadline=None)
@given(schemes(capped=True))
def test_bonus_never_exceeds_fund_times_cap(scheme):
    rows, fund = scheme
    result = compute_bonuses(one_employee(rows, fund=float(fund)))
    ceiling = sum(Decimal(repr(r["weight"])) * Decimal(repr(r["cap"])) for r in rows) * fund * 100
    assert result.totals["bonus_minor"].iloc[0] <= ceiling + len(rows)  # + half a kopeck per line


@settings(max_examples=150, deadline=None)
@given(schemes(), st.integers(0, 4), st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2))
def test_higher_fact_never_lowers_a_higher_is_better_bonus(scheme, which, extra):
    rows, fund = scheme
    which = which % len(rows)
    better = [dict(r) for r in rows]
    better[which]["fact"] = float(Decimal(repr(rows[which]["fact"])) + extra)
    before = compute_bonuses(one_employee(rows, fund=float(fund))).totals["bonus_minor"].iloc[0]
    after = compute_bonuses(one_employee(better, fund=float(fund))).totals["bonus_minor"].iloc[0]
    assert after >= before


@settings(max_examples=100, deadline=None)
@given(schemes())
def test_stop_factor_zero_pays_nothing(scheme):
    rows, fund = scheme
    rule = [{"position_id": "pos", "kpi_id": "turnover", "condition": ">=", "limit": 0, "factor": 0}]
    extra = [{"period": "2026-09", "employee_id": "E1", "kpi_id": "turnover", "plan": None, "fact": 0.05}]
    kpis = [{"kpi_id": r["kpi_id"], "name": r["kpi_id"]} for r in rows] + [{"kpi_id": "turnover", "name": "t"}]
    result = compute_bonuses(one_employee(rows, fund=float(fund), stop_factors=rule, extra_actuals=extra, kpis=kpis))
    assert result.totals["stop_factor"].iloc[0] == 0
    assert result.lines["bonus_minor"].sum() == 0 == result.totals["bonus_minor"].iloc[0]


def test_a_map_weight_of_one_third_settles_a_half_cent_exactly(client_copy, make_fixtures):
    """Map weights such as 1/3 are not short decimals: the tie is settled with the exact 1/3."""
    folder = client_copy()
    make_fixtures.head_of_sales_on_the_map(folder)  # head of sales: REV 2/3, RET 1/3
    make_fixtures.set_cell(folder, "employees.csv", 5, "bonus_fund", "0.10")  # E004
    make_fixtures.set_cell(folder, "actuals.csv", 21, "fact", "0.945")  # RET 105 %: 0.10 * 1/3 * 1.05
    make_fixtures.set_cell(folder, "actuals.csv", 23, "fact", "0.08")  # turnover within its limit: no stop factor
    result = compute_bonuses(load_client(folder), "2024-03")
    lines = result.lines[result.lines["employee_id"] == "E004"].set_index("kpi_id")
    assert lines.loc["RET", "bonus_minor"] == 4  # 3.5 cents, half up; 1/3 as 0.333… gives 3
    assert lines.loc["REV", "bonus_minor"] == 10  # capped at 1.5: 0.10 * 2/3 * 1.5
    totals = result.totals.set_index("employee_id")
    assert totals.loc["E004", "bonus_minor"] == 14


def test_an_excluded_fact_renormalises_map_weights_exactly_at_a_half_cent():
    """Map weights 1/2, 1/3, 1/6 with the 1/6 KPI's fact excluded: the 1/2 line weighs 3/5 exactly.
    (A short-decimal weight among weights that are not must not be renormalised by a partial sum.)"""
    goals = [{"goal_id": "g", "name": "Grow", "perspective": "finance"}] + [
        {"goal_id": x, "name": x, "perspective": "customers", "parent_id": "g", "strength": s}
        for x, s in (("a", 3), ("b", 2), ("c", 1))]
    kpis = [{"kpi_id": f"k{x}", "name": f"k{x}", "goal_id": x, "missing": "exclude" if x == "c" else None}
            for x in "abc"]
    weights = {"ka": 1 / 2, "kb": 1 / 3, "kc": 1 / 6}  # as the loader fills a map position's rows
    client = make_client(
        goals=goals, kpis=kpis,
        positions=[{"position_id": "ceo", "name": "CEO", "department": "Board", "level": "ceo"}],
        position_kpis=[{"position_id": "ceo", "kpi_id": k, "weight": w} for k, w in weights.items()],
        employees=[{"employee_id": "E1", "name": "Ann", "position_id": "ceo", "bonus_fund": 0.50}],
        actuals=[{"period": "2026-09", "employee_id": "E1", "kpi_id": "ka", "plan": 100, "fact": 105},
                 {"period": "2026-09", "employee_id": "E1", "kpi_id": "kb", "plan": 100, "fact": 100},
                 {"period": "2026-09", "employee_id": "E1", "kpi_id": "kc", "plan": 100, "fact": None}])
    lines = compute_bonuses(client).lines.set_index("kpi_id")
    assert lines.loc["ka", "bonus_minor"] == 32  # 0.50 * 3/5 * 1.05 = 0.315, half up
    assert lines.loc["kb", "bonus_minor"] == 20  # 0.50 * 2/5
    assert lines.loc["kc", "bonus_minor"] == 0


# --- target bonus as a share of base pay (SPEC 3.5.1) ---------------------------------------

def _target_client(base, target, facts, weights=(0.5, 0.5)):
    kpis = [f"k{i}" for i in range(len(facts))]
    return make_client(
        positions=[{"position_id": "pos", "name": "P", "department": "Sales", "target_percent": target}],
        position_kpis=[{"position_id": "pos", "kpi_id": k, "weight": w} for k, w in zip(kpis, weights)],
        employees=[{"employee_id": "E1", "name": "Ann", "position_id": "pos", "base_salary": base}],
        actuals=[{"period": "2026-09", "employee_id": "E1", "kpi_id": k, "plan": 100, "fact": f}
                 for k, f in zip(kpis, facts)])


def test_target_percent_fund_is_a_share_of_base_pay():
    """BF = 80 000 x 0.15 = 12 000; lines 12 000 x 0.5 x 1.0 = 6 000 and 12 000 x 0.5 x 1.1 = 6 600:
    12 600 (with variable_share 0.15 the fund would have been 80 000 x 0.15 / 0.85 = 14 117.65)."""
    result = compute_bonuses(_target_client(80_000, 0.15, [100, 110]))
    assert result.lines["bonus_minor"].tolist() == [600_000, 660_000]
    assert int(result.totals["fund_minor"].iloc[0]) == 1_200_000
    assert int(result.totals["bonus_minor"].iloc[0]) == 1_260_000


def test_target_percent_half_kopeck_is_settled_exactly():
    """BF = 1 000.03 x 0.5 = 500.015 exactly (the float is 500.01499…); weight 1 at 100 %: half-up
    500.02, where rounding the float gives 500.01."""
    result = compute_bonuses(_target_client(1000.03, 0.5, [100], weights=(1,)))
    assert result.lines["bonus_minor"].tolist() == [50002]


# --- curves in the KPI's units, open and stepped (SPEC 3.5.1) -------------------------------

SAP = {"sap": PayoutCurve("sap", "linear", ((620, 0.5), (1997, 1.0)), basis="value")}


@pytest.mark.parametrize("fact, expected", [
    (620, 5_000_000),      # exactly at the first point: 50 %; as attainment 620 / 1990 = 0.3115577… it paid 0
    (619.99, 0),           # below the first point: 0
    (1308.5, 7_500_000),   # halfway (620 + 1997) / 2: 0.5 + 0.5 x 688.5 / 1377 = 0.75
    (1997, 10_000_000),    # the last point: 100 % (attainment 1997 / 1990 = 100.35 %)
    (2500, 10_000_000),    # past the last point of a closed curve: the last level
])
def test_value_basis_curve_is_decided_exactly_at_its_points(fact, expected):
    """SAP's probe: target 1990, points 620 -> 50 %, 1997 -> 100 %; fund 100 000, weight 1."""
    client = one_employee([{"kpi_id": "k", "weight": 1, "plan": 1990, "fact": fact, "curve": "sap"}])
    client = client.with_config(payout_curves=SAP)
    assert compute_bonuses(client).lines["bonus_minor"].tolist() == [expected]


def test_value_basis_curve_still_applies_the_attainment_threshold_and_cap():
    """Fact 620 pays 50 % on the curve, but attainment 620 / 1990 = 31.2 % is under a 40 % threshold: 0.
    Fact 2500 pays 1.0 on the curve, capped at 0.9: 90 000."""
    rows = [{"kpi_id": "k", "weight": 0.5, "plan": 1990, "fact": 620, "curve": "sap", "threshold": 0.4},
            {"kpi_id": "j", "weight": 0.5, "plan": 1990, "fact": 2500, "curve": "sap", "cap": 0.9}]
    client = one_employee(rows).with_config(payout_curves=SAP)
    assert compute_bonuses(client).lines["bonus_minor"].tolist() == [0, 4_500_000]


@pytest.mark.parametrize("fact, cap, expected", [
    (120, None, 1_500_000),   # open: slope (1.0 - 0.5) / (1.0 - 0.8) = 2.5 goes on: 1 + 0.2 x 2.5 = 1.5
    (120, 1.4, 1_400_000),    # ... up to the KPI's cap 1.4
    (300, None, 6_000_000),   # 1 + 2.0 x 2.5 = 6: an uncapped accelerator
    (90, None, 750_000),      # inside the curve: 0.5 + 0.1 x 2.5 = 0.75
])
def test_open_curve_continues_the_last_slope_up_to_the_cap(fact, cap, expected):
    """Fund 10 000, weight 1, plan 100; curve 80 % -> 0.5, 100 % -> 1.0, open."""
    row = {"kpi_id": "k", "weight": 1, "plan": 100, "fact": fact, "curve": "acc"}
    if cap is not None:
        row["cap"] = cap
    client = one_employee([row], fund=10_000).with_config(
        payout_curves={"acc": PayoutCurve("acc", "linear", ((0.8, 0.5), (1.0, 1.0)), open=True)})
    assert compute_bonuses(client).lines["bonus_minor"].tolist() == [expected]


def test_open_curve_beyond_the_money_limit_is_refused_not_wrapped():
    client = one_employee([{"kpi_id": "k", "weight": 1, "plan": 1, "fact": 1e12, "curve": "acc"}],
                          fund=10_000_000).with_config(
        payout_curves={"acc": PayoutCurve("acc", "linear", ((0.8, 0.5), (1.0, 1.0)), open=True)})
    problems = _refused(client)
    assert problems[0].column == "fact" and "2**52 minor units" in problems[0].message


def test_value_basis_step_curve_pays_the_level_of_the_highest_point_reached():
    """Calls per month: 40 -> 0.5, 60 -> 1.0, 80 -> 1.3 (fund 1 000): fact 59.999 -> 0.5, 60 -> 1.0, 95 -> 1.3."""
    curves = {"calls": PayoutCurve("calls", "steps", ((40, 0.5), (60, 1.0), (80, 1.3)), basis="value")}
    rows = [{"kpi_id": f"k{i}", "weight": w, "plan": 50, "fact": f, "curve": "calls"}
            for i, (w, f) in enumerate([(0.25, 59.999), (0.25, 60), (0.5, 95)])]
    client = one_employee(rows, fund=1000).with_config(payout_curves=curves)
    assert compute_bonuses(client).lines["bonus_minor"].tolist() == [12500, 25000, 65000]


def test_a_curve_has_a_display_name_per_language():
    curve = PayoutCurve("sales_curve", "linear", ((1, 1),), label={"en": "Sales scale", "ru": "Шкала продаж"})
    assert (curve.display_name("en"), curve.display_name("ru")) == ("Sales scale", "Шкала продаж")
    assert PayoutCurve("c", "linear", ((1, 1),)).display_name("en") is None


# --- gates (SPEC 3.5.1) ----------------------------------------------------------------------

def _gated(sales, margin, gates, ebitda=None):
    """Fund 100 000; sales weight 0.6 (plan 100), margin weight 0.4 (plan 13)."""
    rows = [{"kpi_id": "sales", "weight": 0.6, "plan": 100, "fact": sales},
            {"kpi_id": "margin", "weight": 0.4, "plan": 13, "fact": margin}]
    extra = [] if ebitda is None else [
        {"period": "2026-09", "employee_id": "E1", "kpi_id": "ebitda", "plan": 200, "fact": ebitda}]
    client = one_employee(rows, extra_actuals=extra,
                          kpis=[{"kpi_id": k, "name": k} for k in ("ebitda", "margin", "sales")])
    from builders import frame
    return client.with_tables(gates=frame("gates", [{"position_id": "pos", **g} for g in gates]))


SALES_GATE = [{"gate_kpi_id": "margin", "level": 0.9, "applies_to": "sales", "cap": 1}]


@pytest.mark.parametrize("margin, lines, shut", [
    (11.05, [6_000_000, 3_400_000], True),   # margin 85 % < 90 %: sales capped at 1.0: 60 000; margin 0.4 x 0.85
    (11.7, [7_800_000, 3_600_000], False),   # 11.7 / 13 is exactly 90 % (the float says 0.8999…): open, 0.6 x 1.3
])
def test_gate_caps_a_kpi_until_the_gate_kpi_reaches_its_level(margin, lines, shut):
    result = compute_bonuses(_gated(130, margin, SALES_GATE))
    assert result.lines["bonus_minor"].tolist() == lines
    assert (result.totals["gates"].iloc[0] == "margin < 0.9: sales x1") is shut


def test_gate_on_the_total_with_cap_zero_pays_nothing_and_says_why():
    """EBITDA (a company KPI not paid on) 190 of 200 = 95 % < 100 %: the total is capped at 0."""
    result = compute_bonuses(_gated(130, 13, [{"gate_kpi_id": "ebitda", "level": 1, "applies_to": "total", "cap": 0}],
                                    ebitda=190))
    assert result.lines["bonus_minor"].tolist() == [0, 0]
    assert result.lines["reason"].tolist() == ["gate", "gate"]
    assert result.totals["reason"].iloc[0] == "gate"


def test_gate_on_the_total_caps_the_weighted_payout_factor():
    """Shut gate, cap 1: R = 0.6 x 1.3 + 0.4 x 1.0 = 1.18 > 1, every line x 1 / 1.18:
    78 000 / 1.18 = 66 101.6949… -> 66 101.69 and 40 000 / 1.18 = 33 898.3050… -> 33 898.31 (100 000.00).
    EBITDA at exactly 100 % opens the gate: 78 000 + 40 000."""
    gate = [{"gate_kpi_id": "ebitda", "level": 1, "applies_to": "total", "cap": 1}]
    assert compute_bonuses(_gated(130, 13, gate, ebitda=190)).lines["bonus_minor"].tolist() == [6_610_169, 3_389_831]
    assert compute_bonuses(_gated(130, 13, gate, ebitda=200)).lines["bonus_minor"].tolist() == [7_800_000, 4_000_000]


def test_gate_total_scale_settles_a_half_kopeck_exactly():
    """Cap 0.5 with R = 0.6 x 1 + 0.4 x 1.5 = 1.2: scale 5/12; fund 100.02: sales line
    100.02 x 0.6 x 1 x 5/12 = 25.005 exactly -> 25.01 (half-up), margin 100.02 x 0.4 x 1.5 x 5/12 = 25.005 -> 25.01."""
    rows = [{"kpi_id": "sales", "weight": 0.6, "plan": 100, "fact": 100},
            {"kpi_id": "margin", "weight": 0.4, "plan": 100, "fact": 150}]
    from builders import frame
    client = one_employee(rows, fund=100.02, extra_actuals=[
        {"period": "2026-09", "employee_id": "E1", "kpi_id": "ebitda", "plan": 1, "fact": 0.5}],
        kpis=[{"kpi_id": k, "name": k} for k in ("ebitda", "margin", "sales")])
    client = client.with_tables(gates=frame("gates", [
        {"position_id": "pos", "gate_kpi_id": "ebitda", "level": 1, "applies_to": "total", "cap": 0.5}]))
    assert compute_bonuses(client).lines["bonus_minor"].tolist() == [2501, 2501]


def test_a_gate_kpi_without_a_fact_is_a_client_data_error_not_an_open_gate():
    gate = [{"gate_kpi_id": "ebitda", "level": 1, "applies_to": "total", "cap": 0}]
    problems = _refused(_gated(130, 13, gate))
    assert "has no fact for it in period 2026-09" in problems[0].message


# --- modifiers and the total cap (SPEC 3.5.1) ------------------------------------------------

def _modified(facts, modifiers, turnover=None, total_cap=None):
    from builders import frame
    client = seed_case(facts, turnover)
    positions = [{"position_id": "pos", "name": "Position", "department": "Sales", "total_cap": total_cap}]
    return client.with_tables(modifiers=frame("modifiers", modifiers), positions=frame("positions", positions))


COMPANY = {"period": "2026-09", "scope": "company", "factor": 1.1, "reason": "Company result"}
SALES = {"period": "2026-09", "scope": "department", "id": "Sales", "factor": 0.9, "reason": "Sales department"}


def test_modifiers_multiply_after_d_and_are_reported_apart_with_their_reasons():
    """Seed 001 lines 45 000, 28 500, 13 000; company x1.1 and Sales x0.9: x0.99 ->
    44 550, 28 215, 12 870 = 85 635. A modifier of another period or department does not apply."""
    other = [{**COMPANY, "period": "2026-08", "factor": 2}, {**SALES, "id": "Logistics", "factor": 2}]
    result = compute_bonuses(_modified((90, 95, 65), [COMPANY, SALES, *other]))
    assert result.lines["bonus_minor"].tolist() == [4_455_000, 2_821_500, 1_287_000]
    row = result.totals.iloc[0]
    assert row["modifier"] == pytest.approx(0.99) and row["stop_factor"] == 1
    assert row["modifier_reasons"] == "Company result (x1.1); Sales department (x0.9)"


def test_a_modifier_above_one_applies_after_the_stop_factor():
    """Turnover 12 % > 10 %: D = 0.5; then an individual x1.2: 86 500 x 0.5 x 1.2 = 51 900."""
    person = {"period": "2026-09", "scope": "employee", "id": "E1", "factor": 1.2, "reason": "Key deal"}
    result = compute_bonuses(_modified((90, 95, 65), [person], turnover=0.12))
    assert result.lines["bonus_minor"].tolist() == [2_700_000, 1_710_000, 780_000]
    assert result.totals["modifier_reasons"].iloc[0] == "Key deal"


def test_total_cap_limits_the_final_payout_as_a_share_of_the_fund():
    """Facts 130, 95, 65: R = 0.65 + 0.285 + 0.13 = 1.065; x1.2 (position modifier) = 1.278 > total_cap 1:
    every line x 1 / 1.278: 65 000 x 1.2 / 1.278 = 61 032.8638… -> 61 032.86, 28 500 x … = 26 760.5633… ->
    26 760.56, 13 000 x … = 12 206.5727… -> 12 206.57 (99 999.99, within the fund)."""
    position = {"period": "2026-09", "scope": "position", "id": "pos", "factor": 1.2, "reason": "Season"}
    result = compute_bonuses(_modified((130, 95, 65), [position], total_cap=1))
    assert result.lines["bonus_minor"].tolist() == [6_103_286, 2_676_056, 1_220_657]
    uncapped = compute_bonuses(_modified((130, 95, 65), [position], total_cap=1.5))
    assert uncapped.lines["bonus_minor"].tolist() == [7_800_000, 3_420_000, 1_560_000]


# --- sections (SPEC 3.5.1) --------------------------------------------------------------------

def _sectioned(rule, gates=(), training=8):
    """Fund 100 000. business: sales w 0.5 (120 of 100: c 1.2), margin w 0.2 (9 of 10: c 0.9);
    individual: training w 0.3 (8 of 10: c 0.8, threshold 0.7)."""
    from builders import sectioned_client
    return sectioned_client(rule, gates, training)


def test_sections_added_are_the_seeds_formula_with_each_sections_factor_reported():
    """add: 100 000 x (0.5 x 1.2 + 0.2 x 0.9 + 0.3 x 0.8) = 60 000 + 18 000 + 24 000 = 102 000;
    business factor (0.6 + 0.18) / 0.7 = 39/35 = 1.1142857…, individual 0.24 / 0.3 = 0.8; total 1.02."""
    result = compute_bonuses(_sectioned("add"))
    assert result.lines["bonus_minor"].tolist() == [6_000_000, 1_800_000, 2_400_000]
    row = result.totals.iloc[0]
    assert row["payout_factor"] == pytest.approx(1.02)
    assert row["section_factors"] == (("business", pytest.approx(39 / 35)), ("individual", pytest.approx(0.8)))
    assert row["section_rule"] == "add"


def test_sections_multiplied_pay_the_fund_times_the_product_of_the_section_factors():
    """multiply: 100 000 x 39/35 x 0.8 = 89 142.857…; the lines keep their shares of R = 1.02, each
    x (156/175) / 1.02: 60 000 -> 52 436.9747… = 52 436.97, 18 000 -> 15 731.0924… = 15 731.09,
    24 000 -> 20 974.7899… = 20 974.79 (89 142.85: only each line is rounded)."""
    result = compute_bonuses(_sectioned("multiply"))
    assert result.lines["bonus_minor"].tolist() == [5_243_697, 1_573_109, 2_097_479]
    assert result.totals["payout_factor"].iloc[0] == pytest.approx(156 / 175)


def test_a_multiplied_section_below_its_threshold_pays_nothing_at_all():
    """training 6 of 10 < threshold 0.7: individual factor 0, product 0: every line 0, though
    business alone would pay 78 000 when added."""
    assert compute_bonuses(_sectioned("multiply", training=6)).lines["bonus_minor"].tolist() == [0, 0, 0]
    assert compute_bonuses(_sectioned("add", training=6)).lines["bonus_minor"].tolist() == [6_000_000, 1_800_000, 0]


MARGIN_GATE_ON_BUSINESS = [{"gate_kpi_id": "margin", "level": 1, "applies_to": "business", "cap": 1}]


def test_a_gate_on_a_section_caps_its_factor_when_added():
    """margin 90 % < 100 %: business factor 39/35 capped at 1, its lines x 35/39:
    60 000 x 35/39 = 53 846.1538… -> 53 846.15, 18 000 x 35/39 = 16 153.8461… -> 16 153.85;
    individual untouched: 24 000 (94 000.00; payout factor 0.7 x 1 + 0.24 = 0.94)."""
    result = compute_bonuses(_sectioned("add", MARGIN_GATE_ON_BUSINESS))
    assert result.lines["bonus_minor"].tolist() == [5_384_615, 1_615_385, 2_400_000]
    row = result.totals.iloc[0]
    assert row["payout_factor"] == pytest.approx(0.94)
    assert row["gates"] == "margin < 1: business x1"
    assert row["section_factors"] == (("business", 1.0), ("individual", pytest.approx(0.8)))


def test_a_gate_on_a_section_caps_its_factor_when_multiplied():
    """business capped at 1: 100 000 x 1 x 0.8 = 80 000, lines x 0.8 / 1.02: 47 058.8235… -> 47 058.82,
    14 117.6470… -> 14 117.65, 18 823.5294… -> 18 823.53 (80 000.00)."""
    result = compute_bonuses(_sectioned("multiply", MARGIN_GATE_ON_BUSINESS))
    assert result.lines["bonus_minor"].tolist() == [4_705_882, 1_411_765, 1_882_353]


def test_a_section_gate_with_cap_zero_zeroes_its_lines_and_says_gate():
    gate = [{"gate_kpi_id": "margin", "level": 1, "applies_to": "individual", "cap": 0}]
    result = compute_bonuses(_sectioned("add", gate))
    assert result.lines["bonus_minor"].tolist() == [6_000_000, 1_800_000, 0]
    assert result.lines["reason"].tolist() == ["", "", "gate"]


# --- year to date with catch-up (SPEC 3.5.1) --------------------------------------------------

def _ytd(clawback=None, start=None, facts=None):
    """Fund 1 000 a month; sales (weight 1, plan 100 a month, threshold 0.7, cap 1.1) on the year to
    date; facts 120, 60, 20, 200 for 2026-01 to 2026-04 (tests/builders.ytd_client)."""
    from builders import ytd_client
    return ytd_client(clawback, start, facts)


def test_year_to_date_pays_the_cumulative_bonus_minus_what_was_paid_and_carries_a_shortfall():
    """January 120 of 100: 1.2 capped 1.1 x 1 000 = 1 100.
    February to date 180 of 200 = 0.9: 0.9 x 2 000 = 1 800, minus 1 100 paid = 700.
    March to date 200 of 300 = 0.666… < threshold 0.7: 0, minus 1 800 paid: -1 800 carried, 0 paid.
    April to date 400 of 400 = 1: 4 000 minus 1 800 paid = 2 200 (the catch-up)."""
    totals = compute_bonuses(_ytd(), "all").totals
    assert totals["bonus_minor"].tolist() == [110_000, 70_000, 0, 220_000]
    assert totals["ytd_minor"].tolist() == [110_000, 180_000, 0, 400_000]
    assert totals["paid_to_date_minor"].tolist() == [0, 110_000, 180_000, 180_000]
    assert totals["carried_minor"].tolist() == [0, 0, 180_000, 0]
    assert totals["paid_recomputed"].tolist() == ["", "2026-01", "2026-01, 2026-02", "2026-01, 2026-02, 2026-03"]
    assert set(totals["payout_basis"]) == {"ytd"}
    assert totals["months"].iloc[-1] == "2026-01, 2026-02, 2026-03, 2026-04"


def test_year_to_date_lines_hold_the_cumulative_plan_fact_and_amount():
    lines = compute_bonuses(_ytd(), "2026-02").lines
    assert lines[["plan", "fact", "bonus_minor"]].to_numpy().tolist() == [[200, 180, 180_000]]


def test_year_to_date_claws_back_only_when_asked():
    """clawback yes: March pays -1 800 (0 to date minus 1 800 paid); April 4 000 minus 0 paid net = 4 000."""
    totals = compute_bonuses(_ytd(clawback="yes"), "all").totals
    assert totals["bonus_minor"].tolist() == [110_000, 70_000, -180_000, 400_000]
    assert totals["carried_minor"].tolist() == [0, 0, 0, 0]


def test_year_to_date_takes_what_the_ledger_says_was_paid_for_closed_periods():
    """January was closed paying 1 000 (the ledger's amount stands): February 1 800 - 1 000 = 800;
    March recomputes February as 1 800 - 1 000 = 800 paid: 0 - 1 800 carried."""
    paid = pd.DataFrame({"period": ["2026-01"], "employee_id": ["E1"], "bonus_minor": [100_000]})
    totals = compute_bonuses(_ytd(), ["2026-02", "2026-03"], paid=paid).totals
    assert totals["bonus_minor"].tolist() == [80_000, 0]
    assert totals["paid_from_ledger"].tolist() == ["2026-01", "2026-01"]
    assert totals["paid_recomputed"].tolist() == ["", "2026-02"]
    assert totals["carried_minor"].tolist() == [0, 180_000]


def test_year_to_date_fund_sums_each_periods_prorated_fund():
    """Joined 2026-02-15: January 0/31, February 14/28: the fund to date is 1 000 x (0 + 1/2) = 500;
    facts January none, February 90 of 100: 0.9 x 500 = 450. March: 1 000 x 1.5 = 1 500 x (90 + 100) /
    200 = 0.95: 1 425, minus 450 = 975."""
    facts = {"2026-02": 90, "2026-03": 100}
    totals = compute_bonuses(_ytd(start="2026-02-15", facts=facts), ["2026-02", "2026-03"]).totals
    assert totals["ytd_minor"].tolist() == [45_000, 142_500]
    assert totals["bonus_minor"].tolist() == [45_000, 97_500]


def test_year_to_date_starts_again_each_january():
    facts = {"2025-12": 200, "2026-01": 100}
    totals = compute_bonuses(_ytd(facts=facts), ["2026-01"]).totals
    assert totals["bonus_minor"].tolist() == [100_000] and totals["paid_to_date_minor"].tolist() == [0]


def test_gate_ignores_an_employee_of_the_position_who_left_earlier(client_copy):
    """Regression: a gate on a position raised 'no fact' for an employee who had left before the
    period (no rows, no statement); the run must go on and decide the others' gates."""
    from kpi_toolkit.inputs.loading import load_client
    from kpi_toolkit.method.calculate import calculate
    folder = client_copy()
    (folder / "gates.csv").write_text("position_id,gate_kpi_id,level,applies_to,cap\n"
                                      "sales-manager,REV,0.9,total,1\n", encoding="utf-8")
    with open(folder / "employees.csv", "a", encoding="utf-8") as f:
        f.write("E099,Left Earlier,sales-manager,Sales,1500,,2022-01-10,2023-12-31\n")
    totals = calculate(load_client(folder)).bonus.totals
    assert "E099" not in set(totals["employee_id"]) or (totals.set_index("employee_id").loc["E099", "bonus_minor"] == 0)
    assert (totals["bonus_minor"] > 0).any()
