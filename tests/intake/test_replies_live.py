"""Issue 14 point 4 over Dovecot and aiosmtpd, on SQLite and PostgreSQL: officials answer where
their mail client puts the cursor (Thunderbird below the quote, Gmail between quoted blocks,
Outlook above its unquoted history, a webmail whose text alternative lost the quote marks), and
an official who writes from their second address gets the refusal, the confirmation and the
STATUS answer there, not at the directory's main address.

The replies are written here the way those clients write them (headers, parts, quote markup),
and reach the mailbox under the receiving server's trace headers (tests/hostile/reply_mails).
"""

from __future__ import annotations

import html
from datetime import timedelta
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

import pytest

from mailflow.adapters.db.models import Message, OutboxMail
from mailflow.bootstrap.ingest import build_sender
from tests.hostile.reply_mails import MX, WITA, quoted, server_pass
from tests.hostile.test_reply_over_dovecot import IKP, KADIS, SEK_DISHUB, Site
from tests.hostile.test_reply_over_dovecot import site as site  # noqa: PLC0414  (the fixture)

pytestmark = [pytest.mark.imap, pytest.mark.slow]

KADIS_DISHUB = "kadis.dishub@bontangkota.go.id"
KABID_PJU = "pju.dishub@bontangkota.go.id"
PJU_GMAIL = "agus.salim.pju@gmail.com"  # the Kabid PJU's second address (directory other_emails)


def deliver(site: Site, message: EmailMessage) -> Message:
    """Put `message` into the mailbox under the receiving server's headers, poll, return its row."""
    sender = message["From"].addresses[0].addr_spec
    local = site.clock.now().astimezone(WITA)
    trace = [
        f"Return-Path: <{sender}>",
        f"Delivered-To: {message['To']}",
        f"Received: from {MX} by imap.diskominfo.bontangkota.go.id with LMTP; {format_datetime(local)}",
        f"Authentication-Results: {server_pass(sender)}",
    ]
    raw = "\r\n".join(trace).encode() + b"\r\n" + message.as_bytes(policy=SMTP)
    site.env.append(raw)
    site.poll()
    (row,) = site.env.rows(Message, Message.message_id == str(message["Message-ID"]))
    return row


def envelope(site: Site, original: OutboxMail, sender: str, name: str) -> EmailMessage:
    site.clock.advance(timedelta(minutes=10))
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=name, addr_spec=sender)
    message["To"] = original.reply_to or ""
    message["Subject"] = f"Re: {original.subject}"
    message["Date"] = format_datetime(site.clock.now().astimezone(WITA))
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1])
    message["In-Reply-To"] = original.message_id
    message["References"] = original.message_id
    return message


