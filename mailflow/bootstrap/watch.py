"""The watched folders for returned letters, wired from the App."""

from __future__ import annotations

from collections.abc import Callable

from mailflow.adapters.watcher import Done, FolderWatcher
from mailflow.adapters.worker_pool import default_workers
from mailflow.bootstrap.app import App
from mailflow.services.returned.service import ReturnedLetterService
from mailflow.services.returned.watch import ReturnedFolderHandler, watched_folders


def build_watcher(
    app: App,
    *,
    service: ReturnedLetterService | None = None,
    on_done: Callable[[Done], None] | None = None,
) -> FolderWatcher:
    """A FolderWatcher over <letters>/returned and watcher.folders, deciding with `service` (by
    default the App's signed-letter service)."""
    section = app.settings.watcher
    handler = ReturnedFolderHandler(
        service or app.returned,
        app.database,
        app.clock,
        workers=default_workers(section.inspect_workers),
        inspect_timeout=section.inspect_timeout_seconds,
    )
    return FolderWatcher(
        watched_folders(app.settings),
        handler,
        stable_seconds=section.stable_seconds,
        rescan_seconds=section.rescan_seconds,
        use_polling=section.use_polling,
        max_attempts=app.settings.limits.max_attempts,
        on_done=on_done,
    )
