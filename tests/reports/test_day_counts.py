"""The per-local-day counts (migration 0011) never change a figure, on both databases.

The long reports' finished, on-time and started counts (long_counts, on_time_counts, started_counts,
routes_received) read `report_day_counts` UNION ALL the signed deltas the triggers on step_events
append in the event's own transaction, whenever the period's bounds are local midnights at the
stored offset; the raw events otherwise. Every figure must equal the implementation before issue 16
(tests/reports/legacy_figures.py, raw events only) after late events, a finish moved across a
local midnight, an on-time flag flipped, a delete, a rolled back transaction, a writer killed with
SIGKILL in its transaction, folds, a zone with another offset (the days re-cut) or with daylight
saving time, and the backfill of an upgraded site, its downgrade and upgrade again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, func, inspect, select, text, update

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import alembic_config, upgrade
from mailflow.adapters.db.models import ReportDayCount, ReportDayDelta, ReportDaySetting, StepEvent
from mailflow.bootstrap import build_calendar
from mailflow.config.model import GeneralSection, Settings
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.sop import Sop
from mailflow.domain.value_bins import bin_of
from mailflow.services.reports import figures as new
from mailflow.services.reports.day_counts import (
    FINISHED_KIND,
    MONTHLY,
    STARTED_KIND,
    VALUE_KIND,
    fixed_offset,
    local_day,
    read_day_counts,
    refresh_day_counts,
)
from tests.conftest import copied_pg_database
from tests.fixtures.postgres import PostgresCluster
from tests.reports import legacy_figures as old
from tests.reports.history import (
    NOW,
    every_figure,
    kill_writer_in_its_transaction,
    late_events,
    same_as_raw,
    seed,
    unchanged,
)

pytestmark = pytest.mark.slow
BEFORE = "0009_case_sums"
WITA = 480


def stored(database: Database) -> Counter[tuple[Any, ...]]:
    """The counts as the reports see them: folded rows plus the deltas, per (kind, day, step,
    opd_code, flag), each day cut at the stored offset; zero sums dropped."""
    totals: Counter[tuple[Any, ...]] = Counter()
    with database.reader() as session:
        offset = session.execute(select(ReportDaySetting.offset_minutes)).scalar_one()
        for row in session.execute(select(ReportDayCount)).scalars():
            key = (row.kind, row.local_day, row.step, row.opd_code, row.flag)
            totals[(*key, "n")] += row.n
            totals[(*key, "ok")] += row.ok
            totals[(*key, "nulls")] += row.nulls
        for d in session.execute(select(ReportDayDelta)).scalars():
            key = (d.kind, local_day(d.at, offset), d.step, d.opd_code, d.flag)
            totals[(*key, "n")] += d.n
            totals[(*key, "ok")] += d.ok
            totals[(*key, "nulls")] += d.nulls
            if d.bin is not None:  # a finished delta is its month's value-bin delta too
                totals[(VALUE_KIND, month_of(d.at, offset), d.step, None, d.bin, "n")] += d.n
            month = (MONTHLY[d.kind], month_of(d.at, offset), d.step, d.opd_code, d.flag)
            totals[(*month, "n")] += d.n  # and its month row's delta
            totals[(*month, "ok")] += d.ok
            totals[(*month, "nulls")] += d.nulls
    return Counter({k: v for k, v in totals.items() if v})


def month_of(instant: datetime, offset: int) -> date:
    return local_day(instant, offset).replace(day=1)


def from_events(database: Database, offset: int) -> Counter[tuple[Any, ...]]:
    """The same counts computed here from every step event (independent of the SQL)."""
    totals: Counter[tuple[Any, ...]] = Counter()
    with database.reader() as session:
        for e in session.execute(select(StepEvent)).scalars():
            if e.outcome in ("done", "rejected") and e.finished_at is not None:
                key = (
                    FINISHED_KIND,
                    local_day(e.finished_at, offset),
                    e.step,
                    e.opd_code,
                    int(e.route_key != 0),
                )
                totals[(*key, "n")] += 1
                totals[(*key, "ok")] += 1 if e.on_time else 0
                totals[(*key, "nulls")] += 1 if e.business_seconds is None else 0
                if e.business_seconds is not None:
                    bin_key = (VALUE_KIND, month_of(e.finished_at, offset), e.step, None)
                    totals[(*bin_key, bin_of(e.business_seconds), "n")] += 1
            first = int(e.route_key != 0 and e.attempt == 1)
            code = e.opd_code if first else None  # the OPD is kept for a route's first attempt only
            totals[(STARTED_KIND, local_day(e.started_at, offset), e.step, code, first, "n")] += 1
    for (kind, day, *rest), value in list(totals.items()):
        if kind in MONTHLY:  # kinds 1 and 2 once more per month
            totals[(MONTHLY[kind], day.replace(day=1), *rest)] += value
    return Counter({k: v for k, v in totals.items() if v})


def deltas(database: Database) -> int:
    with database.reader() as session:
        return int(session.execute(select(func.count()).select_from(ReportDayDelta)).scalar_one())


def offset_of(database: Database) -> int:
    with database.reader() as session:
        return int(session.execute(select(ReportDaySetting.offset_minutes)).scalar_one())


def year_bounds(calendar: BusinessCalendar) -> tuple[datetime, datetime]:
    zone = calendar.zone
    return datetime(2026, 1, 1, tzinfo=zone).astimezone(UTC), datetime(2027, 1, 1, tzinfo=zone).astimezone(
        UTC
    )


def uses_day_counts(database: Database, bounds: tuple[datetime, datetime]) -> bool:
    with database.reader() as session:
        return read_day_counts(session, FINISHED_KIND, [bounds]) is not None


def test_day_counts_stay_exact_after_late_moved_flipped_and_deleted_events(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    assert offset_of(history) == WITA and deltas(history) > 10_000  # every seeded event logged
    assert uses_day_counts(history, year_bounds(calendar))
    before = same_as_raw(history, calendar, sop)  # every count from the deltas
    assert refresh_day_counts(history, at_least=1) > 10_000
    assert deltas(history) == 0 and stored(history) == from_events(history, WITA)
    assert same_as_raw(history, calendar, sop) == before  # every count from the folded days

    late_events(history)  # finished in February and November, long after they were reported
    assert 0 < deltas(history) <= 4
    after = same_as_raw(history, calendar, sop)
    assert after != before

    # a route step finished on 30 June, the last instant of the local day (SQLite's date() would
    # round .999999 to the next day), then moved across the local midnight into July
    with history.transaction() as session:
        moved = session.execute(
            select(StepEvent.id)
            .where(StepEvent.outcome == "done", StepEvent.route_key != 0, StepEvent.finished_at.is_not(None))
            .where(StepEvent.finished_at >= datetime(2026, 6, 10, tzinfo=UTC))
            .order_by(StepEvent.finished_at)
            .limit(1)
        ).scalar_one()
        last_instant = datetime(2026, 6, 30, 15, 59, 59, 999_999, tzinfo=UTC)  # 23:59:59.999999 WITA
        session.execute(update(StepEvent).where(StepEvent.id == moved).values(finished_at=last_instant))
    assert refresh_day_counts(history, at_least=1) > 0  # folded at the last instant of 30 June
    assert stored(history) == from_events(history, WITA)
    in_june = same_as_raw(history, calendar, sop)
    with history.transaction() as session:
        session.execute(
            update(StepEvent)
            .where(StepEvent.id == moved)
            .values(finished_at=datetime(2026, 6, 30, 16, tzinfo=UTC))  # 1 July 00:00 WITA
        )
    in_july = same_as_raw(history, calendar, sop)
    assert in_july["semester 2026-S1"] != in_june["semester 2026-S1"]

    # on-time flags flipped (late steps in February) and a finished route step deleted
    with history.transaction() as session:
        feb = (datetime(2026, 1, 31, 16, tzinfo=UTC), datetime(2026, 2, 28, 16, tzinfo=UTC))
        flipped = session.execute(
            update(StepEvent)
            .where(StepEvent.outcome == "done", new.in_bounds(StepEvent.finished_at, feb))
            .values(on_time=False)
        ).rowcount
        assert flipped > 50
        gone = session.execute(
            select(StepEvent.id)
            .where(StepEvent.outcome == "done", StepEvent.route_key != 0, StepEvent.attempt == 1)
            .order_by(StepEvent.id.desc())
            .limit(1)
        ).scalar_one()
        session.execute(delete(StepEvent).where(StepEvent.id == gone))
        # a route's first step started a month earlier: routes received move between months
        first_step, started = session.execute(
            select(StepEvent.id, StepEvent.started_at)
            .where(StepEvent.step == sop.route_steps()[0].number, StepEvent.attempt == 1)
            .where(StepEvent.route_key != 0, StepEvent.started_at >= datetime(2026, 7, 10, tzinfo=UTC))
            .order_by(StepEvent.started_at)
            .limit(1)
        ).one()
        session.execute(
            update(StepEvent)
            .where(StepEvent.id == first_step)
            .values(started_at=started - timedelta(days=31))
        )
    changed = same_as_raw(history, calendar, sop)
    assert changed != in_july
    assert refresh_day_counts(history, at_least=1) > 0
    assert deltas(history) == 0 and stored(history) == from_events(history, WITA)
    assert same_as_raw(history, calendar, sop) == changed


def test_updates_that_change_no_count_log_nothing(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    refresh_day_counts(history, at_least=1)
    with history.transaction() as session:  # reminders and escalations count nowhere
        session.execute(
            update(StepEvent)
            .where(StepEvent.finished_at.is_(None))
            .values(reminders_sent=3, escalated_at=datetime(2026, 12, 30, tzinfo=UTC))
        )
    assert deltas(history) == 0
    with history.transaction() as session:  # an open item finished: one +1 finished delta
        first_open = session.execute(
            select(StepEvent.id).where(StepEvent.finished_at.is_(None)).order_by(StepEvent.id).limit(1)
        ).scalar_one()
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
        logged = session.execute(select(ReportDayDelta.kind, ReportDayDelta.n, ReportDayDelta.ok)).all()
    assert [tuple(row) for row in logged] == [(FINISHED_KIND, 1, 1)]
    assert stored(history) == from_events(history, WITA)
    same_as_raw(history, calendar, sop)


def test_changed_business_seconds_move_items_between_value_bins_only(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    """Business seconds changed but still set: the finished deltas log the value's old and new
    bin (-1, +1); the finished counts themselves stay as they were once folded."""
    refresh_day_counts(history, at_least=1)
    counted = stored(history)
    with history.transaction() as session:
        changed = session.execute(
            update(StepEvent)
            .where(StepEvent.business_seconds >= 95, StepEvent.step == 7, StepEvent.finished_at.is_not(None))
            .where(StepEvent.outcome.in_(("done", "rejected")))
            .values(business_seconds=StepEvent.business_seconds * 11 // 10)  # every value leaves its bin
        ).rowcount
    assert changed > 100 and deltas(history) == 2 * changed
    now = stored(history)
    assert now == from_events(history, WITA) and now != counted
    assert {k: v for k, v in now.items() if k[0] != VALUE_KIND} == {
        k: v for k, v in counted.items() if k[0] != VALUE_KIND
    }
    same_as_raw(history, calendar, sop)
    assert refresh_day_counts(history, at_least=1) == 2 * changed
    assert deltas(history) == 0 and stored(history) == now


def test_a_rolled_back_event_logs_nothing_and_changes_nothing(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    refresh_day_counts(history, at_least=1)
    before = same_as_raw(history, calendar, sop)
    with pytest.raises(RuntimeError), history.transaction() as session:
        session.execute(
            update(StepEvent)
            .where(StepEvent.outcome == "done", StepEvent.step == 7)
            .values(outcome="superseded", on_time=False)
        )
        session.flush()
        assert session.execute(select(func.count()).select_from(ReportDayDelta)).scalar_one() > 100
        raise RuntimeError("the writer fails after the events were written")
    assert deltas(history) == 0 and stored(history) == from_events(history, WITA)
    unchanged(history, calendar, sop, before)


WRITER = """
import sys, time
from datetime import timedelta
from sqlalchemy import update
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import StepEvent
database = Database(sys.argv[1])
with database.transaction() as session:
    session.execute(
        update(StepEvent)
        .where(StepEvent.outcome == "done", StepEvent.step == 7)
        .values(outcome="superseded", on_time=False)
    )
    session.flush()  # the events and their deltas are written, not committed
    print("written", flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_in_its_transaction_changes_nothing(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    refresh_day_counts(history, at_least=1)
    before = same_as_raw(history, calendar, sop)
    kill_writer_in_its_transaction(history, WRITER)
    assert deltas(history) == 0 and stored(history) == from_events(history, WITA)
    unchanged(history, calendar, sop, before)


def test_a_zone_with_another_offset_recuts_the_days(database: Database, sop: Sop) -> None:
    """A site configured for Jakarta (+07:00, no DST): its bounds are no WITA midnights, so the
    raw events are read until the refresher re-cuts the days at +07:00; then the day counts
    serve it again. A zone with daylight saving time has no fixed offset: nothing is re-cut, and
    its periods are read from the day counts only where their bounds fall on stored midnights."""
    jakarta = build_calendar(Settings(general=GeneralSection(timezone="Asia/Jakarta")))
    seed(database, jakarta, sop)
    refresh_day_counts(database, at_least=1)
    assert offset_of(database) == WITA and not uses_day_counts(database, year_bounds(jakarta))
    raw = same_as_raw(database, jakarta, sop)  # the raw path
    assert refresh_day_counts(database, jakarta.zone, around=NOW) == -1
    assert offset_of(database) == 420 and deltas(database) == 0
    assert stored(database) == from_events(database, 420)
    assert uses_day_counts(database, year_bounds(jakarta))
    assert same_as_raw(database, jakarta, sop) == raw  # the day counts cut at +07:00
    late_events(database)
    assert refresh_day_counts(database, jakarta.zone, at_least=1, around=NOW) > 0  # a fold, no re-cut
    assert offset_of(database) == 420 and stored(database) == from_events(database, 420)
    same_as_raw(database, jakarta, sop)

    berlin = build_calendar(Settings(general=GeneralSection(timezone="Europe/Berlin")))
    assert fixed_offset(berlin.zone, NOW) is None and fixed_offset(jakarta.zone, NOW) == 420
    assert refresh_day_counts(database, berlin.zone, around=NOW) == 0 and offset_of(database) == 420
    same_as_raw(database, berlin, sop)


def test_bounds_off_local_midnights_read_the_raw_events(
    history: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    refresh_day_counts(history, at_least=1)
    start, end = year_bounds(calendar)
    shifted = (start + timedelta(hours=1), end - timedelta(minutes=30))
    assert not uses_day_counts(history, shifted) and uses_day_counts(history, (start, end))
    months = [
        (start + timedelta(days=30 * i, hours=5), start + timedelta(days=30 * (i + 1), hours=5))
        for i in range(6)
    ]
    with history.reader() as session:
        for bounds in (shifted, (start, end)):
            for by in (("step",), ("opd_code",), ("opd_code", "step")):
                got = new.on_time_counts(session, bounds, by)
                assert got and _plain(got) == _plain(old.on_time_counts(session, bounds, by))
            steps = [s.number for s in sop.steps]
            assert new.started_counts(session, bounds, steps) == old.started_counts(session, bounds, steps)
            assert new.long_counts(session, bounds).per_opd() == {
                key: new.Timing(t.finished, t.on_time)
                for key, t in old.on_time_counts(session, bounds, ("opd_code",)).items()
            }
        first = sop.route_steps()[0].number
        received = new.routes_received(session, shifted, first, buckets=months)
        assert received and received == old.routes_received(session, shifted, first, buckets=months)
        assert _plain(new.on_time_counts(session, shifted, ("step",), buckets=months)) == _plain(
            old.on_time_counts(session, shifted, ("step",), buckets=months)
        )
        # whole local days with a gap between them: the raw reads keep what falls in the gap
        midnight = [(start + timedelta(days=60 * i), start + timedelta(days=60 * i + 30)) for i in range(6)]
        gapped = new.routes_received(session, (start, end), first, buckets=midnight)
        assert any(key[0] is None for key in gapped)
        assert gapped == old.routes_received(session, (start, end), first, buckets=midnight)


def _plain(value: Any) -> Any:
    return {key: (timing.finished, timing.on_time) for key, timing in value.items()}


@pytest.fixture
def before_days(empty_site: Database) -> Database:
    """A database at the revision before the day counts (an existing site before its upgrade)."""
    upgrade(empty_site, BEFORE)
    return empty_site


def test_the_upgrade_backfills_and_a_downgrade_and_upgrade_rebuild(
    before_days: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    seed(before_days, calendar, sop)  # the events a site holds when it upgrades (no triggers yet)
    upgrade(before_days)
    assert deltas(before_days) == 0 and offset_of(before_days) == WITA
    assert len(stored(before_days)) > 1000 and stored(before_days) == from_events(before_days, WITA)
    raw = same_as_raw(before_days, calendar, sop)

    command.downgrade(alembic_config(before_days), BEFORE)
    tables = set(inspect(before_days.engine).get_table_names())
    assert not tables & {"report_day_counts", "report_day_deltas", "report_day_settings"}
    late_events(before_days)  # written while downgraded: no trigger, no delta table
    assert every_figure(old, before_days, calendar, sop) != raw
    upgrade(before_days)
    assert deltas(before_days) == 0 and stored(before_days) == from_events(before_days, WITA)
    with before_days.transaction() as session:  # the triggers are back: the late rows deleted
        session.execute(delete(StepEvent).where(StepEvent.step == 11, StepEvent.attempt.in_([9, 10])))
    assert deltas(before_days) == 4  # each row's finished and started contribution taken back
    assert stored(before_days) == from_events(before_days, WITA)
    same_as_raw(before_days, calendar, sop)


@pytest.fixture
def pg_history_copy(pg_cluster: PostgresCluster, pg_history: str) -> Iterator[Database]:
    with copied_pg_database(pg_cluster, pg_history) as database:
        yield database


@pytest.mark.postgres
def test_postgres_writers_never_wait_and_a_fold_beside_them_stays_exact(
    pg_history_copy: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    """Two writers finishing items on the same day, OPD and step hold no lock the other needs
    (the write path only appends), and a fold running while one of them is uncommitted leaves
    its deltas for later: the figures are exact before and after it commits."""
    database = pg_history_copy
    refresh_day_counts(database, at_least=1)
    first = database.engine.connect()
    second = database.engine.connect()
    try:
        ids = []
        with database.reader() as session:
            ids = list(
                session.execute(
                    select(StepEvent.id)
                    .where(StepEvent.finished_at.is_(None))
                    .order_by(StepEvent.id)
                    .limit(2)
                ).scalars()
            )
        when = datetime(2026, 12, 30, 2, tzinfo=UTC)
        first.begin()
        second.begin()
        for conn, event_id in ((first, ids[0]), (second, ids[1])):
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))  # a wait would fail the test
            conn.execute(
                update(StepEvent)
                .where(StepEvent.id == event_id)
                .values(outcome="done", finished_at=when, business_seconds=10, on_time=True)
            )
        second.commit()  # committed while the first is still open: no wait
        assert refresh_day_counts(database, at_least=1) > 0  # folds the second's delta only
        assert deltas(database) == 0
        mid = same_as_raw(database, calendar, sop)
        first.commit()
        assert deltas(database) == 1
        assert same_as_raw(database, calendar, sop) != mid
        assert refresh_day_counts(database, at_least=1) == 1
        assert stored(database) == from_events(database, WITA)
    finally:
        first.close()
        second.close()
