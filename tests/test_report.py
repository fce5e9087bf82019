"""Client-facing HTML (kpi_toolkit/report.py), on small notebooks built here with nbformat."""
from __future__ import annotations

import base64
import datetime as dt
import os
import re
import struct
import zlib

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kpi_toolkit.outputs import html as report
from kpi_toolkit.errors import ReportError

EVIL = "<script>alert(1)</script>"


def tiny_png(width=4, height=2, dpi=None) -> bytes:
    """A valid PNG of `width` x `height` white pixels, with a pHYs chunk when `dpi` is given."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    phys = chunk(b"pHYs", struct.pack(">IIB", round(dpi / 0.0254), round(dpi / 0.0254), 1)) if dpi else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + phys + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def code(outputs, tags=(), source="x = 1"):
    cell = new_code_cell(source, execution_count=7)
    cell.outputs = outputs
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def bonus_table() -> pd.DataFrame:
    return pd.DataFrame({"KPI": ["Revenue", EVIL], "Weight": [0.5, 0.5], "Bonus": ["£1,200.00", "£0.00"]})


@pytest.fixture
def notebook():
    nb = new_notebook()
    nb.cells = [
        code([], tags=["parameters"], source="client = 'demo'"),
        code([new_output("stream", name="stdout", text="PAPERMILL-PARAMETERS\n")],
             tags=["injected-parameters"], source="client = 'acme'  # Parameters"),
        new_markdown_cell("# Bonus scheme\n\n## The bonus formula\n\nEach employee has a fund.\n\n"
                          "### Thresholds\n\nBelow 70 % nothing is paid."),
        code([new_output("execute_result", execution_count=7,
                         data={"text/html": bonus_table().to_html(), "text/plain": repr(bonus_table())})],
             source="statement_table"),
        code([new_output("display_data", data={"image/png": b64(tiny_png(dpi=150)),
                                                "text/plain": "<Figure size 700x300 with 1 Axes>"})],
             source="kt.pool_vs_budget_chart(...)"),
        code([new_output("stream", name="stdout", text="Total bonus pool: 1,200\n"),
              new_output("stream", name="stderr",
                         text="/home/consultant/.venv/lib/python3.11/site-packages/pandas/x.py:1: FutureWarning\n")]),
        new_markdown_cell("## Pool against budget\n\nThe pool is within budget."),
        code([new_output("display_data", data={"text/markdown": f"**KPI:** {report.escape(EVIL)}",
                                                "text/plain": "<IPython.core.display.Markdown object>"})]),
        code([new_output("display_data", data={"application/vnd.jupyter.widget-view+json":
                                                {"model_id": "abc", "version_major": 2},
                                                "text/plain": "IntSlider(value=5)"})]),
        code([], tags=["remove"], source="secret = 42"),
    ]
    return nb


def render(nb, **kw):
    options = dict(client_name="ACME Ltd", stage_title="Bonus scheme", period_label="September 2026",
                   language="en", date=dt.date(2026, 10, 5))
    return report.render_notebook_html(nb, **{**options, **kw})


def test_report_shows_content_and_no_code(notebook):
    html = render(notebook)
    assert "Each employee has a fund." in html
    assert "Total bonus pool: 1,200" in html
    assert 'src="data:image/png;base64,' in html
    for leftover in ("statement_table", "kt.pool_vs_budget_chart", "x = 1", "In [", "Out[",
                     "execution_count", "In&nbsp;[", "PAPERMILL-PARAMETERS", "client = ",
                     "secret", "IntSlider", "FutureWarning", "<Figure size", "Markdown object"):
        assert leftover not in html, leftover


def test_report_is_self_contained(notebook):
    html = render(notebook)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "/home/" not in html


def test_cover(notebook, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(tiny_png())
    html = render(notebook, logo_path=logo, colour="#AA3300")
    cover = html[html.index('<header class="cover">'):html.index("</header>")]
    assert "ACME Ltd" in cover and "Bonus scheme" in cover and "September 2026" in cover
    assert "Prepared by KPI Toolkit" in cover and "5 October 2026" in cover
    assert f'src="data:image/png;base64,{b64(tiny_png())}"' in cover
    assert str(tmp_path) not in html and "logo.png" not in html
    assert "--brand: #AA3300" in html


def test_cover_in_russian(notebook):
    html = render(notebook, language="ru", period_label="сентябрь 2026", stage_title="Схема премирования")
    assert "Подготовлено для" in html and "Содержание" in html and "сентябрь 2026" in html
    assert 'lang="ru"' in html


def test_print_css(notebook):
    html = render(notebook)
    for rule in ("@page { size: A4; margin: 18mm 15mm 20mm 15mm; }", "break-after: avoid",
                 "thead { display: table-header-group; }", "tr, img, figure",
                 "break-inside: avoid", "tbody tr:nth-child(even)"):
        assert rule in html, rule


def test_table_of_contents_links_to_h2_and_h3(notebook):
    html = render(notebook)
    toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
    entries = re.findall(r'<li class="toc-level-(\d)"><a href="#([^"]+)"><span class="toc-text">([^<]+)</span>', toc)
    assert [(level, text) for level, _, text in entries] == [
        ("2", "The bonus formula"), ("3", "Thresholds"), ("2", "Pool against budget")]
    for _, anchor, _ in entries:
        assert f'id="{anchor}"' in html
    assert '<span class="toc-page"></span>' in toc  # no numbers until printed once


def test_contents_show_the_page_of_each_heading(notebook):
    first = render(notebook)
    anchors = re.findall(r'<a href="#([^"]+)">', first)
    html = report.render_combined_html([("Bonus scheme", notebook)], client_name="ACME Ltd", language="en",
                                       period_label="September 2026", page_numbers={anchors[0]: 3, anchors[1]: 12})
    assert f'<a href="#{anchors[0]}"><span class="toc-text">' in html
    pages = re.findall(r'<span class="toc-page"><span class="visually-hidden">page </span>(\d+)</span>', html)
    assert pages == ["3", "12"]
    assert '<meta name="author" content="KPI Toolkit">' in html and "Prepared by KPI Toolkit" in html
    signed = render(notebook, author="Ledger & Partners")
    assert '<meta name="author" content="Ledger &amp; Partners">' in signed
    assert "Prepared by Ledger &amp; Partners" in signed


def test_landmarks_and_no_heading_skipped(notebook):
    html = render(notebook)
    assert html.index('<header class="cover">') < html.index("<nav") < html.index("<main>") < html.index("</main>")
    assert "<section" not in html[:html.index("<main>")]


def test_a_chart_has_a_caption_and_its_numbers_as_a_table():
    nb = new_notebook()
    cell = new_code_cell("chart")
    cell.outputs = [new_output("display_data", data={"image/png": b64(tiny_png())},
                               metadata={"image/png": {"width": 300, "alt": "Pool & budget",
                                                       "data": [["Pool", "Budget"], ["£9", "£10"]]}})]
    nb.cells = [cell]
    html = render(nb)
    assert '<img src="data:image/png;base64,' in html and 'alt="Pool &amp; budget"' in html
    assert "<figcaption>Pool &amp; budget</figcaption>" in html
    assert re.search(r'<th scope="col"[^>]*>Budget</th>', html) and ">£10</td>" in html


def test_client_strings_are_escaped(notebook):
    html = render(notebook)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the DataFrame's cell
    assert "alert(1)" in html.split("KPI:", 1)[1]  # the markdown output shows it as text
    assert "<script" not in html


def test_sanitiser_is_a_second_line_of_defence():
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell(f'Raw {EVIL} <img src="x.png" onerror="alert(2)"> <a href="https://evil.example/" '
                          f'onclick="steal()">link</a> <b onmouseover="x()">bold</b>'),
        code([new_output("display_data", data={"text/html": f'<div style="background: url(https://t.example/p.gif)">'
                                                            f'{EVIL}<iframe src="https://x.example"></iframe>'
                                                            f'<p>kept</p></div>'})]),
        code([new_output("display_data", data={"text/plain": f"{EVIL} saved to /home/ann/acme/bonus.csv"})]),
    ]
    html = render(nb)
    body = html[html.index('<section class="stage"'):]
    assert "<script" not in body and "alert(1)</script>" not in body
    assert "onerror" not in body and "onclick" not in body and "onmouseover" not in body
    assert "<iframe" not in body and "url(" not in body and "evil.example/" not in body.split(">link")[0][-80:]
    assert "<b>bold</b>" in body and "<p>kept</p>" in body and ">link</a>" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; saved to bonus.csv" in body  # text/plain stays text
    assert "https://" not in html


def test_only_links_to_a_detail_file_beside_the_report_are_kept():
    nb = new_notebook()
    links = ['<a href="detail/03_kpi_matrices.html">kept</a>', '<a href="../detail/x.html">up</a>',
             '<a href="detail/x.html?q=1">query</a>', '<a href="javascript:detail/x.html">js</a>',
             '<a href="file:///etc/detail/x.html">file</a>', '<a href="detail/sub/x.html">sub</a>']
    nb.cells = [code([new_output("display_data", data={"text/html": " ".join(links)})])]
    body = render(nb)
    assert '<a href="detail/03_kpi_matrices.html">kept</a>' in body
    assert body.count('href="') - body.count('href="#') == 1


def test_error_output_stops_the_report(notebook):
    notebook.cells.append(code([new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                           traceback=["\x1b[0;31mTraceback ...", "ZeroDivisionError"])]))
    with pytest.raises(ReportError, match="ZeroDivisionError: division by zero"):
        render(notebook)


def test_numeric_columns_are_right_aligned():
    nb = new_notebook()
    df = pd.DataFrame({"Employee": ["Ann", "Bob"], "Bonus": ["£1,200.50", "£0.00"],
                       "Attainment": ["90.0%", "—"], "Note": ["12 pcs", "ok"]})
    nb.cells = [code([new_output("display_data", data={"text/html": df.to_html(index=False)})])]
    html = render(nb)
    assert re.search(r'<th class="num">Bonus</th>', html)
    assert re.search(r'<td class="num">£1,200.50</td>', html)
    assert re.search(r'<td class="num">90.0%</td>', html)
    assert "<td>Ann</td>" in html and "<td>12 pcs</td>" in html


def test_png_is_shown_at_its_printed_size():
    nb = new_notebook()
    nb.cells = [code([new_output("display_data", data={"image/png": b64(tiny_png(width=1050, dpi=150))}),
                      new_output("display_data", data={"image/png": b64(tiny_png())},
                                 metadata={"image/png": {"width": 320}})])]
    html = render(nb)
    assert 'style="width: 672px"' in html  # 1050 px at 150 dpi = 7 in = 672 CSS px
    assert 'style="width: 320px"' in html


def test_markdown_attachments_are_embedded():
    cell = new_markdown_cell("![chart](attachment:chart.png)")
    cell.attachments = {"chart.png": {"image/png": b64(tiny_png())}}
    nb = new_notebook()
    nb.cells = [cell]
    assert f'src="data:image/png;base64,{b64(tiny_png())}"' in render(nb)


def test_combined_report_has_one_cover_and_one_contents():
    first, second = new_notebook(), new_notebook()
    first.cells = [new_markdown_cell("## Questionnaire\n\ntext\n\n## Risks\n\ntext")]
    second.cells = [new_markdown_cell("## Risks\n\nother text")]
    html = report.render_combined_html([("Diagnostic", first), ("Pilot", second)], client_name="ACME",
                                       period_label="September 2026", language="en")
    assert html.count('<header class="cover">') == 1
    assert html.count('<nav class="toc"') == 1
    assert html.count('<section class="stage"') == 2
    assert "KPI and bonus system" in html
    toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
    entries = re.findall(r'<li class="toc-level-(\d)"><a href="#([^"]+)"><span class="toc-text">([^<]+)</span>', toc)
    assert [(level, text) for level, _, text in entries] == [
        ("1", "Diagnostic"), ("2", "Questionnaire"), ("2", "Risks"), ("1", "Pilot"), ("2", "Risks")]
    anchors = [anchor for _, anchor, _ in entries]
    assert len(set(anchors)) == len(anchors)
    assert ".stage { break-before: page;" in html


def test_escape():
    assert report.escape(EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;".replace("(", "&#40;").replace(")", "&#41;")
    assert report.escape("Sales_per_manager *") == "Sales&#95;per&#95;manager &#42;"


def test_table_helper_formats_and_escapes():
    df = pd.DataFrame({"KPI": [EVIL], "Bonus": [1234.5], "Attainment": [0.9]})
    html = report.table(df, "ru", formats={"Bonus": "money", "Attainment": "percent"}, currency="RUB").html
    assert "&lt;script&gt;" in html and "<script" not in html
    assert "1\u00a0234,50\u00a0₽" in html and "90,0\u00a0%" in html
    assert "<th>0</th>" not in html  # no index
    with pytest.raises(ReportError, match="currency"):
        report.table(df, "en", formats={"Bonus": "money"})


def test_bad_colour_and_logo(notebook, tmp_path):
    with pytest.raises(ReportError, match="colour"):
        render(notebook, colour="red;} body{display:none")
    with pytest.raises(ReportError, match="missing.png"):
        render(notebook, logo_path=tmp_path / "missing.png")


def test_write_text_atomic(tmp_path):
    target = tmp_path / "out" / "report.html"
    report.write_text_atomic(target, "Отчёт")
    assert target.read_text("utf-8") == "Отчёт"
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)
    report.write_text_atomic(target, "second")
    assert target.read_text("utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_write_text_atomic_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        report.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_notebook_written_and_read_back_renders(notebook, tmp_path):
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    assert "The bonus formula" in render(nbformat.read(path, as_version=4))
