"""The ledger (SPEC §7): fact submissions, closed periods, reopenings and adjustments.

An embedded SQLite database by default, ``<workspace>/kpi-ledger.sqlite`` (the workspace is
the folder holding ``clients/``); ``--database URL`` or ``KPI_TOOLKIT_DATABASE_URL`` points
several consultants at one PostgreSQL database instead. The schema is built and upgraded by
the Alembic migrations shipped in ``kpi_toolkit/migrations`` whenever a ledger is opened: an
old ledger is upgraded in place, one written by a newer toolkit is refused.

Every write runs in :meth:`Ledger.transaction`, which holds the client's lock (SQLite: the
database's write lock, ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory lock per
client) from the first read to the commit, so two consultants merging at once are served one
after the other and neither's submission is lost.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kpi_toolkit.errors import LedgerError

log = logging.getLogger("kpi_toolkit")

ENV_URL = "KPI_TOOLKIT_DATABASE_URL"
DEFAULT_FILE = "kpi-ledger.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"

METADATA = sa.MetaData()

submissions = sa.Table(
    "submissions", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client", sa.String(100), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("scope_kind", sa.String(20), nullable=False),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("file_hash", sa.String(64), nullable=False),
    sa.Column("submitted_by", sa.String(200), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cells_changed", sa.Integer, nullable=False),
    sa.Index("ix_submissions_client_hash", "client", "file_hash"),
    sa.Index("ix_submissions_client_period", "client", "period"),
)

submission_cells = sa.Table(
    "submission_cells", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("employee_id", sa.String(200), nullable=False),
    sa.Column("kpi_id", sa.String(200), nullable=False),
    sa.Column("actuals_row", sa.Integer),
    sa.Column("old_fact", sa.String(100)),
    sa.Column("new_fact", sa.String(100)),
)

closings = sa.Table(
    "closings", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client", sa.String(100), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # "close", or "adjust" (a correction booked later)
    sa.Column("closed_by", sa.String(200), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("decimals", sa.Integer, nullable=False),
    sa.Column("pool_minor", sa.BigInteger, nullable=False),
    sa.Column("input_hashes", sa.Text, nullable=False),  # JSON: file -> sha256
    sa.Column("inputs", sa.LargeBinary, nullable=False),  # packed JSON snapshot of the cells that decide the period
    sa.Index("ix_closings_client_period", "client", "period"),
)

closed_totals = sa.Table(
    "closed_totals", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("closing_id", sa.Integer, sa.ForeignKey("closings.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("employee_id", sa.String(200), nullable=False),
    sa.Column("position_id", sa.String(200), nullable=False),
    sa.Column("bonus_minor", sa.BigInteger, nullable=False),
    sa.Column("fields", sa.Text, nullable=False),  # JSON: the bonus_totals.csv row as written
)

closed_lines = sa.Table(
    "closed_lines", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("closing_id", sa.Integer, sa.ForeignKey("closings.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("employee_id", sa.String(200), nullable=False),
    sa.Column("kpi_id", sa.String(200), nullable=False),
    sa.Column("bonus_minor", sa.BigInteger, nullable=False),
    sa.Column("fields", sa.Text, nullable=False),  # JSON: the bonus_lines.csv row as written
)

reopenings = sa.Table(
    "reopenings", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client", sa.String(100), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("closing_id", sa.Integer, sa.ForeignKey("closings.id"), nullable=False),
    sa.Column("reopened_by", sa.String(200), nullable=False),
    sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_reopenings_client_period", "client", "period"),
)

adjustments = sa.Table(
    "adjustments", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client", sa.String(100), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),  # the period whose statement carries it
    sa.Column("corrects", sa.String(7), nullable=False),  # the closed period it corrects
    sa.Column("employee_id", sa.String(200), nullable=False),
    sa.Column("position_id", sa.String(200), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("closing_id", sa.Integer, sa.ForeignKey("closings.id"), nullable=False),
    sa.Column("booked_by", sa.String(200), nullable=False),
    sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_adjustments_client_period", "client", "period"),
)


def current_closing(conn: Connection, client: str, period: str):
    """The closing in force for ``client``'s ``period`` (a row of ``closings``), or ``None`` when open."""
    last = conn.execute(sa.select(closings).where(closings.c.client == client, closings.c.period == period)
                        .order_by(closings.c.id.desc()).limit(1)).first()
    if last is None:
        return None
    reopened = conn.execute(sa.select(reopenings.c.id).where(reopenings.c.closing_id == last.id)).first()
    return None if reopened is not None else last


