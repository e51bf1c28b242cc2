"""The report jobs of the scheduler: the weekly compliance email and the daily report."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from mailflow.domain.periods import PeriodKind, period_containing
from mailflow.services.reports import context_from_app, generate_report
from mailflow.services.scheduler import Action, JobContext
from mailflow.services.weekly import send_weekly, week_to_report

if TYPE_CHECKING:
    from mailflow.bootstrap import App

log = logging.getLogger("mailflow.reports")


def weekly_email_job(app: App) -> Action:
    """Report the last complete week before the occurrence (a Monday 07:30 run: last week)."""

    def run(job: JobContext) -> str:
        moment = job.scheduled_for or job.now
        period = week_to_report(moment.astimezone(app.zone).date())
        recipients = app.settings.reports.weekly_recipients
        if not recipients:
            log.warning("weekly email %s: no reports.weekly_recipients configured", period.key)
            return f"{period.key}: no recipients"
        ctx = context_from_app(app, now=job.now)
        sent = send_weekly(ctx, period, recipients, from_address=str(app.settings.smtp.from_address))
        return f"{period.key}: queued {len(sent.queued)}, already {len(sent.already)}"

    return run


def daily_report_job(app: App) -> Action:
    """The daily report of the day before the occurrence (DOCX and XLSX under the data dir).

    Run in the morning (reports.daily_time, default 07:00) it covers the whole previous day,
    complaints that arrived after office hours included, and is ready when the office opens.
    """

    def run(job: JobContext) -> str:
        moment = job.scheduled_for or job.now
        yesterday = moment.astimezone(app.zone).date() - timedelta(days=1)
        period = period_containing(PeriodKind.DAILY, yesterday)
        _report, files = generate_report(context_from_app(app, now=job.now), PeriodKind.DAILY, period)
        return f"{period.key}: {files.docx}, {files.xlsx}"

    return run
