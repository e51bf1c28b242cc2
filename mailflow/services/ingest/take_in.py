"""`mailflow quarantine retry --as-complaint`: an ignored or quarantined mail taken in as a complaint.

Nothing a rule ignored is lost: its raw bytes are stored and its row says which rule ignored it
(`mailflow quarantine list --ignored`, the daily report). When an admin decides it was a
complaint after all, the stored mail is read again and registered as one, in one transaction:
the case with its step-1 event and acknowledgement, step 2 started by the engine, the row
`processed`, an open quarantine item released, and an audit entry naming who and what it was
before. The row is locked first and a mail that already has its case is refused, so it happens
once however often or concurrently the command runs. The rules decide the category, OPDs and
channel as usual, without the ignore rules (IngestService.complaint_decision).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from mailflow.adapters.db.models import Case, Message, QuarantineItem
from mailflow.domain.statuses import MessageStatus
from mailflow.errors import NotFoundError, UsageError
from mailflow.i18n import translate
from mailflow.services.audit import audit
from mailflow.services.ingest.service import IngestService

TAKEABLE = (MessageStatus.IGNORED, MessageStatus.QUARANTINED)


@dataclass(frozen=True)
class TakenIn:
    message_id: int
    case_id: int
    case_number: str
    was: str  # the message's status before: ignored / quarantined
    header_id: str | None  # Message-ID and SHA-256: to find the server copy (quarantined ones)
    sha256: str


def take_in_as_complaint(ingest: IngestService, message_id: int, *, by: str = "admin") -> TakenIn:
    """Register stored message `message_id` as a complaint. Raises NotFoundError for an unknown
    message and UsageError for one that is a case already or was not ignored or quarantined."""
    lang = ingest.lang
    now = ingest.clock.now()
    with ingest.database.transaction() as session:
        row = session.get(Message, message_id, with_for_update=True)
        if row is None:
            raise NotFoundError(translate("ingest.err.no_message", lang, id=message_id))
        existing = session.execute(select(Case.number).where(Case.source_message_id == row.id)).scalar()
        if existing is not None:
            raise UsageError(translate("ingest.take_in.already", lang, id=message_id, number=existing))
        if row.status not in TAKEABLE or row.kind == "oversize":
            raise UsageError(translate("ingest.take_in.not_takeable", lang, id=message_id, status=row.status))
        mail = ingest.parse_stored(row)
        was, rule = row.status, row.rule
        for item in session.execute(
            select(QuarantineItem).where(
                QuarantineItem.message_id == row.id,
                QuarantineItem.kind == "message",
                QuarantineItem.released_at.is_(None),
            )
        ).scalars():
            item.released_at = now
            item.retries += 1
        row.last_error, row.quarantine_reason = None, None
        row.processed_at = now
        decision = ingest.complaint_decision(mail, row.account)
        row.rule = decision.rule
        case = ingest.register_complaint(session, row, mail, decision, now)
        detail = {"was": was, "rule": rule, "as_rule": decision.rule}
        audit(session, now, by, "message_taken_in", case_id=case.id, message_id=row.id, detail=detail)
        return TakenIn(row.id, case.id, case.number, was, row.message_id, row.sha256)
