"""Laporan Pengelolaan Pengaduan Per Tahun: the year month by month, per step, per OPD, per
category and channel, and what is still overdue at the end of the year."""

from __future__ import annotations

from mailflow.adapters.db.fanout import fanout
from mailflow.adapters.db.models import Case
from mailflow.domain.periods import Period
from mailflow.services.reports.branches import branch_tables, compute_branches
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.day_counts import refresh_day_counts
from mailflow.services.reports.figures import (
    Key,
    Timing,
    case_timing_and_buckets,
    cases_by_bucket,
    compute_figures,
    refresh_route_sums,
)
from mailflow.services.reports.model import Cell, Report, Table, columns, t
from mailflow.services.reports.tables import standard_tables


def build_yearly(ctx: ReportContext, period: Period) -> Report:
    refresh_route_sums(ctx.database)  # keeps the part computed on the fly small (figures.route_sums)
    refresh_day_counts(ctx.database, ctx.zone, around=ctx.now)  # the same for the day counts
    months = period.months()
    buckets = [m.bounds(ctx.zone) for m in months]
    bounds = period.bounds(ctx.zone)
    with ctx.database.reader() as session, fanout(ctx.database, session, ctx.readers) as fan:
        timing = fan.submit(lambda s: case_timing_and_buckets(s, bounds, buckets))
        received = fan.submit(lambda s: cases_by_bucket(s, Case.received_at, buckets))
        figures = compute_figures(
            session,
            period,
            now=ctx.now,
            calendar=ctx.calendar,
            sop=ctx.sop,
            cases_timing=timing.then(lambda found: found[0]),
            fan=fan,
        )
        finished = timing.result()[1]
        received_per_month = received.result()
    summary, *rest = standard_tables(ctx, figures)
    return Report(
        kind="yearly",
        title=t("title.yearly", ctx.lang),
        period=period,
        period_label=period.label(ctx.lang),
        generated_at=ctx.now,
        as_of=figures.as_of,
        tables=(
            summary,
            months_table(ctx, months, received_per_month, finished),
            *rest,
            *branch_tables(ctx, compute_branches(ctx, period.bounds(ctx.zone))),
        ),
        lang=ctx.lang,
        landscape=True,
    )


def months_table(
    ctx: ReportContext, months: tuple[Period, ...], received: dict[int, int], finished: dict[Key, Timing]
) -> Table:
    lang = ctx.lang
    cols = columns(
        lang,
        ("month", "text", 16), ("received", "int", 12), ("case_finished", "int", 10),
        ("case_on_time", "int", 14), ("case_share", "percent", 12), ("case_median", "duration", 14),
        ("case_p90", "duration", 14),
    )  # fmt: skip
    rows: list[tuple[Cell, ...]] = []
    for index, month in enumerate(months):
        timing = finished.get((index,), Timing())
        rows.append(
            (
                month.label(lang),
                received.get(index, 0),
                timing.finished,
                timing.on_time,
                timing.on_time_share,
                timing.median_seconds,
                timing.p90_seconds,
            )
        )
    return Table(
        key=t("sheet.months", lang),
        title=t("table.months", lang),
        columns=cols,
        rows=tuple(rows),
        note=t("note.timing", lang),
    )
