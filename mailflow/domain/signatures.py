"""Deciding about a returned letter: is this the letter we sent, signed by the person who must sign it?

Pure: the adapters read the PDF (pyHanko's verdict per signature, the signed revision's text, the
QR code) and the service looks up the letter; this module turns those facts into one verdict with
a reason code. Nothing here trusts metadata: the facts it is given come from the bytes a signature
covers or from the page itself.

Order of the checks (the first failing one is the reason):
  signed PDF:   every signature intact, trusted, covering its whole revision, followed only by
                permitted changes -> the letter is known -> one signer is the expected head (or a
                delegate) -> the letter number and case number stand in the signed text.
  unsigned PDF: refused under the `digital` policy; under `digital_or_scan` accepted only as a scan
                (no text layer), matched by its QR code, sent by mail from the head, a delegate or
                the OPD's mailbox.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Policy(StrEnum):
    DIGITAL = "digital"  # a valid digital signature is required
    DIGITAL_OR_SCAN = "digital_or_scan"  # a scan matched by QR from an authorised sender also counts


# pyHanko's SignatureCoverageLevel / ModificationLevel names. FORM_FILLING stays acceptable: a
# second signature (e.g. a paraf, or the head signing after a co-signer) is a form filling.
ACCEPTED_COVERAGE = frozenset({"ENTIRE_FILE", "ENTIRE_REVISION"})
ACCEPTED_MODIFICATIONS = frozenset({"NONE", "LTA_UPDATES", "FORM_FILLING"})

# Reason codes (texts in mailflow/texts/signatures.py, "signatures.reason.<code>").
NOT_PDF = "not_pdf"
CORRUPT = "corrupt"
ENCRYPTED = "encrypted"
TOO_LARGE = "too_large"
EXPANDS = "expands_too_much"  # compressed content that would inflate beyond the limits (a "zip bomb")
TOO_COMPLEX = "too_complex"  # more objects than any letter has
ACTIVE_CONTENT = "active_content"  # JavaScript, launch actions, embedded files
UNSIGNED = "unsigned"
TAMPERED = "tampered"
INVALID_SIGNATURE = "invalid_signature"
PARTIAL_COVERAGE = "partial_coverage"
MODIFIED = "modified_after_signing"
UNTRUSTED = "untrusted"
WRONG_SIGNER = "wrong_signer"
UNKNOWN_LETTER = "unknown_letter"
AMBIGUOUS = "ambiguous_letter"
OTHER_LETTER = "other_letter"
SUPERSEDED = "superseded_letter"
CONTENT_MISMATCH = "content_mismatch"
SCAN_NOT_ALLOWED = "scan_not_allowed"
SCAN_NEEDS_MAIL = "scan_needs_mail"
SCAN_WRONG_SENDER = "scan_wrong_sender"
NOT_WAITING = "not_waiting_for_signature"
PROCESSING_FAILED = "processing_failed"
DUPLICATE = "duplicate"

# Refusals that point at a forgery or an unauthorised signer rather than a simple mistake.
SECURITY_CODES = frozenset(
    {
        TAMPERED,
        INVALID_SIGNATURE,
        MODIFIED,
        PARTIAL_COVERAGE,
        UNTRUSTED,
        WRONG_SIGNER,
        OTHER_LETTER,
        EXPANDS,
        ACTIVE_CONTENT,
    }
)
SCAN_TEXT_LIMIT = 40  # letters and digits on page 1 below which a PDF counts as a scan


@dataclass(frozen=True)
class SignerIdentity:
    """What the signing certificate says about its holder."""

    subject: str  # human-friendly subject, for the record
    common_name: str | None = None
    emails: tuple[str, ...] = ()  # subject emailAddress and rfc822 subjectAltNames, lower-case
    serial_numbers: tuple[str, ...] = ()  # subject serialNumber attributes (some CAs put the NIP there)
    issuer: str = ""
    fingerprint: str = ""  # SHA-256 of the certificate, hex


@dataclass(frozen=True)
class SignatureCheck:
    """pyHanko's verdict on one embedded signature, as plain values."""

    field_name: str
    signer: SignerIdentity
    intact: bool
    valid: bool
    trusted: bool
    bottom_line: bool
    coverage: str  # e.g. "ENTIRE_FILE"
    modification_level: str  # e.g. "NONE"; "" when unknown
    docmdp_ok: bool | None = None
    signed_at: datetime | None = None  # as the signer reports it (not a trusted timestamp)
    revision: int = 0
    error: str = ""  # why pyHanko could not judge it at all


