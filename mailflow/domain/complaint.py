"""What a new complaint says about its complainant and itself (pure).

Identity comes from the mail headers (From, Reply-To) for direct mail. A web form's mail (sent
from a no-reply address with the citizen in Reply-To, or with a form block "Nama: / Email: /
No. HP: / Alamat:" in the body) and a forwarded or portal notification (`labels_first`) take the
form's values first, then Reply-To, then From, and never the name of the robot that sent it
("Website Pemerintah Kota Bontang"). A site names its own form labels with `fields`
(label -> name / email / phone / address). Confidentiality comes from the rule when it sets one,
else from keywords: `anonim` keeps no name, phone or address (the email stays: it is the only way
to answer), `rahasia` keeps the identity but marks it for Diskominfo's eyes only (redaction is
the engine's job).
The header names are the parser's checked display names (InboundMail.from_name and reply_to_name:
never one holding an address, `<`, `>` or control/bidi characters); such a name is not used from
a form label either, and an address is kept only when it is a valid addr-spec.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailflow.domain.addresses import normalise
from mailflow.domain.inbound import InboundMail
from mailflow.domain.safe_text import has_unsafe

BIASA, RAHASIA, ANONIM = "biasa", "rahasia", "anonim"
CONFIDENTIALITY = (BIASA, RAHASIA, ANONIM)

ATTRIBUTES = ("name", "email", "phone", "address")
# Labels of form blocks, portal notifications and signatures, longest first within a kind so that
# "alamat email" is an email and not an address.
_BUILTIN_LABELS: tuple[tuple[str, str], ...] = (
    (r"alamat\s+e-?mail|e-?mail\s+address|your\s+e-?mail|e-?mail(?:\s+pelapor)?|surel", "email"),
    (r"nama(?:\s+(?:lengkap|pelapor|pengadu|anda))?|full\s+name|your\s+name|name", "name"),
    (
        r"no\.?\s*(?:hp|telp\.?|telepon|handphone|wa|whatsapp)|nomor\s+(?:hp|telepon|handphone|wa|whatsapp)"
        r"|telepon|telp\.?|hp|handphone|whatsapp|wa|phone(?:\s+number)?|mobile(?:\s+number)?|your\s+phone",
        "phone",
    ),
    (r"alamat(?:\s+(?:lengkap|rumah|pelapor|domisili))?|address|your\s+address", "address"),
)
_LABEL = re.compile(
    r"^\s*(?P<label>" + "|".join(f"(?:{p})" for p, _ in _BUILTIN_LABELS) + r")\s*[:=]\s*(?P<value>.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_FORM_WINDOW = 12  # lines a form block's labelled lines lie within
# senders that are machines acting for someone else (the part before the @)
_ROBOT = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|noreply\w*|wordpress|web-?form\w*|forms?|formulir|"
    r"website|web|notifikasi|notifications?|mailer|contact-?form)$",
    re.IGNORECASE,
)
_SECOND_LEVEL = {
    "co",
    "go",
    "ac",
    "or",
    "web",
    "sch",
    "my",
    "net",
    "com",
    "org",
    "gov",
    "edu",
    "mil",
    "ponpes",
}
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
_DELIMITER = re.compile(r"^\s*(?:--|-{3,}|_{3,}|={3,})\s*$")
_FOOTER_LINES = 6  # a signature or a form's footer is at most this many lines
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
    address: str | None = None
    source: str = "headers"  # headers / form / labels: where the identity came from


FormFields = Sequence[tuple[str, str]]  # (label as the form writes it, one of ATTRIBUTES)


def extract_complainant(
    mail: InboundMail,
    *,
    confidentiality: str | None = None,
    labels_first: bool = False,
    fields: FormFields = (),
) -> ComplainantInfo:
    labels = form_values(mail.text, fields)
    reply_name, reply_email = _reply_to(mail)
    robot = is_robot_sender(mail.from_addr)
    label_email = _first_email(labels.get("email"))
    if labels_first:  # a portal's notification: only what it says about the citizen
        name, email, source = _clean_name(labels.get("name")), normalise(label_email), "labels"
    elif looks_like_complaint(mail, fields=fields) is not None:
        email = normalise(label_email) or reply_email or (None if robot else normalise(mail.from_addr))
        own_from = not robot and email is not None and email.lower() == (mail.from_addr or "").lower()
        name = (
            _clean_name(labels.get("name"))
            or reply_name
            or (_clean_name(mail.from_name) if own_from else None)
        )
        source = "form"
    else:
        name = _clean_name(mail.from_name) or _clean_name(labels.get("name"))
        email = normalise(mail.reply_to[0] if mail.reply_to else mail.from_addr) or normalise(label_email)
        source = "headers"
    phone = normalise_phone(labels.get("phone")) or find_phone(mail.text)
    address = labels.get("address") or None
    level, reason = detect_confidentiality(mail.subject, mail.text, confidentiality)
    if level == ANONIM:
        name, phone, address = None, None, None
    return ComplainantInfo(
        name=name,
        email=email.lower() if email else None,
        phone=phone,
        confidentiality=level,
        confidentiality_reason=reason,
        address=address,
        source=source,
    )


def looks_like_complaint(mail: InboundMail, *, fields: FormFields = ()) -> str | None:
    """Why `mail` is a complaint sent through a web form, or None: a machine sender with a person
    in Reply-To (another organisation's address), or a form block in the body. Mailing-list mail
    never is (answering a list would be a loop). Ignore rules may not swallow such a mail."""
    if mail.loop.list_id or mail.loop.list_unsubscribe:
        return None
    if mail.from_addr and mail.reply_to:
        reply = mail.reply_to[0]
        if is_robot_sender(mail.from_addr) and organisation(reply) != organisation(mail.from_addr):
            return f"sent by {mail.from_addr} for {reply} (Reply-To)"
    block = form_block(mail.text, fields)
    if block is not None:
        return "form block: " + ", ".join(block)
    return None


def is_robot_sender(address: str | None) -> bool:
    """A no-reply or form address: it never stands for the complainant."""
    if not address or "@" not in address:
        return False
    return bool(_ROBOT.match(address.rsplit("@", 1)[0]))


def organisation(address: str) -> str:
    """The registrable part of an address's domain: "reply.github.com" and "github.com" are one
    organisation, "bontangkota.go.id" is not "go.id"."""
    labels = address.rsplit("@", 1)[-1].lower().strip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def form_values(text: str, fields: FormFields = ()) -> dict[str, str]:
    """The first value of each attribute written as "Label: value" (the site's `fields` first)."""
    values: dict[str, str] = {}
    for _, kind, value in _labelled_lines(text, fields):
        values.setdefault(kind, value)
    return values


def form_block(text: str, fields: FormFields = ()) -> tuple[str, ...] | None:
    """The attributes of a form block (a name or email with at least one more attribute on
    labelled lines close together), or None."""
    lines = _labelled_lines(text, fields)
    for start, (line, _, _) in enumerate(lines):
        kinds: dict[str, None] = {}
        for number, kind, _ in lines[start:]:
            if number - line >= _FORM_WINDOW:
                break
            kinds.setdefault(kind, None)
        if len(kinds) >= 2 and ("name" in kinds or "email" in kinds):
            return tuple(kinds)
    return None


def _labelled_lines(text: str, fields: FormFields) -> list[tuple[int, str, str]]:
    """(line number, attribute, value) of every labelled line of the first 20 000 characters."""
    own = [(label.strip().casefold(), kind) for label, kind in fields if kind in ATTRIBUTES and label.strip()]
    found: list[tuple[int, str, str]] = []
    for number, raw in enumerate(text[:20000].splitlines()):
        line = raw.strip().lstrip("*-• ").replace("*", "")
        label, sep, value = _split_label(line)
        if not sep or not value:
            continue
        key = " ".join(label.casefold().split())
        kind = next((k for text_label, k in own if text_label == key), None)
        if kind is None:
            builtin = _LABEL.match(line)
            if builtin is None:
                continue
            kind = _kind(builtin.group("label"))
        found.append((number, kind, value[:300]))
    return found


def _split_label(line: str) -> tuple[str, str, str]:
    for separator in (":", "="):
        label, sep, value = line.partition(separator)
        if sep and 0 < len(label) <= 40:
            return label.strip(), sep, value.strip()
    return "", "", ""


def _kind(label: str) -> str:
    for pattern, kind in _BUILTIN_LABELS:
        if re.fullmatch(pattern, " ".join(label.split()), re.IGNORECASE):
            return kind
    return "name"


def _reply_to(mail: InboundMail) -> tuple[str | None, str | None]:
    """(display name, address) of the first Reply-To, as the parser read them from the raw header;
    the name only when it is a person's."""
    address = mail.reply_to[0] if mail.reply_to else None
    name = mail.reply_to_name
    if address is None or (name and is_robot_sender(address)):
        name = None
    return name, address


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


def written_text(text: str, fields: FormFields = ()) -> str:
    """What the complainant wrote in `text`: without the form's labelled lines ("Nama: ...",
    the site's `fields`), quoted lines, and a short signature or footer after the last
    delimiter line ("-- ", "---", "___"; a form's "sent automatically by the city website" or a
    phone's signature). A delimiter followed by more than a few lines is a divider, not a footer."""
    lines = text[:20000].splitlines()
    labelled = {number for number, _, _ in _labelled_lines(text, fields)}
    delimiters = [n for n, line in enumerate(lines) if _DELIMITER.match(line)]
    end = len(lines)
    if delimiters and sum(1 for line in lines[delimiters[-1] + 1 :] if line.strip()) <= _FOOTER_LINES:
        end = delimiters[-1]
    kept = [
        line.strip()
        for number, line in enumerate(lines[:end])
        if number not in labelled and not line.lstrip().startswith(">")
    ]
    return "\n".join(line for line in kept if line)


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
