"""Ways a returned PDF can differ from the signed letter, made for real with pypdf and PDFium."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject


def scanned(pdf: bytes, dpi: int = 150) -> bytes:
    """The letter as a scanner returns it: page images only (PDFium render -> Pillow PDF), no text."""
    document = pdfium.PdfDocument(pdf)
    images = []
    for index in range(len(document)):
        page = document[index]
        images.append(page.render(scale=dpi / 72).to_pil().convert("L"))
        page.close()
    document.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return out.getvalue()


def metadata_update(pdf: bytes, info: dict[str, str]) -> bytes:
    """An incremental update after signing that changes only the document information."""
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_metadata(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def content_update(pdf: bytes, text: str = "MF-0000-0000-0") -> bytes:
    """An incremental update after signing that replaces page 1's content."""
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    page = writer.pages[0]
    stream = StreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)  # pypdf has no public call for this
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flip_byte(pdf: bytes, needle: bytes = b"/Type /Page") -> bytes:
    """One byte changed inside the signed range (in a page object the signature covers)."""
    data = bytearray(pdf)
    at = data.index(needle) + len(needle) - 1
    data[at] ^= 0x01
    return bytes(data)


def encrypted(pdf: bytes, user_password: str = "rahasia") -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password, "pemilik", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def typed_letter(lines: list[str]) -> bytes:
    """A letter retyped by hand (no document id, no QR): plain text lines in Helvetica."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})  # pypdf has no public call
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    operators = "BT /F1 11 Tf 72 770 Td 16 TL " + " ".join(f"({line}) '" for line in escaped) + " ET"
    stream = StreamObject()
    stream.set_data(operators.encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)  # pypdf has no public call for this
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
