"""The kpi-toolkit command as a consultant uses it: exit codes, messages, files written."""
import csv
import errno
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kpi_toolkit.cli import main

CLIENTS = Path(__file__).parent / "fixtures" / "clients"
DEMO = Path(__file__).parent.parent / "clients"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_usable_client(capsys):
    code, out, err = run(capsys, "validate", CLIENTS / "valid_minimal")
    assert code == 0 and "usable" in out and "Traceback" not in out + err


@pytest.mark.parametrize("fault, fragment", [
    ("weights_not_one", "position_kpis.csv, row"),
    ("plan_zero", "actuals.csv, row"),
    ("goal_cycle", "goals.csv, row"),
    ("yaml_unsafe_tag", "client.yaml"),
])
def test_validate_broken_client_lists_problems_without_traceback(capsys, fault, fragment):
    code, out, err = run(capsys, "validate", CLIENTS / fault)
    assert code == 1
    assert fragment in out and "Fix:" in out
    assert "Traceback" not in out + err


def test_calc_writes_every_result_file(capsys, tmp_path):
    code, out, _ = run(capsys, "calc", CLIENTS / "valid_minimal", "--out", tmp_path)
    assert code == 0
    results = tmp_path / "valid_minimal" / "2024-03" / "results"
    names = sorted(p.name for p in results.iterdir())
    assert names == ["bonus_lines.csv", "bonus_totals.csv", "goal_weights.csv", "kpi_weights.csv",
                     "manifest.json", "payroll.csv", "project_scorecard.csv", "results.xlsx"]
    with open(results / "bonus_lines.csv", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:12] == ["period", "employee_id", "position_id", "kpi_id", "weight", "plan", "fact",
                           "attainment", "index", "coefficient", "fund_share", "bonus"]
    manifest = json.loads((results / "manifest.json").read_text())
    assert set(manifest["inputs"]) >= {"actuals.csv", "client.yaml", "employees.csv"}
    assert manifest["version"] and manifest["period"] == "2024-03"


@pytest.mark.parametrize("client", ["northwind", "sever-trade"])
def test_calc_writes_kpi_weights_per_position_in_which_every_paid_kpi_is_kept(capsys, tmp_path, client):
    code, _, _ = run(capsys, "calc", DEMO / client, "--out", tmp_path)
    assert code == 0
    results = next((tmp_path / client).iterdir()) / "results"
    weights = pd.read_csv(results / "kpi_weights.csv", dtype={"kept": str})
    assert list(weights.columns) == ["position_id", "method", "kpi_id", "goal_id", "raw_weight",
                                     "normalised", "kept", "weight"]
    assert set(weights["method"]) == {"map", "head_on"}
    kept = weights[weights["kept"] == "true"]
    assert (kept["weight"] >= 0.1).all()
    for _, group in kept.groupby("position_id"):
        assert group["weight"].sum() == pytest.approx(1, abs=1e-9)
    dropped = weights[weights["kept"] == "false"]
    assert (dropped["weight"] == 0).all() and (dropped["method"] == "map").all()
    assert weights.loc[weights["method"] == "head_on", ["raw_weight", "normalised"]].isna().all().all()
    lines = pd.read_csv(results / "bonus_lines.csv")
    paid = set(zip(lines["position_id"], lines["kpi_id"]))
    shown = dict(zip(zip(weights["position_id"], weights["kpi_id"]), weights["kept"]))
    assert all(shown[pair] == "true" for pair in paid), "a paid KPI is shown as dropped"
    # the weight paid on is the weight kpi_weights.csv shows (but where a missing fact was excluded)
    used = lines.groupby("employee_id").filter(lambda lines: (lines["weight"] > 0).all())
    by_pair = dict(zip(zip(kept["position_id"], kept["kpi_id"]), kept["weight"]))
    for row in used.itertuples():
        assert row.weight == pytest.approx(by_pair[(row.position_id, row.kpi_id)], abs=1e-12)


