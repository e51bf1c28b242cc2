"""`mailflow init` and `mailflow config check`."""

from __future__ import annotations

from pathlib import Path

import typer

from mailflow.cli.common import JsonOption, console, emit_json, h, state, t
from mailflow.errors import UsageError
from mailflow.services.operations.starter import AlreadyInitialisedError, write_starter

config_app = typer.Typer(help=h("Periksa konfigurasi", "Check the configuration"), no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command(
        "init",
        help=h("Tulis konfigurasi awal yang siap dipakai", "Write a working starter configuration"),
    )(init_command)
    app.add_typer(config_app, name="config")


def init_command(
    ctx: typer.Context,
    directory: Path = typer.Argument(Path(), help=h("Folder tujuan", "Target folder")),
    force: bool = typer.Option(False, "--force", help=h("Timpa berkas yang ada", "Overwrite existing files")),
    as_json: bool = JsonOption,
) -> None:
    lang = state(ctx).lang()
    try:
        result = write_starter(directory, force=force)
    except AlreadyInitialisedError as exc:
        raise UsageError(t("init.exists", lang, path=exc.path)) from None
    if as_json:
        emit_json(
            {
                "config": str(result.config),
                "directory": str(result.directory),
                "written": [str(p) for p in result.written],
            }
        )
        return
    console.print(t("init.written", lang, path=result.config.parent))
    for path in result.written:
        console.print(f"  {path.relative_to(result.config.parent)}")
    console.print(t("init.next", lang, config=result.config, directory=result.directory))


@config_app.command(
    "check", help=h("Validasi konfigurasi, direktori dan SOP", "Validate config, directory and SOP")
)
def check_command(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    from mailflow.bootstrap.ingest import load_app_rules  # noqa: PLC0415 - only this command

    st = state(ctx)
    app = st.app()
    _ = app.sop, app.directory, app.calendar
    rules = load_app_rules(app)  # the inbox rules too: a broken rule file stops `run` as well
    if as_json:
        emit_json({"config": str(app.settings.config_file), "valid": True, "rules": len(rules)})
    else:
        console.print(t("config.ok", st.lang(), config=app.settings.config_file))
