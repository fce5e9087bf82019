#!/usr/bin/env python3
"""Generate the two demo clients shipped with the KPI Toolkit.

    .venv/bin/python tools/make_demo_clients.py            # writes clients/northwind, clients/sever-trade
    .venv/bin/python tools/make_demo_clients.py --out DIR  # somewhere else

The output is deterministic (seeded RNG, fixed PNG metadata): re-running the generator gives
byte-identical files, so the committed demo data can always be regenerated and diffed.

* ``northwind``   — Northwind Components Ltd, industrial components, English, GBP.
* ``sever-trade`` — ООО «Север-Трейд», wholesale of building materials, Russian, RUB.

Both are built to show every feature of the toolkit in the reported period (2026-09): a
strategy map with a goal supporting two parents, KPIs below their threshold, exactly one
employee blocked by a stop threshold, one hit by a stop factor, a missing fact excluded by
policy, lower-is-better, band and baseline KPIs, a payout curve, a cap, an employee who joined
in the middle of the period and one who left earlier, and the implementation project's
earned-value figures. Northwind also shows the plan forms of SPEC 3.5.1: a gate (a sales
manager's revenue pays nothing above target while cash collection is under 95 %), a modifier
(the production department's uplift for the month) and a payout curve whose points are in the
KPI's own units (client meetings: 10 pay half, 16 in full). ``tools/check_demo_clients.py`` asserts all of that.
All names, companies, figures and contacts are fictitious.
"""
from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
PERIODS = [f"2026-{m:02d}" for m in range(4, 10)]
REPORTED = PERIODS[-1]


# --------------------------------------------------------------------------- model


@dataclass
class Kpi:
    id: str
    name: str
    unit: str
    goal: str
    kind: str
    measure: str
    horizon: str
    timing: str
    form: str = "simple"
    direction: str = "higher"
    family: str | None = None
    source: str | None = None
    missing: str | None = None
    baseline: float | None = None
    band: tuple[float, float, float] | None = None  # low, high, tolerance
    share: float | None = None
    cost: float | None = None
    worth: float | None = None
    dec: int = 0  # decimals of plan and fact
    step: float = 1  # rounding step of plans that scale (amounts)
    sd: float = 0.08  # month-to-month spread of attainment
    maxv: float | None = None  # natural maximum of the fact (100 for a share in %)
    aggregate: tuple[str, str, str] | None = None  # team KPI: (sum|mean, aggregate_of, aggregate_over)


@dataclass
class PK:
    kpi: str
    weight: float | None  # None for a position on the strategy map: the map gives its weights
    plan: float | None
    threshold: float | None = None
    stop: float | None = None
    cap: float | None = None
    curve: str | None = None
    amount: bool = False  # the plan scales with the season, the person and the days worked
    team: tuple[tuple[str, str], ...] = ()  # plan and fact = sum over a team's (position, kpi)


@dataclass
class Position:
    id: str
    name: str
    dept: str
    v: float
    level: str
    kpis: list[PK]
    method: str = "head_on"  # "map": weights from the goals it owns (SPEC 3.2)
    reports_to: str | None = None


@dataclass
class Employee:
    id: str
    name: str
    position: str
    base: float | None
    start: str
    end: str | None = None
    fund: float | None = None
    lead: str | None = None  # team leader (for team-aggregated KPIs of foremen)
    dept: str | None = None


@dataclass
class Goal:
    id: str
    name: str
    perspective: str
    parents: list[tuple[str, float | None]] = field(default_factory=list)
    root_weight: float | None = None
    owner: str | None = None  # the accountable position; empty: the map's owner (the CEO)


@dataclass
class Client:
    slug: str
    seed: int
    goals: list[Goal]
    kpis: list[Kpi]
    positions: list[Position]
    employees: list[Employee]
    stop_factors: list[tuple[str, str, str, float, float]]
    sf_series: dict[tuple[str, str], tuple[float, list[float]]]  # (emp, kpi) -> plan, facts
    overrides: dict[tuple[str, str], tuple]  # reported period: ("a", x) | ("fact", x) | ("pf", p, f) | ("missing",)
    season: list[float]
    project: list[tuple]
    curves: dict[str, tuple]  # name -> (kind, points) or (kind, points, "value") for points in the KPI's units
    budget_factor: float
    budget_step: int
    money_dec: int
    gates: list[tuple[str, str, float, str, float]] = field(default_factory=list)  # position, gate KPI, level, applies_to, cap
    modifiers: list[tuple[str, str, str, float, str]] = field(default_factory=list)  # period, scope, id, factor, reason


# --------------------------------------------------------------------------- helpers


def period_bounds(p: str) -> tuple[dt.date, dt.date]:
    y, m = map(int, p.split("-"))
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def active_fraction(e: Employee, p: str) -> tuple[int, int]:
    """Days worked in the period (both ends included) and days in the period."""
    lo, hi = period_bounds(p)
    s = max(lo, dt.date.fromisoformat(e.start))
    t = min(hi, dt.date.fromisoformat(e.end)) if e.end else hi
    return max(0, (t - s).days + 1), (hi - lo).days + 1


def rnd(x: float, dec: int) -> float:
    q = Decimal(1).scaleb(-dec)
    return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))


