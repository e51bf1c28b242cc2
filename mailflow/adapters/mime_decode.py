"""Decoding the pieces of a MIME message without ever failing: charsets, headers, payloads.

Broken or unknown charsets are repaired (declared charset, then UTF-8, then Windows-1252 with
replacement characters); attachment payloads are decoded chunk by chunk into a sink so a large
attachment is never held twice in memory and stops at the size limit.
"""

from __future__ import annotations

import binascii
import codecs
import quopri
import re
from collections.abc import Callable
from email.message import Message

CHUNK_CHARS = 76 * 4096  # base64 text per decoding step (~230 KB of output)
_ALIASES = {
    "x-unknown": "windows-1252",
    "unknown-8bit": "windows-1252",
    "x-user-defined": "windows-1252",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "utf8": "utf-8",
    "latin-1": "iso-8859-1",
    "ansi_x3.4-1968": "us-ascii",
    "cp-850": "cp850",
}


class TooLargeError(Exception):
    """A payload passed its limit while being decoded."""


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes of a text part as str, whatever the declared charset says."""
    name = _charset(charset)
    if name in (None, "us-ascii"):
        for candidate in ("utf-8", "windows-1252"):
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
    else:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            pass
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.decode("windows-1252", errors="replace")


def _charset(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name if name != "us-ascii" else name
    except (LookupError, ValueError):  # ValueError: a NUL or a raw 8-bit byte in the name
        return "utf-8"


def repair(text: str) -> str:
    """Undo surrogate escapes left by raw 8-bit header bytes (UTF-8, else Windows-1252)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    return decode_text(raw, None)


def header_text(value: object) -> str:
    """A header value as readable one-line text; encoded words decoded; never raises."""
    return " ".join(repair(decode_words(value)).split())


def decode_words(value: object) -> str:
    """`value` with its RFC 2047 encoded words decoded, whitespace and control characters kept
    (so that a caller can see a CR or LF smuggled into a display name); never raises.

    Written out rather than email.header.make_header, which gives up on the whole value at one
    unknown charset or bad base64 word: here each word is decoded on its own (adjacent words of
    one charset together, as a character may be split across them) and a word that cannot be
    decoded stays as it was.
    """
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a malformed header must not stop the parse
        text = repr(value)
    return _decode_encoded_words(text) if "=?" in text else text


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,80})\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def _decode_encoded_words(value: str) -> str:
    """RFC 2047 decoding of an unfolded or folded header value, exact where the standard
    library is not: text next to an encoded word keeps its own spacing ("=?..?=, x" stays
    ", x"; `make_header` writes " , x"), and whitespace between two encoded words is dropped
    unless it is more than the fold itself. That last case is how CPython's SMTP policy folds
    a space that separated two words ("?=\r\n  =?"): a lone fold means nothing, a fold plus a
    space was a space. Adjacent words in one charset are joined before decoding, so a
    character split across two words survives. Never raises: a broken word stays as written.
    """
    text = _FOLD.sub("", value)
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # decoded bytes of adjacent encoded words
    position = 0

    def flush() -> None:
        if pending:
            out.append(_join_words(pending))
            pending.clear()

    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        payload = _word_bytes(match.group(2), match.group(3))
        position = match.end()
        if payload is None:  # not decodable: keep the whole thing as text
            flush()
            out.append(between + match.group(0))
            continue
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix: "utf-8*id"
        if pending and not between.strip(" \t"):
            if len(between) > 1:
                flush()
                out.append(" ")
            pending.append((charset, payload))
            continue
        flush()
        out.append(between)
        pending.append((charset, payload))
    flush()
    out.append(text[position:])
    return "".join(out)


def _word_bytes(encoding: str, data: str) -> bytes | None:
    try:
        if encoding in "bB":
            if not _BASE64_TEXT.match(data):
                return None
            return binascii.a2b_base64(data + "=" * (-len(data) % 4))
        return quopri.decodestring(data.replace("_", " ").encode("ascii"), header=False)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def _join_words(words: list[tuple[str, bytes]]) -> str:
    """Decode runs of one charset together (a UTF-8 character may span two words)."""
    parts: list[str] = []
    run, run_charset = b"", words[0][0].lower()
    for charset, data in words:
        if charset.lower() != run_charset:
            parts.append(decode_text(run, run_charset))
            run, run_charset = b"", charset.lower()
        run += data
    parts.append(decode_text(run, run_charset))
    return "".join(parts)


def raw_payload_bytes(part: Message) -> bytes:
    """The undecoded payload (transfer encoding still applied) as bytes, exactly as received."""
    # The parser keeps 8-bit bytes as surrogate escapes in the stored payload; the public
    # get_payload(decode=False) re-decodes such text with the declared charset and replacement
    # characters, which loses the bytes (and cannot be encoded back), so read the stored value.
    payload = getattr(part, "_payload", None)
    if payload is None or isinstance(payload, list):
        return b""
    if isinstance(payload, bytes):
        return payload
    return str(payload).encode("utf-8", errors="surrogateescape")


