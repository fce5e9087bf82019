"""Everything a client's period computes, in one call: the orchestrator of the domain modules."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from kpi_toolkit.errors import KpiToolkitError
from kpi_toolkit.method.bonus import BonusResult, compute_bonuses
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.method.earned_value import project_scorecard
from kpi_toolkit.method.funnel import funnel_from_config
from kpi_toolkit.method.kpi_weights import position_kpi_weights
from kpi_toolkit.method.matrix import all_bonus_periods
from kpi_toolkit.method.strategy_map import goal_weights


@dataclass(frozen=True)
class Results:
    """The results of one client and period (SPEC §5), as DataFrames."""

    client: ClientData
    period: str
    bonus: BonusResult
    goal_weights: pd.DataFrame
    kpi_weights: pd.DataFrame
    project_scorecard: pd.DataFrame | None = None
    funnel_plan: pd.DataFrame | None = None
    funnel_workload: pd.DataFrame | None = None
    funnel_summary: dict = field(default_factory=dict)
    scenario: str | None = None
    adjustments: pd.DataFrame | None = None  # corrections of closed periods booked on this one (the ledger's)
    history: pd.DataFrame | None = None  # the client's periods as the ledger records them


def periods_between(client: ClientData, first: str, last: str) -> list[str]:
    """The client's bonus periods (named by their last month) from ``first`` to ``last``, both included.

    Raises :class:`~kpi_toolkit.errors.KpiToolkitError` when the range holds none.
    """
    known = all_bonus_periods(client)
    periods = [p for p in known if first <= p <= last]
    if not periods:
        raise KpiToolkitError(f"no bonus period with actuals from {first} to {last}; periods with actuals: "
                              f"{', '.join(known) or 'none'}")
    return periods


def client_kpi_weights(client: ClientData) -> pd.DataFrame:
    """Every position's KPI weights by its method (``kpi_weights.csv``, SPEC 3.2)."""
    return position_kpi_weights(client.positions, client.position_kpis, client.kpis, client.goals,
                                client.config.strategy_owner)


def calculate(client: ClientData, period: str | None = None, scenario: str | None = None,
              paid: pd.DataFrame | None = None) -> Results:
    """Compute every result of SPEC §5 for one period (default: client.yaml's ``period``).

    ``scenario`` only labels the results: apply the scenario to ``client`` first
    (:func:`kpi_toolkit.inputs.scenarios.apply_scenario`). ``paid``: what the ledger says was
    paid for closed periods (``period, employee_id, bonus_minor``), for positions paid on the
    year to date (:func:`kpi_toolkit.method.bonus.year_to_date`); the cycle layer passes it.
    """
    period = period or client.config.period
    goals = client.goals
    gw = goal_weights(goals) if not goals.empty else pd.DataFrame(
        columns=["goal_id", "name", "perspective", "weight"])
    kw = client_kpi_weights(client)
    scorecard = None
    if client.has_project:
        thresholds = client.config.project_thresholds
        scorecard = project_scorecard(client.project, green=thresholds.get("green", 0.95),
                                      amber=thresholds.get("amber", 0.85),
                                      eac_method=client.config.eac_method)
    plan = workload = None
    summary: dict = {}
    if client.config.funnel:
        plan, workload, summary = funnel_from_config(client.config.funnel)
    return Results(client, period, compute_bonuses(client, period, paid=paid), gw, kw, scorecard, plan, workload, summary,
                   scenario)
