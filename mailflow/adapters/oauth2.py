"""OAuth 2.0 bearer tokens for IMAP and SMTP (XOAUTH2, OAUTHBEARER).

    OAuth2Client    who asks and where: provider, client id (and secret), token endpoint, scopes
    TokenFile       the JSON file with the refresh and access token: mode 600, rewritten
                    atomically; a sibling `.lock` file (flock) makes processes refresh one at a time
    TokenSource     `access_token()`: the stored token while it stays good for `margin` seconds,
                    else a refreshed one (the refresh token may rotate: the new one is kept)
    sasl_xoauth2 / sasl_oauthbearer: the client's SASL response for a user and a token

Errors, for the poller and the sender (both retry a TransientError with backoff):

    TransientError
    └── OAuth2Error           the provider could not be reached or failed (5xx): retry later
        └── OAuth2GrantError  no usable grant (never signed in, refused, revoked): an admin must
                              run `mailflow auth login <name>`; raised again without asking the
                              provider until the token file changes, and logged once

Wall-clock time (`time.time`) on purpose: expiry instants are shared through the file between
processes, and the provider's `expires_in` counts real seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

from mailflow.adapters.durable import ensure_dir, fsync_dir
from mailflow.errors import TransientError

log = logging.getLogger("mailflow.oauth2")

Provider = Literal["microsoft", "google"]
MICROSOFT_LOGIN = "https://login.microsoftonline.com"
MICROSOFT_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "offline_access",
)
GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address, not a secret
GOOGLE_SCOPES = ("https://mail.google.com/",)
HTTP_TIMEOUT = 20.0


class OAuth2Error(TransientError):
    """The identity provider could not be reached or failed; try again later."""


class OAuth2GrantError(OAuth2Error):
    """There is no usable grant: sign in again with `mailflow auth login <name>`."""


@dataclass(frozen=True)
class OAuth2Client:
    provider: Provider
    client_id: str
    token_url: str
    scopes: tuple[str, ...]
    client_secret: str | None = None
    authority: str | None = None  # Microsoft: where msal discovers the endpoints
    auth_url: str | None = None  # Google: the consent page


def provider_client(
    provider: Provider,
    client_id: str,
    *,
    client_secret: str | None = None,
    tenant: str = "organizations",
    scopes: tuple[str, ...] = (),
    authority: str | None = None,
    auth_url: str | None = None,
    token_url: str | None = None,
) -> OAuth2Client:
    """The client with the provider's public endpoints and scopes, unless overridden."""
    if provider == "microsoft":
        base = (authority or f"{MICROSOFT_LOGIN}/{tenant}").rstrip("/")
        return OAuth2Client(
            provider, client_id, token_url or f"{base}/oauth2/v2.0/token", scopes or MICROSOFT_SCOPES,
            client_secret, authority=base,
        )  # fmt: skip
    return OAuth2Client(
        provider, client_id, token_url or GOOGLE_TOKEN_URL, scopes or GOOGLE_SCOPES, client_secret,
        auth_url=auth_url or GOOGLE_AUTH_URL,
    )  # fmt: skip


class BearerToken(Protocol):
    """What a connection needs from a token source (TokenSource is one)."""

    def access_token(self) -> str: ...

    def distrust(self, token: str) -> None: ...


