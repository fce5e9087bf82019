"""KPI weights from goal weights, pruning, and the KPI selection rules (SPEC 3.2).

A KPI attached to goal g with share q gets the raw weight ``w(g) * q / sum(q of g's KPIs)``.
KPIs under 0.1 are dropped (they may still serve as conditions that raise or lower a bonus)
and the rest are renormalised to sum to 1. In the "head-on" method (seed 001, method 2) there
is no map: the expert's shares are the weights.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import CalculationError, Problem, SchemeError
from .strategy_map import goal_weights

RAW_COLUMNS = ["kpi_id", "goal_id", "raw_weight"]
WEIGHT_COLUMNS = ["kpi_id", "goal_id", "raw_weight", "kept", "weight"]
METHODS = ("map", "head_on")

MIN_WEIGHT = 0.1
# A raw weight that is 0.1 up to float noise (e.g. 1/3 * 0.3) is kept, as the seed means it.
_TOLERANCE = 1e-12

KPI_COUNT = {"line": (2, 3)}  # level -> (fewest, most) KPIs; other levels use the default
KPI_COUNT_DEFAULT = (3, 5)


def _ids(values) -> pd.Series:
    """Ids as ``str`` objects with ``None`` for empty, as the schema keeps them."""
    series = pd.Series(values, dtype=object)
    return series.where(series.notna(), None)


def _shares(kpis: pd.DataFrame) -> pd.Series:
    if "share" not in kpis:
        return pd.Series(np.nan, index=kpis.index, dtype=float)
    return kpis["share"].astype(float)


def kpi_raw_weights(kpis: pd.DataFrame, goal_weights: pd.DataFrame) -> pd.DataFrame:
    """Raw weight of each KPI: its goal's weight split among the goal's KPIs by share.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The client ``kpis`` table (``kpi_id``, ``goal_id``, ``share``). An empty share
        counts as 1, so a goal's KPIs without shares split its weight equally.
    goal_weights : pandas.DataFrame
        ``goal_id`` and ``weight`` of every goal, as from
        :func:`kpi_toolkit.strategy_map.goal_weights`.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi_id, goal_id, raw_weight`` in the order of ``kpis``; a KPI without a
        goal has raw weight NaN.

    Raises
    ------
    CalculationError
        When a KPI names a goal that ``goal_weights`` does not have.

    Examples
    --------
    >>> kpis = pd.DataFrame({"kpi_id": ["k1", "k2", "k3", "k4"],
    ...                      "goal_id": ["g", "g", "h", None],
    ...                      "share": [3.0, 1.0, float("nan"), float("nan")]})
    >>> weights = pd.DataFrame({"goal_id": ["g", "h"], "weight": [0.8, 0.2]})
    >>> kpi_raw_weights(kpis, weights)
      kpi_id goal_id  raw_weight
    0     k1       g         0.6
    1     k2       g         0.2
    2     k3       h         0.2
    3     k4    None         NaN
    """
    goal_weight = dict(zip(goal_weights["goal_id"], goal_weights["weight"]))
    unknown = sorted({g for g in kpis["goal_id"].dropna() if g not in goal_weight})
    if unknown:
        raise CalculationError(f"KPIs name goals without a weight: {unknown}")
    q = _shares(kpis).fillna(1.0)
    total = q.groupby(kpis["goal_id"]).transform("sum")
    raw = kpis["goal_id"].map(goal_weight).astype(float) * q / total
    return pd.DataFrame({"kpi_id": _ids(kpis["kpi_id"].to_numpy()),
                         "goal_id": _ids(kpis["goal_id"].to_numpy()),
                         "raw_weight": raw.where(kpis["goal_id"].notna()).to_numpy()})


def renormalise_weights(weights) -> list[float]:
    """Scale weights to sum to exactly 1, the last one absorbing the rounding residue.

    Parameters
    ----------
    weights : sequence of float
        Positive weights.

    Returns
    -------
    list of float
        Weights in the same order whose :func:`math.fsum` is 1.

    Examples
    --------
    >>> renormalise_weights([1, 1, 1])
    [0.3333333333333333, 0.3333333333333333, 0.33333333333333337]
    >>> math.fsum(_)
    1.0
    """
    weights = [float(w) for w in weights]
    if not weights:
        return []
    total = math.fsum(weights)
    scaled = [w / total for w in weights[:-1]]
    return scaled + [1.0 - math.fsum(scaled)]


def prune_kpi_weights(raw: pd.DataFrame, min_weight: float = MIN_WEIGHT) -> pd.DataFrame:
    """Drop KPIs whose raw weight is under ``min_weight`` and renormalise the rest to 1.

    Parameters
    ----------
    raw : pandas.DataFrame
        Columns ``kpi_id, goal_id, raw_weight`` (as from :func:`kpi_raw_weights`).
    min_weight : float, default 0.1
        The smallest raw weight kept (seed 001). A weight equal to it up to float noise
        (1e-12) is kept; a NaN raw weight (no goal) is dropped.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi_id, goal_id, raw_weight, kept, weight`` in the order of ``raw``.
        Dropped KPIs have ``kept`` False and weight 0; the kept weights sum to 1 (when any
        is kept).

    Examples
    --------
    >>> raw = pd.DataFrame({"kpi_id": ["a", "b", "c"], "goal_id": ["g", "g", "h"],
    ...                     "raw_weight": [0.45, 0.45, 0.05]})
    >>> prune_kpi_weights(raw)
      kpi_id goal_id  raw_weight   kept  weight
    0      a       g        0.45   True     0.5
    1      b       g        0.45   True     0.5
    2      c       h        0.05  False     0.0
    """
    result = raw[RAW_COLUMNS].reset_index(drop=True).copy()
    weight = result["raw_weight"].astype(float)
    result["kept"] = (weight >= min_weight - _TOLERANCE).fillna(False).astype(bool)
    result["weight"] = 0.0
    kept = result.index[result["kept"]]
    result.loc[kept, "weight"] = renormalise_weights(weight.loc[kept])
    return result[WEIGHT_COLUMNS]


def head_on_kpi_weights(kpis: pd.DataFrame, min_weight: float = MIN_WEIGHT) -> pd.DataFrame:
    """KPI weights given directly by the expert (the "head-on" method, seed 001 method 2).

    The ``share`` column holds the expert's weights, normalised to sum to 1. KPIs without a
    share split what the others leave of 1 equally (all of it when no KPI has a share;
    nothing when the given shares reach 1). The weights are then pruned like the map's.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The client ``kpis`` table (``kpi_id``, ``share``, optionally ``goal_id``).
    min_weight : float, default 0.1
        See :func:`prune_kpi_weights`.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi_id, goal_id, raw_weight, kept, weight``.

    Examples
    --------
    >>> kpis = pd.DataFrame({"kpi_id": ["cash", "profit", "repeat", "on_time"],
    ...                      "share": [4.0, 3.0, 2.0, 1.0]})
    >>> head_on_kpi_weights(kpis)
        kpi_id goal_id  raw_weight  kept  weight
    0     cash    None         0.4  True     0.4
    1   profit    None         0.3  True     0.3
    2   repeat    None         0.2  True     0.2
    3  on_time    None         0.1  True     0.1
    """
    share = _shares(kpis).reset_index(drop=True)
    unset = share.isna()
    if unset.all():
        share = pd.Series(1.0, index=share.index)
    elif unset.any():
        rest = max(0.0, 1.0 - math.fsum(share[~unset]))
        share = share.fillna(rest / int(unset.sum()))
    total = math.fsum(share)
    goal_id = kpis["goal_id"].to_numpy() if "goal_id" in kpis else [None] * len(kpis)
    raw = pd.DataFrame({"kpi_id": _ids(kpis["kpi_id"].to_numpy()),
                        "goal_id": _ids(goal_id),
                        "raw_weight": share / total if total > 0 else np.nan})
    return prune_kpi_weights(raw, min_weight)


def kpi_weights(kpis: pd.DataFrame, goals: pd.DataFrame | None = None, method: str = "map",
                min_weight: float = MIN_WEIGHT) -> pd.DataFrame:
    """KPI weights by the chosen method: from the strategy map, or head-on.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The client ``kpis`` table.
    goals : pandas.DataFrame or None
        The client ``goals`` table (needed for ``method="map"``).
    method : {"map", "head_on"}
        ``client.yaml`` ``strategy_method``.
    min_weight : float, default 0.1
        See :func:`prune_kpi_weights`.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi_id, goal_id, raw_weight, kept, weight`` (``kpi_weights.csv``).

    Raises
    ------
    SchemeError
        For an unknown method, or the map method without goals.

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["g"], "name": ["Grow"], "perspective": ["finance"],
    ...                       "parent_id": [None]})
    >>> kpis = pd.DataFrame({"kpi_id": ["k1", "k2"], "goal_id": ["g", "g"],
    ...                      "share": [float("nan"), float("nan")]})
    >>> kpi_weights(kpis, goals)["weight"].tolist()
    [0.5, 0.5]
    """
    if method == "map" and goals is not None:
        return prune_kpi_weights(kpi_raw_weights(kpis, goal_weights(goals)), min_weight)
    if method == "head_on":
        return head_on_kpi_weights(kpis, min_weight)
    found = f"'{method}' without a goals table" if method == "map" else f"'{method}'"
    raise SchemeError([
        Problem(table="client.yaml", column="strategy_method",
                message=f"strategy method is {found}; expected one of {', '.join(METHODS)}",
                fix="set strategy_method to 'map' (with a goals table) or 'head_on'")
    ])


# --- selection rules -------------------------------------------------------------------


def _records(table: pd.DataFrame) -> list[dict]:
    # itertuples would rename "_row", so records are dicts.
    return table.to_dict("records")


def _row(record: dict) -> int | None:
    value = record.get("_row")
    return None if value is None or pd.isna(value) else int(value)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def kpi_count_problems(positions: pd.DataFrame, position_kpis: pd.DataFrame,
                       source: str = "positions.csv") -> list[Problem]:
    """Warn about positions with too few or too many KPIs (rule ``kpi-count``).

    A position should have 3 to 5 KPIs (seed 001); a line employee (``level`` "line") 2 to 3
    main ones (seed 002).

    Examples
    --------
    >>> positions = pd.DataFrame({"position_id": ["rep"], "level": ["line"], "_row": [2]})
    >>> links = pd.DataFrame({"position_id": ["rep"] * 4, "kpi_id": list("abcd")})
    >>> problem = kpi_count_problems(positions, links)[0]
    >>> problem.location, problem.rule
    ("positions.csv, row 2, column 'position_id'", 'kpi-count')
    >>> problem.message
    "position 'rep' has 4 KPIs; a line position should have 2 to 3 main KPIs"
    """
    counts = position_kpis.groupby("position_id").size()
    problems = []
    for record in _records(positions):
        level = record.get("level")
        fewest, most = KPI_COUNT.get(level, KPI_COUNT_DEFAULT)
        count = int(counts.get(record["position_id"], 0))
        if fewest <= count <= most:
            continue
        kind = f"a {level} position" if level in KPI_COUNT else "a position"
        main = " main" if level in KPI_COUNT else ""
        fix = (f"keep the {fewest} to {most} most important KPIs; the others can become "
               "bonus conditions" if count > most else
               f"add KPIs until the position has {fewest} to {most}")
        problems.append(Problem(
            table=source, row=_row(record), column="position_id", severity="warning",
            rule="kpi-count", fix=fix,
            message=f"position '{record['position_id']}' has {count} KPIs; "
                    f"{kind} should have {fewest} to {most}{main} KPIs"))
    return problems


def weight_min_problems(position_kpis: pd.DataFrame, min_weight: float = MIN_WEIGHT,
                        source: str = "position_kpis.csv") -> list[Problem]:
    """Warn about KPI weights under ``min_weight`` (rule ``weight-min``).

    Examples
    --------
    >>> links = pd.DataFrame({"position_id": ["rep", "rep"], "kpi_id": ["a", "b"],
    ...                       "weight": [0.95, 0.05], "_row": [2, 3]})
    >>> [(p.row, p.column, p.rule) for p in weight_min_problems(links)]
    [(3, 'weight', 'weight-min')]
    """
    problems = []
    for record in _records(position_kpis):
        if record["weight"] < min_weight - _TOLERANCE:
            problems.append(Problem(
                table=source, row=_row(record), column="weight", severity="warning",
                rule="weight-min",
                message=f"KPI '{record['kpi_id']}' of position '{record['position_id']}' weighs "
                        f"{record['weight']:g}; a weight should be at least {min_weight:g}",
                fix="drop the KPI and share its weight among the others, or use it as a "
                    "condition that raises or lowers the bonus"))
    return problems


def _used_kpis(position_kpis: pd.DataFrame, kpis: pd.DataFrame):
    used = position_kpis.groupby("kpi_id", sort=False)["position_id"].agg(list)
    for record in _records(kpis):
        if record["kpi_id"] in used.index:
            yield record, used[record["kpi_id"]]


def _positions_text(positions: list[str]) -> str:
    return ", ".join(f"'{p}'" for p in dict.fromkeys(positions))


def data_source_problems(position_kpis: pd.DataFrame, kpis: pd.DataFrame,
                         source: str = "kpis.csv") -> list[Problem]:
    """Warn about KPIs in use that name no data source (rule ``data-source``).

    Examples
    --------
    >>> kpis = pd.DataFrame({"kpi_id": ["a", "b"], "data_source": ["CRM", None], "_row": [2, 3]})
    >>> links = pd.DataFrame({"position_id": ["rep", "rep"], "kpi_id": ["a", "b"]})
    >>> [(p.row, p.column, p.rule) for p in data_source_problems(links, kpis)]
    [(3, 'data_source', 'data-source')]
    """
    if "data_source" not in kpis:
        kpis = kpis.assign(data_source=None)
    return [
        Problem(table=source, row=_row(record), column="data_source", severity="warning",
                rule="data-source",
                message=f"KPI '{record['kpi_id']}' (used by position {_positions_text(users)}) "
                        "names no data source",
                fix="name the system or document the fact is taken from; a KPI that cannot "
                    "be measured cannot be paid on")
        for record, users in _used_kpis(position_kpis, kpis)
        if _is_blank(record["data_source"])
    ]


def measurement_cost_problems(position_kpis: pd.DataFrame, kpis: pd.DataFrame,
                              source: str = "kpis.csv") -> list[Problem]:
    """Warn about KPIs in use that cost more to measure than they are worth
    (rule ``measurement-cost``).

    Examples
    --------
    >>> kpis = pd.DataFrame({"kpi_id": ["a"], "measurement_cost": [500.0],
    ...                      "measurement_worth": [200.0], "_row": [2]})
    >>> links = pd.DataFrame({"position_id": ["rep"], "kpi_id": ["a"]})
    >>> [(p.row, p.column, p.rule) for p in measurement_cost_problems(links, kpis)]
    [(2, 'measurement_cost', 'measurement-cost')]
    """
    if "measurement_cost" not in kpis or "measurement_worth" not in kpis:
        return []
    return [
        Problem(table=source, row=_row(record), column="measurement_cost", severity="warning",
                rule="measurement-cost",
                message=f"measuring KPI '{record['kpi_id']}' costs {record['measurement_cost']:g} "
                        f"per period, more than it is worth ({record['measurement_worth']:g})",
                fix="measure it more cheaply (from an existing system) or replace it")
        for record, _ in _used_kpis(position_kpis, kpis)
        if record["measurement_cost"] > record["measurement_worth"]
    ]


def check_selection_rules(positions: pd.DataFrame, position_kpis: pd.DataFrame,
                          kpis: pd.DataFrame, sources: Mapping[str, str] | None = None
                          ) -> list[Problem]:
    """Check the KPI selection rules of SPEC 3.2 and return warnings.

    Rules (each warning carries its ``rule`` code): ``kpi-count`` — 3 to 5 KPIs per position,
    2 to 3 for a line position; ``weight-min`` — no weight under 0.1; ``data-source`` — every
    KPI in use names a data source; ``measurement-cost`` — measuring a KPI in use does not
    cost more than it is worth. Weights that do not sum to 1 are an error found by
    validation, not checked here.

    Parameters
    ----------
    positions, position_kpis, kpis : pandas.DataFrame
        The client tables (with their ``_row`` columns, when loaded).
    sources : mapping, optional
        Table name -> how the user knows it (``"position_kpis.csv"`` or
        ``"client.xlsx [position_kpis]"``); default ``"<table>.csv"``.

    Returns
    -------
    list of Problem
        Warnings (``severity="warning"``), positions first, then weights, then KPIs.

    Examples
    --------
    >>> positions = pd.DataFrame({"position_id": ["head"], "level": ["head"], "_row": [2]})
    >>> links = pd.DataFrame({"position_id": ["head"] * 3, "kpi_id": ["a", "b", "c"],
    ...                       "weight": [0.5, 0.45, 0.05], "_row": [2, 3, 4]})
    >>> kpis = pd.DataFrame({"kpi_id": ["a", "b", "c"], "data_source": ["CRM", "CRM", "CRM"],
    ...                      "_row": [2, 3, 4]})
    >>> for problem in check_selection_rules(positions, links, kpis):
    ...     print(problem.location, problem.rule)
    position_kpis.csv, row 4, column 'weight' weight-min
    """
    def name(table: str) -> str:
        return (sources or {}).get(table, f"{table}.csv")

    return [
        *kpi_count_problems(positions, position_kpis, name("positions")),
        *weight_min_problems(position_kpis, MIN_WEIGHT, name("position_kpis")),
        *data_source_problems(position_kpis, kpis, name("kpis")),
        *measurement_cost_problems(position_kpis, kpis, name("kpis")),
    ]
