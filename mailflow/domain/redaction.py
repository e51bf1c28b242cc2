"""Keeping a confidential complainant's identity out of what leaves Diskominfo (DESIGN.md invariant 5).

A `rahasia` complainant's identity is kept but shown only to Diskominfo; an `anonim` one has none.
Every mail or letter meant for an OPD or the public is built from a redacted context: identity
fields are replaced by a neutral label, and every free text (subject, summary, the complaint
itself, instructions) is scrubbed, because citizens sign their mails ("Salam, Siti Rahma, 0812-...").

Matching is deliberately generous (over-redaction is the safe failure): the full name in any case,
each capitalised part of the name as a whole word, every email address at all (a citizen's second
address is as identifying as the first), the phone number in any of the usual Indonesian spellings
(0812-3456-7890, +62 812 3456 7890, 62812...) and the postal address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mailflow.domain.documents import Audience

REDACTED = "[dirahasiakan]"
CONFIDENTIAL_LEVELS = ("rahasia", "anonim")
_SEP = r"[\s().\-/]*"
_MIN_NAME_PART = 3
_HONORIFICS = {"bapak", "ibu", "sdr", "sdri", "saudara", "saudari", "bin", "binti", "haji", "hajah"}
_ANY_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


@dataclass(frozen=True)
class Identity:
    """What identifies a complainant; any field may be missing."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    def is_empty(self) -> bool:
        return not any((self.name, self.email, self.phone, self.address))


def must_redact(confidentiality: str, audience: Audience) -> bool:
    """Only Diskominfo (the internal audience) may see a rahasia complainant's identity."""
    return confidentiality in CONFIDENTIAL_LEVELS and audience is not Audience.INTERNAL


def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("62"):
        digits = digits[2:]
    digits = digits.lstrip("0")
    if len(digits) < 6:
        return None
    body = _SEP.join(re.escape(d) for d in digits)
    return re.compile(rf"(?<!\d)(?:(?:\+{_SEP})?62{_SEP}|0{_SEP})?{body}(?!\d)")


def _name_patterns(name: str) -> list[re.Pattern[str]]:
    parts = [p for p in re.split(r"[\s,.]+", name.strip()) if p]
    patterns: list[re.Pattern[str]] = []
    if parts:
        full = r"[\s,.]+".join(re.escape(p) for p in parts)
        patterns.append(re.compile(rf"(?<!\w){full}(?!\w)", re.IGNORECASE))
    for part in parts:
        if len(part) < _MIN_NAME_PART or part.lower() in _HONORIFICS:
            continue
        # a name part only where it is written as a name (capitalised or in capitals): "Indah"
        # the person, not "indah" the word
        for variant in sorted({part[:1].upper() + part[1:].lower(), part.upper()}):
            patterns.append(re.compile(rf"(?<!\w){re.escape(variant)}(?!\w)"))
    return patterns


def patterns_for(identity: Identity) -> list[re.Pattern[str]]:
    """Regular expressions that find any part of `identity` in a text (emails first, so a name
    inside an address never leaves half an address behind)."""
    patterns: list[re.Pattern[str]] = [_ANY_EMAIL]
    if identity.email:
        local = identity.email.strip().split("@", 1)[0]
        if len(local) >= 4:
            patterns.append(re.compile(rf"(?<![\w.]){re.escape(local)}(?!\w)", re.IGNORECASE))
    if identity.phone:
        phone = _phone_pattern(identity.phone)
        if phone:
            patterns.append(phone)
    if identity.address and len(identity.address.strip()) >= 6:
        address = r"\s+".join(re.escape(p) for p in identity.address.split())
        patterns.append(re.compile(address, re.IGNORECASE))
    if identity.name:
        patterns.extend(_name_patterns(identity.name))
    return patterns


def redact(text: str, identity: Identity) -> str:
    """`text` with every trace of `identity` (and every email address) replaced by REDACTED."""
    for pattern in patterns_for(identity):
        text = pattern.sub(REDACTED, text)
    return text


def contains_identity(text: str, identity: Identity) -> list[str]:
    """The pieces of `text` that still identify the complainant (empty when the text is clean)."""
    found: list[str] = []
    for pattern in patterns_for(identity):
        found.extend(match.group(0) for match in pattern.finditer(text))
    return found


def redact_values(values: Mapping[str, str], identity: Identity) -> dict[str, str]:
    """Every string of a mapping (a letter's context), redacted; other text stays as it was."""
    patterns = patterns_for(identity)
    out: dict[str, str] = {}
    for key, value in values.items():
        text = value
        for pattern in patterns:
            text = pattern.sub(REDACTED, text)
        out[key] = text
    return out


def leaking_keys(values: Mapping[str, str], identity: Identity) -> list[str]:
    """The keys whose value still shows part of `identity` (empty when the context is clean)."""
    return [key for key, value in values.items() if contains_identity(value, identity)]
