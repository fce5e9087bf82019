"""The starter KPI catalogue and the classification (SPEC 3.3)."""
import math

import pandas as pd
import pytest

from kpi_toolkit.method.catalogue import (
    ROLE_NAMES,
    catalogue_for_role,
    catalogue_roles,
    classification_summary,
    role_name,
    starter_catalogue,
)
from kpi_toolkit.method.schema import (
    DIRECTIONS,
    FORMS,
    HORIZONS,
    KINDS,
    KPIS,
    MEASURES,
    SALES_FAMILIES,
    TIMINGS,
)

REQUIRED_ROLES = ["head_of_marketing", "distributor", "chief_accountant", "accountant",
                  "head_of_legal", "lawyer", "head_of_sales", "sales_manager", "retail_staff",
                  "production", "secretary"]
SALES_ROLES = {"head_of_sales", "sales_manager", "retail_staff", "distributor"}


def test_required_roles_are_there_with_4_to_6_kpis_each():
    roles = catalogue_roles()
    assert set(REQUIRED_ROLES) <= set(roles)
    sizes = starter_catalogue().groupby("role").size()
    assert sizes.between(4, 6).all(), sizes[~sizes.between(4, 6)]
    assert set(roles) <= set(ROLE_NAMES)


def test_catalogue_codes_are_valid():
    catalogue = starter_catalogue()
    assert catalogue["kpi_id"].is_unique
    for column, codes in [("direction", DIRECTIONS), ("kind", KINDS), ("measure", MEASURES),
                          ("horizon", HORIZONS), ("timing", TIMINGS), ("form", FORMS)]:
        assert catalogue[column].isin(codes).all(), column
    families = catalogue["sales_family"].dropna()
    assert families.isin(SALES_FAMILIES).all()
    assert set(catalogue.loc[families.index, "role"]) <= SALES_ROLES
    assert catalogue["unit"].notna().all() and catalogue["data_source"].notna().all()


def test_catalogue_covers_every_tag_code():
    catalogue = starter_catalogue()
    for column, codes in [("kind", KINDS), ("measure", MEASURES), ("horizon", HORIZONS),
                          ("timing", TIMINGS), ("form", FORMS),
                          ("sales_family", SALES_FAMILIES)]:
        assert set(codes) <= set(catalogue[column].dropna()), column


def test_names_in_both_languages():
    english = starter_catalogue("en")
    russian = starter_catalogue("ru")
    assert list(english.columns) == ["role", "kpi_id", "name", "unit", "direction", "kind",
                                     "measure", "horizon", "timing", "sales_family", "form",
                                     "data_source"]
    assert (english["kpi_id"] == russian["kpi_id"]).all()
    assert (english["name"] != russian["name"]).all()
    cyrillic = russian["name"].str.contains("[а-яё]", case=False, regex=True)
    assert cyrillic.all(), russian.loc[~cyrillic, "name"]
    with pytest.raises(ValueError):
        starter_catalogue("de")


@pytest.mark.parametrize("kpi_id, role, direction, timing", [
    ("sec-call-answer-time", "secretary", "lower", "leading"),  # seed 003
    ("acc-transactions-on-time", "accountant", "higher", "leading"),  # seed 003
    ("law-money-recovered", "lawyer", "higher", "lagging"),  # seed 003
    ("hol-cases-won", "head_of_legal", "higher", "lagging"),  # seed 003
    ("prd-raw-material-stock", "production", "band", "leading"),  # seed 001
    ("hr-staff-turnover", "hr", "lower", "lagging"),  # seed 001: a stop factor
    ("sm-response-time", "sales_manager", "lower", "leading"),  # seed 002
])
def test_seed_examples_are_in_the_catalogue(kpi_id, role, direction, timing):
    row = starter_catalogue().set_index("kpi_id").loc[kpi_id]
    assert (row["role"], row["direction"], row["timing"]) == (role, direction, timing)


def test_catalogue_for_role_is_shaped_like_the_kpis_table():
    kpis = catalogue_for_role("sales_manager", "ru")
    assert list(kpis.columns) == KPIS.column_names
    assert len(kpis) == 6
    assert kpis.loc[0, "name"] == "Выручка по своим клиентам"
    assert kpis["goal_id"].isna().all() and kpis["goal_id"].dtype == object
    assert kpis["goal_id"].iloc[0] is None
    assert kpis["share"].dtype == float and kpis["share"].isna().all()
    assert math.isnan(kpis.loc[0, "measurement_cost"])
    assert kpis["sales_family"].notna().all()


def test_catalogue_for_an_unknown_role_lists_the_known_ones():
    with pytest.raises(KeyError) as caught:
        catalogue_for_role("astronaut")
    message = str(caught.value)
    assert "astronaut" in message and "sales_manager" in message and "secretary" in message


def test_role_names():
    assert role_name("head_of_sales") == "Head of sales"
    assert role_name("head_of_sales", "ru") == "Руководитель отдела продаж"


def test_classification_summary_counts():
    kpis = pd.DataFrame({
        "kind": ["target", "process", "process", None],
        "measure": ["result", "cost", "cost", "cost"],
        "horizon": ["operational"] * 4,
        "timing": ["leading", "lagging", "lagging", "lagging"],
        "form": ["simple", "simple", "dynamic", "aggregated"],
    })
    summary = classification_summary(kpis)
    assert list(summary.columns) == ["tag", "value", "count", "share"]
    counts = {(r.tag, r.value): r.count for r in summary.itertuples()}
    assert counts[("kind", "target")] == 1 and counts[("kind", "process")] == 2
    assert counts[("kind", "project")] == 0 and counts[("kind", "not_set")] == 1
    assert counts[("measure", "cost")] == 3 and counts[("horizon", "strategic")] == 0
    assert ("horizon", "not_set") not in counts
    assert summary.groupby("tag")["count"].sum().eq(4).all()
    assert summary.groupby("tag")["share"].sum().tolist() == pytest.approx([1.0] * 5)
    assert summary["tag"].unique().tolist() == ["kind", "measure", "horizon", "timing", "form"]


def test_classification_summary_of_the_catalogue_and_unknown_codes():
    summary = classification_summary(starter_catalogue(), tags=("kind", "sales_family"))
    total = len(starter_catalogue())
    assert summary.loc[summary["tag"] == "kind", "count"].sum() == total
    families = summary[summary["tag"] == "sales_family"]
    assert families["value"].tolist()[:4] == list(SALES_FAMILIES)
    odd = classification_summary(pd.DataFrame({"kind": ["target", "strategic"]}), ("kind",))
    assert odd.loc[odd["value"] == "strategic", "count"].item() == 1
