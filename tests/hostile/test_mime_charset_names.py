"""An encoded word whose charset name holds a NUL or a raw 8-bit byte (found by the fuzz test)
decodes as UTF-8 instead of raising out of the parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.adapters.mailstore import ContentStore
from mailflow.adapters.mime_parse import ParseLimits, parse_message


@pytest.mark.parametrize("charset", [b"utf\x00-8", b"ut\xadf-8", b"\xff"])
def test_a_broken_charset_name_never_breaks_parsing(tmp_path: Path, charset: bytes) -> None:
    raw = (
        b"From: =?" + charset + b"?Q?Ratna_Dewi?= <ratna.dewi@gmail.com>\r\n"
        b"To: lapor@diskominfo.bontangkota.go.id\r\n"
        b"Subject: =?" + charset + b"?B?QWR1YW4gc2FsdXJhbg==?=\r\n"
        b"Message-ID: <charset-1@mail.gmail.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nSaluran air tersumbat.\r\n"
    )
    parsed = parse_message(raw, store=ContentStore(tmp_path / "att"), limits=ParseLimits())
    assert parsed.from_addr == "ratna.dewi@gmail.com"
    assert "Aduan saluran" in parsed.subject
