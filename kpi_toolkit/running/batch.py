"""Running many clients: here or in parallel worker processes, with progress bars and a summary.

Each client runs through :func:`kpi_toolkit.running.runner.run_client` in a kernel of its own. With
``jobs > 1`` the clients are handed out to that many worker processes, started with ``spawn``
so that nothing of this process is inherited; each worker has its own browser and kernels,
and clients share nothing. A client's failure is an outcome, not an exception; a worker that
dies takes only its unfinished clients with it and another worker takes its place. This process
draws one progress bar per client on stderr and, at the end, the summary.
"""
from __future__ import annotations

import logging
import multiprocessing
import queue
import sys
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

from kpi_toolkit.running.runner import ClientOutcome, KernelPool, Progress, ReportWriter, RunOptions, start_client

log = logging.getLogger("kpi_toolkit")

POLL_SECONDS = 0.5


@dataclass
class BatchResult:
    """The outcome of every client, in the order given, and why PDFs were not printed, if so."""

    outcomes: list[ClientOutcome]
    pdf_problem: str = ""
    out: Path = Path("reports")
    formats: frozenset = field(default_factory=frozenset)

    @property
    def ok(self) -> bool:
        return all(o.status == "published" for o in self.outcomes) and not self.pdf_problem

    @property
    def published(self) -> list[ClientOutcome]:
        return [o for o in self.outcomes if o.status == "published"]

    @property
    def failed(self) -> list[ClientOutcome]:
        return [o for o in self.outcomes if o.status != "published"]


def run_batch(folders, options: RunOptions, jobs: int = 1, show_progress: bool | None = None,
              scheduler: str | None = None) -> BatchResult:
    """Run every client folder of `folders`; never stops at a client's failure.

    Parameters
    ----------
    folders : list of path
    options : RunOptions
    jobs : int
        Worker processes; 1 runs the clients one after another in this process.
    show_progress : bool, optional
        Progress bars on stderr; default: when stderr is a terminal.
    scheduler : str, optional
        A Dask scheduler's address, or ``"local"`` for a local cluster of `jobs` worker
        processes (see :mod:`kpi_toolkit.running.distributed`): one task per client.
    """
    from kpi_toolkit.errors import BrowserNotFoundError
    from kpi_toolkit.outputs.pdf import find_browser

    folders, duplicates = _distinct(folders)
    pdf_problem = ""
    if "pdf" in options.formats and not scheduler:  # on a cluster, each worker says whether it can print
        try:
            find_browser()
        except BrowserNotFoundError as exc:
            pdf_problem = str(exc)
            options = replace(options, formats=frozenset({"html"}))
            print(f"warning: the PDF reports cannot be printed: {exc}. The HTML reports are written.",
                  file=sys.stderr)
    bars = _Bars(show_progress)
    _quiet_papermill(logging.getLogger("kpi_toolkit").getEffectiveLevel())
    try:
        if scheduler and folders:
            from kpi_toolkit.running.distributed import run_on_cluster

            outcomes = run_on_cluster(folders, options, scheduler, bars, workers=jobs if jobs > 1 else None)
        elif jobs <= 1 or len(folders) <= 1:
            outcomes = _run_here(folders, options, bars)
        else:
            outcomes = _run_in_workers(folders, options, min(jobs, len(folders)), bars)
    finally:
        bars.close()
    outcomes += duplicates
    pdf_problem = pdf_problem or next((o.pdf_missing for o in outcomes if o.pdf_missing), "")
    return BatchResult(outcomes, pdf_problem, Path(options.out), options.formats)


def _distinct(folders) -> tuple[list[Path], list[ClientOutcome]]:
    """Each folder once; a second folder with the same name (slug) would overwrite the first's reports."""
    kept: dict[str, Path] = {}
    resolved: set[Path] = set()
    refused = []
    for folder in map(Path, folders):
        if folder.resolve() in resolved:
            continue
        resolved.add(folder.resolve())
        name = folder.resolve().name  # the slug its reports are filed under (`.` is the folder it stands for)
        if name in kept:
            refused.append(ClientOutcome(folder=str(folder), message=(
                f"its name '{name}' is also the name of {kept[name]}, whose reports it would "
                f"overwrite; run it separately or with another --out")))
            continue
        kept[name] = folder
    return list(kept.values()), refused


# --------------------------------------------------------------------------- running

