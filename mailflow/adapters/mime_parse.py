"""Raw bytes -> InboundMail: the standard `email` package with policy.default, made robust.

Text comes from text/plain parts (several, as iPhones split a body around pictures), else from
the HTML made into text safely. Attachments are decoded chunk by chunk into the content store
under generated names (`<sha256>.<extension from the content type>`); the sender's file name is
kept as data only. An attachment over the limit is recorded as refused; archives are stored as
they are, never expanded. The text parts of an attached mail (message/rfc822) are read as body
text, but nothing inside it counts for what the mail itself is (its From, its report type).
A message over the size limit is parsed from its header only (`truncated`).

Hostile and broken input (adapters/mime_address for addresses):
- parsing goes part by part; a part that still fails is recorded as an unreadable attachment
  with a `PartFailed:<error>` defect and the rest of the mail is read;
- every part's defects are kept (`InboundMail.part_defects`); an attachment cut short (its
  multipart's closing boundary missing, so the input ended inside it) or whose base64 is cut or
  corrupt is stored as far as it decodes and flagged `damaged`;
- a structure past the limits (nesting, part count) or one the stdlib parser gives up on is
  `broken`: the header is still read, and ingest quarantines the mail instead of acting on half.
  The stdlib parser checks every line against every open boundary, so a crafted message of
  millions of short lines under hundreds of nested boundaries would take hours; such input
  (more than `_MAX_BOUNDARIES` boundary parameters or `_MAX_LINES` lines, far beyond real mail)
  is judged `broken` from a byte count before the parser sees it.
"""

from __future__ import annotations

import itertools
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import CloseBoundaryNotFoundDefect
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from mailflow.adapters import mime_report
from mailflow.adapters.html_text import html_to_text
from mailflow.adapters.mailstore import ContentStore
from mailflow.adapters.mime_address import first_named, parse_address_list, parse_from
from mailflow.adapters.mime_decode import (
    DAMAGING,
    TooLargeError,
    decode_text,
    header_text,
    raw_payload_bytes,
    repair,
    stream_payload,
)
from mailflow.adapters.mime_policy import DEFAULT
from mailflow.domain.inbound import AttachmentInfo, DeliveryReport, InboundMail, LoopHeaders, PartDefects

_MSGID = re.compile(r"<[^<>\s]{1,990}>")
_TAG = re.compile(r"<[^>]*>")
_SAFE_EXT = re.compile(r"^\.[a-z0-9]{1,8}$")
_MAX_PARTS = 500
_MAX_DEPTH = 40  # real mail nests 3-5 deep; forwarded chains a few more
_MAX_BOUNDARIES = 50  # boundary parameters in one message; each forwarded mail adds one to three
_MAX_LINES = 2_000_000  # 30 MB of base64 is 400,000 lines
_BOUNDARY_PARAM = re.compile(rb"boundary\s*(?:\*\d*\*?)?\s*=", re.IGNORECASE)
_PARSER = BytesParser(policy=DEFAULT)
_ATTACHED_MAIL = ("message/rfc822", "message/global")
CUT_SHORT = "PartCutShortDefect"  # the input ended inside this part (closing boundary missing)
TOO_DEEP, TOO_MANY_PARTS = "too_deep", "too_many_parts"


@dataclass(frozen=True)
class ParseLimits:
    max_message_bytes: int = 30 * 1024 * 1024
    max_attachment_bytes: int = 25 * 1024 * 1024


@dataclass
class _Body:
    store: ContentStore | None
    limits: ParseLimits
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    report: DeliveryReport | None = None
    report_type: str | None = None
    defects: list[str] = field(default_factory=list)
    part_defects: list[PartDefects] = field(default_factory=list)
    parts: int = 0
    broken: str | None = None

    def note(self, path: str, content_type: str, defects: list[str]) -> None:
        if defects:
            unique = tuple(dict.fromkeys(defects))
            self.part_defects.append(PartDefects(path, content_type, unique))
            self.defects.extend(unique)


@dataclass(frozen=True)
class _Where:
    """A part's place: its path, whether the input ended inside it, whether it is inside an
    attached mail."""

    path: str
    depth: int = 0
    cut: bool = False
    attached: bool = False


