"""The implementation project's scorecard with earned value (SPEC 3.6, seed 001).

PV (BCWS) is the planned value, EV (BCWP) the earned value, AC (ACWP) the actual cost and BAC
the budget at completion, all to date. Every function takes scalars, arrays or Series and
returns the same kind.

Two conventions hold throughout:

- an index whose denominator is 0 means nothing was planned (PV = 0) or spent (AC = 0) yet,
  which counts as on track: the index is 1.0;
- a missing figure (NaN) gives a missing index, and :func:`rag_status` leaves a missing index
  unrated (``None``) rather than colouring it: an area without data is neither good nor bad.

Forecasts have two edge cases with no finite answer, kept as infinity or NaN (the CSV leaves
them empty, the reports say why in words): nothing earned yet (CPI = 0) gives no estimate at
completion, and a budget already spent (BAC = AC) leaves no money for the remaining work, so
the to-complete index is infinite (or NaN when no work remains either).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

GREEN, AMBER, RED = "green", "amber", "red"
STATUSES = (GREEN, AMBER, RED)  # best to worst
AREAS = ("budget", "schedule", "scope", "quality")
#: How the estimate at completion is forecast (SPEC 3.6): ``cpi`` assumes today's cost
#: efficiency goes on, ``atypical`` that the overrun so far was a one-off and the rest costs
#: its budget, ``cpi_spi`` that both cost and schedule efficiency weigh on the rest.
EAC_METHODS = ("cpi", "atypical", "cpi_spi")
# An index equal to a threshold up to float noise reaches it (EV / PV = 0.949999...).
_TOLERANCE = 1e-9

SCORECARD_COLUMNS = [
    "period", "pv", "ev", "ac", "bac", "cv", "cpi", "sv", "spi", "spending_rate", "eac", "etc", "vac", "tcpi",
    "scope_ratio", "quality_ratio", "issues_opened", "issues_closed", "open_issues",
    *AREAS, "overall",
]


def _like(result, *inputs):
    """Return ``result`` shaped like the inputs: a Series, an array or a float."""
    for value in inputs:
        if isinstance(value, pd.Series):
            return pd.Series(result, index=value.index)
    if np.ndim(result) == 0:
        return float(result)
    return np.asarray(result)


def _index(numerator, denominator):
    """numerator / denominator, 1.0 where the denominator is 0."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den == 0, 1.0, num / np.where(den == 0, 1.0, den))
    return _like(ratio, numerator, denominator)


