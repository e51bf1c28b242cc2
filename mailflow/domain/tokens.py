"""Reply tokens: `lapor+<token>@domain` names the case, step, route, expected actor and expiry,
and carries an HMAC-SHA256 so it cannot be forged or altered.

Layout before encoding (big-endian): version (1 byte), case id (4), step (1), route key (4),
attempt (1), actor tag (4 bytes of SHA-256 of the person id), expiry (2: days since 2020-01-01),
then the first 10 bytes (80 bits) of HMAC-SHA256 over all of that. 27 bytes -> 44 base32 letters,
lowercase, no padding: safe in an address local part (RFC 5321 allows 64), and mail systems that
lowercase or uppercase local parts do not break it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

VERSION = 1
# A token whose step is CASE_TOKEN_STEP names the case, not a step: the complainant's (their
# actor is complainant_actor(id)) and the after-close actors' (a person id). Its attempt is the
# case's round when it was issued, so an after-close command from before a reopening is a replay.
CASE_TOKEN_STEP = 0
COMPLAINANT_TOKEN_DAYS = 366  # a citizen may answer the final mail or the follow-up weeks later
_EPOCH = date(2020, 1, 1)
_BODY = struct.Struct(">BIBIB4sH")
_MAC_BYTES = 10
TOKEN_LENGTH = 44
TOKEN_PATTERN = re.compile(r"[a-z2-7]{44}", re.IGNORECASE)


class TokenError(ValueError):
    """The token is not one of ours: malformed, forged, or altered. `code` is stable for audits."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class TokenClaims:
    case_id: int
    step: int
    route_key: int
    attempt: int
    actor_tag: bytes
    expires: date

    def is_expired(self, now: datetime) -> bool:
        return now.astimezone(UTC).date() > self.expires

    def names_actor(self, person_id: str) -> bool:
        return hmac.compare_digest(self.actor_tag, actor_tag(person_id))

    @property
    def for_case(self) -> bool:
        """A case token (the complainant's or an after-close actor's), not a step's."""
        return self.step == CASE_TOKEN_STEP


def complainant_actor(complainant_id: int) -> str:
    """The actor a complainant's token names (never a directory person id: those have no colon)."""
    return f"complainant:{complainant_id}"


def actor_tag(person_id: str) -> bytes:
    return hashlib.sha256(person_id.encode()).digest()[:4]


def issue(
    secret: bytes,
    *,
    case_id: int,
    step: int,
    route_key: int,
    actor: str,
    now: datetime,
    valid_days: int,
    attempt: int = 1,
) -> str:
    if not secret:
        raise ValueError("the reply-token secret is empty (tokens.secret or MAILFLOW_TOKEN_SECRET)")
    expires = (now.astimezone(UTC) + timedelta(days=valid_days)).date()
    body = _BODY.pack(VERSION, case_id, step, route_key, attempt, actor_tag(actor), (expires - _EPOCH).days)
    mac = hmac.new(secret, body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.b32encode(body + mac).decode().rstrip("=").lower()


def verify(secret: bytes, token: str) -> TokenClaims:
    """Decode and authenticate a token (expiry is checked by the caller with `is_expired`)."""
    cleaned = token.strip()
    if len(cleaned) != TOKEN_LENGTH or not TOKEN_PATTERN.fullmatch(cleaned):
        raise TokenError("malformed", "token has the wrong shape")
    try:
        raw = base64.b32decode(cleaned.upper() + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise TokenError("malformed", "token is not base32") from None
    if base64.b32encode(raw).decode().rstrip("=").lower() != cleaned.lower():
        # the last letter carries padding bits: only the canonical spelling is ours
        raise TokenError("malformed", "token is not in canonical form")
    body, mac = raw[: _BODY.size], raw[_BODY.size :]
    expected = hmac.new(secret, body, hashlib.sha256).digest()[:_MAC_BYTES]
    if not secret or not hmac.compare_digest(mac, expected):
        raise TokenError("forged", "token signature does not match")
    version, case_id, step, route_key, attempt, tag, days = _BODY.unpack(body)
    if version != VERSION:
        raise TokenError("version", f"unknown token version {version}")
    return TokenClaims(case_id, step, route_key, attempt, tag, _EPOCH + timedelta(days=days))


def reply_address(reply_to: str, token: str) -> str:
    """lapor@domain + token -> lapor+token@domain."""
    local, _, domain = reply_to.partition("@")
    return f"{local}+{token}@{domain}"


def token_from_address(address: str, reply_to: str) -> str | None:
    """The token of `local+token@domain` when local and domain are those of our reply address."""
    local, _, domain = address.strip().lower().partition("@")
    our_local, _, our_domain = reply_to.strip().lower().partition("@")
    if domain != our_domain or not local.startswith(our_local + "+"):
        return None
    candidate = local[len(our_local) + 1 :]
    return candidate if TOKEN_PATTERN.fullmatch(candidate) else None


def token_from_message_id(message_id: str, domain: str) -> str | None:
    """Our Message-IDs are <token.random@domain> (see services.outbox.make_message_id)."""
    inner = message_id.strip().strip("<>").lower()
    local, _, mid_domain = inner.partition("@")
    if mid_domain != domain.lower():
        return None
    candidate = local.split(".", 1)[0]
    return candidate if TOKEN_PATTERN.fullmatch(candidate) else None


def plus_suffix(address: str, reply_to: str) -> str | None:
    """What follows `<local>+` in `address` when its local part and domain are those of our reply
    address (lapor+...@domain): a token, or anything else that claims to be one, even empty.
    None when `address` is not such an address at all."""
    local, _, domain = address.strip().lower().partition("@")
    our_local, _, our_domain = reply_to.strip().lower().partition("@")
    if not our_local or domain != our_domain or not local.startswith(our_local + "+"):
        return None
    return local[len(our_local) + 1 :]
