"""Closed periods (SPEC §7): close, reopen, adjust, history, and what ``calc``/``run`` do with them.

Closing a period stores in the ledger the paid lines and totals and a snapshot of every input
cell that decides them (the period's actuals, employees employed in it, positions, KPIs,
weights, stop factors, goals, and the money settings). Afterwards ``calc`` and ``run`` of the
period show the stored amounts; if an input changed since, they refuse and list each change
(file, row, column, old → new) with the two ways out: ``reopen`` (recorded with a reason; the
next close stores the new amounts) or ``adjust``, which books each employee's difference on
the next open period as a correction line — the payroll way of correcting a paid month.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from kpi_toolkit.cycle import ledger as db
from kpi_toolkit.method.bonus import compute_bonuses, year_periods
from kpi_toolkit.method.calculate import Results, calculate
from kpi_toolkit.method.client import ClientData
from kpi_toolkit.errors import ClosedPeriodChangedError, KpiToolkitError, PeriodClosedError, Problem
from kpi_toolkit.method.exact import format_minor
from kpi_toolkit.method.schema import ROW, TABLES

log = logging.getLogger("kpi_toolkit")

#: Tables whose cells decide a period's amounts (the project scorecard pays nothing).
DECIDING = ("goals", "kpis", "positions", "position_kpis", "stop_factors", "gates", "modifiers", "employees", "actuals")
#: Settings that decide amounts (the rest are words, contacts and branding).
MONEY_SETTINGS = ("currency", "currency_decimals", "bonus_period_months", "payout_curves", "strategy_method")


@dataclass(frozen=True)
class InputChange:
    """One input cell that differs from the snapshot taken when the period was closed."""

    source: str
    row: int | None
    column: str | None
    old: str
    new: str

    def __str__(self) -> str:
        where = ", ".join([self.source] + ([f"row {self.row}"] if self.row else []) +
                          ([f"column '{self.column}'"] if self.column else []))
        return f"{where}: {self.old or 'empty'} → {self.new or 'empty'}"


# --------------------------------------------------------------------------- snapshot


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (float, np.floating)):
        return np.format_float_positional(float(value), trim="-")
    if isinstance(value, (np.integer,)):
        return str(int(value))
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _months(period: str, months: int) -> set[str]:
    year, month = int(period[:4]), int(period[5:7])
    out = set()
    for shift in range(-(months - 1), months):
        index = year * 12 + month - 1 + shift
        out.add(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return out


def snapshot(client: ClientData, period: str) -> dict:
    """Every input cell that decides ``period``'s amounts, keyed by table, record key and column.

    Rows of other periods' actuals and employees not employed in the period are left out, so
    next month's facts or a new hire do not count as changes to a closed month.
    """
    from kpi_toolkit.method.bonus import period_bounds

    tables = {}
    months = client.config.bonus_period_months
    start, end = period_bounds(min(_months(period, months)), 2 * months - 1)
    for name in DECIDING:
        frame = client.tables[name]
        if name == "actuals":
            frame = frame[frame["period"].isin(_months(period, months))]
        if name == "employees":
            starts = pd.to_datetime(frame["start_date"])
            ends = pd.to_datetime(frame["end_date"])
            employed = (starts.isna() | (starts <= pd.Timestamp(end))) & (ends.isna() | (ends >= pd.Timestamp(start)))
            frame = frame[employed.to_numpy()]
        table = TABLES[name]
        columns = [c for c in table.column_names if c in frame.columns]
        key = list(table.key) or columns
        rows = {}
        for record in frame.to_dict("records"):
            rows["\x1f".join(_text(record[k]) for k in key)] = {
                ROW: int(record[ROW]), **{c: _text(record[c]) for c in columns}}
        tables[name] = {"source": client.sources.get(name, name), "rows": rows}
    config = dataclasses.asdict(client.config)
    settings = {k: json.dumps(config.get(k), sort_keys=True, default=str) for k in MONEY_SETTINGS}
    return {"tables": tables, "settings": settings, "settings_source": client.sources.get("client", "client.yaml")}


def changes_since(old: dict, new: dict) -> list[InputChange]:
    """Every difference between two snapshots: changed cells, added and removed rows, changed settings."""
    found: list[InputChange] = []
    for name, then in old["tables"].items():
        now = new["tables"].get(name, {"source": then["source"], "rows": {}})
        source = now["source"]
        for key, row in then["rows"].items():
            current = now["rows"].get(key)
            if current is None:
                found.append(InputChange(then["source"], row[ROW], None, "row " + _describe(row), "removed"))
                continue
            for column, value in row.items():
                if column != ROW and current.get(column, "") != value:
                    found.append(InputChange(source, current[ROW], column, value, current.get(column, "")))
        for key, row in now["rows"].items():
            if key not in then["rows"]:
                found.append(InputChange(source, row[ROW], None, "no row", "row " + _describe(row) + " added"))
    for key, value in old["settings"].items():
        if new["settings"].get(key) != value:
            found.append(InputChange(new.get("settings_source", "client.yaml"), None, key, value,
                                     new["settings"].get(key, "")))
    return sorted(found, key=lambda c: (c.source, c.row or 0, c.column or ""))


def _describe(row: dict) -> str:
    return "(" + ", ".join(v for k, v in row.items() if k != ROW and v)[:80] + ")"


# --------------------------------------------------------------------------- the commands


def close_period(folder: str | Path, period: str, by: str, database: str | None = None) -> dict:
    """Compute ``period``, store its paid lines, totals and input snapshot, and mark it closed."""
    from kpi_toolkit.inputs.loading import load_for_period

    client, period = load_for_period(folder, period)
    with db.open_ledger(folder, database) as ledger, ledger.transaction(client.slug) as conn:
        results = calculate(client, period, paid=paid_earlier(conn, client, period))
        closing = db.current_closing(conn, client.slug, period)
        if closing is None:
            closing_id, state = _store(conn, client, period, results, "close", by), "closed"
        else:
            found = changes_since(_snapshot_of(closing), snapshot(client, period))
            if found:
                raise _changed(client, period, closing, found)
            closing_id, state = closing.id, f"already closed by {closing.closed_by} on {closing.closed_at:%Y-%m-%d}"
    pool = int(results.bonus.totals["bonus_minor"].sum())
    return {"closing": closing_id, "period": period, "pool": format_minor(pool, results.bonus.decimals),
            "currency": client.config.currency, "employees": len(results.bonus.totals), "state": state}


def _store(conn, client: ClientData, period: str, results: Results, kind: str, by: str) -> int:
    from kpi_toolkit.outputs.results import result_tables

    tables = result_tables(results)
    bonus = results.bonus
    closing_id = conn.execute(db.closings.insert().values(
        client=client.slug, period=period, kind=kind, closed_by=by, closed_at=db.now(),
        currency=client.config.currency, decimals=bonus.decimals,
        pool_minor=int(bonus.totals["bonus_minor"].sum()),
        input_hashes=json.dumps(client.input_hashes, sort_keys=True),
        inputs=db.pack(json.dumps(snapshot(client, period), ensure_ascii=False, sort_keys=True)),
    )).inserted_primary_key[0]
    totals = tables["bonus_totals"]
    conn.execute(db.closed_totals.insert(), [
        {"closing_id": closing_id, "employee_id": str(e), "position_id": str(p), "bonus_minor": int(m),
         "fields": json.dumps(row, ensure_ascii=False)}
        for e, p, m, row in zip(bonus.totals["employee_id"], bonus.totals["position_id"], bonus.totals["bonus_minor"],
                                totals.to_dict("records"))])
    lines = tables["bonus_lines"]
    if len(lines):
        conn.execute(db.closed_lines.insert(), [
            {"closing_id": closing_id, "employee_id": str(e), "kpi_id": str(k), "bonus_minor": int(m),
             "fields": json.dumps(row, ensure_ascii=False)}
            for e, k, m, row in zip(bonus.lines["employee_id"], bonus.lines["kpi_id"], bonus.lines["bonus_minor"],
                                    lines.to_dict("records"))])
    return closing_id


def reopen_period(folder: str | Path, period: str, reason: str, by: str, database: str | None = None) -> None:
    """Reopen a closed period, recording who and why; the next close stores the new amounts."""
    slug = Path(folder).name
    if not reason.strip():
        raise KpiToolkitError("say why the period is reopened: --reason TEXT (it is kept in the ledger)")
    with db.open_ledger(folder, database) as ledger, ledger.transaction(slug) as conn:
        closing = db.current_closing(conn, slug, period)
        if closing is None:
            raise PeriodClosedError(f"period {period} of {slug} is not closed; nothing to reopen")
        conn.execute(db.reopenings.insert().values(client=slug, period=period, closing_id=closing.id,
                                                   reopened_by=by, reopened_at=db.now(), reason=reason.strip()))


def adjust_period(folder: str | Path, period: str, by: str, database: str | None = None) -> dict:
    """Book each employee's difference between ``period``'s amounts now and what was paid, on the next open period.

    The closed period keeps its state; its snapshot and amounts become the corrected ones, so
    ``calc`` of it shows them, and the next open period's ``bonus_totals.csv`` carries the
    ``adjustment``.
    """
    from kpi_toolkit.inputs.loading import load_for_period

    client, period = load_for_period(folder, period)
    results = calculate(client, period)
    with db.open_ledger(folder, database) as ledger, ledger.transaction(client.slug) as conn:
        closing = db.current_closing(conn, client.slug, period)
        if closing is None:
            raise PeriodClosedError(f"period {period} of {client.slug} is not closed: compute it again with "
                                    "kpi-toolkit calc; adjustments correct closed periods only")
        target = next_open_period(conn, client, period)
        paid = _paid(conn, closing.id)
        now = {str(e): (str(p), int(m)) for e, p, m in zip(results.bonus.totals["employee_id"],
                                                          results.bonus.totals["position_id"],
                                                          results.bonus.totals["bonus_minor"])}
        booked = []
        for employee in sorted(set(paid) | set(now)):
            position = (now.get(employee) or paid.get(employee))[0]
            difference = now.get(employee, ("", 0))[1] - paid.get(employee, ("", 0))[1]
            if difference:
                booked.append({"employee_id": employee, "position_id": position, "amount_minor": difference})
        if not booked and not changes_since(_snapshot_of(closing), snapshot(client, period)):
            raise KpiToolkitError(f"period {period} of {client.slug}: nothing changed since it was closed; "
                                  "nothing to adjust")
        closing_id = _store(conn, client, period, results, "adjust", by)
        if booked:
            conn.execute(db.adjustments.insert(), [
                {**b, "client": client.slug, "period": target, "corrects": period, "closing_id": closing_id,
                 "booked_by": by, "booked_at": db.now()} for b in booked])
    return {"target": target, "booked": booked, "decimals": results.bonus.decimals,
            "currency": client.config.currency}


def next_open_period(conn, client: ClientData, period: str) -> str:
    """The first period after ``period`` that is not closed (it need not have actuals yet)."""
    candidate = period
    while True:
        year, month = int(candidate[:4]), int(candidate[5:7])
        candidate = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
        if db.current_closing(conn, client.slug, candidate) is None:
            return candidate


def paid_earlier(conn, client: ClientData, period: str) -> pd.DataFrame | None:
    """What the ledger says was paid for the closed periods of ``period``'s year before it
    (``period, employee_id, bonus_minor``), for positions paid on the year to date (SPEC 3.5.1);
    ``None`` when no position is (nothing is read)."""
    if "payout_basis" not in client.positions or not (client.positions["payout_basis"] == "ytd").any():
        return None
    rows = []
    for earlier in year_periods(period, client.config.bonus_period_months)[:-1]:
        closing = db.current_closing(conn, client.slug, earlier)
        if closing is not None:
            rows += [{"period": earlier, "employee_id": e, "bonus_minor": m} for e, (_, m) in
                     _paid(conn, closing.id).items()]
    return pd.DataFrame(rows, columns=["period", "employee_id", "bonus_minor"])


def _paid(conn, closing_id: int) -> dict[str, tuple[str, int]]:
    rows = conn.execute(sa.select(db.closed_totals).where(db.closed_totals.c.closing_id == closing_id)).all()
    return {r.employee_id: (r.position_id, int(r.bonus_minor)) for r in rows}


def _snapshot_of(closing) -> dict:
    return json.loads(db.unpack(closing.inputs))


# --------------------------------------------------------------------------- calc and run of a closed period


def refuse_changed(client: ClientData, period: str, database: str | None = None):
    """The closing in force for ``period`` (``None`` when open); raise if its inputs changed since.

    Raises :class:`~kpi_toolkit.errors.ClosedPeriodChangedError` listing each change with the
    two ways out.
    """
    ledger = db.existing_ledger(client.path, database)
    if ledger is None:
        return None
    with ledger, ledger.transaction(client.slug) as conn:
        closing = db.current_closing(conn, client.slug, period)
    if closing is None:
        return None
    found = changes_since(_snapshot_of(closing), snapshot(client, period))
    if found:
        raise _changed(client, period, closing, found)
    return closing


def _changed(client: ClientData, period: str, closing, found: list[InputChange]) -> ClosedPeriodChangedError:
    fix = (f"either reopen the period (kpi-toolkit reopen {client.path} --period {period} --reason TEXT; the "
           f"next close stores the new amounts), or book the differences on the next open period "
           f"(kpi-toolkit adjust {client.path} --period {period})")
    return ClosedPeriodChangedError([
        Problem(table=c.source, row=c.row, column=c.column, client=client.slug, fix=fix,
                message=f"changed since period {period} was closed by {closing.closed_by} on "
                        f"{closing.closed_at:%Y-%m-%d}: {c.old or 'empty'} → {c.new or 'empty'}")
        for c in found], client=client.slug)


def settle(results: Results, database: str | None = None) -> tuple[Results, object]:
    """``results`` as the ledger holds them: a closed period's stored amounts (verified), any adjustments booked.

    Returns the results (with ``adjustments`` attached) and the closing in force (or ``None``).
    Raises :class:`~kpi_toolkit.errors.ClosedPeriodChangedError` when a closed period's inputs
    changed, and :class:`~kpi_toolkit.errors.PeriodClosedError` when they did not but the
    amounts computed now differ from the stored ones (a different toolkit version).
    """
    client, period = results.client, results.period
    closing = refuse_changed(client, period, database)
    ledger = db.existing_ledger(client.path, database)
    if ledger is None:
        return results, None
    with ledger, ledger.transaction(client.slug) as conn:
        paid = paid_earlier(conn, client, period)
        if paid is not None and len(paid):  # the year to date: what closed periods paid, from the ledger
            results = dataclasses.replace(results, bonus=compute_bonuses(client, period, paid=paid))
        if closing is not None:
            paid = _paid(conn, closing.id)
            now = dict(zip(results.bonus.totals["employee_id"].astype(str),
                           results.bonus.totals["bonus_minor"].astype(int)))
            differ = sorted(e for e in set(paid) | set(now) if paid.get(e, (None, 0))[1] != now.get(e, 0))
            if differ:
                shown = ", ".join(f"{e}: paid {format_minor(paid.get(e, ('', 0))[1], closing.decimals)}, now "
                                  f"{format_minor(now.get(e, 0), closing.decimals)}" for e in differ[:5])
                raise PeriodClosedError(
                    f"period {period} of {client.slug} is closed and its inputs are unchanged, but this toolkit "
                    f"computes other amounts than were paid ({shown}); the stored amounts stand. Reopen the "
                    f"period (kpi-toolkit reopen {client.path} --period {period} --reason TEXT) or book the "
                    f"differences (kpi-toolkit adjust {client.path} --period {period})")
        booked = conn.execute(sa.select(db.adjustments).where(
            db.adjustments.c.client == client.slug, db.adjustments.c.period == period)
            .order_by(db.adjustments.c.id)).all()
    adjustments = pd.DataFrame([{"employee_id": b.employee_id, "position_id": b.position_id,
                                 "corrects": b.corrects, "amount_minor": int(b.amount_minor)} for b in booked],
                               columns=["employee_id", "position_id", "corrects", "amount_minor"])
    periods = history(client.path, database)["periods"]
    return dataclasses.replace(results, adjustments=adjustments, history=periods if len(periods) else None), closing


# --------------------------------------------------------------------------- history


def closed_pools(client: ClientData, database: str | None = None) -> dict[str, int]:
    """The pool of every period closed now, in minor units, as the ledger stored it (the closing
    in force: the last close or adjustment not reopened). Empty when the client has no ledger yet
    (none is created)."""
    ledger = db.existing_ledger(client.path, database)
    if ledger is None:
        return {}
    with ledger, ledger.transaction(client.slug) as conn:
        closings = conn.execute(sa.select(db.closings).where(db.closings.c.client == client.slug)
                                .order_by(db.closings.c.id)).all()
        reopened = {r.closing_id for r in conn.execute(sa.select(db.reopenings.c.closing_id)
                                                       .where(db.reopenings.c.client == client.slug)).all()}
    last = {c.period: c for c in closings}  # ordered by id: the last closing of each period wins
    return {period: int(c.pool_minor) for period, c in sorted(last.items()) if c.id not in reopened}


def history(folder: str | Path, database: str | None = None) -> dict[str, pd.DataFrame]:
    """The ledger's record of a client: ``periods`` (state, closed by whom and when, reopened and why),
    ``submissions`` and ``adjustments``, as tables."""
    slug = Path(folder).name
    with db.open_ledger(folder, database) as ledger, ledger.transaction(slug) as conn:
        closings = conn.execute(sa.select(db.closings).where(db.closings.c.client == slug)
                                .order_by(db.closings.c.id)).all()
        reopenings = conn.execute(sa.select(db.reopenings).where(db.reopenings.c.client == slug)
                                  .order_by(db.reopenings.c.id)).all()
        submissions = conn.execute(sa.select(db.submissions).where(db.submissions.c.client == slug)
                                   .order_by(db.submissions.c.id)).all()
        adjustments = conn.execute(sa.select(db.adjustments).where(db.adjustments.c.client == slug)
                                   .order_by(db.adjustments.c.id)).all()
    periods = sorted({c.period for c in closings} | {s.period for s in submissions} | {a.period for a in adjustments})
    rows = []
    for period in periods:
        mine = [c for c in closings if c.period == period]
        opened = [r for r in reopenings if r.period == period]
        last = mine[-1] if mine else None
        reopened = [r for r in opened if last is not None and r.closing_id == last.id]
        close = next((c for c in reversed(mine) if c.kind == "close"), None)  # the close in force, or last undone
        state = "open" if last is None else "reopened" if reopened else "closed"
        rows.append({
            "period": period, "state": state,
            "closed_by": close.closed_by if close else "",
            "closed_at": f"{close.closed_at:%Y-%m-%d %H:%M}" if close else "",
            "pool": format_minor(last.pool_minor, last.decimals) + f" {last.currency}" if last else "",
            "reopened": "; ".join(f"{r.reopened_at:%Y-%m-%d} by {r.reopened_by}: {r.reason}" for r in opened),
            "adjusted": "; ".join(f"{c.closed_at:%Y-%m-%d} by {c.closed_by}" for c in mine if c.kind == "adjust"),
            "submissions": sum(1 for s in submissions if s.period == period),
        })
    return {
        "periods": pd.DataFrame(rows, columns=["period", "state", "closed_by", "closed_at", "pool", "reopened",
                                               "adjusted", "submissions"]),
        "submissions": pd.DataFrame(
            [{"id": s.id, "period": s.period, "scope": s.scope, "file": s.file_name,
              "sha256": s.file_hash[:12], "by": s.submitted_by, "at": f"{s.submitted_at:%Y-%m-%d %H:%M}",
              "cells_changed": s.cells_changed} for s in submissions],
            columns=["id", "period", "scope", "file", "sha256", "by", "at", "cells_changed"]),
        "adjustments": pd.DataFrame(
            [{"period": a.period, "employee_id": a.employee_id, "corrects": a.corrects,
              "amount": format_minor(a.amount_minor, _decimals(closings, a.closing_id)), "by": a.booked_by,
              "at": f"{a.booked_at:%Y-%m-%d %H:%M}"} for a in adjustments],
            columns=["period", "employee_id", "corrects", "amount", "by", "at"]),
    }


def _decimals(closings, closing_id: int) -> int:
    return next((c.decimals for c in closings if c.id == closing_id), 2)
