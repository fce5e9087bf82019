"""What the stage notebooks show (kpi_toolkit/stages.py), on the two demo clients, and the notebooks' shape."""
from __future__ import annotations

import ast
import dataclasses
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from matplotlib.figure import Figure

from kpi_toolkit import calculate, compute_bonuses, kpi_matrix, stages
from kpi_toolkit.stages import bonus_scheme, common
from kpi_toolkit.outputs.i18n import catalogue, format_money, format_percent, t
from kpi_toolkit.outputs.html import Html

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "clients"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[0-6]_*.ipynb"))
PARAMETERS = {"client_dir", "period", "language", "output_dir", "scenario"}
# Column headings that read the same in every language (earned-value abbreviations).
UNIVERSAL = {"PV", "EV", "AC", "CV", "SV", "CPI", "SPI", "EAC", "ETC", "VAC", "TCPI"}


@pytest.fixture(scope="module", params=["northwind", "sever-trade"])
def stage(request):
    return stages.open_stage(CLIENTS / request.param)


def _views(stage):
    """Every view of every stage notebook, by name."""
    c, r, lang = stage.client, stage.results, stage.language
    sensitivity = stages.pool_sensitivity(c, stage.period)
    return {
        "questionnaire_answers": stages.questionnaire_answers(c, lang),
        "contact_table": stages.contact_table(c, lang),
        "readiness_table": stages.readiness_table(c, lang),
        "readiness_summary": stages.readiness_summary(c, lang),
        "risk_view": stages.risk_view(c, lang),
        "scope_table": stages.scope_table(c, lang),
        "plan_table": stages.plan_table(c, lang),
        "plan_chart": stages.plan_chart(c, lang),
        "goal_table": stages.goal_table(r, lang),
        "link_table": stages.link_table(r, lang),
        "strategy_map": stages.strategy_map(r, lang),
        "method_summary": stages.method_summary(r, lang),
        "position_weights": stages.position_weights(r, lang),
        "head_on_weight_table": stages.head_on_weight_table(r, lang),
        "kpi_weight_charts": stages.kpi_weight_charts(r, lang),
        "dropped_kpi_table": stages.dropped_kpi_table(r, lang),
        "kpi_catalogue_table": stages.kpi_catalogue_table(c, lang),
        "classification_table": stages.classification_table(c, lang),
        "selection_tables": stages.selection_tables(c, lang),
        "rule_warning_table": stages.rule_warning_table(c, lang),
        "data_source_table": stages.data_source_table(c, lang),
        "funnel_summary": stages.funnel_summary(r, lang),
        "funnel_table": stages.funnel_table(r, lang),
        "sales_funnel_chart": stages.sales_funnel_chart(r, lang),
        "activity_table": stages.activity_table(r, lang),
        "workload_note": stages.workload_note(r, lang),
        "target_table": stages.target_table(r, lang),
        "kpi_matrices": stages.kpi_matrices(r, lang),
        "attainment_heatmaps": stages.attainment_heatmaps(r, lang),
        "rollup_table": stages.rollup_table(r, lang),
        "bonus_formula": stages.bonus_formula(lang),
        "fund_rules": stages.fund_rules(c, lang),
        "payout_curve_table": stages.payout_curve_table(c, lang),
        "scheme_tables": stages.scheme_tables(c, lang),
        "bonus_summary": stages.bonus_summary(r, lang),
        "pool_summary": stages.pool_summary(r, lang),
        "pool_chart": stages.pool_chart(r, lang),
        "department_bonus_table": stages.department_bonus_table(r, lang),
        "department_bonus_chart": stages.department_bonus_chart(r, lang),
        "stopped_bonuses": stages.stopped_bonuses(r, lang),
        "sensitivity_table": stages.sensitivity_table(sensitivity, c, lang),
        "sensitivity_figure": stages.sensitivity_figure(sensitivity, c, lang),
        "bonus_statements": stages.bonus_statements(r, lang),
        "rag_by_period": stages.rag_by_period(r, lang),
        "plan_fact_charts": stages.plan_fact_charts(r, lang),
        "early_warnings": stages.early_warnings(r, lang),
        "data_gaps": stages.data_gaps(r, lang),
        "project_summary": stages.project_summary(r, lang),
        "project_scorecard_tables": stages.project_scorecard_tables(r, lang),
        "earned_value_figure": stages.earned_value_figure(r, lang),
        "goal_hierarchy": stages.goal_hierarchy(r, lang),
        "position_matrices": stages.position_matrices(c, lang),
        "work_plans": stages.work_plans(r, lang),
        "rollout_table": stages.rollout_table(r, lang),
        "change_checklist": stages.change_checklist(r, lang),
        "export_files": stages.export_files(r, lang),
        "payroll_table": stages.payroll_table(r, lang),
        "pool_by_period_table": stages.pool_by_period_table(r, lang),
        "pool_by_quarter_table": stages.pool_by_quarter_table(r, lang),
        "pool_by_period_chart": stages.pool_by_period_chart(r, lang),
        "attainment_trend_table": stages.attainment_trend_table(r, lang, by="kpi"),
        "attainment_trend_by_department": stages.attainment_trend_table(r, lang, by="department"),
        "attainment_trend_chart": stages.attainment_trend_chart(r, lang),
    }


