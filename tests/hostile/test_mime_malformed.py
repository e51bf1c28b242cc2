"""Issue 11, point 11: no exception escapes parsing. Malformed MIME (bad base64 padding or length,
8-bit bytes in a 7bit part, broken charsets and headers, absurd nesting, huge header counts) is
decided on its first poll, and the mails behind it are registered. A parser bug that still raises
quarantines the mail at once (parsing is deterministic) with one traceback in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mailflow.adapters.db.models import Case, Message
from mailflow.adapters.mailstore import ContentStore
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.services.ingest import service as ingest_module
from tests.hostile.mime_support import corpus, mail, mime_env_fixture, tracebacks  # noqa: F401 - the mime_env fixture
from tests.ingest.builders import complaint
from tests.ingest.conftest import IngestEnv

pytestmark = [pytest.mark.slow, pytest.mark.imap]

# each of these raised inside parsing before the fix, so it was retried on every poll
RAISED_BEFORE = [
    "p11_attachment_base64_invalid_length.eml",  # binascii.Error: 1 more than a multiple of 4
    "p10_gmail_jpg_base64_missing_padding.eml",  # binascii.Error: incorrect padding
    "p10_thunderbird_docx_junk_in_base64.eml",  # binascii.Error after the junk
    "p11_nonascii_in_7bit_parts.eml",  # UnicodeEncodeError on the 7bit attachment
    "p11_absurd_nesting_1200.eml",  # RecursionError in the stdlib parser
    "p11_rfc822_nesting_1100.eml",  # the same through attached mails
]


def test_malformed_mail_is_decided_in_one_poll_and_the_mail_behind_it_is_registered(
    mime_env: IngestEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env = mime_env
    index = corpus()
    names = [*RAISED_BEFORE, *(n for n in index if n.startswith("p11_") and n not in RAISED_BEFORE)]
    uids: dict[int, str] = {}
    for number, name in enumerate(names, 1):
        uids[env.append(mail(name))] = name
        env.append(complaint(number))  # a normal complaint right behind each one

    with caplog.at_level(logging.WARNING):
        env.poll_once()

    rows = {m.uid: m for m in env.rows(Message)}
    decided = {uids[u]: (rows[u].status, rows[u].attempts) for u in uids}
    assert decided == {n: (index[n]["status"], 1) for n in names}
    assert sum(1 for c in env.rows(Case) if c.subject.startswith("Jalan berlubang di RT")) == len(names)
    assert tracebacks(caplog.records) == []


def test_parsing_never_raises_on_the_inputs_that_used_to_raise(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "att")
    for name in RAISED_BEFORE:
        parsed = parse_message(mail(name), store=store, limits=ParseLimits())
        assert parsed.from_addr and parsed.defects, name


def test_a_parser_bug_quarantines_at_once_with_one_traceback(
    mime_env: IngestEnv, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mock, because the fault cannot be produced for real: parse_message is built not to raise on
    # any input, so a bug inside it is simulated for the one mail that carries the marker.
    real = ingest_module.parse_message

    def buggy(raw: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
        if b"PEMICU-BUG" in raw:
            raise IndexError("simulated parser bug")
        return real(raw, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "parse_message", buggy)
    env = mime_env
    env.append(complaint(1, subject="Aduan PEMICU-BUG"))
    env.append(complaint(2))

    with caplog.at_level(logging.WARNING):
        env.poll_once()
        env.poll_once()

    [bad] = env.rows(Message, Message.subject == "Aduan PEMICU-BUG")
    assert (bad.status, bad.attempts) == ("quarantined", 1)
    assert (bad.quarantine_reason or "").startswith(
        "parse_failed: pesan tidak dapat diurai (IndexError: simulated parser bug)"
    )
    assert bad.from_addr == "warga1@gmail.com"  # read from the header for the quarantine list
    assert env.count(Case) == 1
    logged = [r for r in caplog.records if r.exc_info is not None]
    assert len(logged) == 1 and "quarantined" in logged[0].getMessage()
