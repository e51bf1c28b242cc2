"""Messages built in code: bulk complaints, auto-replies, bounces, big attachments."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"
COMPLAINTS_TO = "lapor@diskominfo.bontangkota.go.id"
WHEN = datetime(2026, 11, 30, 0, 5, 2, tzinfo=UTC)  # Mon 30 Nov 2026 08:05:02 WITA


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def complaint(
    index: int, *, subject: str | None = None, body: str | None = None, sender: str | None = None
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Warga {index} <{sender or f'warga{index}@gmail.com'}>"
    message["To"] = COMPLAINTS_TO
    message["Subject"] = subject or f"Jalan berlubang di RT {index:03d} Kelurahan Api-Api"
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = make_msgid(f"aduan{index}", domain="mail.gmail.com")
    message.set_content(
        body
        or (
            f"Selamat pagi,\n\nJalan di RT {index:03d} berlubang dan sering membuat motor jatuh.\n"
            f"Mohon segera diperbaiki.\n\nWarga {index}\nHP: 0812{index:08d}\n"
        )
    )
    return message.as_bytes()


def auto_reply(index: int, style: str) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Pegawai {index} <pegawai{index}@bontangkota.go.id>"
    message["To"] = COMPLAINTS_TO
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = make_msgid(f"auto{index}", domain="bontangkota.go.id")
    message["Subject"] = f"Balasan otomatis: [LPR-2026-{index:05d}] Aduan baru"
    if style == "rfc3834":
        message["Auto-Submitted"] = "auto-replied"
    elif style == "precedence":
        message["Precedence"] = "auto_reply"
    elif style == "x-autoreply":
        message["X-Autoreply"] = "yes"
    elif style == "empty-return-path":
        message["Return-Path"] = "<>"
    message.set_content("Saya sedang tidak di kantor. SETUJU\nVALID DISHUB\n")
    return message.as_bytes()


def bounce_of(message_id: str) -> bytes:
    return sample("dsn_bounce.eml").replace(b"@@BOUNCED_ID@@", message_id.encode())


def with_big_attachment(megabytes: int = 20) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = "Hendra <hendra.video@gmail.com>"
    message["To"] = COMPLAINTS_TO
    message["Subject"] = "Video banjir di Jl. MT Haryono"
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = make_msgid("video", domain="mail.gmail.com")
    message.set_content("Banjir setinggi lutut di Jl. MT Haryono setiap hujan. Video terlampir.\n")
    message.add_attachment(
        os.urandom(megabytes * 1024 * 1024), maintype="video", subtype="mp4", filename="banjir.mp4"
    )
    return message.as_bytes()