def parse_message(raw: bytes, *, store: ContentStore | None, limits: ParseLimits) -> InboundMail:
    """Parse `raw`; attachments go to `store` (None: parse without keeping attachments)."""
    if len(raw) > limits.max_message_bytes:
        return parse_header_only(split_header(raw), size=len(raw))
    complex_reason = _too_complex(raw)
    if complex_reason is not None:
        return _header_only_broken(raw, store, limits, complex_reason, "TooComplexDefect")
    try:
        message = _PARSER.parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on absurd nesting: keep the header
        name = type(exc).__name__
        return _header_only_broken(raw, store, limits, f"parser: {name}", f"ParserFailed:{name}")
    body = _Body(store, limits)
    _walk(message, body, _Where("0"))
    text = "\n\n".join(t for t in body.plain if t.strip())
    html = "\n".join(body.html) if body.html else None
    if not text.strip() and html:
        text = _html_text(html, body)
    return _assemble(message, len(raw), text=text, html=html, body=body, defects=body.defects)


def _too_complex(raw: bytes) -> str | None:
    if len(raw) > _MAX_LINES and max(raw.count(b"\n"), raw.count(b"\r")) > _MAX_LINES:
        return "too_many_lines"
    if raw.lower().count(b"boundary") <= _MAX_BOUNDARIES:  # the usual case, without a regex scan
        return None
    found = _BOUNDARY_PARAM.finditer(raw)
    if sum(1 for _ in itertools.islice(found, _MAX_BOUNDARIES + 1)) > _MAX_BOUNDARIES:
        return "too_many_boundaries"
    return None


def _header_only_broken(
    raw: bytes, store: ContentStore | None, limits: ParseLimits, reason: str, defect: str
) -> InboundMail:
    header = _PARSER.parsebytes(split_header(raw), headersonly=True)
    body = _Body(store, limits, broken=reason)
    return _assemble(header, len(raw), text="", html=None, body=body, defects=[defect])


def parse_header_only(header: bytes, *, size: int) -> InboundMail:
    message = _PARSER.parsebytes(header, headersonly=True)
    return _assemble(message, size, text="", html=None, body=_Body(None, ParseLimits()), defects=[],
                     truncated=True)  # fmt: skip


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
    raw = _raw_headers(message)
    sender = parse_from(raw.get("from", ()))
    top_defects = [type(d).__name__ for d in getattr(message, "defects", ())]
    return InboundMail(
        message_id=_first_id(headers.get("message-id", ())),
        subject=headers.get("subject", ("",))[0],
        from_addr=sender.addr,
        from_name=sender.name,
        date=_date(headers.get("date", ())),
        in_reply_to=_ids(headers.get("in-reply-to", ())),
        references=_ids(headers.get("references", ())),
        reply_to=parse_address_list(raw.get("reply-to", ())),
        reply_to_name=first_named(raw.get("reply-to", ()))[0],
        to=parse_address_list(raw.get("to", ())),
        cc=parse_address_list(raw.get("cc", ())),
        delivered_to=parse_address_list(raw.get("delivered-to", ()) + raw.get("x-original-to", ())),
        sender=next(iter(parse_address_list(raw.get("sender", ()))), None),
        text=text,
        html=html,
        attachments=tuple(body.attachments),
        authentication_results=headers.get("authentication-results", ()),
        received_spf=headers.get("received-spf", ()),
        dkim_signatures=len(headers.get("dkim-signature", ())),
        loop=_loop_headers(headers),
        content_type=mime_report.content_type(message),
        report=body.report,
        headers=headers,
        defects=tuple(dict.fromkeys([*top_defects, *defects, *sender.defects])),
        size=size,
        truncated=truncated,
        from_recovered=sender.recovered,
        from_problem=sender.problem,
        from_name_suspect=sender.suspect_name,
        report_type=body.report_type,
        part_defects=tuple(body.part_defects),
        broken=body.broken,
    )


def _raw_headers(message: Message) -> dict[str, tuple[str, ...]]:
    """Every header's raw value (encoded words still encoded; 8-bit bytes as surrogate escapes)."""
    found: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        found.setdefault(repair(name).strip().lower(), []).append(str(value))
    return {k: tuple(v) for k, v in found.items()}


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
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):  # year 1 at +14:00 overflows
        return None


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


def _html_text(html: str, body: _Body) -> str:
    try:
        return html_to_text(html)
    except Exception as exc:  # noqa: BLE001 - broken HTML still has words in it
        body.defects.append(f"HtmlToTextFailed:{type(exc).__name__}")
        return " ".join(_TAG.sub(" ", html).split())


# --- the walk ---------------------------------------------------------------------------------


