"""`kpi-toolkit run` (kpi_toolkit/runner.py, kpi_toolkit/batch.py) with small stand-in notebooks.

The stand-ins in tests/fixtures/notebooks/ are two short stages: 00 leaves traces in the kernel
(a variable, a matplotlib setting, a pandas option) that 04 asserts are gone, and 00 fails on
purpose for a client whose name contains FAIL-IN-NOTEBOOK. The real stage notebooks are run by
tests/test_reports_e2e.py.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_toolkit.cli import run as run_command
from kpi_toolkit.running import runner
from kpi_toolkit.running.batch import BatchResult, format_summary
from kpi_toolkit.errors import KpiToolkitError
from kpi_toolkit.running.runner import ClientOutcome, find_stages

FIXTURES = Path(__file__).parent / "fixtures"
CLIENTS = FIXTURES / "clients"

STAND_INS = FIXTURES / "notebooks"
KPI_TOOLKIT = Path(sys.executable).parent / "kpi-toolkit"
PERIOD = "2024-03"  # valid_minimal's


def run_cli(*args, cwd=None, env=None, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([str(KPI_TOOLKIT), "run", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=600, **popen)


def copy_client(tmp: Path, slug: str, name: str | None = None, source: str = "valid_minimal") -> Path:
    dest = tmp / "clients" / slug
    shutil.copytree(CLIENTS / source, dest)
    if name:
        config = dest / "client.yaml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("name: Minimal Trading", f"name: {name}"), encoding="utf-8")
    return dest


# --------------------------------------------------------------------------- stages and options

def test_find_stages_all_and_selected():
    assert [s.name for s in find_stages(STAND_INS)] == ["00_diagnostic", "04_bonus_scheme"]
    assert [s.name for s in find_stages(STAND_INS, "04")] == ["04_bonus_scheme"]
    assert [s.name for s in find_stages(STAND_INS, "bonus_scheme, 0")] == ["00_diagnostic", "04_bonus_scheme"]


def test_find_stages_names_the_missing_stage(tmp_path):
    with pytest.raises(KpiToolkitError, match="no stage '03'.*00_diagnostic, 04_bonus_scheme"):
        find_stages(STAND_INS, "00,03")
    with pytest.raises(KpiToolkitError, match="no stage notebooks"):
        find_stages(tmp_path)


@pytest.mark.parametrize("text, expected", [("html", {"html"}), ("PDF", {"pdf"}), ("html,pdf", {"html", "pdf"})])
def test_formats(text, expected):
    assert run_command._formats(text) == expected


@pytest.mark.parametrize("text", ["", "docx", "html,docx"])
def test_bad_formats(text):
    with pytest.raises(Exception, match="formats are html and pdf"):
        run_command._formats(text)


def test_target_dir_of_a_scenario():
    assert runner.target_dir(Path("reports"), "acme", "2026-09", None) == Path("reports/acme/2026-09")
    assert runner.target_dir(Path("reports"), "acme", "2026-09", "lean") == Path(
        "reports/acme/2026-09/scenarios/lean")


# --------------------------------------------------------------------------- publishing

def test_publish_replaces_the_old_run_but_keeps_its_scenarios(tmp_path):
    target = tmp_path / "acme" / "2026-09"
    (target / "scenarios" / "lean").mkdir(parents=True)
    (target / "scenarios" / "lean" / "report.html").write_text("lean")
    (target / "old_stage.html").write_text("old")
    (target / ".failed").mkdir()
    staging = tmp_path / "acme" / ".staging"
    staging.mkdir()
    (staging / "report.html").write_text("new")
    runner._publish(staging, target)
    assert not staging.exists()
    assert (target / "report.html").read_text() == "new"
    assert (target / "scenarios" / "lean" / "report.html").read_text() == "lean"
    assert not (target / "old_stage.html").exists()
    assert not (target / ".failed").exists()
    assert sorted(p.name for p in (tmp_path / "acme").iterdir()) == ["2026-09"]


def test_keep_failed_keeps_notebooks_and_the_error_only(tmp_path):
    target = tmp_path / "acme" / "2026-09"
    (target / "report.html").parent.mkdir(parents=True)
    (target / "report.html").write_text("the last good report")
    staging = tmp_path / "acme" / ".staging"
    (staging / "notebooks").mkdir(parents=True)
    (staging / "notebooks" / "04_bonus_scheme.ipynb").write_text("{}")
    (staging / "04_bonus_scheme.html").write_text("half a report")
    (staging / "results").mkdir()
    failed = runner._keep_failed(staging, target, "stage 04 failed")
    assert failed == target / ".failed"
    assert sorted(str(p.relative_to(failed)) for p in failed.rglob("*")) == [
        "error.txt", "notebooks", "notebooks/04_bonus_scheme.ipynb"]
    assert (failed / "error.txt").read_text() == "stage 04 failed\n"
    assert (target / "report.html").read_text() == "the last good report"


def test_summary_lists_what_was_written_and_where_failures_are():
    ok = ClientOutcome(folder="clients/acme", status="published", slug="acme", name="ACME", period="2026-09",
                       out_dir="reports/acme/2026-09", seconds=3.2,
                       files=["00_diagnostic.html", "00_diagnostic.pdf", "report.html", "report.pdf",
                              "notebooks/00_diagnostic.ipynb", "results/bonus_lines.csv"])
    bad = ClientOutcome(folder="clients/bad", name="Bad Ltd", message="stage 04 (Bonus scheme) failed in cell [3]: X",
                        failed_dir="reports/bad/2026-09/.failed",
                        failed_notebook="reports/bad/2026-09/.failed/notebooks/04_bonus_scheme.ipynb")
    text = format_summary(BatchResult([ok, bad]))
    assert "Published 1 of 2 client(s)" in text
    assert "reports/acme/2026-09/" in text and "report.pdf, report.html, 1 stage HTML, 1 stage PDF, notebooks/ (1), results/ (1)" in text
    assert "Failed 1 of 2 client(s)" in text
    assert "failed notebook: reports/bad/2026-09/.failed/notebooks/04_bonus_scheme.ipynb" in text
    assert not BatchResult([ok, bad]).ok and BatchResult([ok]).ok


# --------------------------------------------------------------------------- runs

@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory):
    """One batch, two worker processes: a good client, one whose notebook fails, one with invalid data."""
    tmp = tmp_path_factory.mktemp("mixed")
    good = copy_client(tmp, "good")
    failing = copy_client(tmp, "failing", name="Failing FAIL-IN-NOTEBOOK Ltd")
    invalid = copy_client(tmp, "invalid", source="weights_not_one")
    out = tmp / "reports"
    done = run_cli(good, failing, invalid, "--notebooks", STAND_INS, "--out", out, "--jobs", "2")
    return done, out


@pytest.mark.slow
@pytest.mark.browser
def test_a_failing_client_does_not_stop_the_others(mixed_batch):
    done, out = mixed_batch
    assert done.returncode == 1, done.stderr
    good = out / "good" / PERIOD
    expected = {"00_diagnostic.html", "00_diagnostic.pdf", "04_bonus_scheme.html", "04_bonus_scheme.pdf",
                "report.html", "report.pdf", "notebooks/00_diagnostic.ipynb", "notebooks/04_bonus_scheme.ipynb",
                "results/bonus_lines.csv", "results/bonus_totals.csv", "results/goal_weights.csv",
                "results/kpi_weights.csv", "results/project_scorecard.csv", "results/results.xlsx",
                "results/manifest.json", "results/payroll.csv"}
    assert {str(p.relative_to(good)) for p in good.rglob("*") if p.is_file()} == expected
    assert "Published 1 of 3" in done.stdout and "Failed 2 of 3" in done.stdout


@pytest.mark.slow
def test_a_failed_notebook_is_kept_and_nothing_is_published(mixed_batch):
    done, out = mixed_batch
    target = out / "failing" / PERIOD
    assert sorted(p.name for p in target.iterdir()) == [".failed"]  # no report, no results
    kept = target / ".failed" / "notebooks" / "00_diagnostic.ipynb"
    notebook = json.loads(kept.read_text())
    errors = [o for c in notebook["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "RuntimeError"
    assert "stand-in failure" in (target / ".failed" / "error.txt").read_text()
    assert f"failed notebook: {kept}" in done.stdout
    assert "stage 00 (Diagnostic) failed in cell [3]: RuntimeError: stand-in failure" in done.stdout


@pytest.mark.slow
def test_invalid_data_is_reported_with_the_engines_problems_and_nothing_is_written(mixed_batch):
    done, out = mixed_batch
    assert not (out / "invalid").exists()
    assert "position_kpis.csv, row 2, column 'weight'" in done.stderr
    assert "nothing written" in done.stdout
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.slow
def test_no_state_passes_from_one_stage_to_the_next(mixed_batch):
    """Stage 04 asserts that stage 00's variable, rcParams and pandas option are gone; and its
    execution counts start at 1, as in a fresh kernel."""
    _, out = mixed_batch
    notebook = json.loads((out / "good" / PERIOD / "notebooks" / "04_bonus_scheme.ipynb").read_text())
    counts = [c["execution_count"] for c in notebook["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))


@pytest.mark.slow
def test_a_new_run_replaces_the_old_one_whole(tmp_path):
    client = copy_client(tmp_path, "acme")
    out = tmp_path / "reports"
    target = out / "acme" / PERIOD
    (target / ".failed").mkdir(parents=True)
    (target / "stale.html").write_text("from an older run")
    (target / "scenarios" / "lean").mkdir(parents=True)
    done = run_cli(client, "--notebooks", STAND_INS, "--out", out, "--format", "html", "--stages", "04")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in target.iterdir()) == [
        "04_bonus_scheme.html", "notebooks", "report.html", "results", "scenarios"]
    assert sorted(p.name for p in (out / "acme").iterdir()) == [PERIOD]  # no staging left behind


@pytest.mark.slow
def test_without_a_browser_html_is_still_written_and_the_status_says_so(tmp_path):
    """Two clients in one process (the second's kernel starts while the first runs)."""
    clients = [copy_client(tmp_path, "acme"), copy_client(tmp_path, "bravo", name="Bravo Ltd")]
    out = tmp_path / "reports"
    done = run_cli(*clients, "--notebooks", STAND_INS, "--out", out, "--jobs", "1",
                   env={"KPI_TOOLKIT_CHROMIUM": str(tmp_path / "no-such-chrome")})
    assert done.returncode == 1
    for slug in ("acme", "bravo"):
        target = out / slug / PERIOD
        assert {p.name for p in target.glob("*.html")} == {"00_diagnostic.html", "04_bonus_scheme.html", "report.html"}
        assert not list(target.glob("*.pdf"))
    assert "Bravo Ltd" in (out / "bravo" / PERIOD / "report.html").read_text(encoding="utf-8")
    assert "apt-get install chromium" in done.stderr
    assert "Published 2 of 2" in done.stdout and "PDF reports were not printed" in done.stdout


def test_run_needs_a_client(tmp_path):
    done = run_cli("--notebooks", STAND_INS, "--out", tmp_path)
    assert done.returncode == 2
    assert "name a CLIENT_DIR or use --all" in done.stderr


# --------------------------------------------------------------------------- the kernel's helpers

@pytest.fixture
def kernel_state():
    """The code the runner runs inside each kernel, as a module of this process."""
    import types

    module = types.ModuleType("kernel_state")
    exec(compile(runner._KERNEL_STATE, "<kernel state>", "exec"), module.__dict__)
    return module


def test_open_stage_is_computed_once_and_every_caller_gets_its_own_copy(kernel_state, tmp_path):
    import types

    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "kpis.csv").write_text("kpi_id\nrevenue\n")
    calls = []

    def open_stage(client_dir, period=None, language=None, scenario=None):
        calls.append((client_dir, period))
        return {"kpis": (folder / "kpis.csv").read_text().split(), "period": period}

    stages = types.SimpleNamespace(open_stage=open_stage, resolve_client_dir=Path)
    kernel_state.memoize(stages, "open_stage")
    first = stages.open_stage(str(folder), "2026-09")
    first["kpis"].append("changed by a stage")
    second = stages.open_stage(str(folder), period="2026-09")
    assert second == {"kpis": ["kpi_id", "revenue"], "period": "2026-09"}
    assert len(calls) == 1  # the same arguments, however passed, and the same files
    stages.open_stage(str(folder), "2026-08")
    assert len(calls) == 2  # another period
    (folder / "kpis.csv").write_text("kpi_id\nmargin\n")
    assert stages.open_stage(str(folder), "2026-09")["kpis"] == ["kpi_id", "margin"]
    assert len(calls) == 3  # an edited file is another key
    kernel_state.memoize(stages, "open_stage")  # memoising twice wraps once
    stages.open_stage(str(folder), "2026-09")
    assert len(calls) == 3


