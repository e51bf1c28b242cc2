"""A content-addressed store for raw mail and attachments: <root>/<ab>/<sha256><suffix>.

A file is written to a temporary name, fsynced, renamed into place and its directory fsynced,
so once `put` returns the bytes survive a crash or power loss. Writing the same content again
is a no-op, which is what makes repeated work after a crash harmless.

A store made with `deferred(round)` writes the same way but leaves the fsyncs and renames to a
durable.SyncRound that the caller runs once for a whole batch (group commit): its files exist
under their final names only after `round.run()`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mailflow.adapters.durable import SyncRound, ensure_dir, fsync_dir, write_atomic, write_temporary
from mailflow.errors import StorageError

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    path: Path
    size: int


class ContentStore:
    def __init__(self, root: Path, suffix: str = "", round_: SyncRound | None = None) -> None:
        self.root = root
        self.suffix = suffix
        self.round = round_

    def deferred(self, round_: SyncRound) -> ContentStore:
        """This store, leaving fsync and rename of what it writes to `round_`."""
        return ContentStore(self.root, self.suffix, round_)

    def path_for(self, sha256: str, suffix: str | None = None) -> Path:
        return self.root / sha256[:2] / f"{sha256}{self.suffix if suffix is None else suffix}"

    def put(self, data: bytes, suffix: str | None = None) -> StoredBlob:
        """Store `data` durably; returns where it is."""
        digest = hashlib.sha256(data).hexdigest()
        final = self.path_for(digest, suffix)
        if final.exists() and final.stat().st_size == len(data):
            return StoredBlob(digest, final, len(data))
        try:
            ensure_dir(final.parent, self.round)
            if self.round is not None:
                self.round.add(write_temporary(final, data, sync=False), final)
            else:
                write_atomic(final, data)
        except OSError as exc:
            raise StorageError(f"cannot write {final}: {exc}") from exc
        return StoredBlob(digest, final, len(data))

    def put_many(self, items: list[bytes], suffix: str | None = None) -> list[StoredBlob]:
        """Store several blobs durably in one sync round (a fetched batch); on a deferred store
        the caller's round does the syncing."""
        own = self.round is None
        round_ = SyncRound() if self.round is None else self.round
        blobs: list[StoredBlob] = []
        try:
            for data in items:
                digest = hashlib.sha256(data).hexdigest()
                final = self.path_for(digest, suffix)
                blobs.append(StoredBlob(digest, final, len(data)))
                if final.exists() and final.stat().st_size == len(data):
                    continue
                ensure_dir(final.parent, round_)
                round_.add(write_temporary(final, data, sync=False), final)
            if own:
                round_.run()
        except OSError as exc:
            if own:
                round_.discard()
            raise StorageError(f"cannot write to {self.root}: {exc}") from exc
        return blobs

    def writer(self, suffix: str | None = None) -> BlobWriter:
        """A streaming writer: write chunks, then `commit()` (or `abort()`)."""
        return BlobWriter(self, suffix)

    def read(self, path: str | Path) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc


class BlobWriter:
    """Stream bytes into the store without holding them in memory; hashed on the way."""

    def __init__(self, store: ContentStore, suffix: str | None) -> None:
        self.store = store
        self.suffix = suffix
        self.temp = self.store.root / f".incoming.{secrets.token_hex(8)}.tmp"
        try:
            self._handle: BinaryIO | None = self.temp.open("wb")
        except FileNotFoundError:  # the store's first file
            self.store.root.mkdir(parents=True, exist_ok=True)
            self._handle = self.temp.open("wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        assert self._handle is not None
        self._handle.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def commit(self) -> StoredBlob:
        assert self._handle is not None
        digest = self._hash.hexdigest()
        final = self.store.path_for(digest, self.suffix)
        round_ = self.store.round
        try:
            self._handle.flush()
            if round_ is None:
                os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
            ensure_dir(final.parent, round_)
            if final.exists() and final.stat().st_size == self.size:
                self.temp.unlink()
            elif round_ is not None:
                round_.add(self.temp, final)
            else:
                self.temp.replace(final)
                fsync_dir(final.parent)
        except OSError as exc:
            raise StorageError(f"cannot write {final}: {exc}") from exc
        return StoredBlob(digest, final, self.size)

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()
