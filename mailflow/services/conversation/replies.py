"""Replies from officials: find the step they answer, check who sent them, read the command,
and let the engine act, or explain politely why nothing happened.

Who sent it: the From address, only when it is a valid addr-spec (domain.addresses), looked up
in the directory. A display name never identifies anyone.

Which step (DESIGN.md 1), by what the mail claims:
1. A recipient `<reply-local>+<anything>@<reply-domain>` claims a token, whatever follows the
   plus (`lapor+garbage@` claims one too). Every such claim must be a valid token.
2. Only when no recipient claims one: our Message-ID in In-Reply-To, then References (newest
   first); its first label is the token of the mail it answers.
3. Only when neither claims a token: the subject tag [LPR-...]. It never advances anything: the
   mail is stored with the case as information (audit entry, quarantine row "subject_only"), and
   a known sender is told how to answer with the step's reply links; only STATUS and BANTUAN
   are answered through it.
A token that is claimed but malformed, forged, for an unknown step, expired, or for a step that
is done (a replay) is a forgery or a replay: quarantined with its reason, never matched again
by In-Reply-To or the subject tag.

Authorisation: the sender is the actor the token names or one of that person's delegates, the
token's step is still open, and (when `[auth] require_authentication_results`) the receiving
server's own Authentication-Results show an aligned pass (domain.sender_auth says which headers
are the server's).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from mailflow.adapters.authresults import parse_authentication_results
from mailflow.adapters.db.models import Case, Message, StepEvent
from mailflow.config.model import Settings
from mailflow.domain.addresses import normalise
from mailflow.domain.commands import Command, CommandError, Verb, parse
from mailflow.domain.directory import Directory, Person
from mailflow.domain.inbound import InboundMail
from mailflow.domain.quotes import first_meaningful_line, html_reply_text, reply_text
from mailflow.domain.safe_text import escape
from mailflow.domain.sender_auth import sender_authenticated
from mailflow.domain.sop import ArgKind, Need, Sop
from mailflow.domain.tokens import TokenClaims, TokenError, plus_suffix, token_from_message_id, verify
from mailflow.domain.workflow import Info, Refusal, Transition
from mailflow.errors import QuarantineError
from mailflow.i18n import translate
from mailflow.services.conversation.actors import Actors
from mailflow.services.conversation.answers import (
    Match,
    ReplyAnswers,
    ReplyOutcome,
    ReturnedLetters,
    is_docx,
    is_pdf,
)
from mailflow.services.conversation.case_replies import CaseReplies
from mailflow.services.conversation.composer import CommandLine
from mailflow.services.conversation.engine import Engine
from mailflow.services.conversation.mails import ConversationMails, Recipient
from mailflow.services.conversation.records import CaseRecords
from mailflow.services.conversation.transitions import Act
from mailflow.services.outbound import outbox

log = logging.getLogger("mailflow.services.replies")
_SUBJECT_TAG = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9./_-]{2,48})\]")
_INFO_VERBS = (Verb.STATUS, Verb.BANTUAN)


@dataclass(frozen=True)
class CaseMatch:
    """A reply whose token names the case (the complainant's, an after-close actor's)."""

    case: Case
    claims: TokenClaims


__all__ = ["ReplyOutcome", "ReplyProcessor", "ReturnedLetters", "sender_identity"]


def sender_identity(inbound: InboundMail) -> str | None:
    """The address that may identify the sender: From, only as a valid addr-spec (lower-cased).
    None (a stranger) for anything else, including a From recovered from a malformed header
    (`InboundMail.identity`); a display name is never read."""
    return normalise(inbound.identity)


class ReplyProcessor:
    def __init__(
        self,
        *,
        settings: Settings,
        sop: Sop,
        directory: Directory,
        records: CaseRecords,
        actors: Actors,
        mails: ConversationMails,
        engine: Engine,
        answers: ReplyAnswers,
        returned: ReturnedLetters | None = None,
        docx_reader: Callable[[Path], str] | None = None,
        case_replies: CaseReplies | None = None,
    ) -> None:
        self.settings = settings
        self.sop = sop
        self.directory = directory
        self.records = records
        self.actors = actors
        self.mails = mails
        self.engine = engine
        self.answers = answers
        self.returned = returned
        self.docx_reader = docx_reader
        self.case_replies = case_replies  # replies with a case token (complainant, after close)

    # --- the pipeline --------------------------------------------------------------------------

    def handle(self, session: Session, message: Message, inbound: InboundMail, now: datetime) -> ReplyOutcome:
        sender = sender_identity(inbound)
        person = self.directory.person_by_email(sender) if sender else None
        found = self._match(session, inbound, person, now)
        if isinstance(found, ReplyOutcome):
            return self.answers.refuse(session, message, sender, person, None, found, now)
        if isinstance(found, CaseMatch):
            if self.case_replies is None:
                outcome = ReplyOutcome("quarantined", "unmatched", found.case.number)
                return self.answers.refuse(session, message, sender, person, None, outcome, now)
            return self.case_replies.handle(
                session, message, inbound, self._body(inbound), sender, person, found.case, found.claims, now
            )
        match = found
        message.case_id = match.case.id
        body = self._body(inbound)
        first, rest = first_meaningful_line(body)
        command = self._parse(session, first, rest, match.event)
        if isinstance(command, Command) and command.verb in _INFO_VERBS and person is not None:
            return self.answers.info(session, message, match, person, command.verb, now)
        if match.claims is None:
            return self._subject_only(session, message, sender, person, match, now)
        # who first: a stranger learns nothing about the step, not even that it is done
        problem = self._authorise(session, match, person, inbound, sender)
        if problem is not None:
            return self.answers.refuse(session, message, sender, person, match, problem, now)
        if match.event.finished_at is not None:
            outcome = ReplyOutcome("quarantined", "already_done", f"step {match.event.step}")
            return self.answers.refuse(session, message, sender, person, match, outcome, now)
        assert person is not None and sender is not None
        if self.sop.step(match.event.step).waits_for_signature:
            return self._signed_letter(session, message, inbound, match, person, command, now)
        command = self._docx_response(inbound, match.event, command)
        if isinstance(command, CommandError):
            return self.answers.explain(
                session,
                message,
                person,
                match,
                command.code,
                now,
                word=command.word,
                choices=", ".join(command.choices),
                verb=command.verb,
            )
        act = Act(by=sender, command=command.verb.value, message_id=message.id)
        decision = self.engine.command(session, match.case, match.event, command, now, act)
        if isinstance(decision, Info):
            verb = Verb.STATUS if decision.kind == "status" else Verb.BANTUAN
            return self.answers.info(session, message, match, person, verb, now)
        if isinstance(decision, Refusal):
            return self.answers.explain(
                session, message, person, match, decision.code, now, word=decision.detail
            )
        assert isinstance(decision, Transition)
        self.records.audit(
            session,
            now,
            sender,
            "reply.applied",
            case_id=match.case.id,
            message_id=message.id,
            detail={"step": match.event.step, "command": command.verb.value, "matched_by": match.how},
        )
        return ReplyOutcome("applied", command.verb.value)

    # --- matching ----------------------------------------------------------------------------------

    def _match(
        self, session: Session, inbound: InboundMail, person: Person | None, now: datetime
    ) -> Match | CaseMatch | ReplyOutcome:
        claimed = self._claimed_tokens(inbound)
        if not claimed and outbox.answers_grouped_mail(session, (*inbound.in_reply_to, *inbound.references)):
            return ReplyOutcome("quarantined", "grouped", "")  # it lists several cases: which one?
        if not claimed:
            return self._match_subject(session, inbound, person)
        how = claimed[0][1]
        verified = []
        for token, _ in claimed:
            try:
                verified.append(verify(self.settings.token_secret, token))
            except TokenError as exc:
                return ReplyOutcome("quarantined", "forged", f"{how}: {exc.code}")
        claims = verified[0]
        if session.get(Case, claims.case_id) is None:
            return ReplyOutcome("quarantined", "forged", f"{how}: unknown case")
        case = self.records.lock(session, claims.case_id)
        if claims.for_case:
            if claims.is_expired(now):
                return ReplyOutcome("quarantined", "expired", case.number)
            return CaseMatch(case, claims)
        event = self.records.event(session, case.id, claims.route_key, claims.step, claims.attempt)
        if event is None:
            return ReplyOutcome("quarantined", "forged", f"{how}: unknown step")
        if claims.is_expired(now) and event.finished_at is None:
            return ReplyOutcome("quarantined", "expired", case.number)
        return Match(case, event, claims, how)

    def _claimed_tokens(self, inbound: InboundMail) -> list[tuple[str, str]]:
        """Every token the mail claims, with how: all plus-address recipients when there is one
        (each must verify), else the first of our Message-IDs it answers; [] when none."""
        reply_to = self.settings.tokens.reply_address
        suffixes = [s for a in inbound.recipients if (s := plus_suffix(a, reply_to)) is not None]
        if suffixes:
            return [(s, "address") for s in dict.fromkeys(suffixes)]
        domain = self.mails.mail_domain
        for message_id in (*inbound.in_reply_to, *reversed(inbound.references)):
            token = token_from_message_id(message_id, domain)
            if token:
                return [(token, "thread")]
        return []

    def _match_subject(
        self, session: Session, inbound: InboundMail, person: Person | None
    ) -> Match | ReplyOutcome:
        for candidate in _SUBJECT_TAG.findall(inbound.subject or ""):
            case = self.records.by_number(session, candidate)
            if case is None:
                continue
            if person is None:
                return ReplyOutcome("quarantined", "unknown_sender", case.number)
            events = self.records.open_events(session, case.id)
            mine = [e for e in events if self.actors.holder_for(session, e, person) is not None]
            if mine:
                return Match(case, mine[0], None, "subject")
            latest = self.records.latest_event(session, case.id)
            if latest is not None:
                return Match(case, latest, None, "subject")
            return ReplyOutcome("quarantined", "unmatched", case.number)
        return ReplyOutcome("quarantined", "unmatched", "")

    def _subject_only(
        self,
        session: Session,
        message: Message,
        sender: str | None,
        person: Person | None,
        match: Match,
        now: datetime,
    ) -> ReplyOutcome:
        """Matched by the subject tag alone: information for the case, never a command."""
        if person is None or sender is None:
            outcome = ReplyOutcome("quarantined", "unknown_sender", sender or "-")
            return self.answers.refuse(session, message, sender, person, None, outcome, now)
        lang = self.mails.lang_for(person)
        subject = f"[{match.case.number}] " + translate("engine.subject.explain", lang)
        holder = (
            self.actors.holder_for(session, match.event, person) if match.event.finished_at is None else None
        )
        commands: list[CommandLine] = []
        token = None
        text_key = "subject_only_info"
        if holder is not None:
            commands, token = self.answers.commands_and_token(session, match, person, lang, subject, now)
            text_key = "subject_only"
        self.mails.tell(
            session,
            now,
            to=Recipient(person.email, person),
            kind="explain",
            subject=subject,
            paragraphs=[translate(f"engine.explain.{text_key}", lang, number=match.case.number)],
            commands=commands,
            lang=lang,
            case_id=match.case.id,
            token=token,
            dedup_key=self.mails.explain_key(person.email, "subject_only", now),
        )
        self.records.audit(
            session,
            now,
            sender,
            "reply.subject_only",
            case_id=match.case.id,
            message_id=message.id,
            detail={"step": match.event.step, "subject": escape(message.subject, limit=200)},
        )
        admin_lang = self.settings.general.language
        reason = translate("engine.reason.subject_only", admin_lang, number=match.case.number)
        self.answers.ensure_quarantined(session, message, "subject_only", reason, now)
        log.info(
            "reply %s from %s matched %s by its subject only: stored, not applied",
            message.id,
            sender,
            match.case.number,
        )
        return ReplyOutcome("quarantined", "subject_only", match.case.number)

    # --- authorisation -------------------------------------------------------------------------------

    def _authorise(
        self, session: Session, match: Match, person: Person | None, inbound: InboundMail, sender: str | None
    ) -> ReplyOutcome | None:
        if person is None or sender is None:
            return ReplyOutcome("quarantined", "unknown_sender", sender or "-")
        if self.actors.holder_for(session, match.event, person, match.claims) is None:
            return ReplyOutcome("quarantined", "not_actor", sender)
        auth = self.settings.auth
        if auth.require_authentication_results:
            headers = parse_authentication_results(inbound.authentication_results)
            if not sender_authenticated(headers, sender, auth.trusted_authserv_ids):
                return ReplyOutcome("quarantined", "unauthenticated", sender)
        return None

    # --- reading the reply ---------------------------------------------------------------------------

    @staticmethod
    def _body(inbound: InboundMail) -> str:
        if inbound.html and (inbound.content_type == "text/html" or not inbound.text.strip()):
            return html_reply_text(inbound.html)
        return reply_text(inbound.text)

    def _parse(self, session: Session, first: str, rest: str, event: StepEvent) -> Command | CommandError:
        opds = self.directory.opds
        route = self.records.route_of(session, event)
        opd = self.directory.opd(route.opd_code) if route is not None else None
        teruskan = self.sop.step(event.step).command(Verb.TERUSKAN)

        def find_opd(text: str) -> str | None:
            found = self.directory.find_opd(text)
            return found.code if found else None

        def find_bidang(text: str) -> str | None:
            found = opd.find_bidang(text) if opd else None
            return found.code if found else None

        return parse(
            first,
            rest,
            find_opd=find_opd,
            opd_choices=[o.code for o in opds],
            find_bidang=find_bidang if opd else None,
            bidang_choices=[b.code for b in opd.bidang] if opd else [],
            opds_optional=teruskan is not None and teruskan.need is not Need.REQUIRED,
            aliases=self.sop.step(event.step).aliases(),
        )

    def _docx_response(
        self, inbound: InboundMail, event: StepEvent, command: Command | CommandError
    ) -> Command | CommandError:
        """At a step that takes a drafted response, an attached DOCX is the response when no text was
        typed below TANGGAPAN (a damaged, cut-off file is not read)."""
        if not self.sop.step(event.step).takes(ArgKind.RESPONSE) or self.docx_reader is None:
            return command
        docx = [a for a in inbound.attachments if is_docx(a) and a.stored_path and not a.damaged]
        if not docx:
            return command
        typed = isinstance(command, Command) and command.verb is Verb.TANGGAPAN and command.text.strip()
        if typed:
            return command
        if isinstance(command, Command) and command.verb is not Verb.TANGGAPAN:
            return command
        try:
            text = self.docx_reader(Path(str(docx[0].stored_path)))
        except QuarantineError:
            return CommandError("docx_unreadable")
        return Command(Verb.TANGGAPAN, text=text)

    # --- a signature step: the signed letter by mail ------------------------------------------------

    def _signed_letter(
        self,
        session: Session,
        message: Message,
        inbound: InboundMail,
        match: Match,
        person: Person,
        command: Command | CommandError,
        now: datetime,
    ) -> ReplyOutcome:
        has_pdf = any(is_pdf(a) for a in inbound.attachments)
        if not has_pdf or self.returned is None:
            return self.answers.explain(session, message, person, match, "needs_pdf", now)
        outcome = self.returned.from_reply(session, message, inbound, match.event, now)
        if outcome.status == "applied":
            return outcome
        # The service explained the refusal itself; what is left is to set the mail aside.
        reason = escape(f"{match.case.number}: {outcome.detail or outcome.code}", limit=2000)
        self.answers.ensure_quarantined(session, message, outcome.code, reason, now)
        return ReplyOutcome("quarantined", outcome.code, outcome.detail)
