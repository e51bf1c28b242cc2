"""Watched folders (watchdog): act once on each complete file, then move it out of the way.

    watcher = FolderWatcher(folders, handler, stable_seconds=2, rescan_seconds=300)
    watcher.start()          # observer + worker threads; rescans every folder at once
    ...
    watcher.stop()
    watcher.run_once()       # or: process what is there now, synchronously (CLI `--once`, tests)

When is a file complete? When its size and mtime have stayed the same for `stable_seconds` after
the last write, however it arrived. A close (IN_CLOSE_WRITE) is not the end: sync clients,
scanners and network shares write one PDF in several open-write-close rounds, and a file taken at
its first close is refused as corrupt while the rest of it arrives as a second, "not a PDF" file.
- `modified`: being written; it waits for its `closed`, then for `stable_seconds` (falling back to
  stability alone after a long grace: an event may be lost when the kernel queue overflows);
- `closed`, `created`, `moved` into the folder: the stability period starts (again) now;
- on other observers (polling, network shares) every file goes by stability alone.
A rescan at start and every `rescan_seconds` feeds every file present to the stability check, so
nothing is missed when events were. Temporary files are never touched (`~$x`, `.x`, `*.part`,
`*.crdownload`, ...).

The handler decides; the watcher then moves the file into `processed/` or `rejected/` beside it
(a unique name, never overwriting) and writes the handler's note in `<name>.keterangan.txt`.
The decision is about the bytes the handler read (recorded with their hash), so the watcher makes
sure those are the bytes it moves: a file that changed while it was decided stays and is decided
again, and a refused file that changes afterwards (a writer that kept it open, a share replacing
its content) is seen in `rejected/` (watched too, and rescanned by the time of its note) and moved
back for a new decision: a valid letter never stays in `rejected/` under a refusal of other bytes.
A handler failure leaves the file in place for a later retry; after `max_attempts` failures the
handler's `give_up` decides instead, so one poisoned file never blocks the folder.

A burst (files queued faster than they are decided) is taken up to `batch_size` files at a time
when the handler offers `handle_many` and `moved_many` (group commit: one transaction and one
fsync round for the batch's decisions, one sync round for its moves and notes, one transaction
for the rows' new paths); each file keeps its own outcome, failure count and checks above.
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
from typing import Any, Protocol, TypeGuard

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
    changed_after_note,
    is_temporary,
    move_back,
    move_many,
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

    def decided(self, path: Path) -> bool:
        """Whether the bytes now in `path` (a set-aside file) are those its decision was about."""
        ...

    def reopened(self, record_id: int | None, path: Path) -> None:
        """The file decided as `record_id` (or set aside at `path`) changed: its bytes will be
        decided again, so the earlier refusal no longer waits for anyone."""
        ...


class BatchHandler(FileHandler, Protocol):
    """A handler that can decide a burst together (optional: the watcher asks for it)."""

    def handle_many(self, paths: Sequence[Path]) -> Sequence[Disposition | Exception]:
        """`handle` for each of `paths`, in order: its decision or what it raised."""
        ...

    def moved_many(self, moves: Sequence[tuple[Disposition, Path, Path]]) -> None:
        """`moved` for each (disposition, source, destination)."""
        ...


@dataclass(frozen=True)
class Done:
    """One file finished: where it went; `ready_at` is when it was seen complete (wall clock)."""

    source: Path
    destination: Path
    disposition: Disposition
    ready_at: float
    finished_at: float


Signature = tuple[int, int, int]  # size, mtime (ns), inode: what a write or a replacement changes


@dataclass
class _Pending:
    signature: Signature
    since: float  # monotonic time of the last change or close seen
    writing: bool = False  # modified since its last close (inotify only)


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
        batch_size: int = 50,
        on_done: Callable[[Done], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folders = tuple(Path(f).resolve() for f in folders)
        self.handler = handler
        self.stable_seconds = stable_seconds
        self.rescan_seconds = rescan_seconds
        self.use_polling = use_polling
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.on_done = on_done
        self.stats = WatchStats()
        self._now = monotonic
        self._lock = threading.Condition()
        self.rejected_folders = tuple(folder / REJECTED for folder in self.folders)
        self._pending: dict[Path, _Pending] = {}
        self._set_aside: dict[Path, Signature] = {}  # refused files as they were moved
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
        _optional(self.handler, "start")  # e.g. worker processes, warm before the first burst
        self._stop.clear()
        self._observer = (
            PollingObserver(timeout=min(1.0, self.stable_seconds)) if self.use_polling else Observer()
        )
        self._close_events = type(self._observer).__name__ == "InotifyObserver"
        events = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent]
        for folder in (*self.folders, *self.rejected_folders):
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
        _optional(self.handler, "close")
        with self._lock:
            self._pending.clear()
            self._set_aside.clear()
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
        """Put every file present in the folders under the stability check, and every set-aside
        file written after its note (a restart forgets what was seen); returns how many."""
        added = 0
        for path in (*self._present(), *self._changed_refusals()):
            if self._observe(path):
                added += 1
        return added

    def _present(self) -> Iterator[Path]:
        yield from _files(self.folders)

    def _changed_refusals(self) -> Iterator[Path]:
        existing = [folder for folder in self.rejected_folders if folder.is_dir()]  # none before a refusal
        return (p for p in _files(existing) if changed_after_note(p))

    def _observe(self, path: Path, *, writing: bool | None = None, restart: bool = False) -> bool:
        """Note a sighting of `path`; a change of size, mtime or inode (or `restart`: a close,
        a file moved in) starts its stability period again. `writing`: True on a modification,
        False on a close, None when nothing is known. True when newly pending."""
        if is_temporary(path.name):
            return False
        refused = path.parent in self.rejected_folders
        if not refused and path.parent not in self.folders:
            return False
        signature = _signature(path)
        if signature is None:
            return False
        with self._lock:
            if path in self._in_flight:
                return False
            if refused and self._set_aside.get(path) == signature:
                return False  # our own move into rejected/, or an event about it
            known = self._pending.get(path)
            if known is None or known.signature != signature or restart:
                self._pending[path] = _Pending(signature, self._now(), writing=bool(known and known.writing))
            if writing is False or (writing and self._close_events):  # only inotify reports closes
                self._pending[path].writing = writing
            return known is None

    def _closed(self, path: Path) -> None:
        """A writer closed `path`: perhaps the last round, perhaps not; stability decides."""
        self._observe(path, writing=False, restart=True)

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
            signature = _signature(path)
            if signature is None:
                self._forget(path)
                continue
            if signature != pending.signature:
                self._observe(path)
                continue
            window = self.stable_seconds * (WRITING_GRACE_FACTOR if pending.writing else 1)
            if signature[0] > 0 and now - pending.since >= window:
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
            batch = [path]
            while len(batch) < self.batch_size:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stopping: this batch first, then the worker ends
                    break
                batch.append(more)
            try:
                if len(batch) > 1 and _batching(self.handler):
                    self.process_many(batch)
                else:
                    for one in batch:
                        self._process_logged(one)
            except Exception:  # a bug here must not stop the worker; the files are retried
                log.exception("a batch of %d files failed; retried at the next rescan", len(batch))

    def _process_logged(self, path: Path) -> None:
        try:
            self.process(path)
        except Exception:  # a file that cannot even be moved must not stop the worker
            log.exception("%s: cannot be processed or moved; retried at the next rescan", path.name)

    def process(self, path: Path) -> Done | None:
        """Run the handler on one file and move it; None when it stays (for a retry, or because
        it changed while it was decided), or when a set-aside file is unchanged."""
        changed = False
        try:
            if not path.is_file():
                return None
            if path.parent in self.rejected_folders:
                return self._reconsider(path)
            before = _signature(path)
            decided: Disposition | None
            try:
                decided = self.handler.handle(path)
            except Exception as exc:  # noqa: BLE001 - any handler failure is retried, never stops the folder
                decided = self._failed(path, exc)
            if decided is None or before is None:
                return None
            done = self._finish(path, decided, before)
            changed = done is None
            return done
        finally:
            self._release(path, changed=changed)

    def _release(self, path: Path, *, changed: bool = False) -> None:
        with self._lock:
            self._in_flight.discard(path)
            self._ready_at.pop(path, None)
            self._lock.notify_all()
        if changed:  # events while it was in flight were not noted: start its period now
            self._observe(path, restart=True)

    def process_many(self, paths: Sequence[Path]) -> list[Done]:
        """`process` for a burst, with the handler's group commit (see the module text)."""
        handler = self.handler
        if not _batching(handler):
            raise TypeError("the handler decides one file at a time")
        pending: list[tuple[Path, Signature]] = []
        alone: list[Path] = []
        for path in paths:
            if path.parent in self.rejected_folders:
                alone.append(path)
                continue
            before = _signature(path) if path.is_file() else None
            if before is None:
                self._release(path)
            else:
                pending.append((path, before))
        finishing: list[tuple[Path, Disposition, Signature]] = []
        try:
            try:
                results: Sequence[Disposition | Exception] = handler.handle_many([p for p, _ in pending])
            except Exception as exc:  # noqa: BLE001 - each file counts the failure, as alone
                results = [exc] * len(pending)
            for (path, before), result in zip(pending, results, strict=True):
                decided = self._failed(path, result) if isinstance(result, Exception) else result
                if decided is None:
                    self._release(path)
                else:
                    finishing.append((path, decided, before))
        except BaseException:
            for path, _before in pending:
                self._release(path)
            raise
        done = self._finish_many(handler, finishing)
        for path in alone:
            self._process_logged(path)
        return done

    def _finish_many(
        self, handler: BatchHandler, items: Sequence[tuple[Path, Disposition, Signature]]
    ) -> list[Done]:
        moving: list[tuple[Path, Disposition, Signature, Path]] = []
        for path, disposition, before in items:
            if _signature(path) != before:
                log.info("%s changed while it was decided; deciding its new content again", path.name)
                self._reopened(disposition.record_id, path)
                self._release(path, changed=True)
            else:
                moving.append((path, disposition, before, path.parent / _folder_for(disposition)))
        try:
            destinations = move_many([(path, folder, d.note) for path, d, _b, folder in moving])
        except Exception:
            log.exception("%d decided files could not be moved; retried at the next rescan", len(moving))
            for path, *_rest in moving:
                self._release(path)
            return []
        moved: list[tuple[Disposition, Path, Path]] = []
        placed: list[tuple[Path, Disposition, Signature, Path]] = []
        for (path, disposition, before, _folder), destination in zip(moving, destinations, strict=True):
            if isinstance(destination, Exception):
                log.error("%s: %s; retried at the next rescan", path.name, destination)
                self._release(path)
                continue
            moved.append((disposition, path, destination))
            placed.append((path, disposition, before, destination))
        with contextlib.suppress(Exception):
            handler.moved_many(moved)
        # counted once their rows name the new places, as `_finish` does for a single file: a
        # caller that waits for the count (stats, wait_until) then reads rows that point there
        done = [self._moved(path, disposition, before, dest) for path, disposition, before, dest in placed]
        for path, *_rest in moving:
            self._release(path)
        if self.on_done is not None:
            for item in done:
                self.on_done(item)
        return done

    def _failed(self, path: Path, exc: Exception) -> Disposition | None:
        attempts = self._attempts.get(path, 0) + 1
        self._attempts[path] = attempts
        self.stats.failures += 1
        log.warning(
            "%s: attempt %d failed: %s",
            path.name,
            attempts,
            exc,
            exc_info=None if isinstance(exc, OSError) else exc,
        )
        if attempts < self.max_attempts:
            retry = threading.Timer(self.stable_seconds, self._observe, (path,))
            retry.daemon = True
            retry.start()
            return None
        return self.handler.give_up(path, f"{type(exc).__name__}: {exc}")

    def _finish(self, path: Path, disposition: Disposition, before: Signature) -> Done | None:
        if _signature(path) != before:
            # written while it was decided: the decision stands for the bytes read (recorded by
            # their hash); what is there now is decided on its own once it holds still
            log.info("%s changed while it was decided; deciding its new content again", path.name)
            self._reopened(disposition.record_id, path)
            return None
        folder = path.parent / _folder_for(disposition)
        destination = move_with_note(path, folder, disposition.note)
        with contextlib.suppress(Exception):
            self.handler.moved(disposition, path, destination)
        done = self._moved(path, disposition, before, destination)
        if self.on_done is not None:
            self.on_done(done)
        return done

    def _moved(self, path: Path, disposition: Disposition, before: Signature, destination: Path) -> Done:
        """Count a file moved to `destination`; a refused one is remembered as set aside."""
        ready_at = self._ready_at.get(path, time.time())
        self._attempts.pop(path, None)
        if disposition.accepted:
            self.stats.accepted += 1
        else:
            self.stats.rejected += 1
        moved = _signature(destination)
        if not disposition.accepted and moved is not None:
            with self._lock:
                self._set_aside[destination] = moved
                pending = self._pending.get(destination)
                if pending is not None and pending.signature == moved:  # the event of our own move
                    del self._pending[destination]
            if moved != before:  # written between the check and the rename: back it goes
                self._observe(destination, restart=True)
        return Done(path, destination, disposition, ready_at, time.time())

    def _reconsider(self, path: Path) -> Done | None:
        """A refused file changed in rejected/: unless its bytes are still those decided, move it
        back into its folder and decide them (they held still for the stability period)."""
        with self._lock:
            self._set_aside.pop(path, None)
        try:
            same = self.handler.decided(path)
        except Exception:  # when in doubt, decide again (the hash makes that idempotent)
            log.exception("%s: cannot compare with its decision", path.name)
            same = False
        if same:
            signature = _signature(path)
            with contextlib.suppress(OSError):  # the note newer than the file again (even one dated ahead)
                stamp = max(time.time_ns(), signature[1] + 1 if signature else 0)
                os.utime(path.with_name(path.name + NOTE_SUFFIX), ns=(stamp, stamp))
            if signature is not None:
                with self._lock:
                    self._set_aside[path] = signature
            return None
        destination = move_back(path, path.parent.parent)
        log.info("%s changed after it was refused; deciding it again as %s", path.name, destination.name)
        self._reopened(None, path)
        with self._lock:
            if destination in self._in_flight:
                return None
            self._in_flight.add(destination)
            self._pending.pop(destination, None)
        return self.process(destination)

    def _reopened(self, record_id: int | None, path: Path) -> None:
        try:
            self.handler.reopened(record_id, path)
        except Exception:  # bookkeeping only: the new decision is what matters
            log.exception("%s: cannot release the earlier refusal", path.name)

    def run_once(self, *, settle: bool = True) -> list[Done]:
        """Process the files present now, and the set-aside files written after their note
        (those still changing over `stable_seconds` wait)."""
        first = {p: _signature(p) for p in (*self._present(), *self._changed_refusals())}
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
            self.watcher._observe(_path(event.src_path), restart=True)

    def on_modified(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._observe(_path(event.src_path), writing=True)

    def on_closed(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._closed(_path(event.src_path))

    def on_moved(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._forget(_path(event.src_path))
            self.watcher._observe(_path(event.dest_path), restart=True)

    def on_deleted(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.watcher._forget(_path(event.src_path))


def _folder_for(disposition: Disposition) -> str:
    return PROCESSED if disposition.accepted else REJECTED


def _optional(handler: FileHandler, name: str) -> None:
    """Call the handler's `start` or `close`, which a handler may have (FileHandler does not ask)."""
    method = getattr(handler, name, None)
    if callable(method):
        method()


def _batching(handler: FileHandler) -> TypeGuard[BatchHandler]:
    return callable(getattr(handler, "handle_many", None)) and callable(getattr(handler, "moved_many", None))


def _path(value: str | bytes) -> Path:
    return Path(os.fsdecode(value))


def _signature(path: Path) -> Signature | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def _files(folders: Sequence[Path]) -> Iterator[Path]:
    for folder in folders:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc)
            continue
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and not is_temporary(entry.name):
                yield Path(entry.path)
