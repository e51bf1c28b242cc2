"""The structural limits checked before any PDF parser runs (adapters.pdf_limits), on raw bytes
written here the way PDF writers lay them out: streams, object streams, filters, names."""

from __future__ import annotations

import base64
import functools
import time
import zlib

import pytest

from mailflow.adapters.pdf_limits import MAX_OBJECTS, MAX_STREAM_BYTES, check_pdf_limits
from mailflow.domain import signatures as sig
from mailflow.errors import QuarantineError

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
TRAILER = b"trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"


def stream(number: int, data: bytes, header: bytes = b"/Filter /FlateDecode") -> bytes:
    return (
        f"{number} 0 obj\n<< {header.decode()} /Length {len(data)} >>\nstream\n".encode()
        + data
        + b"\nendstream\nendobj\n"
    )


def pdf(*objects: bytes) -> bytes:
    return HEADER + b"".join(objects) + TRAILER


def refusal(data: bytes) -> str | None:
    try:
        check_pdf_limits(data)
    except QuarantineError as exc:
        return exc.code
    return None


@functools.cache
def zeros(megabytes: int) -> bytes:
    squeezer = zlib.compressobj(9)
    return b"".join(squeezer.compress(bytes(1 << 20)) for _ in range(megabytes)) + squeezer.flush()


def test_an_ordinary_file_passes() -> None:
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (Surat tanggapan) Tj ET\n" * 200)
    link = b"2 0 obj\n<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://lapor.go.id) >> >>\nendobj\n"
    assert refusal(pdf(b"1 0 obj\n<< /Type /Catalog >>\nendobj\n", link, stream(3, content))) is None


@pytest.mark.parametrize(
    ("header", "encode"),
    [
        (b"/Filter /FlateDecode", lambda raw: raw),
        (b"/Filter /Fl", lambda raw: raw),
        (b"/Filter [/ASCIIHexDecode /FlateDecode]", lambda raw: raw.hex().encode() + b">"),
        (b"/Filter [/A85 /Fl]", lambda raw: base64.a85encode(raw, adobe=True)[2:]),
    ],
)
def test_a_stream_that_inflates_past_the_limit_is_a_bomb(header: bytes, encode) -> None:  # type: ignore[no-untyped-def]
    bomb = zeros(MAX_STREAM_BYTES // (1 << 20) + 8)
    assert len(bomb) < 1 << 20  # under a megabyte on the wire
    assert refusal(pdf(stream(1, encode(bomb), header))) == sig.EXPANDS


@pytest.mark.slow  # inflates half a gigabyte
def test_many_streams_each_under_the_limit_add_up() -> None:
    squeezed = zeros(100)  # 100 MB each, 6 of them: over the file's total
    assert refusal(pdf(*(stream(n, squeezed) for n in range(1, 7)))) == sig.EXPANDS
    assert refusal(pdf(stream(1, squeezed))) is None


def test_lzw_and_run_length_are_judged_by_their_worst_case() -> None:
    assert refusal(pdf(stream(1, bytes(64 * 1024), b"/Filter /LZWDecode"))) == sig.EXPANDS
    assert refusal(pdf(stream(1, bytes(1024), b"/Filter /LZWDecode"))) is None
    assert refusal(pdf(stream(1, bytes(2 << 20), b"/Filter /RunLengthDecode"))) == sig.EXPANDS


def test_damaged_compressed_data_counts_what_came_out() -> None:
    assert refusal(pdf(stream(1, zlib.compress(b"abc" * 1000)[:-20] + b"\x00garbage"))) is None


@pytest.mark.parametrize(
    "dictionary",
    [
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
        b"<< /S /Launch /F (cmd.exe) >>",
        b"<< /S /L#61unch /F (cmd.exe) >>",  # the same name, #-escaped
        b"<< /Type /Filespec /EF << /F 9 0 R >> /Type /EmbeddedFile >>",
        b"<< /S /SubmitForm /F (http://contoh.invalid) >>",
        b"<< /AcroForm << /XFA 7 0 R >> >>",
    ],
)
def test_active_content_is_refused_written_out_or_packed_in_an_object_stream(dictionary: bytes) -> None:
    assert refusal(pdf(b"4 0 obj\n" + dictionary + b"\nendobj\n")) == sig.ACTIVE_CONTENT
    packed = b"5 0 " + dictionary
    objstm = stream(6, zlib.compress(packed), b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode")
    assert refusal(pdf(objstm)) == sig.ACTIVE_CONTENT


def test_names_inside_content_or_compressed_data_are_not_actions() -> None:
    content = zlib.compress(b"/JavaScript 12 Tf (JS) Tj")  # a font resource named like an action
    raw = b"xx/JS yy/Launch zz" * 10  # stream bytes that happen to spell the names
    assert refusal(pdf(stream(1, content), stream(2, raw, b""))) is None


def test_more_objects_than_any_letter_is_too_complex() -> None:
    many = b"".join(f"{n} 0 obj\n<< /N {n} >>\nendobj\n".encode() for n in range(1, MAX_OBJECTS + 2))
    assert refusal(pdf(many)) == sig.TOO_COMPLEX
    objstm = stream(1, zlib.compress(b"1 0"), f"/Type /ObjStm /N {MAX_OBJECTS + 1} /First 3".encode())
    assert refusal(pdf(objstm)) == sig.TOO_COMPLEX


def test_objects_are_counted_by_their_headers_not_by_every_obj_in_the_file() -> None:
    """The bytes `obj` (in `endobj` too, and anywhere in the data) only bound the count: a file
    with more of them than the limit but fewer objects than the limit passes, also with an
    object stream whose objects bring it just to the limit."""
    half = MAX_OBJECTS // 2 + 10
    many = b"".join(f"{n} 0 obj\n<< /N {n} >>\nendobj\n".encode() for n in range(1, half + 1))
    assert many.count(b"obj") > MAX_OBJECTS
    assert refusal(pdf(many)) is None
    packed = MAX_OBJECTS - half - 1  # plus the object stream itself: exactly the limit
    objstm = stream(half + 1, zlib.compress(b"1 0"), f"/Type /ObjStm /N {packed} /First 3".encode())
    assert refusal(pdf(many, objstm)) is None
    one_more = stream(half + 1, zlib.compress(b"1 0"), f"/Type /ObjStm /N {packed + 1} /First 3".encode())
    assert refusal(pdf(many, one_more)) == sig.TOO_COMPLEX


@pytest.mark.parametrize(
    "filler",
    [b"1" * (8 << 20), b"<<" * (4 << 20), b"stream\n" * (1 << 20), b"/" * (8 << 20), b"1 " * (4 << 20)],
)
def test_hostile_filler_is_scanned_in_linear_time(filler: bytes) -> None:
    started = time.monotonic()
    refusal(pdf(filler))
    assert time.monotonic() - started < 10  # a quadratic scan of 8 MB would take hours