def test_calc_on_broken_client_writes_nothing_and_goes_on(capsys, tmp_path):
    code, _, err = run(capsys, "calc", CLIENTS / "plan_zero", CLIENTS / "valid_minimal", "--out", tmp_path)
    assert code == 1
    assert "plan_zero: nothing written" in err and "Traceback" not in err
    assert not (tmp_path / "plan_zero").exists()
    assert (tmp_path / "valid_minimal" / "2024-03" / "results" / "bonus_totals.csv").exists()


def test_calc_unknown_period_is_a_clear_error(capsys, tmp_path):
    code, _, err = run(capsys, "calc", CLIENTS / "valid_minimal", "--period", "2019-01", "--out", tmp_path)
    assert code == 1 and "no actuals for period 2019-01" in err


def test_bad_period_option_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["calc", str(CLIENTS / "valid_minimal"), "--period", "2026-13"])
    assert exc.value.code == 2
    assert "write YYYY-MM" in capsys.readouterr().err


@pytest.mark.parametrize("client", ["northwind", "sever-trade"])
def test_demo_clients_validate_and_compute(capsys, tmp_path, client):
    assert run(capsys, "validate", DEMO / client)[0] == 0
    code, out, _ = run(capsys, "calc", DEMO / client, "--out", tmp_path)
    assert code == 0 and "pool" in out
    totals = list(csv.DictReader(open(tmp_path / client / "2026-09" / "results" / "bonus_totals.csv",
                                      encoding="utf-8")))
    reasons = " ".join(r["reason"] for r in totals)
    assert any(r["bonus"] == "0.00" for r in totals)  # the blocked employee
    assert reasons.strip()


def test_calc_on_windows_1251_copy_gives_the_same_results(capsys, tmp_path):
    source = CLIENTS / "valid_minimal"
    copy = tmp_path / "in" / "valid_minimal"
    shutil.copytree(source, copy)
    for file in copy.glob("*.csv"):
        rows = list(csv.reader(open(file, encoding="utf-8")))
        with open(file, "w", encoding="cp1251", newline="") as f:
            writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
            for row in rows:
                writer.writerow([c.replace(".", ",") if _is_number(c) else c for c in row])
    assert run(capsys, "calc", source, "--out", tmp_path / "utf8")[0] == 0
    assert run(capsys, "calc", copy, "--out", tmp_path / "cp1251")[0] == 0
    for name in ("bonus_lines.csv", "bonus_totals.csv"):
        a = (tmp_path / "utf8" / "valid_minimal" / "2024-03" / "results" / name).read_text(encoding="utf-8")
        b = (tmp_path / "cp1251" / "valid_minimal" / "2024-03" / "results" / name).read_text(encoding="utf-8")
        assert a == b


def _is_number(text: str) -> bool:
    try:
        float(text)
        return "." in text
    except ValueError:
        return False


def test_new_and_template(capsys, tmp_path):
    code, out, _ = run(capsys, "new", "acme-steel", "--root", tmp_path, "--language", "ru")
    assert code == 0 and (tmp_path / "acme-steel" / "client.yaml").exists()
    code, _, err = run(capsys, "new", "Acme Steel", "--root", tmp_path)
    assert code == 1 and "Traceback" not in err
    code, _, _ = run(capsys, "template", tmp_path / "intake.xlsx")
    assert code == 0 and (tmp_path / "intake.xlsx").stat().st_size > 5000


