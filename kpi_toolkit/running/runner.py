"""``kpi-toolkit run``: one client's stage notebooks executed, rendered and published whole.

:func:`run_client` is the orchestrator of one client's run:

1. load and validate the client folder with the engine; invalid data stops here, with the
   engine's problems, and nothing is written;
2. compute the period and write ``results/`` (as ``kpi-toolkit calc`` does), in the background;
3. execute the stage notebooks with papermill in ONE kernel kept for the client
   (:class:`KernelSession`); before each stage the kernel is brought back to a fresh kernel's
   state (user namespace, figures, matplotlib, pandas and numpy settings, working directory,
   display formatters; execution counts restart at 1), but modules stay imported;
4. render each stage's HTML and print its PDF in a background thread (:class:`ReportWriter`,
   which owns the process's one browser) while the next stage executes; then the combined
   report; then move the staging folder into place.

Step 4's tail runs in the writer's thread, so the next client of the process can start
executing meanwhile (:func:`start_client`), and its kernel is started and warmed up while this
client's stages run (:class:`KernelPool`). Inside a client's kernel, the stages' common
first step, ``kpi_toolkit.stages.open_stage`` (load, validate, compute), runs once and each
stage gets a deep copy (see ``memoize`` in ``_KERNEL_STATE`` for why that is safe).

Everything is built in a staging folder beside the target and moved into place only when the
whole client succeeded. A client that fails leaves its executed notebooks and an
``error.txt`` in ``<target>/.failed/`` and publishes nothing. Running many clients, in
parallel processes, with progress bars and a summary, is :mod:`kpi_toolkit.running.batch`.

Layout of a run (``--out reports``)::

    reports/<slug>/<period>/                  a run without --scenario
        00_diagnostic.html, 00_diagnostic.pdf ... one pair per stage run
        report.html, report.pdf               the combined report, one table of contents
        notebooks/00_diagnostic.ipynb ...     the executed notebooks
        results/                              as `kpi-toolkit calc` writes it
        statements/<employee_id>.pdf, .html   with --statements: every employee's own statement
        scenarios/<name>/                     a run with --scenario NAME (same layout)
        .failed/                              the last failed run: notebooks/, error.txt

A new run of a client replaces its folder whole (keeping ``scenarios/``); a failed run leaves
the last published one in place.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from kpi_toolkit.fileio import package_notebooks

log = logging.getLogger("kpi_toolkit")

FORMATS = ("html", "pdf")
FAILED_DIR = ".failed"
SCENARIOS_DIR = "scenarios"
COMBINED = "report"
ENGINE_NAME = "kpi-toolkit-shared-kernel"
KERNEL_NAME = "python3"
STAGE_FILE = re.compile(r"^(\d\d)_([a-z][a-z0-9_]*)\.ipynb$")
DEFAULT_COLOUR = "#1F4E79"
DEFAULT_TIMEOUT = 600.0  # seconds per cell
STARTUP_TIMEOUT = 180.0  # seconds for a kernel to start and import what the stages need


# --------------------------------------------------------------------------- what a run is

@dataclass(frozen=True)
class Stage:
    """One stage notebook: ``04``, ``bonus_scheme``, its file."""

    number: str
    code: str
    path: Path

    @property
    def name(self) -> str:
        return f"{self.number}_{self.code}"


@dataclass(frozen=True)
class RunOptions:
    """What ``kpi-toolkit run`` was asked for (everything but the client folders)."""

    stages: tuple[Stage, ...]
    out: Path = Path("reports")
    period: str | None = None
    scenario: str | None = None
    formats: frozenset[str] = frozenset(FORMATS)
    timeout: float = DEFAULT_TIMEOUT
    date: dt.date | None = None  # on the cover; default today
    statements: bool = False  # every employee's own statement in statements/


@dataclass
class ClientOutcome:
    """What happened to one client: ``published``, ``invalid`` (its data) or ``failed``."""

    folder: str
    status: str = "failed"
    slug: str | None = None
    name: str | None = None
    period: str | None = None
    out_dir: str | None = None  # the published folder
    files: list[str] = field(default_factory=list)  # published files, relative to out_dir
    failed_dir: str | None = None  # where a failed run's notebooks are kept
    failed_notebook: str | None = None  # the notebook that failed
    message: str = ""
    problems: str = ""  # the engine's problems, formatted
    warnings: list[str] = field(default_factory=list)
    pdf_missing: str = ""  # why PDFs were not printed, when they were asked for
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "published" and not self.pdf_missing


class Progress:
    """Where a client's run reports its steps; the batch layer draws them. This one is silent."""

    def start(self, key: str, label: str, total: int) -> None:
        pass

    def step(self, key: str, description: str) -> None:
        """One step of `key` is done; `description` says which."""

    def note(self, key: str, description: str) -> None:
        """`key` is now doing `description`."""

    def finish(self, key: str) -> None:
        pass


