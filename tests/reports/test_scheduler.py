"""The scheduler: once per period across workers and restarts, catch-up of the latest missed
period only, lease takeover after a crash (a real SIGKILL), retries, interval jobs, and the
report jobs registered by build_scheduler."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import JobRun
from mailflow.clock import ManualClock
from mailflow.services.runtime.scheduler import JobContext, Scheduler
from tests.reports.seed import at

WITA = ZoneInfo("Asia/Makassar")
ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """A job action that counts its runs per period (thread-safe) and can be slow."""

    def __init__(self, pause: float = 0.0) -> None:
        self.pause = pause
        self.runs: Counter[str] = Counter()
        self.contexts: list[JobContext] = []
        self.lock = threading.Lock()

    def __call__(self, job: JobContext) -> str:
        time.sleep(self.pause)
        with self.lock:
            self.runs[job.period] += 1
            self.contexts.append(job)
        return f"ran {job.period}"


def make(database: Database, clock: ManualClock, owner: str, **options: float) -> Scheduler:
    return Scheduler(database, clock, WITA, owner=owner, **options)  # type: ignore[arg-type]


def runs(database: Database) -> list[tuple[str, str, str, str | None]]:
    with database.reader() as session:
        rows = session.execute(select(JobRun).order_by(JobRun.job, JobRun.period)).scalars()
        return [(r.job, r.period, r.status, r.owner) for r in rows]


def test_weekly_and_daily_jobs_run_once_per_period(database: Database) -> None:
    clock = ManualClock(at("2026-11-30", "07:00"))
    weekly, daily = Recorder(), Recorder()
    scheduler = make(database, clock, "w1")
    scheduler.weekly("weekly-email", "monday", "07:30", weekly)
    scheduler.daily("daily-report", "16:30", daily)
    # The very first tick catches up the latest occurrences: last Monday's and yesterday's.
    scheduler.run_pending(at("2026-11-30", "07:29"))
    assert dict(weekly.runs) == {"2026-W48": 1}
    assert dict(daily.runs) == {"2026-11-29": 1}
    assert scheduler.run_pending(at("2026-11-30", "07:29:30")) == []
    outcomes = scheduler.run_pending(at("2026-11-30", "07:30"))
    assert [(o.job, o.period, o.status) for o in outcomes] == [("weekly-email", "2026-W49", "done")]
    assert weekly.contexts[-1].scheduled_for == at("2026-11-30", "07:30")
    for minute in range(31, 60, 7):
        scheduler.run_pending(at("2026-11-30", f"07:{minute}"))
    scheduler.run_pending(at("2026-11-30", "16:30"))
    scheduler.run_pending(at("2026-11-30", "23:59"))
    assert weekly.runs["2026-W49"] == 1
    assert dict(daily.runs) == {"2026-11-29": 1, "2026-11-30": 1}
    assert ("weekly-email", "2026-W49", "done", "w1") in runs(database)


def test_a_restarted_worker_does_not_repeat_a_period(database: Database) -> None:
    clock = ManualClock(at("2026-11-30", "16:30"))
    first = Recorder()
    before = make(database, clock, "before-restart")
    before.daily("daily-report", "16:30", first)
    before.run_pending(at("2026-11-30", "16:31"))
    after, second = make(database, clock, "after-restart"), Recorder()
    after.daily("daily-report", "16:30", second)
    assert after.run_pending(at("2026-11-30", "16:45")) == []
    assert after.run_pending(at("2026-12-01", "16:30"))[0].period == "2026-12-01"
    assert dict(first.runs) == {"2026-11-30": 1}
    assert dict(second.runs) == {"2026-12-01": 1}


def test_downtime_is_caught_up_once_for_the_latest_period(database: Database) -> None:
    clock = ManualClock(at("2026-11-30", "16:30"))
    recorder = Recorder()
    scheduler = make(database, clock, "w1")
    scheduler.daily("daily-report", "16:30", recorder)
    scheduler.run_pending(at("2026-11-30", "16:30"))
    # Down from Monday evening until Thursday 09:00: Tuesday's and Wednesday's 16:30 were missed.
    restarted = make(database, clock, "w2")
    restarted.daily("daily-report", "16:30", recorder)
    outcomes = restarted.run_pending(at("2026-12-03", "09:00"))
    assert [o.period for o in outcomes] == ["2026-12-02"]  # only the latest missed period
    assert restarted.run_pending(at("2026-12-03", "09:01")) == []
    assert dict(recorder.runs) == {"2026-11-30": 1, "2026-12-02": 1}
    assert [r[1] for r in runs(database)] == ["2026-11-30", "2026-12-02"]


def test_two_workers_run_each_period_once(database: Database) -> None:
    """Two workers (own engines, as two processes would have) tick at the same instants."""
    clock = ManualClock(at("2026-11-30", "16:30"))
    recorder = Recorder(pause=0.05)
    workers = []
    for name in ("worker-a", "worker-b"):
        own = Database(database.url)
        scheduler = make(own, clock, name)
        scheduler.daily("daily-report", "16:30", recorder)
        workers.append((own, scheduler))
    days = [at("2026-12-01", "16:30") + timedelta(days=n) for n in range(6)]
    barrier = threading.Barrier(2)
    winners: list[str] = []

    def tick(scheduler: Scheduler) -> None:
        for moment in days:
            barrier.wait()
            for outcome in scheduler.run_pending(moment):
                winners.append(f"{scheduler.owner}:{outcome.period}")

    threads = [threading.Thread(target=tick, args=(s,)) for _, s in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for own, _ in workers:
        own.dispose()
    assert all(count == 1 for count in recorder.runs.values())
    assert sorted(recorder.runs) == [d.astimezone(WITA).date().isoformat() for d in days]
    assert len(winners) == len(days)
    assert {r[2] for r in runs(database)} == {"done"}


@pytest.mark.slow
@pytest.mark.postgres
def test_a_killed_run_is_taken_over_after_its_lease(
    pg_cluster: object, pg_template: str, tmp_path: Path
) -> None:
    from tests.conftest import new_pg_database  # noqa: PLC0415

    url = new_pg_database(pg_cluster, pg_template)  # type: ignore[arg-type]
    database = Database(url)
    start = at("2026-11-30", "16:30")
    marker, errors = tmp_path / "started", tmp_path / "child.err"
    with errors.open("wb") as err:
        child = subprocess.Popen(  # a real worker process, killed in the middle of its run
            [sys.executable, "-m", "tests.reports.scheduler_child", url, str(marker), start.isoformat()],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, errors.read_text()
            assert time.monotonic() < deadline, "the child never started its job"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    assert runs(database) == [("report", "2026-11-30", "running", "child")]
    recorder = Recorder()
    survivor = make(database, ManualClock(start), "survivor", lease_seconds=60)
    survivor.daily("report", "16:30", recorder)
    assert survivor.run_pending(start + timedelta(seconds=30)) == []  # the lease still holds
    outcomes = survivor.run_pending(start + timedelta(seconds=61))
    assert [(o.period, o.status) for o in outcomes] == [("2026-11-30", "done")]
    assert runs(database) == [("report", "2026-11-30", "done", "survivor")]
    database.dispose()


def test_a_failed_run_is_retried_after_the_delay(database: Database) -> None:
    clock = ManualClock(at("2026-11-30", "16:30"))
    attempts: list[datetime] = []

    def flaky(job: JobContext) -> str:
        attempts.append(job.now)
        if len(attempts) == 1:
            raise RuntimeError("SMTP server down")
        return "ok"

    scheduler = make(database, clock, "w1", retry_seconds=900)
    scheduler.daily("daily-report", "16:30", flaky)
    (first,) = scheduler.run_pending(at("2026-11-30", "16:30"))
    assert (first.status, first.detail) == ("failed", "SMTP server down")
    with database.reader() as session:
        row = session.execute(select(JobRun)).scalar_one()
        assert row.detail == "RuntimeError: SMTP server down"
    clock.set(at("2026-11-30", "16:35"))
    assert scheduler.run_pending(at("2026-11-30", "16:35")) == []  # within the retry delay
    clock.set(at("2026-11-30", "16:46"))
    assert [o.status for o in scheduler.run_pending(at("2026-11-30", "16:46"))] == ["done"]
    assert len(attempts) == 2


def test_interval_jobs_run_once_per_interval_across_workers(database: Database) -> None:
    t0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    clock = ManualClock(t0)
    recorder = Recorder()
    a, b = make(database, clock, "a"), make(database, clock, "b")
    for scheduler in (a, b):
        scheduler.every("reminders", 60, recorder)
    ran = []
    for seconds in (0, 1, 30, 59, 60, 61, 90, 125):
        moment = t0 + timedelta(seconds=seconds)
        clock.set(moment)
        for scheduler in (a, b):
            ran += [(seconds, scheduler.owner) for _ in scheduler.run_pending(moment)]
    assert [s for s, _ in ran] == [0, 60, 125]
    assert recorder.runs == Counter({"every": 3})
    assert [r[:3] for r in runs(database)] == [("reminders", "every", "done")]


@pytest.mark.slow
def test_a_long_run_keeps_its_lease(sqlite_db: Database) -> None:
    """The heartbeat extends the lease while the job runs, so nobody takes a live run over."""
    clock = ManualClock(at("2026-11-30", "16:30"))
    owner = make(sqlite_db, clock, "owner", lease_seconds=3)
    rival = make(sqlite_db, clock, "rival", lease_seconds=3)
    stolen: list[str] = []

    def long_job(job: JobContext) -> str:
        for _ in range(4):  # 4 s of clock time in 4 s of real time; the lease alone covers 3 s
            time.sleep(1)
            clock.advance(timedelta(seconds=1))
            stolen.extend(o.period for o in rival.run_pending(clock.now()))
        return "long"

    owner.daily("report", "16:30", long_job)
    rival.daily("report", "16:30", lambda job: "rival")
    outcomes = owner.run_pending(at("2026-11-30", "16:30"))
    assert [o.status for o in outcomes] == ["done"]
    assert stolen == []
    assert runs(sqlite_db) == [("report", "2026-11-30", "done", "owner")]


def test_the_thread_loop_ticks_and_stops(sqlite_db: Database) -> None:
    clock = ManualClock(at("2026-11-30", "16:31"))
    recorder = Recorder()
    scheduler = make(sqlite_db, clock, "loop", tick_seconds=0.05)
    scheduler.daily("daily-report", "16:30", recorder)
    thread = scheduler.start()
    deadline = time.monotonic() + 10
    while not recorder.runs and time.monotonic() < deadline:
        time.sleep(0.02)
    scheduler.stop()
    assert not thread.is_alive()
    assert dict(recorder.runs) == {"2026-11-30": 1}


def test_names_are_unique_and_schedules_valid(sqlite_db: Database) -> None:
    scheduler = make(sqlite_db, ManualClock(at("2026-11-30", "08:00")), "x")
    scheduler.daily("a", "16:30", Recorder())
    with pytest.raises(ValueError, match="twice"):
        scheduler.daily("a", "17:00", Recorder())
    with pytest.raises(ValueError, match="JJ:MM"):
        scheduler.daily("b", "half past four", Recorder())
    with pytest.raises(ValueError, match="positive"):
        scheduler.every("c", 0, Recorder())