@pytest.fixture(scope="module")
def views(stage):
    return _views(stage)


def test_every_view_handles_a_client_without_a_strategy_map():
    """All positions head-on and an empty goals table (the seeds' method 2)."""
    stage = stages.open_stage(ROOT / "tests" / "fixtures" / "clients" / "valid_without_map")
    views = _views(stage)
    assert "no strategy map was built" in str(views["method_summary"])
    assert "no strategy map" in str(views["strategy_map"])
    weights = views["head_on_weight_table"]
    assert weights["Weight"].tolist() == ["60.0%", "40.0%", "50.0%", "30.0%", "20.0%", "50.0%", "30.0%", "20.0%"]
    assert views["goal_table"].empty and views["dropped_kpi_table"].empty
    assert "Sales manager" in views["goal_hierarchy"].html


def test_a_map_that_no_position_owns_says_the_weights_are_head_on():
    stage = stages.open_stage(ROOT / "tests" / "fixtures" / "clients" / "valid_minimal")
    summary = str(stages.method_summary(stage.results, "en"))
    assert "No position owns goals of the strategy map" in summary and "no strategy map was built" not in summary


def test_map_positions_show_their_goals_and_arithmetic():
    stage = stages.open_stage(CLIENTS / "northwind")
    markup = re.sub(r"<[^>]+>", " ", stages.position_weights(stage.results, "en").html)
    head = markup[markup.index("Head of Sales · Sales"):markup.index("Marketing Manager · Marketing")]
    assert "Goals owned (goal weight): Grow revenue by 15 % a year (0.467)" in head
    # raw 0.3111 + 0.1556 + 0.1167 + 3 x 0.0583 = 0.758; the three under 10 % dropped; the kept
    # 0.5834 (76.9 %) renormalised: 0.3111 / 0.5834 = 53.3 %, 26.7 %, 20.0 %
    assert "The raw weights of its 6 KPIs sum to 0.758" in head and "3 of them reach 10%" in head
    assert head.count("Dropped") == 3 and "53.3%" in head and "26.7%" in head and "20.0%" in head
    hierarchy = re.sub(r"<[^>]+>", "|", stages.goal_hierarchy(stage.results, "en").html)
    assert re.search(r"Sales team revenue against plan\|+53\.3%\|+Head of Sales 53\.3%", hierarchy)
    assert re.search(r"Revenue invoiced against plan\|+50\.0%\|+Sales Manager 50\.0%", hierarchy)


def _headings(view) -> list[str]:
    if isinstance(view, pd.DataFrame):
        return [str(c) for c in view.columns]
    if isinstance(view, Html):
        return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", view.html)]
    return []


# --------------------------------------------------------------------------- opening a stage

def test_open_stage_takes_period_and_language_from_client_yaml(stage):
    assert stage.period == stage.client.config.period
    assert stage.language == stage.client.config.language
    assert stage.results.period == stage.period
    assert stage.scenario is None and stage.base is not None


def test_language_and_period_can_be_overridden():
    stage = stages.open_stage(CLIENTS / "northwind", period="2026-08", language="ru")
    assert stage.results.period == "2026-08"
    assert list(stages.plan_table(stage.client, "ru").columns)[1] == t("table.step", "ru")


