"""The starter KPI catalogue by role and the KPI classification (SPEC 3.3).

The catalogue ships as ``kpi_toolkit/data/catalogue.csv``: one row per role and KPI, with the
name in English and Russian and the classification tags — kind (target, process, project,
external), measure (cost, efficiency, functioning, performance, result), horizon
(operational, strategic), timing (leading, lagging), sales family for sales roles (clients in
work, attention to clients, time regulations, work intensity) and form (simple, dynamic,
aggregated). Ideas come from the seeds: the secretary's call answering and document handling,
the accountant's share of transactions on time, the lawyer's money recovered, the retail
staff's average receipt and conversion, production's raw material stock (a band KPI).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from kpi_toolkit.method.schema import FORMS, HORIZONS, KINDS, KPIS, MEASURES, SALES_FAMILIES, TIMINGS

TAGS = ("kind", "measure", "horizon", "timing", "form")
TAG_CODES = {"kind": KINDS, "measure": MEASURES, "horizon": HORIZONS, "timing": TIMINGS,
             "form": FORMS, "sales_family": SALES_FAMILIES}
NOT_SET = "not_set"
CATALOGUE_COLUMNS = ["role", "kpi_id", "name", "unit", "direction", "kind", "measure",
                     "horizon", "timing", "sales_family", "form", "data_source"]

ROLE_NAMES = {
    "head_of_marketing": ("Head of marketing", "Руководитель отдела маркетинга"),
    "distributor": ("Distributor", "Дистрибьютор"),
    "chief_accountant": ("Chief accountant", "Главный бухгалтер"),
    "accountant": ("Accountant", "Бухгалтер"),
    "head_of_legal": ("Head of legal", "Руководитель юридического отдела"),
    "lawyer": ("Lawyer", "Юрист"),
    "head_of_sales": ("Head of sales", "Руководитель отдела продаж"),
    "sales_manager": ("Sales manager", "Менеджер по продажам"),
    "retail_staff": ("Retail staff", "Продавец розничного магазина"),
    "production": ("Production", "Производство"),
    "secretary": ("Secretary", "Секретарь"),
    "hr": ("HR specialist", "Специалист по персоналу"),
    "procurement": ("Procurement", "Закупки"),
    "logistics": ("Logistics", "Логистика"),
}


@lru_cache(maxsize=1)
def _catalogue_file() -> pd.DataFrame:
    source = resources.files("kpi_toolkit.method") / "data" / "catalogue.csv"
    with source.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    table = table.astype(object)
    return table.where(table != "", None)


def _language(language: str) -> str:
    if language not in ("en", "ru"):
        raise ValueError(f"language is {language!r}; expected 'en' or 'ru'")
    return language


def starter_catalogue(language: str = "en") -> pd.DataFrame:
    """The whole starter catalogue, KPI names in the chosen language.

    Parameters
    ----------
    language : {"en", "ru"}
        Language of the ``name`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``role, kpi_id, name, unit, direction, kind, measure, horizon, timing,
        sales_family, form, data_source``; empty tags are None.

    Examples
    --------
    >>> catalogue = starter_catalogue("ru")
    >>> catalogue.loc[catalogue["kpi_id"] == "rt-average-receipt", "name"].item()
    'Средний чек'
    >>> sorted(catalogue["kind"].unique())
    ['external', 'process', 'project', 'target']
    """
    table = _catalogue_file().copy()
    table["name"] = table[f"name_{_language(language)}"]
    return table[CATALOGUE_COLUMNS].reset_index(drop=True)


def catalogue_roles() -> list[str]:
    """The roles of the starter catalogue, in catalogue order.

    Examples
    --------
    >>> catalogue_roles()[:3]
    ['head_of_marketing', 'distributor', 'chief_accountant']
    """
    return list(dict.fromkeys(_catalogue_file()["role"]))


def role_name(role: str, language: str = "en") -> str:
    """A catalogue role's display name.

    Examples
    --------
    >>> role_name("lawyer", "ru")
    'Юрист'
    """
    english, russian = ROLE_NAMES.get(role, (role.replace("_", " ").capitalize(),) * 2)
    return russian if _language(language) == "ru" else english


def catalogue_for_role(role: str, language: str = "en") -> pd.DataFrame:
    """A role's starter KPIs shaped like the client ``kpis`` table, ready to paste.

    Parameters
    ----------
    role : str
        A role from :func:`catalogue_roles`.
    language : {"en", "ru"}
        Language of the KPI names.

    Returns
    -------
    pandas.DataFrame
        Exactly the columns of :data:`kpi_toolkit.method.schema.KPIS`; what the catalogue does not
        say (goal, share, baseline, band edges, measurement cost ...) is empty: None for
        text, NaN for numbers. A band KPI still needs its band edges.

    Raises
    ------
    KeyError
        For a role the catalogue does not have; the message lists the known roles.

    Examples
    --------
    >>> kpis = catalogue_for_role("secretary")
    >>> kpis[["kpi_id", "direction", "timing"]].head(2)
                      kpi_id direction   timing
    0  sec-documents-on-time    higher  leading
    1   sec-call-answer-time     lower  leading
    >>> list(kpis.columns) == KPIS.column_names
    True
    """
    catalogue = starter_catalogue(language)
    rows = catalogue[catalogue["role"] == role].reset_index(drop=True)
    if rows.empty:
        raise KeyError(f"role '{role}' is not in the starter catalogue; "
                       f"known roles: {', '.join(catalogue_roles())}")
    table = pd.DataFrame(index=rows.index)
    for column in KPIS.columns:
        if column.name in rows:
            table[column.name] = rows[column.name].astype(object)
        elif column.kind in ("number", "integer"):
            table[column.name] = np.nan
        else:
            table[column.name] = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    return table


def classification_summary(kpis: pd.DataFrame, tags=TAGS) -> pd.DataFrame:
    """How many KPIs carry each code of each classification tag.

    Parameters
    ----------
    kpis : pandas.DataFrame
        A ``kpis`` table or the catalogue.
    tags : sequence of str, default ("kind", "measure", "horizon", "timing", "form")
        Tag columns to count (``"sales_family"`` may be added).

    Returns
    -------
    pandas.DataFrame
        Columns ``tag, value, count, share``: every code of every tag (0 when unused), in the
        schema's order, then any other value found, then ``"not_set"`` when some KPIs have
        no value; ``share`` is the
        count over the number of KPIs.

    Examples
    --------
    >>> kpis = pd.DataFrame({"kind": ["target", "process", "process"],
    ...                      "timing": ["lagging", "leading", None]})
    >>> classification_summary(kpis, tags=("timing",))
          tag    value  count     share
    0  timing  leading      1  0.333333
    1  timing  lagging      1  0.333333
    2  timing  not_set      1  0.333333
    """
    rows = []
    total = len(kpis)
    for tag in tags:
        values = kpis[tag] if tag in kpis else pd.Series([None] * total, index=kpis.index,
                                                         dtype=object)
        counts = values.value_counts()
        codes = TAG_CODES.get(tag, ())
        for code in [*codes, *(v for v in counts.index if v not in codes)]:
            rows.append((tag, code, int(counts.get(code, 0))))
        unset = int(values.isna().sum())
        if unset:
            rows.append((tag, NOT_SET, unset))
    summary = pd.DataFrame(rows, columns=["tag", "value", "count"]).astype(
        {"tag": object, "value": object, "count": "int64"})
    summary["share"] = summary["count"] / total if total else np.nan
    return summary
