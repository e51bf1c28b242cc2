"""DOCX -> PDF with the real LibreOffice: the worker, the checks, failures and restarts."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.converter import ConversionError, WarmConverter
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import AuditEntry, Document, OutboxMail
from mailflow.adapters.letter_store import file_sha256
from mailflow.adapters.pdf_text import DOC_ID_KEY, pdf_metadata, pdf_text, squeeze
from mailflow.domain.documents import Audience, DocumentKind, DocumentStatus
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.errors import DependencyError
from mailflow.services.letters.conversion import ConversionService
from mailflow.services.letters.service import LetterService
from mailflow.services.outbound.outbox import queue, resolve_attachments
from tests.letters.helpers import EMAIL, NAME, NOW, directory, make_case, make_settings

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]


def make_letters(database: Database, tmp_path: Path, *, confidentiality: str = "biasa", **letters: object):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, **letters)
    svc = LetterService(settings, directory())
    with database.transaction() as session:
        case, route = make_case(session, confidentiality=confidentiality)
        docs = [
            svc.create(session, DocumentKind.NOTA_DINAS, case, None, Audience.INTERNAL, NOW),
            svc.create(session, DocumentKind.LEMBAR_DISPOSISI, case, route, Audience.OPD, NOW),
            svc.create(session, DocumentKind.SURAT_TANGGAPAN, case, route, Audience.OPD, NOW),
        ]
        mail = OutgoingMail(
            kind="action", to_addr="kadis.dishub@bontangkota.go.id", subject="s", text="t",
            attachments=(AttachmentRef(document_id=docs[2].id, variant="pdf"),),
        )  # fmt: skip
        queue(session, mail, now=NOW, domain="bontangkota.go.id")
    return settings, [d.id for d in docs]


def test_worker_converts_every_generated_letter(database: Database, tmp_path: Path, warm_converter) -> None:
    settings, ids = make_letters(database, tmp_path, confidentiality="rahasia")
    with database.reader() as session:
        assert resolve_attachments(session, session.execute(select(OutboxMail)).scalar_one()) is None  # waits
    worker = ConversionService(database, settings, converter=warm_converter)
    summary = worker.run_once()
    assert len(summary.converted) == 3 and summary.failed == []
    assert worker.run_once().total == 0  # nothing twice
    with database.reader() as session:
        for document_id in ids:
            row = session.get(Document, document_id)
            assert row.status == DocumentStatus.CONVERTED
            pdf = Path(row.pdf_path)
            assert pdf == Path(row.docx_path).with_suffix(".pdf")
            assert file_sha256(pdf) == row.pdf_sha256
            text = squeeze(pdf_text(pdf))
            for needle in (row.number, "LPR-2026-00042", row.doc_uid):
                assert squeeze(needle) in text
            assert pdf_metadata(pdf)[DOC_ID_KEY] == row.doc_uid
            secrets_present = [s for s in (NAME, "Siti", EMAIL, "0812") if s in pdf_text(pdf)]
            if row.audience == "opd":
                assert secrets_present == [], row.kind  # a rahasia complainant stays hidden in the PDF
            else:
                assert NAME in secrets_present  # the internal nota dinas names them
        files = resolve_attachments(session, session.execute(select(OutboxMail)).scalar_one())
        assert files is not None and [f.content_type for f in files] == ["application/pdf"]
        folder = Path(row.pdf_path).parent
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_disabled_conversion_marks_pdf_failed_and_mail_carries_the_docx(
    database: Database, tmp_path: Path
) -> None:
    raw_settings, ids = make_letters(database, tmp_path)
    settings = raw_settings.model_copy(
        update={"converter": raw_settings.converter.model_copy(update={"enabled": False})}
    )
    summary = ConversionService(database, settings).run_once()
    assert len(summary.failed) == 3
    with database.reader() as session:
        assert {session.get(Document, i).status for i in ids} == {DocumentStatus.PDF_FAILED}
        audit = (
            session.execute(select(AuditEntry).where(AuditEntry.action == "letter.pdf_failed"))
            .scalars()
            .all()
        )
        assert len(audit) == 3 and "disabled" in audit[0].detail
        files = resolve_attachments(session, session.execute(select(OutboxMail)).scalar_one())
        assert files is not None and [f.filename.endswith(".docx") for f in files] == [True]


def test_a_missing_docx_fails_alone(database: Database, tmp_path: Path, warm_converter) -> None:
    settings, ids = make_letters(database, tmp_path)
    with database.reader() as session:
        Path(session.get(Document, ids[0]).docx_path).unlink()
    summary = ConversionService(database, settings, converter=warm_converter).run_once()
    assert len(summary.failed) == 1 and len(summary.converted) == 2


def test_the_thread_converts_what_appears(database: Database, tmp_path: Path, warm_converter) -> None:
    settings = make_settings(tmp_path)
    worker = ConversionService(database, settings, converter=warm_converter)
    stop = threading.Event()
    thread = worker.start_thread(stop)
    try:
        _, ids = make_letters(database, tmp_path)
        worker.wake()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with database.reader() as session:
                if all(session.get(Document, i).status == DocumentStatus.CONVERTED for i in ids):
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the conversion thread did not convert the letters")
    finally:
        stop.set()
        worker.wake()
        thread.join(timeout=30)
    assert not thread.is_alive()


# --- the converter itself --------------------------------------------------------------------


@pytest.fixture
def docx_file(tmp_path: Path) -> Path:
    data, _, _ = LetterService(make_settings(tmp_path), directory()).sample(DocumentKind.SURAT_TANGGAPAN)
    path = tmp_path / "contoh.docx"
    path.write_bytes(data)
    return path


def test_missing_libreoffice_is_a_dependency_error(tmp_path: Path, docx_file: Path) -> None:
    with pytest.raises(DependencyError, match="libreoffice-writer-nogui"):
        WarmConverter(work_dir=tmp_path / "c", soffice="/nonexistent/soffice").convert(
            docx_file, tmp_path / "x.pdf"
        )
    with pytest.raises(DependencyError, match="Python for LibreOffice"):
        WarmConverter(work_dir=tmp_path / "c", uno_python="/nonexistent/python3").start()
    # mailflow's own interpreter cannot import uno: a clear message, not a hang
    with (
        pytest.raises(DependencyError, match="cannot import uno"),
        WarmConverter(work_dir=tmp_path / "c", uno_python=sys.executable) as converter,
    ):
        converter.start()


def test_a_crashed_libreoffice_is_restarted(tmp_path: Path, docx_file: Path) -> None:
    with WarmConverter(work_dir=tmp_path / "c", timeout=60) as converter:
        converter.convert(docx_file, tmp_path / "1.pdf")
        os.killpg(os.getpgid(converter.office_pid), signal.SIGKILL)  # soffice and the worker die
        time.sleep(0.5)
        converter.convert(docx_file, tmp_path / "2.pdf")  # noticed before the request: a new one
        assert converter.starts == 2
        assert "MF-" in pdf_text(tmp_path / "2.pdf")


def test_a_hanging_conversion_is_stopped_and_the_next_one_works(tmp_path: Path, docx_file: Path) -> None:
    with WarmConverter(work_dir=tmp_path / "c", timeout=60) as converter:
        converter.start()
        converter.timeout = 0.001  # no conversion finishes this fast: the real timeout path
        with pytest.raises(ConversionError, match="did not finish"):
            converter.convert(docx_file, tmp_path / "1.pdf")
        assert converter.office_pid is None
        converter.timeout = 60
        converter.convert(docx_file, tmp_path / "2.pdf")
        assert converter.starts == 2


def test_two_converters_never_share_a_profile(tmp_path: Path, docx_file: Path) -> None:
    with WarmConverter(work_dir=tmp_path / "c") as one, WarmConverter(work_dir=tmp_path / "c") as two:
        one.convert(docx_file, tmp_path / "1.pdf")
        two.convert(docx_file, tmp_path / "2.pdf")
        assert one._profile != two._profile
    assert (tmp_path / "1.pdf").stat().st_size > 0 and (tmp_path / "2.pdf").stat().st_size > 0


@pytest.mark.parametrize("dpi", [150, 200])
def test_the_qr_code_survives_a_scan(tmp_path: Path, docx_file: Path, warm_converter, dpi: int) -> None:
    """A page rendered at scanner resolution, tilted, blurred and JPEG-compressed still decodes."""
    import io  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    import zxingcpp  # noqa: PLC0415
    from PIL import Image, ImageFilter  # noqa: PLC0415

    from mailflow.domain.documents import find_doc_ids, parse_qr_payload  # noqa: PLC0415

    pdf = tmp_path / "letter.pdf"
    warm_converter.convert(docx_file, pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", pdf, tmp_path / "page"], check=True)
    page = Image.open(tmp_path / "page.png").convert("L")
    scan = page.rotate(1.5, expand=True, fillcolor=255).filter(ImageFilter.GaussianBlur(0.8))
    buffer = io.BytesIO()
    scan.save(buffer, "JPEG", quality=40)
    decoded = [parse_qr_payload(b.text) for b in zxingcpp.read_barcodes(Image.open(buffer))]
    assert decoded == find_doc_ids(pdf_text(pdf))[:1]  # the QR names the id printed on the page
    assert decoded[0] is not None


def test_two_warm_converters_convert_each_letter_once(database: Database, tmp_path: Path) -> None:
    """`converter.workers = 2`: two LibreOffice processes side by side; every letter is converted
    and recorded exactly once (one `converted` row each with its PDF, no temporary left). Each
    thread takes a letter before its LibreOffice starts, so with three letters both take one."""
    raw_settings, ids = make_letters(database, tmp_path)
    settings = raw_settings.model_copy(
        update={"converter": raw_settings.converter.model_copy(update={"workers": 2})}
    )
    worker = ConversionService(database, settings)
    try:
        assert worker.workers == 2
        summary = worker.run_once()
        offices = {c.office_pid for c in worker._converters if c is not None}
    finally:
        worker.close()
    assert sorted(summary.converted) == sorted(set(summary.converted)) and len(summary.converted) == len(ids)
    assert summary.failed == [] and len(offices) == 2  # both converters took letters
    with database.reader() as session:
        rows = [session.get(Document, i) for i in ids]
        assert {row.status for row in rows} == {DocumentStatus.CONVERTED}
        assert sorted(summary.converted) == sorted(row.doc_uid for row in rows)
        for row in rows:
            assert file_sha256(Path(row.pdf_path)) == row.pdf_sha256
            assert pdf_metadata(Path(row.pdf_path))[DOC_ID_KEY] == row.doc_uid
        folder = Path(rows[0].pdf_path).parent
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    assert ConversionService(database, settings).run_once().total == 0  # nothing twice
