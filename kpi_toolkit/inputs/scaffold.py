"""Create a new, empty client folder (``kpi-toolkit new``).

The folder gets every table of :mod:`kpi_toolkit.method.schema` as a CSV file holding only the
header row, and a ``client.yaml`` whose comments explain every key, with examples. A
workbook-based client (``new --workbook``) gets instead the intake workbook ``client.xlsx``
(:mod:`kpi_toolkit.inputs.intake_template`), whose ``client`` sheet holds the settings, the
contacts, the questionnaire and the readiness answers, and a ``client.yaml`` holding only the
commented examples of what that sheet does not (:data:`YAML_ONLY`). A slug that is not
lower-case letters, digits and hyphens, or a folder that already exists, is refused with a
:class:`~kpi_toolkit.errors.ClientDataError` holding one problem.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from kpi_toolkit.errors import ClientDataError, Problem
from kpi_toolkit.inputs.intake_template import write_intake_template
from kpi_toolkit.inputs.loading import SETTINGS, WORKBOOK
from kpi_toolkit.method.schema import LANGUAGES, TABLES

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CURRENCY = {"en": "EUR", "ru": "RUB"}  # what a new client starts with
# The sections that stay in client.yaml in a workbook-based client; the rest is on the client sheet.
YAML_ONLY = ("payroll", "payout_curves", "branding", "funnel", "project_thresholds")
_KEY = re.compile(r"^(?:# )?([a-z_]+):", re.M)

_WORKBOOK_HEADER = {
    "en": """\
# Settings of client '{slug}' (KPI Toolkit) that the intake workbook does not hold. Lines starting
# with '#' are comments. The tables, and on the 'client' sheet the name, language, currency,
# period, bonus budget, contacts, questionnaire and readiness answers, go in client.xlsx. This
# file and that sheet are read together; a key given in both is an error. Remove the '# ' in
# front of a key to use it.""",
    "ru": """\
# Настройки клиента '{slug}' (KPI Toolkit), которых нет в книге. Строки, начинающиеся с '#', —
# комментарии. Таблицы, а на листе 'client' — название, язык, валюта, период, бюджет премий,
# контакты, ответы анкеты и условия готовности, — в книге client.xlsx. Этот файл и лист читаются
# вместе; ключ, заданный в обоих, — ошибка. Чтобы задать ключ, уберите '# ' перед ним.""",
}

