"""Issue 11, point 1: only the receiving server's own (topmost) Authentication-Results count.

Header stacks as they arrive: the receiving server's header(s) first, then whatever hops and the
sender wrote. The sender can write a header claiming our authserv-id; it is always below ours.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailflow.adapters.authresults import parse_authentication_results
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.domain.sender_auth import sender_authenticated
from tests.hostile.reply_mails import MX, reply, server_fail, server_pass

IKP = "ikp.kominfo@bontangkota.go.id"
TRUSTED = (MX,)
FORGED_PASS = f"{MX}; dkim=pass header.d=bontangkota.go.id header.s=mail; spf=pass smtp.mailfrom={IKP}; dmarc=pass header.from=bontangkota.go.id"
GMAIL_UNALIGNED = f"{MX}; dkim=pass header.d=evil-mailer.example header.s=s1; spf=pass smtp.mailfrom=bounce@evil-mailer.example; dmarc=fail (p=quarantine) header.from=bontangkota.go.id"


def authenticated(*headers: str, sender: str = IKP, trusted: tuple[str, ...] = TRUSTED) -> bool:
    return sender_authenticated(parse_authentication_results(headers), sender, trusted)


def test_the_servers_pass_on_top_authenticates() -> None:
    assert authenticated(server_pass(IKP))
    assert authenticated(server_pass(IKP), "mx.google.com; dkim=fail header.d=gmail.com")  # hops below


def test_the_issues_attack_a_forged_pass_below_the_servers_fail() -> None:
    # exactly the issue's case: our server says dkim=fail on top, the sender wrote a second header
    # claiming our authserv-id with dkim=pass below it
    assert not authenticated(server_fail(IKP), FORGED_PASS)
    assert not authenticated(
        f"{MX}; dkim=fail header.d=bontangkota.go.id", f"{MX}; dkim=pass header.d=bontangkota.go.id"
    )


def test_an_unaligned_pass_on_top_does_not_let_a_forged_aligned_pass_below_count() -> None:
    # the attacker signs with their own domain: our server's header is all "pass", but unaligned
    assert not authenticated(GMAIL_UNALIGNED, FORGED_PASS)


def test_nothing_below_a_foreign_header_counts() -> None:
    foreign_first = ("relay.evil.example; dkim=pass header.d=bontangkota.go.id", FORGED_PASS)
    assert not authenticated(*foreign_first)
    # a trusted-id header below an untrusted one was written by whoever wrote the untrusted one
    assert not authenticated(f"{MX}; dkim=none", "relay.evil.example; none", FORGED_PASS)
    # ... even when the top one is trusted but reports nothing about DKIM
    assert not authenticated(f"{MX}; spf=fail smtp.mailfrom={IKP}", "mx.google.com; none", FORGED_PASS)


def test_an_unparseable_header_ends_the_trusted_run() -> None:
    assert not authenticated("garbage without an authserv-id", FORGED_PASS)
    assert not authenticated(
        f"{MX}; spf=fail smtp.mailfrom={IKP}", "mx.bontangkota.go.id; dkim=", FORGED_PASS
    )


def test_a_second_header_of_the_same_server_adds_nothing() -> None:
    # the server reported only DKIM; a forged header below cannot add SPF or DMARC under its id
    assert not authenticated(f"{MX}; dkim=fail header.d=bontangkota.go.id", FORGED_PASS)
    assert not authenticated(f"{MX}; dkim=pass header.d=", FORGED_PASS)
    # Postfix with OpenDKIM and OpenDMARC milters (one header each): the topmost decides
    split = (
        f"{MX}; dmarc=pass (p=quarantine dis=none) header.from=bontangkota.go.id",
        f"{MX}; dkim=fail header.d=bontangkota.go.id header.s=mail",
    )
    assert authenticated(*split)
    assert not authenticated(*reversed(split))


def test_several_trusted_servers_on_top() -> None:
    # an internal filter in front of the MX, both trusted
    chain = ("filter.bontangkota.go.id; none", server_pass(IKP))
    assert authenticated(*chain, trusted=(MX, "filter.bontangkota.go.id"))
    assert not authenticated(*chain, trusted=(MX,))  # the filter is not configured: nothing counts


@pytest.mark.parametrize(
    "header",
    [
        "",
        ";",
        "mx.bontangkota.go.id; dkim=",
        "mx.bontangkota.go.id; dkim=pass (unclosed comment header.d=bontangkota.go.id",
        "mx.bontangkota.go.id; " + "dkim=pass; " * 2000,
        "mx.bontangkota.go.id\x00; dkim=pass header.d=bontangkota.go.id",
        "=?utf-8?q?mx.bontangkota.go.id=3B_dkim=3Dpass?=",
    ],
)
def test_malformed_headers_prove_nothing_and_never_raise(header: str) -> None:
    assert not authenticated(header, FORGED_PASS)


def test_the_parser_keeps_the_raw_header_order() -> None:
    raw = reply(
        sender=IKP,
        name="Kabid IKP",
        to="lapor@diskominfo.bontangkota.go.id",
        subject="[LPR-2026-00001] Aduan baru",
        body="VALID",
        original_text="Mohon diperiksa.",
        original_id=None,
        when=datetime(2026, 11, 30, 1, 0, tzinfo=UTC),
        server_auth=(server_fail(IKP), "filter.bontangkota.go.id; none"),
        sender_headers=(("Authentication-Results", FORGED_PASS),),
    )
    mail = parse_message(raw, store=None, limits=ParseLimits())
    assert mail.authentication_results[0].startswith(f"{MX}; dkim=fail")
    assert mail.authentication_results[1] == "filter.bontangkota.go.id; none"
    assert mail.authentication_results[2] == FORGED_PASS
    assert not sender_authenticated(
        parse_authentication_results(mail.authentication_results), IKP, (MX, "filter.bontangkota.go.id")
    )
