"""Queueing into the outbox: idempotent by dedup key, attachments wait for a letter's PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import func, select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Document, OutboxMail
from mailflow.adapters.mime_build import build_mime
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.services.outbound.outbox import queue, resolve_attachments

NOW = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)


def mail(**overrides: object) -> OutgoingMail:
    values: dict[str, object] = {
        "kind": "ack",
        "to_addr": "Siti.Rahma@gmail.com",
        "to_name": "Siti Rahma",
        "subject": "[LPR-2026-00042] Aduan Anda telah kami terima",
        "text": "Yth. Siti Rahma,\nAduan Anda tercatat dengan nomor LPR-2026-00042.",
        "html": "<p>Yth. Siti Rahma,</p>",
        "dedup_key": "ack:LPR-2026-00042",
    }
    values.update(overrides)
    return OutgoingMail(**values)  # type: ignore[arg-type]


def test_same_dedup_key_is_queued_once(database: Database) -> None:
    with database.transaction() as session:
        first = queue(session, mail(), now=NOW, domain="diskominfo.bontangkota.go.id")
        again = queue(session, mail(), now=NOW, domain="diskominfo.bontangkota.go.id")
        assert first.id == again.id
    with database.transaction() as session:
        later = queue(session, mail(), now=NOW, domain="diskominfo.bontangkota.go.id")
        assert later.message_id == first.message_id
    with database.reader() as session:
        assert session.execute(select(func.count()).select_from(OutboxMail)).scalar_one() == 1
        row = session.execute(select(OutboxMail)).scalar_one()
        assert row.to_addr == "siti.rahma@gmail.com"
        assert row.message_id.endswith("@diskominfo.bontangkota.go.id>")


def test_a_fresh_key_that_clashes_after_all_still_gets_the_first_row(database: Database) -> None:
    """`fresh_key` skips the lookup (an action mail's key names a step event of this very
    transaction); were the key queued after all, the savepoint answers with the first row and the
    caller's transaction goes on."""
    domain = "diskominfo.bontangkota.go.id"
    with database.transaction() as session:
        first = queue(session, mail(), now=NOW, domain=domain)
    with database.transaction() as session:
        again = queue(session, mail(), now=NOW, domain=domain, fresh_key=True)
        assert again.id == first.id and again.message_id == first.message_id
        other = queue(session, mail(dedup_key="ack:LPR-2026-00043"), now=NOW, domain=domain, fresh_key=True)
    with database.reader() as session:
        keys = session.execute(select(OutboxMail.dedup_key).order_by(OutboxMail.id)).scalars().all()
    assert keys == ["ack:LPR-2026-00042", "ack:LPR-2026-00043"] and other.id != first.id


def test_letter_attachment_waits_for_its_pdf_then_builds(database: Database, tmp_path: Path) -> None:
    docx = tmp_path / "nota.docx"
    docx.write_bytes(b"PK fake docx")
    pdf = tmp_path / "nota.pdf"
    with database.transaction() as session:
        document = Document(
            doc_uid="MF-0000-0000-0",
            kind="nota_dinas",
            number="700.1.2.4/0001/Diskominfo/2026",
            docx_path=str(docx),
            status="generated",
            created_at=NOW,
        )
        session.add(document)
        session.flush()
        row = queue(
            session,
            mail(attachments=(AttachmentRef(document_id=document.id, variant="both"),)),
            now=NOW,
            domain="x.id",
        )
        assert resolve_attachments(session, row) is None  # PDF not converted yet
        pdf.write_bytes(b"%PDF-1.7 fake")
        document.pdf_path, document.status = str(pdf), "converted"
        session.flush()
        files = resolve_attachments(session, row)
        assert files is not None
        assert [f.filename for f in files] == [
            "nota_dinas_700.1.2.4-0001-Diskominfo-2026.pdf",
            "nota_dinas_700.1.2.4-0001-Diskominfo-2026.docx",
        ]
        raw = build_mime(row, from_addr="lapor@x.id", from_name="LAPOR Bontang", files=files)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Message-ID"] == row.message_id
    assert parsed["Subject"] == "[LPR-2026-00042] Aduan Anda telah kami terima"
    names = [part.get_filename() for part in parsed.iter_attachments()]
    assert names == [
        "nota_dinas_700.1.2.4-0001-Diskominfo-2026.pdf",
        "nota_dinas_700.1.2.4-0001-Diskominfo-2026.docx",
    ]
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and "LPR-2026-00042" in body.get_content()


def test_failed_conversion_sends_the_docx_alone(database: Database, tmp_path: Path) -> None:
    docx = tmp_path / "d.docx"
    docx.write_bytes(b"PK")
    with database.transaction() as session:
        document = Document(
            doc_uid="MF-0000-0001-1",
            kind="lembar_disposisi",
            docx_path=str(docx),
            status="pdf_failed",
            created_at=NOW,
        )
        session.add(document)
        session.flush()
        row = queue(
            session,
            mail(dedup_key=None, attachments=(AttachmentRef(document_id=document.id),)),
            now=NOW,
            domain="x.id",
        )
        files = resolve_attachments(session, row)
        assert files is not None and [f.filename.endswith(".docx") for f in files] == [True]
