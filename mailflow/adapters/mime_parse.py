"""Raw bytes -> InboundMail: the standard `email` package with policy.default, made robust.

Text comes from text/plain parts (several, as iPhones split a body around pictures), else from
the HTML made into text safely. Attachments are decoded chunk by chunk into the content store
under generated names (`<sha256>.<extension from the content type>`); the sender's file name is
kept as data only. An attachment over the limit is recorded as refused; archives are stored as
they are, never expanded; an attached mail (message/rfc822) is one attachment, not body text.
A message over the size limit is parsed from its header only (`truncated`). Nothing here raises
for bad input: defects are collected, encodings repaired.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from mailflow.adapters.html_text import html_to_text
from mailflow.adapters.mailstore import ContentStore
from mailflow.adapters.mime_decode import (
    TooLargeError,
    decode_text,
    header_text,
    raw_payload_bytes,
    repair,
    stream_payload,
)
from mailflow.domain.inbound import AttachmentInfo, DeliveryReport, InboundMail, LoopHeaders

_MSGID = re.compile(r"<[^<>\s]{1,990}>")
_SAFE_EXT = re.compile(r"^\.[a-z0-9]{1,8}$")
_MAX_PARTS = 500
_PARSER = BytesParser(policy=policy.default)


@dataclass(frozen=True)
class ParseLimits:
    max_message_bytes: int = 30 * 1024 * 1024
    max_attachment_bytes: int = 25 * 1024 * 1024


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    report: DeliveryReport | None = None
    defects: list[str] = field(default_factory=list)
    parts: int = 0


def parse_message(raw: bytes, *, store: ContentStore | None, limits: ParseLimits) -> InboundMail:
    """Parse `raw`; attachments go to `store` (None: parse without keeping attachments)."""
    if len(raw) > limits.max_message_bytes:
        return parse_header_only(split_header(raw), size=len(raw))
    message = _PARSER.parsebytes(raw)
    body = _Body()
    _walk(message, body, store, limits)
    text = "\n\n".join(t for t in body.plain if t.strip())
    html = "\n".join(body.html) if body.html else None
    if not text.strip() and html:
        text = html_to_text(html)
    defects = [type(d).__name__ for d in message.defects] + body.defects
    return _assemble(message, len(raw), text=text, html=html, body=body, defects=defects)


def parse_header_only(header: bytes, *, size: int) -> InboundMail:
    message = _PARSER.parsebytes(header, headersonly=True)
    return _assemble(message, size, text="", html=None, body=_Body(), defects=[], truncated=True)


def split_header(raw: bytes) -> bytes:
    """The header block of a raw message (up to and including the blank line)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(separator)
        if index >= 0:
            return raw[: index + len(separator)]
    return raw[:65536]


def _assemble(
    message: Message,
    size: int,
    *,
    text: str,
    html: str | None,
    body: _Body,
    defects: list[str],
    truncated: bool = False,
) -> InboundMail:
    headers = _headers(message)
    from_pairs = _addresses(headers.get("from", ()))
    from_name, from_addr = from_pairs[0] if from_pairs else (None, None)
    return InboundMail(
        message_id=_first_id(headers.get("message-id", ())),
        subject=headers.get("subject", ("",))[0],
        from_addr=from_addr,
        from_name=from_name,
        date=_date(headers.get("date", ())),
        in_reply_to=_ids(headers.get("in-reply-to", ())),
        references=_ids(headers.get("references", ())),
        reply_to=tuple(a for _, a in _addresses(headers.get("reply-to", ()))),
        to=tuple(a for _, a in _addresses(headers.get("to", ()))),
        cc=tuple(a for _, a in _addresses(headers.get("cc", ()))),
        delivered_to=tuple(
            a for _, a in _addresses(headers.get("delivered-to", ()) + headers.get("x-original-to", ()))
        ),
        sender=next((a for _, a in _addresses(headers.get("sender", ()))), None),
        text=text,
        html=html,
        attachments=tuple(body.attachments),
        authentication_results=headers.get("authentication-results", ()),
        received_spf=headers.get("received-spf", ()),
        dkim_signatures=len(headers.get("dkim-signature", ())),
        loop=_loop_headers(headers),
        content_type=_safe_content_type(message),
        report=body.report,
        headers=headers,
        defects=tuple(dict.fromkeys(defects)),
        size=size,
        truncated=truncated,
    )


def _headers(message: Message) -> dict[str, tuple[str, ...]]:
    """Every header as decoded, unfolded text. Plain ASCII values are taken as they are (the
    policy's header classes cost milliseconds per message); encoded words and raw 8-bit bytes
    are decoded and repaired."""
    found: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        key = repair(name).strip().lower()
        raw = value if isinstance(value, str) else str(value)
        if _has_surrogates(raw):
            text = header_text(repair(raw))  # raw 8-bit bytes: UTF-8, else Windows-1252
        elif "=?" in raw:
            text = header_text(raw)
        else:
            text = " ".join(raw.split())
        found.setdefault(key, []).append(text)
    return {k: tuple(v) for k, v in found.items()}


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _addresses(values: tuple[str, ...]) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for name, raw_address in getaddresses(list(values)):
        address = raw_address.strip().strip("<>").lower()
        if "@" not in address or len(address) > 320:
            continue
        out.append((name.strip() or None, address))
    return out


