"""The ledger: schema migrations on SQLite and PostgreSQL, upgrade in place, a newer ledger refused."""
import sqlalchemy as sa
import pytest

from kpi_toolkit.cycle import ledger as ledger_module
from kpi_toolkit.errors import LedgerError
from kpi_toolkit.cycle.ledger import Ledger, database_url, workspace_of


def test_new_ledger_is_migrated_to_head(ledger_url):
    with Ledger(ledger_url) as ledger:
        assert ledger.revision() == ledger.head()
        names = set(sa.inspect(ledger.engine).get_table_names())
    assert {"submissions", "submission_cells", "alembic_version"} <= names


def test_declared_tables_match_the_migrations(ledger_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with Ledger(ledger_url) as ledger, ledger.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ledger_module.METADATA)
    assert diff == []


def test_ledger_of_a_newer_toolkit_is_refused(ledger_url):
    with Ledger(ledger_url) as ledger, ledger.transaction() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(LedgerError, match=r"newer kpi-toolkit .*'9999'.*upgrade kpi-toolkit"):
        Ledger(ledger_url)


def test_default_ledger_is_sqlite_in_the_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("KPI_TOOLKIT_DATABASE_URL", raising=False)
    folder = tmp_path / "clients" / "acme"
    assert workspace_of(folder) == tmp_path
    assert database_url(folder) == f"sqlite:///{tmp_path / 'kpi-ledger.sqlite'}"


def test_environment_names_a_shared_database(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_TOOLKIT_DATABASE_URL", "postgresql://kpi:secret@db.example/ledger")
    assert database_url(tmp_path / "clients" / "acme") == "postgresql+psycopg://kpi:secret@db.example/ledger"
    assert database_url(tmp_path, "sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_unreachable_database_is_named_without_its_password():
    with pytest.raises(LedgerError) as caught:
        Ledger("postgresql+psycopg://kpi:secret@127.0.0.1:1/ledger")
    assert "secret" not in str(caught.value) and "127.0.0.1:1" in str(caught.value)


def test_old_ledger_is_upgraded_in_place_keeping_its_records(ledger_url):
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(ledger_url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(ledger_module.MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")  # the ledger as the first release with submissions wrote it
        conn.execute(ledger_module.submissions.insert().values(
            client="acme", period="2026-09", scope_kind="department", scope="Sales", file_name="sales.xlsx",
            file_hash="ab" * 32, submitted_by="anna", submitted_at=ledger_module.now(), cells_changed=3))
    engine.dispose()
    with Ledger(ledger_url) as ledger:
        assert ledger.revision() == ledger.head() != "0001"
        with ledger.transaction("acme") as conn:
            kept = conn.execute(sa.select(ledger_module.submissions.c.submitted_by)).scalars().all()
            assert ledger_module.current_closing(conn, "acme", "2026-09") is None  # the new tables work
    assert kept == ["anna"]
