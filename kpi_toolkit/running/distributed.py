"""Running many clients on a Dask cluster: one task per client, published here.

``kpi-toolkit run --all --scheduler ADDRESS`` (or ``DASK_SCHEDULER_ADDRESS``) sends one task
per client to an existing Dask cluster; ``--scheduler local`` starts a
:class:`distributed.LocalCluster` of worker processes on this machine. The workers need
kpi-toolkit (the same version) and, for PDFs, Chromium; they need NOT see this machine's
files. What travels:

- to the worker, with each task: the client folder (a tar), the stage notebooks (their
  bytes, so every worker runs exactly this machine's notebooks) and a consistent copy of the
  workspace's SQLite ledger (sent to each worker once), which the run only reads (a closed
  period's stored amounts, booked adjustments). A ledger on a database server
  (``KPI_TOOLKIT_DATABASE_URL``) is reached by the workers themselves, at the same URL.
- back from the worker: the :class:`~kpi_toolkit.running.runner.ClientOutcome` and the folder
  the worker published in its own scratch space (or, for a failed client, the executed
  notebooks and ``error.txt``), as a tar.

This process then publishes the client as a run on one machine does: unpacked into a staging
folder beside ``--out/<slug>/<period>`` and swapped into place whole, or kept in ``.failed/``.
So results land in ``--out`` whether or not the workers share a file system with this
machine, and nothing a worker does can leave a half-written folder in ``--out``: a worker that
dies mid-client loses only its scratch space; Dask runs the task again on another worker
(up to ``distributed.scheduler.allowed-failures`` times, default 3), after which the client
is reported as failed, with nothing published.

Progress travels as Dask events (``Worker.log_event``) on a topic of this run, drawn here by
the same bars as on one machine; the summary is the same.
"""
from __future__ import annotations

import io
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
import threading
import uuid
from dataclasses import replace
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from kpi_toolkit.running.runner import ClientOutcome, Progress, RunOptions, Stage, target_dir

log = logging.getLogger("kpi_toolkit")

LOCAL = "local"
PLUGIN = "kpi-toolkit-runner"
ENV_SCHEDULER = "DASK_SCHEDULER_ADDRESS"


# --------------------------------------------------------------------------- this machine

def run_on_cluster(folders: list[Path], options: RunOptions, scheduler: str, bars, workers: int | None = None
                   ) -> list[ClientOutcome]:
    """Run `folders` as one task each on the Dask cluster at `scheduler` (``"local"``: a new
    :class:`~distributed.LocalCluster` of `workers` processes); outcomes in the order given.

    A client's failure, a worker's death and a cluster that cannot be reached are outcomes,
    never exceptions.
    """
    from distributed import Client, LocalCluster

    from kpi_toolkit.errors import KpiToolkitError

    if log.getEffectiveLevel() > logging.INFO:  # Dask's own chatter only with -v
        for name in ("distributed", "bokeh", "tornado"):
            logging.getLogger(name).setLevel(logging.ERROR)
    cluster = None
    try:
        if scheduler == LOCAL:
            cluster = LocalCluster(n_workers=workers or min(len(folders), os.cpu_count() or 1), threads_per_worker=1,
                                   processes=True, dashboard_address=None, scheduler_kwargs={"dashboard": False},
                                   silence_logs=logging.ERROR if log.getEffectiveLevel() > logging.INFO else False,
                                   memory_limit=0)
            client = Client(cluster)
        else:
            client = Client(scheduler)  # waits distributed.comm.timeouts.connect (30 s by default)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise KpiToolkitError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); check the "
                              f"address (tcp://HOST:8786) and that the scheduler is running") from None
    try:
        with client:
            return _run(client, folders, options, bars)
    finally:
        if cluster is not None:
            cluster.close()


