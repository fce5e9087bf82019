from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_toolkit.exact import format_minor, format_ratio, minor_units, minor_units_exact, near, round_half_up


@pytest.mark.parametrize("amount, decimals, expected", [
    (350.035, 2, 35004), (0.125, 2, 13), (0.005, 2, 1), (1.005, 2, 101), (2.675, 2, 268),
    (1234.5, 0, 1235), (0.0005, 3, 1), (1e7 + 0.005, 2, 1_000_000_001),
])
def test_half_up_where_binary_floating_point_rounds_down(amount, decimals, expected):
    assert minor_units(np.array([amount]), decimals).tolist() == [expected]


@settings(max_examples=400, deadline=None)
@given(st.decimals(min_value=0, max_value=10_000_000, places=3, allow_nan=False, allow_infinity=False),
       st.sampled_from([0, 2, 3]))
def test_vectorised_rounding_equals_decimal(amount, decimals):
    """Any amount typed with up to 3 decimals rounds exactly like Decimal's ROUND_HALF_UP."""
    assert minor_units(np.array([float(amount)]), decimals)[0] == minor_units_exact(amount, decimals)


def test_formatting():
    assert format_minor(35004, 2) == "350.04"
    assert format_ratio(11.7 / 13) == "0.9"
    assert round_half_up(Decimal("2.5"), 0) == Decimal("3")
    assert bool(near(11.7 / 13, 0.9)) and not bool(near(0.8999, 0.9))
