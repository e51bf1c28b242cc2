"""The one path for returned letters, on a real database, with letters from the real pipeline.

A case is driven to step 8 by replies (tests.engine.harness); the surat tanggapan the Kepala
Dishub received is signed in the test with pyHanko and handed to ReturnedLetterService.from_file.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import (
    AuditEntry,
    Document,
    OutboxMail,
    QuarantineItem,
    ReturnedFile,
    StepEvent,
)
from mailflow.adapters.pdf_signatures import TrustStore, read_signed_pdf
from mailflow.domain import signatures as sig
from tests.fixtures.pki import TestPki
from tests.signatures import pdfs
from tests.signatures.conftest import IKP, KADIS_DISHUB, Step8, drive_to_step8

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]


def drop(s: Step8, name: str, data: bytes) -> Path:
    folder = s.h.settings.paths.letters / "returned"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def from_file(s: Step8, path: Path):  # type: ignore[no-untyped-def]
    with s.database.transaction() as session:
        return s.service.from_file(session, path, s.h.now)


def events(s: Step8, number: str | None = None) -> dict[int, StepEvent]:
    return {e.step: e for e in s.h.events(number or s.number)}


def count(database: Database, model: type) -> int:
    with database.reader() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_validly_signed_letter_finishes_steps_8_and_9(
    database: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(database)
    signed = pki.sign(s.pdf, pki.hendra)
    s.h.clock.advance(timedelta(hours=2))
    outcome = from_file(s, drop(s, "surat ttd.pdf", signed))
    assert outcome.status == "accepted" and outcome.accepted and outcome.code == "signed"
    assert "Hendra Gunawan" in outcome.note and s.number in outcome.note
    steps = events(s)
    eight, nine = steps[8], steps[9]
    assert eight.finished_at == s.h.now and eight.outcome == "done" and eight.command == "TTD"
    assert eight.finished_by == KADIS_DISHUB
    assert eight.note is not None and "Drs. Hendra Gunawan, M.Si." in eight.note
    assert eight.source_document_id == outcome.signed_document_id
    assert nine.finished_at == s.h.now and nine.finished_by == "system"
    assert 10 in steps and steps[10].finished_at is None
    with s.database.reader() as session:
        document = session.get(Document, outcome.signed_document_id)
        assert document is not None
        assert (document.kind, document.status, document.parent_id) == (
            "surat_tanggapan_ttd",
            "signed",
            s.letter_id,
        )
        assert document.number == s.letter_number and document.signed_at is not None
        assert document.signer is not None and "Hendra Gunawan" in document.signer
        stored = Path(str(document.pdf_path))
        assert stored.read_bytes() == signed and document.pdf_sha256 == hashlib.sha256(signed).hexdigest()
        assert stored.parent.name == s.number and stored.parent.parent.name == "2026"
        detail = json.loads(document.signature_detail or "{}")
        assert detail["via"] == "digital" and detail["signer_person"] == "kadis_dishub"
        assert detail["signatures"][0]["common_name"] == "Drs. Hendra Gunawan, M.Si."
        assert detail["signatures"][0]["bottom_line"] is True
        row = session.execute(select(ReturnedFile)).scalar_one()
        assert (row.status, row.source, row.document_id) == ("accepted", "folder", document.id)
        actions = session.execute(select(AuditEntry.action)).scalars().all()
        assert "signature.accepted" in actions
    to_ikp = [m for m in s.h.mails(kind="action.10") if m.to_addr == IKP]
    assert len(to_ikp) == 1  # the next actor is told, with the signed letter attached
    with s.database.reader() as session:
        mail = session.get(OutboxMail, to_ikp[0].id)
        assert mail is not None and [a.document_id for a in mail.attachments] == [outcome.signed_document_id]
    # the same bytes again: recognised, nothing happens twice
    again = from_file(s, drop(s, "copy.pdf", signed))
    assert again.status == "duplicate" and again.accepted
    assert count(s.database, ReturnedFile) == 1 and count(s.database, QuarantineItem) == 0
    assert len([e for e in s.h.events(s.number) if e.step == 9]) == 1


def test_metadata_pointing_at_another_letter_matches_the_signed_original(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki, warm_converter
) -> None:
    s = step8(sqlite_db)
    other_number, other_letter, _ = drive_to_step8(s.h, warm_converter)
    assert other_letter.doc_uid != s.doc_uid
    signed = pki.sign(s.pdf, pki.hendra)
    redirected = pdfs.metadata_update(
        signed,
        {"/MailflowDocId": other_letter.doc_uid, "/Keywords": other_letter.doc_uid, "/Subject": other_number},
    )
    outcome = from_file(s, drop(s, "redirected.pdf", redirected))
    assert outcome.accepted and outcome.letter_id == s.letter_id
    assert events(s)[8].finished_at is not None  # the letter that was signed
    assert events(s, other_number)[8].finished_at is None  # never the one the metadata names
    assert 9 not in events(s, other_number)


@pytest.mark.parametrize(
    ("variant", "code"),
    [
        ("content_changed", sig.MODIFIED),
        ("byte_flipped", sig.TAMPERED),
        ("wrong_signer", sig.WRONG_SIGNER),
        ("untrusted", sig.UNTRUSTED),
        ("unsigned", sig.UNSIGNED),
        ("scan", sig.SCAN_NOT_ALLOWED),
        ("corrupt", sig.CORRUPT),
        ("not_pdf", sig.NOT_PDF),
        ("encrypted", sig.ENCRYPTED),
    ],
)
def test_refused_files_advance_nothing(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki, variant: str, code: str
) -> None:
    s = step8(sqlite_db)
    signed = pki.sign(s.pdf, pki.hendra)
    data = {
        "content_changed": lambda: pdfs.content_update(signed),
        "byte_flipped": lambda: pdfs.flip_byte(signed),
        "wrong_signer": lambda: pki.sign(s.pdf, pki.wrong),
        "untrusted": lambda: pki.sign(s.pdf, pki.rogue_hendra),
        "unsigned": lambda: s.pdf,
        "scan": lambda: pdfs.scanned(s.pdf),
        "corrupt": lambda: signed[: len(signed) // 3],
        "not_pdf": lambda: b"Ini bukan PDF, hanya teks biasa.\n" * 20,
        "encrypted": lambda: pdfs.encrypted(signed),
    }[variant]()
    path = drop(s, f"{variant}.pdf", data)
    outcome = from_file(s, path)
    assert (outcome.status, outcome.code, outcome.accepted) == ("rejected", code, False)
    assert outcome.note.startswith("Ditolak: ")  # Indonesian by default
    assert events(s)[8].finished_at is None and 9 not in events(s)
    with s.database.reader() as session:
        row = session.execute(select(ReturnedFile)).scalar_one()
        assert row.status == "rejected" and (row.reason or "").startswith(code)
        item = session.execute(select(QuarantineItem)).scalar_one()
        assert (item.kind, item.returned_file_id, item.reason_code, item.path) == (
            "file",
            row.id,
            code,
            str(path),
        )
        refused = session.execute(
            select(AuditEntry).where(AuditEntry.action == "signature.refused")
        ).scalar_one()
        assert json.loads(refused.detail or "{}")["code"] == code
        assert (
            session.execute(
                select(func.count()).select_from(Document).where(Document.kind == "surat_tanggapan_ttd")
            ).scalar_one()
            == 0
        )
    assert s.h.mails(kind="action.10") == []


def test_wrong_signer_reason_names_both_people(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(sqlite_db)
    outcome = from_file(s, drop(s, "budi.pdf", pki.sign(s.pdf, pki.wrong)))
    assert "Ir. Budi Santoso, M.T." in outcome.note
    assert "Drs. Hendra Gunawan, M.Si. (Kepala Dinas Perhubungan)" in outcome.note


def test_a_delegate_may_sign_for_the_head(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(sqlite_db)
    outcome = from_file(s, drop(s, "an-kepala.pdf", pki.sign(s.pdf, pki.sekretaris)))
    assert outcome.accepted, outcome.note
    with s.database.reader() as session:
        document = session.get(Document, outcome.signed_document_id)
        assert document is not None
        detail = json.loads(document.signature_detail or "{}")
        assert detail["delegate"] is True and detail["signer_person"] == "sekretaris_dishub"
    assert events(s)[8].finished_by == "sekretaris.dishub@bontangkota.go.id"


def test_a_second_signed_copy_after_acceptance_is_not_waited_for(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(sqlite_db)
    assert from_file(s, drop(s, "first.pdf", pki.sign(s.pdf, pki.hendra))).accepted
    second = from_file(s, drop(s, "second.pdf", pki.sign(s.pdf, pki.hendra)))
    assert (second.status, second.code) == ("rejected", sig.NOT_WAITING)
    assert len([e for e in s.h.events(s.number) if e.step == 8]) == 1


def test_a_retyped_letter_is_matched_by_its_number_and_case(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(sqlite_db)
    lines = [
        "PEMERINTAH KOTA BONTANG - DINAS PERHUBUNGAN",
        f"Nomor : {s.letter_number}",
        f"Hal : Tanggapan atas Aduan {s.number}",
        "Lampu sudah diganti pada 1 Desember 2026.",
        "Kepala Dinas Perhubungan, Drs. Hendra Gunawan, M.Si.",
    ]
    outcome = from_file(s, drop(s, "diketik-ulang.pdf", pki.sign(pdfs.typed_letter(lines), pki.hendra)))
    assert outcome.accepted and outcome.letter_id == s.letter_id
    with s.database.reader() as session:
        document = session.get(Document, outcome.signed_document_id)
        assert (
            document is not None and json.loads(document.signature_detail or "{}")["matched_by"] == "number"
        )
    other = [line.replace(s.number, "LPR-2026-99999") for line in lines]
    refused = from_file(s, drop(s, "lain.pdf", pki.sign(pdfs.typed_letter(other), pki.hendra)))
    assert refused.code == sig.UNKNOWN_LETTER


def test_a_scan_signed_digitally_is_matched_by_the_qr_code_it_signed(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(sqlite_db)  # policy "digital": the signature, not the scan, is what counts
    outcome = from_file(s, drop(s, "scan-ttd.pdf", pki.sign(pdfs.scanned(s.pdf), pki.hendra)))
    assert outcome.accepted and outcome.letter_id == s.letter_id
    with s.database.reader() as session:
        document = session.get(Document, outcome.signed_document_id)
        assert document is not None and json.loads(document.signature_detail or "{}")["matched_by"] == "qr"


def test_signed_metadata_names_the_letter_but_the_text_must_match_it(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki
) -> None:
    s = step8(sqlite_db)
    info = {"/MailflowDocId": s.doc_uid}  # written before signing: covered by the signature
    right = pdfs.metadata_update(pdfs.typed_letter([f"Nomor {s.letter_number}", f"Aduan {s.number}"]), info)
    wrong = pdfs.metadata_update(
        pdfs.typed_letter(["Nomor 700.1.2.4/9999/Dishub/2026", f"Aduan {s.number}"]), info
    )
    refused = from_file(s, drop(s, "beda-isi.pdf", pki.sign(wrong, pki.hendra)))
    assert refused.code == sig.CONTENT_MISMATCH and s.letter_number in refused.note
    accepted = from_file(s, drop(s, "metadata.pdf", pki.sign(right, pki.hendra)))
    assert accepted.accepted
    with s.database.reader() as session:
        document = session.get(Document, accepted.signed_document_id)
        assert document is not None
        assert json.loads(document.signature_detail or "{}")["matched_by"] == "metadata"


def test_metadata_changed_after_signing_never_redirects_a_letter_matched_by_metadata(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki, warm_converter
) -> None:
    """No document id in the text: the id comes from the document information, and only the
    information the signature covers counts, never an /Info appended afterwards."""
    s = step8(sqlite_db)
    other_number, other_letter, _ = drive_to_step8(s.h, warm_converter)
    letter = pdfs.metadata_update(
        pdfs.typed_letter([f"Nomor {s.letter_number}", f"Aduan {s.number}"]), {"/MailflowDocId": s.doc_uid}
    )
    signed = pki.sign(letter, pki.hendra)
    redirected = pdfs.metadata_update(signed, {"/MailflowDocId": other_letter.doc_uid})
    outcome = from_file(s, drop(s, "dialihkan.pdf", redirected))
    assert outcome.accepted and outcome.letter_id == s.letter_id
    assert events(s, other_number)[8].finished_at is None


def test_what_is_kept_is_the_signed_revision_not_a_later_update(
    database: Database, step8: Callable[..., Step8], pki: TestPki, warm_converter
) -> None:
    """Issue 11 point 14: metadata changed after signing to name another case is matched to the
    signed letter (as before) and is no longer part of the copy kept (and later forwarded)."""
    s = step8(database)
    other_number, other_letter, _ = drive_to_step8(s.h, warm_converter)
    signed = pki.sign(s.pdf, pki.hendra)
    info = {
        "/MailflowDocId": other_letter.doc_uid,
        "/Keywords": other_letter.doc_uid,
        "/Subject": other_number,
    }
    redirected = pdfs.metadata_update(signed, info)
    assert redirected.startswith(signed) and len(redirected) > len(signed)
    outcome = from_file(s, drop(s, "dialihkan.pdf", redirected))
    assert outcome.accepted and outcome.letter_id == s.letter_id
    with s.database.reader() as session:
        document = session.get(Document, outcome.signed_document_id)
        assert document is not None
        kept = Path(str(document.pdf_path)).read_bytes()
        detail = json.loads(document.signature_detail or "{}")
    assert kept == signed  # byte for byte the file as Hendra signed it
    assert document.pdf_sha256 == hashlib.sha256(signed).hexdigest()
    assert detail["received_sha256"] == hashlib.sha256(redirected).hexdigest()
    assert detail["removed_after_signing"] == len(redirected) - len(signed)
    metadata = PdfReader(io.BytesIO(kept)).metadata or {}
    assert metadata.get("/MailflowDocId") == s.doc_uid
    assert other_letter.doc_uid not in str(dict(metadata)) and other_number not in str(dict(metadata))
    check = validate(kept, pki)
    assert (check.bottom_line, check.coverage) == (True, "ENTIRE_FILE")


def validate(data: bytes, pki: TestPki) -> sig.SignatureCheck:
    (check,) = read_signed_pdf(data, TrustStore.from_files([pki.root_pem])).signatures
    return check