def test_client_dir_resolves_relative_to_the_notebooks_folder(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert stages.resolve_client_dir("../clients/northwind") == (ROOT / "clients" / "northwind").resolve()
    assert stages.resolve_client_dir(CLIENTS / "northwind") == CLIENTS / "northwind"


def test_every_view_is_built(views):
    for name, view in views.items():
        assert isinstance(view, (pd.DataFrame, Html, stages.Markdown, Figure)), name
        if isinstance(view, pd.DataFrame):
            assert not view.empty, name
            assert all(isinstance(v, str) for v in view.to_numpy().ravel()), f"{name}: cells are formatted text"


def test_headings_are_in_the_clients_language(stage, views):
    other = "en" if stage.language == "ru" else "ru"
    ours, theirs = set(catalogue(stage.language).values()), set(catalogue(other).values())
    foreign = theirs - ours - UNIVERSAL
    for name, view in views.items():
        for heading in _headings(view):
            assert heading not in foreign, f"{name}: heading {heading!r} is in the other language"
            if stage.language == "ru":  # no English word of three letters or more, except "KPI"
                assert heading in UNIVERSAL or not re.search(r"[A-Za-z]{3,}", heading.replace("KPI", "")), \
                    (name, heading)


def test_funnel_stage_codes_are_translated():
    stage = stages.open_stage(CLIENTS / "sever-trade")
    stages_shown = stages.funnel_table(stage.results, "ru")[t("table.stage", "ru")].tolist()
    assert "Счета" in stages_shown and not any(re.search(r"[a-z]", s) for s in stages_shown)


# --------------------------------------------------------------------------- tables and their content

def test_rag_table_escapes_tints_groups_and_bolds():
    df = pd.DataFrame({"group": ["<i>Sales</i>", "<i>Sales</i>", ""], "KPI": ["<script>x</script>", "b", "Total"],
                       "Attainment": ["97%", "80%", ""]})
    markup = stages.rag_table(df, {"Attainment": ["green", "red", None]}, strong_rows=[2], group_by="group").html
    assert "<script>" not in markup and "&lt;script&gt;x&lt;/script&gt;" in markup
    assert markup.count('class="group-row"') == 1 and "&lt;i&gt;Sales&lt;/i&gt;" in markup
    assert stages.RAG_FILL["green"] in markup and stages.RAG_FILL["red"] in markup
    assert '<tr style="font-weight: 700"><td>Total</td>' in markup
    assert "<th" in markup and ">group<" not in markup


def test_client_strings_are_escaped_in_html_and_markdown():
    stage = stages.open_stage(CLIENTS / "northwind")
    kpis = stage.client.kpis.copy()
    kpis.loc[kpis["kpi_id"] == "revenue", "name"] = "<script>alert(1)</script>"
    client = stage.client.with_tables(kpis=kpis).with_config(name="<b>Evil & Co</b>")
    results = calculate(client, stage.period)
    for view in (stages.kpi_matrices(results, "en"), stages.bonus_statements(results, "en"),
                 stages.scheme_tables(client, "en")):
        assert "<script>" not in view.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in view.html
    intro = stages.intro("stage03", stages.Stage(client, results, stage.period, "en")).text
    assert "<b>" not in intro and "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in intro


def test_kpi_matrix_shows_each_employees_performance_ratio(stage):
    markup = stages.kpi_matrices(stage.results, stage.language).html
    totals = stage.results.bonus.totals
    label = t("stages.word.performance_ratio_row", stage.language)
    assert markup.count(label) == len(totals)
    assert markup.count('class="group-row"') == len(totals)


def test_bonus_summary_total_is_the_pool(stage):
    pool = common._money(stage.results.bonus.pool(stage.period), stage.client, stage.language)
    markup = stages.bonus_summary(stage.results, stage.language).html
    last_row = markup.rsplit("<tr", 1)[1]
    assert t("report.total", stage.language) in last_row and f"<td>{pool}</td>" in last_row
    payroll = stages.payroll_table(stage.results, stage.language)
    assert payroll.iloc[-1][t("table.bonus", stage.language)] == pool


def test_every_zero_in_a_statement_has_its_reason():
    stage = stages.open_stage(CLIENTS / "northwind")
    markup = stages.bonus_statements(stage.results, "en").html
    assert "Blocking KPI below its stop threshold: Cash collected from customers" in markup
    assert "Stop factor applied: Staff turnover" in markup
    assert markup.count('<h4 class="statement-name">') == len(stage.results.bonus.totals)


def test_selection_warnings_name_the_rule_in_the_clients_language():
    stage = stages.open_stage(CLIENTS / "sever-trade")
    warnings = stages.rule_warning_table(stage.client, "ru")
    assert set(warnings[t("stages.col.rule", "ru")]) == {t("stages.rule.data_source", "ru"),
                                                         t("stages.rule.measurement_cost", "ru")}
    assert warnings[t("stages.col.where", "ru")].str.contains("строка 25").all()
    assert warnings[t("stages.col.problem", "ru")].str.contains("«Претензии должникам").all()


def test_data_gaps_list_the_missing_fact():
    stage = stages.open_stage(CLIENTS / "northwind")
    gaps = stages.data_gaps(stage.results, "en")
    assert gaps.values.tolist() == [["September 2026", "Rebecca Stanton",
                                     "Customer satisfaction, monthly pulse survey (NPS)",
                                     t("stages.fact_status.missing_excluded", "en")]]


def test_a_leading_kpi_falling_period_after_period_warns():
    stage = stages.open_stage(CLIENTS / "northwind")
    actuals = stage.client.actuals.copy()
    meetings = actuals["kpi_id"] == "client_meetings"
    for period, share in (("2026-07", 0.98), ("2026-08", 0.9), ("2026-09", 0.8)):
        rows = meetings & (actuals["period"] == period)
        actuals.loc[rows, "fact"] = actuals.loc[rows, "plan"] * share
    results = calculate(stage.client.with_tables(actuals=actuals), stage.period)
    markup = stages.early_warnings(results, "en").html
    # first-pass yield slips on its own in the demo data (102 %, 102 %, 99 %): two fell
    assert "Leading indicators that fell in each of the last 2 periods: 2." in markup
    row = next(r for r in markup.split("<tr") if "Meetings held with key and regular clients" in r)
    assert "Falling" in row


def test_rollout_puts_commercial_units_first_and_back_office_last():
    phases = stages.rollout_phase_of(stages.load_stage_client(CLIENTS / "northwind"))
    assert phases == {"Management": "commercial", "Sales": "commercial", "Marketing": "commercial",
                      "Finance": "back_office",
                      "Legal": "back_office", "Production": "operations"}
    phases = stages.rollout_phase_of(stages.load_stage_client(CLIENTS / "sever-trade"))
    assert [d for d, p in phases.items() if p == "operations"] == ["Производство", "Склад"]


def test_work_plans_are_for_the_coming_period(stage):
    assert stage.results.period < stages.work_plan_period(stage.results)
    markup = stages.work_plans(stage.results, stage.language).html
    assert t("stages.col.next_plan", stage.language) in markup


def test_table_or_note():
    assert isinstance(stages.table_or_note(pd.DataFrame({"a": ["1"]}), "en", "stage04.curves.none"), Html)
    assert stages.table_or_note(pd.DataFrame(), "en", "stage04.curves.none").text == t("stage04.curves.none", "en")
    assert stages.table_or_note(pd.DataFrame(), "en", None).text == ""


# --------------------------------------------------------------------------- sensitivity and scenarios

def test_pool_sensitivity_moves_with_attainment():
    client = stages.load_stage_client(CLIENTS / "northwind")
    sensitivity = stages.pool_sensitivity(client)
    assert sensitivity["shift"].tolist() == list(stages.SHIFTS)
    pools = sensitivity.set_index("shift")["pool"]
    assert pools[0.0] == compute_bonuses(client, client.config.period).pool(client.config.period)
    assert pools.is_monotonic_increasing


def test_no_scenarios_gives_an_empty_comparison(monkeypatch):
    client = stages.load_stage_client(CLIENTS / "northwind")
    assert stages.scenario_comparison(client).empty  # no saved scenarios


def test_saved_scenarios_are_compared_side_by_side(tmp_path):
    folder = tmp_path / "northwind"
    shutil.copytree(CLIENTS / "northwind", folder)
    (folder / "scenarios").mkdir()
    (folder / "scenarios" / "revenue-heavy.yaml").write_text(
        "name: revenue-heavy\npositions:\n  sales-manager:\n    kpis:\n      revenue:\n        weight: 0.6\n"
        "      cash_collection:\n        weight: 0.2\n", encoding="utf-8")
    (folder / "scenarios" / "broken.yaml").write_text(
        "name: broken\npositions:\n  sales-manager:\n    kpis:\n      no_such_kpi:\n        weight: 0.5\n",
        encoding="utf-8")
    comparison = stages.scenario_comparison(stages.load_stage_client(folder), language="en")
    assert list(comparison.columns) == ["Measure", "Current scheme", "broken", "revenue-heavy"]
    pools = comparison.set_index("Measure").loc["Bonus pool"]
    assert pools["Current scheme"] != pools["revenue-heavy"]
    assert pools["broken"] == t("stages.word.not_applicable", "en")
    stage = stages.open_stage(folder, scenario="revenue-heavy")
    assert stage.scenario == "revenue-heavy"
    assert stage.results.bonus.pool() != calculate(stage.base).bonus.pool()
    assert "revenue&#45;heavy" in stages.intro("stage04", stage).text


# --------------------------------------------------------------------------- the notebooks

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stage_notebook_shape(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "one cell tagged parameters"
    names = {target.id for node in ast.walk(ast.parse(tagged[0].source)) if isinstance(node, ast.Assign)
             for target in node.targets}
    assert names == PARAMETERS
    for cell in code:
        assert not cell.get("outputs") and cell.get("execution_count") is None, "outputs are stripped"
        tree = ast.parse(cell.source)
        assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))], \
            "a notebook that defines functions is code that belongs in the package"
        imports = [a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                   for a in n.names]
        assert set(imports) <= {"kpi_toolkit"}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert "remove" in cell.metadata.get("tags", []), "reader-facing words come from the catalogue"


