"""The intake workbook a client fills in: one sheet per table of :mod:`kpi_toolkit.method.schema`.

Saved as ``client.xlsx`` in a client folder, the filled-in workbook is read by
:func:`kpi_toolkit.inputs.loading.load_client`. Headers carry the column's help as a note, enumerated
columns offer their codes in a drop-down list, and an ``instructions`` sheet explains every
sheet in English and Russian.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kpi_toolkit.fileio import atomic_path, cells_as_text
from kpi_toolkit.method.readiness import CONDITIONS, QUESTIONNAIRE_FIELDS
from kpi_toolkit.method.schema import LANGUAGES, TABLES, Column, Table

LAST_ROW = 1000  # drop-down lists and text formats reach this row
AUTHOR = "KPI Toolkit"
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")

# key, help (en), help (ru): the settings the ``client`` sheet offers, one row each; nested keys
# are joined by dots and list entries numbered from 1 (:mod:`kpi_toolkit.inputs.settings_sheet`).
SETTING_KEYS = (
    ("name", "Client's name as reports show it (required).",
     "Название клиента для отчётов (обязательно)."),
    ("language", "Report language: en or ru (required).", "Язык отчётов: en или ru (обязательно)."),
    ("currency", "ISO 4217 currency code, e.g. EUR, RUB (required).",
     "Код валюты ISO 4217, напр. RUB, EUR (обязательно)."),
    ("period", "Period reported, YYYY-MM, e.g. 2024-03 (required).",
     "Отчётный период, ГГГГ-ММ, напр. 2024-03 (обязательно)."),
    ("currency_decimals", "Decimals of money amounts (default: the currency's, e.g. 2).",
     "Знаков после запятой в суммах (по умолчанию — как у валюты, напр. 2)."),
    ("bonus_period_months", "Length of the bonus period in months (default 1; more than 3 is warned about); "
     "the period reported is its last month.",
     "Длина премиального периода в месяцах (по умолчанию 1; больше 3 — предупреждение); "
     "отчётный период — его последний месяц."),
    ("bonus_budget", "Bonus pool budget per bonus period (money).",
     "Бюджет премиального фонда на период (деньги)."),
    ("strategy_owner", "Position that owns the strategy map (its goals without an owner); default: the "
     "position whose level is ceo.",
     "Должность — владелец карты целей (цели без владельца); по умолчанию — должность с уровнем ceo."),
    ("project_start", "Start of the implementation project (Gantt chart), YYYY-MM-DD.",
     "Начало проекта внедрения (диаграмма Ганта), ГГГГ-ММ-ДД."),
)
_NUMBERS = ("currency_decimals", "bonus_period_months", "bonus_budget")
CONTACTS_OFFERED = 2  # contacts.1.* and contacts.2.*; more may be added as contacts.3.name, ...
_CONTACT_FIELDS = (("name", "name", "имя"), ("role", "role", "должность"), ("email", "e-mail", "e-mail"),
                   ("phone", "phone (as text)", "телефон (как текст)"))
CLIENT_KEYS = (
    *SETTING_KEYS,
    *((f"contacts.{n}.{key}", f"Contact {n} at the client: {en}.", f"Контактное лицо {n}: {ru}.")
      for n in range(1, CONTACTS_OFFERED + 1) for key, en, ru in _CONTACT_FIELDS),
    *((f"questionnaire.{f.code}", f"Questionnaire (stage 00): {f.label_en}.", f"Анкета (этап 00): {f.label_ru}.")
      for f in QUESTIONNAIRE_FIELDS),
    *((f"readiness.{c.code}", f"Readiness (stage 00), yes / partly / no: {c.text_en}.",
       f"Готовность (этап 00), yes / partly / no: {c.text_ru}.") for c in CONDITIONS),
)

_GENERAL = (
    ("How to fill in this workbook", "Как заполнить эту книгу"),
    ("Fill one sheet per table below; keep the header row (row 1) as it is. One record per row, "
     "starting in row 2.",
     "Заполните листы таблиц; строку заголовков (строка 1) не меняйте. Одна запись — одна строка, "
     "начиная со строки 2."),
    ("Hover over a column name to read what it holds. Columns with a drop-down take only the "
     "listed codes (lower-case).",
     "Наведите курсор на название столбца, чтобы прочитать подсказку. В столбцах с выпадающим "
     "списком допустимы только коды из списка (строчными буквами)."),
    ("Ratios are decimals: write 0.9 for 90 %. Dates are YYYY-MM-DD, periods YYYY-MM. Ids are "
     "case-sensitive. An empty optional cell means 'not set'.",
     "Доли пишите десятичными дробями: 0.9 — это 90 %. Даты — ГГГГ-ММ-ДД, периоды — ГГГГ-ММ. "
     "Коды чувствительны к регистру. Пустая необязательная ячейка означает «не задано»."),
    ("The 'client' sheet holds the settings, the contacts, the questionnaire and the readiness answers "
     "(key and value; add rows such as contacts.3.name for more contacts). Payout curves, the payroll "
     "file, branding and the funnel go in a client.yaml next to this workbook (kpi-toolkit new --workbook "
     "writes a commented one). The sheet and client.yaml are read together: a key given in both is an error.",
     "Лист 'client' содержит настройки, контакты, ответы анкеты и условия готовности (ключ и значение; "
     "для других контактов добавьте строки, напр. contacts.3.name). Шкалы выплат, файл для зарплаты, "
     "оформление и воронка задаются в файле client.yaml рядом с книгой (kpi-toolkit new --workbook создаёт "
     "его с комментариями). Лист и client.yaml читаются вместе: ключ, заданный в обоих, — ошибка."),
    ("Save the filled-in workbook as client.xlsx in the client's folder, without CSV files, and "
     "run: kpi-toolkit validate <client>.",
     "Сохраните заполненную книгу как client.xlsx в папке клиента (без CSV-файлов) и выполните: "
     "kpi-toolkit validate <клиент>."),
)


def write_intake_template(path: str | Path, language: str = "en", settings: dict | None = None) -> Path:
    """Write the intake workbook to ``path`` (atomically) and return the path.

    ``language`` (``en`` or ``ru``) puts that language first in the notes and instructions
    and pre-fills the ``language`` setting; both languages are always present. ``settings``
    pre-fills other values of the ``client`` sheet (key of :data:`CLIENT_KEYS` -> value).
    """
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not supported; expected one of {LANGUAGES}")
    path = Path(path)
    workbook = build_workbook(language, settings)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path


def build_workbook(language: str = "en", settings: dict | None = None) -> Workbook:
    """The intake workbook in memory, its ``client`` sheet pre-filled with ``settings``."""
    unknown = set(settings or {}) - {key for key, _, _ in CLIENT_KEYS}
    if unknown:
        raise ValueError(f"settings {sorted(unknown)} are not rows of the client sheet")
    workbook = Workbook()
    _instructions_sheet(workbook.active, language)
    _client_sheet(workbook.create_sheet("client"), language, {"language": language, **(settings or {})})
    for table in TABLES.values():
        _table_sheet(workbook.create_sheet(table.name), table, language)
    for sheet in workbook.worksheets:  # help texts are text, whatever they start with
        cells_as_text(sheet)
    return workbook


def _pair(en: str, ru: str, language: str) -> tuple[str, str]:
    return (en, ru) if language == "en" else (ru, en)


def _note(column: Column, language: str) -> str:
    first, second = _pair(column.help, column.help_ru, language)
    lines = [column.name, first, second]
    if column.choices:
        lines.append("Codes / коды: " + ", ".join(column.choices))
    lines.append(("required" if not column.nullable else "optional") + " / "
                 + ("обязательно" if not column.nullable else "необязательно"))
    return "\n".join(line for line in lines if line)


def _instructions_sheet(ws, language: str) -> None:
    ws.title = "instructions"
    heads = ("English", "Русский") if language == "en" else ("Русский", "English")
    for en, ru in _GENERAL:
        ws.append(list(_pair(en, ru, language)))
    for cell in ws[1]:
        cell.font = Font(bold=True, size=13)
    ws.append([])
    ws.append(["sheet / лист", *heads, "columns (* required) / столбцы (* обязательные)"])
    header_row = ws.max_row
    ws.append(["client", *_pair("Settings: key and value.", "Настройки: ключ и значение.", language),
               ", ".join(k + (" *" if i < 4 else "") for i, (k, _, _) in enumerate(SETTING_KEYS))
               + ", contacts.<n>.name / role / email / phone, questionnaire.<question>, readiness.<condition>"])
    for table in TABLES.values():
        optional = "" if table.required else " (optional / необязательный)"
        columns = ", ".join(c.name + ("" if c.nullable else " *") for c in table.columns)
        ws.append([table.name + optional, *_pair(table.help, table.help_ru, language), columns])
    for cell in ws[header_row]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    ws.append([])
    ws.append(["codes / коды", *_pair("Allowed codes of the drop-down columns.",
                                      "Допустимые коды столбцов с выпадающим списком.", language),
               "codes / коды"])
    ws[ws.max_row][0].font = _BOLD
    seen = set()
    for table in TABLES.values():
        for column in table.columns:
            if column.choices and (column.name, column.choices) not in seen:
                seen.add((column.name, column.choices))
                ws.append([f"{table.name}.{column.name}",
                           *_pair(column.help, column.help_ru, language), ", ".join(column.choices)])
    for letter, width in zip("ABCD", (28, 70, 70, 60)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = _WRAP


def _client_sheet(ws, language: str, values: dict) -> None:
    heads = ("help", "подсказка") if language == "en" else ("подсказка", "help")
    ws.append(["key", "value", *heads])
    for key, en, ru in CLIENT_KEYS:
        ws.append([key, values.get(key), *_pair(en, ru, language)])
    _style_header(ws)
    for letter, width in zip("ABCD", (32, 24, 60, 60)):
        ws.column_dimensions[letter].width = width
    # Excel turns "2024-03" into a date and drops a phone number's "+"; keep the settings as typed,
    # except the numbers, which a text cell would keep as text.
    for row, (key, _, _) in enumerate(CLIENT_KEYS, start=2):
        if key not in _NUMBERS:
            ws.cell(row=row, column=2).number_format = "@"
    choice = DataValidation(type="list", formula1='"' + ",".join(LANGUAGES) + '"', allow_blank=True)
    choice.add("B3")
    ws.add_data_validation(choice)
    answers = DataValidation(type="list", formula1='"yes,partly,no"', allow_blank=True)
    for row, (key, _, _) in enumerate(CLIENT_KEYS, start=2):
        if key.startswith("readiness."):
            answers.add(f"B{row}")
    ws.add_data_validation(answers)


def _table_sheet(ws, table: Table, language: str) -> None:
    ws.append(table.column_names)
    _style_header(ws)
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        note = Comment(_note(column, language), AUTHOR)
        note.width, note.height = 320, 160
        cell.comment = note
        ws.column_dimensions[letter].width = max(12, min(40, len(column.name) + 6))
        if column.kind in ("id", "period"):
            # as text, so Excel keeps "2024-03" and "007" as typed
            ws.column_dimensions[letter].number_format = "@"
        if column.choices:
            rule = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"',
                                  allow_blank=True, showErrorMessage=True,
                                  errorTitle="Code / код",
                                  error="Use one of / используйте: " + ", ".join(column.choices))
            rule.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(rule)


def _style_header(ws) -> None:
    for cell in ws[1]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    ws.freeze_panes = "A2"