def test_new_workbook_client_filled_in_validates_and_computes_like_its_csv_twin(capsys, tmp_path, make_fixtures):
    code, out, _ = run(capsys, "new", "acme", "--workbook", "--root", tmp_path / "clients")
    folder = tmp_path / "clients" / "acme"
    assert code == 0 and "fill in client.xlsx" in out
    assert sorted(p.name for p in folder.iterdir()) == ["client.xlsx", "client.yaml"]
    make_fixtures.fill_workbook(folder / "client.xlsx", CLIENTS / "valid_minimal", {
        "name": "Minimal Trading", "period": "2024-03", "bonus_period_months": 1, "bonus_budget": 6000,
        "questionnaire.activity": "Wholesale", "contacts.1.name": "Jane Smith"})
    with open(folder / "client.yaml", "a", encoding="utf-8") as handle:  # the curve position_kpis names
        handle.write("payout_curves:\n  sales_curve: {type: linear, points: [[0.8, 0.5], [1.0, 1.0], [1.2, 1.5]]}\n"
                     "project_thresholds: {green: 0.95, amber: 0.85}\n")
    code, out, err = run(capsys, "validate", folder)
    assert code == 0 and "usable (0 warning(s))" in out, out + err
    code, out, err = run(capsys, "calc", folder, "--out", tmp_path / "reports")
    assert code == 0, err
    assert "Minimal Trading (acme), 2024-03" in out
    code, _, _ = run(capsys, "calc", CLIENTS / "valid_minimal", "--out", tmp_path / "twin")
    assert code == 0
    got = pd.read_csv(tmp_path / "reports" / "acme" / "2024-03" / "results" / "bonus_totals.csv", dtype=str)
    twin = pd.read_csv(tmp_path / "twin" / "valid_minimal" / "2024-03" / "results" / "bonus_totals.csv", dtype=str)
    pd.testing.assert_frame_equal(got, twin)
    manifest = json.loads((tmp_path / "reports" / "acme" / "2024-03" / "results" / "manifest.json").read_text())
    assert set(manifest["inputs"]) == {"client.xlsx", "client.yaml"}


def test_new_then_a_workbook_beside_its_csv_files_says_to_delete_them(capsys, tmp_path):
    run(capsys, "new", "acme", "--root", tmp_path)
    run(capsys, "template", tmp_path / "acme" / "client.xlsx")
    code, out, _ = run(capsys, "validate", tmp_path / "acme")
    assert code == 1
    assert "the CSV files hold only their header rows (as 'kpi-toolkit new' writes them): delete them" in out


# --------------------------------------------------------------------------- where results go

def test_calc_dot_inside_the_client_folder_files_results_under_its_slug(capsys, client_copy, tmp_path, monkeypatch):
    folder = client_copy("valid_minimal", slug="acme")
    monkeypatch.chdir(folder)
    code, out, _ = run(capsys, "calc", ".", "--out", "../O")
    assert code == 0 and "(acme)" in out
    assert (tmp_path / "O" / "acme" / "2024-03" / "results" / "bonus_totals.csv").is_file()
    assert {p.name for p in (tmp_path / "O").iterdir()} == {"acme"}
    manifest = json.loads((tmp_path / "O" / "acme" / "2024-03" / "results" / "manifest.json").read_text())
    assert manifest["client"] == "acme"


def test_calc_dotdot_from_a_subfolder_writes_inside_out(capsys, client_copy, tmp_path, monkeypatch):
    folder = client_copy("valid_minimal", slug="acme")
    (folder / "scenarios").mkdir()
    monkeypatch.chdir(folder / "scenarios")
    before = {p.name for p in tmp_path.iterdir()}
    code, _, _ = run(capsys, "calc", "..", "--out", tmp_path / "O")
    assert code == 0
    assert {p.name for p in tmp_path.iterdir()} == before | {"O"}  # nothing beside --out
    assert (tmp_path / "O" / "acme" / "2024-03" / "results" / "bonus_lines.csv").is_file()
    assert {p.name for p in (tmp_path / "O").iterdir()} == {"acme"}


def test_calc_on_a_folder_whose_name_is_not_a_slug_says_how_to_rename_it(capsys, client_copy, tmp_path):
    folder = client_copy("valid_minimal", slug="Acme Trading")
    code, _, err = run(capsys, "calc", folder, "--out", tmp_path / "O")
    assert code == 1
    assert "'Acme Trading'" in err and "rename the folder to 'acme-trading'" in err
    assert not (tmp_path / "O").exists() and "Traceback" not in err


# --------------------------------------------------------------------------- the machine's refusals

