"""The weekly compliance report (the tables behind the weekly email and its XLSX attachment):
the week's figures, the overdue list as of the moment of sending, and the on-time trend per step
and per OPD over the recent weeks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mailflow.domain.periods import Period
from mailflow.services.reports.branches import BranchFigures, branch_figures, branch_tables
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.day_counts import refresh_day_counts
from mailflow.services.reports.figures import (
    Figures,
    Key,
    Timing,
    compute_figures,
    refresh_route_sums,
    share_history,
)
from mailflow.services.reports.model import Cell, Column, Report, Table, columns, t
from mailflow.services.reports.tables import standard_tables

TREND_WEEKS = 8


@dataclass(frozen=True)
class Trend:
    """On-time share per row (step number or OPD code) and week, oldest week first."""

    weeks: tuple[Period, ...]
    steps: dict[int, list[Timing]]
    opds: dict[str, list[Timing]]


@dataclass(frozen=True)
class WeeklyData:
    report: Report
    figures: Figures
    trend: Trend
    branches: BranchFigures = field(default_factory=BranchFigures)


def build_weekly(ctx: ReportContext, period: Period, *, as_of: datetime | None = None) -> WeeklyData:
    """The week's report; open and overdue items are taken at `as_of` (default: now)."""
    weeks = period.recent(TREND_WEEKS)
    refresh_route_sums(ctx.database)  # keeps the part computed on the fly small (figures.route_sums)
    refresh_day_counts(ctx.database, ctx.zone, around=ctx.now)  # the same for the day counts
    with ctx.database.reader() as session:
        figures = compute_figures(
            session, period, now=ctx.now, calendar=ctx.calendar, sop=ctx.sop, as_of=as_of or ctx.now
        )
        by_step = share_history(session, weeks, ctx.calendar, "step")
        by_opd = share_history(session, weeks, ctx.calendar, "opd_code")
        branches = branch_figures(session, ctx.sop, period.bounds(ctx.zone))
    trend = Trend(
        weeks=weeks,
        steps={s.number: _series(by_step, s.number, len(weeks)) for s in ctx.sop.steps},
        opds={
            code: _series(by_opd, code, len(weeks))
            for code in sorted({str(k[1]) for k in by_opd if k[1]} | {o.opd_code for o in figures.opds})
        },
    )
    report = Report(
        kind="weekly",
        title=t("title.weekly", ctx.lang),
        period=period,
        period_label=period.label(ctx.lang),
        generated_at=ctx.now,
        as_of=figures.as_of,
        tables=(*standard_tables(ctx, figures), *branch_tables(ctx, branches), *trend_tables(ctx, trend)),
        lang=ctx.lang,
        landscape=True,
    )
    return WeeklyData(report=report, figures=figures, trend=trend, branches=branches)


def _series(history: Mapping[Key, Timing], key: object, count: int) -> list[Timing]:
    return [history.get((index, key), Timing()) for index in range(count)]


def trend_tables(ctx: ReportContext, trend: Trend) -> tuple[Table, Table]:
    lang = ctx.lang
    week_cols = tuple(Column(w.first.isoformat(), "percent", 11) for w in trend.weeks)
    steps = Table(
        key=t("sheet.trend_steps", lang),
        title=t("table.trend_steps", lang),
        columns=(*columns(lang, ("step", "int", 8), ("step_name", "text", 40)), *week_cols),
        rows=tuple(
            (number, ctx.sop.step(number).name.get(lang), *(x.on_time_share for x in series))
            for number, series in trend.steps.items()
        ),
    )
    opd_rows: list[tuple[Cell, ...]] = [
        (code, ctx.opd_name(code), *(x.on_time_share for x in series)) for code, series in trend.opds.items()
    ]
    opds = Table(
        key=t("sheet.trend_opds", lang),
        title=t("table.trend_opds", lang),
        columns=(*columns(lang, ("opd_code", "text", 12), ("opd_name", "text", 36)), *week_cols),
        rows=tuple(opd_rows),
        empty=t("empty", lang),
    )
    return steps, opds