def find_stages(notebooks_dir: str | os.PathLike, selection: str | None = None) -> tuple[Stage, ...]:
    """The stage notebooks ``NN_<stage>.ipynb`` of `notebooks_dir`, all or those selected.

    `selection` is a comma-separated list of stage numbers (``"00,04"``) or codes
    (``"bonus_scheme"``).

    Raises
    ------
    KpiToolkitError
        When the folder has no stage notebook, or a selected stage is not there.
    """
    from kpi_toolkit.errors import KpiToolkitError

    folder = Path(notebooks_dir)
    found = sorted((Stage(m[1], m[2], p) for p in folder.glob("*.ipynb") if (m := STAGE_FILE.match(p.name))),
                   key=lambda s: s.number)
    if not found:
        raise KpiToolkitError(f"no stage notebooks (NN_<stage>.ipynb) in '{folder}'; use --notebooks DIR")
    if not selection:
        return tuple(found)
    chosen = []
    for item in (s.strip() for s in selection.split(",") if s.strip()):
        match = [s for s in found if item in (s.number, s.code, s.name) or (item.isdigit() and int(item) == int(s.number))]
        if not match:
            raise KpiToolkitError(f"--stages: no stage '{item}'; the stages are "
                                  f"{', '.join(s.name for s in found)}")
        chosen += [s for s in match if s not in chosen]
    return tuple(sorted(chosen, key=lambda s: s.number))


def default_notebooks_dir() -> Path:
    """The stage notebooks: the package's own (:func:`kpi_toolkit.fileio.package_notebooks`)."""
    return package_notebooks()


def target_dir(out: Path, slug: str, period: str, scenario: str | None) -> Path:
    """``out/<slug>/<period>``, or ``out/<slug>/<period>/scenarios/<scenario>``; never outside ``out``
    (:func:`kpi_toolkit.fileio.target_dir`)."""
    from kpi_toolkit.fileio import target_dir as inside_out

    return inside_out(out, slug, period, scenario)


# --------------------------------------------------------------------------- one client

def run_client(folder: str | os.PathLike, options: RunOptions, *, kernels: "KernelPool",
               writer: "ReportWriter", progress: Progress | None = None,
               more_to_come: bool = False) -> ClientOutcome:
    """Run every selected stage for one client and publish its reports, or publish nothing.

    Parameters
    ----------
    folder : path
        The client folder.
    options : RunOptions
    kernels : KernelPool
        Gives the client a fresh kernel (perhaps started while the previous client ran).
    writer : ReportWriter
        Renders and prints in the background; owns the process's browser.
    progress : Progress, optional
    more_to_come : bool
        Whether this process runs another client after this one: its kernel is then started
        while this client's stages run.

    Returns
    -------
    ClientOutcome
        A client's own failure is an outcome, never an exception.
    """
    return start_client(folder, options, kernels=kernels, writer=writer, progress=progress,
                        more_to_come=more_to_come).result()


