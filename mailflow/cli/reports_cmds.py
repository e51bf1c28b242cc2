"""`mailflow report daily|weekly|monthly|semester|yearly [PERIOD]`: the SOP's reports.

PERIOD: daily 2026-11-30 (default today), weekly 2026-W48 (default last week), monthly 2026-11,
semester 2026-S2 or 2026-2, yearly 2026 (default: the last complete one). Files go to
`<data_dir>/reports/<kind>/<period>/` unless `--out DIR` is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from mailflow.bootstrap import App
from mailflow.cli.common import JsonOption, LangOption, console, emit_json, h, state, t
from mailflow.domain.periods import EXAMPLES, Period, PeriodError, PeriodKind, parse_period
from mailflow.errors import UsageError
from mailflow.services.reports import ReportContext, generate_report

report_app = typer.Typer(
    help=h(
        "Laporan SOP: harian, mingguan, bulanan, semester, tahunan (DOCX dan XLSX)",
        "SOP reports: daily, weekly, monthly, semester, yearly (DOCX and XLSX)",
    ),
    no_args_is_help=True,
)
PeriodArgument = typer.Argument(
    None,
    help=h(
        "Periode: harian 2026-11-30 (bawaan: hari ini), mingguan 2026-W48, bulanan 2026-11, semester "
        "2026-S2, tahunan 2026 (bawaan: periode lengkap terakhir)",
        "Period: daily 2026-11-30 (default: today), weekly 2026-W48, monthly 2026-11, semester 2026-S2, "
        "yearly 2026 (default: the last complete period)",
    ),
)
OutOption = typer.Option(
    None, "--out", "-o", help=h("Folder keluaran (bawaan: <data_dir>/reports/...)", "Output folder")
)
_STAGES = ("figures", "xlsx", "docx", "done")


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


def _context(ctx: typer.Context, lang: str | None) -> tuple[App, ReportContext]:
    st = state(ctx)
    app = st.app()
    return app, app.report_context(lang=st.lang(lang))


def _period(kind: PeriodKind, text: str | None, report: ReportContext) -> Period:
    try:
        return parse_period(kind, text, report.today().date())
    except PeriodError as exc:
        message = t(
            "reports.cli.bad_period", report.lang, text=exc.text, kind=kind.value, example=EXAMPLES[kind]
        )
        raise UsageError(message) from None


@contextmanager
def _progress(enabled: bool, lang: str) -> Iterator[Callable[[str], None]]:
    """A Rich progress bar over the report's stages (silent with --json)."""
    if not enabled:
        yield lambda _stage: None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(t("reports.progress.figures", lang), total=len(_STAGES) - 1)

        def tell(stage: str) -> None:
            bar.update(task, description=t(f"reports.progress.{stage}", lang), completed=_STAGES.index(stage))

        yield tell


def _run_report(
    ctx: typer.Context,
    kind: PeriodKind,
    period_text: str | None,
    out: Path | None,
    lang: str | None,
    as_json: bool,
) -> None:
    _app, report_ctx = _context(ctx, lang)
    period = _period(kind, period_text, report_ctx)
    with _progress(not as_json, report_ctx.lang) as tell:
        report, files = generate_report(report_ctx, kind, period, out, progress=tell)
    paths = {"docx": str(files.docx), "xlsx": str(files.xlsx)}
    if as_json:
        emit_json({"kind": kind.value, "period": period.key, "title": report.title, "files": paths})
        return
    console.print(t("reports.cli.written", report_ctx.lang, title=report.title, period=report.period_label))
    for path in paths.values():
        console.print(t("reports.cli.file", report_ctx.lang, path=path))


def _add_report_command(name: str, kind: PeriodKind, help_text: str) -> None:
    """The four SOP reports take the same arguments and differ only in their period kind."""

    def command(
        ctx: typer.Context,
        period: str | None = PeriodArgument,
        out: Path | None = OutOption,
        lang: str | None = LangOption,
        as_json: bool = JsonOption,
    ) -> None:
        _run_report(ctx, kind, period, out, lang, as_json)

    command.__name__ = f"{name}_command"
    report_app.command(name, help=help_text)(command)


for _name, _kind, _help in (
    ("daily", PeriodKind.DAILY, h("Laporan Identifikasi Permasalahan Aduan Perhari", "Daily report")),
    ("monthly", PeriodKind.MONTHLY, h("Laporan Rekapitulasi Aduan Perbulan", "Monthly recap")),
    (
        "semester",
        PeriodKind.SEMESTER,
        h("Laporan Rekapitulasi Aduan Perangkat Daerah Per Semester", "Semester recap per OPD"),
    ),
    ("yearly", PeriodKind.YEARLY, h("Laporan Pengelolaan Pengaduan Per Tahun", "Yearly report")),
):
    _add_report_command(_name, _kind, _help)


@report_app.command(
    "weekly",
    help=h(
        "Email kepatuhan mingguan: --send mengantrekannya ke reports.weekly_recipients, --out menulis "
        ".eml, HTML, PNG dan XLSX",
        "Weekly compliance email: --send queues it for reports.weekly_recipients, --out writes the "
        ".eml, HTML, PNG and XLSX",
    ),
)
def weekly_command(
    ctx: typer.Context,
    period: str | None = PeriodArgument,
    send: bool = typer.Option(False, "--send", help=h("Antrekan email ke penerima", "Queue the email")),
    to: list[str] = typer.Option([], "--to", help=h("Penerima lain (boleh berulang)", "Other recipient(s)")),
    out: Path | None = OutOption,
    lang: str | None = LangOption,
    as_json: bool = JsonOption,
) -> None:
    from mailflow.services.reports.weekly_email import build_weekly_email, send_weekly, write_weekly_files  # noqa: PLC0415

    app, report_ctx = _context(ctx, lang)
    week = _period(PeriodKind.WEEKLY, period, report_ctx)
    recipients = list(to) or [str(a) for a in app.settings.reports.weekly_recipients]
    result: dict[str, object] = {"kind": "weekly", "period": week.key}
    smtp = app.settings.smtp
    with _progress(not as_json, report_ctx.lang) as tell:
        tell("figures")
        email = None
        if send:
            if not recipients:
                raise UsageError(t("reports.cli.no_recipients", report_ctx.lang))
            sent = send_weekly(report_ctx, week, recipients, from_address=str(smtp.from_address))
            result.update(queued=list(sent.queued), already=list(sent.already))
            email = sent.email
        if out is not None or not send:
            email = email or build_weekly_email(report_ctx, week)
            tell("xlsx")
            files = write_weekly_files(
                email,
                out or email.xlsx.parent,
                from_addr=str(smtp.from_address),
                from_name=smtp.from_name,
                to_addr=recipients[0] if recipients else str(smtp.from_address),
                now=report_ctx.now,
            )
            result["files"] = {name: str(path) for name, path in files.items()}
        tell("done")
    _print_weekly(result, report_ctx, week, as_json)


def _print_weekly(result: dict[str, object], report_ctx: ReportContext, week: Period, as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    lang = report_ctx.lang
    label = week.label(lang)
    queued, already = result.get("queued"), result.get("already")
    if isinstance(queued, list) and isinstance(already, list):
        console.print(t("reports.cli.queued", lang, period=label, count=len(queued)))
        for address in already:
            console.print(t("reports.cli.already", lang, period=label, address=address))
    files = result.get("files")
    if isinstance(files, dict):
        console.print(t("reports.cli.written", lang, title=t("reports.title.weekly", lang), period=label))
        for path in files.values():
            console.print(t("reports.cli.file", lang, path=path))
