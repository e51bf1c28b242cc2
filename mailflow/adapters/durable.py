"""Durable file writes: what the stores (raw mail, attachments, letters, reason files) share.

A file is written under a temporary name, fsynced and renamed over its final name, and the
directory is fsynced so the rename itself survives a power loss: a crash leaves the old file or
the new one, never half of it.

A batch of files (the raw mails of one fetched batch and their attachments) is made durable in
one round (`SyncRound`): every temporary file is fsynced at the same time, from a few threads, so
the file system writes them with one journal commit instead of one per file; then all are
renamed into place and their directories fsynced, again at once. Nothing is ever visible under
its final name before its bytes are on disk, so a file found there is whole (which lets a
repeated write after a crash skip it).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SYNC_THREADS = 8  # concurrent fsyncs per round; more gain nothing on one disk
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def write_temporary(final: Path, data: bytes, *, sync: bool = True) -> Path:
    """Write `data` beside `final` under a unique temporary name, fsynced unless `sync` is False
    (a SyncRound then does it); returns that name."""
    temporary = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())
    return temporary


def write_atomic(final: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Replace `final` with `data` durably (its folder must exist; see `ensure_dir`)."""
    write_temporary(final, data).replace(final)
    if sync_folder:
        fsync_dir(final.parent)


def ensure_dir(directory: Path, round_: SyncRound | None = None) -> None:
    """Create `directory` and its missing parents, making each new entry durable (with `round_`:
    when that round runs)."""
    if directory.is_dir():
        return
    ensure_dir(directory.parent, round_)
    try:
        directory.mkdir()
    except FileExistsError:
        return
    if round_ is not None:
        round_.add_directory(directory.parent)
    else:
        fsync_dir(directory.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename inside `directory` durable (the directory entry itself is fsynced)."""
    _fsync_path(directory)


def fsync_paths(paths: Iterable[Path]) -> None:
    """fsync every file or directory in `paths`, concurrently: one round of waiting for the disk."""
    unique = list(dict.fromkeys(paths))
    if len(unique) <= 1:
        for path in unique:
            _fsync_path(path)
        return
    for future in [_sync_pool().submit(_fsync_path, path) for path in unique]:
        future.result()  # re-raises the OSError of a file that could not be synced


def _fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_pool() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one small pool per process, made on first use
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="fsync")
        return _pool


class SyncRound:
    """Temporary files waiting to become durable under their final names (see the module text).

    `add` each written (not yet fsynced) temporary file with its final name; `run` fsyncs them
    all, renames them into place and fsyncs their directories. Until `run` returns, none of the
    final names may be relied on."""

    def __init__(self) -> None:
        self._files: list[tuple[Path, Path]] = []
        self._directories: list[Path] = []  # holding a directory this round created

    def add(self, temporary: Path, final: Path) -> None:
        self._files.append((temporary, final))

    def add_directory(self, parent: Path) -> None:
        self._directories.append(parent)

    def run(self) -> None:
        files, self._files = self._files, []
        directories, self._directories = self._directories, []
        fsync_paths(temporary for temporary, _final in files)
        for temporary, final in files:
            temporary.replace(final)
        fsync_paths([*(final.parent for _temporary, final in files), *directories])

    def forget(self, final: Path) -> None:
        """Leave `final` out of the round (its temporary file is removed)."""
        keep = []
        for temporary, target in self._files:
            if target == final:
                temporary.unlink(missing_ok=True)
            else:
                keep.append((temporary, target))
        self._files = keep

    def discard(self) -> None:
        """Remove the temporary files of a round that will not run."""
        files, self._files = self._files, []
        self._directories = []
        for temporary, _final in files:
            temporary.unlink(missing_ok=True)
