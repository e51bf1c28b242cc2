"""The long reports' step percentiles from value bins (migration 0012) equal the ranks of every value.

`figures.step_timing` finds the bin of each percentile's rank in the kind 3 counts and reads only
that bin's index entries. These tests hold it against the nearest rank computed here from every
value, with the awkward values a bin walk could get wrong: ties on both sides of a bin edge,
zeros and items without business seconds (ranked as 0 s), negative values, values in the same
bins but outside the period or not finished, bins of one value, and both halves of the counts
(deltas not yet folded, then folded).
"""

from __future__ import annotations

import importlib.util
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, insert, inspect, select, text

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import alembic_config, upgrade
from mailflow.adapters.db.models import Case, ReportDayDelta, StepEvent
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.periods import parse_period
from mailflow.domain.value_bins import NEGATIVE, bin_of, bin_range
from mailflow.services.reports import figures
from mailflow.services.reports.day_counts import bin_sql, read_value_bins, refresh_day_counts

TODAY = datetime(2027, 1, 4, tzinfo=UTC).date()
BEFORE = "0010_day_counts"
MIGRATION = (
    Path(__file__).resolve().parents[2] / "mailflow/adapters/db/migrations/versions/0012_report_value_bins.py"
)
EDGES = [0, 1, 9, 10, 11, 99, 100, 109, 110, 999, 1000, 1099, 1100, 9999, 10_000, 99_999, 100_000, 2**31 - 1]


def test_each_value_lies_in_its_bin_and_the_bins_keep_the_values_order() -> None:
    rng = random.Random(5)
    values = sorted(
        {*range(-50, 25_000), *EDGES, *(e - 1 for e in EDGES), *(rng.randrange(2**31) for _ in range(5000))}
    )
    previous = NEGATIVE
    for value in values:
        index = bin_of(value)
        low, high = bin_range(index)
        assert (low is None or low <= value) and value < high, value
        assert index >= previous, value  # never a lower bin for a larger value
        previous = index
    assert bin_of(-1) == bin_of(-(10**9)) == NEGATIVE and bin_range(NEGATIVE) == (None, 0)
    assert bin_range(bin_of(57)) == (57, 58) and bin_range(bin_of(5731)) == (5700, 5800)
    assert bin_range(bin_of(10_500)) == (10_000, 11_000)  # the widest bins: a tenth of their low end


def _migration_bin_sql() -> str:
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.bin_sql("v"))


def test_both_databases_bin_like_python(database: Database) -> None:
    """The SQL of the triggers (migration 0012) and of the fold and re-cut (day_counts) is one
    expression, and each database answers bin_of with it, NULL for NULL."""
    assert _migration_bin_sql() == bin_sql("v")
    values = [*EDGES, *(e - 1 for e in EDGES if e), -1, -86_400, 57, 5731, 123_456_789]
    rows = " UNION ALL ".join(f"SELECT {int(v)} AS v" for v in values)
    with database.reader() as session:
        got = session.execute(text(f"SELECT v, {bin_sql('v')} FROM ({rows}) AS t")).all()
        assert session.execute(text(f"SELECT {bin_sql('NULL')}")).scalar() is None
    assert {int(v): int(b) for v, b in got} == {v: bin_of(v) for v in values}


def nearest_rank(values: list[int], percent: int) -> int:
    ordered = sorted(values)
    return ordered[(percent * len(ordered) + 99) // 100 - 1]


def _events(rng: random.Random, case_id: int) -> tuple[list[dict[str, object]], dict[int, list[int]]]:
    """Finished items of steps 3 and 4 from December 2025 to July 2026, and the values (None as 0)
    each step finished in the first semester of 2026, the period checked."""
    inside = (datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 6, 30, 16, tzinfo=UTC))  # WITA
    rows: list[dict[str, object]] = []
    expected: dict[int, list[int]] = {3: [], 4: []}
    shapes = {
        # step 3: ties on both sides of the 1,000 s and 10,000 s bin edges, zeros, nulls, negatives
        3: lambda: rng.choice(
            [999, 1000, 1000, 1099, 1100, 9999, 10_000, 0, None, -5, rng.randrange(0, 50_000)]
        ),
        # step 4: a wide spread, most of it in a few wide bins
        4: lambda: rng.choice([rng.randrange(10_000, 11_000), rng.randrange(0, 3_000_000), None]),
    }
    start = datetime(2025, 12, 1, tzinfo=UTC)
    for index in range(3000):
        step = 3 if index % 2 else 4
        value = shapes[step]()
        finished = start + timedelta(minutes=rng.randrange(0, 8 * 31 * 24 * 60))
        outcome = rng.choice(["done", "done", "done", "rejected", "superseded"])
        rows.append(
            {
                "case_id": case_id, "route_key": 0, "step": step, "attempt": index + 1, "track": "normal",
                "actor_role": "ADMIN", "started_at": finished - timedelta(hours=1), "due_at": finished,
                "finished_at": finished, "outcome": outcome, "business_seconds": value,
                "late_seconds": 0, "on_time": value is None or value < 5000, "reminders_sent": 0,
            }
        )  # fmt: skip
        if outcome != "superseded" and inside[0] <= finished < inside[1]:
            expected[step].append(0 if value is None else int(value))  # type: ignore[call-overload]
    return rows, expected