def _refuse(monkeypatch, function: str, code: int, under: Path):
    """Make os.<function> fail with `code` for paths under `under`, as the system would."""
    import os

    original = getattr(os, function)

    def refused(path, *args, **kwargs):
        if str(path).startswith(str(under)):
            raise OSError(code, os.strerror(code), str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, function, refused)


@pytest.mark.parametrize("code, what, fix", [
    (errno.EROFS, "is on a read-only file system", "choose a folder on a writable disk with --out"),
    (errno.EACCES, "permission denied on", "give that user write permission on"),
    (errno.EPERM, "permission denied on", "or choose another folder with --out"),
])
def test_calc_into_a_folder_it_may_not_write_names_the_path_and_the_fix(capsys, tmp_path, monkeypatch, code, what,
                                                                         fix):
    out = tmp_path / "O"
    out.mkdir()
    _refuse(monkeypatch, "mkdir", code, out)
    code_, _, err = run(capsys, "calc", CLIENTS / "valid_minimal", "--out", out)
    assert code_ == 1
    assert what in err and fix in err and f"'{out}'" in err
    assert "internal error" not in err and "Traceback" not in err
    assert list(out.iterdir()) == []


def test_calc_on_a_full_disk_names_the_path_and_leaves_nothing_half_written(capsys, tmp_path, monkeypatch):
    out = tmp_path / "O"
    assert run(capsys, "calc", CLIENTS / "valid_minimal", "--out", out)[0] == 0
    published = out / "valid_minimal" / "2024-03" / "results"
    before = {p.name: p.read_bytes() for p in published.iterdir()}
    original = pd.DataFrame.to_csv
    written = []

    def disk_fills_up(self, path, *args, **kwargs):
        if written:  # the second file is cut short, as on a full disk
            Path(path).write_text("period,empl", encoding="utf-8")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_fills_up)
    code, _, err = run(capsys, "calc", CLIENTS / "valid_minimal", "--out", out)
    assert code == 1
    assert f"cannot write '{published}': the disk is full" in err and "free space on that disk" in err
    assert "nothing written" in err and "internal error" not in err
    assert sorted(p.name for p in published.parent.iterdir()) == ["results"]  # no staging folder left
    assert {p.name: p.read_bytes() for p in published.iterdir()} == before  # the last results stay whole


def test_template_into_a_read_only_folder_names_it(capsys, tmp_path, monkeypatch):
    _refuse(monkeypatch, "open", errno.EROFS, tmp_path)
    code, _, err = run(capsys, "template", tmp_path / "intake.xlsx")
    assert code == 1 and "read-only file system" in err and "internal error" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def small_mount(tmp_path):
    """Mount a tmpfs of a few KB (as root); yields (folder, remount read-only)."""
    import os
    import subprocess

    folder = tmp_path / "mnt"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")

    def read_only():
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)

    try:
        yield folder, read_only
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_calc_on_a_real_read_only_mount(capsys, small_mount):
    folder, read_only = small_mount
    read_only()
    code, _, err = run(capsys, "calc", CLIENTS / "valid_minimal", "--out", folder / "O")
    assert code == 1 and f"'{folder}' is on a read-only file system" in err and "internal error" not in err


def test_calc_on_a_real_full_disk(capsys, small_mount):
    folder, _ = small_mount
    code, _, err = run(capsys, "calc", CLIENTS / "valid_minimal", "--out", folder / "O")
    assert code == 1 and "the disk is full" in err and "internal error" not in err
    assert [p.name for p in (folder / "O" / "valid_minimal" / "2024-03").iterdir()] == []  # no staging left


# --------------------------------------------------------------------------- what killed runs leave

