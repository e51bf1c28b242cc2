"""Reading returned PDFs: a surat tanggapan from the real letters pipeline, signed with pyHanko.

Each variant is made for real (a self-signed certificate, a flipped byte, pypdf incremental
updates, a PDFium render saved by Pillow, AES encryption) and read by the real adapters.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from pypdf import PdfReader

from mailflow.adapters.pdf_signatures import TrustStore
from mailflow.domain import signatures as sig
from mailflow.errors import ConfigError
from mailflow.services.returned.inspection import inspect_pdf
from tests.fixtures.pki import TestPki
from tests.signatures import pdfs
from tests.signatures.conftest import LetterPdf

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]
OTHER_ID = "MF-0000-0001-2"  # a valid id of no letter


@pytest.fixture(scope="module")
def trust(pki: TestPki) -> TrustStore:
    return TrustStore.from_files([pki.root_pem])


@pytest.fixture(scope="module")
def signed(letter_pdf: LetterPdf, pki: TestPki) -> bytes:
    return pki.sign(letter_pdf.pdf, pki.hendra)


def test_valid_signature_of_the_head(signed: bytes, trust: TrustStore, letter_pdf: LetterPdf) -> None:
    found = inspect_pdf(signed, trust)
    assert not found.error_code
    (check,) = found.signatures
    assert (check.bottom_line, check.intact, check.trusted) == (True, True, True)
    assert check.coverage == "ENTIRE_FILE" and check.modification_level == "NONE"
    assert check.signer.common_name == "Drs. Hendra Gunawan, M.Si."
    assert check.signer.emails == ("kadis.dishub@bontangkota.go.id",)
    assert found.doc_ids == (letter_pdf.doc_uid,) and found.matched_by == "text"
    assert sig.missing_in_text(found.text, (letter_pdf.number, letter_pdf.case_number)) == ()
    assert sig.signature_problem(check) is None


def test_untrusted_self_signed_certificate(letter_pdf: LetterPdf, pki: TestPki, trust: TrustStore) -> None:
    (check,) = inspect_pdf(pki.sign(letter_pdf.pdf, pki.rogue_hendra), trust).signatures
    assert check.intact and not check.trusted and not check.bottom_line
    assert check.signer.common_name == "Drs. Hendra Gunawan, M.Si."  # the name alone proves nothing
    assert sig.signature_problem(check) == sig.UNTRUSTED


def test_pyhanko_tracebacks_are_quiet(
    letter_pdf: LetterPdf, pki: TestPki, trust: TrustStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        inspect_pdf(pki.sign(letter_pdf.pdf, pki.rogue_hendra), trust)
    assert not [r for r in caplog.records if r.name.startswith("pyhanko") and r.levelno >= logging.WARNING]


def test_signed_by_someone_else_under_the_trusted_ca(
    letter_pdf: LetterPdf, pki: TestPki, trust: TrustStore
) -> None:
    (check,) = inspect_pdf(pki.sign(letter_pdf.pdf, pki.wrong), trust).signatures
    assert check.bottom_line and check.signer.common_name == "Ir. Budi Santoso, M.T."


def test_a_flipped_byte_breaks_the_signature(signed: bytes, trust: TrustStore) -> None:
    (check,) = inspect_pdf(pdfs.flip_byte(signed), trust).signatures
    assert not check.intact and not check.bottom_line
    assert sig.signature_problem(check) == sig.TAMPERED


def test_content_changed_after_signing(signed: bytes, trust: TrustStore, letter_pdf: LetterPdf) -> None:
    found = inspect_pdf(pdfs.content_update(signed, OTHER_ID), trust)
    (check,) = found.signatures
    assert check.intact  # the signed bytes are untouched: intact alone would let this through
    assert not check.bottom_line and check.modification_level == "OTHER"
    assert sig.signature_problem(check) == sig.MODIFIED
    assert found.doc_ids == (letter_pdf.doc_uid,)  # read from the signed revision, not the new page


def test_metadata_changed_after_signing_still_names_the_original_letter(
    signed: bytes, trust: TrustStore, letter_pdf: LetterPdf
) -> None:
    moved = pdfs.metadata_update(
        signed, {"/MailflowDocId": OTHER_ID, "/Keywords": OTHER_ID, "/Title": f"Surat {OTHER_ID}"}
    )
    assert PdfReader(io.BytesIO(moved)).metadata["/MailflowDocId"] == OTHER_ID  # the file now says so
    found = inspect_pdf(moved, trust)
    (check,) = found.signatures
    assert check.bottom_line  # docs/RECIPES.md: a metadata-only update still validates
    assert sig.signature_problem(check) is None
    assert found.doc_ids == (letter_pdf.doc_uid,) and OTHER_ID not in found.doc_ids


def test_unsigned_letter(letter_pdf: LetterPdf, trust: TrustStore) -> None:
    found = inspect_pdf(letter_pdf.pdf, trust)
    assert found.signatures == () and not found.scan_like
    assert found.doc_ids == (letter_pdf.doc_uid,)


def test_scanned_letter_is_matched_by_its_qr_code(letter_pdf: LetterPdf, trust: TrustStore) -> None:
    scan = pdfs.scanned(letter_pdf.pdf, dpi=150)
    found = inspect_pdf(scan, trust)
    assert found.scan_like and found.signatures == ()
    assert found.matched_by == "qr" and found.doc_ids == (letter_pdf.doc_uid,)
    assert found.qr_payloads == (f"mailflow:doc:{letter_pdf.doc_uid}",)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda pdf: pdf[: len(pdf) // 2], sig.CORRUPT),
        (lambda pdf: b"%PDF-1.7\n" + b"\x00garbage" * 100, sig.CORRUPT),
        (lambda pdf: b"PK\x03\x04 this is a zip file named surat.pdf" * 10, sig.NOT_PDF),
        (lambda pdf: b"", sig.NOT_PDF),
        (pdfs.encrypted, sig.ENCRYPTED),
        (lambda pdf: pdfs.encrypted(pdf, user_password=""), sig.ENCRYPTED),
    ],
    ids=["truncated", "garbage", "not-pdf", "empty", "encrypted", "encrypted-no-user-password"],
)
def test_files_that_are_no_usable_pdf(letter_pdf: LetterPdf, trust: TrustStore, make, code: str) -> None:  # type: ignore[no-untyped-def]
    found = inspect_pdf(make(letter_pdf.pdf), trust)
    assert found.error_code == code and found.signatures == () and found.doc_ids == ()


def test_size_limit(letter_pdf: LetterPdf, trust: TrustStore) -> None:
    assert inspect_pdf(letter_pdf.pdf, trust, max_bytes=1000).error_code == sig.TOO_LARGE


def test_trust_roots_are_checked_when_loaded(tmp_path: Path, pki: TestPki) -> None:
    der = tmp_path / "root.der"
    der.write_bytes(pki.root_pem.read_bytes())  # PEM under a .der name is fine: the content decides
    assert len(TrustStore.from_files([der]).roots) == 1
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError, match=r"signatures\.trust_roots"):
        TrustStore.from_files([bad])
    with pytest.raises(ConfigError, match=r"missing\.pem"):
        TrustStore.from_files([tmp_path / "missing.pem"])