def add_events(database: Database) -> dict[int, list[int]]:
    now = datetime(2025, 12, 1, tzinfo=UTC)
    with database.transaction() as session:
        case_id = session.execute(
            insert(Case)
            .values(number="LPR-BINS", received_at=now, created_at=now, updated_at=now)
            .returning(Case.id)
        ).scalar_one()
        rows, expected = _events(random.Random(11), case_id)
        session.execute(insert(StepEvent), rows)
    return expected


@pytest.fixture
def valued(database: Database) -> tuple[Database, dict[int, list[int]]]:
    return database, add_events(database)


def ranked_right(database: Database, expected: dict[int, list[int]], calendar: BusinessCalendar) -> Any:
    """Checks the binned P50 and P90 of the first semester of 2026 against `expected`."""
    semester = parse_period("semester", "2026-S1", TODAY).bounds(calendar.zone)
    with database.reader() as session:
        assert read_value_bins(session, semester) is not None  # the bins serve whole months
        got = figures._step_timing_binned(session, semester)
        assert got is not None
        for step, values in expected.items():
            timing = got[(step,)]
            assert timing.finished == len(values) > 500
            assert (timing.median_seconds, timing.p90_seconds) == (
                nearest_rank(values, 50),
                nearest_rank(values, 90),
            ), step
        # and the report's own entry point takes that way
        assert figures.step_timing(session, semester) == got
    return got


def test_binned_percentiles_equal_the_nearest_rank_of_every_value(
    valued: tuple[Database, dict[int, list[int]]], calendar: BusinessCalendar
) -> None:
    database, expected = valued
    ranked_right(database, expected, calendar)  # from the deltas
    assert refresh_day_counts(database, at_least=1) > 0
    got = ranked_right(database, expected, calendar)  # from the folded months
    # a walk inside a wide bin really happened: step 4's P50 and P90 are no bin's low end
    walked = [got[(4,)].median_seconds, got[(4,)].p90_seconds]
    assert all(bin_range(bin_of(v))[0] != v for v in walked if v >= 10_000)


@pytest.fixture
def at_day_counts(empty_site: Database) -> Database:
    """A site at the day counts (migration 0011), before the value bins."""
    upgrade(empty_site, BEFORE)
    return empty_site


def binned_rows(database: Database) -> int:
    with database.reader() as session:
        return int(
            session.execute(text("SELECT count(*) FROM report_day_counts WHERE kind = 3")).scalar_one()
        )


def test_the_upgrade_bins_the_stored_events_beside_deltas_logged_without_bins(
    at_day_counts: Database, calendar: BusinessCalendar
) -> None:
    database = at_day_counts
    expected = add_events(database)  # logged by 0011's triggers: deltas without a bin
    upgrade(database)
    with database.reader() as session:
        logged = session.execute(select(func.count(), func.count(ReportDayDelta.bin))).one()
    assert logged[0] > 3000 and logged[1] == 0 and binned_rows(database) > 100
    ranked_right(database, expected, calendar)  # the bins from the backfill, the deltas add none
    assert refresh_day_counts(database, at_least=1) > 0
    ranked_right(database, expected, calendar)

    command.downgrade(alembic_config(database), BEFORE)
    assert binned_rows(database) == 0
    assert "bin" not in {c["name"] for c in inspect(database.engine).get_columns("report_day_deltas")}
    with database.transaction() as session:  # 0011's triggers are back and log as before
        session.execute(
            text("UPDATE step_events SET business_seconds = 7 WHERE step = 3 AND business_seconds = 999")
        )
        moved = session.execute(text("SELECT count(*) FROM report_day_deltas")).scalar_one()
    assert moved == 0  # 0011 logs whether business seconds are set, not their value
    upgrade(database)
    assert binned_rows(database) > 100
    with database.reader() as session:
        sevens = session.execute(
            text("SELECT sum(n) FROM report_day_counts WHERE kind = 3 AND step = 3 AND flag = 107")
        ).scalar_one()
    assert sevens and sevens > 20  # the values changed while downgraded were binned anew


def raw_ranks(session: Any, bounds: tuple[datetime, datetime]) -> dict[int, tuple[int, int]]:
    """(P50, P90) per step of the items finished in `bounds`, from every row."""
    values: dict[int, list[int]] = {3: [], 4: []}
    for step, value in session.execute(
        select(StepEvent.step, StepEvent.business_seconds).where(
            StepEvent.outcome.in_(("done", "rejected")),
            StepEvent.finished_at >= bounds[0],
            StepEvent.finished_at < bounds[1],
        )
    ):
        values[step].append(0 if value is None else value)
    return {step: (nearest_rank(seen, 50), nearest_rank(seen, 90)) for step, seen in values.items()}


def test_periods_off_whole_months_are_ranked_the_other_ways_and_one_month_takes_the_bins(
    valued: tuple[Database, dict[int, list[int]]], calendar: BusinessCalendar
) -> None:
    database, _expected = valued
    start, end = parse_period("semester", "2026-S1", TODAY).bounds(calendar.zone)
    shifted = (start + timedelta(days=3), end + timedelta(days=3))  # local midnights, not months
    march = parse_period("monthly", "2026-03", TODAY).bounds(calendar.zone)
    with database.reader() as session:
        assert read_value_bins(session, shifted) is None
        assert figures._step_timing_binned(session, shifted) is None
        for bounds in (shifted, march):
            got = figures.step_timing(session, bounds)
            assert {step: (t.median_seconds, t.p90_seconds) for (step,), t in got.items()} == raw_ranks(
                session, bounds
            )
        assert figures._step_timing_binned(session, march) == figures.step_timing(session, march)