# --- the token file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredToken:
    user: str
    provider: str
    client_id: str
    refresh_token: str
    access_token: str = ""
    expires_at: float = 0.0  # epoch seconds
    scopes: tuple[str, ...] = ()
    updated_at: float = 0.0
    version: int = 1

    def good_for(self, seconds: float, now: float) -> bool:
        return bool(self.access_token) and self.expires_at - now > seconds

    @classmethod
    def from_response(
        cls,
        body: dict[str, Any],
        *,
        user: str,
        client: OAuth2Client,
        previous: StoredToken | None,
        now: float,
    ) -> StoredToken:
        """A token endpoint's answer as stored; a response without a new refresh token keeps the
        old one (Google does not rotate them, Microsoft does)."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise OAuth2Error("the token endpoint answered without an access_token")
        refresh = body.get("refresh_token") or (previous.refresh_token if previous else "")
        if not refresh:
            raise OAuth2GrantError("the provider gave no refresh token (was offline access granted?)")
        lifetime = float(body.get("expires_in") or 3600)
        scope = body.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) else client.scopes
        return cls(user, client.provider, client.client_id, str(refresh), access, now + lifetime, scopes, now)


class TokenFile:
    """One JSON file, mode 600, in a folder of mode 700; never world-readable, even briefly."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> StoredToken | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise OAuth2GrantError(f"cannot read the token file {self.path}: {exc}") from None
        if not isinstance(raw, dict) or not raw.get("refresh_token"):
            raise OAuth2GrantError(f"the token file {self.path} holds no refresh token")
        known = {name: raw[name] for name in StoredToken.__dataclass_fields__ if name in raw}
        known["scopes"] = tuple(known.get("scopes") or ())
        return StoredToken(**known)

    def write(self, token: StoredToken) -> None:
        ensure_dir(self.path.parent)
        with contextlib.suppress(OSError):
            self.path.parent.chmod(0o700)
        data = json.dumps({**asdict(token), "scopes": list(token.scopes)}, indent=2).encode()
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        fsync_dir(self.path.parent)

    def fingerprint(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Held while refreshing: a second process waits, then finds the fresh token."""
        ensure_dir(self.path.parent)
        descriptor = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the flock


# --- talking to the token endpoint --------------------------------------------------------------

Poster = Callable[[str, dict[str, str]], tuple[int, dict[str, Any]]]


def post_form(url: str, data: dict[str, str], timeout: float = HTTP_TIMEOUT) -> tuple[int, dict[str, Any]]:
    """POST a form, return (status, JSON body). 4xx answers are returned (they carry the OAuth
    error); the network failing or a 5xx is an OAuth2Error."""
    request = urllib.request.Request(  # noqa: S310 - https endpoints from the config
        url,
        data=urlencode(data).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), _json(response.read())
    except urllib.error.HTTPError as exc:
        body = _json(exc.read())
        if exc.code >= 500:
            raise OAuth2Error(f"the identity provider failed ({exc.code}) at {url}") from None
        return int(exc.code), body
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OAuth2Error(f"cannot reach the identity provider at {url}: {reason}") from None


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8", errors="replace") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def oauth_error_text(body: dict[str, Any], status: int) -> str:
    error = str(body.get("error") or f"HTTP {status}")
    description = str(body.get("error_description") or "").splitlines()
    return f"{error}: {description[0]}" if description and description[0] else error


# --- the access token a connection uses ---------------------------------------------------------


@dataclass
class TokenSource:
    """Access tokens for one token file, shared by every connection of the process that uses it.

    `refused_message(reason)` builds the user-facing text of an OAuth2GrantError (the caller
    knows the account's name and the language).
    """

    client: OAuth2Client
    file: TokenFile
    refused_message: Callable[[str], str]
    margin: float = 300.0
    post: Poster = post_form
    now: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _refused: tuple[tuple[int, int, int] | None, str] | None = field(default=None, repr=False)
    _distrusted: str | None = field(default=None, repr=False)

    def access_token(self) -> str:
        with self._lock:
            if self._refused is not None:
                if self.file.fingerprint() == self._refused[0]:
                    raise OAuth2GrantError(self._refused[1])
                self._refused = None  # someone signed in again: try the new grant
            stored = self._stored()
            if self._usable(stored):
                return stored.access_token
            with self.file.lock():
                stored = self._stored()  # another process may have refreshed while we waited
                if self._usable(stored):
                    return stored.access_token
                fresh = self._refresh(stored)
                self.file.write(fresh)
            self._distrusted = None
            return fresh.access_token

    def distrust(self, token: str) -> None:
        """The server refused `token` although it looked valid: refresh it on the next use."""
        with self._lock:
            self._distrusted = token

    def _usable(self, stored: StoredToken) -> bool:
        return stored.access_token != self._distrusted and stored.good_for(self.margin, self.now())

    def _stored(self) -> StoredToken:
        stored = self.file.read()
        if stored is None:
            raise self._refuse("no token file yet")
        return stored

    def _refresh(self, stored: StoredToken) -> StoredToken:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": stored.refresh_token,
            "client_id": self.client.client_id,
        }
        if self.client.provider == "microsoft":
            form["scope"] = " ".join(self.client.scopes)
        if self.client.client_secret:
            form["client_secret"] = self.client.client_secret
        status, body = self.post(self.client.token_url, form)
        if status != 200:
            raise self._refuse(oauth_error_text(body, status))
        log.info("OAuth2 access token for %s refreshed", stored.user)
        return StoredToken.from_response(
            body, user=stored.user, client=self.client, previous=stored, now=self.now()
        )

    def _refuse(self, reason: str) -> OAuth2GrantError:
        message = self.refused_message(reason)
        if self._refused is None:
            log.error("%s", message)  # once per refused grant; the callers retry quietly
        self._refused = (self.file.fingerprint(), message)
        return OAuth2GrantError(message)


_sources: dict[Path, TokenSource] = {}
_sources_lock = threading.Lock()


def shared_source(
    client: OAuth2Client, path: Path, refused_message: Callable[[str], str], margin: float = 300.0
) -> TokenSource:
    """The process's one TokenSource for `path` (IMAP and SMTP may share one token file)."""
    with _sources_lock:
        source = _sources.get(path)
        if source is None or source.client != client or source.margin != margin:
            source = TokenSource(client, TokenFile(path), refused_message, margin)
            _sources[path] = source
        return source


# --- SASL -----------------------------------------------------------------------------------------


def sasl_xoauth2(user: str, token: str) -> str:
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def sasl_oauthbearer(user: str, token: str, host: str, port: int) -> str:
    return f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
