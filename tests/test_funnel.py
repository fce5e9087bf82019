"""Sales funnel and activity norms (SPEC 3.7, seed 002)."""
import copy
import math
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_toolkit.errors import SchemeError
from kpi_toolkit.method.funnel import (
    contact_workload,
    deals_needed,
    funnel_from_config,
    funnel_plan,
    funnel_problems,
    parse_conversion,
    per_manager,
    required_at_stage,
    workload_summary,
)

FUNNEL = {
    "revenue_plan": 12_000_000,
    "average_deal": 250_000,
    "sales_managers": 4,
    "stages": [
        {"stage": "contracts", "conversion": 0.8},
        {"stage": "meetings", "conversion": 0.5},
        {"stage": "qualified_leads", "conversion": 0.4},
        {"stage": "leads", "conversion": 0.25},
    ],
    "segments": [
        {"segment": "key_accounts", "clients": 24, "calls": 4, "letters": 2, "meetings": 1},
        {"segment": "regular", "clients": 120, "calls": 1, "letters": 1, "meetings": 0},
    ],
    "activity_minutes": {"calls": 15, "letters": 20, "meetings": 90},
    "working_hours": 168,
}


@pytest.mark.parametrize("revenue, deal, deals", [
    (12_000_000, 250_000, 48),
    (12_000_001, 250_000, 49),
    (1_000_000, 300_000, 4),
    (0.3, 0.1, 3),  # 0.3 / 0.1 is 2.9999999999999996 in binary floating point
    (100, 100, 1),
])
def test_deals_needed(revenue, deal, deals):
    assert deals_needed(revenue, deal) == deals


@pytest.mark.parametrize("next_required, conversion, required", [
    (40, 0.8, 50),
    (21, 0.7, 30),  # 30.000000000000004 in floats
    (42, 0.7, 60),
    (161, 0.7, 230),
    (41, 0.8, 52),
    (7, 1.0, 7),
    (1, 0.3, 4),
    (3, 0.3, 10),
])
def test_required_at_stage_is_exact(next_required, conversion, required):
    assert required_at_stage(next_required, conversion) == required


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000), st.integers(1, 100))
def test_required_at_stage_is_the_least_that_suffices(next_required, percent):
    conversion = percent / 100
    needed = required_at_stage(next_required, conversion)
    # in exact integer arithmetic: needed * percent / 100 >= next_required, and one fewer is not
    assert needed * percent >= next_required * 100
    assert (needed - 1) * percent < next_required * 100


def test_funnel_plan_worked_example():
    plan = funnel_plan(FUNNEL["revenue_plan"], FUNNEL["average_deal"], FUNNEL["stages"], 4)
    assert list(plan.columns) == ["stage", "conversion", "required_total",
                                  "required_per_manager"]
    assert plan["stage"].tolist() == ["deals", "contracts", "meetings", "qualified_leads",
                                      "leads"]
    assert math.isnan(plan["conversion"].iloc[0])
    assert plan["required_total"].tolist() == [48, 60, 120, 300, 1200]
    assert plan["required_per_manager"].tolist() == [12, 15, 30, 75, 300]


def test_funnel_plan_rounds_up_at_every_stage_and_per_manager():
    stages = [{"stage": "contracts", "conversion": 0.7}, {"stage": "meetings",
                                                          "conversion": 0.3}]
    plan = funnel_plan(2_100_000, 100_000, stages, sales_managers=4)
    assert plan["required_total"].tolist() == [21, 30, 100]
    assert plan["required_per_manager"].tolist() == [6, 8, 25]


def test_funnel_plan_accepts_a_dataframe_of_stages():
    stages = pd.DataFrame(FUNNEL["stages"])
    plan = funnel_plan(12_000_000, 250_000, stages, 4)
    assert plan["required_total"].tolist() == [48, 60, 120, 300, 1200]


@pytest.mark.parametrize("total, managers, share", [(48, 4, 12), (49, 4, 13), (1, 3, 1),
                                                    (0, 2, 0)])
def test_per_manager(total, managers, share):
    assert per_manager(total, managers) == share


def test_contact_workload_worked_example():
    workload = contact_workload(FUNNEL["segments"], FUNNEL["activity_minutes"])
    assert list(workload.columns) == ["segment", "activity", "clients", "per_client", "volume",
                                      "minutes", "hours"]
    rows = {(r.segment, r.activity): r for r in workload.itertuples()}
    assert len(rows) == 6
    key_calls = rows[("key_accounts", "calls")]
    assert (key_calls.volume, key_calls.minutes, key_calls.hours) == (96, 1440, 24)
    assert rows[("key_accounts", "meetings")].hours == 36  # 24 meetings x 90 min
    assert rows[("regular", "letters")].hours == 40  # 120 letters x 20 min
    assert rows[("regular", "meetings")].volume == 0
    # key: 24 + 16 + 36 = 76 h; regular: 30 + 40 + 0 = 70 h
    assert workload["hours"].sum() == pytest.approx(146)


