"""Team KPIs and bonus periods longer than a month (SPEC §3.4), computed end to end."""
from __future__ import annotations

import pandas as pd
import pytest

from builders import make_client
from kpi_toolkit.method.bonus import compute_bonuses
from kpi_toolkit.method.matrix import kpi_matrix
from kpi_toolkit.method.teams import bonus_months, combine_months

SALES_POSITIONS = [
    {"position_id": "head", "name": "Head of sales", "department": "Sales"},
    {"position_id": "manager", "name": "Sales manager", "department": "Sales", "reports_to": "head"},
]
TEAM_KPIS = [
    {"kpi_id": "rev", "name": "Revenue", "unit": "kRUB"},
    {"kpi_id": "team_rev", "name": "Team revenue", "unit": "kRUB", "aggregate": "sum", "aggregate_of": "rev",
     "aggregate_over": "reports"},
]


def _sales_team(plans_facts, *, extra_employees=(), extra_actuals=(), kpis=TEAM_KPIS, threshold=0.7):
    """A head of sales in Moscow paid on his team's revenue, managers M1.. in Moscow with the
    given (plan, fact) each, and a head and a manager in Kazan."""
    employees = [{"employee_id": "H1", "name": "Head Moscow", "position_id": "head", "department": "Sales (Moscow)",
                  "bonus_fund": 100_000},
                 {"employee_id": "H2", "name": "Head Kazan", "position_id": "head", "department": "Sales (Kazan)",
                  "bonus_fund": 100_000},
                 {"employee_id": "K1", "name": "Manager Kazan", "position_id": "manager",
                  "department": "Sales (Kazan)", "bonus_fund": 10_000}]
    actuals = [{"period": "2026-09", "employee_id": "K1", "kpi_id": "rev", "plan": 50, "fact": 60}]
    for i, (plan, fact) in enumerate(plans_facts, start=1):
        employees.append({"employee_id": f"M{i}", "name": f"Manager {i}", "position_id": "manager",
                          "department": "Sales (Moscow)", "bonus_fund": 10_000})
        actuals.append({"period": "2026-09", "employee_id": f"M{i}", "kpi_id": "rev", "plan": plan, "fact": fact})
    return make_client(
        positions=SALES_POSITIONS,
        position_kpis=[{"position_id": "head", "kpi_id": "team_rev", "weight": 1, "threshold": threshold},
                       {"position_id": "manager", "kpi_id": "rev", "weight": 1}],
        employees=employees + list(extra_employees), actuals=actuals + list(extra_actuals), kpis=kpis)


def test_head_of_sales_team_sum_reaches_his_70_percent_threshold_exactly():
    # Plans 71.3 + 45.7 + 27.3 = 144.3; facts 49.91 + 31.99 + 19.11 = 101.01 = 0.7 * 144.3 exactly.
    # In binary floating point the facts add up to 101.00999999999999, below 70 %: the team sum
    # must be the decimal sum, so the head reaches his threshold and gets 100 000 * 0.7 = 70 000.
    client = _sales_team([(71.3, 49.91), (45.7, 31.99), (27.3, 19.11)])
    bonus = compute_bonuses(client)
    head = bonus.lines[bonus.lines["employee_id"] == "H1"].iloc[0]
    assert head["kpi_id"] == "team_rev"
    assert (head["plan"], head["fact"]) == (144.3, 101.01)
    assert head["members"] == "M1, M2, M3"  # not K1, the Kazan manager
    assert head["reason"] == "" and head["bonus_minor"] == 7_000_000
    totals = bonus.totals.set_index("employee_id")
    assert totals.at["H1", "bonus_minor"] == 7_000_000


def test_team_below_threshold_pays_nothing_and_each_office_counts_its_own():
    # Moscow: plans 100 + 100, facts 69 + 70 -> 139 / 200 = 69.5 % < 70 %: nothing.
    # Kazan: K1 alone, 60 / 50 = 120 % -> 100 000 * 1.2 = 120 000.
    client = _sales_team([(100, 69), (100, 70)])
    lines = compute_bonuses(client).lines.set_index("employee_id")
    assert lines.at["H1", "fact"] == 139 and lines.at["H1", "reason"] == "below_threshold"
    assert lines.at["H1", "bonus_minor"] == 0
    assert lines.at["H2", "members"] == "K1" and lines.at["H2", "bonus_minor"] == 12_000_000


