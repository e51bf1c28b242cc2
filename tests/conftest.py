"""Session-wide real servers and per-test databases.

PostgreSQL starts once per session; each test that asks for `database` gets a fresh, migrated
database (a copy of a migrated template on PostgreSQL, a new file on SQLite).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from mailflow.clock import ManualClock
from mailflow.i18n import STRICT_ENV
from tests.fixtures.libreoffice import warm_converter  # noqa: F401 - shared fixture
from tests.fixtures.mail_servers import dovecot, smtp, smtp_server  # noqa: F401 - shared fixtures
from tests.fixtures.oauth_servers import bearer_smtp, idp, oauth_dovecot, trust_idp  # noqa: F401 - shared fixtures
from tests.fixtures.postgres import PostgresCluster

_counter = itertools.count()
os.environ[STRICT_ENV] = "1"  # translate() raises for a missing text key (subprocesses inherit it)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster) -> str:
    """A migrated database every test database is copied from (CREATE DATABASE ... TEMPLATE)."""
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE mailflow_template"))
    admin.dispose()
    db = Database(pg_cluster.url("mailflow_template"))
    upgrade(db)
    db.dispose()
    return "mailflow_template"


def new_pg_database(cluster: PostgresCluster, template: str) -> str:
    name = f"t{next(_counter)}_{datetime.now(UTC):%H%M%S%f}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {template}'))
    admin.dispose()
    return cluster.url(name)


@contextlib.contextmanager
def copied_pg_database(cluster: PostgresCluster, template: str) -> Iterator[Database]:
    """A fresh PostgreSQL database copied from `template`, disposed of on leaving."""
    db = Database(new_pg_database(cluster, template))
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh migrated database on each backend."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'mailflow.sqlite3'}")
        upgrade(db)
    else:
        cluster = request.getfixturevalue("pg_cluster")
        template = request.getfixturevalue("pg_template")
        db = Database(new_pg_database(cluster, template))
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'mailflow.sqlite3'}")
    upgrade(db)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """Monday 30 November 2026, 08:05 WITA (the worked example's first mail)."""
    return ManualClock(datetime(2026, 11, 30, 0, 5, tzinfo=UTC))


# Every test that needs one of the session's real servers carries its marker, so `-m "not imap"`
# and friends select exactly what runs without it; a fixture that starts a server implies it.
SERVER_MARKS = {
    "dovecot": "imap",
    "pg_cluster": "postgres",
    "pg_template": "postgres",
    "warm_converter": "libreoffice",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needed = set(getattr(item, "fixturenames", ()))
        for fixture, mark in SERVER_MARKS.items():
            if fixture in needed and mark not in item.keywords:
                item.add_marker(getattr(pytest.mark, mark))
    # The longest modules first, then the other modules holding slow tests: `--dist loadscope`
    # (with --no-loadscope-reorder, see dev.sh) hands out whole modules in this order, so the
    # long ones start early and the short ones fill the workers at the end, instead of one worker
    # finishing a long module alone while the others wait. A scheduling hint only.
    slow_modules = {item.nodeid.split("::")[0] for item in items if "slow" in item.keywords}

    def rank(item: pytest.Item) -> tuple[int, int]:
        module = item.nodeid.split("::")[0]
        if module in LONGEST_FIRST:
            return (0, LONGEST_FIRST.index(module))
        return (1 if module in slow_modules else 2, 0)

    items.sort(key=rank)


# The modules with the longest tests in a `--durations` run (1 Dec 2026, 3 workers on 2 cores),
# longest first; a renamed module only loses its place in the queue.
LONGEST_FIRST = (
    "tests/ingest/test_exactly_once.py",
    "tests/ops/test_supervision.py",
    "tests/integration/test_full_procedure.py",
    "tests/reports/test_day_counts.py",
    "tests/signatures/test_watcher.py",
    "tests/reports/test_case_sums.py",
    "tests/hostile/test_reply_fuzz.py",
    "tests/integration/test_demo.py",
    "tests/intake/test_ignored.py",
    "tests/hostile/test_outbox_trial.py",
    "tests/intake/test_grouping.py",
    "tests/ops/test_metrics_and_logs.py",
    "tests/integration/test_branches_live.py",
    "tests/ingest/test_poller_live.py",
    "tests/signatures/test_returned_service.py",
)
