"""kpi-toolkit new: an empty client folder that loads once its data is filled in."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from kpi_toolkit.errors import ClientDataError
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.method.schema import CLIENT_YAML_OPTIONAL, CLIENT_YAML_REQUIRED, TABLES
from kpi_toolkit.inputs.scaffold import new_client

from conftest import CLIENTS

DEMO_LOGO = Path(__file__).resolve().parent.parent / "clients" / "northwind" / "logo.png"


@pytest.mark.parametrize("language, currency", [("en", "EUR"), ("ru", "RUB")])
def test_new_client_writes_headers_and_a_commented_client_yaml(tmp_path, language, currency):
    folder = new_client("acme-2024", root=tmp_path, language=language)
    assert folder == tmp_path / "acme-2024"
    for name, table in TABLES.items():
        text = (folder / f"{name}.csv").read_bytes().decode("utf-8-sig")
        assert text == ",".join(table.column_names) + "\r\n"
    text = (folder / "client.yaml").read_text(encoding="utf-8")
    settings = yaml.safe_load(text)
    assert settings["language"] == language and settings["currency"] == currency
    assert re.fullmatch(r"\d{4}-\d{2}", settings["period"])
    for key in CLIENT_YAML_REQUIRED + CLIENT_YAML_OPTIONAL:
        assert re.search(rf"^(# )?{key}:", text, re.M), key


@pytest.mark.parametrize("language", ["en", "ru"])
def test_new_client_loads_once_filled_in_with_every_example(tmp_path, language):
    folder = new_client("filled", root=tmp_path, language=language)
    for file in CLIENTS.joinpath("valid_minimal").glob("*.csv"):
        shutil.copy(file, folder / file.name)
    text = (folder / "client.yaml").read_text(encoding="utf-8")
    text = re.sub(r'^period: ".*"$', 'period: "2024-03"', text, flags=re.M)
    # uncomment every example key (prose comments never start with 'key:' or '-')
    text = re.sub(r"^# (\s*(?:[a-z_]+:|- ))", r"\1", text, flags=re.M)
    # the example map owner is a position of the fixture, which gives its weights head-on
    text = text.replace("strategy_owner: ceo", "strategy_owner: head-of-sales")
    positions = (folder / "positions.csv").read_text(encoding="utf-8").splitlines()
    (folder / "positions.csv").write_text("\n".join([positions[0] + ",method"] + [
        line + ",head_on" for line in positions[1:]]) + "\n", encoding="utf-8")
    (folder / "client.yaml").write_text(text, encoding="utf-8")
    shutil.copy(DEMO_LOGO, folder / "logo.png")
    data = load_client(folder)
    assert data.warnings == ()
    assert set(yaml.safe_load(text)) == set(CLIENT_YAML_REQUIRED + CLIENT_YAML_OPTIONAL)
    assert "sales_curve" in data.config.payout_curves
    assert data.config.branding["colour"] == "#1F4E79"


@pytest.mark.parametrize("slug", ["Acme", "acme_trading", "acme trading", "-acme", "acme-",
                                  "a--b", "", "../evil", "acmé"])
def test_bad_slug_is_refused(tmp_path, slug):
    with pytest.raises(ClientDataError) as caught:
        new_client(slug, root=tmp_path)
    (problem,) = caught.value.problems
    assert "lower-case letters, digits and hyphens" in problem.message
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_refused(tmp_path):
    new_client("acme", root=tmp_path)
    with pytest.raises(ClientDataError, match="already exists"):
        new_client("acme", root=tmp_path)


@pytest.mark.parametrize("language, words", [("en", ("position_kpis.section", "positions.section_rule",
                                                        "positions.payout_basis ytd", "positions.clawback")),
                                              ("ru", ("position_kpis.section", "positions.section_rule",
                                                      "positions.payout_basis ytd", "positions.clawback"))])
def test_client_yaml_comments_explain_sections_and_the_year_to_date(tmp_path, language, words):
    text = (new_client("acme", root=tmp_path, language=language) / "client.yaml").read_text(encoding="utf-8")
    for word in words:
        assert word in text
    headers = (tmp_path / "acme" / "positions.csv").read_text(encoding="utf-8-sig")
    assert "section_rule" in headers and "payout_basis" in headers and "clawback" in headers
