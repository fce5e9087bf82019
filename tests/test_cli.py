"""The kpi-toolkit command as a consultant uses it: exit codes, messages, files written."""
import csv
import json
import shutil
from pathlib import Path

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
                     "manifest.json", "project_scorecard.csv", "results.xlsx"]
    with open(results / "bonus_lines.csv", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:12] == ["period", "employee_id", "position_id", "kpi_id", "weight", "plan", "fact",
                           "attainment", "index", "coefficient", "fund_share", "bonus"]
    manifest = json.loads((results / "manifest.json").read_text())
    assert set(manifest["inputs"]) >= {"actuals.csv", "client.yaml", "employees.csv"}
    assert manifest["version"] and manifest["period"] == "2024-03"


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
