"""A small scheduler for `mailflow run`: calendar jobs run once per period, interval jobs every N s.

Jobs are registered with a name, a schedule and a callable:

* `Daily(time)` / `Weekly(weekday, time)` (local time of the city): the job runs once for each
  occurrence. A tick looks only at the **latest** occurrence not after `now`; if no worker has
  finished it, this worker runs it. So after downtime the missed period is caught up once, and
  older missed periods are skipped (only the latest counts), as the reports want.
* `Every(seconds)`: runs when the last finished run is at least `seconds` old; no catch-up.

Once-only across workers and restarts rests on the `job_runs` table: one row per (job, period)
under a unique key. A worker claims a period by inserting the row (a second worker's insert
fails) or, when the row's lease has expired (a crashed or failed run), by a conditional UPDATE
that only one worker can win. While a job runs, a heartbeat thread extends the lease; at the end
the row is marked done (or failed, to be retried once its lease runs out). Interval jobs keep
one row per job (period "every") and claim it the same way, so on PostgreSQL only one worker
runs them per interval. Rows of calendar jobs are tiny and one per period; they are kept as the
record of what ran.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.exc import IntegrityError

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import JobRun
from mailflow.clock import Clock
from mailflow.domain.calendar import WEEKDAYS, parse_hhmm
from mailflow.logs import Outage
from mailflow.services.loop_errors import TRANSIENT_ERRORS, failure_kind, short

log = logging.getLogger("mailflow.scheduler")
EVERY = "every"
WEEKLY_EMAIL = "weekly-email"
DAILY_REPORT = "daily-report"


@dataclass(frozen=True)
class Daily:
    at: time

    def latest(self, now_local: datetime) -> tuple[str, datetime] | None:
        candidate = datetime.combine(now_local.date(), self.at, tzinfo=now_local.tzinfo)
        if candidate > now_local:
            candidate -= timedelta(days=1)
        return candidate.date().isoformat(), candidate

    def describe(self) -> str:
        return f"daily at {self.at:%H:%M}"


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Monday
    at: time

    def latest(self, now_local: datetime) -> tuple[str, datetime] | None:
        day = now_local.date() - timedelta(days=(now_local.weekday() - self.weekday) % 7)
        candidate = datetime.combine(day, self.at, tzinfo=now_local.tzinfo)
        if candidate > now_local:
            candidate -= timedelta(days=7)
        year, week, _ = candidate.date().isocalendar()
        return f"{year}-W{week:02d}", candidate

    def describe(self) -> str:
        return f"weekly on {WEEKDAYS[self.weekday]} at {self.at:%H:%M}"


@dataclass(frozen=True)
class Every:
    seconds: float

    def describe(self) -> str:
        return f"every {self.seconds:g} s"


Schedule = Daily | Weekly | Every


@dataclass(frozen=True)
class JobContext:
    """What a job is told: its period key, the occurrence it stands for, and the tick's now."""

    name: str
    period: str
    scheduled_for: datetime | None  # None for interval jobs
    now: datetime


Action = Callable[[JobContext], str | None]


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Schedule
    action: Action


@dataclass(frozen=True)
class Outcome:
    job: str
    period: str
    status: str  # done / failed
    detail: str | None = None


