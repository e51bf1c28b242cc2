"""SOP step 1: a new complaint becomes a case with its number, complainant, the step-1 event and
an acknowledgement mail to the complainant, all in the caller's transaction.

Times follow docs/step-events.md: step 1 starts when the mail was received (the server's
INTERNALDATE, stored as messages.received_at) and finishes at registration (now); its due time,
business seconds and lateness come from the business calendar.

The complainant (name, email, phone, address) comes from the mail as domain/complaint reads it,
with the labels the rules declare for a site's own forms (`fields`). The language of what they
wrote (domain/language) becomes the case's (`cases.language`): the acknowledgement and every
later mail to them are written in it; officials' mails stay in the site's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.counters import next_value
from mailflow.adapters.db.models import Case, Complainant, Message, StepEvent
from mailflow.adapters.mail_templates import MailTemplates
from mailflow.config.model import Settings
from mailflow.domain.calendar import BusinessCalendar, format_local
from mailflow.domain.complaint import ANONIM, clean_subject, extract_complainant, summarise, written_text
from mailflow.domain.directory import Directory
from mailflow.domain.inbound import InboundMail
from mailflow.domain.language import detect_language
from mailflow.domain.mail import OutgoingMail
from mailflow.domain.numbering import case_number
from mailflow.domain.rules import ComplaintSettings
from mailflow.domain.sop import Sop, Track
from mailflow.domain.tokens import (
    CASE_TOKEN_STEP,
    COMPLAINANT_TOKEN_DAYS,
    complainant_actor,
    issue,
    reply_address,
)
from mailflow.services.audit import audit
from mailflow.services.outbound.outbox import queue

BODY_LIMIT = 100_000
ADDRESS_LIMIT = 500
# Channels whose mail is a portal's notification: only its labelled lines speak of the citizen
# (its From and Reply-To are the portal's). A site's web form ("web") is read like any form mail:
# its fields, then Reply-To, then From.
OWN_IDENTITY_CHANNELS = ("email", "web")


@dataclass(frozen=True)
class Registrar:
    """What registration needs, built once per process."""

    settings: Settings
    sop: Sop
    calendar: BusinessCalendar
    directory: Directory
    templates: MailTemplates

    @property
    def lang(self) -> str:
        return self.settings.general.language

    @property
    def mail_domain(self) -> str:
        return str(self.settings.smtp.from_address).rsplit("@", 1)[1]

    def register(
        self,
        session: Session,
        *,
        message: Message,
        mail: InboundMail,
        rule: ComplaintSettings,
        now: datetime,
    ) -> Case:
        """The case of `message`, created now or found (a repeated call creates nothing)."""
        existing = session.execute(
            select(Case).where(Case.source_message_id == message.id)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
        labels_first = (rule.channel or "email") not in OWN_IDENTITY_CHANNELS
        who = extract_complainant(
            mail, confidentiality=rule.confidentiality, labels_first=labels_first, fields=rule.fields
        )
        track = Track(rule.track or "normal")
        received = min(message.received_at, now)
        complainant = Complainant(
            name=who.name,
            email=who.email,
            phone=who.phone,
            address=who.address[:ADDRESS_LIMIT] if who.address else None,
            confidentiality=who.confidentiality,
            created_at=now,
        )
        session.add(complainant)
        language = detect_language(
            f"{mail.subject}\n{written_text(mail.text, rule.fields)}", default=self.lang
        ).language
        case = self._new_case(session, message, mail, rule, complainant, received, now, language)
        session.add(case)
        session.flush()
        event = self._step_one(case, message, received, now, track)
        session.add(event)
        session.flush()
        message.case_id = case.id
        audit(
            session,
            now,
            "system",
            "case_registered",
            case_id=case.id,
            message_id=message.id,
            detail={
                "number": case.number,
                "confidentiality": who.confidentiality,
                "confidentiality_reason": who.confidentiality_reason,
                "channel": case.channel,
                "identity_from": who.source,
                "language": case.language,
            },
        )
        if who.email and rule.acknowledge is not False:
            self._acknowledge(session, case, event, mail, who.email, now, track)
        return case

    def _new_case(
        self,
        session: Session,
        message: Message,
        mail: InboundMail,
        rule: ComplaintSettings,
        complainant: Complainant,
        received: datetime,
        now: datetime,
        language: str,
    ) -> Case:
        """The case row with its number: gapless per local year of receipt, taken inside this
        transaction (adapters/db/counters), so a rollback gives the number back."""
        day = received.astimezone(ZoneInfo(self.settings.general.timezone)).date()
        serial = next_value(session, "case", str(day.year))
        return Case(
            number=case_number(self.settings.numbering.case_pattern, serial, day),
            channel=rule.channel or "email",
            subject=clean_subject(mail.subject)[:1000] or "(tanpa perihal)",
            summary=summarise(mail.subject, mail.text),
            body=mail.text[:BODY_LIMIT],
            category=rule.category,
            suggested_opds=",".join(rule.opds) or None,
            track=rule.track or "normal",
            confidentiality=complainant.confidentiality,
            status="open",
            current_step=None,  # the engine sets it when it opens the step after registration
            language=language,
            complainant=complainant,
            source_message_id=message.id,
            received_at=received,
            created_at=now,
            updated_at=now,
        )

    def _step_one(
        self, case: Case, message: Message, received: datetime, now: datetime, track: Track
    ) -> StepEvent:
        step = self.sop.first  # the registration step, done by ingest
        due = self.calendar.add(received, step.limit_for(track))
        admins = self.directory.holders(step.actor)
        late = self.calendar.business_seconds(due, now) if now > due else 0
        return StepEvent(
            case_id=case.id,
            route_key=0,
            step=step.number,
            attempt=1,
            track=track.value,
            actor_role=step.actor.value,
            actor_person=admins[0].id if admins else None,
            actor_email=admins[0].email if admins else None,
            started_at=received,
            due_at=due,
            finished_at=now,
            outcome="done",
            finished_by="system",
            command="system",
            business_seconds=self.calendar.business_seconds(received, now),
            late_seconds=late,
            on_time=now <= due,
            source_message_id=message.id,
        )

    def _acknowledge(
        self,
        session: Session,
        case: Case,
        event: StepEvent,
        mail: InboundMail,
        to_addr: str,
        now: datetime,
        track: Track,
    ) -> None:
        zone = ZoneInfo(self.settings.general.timezone)
        label = self.settings.general.zone_label
        total = self.sop.total(track)
        lang = case.language or self.lang  # the complainant's language
        context = {
            "instance_name": self.settings.general.instance_name,
            "office": self.directory.diskominfo.letterhead.name,
            "case_number": case.number,
            "complainant_name": case.complainant.name if case.complainant else None,
            "subject": case.subject,
            "received": format_local(case.received_at, zone, lang, label),
            "promised": total.format(lang),
            "promised_due": format_local(self.calendar.add(case.received_at, total), zone, lang, label),
            "special": track is Track.SPECIAL,
            "special_limit": _special_limit(self.sop, lang),
            "confidentiality": case.confidentiality,
            "anonymous": case.confidentiality == ANONIM,
        }
        # the complainant's reply token (issue 13): what they answer reaches this case
        token = issue(
            self.settings.token_secret,
            case_id=case.id,
            step=CASE_TOKEN_STEP,
            route_key=0,
            actor=complainant_actor(case.complainant_id or 0),
            now=now,
            valid_days=COMPLAINANT_TOKEN_DAYS,
            attempt=1,
        )
        text, html = self.templates.render_mail("ack", lang, context)
        subject = self.templates.render_subject("ack", lang, context) or f"[{case.number}]"
        headers = {"Auto-Submitted": "auto-replied", "X-Mailflow-Case": case.number}
        if mail.message_id:
            headers["In-Reply-To"] = mail.message_id
            headers["References"] = " ".join((*mail.references[-10:], mail.message_id))
        queue(
            session,
            OutgoingMail(
                kind="ack",
                to_addr=to_addr,
                to_name=case.complainant.name if case.complainant else None,
                subject=subject,
                text=text,
                html=html,
                reply_to=reply_address(str(self.settings.tokens.reply_address), token),
                message_id_prefix=token,
                headers=headers,
                case_id=case.id,
                step_event_id=event.id,
                dedup_key=f"ack:{case.number}",
                language=lang,
            ),
            now=now,
            domain=self.mail_domain,
        )


def _special_limit(sop: Sop, lang: str) -> str:
    """The longest limit the special track gives a step (Bontang: 14 hari to draft the answer)."""
    limits = [s.special_limit for s in sop.special_steps() if s.special_limit is not None]
    return max(limits).format(lang) if limits else "-"
