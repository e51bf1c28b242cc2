"""Laporan Rekapitulasi Aduan Perbulan: the month's figures per step, per OPD, per category and
channel, and the steps still overdue at the end of the month."""

from __future__ import annotations

from mailflow.domain.periods import Period
from mailflow.services.reports.branches import branch_tables, compute_branches
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.figures import compute_figures
from mailflow.services.reports.model import Report, t
from mailflow.services.reports.tables import standard_tables


def build_monthly(ctx: ReportContext, period: Period) -> Report:
    with ctx.database.reader() as session:
        figures = compute_figures(session, period, now=ctx.now, calendar=ctx.calendar, sop=ctx.sop)
    return Report(
        kind="monthly",
        title=t("title.monthly", ctx.lang),
        period=period,
        period_label=period.label(ctx.lang),
        generated_at=ctx.now,
        as_of=figures.as_of,
        tables=(
            *standard_tables(ctx, figures),
            *branch_tables(ctx, compute_branches(ctx, period.bounds(ctx.zone))),
        ),
        lang=ctx.lang,
        landscape=True,
    )
