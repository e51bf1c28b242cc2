"""The conversation engine as the ingest side sees it (services.ingest.IngestHooks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, Message
from mailflow.domain.inbound import InboundMail
from mailflow.domain.statuses import MessageStatus
from mailflow.services.conversation.answers import ReplyOutcome
from mailflow.services.conversation.engine import Engine
from mailflow.services.conversation.replies import ReplyProcessor


class EngineHooks:
    """Registration enters the step after it; a reply goes through the reply processor. Both run in the
    message's transaction.

    A reply ends `processed` only when it acted (applied) or was answered as asked (STATUS,
    BANTUAN); every refused reply ends quarantined, so the poller moves it to the server's
    quarantine folder and `quarantine list` shows it. The processor quarantines what it refuses;
    an outcome it passed on without doing so (a refusal reported by another service) is
    quarantined here."""

    def __init__(self, engine: Engine, replies: ReplyProcessor) -> None:
        self.engine = engine
        self.replies = replies
        self.last_outcome: ReplyOutcome | None = None

    def case_registered(self, session: Session, case: Case, now: datetime) -> None:
        self.engine.case_registered(session, case, now)

    def handle_reply(self, session: Session, message: Message, inbound: InboundMail, now: datetime) -> None:
        outcome = self.replies.handle(session, message, inbound, now)
        self.last_outcome = outcome
        if outcome.status in ("applied", "answered"):
            message.status = MessageStatus.PROCESSED
        else:
            reason = outcome.detail or outcome.code
            self.replies.answers.ensure_quarantined(session, message, outcome.code, reason, now)
