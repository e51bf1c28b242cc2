"""`mailflow db upgrade|current`: the schema, by Alembic migrations."""

from __future__ import annotations

import typer

from mailflow.cli.common import JsonOption, console, emit_json, h, state, t

db_app = typer.Typer(help=h("Basis data: migrasi skema", "Database: schema migrations"), no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command(
    "upgrade",
    help=h("Mutakhirkan skema ke revisi terbaru", "Upgrade the schema to the newest revision"),
)
def upgrade_command(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    from mailflow.adapters.db.migrate import upgrade  # noqa: PLC0415 - alembic loads only here

    st = state(ctx)
    app = st.app()
    revision = upgrade(app.database)
    if as_json:
        emit_json({"database": app.database.describe(), "revision": revision})
    else:
        console.print(t("db.upgraded", st.lang(), url=app.database.describe(), revision=revision))


@db_app.command("current", help=h("Tampilkan revisi skema", "Show the schema revision"))
def current_command(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    from mailflow.adapters.db.migrate import current_revision, head_revision  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    revision = current_revision(app.database)
    if as_json:
        emit_json({"revision": revision, "head": head_revision()})
    else:
        console.print(t("db.current", st.lang(), revision=revision or "-"))