def fmt(x) -> str:
    """A CSV cell: empty for None, integers without a decimal point, else at most 2 decimals."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    if isinstance(x, str):
        return x
    d = Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    s = format(d, "f")
    return "0" if s in ("-0", "") else s


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([fmt(v) for v in r])
    path.write_text(buf.getvalue(), encoding="utf-8")


def curve_value(kind: str, points: list[tuple[float, float]], a: float) -> float:
    if a < points[0][0]:
        return 0.0
    if kind == "steps":
        return [c for x, c in points if x <= a][-1]
    for (x0, c0), (x1, c1) in zip(points, points[1:]):
        if x0 <= a <= x1:
            return c0 + (c1 - c0) * (a - x0) / (x1 - x0)
    return points[-1][1]


def on_value(curve: tuple) -> bool:
    """Whether a curve's points are facts in the KPI's units (``basis: value``), not attainment."""
    return len(curve) > 2 and curve[2] == "value"


def attainment(k: Kpi, plan, fact) -> float:
    """Attainment as SPEC 3.4, in exact decimals (a fact right at a threshold reaches it)."""
    plan = None if plan is None else Decimal(repr(plan))
    fact = Decimal(repr(fact))
    if k.direction == "band":
        lo, hi, tol = (Decimal(repr(x)) for x in k.band)
        dist = max(lo - fact, Decimal(0), fact - hi)
        return float(max(Decimal(0), 1 - dist / tol))
    if k.baseline is not None:
        b = Decimal(repr(k.baseline))
        return float((fact - b) / (plan - b))
    return float(plan / fact if k.direction == "lower" else fact / plan)


# --------------------------------------------------------------------------- generation


def fact_from(k: Kpi, plan: float, a: float) -> float:
    if k.baseline is not None:
        f = k.baseline + a * (plan - k.baseline)
    elif k.direction == "lower":
        f = plan / a
    else:
        f = plan * a
    if k.maxv is not None:
        f = min(f, k.maxv)
    f = rnd(f, k.dec)
    if k.direction == "lower" and f <= 0:
        f = 10.0 ** -k.dec
    return f


def generate_actuals(c: Client) -> list[list]:
    rng = np.random.default_rng(c.seed)
    kpis = {k.id: k for k in c.kpis}
    positions = {p.id: p for p in c.positions}
    curves = c.curves
    values: dict[tuple[str, str, str], tuple] = {}  # (period, emp, kpi) -> (plan, fact)
    order: list[tuple[str, str, str]] = []
    for e in c.employees:
        pos = positions[e.position]
        mu = float(np.clip(rng.normal(1.0, 0.05), 0.9, 1.1))
        size = float(np.clip(rng.normal(1.0, 0.08), 0.85, 1.15))
        for pi, p in enumerate(PERIODS):
            days, of = active_fraction(e, p)
            # drawn even when unused, so the stream does not depend on who is active
            draws = {pk.kpi: rng.normal(0, 1) for pk in pos.kpis}
            shocks = {pk.kpi: (rng.random() < 0.06) * rng.uniform(0.18, 0.35) for pk in pos.kpis}
            if days == 0:
                continue
            for pk in pos.kpis:
                k = kpis[pk.kpi]
                key = (p, e.id, k.id)
                order.append(key)
                if pk.team:
                    values[key] = None  # filled below from the team
                    continue
                # plan
                if k.direction == "band":
                    plan = None
                elif pk.amount:
                    raw = pk.plan * size * c.season[pi] * days / of
                    plan = max(k.step, round(raw / k.step) * k.step)
                    plan = rnd(plan, k.dec)
                else:
                    plan = pk.plan
                # fact
                if k.direction == "band":
                    lo, hi, tol = k.band
                    f = (lo + hi) / 2 + draws[k.id] * (hi - lo) / 4
                    if p == REPORTED:
                        f = min(max(f, lo), hi)
                    else:
                        f = min(max(f, lo - 0.7 * tol), hi + 0.7 * tol)
                    fact = rnd(f, k.dec)
                else:
                    # personal level, a learning curve over the pilot, noise and the odd bad month;
                    # rates (a share near 100 %, a margin) differ less between people than volumes
                    damp = 0.3 if k.maxv is not None else (1.0 if pk.amount else 0.5)
                    a = (1 + damp * (mu - 1) - 0.03 + 0.012 * pi + draws[k.id] * k.sd
                         - damp * shocks[k.id])
                    if p == REPORTED:
                        first = curves[pk.curve][1][0][0] if pk.curve else 0
                        if pk.curve and on_value(curves[pk.curve]):
                            first /= plan  # the first point is a fact: as attainment of this plan
                        floor = max(pk.threshold or 0, pk.stop or 0, first, 0.72) + 0.04
                        a = min(max(a, floor), 1.32)
                    else:
                        a = min(max(a, 0.8 if pk.stop else 0.55), 1.6)
                    fact = fact_from(k, plan, a)
                ov = c.overrides.get((e.id, k.id)) if p == REPORTED else None
                if ov:
                    if ov[0] == "a":
                        fact = fact_from(k, plan, ov[1])
                    elif ov[0] == "fact":
                        fact = ov[1]
                    elif ov[0] == "pf":
                        plan, fact = ov[1], ov[2]
                    elif ov[0] == "missing":
                        fact = None
                values[key] = (plan, fact)
    # team-aggregated KPIs (a head's revenue = the sum of the team's)
    by_id = {e.id: e for e in c.employees}
    for key in order:
        if values[key] is not None:
            continue
        p, eid, kid = key
        pk = next(x for x in positions[by_id[eid].position].kpis if x.kpi == kid)
        plan = fact = 0.0
        for (tpos, tkpi) in pk.team:
            for m in c.employees:
                if m.position != tpos or (m.lead and m.lead != eid):
                    continue
                v = values.get((p, m.id, tkpi))
                if v:
                    plan += v[0]
                    fact += v[1]
        values[key] = (rnd(plan, kpis[kid].dec), rnd(fact, kpis[kid].dec))
    # stop-factor indicators (facts the rules watch)
    for (eid, kid), (plan, series) in c.sf_series.items():
        e = by_id[eid]
        for pi, p in enumerate(PERIODS):
            if active_fraction(e, p)[0]:
                key = (p, eid, kid)
                order.append(key)
                values[key] = (plan, series[pi])
    rows = []
    for p in PERIODS:
        for key in order:
            if key[0] == p:
                rows.append([p, key[1], key[2], *values[key]])
    return rows


def bonus_pool(c: Client, actuals: list[list], period: str) -> tuple[float, dict]:
    """A rough pool estimate (the toolkit's engine is the reference) to size the budget."""
    kpis = {k.id: k for k in c.kpis}
    positions = {p.id: p for p in c.positions}
    act = {(r[0], r[1], r[2]): (r[3], r[4]) for r in actuals}
    total, per = 0.0, {}
    for e in c.employees:
        days, of = active_fraction(e, period)
        if not days:
            continue
        pos = positions[e.position]
        fund = e.fund if e.fund is not None else e.base * pos.v / (1 - pos.v)
        fund *= days / of
        lines, wsum, d = [], 0.0, 1.0
        for pk in pos.kpis:
            plan, fact = act[(period, e.id, pk.kpi)]
            if fact is None:
                continue
            a = attainment(kpis[pk.kpi], plan, fact)
            if pk.stop is not None and a < pk.stop:
                d = 0.0
            if pk.curve:
                curve = c.curves[pk.curve]
                coef = curve_value(curve[0], curve[1], fact if on_value(curve) else a)
            else:
                coef = 0.0 if (pk.threshold is not None and a < pk.threshold) else a
                if pk.cap is not None:
                    coef = min(coef, pk.cap)
            for (gpos, gkpi, level, applies_to, gcap) in c.gates:  # a shut gate caps what it applies to
                if gpos == e.position and applies_to == pk.kpi:
                    gplan, gfact = act[(period, e.id, gkpi)]
                    if attainment(kpis[gkpi], gplan, gfact) < level:
                        coef = min(coef, gcap)
            w = 1.0 if pk.weight is None else pk.weight  # a map position: equal weights, for the estimate
            lines.append((w, coef))
            wsum += w
        for (pid, kid, cond, limit, factor) in c.stop_factors:
            if pid != e.position or (period, e.id, kid) not in act:
                continue
            f = act[(period, e.id, kid)][1]
            if {"<": f < limit, "<=": f <= limit, ">": f > limit, ">=": f >= limit}[cond]:
                d *= factor
        dept = e.dept or pos.dept
        for (mperiod, scope, mid, factor, _) in c.modifiers:
            if mperiod == period and (scope == "company" or (scope, mid) in (
                    ("department", dept), ("position", e.position), ("employee", e.id))):
                d *= factor
        b = sum(fund * w / wsum * coef for w, coef in lines) * d
        per[e.id] = b
        total += b
    return total, per


# --------------------------------------------------------------------------- writing


def write_client(c: Client, out: Path, logo: dict) -> dict:
    folder = out / c.slug
    folder.mkdir(parents=True, exist_ok=True)
    # keep the natural reading order: goals as declared, one row per edge
    rows = []
    for g in c.goals:
        if not g.parents:
            rows.append([g.id, g.name, g.perspective, None, None, g.root_weight, g.owner])
        for par, s in g.parents:
            rows.append([g.id, g.name, g.perspective, par, s, None, g.owner])
    write_csv(folder / "goals.csv",
              ["goal_id", "name", "perspective", "parent_id", "strength", "root_weight", "owner"], rows)
    write_csv(folder / "kpis.csv",
              ["kpi_id", "name", "unit", "direction", "baseline", "band_low", "band_high", "band_tolerance",
               "missing", "goal_id", "share", "data_source", "kind", "measure", "horizon", "timing",
               "sales_family", "form", "measurement_cost", "measurement_worth", "aggregate", "aggregate_of",
               "aggregate_over"],
              [[k.id, k.name, k.unit, k.direction, k.baseline, *(k.band or (None, None, None)), k.missing,
                k.goal, k.share, k.source, k.kind, k.measure, k.horizon, k.timing, k.family, k.form,
                k.cost, k.worth, *(k.aggregate or (None, None, None))] for k in c.kpis])
    write_csv(folder / "positions.csv",
              ["position_id", "name", "department", "variable_share", "level", "method", "reports_to"],
              [[p.id, p.name, p.dept, p.v, p.level, p.method, p.reports_to] for p in c.positions])
    write_csv(folder / "position_kpis.csv",
              ["position_id", "kpi_id", "weight", "threshold", "stop_threshold", "cap", "curve"],
              [[p.id, pk.kpi, pk.weight, pk.threshold, pk.stop, pk.cap, pk.curve]
               for p in c.positions for pk in p.kpis])
    write_csv(folder / "stop_factors.csv", ["position_id", "kpi_id", "condition", "limit", "factor"],
              [list(r) for r in c.stop_factors])
    if c.gates:  # optional tables: written only by a client that uses them
        write_csv(folder / "gates.csv", ["position_id", "gate_kpi_id", "level", "applies_to", "cap"],
                  [list(r) for r in c.gates])
    if c.modifiers:
        write_csv(folder / "modifiers.csv", ["period", "scope", "id", "factor", "reason"],
                  [list(r) for r in c.modifiers])
    positions = {p.id: p for p in c.positions}
    write_csv(folder / "employees.csv",
              ["employee_id", "name", "position_id", "department", "base_salary", "bonus_fund",
               "start_date", "end_date"],
              [[e.id, e.name, e.position, e.dept or positions[e.position].dept, e.base, e.fund, e.start, e.end]
               for e in c.employees])
    actuals = generate_actuals(c)
    team = {k.id for k in c.kpis if k.aggregate}  # the toolkit adds up a team KPI: it has no rows of its own
    write_csv(folder / "actuals.csv", ["period", "employee_id", "kpi_id", "plan", "fact"],
              [r for r in actuals if r[2] not in team])
    write_csv(folder / "project.csv",
              ["period", "pv", "ev", "ac", "bac", "scope_planned", "scope_delivered", "issues_opened",
               "issues_closed"], [list(r) for r in c.project])
    draw_logo(folder / "logo.png", **logo)
    return {"actuals": actuals}


def draw_logo(path: Path, initials: str, title: str, subtitle: str, colour: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig = plt.figure(figsize=(4, 1.2), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 400)
    ax.set_ylim(0, 120)
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((14, 16), 88, 88, boxstyle="round,pad=0,rounding_size=16",
                                facecolor=colour, edgecolor="none"))
    ax.text(58, 60, initials, color="white", fontsize=27, fontweight="bold", ha="center", va="center",
            family="DejaVu Sans")
    ax.text(118, 72, title, color=colour, fontsize=21, fontweight="bold", ha="left", va="center",
            family="DejaVu Sans")
    ax.plot([118, 386], [50, 50], color=colour, linewidth=1.5, alpha=0.6)
    ax.text(119, 34, subtitle, color="#4D4D4D", fontsize=8.5, ha="left", va="center", family="DejaVu Sans")
    fig.savefig(path, dpi=100, facecolor="white", metadata={"Software": None})
    plt.close(fig)


def round_to(x: float, step: int) -> int:
    return int(Decimal(x / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


# =========================================================================== Northwind (en)


def northwind() -> tuple[Client, callable, dict]:
    G = Goal
    goals = [
        G("grow_profit", "Grow operating profit to £2.4m by FY2027", "finance", root_weight=0.7),
        G("strong_cash", "Keep cash flow healthy: release working capital", "finance", root_weight=0.3),
        G("grow_revenue", "Grow revenue by 15 % a year", "finance", [("grow_profit", 2)], owner="head-of-sales"),
        G("protect_margin", "Hold gross margin at 27 % or above", "finance", [("grow_profit", None)]),
        G("win_key_accounts", "Win and grow OEM key accounts", "customers", [("grow_revenue", None)],
          owner="head-of-sales"),
        G("reliable_delivery", "Be the most reliable supplier: on time, in full, right first time", "customers",
          [("grow_revenue", None), ("protect_margin", None)], owner="production-foreman"),
        G("customer_loyalty", "Keep customers coming back", "customers", [("grow_revenue", None)],
          owner="marketing-manager"),
        G("lead_generation", "Generate a steady flow of qualified leads", "processes", [("win_key_accounts", None)],
          owner="marketing-manager"),
        G("sales_discipline", "Run a disciplined sales process: funnel, contact norms, fast quotes", "processes",
          [("win_key_accounts", None), ("customer_loyalty", None)], owner="head-of-sales"),
        G("sell_to_plan", "Every salesperson sells to plan", "processes", [("grow_revenue", None)],
          owner="sales-manager"),
        G("lean_production", "Produce to plan with minimal scrap", "processes",
          [("reliable_delivery", 2), ("protect_margin", None)], owner="production-foreman"),
        G("inventory_control", "Keep raw material stock within the norm", "processes",
          [("strong_cash", None), ("lean_production", None)], owner="production-foreman"),
        G("fast_close", "Close the books fast, pay and file on time", "processes", [("strong_cash", None)],
          owner="chief-accountant"),
        G("contract_risk", "Review contracts quickly and recover overdue debt", "processes", [("strong_cash", None)],
          owner="legal-counsel"),
        G("retain_staff", "Retain and develop skilled people", "learning",
          [("lean_production", None), ("sales_discipline", None)]),
        G("crm_adoption", "Every deal and client contact recorded in the CRM", "learning",
          [("sales_discipline", None)]),
    ]
    K = Kpi
    SAGE, CRM, NOM, MES = "Sage 200 sales ledger", "HubSpot CRM", "Sage 200 nominal ledger", "MES shift reports"
    kpis = [
        K("operating_profit", "Operating profit against budget", "GBP", "grow_profit", "target", "result",
          "strategic", "lagging", source="Monthly management accounts", step=1000),
        K("revenue", "Revenue invoiced against plan", "GBP", "sell_to_plan", "target", "result", "operational",
          "lagging", family="clients_in_work", source=SAGE, share=2, step=1000, sd=0.11),
        K("team_revenue", "Sales team revenue against plan", "GBP", "grow_revenue", "target", "result",
          "operational", "lagging", family="clients_in_work", source=SAGE, form="aggregated", share=2, step=1000,
          aggregate=("sum", "revenue", "reports")),
        K("key_account_revenue", "Revenue from assigned key accounts", "GBP", "grow_revenue", "target", "result",
          "operational", "lagging", family="clients_in_work", source=SAGE, step=1000, sd=0.12),
        K("gross_margin", "Gross margin on own sales", "%", "protect_margin", "target", "efficiency", "operational",
          "lagging", family="clients_in_work", source=SAGE, dec=1, sd=0.04),
        K("cash_collection", "Cash collected from customers against the collection plan", "GBP", "strong_cash",
          "target", "result", "operational", "lagging", family="clients_in_work", source=SAGE, share=2, step=1000, sd=0.06),
        K("dso", "Days sales outstanding (DSO)", "days", "strong_cash", "target", "efficiency", "operational",
          "lagging", direction="lower", form="aggregated", source=SAGE, dec=1, sd=0.06),
        K("new_accounts", "New accounts with a first shipment", "accounts", "win_key_accounts", "target", "result",
          "operational", "leading", family="clients_in_work", source=CRM, missing="zero"),
        K("client_meetings", "Meetings held with key and regular clients", "meetings", "sales_discipline", "process",
          "functioning", "operational", "leading", family="client_attention", source=CRM, sd=0.14),
        K("quote_response_time", "Average response time to a customer enquiry", "hours", "sales_discipline",
          "process", "performance", "operational", "leading", direction="lower", family="time_regulations",
          source=CRM, dec=1, sd=0.1),
        K("quotes_issued", "Quotations issued", "quotes", "sales_discipline", "process", "performance",
          "operational", "leading", family="work_intensity", source=CRM, sd=0.1),
        K("order_accuracy", "Sales orders entered without errors", "%", "reliable_delivery", "process",
          "functioning", "operational", "leading", source="Sage 200 order audit", dec=1, sd=0.015, maxv=100),
        K("otif", "Orders delivered on time and in full (OTIF)", "%", "reliable_delivery", "target", "result",
          "operational", "lagging", form="aggregated", source="Sage 200 despatch records", dec=1, cost=400,
          worth=2500),
        K("customer_nps", "Customer satisfaction, monthly pulse survey (NPS)", "points", "customer_loyalty",
          "external", "result", "strategic", "lagging", form="aggregated", missing="exclude",
          source="Customer pulse survey (Qualtrics)", cost=650, worth=1200, sd=0.1),
        K("qualified_leads", "Marketing-qualified leads passed to sales", "leads", "lead_generation", "process",
          "result", "operational", "leading", family="clients_in_work", source="HubSpot marketing hub", sd=0.1),
        K("cost_per_lead", "Cost per qualified lead", "GBP", "lead_generation", "process", "cost", "operational",
          "leading", direction="lower", source="HubSpot marketing hub", dec=2, sd=0.08),
        K("close_days", "Working days to close the month", "days", "fast_close", "process", "performance",
          "operational", "lagging", direction="lower", source=NOM, dec=1, sd=0.08),
        K("statutory_on_time", "VAT and statutory returns filed on time", "%", "fast_close", "process",
          "functioning", "operational", "lagging", source="HMRC filing log", sd=0.03, maxv=100),
        K("payments_on_time", "Supplier payments made on the due date", "%", "fast_close", "process",
          "functioning", "operational", "lagging", source="Sage 200 purchase ledger", dec=1, sd=0.03, maxv=100),
        K("docs_on_time", "Purchase invoices and delivery notes posted within 2 days", "%", "fast_close",
          "process", "performance", "operational", "leading", source=NOM, dec=1, sd=0.04, maxv=100),
        K("contract_review_days", "Average contract review time", "days", "contract_risk", "process",
          "performance", "operational", "leading", direction="lower", source="Legal request log", dec=1, sd=0.1),
        K("debt_recovered", "Overdue debt recovered through claims", "GBP", "contract_risk", "target", "result",
          "operational", "lagging", source=SAGE, step=500, sd=0.15),
        K("claims_won", "Share of claims and disputes won or settled in our favour", "%", "contract_risk",
          "target", "result", "strategic", "lagging", cost=300, worth=200, sd=0.12, maxv=100),
        K("output", "Good parts produced against the production plan", "pcs", "lean_production", "target",
          "result", "operational", "lagging", source=MES, step=10, sd=0.06),
        K("scrap_rate", "Scrap rate", "%", "lean_production", "process", "cost", "operational", "lagging",
          direction="lower", source="QA non-conformance log", dec=2, sd=0.08),
        K("first_pass_yield", "First-pass yield at final inspection", "%", "lean_production", "process",
          "functioning", "operational", "leading", baseline=90, source="QA non-conformance log", dec=1,
          sd=0.1, maxv=100),
        K("raw_stock_days", "Raw material stock (bar stock and castings)", "days", "inventory_control", "process",
          "efficiency", "operational", "leading", direction="band", band=(10, 15, 5), source="Sage 200 stock ledger",
          dec=1),
        K("quality_claims", "Customer quality claims", "claims", "reliable_delivery", "external", "result",
          "operational", "lagging", direction="lower", source="QA non-conformance log"),
        K("staff_turnover", "Staff turnover, rolling 12 months", "ratio", "retain_staff", "target", "result",
          "strategic", "lagging", direction="lower", form="dynamic", source="HR system (BreatheHR)", dec=2),
        K("training_hours", "Training hours per employee", "hours", "retain_staff", "process", "functioning",
          "strategic", "leading", cost=350, worth=250, dec=1),
        K("crm_completeness", "Deals and client contacts logged in the CRM", "%", "crm_adoption", "process",
          "functioning", "operational", "leading", form="aggregated", source=CRM, cost=120, worth=900, dec=1,
          sd=0.03, maxv=100),
    ]
    P = Position
    positions = [
        # The managing director and the heads of departments are on the strategy map (method map: the
        # weights come from the goals each owns); line staff get their weights head-on.
        P("managing-director", "Managing Director", "Management", 0.3, "ceo", [
            PK("operating_profit", None, 195000, 0.8, cap=1.2),
            PK("cash_collection", None, 1150000, 0.85, cap=1.2),
            PK("gross_margin", None, 27.5, 0.8, cap=1.2)], method="map"),
        P("head-of-sales", "Head of Sales", "Sales", 0.25, "head", [
            PK("team_revenue", None, 0, 0.7, cap=1.3, team=(("sales-manager", "revenue"),)),
            PK("key_account_revenue", None, 0, 0.7, cap=1.3, team=(("key-account-manager", "key_account_revenue"),)),
            PK("new_accounts", None, 6, 0.6, cap=1.5)], method="map"),
        P("key-account-manager", "Key Account Manager", "Sales", 0.4, "lead", [
            PK("key_account_revenue", 0.4, 160000, curve="sales_curve", amount=True),
            PK("gross_margin", 0.25, 26, 0.8, cap=1.2),
            PK("client_meetings", 0.2, 20, 0.6, cap=1.3),
            PK("crm_completeness", 0.15, 95, 0.7)], reports_to="head-of-sales"),
        P("sales-manager", "Sales Manager", "Sales", 0.5, "line", [
            PK("revenue", 0.5, 85000, 0.7, cap=1.5, amount=True),
            PK("cash_collection", 0.3, 80000, 0.85, stop=0.85, amount=True),
            PK("client_meetings", 0.2, 16, curve="meetings_scale")], reports_to="head-of-sales"),
        P("sales-coordinator", "Sales Support Coordinator", "Sales", 0.2, "line", [
            PK("quote_response_time", 0.5, 4, 0.7, cap=1.2),
            PK("order_accuracy", 0.3, 98.5, 0.8),
            PK("quotes_issued", 0.2, 120, 0.6, cap=1.3, amount=True)], reports_to="head-of-sales"),
        P("marketing-manager", "Marketing Manager", "Marketing", 0.25, "head", [
            PK("qualified_leads", None, 0, 0.7, cap=1.3, team=(("marketing-specialist", "qualified_leads"),)),
            PK("cost_per_lead", None, 38, 0.7, cap=1.2),
            PK("customer_nps", None, 45, 0.6)], method="map"),
        P("marketing-specialist", "Digital Marketing Specialist", "Marketing", 0.2, "line", [
            PK("qualified_leads", 0.6, 250, 0.7, cap=1.3, amount=True),
            PK("cost_per_lead", 0.4, 40, 0.7, cap=1.2)]),
        P("chief-accountant", "Chief Accountant", "Finance", 0.25, "head", [
            PK("close_days", None, 5, 0.7, cap=1.2),
            PK("statutory_on_time", None, 100, 0.9),
            PK("payments_on_time", None, 97, 0.8),
            PK("docs_on_time", None, 95, 0.8)], method="map"),
        P("accountant", "Accountant", "Finance", 0.15, "line", [
            PK("payments_on_time", 0.6, 97, 0.8),
            PK("docs_on_time", 0.4, 95, 0.8)]),
        P("legal-counsel", "Legal Counsel", "Legal", 0.2, "lead", [
            PK("contract_review_days", None, 3, 0.7, cap=1.2),
            PK("debt_recovered", None, 40000, 0.6, cap=1.5, amount=True),
            PK("claims_won", None, 75, 0.6)], method="map"),
        P("production-foreman", "Production Foreman", "Production", 0.25, "lead", [
            PK("output", None, 0, 0.8, cap=1.2, team=(("production-operator", "output"),)),
            PK("scrap_rate", None, 2.0, 0.7, cap=1.3),
            PK("first_pass_yield", None, 97, 0.7),
            PK("raw_stock_days", None, None, 0.7)], method="map"),
        P("production-operator", "CNC Machine Operator", "Production", 0.15, "line", [
            PK("output", 0.6, 1450, 0.8, cap=1.2, amount=True),
            PK("first_pass_yield", 0.4, 97, 0.7)]),
    ]
    E = Employee
    emps = [
        E("E001", "Daniel Whitaker", "head-of-sales", 6800, "2016-02-01"),
        E("E002", "Sarah Mitchell", "key-account-manager", 4500, "2017-05-15"),
        E("E003", "James O'Connor", "key-account-manager", 4300, "2019-09-02"),
        E("E004", "Priya Raman", "key-account-manager", 4200, "2021-03-01"),
        E("E005", "Thomas Hale", "key-account-manager", 4100, "2022-01-10"),
        E("E006", "Oliver Bennett", "sales-manager", 3100, "2018-04-03"),
        E("E007", "Emily Carter", "sales-manager", 2900, "2020-06-15"),
        E("E008", "Ryan Doyle", "sales-manager", 2800, "2021-10-04"),
        E("E009", "Hannah Price", "sales-manager", 3000, "2019-01-14"),
        E("E010", "Mohammed Iqbal", "sales-manager", 2700, "2023-02-06"),
        E("E011", "Chloe Turner", "sales-manager", 2800, "2022-07-11", end="2026-06-19"),
        E("E012", "Liam Foster", "sales-manager", 2650, "2024-03-04"),
        E("E013", "Grace Holloway", "sales-coordinator", 2400, "2019-11-18"),
        E("E014", "Aisha Khan", "sales-coordinator", 2300, "2023-05-22"),
        E("E015", "Megan Rhodes", "sales-coordinator", 2250, "2024-08-12"),
        E("E016", "Rebecca Stanton", "marketing-manager", 4700, "2020-02-03", fund=1600),
        E("E017", "Nathan Pryce", "marketing-specialist", 2900, "2022-09-05"),
        E("E018", "Zoe Ellison", "marketing-specialist", 2800, "2024-01-15"),
        E("E019", "Margaret Collins", "chief-accountant", 5400, "2014-06-02"),
        E("E020", "Helen Brooks", "accountant", 2900, "2015-03-09"),
        E("E021", "Paul Jennings", "accountant", 2700, "2018-10-01"),
        E("E022", "Kate Sutton", "accountant", 2600, "2021-04-12"),
        E("E023", "Anil Desai", "accountant", 2500, "2023-09-04"),
        E("E024", "Victoria Ashworth", "legal-counsel", None, "2017-01-09", fund=1150),
        E("E025", "Simon Gallagher", "legal-counsel", None, "2021-11-01", fund=1000),
        E("E026", "Gareth Williams", "production-foreman", 3500, "2012-08-20"),
        E("E027", "Steve Marsh", "production-foreman", 3400, "2015-05-11"),
        E("E028", "Łukasz Nowak", "production-foreman", 3300, "2018-02-26"),
    ]
    ops = [("Dean Harper", 2400, "2013-04-15"), ("Craig Fletcher", 2350, "2016-09-05"),
           ("Kieran Walsh", 2300, "2019-03-18"), ("Mark Thompson", 2350, "2014-11-03"),
           ("Tomasz Kowalski", 2250, "2022-06-20"), ("Jason Lee", 2200, "2023-10-09"),
           ("Neil Barker", 2400, "2012-01-16"), ("Sophie Grant", 2250, "2021-08-02"),
           ("Adam Richardson", 2300, "2020-05-26"), ("Darren Hughes", 2350, "2017-07-17"),
           ("Marcus Reid", 2200, "2024-02-12"), ("Lewis Cooper", 2150, "2025-01-13"),
           ("Andrzej Wiśniewski", 2300, "2019-10-14"), ("Paul McKenna", 2350, "2016-03-07"),
           ("Ben Atkinson", 2200, "2023-04-24"), ("Ian Shaw", 2250, "2022-11-28"),
           ("Connor Blake", 2150, "2026-06-01")]
    leads = ["E026"] * 6 + ["E027"] * 6 + ["E028"] * 5
    for i, ((name, base, start), lead) in enumerate(zip(ops, leads)):
        emps.append(E(f"E{29 + i:03d}", name, "production-operator", base, start, lead=lead))
    emps.append(E("E046", "Jack Morrison", "sales-manager", 2600, "2026-09-15"))
    emps.append(E("E047", "Richard Hallam", "managing-director", 9500, "2019-04-01"))

    c = Client(
        slug="northwind", seed=20260401, goals=goals, kpis=kpis, positions=positions, employees=emps,
        stop_factors=[("head-of-sales", "staff_turnover", ">", 0.1, 0.5),
                      ("production-foreman", "quality_claims", ">", 3, 0.7)],
        sf_series={("E001", "staff_turnover"): (0.06, [0.07, 0.07, 0.13, 0.13, 0.13, 0.13]),
                   ("E026", "quality_claims"): (2, [1, 2, 1, 1, 1, 1]),
                   ("E027", "quality_claims"): (2, [2, 1, 3, 4, 2, 2]),
                   ("E028", "quality_claims"): (2, [1, 1, 1, 2, 1, 1])},
        overrides={
            ("E008", "cash_collection"): ("a", 0.81),  # blocked by the stop threshold 0.85
            ("E010", "revenue"): ("a", 0.66),  # under the 70 % threshold
            ("E009", "revenue"): ("a", 1.56),  # over the cap 1.5
            ("E014", "quote_response_time"): ("a", 0.645),  # lower-is-better, under threshold
            ("E004", "client_meetings"): ("pf", 20, 12),  # exactly at the 60 % threshold
            ("E002", "key_account_revenue"): ("a", 1.24),  # payout curve above target
            ("E027", "raw_stock_days"): ("fact", 17.5),  # band KPI out of the band
            ("E033", "first_pass_yield"): ("fact", 94.5),  # baseline KPI under threshold
            ("E016", "customer_nps"): ("missing",),  # survey not delivered: excluded
            ("E007", "revenue"): ("a", 1.2),  # over target, but ...
            ("E007", "cash_collection"): ("a", 0.9),  # ... cash under 95 %: the gate holds revenue at 1
            ("E006", "client_meetings"): ("fact", 10),  # exactly at the curve's first point: pays half
        },
        season=[1.0, 1.03, 1.05, 0.97, 0.88, 1.07],
        project=[("2026-04", 12000, 9500, 10600, 96000, 3, 2, 5, 1),
                 ("2026-05", 27000, 22000, 24300, 96000, 7, 5, 9, 6),
                 ("2026-06", 44000, 37400, 41100, 96000, 12, 10, 8, 9),
                 ("2026-07", 61000, 54300, 58700, 96000, 17, 15, 6, 7),
                 ("2026-08", 79000, 72700, 77800, 96000, 21, 19, 4, 6),
                 ("2026-09", 96000, 91200, 96800, 96000, 24, 23, 3, 4)],
        curves={"sales_curve": ("linear", [(0.7, 0.5), (1.0, 1.0), (1.3, 1.5)]),
                "meetings_scale": ("linear", [(10, 0.5), (16, 1.0), (20, 1.3)], "value")},
        budget_factor=0.96, budget_step=1000, money_dec=2,
        gates=[("sales-manager", "cash_collection", 0.95, "revenue", 1)],
        modifiers=[(REPORTED, "department", "Production", 1.1,
                    "Line 3 commissioned two weeks ahead of schedule")],
    )

    def yaml_text(ctx: dict) -> str:
        return f"""\
# Northwind Components Ltd — demo client of the KPI Toolkit (English, GBP).
# Generated by tools/make_demo_clients.py; edit the generator, not this file.
# The company, people, figures and contacts are fictitious.

name: Northwind Components Ltd
language: en                  # report language: en | ru
currency: GBP                 # ISO 4217; money is rounded to pence
period: "{REPORTED}"             # the period reported (actuals run {PERIODS[0]} .. {REPORTED})
bonus_period_months: 1        # monthly bonus
bonus_budget: {ctx['budget']}           # bonus pool budget per month, GBP (the board's cap for the pilot)

contacts:
  - {{name: Richard Hallam, role: Managing Director (project sponsor), email: richard.hallam@northwind.example, phone: "+44 113 496 0101"}}
  - {{name: Claire Dunmore, role: HR Director (project owner), email: claire.dunmore@northwind.example, phone: "+44 113 496 0144"}}
  - {{name: Margaret Collins, role: Chief Accountant (data owner), email: margaret.collins@northwind.example, phone: "+44 113 496 0172"}}

# Intake questionnaire (stage 00), answered at the kick-off workshop.
questionnaire:
  organisation: Northwind Components Ltd, Leeds (UK). Private limited company, founder-run until 2019, now managed by a professional board.
  contacts: Richard Hallam, Managing Director (sponsor); Claire Dunmore, HR Director (project owner); Margaret Collins, Chief Accountant (data owner) — see contacts above.
  activity: Manufacture and distribution of industrial components — precision-machined fittings, bearing housings and fasteners for OEMs and MRO distributors.
  regional_units: Head office and machining plant in Leeds; sales offices in Birmingham and Glasgow; a bonded warehouse in Rotterdam serving EU customers.
  structure: Managing director; sales (head of sales, key account managers, sales managers, sales support); marketing; finance; legal; production (three machining lines, a foreman each). About 140 staff in total.
  problem: Revenue grew 4 % last year against a 12 % plan. Sales bonuses are a flat percentage of invoiced sales, so they reward volume regardless of margin or payment; overdue receivables doubled. Back-office and production staff have no variable pay at all.
  scope: "Phase 1 (pilot): sales, marketing, finance, legal and production — {ctx['headcount']} people. Phase 2: warehouse, purchasing and the Rotterdam office."
  headcount: {ctx['headcount']}
  goals: Grow revenue 15 % a year at a gross margin of at least 27 %; bring DSO under 45 days; cut scrap to 1.5 %; keep sales staff turnover under 10 %.
  it_department: Two people in-house (IT manager, systems analyst). Sage 200 (ledgers, orders, stock, payroll), HubSpot CRM and marketing hub, a shop-floor MES.
  integration: Monthly CSV export of actuals from Sage 200, HubSpot and the MES; bonus results go back to Sage payroll as a CSV import.
  expected_results: A transparent monthly bonus tied to plan, margin and cash; a KPI matrix for every position; a one-page dashboard for the board; bonus cost kept within budget.

# Readiness (SPEC 3.9): yes | partly | no
readiness:
  management_involved: "yes"      # the board built the goal tree in two workshops
  kpis_computable: "partly"       # legal and survey KPIs are still kept in spreadsheets
  kpis_from_goals: "yes"
  tied_to_motivation: "partly"    # sales only today; back office gets its first variable pay
  departments_covered: "partly"   # warehouse and purchasing come in phase 2
  personal_motivation: "no"       # no career paths or non-cash recognition yet
  short_bonus_periods: "yes"      # monthly
  independent_data_entry: "no"    # sales managers enter their own meetings in the CRM
  management_accounting: "yes"
  past_owner_stage: "yes"

branding:
  logo: logo.png
  colour: "#1F4E79"
  consultancy: Meridian Performance Consulting   # who prepared the reports (PDF author)

# Payout curves (attainment -> coefficient), used by position_kpis.curve.
payout_curves:
  sales_curve:                # key account managers: 70 % pays half, 100 % pays in full, 130 % pays 1.5
    type: linear
    label: {{en: Key account sales scale, ru: Шкала продаж ключевым клиентам}}
    points: [[0.7, 0.5], [1.0, 1.0], [1.3, 1.5]]
  meetings_scale:             # sales managers, in meetings held (not attainment): 10 pay half, 16 in full, 20 pay 1.3
    type: linear
    basis: value
    label: {{en: Client meetings scale, ru: Шкала встреч с клиентами}}
    points: [[10, 0.5], [16, 1.0], [20, 1.3]]

# Sales funnel and activity norms (SPEC 3.7), per month.
funnel:
  revenue_plan: {ctx['revenue_plan']}        # the sales team's plan for {REPORTED}, GBP
  average_deal: 14500
  sales_managers: {ctx['sales_managers']}            # sales managers and key account managers
  stages:                     # from the deal back to first contact; conversion = share of this stage that reaches the next
    - {{stage: contracts, conversion: 0.85}}
    - {{stage: meetings, conversion: 0.45}}
    - {{stage: qualified_leads, conversion: 0.4}}
    - {{stage: leads, conversion: 0.3}}
  segments:                   # contacts per client per month
    - {{segment: key_accounts, clients: 36, calls: 4, letters: 2, meetings: 1}}
    - {{segment: regular, clients: 310, calls: 1, letters: 1, meetings: 0}}
    - {{segment: prospects, clients: 150, calls: 1, letters: 2, meetings: 0}}
  activity_minutes: {{calls: 12, letters: 20, meetings: 120}}
  working_hours: 160

project_start: "2026-03-16"   # kick-off of the implementation project
project_thresholds: {{green: 0.95, amber: 0.85}}
"""

    logo = dict(initials="NC", title="Northwind", subtitle="COMPONENTS LTD  ·  LEEDS", colour="#1F4E79")
    return c, yaml_text, logo


# =========================================================================== Север-Трейд (ru)


def sever_trade() -> tuple[Client, callable, dict]:
    G = Goal
    goals = [
        G("profit_growth", "Увеличить чистую прибыль до 60 млн руб. в 2027 году", "finance", root_weight=0.6),
        G("cash_flow", "Обеспечить устойчивый денежный поток без кассовых разрывов", "finance", root_weight=0.4),
        G("revenue_growth", "Увеличить выручку на 20 % в год", "finance", [("profit_growth", None)],
          owner="head-of-sales"),
        G("margin", "Удерживать валовую маржу не ниже 22 %", "finance", [("profit_growth", None)],
          owner="head-of-sales"),
        G("client_base", "Расширить базу строительных и ремонтных компаний", "customers", [("revenue_growth", None)]),
        G("service_level", "Отгружать заказы полностью, без ошибок и в срок", "customers", [("revenue_growth", None)]),
        G("loyalty", "Повысить долю повторных закупок", "customers",
          [("revenue_growth", 2), ("margin", None)]),
        G("lead_flow", "Обеспечить стабильный поток целевых обращений", "processes", [("client_base", None)],
          owner="head-of-marketing"),
        G("sales_process", "Выстроить воронку продаж и нормативы контактов с клиентами", "processes",
          [("client_base", None), ("loyalty", None)]),
        G("warehouse", "Комплектовать заказы быстро и без ошибок", "processes", [("service_level", None)]),
        G("packing", "Фасовать сухие смеси по плану с минимальным браком", "processes",
          [("service_level", None), ("margin", None)], owner="production-foreman"),
        G("receivables", "Контролировать дебиторскую задолженность и платёжную дисциплину", "processes",
          [("cash_flow", 2)], owner="head-of-sales"),
        G("accounting", "Закрывать месяц быстро и сдавать отчётность в срок", "processes", [("cash_flow", None)],
          owner="chief-accountant"),
        G("legal_protection", "Снизить правовые риски договоров и взыскивать долги", "processes",
          [("receivables", None)], owner="head-of-legal"),
        G("staff", "Удерживать и обучать ключевых сотрудников", "learning",
          [("sales_process", None), ("packing", None)]),
        G("crm", "Перевести все продажи и контакты в CRM", "learning", [("sales_process", None)]),
        G("automation", "Автоматизировать управленческий учёт в 1С:ERP", "learning", [("accounting", None)]),
    ]
    K = Kpi
    UT, B24, BUH = "1С:Управление торговлей", "Битрикс24 (CRM)", "1С:Бухгалтерия"
    kpis = [
        K("net_profit", "Чистая прибыль по управленческому учёту", "руб.", "profit_growth", "target", "result",
          "strategic", "lagging", source="Управленческая отчётность (Excel)", step=10000),
        K("operating_cash_flow", "Операционный денежный поток", "руб.", "cash_flow", "target", "result",
          "strategic", "lagging", source="Управленческая отчётность (Excel)", step=10000),
        K("revenue", "Выручка от отгрузок", "руб.", "revenue_growth", "target", "result", "operational", "lagging",
          family="clients_in_work", source=UT, share=2, step=10000, sd=0.12),
        K("gross_margin", "Валовая маржа", "%", "margin", "target", "efficiency", "operational", "lagging",
          family="clients_in_work", source=UT, dec=1, sd=0.04),
        K("receivables_overdue", "Доля просроченной дебиторской задолженности", "%", "receivables", "target",
          "result", "operational", "lagging", direction="lower", form="aggregated", source=UT, dec=1, sd=0.1),
        K("payment_collection", "Поступление оплат от клиентов по плану оплат", "руб.", "receivables", "target",
          "result", "operational", "lagging", family="clients_in_work", source=UT, step=10000, sd=0.06),
        K("new_clients", "Новые клиенты с первой отгрузкой", "клиентов", "client_base", "target", "result",
          "operational", "leading", family="clients_in_work", source=B24, missing="zero", sd=0.15),
        K("active_clients", "Активные клиенты (с отгрузкой в месяце)", "клиентов", "client_base", "target",
          "result", "operational", "leading", family="clients_in_work", source=UT, sd=0.08),
        K("client_contacts", "Контакты с клиентами по нормативу (звонки, письма, встречи)", "контактов",
          "sales_process", "process", "functioning", "operational", "leading", family="client_attention",
          source=B24, sd=0.12),
        K("proposal_time", "Срок подготовки коммерческого предложения", "ч", "sales_process", "process",
          "performance", "operational", "leading", direction="lower", family="time_regulations", source=B24,
          dec=1, sd=0.1),
        K("crm_deals_share", "Доля сделок, проведённых через CRM", "%", "crm", "process", "functioning",
          "operational", "leading", family="work_intensity", form="aggregated", source=B24, cost=15000,
          worth=90000, dec=1),
        K("repeat_share", "Доля выручки от повторных клиентов", "%", "loyalty", "target", "result", "strategic",
          "lagging", family="clients_in_work", form="aggregated", source=UT, dec=1),
        K("leads", "Целевые обращения (лиды)", "обращений", "lead_flow", "process", "result", "operational",
          "leading", family="clients_in_work", source="Битрикс24 и Яндекс Метрика", sd=0.1),
        K("cost_per_lead", "Стоимость целевого обращения", "руб.", "lead_flow", "process", "cost", "operational",
          "leading", direction="lower", source="Яндекс Директ и Битрикс24", sd=0.08),
        K("site_conversion", "Конверсия посетителей сайта в заявку", "%", "lead_flow", "process", "efficiency",
          "operational", "leading", source="Яндекс Метрика", dec=2, sd=0.08, missing="exclude"),
        K("market_share", "Доля рынка сухих смесей в Санкт-Петербурге и Ленинградской области", "%", "client_base",
          "external", "result", "strategic", "lagging", missing="exclude",
          source="Мониторинг рынка (внешнее агентство)", cost=45000, worth=60000, dec=1, sd=0.05),
        K("close_days", "Срок закрытия месяца", "раб. дней", "accounting", "process", "performance",
          "operational", "lagging", direction="lower", source=BUH, dec=1, sd=0.08),
        K("tax_reports_on_time", "Налоговая отчётность, сданная в срок", "%", "accounting", "process",
          "functioning", "operational", "lagging", source="Контур.Экстерн", sd=0.03, maxv=100),
        K("primary_docs", "Первичные документы, обработанные в срок", "%", "accounting", "process", "performance",
          "operational", "leading", source=BUH, dec=1, sd=0.04, maxv=100),
        K("payments_on_time", "Платежи поставщикам, проведённые в срок", "%", "accounting", "process",
          "functioning", "operational", "lagging", source=BUH, dec=1, sd=0.03, maxv=100),
        K("cases_won", "Доля выигранных судебных дел", "%", "legal_protection", "target", "result", "strategic",
          "lagging", source="Реестр судебных дел (Excel)", sd=0.12, maxv=100),
        K("contract_review_time", "Срок согласования договора юристом", "дней", "legal_protection", "process",
          "performance", "operational", "leading", direction="lower", source="Битрикс24 (согласования)", dec=1,
          sd=0.1),
        K("debt_recovered", "Взысканная просроченная задолженность", "руб.", "legal_protection", "target",
          "result", "operational", "lagging", source=UT, step=10000, sd=0.15),
        K("claims_on_time", "Претензии должникам, направленные в установленный срок", "%", "legal_protection",
          "process", "functioning", "operational", "leading", cost=8000, worth=5000, sd=0.05, maxv=100),
        K("packing_output", "Выпуск фасованной продукции", "т", "packing", "target", "result", "operational",
          "lagging", source="1С:ERP (выпуск продукции)", dec=1, step=1, sd=0.06),
        K("defect_rate", "Доля брака при фасовке", "%", "packing", "process", "cost", "operational", "lagging",
          direction="lower", source="Журнал ОТК", dec=2, sd=0.08),
        K("raw_stock_days", "Запас сырья (цемент, песок, добавки)", "дней", "packing", "process", "efficiency",
          "operational", "leading", direction="band", band=(7, 12, 4), source="1С:ERP (склад сырья)", dec=1),
        K("customer_claims", "Рекламации клиентов по качеству", "шт.", "service_level", "external", "result",
          "operational", "lagging", direction="lower", source="Журнал ОТК"),
        K("otif", "Заказы, отгруженные полностью и в срок", "%", "service_level", "target", "result",
          "operational", "lagging", form="aggregated", source="WMS склада", dec=1),
        K("picking_accuracy", "Точность комплектации заказов", "%", "warehouse", "process", "functioning",
          "operational", "leading", baseline=97, source="WMS склада", dec=1, sd=0.12, maxv=100),
        K("picking_time", "Среднее время сборки заказа", "мин", "warehouse", "process", "performance",
          "operational", "leading", direction="lower", source="WMS склада", dec=1, sd=0.08),
        K("orders_picked", "Собрано заказов", "заказов", "warehouse", "process", "performance", "operational",
          "leading", source="WMS склада", step=5, sd=0.08),
        K("staff_turnover", "Текучесть персонала (скользящие 12 месяцев)", "доля", "staff", "target", "result",
          "strategic", "lagging", direction="lower", form="dynamic", source="1С:ЗУП", dec=2),
        K("erp_reports_share", "Доля управленческих отчётов, формируемых в 1С:ERP автоматически", "%",
          "automation", "project", "functioning", "strategic", "leading", dec=1),
    ]
    P = Position
    team_sales = (("sales-manager", "revenue"), ("key-account-manager", "revenue"))
    positions = [
        # Генеральный директор и руководители подразделений — на карте целей (метод map: веса из целей,
        # за которые отвечает должность); линейным сотрудникам веса задаются экспертно (head_on).
        P("general-director", "Генеральный директор", "Дирекция", 0.3, "ceo", [
            PK("net_profit", None, 5200000, 0.8, cap=1.2),
            PK("operating_cash_flow", None, 6500000, 0.8, cap=1.2),
            PK("repeat_share", None, 62, 0.8, cap=1.2),
            PK("staff_turnover", None, 0.12, 0.7, cap=1.2)], method="map"),
        P("head-of-sales", "Руководитель отдела продаж", "Отдел продаж", 0.25, "head", [
            PK("revenue", None, 0, 0.7, cap=1.3, team=team_sales),
            PK("gross_margin", None, 22.5, 0.8, cap=1.2),
            PK("receivables_overdue", None, 12, 0.6, cap=1.3),
            PK("payment_collection", None, 0, 0.8, cap=1.2,
               team=(("sales-manager", "payment_collection"), ("key-account-manager", "payment_collection")))],
          method="map"),
        P("key-account-manager", "Менеджер по работе с ключевыми клиентами", "Отдел продаж", 0.5, "lead", [
            PK("revenue", 0.4, 9000000, curve="sales_steps", amount=True),
            PK("payment_collection", 0.25, 8500000, 0.8, amount=True),
            PK("active_clients", 0.2, 35, 0.7, cap=1.2),
            PK("proposal_time", 0.15, 24, 0.7, cap=1.2)]),
        P("sales-manager", "Менеджер по продажам", "Отдел продаж", 0.6, "line", [
            PK("revenue", 0.45, 3600000, 0.7, cap=1.5, amount=True),
            PK("payment_collection", 0.35, 3400000, 0.85, stop=0.85, amount=True),
            PK("client_contacts", 0.2, 180, 0.6, cap=1.2, amount=True)]),
        P("head-of-marketing", "Руководитель отдела маркетинга", "Отдел маркетинга", 0.25, "head", [
            PK("leads", None, 0, 0.7, cap=1.3, team=(("marketing-manager", "leads"),)),
            PK("cost_per_lead", None, 1200, 0.7, cap=1.2),
            PK("site_conversion", None, 2.4, 0.7, cap=1.3)], method="map"),
        P("marketing-manager", "Маркетолог", "Отдел маркетинга", 0.3, "lead", [
            PK("leads", 0.5, 900, 0.7, cap=1.3, amount=True),
            PK("cost_per_lead", 0.3, 1250, 0.7, cap=1.2),
            PK("site_conversion", 0.2, 2.4, 0.7, cap=1.3)]),
        P("chief-accountant", "Главный бухгалтер", "Бухгалтерия", 0.25, "head", [
            PK("close_days", None, 6, 0.7, cap=1.2),
            PK("tax_reports_on_time", None, 100, 0.9),
            PK("primary_docs", None, 97, 0.8),
            PK("payments_on_time", None, 98, 0.8)], method="map"),
        P("accountant", "Бухгалтер", "Бухгалтерия", 0.2, "line", [
            PK("primary_docs", 0.5, 96, 0.8),
            PK("payments_on_time", 0.5, 98, 0.8)]),
        P("head-of-legal", "Начальник юридического отдела", "Юридический отдел", 0.25, "head", [
            PK("cases_won", None, 70, 0.6),
            PK("contract_review_time", None, 3, 0.7, cap=1.2),
            PK("debt_recovered", None, 0, 0.6, cap=1.5, team=(("lawyer", "debt_recovered"),)),
            PK("claims_on_time", None, 95, 0.8)], method="map"),
        P("lawyer", "Юрист", "Юридический отдел", 0.2, "lead", [
            PK("debt_recovered", 0.5, 1500000, 0.6, cap=1.5, amount=True),
            PK("contract_review_time", 0.3, 3, 0.7, cap=1.2),
            PK("claims_on_time", 0.2, 95, 0.8)]),
        P("production-foreman", "Мастер участка фасовки", "Производство", 0.25, "lead", [
            PK("packing_output", None, 0, 0.8, cap=1.2, team=(("packer-operator", "packing_output"),)),
            PK("defect_rate", None, 1.5, 0.7, cap=1.3),
            PK("raw_stock_days", None, None, 0.7)], method="map"),
        P("packer-operator", "Оператор фасовочной линии", "Производство", 0.2, "line", [
            PK("packing_output", 0.6, 210, 0.8, cap=1.2, amount=True),
            PK("defect_rate", 0.4, 1.5, 0.7, cap=1.2)]),
        P("storekeeper", "Кладовщик-комплектовщик", "Склад", 0.2, "line", [
            PK("picking_accuracy", 0.5, 99.5, 0.7),
            PK("picking_time", 0.3, 25, 0.7, cap=1.2),
            PK("orders_picked", 0.2, 420, 0.6, cap=1.3, amount=True)]),
    ]
    E = Employee
    emps = [
        E("E001", "Громов Андрей Викторович", "head-of-sales", 180000, "2015-03-02"),
        E("E038", "Лебедев Сергей Михайлович", "general-director", 320000, "2012-09-03"),
        E("E002", "Белова Ольга Сергеевна", "key-account-manager", 115000, "2017-08-14"),
        E("E003", "Захаров Игорь Николаевич", "key-account-manager", 110000, "2020-02-10"),
        E("E004", "Кузнецов Дмитрий Александрович", "sales-manager", 55000, "2018-05-21"),
        E("E005", "Смирнова Анна Валерьевна", "sales-manager", 52000, "2019-09-09"),
        E("E006", "Орлов Максим Игоревич", "sales-manager", 50000, "2021-04-05"),
        E("E007", "Фёдорова Екатерина Павловна", "sales-manager", 50000, "2022-01-17"),
        E("E008", "Николаев Артём Сергеевич", "sales-manager", 48000, "2023-06-13"),
        E("E009", "Соколова Марина Юрьевна", "sales-manager", 52000, "2020-10-19"),
        E("E010", "Васильев Роман Олегович", "sales-manager", 48000, "2024-02-26", end="2026-07-10"),
        E("E011", "Павлова Ирина Андреевна", "sales-manager", 50000, "2022-08-01"),
        E("E012", "Морозов Кирилл Владимирович", "sales-manager", 46000, "2025-03-03"),
        E("E013", "Лебедева Наталья Викторовна", "head-of-marketing", 140000, "2019-04-15"),
        E("E014", "Егоров Павел Дмитриевич", "marketing-manager", 85000, "2023-11-07"),
        E("E015", "Ковалёва Светлана Ивановна", "chief-accountant", 150000, "2012-09-03"),
        E("E016", "Тихонова Елена Михайловна", "accountant", 78000, "2016-01-18"),
        E("E017", "Михайлова Татьяна Геннадьевна", "accountant", 75000, "2019-06-24"),
        E("E018", "Алексеева Юлия Романовна", "accountant", 72000, "2024-09-02"),
        E("E019", "Степанов Алексей Борисович", "head-of-legal", 130000, "2018-03-12", fund=40000),
        E("E020", "Полякова Виктория Олеговна", "lawyer", None, "2021-07-19", fund=25000),
    ]
    packers = [("Абрамов Николай Иванович", 64000, "2014-05-12"), ("Гусев Евгений Валерьевич", 62000, "2017-10-02"),
               ("Яковлев Денис Сергеевич", 60000, "2020-03-16"), ("Ильин Олег Викторович", 63000, "2016-07-25"),
               ("Сафин Ринат Маратович", 60000, "2022-04-11"), ("Комаров Антон Юрьевич", 62000, "2018-11-19"),
               ("Зайцев Владимир Николаевич", 64000, "2013-02-04"), ("Борисов Илья Александрович", 58000, "2024-05-20"),
               ("Мельникова Оксана Владимировна", 60000, "2021-09-13")]
    emps += [E("E021", "Киселёв Виктор Петрович", "production-foreman", 98000, "2011-06-06"),
             E("E022", "Давыдов Сергей Анатольевич", "production-foreman", 95000, "2016-04-18")]
    for i, (name, base, start) in enumerate(packers):
        emps.append(E(f"E{23 + i:03d}", name, "packer-operator", base, start, lead="E021" if i < 5 else "E022"))
    for i, (name, base, start) in enumerate([
            ("Крылов Степан Андреевич", 60000, "2017-03-20"), ("Волков Григорий Иванович", 58000, "2019-12-02"),
            ("Романова Людмила Петровна", 58000, "2015-08-10"), ("Тимофеев Артур Ильич", 56000, "2023-02-13"),
            ("Карпов Евгений Олегович", 55000, "2026-08-01"), ("Фролов Никита Сергеевич", 55000, "2026-09-10")]):
        emps.append(E(f"E{32 + i:03d}", name, "storekeeper", base, start))

    c = Client(
        slug="sever-trade", seed=20260402, goals=goals, kpis=kpis, positions=positions, employees=emps,
        stop_factors=[("head-of-sales", "staff_turnover", ">", 0.1, 0.5),
                      ("production-foreman", "customer_claims", ">", 2, 0.5),
                      ("production-foreman", "staff_turnover", ">", 0.15, 0.7)],
        sf_series={("E001", "staff_turnover"): (0.08, [0.08, 0.08, 0.08, 0.15, 0.15, 0.08]),
                   ("E021", "customer_claims"): (1, [1, 1, 2, 1, 1, 1]),
                   ("E021", "staff_turnover"): (0.1, [0.09, 0.09, 0.18, 0.09, 0.09, 0.09]),
                   ("E022", "customer_claims"): (1, [2, 1, 1, 3, 1, 3]),
                   ("E022", "staff_turnover"): (0.1, [0.09, 0.09, 0.18, 0.09, 0.09, 0.09])},
        overrides={
            ("E006", "payment_collection"): ("a", 0.82),  # blocked by the stop threshold 0.85
            ("E008", "revenue"): ("a", 0.64),  # under the 70 % threshold
            ("E005", "revenue"): ("a", 1.62),  # over the cap 1.5
            ("E002", "revenue"): ("a", 1.13),  # step curve: 1.1 -> 1.2
            ("E003", "revenue"): ("a", 0.86),  # step curve: 0.8 -> 0.5
            ("E027", "defect_rate"): ("a", 0.62),  # lower-is-better, under threshold
            ("E021", "raw_stock_days"): ("fact", 13.5),  # band KPI out of the band
            ("E034", "picking_accuracy"): ("fact", 98.5),  # baseline KPI under threshold
            ("E017", "primary_docs"): ("pf", 96, 76.8),  # exactly at the 80 % threshold
            ("E013", "site_conversion"): ("missing",),  # web analytics counter failed: excluded
        },
        season=[0.92, 1.0, 1.1, 1.15, 1.12, 1.02],
        project=[("2026-04", 300000, 276000, 290500, 2400000, 4, 4, 4, 2),
                 ("2026-05", 700000, 595000, 640000, 2400000, 9, 7, 11, 5),
                 ("2026-06", 1150000, 954500, 1037500, 2400000, 14, 11, 10, 8),
                 ("2026-07", 1600000, 1392000, 1497000, 2400000, 19, 16, 7, 10),
                 ("2026-08", 2000000, 1820000, 1936000, 2400000, 24, 21, 5, 8),
                 ("2026-09", 2400000, 2304000, 2425000, 2400000, 28, 27, 4, 6)],
        curves={"sales_steps": ("steps", [(0.8, 0.5), (0.9, 0.8), (1.0, 1.0), (1.1, 1.2), (1.2, 1.4)])},
        budget_factor=1.04, budget_step=50000, money_dec=2,
    )

    def yaml_text(ctx: dict) -> str:
        return f"""\
# ООО «Север-Трейд» — демонстрационный клиент KPI Toolkit (русский язык, рубли).
# Файл создан tools/make_demo_clients.py; правьте генератор, а не этот файл.
# Компания, сотрудники, цифры и контакты вымышлены.

name: ООО «Север-Трейд»
language: ru                  # язык отчётов: en | ru
currency: RUB                 # ISO 4217; суммы округляются до копеек
period: "{REPORTED}"             # отчётный период (факты за {PERIODS[0]} .. {REPORTED})
bonus_period_months: 1        # премия ежемесячная
bonus_budget: {ctx['budget']}        # бюджет премиального фонда на месяц, руб.

contacts:
  - {{name: Соловьёв Игорь Петрович, role: Генеральный директор (заказчик проекта), email: i.solovyev@sever-trade.example, phone: "+7 812 555-01-10"}}
  - {{name: Кравец Елена Андреевна, role: Директор по персоналу (руководитель проекта), email: e.kravets@sever-trade.example, phone: "+7 812 555-01-24"}}
  - {{name: Ковалёва Светлана Ивановна, role: Главный бухгалтер (владелец данных), email: s.kovaleva@sever-trade.example, phone: "+7 812 555-01-31"}}

# Анкета первичной диагностики (этап 00).
questionnaire:
  organisation: ООО «Север-Трейд», Санкт-Петербург. Частная компания, основана в 2009 году, собственник — генеральный директор.
  contacts: Соловьёв И. П., генеральный директор (заказчик); Кравец Е. А., директор по персоналу (руководитель проекта); Ковалёва С. И., главный бухгалтер (данные) — см. контакты выше.
  activity: Оптовая торговля строительными материалами (сухие строительные смеси, кровля, утеплитель, крепёж) и собственная фасовка сухих смесей под маркой «Север».
  regional_units: Офис и склад в Санкт-Петербурге (Парнас), фасовочный участок в Колпино, представитель в Великом Новгороде.
  structure: Генеральный директор; отдел продаж (руководитель, менеджеры по ключевым клиентам, менеджеры по продажам); отдел маркетинга; бухгалтерия; юридический отдел; производство (участок фасовки, два мастера); склад; служба доставки. Всего 48 человек.
  problem: Продажи растут медленнее рынка, премии менеджерам — процент от отгрузок без учёта оплат, просроченная дебиторская задолженность достигла 18 %. Премии бухгалтерии, юристов и склада выплачиваются «по решению директора».
  scope: "Вся компания, кроме водителей, экспедиторов и охраны: {ctx['headcount']} сотрудников."
  headcount: {ctx['headcount']}
  goals: Рост выручки на 20 % в год при валовой марже не ниже 22 %; просроченная дебиторская задолженность не выше 12 %; брак при фасовке не выше 1,5 %.
  it_department: Штатного ИТ-отдела нет; 1С:Управление торговлей и 1С:Бухгалтерия сопровождает франчайзи по договору; CRM Битрикс24 внедрена в 2025 году.
  integration: Ежемесячная выгрузка фактов из 1С и Битрикс24 в Excel/CSV; результаты расчёта премий загружаются в 1С:ЗУП.
  expected_results: Прозрачная ежемесячная премия, привязанная к плану продаж, оплатам и качеству; матрицы KPI для всех должностей; снижение просроченной дебиторской задолженности.

# Условия успешного внедрения (SPEC 3.9): yes | partly | no
readiness:
  management_involved: "partly"    # дерево целей строили собственник и коммерческий директор
  kpis_computable: "yes"
  kpis_from_goals: "partly"        # часть показателей склада и юристов унаследована от старой системы
  tied_to_motivation: "no"         # сейчас премии назначаются директором вручную
  departments_covered: "yes"
  personal_motivation: "partly"
  short_bonus_periods: "yes"       # ежемесячно
  independent_data_entry: "partly" # звонки менеджеры вносят сами, оплаты — бухгалтерия
  management_accounting: "no"      # только бухгалтерский учёт, управленческий — в Excel
  past_owner_stage: "partly"       # собственник всё ещё согласует крупные сделки лично

branding:
  logo: logo.png
  colour: "#A4262C"
  consultancy: ООО «Меридиан Консалтинг»   # кто подготовил отчёты (автор PDF)

# Шкалы выплат (выполнение -> коэффициент), на них ссылается position_kpis.curve.
payout_curves:
  sales_steps:                # менеджеры по ключевым клиентам: ступенчатая шкала
    type: steps
    label: {{ru: Шкала продаж ключевым клиентам, en: Key account sales scale}}
    points: [[0.8, 0.5], [0.9, 0.8], [1.0, 1.0], [1.1, 1.2], [1.2, 1.4]]

# Воронка продаж и нормативы активности (SPEC 3.7), на месяц.
funnel:
  revenue_plan: {ctx['revenue_plan']}        # план продаж отдела на {REPORTED}, руб.
  average_deal: 185000
  sales_managers: {ctx['sales_managers']}            # менеджеры по продажам и по ключевым клиентам
  stages:                     # от сделки к первому контакту; conversion = доля этапа, переходящая на следующий
    - {{stage: contracts, conversion: 0.9}}
    - {{stage: invoices, conversion: 0.6}}
    - {{stage: qualified_leads, conversion: 0.35}}
    - {{stage: leads, conversion: 0.3}}
  segments:                   # контактов на клиента в месяц
    - {{segment: key_accounts, clients: 28, calls: 6, letters: 2, meetings: 2}}
    - {{segment: regular, clients: 420, calls: 2, letters: 1, meetings: 0}}
    - {{segment: prospects, clients: 300, calls: 1, letters: 1, meetings: 0}}
  activity_minutes: {{calls: 10, letters: 15, meetings: 120}}
  working_hours: 168

project_start: "2026-03-23"   # старт проекта внедрения
project_thresholds: {{green: 0.95, amber: 0.85}}
"""

    logo = dict(initials="СТ", title="Север-Трейд", subtitle="ОПТОВАЯ ТОРГОВЛЯ СТРОЙМАТЕРИАЛАМИ", colour="#A4262C")
    return c, yaml_text, logo


# --------------------------------------------------------------------------- main


def build(out: Path) -> None:
    for make in (northwind, sever_trade):
        c, yaml_text, logo = make()
        res = write_client(c, out, logo)
        actuals = res["actuals"]
        pool, _ = bonus_pool(c, actuals, REPORTED)
        budget = round_to(pool * c.budget_factor, c.budget_step)
        sales_pos = {"sales-manager", "key-account-manager"}
        by_id = {e.id: e for e in c.employees}
        revenue_plan = sum(r[3] for r in actuals if r[0] == REPORTED and by_id[r[1]].position in sales_pos
                           and r[2] in ("revenue", "key_account_revenue"))
        managers = sum(1 for e in c.employees if e.position in sales_pos and active_fraction(e, REPORTED)[0])
        headcount = sum(1 for e in c.employees if active_fraction(e, REPORTED)[0])
        ctx = {"budget": budget, "revenue_plan": round_to(revenue_plan, 10000), "sales_managers": managers,
               "headcount": headcount}
        text = yaml_text(ctx)
        cfg = yaml.safe_load(text)  # must parse
        assert cfg["period"] == REPORTED and cfg["bonus_budget"] == budget
        (out / c.slug / "client.yaml").write_text(text, encoding="utf-8")
        print(f"{c.slug}: {len(c.employees)} employees, {len(actuals)} actuals rows, "
              f"estimated pool {pool:,.0f} {cfg['currency']}, budget {budget:,} {cfg['currency']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "clients", help="folder to write the clients into")
    args = ap.parse_args()
    build(args.out)


if __name__ == "__main__":
    main()
