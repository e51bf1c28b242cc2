"""The mails that were ignored: by an inbox rule (newsletters, notifications) or as machine mail no
rule took. Nothing is silently dropped: each is listed with its sender, subject and the rule
(`mailflow quarantine list --ignored`, the daily report's table), and an admin can take one in
as a complaint (services/ingest/take_in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Message
from mailflow.domain.statuses import MessageStatus

LIST_LIMIT = 1000


@dataclass(frozen=True)
class IgnoredMail:
    id: int  # the message id: `mailflow quarantine retry --as-complaint <id>`
    received_at: datetime
    account: str
    from_addr: str | None
    subject: str | None
    rule: str | None  # None: machine mail that no rule took
    reason: str | None
    kind: str | None  # ignored (by a rule) / automated


def ignored_mails(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = LIST_LIMIT,
) -> list[IgnoredMail]:
    """The ignored mails received in [since, until), oldest first."""
    query = select(
        Message.id,
        Message.received_at,
        Message.account,
        Message.from_addr,
        Message.subject,
        Message.rule,
        Message.last_error,
        Message.kind,
    ).where(Message.status == MessageStatus.IGNORED)
    if since is not None:
        query = query.where(Message.received_at >= since)
    if until is not None:
        query = query.where(Message.received_at < until)
    rows = session.execute(query.order_by(Message.received_at, Message.id).limit(limit)).all()
    return [
        IgnoredMail(
            id=row.id,
            received_at=row.received_at,
            account=row.account,
            from_addr=row.from_addr,
            subject=row.subject,
            rule=row.rule,
            reason=row.last_error,
            kind=row.kind,
        )
        for row in rows
    ]