def test_only_members_with_a_row_count_and_a_missing_fact_follows_the_members_policy():
    # M3 has no row: not counted. M2's fact is missing and 'rev' counts a missing fact as 0:
    # plan 100 + 100 = 200, fact 90 + 0 = 90 -> 45 %. With 'exclude' M2 is left out: 90 / 100.
    extra = [{"employee_id": "M3", "name": "Manager 3", "position_id": "manager", "department": "Sales (Moscow)",
              "bonus_fund": 10_000}]
    for policy, plan, fact, members in (("zero", 200, 90, "M1, M2"), ("exclude", 100, 90, "M1")):
        kpis = [{**TEAM_KPIS[0], "missing": policy}, TEAM_KPIS[1]]
        client = _sales_team([(100, 90), (100, None)], extra_employees=extra, kpis=kpis)
        head = kpi_matrix(client).set_index("employee_id").loc["H1"]
        assert (head["plan"], head["fact"], head["members"]) == (plan, fact, members)


def test_department_mean_takes_the_other_employees_of_the_employees_own_department():
    # team_nps: mean of the department's other employees' nps, over 'Sales (Moscow)' only
    # (not the position's default 'Sales'): M1 plan 80 fact 90, M2 plan 60 fact 30 ->
    # plan (80 + 60) / 2 = 70, fact (90 + 30) / 2 = 60; H1's own nps (plan 1, fact 1) is not his team's.
    kpis = [{"kpi_id": "nps", "name": "NPS"},
            {"kpi_id": "team_nps", "name": "Team NPS", "aggregate": "mean", "aggregate_of": "nps",
             "aggregate_over": "department"}]
    client = make_client(
        positions=SALES_POSITIONS,
        position_kpis=[{"position_id": "head", "kpi_id": "team_nps", "weight": 1},
                       {"position_id": "manager", "kpi_id": "nps", "weight": 1}],
        employees=[{"employee_id": "H1", "name": "H", "position_id": "head", "department": "Sales (Moscow)",
                    "bonus_fund": 1000},
                   {"employee_id": "M1", "name": "A", "position_id": "manager", "department": "Sales (Moscow)",
                    "bonus_fund": 100},
                   {"employee_id": "M2", "name": "B", "position_id": "manager", "department": "Sales (Moscow)",
                    "bonus_fund": 100},
                   {"employee_id": "K1", "name": "C", "position_id": "manager", "department": "Sales (Kazan)",
                    "bonus_fund": 100}],
        actuals=[{"period": "2026-09", "employee_id": e, "kpi_id": "nps", "plan": p, "fact": f}
                 for e, p, f in (("H1", 1, 1), ("M1", 80, 90), ("M2", 60, 30), ("K1", 10, 10))],
        kpis=kpis)
    head = kpi_matrix(client).set_index("employee_id").loc["H1"]
    assert (head["plan"], head["fact"], head["members"]) == (70, 60, "M1, M2")


def test_a_director_paid_on_the_sum_of_his_heads_team_results():
    # div_rev aggregates team_rev over the heads reporting to the director (a team of teams):
    # Moscow team 100 + 50 = 150 (fact 120 + 30 = 150); the director's plan 150, fact 150.
    positions = [{"position_id": "director", "name": "Sales director", "department": "Sales (Moscow)"},
                 {**SALES_POSITIONS[0], "reports_to": "director"}, SALES_POSITIONS[1]]
    kpis = TEAM_KPIS + [{"kpi_id": "div_rev", "name": "Division revenue", "aggregate": "sum",
                         "aggregate_of": "team_rev", "aggregate_over": "reports"}]
    client = make_client(
        positions=positions,
        position_kpis=[{"position_id": "director", "kpi_id": "div_rev", "weight": 1},
                       {"position_id": "head", "kpi_id": "team_rev", "weight": 1},
                       {"position_id": "manager", "kpi_id": "rev", "weight": 1}],
        employees=[{"employee_id": "D1", "name": "D", "position_id": "director", "department": "Sales (Moscow)",
                    "bonus_fund": 1000}]
        + [{"employee_id": e, "name": e, "position_id": p, "department": "Sales (Moscow)", "bonus_fund": 100}
           for e, p in (("H1", "head"), ("M1", "manager"), ("M2", "manager"))],
        actuals=[{"period": "2026-09", "employee_id": "M1", "kpi_id": "rev", "plan": 100, "fact": 120},
                 {"period": "2026-09", "employee_id": "M2", "kpi_id": "rev", "plan": 50, "fact": 30}],
        kpis=kpis)
    m = kpi_matrix(client).set_index("employee_id")
    assert (m.at["H1", "plan"], m.at["H1", "fact"]) == (150, 150)
    assert (m.at["D1", "plan"], m.at["D1", "fact"], m.at["D1", "members"]) == (150, 150, "H1")


QUARTER_KPIS = [
    {"kpi_id": "rev", "name": "Revenue", "unit": "kRUB"},  # period_aggregation: sum (the default)
    {"kpi_id": "stock", "name": "Stock level", "unit": "days", "period_aggregation": "last"},
    {"kpi_id": "nps", "name": "NPS", "unit": "%", "period_aggregation": "mean", "missing": "exclude"},
]
QUARTER = {  # month: (plan, fact) of rev, stock, nps
    "2026-11": ((100, 90), (50, 55), (80, 70)),
    "2026-12": ((100, 120), (50, 45), (80, 90)),
    "2027-01": ((100, 60), (40, 40), (80, 86)),
}


