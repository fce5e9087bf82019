"""Executed notebooks -> client-facing HTML: a branded cover, contents, no code, nothing external.

Cells are rendered here rather than by an nbconvert template, because what a client may see is
a short list: markdown cells, and the rich outputs of code cells (HTML tables, markdown,
images, plain text). Everything else is dropped: code, prompts, stderr, widgets, JavaScript,
cells tagged ``parameters``, ``injected-parameters`` or ``remove``. An error output stops the
report (:class:`~kpi_toolkit.errors.ReportError`): a failed computation is never published.

Every rendered stage then passes through one HTML rewriter that

- removes ``<script>``, ``<iframe>`` and the like, ``on*=`` attributes and every URL that is not
  an in-page anchor or an embedded ``data:image``, and redacts local file paths from text,
  as a second line of defence behind escaping;
- gives headings unique anchors and collects h2/h3 for the table of contents;
- marks numeric table columns so they are right-aligned.
"""
from __future__ import annotations

import base64
import hashlib
import datetime as dt
import html
import os
import re
import struct
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import mistune
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from kpi_toolkit.errors import ReportError
from kpi_toolkit.fileio import write_bytes_atomic, write_text_atomic  # noqa: F401  (public here too)
from kpi_toolkit.outputs.i18n import format_date, format_money, format_number, format_percent, t
from kpi_toolkit.inputs.logo import logo_problem

if TYPE_CHECKING:  # nbformat pulls in jsonschema (about a second): only for type hints here
    import nbformat

DROP_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove", "remove-cell",
                            "papermill-error-cell-tag"})
PAGE_BREAK_TAG = "page-break"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/svg+xml", "image/png", "image/jpeg", "image/gif")
CSS_PX_PER_INCH = 96

_markdown = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_OBJECT_REPR = re.compile(r"^\[?<[\w.]+(?:[ :].*)?>\]?$|\bat 0x[0-9a-fA-F]+>", re.S)
_LOCAL_PATH = re.compile(
    r"(?<![\w.~/-])(?:file://)?(?:[A-Za-z]:\\|/(?:home|Users|root|tmp|work|var|opt|srv|mnt|media|"
    r"private|usr|data|etc)/)[^\s\"'<>()]*")
