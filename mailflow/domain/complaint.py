"""What a new complaint says about its complainant and itself (pure).

Identity comes from the mail headers (From, Reply-To) for direct mail; for a forwarded or portal
notification (`labels_first`) the labelled lines of the body ("Nama Pelapor: ...", "Email: ...",
"No. HP: ...") win. The header name is the parser's checked display name (InboundMail.from_name:
never one holding an address, `<`, `>` or control/bidi characters); a name holding such things is
not used from a label either, and an address is kept only when it is a valid addr-spec.
Confidentiality comes from the rule when it sets one, else from keywords: `anonim` keeps no name or
phone (the address stays: it is the only way to answer), `rahasia`
keeps the identity but marks it for Diskominfo's eyes only (redaction is the engine's job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailflow.domain.addresses import normalise
from mailflow.domain.inbound import InboundMail
from mailflow.domain.safe_text import has_unsafe

BIASA, RAHASIA, ANONIM = "biasa", "rahasia", "anonim"
CONFIDENTIALITY = (BIASA, RAHASIA, ANONIM)

_LABEL = re.compile(
    r"^\s*(?P<label>nama(?:\s+(?:lengkap|pelapor|pengadu))?|name|e-?mail(?:\s+pelapor)?|"
    r"no\.?\s*(?:hp|telp\.?|telepon|handphone|wa)|nomor\s+(?:hp|telepon|handphone|wa)|"
    r"telepon|telp\.?|hp|whatsapp|wa|phone)\s*[:=]\s*(?P<value>.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_PHONE = re.compile(r"(?<![\d+])(?:\+62|62|0)[\s.-]?8\d{1,3}(?:[\s.-]?\d{2,5}){2,3}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ANONIM = re.compile(
    r"\banonim\b|\banonymous\b|tanpa\s+(?:menyebut(?:kan)?\s+)?(?:nama|identitas)|"
    r"(?:secara|sebagai)\s+anonim",
    re.IGNORECASE,
)
_RAHASIA_SUBJECT = re.compile(r"\brahasia\b|\bconfidential\b", re.IGNORECASE)
_RAHASIA_BODY = re.compile(
    r"\b(?:di)?rahasiakan\b|\bidentitas\s+(?:saya\s+)?(?:mohon\s+|agar\s+|harap\s+)?dirahasiakan|"
    r"\bkeep\s+my\s+identity\s+confidential\b",
    re.IGNORECASE,
)
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|tr|wg|aw|balas|bls|terusan)\s*:\s*|\[external\]\s*)+", re.I
)
_GREETING = re.compile(
    r"^(?:yth\.?|kepada\s+yth\.?|dengan\s+hormat|selamat\s+(?:pagi|siang|sore|malam)|"
    r"assalamu.alaikum\S*|salam|halo|hai|dear)\b.*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ComplainantInfo:
    name: str | None
    email: str | None
    phone: str | None
    confidentiality: str
    confidentiality_reason: str


def extract_complainant(
    mail: InboundMail, *, confidentiality: str | None = None, labels_first: bool = False
) -> ComplainantInfo:
    labels = _labelled_values(mail.text)
    header_email = mail.reply_to[0] if mail.reply_to else mail.from_addr
    header_name = _clean_name(mail.from_name)
    label_email = _first_email(labels.get("email"))
    label_name = _clean_name(labels.get("name"))
    if labels_first:
        name = label_name
        email = normalise(label_email)
    else:
        name = header_name or label_name
        email = normalise(header_email) or normalise(label_email)
    phone = normalise_phone(labels.get("phone")) or find_phone(mail.text)
    level, reason = detect_confidentiality(mail.subject, mail.text, confidentiality)
    if level == ANONIM:
        name, phone = None, None
    return ComplainantInfo(
        name=name,
        email=email.lower() if email else None,
        phone=phone,
        confidentiality=level,
        confidentiality_reason=reason,
    )


def detect_confidentiality(subject: str, body: str, from_rule: str | None = None) -> tuple[str, str]:
    """(level, why): the rule's value when set, else keywords, else biasa."""
    if from_rule in CONFIDENTIALITY:
        return from_rule, "rule"
    head = body[:5000]
    for text, where in ((subject, "subject"), (head, "body")):
        found = _ANONIM.search(text)
        if found:
            return ANONIM, f"{where} says {found.group(0)!r}"
    found = _RAHASIA_SUBJECT.search(subject) or _RAHASIA_BODY.search(head)
    if found:
        return RAHASIA, f"keyword {found.group(0)!r}"
    return BIASA, "default"


def _labelled_values(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for match in _LABEL.finditer(text[:20000]):
        label = match.group("label").lower()
        key = "email" if "mail" in label else "name" if label.startswith(("nama", "name")) else "phone"
        values.setdefault(key, match.group("value").strip()[:300])
    return values


def _first_email(text: str | None) -> str | None:
    if not text:
        return None
    found = _EMAIL.search(text)
    return found.group(0) if found else None


def _clean_name(name: str | None) -> str | None:
    if not name or has_unsafe(name.replace("\t", " ")) or any(ch in name for ch in "<>@"):
        return None
    cleaned = " ".join(name.replace('"', " ").split())
    return cleaned[:300] or None


def find_phone(text: str) -> str | None:
    """An Indonesian mobile number in the text, normalised to 08..., or None."""
    found = _PHONE.search(text[:20000])
    return normalise_phone(found.group(0)) if found else None


def normalise_phone(text: str | None) -> str | None:
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    return digits if 9 <= len(digits) <= 15 else None


def clean_subject(subject: str) -> str:
    """Without Re:/Fwd:/[External] prefixes and extra spaces."""
    return " ".join(_SUBJECT_PREFIX.sub("", subject).split())


def summarise(subject: str, body: str, limit: int = 280) -> str:
    """A one-paragraph summary: the first meaningful lines of the body, else the subject."""
    lines: list[str] = []
    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith(">") or line in ("--", "-- "):
            if lines:
                break
            continue
        if not line or (not lines and _GREETING.match(line)):
            continue
        if _LABEL.match(line):
            continue
        lines.append(line)
        if sum(len(x) for x in lines) >= limit:
            break
    text = " ".join(" ".join(lines).split()) or clean_subject(subject)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
