"""`mailflow run`: the whole system in one process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import typer

from mailflow.cli.common import console, h, state, stop_on_signals, t


def register(app: typer.Typer) -> None:
    app.command(
        "run",
        help=h(
            "Jalankan semuanya: pembaca kotak surat, pengirim, konverter, folder surat kembali, penjadwal",
            "Run everything: mailbox readers, sender, converter, returned-letter folders, scheduler",
        ),
    )(run_command)


def run_command(
    ctx: typer.Context,
    no_pollers: bool = typer.Option(False, "--no-poll", help=h("Tanpa membaca kotak surat", "Do not poll")),
    no_sender: bool = typer.Option(False, "--no-send", help=h("Tanpa mengirim email", "Do not send mail")),
    no_converter: bool = typer.Option(
        False, "--no-convert", help=h("Tanpa konversi PDF", "No PDF conversion")
    ),
    no_watcher: bool = typer.Option(
        False, "--no-watch", help=h("Tanpa memantau folder", "No folder watching")
    ),
    no_scheduler: bool = typer.Option(False, "--no-schedule", help=h("Tanpa penjadwal", "No scheduler")),
) -> None:
    from mailflow.services.runtime import Parts, Runtime  # noqa: PLC0415 - heavy imports only here

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    parts = Parts(
        pollers=not no_pollers,
        sender=not no_sender,
        converter=not no_converter,
        watcher=not no_watcher,
        scheduler=not no_scheduler,
    )
    runtime = Runtime(app, parts)
    stop_on_signals(runtime.stop_event)
    runtime.start()
    console.print(t("run.started", lang, mailboxes=len(runtime.pollers), database=app.database.describe()))
    try:
        runtime.wait()
    finally:
        console.print(t("run.stopping", lang))
        runtime.stop()
    console.print(t("run.stopped", lang))
