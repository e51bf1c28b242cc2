from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailflow.domain.tokens import (
    TokenError,
    issue,
    reply_address,
    token_from_address,
    token_from_message_id,
    verify,
)

SECRET = b"s3cret-for-tests"
NOW = datetime(2026, 11, 30, 0, 40, tzinfo=UTC)


def make(**overrides: object) -> str:
    values: dict[str, object] = {
        "case_id": 42, "step": 4, "route_key": 0, "actor": "kadis_kominfo", "now": NOW, "valid_days": 30,
    }  # fmt: skip
    values.update(overrides)
    return issue(SECRET, **values)  # type: ignore[arg-type]


def test_round_trip_and_case_insensitive() -> None:
    token = make(route_key=7, step=6, attempt=2)
    for variant in (token, token.upper()):
        claims = verify(SECRET, variant)
        assert (claims.case_id, claims.step, claims.route_key, claims.attempt) == (42, 6, 7, 2)
        assert claims.names_actor("kadis_kominfo")
        assert not claims.names_actor("sekdis_kominfo")


def test_fits_in_an_address_local_part() -> None:
    address = reply_address("lapor@diskominfo.bontangkota.go.id", make())
    local = address.split("@")[0]
    assert len(local) <= 64
    assert token_from_address(address.upper(), "lapor@diskominfo.bontangkota.go.id") == make()


def test_forged_and_altered_tokens_are_refused() -> None:
    token = make()
    with pytest.raises(TokenError) as forged:
        verify(b"another-secret", token)
    assert forged.value.code == "forged"
    for index in range(len(token)):
        flipped = token[:index] + ("a" if token[index] != "a" else "b") + token[index + 1 :]
        with pytest.raises(TokenError):
            verify(SECRET, flipped)
    with pytest.raises(TokenError) as malformed:
        verify(SECRET, "not-a-token")
    assert malformed.value.code == "malformed"


def test_expiry() -> None:
    claims = verify(SECRET, make(valid_days=3))
    assert not claims.is_expired(NOW + timedelta(days=3))
    assert claims.is_expired(NOW + timedelta(days=4))


def test_token_from_message_id_and_foreign_addresses() -> None:
    token = make()
    assert (
        token_from_message_id(
            f"<{token}.a1b2c3@diskominfo.bontangkota.go.id>", "diskominfo.bontangkota.go.id"
        )
        == token
    )
    assert token_from_message_id(f"<{token}.a1@evil.example>", "diskominfo.bontangkota.go.id") is None
    assert token_from_address(f"lapor+{token}@evil.example", "lapor@diskominfo.bontangkota.go.id") is None
    assert (
        token_from_address("lapor@diskominfo.bontangkota.go.id", "lapor@diskominfo.bontangkota.go.id") is None
    )


def test_empty_secret_cannot_issue() -> None:
    with pytest.raises(ValueError, match="secret"):
        issue(b"", case_id=1, step=2, route_key=0, actor="x", now=NOW, valid_days=1)
