"""Plans and facts that are combined before attainment (SPEC §3.4): the months of a bonus
period longer than a month, and team KPIs.

- **Bonus periods** (``bonus_period_months`` > 1): the period named is the bonus period's
  *last* month; plan and fact of each employee and KPI over the period's months are combined
  by the KPI's ``period_aggregation`` (``sum``, the default; ``mean``; ``last``).
- **Team KPIs** (``kpis.aggregate``): an employee's plan and fact of such a KPI are the sum or
  mean of the plans and facts of the team members' KPI ``aggregate_of`` (default: the KPI
  itself); the team is the employees whose positions report to the employee's position in the
  same department (``aggregate_over: reports``) or the other employees of the department
  (``department``) — always the employee's own department.

Sums are taken on exact integers (millionths, :func:`kpi_toolkit.method.exact.scaled_integers`)
wherever the values are short decimals, so that a team sum of 0.1 and 0.2 is 0.3 and a fact
exactly at a threshold still reaches it. Everything works on whole columns (sorting and
segment sums), never row by row.

Examples
--------
>>> bonus_months("2027-01", 3)
['2026-11', '2026-12', '2027-01']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_toolkit.errors import CalculationError
from kpi_toolkit.method.exact import SCALE, scaled_integers
from kpi_toolkit.method.graph import topological_order

AGGREGATION_CODES = {"sum": 0, "mean": 1, "last": 2}
_MISSING = {"error": 0, "zero": 1, "exclude": 2}
COLUMNS = ["period", "employee_id", "kpi_id", "plan", "fact"]
_EXACT_LIMIT = 2.0**52  # scaled sums below this are exact in int64 and as floats
#: A team of more members than this is counted, not listed, on its lines (a department's mean).
MEMBERS_LISTED = 50


def month_number(period) -> np.ndarray:
    """``YYYY-MM`` labels as consecutive month numbers (``year * 12 + month - 1``).

    Examples
    --------
    >>> month_number(["2026-12", "2027-01"]).tolist()
    [24323, 24324]
    """
    labels = pd.Index(period).astype(str)
    return (labels.str[:4].astype(int) * 12 + labels.str[5:7].astype(int) - 1).to_numpy(np.int64)


def month_label(number: int) -> str:
    """The ``YYYY-MM`` label of a month number (see :func:`month_number`).

    Examples
    --------
    >>> month_label(24324)
    '2027-01'
    """
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def bonus_months(period: str, months: int = 1) -> list[str]:
    """The months of the bonus period whose last month is ``period``, in order.

    Examples
    --------
    >>> bonus_months("2026-09")
    ['2026-09']
    """
    last = int(month_number([period])[0])
    return [month_label(n) for n in range(last - months + 1, last + 1)]


def team_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """The team KPIs: ``kpi_id, aggregate, aggregate_of, aggregate_over`` (``aggregate_of``
    filled with the KPI itself where empty)."""
    if "aggregate" not in kpis:
        return pd.DataFrame(columns=["kpi_id", "aggregate", "aggregate_of", "aggregate_over"])
    team = kpis.loc[kpis["aggregate"].notna(), ["kpi_id", "aggregate", "aggregate_of", "aggregate_over"]].copy()
    team["aggregate_of"] = team["aggregate_of"].where(team["aggregate_of"].notna(), team["kpi_id"])
    return team.reset_index(drop=True)


# --------------------------------------------------------------------------- exact segment sums

def _segment_aggregate(values: np.ndarray, starts: np.ndarray, kept: np.ndarray, how: np.ndarray) -> np.ndarray:
    """Per segment (``starts`` of sorted runs) the sum, mean or last (``how`` 0, 1, 2 per segment)
    of the ``kept`` values; exact where all kept values are short decimals; NaN for a segment
    without a kept value."""
    if not len(starts):
        return np.zeros(0)
    scaled, ok = scaled_integers(values)
    scaled = np.where(kept, scaled, 0)
    exact = np.minimum.reduceat((ok | ~kept).astype(np.int8), starts).astype(bool)
    total_i = np.add.reduceat(scaled, starts)
    total_f = np.add.reduceat(np.where(kept, values, 0.0), starts)
    exact &= np.abs(total_f) * SCALE < _EXACT_LIMIT  # the integer sum is exact and fits a float
    count = np.add.reduceat(kept.astype(np.int64), starts)
    safe = np.maximum(count, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(exact, total_i / SCALE, total_f)
        mean = np.where(exact, total_i / (safe * SCALE), total_f / safe)
    last = np.maximum.reduceat(np.where(kept, np.arange(len(values)), -1), starts)
    last_value = values[np.maximum(last, 0)]
    out = np.where(how == 0, total, np.where(how == 1, mean, last_value))
    return np.where(count > 0, out, np.nan)


def _missing_policy(kpis: pd.DataFrame) -> np.ndarray:
    return kpis["missing"].map(_MISSING).fillna(0).to_numpy(dtype=np.int8)


def _kept_and_facts(fact: np.ndarray, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A missing fact counts as 0 (policy zero), leaves its row out (exclude) or stays missing
    (error: the calculation then stops, as validation reported)."""
    missing = np.isnan(fact)
    return ~(missing & (policy == 2)), np.where(missing & (policy == 1), 0.0, fact)