def _divide(numerator, denominator):
    """numerator / denominator, infinite where the denominator is 0."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _like(num / den, numerator, denominator)


def cost_variance(ev, ac):
    """Cost variance ``CV = EV - AC``; negative means over budget.

    Examples
    --------
    >>> cost_variance(80_000, 100_000)
    -20000.0
    """
    return _like(np.asarray(ev, dtype=float) - np.asarray(ac, dtype=float), ev, ac)


def cost_performance_index(ev, ac):
    """Cost performance index ``CPI = EV / AC``; under 1 means over budget.

    Nothing spent yet (AC = 0) counts as on track: 1.0.

    Examples
    --------
    >>> cost_performance_index(80_000, 100_000)
    0.8
    >>> cost_performance_index(0, 0)
    1.0
    >>> cost_performance_index(pd.Series([50.0, 90.0]), pd.Series([50.0, 100.0])).tolist()
    [1.0, 0.9]
    """
    return _index(ev, ac)


def schedule_variance(ev, pv):
    """Schedule variance ``SV = EV - PV``; negative means behind schedule.

    Examples
    --------
    >>> schedule_variance(80_000, 100_000)
    -20000.0
    """
    return _like(np.asarray(ev, dtype=float) - np.asarray(pv, dtype=float), ev, pv)


def schedule_performance_index(ev, pv):
    """Schedule performance index ``SPI = EV / PV``; under 1 means behind schedule.

    Nothing planned yet (PV = 0) counts as on track: 1.0.

    Examples
    --------
    >>> schedule_performance_index(90_000, 100_000)
    0.9
    """
    return _index(ev, pv)


def spending_rate(ev, ac):
    """Spending rate ``1 / CPI`` (``AC / EV``); over 1 means the budget runs out early.

    Nothing spent and nothing earned gives 1.0; money spent with nothing earned gives
    infinity.

    Examples
    --------
    >>> spending_rate(80_000, 100_000)
    1.25
    >>> spending_rate(0, 5_000)
    inf
    """
    return _divide(1.0, cost_performance_index(ev, ac))


def _exact(value) -> Fraction | None:
    """A figure as the decimal it is written as (None when missing or not finite)."""
    value = float(value)
    return Fraction(str(value)) if math.isfinite(value) else None


def _eac_one(bac, ev, ac, pv, method: str) -> float:
    bac, ev, ac, pv = (_exact(v) for v in (bac, ev, ac, pv))
    if None in (bac, ev, ac) or (method == "cpi_spi" and pv is None):
        return math.nan
    if method == "atypical":
        return float(ac + bac - ev)
    cpi_ = ev / ac if ac else Fraction(1)  # nothing spent yet: on track
    if method == "cpi":
        return float(bac / cpi_) if cpi_ else math.inf
    spi_ = ev / pv if pv else Fraction(1)  # nothing planned yet: on track
    if cpi_ * spi_ == 0:
        return math.inf
    return float(ac + (bac - ev) / (cpi_ * spi_))


def estimate_at_completion(bac, cpi=None, *, ev=None, ac=None, pv=None, method: str = "cpi"):
    """Estimate at completion: what the whole project is now forecast to cost.

    ``method`` (``client.yaml`` ``eac_method``) is one of :data:`EAC_METHODS`:

    - ``cpi`` (default): ``EAC = BAC / CPI``, today's cost efficiency goes on;
    - ``atypical``: ``EAC = AC + (BAC - EV)``, the variance so far was a one-off;
    - ``cpi_spi``: ``EAC = AC + (BAC - EV) / (CPI * SPI)``, both indices weigh on the rest.

    Given ``ev`` and ``ac`` (and ``pv`` for ``cpi_spi``) the forecast is computed exactly from
    the figures as written (``BAC * AC / EV``, not through a rounded CPI); ``estimate_at_completion
    (bac, cpi)`` keeps the plain ``BAC / CPI``. Nothing earned yet (CPI = 0) gives infinity: no
    forecast is possible.

    Examples
    --------
    >>> estimate_at_completion(1_000_000, 0.8)
    1250000.0
    >>> estimate_at_completion(100_000, ev=40_000, ac=45_000)  # 100 000 / (40 000 / 45 000)
    112500.0
    >>> estimate_at_completion(100_000, ev=40_000, ac=45_000, method="atypical")
    105000.0
    >>> estimate_at_completion(100_000, ev=40_000, ac=45_000, pv=50_000, method="cpi_spi")
    129375.0
    >>> estimate_at_completion(100_000, ev=0, ac=5_000)  # nothing earned: no forecast
    inf
    """
    if method not in EAC_METHODS:
        raise ValueError(f"eac method {method!r}; expected one of {', '.join(EAC_METHODS)}")
    if ev is None and ac is None:
        if method != "cpi":
            raise ValueError(f"eac method {method!r} needs ev and ac")
        return _divide(bac, cpi)
    if pv is None:
        if method == "cpi_spi":
            raise ValueError("eac method 'cpi_spi' needs pv")
        pv = ev
    values = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (bac, ev, ac, pv)))
    flat = [_eac_one(*row, method) for row in zip(*(v.ravel() for v in values))]
    result = np.asarray(flat, dtype=float).reshape(values[0].shape)
    return _like(result, bac, ev, ac, pv)


def _difference(a, b):
    """a - b taken on the decimals as written (0.9 - 0.3 is 0.6); infinite and NaN stay so."""
    x, y = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    flat = [float(_exact(u) - _exact(v)) if math.isfinite(u) and math.isfinite(v) else u - v
            for u, v in zip(x.ravel().tolist(), y.ravel().tolist())]
    return _like(np.asarray(flat, dtype=float).reshape(x.shape), a, b)


def estimate_to_complete(eac, ac):
    """Estimate to complete ``ETC = EAC - AC``: what the remaining work is forecast to cost.

    Examples
    --------
    >>> estimate_to_complete(112_500, 45_000)
    67500.0
    >>> estimate_to_complete(float("inf"), 5_000)  # no forecast, no estimate to complete
    inf
    """
    return _difference(eac, ac)


def _tcpi_one(bac, ev, ac) -> float:
    bac, ev, ac = (_exact(v) for v in (bac, ev, ac))
    if None in (bac, ev, ac):
        return math.nan
    work, money = bac - ev, bac - ac
    if money == 0:
        return math.nan if work == 0 else math.inf
    return float(work / money)


def to_complete_performance_index(bac, ev, ac):
    """To-complete performance index ``TCPI = (BAC - EV) / (BAC - AC)``.

    The cost efficiency the remaining work needs to finish within the budget: over 1 means it
    must be done more cheaply than so far. With the budget spent (BAC = AC) and work left it is
    infinite (the budget cannot be met); with no work left either, NaN (nothing to complete).
    A negative index means the budget is already overrun. Computed exactly from the figures.

    Examples
    --------
    >>> round(to_complete_performance_index(100_000, 40_000, 45_000), 4)  # 60 000 / 55 000
    1.0909
    >>> to_complete_performance_index(1_000, 600, 1_000)  # budget spent, work left
    inf
    """
    values = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (bac, ev, ac)))
    flat = [_tcpi_one(*row) for row in zip(*(v.ravel() for v in values))]
    return _like(np.asarray(flat, dtype=float).reshape(values[0].shape), bac, ev, ac)


def variance_at_completion(bac, eac):
    """Variance at completion ``VAC = BAC - EAC``; negative means a forecast overrun.

    Examples
    --------
    >>> variance_at_completion(1_000_000, 1_250_000)
    -250000.0
    """
    return _difference(bac, eac)


cv = cost_variance
cpi = cost_performance_index
sv = schedule_variance
spi = schedule_performance_index
eac = estimate_at_completion
etc = estimate_to_complete
vac = variance_at_completion
tcpi = to_complete_performance_index


def rag_status(index, green: float = 0.95, amber: float = 0.85):
    """Red, amber or green for a performance index.

    ``index >= green`` is green, ``index >= amber`` amber, anything lower red; an index equal
    to a threshold up to float noise reaches it. A missing index (NaN) is not rated: None.

    Parameters
    ----------
    index : float, array-like or pandas.Series
        Performance indices (1 = on plan).
    green, amber : float
        The thresholds (``client.yaml`` ``project_thresholds``).

    Returns
    -------
    str, None, numpy.ndarray or pandas.Series
        ``"green"``, ``"amber"``, ``"red"`` or None, shaped like ``index``.

    Examples
    --------
    >>> rag_status(0.95), rag_status(0.9), rag_status(0.5)
    ('green', 'amber', 'red')
    >>> rag_status(pd.Series([1.2, 0.85, float("nan")])).tolist()
    ['green', 'amber', None]
    """
    values = np.asarray(index, dtype=float)
    status = np.select(
        [np.isnan(values), values >= green - _TOLERANCE, values >= amber - _TOLERANCE],
        [None, GREEN, AMBER], default=RED).astype(object)
    if isinstance(index, pd.Series):
        return pd.Series(status, index=index.index, dtype=object)
    return status.item() if status.ndim == 0 else status


def worst_status(*statuses):
    """The worst of some statuses (red < amber < green), ignoring unrated ones (None).

    Examples
    --------
    >>> worst_status("green", "amber", None)
    'amber'
    >>> worst_status(None, None) is None
    True
    """
    rated = [s for s in statuses if s in STATUSES]
    return max(rated, key=STATUSES.index) if rated else None


def _issue_counts(project: pd.DataFrame, column: str) -> pd.Series:
    if column not in project:
        return pd.Series(pd.NA, index=project.index, dtype="Int64")
    return project[column].astype("Int64")


def project_scorecard(project: pd.DataFrame, green: float = 0.95,
                      amber: float = 0.85, eac_method: str = "cpi") -> pd.DataFrame:
    """The project scorecard: earned value, scope, quality and their statuses per period.

    Parameters
    ----------
    project : pandas.DataFrame
        The client ``project`` table: ``period, pv, ev, ac, bac`` and ``scope_planned,
        scope_delivered`` to date (cumulative); ``issues_opened, issues_closed`` per period.
    green, amber : float
        Status thresholds for every index (default 0.95 and 0.85).
    eac_method : str
        How the estimate at completion is forecast: ``cpi`` (default), ``atypical`` or
        ``cpi_spi`` (:func:`estimate_at_completion`).

    Returns
    -------
    pandas.DataFrame
        One row per period, sorted, with columns ``period, pv, ev, ac, bac, cv, cpi, sv, spi,
        spending_rate, eac, etc, vac, tcpi, scope_ratio, quality_ratio, issues_opened, issues_closed,
        open_issues, budget, schedule, scope, quality, overall``. Budget is rated on CPI,
        schedule on SPI, scope on delivered / planned, quality on issues closed / opened to
        date (no issues yet = 1); ``open_issues`` is the backlog at the end of the period.
        ``overall`` is the worst rated area. An area without data (NaN) is unrated (None).
        Empty issue counts count as 0 when the period has other issue data; without any
        issue data, quality is unrated.

    Examples
    --------
    >>> project = pd.DataFrame({
    ...     "period": ["2024-01", "2024-02"], "pv": [100.0, 200.0], "ev": [100.0, 180.0],
    ...     "ac": [100.0, 200.0], "bac": [1000.0, 1000.0],
    ...     "scope_planned": [2.0, 4.0], "scope_delivered": [2.0, 4.0],
    ...     "issues_opened": [4, 6], "issues_closed": [2, 6]})
    >>> card = project_scorecard(project)
    >>> card[["period", "cpi", "spi", "eac", "quality_ratio", "open_issues"]].round(2)
        period  cpi  spi      eac  quality_ratio  open_issues
    0  2024-01  1.0  1.0  1000.00            0.5            2
    1  2024-02  0.9  0.9  1111.11            0.8            2
    >>> card[["budget", "schedule", "scope", "quality", "overall"]]
      budget schedule  scope quality overall
    0  green    green  green     red     red
    1  amber    amber  green     red     red
    """
    data = project.sort_values("period", kind="stable").reset_index(drop=True)
    card = pd.DataFrame({"period": data["period"].astype(object)})
    for column in ("pv", "ev", "ac", "bac"):
        card[column] = data[column].astype(float)
    card["cv"] = cost_variance(card["ev"], card["ac"])
    card["cpi"] = cost_performance_index(card["ev"], card["ac"])
    card["sv"] = schedule_variance(card["ev"], card["pv"])
    card["spi"] = schedule_performance_index(card["ev"], card["pv"])
    card["spending_rate"] = spending_rate(card["ev"], card["ac"])
    card["eac"] = estimate_at_completion(card["bac"], ev=card["ev"], ac=card["ac"], pv=card["pv"],
                                         method=eac_method)
    card["etc"] = estimate_to_complete(card["eac"], card["ac"])
    card["vac"] = variance_at_completion(card["bac"], card["eac"])
    card["tcpi"] = to_complete_performance_index(card["bac"], card["ev"], card["ac"])

    if {"scope_planned", "scope_delivered"} <= set(data.columns):
        card["scope_ratio"] = _index(data["scope_delivered"], data["scope_planned"])
    else:
        card["scope_ratio"] = np.nan

    opened = _issue_counts(data, "issues_opened")
    closed = _issue_counts(data, "issues_closed")
    has_issue_data = opened.notna() | closed.notna()
    card["issues_opened"] = opened
    card["issues_closed"] = closed
    opened_to_date = opened.fillna(0).cumsum()
    closed_to_date = closed.fillna(0).cumsum()
    card["quality_ratio"] = _index(closed_to_date.astype(float),
                                   opened_to_date.astype(float)).where(has_issue_data)
    card["open_issues"] = (opened_to_date - closed_to_date).where(has_issue_data)

    card["budget"] = rag_status(card["cpi"], green, amber)
    card["schedule"] = rag_status(card["spi"], green, amber)
    card["scope"] = rag_status(card["scope_ratio"], green, amber)
    card["quality"] = rag_status(card["quality_ratio"], green, amber)
    card["overall"] = pd.Series(
        [worst_status(*row) for row in card[list(AREAS)].itertuples(index=False)], dtype=object)
    return card[SCORECARD_COLUMNS]
