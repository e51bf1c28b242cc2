"""The branches of the period (issue 13), per OPD and in total: misrouted dispositions, answers
sent back for revision, reopened cases, and the complainants' satisfaction.

Definitions (all from what the SOP file declares, never from step numbers):

* **misrouted**: a route step finished in the period with a command declared `route: returned`
  (BUKAN KEWENANGAN), counted for that step's OPD.
* **revision**: a round after the first of a revision step (the target of a `route: reopen`
  command, e.g. drafting the response) started in the period, when the route was not entered
  again (its first step) between the previous round and this one: a round that a reopened case
  or a re-routing started again from the route's first step is not a revision.
* **reopened**: a round after the first of a step the after-close commands reopen a case at
  (BUKA KEMBALI), started in the period: one per reopening.
* **satisfaction** and **resolved**: the complainants' answers (the last one per case and
  question counts) given in the period; the share is positive answers / answers. Per OPD, a case
  counts for every OPD whose route answered it (status done).

Kept apart from figures.py so that the report queries there stay as they are measured.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from mailflow.adapters.db.models import CaseAnswer, CaseRoute, StepEvent
from mailflow.domain.sop import Question, RouteEffect, Sop
from mailflow.domain.statuses import RouteStatus
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.model import Cell, Table, columns, share, t

Bounds = tuple[datetime, datetime]


@dataclass(frozen=True)
class Answers:
    answers: int = 0
    positive: int = 0

    @property
    def share(self) -> float | None:
        return self.positive / self.answers if self.answers else None


@dataclass(frozen=True)
class OpdBranches:
    opd_code: str
    misrouted: int = 0
    revisions: int = 0
    satisfaction: Answers = Answers()
    resolved: Answers = Answers()


@dataclass(frozen=True)
class BranchFigures:
    misrouted: int = 0
    revisions: int = 0
    reopened: int = 0
    satisfaction: Answers = Answers()
    resolved: Answers = Answers()
    opds: tuple[OpdBranches, ...] = field(default_factory=tuple)


def branch_figures(session: Session, sop: Sop, bounds: Bounds) -> BranchFigures:
    start, end = bounds
    misrouted = _misrouted(session, sop, start, end)
    revisions = _revisions(session, sop, start, end)
    reopened = _reopened(session, sop, start, end)
    totals, per_opd = _answers(session, start, end)
    codes = sorted(set(misrouted) | set(revisions) | {code for code, _ in per_opd})
    opds = tuple(
        OpdBranches(
            code,
            misrouted.get(code, 0),
            revisions.get(code, 0),
            per_opd.get((code, Question.SATISFACTION.value), Answers()),
            per_opd.get((code, Question.RESOLVED.value), Answers()),
        )
        for code in codes
    )
    return BranchFigures(
        misrouted=sum(misrouted.values()),
        revisions=sum(revisions.values()),
        reopened=reopened,
        satisfaction=totals.get(Question.SATISFACTION.value, Answers()),
        resolved=totals.get(Question.RESOLVED.value, Answers()),
        opds=opds,
    )


def _misrouted(session: Session, sop: Sop, start: datetime, end: datetime) -> dict[str, int]:
    pairs = [
        (step.number, rule.verb.value)
        for step in sop.steps
        for rule in step.commands
        if rule.route is RouteEffect.RETURNED
    ]
    if not pairs:
        return {}
    matches = [and_(StepEvent.step == number, StepEvent.command == verb) for number, verb in pairs]
    rows = session.execute(
        select(StepEvent.opd_code, func.count())
        .where(StepEvent.finished_at >= start, StepEvent.finished_at < end, or_(*matches))
        .group_by(StepEvent.opd_code)
    ).all()
    return {str(code): int(count) for code, count in rows if code}


def _revisions(session: Session, sop: Sop, start: datetime, end: datetime) -> dict[str, int]:
    revision_steps = [s.number for s in sop.revision_steps()]
    route_steps = sop.route_steps()
    if not revision_steps or not route_steps:
        return {}
    previous, entry = aliased(StepEvent), aliased(StepEvent)
    # the round before this one on the same route (joined below), and no entry into the route
    # (its first step) between the two rounds: a round that a reopened case or a re-routing
    # started again from the route's first step is no revision
    entered_between = (
        select(entry.id)
        .where(
            entry.route_id == StepEvent.route_id,
            entry.step == route_steps[0].number,
            entry.started_at > previous.started_at,
            entry.started_at <= StepEvent.started_at,
        )
        .correlate(StepEvent, previous)
    )
    started: Any = StepEvent.started_at
    if session.get_bind().dialect.name == "sqlite":
        # an expression, not the column: SQLite (no statistics) would otherwise read every round
        # of the period through (step, started_at) and the table, rather than only the later
        # rounds (attempt > 1) from the covering (step, attempt, ...) index
        started = func.coalesce(StepEvent.started_at, StepEvent.started_at)
    rows = session.execute(
        select(StepEvent.opd_code, func.count())
        .join(
            previous,
            and_(
                previous.route_id == StepEvent.route_id,
                previous.step == StepEvent.step,
                previous.attempt == StepEvent.attempt - 1,
            ),
        )
        .where(
            StepEvent.step.in_(revision_steps),
            StepEvent.attempt > 1,  # implied by the join; lets the index skip every first round
            started >= start,
            started < end,
            ~entered_between.exists(),
        )
        .group_by(StepEvent.opd_code)
    ).all()
    return {str(code): int(count) for code, count in rows if code}


def _reopened(session: Session, sop: Sop, start: datetime, end: datetime) -> int:
    steps = [s.number for s in sop.reopen_steps()]
    if not steps:
        return 0
    count = session.execute(
        select(func.count()).where(
            StepEvent.step.in_(steps),
            StepEvent.route_key == 0,
            StepEvent.attempt > 1,
            StepEvent.started_at >= start,
            StepEvent.started_at < end,
        )
    ).scalar_one()
    return int(count)


def _answers(
    session: Session, start: datetime, end: datetime
) -> tuple[dict[str, Answers], dict[tuple[str, str], Answers]]:
    in_period = (CaseAnswer.answered_at >= start, CaseAnswer.answered_at < end)
    totals: dict[str, Answers] = {}
    for question, positive, count in session.execute(
        select(CaseAnswer.question, CaseAnswer.positive, func.count())
        .where(*in_period)
        .group_by(CaseAnswer.question, CaseAnswer.positive)
    ).all():
        before = totals.get(question, Answers())
        totals[question] = Answers(before.answers + count, before.positive + (count if positive else 0))
    per_opd: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for code, question, positive, count in session.execute(
        select(CaseRoute.opd_code, CaseAnswer.question, CaseAnswer.positive, func.count())
        .join(CaseRoute, CaseRoute.case_id == CaseAnswer.case_id)
        .where(*in_period, CaseRoute.status == RouteStatus.DONE.value)
        .group_by(CaseRoute.opd_code, CaseAnswer.question, CaseAnswer.positive)
    ).all():
        cell = per_opd[(code, question)]
        cell[0] += count
        cell[1] += count if positive else 0
    return totals, {key: Answers(a, p) for key, (a, p) in per_opd.items()}


# --- tables ---------------------------------------------------------------------------------------


def compute_branches(ctx: ReportContext, bounds: Bounds) -> BranchFigures:
    with ctx.database.reader() as session:
        return branch_figures(session, ctx.sop, bounds)


def branch_tables(ctx: ReportContext, figures: BranchFigures) -> tuple[Table, ...]:
    """The period's branches in total (one record) and per OPD."""
    lang = ctx.lang
    summary_cols = columns(
        lang,
        ("misrouted", "int", 12), ("revisions", "int", 12), ("reopened", "int", 12),
        ("satisfaction_answers", "int", 12), ("satisfied_share", "percent", 12),
        ("resolved_answers", "int", 12), ("resolved_share", "percent", 12),
    )  # fmt: skip
    summary: tuple[Cell, ...] = (
        figures.misrouted,
        figures.revisions,
        figures.reopened,
        figures.satisfaction.answers,
        figures.satisfaction.share,
        figures.resolved.answers,
        figures.resolved.share,
    )
    opd_cols = columns(
        lang,
        ("opd_code", "text", 12), ("opd_name", "text", 32), ("misrouted", "int", 11),
        ("revisions", "int", 11), ("satisfaction_answers", "int", 11), ("satisfied_share", "percent", 11),
        ("resolved_answers", "int", 11), ("resolved_share", "percent", 11),
    )  # fmt: skip
    rows = tuple(
        (
            item.opd_code,
            ctx.opd_name(item.opd_code),
            item.misrouted,
            item.revisions,
            item.satisfaction.answers,
            share(item.satisfaction.positive, item.satisfaction.answers),
            item.resolved.answers,
            share(item.resolved.positive, item.resolved.answers),
        )
        for item in figures.opds
    )
    return (
        Table(
            key=t("sheet.branches", lang),
            title=t("table.branches", lang),
            columns=summary_cols,
            rows=(summary,),
            note=t("note.branches", lang),
            vertical=True,
        ),
        Table(
            key=t("sheet.branches_opd", lang),
            title=t("table.branches_opd", lang),
            columns=opd_cols,
            rows=rows,
            empty=t("empty", lang),
        ),
    )