def _run(client, folders: list[Path], options: RunOptions, bars) -> list[ClientOutcome]:
    from distributed import as_completed

    from kpi_toolkit.cycle.ledger import DEFAULT_FILE, ENV_URL, workspace_of
    from kpi_toolkit.version import __version__

    topic = f"kpi-toolkit-progress-{uuid.uuid4().hex}"
    client.subscribe_topic(topic, _Relay(bars))
    client.register_plugin(_RunnerPlugin(), name=PLUGIN)
    notebooks = tuple((s.number, s.code, s.path.read_bytes()) for s in options.stages)
    database = os.environ.get(ENV_URL) or None
    ledgers: dict[Path, object] = {}  # workspace -> its ledger's copy, sent to every worker once
    futures = {}
    try:
        for index, folder in enumerate(folders):
            ledger = None
            if database is None:
                workspace = workspace_of(folder)
                if workspace not in ledgers:
                    snapshot = _ledger_snapshot(workspace / DEFAULT_FILE)
                    ledgers[workspace] = None if snapshot is None else client.scatter(snapshot, broadcast=True)
                ledger = ledgers[workspace]
            future = client.submit(run_task, _pack(folder), Path(folder).resolve().name, notebooks,
                                   _portable(options), ledger, database, __version__, topic, str(folder),
                                   key=f"kpi-toolkit-{Path(folder).resolve().name}-{uuid.uuid4().hex[:8]}",
                                   pure=False)
            futures[future] = index
        outcomes: dict[int, ClientOutcome] = {}
        for future in as_completed(futures):
            index = futures[future]
            outcome = _received(future, folders[index], options)
            bars.finish(str(folders[index]))
            bars.report(outcome)
            outcomes[index] = outcome
        return [outcomes[i] for i in range(len(folders))]
    finally:
        try:
            client.unregister_worker_plugin(PLUGIN)  # the workers' browsers and kernels go
        except Exception:  # a cluster already gone
            log.debug("could not remove the worker plugin", exc_info=True)
        client.unsubscribe_topic(topic)


def _received(future, folder: Path, options: RunOptions) -> ClientOutcome:
    """The outcome of a finished task, its reports published (or its failure kept) in ``options.out``."""
    from distributed import KilledWorker

    try:
        outcome, payload, paths = future.result()
    except KilledWorker as exc:
        last = getattr(getattr(exc, "last_worker", None), "address", None) or "unknown"
        tries = getattr(exc, "allowed_failures", None)
        again = f"; it was given to another worker {tries} time(s) and that one died too" if tries else ""
        return ClientOutcome(folder=str(folder), message=(
            f"the Dask worker running it died (the last: {last}){again}; nothing published for it (Dask's "
            f"distributed.scheduler.allowed-failures sets how often a client is tried again)"))
    except Exception as exc:  # a worker without kpi-toolkit, a task the cluster refused
        return ClientOutcome(folder=str(folder), message=(
            f"the Dask cluster could not run it: {type(exc).__name__}: {exc}. Install the same kpi-toolkit "
            f"version on the workers (see README 'Running on a cluster'); nothing published for it"))
    outcome = _here(outcome, {theirs: str(folder) if what == "folder" else str(options.out)
                              for theirs, what in paths.items()}, str(folder))
    if outcome.slug is None or outcome.period is None or (payload is None and outcome.status == "published"):
        return outcome
    target = target_dir(options.out, outcome.slug, outcome.period, options.scenario)
    try:
        _place(outcome, payload, target)
    except Exception as exc:  # a read-only or full --out, no permission: nothing is published
        from kpi_toolkit.running.runner import _failure_message

        outcome.status, outcome.out_dir, outcome.files = "failed", None, []
        outcome.message = f"could not write the reports: {_failure_message(exc, None, None, target)}"
    return outcome


def _place(outcome: ClientOutcome, payload: bytes | None, target: Path) -> None:
    from kpi_toolkit.fileio import staging_folder
    from kpi_toolkit.running.runner import _keep_failed, _publish

    if outcome.status != "published" and payload is None:  # failed before anything ran: nothing to keep
        return
    staging = staging_folder(target)
    try:
        _unpack(payload, staging)
        if outcome.status == "published":
            _publish(staging, target)
            outcome.out_dir = str(target)
        else:
            failed = _keep_failed(staging, target, outcome.message)
            outcome.failed_dir = str(failed)
            if outcome.failed_notebook:
                outcome.failed_notebook = str(failed / outcome.failed_notebook)
            else:
                outcome.failed_notebook = None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _here(outcome: ClientOutcome, paths: dict[str, str], folder: str) -> ClientOutcome:
    """`outcome` as this machine sees it: the worker's paths in its texts replaced by this machine's."""
    def local(text: str) -> str:
        for theirs, ours in paths.items():
            text = text.replace(theirs, ours)
        return text

    outcome.folder = folder
    outcome.message = local(outcome.message)
    outcome.problems = local(outcome.problems)
    outcome.warnings = [local(w) for w in outcome.warnings]
    return outcome


