"""What the engagement stage notebooks show (SPEC §2): one function per table, chart or section.

Each function takes a client (:class:`~kpi_toolkit.method.client.ClientData`) or its results
(:class:`~kpi_toolkit.method.calculate.Results`) and the reader's language, and returns what a notebook
displays, every fixed word taken from the message catalogue:

- a DataFrame of formatted text under translated column names, for :func:`kpi_toolkit.outputs.html.table`;
- a Figure from :mod:`kpi_toolkit.outputs.charts`;
- an :class:`~kpi_toolkit.outputs.html.Html` fragment where a table has red/amber/green cells or a
  section repeats per position or department (client strings escaped);
- a :class:`Markdown` paragraph (client strings escaped).

Nothing here writes files; only :func:`load_stage_client` (and :func:`open_stage`) reads the
client folder. Scenarios come from :mod:`kpi_toolkit.inputs.scenarios` when that module and saved
scenarios exist; without them the notebooks still run.
"""
from __future__ import annotations

import base64
import html
import importlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_toolkit.outputs import charts
from kpi_toolkit.method.bonus import compute_bonuses, days_employed, period_bounds
from kpi_toolkit.method.calculate import Results, calculate
from kpi_toolkit.method.catalogue import classification_summary
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.cycle.closing import settle
from kpi_toolkit.errors import Problem, ScenarioError
from kpi_toolkit.outputs.explain import curve_name, kpi_value, statement_reason
from kpi_toolkit.outputs.i18n import catalogue, format_date, format_money, format_number, format_percent, format_period, t
from kpi_toolkit.method.kpi_weights import (KPI_COUNT, KPI_COUNT_DEFAULT, MIN_WEIGHT, check_selection_rules, goal_owners, map_owner,
                          position_kpi_weights, position_methods)
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.method.matrix import department_rollup, employee_departments, kpi_matrix
from kpi_toolkit.method.teams import team_kpis
from kpi_toolkit.method.readiness import (IMPLEMENTATION_STEPS, effort_estimate, implementation_plan, questionnaire_table,
                        readiness_assessment, readiness_level, readiness_score)
from kpi_toolkit.outputs.html import Html, escape, figure_html, table
from kpi_toolkit.outputs.statement import statement_css, statement_html
from kpi_toolkit.method.strategy_map import goal_links
from kpi_toolkit.method.targets import suggest_targets
from kpi_toolkit.fileio import package_notebooks

DASH = "—"
SHIFTS = (-0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2)
RAG_FILL = {"green": "#DDEEDC", "amber": "#FCEFC4", "red": "#F6D5D3"}
GROUP_ROW_STYLE = "font-weight: 700; background-color: #FFFFFF; padding-top: 2.4mm; border-bottom: 0.75pt solid #9AA5B1"
ANSWER_RAG = {"yes": "green", "partly": "amber", "no": "red", "unanswered": "red"}
TREND_PERIODS = 3  # an early warning: a leading KPI that fell in each of the last two periods
CHECKLIST = ("communicate", "regulations", "data_owners", "train_managers", "parallel_run", "payroll_test",
             "monthly_review", "quarterly_review")
ROLLOUT_PHASES = ("commercial", "operations", "back_office")


# --------------------------------------------------------------------------- opening a stage

@dataclass(frozen=True)
class Stage:
    """What every stage notebook starts from: the client, its results, the period and language."""

    client: ClientData  # with the scenario applied, if one is named
    results: Results
    period: str
    language: str
    scenario: str | None = None
    base: ClientData | None = None  # the client as its folder has it (the current scheme)


def resolve_client_dir(client_dir) -> Path:
    """The client folder, whether given absolute, relative to the working directory or, as the
    notebooks' default ``../clients/<slug>`` is, relative to ``notebooks/``."""
    path = Path(client_dir).expanduser()
    if path.is_absolute() or path.exists():
        return path
    beside_notebooks = package_notebooks() / path
    return beside_notebooks.resolve() if beside_notebooks.exists() else path


def _optional_module(name: str):
    """A toolkit module that a version of the toolkit may not have, or None."""
    try:
        return importlib.import_module(f".{name}", __package__)
    except ModuleNotFoundError as error:
        if error.name != f"{__package__}.{name}":
            raise
        return None


def _scenarios_module():
    """:mod:`kpi_toolkit.inputs.scenarios`, or None while the toolkit has no scenario explorer."""
    return _optional_module("scenarios")


def load_stage_client(client_dir, scenario: str | None = None) -> ClientData:
    """Load (and validate) a client folder and apply a saved scenario if one is named.

    Raises
    ------
    ScenarioError
        When a scenario is named but cannot be applied (or the toolkit has no scenarios).
    """
    return apply_scenario(load_client(resolve_client_dir(client_dir)), scenario)


def apply_scenario(client: ClientData, scenario: str | None) -> ClientData:
    """The client with a saved scenario applied (the client itself when ``scenario`` is empty)."""
    if not scenario:
        return client
    module = _scenarios_module()
    if module is None:
        raise ScenarioError([Problem(table="scenario", column="scenario",
                                     message=f"scenario '{scenario}' cannot be applied: this toolkit has no scenarios",
                                     fix="run without a scenario, or install a toolkit version with scenarios")],
                            client=client.slug)
    return module.apply_scenario(client, scenario)


def open_stage(client_dir, period: str | None = None, language: str | None = None,
               scenario: str | None = None) -> Stage:
    """Load the client, apply the scenario and compute the period's results, with the defaults of
    ``client.yaml`` for the period and the language."""
    base = load_stage_client(client_dir)
    client = apply_scenario(base, scenario)
    period = period or client.config.period
    results = calculate(client, period, scenario or None)
    if not scenario:  # the ledger's word on the period: refused if closed and changed, corrections booked on it
        results, _ = settle(results)
    return Stage(client, results, period, language or client.config.language, scenario or None, base)


# --------------------------------------------------------------------------- words

@dataclass(frozen=True)
class Markdown:
    """A paragraph or heading a notebook displays as Markdown (in JupyterLab and in reports)."""

    text: str

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def _has(key: str, language: str) -> bool:
    return key in catalogue(language)


def section(key: str, language: str, level: int = 2, **fmt) -> Markdown:
    """A heading (``<key>.title``) and, when the catalogue has one, its paragraph (``<key>.intro``).

    Values in ``fmt`` are put in the text as they are: escape client strings first.
    """
    words = f"{'#' * level} {t(f'{key}.title', language, **fmt)}"
    if _has(f"{key}.intro", language):
        words += "\n\n" + t(f"{key}.intro", language, **fmt)
    return Markdown(words)


def text(key: str, language: str, **fmt) -> Markdown:
    """One paragraph of the catalogue (client strings in ``fmt`` must be escaped)."""
    return Markdown(t(key, language, **fmt))


def intro(stage_key: str, stage: Stage) -> Markdown:
    """The opening paragraph of a stage (``<stage_key>.intro``), naming the client and period,
    and the scenario when one is applied."""
    language = stage.language
    words = t(f"{stage_key}.intro", language, client=escape(stage.client.config.name),
              period=format_period(stage.period, language))
    if stage.scenario:
        words += "\n\n" + t("stages.scenario_applied", language, scenario=escape(stage.scenario))
    return Markdown(words)


def table_or_note(df: pd.DataFrame, language: str, note_key: str | None, **fmt):
    """``df`` as a report table, or the catalogue's note ``note_key`` (nothing when None) when
    it has no rows."""
    if df is None or df.empty:
        return text(note_key, language, **fmt) if note_key else Markdown("")
    return table(df, language)


# --------------------------------------------------------------------------- formatting helpers

def _col(key: str, language: str) -> str:
    """A column heading: ``table.<key>`` where the toolkit has it, else ``stages.col.<key>``."""
    return t(f"table.{key}", language) if _has(f"table.{key}", language) else t(f"stages.col.{key}", language)


def _word(key: str, language: str, **fmt) -> str:
    return t(f"stages.word.{key}", language, **fmt)


def _code(group: str, code, language: str) -> str:
    """The reader's name of an enumerated code, a dash when it is not set."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code == "":
        return DASH
    for key in (f"label.{group}.{code}", f"stages.{group}.{code}"):
        if _has(key, language):
            return t(key, language)
    return str(code).replace("_", " ").capitalize()


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _num(value, language: str, decimals: int | None = None) -> str:
    """A number with as few decimals as it needs (at most 2, or exactly ``decimals``)."""
    if _missing(value) or (isinstance(value, float) and math.isinf(value)):
        return DASH
    v = float(value)
    if decimals is None:
        decimals = next((d for d in range(3) if abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v))), 2)
    return format_number(v, language, decimals)


def _rounded(value, language: str) -> str:
    """A computed amount (an average, a suggested plan) to a precision a plan is set at."""
    if _missing(value):
        return DASH
    size = abs(float(value))
    return format_number(float(value), language, 0 if size >= 1000 else 1 if size >= 1 else 2)


def _pct(value, language: str, decimals: int | None = None) -> str:
    """A ratio as a percent, with a decimal only where it needs one."""
    if _missing(value) or (isinstance(value, float) and math.isinf(value)):
        return DASH
    if decimals is None:
        hundred = float(value) * 100
        decimals = 0 if abs(hundred - round(hundred)) < 1e-9 else 1
    return format_percent(float(value), language, decimals).replace("-", "−")


def _money(value, client: ClientData, language: str, decimals: int | None = None) -> str:
    if _missing(value):
        return DASH
    return format_money(float(value), client.config.currency, language,
                        client.config.currency_decimals if decimals is None else decimals).replace("-", "−")


def _signed_money(value, client: ClientData, language: str) -> str:
    amount = _money(abs(value), client, language, 0)
    return amount if abs(value) < 0.5 else ("+" if value > 0 else "−") + amount


def _period(period, language: str) -> str:
    return format_period(period, language)


def next_period(period: str, months: int = 1) -> str:
    """The period ``months`` after ``period``.

    Examples
    --------
    >>> next_period("2026-09"), next_period("2026-11", 3)
    ('2026-10', '2027-02')
    """
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _rag(value, thresholds=charts.RAG_THRESHOLDS):
    if _missing(value):
        return None
    return charts.rag_status(float(value), thresholds)


def total_table(df: pd.DataFrame) -> Html:
    """A report table whose last row, the total, is in bold."""
    return rag_table(df, strong_rows=[len(df) - 1] if len(df) else [])


def rag_table(df: pd.DataFrame, statuses: dict | None = None, *, strong_rows=(), group_by: str | None = None,
              styles: dict | None = None, caption: str | None = None) -> Html:
    """``df`` (text) as a report table with cells tinted red, amber or green, bold rows and group rows.

    Parameters
    ----------
    df : DataFrame
        Cells as the reader sees them; every cell and heading is escaped.
    statuses : dict, optional
        Column -> sequence of ``"green"``, ``"amber"``, ``"red"`` or None, one per row.
    strong_rows : sequence of int
        Row positions shown in bold (totals).
    group_by : str, optional
        A column shown not as a column but as a full-width row above each run of equal values
        (a blank value continues the group before it).
    styles : dict, optional
        Column -> sequence of CSS declarations (or None), one per row, for the column's cells.

    Examples
    --------
    >>> df = pd.DataFrame({"KPI": ["<b>Sales</b>"], "Attainment": ["97%"]})
    >>> markup = rag_table(df, {"Attainment": ["green"]}).html
    >>> "<td>&lt;b&gt;Sales&lt;/b&gt;</td>" in markup, '<td style="background-color: #DDEEDC">97%</td>' in markup
    (True, True)
    """
    if df.empty:
        return Html("")
    statuses, styles = statuses or {}, styles or {}
    strong = set(strong_rows)
    shown = [c for c in df.columns if c != group_by]
    groups = df[group_by].tolist() if group_by else [None] * len(df)
    # The report styles numeric columns' headers nowrap; long headers must wrap to fit the page.
    head = "".join(f'<th style="white-space: normal">{html.escape(str(c))}</th>' for c in shown)
    rows, current = [], None
    for i, record in enumerate(df[shown].itertuples(index=False)):
        group = groups[i]
        if group_by and not _missing(group) and str(group) != "" and group != current:
            current = group
            rows.append(f'<tr class="group-row"><td colspan="{len(shown)}" style="{GROUP_ROW_STYLE}">'
                        f"{html.escape(str(group))}</td></tr>")
        cells = []
        for column, value in zip(shown, record):
            status = statuses.get(column, [None] * len(df))[i]
            css = [f"background-color: {RAG_FILL[status]}"] if status in RAG_FILL else []
            css += [styles[column][i]] if column in styles and styles[column][i] else []
            style = f' style="{html.escape("; ".join(css))}"' if css else ""
            cells.append(f"<td{style}>{html.escape('' if _missing(value) else str(value))}</td>")
        weight = ' style="font-weight: 700"' if i in strong else ""
        rows.append(f"<tr{weight}>{''.join(cells)}</tr>")
    caption_html = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return Html(f'<table class="dataframe report-table rag-table">{caption_html}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")


def _heading(title: str, level: int, toc: bool = True) -> str:
    hidden = "" if toc else ' class="no-toc"'  # kept out of the contents (kpi_toolkit.outputs.html)
    return f"<h{level}{hidden}>{html.escape(str(title))}</h{level}>"


def _figure_html(fig) -> str:
    """A Figure as an embedded PNG at its printed size (the way a notebook shows it)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight", pad_inches=0.05)
    png = buffer.getvalue()
    width = round(int.from_bytes(png[16:20], "big") * 96 / fig.dpi)
    data = base64.b64encode(png).decode("ascii")
    return figure_html(f"data:image/png;base64,{data}", width, getattr(fig, "caption", ""), getattr(fig, "data", None))


