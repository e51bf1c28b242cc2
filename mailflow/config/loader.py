"""Load mailflow.toml: find it, parse it, merge secrets from the environment, validate, resolve paths."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mailflow.config.errors import to_config_error
from mailflow.config.locate import toml_line
from mailflow.config.model import OAuth2Section, Settings
from mailflow.errors import ConfigError
from mailflow.i18n import language_from_env, translate

CONFIG_ENV = "MAILFLOW_CONFIG"
DEFAULT_FILE = "mailflow.toml"
_LINE = re.compile(r"line (\d+)")


def find_config(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """--config, else $MAILFLOW_CONFIG, else ./mailflow.toml."""
    environ = os.environ if env is None else env
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return Path(DEFAULT_FILE)


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the configuration; every user mistake becomes a ConfigError."""
    environ = dict(os.environ if env is None else env)
    file = find_config(path, environ)
    lang = language_from_env()
    if not file.is_file():
        raise ConfigError(translate("config.not_found", lang), file=str(file))
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(translate("config.unreadable", lang, error=exc), file=str(file)) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _LINE.search(str(exc))
        raise ConfigError(
            translate("config.toml_syntax", lang, error=exc),
            file=str(file),
            line=int(match.group(1)) if match else None,
        ) from None
    lang = _language_hint(raw, lang)
    _merge_secrets(raw, environ)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise to_config_error(exc, Settings, file=file, text=text, line_of=toml_line, lang=lang) from None
    return resolve_paths(settings, file.resolve())


def settings_from_mapping(raw: Mapping[str, Any], base: Path) -> Settings:
    """Validate an in-memory configuration (tests, the demo) as if it were read from `base`."""
    settings = Settings.model_validate(dict(raw))
    return resolve_paths(settings, base / DEFAULT_FILE)


def _language_hint(raw: Mapping[str, Any], fallback: str) -> str:
    general = raw.get("general")
    if isinstance(general, Mapping) and general.get("language") in ("id", "en"):
        return str(general["language"])
    return fallback


def _merge_secrets(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """Secrets from the environment win over the file, so the file can be shared without them."""

    def put(section: str, key: str, variable: str) -> None:
        if env.get(variable):
            table = raw.setdefault(section, {})
            if isinstance(table, dict):
                table[key] = env[variable]

    put("database", "url", "MAILFLOW_DATABASE_URL")
    put("smtp", "password", "MAILFLOW_SMTP_PASSWORD")
    put("tokens", "secret", "MAILFLOW_TOKEN_SECRET")
    _put_client_secret(raw.get("smtp"), env.get("MAILFLOW_SMTP_CLIENT_SECRET"))
    mailboxes = raw.get("mailboxes")
    if isinstance(mailboxes, list):
        for box in mailboxes:
            if isinstance(box, dict) and isinstance(box.get("name"), str):
                prefix = f"MAILFLOW_MAILBOX_{box['name'].upper().replace('-', '_')}"
                if env.get(f"{prefix}_PASSWORD"):
                    box["password"] = env[f"{prefix}_PASSWORD"]
                _put_client_secret(box, env.get(f"{prefix}_CLIENT_SECRET"))


def _put_client_secret(table: Any, value: str | None) -> None:
    """An OAuth2 client secret from the environment, when that account has an oauth2 table."""
    if value and isinstance(table, dict) and isinstance(table.get("oauth2"), dict):
        table["oauth2"]["client_secret"] = value


def resolve_paths(settings: Settings, config_file: Path) -> Settings:
    """Make every relative path absolute against the config file's folder."""
    base = config_file.parent

    def absolute(value: Path | None) -> Path | None:
        if value is None:
            return None
        expanded = value.expanduser()
        return expanded if expanded.is_absolute() else (base / expanded).resolve()

    general = settings.general.model_copy(update={"data_dir": absolute(settings.general.data_dir)})
    paths = settings.paths.model_copy(
        update={name: absolute(getattr(settings.paths, name)) for name in type(settings.paths).model_fields}
    )
    database = settings.database
    if database.url and database.url.startswith("sqlite:///") and not database.url.startswith("sqlite:////"):
        relative = database.url.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            database = database.model_copy(update={"url": f"sqlite:///{absolute(Path(relative))}"})
    data_dir = general.data_dir
    assert data_dir is not None  # absolute() of a Path

    def token_file(oauth2: OAuth2Section | None, name: str) -> OAuth2Section | None:
        # The tokens stay outside the config file: by default in <data_dir>/oauth/<name>.json.
        if oauth2 is None:
            return None
        path = absolute(oauth2.token_file) or data_dir / "oauth" / f"{name}.json"
        return oauth2.model_copy(update={"token_file": path})

    mailboxes = tuple(
        box.model_copy(update={"oauth2": token_file(box.oauth2, box.name)}) for box in settings.mailboxes
    )
    smtp = settings.smtp.model_copy(update={"oauth2": token_file(settings.smtp.oauth2, "smtp")})
    return settings.model_copy(
        update={
            "general": general,
            "paths": paths,
            "database": database,
            "mailboxes": mailboxes,
            "smtp": smtp,
            "config_file": config_file,
        }
    )
