"""Read a case from the database into the domain's CaseState (and for people: its timeline)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, Complainant, StepEvent
from mailflow.domain.sop import Track
from mailflow.domain.workflow import CaseState, OpenStep, RouteState


def load_state(session: Session, case: Case) -> CaseState:
    events = session.execute(select(StepEvent).where(StepEvent.case_id == case.id)).scalars().all()
    routes = session.execute(select(CaseRoute).where(CaseRoute.case_id == case.id)).scalars().all()
    finished_by_route: dict[int, set[int]] = {}
    for event in events:
        if event.finished_at is not None and event.route_id is not None and event.outcome == "done":
            finished_by_route.setdefault(event.route_id, set()).add(event.step)
    complainant = session.get(Complainant, case.complainant_id) if case.complainant_id else None
    return CaseState(
        case_id=case.id,
        number=case.number,
        status=case.status,
        track=Track(case.track),
        suggested_opds=tuple(o for o in (case.suggested_opds or "").split(",") if o),
        routes=tuple(
            RouteState(
                r.id, r.opd_code, r.bidang_code, r.status, frozenset(finished_by_route.get(r.id, set()))
            )
            for r in routes
        ),
        open_steps=tuple(open_step(e) for e in events if e.finished_at is None),
        complainant_email=complainant.email
        if complainant and complainant.confidentiality != "anonim"
        else None,
    )


def open_step(event: StepEvent) -> OpenStep:
    return OpenStep(
        event_id=event.id,
        step=event.step,
        route_id=event.route_id,
        opd_code=event.opd_code,
        attempt=event.attempt,
        actor_person=event.actor_person,
        started_at=event.started_at,
        due_at=event.due_at,
    )
