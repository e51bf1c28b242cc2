"""Replies that carry a case token rather than a step's (domain.tokens.CASE_TOKEN_STEP): the
complainant's, and the after-close actors' answers to a forwarded complainant reply.

The complainant (the token names them, and the From address is theirs):
* an answer the SOP file declares (`complainant:` PUAS, TIDAK PUAS, SUDAH, BELUM) once the case is
  closed is recorded, one per case and question; the last counts and a second answer is told so;
  a `notify` answer is forwarded to the after-close actors like a reply;
* anything else before closing ("ini ada foto tambahan") is attached to the case and the actors of
  its open steps are told (toward an OPD without the identity of a rahasia/anonim complainant);
* STATUS is answered with where the complaint stands (its stages and the offices handling them);
* anything else after closing is stored and forwarded to the after-close actors with the case
  summary and their one-click commands (KIRIM, BUKA KEMBALI).
An after-close actor's command (the token names them, in the case's current round: a token from
before a reopening is a replay) goes to the engine (Engine.after_close).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.authresults import parse_authentication_results
from mailflow.adapters.db.models import Case, CaseAnswer, Complainant, ComplainantReply, Message
from mailflow.config.model import Settings
from mailflow.domain.addresses import normalise
from mailflow.domain.commands import EVIDENCE, Command, CommandError, Verb, complainant_word, parse
from mailflow.domain.directory import Directory, Person
from mailflow.domain.documents import Audience
from mailflow.domain.inbound import InboundMail
from mailflow.domain.quotes import first_meaningful_line
from mailflow.domain.safe_text import escape
from mailflow.domain.sender_auth import sender_authenticated
from mailflow.domain.sop import ComplainantRule, Notify, Sop
from mailflow.domain.statuses import CaseStatus
from mailflow.domain.tokens import TokenClaims, complainant_actor
from mailflow.domain.workflow import Refusal, Transition
from mailflow.i18n import translate
from mailflow.services.conversation.actors import Actors
from mailflow.services.conversation.answers import ReplyAnswers, ReplyOutcome
from mailflow.services.conversation.engine import Engine
from mailflow.services.conversation.mails import ConversationMails, Recipient
from mailflow.services.conversation.records import CaseRecords
from mailflow.services.conversation.transitions import Act

log = logging.getLogger("mailflow.services.replies")
TEXT_LIMIT = 20_000  # what is kept of a complainant's reply (the raw mail is kept whole)
SHOWN_LIMIT = 3_000  # what a forwarding mail shows of it


class CaseReplies:
    def __init__(
        self,
        *,
        sop: Sop,
        directory: Directory,
        records: CaseRecords,
        actors: Actors,
        mails: ConversationMails,
        engine: Engine,
        answers: ReplyAnswers,
        settings: Settings,
    ) -> None:
        self.sop = sop
        self.directory = directory
        self.records = records
        self.actors = actors
        self.mails = mails
        self.engine = engine
        self.answers = answers
        self.settings = settings

    def handle(
        self,
        session: Session,
        message: Message,
        inbound: InboundMail,
        body: str,
        sender: str | None,
        person: Person | None,
        case: Case,
        claims: TokenClaims,
        now: datetime,
    ) -> ReplyOutcome:
        message.case_id = case.id
        complainant = self.records.complainant(session, case)
        if complainant is not None and claims.names_actor(complainant_actor(complainant.id)):
            if sender is None or normalise(complainant.email) != sender:
                outcome = ReplyOutcome("quarantined", "not_actor", sender or "-")
                return self.answers.refuse(session, message, sender, person, None, outcome, now)
            return self._from_complainant(session, message, inbound, body, case, complainant, now)
        holder = self.actors.acts_after_close(person, claims) if person is not None else None
        if holder is None or person is None or sender is None:
            outcome = ReplyOutcome("quarantined", "not_actor", sender or "-")
            return self.answers.refuse(session, message, sender, person, None, outcome, now)
        if not self._authenticated(inbound, sender):
            outcome = ReplyOutcome("quarantined", "unauthenticated", sender)
            return self.answers.refuse(session, message, sender, person, None, outcome, now)
        if claims.attempt != min(case.round or 1, 255) or case.status == CaseStatus.OPEN:
            # the case was reopened since this token was issued: its commands are spent
            outcome = ReplyOutcome("quarantined", "already_done", f"{case.number} round {claims.attempt}")
            return self.answers.refuse(session, message, sender, person, None, outcome, now)
        return self._after_close_command(session, message, body, case, person, sender, now)

    def _authenticated(self, inbound: InboundMail, sender: str) -> bool:
        """When configured, the receiving server's own Authentication-Results must vouch for the
        sender (as for step replies)."""
        auth = self.settings.auth
        if not auth.require_authentication_results:
            return True
        headers = parse_authentication_results(inbound.authentication_results)
        return sender_authenticated(headers, sender, auth.trusted_authserv_ids)

    # --- the complainant -------------------------------------------------------------------------

    def _from_complainant(
        self,
        session: Session,
        message: Message,
        inbound: InboundMail,
        body: str,
        case: Case,
        complainant: Complainant,
        now: datetime,
    ) -> ReplyOutcome:
        first, rest = first_meaningful_line(body)
        command = parse(first, rest, find_opd=lambda _: None)
        if isinstance(command, Command) and command.verb is Verb.STATUS and command.text != EVIDENCE:
            return self._status(session, message, case, complainant, now)
        rule = self.sop.complainant_rule(command.verb) if isinstance(command, Command) else None
        closed = case.status == CaseStatus.CLOSED
        attachments = [a.original_name or a.content_type for a in inbound.attachments if not a.inline]
        reply = self._store(session, message, case, body, closed, rule, len(attachments), now)
        if reply is None:  # this message was handled before (a retry): nothing twice
            return ReplyOutcome("applied", "complainant_reply")
        if rule is not None and closed and isinstance(command, Command):
            self._record_answer(session, message, case, rule, command.text, now)
            if rule.notify is Notify.ALWAYS or (rule.notify is Notify.WITH_COMMENT and command.text):
                self._forward(session, case, reply, now)
            return ReplyOutcome("applied", f"complainant.{rule.verb.value}")
        if case.status == CaseStatus.OPEN:
            self._tell_actors(session, case, reply, now)
        else:
            self._forward(session, case, reply, now)
        return ReplyOutcome("applied", "complainant_reply")

    def _status(
        self, session: Session, message: Message, case: Case, complainant: Complainant, now: datetime
    ) -> ReplyOutcome:
        """STATUS from the complainant: where the complaint stands, in their words (the stage and the
        office handling it, never an official's name), without troubling the officials."""
        lang = self.mails.complainant_lang(case)
        received = self.mails.when(case.received_at, lang)
        if case.status == CaseStatus.OPEN:
            paragraphs = [translate("branches.status.open", lang, number=case.number, received=received)]
            office = self.directory.diskominfo.letterhead.name
            stages = dict.fromkeys(
                translate(
                    "branches.status.line",
                    lang,
                    stage=self.sop.step(event.step).name.get(lang),
                    office=self.mails.opd_name(event.opd_code) if event.opd_code else office,
                )
                for event in self.records.open_events(session, case.id)
            )
            paragraphs.append("\n".join(f"- {stage}" for stage in stages))
            paragraphs.append(translate("branches.status.add", lang))
        else:
            closed = self.mails.when(case.closed_at or now, lang)
            key = f"branches.status.{'rejected' if case.status == CaseStatus.REJECTED else 'closed'}"
            paragraphs = [translate(key, lang, number=case.number, received=received, closed=closed)]
        told = self.mails.tell_complainant(
            session,
            case,
            now,
            kind="complainant.status",
            subject_key="branches.subject.status",
            paragraphs=paragraphs,
            dedup_key=f"complainant:status:{message.id}",
        )
        self.records.audit(
            session, now, "complainant", "complainant.status", case_id=case.id, message_id=message.id
        )
        log.info("complainant of %s asked STATUS (answered: %s)", case.number, told)
        return ReplyOutcome("answered", "complainant.status")

    def _store(
        self,
        session: Session,
        message: Message,
        case: Case,
        body: str,
        closed: bool,
        rule: ComplainantRule | None,
        attachments: int,
        now: datetime,
    ) -> ComplainantReply | None:
        seen = session.execute(
            select(ComplainantReply.id).where(ComplainantReply.message_id == message.id)
        ).first()
        if seen is not None:
            return None
        reply = ComplainantReply(
            case_id=case.id,
            message_id=message.id,
            received_at=now,
            round=case.round or 1,
            after_close=case.status != CaseStatus.OPEN,
            verb=rule.verb.value if rule is not None and closed else None,
            text=body[:TEXT_LIMIT],
            attachments=attachments,
        )
        session.add(reply)
        session.flush()
        self.records.audit(
            session,
            now,
            "complainant",
            "complainant.reply",
            case_id=case.id,
            message_id=message.id,
            detail={"after_close": reply.after_close, "verb": reply.verb, "attachments": attachments},
        )
        return reply

    def _record_answer(
        self,
        session: Session,
        message: Message,
        case: Case,
        rule: ComplainantRule,
        comment: str,
        now: datetime,
    ) -> None:
        """One answer per case and question; the last counts, and the complainant is told which."""
        row = session.execute(
            select(CaseAnswer).where(
                CaseAnswer.case_id == case.id, CaseAnswer.question == rule.question.value
            )
        ).scalar_one_or_none()
        previous = row.verb if row is not None else None
        if row is None:
            row = CaseAnswer(case_id=case.id, question=rule.question.value, changes=0)
            session.add(row)
        else:
            row.changes = (row.changes or 0) + 1
        row.verb, row.positive, row.comment = rule.verb.value, rule.positive, comment[:4000] or None
        row.answered_at, row.message_id = now, message.id
        session.flush()
        self.records.audit(
            session,
            now,
            "complainant",
            "complainant.answer",
            case_id=case.id,
            message_id=message.id,
            detail={"question": rule.question.value, "verb": rule.verb.value, "previous": previous},
        )
        lang = self.mails.complainant_lang(case)
        answer = complainant_word(rule.verb, lang)
        if previous is None:
            text = translate("branches.answer.recorded", lang, answer=answer)
        elif previous == rule.verb.value:
            text = translate("branches.answer.same", lang, answer=answer)
        else:
            before = complainant_word(Verb(previous), lang) if previous in set(Verb) else previous
            text = translate("branches.answer.changed", lang, answer=answer, previous=before)
        self.mails.tell_complainant(
            session,
            case,
            now,
            kind="complainant.recorded",
            subject_key="branches.subject.recorded",
            paragraphs=[text],
            dedup_key=f"complainant:recorded:{message.id}",
        )

    def _tell_actors(self, session: Session, case: Case, reply: ComplainantReply, now: datetime) -> None:
        """Before closing: whoever holds an open step reads what the complainant added."""
        told: set[str] = set()
        for event in self.records.open_events(session, case.id):
            audience = self.mails.audience_of(event)
            for person in self.actors.of_event(session, event):
                if person.email in told:
                    continue
                told.add(person.email)
                lang = self.mails.lang_for(person)
                view = self.mails.case_view(session, case, audience, lang)
                shown = self.mails.shown_text(session, case, audience, _shown(reply.text))
                files = self.mails.evidence.of_messages(session, case, (reply.message_id,))
                self.mails.tell(
                    session,
                    now,
                    to=Recipient(person.email, person),
                    kind="complainant.added",
                    subject=self.mails.composer.subject(view, "branches.subject.added", lang),
                    paragraphs=[translate("branches.added.intro", lang, number=case.number), shown],
                    # the files themselves go along (stripped for a confidential case), as with
                    # the complaint's own (issue 14)
                    items=files.lines(lang),
                    lang=lang,
                    case_id=case.id,
                    dedup_key=f"complainant:added:{reply.id}:{person.id}",
                    attachments=files.refs(),
                )

    def _forward(self, session: Session, case: Case, reply: ComplainantReply, now: datetime) -> None:
        """After closing: the after-close actors get the reply, the case summary and their
        commands (each with their own case token, so answering acts on this case)."""
        after = self.sop.after_close
        for person in self.actors.after_close():
            lang = self.mails.lang_for(person)
            view = self.mails.case_view(session, case, Audience.INTERNAL, lang)
            token = self.mails.case_token(case, person, now)
            subject = self.mails.composer.subject(view, "branches.subject.forward", lang)
            if after is not None and after.mail is not None:
                subject = f"[{case.number}] " + after.mail.subject.get(lang).replace(
                    "{title}", view.title[:70]
                )
            commands = self.mails.composer.rule_lines(
                after.commands if after else (), lang, str(self.mails.reply_address(token)), subject
            )
            said = translate(
                "branches.forward.said",
                lang,
                verb=reply.verb or "-",
                when=self.mails.when(reply.received_at, lang),
            )
            paragraphs = [
                after.mail.ask.get(lang) if after and after.mail else "",
                said,
                _shown(reply.text),
                translate("branches.forward.summary", lang, number=case.number, title=view.title),
                view.summary,
            ]
            files = self.mails.evidence.of_messages(session, case, (reply.message_id,))
            items = files.lines(lang)
            if view.complainant:
                items.insert(0, translate("branches.forward.complainant", lang, who=view.complainant))
            self.mails.tell(
                session,
                now,
                to=Recipient(person.email, person),
                kind="complainant.forward",
                subject=subject,
                paragraphs=[p for p in paragraphs if p],
                items=items,
                commands=commands,
                lang=lang,
                case_id=case.id,
                token=token,
                dedup_key=f"complainant:forward:{reply.id}:{person.id}",
                attachments=files.refs(),
            )

    # --- the after-close actors ------------------------------------------------------------------

    def _after_close_command(
        self,
        session: Session,
        message: Message,
        body: str,
        case: Case,
        person: Person,
        sender: str,
        now: datetime,
    ) -> ReplyOutcome:
        first, rest = first_meaningful_line(body)

        def find_opd(text: str) -> str | None:
            found = self.directory.find_opd(text)
            return found.code if found else None

        command = parse(first, rest, find_opd=find_opd)
        if isinstance(command, CommandError):
            return self._explain(session, message, case, person, sender, command.code, command.word, now)
        act = Act(by=sender, command=command.verb.value, message_id=message.id)
        decision = self.engine.after_close(session, case, command, now, act)
        if isinstance(decision, Refusal):
            return self._explain(session, message, case, person, sender, decision.code, decision.detail, now)
        assert isinstance(decision, Transition)
        lang = self.mails.lang_for(person)
        key = "branches.done.reopened" if decision.reopen else "branches.done.sent"
        self.mails.tell(
            session,
            now,
            to=Recipient(sender, person),
            kind="confirm.after_close",
            subject=f"[{case.number}] " + translate("engine.subject.confirm", lang, title=case.number),
            paragraphs=[translate(key, lang, number=case.number, round=case.round)],
            lang=lang,
            case_id=case.id,
            dedup_key=f"confirm:after_close:{message.id}",
        )
        self.records.audit(
            session,
            now,
            sender,
            "reply.applied",
            case_id=case.id,
            message_id=message.id,
            detail={"after_close": True, "command": command.verb.value},
        )
        return ReplyOutcome("applied", command.verb.value)

    def _explain(
        self,
        session: Session,
        message: Message,
        case: Case,
        person: Person,
        sender: str,
        code: str,
        word: str,
        now: datetime,
    ) -> ReplyOutcome:
        lang = self.mails.lang_for(person)
        after = self.sop.after_close
        token = self.mails.case_token(case, person, now)
        subject = f"[{case.number}] " + translate("engine.subject.explain", lang)
        commands = self.mails.composer.rule_lines(
            after.commands if after else (), lang, str(self.mails.reply_address(token)), subject
        )
        text = translate(
            "branches.explain.after_close", lang, number=case.number, word=escape(word, limit=80)
        )
        self.mails.tell(
            session,
            now,
            to=Recipient(sender, person),
            kind="explain",
            subject=subject,
            paragraphs=[text],
            commands=commands,
            lang=lang,
            case_id=case.id,
            token=token,
            dedup_key=self.mails.explain_key(sender, code, now, scope=case.number),
        )
        reason = translate(
            "branches.explain.after_close", "id", number=case.number, word=escape(word, limit=80)
        )
        self.answers.ensure_quarantined(session, message, code, f"{code}: {reason}", now)
        log.info(
            "after-close reply %s from %s to %s not carried out: %s", message.id, sender, case.number, code
        )
        return ReplyOutcome("quarantined", code, word)


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= SHOWN_LIMIT else text[:SHOWN_LIMIT].rstrip() + " …"
