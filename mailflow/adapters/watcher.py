"""Watched folders (watchdog): act once on each complete file, then move it out of the way.

    watcher = FolderWatcher(folders, handler, stable_seconds=2, rescan_seconds=300)
    watcher.start()          # observer + worker threads; rescans every folder at once
    ...
    watcher.stop()
    watcher.run_once()       # or: process what is there now, synchronously (CLI `--once`, tests)

When is a file complete (RECIPES.md, watchdog 7 on inotify)?
- `closed` (IN_CLOSE_WRITE): the writer closed it; act at once.
- `moved` into the folder (a rename inside it, e.g. `x.pdf.part` -> `x.pdf`): complete.
- `created` with no `closed` is what a file renamed in from elsewhere looks like; it is complete
  once its size and mtime stay the same for `stable_seconds`. A file that is also `modified` is
  being written: wait for its `closed`, falling back to stability only after a long grace (an
  event may be lost when the kernel queue overflows).
- On other observers (polling, network shares) every file goes by stability alone.
A rescan at start and every `rescan_seconds` feeds every file present to the stability check, so
nothing is missed when events were. Temporary files are never touched (`~$x`, `.x`, `*.part`,
`*.crdownload`, ...).

The handler decides; the watcher then moves the file into `processed/` or `rejected/` beside it
(a unique name, never overwriting) and writes the handler's note in `<name>.keterangan.txt`. A
handler failure leaves the file in place for a later retry; after `max_attempts` failures the
handler's `give_up` decides instead, so one poisoned file never blocks the folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from mailflow.adapters.watch_files import (
    NOTE_SUFFIX,
    PROCESSED,
    REJECTED,
    is_temporary,
    move_with_note,
)
from mailflow.errors import StorageError

__all__ = [
    "NOTE_SUFFIX",
    "PROCESSED",
    "REJECTED",
    "Disposition",
    "Done",
    "FileHandler",
    "FolderWatcher",
    "is_temporary",
    "move_with_note",
]

log = logging.getLogger("mailflow.watcher")
WRITING_GRACE_FACTOR = 15  # a file seen being written waits this many stable periods without `closed`


@dataclass(frozen=True)
class Disposition:
    """The handler's decision about one file."""

    accepted: bool
    note: str  # written beside the moved file
    record_id: int | None = None


class FileHandler(Protocol):
    def handle(self, path: Path) -> Disposition: ...

    def give_up(self, path: Path, error: str) -> Disposition: ...

    def moved(self, disposition: Disposition, source: Path, destination: Path) -> None: ...


@dataclass(frozen=True)
class Done:
    """One file finished: where it went; `ready_at` is when it was seen complete (wall clock)."""

    source: Path
    destination: Path
    disposition: Disposition
    ready_at: float
    finished_at: float


@dataclass
class _Pending:
    size: int
    mtime_ns: int
    since: float  # monotonic time (size, mtime) were first seen as they are
    writing: bool = False


@dataclass
class WatchStats:
    accepted: int = 0
    rejected: int = 0
    failures: int = 0

    @property
    def done(self) -> int:
        return self.accepted + self.rejected


