"""What the reply processor answers: STATUS and BANTUAN, the explanation of a refused command,
and the quarantine of a reply that may not act, with one polite explanation a day per reason.

Every reply that changed nothing because it was refused ends quarantined (a `quarantine` row
with its reason code, the server copy moved to the quarantine folder by the poller), whether it
was refused for who sent it or for what it said; only STATUS and BANTUAN, which were answered as
asked, end processed. `quarantine retry` processes such a reply again (e.g. after the directory
learnt the official's second address)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, ComplainantReply, Message, QuarantineItem, StepEvent
from mailflow.config.model import Settings
from mailflow.domain.commands import Verb
from mailflow.domain.directory import Person
from mailflow.domain.documents import Audience
from mailflow.domain.evidence import format_size
from mailflow.domain.inbound import AttachmentInfo, InboundMail
from mailflow.domain.redaction import CONFIDENTIAL_LEVELS
from mailflow.domain.safe_text import escape
from mailflow.domain.sop import Sop
from mailflow.domain.statuses import CaseStatus, MessageStatus, ServerState
from mailflow.domain.tokens import TokenClaims
from mailflow.i18n import translate
from mailflow.services.conversation.actors import Actors
from mailflow.services.conversation.composer import CommandLine, command_label
from mailflow.services.conversation.mails import ConversationMails, Recipient
from mailflow.services.conversation.records import CaseRecords
from mailflow.services.ingest.quarantine import quarantine_message

log = logging.getLogger("mailflow.services.replies")
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
    """The signed-PDF service as the reply processor uses it at a signature step."""

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
    """Answers to replies and the quarantine of those that may not act."""

    def __init__(
        self, *, settings: Settings, sop: Sop, records: CaseRecords, actors: Actors, mails: ConversationMails
    ) -> None:
        self.settings = settings
        self.sop = sop
        self.records = records
        self.actors = actors
        self.mails = mails

    # --- STATUS and BANTUAN ---------------------------------------------------------------------------

    def info(
        self,
        session: Session,
        message: Message,
        match: Match,
        person: Person,
        verb: Verb,
        now: datetime,
        *,
        address: str | None = None,
    ) -> ReplyOutcome:
        """Answer STATUS or BANTUAN to `address` (the one the person wrote from; default their
        directory address)."""
        lang = self.mails.lang_for(person)
        to = reply_to_address(person, address)
        audience = Audience.INTERNAL if self.actors.is_diskominfo(person) else Audience.OPD
        view = self.mails.case_view(session, match.case, audience, lang)
        commands: Sequence[CommandLine] = ()
        if verb is Verb.STATUS:
            paragraphs, items = self._status_lines(session, match.case, lang)
            subject = f"[{view.number}] " + translate("engine.subject.status", lang, number=view.number)
        else:
            paragraphs, items = [], []
            subject = f"[{view.number}] " + translate("engine.subject.help", lang, number=view.number)
            commands, _ = self.commands_and_token(session, match, person, lang, subject, now)
        self.mails.tell(
            session,
            now,
            to=Recipient(to, person),
            kind=f"info.{verb.value.lower()}",
            subject=subject,
            paragraphs=paragraphs,
            items=items,
            commands=commands,
            lang=lang,
            case_id=match.case.id,
            dedup_key=f"info:{verb.value}:{message.id}",
        )
        self.records.audit(
            session,
            now,
            person.email,
            f"reply.{verb.value.lower()}",
            case_id=match.case.id,
            message_id=message.id,
        )
        return ReplyOutcome("answered", verb.value)

    def evidence(
        self,
        session: Session,
        message: Message,
        match: Match,
        person: Person,
        now: datetime,
        *,
        address: str | None = None,
    ) -> ReplyOutcome:
        """STATUS LAMPIRAN: the complainant's files (the complaint's and their later replies'), in
        as many mails as the size limit needs, to the address the official wrote from."""
        case = match.case
        lang = self.mails.lang_for(person)
        to = Recipient(reply_to_address(person, address), person)
        sources = [case.source_message_id] if case.source_message_id else []
        sources += list(
            session.execute(
                select(ComplainantReply.message_id)
                .where(ComplainantReply.case_id == case.id)
                .order_by(ComplainantReply.id)
            ).scalars()
        )
        found = self.mails.evidence.of_messages(session, case, sources)
        groups, too_big = found.mails()
        limit = format_size(found.limit, lang)
        leftover = [
            translate(
                "engine.evidence.too_big", lang, name=f.name, size=format_size(f.size, lang), limit=limit
            )
            for f in too_big
        ] + [
            translate(f"engine.evidence.skipped.{f.skipped}", lang, name=f.name)
            for f in found.files
            if f.path is None
        ]
        note = (
            [translate("engine.evidence.stripped", lang)]
            if case.confidentiality in CONFIDENTIAL_LEVELS
            else []
        )
        parts = max(len(groups), 1)
        for index, group in enumerate(groups or [[]], start=1):
            intro = translate("engine.evidence.intro", lang, number=case.number, part=index, parts=parts)
            items = [
                translate("engine.evidence.attached", lang, name=f.name, size=format_size(f.size, lang))
                for f in group
            ]
            self.mails.tell(
                session,
                now,
                to=to,
                kind="info.evidence",
                subject=f"[{case.number}] "
                + translate("engine.subject.evidence", lang, part=index, parts=parts),
                paragraphs=[
                    intro if group else translate("engine.evidence.none", lang, number=case.number),
                    *note,
                ],
                items=[*items, *(leftover if index == 1 else [])],
                lang=lang,
                case_id=case.id,
                dedup_key=f"info:evidence:{message.id}:{index}",
                attachments=[f.ref() for f in group],
            )
        self.records.audit(
            session,
            now,
            person.email,
            "reply.evidence",
            case_id=case.id,
            message_id=message.id,
            detail={"mails": len(groups), "files": sum(len(g) for g in groups), "too_big": len(too_big)},
        )
        return ReplyOutcome("answered", "STATUS LAMPIRAN")

    def _status_lines(self, session: Session, case: Case, lang: str) -> tuple[list[str], list[str]]:
        if case.status != CaseStatus.OPEN:
            status = translate(f"engine.case.status.{case.status}", lang)
            return [translate("engine.status.closed", lang, status=status)], []
        items = []
        for event in self.records.open_events(session, case.id):
            who = self.actors.name(event.actor_person, event.actor_person or event.actor_role)
            if event.opd_code:
                who = f"{who} ({event.opd_code})"
            items.append(
                translate(
                    "engine.status.line",
                    lang,
                    step=event.step,
                    name=self.sop.step(event.step).name.get(lang),
                    who=who,
                    due=self.mails.when(event.due_at, lang),
                    late="",
                )
            )
        return [translate("engine.status.open", lang)], items

    def commands_and_token(
        self, session: Session, match: Match, person: Person, lang: str, subject: str, now: datetime
    ) -> tuple[list[CommandLine], str]:
        """The step's commands as mailto lines, and the fresh token of their reply address (also
        given to the explanation itself, so that answering it directly carries the token)."""
        holder = self.actors.holder_for(session, match.event, person) or person
        return self.mails.commands_for(session, match.case, match.event, holder, lang, subject, now)

    # --- explanations ---------------------------------------------------------------------------------

    def explain(
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
        address: str | None = None,
    ) -> ReplyOutcome:
        """A known actor's reply that could not act (not a command, a question, a wrong or
        incomplete command): explained with the step's commands, and quarantined. The explanation
        goes to `address`, the one they wrote from when it is one of theirs."""
        lang = self.mails.lang_for(person)
        to = reply_to_address(person, address)
        values = self._explain_values(match, code, person.email, word, choices, verb)
        text = translate(f"engine.explain.{code}", lang, **values, example=self._example(verb, match, lang))
        subject = f"[{match.case.number}] " + translate("engine.subject.explain", lang)
        commands: list[CommandLine] = []
        token = None
        if match.event.finished_at is None:
            commands, token = self.commands_and_token(session, match, person, lang, subject, now)
        self.mails.tell(
            session,
            now,
            to=Recipient(to, person),
            kind="explain",
            subject=subject,
            paragraphs=[text],
            commands=commands,
            lang=lang,
            case_id=match.case.id,
            token=token,
            dedup_key=self.mails.explain_key(to, code, now),
        )
        self.records.audit(
            session,
            now,
            person.email,
            "reply.refused",
            case_id=match.case.id,
            message_id=message.id,
            detail={"code": code, "step": match.event.step, "word": word, "verb": verb},
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

    @staticmethod
    def _explain_values(
        match: Match, code: str, sender: str, word: str, choices: str, verb: str
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

    def _example(self, verb: str, match: Match, lang: str) -> str:
        """How the command `verb` is written at this step (its label in the command list)."""
        if not verb:
            return "-"
        rule = self.sop.step(match.event.step).command(Verb(verb)) if verb in Verb.__members__ else None
        if rule is None:
            return verb
        return command_label(rule, lang)

    def refuse(
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
        self.records.audit(
            session,
            now,
            sender or "-",
            "reply.quarantined",
            case_id=case_id,
            message_id=message.id,
            detail={"code": outcome.code, "detail": outcome.detail},
        )
        log.warning("reply %s from %s refused: %s: %s", message.id, sender or "?", outcome.code, reason)
        if not sender or self.mails.is_ours(sender):
            return outcome
        lang = self.mails.lang_for(person)
        number = match.case.number if match else escape(outcome.detail, limit=60) or "-"
        finished = (
            self.mails.when(match.event.finished_at, lang) if match and match.event.finished_at else "-"
        )
        actor = "-"
        if match is not None:
            actor = (
                ", ".join((h.jabatan or h.name) for h in self.actors.of_event(session, match.event)) or "-"
            )
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
        self.mails.tell(
            session,
            now,
            to=Recipient(sender, person),
            kind="explain",
            subject=subject,
            paragraphs=[text],
            lang=lang,
            case_id=case_id,
            dedup_key=self.mails.explain_key(sender, outcome.code, now),
        )
        return outcome

    def ensure_quarantined(
        self, session: Session, message: Message, code: str, reason: str, now: datetime
    ) -> None:
        """Set `message` aside (status, reason, the server move) unless that is done already.

        The signed-letter service records a refused attachment as its own quarantine row naming
        the message; then that row (with the signature's reason) is the one `quarantine list`
        shows and `retry` releases, and the message only follows it."""
        if message.status == MessageStatus.QUARANTINED:
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
        message.status = MessageStatus.QUARANTINED
        message.quarantine_reason = f"{code}: {reason}"[:4000]
        message.processed_at = now
        message.server_state = ServerState.PENDING


def reply_to_address(person: Person, address: str | None) -> str:
    """Where an answer to `person`'s reply goes: the address they wrote from when it is one of
    theirs in the directory (a second address they also use), else their main one."""
    if address and address.strip().lower() in person.addresses():
        return address.strip().lower()
    return person.email


def is_pdf(attachment: AttachmentInfo) -> bool:
    return attachment.content_type == "application/pdf" or attachment.extension == "pdf"


def is_docx(attachment: AttachmentInfo) -> bool:
    return attachment.content_type in DOCX_TYPES or attachment.extension == "docx"
