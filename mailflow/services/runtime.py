"""What `mailflow run` keeps going in one process: the pollers (one per mailbox), the outbox
sender, the letter converter, the watched folders and the scheduler (reports, weekly email,
reminders). Several processes may run against one PostgreSQL database: every part claims its
work with row locks or unique keys (DESIGN.md section 7)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from mailflow.adapters.watcher import FolderWatcher
from mailflow.bootstrap import App
from mailflow.services.conversion import ConversionService
from mailflow.services.ingest_app import build_sender, run_pollers
from mailflow.services.poller import MailboxPoller
from mailflow.services.reminders import ReminderService
from mailflow.services.returned_watch import build_watcher
from mailflow.services.scheduler import Action, JobContext, Scheduler, build_scheduler

log = logging.getLogger("mailflow.run")
REMINDERS = "reminders"
REMINDER_SECONDS = 60


@dataclass(frozen=True)
class Parts:
    """Which parts to run (all by default; `mailflow run --without ...` turns some off)."""

    pollers: bool = True
    sender: bool = True
    converter: bool = True
    watcher: bool = True
    scheduler: bool = True


@dataclass
class Runtime:
    app: App
    parts: Parts = field(default_factory=Parts)
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    pollers: list[MailboxPoller] = field(default_factory=list)
    watcher: FolderWatcher | None = None
    scheduler: Scheduler | None = None
    conversion: ConversionService | None = None

    def start(self) -> None:
        app = self.app
        _ = app.engine, app.replies  # build them once, in this thread, before the workers share them
        if self.parts.pollers and app.settings.mailboxes:
            self.pollers = run_pollers(app, self.stop_event)
        if self.parts.sender:
            sender = build_sender(app)
            self._thread("sender", lambda: sender.run(self.stop_event))
        if self.parts.converter:
            self.conversion = ConversionService(app.database, app.settings, clock=app.clock)
            self.threads.append(self.conversion.start_thread(self.stop_event))
        if self.parts.watcher:
            self.watcher = build_watcher(app)
            self.watcher.start()
        if self.parts.scheduler:
            self.scheduler = build_scheduler(app)
            self.scheduler.every(REMINDERS, REMINDER_SECONDS, reminders_job(app))
            self.scheduler.start()
        log.info("running: %d poller(s), parts %s", len(self.pollers), self.parts)

    def stop(self, timeout: float = 30) -> None:
        self.stop_event.set()
        if self.watcher is not None:
            self.watcher.stop()
        if self.scheduler is not None:
            self.scheduler.stop(timeout)
        for poller in self.pollers:
            thread = getattr(poller, "thread", None)
            if thread is not None:
                thread.join(timeout)
        for thread in self.threads:
            thread.join(timeout)

    def wait(self) -> None:
        """Block until `stop()` is called (or the stop event set by a signal handler)."""
        while not self.stop_event.wait(1.0):
            pass

    def _thread(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"mailflow-{name}", daemon=True)
        thread.start()
        self.threads.append(thread)


def reminders_job(app: App) -> Action:
    service = ReminderService(app.engine)

    def run(job: JobContext) -> str:
        return f"{service.run(app.database, job.now)} mail(s)"

    return run
