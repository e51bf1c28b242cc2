"""In-flight markers: which message a poller is processing right now, in a small file.

A message whose processing kills the process itself (a crash in a C library, the OOM killer)
never reaches the code that counts failed attempts, so after every restart the poller would take
it first again, for ever, and the messages behind it would wait. Before each message the poller
writes its identity here; the marker is cleared when the batch ends. A marker left by a process
of this machine that is no longer running names the message it died on, and the next poller
counts that as a failed attempt (see IngestService.record_crash).

The marker only has to outlive the process, not the machine, so it is not fsynced: the kernel
keeps the written page when a process is killed. Writing it costs a rename per message.
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

    def begin(self, uidvalidity: int | None, uid: int | None, sha256: str, raw_path: str) -> None:
        pid = os.getpid()
        marker = InFlight(self.account, self.folder, uidvalidity, uid, sha256, raw_path, self.host, pid)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = self._own.with_suffix(".part")
            partial.write_text(json.dumps(asdict(marker)), encoding="utf-8")
            partial.replace(self._own)
        except OSError as exc:  # the marker is a safety net: without it the mail still goes in
            log.warning("cannot write the in-flight marker %s: %s", self._own, exc)

    def clear(self) -> None:
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
