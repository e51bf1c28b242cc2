"""The complainant's attachments for the officials (issue 14 point 2).

The steps the SOP file marks `attach_evidence` carry the files the complainant sent with the
complaint (the photo of the broken street light, a scanned letter); a complainant's reply with
files before closing is forwarded the same way; STATUS LAMPIRAN sends them on request.

* A file damaged in the mail or refused for its size is not sent; the mail says so.
* For a rahasia or anonim complaint the officials get a copy without identifying metadata
  (adapters/metadata_strip: EXIF with GPS and camera owner, PDF author/creator/producer and XMP,
  Office authors); a file name that gives the complainant away is replaced ("lampiran-2.jpg"); a
  file whose metadata cannot be removed is not sent. The copies live under
  <data_dir>/evidence/<case id>/ and are made once.
* Above `[evidence] max_total_mb` together, the files are listed with their sizes instead of
  attached, and STATUS LAMPIRAN sends them in as many mails as needed, each under the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, MessageAttachment
from mailflow.adapters.metadata_strip import strip_metadata
from mailflow.config.model import Settings
from mailflow.domain.evidence import (
    Candidate,
    format_size,
    is_evidence,
    names_identity,
    neutral_name,
    pack,
    safe_name,
    skip_reason,
)
from mailflow.domain.mail import AttachmentRef
from mailflow.domain.redaction import CONFIDENTIAL_LEVELS, Identity
from mailflow.i18n import translate
from mailflow.services.conversation.records import CaseRecords

log = logging.getLogger("mailflow.services.evidence")


@dataclass(frozen=True)
class EvidenceFile:
    attachment_id: int
    name: str  # as the mail carries and lists it (neutral when the original named the complainant)
    size: int  # of the file that is sent
    content_type: str
    path: Path | None  # None: not sent
    skipped: str | None = None  # damaged / refused / unsupported / unreadable / encrypted

    def ref(self) -> AttachmentRef:
        return AttachmentRef(path=str(self.path), filename=self.name, content_type=self.content_type)


@dataclass(frozen=True)
class EvidencePack:
    files: tuple[EvidenceFile, ...]
    limit: int  # bytes per mail

    @property
    def sendable(self) -> tuple[EvidenceFile, ...]:
        return tuple(f for f in self.files if f.path is not None)

    @property
    def total(self) -> int:
        return sum(f.size for f in self.sendable)

    @property
    def over_limit(self) -> bool:
        return self.total > self.limit

    def refs(self) -> list[AttachmentRef]:
        """What the mail attaches: every sendable file, or nothing when together too big."""
        if self.over_limit:
            return []
        return [f.ref() for f in self.sendable]

    def lines(self, lang: str) -> list[str]:
        """How the mail lists them: attached, or listed with sizes and how to ask for them, and
        the ones that cannot be sent, with why."""
        key = "engine.evidence.listed" if self.over_limit else "engine.evidence.attached"
        lines = [translate(key, lang, name=f.name, size=format_size(f.size, lang)) for f in self.sendable]
        lines.extend(
            translate(f"engine.evidence.skipped.{f.skipped}", lang, name=f.name)
            for f in self.files
            if f.path is None
        )
        if self.over_limit:
            lines.append(
                translate(
                    "engine.evidence.ask",
                    lang,
                    total=format_size(self.total, lang),
                    limit=format_size(self.limit, lang),
                )
            )
        return lines

    def mails(self) -> tuple[list[list[EvidenceFile]], list[EvidenceFile]]:
        """The sendable files packed into mails under the limit, and those bigger than it alone."""
        files = self.sendable
        groups, too_big = pack([f.size for f in files], self.limit)
        return [[files[i] for i in group] for group in groups], [files[i] for i in too_big]


class Evidence:
    def __init__(self, settings: Settings, records: CaseRecords) -> None:
        self.limit = settings.evidence.max_total_bytes
        self.copies = settings.data_dir / "evidence"
        self.records = records

    def of_case(self, session: Session, case: Case) -> EvidencePack:
        """The files of the complaint itself (the case's source message)."""
        if case.source_message_id is None:
            return EvidencePack((), self.limit)
        return self.of_messages(session, case, (case.source_message_id,))

    def of_messages(self, session: Session, case: Case, message_ids: Sequence[int]) -> EvidencePack:
        """The files of the complainant's `message_ids` (the complaint, their later replies)."""
        if not message_ids:
            return EvidencePack((), self.limit)
        rows = session.execute(
            select(MessageAttachment)
            .where(MessageAttachment.message_id.in_(list(message_ids)))
            .order_by(MessageAttachment.message_id, MessageAttachment.position, MessageAttachment.id)
        ).scalars()
        confidential = case.confidentiality in CONFIDENTIAL_LEVELS
        identity = self._identity(session, case) if confidential else Identity()
        files: list[EvidenceFile] = []
        for row in rows:
            candidate = _candidate(row)
            if not is_evidence(candidate):
                continue
            files.append(self._file(case, row, candidate, len(files), confidential, identity))
        return EvidencePack(tuple(files), self.limit)

    def _file(
        self,
        case: Case,
        row: MessageAttachment,
        candidate: Candidate,
        index: int,
        confidential: bool,
        identity: Identity,
    ) -> EvidenceFile:
        content_type = (row.content_type or "application/octet-stream").lower()
        name = safe_name(row.original_name, index, content_type)
        if confidential and names_identity(name, identity):
            name = neutral_name(index, name, content_type)
        skipped = skip_reason(candidate)
        if skipped is not None or row.stored_path is None:
            return EvidenceFile(row.id, name, row.size or 0, content_type, None, skipped or "refused")
        source = Path(row.stored_path)
        if not confidential:
            return EvidenceFile(row.id, name, row.size or 0, content_type, source)
        # an iPhone's HEIC is sent as the JPEG its copy becomes, under that name
        sent_type = _CONVERTED.get(content_type, content_type)
        sent_name = str(Path(name).with_suffix(".jpg")) if sent_type != content_type else name
        suffix = Path(sent_name).suffix.lower()
        copy = self.copies / str(case.id) / f"{row.id}-{(row.sha256 or 'x')[:16]}{suffix}"
        if not copy.exists():
            stripped = strip_metadata(source, copy, content_type, row.original_name or name)
            if not stripped.ok:
                log.info(
                    "evidence: attachment %s of case %s not sent: %s", row.id, case.number, stripped.reason
                )
                return EvidenceFile(row.id, name, row.size or 0, content_type, None, stripped.reason)
        return EvidenceFile(row.id, sent_name, copy.stat().st_size, sent_type, copy)

    def _identity(self, session: Session, case: Case) -> Identity:
        complainant = self.records.complainant(session, case)
        if complainant is None:
            return Identity()
        return Identity(name=complainant.name, email=complainant.email, phone=complainant.phone)


# formats whose stripped copy is written in another one (adapters.metadata_strip)
_CONVERTED = {"image/heic": "image/jpeg", "image/heif": "image/jpeg"}


def _candidate(row: MessageAttachment) -> Candidate:
    return Candidate(
        attachment_id=row.id,
        position=row.position or 0,
        name=row.original_name,
        content_type=row.content_type or "application/octet-stream",
        size=row.size or 0,
        inline=bool(row.inline),
        stored=row.stored_path is not None and not row.refused_reason,
        damaged=bool(row.damaged),
    )
