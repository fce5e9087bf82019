"""Reasons in the reader's language."""
import pandas as pd

from kpi_toolkit.outputs.explain import statement_reason


def row(**kw):
    base = {"reason": "", "blocking_kpis": "", "stop_rules": "", "excluded_kpis": "", "days_employed": 30,
            "period_days": 30}
    return pd.Series({**base, **kw})


def test_stop_factor_reason_in_russian():
    text = statement_reason(row(reason="stop_factor", stop_rules="TOV > 0.1: x0.5"), "ru", {"TOV": "Текучесть"})
    assert text == "Применён стоп-фактор: Текучесть больше 0,1: ×0,5"


def test_blocking_kpi_and_proration_in_english():
    text = statement_reason(row(reason="stop_threshold", blocking_kpis="cash", days_employed=15), "en",
                            {"cash": "Cash collected"})
    assert text == "Blocking KPI below its stop threshold: Cash collected; Prorated: 15 of 30 days"
