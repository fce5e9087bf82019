"""`kpi-toolkit run --scheduler` (kpi_toolkit/running/distributed.py) on a real Dask LocalCluster of
worker processes, with the stand-in notebooks of tests/fixtures/notebooks/.

Stand-in stage 00 fails for a client whose name contains FAIL-IN-NOTEBOOK, and its kernel kills
the Dask worker process that runs it for a client whose name contains KILL-WORKER (once, or
every time with KILL-WORKER-ALWAYS) when KPI_TOOLKIT_TEST_KILLED names a folder for its markers.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from kpi_toolkit.running import batch as batch_module
from kpi_toolkit.running import distributed as dist
from kpi_toolkit.running.batch import format_summary, run_batch
from kpi_toolkit.running.runner import ClientOutcome, RunOptions, find_stages

pytest.importorskip("distributed")

FIXTURES = Path(__file__).parent / "fixtures"
STAND_INS = FIXTURES / "notebooks"
PERIOD = "2024-03"  # valid_minimal's
RESULTS = ("bonus_lines.csv", "bonus_totals.csv", "goal_weights.csv", "kpi_weights.csv", "payroll.csv",
           "project_scorecard.csv")

from test_runner import copy_client  # noqa: E402  (the same client copies as the runner's tests)


def run_cli(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi_toolkit.cli", "run", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=900)


def options(out: Path) -> RunOptions:
    return RunOptions(stages=find_stages(STAND_INS), out=out, formats=frozenset({"html"}))


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    """A LocalCluster of two worker processes whose stand-in kernels may kill their worker."""
    from distributed import LocalCluster

    markers = tmp_path / "killed"
    markers.mkdir()
    monkeypatch.setenv("KPI_TOOLKIT_TEST_KILLED", str(markers))
    monkeypatch.setenv("KPI_TOOLKIT_TEST_SPARED", str(os.getpid()))  # never this test process
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs={"dashboard": False}, memory_limit=0) as local:
        yield local, markers


# --------------------------------------------------------------------------- a batch on a cluster

class RecordedBars(batch_module._Bars):
    """The batch's progress bars, not drawn, every call recorded."""

    calls: list = []

    def start(self, key, label, total):
        self.calls.append(("start", key, label, total))

    def step(self, key, description):
        self.calls.append(("step", key, description))