def _sections(parts, level: int = 3, toc: bool = True) -> Html:
    """Sections of one HTML fragment: ``(title, html)`` pairs, each title a heading (listed in
    the report's contents unless `toc` is false)."""
    return Html("\n".join(f"{_heading(title, level, toc)}\n{body}" for title, body in parts))


def _rag_legend(language: str) -> str:
    green, amber = charts.RAG_THRESHOLDS
    return t("stages.rag_legend", language, green=_pct(green, language), amber=_pct(amber, language))


# --------------------------------------------------------------------------- shared views of the data

def _headcount(client: ClientData) -> int:
    answer = client.config.questionnaire.get("headcount")
    try:
        return int(answer)
    except (TypeError, ValueError):
        return int(client.employees["employee_id"].nunique())


def _staff_departments(client: ClientData) -> pd.DataFrame:
    """``position_id, department`` of every employee: the employee's own department, the
    position's only where the employee has none (regional offices of one position are apart)."""
    employees = client.employees
    return pd.DataFrame({"position_id": employees["position_id"].to_numpy(dtype=object),
                         "department": employee_departments(employees, client.positions).to_numpy(dtype=object)})


def _departments(client: ClientData) -> list[str]:
    """Departments as the employees sit in them, in the order the positions table lists their
    positions (then the employees table); a position without employees adds its own department."""
    staff = _staff_departments(client)
    order = []
    for position, department in zip(client.positions["position_id"], client.positions["department"]):
        mine = staff.loc[staff["position_id"] == position, "department"].dropna().tolist()
        order += mine or ([department] if isinstance(department, str) else [])
    return list(dict.fromkeys(order))


def _position_departments(client: ClientData) -> dict[str, str]:
    """Per position, the departments its employees sit in (comma-separated), else its own."""
    staff = _staff_departments(client).dropna()
    found = {p: ", ".join(dict.fromkeys(d)) for p, d in staff.groupby("position_id", sort=False)["department"]}
    return {p: found.get(p, d) for p, d in zip(client.positions["position_id"], client.positions["department"])}


def _position_order(client: ClientData) -> dict[str, int]:
    return {p: i for i, p in enumerate(client.positions["position_id"])}


def _kpi_names(client: ClientData) -> dict[str, str]:
    return dict(zip(client.kpis["kpi_id"], client.kpis["name"]))


def _goal_names(client: ClientData) -> dict[str, str]:
    goals = client.goals.drop_duplicates("goal_id")
    return dict(zip(goals["goal_id"], goals["name"]))


def _kpi_attr(client: ClientData, column: str) -> dict:
    return dict(zip(client.kpis["kpi_id"], client.kpis[column]))


def _levels(client: ClientData) -> dict[str, str]:
    if "level" not in client.positions:
        return {}
    return {p: lv for p, lv in zip(client.positions["position_id"], client.positions["level"]) if isinstance(lv, str)}


def _ordered(frame: pd.DataFrame, client: ClientData) -> pd.DataFrame:
    """Rows by department (positions table order), then position, then employee name."""
    departments = {d: i for i, d in enumerate(_departments(client))}
    order = _position_order(client)
    return frame.assign(
        _d=frame["department"].astype(object).map(departments).fillna(len(departments)),
        _p=frame["position_id"].astype(object).map(order).fillna(len(order)),
        _e=frame["employee"].astype(str),
    ).sort_values(["_d", "_p", "_e"], kind="stable").drop(columns=["_d", "_p", "_e"])


# =========================================================================== 00 diagnostic

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


# =========================================================================== 01 strategy map

def has_map(results: Results) -> bool:
    """Whether the client has a strategy map (a goals table); without one every position is head-on."""
    return not results.goal_weights.empty


def _owners(client: ClientData) -> dict[str, str | None]:
    """Goal id -> the position accountable for it (its owner, else the map's owner)."""
    return goal_owners(client.goals, map_owner(client.positions, client.config.strategy_owner))


def _position_names(client: ClientData) -> dict[str, str]:
    return dict(zip(client.positions["position_id"], client.positions["name"].astype(str)))


def goal_table(results: Results, language: str) -> pd.DataFrame:
    """Goals by perspective with their weights (SPEC §3.1), the position accountable for each and
    how many of its KPIs that position is paid on (empty without a strategy map)."""
    gw = results.goal_weights
    kw = results.kpi_weights
    owners = _owners(results.client)
    names = _position_names(results.client)
    kept = kw[kw["kept"] & (kw["method"] == "map")]
    mine = np.array([owners.get(g) == p for g, p in zip(kept["goal_id"], kept["position_id"])], dtype=bool)
    kept = kept[mine].groupby("goal_id").size()
    return pd.DataFrame({
        _col("perspective", language): [_code("perspective", p, language) for p in gw["perspective"]],
        _col("goal", language): gw["name"].astype(str),
        _col("weight", language): [_num(w, language, 3) for w in gw["weight"]],
        _col("owner", language): [names.get(owners.get(g), DASH) for g in gw["goal_id"]],
        _col("kpis_kept", language): [_num(int(kept.get(g, 0)), language, 0) for g in gw["goal_id"]],
    })


def link_table(results: Results, language: str) -> pd.DataFrame:
    """The causal links: which goal supports which, the link's strength and the weight it carries."""
    links = goal_links(results.client.goals)
    names = _goal_names(results.client)
    weight = dict(zip(results.goal_weights["goal_id"], results.goal_weights["weight"]))
    return pd.DataFrame({
        _col("goal", language): [names.get(g, g) for g in links["goal_id"]],
        _col("supports", language): [names.get(p, p) for p in links["parent_id"]],
        _col("strength", language): [_num(s, language) for s in links["strength"]],
        _col("flow_share", language): [_pct(s, language) for s in links["flow_share"]],
        _col("weight_carried", language): [_num(weight.get(p, np.nan) * s, language, 3)
                                           for p, s in zip(links["parent_id"], links["flow_share"])],
    })


def strategy_map(results: Results, language: str):
    """The strategy map drawn as a Balanced Scorecard diagram (a note when there is no map)."""
    if not has_map(results):
        return text("stage01.no_map", language)
    return charts.strategy_map_chart(results.goal_weights, goal_links(results.client.goals), language)


def method_summary(results: Results, language: str) -> Markdown:
    """Which positions take their weights from the map and which are given them head-on."""
    names = _position_names(results.client)
    kw = results.kpi_weights
    by_method = {m: [names.get(p, p) for p in dict.fromkeys(kw.loc[kw["method"] == m, "position_id"])]
                 for m in ("map", "head_on")}
    key = "stage01.methods.both" if all(by_method.values()) else (
        "stage01.methods.map_only" if by_method["map"] else
        "stage01.methods.head_on_with_map" if has_map(results) else "stage01.methods.head_on_only")
    return text(key, language, map=escape(", ".join(by_method["map"])),
                head_on=escape(", ".join(by_method["head_on"])))


def _map_rows(results: Results) -> pd.DataFrame:
    """The candidates of the map positions with goal and KPI names, in position order."""
    client = results.client
    kw = results.kpi_weights
    kw = kw[kw["method"] == "map"].copy()
    kw["kpi"] = kw["kpi_id"].map(_kpi_names(client))
    kw["goal"] = kw["goal_id"].map(_goal_names(client))
    goal_weight = dict(zip(results.goal_weights["goal_id"], results.goal_weights["weight"]))
    kw["goal_weight"] = kw["goal_id"].map(goal_weight)
    kw["share"] = kw["raw_weight"] / kw["goal_weight"]
    kw["_p"] = kw["position_id"].map(_position_order(client))
    return kw.sort_values(["_p", "normalised"], ascending=[True, False], kind="stable")


def position_weights(results: Results, language: str) -> Html:
    """Per ``map`` position (SPEC §3.2): the goals it owns and the arithmetic of its KPI weights —
    goal weight × the KPI's share of the goal = raw weight; raw weights normalised over the
    position's candidates; under 10 % dropped; the rest renormalised to 100 %."""
    client = results.client
    rows = _map_rows(results)
    if rows.empty:
        return Html("")
    positions = client.positions.set_index("position_id")
    owners = _owners(client)
    goal_weight = dict(zip(results.goal_weights["goal_id"], results.goal_weights["weight"]))
    goal_names = _goal_names(client)
    parts = []
    for position_id, group in rows.groupby("position_id", sort=False):
        owned = [g for g in results.goal_weights["goal_id"] if owners.get(g) == position_id]
        goals = "; ".join(f"{goal_names.get(g, g)} ({_num(goal_weight[g], language, 3)})" for g in owned)
        kept = group[group["kept"]]
        note = t("stage01.weights.owns", language, goals=goals)
        arithmetic = t("stage01.weights.arithmetic", language, raw=_num(group["raw_weight"].sum(), language, 3),
                       candidates=_num(len(group), language, 0), kept=_num(len(kept), language, 0),
                       kept_sum=_pct(kept["normalised"].sum(), language, 1), min=_pct(MIN_WEIGHT, language))
        df = pd.DataFrame({
            _col("goal", language): group["goal"].astype(str),
            _col("kpi", language): group["kpi"].astype(str),
            _col("weight_of_goal", language): [_num(w, language, 3) for w in group["goal_weight"]],
            _col("share_of_goal", language): [_pct(q, language, 1) for q in group["share"]],
            _col("raw", language): [_num(w, language, 4) for w in group["raw_weight"]],
            _col("normalised", language): [_pct(w, language, 1) for w in group["normalised"]],
            _col("weight", language): [_pct(w, language, 1) if k else _word("dropped", language)
                                       for w, k in zip(group["weight"], group["kept"])],
        })
        statuses = {_col("weight", language): [None if k else "red" for k in group["kept"]]}
        body = (f"<p>{html.escape(note)}</p>\n{rag_table(df, statuses).html}\n"
                f"<p>{html.escape(arithmetic)}</p>")
        dept = positions.at[position_id, "department"]
        title = f"{positions.at[position_id, 'name']} · {dept}" if isinstance(dept, str) and dept else str(
            positions.at[position_id, "name"])
        parts.append((title, body))
    return _sections(parts, level=3)


