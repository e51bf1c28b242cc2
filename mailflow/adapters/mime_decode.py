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
    except LookupError:
        return "utf-8"


def repair(text: str) -> str:
    """Undo surrogate escapes left by raw 8-bit header bytes (UTF-8, else Windows-1252)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    return decode_text(raw, None)


def header_text(value: object) -> str:
    """A header value as readable text; encoded words decoded; never raises."""
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a malformed header must not stop the parse
        text = repr(value)
    if "=?" in text:
        text = decode_words(text)
    return " ".join(repair(text).split())


_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,80})\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def decode_words(value: str) -> str:
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
    """The undecoded payload (transfer encoding still applied) as bytes."""
    payload = part.get_payload(decode=False)
    if isinstance(payload, list):
        return b""
    if isinstance(payload, bytes):
        return payload
    return str(payload).encode("ascii", errors="surrogateescape")


def stream_payload(part: Message, sink: Callable[[bytes], None], limit: int) -> int:
    """Decode `part`'s payload into `sink` chunk by chunk; returns the decoded size.

    Raises TooLargeError as soon as more than `limit` bytes came out.
    """
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    raw = raw_payload_bytes(part)
    total = 0

    def emit(chunk: bytes) -> None:
        nonlocal total
        total += len(chunk)
        if total > limit:
            raise TooLargeError(total)
        if chunk:
            sink(chunk)

    if encoding == "base64":
        _base64_chunks(raw, emit)
    elif encoding == "quoted-printable":
        for start in range(0, len(raw), CHUNK_CHARS):
            end = raw.find(b"\n", start + CHUNK_CHARS)
            piece = raw[start:] if end < 0 else raw[start : end + 1]
            emit(quopri.decodestring(piece))
            if end < 0:
                break
    else:
        emit(raw)
    return total


def _base64_chunks(raw: bytes, emit: Callable[[bytes], None]) -> None:
    carry = b""
    for start in range(0, len(raw), CHUNK_CHARS):
        cleaned = carry + raw[start : start + CHUNK_CHARS].translate(None, b" \t\r\n")
        usable = len(cleaned) - len(cleaned) % 4
        carry = cleaned[usable:]
        emit(_b64(cleaned[:usable]))
    if carry:
        emit(_b64(carry + b"=" * (-len(carry) % 4)))


def _b64(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:  # junk in the middle: keep what decodes, like mail clients do
        return binascii.a2b_base64(bytes(b for b in data if b in _B64_ALPHABET)[: len(data) // 4 * 4])


_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
