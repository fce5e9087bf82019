"""Every employee's own statement (kpi_toolkit/statement.py, kpi_toolkit/statements.py, `kpi-toolkit statements`)."""
from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from kpi_toolkit import calculate, stages
from kpi_toolkit.cli import main
from kpi_toolkit.errors import KpiToolkitError, ReportError
from kpi_toolkit.outputs.statement import statement_html, statement_page
from kpi_toolkit.outputs.statements import file_stem, write_statements

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "clients"
FIXTURES = Path(__file__).parent / "fixtures" / "clients"
A4_WIDTH_PT = 595.3
RIGHT_MARGIN_PT = 15 / 25.4 * 72


@pytest.fixture(scope="module")
def northwind():
    return stages.open_stage(CLIENTS / "northwind").results


@pytest.fixture(scope="module")
def sever():
    return stages.open_stage(CLIENTS / "sever-trade").results


def _total(results, employee_id: str, language: str) -> str:
    """The employee's total as a statement prints it, from the engine's integer minor units."""
    from kpi_toolkit.outputs.i18n import format_money

    totals = results.bonus.totals.set_index("employee_id")
    text = format_money(int(totals.at[employee_id, "bonus_minor"]) / 10 ** results.bonus.decimals,
                        results.client.config.currency, language)
    return " ".join(text.split())  # as text_of reads it