def test_there_are_seven_stage_notebooks():
    assert [p.stem for p in NOTEBOOKS] == ["00_diagnostic", "01_strategy_map", "02_kpi_selection", "03_kpi_matrices",
                                           "04_bonus_scheme", "05_pilot", "06_rollout"]


REGIONAL = ROOT / "tests" / "fixtures" / "clients" / "regional_sales_offices"


@pytest.fixture(scope="module")
def regional():
    """One position's employees in two regional offices, a head of sales in each paid on his team."""
    return stages.open_stage(REGIONAL)


def _group_rows(markup: str) -> list[str]:
    return re.findall(r'<tr class="group-row"><td[^>]*>([^<]*)</td>', markup)


def _titles(markup: str, level: int = 3) -> list[str]:
    return re.findall(rf"<h{level}>([^<]*)</h{level}>", markup)


def test_matrices_are_per_position_in_each_employees_own_department(regional):
    markup = stages.kpi_matrices(regional.results, "en").html
    assert _titles(markup) == ["Head of sales · Sales (Moscow)", "Sales manager · Sales (Moscow)",
                                 "Head of sales · Sales (Kazan)", "Sales manager · Sales (Kazan)",
                                 "Accountant · Accounting"]
    moscow = markup.split("<h3>Sales manager · Sales (Moscow)</h3>")[1].split("<h3>")[0]
    assert _group_rows(moscow) == ["Anna Petrova", "Boris Ivanov", "Daria Sokolova", "Elena Volkova"]
    heatmaps = stages.attainment_heatmaps(regional.results, "en").html
    assert _titles(heatmaps) == ["Sales (Moscow)", "Sales (Kazan)", "Accounting"]


