"""Parse Authentication-Results headers (RFC 8601) with the `authres` library."""

from __future__ import annotations

from collections.abc import Iterable

import authres

from mailflow.domain.sender_auth import AuthResult


def parse_authentication_results(values: Iterable[str]) -> list[AuthResult]:
    """Every method result of every header; unparseable headers are skipped (they prove nothing)."""
    results: list[AuthResult] = []
    for value in values:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except authres.AuthResError:
            continue
        server = str(header.authserv_id or "").strip().lower()
        for item in header.results:
            properties = {
                f"{p.type}.{p.name}".lower(): str(p.value or "").strip().lower() for p in item.properties
            }
            results.append(AuthResult(server, str(item.method).lower(), str(item.result).lower(), properties))
    return results
