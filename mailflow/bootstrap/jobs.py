"""The scheduler of `mailflow run` and its jobs, wired from the App.

weekly-email   the weekly compliance email (reports.weekly_weekday at reports.weekly_time)
daily-report   the previous day's problem-identification report (reports.daily_time)
reminders      reminders and escalations, every minute
followup       the follow-up question to complainants ([satisfaction]), every 15 minutes
"""

from __future__ import annotations

import logging
from datetime import timedelta

from mailflow.bootstrap.app import App
from mailflow.domain.periods import PeriodKind, period_containing
from mailflow.services.reports import generate_report
from mailflow.services.reports.weekly_email import send_weekly, week_to_report
from mailflow.services.runtime.scheduler import DAILY_REPORT, WEEKLY_EMAIL, Action, JobContext, Scheduler

log = logging.getLogger("mailflow.reports")
REMINDERS = "reminders"
REMINDER_SECONDS = 60
FOLLOWUP = "followup"
FOLLOWUP_SECONDS = 15 * 60


def build_scheduler(app: App, *, reminders: bool = False) -> Scheduler:
    """The scheduler with the report jobs registered (and the reminders job when asked: `run`)."""
    section = app.settings.reports
    scheduler = Scheduler(database=app.database, clock=app.clock, zone=app.zone)
    scheduler.weekly(WEEKLY_EMAIL, section.weekly_weekday, section.weekly_time, weekly_email_job(app))
    scheduler.daily(DAILY_REPORT, section.daily_time, daily_report_job(app))
    if reminders:
        scheduler.every(REMINDERS, REMINDER_SECONDS, reminders_job(app))
        if app.settings.satisfaction.enabled:
            scheduler.every(FOLLOWUP, FOLLOWUP_SECONDS, followup_job(app))
    return scheduler


def weekly_email_job(app: App) -> Action:
    """Report the last complete week before the occurrence (a Monday 07:30 run: last week)."""

    def run(job: JobContext) -> str:
        moment = job.scheduled_for or job.now
        period = week_to_report(moment.astimezone(app.zone).date())
        recipients = app.settings.reports.weekly_recipients
        if not recipients:
            log.warning("weekly email %s: no reports.weekly_recipients configured", period.key)
            return f"{period.key}: no recipients"
        ctx = app.report_context(now=job.now)
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
        _report, files = generate_report(app.report_context(now=job.now), PeriodKind.DAILY, period)
        return f"{period.key}: {files.docx}, {files.xlsx}"

    return run


def reminders_job(app: App) -> Action:
    service = app.reminders

    def run(job: JobContext) -> str:
        return f"{service.run(app.database, job.now)} mail(s)"

    return run


def followup_job(app: App) -> Action:
    """The follow-up question N working days after closing ([satisfaction])."""
    service = app.conversation.followup

    def run(job: JobContext) -> str:
        return f"{service.run(app.database, job.now)} question(s)"

    return run
