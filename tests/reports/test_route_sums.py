"""The stored per-route sums (migration 0009) never change a figure, on both databases.

The case and route timing read `report_route_sums` for the cases without a mark in
`report_dirty_cases` and compute the marked cases' sums from step_events in the same query; the
marks are written by triggers in the event's own transaction. Every report's figures must equal
those of the implementation before issue 16 (tests/reports/legacy_figures.py, which reads only the
raw events) with the sums folded in, after a late event for a period long past, a reopened case,
a rolled back transaction and a writer killed with SIGKILL in the middle of its transaction; and
the migration's backfill of an upgraded site must equal the sums computed from the events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from mailflow.adapters.db.models import Case, ReportDirtyCase, ReportRouteSum, StepEvent
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.sop import Sop
from mailflow.services.reports.figures import SUM_COLUMNS, computed_sums, refresh_route_sums
from tests.reports.history import (
    kill_writer_in_its_transaction,
    late_events,
    same_as_raw,
    seed,
    unchanged,
)

pytestmark = pytest.mark.slow


def stored(database: Database) -> list[tuple[Any, ...]]:
    table = ReportRouteSum.__table__
    with database.reader() as session:
        return sorted(tuple(row) for row in session.execute(select(*(table.c[n] for n in SUM_COLUMNS))))


def from_events(database: Database) -> list[tuple[Any, ...]]:
    with database.reader() as session:
        sums = computed_sums(select(Case.id))
        return sorted(tuple(row) for row in session.execute(select(*(sums.c[n] for n in SUM_COLUMNS))))


def marks(database: Database) -> int:
    with database.reader() as session:
        return int(session.execute(select(func.count()).select_from(ReportDirtyCase)).scalar_one())


def test_sums_stay_exact_after_late_events_reopening_and_folding(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    assert marks(history) > 10_000  # every finished event was marked by the triggers
    before = same_as_raw(history, calendar, sop)  # all computed from the events
    assert refresh_route_sums(history, at_least=1) > 10_000
    assert marks(history) == 0 and stored(history) == from_events(history)
    assert same_as_raw(history, calendar, sop) == before  # all read from the stored sums

    # a late event: a step of a case finished on a day long past (February, November)
    late_events(history)
    assert 0 < marks(history) <= 4
    after = same_as_raw(history, calendar, sop)
    assert after != before

    # a reopened case: closed in the year, opened again (its sums change), then closed later
    with history.transaction() as session:
        case_id, closed_at = session.execute(
            select(Case.id, Case.closed_at)
            .where(Case.status == "closed", Case.closed_at < datetime(2026, 6, 1, tzinfo=UTC))
            .order_by(Case.id)
            .limit(1)
        ).one()
        session.execute(update(Case).where(Case.id == case_id).values(status="open", closed_at=None))
        last = session.execute(
            select(StepEvent).where(StepEvent.case_id == case_id).order_by(StepEvent.id.desc()).limit(1)
        ).scalar_one()
        again = StepEvent(
            case_id=case_id, route_key=0, step=10, attempt=last.attempt + 5, track="normal",
            actor_role="IKP", started_at=closed_at, due_at=closed_at + timedelta(hours=1),
            reminders_sent=0,
        )  # fmt: skip
        session.add(again)
    reopened = same_as_raw(history, calendar, sop)
    assert reopened != after
    with history.transaction() as session:
        finish = closed_at + timedelta(days=40)
        session.execute(
            update(StepEvent)
            .where(StepEvent.case_id == case_id, StepEvent.step == 10, StepEvent.finished_at.is_(None))
            .values(
                finished_at=finish,
                outcome="done",
                business_seconds=400_000,
                late_seconds=9_000,
                on_time=False,
            )
        )
        session.execute(update(Case).where(Case.id == case_id).values(status="closed", closed_at=finish))
    closed_again = same_as_raw(history, calendar, sop)
    assert closed_again != reopened

    assert refresh_route_sums(history, at_least=1) > 0
    assert marks(history) == 0 and stored(history) == from_events(history)
    assert same_as_raw(history, calendar, sop) == closed_again


def test_a_rolled_back_event_leaves_no_mark_and_no_change(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    refresh_route_sums(history, at_least=1)
    before = same_as_raw(history, calendar, sop)
    sums = stored(history)
    with pytest.raises(RuntimeError), history.transaction() as session:
        session.execute(
            update(StepEvent)
            .where(StepEvent.outcome == "done", StepEvent.step == 7)
            .values(business_seconds=StepEvent.business_seconds + 1_000_000, on_time=False)
        )
        session.flush()
        assert session.execute(select(func.count()).select_from(ReportDirtyCase)).scalar_one() > 100
        raise RuntimeError("the writer fails after the events were written")
    assert marks(history) == 0 and stored(history) == sums
    unchanged(history, calendar, sop, before)


WRITER = """
import sys, time
from sqlalchemy import update
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import StepEvent
database = Database(sys.argv[1])
with database.transaction() as session:
    session.execute(
        update(StepEvent)
        .where(StepEvent.outcome == "done", StepEvent.step == 7)
        .values(business_seconds=StepEvent.business_seconds + 1_000_000, on_time=False)
    )
    session.flush()  # the events and their marks are written, not committed
    print("written", flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_in_its_transaction_changes_nothing(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    refresh_route_sums(history, at_least=1)
    before = same_as_raw(history, calendar, sop)
    sums = stored(history)
    kill_writer_in_its_transaction(history, WRITER)
    assert marks(history) == 0 and stored(history) == sums
    unchanged(history, calendar, sop, before)


def test_marks_only_for_changes_of_finished_rows(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    refresh_route_sums(history, at_least=1)
    with history.transaction() as session:  # a reminder on an open item: no sum changes
        session.execute(update(StepEvent).where(StepEvent.finished_at.is_(None)).values(reminders_sent=3))
    assert marks(history) == 0
    with history.transaction() as session:  # an open item finished: its case is marked
        first_open, case_id = session.execute(
            select(StepEvent.id, StepEvent.case_id)
            .where(StepEvent.finished_at.is_(None))
            .order_by(StepEvent.id)
            .limit(1)
        ).one()
        session.execute(
            update(StepEvent)
            .where(StepEvent.id == first_open)
            .values(
                outcome="done",
                finished_at=datetime(2026, 12, 31, tzinfo=UTC),
                business_seconds=60,
                on_time=True,
            )
        )
    with history.reader() as session:
        assert set(session.execute(select(ReportDirtyCase.case_id)).scalars()) == {case_id}
    same_as_raw(history, calendar, sop)


@pytest.fixture
def before_sums(empty_site: Database) -> Database:
    """A database at the revision before the sums (an existing site before its upgrade)."""
    upgrade(empty_site, "0007_perf_rounds")
    return empty_site


def test_the_upgrade_backfills_the_sums_of_the_stored_events(
    before_sums: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    seed(before_sums, calendar, sop)  # the events a site holds when it upgrades (no triggers yet)
    upgrade(before_sums)
    assert marks(before_sums) == 0
    assert len(stored(before_sums)) > 1000 and stored(before_sums) == from_events(before_sums)
    same_as_raw(before_sums, calendar, sop)
