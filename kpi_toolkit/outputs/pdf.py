"""HTML reports -> PDF with headless Chromium, offline.

One browser is started per :class:`PdfPrinter` and reused for every report of a batch. Pages
are printed with JavaScript disabled, and every request that is not ``file:`` or ``data:``
is aborted before it reaches the network, so a stray external reference can neither leak
anything nor make printing wait.
"""
from __future__ import annotations

import html
import io
import logging
import os
import shutil
from pathlib import Path

from kpi_toolkit.errors import BrowserNotFoundError, ReportError
from kpi_toolkit.outputs.i18n import t
from kpi_toolkit.outputs.html import write_bytes_atomic

log = logging.getLogger("kpi_toolkit")

BROWSER_ENV = "KPI_TOOLKIT_CHROMIUM"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_PATHS = (Path("/usr/bin/chromium"), Path("/snap/bin/chromium"))
BROWSER_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync")
MARGINS = {"top": "18mm", "right": "15mm", "bottom": "20mm", "left": "15mm"}  # as in report.css
_INSTALL_HINT = (f"install one (Debian/Ubuntu: `apt-get install chromium`) or set {BROWSER_ENV} "
                 f"to the path of a Chrome or Chromium executable")


def find_browser() -> Path:
    """Return the Chrome or Chromium executable used to print PDF reports.

    Looks at the environment variable ``KPI_TOOLKIT_CHROMIUM`` first, then for
    ``chromium``, ``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on the
    ``PATH``, then at ``/usr/bin/chromium`` and ``/snap/bin/chromium``.

    Raises
    ------
    BrowserNotFoundError
        When ``KPI_TOOLKIT_CHROMIUM`` names no executable file, or no browser is found.
    """
    configured = os.environ.get(BROWSER_ENV)
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise BrowserNotFoundError(f"{BROWSER_ENV}={configured} is not an executable file; "
                                   f"{_INSTALL_HINT}")
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for path in BROWSER_PATHS:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise BrowserNotFoundError(f"no Chrome or Chromium found to print PDF reports; {_INSTALL_HINT}")


def footer_template(language: str, left_text: str = "") -> str:
    """Return Chromium's footer: `left_text` on the left, "Page X of Y" in `language` on the right."""
    pages = t("report.page_x_of_y", language, page="\x00", pages="\x01")
    pages = html.escape(pages).replace("\x00", '<span class="pageNumber"></span>').replace(
        "\x01", '<span class="totalPages"></span>')
    return (
        '<div style="width:100%; margin:0 15mm; display:flex; justify-content:space-between; '
        'font-family:\'DejaVu Sans\', \'Noto Sans\', Arial, sans-serif; font-size:7.5pt; '
        'color:#6b7580;"><span style="min-width:0">'
        f'{html.escape(left_text)}</span><span style="white-space:nowrap; padding-left:4mm">{pages}</span></div>'
    )


