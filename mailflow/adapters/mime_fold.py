"""Outgoing header text (the Subject) encoded and folded so that every reader decodes it exactly.

CPython's SMTP policy folds a long subject with non-ASCII words by moving the space between two
words outside the encoded words ("...?=\\r\\n  =?utf-8?...") or dropping it. RFC 2047 readers
ignore whitespace between encoded words, so the space is lost, or shown twice by readers that do
not. Here the space always travels where it survives: inside an encoded word (as "_" or base64),
or as the single space between plain text and an encoded word, and a fold only ever replaces such
a space or sits between two encoded words, where it means nothing.
"""

from __future__ import annotations

import base64
import re

MAX_LINE = 78  # RFC 5322's recommended line length, the policy's max_line_length
_MAX_WORD = 75  # RFC 2047 limit of one encoded word
_PLAIN = re.compile(r"^[\x21-\x7e]+$")
_Q_SAFE = re.compile(r"[A-Za-z0-9!*+/-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_header_text(text: str) -> str:
    """What a header can carry of `text`: control characters and line breaks become spaces, runs of
    whitespace one space, no space at either end."""
    return " ".join(_SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text)).split())


def fold_header(name: str, text: str) -> str:
    """The value of header `name` (without "Name: "): `clean_header_text(text)`, plain ASCII words
    as they are, other words as UTF-8 encoded words, folded at `MAX_LINE` with CRLF + space."""
    atoms = _atoms(clean_header_text(text), first_room=MAX_LINE - len(name) - 2)
    out: list[str] = []
    column = len(name) + 1  # "Name:"; every atom is preceded by one space or a fold
    for encoded, atom in atoms:
        if not encoded:
            column = _place(out, atom, column)
            continue
        remaining = atom
        while remaining:
            room = min(_MAX_WORD, MAX_LINE - column - 1)
            word, remaining = _encode_prefix(remaining, room)
            if word is None:  # not even one character fits on this line: fold first
                out.append("\r\n")
                column = 0
                continue
            out.append(" " + word)
            column += 1 + len(word)
    return "".join(out).removeprefix(" ")


def _place(out: list[str], atom: str, column: int) -> int:
    if column + 1 + len(atom) > MAX_LINE and out:
        out.append("\r\n " + atom)
        return 1 + len(atom)
    out.append(" " + atom)
    return column + 1 + len(atom)


def _atoms(text: str, first_room: int) -> list[tuple[bool, str]]:
    """(encoded?, text): plain words alone, and every run of words needing encoding as one atom
    that keeps the spaces between its words (they are encoded with it)."""
    atoms: list[tuple[bool, str]] = []
    for word in text.split(" ") if text else ():
        plain = bool(_PLAIN.match(word)) and "=?" not in word and "?=" not in word
        # a plain word must fit a line on its own, the first line included, or it is encoded
        plain = plain and len(word) <= min(first_room - 1, MAX_LINE - 2)
        if not plain and atoms and atoms[-1][0]:
            atoms[-1] = (True, atoms[-1][1] + " " + word)
        else:
            atoms.append((not plain, word))
    return atoms


def _encode_prefix(text: str, room: int) -> tuple[str | None, str]:
    """The longest prefix of `text` (whole characters) that fits one encoded word of at most
    `room` characters, and the rest; (None, text) when not one character fits."""
    use_q = sum(1 for ch in text if ord(ch) > 127) * 3 < len(text)
    best: str | None = None
    count = 0
    for end in range(1, len(text) + 1):
        word = _q_word(text[:end]) if use_q else _b_word(text[:end])
        if len(word) > room:
            break
        best, count = word, end
    return best, text[count:]


def _q_word(text: str) -> str:
    encoded = "".join(
        "_" if ch == " " else ch if _Q_SAFE.match(ch) else "".join(f"={b:02X}" for b in ch.encode("utf-8"))
        for ch in text
    )
    return f"=?utf-8?q?{encoded}?="


def _b_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="
