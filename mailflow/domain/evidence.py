"""The complainant's attachments as evidence for the officials (issue 14): pure rules.

Which attachment is evidence, how its file name may read to an OPD on a confidential case, how a
size reads to people, and how files are packed into mails under a size limit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from mailflow.domain.redaction import Identity

# An inline picture this small is a logo or a signature image, not a photo of the problem
MIN_INLINE_IMAGE = 16 * 1024
_HONORIFICS = {"bapak", "ibu", "sdr", "sdri", "saudara", "saudari", "bin", "binti", "haji", "hajah"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_SEPARATORS = re.compile(r"[\s_.,\-()+]+")


@dataclass(frozen=True)
class Candidate:
    """An attachment of the complainant's mail, as stored by ingest."""

    attachment_id: int
    position: int
    name: str | None
    content_type: str
    size: int
    inline: bool
    stored: bool  # False: refused (too big) or never written
    damaged: bool


def is_evidence(item: Candidate) -> bool:
    """Every attachment, and an inline picture big enough to be a photo (a photo pasted into the
    mail body), not the logo of a signature."""
    if not item.inline:
        return True
    return item.content_type.lower().startswith("image/") and item.size >= MIN_INLINE_IMAGE


def skip_reason(item: Candidate) -> str | None:
    """Why the file cannot go to the officials: damaged in the mail, or refused for its size."""
    if item.damaged:
        return "damaged"
    if not item.stored:
        return "refused"
    return None


def safe_name(name: str | None, position: int, content_type: str) -> str:
    """A file name a mail may carry: no path, no control characters, not too long."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = _UNSAFE.sub("_", unicodedata.normalize("NFC", base)).strip(" ._")
    if not base:
        return f"lampiran-{position + 1}{_suffix_for(content_type)}"
    if len(base) > 120:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: 110 - len(suffix)] + dot + suffix) if dot and len(suffix) <= 8 else base[:120]
    return base


def names_identity(name: str, identity: Identity) -> bool:
    """Does a file name give away who complained (their name, a part of it, the local part of their
    address, their phone number)? Generous, as redaction is: a false alarm only renames a file."""
    stem = _SEPARATORS.sub(" ", PurePosixPath(name).stem.lower()).strip()
    words = set(stem.split())
    joined = stem.replace(" ", "")
    if identity.name:
        parts = [p.lower() for p in re.split(r"[\s,.]+", identity.name.strip()) if p]
        if parts and "".join(parts) in joined:
            return True
        if any(len(p) >= 3 and p not in _HONORIFICS and p in words for p in parts):
            return True
    if identity.email:
        local = _SEPARATORS.sub("", identity.email.split("@", 1)[0].lower())
        if len(local) >= 4 and local in joined:
            return True
    if identity.phone:
        digits = re.sub(r"\D", "", identity.phone).lstrip("0")
        digits = digits[2:] if digits.startswith("62") else digits
        if len(digits) >= 6 and digits in re.sub(r"\D", "", stem):
            return True
    return False


def neutral_name(position: int, name: str, content_type: str) -> str:
    """The name a renamed file gets: its place in the mail and its type ("lampiran-2.jpg")."""
    suffix = PurePosixPath(name).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        suffix = _suffix_for(content_type)
    return f"lampiran-{position + 1}{suffix}"


def _suffix_for(content_type: str) -> str:
    return {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/heic": ".heic",
        "application/pdf": ".pdf",
        "text/plain": ".txt",
    }.get(content_type.lower(), ".bin")


def format_size(size: int, lang: str = "id") -> str:
    """1.234.567 bytes -> "1,2 MB" (Indonesian) / "1.2 MB"."""
    if size < 1024:
        text = f"{size} B"
    elif size < 1024 * 1024:
        text = f"{size / 1024:.0f} KB"
    else:
        text = f"{size / (1024 * 1024):.1f} MB"
    return text.replace(".", ",") if lang == "id" else text


def pack(sizes: Sequence[int], limit: int) -> tuple[list[list[int]], list[int]]:
    """Indexes of `sizes` packed into mails of at most `limit` bytes each, in order (first fit
    into the current mail, else a new one), and the indexes of files bigger than the limit alone
    (they cannot go by mail at all)."""
    mails: list[list[int]] = []
    too_big: list[int] = []
    current: list[int] = []
    total = 0
    for index, size in enumerate(sizes):
        if size > limit:
            too_big.append(index)
            continue
        if current and total + size > limit:
            mails.append(current)
            current, total = [], 0
        current.append(index)
        total += size
    if current:
        mails.append(current)
    return mails, too_big
