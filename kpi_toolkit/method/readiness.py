"""Diagnostic stage: intake questionnaire, readiness check, plan and effort (SPEC 2 stage 00,
SPEC 3.9; seeds 000, 001, 003).

The readiness check asks whether the conditions under which KPI systems work hold (seed 001:
"when KPIs work and when they do not"). Each answer earns points (yes 1, partly 0.5, no 0);
the score is the weighted share of the points, 0 to 100. The implementation plan follows the
7 steps of seed 000.
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import pandas as pd

from kpi_toolkit.errors import ClientDataError, Problem

LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Condition:
    """One condition under which a KPI system works; ``weight`` is its share of 100 points."""

    code: str
    text_en: str
    text_ru: str
    risk_en: str
    risk_ru: str
    weight: float

    def text(self, language: str = "en") -> str:
        return self.text_ru if language == "ru" else self.text_en

    def risk(self, language: str = "en") -> str:
        return self.risk_ru if language == "ru" else self.risk_en


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "management_involved",
        "Management took part in building the goal tree",
        "Руководство компании участвовало в построении дерева целей",
        "Without management in the goal tree the KPIs carry no authority and the project "
        "is not taken seriously",
        "Без участия руководства в построении дерева целей показатели не имеют веса, "
        "а проект не воспринимается всерьёз",
        15),
    Condition(
        "kpis_computable",
        "Every KPI can be computed from the accounting system",
        "Каждый KPI можно рассчитать по данным учётной системы",
        "KPIs the accounting system cannot compute are judged subjectively or not at all, "
        "and bonuses become disputed",
        "Показатели, которые нельзя рассчитать по учётной системе, оцениваются субъективно "
        "или не оцениваются вовсе, и премии становятся предметом споров",
        15),
    Condition(
        "kpis_from_goals",
        "KPIs are derived from the company's goals",
        "KPI выведены из целей компании",
        "KPIs not derived from goals reward work that does not bring the company closer "
        "to them",
        "Показатели, не связанные с целями, поощряют работу, которая не приближает "
        "компанию к её целям",
        10),
    Condition(
        "tied_to_motivation",
        "KPIs are tied to the motivation (bonus) system",
        "KPI связаны с системой мотивации (премирования)",
        "KPIs that do not affect pay are soon ignored",
        "Показатели, не влияющие на вознаграждение, быстро перестают замечать",
        10),
    Condition(
        "departments_covered",
        "All departments are covered, or a phased rollout plan exists",
        "Системой охвачены все подразделения или есть план поэтапного внедрения",
        "When only some departments are covered, the management system is distorted",
        "Если система охватывает лишь отдельные подразделения, управление искажается",
        8),
    Condition(
        "personal_motivation",
        "The personal motivation of the employees covered is taken into account",
        "Учтена личная мотивация сотрудников, для которых вводятся KPI",
        "A scheme that ignores what drives its people does not change how they work",
        "Схема, не учитывающая личную мотивацию сотрудников, не меняет их работу",
        7),
    Condition(
        "short_bonus_periods",
        "Bonus periods are at most 3 months, with intermediate milestones for long projects",
        "Премиальный период не длиннее 3 месяцев, у длительных проектов есть промежуточные "
        "этапы",
        "Over longer periods employees tire of waiting and stop linking their actions "
        "to the reward",
        "При более длинных периодах сотрудники устают ждать и перестают связывать свои "
        "действия с вознаграждением",
        8),
    Condition(
        "independent_data_entry",
        "Data is entered by trained people who are not the ones measured",
        "Данные вносят обученные сотрудники, не заинтересованные в результатах оценки",
        "When the people measured enter their own figures, the data cannot be trusted",
        "Когда оцениваемые сами вносят свои показатели, данным нельзя доверять",
        9),
    Condition(
        "management_accounting",
        "Management accounting exists, not only statutory accounting",
        "Ведётся управленческий учёт, а не только бухгалтерский",
        "Without management accounting the cash flow, budget and business trends behind "
        "the KPIs are not visible",
        "Без управленческого учёта не видно движения денег, бюджета доходов и расходов "
        "и тенденций бизнеса, на которых строятся KPI",
        10),
    Condition(
        "past_owner_stage",
        "The business is past the owner-run stage and has a management system",
        "Бизнес прошёл стадию управления собственником, в нём есть система управления",
        "While success rests on an owner who is also the finance director, CEO and head "
        "of HR, KPIs have nothing to steer",
        "Пока успех держится на собственнике, совмещающем роли финансового и генерального "
        "директора и руководителя по персоналу, KPI нечем управлять",
        8),
)
CONDITION_CODES = tuple(c.code for c in CONDITIONS)

POINTS = {"yes": 1.0, "partly": 0.5, "no": 0.0}
UNANSWERED = "unanswered"
_SYNONYMS = {
    "yes": "yes", "y": "yes", "true": "yes", "да": "yes",
    "partly": "partly", "partially": "partly", "частично": "partly",
    "no": "no", "n": "no", "false": "no", "нет": "no",
}
_UNANSWERED_NOTE = {
    "en": "Not answered, so counted as 'no'. ",
    "ru": "Ответа нет, поэтому условие считается невыполненным. ",
}

# Score cut-offs: at least READY is "ready", at least CONDITIONAL is "conditional".
READY = 75.0
CONDITIONAL = 50.0


def answer_code(answer) -> str:
    """An answer as ``"yes"``, ``"partly"``, ``"no"`` or ``"unanswered"`` (None or empty).

    Accepts True/False and, case-insensitively, yes/partly/no and да/частично/нет.

    Raises
    ------
    ValueError
        For any other answer.

    Examples
    --------
    >>> answer_code(True), answer_code(" Partly "), answer_code("нет"), answer_code(None)
    ('yes', 'partly', 'no', 'unanswered')
    """
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return UNANSWERED
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    code = _SYNONYMS.get(str(answer).strip().lower())
    if code is None:
        raise ValueError(f"answer {answer!r}; expected yes, partly or no")
    return code


def readiness_problems(answers: Mapping) -> list[Problem]:
    """Problems in the ``readiness`` section of ``client.yaml``, for validation.

    Examples
    --------
    >>> [p.column for p in readiness_problems({"kpis_computable": "maybe", "typo": "yes"})]
    ['readiness.kpis_computable', 'readiness.typo']
    """
    problems = []
    for code, answer in answers.items():
        if code not in CONDITION_CODES:
            close = difflib.get_close_matches(str(code), CONDITION_CODES, n=1)
            problems.append(Problem(
                table="client.yaml", column=f"readiness.{code}",
                message=f"'{code}' is not a readiness condition"
                        + (f"; did you mean '{close[0]}'?" if close else ""),
                fix=f"use one of: {', '.join(CONDITION_CODES)}"))
            continue
        try:
            answer_code(answer)
        except ValueError:
            problems.append(Problem(
                table="client.yaml", column=f"readiness.{code}",
                message=f"answer to '{code}' is {answer!r}; expected yes, partly or no",
                fix="answer yes, partly or no"))
    return problems


def readiness_assessment(answers: Mapping, language: str = "en") -> pd.DataFrame:
    """Every readiness condition with its answer, points, weight and the risk if unmet.

    Parameters
    ----------
    answers : mapping
        Condition code -> ``"yes"``, ``"partly"``, ``"no"`` (or True/False), as in the
        ``readiness`` section of ``client.yaml`` (None = nothing answered). A condition not
        answered counts as "no": its answer reads ``"unanswered"`` and its risk says so.
    language : {"en", "ru"}
        Language of the condition and risk texts.

    Returns
    -------
    pandas.DataFrame
        Columns ``condition, text, answer, points, weight, risk``, one row per condition of
        :data:`CONDITIONS`; ``risk`` is empty for a condition fully met.

    Raises
    ------
    ClientDataError
        For an unknown condition code or an answer that is not yes, partly or no.

    Examples
    --------
    >>> table = readiness_assessment({"management_involved": "yes", "kpis_computable": "partly"})
    >>> table[["condition", "answer", "points", "weight"]].head(3)
                 condition      answer  points  weight
    0  management_involved         yes     1.0    15.0
    1      kpis_computable      partly     0.5    15.0
    2      kpis_from_goals  unanswered     0.0    10.0
    >>> table.loc[2, "risk"][:32]
    "Not answered, so counted as 'no'"
    """
    answers = answers or {}
    problems = readiness_problems(answers)
    if problems:
        raise ClientDataError(problems)
    rows = []
    for condition in CONDITIONS:
        answer = answer_code(answers.get(condition.code))
        points = POINTS.get(answer, 0.0)
        risk = "" if points == 1 else condition.risk(language) + "."
        if answer == UNANSWERED:
            risk = _UNANSWERED_NOTE["ru" if language == "ru" else "en"] + risk
        rows.append((condition.code, condition.text(language), answer, points,
                     float(condition.weight), risk))
    table = pd.DataFrame(rows, columns=["condition", "text", "answer", "points", "weight",
                                        "risk"])
    return table.astype({"condition": object, "text": object, "answer": object,
                         "risk": object})


def readiness_score(assessment: pd.DataFrame) -> float:
    """The weighted share of readiness points, from 0 (nothing holds) to 100.

    Examples
    --------
    >>> readiness_score(readiness_assessment({c: "yes" for c in CONDITION_CODES}))
    100.0
    >>> readiness_score(readiness_assessment({c: "partly" for c in CONDITION_CODES}))
    50.0
    """
    weighted = math.fsum(assessment["points"] * assessment["weight"])
    return 100.0 * weighted / math.fsum(assessment["weight"])


def readiness_level(score: float) -> str:
    """``"ready"`` from 75 points, ``"conditional"`` from 50, else ``"not_ready"``.

    Conditional means the unmet conditions (the risks listed) are to be fixed within the
    project, before or during the pilot.

    Examples
    --------
    >>> readiness_level(80), readiness_level(75), readiness_level(50), readiness_level(49.5)
    ('ready', 'ready', 'conditional', 'not_ready')
    """
    score = round(score, 9)  # a score of 75 up to float noise is 75
    if score >= READY:
        return "ready"
    if score >= CONDITIONAL:
        return "conditional"
    return "not_ready"


# --- intake questionnaire -----------------------------------------------------------------


class QuestionnaireField(NamedTuple):
    """One question of the intake questionnaire (seed 000)."""

    code: str
    label_en: str
    label_ru: str


QUESTIONNAIRE_FIELDS: tuple[QuestionnaireField, ...] = (
    QuestionnaireField("organisation", "Organisation", "Наименование организации"),
    QuestionnaireField("contacts", "Contacts of the people responsible for the project",
                       "Контактные данные ответственных за проект должностных лиц"),
    QuestionnaireField("activity", "Main activity", "Основной вид деятельности"),
    QuestionnaireField("regional_units", "Regional units",
                       "Наличие или отсутствие региональных подразделений"),
    QuestionnaireField("structure", "Organisational structure",
                       "Общая организационная структура компании"),
    QuestionnaireField("problem", "The main problem that calls for KPIs",
                       "Основная проблема компании, вызвавшая необходимость внедрения KPI"),
    QuestionnaireField("scope", "Scope: the whole company or some departments",
                       "Масштаб проекта: вся организация или отдельные управления и отделы"),
    QuestionnaireField("headcount", "Employees covered by the KPI system",
                       "Количество сотрудников, охватываемых системой KPI"),
    QuestionnaireField("goals", "Main goals of introducing KPIs",
                       "Основные цели внедрения KPI"),
    QuestionnaireField("it_department", "IT department",
                       "Наличие или отсутствие ИТ-подразделения в компании"),
    QuestionnaireField("integration", "Integration with other software",
                       "Необходимость интеграции системы KPI с другим ПО"),
    QuestionnaireField("expected_results", "Expected results",
                       "Ожидаемые результаты внедрения KPI"),
)


def questionnaire_table(answers: Mapping, language: str = "en") -> pd.DataFrame:
    """The intake questionnaire with the client's answers, in questionnaire order.

    Parameters
    ----------
    answers : mapping
        Field code -> answer (``client.yaml`` ``questionnaire``); missing fields are None.
    language : {"en", "ru"}
        Language of the questions.

    Returns
    -------
    pandas.DataFrame
        Columns ``field, question, answer``, one row per :data:`QUESTIONNAIRE_FIELDS` entry.

    Examples
    --------
    >>> questionnaire_table({"headcount": 120}, "ru").loc[7].tolist()
    ['headcount', 'Количество сотрудников, охватываемых системой KPI', 120]
    """
    rows = [(f.code, f.label_ru if language == "ru" else f.label_en, answers.get(f.code))
            for f in QUESTIONNAIRE_FIELDS]
    return pd.DataFrame(rows, columns=["field", "question", "answer"], dtype=object)


# --- implementation plan and effort -------------------------------------------------------


class ImplementationStep(NamedTuple):
    """One of the 7 implementation steps of seed 000, with its duration for a small scope."""

    number: int
    code: str
    name_en: str
    name_ru: str
    weeks: int
    scales: bool  # whether the duration grows with the scope


IMPLEMENTATION_STEPS: tuple[ImplementationStep, ...] = (
    ImplementationStep(1, "kpi_selection", "Select the key indicators: goal tree and process "
                       "analysis", "Выбор ключевых показателей: дерево целей и анализ "
                       "бизнес-процессов", 4, True),
    ImplementationStep(2, "data_entry", "Enter the project team's KPI data into the software",
                       "Внесение данных по KPI, разработанных проектной командой, в ПО", 2, True),
    ImplementationStep(3, "pilot", "Pilot run", "Опытная эксплуатация", 8, False),
    ImplementationStep(4, "results_review", "Review the results; hierarchy of goals and KPIs "
                       "for motivation", "Обсуждение результатов внедрения, разработка "
                       "иерархического перечня целей и KPI по мотивации сотрудников", 2, True),
    ImplementationStep(5, "kpi_matrices", "KPI matrices for all positions",
                       "Разработка матриц KPI для всех должностей", 3, True),
    ImplementationStep(6, "work_plans", "Work plans for all employees",
                       "Разработка планов работ для всех сотрудников", 2, True),
    ImplementationStep(7, "integration", "Integrate into the company's information system",
                       "Интеграция с единой информационной системой компании", 4, False),
)

BASE_HEADCOUNT = 50  # the scope the default durations are for: up to 50 people, 1 department


def scope_factor(headcount: int, departments: int) -> float:
    """How much longer the scalable steps take than for 50 people in one department.

    ``1 + 0.25 per department beyond the first + 0.25 per doubling of headcount beyond 50``.

    Examples
    --------
    >>> scope_factor(50, 1), scope_factor(200, 1), scope_factor(100, 3)
    (1.0, 1.5, 1.75)
    """
    doublings = math.log2(max(headcount, BASE_HEADCOUNT) / BASE_HEADCOUNT)
    return 1.0 + 0.25 * max(departments - 1, 0) + 0.25 * doublings


def step_weeks(step: ImplementationStep, headcount: int, departments: int) -> int:
    """Weeks one step takes: its default, times :func:`scope_factor` if it scales, rounded up.

    The pilot (at least two monthly bonus periods) and the integration do not scale.

    Examples
    --------
    >>> [step_weeks(s, 200, 4) for s in IMPLEMENTATION_STEPS]
    [9, 5, 8, 5, 7, 5, 4]
    """
    if not step.scales:
        return step.weeks
    return math.ceil(round(step.weeks * scope_factor(headcount, departments), 9))


def implementation_plan(start: date | str, headcount: int, departments: int,
                        language: str = "en") -> pd.DataFrame:
    """The 7 implementation steps of seed 000 as consecutive dated bars (for a Gantt chart).

    Parameters
    ----------
    start : date or "YYYY-MM-DD"
        First day of step 1 (``client.yaml`` ``project_start``).
    headcount : int
        Employees covered by the KPI system.
    departments : int
        Departments covered.
    language : {"en", "ru"}
        Language of the step names.

    Returns
    -------
    pandas.DataFrame
        Columns ``step`` (1 to 7), ``name``, ``start``, ``end`` (datetime64; ``end`` is the day
        the next step starts) and ``weeks`` (see :func:`step_weeks`).

    Examples
    --------
    >>> plan = implementation_plan(date(2025, 1, 6), headcount=40, departments=1)
    >>> plan[["step", "start", "end", "weeks"]]
       step      start        end  weeks
    0     1 2025-01-06 2025-02-03      4
    1     2 2025-02-03 2025-02-17      2
    2     3 2025-02-17 2025-04-14      8
    3     4 2025-04-14 2025-04-28      2
    4     5 2025-04-28 2025-05-19      3
    5     6 2025-05-19 2025-06-02      2
    6     7 2025-06-02 2025-06-30      4
    """
    begin = pd.Timestamp(start).normalize()
    rows = []
    for step in IMPLEMENTATION_STEPS:
        weeks = step_weeks(step, headcount, departments)
        end = begin + pd.Timedelta(weeks=weeks)
        rows.append((step.number, step.name_ru if language == "ru" else step.name_en,
                     begin, end, weeks))
        begin = end
    plan = pd.DataFrame(rows, columns=["step", "name", "start", "end", "weeks"])
    return plan.astype({"name": object, "start": "datetime64[ns]", "end": "datetime64[ns]"})


def _half_days(days: float) -> float:
    return math.ceil(round(days * 2, 9)) / 2


def effort_estimate(headcount: int, positions: int, departments: int) -> dict[str, float]:
    """Consultant-days per implementation step and in total, rounded up to half days.

    The rule, per step: selection 2 days of workshops per department + 0.5 per position;
    data entry 1 + 0.25 per position; pilot 2 days per department (a review in each of two
    monthly periods); results review 2 + 0.5 per department; KPI matrices 0.5 per position;
    work plans 1 day per 50 employees (at least 1); integration 5 days.

    Parameters
    ----------
    headcount : int
        Employees covered.
    positions : int
        Distinct positions to give KPIs.
    departments : int
        Departments covered.

    Returns
    -------
    dict
        Step code -> consultant-days, in step order, then ``"total"``.

    Examples
    --------
    >>> effort = effort_estimate(headcount=50, positions=10, departments=2)
    >>> effort["kpi_selection"], effort["pilot"], effort["work_plans"], effort["total"]
    (9.0, 4.0, 1.0, 30.5)
    """
    days = {
        "kpi_selection": 2 * departments + 0.5 * positions,
        "data_entry": 1 + 0.25 * positions,
        "pilot": 2 * departments,
        "results_review": 2 + 0.5 * departments,
        "kpi_matrices": 0.5 * positions,
        "work_plans": max(1.0, headcount / 50),
        "integration": 5.0,
    }
    estimate = {code: _half_days(value) for code, value in days.items()}
    estimate["total"] = math.fsum(estimate.values())
    return estimate
