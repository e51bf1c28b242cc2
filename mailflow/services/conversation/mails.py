"""The conversation's mails, queued in the outbox of the caller's transaction: the action mail of
a step (with its reply token), the complainant's notices, confirmations, and every notice to a
person (explanations, status and help answers, reminders) through one path, `tell`.

What a mail shows of a case comes from `case_view`: OPD recipients of a confidential complaint
get a redacted view, so a template cannot leak what it is not given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, Complainant, Message, StepEvent
from mailflow.config.model import Settings
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory, Person
from mailflow.domain.documents import Audience
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.domain.redaction import Identity, must_redact, redact
from mailflow.domain.sop import ArgKind, Question, Role, Sop, Track
from mailflow.domain.statuses import RouteStatus
from mailflow.domain.tokens import (
    CASE_TOKEN_STEP,
    COMPLAINANT_TOKEN_DAYS,
    complainant_actor,
    issue,
    reply_address,
)
from mailflow.i18n import translate
from mailflow.services.conversation.actors import Actors
from mailflow.services.conversation.composer import CaseView, CommandLine, MailComposer, complainant_greeting
from mailflow.services.conversation.evidence import Evidence
from mailflow.services.conversation.records import CaseRecords, suggested_opds
from mailflow.services.outbound import outbox

SUMMARY_LIMIT = 2000


@dataclass(frozen=True)
class Recipient:
    """Who a notice goes to: an address, and the directory person behind it when known."""

    address: str
    person: Person | None = None

    @property
    def name(self) -> str | None:
        return self.person.name if self.person else None

    @property
    def greeting(self) -> str:
        return (self.person.jabatan or self.person.name) if self.person else self.address


class ConversationMails:
    def __init__(
        self,
        *,
        settings: Settings,
        sop: Sop,
        calendar: BusinessCalendar,
        directory: Directory,
        composer: MailComposer,
        records: CaseRecords,
        actors: Actors,
        evidence: Evidence,
    ) -> None:
        self.settings = settings
        self.sop = sop
        self.calendar = calendar
        self.directory = directory
        self.composer = composer
        self.records = records
        self.actors = actors
        self.evidence = evidence
        self.mail_domain = str(settings.smtp.from_address).rsplit("@", 1)[1]

    # --- basics -----------------------------------------------------------------------------------

    def queue(self, session: Session, mail: OutgoingMail, now: datetime, *, fresh_key: bool = False) -> None:
        outbox.queue(session, mail, now=now, domain=self.mail_domain, fresh_key=fresh_key)

    def lang_for(self, person: Person | None) -> str:
        return self.composer.lang_for(person)

    def when(self, instant: datetime, lang: str) -> str:
        return self.composer.when(instant, lang)

    def complainant_lang(self, case: Case) -> str:
        """The language every mail to the complainant is written in: the one they wrote in
        (cases.language, detected at registration), else the site's."""
        return case.language or self.settings.general.language

    def local_day(self, now: datetime) -> str:
        return now.astimezone(self.calendar.zone).date().isoformat()

    def token_for(self, event: StepEvent, person: Person, now: datetime) -> str:
        return issue(
            self.settings.token_secret,
            case_id=event.case_id,
            step=event.step,
            route_key=event.route_key,
            actor=person.id,
            now=now,
            valid_days=self.settings.tokens.validity_days,
            attempt=event.attempt,
        )

    def complainant_token(self, case: Case, complainant: Complainant, now: datetime) -> str:
        """The complainant's token for `case`: every mail to them carries it (Reply-To and
        Message-ID), so whatever they answer reaches their case."""
        return issue(
            self.settings.token_secret,
            case_id=case.id,
            step=CASE_TOKEN_STEP,
            route_key=0,
            actor=complainant_actor(complainant.id),
            now=now,
            valid_days=COMPLAINANT_TOKEN_DAYS,
            attempt=min(case.round or 1, 255),
        )

    def case_token(self, case: Case, person: Person, now: datetime) -> str:
        """An after-close actor's token for `case` in its current round."""
        return issue(
            self.settings.token_secret,
            case_id=case.id,
            step=CASE_TOKEN_STEP,
            route_key=0,
            actor=person.id,
            now=now,
            valid_days=self.settings.tokens.validity_days,
            attempt=min(case.round or 1, 255),
        )

    def reply_address(self, token: str | None) -> str | None:
        return reply_address(self.settings.tokens.reply_address, token) if token else None

    def is_ours(self, address: str) -> bool:
        """One of mailflow's own addresses (its plus-addresses included): never written to."""
        ours = {self.settings.tokens.reply_address.lower(), str(self.settings.smtp.from_address).lower()}
        local, _, domain = address.lower().partition("@")
        return address.lower() in ours or f"{local.split('+', 1)[0]}@{domain}" in ours

    # --- what a mail shows of a case ----------------------------------------------------------------

    def shown_text(self, session: Session, case: Case, audience: Audience, text: str) -> str:
        """`text` (a note, a complainant's words) as `audience` may read it: without the
        complainant's identity toward OPDs when the case is rahasia or anonim."""
        if audience is Audience.OPD and must_redact(case.confidentiality, audience):
            return redact(text, self._identity(session, case))
        return text

    def _identity(self, session: Session, case: Case) -> Identity:
        complainant = self.records.complainant(session, case)
        return Identity(
            name=complainant.name if complainant else None,
            email=complainant.email if complainant else None,
            phone=complainant.phone if complainant else None,
            address=complainant.address if complainant else None,
        )

    def case_view(self, session: Session, case: Case, audience: Audience, lang: str) -> CaseView:
        complainant = self.records.complainant(session, case)
        identity = self._identity(session, case)
        summary = (case.summary or case.body or "").strip()
        if len(summary) > SUMMARY_LIMIT:
            summary = summary[:SUMMARY_LIMIT].rstrip() + " …"
        title = case.subject or case.number
        reason = case.special_reason
        shown: str | None = None
        if audience is Audience.OPD and must_redact(case.confidentiality, audience):
            summary, title = redact(summary, identity), redact(title, identity)
            reason = redact(reason, identity) if reason else reason
        elif audience is Audience.INTERNAL and complainant is not None:
            shown = _complainant_line(complainant, lang)
        return CaseView(
            case_id=case.id,
            number=case.number,
            title=title,
            summary=summary,
            received=case.received_at,
            category=case.category,
            complainant=shown,
            track=Track(case.track),
            suggested_opds=suggested_opds(case),
            special_reason=reason,
        )

    def audience_of(self, event: StepEvent) -> Audience:
        return Audience.OPD if Role(event.actor_role).is_opd_role else Audience.INTERNAL

    def opd_name(self, code: str) -> str:
        opd = self.directory.find_opd(code)
        return opd.name if opd else code

    def bidang_codes(self, route: CaseRoute | None, event: StepEvent) -> list[str]:
        """The bidang an OPD head may choose, when the step's command takes one."""
        if route is None or not self.sop.step(event.step).takes(ArgKind.BIDANG):
            return []
        return [b.code for b in self.directory.opd(route.opd_code).bidang]

    # --- the action mail of a step ------------------------------------------------------------------

    def action(
        self,
        session: Session,
        case: Case,
        event: StepEvent,
        route: CaseRoute | None,
        person: Person,
        attachments: Sequence[AttachmentRef],
        names: Sequence[str],
        now: datetime,
        routes: Sequence[CaseRoute] | None = None,
        *,
        new_event: bool = False,
    ) -> None:
        """The mail asking `person` to act on `event`. `routes`: all the case's routes in id order,
        when the caller holds them (the transition does), so they are not read again per mail.
        `new_event`: `event` was created in this transaction, so no mail can be queued for it yet
        (its dedup key is not looked up before the insert)."""
        lang = self.lang_for(person)
        step = self.sop.step(event.step)
        every = list(routes) if routes is not None else self.records.routes(session, case)
        view = self.case_view(session, case, self.audience_of(event), lang)
        token = self.token_for(event, person, now)
        if step.attach_evidence:  # the complainant's photos and documents (issue 14)
            evidence = self.evidence.of_case(session, case)
            attachments, names = [*attachments, *evidence.refs()], [*names, *evidence.lines(lang)]
        opd = self.directory.opd(route.opd_code) if route else None
        cc = [
            self.directory.person(opd.sekretaris).email for role in step.cc if opd and role is Role.SEKRETARIS
        ]
        mail = self.composer.action(
            view=view,
            step=step,
            person=person,
            reply_address=str(self.reply_address(token)),
            message_id_prefix=token,
            ask_values=self._ask_values(case, route, view, every),
            due=event.due_at,
            attachments=attachments,
            attachment_names=names,
            extra_lines=[
                self.shown_text(session, case, self.audience_of(event), line)
                for line in self._extra_lines(case, event, route, lang, every)
            ],
            bidang_codes=self.bidang_codes(route, event),
            dedup_key=f"action:{event.id}:{person.id}",
            step_event_id=event.id,
            cc=cc,
            opd_code=route.opd_code if route else None,
        )
        self.queue(session, mail, now, fresh_key=new_event)

    def _ask_values(
        self, case: Case, route: CaseRoute | None, view: CaseView, every: Sequence[CaseRoute]
    ) -> dict[str, str]:
        routes = [r for r in every if r.status not in (RouteStatus.CANCELLED, RouteStatus.RETURNED)]
        declined = {r.opd_code for r in every if r.status == RouteStatus.RETURNED}
        codes = [r.opd_code for r in routes] or [c for c in suggested_opds(case) if c not in declined]
        values = {
            "title": view.title,
            "opds": ", ".join(self.opd_name(c) for c in codes) or "-",
            "opd": self.opd_name(route.opd_code) if route else "-",
            "bidang": "-",
            "arahan": (route.instruction or "-") if route else "-",
        }
        if route is not None and route.bidang_code:
            bidang = self.directory.opd(route.opd_code).find_bidang(route.bidang_code)
            values["bidang"] = bidang.name if bidang else route.bidang_code
        return values

    def _extra_lines(
        self, case: Case, event: StepEvent, route: CaseRoute | None, lang: str, every: Sequence[CaseRoute]
    ) -> list[str]:
        step = self.sop.step(event.step)
        lines = []
        if step.show_suggestion and case.suggested_opds:
            names = ", ".join(f"{c} ({self.opd_name(c)})" for c in suggested_opds(case))
            lines.append(translate("engine.suggested_opds", lang, names=names))
        if (case.round or 1) > 1 and event.attempt > 1 and route is None:
            lines.append(translate("branches.line.round", lang, round=case.round))
        if step.takes(ArgKind.OPDS):
            # a disposition that came back: the OPDs already tried and why they declined
            for row in every:
                if row.status == RouteStatus.RETURNED:
                    lines.append(
                        translate(
                            "branches.line.declined",
                            lang,
                            opd=f"{row.opd_code} ({self.opd_name(row.opd_code)})",
                            reason=row.note or "-",
                        )
                    )
        if route is not None and route.note and event.attempt > 1 and step in self.sop.revision_steps():
            lines.append(translate("branches.line.sent_back", lang, round=event.attempt, note=route.note))
        return lines

    def commands_for(
        self,
        session: Session,
        case: Case,
        event: StepEvent,
        holder: Person,
        lang: str,
        subject: str,
        now: datetime,
    ) -> tuple[list[CommandLine], str]:
        """The step's commands as one-click lines, and the fresh token of their reply address."""
        token = self.token_for(event, holder, now)
        view = self.case_view(session, case, Audience.OPD, lang)
        route = self.records.route_of(session, event)
        lines = self.composer.commands(
            self.sop.step(event.step),
            lang,
            str(self.reply_address(token)),
            subject,
            view,
            self.bidang_codes(route, event),
        )
        return lines, token

    # --- notices ------------------------------------------------------------------------------------

    def tell(
        self,
        session: Session,
        now: datetime,
        *,
        to: Recipient,
        kind: str,
        subject: str,
        paragraphs: Sequence[str],
        lang: str,
        dedup_key: str,
        case_id: int | None = None,
        items: Sequence[str] = (),
        commands: Sequence[CommandLine] = (),
        token: str | None = None,
        attachments: Sequence[AttachmentRef] = (),
    ) -> None:
        """Queue one notice to a person: the single path of every explanation, status or help
        answer, confirmation, reminder and escalation. `token` makes its Reply-To and Message-ID
        carry a reply token, so answering the notice itself acts on the step."""
        mail = self.composer.notice(
            kind=kind,
            to_addr=to.address,
            to_name=to.name,
            recipient=to.greeting,
            subject=subject,
            paragraphs=paragraphs,
            items=items,
            commands=commands,
            lang=lang,
            case_id=case_id,
            dedup_key=dedup_key,
            reply_to=self.reply_address(token),
            message_id_prefix=token,
            attachments=attachments,
        )
        self.queue(session, mail, now)

    def explain_key(self, address: str, code: str, now: datetime, scope: str = "") -> str:
        """The dedup key that bounds explanations to one per address, reason (and scope) and day."""
        return f"explain:{address}:{code}:{scope + ':' if scope else ''}{self.local_day(now)}"

    def confirm(
        self, session: Session, case: Case, kind: str, by: str, message_id: int | None, now: datetime
    ) -> None:
        person = self.directory.person_by_email(by)
        lang = self.lang_for(person)
        view = self.case_view(session, case, Audience.OPD, lang)
        special = [s.number for s in self.sop.special_steps()]
        due = min((e.due_at for e in self.records.open_events(session, case.id, special)), default=None)
        text = translate(
            f"engine.confirm.{kind}",
            lang,
            number=case.number,
            due=self.when(due, lang) if due else "-",
            reason=view.special_reason or "-",
        )
        self.tell(
            session,
            now,
            to=Recipient(by, person),
            kind=f"confirm.{kind}",
            subject=self.composer.subject(view, "engine.subject.confirm", lang),
            paragraphs=[text],
            lang=lang,
            case_id=case.id,
            dedup_key=f"confirm:{kind}:{case.id}:{message_id}",
        )

    def complainant(
        self,
        session: Session,
        case: Case,
        notice: str,
        now: datetime,
        *,
        reason: str = "",
        text: str = "",
        attachments: Sequence[AttachmentRef] = (),
        key: str = "",
    ) -> None:
        """The complainant is told the complaint was rejected (`notice` "rejected"), gets the
        answer with the signed letters and the satisfaction links ("answer"), or a message from
        the admin after closing ("message"). Every such mail carries their reply token. Nobody
        is written to for an anonymous case."""
        complainant = self.records.complainant(session, case)
        if complainant is None or not complainant.email or complainant.confidentiality == "anonim":
            return
        lang = self.complainant_lang(case)
        view = self.case_view(session, case, Audience.PUBLIC, lang)
        token = self.complainant_token(case, complainant, now)
        reply = str(self.reply_address(token))
        again = f":{case.round}" if (case.round or 1) > 1 else ""  # a reopened case is answered again
        if notice == "message":
            self.tell_complainant(
                session,
                case,
                now,
                kind="complainant.message",
                subject_key="branches.subject.message",
                paragraphs=[translate("branches.complainant.message", lang, number=case.number), text],
                dedup_key=f"complainant:message:{case.id}:{key}",
            )
            return
        if notice == "rejected":
            mail = self.composer.complainant(
                template="complainant_rejected",
                view=view,
                to_addr=complainant.email,
                name=complainant.name,
                lang=lang,
                subject_key="engine.subject.rejected",
                values={"reason": reason},
                dedup_key=f"complainant:rejected:{case.id}{again}",
                reply_to=reply,
                message_id_prefix=token,
            )
        else:
            routes = self.records.routes(session, case)
            opds = ", ".join(self.opd_name(r.opd_code) for r in routes if r.status == RouteStatus.DONE)
            subject = f"[{view.number}] " + translate("engine.subject.answer", lang)
            answers = self.composer.rule_lines(
                self.sop.complainant_rules(Question.SATISFACTION), lang, reply, subject
            )
            mail = self.composer.complainant(
                template="complainant_answer",
                view=view,
                to_addr=complainant.email,
                name=complainant.name,
                lang=lang,
                subject_key="engine.subject.answer",
                values={"text": text, "opds": opds, "answers": answers},
                attachments=attachments,
                dedup_key=f"complainant:answer:{case.id}{again}",
                reply_to=reply,
                message_id_prefix=token,
            )
        self.queue(session, self._threaded(session, case, mail), now)

    @staticmethod
    def _threaded(session: Session, case: Case, mail: OutgoingMail) -> OutgoingMail:
        """The mail as an answer to the citizen's own complaint mail (In-Reply-To and References
        name it, as the acknowledgement does), so their mail client shows it in that thread."""
        original = session.get(Message, case.source_message_id) if case.source_message_id else None
        if original is None or not original.message_id:
            return mail
        threading = {"In-Reply-To": original.message_id, "References": original.message_id}
        return replace(mail, headers={**mail.headers, **threading})

    def tell_complainant(
        self,
        session: Session,
        case: Case,
        now: datetime,
        *,
        kind: str,
        subject_key: str,
        paragraphs: Sequence[str],
        dedup_key: str,
        question: Question | None = None,
    ) -> bool:
        """A short notice to the complainant (with their token, and the one-click answers of
        `question`); False when there is nobody to write to (anonymous, no address)."""
        complainant = self.records.complainant(session, case)
        if complainant is None or not complainant.email or complainant.confidentiality == "anonim":
            return False
        lang = self.complainant_lang(case)
        token = self.complainant_token(case, complainant, now)
        reply = str(self.reply_address(token))
        subject = f"[{case.number}] " + translate(subject_key, lang)
        commands = (
            self.composer.rule_lines(self.sop.complainant_rules(question), lang, reply, subject)
            if question is not None
            else []
        )
        mail = self.composer.notice(
            kind=kind,
            to_addr=complainant.email,
            to_name=complainant.name,
            recipient=complainant_greeting(complainant.name, lang),
            subject=subject,
            paragraphs=[p for p in paragraphs if p],
            commands=commands,
            commands_intro=translate("branches.complainant.click", lang),
            lang=lang,
            case_id=case.id,
            dedup_key=dedup_key,
            reply_to=reply,
            message_id_prefix=token,
        )
        self.queue(session, mail, now)
        return True


def _complainant_line(complainant: Complainant, lang: str) -> str:
    if complainant.confidentiality == "anonim":
        return "(anonim)" if lang == "id" else "(anonymous)"
    parts = [p for p in (complainant.name, complainant.email, complainant.phone) if p]
    line = ", ".join(parts) or "-"
    if complainant.confidentiality == "rahasia":
        line += " (rahasia: hanya untuk Diskominfo)" if lang == "id" else " (confidential: Diskominfo only)"
    return line