class _Worker:
    """What one process needs to run clients: a report writer (one browser) and its kernels.

    Clients are pipelined: while one client's last reports print and it is published (in the
    writer's thread), the next one's stages execute. At most one client finishes in the
    background at a time.
    """

    def __init__(self, options: RunOptions, progress: Progress):
        self.options, self.progress = options, progress
        self.writer = ReportWriter(print_pdf="pdf" in options.formats)
        cwd = options.stages[0].path.parent if options.stages else Path.cwd()
        self.kernels = KernelPool(cwd)
        self._finishing: list[Future] = []  # the last clients started, perhaps still finishing

    def __enter__(self) -> "_Worker":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.kernels.close()
        finally:
            self.writer.close()

    def start(self, folder, more_to_come: bool) -> Future:
        """Start a client; the future's result is its :class:`ClientOutcome`, never an exception."""
        if self._finishing[:-1]:
            self._finishing[0].exception()  # one client finishing in the background is enough
        try:
            future = start_client(folder, self.options, kernels=self.kernels, writer=self.writer,
                                  progress=self.progress, more_to_come=more_to_come)
        except Exception as exc:  # the toolkit's own failure: this client fails, the batch goes on
            future = Future()
            future.set_exception(exc)
        self._finishing = [*self._finishing[-1:], future]
        result: Future = Future()
        future.add_done_callback(lambda f: result.set_result(_outcome(f, folder)))
        return result


def _outcome(future: Future, folder) -> ClientOutcome:
    error = future.exception()
    if error is None:
        return future.result()
    log.debug("run of %s failed", folder, exc_info=error)
    from kpi_toolkit.errors import KpiToolkitError
    from kpi_toolkit.fileio import MACHINE_FAULTS, output_error

    if isinstance(error, KpiToolkitError):
        return ClientOutcome(folder=str(folder), message=f"{error}; nothing published")
    if isinstance(error, OSError) and error.errno in MACHINE_FAULTS:  # the machine's refusal, not a bug
        return ClientOutcome(folder=str(folder), message=f"{output_error(error)}; nothing published")
    return ClientOutcome(folder=str(folder), message=(
        f"internal error: {type(error).__name__}: {error}. This is a bug in kpi-toolkit; run again with "
        f"--debug and report the output"))


def _run_here(folders: list[Path], options: RunOptions, bars: "_Bars") -> list[ClientOutcome]:
    futures = []
    with _Worker(options, bars) as worker:
        for index, folder in enumerate(folders):
            future = worker.start(folder, more_to_come=index < len(folders) - 1)
            future.add_done_callback(lambda f: bars.report(f.result()))
            futures.append(future)
        outcomes = [f.result() for f in futures]
    return outcomes


def _run_in_workers(folders: list[Path], options: RunOptions, jobs: int, bars: "_Bars") -> list[ClientOutcome]:
    context = multiprocessing.get_context("spawn")
    tasks, events = context.Queue(), context.Queue()
    remaining = context.Value("i", len(folders))
    for index, folder in enumerate(folders):
        tasks.put((index, str(folder)))
    for _ in range(jobs):
        tasks.put(None)
    level = logging.getLogger("kpi_toolkit").getEffectiveLevel()

    def start(worker_id: int):
        process = context.Process(target=_worker_main, args=(options, tasks, events, remaining, worker_id, level),
                                  name=f"kpi-toolkit-worker-{worker_id}")
        process.start()
        return process

    workers = {w: start(w) for w in range(jobs)}
    running: dict[int, set[int]] = {w: set() for w in workers}  # worker -> clients it has not finished
    outcomes: dict[int, ClientOutcome] = {}
    try:
        while len(outcomes) < len(folders):
            try:
                event = events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                _replace_dead(workers, running, outcomes, folders, start, bars)
                if not any(p.is_alive() for p in workers.values()) and events.empty():
                    break
                continue
            kind, *rest = event
            if kind == "taken":
                running[rest[0]].add(rest[1])
            elif kind == "outcome":
                worker_id, index, outcome = rest
                running[worker_id].discard(index)
                outcomes[index] = outcome
                bars.report(outcome)
            else:
                getattr(bars, kind)(*rest)
        for process in workers.values():
            process.join(timeout=60)
    except BaseException:
        for process in workers.values():
            if process.is_alive():
                process.terminate()
        raise
    for index, folder in enumerate(folders):
        if index not in outcomes:  # every worker died before reaching it
            outcomes[index] = ClientOutcome(folder=str(folder), message="not run: every worker process died")
    return [outcomes[i] for i in range(len(folders))]


def _replace_dead(workers, running, outcomes, folders, start, bars) -> None:
    for worker_id, process in list(workers.items()):
        if process.is_alive() or process.exitcode == 0:
            continue
        for index in sorted(running[worker_id]):
            outcome = ClientOutcome(folder=str(folders[index]), message=(
                f"its worker process died (exit code {process.exitcode}); nothing published for it"))
            outcomes[index] = outcome
            bars.finish(str(folders[index]))
            bars.report(outcome)
        running[worker_id] = set()
        workers[worker_id] = start(worker_id)  # takes the dead worker's place in the queue