def head_on_weight_table(results: Results, language: str) -> pd.DataFrame:
    """The expert weights of the ``head_on`` positions (method 2 of seed 001)."""
    client = results.client
    kw = results.kpi_weights
    kw = kw[kw["method"] == "head_on"].copy()
    kw["_p"] = kw["position_id"].map(_position_order(client))
    kw = kw.sort_values(["_p", "weight"], ascending=[True, False], kind="stable")
    names, kpis = _position_names(client), _kpi_names(client)
    first = ~kw["position_id"].duplicated()
    return pd.DataFrame({
        _col("position", language): [names.get(p, p) if f else "" for p, f in zip(kw["position_id"], first)],
        _col("kpi", language): [str(kpis.get(k, k)) for k in kw["kpi_id"]],
        _col("weight", language): [_pct(w, language, 1) for w in kw["weight"]],
    })


def kpi_weight_charts(results: Results, language: str) -> Html:
    """Per ``map`` position, its KPIs' normalised weights against the 10 % line and the weights
    kept after renormalisation."""
    rows = _map_rows(results)
    names = _position_names(results.client)
    parts = []
    for position_id, group in rows.groupby("position_id", sort=False):
        data = group[["kpi", "normalised", "kept", "weight"]].rename(columns={"normalised": "raw_weight"})
        fig = charts.kpi_weights_chart(data, language, min_weight=MIN_WEIGHT)
        parts.append((names.get(position_id, position_id), _figure_html(fig)))
    return _sections(parts, level=3)


def dropped_kpi_table(results: Results, language: str) -> pd.DataFrame:
    """Per ``map`` position, the candidates dropped for a normalised weight under 10 % (none of
    them is paid on; they may still serve as conditions that raise or lower a bonus)."""
    rows = _map_rows(results)
    rows = rows[~rows["kept"]]
    names = _position_names(results.client)
    paid = _paid_positions(results)
    first = ~rows["position_id"].duplicated()
    return pd.DataFrame({
        _col("position", language): [names.get(p, p) if f else "" for p, f in zip(rows["position_id"], first)],
        _col("kpi", language): rows["kpi"].astype(str),
        _col("goal", language): [DASH if _missing(g) else str(g) for g in rows["goal"]],
        _col("normalised", language): [_pct(w, language, 1) for w in rows["normalised"]],
        _col("paid_on_by", language): [", ".join(names.get(p, p) for p in paid.get(k, [])) or DASH
                                        for k in rows["kpi_id"]],
    })


def _paid_positions(results: Results) -> dict[str, list[str]]:
    """KPI id -> the positions paid on it (their kept KPIs), in position order."""
    kw = results.kpi_weights
    kw = kw[kw["kept"]]
    order = _position_order(results.client)
    kw = kw.assign(_p=kw["position_id"].map(order)).sort_values("_p", kind="stable")
    return kw.groupby("kpi_id", sort=False)["position_id"].agg(list).to_dict()


# =========================================================================== 02 KPI selection

TAGS = ("kind", "measure", "horizon", "timing", "sales_family", "form")
CATALOGUE_TAGS = ("kind", "measure", "horizon", "timing", "form", "sales_family")


def kpi_catalogue_table(client: ClientData, language: str) -> pd.DataFrame:
    """The client's KPI catalogue with its classification (SPEC §3.3), tags translated and joined
    in one column (kind · measure · horizon · timing · form · sales family) so the table fits a page."""
    k = client.kpis
    tags = [[_code(tag, v, language) for v in (k[tag] if tag in k else [None] * len(k))] for tag in CATALOGUE_TAGS]
    return pd.DataFrame({
        _col("kpi", language): k["name"].astype(str),
        _col("unit", language): [DASH if _missing(u) else str(u) for u in k["unit"]],
        _col("direction", language): [_code("direction", d or "higher", language) for d in k["direction"]],
        _col("classification", language): [" · ".join(v for v in values if v != DASH) for values in zip(*tags)],
    })


def classification_table(client: ClientData, language: str) -> pd.DataFrame:
    """How many KPIs carry each code of each classification tag."""
    summary = classification_summary(client.kpis, TAGS)
    first = ~summary["tag"].duplicated()
    return pd.DataFrame({
        _col("tag", language): [t(f"stages.col.tag_{g}", language) if f else "" for g, f in zip(summary["tag"], first)],
        _col("tag_value", language): [_word("not_set", language) if v == "not_set" else _code(g, v, language)
                                      for g, v in zip(summary["tag"], summary["value"])],
        _col("kpi_count", language): [_num(c, language, 0) for c in summary["count"]],
        _col("share", language): [_pct(s, language, 0) for s in summary["share"]],
    })


def _scheme(client: ClientData) -> pd.DataFrame:
    pk = client.position_kpis.merge(client.positions[["position_id", "name"]], on="position_id",
                                    how="left").rename(columns={"name": "position"})
    pk["department"] = pk["position_id"].map(_position_departments(client))
    pk["kpi"] = pk["kpi_id"].map(_kpi_names(client))
    pk["_p"] = pk["position_id"].map(_position_order(client))
    return pk.sort_values(["_p", "weight"], ascending=[True, False], kind="stable")


def _scheme_columns(rows: pd.DataFrame, client: ClientData, language: str, tags: bool = False) -> pd.DataFrame:
    data = {_col("kpi", language): rows["kpi"].astype(str),
            _col("weight", language): [_pct(w, language) for w in rows["weight"]]}
    if tags:
        kind, timing = _kpi_attr(client, "kind"), _kpi_attr(client, "timing")
        data[_col("tag_kind", language)] = [_code("kind", kind.get(k), language) for k in rows["kpi_id"]]
        data[_col("tag_timing", language)] = [_code("timing", timing.get(k), language) for k in rows["kpi_id"]]
    data[_col("threshold", language)] = [_pct(v, language) for v in rows["threshold"]]
    data[_col("stop_threshold", language)] = [_pct(v, language) for v in rows["stop_threshold"]]
    data[_col("cap", language)] = [_pct(v, language) for v in rows["cap"]]
    curves = client.config.payout_curves
    data[_col("curve", language)] = [DASH if _missing(c) or c == "" else
                                     curve_name(curves[c], language) if c in curves else str(c) for c in rows["curve"]]
    return pd.DataFrame(data)


def _position_title(row, language: str) -> str:
    dept = row["department"]
    return f"{row['position']} · {dept}" if isinstance(dept, str) and dept else str(row["position"])


def selection_tables(client: ClientData, language: str) -> Html:
    """Per position: how its weights are set (strategy map or head-on), its KPIs with weights,
    classification, thresholds, caps and payout curves, and the selection rules it breaks."""
    pk = _scheme(client)
    levels = _levels(client)
    methods = position_methods(client.positions, client.goals, client.config.strategy_owner)
    owners, goal_names = _owners(client), _goal_names(client)
    kpi_names = _kpi_names(client)
    warnings = _position_warnings(client, language)
    parts = []
    for position_id, rows in pk.groupby("position_id", sort=False):
        level = levels.get(position_id)
        fewest, most = KPI_COUNT.get(level, KPI_COUNT_DEFAULT)
        notes = [t("stage02.selection.position_note", language, level=_code("level", level, language),
                   count=_num(len(rows), language, 0), fewest=fewest, most=most)]
        if methods.get(position_id) == "map":
            goals = ", ".join(goal_names.get(g, g) for g, who in owners.items() if who == position_id)
            notes.append(t("stage02.selection.method_map", language, goals=goals))
        else:
            notes.append(t("stage02.selection.method_head_on", language))
        dropped = client.dropped_kpis
        dropped = dropped[dropped["position_id"] == position_id] if len(dropped) else dropped
        if len(dropped):
            notes.append(t("stage02.selection.conditions", language,
                           kpis=", ".join(kpi_names.get(k, k) for k in dropped["kpi_id"])))
        body = "".join(f"<p>{html.escape(n)}</p>\n" for n in notes)
        body += table(_scheme_columns(rows, client, language, tags=True), language).html
        mine = warnings.get(position_id, [])
        if mine:
            body += (f"\n<p>{html.escape(t('stage02.selection.warnings', language))}</p>\n<ul>"
                     + "".join(f"<li>{html.escape(w)}</li>" for w in mine) + "</ul>")
        else:
            body += f"\n<p>{html.escape(t('stage02.rules.none', language))}</p>"
        parts.append((_position_title(rows.iloc[0], language), body))
    return _sections(parts, level=3, toc=False)  # one per position: too many for the contents


def _selection_problems(client: ClientData) -> list[Problem]:
    """The selection rules' warnings on the KPIs paid on, and the dropped map KPIs that keep a row."""
    dropped = [p for p in client.warnings if p.rule == "weight-min" and p.column == "kpi_id"]
    return [*check_selection_rules(client.positions, client.position_kpis, client.kpis, client.sources),
            *dropped]


def _problem_positions(problem: Problem, client: ClientData) -> list[str]:
    """The positions a selection-rule warning is about."""
    if problem.rule == "kpi-count":
        return [p for p in [_record(client.positions, problem.row).get("position_id")] if p]
    if problem.rule == "weight-min":
        source = client.dropped_kpis if problem.column == "kpi_id" else client.position_kpis
        return [p for p in [_record(source, problem.row).get("position_id")] if p]
    kpi_id = _record(client.kpis, problem.row).get("kpi_id")
    return list(dict.fromkeys(client.position_kpis.loc[client.position_kpis["kpi_id"] == kpi_id, "position_id"]))


