"""Issue 11, point 2: addresses are parsed from the raw header before any display name is decoded;
an address that is not a valid addr-spec is never used; a display name holding an address or
control/bidi characters is kept only escaped and never used as a name."""

from __future__ import annotations

import base64
from email import policy

import pytest

from mailflow.adapters.db.models import Case, Complainant, Message, OutboxMail
from mailflow.adapters.mime_address import parse_address_list, parse_from, parse_mailboxes
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.domain.complaint import extract_complainant
from mailflow.domain.inbound import InboundMail
from tests.hostile.mime_support import mail, mime_env_fixture  # noqa: F401 - the mime_env fixture
from tests.ingest.conftest import IngestEnv

OFFICIAL = "Ir. Budi Santoso <budi.santoso@dpupr.bontangkota.go.id>"
STRANGER = "andi.pratama1987@gmail.com"


def _b(text: str) -> str:
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def _parse(raw: bytes) -> InboundMail:
    return parse_message(raw, store=None, limits=ParseLimits())


def _with_from(*froms: str, extra: str = "") -> bytes:
    head = "".join(f"From: {f}\r\n" for f in froms)
    return (head + "To: lapor@diskominfo.bontangkota.go.id\r\nSubject: Aduan\r\n" + extra
            + "Content-Type: text/plain; charset=utf-8\r\n\r\nJalan rusak.\r\n").encode("utf-8", "surrogateescape")  # fmt: skip


@pytest.mark.parametrize(
    ("header", "addr", "name", "suspect"),
    [
        (f"{_b(OFFICIAL)} <{STRANGER}>", STRANGER, None, OFFICIAL),
        (f"=?iso-8859-1?Q?Kadis_=3Ckadis=2Edpupr=40bontangkota=2Ego=2Eid=3E?= <{STRANGER}>", STRANGER, None,
         "Kadis <kadis.dpupr@bontangkota.go.id>"),
        (f'"kadis.dpupr@bontangkota.go.id" <{STRANGER}>', STRANGER, None, "kadis.dpupr@bontangkota.go.id"),
        (_b("Siti \u202eRahma") + f" <{STRANGER}>", STRANGER, None, "Siti \\u202eRahma"),
        (f"=?utf-8?Q?Ratna=0D=0AX-Injected:_yes?= <{STRANGER}>", STRANGER, None, "Ratna\\r\\nX-Injected: yes"),
        (f'"{STRANGER}" <{STRANGER}>', STRANGER, None, None),
        (f"Siti Rahma <{STRANGER.upper()}>", STRANGER, "Siti Rahma", None),
    ],
)  # fmt: skip
def test_the_address_comes_from_the_raw_header_and_a_name_with_an_address_is_not_a_name(
    header: str, addr: str, name: str | None, suspect: str | None
) -> None:
    parsed = _parse(_with_from(header))
    assert (parsed.from_addr, parsed.from_name, parsed.from_name_suspect) == (addr, name, suspect)
    assert parsed.identity == addr and not parsed.from_recovered
    assert extract_complainant(parsed).name == name  # never the forged text


@pytest.mark.parametrize(
    ("froms", "problem"),
    [
        ((), "missing"),
        (("",), "empty"),
        (("undisclosed-recipients:;",), "group_only"),
        (('"budi santoso"@gmail.com',), "invalid"),
        (("warga <warga@[192.168.10.5]>",), "invalid"),
        (("=?utf-8?q?budi=40dpupr=2Ebontangkota=2Ego=2Eid?=",), "invalid"),
        (("Siti Aminah",), "invalid"),
        (("<>",), "invalid"),
        (("Jos\udce9 <jos\udce9@correo.example>",), "undecodable"),
        (("a@gmail.com, kadis.dinkes@bontangkota.go.id",), "several"),
        (("Kadis <kadis.kominfo@bontangkota.go.id>", "Penipu <penipu@example.net>"), "conflicting"),
        (("x" * 5000 + " <a@gmail.com>",), "too_long"),
    ],
)
def test_a_from_that_is_not_one_valid_address_is_no_usable_from(froms: tuple[str, ...], problem: str) -> None:
    parsed = _parse(_with_from(*froms))
    assert (parsed.from_addr, parsed.from_problem, parsed.identity) == (None, problem, None)


def test_one_bare_address_is_recovered_but_never_an_identity() -> None:
    parsed = _parse(_with_from("Big Bug bb@bug.com"))
    assert (parsed.from_addr, parsed.from_name, parsed.from_recovered) == ("bb@bug.com", "Big Bug", True)
    assert parsed.identity is None and "FromRecovered" in parsed.defects
    assert _parse(_with_from("Big <bb@bug.com")).identity is None  # readable only by guessing
    for ambiguous in ("Big bb@bug.com cc@bug.com", "bb@bug.com, cc@bug.com", "Big <bb@bug.com> cc@bug.com"):
        assert _parse(_with_from(ambiguous)).from_addr is None, ambiguous


