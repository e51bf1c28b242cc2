"""Carrying out a workflow decision in the database: finished step events, new and ended routes,
system steps, started steps (with their action mails), letters, the closed case and its notices.

Everything happens inside the caller's transaction (the ingest of a reply, the arrival of a
signed letter, a scheduler tick), so step events, routes, letters, outbox mails and audit rows
commit together or not at all. The decisions themselves are mailflow.domain.workflow's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, StepEvent
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Person
from mailflow.domain.documents import DocumentKind
from mailflow.domain.mail import AttachmentRef
from mailflow.domain.sop import Role, Sop, Track
from mailflow.domain.statuses import CaseStatus, RouteStatus, StepOutcome
from mailflow.domain.workflow import Finish, RouteRef, Start, SystemStep, Transition
from mailflow.services.conversation.actors import Actors
from mailflow.services.conversation.mails import ConversationMails
from mailflow.services.conversation.records import SYSTEM, CaseRecords, CaseRows
from mailflow.services.conversation.step_letters import StepLetters


@dataclass(frozen=True)
class Act:
    """Who or what caused a transition, for the finished rows and the audit log."""

    by: str = SYSTEM  # the acting address, or "system"
    command: str = ""
    message_id: int | None = None
    document_id: int | None = None


class HeldEvents:
    """Every event of one case, as read under its lock in this transaction plus those this
    transition adds: the next round number of each (route key, step) without a max() query per
    new event (the unique (case, route key, step, attempt) constraint still guards it), and the
    steps left open without reading the open events again. The rows are the session's own
    objects, so the transition's finishes and cancellations show in them."""

    def __init__(self, events: Sequence[StepEvent]) -> None:
        self._events = list(events)
        self._last: dict[tuple[int, int], int] = {}
        for event in events:
            key = (event.route_key, event.step)
            self._last[key] = max(self._last.get(key, 0), event.attempt or 0)

    def next_attempt(self, route_key: int, step: int) -> int:
        attempt = self._last.get((route_key, step), 0) + 1
        self._last[(route_key, step)] = attempt
        return attempt

    def added(self, event: StepEvent) -> None:
        self._events.append(event)

    def open_steps(self) -> list[int]:
        return [e.step for e in self._events if e.finished_at is None]


def finish_event(
    calendar: BusinessCalendar,
    event: StepEvent,
    now: datetime,
    *,
    outcome: StepOutcome,
    by: str,
    command: str,
    note: str,
    message_id: int | None,
    document_id: int | None,
) -> None:
    """Close a step event and fix its business time (docs/step-events.md)."""
    event.finished_at = now
    event.outcome = outcome
    event.finished_by = by
    event.command = command or None
    event.note = note or None
    event.source_message_id = message_id
    event.source_document_id = document_id
    event.business_seconds = calendar.business_seconds(event.started_at, now)
    if outcome is StepOutcome.CANCELLED:
        event.late_seconds, event.on_time = None, None
        return
    late = now > event.due_at
    event.late_seconds = calendar.business_seconds(event.due_at, now) if late else 0
    event.on_time = not late


