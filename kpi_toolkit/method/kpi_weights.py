"""KPI weights of each position, and the KPI selection rules (SPEC 3.2).

Weights are always per position. A ``map`` position (seed 001, method 1) takes them from the
goals it owns: a KPI attached to goal g with share q gets the raw weight
``w(g) * q / sum(q of g's KPIs)``; the raw weights are normalised over the position's
candidates, KPIs under 0.1 are dropped (they may still serve as conditions that raise or lower
a bonus) and the rest are renormalised to sum to 1. A ``head_on`` position (method 2) keeps
the weights the expert gives in ``position_kpis``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pandas as pd

from kpi_toolkit.errors import CalculationError, Problem
from kpi_toolkit.method.exact import to_decimal
from kpi_toolkit.method.strategy_map import goal_weights_exact

RAW_COLUMNS = ["kpi_id", "goal_id", "raw_weight"]
WEIGHT_COLUMNS = ["kpi_id", "goal_id", "raw_weight", "kept", "weight"]
KPI_WEIGHT_COLUMNS = ["position_id", "method", "kpi_id", "goal_id", "raw_weight", "normalised", "kept",
                      "weight"]  # kpi_weights.csv (SPEC 5)
METHODS = ("map", "head_on")

MIN_WEIGHT = 0.1
_MIN_WEIGHT_EXACT = Fraction(1, 10)
# A raw weight that is 0.1 up to float noise (e.g. 1/3 * 0.3) is kept, as the seed means it.
_TOLERANCE = 1e-12

KPI_COUNT = {"line": (2, 3), "staff": (2, 3)}  # level -> (fewest, most) KPIs; other levels use the default
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
        :func:`kpi_toolkit.method.strategy_map.goal_weights`.

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


def map_owner(positions: pd.DataFrame, strategy_owner: str | None = None) -> str | None:
    """The position that owns the strategy map (SPEC 3.1).

    ``strategy_owner`` from ``client.yaml`` when given, else the first position whose
    ``level`` is ``ceo``, else ``None``.

    Examples
    --------
    >>> positions = pd.DataFrame({"position_id": ["cfo", "ceo"], "level": ["head", "ceo"]})
    >>> map_owner(positions), map_owner(positions, "cfo")
    ('ceo', 'cfo')
    """
    if strategy_owner:
        return strategy_owner
    if "level" not in positions:
        return None
    ceo = positions.loc[positions["level"] == "ceo", "position_id"]
    return None if ceo.empty else ceo.iloc[0]


def goal_owners(goals: pd.DataFrame, owner: str | None = None) -> dict[str, str | None]:
    """Goal id -> the position accountable for it: its ``owner``, else the map's ``owner``.

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["cap", "share", "share"],
    ...                       "owner": [None, "sales", None]})
    >>> goal_owners(goals, "ceo")
    {'cap': 'ceo', 'share': 'sales'}
    """
    owners: dict[str, str | None] = {}
    named = goals["owner"] if "owner" in goals else [None] * len(goals)
    for goal_id, who in zip(goals["goal_id"], named):
        if not _is_blank(who):
            owners[goal_id] = owners.get(goal_id) or who
        else:
            owners.setdefault(goal_id, None)
    return {g: (who or owner) for g, who in owners.items()}


def position_methods(positions: pd.DataFrame, goals: pd.DataFrame,
                     strategy_owner: str | None = None) -> dict[str, str]:
    """Position id -> how its weights are set: its ``method``, else ``map`` for a position that
    owns goals and ``head_on`` otherwise (SPEC 3.2).

    Examples
    --------
    >>> positions = pd.DataFrame({"position_id": ["ceo", "sales", "rep"],
    ...                           "level": ["ceo", "head", "line"],
    ...                           "method": [None, "head_on", None]})
    >>> goals = pd.DataFrame({"goal_id": ["cap", "share"], "owner": [None, "sales"]})
    >>> position_methods(positions, goals)
    {'ceo': 'map', 'sales': 'head_on', 'rep': 'head_on'}
    """
    owning = {o for o in goal_owners(goals, map_owner(positions, strategy_owner)).values() if o}
    given = positions["method"] if "method" in positions else [None] * len(positions)
    return {p: (m if not _is_blank(m) else ("map" if p in owning else "head_on"))
            for p, m in zip(positions["position_id"], given)}


def _exact(value) -> Fraction:
    return Fraction(to_decimal(value))


def _map_rows(position: str, owned: list[str], goal_weight: dict[str, Fraction],
              kpis: pd.DataFrame) -> list[dict]:
    """The candidates of one ``map`` position with their arithmetic, in exact fractions."""
    goal = kpis["goal_id"]
    shares = _shares(kpis)
    candidates = []
    for g in owned:
        mine = kpis.index[goal == g]
        q = {i: (Fraction(1) if math.isnan(shares[i]) else _exact(shares[i])) for i in mine}
        total = sum(q.values(), Fraction(0))
        candidates += [(kpis.at[i, "kpi_id"], g, goal_weight.get(g, Fraction(0)) * q[i] / total)
                       for i in mine]
    raw_sum = sum((raw for _, _, raw in candidates), Fraction(0))
    rows = []
    for kpi_id, g, raw in candidates:
        normalised = raw / raw_sum if raw_sum else Fraction(0)
        rows.append({"position_id": position, "method": "map", "kpi_id": kpi_id, "goal_id": g,
                     "raw_weight": raw, "normalised": normalised,
                     "kept": bool(raw_sum) and normalised >= _MIN_WEIGHT_EXACT})
    kept_sum = sum((r["normalised"] for r in rows if r["kept"]), Fraction(0))
    for r in rows:
        r["exact"] = r["normalised"] / kept_sum if r["kept"] else Fraction(0)
    return rows


def position_kpi_weights(positions: pd.DataFrame, position_kpis: pd.DataFrame, kpis: pd.DataFrame,
                         goals: pd.DataFrame, strategy_owner: str | None = None) -> pd.DataFrame:
    """Every position's KPI weights by its method (SPEC 3.2): ``kpi_weights.csv``.

    A ``map`` position's candidates are the KPIs of the goals it owns (the map's owner also owns
    every goal without an owner). Candidate k of goal g with share q has the raw weight
    ``w(g) * q / sum(q of g's KPIs)``; raw weights are normalised over the position's
    candidates, those under 0.1 dropped and the rest renormalised. A ``head_on`` position keeps
    the expert weights of its ``position_kpis`` rows. The arithmetic is exact (fractions of the
    decimals written), so a weight of 2/3 is 2/3 where money depends on it.

    Parameters
    ----------
    positions, position_kpis, kpis, goals : pandas.DataFrame
        The client tables (``positions.method`` and ``goals.owner`` are optional).
    strategy_owner : str, optional
        ``client.yaml`` ``strategy_owner`` (default: the ``ceo``-level position).

    Returns
    -------
    pandas.DataFrame
        Columns ``position_id, method, kpi_id, goal_id, raw_weight, normalised, kept, weight``
        (floats; ``raw_weight`` and ``normalised`` NaN for ``head_on``; a dropped candidate has
        ``kept`` False and weight 0) and ``exact`` (the weight as a
        :class:`fractions.Fraction`), positions in table order.

    Examples
    --------
    Seed 001, method 1: the CEO owns the whole map.

    >>> goals = pd.DataFrame({"goal_id": ["cap", "share", "resources", "p1", "p2", "p3"],
    ...                       "parent_id": [None, "cap", "cap", "share", "share", "share"]})
    >>> kpis = pd.DataFrame({"kpi_id": ["cap", "share", "nps", "k1", "k2", "k3"],
    ...                      "goal_id": ["cap", "share", "share", "p1", "p2", "p3"]})
    >>> positions = pd.DataFrame({"position_id": ["ceo"], "level": ["ceo"]})
    >>> links = pd.DataFrame({"position_id": ["ceo"] * 3, "kpi_id": ["cap", "share", "nps"],
    ...                       "weight": [float("nan")] * 3})
    >>> table = position_kpi_weights(positions, links, kpis, goals)
    >>> table[table["kept"]]["exact"].map(str).tolist()
    ['2/3', '1/6', '1/6']
    >>> table["normalised"].round(4).tolist()
    [0.5, 0.125, 0.125, 0.0833, 0.0833, 0.0833]
    """
    owner = map_owner(positions, strategy_owner)
    owners = goal_owners(goals, owner)
    methods = position_methods(positions, goals, strategy_owner)
    goal_weight = goal_weights_exact(goals) if len(goals) else {}
    kpis = kpis.reset_index(drop=True)
    rows: list[dict] = []
    for position, method in methods.items():
        if method == "map":
            owned = [g for g, who in owners.items() if who == position]
            rows += _map_rows(position, owned, goal_weight, kpis)
            continue
        goal_of = dict(zip(kpis["kpi_id"], kpis["goal_id"])) if "goal_id" in kpis else {}
        mine = position_kpis[position_kpis["position_id"] == position]
        for kpi_id, weight in zip(mine["kpi_id"], mine["weight"]):
            exact = Fraction(0) if _is_blank(weight) else _exact(weight)
            rows.append({"position_id": position, "method": "head_on", "kpi_id": kpi_id,
                         "goal_id": goal_of.get(kpi_id), "raw_weight": None, "normalised": None,
                         "kept": True, "exact": exact})
    frame = pd.DataFrame(rows, columns=[*KPI_WEIGHT_COLUMNS[:-1], "exact"])
    for column in ("raw_weight", "normalised"):
        frame[column] = [np.nan if v is None else float(v) for v in frame[column]]
    frame["goal_id"] = _ids(frame["goal_id"].to_numpy())
    frame["kept"] = frame["kept"].astype(bool)
    frame["weight"] = [float(v) for v in frame["exact"]]
    return frame[[*KPI_WEIGHT_COLUMNS, "exact"]]


def paid_position_kpis(position_kpis: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """The ``position_kpis`` rows that are paid on, with the weights of ``map`` positions filled in.

    A row of a ``map`` position takes its kept weight; a row of a dropped candidate is left
    out (it is not paid on). Rows of ``head_on`` positions are kept as they are.

    Examples
    --------
    >>> links = pd.DataFrame({"position_id": ["ceo", "ceo", "rep"], "kpi_id": ["a", "b", "c"],
    ...                       "weight": [float("nan"), float("nan"), 1.0]})
    >>> weights = pd.DataFrame({"position_id": ["ceo", "ceo", "rep"], "method": ["map", "map", "head_on"],
    ...                         "kpi_id": ["a", "b", "c"], "kept": [True, False, True],
    ...                         "weight": [1.0, 0.0, 1.0]})
    >>> paid_position_kpis(links, weights)
      position_id kpi_id  weight
    0         ceo      a     1.0
    2         rep      c     1.0
    """
    on_map = weights[weights["method"] == "map"]
    if on_map.empty:
        return position_kpis
    key = list(zip(position_kpis["position_id"], position_kpis["kpi_id"]))
    mapped = {(p, k): (w if kept else None)
              for p, k, w, kept in zip(on_map["position_id"], on_map["kpi_id"], on_map["weight"], on_map["kept"])}
    map_positions = set(on_map["position_id"])
    keep = [p not in map_positions or mapped.get((p, k)) is not None for p, k in key]
    out = position_kpis[keep].copy()
    filled = [mapped.get((p, k)) for p, k in zip(out["position_id"], out["kpi_id"])]
    out["weight"] = [w if w is not None else old for w, old in zip(filled, out["weight"])]
    out["weight"] = out["weight"].astype(float)
    return out


def exact_weight_lookup(weights: pd.DataFrame) -> dict[tuple[str, str], Fraction]:
    """(position, KPI) -> the exact weight, from :func:`position_kpi_weights`.

    Examples
    --------
    >>> table = pd.DataFrame({"position_id": ["ceo"], "kpi_id": ["cap"], "exact": [Fraction(2, 3)]})
    >>> exact_weight_lookup(table)
    {('ceo', 'cap'): Fraction(2, 3)}
    """
    return dict(zip(zip(weights["position_id"], weights["kpi_id"]), weights["exact"]))


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
