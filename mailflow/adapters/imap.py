"""IMAP with imapclient: connect (TLS, STARTTLS or plain), select, search, batched fetch, IDLE,
move or flag. Every library, socket and TLS error becomes an ImapError (a TransientError), so the
poller has one thing to catch: reconnect with backoff.
"""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mailflow.adapters.oauth2 import BearerToken
from mailflow.errors import TransientError

Security = Literal["tls", "starttls", "plain"]
NEW_MAIL = (b"EXISTS", b"RECENT")
T = TypeVar("T")


class ImapError(TransientError):
    """The server or the network failed; reconnect and try again later."""


class ImapLoginError(ImapError):
    """The server refused the login (wrong user or password): retried, but logged loudly."""


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    security: Security = "tls"
    timeout: float = 60.0
    # OAuth2: a bearer token instead of the password, sent with `mechanism`
    bearer: BearerToken | None = field(default=None, compare=False)
    mechanism: Literal["xoauth2", "oauthbearer"] = "xoauth2"

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port} ({self.security})"


@dataclass(frozen=True)
class FolderState:
    name: str
    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass(frozen=True)
class Envelope:
    uid: int
    size: int
    internaldate: datetime | None


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    internaldate: datetime | None
    header_only: bool = False


@contextlib.contextmanager
def _guard(what: str) -> Iterator[None]:
    try:
        yield
    except LoginError as exc:
        raise ImapLoginError(f"IMAP login refused: {exc}") from exc
    except (IMAPClientError, imaplib.IMAP4.error, OSError, ssl.SSLError, EOFError) as exc:
        raise ImapError(f"IMAP {what} failed: {type(exc).__name__}: {exc}") from exc