def _dead_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_calc_removes_staging_left_by_a_killed_calc_but_not_a_running_ones(capsys, tmp_path):
    import os
    import subprocess
    import sys
    import time

    from kpi_toolkit.fileio import STALE_SECONDS, _host

    period = tmp_path / "O" / "valid_minimal" / "2024-03"
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        killed = period / f".results.staging-{_dead_pid()}-{_host()}-abcd1234"
        live = period / f".results.staging-{running.pid}-{_host()}-efgh5678"
        other_host_recent = period / f".results.staging-{_dead_pid()}-elsewhere-ijkl9012"
        other_host_old = period / f".results.staging-{_dead_pid()}-elsewhere-mnop3456"
        legacy_old = period / ".results-qrst7890"  # an older toolkit's name
        legacy_recent = period / ".results-uvwx1234"
        killed_run = period.parent / f".2024-03.staging-{_dead_pid()}-{_host()}-abcd1234"  # a killed `run`
        for folder in (killed, live, other_host_recent, other_host_old, legacy_old, legacy_recent, killed_run):
            (folder).mkdir(parents=True)
            (folder / "bonus_lines.csv").write_text("half", encoding="utf-8")
        long_ago = time.time() - STALE_SECONDS - 60
        for folder in (other_host_old, legacy_old):
            os.utime(folder, (long_ago, long_ago))
        assert run(capsys, "calc", CLIENTS / "valid_minimal", "--out", tmp_path / "O")[0] == 0
        assert sorted(p.name for p in period.iterdir()) == sorted(
            ["results", live.name, other_host_recent.name, legacy_recent.name])
        assert [p.name for p in period.parent.iterdir()] == ["2024-03"]
    finally:
        running.kill()
        running.wait()


def test_a_swap_killed_between_its_renames_gets_the_last_results_back(capsys, tmp_path):
    from kpi_toolkit.fileio import _host

    period = tmp_path / "O" / "valid_minimal" / "2024-03"
    assert run(capsys, "calc", CLIENTS / "valid_minimal", "--out", tmp_path / "O")[0] == 0
    (period / "results").rename(period / f".results-old-{_dead_pid()}-{_host()}")  # killed here
    from kpi_toolkit.fileio import clean_stale

    clean_stale(period / "results")
    assert sorted(p.name for p in period.iterdir()) == ["results"]
    assert (period / "results" / "bonus_totals.csv").is_file()


# --------------------------------------------------------------------------- permissions

@pytest.mark.parametrize("umask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640),
                                                            (0o077, 0o700, 0o600)])
def test_published_results_are_as_readable_as_the_umask_allows(capsys, tmp_path, umask, folder_mode, file_mode):
    import os
    import stat

    previous = os.umask(umask)
    try:
        assert run(capsys, "calc", CLIENTS / "valid_minimal", "--out", tmp_path / "O")[0] == 0
    finally:
        os.umask(previous)
    results = tmp_path / "O" / "valid_minimal" / "2024-03" / "results"
    for path in [results.parent, results, *results.iterdir()]:
        expected = folder_mode if path.is_dir() else file_mode
        assert stat.S_IMODE(path.stat().st_mode) == expected, (path, oct(path.stat().st_mode))


# --------------------------------------------------------------------------- money

def test_calc_refuses_a_bonus_beyond_the_money_limit_and_writes_nothing(capsys, tmp_path, client_copy, make_fixtures):
    """A plan of 1e-300 against a fact of 1e308 wrote a bonus of -92 233 720 368 547 758.08 with exit 0."""
    folder = client_copy()
    make_fixtures.set_cell(folder, "position_kpis.csv", 7, "cap", "")
    make_fixtures.set_cell(folder, "actuals.csv", 20, "plan", "1e-300")
    make_fixtures.set_cell(folder, "actuals.csv", 20, "fact", "1e308")
    code, _, err = run(capsys, "calc", folder, "--out", tmp_path / "out")
    assert code == 1
    assert "actuals.csv, row 20, column 'fact'" in err and "45,035,996,273,704.95 EUR" in err
    assert "nothing written" in err and "Traceback" not in err and "internal error" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.csv"))


def test_validate_output_stays_small_on_a_huge_cell(capsys, tmp_path):
    """A 5 MB cell in a number column: quoted cut short, and found without backtracking over
    its digits (the old number pattern took hours on it)."""
    folder = tmp_path / "huge-cell"
    shutil.copytree(CLIENTS / "valid_minimal", folder)
    text = (folder / "employees.csv").read_text(encoding="utf-8")
    (folder / "employees.csv").write_text(text.replace(",2000,", "," + "9" * 5_000_000 + "x,", 1),
                                          encoding="utf-8")
    code, out, err = run(capsys, "validate", folder)
    assert code == 1
    assert len(out) + len(err) < 2000, (out + err)[:2000]
    assert "(5,000,001 characters)' is not a number" in out + err


