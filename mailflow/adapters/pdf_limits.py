"""Limits checked on a PDF's raw bytes before any parser reads it: expansion, size, active content.

    check_pdf_limits(data)        # QuarantineError(code=expands_too_much / too_complex / active_content)

Why before parsing: every reader used here (pyHanko, pypdf, PDFium) inflates the streams it
touches without a bound. A 600 MB stream of zeros squeezed into 0.6 MB cost 1.2 GB of memory and
7 s in PDFium's text extraction (measured); within the 25 MB attachment limit such a file would
inflate to some 25 GB. So every compressed stream is inflated here in chunks that are counted and
thrown away, never kept:
- one stream over MAX_STREAM_BYTES, or the file over MAX_TOTAL_BYTES, inflated -> expands_too_much;
  FlateDecode (also behind ASCIIHex/ASCII85) is inflated for real; LZW and RunLength, which no
  letter or signing tool here writes, are judged by their worst case (4096:1 and 128:1);
- more than MAX_OBJECTS objects (written out, plus those packed in object streams) -> too_complex:
  a letter has a few hundred at most, and pyHanko's change analysis grows with the count;
- names that make a PDF act when opened (JavaScript, Launch, embedded files, ...) in any
  dictionary, written out or packed in an object stream, #-escaped or not -> active_content: the
  signed letter is forwarded to the complainant from the city's address, so it must be inert.
Image data (DCT, JPX, JBIG2, CCITT) is not decoded here; PDFium decodes images only when it
renders page 1 of a scan for its QR code, into a bitmap of the page's size.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from mailflow.domain import signatures as sig
from mailflow.errors import QuarantineError

MAX_STREAM_BYTES = 128 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_OBJECTS = 5000
_CHUNK = 1 << 20
_WORST_RATIO = {"LZWDecode": 4096, "RunLengthDecode": 128}
_SHORT_FILTERS = {
    "Fl": "FlateDecode",
    "AHx": "ASCIIHexDecode",
    "A85": "ASCII85Decode",
    "LZW": "LZWDecode",
    "RL": "RunLengthDecode",
}
# Names that make a viewer run or open something (ISO 32000-1 12.6 actions, 7.11 embedded files,
# 12.7.8 XFA forms). /URI (a web link) stays allowed: letters carry the portal's address.
ACTIVE_NAMES = frozenset(
    {
        "JavaScript",
        "JS",
        "Launch",
        "RichMedia",
        "SubmitForm",
        "ImportData",
        "GoToR",
        "GoToE",
        "EmbeddedFile",
        "EmbeddedFiles",
        "XFA",
    }
)

_HEADER_LOOKBACK = 64 * 1024
# Every pattern is linear on hostile input: no nested repeats, digit runs matched from their start.
_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_OBJECT = re.compile(rb"(?<![0-9])[0-9]++\s++[0-9]++\s++obj\b")
_NAME = re.compile(rb"/([^\s/\[\]<>(){}%]+)")
_LENGTH = re.compile(rb"/Length\s+([0-9]++)(?!\s+[0-9]+\s+R)")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>]+)")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm\b")
_COUNT = re.compile(rb"/N\s+(\d+)")
_ESCAPE = re.compile(r"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class _Stream:
    header: bytes  # the stream's dictionary
    start: int  # first byte of its data
    end: int  # first byte after its data

    @property
    def filters(self) -> list[str]:
        found = _FILTER.search(self.header)
        if found is None:
            return []
        names = [_name(n) for n in _NAME.findall(found.group(1))]
        return [_SHORT_FILTERS.get(n, n) for n in names]


def check_pdf_limits(data: bytes) -> None:
    """Raise QuarantineError when `data` would expand, branch or act beyond what a letter does."""
    # Every object header holds the bytes `obj` (every `endobj` too): their count bounds the
    # objects from above, in a fraction of the header pattern's time (about 10 % of a letter's
    # pyHanko validation). The headers are counted only when the bound exceeds the limit.
    bound = data.count(b"obj")
    counted: int | None = None
    if bound > MAX_OBJECTS:
        counted = _count_objects(data)
    packed = 0  # objects inside object streams
    streams: list[_Stream] = []
    total = 0
    for stream in _streams(data):
        streams.append(stream)
        if len(streams) > MAX_OBJECTS:
            raise QuarantineError(f"more than {MAX_OBJECTS} streams", code=sig.TOO_COMPLEX)
        inflated = _inflated_size(data[stream.start : stream.end], stream.filters)
        if inflated > MAX_STREAM_BYTES:
            raise QuarantineError(
                f"a stream at byte {stream.start} inflates to more than {MAX_STREAM_BYTES} bytes",
                code=sig.EXPANDS,
            )
        total += inflated
        if total > MAX_TOTAL_BYTES:
            raise QuarantineError(
                f"the streams inflate to more than {MAX_TOTAL_BYTES} bytes", code=sig.EXPANDS
            )
        if _OBJSTM.search(stream.header):
            count = _COUNT.search(stream.header)
            packed += int(count.group(1)) if count else 0
            _refuse_active(_inflate(data[stream.start : stream.end], stream.filters), "an object stream")
    if (bound if counted is None else counted) + packed > MAX_OBJECTS:
        objects = (_count_objects(data) if counted is None else counted) + packed
        if objects > MAX_OBJECTS:
            raise QuarantineError(f"{objects} objects (limit {MAX_OBJECTS})", code=sig.TOO_COMPLEX)
    _refuse_active(_outside_streams(data, streams), "the file")


def _count_objects(data: bytes) -> int:
    """The object headers written out (`12 0 obj`); raises QuarantineError above the limit."""
    objects = len(_OBJECT.findall(data))
    if objects > MAX_OBJECTS:
        raise QuarantineError(f"{objects} objects (limit {MAX_OBJECTS})", code=sig.TOO_COMPLEX)
    return objects


def _streams(data: bytes) -> Iterator[_Stream]:
    """Each `stream` keyword, with its dictionary: the text back to the nearest `obj` (there is
    no `endobj` between an object's header and its stream)."""
    position = 0
    while (found := _STREAM.search(data, position)) is not None:
        keyword, start = found.start(), found.end()
        floor = max(0, keyword - _HEADER_LOOKBACK)
        header_start = data.rfind(b"obj", floor, keyword)
        header = data[header_start if header_start >= 0 else floor : keyword]
        end = _stream_end(data, header, start)
        yield _Stream(header, start, end)
        position = max(end, start)


def _stream_end(data: bytes, header: bytes, start: int) -> int:
    """Where the data ends: its direct /Length when `endstream` follows there, else the next
    `endstream` (an indirect or wrong length), else the end of the file."""
    length = _LENGTH.search(header)
    if length is not None:
        end = start + int(length.group(1))
        if data[end : end + 12].lstrip().startswith(b"endstream"):
            return end
    marker = data.find(b"endstream", start)
    return len(data) if marker < 0 else marker


def _inflated_size(raw: bytes, filters: list[str]) -> int:
    """The stream's decoded size, counted chunk by chunk (FlateDecode), or its worst case."""
    size = len(raw)
    for index, name in enumerate(filters):
        if name in _WORST_RATIO:
            return size * _WORST_RATIO[name]
        if name == "FlateDecode":
            return _count_inflated(_ascii_decoded(raw, filters[:index]))
    return size


def _ascii_decoded(raw: bytes, filters: list[str]) -> bytes:
    """ASCIIHex/ASCII85 in front of Flate (they only shrink); anything else is left as it is."""
    for name in filters:
        try:
            if name == "ASCIIHexDecode":
                text = re.sub(rb"\s", b"", raw.split(b">", 1)[0])
                raw = binascii.unhexlify(text + b"0" * (len(text) % 2))
            elif name == "ASCII85Decode":
                raw = base64.a85decode(raw.strip().removesuffix(b"~>") + b"~>", adobe=True)
        except ValueError:
            return b""
    return raw


def _count_inflated(raw: bytes) -> int:
    """Inflate `raw`, keeping nothing, stopping just past MAX_STREAM_BYTES; damaged data counts
    what came out before the damage (the parsers judge the rest)."""
    inflater = zlib.decompressobj()
    total = 0
    pending = raw
    try:
        while pending and total <= MAX_STREAM_BYTES:
            total += len(inflater.decompress(pending, _CHUNK))
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        return total
    return total


def _inflate(raw: bytes, filters: list[str]) -> bytes:
    """An object stream's content (already known to be within the limits)."""
    if "FlateDecode" not in filters:
        return raw
    decoded = _ascii_decoded(raw, filters[: filters.index("FlateDecode")])
    try:
        return zlib.decompressobj().decompress(decoded, MAX_STREAM_BYTES)
    except zlib.error:
        return b""


def _outside_streams(data: bytes, streams: list[_Stream]) -> bytes:
    """The file with stream data left out: compressed bytes may hold any byte sequence."""
    parts, position = [], 0
    for stream in streams:
        parts.append(data[position : stream.start])
        position = max(position, stream.end)
    parts.append(data[position:])
    return b" ".join(parts)


def _refuse_active(text: bytes, where: str) -> None:
    for raw in _NAME.findall(text):
        name = _name(raw)
        if name in ACTIVE_NAMES:
            raise QuarantineError(f"{where} contains /{name}", code=sig.ACTIVE_CONTENT)


def _name(raw: bytes) -> str:
    text = raw.decode("latin-1")
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "#" in text else text
