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


def key_lines(text: str) -> dict[str, int]:
    """Line numbers (1-based) of every key path in a YAML document: `steps[3].commands[1].next`.

    Validators of parsed data only know the path of a bad value; this lets an error name the line
    an admin must edit. An unparseable document gives an empty map (parse_yaml reports it)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}

    def walk(node: yaml.Node | None, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = f"{path}.{key_node.value}" if path else str(key_node.value)
                lines.setdefault(child, key_node.start_mark.line + 1)
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                lines.setdefault(child, item.start_mark.line + 1)
                walk(item, child)

    walk(root, "")
    return lines


def line_of(lines: dict[str, int], path: str | None) -> int | None:
    """The line of `path`, or of its nearest parent that has one (a missing key has no line)."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
