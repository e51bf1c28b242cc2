"""The stored per-case sums (migration 0010) never change a figure, on both databases.

The case timing reads `report_case_sums` for the cases without a mark in `report_dirty_cases` and
computes the marked cases from their step events in the same query. A case's row depends on its
finished events (marked by the step_events triggers of 0009) and on its status and closing time
(marked by the triggers on `cases` of 0010). Every figure must equal the raw events' figures
(tests/reports/legacy_figures.py) after a case is closed, reopened and closed again at another
time without any event change, a case is closed without a finished step, late events, a rolled
back transaction and a writer killed with SIGKILL in its transaction; folding the marks must leave
the stored rows equal to the rows computed from the events, and the migration's backfill too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, event, func, inspect, select, update

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import alembic_config, current_revision, upgrade
from mailflow.adapters.db.models import Case, ReportCaseSum, ReportDirtyCase
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.periods import parse_period
from mailflow.domain.sop import Sop
from mailflow.services.reports import figures as new
from mailflow.services.reports.figures import (
    CASE_SUM_COLUMNS,
    case_sums_of,
    computed_sums,
    refresh_route_sums,
)
from tests.reports import history as synthetic
from tests.reports.history import (
    TODAY,
    kill_writer_in_its_transaction,
    late_events,
    plain,
    seed,
    unchanged,
    year_and_months,
)
from tests.reports.test_route_sums import from_events, marks, stored

pytestmark = pytest.mark.slow
BEFORE = "0008_report_rollups"  # the revision before the case sums


def stored_cases(database: Database) -> list[tuple[Any, ...]]:
    table = ReportCaseSum.__table__
    with database.reader() as session:
        rows = session.execute(select(*(table.c[n] for n in CASE_SUM_COLUMNS)))
        return sorted(tuple(row) for row in rows)


def cases_from_events(database: Database) -> list[tuple[Any, ...]]:
    """Every case's row computed from its step events and its own status and closing time."""
    with database.reader() as session:
        rows = session.execute(case_sums_of(select(Case.id), computed_sums(select(Case.id))))
        return sorted(tuple(row) for row in rows)


def same_as_raw(database: Database, calendar: BusinessCalendar, sop: Sop) -> dict[str, Any]:
    """Every figure (and the yearly report's case timing read once for the year and its months)
    equals the raw events' and is returned."""
    raw = synthetic.same_as_raw(database, calendar, sop)
    now, legacy = year_and_months(database, calendar)
    assert now == legacy
    return raw


def year_cases(database: Database, calendar: BusinessCalendar, *, drop_marks: bool) -> Any:
    """The year's case timing per month as the new figures read it, optionally as they would be
    without the dirty marks (in a transaction that is rolled back)."""
    period = parse_period("yearly", "2026", TODAY)
    months = [m.bounds(calendar.zone) for m in period.months()]
    result: Any = None
    with pytest.raises(RuntimeError), database.transaction() as session:
        if drop_marks:
            session.execute(delete(ReportDirtyCase))
        result = plain(new.case_timing(session, period.bounds(calendar.zone), buckets=months))
        raise RuntimeError("roll back")
    return result


def folded(database: Database) -> None:
    """Fold every mark: both stored tables then equal the rows computed from the events."""
    assert refresh_route_sums(database, at_least=1) > 0
    assert marks(database) == 0
    assert stored(database) == from_events(database)
    assert stored_cases(database) == cases_from_events(database)


