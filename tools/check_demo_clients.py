#!/usr/bin/env python3
"""Self-check of the demo clients written by ``tools/make_demo_clients.py``.

    .venv/bin/python tools/check_demo_clients.py [clients/northwind clients/sever-trade]

Standalone (pandas, the table declarations of ``kpi_toolkit.method.schema`` and the weights of map
positions from ``kpi_toolkit.method.kpi_weights``), independent of the toolkit's loader: it asserts that each demo client is well formed and that every feature the
demos are meant to show actually occurs in the reported period. Prints a summary per client
and exits with status 1 listing every failed check.
"""
from __future__ import annotations

import re
import struct
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from kpi_toolkit.method import schema  # noqa: E402  (declarations)
from kpi_toolkit.method.kpi_weights import position_kpi_weights  # noqa: E402  (the map's weights, SPEC 3.2)

DEFAULT = [ROOT / "clients" / "northwind", ROOT / "clients" / "sever-trade"]
READINESS = ("management_involved", "kpis_computable", "kpis_from_goals", "tied_to_motivation",
             "departments_covered", "personal_motivation", "short_bonus_periods", "independent_data_entry",
             "management_accounting", "past_owner_stage")
NUMBER = r"-?\d+(\.\d{1,2})?"
QUESTIONNAIRE = ("organisation", "contacts", "activity", "regional_units", "structure", "problem", "scope", "headcount",
                 "goals", "it_department", "integration", "expected_results")


class Checker:
    def __init__(self, name: str):
        self.name, self.failures, self.notes = name, [], []

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
        return ok

    def note(self, text: str) -> None:
        self.notes.append(text)


def D(x) -> Decimal | None:
    """Exact decimal of a CSV cell (the text as written, not its binary float)."""
    if x is None or (isinstance(x, float) and pd.isna(x)) or x == "":
        return None
    return Decimal(str(x))


def read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False, encoding="utf-8")


def attainment(k: pd.Series, plan: Decimal | None, fact: Decimal) -> Decimal:
    direction = k["direction"] or "higher"
    if direction == "band":
        lo, hi, tol = D(k["band_low"]), D(k["band_high"]), D(k["band_tolerance"])
        dist = max(lo - fact, Decimal(0), fact - hi)
        return max(Decimal(0), 1 - dist / tol)
    if k["baseline"]:
        b = D(k["baseline"])
        return (fact - b) / (plan - b)
    return plan / fact if direction == "lower" else fact / plan


