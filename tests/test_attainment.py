import math
from decimal import Decimal

import numpy as np
import pytest

from builders import one_employee
from kpi_toolkit.method.attainment import (attainment, attainment_band, attainment_exact, attainment_lower,
                                    attainment_with_baseline, performance_ratio)
from kpi_toolkit.method.matrix import department_rollup, kpi_matrix, performance_ratios


@pytest.mark.parametrize("plan, fact, direction, extra, expected", [
    (20, 22, "higher", {}, 1.1),
    (20, 17, "higher", {}, 0.85),
    (4, 5, "lower", {}, 0.8),
    (4, 0, "lower", {"cap": 1.5}, 1.5),
    (120, 115, "higher", {"baseline": 100}, 0.75),
    (5, 4, "lower", {"baseline": 10}, 1.2),
    (120, 90, "higher", {"baseline": 100}, 0.0),  # worse than the baseline: floored at 0
    (None, 12, "band", {"band_low": 10, "band_high": 15, "band_tolerance": 5}, 1.0),
    (None, 7.5, "band", {"band_low": 10, "band_high": 15, "band_tolerance": 5}, 0.5),
    (None, 17, "band", {"band_low": 10, "band_high": 15, "band_tolerance": 5}, 0.6),
    (None, 25, "band", {"band_low": 10, "band_high": 15, "band_tolerance": 5}, 0.0),
])
def test_attainment_by_direction(plan, fact, direction, extra, expected):
    plan_v = np.nan if plan is None else plan
    got = attainment([plan_v], [fact], [direction], **{k: [v] for k, v in extra.items()})[0]
    assert got == pytest.approx(expected, abs=1e-12)
    assert float(attainment_exact(plan_v, fact, direction, **extra)) == pytest.approx(expected, abs=1e-15)


def test_single_formulas():
    assert attainment_lower(4.0, 5.0) == 0.8
    assert attainment_with_baseline(120.0, 115.0, 100.0) == 0.75
    assert attainment_band(13.0, 10.0, 15.0, 5.0) == 1.0


def test_exact_attainment_at_threshold_values():
    assert attainment_exact(13, 11.7) == Decimal("0.9")
    assert attainment_exact(8.3, 5.81) == Decimal("0.7")


def test_seed_003_performance_ratio():
    """Seed 003: weights 0.5/0.25/0.25, plans 20 %, facts 22/17/30 % -> R = 1.1375."""
    assert performance_ratio([0.5, 0.25, 0.25], [22 / 20, 17 / 20, 30 / 20]) == pytest.approx(1.1375, abs=1e-12)
    client = one_employee([
        {"kpi_id": "k1", "weight": 0.5, "plan": 20, "fact": 22},
        {"kpi_id": "k2", "weight": 0.25, "plan": 20, "fact": 17},
        {"kpi_id": "k3", "weight": 0.25, "plan": 20, "fact": 30},
    ])
    m = kpi_matrix(client)
    assert m["index"].round(12).tolist() == [0.55, 0.2125, 0.375]
    assert performance_ratios(m)["performance_ratio"].iloc[0] == pytest.approx(1.1375, abs=1e-12)
    roll = department_rollup(m)
    assert roll["department"].tolist() == ["Sales"] and roll["employees"].iloc[0] == 1


def test_excluded_fact_renormalises_the_other_weights():
    client = one_employee(
        [{"kpi_id": "k1", "weight": 0.5, "plan": 10, "fact": 10},
         {"kpi_id": "k2", "weight": 0.3, "plan": 10, "fact": 5},
         {"kpi_id": "k3", "weight": 0.2, "plan": 10, "fact": None}],
        kpis=[{"kpi_id": "k1", "name": "a"}, {"kpi_id": "k2", "name": "b"},
              {"kpi_id": "k3", "name": "c", "missing": "exclude"}])
    m = kpi_matrix(client)
    assert m["effective_weight"].tolist() == pytest.approx([0.625, 0.375, 0.0])
    assert m["fact_status"].tolist() == ["ok", "ok", "missing_excluded"]
    assert math.isnan(m["attainment"].iloc[2])
    assert m["index"].sum() == pytest.approx(0.625 + 0.375 * 0.5)


def test_missing_fact_counted_as_zero():
    client = one_employee(
        [{"kpi_id": "k1", "weight": 0.6, "plan": 10, "fact": 10},
         {"kpi_id": "k2", "weight": 0.4, "plan": 10, "fact": None}],
        kpis=[{"kpi_id": "k1", "name": "a"}, {"kpi_id": "k2", "name": "b", "missing": "zero"}])
    m = kpi_matrix(client)
    assert m["attainment"].tolist() == [1.0, 0.0]
    assert m["effective_weight"].tolist() == [0.6, 0.4]
