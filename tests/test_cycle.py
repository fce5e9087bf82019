"""The monthly cycle end to end, as a consultant drives it: collect, merge, close, a changed fact, adjust."""
import csv

import pandas as pd
import pytest

from kpi_toolkit.method.calculate import calculate

from kpi_toolkit.inputs.loading import load_for_period
from kpi_toolkit.cli import main

from cycle_helpers import blank_facts, fill, workspace_client


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _add_month(folder, source: str, target: str):
    """Plans and facts of ``target`` as a copy of ``source``'s (the next month's data arrives)."""
    path = folder / "actuals.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = [target + line[7:] for line in lines if line.startswith(source + ",")]
    path.write_text("\n".join(lines + extra) + "\n", encoding="utf-8")


def _totals(path):
    with open(path, encoding="utf-8") as f:
        return {row["employee_id"]: row for row in csv.DictReader(f)}


def test_the_whole_cycle(tmp_path, ledger_url, capsys, monkeypatch):
    folder = workspace_client(tmp_path)
    reports, db = tmp_path / "reports", ["--database", ledger_url]
    sales_staff = {"E001", "E002", "E003"}
    blank_facts(folder, "2026-09", sales_staff | {"E016", "E017", "E018"})  # not reported yet

    code, out, err = run(capsys, "collect", folder, "--period", "2026-09", "--out", reports, *db)
    assert code == 0, err
    collected = reports / "northwind" / "2026-09" / "collect"
    assert {"sales.xlsx", "marketing.xlsx"} <= {p.name for p in collected.iterdir()}

    actuals = pd.read_csv(folder / "actuals.csv")
    september = actuals[actuals["period"] == "2026-09"]
    heads_facts = {(e, k): round(p * 1.05, 2) for e, k, p in zip(september["employee_id"], september["kpi_id"],
                                                                  september["plan"])
                   if e in sales_staff | {"E016", "E017", "E018"}}
    sales = fill(collected / "sales.xlsx", heads_facts, tmp_path / "sales-returned.xlsx")
    marketing = fill(collected / "marketing.xlsx", heads_facts, tmp_path / "marketing-returned.xlsx")
    code, out, err = run(capsys, "merge", folder, sales, marketing, "--by", "Anna Berg", *db)
    assert code == 0, err
    assert f"{len(heads_facts)} fact(s) written" in out

    code, out, err = run(capsys, "close", folder, "--period", "2026-09", "--by", "Anna Berg", *db)
    assert code == 0, err
    assert "closed by Anna Berg" in out
    code, out, _ = run(capsys, "calc", folder, "--period", "2026-09", "--out", reports, *db)
    assert code == 0 and "these are the amounts paid" in out
    paid = _totals(reports / "northwind" / "2026-09" / "results" / "bonus_totals.csv")

    _add_month(folder, "2026-09", "2026-10")  # next month's data is not a change to September
    code, _, _ = run(capsys, "calc", folder, "--period", "2026-09", "--out", reports, *db)
    assert code == 0

    # A fact of the paid month is corrected in actuals: calc refuses and lists the change.
    text = (folder / "actuals.csv").read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(text) if line.startswith("2026-09,E002,key_account_revenue,"))
    cells = text[row].split(",")
    old_fact, cells[-1] = cells[-1], str(int(float(cells[3]) * 1.25))
    text[row] = ",".join(cells)
    (folder / "actuals.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "calc", folder, "--period", "2026-09", "--out", reports, *db)
    assert code == 1
    assert f"actuals.csv, row {row + 1}, column 'fact'" in err and f"{old_fact} → {cells[-1]}" in err
    assert "kpi-toolkit reopen" in err and "kpi-toolkit adjust" in err
    assert _totals(reports / "northwind" / "2026-09" / "results" / "bonus_totals.csv") == paid  # nothing written

    code, out, err = run(capsys, "adjust", folder, "--period", "2026-09", "--by", "Anna Berg", *db)
    assert code == 0, err
    client, _ = load_for_period(folder, "2026-09")
    now = calculate(client, "2026-09").bonus.totals.set_index("employee_id")["bonus_minor"]
    difference = int(now["E002"]) - round(float(paid["E002"]["bonus"]) * 100)
    assert difference > 0
    assert f"E002: correction for 2026-09: +{difference / 100:,.2f} GBP" in out and "booked on 2026-10" in out

    code, out, err = run(capsys, "calc", folder, "--period", "2026-10", "--out", reports, *db)
    assert code == 0, err
    october = _totals(reports / "northwind" / "2026-10" / "results" / "bonus_totals.csv")
    assert october["E002"]["adjustment"] == f"{difference / 100:.2f}"
    assert october["E002"]["adjustment_note"] == f"correction for 2026-09: +{difference / 100:,.2f}"
    assert october["E001"]["adjustment"] == "0.00"
    history = pd.read_excel(reports / "northwind" / "2026-10" / "results" / "results.xlsx", sheet_name="history",
                            dtype=str)
    assert history.set_index("Period").loc["2026-09", "State"] == "closed"

    monkeypatch.setenv("KPI_TOOLKIT_DATABASE_URL", ledger_url)  # as the stage notebooks find the ledger
    from kpi_toolkit import stages
    statements = stages.bonus_statements(stages.open_stage(folder, "2026-10").results, "en").html
    assert f"Correction for September 2026" in statements and f"+£{difference / 100:,.2f}" in statements
    assert "Adjustments for closed periods" in statements and "Total to pay" in statements

    code, out, _ = run(capsys, "calc", folder, "--period", "2026-09", "--out", reports, *db)
    assert code == 0  # the corrected inputs are the record now

    code, out, _ = run(capsys, "history", folder, *db)
    assert code == 0 and "2026-09" in out and "closed" in out and "sales-returned.xlsx" in out