def _walk(part: Message, body: _Body, where: _Where) -> None:
    """Read `part` and its children (paths like IMAP's: "0" is the whole message, "1.2" the
    second child of the first)."""
    body.parts += 1
    if body.parts > _MAX_PARTS or where.depth > _MAX_DEPTH:
        body.broken = body.broken or (TOO_MANY_PARTS if body.parts > _MAX_PARTS else TOO_DEEP)
        return
    content_type = mime_report.content_type(part)
    if content_type in mime_report.REPORT_PARTS:  # a report's machine part: data, not text
        if not where.attached:
            body.report_type = body.report_type or mime_report.BLOCK_TYPES.get(content_type)
        body.note(where.path, content_type, _defects(part))
        return
    if part.is_multipart():
        _container(part, content_type, body, where)
        return
    try:
        _leaf(part, content_type, body, where)
    except Exception as exc:  # noqa: BLE001 - one unreadable part must not cost the rest of the mail
        defects = [*_defects(part), f"PartFailed:{type(exc).__name__}"]
        body.note(where.path, content_type, defects)
        body.attachments.append(
            AttachmentInfo(position=len(body.attachments), content_type=content_type[:200], size=0,
                           refused_reason="unreadable", damaged=True, defects=tuple(defects))
        )  # fmt: skip


def _container(part: Message, content_type: str, body: _Body, where: _Where) -> None:
    defects = _defects(part)
    body.note(where.path, content_type, defects)
    if not where.attached:
        if content_type == "multipart/report":
            body.report_type = body.report_type or mime_report.report_type(part)
        if body.report is None and mime_report.has_status_block(part):
            body.report = mime_report.delivery_report(part)
    children = mime_report.children(part)
    cut = where.cut or CloseBoundaryNotFoundDefect.__name__ in defects
    attached = where.attached or content_type in _ATTACHED_MAIL
    for index, child in enumerate(children, 1):
        path = str(index) if where.path == "0" else f"{where.path}.{index}"
        last = index == len(children)
        _walk(child, body, _Where(path, where.depth + 1, cut and last, attached))


def _leaf(part: Message, content_type: str, body: _Body, where: _Where) -> None:
    cut = [CUT_SHORT] if where.cut else []
    if _is_body_text(part, content_type):
        text = decode_text(_decoded(part), _charset(part))  # decoding adds base64 defects to part
        (body.html if content_type == "text/html" else body.plain).append(text)
        body.note(where.path, content_type, [*_defects(part), *cut])
        return
    if content_type.startswith("multipart/"):  # a multipart without parts: broken MIME, read as text
        body.plain.append(decode_text(raw_payload_bytes(part), _charset(part)))
        body.note(where.path, content_type, [*_defects(part), *cut])
        return
    info = _attachment(part, content_type, len(body.attachments), body, cut)
    body.note(where.path, content_type, list(info.defects))
    body.attachments.append(info)


def _defects(part: Message) -> list[str]:
    return [type(d).__name__ for d in getattr(part, "defects", ())]


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


def _header(part: Message, name: str) -> str | None:
    try:
        value = part.get(name)
    except Exception:  # noqa: BLE001
        return None
    return header_text(value) if value is not None else None


def _attachment(
    part: Message, content_type: str, position: int, body: _Body, cut: list[str]
) -> AttachmentInfo:
    content_id = _header(part, "Content-ID")
    disposition = _disposition(part)
    info = AttachmentInfo(
        position=position,
        content_type=content_type,
        size=0,
        original_name=_filename(part),
        inline=disposition == "inline" or (content_id is not None and disposition is None),
        content_id=content_id.strip("<>")[:300] if content_id else None,
        damaged=bool(cut),
        defects=(*_defects(part), *cut),
    )
    if body.store is None:
        return _refused(info, part, None)
    writer = body.store.writer(suffix=_extension(content_type))
    try:
        _, found = stream_payload(part, writer.write, body.limits.max_attachment_bytes)
    except TooLargeError:
        writer.abort()
        return _refused(info, part, "too_large")
    except BaseException:
        writer.abort()
        raise
    blob = writer.commit()
    defects = (*info.defects, *found)
    return AttachmentInfo(
        position=info.position,
        content_type=info.content_type,
        size=blob.size,
        original_name=info.original_name,
        stored_path=str(blob.path),
        sha256=blob.sha256,
        inline=info.inline,
        content_id=info.content_id,
        damaged=info.damaged or any(d in DAMAGING for d in defects),
        defects=tuple(dict.fromkeys(defects)),
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
        damaged=info.damaged,
        defects=info.defects,
    )


def _extension(content_type: str) -> str:
    guessed = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return guessed if _SAFE_EXT.match(guessed) else ".bin"
