"""build_scheduler(app): the weekly email and the daily report as scheduled jobs, end to end
through a real starter configuration (`mailflow init`) and the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import OutboxMail
from mailflow.bootstrap import App
from mailflow.bootstrap.jobs import build_scheduler
from mailflow.clock import ManualClock
from mailflow.config.loader import load_config
from mailflow.services.operations.starter import write_starter
from mailflow.services.runtime.scheduler import DAILY_REPORT, WEEKLY_EMAIL
from tests.reports.seed import at, seed_history

pytestmark = [pytest.mark.slow]  # servers and subprocesses: outside the fast subset


def site_app(tmp_path: Path, database: Database, extra: str) -> App:
    result = write_starter(tmp_path / "site")
    with result.config.open("a", encoding="utf-8") as handle:
        handle.write(extra)
    settings = load_config(result.config, env={"MAILFLOW_DATABASE_URL": database.url})
    return App(settings=settings, clock=ManualClock(at("2026-12-28", "07:00")))


@pytest.fixture
def app(tmp_path: Path, database: Database) -> App:
    reports = (
        '\n[reports]\nweekly_recipients = ["admin.lapor@bontangkota.go.id", "ikp.kominfo@bontangkota.go.id"]\n'
        'weekly_weekday = "monday"\nweekly_time = "07:30"\ndaily_time = "16:30"\n'
    )
    application = site_app(tmp_path, database, reports)
    seed_history(application.database, application.calendar, application.sop)
    yield application
    application.close()


def test_report_jobs_are_registered_with_the_configured_times(app: App) -> None:
    scheduler = build_scheduler(app)
    assert sorted(scheduler.jobs) == [DAILY_REPORT, WEEKLY_EMAIL]
    assert scheduler.jobs[WEEKLY_EMAIL].schedule.describe() == "weekly on monday at 07:30"
    assert scheduler.jobs[DAILY_REPORT].schedule.describe() == "daily at 16:30"


def test_monday_morning_sends_last_weeks_email_once(app: App) -> None:
    scheduler = build_scheduler(app)
    outcomes = {o.job: o for o in scheduler.run_pending(at("2026-12-28", "07:30"))}
    weekly = outcomes[WEEKLY_EMAIL]
    assert (weekly.period, weekly.status) == ("2026-W53", "done")
    assert weekly.detail == "2026-W52: queued 2, already 0"
    assert build_scheduler(app).run_pending(at("2026-12-28", "08:00")) == []  # another worker later
    with app.database.reader() as session:
        mails = session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars().all()
        assert [m.to_addr for m in mails] == [
            "admin.lapor@bontangkota.go.id",
            "ikp.kominfo@bontangkota.go.id",
        ]
        assert all("Minggu ke-52" in m.subject for m in mails)
        attachments = mails[0].attachments
        assert [a.inline_cid is not None for a in attachments] == [True, False]
        chart, xlsx = (Path(a.path or "") for a in attachments)
    reports = app.settings.data_dir / "reports" / "weekly" / "2026-W52"
    assert chart.parent == reports
    assert chart.is_file()
    assert xlsx.is_file()


def test_the_daily_report_covers_the_previous_day(app: App) -> None:
    scheduler = build_scheduler(app)
    scheduler.run_pending(at("2026-12-28", "07:30"))  # the weekly email and the missed run before
    outcomes = scheduler.run_pending(at("2026-12-28", "16:30"))
    assert [(o.job, o.period, o.status) for o in outcomes] == [(DAILY_REPORT, "2026-12-28", "done")]
    folder = app.settings.data_dir / "reports" / "daily" / "2026-12-27"
    assert sorted(p.suffix for p in folder.iterdir()) == [".docx", ".xlsx"]


def test_no_recipients_is_not_an_error(tmp_path: Path, sqlite_db: Database) -> None:
    application = site_app(tmp_path, sqlite_db, "")
    try:
        (weekly,) = [o for o in build_scheduler(application).run_pending(at("2026-12-28", "07:30"))
                     if o.job == WEEKLY_EMAIL]  # fmt: skip
        assert (weekly.status, weekly.detail) == ("done", "2026-W52: no recipients")
    finally:
        application.close()


def test_the_follow_up_job_runs_with_the_reminders_unless_turned_off(
    tmp_path: Path, database: Database
) -> None:
    from mailflow.bootstrap.jobs import FOLLOWUP, REMINDERS  # noqa: PLC0415

    on = site_app(tmp_path / "on", database, "")
    try:
        assert sorted(build_scheduler(on, reminders=True).jobs) == sorted(
            [DAILY_REPORT, WEEKLY_EMAIL, REMINDERS, FOLLOWUP]
        )
        outcomes = {
            o.job: o for o in build_scheduler(on, reminders=True).run_pending(at("2026-12-28", "08:00"))
        }
        assert outcomes[FOLLOWUP].status == "done" and outcomes[FOLLOWUP].detail == "0 question(s)"
    finally:
        on.close()
    off = site_app(tmp_path / "off", database, "\n[satisfaction]\nenabled = false\n")
    try:
        assert FOLLOWUP not in build_scheduler(off, reminders=True).jobs
    finally:
        off.close()
