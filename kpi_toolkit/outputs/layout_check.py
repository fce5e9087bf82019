"""Layout rules a printed report must keep, checked on the PDF itself (pdfplumber's word boxes).

A consultant runs it on any report before sending it::

    python -m kpi_toolkit.outputs.layout_check reports/northwind/2026-09/report.pdf

and gets one line per problem (page, rule, the text concerned) and exit status 1, or "no layout
problem" and exit status 0. The rules, for pages of A4 with the margins of ``report.css``:

- ``footer-only``: a page holds only the footer (an empty last page, say);
- ``outside-column``: a word reaches past the text column (cut at the page edge on paper);
- ``stranded-heading``: a heading (h1-h3: type of 11 pt and more) has less than three lines of
  anything under it before the foot of its page, so the reader meets the heading on one page and
  its content on the next.

Not checked here: whether a table repeats its header or is split leaving fewer than three rows
on a page (the CSS keeps small tables whole and repeats every table's header; no word boxes say
where a table row starts).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

MM = 72 / 25.4  # PDF points per millimetre
MARGINS_MM = {"top": 18, "right": 15, "bottom": 20, "left": 15}  # as in report.css and pdf.MARGINS
HEADING_PT = 11.0  # h3 is 11.5 pt, body text 10 pt and less
SLACK_PT = 1.5  # rounding of glyph boxes
MIN_LINES_UNDER = 3


@dataclass(frozen=True)
class LayoutProblem:
    """One broken rule: where, which rule, and the text concerned."""

    page: int
    rule: str
    text: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.rule}: {self.text}"


def check_pdf(path: str | Path) -> list[LayoutProblem]:
    """Check every page of the PDF at `path` against the layout rules of this module.

    Raises
    ------
    ReportError
        When the file is not a PDF that can be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from kpi_toolkit.outputs.pdf import PdfPrinter
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> body = "<p>Text.</p>" * 4  # body text of 10 pt, as in report.css; headings are 11 pt and more
    >>> page = (f'<body style="font-size: 10pt"><h2>Scheme</h2>{body}'
    ...         f'<h2 style="break-before: page">Rules</h2>{body}<div style="break-before: page"></div></body>')
    >>> _ = (folder / "a.html").write_text(page, encoding="utf-8")
    >>> with PdfPrinter() as printer:
    ...     _ = printer.print_pdf(folder / "a.html", folder / "a.pdf", footer_text="ACME")
    >>> [str(p) for p in check_pdf(folder / "a.pdf")]
    ['page 3: footer-only: the page holds only the footer']
    """
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    from kpi_toolkit.errors import ReportError

    problems: list[LayoutProblem] = []
    try:
        pdf = pdfplumber.open(str(path))
    except (OSError, PDFSyntaxError) as error:
        raise ReportError(f"cannot read '{Path(path).name}' as a PDF ({error}); give a report's PDF file") from None
    with pdf:
        for number, page in enumerate(pdf.pages, start=1):
            problems += _check_page(page, number, last=number == len(pdf.pages))
    return problems


def _check_page(page, number: int, last: bool) -> list[LayoutProblem]:
    problems = []
    foot = page.height - MARGINS_MM["bottom"] * MM
    words = page.extract_words(extra_attrs=["size"], keep_blank_chars=False, use_text_flow=True)
    body = [w for w in words if w["bottom"] <= foot + SLACK_PT]
    if not body and not page.images:
        return [LayoutProblem(number, "footer-only", "the page holds only the footer")]
    left, right = MARGINS_MM["left"] * MM, page.width - MARGINS_MM["right"] * MM
    outside = [w["text"] for w in body if w["x0"] < left - SLACK_PT or w["x1"] > right + SLACK_PT]
    if outside:
        problems.append(LayoutProblem(number, "outside-column",
                                      f"text reaches past the column: {' '.join(outside[:8])}"))
    lines = _lines(body)
    if lines and not last:
        line_height = 10 * 1.45
        bottom = max(line["bottom"] for line in lines)
        for line in lines:
            if line["size"] >= HEADING_PT and bottom - line["bottom"] < MIN_LINES_UNDER * line_height:
                lowest_image = max((image["bottom"] for image in page.images), default=0)
                if lowest_image > line["bottom"] + MIN_LINES_UNDER * line_height:
                    continue  # a chart under it
                problems.append(LayoutProblem(number, "stranded-heading",
                                              f"“{line['text'][:80]}” is at the foot of the page, its content on the next"))
                break
    return problems


def _lines(words) -> list[dict]:
    """Words grouped by their baseline: text, largest type size, bottom."""
    lines: list[dict] = []
    for word in sorted(words, key=lambda w: (round(w["bottom"]), w["x0"])):
        if lines and abs(lines[-1]["bottom"] - word["bottom"]) < 2:
            line = lines[-1]
            line["text"] += " " + word["text"]
            line["size"] = max(line["size"], word["size"])
        else:
            lines.append({"text": word["text"], "size": word["size"], "bottom": word["bottom"]})
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python -m kpi_toolkit.outputs.layout_check FILE.pdf ...``: print the problems; exit 1 if any."""
    from kpi_toolkit.errors import KpiToolkitError

    files = sys.argv[1:] if argv is None else argv
    if not files:
        print("usage: python -m kpi_toolkit.outputs.layout_check REPORT.pdf [...]", file=sys.stderr)
        return 2
    found = 0
    for file in files:
        try:
            problems = check_pdf(file)
        except KpiToolkitError as error:
            print(f"{file}: {error}", file=sys.stderr)
            found += 1
            continue
        for problem in problems:
            print(f"{file}: {problem}")
        found += len(problems)
        if not problems:
            print(f"{file}: no layout problem")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
