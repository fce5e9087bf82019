"""Diagnostic stage: readiness, questionnaire, plan and effort (SPEC 3.9, seed 000)."""
import math
from datetime import date

import pandas as pd
import pytest

from kpi_toolkit.errors import ClientDataError
from kpi_toolkit.method.readiness import (
    CONDITION_CODES,
    CONDITIONS,
    IMPLEMENTATION_STEPS,
    QUESTIONNAIRE_FIELDS,
    answer_code,
    effort_estimate,
    implementation_plan,
    questionnaire_table,
    readiness_assessment,
    readiness_level,
    readiness_problems,
    readiness_score,
    scope_factor,
)


def test_ten_conditions_with_weights_summing_to_100():
    assert len(CONDITIONS) == 10
    assert set(CONDITION_CODES) == {
        "management_involved", "kpis_computable", "kpis_from_goals", "tied_to_motivation",
        "departments_covered", "personal_motivation", "short_bonus_periods",
        "independent_data_entry", "management_accounting", "past_owner_stage"}
    assert math.fsum(c.weight for c in CONDITIONS) == 100
    for condition in CONDITIONS:
        assert condition.text_en and condition.text_ru and condition.risk_en and condition.risk_ru
        assert any("а" <= ch <= "я" for ch in condition.text_ru.lower())


@pytest.mark.parametrize("answer, code", [
    ("yes", "yes"), ("YES", "yes"), (True, "yes"), ("да", "yes"),
    ("partly", "partly"), ("Частично", "partly"),
    ("no", "no"), (False, "no"), ("нет", "no"),
    (None, "unanswered"), ("", "unanswered"),
])
def test_answer_codes(answer, code):
    assert answer_code(answer) == code


def test_assessment_table():
    answers = {"management_involved": "yes", "kpis_computable": "partly",
               "kpis_from_goals": False}
    table = readiness_assessment(answers)
    assert list(table.columns) == ["condition", "text", "answer", "points", "weight", "risk"]
    assert table["condition"].tolist() == list(CONDITION_CODES)
    rows = table.set_index("condition")
    assert rows.loc["management_involved", ["answer", "points"]].tolist() == ["yes", 1.0]
    assert rows.loc["kpis_computable", ["answer", "points"]].tolist() == ["partly", 0.5]
    assert rows.loc["kpis_from_goals", ["answer", "points"]].tolist() == ["no", 0.0]
    assert rows.loc["management_involved", "risk"] == ""
    assert rows.loc["kpis_computable", "risk"].startswith("KPIs the accounting system")
    unanswered = rows.loc["past_owner_stage"]
    assert (unanswered["answer"], unanswered["points"]) == ("unanswered", 0.0)
    assert unanswered["risk"].startswith("Not answered, so counted as 'no'")


def test_assessment_in_russian():
    table = readiness_assessment({"management_involved": "no"}, language="ru")
    assert table.loc[0, "text"] == "Руководство компании участвовало в построении дерева целей"
    assert table.loc[0, "risk"].startswith("Без участия руководства")
    assert table.loc[1, "risk"].startswith("Ответа нет")


@pytest.mark.parametrize("answers, score, level", [
    ({c: "yes" for c in CONDITION_CODES}, 100.0, "ready"),
    ({}, 0.0, "not_ready"),
    ({c: "partly" for c in CONDITION_CODES}, 50.0, "conditional"),
    # all yes except the two heaviest conditions (15 each): 70 points
    ({**{c: "yes" for c in CONDITION_CODES}, "management_involved": "no",
      "kpis_computable": "no"}, 70.0, "conditional"),
    # all yes except personal motivation (7) and past owner stage (8) partly: 92.5
    ({**{c: "yes" for c in CONDITION_CODES}, "personal_motivation": "partly",
      "past_owner_stage": "partly"}, 92.5, "ready"),
    # management accounting no (-10), two conditions of weight 10 partly (-5 each): 80
    ({**{c: "yes" for c in CONDITION_CODES}, "management_accounting": "no",
      "tied_to_motivation": "partly", "kpis_from_goals": "partly"}, 80.0, "ready"),
    # management involved no (-15), two conditions of weight 10 partly: 75, the cut-off
    ({**{c: "yes" for c in CONDITION_CODES}, "management_involved": "no",
      "tied_to_motivation": "partly", "kpis_from_goals": "partly"}, 75.0, "ready"),
])
def test_score_and_level(answers, score, level):
    result = readiness_score(readiness_assessment(answers))
    assert result == pytest.approx(score)
    assert readiness_level(result) == level


@pytest.mark.parametrize("score, level", [
    (100, "ready"), (75, "ready"), (74.9999999999999, "ready"), (74.9, "conditional"),
    (50, "conditional"), (49.99, "not_ready"), (0, "not_ready"),
])
def test_level_cut_offs(score, level):
    assert readiness_level(score) == level


