"""The scenario explorer: try a position's bonus scheme and see at once who gets what.

:class:`ExplorerModel` holds the settings being tried (weights, thresholds, stop thresholds,
caps, payout curves, the fund or variable share, stop factors on or off), position by position,
on top of the client's scheme, and computes the figures with the bonus engine. A change
recomputes only the employees of the position it touches; the rest of the company keeps the
figures of the client's scheme. The ipywidgets app over it is
:class:`kpi_toolkit.explorer.view.ExplorerView`; :func:`kpi_toolkit.explorer.view.scenario_explorer` builds one for a client.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kpi_toolkit.method.bonus import compute_bonuses
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.errors import KpiToolkitError, Problem, SchemeError
from kpi_toolkit.method.kpi_weights import position_methods
from kpi_toolkit.inputs.scenarios import (KPI_SETTINGS, PERCENT_LIKE, RATIO_SETTINGS, Scenario, apply_scenario, list_scenarios,
                        load_scenario, save_scenario, scenario_path, stop_rule_key)
from kpi_toolkit.method.sensitivity import attainment_sensitivity, restrict_to_position, threshold_sensitivity

WEIGHT_STEP = 0.01  # weights move in whole percent, as a workshop discusses them
LOW_WEIGHT = 0.1  # SPEC 3.2: a KPI under this weight is flagged


@dataclass
class PositionScheme:
    """One position's bonus settings: per KPI (``weight, threshold, stop_threshold, cap, curve``;
    ``None`` = not set), the variable share, the scale of funds given per employee and
    which stop-factor rules are on."""

    kpis: dict[str, dict]
    variable_share: float | None
    fund_scale: float = 1.0
    stop_factors: dict[str, bool] = field(default_factory=dict)

    def copy(self) -> "PositionScheme":
        return copy.deepcopy(self)

    @property
    def weights(self) -> dict[str, float]:
        return {k: s["weight"] for k, s in self.kpis.items()}


def position_scheme(client: ClientData, position_id: str) -> PositionScheme:
    """The scheme of a position as the client's tables define it."""
    pk = client.position_kpis
    own = pk[(pk["position_id"] == position_id).to_numpy()]
    kpis = {}
    for row in own.itertuples(index=False):
        kpis[row.kpi_id] = {"weight": float(row.weight),
                            **{s: _none(getattr(row, s)) for s in RATIO_SETTINGS},
                            "curve": row.curve if isinstance(row.curve, str) else None}
    positions = client.positions
    share = positions.loc[(positions["position_id"] == position_id).to_numpy(), "variable_share"]
    rules = {stop_rule_key(r): True for r in client.stop_factors.itertuples(index=False) if r.position_id == position_id}
    return PositionScheme(kpis, _none(share.iloc[0]) if len(share) else None, 1.0, rules)


def _none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def renormalised_weights(weights: dict[str, float], kpi: str, weight: float, locked=(),
                         step: float = WEIGHT_STEP) -> dict[str, float]:
    """Set one KPI's weight and scale the unlocked others so that the weights still sum to 1.

    The others keep their proportions, rounded to ``step`` by largest remainder; a weight is
    never negative. With no other unlocked KPI the weights are returned unchanged.

    Examples
    --------
    >>> renormalised_weights({"a": 0.4, "b": 0.35, "c": 0.25}, "a", 0.5)
    {'a': 0.5, 'b': 0.29, 'c': 0.21}
    >>> renormalised_weights({"a": 0.4, "b": 0.35, "c": 0.25}, "a", 0.5, locked={"c"})
    {'a': 0.5, 'b': 0.25, 'c': 0.25}
    """
    others = [k for k in weights if k != kpi and k not in locked]
    if not others:
        return dict(weights)
    fixed = sum(w for k, w in weights.items() if k != kpi and k in locked)
    room = max(1.0 - fixed, 0.0)
    weight = min(max(round(float(weight) / step) * step, 0.0), room)
    rest = room - weight
    total = sum(weights[k] for k in others)
    raw = {k: rest * weights[k] / total if total > 0 else rest / len(others) for k in others}
    units = {k: math.floor(raw[k] / step + 1e-9) for k in others}
    spare = max(int(round(rest / step)) - sum(units.values()), 0)
    for k in sorted(others, key=lambda k: (raw[k] / step - units[k], raw[k]), reverse=True)[:spare]:
        units[k] += 1
    out = dict(weights)
    out[kpi] = round(weight, 10)
    for k in others:
        out[k] = round(units[k] * step, 10)
    largest = max(others, key=lambda k: raw[k])
    out[largest] = round(max(out[largest] + rest - sum(out[k] for k in others), 0.0), 10)
    return out


