"""The conversation engine: the SOP's workflow (mailflow.domain.workflow, a pure decision) and the
part that carries decisions out (Transitions), composed. Its entry points are the three ways a
case moves: a complaint is registered, an actor answers with a command, a signed letter comes back.

    engine.case_registered(session, case, now)
    engine.command(session, case, event, command, now, act)  -> Transition | Refusal | Info
    engine.letter_signed(session, letter, signer, now, by=...) -> Transition | Refusal
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, Document, StepEvent
from mailflow.domain.commands import Command
from mailflow.domain.sop import Sop
from mailflow.domain.workflow import Info, Refusal, Transition, Workflow
from mailflow.services.conversation.records import CaseRecords, open_step
from mailflow.services.conversation.transitions import Act, Transitions


class Engine:
    def __init__(self, sop: Sop, records: CaseRecords, transitions: Transitions) -> None:
        self.sop = sop
        self.workflow = Workflow(sop)
        self.records = records
        self.transitions = transitions

    def case_registered(self, session: Session, case: Case, now: datetime) -> None:
        """The registration step is done (ingest registered the case): enter what follows it."""
        self.transitions.apply(session, case, self.workflow.on_registered(), now, Act())

    def command(
        self, session: Session, case: Case, event: StepEvent, command: Command, now: datetime, act: Act
    ) -> Transition | Refusal | Info:
        """An authorised actor of `event` answered `command`: decide, and carry out a transition."""
        rows = self.records.rows(session, case)  # referenced until the transition is carried out
        state = self.records.state(session, case, rows)
        decision = self.workflow.on_command(state, open_step(event), command)
        if isinstance(decision, Transition):
            self.transitions.apply(session, case, decision, now, act, rows)
        return decision

    def after_close(
        self, session: Session, case: Case, command: Command, now: datetime, act: Act
    ) -> Transition | Refusal:
        """An after-close actor answered a closed case: tell the complainant, or reopen it."""
        rows = self.records.rows(session, case)
        decision = self.workflow.on_after_close(self.records.state(session, case, rows), command)
        if isinstance(decision, Transition):
            self.transitions.apply(session, case, decision, now, act, rows)
        return decision

    def letter_signed(
        self,
        session: Session,
        letter: Document,
        signer: str,
        now: datetime,
        *,
        by: str,
        signed_document_id: int | None = None,
        message_id: int | None = None,
        locked_case: Case | None = None,
    ) -> Transition | Refusal:
        """A validly signed copy of `letter` came back for its route. `locked_case`: the letter's
        case row when the caller already locked it in this transaction (not locked again)."""
        if locked_case is not None and locked_case.id == letter.case_id:
            case = locked_case
        else:
            case = self.records.lock(session, letter.case_id)
        # the rows stay referenced until the transition is carried out: it finishes the open
        # event and mails the complainant's case view without reading either again
        rows = self.records.rows(session, case)
        state = self.records.state(session, case, rows)
        signature_steps = {s.number for s in self.sop.signature_steps()}
        waiting = [s for s in state.open_steps if s.step in signature_steps and s.route_id == letter.route_id]
        if not waiting:
            return Refusal("not_waiting_for_signature")
        decision = self.workflow.on_letter_signed(state, waiting[0], signer)
        if isinstance(decision, Transition):
            act = Act(by=by, command="TTD", message_id=message_id, document_id=signed_document_id)
            self.transitions.apply(session, case, decision, now, act, rows)
        return decision
