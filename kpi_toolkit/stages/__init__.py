"""What the engagement stage notebooks show (SPEC §2): one module per stage, one function per table,
chart or section. Notebooks call them as ``kt.stages.<name>``; this package re-exports them all.

Each function takes a client (:class:`~kpi_toolkit.method.client.ClientData`) or its results
(:class:`~kpi_toolkit.method.calculate.Results`) and the reader's language, and returns what a notebook
displays, every fixed word taken from the message catalogue: a DataFrame of formatted text under
translated column names, a Figure from :mod:`kpi_toolkit.outputs.charts`, an
:class:`~kpi_toolkit.outputs.html.Html` fragment, or a :class:`~kpi_toolkit.stages.common.Markdown`
paragraph (client strings escaped). Nothing here writes files; only
:func:`~kpi_toolkit.stages.common.open_stage` reads the client folder.
"""
from kpi_toolkit.stages.common import (DASH, SHIFTS, RAG_FILL, GROUP_ROW_STYLE, ANSWER_RAG, TREND_PERIODS,
    CHECKLIST, ROLLOUT_PHASES, Stage, resolve_client_dir, load_stage_client, apply_scenario, open_stage,
    Markdown, section, text, intro, table_or_note, next_period, total_table, rag_table)  # noqa: F401
from kpi_toolkit.stages.diagnostic import (questionnaire_answers, contact_table, readiness_table,
    readiness_summary, risk_table, risk_view, scope_table, plan_table, plan_chart)  # noqa: F401
from kpi_toolkit.stages.strategy import (has_map, goal_table, link_table, strategy_map, method_summary,
    position_weights, head_on_weight_table, kpi_weight_charts, dropped_kpi_table)  # noqa: F401
from kpi_toolkit.stages.selection import (TAGS, CATALOGUE_TAGS, kpi_catalogue_table, classification_table,
    selection_tables, rule_warning_table, data_source_table, has_funnel, funnel_summary, funnel_table,
    sales_funnel_chart, activity_table, workload_note, target_table)  # noqa: F401
from kpi_toolkit.stages.matrices import (kpi_matrices, attainment_heatmaps, rollup_table)  # noqa: F401
from kpi_toolkit.stages.bonus_scheme import (bonus_formula, fund_rules, scheme_tables, payout_curve_table,
    bonus_summary, bonus_statements, pool_summary, pool_chart, department_bonus_table, department_bonus_chart,
    stopped_bonuses, scenario_comparison, pool_sensitivity, sensitivity_table, sensitivity_figure,
    pool_by_period, pool_by_period_table, pool_by_quarter_table, pool_by_period_chart)  # noqa: F401
from kpi_toolkit.stages.pilot import (rag_by_period, plan_fact_charts, early_warnings, data_gaps, has_project,
    project_summary, project_scorecard_tables, earned_value_figure, attainment_trends, attainment_trend_table,
    attainment_trend_chart)  # noqa: F401
from kpi_toolkit.stages.rollout import (goal_hierarchy, position_matrices, work_plan_period, work_plans,
    rollout_phase_of, rollout_table, change_checklist, export_files, payroll_table)  # noqa: F401
