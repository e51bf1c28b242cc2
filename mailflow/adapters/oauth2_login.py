"""Signing in once, interactively: the flows `mailflow auth login` runs. Each returns the token
endpoint's answer (access token, refresh token, lifetime) for the caller to store.

- **Microsoft identity platform**: the device-code flow (RFC 8628) through `msal`: the admin
  opens the verification page on any computer, types the code and signs in as the mailbox.
- **Google**: the installed-app flow: authorization code with PKCE (RFC 7636) and a loopback
  redirect (RFC 8252). Google's device flow does not allow the Gmail scope
  (https://mail.google.com/), so it cannot be used for IMAP/SMTP. On a server without a browser
  the admin opens the address on their own computer; after "Allow" that browser fails to load
  http://127.0.0.1:<port>/?code=..., and the admin pastes that address back (`pasted`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from mailflow.adapters.oauth2 import OAuth2Client, Poster, oauth_error_text, post_form
from mailflow.errors import MailflowError

RESERVED_SCOPES = frozenset({"offline_access", "openid", "profile"})  # msal adds them itself


class OAuth2LoginError(MailflowError):
    """The sign-in did not finish: nothing was stored. `code` is "refused" (the provider's own
    reason is the message), "timeout", "state" (an answer to another request) or "no_secret"."""

    def __init__(self, message: str, code: str = "refused") -> None:
        self.code = code
        super().__init__(message)


def microsoft_device_login(
    client: OAuth2Client, show: Callable[[str, str], None], *, timeout: float = 900.0
) -> dict[str, Any]:
    """Run msal's device-code flow; `show(verification_uri, user_code)` tells the admin."""
    import msal  # noqa: PLC0415 - only `mailflow auth login` needs it

    scopes = [s for s in client.scopes if s not in RESERVED_SCOPES]
    try:
        # instance_discovery=False: msal then reads the authority's own OpenID configuration, which
        # also works for national clouds and a private authority.
        app = msal.PublicClientApplication(
            client.client_id, authority=client.authority, instance_discovery=False
        )
        flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            raise OAuth2LoginError(oauth_error_text(flow, 400))
        flow["expires_at"] = min(float(flow.get("expires_at", 0)), time.time() + timeout)
        show(str(flow["verification_uri"]), str(flow["user_code"]))
        result: dict[str, Any] = app.acquire_token_by_device_flow(flow)
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors; msal's discovery ValueErrors
        raise OAuth2LoginError(f"{client.authority}: {exc}") from None
    if "access_token" not in result:
        raise OAuth2LoginError(oauth_error_text(result, 400))
    return result


class _Receiver:
    """A one-shot HTTP listener on 127.0.0.1 that catches the browser's redirect."""

    def __init__(self, done_page: str) -> None:
        self.result: str | None = None
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urlparse(self.path).query
                if "code=" in query or "error=" in query:
                    receiver.result = self.path
                    receiver.arrived.set()
                page = f"<!doctype html><meta charset=utf-8><p>{done_page}</p>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def google_loopback_login(
    client: OAuth2Client,
    user: str,
    show: Callable[[str], None],
    pasted: Callable[[float], str | None],
    *,
    done_page: str,
    timeout: float = 900.0,
    post: Poster = post_form,
) -> dict[str, Any]:
    """Authorization code + PKCE with a loopback redirect; `show(url)` tells the admin where to
    sign in, `pasted(seconds)` waits that long for an address pasted back (or None)."""
    if not client.client_secret:
        raise OAuth2LoginError("client_secret is missing", "no_secret")
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    receiver = _Receiver(done_page)
    redirect = f"http://127.0.0.1:{receiver.port}/"
    query = {
        "client_id": client.client_id,
        "redirect_uri": redirect,
        "response_type": "code",
        "scope": " ".join(client.scopes),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        "access_type": "offline",  # a refresh token, so mailflow keeps working unattended
        "prompt": "consent",
        "login_hint": user,
    }
    try:
        show(f"{client.auth_url}?{urlencode(query)}")
        answer = _wait_for_answer(receiver, pasted, timeout)
    finally:
        receiver.close()
    params = _answer_params(answer)
    if params.get("state") != state:
        raise OAuth2LoginError("state mismatch", "state")
    if "error" in params or not params.get("code"):
        raise OAuth2LoginError(params.get("error", "no code"))
    status, body = post(
        str(client.token_url),
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "code_verifier": verifier,
            "redirect_uri": redirect,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        },
    )
    if status != 200:
        raise OAuth2LoginError(oauth_error_text(body, status))
    return body


def _wait_for_answer(receiver: _Receiver, pasted: Callable[[float], str | None], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if receiver.arrived.wait(0.05):
            assert receiver.result is not None
            return receiver.result
        with contextlib.suppress(OSError):
            line = pasted(0.2)
            if line and line.strip():
                return line.strip()
    raise OAuth2LoginError("timeout", "timeout")


def _answer_params(answer: str) -> dict[str, str]:
    """The query of the redirect address (as received, or pasted by the admin)."""
    query = urlparse(answer).query if "?" in answer else answer
    return {key: values[0] for key, values in parse_qs(query).items()}
