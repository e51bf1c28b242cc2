"""Read jobs on helper connections that share the report reader's snapshot (PostgreSQL), or
inline on the reader itself (SQLite): mailflow.adapters.db.fanout."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.fanout import fanout
from mailflow.adapters.db.models import Case
from tests.adapters.test_db import make_case
from tests.conftest import copied_pg_database
from tests.fixtures.postgres import PostgresCluster


@pytest.fixture
def postgres(pg_cluster: PostgresCluster, pg_template: str) -> Iterator[Database]:
    """A fresh migrated PostgreSQL database: what the helper connections exist for."""
    with copied_pg_database(pg_cluster, pg_template) as db:
        yield db


def _cases(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Case)).scalar_one())


def _connection_id(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return id(session.connection().connection.dbapi_connection)


def test_every_job_reads_the_readers_snapshot_not_a_later_commit(database: Database) -> None:
    with database.transaction() as writer:
        make_case(writer, "LPR-2026-00001")
    with database.reader() as session, fanout(database, session, workers=2) as fan:
        assert fan.parallel is database.is_postgres
        assert _cases(session) == 1  # the reader's snapshot is taken here
        # committed before any helper connection starts its own transaction: each must still
        # read the reader's snapshot, not a newer one of its own
        with database.transaction() as writer:
            make_case(writer, "LPR-2026-00002")
        jobs = [fan.submit(_cases) for _ in range(6)]
        assert [job.result() for job in jobs] == [1] * 6
        assert _cases(session) == 1
        helpers = {fan.submit(_connection_id).result() for _ in range(6)}
        mine = _connection_id(session)
    if database.is_postgres:
        assert mine not in helpers and 1 <= len(helpers) <= 2  # other connections, at most `workers`
    else:
        assert helpers == {mine}  # SQLite: inline, on the reader's own connection
    with database.reader() as session:
        assert _cases(session) == 2


def test_jobs_run_side_by_side_on_postgres(postgres: Database) -> None:
    """Two jobs that each wait for the other can only finish when they run at the same time."""
    both = threading.Barrier(2, timeout=30)

    def meet(session: Session) -> int:
        both.wait()
        return _cases(session)

    with postgres.reader() as session, fanout(postgres, session, workers=2) as fan:
        jobs = [fan.submit(meet), fan.submit(meet)]
        assert [job.result() for job in jobs] == [0, 0]


def _idle_in_transaction(database: Database) -> int:
    with database.engine.connect() as conn:
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        )
        return int(conn.execute(text(sql)).scalar_one())


def test_a_failing_job_reaches_the_caller_and_every_helper_is_closed(postgres: Database) -> None:
    with postgres.reader() as session, fanout(postgres, session, workers=2) as fan:
        broken = fan.submit(lambda s: s.execute(text("SELECT no_such_column FROM cases")).all())
        fine = fan.submit(_cases)
        with pytest.raises(DBAPIError, match="no_such_column"):
            broken.result()
        assert fine.result() == 0
        assert _idle_in_transaction(postgres) >= 2  # the reader and a helper hold their snapshot
    assert _idle_in_transaction(postgres) == 0


def test_leaving_on_an_error_waits_for_the_jobs_and_closes_the_helpers(postgres: Database) -> None:
    finished = threading.Event()

    def slow(session: Session) -> int:
        session.execute(text("SELECT pg_sleep(0.3)"))
        finished.set()
        return 1

    with (
        pytest.raises(RuntimeError, match="report failed"),
        postgres.reader() as session,
        fanout(postgres, session, workers=2) as fan,
    ):
        fan.submit(slow)
        raise RuntimeError("report failed")
    assert finished.is_set()
    assert _idle_in_transaction(postgres) == 0


def test_no_workers_runs_inline_on_every_database(database: Database) -> None:
    with database.reader() as session, fanout(database, session, workers=0) as fan:
        assert not fan.parallel
        assert fan.submit(_connection_id).result() == _connection_id(session)
        assert fan.submit(_cases).then(lambda n: n + 10).result() == 10
