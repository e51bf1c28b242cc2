"""An answer sent back for revision (issue 13) with real letters and real signatures: the KABID
drafts again, LibreOffice makes the revised PDF (same number, "revisi 1" after the document id),
a PDF signed on the older version is refused with the reason, and the newly signed version is
the one Diskominfo approves and the complainant receives."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Document, OutboxMail
from mailflow.adapters.pdf_text import pdf_text
from mailflow.domain import signatures as sig
from mailflow.domain.inbound import AttachmentInfo
from mailflow.services.conversation.replies import ReplyOutcome
from mailflow.services.letters.conversion import ConversionService
from mailflow.services.outbound.outbox import resolve_attachments
from tests.fixtures.pki import TestPki
from tests.signatures.conftest import IKP, KABID_PJU, KADIS_DISHUB, Step8

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]


def reply_to_latest_step8(s: Step8, data: bytes, name: str) -> ReplyOutcome:
    s.h.replies.returned = s.service
    folder = s.h.settings.attachments_dir
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    stored = folder / f"{digest[:16]}.bin"
    stored.write_bytes(data)
    attachment = AttachmentInfo(
        position=1, content_type="application/pdf", size=len(data), original_name=name,
        stored_path=str(stored), sha256=digest,
    )  # fmt: skip
    action = [m for m in s.h.mails(kind="action.8", new=False) if m.to_addr == KADIS_DISHUB][-1]
    return s.h.reply(action, "Terlampir surat yang sudah ditandatangani.", attachments=(attachment,))


def latest(s: Step8, to: str, kind: str):  # type: ignore[no-untyped-def]
    return [m for m in s.h.mails(to=to, new=False) if m.kind == kind][-1]


def test_revised_letter_is_signed_again_and_the_old_signature_refused(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki, warm_converter: object
) -> None:
    s = step8(sqlite_db)
    first_signed = pki.sign(s.pdf, pki.hendra)
    assert reply_to_latest_step8(s, first_signed, "surat.pdf").status == "applied"
    back = s.h.reply(latest(s, IKP, "action.10"), "KEMBALIKAN: mohon cantumkan tanggal penggantian lampu.")
    assert back.status == "applied"
    redo = latest(s, KABID_PJU, "action.7")
    assert "cantumkan tanggal penggantian" in redo.text_body
    s.h.reply(redo, "TANGGAPAN\nLampu sudah diganti pada Selasa, 1 Desember 2026 pukul 10.00 WITA.")
    summary = ConversionService(s.database, s.h.settings, converter=warm_converter).run_once()  # type: ignore[arg-type]
    assert not summary.failed, summary
    with s.database.reader() as session:
        letters = list(
            session.execute(
                select(Document).where(Document.kind == "surat_tanggapan").order_by(Document.id)
            ).scalars()
        )
        session.expunge_all()
    old, new = letters
    assert (old.revision, new.revision) == (0, 1) and old.number == new.number == s.letter_number
    assert new.pdf_path is not None
    text = " ".join(pdf_text(Path(new.pdf_path)).split())
    assert f"{new.doc_uid} revisi 1" in text and "pukul 10.00 WITA" in text and s.letter_number in text
    # the head signs the first version again (the draft still in their mailbox) and sends it
    old_again = pki.sign(s.pdf, pki.hendra, field_name="TandaTangan2")
    assert old_again != first_signed
    refused = reply_to_latest_step8(s, old_again, "surat-lama.pdf")
    assert (refused.status, refused.code) == ("quarantined", sig.SUPERSEDED)
    explained = list(s.h.mails(to=KADIS_DISHUB, kind="explain"))
    assert explained and "sudah digantikan oleh konsep yang lebih baru" in explained[-1].text_body
    assert [e.attempt for e in s.h.events(s.number) if e.step == 8 and e.finished_at is None] == [2]
    # the revised letter, signed, is accepted; the IKP gets that one only
    signed = pki.sign(Path(new.pdf_path).read_bytes(), pki.hendra)
    assert reply_to_latest_step8(s, signed, "surat-revisi.pdf").status == "applied"
    to_ikp = latest(s, IKP, "action.10")
    with s.database.reader() as session:
        files = resolve_attachments(session, session.get(OutboxMail, to_ikp.id))
    assert files is not None and len(files) == 1
    assert " ".join(pdf_text(files[0].path).split()).count("revisi 1") >= 1
    s.h.clock.advance(timedelta(minutes=5))
