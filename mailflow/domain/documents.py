"""Document identity: the public id printed on every letter and encoded in its QR code.

Format: ``MF-XXXX-XXXX-C``: eight symbols of a 31-letter Crockford alphabet (about 39.6 random
bits) and one check symbol (position-weighted sum mod 31, a prime larger than any difference of two
symbols: every single wrong symbol and every swap of two neighbours is detected), so a mistyped or
misread id is refused rather than matched to another letter. The QR code carries
``mailflow:doc:<id>``; on the page the id also stands in small text.
"""

from __future__ import annotations

import re
from enum import StrEnum

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"  # Crockford without I, L, O, U and Z: 31 symbols
ID_SPACE = 31**8
_READ = str.maketrans({"I": "1", "L": "1", "O": "0"})
QR_PREFIX = "mailflow:doc:"
DOC_ID_PATTERN = re.compile(r"\bMF-([0-9A-Z]{4})-([0-9A-Z]{4})-([0-9A-Z])(?![0-9A-Z])", re.IGNORECASE)


class DocumentKind(StrEnum):
    NOTA_DINAS = "nota_dinas"
    LEMBAR_DISPOSISI = "lembar_disposisi"
    SURAT_TANGGAPAN = "surat_tanggapan"
    SIGNED_RESPONSE = "surat_tanggapan_ttd"  # the signed PDF that came back
    REPORT = "report"


class DocumentStatus(StrEnum):
    GENERATED = "generated"  # DOCX written, PDF not yet
    CONVERTED = "converted"  # PDF written and checked
    PDF_FAILED = "pdf_failed"  # no PDF (converter missing or failed): the DOCX goes alone
    SIGNED = "signed"  # a validly signed PDF of this letter came back
    RECEIVED = "received"  # a returned file, stored


class Audience(StrEnum):
    INTERNAL = "internal"  # Diskominfo only: may name a rahasia complainant
    OPD = "opd"  # built from the redacted context
    PUBLIC = "public"  # the complainant


def _check_symbol(body: str) -> str:
    total = sum((weight + 1) * _ALPHABET.index(char) for weight, char in enumerate(body))
    return _ALPHABET[total % 31]


def make_doc_id(random_value: int) -> str:
    """A document id from a random number below ID_SPACE (the caller supplies randomness)."""
    if not 0 <= random_value < ID_SPACE:
        raise ValueError("a document id needs a random number below 31**8")
    digits = []
    for _ in range(8):
        random_value, digit = divmod(random_value, 31)
        digits.append(_ALPHABET[digit])
    body = "".join(reversed(digits))
    return f"MF-{body[:4]}-{body[4:]}-{_check_symbol(body)}"


def normalise_doc_id(text: str) -> str | None:
    """The canonical id if `text` is a valid one (case, O/0 and I/L/1 mix-ups tolerated)."""
    match = DOC_ID_PATTERN.fullmatch(text.strip()) or DOC_ID_PATTERN.search(text)
    if not match:
        return None
    body = (match.group(1) + match.group(2)).upper().translate(_READ)
    check = match.group(3).upper().translate(_READ)
    if any(c not in _ALPHABET for c in body) or _check_symbol(body) != check:
        return None
    return f"MF-{body[:4]}-{body[4:]}-{check}"


def find_doc_ids(text: str) -> list[str]:
    """Every valid document id in `text`, in order, without repeats (invalid look-alikes skipped)."""
    found: list[str] = []
    for match in DOC_ID_PATTERN.finditer(text):
        doc_id = normalise_doc_id(match.group(0))
        if doc_id and doc_id not in found:
            found.append(doc_id)
    return found


def qr_payload(doc_id: str) -> str:
    return QR_PREFIX + doc_id


def parse_qr_payload(payload: str) -> str | None:
    if not payload.strip().lower().startswith(QR_PREFIX):
        return None
    return normalise_doc_id(payload.strip()[len(QR_PREFIX) :])
