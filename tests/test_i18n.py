"""Message catalogues and locale-aware formatting (kpi_toolkit/i18n.py)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from kpi_toolkit.outputs import i18n

from kpi_toolkit.method import schema
from kpi_toolkit.outputs.i18n import (
    LOCALES,
    STAGES,
    catalogue,
    format_date,
    format_money,
    format_number,
    format_percent,
    format_period,
    label,
    stage_code,
    stage_title,
    t,
)

NBSP, NNBSP = "\u00a0", "\u202f"
ENUMS = {
    "perspective": schema.PERSPECTIVES,
    "direction": schema.DIRECTIONS,
    "missing": schema.MISSING_POLICIES,
    "kind": schema.KINDS,
    "measure": schema.MEASURES,
    "horizon": schema.HORIZONS,
    "timing": schema.TIMINGS,
    "sales_family": schema.SALES_FAMILIES,
    "form": schema.FORMS,
    "level": schema.LEVELS,
    "method": schema.METHODS,
    "condition": schema.CONDITIONS,
    "rag": ("green", "amber", "red"),
    "reason": ("below_threshold", "stop_threshold", "stop_factor", "not_employed", "excluded",
               "no_fund"),
    "stage": STAGES,
}


def test_languages_have_the_same_keys():
    en, ru = set(catalogue("en")), set(catalogue("ru"))
    assert en - ru == set(), "keys missing in ru.yaml"
    assert ru - en == set(), "keys missing in en.yaml"


@pytest.mark.parametrize("language", LOCALES)
def test_placeholders_match_between_languages(language):
    other = "ru" if language == "en" else "en"
    for key, message in catalogue(language).items():
        assert set(re.findall(r"{(\w+)}", message)) == set(re.findall(r"{(\w+)}", catalogue(other)[key])), key


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("group", ENUMS)
def test_every_code_has_a_label(group, language):
    for code in ENUMS[group]:
        assert label(group, code, language).strip()


def test_report_texts():
    assert t("report.prepared_for", "en") == "Prepared for"
    assert t("report.contents", "ru") == "Содержание"
    assert t("report.page_x_of_y", "en", page=2, pages=9) == "Page 2 of 9"
    assert t("report.page_x_of_y", "ru", page=2, pages=9) == "Страница 2 из 9"
    for column in ("employee", "position", "kpi", "weight", "plan", "fact", "attainment", "index",
                   "coefficient", "fund_share", "bonus", "reason"):
        assert t(f"table.{column}", "en") and t(f"table.{column}", "ru")


def test_missing_key_raises_key_error():
    with pytest.raises(KeyError, match="no_such"):
        t("report.no_such", "en")
    with pytest.raises(KeyError):
        label("perspective", "marketing", "ru")
    with pytest.raises(KeyError):
        t("report.contents", "de")


@pytest.mark.parametrize("stage, en, ru", [
    ("00", "Diagnostic", "Диагностика"),
    ("01_strategy_map", "Strategy map", "Карта целей"),
    (2, "KPI selection", "Выбор KPI"),
    ("kpi_matrices", "KPI matrices", "Матрицы KPI"),
    ("04", "Bonus scheme", "Схема премирования"),
    ("05_pilot", "Pilot", "Пилотный запуск"),
    ("06", "Rollout", "Внедрение"),
])
def test_stage_titles(stage, en, ru):
    assert stage_title(stage, "en") == en
    assert stage_title(stage, "ru") == ru


def test_unknown_stage():
    with pytest.raises(KeyError):
        stage_code("07")


@pytest.mark.parametrize("amount, currency, language, decimals, expected", [
    (1234.5, "GBP", "en", None, "£1,234.50"),
    (1234.5, "RUB", "ru", None, f"1{NBSP}234,50{NBSP}₽"),
    (1234.5, "RUB", "ru", 0, f"1{NBSP}235{NBSP}₽"),
    (-1234.5, "GBP", "en", None, "-£1,234.50"),
    (2.675, "GBP", "en", None, "£2.68"),  # half-up, whatever binary floating point says
    (0.125, "EUR", "en", 2, "€0.13"),
    (1_000_000, "JPY", "en", None, "JP¥1,000,000"),  # yen has no minor unit
])
def test_format_money(amount, currency, language, decimals, expected):
    assert format_money(amount, currency, language, decimals) == expected


@pytest.mark.parametrize("currency, language, number, million, sign", [
    ("GBP", "en", "1.2", ("m", "M"), "£"),
    ("RUB", "ru", "1,2", ("млн",), "₽"),
])
def test_format_money_compact(currency, language, number, million, sign):
    # What a reader of a chart axis sees: the amount cut to one decimal, the millions
    # abbreviated (Babel releases differ on "m" or "M"), the currency shown.
    text = format_money(1_234_567, currency, language, compact=True)
    assert number in text
    assert any(word in text for word in million)
    assert sign in text
    assert "234" not in text and len(text) <= 12


@pytest.mark.parametrize("x, language, decimals, expected", [
    (1234.567, "en", 2, "1,234.57"),
    (1234.567, "ru", 2, f"1{NBSP}234,57"),
    (0.5, "ru", 2, "0,50"),
    (1.1375, "en", 4, "1.1375"),
    (42, "en", 0, "42"),
])
def test_format_number(x, language, decimals, expected):
    assert format_number(x, language, decimals) == expected


@pytest.mark.parametrize("ratio, language, decimals, expected", [
    (0.9, "en", 1, "90.0%"),
    (0.9, "ru", 1, f"90,0{NBSP}%"),
    (1.1375, "en", 2, "113.75%"),
    (0.00125, "en", 1, "0.1%"),
    (1, "ru", 0, f"100{NBSP}%"),
])
def test_format_percent(ratio, language, decimals, expected):
    assert format_percent(ratio, language, decimals) == expected


@pytest.mark.parametrize("value", [dt.date(2026, 9, 12), dt.datetime(2026, 9, 12, 15, 30),
                                   pd.Timestamp("2026-09-12"), "2026-09-12"])
def test_format_date(value):
    assert format_date(value, "en") == "12 September 2026"
    assert format_date(value, "ru") == f"12 сентября 2026{NNBSP}г."


@pytest.mark.parametrize("period, en, ru", [
    ("2026-09", "September 2026", "сентябрь 2026"),
    ("2027-01", "January 2027", "январь 2027"),
    (pd.Period("2026-05", "M"), "May 2026", "май 2026"),
])
def test_format_period_in_nominative(period, en, ru):
    assert format_period(period, "en") == en
    assert format_period(period, "ru") == ru


def test_format_period_short():
    assert format_period("2026-09", "en", short=True) == "Sept 2026"
    assert format_period("2026-09", "ru", short=True) == "сент. 2026"


# --------------------------------------------------------------------------- glossary

def _glossary():
    import yaml

    path = Path(i18n.__file__).parent / "locale" / "glossary.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["terms"]


def test_the_russian_catalogue_uses_the_glossarys_terms():
    en, ru = i18n.catalogue("en"), i18n.catalogue("ru")
    off = []
    for term in _glossary():
        pattern = re.compile(term["en_pattern"], re.I)
        for key, text in en.items():
            if pattern.search(text) and term["ru_stem"].lower() not in ru[key].lower():
                off.append(f"{key}: '{term['en']}' is not '{term['ru']}' in: {ru[key]}")
    assert off == []


def test_the_russian_catalogue_avoids_the_words_the_glossary_rules_out():
    ru = i18n.catalogue("ru")
    off = [f"{key}: '{word}' in: {text}" for term in _glossary() for word in term.get("avoid", ())
           for key, text in ru.items() if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.I)]
    assert off == []
