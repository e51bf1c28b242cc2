"""Fixtures of the reports tests: the real calendar, SOP and starter directory, and the seeded
history of tests/reports/seed.py in a fresh database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

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
