"""The layout rules of layout_check, each on a small page printed to see it broken and kept, and
``kpi-toolkit check-report``."""
from __future__ import annotations

from pathlib import Path

import pytest

from kpi_toolkit.cli import main
from kpi_toolkit.outputs.layout_check import check_pdf
from kpi_toolkit.outputs.pdf import PdfPrinter, find_browser
from kpi_toolkit.errors import KpiToolkitError

CSS = Path(__file__).resolve().parent.parent / "kpi_toolkit" / "outputs" / "templates" / "report.css"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def printer():
    try:
        find_browser()
    except KpiToolkitError as error:
        pytest.skip(str(error))
    with PdfPrinter() as started:
        yield started


def printed(printer, tmp_path, body: str, css: str = "") -> Path:
    page = f'<html lang="en"><head><style>{css}</style></head><body style="font-size: 10pt">{body}</body></html>'
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    return printer.print_pdf(tmp_path / "page.html", tmp_path / "page.pdf", footer_text="ACME")


def rows(n: int) -> str:
    return "".join(f"<tr><td>Row {i}</td><td>{i}</td></tr>" for i in range(1, n + 1))


def table(n: int) -> str:
    return f"<table><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>{rows(n)}</tbody></table>"


def fill(mm: int) -> str:
    """A block `mm` high: what follows lands at the page's foot (A4 less margins is 259 mm)."""
    return f'<div style="height: {mm}mm">Text.</div>'


def rules(pdf) -> list[str]:
    return [p.rule for p in check_pdf(pdf)]


def test_a_table_split_leaving_one_row_is_found(printer, tmp_path):
    pdf = printed(printer, tmp_path, fill(236) + table(6))
    assert "table-split" in rules(pdf)


def test_the_report_css_keeps_a_small_table_whole(printer, tmp_path):
    pdf = printed(printer, tmp_path, fill(236) + table(6), css=CSS.read_text())
    assert "table-split" not in rules(pdf)


def test_a_long_table_repeats_its_header_and_a_missing_header_is_found(printer, tmp_path):
    kept = printed(printer, tmp_path, table(90), css="thead { display: table-header-group; }")
    assert rules(kept) == []
    lost = printed(printer, tmp_path, table(90), css="thead { display: table-row-group; }")
    assert "table-header" in rules(lost)


def test_a_heading_last_on_its_page_is_found_and_the_css_keeps_it_with_its_table(printer, tmp_path):
    body = fill(238) + "<h3>Legal Counsel · Legal</h3><p>Goals owned.</p>" + table(5)
    assert "stranded-heading" in rules(printed(printer, tmp_path, body, css="table { break-inside: avoid; }"))
    assert rules(printed(printer, tmp_path, body, css=CSS.read_text())) == []


def test_the_css_wraps_a_word_longer_than_the_column(printer, tmp_path):
    word = "Константинопольская" * 8
    assert rules(printed(printer, tmp_path, f"<p>{word}</p>", css=CSS.read_text())) == []


def test_check_report_command(printer, tmp_path, capsys):
    good = printed(printer, tmp_path, "<h2>Scheme</h2><p>Text.</p>")
    assert main(["check-report", str(good)]) == 0
    assert "no layout problem" in capsys.readouterr().out
    (tmp_path / "notes.pdf").write_text("not a PDF", encoding="utf-8")
    assert main(["check-report", str(tmp_path / "notes.pdf")]) == 1
    assert "cannot read 'notes.pdf' as a PDF" in capsys.readouterr().err
