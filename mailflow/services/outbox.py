"""The transactional outbox: queue mails inside the caller's transaction; resolve attachments.

Delivery (SMTP, retries, rate limits, digests) lives in the sender service; this module is what
every other service uses to say "send this mail" atomically with its state change.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Document, OutboxAttachment, OutboxMail
from mailflow.domain.documents import DocumentStatus
from mailflow.domain.mail import OutgoingMail, ResolvedFile

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_message_id(domain: str, prefix: str | None = None) -> str:
    """<prefix.random@domain>; the prefix (a reply token) lets replies match by In-Reply-To."""
    unique = secrets.token_hex(8)
    local = f"{prefix}.{unique}" if prefix else unique
    return f"<{local}@{domain}>"


def queue(session: Session, mail: OutgoingMail, *, now: datetime, domain: str) -> OutboxMail:
    """Add `mail` to the outbox in the caller's transaction; a repeated dedup_key returns the
    row queued the first time instead of a second one."""
    if mail.dedup_key:
        existing = session.execute(
            select(OutboxMail).where(OutboxMail.dedup_key == mail.dedup_key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    row = OutboxMail(
        message_id=make_message_id(domain, mail.message_id_prefix),
        dedup_key=mail.dedup_key,
        kind=mail.kind,
        case_id=mail.case_id,
        step_event_id=mail.step_event_id,
        to_addr=mail.to_addr.strip().lower(),
        to_name=mail.to_name,
        cc_addrs=", ".join(mail.cc) or None,
        reply_to=mail.reply_to,
        subject=mail.subject,
        headers=json.dumps(dict(mail.headers), ensure_ascii=False) if mail.headers else None,
        text_body=mail.text,
        html_body=mail.html,
        language=mail.language,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    row.attachments = [
        OutboxAttachment(
            position=index,
            document_id=ref.document_id,
            variant=ref.variant if ref.document_id is not None else "file",
            path=ref.path,
            filename=ref.filename,
            content_type=ref.content_type,
            inline_cid=ref.inline_cid,
        )
        for index, ref in enumerate(mail.attachments)
    ]
    if mail.dedup_key:
        # A concurrent worker may queue the same key between our check and insert: the
        # savepoint keeps the caller's transaction alive and we return that worker's row.
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            return session.execute(
                select(OutboxMail).where(OutboxMail.dedup_key == mail.dedup_key)
            ).scalar_one()
        return row
    session.add(row)
    session.flush()
    return row


def resolve_attachments(session: Session, mail: OutboxMail) -> list[ResolvedFile] | None:
    """The files to attach, or None while a letter's PDF is still being converted.

    A document whose conversion failed (or is disabled) goes out as DOCX only, so a missing
    LibreOffice delays nothing forever.
    """
    files: list[ResolvedFile] = []
    for attachment in mail.attachments:
        if attachment.document_id is None:
            if attachment.path is None:
                continue
            path = Path(attachment.path)
            files.append(
                ResolvedFile(
                    path=path,
                    filename=attachment.filename or path.name,
                    content_type=attachment.content_type or "application/octet-stream",
                    inline_cid=attachment.inline_cid,
                )
            )
            continue
        document = session.get(Document, attachment.document_id)
        if document is None:
            continue
        if document.status == DocumentStatus.GENERATED and attachment.variant in ("pdf", "both"):
            return None
        base = attachment.filename or _document_filename(document)
        want_pdf = attachment.variant in ("pdf", "both")
        want_docx = attachment.variant in ("docx", "both") or (want_pdf and not document.pdf_path)
        if want_pdf and document.pdf_path:
            files.append(ResolvedFile(Path(document.pdf_path), f"{base}.pdf", "application/pdf"))
        if want_docx and document.docx_path:
            files.append(ResolvedFile(Path(document.docx_path), f"{base}.docx", DOCX_TYPE))
    return files


def _document_filename(document: Document) -> str:
    """A readable, safe file name: kind and number ("surat_tanggapan_700.1.2.4-0042-Dishub-2026")."""
    number = (document.number or document.doc_uid).replace("/", "-").replace(" ", "_")
    return f"{document.kind}_{number}"