def start_client(folder: str | os.PathLike, options: RunOptions, *, kernels: "KernelPool",
                 writer: "ReportWriter", progress: Progress | None = None,
                 more_to_come: bool = False) -> Future:
    """:func:`run_client`, returning as soon as the client's stages have executed.

    The client's last reports are printed and the client is published (or its failure kept)
    by `writer`'s thread, while this thread may start the next client. Returns a future of
    the :class:`ClientOutcome`.
    """
    from kpi_toolkit.errors import KpiToolkitError, ProblemsError, ScenarioError
    from kpi_toolkit.fileio import staging_folder
    from kpi_toolkit.inputs.validation import format_problems

    progress = progress or Progress()
    clock = time.monotonic()
    outcome = ClientOutcome(folder=str(folder))
    key = str(folder)
    progress.start(key, Path(folder).name, 2 + 2 * len(options.stages) + options.statements)
    try:
        client, period = _load(folder, options)
    except ProblemsError as exc:
        what = f"scenario '{options.scenario}'" if isinstance(exc, ScenarioError) else "the client's data"
        outcome.status, outcome.problems = "invalid", format_problems(exc.problems)
        outcome.message = f"{len(exc.problems)} problem(s) in {what} (listed above); nothing written"
        return _finished(outcome, progress, key, clock)
    except KpiToolkitError as exc:
        outcome.message = f"{exc}; nothing written"
        return _finished(outcome, progress, key, clock)
    outcome.slug, outcome.name, outcome.period = client.slug, client.config.name, period
    outcome.warnings = [str(w) for w in client.warnings]
    try:
        target = target_dir(options.out, client.slug, period, options.scenario)
        staging = staging_folder(target)  # removes what killed runs of this client left
    except KpiToolkitError as exc:  # a read-only or full --out, no permission
        outcome.message = f"{exc}; nothing written"
        return _finished(outcome, progress, key, clock)
    try:
        kernel = kernels.take()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    reports: list[Future] = []
    executed: list = []
    look = running = None
    try:
        reports.append(writer.submit(_write_results, client, period, options, staging,
                                     lambda: progress.step(key, "results")))
        look = _look(client, period, options)
        if options.statements:
            reports.append(writer.statements(client, period, options, look, staging,
                                             lambda: progress.step(key, "statements")))
        parameters = {"client_dir": str(Path(client.path).resolve()), "period": period,
                      "language": client.config.language, "output_dir": str(staging.resolve()),
                      "scenario": options.scenario}
        for number, stage in enumerate(options.stages, start=1):
            progress.note(key, f"running {stage.number} {look.stage_titles[stage.code]}")
            if more_to_come and number == 1:
                kernels.prefetch()  # the next client's kernel starts and imports while these stages run
            started, running = time.monotonic(), stage
            notebook = kernel.execute(stage.path, parameters, staging / "notebooks" / f"{stage.name}.ipynb",
                                      options.timeout)
            outcome.timings[stage.name], running = time.monotonic() - started, None
            executed.append((stage, notebook))
            progress.step(key, f"{stage.number} executed")
            reports.append(writer.stage_report(stage, notebook, look, staging, options.formats,
                                               lambda s=stage: progress.step(key, f"{s.number} report")))
        reports.append(writer.combined_report(executed, look, staging, options.formats))
    except BaseException as exc:
        kernels.release(kernel)
        for report in reports:
            report.cancel()  # nothing of this client will be published
        log.debug("client %s failed", folder, exc_info=True)
        finished = writer.submit(_finish, outcome, staging, target, reports, writer, options, progress, key, clock,
                                 (exc, running, look))
        if not isinstance(exc, Exception):  # interrupted: keep what ran, then stop
            finished.result()
            raise
        return finished
    kernels.release(kernel)
    outcome.timings["executed"] = time.monotonic() - clock
    return writer.submit(_finish, outcome, staging, target, reports, writer, options, progress, key, clock, None)


def _finished(outcome: ClientOutcome, progress: Progress, key: str, clock: float) -> Future:
    outcome.seconds = time.monotonic() - clock
    progress.finish(key)
    future: Future = Future()
    future.set_result(outcome)
    return future


def _finish(outcome: ClientOutcome, staging: Path, target: Path, reports: list[Future], writer: "ReportWriter",
            options: RunOptions, progress: Progress, key: str, clock: float, failure) -> ClientOutcome:
    """Publish the client, or keep its failure (runs in the writer's thread, after its reports)."""
    try:
        if failure is None:
            error = next((f.exception() for f in reports if f.exception() is not None), None)
            if error is not None:
                failure = (error, None, None)
        if failure is None:
            if "pdf" in options.formats and writer.pdf_problem:
                outcome.pdf_missing = writer.pdf_problem
            _publish(staging, target)
            outcome.status, outcome.out_dir = "published", str(target)
            outcome.files = sorted(str(p.relative_to(target)) for p in target.rglob("*")
                                   if p.is_file() and not _hidden(p.relative_to(target)))
            progress.step(key, "published")
        else:
            exc, stage, look = failure
            outcome.message = _failure_message(exc, stage, look, target)
            failed = _keep_failed(staging, target, outcome.message)
            outcome.failed_dir = str(failed)
            if stage is not None and (failed / "notebooks" / f"{stage.name}.ipynb").is_file():
                outcome.failed_notebook = str(failed / "notebooks" / f"{stage.name}.ipynb")
    except Exception as exc:  # publishing itself failed (disk full, permissions): nothing is published
        outcome.status = "failed"
        outcome.message = f"could not write the reports: {_failure_message(exc, None, None, target)}"
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        outcome.seconds = outcome.timings["total"] = time.monotonic() - clock
        progress.finish(key)
    return outcome


