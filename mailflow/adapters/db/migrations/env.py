"""Alembic environment: uses the Database the caller passed in `config.attributes`."""

from __future__ import annotations

from alembic import context

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Base

config = context.config
database = config.attributes.get("database")
if database is None:  # plain `alembic` command line, e.g. for autogenerate during development
    database = Database(config.get_main_option("sqlalchemy.url") or "sqlite:///dev.sqlite3")

with database.engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=database.is_sqlite,  # SQLite needs table copies for ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