def _quarter_client(quarter=QUARTER, period="2027-01", start_date="2026-11-16"):
    actuals = [{"period": month, "employee_id": "E1", "kpi_id": k["kpi_id"], "plan": plan, "fact": fact}
               for month, values in quarter.items() for k, (plan, fact) in zip(QUARTER_KPIS, values)]
    return make_client(
        positions=[{"position_id": "pos", "name": "Manager", "department": "Sales"}],
        position_kpis=[{"position_id": "pos", "kpi_id": "rev", "weight": 0.5},
                       {"position_id": "pos", "kpi_id": "stock", "weight": 0.25},
                       {"position_id": "pos", "kpi_id": "nps", "weight": 0.25}],
        employees=[{"employee_id": "E1", "name": "Ann", "position_id": "pos", "bonus_fund": 92_000,
                    "start_date": start_date}],
        actuals=actuals, kpis=QUARTER_KPIS, period=period, bonus_period_months=3)


def test_a_quarter_combines_its_months_by_each_kpis_period_aggregation():
    # Period 2027-01 with bonus_period_months 3 is November 2026 to January 2027 (92 days).
    # rev (sum):   plan 100 + 100 + 100 = 300, fact 90 + 120 + 60 = 270 -> 90 %
    # stock (last): January's plan 40, fact 40 -> 100 %
    # nps (mean):  plan 80, fact (70 + 90 + 86) / 3 = 82 -> 102.5 %
    # Ann joined on 16 November: 15 + 31 + 31 = 77 of 92 days -> fund 92 000 * 77 / 92 = 77 000.
    # Lines: 77 000 * 0.5 * 0.9 = 34 650; 77 000 * 0.25 * 1 = 19 250; 77 000 * 0.25 * 1.025 = 19 731.25;
    # total 73 631.25.
    bonus = compute_bonuses(_quarter_client())
    lines = bonus.lines.set_index("kpi_id")
    assert lines.loc["rev", ["plan", "fact"]].tolist() == [300, 270]
    assert lines.loc["stock", ["plan", "fact"]].tolist() == [40, 40]
    assert lines.loc["nps", ["plan", "fact"]].tolist() == [80, 82]
    assert lines["bonus_minor"].to_dict() == {"rev": 3_465_000, "stock": 1_925_000, "nps": 1_973_125}
    total = bonus.totals.iloc[0]
    assert (total["days_employed"], total["period_days"], total["fund_minor"]) == (77, 92, 7_700_000)
    assert total["bonus_minor"] == 7_363_125
    assert total["months"] == "2026-11, 2026-12, 2027-01"


def test_a_missing_month_follows_the_kpis_missing_policy():
    # nps 'exclude': December's fact is missing, so December is left out of the mean:
    # plan (80 + 80) / 2 = 80, fact (70 + 86) / 2 = 78 -> 97.5 %.
    quarter = {**QUARTER, "2026-12": ((100, 120), (50, 45), (80, None))}
    lines = compute_bonuses(_quarter_client(quarter)).lines.set_index("kpi_id")
    assert lines.loc["nps", ["plan", "fact"]].tolist() == [80, 78]
    assert lines.loc["nps", "fact_status"] == "ok"


def test_the_period_named_is_the_quarters_last_month_not_its_first():
    # Before: period 2026-11 with 3 months took November's facts alone over November-January.
    # Now 2026-11 names September-November; its actuals here are November's only (the others
    # months have none): rev 90 / 100, proration 15 of 91 days (Sep 30 + Oct 31 + Nov 30).
    bonus = compute_bonuses(_quarter_client(period="2026-11"))
    total = bonus.totals.iloc[0]
    assert (total["days_employed"], total["period_days"]) == (15, 91)
    assert total["months"] == "2026-09, 2026-10, 2026-11"
    assert bonus.lines.set_index("kpi_id").loc["rev", "fact"] == 90


def test_all_periods_are_the_bonus_periods_counted_from_the_period_reported():
    client = _quarter_client()
    assert kpi_matrix(client, "all")["period"].astype(str).unique().tolist() == ["2027-01"]
    assert bonus_months("2027-01", 3) == ["2026-11", "2026-12", "2027-01"]


def test_combine_months_sums_exactly():
    actuals = pd.DataFrame({"period": ["2026-11", "2026-12", "2027-01"], "employee_id": "E1", "kpi_id": "k",
                            "plan": [0.1, 0.2, 0.3], "fact": [49.91, 31.99, 19.11]})
    kpis = pd.DataFrame({"kpi_id": ["k"], "missing": [None], "period_aggregation": [None]})
    out = combine_months(actuals, pd.Index(["2027-01"]), 3, pd.Index(["E1"]), kpis)
    assert out[["plan", "fact"]].iloc[0].tolist() == [0.6, 101.01]  # not 0.6000000000000001, 101.00999999999999


