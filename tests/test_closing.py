"""Closed periods: close, reopen, adjust, history, and calc/run of a closed period."""
import pytest
import sqlalchemy as sa

from kpi_toolkit.cycle import ledger as db
from kpi_toolkit.method.calculate import calculate
from kpi_toolkit.inputs.loading import load_for_period
from kpi_toolkit.cli import main
from kpi_toolkit.cycle.closing import changes_since, close_period, history, reopen_period, snapshot
from kpi_toolkit.cycle.collect import collect
from kpi_toolkit.errors import ClosedPeriodChangedError, KpiToolkitError, PeriodClosedError, SubmissionError
from kpi_toolkit.cycle.merge import merge
from kpi_toolkit.running.runner import RunOptions, _load

from cycle_helpers import FIXTURES, fill, workspace_client


@pytest.fixture
def northwind(tmp_path):
    return workspace_client(tmp_path)


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'kpi-ledger.sqlite'}"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_closing_again_is_a_no_op_while_inputs_are_unchanged(northwind, url, capsys):
    assert run(capsys, "close", northwind, "--period", "2026-08", "--by", "anna", "--database", url)[0] == 0
    code, out, _ = run(capsys, "close", northwind, "--period", "2026-08", "--by", "boris", "--database", url)
    assert code == 0 and "already closed by anna" in out
    assert [c for c in history(northwind, url)["periods"]["closed_by"]] == ["anna"]


def test_changed_employee_and_setting_are_listed_with_file_row_and_column(northwind, url, capsys):
    close_period(northwind, "2026-08", "anna", url)
    _replace(northwind / "employees.csv", "E002,Sarah Mitchell,key-account-manager,Sales,4500,",
             "E002,Sarah Mitchell,key-account-manager,Sales,4700,")
    _replace(northwind / "client.yaml", "points: [[0.7, 0.5], [1.0, 1.0], [1.3, 1.5]]",
             "points: [[0.7, 0.5], [1.0, 1.0], [1.3, 1.6]]")
    code, _, err = run(capsys, "calc", northwind, "--period", "2026-08", "--out", northwind.parent.parent / "r",
                       "--database", url)
    assert code == 1
    assert "employees.csv, row 3, column 'base_salary'" in err and "4500 → 4700" in err
    assert "client.yaml, column 'payout_curves'" in err


def test_next_months_data_and_a_new_hire_are_not_changes_to_a_closed_month(northwind, url):
    close_period(northwind, "2026-08", "anna", url)
    client, _ = load_for_period(northwind, "2026-08")
    before = snapshot(client, "2026-08")
    with open(northwind / "employees.csv", "a", encoding="utf-8") as f:
        f.write("E099,New Starter,sales-manager,Sales,3000,,2026-10-01,\n")
    text = (northwind / "actuals.csv").read_text(encoding="utf-8")
    september = [line for line in text.splitlines() if line.startswith("2026-09,")]
    (northwind / "actuals.csv").write_text(text + "\n".join("2026-10" + line[7:] for line in september) + "\n",
                                           encoding="utf-8")
    client, _ = load_for_period(northwind, "2026-08")
    assert changes_since(before, snapshot(client, "2026-08")) == []


def test_run_of_a_changed_closed_period_is_refused_before_any_notebook(northwind, url, monkeypatch):
    monkeypatch.setenv("KPI_TOOLKIT_DATABASE_URL", url)
    close_period(northwind, "2026-08", "anna", url)
    _replace(northwind / "actuals.csv", "2026-08,E006,revenue,", "2026-08,E006,revenue,1")  # plan 1xxxxx
    with pytest.raises(ClosedPeriodChangedError, match=r"actuals.csv, row \d+, column 'plan'"):
        _load(northwind, RunOptions(stages=(), period="2026-08"))


def test_reopen_records_the_reason_and_the_next_close_stores_the_new_amounts(northwind, url, capsys):
    close_period(northwind, "2026-08", "anna", url)
    _replace(northwind / "employees.csv", "E001,Daniel Whitaker,head-of-sales,Sales,6800,",
             "E001,Daniel Whitaker,head-of-sales,Sales,7000,")
    code, out, _ = run(capsys, "reopen", northwind, "--period", "2026-08", "--reason", "salary backdated",
                       "--by", "boris", "--database", url)
    assert code == 0 and "reopened" in out
    code, out, _ = run(capsys, "calc", northwind, "--period", "2026-08", "--out", northwind.parent.parent / "r",
                       "--database", url)
    assert code == 0 and "amounts paid" not in out
    close_period(northwind, "2026-08", "carla", url)
    periods = history(northwind, url)["periods"].set_index("period")
    assert periods.loc["2026-08", "state"] == "closed"
    assert "by boris: salary backdated" in periods.loc["2026-08", "reopened"]
    client, _ = load_for_period(northwind, "2026-08")
    pool = int(calculate(client, "2026-08").bonus.totals["bonus_minor"].sum())
    with db.Ledger(url) as ledger, ledger.transaction() as conn:
        stored = conn.execute(sa.select(db.closings.c.pool_minor).order_by(db.closings.c.id.desc())).first()[0]
    assert stored == pool