_YAML = {
    "en": """\
# Settings of client '{slug}' (KPI Toolkit). Lines starting with '#' are comments.
# Required: name, language, currency, period. Remove the '# ' in front of an optional key
# to use it. Tables go in the CSV files next to this file (header row already written).

# The client's name as the reports show it.
name: "{name}"

# Language of the reports: en or ru.
language: en

# Currency of all money amounts, an ISO 4217 code: EUR, USD, RUB, ...
currency: EUR

# The period reported, "YYYY-MM" (in quotes). actuals.csv must have rows for it.
period: "{period}"

# Decimals of money amounts; default: the currency's (EUR 2, JPY 0).
# currency_decimals: 2

# Length of the bonus period in months (default 1). More than 3 is warned about.
# With 3, 'period' names the quarter's LAST month; plans and facts of its months are combined
# by each KPI's period_aggregation in kpis.csv (sum, mean or last).
# bonus_period_months: 1

# Bonus pool budget per bonus period, in the currency.
# bonus_budget: 25000

# The payroll file (payroll.csv and the 'payroll' sheet of results.xlsx): one row per employee
# with what payroll pays, amount = bonus + adjustment (corrections of closed periods booked on
# this one). Choose the columns and their order from: employee_id, name, position_id, position,
# department, period, period_start, period_end, accrual_code, bonus, adjustment, amount, currency;
# 'names' gives any column the header your payroll system expects; accrual_code is the code of
# the bonus accrual there (in quotes, so that leading zeros stay); skip_zero: true leaves out
# employees with nothing to pay. Without this section: employee_id, name, department, position,
# period, bonus, adjustment, amount, currency, headed in the client's language.
# For a Russian payroll system's import of accruals (1C style: personnel number, accrual type,
# period as its first day, amount):
# payroll:
#   columns: [employee_id, name, accrual_code, period_start, amount]
#   names: {{employee_id: Табельный номер, name: Сотрудник, accrual_code: Вид начисления,
#           period_start: Период, amount: Сумма}}
#   accrual_code: "2000"
#   skip_zero: true

# Payout curves, used by name in position_kpis.csv column 'curve'.
# The type is step (the coefficient of the highest point reached) or linear (interpolated);
# the points are [attainment, coefficient], attainments increasing, coefficients >= 0.
# With 'basis: value' the points are facts in the KPI's own units instead (620 -> 0.5: a fact of
# exactly 620 pays 50 %); with 'open: true' a linear curve's last slope goes on past the last point
# (an uncapped accelerator, up to the KPI's cap in position_kpis); 'label' is the name reports show.
# payout_curves:
#   sales_curve:
#     type: linear
#     label: {{en: Sales scale, ru: Шкала продаж}}
#     points:
#       - [0.8, 0.5]
#       - [1.0, 1.0]
#       - [1.2, 1.5]
#   calls_curve:
#     type: linear
#     basis: value
#     open: true
#     points:
#       - [620, 0.5]
#       - [1997, 1.0]

# Look of the reports: a logo file in this folder (png, jpg or svg; at most 2000 px and 2 MB) and a colour.
# branding:
#   logo: logo.png
#   colour: "#1F4E79"

# People to contact at the client.
# contacts:
#   - name: Jane Smith
#     role: HR director
#     email: jane.smith@example.com
#     phone: "+44 20 7946 0000"

# Answers to the intake questionnaire (stage 00), e.g.:
# questionnaire:
#   activity: Wholesale of building materials
#   headcount: 120

# Readiness conditions (stage 00): condition -> yes / partly / no, e.g.:
# readiness:
#   management_involved: "yes"
#   kpis_computable: partly

# Sales funnel (stage 02): revenue plan, average deal, managers, conversion rates, segments.
# funnel:
#   revenue_plan: 1200000
#   average_deal: 12000
#   sales_managers: 4
#   rounding: each_stage   # round each stage's count up (default), or end: carry exact values, round once
#   stages:          # from the deal back to first contact; conversion = share reaching the next stage
#     - {{stage: contracts, conversion: 0.8}}
#     - {{stage: meetings, conversion: "1 in 2"}}   # or 1/2, or 0.5

# KPI weights are set per position (positions.method): map = from the goals the position owns
# (goals.owner; the default for a goal owner), head_on = given in position_kpis.weight (the default
# otherwise). Goals without an owner belong to the owner of the strategy map: by default the
# position whose level is ceo. Another position can own the map:
# strategy_owner: ceo

# Plan forms set in the tables, not here (SPEC 3.5.1):
# Sections: position_kpis.section groups a position's KPIs (e.g. business, team, individual);
#   positions.section_rule is add (the default: fund x the sum of weight x coefficient) or multiply
#   (fund x the product of each section's weighted payout factor; every KPI then needs a section).
#   A gate (gates.csv) may cap a section by naming it in applies_to.
# Year to date: positions.payout_basis ytd pays, each period, the bonus on the year's cumulative
#   plan and fact minus what the year's earlier periods paid (the ledger's amounts for closed
#   periods, recomputed for the others); a shortfall is carried to later periods, or taken back
#   when positions.clawback is yes.

# Start of the implementation project (Gantt chart), YYYY-MM-DD.
# project_start: 2024-01-15

# Project scorecard colours: an index >= green is green, >= amber is amber, else red.
# project_thresholds:
#   green: 0.95
#   amber: 0.85

# Large clients: with more employees than employee_detail_limit (default 50), the reports keep
# summaries by department and position, distributions and the exceptions (blocked, stopped,
# below threshold, top and bottom), and each employee's matrix, statement and line go to files
# of their own beside the report (detail/), linked from it. 0 always moves them out.
# reports:
#   employee_detail_limit: 50
# Forecast of the project's cost at completion: cpi (EAC = BAC / CPI, the default), atypical
# (EAC = AC + BAC - EV: the overrun so far was a one-off) or cpi_spi (EAC = AC + (BAC - EV) / (CPI * SPI)).
# eac_method: cpi
""",
    "ru": """\
# Настройки клиента '{slug}' (KPI Toolkit). Строки, начинающиеся с '#', — комментарии.
# Обязательны: name, language, currency, period. Чтобы задать необязательный ключ, уберите
# '# ' перед ним. Таблицы — в CSV-файлах рядом с этим файлом (строка заголовков уже записана).

# Название клиента, как его показывают отчёты.
name: "{name}"

# Язык отчётов: ru или en.
language: ru

# Валюта всех денежных сумм, код ISO 4217: RUB, EUR, USD, ...
currency: RUB

# Отчётный период, "ГГГГ-ММ" (в кавычках). В actuals.csv должны быть строки за него.
period: "{period}"

# Знаков после запятой в суммах; по умолчанию — как у валюты (RUB 2, JPY 0).
# currency_decimals: 2

# Длина премиального периода в месяцах (по умолчанию 1). Больше 3 — предупреждение.
# При 3 'period' — ПОСЛЕДНИЙ месяц квартала; план и факт его месяцев складываются
# по столбцу period_aggregation в kpis.csv (sum — сумма, mean — среднее, last — последний месяц).
# bonus_period_months: 1

# Бюджет премиального фонда на премиальный период, в валюте клиента.
# bonus_budget: 250000

# Файл для расчёта зарплаты (payroll.csv и лист 'payroll' в results.xlsx): строка на сотрудника
# с суммой к начислению amount = премия (bonus) + корректировка (adjustment — доначисления и
# удержания по закрытым периодам, отнесённые на этот период). Столбцы и их порядок выбираются из:
# employee_id, name, position_id, position, department, period, period_start, period_end,
# accrual_code, bonus, adjustment, amount, currency; в 'names' — заголовки, которых ждёт
# зарплатная программа; accrual_code — код вида начисления премии в ней (в кавычках, чтобы
# сохранить ведущие нули); skip_zero: true — не выгружать сотрудников без премии. Без этого
# раздела: employee_id, name, department, position, period, bonus, adjustment, amount, currency
# с заголовками на языке клиента.
# Загрузка начислений в 1С (табельный номер, вид начисления, период — первое число месяца, сумма):
# payroll:
#   columns: [employee_id, name, accrual_code, period_start, amount]
#   names: {{employee_id: Табельный номер, name: Сотрудник, accrual_code: Вид начисления,
#           period_start: Период, amount: Сумма}}
#   accrual_code: "2000"
#   skip_zero: true

# Шкалы выплат; на них ссылается столбец 'curve' в position_kpis.csv.
# Тип: step (коэффициент наибольшей достигнутой точки) или linear (интерполяция);
# точки: [выполнение, коэффициент], выполнение по возрастанию, коэффициенты >= 0.
# С 'basis: value' точки заданы фактом в единицах показателя (620 -> 0.5: факт ровно 620 даёт 50 %);
# с 'open: true' за последней точкой наклон последнего отрезка продолжается (до cap показателя
# в position_kpis); 'label' — название шкалы в отчётах.
# payout_curves:
#   sales_curve:
#     type: linear
#     label: {{en: Sales scale, ru: Шкала продаж}}
#     points:
#       - [0.8, 0.5]
#       - [1.0, 1.0]
#       - [1.2, 1.5]
#   calls_curve:
#     type: linear
#     basis: value
#     open: true
#     points:
#       - [620, 0.5]
#       - [1997, 1.0]

# Оформление отчётов: файл логотипа в этой папке (png, jpg или svg; не больше 2000 пикс. и 2 МБ) и цвет.
# branding:
#   logo: logo.png
#   colour: "#1F4E79"

# Контактные лица клиента.
# contacts:
#   - name: Иванова Мария
#     role: директор по персоналу
#     email: m.ivanova@example.ru
#     phone: "+7 495 000-00-00"

# Ответы анкеты (этап 00), например:
# questionnaire:
#   activity: Оптовая торговля стройматериалами
#   headcount: 120

# Условия готовности (этап 00): условие -> yes / partly / no, например:
# readiness:
#   management_involved: "yes"
#   kpis_computable: partly

# Воронка продаж (этап 02): план выручки, средняя сделка, менеджеры, конверсии, сегменты.
# funnel:
#   revenue_plan: 12000000
#   average_deal: 120000
#   sales_managers: 4
#   rounding: each_stage   # округлять вверх на каждом этапе (по умолчанию) или end — один раз, по точным значениям
#   stages:          # от сделки назад к первому контакту; конверсия = доля, доходящая до следующего этапа
#     - {{stage: contracts, conversion: 0.8}}
#     - {{stage: meetings, conversion: "1 из 2"}}   # или 1/2, или 0.5

# Веса KPI задаются для каждой должности (positions.method): map — из целей, за которые отвечает
# должность (goals.owner; по умолчанию для владельца целей), head_on — экспертно в position_kpis.weight
# (по умолчанию для остальных). Цели без владельца принадлежат владельцу карты целей — по умолчанию
# должности с уровнем ceo. Владельцем карты можно назначить другую должность:
# strategy_owner: ceo

# Формы схемы, задаваемые в таблицах, а не здесь (SPEC 3.5.1):
# Разделы: position_kpis.section группирует показатели должности (напр. business, team, individual);
#   positions.section_rule — add (по умолчанию: фонд x сумма вес x коэффициент) или multiply
#   (фонд x произведение взвешенных коэффициентов разделов; тогда раздел нужен каждому показателю).
#   Условие выплаты (gates.csv) может ограничить раздел, если назвать его в applies_to.
# С начала года: positions.payout_basis ytd выплачивает в каждом периоде премию по плану и факту
#   нарастающим итогом с начала года минус выплаченное за прошлые периоды года (по журналу для
#   закрытых периодов, пересчётом для остальных); недоплата переносится на следующие периоды, а при
#   positions.clawback = yes удерживается.

# Начало проекта внедрения (диаграмма Ганта), ГГГГ-ММ-ДД.
# project_start: 2024-01-15

# Цвета карты проекта: индекс >= green — зелёный, >= amber — жёлтый, иначе красный.
# project_thresholds:
#   green: 0.95
#   amber: 0.85

# Крупные клиенты: если сотрудников больше, чем employee_detail_limit (по умолчанию 50), в отчётах
# остаются сводки по подразделениям и должностям, распределения и исключения (блокировки,
# стоп-факторы, ниже порога, лучшие и худшие результаты), а матрицы, расчётные листы и строки по
# каждому сотруднику выносятся в отдельные файлы рядом с отчётом (папка detail/) со ссылками
# из отчёта. 0 — выносить всегда.
# reports:
#   employee_detail_limit: 50
# Прогноз стоимости проекта по завершении: cpi (EAC = BAC / CPI, по умолчанию), atypical
# (EAC = AC + BAC − EV: отклонение считается разовым) или cpi_spi (EAC = AC + (BAC − EV) / (CPI × SPI)).
# eac_method: cpi
""",
}