def _position_warnings(client: ClientData, language: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in _selection_problems(client):
        message, _ = _warning_text(problem, client, language)
        for position_id in _problem_positions(problem, client):
            found.setdefault(position_id, []).append(message)
    return found


def _record(table_: pd.DataFrame, row) -> dict:
    if row is None or "_row" not in table_:
        return {}
    found = table_[table_["_row"] == row]
    return found.iloc[0].to_dict() if len(found) else {}


def _warning_text(problem, client: ClientData, language: str) -> tuple[str, str]:
    """The problem and its fix in the reader's language (the engine's own text is English)."""
    names = _kpi_names(client)
    positions = dict(zip(client.positions["position_id"], client.positions["name"]))
    rule = (problem.rule or "").replace("-", "_")
    if problem.rule == "kpi-count":
        record = _record(client.positions, problem.row)
        pid = record.get("position_id")
        level = record.get("level") if isinstance(record.get("level"), str) else None
        fewest, most = KPI_COUNT.get(level, KPI_COUNT_DEFAULT)
        count = int((client.position_kpis["position_id"] == pid).sum())
        fmt = {"position": positions.get(pid, pid), "count": count, "fewest": fewest, "most": most,
               "level": _code("level", level, language)}
        fix = "stages.rule_fix.kpi_count_" + ("fewer" if count > most else "more")
    elif problem.rule == "weight-min" and problem.column == "kpi_id":  # a map KPI dropped, with a row
        record = _record(client.dropped_kpis, problem.row)
        weights = position_kpi_weights(client.positions, client.position_kpis, client.kpis, client.goals,
                                       client.config.strategy_owner)
        share = weights.loc[(weights["position_id"] == record.get("position_id"))
                            & (weights["kpi_id"] == record.get("kpi_id")), "normalised"]
        fmt = {"kpi": names.get(record.get("kpi_id"), record.get("kpi_id")),
               "position": positions.get(record.get("position_id"), record.get("position_id")),
               "weight": _pct(share.iloc[0] if len(share) else None, language, 1),
               "min": _pct(MIN_WEIGHT, language)}
        rule, fix = "weight_dropped", "stages.rule_fix.weight_dropped"
    elif problem.rule == "weight-min":
        record = _record(client.position_kpis, problem.row)
        fmt = {"kpi": names.get(record.get("kpi_id"), record.get("kpi_id")),
               "position": positions.get(record.get("position_id"), record.get("position_id")),
               "weight": _pct(record.get("weight"), language), "min": _pct(MIN_WEIGHT, language)}
        fix = "stages.rule_fix.weight_min"
    elif problem.rule in ("data-source", "measurement-cost"):
        record = _record(client.kpis, problem.row)
        kpi_id = record.get("kpi_id")
        users = client.position_kpis.loc[client.position_kpis["kpi_id"] == kpi_id, "position_id"]
        fmt = {"kpi": names.get(kpi_id, kpi_id),
               "positions": ", ".join(positions.get(p, p) for p in dict.fromkeys(users)),
               "cost": _money(record.get("measurement_cost"), client, language, 0),
               "worth": _money(record.get("measurement_worth"), client, language, 0)}
        fix = f"stages.rule_fix.{rule}"
    else:
        return problem.message, problem.fix
    return t(f"stages.rule_message.{rule}", language, **fmt), t(fix, language)


def rule_warning_table(client: ClientData, language: str) -> pd.DataFrame:
    """The selection rules of SPEC §3.2 checked for every position: each warning with its rule,
    where it is, what is wrong and how to fix it (empty when every rule holds)."""
    problems = _selection_problems(client)
    rows = []
    for p in problems:
        message, fix = _warning_text(p, client, language)
        where = p.table if p.row is None else t("stages.word.row", language, table=p.table, row=p.row)
        rows.append((_code("rule", (p.rule or "").replace("-", "_"), language), where, message, fix))
    return pd.DataFrame(rows, columns=[_col(c, language) for c in ("rule", "where", "problem", "fix")])


def data_source_table(client: ClientData, language: str) -> Html:
    """Data source and measurement cost of each KPI, with a verdict (red where a KPI in use
    names no source or costs more to measure than it is worth)."""
    k = client.kpis
    used = client.position_kpis.groupby("kpi_id")["position_id"].nunique()
    cost = k["measurement_cost"] if "measurement_cost" in k else pd.Series(np.nan, index=k.index)
    worth = k["measurement_worth"] if "measurement_worth" in k else pd.Series(np.nan, index=k.index)

    def verdict(kpi_id, source, c, w):
        if kpi_id not in used.index:
            return "not_used"
        if _missing(source) or not str(source).strip():
            return "no_source"
        if not _missing(c) and not _missing(w) and c > w:
            return "costs_more"
        return "ok"

    verdicts = [verdict(*r) for r in zip(k["kpi_id"], k["data_source"], cost, worth)]
    df = pd.DataFrame({
        _col("kpi", language): k["name"].astype(str),
        _col("data_source", language): [DASH if _missing(s) or not str(s).strip() else str(s)
                                        for s in k["data_source"]],
        _col("measurement_cost", language): [_money(c, client, language, 0) for c in cost],
        _col("measurement_worth", language): [_money(w, client, language, 0) for w in worth],
        _col("positions_using", language): [_num(int(used.get(i, 0)), language, 0) for i in k["kpi_id"]],
        _col("verdict", language): [_word(v, language) for v in verdicts],
    })
    return rag_table(df, {_col("verdict", language): ["red" if v in ("no_source", "costs_more") else None
                                                      for v in verdicts]})


def has_funnel(results: Results) -> bool:
    """Whether the client has a sales funnel (``client.yaml`` ``funnel``)."""
    return results.funnel_plan is not None


def funnel_summary(results: Results, language: str) -> Markdown:
    """From the financial plan to the deals needed (SPEC §3.7)."""
    if not has_funnel(results):
        return text("stage02.funnel.none", language)
    f, client = results.client.config.funnel, results.client
    deals = int(results.funnel_plan["required_total"].iloc[0])
    return text("stage02.funnel.summary", language, revenue=_money(f["revenue_plan"], client, language, 0),
                deal=_money(f["average_deal"], client, language, 0), deals=_num(deals, language, 0),
                managers=_num(int(f["sales_managers"]), language, 0))


def funnel_table(results: Results, language: str) -> pd.DataFrame:
    """The funnel plan: how many of each stage the revenue plan needs, in total and per manager."""
    if not has_funnel(results):
        return pd.DataFrame()
    plan = results.funnel_plan
    return pd.DataFrame({
        _col("stage", language): [_code("funnel_stage", s, language) for s in plan["stage"]],
        _col("conversion", language): [_pct(c, language) for c in plan["conversion"]],
        _col("required_total", language): [_num(v, language, 0) for v in plan["required_total"]],
        _col("required_per_manager", language): [_num(v, language, 0) for v in plan["required_per_manager"]],
    })


def sales_funnel_chart(results: Results, language: str):
    """The sales funnel from leads down to deals (nothing without a funnel)."""
    if not has_funnel(results):
        return Markdown("")
    plan = results.funnel_plan.copy()
    plan["stage"] = [_code("funnel_stage", s, language) for s in plan["stage"]]
    return charts.funnel_chart(plan, language)


def activity_table(results: Results, language: str) -> pd.DataFrame:
    """Contact norms per client segment times clients: the activity volume and the hours it needs."""
    w = results.funnel_workload
    if w is None or w.empty:
        return pd.DataFrame()
    w = w[w["volume"] > 0]
    return pd.DataFrame({
        _col("segment", language): [_code("segment", s, language) for s in w["segment"]],
        _col("activity", language): [_code("activity", a, language) for a in w["activity"]],
        _col("clients", language): [_num(v, language, 0) for v in w["clients"]],
        _col("per_client", language): [_num(v, language) for v in w["per_client"]],
        _col("volume", language): [_num(v, language, 0) for v in w["volume"]],
        _col("hours", language): [_num(v, language, 0) for v in w["hours"]],
    })


def workload_note(results: Results, language: str) -> Markdown:
    """The hours the contact norms need against the sales team's working time."""
    s = results.funnel_summary
    if not has_funnel(results) or not s or _missing(s.get("hours_available")):
        return text("stage02.workload.none", language)
    ratio = s["load_ratio"]
    verdict = "over" if ratio > 1 else "tight" if ratio > 0.6 else "fits"
    return text("stage02.workload.summary", language, needed=_num(s["hours_needed"], language, 0),
                available=_num(s["hours_available"], language, 0), share=_pct(ratio, language, 0),
                verdict=t(f"stage02.workload.{verdict}", language))


def _history(client: ClientData, period: str) -> pd.DataFrame:
    """Plan and fact per employee, KPI and bonus period up to ``period``: the actuals, or where
    they are not the lines as paid (team KPIs, bonus periods of several months) the KPI matrix."""
    if team_kpis(client.kpis).empty and client.config.bonus_period_months == 1:
        a = client.actuals
        return a[a["period"].astype(str) <= period]
    m = kpi_matrix(client, "all")
    m = m[(m["period"].astype(str) <= period).to_numpy()]
    return pd.DataFrame({c: m[c].astype(str) if c in ("period", "employee_id", "kpi_id") else m[c]
                         for c in ("period", "employee_id", "kpi_id", "plan", "fact")}).reset_index(drop=True)


def target_table(results: Results, language: str):
    """Achievable targets per position and KPI from the history (SPEC §3.8): between the average
    and the best result of the position's employees; higher for leads and heads."""
    client = results.client
    history = _history(client, results.period).merge(client.employees[["employee_id", "position_id"]], on="employee_id")
    scheme = _scheme(client)
    direction = {k: d for k, d in _kpi_attr(client, "direction").items() if isinstance(d, str)}
    units = _kpi_attr(client, "unit")
    levels = _levels(client)
    current = history[history["period"].astype(str) == results.period].groupby(["position_id", "kpi_id"])["plan"].mean()
    rows = []
    for record in scheme.itertuples():
        h = history[(history["position_id"] == record.position_id) & (history["kpi_id"] == record.kpi_id)]
        if h.empty:
            continue
        s = suggest_targets(h[["period", "kpi_id", "fact"]], direction, level=levels.get(record.position_id, "line"),
                            per_employee=False)
        if s.empty:
            continue
        s = s.iloc[0]
        rows.append((record.position, record.kpi, units.get(record.kpi_id),
                     current.get((record.position_id, record.kpi_id)), s["average"], s["best"], s["suggested"]))
    if not rows:
        return text("stage02.targets.none", language)
    return rag_table(pd.DataFrame({
        "_position": [r[0] for r in rows],
        _col("kpi", language): [r[1] for r in rows],
        _col("unit", language): [DASH if _missing(r[2]) else str(r[2]) for r in rows],
        _col("current_plan", language): [_num(r[3], language) for r in rows],
        _col("average", language): [_rounded(r[4], language) for r in rows],
        _col("best", language): [_num(r[5], language) for r in rows],
        _col("suggested", language): [_rounded(r[6], language) for r in rows],
    }), group_by="_position")


# =========================================================================== 03 KPI matrices

def _matrix_table(lines: pd.DataFrame, language: str) -> Html:
    """One position's KPI matrix: a group row per employee, a line per KPI with its attainment
    tinted, and the performance ratio (the sum of the indices) under the indices."""
    group, ratio_label = "_employee", t("stages.word.performance_ratio_row", language)
    rows, statuses = [], []
    for employee_id, mine in lines.groupby("employee_id", sort=False, observed=True):
        name = str(mine["employee"].iloc[0])
        for r in mine.itertuples():
            rows.append((name, str(r.kpi), str(r.unit) if r.unit else DASH, _pct(r.effective_weight, language),
                         _num(r.plan, language), _num(r.fact, language), _pct(r.attainment, language, 1),
                         _num(r.index, language, 3)))
            statuses.append(_rag(r.attainment) if str(r.fact_status) == "ok" else None)
        rows.append((name, ratio_label, "", "", "", "", "", _num(mine["index"].sum(), language, 3)))
        statuses.append(None)
    columns = [group] + [_col(c, language) for c in ("kpi", "unit", "weight", "plan", "fact", "attainment", "index")]
    df = pd.DataFrame(rows, columns=columns)
    strong = [i for i, r in enumerate(rows) if r[1] == ratio_label and r[2] == ""]
    return rag_table(df, {_col("attainment", language): statuses}, strong_rows=strong, group_by=group)


def kpi_matrices(results: Results, language: str) -> Html:
    """For every position, the KPI matrix of its employees in the period (SPEC §3.4): weight,
    plan, fact, attainment tinted red, amber or green, index, and each employee's performance ratio."""
    client = results.client
    lines = _ordered(results.bonus.lines[results.bonus.lines["period"] == results.period], client)
    parts = [(_position_title(rows.iloc[0], language), _matrix_table(rows, language).html)
             for _, rows in lines.groupby(["department", "position_id"], sort=False, observed=True)]
    return Html(_sections(parts).html + f"\n<p>{html.escape(_rag_legend(language))}</p>")


def attainment_heatmaps(results: Results, language: str) -> Html:
    """Attainment heatmaps, employees × KPIs, one per department, the KPIs numbered with a legend
    below (charts.attainment_heatmap wraps long column labels wider than their columns)."""
    lines = _ordered(results.bonus.lines[results.bonus.lines["period"] == results.period], results.client)
    parts = []
    for department, rows in lines.groupby("department", sort=False, observed=True):
        names = list(pd.unique(rows["kpi"].astype(str)))
        number = {name: str(i + 1) for i, name in enumerate(names)}
        m = pd.DataFrame({"employee": rows["employee"].astype(str), "kpi": rows["kpi"].astype(str).map(number),
                          "attainment": rows["attainment"]})
        legend = " · ".join(f"<strong>{number[n]}</strong>\u00a0{html.escape(n)}" for n in names)
        parts.append((str(department), _figure_html(charts.attainment_heatmap(m, language))
                      + f'\n<p class="heatmap-legend" style="font-size: 8.5pt">{legend}</p>'))
    return _sections(parts)


def rollup_table(results: Results, language: str) -> Html:
    """Roll-up by department: employees, mean, lowest and highest performance ratio, KPIs at plan."""
    lines = results.bonus.lines[results.bonus.lines["period"] == results.period]
    r = department_rollup(lines)
    order = {d: i for i, d in enumerate(_departments(results.client))}
    r = r.assign(_d=r["department"].astype(object).map(order)).sort_values("_d", kind="stable")
    df = pd.DataFrame({
        _col("department", language): r["department"].astype(str),
        _col("employees", language): [_num(v, language, 0) for v in r["employees"]],
        _col("mean_ratio", language): [_num(v, language, 3) for v in r["mean_ratio"]],
        _col("min_ratio", language): [_num(v, language, 3) for v in r["min_ratio"]],
        _col("max_ratio", language): [_num(v, language, 3) for v in r["max_ratio"]],
        _col("kpis_at_plan", language): [_pct(v, language, 0) for v in r["kpis_at_plan"]],
    })
    return rag_table(df)


# =========================================================================== 04 bonus scheme

def bonus_formula(language: str) -> Markdown:
    """The bonus formula of SPEC §3.5, explained."""
    return text("stage04.formula.text", language)


def fund_rules(client: ClientData, language: str) -> pd.DataFrame:
    """How each position's bonus fund is set: its variable share of target pay and what that is
    as a share of base salary (``v / (1 - v)``)."""
    p = client.positions
    counts = client.employees.groupby("position_id").size()
    share = p["variable_share"].astype(float)
    departments = _position_departments(client)
    return pd.DataFrame({
        _col("position", language): p["name"].astype(str),
        _col("department", language): [DASH if _missing(departments[i]) else str(departments[i])
                                       for i in p["position_id"]],
        _col("employees", language): [_num(int(counts.get(i, 0)), language, 0) for i in p["position_id"]],
        _col("variable_share", language): [_pct(v, language) for v in share],
        _col("fund_of_salary", language): [_pct(v / (1 - v), language, 1) if not _missing(v) and v < 1 else DASH
                                           for v in share],
    })


def scheme_tables(client: ClientData, language: str) -> Html:
    """Per position: KPIs with weights, thresholds, blocking stop thresholds, caps, payout curves
    and the stop-factor rules."""
    pk = _scheme(client)
    rules = client.stop_factors
    names = _kpi_names(client)
    units = _kpi_attr(client, "unit")
    parts = []
    for position_id, rows in pk.groupby("position_id", sort=False):
        body = str(table(_scheme_columns(rows, client, language), language))
        mine = rules[rules["position_id"] == position_id]
        for rule in mine.itertuples():
            words = t("stage04.scheme.stop_rule", language, kpi=names.get(rule.kpi_id, rule.kpi_id),
                      condition=_code("condition", rule.condition, language),
                      limit=kpi_value(rule.limit, units.get(rule.kpi_id), language, client.config.currency),
                      factor=_num(rule.factor, language))
            body += f"\n<p>{html.escape(words)}</p>"
        parts.append((_position_title(rows.iloc[0], language), body))
    return _sections(parts, level=3, toc=False)  # one per position: too many for the contents


def payout_curve_table(client: ClientData, language: str) -> pd.DataFrame:
    """The payout curves: attainment -> coefficient points."""
    rows = []
    for curve in client.config.payout_curves.values():
        at = (lambda x: _num(x, language)) if curve.basis == "value" else (lambda x: _pct(x, language))
        points = "; ".join(f"{at(x)} → {_num(y, language)}" for x, y in curve.points)
        rows.append((curve_name(curve, language), _code("curve_kind", curve.kind, language), points))
    return pd.DataFrame(rows, columns=[_col(c, language) for c in ("curve", "curve_kind", "curve_points")])


def _totals(results: Results) -> pd.DataFrame:
    totals = results.bonus.totals
    return _ordered(totals[totals["period"] == results.period], results.client)


def bonus_summary(results: Results, language: str) -> Html:
    """Every employee's statement in one line, by department: ratio, fund, bonus and why, with a total."""
    client = results.client
    t_ = _totals(results)
    names = _kpi_names(client)
    df = pd.DataFrame({
        _col("department", language): t_["department"].astype(str),
        _col("employee", language): t_["employee"].astype(str),
        _col("position", language): t_["position"].astype(str),
        _col("performance_ratio", language): [_num(v, language, 3) for v in t_["performance_ratio"]],
        _col("fund", language): [_money(v, client, language) for v in t_["bonus_fund"]],
        _col("bonus", language): [_money(v, client, language) for v in t_["bonus"]],
        _col("reason", language): [statement_reason(r, language, names, _kpi_attr(client, "unit"), client.config.currency)
                                     for _, r in t_.iterrows()],
    })
    total = {c: "" for c in df.columns}
    total[_col("employee", language)] = t("report.total", language)
    scale = 10 ** results.bonus.decimals
    total[_col("fund", language)] = _money(int(t_["fund_minor"].sum()) / scale, client, language)
    total[_col("bonus", language)] = _money(int(t_["bonus_minor"].sum()) / scale, client, language)
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    return rag_table(df, strong_rows=[len(df) - 1], group_by=_col("department", language))


def bonus_statements(results: Results, language: str) -> Html:
    """Every employee's bonus statement, grouped by department (a heading each): the statement
    each employee receives (:func:`kpi_toolkit.outputs.statement.statement_html`), without the signature
    lines, and naming the members a team KPI counts."""
    client = results.client
    people = dict(zip(client.employees["employee_id"].astype(str), client.employees["name"].astype(str)))
    parts, current, body = [], None, []
    for _, row in _totals(results).iterrows():
        if row["department"] != current:
            if body:
                parts.append((str(current), "\n".join(body)))
            current, body = row["department"], []
        body.append(statement_html(results, str(row["employee_id"]), language, heading_level=4, team_names=people))
    if body:
        parts.append((str(current), "\n".join(body)))
    return Html(f"<style>{statement_css()}</style>\n{_sections(parts).html}")


def pool_summary(results: Results, language: str) -> Markdown:
    """The pool against its budget, and how many employees are paid."""
    client = results.client
    pool = results.bonus.pool(results.period)
    totals = _totals(results)
    paid = int((totals["bonus_minor"] > 0).sum())
    words = t("stage04.pool.summary", language, pool=_money(pool, client, language),
              paid=_num(paid, language, 0), employees=_num(len(totals), language, 0))
    budget = client.config.bonus_budget
    if budget:
        key = "over" if pool > budget else "under"
        words += " " + t(f"stage04.pool.{key}", language, budget=_money(budget, client, language, 0),
                         amount=_money(abs(pool - budget), client, language), share=_pct(pool / budget, language, 1))
    else:
        words += " " + t("bonus.no_budget", language) + "."
    return Markdown(words)


def pool_chart(results: Results, language: str):
    """The bonus pool against its budget."""
    return charts.pool_vs_budget_chart(results.bonus.pool(results.period), results.client.config.bonus_budget,
                                       results.client.config.currency, language)


def _by_department(results: Results) -> pd.DataFrame:
    t_ = _totals(results)
    scale = 10 ** results.bonus.decimals
    g = t_.groupby("department", sort=False, observed=True).agg(
        employees=("employee_id", "size"), fund=("fund_minor", "sum"), bonus=("bonus_minor", "sum"))
    g["fund"], g["bonus"] = g["fund"] / scale, g["bonus"] / scale
    return g.reset_index()


def department_bonus_table(results: Results, language: str) -> pd.DataFrame:
    """Bonus by department: employees, fund, bonus and the share of the fund paid."""
    client = results.client
    g = _by_department(results)
    return pd.DataFrame({
        _col("department", language): g["department"].astype(str),
        _col("employees", language): [_num(v, language, 0) for v in g["employees"]],
        _col("fund", language): [_money(v, client, language, 0) for v in g["fund"]],
        _col("bonus", language): [_money(v, client, language, 0) for v in g["bonus"]],
        _col("share_of_fund", language): [_pct(b / f, language, 1) if f else DASH
                                          for b, f in zip(g["bonus"], g["fund"])],
    })


def department_bonus_chart(results: Results, language: str):
    """Each department's bonus inside its fund."""
    g = _by_department(results)
    g["department"] = g["department"].astype(str)
    return charts.bonus_by_department_chart(g[["department", "bonus", "fund"]], results.client.config.currency,
                                            language)


def stopped_bonuses(results: Results, language: str):
    """Who is blocked by a stop threshold or cut by a stop factor, and what it costs them."""
    client, bonus = results.client, results.bonus
    t_ = _totals(results)
    hit = t_[(t_["blocking_kpis"] != "") | (t_["stop_rules"] != "")]
    lines = bonus.lines[bonus.lines["period"] == results.period]
    before = (lines["fund_share"] * lines["coefficient"]).groupby(lines["employee_id"], observed=True).sum()
    names = _kpi_names(client)
    if hit.empty:
        return text("stage04.stopped.none", language)
    return rag_table(pd.DataFrame({
        _col("employee", language): hit["employee"].astype(str),
        _col("position", language): hit["position"].astype(str),
        _col("reason", language): [statement_reason(r, language, names, _kpi_attr(client, "unit"), client.config.currency)
                                     for _, r in hit.iterrows()],
        _col("without_stop", language): [_money(before.get(e, 0.0), client, language) for e in hit["employee_id"]],
        _col("bonus", language): [_money(b, client, language) for b in hit["bonus"]],
        _col("withheld", language): [_money(max(before.get(e, 0.0) - b, 0.0), client, language)
                                     for e, b in zip(hit["employee_id"], hit["bonus"])],
    }))


def _scheme_outcome(client: ClientData, period: str) -> dict:
    b = compute_bonuses(client, period)
    totals = b.totals[b.totals["period"] == period]
    scale = 10 ** b.decimals
    return {
        "pool": int(totals["bonus_minor"].sum()) / scale,
        "paid": int((totals["bonus_minor"] > 0).sum()),
        "stopped": int(((totals["blocking_kpis"] != "") | (totals["stop_rules"] != "")).sum()),
        "departments": (totals.groupby("department", sort=False, observed=True)["bonus_minor"].sum() / scale).to_dict(),
    }


def scenario_comparison(client: ClientData, period: str | None = None, language: str | None = None) -> pd.DataFrame:
    """The current scheme and every saved scenario side by side: pool, against budget, employees
    paid and stopped, and the bonus of each department.

    Returns an empty table when the toolkit has no scenario explorer or the client no saved
    scenario.
    """
    period = period or client.config.period
    language = language or client.config.language
    module = _scenarios_module()
    names = list(module.list_scenarios(client)) if module is not None else []
    if not names:
        return pd.DataFrame()
    outcomes = {t("stages.word.current_scheme", language): _scheme_outcome(client, period)}
    for name in names:
        try:
            outcomes[str(name)] = _scheme_outcome(module.apply_scenario(client, name), period)
        except ScenarioError:
            outcomes[str(name)] = None
    budget = client.config.bonus_budget
    departments = list(dict.fromkeys(d for o in outcomes.values() if o for d in o["departments"]))
    rows = [("pool", lambda o: _money(o["pool"], client, language, 0))]
    if budget:
        rows.append(("against_budget", lambda o: _signed_money(o["pool"] - budget, client, language)))
    rows += [("paid", lambda o: _num(o["paid"], language, 0)),
             ("stopped", lambda o: _num(o["stopped"], language, 0))]
    data = {_col("measure", language): [t(f"stage04.scenarios.{k}", language) for k, _ in rows]
            + [t("stage04.scenarios.department", language, department=d) for d in departments]}
    for name, o in outcomes.items():
        if o is None:
            data[name] = [_word("not_applicable", language)] + [""] * (len(rows) + len(departments) - 1)
            continue
        data[name] = [f(o) for _, f in rows] + [_money(o["departments"].get(d, 0.0), client, language, 0)
                                                for d in departments]
    return pd.DataFrame(data)


def _shifted(client: ClientData, shift: float) -> ClientData:
    """The client with every scheme line's attainment moved by ``shift``: facts become
    ``F * (1 + s)`` for higher-is-better, ``F / (1 + s)`` for lower-is-better and
    ``B + (F - B)(1 + s)`` with a baseline; band KPIs and facts only stop factors watch stay."""
    if shift == 0:
        return client
    actuals, kpis = client.actuals, client.kpis.set_index("kpi_id")
    position = actuals["employee_id"].map(dict(zip(client.employees["employee_id"], client.employees["position_id"])))
    scheme = set(zip(client.position_kpis["position_id"], client.position_kpis["kpi_id"]))
    is_line = pd.Series([pair in scheme for pair in zip(position, actuals["kpi_id"])], index=actuals.index)
    direction = actuals["kpi_id"].map(kpis["direction"]).fillna("higher")
    baseline = actuals["kpi_id"].map(kpis["baseline"]).astype(float)
    fact = actuals["fact"].astype(float)
    factor = 1.0 + shift
    moved = fact.where(direction != "higher", fact * factor).where(direction != "lower", fact / factor)
    moved = moved.where(baseline.isna(), baseline + (fact - baseline) * factor)
    return client.with_tables(actuals=actuals.assign(fact=moved.where(is_line & (direction != "band"), fact)))


def pool_sensitivity(client: ClientData, period: str | None = None, shifts=SHIFTS) -> pd.DataFrame:
    """The bonus pool when every attainment of the period changes by each shift (-0.1 = 10 % lower).

    Facts are moved as :func:`_shifted` says and the bonuses computed again, so thresholds,
    caps, curves and stop factors all take effect. Uses :mod:`kpi_toolkit.method.sensitivity` when the
    toolkit has it (the scenario explorer shares it).

    Returns
    -------
    DataFrame
        Columns ``shift, pool`` (money in major units), sorted by shift, with a shift of 0.
    """
    period = period or client.config.period
    shifts = sorted({float(s) for s in shifts} | {0.0})
    module = _optional_module("sensitivity")
    if module is not None:
        return module.attainment_sensitivity(client, period, shifts)[["shift", "pool"]].reset_index(drop=True)
    pools = [compute_bonuses(_shifted(client, s), period).pool(period) for s in shifts]
    return pd.DataFrame({"shift": shifts, "pool": pools})


def sensitivity_table(sensitivity: pd.DataFrame, client: ClientData, language: str) -> pd.DataFrame:
    """The sensitivity of the pool as a reader's table: change, pool, against now and budget."""
    base = sensitivity.loc[sensitivity["shift"] == 0, "pool"]
    base = float(base.iloc[0]) if len(base) else np.nan
    budget = client.config.bonus_budget
    data = {
        _col("attainment_shift", language): [("+" if s > 0 else "") + _pct(s, language) for s in sensitivity["shift"]],
        _col("pool", language): [_money(p, client, language, 0) for p in sensitivity["pool"]],
        _col("against_current", language): [_signed_money(p - base, client, language) for p in sensitivity["pool"]],
    }
    if budget:
        data[_col("against_budget", language)] = [_signed_money(p - budget, client, language)
                                                  for p in sensitivity["pool"]]
    return pd.DataFrame(data)


def sensitivity_figure(sensitivity: pd.DataFrame, client: ClientData, language: str):
    """The pool against the change in attainment, with the budget line."""
    return charts.sensitivity_chart(sensitivity, client.config.bonus_budget, client.config.currency, language)


# =========================================================================== 05 pilot

def _pilot_lines(results: Results) -> pd.DataFrame:
    lines = kpi_matrix(results.client, "all")
    return lines[lines["period"].astype(str) <= results.period]


def _trends(results: Results, by_position: bool = False) -> pd.DataFrame:
    """Per department (and position), KPI and period: mean plan, fact and attainment over the
    employees. Plans and facts are only comparable within a position (a head's revenue plan is
    the department's); attainment is comparable across positions."""
    lines = _pilot_lines(results)
    lines = lines.assign(department=lines["department"].astype(str), kpi=lines["kpi"].astype(str),
                         kpi_id=lines["kpi_id"].astype(str), period=lines["period"].astype(str),
                         position=lines["position"].astype(str), position_id=lines["position_id"].astype(str),
                         attainment=lines["attainment"].where(lines["fact_status"].astype(str) == "ok"))
    keys = ["department", "position_id", "position"] if by_position else ["department"]
    g = lines.groupby([*keys, "kpi_id", "kpi", "period"], sort=False).agg(
        plan=("plan", "mean"), fact=("fact", "mean"), attainment=("attainment", "mean"),
        employees=("employee_id", "nunique"), weight=("weight", "sum"))
    g = g.reset_index()
    departments = {d: i for i, d in enumerate(_departments(results.client))}
    g["_d"] = g["department"].map(departments).fillna(len(departments))
    return g.sort_values(["_d", "period"], kind="stable").drop(columns="_d")


def _periods_of(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["period"].unique())


def rag_by_period(results: Results, language: str) -> Html:
    """Red, amber or green status per department, KPI and period (mean attainment of the employees)."""
    g = _trends(results)
    periods = _periods_of(g)
    grid = g.pivot_table(index=["department", "kpi"], columns="period", values="attainment", sort=False)
    grid = grid.reindex(columns=periods)
    df = pd.DataFrame({
        "_department": list(grid.index.get_level_values(0)),
        _col("kpi", language): list(grid.index.get_level_values(1)),
    })
    statuses = {}
    for p in periods:
        heading = format_period(p, language, short=True)
        df[heading] = [_pct(v, language, 0) for v in grid[p]]
        statuses[heading] = [_rag(v) for v in grid[p]]
    return Html(rag_table(df, statuses, group_by="_department").html
                + f"\n<p>{html.escape(_rag_legend(language))}</p>")


def plan_fact_charts(results: Results, language: str) -> Html:
    """Plan against fact over the pilot periods in each department: the heaviest KPI of the
    department's largest position, averaged over that position's employees."""
    from matplotlib.ticker import FuncFormatter

    g = _trends(results, by_position=True)
    direction = _kpi_attr(results.client, "direction")
    parts = []
    for department, rows in g.groupby("department", sort=False):
        rows = rows[rows["kpi_id"].map(direction).fillna("higher") != "band"]
        if rows.empty:
            continue
        now = rows[rows["period"] == rows["period"].max()]
        position = now.groupby("position_id", sort=False)["employees"].max().idxmax()
        top = now[now["position_id"] == position].sort_values("weight", ascending=False, kind="stable").iloc[0]
        series = rows[(rows["kpi_id"] == top["kpi_id"]) & (rows["position_id"] == position)].sort_values("period")
        key = "stage05.trends.one" if top["employees"] == 1 else "stage05.trends.average"
        fig = charts.plan_fact_chart(series[["period", "plan", "fact"]], t(key, language, kpi=top["kpi"],
                                     position=top["position"]), language,
                                     direction=direction.get(top["kpi_id"]) or "higher")
        # plan_fact_chart leaves the value axis in matplotlib's own format: use the reader's
        fig.axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, language)))
        parts.append((department, _figure_html(fig)))
    return _sections(parts)


