"""Machine reports inside a MIME message: what kind (RFC 6522 multipart/report and its blocks) and,
for a delivery status notification (RFC 3464), what it says.

Only the report's own parts are read (RFC 6522: human-readable part, machine-readable block,
returned message or headers), never by walking the whole tree: a hostile report may nest deep.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser

from mailflow.adapters.mime_decode import decode_text, header_text, raw_payload_bytes
from mailflow.adapters.mime_policy import DEFAULT
from mailflow.domain.inbound import DeliveryReport

_PARSER = BytesParser(policy=DEFAULT)
_MSGID = re.compile(r"<[^<>\s]{1,990}>")
_MAX_BLOCKS = 200

DELIVERY_STATUS = "delivery-status"
DISPOSITION = "disposition-notification"
# the machine-readable blocks and what each says the mail is (RFC 3464, 6533, 8098, 5965)
BLOCK_TYPES = {
    "message/delivery-status": DELIVERY_STATUS,
    "message/global-delivery-status": DELIVERY_STATUS,
    "message/disposition-notification": DISPOSITION,
    "message/global-disposition-notification": DISPOSITION,
    "message/feedback-report": "feedback-report",
}
# parts of a report that are neither body text nor attachments
REPORT_PARTS = frozenset(
    {*BLOCK_TYPES, "text/rfc822-headers", "message/rfc822-headers", "message/global-headers"}
)
_RETURNED = ("message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers",
             "message/global-headers")  # fmt: skip


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001 - a mangled Content-Type is plain text, as RFC 2045 says
        return "text/plain"


def report_type(part: Message) -> str:
    """The report-type parameter of a multipart/report, lower-case ("unknown" when absent)."""
    try:
        value = part.get_param("report-type", "")
    except Exception:  # noqa: BLE001
        value = ""
    text = header_text(value if isinstance(value, str) else "").strip().strip('"').lower()
    return text[:60] or "unknown"


def children(part: Message) -> list[Message]:
    payload = part.get_payload() if part.is_multipart() else None
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return []


def has_status_block(part: Message) -> bool:
    return any(BLOCK_TYPES.get(content_type(c)) == DELIVERY_STATUS for c in children(part))


def delivery_report(part: Message) -> DeliveryReport:
    """What the delivery-status block(s) among `part`'s children say."""
    recipients: list[str] = []
    ids: list[str] = []
    actions: list[str] = []
    status = diagnostic = None
    for child in children(part):
        kind = content_type(child)
        if BLOCK_TYPES.get(kind) == DELIVERY_STATUS:
            for block in _status_blocks(child):
                final = _opt(block, "Final-Recipient")
                if final:
                    recipients.append(final.split(";")[-1].strip().lower()[:320])
                action = _opt(block, "Action")
                if action:
                    actions.append(action.strip().lower()[:40])
                status = status or _opt(block, "Status")
                diagnostic = diagnostic or _opt(block, "Diagnostic-Code")
        elif kind in _RETURNED:
            ids.extend(_returned_ids(child))
    action = "failed" if "failed" in actions else (actions[0] if actions else None)
    return DeliveryReport(
        original_message_ids=tuple(dict.fromkeys(ids)),
        final_recipients=tuple(dict.fromkeys(recipients)),
        action=action,
        status=status[:100] if status else None,
        diagnostic=diagnostic[:2000] if diagnostic else None,
    )


def _status_blocks(part: Message) -> list[Message]:
    blocks = children(part)
    if blocks:
        return blocks[:_MAX_BLOCKS]
    text = decode_text(raw_payload_bytes(part), None)
    return [
        _PARSER.parsebytes(block.encode("utf-8", errors="replace"), headersonly=True)
        for block in re.split(r"\n\s*\n", text)[:_MAX_BLOCKS]
    ]


def _opt(block: Message, name: str) -> str | None:
    try:
        value = block.get(name)
    except Exception:  # noqa: BLE001
        return None
    return header_text(value) if value is not None else None


def _returned_ids(part: Message) -> list[str]:
    inner = children(part)
    if inner:
        return _ids(_opt(inner[0], "Message-ID"))
    text = decode_text(raw_payload_bytes(part), None)
    header = _PARSER.parsebytes(text.encode("utf-8", errors="replace"), headersonly=True)
    return _ids(_opt(header, "Message-ID"))


def _ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")
