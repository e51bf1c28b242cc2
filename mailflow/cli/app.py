"""The root of the `mailflow` command: global options, sub-commands, errors and exit codes.

Exit codes: 0 ok, 1 failure, 2 usage or configuration error. A user mistake prints one line,
never a traceback; an unexpected error prints one line and logs the traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import typer
from rich.markup import escape

from mailflow import __version__, logs
from mailflow.cli import (
    auth_cmds,
    backup_cmds,
    db_cmds,
    demo_cmds,
    doctor_cmds,
    engine_cmds,
    ingest_cmds,
    letters_cmds,
    reports_cmds,
    run_cmds,
    setup_cmds,
    sop_cmds,
    watch_cmds,
)
from mailflow.cli.common import CliState, err_console, h
from mailflow.errors import ConfigError, MailflowError
from mailflow.i18n import language_from_env, translate

log = logging.getLogger("mailflow.cli")

app = typer.Typer(
    name="mailflow",
    help=h(
        "mailflow menjalankan SOP pengaduan LAPOR Bontang lewat email.",
        "mailflow runs the LAPOR Bontang complaint procedure over email.",
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        envvar="MAILFLOW_CONFIG",
        help=h(
            "Berkas mailflow.toml (bawaan: ./mailflow.toml)",
            "The mailflow.toml file (default ./mailflow.toml)",
        ),
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help=h("Lebih banyak log", "More logging")),
) -> None:
    logs.configure(verbose)
    ctx.obj = CliState(config=config, verbose=verbose)
    ctx.call_on_close(ctx.obj.close)


@app.command("version", help=h("Tampilkan versi", "Show the version"))
def version_command() -> None:
    sys.stdout.write(f"mailflow {__version__}\n")


for module in (
    setup_cmds,
    sop_cmds,
    db_cmds,
    ingest_cmds,
    engine_cmds,
    letters_cmds,
    reports_cmds,
    watch_cmds,
    run_cmds,
    demo_cmds,
    auth_cmds,
    doctor_cmds,
    backup_cmds,
):
    module.register(app)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the CLI. Usage errors are handled by Typer (exit 2); mailflow's own errors here."""
    lang = language_from_env()
    try:
        # standalone mode: Typer prints usage errors itself and always ends with SystemExit
        app(args=list(argv) if argv is not None else None, prog_name="mailflow")
    except ConfigError as exc:
        err_console.print(f"[bold red]{translate('cli.config_error', lang)}:[/] {escape(str(exc))}")
        sys.exit(exc.exit_code)
    except MailflowError as exc:
        err_console.print(f"[bold red]{translate('cli.error', lang)}:[/] {escape(str(exc))}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line for the user, the trace to the log
        log.error("unexpected error", exc_info=True)
        err_console.print(translate("cli.unexpected", lang, error=type(exc).__name__))
        sys.exit(1)
    sys.exit(0)
