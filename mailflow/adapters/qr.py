"""QR codes for document identity (segno): a PNG the renderer places on every page of a letter.

The payload is `mailflow:doc:<id>` (mailflow.domain.documents.qr_payload). Error correction Q
(25 % of the symbol may be lost: a stamp, a fold, a smudge) still fits version 3, 29 modules; the
renderer prints it 2.5 cm wide, 0.86 mm a module, about five pixels a module in a 150 dpi scan.
"""

from __future__ import annotations

import io

import segno

from mailflow.domain.documents import qr_payload

QR_WIDTH_MM = 25.0


def qr_png(doc_id: str, *, scale: int = 8) -> bytes:
    """The QR code of a document id as PNG bytes (black on white, four-module quiet zone)."""
    symbol = segno.make_qr(qr_payload(doc_id), error="q", boost_error=False)
    buffer = io.BytesIO()
    symbol.save(buffer, kind="png", scale=scale, border=4, dark="black", light="white")
    return buffer.getvalue()


def qr_modules(doc_id: str) -> int:
    """Modules on a side without the quiet zone (29 for every mailflow id)."""
    symbol = segno.make_qr(qr_payload(doc_id), error="q", boost_error=False)
    width, _ = symbol.symbol_size(border=0)
    return int(width)