def _portable(options: RunOptions) -> RunOptions:
    """`options` without this machine's paths (the worker puts in its own)."""
    return replace(options, stages=tuple(Stage(s.number, s.code, Path(s.path.name)) for s in options.stages),
                   out=Path("."))


def _ledger_snapshot(path: Path) -> bytes | None:
    """A consistent copy of the SQLite ledger at `path` (SQLite's backup), or ``None`` if there is none."""
    if not path.is_file():
        return None
    with tempfile.TemporaryDirectory(prefix="kpi-ledger-") as tmp:
        copy = Path(tmp) / path.name
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            destination = sqlite3.connect(copy)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
        return copy.read_bytes()


# --------------------------------------------------------------------------- packing

def _pack(folder: Path, arcname: str = ".") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        tar.add(str(folder), arcname=arcname)
    return buffer.getvalue()


def _unpack(data: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        tar.extractall(into, filter="data")  # refuses links and paths out of `into`


# --------------------------------------------------------------------------- a worker

def run_task(bundle: bytes, name: str, notebooks: tuple, options: RunOptions, ledger: bytes | None,
             database: str | None, version: str, topic: str, key: str):
    """One client on a Dask worker, in the worker's scratch space; returns ``(outcome, tar or None,
    {worker path: path on the submitting machine})``. Never raises for the client's own failure."""
    from kpi_toolkit.cycle.ledger import DEFAULT_FILE, ENV_URL
    from kpi_toolkit.version import __version__

    if version != __version__:
        return ClientOutcome(folder=key, message=(
            f"the Dask worker {_host()} has kpi-toolkit {__version__}, this machine {version}; install "
            f"kpi-toolkit {version} on the workers; nothing published")), None, {}
    if database:
        os.environ[ENV_URL] = database
    else:
        os.environ.pop(ENV_URL, None)
    plugin = _plugin()
    scratch = Path(tempfile.mkdtemp(prefix="kpi-task-", dir=plugin.scratch()))
    try:
        workspace = scratch / "workspace"
        folder = workspace / "clients" / name
        folder.mkdir(parents=True)
        _unpack(bundle, folder)
        if ledger is not None:
            (workspace / DEFAULT_FILE).write_bytes(ledger)
        stages_dir = plugin.notebooks(notebooks)
        out = scratch / "out"
        options = replace(options, out=out, stages=tuple(replace(s, path=stages_dir / s.path.name)
                                                         for s in options.stages))
        outcome = plugin.worker(options).run(folder, options, _EventProgress(topic, key, name))
        paths = {str(folder.resolve()): "folder", str(folder): "folder", str(out.resolve()): "out", str(out): "out"}
        payload = None
        if outcome.status == "published" and outcome.out_dir:
            payload = _pack(Path(outcome.out_dir))
        elif outcome.failed_dir and Path(outcome.failed_dir).is_dir():
            failed = Path(outcome.failed_dir)
            payload = _pack(failed)
            if outcome.failed_notebook:
                outcome.failed_notebook = str(Path(outcome.failed_notebook).relative_to(failed))
        outcome.out_dir = outcome.failed_dir = None
        return outcome, payload, paths
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _plugin() -> "_RunnerPlugin":
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN)
    if plugin is None:  # a worker that joined without it: give it one of its own
        plugin = worker.plugins[PLUGIN] = _RunnerPlugin()
        plugin.setup(worker)
    return plugin


def _host() -> str:
    import socket

    return socket.gethostname()