class ImapConnection:
    """One logged-in connection. Not thread-safe: one per mailbox loop."""

    def __init__(self, client: IMAPClient, account: ImapAccount) -> None:
        self.client = client
        self.account = account
        self.client.normalise_times = False  # aware datetimes for INTERNALDATE
        with _guard("capability"):
            self.capabilities = {c.decode().upper() for c in client.capabilities()}
        self.selected: FolderState | None = None

    @classmethod
    def open(cls, account: ImapAccount, context: ssl.SSLContext | None = None) -> ImapConnection:
        # Building a default context reads the system's CA store (~45 ms): only for TLS.
        if context is None and account.security != "plain":
            context = ssl.create_default_context()
        # The token first: without a usable grant there is nothing to connect for.
        token = account.bearer.access_token() if account.bearer is not None else None
        with _guard(f"connect to {account.describe()}"):
            client = IMAPClient(
                account.host,
                port=account.port,
                ssl=account.security == "tls",
                ssl_context=context if account.security == "tls" else None,
                timeout=account.timeout,
            )
            try:
                _no_delay(client)
                if account.security == "starttls":
                    assert context is not None
                    client.starttls(context)
                    _no_delay(client)
                _login(client, account, token)
            except BaseException:
                with contextlib.suppress(Exception):
                    client.shutdown()
                raise
        return cls(client, account)

    @property
    def has_idle(self) -> bool:
        return "IDLE" in self.capabilities

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.logout()
        with contextlib.suppress(Exception):
            self.client.shutdown()

    # --- folders --------------------------------------------------------------------------

    def select(self, folder: str) -> FolderState:
        with _guard(f"select {folder}"):
            info = self.client.select_folder(folder)
        self.selected = FolderState(
            name=folder,
            uidvalidity=int(info[b"UIDVALIDITY"]),
            uidnext=int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None,
            exists=int(info.get(b"EXISTS", 0)),
        )
        return self.selected

    def has_folder(self, folder: str) -> bool:
        with _guard(f"list {folder}"):
            return bool(self.client.folder_exists(folder))

    def ensure_folder(self, folder: str) -> None:
        with _guard(f"create {folder}"):
            if self.client.folder_exists(folder):
                return
            try:
                self.client.create_folder(folder)
            except IMAPClientError:
                if not self.client.folder_exists(folder):  # a concurrent poller may have made it
                    raise

    # --- reading --------------------------------------------------------------------------

    def search(self, without_keyword: str | None = None) -> list[int]:
        criteria: list[Any] = ["UNKEYWORD", without_keyword] if without_keyword else ["ALL"]
        with _guard("search"):
            return sorted(int(uid) for uid in self.client.search(criteria))

    def search_header(self, name: str, value: str) -> list[int]:
        """UIDs in the selected folder whose header `name` contains `value` (server-side SEARCH)."""
        with _guard(f"search {name}"):
            return sorted(int(uid) for uid in self.client.search(["HEADER", name, value]))

    def envelopes(self, uids: Sequence[int], chunk: int = 1000) -> list[Envelope]:
        """Size and INTERNALDATE of each message (cheap: no bodies)."""
        out: list[Envelope] = []
        for start in range(0, len(uids), chunk):
            part = list(uids[start : start + chunk])
            with _guard("fetch sizes"):
                data = self.client.fetch(part, ["RFC822.SIZE", "INTERNALDATE"])
            for uid, item in data.items():
                out.append(
                    Envelope(int(uid), int(item.get(b"RFC822.SIZE", 0)), _utc(item.get(b"INTERNALDATE")))
                )
        return sorted(out, key=lambda e: e.uid)

    def fetch(self, uids: Sequence[int], *, header_only: bool = False) -> list[Fetched]:
        """BODY.PEEK[] (never sets \\Seen) of `uids` in one round trip; missing UIDs are skipped."""
        if not uids:
            return []
        item = "BODY.PEEK[HEADER]" if header_only else "BODY.PEEK[]"
        key = b"BODY[HEADER]" if header_only else b"BODY[]"
        data = self._tolerating_expunge(
            uids, lambda some: self.client.fetch(list(some), [item, "INTERNALDATE"])
        )
        out = [
            Fetched(int(uid), bytes(parts[key]), _utc(parts.get(b"INTERNALDATE")), header_only)
            for uid, parts in data.items()
            if parts.get(key) is not None
        ]
        return sorted(out, key=lambda f: f.uid)

    # --- marking --------------------------------------------------------------------------

    def move(self, uids: Sequence[int], folder: str) -> None:
        if not uids:
            return
        self._tolerating_expunge(uids, lambda some: self._move(some, folder))

    def _move(self, uids: Sequence[int], folder: str) -> None:
        if "MOVE" in self.capabilities:
            self.client.move(list(uids), folder)
            return
        self.client.copy(list(uids), folder)
        self.client.add_flags(list(uids), [b"\\Deleted"], silent=True)
        if "UIDPLUS" in self.capabilities:
            self.client.uid_expunge(list(uids))
        else:
            self.client.expunge()

    def _tolerating_expunge(
        self, uids: Sequence[int], command: Callable[[Sequence[int]], T]
    ) -> T | dict[Any, Any]:
        """Run `command` on `uids`; when another session expunged some of them meanwhile
        (NO [EXPUNGEISSUED], e.g. a second poller moved them), retry with those still there."""
        remaining = list(uids)
        for _ in range(5):
            try:
                with _guard("command"):
                    return command(remaining)
            except ImapError as exc:
                if "EXPUNGEISSUED" not in str(exc):
                    raise
            with _guard("search after expunge"):
                self.client.noop()
                remaining = sorted(int(u) for u in self.client.search(["UID", ",".join(map(str, remaining))]))
            if not remaining:
                return {}
        raise ImapError("messages kept disappearing under a concurrent session")

    def expunge(self, uids: Sequence[int]) -> None:
        """Delete `uids` from the selected folder for good (e.g. `mailflow doctor`'s probe)."""
        if not uids:
            return
        with _guard("delete"):
            self.client.add_flags(list(uids), [b"\\Deleted"], silent=True)
            if "UIDPLUS" in self.capabilities:
                self.client.uid_expunge(list(uids))
            else:
                self.client.expunge()

    def add_keyword(self, uids: Sequence[int], keyword: str) -> None:
        if not uids:
            return
        with _guard(f"flag {keyword}"):
            self.client.add_flags(list(uids), [keyword.encode()], silent=True)

    # --- waiting --------------------------------------------------------------------------

    def idle_wait(self, seconds: float, stop: threading.Event, tick: float = 1.0) -> bool:
        """IDLE up to `seconds`; True as soon as the server announces new mail, False on timeout
        or when `stop` is set. The caller re-issues IDLE well within the 29-minute limit."""
        deadline = time.monotonic() + seconds
        with _guard("idle"):
            self.client.idle()
            try:
                while not stop.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    for response in self.client.idle_check(timeout=min(tick, remaining)):
                        if len(response) > 1 and response[1] in NEW_MAIL:
                            return True
                        if response and response[0] == b"BYE":
                            raise ImapError("server said BYE during IDLE")
                return False
            finally:
                self.client.idle_done()

    def noop(self) -> None:
        with _guard("noop"):
            self.client.noop()


def _login(client: IMAPClient, account: ImapAccount, token: str | None) -> None:
    if token is None:
        client.login(account.user, account.password)
        return
    assert account.bearer is not None
    try:
        if account.mechanism == "oauthbearer":
            client.oauthbearer_login(account.user, token)
        else:
            client.oauth2_login(account.user, token)
    except LoginError:
        account.bearer.distrust(token)  # revoked or expired early: the next attempt refreshes
        raise


def _no_delay(client: IMAPClient) -> None:
    # Without it each small command waits for delayed ACKs (docs/RECIPES.md: 45 ms per APPEND).
    with contextlib.suppress(OSError):
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