@dataclass(frozen=True)
class ExplorerFigures:
    """What the explorer shows for one position and period under the settings being tried.

    Money is in major units. ``statements`` are the rows of
    :attr:`~kpi_toolkit.method.bonus.BonusResult.totals` for the position's employees, ``lines``
    their bonus lines; ``current_bonus`` maps each of them to the bonus under the client's scheme.
    """

    position_id: str
    period: str
    statements: pd.DataFrame
    lines: pd.DataFrame
    pool: float
    budget: float | None
    position_pool: float
    employees: int
    blocked: int
    zero: int
    company_employees: int
    company_blocked: int
    by_department: pd.DataFrame  # department, bonus, fund
    current_pool: float
    current_position_pool: float
    current_bonus: dict[str, float]


class ExplorerModel:
    """The settings being tried for a client, and their figures.

    Parameters
    ----------
    client : ClientData
    position : str, optional
        The position shown first (default: the one with most employees).
    period : str, optional
        ``YYYY-MM`` (default: client.yaml's period).
    language : str, optional
        ``en`` or ``ru`` (default: the client's language); used by the view only.
    """

    def __init__(self, client: ClientData, position: str | None = None, period: str | None = None,
                 language: str | None = None):
        self.client = client
        self.language = language or client.config.language
        self.decimals = client.config.currency_decimals
        self._original = {pid: position_scheme(client, pid) for pid in pd.unique(client.position_kpis["position_id"])}
        self._schemes = {pid: s.copy() for pid, s in self._original.items()}
        self._locked: dict[str, set[str]] = {pid: set() for pid in self._original}
        self._methods = position_methods(client.positions, client.goals, client.config.strategy_owner)
        self._saved_cache: dict = {}
        self.period = ""
        self.set_period(period or client.config.period)
        self.position = ""
        self.select(position or self._default_position())

    # --- what can be chosen -------------------------------------------------------------------
    @property
    def positions(self) -> list[str]:
        """Positions with KPIs and employees, in the order of the positions table."""
        staffed = set(self.client.employees["position_id"])
        return [p for p in self.client.positions["position_id"] if p in self._original and p in staffed]

    def _default_position(self) -> str:
        counts = self.client.employees["position_id"].value_counts()
        return max(self.positions, key=lambda p: (counts.get(p, 0), -self.positions.index(p)))

    def position_name(self, position_id: str | None = None) -> str:
        positions = self.client.positions
        name = positions.loc[(positions["position_id"] == (position_id or self.position)).to_numpy(), "name"]
        return str(name.iloc[0]) if len(name) else str(position_id or self.position)

    def kpi_name(self, kpi_id: str) -> str:
        kpis = self.client.kpis
        name = kpis.loc[(kpis["kpi_id"] == kpi_id).to_numpy(), "name"]
        return str(name.iloc[0]) if len(name) else kpi_id

    def headcount(self, position_id: str | None = None) -> int:
        """Employees of a position who have a statement in the period."""
        counts = self._base_position["employees"]
        return int(counts.get(position_id or self.position, 0))

    def stop_rules(self, position_id: str | None = None) -> list:
        pid = position_id or self.position
        return [r for r in self.client.stop_factors.itertuples(index=False) if r.position_id == pid]

    @property
    def curves(self) -> list[str]:
        return sorted(self.client.config.payout_curves)

    # --- choosing -------------------------------------------------------------------------------
    def select(self, position_id: str) -> None:
        """Show another position (the settings tried for the others are kept)."""
        if position_id not in self._original:
            raise KeyError(f"position '{position_id}' has no KPIs; positions: {', '.join(self.positions)}")
        self.position = position_id

    def set_period(self, period: str) -> None:
        """Compute for another period (the settings tried are kept)."""
        if period not in self.client.periods:
            raise KeyError(f"no actuals for period '{period}'; periods: {', '.join(self.client.periods)}")
        self.period = period
        self._base = compute_bonuses(self.client, period)
        totals = self._base.totals
        pos = totals["position_id"].astype(str)
        self._base_position = totals.assign(position_id=pos, blocked=totals["stop_factor"] == 0,
                                            zero=totals["bonus_minor"] == 0).groupby("position_id").agg(
            pool=("bonus_minor", "sum"), blocked=("blocked", "sum"), zero=("zero", "sum"),
            employees=("employee_id", "size"))
        self._base_departments = self._departments(totals)
        self._restricted: dict[str, ClientData] = {}
        self._computed: dict[str, tuple[PositionScheme, pd.DataFrame, pd.DataFrame]] = {}
        self._base_slices: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}

    # --- the settings -----------------------------------------------------------------------------
    def scheme(self, position_id: str | None = None) -> PositionScheme:
        """A copy of the settings being tried for a position."""
        return self._schemes[position_id or self.position].copy()

    def original(self, position_id: str | None = None) -> PositionScheme:
        """A copy of the client's own settings for a position."""
        return self._original[position_id or self.position].copy()

    @property
    def locked(self) -> set[str]:
        return set(self._locked[self.position])

    def lock(self, kpi: str, locked: bool = True) -> None:
        """Keep a KPI's weight when another weight moves."""
        self._kpi(kpi)
        (self._locked[self.position].add if locked else self._locked[self.position].discard)(kpi)

    def set_weight(self, kpi: str, weight: float) -> dict[str, float]:
        """Set a KPI's weight (in steps of :data:`WEIGHT_STEP`); the unlocked others are scaled so
        the weights still sum to 1. Returns the position's weights."""
        self._kpi(kpi)
        scheme = self._schemes[self.position]
        new = renormalised_weights(scheme.weights, kpi, weight, self._locked[self.position])
        for k, w in new.items():
            scheme.kpis[k]["weight"] = w
        return scheme.weights

    def method(self, position_id: str | None = None) -> str:
        """How the position's weights are set (SPEC 3.2): ``"map"`` (from the goals it owns) or
        ``"head_on"`` (given by the expert)."""
        return self._methods.get(position_id or self.position, "head_on")

    def weight_overrides(self, position_id: str | None = None) -> list[str]:
        """KPIs of a ``map`` position whose weight was moved off the strategy map's: overrides of
        the method, which the explorer labels (a saved scenario keeps them as such)."""
        pid = position_id or self.position
        if self.method(pid) != "map":
            return []
        original = self._original[pid].weights
        return [k for k, w in self._schemes[pid].weights.items() if abs(w - original[k]) > 1e-9]

    def low_weights(self) -> list[str]:
        """KPIs of the position whose weight is under :data:`LOW_WEIGHT`."""
        return [k for k, w in self._schemes[self.position].weights.items() if w < LOW_WEIGHT - 1e-12]

    def set_threshold(self, kpi: str, value: float | None) -> None:
        """Threshold of a KPI as a ratio (0.7 = 70 %); ``None`` clears it."""
        self._set_ratio(kpi, "threshold", value)

    def set_stop_threshold(self, kpi: str, value: float | None) -> None:
        """Stop threshold (blocking) of a KPI as a ratio; ``None`` clears it."""
        self._set_ratio(kpi, "stop_threshold", value)

    def set_cap(self, kpi: str, value: float | None) -> None:
        """Cap of a KPI's coefficient as a ratio; ``None`` = no cap."""
        self._set_ratio(kpi, "cap", value)

    def set_curve(self, kpi: str, curve: str | None) -> None:
        """Payout curve of a KPI (a name from client.yaml), or ``None`` for the proportional rule."""
        self._kpi(kpi)
        if curve is not None and curve not in self.client.config.payout_curves:
            raise self._error(f"kpis.{kpi}.curve", f"unknown payout curve '{curve}'",
                              f"choose one of: {', '.join(self.curves) or 'none defined'}")
        self._schemes[self.position].kpis[kpi]["curve"] = curve

    def set_variable_share(self, value: float) -> None:
        """Variable share of target pay for employees whose fund is not given (0.25 = 25 %)."""
        if not 0 <= value < 1:
            raise self._error("variable_share", f"variable share {value} is not from 0 to below 1",
                              "e.g. 0.25 for 25 %")
        self._schemes[self.position].variable_share = float(value)

    def set_fund_scale(self, value: float) -> None:
        """Multiply the bonus funds given per employee (1.1 = 10 % more)."""
        if not value > 0:
            raise self._error("fund_scale", f"fund scale {value} is not positive", "e.g. 1.1 for 10 % more")
        self._schemes[self.position].fund_scale = float(value)

    def set_stop_factor(self, rule: str, enabled: bool) -> None:
        """Switch a stop-factor rule (named as :func:`~kpi_toolkit.inputs.scenarios.stop_rule_key`) on or off."""
        scheme = self._schemes[self.position]
        if rule not in scheme.stop_factors:
            raise KeyError(f"no stop-factor rule '{rule}' for position '{self.position}'")
        scheme.stop_factors[rule] = bool(enabled)

    def reset(self, position_id: str | None = None) -> None:
        """Back to the client's scheme for a position (``None``: the one shown)."""
        pid = position_id or self.position
        self._schemes[pid] = self._original[pid].copy()
        self._locked[pid] = set()

    def reset_all(self) -> None:
        for pid in self._original:
            self.reset(pid)

    def start_from(self, name_or_scenario: str | Scenario) -> None:
        """Replace the settings being tried with those of a saved scenario."""
        scenario = load_scenario(self.client, name_or_scenario) if isinstance(name_or_scenario, str) else name_or_scenario
        applied = apply_scenario(self.client, scenario)
        self.reset_all()
        for pid, changes in scenario.positions.items():
            scheme = position_scheme(applied, pid)
            scheme.fund_scale = float(changes.get("fund_scale", 1.0))
            scheme.stop_factors = {k: k in scheme.stop_factors for k in self._original[pid].stop_factors}
            self._schemes[pid] = scheme

    def _kpi(self, kpi: str) -> None:
        if kpi not in self._schemes[self.position].kpis:
            raise KeyError(f"KPI '{kpi}' is not a KPI of position '{self.position}'")

    def _set_ratio(self, kpi: str, setting: str, value: float | None) -> None:
        self._kpi(kpi)
        if value is not None:
            value = float(value)
            if not 0 <= value <= PERCENT_LIKE:
                raise self._error(f"kpis.{kpi}.{setting}", f"{setting} {value:g} is not a ratio from 0 to {PERCENT_LIKE}",
                                  "write e.g. 0.7 for 70 %")
        settings = dict(self._schemes[self.position].kpis[kpi], **{setting: value})
        if settings["cap"] is not None and settings["threshold"] is not None and settings["cap"] < settings["threshold"]:
            raise self._error(f"kpis.{kpi}.{setting}", f"cap {settings['cap']:g} is below threshold "
                              f"{settings['threshold']:g}", "keep the cap at or above the threshold")
        self._schemes[self.position].kpis[kpi][setting] = value

    def _error(self, entry: str, message: str, fix: str) -> SchemeError:
        return SchemeError([Problem(table="scenario explorer", column=f"positions.{self.position}.{entry}",
                                    message=message, fix=fix, client=self.client.slug)])

    # --- the scenario -----------------------------------------------------------------------------
    def changed_positions(self) -> list[str]:
        return [pid for pid in self._original if self._schemes[pid] != self._original[pid]]

    def to_scenario(self, name: str = "", description: str = "") -> Scenario:
        """The settings being tried as a scenario: only what differs from the client's scheme
        (all of a position's weights when one of them changed)."""
        positions = {}
        for pid in self.changed_positions():
            new, old = self._schemes[pid], self._original[pid]
            entry: dict = {}
            if new.variable_share != old.variable_share:
                entry["variable_share"] = new.variable_share
            if new.fund_scale != 1.0:
                entry["fund_scale"] = new.fund_scale
            kpis: dict = {}
            weights_changed = any(abs(new.kpis[k]["weight"] - old.kpis[k]["weight"]) > 1e-12 for k in new.kpis)
            for k in new.kpis:
                settings = {s: new.kpis[k][s] for s in KPI_SETTINGS
                            if (s == "weight" and weights_changed) or (s != "weight" and new.kpis[k][s] != old.kpis[k][s])}
                if settings:
                    kpis[k] = settings
            if kpis:
                entry["kpis"] = kpis
            switches = {r: on for r, on in new.stop_factors.items() if on != old.stop_factors.get(r)}
            if switches:
                entry["stop_factors"] = switches
            if entry:
                positions[pid] = entry
        return Scenario(name=name, positions=positions, description=description)

    def scenario_client(self) -> ClientData:
        """The whole client with the settings being tried applied."""
        return apply_scenario(self.client, self.to_scenario("explorer"))

    def save(self, name: str, description: str = "", author: str | None = None) -> Path:
        """Save the settings being tried as ``scenarios/<name>.yaml`` of the client."""
        path = save_scenario(self.client, self, name, description=description, author=author)
        self._saved_cache.pop(name, None)
        return path

    # --- the figures -------------------------------------------------------------------------------
    def _position_frames(self, pid: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Statements and lines of a position's employees under the settings being tried."""
        scheme = self._schemes[pid]
        if scheme == self._original[pid]:
            if pid not in self._base_slices:
                totals, lines = self._base.totals, self._base.lines
                self._base_slices[pid] = (totals[(totals["position_id"] == pid).to_numpy()],
                                          lines[(lines["position_id"] == pid).to_numpy()])
            return self._base_slices[pid]
        cached = self._computed.get(pid)
        if cached is None or cached[0] != scheme:
            if pid not in self._restricted:
                self._restricted[pid] = restrict_to_position(self.client, pid, self.period)
            sub = self._restricted[pid]
            result = compute_bonuses(apply_scenario(sub, self.to_scenario().only(pid)), self.period)
            totals, lines = result.totals, result.lines  # (a team KPI brings its team's positions along)
            cached = (scheme.copy(), totals[(totals["position_id"] == pid).to_numpy()],
                      lines[(lines["position_id"] == pid).to_numpy()])
            self._computed[pid] = cached
        return cached[1], cached[2]

    @staticmethod
    def _departments(totals: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame({"position_id": totals["position_id"].astype(str).to_numpy(),
                              "department": totals["department"].astype(str).to_numpy(),
                              "bonus_minor": totals["bonus_minor"].to_numpy(np.int64),
                              "fund_minor": totals["fund_minor"].to_numpy(np.int64)})
        return frame.groupby(["position_id", "department"], as_index=False, sort=False).sum()

    def results(self) -> ExplorerFigures:
        """The figures for the position shown (recomputing only positions whose settings changed)."""
        pid, scale = self.position, 10.0 ** self.decimals
        statements, lines = self._position_frames(pid)
        base = self._base_position
        changed = self.changed_positions()
        pool, blocked = int(base["pool"].sum()), int(base["blocked"].sum())
        departments = [self._base_departments[~self._base_departments["position_id"].isin(changed)]]
        for p in changed:
            totals, _ = self._position_frames(p)
            if p in base.index:
                pool -= int(base.at[p, "pool"])
                blocked -= int(base.at[p, "blocked"])
            pool += int(totals["bonus_minor"].sum())
            blocked += int((totals["stop_factor"] == 0).sum())
            departments.append(self._departments(totals))
        by_dept = pd.concat(departments).groupby("department", as_index=False, sort=False)[
            ["bonus_minor", "fund_minor"]].sum()
        by_dept = pd.DataFrame({"department": by_dept["department"], "bonus": by_dept["bonus_minor"] / scale,
                                "fund": by_dept["fund_minor"] / scale})
        current = self._base.totals
        current = current[(current["position_id"] == pid).to_numpy()]
        return ExplorerFigures(
            position_id=pid, period=self.period, statements=statements, lines=lines,
            pool=pool / scale, budget=self.client.config.bonus_budget,
            position_pool=int(statements["bonus_minor"].sum()) / scale, employees=len(statements),
            blocked=int((statements["stop_factor"] == 0).sum()), zero=int((statements["bonus_minor"] == 0).sum()),
            company_employees=int(base["employees"].sum()), company_blocked=blocked, by_department=by_dept,
            current_pool=int(base["pool"].sum()) / scale,
            current_position_pool=int(base["pool"].get(pid, 0)) / scale,
            current_bonus=dict(zip(current["employee_id"].astype(str), current["bonus"])))

    def comparison(self) -> pd.DataFrame:
        """The client's scheme, the settings being tried and every saved scenario, side by side.

        One row per scheme: ``scheme`` (``current``, ``explorer`` or a saved name), ``pool``,
        ``position_pool``, ``position_blocked``, ``position_zero``, ``company_blocked``,
        ``weights`` (the position's KPI weights) and ``problems`` (why a saved scenario does
        not fit, else empty).
        """
        fig = self.results()
        pid = self.position
        rows = [self._summary("current", self._base.totals, self._original[pid].weights),
                {"scheme": "explorer", "pool": fig.pool, "position_pool": fig.position_pool,
                 "position_blocked": fig.blocked, "position_zero": fig.zero, "company_blocked": fig.company_blocked,
                 "weights": self._schemes[pid].weights, "problems": ""}]
        for name in list_scenarios(self.client):
            rows.append(self._saved_summary(name))
        return pd.DataFrame(rows)

    def _summary(self, scheme: str, totals: pd.DataFrame, weights: dict) -> dict:
        own = totals[(totals["position_id"] == self.position).to_numpy()]
        scale = 10.0 ** self.decimals
        return {"scheme": scheme, "pool": int(totals["bonus_minor"].sum()) / scale,
                "position_pool": int(own["bonus_minor"].sum()) / scale,
                "position_blocked": int((own["stop_factor"] == 0).sum()),
                "position_zero": int((own["bonus_minor"] == 0).sum()),
                "company_blocked": int((totals["stop_factor"] == 0).sum()), "weights": weights, "problems": ""}

    def _saved_summary(self, name: str) -> dict:
        path = scenario_path(self.client, name)
        key = (path.stat().st_mtime_ns, self.period)
        cached = self._saved_cache.get(name)
        if cached is None or cached[0] != key:
            try:
                applied = apply_scenario(self.client, name)
                cached = (key, compute_bonuses(applied, self.period).totals, applied, "")
            except KpiToolkitError as exc:
                problems = getattr(exc, "problems", None)
                cached = (key, None, None, "; ".join(map(str, problems)) if problems else str(exc))
            self._saved_cache[name] = cached
        _, totals, applied, problems = cached
        if totals is None:
            return {"scheme": name, "pool": np.nan, "position_pool": np.nan, "position_blocked": np.nan,
                    "position_zero": np.nan, "company_blocked": np.nan, "weights": {}, "problems": problems}
        return self._summary(name, totals, position_scheme(applied, self.position).weights)

    def sensitivity(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Sensitivity of the pool under the settings being tried: to attainment (every line moved by
        ±5, ±10, ±20 %) and to each threshold (±0.05), see :mod:`kpi_toolkit.method.sensitivity`."""
        client = self.scenario_client()
        return attainment_sensitivity(client, self.period), threshold_sensitivity(client, self.period)
