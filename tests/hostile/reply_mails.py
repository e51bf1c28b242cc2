"""Replies to mailflow's action mails as they reach the complaint mailbox: a sender's message
(Gmail-, Outlook- or phone-shaped, with the quoted history) under the trace headers the
receiving server prepends (Return-Path, Delivered-To, Received, its Authentication-Results).

Written for the issue-11 tests: whatever the sender writes (including Authentication-Results
headers of their own) sits below the receiving server's headers, as in real mail.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

WITA = ZoneInfo("Asia/Makassar")
MX = "mx.bontangkota.go.id"
OFFICIAL_DOMAIN = "bontangkota.go.id"


def server_pass(sender: str, server: str = MX) -> str:
    """What the receiving server writes for a mail whose DKIM, SPF and DMARC passed for `sender`."""
    domain = sender.rsplit("@", 1)[1]
    return (
        f"{server}; dkim=pass (2048-bit key; unprotected) header.d={domain} header.i=@{domain} "
        f"header.s=mail header.b=Qm9udGFu; spf=pass ({server}: domain of {sender} designates "
        f"103.10.20.30 as permitted sender) smtp.mailfrom={sender}; dmarc=pass (p=quarantine dis=none) "
        f"header.from={domain}"
    )


def server_fail(sender: str, server: str = MX) -> str:
    """What the receiving server writes for a mail that claims `sender` but came from elsewhere."""
    domain = sender.rsplit("@", 1)[1]
    return (
        f'{server}; dkim=fail reason="signature verification failed" (2048-bit key) '
        f"header.d={domain} header.i=@{domain} header.s=mail header.b=ZmFrZQ; spf=fail "
        f"({server}: domain of {sender} does not designate 185.220.101.7 as permitted sender) "
        f"smtp.mailfrom={sender}; dmarc=fail (p=quarantine dis=quarantine) header.from={domain}"
    )


def quoted(text: str) -> str:
    return "\n".join(("> " + line) if line else ">" for line in text.splitlines())


def reply(
    *,
    sender: str,
    name: str,
    to: str,
    subject: str,
    body: str,
    original_text: str,
    original_id: str | None,
    when: datetime,
    server_auth: Sequence[str] = (),
    sender_headers: Sequence[tuple[str, str]] = (),
    style: str = "gmail",
) -> bytes:
    """The bytes the mailbox holds for `sender`'s reply `body` above the quoted `original_text`.

    `server_auth` are the receiving server's Authentication-Results headers (topmost first);
    `sender_headers` are written by the sender into the message itself (below every trace header).
    """
    local = when.astimezone(WITA)
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=name, addr_spec=sender)
    message["To"] = to
    message["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    message["Date"] = format_datetime(local)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1])
    if original_id:
        message["In-Reply-To"] = original_id
        message["References"] = original_id
    for key, value in sender_headers:
        message[key] = value
    attribution = (
        f"Pada tanggal Sen, {local.day} Nov {local.year} pukul {local:%H.%M} LAPOR Bontang "
        "<lapor@diskominfo.bontangkota.go.id>\nmenulis:"
    )
    if style == "outlook":
        text = (
            f"{body}\n\n________________________________\nDari: LAPOR Bontang "
            f"<lapor@diskominfo.bontangkota.go.id>\nDikirim: Senin, {local.day} November {local.year} "
            f"{local:%H.%M}\nKepada: {name} <{sender}>\nSubjek: {subject}\n\n{original_text}"
        )
    elif style == "iphone":
        text = f"{body}\n\nDikirim dari iPhone saya\n\n> {attribution.replace(chr(10), ' ')}\n>\n{quoted(original_text)}"
    else:
        text = f"{body}\n\n{attribution}\n\n{quoted(original_text)}\n"
    message.set_content(text)
    if style == "gmail":
        paragraphs = "".join(f"<div>{html.escape(line) or '<br>'}</div>" for line in body.splitlines())
        message.add_alternative(
            f'<div dir="ltr">{paragraphs}</div><br><div class="gmail_quote"><div dir="ltr" '
            f'class="gmail_attr">{html.escape(attribution)}<br></div><blockquote class="gmail_quote" '
            f'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
            f"{html.escape(original_text).replace(chr(10), '<br>')}</blockquote></div>",
            subtype="html",
        )
    envelope_to = to.split(",", 1)[0].strip()
    trace = [
        f"Return-Path: <{sender}>",
        f"Delivered-To: {envelope_to}",
        f"Received: from {MX} ({MX} [10.10.0.5]) by imap.diskominfo.bontangkota.go.id with LMTP "
        f"id kJ8m; {format_datetime(local)}",
        *(f"Authentication-Results: {value}" for value in server_auth),
        f"Received: from mail-out.example ([185.220.101.7]) by {MX} (Postfix) with ESMTPS id 4Xy7Qm "
        f"for <{envelope_to}>; {format_datetime(local)}",
    ]
    return "\r\n".join(trace).encode() + b"\r\n" + message.as_bytes()
