"""Attainment of one KPI in one period (SPEC 3.4), one formula per function.

Each formula exists twice: vectorised over NumPy arrays (for matrices of millions of lines) and
exact over :class:`decimal.Decimal` (for lines whose decision sits on a threshold, and as the
reference the vectorised path is tested against). Attainment is never negative: a fact worse
than the baseline, or further outside a band than its tolerance, attains 0.
"""
from __future__ import annotations

from decimal import Decimal  # noqa: F401  (doctests)
from fractions import Fraction

import numpy as np

from kpi_toolkit.method.exact import to_decimal

HIGHER, LOWER, BAND = "higher", "lower", "band"
DIRECTION_CODES = {HIGHER: 0, LOWER: 1, BAND: 2}


def as_result(x):
    """A 0-d result as a plain float, an array as it is."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def attainment_higher(plan, fact):
    """Higher is better: ``a = F / P``.

    Examples
    --------
    >>> attainment_higher(20.0, 22.0)
    1.1
    """
    return as_result(np.divide(fact, plan))


def attainment_lower(plan, fact, cap=np.nan):
    """Lower is better: ``a = P / F``; a fact of 0 takes the ``cap``.

    Examples
    --------
    >>> attainment_lower(4.0, 5.0)
    0.8
    >>> float(attainment_lower(4.0, 0.0, cap=1.5))
    1.5
    """
    plan, fact, cap = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (plan, fact, cap)))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(fact == 0, cap, plan / np.where(fact == 0, 1.0, fact))
    return as_result(a)


def attainment_with_baseline(plan, fact, baseline):
    """With a baseline B (the level before the KPI system): ``a = (F - B) / (P - B)``.

    Works for either direction: for a lower-is-better KPI both differences are negative.

    Examples
    --------
    >>> attainment_with_baseline(plan=120.0, fact=115.0, baseline=100.0)
    0.75
    >>> attainment_with_baseline(plan=5.0, fact=4.0, baseline=10.0)  # days, lower is better
    1.2
    """
    return as_result(np.divide(np.subtract(fact, baseline), np.subtract(plan, baseline)))


def attainment_band(fact, low, high, tolerance):
    """Keep within a band: 1 inside ``[low, high]``, falling linearly to 0 at ``tolerance`` outside.

    Examples
    --------
    >>> [float(attainment_band(f, 10.0, 15.0, 5.0)) for f in (12.0, 7.5, 20.0, 3.0)]
    [1.0, 0.5, 0.0, 0.0]
    """
    fact, low, high, tolerance = (np.asarray(v, dtype=float) for v in (fact, low, high, tolerance))
    outside = np.maximum(low - fact, 0.0) + np.maximum(fact - high, 0.0)
    return as_result(np.clip(1.0 - outside / tolerance, 0.0, None))


def attainment(plan, fact, direction, baseline=np.nan, band_low=np.nan, band_high=np.nan,
               band_tolerance=np.nan, cap=np.nan) -> np.ndarray:
    """Attainment for arrays of lines of mixed directions (codes ``higher``, ``lower``, ``band``
    or their integer codes 0, 1, 2), floored at 0. A NaN fact gives NaN.

    Examples
    --------
    >>> attainment([20, 20, 20], [22, 17, 30], "higher").round(4).tolist()
    [1.1, 0.85, 1.5]
    >>> attainment([13.0], [11.7], ["higher"]).tolist()  # float noise; thresholds use exact checks
    [0.8999999999999999]
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (plan, fact, baseline, band_low, band_high, band_tolerance, cap))
    )
    plan, fact, baseline, band_low, band_high, band_tolerance, cap = (np.array(a) for a in arrays)
    code = _direction_codes(direction, plan.shape)
    a = np.full(plan.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # an infinite one is refused as money
        has_base = ~np.isnan(baseline)
        m = (code == 0) & ~has_base
        a[m] = fact[m] / plan[m]
        m = (code == 1) & ~has_base
        a[m] = attainment_lower(plan[m], fact[m], cap[m])
        m = (code != 2) & has_base
        a[m] = attainment_with_baseline(plan[m], fact[m], baseline[m])
        m = code == 2
        a[m] = attainment_band(fact[m], band_low[m], band_high[m], band_tolerance[m])
        a = np.where(np.isnan(a), a, np.maximum(a, 0.0))
    return a


def _direction_codes(direction, shape) -> np.ndarray:
    d = np.asarray(direction)
    if d.dtype.kind in "iu":
        return np.broadcast_to(d, shape)
    if d.ndim == 0:
        return np.full(shape, DIRECTION_CODES.get(str(d), 0))
    return np.array([DIRECTION_CODES.get(v, 0) if isinstance(v, str) else 0 for v in d]).reshape(shape)


def attainment_exact(plan, fact, direction: str = HIGHER, baseline=None, band_low=None,
                     band_high=None, band_tolerance=None, cap=None) -> Fraction:
    """The exact attainment of one line, as a :class:`~fractions.Fraction` (floored at 0).

    Inputs may be floats parsed from decimal text, strings, Decimals or Fractions; NaN or None
    means not set. A fraction, not a Decimal: 1730.01 / 0.91 has no finite decimal expansion.

    Examples
    --------
    >>> attainment_exact(13, 11.7)
    Fraction(9, 10)
    >>> attainment_exact(8.3, 5.81) == Decimal("0.7")
    True
    """
    p, f, b, lo, hi, tol, c = (_fraction(v) for v in (plan, fact, baseline, band_low, band_high, band_tolerance, cap))
    if direction == BAND:
        a = 1 - (max(lo - f, 0) + max(f - hi, 0)) / tol
    elif b is not None:
        a = (f - b) / (p - b)
    elif direction == LOWER:
        a = c if f == 0 else p / f
    else:
        a = f / p
    return max(Fraction(a), Fraction(0))


def _fraction(v) -> Fraction | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (Fraction, int, np.integer)):
        return Fraction(int(v)) if isinstance(v, np.integer) else Fraction(v)
    return Fraction(to_decimal(v))


def kpi_index(weight, attainment_value):
    """KPI index ``i = w * a``.

    Examples
    --------
    >>> kpi_index(0.25, 0.85)
    0.2125
    """
    return as_result(np.multiply(weight, attainment_value))


def performance_ratio(weights, attainments) -> float:
    """Performance ratio ``R = sum of w * a`` over a position's KPIs (seed 003).

    Examples
    --------
    >>> round(performance_ratio([0.5, 0.25, 0.25], [22 / 20, 17 / 20, 30 / 20]), 12)
    1.1375
    """
    return float(np.sum(kpi_index(np.asarray(weights, float), np.asarray(attainments, float))))
