"""The case aggregate in the database: the one place the conversation's recurring queries live.

A case, its routes (one per OPD), its step events and its letters are read and locked here, and
every audit row of the conversation is written here; the other parts of the engine ask this seam
instead of building their own queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, Complainant, Document, StepEvent
from mailflow.domain.documents import DocumentKind
from mailflow.domain.sop import Track
from mailflow.domain.statuses import RouteStatus, StepOutcome
from mailflow.domain.workflow import CaseState, OpenStep, RouteState
from mailflow.services.audit import audit

SYSTEM = "system"


@dataclass(frozen=True)
class CaseRows:
    """A case's step events, routes (in id order) and complainant, as read in one transaction."""

    events: list[StepEvent]
    routes: list[CaseRoute]
    complainant: Complainant | None


class CaseRecords:
    """Reads and writes of the case aggregate, inside the caller's transaction."""

    # --- the case ---------------------------------------------------------------------------------

    @staticmethod
    def lock(session: Session, case_id: int | None) -> Case:
        """The case row, locked for this transaction on PostgreSQL (SQLite's writer lock covers it)."""
        return session.execute(select(Case).where(Case.id == case_id).with_for_update()).scalar_one()

    @staticmethod
    def lock_or_none(session: Session, case_id: int | None) -> Case | None:
        """`lock`, or None when there is no such case."""
        query = select(Case).where(Case.id == case_id).with_for_update()
        return session.execute(query).scalar_one_or_none()

    @staticmethod
    def by_number(session: Session, number: str) -> Case | None:
        return session.execute(select(Case).where(Case.number == number)).scalar_one_or_none()

    @staticmethod
    def complainant(session: Session, case: Case) -> Complainant | None:
        return session.get(Complainant, case.complainant_id) if case.complainant_id else None

    def rows(self, session: Session, case: Case) -> CaseRows:
        """The rows `state` is built from. A caller that keeps them referenced while it carries a
        decision out finds them again in the session (SQLAlchemy's identity map holds rows only
        weakly: dropped, a later `session.get` of the same event or complainant queries again)."""
        complainant = self.complainant(session, case)
        return CaseRows(self.events(session, case), self.routes(session, case), complainant)

    def state(self, session: Session, case: Case, rows: CaseRows | None = None) -> CaseState:
        """The case as the pure workflow sees it (from `rows`, when the caller read them)."""
        rows = rows if rows is not None else self.rows(session, case)
        events, routes, complainant = rows.events, rows.routes, rows.complainant
        finished: dict[int, set[int]] = {}
        rounds: dict[int, list[tuple[int, int, datetime]]] = {}
        for event in events:
            if event.route_id is not None:
                rounds.setdefault(event.route_id, []).append((event.step, event.attempt, event.started_at))
            if (
                event.finished_at is not None
                and event.route_id is not None
                and event.outcome == StepOutcome.DONE
            ):
                finished.setdefault(event.route_id, set()).add(event.step)
        return CaseState(
            case_id=case.id,
            number=case.number,
            status=case.status,
            track=Track(case.track),
            suggested_opds=suggested_opds(case),
            routes=tuple(
                RouteState(
                    r.id,
                    r.opd_code,
                    r.bidang_code,
                    r.status,
                    frozenset(finished.get(r.id, set())),
                    r.note,
                    tuple(sorted(rounds.get(r.id, []))),
                )
                for r in routes
            ),
            open_steps=tuple(open_step(e) for e in events if e.finished_at is None),
            complainant_email=complainant.email
            if complainant and complainant.confidentiality != "anonim"
            else None,
            round=case.round or 1,
        )

    # --- step events ------------------------------------------------------------------------------

    @staticmethod
    def events(session: Session, case: Case) -> list[StepEvent]:
        return list(session.execute(select(StepEvent).where(StepEvent.case_id == case.id)).scalars())

    @staticmethod
    def open_events(session: Session, case_id: int, steps: Sequence[int] | None = None) -> list[StepEvent]:
        """The case's open step events (of `steps` only, when given), in step order."""
        query = select(StepEvent).where(StepEvent.case_id == case_id, StepEvent.finished_at.is_(None))
        if steps is not None:
            query = query.where(StepEvent.step.in_(list(steps)))
        return list(session.execute(query.order_by(StepEvent.step, StepEvent.route_key)).scalars())

    @staticmethod
    def event(session: Session, case_id: int, route_key: int, step: int, attempt: int) -> StepEvent | None:
        return session.execute(
            select(StepEvent).where(
                StepEvent.case_id == case_id,
                StepEvent.route_key == route_key,
                StepEvent.step == step,
                StepEvent.attempt == attempt,
            )
        ).scalar_one_or_none()

    @staticmethod
    def latest_event(session: Session, case_id: int) -> StepEvent | None:
        query = select(StepEvent).where(StepEvent.case_id == case_id).order_by(StepEvent.id.desc())
        return session.execute(query).scalars().first()

    @staticmethod
    def next_attempt(session: Session, case_id: int, route_key: int, step: int) -> int:
        """The round number of the next event of `step` on that route (1 for the first)."""
        previous = session.execute(
            select(func.max(StepEvent.attempt)).where(
                StepEvent.case_id == case_id, StepEvent.route_key == route_key, StepEvent.step == step
            )
        ).scalar_one_or_none()
        return (previous or 0) + 1

    @staticmethod
    def open_on_route(session: Session, route_id: int, steps: Sequence[int]) -> list[StepEvent]:
        return list(
            session.execute(
                select(StepEvent).where(
                    StepEvent.route_id == route_id,
                    StepEvent.step.in_(list(steps)),
                    StepEvent.finished_at.is_(None),
                )
            ).scalars()
        )

    # --- routes -----------------------------------------------------------------------------------

    @staticmethod
    def routes(session: Session, case: Case) -> list[CaseRoute]:
        return list(
            session.execute(
                select(CaseRoute).where(CaseRoute.case_id == case.id).order_by(CaseRoute.id)
            ).scalars()
        )

    @staticmethod
    def route(session: Session, route_id: int | None) -> CaseRoute | None:
        return session.get(CaseRoute, route_id) if route_id is not None else None

    def route_of(self, session: Session, event: StepEvent) -> CaseRoute | None:
        return self.route(session, event.route_id)

    # --- letters ----------------------------------------------------------------------------------

    @staticmethod
    def letters(session: Session, case: Case, kind: DocumentKind) -> list[Document]:
        """The case's letters of `kind`, newest first."""
        query = select(Document).where(Document.case_id == case.id, Document.kind == kind.value)
        return list(session.execute(query.order_by(Document.id.desc())).scalars())

    def letter_for(
        self,
        session: Session,
        case: Case,
        route: CaseRoute | None,
        kind: DocumentKind,
        routes: Sequence[CaseRoute] | None = None,
    ) -> list[Document]:
        """The letters of `kind` a step of `route` (or of the whole case) carries: every signed
        response of the case, else the newest letter of the route, else the newest case-wide one.
        `routes`: every route of the case, when the caller holds them (not read again then)."""
        rows = self.letters(session, case, kind)
        if kind is DocumentKind.SIGNED_RESPONSE:
            # the newest signed version per route: a letter revised and signed again replaces
            # the one signed before, and a route that was returned sent none
            newest: dict[int | None, Document] = {}
            for row in rows:
                newest.setdefault(row.route_id, row)
            every = routes if routes is not None else self.routes(session, case)
            status = {r.id: r.status for r in every}
            kept = [
                d
                for d in newest.values()
                if d.route_id is None or status.get(d.route_id) != RouteStatus.RETURNED
            ]
            return sorted(kept, key=lambda d: d.id)
        if route is not None:
            for row in rows:
                if row.route_id == route.id:
                    return [row]
        for row in rows:
            if row.route_id is None:
                return [row]
        return []

    # --- audit ------------------------------------------------------------------------------------

    @staticmethod
    def audit(
        session: Session,
        now: datetime,
        actor: str,
        action: str,
        *,
        case_id: int | None = None,
        message_id: int | None = None,
        document_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """One audit row: who (an address or "system") did what, from which message or document."""
        audit(
            session,
            now,
            actor,
            action,
            case_id=case_id,
            message_id=message_id,
            document_id=document_id,
            detail=detail,
        )


def suggested_opds(case: Case) -> tuple[str, ...]:
    return tuple(code for code in (case.suggested_opds or "").split(",") if code)


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