def test_reopen_needs_a_closed_period_and_a_reason(northwind, url):
    with pytest.raises(PeriodClosedError, match="not closed"):
        reopen_period(northwind, "2026-08", "typo", "anna", url)
    close_period(northwind, "2026-08", "anna", url)
    with pytest.raises(KpiToolkitError, match="--reason"):
        reopen_period(northwind, "2026-08", "  ", "anna", url)


def test_facts_of_a_closed_period_are_neither_collected_nor_merged(northwind, url, tmp_path):
    books = {p.stem: p for p in collect(northwind, "2026-08", out=tmp_path / "r", database=url)}
    close_period(northwind, "2026-08", "anna", url)
    before = (northwind / "actuals.csv").read_bytes()
    returned = fill(books["sales"], {("E001", "revenue"): 1}, tmp_path / "s.xlsx")
    with pytest.raises(SubmissionError, match="period 2026-08 is closed .*kpi-toolkit reopen"):
        merge(northwind, [returned], database=url)
    assert (northwind / "actuals.csv").read_bytes() == before
    with pytest.raises(PeriodClosedError, match="is closed"):
        collect(northwind, "2026-08", out=tmp_path / "r", database=url)


def test_stored_amounts_stand_when_the_toolkit_computes_others(northwind, url, capsys):
    close_period(northwind, "2026-08", "anna", url)
    with db.Ledger(url) as ledger, ledger.transaction() as conn:
        conn.execute(db.closed_totals.update().where(db.closed_totals.c.employee_id == "E002")
                     .values(bonus_minor=db.closed_totals.c.bonus_minor + 1))
    code, _, err = run(capsys, "calc", northwind, "--period", "2026-08", "--out", northwind.parent.parent / "r",
                       "--database", url)
    assert code == 1 and "computes other amounts than were paid (E002: paid" in err


def test_adjust_needs_a_change(northwind, url):
    from kpi_toolkit.cycle.closing import adjust_period

    with pytest.raises(PeriodClosedError, match="not closed"):
        adjust_period(northwind, "2026-08", "anna", url)
    close_period(northwind, "2026-08", "anna", url)
    with pytest.raises(KpiToolkitError, match="nothing to adjust"):
        adjust_period(northwind, "2026-08", "anna", url)


def test_calc_without_a_ledger_creates_none(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KPI_TOOLKIT_DATABASE_URL", raising=False)
    folder = workspace_client(tmp_path, "valid_minimal", FIXTURES)
    assert run(capsys, "calc", folder, "--out", tmp_path / "r")[0] == 0
    assert not (tmp_path / "kpi-ledger.sqlite").exists()
    assert not (tmp_path / "r" / "valid_minimal" / "2024-03" / "results" / "history.csv").exists()


def _year_to_date(folder):
    """Sales managers paid on the year to date (positions.payout_basis: ytd)."""
    path = folder / "positions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",payout_basis"] + [line + (",ytd" if line.startswith("sales-manager,") else ",")
                                            for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_year_to_date_takes_what_closed_periods_paid_from_the_ledger(northwind, url):
    """Close April and May; June's statement of a sales manager then pays the year to date minus what the
    ledger stored for April and May, and says so. The ledger's amount stands: raise E006's stored May
    by 10.00 and June pays 10.00 less (the engine does not recompute a closed period)."""
    from kpi_toolkit.cycle.closing import settle

    _year_to_date(northwind)
    close_period(northwind, "2026-04", "anna", url)
    close_period(northwind, "2026-05", "anna", url)
    client, _ = load_for_period(northwind, "2026-06")
    june, _ = settle(calculate(client, "2026-06"), url)
    totals = june.bonus.totals.set_index("employee_id")
    e006 = totals.loc["E006"]
    assert (e006["payout_basis"], e006["paid_from_ledger"], e006["paid_recomputed"]) == ("ytd", "2026-04, 2026-05", "")
    with db.Ledger(url) as ledger, ledger.transaction() as conn:
        stored = {r.employee_id: int(r.bonus_minor) for r in conn.execute(
            sa.select(db.closed_totals.c.employee_id, db.closed_totals.c.bonus_minor)
            .where(db.closed_totals.c.employee_id == "E006")).all()}
        assert int(e006["paid_to_date_minor"]) == sum(
            int(r.bonus_minor) for r in conn.execute(sa.select(db.closed_totals.c.bonus_minor)
                                                     .where(db.closed_totals.c.employee_id == "E006")).all())
        closing = db.current_closing(conn, northwind.name, "2026-05")
        conn.execute(db.closed_totals.update().where((db.closed_totals.c.employee_id == "E006")
                                                     & (db.closed_totals.c.closing_id == closing.id))
                     .values(bonus_minor=db.closed_totals.c.bonus_minor + 1000))
    assert stored
    again, _ = settle(calculate(client, "2026-06"), url)
    e006_again = again.bonus.totals.set_index("employee_id").loc["E006"]
    assert int(e006_again["paid_to_date_minor"]) == int(e006["paid_to_date_minor"]) + 1000
    assert int(e006_again["bonus_minor"]) == max(int(e006["ytd_minor"]) - int(e006["paid_to_date_minor"]) - 1000, 0)
    assert totals.loc["E002", "payout_basis"] == "period"  # key account managers stay on the period
    unsettled = calculate(client, "2026-06").bonus.totals.set_index("employee_id").loc["E006"]
    assert unsettled["paid_recomputed"] == "2026-04, 2026-05"  # without the ledger: recomputed, and said so
