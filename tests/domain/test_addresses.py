"""Only plain local@domain addresses are used as recipients or identities."""

from __future__ import annotations

import pytest

from mailflow.domain.addresses import is_valid_addr_spec, normalise


@pytest.mark.parametrize(
    "address",
    [
        "siti.rahma@gmail.com",
        "kadis.kominfo@bontangkota.go.id",
        "lapor+abc234@diskominfo.bontangkota.go.id",
        "o'brien@example.org",
        "x@xn--bcher-kva.example",
    ],
)
def test_plain_addresses_are_valid(address: str) -> None:
    assert is_valid_addr_spec(address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        None,
        '"Big Bug bb"@bug.com',  # what the stdlib makes of `Big Bug bb@bug.com`
        "bb@bug",  # no dot in the domain
        "a@b@c.com",
        "siti\u202e@gmail.com",
        "siti@gmail.com\n",
        "siti @gmail.com",
        ".siti@gmail.com",
        "siti..rahma@gmail.com",
        "siti@-gmail.com",
        "siti@[127.0.0.1]",
        "büdi@exämple.com",
        "x" * 65 + "@example.com",
        "<>",
    ],
)
def test_smuggled_or_broken_addresses_are_not(address: str | None) -> None:
    assert not is_valid_addr_spec(address)


def test_normalise_lowercases_valid_addresses_only() -> None:
    assert normalise(" Siti.Rahma@Gmail.com ") == "siti.rahma@gmail.com"
    assert normalise("Big Bug bb@bug.com") is None
