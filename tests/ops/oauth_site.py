"""A site that signs in with OAuth2 (`auth = "oauth2"` for the mailbox and SMTP, one token file),
on the OAuth Dovecot of tests/fixtures/oauth_servers.py, and token files as a sign-in leaves them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from mailflow.adapters.db.migrate import upgrade
from mailflow.adapters.oauth2 import StoredToken, TokenFile
from mailflow.bootstrap import App
from mailflow.clock import Clock
from mailflow.config.loader import load_config
from tests.fixtures.mail_servers import unique_address
from tests.fixtures.oauth_dovecot import OAuthDovecot
from tests.fixtures.oauth_server import OAuthServer
from tests.fixtures.ports import free_port
from tests.ingest.conftest import IngestEnv, write_config

CLIENT_ID = "6f1c7e1a-0000-4000-8000-00000000cafe"
TENANT = "bontangkota.go.id"


def oauth_table(
    idp: OAuthServer,
    *,
    provider: str = "microsoft",
    mechanism: str = "xoauth2",
    token_file: str | None = None,
) -> str:
    lines = [f'provider = "{provider}"', f'client_id = "{CLIENT_ID}"', f'mechanism = "{mechanism}"']
    if provider == "microsoft":
        lines += [f'tenant = "{TENANT}"', f'authority = "{idp.authority(TENANT)}"']
    else:
        lines += [f'auth_url = "{idp.google_auth_url}"', f'token_url = "{idp.google_token_url}"']
    if token_file:
        lines.append(f'token_file = "{token_file}"')
    return "\n".join(lines)


def write_oauth_config(
    root: Path,
    *,
    user: str,
    dovecot: OAuthDovecot,
    smtp_port: int,
    idp: OAuthServer,
    provider: str = "microsoft",
    mechanism: str = "xoauth2",
    smtp_oauth: bool = True,
    database_url: str | None = None,
    **options: Any,
) -> Path:
    """The ingest tests' site, with the mailbox (and SMTP) signing in with OAuth2 and sharing one
    token file, as one Microsoft 365 or Google Workspace account for both does."""

    class _Smtp:  # write_config only reads the port
        port = smtp_port

    config = write_config(
        root, user=user, dovecot=dovecot, smtp=_Smtp(), database_url=database_url, **options
    )  # type: ignore[arg-type]
    text = config.read_text(encoding="utf-8")
    table = oauth_table(idp, provider=provider, mechanism=mechanism, token_file="var/oauth/lapor.json")
    # a sub-table takes every key after it: each goes at the end of its account's table
    text = text.replace('password = "rahasia-uji"\n', 'auth = "oauth2"\n', 1)
    text = text.replace("\n[smtp]\n", f"\n[mailboxes.oauth2]\n{table}\n\n[smtp]\n", 1)
    if smtp_oauth:
        text = text.replace(
            'security = "plain"\nfrom_address',
            f'security = "starttls"\nuser = "{user}"\nauth = "oauth2"\nfrom_address',
            1,
        )
        text = text.replace("\n[tokens]\n", f"\n[smtp.oauth2]\n{table}\n\n[tokens]\n", 1)
    config.write_text(text, encoding="utf-8")
    return config


def store_grant(path: Path, idp: OAuthServer, user: str, *, expires_in: float | None = None) -> StoredToken:
    """A token file as `mailflow auth login` leaves it (tokens issued by the local provider)."""
    body = idp.grant(user, CLIENT_ID, "https://outlook.office.com/IMAP.AccessAsUser.All offline_access")
    now = time.time()
    token = StoredToken(
        user=user,
        provider="microsoft",
        client_id=CLIENT_ID,
        refresh_token=body["refresh_token"],
        access_token=body["access_token"],
        expires_at=now + (expires_in if expires_in is not None else body["expires_in"]),
        scopes=tuple(body["scope"].split()),
        updated_at=now,
    )
    TokenFile(path).write(token)
    return token


def oauth_env(
    tmp_path: Path,
    oauth_dovecot: OAuthDovecot,
    idp: OAuthServer,
    clock: Clock,
    *,
    smtp_port: int | None = None,
    **options: Any,
) -> IngestEnv:
    user = oauth_dovecot.add_user(unique_address())
    config = write_oauth_config(
        tmp_path, user=user, dovecot=oauth_dovecot, smtp_port=smtp_port or free_port(), idp=idp, **options
    )
    app = App(settings=load_config(config, env={}), clock=clock)
    upgrade(app.database)
    return IngestEnv(tmp_path, config, user, oauth_dovecot, None, app)  # type: ignore[arg-type]
