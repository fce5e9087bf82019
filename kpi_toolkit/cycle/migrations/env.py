"""Alembic environment of the ledger: runs on the connection :mod:`kpi_toolkit.cycle.ledger` hands it.

The toolkit runs migrations itself (no ``alembic.ini``); the connection, already inside the
transaction that holds the ledger's lock, arrives in ``config.attributes["connection"]``.
"""
from alembic import context

from kpi_toolkit.cycle.ledger import METADATA


def run_migrations(config) -> None:
    context.configure(connection=config.attributes["connection"], target_metadata=METADATA, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


try:
    _config = context.config
except AttributeError:  # imported outside a migration run (pytest --doctest-modules): nothing to do
    _config = None
if _config is not None:
    run_migrations(_config)