def early_warnings(results: Results, language: str) -> Html:
    """Leading indicators (timing = leading) over the last periods: a falling one warns early."""
    g = _trends(results)
    timing = _kpi_attr(results.client, "timing")
    g = g[g["kpi_id"].map(timing) == "leading"]
    periods = _periods_of(g)[-TREND_PERIODS:]
    if g.empty or not periods:
        return Html(f"<p>{html.escape(t('stage05.warnings.none_leading', language))}</p>")
    rows, statuses, trend_status = [], {p: [] for p in periods}, []
    for (department, kpi_id, kpi), series in g.groupby(["department", "kpi_id", "kpi"], sort=False):
        values = series.set_index("period")["attainment"].reindex(periods)
        v = values.dropna().to_numpy()
        falling = len(v) == len(periods) and len(v) >= 2 and bool(np.all(np.diff(v) < -1e-9))
        rising = len(v) >= 2 and bool(np.all(np.diff(v) > 1e-9))
        trend = "falling" if falling else "rising" if rising else "stable"
        rows.append([department, kpi, *[_pct(x, language, 0) for x in values],
                     _word(f"trend_{trend}", language)])
        for p, x in zip(periods, values):
            statuses[p].append(_rag(x))
        trend_status.append("red" if falling else "green" if rising else None)
    headings = [format_period(p, language, short=True) for p in periods]
    columns = ["_department", _col("kpi", language), *headings, _col("trend", language)]
    df = pd.DataFrame(rows, columns=columns)
    status_map = {h: statuses[p] for h, p in zip(headings, periods)}
    status_map[_col("trend", language)] = trend_status
    falling = sum(1 for s in trend_status if s == "red")
    note = (t("stage05.warnings.some", language, count=falling, periods=len(periods) - 1) if falling
            else t("stage05.warnings.none", language))
    return Html(f"<p>{html.escape(note)}</p>\n" + rag_table(df, status_map, group_by="_department").html)


