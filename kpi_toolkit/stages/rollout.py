"""Stage 06, rollout: goal hierarchy, position matrices, work plans, rollout phases, the change
checklist and the files for payroll."""
from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_toolkit.method.bonus import days_employed, period_bounds
from kpi_toolkit.method.calculate import Results
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.method.kpi_weights import check_selection_rules
from kpi_toolkit.method.matrix import employee_departments
from kpi_toolkit.method.strategy_map import goal_links
from kpi_toolkit.method.targets import suggest_targets
from kpi_toolkit.outputs.html import Html
from kpi_toolkit.outputs.i18n import t
from kpi_toolkit.stages.bonus_scheme import _totals
from kpi_toolkit.stages.common import (
    CHECKLIST,
    DASH,
    ROLLOUT_PHASES,
    _code,
    _col,
    _departments,
    _kpi_attr,
    _kpi_names,
    _levels,
    _missing,
    _money,
    _num,
    _ordered,
    _pct,
    _period,
    _position_order,
    _rounded,
    _sections,
    _staff_departments,
    _word,
    detail_note,
    over_detail_limit,
    write_detail,
    next_period,
    rag_table,
)
from kpi_toolkit.stages.diagnostic import _assessment
from kpi_toolkit.stages.pilot import has_project
from kpi_toolkit.stages.selection import _history, _scheme, _scheme_columns, _warning_text, has_funnel
from kpi_toolkit.stages.strategy import _owners, _position_names, has_map


def goal_hierarchy(results: Results, language: str) -> Html:
    """The final hierarchy (SPEC §3.2): company goal → the position accountable for it → the goal's
    KPIs with their weight in that position's scheme → the positions paid on each KPI, with its
    weight in theirs. Goals run from the root goals down, indented; a goal that supports several
    goals is shown under the first (heaviest) of them. Without a strategy map: each position with
    its expert weights."""
    client = results.client
    kw = results.kpi_weights[results.kpi_weights["kept"]]
    names, positions = _kpi_names(client), _position_names(client)
    order = _position_order(client)
    kw = kw.assign(_p=kw["position_id"].map(order)).sort_values(["_p", "weight"], ascending=[True, False],
                                                                   kind="stable")
    paid = {k: "; ".join(f"{positions.get(p, p)} {_pct(w, language, 1)}" for p, w in zip(g["position_id"], g["weight"]))
            for k, g in kw.groupby("kpi_id", sort=False)}
    rows = []  # (depth, is heading, text, perspective, owner, weight, paid on by)
    if not has_map(results):
        for position_id, group in kw.groupby("position_id", sort=False):
            rows.append((0, True, positions.get(position_id, position_id), "", "", "", ""))
            rows += [(1, False, "• " + str(names.get(k, k)), "", "", _pct(w, language, 1), "")
                     for k, w in zip(group["kpi_id"], group["weight"])]
    else:
        gw = results.goal_weights.set_index("goal_id")
        owners = _owners(client)
        own_weight = {(p, k): w for p, k, w in zip(kw["position_id"], kw["kpi_id"], kw["weight"])}
        goal_of = client.kpis.groupby("goal_id", sort=False)["kpi_id"].agg(list).to_dict()
        links = goal_links(client.goals)
        children = {}
        for parent, child in zip(links["parent_id"], links["goal_id"]):
            children.setdefault(parent, []).append(child)
        seen: set[str] = set()

        def walk(goal_id: str, depth: int) -> None:
            if goal_id in seen:
                return
            seen.add(goal_id)
            owner = owners.get(goal_id)
            rows.append((depth, True, str(gw.at[goal_id, "name"]),
                         _code("perspective", gw.at[goal_id, "perspective"], language),
                         positions.get(owner, DASH), _num(gw.at[goal_id, "weight"], language, 3), ""))
            kpis = [k for k in goal_of.get(goal_id, []) if k in paid]
            kpis.sort(key=lambda k: -own_weight.get((owner, k), 0.0))
            for kpi_id in kpis:
                mine = own_weight.get((owner, kpi_id))
                rows.append((depth + 1, False, "• " + str(names.get(kpi_id, kpi_id)), "", "",
                             DASH if mine is None else _pct(mine, language, 1), paid[kpi_id]))
            for child in sorted(children.get(goal_id, []), key=lambda g: -gw.at[g, "weight"]):
                walk(child, depth + 1)

        for root in [g for g in gw.index if g not in set(links["goal_id"])]:
            walk(root, 0)
    first = _col("goal_or_kpi", language)
    columns = [first, _col("perspective", language), _col("owner", language), _col("weight", language),
               _col("paid_on_by", language)]
    df = pd.DataFrame([r[2:] for r in rows], columns=columns)
    if not has_map(results):
        df = df[[first, _col("weight", language)]]
    styles = [f"padding-left: {2 + 5 * depth}mm" + ("; font-weight: 700" if heading else "")
              for depth, heading, *_ in rows]
    return rag_table(df, styles={first: styles})


