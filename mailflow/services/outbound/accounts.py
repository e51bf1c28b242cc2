"""OAuth2 accounts from the configuration: the IMAP mailboxes and the SMTP account that sign in
with `auth = "oauth2"`, their clients (provider endpoints) and their shared token sources."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mailflow.adapters.oauth2 import (
    OAuth2Client,
    StoredToken,
    TokenFile,
    TokenSource,
    provider_client,
    shared_source,
)
from mailflow.adapters.oauth2_login import OAuth2LoginError, google_loopback_login, microsoft_device_login
from mailflow.config.model import OAuth2Section, Settings
from mailflow.errors import NotFoundError
from mailflow.i18n import translate

SMTP_NAME = "smtp"


@dataclass(frozen=True)
class OAuthAccount:
    """One account that signs in with OAuth2: `name` is the mailbox name or "smtp"."""

    name: str
    user: str
    section: OAuth2Section

    @property
    def token_file(self) -> Path:
        assert self.section.token_file is not None  # the loader fills in the default
        return self.section.token_file


def client_for(section: OAuth2Section) -> OAuth2Client:
    return provider_client(
        section.provider,
        section.client_id,
        client_secret=section.client_secret.get_secret_value() if section.client_secret else None,
        tenant=section.tenant,
        scopes=section.scopes,
        authority=section.authority,
        auth_url=section.auth_url,
        token_url=section.token_url,
    )


def token_source(account: OAuthAccount, lang: str) -> TokenSource:
    """The process's token source for this account's token file."""

    def refused(reason: str) -> str:
        return translate("oauth.refused", lang, name=account.name, user=account.user, reason=reason)

    return shared_source(
        client_for(account.section),
        account.token_file,
        refused,
        float(account.section.refresh_margin_seconds),
    )


def oauth_accounts(settings: Settings) -> list[OAuthAccount]:
    found = [
        OAuthAccount(box.name, box.user, box.oauth2)
        for box in settings.mailboxes
        if box.auth == "oauth2" and box.oauth2 is not None
    ]
    smtp = settings.smtp
    if smtp.auth == "oauth2" and smtp.oauth2 is not None and smtp.user:
        found.append(OAuthAccount(SMTP_NAME, smtp.user, smtp.oauth2))
    return found


def oauth_account(settings: Settings, name: str, lang: str) -> OAuthAccount:
    for account in oauth_accounts(settings):
        if account.name == name:
            return account
    known = ", ".join(a.name for a in oauth_accounts(settings)) or "-"
    raise NotFoundError(translate("oauth.unknown_account", lang, name=name, known=known))


def sign_in(
    account: OAuthAccount,
    lang: str,
    *,
    show: Callable[[str], None],
    pasted: Callable[[float], str | None],
    timeout: float = 900.0,
) -> StoredToken:
    """Run the provider's interactive flow for `account` and store its tokens (mode 600)."""
    client = client_for(account.section)
    try:
        if client.provider == "microsoft":
            body = microsoft_device_login(
                client,
                lambda url, code: show(
                    translate("oauth.device.prompt", lang, url=url, code=code, user=account.user)
                ),
                timeout=timeout,
            )
        else:
            body = google_loopback_login(
                client,
                account.user,
                lambda url: show(translate("oauth.browser.prompt", lang, url=url, user=account.user)),
                pasted,
                done_page=translate("oauth.browser.done", lang),
                timeout=timeout,
            )
    except OAuth2LoginError as exc:
        raise OAuth2LoginError(
            translate("oauth.login.failed", lang, reason=_login_reason(exc, account, lang))
        ) from None
    token = StoredToken.from_response(body, user=account.user, client=client, previous=None, now=time.time())
    token_file = TokenFile(account.token_file)
    with token_file.lock():
        token_file.write(token)
    return token


def _login_reason(exc: OAuth2LoginError, account: OAuthAccount, lang: str) -> str:
    if exc.code == "no_secret":
        prefix = (
            "MAILFLOW_SMTP"
            if account.name == SMTP_NAME
            else f"MAILFLOW_MAILBOX_{account.name.upper().replace('-', '_')}"
        )
        return translate("oauth.login.no_secret", lang, variable=f"{prefix}_CLIENT_SECRET")
    if exc.code in ("timeout", "state"):
        return translate(f"oauth.login.{exc.code}", lang)
    return str(exc)