_URL_SCHEME = re.compile(r"\b(?:https?|ftp)://", re.I)
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
            **{c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~"}}


# --------------------------------------------------------------------------- public helpers

def escape(text) -> str:
    """Escape a client string for a notebook's markdown or HTML output.

    HTML specials become entities, and so do the characters markdown would read as markup
    (``*``, ``_``, ``|``, ``#`` ...), so a KPI named ``<script>alert(1)</script>`` or
    ``Sales_per_manager`` shows exactly as written, in JupyterLab and in the report.

    Examples
    --------
    >>> escape("<b>R&D</b>")
    '&lt;b&gt;R&amp;D&lt;/b&gt;'
    >>> escape("a*b|c")
    'a&#42;b&#124;c'
    """
    return "".join(_ESCAPES.get(c, c) for c in " ".join(str(text).split()))


@dataclass(frozen=True)
class Html:
    """An HTML fragment a notebook displays (``display(kt.report.table(...))``)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def table(df: pd.DataFrame, language: str, *, formats: dict[str, str] | None = None,
          currency: str | None = None, index: bool = False, caption: str | None = None) -> Html:
    """Return `df` as a report table with numbers formatted for `language`.

    Parameters
    ----------
    df : DataFrame
        Column names are shown as they are: translate them first (``kt.t("table.bonus", lang)``).
    language : str
    formats : dict, optional
        Column -> ``"money"``, ``"percent"``, ``"number"`` (2 decimals), ``"integer"`` or
        ``"text"``. Columns not named are shown as they are.
    currency : str, optional
        ISO 4217 code, required for ``"money"`` columns.
    index : bool
        Whether to show the index (hidden by default: a 0, 1, 2 ... column means nothing to a client).
    caption : str, optional

    Examples
    --------
    >>> df = pd.DataFrame({"KPI": ["<Revenue>"], "Attainment": [0.9]})
    >>> print(table(df, "en", formats={"Attainment": "percent"}).html)  # doctest: +ELLIPSIS
    <table class="dataframe report-table">...<td>&lt;Revenue&gt;</td>...<td>90.0%</td>...
    """
    formatters = {
        "money": lambda v: format_money(v, currency, language),
        "percent": lambda v: format_percent(v, language),
        "number": lambda v: format_number(v, language, 2),
        "integer": lambda v: format_number(v, language, 0),
        "text": str,
    }
    shown = df.copy()
    for column, kind in (formats or {}).items():
        if kind == "money" and not currency:
            raise ReportError(f"table column {column!r} is money but no currency was given")
        shown[column] = [("" if pd.isna(v) else formatters[kind](v)) for v in shown[column]]
    markup = shown.to_html(index=index, border=0, classes="report-table", na_rep="",
                           escape=True, notebook=False)
    if caption:
        markup = markup.replace(">", f">\n<caption>{html.escape(caption)}</caption>", 1)
    return Html(markup)


# --------------------------------------------------------------------------- rendering

def render_notebook_html(nb: nbformat.NotebookNode, *, client_name: str, stage_title: str,
                         period_label: str, language: str, logo_path: str | os.PathLike | None = None,
                         colour: str = "#1F4E79", date: dt.date | None = None,
                         author: str | None = None) -> str:
    """Render one executed stage notebook as a self-contained client report.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    client_name, stage_title, period_label : str
        Shown on the cover (``period_label`` as :func:`kpi_toolkit.outputs.i18n.format_period` gives it).
    language : str
        Language of the fixed texts.
    logo_path : path, optional
        The client's logo (PNG, JPEG, GIF or SVG), embedded in the page.
    colour : str
        The client's colour, ``#RRGGBB``: headings, rules, table headers.
    date : date, optional
        Date on the cover; default today.
    author : str, optional
        The consultancy that prepared the report (cover and PDF metadata).

    Returns
    -------
    str
        The HTML page; it references no file and no URL.

    Raises
    ------
    ReportError
        When a cell has an error output, or the logo or colour cannot be used.
    """
    return render_combined_html([(stage_title, nb)], client_name=client_name,
                                period_label=period_label, language=language, title=stage_title,
                                logo_path=logo_path, colour=colour, date=date, author=author)


def render_combined_html(parts: list[tuple[str, nbformat.NotebookNode]], *, client_name: str,
                         period_label: str, language: str, title: str | None = None,
                         logo_path: str | os.PathLike | None = None, colour: str = "#1F4E79",
                         date: dt.date | None = None, author: str | None = None,
                         page_numbers: dict[str, int] | None = None) -> str:
    """Render several stage notebooks as one report: one cover, one contents, a page per stage.

    Parameters
    ----------
    parts : list of (str, NotebookNode)
        Stage title and executed notebook, in report order.
    title : str, optional
        Title on the cover; default "KPI and bonus system" in `language`. With one part, the
        stage's title.
    author : str, optional
        Who prepared the report (``branding.consultancy``): on the cover and in the PDF's
        metadata; default "KPI Toolkit".
    page_numbers : dict, optional
        Heading anchor -> page number, read from a first printing
        (:func:`kpi_toolkit.outputs.pdf.destination_pages`), shown in the contents. Without it the
        contents keep an empty slot of the same width, so filling it in moves nothing.

    Other parameters are those of :func:`render_notebook_html`.
    """
    if not _COLOUR.match(colour or ""):
        raise ReportError(f"branding colour {colour!r} is not a colour; expected #RRGGBB, e.g. #1F4E79")
    single = len(parts) == 1
    used_ids: set[str] = set()
    stages, toc = [], []
    for number, (stage_title, nb) in enumerate(parts, start=1):
        anchor = _unique_id(f"stage-{number}", used_ids)
        body, headings = _render_stage(nb, stage_title, f"s{number}-", used_ids)
        stages.append({"title": stage_title, "anchor": anchor, "body": body})
        if not single:
            toc.append({"level": 1, "text": stage_title, "anchor": anchor})
        # the combined report's contents list each stage's sections, not every subsection
        toc += [{"level": level, "text": text, "anchor": ident} for level, text, ident in headings
                if single or level <= 2]
    for entry in toc:
        entry["page"] = (page_numbers or {}).get(entry["anchor"], "")
    title = title or (parts[0][0] if single else t("report.combined_title", language))
    template = _environment().get_template("report.html.j2")
    return template.render(
        language=language,
        client_name=client_name,
        title=title,
        author=author or "KPI Toolkit",
        subject=t("report.subject", language, title=title, client=client_name, period=period_label),
        subtitles=[] if single else [p[0] for p in parts],
        period_label=period_label,
        date_label=format_date(date or dt.date.today(), language),
        logo=_logo_data_uri(logo_path) if logo_path else None,
        colour=colour,
        tint=_tint(colour, 0.86),
        texts={**{key: t(f"report.{key}", language) for key in ("prepared_for", "period", "contents", "page")},
               "prepared_by": (t("report.prepared_by_name", language, name=author) if author
                               else t("report.prepared_by", language))},
        toc=toc,
        stages=stages,
    )


def _render_stage(nb, stage_title: str, prefix: str, used_ids: set[str]) -> tuple[str, list]:
    pieces = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & DROP_CELL_TAGS:
            continue
        if PAGE_BREAK_TAG in tags:
            pieces.append('<div class="page-break"></div>')
        if cell.cell_type == "markdown":
            pieces.append(_markdown_html(cell.source, cell.get("attachments")))
        elif cell.cell_type == "code":
            pieces += [_output_html(output, index, stage_title) for output in cell.get("outputs", [])]
    rewriter = _Rewriter(prefix, used_ids)
    rewriter.feed("\n".join(p for p in pieces if p))
    rewriter.close()
    return rewriter.result(), rewriter.headings


def _markdown_html(source: str, attachments: dict | None = None) -> str:
    for name, bundle in (attachments or {}).items():
        for mime, data in bundle.items():
            if mime.startswith("image/"):
                uri = _data_uri(mime, data)
                source = source.replace(f"attachment:{name}", uri)
    return _markdown(source)


def _output_html(output, index: int, stage_title: str) -> str:
    kind = output.get("output_type")
    if kind == "error":
        evalue = _ANSI.sub("", str(output.get("evalue", "")))
        raise ReportError(f"stage '{stage_title}', cell {index}: {output.get('ename', 'Error')}: "
                          f"{evalue}. The report is not published; open the executed notebook "
                          f"to see the traceback.")
    if kind == "stream":
        if output.get("name") != "stdout":
            return ""  # stderr holds warnings and logs: not for the client
        return _text_html(output.get("text", ""))
    if kind not in ("display_data", "execute_result"):
        return ""
    data = output.get("data", {})
    if WIDGET_MIME in data:
        return ""  # a live control means nothing on paper
    for mime in IMAGE_MIMES:
        if mime in data:
            return _image_html(mime, data[mime], output.get("metadata", {}).get(mime, {}))
    if "text/html" in data:
        return f'<div class="output-html">{_joined(data["text/html"])}</div>'
    if "text/markdown" in data:
        return f'<div class="output-markdown">{_markdown(_joined(data["text/markdown"]))}</div>'
    if "text/plain" in data:
        text = _joined(data["text/plain"])
        return "" if _OBJECT_REPR.search(text.strip()) else _text_html(text)
    return ""


def _text_html(text) -> str:
    text = _ANSI.sub("", _joined(text)).strip("\n")
    return f'<pre class="output-text">{html.escape(text)}</pre>' if text.strip() else ""


def _image_html(mime: str, data, metadata: dict) -> str:
    uri = _data_uri(mime, data)
    width = metadata.get("width") if isinstance(metadata, dict) else None
    if not width and mime == "image/png":
        width = _png_css_width(base64.b64decode(_joined(data)))
    alt = metadata.get("alt", "") if isinstance(metadata, dict) else ""
    rows = metadata.get("data") if isinstance(metadata, dict) else None
    return figure_html(uri, width, alt, rows)


def figure_html(uri: str, width: float | None, caption: str = "", rows: list | None = None) -> str:
    """An image as a report figure with its text alternative: `caption` as the image's ``alt``
    and under it, and `rows` (the numbers the chart shows; the first row is the header) as a
    table for screen readers, not printed.

    Examples
    --------
    >>> print(figure_html("data:image/png;base64,AA==", 300, "Pool <£1m", [["Pool"], ["£1"]]))
    ... # doctest: +NORMALIZE_WHITESPACE
    <figure><img src="data:image/png;base64,AA==" alt="Pool &lt;£1m" style="width: 300px"><figcaption>Pool &lt;£1m</figcaption><table class="chart-data"><caption>Pool &lt;£1m</caption><thead><tr><th scope="col">Pool</th></tr></thead><tbody><tr><td>£1</td></tr></tbody></table></figure>
    """
    style = f' style="width: {round(width)}px"' if width else ""
    text = html.escape(caption or "")
    markup = f'<figure><img src="{uri}" alt="{text}"{style}>'
    if caption:
        markup += f"<figcaption>{text}</figcaption>"
    if caption and rows and len(rows) > 1:
        head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows[1:])
        markup += (f'<table class="chart-data"><caption>{text}</caption><thead><tr>{head}</tr></thead>'
                   f"<tbody>{body}</tbody></table>")
    return markup + "</figure>"


def _data_uri(mime: str, data) -> str:
    text = _joined(data)
    if mime == "image/svg+xml":
        payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    else:
        payload = "".join(text.split())
    return f"data:{mime};base64,{payload}"


def _png_css_width(png: bytes) -> float | None:
    """Width in CSS pixels at the resolution the PNG declares (pHYs), so a 7-inch chart prints 7 inches wide."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width = struct.unpack(">I", png[16:20])[0]
    position = 8
    while position + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        if kind == b"pHYs" and length == 9:
            ppu_x, _, unit = struct.unpack(">IIB", png[position + 8:position + 17])
            if unit == 1 and ppu_x:  # pixels per metre
                return width / (ppu_x * 0.0254) * CSS_PX_PER_INCH
        if kind == b"IDAT":
            break
        position += 12 + length
    return None


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _logo_data_uri(logo_path) -> str:
    path = Path(logo_path)
    mimes = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
             ".svg": "image/svg+xml", ".webp": "image/webp"}
    mime = mimes.get(path.suffix.lower())
    if mime is None:
        raise ReportError(f"logo '{path.name}' is not a PNG, JPEG, GIF, WebP or SVG file; "
                          f"save it in one of these formats")
    try:
        unusable = logo_problem(path)
        if unusable is not None:
            raise ReportError("; ".join(unusable))
        data = path.read_bytes()
    except OSError as error:
        raise ReportError(f"logo '{path.name}' cannot be read ({error.strerror}); check "
                          f"branding.logo in client.yaml") from None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _tint(colour: str, amount: float) -> str:
    """Mix `colour` with white (`amount` = share of white)."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    rgb = [int(digits[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


def _environment() -> Environment:
    return Environment(loader=PackageLoader("kpi_toolkit.outputs", "templates"),
                       autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)


def _unique_id(base: str, used: set[str]) -> str:
    ident, n = base, 2
    while ident in used:
        ident, n = f"{base}-{n}", n + 1
    used.add(ident)
    return ident


def _slug(text: str) -> str:
    """A short ASCII anchor: PDF link names are limited to 127 bytes, and a Cyrillic heading
    percent-encodes to six bytes a letter."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    if not slug or not text.isascii():
        slug = (slug[:24] + "-" if slug else "s-") + hashlib.blake2s(text.encode("utf-8"), digest_size=4).hexdigest()
    return slug


