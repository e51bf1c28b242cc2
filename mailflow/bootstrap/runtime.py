"""`mailflow run` wired from the App: every part built here, handed to the supervising Runtime."""

from __future__ import annotations

from mailflow.adapters.watcher import FolderWatcher
from mailflow.bootstrap.app import App
from mailflow.bootstrap.ingest import build_ingest, build_sender, pollers
from mailflow.bootstrap.jobs import build_scheduler
from mailflow.bootstrap.watch import build_watcher
from mailflow.services.ingest.poller import MailboxPoller
from mailflow.services.letters.conversion import ConversionService
from mailflow.services.outbound.sender import OutboxSender
from mailflow.services.runtime.runtime import Parts, RunObserver, Runtime
from mailflow.services.runtime.scheduler import Scheduler


class AppParts:
    """The parts of `run`, built from the App (services.runtime.PartFactory)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def pollers(self) -> list[MailboxPoller]:
        if not self.app.settings.mailboxes:
            return []
        return pollers(self.app, build_ingest(self.app))

    def sender(self) -> OutboxSender:
        return build_sender(self.app)

    def conversion(self) -> ConversionService:
        return ConversionService(self.app.database, self.app.settings, clock=self.app.clock)

    def watcher(self) -> FolderWatcher:
        return build_watcher(self.app)

    def scheduler(self) -> Scheduler:
        return build_scheduler(self.app, reminders=True)


def build_runtime(app: App, parts: Parts | None = None, metrics: RunObserver | None = None) -> Runtime:
    _ = app.conversation  # built once, in this thread, before the workers share it
    return Runtime(
        AppParts(app),
        app.settings.run,
        app.database,
        lang=app.lang,
        parts=parts or Parts(),
        metrics=metrics,
    )