def test_closing_reopening_and_closing_again_without_event_changes(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    folded(history)
    before = same_as_raw(history, calendar, sop)
    with history.reader() as session:
        case_id, closed_at = session.execute(
            select(Case.id, Case.closed_at)
            .where(Case.status == "closed", Case.closed_at < datetime(2026, 3, 1, tzinfo=UTC))
            .order_by(Case.id)
            .limit(1)
        ).one()

    # reopened: only its status and closed_at change, no step event
    with history.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status="open", closed_at=None))
    assert marks(history) == 1
    reopened = same_as_raw(history, calendar, sop)
    assert reopened != before
    # the mark is what keeps it exact: the stored row alone still counts the case in its month
    assert year_cases(history, calendar, drop_marks=True) != year_cases(history, calendar, drop_marks=False)

    # an update writing the same values changes no figure and leaves no mark
    folded(history)
    with history.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status="open", closed_at=None))
    assert marks(history) == 0
    assert same_as_raw(history, calendar, sop) == reopened

    # closed again months later, still without an event change: it moves to another month
    with history.transaction() as session:
        session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(status="closed", closed_at=closed_at + timedelta(days=120))
        )
    assert marks(history) == 1
    again = same_as_raw(history, calendar, sop)
    assert again not in (before, reopened)
    assert year_cases(history, calendar, drop_marks=True) != year_cases(history, calendar, drop_marks=False)
    # and its closing time moved without a status change
    folded(history)
    with history.transaction() as session:
        session.execute(
            update(Case).where(Case.id == case_id).values(closed_at=closed_at + timedelta(days=200))
        )
    assert marks(history) == 1
    assert same_as_raw(history, calendar, sop) != again
    folded(history)
    same_as_raw(history, calendar, sop)


