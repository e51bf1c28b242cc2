"""Signed PDFs with pyHanko: every embedded signature judged, as plain values; the signed revision.

    trust = TrustStore.from_files(settings.signatures.trust_roots)
    pdf = read_signed_pdf(data, trust)      # QuarantineError(code=...) for what is no usable PDF
    pdf.signatures                          # one SignatureCheck per signature (domain.signatures)
    pdf.signed_revision                     # the bytes the first signature covers: a whole PDF
    pdf.signed_length                       # where the last signature's coverage ends: what to keep

docs/RECIPES.md: judge a signature by pyHanko's bottom line, its coverage and the modification level,
never `intact` alone (an update appended after signing leaves the signed bytes intact). Anything
appended after the signature, metadata included, may have been written by anyone: a caller reads
the document id and the text from `signed_revision`, never from the file's final revision.
pyHanko logs a traceback for every untrusted certificate even though validation returns normally;
its loggers are quieted here and the verdict is recorded by the caller instead.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from mailflow.adapters.pdf_limits import check_pdf_limits
from mailflow.domain import signatures as sig
from mailflow.errors import ConfigError, QuarantineError

for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

PDF_MAGIC = b"%PDF-"
_HEADER_WINDOW = 1024  # the PDF header may follow some junk; readers look in the first KiB


@dataclass(frozen=True)
class TrustStore:
    """The certificates a signature may chain up to (e.g. the national BSrE root, a local CA)."""

    roots: tuple[x509.Certificate, ...] = ()
    intermediates: tuple[x509.Certificate, ...] = ()
    allow_fetching: bool = False  # fetch CRLs/OCSP over the network

    @classmethod
    def from_files(
        cls,
        roots: Sequence[Path],
        intermediates: Sequence[Path] = (),
        *,
        allow_fetching: bool = False,
        key: str = "signatures.trust_roots",
    ) -> TrustStore:
        """PEM (one or more certificates) or DER files; a bad file is a ConfigError naming it."""
        return cls(
            roots=_load(roots, key),
            intermediates=_load(intermediates, "signatures.intermediates"),
            allow_fetching=allow_fetching,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # to worker processes as DER bytes: an unpickled asn1crypto certificate fails its first
        # parse ("'NoneType' object is not subscriptable"), which made a worker's first
        # validation of a good signature fail
        roots = tuple(c.dump() for c in self.roots)
        return (_from_der, (roots, tuple(c.dump() for c in self.intermediates), self.allow_fetching))

    def context(self) -> ValidationContext:
        # A fresh context per file: pyHanko's contexts cache revocation data and are mutable.
        return ValidationContext(
            trust_roots=list(self.roots),
            other_certs=list(self.intermediates),
            allow_fetching=self.allow_fetching,
        )


def _from_der(roots: Sequence[bytes], intermediates: Sequence[bytes], allow_fetching: bool) -> TrustStore:
    return TrustStore(
        tuple(x509.Certificate.load(der) for der in roots),
        tuple(x509.Certificate.load(der) for der in intermediates),
        allow_fetching,
    )


def _load(paths: Sequence[Path], key: str) -> tuple[x509.Certificate, ...]:
    certificates: list[x509.Certificate] = []
    for path in paths:
        try:
            found = list(load_certs_from_pemder([str(path)]))  # type: ignore[no-untyped-call]
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"cannot read certificate file {path}: {exc}", key=key) from None
        if not found:
            raise ConfigError(f"no certificate in {path}", key=key)
        certificates.extend(found)
    return tuple(certificates)


@dataclass(frozen=True)
class SignedPdf:
    signatures: tuple[sig.SignatureCheck, ...]
    signed_revision: bytes | None  # what the earliest signature covers; None when unsigned
    # The end of the latest signature's byte range: the file as its last signer signed it. What
    # follows was written by someone unknown (at best metadata, which pyHanko lets pass); 0 when
    # no signature has a usable byte range.
    signed_length: int = 0


def check_pdf_bytes(data: bytes, *, max_bytes: int | None = None) -> None:
    """Refusals before any parsing: too large, not a PDF at all, or beyond the structural limits
    (adapters.pdf_limits: content that inflates without bound, too many objects, active content)."""
    if max_bytes is not None and len(data) > max_bytes:
        raise QuarantineError(f"the file has {len(data)} bytes (limit {max_bytes})", code=sig.TOO_LARGE)
    if PDF_MAGIC not in data[:_HEADER_WINDOW]:
        raise QuarantineError("the file is not a PDF (no %PDF- header)", code=sig.NOT_PDF)
    check_pdf_limits(data)


def read_signed_pdf(data: bytes, trust: TrustStore, *, max_bytes: int | None = None) -> SignedPdf:
    """Every signature of `data` judged against `trust`. Raises QuarantineError with code
    too_large, not_pdf, corrupt or encrypted when there is nothing to judge."""
    check_pdf_bytes(data, max_bytes=max_bytes)
    reader = _reader(data)
    if reader.encrypted:
        raise QuarantineError("the PDF is encrypted (password protected)", code=sig.ENCRYPTED)
    try:
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise QuarantineError(f"the PDF's signature fields cannot be read: {exc}", code=sig.CORRUPT) from None
    checks = tuple(_judge(item, trust) for item in embedded)
    first = min(embedded, key=_revision_of, default=None)
    revision = _covered_bytes(data, first) if first is not None else None
    ends = [end for end in (_covered_end(data, item) for item in embedded) if end is not None]
    return SignedPdf(signatures=checks, signed_revision=revision, signed_length=max(ends, default=0))


def _reader(data: bytes) -> PdfFileReader:
    try:
        return PdfFileReader(io.BytesIO(data), strict=False)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise QuarantineError(f"the PDF cannot be read: {exc}", code=sig.CORRUPT) from None


def _revision_of(embedded: Any) -> int:
    try:
        return int(embedded.signed_revision)
    except Exception:  # noqa: BLE001 - a malformed field sorts last; it is judged invalid anyway
        return 1 << 30


def _covered_bytes(data: bytes, embedded: Any) -> bytes | None:
    """The prefix of the file up to the end of the signature's byte range: the revision it signs."""
    end = _covered_end(data, embedded)
    return None if end is None else data[:end]


