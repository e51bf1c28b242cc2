"""Issue 14 point 2 over Dovecot and aiosmtpd, on SQLite and PostgreSQL: a complaint mailed from a
phone with a photo attached reaches the officials with the photo; a confidential one reaches the
OPD with a copy whose EXIF (GPS, owner, phone) is gone and whose name no longer names the
complainant; above the configured size the files are listed and STATUS LAMPIRAN (a Thunderbird
reply below the quote) brings them in several mails. Mails without a letter are checked as they
left over SMTP; those with a letter (waiting for its PDF) as queued, files read from disk.
"""

from __future__ import annotations

import io
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from mailflow.adapters.db.models import Case, OutboxAttachment
from mailflow.bootstrap.ingest import build_sender
from tests.engine.evidence_files import GPS, jpeg_bytes
from tests.hostile.test_reply_over_dovecot import IKP, KADIS, SEK_DISHUB, Site
from tests.hostile.test_reply_over_dovecot import site as site  # noqa: PLC0414  (the fixture)
from tests.ingest.builders import COMPLAINTS_TO, WHEN
from tests.intake.test_replies_live import deliver, thunderbird_bottom

pytestmark = [pytest.mark.imap, pytest.mark.slow]


def phone_complaint(
    sender: str, name: str, subject: str, text: str, photos: dict[str, bytes]
) -> EmailMessage:
    """Gmail for Android: text and HTML alternatives, the photos attached as image/jpeg."""
    message = EmailMessage(policy=SMTP)
    message["From"] = f"{name} <{sender}>"
    message["To"] = COMPLAINTS_TO
    message["Subject"] = subject
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = make_msgid(domain="mail.gmail.com")
    message.set_content(text)
    message.add_alternative(f'<div dir="auto">{text.replace(chr(10), "<br>")}</div>', subtype="html")
    for filename, data in photos.items():
        message.add_attachment(data, maintype="image", subtype="jpeg", filename=filename)
    return message


def registered(site: Site, message: EmailMessage) -> str:
    site.env.append(message.as_bytes(policy=SMTP))
    site.poll()
    with site.env.db.reader() as session:
        case = session.execute(select(Case).order_by(Case.id.desc())).scalars().first()
        assert case is not None
        return case.number


def photos_sent_to(site: Site, address: str, number: str) -> list[dict[str, bytes]]:
    """Per mail about `number` delivered to `address`: its image parts by file name."""
    build_sender(site.env.app).send_pass()
    found = []
    for delivery in site.env.smtp.deliveries:
        if address not in delivery.rcpt_tos:
            continue
        mail = message_from_bytes(delivery.data, policy=policy.default)
        if number not in str(mail["Subject"]):
            continue
        found.append(
            {
                str(part.get_filename()): part.get_content()
                for part in mail.iter_attachments()  # type: ignore[attr-defined]
                if part.get_content_maintype() == "image"
            }
        )
    return found


def queued_files(site: Site, kind: str, to: str) -> dict[str, bytes]:
    """The files (not the letters) of the newest `kind` mail to `to`, as the sender will read them:
    a mail with a letter leaves once LibreOffice made its PDF (not run here)."""
    row = site.mail(kind, to)
    with site.env.db.reader() as session:
        attachments = session.execute(
            select(OutboxAttachment).where(
                OutboxAttachment.outbox_id == row.id, OutboxAttachment.document_id.is_(None)
            )
        ).scalars()
        return {str(a.filename): Path(str(a.path)).read_bytes() for a in attachments}


def exif(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        found = image.getexif()
        return {**dict(found), **({0x8825: dict(found.get_ifd(0x8825))} if found.get_ifd(0x8825) else {})}


def test_photos_reach_the_officials_and_a_confidential_one_without_exif(site: Site) -> None:
    photo = jpeg_bytes(owner="Warga Api-Api")
    open_case = registered(
        site,
        phone_complaint(
            "rina.w@gmail.com",
            "Rina Wulandari",
            "Lampu jalan mati di Jl. Ahmad Yani",
            "Selamat malam, lampu jalan di depan masjid mati sejak 3 hari. Foto terlampir.\n\nRina",
            {"IMG_20261129_194210.jpg": photo},
        ),
    )
    (to_ikp,) = photos_sent_to(site, IKP, open_case)[-1:]
    assert to_ikp == {"IMG_20261129_194210.jpg": photo}  # as the citizen sent it
    site.answer(site.mail("action.2", IKP), "VALID DISHUB")
    assert queued_files(site, "action.4", KADIS) == {"IMG_20261129_194210.jpg": photo}

    secret = jpeg_bytes(owner="Budi Santoso")
    assert exif(secret)[0x8825] == GPS
    hidden = registered(
        site,
        phone_complaint(
            "budi.s@gmail.com",
            "Budi Santoso",
            "Pungli di loket pelayanan",
            "Saya dimintai uang tambahan di loket. Mohon identitas saya dirahasiakan.\n\nBudi Santoso",
            {"budi_santoso_loket.jpg": secret},
        ),
    )
    site.answer(site.mail("action.2", IKP), "VALID DISHUB")
    site.answer(site.mail("action.4", KADIS), "SETUJU")
    to_opd = queued_files(site, "action.5", SEK_DISHUB)
    assert hidden in site.mail("action.5", SEK_DISHUB).subject
    assert list(to_opd) == ["lampiran-1.jpg"]
    assert exif(to_opd["lampiran-1.jpg"]) == {}
    with Image.open(io.BytesIO(to_opd["lampiran-1.jpg"])) as image:
        assert image.size == (320, 240)  # the picture itself is all there


def test_status_lampiran_sends_them_in_parts(site: Site) -> None:
    with site.env.config.open("a", encoding="utf-8") as config:
        config.write("\n[evidence]\nmax_total_mb = 0.1\n")
    site.env.reload(site.clock)
    photos = {f"foto{i}.jpg": jpeg_bytes(size=(300, 300), noise=i) for i in (1, 2, 3)}
    number = registered(
        site,
        phone_complaint(
            "rina.w@gmail.com",
            "Rina",
            "Jalan berlubang besar",
            "Jalan berlubang, lihat foto.\n\nRina",
            photos,
        ),
    )
    action = site.mail("action.2", IKP)
    assert "STATUS LAMPIRAN" in action.text_body and photos_sent_to(site, IKP, number) == [{}]
    asked = deliver(site, thunderbird_bottom(site, action, IKP, "STATUS LAMPIRAN"))
    assert asked.status == "processed", asked.quarantine_reason
    parts = photos_sent_to(site, IKP, number)[1:]
    assert len(parts) == 3
    got = {name: data for part in parts for name, data in part.items()}
    assert got == photos
