"""What the weekly email's templates show: every number already formatted for the reader
(Indonesian style by default), with a tone for colouring shares (good / warn / bad / none).

A complaint's subject is the complainant's text: its control and bidi characters are escaped
(shown as `\\u202e`), like in every listing, before Jinja's HTML escaping."""

from __future__ import annotations

from typing import Any

from mailflow.domain.safe_text import escape
from mailflow.services.reports.branches import BranchFigures
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.figures import OverdueItem, StepFigures
from mailflow.services.reports.model import format_datetime, format_duration, format_int, format_percent, t
from mailflow.services.reports.tables import limit_text, role_name
from mailflow.services.reports.weekly import WeeklyData

GOOD = 0.9  # at least 90 % on time reads green
WARN = 0.7  # 70-90 % amber, below red


def tone(share: float | None) -> str:
    if share is None:
        return "none"
    if share >= GOOD:
        return "good"
    return "warn" if share >= WARN else "bad"


def email_context(ctx: ReportContext, data: WeeklyData, *, chart_src: str, attachment: str) -> dict[str, Any]:
    lang = ctx.lang
    figures = data.figures
    cases = figures.cases
    when = format_datetime(figures.as_of, ctx.zone, lang) + f" {ctx.zone_label}"
    return {
        "instance": ctx.instance_name,
        "organisation": ctx.directory.diskominfo.letterhead.name,
        "government": ctx.directory.government,
        "title": t("title.weekly", lang),
        "period": data.report.period_label,
        "period_key": data.report.period.key,
        "as_of": when,
        "generated": format_datetime(data.report.generated_at, ctx.zone, lang) + f" {ctx.zone_label}",
        "sop_code": ctx.sop.code,
        "chart_src": chart_src,
        "chart_alt": t("weekly.chart_alt", lang),
        "attachment": attachment,
        "cards": _cards(ctx, data),
        "received": format_int(cases.received, lang),
        "steps": [_step(ctx, item) for item in figures.steps],
        "opds": [
            {
                "code": item.opd_code,
                "name": ctx.opd_name(item.opd_code),
                "short": ctx.opd_short(item.opd_code),
                "received": format_int(item.routes_received, lang),
                "finished": format_int(item.routes.finished, lang),
                "share": format_percent(item.routes.on_time_share, lang),
                "tone": tone(item.routes.on_time_share),
                "steps_share": format_percent(item.steps_on_time_share, lang),
                "steps_tone": tone(item.steps_on_time_share),
                "median": format_duration(item.routes.median_seconds, lang),
                "p90": format_duration(item.routes.p90_seconds, lang),
                "open": format_int(item.open, lang),
                "overdue": format_int(item.overdue, lang),
                "has_overdue": item.overdue > 0,
            }
            for item in figures.opds
        ],
        "overdue": [_overdue(ctx, item) for item in figures.overdue],
        "overdue_total": figures.overdue_total,
        "overdue_more": figures.overdue_total - len(figures.overdue),
        "branches": branches_view(ctx, data.branches),
    }


def branches_view(ctx: ReportContext, branches: BranchFigures) -> dict[str, Any]:
    """The week's misrouted dispositions, revisions, reopened cases and satisfaction (issue 13)."""
    lang = ctx.lang
    return {
        "title": t("table.branches", lang),
        "labels": {
            key: t(f"col.{key}", lang)
            for key in (
                "misrouted",
                "revisions",
                "reopened",
                "satisfaction_answers",
                "satisfied_share",
                "resolved_answers",
                "resolved_share",
                "opd_code",
            )
        },
        "misrouted": format_int(branches.misrouted, lang),
        "revisions": format_int(branches.revisions, lang),
        "reopened": format_int(branches.reopened, lang),
        "satisfaction_answers": format_int(branches.satisfaction.answers, lang),
        "satisfied_share": format_percent(branches.satisfaction.share, lang),
        "satisfied_tone": tone(branches.satisfaction.share),
        "resolved_answers": format_int(branches.resolved.answers, lang),
        "resolved_share": format_percent(branches.resolved.share, lang),
        "resolved_tone": tone(branches.resolved.share),
        "opds": [
            {
                "code": item.opd_code,
                "short": ctx.opd_short(item.opd_code),
                "misrouted": format_int(item.misrouted, lang),
                "revisions": format_int(item.revisions, lang),
                "satisfaction_answers": format_int(item.satisfaction.answers, lang),
                "satisfied_share": format_percent(item.satisfaction.share, lang),
                "resolved_answers": format_int(item.resolved.answers, lang),
                "resolved_share": format_percent(item.resolved.share, lang),
            }
            for item in branches.opds
        ],
    }


def _cards(ctx: ReportContext, data: WeeklyData) -> list[dict[str, str]]:
    lang = ctx.lang
    cases = data.figures.cases
    overdue = data.figures.overdue_total
    cards = (
        ("received", format_int(cases.received, lang), "none"),
        ("case_finished", format_int(cases.timing.finished, lang), "none"),
        ("case_share", format_percent(cases.timing.on_time_share, lang), tone(cases.timing.on_time_share)),
        ("case_median", format_duration(cases.timing.median_seconds, lang), "none"),
        ("case_p90", format_duration(cases.timing.p90_seconds, lang), "none"),
        ("overdue_now", format_int(overdue, lang), "bad" if overdue else "good"),
    )
    return [{"label": t(f"col.{key}", lang), "value": value, "tone": shade} for key, value, shade in cards]


def _step(ctx: ReportContext, item: StepFigures) -> dict[str, Any]:
    lang = ctx.lang
    number, started, timing, opened, overdue = item.step, item.started, item.timing, item.open, item.overdue
    step = ctx.sop.step(number)
    return {
        "no": number,
        "name": step.name.get(lang),
        "actor": " / ".join(ctx.sop.role_name(role, lang) for role in step.actors()),
        "limit": limit_text(step, lang),
        "started": format_int(started, lang),
        "finished": format_int(timing.finished, lang),
        "on_time": format_int(timing.on_time, lang),
        "share": format_percent(timing.on_time_share, lang),
        "tone": tone(timing.on_time_share),
        "median": format_duration(timing.median_seconds, lang),
        "p90": format_duration(timing.p90_seconds, lang),
        "open": format_int(opened, lang),
        "overdue": format_int(overdue, lang),
        "has_overdue": overdue > 0,
    }


def _overdue(ctx: ReportContext, item: OverdueItem) -> dict[str, Any]:
    lang = ctx.lang
    return {
        "number": item.case_number,
        "subject": escape(item.subject),
        "step": item.step,
        "step_name": ctx.sop.step(item.step).name.get(lang) if item.step else "",
        "opd": ctx.opd_short(item.opd_code) if item.opd_code else "",
        "role": role_name(ctx, item.actor_role),
        "person": ctx.person_name(item.actor_person) or item.actor_email or "",
        "email": item.actor_email or "",
        "due": format_datetime(item.due_at, ctx.zone, lang),
        "late": format_duration(item.late_seconds, lang),
        "escalated": item.escalated,
        "reminders": bin(item.reminders_sent).count("1"),
    }