def data_gaps(results: Results, language: str) -> pd.DataFrame:
    """Facts missing during the pilot: lines without a fact (and how they were treated) and KPIs
    of employees at work with no line at all."""
    client = results.client
    lines = _pilot_lines(results)
    missing = lines[lines["fact_status"].astype(str) != "ok"]
    rows = [(str(r.period), str(r.employee), str(r.kpi), _code("fact_status", str(r.fact_status), language))
            for r in missing.itertuples()]
    present = set(zip(client.actuals["period"].astype(str), client.actuals["employee_id"], client.actuals["kpi_id"]))
    names = _kpi_names(client)
    team = set(team_kpis(client.kpis)["kpi_id"])  # a team KPI has no rows: its team's rows are its data
    own = client.position_kpis[~client.position_kpis["kpi_id"].isin(team)]
    scheme = own.groupby("position_id")["kpi_id"].apply(list).to_dict()
    for period in [p for p in client.periods if p <= results.period]:
        start, end = period_bounds(period)  # the rows are monthly, whatever the bonus period
        for e in client.employees.itertuples():
            if days_employed(start, end, e.start_date, e.end_date) == 0:
                continue
            for kpi_id in scheme.get(e.position_id, []):
                if (period, e.employee_id, kpi_id) not in present:
                    rows.append((period, e.name, names.get(kpi_id, kpi_id), _word("no_row", language)))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return pd.DataFrame({
        _col("period", language): [_period(r[0], language) for r in rows],
        _col("employee", language): [r[1] for r in rows],
        _col("kpi", language): [r[2] for r in rows],
        _col("treatment", language): [r[3] for r in rows],
    })


def has_project(results: Results) -> bool:
    """Whether the client has a project table (the implementation project's scorecard)."""
    return results.project_scorecard is not None and not results.project_scorecard.empty


def _scorecard(results: Results) -> pd.DataFrame:
    sc = results.project_scorecard
    return sc[sc["period"].astype(str) <= results.period]


def project_summary(results: Results, language: str) -> Markdown:
    """The project's position at the latest period: indices, forecast, status."""
    if not has_project(results):
        return text("stage05.project.none", language)
    client = results.client
    last = _scorecard(results).iloc[-1]
    key = "overrun" if last["vac"] < 0 else "saving"
    return text(f"stage05.project.summary_{key}", language, period=_period(last["period"], language),
                cpi=_num(last["cpi"], language), spi=_num(last["spi"], language),
                eac=_money(last["eac"], client, language, 0), bac=_money(last["bac"], client, language, 0),
                vac=_money(abs(last["vac"]), client, language, 0), status=_code("rag", last["overall"], language))


