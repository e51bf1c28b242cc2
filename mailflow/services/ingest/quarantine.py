"""Quarantine: input that cannot be processed is set aside with its reason, and the loop goes on.

A quarantined message has `messages.status = 'quarantined'`, `quarantine_reason`, and a row in
`quarantine`; the poller then moves it on the server to the mailbox's quarantine folder
(`Karantina` by default). `retry` processes the stored raw message again; the database is what
counts, and the CLI then moves the server copy out of the quarantine folder
(services.ingest.server_copy) when it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Message, QuarantineItem
from mailflow.errors import NotFoundError
from mailflow.i18n import translate
from mailflow.services.audit import audit

REASON_LIMIT = 4000


def quarantine_message(session: Session, message: Message, *, code: str, reason: str, now: datetime) -> None:
    """Set `message` aside in the caller's transaction (the conversation engine may call this too:
    the server-side move to the quarantine folder follows on the poller's next pass)."""
    message.status = "quarantined"
    message.quarantine_reason = f"{code}: {reason}"[:REASON_LIMIT]
    message.processed_at = now
    message.server_state = "pending"
    open_item = session.execute(
        select(QuarantineItem).where(
            QuarantineItem.message_id == message.id,
            QuarantineItem.kind == "message",  # a mail's refused PDFs have rows of their own
            QuarantineItem.released_at.is_(None),
        )
    ).scalar_one_or_none()
    if open_item is None:
        session.add(
            QuarantineItem(
                kind="message",
                message_id=message.id,
                reason_code=code[:40],
                reason=reason[:REASON_LIMIT],
                created_at=now,
            )
        )
    else:
        open_item.reason_code, open_item.reason = code[:40], reason[:REASON_LIMIT]
    audit(
        session,
        now,
        "system",
        "message_quarantined",
        message_id=message.id,
        detail={"code": code, "reason": reason[:500]},
    )


@dataclass(frozen=True)
class QuarantineView:
    id: int
    kind: str
    message_id: int | None
    reason_code: str
    reason: str
    created_at: datetime
    released_at: datetime | None
    retries: int
    account: str | None
    from_addr: str | None
    subject: str | None
    raw_path: str | None
    attempts: int | None
    status: str | None


def list_items(database: Database, *, include_released: bool = False) -> list[QuarantineView]:
    with database.reader() as session:
        query = select(QuarantineItem).order_by(QuarantineItem.id)
        if not include_released:
            query = query.where(QuarantineItem.released_at.is_(None))
        return [_view(session, item) for item in session.execute(query).scalars()]


def show_item(database: Database, item_id: int, lang: str = "id") -> QuarantineView:
    with database.reader() as session:
        item = session.get(QuarantineItem, item_id)
        if item is None:
            raise NotFoundError(translate("ingest.err.no_item", lang, id=item_id))
        return _view(session, item)


def release_for_retry(database: Database, item_id: int, now: datetime, lang: str = "id") -> int:
    """Mark item `item_id` released and its message ready to process again; returns the message id."""
    with database.transaction() as session:
        item = session.get(QuarantineItem, item_id)
        if item is None or item.message_id is None:
            raise NotFoundError(translate("ingest.err.no_item", lang, id=item_id))
        message = session.get(Message, item.message_id)
        if message is None:
            raise NotFoundError(translate("ingest.err.no_message", lang, id=item.message_id))
        item.released_at = now
        item.retries += 1
        message.status = "received"
        message.attempts = 0
        message.last_error = None
        audit(session, now, "admin", "quarantine_retry", message_id=message.id)
        return message.id


def _view(session: Session, item: QuarantineItem) -> QuarantineView:
    message = session.get(Message, item.message_id) if item.message_id else None
    return QuarantineView(
        id=item.id,
        kind=item.kind,
        message_id=item.message_id,
        reason_code=item.reason_code,
        reason=item.reason,
        created_at=item.created_at,
        released_at=item.released_at,
        retries=item.retries,
        account=message.account if message else None,
        from_addr=message.from_addr if message else None,
        subject=message.subject if message else None,
        raw_path=message.raw_path if message else None,
        attempts=message.attempts if message else None,
        status=message.status if message else None,
    )
