"""What every part of the conversation engine shares: its configuration and collaborators,
the audit log, the outbox, and small helpers over step events and routes."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import AuditEntry, Case, CaseRoute, Document, StepEvent
from mailflow.config.model import Settings
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.mail import OutgoingMail
from mailflow.domain.sop import Sop
from mailflow.domain.workflow import (
    RouteRef,
)
from mailflow.services import outbox
from mailflow.services.action_mails import MailComposer

log = logging.getLogger("mailflow.services.engine")
SYSTEM = "system"
SUMMARY_LIMIT = 2000


class LetterMaker(Protocol):
    """The letters service (mailflow.services.letters) as the engine uses it."""

    def create(
        self,
        session: Session,
        kind: DocumentKind,
        case: Case,
        route: CaseRoute | None,
        audience: Audience,
        now: datetime,
        extra: Mapping[str, Any],
    ) -> Document: ...


@dataclass(frozen=True)
class Act:
    """Who or what caused a transition, for the finished rows and the audit log."""

    by: str = SYSTEM  # the acting address, or "system"
    command: str = ""
    message_id: int | None = None
    document_id: int | None = None


class EngineState:
    """The engine's collaborators; the mixins below and Engine itself build on them."""

    settings: Settings
    sop: Sop
    calendar: BusinessCalendar
    directory: Directory
    composer: MailComposer
    letters: LetterMaker | None
    mail_domain: str

    def queue(self, session: Session, mail: OutgoingMail, now: datetime) -> None:
        outbox.queue(session, mail, now=now, domain=self.mail_domain)

    def _audit(
        self,
        session: Session,
        now: datetime,
        act: Act,
        action: str,
        case_id: int | None,
        detail: Mapping[str, Any],
    ) -> None:
        session.add(
            AuditEntry(
                at=now,
                actor=act.by,
                action=action,
                case_id=case_id,
                message_id=act.message_id,
                document_id=act.document_id,
                detail=json.dumps(detail, ensure_ascii=False),
            )
        )


# --- helpers shared with the reply processor and reminders -------------------------------------


def finish_event(
    calendar: BusinessCalendar,
    event: StepEvent,
    now: datetime,
    *,
    outcome: str,
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
    if outcome == "cancelled":
        event.late_seconds, event.on_time = None, None
        return
    late = now > event.due_at
    event.late_seconds = calendar.business_seconds(event.due_at, now) if late else 0
    event.on_time = not late


def lock_case(session: Session, case_id: int | None) -> Case:
    """The case row, locked for this transaction on PostgreSQL (SQLite's writer lock covers it)."""
    return session.execute(select(Case).where(Case.id == case_id).with_for_update()).scalar_one()


def open_events(session: Session, case: Case) -> list[StepEvent]:
    return list(
        session.execute(
            select(StepEvent).where(StepEvent.case_id == case.id, StepEvent.finished_at.is_(None))
        ).scalars()
    )


def current_step_of(session: Session, case: Case) -> int | None:
    if case.status != "open":
        return None
    steps = [e.step for e in open_events(session, case)]
    return min(steps) if steps else None


def route_row(ref: RouteRef | None, routes: Mapping[str, CaseRoute], session: Session) -> CaseRoute | None:
    if ref is None:
        return None
    if ref.opd_code in routes:
        return routes[ref.opd_code]
    row = session.get(CaseRoute, ref.route_id) if ref.route_id else None
    assert row is not None, f"unknown route {ref}"
    return row
