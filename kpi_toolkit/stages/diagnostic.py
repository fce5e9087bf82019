"""Stage 00, the diagnostic: the questionnaire, contacts, readiness, risks, scope and the plan."""
from __future__ import annotations

import pandas as pd

from kpi_toolkit.method.client import ClientData
from kpi_toolkit.method.readiness import (
    IMPLEMENTATION_STEPS,
    effort_estimate,
    implementation_plan,
    questionnaire_table,
    readiness_assessment,
    readiness_level,
    readiness_score,
)
from kpi_toolkit.outputs import charts
from kpi_toolkit.outputs.html import Html
from kpi_toolkit.outputs.i18n import format_date, t
from kpi_toolkit.stages.common import (
    ANSWER_RAG,
    DASH,
    Markdown,
    _code,
    _col,
    _departments,
    _headcount,
    _missing,
    _num,
    _word,
    rag_table,
    text,
)


def questionnaire_answers(client: ClientData, language: str) -> pd.DataFrame:
    """The intake questionnaire: question and the client's answer."""
    answers = questionnaire_table(client.config.questionnaire, language)
    return pd.DataFrame({
        _col("question", language): answers["question"],
        _col("answer", language): [DASH if _missing(a) or a == "" else
                                   (_num(a, language) if isinstance(a, (int, float)) else str(a))
                                   for a in answers["answer"]],
    })


def contact_table(client: ClientData, language: str) -> pd.DataFrame:
    """The people responsible for the project: name, role, e-mail, phone."""
    keys = ("name", "role", "email", "phone")
    rows = [[str(c.get(k) or DASH) for k in keys] for c in client.config.contacts]
    return pd.DataFrame(rows, columns=[_col(f"contact_{k}", language) for k in keys])


def _assessment(client: ClientData, language: str) -> pd.DataFrame:
    return readiness_assessment(client.config.readiness, language)


def readiness_table(client: ClientData, language: str) -> Html:
    """Every readiness condition (SPEC §3.9) with the client's answer, tinted, and its weight."""
    a = _assessment(client, language)
    df = pd.DataFrame({
        _col("condition", language): a["text"],
        _col("answer", language): [_code("answer", x, language) for x in a["answer"]],
        _col("points", language): [_num(p * w, language, 1) for p, w in zip(a["points"], a["weight"])],
        _col("max_points", language): [_num(w, language, 0) for w in a["weight"]],
    })
    return rag_table(df, {_col("answer", language): [ANSWER_RAG[x] for x in a["answer"]]})


def readiness_summary(client: ClientData, language: str) -> Markdown:
    """The readiness score out of 100, its level and what the level means."""
    score = readiness_score(_assessment(client, language))
    level = readiness_level(score)
    return Markdown(t("stage00.readiness.score", language, score=_num(score, language, 0),
                      level=_code("readiness_level", level, language))
                    + " " + t(f"stage00.readiness.meaning_{level}", language))


def risk_table(client: ClientData, language: str) -> pd.DataFrame:
    """The risks: every condition not fully met, heaviest first."""
    a = _assessment(client, language)
    a = a[a["risk"] != ""].sort_values(["weight", "points"], ascending=[False, True], kind="stable")
    return pd.DataFrame({
        _col("condition", language): a["text"],
        _col("answer", language): [_code("answer", x, language) for x in a["answer"]],
        _col("risk", language): a["risk"],
    })


def risk_view(client: ClientData, language: str):
    """The risks with the answers tinted, or a note when every condition is met."""
    risks = risk_table(client, language)
    if risks.empty:
        return text("stage00.risks.none", language)
    answers = _assessment(client, language)
    answers = dict(zip(answers["text"], answers["answer"]))
    return rag_table(risks, {_col("answer", language): [ANSWER_RAG[answers[c]] for c in
                                                         risks[_col("condition", language)]]})


def scope_table(client: ClientData, language: str) -> pd.DataFrame:
    """The scope of the project and the effort it takes."""
    headcount, departments = _headcount(client), len(_departments(client))
    positions = int(client.positions["position_id"].nunique())
    effort = effort_estimate(headcount, positions, departments)
    plan = _plan(client, language)
    rows = [
        ("headcount", _num(headcount, language, 0)),
        ("departments", _num(departments, language, 0)),
        ("positions", _num(positions, language, 0)),
        ("kpis", _num(len(client.kpis), language, 0)),
        ("history", _num(len(client.periods), language, 0)),
        ("bonus_period", _num(client.config.bonus_period_months, language, 0)),
        ("consultant_days", _num(effort["total"], language)),
        ("duration", _word("weeks", language, weeks=_num(int(plan["weeks"].sum()), language, 0))),
        ("project_dates", f"{format_date(plan['start'].iloc[0], language)} – "
                          f"{format_date(plan['end'].iloc[-1], language)}"),
    ]
    return pd.DataFrame({_col("item", language): [t(f"stage00.scope.{k}", language) for k, _ in rows],
                         _col("value", language): [v for _, v in rows]})


def _project_start(client: ClientData) -> str:
    if client.config.project_start:
        return client.config.project_start
    first = client.periods[0] if client.periods else client.config.period
    return f"{first}-01"


def _plan(client: ClientData, language: str) -> pd.DataFrame:
    return implementation_plan(_project_start(client), _headcount(client), len(_departments(client)), language)


def plan_table(client: ClientData, language: str) -> pd.DataFrame:
    """The 7 implementation steps (seed 000) with dates, weeks and consultant-days."""
    plan = _plan(client, language)
    effort = effort_estimate(_headcount(client), int(client.positions["position_id"].nunique()),
                             len(_departments(client)))
    codes = [s.code for s in IMPLEMENTATION_STEPS]
    return pd.DataFrame({
        _col("step_number", language): [str(s) for s in plan["step"]],
        _col("step", language): plan["name"],
        _col("start", language): [format_date(d, language, "d MMM y") for d in plan["start"]],
        _col("end", language): [format_date(d - pd.Timedelta(days=1), language, "d MMM y") for d in plan["end"]],
        _col("weeks", language): [_num(w, language, 0) for w in plan["weeks"]],
        _col("consultant_days", language): [_num(effort[c], language, 1) for c in codes],
    })


def plan_chart(client: ClientData, language: str):
    """The implementation plan as a Gantt chart."""
    return charts.gantt_chart(_plan(client, language), language)
