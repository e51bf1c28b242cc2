"""`mailflow backup DIR` and `mailflow restore DIR --into SITE`."""

from __future__ import annotations

from pathlib import Path

import typer

from mailflow.cli.common import JsonOption, console, emit_json, h, state, t
from mailflow.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command(
        "backup",
        help=h(
            "Tulis cadangan yang konsisten (basis data, email asli, lampiran, surat, "
            "konfigurasi tanpa rahasia)",
            "Write a consistent backup (database, raw mail, attachments, letters, config without secrets)",
        ),
    )(backup_command)
    app.command(
        "restore",
        help=h("Pulihkan cadangan ke folder situs baru", "Restore a backup into a new site folder"),
    )(restore_command)


def backup_command(
    ctx: typer.Context,
    folder: Path = typer.Argument(
        ..., help=h("Folder cadangan (baru atau kosong)", "Backup folder (new or empty)")
    ),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.services.operations.backup import backup  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    result = backup(app.settings, app.database, folder, lang)
    if as_json:
        emit_json(
            {
                "folder": str(result.folder),
                "files": result.files,
                "bytes": result.size,
                "counts": result.counts,
                "database": result.database,
                "revision": result.revision,
                "unmapped": result.unmapped,
            }
        )
        return
    console.print(
        t(
            "backup.done",
            lang,
            folder=result.folder,
            files=result.files,
            size=_size(result.size),
            database=result.database,
            revision=result.revision or "-",
            **result.counts,
        ),
        markup=False,
    )
    if result.unmapped:
        console.print(
            t("backup.unmapped", lang, count=len(result.unmapped), example=result.unmapped[0]), markup=False
        )
    console.print(t("backup.no_secrets", lang), markup=False)


def restore_command(
    ctx: typer.Context,
    folder: Path = typer.Argument(..., help=h("Folder cadangan", "Backup folder")),
    into: Path = typer.Option(..., "--into", help=h("Folder situs baru", "New site folder")),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help=h(
            "Basis data tujuan (PostgreSQL kosong untuk cadangan PostgreSQL); bawaan: SQLite di situs",
            "Target database (an empty PostgreSQL for a PostgreSQL backup); default: SQLite in the site",
        ),
    ),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.services.operations.backup import restore  # noqa: PLC0415

    st = state(ctx)
    lang = st.lang()
    if not folder.is_dir():
        raise UsageError(t("backup.no_manifest", lang, path=folder))
    result = restore(folder, into, database_url=database_url, lang=lang)
    if as_json:
        emit_json(
            {
                "site": str(result.site),
                "config": str(result.config),
                "files": result.files,
                "counts": result.counts,
                "revision": result.revision,
            }
        )
        return
    console.print(
        t(
            "backup.restored",
            lang,
            site=result.site,
            files=result.files,
            revision=result.revision,
            **result.counts,
        ),
        markup=False,
    )
    console.print(t("backup.restore_next", lang, config=result.config), markup=False)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