def test_bonus_summary_has_one_header_per_department(regional):
    markup = stages.bonus_summary(regional.results, "en").html
    assert _group_rows(markup) == ["Sales (Moscow)", "Sales (Kazan)", "Accounting"]
    assert _titles(stages.bonus_statements(regional.results, "en").html) == [
        "Sales (Moscow)", "Sales (Kazan)", "Accounting"]
    rollup = stages.rollup_table(regional.results, "en").html
    assert re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td>", rollup) == [
        ("Sales (Moscow)", "5"), ("Sales (Kazan)", "3"), ("Accounting", "1")]


def test_rollout_counts_employees_where_they_sit(regional):
    table = stages.rollout_table(regional.results, "en")
    rows = table[[common._col(c, "en") for c in ("department", "employees", "positions")]].values.tolist()
    assert rows == [["Sales (Moscow)", "5", "2"], ["Sales (Kazan)", "3", "2"], ["Accounting", "1", "1"]]
    assert set(table[common._col("phase", "en")][:2]) == {"1. Commercial units"}
    by_department = stages.department_bonus_table(regional.results, "en")
    assert by_department[common._col("department", "en")].tolist() == ["Sales (Moscow)", "Sales (Kazan)",
                                                                         "Accounting"]


def test_the_heads_statement_lists_the_team_members_counted(regional):
    # March: the Moscow team's revenue 71 300 + 45 700 + 27 300 + 55 700 = 200 000 planned,
    # 49 910 + 31 990 + 19 110 + 38 990 = 140 000 done: exactly the head's 70 % threshold.
    lines = regional.results.bonus.lines.set_index(["employee_id", "kpi_id"])
    head = lines.loc[("H01", "TREV")]
    assert (head["plan"], head["fact"], head["attainment"], head["coefficient"]) == (200_000, 140_000, 0.7, 0.7)
    assert head["members"] == "M01, M02, M03, M05"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", stages.bonus_statements(regional.results, "en").html))
    assert "the sum over the team (4): Anna Petrova, Boris Ivanov, Daria Sokolova, Elena Volkova" in text
    assert "over the team (2): Ilnur Sadykov, Aigul Nurieva" in text


