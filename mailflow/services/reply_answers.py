"""What the reply processor answers: STATUS and BANTUAN, the explanation of a refused command,
and the quarantine of a reply that may not act, with one polite explanation a day per reason.

Every reply that changed nothing because it was refused ends quarantined (a `quarantine` row
with its reason code, the server copy moved to the quarantine folder by the poller), whether it
was refused for who sent it or for what it said; only STATUS and BANTUAN, which were answered as
asked, end processed. `quarantine retry` processes such a reply again (e.g. after the directory
learnt the official's second address)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import AuditEntry, Case, CaseRoute, Message, QuarantineItem, StepEvent
from mailflow.domain.commands import Verb
from mailflow.domain.directory import Person
from mailflow.domain.documents import Audience
from mailflow.domain.inbound import AttachmentInfo, InboundMail
from mailflow.domain.safe_text import escape
from mailflow.domain.sop import Role
from mailflow.domain.tokens import (
    TokenClaims,
    reply_address,
)
from mailflow.domain.workflow import allowed_commands
from mailflow.i18n import translate
from mailflow.services.action_mails import CommandLine
from mailflow.services.engine import Engine
from mailflow.services.quarantine import quarantine_message

log = logging.getLogger(__name__)
DOCX_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)


@dataclass(frozen=True)
class ReplyOutcome:
    """What became of a reply: applied (state changed), answered (STATUS or BANTUAN answered,
    nothing else), or quarantined (refused: a forged or replayed token, a sender who may not act,
    a command that could not act; the message is quarantined and moved to the quarantine folder).
    The signed-letter service may also return `answered` for a refused letter: the processor
    quarantines those too (`ensure_quarantined`)."""

    status: str
    code: str
    detail: str = ""


class ReturnedLetters(Protocol):
    """The signed-PDF service (issue 6) as the reply processor uses it for step 8."""

    def from_reply(
        self, session: Session, message: Message, inbound: InboundMail, event: StepEvent, now: datetime
    ) -> ReplyOutcome: ...


@dataclass(frozen=True)
class Match:
    case: Case
    event: StepEvent
    claims: TokenClaims | None  # None when matched by the subject tag (information only)
    how: str  # address / thread / subject


class ReplyAnswers:
    """The answering half of ReplyProcessor (who may act on a step, and what to tell people)."""

    engine: Engine

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.settings = engine.settings
        self.directory = engine.directory

    def _holders(self, session: Session, event: StepEvent) -> tuple[Person, ...]:
        """Who may act on `event`: its role's holders, and those of the step's alternate roles."""
        route = route_of(session, event)
        people = list(
            self.engine.holders(Role(event.actor_role), route, route.bidang_code if route else None)
        )
        for alternate in self.engine.sop.step(event.step).alternate_actors:
            people.extend(self.engine.holders(alternate, route, None))
        return tuple(people)

    def _holder_for(
        self, session: Session, event: StepEvent, person: Person, claims: TokenClaims | None = None
    ) -> Person | None:
        """The role holder `person` acts for (themself or as delegate), honouring the token's actor."""
        for holder in self._holders(session, event):
            if claims is not None and not claims.names_actor(holder.id):
                continue
            if self.directory.may_act_for(person, holder):
                return holder
        return None

    # --- answers ------------------------------------------------------------------------------------

    def _info(
        self, session: Session, message: Message, match: Match, person: Person, verb: Verb, now: datetime
    ) -> ReplyOutcome:
        lang = self.engine.composer.lang_for(person)
        audience = Audience.INTERNAL if self._is_diskominfo(person) else Audience.OPD
        view = self.engine.case_view(session, match.case, audience, lang)
        if verb is Verb.STATUS:
            paragraphs, items = self._status_lines(session, match.case, lang)
            subject = f"[{view.number}] " + translate("engine.subject.status", lang, number=view.number)
            commands: Sequence[CommandLine] = ()
        else:
            paragraphs, items = [], []
            subject = f"[{view.number}] " + translate("engine.subject.help", lang, number=view.number)
            commands = self._command_lines(session, match, person, lang, subject, now)
        mail = self.engine.composer.notice(
            kind=f"info.{verb.value.lower()}",
            to_addr=person.email,
            to_name=person.name,
            recipient=person.jabatan or person.name,
            subject=subject,
            paragraphs=paragraphs,
            items=items,
            commands=commands,
            lang=lang,
            case_id=match.case.id,
            dedup_key=f"info:{verb.value}:{message.id}",
        )
        self.engine.queue(session, mail, now)
        self._audit(session, now, person.email, f"reply.{verb.value.lower()}", match.case.id, message.id, {})
        return ReplyOutcome("answered", verb.value)

    def _status_lines(self, session: Session, case: Case, lang: str) -> tuple[list[str], list[str]]:
        composer = self.engine.composer
        if case.status != "open":
            status = translate(f"engine.case.status.{case.status}", lang)
            return [translate("engine.status.closed", lang, status=status)], []
        items = []
        events = session.execute(
            select(StepEvent)
            .where(StepEvent.case_id == case.id, StepEvent.finished_at.is_(None))
            .order_by(StepEvent.step)
        ).scalars()
        now_late = ""
        for event in events:
            definition = self.engine.sop.step(event.step)
            who = event.actor_person or event.actor_role
            try:
                holder = self.directory.person(who)
                who = holder.jabatan or holder.name
            except KeyError:
                pass
            if event.opd_code:
                who = f"{who} ({event.opd_code})"
            items.append(
                translate(
                    "engine.status.line",
                    lang,
                    step=event.step,
                    name=definition.name.get(lang),
                    who=who,
                    due=composer.when(event.due_at, lang),
                    late=now_late,
                )
            )
        return [translate("engine.status.open", lang)], items

    def _command_lines(
        self, session: Session, match: Match, person: Person, lang: str, subject: str, now: datetime
    ) -> list[CommandLine]:
        return self._commands_and_token(session, match, person, lang, subject, now)[0]

    def _commands_and_token(
        self, session: Session, match: Match, person: Person, lang: str, subject: str, now: datetime
    ) -> tuple[list[CommandLine], str]:
        """The step's commands as mailto lines, and the fresh token of their reply address (also
        given to the explanation itself, so that answering it directly carries the token)."""
        holder = self._holder_for(session, match.event, person) or person
        token = self.engine.token_for(match.event, holder, now)
        address = reply_address(self.settings.tokens.reply_address, token)
        view = self.engine.case_view(session, match.case, Audience.OPD, lang)
        route = route_of(session, match.event)
        bidang = (
            [b.code for b in self.directory.opd(route.opd_code).bidang]
            if route and match.event.step == 6
            else []
        )
        lines = self.engine.composer.commands(
            match.event.step, allowed_commands(match.event.step), lang, address, subject, view, bidang
        )
        return lines, token

    def _explain(
        self,
        session: Session,
        message: Message,
        person: Person,
        match: Match,
        code: str,
        now: datetime,
        *,
        word: str = "",
        choices: str = "",
        verb: str = "",
    ) -> ReplyOutcome:
        """A known actor's reply that could not act (not a command, a question, a wrong or
        incomplete command): explained with the step's commands, and quarantined."""
        lang = self.engine.composer.lang_for(person)
        values = self._explain_values(match, code, person.email, word, choices, verb)
        text = translate(f"engine.explain.{code}", lang, **values, example=self._example(verb, match, lang))
        subject = f"[{match.case.number}] " + translate("engine.subject.explain", lang)
        commands: list[CommandLine] = []
        token = None
        if match.event.finished_at is None:
            commands, token = self._commands_and_token(session, match, person, lang, subject, now)
        mail = self.engine.composer.notice(
            kind="explain",
            to_addr=person.email,
            to_name=person.name,
            recipient=person.jabatan or person.name,
            subject=subject,
            paragraphs=[text],
            commands=commands,
            lang=lang,
            case_id=match.case.id,
            dedup_key=f"explain:{person.email}:{code}:{self._local_day(now)}",
            reply_to=self._token_address(token),
            message_id_prefix=token,
        )
        self.engine.queue(session, mail, now)
        self._audit(
            session,
            now,
            person.email,
            "reply.refused",
            match.case.id,
            message.id,
            {"code": code, "step": match.event.step, "word": word, "verb": verb},
        )
        admin_lang = self.settings.general.language
        reason = translate(
            f"engine.explain.{code}", admin_lang, **values, example=self._example(verb, match, admin_lang)
        )
        self.ensure_quarantined(session, message, code, f"{match.case.number}: {reason}", now)
        log.info(
            "reply %s from %s to %s not carried out: %s", message.id, person.email, match.case.number, code
        )
        return ReplyOutcome("quarantined", code, word)

    def _explain_values(
        self, match: Match, code: str, sender: str, word: str, choices: str, verb: str
    ) -> dict[str, object]:
        return {
            "word": escape(word, limit=80),
            "choices": choices,
            "verb": verb or "-",
            "step": match.event.step,
            "number": match.case.number,
            "sender": sender,
            "actor": "-",
            "finished": "-",
            "code": code,
        }

    @staticmethod
    def _example(verb: str, match: Match, lang: str) -> str:
        """How the command `verb` is written (its label in the command list)."""
        if not verb:
            return "-"
        key = "KHUSUS7" if verb == Verb.KHUSUS.value and match.event.step == 7 else verb
        return translate(f"engine.cmd.{key}", lang)

    def _refuse(
        self,
        session: Session,
        message: Message,
        sender: str | None,
        person: Person | None,
        match: Match | None,
        outcome: ReplyOutcome,
        now: datetime,
    ) -> ReplyOutcome:
        """No state change; quarantine entry, audit record, and one polite explanation a day."""
        case_id = match.case.id if match else None
        reason = escape(outcome.detail or outcome.code, limit=500)
        self.ensure_quarantined(session, message, outcome.code, reason, now)
        self._audit(
            session,
            now,
            sender or "-",
            "reply.quarantined",
            case_id,
            message.id,
            {"code": outcome.code, "detail": outcome.detail},
        )
        log.warning("reply %s from %s refused: %s: %s", message.id, sender or "?", outcome.code, reason)
        if sender and not self._is_ours(sender):
            lang = self.engine.composer.lang_for(person)
            number = match.case.number if match else escape(outcome.detail, limit=60) or "-"
            finished = (
                self.engine.composer.when(match.event.finished_at, lang)
                if match and match.event.finished_at
                else "-"
            )
            actor = "-"
            if match is not None:
                holders = self._holders(session, match.event)
                actor = ", ".join((h.jabatan or h.name) for h in holders) or "-"
            text = translate(
                f"engine.explain.{outcome.code}",
                lang,
                sender=sender,
                number=number,
                step=match.event.step if match else "-",
                actor=actor,
                finished=finished,
            )
            subject = (f"[{number}] " if match else "") + translate("engine.subject.explain", lang)
            mail = self.engine.composer.notice(
                kind="explain",
                to_addr=sender,
                to_name=person.name if person else None,
                recipient=(person.jabatan or person.name) if person else sender,
                subject=subject,
                paragraphs=[text],
                lang=lang,
                case_id=case_id,
                dedup_key=f"explain:{sender}:{outcome.code}:{self._local_day(now)}",
            )
            self.engine.queue(session, mail, now)
        return outcome

    def ensure_quarantined(
        self, session: Session, message: Message, code: str, reason: str, now: datetime
    ) -> None:
        """Set `message` aside (status, reason, the server move) unless that is done already.

        The signed-letter service records a refused attachment as its own quarantine row naming
        the message; then that row (with the signature's reason) is the one `quarantine list`
        shows and `retry` releases, and the message only follows it."""
        if message.status == "quarantined":
            return
        session.flush()
        open_rows = session.execute(
            select(QuarantineItem.id).where(
                QuarantineItem.message_id == message.id, QuarantineItem.released_at.is_(None)
            )
        ).all()
        if not open_rows:
            quarantine_message(session, message, code=code, reason=reason, now=now)
            return
        message.status = "quarantined"
        message.quarantine_reason = f"{code}: {reason}"[:4000]
        message.processed_at = now
        message.server_state = "pending"

    # --- small helpers --------------------------------------------------------------------------------

    def _token_address(self, token: str | None) -> str | None:
        return reply_address(self.settings.tokens.reply_address, token) if token else None

    def _is_diskominfo(self, person: Person) -> bool:
        kominfo = self.directory.diskominfo
        return person.id in (*kominfo.admin, kominfo.ikp, kominfo.pimpinan) or any(
            person.id in (self.directory.person(p).delegates)
            for p in (*kominfo.admin, kominfo.ikp, kominfo.pimpinan)
        )

    def _is_ours(self, address: str) -> bool:
        ours = {self.settings.tokens.reply_address.lower(), str(self.settings.smtp.from_address).lower()}
        local, _, domain = address.partition("@")
        base = local.split("+", 1)[0] + "@" + domain
        return address in ours or base in ours

    def _local_day(self, now: datetime) -> str:
        return now.astimezone(self.engine.calendar.zone).date().isoformat()

    def _audit(
        self,
        session: Session,
        now: datetime,
        actor: str,
        action: str,
        case_id: int | None,
        message_id: int | None,
        detail: dict[str, object],
    ) -> None:
        session.add(
            AuditEntry(
                at=now,
                actor=actor,
                action=action,
                case_id=case_id,
                message_id=message_id,
                detail=json.dumps(detail, ensure_ascii=False, default=str),
            )
        )


def route_of(session: Session, event: StepEvent) -> CaseRoute | None:
    return session.get(CaseRoute, event.route_id) if event.route_id is not None else None


def is_pdf(attachment: AttachmentInfo) -> bool:
    return attachment.content_type == "application/pdf" or attachment.extension == "pdf"


def is_docx(attachment: AttachmentInfo) -> bool:
    return attachment.content_type in DOCX_TYPES or attachment.extension == "docx"
