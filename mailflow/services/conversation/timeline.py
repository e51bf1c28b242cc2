"""Case listings and one case's timeline, for `mailflow cases` and `mailflow case <number>`.

A step done more than once (a misrouted disposition, an answer sent back, a reopened case) shows
one row per round (`attempt`), with the note its command gave. The complainant's replies and
answers follow the steps.

A signature step's row also lists the signed PDFs refused for its route while it was open (returned_files
rows naming that route), so a refusal is visible where the case waits, not only in quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import (
    Case,
    CaseAnswer,
    ComplainantReply,
    Document,
    Message,
    ReturnedFile,
    StepEvent,
)
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.directory import Directory
from mailflow.domain.sop import Sop, Track


@dataclass(frozen=True)
class RefusedFile:
    """A returned PDF refused while a signature step waited for it."""

    at: datetime
    code: str  # domain.signatures reason code
    reason: str  # the reason as the sender was told (settings language)
    file: str  # the sender's file name, as given (escape it before showing)
    source: str  # mail / folder
    sender: str | None
    sha256: str


@dataclass(frozen=True)
class StepRow:
    step: int
    name: str
    opd: str | None
    actor_role: str
    actor: str
    started: datetime
    due: datetime
    finished: datetime | None
    business_seconds: int
    limit: str
    outcome: str | None  # done/rejected/cancelled, None while open
    on_time: bool | None
    late_seconds: int
    finished_by: str | None
    command: str | None
    source: str | None
    refusals: tuple[RefusedFile, ...] = ()
    attempt: int = 1  # the round of this step (a step entered again: 2, 3, ...)
    note: str | None = None  # the reason or note the command gave (a decline, a return)


@dataclass(frozen=True)
class ReplyRow:
    """Something the complainant wrote about the case (a reply token proved it is theirs)."""

    at: datetime
    round: int
    after_close: bool
    answer: str | None  # PUAS, BELUM, ... when it answered a question
    text: str  # as written (escape it before showing)
    attachments: int


@dataclass(frozen=True)
class AnswerRow:
    question: str  # satisfaction / resolved
    answer: str
    positive: bool
    comment: str | None
    at: datetime
    changes: int


@dataclass(frozen=True)
class CaseSummary:
    number: str
    subject: str
    status: str
    received: datetime
    current_step: int | None
    track: str
    overdue: bool
    opds: str


def list_cases(
    session: Session, now: datetime, *, only_open: bool = False, only_overdue: bool = False, limit: int = 500
) -> list[CaseSummary]:
    query = select(Case).order_by(Case.received_at.desc()).limit(limit)
    if only_open or only_overdue:
        query = query.where(Case.status == "open")
    overdue_cases = set(
        session.execute(
            select(StepEvent.case_id).where(StepEvent.finished_at.is_(None), StepEvent.due_at < now)
        ).scalars()
    )
    if only_overdue:
        query = query.where(Case.id.in_(overdue_cases))
    result = []
    for case in session.execute(query).scalars():
        result.append(
            CaseSummary(
                number=case.number,
                subject=case.subject,
                status=case.status,
                received=case.received_at,
                current_step=case.current_step,
                track=case.track,
                overdue=case.id in overdue_cases,
                opds=", ".join(r.opd_code for r in case.routes) or (case.suggested_opds or ""),
            )
        )
    return result


def timeline(
    session: Session,
    case: Case,
    sop: Sop,
    calendar: BusinessCalendar,
    directory: Directory,
    now: datetime,
    lang: str,
) -> list[StepRow]:
    rows = []
    events = session.execute(
        select(StepEvent)
        .where(StepEvent.case_id == case.id)
        .order_by(StepEvent.step, StepEvent.route_key, StepEvent.attempt)
    ).scalars()
    for event in events:
        definition = sop.step(event.step)
        actor = event.actor_person or event.actor_role
        try:
            person = directory.person(actor)
            actor = person.name
        except KeyError:
            pass
        finished = event.finished_at
        taken = event.business_seconds if finished else calendar.business_seconds(event.started_at, now)
        late = event.late_seconds or 0
        if finished is None and now > event.due_at:
            late = calendar.business_seconds(event.due_at, now)
        source = None
        if event.source_message_id:
            message = session.get(Message, event.source_message_id)
            source = message.message_id if message else None
        elif event.source_document_id:
            document = session.get(Document, event.source_document_id)
            source = document.doc_uid if document else None
        rows.append(
            StepRow(
                step=event.step,
                name=definition.name.get(lang),
                opd=event.opd_code,
                actor_role=event.actor_role,
                actor=actor,
                started=event.started_at,
                due=event.due_at,
                finished=finished,
                business_seconds=taken or 0,
                limit=definition.limit_for(Track(event.track)).format(lang),
                outcome=event.outcome,
                on_time=event.on_time,
                late_seconds=late,
                finished_by=event.finished_by,
                command=event.command,
                source=source,
                refusals=refused_files(session, event) if definition.waits_for_signature else (),
                attempt=event.attempt,
                note=event.note,
            )
        )
    return rows


def complainant_replies(session: Session, case: Case) -> list[ReplyRow]:
    query = select(ComplainantReply).where(ComplainantReply.case_id == case.id).order_by(ComplainantReply.id)
    return [
        ReplyRow(r.received_at, r.round, r.after_close, r.verb, r.text, r.attachments)
        for r in session.execute(query).scalars()
    ]


def answers(session: Session, case: Case) -> list[AnswerRow]:
    query = select(CaseAnswer).where(CaseAnswer.case_id == case.id).order_by(CaseAnswer.question)
    return [
        AnswerRow(a.question, a.verb, a.positive, a.comment, a.answered_at, a.changes)
        for a in session.execute(query).scalars()
    ]


def refused_files(session: Session, event: StepEvent) -> tuple[RefusedFile, ...]:
    """The files refused for `event`'s route between its start and its end (or now)."""
    if event.route_id is None:
        return ()
    query = select(ReturnedFile).where(
        ReturnedFile.route_id == event.route_id,
        ReturnedFile.status == "rejected",
        ReturnedFile.created_at >= event.started_at,
    )
    if event.finished_at is not None:
        query = query.where(ReturnedFile.created_at <= event.finished_at)
    found = []
    for row in session.execute(query.order_by(ReturnedFile.created_at, ReturnedFile.id)).scalars():
        code, _, reason = (row.reason or "").partition(": ")
        found.append(
            RefusedFile(
                at=row.processed_at or row.created_at,
                code=code,
                reason=reason,
                file=row.original_name or "-",
                source=row.source,
                sender=row.sender,
                sha256=row.sha256,
            )
        )
    return tuple(found)


def documents(session: Session, case: Case) -> list[Document]:
    return list(
        session.execute(select(Document).where(Document.case_id == case.id).order_by(Document.id)).scalars()
    )