def test_work_plans_suggest_a_heads_team_target_from_the_teams_history(regional):
    # The Moscow team's revenue: February 197 000 planned, 192 000 done; March 200 000 and 140 000.
    markup = stages.work_plans(regional.results, "en").html
    moscow = markup.split("<h3>Sales (Moscow)</h3>")[1].split("<h3>")[0]
    team_row = re.search(r"<td>Team revenue</td><td>EUR</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", moscow)
    assert team_row.groups()[:3] == ("200,000", "166,000", "192,000")


# --------------------------------------------------------------------------- across periods (SPEC §7)

def test_pool_by_period_is_each_periods_pool_against_its_budget(stage):
    client, results = stage.client, stage.results
    pools = stages.pool_by_period(results)
    assert list(pools["period"]) == [p for p in client.periods if p <= stage.period]
    for row in pools.itertuples():
        totals = compute_bonuses(client, row.period).totals
        assert row.pool_minor == int(totals["bonus_minor"].sum()) and row.employees == len(totals)
        assert row.source == "computed" and row.error == ""
    assert set(pools["budget_minor"]) == {round(client.config.bonus_budget * 100)}
    markup = stages.pool_by_period_table(results, stage.language, pools).html
    scale = 10 ** results.bonus.decimals
    for row in pools.itertuples():
        assert common._money(row.pool_minor / scale, client, stage.language) in markup


def test_pool_by_quarter_and_year_to_date_add_up_the_periods(stage):
    client, results, language = stage.client, stage.results, stage.language
    pools = stages.pool_by_period(results)
    markup = stages.pool_by_quarter_table(results, language, pools).html
    scale = 10 ** results.bonus.decimals
    quarters = {"2026-Q2": ["2026-04", "2026-05", "2026-06"], "2026-Q3": ["2026-07", "2026-08", "2026-09"]}
    for quarter, months in quarters.items():
        pool = int(pools.loc[pools["period"].isin(months), "pool_minor"].sum())
        assert bonus_scheme._quarter_label(quarter, language) in markup
        assert common._money(pool / scale, client, language) in markup
        assert common._money(client.config.bonus_budget * 3, client, language) in markup
    year = int(pools["pool_minor"].sum())
    assert common._money(year / scale, client, language) in markup
    words = {"en": ["Q2 2026", "Q3 2026", "2026 to date"], "ru": ["2 кв. 2026", "3 кв. 2026", "С начала 2026 года"]}
    assert all(w in markup for w in words[language])


def test_the_period_charts_carry_their_caption_and_numbers(stage):
    """The charts of stages 04 and 05 across periods have a text alternative like every chart:
    a caption (the image's alt text, printed under it) and their numbers as rows."""
    client, results, language = stage.client, stage.results, stage.language
    pools = stages.pool_by_period(results)
    scale = 10 ** results.bonus.decimals
    figure = stages.pool_by_period_chart(results, language, pools)
    assert figure.caption == t("chart.alt.pool_by_period", language)
    assert figure._repr_png_()[1]["alt"] == figure.caption
    header, *rows = figure.data
    assert header[:2] == [t("chart.alt.bonus_period", language), t("bonus.pool", language)]
    assert [r[1] for r in rows] == [format_money(m / scale, client.config.currency, language, decimals=0)
                                    for m in pools["pool_minor"]]
    trends = stages.attainment_trends(results, "department")
    figure = stages.attainment_trend_chart(results, language)
    assert figure.caption == t("chart.alt.attainment_trend", language)
    assert [r[0] for r in figure.data[1:]] == list(trends["department"])
    first_month = [c for c in trends.columns[1:] if "-Q" not in c and c != "ytd"][0]
    assert figure.data[1][1] == format_percent(trends.iloc[0][first_month], language, 0)