def test_bad_answers_are_client_data_errors():
    answers = {"management_involved": "maybe", "no_such_condition": "yes"}
    problems = readiness_problems(answers)
    assert [(p.table, p.column) for p in problems] == [
        ("client.yaml", "readiness.management_involved"),
        ("client.yaml", "readiness.no_such_condition")]
    with pytest.raises(ClientDataError) as caught:
        readiness_assessment(answers)
    assert len(caught.value.problems) == 2
    assert "'maybe'" in caught.value.problems[0].message


def test_questionnaire_fields_of_seed_000():
    codes = [f.code for f in QUESTIONNAIRE_FIELDS]
    assert codes == ["organisation", "contacts", "activity", "regional_units", "structure",
                     "problem", "scope", "headcount", "goals", "it_department", "integration",
                     "expected_results"]
    for field in QUESTIONNAIRE_FIELDS:
        code, label_en, label_ru = field  # plain tuples too
        assert label_en and label_ru
    table = questionnaire_table({"organisation": "Sweets Ltd", "headcount": 120})
    assert table.columns.tolist() == ["field", "question", "answer"]
    assert table.loc[0, "answer"] == "Sweets Ltd" and table.loc[2, "answer"] is None


def test_seven_implementation_steps_of_seed_000():
    assert [s.number for s in IMPLEMENTATION_STEPS] == list(range(1, 8))
    assert IMPLEMENTATION_STEPS[0].name_ru.startswith("Выбор ключевых показателей")
    assert IMPLEMENTATION_STEPS[2].name_ru == "Опытная эксплуатация"
    assert "Интеграция" in IMPLEMENTATION_STEPS[6].name_ru


def test_implementation_plan_small_scope_uses_default_durations():
    plan = implementation_plan(date(2025, 1, 6), headcount=30, departments=1)
    assert plan.columns.tolist() == ["step", "name", "start", "end", "weeks"]
    assert plan["weeks"].tolist() == [s.weeks for s in IMPLEMENTATION_STEPS]
    assert str(plan["start"].dtype).startswith("datetime64")
    # consecutive: each step starts the day the previous one ends
    assert (plan["start"].iloc[1:].to_numpy() == plan["end"].iloc[:-1].to_numpy()).all()
    assert ((plan["end"] - plan["start"]).dt.days == plan["weeks"] * 7).all()
    assert plan.loc[6, "end"] == pd.Timestamp("2025-06-30")


@pytest.mark.parametrize("headcount, departments, factor, weeks", [
    (50, 1, 1.0, [4, 2, 8, 2, 3, 2, 4]),
    (100, 1, 1.25, [5, 3, 8, 3, 4, 3, 4]),
    (200, 4, 2.25, [9, 5, 8, 5, 7, 5, 4]),
    (10, 3, 1.5, [6, 3, 8, 3, 5, 3, 4]),
])
def test_durations_scale_with_scope(headcount, departments, factor, weeks):
    assert scope_factor(headcount, departments) == pytest.approx(factor)
    plan = implementation_plan("2025-03-03", headcount, departments)
    assert plan["weeks"].tolist() == weeks


def test_implementation_plan_in_russian():
    plan = implementation_plan("2025-03-03", 50, 1, language="ru")
    assert plan.loc[2, "name"] == "Опытная эксплуатация"


STEP_CODES = ["kpi_selection", "data_entry", "pilot", "results_review", "kpi_matrices",
              "work_plans", "integration"]


@pytest.mark.parametrize("headcount, positions, departments, days", [
    # selection 2/dept + 0.5/position; data 1 + 0.25/position; pilot 2/dept;
    # review 2 + 0.5/dept; matrices 0.5/position; plans headcount/50 (>= 1); integration 5
    (50, 10, 2, [9.0, 3.5, 4.0, 3.0, 5.0, 1.0, 5.0]),
    (10, 3, 1, [3.5, 2.0, 2.0, 2.5, 1.5, 1.0, 5.0]),  # 1.75 -> 2.0 (half days, up)
    (500, 40, 6, [32.0, 11.0, 12.0, 5.0, 20.0, 10.0, 5.0]),
    (120, 7, 3, [9.5, 3.0, 6.0, 3.5, 3.5, 2.5, 5.0]),  # 2.75 -> 3.0, 2.4 -> 2.5
])
def test_effort_estimate(headcount, positions, departments, days):
    effort = effort_estimate(headcount, positions, departments)
    assert list(effort) == STEP_CODES + ["total"]
    assert STEP_CODES == [s.code for s in IMPLEMENTATION_STEPS]
    assert [effort[code] for code in STEP_CODES] == days
    assert effort["total"] == math.fsum(days)


def test_effort_grows_with_scope():
    small = effort_estimate(50, 10, 2)["total"]
    assert effort_estimate(100, 10, 2)["total"] > small
    assert effort_estimate(50, 20, 2)["total"] > small
    assert effort_estimate(50, 10, 4)["total"] > small


def test_no_readiness_section_means_nothing_answered():
    table = readiness_assessment(None)
    assert (table["answer"] == "unanswered").all()
    assert readiness_level(readiness_score(table)) == "not_ready"