def test_workload_summary():
    workload = contact_workload(FUNNEL["segments"], FUNNEL["activity_minutes"])
    summary = workload_summary(workload, working_hours=168, sales_managers=4)
    assert summary == pytest.approx({"hours_needed": 146.0, "hours_available": 672.0,
                                     "load_ratio": 146 / 672})


def test_funnel_from_config():
    plan, workload, summary = funnel_from_config(FUNNEL)
    assert plan["required_total"].tolist() == [48, 60, 120, 300, 1200]
    assert len(workload) == 6
    assert summary["hours_needed"] == pytest.approx(146)
    assert summary["hours_available"] == 672


def test_funnel_from_config_without_segments():
    funnel = {k: FUNNEL[k] for k in ("revenue_plan", "average_deal", "sales_managers",
                                     "stages")}
    plan, workload, summary = funnel_from_config(funnel)
    assert len(plan) == 5
    assert workload.empty and list(workload.columns)[:2] == ["segment", "activity"]
    assert summary["hours_needed"] == 0.0 and math.isnan(summary["hours_available"])


def broken(path, value):
    """A copy of FUNNEL with one value replaced (None deletes the key)."""
    funnel = copy.deepcopy(FUNNEL)
    *parents, last = path
    target = funnel
    for key in parents:
        target = target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return funnel


@pytest.mark.parametrize("path, value, column", [
    (("stages", 2, "conversion"), 0, "funnel.stages[2].conversion"),
    (("stages", 2, "conversion"), 1.2, "funnel.stages[2].conversion"),
    (("stages", 0, "conversion"), "80%", "funnel.stages[0].conversion"),
    (("stages", 1, "conversion"), None, "funnel.stages[1].conversion"),
    (("stages", 1, "stage"), "contracts", "funnel.stages[1].stage"),
    (("stages",), [], "funnel.stages"),
    (("stages",), None, "funnel.stages"),
    (("revenue_plan",), None, "funnel.revenue_plan"),
    (("revenue_plan",), "12 000 000", "funnel.revenue_plan"),
    (("average_deal",), 0, "funnel.average_deal"),
    (("sales_managers",), 2.5, "funnel.sales_managers"),
    (("sales_managers",), 0, "funnel.sales_managers"),
    (("segments", 1, "clients"), -5, "funnel.segments[1].clients"),
    (("segments", 0, "visits"), 2, "funnel.segments[0].visits"),
    (("activity_minutes", "calls"), 0, "funnel.activity_minutes.calls"),
    (("working_hours",), None, "funnel.working_hours"),
])
def test_invalid_funnel_is_a_scheme_error_naming_the_setting(path, value, column):
    funnel = broken(path, value)
    with pytest.raises(SchemeError) as caught:
        funnel_from_config(funnel)
    problems = caught.value.problems
    assert [p.column for p in problems] == [column]
    assert problems[0].table == "client.yaml" and problems[0].fix


def test_every_funnel_problem_is_reported_at_once():
    funnel = broken(("stages", 2, "conversion"), 0)
    funnel["average_deal"] = -1
    funnel["activity_minutes"] = None
    columns = {p.column for p in funnel_problems(funnel)}
    assert {"funnel.stages[2].conversion", "funnel.average_deal",
            "funnel.activity_minutes"} <= columns


def test_funnel_plan_checks_its_own_inputs():
    with pytest.raises(SchemeError, match="conversion"):
        funnel_plan(1000, 10, [{"stage": "leads", "conversion": 0}], 1)


def test_valid_funnel_has_no_problems():
    assert funnel_problems(FUNNEL) == []
    assert funnel_problems("not a mapping")[0].column == "funnel"


# --------------------------------------------------------------------------- "1 in N", fractions, rounding


@pytest.mark.parametrize("written, share", [
    (0.25, Fraction(1, 4)),
    ("1 in 4", Fraction(1, 4)),
    ("1 in 3", Fraction(1, 3)),        # no decimal can say one third exactly
    ("1  IN 2.5", Fraction(2, 5)),
    ("1 из 4", Fraction(1, 4)),        # as a Russian consultant writes it
    ("1 из 2,5", Fraction(2, 5)),
    ("1/3", Fraction(1, 3)),
    ("3 / 10", Fraction(3, 10)),
    ("0.7", Fraction(7, 10)),
    (1, Fraction(1)),
    ("1 in 1", Fraction(1)),
])
def test_conversion_forms(written, share):
    assert parse_conversion(written) == share


