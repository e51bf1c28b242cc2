"""Laporan Rekapitulasi Aduan Perbulan: the month's figures per step, per OPD, per category and
channel, and the steps still overdue at the end of the month."""

from __future__ import annotations

from mailflow.domain.periods import Period
from mailflow.services.reports.branches import branch_tables, compute_branches
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.day_counts import refresh_day_counts
from mailflow.services.reports.figures import compute_figures, refresh_route_sums
from mailflow.services.reports.model import Report, t
from mailflow.services.reports.special import special_cases, special_table
from mailflow.services.reports.tables import standard_tables


def build_monthly(ctx: ReportContext, period: Period) -> Report:
    refresh_route_sums(ctx.database)  # keeps the part computed on the fly small (figures.route_sums)
    refresh_day_counts(ctx.database, ctx.zone, around=ctx.now)  # the same for the day counts
    with ctx.database.reader() as session:
        figures = compute_figures(session, period, now=ctx.now, calendar=ctx.calendar, sop=ctx.sop)
        special = special_cases(session, period.bounds(ctx.zone))
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
            special_table(ctx, special),
        ),
        lang=ctx.lang,
        landscape=True,
    )
