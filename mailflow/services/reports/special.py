"""The complaints put on the special track (KHUSUS: field review, cross-sector coordination) in the
period, with the reason given, who gave it and when (issue 14).

A case counts in the period its special track was declared in (`cases.special_at`); a case put on
the track before that column existed has no date and is listed by the day it was received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.figures import Bounds, in_bounds
from mailflow.services.reports.model import Table, columns, t


@dataclass(frozen=True)
class SpecialRow:
    number: str
    received_at: datetime
    special_at: datetime | None
    special_by: str | None
    reason: str | None
    opd_codes: tuple[str, ...]


def routed_opds(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    """The OPD codes each case was routed to, in routing order (read in chunks of 500 ids)."""
    routes: dict[int, list[str]] = {}
    for chunk in range(0, len(case_ids), 500):
        stmt = (
            select(CaseRoute.case_id, CaseRoute.opd_code)
            .where(CaseRoute.case_id.in_(case_ids[chunk : chunk + 500]))
            .order_by(CaseRoute.case_id, CaseRoute.id)
        )
        for case_id, code in session.execute(stmt):
            routes.setdefault(case_id, []).append(code)
    return routes


def special_cases(session: Session, bounds: Bounds, *, limit: int = 5000) -> tuple[SpecialRow, ...]:
    """The cases whose special track was declared in the period, in that order."""
    rows = session.execute(
        select(Case.id, Case.number, Case.received_at, Case.special_at, Case.special_by, Case.special_reason)
        .where(
            Case.track == "special",
            or_(
                in_bounds(Case.special_at, bounds),
                and_(Case.special_at.is_(None), in_bounds(Case.received_at, bounds)),
            ),
        )
        .order_by(Case.special_at, Case.received_at, Case.id)
        .limit(limit)
    ).all()
    routes = routed_opds(session, [row.id for row in rows])
    return tuple(
        SpecialRow(
            number=row.number,
            received_at=row.received_at,
            special_at=row.special_at,
            special_by=row.special_by,
            reason=row.special_reason,
            opd_codes=tuple(routes.get(row.id, ())),
        )
        for row in rows
    )


def special_table(ctx: ReportContext, cases: tuple[SpecialRow, ...]) -> Table:
    lang = ctx.lang
    cols = columns(
        lang,
        ("no", "int", 6), ("number", "text", 18), ("received_at", "datetime", 19),
        ("special_at", "datetime", 19), ("opd", "text", 20), ("special_by", "text", 28),
        ("reason", "text", 48),
    )  # fmt: skip
    rows = tuple(
        (
            index,
            row.number,
            row.received_at,
            row.special_at,
            ", ".join(ctx.opd_short(code) for code in row.opd_codes) or t("opd.none", lang),
            _who(ctx, row.special_by),
            row.reason or t("special.no_reason", lang),
        )
        for index, row in enumerate(cases, start=1)
    )
    return Table(
        key=t("sheet.special", lang),
        title=t("table.special", lang),
        columns=cols,
        rows=rows,
        empty=t("empty", lang),
    )


def _who(ctx: ReportContext, address: str | None) -> str:
    """The official's name and address when the directory knows them, else the address."""
    if not address:
        return ""
    person = ctx.directory.person_by_email(address)
    return f"{person.name} <{address}>" if person is not None else address
