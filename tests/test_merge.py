"""kpi-toolkit merge: returned workbooks checked all at once, facts written atomically, recorded in the ledger."""
import csv
import multiprocessing
import time

import pandas as pd
import pytest
import sqlalchemy as sa

from kpi_toolkit.cycle import ledger as db
from kpi_toolkit.cli import main
from kpi_toolkit.cycle.collect import collect
from kpi_toolkit.errors import SubmissionError
from kpi_toolkit.cycle.merge import merge

from cycle_helpers import FIXTURES, blank_facts, fill, workspace_client

SALES = {("E006", "revenue"): 1400000, ("E002", "key_account_revenue"): 150000.5}


@pytest.fixture
def northwind(tmp_path):
    return workspace_client(tmp_path)


def _workbooks(folder, tmp_path, url):
    written = collect(folder, "2026-09", out=tmp_path / "reports", database=url)
    return {p.stem: p for p in written}


def _submissions(url):
    with db.Ledger(url) as ledger, ledger.transaction() as conn:
        subs = conn.execute(sa.select(db.submissions).order_by(db.submissions.c.id)).all()
        cells = conn.execute(sa.select(db.submission_cells).order_by(db.submission_cells.c.id)).all()
    return subs, cells


def _fact(folder, period, employee, kpi):
    actuals = pd.read_csv(folder / "actuals.csv", dtype={"fact": str})
    row = actuals[(actuals["period"] == period) & (actuals["employee_id"] == employee) & (actuals["kpi_id"] == kpi)]
    return row["fact"].iloc[0]


def test_two_departments_merged_facts_written_and_each_changed_cell_recorded(northwind, tmp_path, ledger_url):
    books = _workbooks(northwind, tmp_path, ledger_url)
    kpi = "qualified_leads"
    marketing = {("E016", kpi): 333}
    sales = fill(books["sales"], SALES, tmp_path / "sales-back.xlsx")
    mkt = fill(books["marketing"], marketing, tmp_path / "marketing-back.xlsx")
    outcomes = merge(northwind, [sales, mkt], by="Anna Berg", database=ledger_url)
    assert [o.status for o in outcomes] == ["merged", "merged"]
    assert _fact(northwind, "2026-09", "E006", "revenue") == "1400000"
    assert _fact(northwind, "2026-09", "E002", "key_account_revenue") == "150000.5"
    assert _fact(northwind, "2026-09", "E016", kpi) == "333"
    subs, cells = _submissions(ledger_url)
    assert [(s.scope, s.submitted_by, s.cells_changed, s.file_name) for s in subs] == [
        ("Sales", "Anna Berg", 2, "sales-back.xlsx"), ("Marketing", "Anna Berg", 1, "marketing-back.xlsx")]
    assert subs[0].file_hash == __import__("hashlib").sha256(sales.read_bytes()).hexdigest()
    assert sorted((c.employee_id, c.kpi_id, c.old_fact, c.new_fact) for c in cells)[:2] == [
        ("E002", "key_account_revenue", "214520", "150000.5"), ("E006", "revenue", "82500", "1400000")]


def test_only_the_changed_lines_of_actuals_are_rewritten(northwind, tmp_path, ledger_url):
    before = (northwind / "actuals.csv").read_text().splitlines()
    books = _workbooks(northwind, tmp_path, ledger_url)
    merge(northwind, [fill(books["sales"], {("E006", "revenue"): 1400000}, tmp_path / "s.xlsx")],
          database=ledger_url)
    after = (northwind / "actuals.csv").read_text().splitlines()
    differing = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(before) == len(after) and len(differing) == 1
    assert after[differing[0]] == "2026-09,E006,revenue,82000,1400000"


def test_merging_the_same_file_twice_changes_nothing_and_says_so(northwind, tmp_path, ledger_url, capsys):
    books = _workbooks(northwind, tmp_path, ledger_url)
    sales = fill(books["sales"], SALES, tmp_path / "sales-back.xlsx")
    assert main(["merge", str(northwind), str(sales), "--by", "anna", "--database", ledger_url]) == 0
    first = (northwind / "actuals.csv").read_bytes()
    capsys.readouterr()
    assert main(["merge", str(northwind), str(sales), "--by", "boris", "--database", ledger_url]) == 0
    out = capsys.readouterr().out
    assert "already merged" in out and "by anna" in out and "nothing changed" in out
    assert (northwind / "actuals.csv").read_bytes() == first
    assert len(_submissions(ledger_url)[0]) == 1


