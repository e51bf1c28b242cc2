"""Issue 14 point 2 on SQLite and PostgreSQL: the complainant's files reach the officials.

Real files (a phone photo with EXIF GPS and owner, a PDF with its author, a DOCX with its author
and company), stored as ingest stores attachments; the mails are checked as the sender would
resolve them (services/outbound/outbox.resolve_attachments), the letters as real DOCX files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, Document, OutboxMail
from mailflow.adapters.docx_text import docx_text
from mailflow.config.directory_file import load_directory
from mailflow.config.loader import load_config
from mailflow.domain.inbound import InboundMail
from mailflow.services.letters.service import LetterService
from tests.engine.evidence_files import (
    GPS,
    OWNER,
    docx_bytes,
    docx_people,
    exif_of,
    heic_bytes,
    jpeg_bytes,
    pdf_bytes,
    pdf_info,
    refused,
    stored,
)
from tests.engine.harness import Harness, make_harness

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 30, 8, 5, tzinfo=WITA)
IKP = "ikp.kominfo@bontangkota.go.id"
KADIS = "kadis.kominfo@bontangkota.go.id"
SEK_DISHUB = "sekretaris.dishub@bontangkota.go.id"
KADIS_DISHUB = "kadis.dishub@bontangkota.go.id"
KABID_PJU = "pju.dishub@bontangkota.go.id"
STRANGER = "humas.dlh@bontangkota.go.id"  # in the directory, but on no step of this case
JPEG = "image/jpeg"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def harness(database: Database, tmp_path: Path, limit_mb: float | None = None) -> Harness:
    edit = (
        {"# [evidence]\n# max_total_mb = 10": f"[evidence]\nmax_total_mb = {limit_mb}"} if limit_mb else None
    )
    h = make_harness(database, tmp_path, START, edit=edit)
    settings = load_config(h.base / "mailflow.toml", env={})
    h.use_letters(LetterService(settings, load_directory(settings.paths.directory)))
    return h


def mail(h: Harness, kind: str, to: str) -> OutboxMail:
    found = [m for m in h.mails(new=False) if m.kind == kind and m.to_addr == to]
    assert found, (kind, to, [(m.kind, m.to_addr) for m in h.mails(new=False)])
    return found[-1]


@dataclass(frozen=True)
class Sent:
    filename: str
    path: Path
    content_type: str


def files_of(h: Harness, row: OutboxMail) -> list[Sent]:
    """The files (not letters) the mail carries, as the sender will read them from disk."""
    with h.database.reader() as session:
        fresh = session.get(OutboxMail, row.id)
        assert fresh is not None
        return [
            Sent(a.filename or "", Path(a.path), a.content_type or "")
            for a in fresh.attachments
            if a.document_id is None and a.path is not None
        ]


def evidence(files: list[Sent]) -> dict[str, Sent]:
    return {f.filename: f for f in files}


def walk_to_step_7(h: Harness, number: str) -> None:
    h.reply(mail(h, "action.2", IKP), "VALID DISHUB")
    h.reply(mail(h, "action.4", KADIS), "SETUJU")
    h.reply(mail(h, "action.5", SEK_DISHUB), "TERIMA")
    h.reply(mail(h, "action.6", KADIS_DISHUB), "DISPOSISI PJU: mohon dicek")


def test_the_complainants_files_go_with_the_step_mails(database: Database, tmp_path: Path) -> None:
    h = harness(database, tmp_path)
    folder = tmp_path / "attachments"
    photo = jpeg_bytes()
    number = h.register(
        attachments=(
            stored(folder, "lampu_mati.jpg", photo, JPEG, position=1),
            stored(folder, "surat_RT.pdf", pdf_bytes(), PDF, position=2),
            stored(folder, "foto2.jpg", photo[: len(photo) // 2], JPEG, position=3, damaged=True),
            refused("video_malam.mp4", 48_000_000, position=4),
            stored(folder, "logo.png", b"\x89PNG tiny", "image/png", position=5, inline=True),
        )
    )
    to_ikp = mail(h, "action.2", IKP)
    sent = evidence(files_of(h, to_ikp))
    assert sorted(sent) == ["lampu_mati.jpg", "surat_RT.pdf"]  # not the damaged, refused or logo
    assert sent["lampu_mati.jpg"].path.read_bytes() == photo  # an ordinary complaint: as sent
    assert "Lampiran pelapor: lampu_mati.jpg (" in to_ikp.text_body
    assert "tidak dikirim (berkas rusak dalam email aslinya): foto2.jpg" in to_ikp.text_body
    assert "ditolak karena terlalu besar saat diterima): video_malam.mp4" in to_ikp.text_body
    assert "logo.png" not in to_ikp.text_body
    walk_to_step_7(h, number)
    for kind, to in (
        ("action.4", KADIS),
        ("action.5", SEK_DISHUB),
        ("action.6", KADIS_DISHUB),
        ("action.7", KABID_PJU),
    ):
        assert sorted(evidence(files_of(h, mail(h, kind, to)))) == ["lampu_mati.jpg", "surat_RT.pdf"], kind
    # the disposition sheets and the nota dinas count them: "Lampiran: 2 berkas"
    with h.database.reader() as session:
        letters = list(
            session.execute(
                select(Document).where(Document.kind.in_(("lembar_disposisi", "nota_dinas")))
            ).scalars()
        )
    assert len(letters) == 3
    for letter in letters:
        assert letter.docx_path is not None
        assert "2 berkas" in docx_text(Path(letter.docx_path)), letter.kind
    # the drafting step's answer goes to signing without them (the SOP file does not ask for it)
    h.reply(mail(h, "action.7", KABID_PJU), "TANGGAPAN\nLampu sudah diganti.")
    assert evidence(files_of(h, mail(h, "action.8", KADIS_DISHUB))) == {}


def test_a_confidential_complaint_sends_copies_without_metadata(database: Database, tmp_path: Path) -> None:
    h = harness(database, tmp_path)
    folder = tmp_path / "attachments"
    originals = (
        stored(folder, "budi_santoso_lampu.jpg", jpeg_bytes(), JPEG, position=1),
        stored(folder, "laporan.pdf", pdf_bytes(), PDF, position=2),
        stored(folder, "surat-budi.s.docx", docx_bytes(), DOCX, position=3),
        stored(folder, "IMG_4521.HEIC", heic_bytes(), "image/heic", position=4),
        stored(folder, "rekaman.mov", b"\x00\x00\x00\x14ftypqt  ", "video/quicktime", position=5),
        stored(folder, "rusak.heic", b"ftypheic not really", "image/heic", position=6),
    )
    assert exif_of(Path(str(originals[3].stored_path)))[0x8825] == GPS
    assert exif_of(Path(str(originals[0].stored_path)))[0x8825] == GPS  # the phone wrote the position
    number = h.register(
        name=OWNER,
        email="budi.s@gmail.com",
        phone="0813-1111-2222",
        confidentiality="rahasia",
        attachments=originals,
    )
    walk_to_step_7(h, number)
    for kind, to in (("action.2", IKP), ("action.5", SEK_DISHUB), ("action.7", KABID_PJU)):
        row = mail(h, kind, to)
        sent = evidence(files_of(h, row))
        # the names that gave the complainant away are neutral; the others stay
        assert sorted(sent) == ["IMG_4521.jpg", "lampiran-1.jpg", "lampiran-3.docx", "laporan.pdf"], kind
        iphone = sent["IMG_4521.jpg"]  # the HEIC travels as the JPEG its copy is, without EXIF
        assert iphone.content_type == "image/jpeg" and iphone.path.read_bytes()[:3] == b"\xff\xd8\xff"
        assert exif_of(iphone.path) == {}
        photo = sent["lampiran-1.jpg"].path
        assert photo != Path(str(originals[0].stored_path))  # a copy, the original is kept as received
        assert exif_of(photo) == {}  # no GPS, owner, phone or time
        info = pdf_info(sent["laporan.pdf"].path)
        assert OWNER not in str(info) and "Word" not in str(info) and not info["xmp"]
        people = docx_people(sent["lampiran-3.docx"].path)
        assert OWNER not in people and "Santoso" not in people
        if to != IKP:  # Diskominfo may read who complained; an OPD may not, not even in a file name
            assert "budi" not in row.text_body.lower() and "santoso" not in row.text_body.lower()
        # a video's metadata cannot be removed, a broken HEIC cannot be read: named, not sent
        assert (
            "metadata identitas tidak dapat dihapus dari jenis berkas ini; aduan rahasia): rekaman.mov"
            in (" ".join(row.text_body.split()))
        )
        assert "tidak dapat dibaca untuk menghapus metadata): rusak.heic" in row.text_body
    assert exif_of(Path(str(originals[0].stored_path)))[0x8825] == GPS  # the stored original untouched


def test_above_the_limit_they_are_listed_and_sent_on_request(database: Database, tmp_path: Path) -> None:
    h = harness(database, tmp_path, limit_mb=0.1)  # 102 KB per mail
    folder = tmp_path / "attachments"
    photos = [jpeg_bytes(size=(300, 300), noise=i + 1) for i in range(3)]
    assert all(40_000 < len(p) < 100_000 for p in photos), [len(p) for p in photos]
    big = jpeg_bytes(size=(700, 600), noise=9)
    assert len(big) > 110_000
    h.register(
        attachments=(
            *(stored(folder, f"foto{i + 1}.jpg", p, JPEG, position=i) for i, p in enumerate(photos)),
            stored(folder, "panorama.jpg", big, JPEG, position=3),
        )
    )
    to_ikp = mail(h, "action.2", IKP)
    assert evidence(files_of(h, to_ikp)) == {}
    assert "Lampiran pelapor (tidak dilampirkan): foto1.jpg (" in to_ikp.text_body
    assert "STATUS LAMPIRAN" in to_ikp.text_body
    # someone from the directory who is on no step of the case gets nothing
    refused_outcome = h.reply(to_ikp, "STATUS LAMPIRAN", sender=STRANGER)
    assert refused_outcome.status == "quarantined"
    assert not [m for m in h.mails(new=False) if m.kind == "info.evidence"]
    # the IKP asks (Outlook-style, on top of the quoted mail): the photos come in mails under the limit
    outcome = h.reply(to_ikp, "Status lampiran")
    assert outcome.status == "answered"
    parts = [m for m in h.mails(new=False) if m.kind == "info.evidence"]
    assert len(parts) == 3 and all(m.to_addr == IKP for m in parts)
    sizes = []
    names: list[str] = []
    for part in parts:
        files = files_of(h, part)
        sizes.append(sum(f.path.stat().st_size for f in files))
        names.extend(f.filename for f in files)
    assert names == ["foto1.jpg", "foto2.jpg", "foto3.jpg"] and max(sizes) <= 0.1 * 1024 * 1024
    assert "(1/3)" in parts[0].subject and "(3/3)" in parts[2].subject
    assert "panorama.jpg" in parts[0].text_body and "Lebih besar dari batas email" in parts[0].text_body
    # asking again at a finished step still works for whoever that step's mail was for
    h.reply(to_ikp, "VALID DISHUB")
    assert h.reply(to_ikp, "STATUS LAMPIRAN").status == "answered"


def test_files_the_complainant_adds_later_are_forwarded(database: Database, tmp_path: Path) -> None:
    h = harness(database, tmp_path)
    folder = tmp_path / "attachments"
    number = h.register(name=OWNER, email="budi.s@gmail.com", confidentiality="rahasia")
    walk_to_step_7(h, number)
    with h.database.reader() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        complainant = h.conversation.records.complainant(session, case)
        assert complainant is not None
        token = h.conversation.mails.complainant_token(case, complainant, h.now)
    photo = stored(folder, "IMG_20261130_budi.jpg", jpeg_bytes(), JPEG, position=1)
    outcome = h.deliver(
        InboundMail(
            message_id="<tambahan1@mail.gmail.com>",
            subject=f"Re: [{number}] Aduan Anda telah kami terima",
            from_addr="budi.s@gmail.com",
            from_name=OWNER,
            to=(f"lapor+{token}@diskominfo.bontangkota.go.id",),
            text="Ini foto terbaru, tiangnya miring.\n\nPada Sen, 30 Nov 2026 LAPOR Bontang menulis:\n> Nomor aduan\n",
            attachments=(photo,),
        )
    )
    assert outcome.status == "applied"
    told = mail(h, "complainant.added", KABID_PJU)  # the OPD's drafter holds the open step
    sent = evidence(files_of(h, told))
    assert list(sent) == ["lampiran-1.jpg"]
    assert exif_of(sent["lampiran-1.jpg"].path) == {}
    assert "budi" not in told.text_body.lower()


@pytest.mark.parametrize("name", ["../../etc/passwd", "a\r\nBcc: x@evil.example.jpg", ""])
def test_hostile_file_names_never_reach_a_header(database: Database, tmp_path: Path, name: str) -> None:
    h = harness(database, tmp_path)
    h.register(attachments=(stored(tmp_path / "a", name, jpeg_bytes(), JPEG, position=0),))
    (only,) = evidence(files_of(h, mail(h, "action.2", IKP))).values()
    assert "/" not in only.filename and "\r" not in only.filename and "\n" not in only.filename
    assert only.filename