def test_identical_duplicate_from_headers_are_read_as_one() -> None:
    parsed = _parse(_with_from("Yuliana <yuliana@gmail.com>", "Yuliana <Yuliana@Gmail.com>"))
    assert parsed.from_addr == "yuliana@gmail.com" and "DuplicateFrom" in parsed.defects


def test_address_lists_keep_only_valid_addresses() -> None:
    found = parse_address_list(
        ['"ikp.kominfo@bontangkota.go.id" <ikp.kominfo@bontangkota.go.id\u202e>, x <bad@@x.id>',
         "Siti <SITI@gmail.com>, lapor+ab3dx7k2mq5rt8vw@diskominfo.bontangkota.go.id, siti@gmail.com",
         "undisclosed-recipients:;", "a@[1.2.3.4]"]
    )  # fmt: skip
    assert found == ("siti@gmail.com", "lapor+ab3dx7k2mq5rt8vw@diskominfo.bontangkota.go.id")
    assert parse_from([f"{_b(OFFICIAL)} <{STRANGER}>"]).addr == STRANGER


class SeenHooks:
    """The engine's seam, recording what it was handed (ingest alone; nothing faked)."""

    def __init__(self) -> None:
        self.seen: list[InboundMail] = []

    def case_registered(self, session, case, now) -> None:
        return None

    def handle_reply(self, session, message, inbound: InboundMail, now) -> None:
        self.seen.append(inbound)


@pytest.mark.imap
def test_the_forged_display_name_attack_over_dovecot_records_the_strangers_address(
    mime_env: IngestEnv,
) -> None:
    env = mime_env
    env.append(mail("p02_gmail_forged_display_name.eml"))  # a "reply" with DISPOSISI, see the issue
    env.append(mail("p02_outlook_qp_name_with_address.eml"))  # a complaint, same trick in Q encoding
    hooks = SeenHooks()
    env.poll_once(hooks)

    [reply] = env.rows(Message, Message.kind == "reply")
    assert reply.from_addr == STRANGER
    [seen] = hooks.seen
    assert (seen.from_addr, seen.identity, seen.from_name) == (STRANGER, STRANGER, None)
    assert seen.from_name_suspect == OFFICIAL and "budi.santoso" not in seen.from_display
    assert "budi.santoso@dpupr.bontangkota.go.id" not in (seen.from_addr, *seen.recipients)

    [case] = env.rows(Case)
    [who] = env.rows(Complainant)
    assert (who.name, who.email) == ("Rudi Hartanto", "rudi.h.1990@outlook.co.id")  # the form label
    [ack] = env.rows(OutboxMail)
    assert (ack.to_addr, ack.case_id) == ("rudi.h.1990@outlook.co.id", case.id)
    assert "kadis.dpupr" not in (ack.to_name or "")


@pytest.mark.imap
def test_a_recovered_from_gets_the_acknowledgement_but_cannot_answer_a_step(mime_env: IngestEnv) -> None:
    env = mime_env
    env.append(mail("p02_webform_bare_address_no_brackets.eml"))
    env.append(mail("p02_reply_tag_bare_from_official.eml"))
    hooks = SeenHooks()
    env.poll_once(hooks)

    [complaint] = env.rows(Message, Message.kind == "complaint")
    assert (complaint.from_addr, complaint.status) == ("bb@bug.com", "processed")
    [ack] = env.rows(OutboxMail)
    assert ack.to_addr == "bb@bug.com"
    [reply] = env.rows(Message, Message.kind == "reply")
    assert reply.status == "quarantined" and hooks.seen == []
    assert (reply.quarantine_reason or "").startswith("from_unverified: alamat pengirim kadis.dpupr@")


def test_the_fast_path_reads_common_headers_exactly_as_the_structured_parser() -> None:
    values = [
        "Siti Rahma <siti.rahma@gmail.com>", '"Budi, S.T." <budi@x.go.id>', "a@b.id", " <a@b.id> ",
        "Dr. Anwar Sadat <kadis.kominfo@bontangkota.go.id>", "O'Brien <ob@x.id>", "a@b.id, c@d.id",
        '"lapor@diskominfo.bontangkota.go.id" <lapor@diskominfo.bontangkota.go.id>',
        "LAPOR Bontang <lapor+ab3dx7k2mq5rt8vw@diskominfo.bontangkota.go.id>",
    ]  # fmt: skip
    for value in values:
        reference = policy.default.header_factory("to", value)
        expected = [(str(a.addr_spec), str(a.display_name)) for a in reference.addresses]  # type: ignore[attr-defined]
        assert [(m.addr_spec, m.name) for m in parse_mailboxes(value).mailboxes] == expected, value
