"""The mail half of `mailflow doctor`: SMTP sign-in and a test mail, and for each mailbox the IMAP
sign-in, its folders, IDLE, and whether a plus-address (`lapor+probe...@`) reaches it.

The probe is one small mail sent through the configured SMTP account to the reply address with
a `+probe<random>` tag and a unique `X-Mailflow-Probe` header; the complaint mailbox is searched
for that header (also in the processed and quarantine folders, in case a running poller took it
first), and the probe is deleted once found. Its INTERNALDATE is the server's clock, which the
clock check compares with ours. The probe says `Auto-Submitted: auto-generated`, so a poller that
meets it ignores it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol

from mailflow.adapters.imap import ImapConnection, ImapError, ImapLoginError
from mailflow.adapters.oauth2 import OAuth2Error
from mailflow.adapters.smtp import SmtpTransport
from mailflow.config.model import MailboxSection, Settings
from mailflow.errors import MailflowError
from mailflow.services.ingest.poller import account_for
from mailflow.services.operations.findings import DoctorOptions, Finding, Status
from mailflow.services.outbound.sender import smtp_account


class Checker(Protocol):
    """The doctor as the mail checks use it (services.operations.doctor.Doctor)."""

    settings: Settings
    options: DoctorOptions
    lang: str
    server_time: datetime | None
    local_at_probe: datetime | None

    def t(self, key: str, **values: Any) -> str: ...

    def finding(
        self, check: str, subject: str, status: Status, key: str, hint: str = "", **values: Any
    ) -> Finding: ...


PROBE_HEADER = "X-Mailflow-Probe"
PROBE_POLL_SECONDS = 0.5


class MailChecks:
    def __init__(self, doctor: Checker) -> None:
        self.doctor = doctor
        self.settings = doctor.settings
        self.options = doctor.options
        self.probe_id: str | None = None
        self.probe_address: str | None = None
        self.sent_at: datetime | None = None

    # --- SMTP ------------------------------------------------------------------------------

    def check_smtp(self) -> Iterator[Finding]:
        d, smtp = self.doctor, self.settings.smtp
        where = f"{smtp.host}:{smtp.port} ({smtp.security})"
        transport = SmtpTransport(replace(smtp_account(self.settings), timeout=self.options.timeout))
        try:
            try:
                transport.open()
            except MailflowError as exc:
                yield d.finding("smtp", where, "fail", "smtp.login_failed", _smtp_hint(exc), error=exc)
                return
            who = smtp.user or "-"
            yield d.finding("smtp", where, "ok", "smtp.login_ok" if smtp.user else "smtp.no_login", user=who)
            if self.options.send_to:
                yield from self._test_mail(transport, where, self.options.send_to)
            if "mailboxes" not in self.options.skip and self._probe_box() is not None:
                yield from self._send_probe(transport, where)
        finally:
            transport.close()

    def _test_mail(self, transport: SmtpTransport, where: str, to: str) -> Iterator[Finding]:
        d = self.doctor
        message = self._message(to, d.t("smtp.test_subject"), d.t("smtp.test_body", host=where))
        try:
            transport.send(message.as_bytes(), mail_from=str(self.settings.smtp.from_address), rcpt_to=[to])
        except MailflowError as exc:
            yield d.finding("smtp", to, "fail", "smtp.test_failed", "smtp.test_hint", error=exc)
            return
        yield d.finding("smtp", to, "ok", "smtp.test_ok", to=to, message_id=message["Message-ID"])

    def _send_probe(self, transport: SmtpTransport, where: str) -> Iterator[Finding]:
        d = self.doctor
        local, _, domain = str(self.settings.tokens.reply_address).partition("@")
        probe = secrets.token_hex(6)
        address = f"{local}+probe{probe}@{domain}"
        message = self._message(address, d.t("probe.subject", probe=probe), d.t("probe.body"))
        message[PROBE_HEADER] = probe
        try:
            transport.send(
                message.as_bytes(), mail_from=str(self.settings.smtp.from_address), rcpt_to=[address]
            )
        except MailflowError as exc:
            yield d.finding("smtp", address, "fail", "probe.send_failed", "probe.send_hint", error=exc)
            return
        self.probe_id, self.probe_address, self.sent_at = probe, address, datetime.now(UTC)

    def _message(self, to: str, subject: str, body: str) -> EmailMessage:
        smtp = self.settings.smtp
        message = EmailMessage()
        message["From"] = f"{smtp.from_name} <{smtp.from_address}>"
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid("doctor", domain=str(smtp.from_address).rpartition("@")[2])
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message

    # --- IMAP ------------------------------------------------------------------------------

    def _probe_box(self) -> MailboxSection | None:
        """The mailbox replies to the reply address land in: the complaints mailbox of that
        address, else the first complaints mailbox."""
        boxes = [b for b in self.settings.mailboxes if b.role == "complaints"]
        reply = str(self.settings.tokens.reply_address).lower()
        for box in boxes:
            if box.user.lower() == reply:
                return box
        return boxes[0] if boxes else None

    def check_mailboxes(self) -> Iterator[Finding]:
        d = self.doctor
        if not self.settings.mailboxes:
            yield d.finding("mailboxes", "[[mailboxes]]", "fail", "imap.none", "imap.none_hint")
            return
        probe_box = self._probe_box()
        for box in self.settings.mailboxes:
            yield from self._mailbox(box, probe=box is probe_box)

    def _mailbox(self, box: MailboxSection, *, probe: bool) -> Iterator[Finding]:
        d = self.doctor
        where = f"{box.name}: {box.user}@{box.host}:{box.port}"
        try:
            conn = ImapConnection.open(account_for(box, timeout=self.options.timeout, lang=d.lang))
        except OAuth2Error as exc:
            yield d.finding("mailboxes", where, "fail", "imap.oauth_failed", error=exc)
            return
        except ImapLoginError as exc:
            yield d.finding("mailboxes", where, "fail", "imap.login_refused", "imap.login_hint", error=exc)
            return
        except ImapError as exc:
            yield d.finding(
                "mailboxes", where, "fail", "imap.unreachable", "imap.unreachable_hint", error=exc
            )
            return
        try:
            yield d.finding("mailboxes", where, "ok", "imap.login_ok", method=box.auth)
            yield from self._folders(conn, box)
            if box.idle and conn.has_idle:
                yield d.finding("mailboxes", box.name, "ok", "imap.idle_ok")
            elif box.idle:
                yield d.finding(
                    "mailboxes", box.name, "warn", "imap.no_idle", seconds=box.poll_interval_seconds
                )
            if probe:
                yield from self._find_probe(conn, box)
        except ImapError as exc:
            yield d.finding("mailboxes", where, "fail", "imap.failed", error=exc)
        finally:
            conn.close()

    def _folders(self, conn: ImapConnection, box: MailboxSection) -> Iterator[Finding]:
        d = self.doctor
        if conn.has_folder(box.folder):
            state = conn.select(box.folder)
            yield d.finding(
                "mailboxes", box.folder, "ok", "imap.folder_ok", folder=box.folder, count=state.exists
            )
        else:
            yield d.finding(
                "mailboxes", box.folder, "fail", "imap.folder_missing", "imap.folder_hint", folder=box.folder
            )
        wanted = [box.quarantine_folder] + ([box.processed_folder] if box.mark_processed == "move" else [])
        for folder in wanted:
            if conn.has_folder(folder):
                yield d.finding("mailboxes", folder, "ok", "imap.folder_ok", folder=folder, count="-")
            elif not self.options.create_folders:
                yield d.finding("mailboxes", folder, "warn", "imap.folder_absent", folder=folder)
            else:
                try:
                    conn.ensure_folder(folder)
                except ImapError as exc:
                    yield d.finding(
                        "mailboxes", folder, "fail", "imap.create_failed", folder=folder, error=exc
                    )
                    continue
                yield d.finding("mailboxes", folder, "ok", "imap.folder_created", folder=folder)

    def _find_probe(self, conn: ImapConnection, box: MailboxSection) -> Iterator[Finding]:
        d = self.doctor
        if self.probe_id is None:
            yield d.finding("mailboxes", box.name, "warn", "probe.not_sent", "probe.not_sent_hint")
            return
        folders = [box.folder, box.processed_folder, box.quarantine_folder]
        deadline = time.monotonic() + self.options.probe_wait
        while True:
            for folder in folders:
                if not conn.has_folder(folder):
                    continue
                conn.select(folder)
                conn.noop()
                uids = conn.search_header(PROBE_HEADER, self.probe_id)
                if uids:
                    envelopes = conn.envelopes(uids)
                    conn.expunge(uids)
                    if envelopes and envelopes[0].internaldate is not None:
                        self.doctor.server_time = envelopes[0].internaldate
                        self.doctor.local_at_probe = self.sent_at
                    waited = (datetime.now(UTC) - self.sent_at).total_seconds() if self.sent_at else 0.0
                    yield d.finding(
                        "mailboxes",
                        box.name,
                        "ok",
                        "probe.ok",
                        address=self.probe_address,
                        seconds=round(waited, 1),
                    )
                    return
            if time.monotonic() >= deadline:
                break
            time.sleep(PROBE_POLL_SECONDS)
        yield d.finding(
            "mailboxes",
            box.name,
            "fail",
            "probe.missing",
            "probe.missing_hint",
            address=self.probe_address,
            seconds=round(self.options.probe_wait),
        )


def _smtp_hint(exc: MailflowError) -> str:
    text = str(exc)
    if isinstance(exc, OAuth2Error):
        return ""
    if "login refused" in text:
        return "smtp.login_hint"
    return "smtp.unreachable_hint"