def _load(folder, options: RunOptions):
    from kpi_toolkit.inputs.loading import load_for_period
    from kpi_toolkit.cycle.closing import refuse_changed

    client, period = load_for_period(folder, options.period, options.scenario)
    if not options.scenario:
        refuse_changed(client, period)  # a closed period whose inputs changed is not reported as if paid
    return client, period


def _write_results(client, period: str, options: RunOptions, staging: Path, done) -> None:
    """Compute the period and write ``staging/results/`` (in the writer's thread, while stages run)."""
    from kpi_toolkit.method.calculate import calculate
    from kpi_toolkit.outputs.results import write_results

    results = calculate(client, period, scenario=options.scenario)
    if not options.scenario:
        from kpi_toolkit.cycle.closing import settle

        results, _ = settle(results)
    write_results(results, staging, parameters={"period": period, "scenario": options.scenario,
                                                "stages": [s.name for s in options.stages]})
    done()


@dataclass(frozen=True)
class _Look:
    """What every page of a client's reports shows: name, period, branding, stage titles."""

    client_name: str
    language: str
    period_label: str
    logo: Path | None
    colour: str
    date: dt.date
    stage_titles: dict[str, str]
    author: str | None = None  # branding.consultancy: the PDF's author and the cover's "prepared by"


def _look(client, period: str, options: RunOptions) -> _Look:
    from kpi_toolkit.outputs.i18n import format_period, stage_title, t

    language = client.config.language
    label = format_period(period, language)
    if options.scenario:
        label = f"{label} · {t('run.scenario', language, name=options.scenario)}"
    branding = client.config.branding or {}
    logo = branding.get("logo")
    if logo is not None:
        logo = Path(logo)
        if not logo.is_absolute() and not logo.exists():
            logo = Path(client.path) / logo
    titles = {}
    for stage in options.stages:
        try:
            titles[stage.code] = stage_title(stage.code, language)
        except KeyError:  # a notebook of the consultant's own, not one of the seven stages
            titles[stage.code] = stage.code.replace("_", " ").capitalize()
    return _Look(client.config.name, language, label, logo, branding.get("colour") or DEFAULT_COLOUR,
                 options.date or dt.date.today(), titles, branding.get("consultancy"))


# --------------------------------------------------------------------------- publishing

def _publish(staging: Path, target: Path) -> None:
    """Swap `staging` in as `target`; scenario runs published inside the old target stay."""
    from kpi_toolkit.fileio import swap_folder_into_place

    kept = target / SCENARIOS_DIR
    if kept.is_dir() and not (staging / SCENARIOS_DIR).exists():
        os.replace(kept, staging / SCENARIOS_DIR)
    swap_folder_into_place(staging, target)


