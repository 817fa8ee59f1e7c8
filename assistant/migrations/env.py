"""Alembic environment: one migrations folder for every table on ``assistant.db.Base``.

Run through ``assistant.db.migrate`` (``policy-assistant db migrate``), which passes an open connection.
SQLite is migrated in batch mode, since it cannot ALTER most things in place.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import assistant.ledger.models  # noqa: F401  (registers the ledger's tables on Base.metadata)
import assistant.store.tables  # noqa: F401  (and the Milvus store's)
from assistant.db import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,  # type: ignore[arg-type]
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if context.is_offline_mode():  # pragma: no cover - SQL scripts for an administrator
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    _run(connection)
else:  # pragma: no cover - `alembic` run by hand with a URL
    engine = create_engine(str(config.get_main_option("sqlalchemy.url")))
    with engine.begin() as own:
        _run(own)
