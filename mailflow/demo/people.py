"""Simulated people: citizens who write complaints and officials who answer the system's mails
the way people do, from Gmail, Outlook or a phone, in Indonesian, with the quoted history below
their answer and a signature. Their mails go out through the demo's SMTP server."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape

from mailflow.demo.mailserver import Received

HARI_PENDEK = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN_PENDEK = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
BULAN = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Post:
    """Sends mail through the demo's SMTP server."""

    port: int
    zone: tzinfo

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as smtp:
            smtp.send_message(message)


def complaint(
    *,
    name: str,
    address: str,
    to: str,
    subject: str,
    body: str,
    when: datetime,
    zone: tzinfo,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """A citizen's complaint as Gmail sends it (text and HTML, photos attached)."""
    message = EmailMessage()
    message["From"] = Address(display_name=name, addr_spec=address)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(when.astimezone(zone))
    message["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[1])
    message.set_content(body)
    message.add_alternative(_html_paragraphs(body), subtype="html")
    _attach(message, attachments)
    return message


def web_form(
    *,
    name: str,
    address: str,
    phone: str,
    to: str,
    subject: str,
    body: str,
    when: datetime,
    zone: tzinfo,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The city website's complaint form: its no-reply robot sends the labelled fields the citizen
    filled in (Indonesian labels, whatever language they wrote in), the citizen in Reply-To, and
    the photo they uploaded attached."""
    message = EmailMessage()
    message["From"] = Address(
        display_name="Website Pemerintah Kota Bontang", addr_spec="noreply@bontangkota.go.id"
    )
    message["Reply-To"] = Address(display_name=name, addr_spec=address)
    message["To"] = to
    message["Subject"] = f"[Formulir Pengaduan] {subject}"
    message["Date"] = format_datetime(when.astimezone(zone))
    message["Message-ID"] = make_msgid(domain="bontangkota.go.id")
    fields = (("Nama", name), ("Email", address), ("No. HP", phone), ("Judul", subject))
    text = (
        "Pengaduan baru melalui formulir website bontangkota.go.id\n\n"
        + "".join(f"{label}: {value}\n" for label, value in fields)
        + f"\nIsi Pengaduan:\n{body}\n\n---\nEmail ini dikirim otomatis oleh sistem website Pemerintah "
        "Kota Bontang. Mohon tidak membalas email ini.\n"
    )
    rows = "".join(f"<tr><td><b>{label}:</b></td><td>{escape(value)}</td></tr>" for label, value in fields)
    html = (
        "<html><body><p>Pengaduan baru melalui formulir website bontangkota.go.id</p>"
        f'<table border="1" cellpadding="4">{rows}</table><p><b>Isi Pengaduan:</b><br>'
        f"{escape(body).replace(chr(10), '<br>')}</p></body></html>"
    )
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    _attach(message, attachments)
    return message


def _attach(message: EmailMessage, attachments: Sequence[Attachment]) -> None:
    for item in attachments:
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)


def reply(
    original: Received,
    *,
    name: str,
    address: str,
    body: str,
    style: str,
    when: datetime,
    zone: tzinfo,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """`name` answers `original` with `body` written above the quoted history, in `style`:
    "gmail" (Indonesian Gmail: the "Pada tanggal ... menulis:" header wrapped over two lines),
    "outlook" (Indonesian Outlook: a rule and a "Dari:/Dikirim:/Kepada:/Subjek:" block),
    "iphone" ("Dikirim dari iPhone saya", then the quote) or "thunderbird" (set to answer below the
    quote: the attribution and the quoted history first, the answer under it, plain text)."""
    source = original.message
    sender = str(source["From"])
    sent = _sent_at(source, zone)
    plain = source.get_body(preferencelist=("plain",))
    quoted_text = plain.get_content() if plain is not None else ""
    message = EmailMessage()
    message["From"] = Address(display_name=name, addr_spec=address)
    message["To"] = str(source["Reply-To"] or source["From"])
    subject = str(source["Subject"] or "")
    message["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    message["Date"] = format_datetime(when.astimezone(zone))
    message["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[1])
    if source["Message-ID"]:
        message["In-Reply-To"] = str(source["Message-ID"])
        references = " ".join(p for p in (str(source["References"] or ""), str(source["Message-ID"])) if p)
        message["References"] = references.strip()
    if style == "outlook":
        header = (
            "________________________________\n"
            f"Dari: {sender}\nDikirim: {_long_date(sent)}\nKepada: {name} <{address}>\nSubjek: {subject}\n"
        )
        text = f"{body}\n\n{header}\n{quoted_text}"
    elif style == "thunderbird":
        head = f"Pada {sent:%d/%m/%Y} {sent:%H.%M}, {sender} menulis:"
        text = f"{head}\n{_quote(quoted_text)}\n\n{body}\n\n-- \n{name}\n"
        message["User-Agent"] = (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0"
        )
    elif style == "iphone":
        day = f"{sent.day} {BULAN_PENDEK[sent.month - 1]} {sent.year}"
        head = f"Pada {day}, pukul {sent:%H.%M}, {sender} menulis:"
        text = f"{body}\n\nDikirim dari iPhone saya\n\n> {head}\n>\n{_quote(quoted_text)}"
    else:
        head = (
            f"Pada tanggal {HARI_PENDEK[sent.weekday()]}, {sent.day} {BULAN_PENDEK[sent.month - 1]} "
            f"{sent.year} pukul {sent:%H.%M} {sender}\nmenulis:"
        )
        text = f"{body}\n\n{head}\n\n{_quote(quoted_text)}"
    message.set_content(text)
    if style == "gmail":
        html = (
            f'<div dir="ltr">{_html_paragraphs(body)}</div><br><div class="gmail_quote">'
            f'<div dir="ltr" class="gmail_attr">{escape(head)}<br></div>'
            f'<blockquote class="gmail_quote">{_html_paragraphs(quoted_text)}</blockquote></div>'
        )
        message.add_alternative(html, subtype="html")
    _attach(message, attachments)
    return message


def _sent_at(message: EmailMessage, zone: tzinfo) -> datetime:
    value = message["Date"]
    when = getattr(value, "datetime", None)
    if isinstance(when, datetime):
        return when.astimezone(zone)
    return datetime.now(zone)


def _long_date(when: datetime) -> str:
    return f"{HARI[when.weekday()]}, {when.day} {BULAN[when.month - 1]} {when.year} {when:%H.%M}"


def _quote(text: str) -> str:
    return "\n".join(("> " + line) if line else ">" for line in text.splitlines())


def _html_paragraphs(text: str) -> str:
    return "".join(f"<div>{escape(line) or '<br>'}</div>" for line in text.splitlines())
