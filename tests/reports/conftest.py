"""Fixtures of the reports tests: the real calendar, SOP and starter directory, the seeded
history of tests/reports/seed.py in a fresh database (SQLite and PostgreSQL), and a copy of the
larger history of tests/reports/history.py, seeded once per session and backend."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from mailflow.bootstrap import build_calendar
from mailflow.config.directory_file import load_directory
from mailflow.config.model import Settings
from mailflow.config.sop_file import load_sop
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory
from mailflow.domain.sop import Sop
from mailflow.resources import starter
from mailflow.services.reports import ReportContext
from tests.conftest import new_pg_database
from tests.fixtures.postgres import PostgresCluster
from tests.reports import history as synthetic
from tests.reports.seed import seed_history


@pytest.fixture(scope="session")
def calendar() -> BusinessCalendar:
    return build_calendar(Settings())


@pytest.fixture(scope="session")
def sop() -> Sop:
    return load_sop(None)


@pytest.fixture(scope="session")
def directory() -> Directory:
    return load_directory(starter("directory.yaml"), "id")


@pytest.fixture
def seeded(database: Database, calendar: BusinessCalendar, sop: Sop) -> Database:
    seed_history(database, calendar, sop)
    return database


@pytest.fixture
def seeded_sqlite(sqlite_db: Database, calendar: BusinessCalendar, sop: Sop) -> Database:
    seed_history(sqlite_db, calendar, sop)
    return sqlite_db


MakeContext = Callable[..., ReportContext]


@pytest.fixture
def make_context(calendar: BusinessCalendar, sop: Sop, directory: Directory, tmp_path: Path) -> MakeContext:
    def make(database: Database, now: datetime, lang: str = "id") -> ReportContext:
        return ReportContext(
            database=database,
            calendar=calendar,
            sop=sop,
            directory=directory if lang == "id" else load_directory(starter("directory.yaml"), lang),
            lang=lang,
            now=now,
            output_root=tmp_path / "reports",
        )

    return make


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema yet, on each backend: an existing site that the upgrade tests
    migrate to the revision they start from."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        name = f"site_{os.getpid()}_{datetime.now(UTC):%H%M%S%f}"
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = cluster.url(name)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def sqlite_history(tmp_path_factory: pytest.TempPathFactory, calendar: BusinessCalendar, sop: Sop) -> Path:
    """A migrated SQLite file holding tests/reports/history.py's history, closed (its WAL
    checkpointed into the file) so that a plain copy is a complete database."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    synthetic.seed(database, calendar, sop)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def pg_history(pg_cluster: PostgresCluster, pg_template: str, calendar: BusinessCalendar, sop: Sop) -> str:
    """A PostgreSQL template holding the same history, statistics included (ANALYZE in seed)."""
    name = "mailflow_history"
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {pg_template}"))
    admin.dispose()
    database = Database(pg_cluster.url(name))
    synthetic.seed(database, calendar, sop)
    database.dispose()  # a template must have no connection when it is copied
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh copy of the seeded history at the newest revision, every rollup mark and delta
    still unfolded (as the triggers left them), on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "history.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_history"), path)
        url = f"sqlite:///{path}"
    else:
        url = new_pg_database(request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_history"))
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
