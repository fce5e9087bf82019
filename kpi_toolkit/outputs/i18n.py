"""Fixed texts of notebooks and reports in English and Russian, and locale-aware formatting.

The texts live in ``kpi_toolkit/locale/<language>.yaml``; nested keys are flattened with dots
(``report.prepared_for``). Numbers, money, percents and dates are formatted with Babel:
``en`` uses British conventions (``en_GB``), ``ru`` uses ``ru_RU``. Babel puts non-breaking
spaces where a locale groups digits or separates a unit ("1\u00a0234,50\u00a0₽"), so a figure is
never split across lines in a report.
"""
from __future__ import annotations

import datetime as dt
from copy import copy
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources

import yaml
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

LOCALES = {"en": "en_GB", "ru": "ru_RU"}

#: Stage codes in engagement order; a stage is also known by its number ("00") or "00_diagnostic".
STAGES = (
    "diagnostic",
    "strategy_map",
    "kpi_selection",
    "kpi_matrices",
    "bonus_scheme",
    "pilot",
    "rollout",
)


@lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, str]:
    """Return the flattened message catalogue of `language`.

    Parameters
    ----------
    language : str
        ``"en"`` or ``"ru"``.

    Returns
    -------
    dict of str to str
        Dotted key -> message.

    Examples
    --------
    >>> catalogue("en")["report.contents"]
    'Contents'
    """
    _check_language(language)
    text = resources.files("kpi_toolkit.outputs").joinpath("locale", f"{language}.yaml").read_text("utf-8")
    return _flatten(yaml.safe_load(text) or {})


def t(key: str, language: str, **fmt) -> str:
    """Return the message `key` in `language`, with ``{placeholders}`` filled from `fmt`.

    Raises
    ------
    KeyError
        When the catalogue of `language` has no such key.

    Examples
    --------
    >>> t("report.page_x_of_y", "ru", page=2, pages=5)
    'Страница 2 из 5'
    """
    messages = catalogue(language)
    if key not in messages:
        raise KeyError(f"no message {key!r} in the {language!r} catalogue (kpi_toolkit/locale/{language}.yaml)")
    message = messages[key]
    return message.format(**fmt) if fmt else message


def label(group: str, code: str, language: str) -> str:
    """Return the reader-facing name of an enumerated `code` of `group`.

    Groups are the enumerated columns of :mod:`kpi_toolkit.method.schema` (``perspective``,
    ``direction``, ``missing``, ``kind``, ``measure``, ``horizon``, ``timing``,
    ``sales_family``, ``form``, ``level``, ``condition``) and ``rag``, ``reason`` (why a bonus
    is zero), ``stage``, ``funnel_stage``, ``language``.

    Examples
    --------
    >>> label("perspective", "learning", "en")
    'Learning and growth'
    >>> label("rag", "amber", "ru")
    'Жёлтый'
    """
    return t(f"label.{group}.{code}", language)


def stage_title(stage: str | int, language: str) -> str:
    """Return the title of an engagement stage given as ``"01"``, ``1``, ``"01_strategy_map"`` or ``"strategy_map"``.

    Examples
    --------
    >>> stage_title("04_bonus_scheme", "en")
    'Bonus scheme'
    >>> stage_title(0, "ru")
    'Диагностика'
    """
    return label("stage", stage_code(stage), language)


def stage_code(stage: str | int) -> str:
    """Return the code (``"pilot"``) of a stage given by number, file stem or code.

    Examples
    --------
    >>> stage_code("05")
    'pilot'
    """
    text = str(stage).strip()
    head, _, tail = text.partition("_")
    if tail and head.isdigit():
        text = tail
    if text.isdigit() and int(text) < len(STAGES):
        return STAGES[int(text)]
    if text in STAGES:
        return text
    raise KeyError(f"unknown stage {stage!r}; expected 00-06 or one of {', '.join(STAGES)}")


def locale_of(language: str) -> Locale:
    """Return the Babel locale used for `language` (``en`` -> en_GB, ``ru`` -> ru_RU)."""
    _check_language(language)
    return Locale.parse(LOCALES[language])


