"""Shared fixtures: the fixture client folders under tests/fixtures/clients/."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CLIENTS = FIXTURES / "clients"


@pytest.fixture
def client_copy(tmp_path):
    """Copy a fixture client folder into tmp_path and return the copy's path."""

    def copy(name: str = "valid_minimal", slug: str | None = None) -> Path:
        dest = tmp_path / (slug or name)
        shutil.copytree(CLIENTS / name, dest)
        return dest

    return copy


@pytest.fixture(scope="session")
def make_fixtures():
    """The fixture generator module (tests/fixtures/make_fixtures.py)."""
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- PostgreSQL
# A throwaway PostgreSQL cluster for the ledger's tests, started once per session on a free port
# of 127.0.0.1 and removed at the end. KPI_TOOLKIT_TEST_POSTGRES_URL uses a server of your own
# instead (a maintenance database URL; each test gets a new database on it). In CI (CI set)
# these tests never skip: a server that cannot be started fails them.

def _postgres_unavailable(reason: str):
    import os

    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed in CI and {reason}; scripts/install-system-packages.sh installs "
                    "Debian's postgresql", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (apt-get install postgresql, or set "
                "KPI_TOOLKIT_TEST_POSTGRES_URL)")


@pytest.fixture(scope="session")
def postgres_server():
    """The maintenance URL of a running PostgreSQL server (``postgresql://user@host:port/postgres``)."""
    import glob
    import os
    import socket
    import subprocess
    import tempfile

    given = os.environ.get("KPI_TOOLKIT_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        _postgres_unavailable("its programs (initdb, pg_ctl) are not installed")
    bindir = Path(binaries[-1]).parent
    as_postgres: list[str] = []
    root = tempfile.mkdtemp(prefix="kpi-pg-")
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the postgres user
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            _postgres_unavailable("there is no 'postgres' user to run the server as")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, log = os.path.join(root, "data"), os.path.join(root, "server.log")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def run(*cmd):
        return subprocess.run([*as_postgres, *cmd], capture_output=True, text=True, timeout=120)

    done = run(str(bindir / "initdb"), "-D", data, "-U", "kpi", "--auth=trust", "-E", "UTF8", "--no-locale")
    if done.returncode:
        _postgres_unavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
    done = run(str(bindir / "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "start",
               "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off")
    if done.returncode:
        server_log = Path(log).read_text(errors="replace")[-1000:] if Path(log).exists() else ""
        _postgres_unavailable(f"the server did not start: {done.stderr.strip()[-500:]} {server_log}")
    try:
        yield f"postgresql://kpi@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty PostgreSQL database for one test: its URL."""
    import uuid

    import sqlalchemy as sa

    name = f"kpi_test_{uuid.uuid4().hex[:12]}"
    server = sa.engine.make_url(postgres_server.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    yield server.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path):
    """A ledger database URL, once embedded SQLite in the workspace and once PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kpi-ledger.sqlite'}"
    return request.getfixturevalue("postgres_url")
