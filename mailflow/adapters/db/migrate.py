"""Run Alembic migrations from code (`mailflow db upgrade`), with the package's own scripts."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from mailflow.adapters.db.engine import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    config.attributes["database"] = database
    return config


def upgrade(database: Database, revision: str = "head") -> str:
    """Bring the schema to `revision`; returns the revision now current."""
    command.upgrade(alembic_config(database), revision)
    return current_revision(database) or "base"


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head()


def is_current(database: Database) -> bool:
    return current_revision(database) == head_revision()
