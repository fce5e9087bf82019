"""PDF printing (kpi_toolkit/pdf.py): finding a browser, and printing offline with headless Chromium."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kpi_toolkit.outputs import pdf

from kpi_toolkit.outputs import html as report
from kpi_toolkit.errors import BrowserNotFoundError, ReportError


# --------------------------------------------------------------------------- find_browser

@pytest.fixture
def no_browsers(monkeypatch, tmp_path):
    monkeypatch.delenv(pdf.BROWSER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(pdf, "BROWSER_PATHS", ())


def fake_executable(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_env_variable_comes_first(no_browsers, monkeypatch, tmp_path):
    chrome = fake_executable(tmp_path / "opt", "my-chrome")
    fake_executable(tmp_path / "bin", "chromium")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv(pdf.BROWSER_ENV, str(chrome))
    assert pdf.find_browser() == chrome


def test_browser_on_path(no_browsers, monkeypatch, tmp_path):
    chrome = fake_executable(tmp_path / "bin", "google-chrome-stable")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert pdf.find_browser() == chrome


def test_known_location(no_browsers, monkeypatch, tmp_path):
    chromium = fake_executable(tmp_path / "snap", "chromium")
    monkeypatch.setattr(pdf, "BROWSER_PATHS", (tmp_path / "nowhere", chromium))
    assert pdf.find_browser() == chromium


def test_env_variable_pointing_at_a_missing_file(no_browsers, monkeypatch, tmp_path):
    monkeypatch.setenv(pdf.BROWSER_ENV, str(tmp_path / "no-such-chrome"))
    with pytest.raises(BrowserNotFoundError) as caught:
        pdf.find_browser()
    assert "no-such-chrome" in str(caught.value)
    assert "apt-get install chromium" in str(caught.value)


def test_no_browser_at_all(no_browsers):
    with pytest.raises(BrowserNotFoundError) as caught:
        pdf.find_browser()
    message = str(caught.value)
    assert "apt-get install chromium" in message and pdf.BROWSER_ENV in message
    assert isinstance(caught.value, ReportError)


def test_footer_is_localised():
    footer = pdf.footer_template("ru", "ООО «Ромашка» <b>")
    assert 'Страница <span class="pageNumber"></span> из <span class="totalPages"></span>' in footer
    assert "&lt;b&gt;" in footer


# --------------------------------------------------------------------------- printing

def _browser_or_skip():
    try:
        return pdf.find_browser()
    except BrowserNotFoundError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def printer():
    _browser_or_skip()
    with pdf.PdfPrinter(language="ru", timeout=60) as shared:
        yield shared


def pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def russian_report(tmp_path) -> Path:
    nb = new_notebook()
    table = pd.DataFrame({"Сотрудник": ["Иванов Иван", "Петрова Мария"], "Премия": ["52 000 ₽", "0 ₽"]})
    cell = new_code_cell("table")
    cell.outputs = [new_output("display_data", data={"text/html": table.to_html(index=False)})]
    nb.cells = [new_markdown_cell("## Расчёт премии\n\nПремия начисляется по итогам месяца."), cell]
    html = report.render_notebook_html(nb, client_name="ООО «Ромашка»", stage_title="Схема премирования",
                                       period_label="сентябрь 2026", language="ru",
                                       date=dt.date(2026, 10, 5))
    return report.write_text_atomic(tmp_path / "report.html", html)


@pytest.mark.browser
def test_prints_cyrillic_report_with_page_numbers(printer, russian_report, tmp_path):
    target = tmp_path / "out" / "report.pdf"
    assert printer.print_pdf(russian_report, target, footer_text="ООО «Ромашка»") == target
    assert target.read_bytes().startswith(b"%PDF")
    text = pdf_text(target)
    assert "Премия начисляется по итогам месяца." in text
    assert "Иванов Иван" in text and "Схема премирования" in text
    assert "Страница 1 из 3" in text and "Страница 3 из 3" in text  # cover, contents, stage
    assert [p.name for p in target.parent.iterdir()] == ["report.pdf"]  # no temporary left


@pytest.mark.browser
def test_footer_language_per_call(printer, russian_report, tmp_path):
    target = printer.print_pdf(russian_report, tmp_path / "en.pdf", language="en")
    assert "Page 2 of 3" in pdf_text(target)


@pytest.mark.browser
def test_external_requests_are_aborted_without_waiting(printer, tmp_path):
    page = tmp_path / "external.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" href="https://example.com/a.css">'
                    '</head><body><p>Внешние ссылки</p><img src="https://example.com/x.png">'
                    '<img src="http://192.0.2.1/y.png"></body></html>', encoding="utf-8")
    before = len(printer.blocked)
    started = time.monotonic()
    target = printer.print_pdf(page, tmp_path / "external.pdf")
    assert time.monotonic() - started < 15
    blocked = printer.blocked[before:]
    assert sorted(blocked) == ["http://192.0.2.1/y.png", "https://example.com/a.css",
                               "https://example.com/x.png"]
    assert "Внешние ссылки" in pdf_text(target)


@pytest.mark.browser
def test_missing_html_file(printer, tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        printer.print_pdf(tmp_path / "nothing.html", tmp_path / "nothing.pdf")
    assert not (tmp_path / "nothing.pdf").exists()


def test_printer_must_be_started(tmp_path):
    with pytest.raises(ReportError, match="not started"):
        pdf.PdfPrinter().print_pdf(tmp_path / "a.html", tmp_path / "a.pdf")