def test_closed_periods_show_the_pool_the_ledger_stored(client_copy, capsys, monkeypatch, tmp_path):
    from kpi_toolkit.cli import main

    folder = client_copy()
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("KPI_TOOLKIT_DATABASE_URL", url)
    assert main(["close", str(folder), "--period", "2024-02", "--by", "Anna Berg"]) == 0
    paid = stages.pool_by_period(stages.open_stage(folder).results)
    actuals = pd.read_csv(folder / "actuals.csv", dtype=str)
    february = actuals["period"] == "2024-02"
    actuals.loc[february, "fact"] = (actuals.loc[february, "fact"].astype(float) * 1.5).map(lambda v: f"{v:g}")
    actuals.to_csv(folder / "actuals.csv", index=False)  # facts changed after the close: the ledger's pool stands
    stage = stages.open_stage(folder)
    pools = stages.pool_by_period(stage.results).set_index("period")
    assert pools.loc["2024-02", "source"] == "ledger" and pools.loc["2024-03", "source"] == "computed"
    assert pools.loc["2024-02", "pool_minor"] == paid.set_index("period").loc["2024-02", "pool_minor"]
    assert pools.loc["2024-02", "pool_minor"] != int(compute_bonuses(stage.client, "2024-02").totals["bonus_minor"].sum())
    markup = stages.pool_by_period_table(stage.results, "en").html
    assert "Closed (ledger)" in markup and "Open (recomputed)" in markup
    scenario = stages.pool_by_period(dataclasses.replace(stage.results, scenario="what-if"))
    assert set(scenario["source"]) == {"computed"}  # a what-if never shows what was paid


def test_attainment_trends_are_means_of_the_kpi_lines(stage):
    results = stage.results
    lines = kpi_matrix(stage.client, "all")
    lines = lines[(lines["period"].astype(str) <= stage.period) & (lines["fact_status"].astype(str) == "ok")]
    for by, key in (("kpi", "kpi"), ("department", "department")):
        trends = stages.attainment_trends(results, by).set_index(key)
        name = trends.index[0]
        mine = lines[lines[key].astype(str) == name]
        for period in ("2026-04", "2026-09"):
            expected = mine.loc[mine["period"].astype(str) == period, "attainment"].mean()
            assert trends.loc[name, period] == pytest.approx(expected)
        third = mine[mine["period"].astype(str).isin(["2026-07", "2026-08", "2026-09"])]["attainment"].mean()
        assert trends.loc[name, "2026-Q3"] == pytest.approx(third)
        assert trends.loc[name, "ytd"] == pytest.approx(mine["attainment"].mean())
    by_department = stages.attainment_trends(results, "department")
    assert list(by_department["department"]) == [d for d in common._departments(stage.client)
                                                 if d in set(lines["department"].astype(str))]
    markup = stages.attainment_trend_table(results, stage.language, by="department").html
    assert ("3 кв. 2026" if stage.language == "ru" else "Q3 2026") in markup
    figure = stages.attainment_trend_chart(results, stage.language)
    assert {line.get_gid() for line in figure.axes[0].lines if line.get_gid()} == {
        f"trend:{d}" for d in by_department["department"]}


# --------------------------------------------------------------------------- clients past their limit

def _past_the_limit(employees: int = 60, limit: int = 10):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from synthetic import synthetic_client

    client = synthetic_client(employees, 2)
    client = dataclasses.replace(client, config=dataclasses.replace(client.config, employee_detail_limit=limit))
    return calculate(client, client.config.period)


def test_past_the_limit_work_plans_go_to_their_own_file_and_positions_stay(tmp_path):
    results = _past_the_limit()
    body = stages.work_plans(results, "en", tmp_path).html
    detail = (tmp_path / "detail" / "06_work_plans.html").read_text(encoding="utf-8")
    assert 'href="detail/06_work_plans.html"' in body
    assert not re.search(r"Employee \d+\b", body) and "Mean suggested plan" in body
    everyone = stages.work_plans(_past_the_limit(limit=60), "en").html  # the same client within its limit
    assert set(re.findall(r"Employee \d+\b", detail)) == set(re.findall(r"Employee \d+\b", everyone))
    # without a folder (a notebook opened by hand) the note says where kpi-toolkit run puts them
    assert "kpi-toolkit run writes them to detail/" in stages.work_plans(results, "en").html


