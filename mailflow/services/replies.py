"""Replies from officials: find the step they answer, check who sent them, read the command,
and let the engine act, or explain politely why nothing happened.

Matching order (DESIGN.md 1): the token in a recipient address (lapor+<token>@...), then our
Message-ID in In-Reply-To/References, then the subject tag [LPR-...] (lowest trust: only when the
sender can act on exactly one open step of that case). Authorisation: the sender is the actor the
token names or one of that person's delegates, the token is authentic, unexpired and its step
still open, and (when configured) the trusted server's Authentication-Results show a pass.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.authresults import parse_authentication_results
from mailflow.adapters.db.models import Case, Message, StepEvent
from mailflow.domain.commands import Command, CommandError, Verb, parse
from mailflow.domain.directory import Person
from mailflow.domain.inbound import InboundMail
from mailflow.domain.quotes import first_meaningful_line, html_reply_text, reply_text
from mailflow.domain.sender_auth import sender_authenticated
from mailflow.domain.tokens import (
    TokenError,
    token_from_address,
    token_from_message_id,
    verify,
)
from mailflow.domain.workflow import Info, Refusal, Transition, on_command
from mailflow.errors import QuarantineError
from mailflow.services.case_state import load_state, open_step
from mailflow.services.engine import Act, Engine, lock_case
from mailflow.services.reply_answers import (
    Match,
    ReplyAnswers,
    ReplyOutcome,
    ReturnedLetters,
    is_docx,
    is_pdf,
    route_of,
)

log = logging.getLogger(__name__)
_SUBJECT_TAG = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9./_-]{2,48})\]")

__all__ = ["ReplyOutcome", "ReplyProcessor", "ReturnedLetters"]


class ReplyProcessor(ReplyAnswers):
    def __init__(
        self,
        engine: Engine,
        *,
        returned: ReturnedLetters | None = None,
        docx_reader: Callable[[Path], str] | None = None,
    ) -> None:
        super().__init__(engine)
        self.returned = returned
        self.docx_reader = docx_reader

    # --- the pipeline --------------------------------------------------------------------------

    def handle(self, session: Session, message: Message, inbound: InboundMail, now: datetime) -> ReplyOutcome:
        sender = (inbound.from_addr or "").strip().lower()
        person = self.directory.person_by_email(sender) if sender else None
        found = self._match(session, inbound, person, now)
        if isinstance(found, ReplyOutcome):
            return self._refuse(session, message, sender, person, None, found, now)
        match = found
        body = self._body(inbound)
        first, rest = first_meaningful_line(body)
        command = self._parse(session, first, rest, match.event)
        if (
            isinstance(command, Command)
            and command.verb in (Verb.STATUS, Verb.BANTUAN)
            and person is not None
        ):
            return self._info(session, message, match, person, command.verb, now)
        # who first: a stranger learns nothing about the step, not even that it is done
        problem = self._authorise(session, match, person, inbound, sender)
        if problem is not None:
            return self._refuse(session, message, sender, person, match, problem, now)
        if match.event.finished_at is not None:
            outcome = ReplyOutcome("quarantined", "already_done", f"step {match.event.step}")
            return self._refuse(session, message, sender, person, match, outcome, now)
        assert person is not None
        if match.event.step == 8:
            return self._signed_letter(session, message, inbound, match, person, command, now)
        command = self._docx_response(inbound, match.event, command)
        if isinstance(command, CommandError):
            return self._explain(
                session,
                message,
                person,
                match,
                command.code,
                now,
                word=command.word,
                choices=", ".join(command.choices),
            )
        state = load_state(session, match.case)
        decision = on_command(state, open_step(match.event), command)
        if isinstance(decision, Info):
            verb = Verb.STATUS if decision.kind == "status" else Verb.BANTUAN
            return self._info(session, message, match, person, verb, now)
        if isinstance(decision, Refusal):
            return self._explain(session, message, person, match, decision.code, now, word=decision.detail)
        assert isinstance(decision, Transition)
        act = Act(by=sender, command=command.verb.value, message_id=message.id)
        self.engine.apply(session, match.case, decision, now, act)
        self._audit(
            session,
            now,
            sender,
            "reply.applied",
            match.case.id,
            message.id,
            {"step": match.event.step, "command": command.verb.value, "matched_by": match.how},
        )
        return ReplyOutcome("applied", command.verb.value)

    # --- matching ----------------------------------------------------------------------------------

    def _match(
        self, session: Session, inbound: InboundMail, person: Person | None, now: datetime
    ) -> Match | ReplyOutcome:
        reply_to = self.settings.tokens.reply_address
        domain = self.engine.mail_domain
        token, how = None, ""
        for address in inbound.recipients:
            token = token_from_address(address, reply_to)
            if token:
                how = "address"
                break
        if token is None:
            for message_id in (*inbound.in_reply_to, *reversed(inbound.references)):
                token = token_from_message_id(message_id, domain)
                if token:
                    how = "thread"
                    break
        if token is None:
            return self._match_subject(session, inbound, person)
        try:
            claims = verify(self.settings.token_secret, token)
        except TokenError as exc:
            return ReplyOutcome("quarantined", "forged", exc.code)
        case = session.get(Case, claims.case_id)
        if case is None:
            return ReplyOutcome("quarantined", "forged", "unknown case")
        case = lock_case(session, case.id)
        event = session.execute(
            select(StepEvent).where(
                StepEvent.case_id == case.id,
                StepEvent.route_key == claims.route_key,
                StepEvent.step == claims.step,
                StepEvent.attempt == claims.attempt,
            )
        ).scalar_one_or_none()
        if event is None:
            return ReplyOutcome("quarantined", "forged", "unknown step")
        if claims.is_expired(now) and event.finished_at is None:
            return ReplyOutcome("quarantined", "expired", case.number)
        return Match(case, event, claims, how)

    def _match_subject(
        self, session: Session, inbound: InboundMail, person: Person | None
    ) -> Match | ReplyOutcome:
        for candidate in _SUBJECT_TAG.findall(inbound.subject or ""):
            case = session.execute(select(Case).where(Case.number == candidate)).scalar_one_or_none()
            if case is None:
                continue
            case = lock_case(session, case.id)
            if person is None:
                return ReplyOutcome("quarantined", "unknown_sender", case.number)
            events = session.execute(
                select(StepEvent).where(StepEvent.case_id == case.id, StepEvent.finished_at.is_(None))
            ).scalars()
            mine = [e for e in events if self._holder_for(session, e, person) is not None]
            if len(mine) == 1:
                return Match(case, mine[0], None, "subject")
            latest = (
                session.execute(
                    select(StepEvent).where(StepEvent.case_id == case.id).order_by(StepEvent.id.desc())
                )
                .scalars()
                .first()
            )
            if latest is not None and not mine:
                return Match(case, latest, None, "subject")
            return ReplyOutcome("quarantined", "unmatched", case.number)
        return ReplyOutcome("quarantined", "unmatched", "")

    # --- authorisation -------------------------------------------------------------------------------

    def _authorise(
        self, session: Session, match: Match, person: Person | None, inbound: InboundMail, sender: str
    ) -> ReplyOutcome | None:
        if person is None:
            return ReplyOutcome("quarantined", "unknown_sender", sender)
        if self._holder_for(session, match.event, person, match.claims) is None:
            return ReplyOutcome("quarantined", "not_actor", sender)
        auth = self.settings.auth
        if auth.require_authentication_results:
            results = parse_authentication_results(inbound.authentication_results)
            if not sender_authenticated(results, sender, auth.trusted_authserv_ids):
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
        route = route_of(session, event)
        opd = self.directory.opd(route.opd_code) if route is not None else None

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
        )

    def _docx_response(
        self, inbound: InboundMail, event: StepEvent, command: Command | CommandError
    ) -> Command | CommandError:
        """At step 7 a DOCX attachment is the response when no text was typed below TANGGAPAN."""
        if event.step != 7 or self.docx_reader is None:
            return command
        docx = [a for a in inbound.attachments if is_docx(a) and a.stored_path]
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

    # --- step 8: the signed letter by mail -------------------------------------------------------------

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
        if has_pdf and self.returned is not None:
            return self.returned.from_reply(session, message, inbound, match.event, now)
        return self._explain(session, message, person, match, "needs_pdf", now)