@dataclass(frozen=True)
class ExpectedSigner:
    """Someone whose signature makes the letter signed: the OPD head or one of their delegates."""

    person_id: str
    name: str
    addresses: tuple[str, ...]
    certificate_names: tuple[str, ...] = ()
    nip: str = ""
    delegate: bool = False


@dataclass(frozen=True)
class Facts:
    """What the service found out about one returned file and the letter it names."""

    signatures: tuple[SignatureCheck, ...]
    letter_found: bool
    ambiguous: bool = False
    matched_by: str = ""  # text / metadata / qr
    missing_in_text: tuple[str, ...] = ()  # letter number / case number absent from the signed text
    scan_like: bool = False  # no text layer to speak of


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    code: str  # "signed" / "scan" when accepted, else a reason code
    signer: ExpectedSigner | None = None
    signature: SignatureCheck | None = None
    detail: str = ""
    details: dict[str, str] = field(default_factory=dict)

    @property
    def security(self) -> bool:
        return self.code in SECURITY_CODES


# --- the decision -------------------------------------------------------------------------------


def decide(
    facts: Facts,
    expected: Sequence[ExpectedSigner],
    policy: Policy,
    *,
    sender: str | None,
    scan_senders: Iterable[str],
) -> Verdict:
    if facts.signatures:
        return _decide_signed(facts, expected)
    return _decide_unsigned(facts, policy, sender, {a.lower() for a in scan_senders})


def _decide_signed(facts: Facts, expected: Sequence[ExpectedSigner]) -> Verdict:
    for check in facts.signatures:
        problem = signature_problem(check)
        if problem is not None:
            return Verdict(False, problem, signature=check, detail=check.field_name)
    letter = _letter_problem(facts)
    if letter is not None:
        return letter
    for check in facts.signatures:
        person = find_signer(check.signer, expected)
        if person is not None:
            if facts.missing_in_text:
                return Verdict(False, CONTENT_MISMATCH, detail=", ".join(facts.missing_in_text))
            return Verdict(True, "signed", signer=person, signature=check)
    names = "; ".join(c.signer.common_name or c.signer.subject for c in facts.signatures)
    return Verdict(False, WRONG_SIGNER, signature=facts.signatures[0], detail=names)


def _decide_unsigned(facts: Facts, policy: Policy, sender: str | None, scan_senders: set[str]) -> Verdict:
    if policy is Policy.DIGITAL:
        return Verdict(False, SCAN_NOT_ALLOWED if facts.scan_like else UNSIGNED)
    if not facts.scan_like:
        return Verdict(False, UNSIGNED)
    letter = _letter_problem(facts)
    if letter is not None:
        return letter
    if facts.matched_by != "qr":
        return Verdict(False, UNKNOWN_LETTER)
    if sender is None:
        return Verdict(False, SCAN_NEEDS_MAIL)
    if sender.lower() not in scan_senders:
        return Verdict(False, SCAN_WRONG_SENDER, detail=sender)
    return Verdict(True, "scan", detail=sender)


def _letter_problem(facts: Facts) -> Verdict | None:
    if facts.ambiguous:
        return Verdict(False, AMBIGUOUS)
    if not facts.letter_found:
        return Verdict(False, UNKNOWN_LETTER)
    return None