def _keep_failed(staging: Path, target: Path, message: str) -> Path:
    """Keep a failed run's executed notebooks and its error in ``target/.failed/`` (replacing
    the previous failure's); everything else of the run is dropped."""
    from kpi_toolkit.fileio import clean_stale, swap_folder_into_place, write_text_atomic

    for item in staging.iterdir():
        if item.name != "notebooks":
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    write_text_atomic(staging / "error.txt", message + "\n")
    target.mkdir(parents=True, exist_ok=True)
    failed = target / FAILED_DIR
    clean_stale(failed)
    swap_folder_into_place(staging, failed)
    return failed


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _failure_message(exc: BaseException, stage: Stage | None, look: _Look | None, target: Path | None = None) -> str:
    """What went wrong, where; `target` is the folder being published (named for the machine's refusals)."""
    where = ""
    if stage is not None:
        title = look.stage_titles.get(stage.code, stage.code) if look else stage.code
        where = f"stage {stage.number} ({title})"
    name = type(exc).__name__
    if name == "PapermillExecutionError":
        cell = f"cell [{exc.exec_count}]" if exc.exec_count else f"cell {exc.cell_index}"
        if exc.ename in _OUR_ERRORS:  # the client's problems, in full: the reader needs every row named
            return f"{where}: {_bounded_lines(exc.evalue)}"
        return f"{where} failed in {cell}: {exc.ename}: {_first_line(exc.evalue)}"
    if name == "DeadKernelError":
        return f"{where}: the kernel died ({_first_line(exc)}); the notebook shows how far it got"
    if name == "CellTimeoutError":
        return f"{where}: a cell ran longer than the timeout ({_first_line(exc)}); raise it with --timeout"
    if isinstance(exc, KeyboardInterrupt):
        return f"{where or 'run'}: interrupted"
    from kpi_toolkit.errors import KpiToolkitError
    from kpi_toolkit.fileio import MACHINE_FAULTS, output_error

    if isinstance(exc, KpiToolkitError):
        return f"{where + ': ' if where else ''}{exc}"
    if isinstance(exc, OSError) and exc.errno in MACHINE_FAULTS:  # e.g. papermill saving a notebook on a full disk
        return f"{where + ': ' if where else ''}{output_error(exc, target)}"
    return (f"{where + ': ' if where else ''}internal error: {name}: {_first_line(exc)}. This is a bug in "
            f"kpi-toolkit; run again with --debug and report the output")


#: Errors of the toolkit's own family, whose text is written for the reader (see errors.py).
_OUR_ERRORS = frozenset({"ClientDataError", "SchemeError", "ScenarioError", "CalculationError", "ProblemsError",
                         "PeriodClosedError", "ClosedPeriodChangedError", "LedgerError", "OutputError"})


def _bounded_lines(value, most: int = 25) -> str:
    """A message's non-empty lines, at most ``most`` of them (a count of the rest after)."""
    lines = [line.rstrip() for line in str(value).splitlines() if line.strip()]
    more = f"\n  ... and {len(lines) - most} more lines" if len(lines) > most else ""
    return "\n".join(lines[:most]) + more


