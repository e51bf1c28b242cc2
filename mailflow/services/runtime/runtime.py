"""What `mailflow run` keeps going in one process: the pollers (one per mailbox), the outbox
sender, the letter converter, the watched folders and the scheduler (reports, weekly email,
reminders). Several processes may run against one PostgreSQL database: every part claims its
work with row locks or unique keys (DESIGN.md section 7).

Each part runs under the supervisor (services.runtime.supervision): a part that dies is restarted with
backoff; one that keeps dying ends `run` with `fatal` set, so systemd restarts the service.
`health()` is what /healthz answers: every part running and every mailbox read recently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from mailflow.adapters.db.engine import Database
from mailflow.adapters.watcher import FolderWatcher
from mailflow.config.model import RunSection
from mailflow.i18n import translate
from mailflow.services.ingest.poller import MailboxPoller
from mailflow.services.ingest.service import Outcome
from mailflow.services.letters.conversion import ConversionService
from mailflow.services.outbound.sender import OutboxSender, SendStats
from mailflow.services.runtime.scheduler import Scheduler
from mailflow.services.runtime.supervision import RestartPolicy, Supervisor

log = logging.getLogger("mailflow.run")
CHECK_SECONDS = 0.5  # how often the supervisor looks at its parts
WATCH_CHECK_SECONDS = 1.0
MIN_POLL_AGE_SECONDS = 300.0


@dataclass(frozen=True)
class Parts:
    """Which parts to run (all by default; `mailflow run --no-pollers`, `--no-sender` ... turn some off)."""

    pollers: bool = True
    sender: bool = True
    converter: bool = True
    watcher: bool = True
    scheduler: bool = True


@dataclass(frozen=True)
class Health:
    ok: bool
    problems: tuple[str, ...]
    parts: dict[str, bool]
    last_poll_seconds: dict[str, float | None]


class RunObserver(Protocol):
    """What the parts report to (the Prometheus metrics of services.runtime.metrics)."""

    def part_restarted(self, part: str) -> None: ...

    def outcome_observer(self, mailbox: str, database: Database) -> Callable[[Outcome], None]: ...

    def send_pass(self, stats: SendStats) -> None: ...


class PartFactory(Protocol):
    """Builds the parts of `run` (the composition root does: mailflow.bootstrap.runtime)."""

    def pollers(self) -> list[MailboxPoller]: ...

    def sender(self) -> OutboxSender: ...

    def conversion(self) -> ConversionService: ...

    def watcher(self) -> FolderWatcher: ...

    def scheduler(self) -> Scheduler: ...


@dataclass
class Runtime:
    factory: PartFactory
    section: RunSection
    database: Database
    lang: str = "id"
    parts: Parts = field(default_factory=Parts)
    stop_event: threading.Event = field(default_factory=threading.Event)
    metrics: RunObserver | None = None
    pollers: list[MailboxPoller] = field(default_factory=list)
    sender: OutboxSender | None = None
    watcher: FolderWatcher | None = None
    scheduler: Scheduler | None = None
    conversion: ConversionService | None = None
    supervisor: Supervisor | None = None

    def start(self) -> None:
        section = self.section
        policy = RestartPolicy(
            max_restarts=section.max_restarts,
            window=section.restart_window_seconds,
            backoff=section.restart_backoff_seconds,
            backoff_max=section.restart_backoff_max_seconds,
        )
        on_restart = self.metrics.part_restarted if self.metrics is not None else None
        supervisor = Supervisor(self.stop_event, policy, lang=self.lang, on_restart=on_restart)
        if self.parts.pollers:
            self.pollers = self.factory.pollers()
            for poller in self.pollers:
                poller.repeat_log_seconds = section.repeat_log_seconds
                if self.metrics is not None:
                    poller.observe = self.metrics.outcome_observer(poller.mailbox.name, self.database)
                supervisor.add(f"poller-{poller.mailbox.name}", poller.run)
        if self.parts.sender:
            self.sender = self.factory.sender()
            self.sender.repeat_log_seconds = section.repeat_log_seconds
            if self.metrics is not None:
                self.sender.observe = self.metrics.send_pass
            supervisor.add("sender", self.sender.run)
        if self.parts.converter:
            self.conversion = self.factory.conversion()
            supervisor.add("converter", self.conversion.run_forever)
        if self.parts.watcher:
            supervisor.add("watcher", self._watch)
        if self.parts.scheduler:
            self.scheduler = self.factory.scheduler()
            supervisor.add("scheduler", self.scheduler.run_forever)
        supervisor.start()
        self.supervisor = supervisor  # health and metrics look at the parts from now on
        log.info("running: %d poller(s), parts %s", len(self.pollers), self.parts)

    @property
    def fatal(self) -> str | None:
        """Why `run` gave up (a part kept dying), or None."""
        return self.supervisor.fatal if self.supervisor is not None else None

    def stop(self, timeout: float = 30) -> None:
        self.stop_event.set()
        if self.conversion is not None:
            self.conversion.wake()
        if self.supervisor is not None:
            self.supervisor.join(timeout)

    def wait(self) -> None:
        """Block until `stop()` is called, a signal handler sets the stop event, or the
        supervisor gives up on a part (then `fatal` says why); restarts dead parts meanwhile."""
        while not self.stop_event.wait(CHECK_SECONDS):
            if self.supervisor is not None:
                self.supervisor.check()

    def health(self) -> Health:
        """Every part running, every mailbox read successfully within its limit."""
        lang = self.lang
        alive = self.supervisor.alive() if self.supervisor is not None else {}
        problems = [
            translate("ops.health.part_down", lang, part=name) for name, up in alive.items() if not up
        ]
        ages: dict[str, float | None] = {}
        now = time.monotonic()
        for poller in self.pollers:
            name = poller.mailbox.name
            last = poller.last_synced
            age = None if last is None else now - last
            ages[name] = None if age is None else round(age, 1)
            limit = self.poll_age_limit(poller)
            if age is None:
                problems.append(translate("ops.health.never_polled", lang, mailbox=name))
            elif age > limit:
                problems.append(
                    translate(
                        "ops.health.poll_old", lang, mailbox=name, seconds=round(age), limit=round(limit)
                    )
                )
        return Health(not problems, tuple(problems), alive, ages)

    def poll_age_limit(self, poller: MailboxPoller) -> float:
        configured = self.section.poll_max_age_seconds
        if configured is not None:
            return configured
        return max(MIN_POLL_AGE_SECONDS, 3.0 * poller.mailbox.poll_interval_seconds)

    def _watch(self, stop: threading.Event) -> None:
        """The watched folders as one supervised part: a new watcher per start (a folder that
        cannot be created raises here), and a watcher whose threads died ends the part."""
        watcher = self.factory.watcher()
        watcher.start()
        self.watcher = watcher
        try:
            while not stop.wait(WATCH_CHECK_SECONDS):
                if not watcher.healthy():
                    raise RuntimeError("a thread of the folder watcher ended")
        finally:
            watcher.stop()
