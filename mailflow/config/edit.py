"""Edit mailflow.toml as text, keeping the admin's comments (tomlkit): drop every secret for a
backup, and point a restored copy at its new site.

Secrets are the keys the loader also reads from the environment: mailbox and SMTP passwords,
OAuth2 client secrets, the token secret, and the password inside a database URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomlkit
from sqlalchemy.engine import make_url
from tomlkit.items import Table

from mailflow.errors import ConfigError

SECRET_KEYS = ("password", "secret", "client_secret")


def without_secrets(text: str) -> str:
    """The config with every secret removed (a comment says where it must come from)."""
    document = _parse(text)
    for box in _array(document.get("mailboxes")):
        prefix = "MAILFLOW_MAILBOX_" + str(box.get("name", "<NAME>")).upper().replace("-", "_")
        _drop(box, "password", f"{prefix}_PASSWORD")
        _drop(box.get("oauth2"), "client_secret", f"{prefix}_CLIENT_SECRET")
    smtp = document.get("smtp")
    _drop(smtp, "password", "MAILFLOW_SMTP_PASSWORD")
    if isinstance(smtp, Mapping):
        _drop(smtp.get("oauth2"), "client_secret", "MAILFLOW_SMTP_CLIENT_SECRET")
    _drop(document.get("tokens"), "secret", "MAILFLOW_TOKEN_SECRET")
    database = document.get("database")
    if isinstance(database, Table) and isinstance(database.get("url"), str):
        database["url"] = safe_url(str(database["url"]))
    return tomlkit.dumps(document)


def safe_url(url: str) -> str:
    """A database URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True).replace(":***@", "@")
    except Exception:  # noqa: BLE001 - an unreadable URL is dropped whole rather than risked
        return ""


def with_updates(
    text: str, updates: Mapping[str, Mapping[str, Any]], removals: Mapping[str, tuple[str, ...]]
) -> str:
    """Set `updates[section][key]` and delete `removals[section]` keys (sections made as needed)."""
    document = _parse(text)
    for section, values in updates.items():
        table = document.get(section)
        if not isinstance(table, Table):
            table = tomlkit.table()
            document[section] = table
        for key, value in values.items():
            table[key] = value
    for section, keys in removals.items():
        table = document.get(section)
        if isinstance(table, Table):
            for key in keys:
                if key in table:
                    del table[key]
    return tomlkit.dumps(document)


def _parse(text: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except Exception as exc:  # noqa: BLE001 - tomlkit's parse errors share no public base
        raise ConfigError(f"cannot read the configuration: {exc}") from None


def _array(value: Any) -> list[Any]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _drop(table: Any, key: str, variable: str) -> None:
    if isinstance(table, Mapping) and key in table:
        del table[key]  # type: ignore[attr-defined]
        table.add(tomlkit.comment(f"{key}: not in the backup; set {variable}"))  # type: ignore[attr-defined]
