"""KPI matrices (SPEC 3.4): for every employee, KPI and period — weight, plan, fact, attainment,
index — and the performance ratio per employee.

The matrix is built from NumPy arrays indexed by integer codes (one pass over the actuals, no
row loops) so that it scales to millions of lines; :func:`kpi_matrix` returns it as a DataFrame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpi_toolkit.method.attainment import DIRECTION_CODES, attainment
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.errors import CalculationError
from kpi_toolkit.method.teams import COLUMNS, combine_months, month_label, month_number, team_kpis, team_rows

FACT_OK, FACT_MISSING_ZERO, FACT_MISSING_EXCLUDED = "ok", "missing_zero", "missing_excluded"
MISSING_CODES = {"error": 0, "zero": 1, "exclude": 2}


def codes_in(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 where absent), fast for categorical columns."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.cat
        lookup = np.append(index.get_indexer(cat.categories.astype(object)), -1)
        return lookup[cat.codes.to_numpy()]
    return index.get_indexer(values.to_numpy(dtype=object))


def _float(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float, na_value=np.nan)


@dataclass
class Lines:
    """The KPI matrix as aligned arrays: one element per employee × KPI × period line."""

    periods: pd.Index  # period labels, sorted
    employees: pd.DataFrame
    kpis: pd.DataFrame
    position_kpis: pd.DataFrame
    period: np.ndarray  # int code into periods
    employee: np.ndarray  # int row of employees
    kpi: np.ndarray  # int row of kpis
    scheme: np.ndarray  # int row of position_kpis
    plan: np.ndarray
    fact: np.ndarray
    weight: np.ndarray
    effective_weight: np.ndarray
    fact_status: np.ndarray  # 0 ok, 1 missing counted as zero, 2 missing excluded
    attainment: np.ndarray
    index: np.ndarray
    group: np.ndarray  # period * n_employees + employee
    direction: np.ndarray  # int8 code per line: 0 higher, 1 lower, 2 band
    baseline: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    band_tolerance: np.ndarray
    members: pd.Categorical | None = None  # per line, a team KPI's members counted (ids), else ""
    team_size: np.ndarray | None = None  # per line, how many members a team KPI counted, else 0

    @property
    def n_groups(self) -> int:
        return len(self.periods) * len(self.employees)

    def __len__(self) -> int:
        return len(self.plan)


def select_periods(client: ClientData, periods) -> list[str]:
    """The periods asked for: one label, a list, or ``None`` for the client's reported period.

    A period is named by its last month. ``"all"`` is every period with actuals: every month,
    or with bonus periods of several months, every bonus period (counted from the period
    reported) that holds a month with actuals.
    """
    if periods is None:
        return [client.config.period]
    if isinstance(periods, str):
        if periods == "reported":
            return [client.config.period]
        return all_bonus_periods(client) if periods == "all" else [periods]
    return sorted(periods)


def all_bonus_periods(client: ClientData) -> list[str]:
    """The bonus periods (by their last month) that hold a month with actuals.

    The bonus periods are counted from the period reported: with ``bonus_period_months: 3``
    and period 2027-01, they are ..., Aug–Oct, Nov–Jan, Feb–Apr, ...
    """
    months = client.config.bonus_period_months
    if months <= 1 or not client.periods:
        return client.periods
    anchor = int(month_number([client.config.period])[0])
    ends = {int(n) + (anchor - int(n)) % months for n in month_number(client.periods)}
    return [month_label(n) for n in sorted(ends)]


def employee_departments(employees: pd.DataFrame, positions: pd.DataFrame) -> pd.Series:
    """Each employee's department: the employee's own, else the position's (its default)."""
    default = employees["position_id"].map(positions.set_index("position_id")["department"])
    return employees["department"].where(employees["department"].notna(), default)


def _team_lines(client: ClientData, actuals: pd.DataFrame) -> pd.DataFrame:
    """The plan and fact of every team KPI line from the actuals of the periods: ``period,
    employee_id, kpi_id, plan, fact, members`` (only the rows the teams read are looked at)."""
    team = team_kpis(client.kpis)
    pool = actuals[actuals["kpi_id"].isin(set(team["aggregate_of"])).to_numpy()]
    employees = client.employees
    return team_rows(pool, employees, employee_departments(employees, client.positions), client.positions,
                     client.kpis, client.position_kpis)


