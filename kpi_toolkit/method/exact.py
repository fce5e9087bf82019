"""Exact decisions on top of fast binary floating point.

Plans, facts, weights and money arrive as decimal text (``11.7``, ``350.035``) and are held as
``float64`` so that millions of lines can be computed with NumPy. Binary floating point cannot
hold most decimal fractions, so ``11.7 / 13`` comes out as ``0.8999999999999999`` and
``350.035`` as ``350.03499999…``. Two kinds of decision are sensitive to that:

- comparing an attainment with a threshold (a fact exactly at a threshold reaches it), and
- rounding money half-up to the currency's minor unit.

The scheme used throughout the toolkit: compute in float64, and wherever a value lies so close
to a decision boundary that float error could flip the decision (within :data:`RATIO_BAND` of a
threshold, within :data:`MONEY_BAND` of a half minor unit), recompute that line exactly in
rational arithmetic from the shortest decimal text of its inputs (``repr`` of a float parsed
from ``"11.7"`` is ``"11.7"`` again): in bulk on Python integers where the inputs are short
decimals, else with :class:`fractions.Fraction`. Rational, not Decimal: ``1730.01 / 0.91`` has
no finite decimal expansion, and a truncated one turns an exact half kopeck into 0.4999…
Away from a boundary float error (about 1e-15 relative) is far smaller than the margin, so the
decision is the exact one; at a boundary the decision *is* exact. ``tests/test_bonus.py``
checks the engine against an all-rational reference of the bonus formula.

That holds for amounts below :data:`MONEY_LIMIT_MINOR` minor units (45 035 996 273 704.95 at two
decimals): there a float in major units is finer than one minor unit, so the decimal typed is
recovered exactly, and a count of minor units is an integer float64 holds exactly. Larger or
non-finite amounts are refused (:func:`money_in_range`), never wrapped, clipped or rounded.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

import numpy as np

from kpi_toolkit.errors import CalculationError

#: Relative distance from a threshold under which a comparison is redone exactly.
RATIO_BAND = 1e-9
#: Distance from a half minor unit, relative to the amount in minor units, under which rounding is
#: redone exactly (float64 carries about 1e-16 relative error per operation; an amount is a
#: product of a handful of factors).
MONEY_BAND = 1e-12
#: Decimal places kept for ratios in results (attainment, index, coefficient).
RATIO_DECIMALS = 12

DECIMAL_CONTEXT = Context(prec=40)


def to_decimal(x: float | int | str | Decimal) -> Decimal:
    """The decimal the user wrote, recovered from a float parsed from it.

    Examples
    --------
    >>> to_decimal(11.7)
    Decimal('11.7')
    >>> to_decimal(0.1 + 0.2)  # not text anyone wrote: kept as the float's shortest repr
    Decimal('0.30000000000000004')
    """
    if isinstance(x, Decimal):
        return x
    if isinstance(x, (int, np.integer)):
        return Decimal(int(x))
    return Decimal(repr(float(x))) if not isinstance(x, str) else Decimal(x)


def settle_ratio(x):
    """Round a ratio to :data:`RATIO_DECIMALS` places, removing float noise for display.

    Examples
    --------
    >>> float(settle_ratio(11.7 / 13))
    0.9
    """
    return np.round(x, RATIO_DECIMALS)


def near(x, boundary, band: float = RATIO_BAND):
    """True where ``x`` is within a relative ``band`` of ``boundary`` (NaN boundary: False).

    Examples
    --------
    >>> bool(near(11.7 / 13, 0.9))
    True
    >>> bool(near(0.95, 0.9))
    False
    """
    x = np.asarray(x, dtype=float)
    boundary = np.asarray(boundary, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(x - boundary) <= band * np.maximum(1.0, np.abs(boundary))


def round_half_up(amount: Decimal, decimals: int) -> Decimal:
    """Round a decimal amount half-up (away from zero at .5) to ``decimals`` places.

    Examples
    --------
    >>> round_half_up(Decimal("350.035"), 2)
    Decimal('350.04')
    >>> round_half_up(Decimal("-0.005"), 2)
    Decimal('-0.01')
    """
    with localcontext(DECIMAL_CONTEXT):
        return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def minor_units_exact(amount: Decimal, decimals: int) -> int:
    """An exact decimal amount rounded half-up, as an integer count of minor units.

    Examples
    --------
    >>> minor_units_exact(Decimal("350.035"), 2)
    35004
    """
    return int(round_half_up(amount, decimals).scaleb(decimals))


#: Amounts are exact below this many minor units. They are held as float64 in major units, and a
#: decimal with the currency's places comes back exactly from its float (shortest ``repr``) only
#: while the float's spacing is finer than one minor unit: below 2**52 minor units (2**53 holds
#: every integer, but above 2**52 two amounts typed a kopeck apart can share one float).
MONEY_LIMIT_MINOR = 2**52


def money_limit(decimals: int) -> Decimal:
    """The largest amount the toolkit computes exactly, in major units of a currency with
    ``decimals`` places: ``(2**52 - 1)`` minor units.

    Examples
    --------
    >>> money_limit(2), money_limit(0)
    (Decimal('45035996273704.95'), Decimal('4503599627370495'))
    """
    return Decimal(MONEY_LIMIT_MINOR - 1).scaleb(-decimals)


def format_limit(decimals: int) -> str:
    """:func:`money_limit` for messages, with thousands separated.

    Examples
    --------
    >>> format_limit(2)
    '45,035,996,273,704.95'
    """
    return f"{money_limit(decimals):,.{decimals}f}"


def money_in_range(amount, decimals: int) -> np.ndarray:
    """Where float amounts in major units are finite and at most :func:`money_limit` in absolute
    value (what :func:`minor_units` accepts). Compared in major units: the limit's float is the
    float of every decimal that rounds to it, whereas scaling to minor units first rounds again.

    Examples
    --------
    >>> money_in_range(np.array([45035996273704.95, 45035996273704.96, np.inf, np.nan, -1.0]), 2).tolist()
    [True, False, False, False, True]
    """
    amount = np.asarray(amount, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(amount) <= float(money_limit(decimals))


def minor_units(amount, decimals: int, exact_fallback=None) -> np.ndarray:
    """Round float amounts half-up to integer minor units, exactly at half-unit ties.

    Amounts must be finite and within :func:`money_limit` (check with :func:`money_in_range`
    first); anything else raises :class:`~kpi_toolkit.errors.CalculationError` rather than
    come out wrapped or rounded.

    ``exact_fallback(indices)`` decides the lines whose float value lies within
    :data:`MONEY_BAND` of a half minor unit: it returns their exact amounts as a list of
    Decimals, or directly their minor units as an integer array. Without it those lines are
    taken as the decimal of their float's shortest repr (right when the amount itself was
    typed, like a bonus fund of ``350.035``).

    Examples
    --------
    >>> minor_units(np.array([350.035, 0.125, 19.999]), 2).tolist()
    [35004, 13, 2000]
    """
    amount = np.asarray(amount, dtype=float)
    unfit = ~money_in_range(amount, decimals)
    if unfit.any():
        raise CalculationError(
            f"amount {float(amount[unfit][0])!r} is not finite or beyond {format_limit(decimals)}, the largest amount "
            "computed exactly; check amounts with money_in_range before rounding them")
    scaled = amount * 10.0**decimals
    base = np.floor(scaled)
    frac = scaled - base
    result = np.floor(scaled + 0.5)
    tie = np.abs(frac - 0.5) <= MONEY_BAND * np.maximum(1.0, np.abs(scaled))
    tie &= np.isfinite(scaled)
    idx = np.flatnonzero(tie)
    if idx.size:
        exact = exact_fallback(idx) if exact_fallback else [to_decimal(a) for a in amount[idx]]
        if not isinstance(exact, np.ndarray):
            exact = np.array([minor_units_exact(d, decimals) for d in exact], dtype=np.int64)
        result[idx] = exact  # exact integers: float64 holds them below the limit
    if not (np.abs(result) < MONEY_LIMIT_MINOR).all():
        raise CalculationError(f"an amount rounds to {format_limit(decimals)} or beyond, the largest computed exactly")
    return result.astype(np.int64)


def format_minor(minor: int, decimals: int) -> str:
    """Minor units as a plain decimal string with ``.`` (for CSV files).

    Examples
    --------
    >>> format_minor(35004, 2), format_minor(-5, 2), format_minor(1200, 0)
    ('350.04', '-0.05', '1200')
    """
    return str(Decimal(int(minor)).scaleb(-decimals)) if decimals else str(int(minor))


def format_money(amounts, decimals: int) -> list[str]:
    """Float amounts in major units as CSV text to the minor unit (rounded half-up), empty where
    an amount has no finite value (an EAC when nothing was earned yet); an amount beyond
    :func:`money_limit` raises :class:`~kpi_toolkit.errors.CalculationError`.

    Examples
    --------
    >>> format_money([350.035, float("inf"), float("nan")], 2)
    ['350.04', '', '']
    """
    amounts = np.asarray(amounts, dtype=float)
    finite = np.isfinite(amounts)
    minor = iter(minor_units(amounts[finite], decimals).tolist())
    return [format_minor(next(minor), decimals) if ok else "" for ok in finite]


def format_ratio(x: float) -> str:
    """A ratio for CSV: settled to :data:`RATIO_DECIMALS` places, no trailing zeros, empty for NaN.

    Examples
    --------
    >>> format_ratio(11.7 / 13), format_ratio(1.1375), format_ratio(float("nan"))
    ('0.9', '1.1375', '')
    """
    if x is None or not np.isfinite(x):
        return ""
    text = f"{round(float(x), RATIO_DECIMALS):.{RATIO_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


#: Scale of the integers that stand for short decimals in exact rational arithmetic.
SCALE = 10**6


def scaled_integers(x) -> tuple[np.ndarray, np.ndarray]:
    """``x * 10**6`` as exact integers where ``x`` is a decimal of at most 6 places (and small
    enough), with a mask of where that holds.

    Examples
    --------
    >>> values, ok = scaled_integers(np.array([0.3, 11.7, 1 / 3]))
    >>> values.tolist(), ok.tolist()
    ([300000, 11700000, 0], [True, True, False])
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        s = np.rint(x * SCALE)
        ok = np.isfinite(x) & (np.abs(s) < 2.0**53) & (s / SCALE == x)
    return np.where(ok, s, 0).astype(np.int64), ok


def half_up_ratio(numerator, denominator) -> np.ndarray:
    """Half-up rounding of exact non-negative rationals given as arrays of Python ints.

    Examples
    --------
    >>> half_up_ratio(np.array([7, 5, 0], dtype=object), np.array([2, 4, 3], dtype=object)).tolist()
    [4, 1, 0]
    """
    return (2 * numerator + denominator) // (2 * denominator)
