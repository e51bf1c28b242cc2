"""The follow-up question to the complainant (config [satisfaction]): N working days after a case
was closed with an answer, "Apakah masalahnya sudah selesai?" with the SOP file's one-click
answers of the `resolved` question (SUDAH / BELUM). Asked once per case and round: the case row
records it in the same transaction as the queued mail, so a tick killed half-way asks again and
one that finished never does (the outbox dedup key guards the mail as well)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, CaseAnswer
from mailflow.config.model import SatisfactionSection
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.durations import BusinessDuration
from mailflow.domain.sop import Question, Sop
from mailflow.domain.statuses import CaseStatus
from mailflow.i18n import translate
from mailflow.services.conversation.mails import ConversationMails
from mailflow.services.conversation.records import CaseRecords

BATCH = 500  # cases asked per tick at most; the next tick goes on


class FollowUp:
    def __init__(
        self,
        *,
        config: SatisfactionSection,
        sop: Sop,
        calendar: BusinessCalendar,
        records: CaseRecords,
        mails: ConversationMails,
    ) -> None:
        self.config = config
        self.sop = sop
        self.calendar = calendar
        self.records = records
        self.mails = mails

    def run(self, database: Database, now: datetime) -> int:
        with database.transaction() as session:
            return self.tick(session, now)

    def tick(self, session: Session, now: datetime) -> int:
        """Ask every case that is due; returns how many questions were queued."""
        if not self.config.enabled or not self.sop.complainant_rules(Question.RESOLVED):
            return 0
        # a working day is at least a calendar day: nothing closed after `now - days` can be due
        latest = now - timedelta(days=self.config.followup_days)
        rows = session.execute(
            select(Case)
            .where(
                Case.status == CaseStatus.CLOSED,
                Case.followup_asked_at.is_(None),
                Case.closed_at.is_not(None),
                Case.closed_at <= latest,
            )
            .order_by(Case.closed_at)
            .limit(BATCH)
        ).scalars()
        asked = 0
        for case in rows:
            assert case.closed_at is not None
            if self.calendar.add(case.closed_at, BusinessDuration(days=self.config.followup_days)) > now:
                continue
            case.followup_asked_at = now
            if self._answered(session, case):
                continue  # they already told us (e.g. answered SUDAH by replying to the answer)
            lang = case.language or "id"
            sent = self.mails.tell_complainant(
                session,
                case,
                now,
                kind="complainant.followup",
                subject_key="branches.subject.followup",
                paragraphs=[translate("branches.followup.ask", lang, number=case.number, title=case.subject)],
                dedup_key=f"complainant:followup:{case.id}:{case.round or 1}",
                question=Question.RESOLVED,
            )
            if sent:
                asked += 1
                self.records.audit(session, now, "system", "complainant.followup", case_id=case.id)
        return asked

    @staticmethod
    def _answered(session: Session, case: Case) -> bool:
        row = session.execute(
            select(CaseAnswer.id).where(
                CaseAnswer.case_id == case.id, CaseAnswer.question == Question.RESOLVED.value
            )
        ).first()
        return row is not None
