"""`mailflow demo`: the whole procedure on embedded servers, with simulated officials."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from mailflow.cli.common import LangOption, console, err_console, h, stop_on_signals, t


def register(app: typer.Typer) -> None:
    app.command(
        "demo",
        help=h(
            "Mainkan SOP lengkap dengan server lokal dan petugas tiruan",
            "Play the whole SOP with local servers and simulated officials",
        ),
    )(demo_command)


def demo_command(
    folder: Path | None = typer.Argument(
        None, help=h("Folder demo (bawaan: folder sementara)", "Demo folder (default: a temporary one)")
    ),
    keep: bool = typer.Option(
        False, "--keep", help=h("Biarkan server berjalan untuk Thunderbird", "Keep the servers running")
    ),
    cases: str | None = typer.Option(
        None,
        "--cases",
        help=h("Hanya aduan tertentu, mis. A,E (A-E; bawaan semua)", "Only some complaints, e.g. A,E"),
    ),
    no_pdf: bool = typer.Option(
        False,
        "--no-pdf",
        help=h("Tanpa LibreOffice: surat DOCX saja", "Without LibreOffice: DOCX letters only"),
    ),
    sop: Path | None = typer.Option(
        None,
        "--sop",
        help=h(
            "Mainkan berkas SOP lain (mis. mailflow/data/sop_kabupaten_ringkas.yaml); petugas tiruan "
            "mengikuti langkah-langkahnya",
            "Play another SOP file (e.g. mailflow/data/sop_kabupaten_ringkas.yaml); the simulated "
            "officials follow its steps",
        ),
        exists=True,
        dir_okay=False,
    ),
    lang: str | None = LangOption,
) -> None:
    from mailflow.demo.runner import DemoRunner  # noqa: PLC0415 - the demo's imports only here
    from mailflow.demo.summary import print_summary  # noqa: PLC0415

    language = lang or "id"
    progress = _Progress(language)
    chosen = {c.strip().upper() for c in cases.split(",") if c.strip()} if cases else None
    runner = DemoRunner(folder, lang=language, report=progress, convert=False if no_pdf else None, sop=sop)
    try:
        app = runner.start()
        console.rule(t("demo.title", language, folder=runner.folder))
        smtp_port = runner.smtp.port if runner.smtp else 0
        servers = t(
            "demo.servers", language, imap=runner.imap.port, smtp=smtp_port, database=app.database.describe()
        )
        console.print(servers)
        if not runner.outcome.converted:
            err_console.print(t("demo.no_libreoffice", language))
        outcome = runner.play(chosen)
        runner.weekly_email()
        print_summary(console, app, outcome, language)
        if outcome.problems:
            err_console.print(t("demo.failed", language))
            for problem in outcome.problems:
                err_console.print(f"  - {problem}")
            raise typer.Exit(1)
        console.print(f"[bold green]{t('demo.ok', language)}[/]")
        if keep:
            _keep_running(runner, language)
    finally:
        runner.stop()


class _Progress:
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, when: datetime, kind: str, text: str) -> None:
        from mailflow.demo.people import HARI_PENDEK  # noqa: PLC0415

        local = when.astimezone(ZoneInfo("Asia/Makassar"))
        stamp = f"{HARI_PENDEK[local.weekday()]} {local:%d/%m %H.%M}"
        label = t(f"demo.kind.{kind}", self.lang)
        style = {"reminder": "yellow", "escalation": "red", "step": "dim"}.get(kind, "bold")
        console.print(f"[dim]{stamp}[/] [{style}]{label:>12}[/] {text}", soft_wrap=False, overflow="fold")


def _keep_running(runner: object, lang: str) -> None:
    from mailflow.bootstrap.runtime import build_runtime  # noqa: PLC0415
    from mailflow.demo.runner import DemoRunner  # noqa: PLC0415
    from mailflow.demo.setup import IMAP_PASSWORD, MAILBOX  # noqa: PLC0415

    assert isinstance(runner, DemoRunner) and runner.app is not None and runner.smtp is not None
    runner.clock.release()
    runtime = build_runtime(runner.app)
    stop_on_signals(runtime.stop_event)
    runtime.start()
    console.print(t("demo.keep", lang, imap=runner.imap.port, smtp=runner.smtp.port, user=MAILBOX,
                    password=IMAP_PASSWORD, mailbox=MAILBOX, folder=runner.folder))  # fmt: skip
    try:
        runtime.wait()
    finally:
        runtime.stop()