class _RunnerPlugin(WorkerPlugin):
    """A worker's lasting state for a batch: the stage notebooks as files, and per worker thread a
    report writer (one browser) and kernels, reused by every client the thread runs; all closed
    when the batch ends (the plugin is removed) or the worker stops."""

    idempotent = False

    def __init__(self):
        self._root: Path | None = None
        self._workers: dict = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:  # sent to the workers empty: each builds its own
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()

    def setup(self, worker=None) -> None:
        base = getattr(worker, "local_directory", None) or tempfile.gettempdir()
        self._root = Path(tempfile.mkdtemp(prefix="kpi-toolkit-", dir=base))

    def teardown(self, worker=None) -> None:
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for state in workers:
            try:
                state.__exit__(None, None, None)
            except Exception:
                log.debug("closing a worker's browser and kernels failed", exc_info=True)
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    def scratch(self) -> Path:
        if self._root is None:
            self.setup()
        return self._root

    def notebooks(self, notebooks: tuple) -> Path:
        """The stage notebooks as files in a folder of their own (written once per batch)."""
        import hashlib

        digest = hashlib.sha256(repr([(n, c, hashlib.sha256(b).hexdigest()) for n, c, b in notebooks]).encode())
        folder = self.scratch() / f"notebooks-{digest.hexdigest()[:16]}"
        with self._lock:
            if not folder.is_dir():
                building = Path(tempfile.mkdtemp(prefix=".notebooks-", dir=self.scratch()))
                for number, code, data in notebooks:
                    (building / f"{number}_{code}.ipynb").write_bytes(data)
                os.replace(building, folder)
        return folder

    def worker(self, options: RunOptions) -> "_ThreadState":
        """This thread's writer and kernels, for `options`' formats and notebooks."""
        key = (threading.get_ident(), options.formats, options.stages[0].path.parent if options.stages else None)
        with self._lock:
            state = self._workers.get(key)
            if state is None:
                state = self._workers[key] = _ThreadState(options)
        return state


class _ThreadState:
    """A worker thread's report writer (one browser) and kernels, kept from client to client."""

    def __init__(self, options: RunOptions):
        from kpi_toolkit.running.runner import KernelPool, ReportWriter

        self.writer = ReportWriter(print_pdf="pdf" in options.formats)
        self.kernels = KernelPool(options.stages[0].path.parent if options.stages else Path.cwd())

    def run(self, folder: Path, options: RunOptions, progress: Progress) -> ClientOutcome:
        """One client, published in ``options.out``; its failure, even the toolkit's own, is an outcome."""
        from kpi_toolkit.running.runner import _failure_message, start_client

        try:
            return start_client(folder, options, kernels=self.kernels, writer=self.writer,
                                progress=progress).result()
        except Exception as exc:  # the toolkit's own failure: this client fails, the batch goes on
            log.debug("run of %s failed", folder, exc_info=exc)
            progress.finish(str(folder))
            return ClientOutcome(folder=str(folder), message=f"{_failure_message(exc, None, None)}; nothing published")

    def __exit__(self, *exc) -> None:
        try:
            self.kernels.close()
        finally:
            self.writer.close()


class _EventProgress(Progress):
    """A client's progress on a worker, sent as Dask events to the submitting machine."""

    def __init__(self, topic: str, key: str, label: str):
        from distributed import get_worker

        self.worker, self.topic, self.key, self.label = get_worker(), topic, key, label

    def _send(self, *event) -> None:
        try:
            self.worker.log_event(self.topic, event)
        except Exception:  # progress is never worth a client's run
            log.debug("progress event lost", exc_info=True)

    def start(self, key, label, total):
        self._send("start", self.key, self.label, total)

    def step(self, key, description):
        self._send("step", self.key, description)

    def note(self, key, description):
        self._send("note", self.key, description)

    def finish(self, key):
        self._send("finish", self.key)


class _Relay:
    """Draws the workers' progress events with this machine's bars."""

    def __init__(self, bars):
        self.bars = bars

    def __call__(self, event) -> None:
        _, (kind, key, *rest) = event
        if kind == "start":
            self.bars.finish(key)  # a client run again after its worker died starts a new bar
        getattr(self.bars, kind)(key, *rest)
