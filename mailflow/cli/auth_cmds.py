"""`mailflow auth login <mailbox|smtp>` and `mailflow auth status`: OAuth2 sign-in."""

from __future__ import annotations

import select
import sys
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from mailflow.cli.common import JsonOption, console, emit_json, h, state, t

auth_app = typer.Typer(
    help=h("Login OAuth2 untuk IMAP dan SMTP", "OAuth2 sign-in for IMAP and SMTP"), no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(auth_app, name="auth")


@auth_app.command(
    "login",
    help=h(
        "Masuk sekali (kode perangkat Microsoft / peramban Google) dan simpan tokennya",
        "Sign in once (Microsoft device code / Google browser) and store the token",
    ),
)
def login_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=h("Nama kotak surat, atau smtp", "Mailbox name, or smtp")),
    timeout: float = typer.Option(
        900, "--timeout", help=h("Batas waktu login (detik)", "How long to wait for the sign-in (seconds)")
    ),
) -> None:
    from mailflow.services.outbound.accounts import oauth_account, sign_in  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    account = oauth_account(app.settings, name, lang)

    def show(text: str) -> None:
        console.print(text, markup=False)
        console.print(t("oauth.waiting", lang))
        sys.stdout.flush()

    token = sign_in(account, lang, show=show, pasted=_pasted_line, timeout=timeout)
    console.print(
        t(
            "oauth.login.ok",
            lang,
            user=token.user,
            path=account.token_file,
            expires=_local(token.expires_at, app.settings.general.timezone),
        ),
        markup=False,
    )


_stdin_closed = False


def _pasted_line(seconds: float) -> str | None:
    """A line the admin pasted, waiting at most `seconds` (None when nothing came)."""
    global _stdin_closed  # noqa: PLW0603 - one stdin per process
    if _stdin_closed:
        time.sleep(seconds)
        return None
    ready, _, _ = select.select([sys.stdin], [], [], seconds)
    if not ready:
        return None
    line = sys.stdin.readline()
    if line == "":
        _stdin_closed = True  # EOF (no terminal): only the browser's redirect can answer
        return None
    return line


@auth_app.command(
    "status", help=h("Keadaan login OAuth2 setiap akun", "OAuth2 sign-in state of each account")
)
def status_command(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    from mailflow.adapters.oauth2 import OAuth2Error, TokenFile  # noqa: PLC0415
    from mailflow.services.outbound.accounts import oauth_accounts  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    rows: list[dict[str, Any]] = []
    for account in oauth_accounts(app.settings):
        try:
            stored = TokenFile(account.token_file).read()
            problem = None
        except OAuth2Error as exc:
            stored, problem = None, str(exc)
        rows.append(
            {
                "account": account.name,
                "user": account.user,
                "provider": account.section.provider,
                "token_file": str(account.token_file),
                "signed_in": stored is not None,
                "expires_at": datetime.fromtimestamp(stored.expires_at, UTC).isoformat() if stored else None,
                "problem": problem,
            }
        )
    if as_json:
        emit_json({"accounts": rows})
        return
    if not rows:
        console.print(t("oauth.status.none", lang))
        return
    table = Table()
    for key in ("account", "user", "provider", "token", "state"):
        table.add_column(t(f"oauth.status.col.{key}", lang))
    now = time.time()
    for row in rows:
        if row["problem"] or not row["signed_in"]:
            text = row["problem"] or t("oauth.status.missing", lang)
        else:
            expires = datetime.fromisoformat(row["expires_at"]).timestamp()
            text = (
                t("oauth.status.valid", lang, expires=_local(expires, app.settings.general.timezone))
                if expires > now
                else t("oauth.status.expired", lang)
            )
        table.add_row(row["account"], row["user"], row["provider"], row["token_file"], text)
    console.print(table)


def _local(epoch: float, zone: str) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")
