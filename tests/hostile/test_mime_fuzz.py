"""Fuzzing the ingest side: Hypothesis mutates real-shaped mails (the hostile corpus and the ingest
samples) with byte flips, truncation, header duplication, boundary damage, charset swaps and
spliced garbage, and each result goes through parse_message (with a real ContentStore), the
noise guard, complaint extraction and the inbox rules, as ingest runs them. Nothing may raise,
and what the parser promises about addresses and names must hold for every input."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.adapters.mailstore import ContentStore
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.config.rules_file import load_rules
from mailflow.domain.addresses import is_valid_addr_spec
from mailflow.domain.complaint import extract_complainant
from mailflow.domain.noise import detect_noise
from mailflow.domain.reply_signals import case_tag_regex, reply_signals
from mailflow.domain.rules import MailFacts, evaluate
from mailflow.domain.safe_text import has_unsafe
from mailflow.resources import bundled
from tests.hostile.mime_support import MAILS, REPLY_ADDRESS
from tests.ingest.builders import SAMPLES

pytestmark = [pytest.mark.slow]

# real-shaped seeds small enough to mutate thousands of times in under a minute
SEEDS = [
    p.read_bytes()
    for p in sorted([*MAILS.glob("*.eml"), *SAMPLES.glob("*.eml")])
    if p.stat().st_size < 40_000
]
OPDS = ["DPUPR", "DISHUB", "DLH", "DINKES", "DISDIKBUD", "DISDUKCAPIL", "PDAM", "SATPOLPP"]
RULES = load_rules(bundled("inbox_rules"), known_opds=OPDS)
CASE_TAG = case_tag_regex("LPR-{tahun}-{nomor:05d}")
DOMAINS = ("diskominfo.bontangkota.go.id",)
LIMITS = ParseLimits(max_message_bytes=2 * 1024 * 1024, max_attachment_bytes=64 * 1024)
_HEADER_LINE = re.compile(rb"^[A-Za-z-]+:[^\r\n]*\r?\n", re.MULTILINE)
_BOUNDARY_LINE = re.compile(rb"^--[^\r\n]*$", re.MULTILINE)
_CHARSET = re.compile(rb"charset=\"?[A-Za-z0-9_-]+\"?", re.IGNORECASE)
CHARSETS = [b"charset=x-unknown", b"charset=utf-16", b'charset="utf-8\\"', b"charset=", b"charset=gb2312",
            b"charset=iso-2022-jp", b"charset=utf-7", b"charset=\xff\xfe"]  # fmt: skip


def _at(data: bytes, where: float) -> int:
    return min(int(where * len(data)), len(data))


def _mutate(raw: bytes, op: str, where: float, blob: bytes) -> bytes:
    """One mutation of `raw` at relative position `where`, using `blob` where bytes are needed."""
    at = _at(raw, where)
    if op == "flip" and raw:
        index = min(at, len(raw) - 1)
        return raw[:index] + bytes([raw[index] ^ (blob[0] if blob else 0x80)]) + raw[index + 1 :]
    if op == "truncate":
        return raw[:at]
    if op == "insert":
        return raw[:at] + blob + raw[at:]
    if op == "delete":
        return raw[:at] + raw[at + len(blob) * 8 :]
    if op == "duplicate_header":
        headers = _HEADER_LINE.findall(raw[:4096])
        if headers:
            line = headers[int(where * len(headers)) % len(headers)]
            return line + raw
    if op == "damage_boundary":
        lines = _BOUNDARY_LINE.findall(raw)
        if lines:
            line = lines[int(where * len(lines)) % len(lines)]
            return raw.replace(line, line[: max(2, len(line) - 1 - len(blob))] + blob, 1)
    if op == "swap_charset":
        return _CHARSET.sub(CHARSETS[int(where * len(CHARSETS)) % len(CHARSETS)], raw, count=1)
    if op == "splice":
        other = SEEDS[int(where * len(SEEDS)) % len(SEEDS)]
        return raw[:at] + other[_at(other, where) :]
    if op == "line_endings":
        return (
            raw.replace(b"\r\n", b"\n") if b"\r\n" in raw else raw.replace(b"\n", b"\r" if blob else b"\r\n")
        )
    return raw


OPS = ["flip", "truncate", "insert", "delete", "duplicate_header", "damage_boundary", "swap_charset",
       "splice", "line_endings"]  # fmt: skip
MUTATIONS = st.lists(
    st.tuples(st.sampled_from(OPS), st.floats(0, 1), st.binary(min_size=0, max_size=24)),
    min_size=1,
    max_size=5,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ContentStore:
    return ContentStore(tmp_path_factory.mktemp("fuzz-attachments"))


def _run(raw: bytes, store: ContentStore) -> None:
    mail = parse_message(raw, store=store, limits=LIMITS)
    # what the rest of mailflow may rely on, whatever came in
    assert mail.from_addr is None or is_valid_addr_spec(mail.from_addr)
    assert (mail.from_addr is None) == (mail.from_problem is not None)
    assert all(is_valid_addr_spec(a) for a in (*mail.recipients, *mail.reply_to))
    if mail.from_name is not None:
        assert not has_unsafe(mail.from_name) and not any(ch in mail.from_name for ch in "<>@")
    assert mail.identity is None or not mail.from_recovered
    noise = detect_noise(mail, own_addresses=(REPLY_ADDRESS,), own_domains=DOMAINS)
    who = extract_complainant(mail)
    assert who.email is None or is_valid_addr_spec(who.email)
    signals = reply_signals(mail, reply_address=REPLY_ADDRESS, own_domains=DOMAINS, case_tag=CASE_TAG)
    evaluate(RULES, MailFacts.of(mail, "diskominfo", signals, automated=noise is not None))


# Derandomized like the reply fuzz, so one CI run is the same as the next; to search further,
# set derandomize=False locally and run it a few times (a random run found the broken charset
# names fixed in mime_decode, now pinned in test_mime_charset_names.py).
@settings(
    max_examples=2500,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(seed=st.sampled_from(SEEDS), mutations=MUTATIONS)
def test_mutated_real_mail_never_breaks_parsing_noise_or_rules(
    store: ContentStore, seed: bytes, mutations: list[tuple[str, float, bytes]]
) -> None:
    raw = seed
    for op, where, blob in mutations:
        raw = _mutate(raw, op, where, blob)
    _run(raw, store)


def test_every_seed_parses_as_it_is(store: ContentStore) -> None:
    assert len(SEEDS) > 50
    for seed in SEEDS:
        _run(seed, store)