def format_money(amount: float, currency: str, language: str, decimals: int | None = None,
                 *, compact: bool = False) -> str:
    """Format an amount of money in the reader's conventions.

    Parameters
    ----------
    amount : float
        The amount, in the currency's major unit.
    currency : str
        ISO 4217 code.
    language : str
        ``"en"`` or ``"ru"``.
    decimals : int, optional
        Digits after the decimal separator; default: the currency's minor unit.
    compact : bool
        Short form for chart axes ("£1.2M", "1,2 млн ₽").

    Examples
    --------
    >>> format_money(1234.5, "GBP", "en")
    '£1,234.50'
    >>> format_money(1234.5, "RUB", "ru") == "1\u00a0234,50\u00a0₽"
    True
    >>> format_money(1234.5, "RUB", "ru", decimals=0) == "1\u00a0235\u00a0₽"
    True
    """
    locale = locale_of(language)
    if compact:
        return babel_numbers.format_compact_currency(amount, currency, locale=locale,
                                                     fraction_digits=1)
    if decimals is None:
        decimals = babel_numbers.get_currency_precision(currency)
    pattern = copy(locale.currency_formats["standard"])
    pattern.frac_prec = (decimals, decimals)
    return pattern.apply(_half_up(amount, decimals), locale, currency=currency,
                         currency_digits=False)


def format_number(x: float, language: str, decimals: int = 2) -> str:
    """Format a number with grouping and exactly `decimals` digits after the separator.

    Examples
    --------
    >>> format_number(1234.567, "en")
    '1,234.57'
    >>> format_number(0.5, "ru")
    '0,50'
    """
    locale = locale_of(language)
    pattern = copy(locale.decimal_formats[None])
    pattern.frac_prec = (decimals, decimals)
    return pattern.apply(_half_up(x, decimals), locale)


def format_percent(ratio: float, language: str, decimals: int = 1) -> str:
    """Format a ratio as a percent (0.9 -> "90.0%" in English, "90,0 %" in Russian).

    Examples
    --------
    >>> format_percent(0.9, "en")
    '90.0%'
    >>> format_percent(0.9, "ru") == "90,0\u00a0%"
    True
    """
    locale = locale_of(language)
    pattern = copy(locale.percent_formats[None])
    pattern.frac_prec = (decimals, decimals)
    return pattern.apply(_half_up(Decimal(str(ratio)) * 100, decimals) / 100, locale)


def format_date(date, language: str, format: str = "long") -> str:
    """Format a date: ``"long"`` (default), ``"medium"``, ``"short"`` or a Babel pattern.

    `date` may be a :class:`datetime.date`, a :class:`pandas.Timestamp` or an ISO string.

    Examples
    --------
    >>> import datetime
    >>> format_date(datetime.date(2026, 9, 12), "en")
    '12 September 2026'
    >>> format_date("2026-09-12", "ru") == "12 сентября 2026\u202fг."
    True
    """
    return babel_dates.format_date(_as_date(date), format, locale=locale_of(language))


def format_period(period, language: str, short: bool = False) -> str:
    """Format a ``YYYY-MM`` period as its month and year, in the nominative case.

    Examples
    --------
    >>> format_period("2026-09", "en")
    'September 2026'
    >>> format_period("2026-09", "ru")
    'сентябрь 2026'
    >>> format_period("2026-09", "en", short=True)
    'Sept 2026'
    """
    first_day = _as_date(f"{str(period)[:7]}-01")
    return babel_dates.format_date(first_day, "LLL y" if short else "LLLL y",
                                   locale=locale_of(language))


def _half_up(x, decimals: int) -> Decimal:
    """Round half-up in decimal (the way money is rounded), not half-even in binary."""
    value = x if isinstance(x, Decimal) else Decimal(repr(float(x)))
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_timestamp"):  # pandas.Period
        return value.to_timestamp().date()
    return dt.date.fromisoformat(str(value)[:10])


def _check_language(language: str) -> None:
    if language not in LOCALES:
        raise KeyError(f"unsupported language {language!r}; expected one of {', '.join(LOCALES)}")


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = str(value)
    return flat
