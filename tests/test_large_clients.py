"""Reports that scale with the client (issue 14): past ``reports.employee_detail_limit`` of
client.yaml, stages 03 and 04 keep summaries, distributions and exceptions in the report and
write each employee's matrix, line and statement to files of their own under ``detail/``.

One `kpi-toolkit run` (HTML, stages 03 and 04) of two generated clients of 100 employees, one
with the limit at 10 and one at 200, is shared by the tests here.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import synthetic_client, write_client_folder  # noqa: E402

EMPLOYEES = 100
PERIOD = "2025-02"

pytestmark = pytest.mark.slow


def generated_client(folder: Path, limit: int | None) -> Path:
    write_client_folder(synthetic_client(EMPLOYEES, 2), folder)
    if limit is not None:
        config = yaml.safe_load((folder / "client.yaml").read_text(encoding="utf-8"))
        config["reports"] = {"employee_detail_limit": limit}
        (folder / "client.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("large")
    over = generated_client(root / "clients" / "over-limit", 10)
    under = generated_client(root / "clients" / "under-limit", 200)
    out = root / "reports"
    done = subprocess.run([sys.executable, "-m", "kpi_toolkit.cli", "run", str(over), str(under),
                           "--format", "html", "--stages", "03,04", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return {"over": out / "over-limit" / PERIOD, "under": out / "under-limit" / PERIOD}


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def employee_names(html: str) -> set[str]:
    return set(re.findall(r"Employee \d+\b", html))


def test_over_the_limit_the_body_has_no_per_employee_matrix_or_statement(runs):
    report = read(runs["over"] / "report.html")
    # the matrices' performance-ratio rows and the statements' arithmetic are per employee
    assert "Performance ratio (sum of indices)" not in report
    assert 'class="statement' not in report
    # who appears by name is the exceptions: top and bottom ten, blocked, stopped, below threshold
    assert len(employee_names(report)) < EMPLOYEES
    assert "KPIs of each position over its employees" in report
    assert "Distribution of performance ratios" in report


def test_over_the_limit_the_detail_files_exist_and_are_linked(runs):
    report = read(runs["over"] / "report.html")
    for stem in ("03_kpi_matrices", "04_bonus_summary", "04_bonus_statements"):
        detail = runs["over"] / "detail" / f"{stem}.html"
        assert detail.is_file(), stem
        assert f'href="detail/{stem}.html"' in report, stem
    matrices = read(runs["over"] / "detail" / "03_kpi_matrices.html")
    statements = read(runs["over"] / "detail" / "04_bonus_statements.html")
    assert len(employee_names(matrices)) == EMPLOYEES
    assert len(employee_names(statements)) == EMPLOYEES
    assert "more than the 10 up to which the reports show each employee" in report


def test_over_the_limit_the_exceptions_are_listed(runs):
    report = read(runs["over"] / "report.html")
    for heading in ("Exceptions", "Bonus blocked by a stop threshold", "Bonus cut by a stop factor",
                    "A KPI below its threshold", "Highest performance ratios: 10", "Lowest performance ratios: 10"):
        assert heading in report, heading


def test_over_the_limit_the_heatmap_draws_positions_not_employees(runs):
    report = read(runs["over"] / "03_kpi_matrices.html")
    assert "Mean attainment of each position" in report
    assert "Attainment of each employee" not in report


def test_under_the_limit_the_report_is_unchanged(runs):
    report = read(runs["under"] / "report.html")
    assert "Attainment of each employee" in report
    assert not (runs["under"] / "detail").exists()
    assert "Performance ratio (sum of indices)" in report
    assert 'class="statement' in report
    assert len(employee_names(report)) == EMPLOYEES
    assert "href=\"detail/" not in report
    assert "Exceptions" not in report