def curve_value(kind: str, points: list, a: Decimal) -> Decimal:
    pts = [(Decimal(str(x)), Decimal(str(c))) for x, c in points]
    if a < pts[0][0]:
        return Decimal(0)
    if kind == "steps":
        return [c for x, c in pts if x <= a][-1]
    for (x0, c0), (x1, c1) in zip(pts, pts[1:]):
        if x0 <= a <= x1:
            return c0 + (c1 - c0) * (a - x0) / (x1 - x0)
    return pts[-1][1]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def period_days(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(period + "-01")
    return start, start + pd.offsets.MonthEnd(0)


def _map_weights(t: dict[str, pd.DataFrame]) -> dict[str, dict[str, Fraction]]:
    """Map position -> KPI -> exact weight (the toolkit's SPEC 3.2 arithmetic on the tables read)."""
    numeric = {"goals": ("strength", "root_weight"), "kpis": ("share",), "position_kpis": ("weight",)}
    frames = {}
    for name in ("goals", "kpis", "positions", "position_kpis"):
        df = t[name].replace("", None)
        for col in numeric.get(name, ()):
            df[col] = pd.to_numeric(df[col])
        frames[name] = df
    table = position_kpi_weights(frames["positions"], frames["position_kpis"], frames["kpis"], frames["goals"])
    table = table[table["method"] == "map"]
    return {p: dict(zip(g["kpi_id"], g["exact"])) for p, g in table.groupby("position_id")}


def check_client(folder: Path) -> Checker:
    c = Checker(folder.name)
    # ---------------------------------------------------------------- files and columns
    t: dict[str, pd.DataFrame] = {}
    for name, table in schema.TABLES.items():
        path = folder / f"{name}.csv"
        if not table.required and not path.exists() and name not in ("project", "stop_factors"):
            t[name] = pd.DataFrame(columns=table.column_names)  # an optional table the client does not use
            continue
        if not c.check(path.exists(), f"{name}.csv missing"):
            continue
        raw = path.read_bytes()
        c.check(not raw.startswith(b"\xef\xbb\xbf"), f"{name}.csv has a BOM")
        raw.decode("utf-8")
        df = read(folder, name)
        t[name] = df
        cols = list(df.columns)
        for col in table.columns:
            c.check(not col.required or col.name in cols, f"{name}.csv: required column {col.name} missing")
        c.check(all(x in table.column_names for x in cols), f"{name}.csv: unknown columns {set(cols) - set(table.column_names)}")
        for col in table.columns:
            if col.name not in cols:
                continue
            s = df[col.name]
            if not col.nullable:
                c.check((s != "").all(), f"{name}.csv: empty cells in non-nullable {col.name}")
            if col.choices:
                bad = set(s[s != ""]) - set(col.choices)
                c.check(not bad, f"{name}.csv: {col.name} has invalid codes {bad}")
            if col.kind in ("number", "integer"):
                vals = s[s != ""]
                ok = vals.str.fullmatch(NUMBER)
                c.check(ok.all(), f"{name}.csv: {col.name} not a plain number with <= 2 decimals: "
                                  f"{list(vals[~ok][:3])}")
            if col.kind == "period":
                c.check(s.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").all(), f"{name}.csv: bad period in {col.name}")
            if col.kind == "date":
                vals = s[s != ""]
                c.check(vals.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), f"{name}.csv: bad date in {col.name}")
            if col.ref:
                rt, rc = col.ref.split(".")
                if rt in t:
                    missing = set(s[s != ""]) - set(t[rt][rc])
                    c.check(not missing, f"{name}.csv: {col.name} values not in {col.ref}: {missing}")
        if table.key:
            c.check(not df.duplicated(list(table.key)).any(), f"{name}.csv: duplicate key {table.key}")
        for col in table.columns:  # numeric bounds
            if col.name in cols and col.kind == "number":
                vals = df[col.name][df[col.name] != ""].map(Decimal)
                for bound, op in (("ge", lambda v, b: v >= b), ("gt", lambda v, b: v > b),
                                  ("le", lambda v, b: v <= b), ("lt", lambda v, b: v < b)):
                    b = getattr(col, bound)
                    if b is not None:
                        c.check(all(op(v, Decimal(str(b))) for v in vals), f"{name}.csv: {col.name} violates {bound} {b}")
    if len(t) < len(schema.TABLES):
        return c
    goals, kpis, positions, pk, sf, emps, act, project, gates, modifiers = (t[n] for n in (
        "goals", "kpis", "positions", "position_kpis", "stop_factors", "employees", "actuals", "project", "gates",
        "modifiers"))
    # ---------------------------------------------------------------- client.yaml
    cfg = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))
    for key in schema.CLIENT_YAML_REQUIRED:
        c.check(key in cfg, f"client.yaml: {key} missing")
    c.check(all(k in schema.CLIENT_YAML_REQUIRED + schema.CLIENT_YAML_OPTIONAL for k in cfg),
            f"client.yaml: unknown keys {set(cfg) - set(schema.CLIENT_YAML_REQUIRED + schema.CLIENT_YAML_OPTIONAL)}")
    period = cfg["period"]
    c.check(isinstance(period, str) and re.fullmatch(r"\d{4}-\d{2}", period) is not None, "client.yaml: period")
    c.check(cfg["language"] in schema.LANGUAGES, "client.yaml: language")
    c.check(cfg.get("bonus_period_months") == 1, "client.yaml: bonus_period_months 1")
    c.check(isinstance(cfg.get("bonus_budget"), (int, float)) and cfg["bonus_budget"] > 0, "client.yaml: bonus_budget")
    c.check(2 <= len(cfg.get("contacts", [])) <= 3 and all({"name", "role", "email", "phone"} <= set(x) for x in cfg["contacts"]),
            "client.yaml: 2-3 contacts with name, role, email, phone")
    q = cfg.get("questionnaire", {})
    c.check(all(q.get(f) not in (None, "") for f in QUESTIONNAIRE), f"questionnaire fields missing: {set(QUESTIONNAIRE) - set(q)}")
    r = cfg.get("readiness", {})
    c.check(set(r) == set(READINESS), f"readiness codes: {set(READINESS) ^ set(r)}")
    c.check(all(v in ("yes", "partly", "no") for v in r.values()), "readiness values must be yes/partly/no strings")
    c.check({"yes", "partly", "no"} <= set(r.values()), "readiness: mix of yes/partly/no")
    br = cfg.get("branding", {})
    c.check(re.fullmatch(r"#[0-9A-Fa-f]{6}", str(br.get("colour", ""))) is not None, "branding.colour")
    logo = folder / str(br.get("logo", ""))
    if c.check(logo.is_file(), "branding.logo file missing"):
        w, h = png_size(logo)
        c.check(300 <= w <= 600 and 80 <= h <= 200, f"logo size {w}x{h}")
    curves = cfg.get("payout_curves", {})
    for name, cv in curves.items():
        c.check(cv["type"] in ("linear", "steps") and len(cv["points"]) >= 2, f"curve {name}")
        c.check(cv.get("basis", "attainment") in ("attainment", "value"), f"curve {name}: basis")
        xs = [p[0] for p in cv["points"]]
        c.check(xs == sorted(xs), f"curve {name}: points sorted")
    fn = cfg.get("funnel", {})
    c.check(all(k in fn for k in ("revenue_plan", "average_deal", "sales_managers", "stages", "segments",
                                  "activity_minutes", "working_hours")), "funnel keys")
    c.check(all(0 < s["conversion"] <= 1 for s in fn.get("stages", [])), "funnel conversions in (0, 1]")
    c.check(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cfg.get("project_start", ""))) is not None, "project_start")
    ps = pd.Timestamp(cfg["project_start"])
    months = (pd.Timestamp(period + "-01") - ps).days / 30.4
    c.check(5 <= months <= 7.5, f"project_start {cfg['project_start']} ~6 months before {period}")
    # ---------------------------------------------------------------- goals: DAG
    ids = set(goals["goal_id"])
    c.check(len(ids) >= 10, f"{len(ids)} goals (< 10)")
    c.check(set(goals["perspective"]) == set(schema.PERSPECTIVES), "goals cover all four perspectives")
    roots = set(goals.loc[goals["parent_id"] == "", "goal_id"])
    c.check(1 <= len(roots) <= 2, f"{len(roots)} root goals")
    c.check(not (set(goals.loc[goals["parent_id"] != "", "goal_id"]) & roots), "a root goal also has a parent")
    rw = goals.loc[goals["parent_id"] == "", "root_weight"]
    if (rw != "").any():
        c.check(sum(map(Decimal, rw)) == 1, "root weights sum to 1")
    parents = goals[goals["parent_id"] != ""].groupby("goal_id")["parent_id"].apply(list).to_dict()
    c.check(any(len(v) >= 2 for v in parents.values()), "a goal supports two parents")
    c.check(goals["name"].groupby(goals["goal_id"]).nunique().max() == 1, "goal name consistent across its rows")
    c.check(goals.drop_duplicates("goal_id").groupby("goal_id")["perspective"].count().max() == 1, "goal perspective consistent")
    state: dict[str, int] = {}

    def visit(g: str, path: tuple) -> None:
        if state.get(g) == 2:
            return
        c.check(state.get(g) != 1, f"cycle through {path + (g,)}")
        if state.get(g) == 1:
            return
        state[g] = 1
        for p in parents.get(g, []):
            visit(p, path + (g,))
        state[g] = 2

    for g in ids:
        visit(g, ())
    set_strength = (goals["strength"] != "").sum()
    c.check(1 <= set_strength <= len(goals) // 3, f"strengths: a couple set ({set_strength})")
    # ---------------------------------------------------------------- KPIs
    kp = kpis.set_index("kpi_id")
    c.check((kpis["goal_id"] != "").all(), "every KPI attached to a goal")
    c.check(not (ids - set(kpis["goal_id"])), f"goals without a KPI: {ids - set(kpis['goal_id'])}")
    for col in ("kind", "measure", "horizon", "timing", "form", "direction"):
        c.check((kpis[col] != "").all(), f"kpis.{col} filled for every KPI")
    empty_src = (kpis["data_source"] == "").sum()
    c.check(1 <= empty_src <= 2, f"one or two KPIs without a data source ({empty_src})")
    c.check(((kpis["measurement_cost"] != "") & (kpis["measurement_worth"] != "")).sum() >= 2,
            "measurement cost/worth for a few KPIs")
    c.check(((kpis["sales_family"] != "")).sum() >= 4 and kpis["sales_family"].nunique() >= 4,
            "sales families used")
    band = kpis[kpis["direction"] == "band"]
    c.check(len(band) >= 1 and (band[["band_low", "band_high", "band_tolerance"]] != "").all().all(),
            "a band KPI with low, high and tolerance")
    lower_ids = set(kpis.loc[kpis["direction"] == "lower", "kpi_id"])
    c.check(len(lower_ids) >= 1, "a lower-is-better KPI")
    excl = set(kpis.loc[kpis["missing"] == "exclude", "kpi_id"])
    c.check(len(excl) >= 1, "a KPI with missing = exclude")
    # ---------------------------------------------------------------- positions and weights
    pos = positions.set_index("position_id")
    c.check(len(pos) >= 6, "at least 6 positions")
    c.check(positions["department"].nunique() >= 5, "positions in at least 5 departments")
    map_weights = _map_weights(t)
    methods = positions.set_index("position_id")["method"].to_dict()
    c.check(set(methods.values()) == {"map", "head_on"}, f"both methods used ({set(methods.values())})")
    c.check((positions["level"] == "ceo").sum() == 1, "one ceo-level position (owner of the map)")
    for pid, grp in pk.groupby("position_id"):
        if methods[pid] == "map":
            c.check((grp["weight"] == "").all(), f"{pid}: a map position with weights in position_kpis")
            mine = map_weights[pid]
            c.check(set(grp["kpi_id"]) == {k for k, w in mine.items() if w > 0},
                    f"{pid}: position_kpis rows {sorted(grp['kpi_id'])} are not its kept map KPIs")
            w = [mine.get(k, Fraction(0)) for k in grp["kpi_id"]]
        else:
            w = [Decimal(x) for x in grp["weight"]]
        c.check(sum(w) == 1, f"{pid}: weights sum to {sum(w)}")
        c.check(min(w) >= Decimal("0.1"), f"{pid}: a weight under 0.1")
        n, level = len(grp), pos.loc[pid, "level"]
        c.check((2 <= n <= 3) if level == "line" else (3 <= n <= 5), f"{pid} ({level}): {n} KPIs")
        for _, row in grp.iterrows():
            if row["curve"]:
                c.check(row["curve"] in curves, f"{pid}: curve {row['curve']} not in client.yaml")
    c.check(set(pk["position_id"]) == set(positions["position_id"]), "every position has KPIs")
    c.check((pk["stop_threshold"] != "").sum() >= 1, "a blocking KPI")
    c.check((pk["curve"] != "").sum() >= 1, "a position uses a payout curve")
    c.check((pk["cap"] != "").sum() >= 3, "caps on some KPIs")
    c.check(((sf["kpi_id"] == "staff_turnover") & (sf["condition"] == ">") & (sf["limit"].map(Decimal) == Decimal("0.1"))
             & sf["position_id"].map(lambda p: pos.loc[p, "level"] == "head")).any(),
            "a staff-turnover stop factor (> 0.1) for a head position")
    c.check(len(sf) >= 2, "at least two stop-factor rules")
    # ---------------------------------------------------------------- employees
    emp = emps.set_index("employee_id")
    c.check(30 <= len(emp) <= 60, f"{len(emp)} employees")
    c.check((emps["department"] != "").all(), "departments filled")
    c.check(emps["position_id"].nunique() >= 6, "employees in >= 6 positions")
    c.check((emps["base_salary"] != "").mean() > 0.8, "base_salary for most")
    c.check(1 <= (emps["bonus_fund"] != "").sum() <= 5, "bonus_fund given for a few")
    c.check(((emps["base_salary"] != "") | (emps["bonus_fund"] != "")).all(), "every employee has a salary or a fund")
    lo, hi = period_days(period)
    start = pd.to_datetime(emps["start_date"].replace("", None))
    end = pd.to_datetime(emps["end_date"].replace("", None))
    joiners = emps.loc[(start > lo) & (start <= hi), "employee_id"].tolist()
    leavers = emps.loc[end < lo, "employee_id"].tolist()
    c.check(len(joiners) >= 1, "an employee joined in the middle of the reported period")
    c.check(len(leavers) >= 1, "an employee left earlier in the history")
    # ---------------------------------------------------------------- actuals coverage
    periods = sorted(act["period"].unique())
    c.check(len(periods) >= 6, f"{len(periods)} periods")
    c.check(periods[-1] == period, f"client.yaml period {period} is the last period {periods[-1]}")
    c.check(project["period"].tolist() == periods, "project.csv covers the same periods")
    actual_keys = set(zip(act["period"], act["employee_id"], act["kpi_id"]))
    team = set(kp.index[kp["aggregate"] != ""]) if "aggregate" in kp else set()  # team KPIs: no rows of their own
    expected = set()
    sf_kpis = sf.groupby("position_id")["kpi_id"].apply(set).to_dict()
    pos_kpis = pk.groupby("position_id")["kpi_id"].apply(list).to_dict()
    for _, e in emps.iterrows():
        s = pd.Timestamp(e["start_date"]) if e["start_date"] else None
        t_end = pd.Timestamp(e["end_date"]) if e["end_date"] else None
        for p in periods:
            plo, phi = period_days(p)
            if (s is not None and s > phi) or (t_end is not None and t_end < plo):
                continue
            for k in pos_kpis[e["position_id"]] + sorted(sf_kpis.get(e["position_id"], set())):
                if k not in team:
                    expected.add((p, e["employee_id"], k))
    c.check(not (expected - actual_keys), f"actuals missing rows: {sorted(expected - actual_keys)[:5]}")
    c.check(not (actual_keys - expected), f"actuals rows for inactive employees or foreign KPIs: {sorted(actual_keys - expected)[:5]}")
    for j in joiners:
        c.check((period, j, pos_kpis[emp.loc[j, "position_id"]][0]) in actual_keys, f"joiner {j} has actuals in {period}")
    for lv in leavers:
        last = pd.Timestamp(emp.loc[lv, "end_date"]).strftime("%Y-%m")
        c.check(not act[(act["employee_id"] == lv) & (act["period"] > last)].shape[0], f"leaver {lv} has actuals after leaving")
        c.check(act[(act["employee_id"] == lv) & (act["period"] == last)].shape[0] > 0, f"leaver {lv} has actuals in the month of leaving")
    # plans and facts
    is_band = act["kpi_id"].map(lambda k: kp.loc[k, "direction"] == "band")
    c.check((act.loc[~is_band, "plan"] != "").all(), "plan given for every non-band row")
    c.check(not (act["plan"].replace("", None).dropna().map(Decimal) == 0).any(), "no plan is 0")
    c.check(not (act.loc[act["kpi_id"].isin(lower_ids), "fact"].replace("", None).dropna().map(Decimal) <= 0).any(),
            "lower-is-better facts are positive")
    missing = act[act["fact"] == ""]
    c.check(len(missing) == 1, f"exactly one missing fact ({len(missing)})")
    if len(missing) == 1:
        m = missing.iloc[0]
        c.check(m["period"] == period and kp.loc[m["kpi_id"], "missing"] == "exclude",
                "the missing fact is in the reported period, for a KPI whose policy is exclude")
        c.note(f"missing fact excluded: {m['employee_id']} {emp.loc[m['employee_id'], 'name']} / {m['kpi_id']}")
    # ---------------------------------------------------------------- scenarios in the reported period
    cur = act[act["period"] == period]
    for k in sorted(team):  # a team KPI's plan and fact: the sum or mean of its members' (SPEC 3.4)
        how, of, over = kp.loc[k, "aggregate"], kp.loc[k, "aggregate_of"] or k, kp.loc[k, "aggregate_over"]
        for _, head in emps[emps["position_id"].isin(pk.loc[pk["kpi_id"] == k, "position_id"])].iterrows():
            mates = emps[(emps["department"] == head["department"]) & (emps["employee_id"] != head["employee_id"])]
            if over == "reports":
                mates = mates[mates["position_id"].map(pos["reports_to"]) == head["position_id"]]
            rows = cur[cur["employee_id"].isin(mates["employee_id"]) & (cur["kpi_id"] == of) & (cur["fact"] != "")]
            if rows.empty:
                continue
            plan, fact = rows["plan"].map(Decimal).sum(), rows["fact"].map(Decimal).sum()
            if how == "mean":
                plan, fact = plan / len(rows), fact / len(rows)
            cur = pd.concat([cur, pd.DataFrame([{"period": period, "employee_id": head["employee_id"], "kpi_id": k,
                                                  "plan": str(plan), "fact": str(fact)}])], ignore_index=True)
            c.note(f"team KPI {k} of {head['employee_id']}: {how} of {of} over {len(rows)} members, "
                   f"plan {plan} fact {fact}")
    rules = pk.set_index(["position_id", "kpi_id"])
    under, blocked, stopped, lower_seen, band_seen, capped, at_threshold = [], set(), [], [], [], [], []
    gated, modified, on_value = [], [], []
    pool = Decimal(0)
    for eid, grp in cur.groupby("employee_id"):
        e = emp.loc[eid]
        pid = e["position_id"]
        d, lines = Decimal(1), []
        for _, row in grp.iterrows():
            k = row["kpi_id"]
            if (pid, k) not in rules.index:
                continue
            rule, krow = rules.loc[(pid, k)], kp.loc[k]
            if row["fact"] == "":
                continue
            a = attainment(krow, D(row["plan"]), D(row["fact"]))
            thr, stop, cap = D(rule["threshold"]), D(rule["stop_threshold"]), D(rule["cap"])
            if thr is not None and a < thr:
                under.append((eid, k, a))
            if thr is not None and a == thr:
                at_threshold.append((eid, k))
            if stop is not None and a < stop:
                blocked.add(eid)
                d = Decimal(0)
            if krow["direction"] == "lower":
                lower_seen.append((eid, k))
            if krow["direction"] == "band":
                band_seen.append((eid, k, a))
            if rule["curve"]:
                cv = curves[rule["curve"]]
                value = cv.get("basis") == "value"  # points in the KPI's units: the fact decides (SPEC 3.5.1)
                coef = curve_value(cv["type"], cv["points"], D(row["fact"]) if value else a)
                if value:
                    on_value.append((eid, k, D(row["fact"]), coef))
            else:
                coef = Decimal(0) if thr is not None and a < thr else a
                if cap is not None and coef > cap:
                    capped.append((eid, k))
                    coef = cap
            for _, gate in gates[(gates["position_id"] == pid) & (gates["applies_to"] == k)].iterrows():
                g = grp[grp["kpi_id"] == gate["gate_kpi_id"]].iloc[0]
                ga = attainment(kp.loc[gate["gate_kpi_id"]], D(g["plan"]), D(g["fact"]))
                if ga < D(gate["level"]) and coef > D(gate["cap"]):
                    gated.append((eid, k, ga))
                    coef = D(gate["cap"])
            weight = D(rule["weight"])
            if weight is None:  # a map position: the exact weight from the goals it owns
                w = map_weights[pid][k]
                weight = Decimal(w.numerator) / Decimal(w.denominator)
            lines.append((weight, coef))
        for _, rule in sf[sf["position_id"] == pid].iterrows():
            f = cur[(cur["employee_id"] == eid) & (cur["kpi_id"] == rule["kpi_id"])]["fact"]
            fv, lim = D(f.iloc[0]), D(rule["limit"])
            hit = {"<": fv < lim, "<=": fv <= lim, ">": fv > lim, ">=": fv >= lim}[rule["condition"]]
            if hit:
                stopped.append((eid, rule["kpi_id"], fv))
                d *= D(rule["factor"])
        for _, m in modifiers[modifiers["period"] == period].iterrows():
            if m["scope"] == "company" or (m["scope"], m["id"]) in (
                    ("department", e["department"]), ("position", pid), ("employee", eid)):
                modified.append((eid, m["factor"]))
                d *= D(m["factor"])
        v = D(pos.loc[pid, "variable_share"])
        fund = D(e["bonus_fund"]) if e["bonus_fund"] else D(e["base_salary"]) * v / (1 - v)
        s = max(pd.Timestamp(e["start_date"]), lo) if e["start_date"] else lo
        t_end = min(pd.Timestamp(e["end_date"]), hi) if e["end_date"] else hi
        fund = fund * ((t_end - s).days + 1) / ((hi - lo).days + 1)
        wsum = sum(w for w, _ in lines)
        pool += sum(fund * w / wsum * coef for w, coef in lines) * d
    names = emp["name"].to_dict()
    c.check(len(under) >= 2, f"employees under a threshold ({len(under)})")
    c.check(len(blocked) == 1, f"exactly one employee blocked by a stop threshold ({sorted(blocked)})")
    c.check(len(stopped) >= 1, "an employee hits a stop factor")
    c.check(len(lower_seen) >= 1, "a lower-is-better KPI measured in the period")
    c.check(len(band_seen) >= 1 and any(a < 1 for *_, a in band_seen) and any(a == 1 for *_, a in band_seen),
            "band KPI inside and outside the band in the period")
    c.check(any(kp.loc[k, "direction"] == "lower" for _, k, _ in under), "a lower-is-better KPI under threshold")
    c.check(any(kp.loc[k, "direction"] == "band" for _, k, _ in under), "a band KPI under threshold")
    if folder.name == "northwind":  # the plan forms of SPEC 3.5.1, shown by one demo client
        c.check(len(gated) >= 1, "a gate shut in the reported period caps a payout")
        c.check(len(modified) >= 1 and (modifiers["reason"] != "").all(), "a modifier with a reason applies")
        c.check(any(f == Decimal(str(curves[rules.loc[(emp.loc[e, "position_id"], k), "curve"]]["points"][0][0]))
                    for e, k, f, _ in on_value), "a value-basis curve, with a fact exactly at its first point")
    budget = Decimal(str(cfg["bonus_budget"]))
    c.check(Decimal("0.85") <= pool / budget <= Decimal("1.15"), f"pool {pool:.0f} vs budget {budget} off by > 15 %")
    # ---------------------------------------------------------------- project
    for col in ("pv", "ev", "ac", "scope_planned", "scope_delivered"):
        vals = project[col].map(Decimal).tolist()
        c.check(vals == sorted(vals), f"project.{col} cumulative (non-decreasing)")
    c.check(project["bac"].nunique() == 1, "project.bac constant")
    last = project.iloc[-1]
    cpi, spi = D(last["ev"]) / D(last["ac"]), D(last["ev"]) / D(last["pv"])
    c.check(cpi < 1 and spi < 1, "project slightly over budget and behind schedule")
    spis = [D(a) / D(b) for a, b in zip(project["ev"], project["pv"])]
    c.check(spis[-1] > min(spis), "schedule recovering")
    opened, closed = project["issues_opened"].map(int).cumsum(), project["issues_closed"].map(int).cumsum()
    c.check((closed <= opened).all(), "issues: never more closed than opened")
    # ---------------------------------------------------------------- summary
    c.note(f"{cfg['name']}: {len(emp)} employees ({len(cur['employee_id'].unique())} in {period}), "
           f"{len(pos)} positions, {len(ids)} goals, {len(kpis)} KPIs, {len(periods)} periods, {len(act)} actuals rows")
    c.note("under threshold: " + "; ".join(f"{e} {names[e]} {k} a={a:.3f}" for e, k, a in under))
    c.note("at threshold exactly: " + "; ".join(f"{e} {names[e]} {k}" for e, k in at_threshold))
    c.note("blocked (stop threshold): " + "; ".join(f"{e} {names[e]}" for e in sorted(blocked)))
    c.note("stop factor hit: " + "; ".join(f"{e} {names[e]} {k}={f}" for e, k, f in stopped))
    c.note("capped: " + "; ".join(f"{e} {names[e]} {k}" for e, k in capped))
    c.note("band: " + "; ".join(f"{e} {names[e]} {k} a={a:.3f}" for e, k, a in band_seen))
    if gated or modified or on_value:
        c.note("gate shut: " + "; ".join(f"{e} {names[e]} {k} (gate KPI a={a:.3f})" for e, k, a in gated))
        c.note(f"modifier applied to {len(modified)} employees: " + ", ".join(sorted({f for _, f in modified})))
        c.note("value-basis curve: " + "; ".join(f"{e} {names[e]} {k} fact {f} -> {cf:.3f}" for e, k, f, cf in on_value[:4]))
    c.note("joined mid-period: " + "; ".join(f"{j} {names[j]} ({emp.loc[j, 'start_date']})" for j in joiners)
           + " | left earlier: " + "; ".join(f"{x} {names[x]} ({emp.loc[x, 'end_date']})" for x in leavers))
    c.note(f"bonus pool (this check's estimate) {pool:,.0f} vs budget {budget:,} {cfg['currency']}; "
           f"project CPI {cpi:.3f} SPI {spi:.3f}")
    return c


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or DEFAULT
    failed = 0
    for folder in folders:
        c = check_client(folder)
        print(f"== {folder.name}: {'OK' if not c.failures else 'FAILED'}")
        for n in c.notes:
            print("   ", n)
        for f in c.failures:
            print("    FAIL:", f)
        failed += bool(c.failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
