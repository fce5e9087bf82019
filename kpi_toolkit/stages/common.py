"""What every stage starts from: opening a stage (client, results, period, language), the
words and the formatting of figures, and the views of the client's data that several stages share."""
from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kpi_toolkit.cycle.closing import settle
from kpi_toolkit.errors import KpiToolkitError
from kpi_toolkit.fileio import package_notebooks
from kpi_toolkit.inputs import scenarios
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.method.calculate import Results, calculate
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.method.matrix import employee_departments
from kpi_toolkit.outputs import charts
from kpi_toolkit.outputs.html import Html, escape, figure_html, table
from kpi_toolkit.outputs.i18n import catalogue, format_money, format_number, format_percent, format_period, t

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
    if not client_dir:
        raise KpiToolkitError("client_dir is not set in the notebook's first cell: write the client folder there "
                              "(e.g. \"../clients/acme\"), or run: kpi-toolkit notebook acme 04")
    path = Path(client_dir).expanduser()
    if path.is_absolute() or path.exists():
        return path
    beside_notebooks = package_notebooks() / path
    return beside_notebooks.resolve() if beside_notebooks.exists() else path


def load_stage_client(client_dir, scenario: str | None = None) -> ClientData:
    """Load (and validate) a client folder and apply a saved scenario if one is named.

    Raises
    ------
    ScenarioError
        When a scenario is named but cannot be applied.
    """
    return apply_scenario(load_client(resolve_client_dir(client_dir)), scenario)


def apply_scenario(client: ClientData, scenario: str | None) -> ClientData:
    """The client with a saved scenario applied (the client itself when ``scenario`` is empty)."""
    return scenarios.apply_scenario(client, scenario) if scenario else client


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


# --------------------------------------------------------------------------- large clients

DETAIL_DIR = "detail"  # beside the stage reports: per-employee detail of a client past its limit
EXCEPTIONS_SHOWN = 20  # rows of an exception list a report shows past the limit (all in detail/)


def employee_count(results: Results) -> int:
    """Employees with a bonus statement in the period reported."""
    totals = results.bonus.totals
    return int(totals.loc[totals["period"] == results.period, "employee_id"].nunique())


def over_detail_limit(results: Results) -> bool:
    """Whether the client has more employees than ``reports.employee_detail_limit`` of
    client.yaml: its reports then keep summaries and exceptions, and each employee's detail
    goes to a file of its own (:func:`write_detail`)."""
    return employee_count(results) > results.client.config.employee_detail_limit


def write_detail(output_dir, stem: str, title: str, body: str, results: Results, language: str) -> str | None:
    """Write `body` (HTML) as the self-contained, branded page ``output_dir/detail/<stem>.html``
    and return its link relative to the reports (None without `output_dir`: a notebook opened
    by hand, whose reader sees the note naming :command:`kpi-toolkit run` instead)."""
    if not output_dir:
        return None
    import nbformat

    from kpi_toolkit.outputs.html import render_notebook_html, write_text_atomic

    client, branding = results.client, results.client.config.branding
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        outputs=[nbformat.v4.new_output("display_data", data={"text/html": body})]))
    page = render_notebook_html(nb, client_name=client.config.name, stage_title=title,
                                period_label=format_period(results.period, language), language=language,
                                logo_path=branding.get("logo"), colour=branding.get("colour") or "#1F4E79",
                                author=branding.get("consultancy"))
    link = f"{DETAIL_DIR}/{stem}.html"
    write_text_atomic(Path(output_dir) / link, page)
    return link


def detail_note(what_key: str, link: str | None, results: Results, language: str) -> str:
    """The paragraph (HTML) saying that the client is past its limit and where `what_key`'s
    per-employee detail is: a link to the file, or how to get it."""
    words = t("stages.detail.moved", language, employees=_num(employee_count(results), language, 0),
              limit=_num(results.client.config.employee_detail_limit, language, 0),
              what=t(what_key, language))
    if link:
        where = t("stages.detail.file", language, file=f'<a href="{link}">{html.escape(link)}</a>')
    else:
        where = t("stages.detail.by_run", language, file=html.escape(f"{DETAIL_DIR}/"))
    return f'<p class="detail-note">{words} {where}</p>'


def capped(frame: pd.DataFrame, language: str, shown: int = EXCEPTIONS_SHOWN) -> tuple[pd.DataFrame, str]:
    """The first `shown` rows of `frame` and, when rows are left out, the sentence saying how many."""
    if len(frame) <= shown:
        return frame, ""
    more = t("stages.detail.more", language, shown=_num(shown, language, 0), total=_num(len(frame), language, 0))
    return frame.head(shown), f"<p>{html.escape(more)}</p>"


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
