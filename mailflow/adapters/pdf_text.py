"""Reading PDFs back with pypdf: the text of every page, and the document information (metadata).

The converter uses it to check each generated PDF (the letter number, case number and document
id must be findable in the text) and to stamp the document id into the PDF's information
dictionary. Matching returned PDFs trusts the text and the QR code, never metadata alone: an
incremental update after signing may change metadata without breaking the signature.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError, PyPdfError

from mailflow.adapters.durable import write_atomic
from mailflow.errors import QuarantineError

DOC_ID_KEY = "/MailflowDocId"
_SPACE = re.compile(r"\s+")

logging.getLogger("pypdf").setLevel(logging.ERROR)


def pdf_text(path: Path, *, max_pages: int = 50) -> str:
    """The text of the first `max_pages` pages, pages separated by a form feed."""
    try:
        reader = PdfReader(path)
        return "\f".join(page.extract_text() or "" for page in reader.pages[:max_pages])
    except (PdfReadError, PyPdfError, ValueError, KeyError, OSError) as exc:
        raise QuarantineError(f"the PDF cannot be read: {exc}", code="pdf_unreadable") from None


def squeeze(text: str) -> str:
    """Without any whitespace: PDF text breaks lines (and justification adds spaces) anywhere."""
    return _SPACE.sub("", text)


def missing_in_text(text: str, needles: Iterable[str]) -> list[str]:
    """The needles that do not occur in `text`, whitespace ignored on both sides."""
    haystack = squeeze(text)
    return [needle for needle in needles if squeeze(needle) not in haystack]


def pdf_metadata(path: Path) -> dict[str, str]:
    try:
        info: Mapping[str, object] = PdfReader(path).metadata or {}
    except (PdfReadError, PyPdfError, ValueError, OSError) as exc:
        raise QuarantineError(f"the PDF cannot be read: {exc}", code="pdf_unreadable") from None
    return {str(key): str(value) for key, value in info.items()}


def stamp_metadata(path: Path, fields: Mapping[str, str]) -> None:
    """Add `fields` (e.g. {"/MailflowDocId": "MF-..."}) to the PDF's document information, in place
    (through a temporary file, so a crash leaves either the old or the new file)."""
    write_atomic(path, stamp_metadata_bytes(path.read_bytes(), fields))


def stamp_metadata_bytes(data: bytes, fields: Mapping[str, str]) -> bytes:
    """The PDF `data` with `fields` added to its document information."""
    try:
        writer = PdfWriter(clone_from=io.BytesIO(data))
        writer.add_metadata(dict(fields))
        buffer = io.BytesIO()
        writer.write(buffer)
    except (PdfReadError, PyPdfError, ValueError, KeyError) as exc:
        raise QuarantineError(f"the PDF cannot be read: {exc}", code="pdf_unreadable") from None
    return buffer.getvalue()
