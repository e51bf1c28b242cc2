"""Read a YAML file of the site (directory, inbox rules, SOP) with errors that name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mailflow.errors import ConfigError
from mailflow.i18n import translate


def parse_yaml(text: str, source: str, error: type[ConfigError] = ConfigError, lang: str = "id") -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(
            translate("config.yaml_syntax", lang, error=getattr(exc, "problem", exc)),
            file=source,
            line=mark.line + 1 if mark is not None else None,
        ) from None


def read_yaml(path: Path, error: type[ConfigError] = ConfigError, lang: str = "id") -> tuple[str, Any]:
    """The text of `path` and its parsed YAML; an unreadable file or bad syntax raises `error`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(translate("config.unreadable", lang, error=exc), file=str(path)) from None
    return text, parse_yaml(text, str(path), error, lang)
