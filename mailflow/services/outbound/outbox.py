"""The transactional outbox: queue mails inside the caller's transaction; resolve attachments.

Delivery (SMTP, retries, rate limits, digests) lives in the sender service; this module is what
every other service uses to say "send this mail" atomically with its state change.

Every mail is checked when it is queued (domain/outgoing): display names, the subject and extra
header values are cleaned of line breaks, control and bidi characters, and a mail that still
cannot be built (an invalid recipient, a header the email package refuses) is stored `failed`
with its reason instead of `queued`. The caller's transaction goes on either way: a hostile From
must not roll back the case it came with, nor stop the sender later.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, Document, OutboxAttachment, OutboxMail
from mailflow.adapters.mime_build import build_mime, surely_builds
from mailflow.domain.documents import DocumentStatus
from mailflow.domain.mail import OutgoingMail, ResolvedFile
from mailflow.domain.outgoing import (
    Problem,
    clean_headers,
    display_name,
    envelope_problem,
    one_line,
    valid_cc,
)
from mailflow.domain.pacing import GROUP_KIND
from mailflow.domain.safe_text import escape, has_unsafe
from mailflow.i18n import translate

log = logging.getLogger("mailflow.outbox")
_SURROGATE = re.compile("[\ud800-\udfff]")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_message_id(domain: str, prefix: str | None = None) -> str:
    """<prefix.random@domain>; the prefix (a reply token) lets replies match by In-Reply-To."""
    unique = secrets.token_hex(8)
    local = f"{prefix}.{unique}" if prefix else unique
    return f"<{local}@{domain}>"


def queue(
    session: Session, mail: OutgoingMail, *, now: datetime, domain: str, fresh_key: bool = False
) -> OutboxMail:
    """Add `mail` to the outbox in the caller's transaction; a repeated dedup_key returns the
    row queued the first time instead of a second one. `fresh_key`: the key names something
    created in this transaction (a step event's action mail), so it is not looked up first; a
    clash is still caught by the savepoint below and answered with the row already queued."""
    if mail.dedup_key and not fresh_key:
        existing = session.execute(
            select(OutboxMail).where(OutboxMail.dedup_key == mail.dedup_key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    cc, refused_cc = valid_cc(mail.cc)
    headers = clean_headers(mail.headers)
    row = OutboxMail(
        message_id=make_message_id(domain, mail.message_id_prefix),
        dedup_key=mail.dedup_key,
        kind=mail.kind,
        case_id=mail.case_id,
        step_event_id=mail.step_event_id,
        to_addr=mail.to_addr.strip().lower()[:320],
        to_name=display_name(mail.to_name),
        cc_addrs=", ".join(cc) or None,
        reply_to=mail.reply_to.strip() if mail.reply_to else None,
        subject=one_line(mail.subject),
        headers=json.dumps(headers, ensure_ascii=False) if headers else None,
        text_body=mail.text,
        html_body=mail.html,
        language=mail.language,
        group_section=(
            json.dumps(mail.group_section, ensure_ascii=False) if mail.group_section is not None else None
        ),
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    _log_cleaning(mail, row, refused_cc)
    problem = envelope_problem(mail.to_addr, mail.reply_to, headers) or _build_problem(row, domain)
    if problem is not None:
        row.status = "failed"
        row.last_error = reason_text(problem, mail.language)
        # what made the build fail may also be unwritable (a lone surrogate is no UTF-8): the
        # failed row must still be stored, with its reason, without failing the caller's transaction
        row.text_body, row.html_body = _storable(mail.text) or "", _storable(mail.html)
        row.subject = _storable(row.subject) or ""
        log.warning(
            "outbox: %s mail (case %s) not queued: %s", mail.kind, mail.case_id or "-", row.last_error
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


def _storable(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def reason_text(problem: Problem, lang: str) -> str:
    """`code: text` as stored in outbox.last_error (the code stays stable for scripts)."""
    return f"{problem.code}: {translate(f'outbox.{problem.code}', lang, value=problem.value)}"[:4000]


def _build_problem(row: OutboxMail, domain: str) -> Problem | None:
    """Build the message once now, without attachments, so that whatever the email package refuses
    fails this mail here, with its reason, instead of in the sender. Any exception counts: this
    trial exists to catch the refusals nobody listed. A mail of plain values only (nearly every
    one) cannot be refused, and skips the trial (mime_build.surely_builds says when)."""
    from_addr = f"lapor@{domain}"
    try:
        if surely_builds(row, from_addr=from_addr, from_name=""):
            return None
    except Exception:  # the shortcut must never fail a mail: the real build decides
        log.exception("outbox: the trial's shortcut failed on a %s mail; building it instead", row.kind)
    try:
        build_mime(row, from_addr=from_addr, from_name="", files=())
    except Exception as exc:  # noqa: BLE001 - any refusal at all, see above
        return Problem("unbuildable", escape(f"{type(exc).__name__}: {exc}", limit=300))
    return None


def _log_cleaning(mail: OutgoingMail, row: OutboxMail, refused_cc: list[str]) -> None:
    """Hostile text that was removed is worth an admin's look (the values are escaped by the
    log formatter, so they are shown, not obeyed)."""
    name = (mail.to_name or "").strip()
    if name and (row.to_name is None or has_unsafe(name)):
        log.warning(
            "outbox: %s mail to %s: display name %s sent as %s", mail.kind, row.to_addr, mail.to_name,
            row.to_name or "(none)",
        )  # fmt: skip
    if has_unsafe(mail.subject):
        log.warning(
            "outbox: %s mail to %s: subject %s sent as one line", mail.kind, row.to_addr, mail.subject
        )
    for address in refused_cc:
        log.warning("outbox: %s mail to %s: invalid Cc %s dropped", mail.kind, row.to_addr, address)


def failed_counts(session: Session, case_numbers: list[str]) -> dict[str, int]:
    """How many mails of each case (by number) are `failed` (for `mailflow cases`)."""
    counts: dict[str, int] = {}
    for chunk in range(0, len(case_numbers), 500):
        stmt = (
            select(Case.number, func.count())
            .join(OutboxMail, OutboxMail.case_id == Case.id)
            .where(Case.number.in_(case_numbers[chunk : chunk + 500]), OutboxMail.status == "failed")
            .group_by(Case.number)
        )
        for number, count in session.execute(stmt):
            counts[str(number)] = int(count)
    return counts


def failed_mails(session: Session, case_id: int) -> list[OutboxMail]:
    """The failed mails of one case, oldest first (for `mailflow case`)."""
    return list(
        session.execute(
            select(OutboxMail)
            .where(OutboxMail.case_id == case_id, OutboxMail.status == "failed")
            .order_by(OutboxMail.id)
        ).scalars()
    )


def answers_grouped_mail(session: Session, message_ids: Sequence[str]) -> bool:
    """Whether one of `message_ids` (a reply's In-Reply-To and References) is a grouped mail's
    (domain/pacing): such a mail lists several cases, so a reply to it names none."""
    wanted = [m.strip() for m in message_ids if m.strip()][-50:]
    if not wanted:
        return False
    found = session.execute(
        select(OutboxMail.id).where(OutboxMail.message_id.in_(wanted), OutboxMail.kind == GROUP_KIND).limit(1)
    ).first()
    return found is not None


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