def test_facts_not_reported_yet_are_filled_in(northwind, tmp_path, ledger_url):
    blank_facts(northwind, "2026-09", {"E016", "E017", "E018"})
    books = _workbooks(northwind, tmp_path, ledger_url)
    rows = pd.read_csv(northwind / "actuals.csv").query("period == '2026-09' and employee_id in ['E016','E017','E018']")
    facts = {(e, k): 10 + i for i, (e, k) in enumerate(zip(rows["employee_id"], rows["kpi_id"]))}
    merge(northwind, [fill(books["marketing"], facts, tmp_path / "m.xlsx")], database=ledger_url)
    from kpi_toolkit import load_client
    client = load_client(northwind)  # computable again
    assert client.actuals.query("period == '2026-09' and employee_id == 'E016'")["fact"].notna().all()
    assert _submissions(ledger_url)[1][0].old_fact is None or _submissions(ledger_url)[1][0].old_fact == ""


def _wrong_department(ws):
    ws.cell(3, 1).value = "E016"  # Marketing's employee entered in Sales' workbook


def _edited_plan(ws):
    ws.cell(2, 8).value = 1000000


def _text_fact(ws):
    ws.cell(4, 9).value = "54,1 days"


def _added_row(ws):
    row = ws.max_row + 1
    for j, value in enumerate(["E099", "New Starter", "Sales Manager", "revenue"], start=1):
        ws.cell(row, j).value = value
    ws.cell(row, 9).value = 1000


@pytest.mark.parametrize("edit, expected", [
    (_wrong_department, ["row 3, column 'Employee ID'", "found employee 'E016'", "department 'Marketing'",
                         "sent to 'Sales'", "workbook sent to 'Marketing'"]),
    (_edited_plan, ["row 2, column 'Plan'", "changed from 678000 to 1000000", "put back the plan 678000"]),
    (_text_fact, ["row 4, column 'Fact'", "the text '54,1 days'; expected a number", "type the number alone"]),
    (_added_row, ["row 51", "a row was added (employee 'E099', KPI 'revenue')", "delete the row"]),
])
def test_bad_returned_workbook_gets_its_precise_message_and_changes_nothing(northwind, tmp_path, edit, expected,
                                                                              capsys):
    url = f"sqlite:///{tmp_path / 'kpi-ledger.sqlite'}"
    books = _workbooks(northwind, tmp_path, url)
    good = fill(books["marketing"], {}, tmp_path / "marketing-back.xlsx")
    bad = fill(books["sales"], SALES, tmp_path / "sales-back.xlsx", edit=edit)
    before = (northwind / "actuals.csv").read_bytes()
    assert main(["merge", str(northwind), str(good), str(bad), "--database", url]) == 1
    err = capsys.readouterr().err
    assert "sales-back.xlsx [Facts]" in err and "Traceback" not in err
    for fragment in expected:
        assert fragment in err
    assert (northwind / "actuals.csv").read_bytes() == before
    assert _submissions(url)[0] == []


def test_every_problem_of_every_file_is_reported_at_once(northwind, tmp_path, ledger_url):
    books = _workbooks(northwind, tmp_path, ledger_url)
    bad1 = fill(books["sales"], {}, tmp_path / "s.xlsx", edit=lambda ws: (_edited_plan(ws), _text_fact(ws)))
    bad2 = fill(books["marketing"], {}, tmp_path / "m.xlsx", edit=_added_row)
    other = tmp_path / "notes.xlsx"
    other.write_text("not a workbook")
    with pytest.raises(SubmissionError) as caught:
        merge(northwind, [bad1, bad2, other], database=ledger_url)
    where = [(p.table, p.row) for p in caught.value.problems]
    assert ("s.xlsx [Facts]", 2) in where and ("s.xlsx [Facts]", 4) in where
    assert any(t == "m.xlsx [Facts]" for t, _ in where) and ("notes.xlsx", None) in where


def test_workbook_of_another_client_is_refused(northwind, tmp_path, ledger_url):
    books = _workbooks(northwind, tmp_path, ledger_url)
    sever = workspace_client(tmp_path, "sever-trade")
    with pytest.raises(SubmissionError, match="sent for client 'northwind'.*not 'sever-trade'"):
        merge(sever, [books["sales"]], database=ledger_url)


def test_altered_hidden_record_is_refused(northwind, tmp_path, ledger_url):
    import openpyxl

    books = _workbooks(northwind, tmp_path, ledger_url)
    book = openpyxl.load_workbook(books["sales"])
    meta = book["_kpi_toolkit"]
    for row in meta.iter_rows(min_col=1, max_col=2):
        if row[0].value == "scope":
            row[1].value = "Marketing"  # passed off as another department's
    book.save(tmp_path / "relabelled.xlsx")
    with pytest.raises(SubmissionError, match="hidden record .* was altered"):
        merge(northwind, [tmp_path / "relabelled.xlsx"], database=ledger_url)