# --------------------------------------------------------------------------- calc --from --to

def _csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_calc_range_writes_every_period_in_one_folder_with_a_periods_summary(capsys, tmp_path):
    from decimal import Decimal

    import openpyxl

    folder = tmp_path / "minimal"
    shutil.copytree(CLIENTS / "valid_minimal", folder)
    db = ["--database", f"sqlite:///{tmp_path / 'ledger.sqlite'}"]
    code, out, err = run(capsys, "close", folder, "--period", "2024-02", "--by", "Anna Berg", *db)
    assert code == 0, err
    code, out, err = run(capsys, "calc", folder, "--from", "2024-01", "--to", "2024-03", "--out", tmp_path / "r", *db)
    assert code == 0, err
    results = tmp_path / "r" / "minimal" / "2024-01_2024-03" / "results"
    assert "2 period(s)" in out and str(results) in out
    periods = _csv_rows(results / "periods.csv")
    assert [(p["period"], p["state"]) for p in periods] == [("2024-02", "closed"), ("2024-03", "open")]
    single = {}
    for period in ("2024-02", "2024-03"):  # each period as calc --period writes it
        assert run(capsys, "calc", folder, "--period", period, "--out", tmp_path / "one", *db)[0] == 0
        single[period] = _csv_rows(tmp_path / "one" / "minimal" / period / "results" / "bonus_totals.csv")
    totals = _csv_rows(results / "bonus_totals.csv")
    assert [r["bonus"] for r in totals] == [r["bonus"] for p in ("2024-02", "2024-03") for r in single[p]]
    for summary in periods:
        pool = sum(Decimal(r["bonus"]) for r in single[summary["period"]])
        assert Decimal(summary["bonus"]) == pool == Decimal(summary["amount"])
        assert Decimal(summary["difference"]) == pool - Decimal("6000")
        assert Decimal(summary["budget_share"]) == pytest.approx(pool / Decimal("6000"), abs=Decimal("1e-9"))
        assert int(summary["employees"]) == len(single[summary["period"]])
    payroll = _csv_rows(results / "payroll.csv")
    assert {r["Period"] for r in payroll} == {"2024-02", "2024-03"} and len(payroll) == len(totals)
    book = openpyxl.load_workbook(results / "results.xlsx")
    assert book.sheetnames[0] == "periods"
    sheet = book["periods"]
    assert [c.value for c in sheet[1]][:4] == ["Period", "State", "Employees", "Employees paid"]
    assert sheet["E2"].number_format.endswith("#,##0.00") and "€" in sheet["E2"].number_format
    assert sheet["J2"].number_format == "0.0%"
    manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["periods"] == ["2024-02", "2024-03"] and manifest["period"] == "2024-02..2024-03"


@pytest.mark.parametrize("argv, message", [
    (["--from", "2024-03"], "--from and --to go together"),
    (["--from", "2024-03", "--to", "2024-02"], "--from 2024-03 is after --to 2024-02"),
    (["--from", "2024-02", "--to", "2024-03", "--period", "2024-03"], "either --period or --from/--to"),
])
def test_calc_range_refuses_a_bad_range(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, "calc", CLIENTS / "valid_minimal", *argv, "--out", tmp_path)
    assert code == 2 and message in err and not any(tmp_path.iterdir())


def test_calc_range_without_periods_names_the_periods_there_are(capsys, tmp_path):
    code, out, err = run(capsys, "calc", CLIENTS / "valid_minimal", "--from", "2025-01", "--to", "2025-06",
                         "--out", tmp_path)
    assert code == 1 and "no bonus period with actuals from 2025-01 to 2025-06" in err
    assert "2024-02, 2024-03" in err and not any(tmp_path.iterdir())
