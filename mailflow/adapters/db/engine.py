"""Database engines and transactions for SQLite (WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mailflow.errors import ConfigError, StorageError

log = logging.getLogger(__name__)
_TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]*")

# PostgreSQL's deadlock_detected and serialization_failure: the transaction was chosen to give
# way and may simply be run again.
LOCK_CONFLICTS = frozenset({"40P01", "40001"})


def is_lock_conflict(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) is the database ending a transaction to break a
    deadlock or a serialization conflict."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError) and getattr(seen.orig, "sqlstate", None) in LOCK_CONFLICTS:
            return True
        seen = seen.__cause__
    return False


class Database:
    """One database: `transaction()` for work that writes, `reader()` for reports and listings.

    On SQLite every write transaction starts with BEGIN IMMEDIATE: two workers then queue for the
    write lock up front instead of failing with "database is locked" when a read turns into a write,
    which is what makes counters gapless and claims safe there. Readers use deferred transactions
    so a long report never blocks the poller.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigError(f"cannot read database URL: {exc}", key="database.url") from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.is_postgres = parsed.get_backend_name() == "postgresql"
        try:
            if self.is_sqlite:
                self.engine = self._sqlite_engine(url, parsed.database, echo, immediate=True)
                self.read_engine = self._sqlite_engine(url, parsed.database, echo, immediate=False)
            else:
                self.engine = create_engine(url, echo=echo, pool_pre_ping=True, future=True)
                # one snapshot per reader, as SQLite's deferred read transaction has: a report's
                # later statements (e.g. the walk inside a value bin) must see what its counts saw
                self.read_engine = self.engine.execution_options(isolation_level="REPEATABLE READ")
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise ConfigError(
                f"no driver for {parsed.get_backend_name()} ({exc}); for PostgreSQL install "
                "mailflow[postgres] and use postgresql+psycopg://",
                key="database.url",
            ) from None
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @staticmethod
    def _sqlite_engine(url: str, path: str | None, echo: bool, *, immediate: bool) -> Engine:
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 60}, future=True)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event own transactions instead of pysqlite's implicit ones.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # a committed row survives power loss too
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together at the end, or not at all."""
        try:
            with self._writer() as session, session.begin():
                yield session
        except OperationalError as exc:
            raise StorageError(f"database error: {exc.orig}") from exc

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (never committed) that reads one snapshot throughout. Closing it
        ends the database transaction but leaves loaded objects readable (a rollback would expire
        them)."""
        with self._reader() as session:
            yield session

    def vacuum(self, table: str) -> bool:
        """Reclaim the dead rows of a queue-like `table` at once (PostgreSQL; False elsewhere or
        when it could not run). After a fold has deleted a large log, a sequential read of it walks
        every emptied page until autovacuum gets to it: 165 MB for the 2.2 M deltas of a bulk load,
        45 ms on each report read. VACUUM takes no lock that stops readers or writers; it runs
        outside a transaction, on a connection of its own."""
        if not self.is_postgres or not _TABLE_NAME.fullmatch(table):
            return False
        try:
            with self.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"VACUUM {table}")
        except DBAPIError as exc:  # housekeeping only: autovacuum does it later anyway
            log.warning("VACUUM %s did not run: %s", table, exc.orig)
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
        if self.is_sqlite:  # PostgreSQL's reader is a view of the writer's engine, on its pool
            self.read_engine.dispose()

    def describe(self) -> str:
        """The URL without password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)