class Transitions:
    def __init__(
        self,
        *,
        sop: Sop,
        calendar: BusinessCalendar,
        records: CaseRecords,
        actors: Actors,
        letters: StepLetters,
        mails: ConversationMails,
    ) -> None:
        self.sop = sop
        self.calendar = calendar
        self.records = records
        self.actors = actors
        self.letters = letters
        self.mails = mails

    def apply(
        self,
        session: Session,
        case: Case,
        transition: Transition,
        now: datetime,
        act: Act,
        rows: CaseRows | None = None,
    ) -> None:
        """Carry out `transition` in order: finish, update, routes, letters, system steps, starts,
        close, notices. `rows`: the case's events and routes as read under its lock in this
        transaction, when the caller holds them (the engine does, from the state it decided on):
        the routes are not read again, nor each new event's round number."""
        held = HeldEvents(rows.events) if rows is not None else None
        for finish in transition.finish:
            self._finish(session, finish, now, act)
        if transition.reopen:
            self._reopen(session, case, transition.reopen_reason, now, act)
        self._update_case(session, case, transition, now, act)
        routes = self._routes(session, case, transition.new_routes, now, rows.routes if rows else None)
        self._update_routes(session, transition, now)
        for letter in transition.letters:
            self.letters.make(
                session, case, letter, _route_row(letter.route, routes, session), list(routes.values()), now
            )
        for system_step in transition.system_steps:
            self._system_step(session, case, system_step, routes, now, act, held)
        for start in transition.start:
            self.start_step(session, case, start, routes, now, held)
        if transition.close is not None:
            self._close(session, case, transition.close, transition.close_reason, now, act)
        if transition.notify_complainant:
            attachments: Sequence[AttachmentRef] = ()
            if transition.notify_complainant == "answer":
                attachments, _ = self.letters.attachments(
                    session, case, None, (DocumentKind.SIGNED_RESPONSE,)
                )
            self.mails.complainant(
                session,
                case,
                transition.notify_complainant,
                now,
                reason=transition.close_reason,
                text=transition.answer_text,
                attachments=attachments,
                key=str(act.message_id or ""),
            )
        if transition.confirm and act.by != SYSTEM:
            self.mails.confirm(session, case, transition.confirm, act.by, act.message_id, now)
        # the open steps are read first: setting updated_at before would flush the case row
        # (and run its triggers) once for that query and again for current_step
        case.current_step = self._current_step(session, case, held)
        case.updated_at = now
        session.flush()

    # --- the case and its routes --------------------------------------------------------------------

    def _update_case(
        self, session: Session, case: Case, transition: Transition, now: datetime, act: Act
    ) -> None:
        if transition.set_suggested_opds is not None:
            case.suggested_opds = ",".join(transition.set_suggested_opds)
        special = transition.set_track is Track.SPECIAL
        changed = transition.set_track is not None and case.track != transition.set_track
        reason = transition.special_reason.strip()
        if special and (changed or reason):
            # why, who, when (a later KHUSUS with a reason replaces the reason: the last counts)
            case.special_reason = reason or case.special_reason
            case.special_by, case.special_at = act.by, now
        if changed and transition.set_track is not None:
            case.track = transition.set_track.value
        if changed or (special and reason):
            self.records.audit(
                session,
                now,
                act.by,
                "case.track",
                case_id=case.id,
                message_id=act.message_id,
                detail={"track": case.track, "reason": case.special_reason},
            )
        if transition.set_track is Track.SPECIAL or transition.recompute_due:
            self._recompute_due(session, case)

    def _recompute_due(self, session: Session, case: Case) -> None:
        """Open steps that have a special limit follow the case's track from their start."""
        track = Track(case.track)
        special = [s.number for s in self.sop.special_steps()]
        for event in self.records.open_events(session, case.id, special):
            event.track = track.value
            event.due_at = self.calendar.add(event.started_at, self.sop.step(event.step).limit_for(track))
            event.reminders_sent = 0

    def _routes(
        self,
        session: Session,
        case: Case,
        new: Sequence[str],
        now: datetime,
        known: Sequence[CaseRoute] | None = None,
    ) -> dict[str, CaseRoute]:
        rows = known if known is not None else self.records.routes(session, case)
        existing = {r.opd_code: r for r in rows}
        added = False
        for code in new:
            if code not in existing:
                route = CaseRoute(case_id=case.id, opd_code=code, status=RouteStatus.OPEN, created_at=now)
                session.add(route)
                existing[code] = route
                added = True
        if added:  # the new routes' ids are needed by the steps started on them
            session.flush()
        return existing

    def _update_routes(self, session: Session, transition: Transition, now: datetime) -> None:
        def route(route_id: int) -> CaseRoute:
            row = self.records.route(session, route_id)
            assert row is not None, f"unknown route {route_id}"
            return row

        for route_id, bidang, instruction in transition.route_bidang:
            route(route_id).bidang_code, route(route_id).instruction = bidang, instruction
        for route_id, response in transition.route_response:
            route(route_id).response_text = response
        for route_id in transition.route_done:
            route(route_id).status, route(route_id).finished_at = RouteStatus.DONE, now
        for route_id, status, note in transition.route_status:
            row = route(route_id)
            row.status = status
            row.finished_at = now if status is not RouteStatus.OPEN else None
            if note:
                row.note = note
            self.records.audit(
                session,
                now,
                SYSTEM,
                f"route.{status.value}",
                case_id=row.case_id,
                detail={"route": row.opd_code, "note": note},
            )

    def _reopen(self, session: Session, case: Case, reason: str, now: datetime, act: Act) -> None:
        """A closed case opens again as its next round (the steps it enters are new rounds)."""
        previous = case.status
        case.status, case.closed_at, case.round = CaseStatus.OPEN, None, (case.round or 1) + 1
        case.followup_asked_at = None
        self.records.audit(
            session,
            now,
            act.by,
            "case.reopened",
            case_id=case.id,
            message_id=act.message_id,
            detail={"round": case.round, "reason": reason, "was": previous},
        )

    def _close(
        self, session: Session, case: Case, status: CaseStatus, reason: str, now: datetime, act: Act
    ) -> None:
        case.status, case.closed_at, case.close_reason = status, now, reason or None
        for event in self.records.open_events(session, case.id):
            finish_event(
                self.calendar,
                event,
                now,
                outcome=StepOutcome.CANCELLED,
                by=act.by,
                command=act.command,
                note="",
                message_id=act.message_id,
                document_id=None,
            )
        for route in self.records.routes(session, case):
            if route.status == RouteStatus.OPEN:
                route.status = RouteStatus.CANCELLED
        self.records.audit(
            session,
            now,
            act.by,
            f"case.{status.value}",
            case_id=case.id,
            message_id=act.message_id,
            detail={"reason": reason},
        )

    def _current_step(self, session: Session, case: Case, known: HeldEvents | None = None) -> int | None:
        if case.status != CaseStatus.OPEN:
            return None
        if known is not None:
            steps = known.open_steps()
        else:
            steps = [e.step for e in self.records.open_events(session, case.id)]
        return min(steps) if steps else None

    # --- steps ----------------------------------------------------------------------------------------

    def _finish(self, session: Session, finish: Finish, now: datetime, act: Act) -> None:
        event = session.get(StepEvent, finish.event_id)
        assert event is not None and event.finished_at is None, "a step finishes once"
        finish_event(
            self.calendar,
            event,
            now,
            outcome=finish.outcome,
            by=act.by,
            command=finish.command or act.command,
            note=finish.note,
            message_id=act.message_id,
            document_id=act.document_id,
        )
        self.records.audit(
            session,
            now,
            act.by,
            "step.finished",
            case_id=event.case_id,
            message_id=act.message_id,
            document_id=act.document_id,
            detail={
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
        routes: dict[str, CaseRoute],
        now: datetime,
        act: Act,
        held: HeldEvents | None = None,
    ) -> None:
        """Started and finished now; its source is what caused it (the reply, the signed letter)."""
        route = _route_row(system_step.route, routes, session)
        definition = self.sop.step(system_step.step)
        holder = self.actors.holders(definition.actor, route)[0]
        # finished at once and named by no mail: its row goes with the next flush
        event = self._new_event(
            session, case, system_step.step, route, definition.actor, holder, now, held, flush=False
        )
        finish_event(
            self.calendar,
            event,
            now,
            outcome=StepOutcome.DONE,
            by=SYSTEM,
            command=SYSTEM,
            note="",
            message_id=act.message_id,
            document_id=act.document_id,
        )
        self.records.audit(
            session,
            now,
            SYSTEM,
            "step.system",
            case_id=case.id,
            detail={"step": system_step.step, "route": route.opd_code if route else None},
        )

    def start_step(
        self,
        session: Session,
        case: Case,
        start: Start,
        routes: dict[str, CaseRoute],
        now: datetime,
        held: HeldEvents | None = None,
    ) -> StepEvent:
        route = _route_row(start.route, routes, session)
        holders = self.actors.holders(start.role, route, start.bidang)
        event = self._new_event(session, case, start.step, route, start.role, holders[0], now, held)
        self.records.audit(
            session,
            now,
            SYSTEM,
            "step.started",
            case_id=case.id,
            detail={
                "step": start.step,
                "route": route.opd_code if route else None,
                "actor": holders[0].id,
                "due": event.due_at.isoformat(),
            },
        )
        # every route of the case is in `routes` (one per OPD, see _routes): no need to read them again
        every = sorted(routes.values(), key=lambda r: r.id)
        attachments, names = self.letters.attachments(session, case, route, start.attachments, every)
        for person in holders:
            self.mails.action(
                session, case, event, route, person, attachments, names, now, every, new_event=True
            )
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
        held: HeldEvents | None = None,
        *,
        flush: bool = True,
    ) -> StepEvent:
        track = Track(case.track)
        route_key = route.id if route else 0
        if held is not None:
            attempt = held.next_attempt(route_key, step)  # the event joins them below
        else:
            attempt = self.records.next_attempt(session, case.id, route_key, step)
        event = StepEvent(
            case_id=case.id,
            route_id=route.id if route else None,
            route_key=route_key,
            step=step,
            attempt=attempt,
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
        if held is not None:
            held.added(event)
        if flush:  # its id names the action mail (dedup key, step_event_id)
            session.flush()
        return event


def _route_row(ref: RouteRef | None, routes: dict[str, CaseRoute], session: Session) -> CaseRoute | None:
    if ref is None:
        return None
    if ref.opd_code in routes:
        return routes[ref.opd_code]
    row = session.get(CaseRoute, ref.route_id) if ref.route_id else None
    assert row is not None, f"unknown route {ref}"
    return row