def test_memoize_leaves_a_module_without_the_function_alone(kernel_state):
    import types

    module = types.SimpleNamespace()
    kernel_state.memoize(module, "open_stage")
    kernel_state.memoize(None, "open_stage")
    assert not hasattr(module, "open_stage")


@pytest.mark.parametrize("name, expected", [
    ("DeadKernelError", "stage 04 (Bonus scheme): the kernel died (gone); the notebook shows how far it got"),
    ("CellTimeoutError", "stage 04 (Bonus scheme): a cell ran longer than the timeout (gone); raise it with --timeout"),
    ("ValueError", "stage 04 (Bonus scheme): internal error: ValueError: gone. This is a bug in kpi-toolkit"),
])
def test_failure_messages_say_where_and_what(name, expected):
    stage = runner.Stage("04", "bonus_scheme", Path("04_bonus_scheme.ipynb"))
    look = runner._Look("ACME", "en", "September 2026", None, "#123456", None, {"bonus_scheme": "Bonus scheme"})
    error = type(name, (Exception,), {})("gone\nmore detail")
    assert runner._failure_message(error, stage, look).startswith(expected)


def test_a_client_data_error_in_a_stage_lists_every_problem_not_only_its_first_line():
    # papermill reports the exception of a cell by name and text; a ClientDataError's first line
    # is only "2 problem(s) in client 'c1':", the rows named are on the lines after it
    from papermill.exceptions import PapermillExecutionError

    stage = runner.Stage("04", "bonus_scheme", Path("04_bonus_scheme.ipynb"))
    look = runner._Look("ACME", "en", "September 2026", None, "#123456", None, {"bonus_scheme": "Bonus scheme"})
    text = ("2 problem(s) in client 'c1':\n  actuals.csv row 4, column fact: the line's amount is beyond the limit\n"
            "  employees.csv row 2, column bonus_fund: beyond the limit")
    error = PapermillExecutionError(3, 3, "code", "ClientDataError", text, [])
    message = runner._failure_message(error, stage, look)
    assert "actuals.csv row 4, column fact" in message and "employees.csv row 2" in message
    assert "internal error" not in message
    many = PapermillExecutionError(3, 3, "code", "ClientDataError", "\n".join(f"line {i}" for i in range(100)), [])
    assert runner._failure_message(many, stage, look).count("\n") < 30  # bounded