def position_matrices(client: ClientData, language: str) -> Html:
    """The KPI matrices of all positions, by department: weights, thresholds, stop thresholds,
    caps, curves."""
    pk = _scheme(client)
    first = ~pk["position_id"].duplicated()
    df = _scheme_columns(pk, client, language)
    df.insert(0, _col("position", language), [str(p) if f else "" for p, f in zip(pk["position"], first)])
    df.insert(0, "_department", [d if isinstance(d, str) else "" for d in pk["department"]])
    return rag_table(df, group_by="_department")


def work_plan_period(results: Results) -> str:
    """The coming period the work plans are for."""
    return next_period(results.period, results.client.config.bonus_period_months)


def work_plans(results: Results, language: str, output_dir=None) -> Html:
    """Work plans for the coming period, per department and employee: each KPI's current plan,
    the employee's average and best result, and the suggested plan (SPEC §3.8).

    Past the client's ``reports.employee_detail_limit`` the employees' plans go to
    ``output_dir/detail/06_work_plans.html``, linked from here, and the report shows each
    position's KPIs with the mean current and suggested plan of its employees.
    """
    if over_detail_limit(results):
        rows = _work_plan_rows(results)
        link = None
        if output_dir:
            link = write_detail(output_dir, "06_work_plans",
                                t("stage06.work_plans.title", language,
                                  period=_period(work_plan_period(results), language)),
                                _work_plan_sections(rows, language).html, results, language)
        frame = pd.DataFrame(rows, columns=["department", "position", "employee", "kpi", "unit", "current",
                                            "average", "best", "suggested"])
        for column in ("current", "suggested"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        g = frame.groupby(["department", "position", "kpi"], sort=False, dropna=False).agg(
            unit=("unit", "first"), employees=("employee", "nunique"), current=("current", "mean"),
            suggested=("suggested", "mean")).reset_index()
        df = pd.DataFrame({
            "_position": [f"{p} · {d}" for p, d in zip(g["position"], g["department"])],
            _col("kpi", language): g["kpi"].astype(str),
            _col("unit", language): [DASH if _missing(u) else str(u) for u in g["unit"]],
            _col("employees", language): [_num(v, language, 0) for v in g["employees"]],
            _col("mean_current_plan", language): [_num(v, language) for v in g["current"]],
            _col("mean_next_plan", language): [_rounded(v, language) for v in g["suggested"]],
        })
        return Html(detail_note("stages.detail.work_plans", link, results, language) + "\n"
                    + rag_table(df, group_by="_position").html)
    return _work_plan_sections(_work_plan_rows(results), language)


def _work_plan_sections(rows: list, language: str) -> Html:
    parts, body, current_dept = [], [], None
    for row in rows:
        if row[0] != current_dept:
            if body:
                parts.append((str(current_dept), _work_plan_table(body, language)))
            current_dept, body = row[0], []
        body.append(row[2:])
    if body:
        parts.append((str(current_dept), _work_plan_table(body, language)))
    return _sections(parts)


def _work_plan_rows(results: Results) -> list[tuple]:
    """(department, position, employee, KPI, unit, current plan, average, best, suggested) per
    employee in work in the coming period and KPI of the employee's position, in report order."""
    client = results.client
    history = _history(client, results.period)
    employees = client.employees
    in_work = employees[[days_employed(*period_bounds(work_plan_period(results), client.config.bonus_period_months),
                                       s, e) > 0 for s, e in zip(employees["start_date"], employees["end_date"])]]
    levels = _levels(client)
    level = {e: levels.get(p, "line") for e, p in zip(in_work["employee_id"], in_work["position_id"])}
    direction = {k: d for k, d in _kpi_attr(client, "direction").items() if isinstance(d, str)}
    history = history[history["employee_id"].isin(level)]
    suggested = suggest_targets(history[["period", "employee_id", "kpi_id", "fact"]], direction, level=level)
    suggested = suggested.set_index(["employee_id", "kpi_id"])
    current = history[history["period"].astype(str) == results.period].set_index(["employee_id", "kpi_id"])["plan"]
    units, names = _kpi_attr(client, "unit"), _kpi_names(client)
    scheme = _scheme(client)
    positions = dict(zip(client.positions["position_id"], client.positions["name"]))
    frame = in_work.assign(employee=in_work["name"], position=in_work["position_id"].map(positions),
                           department=employee_departments(in_work, client.positions))
    kpis_of = {p: list(k) for p, k in scheme.groupby("position_id", sort=False)["kpi_id"]}
    rows = []
    for e in _ordered(frame, client).itertuples():
        for kpi_id in kpis_of.get(e.position_id, []):
            s = suggested.loc[(e.employee_id, kpi_id)] if (e.employee_id, kpi_id) in suggested.index else None
            rows.append((e.department, e.position, e.employee, names.get(kpi_id, kpi_id), units.get(kpi_id),
                         current.get((e.employee_id, kpi_id)),
                         None if s is None else s["average"], None if s is None else s["best"],
                         None if s is None else s["suggested"]))
    return rows


def _work_plan_table(rows: list, language: str) -> str:
    columns = ["_employee"] + [_col(c, language) for c in ("kpi", "unit", "current_plan", "average", "best",
                                                           "next_plan")]
    shown = [(str(r[0]), str(r[1]), DASH if _missing(r[2]) else str(r[2]), _num(r[3], language),
              _rounded(r[4], language), _num(r[5], language), _rounded(r[6], language)) for r in rows]
    return rag_table(pd.DataFrame(shown, columns=columns), group_by="_employee").html


def rollout_phase_of(client: ClientData) -> dict[str, str]:
    """The rollout phase of each department: commercial units first, back office last.

    The rule: a department with a KPI in a sales family (clients in work, attention to clients,
    time regulations, work intensity) is commercial; of the others, those with at least the
    average headcount of the non-commercial departments (production, warehouse) come next as
    operations; the rest, the small support units, are the back office.
    """
    departments = _departments(client)
    staff = _staff_departments(client)
    family = client.position_kpis["kpi_id"].map(_kpi_attr(client, "sales_family")) \
        if "sales_family" in client.kpis else None
    selling = set(client.position_kpis.loc[family.notna() & (family.astype(str) != ""), "position_id"]) \
        if family is not None else set()
    default = dict(zip(client.positions["position_id"], client.positions["department"]))
    commercial = set(staff.loc[staff["position_id"].isin(selling), "department"]) | {
        default[p] for p in selling if p in default and not (staff["position_id"] == p).any()}
    headcount = staff.groupby("department").size()
    others = [d for d in departments if d not in commercial]
    average = float(np.mean([headcount.get(d, 0) for d in others])) if others else 0.0
    return {d: "commercial" if d in commercial else "operations" if headcount.get(d, 0) >= average
            else "back_office" for d in departments}


def rollout_table(results: Results, language: str) -> pd.DataFrame:
    """The phased rollout: departments in order of phase, with headcount and the period each starts."""
    client = results.client
    phase = rollout_phase_of(client)
    staff = _staff_departments(client)
    headcount = staff.groupby("department").size()
    unstaffed = client.positions[~client.positions["position_id"].isin(staff["position_id"])]
    positions = pd.concat([staff, unstaffed[["position_id", "department"]]]).groupby("department")[
        "position_id"].nunique()
    start = work_plan_period(results)
    months = client.config.bonus_period_months
    rows = []
    for number, code in enumerate(ROLLOUT_PHASES):
        for d in [d for d, p in phase.items() if p == code]:
            rows.append((f"{number + 1}. {_code('rollout_phase', code, language)}", d,
                         _num(int(headcount.get(d, 0)), language, 0), _num(int(positions.get(d, 0)), language, 0),
                         _period(next_period(start, number * months) if number else start, language)))
    return pd.DataFrame(rows, columns=[_col(c, language) for c in ("phase", "department", "employees", "positions",
                                                                    "starts")])


def change_checklist(results: Results, language: str) -> pd.DataFrame:
    """The change-management checklist: the standing steps, then one per readiness risk and per
    selection-rule warning."""
    client = results.client
    rows = [(t(f"stage06.checklist.{k}", language), _word("source_method", language)) for k in CHECKLIST]
    a = _assessment(client, language)
    for condition, answer in zip(a["text"][a["risk"] != ""], a["answer"][a["risk"] != ""]):
        rows.append((t("stage06.checklist.fix_condition", language, condition=condition),
                     _word("source_readiness", language) + f" ({_code('answer', answer, language)})"))
    for problem in check_selection_rules(client.positions, client.position_kpis, client.kpis, client.sources):
        message, fix = _warning_text(problem, client, language)
        rows.append((f"{message} {fix}.", _word("source_selection", language)))
    return pd.DataFrame({_col("number", language): [str(i + 1) for i in range(len(rows))],
                         _col("action", language): [r[0] for r in rows],
                         _col("source", language): [r[1] for r in rows]})


def export_files(results: Results, language: str) -> pd.DataFrame:
    """What a run writes for payroll and HR systems (SPEC §5), file by file."""
    files = ["bonus_totals.csv", "bonus_lines.csv", "goal_weights.csv", "kpi_weights.csv"]
    if has_project(results):
        files.append("project_scorecard.csv")
    if has_funnel(results):
        files.append("funnel_plan.csv")
    files += ["results.xlsx", "manifest.json"]
    return pd.DataFrame({_col("file", language): files,
                         _col("content", language): [t(f"stage06.export.{f.split('.')[0]}", language) for f in files]})


def payroll_table(results: Results, language: str) -> pd.DataFrame:
    """The bonus totals as payroll receives them: employee ID, name, position, fund and bonus.

    Past the client's ``reports.employee_detail_limit``, one line per department (employees,
    fund, bonus): every employee's line is in the results folder's payroll files.
    """
    client = results.client
    t_ = _totals(results)
    scale = 10 ** results.bonus.decimals
    if over_detail_limit(results):
        g = t_.groupby("department", sort=False, observed=True).agg(
            employees=("employee_id", "size"), fund=("fund_minor", "sum"), bonus=("bonus_minor", "sum")).reset_index()
        rows = [(str(r.department), _num(r.employees, language, 0), _money(int(r.fund) / scale, client, language),
                 _money(int(r.bonus) / scale, client, language)) for r in g.itertuples()]
        rows.append((t("report.total", language), _num(int(g["employees"].sum()), language, 0),
                     _money(int(g["fund"].sum()) / scale, client, language),
                     _money(int(g["bonus"].sum()) / scale, client, language)))
        return pd.DataFrame(rows, columns=[_col(c, language) for c in ("department", "employees", "fund", "bonus")])
    df = pd.DataFrame({
        _col("employee_id", language): t_["employee_id"].astype(str),
        _col("employee", language): t_["employee"].astype(str),
        _col("position", language): t_["position"].astype(str),
        _col("department", language): t_["department"].astype(str),
        _col("fund", language): [_money(v, client, language) for v in t_["bonus_fund"]],
        _col("bonus", language): [_money(v, client, language) for v in t_["bonus"]],
    })
    total = {c: "" for c in df.columns}
    total[_col("employee_id", language)] = t("report.total", language)
    total[_col("fund", language)] = _money(int(t_["fund_minor"].sum()) / scale, client, language)
    total[_col("bonus", language)] = _money(int(t_["bonus_minor"].sum()) / scale, client, language)
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)