def _ids(values: tuple[str, ...]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for value in values:
        for match in _MSGID.findall(value):
            found.setdefault(match, None)
    return tuple(found)


def _first_id(values: tuple[str, ...]) -> str | None:
    ids = _ids(values)
    if ids:
        return ids[0]
    bare = values[0].strip() if values else ""
    return f"<{bare[:990]}>" if bare and " " not in bare else None


def _date(values: tuple[str, ...]) -> datetime | None:
    if not values:
        return None
    try:
        parsed = parsedate_to_datetime(values[0])
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _loop_headers(headers: dict[str, tuple[str, ...]]) -> LoopHeaders:
    def one(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    return_path = one("return-path")
    if return_path is not None:
        return_path = return_path.strip().strip("<>").strip()
    return LoopHeaders(
        auto_submitted=one("auto-submitted"),
        precedence=one("precedence"),
        x_autoreply=one("x-autoreply"),
        x_autorespond=one("x-autorespond"),
        x_auto_response_suppress=one("x-auto-response-suppress"),
        list_id=one("list-id"),
        list_unsubscribe=one("list-unsubscribe"),
        feedback_id=one("feedback-id"),
        return_path=return_path,
        x_failed_recipients=one("x-failed-recipients"),
    )


def _safe_content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001 - a mangled Content-Type is plain text, as RFC 2045 says
        return "text/plain"


def _walk(part: Message, body: _Body, store: ContentStore | None, limits: ParseLimits) -> None:
    body.parts += 1
    if body.parts > _MAX_PARTS:
        body.defects.append("TooManyParts")
        return
    body.defects.extend(type(d).__name__ for d in getattr(part, "defects", ()))
    content_type = _safe_content_type(part)
    if part.is_multipart():
        children = part.get_payload()
        if content_type == "multipart/report":
            body.report = _delivery_report(part) or body.report
        if isinstance(children, list):
            for child in children:
                if isinstance(child, Message):
                    _walk(child, body, store, limits)
        return
    if _is_body_text(part, content_type):
        text = decode_text(_decoded(part), _charset(part))
        (body.html if content_type == "text/html" else body.plain).append(text)
        return
    if content_type.startswith("multipart/"):  # a multipart without parts: broken MIME, read as text
        body.plain.append(decode_text(raw_payload_bytes(part), _charset(part)))
        return
    if content_type in ("message/delivery-status", "text/rfc822-headers", "message/rfc822-headers"):
        return
    body.attachments.append(_attachment(part, content_type, len(body.attachments), store, limits))


def _is_body_text(part: Message, content_type: str) -> bool:
    if content_type not in ("text/plain", "text/html"):
        return False
    disposition = _disposition(part)
    return disposition != "attachment" and not (disposition is None and _filename(part))


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # noqa: BLE001
        return None


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        return None
    return header_text(name)[:300] if name else None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001
        return None


def _decoded(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - undecodable transfer encoding: take the bytes as they are
        return raw_payload_bytes(part)
    return payload if isinstance(payload, bytes) else b""


def _attachment(
    part: Message, content_type: str, position: int, store: ContentStore | None, limits: ParseLimits
) -> AttachmentInfo:
    name = _filename(part)
    content_id = part.get("Content-ID")
    inline = _disposition(part) == "inline" or (content_id is not None and _disposition(part) is None)
    info = AttachmentInfo(
        position=position,
        content_type=content_type,
        size=0,
        original_name=name,
        inline=inline,
        content_id=header_text(content_id).strip("<>") if content_id else None,
    )
    if store is None:
        return _refused(info, part, None)
    writer = store.writer(suffix=_extension(content_type))
    try:
        stream_payload(part, writer.write, limits.max_attachment_bytes)
    except TooLargeError:
        writer.abort()
        return _refused(info, part, "too_large")
    except BaseException:
        writer.abort()
        raise
    blob = writer.commit()
    return AttachmentInfo(
        position=info.position,
        content_type=info.content_type,
        size=blob.size,
        original_name=info.original_name,
        stored_path=str(blob.path),
        sha256=blob.sha256,
        inline=info.inline,
        content_id=info.content_id,
    )


def _refused(info: AttachmentInfo, part: Message, reason: str | None) -> AttachmentInfo:
    estimate = len(raw_payload_bytes(part)) * 3 // 4
    return AttachmentInfo(
        position=info.position,
        content_type=info.content_type,
        size=estimate,
        original_name=info.original_name,
        inline=info.inline,
        content_id=info.content_id,
        refused_reason=reason,
    )


def _extension(content_type: str) -> str:
    guessed = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return guessed if _SAFE_EXT.match(guessed) else ".bin"


def _delivery_report(part: Message) -> DeliveryReport | None:
    if str(part.get_param("report-type", "")).lower() != "delivery-status":
        return None
    recipients: list[str] = []
    ids: list[str] = []
    action = status = diagnostic = None
    for child in part.walk():
        kind = _safe_content_type(child)
        if kind == "message/delivery-status":
            for block in _status_blocks(child):
                if block.get("Final-Recipient"):
                    recipients.append(str(block["Final-Recipient"]).split(";")[-1].strip().lower())
                action = action or _opt(block, "Action")
                status = status or _opt(block, "Status")
                diagnostic = diagnostic or _opt(block, "Diagnostic-Code")
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            ids.extend(_returned_ids(child))
    return DeliveryReport(
        original_message_ids=tuple(dict.fromkeys(ids)),
        final_recipients=tuple(dict.fromkeys(recipients)),
        action=action.lower() if action else None,
        status=status,
        diagnostic=diagnostic,
    )


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = decode_text(raw_payload_bytes(part), None)
    return [_PARSER.parsebytes(block.encode(), headersonly=True) for block in re.split(r"\n\s*\n", text)]


def _opt(block: Message, name: str) -> str | None:
    value = block.get(name)
    return header_text(value) if value is not None else None


def _returned_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return list(_ids((header_text(payload[0].get("Message-ID", "")),)))
    text = decode_text(raw_payload_bytes(part), None)
    header = _PARSER.parsebytes(text.encode("utf-8", errors="replace"), headersonly=True)
    return list(_ids((header_text(header.get("Message-ID", "")),)))
