"""Find the line where a key path stands in a TOML or YAML text, for error messages.

tomllib gives no positions for values; a small scan of table headers and `key =` lines is
enough for the files mailflow writes and for hand-edited ones. YAML nodes carry their marks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

Loc = Sequence[str | int]

_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def _bare(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


def toml_key_lines(text: str) -> dict[str, int]:
    """Map dotted paths ("mailboxes.0.port", "calendar.hours.friday") to 1-based line numbers."""
    lines: dict[str, int] = {}
    counters: dict[str, int] = {}
    prefix = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_TABLE.match(raw):
            name = _bare(match.group(1))
            index = counters.get(name, -1) + 1
            counters[name] = index
            prefix = f"{name}.{index}"
            lines.setdefault(prefix, number)
            lines.setdefault(name, number)
        elif match := _TABLE.match(raw):
            name = _bare(match.group(1))
            # a sub-table of the latest array element: [mailboxes.tls] after [[mailboxes]]
            head = name.split(".")[0]
            if head in counters and "." in name:
                name = f"{head}.{counters[head]}.{name.split('.', 1)[1]}"
            prefix = name
            lines.setdefault(prefix, number)
        elif match := _KEY.match(raw):
            key = _bare(match.group(1))
            lines.setdefault(f"{prefix}.{key}" if prefix else key, number)
    return lines


def toml_line(text: str, loc: Loc) -> int | None:
    """The line of the deepest known prefix of `loc`."""
    table = toml_key_lines(text)
    parts = [str(p) for p in loc]
    while parts:
        found = table.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def yaml_line(text: str, loc: Loc) -> int | None:
    """The line of the deepest node of `loc` in a YAML text (None if the text does not parse)."""
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return None
    best: int | None = None
    for part in loc:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode):
            found = None
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    best = key_node.start_mark.line + 1
                    found = value_node
                    break
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
                best = node.start_mark.line + 1
            else:
                break
        else:
            break
    return best


def dotted(loc: Loc) -> str:
    """("mailboxes", 0, "port") -> "mailboxes[0].port"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