def project_scorecard_tables(results: Results, language: str) -> Html:
    """The project scorecard: earned-value figures per period, then the status of each area."""
    if not has_project(results):
        return Html("")
    client = results.client
    sc = _scorecard(results)
    period_col = _col("period", language)
    periods = [format_period(p, language, short=True) for p in sc["period"]]
    money = pd.DataFrame({period_col: periods})
    for c in ("pv", "ev", "ac", "cv", "sv"):
        money[c.upper()] = [_money(v, client, language, 0) for v in sc[c]]
    indices = pd.DataFrame({period_col: periods, "CPI": [_num(v, language, 2) for v in sc["cpi"]],
                            "SPI": [_num(v, language, 2) for v in sc["spi"]]})
    for c in ("eac", "vac"):
        indices[c.upper()] = [_money(v, client, language, 0) for v in sc[c]]
    status = pd.DataFrame({period_col: periods})
    tints = {}
    for area in ("budget", "schedule", "scope", "quality", "overall"):
        heading = _col(f"area_{area}", language)
        status[heading] = [_code("rag", s, language) for s in sc[area]]
        tints[heading] = list(sc[area])
    status[_col("issues_opened", language)] = [_num(v, language, 0) for v in sc["issues_opened"]]
    status[_col("issues_closed", language)] = [_num(v, language, 0) for v in sc["issues_closed"]]
    status[_col("open_issues", language)] = [_num(v, language, 0) for v in sc["open_issues"]]
    return Html("\n".join(rag_table(df).html for df in (money, indices)) + "\n" + rag_table(status, tints).html)


def earned_value_figure(results: Results, language: str):
    """The earned-value S-curves: PV, EV and AC against the budget at completion (nothing
    without a project table)."""
    if not has_project(results):
        return Markdown("")
    return charts.earned_value_chart(_scorecard(results), results.client.config.currency, language)


# =========================================================================== 06 rollout

def goal_hierarchy(results: Results, language: str) -> Html:
    """The final hierarchy (SPEC §3.2): company goal → the position accountable for it → the goal's
    KPIs with their weight in that position's scheme → the positions paid on each KPI, with its
    weight in theirs. Goals run from the root goals down, indented; a goal that supports several
    goals is shown under the first (heaviest) of them. Without a strategy map: each position with
    its expert weights."""
    client = results.client
    kw = results.kpi_weights[results.kpi_weights["kept"]]
    names, positions = _kpi_names(client), _position_names(client)
    order = _position_order(client)
    kw = kw.assign(_p=kw["position_id"].map(order)).sort_values(["_p", "weight"], ascending=[True, False],
                                                                   kind="stable")
    paid = {k: "; ".join(f"{positions.get(p, p)} {_pct(w, language, 1)}" for p, w in zip(g["position_id"], g["weight"]))
            for k, g in kw.groupby("kpi_id", sort=False)}
    rows = []  # (depth, is heading, text, perspective, owner, weight, paid on by)
    if not has_map(results):
        for position_id, group in kw.groupby("position_id", sort=False):
            rows.append((0, True, positions.get(position_id, position_id), "", "", "", ""))
            rows += [(1, False, "• " + str(names.get(k, k)), "", "", _pct(w, language, 1), "")
                     for k, w in zip(group["kpi_id"], group["weight"])]
    else:
        gw = results.goal_weights.set_index("goal_id")
        owners = _owners(client)
        own_weight = {(p, k): w for p, k, w in zip(kw["position_id"], kw["kpi_id"], kw["weight"])}
        goal_of = client.kpis.groupby("goal_id", sort=False)["kpi_id"].agg(list).to_dict()
        links = goal_links(client.goals)
        children = {}
        for parent, child in zip(links["parent_id"], links["goal_id"]):
            children.setdefault(parent, []).append(child)
        seen: set[str] = set()

        def walk(goal_id: str, depth: int) -> None:
            if goal_id in seen:
                return
            seen.add(goal_id)
            owner = owners.get(goal_id)
            rows.append((depth, True, str(gw.at[goal_id, "name"]),
                         _code("perspective", gw.at[goal_id, "perspective"], language),
                         positions.get(owner, DASH), _num(gw.at[goal_id, "weight"], language, 3), ""))
            kpis = [k for k in goal_of.get(goal_id, []) if k in paid]
            kpis.sort(key=lambda k: -own_weight.get((owner, k), 0.0))
            for kpi_id in kpis:
                mine = own_weight.get((owner, kpi_id))
                rows.append((depth + 1, False, "• " + str(names.get(kpi_id, kpi_id)), "", "",
                             DASH if mine is None else _pct(mine, language, 1), paid[kpi_id]))
            for child in sorted(children.get(goal_id, []), key=lambda g: -gw.at[g, "weight"]):
                walk(child, depth + 1)

        for root in [g for g in gw.index if g not in set(links["goal_id"])]:
            walk(root, 0)
    first = _col("goal_or_kpi", language)
    columns = [first, _col("perspective", language), _col("owner", language), _col("weight", language),
               _col("paid_on_by", language)]
    df = pd.DataFrame([r[2:] for r in rows], columns=columns)
    if not has_map(results):
        df = df[[first, _col("weight", language)]]
    styles = [f"padding-left: {2 + 5 * depth}mm" + ("; font-weight: 700" if heading else "")
              for depth, heading, *_ in rows]
    return rag_table(df, styles={first: styles})


def position_matrices(client: ClientData, language: str) -> Html:
    """The KPI matrices of all positions, by department: weights, thresholds, stop thresholds,
    caps, curves."""
    pk = _scheme(client)
    first = ~pk["position_id"].duplicated()
    df = _scheme_columns(pk, client, language)
    df.insert(0, _col("position", language), [str(p) if f else "" for p, f in zip(pk["position"], first)])
    df.insert(0, "_department", [d if isinstance(d, str) else "" for d in pk["department"]])
    return rag_table(df, group_by="_department")


def work_plan_period(results: Results) -> str:
    """The coming period the work plans are for."""
    return next_period(results.period, results.client.config.bonus_period_months)


def work_plans(results: Results, language: str) -> Html:
    """Work plans for the coming period, per department and employee: each KPI's current plan,
    the employee's average and best result, and the suggested plan (SPEC §3.8)."""
    client = results.client
    history = _history(client, results.period)
    employees = client.employees
    in_work = employees[[days_employed(*period_bounds(work_plan_period(results), client.config.bonus_period_months),
                                       s, e) > 0 for s, e in zip(employees["start_date"], employees["end_date"])]]
    levels = _levels(client)
    level = {e: levels.get(p, "line") for e, p in zip(in_work["employee_id"], in_work["position_id"])}
    direction = {k: d for k, d in _kpi_attr(client, "direction").items() if isinstance(d, str)}
    history = history[history["employee_id"].isin(level)]
    suggested = suggest_targets(history[["period", "employee_id", "kpi_id", "fact"]], direction, level=level)
    suggested = suggested.set_index(["employee_id", "kpi_id"])
    current = history[history["period"].astype(str) == results.period].set_index(["employee_id", "kpi_id"])["plan"]
    units, names = _kpi_attr(client, "unit"), _kpi_names(client)
    scheme = _scheme(client)
    positions = dict(zip(client.positions["position_id"], client.positions["name"]))
    frame = in_work.assign(employee=in_work["name"], position=in_work["position_id"].map(positions),
                           department=employee_departments(in_work, client.positions))
    parts, body, current_dept = [], [], None
    for e in _ordered(frame, client).itertuples():
        if e.department != current_dept:
            if body:
                parts.append((str(current_dept), _work_plan_table(body, language)))
            current_dept, body = e.department, []
        for kpi_id in scheme.loc[scheme["position_id"] == e.position_id, "kpi_id"]:
            s = suggested.loc[(e.employee_id, kpi_id)] if (e.employee_id, kpi_id) in suggested.index else None
            body.append((e.employee, names.get(kpi_id, kpi_id), units.get(kpi_id),
                         current.get((e.employee_id, kpi_id)),
                         None if s is None else s["average"], None if s is None else s["best"],
                         None if s is None else s["suggested"]))
    if body:
        parts.append((str(current_dept), _work_plan_table(body, language)))
    return _sections(parts)


def _work_plan_table(rows: list, language: str) -> str:
    columns = ["_employee"] + [_col(c, language) for c in ("kpi", "unit", "current_plan", "average", "best",
                                                           "next_plan")]
    shown = [(str(r[0]), str(r[1]), DASH if _missing(r[2]) else str(r[2]), _num(r[3], language),
              _rounded(r[4], language), _num(r[5], language), _rounded(r[6], language)) for r in rows]
    return rag_table(pd.DataFrame(shown, columns=columns), group_by="_employee").html


def rollout_phase_of(client: ClientData) -> dict[str, str]:
    """The rollout phase of each department: commercial units first, back office last.

    The rule: a department with a KPI in a sales family (clients in work, attention to clients,
    time regulations, work intensity) is commercial; of the others, those with at least the
    average headcount of the non-commercial departments (production, warehouse) come next as
    operations; the rest, the small support units, are the back office.
    """
    departments = _departments(client)
    staff = _staff_departments(client)
    family = client.position_kpis["kpi_id"].map(_kpi_attr(client, "sales_family")) \
        if "sales_family" in client.kpis else None
    selling = set(client.position_kpis.loc[family.notna() & (family.astype(str) != ""), "position_id"]) \
        if family is not None else set()
    default = dict(zip(client.positions["position_id"], client.positions["department"]))
    commercial = set(staff.loc[staff["position_id"].isin(selling), "department"]) | {
        default[p] for p in selling if p in default and not (staff["position_id"] == p).any()}
    headcount = staff.groupby("department").size()
    others = [d for d in departments if d not in commercial]
    average = float(np.mean([headcount.get(d, 0) for d in others])) if others else 0.0
    return {d: "commercial" if d in commercial else "operations" if headcount.get(d, 0) >= average
            else "back_office" for d in departments}


def rollout_table(results: Results, language: str) -> pd.DataFrame:
    """The phased rollout: departments in order of phase, with headcount and the period each starts."""
    client = results.client
    phase = rollout_phase_of(client)
    staff = _staff_departments(client)
    headcount = staff.groupby("department").size()
    unstaffed = client.positions[~client.positions["position_id"].isin(staff["position_id"])]
    positions = pd.concat([staff, unstaffed[["position_id", "department"]]]).groupby("department")[
        "position_id"].nunique()
    start = work_plan_period(results)
    months = client.config.bonus_period_months
    rows = []
    for number, code in enumerate(ROLLOUT_PHASES):
        for d in [d for d, p in phase.items() if p == code]:
            rows.append((f"{number + 1}. {_code('rollout_phase', code, language)}", d,
                         _num(int(headcount.get(d, 0)), language, 0), _num(int(positions.get(d, 0)), language, 0),
                         _period(next_period(start, number * months) if number else start, language)))
    return pd.DataFrame(rows, columns=[_col(c, language) for c in ("phase", "department", "employees", "positions",
                                                                    "starts")])


def change_checklist(results: Results, language: str) -> pd.DataFrame:
    """The change-management checklist: the standing steps, then one per readiness risk and per
    selection-rule warning."""
    client = results.client
    rows = [(t(f"stage06.checklist.{k}", language), _word("source_method", language)) for k in CHECKLIST]
    a = _assessment(client, language)
    for condition, answer in zip(a["text"][a["risk"] != ""], a["answer"][a["risk"] != ""]):
        rows.append((t("stage06.checklist.fix_condition", language, condition=condition),
                     _word("source_readiness", language) + f" ({_code('answer', answer, language)})"))
    for problem in check_selection_rules(client.positions, client.position_kpis, client.kpis, client.sources):
        message, fix = _warning_text(problem, client, language)
        rows.append((f"{message} {fix}.", _word("source_selection", language)))
    return pd.DataFrame({_col("number", language): [str(i + 1) for i in range(len(rows))],
                         _col("action", language): [r[0] for r in rows],
                         _col("source", language): [r[1] for r in rows]})


