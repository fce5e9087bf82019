from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_toolkit.errors import CalculationError
from kpi_toolkit.method.exact import (MONEY_LIMIT_MINOR, format_minor, format_money, format_ratio, minor_units,
                               minor_units_exact, money_limit, near, round_half_up)


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


@pytest.mark.parametrize("amount", [float("inf"), float("nan"), 1e17, 45035996273704.96])
def test_minor_units_refuses_what_it_cannot_hold_instead_of_wrapping(amount):
    """int64 casts of these gave -92 233 720 368 547 758.08 (or …345.68 for 123 456 789 012 345.67)."""
    with pytest.raises(CalculationError, match="45,035,996,273,704.95"):
        minor_units(np.array([amount]), 2)


def test_money_limit_is_2_to_the_52_minor_units():
    assert money_limit(2) == Decimal("45035996273704.95") and money_limit(0) == Decimal(2**52 - 1)
    assert MONEY_LIMIT_MINOR == 2**52
    assert minor_units(np.array([45035996273704.95]), 2).tolist() == [2**52 - 1]


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=2**51, max_value=2**52 - 1), st.sampled_from([0, 2, 3]))
def test_every_amount_below_the_limit_comes_back_exactly_from_its_float(minor, decimals):
    """Why the limit is 2**52, not 2**53: below it the float of a typed amount is finer than one minor
    unit, so its shortest repr is the amount typed and rounding to minor units returns it."""
    typed = Decimal(minor).scaleb(-decimals)
    assert Decimal(repr(float(typed))) == typed
    assert minor_units(np.array([float(typed)]), decimals).tolist() == [minor]


def test_format_money_leaves_an_amount_without_a_finite_value_empty_and_refuses_one_too_large():
    """An EAC of a project that earned nothing yet (CPI 0) was written as -92233720368547758.08."""
    assert format_money([20000.0, float("inf"), float("-inf"), float("nan")], 2) == ["20000.00", "", "", ""]
    with pytest.raises(CalculationError):
        format_money([1e17], 2)
