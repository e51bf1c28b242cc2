"""Point 8 of issue 14: folded subjects decode exactly, and outgoing subjects fold so they do.

Hypothesis builds subjects of many lengths and scripts; the messages go through real MIME bytes
(CPython's EmailMessage with policy.SMTP, the legacy Header encoder, clients' own foldings and
mailflow's mime_build) and come back through mailflow's parser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mime_build import build_mime
from mailflow.adapters.mime_decode import decode_words, header_text
from mailflow.adapters.mime_fold import MAX_LINE, clean_header_text, fold_header
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.domain.outgoing import one_line

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789[]()-:,.?!/'\"_=%"
SCRIPTS = "éèüñçÀÉ—–…“”€日本語テキスト中文한국어ąęłĳ😀🚧🙏ÿаяжπλ"
plain_words = st.text(alphabet=LATIN, min_size=1, max_size=14)
other_words = st.text(alphabet=SCRIPTS + LATIN[:10], min_size=1, max_size=8)
any_words = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=20
)
words = st.one_of(plain_words, plain_words, other_words, any_words)
subjects = st.lists(words, min_size=1, max_size=35).map(" ".join)
DEFAULT = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _message(subject_value: str | Header, *, raw: bool = False) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = "Warga <warga@gmail.com>"
    message["To"] = "lapor@diskominfo.bontangkota.go.id"
    if raw:
        assert isinstance(subject_value, str)
        message.set_raw("Subject", subject_value)
    else:
        message["Subject"] = subject_value
    message.set_content("Isi aduan.\n")
    return message.as_bytes()


def _parsed_subject(raw: bytes) -> str:
    return parse_message(raw, store=None, limits=ParseLimits()).subject


def _header_block(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


@DEFAULT
@given(subjects)
def test_subjects_folded_by_python_smtp_policy_decode_without_double_or_leading_spaces(subject: str) -> None:
    """CPython's folder sometimes drops the space between two words at a fold (the bytes no
    longer hold it); every space the bytes do hold comes back, once, and nothing else changes."""
    got = _parsed_subject(_message(subject))
    assert "  " not in got and got == got.strip()
    assert got.replace(" ", "") == subject.replace(" ", "")
    assert set(_spaces(got)) <= set(_spaces(subject))


def _spaces(text: str) -> list[int]:
    """Positions of spaces counted in non-space characters before them."""
    out, seen = [], 0
    for ch in text:
        if ch == " ":
            out.append(seen)
        else:
            seen += 1
    return out


@DEFAULT
@given(subjects)
def test_subjects_encoded_by_the_legacy_header_class_decode_exactly(subject: str) -> None:
    folded = Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
    assert _parsed_subject(_message(folded, raw=True)) == subject


@DEFAULT
@given(subjects)
def test_outgoing_subjects_round_trip_exactly(subject: str) -> None:
    raw = build_mime(_outbox(subject), from_addr="lapor@diskominfo.bontangkota.go.id",
                     from_name="LAPOR Bontang", files=())  # fmt: skip
    sent = one_line(subject)  # control, bidi and invisible characters never leave (issue 11)
    assert _parsed_subject(raw) == sent
    # and every other reader agrees: the standard library's strict RFC 2047 parser
    assert str(BytesParser(policy=default).parsebytes(raw)["subject"]) == sent
    assert all(len(line) <= MAX_LINE for line in _header_block(raw))


@DEFAULT
@given(st.text(max_size=300))
def test_any_text_becomes_a_clean_subject_that_round_trips(text: str) -> None:
    value = fold_header("Subject", text)
    assert _parsed_subject(_message(value, raw=True)) == clean_header_text(text)
    assert all(len(line) <= MAX_LINE for line in _header_block(_message(value, raw=True)))


def _outbox(subject: str) -> OutboxMail:
    return OutboxMail(
        message_id="<x.1@diskominfo.bontangkota.go.id>", kind="ack", to_addr="warga@gmail.com",
        to_name="Warga", subject=subject, text_body="Terima kasih.", language="id",
        created_at=datetime(2026, 11, 30, 0, 5, tzinfo=UTC),
    )  # fmt: skip


REPORTED = "[LPR-2026-00042] Jawaban aduan — Jl. MT Haryono — Tanjung Laut sudah diperbaiki — Jl. Ahmad Yani, Api-Api"


def test_the_reported_subject_python_folds_with_a_double_space_decodes_exactly() -> None:
    """CPython folds this one as "...Haryono?=\r\n  =?utf-8?q?=E2=80=94..." (fold + space between
    two encoded words): strict readers lose the space, others show two."""
    raw = _message(REPORTED)
    assert b"?=\r\n  =?" in raw  # the shape from the issue
    assert _parsed_subject(raw) == REPORTED


def test_the_reported_subject_is_built_without_the_double_space() -> None:
    raw = build_mime(_outbox(REPORTED), from_addr="lapor@diskominfo.bontangkota.go.id",
                     from_name="LAPOR Bontang", files=())  # fmt: skip
    lines = _header_block(raw)
    start = next(i for i, line in enumerate(lines) if line.startswith(b"Subject:"))
    assert b"[LPR-2026-00042] Jawaban aduan" in lines[start]  # the case tag stays plain text
    assert not any(line.startswith(b"  ") for line in lines)
    assert _parsed_subject(raw) == REPORTED
    assert str(BytesParser(policy=default).parsebytes(raw)["subject"]) == REPORTED


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Gmail: whole phrase in Q words, folded between words
        (
            "=?UTF-8?Q?Jalan_rusak_di_Jl=2E_Cipto_=E2=80=94_mohon_segera_diperbaiki_?=\r\n"
            " =?UTF-8?Q?oleh_Dinas_PUPR?=",
            "Jalan rusak di Jl. Cipto — mohon segera diperbaiki oleh Dinas PUPR",
        ),
        # Outlook: base64 words with a tab fold
        (
            "=?utf-8?B?QWR1YW4gbGFtcHUgamFsYW4g4oCU?=\r\n\t=?utf-8?B?IEFwaS1BcGk=?=",
            "Aduan lampu jalan — Api-Api",
        ),
        # Thunderbird: plain prefix, encoded word, plain suffix with punctuation right after
        (
            "Re: [LPR-2026-00042] =?UTF-8?Q?Tanggapan_=E2=80=94?=, mohon dicek",
            "Re: [LPR-2026-00042] Tanggapan —, mohon dicek",
        ),
        # CPython's SMTP policy: a fold plus the word's space between two encoded words
        ("=?utf-8?b?w6k=?=\r\n  =?utf-8?b?w6k=?=", "é é"),
        # a UTF-8 character split across two words
        ("=?utf-8?q?=C3?= =?utf-8?q?=A9t=C3=A9?=", "été"),
        # charsets of old clients, an RFC 2231 language tag
        ("=?iso-8859-1?q?Caf=E9?= =?windows-1252?q?_=93baru=94?=", "Café “baru”"),
        ("=?utf-8*id?q?Jalan?= berlubang", "Jalan berlubang"),
        # broken words stay as written
        ("=?utf-8?b?###?= ok", "=?utf-8?b?###?= ok"),
        ("=?bogus-charset?q?abc?=", "abc"),
    ],
)
def test_real_client_foldings_decode_exactly(raw: str, expected: str) -> None:
    assert header_text(raw) == expected
    message = f"Subject: {raw}\r\nFrom: a@b.id\r\n\r\nx\r\n".encode()
    assert _parsed_subject(message) == expected


def test_decode_words_keeps_plain_spacing() -> None:
    assert decode_words("a  =?utf-8?q?b?=  c") == "a  b  c"
    assert decode_words("x=?utf-8?q?a?=y") == "xay"