def _first_line(value) -> str:
    lines = [line for line in str(value).splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


# --------------------------------------------------------------------------- rendering thread

class ReportWriter:
    """One background thread that renders reports and prints PDFs with the process's one browser.

    Stage reports are rendered and printed here while the next stage executes in the kernel.
    The browser (:class:`~kpi_toolkit.outputs.pdf.PdfPrinter`) is started in this thread as soon as the
    writer is created, and used only from it. When it cannot start, ``pdf_problem`` says why
    and reports are written without PDFs.
    """

    def __init__(self, print_pdf: bool = True):
        self.pdf_problem: str = ""
        self._printer = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpi-toolkit-report")
        if print_pdf:
            self._pool.submit(self._start_browser)

    def __enter__(self) -> "ReportWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._pool.submit(self._stop_browser)
        self._pool.shutdown(wait=True)

    def submit(self, fn, *args) -> Future:
        """Run `fn(*args)` in the writer's thread, after everything submitted before."""
        return self._pool.submit(fn, *args)

    def stage_report(self, stage: Stage, notebook, look: _Look, folder: Path, formats, done=None) -> Future:
        """Render `notebook` as ``folder/NN_<stage>.html`` and print its PDF, in the background."""
        return self._pool.submit(self._stage_report, stage, notebook, look, folder, formats, done)

    def statements(self, client, period: str, options: RunOptions, look: _Look, folder: Path, done=None) -> Future:
        """Write every employee's statement to ``folder/statements/``, in the background."""
        return self._pool.submit(self._statements, client, period, options, look, folder, done)

    def combined_report(self, executed: list, look: _Look, folder: Path, formats) -> Future:
        """Render the (stage, notebook) pairs as ``folder/report.html`` and print its PDF, in the background."""
        return self._pool.submit(self._combined_report, executed, look, folder, formats)

    # -- in the thread
    def _stage_report(self, stage, notebook, look, folder, formats, done) -> None:
        from kpi_toolkit.outputs.html import render_notebook_html

        title = look.stage_titles[stage.code]
        html = render_notebook_html(notebook, client_name=look.client_name, stage_title=title,
                                    period_label=look.period_label, language=look.language,
                                    logo_path=look.logo, colour=look.colour, date=look.date,
                                    author=look.author)
        self._write(html, folder / stage.name, look, title, formats)
        if done is not None:
            done()

    def _statements(self, client, period, options, look, folder, done) -> None:
        from kpi_toolkit.method.calculate import calculate
        from kpi_toolkit.outputs.statements import write_statements

        formats = options.formats if self._printer is not None else options.formats - {"pdf"}
        write_statements(calculate(client, period, scenario=options.scenario), folder,
                         formats=formats or {"html"}, printer=self._printer, period_label=look.period_label,
                         date=look.date)
        if done is not None:
            done()

    def _combined_report(self, executed, look, folder, formats) -> None:
        from kpi_toolkit.outputs.i18n import t
        from kpi_toolkit.outputs.html import render_combined_html

        from kpi_toolkit.outputs.pdf import destination_pages

        parts = [(look.stage_titles[stage.code], notebook) for stage, notebook in executed]

        def render(page_numbers=None):
            return render_combined_html(parts, client_name=look.client_name, period_label=look.period_label,
                                        language=look.language, logo_path=look.logo, colour=look.colour,
                                        date=look.date, author=look.author, page_numbers=page_numbers)

        title = t("report.combined_title", look.language)
        stem = folder / COMBINED
        if "pdf" in formats and self._printer is not None:
            # printed twice: the first printing tells on which page each heading of the contents
            # falls; the contents keep a slot of the same width for the numbers, so the second
            # printing, with the numbers, lays out every page as the first one did
            self._write(render(), stem, look, title, {"pdf"})
            pages = destination_pages(stem.with_suffix(".pdf"))
            self._write(render(pages), stem, look, title, formats)
        else:
            self._write(render(), stem, look, title, formats)

    def _write(self, html: str, stem: Path, look: _Look, title: str, formats) -> None:
        from kpi_toolkit.outputs.i18n import t
        from kpi_toolkit.outputs.html import write_text_atomic

        html_path = write_text_atomic(stem.with_suffix(".html"), html)
        if "pdf" in formats and self._printer is not None:
            subject = t("report.subject", look.language, title=title, client=look.client_name,
                        period=look.period_label)
            self._printer.print_pdf(html_path, stem.with_suffix(".pdf"), language=look.language,
                                    footer_text=f"{look.client_name} · {title} · {look.period_label}",
                                    metadata={"/Author": look.author or "KPI Toolkit", "/Subject": subject})
        if "html" not in formats:
            html_path.unlink()

    def _start_browser(self) -> None:
        from kpi_toolkit.errors import ReportError
        from kpi_toolkit.outputs.pdf import PdfPrinter

        try:
            self._printer = PdfPrinter().__enter__()
        except ReportError as exc:  # BrowserNotFoundError included
            self.pdf_problem = str(exc)

    def _stop_browser(self) -> None:
        if self._printer is not None:
            self._printer.close()
            self._printer = None


# --------------------------------------------------------------------------- the kernel

#: Runs once in a new kernel, inside a module of its own (so a namespace reset cannot touch it):
#: imports what every stage imports, remembers the settings a fresh kernel has, and memoises
#: ``kpi_toolkit.stages.open_stage`` for the client's run (see ``memoize``).
_KERNEL_STATE = r"""
import copy, functools, hashlib, inspect, os, random, sys, warnings
from pathlib import Path

def capture(shell):
    global _cwd, _path, _environ, _filters, _rc, _np_err, _np_random, _random, _formatters
    for name in ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "seaborn", "kpi_toolkit",
                 "kpi_toolkit.outputs.charts", "kpi_toolkit.outputs.html", "kpi_toolkit.stages", "kpi_toolkit.inputs.scenarios",
                 "ipywidgets"):
        try:
            __import__(name)
        except Exception:  # a stage that needs it reports the error itself
            pass
    memoize(sys.modules.get("kpi_toolkit.stages"), "open_stage")
    import matplotlib, numpy
    _cwd, _path, _environ = os.getcwd(), list(sys.path), dict(os.environ)
    _filters = list(warnings.filters)
    _rc = matplotlib.rcParams.copy()
    _np_err, _np_random, _random = numpy.geterr(), numpy.random.get_state(), random.getstate()
    _formatters = {mime: (dict(f.type_printers), dict(f.deferred_printers))
                   for mime, f in shell.display_formatter.formatters.items()}

def reset(shell):
    import matplotlib, numpy, pandas
    import matplotlib.pyplot as plt
    plt.close("all")
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None:
        widgets.Widget.close_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_rc)
        pandas.reset_option("all")
    numpy.seterr(**_np_err)
    numpy.random.set_state(_np_random)
    random.setstate(_random)
    warnings.filters[:] = _filters
    warnings._filters_mutated()
    os.chdir(_cwd)
    sys.path[:] = _path
    os.environ.clear()
    os.environ.update(_environ)
    for mime, f in shell.display_formatter.formatters.items():
        types, deferred = _formatters.get(mime, ({}, {}))
        f.type_printers.clear()
        f.type_printers.update(types)
        f.deferred_printers.clear()
        f.deferred_printers.update(deferred)
    # IPython's reset ends with a full gc.collect() (its own comment asks whether it is needed):
    # a tenth of a second per stage with pandas and matplotlib loaded. The cycles it would free
    # are unreachable either way and go with the next automatic collection.
    hook = shell.displayhook
    full_cache, hook.do_full_cache = hook.do_full_cache, False
    try:
        shell.reset(new_session=False)
    finally:
        hook.do_full_cache = full_cache
    for name in ("_", "__", "___"):
        setattr(hook, name, "")
    shell.execution_count = 1

def memoize(module, name):
    # Every stage opens the same client: load, validate, apply the scenario, compute. Doing it
    # once per kernel is safe because (1) the function is pure: its result depends only on its
    # arguments and the bytes of the files in the client folder, which are part of the key
    # (contents hashed, so an edited file misses the cache); (2) every caller gets its own deep
    # copy, never the cached object, so a stage that changes what it got cannot change what the
    # next stage gets; (3) the kernel, and with it the cache, belongs to one client's run.
    original = getattr(module, name, None)
    if original is None or getattr(original, "_kpi_toolkit_memo", False):
        return
    signature, cache = inspect.signature(original), {}

    @functools.wraps(original)
    def memoized(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            folder = Path(module.resolve_client_dir(values.pop("client_dir"))).resolve()
            key = (str(folder), _contents(folder), tuple(sorted(values.items())))
            hash(key)
        except Exception:  # arguments it cannot key on: no cache
            return original(*args, **kwargs)
        if key not in cache:
            cache[key] = original(*args, **kwargs)
        return copy.deepcopy(cache[key])

    memoized._kpi_toolkit_memo = True
    setattr(module, name, memoized)

def _contents(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
"""
_STATE_MODULE = "_kpi_toolkit_runner_state"
_WARM_UP = (f"import sys as _s, types as _t\n"
            f"_m = _s.modules[{_STATE_MODULE!r}] = _t.ModuleType({_STATE_MODULE!r})\n"
            f"exec(compile({_KERNEL_STATE!r}, '<kpi-toolkit runner>', 'exec'), _m.__dict__)\n"
            f"_m.capture(get_ipython())\n"
            f"del _s, _t, _m\n")
_RESET = f"__import__('sys').modules[{_STATE_MODULE!r}].reset(get_ipython())"


class KernelSession:
    """One IPython kernel that executes every stage of one client, reset before each stage.

    :meth:`launch` starts the kernel and sends it the warm-up (the imports every stage needs)
    without waiting for either; :meth:`execute` waits until the kernel is ready, resets it and
    runs a notebook; :meth:`close` ends it. The kernel talks over local sockets (IPC) in a
    private temporary folder.
    """

    def __init__(self, cwd: Path):
        self.cwd = Path(cwd)
        self.km = None
        self.kc = None
        self._ready = False
        self._sockets = None

    def launch(self) -> "KernelSession":
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._sockets = tempfile.mkdtemp(prefix="kpi-kernel-")
        self.km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                                     ip=os.path.join(self._sockets, "kernel"))
        run_sync(self.km.start_kernel)(cwd=str(self.cwd),
                                       extra_arguments=["--HistoryManager.hist_file=:memory:"])
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.allow_stdin = False
        # Queued by ZeroMQ until the kernel is up; its reply is skipped by the first reset.
        self.kc.execute(_WARM_UP, silent=True, store_history=False)
        return self

    def ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait until the kernel answers (after the warm-up, which it runs first)."""
        from jupyter_core.utils import run_sync

        from kpi_toolkit.errors import ReportError

        if not self._ready:
            try:
                run_sync(self.kc.wait_for_ready)(timeout=timeout)
            except RuntimeError as exc:  # what jupyter_client raises for a kernel that does not answer
                raise ReportError(f"the Python kernel did not start within {timeout:.0f} s ({_first_line(exc)}); "
                                  f"check the kernel with `jupyter kernelspec list` (it needs '{KERNEL_NAME}')") from None
            self._ready = True

    def reset(self, timeout: float) -> None:
        """Bring the kernel back to a fresh kernel's state (modules stay imported)."""
        from kpi_toolkit.errors import ReportError

        reply = self._run(_RESET, timeout)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise ReportError(f"the kernel could not be reset between stages: {content.get('ename')}: "
                              f"{content.get('evalue')}")

    def execute(self, notebook: Path, parameters: dict, output: Path, timeout: float):
        """Execute `notebook` with `parameters` (papermill), save it to `output`, return it.

        Raises
        ------
        PapermillExecutionError
            When a cell fails; the notebook is saved first, with papermill's banner.
        """
        import papermill

        _register_engine()
        self.ready()
        self.reset(STARTUP_TIMEOUT)  # the first one waits for the warm-up
        output.parent.mkdir(parents=True, exist_ok=True)
        return papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, engine_name=ENGINE_NAME,
            kernel_name=KERNEL_NAME, progress_bar=False, request_save_on_cell_execute=True,
            execution_timeout=timeout, kernel_session=self)

    def _run(self, code: str, timeout: float) -> dict:
        from jupyter_core.utils import run_sync

        msg_id = self.kc.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while True:  # replies to earlier requests (the warm-up, kernel_info) are skipped
            reply = run_sync(self.kc.get_shell_msg)(timeout=max(1.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km is not None and self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)  # nothing in it to save
        finally:
            self.kc = self.km = None
            if self._sockets:
                shutil.rmtree(self._sockets, ignore_errors=True)


class KernelPool:
    """A process's kernels: a fresh one per client; the next may start while the last one runs."""

    def __init__(self, cwd: Path):
        self.cwd = Path(cwd)
        self._next: KernelSession | None = None

    def take(self) -> KernelSession:
        kernel, self._next = self._next, None
        return kernel or KernelSession(self.cwd).launch()

    def prefetch(self) -> None:
        """Start the kernel the next :meth:`take` returns."""
        if self._next is None:
            self._next = KernelSession(self.cwd).launch()

    def release(self, kernel: KernelSession) -> None:
        kernel.close()

    def close(self) -> None:
        if self._next is not None:
            self._next.close()
            self._next = None


_ENGINE_REGISTERED = False


def _register_engine() -> None:
    """Register with papermill an engine that runs notebooks in a kernel it is given."""
    global _ENGINE_REGISTERED
    if _ENGINE_REGISTERED:
        return
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, NotebookExecutionManager, papermill_engines
    from papermill.iorw import write_ipynb
    from papermill.log import logger

    class SharedKernelEngine(Engine):
        """papermill's nbclient engine, but the kernel is the client's, kept across stages, and
        the notebook is written once at the end (papermill's per-cell saves cost seconds)."""

        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=False, log_output=False,
                             autosave_cell_every=30, **kwargs):
            manager = NotebookExecutionManager(nb, output_path=None, progress_bar=False, log_output=log_output)
            manager.notebook_start()
            try:
                cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
            except BaseException:  # a dead kernel or a timeout: keep what ran, for inspection
                manager.notebook_complete()
                if output_path:
                    write_ipynb(manager.nb, output_path)
                raise
            manager.notebook_complete()
            return manager.nb

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, kernel_session=None, execution_timeout=None,
                                     log_output=False, **kwargs):
            client = PapermillNotebookClient(nb_man, km=kernel_session.km, timeout=execution_timeout,
                                             kernel_name=kernel_name, log=logger, log_output=log_output)
            client.kc = kernel_session.kc
            return client.execute()

    papermill_engines.register(ENGINE_NAME, SharedKernelEngine)
    _ENGINE_REGISTERED = True


# --------------------------------------------------------------------------- the command
