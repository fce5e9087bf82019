"""Sensitivity of the bonus pool: to a uniform change in attainment, and to each KPI's threshold.

Both are what-ifs computed by the bonus engine itself on a modified copy of the client:

- attainment: every line's attainment ``a`` becomes ``a * (1 + shift)``, by moving the fact
  (``F * (1 + s)`` for higher-is-better, ``F / (1 + s)`` for lower-is-better, ``B + (F - B) * (1 + s)``
  with a baseline); band KPIs and the facts that only stop factors watch are left as they are;
- thresholds: each position's KPI threshold moved down and up by a step, one at a time,
  recomputing only that position's employees, ranked by how much the pool changes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_toolkit.method.bonus import compute_bonuses
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.method.matrix import employee_departments
from kpi_toolkit.method.teams import bonus_months, team_kpis

ATTAINMENT_SHIFTS = (-0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2)
THRESHOLD_STEP = 0.05


def restrict_to_position(client: ClientData, position_id: str, period: str | None = None) -> ClientData:
    """The client reduced to one position, its employees and their actuals of one bonus period.

    Bonuses are computed employee by employee, so this gives the same statements for them as
    the whole client does, in a fraction of the time. A position paid on a team KPI keeps the
    employees of its employees' departments (the teams are drawn from them) and the settings of
    the positions paid on the team KPIs it adds up; their statements come along: select the
    position's own.
    """
    period = period or client.config.period
    months = bonus_months(period, client.config.bonus_period_months)
    employees, pks = client.employees, client.position_kpis
    mine = (employees["position_id"] == position_id).to_numpy()
    keep, settings = mine, (pks["position_id"] == position_id).to_numpy()
    team = team_kpis(client.kpis).set_index("kpi_id")["aggregate_of"]
    chain = set(pks.loc[settings, "kpi_id"]) & set(team.index)
    if chain:
        departments = employee_departments(employees, client.positions)
        keep = mine | departments.isin(set(departments[mine].dropna())).to_numpy()
        fed = set()
        while chain:  # the team KPIs the position's team KPIs add up, down to rows in actuals
            fed |= chain
            chain = {team[t] for t in chain if team[t] in team.index} - fed
        settings = settings | pks["kpi_id"].isin(fed - set(pks.loc[settings, "kpi_id"])).to_numpy()
    emp = employees[keep].reset_index(drop=True)
    actuals = client.actuals
    keep_rows = actuals["period"].isin(months).to_numpy() & actuals["employee_id"].isin(emp["employee_id"]).to_numpy()
    held = set(emp["position_id"]) | {position_id}
    positions = client.positions[client.positions["position_id"].isin(held).to_numpy()].reset_index(drop=True)
    position_kpis = pks[settings].reset_index(drop=True)
    stop_factors = client.stop_factors
    stop_factors = stop_factors[stop_factors["position_id"].isin(set(position_kpis["position_id"])).to_numpy()]
    return client.with_tables(employees=emp, actuals=actuals[keep_rows].reset_index(drop=True),
                              positions=positions, position_kpis=position_kpis,
                              stop_factors=stop_factors.reset_index(drop=True))


def shift_attainment(client: ClientData, shift: float) -> ClientData:
    """The client with every scheme line's attainment multiplied by ``1 + shift`` (see the module)."""
    if shift == 0:
        return client
    act, emp, kpis, pk = client.actuals, client.employees, client.kpis, client.position_kpis
    position = act["employee_id"].map(dict(zip(emp["employee_id"], emp["position_id"])))
    scheme = set(zip(pk["position_id"], pk["kpi_id"]))
    is_line = np.fromiter((pair in scheme for pair in zip(position, act["kpi_id"])), bool, len(act))
    team = team_kpis(kpis)
    paid_teams = team[team["kpi_id"].isin(pk["kpi_id"])]
    is_line |= act["kpi_id"].isin(set(paid_teams["aggregate_of"])).to_numpy()  # a team KPI moves with its members
    direction = act["kpi_id"].map(dict(zip(kpis["kpi_id"], kpis["direction"].fillna("higher")))).to_numpy(dtype=object)
    baseline = act["kpi_id"].map(dict(zip(kpis["kpi_id"], kpis["baseline"]))).to_numpy(dtype=float, na_value=np.nan)
    fact = act["fact"].to_numpy(dtype=float, na_value=np.nan)
    factor = 1.0 + shift
    with_base = ~np.isnan(baseline)
    moved = np.where(with_base, baseline + (fact - np.nan_to_num(baseline)) * factor,
                     np.where(direction == "lower", fact / factor, fact * factor))
    moved = np.where(is_line & (direction != "band"), moved, fact)
    return client.with_tables(actuals=act.assign(fact=moved))