def build_lines(client: ClientData, periods=None) -> tuple[Lines, pd.DataFrame]:
    """Build the KPI matrix arrays; also return the actuals of the periods that are not lines
    (facts of indicators that only stop factors watch)."""
    wanted = select_periods(client, periods)
    actuals = client.actuals
    period_index = pd.Index(wanted)
    if client.config.bonus_period_months > 1:
        actuals = combine_months(actuals, period_index, client.config.bonus_period_months,
                                 pd.Index(client.employees["employee_id"]), client.kpis)
    p_all = codes_in(actuals["period"], period_index)
    in_period = p_all >= 0
    if not in_period.all():
        actuals = actuals[in_period]
        p_all = p_all[in_period]
    employees, kpis, positions, pks = (client.employees, client.kpis, client.positions, client.position_kpis)
    emp_index = pd.Index(employees["employee_id"])
    kpi_index_ = pd.Index(kpis["kpi_id"])
    pos_index = pd.Index(positions["position_id"])
    e_all = codes_in(actuals["employee_id"], emp_index)
    k_all = codes_in(actuals["kpi_id"], kpi_index_)
    if (e_all < 0).any() or (k_all < 0).any():
        raise CalculationError("actuals reference unknown employees or KPIs; validate the client first")
    plan_all, fact_all = _float(actuals, "plan"), _float(actuals, "fact")
    rows = len(actuals)
    members = team_size = None
    team = team_kpis(kpis)
    if not team.empty:  # the team KPI lines, appended to the rows (their own rows are no lines)
        extra = _team_lines(client, actuals)
        p_all = np.concatenate([p_all, codes_in(extra["period"], period_index)])
        e_all = np.concatenate([e_all, codes_in(extra["employee_id"], emp_index)])
        k_all = np.concatenate([k_all, codes_in(extra["kpi_id"], kpi_index_)])
        plan_all = np.concatenate([plan_all, extra["plan"].to_numpy(dtype=float)])
        fact_all = np.concatenate([fact_all, extra["fact"].to_numpy(dtype=float)])
        names = pd.Index(["", *(m for m in pd.unique(extra["members"].astype(str)) if m)])
        members = pd.Categorical.from_codes(np.concatenate(
            [np.zeros(rows, np.int32), names.get_indexer(extra["members"].astype(str))]), categories=names)
        team_size = np.concatenate([np.zeros(rows, np.int32), extra["size"].to_numpy(dtype=np.int32)])
    emp_pos = pos_index.get_indexer(employees["position_id"].to_numpy(dtype=object))
    n_k = len(kpis)
    pk_key = pos_index.get_indexer(pks["position_id"].to_numpy(dtype=object)) * n_k + kpi_index_.get_indexer(
        pks["kpi_id"].to_numpy(dtype=object))
    order = np.argsort(pk_key, kind="stable")
    sorted_keys = pk_key[order]
    key = emp_pos[e_all].astype(np.int64) * n_k + k_all
    pos_in_sorted = np.searchsorted(sorted_keys, key).clip(0, max(len(sorted_keys) - 1, 0))
    is_line = (sorted_keys[pos_in_sorted] == key) if len(sorted_keys) else np.zeros(len(key), bool)
    other = ~is_line[:rows]
    if not team.empty:  # a row of a team KPI's own for an employee paid on it: refused by validation
        own = np.zeros(len(is_line), bool)
        own[:rows] = is_line[:rows] & kpi_index_.isin(team["kpi_id"])[k_all[:rows]]
        is_line &= ~own
    every = bool(is_line.all())

    def take(values: np.ndarray) -> np.ndarray:
        return values if every else values[is_line]

    scheme = order[take(pos_in_sorted)] if len(sorted_keys) else np.zeros(0, np.int64)
    others = actuals.iloc[:0] if not other.any() else actuals[other]
    p, e, k = take(p_all), take(e_all), take(k_all)
    plan = take(plan_all)
    fact = take(fact_all)
    if members is not None:
        members, team_size = members[is_line], team_size[is_line]
    weight = _float(pks, "weight")[scheme]

    direction = kpis["direction"].map(DIRECTION_CODES).fillna(0).to_numpy(dtype=np.int8)[k]
    policy = kpis["missing"].map(MISSING_CODES).fillna(0).to_numpy(dtype=np.int8)[k]
    missing = np.isnan(fact)
    if (missing & (policy == 0)).any():
        raise CalculationError("a fact is missing under the 'error' policy; validate the client first")
    status = np.where(missing, np.where(policy == 1, 1, 2), 0).astype(np.int8)

    baseline, band_low = _float(kpis, "baseline")[k], _float(kpis, "band_low")[k]
    band_high, band_tolerance = _float(kpis, "band_high")[k], _float(kpis, "band_tolerance")[k]
    a = attainment(plan, fact, direction, baseline, band_low, band_high, band_tolerance, _float(pks, "cap")[scheme])
    a[status == 1] = 0.0

    group = p.astype(np.int64) * len(employees) + e
    n_groups = len(period_index) * len(employees)
    kept = status != 2
    w_all = np.bincount(group, weight, minlength=n_groups)
    w_kept = np.bincount(group, np.where(kept, weight, 0.0), minlength=n_groups)
    renorm = (w_kept[group] != w_all[group]) & (w_kept[group] > 0)
    eff = np.where(kept, weight, 0.0)
    eff = np.where(renorm, eff / np.where(w_kept[group] > 0, w_kept[group], 1.0), eff)
    idx = np.where(kept, eff * a, 0.0)

    lines = Lines(period_index, employees, kpis, pks, p, e, k, scheme, plan, fact, weight, eff, status,
                  np.where(kept, a, np.nan), idx, group, direction, baseline, band_low, band_high, band_tolerance,
                  members, team_size)
    return lines, others


