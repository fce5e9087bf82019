"""KPI Toolkit: KPI and bonus systems for consultants, with every number traceable.

Notebooks ``import kpi_toolkit as kt`` and use only what is re-exported here.
"""
from __future__ import annotations

from kpi_toolkit.version import __version__  # noqa: F401

from kpi_toolkit.method.attainment import (attainment, attainment_band, attainment_exact, attainment_higher,  # noqa: F401
                         attainment_lower, attainment_with_baseline, kpi_index, performance_ratio)
from kpi_toolkit.method.bonus import (REASONS, BonusResult, bonus_fund_from_variable_share, compute_bonuses,  # noqa: F401
                    correction_coefficient, days_employed, fund_share, overall_stop_factor, payout_curve_coefficient,
                    period_bounds, seed_001_bonus, stop_rule_violated)
from kpi_toolkit.method.calculate import Results, calculate  # noqa: F401
from kpi_toolkit.method.catalogue import (catalogue_for_role, catalogue_roles, classification_summary, role_name,  # noqa: F401
                        starter_catalogue)
from kpi_toolkit.method.client import ClientConfig, ClientData, PayoutCurve  # noqa: F401
from kpi_toolkit.method.earned_value import (EAC_METHODS, cost_performance_index, cost_variance, cpi, eac,  # noqa: F401
                           estimate_at_completion, estimate_to_complete, project_scorecard, rag_status,
                           schedule_performance_index, schedule_variance, spending_rate, spi, tcpi,
                           to_complete_performance_index, vac, variance_at_completion, worst_status)
from kpi_toolkit.errors import (BrowserNotFoundError, CalculationError, ClientDataError, KpiToolkitError,  # noqa: F401
                     Problem, ProblemsError, ReportError, ScenarioError, SchemeError)
from kpi_toolkit.outputs.explain import line_arithmetic, reason_label, statement_reason, statement_table  # noqa: F401
from kpi_toolkit.method.funnel import (contact_workload, deals_needed, funnel_from_config, funnel_plan,  # noqa: F401
                                       parse_conversion, workload_summary)
from kpi_toolkit.outputs.i18n import (format_date, format_money, format_number, format_percent, format_period, label,  # noqa: F401
                   stage_title, t)
from kpi_toolkit.method.kpi_weights import (check_selection_rules, kpi_raw_weights, map_owner, position_kpi_weights,  # noqa: F401
                          position_methods, prune_kpi_weights)
from kpi_toolkit.inputs.loading import load_client, read_client, validate_client  # noqa: F401
from kpi_toolkit.method.matrix import department_rollup, kpi_matrix, performance_ratios  # noqa: F401
from kpi_toolkit.explorer.model import ExplorerModel  # noqa: F401
from kpi_toolkit.method.readiness import (CONDITIONS, IMPLEMENTATION_STEPS, QUESTIONNAIRE_FIELDS, effort_estimate,  # noqa: F401
                        implementation_plan, questionnaire_table, readiness_assessment, readiness_level,
                        readiness_score)
from kpi_toolkit.inputs.scenarios import Scenario, apply_scenario, list_scenarios, load_scenario, save_scenario  # noqa: F401
from kpi_toolkit.method.sensitivity import attainment_sensitivity, threshold_sensitivity  # noqa: F401
from kpi_toolkit.method.strategy_map import goal_links, goal_weights  # noqa: F401
from kpi_toolkit.method.targets import suggest_targets  # noqa: F401
from kpi_toolkit.inputs.validation import format_problems  # noqa: F401

# Charts, report rendering and PDF printing pull in matplotlib and Playwright: loaded on first use.
_LAZY = {
    "explorer.view": ("scenario_explorer",),
    "outputs.charts": ("use_report_style", "strategy_map_chart", "gantt_chart", "attainment_heatmap",
                       "kpi_weights_chart", "pool_vs_budget_chart", "bonus_by_department_chart", "plan_fact_chart",
                       "earned_value_chart", "funnel_chart", "sensitivity_chart", "RAG_COLOURS"),
    "outputs.html": ("escape", "table", "render_notebook_html", "render_combined_html", "write_text_atomic"),
    "outputs.pdf": ("PdfPrinter", "find_browser"),
    "outputs.statement": ("statement_html", "statement_page"),
    "outputs.statements": ("write_statements",),
    "inputs.intake_template": ("write_intake_template",),
    "inputs.scaffold": ("new_client",),
}
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}
# Modules reached as a namespace: kt.stages.kpi_matrices(...) in the stage notebooks.
_LAZY_MODULES = ("stages",)


def __getattr__(name: str):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'kpi_toolkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