def export_files(results: Results, language: str) -> pd.DataFrame:
    """What a run writes for payroll and HR systems (SPEC §5), file by file."""
    files = ["bonus_totals.csv", "bonus_lines.csv", "goal_weights.csv", "kpi_weights.csv"]
    if has_project(results):
        files.append("project_scorecard.csv")
    if has_funnel(results):
        files.append("funnel_plan.csv")
    files += ["results.xlsx", "manifest.json"]
    return pd.DataFrame({_col("file", language): files,
                         _col("content", language): [t(f"stage06.export.{f.split('.')[0]}", language) for f in files]})


def payroll_table(results: Results, language: str) -> pd.DataFrame:
    """The bonus totals as payroll receives them: employee ID, name, position, fund and bonus."""
    client = results.client
    t_ = _totals(results)
    df = pd.DataFrame({
        _col("employee_id", language): t_["employee_id"].astype(str),
        _col("employee", language): t_["employee"].astype(str),
        _col("position", language): t_["position"].astype(str),
        _col("department", language): t_["department"].astype(str),
        _col("fund", language): [_money(v, client, language) for v in t_["bonus_fund"]],
        _col("bonus", language): [_money(v, client, language) for v in t_["bonus"]],
    })
    total = {c: "" for c in df.columns}
    total[_col("employee_id", language)] = t("report.total", language)
    scale = 10 ** results.bonus.decimals
    total[_col("fund", language)] = _money(int(t_["fund_minor"].sum()) / scale, client, language)
    total[_col("bonus", language)] = _money(int(t_["bonus_minor"].sum()) / scale, client, language)
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


# --------------------------------------------------------------------------- across periods (SPEC §7)

def _quarter(period: str) -> str:
    """The calendar quarter of a period, ``"2026-Q3"``."""
    return f"{period[:4]}-Q{(int(period[5:7]) - 1) // 3 + 1}"


def _quarter_label(quarter: str, language: str) -> str:
    return t("periods.quarter", language, q=quarter[-1], year=quarter[:4])


def pool_by_period(results: Results, database: str | None = None) -> pd.DataFrame:
    """The pool of every bonus period up to the reported one, against its budget.

    Columns ``period, source, employees, paid, pool_minor, budget_minor`` (and ``error``: why a
    period could not be computed). ``source`` is ``ledger`` for a closed period (the pool the
    ledger stored when it was closed or adjusted) and ``computed`` for an open one (recomputed
    from the client's data now); a scenario is always recomputed, never the ledger's.
    """
    from kpi_toolkit.cycle.closing import closed_pools
    from kpi_toolkit.errors import KpiToolkitError
    from kpi_toolkit.method.matrix import all_bonus_periods

    client = results.client
    dec = results.bonus.decimals
    closed = {} if results.scenario else closed_pools(client, database)
    budget = client.config.bonus_budget
    budget_minor = None if budget is None else int(round(budget * 10 ** dec))
    rows = []
    for period in [p for p in all_bonus_periods(client) if p <= results.period]:
        row = {"period": period, "source": "ledger" if period in closed else "computed", "employees": None,
               "paid": None, "pool_minor": closed.get(period), "budget_minor": budget_minor, "error": ""}
        try:
            totals = (results.bonus if period == results.period else compute_bonuses(client, period)).totals
            totals = totals[totals["period"] == period]
            row["employees"], row["paid"] = len(totals), int((totals["bonus_minor"] > 0).sum())
            if row["pool_minor"] is None:
                row["pool_minor"] = int(totals["bonus_minor"].sum())
        except KpiToolkitError as exc:  # an old month the data cannot compute: said, not hidden
            row["error"] = str(exc).splitlines()[0]
        rows.append(row)
    return pd.DataFrame(rows, columns=["period", "source", "employees", "paid", "pool_minor", "budget_minor",
                                       "error"])


def _pool_rows(label: str, pool: int | None, budget: int | None, periods: int, dec: int, client: ClientData,
               language: str) -> dict:
    scale = 10 ** dec
    budget_total = None if budget is None else budget * periods
    return {
        _col("period", language): label,
        t("periods.col.pool", language): "—" if pool is None else _money(pool / scale, client, language),
        t("periods.col.budget", language): "" if budget_total is None else _money(budget_total / scale, client,
                                                                                   language),
        t("periods.col.difference", language): "" if budget_total is None or pool is None
        else _signed_money((pool - budget_total) / scale, client, language),
        t("periods.col.share", language): "" if not budget_total or pool is None
        else _pct(pool / budget_total, language, 1),
    }


def _budget_status(pool, budget) -> str | None:
    if pool is None or not budget:
        return None
    return "green" if pool <= budget else "amber" if pool <= budget * 1.1 else "red"


def pool_by_period_table(results: Results, language: str, pools: pd.DataFrame | None = None) -> Html:
    """The pool of each bonus period against its budget, where each figure comes from (the ledger
    for a closed period, recomputed for an open one), and why a period could not be computed.
    ``pools``: :func:`pool_by_period` when the caller has it already (it recomputes every period)."""
    client, dec = results.client, results.bonus.decimals
    data = pool_by_period(results) if pools is None else pools
    rows, statuses = [], []
    for r in data.itertuples():
        pool = None if pd.isna(r.pool_minor) else int(r.pool_minor)
        budget = None if pd.isna(r.budget_minor) else int(r.budget_minor)
        row = {**_pool_rows(format_period(r.period, language), pool, budget, 1, dec, client, language)}
        row[t("periods.col.source", language)] = t(f"periods.source.{r.source}", language) if not r.error \
            else t("periods.source.error", language, error=r.error)
        row[t("periods.col.paid", language)] = "" if r.employees is None or pd.isna(r.employees) else \
            f"{_num(r.paid, language, 0)} / {_num(r.employees, language, 0)}"
        rows.append(row)
        statuses.append(_budget_status(pool, budget))
    df = _without_budget_columns(pd.DataFrame(rows), client, language)
    return rag_table(df, {t("periods.col.share", language): statuses})


def _without_budget_columns(df: pd.DataFrame, client: ClientData, language: str) -> pd.DataFrame:
    """No budget in client.yaml: no empty budget columns."""
    if client.config.bonus_budget is not None:
        return df
    return df.drop(columns=[t(f"periods.col.{c}", language) for c in ("budget", "difference", "share")])


def pool_by_quarter_table(results: Results, language: str, pools: pd.DataFrame | None = None) -> Html:
    """The pool by calendar quarter and for the year to date, against the budget of the bonus
    periods they hold (a bonus period counts in the quarter of its last month)."""
    client, dec = results.client, results.bonus.decimals
    data = pool_by_period(results) if pools is None else pools
    data = data[data["pool_minor"].notna()]
    budget = client.config.bonus_budget
    budget_minor = None if budget is None else int(round(budget * 10 ** dec))
    rows, statuses, strong = [], [], []
    for quarter, g in data.groupby(data["period"].map(_quarter), sort=True):
        pool = int(g["pool_minor"].sum())
        rows.append(_pool_rows(_quarter_label(quarter, language), pool, budget_minor, len(g), dec, client, language))
        statuses.append(_budget_status(pool, None if budget_minor is None else budget_minor * len(g)))
    year = results.period[:4]
    ytd = data[data["period"].str[:4] == year]
    if len(ytd):
        pool = int(ytd["pool_minor"].sum())
        rows.append(_pool_rows(t("periods.ytd", language, year=year, period=format_period(results.period, language)),
                               pool, budget_minor, len(ytd), dec, client, language))
        statuses.append(_budget_status(pool, None if budget_minor is None else budget_minor * len(ytd)))
        strong.append(len(rows) - 1)
    df = _without_budget_columns(pd.DataFrame(rows), client, language)
    return rag_table(df, {t("periods.col.share", language): statuses}, strong_rows=strong)


def pool_by_period_chart(results: Results, language: str, pools: pd.DataFrame | None = None):
    """The pool of each bonus period as a bar against the budget line."""
    data = pool_by_period(results) if pools is None else pools
    data = data[data["pool_minor"].notna()]
    scale = 10 ** results.bonus.decimals
    return charts.pool_by_period_chart(list(data["period"]), [int(m) / scale for m in data["pool_minor"]],
                                       list(data["source"]), results.client.config.bonus_budget,
                                       results.client.config.currency, language)


def _trend_lines(results: Results) -> pd.DataFrame:
    """Every KPI line of every period up to the reported one, with its department and attainment
    (empty where the fact is missing or excluded)."""
    lines = _pilot_lines(results)
    return pd.DataFrame({
        "department": lines["department"].astype(str).to_numpy(), "kpi": lines["kpi"].astype(str).to_numpy(),
        "period": lines["period"].astype(str).to_numpy(),
        "attainment": lines["attainment"].where(lines["fact_status"].astype(str) == "ok").to_numpy(dtype=float),
    })


def attainment_trends(results: Results, by: str = "kpi") -> pd.DataFrame:
    """Mean attainment per KPI (``by="kpi"``) or per department (``by="department"``) in each
    period, each calendar quarter and the year to date of the reported period.

    A quarter's or the year's figure is the mean over all KPI lines of its periods (not the mean
    of the monthly means), so a month with more lines weighs more. Columns: the name, then
    ``YYYY-MM`` per period, ``YYYY-Qn`` per quarter and ``ytd``.
    """
    lines = _trend_lines(results)
    key = "kpi" if by == "kpi" else "department"
    order = list(dict.fromkeys(lines[key]))
    if key == "department":
        known = _departments(results.client)
        order = [d for d in known if d in set(order)] + [d for d in order if d not in known]
    periods = sorted(lines["period"].unique())
    out = pd.DataFrame({key: order})
    monthly = lines.groupby([key, "period"])["attainment"].mean()
    for p in periods:
        out[p] = [monthly.get((name, p), np.nan) for name in order]
    lines["quarter"] = lines["period"].map(_quarter)
    quarterly = lines.groupby([key, "quarter"])["attainment"].mean()
    for q in sorted(lines["quarter"].unique()):
        out[q] = [quarterly.get((name, q), np.nan) for name in order]
    ytd = lines[lines["period"].str[:4] == results.period[:4]].groupby(key)["attainment"].mean()
    out["ytd"] = [ytd.get(name, np.nan) for name in order]
    return out


def attainment_trend_table(results: Results, language: str, by: str = "kpi") -> Html:
    """:func:`attainment_trends` as a red-amber-green table: the months, then the quarters and the
    year to date (in bold headings of their own)."""
    data = attainment_trends(results, by)
    key = data.columns[0]
    df = pd.DataFrame({_col("kpi" if by == "kpi" else "department", language): data[key]})
    statuses = {}
    for column in data.columns[1:]:
        if column == "ytd":
            heading = t("periods.ytd_short", language, year=results.period[:4])
        elif "-Q" in column:
            heading = _quarter_label(column, language)
        else:
            heading = format_period(column, language, short=True)
        df[heading] = [_pct(v, language, 0) for v in data[column]]
        statuses[heading] = [_rag(v) for v in data[column]]
    return Html(rag_table(df, statuses).html + f"\n<p>{html.escape(_rag_legend(language))}</p>")


def attainment_trend_chart(results: Results, language: str):
    """Mean attainment of each department, period by period."""
    data = attainment_trends(results, "department")
    periods = [c for c in data.columns[1:] if "-Q" not in c and c != "ytd"]
    return charts.attainment_trend_chart(data.set_index("department")[periods], language)