@pytest.mark.slow
def test_a_broken_client_and_a_killed_worker_stay_their_clients_own(tmp_path, cluster, monkeypatch):
    local, markers = cluster
    monkeypatch.setattr(batch_module, "_Bars", RecordedBars)
    good = copy_client(tmp_path, "good")
    failing = copy_client(tmp_path, "failing", name="Failing FAIL-IN-NOTEBOOK Ltd")
    invalid = copy_client(tmp_path, "invalid", source="weights_not_one")
    killed = copy_client(tmp_path, "killed", name="Killed KILL-WORKER-ONCE Ltd")
    out = tmp_path / "reports"
    batch = run_batch([good, failing, invalid, killed], options(out), show_progress=False,
                      scheduler=local.scheduler_address)

    assert [o.status for o in batch.outcomes] == ["published", "failed", "invalid", "published"]
    assert (markers / "killed").exists()  # its worker was killed once; Dask ran it again elsewhere
    expected = {"00_diagnostic.html", "04_bonus_scheme.html", "report.html", "notebooks/00_diagnostic.ipynb",
                "notebooks/04_bonus_scheme.ipynb", *(f"results/{name}" for name in RESULTS),
                "results/results.xlsx", "results/manifest.json"}
    for slug in ("good", "killed"):
        target = out / slug / PERIOD
        assert {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()} == expected
    assert sorted(p.name for p in out.iterdir()) == ["failing", "good", "killed"]  # no staging left
    assert sorted(p.name for p in (out / "good").iterdir()) == [PERIOD]

    failed = out / "failing" / PERIOD
    assert sorted(p.name for p in failed.iterdir()) == [".failed"]  # no report, no results
    kept = failed / ".failed" / "notebooks" / "00_diagnostic.ipynb"
    notebook = json.loads(kept.read_text())
    errors = [o for c in notebook["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "RuntimeError"
    assert "stand-in failure" in (failed / ".failed" / "error.txt").read_text()

    summary = format_summary(batch)
    assert "Published 2 of 4 client(s):" in summary and "Failed 2 of 4 client(s):" in summary
    assert f"Minimal Trading (good), {PERIOD} -> {out / 'good' / PERIOD}/" in summary
    assert f"failed notebook: {kept}" in summary
    assert "stage 00 (Diagnostic) failed in cell [3]: RuntimeError: stand-in failure" in summary
    assert f"{invalid}: 1 problem(s) in the client's data (listed above); nothing written" in summary
    assert "position_kpis.csv, row 2, column 'weight'" in batch.outcomes[2].problems
    assert batch.outcomes[0].folder == str(good)  # this machine's paths, not the worker's scratch
    assert str(local.scheduler_address) not in summary and "kpi-task-" not in summary

    # progress came from the workers under this machine's names, as on one machine
    assert ("start", str(good), "good", 6) in RecordedBars.calls
    assert ("step", str(good), "00 executed") in RecordedBars.calls
    assert [c for c in RecordedBars.calls if c[0] == "start" and c[1] == str(killed)][-1][2] == "killed"


@pytest.mark.slow
def test_a_client_whose_worker_always_dies_is_reported_and_nothing_of_it_published(tmp_path, cluster):
    local, _ = cluster
    good = copy_client(tmp_path, "good")
    doomed = copy_client(tmp_path, "doomed", name="Doomed KILL-WORKER-ALWAYS Ltd")
    out = tmp_path / "reports"
    local.scheduler.allowed_failures = 1  # distributed.scheduler.allowed-failures: tried twice, not four times
    batch = run_batch([doomed, good], options(out), show_progress=False, scheduler=local.scheduler_address)
    doomed_outcome, good_outcome = batch.outcomes
    assert good_outcome.status == "published"
    assert doomed_outcome.status == "failed"
    assert "the Dask worker running it died" in doomed_outcome.message
    assert "nothing published for it" in doomed_outcome.message
    assert not (out / "doomed").exists()  # never half-published
    assert sorted(p.name for p in out.iterdir()) == ["good"]
    assert "Failed 1 of 2 client(s):" in format_summary(batch)


@pytest.mark.slow
def test_scheduler_local_writes_the_same_results_as_jobs_1_and_sees_the_workspace_ledger(tmp_path):
    """Byte-identical results CSVs; and a closed period whose inputs changed since is refused on the
    workers too (they read a copy of the workspace's ledger)."""
    workspace = tmp_path / "ws"
    for slug in ("alpha", "beta"):
        copy_client(workspace, slug)
    closed = copy_client(workspace, "closed")
    done = subprocess.run([sys.executable, "-m", "kpi_toolkit.cli", "close", str(closed), "--period", PERIOD,
                           "--by", "test"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    actuals = closed / "actuals.csv"
    lines = actuals.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith(f"{PERIOD},"))
    cells = lines[row].split(",")
    cells[lines[0].split(",").index("fact")] = "1"
    lines[row] = ",".join(cells)
    actuals.write_text("\n".join(lines) + "\n", encoding="utf-8")

    common = ("--all", "--clients-root", workspace / "clients", "--notebooks", STAND_INS, "--format", "html")
    one = run_cli(*common, "--jobs", "1", "--out", tmp_path / "one")
    dask_run = run_cli(*common, "--scheduler", "local", "--jobs", "2", "--out", tmp_path / "dask")
    for done in (one, dask_run):
        assert done.returncode == 1, done.stderr  # the changed closed period
        assert "Published 2 of 3 client(s):" in done.stdout
        assert f"changed since period {PERIOD} was closed by test" in done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
    for slug in ("alpha", "beta"):
        a, b = tmp_path / "one" / slug / PERIOD, tmp_path / "dask" / slug / PERIOD
        assert sorted(p.relative_to(a) for p in a.rglob("*")) == sorted(p.relative_to(b) for p in b.rglob("*"))
        for name in RESULTS:
            assert (a / "results" / name).read_bytes() == (b / "results" / name).read_bytes(), name
    assert not (tmp_path / "dask" / "closed" / PERIOD / "results").exists()
    assert one.stdout.replace(str(tmp_path / "one"), "OUT").splitlines()[0] == \
        dask_run.stdout.replace(str(tmp_path / "dask"), "OUT").splitlines()[0]


# --------------------------------------------------------------------------- the parts

def test_jobs_with_a_remote_scheduler_is_a_usage_error(tmp_path):
    client = copy_client(tmp_path, "acme")
    done = run_cli(client, "--scheduler", "tcp://127.0.0.1:9", "--jobs", "2", "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "--jobs 2 with --scheduler tcp://127.0.0.1:9" in done.stderr and "Traceback" not in done.stderr


def test_the_scheduler_defaults_to_dask_scheduler_address(monkeypatch):
    from kpi_toolkit.cli.app import build_parser

    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://scheduler:8786")
    assert build_parser().parse_args(["run", "--all"]).scheduler == "tcp://scheduler:8786"
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
    assert build_parser().parse_args(["run", "--all"]).scheduler is None


def test_an_unreachable_scheduler_is_named_with_the_fix(tmp_path):
    client = copy_client(tmp_path, "acme")
    done = run_cli(client, "--scheduler", "tcp://127.0.0.1:9", "--out", tmp_path / "out", "--format", "html",
                   env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert done.returncode == 1
    assert "--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_workers_paths_are_replaced_by_this_machines():
    outcome = ClientOutcome(folder="/scratch/kpi-task-1/workspace/clients/acme",
                            message="stage 00: cannot read /scratch/kpi-task-1/workspace/clients/acme/kpis.csv",
                            warnings=["/scratch/kpi-task-1/out/acme is large"])
    here = dist._here(outcome, {"/scratch/kpi-task-1/workspace/clients/acme": "clients/acme",
                                "/scratch/kpi-task-1/out": "reports"}, "clients/acme")
    assert here.folder == "clients/acme"
    assert here.message == "stage 00: cannot read clients/acme/kpis.csv"
    assert here.warnings == ["reports/acme is large"]


def test_unpacking_a_workers_tar_refuses_paths_out_of_the_staging_folder(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"no"))
    (tmp_path / "staging").mkdir()
    with pytest.raises(tarfile.FilterError):
        dist._unpack(buffer.getvalue(), tmp_path / "staging")
    assert not (tmp_path / "escaped.txt").exists()


def test_a_client_folder_travels_whole(tmp_path):
    client = copy_client(tmp_path, "acme")
    dist._unpack(dist._pack(client), tmp_path / "there")
    assert sorted(p.relative_to(tmp_path / "there") for p in (tmp_path / "there").rglob("*")) == \
        sorted(p.relative_to(client) for p in client.rglob("*"))


def test_the_ledger_snapshot_is_a_consistent_copy(tmp_path):
    import sqlite3

    assert dist._ledger_snapshot(tmp_path / "none.sqlite") is None
    db = tmp_path / "kpi-ledger.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (x)")
        conn.execute("insert into t values (42)")
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(dist._ledger_snapshot(db))
    with sqlite3.connect(copy) as conn:
        assert conn.execute("select x from t").fetchall() == [(42,)]