@pytest.mark.parametrize("written", ["1 in 0", "2 in 4", "4/3", "0/5", "25%", "one in four", 0, 1.5, -0.2,
                                     True, None, float("nan"), "1 in -3", ""])
def test_not_a_conversion(written):
    assert parse_conversion(written) is None


def test_one_in_three_is_exact_where_a_rounded_decimal_is_not():
    # 10 deals at "1 in 3": 10 * 3 = 30 contracts exactly; 0.333 would need ceil(30.03) = 31
    assert required_at_stage(10, "1 in 3") == 30
    assert required_at_stage(10, 0.333) == 31


@pytest.mark.parametrize("stages, rounding, expected", [
    # 10 deals; 10 / 0.3 = 33.33 -> 34; each stage: 34 / 0.3 = 113.33 -> 114
    ([0.3, 0.3], "each_stage", [10, 34, 114]),
    # end: 10 / 0.3 = 33.33 -> 34; 10 / 0.09 = 111.11 -> 112
    ([0.3, 0.3], "end", [10, 34, 112]),
    # 10 deals, "1 in 3" then 1/2: 30 then 60 either way (nothing to round)
    (["1 in 3", "1/2"], "each_stage", [10, 30, 60]),
    (["1 in 3", "1/2"], "end", [10, 30, 60]),
    # 0.7 three times: each stage 10 / 0.7 = 14.29 -> 15; 15 / 0.7 = 21.43 -> 22; 22 / 0.7 = 31.43 -> 32
    ([0.7, 0.7, 0.7], "each_stage", [10, 15, 22, 32]),
    # end: 14.29 -> 15; 10 / 0.49 = 20.41 -> 21; 10 / 0.343 = 29.15 -> 30
    ([0.7, 0.7, 0.7], "end", [10, 15, 21, 30]),
])
def test_funnel_rounding_worked_examples(stages, rounding, expected):
    plan = funnel_plan(1_000, 100, [{"stage": f"s{i}", "conversion": c} for i, c in enumerate(stages)], 1,
                       rounding=rounding)
    assert plan["required_total"].tolist() == expected


def test_rounding_end_carries_exact_deals_and_rounds_each_managers_share_once():
    # 1 000 000 / 300 000 = 3.33 deals -> 4; contracts at 0.8: each stage 4 / 0.8 = 5, end 4.17 -> 5;
    # meetings at 0.3: each stage 5 / 0.3 = 16.67 -> 17, end 13.89 -> 14.
    # Per manager (3): each stage ceil(4/3), ceil(5/3), ceil(17/3) = 2, 2, 6;
    # end ceil(1.11), ceil(1.39), ceil(4.63) = 2, 2, 5
    stages = [{"stage": "contracts", "conversion": 0.8}, {"stage": "meetings", "conversion": 0.3}]
    each = funnel_plan(1_000_000, 300_000, stages, 3)
    end = funnel_plan(1_000_000, 300_000, stages, 3, rounding="end")
    assert each["required_total"].tolist() == [4, 5, 17] and each["required_per_manager"].tolist() == [2, 2, 6]
    assert end["required_total"].tolist() == [4, 5, 14] and end["required_per_manager"].tolist() == [2, 2, 5]


def test_funnel_from_config_reads_rounding_and_one_in_n():
    funnel = copy.deepcopy(FUNNEL)
    funnel["stages"][1]["conversion"] = "1 in 2"
    funnel["rounding"] = "end"
    plan, _, _ = funnel_from_config(funnel)
    assert plan["required_total"].tolist() == [48, 60, 120, 300, 1200]
    assert plan["conversion"].tolist()[1:] == [0.8, 0.5, 0.4, 0.25]


@pytest.mark.parametrize("rounding", ["each stage", "up", 1, True])
def test_unknown_rounding_is_named(rounding):
    funnel = dict(FUNNEL, rounding=rounding)
    (problem,) = funnel_problems(funnel)
    assert problem.column == "funnel.rounding"
    assert problem.message == f"funnel.rounding is {rounding!r}; expected each_stage or end"
    assert problem.fix.startswith("write each_stage (round every stage's count up, the default) or end")


@pytest.mark.parametrize("written, hint", [
    ("25%", '(25% is written 0.25)'),
    (25, '(if 25 is a percentage, write 0.25; if it means one in 25, write "1 in 25")'),
    ("1 in 0", '"1 in N": 0.25, 1/4 or "1 in 4" for one in four'),
])
def test_bad_conversion_says_how_to_write_it(written, hint):
    funnel = broken(("stages", 1, "conversion"), written)
    (problem,) = funnel_problems(funnel)
    assert problem.column == "funnel.stages[1].conversion"
    assert problem.message == (f"conversion of stage 'meetings' is {written!r}; expected a share greater than 0 "
                               "and at most 1")
    assert hint in problem.fix
