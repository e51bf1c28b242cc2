"""Storage on SQLite and a real PostgreSQL: schema, UTC instants, constraints, gapless counters."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from mailflow.adapters.db.counters import current_value, next_value
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import current_revision, head_revision, is_current
from mailflow.adapters.db.models import (
    AuditEntry,
    Base,
    Case,
    CaseRoute,
    Complainant,
    Counter,
    OutboxMail,
    StepEvent,
)

NOW = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)


def make_case(session, number: str = "LPR-2026-00001") -> Case:  # type: ignore[no-untyped-def]
    complainant = Complainant(name="Siti Rahma", email="siti.rahma@gmail.com", created_at=NOW)
    case = Case(
        number=number,
        subject="Lampu jalan mati",
        received_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        complainant=complainant,
    )
    session.add(case)
    session.flush()
    return case


def test_migrations_match_the_models(database: Database) -> None:
    assert is_current(database)
    assert current_revision(database) == head_revision()
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_instants_round_trip_as_aware_utc(database: Database) -> None:
    wita = datetime(2026, 11, 30, 8, 5, tzinfo=ZoneInfo("Asia/Makassar"))
    with database.transaction() as session:
        case = make_case(session)
        case.received_at = wita
        case_id = case.id
    with database.reader() as session:
        loaded = session.get(Case, case_id)
        assert loaded is not None
        assert loaded.received_at == wita
        assert loaded.received_at.tzinfo == UTC
        assert loaded.received_at.hour == 0
        # ordering and comparison happen in SQL on UTC values
        found = session.execute(select(Case.id).where(Case.received_at < NOW + timedelta(seconds=1))).all()
        assert len(found) == 1


def test_naive_instants_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="timezone-aware"), database.transaction() as session:
        case = make_case(session)
        case.closed_at = datetime(2026, 11, 30, 8, 0)
        session.flush()


def test_case_routes_and_step_events(database: Database) -> None:
    with database.transaction() as session:
        case = make_case(session)
        route = CaseRoute(case_id=case.id, opd_code="DISHUB", created_at=NOW)
        session.add(route)
        session.flush()
        session.add_all(
            [
                StepEvent(
                    case_id=case.id,
                    step=1,
                    actor_role="ADMIN",
                    started_at=NOW,
                    due_at=NOW,
                    finished_at=NOW,
                    outcome="done",
                    business_seconds=0,
                    on_time=True,
                ),
                StepEvent(
                    case_id=case.id,
                    route_id=route.id,
                    route_key=route.id,
                    step=5,
                    actor_role="SEKRETARIS",
                    opd_code="DISHUB",
                    started_at=NOW,
                    due_at=NOW + timedelta(hours=1),
                ),
            ]
        )
        session.add(AuditEntry(at=NOW, actor="system", action="case.registered", case_id=case.id))
    with database.reader() as session:
        loaded = session.execute(select(Case)).scalar_one()
        assert [r.opd_code for r in loaded.routes] == ["DISHUB"]
        assert loaded.complainant is not None and loaded.complainant.name == "Siti Rahma"
        open_steps = session.execute(select(StepEvent.step).where(StepEvent.finished_at.is_(None))).scalars()
        assert list(open_steps) == [5]


def test_a_step_cannot_start_twice(database: Database) -> None:
    with database.transaction() as session:
        case_id = make_case(session).id
    with pytest.raises(IntegrityError), database.transaction() as session:
        for _ in range(2):
            session.add(StepEvent(case_id=case_id, step=2, actor_role="IKP", started_at=NOW, due_at=NOW))
        session.flush()


def test_outbox_message_id_is_unique(database: Database) -> None:
    def mail() -> OutboxMail:
        return OutboxMail(
            message_id="<a@b>",
            kind="ack",
            to_addr="x@y.id",
            subject="s",
            raw=b"r",
            next_attempt_at=NOW,
            created_at=NOW,
        )

    with database.transaction() as session:
        session.add(mail())
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(mail())
        session.flush()


def test_failed_transaction_leaves_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        make_case(session)
        next_value(session, "case", "2026")
        raise RuntimeError("crash before commit")
    with database.reader() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 0
        assert current_value(session, "case", "2026") == 0


def test_a_reader_sees_one_snapshot_on_both_databases(database: Database) -> None:
    """A report reads in several statements (counts, then the index inside one value bin): a
    commit landing between them must not show in the later ones. SQLite's deferred read
    transaction keeps its first snapshot; PostgreSQL's readers run in REPEATABLE READ for it."""

    def cases(session: Any) -> int:
        return int(session.execute(select(func.count()).select_from(Case)).scalar_one())

    with database.reader() as session:
        assert cases(session) == 0
        with database.transaction() as writer:
            make_case(writer)
        assert cases(session) == 0  # still the snapshot of the first read
    with database.reader() as session:
        assert cases(session) == 1


def test_counters_count_per_name_and_period(database: Database) -> None:
    with database.transaction() as session:
        assert [next_value(session, "case", "2026") for _ in range(3)] == [1, 2, 3]
        assert next_value(session, "case", "2027") == 1
        assert next_value(session, "letter:DISHUB", "2026") == 1
    with database.reader() as session:
        assert session.execute(select(func.count()).select_from(Counter)).scalar_one() == 3


def _bump_many(url: str, count: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    db = Database(url)
    got = []
    for _ in range(count):
        with db.transaction() as session:
            got.append(next_value(session, "case", "2026"))
    db.dispose()
    queue.put(got)


@pytest.mark.slow
def test_counters_are_gapless_across_processes(database: Database) -> None:
    """Four processes take numbers at once; together they hold 1..N exactly once each."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_bump_many, args=(database.url, 25, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    numbers = [n for _ in workers for n in queue.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sorted(numbers) == list(range(1, 101))


def test_sqlite_runs_in_wal_mode(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
