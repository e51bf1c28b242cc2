"""What `mailflow doctor` is tested against: a site on the session's Dovecot, an SMTP server that
delivers into Dovecot as a real MTA does (plus-addresses to the base mailbox, or not), and trust
root certificates with chosen validity."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.ports import free_port
from tests.fixtures.smtp import OK
from tests.fixtures.smtp import PASSWORD as SMTP_PASSWORD
from tests.ingest.conftest import write_config


class _Delivering:
    def __init__(self, dovecot: DovecotServer, *, plus: bool, clock_offset: timedelta) -> None:
        self.dovecot = dovecot
        self.plus = plus
        self.clock_offset = clock_offset
        self.received: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        for rcpt in envelope.rcpt_tos:
            local, _, domain = str(rcpt).lower().partition("@")
            with self.lock:
                self.received.append((str(rcpt), data))
            if "+" in local and not self.plus:
                # without recipient_delimiter the tagged address is no mailbox of ours: a catch-all
                # elsewhere takes it (rejecting it at RCPT is the other common outcome)
                continue
            # Postfix with recipient_delimiter = + files lapor+x@ under lapor@
            user = self.dovecot.add_user(f"{local.split('+', 1)[0]}@{domain}")
            self.dovecot.append(user, data, when=datetime.now(UTC) + self.clock_offset)
        return OK


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.password.decode() == SMTP_PASSWORD
    return AuthResult(success=ok, handled=False)


@contextmanager
def delivering_smtp(
    dovecot: DovecotServer, *, plus: bool = True, clock_offset: timedelta = timedelta(0)
) -> Iterator[tuple[int, _Delivering]]:
    """An SMTP server (AUTH with the fixtures' SMTP password) that files mail into Dovecot."""
    handler = _Delivering(dovecot, plus=plus, clock_offset=clock_offset)
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=_authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def doctor_site(
    root: Path,
    *,
    user: str,
    dovecot: DovecotServer,
    smtp_port: int,
    database_url: str | None = None,
    imap_port: int | None = None,
    imap_password: str | None = None,
    smtp_password: str = SMTP_PASSWORD,
    secret: str = "k3Jx9-Q2mVb7TzR4yLw8NpE6sHa1UcDf0GiOqZtXr5A",
    trust_roots: list[Path] | None = None,
    converter: str = "",
) -> Path:
    """The ingest tests' site, made live: replies come back to the mailbox's own address."""

    class _Smtp:
        port = smtp_port

    config = write_config(
        root, user=user, dovecot=dovecot, smtp=_Smtp(), database_url=database_url, imap_port=imap_port
    )  # type: ignore[arg-type]
    text = config.read_text(encoding="utf-8")
    text = text.replace('reply_address = "lapor@diskominfo.bontangkota.go.id"', f'reply_address = "{user}"')
    text = text.replace('secret = "uji-rahasia-token"', f'secret = "{secret}"')
    text = text.replace(
        'security = "plain"\nfrom_address',
        f'security = "plain"\nuser = "{user}"\npassword = "{smtp_password}"\nfrom_address',
        1,
    )
    if imap_password is not None:
        text = text.replace('password = "rahasia-uji"', f'password = "{imap_password}"', 1)
    if trust_roots:
        text += "\n[signatures]\ntrust_roots = [" + ", ".join(f'"{p}"' for p in trust_roots) + "]\n"
    text += f"\n[converter]\n{converter}\n" if converter else "\n[converter]\nstartup_timeout_seconds = 120\n"
    config.write_text(text, encoding="utf-8")
    return config


def root_certificate(
    path: Path, *, not_before: datetime, not_after: datetime, name: str = "BSrE Uji"
) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path
