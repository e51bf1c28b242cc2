"""Reading a returned PDF's pages with PDFium (pypdfium2): the text layer, and the QR code of page 1.

The QR decoder is zxing-cpp (PyPI wheel `zxing-cpp`, maintained, no system package needed; unlike
pyzbar it does not need libzbar0). Page 1 is rendered with pypdfium2 (also a self-contained wheel)
at 200 dpi, then at 300 dpi when nothing was found: a letter's QR code is 2.2 cm wide, about 6
pixels a module at 200 dpi, enough for a clean render and for most scans.

PDFium is not thread-safe, and `mailflow run` reads PDFs from the poller and the watcher threads:
every call here holds one lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp

from mailflow.domain import signatures as sig
from mailflow.errors import QuarantineError

_LOCK = threading.Lock()
_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
DPI_STEPS = (200.0, 300.0)
MAX_TEXT_PAGES = 20


@dataclass(frozen=True)
class PageText:
    text: str  # every page read, separated by form feeds
    first_page: str
    pages: int


def page_text(data: bytes, *, max_pages: int = MAX_TEXT_PAGES) -> PageText:
    """The text layer of the first `max_pages` pages (empty for a scan)."""
    with _LOCK:
        document = _open(data)
        try:
            texts = []
            for index in range(min(len(document), max_pages)):
                page = document[index]
                textpage = page.get_textpage()
                texts.append(textpage.get_text_range())
                textpage.close()
                page.close()
            return PageText("\f".join(texts), texts[0] if texts else "", len(document))
        finally:
            document.close()


def qr_payloads(data: bytes, *, page: int = 0, dpi_steps: tuple[float, ...] = DPI_STEPS) -> tuple[str, ...]:
    """The texts of the QR codes on one page, trying each resolution until one yields a code."""
    for dpi in dpi_steps:
        with _LOCK:
            image = _render(data, page, dpi)
        found = zxingcpp.read_barcodes(image, formats=_QR_ONLY)
        payloads = tuple(code.text for code in found if code.valid and code.text)
        if payloads:
            return payloads
    return ()


def _render(data: bytes, index: int, dpi: float) -> object:
    document = _open(data)
    try:
        if index >= len(document):
            return _blank()
        page = document[index]
        bitmap = page.render(scale=dpi / 72.0, grayscale=True)
        image = bitmap.to_pil().convert("L")
        page.close()
        return image
    finally:
        document.close()


def _blank() -> object:
    from PIL import Image  # noqa: PLC0415 - only for the odd PDF without the page asked for

    return Image.new("L", (8, 8), 255)


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = sig.ENCRYPTED if "password" in str(exc).lower() else sig.CORRUPT
        raise QuarantineError(f"the PDF cannot be read: {exc}", code=code) from None
