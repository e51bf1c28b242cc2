"""Mails as the domain asks for them: effects that services queue in the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AttachmentRef:
    """Something to attach: a generated letter (by document id) or a file on disk."""

    document_id: int | None = None
    variant: str = "pdf"  # pdf / docx / both (for documents) or file (for `path`)
    path: str | None = None
    filename: str | None = None
    content_type: str | None = None
    inline_cid: str | None = None  # makes it an inline part the HTML refers to as cid:<inline_cid>

    def __post_init__(self) -> None:
        if (self.document_id is None) == (self.path is None):
            raise ValueError("an attachment names either a document or a path")
        if self.variant not in ("pdf", "docx", "both", "file"):
            raise ValueError(f"unknown attachment variant {self.variant!r}")


@dataclass(frozen=True)
class OutgoingMail:
    """One mail to one person. `dedup_key` makes queueing idempotent: the same key is queued once,
    so work repeated after a crash never sends a second copy."""

    kind: str
    to_addr: str
    subject: str
    text: str
    html: str | None = None
    to_name: str | None = None
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[AttachmentRef, ...] = ()
    case_id: int | None = None
    step_event_id: int | None = None
    dedup_key: str | None = None
    language: str = "id"
    message_id_prefix: str | None = None  # e.g. the reply token, so replies match via In-Reply-To
    # What this (action) mail shows as one section of a grouped mail; JSON-ready values only
    # (domain/pacing: the sender bundles action mails due to one person at once).
    group_section: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ResolvedFile:
    """An attachment ready to go: a file on disk, the name the recipient sees, its type."""

    path: Path
    filename: str
    content_type: str
    inline_cid: str | None = None