# --------------------------------------------------------------------------- the HTML rewriter

_DROP_WITH_CONTENT = frozenset({"script", "iframe", "object", "embed", "applet", "frame", "frameset",
                                "noscript", "template", "title", "audio", "video", "canvas",
                                "button", "select", "textarea", "form", "head"})
_DROP_TAG_ONLY = frozenset({"html", "body", "meta", "link", "base", "input"})
_VOID = frozenset({"area", "br", "col", "hr", "img", "source", "track", "wbr", "meta", "link",
                   "base", "input"})
_URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "action", "formaction", "xlink:href",
                             "poster", "background", "data", "cite", "longdesc", "usemap",
                             "lowsrc", "dynsrc", "ping", "manifest", "codebase"})
# the one relative link a report keeps: to a file of per-employee detail written beside it
# (kpi_toolkit.stages.common.write_detail), e.g. detail/03_kpi_matrices.html
_DETAIL_LINK = re.compile(r"detail/[A-Za-z0-9_-]+\.html")
_UNSAFE_STYLE = re.compile(r"url\s*\(|expression\s*\(|javascript:|@import|behavior\s*:", re.I)
_NUMERIC = re.compile(
    r"^[(+\-−]?(?:[£$€₽¥]|[A-Z]{3}|US\$|JP¥)?\d[\d.,'’]*(?:%|[£$€₽¥]|[A-Z]{3}|[KMB]|тыс\.|млн|млрд)?\)?$")
