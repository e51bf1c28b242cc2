"""The conversation engine: carries out the SOP state machine's decisions in the database.

Everything happens inside the caller's transaction (the ingest of a reply, the arrival of a signed
letter, a scheduler tick): step events, routes, letters, outbox mails and audit entries commit
together or not at all. See mailflow.domain.workflow for the decisions themselves; the letters
and mails it makes are in engine_letters and engine_mails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, Document, StepEvent
from mailflow.config.model import Settings
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory, Person
from mailflow.domain.sop import Role, Sop, Track
from mailflow.domain.workflow import (
    Finish,
    Refusal,
    Start,
    SystemStep,
    Transition,
    on_letter_signed,
    on_registered,
)
from mailflow.services.action_mails import MailComposer
from mailflow.services.case_state import load_state
from mailflow.services.engine_mails import EngineMails
from mailflow.services.engine_state import (
    SYSTEM,
    Act,
    LetterMaker,
    current_step_of,
    finish_event,
    lock_case,
    route_row,
)

__all__ = ["SYSTEM", "Act", "Engine", "LetterMaker", "finish_event", "lock_case"]


class Engine(EngineMails):
    def __init__(
        self,
        *,
        settings: Settings,
        sop: Sop,
        calendar: BusinessCalendar,
        directory: Directory,
        composer: MailComposer,
        letters: LetterMaker | None = None,
    ) -> None:
        self.settings = settings
        self.sop = sop
        self.calendar = calendar
        self.directory = directory
        self.composer = composer
        self.letters = letters
        self.mail_domain = settings.smtp.from_address.rsplit("@", 1)[1]

    # --- entry points ----------------------------------------------------------------------

    def case_registered(self, session: Session, case: Case, now: datetime) -> None:
        """Step 1 is done (ingest registered the case): the IKP division checks it."""
        self.apply(session, case, on_registered(), now, Act())

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
    ) -> Transition | Refusal:
        """A validly signed copy of `letter` (a surat tanggapan) came back."""
        case = lock_case(session, letter.case_id)
        state = load_state(session, case)
        waiting = [s for s in state.open_steps if s.step == 8 and s.route_id == letter.route_id]
        if not waiting:
            return Refusal("not_waiting_for_signature")
        decision = on_letter_signed(state, waiting[0], signer)
        if isinstance(decision, Transition):
            self.apply(
                session,
                case,
                decision,
                now,
                Act(by=by, command="TTD", message_id=message_id, document_id=signed_document_id),
            )
        return decision

    # --- applying a decision ------------------------------------------------------------------

    def apply(self, session: Session, case: Case, transition: Transition, now: datetime, act: Act) -> None:
        """Carry out `transition` in order: finish, update, letters, system steps, starts, close."""
        for finish in transition.finish:
            self._finish(session, finish, now, act)
        self._update_case(session, case, transition, now, act)
        routes = self._routes(session, case, transition.new_routes, now)
        self._update_routes(session, transition, now)
        for letter in transition.letters:
            self._letter(session, case, letter, routes, now)
        for system_step in transition.system_steps:
            self._system_step(session, case, system_step, routes, now, act)
        for start in transition.start:
            self.start_step(session, case, start, routes, now)
        if transition.close:
            self._close(session, case, transition.close, transition.close_reason, now, act)
        if transition.notify_complainant:
            self._notify_complainant(session, case, transition, now)
        if transition.confirm and act.by != SYSTEM:
            self._confirm(session, case, transition.confirm, act, now)
        case.updated_at = now
        case.current_step = current_step_of(session, case)
        session.flush()

    def _update_case(
        self, session: Session, case: Case, transition: Transition, now: datetime, act: Act
    ) -> None:
        if transition.set_suggested_opds is not None:
            case.suggested_opds = ",".join(transition.set_suggested_opds)
        if transition.set_track is not None and case.track != transition.set_track.value:
            case.track = transition.set_track.value
            self._audit(session, now, act, "case.track", case.id, {"track": case.track})
        if transition.set_track is Track.SPECIAL or transition.recompute_due:
            self._recompute_step7(session, case)

    @staticmethod
    def _update_routes(session: Session, transition: Transition, now: datetime) -> None:
        def route(route_id: int) -> CaseRoute:
            row = session.get(CaseRoute, route_id)
            assert row is not None, f"unknown route {route_id}"
            return row

        for route_id, bidang, instruction in transition.route_bidang:
            route(route_id).bidang_code, route(route_id).instruction = bidang, instruction
        for route_id, response in transition.route_response:
            route(route_id).response_text = response
        for route_id in transition.route_done:
            route(route_id).status, route(route_id).finished_at = "done", now

    # --- steps ----------------------------------------------------------------------------------

    def _finish(self, session: Session, finish: Finish, now: datetime, act: Act) -> None:
        event = session.get(StepEvent, finish.event_id)
        assert event is not None and event.finished_at is None, "a step finishes once"
        finish_event(
            self.calendar,
            event,
            now,
            outcome=finish.outcome.value,
            by=act.by,
            command=finish.command or act.command,
            note=finish.note,
            message_id=act.message_id,
            document_id=act.document_id,
        )
        self._audit(
            session,
            now,
            act,
            "step.finished",
            event.case_id,
            {
                "step": event.step,
                "route": event.opd_code,
                "outcome": event.outcome,
                "command": event.command,
                "on_time": event.on_time,
            },
        )

    def _system_step(
        self,
        session: Session,
        case: Case,
        system_step: SystemStep,
        routes: Mapping[str, CaseRoute],
        now: datetime,
        act: Act,
    ) -> None:
        """Started and finished now; its source is what caused it (the reply, the signed letter)."""
        route = route_row(system_step.route, routes, session)
        definition = self.sop.step(system_step.step)
        holder = self.holders(definition.actor, route, None)[0]
        event = self._new_event(session, case, system_step.step, route, definition.actor, holder, now)
        finish_event(
            self.calendar,
            event,
            now,
            outcome="done",
            by=SYSTEM,
            command=SYSTEM,
            note="",
            message_id=act.message_id,
            document_id=act.document_id,
        )
        self._audit(
            session,
            now,
            Act(),
            "step.system",
            case.id,
            {"step": system_step.step, "route": route.opd_code if route else None},
        )

    def start_step(
        self, session: Session, case: Case, start: Start, routes: Mapping[str, CaseRoute], now: datetime
    ) -> StepEvent:
        route = route_row(start.route, routes, session)
        holders = self.holders(start.role, route, start.bidang)
        event = self._new_event(session, case, start.step, route, start.role, holders[0], now)
        self._audit(
            session,
            now,
            Act(),
            "step.started",
            case.id,
            {
                "step": start.step,
                "route": route.opd_code if route else None,
                "actor": holders[0].id,
                "due": event.due_at.isoformat(),
            },
        )
        attachments, names = self._attachments(session, case, route, start.attachments)
        for person in holders:
            self._send_action(session, case, event, route, person, attachments, names, now)
        return event

    def _new_event(
        self,
        session: Session,
        case: Case,
        step: int,
        route: CaseRoute | None,
        role: Role,
        holder: Person,
        now: datetime,
    ) -> StepEvent:
        track = Track(case.track)
        route_key = route.id if route else 0
        previous = session.execute(
            select(func.max(StepEvent.attempt)).where(
                StepEvent.case_id == case.id, StepEvent.route_key == route_key, StepEvent.step == step
            )
        ).scalar_one_or_none()
        event = StepEvent(
            case_id=case.id,
            route_id=route.id if route else None,
            route_key=route_key,
            step=step,
            attempt=(previous or 0) + 1,
            track=track.value,
            opd_code=route.opd_code if route else None,
            actor_role=role.value,
            actor_person=holder.id,
            actor_email=holder.email,
            started_at=now,
            due_at=self.calendar.add(now, self.sop.step(step).limit_for(track)),
            reminders_sent=0,
        )
        session.add(event)
        session.flush()
        return event

    def holders(self, role: Role, route: CaseRoute | None, bidang: str | None) -> tuple[Person, ...]:
        if role.is_opd_role:
            assert route is not None, f"{role} needs a route"
            return self.directory.holders(role, route.opd_code, bidang or route.bidang_code)
        return self.directory.holders(role)

    def _recompute_step7(self, session: Session, case: Case) -> None:
        open_sevens = session.execute(
            select(StepEvent).where(
                StepEvent.case_id == case.id, StepEvent.step == 7, StepEvent.finished_at.is_(None)
            )
        ).scalars()
        for event in open_sevens:
            event.track = case.track
            event.due_at = self.calendar.add(event.started_at, self.sop.step(7).limit_for(Track(case.track)))
            event.reminders_sent = 0

    def _routes(
        self, session: Session, case: Case, new: Sequence[str], now: datetime
    ) -> dict[str, CaseRoute]:
        existing = {
            r.opd_code: r
            for r in session.execute(select(CaseRoute).where(CaseRoute.case_id == case.id)).scalars()
        }
        for code in new:
            if code not in existing:
                route = CaseRoute(case_id=case.id, opd_code=code, status="open", created_at=now)
                session.add(route)
                existing[code] = route
        session.flush()
        return existing

    def _close(self, session: Session, case: Case, status: str, reason: str, now: datetime, act: Act) -> None:
        case.status, case.closed_at, case.close_reason = status, now, reason or None
        still_open = session.execute(
            select(StepEvent).where(StepEvent.case_id == case.id, StepEvent.finished_at.is_(None))
        ).scalars()
        for event in still_open:
            finish_event(
                self.calendar,
                event,
                now,
                outcome="cancelled",
                by=act.by,
                command=act.command,
                note="",
                message_id=act.message_id,
                document_id=None,
            )
        for route in session.execute(select(CaseRoute).where(CaseRoute.case_id == case.id)).scalars():
            if route.status == "open":
                route.status = "cancelled"
        self._audit(session, now, act, f"case.{status}", case.id, {"reason": reason})

    # --- letters and attachments ----------------------------------------------------------------