def new_client(slug: str, root: str | Path = "clients", language: str = "en", workbook: bool = False) -> Path:
    """Create ``root/slug/`` with header-only CSV tables and a commented ``client.yaml``; with
    ``workbook``, with the intake workbook ``client.xlsx`` instead of the CSV files.

    Raises
    ------
    ClientDataError
        When the slug is not lower-case letters, digits and hyphens, or the folder exists.
    ValueError
        When ``language`` is not one of :data:`kpi_toolkit.method.schema.LANGUAGES` (a programming
        error, not bad client data).
    """
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not supported; expected one of {LANGUAGES}")
    folder = Path(root) / str(slug)
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise ClientDataError([Problem(
            table=str(folder), column="slug",
            message=f"slug {slug!r} is not valid; expected lower-case letters, digits and hyphens "
                    "(e.g. 'acme-trading')",
            fix="choose a slug such as 'acme-trading' or 'client-2024'")], client=str(slug))
    if folder.exists():
        raise ClientDataError([Problem(
            table=str(folder), column="slug",
            message=f"folder '{folder}' already exists; expected a new client",
            fix="choose another slug, or edit the existing client's files")], client=slug)
    period = dt.date.today().strftime("%Y-%m")
    name = slug.replace("-", " ").title()
    text = _YAML[language].format(slug=slug, name=name, period=period)
    folder.mkdir(parents=True)
    if workbook:
        write_intake_template(folder / WORKBOOK, language,
                              {"name": name, "currency": CURRENCY[language], "period": period})
        text = workbook_yaml(text, language, slug)
    else:
        for table in TABLES.values():
            _write_header(folder / f"{table.name}.csv", table.column_names)
    (folder / SETTINGS).write_text(text, encoding="utf-8")
    return folder


def workbook_yaml(text: str, language: str, slug: str) -> str:
    """The commented ``client.yaml`` of a workbook-based client: the examples of :data:`YAML_ONLY`
    out of ``text``, the CSV client's, under a header saying where the rest goes."""
    blocks = [_WORKBOOK_HEADER[language].format(slug=slug)]
    for block in text.split("\n\n")[1:]:
        key = _KEY.search(block)
        if key is not None and key.group(1) in YAML_ONLY:
            blocks.append(block.replace("position_kpis.csv", "position_kpis").strip("\n"))
    return "\n\n".join(blocks) + "\n"


def _write_header(path: Path, columns: list[str]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(columns)
    # With a BOM, Excel on Windows opens the file as UTF-8, so Cyrillic typed later survives.
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
