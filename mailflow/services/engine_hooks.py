"""The conversation engine as the ingest side sees it (services.ingest.IngestHooks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, Message
from mailflow.domain.inbound import InboundMail
from mailflow.services.engine import Engine
from mailflow.services.replies import ReplyOutcome, ReplyProcessor


class EngineHooks:
    """Registration starts step 2; a reply goes through the reply processor. Both run in the
    message's transaction; a refused reply has already been quarantined by the processor."""

    def __init__(self, engine: Engine, replies: ReplyProcessor) -> None:
        self.engine = engine
        self.replies = replies
        self.last_outcome: ReplyOutcome | None = None

    def case_registered(self, session: Session, case: Case, now: datetime) -> None:
        self.engine.case_registered(session, case, now)

    def handle_reply(self, session: Session, message: Message, inbound: InboundMail, now: datetime) -> None:
        outcome = self.replies.handle(session, message, inbound, now)
        self.last_outcome = outcome
        if outcome.status != "quarantined":
            message.status = "processed"