def test_past_the_limit_payroll_totals_are_by_department_and_add_up_exactly():
    results = _past_the_limit()
    df = stages.payroll_table(results, "en")
    totals = results.bonus.totals[results.bonus.totals["period"] == results.period]
    assert list(df.columns) == ["Department", "Employees", "Bonus fund", "Bonus"]
    assert df.iloc[-1, 1] == "60" and len(df) == totals["department"].nunique() + 1
    assert df.iloc[-1, 3] == format_money(int(totals["bonus_minor"].sum()) / 100, "EUR", "en")


def test_at_the_limit_every_employee_stays_in_the_body(tmp_path):
    results = _past_the_limit(employees=12, limit=12)
    body = stages.work_plans(results, "en", tmp_path).html
    assert len(set(re.findall(r"Employee \d+\b", body))) == 12 and not (tmp_path / "detail").exists()
    assert len(stages.payroll_table(results, "en")) == 13


# --------------------------------------------------------------------------- stage 05: EAC methods and edge cases

PROJECT_HEADER = "period,pv,ev,ac,bac,scope_planned,scope_delivered,issues_opened,issues_closed\n"


def _pilot_stage(client_copy, project_rows: str, eac_method: str | None = None):
    folder = client_copy()
    (folder / "project.csv").write_text(PROJECT_HEADER + project_rows, encoding="utf-8")
    if eac_method:
        with open(folder / "client.yaml", "a", encoding="utf-8") as f:
            f.write(f"eac_method: {eac_method}\n")
    return stages.open_stage(folder)


@pytest.mark.parametrize("method, words", [
    # 2024-03: BAC 60 000, PV 20 000, EV 19 000, AC 21 000
    ("cpi", "EAC = BAC / CPI"),                             # 60 000 * 21/19 = 66 315.79
    ("atypical", "EAC = AC + (BAC − EV)"),                  # 21 000 + 41 000 = 62 000
    ("cpi_spi", "EAC = AC + (BAC − EV) / (CPI × SPI)"),     # 21 000 + 41 000 / (19/21 * 19/20)
])
def test_project_summary_says_how_the_forecast_is_made(client_copy, method, words):
    stage = _pilot_stage(client_copy, "2024-02,10000,9000,9500,60000,4,3,5,2\n"
                                      "2024-03,20000,19000,21000,60000,8,7,3,4\n", method)
    last = stage.results.project_scorecard.iloc[-1]
    summary = str(stages.project_summary(stage.results, "en"))
    assert words in summary
    assert format_money(last["eac"], "EUR", "en", 0) in summary
    assert format_money(last["etc"], "EUR", "en", 0) in summary  # ETC = EAC - AC
    assert "cost efficiency of 1.05" in summary  # TCPI = 41 000 / 39 000 = 1.0513


def test_nothing_earned_yet_is_said_in_words_not_a_figure(client_copy):
    # EV = 0 with money spent: CPI = 0, so BAC / CPI has no value
    stage = _pilot_stage(client_copy, "2024-02,10000,0,5000,60000,4,0,0,0\n"
                                      "2024-03,20000,0,9000,60000,8,0,0,0\n")
    summary = str(stages.project_summary(stage.results, "en"))
    assert "Nothing has been earned yet (EV = 0, so CPI = 0)" in summary
    assert "inf" not in summary and "∞" not in summary
    tables = str(stages.project_scorecard_tables(stage.results, "ru"))
    assert "Прочерк в графах EAC, ETC и VAC" in tables and "inf" not in tables


def test_budget_spent_with_work_left_is_said_in_words(client_copy):
    # BAC = AC = 60 000, EV 50 000: TCPI = 10 000 / 0
    stage = _pilot_stage(client_copy, "2024-02,10000,9000,9500,60000,4,3,5,2\n"
                                      "2024-03,60000,50000,60000,60000,8,7,3,4\n")
    summary = str(stages.project_summary(stage.results, "en"))
    assert "can no longer be finished within the budget" in summary
    assert "A dash in TCPI" in str(stages.project_scorecard_tables(stage.results, "en"))
