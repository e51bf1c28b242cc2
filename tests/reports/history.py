"""The history the reports' rollup tests run on, and the figures they compare.

The hand-checked seed (tests/reports/seed.py) plus 1,200 synthetic cases from the reports
benchmark (about 13,000 step events over 2026: 20 OPDs, 12 % with two routes, rejections, about
8 % late steps, the last days still open and overdue), with awkward rows added: finished items
without business seconds, cancelled and superseded items, second attempts.

Seeding takes seconds, so tests/reports/conftest.py seeds it once per session and backend and
hands each test a copy (`history`). `every_figure` computes every report's figures with either
implementation: services/reports/figures.py (`new`) or the one before issue 16
(tests/reports/legacy_figures.py, which reads only the raw events).
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from benchmarks.reports import CASE_COLUMNS, EVENT_COLUMNS, ROUTE_COLUMNS, History
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, CaseRoute, StepEvent
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.periods import parse_period
from mailflow.domain.sop import Sop
from mailflow.services.reports import figures as new
from tests.reports import legacy_figures as old
from tests.reports.seed import seed_history

ROOT = Path(__file__).resolve().parents[2]

TODAY = date(2027, 1, 4)
NOW = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)
OFFSET = 100_000  # synthetic ids start here, clear of the seed's
PERIODS = [
    ("yearly", "2026"),
    ("semester", "2026-S1"),
    ("semester", "2026-S2"),
    ("monthly", "2026-02"),
    ("monthly", "2026-11"),
    ("monthly", "2026-12"),
    ("weekly", "2026-W50"),
    ("weekly", "2026-W53"),
    ("daily", "2026-12-22"),
]
# The periods the rollup tests compare after each change: one of each kind and path (the long
# periods' per-month buckets, a month with the late events, a week with its trend, a day). The
# full list runs in test_figures_equivalence.
ROLLUP_PERIODS = [
    ("yearly", "2026"),
    ("semester", "2026-S1"),
    ("monthly", "2026-02"),
    ("weekly", "2026-W50"),
    ("daily", "2026-12-22"),
]


def _rows(columns: list[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    result = []
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        for key, value in values.items():
            if isinstance(value, datetime):
                values[key] = value.replace(tzinfo=UTC)
        values["id"] += OFFSET
        for key in ("case_id", "route_id"):
            if values.get(key) is not None:
                values[key] += OFFSET
        if values.get("route_key"):
            values["route_key"] += OFFSET
        result.append(values)
    return result


def _awkward(events: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Rows the engine also writes: no business seconds, void items, a second attempt."""
    extra = []
    next_id = max(e["id"] for e in events) + 1
    for index, event in enumerate(events):
        if event["finished_at"] is None:
            if index % 23 == 0:
                event["outcome"] = "cancelled"  # withdrawn while open: no finish
            continue
        if index % 41 == 0:
            event["business_seconds"] = None
        elif index % 53 == 0:
            event["outcome"] = "superseded"
        elif index % 67 == 0 and event["outcome"] == "done":
            # the step was done again: attempt 2, finished later, late this time
            again = dict(event, id=next_id, attempt=2, on_time=False)
            again["started_at"] = event["finished_at"]
            again["finished_at"] = event["finished_at"] + timedelta(hours=rng.randint(1, 72))
            again["business_seconds"] = rng.randint(0, 200_000)
            next_id += 1
            extra.append(again)
    return events + extra


def seed(database: Database, calendar: BusinessCalendar, sop: Sop) -> None:
    seed_history(database, calendar, sop)
    history = History(1200, seed=7)
    events = _awkward(_rows(EVENT_COLUMNS, history.events), random.Random(7))
    with database.transaction() as session:
        session.execute(insert(Case), _rows(CASE_COLUMNS, history.cases))
        session.execute(insert(CaseRoute), _rows(ROUTE_COLUMNS, history.routes))
        session.execute(insert(StepEvent), events)
    analyze(database)