def text_of(markup: str) -> str:
    """The words of an HTML fragment, as a reader sees them (tags dropped, one space)."""
    markup = re.sub(r"<style.*?</style>", " ", markup, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def detail_lines(markup: str) -> list[str]:
    """Each KPI line's detail cell, split at its line breaks."""
    cells = re.findall(r'<tr class="statement-detail"><td colspan="7">(.*?)</td></tr>', markup, flags=re.S)
    return [[text_of(part) for part in cell.split("<br>")] for cell in cells]


def amount(text: str) -> Decimal:
    """A number as printed in either language: '£1,220.68', '24 882,01 ₽', '−0,5'."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("−", "-")
    text = re.sub(r"[^\d,.\-]", "", re.search(r"-?\d(?:[\d ,.]*\d)?", text).group(0))
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    return Decimal(text.replace(",", ""))


# --------------------------------------------------------------------------- what a statement says

def test_a_stopped_statement_says_who_what_and_why_line_by_line(northwind):
    markup = statement_html(northwind, "E001", "en")
    words = text_of(markup)
    for expected in ("Daniel Whitaker · Head of Sales", "Employee ID E001", "Department Sales",
                     "Bonus period September 2026", "Days employed 30 of 30",
                     "Bonus fund £2,266.67 for a full period = base salary £6,800.00 × 25% / (1 − 25%)",
                     "Outcome Stop factor applied: Staff turnover, rolling 12 months",
                     "Staff turnover, rolling 12 months: 13%; the rule: more than 10% — applies: bonus × 0.5",
                     "Stop factor applied to every line: 0.5", f"Total to pay {_total(northwind, 'E001', 'en')}"):
        assert expected in words
    revenue = detail_lines(markup)[0]
    assert revenue == ["Scheme: threshold 70%; cap 130%; coefficient = attainment",
                       # 6,800 x 25% / 75% = 2,266.67 x 4/15 (the map's weight) = 604.44; 733,283 / 678,000
                       "Calculation: fund share £604.44 × coefficient 1.08154 × stop factor 0.5 = £326.86"]


def test_a_blocked_statement_names_the_blocking_kpi_on_its_line_and_below(northwind):
    markup = statement_html(northwind, "E008", "en")
    lines = detail_lines(markup)
    cash = lines[1]
    assert cash[0] == ("Scheme: threshold 85%; stop threshold 85% (blocking KPI); no cap; coefficient = attainment")
    assert cash[-1] == "Why: attainment 81.0% is below the stop threshold 85%: no bonus for the period"
    assert lines[0][-1] == "Why: blocking KPI below its stop threshold"
    assert ("Cash collected from customers against the collection plan: attainment 81.0% is below the stop "
            "threshold 85%, so no bonus is paid for the period (stop factor 0).") in text_of(markup)
    assert "Total to pay £0.00" in text_of(markup)


def test_a_prorated_statement_shows_days_and_the_prorated_fund(northwind):
    words = text_of(statement_html(northwind, "E046", "en"))
    assert "Days employed 16 of 30: the fund is prorated (employed from 15 September 2026)" in words
    assert ("Bonus fund £2,600.00 × 16 / 30 days = £1,386.67; £2,600.00 for a full period = base salary "
            "£2,600.00 × 50% / (1 − 50%)") in words


def test_a_russian_statement_speaks_russian_with_units_and_curves_in_words(sever):
    markup = statement_html(sever, "E022", "ru")
    words = text_of(markup)
    assert "Табельный номер E022" in words and f"Итого к выплате {_total(sever, 'E022', 'ru')}" in words
    assert "«Рекламации клиентов по качеству»: 3 шт.; условие: больше 2 шт. — применён: премия × 0,5" in words
    assert "«Текучесть персонала (скользящие 12 месяцев)»: 9 %; условие: больше 15 % — не применён" in words
    assert "Итог Применён стоп-фактор: «Рекламации клиентов по качеству»" in words
    assert "7–12 дней" in words  # a band KPI's plan is its band
    curved = text_of(statement_html(sever, "E002", "ru"))
    # the curve by the display name client.yaml gives it in Russian (label.ru), never its key
    assert "Шкала продаж ключевым клиентам: 80 % → 0,5; 90 % → 0,8; 100 % → 1; 110 % → 1,2; 120 % → 1,4" in curved
    assert "sales_steps" not in curved and "Key account sales scale" not in curved


def test_an_excluded_kpi_is_explained_not_called_excluded_from_the_scheme(northwind):
    lines = detail_lines(statement_html(northwind, "E016", "en"))
    nps = lines[-1]
    assert nps[-1].startswith("Why: no fact was reported")
    mine = northwind.bonus.lines[northwind.bonus.lines["employee_id"] == "E016"]
    with_fact = mine.loc[mine["reason"] != "excluded", "weight"].sum()
    assert f"renormalised to {mine['weight'].iloc[0] / with_fact:.1%} for the KPIs with a fact" in lines[0][0]


@pytest.mark.parametrize("client", ["northwind", "sever"])
def test_every_lines_arithmetic_gives_its_amount_and_the_lines_add_up(client, request):
    results = request.getfixturevalue(client)
    totals = results.bonus.totals
    for employee_id, total_minor in zip(totals["employee_id"].astype(str), totals["bonus_minor"]):
        markup = statement_html(results, employee_id, results.client.config.language)
        lines = results.bonus.lines[results.bonus.lines["employee_id"].astype(str) == employee_id]
        shown = [part for cell in detail_lines(markup) for part in cell if re.match(r"(Calculation|Расчёт):", part)]
        assert len(shown) == int((lines["reason"].astype(str) != "excluded").sum())
        paid = Decimal(0)
        for text in shown:
            factors, result = text.split(":", 1)[1].rsplit("=", 1)
            product = Decimal(1)
            for factor in factors.split("×"):
                product *= amount(factor)
            rounded = product.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert rounded == amount(result), f"{employee_id}: {text}"
            paid += rounded
        assert paid * 100 == total_minor


def test_a_longer_bonus_period_names_its_months(northwind):
    results = calculate(northwind.client, northwind.period)
    results.bonus.totals["months"] = "2026-07, 2026-08, 2026-09"  # as the engine names a quarter
    assert "Bonus period July 2026 – September 2026 (3 months)" in text_of(statement_html(results, "E001", "en"))
    assert "Премиальный период июль 2026 – сентябрь 2026 (3 мес.)" in text_of(statement_html(results, "E001", "ru"))


def test_a_team_kpi_counts_its_members_but_names_them_only_in_the_stage_report(northwind):
    results = calculate(northwind.client, northwind.period)
    lines = results.bonus.lines
    lines["members"] = ""
    lines.loc[(lines["employee_id"] == "E001") & (lines["kpi_id"] == "team_revenue"), "members"] = "E008, E046"
    own = text_of(statement_html(results, "E001", "en"))
    assert "team result: the sum over 2 team members" in own
    assert "Ryan Doyle" not in own and "E008" not in own
    people = dict(zip(results.client.employees["employee_id"], results.client.employees["name"]))
    assert "the sum over the team (2): Ryan Doyle, Jack Morrison" in text_of(
        statement_html(results, "E001", "en", team_names=people))


def test_adjustments_are_shown_with_their_reason_and_change_the_total(northwind):
    adjustments = pd.DataFrame({"employee_id": ["E002", "E003", "E002"],
                                "period_corrected": ["2026-08", "2026-08", "2026-07"],
                                "amount": ["120.50", "99.00", "-20.00"],
                                "reason": ["Late fact for August", "other", "Correction of July"]})
    words = text_of(statement_html(northwind, "E002", "en", adjustments=adjustments))
    bonus = northwind.bonus.totals.set_index("employee_id").loc["E002", "bonus_minor"]
    assert "Adjustments for closed periods" in words
    assert "August 2026 Late fact for August +£120.50" in words and "July 2026 Correction of July −£20.00" in words
    assert "Adjustments in total +£100.50" in words and "other" not in words
    assert f"Total to pay £{(bonus + 10050) / 100:,.2f}" in words
    assert "Total to pay" in text_of(statement_html(northwind, "E001", "en", adjustments=adjustments))
    assert "Adjustments" not in text_of(statement_html(northwind, "E001", "en", adjustments=adjustments))


def test_an_adjustment_that_is_not_an_amount_of_the_currency_is_refused(northwind):
    bad = pd.DataFrame({"employee_id": ["E002"], "period_corrected": ["2026-08"], "amount": [0.005],
                        "reason": ["x"]})
    with pytest.raises(ReportError, match="not an amount to 2 decimals"):
        statement_html(northwind, "E002", "en", adjustments=bad)


def test_client_strings_are_escaped(northwind):
    client = northwind.client
    employees = client.employees.copy()
    employees.loc[employees["employee_id"] == "E001", "name"] = "<script>alert(1)</script>"
    results = calculate(client.with_tables(employees=employees), northwind.period)
    page = statement_page(results, "E001", "en")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_employee_without_a_statement_is_a_clear_error(northwind):
    with pytest.raises(ReportError, match="'E011' has no bonus statement for 2026-09"):
        statement_html(northwind, "E011", "en")


def test_the_bonus_stage_shows_the_same_statement(northwind):
    markup = stages.bonus_statements(northwind, "en").html
    people = dict(zip(northwind.client.employees["employee_id"].astype(str),
                      northwind.client.employees["name"].astype(str)))
    for employee_id in ("E001", "E008", "E046"):  # the stage names a team KPI's members (E001's)
        assert statement_html(northwind, employee_id, "en", team_names=people) in markup
    assert markup.count('<section class="statement"') == len(northwind.bonus.totals)
    assert "I have read this bonus statement" not in markup  # signatures are for the printed page


@pytest.mark.parametrize("employee_id, stem", [("E001", "E001"), ("../x", None), ("a/b", None), (".hidden", None)])
def test_file_names_are_safe_and_distinct(employee_id, stem):
    name = file_stem(employee_id)
    assert "/" not in name and not name.startswith(".")
    if stem:
        assert name == stem
    assert file_stem("a/b") != file_stem("a_b")


# --------------------------------------------------------------------------- the command

def test_statements_command_writes_one_html_per_employee_and_names_who_has_none(tmp_path, capsys):
    status = main(["statements", str(CLIENTS / "northwind"), "--out", str(tmp_path), "--format", "html"])
    out = capsys.readouterr().out
    folder = tmp_path / "northwind" / "2026-09" / "statements"
    assert status == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{e}.html" for e in stages.open_stage(CLIENTS / "northwind").results.bonus.totals["employee_id"])
    paid = len(stages.open_stage(CLIENTS / "northwind").results.bonus.totals)
    assert f"{paid} statement(s), HTML" in out and "get no statement: E011" in out
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_employee_filter_replaces_only_the_statements_asked_for(tmp_path, capsys):
    folder = tmp_path / "northwind" / "2026-09" / "statements"
    folder.mkdir(parents=True)
    (folder / "E003.html").write_text("an earlier statement")
    status = main(["statements", str(CLIENTS / "northwind"), "--out", str(tmp_path), "--format", "html",
                   "--employee", "E001", "E008"])
    assert status == 0
    assert sorted(p.name for p in folder.iterdir()) == ["E001.html", "E003.html", "E008.html"]
    assert "Ryan Doyle" in (folder / "E008.html").read_text()
    assert "2 statement(s)" in capsys.readouterr().out


@pytest.mark.parametrize("employee, message", [
    ("E999", "--employee E999: no employee with this id in employees.csv"),
    ("e001", "--employee e001: no employee with this id"),
    ("E011", "--employee E011: no bonus statement for 2026-09"),
])
def test_an_unknown_employee_is_a_clear_error_and_nothing_is_written(tmp_path, capsys, employee, message):
    status = main(["statements", str(CLIENTS / "northwind"), "--out", str(tmp_path), "--format", "html",
                   "--employee", "E001", employee])
    err = capsys.readouterr().err
    assert status == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "northwind" / "2026-09" / "statements").exists()


def test_a_client_with_problems_exits_1_and_writes_nothing(tmp_path, capsys):
    status = main(["statements", str(FIXTURES / "plan_zero"), "--out", str(tmp_path), "--format", "html"])
    err = capsys.readouterr().err
    assert status == 1 and "plan_zero: nothing written." in err and "actuals" in err
    assert not any(tmp_path.rglob("*.html"))


def test_a_period_without_actuals_exits_1(tmp_path, capsys):
    status = main(["statements", str(CLIENTS / "northwind"), "--out", str(tmp_path), "--period", "2020-01",
                   "--format", "html"])
    assert status == 1 and "no actuals for period 2020-01" in capsys.readouterr().err


def test_a_machine_fault_names_the_path_not_an_internal_error(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    status = main(["statements", str(CLIENTS / "northwind"), "--out", str(blocker / "reports"), "--format", "html"])
    err = capsys.readouterr().err
    assert status == 1 and "cannot write" in err and "not-a-folder" in err and "nothing written" in err
    assert "internal error" not in err


def test_employee_filter_with_several_clients_is_a_usage_error(tmp_path, capsys):
    status = main(["statements", str(CLIENTS / "northwind"), str(CLIENTS / "sever-trade"), "--out", str(tmp_path),
                   "--employee", "E001"])
    assert status == 2 and "name one CLIENT_DIR" in capsys.readouterr().err


def test_a_failed_write_leaves_the_previous_statements_whole(tmp_path, northwind, monkeypatch):
    folder = tmp_path / "out"
    write_statements(northwind, folder, formats={"html"})
    before = sorted(p.name for p in (folder / "statements").iterdir())
    import kpi_toolkit.outputs.statement as statement

    calls = {"n": 0}
    real = statement.statement_page

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise ReportError("disk trouble")
        return real(*args, **kwargs)

    monkeypatch.setattr(statement, "statement_page", failing)
    with pytest.raises(ReportError):
        write_statements(northwind, folder, formats={"html"})
    assert sorted(p.name for p in (folder / "statements").iterdir()) == before
    assert [p.name for p in folder.iterdir()] == ["statements"]


# --------------------------------------------------------------------------- printed statements

needs_pdf = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def printed_northwind(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    assert main(["statements", str(CLIENTS / "northwind"), "--out", str(out)]) == 0
    return out / "northwind" / "2026-09" / "statements"


@needs_pdf
@pytest.mark.browser
def test_every_printed_statement_names_its_employee_and_no_other(printed_northwind, northwind):
    employees = northwind.client.employees
    people = dict(zip(employees["employee_id"].astype(str), employees["name"].astype(str)))
    pdfs = sorted(printed_northwind.glob("*.pdf"))
    assert len(pdfs) == len(northwind.bonus.totals) == len(people) - 1  # E011 left before September
    for pdf in pdfs:
        me = pdf.stem
        text = " ".join(pdf_pages(pdf))
        assert people[me] in text and re.search(rf"\b{me}\b", text)
        for other, name in people.items():
            if other != me:
                assert not re.search(rf"\b{re.escape(other)}\b", text), f"{me}'s statement shows {other}"
                assert name not in text, f"{me}'s statement shows {name}"


@needs_pdf
@pytest.mark.browser
def test_a_printed_statement_keeps_its_total_with_its_lines(printed_northwind):
    for pdf in sorted(printed_northwind.glob("*.pdf")):
        pages = pdf_pages(pdf)
        total_page = next(p for p in pages if "Total to pay" in p)
        assert "Calculation: fund share" in total_page, pdf.name


LONG_WORD = "Сверхдлинноенеразрывноесловокотороенепомещаетсянивстрокутаблицынивширинустраницыникаким" * 2


def word_boxes(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, every word's box (xMin, yMin, xMax, yMax) and text, from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in out.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), html_lib.unescape(w)) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page)])
    return pages


def overlapping(words) -> list[tuple[str, str]]:
    """Pairs of words drawn over each other (text running out of its table cell into the next)."""
    found = []
    for i, (x0, y0, x1, y1, w) in enumerate(words):
        for a0, b0, a1, b1, v in words[i + 1:]:
            if min(x1, a1) - max(x0, a0) > 1 and min(y1, b1) - max(y0, b0) > 1:
                found.append((w, v))
    return found


def long_russian_client(results):
    """Sever-Trade with KPI, employee, position and department names far longer than real ones, and an
    unbroken 60-letter word: the statement runs over two pages."""
    client = results.client
    kpis = client.kpis.copy()
    filler = ("с учётом сезонных колебаний спроса, договорных обязательств перед ключевыми клиентами "
              "и внутренних нормативов обработки заказов на складе готовой продукции")
    kpis["name"] = [f"Показатель{i} {name} {filler} {LONG_WORD}" for i, name in enumerate(kpis["name"], start=1)]
    employees = client.employees.copy()
    employees["name"] = employees["name"] + " Константинопольский-Верхнеднепровский"
    positions = client.positions.copy()
    positions["name"] = positions["name"] + " по взаимодействию с федеральными торговыми сетями"
    return calculate(client.with_tables(kpis=kpis, employees=employees, positions=positions), results.period)


@needs_pdf
@pytest.mark.browser
def test_long_russian_names_wrap_inside_the_page_and_no_kpi_line_is_split(tmp_path, sever):
    results = long_russian_client(sever)
    outcome = write_statements(results, tmp_path)
    assert not outcome.pdf_problem and len(outcome.employees) == len(results.bonus.totals)
    limit = A4_WIDTH_PT - RIGHT_MARGIN_PT + 2
    number = {k: i for i, k in enumerate(results.client.kpis["kpi_id"], start=1)}
    checked = 0
    for employee_id in outcome.employees:
        pdf = outcome.folder / f"{employee_id}.pdf"
        pages = pdf_pages(pdf)
        assert len(pages) >= 2, "the long names should make the statement run over a page"
        whole = " ".join(pages)
        lines = results.bonus.lines[results.bonus.lines["employee_id"] == employee_id]
        tokens = [f"Показатель{number[k]} " for k in lines["kpi_id"]]
        if all(whole.count(token) == 1 for token in tokens):  # named only on its line, not in a reason
            checked += 1
            for page in pages:  # a KPI line's name and its arithmetic are on the same page
                assert sum(token in page for token in tokens) == page.count("Расчёт: доля фонда"), employee_id
        total_page = next(p for p in pages if "Итого к выплате" in p)
        assert "Условия:" in total_page  # the last KPI line's scheme: the total is not alone
        for words in word_boxes(pdf):
            assert max(w[2] for w in words) <= limit, f"text runs past the right margin in {employee_id}"
            assert not overlapping(words), f"text runs over other text in {employee_id}"
        raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert LONG_WORD in "".join(raw.split())
    assert checked >= 10


@pytest.mark.slow
def test_run_with_statements_publishes_them_beside_the_reports(tmp_path, capsys):
    status = main(["run", str(CLIENTS / "northwind"), "--stages", "04", "--statements", "--format", "html",
                   "--out", str(tmp_path)])
    out = capsys.readouterr().out
    target = tmp_path / "northwind" / "2026-09"
    assert status == 0, out
    paid = len(stages.open_stage(CLIENTS / "northwind").results.bonus.totals)
    assert len(list((target / "statements").glob("E*.html"))) == paid and f"statements/ ({paid})" in out
    stage = (target / "04_bonus_scheme.html").read_text()
    assert stage.count('<section class="statement"') == paid
    assert "Total to pay" in (target / "statements" / "E046.html").read_text()


# --------------------------------------------------------------------------- sections (SPEC 3.5.1)

def _sectioned_results(rule: str, language: str = "en"):
    """Fund 100 000; business: sales w 0.5 (c 1.2), margin w 0.2 (c 0.9); individual: training w 0.3
    (c 0.8). The sections multiplied: 100 000 x 39/35 x 0.8 = 89 142.85 over the three lines."""
    from builders import sectioned_client

    client = sectioned_client(rule)
    client = client.with_config(language=language) if language != "en" else client
    return calculate(client, client.config.period)


def test_a_statement_shows_each_sections_payout_factor_and_the_total():
    """business (0.6 + 0.18) / 0.7 = 111.43 %, individual 80.00 %; multiplied: 89.14 % in total."""
    results = _sectioned_results("multiply")
    text = text_of(statement_html(results, "E1", "en"))
    assert "The sections multiply: fund × the product of the sections' weighted payout factors." in text
    assert "business: weighted payout factor 111.43%" in text
    assert "individual: weighted payout factor 80.00%" in text
    assert "Weighted payout factor in total: 89.14%" in text


@pytest.mark.parametrize("rule", ["add", "multiply"])
def test_a_sectioned_statements_arithmetic_gives_each_lines_amount(rule):
    """Multiplied, each line is x (156/175) / 1.02 = 0.8739495798…, shown with as many decimals as
    it takes for the product shown to round to the line: 50 000 x 1.2 x 0.8739495… = 52 436.97."""
    results = _sectioned_results(rule)
    markup = statement_html(results, "E1", "en")
    shown = [part for cell in detail_lines(markup) for part in cell if part.startswith("Calculation:")]
    paid = Decimal(0)
    for text in shown:
        factors, result = text.split(":", 1)[1].rsplit("=", 1)
        product = Decimal(1)
        for factor in factors.split("×"):
            product *= amount(factor)
        assert product.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == amount(result), text
        paid += amount(result)
    assert paid * 100 == int(results.bonus.totals["bonus_minor"].iloc[0])
    assert ("sections and caps 0.8739495" in markup) is (rule == "multiply")


# --------------------------------------------------------------------------- year to date (SPEC 3.5.1)

def test_a_year_to_date_statement_says_what_was_paid_before_from_where_and_what_is_carried():
    """March: year to date 200 of 300 < threshold: 0; January and February paid 1 100 + 700 =
    1 800 (recomputed: no ledger); 1 800 carried; nothing to pay (tests/builders.ytd_client)."""
    from builders import ytd_client

    client = ytd_client()
    text = text_of(statement_html(calculate(client, "2026-03"), "E1", "en"))
    assert "Bonus for the year to date RUB0.00" in text  # the lines' total
    assert ("Paid for the earlier periods of the year: RUB1,800.00 (recomputed from the inputs for "
            "2026-01, 2026-02 (not closed))") in text
    assert ("The year to date is RUB1,800.00 below what was paid: nothing is paid now and the difference "
            "is carried to the later periods of the year.") in text
    assert "To pay for March 2026: RUB0.00" in text
    april = text_of(statement_html(calculate(client, "2026-04"), "E1", "ru"))
    assert "К выплате за апрель 2026" in april and "2 200,00" in april


def test_northwind_statement_explains_its_gate_in_words():
    """The demo's gate (sales-manager revenue pays at most 100 % while cash collection is under 95 %):
    the employee it holds back is told why, in words; one who reached it is told the rule."""
    import html as _html
    import re as _re
    import kpi_toolkit as kt
    from kpi_toolkit.outputs.statement import statement_html
    results = kt.calculate(kt.load_client(Path(__file__).resolve().parent.parent / "clients" / "northwind"))
    totals = results.bonus.totals.set_index("employee_id")
    shut = [e for e, g in totals["gates"].items() if isinstance(g, str) and "revenue x1" in g]
    assert shut  # the engine, not this test, decides who is held back
    words = _re.sub(r"\s+", " ", _html.unescape(_re.sub(r"<[^>]+>", " ", str(statement_html(results, shut[0], "en")))))
    assert "gate: Cash collected from customers against the collection plan is under 95%" in words
    assert "cash_collection <" not in words  # no internal codes
