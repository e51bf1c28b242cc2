"""Issue 16: the outbox's cheap check never lets through a mail the real build refuses.

`outbox.queue` used to build every mail once (the email generator, a millisecond) to fail at
queue time whatever the email package refuses. `mime_build.surely_builds` now skips that trial
for a mail of plain values only. These tests hold the shortcut against the real build: whenever
it says "surely builds", `build_mime` must succeed, over generated hostile values (every field,
printable ASCII with the email package's special characters, long tokens, encoded-word look-alikes,
non-ASCII, control characters, lone surrogates); and what it does not vouch for still gets the
real build (tests/hostile/test_outbox_queue.py: failed at queue time with the build's reason).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mime_build import build_mime, surely_builds

DOMAIN = "diskominfo.bontangkota.go.id"
FROM = f"lapor@{DOMAIN}"
NOW = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)

# values the email package treats specially, mixed into the generated text
_TRICKY = [
    '"', "\\", "(", ")", "<", ">", "@", ",", ";", ":", "=?", "?=", "=?utf-8?q?=FF?=",
    "=?unknown-8bit?b?/w==?=", "\t", "\r\n", "\x00", "\u00e9", "\u202e", "\ud800", "x" * 120,
    "<a@b.c> <d@e.f>", "=?utf-8?b?", " ", "'", ".", "..", "-",
]  # fmt: skip
_TEXT = st.lists(
    st.one_of(st.sampled_from(_TRICKY), st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126))),
    max_size=8,
).map("".join)
_ANY_TEXT = st.one_of(_TEXT, st.text(max_size=60))
# printable ASCII only, with the characters that address and header parsing treat specially: the
# values the shortcut does vouch for, to test it where it matters
_ASCII_TRICKY = [t for t in _TRICKY if t.isascii() and t.isprintable()] + ["x" * 400, "<a@b.c>" * 30]
_PLAIN_TEXT = st.lists(
    st.one_of(
        st.sampled_from(_ASCII_TRICKY), st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126))
    ),
    max_size=8,
).map("".join)
_ATEXT = "abcxyzABC0189!#$%&'*+/=?^_`{|}~-"
_LOCAL = st.lists(st.text(alphabet=_ATEXT, min_size=1, max_size=70), min_size=1, max_size=3).map(".".join)
_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_VALID_ADDRESS = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    _LOCAL,
    st.lists(_LABEL, min_size=1, max_size=4),
    st.sampled_from(["id", "com", "xn--p1ai", "museum"]),
)
_ADDRESS = st.one_of(
    st.sampled_from(
        [
            "budi@dinas.go.id",
            "o'brien+x@mail.example.com",
            "a.b@xn--bcher-kva.de",
            "p\u00e9@x.id",
            "a..b@x.id",
        ]
    ),
    st.builds(lambda local, domain: f"{local}@{domain}", _TEXT, st.sampled_from(["gmail.com", "x", "a.b"])),
)


def _row(**values: object) -> OutboxMail:
    fields: dict[str, object] = {
        "message_id": f"<tok.{'0' * 16}@{DOMAIN}>",
        "to_addr": "warga@gmail.com",
        "to_name": None,
        "cc_addrs": None,
        "reply_to": None,
        "subject": "[LPR-2026-00001] Aduan Anda telah kami terima",
        "headers": None,
        "text_body": "Terima kasih.",
        "html_body": None,
        "language": "id",
        "created_at": NOW,
    }
    fields.update(values)
    return OutboxMail(**fields)


def _builds(row: OutboxMail) -> bool:
    try:
        build_mime(row, from_addr=FROM, from_name="", files=())
    except Exception:
        return False
    return True


@settings(
    max_examples=1500,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    to_addr=_ADDRESS,
    to_name=st.one_of(st.none(), _ANY_TEXT),
    reply_to=st.one_of(st.none(), _ADDRESS),
    cc=st.lists(_ADDRESS, max_size=3),
    subject=_ANY_TEXT,
    header_name=st.sampled_from(["In-Reply-To", "References", "X-Mailflow-Case", "Date", "To", "Bad Name"]),
    header_value=_ANY_TEXT,
    prefix=st.one_of(st.just("tok"), _TEXT),
    text=_ANY_TEXT,
    html=st.one_of(st.none(), _ANY_TEXT),
    language=st.sampled_from(["id", "en", "", "e n", "\u00e9"]),
)
def test_surely_builds_is_never_wrong(
    to_addr: str,
    to_name: str | None,
    reply_to: str | None,
    cc: list[str],
    subject: str,
    header_name: str,
    header_value: str,
    prefix: str,
    text: str,
    html: str | None,
    language: str,
) -> None:
    row = _row(
        message_id=f"<{prefix}.{'0' * 16}@{DOMAIN}>",
        to_addr=to_addr,
        to_name=to_name,
        cc_addrs=", ".join(cc) or None,
        reply_to=reply_to,
        subject=subject,
        headers=json.dumps({header_name: header_value, "References": header_value}),
        text_body=text,
        html_body=html,
        language=language,
    )
    if surely_builds(row, from_addr=FROM, from_name=""):
        assert _builds(row)


@settings(
    max_examples=1500,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    to_addr=_VALID_ADDRESS,
    to_name=st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9 .,'-]{0,64}", fullmatch=True), _PLAIN_TEXT),
    reply_to=st.one_of(st.none(), _VALID_ADDRESS),
    cc=st.lists(_VALID_ADDRESS, max_size=4),
    subject=st.one_of(_PLAIN_TEXT, _ANY_TEXT),  # any subject: mime_fold encodes it
    header_name=st.sampled_from(["In-Reply-To", "References", "X-Mailflow-Case", "Auto-Submitted"]),
    header_value=_PLAIN_TEXT,
    text=_ANY_TEXT,
)
def test_surely_builds_is_never_wrong_on_plain_values(
    to_addr: str,
    to_name: str | None,
    reply_to: str | None,
    cc: list[str],
    subject: str,
    header_name: str,
    header_value: str,
    text: str,
) -> None:
    row = _row(
        to_addr=to_addr,
        to_name=to_name,
        cc_addrs=", ".join(cc) or None,
        reply_to=reply_to,
        subject=subject,
        headers=json.dumps({header_name: header_value, "References": header_value}),
        text_body=text,
        html_body=text,
    )
    if surely_builds(row, from_addr=FROM, from_name=""):
        assert _builds(row)


def test_the_mails_mailflow_sends_take_the_shortcut() -> None:
    """The shortcut is worth having: an acknowledgement as registration queues it needs no trial."""
    row = _row(
        subject="[LPR-2026-00001] Saluran air tersumbat \u2013 Bontang Kuala RT 09 \U0001f64f",
        to_name="Siti Rahma, S.Pd.",
        reply_to="lapor+abcdef234567@diskominfo.bontangkota.go.id",
        cc_addrs="sekretaris@dishub.bontangkota.go.id",
        headers=json.dumps(
            {
                "Auto-Submitted": "auto-replied",
                "X-Mailflow-Case": "LPR-2026-00001",
                "In-Reply-To": "<CAF=abc+1@mail.gmail.com>",
                "References": "<x@outlook.com> <CAF=abc+1@mail.gmail.com>",
            }
        ),
        text_body="Yth. Ibu Siti,\n\nAduan Anda \u2014 jalan rusak \u2014 telah kami terima.\n",
        html_body="<p>Aduan Anda &mdash; jalan rusak</p>",
    )
    assert surely_builds(row, from_addr=FROM, from_name="")
    assert _builds(row)


@pytest.mark.parametrize(
    "subject",
    [
        "\u3000",
        "\u2003 \u3000\u202e",
        "\x1c\x1d",
        "\u00e9" * 200,
        "\ud800 Jalan rusak",
        "=?utf-8?q?=FF?= \u2013",
    ],
)
def test_odd_subjects_are_answered_like_the_real_build(subject: str) -> None:
    """Subjects that clean to nothing, only Unicode spaces, long non-ASCII, surrogates."""
    row = _row(subject=subject)
    assert _builds(row)
    assert surely_builds(row, from_addr=FROM, from_name="")


@pytest.mark.parametrize(
    "values",
    [
        {"text_body": "Aduan \ud83d rusak"},  # a lone surrogate (a half emoji cut out of a reply)
        {"html_body": "<p>\udcff</p>"},  # a raw byte kept by surrogateescape
    ],
)
def test_what_the_shortcut_does_not_vouch_for_gets_the_real_build(values: dict[str, str]) -> None:
    row = _row(**values)
    assert not surely_builds(row, from_addr=FROM, from_name="")
    assert not _builds(row)
