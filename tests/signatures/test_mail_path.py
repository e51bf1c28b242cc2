"""The mail path: the Kepala Dishub answers the step-8 mail with the signed PDF attached.

The reply goes through the real reply processor (token in the Reply-To address, sender checks),
which hands a reply with a PDF at step 8 to ReturnedLetterService.from_reply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.converter import WarmConverter
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import AuditEntry, Case, Message, QuarantineItem, ReturnedFile
from mailflow.domain import signatures as sig
from mailflow.domain.inbound import AttachmentInfo
from mailflow.services.conversation.replies import ReplyOutcome
from mailflow.services.conversation.timeline import RefusedFile, timeline
from tests.fixtures.pki import TestPki
from tests.signatures import pdfs
from tests.signatures.conftest import IKP, KADIS_DISHUB, Step8, drive_to_step8

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]


def reply_with_pdf(
    s: Step8,
    data: bytes,
    *,
    sender: str | None = None,
    name: str = "surat.pdf",
    number: str | None = None,
    advance: timedelta = timedelta(minutes=10),
) -> ReplyOutcome:
    """As the poller leaves it: the attachment streamed to disk under a generated name. The
    reply answers the step-8 mail of case `number` (default: the fixture's case)."""
    s.h.replies.returned = s.service
    folder = s.h.settings.attachments_dir
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
    (action,) = [m for m in mails if m.to_addr == KADIS_DISHUB and (number or s.number) in m.subject]
    return s.h.reply(
        action,
        "Terlampir surat yang sudah ditandatangani.",
        sender=sender,
        attachments=(attachment,),
        advance=advance,
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


def test_wrong_signer_by_reply_is_refused_and_each_file_explained(
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
    # another wrong-signer file the same day: refused again, and explained again (its own file)
    assert reply_with_pdf(s, pki.sign(s.pdf, pki.wrong), name="ttd-ulang.pdf").code == sig.WRONG_SIGNER
    (again,) = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert "ttd-ulang.pdf" in again.text_body and s.number in again.subject
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


def timeline_refusals(s: Step8, number: str) -> list[RefusedFile]:
    with s.database.reader() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        h = s.h
        rows = timeline(session, case, h.engine.sop, h.calendar, h.directory, h.now, "id")
    (eight,) = [r for r in rows if r.step == 8]
    assert eight.finished is None  # still waiting: the refusal advanced nothing
    return list(eight.refusals)


def test_refusals_for_two_cases_are_each_explained_naming_their_case(
    database: Database, step8: Callable[..., Step8], pki: TestPki, warm_converter: WarmConverter
) -> None:
    """Issue 11 point 12: the head returns a wrongly signed letter for case A, then one for case
    B, within the hour; before, the second was never explained (one mail per reason and day)."""
    s = step8(database)
    number_b, _, pdf_b = drive_to_step8(s.h, warm_converter)
    s.h.mails()  # forget what the drive to step 8 queued
    first = reply_with_pdf(s, pki.sign(s.pdf, pki.wrong), name="surat-A.pdf")
    second = reply_with_pdf(s, pki.sign(pdf_b, pki.wrong), name="surat-B.pdf", number=number_b)
    assert (first.status, first.code) == (second.status, second.code) == ("quarantined", sig.WRONG_SIGNER)
    to_a, to_b = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert to_a.subject.startswith(f"[{s.number}]") and to_b.subject.startswith(f"[{number_b}]")
    assert "surat-A.pdf" in to_a.text_body and s.number in to_a.text_body
    assert "surat-B.pdf" in to_b.text_body and number_b in to_b.text_body
    assert "Ir. Budi Santoso, M.T." in to_b.text_body
    (refused_a,) = timeline_refusals(s, s.number)
    (refused_b,) = timeline_refusals(s, number_b)
    assert (refused_a.code, refused_a.file) == (sig.WRONG_SIGNER, "surat-A.pdf")
    assert (refused_b.code, refused_b.file) == (sig.WRONG_SIGNER, "surat-B.pdf")
    assert "Ir. Budi Santoso" in refused_b.reason


def test_explanations_are_bounded_per_sender_and_hour(
    database: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    """Beyond signatures.max_explanations_per_hour, refusals are only recorded (never mailed)."""
    s = step8(database, edit={'[signatures]\npolicy = "digital"': BOUND_TWO})
    names = ["satu.pdf", "dua.pdf", "tiga.pdf", "empat.pdf"]
    for name in names[:3]:  # ten minutes apart: all within one hour
        assert reply_with_pdf(s, pki.sign(s.pdf, pki.wrong), name=name).status == "quarantined"
    mails = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert [m.kind for m in mails] == ["explain.letter", "explain.letter"]
    assert "satu.pdf" in mails[0].text_body and "dua.pdf" in mails[1].text_body
    assert "hanya dicatat" not in mails[0].text_body and "hanya dicatat" in mails[1].text_body
    with s.database.reader() as session:
        suppressed = session.execute(
            select(AuditEntry).where(AuditEntry.action == "signature.explain_suppressed")
        ).scalar_one()
        assert suppressed.case_id is not None and suppressed.actor == KADIS_DISHUB
        files = session.execute(select(QuarantineItem).where(QuarantineItem.kind == "file")).scalars().all()
        assert len(files) == 3  # the third refusal is recorded like the others
    assert [r.file for r in timeline_refusals(s, s.number)] == names[:3]
    # an hour after the first explanation, the next refusal is explained again
    assert reply_with_pdf(s, pki.sign(s.pdf, pki.wrong), name=names[3], advance=timedelta(minutes=41))
    (later,) = s.h.mails(to=KADIS_DISHUB, kind="explain")
    assert "empat.pdf" in later.text_body


BOUND_TWO = '[signatures]\npolicy = "digital"\nmax_explanations_per_hour = 2'
