"""What `mailflow run --metrics` measures: counters fed by the loops, and on each scrape a few
cheap grouped queries (open and overdue steps, the outbox by status) plus the runtime's own
state (parts up, seconds since each mailbox's last successful poll, LibreOffice restarts).

A scrape during a database outage still answers: `mailflow_database_up 0` and no database
figures, instead of an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import distinct, func, select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, Message, OutboxMail, QuarantineItem, StepEvent
from mailflow.adapters.metrics import Metrics
from mailflow.clock import Clock
from mailflow.services.ingest.service import Outcome
from mailflow.services.loop_errors import DATABASE_ERRORS, short
from mailflow.services.outbound.sender import SendStats
from mailflow.services.runtime.runtime import Runtime

log = logging.getLogger("mailflow.metrics")
NO_OPD = ""  # steps before a case reaches an OPD (steps 1-4, 10, 11)


class RunMetrics:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self.metrics = Metrics()
        self.runtime: Runtime | None = None
        self.metrics.add_collector(self.collect)

    def attach(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # --- fed by the loops ---------------------------------------------------------------------

    def outcome_observer(self, mailbox: str, database: Database) -> Callable[[Outcome], None]:
        def observe(outcome: Outcome) -> None:
            if outcome.skipped:
                return
            if outcome.status == "quarantined":
                self.metrics.quarantined.labels(mailbox, _quarantine_code(database, outcome.message_id)).inc()
            elif outcome.status == "ignored":
                self.metrics.ignored.labels(mailbox).inc()
            if outcome.status != "received":
                self.metrics.ingested.labels(mailbox, outcome.kind or "unknown").inc()

        return observe

    def send_pass(self, stats: SendStats) -> None:
        self.metrics.outbox_sent.inc(stats.sent)
        self.metrics.outbox_deferred.inc(stats.deferred)
        self.metrics.outbox_failed.inc(stats.failed)

    def part_restarted(self, part: str) -> None:
        self.metrics.part_restarts.labels(part).inc()

    # --- on each scrape -----------------------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        yield from self._runtime_state()
        up = GaugeMetricFamily("mailflow_database_up", "1 when the scrape could read the database")
        try:
            figures = list(self._database_figures())
        except DATABASE_ERRORS as exc:
            log.debug("metrics: database not readable: %s", short(exc))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures

    def _runtime_state(self) -> Iterator[Metric]:
        runtime = self.runtime
        if runtime is None:
            return
        parts = GaugeMetricFamily(
            "mailflow_part_up", "1 while a part of `mailflow run` is running", labels=["part"]
        )
        if runtime.supervisor is not None:
            for name, alive in runtime.supervisor.alive().items():
                parts.add_metric([name], 1 if alive else 0)
        yield parts
        age = GaugeMetricFamily(
            "mailflow_mailbox_last_poll_age_seconds",
            "Seconds since the mailbox was last read successfully (absent before the first time)",
            labels=["mailbox"],
        )
        now = time.monotonic()
        for poller in runtime.pollers:
            if poller.last_synced is not None:
                age.add_metric([poller.mailbox.name], now - poller.last_synced)
        yield age
        restarts = CounterMetricFamily(
            "mailflow_converter_restarts", "LibreOffice processes started again after the first"
        )
        restarts.add_metric([], runtime.conversion.restarts if runtime.conversion is not None else 0)
        yield restarts

    def _database_figures(self) -> Iterator[Metric]:
        now = self.clock.now()
        open_steps = (
            select(StepEvent.step, StepEvent.opd_code, func.count(distinct(StepEvent.case_id)))
            .join(Case, Case.id == StepEvent.case_id)
            .where(Case.status == "open", StepEvent.finished_at.is_(None))
            .group_by(StepEvent.step, StepEvent.opd_code)
        )
        with self.database.reader() as session:
            open_rows = session.execute(open_steps).all()
            overdue_rows = session.execute(open_steps.where(StepEvent.due_at < now)).all()
            outbox_rows = session.execute(
                select(OutboxMail.status, func.count()).group_by(OutboxMail.status)
            ).all()
            quarantine_rows = session.execute(
                select(QuarantineItem.reason_code, func.count())
                .where(QuarantineItem.released_at.is_(None))
                .group_by(QuarantineItem.reason_code)
            ).all()
        cases = GaugeMetricFamily(
            "mailflow_open_cases", "Open complaints waiting at each step, per OPD", labels=["step", "opd"]
        )
        for step, opd, count in open_rows:
            cases.add_metric([str(step), opd or NO_OPD], count)
        yield cases
        overdue = GaugeMetricFamily(
            "mailflow_overdue_steps",
            "Open steps past their deadline, per step and OPD",
            labels=["step", "opd"],
        )
        for step, opd, count in overdue_rows:
            overdue.add_metric([str(step), opd or NO_OPD], count)
        yield overdue
        outbox = GaugeMetricFamily("mailflow_outbox_mails", "Outbox mails by status", labels=["status"])
        for status, count in outbox_rows:
            outbox.add_metric([status], count)
        yield outbox
        quarantine = GaugeMetricFamily(
            "mailflow_quarantine_open",
            "Items in quarantine not yet released, by reason code",
            labels=["reason"],
        )
        for reason, count in quarantine_rows:
            quarantine.add_metric([reason], count)
        yield quarantine


def _quarantine_code(database: Database, message_id: int | None) -> str:
    """The reason code of a freshly quarantined message ("failed", "policy", ...)."""
    if message_id is None:
        return "unknown"
    try:
        with database.reader() as session:
            reason = session.execute(
                select(Message.quarantine_reason).where(Message.id == message_id)
            ).scalar_one_or_none()
    except DATABASE_ERRORS:
        return "unknown"
    return (reason or "unknown").split(":", 1)[0].strip() or "unknown"