def _codes(values: pd.Series, index: pd.Index) -> np.ndarray:
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = np.append(index.get_indexer(values.cat.categories.astype(object)), -1)
        return lookup[values.cat.codes.to_numpy()]
    return index.get_indexer(values.to_numpy(dtype=object))


# --------------------------------------------------------------------------- bonus periods

def combine_months(actuals: pd.DataFrame, periods: pd.Index, months: int, employees: pd.Index,
                   kpis: pd.DataFrame) -> pd.DataFrame:
    """The actuals of the bonus periods ending at each of ``periods``, one row per period,
    employee and KPI, plan and fact combined over the period's months by the KPI's
    ``period_aggregation``.

    A missing fact of one month follows the KPI's missing policy: ``zero`` counts it as 0 (the
    month's plan counts), ``exclude`` leaves the month out (plan and fact); a KPI whose every
    month is left out has no fact. ``employees`` is the index of employee ids.

    Examples
    --------
    >>> actuals = pd.DataFrame({"period": ["2026-11", "2026-12", "2027-01"], "employee_id": "E1",
    ...                         "kpi_id": "rev", "plan": [0.1, 0.2, 0.4], "fact": [0.1, 0.2, 0.3]})
    >>> kpis = pd.DataFrame({"kpi_id": ["rev"], "missing": [None], "period_aggregation": [None]})
    >>> out = combine_months(actuals, pd.Index(["2027-01"]), 3, pd.Index(["E1"]), kpis)
    >>> out[["plan", "fact"]].to_numpy().tolist()  # exact decimal sums, not 0.1 + 0.2 + 0.3
    [[0.7, 0.6]]
    """
    kpi_index = pd.Index(kpis["kpi_id"])
    period = actuals["period"]
    if isinstance(period.dtype, pd.CategoricalDtype):  # a large table: its codes, not its texts
        labels, codes = pd.Index(period.cat.categories.astype(str)), period.cat.codes.to_numpy()
    else:
        codes, labels = pd.factorize(period.to_numpy(dtype=object))
        labels = pd.Index(labels)
    row_month = np.append(month_number(labels), -1)[codes] if len(actuals) else np.zeros(0, np.int64)
    wanted = month_number(periods)
    rows, owner = [], []
    for j, last in enumerate(wanted):
        idx = np.flatnonzero((row_month > last - months) & (row_month <= last))
        rows.append(idx)
        owner.append(np.full(len(idx), j, np.int64))
    row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    p = np.concatenate(owner) if owner else np.zeros(0, np.int64)
    e = _codes(actuals["employee_id"], employees)[row]
    k = _codes(actuals["kpi_id"], kpi_index)[row]
    if (e < 0).any() or (k < 0).any():
        raise CalculationError("actuals reference unknown employees or KPIs; validate the client first")
    key = (p * len(employees) + e) * len(kpi_index) + k
    order = np.lexsort((row_month[row], key))
    row, key, k = row[order], key[order], k[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
    policy = _missing_policy(kpis)[k]
    plan = actuals["plan"].to_numpy(dtype=float, na_value=np.nan)[row]
    given = actuals["fact"].to_numpy(dtype=float, na_value=np.nan)[row]
    kept, fact = _kept_and_facts(given, policy)
    column = kpis["period_aggregation"] if "period_aggregation" in kpis else pd.Series(index=kpis.index, dtype=object)
    how = column.map(AGGREGATION_CODES).fillna(0).to_numpy(dtype=np.int8)[k[starts]]
    combined_fact = _segment_aggregate(fact, starts, kept, how)
    if len(starts):  # no month has a fact: the period's fact is missing (its policy says how it counts)
        none = np.maximum.reduceat((~np.isnan(given)).astype(np.int8), starts) == 0
        combined_fact[none] = np.nan
    combined_plan = _segment_aggregate(plan, starts, kept, how)
    everything = _segment_aggregate(plan, starts, np.ones(len(plan), bool), how)
    combined_plan = np.where(np.isnan(combined_fact) & np.isnan(combined_plan), everything, combined_plan)
    seg_key = key[starts]
    seg_k = seg_key % len(kpi_index)
    seg_e = (seg_key // len(kpi_index)) % len(employees)
    seg_p = seg_key // (len(kpi_index) * len(employees))
    return pd.DataFrame({
        "period": pd.Categorical.from_codes(seg_p, categories=periods),
        "employee_id": pd.Categorical.from_codes(seg_e, categories=employees),
        "kpi_id": pd.Categorical.from_codes(seg_k, categories=kpi_index),
        "plan": combined_plan, "fact": combined_fact})


# --------------------------------------------------------------------------- teams

def team_rows(pool: pd.DataFrame, employees: pd.DataFrame, departments: pd.Series, positions: pd.DataFrame,
              kpis: pd.DataFrame, position_kpis: pd.DataFrame) -> pd.DataFrame:
    """The plan and fact of every team KPI line: one row per period, employee paid on a team
    KPI and KPI, with the members counted (``size``) and, up to :data:`MEMBERS_LISTED` of them,
    who they are (``members``: their employee ids, comma-separated; else empty).

    ``pool`` holds the (combined) actuals the members' values come from: ``period,
    employee_id, kpi_id, plan, fact``; ``departments`` the department of each row of
    ``employees``. A team KPI may aggregate another team KPI (a director paid on the sum of
    the heads' team results): team KPIs are computed in order, each from the pool and the
    team rows computed before it. An employee whose team has no member with a row in a
    period gets no row for that period. Only members with a row count; a member's missing
    fact follows the member KPI's missing policy (zero: counts as 0; exclude: the member is
    left out).
    """
    team = team_kpis(kpis)
    out_columns = COLUMNS + ["members", "size"]
    if team.empty:
        return pd.DataFrame(columns=out_columns)
    emp = pd.DataFrame({"employee_id": employees["employee_id"].to_numpy(dtype=object),
                        "position_id": employees["position_id"].to_numpy(dtype=object),
                        "department": departments.to_numpy(dtype=object)})
    reports_to = dict(zip(positions["position_id"], positions["reports_to"])) if "reports_to" in positions else {}
    emp["reports_to"] = emp["position_id"].map(reports_to)
    policy = dict(zip(kpis["kpi_id"], kpis["missing"].fillna("error")))
    spec = team.set_index("kpi_id")
    chained = [(of, t) for t, of in zip(team["kpi_id"], team["aggregate_of"]) if of != t and of in spec.index]
    order = topological_order(chained, nodes=team["kpi_id"])  # a member's team KPI before the head's
    pool = pd.DataFrame({c: pool[c].astype(object) if c in ("period", "employee_id", "kpi_id") else pool[c]
                         for c in COLUMNS})
    paid = position_kpis[["position_id", "kpi_id"]]
    produced = []
    for t in order:
        of, over, how = spec.at[t, "aggregate_of"], spec.at[t, "aggregate_over"], spec.at[t, "aggregate"]
        heads = emp[emp["position_id"].isin(paid.loc[paid["kpi_id"] == t, "position_id"])]
        source = pool[pool["kpi_id"] == of]
        if produced:
            earlier = pd.concat(produced, ignore_index=True)
            source = pd.concat([source, earlier.loc[earlier["kpi_id"] == of, COLUMNS]], ignore_index=True)
        if heads.empty or source.empty:
            continue
        members = source.merge(emp, on="employee_id", how="inner")
        kept, fact = _kept_and_facts(members["fact"].to_numpy(dtype=float),
                                     np.full(len(members), _MISSING.get(policy.get(of, "error"), 0), np.int8))
        members = members.assign(fact=fact, kept=kept)  # a member left out still makes the team exist
        rows = (_reports_rows if over == "reports" else _department_rows)(heads, members, how)
        if rows.empty:
            continue
        rows.insert(2, "kpi_id", t)
        produced.append(rows)
    return pd.concat(produced, ignore_index=True) if produced else pd.DataFrame(columns=out_columns)


def _reports_rows(heads: pd.DataFrame, members: pd.DataFrame, how: str) -> pd.DataFrame:
    """Per period and head, the sum or mean over the members whose positions report to the
    head's position in the head's department (pairs joined on department and position)."""
    pairs = heads.merge(members, left_on=["department", "position_id"], right_on=["department", "reports_to"],
                        suffixes=("_head", ""))
    pairs = pairs[(pairs["employee_id"] != pairs["employee_id_head"]).to_numpy()]
    if pairs.empty:
        return pd.DataFrame(columns=["period", "employee_id", "plan", "fact", "members"])
    pairs = pairs.sort_values(["period", "employee_id_head", "employee_id"], kind="stable")
    codes, _ = pd.factorize(pairs["period"].astype(str) + "\x00" + pairs["employee_id_head"].astype(str), sort=False)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    code = np.full(len(starts), 0 if how == "sum" else 1, np.int8)
    kept = pairs["kept"].to_numpy(dtype=bool)
    names = pairs["employee_id"].where(kept, None).groupby(codes, sort=True).agg(lambda ids: ", ".join(ids.dropna()))
    size = np.add.reduceat(kept.astype(np.int64), starts)
    first = pairs.iloc[starts]
    return pd.DataFrame({"period": first["period"].to_numpy(), "employee_id": first["employee_id_head"].to_numpy(),
                         "plan": _segment_aggregate(pairs["plan"].to_numpy(dtype=float), starts, kept, code),
                         "fact": _segment_aggregate(pairs["fact"].to_numpy(dtype=float), starts, kept, code),
                         "members": np.where(size <= MEMBERS_LISTED, names.to_numpy(), ""), "size": size})


def _department_rows(heads: pd.DataFrame, members: pd.DataFrame, how: str) -> pd.DataFrame:
    """Per period and head, the sum or mean over the other members of the head's department:
    the department's total less the head's own row (exact on scaled integers), so that a
    department whose every employee is paid on its mean costs one pass, not one per pair."""
    members = members.sort_values(["period", "department", "employee_id"], kind="stable")
    kept = members["kept"].to_numpy(dtype=bool)
    keys = ["period", "department"]
    totals = []
    for column in ("plan", "fact"):
        values = np.where(kept, members[column].to_numpy(dtype=float), 0.0)
        scaled, ok = scaled_integers(values)
        part = pd.DataFrame({"period": members["period"].to_numpy(), "department": members["department"].to_numpy(),
                             f"{column}_i": scaled, f"{column}_f": values, f"{column}_bad": ~ok})
        totals.append(part.groupby(keys, sort=False).sum())
    by_department = pd.concat(totals, axis=1)
    grouped = members.assign(kept=kept.astype(np.int64)).groupby(keys, sort=False)
    by_department["n"] = grouped["kept"].sum()
    by_department["size"] = grouped.size()
    by_department["ids"] = members["employee_id"].where(kept, None).groupby(
        [members["period"], members["department"]], sort=False).agg(lambda ids: list(ids.dropna()))
    by_department = by_department.reset_index()
    rows = heads[["employee_id", "department"]].merge(by_department, on="department")
    own = members[["period", "employee_id", "plan", "fact", "kept"]].rename(
        columns={"plan": "own_plan", "fact": "own_fact", "kept": "own_kept"})
    rows = rows.merge(own, on=["period", "employee_id"], how="left")
    in_team = rows["own_kept"].notna().to_numpy()  # the head has a row: not his own team member
    is_member = rows["own_kept"].fillna(False).to_numpy(dtype=bool)
    team = rows["size"].to_numpy() - in_team > 0
    rows, is_member = rows[team], is_member[team]
    count = rows["n"].to_numpy() - is_member
    out = {}
    for column in ("plan", "fact"):
        mine = np.where(is_member, rows[f"own_{column}"].to_numpy(dtype=float), 0.0)
        mine_i, mine_ok = scaled_integers(np.nan_to_num(mine))
        total_i = rows[f"{column}_i"].to_numpy(np.int64) - mine_i
        total_f = rows[f"{column}_f"].to_numpy(dtype=float) - mine
        exact = (rows[f"{column}_bad"].to_numpy() == 0) & mine_ok & (
            np.abs(rows[f"{column}_f"].to_numpy(dtype=float)) * SCALE < _EXACT_LIMIT)
        divisor = np.maximum(count, 1) if how == "mean" else np.ones(len(count), np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(exact, total_i / (divisor * SCALE), total_f / divisor)
        out[column] = np.where(count > 0, value, np.nan)
    names = [", ".join(i for i in ids if i != head) if n <= MEMBERS_LISTED else ""
             for ids, head, n in zip(rows["ids"], rows["employee_id"], count)]
    return pd.DataFrame({"period": rows["period"].to_numpy(), "employee_id": rows["employee_id"].to_numpy(),
                         "plan": out["plan"], "fact": out["fact"], "members": names, "size": count})
