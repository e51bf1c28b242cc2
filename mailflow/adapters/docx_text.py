"""Plain text of a DOCX file (a response drafted in Word and attached to a reply)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError

from mailflow.errors import QuarantineError

MAX_CHARS = 200_000


def docx_text(path: Path) -> str:
    """Paragraphs in order (tables row by row), blank lines kept between paragraphs."""
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise QuarantineError(f"DOCX tidak dapat dibaca: {exc}", code="docx_unreadable") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    text = "\n".join(parts).strip()
    return text[:MAX_CHARS]