def _covered_end(data: bytes, embedded: Any) -> int | None:
    try:
        byte_range = [int(x) for x in embedded.byte_range]
    except Exception:  # noqa: BLE001 - no usable /ByteRange: nothing is covered
        return None
    if len(byte_range) != 4 or byte_range[0] != 0:
        return None
    end = byte_range[2] + byte_range[3]
    return end if 0 < end <= len(data) else None


def revision_info(revision: bytes) -> dict[str, str]:
    """The document information of a signed revision (covered by its signature, so trusted as
    much as the signature; an /Info appended later is not in these bytes)."""
    try:
        trailer = PdfFileReader(io.BytesIO(revision), strict=False).trailer_view
        if "/Info" not in trailer:
            return {}
        info = trailer["/Info"]  # indexing dereferences; .get() would not
        return {str(key): str(value) for key, value in info.items()}
    except Exception:  # noqa: BLE001 - unreadable metadata is simply absent
        return {}


def _judge(embedded: Any, trust: TrustStore) -> sig.SignatureCheck:
    field = str(getattr(embedded, "field_name", "") or "")
    try:
        status = validate_pdf_signature(embedded, trust.context())
    except Exception as exc:  # noqa: BLE001 - hostile input makes pyHanko raise many kinds; any is "invalid"
        return sig.SignatureCheck(
            field_name=field,
            signer=_identity(_signer_cert(embedded)),
            intact=False,
            valid=False,
            trusted=False,
            bottom_line=False,
            coverage="",
            modification_level="",
            revision=_revision_of(embedded),
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
    return sig.SignatureCheck(
        field_name=field,
        signer=_identity(status.signing_cert),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        bottom_line=bool(status.bottom_line),
        coverage=_enum_name(status.coverage),
        modification_level=_enum_name(status.modification_level),
        docmdp_ok=status.docmdp_ok,
        signed_at=status.signer_reported_dt,
        revision=_revision_of(embedded),
    )


def _signer_cert(embedded: Any) -> x509.Certificate | None:
    try:
        cert = embedded.signer_cert
    except Exception:  # noqa: BLE001 - a broken CMS blob may not name its signer
        return None
    return cert if isinstance(cert, x509.Certificate) else None


def _enum_name(value: Any) -> str:
    return str(getattr(value, "name", "") or "")


def _identity(cert: x509.Certificate | None) -> sig.SignerIdentity:
    if cert is None:
        return sig.SignerIdentity(subject="?")
    subject = cert.subject.native
    emails = [str(subject["email_address"])] if subject.get("email_address") else []
    alt = cert.subject_alt_name_value
    if alt is not None:
        emails.extend(str(name.native) for name in alt if name.name == "rfc822_name")
    serials = subject.get("serial_number")
    return sig.SignerIdentity(
        subject=cert.subject.human_friendly,
        common_name=_first(subject.get("common_name")),
        emails=tuple(dict.fromkeys(e.strip().lower() for e in emails if e.strip())),
        serial_numbers=tuple(str(s) for s in (serials if isinstance(serials, list) else [serials]) if s),
        issuer=cert.issuer.human_friendly,
        fingerprint=cert.sha256.hex(),
    )


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None
