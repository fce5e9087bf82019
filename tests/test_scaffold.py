"""kpi-toolkit new: an empty client folder that loads once its data is filled in."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from kpi_toolkit.errors import ClientDataError
from kpi_toolkit.inputs.intake_template import CLIENT_KEYS
from kpi_toolkit.inputs.loading import load_client
from kpi_toolkit.method.schema import CLIENT_YAML_OPTIONAL, CLIENT_YAML_REQUIRED, TABLES
from kpi_toolkit.inputs.scaffold import YAML_ONLY, new_client

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
    text = uncomment_examples(text)
    # the example map owner is a position of the fixture, which gives its weights head-on
    text = text.replace("strategy_owner: ceo", "strategy_owner: head-of-sales")
    head_on(folder)
    (folder / "client.yaml").write_text(text, encoding="utf-8")
    shutil.copy(DEMO_LOGO, folder / "logo.png")
    data = load_client(folder)
    assert data.warnings == ()  # 'main_activity' was warned about: the questionnaire's key is 'activity'
    assert set(yaml.safe_load(text)) == set(CLIENT_YAML_REQUIRED + CLIENT_YAML_OPTIONAL)
    assert data.config.questionnaire and data.config.readiness and data.config.contacts
    assert "sales_curve" in data.config.payout_curves
    assert data.config.branding["colour"] == "#1F4E79"


def uncomment_examples(text: str) -> str:
    """Every example key uncommented (prose comments never start with 'key:' or '-')."""
    return re.sub(r"^# (\s*(?:[a-z_]+:|- ))", r"\1", text, flags=re.M)


def head_on(folder: Path) -> None:
    """Every position of the copied fixture gives its weights head-on: any may own the strategy map."""
    positions = (folder / "positions.csv").read_text(encoding="utf-8").splitlines()
    (folder / "positions.csv").write_text("\n".join([positions[0] + ",method"] + [
        line + ",head_on" for line in positions[1:]]) + "\n", encoding="utf-8")


@pytest.mark.parametrize("language, currency", [("en", "EUR"), ("ru", "RUB")])
def test_new_workbook_client_writes_the_intake_workbook_and_what_its_sheet_does_not_hold(tmp_path, language,
                                                                                         currency):
    folder = new_client("acme", root=tmp_path, language=language, workbook=True)
    assert sorted(p.name for p in folder.iterdir()) == ["client.xlsx", "client.yaml"]
    sheet = openpyxl.load_workbook(folder / "client.xlsx")["client"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert list(values) == [key for key, _, _ in CLIENT_KEYS]
    assert (values["name"], values["language"], values["currency"]) == ("Acme", language, currency)
    assert re.fullmatch(r"\d{4}-\d{2}", values["period"])
    text = (folder / "client.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) is None  # comments only: nothing is set twice
    assert {key for key in re.findall(r"^# ([a-z_]+):", text, re.M)} == set(YAML_ONLY)
    assert "client.xlsx" in text.split("\n\n")[0]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_new_workbook_client_loads_once_filled_in_with_every_example(tmp_path, make_fixtures, language):
    folder = new_client("filled", root=tmp_path, language=language, workbook=True)
    tables = tmp_path / "tables"
    shutil.copytree(CLIENTS / "valid_minimal", tables)
    head_on(tables)
    examples = {"name": "Filled Ltd", "period": "2024-03", "currency_decimals": 2, "bonus_period_months": 1,
                "bonus_budget": 6000, "strategy_owner": "head-of-sales", "project_start": "2024-01-15",
                "contacts.1.name": "Jane Smith", "contacts.1.role": "HR director",
                "contacts.1.email": "jane.smith@example.com", "contacts.1.phone": "+44 20 7946 0000",
                "contacts.2.name": "John Doe", "contacts.2.role": "CFO", "contacts.2.email": "john@example.com",
                "contacts.2.phone": "+44 20 7946 0001"}
    for key, _, _ in CLIENT_KEYS:
        if key.startswith("questionnaire."):
            examples[key] = 120 if key.endswith("headcount") else "an answer"
        elif key.startswith("readiness."):
            examples[key] = "partly"
    assert set(examples) | {"language", "currency"} == {key for key, _, _ in CLIENT_KEYS}
    make_fixtures.fill_workbook(folder / "client.xlsx", tables, examples)
    text = uncomment_examples((folder / "client.yaml").read_text(encoding="utf-8"))
    assert set(yaml.safe_load(text)) == set(YAML_ONLY)
    (folder / "client.yaml").write_text(text, encoding="utf-8")
    shutil.copy(DEMO_LOGO, folder / "logo.png")
    data = load_client(folder)
    assert data.warnings == ()
    config = data.config
    assert (config.name, config.period, config.bonus_budget, config.strategy_owner) == (
        "Filled Ltd", "2024-03", 6000, "head-of-sales")
    assert config.contacts[1] == {"name": "John Doe", "role": "CFO", "email": "john@example.com",
                                  "phone": "+44 20 7946 0001"}
    assert config.questionnaire["headcount"] == 120 and set(config.readiness.values()) == {"partly"}
    assert "sales_curve" in config.payout_curves and config.payroll.skip_zero
    assert data.sources["client"] == "client.xlsx [client] + client.yaml"


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
