"""The demo's mail servers on loopback: an IMAP server for the complaint mailbox (pymap, pure
Python) and an SMTP server (aiosmtpd) that plays the Internet.

The SMTP server delivers what is addressed to the complaint mailbox (lapor@..., lapor+token@...)
into its IMAP INBOX, the way the city's mail server would, with the demo clock's time as the
INTERNALDATE. Every other message (to officials and citizens) is kept in memory for the
simulated people to read, and copied into the IMAP folder "Petugas" so a person with Thunderbird
can follow along (`mailflow demo --keep`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from aiosmtpd.controller import Controller
from imapclient import IMAPClient

from mailflow.clock import Clock
from mailflow.errors import DependencyError

log = logging.getLogger("mailflow.demo")
OFFICIALS_FOLDER = "Petugas"
OK = "250 OK"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise DependencyError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class MailboxServer(Protocol):
    """The IMAP server holding the complaint mailbox, as the demo uses it."""

    port: int
    user: str
    password: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def append(self, raw: bytes, when: Any, folder: str = "INBOX") -> None: ...


class ImapServer:
    """pymap's in-memory backend: one login, the complaint mailbox."""

    def __init__(self, user: str, password: str, workdir: Path) -> None:
        self.user = user
        self.password = password
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self._lock = threading.Lock()
        self._client: IMAPClient | None = None

    def start(self) -> None:
        executable = Path(sys.executable).with_name("pymap")
        command = str(executable) if executable.exists() else shutil.which("pymap")
        if not command:
            raise DependencyError("pymap is not installed (pip install pymap); the demo needs it for IMAP")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = (self.workdir / "pymap.log").open("ab")
        self.process = subprocess.Popen(
            [
                command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-tls",
                "--no-service",
                "admin",
                "dict",
                "--demo-user",
                self.user,
                "--demo-password",
                self.password,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.logout()
                self._client = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    @contextlib.contextmanager
    def client(self) -> Iterator[IMAPClient]:
        """One shared connection for the demo's own deliveries (serialised by a lock)."""
        with self._lock:
            if self._client is None:
                client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
                client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                client.login(self.user, self.password)
                self._client = client
            yield self._client

    def append(self, raw: bytes, when: Any, folder: str = "INBOX") -> None:
        with self.client() as client:
            if folder != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, msg_time=when)


@dataclass
class Received:
    """A message the SMTP server handed to a person outside the complaint mailbox."""

    to: str
    raw: bytes
    at: Any

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    imap: MailboxServer
    clock: Clock
    mailbox_local: str
    mailbox_domain: str
    inboxes: dict[str, list[Received]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delivered: threading.Condition = field(default_factory=threading.Condition)

    def is_ours(self, address: str) -> bool:
        local, _, domain = address.lower().partition("@")
        return domain == self.mailbox_domain and local.split("+", 1)[0] == self.mailbox_local

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        raw = bytes(envelope.original_content or envelope.content)
        now = self.clock.now()
        for rcpt in (str(r).lower() for r in envelope.rcpt_tos):
            if self.is_ours(rcpt):
                self.imap.append(raw, now)
                continue
            with self.lock:
                self.inboxes.setdefault(rcpt, []).append(Received(rcpt, raw, now))
            try:
                self.imap.append(raw, now, folder=OFFICIALS_FOLDER)
            except Exception:  # the copy is a courtesy for --keep; the demo reads from memory
                log.debug("copy to %s failed", OFFICIALS_FOLDER, exc_info=True)
        with self.delivered:
            self.delivered.notify_all()
        return OK


class SmtpServer:
    def __init__(self, imap: MailboxServer, clock: Clock, mailbox: str) -> None:
        local, _, domain = mailbox.lower().partition("@")
        self.handler = _Handler(imap, clock, local, domain)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.controller.stop()

    def inbox(self, address: str) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.inboxes.get(address.lower(), []))

    def all_received(self) -> list[Received]:
        with self.handler.lock:
            return [r for items in self.handler.inboxes.values() for r in items]
