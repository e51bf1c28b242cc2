"""Reading one returned file, before any database work: its hash, its signatures, the document id.

Runs outside the database transaction (a validation takes tens of milliseconds; a QR decode of a
scan a few hundred), so a folder of files does not hold the writer lock while PDFs are read.

Where the document id comes from, most trusted first, and never from anything appended after a
signature:
- signed PDF: the text of the signed revision (the bytes the first signature covers), else that
  revision's document information (covered by the signature too), else the QR code rendered
  from that revision's first page;
- unsigned PDF: a scan (no text layer) by its QR code; otherwise the page text, kept only to name
  the letter in the refusal (an unsigned PDF is never accepted on its text).

What is kept of an accepted signed file is `kept(data)`: the file up to the end of its last
signature's byte range, so an update appended after signing (pyHanko lets metadata changes pass)
is neither stored nor forwarded to the complainant.

Hostile bytes make the PDF libraries raise all kinds of exceptions (and recurse deeply); every one
becomes a refusal of the file as unreadable here, so no file can break the watcher or the poller.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from mailflow.adapters.pdf_qr import page_text, qr_payloads
from mailflow.adapters.pdf_signatures import (
    SignedPdf,
    TrustStore,
    read_signed_pdf,
    revision_info,
)
from mailflow.domain import signatures as sig
from mailflow.domain.documents import find_doc_ids, parse_qr_payload
from mailflow.errors import QuarantineError

log = logging.getLogger("mailflow.returned")
INFO_KEYS = ("/MailflowDocId", "/Keywords", "/Subject", "/Title")


@dataclass(frozen=True)
class Inspection:
    sha256: str
    size: int
    error_code: str = ""  # not_pdf / corrupt / encrypted / too_large: nothing else was read
    error: str = ""
    signatures: tuple[sig.SignatureCheck, ...] = ()
    doc_ids: tuple[str, ...] = ()
    matched_by: str = ""  # text / metadata / qr
    text: str = ""  # the signed revision's text (signed PDF) or the page text (unsigned)
    scan_like: bool = False
    qr_payloads: tuple[str, ...] = field(default=(), repr=False)
    signed_length: int = 0  # the end of the last signature's byte range (0: keep the whole file)

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    def kept(self, data: bytes) -> bytes:
        """What to store and forward of `data`: its last signed revision, or all of an unsigned scan."""
        return data[: self.signed_length] if 0 < self.signed_length <= len(data) else data


def inspect_pdf(data: bytes, trust: TrustStore, *, max_bytes: int | None = None) -> Inspection:
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    try:
        signed = read_signed_pdf(data, trust, max_bytes=max_bytes)  # its checks come first
        if signed.signatures:
            return _signed(digest, size, signed)
        return _unsigned(digest, size, data)
    except QuarantineError as exc:
        return Inspection(digest, size, error_code=exc.code, error=exc.reason)
    except Exception as exc:  # noqa: BLE001 - see the module docstring: hostile bytes, any library error
        log.warning("unreadable PDF %s: %s: %s", digest[:12], type(exc).__name__, exc)
        detail = f"the PDF cannot be read: {type(exc).__name__}: {exc}"[:500]
        return Inspection(digest, size, error_code=sig.CORRUPT, error=detail)


def inspect_path(job: tuple[str, str], trust: TrustStore, *, max_bytes: int) -> Inspection | None:
    """`inspect_pdf` of the file at job[0] if it still holds the bytes whose hash is job[1]; None
    when it does not (changed or gone since): the caller then inspects the bytes it holds.
    For worker processes (services.returned.watch): a path and a hash cross the pipe, not the
    file, so the caller never blocks on sending while a worker waits to send a long answer."""
    path, digest = job
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != digest:
        return None
    return inspect_pdf(data, trust, max_bytes=max_bytes)


def _signed(digest: str, size: int, signed: SignedPdf) -> Inspection:
    revision = signed.signed_revision
    if revision is None:  # a signature without a usable byte range covers nothing
        return Inspection(digest, size, signatures=signed.signatures)
    return replace(_revision_facts(digest, size, signed, revision), signed_length=signed.signed_length)


def _revision_facts(digest: str, size: int, signed: SignedPdf, revision: bytes) -> Inspection:
    try:
        text = page_text(revision).text
    except QuarantineError:
        text = ""
    ids = find_doc_ids(text)
    if ids:
        return Inspection(
            digest, size, signatures=signed.signatures, doc_ids=tuple(ids), matched_by="text", text=text
        )
    info_ids = _info_ids(revision_info(revision))
    if info_ids:
        return Inspection(
            digest, size, signatures=signed.signatures, doc_ids=info_ids, matched_by="metadata", text=text
        )
    payloads, qr_ids = _qr(revision)
    return Inspection(
        digest,
        size,
        signatures=signed.signatures,
        doc_ids=qr_ids,
        matched_by="qr" if qr_ids else "",
        text=text,
        qr_payloads=payloads,
    )


def _unsigned(digest: str, size: int, data: bytes) -> Inspection:
    pages = page_text(data)
    if not sig.is_scan_like(pages.first_page):
        ids = tuple(find_doc_ids(pages.text))
        return Inspection(digest, size, doc_ids=ids, matched_by="text" if ids else "", text=pages.text)
    payloads, ids = _qr(data)
    return Inspection(
        digest,
        size,
        doc_ids=ids,
        matched_by="qr" if ids else "",
        text=pages.text,
        scan_like=True,
        qr_payloads=payloads,
    )


def _info_ids(info: dict[str, str]) -> tuple[str, ...]:
    found: list[str] = []
    for key in INFO_KEYS:
        for doc_id in find_doc_ids(info.get(key, "")):
            if doc_id not in found:
                found.append(doc_id)
    return tuple(found)


def _qr(data: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        payloads = qr_payloads(data)
    except QuarantineError:
        return (), ()
    ids: list[str] = []
    for payload in payloads:
        doc_id = parse_qr_payload(payload)
        if doc_id and doc_id not in ids:
            ids.append(doc_id)
    return payloads, tuple(ids)