def test_a_case_closed_without_a_finished_step(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    folded(history)
    before = same_as_raw(history, calendar, sop)
    closing = datetime(2026, 7, 15, 3, tzinfo=UTC)
    with history.transaction() as session:
        # a case rejected at once (no step event at all) and an open case rejected before any of
        # its steps finished
        session.add(
            Case(
                number="ADU-T-0001", channel="email", subject="no steps", status="rejected",
                received_at=closing - timedelta(hours=2), closed_at=closing,
                created_at=closing, updated_at=closing,
            )
        )  # fmt: skip
        session.flush()
        unfinished = session.execute(
            select(Case.id).where(Case.status == "open").order_by(Case.id).limit(1)
        ).scalar_one()
        session.execute(
            update(Case).where(Case.id == unfinished).values(status="rejected", closed_at=closing)
        )
    assert marks(history) == 2  # the insert and the update, by the triggers on cases
    after = same_as_raw(history, calendar, sop)
    assert after["yearly 2026"]["cases"]["rejected"] == before["yearly 2026"]["cases"]["rejected"] + 2
    folded(history)
    with history.reader() as session:
        new_id = session.execute(select(Case.id).where(Case.number == "ADU-T-0001")).scalar_one()
        row = session.execute(
            select(ReportCaseSum.closed_at, ReportCaseSum.seconds, ReportCaseSum.ok).where(
                ReportCaseSum.case_id == new_id
            )
        ).one()
    assert tuple(row) == (closing, 0, 1)
    assert same_as_raw(history, calendar, sop) == after


def test_late_events_and_deleted_cases_stay_exact(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    folded(history)
    before = same_as_raw(history, calendar, sop)
    late_events(history)  # steps finished in February and November, recorded now
    assert 0 < marks(history) <= 4
    after = same_as_raw(history, calendar, sop)
    assert after != before
    folded(history)
    assert same_as_raw(history, calendar, sop) == after
    # a closed case without events, then deleted: its stored row must no longer count (only the
    # trigger on cases marks it)
    closing = datetime(2026, 5, 5, tzinfo=UTC)
    with history.transaction() as session:
        session.add(
            Case(
                number="ADU-T-0002", channel="email", subject="deleted later", status="closed",
                received_at=closing - timedelta(days=1), closed_at=closing,
                created_at=closing, updated_at=closing,
            )
        )  # fmt: skip
    folded(history)
    closed = same_as_raw(history, calendar, sop)
    with history.transaction() as session:
        session.execute(delete(Case).where(Case.number == "ADU-T-0002"))
    assert marks(history) == 1
    assert same_as_raw(history, calendar, sop) != closed
    assert year_cases(history, calendar, drop_marks=True) != year_cases(history, calendar, drop_marks=False)
    folded(history)
    assert same_as_raw(history, calendar, sop) == after


def test_a_rolled_back_status_change_leaves_no_mark_and_no_change(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    folded(history)
    before = same_as_raw(history, calendar, sop)
    rows = stored_cases(history)
    with pytest.raises(RuntimeError), history.transaction() as session:
        session.execute(update(Case).where(Case.status == "closed").values(status="open", closed_at=None))
        session.flush()
        assert session.execute(select(func.count()).select_from(ReportDirtyCase)).scalar_one() > 100
        raise RuntimeError("the writer fails after the cases were written")
    assert marks(history) == 0 and stored_cases(history) == rows
    unchanged(history, calendar, sop, before)


WRITER = """
import sys, time
from datetime import UTC, datetime
from sqlalchemy import update
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case
database = Database(sys.argv[1])
with database.transaction() as session:
    session.execute(
        update(Case).where(Case.status == "closed").values(closed_at=datetime(2026, 12, 30, tzinfo=UTC))
    )
    session.flush()  # the cases and their marks are written, not committed
    print("written", flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_in_its_transaction_changes_nothing(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    folded(history)
    before = same_as_raw(history, calendar, sop)
    rows = stored_cases(history)
    kill_writer_in_its_transaction(history, WRITER)
    assert marks(history) == 0 and stored_cases(history) == rows
    unchanged(history, calendar, sop, before)


@pytest.fixture
def site(empty_site: Database) -> Database:
    """A database with no schema yet (an existing site is migrated to a chosen revision)."""
    return empty_site


def test_the_upgrade_backfills_the_case_sums(site: Database, calendar: BusinessCalendar, sop: Sop) -> None:
    upgrade(site, "0007_perf_rounds")
    seed(site, calendar, sop)  # the events a site holds before either upgrade (no triggers)
    upgrade(site)
    assert marks(site) == 0
    rows = stored_cases(site)
    assert len(rows) > 1000 and rows == cases_from_events(site)
    assert any(seconds == 0 and ok == 1 for _c, _at, seconds, ok in rows)  # cases without a step
    assert any(at is None for _c, at, _s, _ok in rows) and any(ok == 0 for *_rest, ok in rows)
    same_as_raw(site, calendar, sop)


def test_the_upgrade_with_unfolded_marks_stays_exact(
    site: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    upgrade(site, BEFORE)
    seed(site, calendar, sop)  # marked by 0009's triggers; its route sums are stale (empty)
    pending = marks(site)
    assert pending > 1000
    upgrade(site)
    assert marks(site) == pending
    same_as_raw(site, calendar, sop)  # the stale rows are never read while their marks stand
    folded(site)
    same_as_raw(site, calendar, sop)


def test_downgrade_then_upgrade(history: Database, calendar: BusinessCalendar, sop: Sop) -> None:
    folded(history)
    before = same_as_raw(history, calendar, sop)
    command.downgrade(alembic_config(history), BEFORE)
    assert current_revision(history) == BEFORE
    assert "report_case_sums" not in inspect(history.engine).get_table_names()
    # without 0010's triggers a status change marks nothing (0009's on step_events still stand)
    with history.transaction() as session:
        case_id = session.execute(
            select(Case.id).where(Case.status == "closed").order_by(Case.id).limit(1)
        ).scalar_one()
        session.execute(
            update(Case).where(Case.id == case_id).values(closed_at=datetime(2026, 12, 20, tzinfo=UTC))
        )
    assert marks(history) == 0
    upgrade(history)
    assert marks(history) == 0
    assert stored_cases(history) == cases_from_events(history)  # backfilled from the new state
    assert same_as_raw(history, calendar, sop) != before
    with history.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status="open", closed_at=None))
    assert marks(history) == 1  # the triggers are back
    same_as_raw(history, calendar, sop)


def test_a_fold_in_chunks_of_cases_takes_every_mark_once(
    history: Database,
) -> None:
    """Each case marked by every one of its events (13,000 marks for 1,300 cases), folded in
    chunks of 97 cases: every mark is counted and deleted once, and both stored tables equal the
    rows computed from the events."""
    pending = marks(history)
    with history.reader() as session:
        cases = session.execute(select(func.count(ReportDirtyCase.case_id.distinct()))).scalar_one()
    assert pending > 5 * cases > 5 * 97
    recomputed: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith("INSERT INTO report_case_sums"):
            recomputed.append(statement)

    event.listen(history.engine, "before_cursor_execute", count)
    try:
        assert refresh_route_sums(history, at_least=1, chunk=97) == pending  # several chunks
    finally:
        event.remove(history.engine, "before_cursor_execute", count)
    assert len(recomputed) == -(-cases // 97)  # one recomputation per chunk of cases
    assert marks(history) == 0
    assert stored(history) == from_events(history)
    assert stored_cases(history) == cases_from_events(history)