def test_a_team_whose_every_member_is_left_out_has_no_fact():
    # The only Moscow manager's fact is missing and 'rev' leaves it out: the head's team has no
    # fact, and 'team_rev' (missing: exclude) leaves the line out with the weights renormalised.
    kpis = [{**TEAM_KPIS[0], "missing": "exclude"}, {**TEAM_KPIS[1], "missing": "exclude"}]
    client = _sales_team([(100, None)], kpis=kpis)
    head = kpi_matrix(client).set_index("employee_id").loc["H1"]
    assert head["fact_status"] == "missing_excluded" and head["members"] == ""


def test_a_large_department_team_is_counted_not_listed():
    # 60 analysts, each paid on the mean score of the 59 others: counted on every line, the ids
    # not listed (they would fill the statement); the mean of the others' 1..60 less one's own.
    from kpi_toolkit.method.teams import MEMBERS_LISTED

    n = MEMBERS_LISTED + 10
    client = make_client(
        positions=[{"position_id": "analyst", "name": "Analyst", "department": "Research"}],
        position_kpis=[{"position_id": "analyst", "kpi_id": "team_score", "weight": 1}],
        employees=[{"employee_id": f"A{i:02d}", "name": f"A{i}", "position_id": "analyst", "bonus_fund": 100}
                   for i in range(1, n + 1)],
        actuals=[{"period": "2026-09", "employee_id": f"A{i:02d}", "kpi_id": "score", "plan": 10, "fact": i}
                 for i in range(1, n + 1)],
        kpis=[{"kpi_id": "score", "name": "Score"},
              {"kpi_id": "team_score", "name": "Team score", "aggregate": "mean", "aggregate_of": "score",
               "aggregate_over": "department"}])
    m = kpi_matrix(client).set_index("employee_id")
    total = n * (n + 1) // 2
    assert m.at["A01", "fact"] == (total - 1) / (n - 1) and m.at["A01", "plan"] == 10
    assert (m["team_size"] == n - 1).all() and (m["members"] == "").all()


def test_a_quarters_team_sum_combines_each_members_months_first():
    # Quarter November-January named 2027-01. M1: plans 10 + 10 + 10, facts 9 + 12 + 6; M2: plans
    # 20 + 20 + 20, facts 20 + 18 + 19 (December's 18 ... January's 19). The head's team revenue:
    # plan 30 + 60 = 90, fact 27 + 57 = 84 -> 93.33 %.
    months = ("2026-11", "2026-12", "2027-01")
    actuals = [{"period": p, "employee_id": e, "kpi_id": "rev", "plan": plan, "fact": fact}
               for e, plan, facts in (("M1", 10, (9, 12, 6)), ("M2", 20, (20, 18, 19)))
               for p, fact in zip(months, facts)]
    client = make_client(
        positions=SALES_POSITIONS,
        position_kpis=[{"position_id": "head", "kpi_id": "team_rev", "weight": 1, "threshold": 0.7},
                       {"position_id": "manager", "kpi_id": "rev", "weight": 1}],
        employees=[{"employee_id": e, "name": e, "position_id": p, "bonus_fund": 900}
                   for e, p in (("H1", "head"), ("M1", "manager"), ("M2", "manager"))],
        actuals=actuals, kpis=TEAM_KPIS, period="2027-01", bonus_period_months=3)
    bonus = compute_bonuses(client)
    m = bonus.lines.set_index("employee_id")
    assert (m.at["H1", "plan"], m.at["H1", "fact"], m.at["H1", "members"]) == (90, 84, "M1, M2")
    assert m.at["H1", "bonus_minor"] == 84_000  # 900 * 84 / 90 = 840.00
    assert (m.at["M1", "plan"], m.at["M1", "fact"]) == (30, 27)


def test_a_quarter_without_any_fact_is_a_missing_fact():
    # rev counts a missing fact as 0: with no fact in any of the three months the line is
    # 'missing, counted as 0' (as for one month), not an attainment of 0 from facts given.
    quarter = {month: ((100, None), (50, 50), (80, 80)) for month in QUARTER}
    kpis = [{**QUARTER_KPIS[0], "missing": "zero"}, *QUARTER_KPIS[1:]]
    client = _quarter_client(quarter)
    client = client.with_tables(kpis=client.kpis.assign(missing=[k.get("missing") for k in kpis]))
    line = compute_bonuses(client).lines.set_index("kpi_id").loc["rev"]
    assert line["fact_status"] == "missing_zero" and line["reason"] == "missing_zero"
