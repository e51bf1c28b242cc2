"""The weekly compliance email to the admins: the week's figures, a chart, the overdue list and
the XLSX, queued through the outbox like every other mail.

Files are kept under ``<data_dir>/reports/weekly/<2026-W52>/`` (the XLSX attached, the PNG
chart shown inline through ``cid:``). Queueing uses one dedup key per week and recipient, so a
job repeated after a crash never sends a second copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.chart import Panel, render_heatmaps
from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mail_templates import MailTemplates
from mailflow.adapters.mime_build import build_mime
from mailflow.adapters.xlsx_writer import XLSX_TYPE
from mailflow.domain.mail import AttachmentRef, OutgoingMail, ResolvedFile
from mailflow.domain.periods import Period, PeriodKind, default_period
from mailflow.errors import ConfigError
from mailflow.services.outbound.outbox import queue
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.email_view import email_context
from mailflow.services.reports.model import t
from mailflow.services.reports.render import file_stem, write_xlsx
from mailflow.services.reports.weekly import WeeklyData, build_weekly

KIND = "weekly_report"
TEMPLATE = "weekly"


@dataclass(frozen=True)
class WeeklyEmail:
    period: Period
    subject: str
    text: str
    html: str
    chart: Path
    chart_cid: str
    xlsx: Path
    data: WeeklyData
    lang: str

    def attachments(self) -> tuple[AttachmentRef, ...]:
        return (
            AttachmentRef(
                path=str(self.chart),
                filename=self.chart.name,
                content_type="image/png",
                inline_cid=self.chart_cid,
            ),
            AttachmentRef(path=str(self.xlsx), filename=self.xlsx.name, content_type=XLSX_TYPE),
        )


def week_to_report(today: date) -> Period:
    """The last complete ISO week before `today` (a Monday morning reports last week)."""
    return default_period(PeriodKind.WEEKLY, today)


def build_weekly_email(ctx: ReportContext, period: Period, *, out_dir: Path | None = None) -> WeeklyEmail:
    """Compute the week, write its XLSX and chart, and render the mail (text and HTML)."""
    folder = out_dir or ctx.output_root / "weekly" / period.key
    data = build_weekly(ctx, period, as_of=ctx.now)
    xlsx = write_xlsx(ctx, data.report, folder / f"{file_stem(data.report)}.xlsx")
    chart = render_chart(ctx, data, folder / f"grafik_kepatuhan_{period.key}.png")
    cid = f"chart-{period.key.lower()}@mailflow"
    values = email_context(ctx, data, chart_src=f"cid:{cid}", attachment=xlsx.name)
    text, html = _templates(ctx.templates_dir).render_mail(TEMPLATE, ctx.lang, values)
    if html is None:
        raise ConfigError(
            f"mail template missing: email/{TEMPLATE}.{ctx.lang}.html.j2", key="paths.templates"
        )
    subject = t("weekly.subject", ctx.lang, instance=ctx.instance_name, period=period.label(ctx.lang))
    return WeeklyEmail(period, subject, text, html, chart, cid, xlsx, data, ctx.lang)


@lru_cache(maxsize=8)
def _templates(folder: Path | None) -> MailTemplates:
    """One MailTemplates per folder and process, as the app keeps one: Jinja compiles the weekly
    templates once (a fresh environment per email cost a quarter of the chart's time again)."""
    return MailTemplates.for_folder(folder)


def render_chart(ctx: ReportContext, data: WeeklyData, path: Path) -> Path:
    lang = ctx.lang
    trend = data.trend
    steps = Panel(
        title=t("chart.steps", lang),
        rows=[_short(f"{n}. {ctx.sop.step(n).name.get(lang)}", 31) for n in trend.steps],
        values=[[x.on_time_share for x in series] for series in trend.steps.values()],
    )
    opds = Panel(
        title=t("chart.opds", lang),
        rows=[_short(ctx.opd_short(code), 34) for code in trend.opds],
        values=[[x.on_time_share for x in series] for series in trend.opds.values()],
    )
    columns = [f"{w.first.day:02d}/{w.first.month:02d}" for w in trend.weeks]
    footnote = t("chart.legend", lang)
    return render_heatmaps(path, columns, [steps, opds], footnote=footnote)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def queue_weekly_email(
    session: Session, email: WeeklyEmail, recipients: Sequence[str], *, now: datetime, domain: str
) -> list[OutboxMail]:
    """Queue one mail per recipient in the caller's transaction (idempotent per week and address)."""
    rows = []
    for address in recipients:
        name, addr = parseaddr(address)
        mail = OutgoingMail(
            kind=KIND,
            to_addr=addr or address,
            to_name=name or None,
            subject=email.subject,
            text=email.text,
            html=email.html,
            attachments=email.attachments(),
            dedup_key=dedup_key(email.period, address),
            language=email.lang,
            headers={"Auto-Submitted": "auto-generated"},
        )
        rows.append(queue(session, mail, now=now, domain=domain))
    return rows


def write_weekly_files(
    email: WeeklyEmail, out_dir: Path, *, from_addr: str, from_name: str, to_addr: str, now: datetime
) -> dict[str, Path]:
    """Write the mail as it would be sent (.eml, built by build_mime), a browser-viewable HTML
    (cid: replaced by the PNG beside it), the PNG and the XLSX into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    row = OutboxMail(
        message_id=f"<weekly.{email.period.key.lower()}@{from_addr.partition('@')[2] or 'localhost'}>",
        kind=KIND,
        to_addr=to_addr,
        subject=email.subject,
        text_body=email.text,
        html_body=email.html,
        language=email.lang,
        headers='{"Auto-Submitted": "auto-generated"}',
        created_at=now,
    )
    files = [
        ResolvedFile(email.chart, email.chart.name, "image/png", inline_cid=email.chart_cid),
        ResolvedFile(email.xlsx, email.xlsx.name, XLSX_TYPE),
    ]
    stem = file_stem(email.data.report)
    eml = out_dir / f"{stem}.eml"
    eml.write_bytes(build_mime(row, from_addr=from_addr, from_name=from_name, files=files))
    png = _copy(email.chart, out_dir)
    xlsx = _copy(email.xlsx, out_dir)
    html = out_dir / f"{stem}.html"
    html.write_text(email.html.replace(f"cid:{email.chart_cid}", png.name), encoding="utf-8")
    return {"eml": eml, "html": html, "png": png, "xlsx": xlsx}


def _copy(source: Path, folder: Path) -> Path:
    target = folder / source.name
    if target.resolve() != source.resolve():
        target.write_bytes(source.read_bytes())
    return target


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklySent:
    period: Period
    queued: tuple[str, ...]  # addresses queued now
    already: tuple[str, ...]  # addresses queued by an earlier run
    email: WeeklyEmail | None


def dedup_key(period: Period, address: str) -> str:
    return f"weekly:{period.key}:{parseaddr(address)[1].lower() or address.lower()}"


def send_weekly(
    ctx: ReportContext,
    period: Period,
    recipients: Sequence[str],
    *,
    from_address: str,
) -> WeeklySent:
    """Build the week's email and queue it for every recipient, once per week and address.

    When every recipient already has it (a run repeated after a crash), nothing is rebuilt, so
    the files a queued mail points to stay the ones its text describes."""
    keys = {dedup_key(period, r): r for r in recipients}
    with ctx.database.reader() as session:
        done = set(
            session.execute(select(OutboxMail.dedup_key).where(OutboxMail.dedup_key.in_(keys))).scalars()
        )
    already = tuple(keys[k] for k in keys if k in done)
    todo = [keys[k] for k in keys if k not in done]
    if not todo:
        return WeeklySent(period, (), already, None)
    email = build_weekly_email(ctx, period)
    domain = from_address.partition("@")[2] or "localhost"
    with ctx.database.transaction() as session:
        queue_weekly_email(session, email, todo, now=ctx.now, domain=domain)
    return WeeklySent(period, tuple(todo), already, email)