def attainment_sensitivity(client: ClientData, period: str | None = None,
                           shifts=ATTAINMENT_SHIFTS) -> pd.DataFrame:
    """The pool if every attainment moves by each shift.

    Returns
    -------
    DataFrame
        ``shift, pool, change, change_ratio`` (change against no shift; ratio ``NaN`` when the
        pool is 0), sorted by shift.
    """
    period = period or client.config.period
    shifts = sorted(set(shifts) | {0.0})
    scale = 10.0 ** client.config.currency_decimals
    pools = np.array([pool_minor(compute_bonuses(shift_attainment(client, s), period)) for s in shifts])
    base = pools[shifts.index(0.0)]
    frame = pd.DataFrame({"shift": shifts, "pool": pools / scale, "change": (pools - base) / scale})
    frame["change_ratio"] = (pools - base) / base if base else np.nan
    return frame


def pool_minor(result) -> int:
    """A bonus result's pool in minor units (exact, for differences)."""
    return int(result.totals["bonus_minor"].sum())


def threshold_sensitivity(client: ClientData, period: str | None = None, step: float = THRESHOLD_STEP,
                          positions=None) -> pd.DataFrame:
    """How the pool changes when each KPI threshold moves down and up by ``step`` (one at a time).

    Thresholds that are not set are skipped; a threshold is never moved below 0. Every variant
    is computed in one run of the engine (see :func:`stacked_pools`).

    Returns
    -------
    DataFrame
        ``position_id, position, kpi_id, kpi, threshold, change_down, change_up, impact`` (the
        larger of the two absolute changes), sorted by impact, largest first.
    """
    period = period or client.config.period
    scale = 10.0 ** client.config.currency_decimals
    wanted = set(positions) if positions is not None else set(client.employees["position_id"])
    names = dict(zip(client.positions["position_id"], client.positions["name"]))
    kpi_names = dict(zip(client.kpis["kpi_id"], client.kpis["name"]))
    variants, rows = [], []
    for pid in pd.unique(client.position_kpis["position_id"]):
        if pid not in wanted:
            continue
        sub = restrict_to_position(client, pid, period)
        if sub.employees.empty:
            continue
        own = sub.position_kpis
        base = len(variants)
        variants.append(sub)
        for i, (owner, kid, threshold) in enumerate(zip(own["position_id"], own["kpi_id"], own["threshold"])):
            if pd.isna(threshold) or owner != pid:  # (a team's other positions come along unchanged)
                continue
            for moved in (max(threshold - step, 0.0), threshold + step):
                values = own["threshold"].to_numpy(dtype=float, copy=True)
                values[i] = moved
                variants.append(sub.with_tables(position_kpis=own.assign(threshold=values)))
            rows.append({"position_id": pid, "position": names.get(pid, pid), "kpi_id": kid,
                         "kpi": kpi_names.get(kid, kid), "threshold": float(threshold), "_base": base,
                         "_down": len(variants) - 2, "_up": len(variants) - 1})
    pools = stacked_pools(variants, period) if variants else np.zeros(0, np.int64)
    for row in rows:
        row["change_down"] = (pools[row.pop("_down")] - pools[row["_base"]]) / scale
        row["change_up"] = (pools[row.pop("_up")] - pools[row.pop("_base")]) / scale
        row["impact"] = max(abs(row["change_down"]), abs(row["change_up"]))
    columns = ["position_id", "position", "kpi_id", "kpi", "threshold", "change_down", "change_up", "impact"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["impact", "position_id", "kpi_id"], ascending=[False, True, True],
                             ignore_index=True)


_SEPARATOR = "\x1f"  # joins a variant's number to its ids; never part of a real id


def stacked_pools(variants: list[ClientData], period: str) -> np.ndarray:
    """The pool (minor units) of each variant of a client, computed in one run of the engine.

    The variants' people are put side by side under ids suffixed with the variant's number;
    bonuses are computed employee by employee, so each variant's pool is what it would be alone.
    """
    def tagged(table: str, columns: tuple[str, ...]) -> pd.DataFrame:
        parts = []
        for i, v in enumerate(variants):
            frame = v.tables[table]
            parts.append(frame.assign(**{c: frame[c].where(frame[c].isna(), frame[c].astype(str) + f"{_SEPARATOR}{i}")
                                         for c in columns if c in frame}))
        return pd.concat(parts, ignore_index=True)

    # departments and reports_to too: a team is drawn from its variant alone
    stacked = variants[0].with_tables(
        employees=tagged("employees", ("employee_id", "position_id", "department")),
        positions=tagged("positions", ("position_id", "department", "reports_to")),
        position_kpis=tagged("position_kpis", ("position_id",)), stop_factors=tagged("stop_factors", ("position_id",)),
        actuals=tagged("actuals", ("employee_id",)),
        # gates and modifiers name positions, departments and employees: tagged the same way, or
        # they would reach no one in the stacked run (a company modifier has no id and stays as is)
        gates=tagged("gates", ("position_id",)), modifiers=tagged("modifiers", ("id",)))
    totals = compute_bonuses(stacked, period).totals
    variant = totals["employee_id"].astype(str).str.rpartition(_SEPARATOR)[2].astype(int).to_numpy()
    return np.bincount(variant, totals["bonus_minor"].to_numpy(np.int64), minlength=len(variants)).astype(np.int64)
