"""In-flight markers: which message a poller is processing right now, in a small file.

A message whose processing kills the process itself (a crash in a C library, the OOM killer)
never reaches the code that counts failed attempts, so after every restart the poller would take
it first again, for ever, and the messages behind it would wait. Before each message the poller
writes its identity here; the marker is cleared when the batch ends. A marker left by a process
of this machine that is no longer running names the message it died on, and the next poller
counts that as a failed attempt (see IngestService.record_crash).

The marker only has to outlive the process, not the machine, so it is not fsynced: the kernel
keeps the written page when a process is killed. It is overwritten in place (one pwrite of a
few hundred bytes per message into a file kept open for the batch), not renamed or truncated:
ext4 flushes a file to disk when it replaces another by rename or was truncated to zero
(auto_da_alloc), which cost a disk write per message. A write that small into the page cache is
whole or not at all when the process is killed; a longer earlier marker is covered with spaces.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from mailflow.adapters.processes import pid_alive

log = logging.getLogger("mailflow.inflight")


@dataclass(frozen=True)
class InFlight:
    account: str
    folder: str
    uidvalidity: int | None
    uid: int | None
    sha256: str
    raw_path: str
    host: str
    pid: int


class InFlightMarkers:
    """The markers of one mailbox folder under `directory` (`<data_dir>/inflight`)."""

    def __init__(self, directory: Path, account: str, folder: str) -> None:
        self.directory = directory
        self.account = account
        self.folder = folder
        self.host = socket.gethostname()
        # several pollers (processes, or threads for other mailboxes) each own one file
        tag = hashlib.sha256(f"{account}\0{folder}".encode()).hexdigest()[:12]
        self._prefix = f"{tag}_"
        self._own = directory / f"{self._prefix}{self.host}_{os.getpid()}.json"
        self._descriptor: int | None = None
        self._written = 0  # bytes of the longest marker written into the open file

    def begin(self, uidvalidity: int | None, uid: int | None, sha256: str, raw_path: str) -> None:
        pid = os.getpid()
        marker = InFlight(self.account, self.folder, uidvalidity, uid, sha256, raw_path, self.host, pid)
        data = json.dumps(asdict(marker)).encode()
        data = data.ljust(self._written, b" ")
        try:
            if self._descriptor is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                self._descriptor = os.open(self._own, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                self._written = 0
            os.pwrite(self._descriptor, data, 0)
            self._written = len(data)
        except OSError as exc:  # the marker is a safety net: without it the mail still goes in
            log.warning("cannot write the in-flight marker %s: %s", self._own, exc)

    def clear(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
        self._written = 0
        with contextlib.suppress(FileNotFoundError):
            self._own.unlink()

    def orphans(self) -> Iterator[tuple[Path, InFlight | None]]:
        """Markers of this folder left by dead processes of this machine (None: unreadable)."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob(f"{self._prefix}{self.host}_*.json")):
            try:
                pid = int(path.stem.rsplit("_", 1)[1])
            except (IndexError, ValueError):
                continue
            if pid_alive(pid):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                yield path, InFlight(**data)
            except (OSError, ValueError, TypeError) as exc:
                log.warning("unreadable in-flight marker %s (%s); dropped", path, exc)
                yield path, None

    @staticmethod
    def drop(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
