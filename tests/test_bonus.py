"""The bonus formula: seed 001 worked examples, exactness, proration, properties."""
from datetime import date
import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from builders import make_client, one_employee
from kpi_toolkit.bonus import (bonus_fund_from_variable_share, compute_bonuses, days_employed, period_bounds,
                               seed_001_bonus)

SEED_001 = [  # fund 100 000 split 50/30/20; thresholds 70 %, 85 % (blocking), 60 %
    {"kpi_id": "sales", "weight": 0.5, "threshold": 0.7, "plan": 100},
    {"kpi_id": "margin", "weight": 0.3, "threshold": 0.85, "stop_threshold": 0.85, "plan": 100},
    {"kpi_id": "clients", "weight": 0.2, "threshold": 0.6, "plan": 100},
]
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


def reference_bonus(rows, fund: Decimal) -> tuple[list[int], int]:
    """The seed-001 formula for one employee in exact rational arithmetic: the definition the
    engine must equal. (Not Decimal: 1730.01 / 0.91 has no finite decimal expansion, and a
    truncated one can turn an exact half kopeck into 0.4999…)"""
    fund = Fraction(fund.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    d = Fraction(1)
    coefficients = []
    for r in rows:
        a = max(Fraction(repr(r["fact"])) / Fraction(repr(r["plan"])), Fraction(0))
        c = a if "cap" not in r else min(a, Fraction(repr(r["cap"])))
        if "threshold" in r and a < Fraction(repr(r["threshold"])):
            c = Fraction(0)
        if "stop_threshold" in r and a < Fraction(repr(r["stop_threshold"])):
            d = Fraction(0)
        coefficients.append(c)
    lines = [math.floor(fund * Fraction(repr(r["weight"])) * c * d * 100 + Fraction(1, 2))
             for r, c in zip(rows, coefficients)]
    return lines, sum(lines)


@settings(max_examples=300, deadline=None)
@given(schemes())
def test_engine_equals_the_decimal_reference(scheme):
    rows, fund = scheme
    result = compute_bonuses(one_employee(rows, fund=float(fund)))
    lines, total = reference_bonus(rows, fund)
    assert result.lines["bonus_minor"].tolist() == lines
    assert int(result.totals["bonus_minor"].iloc[0]) == total == int(result.lines["bonus_minor"].sum())


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