def workspace_of(client_folder: str | os.PathLike) -> Path:
    """The workspace of a client folder: the folder holding ``clients/``.

    Examples
    --------
    >>> workspace_of("/work/acme/clients/northwind").as_posix()
    '/work/acme'
    """
    folder = Path(os.path.abspath(client_folder))
    return folder.parent.parent if folder.parent.name == "clients" else folder.parent


def database_url(client_folder: str | os.PathLike, url: str | None = None) -> str:
    """The ledger's URL: ``url``, else ``KPI_TOOLKIT_DATABASE_URL``, else the workspace's SQLite file.

    ``postgresql://`` and ``postgres://`` URLs are served by psycopg 3.

    Examples
    --------
    >>> database_url("/w/clients/acme", "postgresql://kpi@db/ledger")
    'postgresql+psycopg://kpi@db/ledger'
    """
    url = url or os.environ.get(ENV_URL) or ""
    if not url:
        return f"sqlite:///{workspace_of(client_folder) / DEFAULT_FILE}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def login() -> str:
    """Who runs the command, recorded when no name is given (``--by``)."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name here (a container, a service account)
        return "unknown"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Ledger:
    """An open ledger database, migrated to this toolkit's schema.

    Examples
    --------
    >>> import tempfile
    >>> ledger = Ledger(f"sqlite:///{tempfile.mkdtemp()}/kpi-ledger.sqlite")
    >>> ledger.revision() == ledger.head()
    True
    >>> ledger.close()
    """

    def __init__(self, url: str):
        self.url = url
        try:
            self.engine = _engine(url)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise LedgerError(f"'{_shown(url)}' is not a database URL this toolkit can use ({exc}); write "
                              "postgresql://user:password@host/database or sqlite:///path/kpi-ledger.sqlite") from None
        self.migrate()

    @property
    def shown_url(self) -> str:
        """The URL without its password, for messages."""
        return _shown(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self, client: str | None = None) -> Iterator[Connection]:
        """A transaction holding ``client``'s lock until it commits (or rolls back on an error)."""
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(client or "")})
                yield conn
        except sa.exc.OperationalError as exc:
            raise LedgerError(f"the ledger database at {self.shown_url} failed: {_reason(exc)}; check that it is "
                              "reachable and writable, then run the command again") from None

    # ----------------------------------------------------------------------- schema

    def head(self) -> str:
        return _scripts().get_current_head()

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def migrate(self, target: str = "head") -> None:
        """Bring the schema to ``target`` (upgrading an old ledger in place); refuse a newer one."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.util import CommandError

        scripts = _scripts()
        with self.transaction("_schema") as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            if current is not None:
                try:
                    scripts.get_revision(current)
                except CommandError:
                    raise LedgerError(
                        f"the ledger at {self.shown_url} was written by a newer kpi-toolkit (schema revision "
                        f"'{_current_raw(conn)}', this toolkit knows up to '{scripts.get_current_head()}'); "
                        "upgrade kpi-toolkit (pip install -U kpi-toolkit) to use it") from None
            wanted = scripts.get_current_head() if target == "head" else target
            if current == wanted:
                return
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            log.info("ledger %s: schema %s -> %s", self.shown_url, current or "empty", wanted)
            command.upgrade(config, target)


def open_ledger(client_folder: str | os.PathLike, url: str | None = None) -> Ledger:
    """Open (creating or upgrading) the ledger of ``client_folder``'s workspace, or the one ``url`` names."""
    return Ledger(database_url(client_folder, url))


def existing_ledger(client_folder: str | os.PathLike, url: str | None = None) -> Ledger | None:
    """The ledger as :func:`open_ledger` opens it, or ``None`` when it is the workspace's SQLite file and
    that does not exist yet (nothing was ever closed or merged: reading must not create it)."""
    url = database_url(client_folder, url)
    if url.startswith("sqlite:///"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return None
    return Ledger(url)


def pack(text: str) -> bytes:
    """Text kept compressed in the ledger (input snapshots)."""
    return zlib.compress(text.encode("utf-8"), 9)


def unpack(data: bytes) -> str:
    return zlib.decompress(data).decode("utf-8")


# --------------------------------------------------------------------------- helpers


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN itself, below
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            # The write lock from the first statement on: two writers queue instead of both
            # reading the same state and one overwriting the other.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _lock_key(client: str) -> int:
    return zlib.crc32(f"kpi-toolkit:{client}".encode("utf-8")) - 2 ** 31


def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def _current_raw(conn: Connection) -> str:
    return ", ".join(r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version")))


def _shown(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unreadable URL)"


def _reason(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