@dataclass
class Scheduler:
    database: Database
    clock: Clock
    zone: tzinfo
    owner: str = field(default_factory=lambda: default_owner())  # noqa: PLW0108 - defined below
    lease_seconds: float = 600.0
    retry_seconds: float = 900.0
    tick_seconds: float = 15.0
    jobs: dict[str, Job] = field(default_factory=dict)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    # --- registration -------------------------------------------------------------------------

    def add(self, name: str, schedule: Schedule, action: Action) -> Job:
        if name in self.jobs:
            raise ValueError(f"job {name!r} is registered twice")
        job = Job(name, schedule, action)
        self.jobs[name] = job
        return job

    def daily(self, name: str, at: str, action: Action) -> Job:
        return self.add(name, Daily(parse_hhmm(at)), action)

    def weekly(self, name: str, weekday: str, at: str, action: Action) -> Job:
        return self.add(name, Weekly(WEEKDAYS.index(weekday.lower()), parse_hhmm(at)), action)

    def every(self, name: str, seconds: float, action: Action) -> Job:
        if seconds <= 0:
            raise ValueError("an interval must be positive")
        return self.add(name, Every(seconds), action)

    # --- one tick -----------------------------------------------------------------------------

    def run_pending(self, now: datetime | None = None) -> list[Outcome]:
        """Run every job that is due at `now` and not yet done by any worker; returns what ran."""
        moment = (now or self.clock.now()).astimezone(UTC)
        outcomes = []
        for job in list(self.jobs.values()):
            due = self._due(job, moment)
            if due is None:
                continue
            period, scheduled = due
            run_id = self._claim(job, period, moment)
            if run_id is None:
                continue
            outcomes.append(self._execute(job, run_id, period, scheduled, moment))
        return outcomes

    def _due(self, job: Job, moment: datetime) -> tuple[str, datetime | None] | None:
        if isinstance(job.schedule, Every):
            return EVERY, None
        return job.schedule.latest(moment.astimezone(self.zone))

    def _claim(self, job: Job, period: str, moment: datetime) -> int | None:
        """Insert the (job, period) row, or take over an expired one; None when another worker
        has it or it is done (for interval jobs: when the last run is too recent)."""
        lease = moment + timedelta(seconds=self.lease_seconds)
        try:
            with self.database.transaction() as session:
                row = JobRun(
                    job=job.name,
                    period=period,
                    status="running",
                    owner=self.owner,
                    started_at=moment,
                    lease_until=lease,
                )
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            pass  # the row exists: see whether it may be taken over
        with self.database.transaction() as session:
            stmt = (
                update(JobRun)
                .where(JobRun.job == job.name, JobRun.period == period, self._claimable(job, moment))
                .values(
                    status="running", owner=self.owner, started_at=moment, lease_until=lease, finished_at=None
                )
                .returning(JobRun.id)
            )
            return session.execute(stmt).scalar_one_or_none()

    @staticmethod
    def _claimable(job: Job, moment: datetime) -> ColumnElement[bool]:
        expired = or_(JobRun.lease_until.is_(None), JobRun.lease_until < moment)
        if isinstance(job.schedule, Every):
            ready = moment - timedelta(seconds=job.schedule.seconds)
            return or_(
                and_(JobRun.status == "running", expired),
                and_(JobRun.status == "failed", expired),
                and_(JobRun.status == "done", JobRun.finished_at <= ready),
            )
        return and_(JobRun.status.in_(("running", "failed")), expired)

    def _execute(
        self, job: Job, run_id: int, period: str, scheduled: datetime | None, moment: datetime
    ) -> Outcome:
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(run_id, stop), daemon=True, name=f"lease-{job.name}"
        )
        beat.start()
        try:
            detail = job.action(JobContext(job.name, period, scheduled, moment))
        except Exception as exc:
            log.exception("job %s (%s) failed", job.name, period)
            stop.set()
            beat.join()
            self._finish(run_id, "failed", f"{type(exc).__name__}: {exc}", self.retry_seconds)
            return Outcome(job.name, period, "failed", str(exc))
        stop.set()
        beat.join()
        self._finish(run_id, "done", detail, None)
        log.info("job %s (%s) done%s", job.name, period, f": {detail}" if detail else "")
        return Outcome(job.name, period, "done", detail)

    def _heartbeat(self, run_id: int, stop: threading.Event) -> None:
        interval = max(0.05, self.lease_seconds / 3)
        while not stop.wait(interval):
            try:
                with self.database.transaction() as session:
                    session.execute(
                        update(JobRun)
                        .where(JobRun.id == run_id, JobRun.owner == self.owner)
                        .values(lease_until=self.clock.now() + timedelta(seconds=self.lease_seconds))
                    )
            except Exception:
                log.warning("could not extend the lease of job run %s", run_id, exc_info=True)

    def _finish(self, run_id: int, status: str, detail: str | None, retry_after: float | None) -> None:
        now = self.clock.now()
        lease = now + timedelta(seconds=retry_after) if retry_after is not None else None
        with self.database.transaction() as session:
            result = session.execute(
                update(JobRun)
                .where(JobRun.id == run_id, JobRun.owner == self.owner)
                .values(
                    status=status, finished_at=now, lease_until=lease, detail=(detail or "")[:2000] or None
                )
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                log.warning("job run %s was taken over by another worker before it finished", run_id)

    # --- the loop of `mailflow run` ------------------------------------------------------------

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Tick until `stop` (or `self.stop()`) is set; a failing tick is logged, not fatal."""
        event = stop or self._stop
        outage = Outage(log, "scheduler")
        while not event.is_set():
            try:
                self.run_pending()
                outage.recovered()
            except TRANSIENT_ERRORS as exc:  # the database is away: logged once a minute
                outage.failed(failure_kind(exc), short(exc))
            except Exception as exc:
                log.exception("scheduler tick failed")
                outage.failed("other", short(exc), level=logging.ERROR)
            event.wait(self.tick_seconds)

    def start(self) -> threading.Thread:
        """Run the loop in a daemon thread (for `mailflow run`)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="scheduler", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
