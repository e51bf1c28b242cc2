"""What an outgoing mail may carry in its envelope and headers (pure).

Recipients and display names often come from hostile mail (a complainant's From). A mail whose
recipient is not a plain `local@domain` cannot be delivered, and building it can make the email
package raise; queued as it is, it would stop the sender at every pass. So every mail is checked
when it is queued (and again before it is built, for rows queued by older versions): a bad
recipient makes it `failed` with a reason, while text that is merely unsafe is cleaned, because
a citizen's acknowledgement should still go out when their display name carries a bidi override.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mailflow.domain.addresses import is_valid_addr_spec
from mailflow.domain.safe_text import escape, strip_unsafe

MAX_NAME = 300  # outbox.to_name column
_FIELD_NAME = re.compile(r"^[!-9;-~]{1,76}$")  # RFC 5322 ftext: printable ASCII except ':'
_NAME_LOOKS_LIKE_ADDRESS = frozenset("<>@")


@dataclass(frozen=True)
class Problem:
    """Why a mail cannot be sent: a stable code (the i18n key `outbox.<code>`) and the offending
    value, already escaped for showing."""

    code: str
    value: str


def display_name(name: str | None) -> str | None:
    """A display name fit for a To header, or None.

    Control and bidi characters are removed (a header is one clean line). A name that contains
    `<`, `>` or `@` is dropped: it is either a second address ("Budi <budi@dinas.go.id>" as the
    name of a stranger's address) or junk, and the mail reaches its recipient just as well without it.
    """
    cleaned = strip_unsafe(name)
    if not cleaned or any(ch in _NAME_LOOKS_LIKE_ADDRESS for ch in cleaned):
        return None
    return cleaned[:MAX_NAME]


def one_line(value: str | None) -> str:
    """A header value (subject, In-Reply-To...) without line breaks or control/bidi characters."""
    return strip_unsafe(value)


def split_addresses(value: str | None) -> list[str]:
    """The comma-separated addresses of the outbox `cc_addrs` column."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def valid_cc(addresses: Iterable[str]) -> tuple[list[str], list[str]]:
    """(usable Cc addresses lower-cased and without repeats, refused ones). An invalid Cc is
    dropped rather than failing the mail: the main recipient still has to be told."""
    usable: list[str] = []
    refused: list[str] = []
    for address in addresses:
        cleaned = address.strip()
        if is_valid_addr_spec(cleaned):
            if cleaned.lower() not in usable:
                usable.append(cleaned.lower())
        else:
            refused.append(cleaned)
    return usable, refused


def envelope_problem(
    to_addr: str | None, reply_to: str | None, header_names: Iterable[str] = ()
) -> Problem | None:
    """Why a mail with this recipient, Reply-To and extra header names cannot be built, or None."""
    if not is_valid_addr_spec((to_addr or "").strip()):
        return Problem("invalid_to", escape(to_addr, limit=200) or "-")
    if reply_to is not None and not is_valid_addr_spec(reply_to.strip()):
        return Problem("invalid_reply_to", escape(reply_to, limit=200))
    for name in header_names:
        if not _FIELD_NAME.fullmatch(name):
            return Problem("invalid_header", escape(name, limit=80))
    return None


def clean_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Extra header values as single clean lines (In-Reply-To and References copy the incoming
    mail's Message-ID, which its sender wrote)."""
    return {name: one_line(value) for name, value in headers.items()}
