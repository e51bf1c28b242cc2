"""An incoming mail as the rest of mailflow sees it: parsed once, plain values, no MIME objects.

`mailflow.adapters.mime_parse.parse_message` builds it from raw bytes; the domain (noise guard,
rules, complaint extraction) and the conversation engine read it. Addresses are lower-cased
`local@domain` strings; names and subjects are decoded text; every header value that a later
decision may need (authentication results, loop-guard headers) is kept as a string.

Trust (what the parser guarantees, see adapters/mime_address):
- every address here is a valid plain addr-spec (domain.addresses); invalid ones are dropped;
- `from_addr` is None when the mail has no usable From (`from_problem` says why: missing, empty,
  group_only, invalid, several, conflicting, undecodable, too_long); such mail is quarantined;
- `from_recovered` marks a From read out of a header without angle brackets (`Big Bug bb@bug.com`):
  the address may receive a complaint's acknowledgement, but it is not proof of anything, so an
  official's identity must be read from `identity`, which is None then;
- `from_name` is plain text safe to show and use as a name; a display name holding an address,
  `<`, `>`, `@` or control/bidi characters is never put there, only escaped in `from_name_suspect`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class AttachmentInfo:
    """One attachment (or inline part) of an incoming mail.

    `stored_path` is None when the part was refused (too big); `original_name` is the sender's
    file name, kept as data only (files on disk get generated names).
    """

    position: int
    content_type: str
    size: int
    original_name: str | None = None
    stored_path: str | None = None
    sha256: str | None = None
    inline: bool = False
    content_id: str | None = None
    refused_reason: str | None = None
    # Cut short or corrupt (closing boundary missing, base64 cut or invalid): the bytes that could
    # be read are stored, but the file is not complete and must never be used as if it were.
    damaged: bool = False
    defects: tuple[str, ...] = ()  # this part's MIME defects (stdlib names and mailflow's own)

    @property
    def extension(self) -> str:
        """The sender's extension, lower-case without dot ("" when none): data for rules only."""
        name = self.original_name or ""
        if "." not in name:
            return ""
        return name.rsplit(".", 1)[1].strip().lower()[:16]


@dataclass(frozen=True)
class LoopHeaders:
    """The headers that tell automatic mail from a person's mail (RFC 3834 and practice)."""

    auto_submitted: str | None = None
    precedence: str | None = None
    x_autoreply: str | None = None
    x_autorespond: str | None = None
    x_auto_response_suppress: str | None = None
    list_id: str | None = None
    list_unsubscribe: str | None = None
    feedback_id: str | None = None
    return_path: str | None = None  # None: header absent; "": empty (<>), the bounce sender
    x_failed_recipients: str | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """What a DSN (multipart/report; report-type=delivery-status) says, when the mail is one."""

    original_message_ids: tuple[str, ...] = ()
    final_recipients: tuple[str, ...] = ()
    action: str | None = None  # failed / delayed / delivered / relayed / expanded
    status: str | None = None  # e.g. 5.1.1
    diagnostic: str | None = None


@dataclass(frozen=True)
class PartDefects:
    """The MIME defects of one part; `path` numbers parts like IMAP does ("1", "2.1")."""

    path: str
    content_type: str
    defects: tuple[str, ...]


@dataclass(frozen=True)
class InboundMail:
    """A parsed incoming message. `text` is the best plain text (from text/plain, else from HTML)."""

    message_id: str | None
    subject: str
    from_addr: str | None
    from_name: str | None
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    reply_to_name: str | None = None  # the first Reply-To's display name, when it is plain text
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()
    sender: str | None = None
    text: str = ""
    html: str | None = None
    attachments: tuple[AttachmentInfo, ...] = ()
    authentication_results: tuple[str, ...] = ()
    received_spf: tuple[str, ...] = ()
    dkim_signatures: int = 0
    loop: LoopHeaders = field(default_factory=LoopHeaders)
    content_type: str = "text/plain"
    report: DeliveryReport | None = None
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defects: tuple[str, ...] = ()
    size: int = 0
    truncated: bool = False  # only the header was kept (the message was over the size limit)
    from_recovered: bool = False
    from_problem: str | None = None
    from_name_suspect: str | None = None
    # multipart/report's report-type (lower-case), or what the structure says the mail is:
    # "disposition-notification" (read receipt), "delivery-status", "feedback-report", "tlsrpt"...
    report_type: str | None = None
    part_defects: tuple[PartDefects, ...] = ()
    # Why the body could not be read whole (MIME nested or split past the limits, or the parser
    # gave up); the header was read. Such mail is quarantined, never acted on half-read.
    broken: str | None = None

    @property
    def recipients(self) -> tuple[str, ...]:
        """To, Cc and Delivered-To addresses, each once, in that order."""
        seen: dict[str, None] = {}
        for address in (*self.to, *self.cc, *self.delivered_to):
            seen.setdefault(address, None)
        return tuple(seen)

    def header(self, name: str) -> tuple[str, ...]:
        """Every value of header `name` (case-insensitive), in order."""
        return self.headers.get(name.lower(), ())

    @property
    def identity(self) -> str | None:
        """The sender's address as far as the header goes: `from_addr` unless it was recovered
        from a malformed From. Authorisation needs more (tokens, authentication results)."""
        return None if self.from_recovered else self.from_addr

    @property
    def damaged_attachments(self) -> tuple[AttachmentInfo, ...]:
        return tuple(a for a in self.attachments if a.damaged)

    @property
    def from_display(self) -> str:
        if self.from_name and self.from_addr:
            return f"{self.from_name} <{self.from_addr}>"
        return self.from_addr or self.from_name or ""