# --------------------------------------------------------------------------- where a run goes, machine faults

@pytest.mark.parametrize("slug, period, scenario", [
    ("..", PERIOD, None), ("", PERIOD, None), ("a/b", PERIOD, None), ("acme", "../..", None), ("acme", PERIOD, ".."),
    ("acme", PERIOD, "/etc"), ("Acme", PERIOD, None),
])
def test_target_dir_never_leaves_out(slug, period, scenario):
    with pytest.raises(KpiToolkitError, match="cannot file output under"):
        runner.target_dir(Path("reports"), slug, period, scenario)


def test_the_same_client_by_dot_and_by_name_is_run_once_and_a_namesake_is_refused(tmp_path, monkeypatch):
    from kpi_toolkit.running.batch import _distinct

    acme = copy_client(tmp_path, "acme")
    namesake = tmp_path / "other" / "acme"
    namesake.mkdir(parents=True)
    monkeypatch.chdir(acme)
    kept, refused = _distinct([".", acme, namesake])
    assert kept == [Path(".")]
    assert [o.folder for o in refused] == [str(namesake)] and "'acme'" in refused[0].message


def _refuse_mkdir(monkeypatch, code: int, under: Path):
    original = os.mkdir

    def refused(path, *args, **kwargs):
        if str(path).startswith(str(under)):
            raise OSError(code, os.strerror(code), str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", refused)


@pytest.mark.parametrize("code, what", [(errno.EROFS, "is on a read-only file system"),
                                        (errno.EACCES, "permission denied on"),
                                        (errno.ENOSPC, "the disk is full")])
def test_run_into_an_out_it_cannot_write_names_the_path_and_the_fix(tmp_path, monkeypatch, capsys, code, what):
    from kpi_toolkit.cli import main

    client = copy_client(tmp_path, "acme")
    out = tmp_path / "reports"
    out.mkdir()
    _refuse_mkdir(monkeypatch, code, out)
    status = main(["run", str(client), "--notebooks", str(STAND_INS), "--out", str(out), "--format", "html"])
    printed = capsys.readouterr()
    assert status == 1
    assert f"cannot write '{out / 'acme' / PERIOD}'" in printed.out and what in printed.out
    assert "Fix:" in printed.out and "nothing written" in printed.out
    assert "internal error" not in printed.out + printed.err
    assert list(out.iterdir()) == []


def test_a_full_disk_while_a_stage_is_saved_is_named(tmp_path):
    stage = runner.Stage("04", "bonus_scheme", Path("04_bonus_scheme.ipynb"))
    look = runner._Look("ACME", "en", "September 2026", None, "#123456", None, {"bonus_scheme": "Bonus scheme"})
    error = OSError(errno.ENOSPC, "No space left on device")  # as papermill's save raises it: no file name
    message = runner._failure_message(error, stage, look, tmp_path / "acme" / PERIOD)
    assert message.startswith(f"stage 04 (Bonus scheme): cannot write '{tmp_path / 'acme' / PERIOD}': the disk is "
                              f"full where '{tmp_path}' is")
    assert "internal error" not in message


@pytest.mark.slow
def test_run_of_dot_files_under_the_slug_cleans_what_killed_runs_left_and_follows_the_umask(tmp_path):
    import stat
    import time

    from kpi_toolkit.fileio import STALE_SECONDS, _host

    client = copy_client(tmp_path, "acme")
    out = tmp_path / "reports"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    killed = out / "acme" / f".{PERIOD}.staging-{dead.pid}-{_host()}-abcd1234"
    live = out / "acme" / f".{PERIOD}.staging-{running.pid}-{_host()}-efgh5678"
    legacy = out / "acme" / f".{PERIOD}.staging-ijkl9012"  # an older toolkit's, untouched for a day
    for folder in (killed, live, legacy):
        (folder / "notebooks").mkdir(parents=True)
    long_ago = time.time() - STALE_SECONDS - 60
    os.utime(legacy, (long_ago, long_ago))
    try:
        done = run_cli(".", "--notebooks", STAND_INS, "--out", out, "--format", "html", "--stages", "04",
                       cwd=client, umask=0o022)
    finally:
        running.kill()
        running.wait()
    assert done.returncode == 0, done.stdout + done.stderr
    target = out / "acme" / PERIOD
    assert (target / "report.html").is_file() and (target / "results" / "bonus_totals.csv").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["acme"]
    assert sorted(p.name for p in (out / "acme").iterdir()) == sorted([PERIOD, live.name])
    for path in [target, *target.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))
