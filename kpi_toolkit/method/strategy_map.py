"""Goal weights on the strategy map (SPEC 3.1).

Goals form a directed acyclic graph: a row of the ``goals`` table with ``parent_id`` set says
that the goal supports its parent, with a link ``strength`` (empty = 1). Root goals share
weight 1 and weight flows down each parent's links in proportion to their strengths::

    w(child) = sum over parents p of  w(p) * s(p, child) / sum over children c of p of s(p, c)
"""
from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd

from kpi_toolkit.errors import Problem, SchemeError
from kpi_toolkit.method.exact import to_decimal
from kpi_toolkit.method.graph import find_cycle, topological_order
from kpi_toolkit.method.schema import PERSPECTIVES

GOAL_WEIGHT_COLUMNS = ["goal_id", "name", "perspective", "weight"]
GOAL_LINK_COLUMNS = ["parent_id", "goal_id", "strength", "flow_share"]

# Weights equal up to float noise sort as equal, so the order does not depend on rounding.
_SORT_DECIMALS = 12


def _is_set(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _as_objects(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Id and text columns as ``str`` objects with ``None`` for empty, as the schema keeps them."""
    for column in columns:
        values = frame[column].astype(object)
        frame[column] = values.where(values.notna(), None)
    return frame


def _links(goals: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``goals`` that link a goal to a parent, strength defaulted to 1."""
    links = goals.loc[goals["parent_id"].map(_is_set), ["parent_id", "goal_id"]].copy()
    strength = goals["strength"] if "strength" in goals else pd.Series(float("nan"), goals.index)
    links["strength"] = strength.loc[links.index].astype(float).fillna(1.0)
    return links.reset_index(drop=True)


def _cycle_error(cycle: list[str]) -> SchemeError:
    walk = " -> ".join(f"'{g}'" for g in cycle)
    return SchemeError([
        Problem(
            table="goals",
            column="parent_id",
            message=f"goals support each other in a cycle: {walk}",
            fix="remove or reverse one of these links so that the goals form a tree "
                "from the root goals down",
        )
    ])


def root_weights(goals: pd.DataFrame) -> dict[str, float]:
    """Weights of the root goals (goals without a parent), which sum to 1.

    A root's ``root_weight`` is used where given; roots without one share what is left of 1
    equally (all of it when no root has a weight).

    Parameters
    ----------
    goals : pandas.DataFrame
        The client ``goals`` table.

    Returns
    -------
    dict
        Root goal id -> weight, in the order the roots first appear.

    Raises
    ------
    SchemeError
        When the given root weights exceed 1, or all roots have weights that do not sum to 1.

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["a", "b", "c"], "parent_id": [None, None, None],
    ...                       "root_weight": [0.5, float("nan"), float("nan")]})
    >>> root_weights(goals)
    {'a': 0.5, 'b': 0.25, 'c': 0.25}
    """
    has_parent = set(goals.loc[goals["parent_id"].map(_is_set), "goal_id"])
    given: dict[str, float | None] = {}
    weights = goals["root_weight"] if "root_weight" in goals else [None] * len(goals)
    for goal_id, weight in zip(goals["goal_id"], weights):
        if goal_id in has_parent:
            continue
        if _is_set(weight):
            given[goal_id] = float(weight)
        else:
            given.setdefault(goal_id, None)
    if not given:
        return {}
    stated = math.fsum(w for w in given.values() if w is not None)
    unset = [g for g, w in given.items() if w is None]
    if stated > 1 + 1e-9 or (not unset and abs(stated - 1) > 1e-6):
        raise SchemeError([
            Problem(
                table="goals",
                column="root_weight",
                message=f"root goal weights sum to {stated:g}; they must sum to 1",
                fix="correct the root_weight values, or leave some empty to share the rest",
            )
        ])
    rest = max(0.0, 1.0 - stated) / len(unset) if unset else 0.0
    return {g: (rest if w is None else w) for g, w in given.items()}


def goal_weights(goals: pd.DataFrame) -> pd.DataFrame:
    """Weight of every goal on the strategy map, flowing down from the root goals.

    Parameters
    ----------
    goals : pandas.DataFrame
        The client ``goals`` table: one row per link (``goal_id`` supports ``parent_id``),
        ``parent_id`` empty for a root; ``strength`` empty means 1; ``root_weight`` as in
        :func:`root_weights`.

    Returns
    -------
    pandas.DataFrame
        Columns ``goal_id, name, perspective, weight``, one row per goal, ordered by
        perspective (finance, customers, processes, learning), then by descending weight,
        then by goal id.

    Raises
    ------
    SchemeError
        When the links form a cycle (the problem names the goals in it).

    Examples
    --------
    The map of seed 001: capitalisation is supported equally by a customer goal and a
    process goal; three process goals support the customer goal.

    >>> goals = pd.DataFrame({
    ...     "goal_id": ["cap", "share", "resources", "p1", "p2", "p3"],
    ...     "name": ["Raise capitalisation", "70 % market share", "Resources for growth",
    ...              "Process 1", "Process 2", "Process 3"],
    ...     "perspective": ["finance", "customers", "processes",
    ...                     "processes", "processes", "processes"],
    ...     "parent_id": [None, "cap", "cap", "share", "share", "share"],
    ... })
    >>> goal_weights(goals).round(4)
         goal_id                  name perspective  weight
    0        cap  Raise capitalisation     finance  1.0000
    1      share     70 % market share   customers  0.5000
    2  resources  Resources for growth   processes  0.5000
    3         p1             Process 1   processes  0.1667
    4         p2             Process 2   processes  0.1667
    5         p3             Process 3   processes  0.1667
    """
    weight = {g: float(w) for g, w in goal_weights_exact(goals).items()}  # one cascade, exact
    nodes = list(weight)
    first = goals.drop_duplicates("goal_id").set_index("goal_id")
    result = pd.DataFrame({
        "goal_id": nodes,
        "name": [first.at[g, "name"] if "name" in first else None for g in nodes],
        "perspective": [first.at[g, "perspective"] if "perspective" in first else None
                        for g in nodes],
        "weight": [weight[g] for g in nodes],
    })
    rank = {p: i for i, p in enumerate(PERSPECTIVES)}
    result["_rank"] = result["perspective"].map(lambda p: rank.get(p, len(rank)))
    result["_key"] = -result["weight"].round(_SORT_DECIMALS)
    result = result.sort_values(["_rank", "_key", "goal_id"], kind="stable")
    result = result[GOAL_WEIGHT_COLUMNS].reset_index(drop=True)
    return _as_objects(result, ["goal_id", "name", "perspective"])


def goal_weights_exact(goals: pd.DataFrame) -> dict[str, Fraction]:
    """Weight of every goal as an exact fraction, from the decimals the client wrote.

    The cascade in rational arithmetic, so that KPI weights derived from the map (2/3, 1/6)
    are known exactly where money depends on them; :func:`goal_weights` shows them as floats.

    Parameters
    ----------
    goals : pandas.DataFrame
        The client ``goals`` table.

    Returns
    -------
    dict
        Goal id -> weight (:class:`fractions.Fraction`), in table order.

    Raises
    ------
    SchemeError
        When the links form a cycle, or the root weights exceed 1.

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["cap", "share", "p1", "p2", "p3"],
    ...                       "parent_id": [None, "cap", "share", "share", "share"]})
    >>> goal_weights_exact(goals)["p1"]
    Fraction(1, 3)
    """
    links = _links(goals)
    edges = list(zip(links["parent_id"], links["goal_id"]))
    nodes = list(dict.fromkeys(goals["goal_id"]))
    try:
        order = topological_order(edges, nodes)
    except ValueError:
        raise _cycle_error(find_cycle(edges)) from None
    roots = root_weights(goals)  # checks the sum; the exact values are taken from the cells below
    given = {}
    if "root_weight" in goals:
        for goal_id, value in zip(goals["goal_id"], goals["root_weight"]):
            if goal_id in roots and _is_set(value):
                given.setdefault(goal_id, Fraction(to_decimal(value)))
    unset = [g for g in roots if g not in given]
    rest = max(Fraction(0), 1 - sum(given.values(), Fraction(0)))
    weight = {g: Fraction(0) for g in order}
    weight.update(given)
    weight.update({g: rest / len(unset) for g in unset})
    children = {g: [] for g in order}
    for parent, child, strength in links.itertuples(index=False):
        children[parent].append((child, Fraction(to_decimal(strength))))
    for parent in order:
        total = sum((s for _, s in children[parent]), Fraction(0))
        for child, strength in children[parent]:
            weight[child] += weight[parent] * strength / total
    return {g: weight[g] for g in nodes}


def goal_links(goals: pd.DataFrame) -> pd.DataFrame:
    """The links of the strategy map with the share of the parent's weight each carries.

    Parameters
    ----------
    goals : pandas.DataFrame
        The client ``goals`` table.

    Returns
    -------
    pandas.DataFrame
        Columns ``parent_id, goal_id, strength, flow_share``, one row per link in table
        order; ``strength`` defaults to 1 and ``flow_share`` is the link's strength over the
        sum of the strengths of the parent's links, so each parent's shares sum to 1.

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["root", "a", "b"], "parent_id": [None, "root", "root"],
    ...                       "strength": [float("nan"), 3.0, 1.0]})
    >>> goal_links(goals)
      parent_id goal_id  strength  flow_share
    0      root       a       3.0        0.75
    1      root       b       1.0        0.25
    """
    links = _links(goals)
    totals = links.groupby("parent_id")["strength"].transform("sum")
    links["flow_share"] = links["strength"] / totals
    return _as_objects(links[GOAL_LINK_COLUMNS].copy(), ["parent_id", "goal_id"])
