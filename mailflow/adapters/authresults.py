"""Parse Authentication-Results headers (RFC 8601) with the `authres` library.

The headers stay in the order of the raw message (topmost first): which of them are evidence
depends on their position (domain.sender_auth), so none is dropped, not even one that cannot be
parsed; it is kept as a header without an authserv-id, which ends the trusted run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import authres

from mailflow.domain.safe_text import escape
from mailflow.domain.sender_auth import AuthHeader, AuthResult

log = logging.getLogger(__name__)
MAX_HEADER = 8192  # longer values are not a server's header; parsing them only costs time


def parse_authentication_results(values: Iterable[str]) -> list[AuthHeader]:
    """One AuthHeader per header value, in the given (top-to-bottom) order."""
    return [_parse(value) for value in values]


def _parse(value: str) -> AuthHeader:
    if len(value) > MAX_HEADER:
        return AuthHeader(None)
    try:
        header = authres.AuthenticationResultsHeader.parse_value(value)
        server = str(header.authserv_id or "").strip().lower()
        results = tuple(
            AuthResult(
                server,
                str(item.method).lower(),
                str(item.result).lower(),
                {f"{p.type}.{p.name}".lower(): str(p.value or "").strip().lower() for p in item.properties},
            )
            for item in header.results
        )
    # authres is a hand-written parser fed with whatever a sender wrote: any failure inside it
    # means the same as a syntax error (the header proves nothing and ends the trusted run).
    except Exception as exc:  # noqa: BLE001
        log.debug("unparseable Authentication-Results %s: %s", escape(value, limit=120), exc)
        return AuthHeader(None)
    return AuthHeader(server or None, results)
