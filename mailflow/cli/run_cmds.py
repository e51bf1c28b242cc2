"""`mailflow run`: the whole system in one process until SIGTERM or Ctrl-C.

Exit codes: 0 after a requested stop; 1 when a part kept dying (the supervisor gave up: systemd's
`Restart=on-failure` then restarts the service); 2 for a wrong option or configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from mailflow import logs
from mailflow.cli.common import console, err_console, h, state, stop_on_signals, t
from mailflow.errors import UsageError

if TYPE_CHECKING:
    from mailflow.adapters.metrics import MetricsServer
    from mailflow.bootstrap import App
    from mailflow.services.runtime.runtime import Runtime


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
    metrics: str | None = typer.Option(
        None,
        "--metrics",
        metavar="HOST:PORT",
        help=h(
            "Sajikan metrik Prometheus (/metrics) dan kesehatan (/healthz), mis. 127.0.0.1:9464",
            "Serve Prometheus metrics (/metrics) and health (/healthz), e.g. 127.0.0.1:9464",
        ),
    ),
    log_format: str = typer.Option(
        "text",
        "--log-format",
        help=h(
            "Format log: text atau json (satu objek JSON per baris)", "Log format: text or json (JSON lines)"
        ),
    ),
) -> None:
    from mailflow.bootstrap.runtime import build_runtime  # noqa: PLC0415 - heavy imports only here
    from mailflow.services.runtime.runtime import Parts  # noqa: PLC0415

    st = state(ctx)
    lang = st.lang()
    if log_format not in logs.LOG_FORMATS:
        raise UsageError(f"--log-format: text | json ({log_format!r})")
    app = st.app()
    lang = st.lang()
    logs.use_format(log_format)
    address = parse_address(metrics, lang) if metrics else None
    parts = Parts(
        pollers=not no_pollers,
        sender=not no_sender,
        converter=not no_converter,
        watcher=not no_watcher,
        scheduler=not no_scheduler,
    )
    runtime = build_runtime(app, parts)
    server = serve_metrics(app, runtime, address, lang) if address else None
    stop_on_signals(runtime.stop_event)
    runtime.start()
    console.print(t("run.started", lang, mailboxes=len(runtime.pollers), database=app.database.describe()))
    try:
        runtime.wait()
    finally:
        console.print(t("run.stopping", lang))
        runtime.stop()
        if server is not None:
            server.stop()
    if runtime.fatal:
        err_console.print(f"[bold red]{t('cli.error', lang)}:[/] {escape(runtime.fatal)}")
        raise typer.Exit(1)
    console.print(t("run.stopped", lang))


def parse_address(value: str, lang: str) -> tuple[str, int]:
    """ "127.0.0.1:9464", "[::1]:9464" or ":9464" (all interfaces) -> (host, port)."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(t("ops.metrics.bad_address", lang, value=value))
    return host or "0.0.0.0", int(port)  # noqa: S104 - ":PORT" asks for every interface


def serve_metrics(app: App, runtime: Runtime, address: tuple[str, int], lang: str) -> MetricsServer:
    from mailflow.adapters.metrics import MetricsServer  # noqa: PLC0415
    from mailflow.services.runtime.metrics import RunMetrics  # noqa: PLC0415

    run_metrics = RunMetrics(app.database, app.clock)
    run_metrics.attach(runtime)
    runtime.metrics = run_metrics

    def health() -> tuple[bool, dict[str, Any]]:
        report = runtime.health()
        body = {
            "status": "ok" if report.ok else "fail",
            "problems": list(report.problems),
            "parts": report.parts,
            "last_poll_seconds": report.last_poll_seconds,
        }
        return report.ok, body

    shown = f"{address[0]}:{address[1]}"
    try:
        server = MetricsServer(address[0], address[1], run_metrics.metrics, health)
    except OSError as exc:
        raise UsageError(t("ops.metrics.cannot_listen", lang, address=shown, error=exc.strerror)) from None
    server.start()
    console.print(t("ops.metrics.serving", lang, address=server.address))
    return server