def test_windows_1251_actuals_keep_their_encoding_delimiter_and_decimal_comma(tmp_path):
    folder = workspace_client(tmp_path, "valid_minimal", FIXTURES)
    for file in folder.glob("*.csv"):
        rows = list(csv.reader(open(file, encoding="utf-8")))
        with open(file, "w", encoding="cp1251", newline="") as f:
            writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
            for row in rows:
                writer.writerow([c.replace(".", ",") if c.replace(".", "").isdigit() else c for c in row])
    url = f"sqlite:///{tmp_path / 'kpi-ledger.sqlite'}"
    before = (folder / "actuals.csv").read_bytes()
    books = collect(folder, "2024-03", out=tmp_path / "r", database=url)
    sales = [b for b in books if b.name == "sales.xlsx"][0]
    merge(folder, [fill(sales, {("E001", "REV"): 11900.75}, tmp_path / "s.xlsx")], database=url)
    after = (folder / "actuals.csv").read_bytes()
    assert after.replace(b"2024-03;E001;REV;10000;11900,75\r\n", b"2024-03;E001;REV;10000;11800\r\n") == before
    assert "Анна".encode("cp1251") in (folder / "employees.csv").read_bytes()


def test_client_workbook_gets_the_facts_in_its_actuals_sheet(tmp_path):
    import openpyxl

    source = workspace_client(tmp_path / "src", "valid_minimal", FIXTURES)
    folder = tmp_path / "clients" / "valid_minimal"
    folder.mkdir(parents=True)
    (folder / "client.yaml").write_bytes((source / "client.yaml").read_bytes())
    with pd.ExcelWriter(folder / "client.xlsx") as xlsx:
        for file in sorted(source.glob("*.csv")):
            pd.read_csv(file, dtype=str).to_excel(xlsx, sheet_name=file.stem, index=False)
    url = f"sqlite:///{tmp_path / 'kpi-ledger.sqlite'}"
    books = collect(folder, "2024-03", out=tmp_path / "r", database=url)
    sales = [b for b in books if b.name == "sales.xlsx"][0]
    merge(folder, [fill(sales, {("E001", "REV"): 11900.75}, tmp_path / "s.xlsx")], database=url)
    ws = openpyxl.load_workbook(folder / "client.xlsx")["actuals"]
    found = [r for r in ws.iter_rows(values_only=True) if r[:3] == ("2024-03", "E001", "REV")]
    assert found[0][4] == 11900.75
    from kpi_toolkit import load_client
    assert load_client(folder).actuals.query("employee_id == 'E001' and period == '2024-03' and kpi_id == 'REV'")[
        "fact"].iloc[0] == 11900.75


def _merge_slowly(folder, file, url, barrier):
    """A consultant's merge whose write comes a moment after it read actuals (a lost update without the lock)."""
    import kpi_toolkit.cycle.merge as module

    write = module.write_bytes_atomic

    def slow(path, data):
        time.sleep(1.0)
        return write(path, data)

    module.write_bytes_atomic = slow
    barrier.wait()
    module.merge(folder, [file], by=file.stem, database=url)


def test_two_consultants_merging_at_once_lose_no_submission(northwind, tmp_path, ledger_url):
    books = _workbooks(northwind, tmp_path, ledger_url)
    sales = fill(books["sales"], {("E006", "revenue"): 1400000}, tmp_path / "sales-back.xlsx")
    legal = fill(books["legal"], {("E024", "debt_recovered"): 50000}, tmp_path / "legal-back.xlsx")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_merge_slowly, args=(northwind, f, ledger_url, barrier)) for f in (sales, legal)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert _fact(northwind, "2026-09", "E006", "revenue") == "1400000"  # neither write lost the other's fact
    assert _fact(northwind, "2026-09", "E024", "debt_recovered") == "50000"
    subs, _ = _submissions(ledger_url)
    assert sorted((s.file_name, s.cells_changed) for s in subs) == [("legal-back.xlsx", 1), ("sales-back.xlsx", 1)]


def test_zero_fact_of_a_lower_is_better_kpi_without_cap_is_refused(northwind, tmp_path, ledger_url):
    text = (northwind / "position_kpis.csv").read_text().replace("sales-coordinator,quote_response_time,0.5,0.7,,1.2,",
                                                                 "sales-coordinator,quote_response_time,0.5,0.7,,,")
    (northwind / "position_kpis.csv").write_text(text)
    books = _workbooks(northwind, tmp_path, ledger_url)
    with pytest.raises(SubmissionError, match=r"row 38, column 'Fact': the fact 0 of employee 'E013', KPI "
                                              r"'quote_response_time'"):
        merge(northwind, [fill(books["sales"], {("E013", "quote_response_time"): 0}, tmp_path / "s.xlsx")],
              database=ledger_url)


def test_cli_says_nothing_was_merged(northwind, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'kpi-ledger.sqlite'}"
    books = _workbooks(northwind, tmp_path, url)
    bad = fill(books["sales"], {}, tmp_path / "s.xlsx", edit=_text_fact)
    assert main(["merge", str(northwind), str(bad), "--database", url]) == 1
    assert "nothing merged, actuals and the ledger unchanged" in capsys.readouterr().err