def analyze(database: Database) -> None:
    """Fresh statistics after a bulk load, as autovacuum would gather them on a live site: without
    them PostgreSQL plans the reports' joins as if the tables were empty."""
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def late_events(database: Database) -> None:
    """Steps recorded after their periods were reported: finished in February and November."""
    with database.transaction() as session:
        case_id = session.execute(select(Case.id).order_by(Case.id.desc()).limit(1)).scalar_one()
        for day, seconds, on_time in ((datetime(2026, 2, 10, 3, tzinfo=UTC), 5400, True),
                                      (datetime(2026, 11, 12, 2, tzinfo=UTC), 99_000, False)):  # fmt: skip
            session.add(
                StepEvent(
                    case_id=case_id, route_key=0, step=11, attempt=9 if on_time else 10, track="normal",
                    actor_role="ADMIN", started_at=day - timedelta(days=1), due_at=day, finished_at=day,
                    outcome="done", business_seconds=seconds, late_seconds=0 if on_time else 600,
                    on_time=on_time, reminders_sent=0,
                )
            )  # fmt: skip


def plain(value: Any) -> Any:
    """Dataclasses of either module as plain values (their classes differ, their fields do not)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def every_figure(
    module: Any,
    database: Database,
    calendar: BusinessCalendar,
    sop: Sop,
    periods: Sequence[tuple[str, str]] = PERIODS,
) -> dict[str, Any]:
    route_steps = [s.number for s in sop.route_steps()]
    result: dict[str, Any] = {}
    with database.reader() as session:
        for kind, name in periods:
            period = parse_period(kind, name, TODAY)
            bounds = period.bounds(calendar.zone)
            months = (
                [m.bounds(calendar.zone) for m in period.months()] if kind in ("semester", "yearly") else []
            )
            key = f"{kind} {name}"
            result[key] = plain(module.compute_figures(session, period, now=NOW, calendar=calendar, sop=sop))
            result[key + " steps by opd"] = plain(
                module.step_timing(session, bounds, by=("opd_code", "step"))
            )
            result[key + " opd steps"] = plain(module.on_time_counts(session, bounds, ("opd_code", "step")))
            if months:
                result[key + " case months"] = plain(module.case_timing(session, bounds, buckets=months))
                result[key + " routes months"] = plain(
                    module.routes_received(session, bounds, route_steps[0], buckets=months)
                )
                result[key + " route timing months"] = plain(
                    module.route_timing(session, bounds, route_steps[-1], buckets=months)
                )
                result[key + " received months"] = module.cases_by_bucket(session, Case.received_at, months)
            if kind == "weekly":
                weeks = period.recent(8)
                for by in ("step", "opd_code"):
                    result[f"{key} trend {by}"] = plain(module.share_history(session, weeks, calendar, by))
    return result


def year_and_months(database: Database, calendar: BusinessCalendar) -> tuple[Any, Any]:
    """The yearly report's cases' timing, whole year and per month: read once and ranked in
    Python by the new figures, two window queries in the previous ones."""
    period = parse_period("yearly", "2026", TODAY)
    bounds = period.bounds(calendar.zone)
    months = [m.bounds(calendar.zone) for m in period.months()]
    with database.reader() as session:
        now = plain(new.case_timing_and_buckets(session, bounds, months))
        before = plain(
            (
                old.case_timing(session, bounds).get((), old.Timing()),
                old.case_timing(session, bounds, buckets=months),
            )
        )
    return now, before


def same_as_raw(database: Database, calendar: BusinessCalendar, sop: Sop) -> dict[str, Any]:
    """The rollup tests' check: the figures of the rollup periods equal the raw events' (the
    implementation before issue 16); returns them."""
    raw = every_figure(old, database, calendar, sop, ROLLUP_PERIODS)
    assert every_figure(new, database, calendar, sop, ROLLUP_PERIODS) == raw
    return raw


def unchanged(database: Database, calendar: BusinessCalendar, sop: Sop, before: dict[str, Any]) -> None:
    """After a change that must leave no trace (rolled back, killed): the new figures still
    equal the raw figures read before it."""
    assert every_figure(new, database, calendar, sop, ROLLUP_PERIODS) == before


def kill_writer_in_its_transaction(database: Database, code: str) -> None:
    """Run `code` (which connects to ``sys.argv[1]``, writes in a transaction, flushes, prints
    "written" and sleeps) in a child process and SIGKILL it before it commits."""
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), database.url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "written"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    database.dispose()  # a SQLite reader must not keep a snapshot from before the kill
