"""Layout rules a printed report must keep, checked on the PDF itself (pdfplumber's word boxes and,
in a tagged PDF such as the toolkit prints, its structure: headings, tables and their rows).

A consultant runs it on any report before sending it::

    kpi-toolkit check-report reports/northwind/2026-09/report.pdf

and gets one line per problem (page, rule, the text concerned) and exit status 1, or "no layout
problem" and exit status 0. The rules, for pages of A4 with the margins of ``report.css``:

- ``footer-only``: a page holds only the footer (an empty last page, say);
- ``outside-column``: a word reaches past the text column (cut at the page edge on paper);
- ``stranded-heading``: a heading (a section's, a chart's, a table's, an employee's name over a
  statement) is the last thing on its page: what it heads starts on the next page. In a PDF
  without tags, a heading is type of 11 pt and more with less than three lines under it;
- ``table-split``: a table runs over a page break leaving fewer than three of its rows on one
  side (a small table, of fewer than six rows, is never split);
- ``table-header``: a table continued on the next page does not repeat its header row there.

The table rules need a tagged PDF (``kpi-toolkit run`` prints one); in an untagged PDF they are
not checked.
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
    from pdfplumber.utils.exceptions import PdfminerException

    from kpi_toolkit.errors import ReportError

    problems: list[LayoutProblem] = []
    try:
        pdf = pdfplumber.open(str(path))
        _ = pdf.pages
    except (OSError, PDFSyntaxError, PdfminerException) as error:
        raise ReportError(f"cannot read '{Path(path).name}' as a PDF ({error}); give a report's PDF file") from None
    with pdf:
        try:
            tree = pdf.structure_tree
        except Exception:  # an untagged or oddly tagged PDF: the word rules alone
            tree = []
        nodes = _flatten(tree)
        tagged = any(node.own for node in nodes)
        pages = _Pages(pdf)
        for number, page in enumerate(pdf.pages, start=1):
            problems += _check_page(page, number, last=number == len(pdf.pages), headings=not tagged)
        if tagged:
            problems += _stranded_headings(nodes, pages) + _tables(nodes, pages)
    return sorted(problems, key=lambda p: p.page)


# --------------------------------------------------------------------------- page by page: words

def _check_page(page, number: int, last: bool, headings: bool = True) -> list[LayoutProblem]:
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
    if headings and lines and not last:
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


# --------------------------------------------------------------------------- the structure of a tagged PDF

@dataclass
class _Node:
    """A structure element in reading order: its type, its own marked content (page -> MCIDs)
    and the index one past its last descendant."""

    type: str
    own: dict
    index: int
    end: int = 0


def _flatten(tree) -> list[_Node]:
    nodes: list[_Node] = []

    def visit(element) -> None:
        own = {}
        if element.get("mcids") and element.get("page_number"):
            own[element["page_number"]] = set(element["mcids"])
        node = _Node(element.get("type", ""), own, len(nodes))
        nodes.append(node)
        for child in element.get("children", []):
            visit(child)
        node.end = len(nodes)

    for element in tree:
        visit(element)
    return nodes


def _content(nodes: list[_Node], node: _Node) -> dict:
    """Page -> MCIDs of `node` and its descendants."""
    content: dict = {}
    for inner in nodes[node.index:node.end]:
        for page, mcids in inner.own.items():
            content.setdefault(page, set()).update(mcids)
    return content


class _Pages:
    """The characters of each page by marked-content id, read when first asked for."""

    def __init__(self, pdf):
        self.pdf, self._by_mcid, self._words = pdf, {}, {}

    def chars(self, page: int, mcids) -> list[dict]:
        if page not in self._by_mcid:
            by_mcid: dict = {}
            for char in self.pdf.pages[page - 1].chars:
                if char.get("mcid") is not None:
                    by_mcid.setdefault(char["mcid"], []).append(char)
            self._by_mcid[page] = by_mcid
        return [c for mcid in sorted(mcids) for c in self._by_mcid[page].get(mcid, [])]

    def page_words(self, page: int) -> list[dict]:
        if page not in self._words:
            self._words[page] = self.pdf.pages[page - 1].extract_words()
        return self._words[page]

    def text(self, content: dict) -> str:
        """The words of `content` as they read on its first page."""
        page = min(content)
        chars = self.chars(page, content[page])
        if not chars:
            return ""
        top, bottom = min(c["top"] for c in chars), max(c["bottom"] for c in chars)
        x0, x1 = min(c["x0"] for c in chars), max(c["x1"] for c in chars)
        inside = [w["text"] for w in self.page_words(page) if w["top"] >= top - SLACK_PT
                  and w["bottom"] <= bottom + SLACK_PT and w["x0"] >= x0 - SLACK_PT and w["x1"] <= x1 + SLACK_PT]
        return " ".join(inside)


HEADINGS = frozenset({"H", "H1", "H2", "H3", "H4", "H5", "H6"})


def _stranded_headings(nodes: list[_Node], pages: _Pages) -> list[LayoutProblem]:
    """A heading is stranded when, on its page, neither a table, a chart nor three lines of text
    follow it before its section goes on to the next page."""
    problems = []
    for node in nodes:
        if node.type not in HEADINGS:
            continue
        content = _content(nodes, node)
        if not content:
            continue
        page, lines, stranded_on = max(content), set(), None
        for following in nodes[node.end:]:
            if following.type in HEADINGS:
                break
            if following.type in ("Table", "Figure"):
                inner = _content(nodes, following)
                if inner and min(inner) == page:
                    break
            if not following.own:
                continue
            if min(following.own) > page:
                stranded_on = min(following.own)
                break
            lines |= {round(c["bottom"]) for c in pages.chars(page, following.own.get(page, ()))}
            if len(lines) >= MIN_LINES_UNDER:
                break
        if stranded_on:
            problems.append(LayoutProblem(page, "stranded-heading",
                                          f"“{pages.text(content)[:80]}” is at the foot of the page, what it "
                                          f"heads starts on page {stranded_on}"))
    return problems


MIN_ROWS = 3


def _tables(nodes: list[_Node], pages: _Pages) -> list[LayoutProblem]:
    problems = []
    for table in (n for n in nodes if n.type == "Table"):
        rows = [n for n in nodes[table.index + 1:table.end] if n.type == "TR"]
        rows = [r for r in rows if not any(t.type == "Table" for t in nodes[table.index + 1:r.index]
                                           if t.end > r.index)]  # not the rows of a table inside a cell
        header, body = [], []
        for row in rows:
            cells = [n for n in nodes[row.index + 1:row.end] if n.type in ("TH", "TD")]
            content = _content(nodes, row)
            if not content:
                continue
            if not body and cells and all(c.type == "TH" for c in cells):
                header.append(content)
            else:
                body.append(content)
        by_page: dict[int, int] = {}
        for content in body:
            by_page[min(content)] = by_page.get(min(content), 0) + 1
        if len(by_page) < 2:
            continue
        first_row = pages.text(body[0])[:60]
        parts = " + ".join(str(by_page[p]) for p in sorted(by_page))
        if min(by_page.values()) < MIN_ROWS:
            problems.append(LayoutProblem(min(by_page), "table-split",
                                          f"the table starting “{first_row}” is split {parts} rows over pages "
                                          f"{', '.join(map(str, sorted(by_page)))}"))
        if header:
            problems += _header_repeated(pages, header[0], body, by_page, first_row)
    return problems


def _header_repeated(pages: _Pages, header: dict, body: list[dict], by_page: dict, first_row: str) -> list:
    """On each page a table continues on, the line just above its first row there is the line just
    above its first row on its first page: the last line of its header."""
    def line_above(page: int) -> set[str]:
        first = next(content for content in body if min(content) == page)
        tops = [c["top"] for c in pages.chars(page, first[page])]
        if not tops:
            return set()
        above = [w for w in pages.page_words(page) if w["bottom"] <= min(tops) + SLACK_PT
                 and w["bottom"] > min(tops) - 30]
        if not above:
            return set()
        lowest = max(w["bottom"] for w in above)
        return {w["text"] for w in above if abs(w["bottom"] - lowest) < 2}

    pages_of_table = sorted(by_page)
    wanted = line_above(pages_of_table[0])
    if not wanted:
        return []
    return [LayoutProblem(page, "table-header", f"the table starting “{first_row}” continues without its header row")
            for page in pages_of_table[1:] if not wanted <= line_above(page)]


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