class FolderWatcher:
    def __init__(
        self,
        folders: Sequence[Path],
        handler: FileHandler,
        *,
        stable_seconds: float = 2.0,
        rescan_seconds: float = 300.0,
        use_polling: bool = False,
        max_attempts: int = 5,
        on_done: Callable[[Done], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folders = tuple(Path(f).resolve() for f in folders)
        self.handler = handler
        self.stable_seconds = stable_seconds
        self.rescan_seconds = rescan_seconds
        self.use_polling = use_polling
        self.max_attempts = max_attempts
        self.on_done = on_done
        self.stats = WatchStats()
        self._now = monotonic
        self._lock = threading.Condition()
        self._pending: dict[Path, _Pending] = {}
        self._in_flight: set[Path] = set()
        self._ready_at: dict[Path, float] = {}
        self._attempts: dict[Path, int] = {}
        self._queue: queue.Queue[Path | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._observer: Any = None
        self._close_events = False

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> None:
        for folder in self.folders:
            self._prepare(folder)
        self._stop.clear()
        self._observer = (
            PollingObserver(timeout=min(1.0, self.stable_seconds)) if self.use_polling else Observer()
        )
        self._close_events = type(self._observer).__name__ == "InotifyObserver"
        events = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent]
        for folder in self.folders:
            self._observer.schedule(_Events(self), str(folder), recursive=False, event_filter=events)
        self._observer.start()
        self.rescan()
        for name, target in (("worker", self._work), ("ticker", self._tick_loop)):
            thread = threading.Thread(target=target, name=f"mailflow-watcher-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("watching %s", ", ".join(map(str, self.folders)))

    def stop(self, timeout: float = 30.0) -> None:
        """Stop watching; the file being processed is finished first."""
        self._stop.set()
        self._queue.put(None)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
            self._observer = None
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        with self._lock:
            self._pending.clear()
            self._in_flight.clear()
            self._ready_at.clear()
            self._lock.notify_all()
        self._queue = queue.Queue()

    def __enter__(self) -> FolderWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stop.is_set()

    def healthy(self) -> bool:
        """Running, and the observer and both worker threads are alive (for `mailflow run`'s
        supervisor: a watcher missing one of them would silently stop acting on files)."""
        observer_alive = self._observer is not None and bool(self._observer.is_alive())
        return self.running and observer_alive and all(t.is_alive() for t in self._threads)

    # --- feeding the queue -------------------------------------------------------------------

    def rescan(self) -> int:
        """Put every file present in the folders under the stability check; returns how many."""
        added = 0
        for path in self._present():
            if self._observe(path, writing=False):
                added += 1
        return added

    def _present(self) -> Iterator[Path]:
        for folder in self.folders:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                log.warning("cannot list %s: %s", folder, exc)
                continue
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and not is_temporary(entry.name):
                    yield Path(entry.path)

    def _observe(self, path: Path, *, writing: bool) -> bool:
        """Note a sighting of `path`; a change of size or mtime restarts its stability period."""
        if is_temporary(path.name) or path.parent not in self.folders:
            return False
        try:
            stat = path.stat()
        except OSError:
            return False
        with self._lock:
            if path in self._in_flight:
                return False
            known = self._pending.get(path)
            if known is None or (known.size, known.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                was_writing = known.writing if known else False
                self._pending[path] = _Pending(stat.st_size, stat.st_mtime_ns, self._now(), was_writing)
            if writing and self._close_events:
                self._pending[path].writing = True
            return known is None

    def _complete(self, path: Path) -> None:
        """`path` is known complete (closed after writing, or renamed in): queue it now. An empty
        file is not: some programs create a file, close it, and open it again to write."""
        if is_temporary(path.name) or path.parent not in self.folders:
            return
        signature = _signature(path)
        if signature is None:
            return
        if signature[0] == 0:
            self._observe(path, writing=False)
            return
        with self._lock:
            self._pending.pop(path, None)
            self._enqueue(path)

    def _forget(self, path: Path) -> None:
        with self._lock:
            self._pending.pop(path, None)

    def _enqueue(self, path: Path) -> None:
        # caller holds the lock
        if path in self._in_flight:
            return
        self._in_flight.add(path)
        self._ready_at[path] = time.time()
        self._queue.put(path)

    def tick(self) -> None:
        """Queue the pending files whose size and mtime have held still long enough."""
        now = self._now()
        with self._lock:
            items = list(self._pending.items())
        for path, pending in items:
            try:
                stat = path.stat()
            except OSError:
                self._forget(path)
                continue
            if (stat.st_size, stat.st_mtime_ns) != (pending.size, pending.mtime_ns):
                self._observe(path, writing=False)
                continue
            window = self.stable_seconds * (WRITING_GRACE_FACTOR if pending.writing else 1)
            if stat.st_size > 0 and now - pending.since >= window:
                with self._lock:
                    if self._pending.get(path) is pending:
                        del self._pending[path]
                        self._enqueue(path)

    def _tick_loop(self) -> None:
        interval = max(0.05, min(0.5, self.stable_seconds / 4))
        next_rescan = self._now() + self.rescan_seconds
        while not self._stop.wait(interval):
            try:
                self.tick()
                if self._now() >= next_rescan:
                    next_rescan = self._now() + self.rescan_seconds
                    self.rescan()
            except Exception:  # a bug here must not stop the watcher
                log.exception("watcher tick failed")

    # --- processing ----------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            path = self._queue.get()
            if path is None or self._stop.is_set():
                return
            try:
                self.process(path)
            except Exception:  # moving the file failed (disk full...): the rescan offers it again
                log.exception("%s: could not finish; it stays for the next rescan", path.name)

    def process(self, path: Path) -> Done | None:
        """Run the handler on one file and move it; None when it stays for a retry."""
        try:
            if not path.is_file():
                return None
            decided: Disposition | None
            try:
                decided = self.handler.handle(path)
            except Exception as exc:  # noqa: BLE001 - any handler failure is retried, never stops the folder
                decided = self._failed(path, exc)
            return None if decided is None else self._finish(path, decided)
        finally:
            with self._lock:
                self._in_flight.discard(path)
                self._ready_at.pop(path, None)
                self._lock.notify_all()

    def _failed(self, path: Path, exc: Exception) -> Disposition | None:
        attempts = self._attempts.get(path, 0) + 1
        self._attempts[path] = attempts
        self.stats.failures += 1
        log.warning(
            "%s: attempt %d failed: %s", path.name, attempts, exc, exc_info=not isinstance(exc, OSError)
        )
        if attempts < self.max_attempts:
            retry = threading.Timer(self.stable_seconds, self._observe, (path,), {"writing": False})
            retry.daemon = True
            retry.start()
            return None
        return self.handler.give_up(path, f"{type(exc).__name__}: {exc}")

    def _finish(self, path: Path, disposition: Disposition) -> Done:
        ready_at = self._ready_at.get(path, time.time())
        folder = path.parent / (PROCESSED if disposition.accepted else REJECTED)
        destination = move_with_note(path, folder, disposition.note)
        self._attempts.pop(path, None)
        if disposition.accepted:
            self.stats.accepted += 1
        else:
            self.stats.rejected += 1
        with contextlib.suppress(Exception):
            self.handler.moved(disposition, path, destination)
        done = Done(path, destination, disposition, ready_at, time.time())
        if self.on_done is not None:
            self.on_done(done)
        return done

    def run_once(self, *, settle: bool = True) -> list[Done]:
        """Process the files present now (those still changing over `stable_seconds` wait)."""
        first = {p: _signature(p) for p in self._present()}
        if settle and first:
            time.sleep(self.stable_seconds)
        results = []
        for path, before in first.items():
            if settle and _signature(path) != before:
                continue
            with self._lock:
                if path in self._in_flight:
                    continue
                self._in_flight.add(path)
            done = self.process(path)
            if done is not None:
                results.append(done)
        return results

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """For tests and benchmarks: block until `condition()` holds (checked on every file done)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.2))
        return True

    def _prepare(self, folder: Path) -> None:
        try:
            for name in ("", PROCESSED, REJECTED):
                (folder / name).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot use watched folder {folder}: {exc.strerror}") from exc


class _Events(FileSystemEventHandler):
    """watchdog's thread calls these; they only note the event, never process."""

    def __init__(self, watcher: FolderWatcher) -> None:
        self.watcher = watcher

    def on_created(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._observe(_path(event.src_path), writing=False)

    def on_modified(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._observe(_path(event.src_path), writing=True)

    def on_closed(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._complete(_path(event.src_path))

    def on_moved(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._forget(_path(event.src_path))
            self.watcher._complete(_path(event.dest_path))

    def on_deleted(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._forget(_path(event.src_path))


def _path(value: str | bytes) -> Path:
    return Path(os.fsdecode(value))


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)