def transfer_encoding(part: Message) -> str:
    """The part's Content-Transfer-Encoding, lower-case ("" when absent or unreadable)."""
    try:
        value = part.get("Content-Transfer-Encoding", "")
        return header_text(value).strip().lower()
    except Exception:  # noqa: BLE001 - a mangled header counts as absent (7bit), as RFC 2045 says
        return ""


def stream_payload(part: Message, sink: Callable[[bytes], None], limit: int) -> tuple[int, tuple[str, ...]]:
    """Decode `part`'s payload into `sink` chunk by chunk; returns the decoded size and the defects
    found on the way (cut or invalid base64, 8-bit bytes in a 7bit part).

    Raises TooLargeError as soon as more than `limit` bytes came out.
    """
    encoding = transfer_encoding(part)
    raw = raw_payload_bytes(part)
    total = 0

    def emit(chunk: bytes) -> None:
        nonlocal total
        total += len(chunk)
        if total > limit:
            raise TooLargeError(total)
        if chunk:
            sink(chunk)

    defects: tuple[str, ...] = ()
    if encoding == "base64":
        defects = decode_base64(raw, emit)
    elif encoding == "quoted-printable":
        for start in range(0, len(raw), CHUNK_CHARS):
            end = raw.find(b"\n", start + CHUNK_CHARS)
            piece = raw[start:] if end < 0 else raw[start : end + 1]
            emit(quopri.decodestring(piece))
            if end < 0:
                break
    else:
        if encoding in ("", "7bit") and not raw.isascii():
            defects = (NON_ASCII_7BIT,)
        emit(raw)
    return total, defects


# mailflow's own defect names (the stdlib's are the class names of email.errors)
BASE64_CHARACTERS = "InvalidBase64CharactersDefect"  # bytes outside the alphabet: corrupted
BASE64_LENGTH = "InvalidBase64LengthDefect"  # one character too many or too few: cut
BASE64_PADDING = "InvalidBase64PaddingDefect"  # padding missing or wrong: cut mid-group
BASE64_PADDING_INSIDE = "Base64DataAfterPaddingDefect"  # two encodings glued, or garbage
NON_ASCII_7BIT = "NonAsciiIn7bitDefect"  # informational: 8-bit bytes kept as they are
DAMAGING = frozenset({BASE64_CHARACTERS, BASE64_LENGTH, BASE64_PADDING, BASE64_PADDING_INSIDE})

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_B64_OR_PAD = bytes(b for b in range(256) if b not in _B64_ALPHABET + b"=")
_WHITESPACE = b" \t\r\n"
_B64_ALPHABET_AND_WHITESPACE = _B64_ALPHABET + _WHITESPACE


def decode_base64(raw: bytes, emit: Callable[[bytes], None]) -> tuple[str, ...]:
    """Decode base64 without ever failing; returns what was wrong with it.

    Only alphabet characters are decoded, in whole groups of four; characters outside the
    alphabet are skipped (and reported), a last incomplete group is decoded as far as it goes.
    Well-formed base64 (what nearly every mail carries) is decoded in one piece: the chunked
    walk below would find no defect in it and emit the same bytes.
    """
    if _well_formed_base64(raw):
        emit(binascii.a2b_base64(raw))
        return ()
    return _decode_base64_chunked(raw, emit)


def _well_formed_base64(raw: bytes) -> bool:
    """Only alphabet characters and line breaks, then the right padding, and nothing after it."""
    others = raw.translate(None, _B64_ALPHABET_AND_WHITESPACE)
    if others not in (b"", b"=", b"=="):
        return False
    if others and not raw.rstrip(_WHITESPACE).endswith(others):
        return False
    letters = len(raw.translate(None, _WHITESPACE)) - len(others)
    return (letters + len(others)) % 4 == 0 and (len(others) == 0 or letters % 4 != 0)


def _decode_base64_chunked(raw: bytes, emit: Callable[[bytes], None]) -> tuple[str, ...]:
    defects: dict[str, None] = {}
    carry = b""
    pads = 0  # padding characters seen since the last data character
    for start in range(0, len(raw), CHUNK_CHARS):
        piece = raw[start : start + CHUNK_CHARS]
        kept = piece.translate(None, _NOT_B64_OR_PAD)
        if len(kept) != len(piece.translate(None, _WHITESPACE)):
            defects.setdefault(BASE64_CHARACTERS, None)
        data = kept.replace(b"=", b"")
        if data and (pads or b"=" in kept.rstrip(b"=")):
            defects.setdefault(BASE64_PADDING_INSIDE, None)
        pads = len(kept) - len(kept.rstrip(b"=")) if data else pads + len(kept)
        data = carry + data
        usable = len(data) - len(data) % 4
        emit(binascii.a2b_base64(data[:usable]))  # alphabet only, whole groups: cannot fail
        carry = data[usable:]
    if len(carry) == 1:
        defects.setdefault(BASE64_LENGTH, None)
    elif carry:
        emit(binascii.a2b_base64(carry + b"=" * (4 - len(carry))))
        if pads != 4 - len(carry):
            defects.setdefault(BASE64_PADDING, None)
    elif pads:
        defects.setdefault(BASE64_PADDING, None)
    return tuple(defects)