STATUS_LABELS = np.array([FACT_OK, FACT_MISSING_ZERO, FACT_MISSING_EXCLUDED], dtype=object)


def _category(labels, codes: np.ndarray) -> pd.Categorical:
    labels = pd.Index(labels)
    unique_labels = labels.unique()
    remap = unique_labels.get_indexer(labels)
    return pd.Categorical.from_codes(remap[codes], categories=unique_labels)


def lines_frame(lines: Lines, client: ClientData, extra: dict | None = None) -> pd.DataFrame:
    """The matrix arrays as a DataFrame (ids and names as categoricals to stay lean), with
    ``extra`` columns appended."""
    emp, kpis, pks = lines.employees, lines.kpis, lines.position_kpis
    positions = client.positions.set_index("position_id")
    emp_dept = employee_departments(emp, client.positions)
    members = lines.members if lines.members is not None else pd.Categorical.from_codes(
        np.zeros(len(lines), np.int8), categories=[""])
    return pd.DataFrame({
        "period": _category(lines.periods, lines.period),
        "employee_id": _category(emp["employee_id"], lines.employee),
        "employee": _category(emp["name"], lines.employee),
        "position_id": _category(emp["position_id"], lines.employee),
        "position": _category(emp["position_id"].map(positions["name"]), lines.employee),
        "department": _category(emp_dept, lines.employee),
        "kpi_id": _category(kpis["kpi_id"], lines.kpi),
        "kpi": _category(kpis["name"], lines.kpi),
        "unit": _category(kpis["unit"].fillna(""), lines.kpi),
        "direction": _category(kpis["direction"].fillna("higher"), lines.kpi),
        "weight": lines.weight,
        "effective_weight": lines.effective_weight,
        "plan": lines.plan,
        "fact": lines.fact,
        "fact_status": pd.Categorical.from_codes(lines.fact_status, categories=list(STATUS_LABELS)),
        "attainment": lines.attainment,
        "index": lines.index,
        "threshold": _float(pks, "threshold")[lines.scheme],
        "stop_threshold": _float(pks, "stop_threshold")[lines.scheme],
        "cap": _float(pks, "cap")[lines.scheme],
        "curve": _category(pks["curve"].fillna(""), lines.scheme),
        "members": members,
        "team_size": lines.team_size if lines.team_size is not None else np.zeros(len(lines), np.int8),
        **(extra or {}),
    }, copy=False)


def kpi_matrix(client: ClientData, periods=None) -> pd.DataFrame:
    """The KPI matrix: one row per employee, KPI and period.

    Columns: ``period, employee_id, employee, position_id, position, department, kpi_id, kpi,
    unit, direction, weight, effective_weight, plan, fact, fact_status, attainment, index,
    threshold, stop_threshold, cap, curve, members, team_size``. ``effective_weight`` differs
    from ``weight`` only where a missing fact was excluded and the remaining weights were
    renormalised. A team KPI's line counts ``team_size`` members, listed in ``members`` (ids)
    up to :data:`kpi_toolkit.method.teams.MEMBERS_LISTED`. With a bonus period of several months, a
    period is named by its last month and plan and fact are combined over its months.
    ``periods``: ``None`` (the reported period), a label, a list of labels, or ``"all"``.
    """
    lines, _ = build_lines(client, periods)
    return lines_frame(lines, client)


def performance_ratios(matrix: pd.DataFrame) -> pd.DataFrame:
    """Performance ratio ``R = sum of KPI indices`` per employee and period.

    Examples
    --------
    >>> m = pd.DataFrame({"period": ["2026-09"] * 3, "employee_id": ["E1"] * 3,
    ...                   "index": [0.55, 0.2125, 0.375]})
    >>> float(performance_ratios(m)["performance_ratio"].round(12).iloc[0])
    1.1375
    """
    out = matrix.groupby(["period", "employee_id"], observed=True, sort=True)["index"].sum()
    return out.rename("performance_ratio").reset_index()


def department_rollup(matrix: pd.DataFrame) -> pd.DataFrame:
    """Roll-up by department: employees, mean performance ratio, share of KPIs at or above plan."""
    ratios = matrix.groupby(["period", "department", "employee_id"], observed=True)["index"].sum()
    by_dept = ratios.groupby(level=["period", "department"], observed=True).agg(["count", "mean", "min", "max"])
    by_dept.columns = ["employees", "mean_ratio", "min_ratio", "max_ratio"]
    at_plan = (matrix["attainment"] >= 1).groupby([matrix["period"], matrix["department"]], observed=True).mean()
    by_dept["kpis_at_plan"] = at_plan
    return by_dept.reset_index()