def signature_problem(check: SignatureCheck) -> str | None:
    """Why one signature does not count, or None. `intact` alone is not enough (docs/RECIPES.md): a
    change appended after signing leaves the signed bytes intact; only the coverage and the
    modification analysis reveal it."""
    if check.error and not check.intact:
        return INVALID_SIGNATURE
    if not check.intact:
        return TAMPERED
    if not check.valid:
        return INVALID_SIGNATURE
    if check.coverage not in ACCEPTED_COVERAGE:
        return PARTIAL_COVERAGE
    if check.modification_level not in ACCEPTED_MODIFICATIONS or check.docmdp_ok is False:
        return MODIFIED
    if not check.trusted:
        return UNTRUSTED
    if not check.bottom_line:
        return INVALID_SIGNATURE
    return None


def is_scan_like(page_text: str) -> bool:
    # counting stops at the limit: a letter's text layer has thousands of letters and digits
    count = 0
    for ch in page_text:
        if ch.isalnum():
            count += 1
            if count >= SCAN_TEXT_LIMIT:
                return False
    return True


def missing_in_text(text: str, needles: Iterable[str]) -> tuple[str, ...]:
    """The needles absent from `text`, whitespace ignored on both sides (PDF text breaks anywhere)."""
    haystack = _squeeze(text)
    return tuple(n for n in needles if n and _squeeze(n) not in haystack)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


# --- who signed -----------------------------------------------------------------------------------

_PREFIX = re.compile(r"^(?:(?:prof|dr|drs|dra|ir|drg|apt|ns|hj|kh)(?:\.\s*|\s+)|h\.\s*)", re.IGNORECASE)
_DEGREE = re.compile(r"^[a-z]{1,5}\.(?:[a-z]{1,5}\.?)+$", re.IGNORECASE)  # S.T., M.Si., S.Sos., M.Kes


def person_name_key(name: str) -> str:
    """A person's name without academic or religious titles, case, accents and punctuation:
    "Drs. Hendra Gunawan, M.Si." and "HENDRA GUNAWAN" both give "hendra gunawan"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.split(",", 1)[0].strip()  # Indonesian degrees follow the name after a comma
    while (match := _PREFIX.match(text)) and text[match.end() :].strip():
        text = text[match.end() :]
    words = [w for w in re.split(r"\s+", text.strip()) if w]
    words = words[:1] + [w for w in words[1:] if not _DEGREE.match(w)]
    cleaned = [re.sub(r"[^0-9a-z]", "", w.lower()) for w in words]
    return " ".join(w for w in cleaned if w)


def signer_matches(identity: SignerIdentity, person: ExpectedSigner) -> bool:
    """Certificate e-mail among the person's addresses, a name equal after normalisation (or one
    of the person's certificate names), or the person's NIP as the subject's serial number."""
    addresses = {a.lower() for a in person.addresses}
    if any(e.lower() in addresses for e in identity.emails):
        return True
    if identity.common_name:
        key = person_name_key(identity.common_name)
        names = (person.name, *person.certificate_names)
        if key and any(key == person_name_key(n) for n in names):
            return True
    nip = re.sub(r"\D", "", person.nip)
    return bool(nip) and any(re.sub(r"\D", "", s) == nip for s in identity.serial_numbers)


def find_signer(identity: SignerIdentity, expected: Sequence[ExpectedSigner]) -> ExpectedSigner | None:
    for person in expected:
        if signer_matches(identity, person):
            return person
    return None


def signer_label(verdict: Verdict) -> str:
    """How the step's note names who signed: the person, and the certificate when digital."""
    if verdict.signer is not None and verdict.signature is not None:
        cert = verdict.signature.signer.common_name or verdict.signature.signer.subject
        return f"{verdict.signer.name} (CN={cert})"
    if verdict.signer is not None:
        return verdict.signer.name
    return verdict.detail