def _worker_main(options: RunOptions, tasks, events, remaining, worker_id: int, log_level: int) -> None:
    logging.basicConfig(level=max(min(log_level, logging.WARNING), logging.INFO), format="%(message)s")
    logging.getLogger("kpi_toolkit").setLevel(log_level)
    _quiet_papermill(log_level)
    with _Worker(options, _QueueProgress(events)) as worker:
        while (task := tasks.get()) is not None:
            index, folder = task
            with remaining.get_lock():
                remaining.value -= 1
                more = remaining.value > 0
            events.put(("taken", worker_id, index))
            future = worker.start(folder, more_to_come=more)
            future.add_done_callback(lambda f, i=index: events.put(("outcome", worker_id, i, f.result())))


def _quiet_papermill(level: int) -> None:
    """papermill warns about every parameter it cannot find in a notebook's parameters cell; the
    runner injects the same five into every stage, so those warnings are shown with -v only."""
    if level > logging.INFO:
        logging.getLogger("papermill").setLevel(logging.ERROR)


# --------------------------------------------------------------------------- progress

class _QueueProgress(Progress):
    """Progress of a worker process, sent to the parent, which draws it."""

    def __init__(self, events):
        self.events = events

    def start(self, key, label, total):
        self.events.put(("start", key, label, total))

    def step(self, key, description):
        self.events.put(("step", key, description))

    def note(self, key, description):
        self.events.put(("note", key, description))

    def finish(self, key):
        self.events.put(("finish", key))


class _Bars(Progress):
    """One tqdm bar per client on stderr; problems of invalid clients printed as they come."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bars: dict = {}
        self._lock = threading.Lock()

    def start(self, key, label, total):
        if not self.enabled:
            return
        from tqdm import tqdm

        with self._lock:
            self._bars[key] = tqdm(total=total, desc=label, unit="step", file=sys.stderr, leave=True,
                                   dynamic_ncols=True, bar_format="{desc:<16} {bar} {n_fmt}/{total_fmt} "
                                                                  "[{elapsed}]{postfix}")

    def step(self, key, description):
        with self._lock:
            bar = self._bars.get(key)
            if bar is not None:
                bar.set_postfix_str(description, refresh=False)
                bar.update(1)

    def note(self, key, description):
        with self._lock:
            bar = self._bars.get(key)
            if bar is not None:
                bar.set_postfix_str(description)

    def finish(self, key):
        with self._lock:
            bar = self._bars.pop(key, None)
            if bar is not None:
                bar.close()

    def report(self, outcome: ClientOutcome) -> None:
        if outcome.problems:
            self.write(f"{outcome.folder}: {outcome.problems}")

    def write(self, text: str) -> None:
        if self.enabled:
            from tqdm import tqdm

            tqdm.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)

    def close(self) -> None:
        for key in list(self._bars):
            self.finish(key)


# --------------------------------------------------------------------------- summary

def format_summary(batch: BatchResult) -> str:
    """What was written and what failed, where to look, for the end of ``kpi-toolkit run``."""
    lines = []
    total = len(batch.outcomes)
    if batch.published:
        lines.append(f"Published {len(batch.published)} of {total} client(s):")
        for o in batch.published:
            lines.append(f"  {o.name} ({o.slug}), {o.period} -> {o.out_dir}/  [{o.seconds:.1f} s]")
            lines.append(f"      {_contents(o)}")
            if o.warnings:
                lines.append(f"      {len(o.warnings)} warning(s) about the data; see `kpi-toolkit validate {o.folder}`")
    if batch.failed:
        lines.append(f"Failed {len(batch.failed)} of {total} client(s):")
        for o in batch.failed:
            who = f"{o.name} ({o.folder})" if o.name else o.folder
            lines.append(f"  {who}: {o.message}")
            if o.failed_notebook:
                lines.append(f"      failed notebook: {o.failed_notebook}")
            elif o.failed_dir:
                lines.append(f"      kept for inspection: {o.failed_dir}/")
    if batch.pdf_problem:
        lines.append(f"PDF reports were not printed: {batch.pdf_problem}")
    return "\n".join(lines)


def _contents(o: ClientOutcome) -> str:
    files = o.files
    top = [f for f in files if "/" not in f]
    parts = [f for f in ("report.pdf", "report.html") if f in files]
    for suffix, kind in ((".html", "HTML"), (".pdf", "PDF")):
        count = sum(1 for f in top if f.endswith(suffix) and not f.startswith("report."))
        if count:
            parts.append(f"{count} stage {kind}")
    for folder in ("notebooks", "results", "statements"):
        count = sum(1 for f in files if f.startswith(f"{folder}/"))
        if count:
            parts.append(f"{folder}/ ({count})")
    return ", ".join(parts)
