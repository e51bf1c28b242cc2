"""Consistent copies of the database for backups, and putting them back.

- SQLite: the online backup API copies a consistent snapshot page by page while other
  connections keep writing (WAL); the copy is an ordinary database file.
- PostgreSQL: `pg_dump --format=custom` reads everything in one transaction snapshot;
  `pg_restore` loads it into an empty database. The password goes through PGPASSWORD, never argv.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from mailflow.errors import DependencyError, StorageError

_PG_HINT = (
    "install the PostgreSQL client tools (apt-get install postgresql-client) of the server's version or newer"
)


def sqlite_snapshot(database: Path, target: Path) -> None:
    """Copy the SQLite database `database` to `target` consistently, while it is in use."""
    try:
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=60)
        try:
            copy = sqlite3.connect(target)
            try:
                with copy:
                    source.backup(copy, pages=1024)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise StorageError(f"cannot copy the SQLite database {database}: {exc}") from exc


def read_sqlite(database: Path, statements: Sequence[str]) -> list[list[tuple[Any, ...]]]:
    """Run read-only `statements` on a SQLite file without touching it (no WAL switch)."""
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            return [list(connection.execute(statement)) for statement in statements]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {database}: {exc}") from exc


def pg_dump(
    url: str, target: Path, statements: Sequence[str] = (), timeout: float = 3600
) -> list[list[tuple[Any, ...]]]:
    """Dump the database and run `statements` in the very snapshot the dump reads (an exported
    REPEATABLE READ snapshot), so what they return describes exactly what was dumped."""
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection, connection.begin():
            snapshot = str(connection.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            results = [
                [tuple(row) for row in connection.execute(text(statement))] for statement in statements
            ]
            options = ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
            _run_pg("pg_dump", url, [*options, "--file", str(target)], timeout)
    except StorageError:
        raise
    except Exception as exc:  # the driver's errors (re-raised as ours): the database is unusable
        raise StorageError(f"cannot dump the database: {exc}") from exc
    finally:
        engine.dispose()
    return results


def pg_restore(url: str, source: Path, timeout: float = 3600) -> None:
    """Load a dump into the (empty) database at `url`."""
    _run_pg("pg_restore", url, ["--no-owner", "--no-privileges", "--exit-on-error", str(source)], timeout)


def _run_pg(program: str, url: str, arguments: list[str], timeout: float) -> None:
    binary = shutil.which(program)
    if binary is None:
        raise DependencyError(f"{program} was not found; {_PG_HINT}")
    parsed = make_url(url)
    environment = {**os.environ, **_libpq_environment(parsed)}
    result = subprocess.run(
        [binary, "--dbname", _libpq_url(parsed), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise StorageError(f"{program} failed: {detail[-1] if detail else result.returncode}")


def _libpq_url(parsed: URL) -> str:
    """SQLAlchemy's postgresql+psycopg://user:pw@host/db as libpq's postgresql://user@host/db."""
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _libpq_environment(parsed: URL) -> dict[str, str]:
    return {"PGPASSWORD": str(parsed.password)} if parsed.password else {}