_NEUTRAL = frozenset({"", "—", "–", "-", "nan", "NaN", "<NA>", "None", "NaT", "n/a"})


@dataclass
class _Tag:
    name: str
    attrs: list = field(default_factory=list)
    void: bool = False

    def add_class(self, css_class: str) -> None:
        for i, (key, value) in enumerate(self.attrs):
            if key == "class":
                self.attrs[i] = (key, f"{value} {css_class}".strip())
                return
        self.attrs.append(("class", css_class))

    def set(self, key: str, value: str) -> None:
        self.attrs = [(k, v) for k, v in self.attrs if k != key] + [(key, value)]

    def __str__(self) -> str:
        attrs = "".join(f' {k}="{html.escape(v or "", quote=True)}"' if v is not None else f" {k}"
                        for k, v in self.attrs)
        return f"<{self.name}{attrs}>"


class _Rewriter(HTMLParser):
    """Sanitise HTML, anchor its headings and right-align its numeric table columns."""

    def __init__(self, prefix: str, used_ids: set[str]):
        super().__init__(convert_charrefs=False)
        self.prefix, self.used_ids = prefix, used_ids
        self.out: list = []
        self.headings: list[tuple[int, str, str]] = []
        self._skip: list[str] = []  # open elements being dropped with their content
        self._style: list[str] | None = None  # text of an open <style>, or None
        self._heading: tuple[_Tag, list[str]] | None = None
        self._tables: list[dict] = []

    # -- structure
    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs, closed=True)

    def _start(self, tag, attrs, closed):
        if self._skip:
            if tag == self._skip[-1] and not closed and tag not in _VOID:
                self._skip.append(tag)
            return
        if tag in _DROP_WITH_CONTENT:
            if not closed and tag not in _VOID:
                self._skip.append(tag)
            return
        if tag in _DROP_TAG_ONLY:
            return
        if tag == "style":
            if dict(attrs).keys() & {"scoped"}:  # pandas' own DataFrame styling: ours is better
                self._skip.append(tag)
            else:
                self._style = []
            return
        element = _Tag(tag, self._safe_attributes(tag, attrs), void=tag in _VOID)
        if tag == "img" and not dict(element.attrs).get("src"):
            return
        if tag == "table" and not closed:
            element.attrs = [(k, v) for k, v in element.attrs if k not in ("border",)]
            self._tables.append({"cells": [], "col": 0, "section": "tbody"})
        self._table_start(element)
        self.out.append(element)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and not closed:
            self._heading = (element, [])
        if closed and tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag):
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag == "style" and self._style is not None:
            css = "".join(self._style)
            if not _UNSAFE_STYLE.search(css):
                self.out.append(f"<style>{css}</style>")
            self._style = None
            return
        if tag in _VOID or tag in _DROP_TAG_ONLY or tag in _DROP_WITH_CONTENT:
            return
        if self._heading and tag == self._heading[0].name:
            self._close_heading()
        self._table_end(tag)
        self.out.append(f"</{tag}>")

    # -- text
    def handle_data(self, data):
        if self._skip:
            return
        if self._style is not None:
            self._style.append(data)
            return
        data = _LOCAL_PATH.sub(lambda m: _redacted(m.group(0)), data)
        data = _URL_SCHEME.sub("", data)  # a URL quoted in text stays readable but is no link
        self._text(data)
        self.out.append(html.escape(data, quote=False))

    def handle_entityref(self, name):
        self._reference(f"&{name};")

    def handle_charref(self, name):
        self._reference(f"&#{name};")

    def _reference(self, ref):
        if self._skip:
            return
        if self._style is not None:
            self._style.append(ref)
            return
        self._text(html.unescape(ref))
        self.out.append(ref)

    def handle_comment(self, data):
        pass

    def handle_decl(self, decl):
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass

    # -- attributes
    def _safe_attributes(self, tag, attrs):
        safe = []
        for key, value in attrs:
            value = value or ""
            probe = re.sub(r"[\s\x00-\x1f]", "", html.unescape(value)).lower()
            if key.startswith("on") or key in ("srcdoc", "formtarget", "target"):
                continue
            if key in _URL_ATTRIBUTES:
                anchor = key == "href" and (probe.startswith("#") or _DETAIL_LINK.fullmatch(value) is not None)
                image = key == "src" and tag == "img" and probe.startswith("data:image/")
                if not (anchor or image):
                    continue
            if key == "style" and _UNSAFE_STYLE.search(html.unescape(value)):
                continue
            safe.append((key, value))
        return safe

    # -- headings
    def _text(self, text):
        if self._heading:
            self._heading[1].append(text)
        if self._tables and self._tables[-1].get("cell") is not None:
            self._tables[-1]["cell"][1].append(text)

    def _close_heading(self):
        element, parts = self._heading
        self._heading = None
        text = " ".join("".join(parts).split())
        ident = _unique_id(self.prefix + _slug(text), self.used_ids)
        element.set("id", ident)
        level = int(element.name[1])
        listed = "no-toc" not in (dict(element.attrs).get("class") or "").split()
        if level in (2, 3) and text and listed:
            self.headings.append((level, text, ident))

    # -- numeric columns
    def _table_start(self, element):
        if not self._tables:
            return
        table = self._tables[-1]
        if element.name in ("thead", "tbody", "tfoot"):
            table["section"] = element.name
        elif element.name == "tr":
            table["col"] = 0
        elif element.name in ("td", "th"):
            span = dict(element.attrs).get("colspan") or "1"
            table["cell"] = (element, [], table["col"], table["section"])
            table["col"] += int(span) if span.isdigit() else 1

    def _table_end(self, tag):
        if not self._tables:
            return
        table = self._tables[-1]
        if tag in ("td", "th") and table.get("cell") is not None:
            element, parts, col, section = table.pop("cell")
            table["cells"].append((element, "".join(parts), col, section))
        elif tag == "table":
            self._tables.pop()
            _align_numbers(table["cells"])

    def result(self) -> str:
        if self._heading:
            self._close_heading()
        return "".join(str(piece) for piece in self.out)


def _align_numbers(cells) -> None:
    """Right-align columns whose body cells are all numbers (or empty), with their headers."""
    verdict: dict[int, bool] = {}
    for element, text, col, section in cells:
        if section == "thead" or element.name != "td":
            continue
        value = re.sub(r"[\s\u00a0\u202f]", "", text)
        if value in _NEUTRAL:
            continue
        verdict[col] = verdict.get(col, True) and bool(_NUMERIC.match(value))
    for element, _, col, section in cells:
        if verdict.get(col) and (element.name == "td" or section == "thead"):
            element.add_class("num")


def _redacted(path: str) -> str:
    name = re.split(r"[\\/]", path.rstrip("\\/"))[-1]
    return name or "…"
