"""KPI Toolkit: KPI and bonus systems, with every number traceable."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: F401
    BrowserNotFoundError,
    CalculationError,
    ClientDataError,
    KpiToolkitError,
    Problem,
    ProblemsError,
    ReportError,
    ScenarioError,
    SchemeError,
)
