"""The loop and noise guard: tell bounces, auto-replies and machine mail from a person's mail.

Judged from headers and MIME structure (RFC 3834 `Auto-Submitted`, `Precedence`, the empty
Return-Path of bounces, RFC 6522 `multipart/report` of any report-type, mailer-daemon senders,
RFC 7489 DMARC report file names), never from subject words alone ("Balasan otomatis", "Dibaca:"
and "Read:" are also what a person may type). Pure: no I/O, no clock.

- BOUNCE (a delivery failure), RECEIPT (a read receipt, MDN: report-type
  disposition-notification), REPORT (any other machine report: delivery delayed/delivered, ARF
  feedback-report, TLS-RPT, DMARC aggregate, unknown report-types) and AUTO_REPLY are recorded and
  never answered, never classified, never commands. Only a BOUNCE fails the outbox mail it names.
- OWN is mail from mailflow's own sending address coming back (a loop): recorded only.
- AUTOMATED (bulk, list, auto-generated notifications) is never answered either, but an inbox
  rule may accept it explicitly (`automated: true`), e.g. the LAPOR portal's notifications.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from mailflow.domain.inbound import InboundMail

_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_AUTOMATED_PRECEDENCE = ("bulk", "junk", "list")
_MSGID = re.compile(r"<([^<>\s@]+@([^<>\s@]+))>")
_NOT_A_FAILURE = ("delayed", "delivered", "relayed", "expanded")  # RFC 3464 actions
_DELIVERY_TYPES = ("delivery-status", "global-delivery-status")
# RFC 7489 7.2.1.1: receiver "!" policy-domain "!" begin "!" end ["!" unique-id] "." extension
_DMARC_FILE = re.compile(r"^[^!\s/]+![^!\s/]+!\d{9,11}!\d{9,11}(?:![^!\s/]+)?\.(?:xml|xml\.gz|gz|zip)$", re.I)


class NoiseKind(StrEnum):
    BOUNCE = "bounce"
    RECEIPT = "receipt"
    REPORT = "report"
    AUTO_REPLY = "auto_reply"
    OWN = "own"
    AUTOMATED = "automated"

    @property
    def may_match_rules(self) -> bool:
        return self is NoiseKind.AUTOMATED


@dataclass(frozen=True)
class Noise:
    kind: NoiseKind
    reason: str
    bounced_message_ids: tuple[str, ...] = ()


def detect_noise(
    mail: InboundMail, *, own_addresses: Collection[str] = (), own_domains: Collection[str] = ()
) -> Noise | None:
    """The kind of machine mail `mail` is, with the header that says so; None for a person's mail."""
    own = {a.lower() for a in own_addresses}
    bounce = _bounce_reason(mail)
    if bounce is not None:
        return Noise(NoiseKind.BOUNCE, bounce, bounced_message_ids(mail, own_domains))
    report = _report(mail)
    if report is not None:
        return report
    if mail.from_addr and mail.from_addr.lower() in own:
        return Noise(NoiseKind.OWN, f"From is mailflow's own address {mail.from_addr}")
    auto = _auto_reply_reason(mail)
    if auto is not None:
        return Noise(NoiseKind.AUTO_REPLY, auto)
    automated = _automated_reason(mail)
    if automated is not None:
        return Noise(NoiseKind.AUTOMATED, automated)
    return None


def _bounce_reason(mail: InboundMail) -> str | None:
    if mail.report is not None:
        if mail.report.action in _NOT_A_FAILURE:
            return None  # a delivery report, not a failure: see _report
        return "multipart/report; report-type=delivery-status (DSN)"
    if mail.report_type in _DELIVERY_TYPES:
        return "multipart/report; report-type=delivery-status (DSN)"
    if mail.report_type not in (None, "unknown"):
        return None  # a receipt or another report, whoever sent it: see _report
    local = (mail.from_addr or "").split("@", 1)[0].lower()
    if local in _DAEMONS:
        return f"From is {mail.from_addr}"
    if mail.loop.x_failed_recipients:
        return "X-Failed-Recipients header"
    if mail.loop.return_path == "" and _looks_like_delivery_failure(mail):
        return "empty Return-Path on a delivery failure"
    return None


def _report(mail: InboundMail) -> Noise | None:
    """Read receipts and machine reports, from the MIME structure (never the subject)."""
    if mail.report is not None:
        return Noise(NoiseKind.REPORT, f"delivery report (action {mail.report.action})")
    if mail.report_type == "disposition-notification":
        return Noise(NoiseKind.RECEIPT, "read receipt: report-type=disposition-notification (MDN)")
    if mail.report_type is not None:
        return Noise(NoiseKind.REPORT, f"machine report: report-type={mail.report_type}")
    for attachment in mail.attachments:
        if _DMARC_FILE.match(attachment.original_name or ""):
            return Noise(NoiseKind.REPORT, "DMARC aggregate report (RFC 7489 report file)")
    return None


def _looks_like_delivery_failure(mail: InboundMail) -> bool:
    # a read receipt or another report also comes from <> (RFC 8098): only a delivery report
    # whose report-type is missing may be a failure
    return mail.content_type == "multipart/report" and mail.report_type in (None, "unknown")


def _auto_reply_reason(mail: InboundMail) -> str | None:
    loop = mail.loop
    auto = (loop.auto_submitted or "").strip().lower()
    if auto.startswith("auto-replied"):
        return f"Auto-Submitted: {loop.auto_submitted}"
    precedence = (loop.precedence or "").strip().lower()
    if precedence == "auto_reply":
        return f"Precedence: {loop.precedence}"
    if loop.x_autoreply or loop.x_autorespond:
        return "X-Autoreply/X-Autorespond header"
    if loop.return_path == "":
        return "empty Return-Path (<>)"
    return None


def _automated_reason(mail: InboundMail) -> str | None:
    loop = mail.loop
    auto = (loop.auto_submitted or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {loop.auto_submitted}"
    precedence = (loop.precedence or "").strip().lower()
    if precedence in _AUTOMATED_PRECEDENCE:
        return f"Precedence: {loop.precedence}"
    if loop.list_id:
        return f"List-Id: {loop.list_id}"
    return None


def bounced_message_ids(mail: InboundMail, own_domains: Collection[str]) -> tuple[str, ...]:
    """Message-IDs of mails we sent that this bounce is about: from the DSN's returned headers,
    else any Message-ID of our domains quoted in its text (plain-text bounces)."""
    found: dict[str, None] = {}
    if mail.report is not None:
        for message_id in mail.report.original_message_ids:
            found.setdefault(message_id, None)
    domains = {d.lower() for d in own_domains}
    if domains:
        for match in _MSGID.finditer(mail.text):
            if match.group(2).lower() in domains:
                found.setdefault(f"<{match.group(1)}>", None)
    return tuple(found)