class PdfPrinter:
    """Print HTML files to PDF with one headless Chromium, reused for many reports.

    Parameters
    ----------
    language : str
        Language of the page footer ("Page X of Y"); each call may override it.
    timeout : float
        Seconds allowed for loading and printing one page.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "page.html").write_text("<h1>Премия</h1>", encoding="utf-8")
    >>> with PdfPrinter(language="ru") as printer:
    ...     _ = printer.print_pdf(folder / "page.html", folder / "page.pdf", footer_text="ACME")
    >>> (folder / "page.pdf").read_bytes()[:5]
    b'%PDF-'
    """

    def __init__(self, language: str = "en", timeout: float = 60.0):
        self.language = language
        self.timeout_ms = timeout * 1000
        self.blocked: list[str] = []  # URLs of the requests aborted so far
        self._playwright = None
        self._browser = None

    def __enter__(self) -> "PdfPrinter":
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        executable = find_browser()
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(executable), args=list(BROWSER_ARGS), headless=True)
        except PlaywrightError as error:
            self._playwright.stop()
            self._playwright = None
            raise ReportError(f"Chromium at {executable} did not start: {error.message.splitlines()[0]}") from None
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser (called on leaving the ``with`` block)."""
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None

    def print_pdf(self, html_path: str | os.PathLike, pdf_path: str | os.PathLike, *,
                  language: str | None = None, footer_text: str = "", metadata: dict | None = None) -> Path:
        """Print `html_path` to `pdf_path` (A4, backgrounds, page numbers), written atomically.

        The PDF is tagged (its structure follows the HTML's, and ``/Lang`` is the page's
        ``lang``), has bookmarks from the headings (h1 > h2 > h3) and its title from ``<title>``.
        `metadata` adds document information, e.g. ``{"/Author": ..., "/Subject": ...}``.

        Raises
        ------
        ReportError
            When the page cannot be loaded or printed.
        """
        if self._browser is None:
            raise ReportError("PdfPrinter is not started; use it as `with PdfPrinter() as printer:`")
        html_path = Path(html_path).resolve()
        context, page = self._new_page()
        try:
            return self._print(page, html_path, pdf_path, language, footer_text, metadata)
        finally:
            context.close()

    def print_many(self, jobs, *, language: str | None = None) -> list[Path]:
        """Print several HTML files of one client, ``(html_path, pdf_path, footer_text)`` each, in one
        browser page reused for all of them (about three times faster than :meth:`print_pdf` per
        file, for many small documents such as statements). Each PDF is written atomically.

        Raises
        ------
        ReportError
            When a page cannot be loaded or printed; the PDFs printed before it stay.
        """
        if self._browser is None:
            raise ReportError("PdfPrinter is not started; use it as `with PdfPrinter() as printer:`")
        context, page = self._new_page()
        try:
            return [self._print(page, Path(html_path).resolve(), pdf_path, language, footer_text)
                    for html_path, pdf_path, footer_text in jobs]
        finally:
            context.close()

    def _new_page(self):
        context = self._browser.new_context(java_script_enabled=False, offline=True, service_workers="block")
        try:
            page = context.new_page()
            page.set_default_timeout(self.timeout_ms)
            page.route("**/*", self._filter)
        except Exception as error:
            context.close()
            message = str(getattr(error, "message", error)).splitlines()[0]
            raise ReportError(f"the browser could not open a page to print: {message}") from None
        return context, page

    def _print(self, page, html_path: Path, pdf_path, language: str | None, footer_text: str,
               metadata: dict | None = None) -> Path:
        if not html_path.is_file():
            raise ReportError(f"cannot print '{html_path.name}': the HTML file does not exist")
        try:
            page.goto(html_path.as_uri(), wait_until="load")
            page.evaluate("() => document.fonts.ready.then(() => true)")
            page.emulate_media(media="print")
            pdf = page.pdf(
                format="A4", print_background=True, prefer_css_page_size=True, margin=MARGINS,
                display_header_footer=True, header_template="<span></span>",
                footer_template=footer_template(language or self.language, footer_text),
                tagged=True, outline=True,
            )
        except Exception as error:  # Playwright's errors carry the browser's log; keep the gist
            message = str(getattr(error, "message", error)).splitlines()[0]
            raise ReportError(f"cannot print '{html_path.name}' to PDF: {message}") from None
        if metadata:
            pdf = with_metadata(pdf, metadata)
        return write_bytes_atomic(pdf_path, pdf)

    def _filter(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            log.warning("blocked a request for %s while printing a report", url)
            route.abort("blockedbyclient")


def with_metadata(pdf: bytes, metadata: dict[str, str]) -> bytes:
    """Return `pdf` with document information added (``/Author``, ``/Subject`` ...); its tags,
    bookmarks, links and ``/Lang`` are kept.

    Examples
    --------
    >>> import pypdf
    >>> writer = pypdf.PdfWriter(); _ = writer.add_blank_page(595, 842)
    >>> buffer = io.BytesIO(); _ = writer.write(buffer)
    >>> signed = with_metadata(buffer.getvalue(), {"/Author": "Ledger & Partners"})
    >>> pypdf.PdfReader(io.BytesIO(signed)).metadata["/Author"]
    'Ledger & Partners'
    """
    import pypdf

    _quiet_pypdf()
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({key: str(value) for key, value in metadata.items() if value})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def destination_pages(pdf_path: str | os.PathLike) -> dict[str, int]:
    """Return the page (1-based) of every named destination in a PDF Chromium printed: every
    element with an ``id`` that a link points to, so every heading of the contents.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.html").write_text('<a href="#b">b</a><h2 style="break-before: page" id="b">B</h2>')
    >>> with PdfPrinter() as printer:
    ...     destination_pages(printer.print_pdf(folder / "a.html", folder / "a.pdf"))
    {'b': 2}
    """
    import pypdf

    _quiet_pypdf()
    reader = pypdf.PdfReader(str(pdf_path))
    pages = {}
    for name, destination in reader.named_destinations.items():
        number = reader.get_destination_page_number(destination)
        if number is not None and number >= 0:
            pages[str(name).lstrip("/")] = number + 1
    return pages


def _quiet_pypdf() -> None:
    """pypdf warns about harmless quirks of Chromium's PDFs ("Object count ... exceeds defined
    trailer size"); those warnings mean nothing to a consultant."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
