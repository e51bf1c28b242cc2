"""The `email` package's policies, with header classes made once and parsed headers reused.

`email.headerregistry.HeaderRegistry` builds a new class (`type(...)`) every time it parses a
header, and `Message.get()` parses the stored header text again on every call: reading one
attachment's Content-Type, disposition, file name and charset parses its headers a dozen times
(the parser itself asks for Content-Type as it goes). That was 40 % of parsing an incoming mail
and of building an outgoing one. The registry here keeps the class it made for each header name,
and keeps the last parsed headers (name and text as given, text up to `CACHED_VALUE_CHARS`) so
the same text is parsed once. Header objects are never changed after they are made (setting a
header or a parameter makes a new one; folding copies the parse tree into a new list), so a
reused one behaves exactly as a fresh one: same value, defects, folding and errors (a header
that fails to parse is not kept and fails again).
"""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from functools import lru_cache
from typing import Any

CACHED_HEADERS = 1024
CACHED_VALUE_CHARS = 1000  # longer values (References chains) are parsed each time


class _OnceRegistry(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}
        self._parsed: Callable[[str, str], BaseHeader] = lru_cache(maxsize=CACHED_HEADERS)(super().__call__)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if isinstance(value, str) and isinstance(name, str) and len(value) <= CACHED_VALUE_CHARS:
            return self._parsed(name, value)
        return super().__call__(name, value)


DEFAULT = policy.default.clone(header_factory=_OnceRegistry())  # reading mail
SMTP = policy.SMTP.clone(header_factory=_OnceRegistry())  # writing mail (CRLF line ends)
