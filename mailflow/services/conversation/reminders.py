"""The reminder job: remind actors at 50%/100% of a step's limit, tell superiors when overdue.

Run by the scheduler every minute or so. Idempotent: the bits in `step_events.reminders_sent`,
`escalated_at` and the outbox dedup keys make a repeated or concurrent tick send nothing twice.
Mails to one person in one tick are merged into a digest; at most
`reminders.max_mails_per_person_per_day` reminder/escalation mails per person per local day:
beyond that the notices wait (their bits stay unset) and go out in the next day's first digest.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, OutboxMail, StepEvent
from mailflow.config.model import RemindersSection
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory, Person
from mailflow.domain.documents import Audience
from mailflow.domain.durations import format_seconds
from mailflow.domain.reminders import DueNotice, notices_due
from mailflow.domain.sop import Sop
from mailflow.domain.statuses import CaseStatus
from mailflow.i18n import translate
from mailflow.services.conversation.actors import Actors
from mailflow.services.conversation.mails import ConversationMails, Recipient

log = logging.getLogger(__name__)
REMINDER_KINDS = ("reminder", "reminder.digest", "escalation")


@dataclass
class _Item:
    event: StepEvent
    case: Case
    notice: DueNotice


class ReminderService:
    def __init__(
        self,
        *,
        config: RemindersSection,
        sop: Sop,
        calendar: BusinessCalendar,
        directory: Directory,
        actors: Actors,
        mails: ConversationMails,
    ) -> None:
        self.config = config
        self.sop = sop
        self.calendar = calendar
        self.directory = directory
        self.actors = actors
        self.mails = mails

    def run(self, database: Database, now: datetime) -> int:
        """One tick; returns the number of mails queued."""
        with database.transaction() as session:
            return self.tick(session, now)

    def tick(self, session: Session, now: datetime) -> int:
        calendar = self.calendar
        if not calendar.is_working_instant(now):
            return 0
        rows = session.execute(
            select(StepEvent, Case)
            .join(Case, Case.id == StepEvent.case_id)
            .where(
                StepEvent.finished_at.is_(None), Case.status == CaseStatus.OPEN, StepEvent.started_at <= now
            )
            .order_by(StepEvent.due_at)
        ).all()
        actors: dict[str, list[_Item]] = defaultdict(list)
        superiors: dict[str, list[_Item]] = defaultdict(list)
        for event, case in rows:
            if self.sop.step(event.step).by_system:
                continue
            notice = notices_due(
                calendar,
                started=event.started_at,
                due=event.due_at,
                now=now,
                sent_bits=event.reminders_sent,
                escalated=event.escalated_at is not None,
                fractions=self.config.at_fractions,
                escalate_when_overdue=self.config.escalate_when_overdue,
            )
            if notice is None:
                continue
            item = _Item(event, case, notice)
            if notice.remind_bits:
                for person in self.actors.holders_of_role(session, event):
                    actors[person.id].append(item)
            if notice.escalate:
                superior = self.actors.superior(session, event)
                if superior is not None:
                    superiors[superior.id].append(item)
                else:
                    event.escalated_at = now  # nobody to tell: do not try again every minute
        queued = 0
        for person_id, items in actors.items():
            queued += self._remind(session, self.directory.person(person_id), items, now)
        for person_id, items in superiors.items():
            queued += self._escalate(session, self.directory.person(person_id), items, now)
        return queued

    # --- who ------------------------------------------------------------------------------------

    def _budget(self, session: Session, person: Person, now: datetime) -> int:
        zone = self.calendar.zone
        local = now.astimezone(zone)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        sent = session.execute(
            select(func.count())
            .select_from(OutboxMail)
            .where(
                OutboxMail.to_addr == person.email.lower(),
                OutboxMail.kind.in_(REMINDER_KINDS),
                OutboxMail.created_at >= day_start,
                OutboxMail.created_at < day_start + timedelta(days=1),
            )
        ).scalar_one()
        return max(0, self.config.max_mails_per_person_per_day - int(sent))

    # --- mails ------------------------------------------------------------------------------------

    def _remind(self, session: Session, person: Person, items: list[_Item], now: datetime) -> int:
        if self._budget(session, person, now) <= 0:
            log.info("reminder cap reached for %s; %d notices wait", person.email, len(items))
            return 0
        lang = self.mails.lang_for(person)
        lines = []
        for item in items:
            item.event.reminders_sent |= item.notice.remind_bits
            lines.append(self._line(session, item, person.jabatan or person.name, lang, now, late=False))
        overdue = any(i.notice.fraction >= 1 for i in items)
        intro = translate("engine.reminder.due" if overdue else "engine.reminder.half", lang)
        if len(items) > 1:
            key = ",".join(f"{i.event.id}.{i.event.reminders_sent}" for i in items)
            self.mails.tell(
                session,
                now,
                to=Recipient(person.email, person),
                kind="reminder.digest",
                subject=translate("engine.subject.digest", lang, count=len(items)),
                paragraphs=[intro],
                items=lines,
                lang=lang,
                dedup_key=f"digest:{person.id}:{key}",
            )
            return 1
        event, case = items[0].event, items[0].case
        view = self.mails.case_view(session, case, self.mails.audience_of(event), lang)
        subject = self.mails.composer.subject(
            view, "engine.subject.overdue" if overdue else "engine.subject.reminder", lang
        )
        commands, token = self.mails.commands_for(session, case, event, person, lang, subject, now)
        self.mails.tell(
            session,
            now,
            to=Recipient(person.email, person),
            kind="reminder",
            subject=subject,
            paragraphs=[intro],
            items=lines,
            commands=commands,
            lang=lang,
            case_id=case.id,
            token=token,
            dedup_key=f"reminder:{event.id}:{event.reminders_sent}:{person.id}",
        )
        return 1

    def _line(self, session: Session, item: _Item, who: str, lang: str, now: datetime, *, late: bool) -> str:
        event, case = item.event, item.case
        view = self.mails.case_view(session, case, self.mails.audience_of(event), lang)
        name = self.sop.step(event.step).name.get(lang)
        late_text = ""
        if late:
            lateness = format_seconds(self.calendar.business_seconds(event.due_at, now), lang)
            late_text = translate("engine.status.late", lang, late=lateness)
        due = self.mails.when(event.due_at, lang)
        detail = translate(
            "engine.status.line", lang, step=event.step, name=name, who=who, due=due, late=late_text
        )
        return f"{case.number} - {view.title}: {detail}"

    def _escalate(self, session: Session, superior: Person, items: list[_Item], now: datetime) -> int:
        if self._budget(session, superior, now) <= 0:
            return 0
        lang = self.mails.lang_for(superior)
        lines = []
        for item in items:
            who = item.event.actor_person or item.event.actor_role
            try:
                holder = self.directory.person(who)
                who = f"{holder.name} ({holder.jabatan})" if holder.jabatan else holder.name
            except KeyError:
                pass
            lines.append(self._line(session, item, who, lang, now, late=True))
            item.event.escalated_at = now
        first = items[0]
        view = self.mails.case_view(session, first.case, Audience.OPD, lang)
        self.mails.tell(
            session,
            now,
            to=Recipient(superior.email, superior),
            kind="escalation",
            subject=self.mails.composer.subject(
                view, "engine.subject.escalation", lang, step=first.event.step
            ),
            paragraphs=[translate("engine.escalation.intro", lang)],
            items=lines,
            lang=lang,
            case_id=first.case.id if len(items) == 1 else None,
            dedup_key="escalation:" + ",".join(str(i.event.id) for i in items) + f":{superior.id}",
        )
        return 1
