"""The in-memory client: validated tables and settings of one client folder.

Built by :func:`kpi_toolkit.inputs.loading.load_client`; everything past loading trusts it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from kpi_toolkit.errors import Problem
from kpi_toolkit.method.payroll import PayrollLayout


@dataclass(frozen=True)
class PayoutCurve:
    """A payout curve: attainment (or the KPI's fact) -> coefficient (SPEC 3.5, 3.5.1).

    ``kind`` is ``"steps"`` (the coefficient of the highest point reached; below the first
    point, 0) or ``"linear"`` (linear interpolation between points; below the first point 0;
    above the last point, the last coefficient, or with ``open`` the last segment's slope going
    on). ``basis`` says what the points' first numbers are: ``"attainment"`` (1 = 100 %) or
    ``"value"`` (facts in the KPI's own units, e.g. SAP's 620 -> 50 %). ``label`` is the curve's
    display name per language (``{"en": ..., "ru": ...}``); see :meth:`display_name`.
    """

    name: str
    kind: str
    points: tuple[tuple[float, float], ...]
    basis: str = "attainment"
    open: bool = False
    label: dict = field(default_factory=dict, hash=False, compare=False)

    def display_name(self, language: str) -> str | None:
        """The curve's name for a reader of ``language`` (None when it has no label).

        Examples
        --------
        >>> PayoutCurve("sales_curve", "linear", ((1, 1),), label={"en": "Sales scale"}).display_name("en")
        'Sales scale'
        """
        return self.label.get(language) or next(iter(self.label.values()), None)


EMPLOYEE_DETAIL_LIMIT = 50  # client.yaml reports.employee_detail_limit, the default


@dataclass(frozen=True)
class ClientConfig:
    """The settings of ``client.yaml``, with defaults filled in."""

    name: str
    language: str  # "en" | "ru"
    currency: str  # ISO 4217
    period: str  # "YYYY-MM", the period reported
    currency_decimals: int  # resolved: the file's value, else ISO 4217, else 2
    bonus_period_months: int = 1
    bonus_budget: float | None = None
    contacts: tuple[dict, ...] = ()
    questionnaire: dict = field(default_factory=dict)
    readiness: dict = field(default_factory=dict)
    branding: dict = field(default_factory=dict)  # {"logo": Path | None, "colour": "#RRGGBB", "consultancy": str | None}
    payout_curves: dict[str, PayoutCurve] = field(default_factory=dict)
    funnel: dict | None = None
    strategy_owner: str | None = None  # position owning the strategy map (None: the ceo-level one)
    project_start: str | None = None  # "YYYY-MM-DD"
    project_thresholds: dict = field(default_factory=lambda: {"green": 0.95, "amber": 0.85})
    eac_method: str = "cpi"  # cpi | atypical | cpi_spi: how the project's EAC is forecast (SPEC 3.6)
    payroll: PayrollLayout = field(default_factory=PayrollLayout)  # the payroll file's layout (SPEC §5)
    # reports: past this many employees, the per-employee matrices, statements and lines go to
    # files of their own beside the report, and the report keeps summaries and exceptions
    employee_detail_limit: int = EMPLOYEE_DETAIL_LIMIT


@dataclass(frozen=True)
class ClientData:
    """A validated client folder.

    ``tables`` holds every table of :data:`kpi_toolkit.method.schema.TABLES` as a DataFrame shaped as
    the schema module describes; an optional table the client does not have is an empty
    DataFrame with the declared columns. ``sources`` maps a table name to how the user knows
    it (``"employees.csv"`` or ``"client.xlsx [employees]"``), for messages.
    """

    slug: str
    path: Path
    config: ClientConfig
    tables: dict[str, pd.DataFrame]
    sources: dict[str, str] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    input_hashes: dict[str, str] = field(default_factory=dict)  # relative file -> sha256
    # position_kpis rows of KPIs a map position's weights dropped (under 0.1): not paid on (SPEC 3.2)
    dropped_kpis: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def periods(self) -> list[str]:
        """Periods that have actuals, sorted."""
        return sorted(self.tables["actuals"]["period"].dropna().unique().tolist())

    @property
    def has_project(self) -> bool:
        return not self.tables["project"].empty

    def with_tables(self, **tables: pd.DataFrame) -> "ClientData":
        """A copy with some tables replaced (used by scenarios)."""
        return replace(self, tables={**self.tables, **tables})

    def with_config(self, **changes) -> "ClientData":
        return replace(self, config=replace(self.config, **changes))
