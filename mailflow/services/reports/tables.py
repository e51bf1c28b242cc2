"""The tables several reports share, built from `Figures`: summary, steps, OPDs, overdue, counts."""

from __future__ import annotations

from collections.abc import Sequence

from mailflow.domain.sop import Role, Step
from mailflow.i18n import has
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.figures import Count, Figures, Timing
from mailflow.services.reports.model import Cell, Table, columns, format_datetime, share, t


def summary_table(ctx: ReportContext, figures: Figures) -> Table:
    cases = figures.cases
    lang = ctx.lang
    cols = columns(
        lang,
        ("received", "int", 12), ("closed", "int", 12), ("rejected", "int", 10),
        ("case_finished", "int", 10), ("case_on_time", "int", 14), ("case_share", "percent", 12),
        ("case_median", "duration", 14), ("case_p90", "duration", 14), ("open_end", "int", 12),
        ("overdue_now", "int", 12),
    )  # fmt: skip
    row: tuple[Cell, ...] = (
        cases.received,
        cases.closed,
        cases.rejected,
        cases.timing.finished,
        cases.timing.on_time,
        cases.timing.on_time_share,
        cases.timing.median_seconds,
        cases.timing.p90_seconds,
        cases.open_at_end,
        figures.overdue_total,
    )
    return Table(
        key=t("sheet.summary", lang),
        title=t("table.summary", lang),
        columns=cols,
        rows=(row,),
        note=t("note.timing", lang),
        vertical=True,
    )


def limit_text(step: Step, lang: str) -> str:
    text = step.limit.format(lang)
    if step.special_limit is not None:
        return t("limit_special", lang, limit=text, special=step.special_limit.format(lang))
    return text


def steps_table(ctx: ReportContext, figures: Figures) -> Table:
    lang = ctx.lang
    cols = columns(
        lang,
        ("step", "int", 10), ("step_name", "text", 36), ("actor", "text", 22), ("limit", "text", 16),
        ("started", "int", 10), ("finished", "int", 10), ("on_time", "int", 10),
        ("on_time_share", "percent", 11), ("median", "duration", 12), ("p90", "duration", 12),
        ("open", "int", 10), ("overdue", "int", 11),
    )  # fmt: skip
    rows = []
    for item in figures.steps:
        step = ctx.sop.step(item.step)
        actors = " / ".join(ctx.sop.role_name(role, lang) for role in step.actors())
        rows.append(
            (
                item.step,
                step.name.get(lang),
                actors,
                limit_text(step, lang),
                item.started,
                *_timing_cells(item.timing),
                item.open,
                item.overdue,
            )
        )
    return Table(
        key=t("sheet.steps", lang),
        title=t("table.steps", lang),
        columns=cols,
        rows=tuple(rows),
        note=t("note.timing", lang),
    )


def _timing_cells(timing: Timing) -> tuple[Cell, ...]:
    return (
        timing.finished,
        timing.on_time,
        timing.on_time_share,
        timing.median_seconds,
        timing.p90_seconds,
    )


def opds_table(ctx: ReportContext, figures: Figures) -> Table:
    lang = ctx.lang
    cols = columns(
        lang,
        ("opd_code", "text", 12), ("opd_name", "text", 36), ("routes_received", "int", 10),
        ("routes_finished", "int", 10), ("routes_on_time", "int", 12), ("routes_share", "percent", 11),
        ("median", "duration", 12), ("p90", "duration", 12), ("steps_share", "percent", 12),
        ("open", "int", 10), ("overdue", "int", 11),
    )  # fmt: skip
    rows = [
        (
            item.opd_code,
            ctx.opd_name(item.opd_code),
            item.routes_received,
            item.routes.finished,
            item.routes.on_time,
            item.routes.on_time_share,
            item.routes.median_seconds,
            item.routes.p90_seconds,
            item.steps_on_time_share,
            item.open,
            item.overdue,
        )
        for item in figures.opds
    ]
    return Table(
        key=t("sheet.opds", lang),
        title=t("table.opds", lang),
        columns=cols,
        rows=tuple(rows),
        note=t("note.opds", lang),
        empty=t("empty", lang),
    )


def overdue_table(ctx: ReportContext, figures: Figures) -> Table:
    lang = ctx.lang
    cols = columns(
        lang,
        ("number", "text", 18), ("subject", "text", 28), ("step", "int", 10), ("opd_code", "text", 12),
        ("actor", "text", 20), ("person", "text", 22), ("email", "text", 26), ("due", "datetime", 19),
        ("late", "duration", 14), ("reminders", "int", 11), ("escalated", "text", 11),
    )  # fmt: skip
    rows = []
    for item in figures.overdue:
        role = role_name(ctx, item.actor_role)
        rows.append(
            (
                item.case_number,
                item.subject,
                item.step,
                item.opd_code or "",
                role,
                ctx.person_name(item.actor_person) or "",
                item.actor_email or "",
                item.due_at,
                item.late_seconds,
                bin(item.reminders_sent).count("1"),
                t("yes", lang) if item.escalated else t("no", lang),
            )
        )
    when = format_datetime(figures.as_of, ctx.zone, lang) + f" {ctx.zone_label}"
    note = t("note.overdue", lang, when=when)
    if figures.overdue_total > len(figures.overdue):
        note += " " + t("note.overdue_more", lang, shown=len(figures.overdue), total=figures.overdue_total)
    return Table(
        key=t("sheet.overdue", lang),
        title=t("table.overdue", lang),
        columns=cols,
        rows=tuple(rows),
        note=note,
        empty=t("empty", lang),
    )


def role_name(ctx: ReportContext, code: str) -> str:
    try:
        return ctx.sop.role_name(Role(code), ctx.lang)
    except ValueError:
        return code


def category_name(name: str | None, lang: str) -> str:
    return name if name else t("category.none", lang)


def channel_name(name: str | None, lang: str) -> str:
    return t(f"channel.{name}", lang) if name and has(f"reports.channel.{name}") else (name or "")


def counts_table(ctx: ReportContext, counts: Sequence[Count], total: int, *, what: str) -> Table:
    """Cases received per category or channel (`what`), with their share of all received."""
    lang = ctx.lang
    namer = category_name if what == "categories" else channel_name
    head = "category" if what == "categories" else "channel"
    cols = columns(lang, (head, "text", 30), ("count", "int", 10), ("share", "percent", 11))
    rows = tuple((namer(c.name, lang), c.count, share(c.count, total)) for c in counts)
    return Table(
        key=t(f"sheet.{what}", lang),
        title=t(f"table.{what}", lang),
        columns=cols,
        rows=rows,
        empty=t("empty", lang),
    )


def standard_tables(ctx: ReportContext, figures: Figures) -> tuple[Table, ...]:
    """Summary, steps, OPDs, categories, channels and overdue: the body of most reports."""
    received = figures.cases.received
    return (
        summary_table(ctx, figures),
        steps_table(ctx, figures),
        opds_table(ctx, figures),
        counts_table(ctx, figures.categories, received, what="categories"),
        counts_table(ctx, figures.channels, received, what="channels"),
        overdue_table(ctx, figures),
    )
