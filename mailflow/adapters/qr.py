"""QR codes for document identity (segno): a PNG the renderer places on every page of a letter.

The payload is `mailflow:doc:<id>` (mailflow.domain.documents.qr_payload). Error correction Q
(25 % of the symbol may be lost: a stamp, a fold, a smudge) still fits version 3, 29 modules; the
renderer prints it 2.5 cm wide, 0.86 mm a module, about five pixels a module in a 150 dpi scan.

Every id has the same length, so the version is fixed (no search per letter; segno still picks
the best mask for each code). The PNG is written here rather than by segno's general writer: at
8 pixels a module a 1-bit row is one byte a module, so the image is a few byte copies (a tenth
of the time, for the same pixels).
"""

from __future__ import annotations

import io
import struct
import zlib

import segno

from mailflow.domain.documents import qr_payload

QR_WIDTH_MM = 25.0
QR_VERSION = 3  # 29 modules: every mailflow id at error correction Q
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_png(doc_id: str, *, scale: int = 8) -> bytes:
    """The QR code of a document id as PNG bytes (black on white, four-module quiet zone)."""
    symbol = _symbol(doc_id)
    if scale != 8:
        buffer = io.BytesIO()
        symbol.save(buffer, kind="png", scale=scale, border=4, dark="black", light="white")
        return buffer.getvalue()
    return _png_8(symbol.matrix, border=4)


def _symbol(doc_id: str) -> segno.QRCode:
    payload = qr_payload(doc_id)
    try:
        return segno.make_qr(payload, error="q", boost_error=False, version=QR_VERSION)
    except segno.DataOverflowError:  # an id longer than mailflow makes: let segno pick the size
        return segno.make_qr(payload, error="q", boost_error=False)


def _png_8(matrix: tuple[bytearray, ...], *, border: int) -> bytes:
    """A 1-bit greyscale PNG at 8 pixels a module: each module is one byte (0x00 dark, 0xff light)."""
    side = len(matrix) + 2 * border
    light_row = b"\x00" + b"\xff" * side  # filter byte 0, then the pixels
    quiet = light_row * (8 * border)
    rows = [quiet]
    edge = b"\xff" * border
    for modules in matrix:
        line = b"\x00" + edge + bytes(0x00 if dark else 0xFF for dark in modules) + edge
        rows.append(line * 8)
    rows.append(quiet)
    pixels = side * 8
    header = struct.pack(">IIBBBBB", pixels, pixels, 1, 0, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(rows))),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
