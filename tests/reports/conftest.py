"""Fixtures of the reports tests: the real calendar, SOP and starter directory, and the seeded
history of tests/reports/seed.py in a fresh database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mailflow.adapters.db.engine import Database
from mailflow.bootstrap import build_calendar
from mailflow.config.directory_file import load_directory
from mailflow.config.model import Settings
from mailflow.config.sop_file import load_sop
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory
from mailflow.domain.sop import Sop
from mailflow.resources import starter
from mailflow.services.reports import ReportContext
from tests.fixtures.postgres import PostgresCluster
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
