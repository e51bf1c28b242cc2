"""The mail path: the Kepala Dishub answers the step-8 mail with the signed PDF attached.

The reply goes through the real reply processor (token in the Reply-To address, sender checks),
which hands a reply with a PDF at step 8 to ReturnedLetterService.from_reply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Message, QuarantineItem, ReturnedFile
from mailflow.domain import signatures as sig
from mailflow.domain.inbound import AttachmentInfo
from mailflow.services.replies import ReplyOutcome
from tests.fixtures.pki import TestPki
from tests.signatures import pdfs
from tests.signatures.conftest import IKP, KADIS_DISHUB, Step8

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]


def reply_with_pdf(
    s: Step8, data: bytes, *, sender: str | None = None, name: str = "surat.pdf"
) -> ReplyOutcome:
    """As the poller leaves it: the attachment streamed to disk under a generated name."""
    s.h.replies.returned = s.service
    folder = s.h.engine.settings.attachments_dir
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    stored = folder / f"{digest[:16]}.bin"
    stored.write_bytes(data)
    attachment = AttachmentInfo(
        position=1,
        content_type="application/pdf",
        size=len(data),
        original_name=name,
        stored_path=str(stored),
        sha256=digest,
    )
    mails = s.h.mails(kind="action.8", new=False)
    (action,) = [m for m in mails if m.to_addr == KADIS_DISHUB and s.number in m.subject]
    return s.h.reply(
        action, "Terlampir surat yang sudah ditandatangani.", sender=sender, attachments=(attachment,)
    )


def test_signed_pdf_by_reply_finishes_steps_8_and_9(
    database: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(database)
    outcome = reply_with_pdf(s, pki.sign(s.pdf, pki.hendra))
    assert (outcome.status, outcome.code) == ("applied", "signed")
    steps = {e.step: e for e in s.h.events(s.number)}
    assert steps[8].finished_by == KADIS_DISHUB and "Hendra Gunawan" in (steps[8].note or "")
    assert steps[8].source_message_id is not None
    assert steps[9].finished_at == steps[8].finished_at and steps[9].finished_by == "system"
    (to_ikp,) = [m for m in s.h.mails(kind="action.10") if m.to_addr == IKP]
    assert s.number in to_ikp.subject
    with s.database.reader() as session:
        row = session.execute(select(ReturnedFile)).scalar_one()
        assert (row.source, row.status, row.sender, row.original_name) == (
            "mail",
            "accepted",
            KADIS_DISHUB,
            "surat.pdf",
        )
        assert row.message_id == steps[8].source_message_id


def test_wrong_signer_by_reply_is_refused_and_explained_once(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(sqlite_db)
    wrong = pki.sign(s.pdf, pki.wrong)
    outcome = reply_with_pdf(s, wrong)
    assert (outcome.status, outcome.code) == ("quarantined", sig.WRONG_SIGNER)
    (explained,) = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert s.number in explained.subject
    assert "Ir. Budi Santoso, M.T." in explained.text_body
    assert "Drs. Hendra Gunawan, M.Si." in explained.text_body
    assert {e.step: e for e in s.h.events(s.number)}[8].finished_at is None
    # another wrong-signer file the same day: refused again, but no second mail
    assert reply_with_pdf(s, pki.sign(s.pdf, pki.wrong)).code == sig.WRONG_SIGNER
    assert s.h.mails(to=KADIS_DISHUB, kind="explain") == []
    with s.database.reader() as session:
        items = session.execute(select(QuarantineItem).where(QuarantineItem.kind == "file")).scalars().all()
        assert len(items) == 2 and all(i.message_id is not None for i in items)
    # the very same bytes once more: the first decision stands, and the sender is told so
    assert reply_with_pdf(s, wrong).code == sig.DUPLICATE
    (told,) = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert "sudah diproses sebelumnya" in told.text_body and "Budi Santoso" in told.text_body
    # then the right file is accepted
    assert reply_with_pdf(s, pki.sign(s.pdf, pki.hendra)).status == "applied"


def test_scan_by_reply_accepted_only_under_digital_or_scan(
    sqlite_db: Database, step8: Callable[..., Step8], tmp_path: Path
) -> None:
    s = step8(sqlite_db, policy="digital_or_scan")
    scan = pdfs.scanned(s.pdf, dpi=150)
    outcome = reply_with_pdf(s, scan, name="scan0001.pdf")
    assert (outcome.status, outcome.code) == ("applied", "scan")
    steps = {e.step: e for e in s.h.events(s.number)}
    assert steps[8].finished_by == KADIS_DISHUB and "(scan)" in (steps[8].note or "")


def test_scan_by_reply_refused_under_digital(sqlite_db: Database, step8: Callable[..., Step8]) -> None:
    s = step8(sqlite_db, policy="digital")
    outcome = reply_with_pdf(s, pdfs.scanned(s.pdf, dpi=150), name="scan0001.pdf")
    assert (outcome.status, outcome.code) == ("quarantined", sig.SCAN_NOT_ALLOWED)
    (explained,) = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert "tanda tangan elektronik" in explained.text_body
    assert {e.step: e for e in s.h.events(s.number)}[8].finished_at is None
    # a refused letter is quarantined mail (issue 11, point 15): one row naming the message
    with s.database.reader() as session:
        message = session.execute(select(Message).where(Message.status == "quarantined")).scalar_one()
        (item,) = session.execute(
            select(QuarantineItem).where(QuarantineItem.message_id == message.id)
        ).scalars()
        assert item.reason_code == sig.SCAN_NOT_ALLOWED and message.server_state == "pending"


def test_a_signed_pdf_of_another_case_is_refused_in_this_thread(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki, warm_converter
) -> None:
    from tests.signatures.conftest import drive_to_step8  # noqa: PLC0415

    s = step8(sqlite_db)
    _, other, other_pdf = drive_to_step8(s.h, warm_converter)
    assert other.doc_uid != s.doc_uid
    outcome = reply_with_pdf(s, pki.sign(other_pdf, pki.hendra))
    assert (outcome.status, outcome.code) == ("quarantined", sig.OTHER_LETTER)
    assert {e.step: e for e in s.h.events(s.number)}[8].finished_at is None