def thunderbird_bottom(site: Site, original: OutboxMail, sender: str, command: str) -> EmailMessage:
    """Thunderbird set to "start my reply below the quote": plain text, format=flowed."""
    message = envelope(site, original, sender, "Muhammad Ridwan")
    message["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0"
    when = site.clock.now().astimezone(WITA)
    text = (
        f"On {when:%d/%m/%Y} {when:%H.%M}, LAPOR Bontang wrote:\n{quoted(original.text_body)}\n\n"
        f"{command}\n\n-- \nMuhammad Ridwan\nKabid IKP Diskominfo Bontang\n"
    )
    message.set_content(text, params={"format": "flowed"})
    return message


def gmail_interleaved(site: Site, original: OutboxMail, sender: str, command: str) -> EmailMessage:
    """Gmail: the answer typed between two quoted blocks, text and HTML alternatives."""
    message = envelope(site, original, sender, "Kadis Kominfo")
    lines = original.text_body.splitlines()
    attribution = "On Mon, 30 Nov 2026 at 10:05, LAPOR Bontang <lapor@diskominfo.bontangkota.go.id> wrote:"
    plain = f"{attribution}\n\n{quoted(chr(10).join(lines[:5]))}\n\n{command}\n\n{quoted(chr(10).join(lines[5:]))}\n"
    message.set_content(plain)

    def block(part: list[str]) -> str:
        return (
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
            f'rgb(204,204,204);padding-left:1ex">{"<br>".join(html.escape(x) for x in part)}</blockquote>'
        )

    message.add_alternative(
        f'<div dir="ltr"><br></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"{html.escape(attribution)}<br></div>{block(lines[:5])}<div>{html.escape(command)}</div><div><br></div>"
        f"{block(lines[5:])}</div>",
        subtype="html",
    )
    return message


def outlook_top(site: Site, original: OutboxMail, sender: str, command: str) -> EmailMessage:
    """Outlook desktop: HTML above its reply separator and the unquoted history."""
    message = envelope(site, original, sender, "Fitriani")
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    message["Thread-Index"] = "AdrQm3x0bXVsdGlwbGU="
    header = (
        "From: LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\nSent: Monday, November 30, 2026 10:55 AM\n"
        f"To: Fitriani <{sender}>\nSubject: {original.subject}\n"
    )
    message.set_content(f"{command}\n\n{header}\n{original.text_body}\n")
    history = html.escape(original.text_body).replace("\n", "<br>\n")
    message.add_alternative(
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
        '<body><div class="WordSection1"><p class="MsoNormal">'
        f"{html.escape(command)}<o:p></o:p></p></div>"
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif"><b>From:</b> LAPOR Bontang'
        f"<br><b>Sent:</b> Monday, November 30, 2026 10:55 AM<br><b>Subject:</b> {html.escape(original.subject)}"
        f"</font></div><div>{history}</div></body></html>",
        subtype="html",
    )
    return message


def webmail_bottom(site: Site, original: OutboxMail, sender: str, command: str) -> EmailMessage:
    """A webmail answering below the quote: the HTML marks the quote (a blockquote in its
    quoted container), but the text alternative it generates keeps the history unmarked."""
    message = envelope(site, original, sender, "Drs. Hendra Gunawan")
    attribution = "On Monday, 30 November 2026 at 11:20:00 WITA, LAPOR Bontang <lapor@diskominfo.bontangkota.go.id> wrote:"
    message.set_content(f"{attribution}\n\n{original.text_body}\n\n{command}\n")
    message.add_alternative(
        '<html><body><div class="ydp_container"><div class="yahoo_quoted"><div>'
        f'{html.escape(attribution)}</div><blockquote style="border-left:1px solid #ccc;padding-left:6px">'
        f"{html.escape(original.text_body).replace(chr(10), '<br>')}</blockquote></div>"
        f"<div>{html.escape(command)}</div></div></body></html>",
        subtype="html",
    )
    return message


def test_commands_wherever_the_clients_put_them(site: Site) -> None:
    number = site.complaint()
    tb = deliver(site, thunderbird_bottom(site, site.mail("action.2", IKP), IKP, "VALID DISHUB"))
    assert tb.status == "processed", tb.quarantine_reason
    assert site.open_steps(number) == [4]
    gm = deliver(site, gmail_interleaved(site, site.mail("action.4", KADIS), KADIS, "SETUJU"))
    assert gm.status == "processed", gm.quarantine_reason
    ol = deliver(site, outlook_top(site, site.mail("action.5", SEK_DISHUB), SEK_DISHUB, "TERIMA"))
    assert ol.status == "processed", ol.quarantine_reason
    # the text alternative alone holds no own words below its unmarked history: before issue 14 the
    # reply was refused as empty ("Baris pertama balasan Anda kosong")
    web = deliver(
        site, webmail_bottom(site, site.mail("action.6", KADIS_DISHUB), KADIS_DISHUB, "DISPOSISI PJU: cek")
    )
    assert web.status == "processed", web.quarantine_reason
    assert site.open_steps(number) == [7]
    # a command that only stands in the quoted history never acts
    quote_only = envelope(site, site.mail("action.7", KABID_PJU), KABID_PJU, "Agus Salim")
    quote_only.set_content(f"On Mon wrote:\n{quoted('KHUSUS perlu tinjauan lapangan')}\n")
    assert deliver(site, quote_only).status == "quarantined"
    assert site.open_steps(number) == [7]


def add_second_address(site: Site) -> None:
    directory = site.env.root / "directory.yaml"
    text = directory.read_text(encoding="utf-8")
    old = "email: pju.dishub@bontangkota.go.id,"
    assert old in text
    directory.write_text(text.replace(old, f"{old} other_emails: [{PJU_GMAIL}],"), encoding="utf-8")
    site.env.reload(site.clock)


def sent_to(site: Site, address: str) -> list[EmailMessage]:
    build_sender(site.env.app).send_pass()
    return [
        message_from_bytes(d.data, policy=policy.default)  # type: ignore[misc]
        for d in site.env.smtp.deliveries
        if address in d.rcpt_tos
    ]


def test_an_official_writing_from_a_second_address_is_answered_there(site: Site) -> None:
    add_second_address(site)
    number = site.complaint()
    site.answer(site.mail("action.2", IKP), "VALID DISHUB")
    site.answer(site.mail("action.4", KADIS), "SETUJU")
    site.answer(site.mail("action.5", SEK_DISHUB), "TERIMA")
    site.answer(site.mail("action.6", KADIS_DISHUB), "DISPOSISI PJU: mohon dicek")
    action = site.mail("action.7", KABID_PJU)
    # a sentence, not a command: the explanation goes to the address the official wrote from
    refused = site.answer(action, "Tanggapan kami menyusul besok.", sender=PJU_GMAIL, name="Agus Salim")
    assert refused.status == "quarantined"
    explain = site.mail("explain", PJU_GMAIL)
    assert explain.reply_to and explain.reply_to.startswith("lapor+")  # its commands act on the step
    # KHUSUS with its reason: the confirmation goes there too
    special = site.answer(
        action, "KHUSUS perlu tinjauan lapangan bersama DPUPR", sender=PJU_GMAIL, name="Agus Salim"
    )
    assert special.status == "processed", special.quarantine_reason
    assert site.mail("confirm.special_track", PJU_GMAIL)
    status = site.answer(action, "STATUS", sender=PJU_GMAIL, name="Agus Salim")
    assert status.status == "processed"
    assert site.mail("info.status", PJU_GMAIL)
    # nothing of it went to the main address; all of it went out over SMTP to the second one
    to_main = [r.kind for r in site.env.rows(OutboxMail, OutboxMail.to_addr == KABID_PJU)]
    assert to_main == ["action.7"]
    kinds = sorted(str(m["Subject"]).split("] ", 1)[1][:12] for m in sent_to(site, PJU_GMAIL))
    assert len(kinds) == 3
    assert site.open_steps(number) == [7]
