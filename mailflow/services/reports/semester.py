"""Laporan Rekapitulasi Aduan Perangkat Daerah Per Semester: per OPD, complaints received and
finished within limit, month by month, and the on-time share of each OPD step."""

from __future__ import annotations

from mailflow.adapters.db.fanout import fanout
from mailflow.domain.periods import Period
from mailflow.services.reports.branches import branch_tables, compute_branches
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.day_counts import refresh_day_counts
from mailflow.services.reports.figures import (
    Figures,
    Key,
    Timing,
    compute_figures,
    long_counts,
    refresh_route_sums,
    routes_received,
)
from mailflow.services.reports.model import Cell, Column, Report, Table, columns, t
from mailflow.services.reports.tables import opds_table, overdue_table, summary_table


def build_semester(ctx: ReportContext, period: Period) -> Report:
    refresh_route_sums(ctx.database)  # keeps the part computed on the fly small (figures.route_sums)
    refresh_day_counts(ctx.database, ctx.zone, around=ctx.now)  # the same for the day counts
    months = period.months()
    buckets = [m.bounds(ctx.zone) for m in months]
    route_steps = [s.number for s in ctx.sop.route_steps()]
    with ctx.database.reader() as session, fanout(ctx.database, session, ctx.readers) as fan:
        counts = long_counts(session, period.bounds(ctx.zone))  # one pass for both
        per_step = counts.per_opd_step()
        figures = compute_figures(
            session, period, now=ctx.now, calendar=ctx.calendar, sop=ctx.sop, counts=counts, fan=fan
        )
        received = routes_received(session, period.bounds(ctx.zone), route_steps[0], buckets=buckets)
    return Report(
        kind="semester",
        title=t("title.semester", ctx.lang),
        period=period,
        period_label=period.label(ctx.lang),
        generated_at=ctx.now,
        as_of=figures.as_of,
        tables=(
            summary_table(ctx, figures),
            opds_table(ctx, figures),
            opd_months_table(ctx, figures, [m.short_label(ctx.lang) for m in months], received),
            opd_steps_table(ctx, figures, route_steps, per_step),
            overdue_table(ctx, figures),
            *branch_tables(ctx, compute_branches(ctx, period.bounds(ctx.zone))),
        ),
        lang=ctx.lang,
        landscape=True,
    )


def opd_months_table(
    ctx: ReportContext, figures: Figures, labels: list[str], received: dict[Key, int]
) -> Table:
    lang = ctx.lang
    head = columns(lang, ("opd_code", "text", 12), ("opd_name", "text", 36))
    cols = (*head, *(Column(label, "int", 10) for label in labels), *columns(lang, ("total", "int", 10)))
    rows: list[tuple[Cell, ...]] = []
    for code in sorted({item.opd_code for item in figures.opds} | {k[1] for k in received if k[1]}):
        counts = [received.get((index, code), 0) for index in range(len(labels))]
        rows.append((code, ctx.opd_name(code), *counts, sum(counts)))
    return Table(
        key=t("sheet.opd_months", lang),
        title=t("table.opd_months", lang),
        columns=cols,
        rows=tuple(rows),
        empty=t("empty", lang),
    )


def opd_steps_table(
    ctx: ReportContext, figures: Figures, steps: list[int], per_step: dict[Key, Timing]
) -> Table:
    lang = ctx.lang
    head = columns(lang, ("opd_code", "text", 12), ("opd_name", "text", 36))
    step_cols = (Column(t("step_label", lang, step=step), "percent", 11) for step in steps)
    cols = (*head, *step_cols, *columns(lang, ("finished", "int", 10), ("on_time_share", "percent", 11)))
    rows: list[tuple[Cell, ...]] = []
    for code in sorted({item.opd_code for item in figures.opds} | {k[0] for k in per_step if k[0]}):
        timings = [per_step.get((code, step), Timing()) for step in steps]
        finished = sum(x.finished for x in timings)
        on_time = sum(x.on_time for x in timings)
        shares = [x.on_time_share for x in timings]
        rows.append((code, ctx.opd_name(code), *shares, finished, on_time / finished if finished else None))
    return Table(
        key=t("sheet.opd_steps", lang),
        title=t("table.opd_steps", lang),
        columns=cols,
        rows=tuple(rows),
        note=t("note.timing", lang),
        empty=t("empty", lang),
    )
