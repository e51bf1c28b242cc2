"""Text from hostile mail made safe to show: control and bidi characters escaped (pure).

A display name, subject or file name is written by whoever sent the mail. Shown raw, a
right-to-left override (U+202E) reorders what a log reader or an admin in a terminal sees
("evil\u202egpj.exe" reads as "evilexe.jpg"), and a newline or escape sequence forges log lines
or moves a terminal's cursor. Everything mailflow shows to a person outside the mail itself (logs,
CLI listings, reports, addresses' display names in outgoing headers) goes through `escape`.

Escaping keeps the text readable and the original recoverable: each such character becomes a
visible `\\u202e`-style marker instead of disappearing, so an admin sees that something was there.
"""

from __future__ import annotations

import re
import unicodedata

# Explicit bidi embeddings, overrides and isolates, the implicit marks, and the Arabic letter mark.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width and invisible characters that hide text or split words in lookalikes. The joiners
# (U+200C, U+200D) are not here: emoji sequences and some scripts need them, and they reorder nothing.
INVISIBLE = frozenset("\u200b\u2060\ufeff\u00ad")
_JOINERS = frozenset("\u200c\u200d")
_MULTISPACE = re.compile(r"[ \t]{2,}")


def is_unsafe_char(ch: str) -> bool:
    """Control (C0, DEL, C1), bidi control, line/paragraph separator or invisible formatter."""
    if ch in BIDI_CONTROLS or ch in INVISIBLE:
        return True
    category = unicodedata.category(ch)
    return category in ("Cc", "Zl", "Zp") or (category == "Cf" and ch not in _JOINERS)


def has_unsafe(text: str) -> bool:
    # isprintable() is False for every unsafe character (all are Cc, Cf, Zl or Zp), so a printable
    # text, nearly every one, is answered at C speed
    return not text.isprintable() and any(is_unsafe_char(ch) for ch in text)


def escape(text: str | None, *, keep_newlines: bool = False, limit: int | None = None) -> str:
    """`text` with every unsafe character shown as `\\uXXXX` (or `\\n`, `\\t`); None -> "".

    `keep_newlines` keeps line breaks (multi-line bodies in a listing); `limit` cuts the result
    at that many characters with an ellipsis.
    """
    if not text:
        return ""
    if text.isprintable():  # nothing to escape (see has_unsafe)
        return text if limit is None or len(text) <= limit else text[: max(limit - 1, 0)] + "…"
    out: list[str] = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch in ("\r", "\n"):
            out.append("\\n" if ch == "\n" else "\\r")
        elif is_unsafe_char(ch):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    result = "".join(out)
    if limit is not None and len(result) > limit:
        result = result[: max(limit - 1, 0)] + "…"
    return result


def strip_unsafe(text: str | None) -> str:
    """`text` without unsafe characters at all (for values that must stay one clean line, e.g. a
    display name in an outgoing header); runs of spaces folded."""
    if not text:
        return ""
    if text.isprintable():  # no unsafe character and no line break or tab (see has_unsafe)
        return _MULTISPACE.sub(" ", text).strip()
    kept = (ch for ch in text if ch in "\r\n\t" or not is_unsafe_char(ch))
    cleaned = "".join(" " if ch in "\r\n\t" else ch for ch in kept)
    return _MULTISPACE.sub(" ", cleaned).strip()
