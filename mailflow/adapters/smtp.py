"""SMTP with smtplib: TLS, STARTTLS or plain, optional login, one connection reused for a batch.

Errors are sorted for the sender: a 4xx reply, a dropped connection or a timeout is a
TransientError (retry later with backoff); a 5xx reply for the message or all its recipients is
a PermanentDeliveryError (the mail is marked failed, never retried).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from mailflow.adapters.oauth2 import BearerToken, sasl_oauthbearer, sasl_xoauth2
from mailflow.errors import MailflowError, TransientError

Security = Literal["tls", "starttls", "plain"]


class SmtpTransientError(TransientError):
    """The server or network failed for now; try again later."""


class PermanentDeliveryError(MailflowError):
    """The server refused this mail for good (5xx): do not retry."""

    def __init__(self, message: str, code: int | None = None) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class SmtpAccount:
    host: str
    port: int
    security: Security = "starttls"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    local_hostname: str | None = None
    # OAuth2: a bearer token instead of the password, sent with `mechanism`
    bearer: BearerToken | None = field(default=None, compare=False)
    mechanism: Literal["xoauth2", "oauthbearer"] = "xoauth2"


class SmtpTransport:
    """Opens lazily, reuses the connection, reconnects after an error."""

    def __init__(self, account: SmtpAccount, context: ssl.SSLContext | None = None) -> None:
        self.account = account
        self._context = context
        self._client: smtplib.SMTP | None = None

    @property
    def context(self) -> ssl.SSLContext:
        """Built on first use: reading the CA store costs ~45 ms and plain connections never need it."""
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        account = self.account
        # The token first: without a usable grant there is nothing to connect for.
        token = account.bearer.access_token() if account.bearer is not None else None
        try:
            client: smtplib.SMTP
            if account.security == "tls":
                client = smtplib.SMTP_SSL(
                    account.host, account.port, timeout=account.timeout, context=self.context,
                    local_hostname=account.local_hostname,
                )  # fmt: skip
            else:
                client = smtplib.SMTP(
                    account.host, account.port, timeout=account.timeout,
                    local_hostname=account.local_hostname,
                )  # fmt: skip
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise SmtpTransientError(f"cannot connect to SMTP {account.host}:{account.port}: {exc}") from exc
        try:
            if account.security == "starttls":
                client.starttls(context=self.context)
            if token is not None:
                _bearer_login(client, account, token)
            elif account.user:
                client.login(account.user, account.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            _close(client)
            if token is not None and account.bearer is not None:
                account.bearer.distrust(token)  # revoked or expired early: the next attempt refreshes
            raise SmtpTransientError(
                f"SMTP login refused ({exc.smtp_code}): {_text(exc.smtp_error)}"
            ) from exc
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            _close(client)
            raise SmtpTransientError(f"cannot connect to SMTP {account.host}:{account.port}: {exc}") from exc
        return client

    def connect(self) -> None:
        """Open the connection and sign in now unless it is open (raises SmtpTransientError);
        `send` does it on first use anyway."""
        if self._client is None:
            self._client = self._connect()

    def open(self) -> None:
        """`mailflow doctor`: connect and sign in now."""
        self.connect()

    def send(self, raw: bytes, *, mail_from: str, rcpt_to: Sequence[str]) -> None:
        """Deliver `raw` to every recipient, or raise. When every recipient is refused: 4xx is
        transient, 5xx permanent. When only some are (smtplib returns them), the mail counts as
        delivered to the others."""
        if self._client is None:
            self._client = self._connect()
        try:
            self._client.sendmail(mail_from, list(rcpt_to), raw)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{a}: {c} {_text(m)}" for a, (c, m) in exc.recipients.items())
            if all(400 <= c < 500 for c in codes):
                raise SmtpTransientError(f"recipients deferred: {detail}") from exc
            raise PermanentDeliveryError(f"recipients refused: {detail}", max(codes)) from exc
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            self._reset()
            if 500 <= exc.smtp_code < 600:
                raise PermanentDeliveryError(
                    f"refused ({exc.smtp_code}): {_text(exc.smtp_error)}", exc.smtp_code
                ) from exc
            raise SmtpTransientError(f"deferred ({exc.smtp_code}): {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self.close()
            raise SmtpTransientError(f"SMTP delivery failed: {type(exc).__name__}: {exc}") from exc

    def _reset(self) -> None:
        if self._client is None:
            return
        try:
            self._client.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self._client is None:
            return
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self._client.quit()
        with contextlib.suppress(OSError):
            self._client.close()
        self._client = None


def _bearer_login(client: smtplib.SMTP, account: SmtpAccount, token: str) -> None:
    user = account.user or ""
    if account.mechanism == "oauthbearer":
        initial = sasl_oauthbearer(user, token, account.host, account.port)
        name = "OAUTHBEARER"
    else:
        initial, name = sasl_xoauth2(user, token), "XOAUTH2"

    def respond(challenge: bytes | None = None) -> str:
        # After a failure the server sends a JSON error as a challenge; an empty answer ends it.
        return initial if challenge is None else ""

    client.ehlo_or_helo_if_needed()
    client.auth(name, respond)


def _close(client: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        client.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
