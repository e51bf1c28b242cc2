"""Laporan Identifikasi Permasalahan Aduan Perhari: the complaints received on one day, their
problem, category, OPD and status, with counts per category and channel, and the mails the
inbox rules ignored that day (services/reports/ignored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case
from mailflow.domain.periods import Period
from mailflow.services.ingest.ignored import ignored_mails
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.figures import Bounds, in_bounds, received_counts
from mailflow.services.reports.ignored import ignored_table
from mailflow.services.reports.model import Report, Table, columns, t
from mailflow.services.reports.special import routed_opds, special_cases, special_table
from mailflow.services.reports.tables import category_name, channel_name, counts_table


def build_daily(ctx: ReportContext, period: Period) -> Report:
    bounds = period.bounds(ctx.zone)
    with ctx.database.reader() as session:
        complaints = cases_received(session, bounds)
        categories, channels = received_counts(session, bounds)
        ignored = ignored_mails(session, since=bounds[0], until=bounds[1])
        special = special_cases(session, bounds)
    total = len(complaints)
    return Report(
        kind="daily",
        title=t("title.daily", ctx.lang),
        period=period,
        period_label=period.label(ctx.lang),
        generated_at=ctx.now,
        as_of=ctx.now,  # the status column is today's status
        tables=(
            complaints_table(ctx, complaints),
            counts_table(ctx, categories, total, what="categories"),
            counts_table(ctx, channels, total, what="channels"),
            special_table(ctx, special),
            ignored_table(ctx, ignored),
        ),
        lang=ctx.lang,
        landscape=True,
    )


def complaints_table(ctx: ReportContext, complaints: tuple[CaseRow, ...]) -> Table:
    lang = ctx.lang
    cols = columns(
        lang,
        ("no", "int", 6), ("number", "text", 18), ("received_at", "datetime", 19), ("channel", "text", 12),
        ("problem", "text", 48), ("category", "text", 18), ("opd", "text", 20), ("status", "text", 22),
    )  # fmt: skip
    rows = tuple(
        (
            index,
            row.number,
            row.received_at,
            channel_name(row.channel, lang),
            row.summary or row.subject,
            category_name(row.category, lang),
            opd_text(ctx, row),
            status_text(row, lang),
        )
        for index, row in enumerate(complaints, start=1)
    )
    return Table(
        key=t("sheet.complaints", lang),
        title=t("table.complaints", lang),
        columns=cols,
        rows=rows,
        empty=t("empty", lang),
    )


def opd_text(ctx: ReportContext, row: CaseRow) -> str:
    if not row.opd_codes:
        return t("opd.none", ctx.lang)
    names = ", ".join(ctx.opd_short(code) for code in row.opd_codes)
    return names if row.routed else t("opd.suggested", ctx.lang, codes=names)


def status_text(row: CaseRow, lang: str) -> str:
    if row.status == "closed":
        return t("status.closed", lang)
    if row.status == "rejected":
        return t("status.rejected", lang)
    if row.current_step:
        return t("status.open", lang, step=row.current_step)
    return t("status.open_nostep", lang)


@dataclass(frozen=True)
class CaseRow:
    """One complaint for the daily problem-identification list."""

    id: int
    number: str
    received_at: datetime
    channel: str
    subject: str
    summary: str
    category: str | None
    status: str
    current_step: int | None
    track: str
    opd_codes: tuple[str, ...]  # routed OPDs, else the suggested ones
    routed: bool


def cases_received(session: Session, bounds: Bounds, *, limit: int = 5000) -> tuple[CaseRow, ...]:
    """The complaints received in the period, in order of arrival, with their OPDs."""
    rows = session.execute(
        select(
            Case.id,
            Case.number,
            Case.received_at,
            Case.channel,
            Case.subject,
            Case.summary,
            Case.category,
            Case.status,
            Case.current_step,
            Case.track,
            Case.suggested_opds,
        )
        .where(in_bounds(Case.received_at, bounds))
        .order_by(Case.received_at, Case.id)
        .limit(limit)
    ).all()
    routes = routed_opds(session, [row.id for row in rows])
    result = []
    for row in rows:
        routed = tuple(routes.get(row.id, ()))
        suggested = tuple(c.strip() for c in (row.suggested_opds or "").split(",") if c.strip())
        result.append(
            CaseRow(
                id=row.id,
                number=row.number,
                received_at=row.received_at,
                channel=row.channel,
                subject=row.subject or "",
                summary=row.summary or "",
                category=row.category,
                status=row.status,
                current_step=row.current_step,
                track=row.track,
                opd_codes=routed or suggested,
                routed=bool(routed),
            )
        )
    return tuple(result)
