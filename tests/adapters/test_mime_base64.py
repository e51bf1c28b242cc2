"""Base64 bodies: the one-piece decoding of well-formed base64 gives exactly what the chunked,
defect-reporting walk gives, for well-formed and for damaged input alike."""

from __future__ import annotations

import base64
import random

from hypothesis import given
from hypothesis import strategies as st

from mailflow.adapters.mime_decode import _decode_base64_chunked, decode_base64


def both(raw: bytes) -> tuple[tuple[bytes, tuple[str, ...]], tuple[bytes, tuple[str, ...]]]:
    fast: list[bytes] = []
    chunked: list[bytes] = []
    found = decode_base64(raw, fast.append)
    reference = _decode_base64_chunked(raw, chunked.append)
    return (b"".join(fast), found), (b"".join(chunked), reference)


def mime_lines(data: bytes, eol: bytes = b"\r\n") -> bytes:
    text = base64.b64encode(data)
    return eol.join(text[i : i + 76] for i in range(0, len(text), 76)) + eol


def test_a_photo_sized_body_decodes_in_one_piece_to_the_same_bytes() -> None:
    data = random.Random(7).randbytes(700_000)
    (fast, defects), (chunked, reference) = both(mime_lines(data))
    assert fast == chunked == data
    assert defects == reference == ()


@given(st.binary(max_size=3000), st.sampled_from([b"\r\n", b"\n", b" \n"]))
def test_well_formed_base64_gives_what_the_chunked_walk_gives(data: bytes, eol: bytes) -> None:
    fast, reference = both(mime_lines(data, eol))
    assert fast == reference
    assert fast[0] == data


@given(
    st.binary(max_size=600),
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(b"=!*-\x00\xff A\n")), max_size=4),
)
def test_damaged_base64_gives_what_the_chunked_walk_gives(data: bytes, damage: list[tuple[int, int]]) -> None:
    raw = bytearray(mime_lines(data))
    for position, byte in damage:
        if raw:
            raw[position % len(raw)] = byte
    fast, reference = both(bytes(raw))
    assert fast == reference


def test_cut_and_unpadded_base64_still_report_their_defects() -> None:
    text = base64.b64encode(b"surat pengaduan!")  # 24 characters, the last two "="
    for raw in (text[:-1], text[:-2], text + b"QQ", text.replace(b"=", b"")):
        fast, reference = both(raw)
        assert fast == reference
        assert fast[1] != ()
