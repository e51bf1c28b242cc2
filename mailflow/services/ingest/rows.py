"""What ingest keeps about messages besides processing them: which statuses are final, the
earlier rows a batch's mails may repeat, the parser's defects and the header facts of a row."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Message
from mailflow.adapters.mime_parse import parse_header_only, split_header
from mailflow.domain.inbound import InboundMail

log = logging.getLogger("mailflow.ingest")
FINAL = ("processed", "ignored", "duplicate", "unhandled", "quarantined")
DEFECTS_LIMIT = 8000  # characters of the JSON kept in messages.defects


@dataclass(frozen=True)
class Earlier:
    """A final row an incoming mail may be a copy of."""

    id: int
    message_id: str | None
    case_id: int | None
    rule: str | None


class EarlierMails:
    """What IngestService._duplicate_of asks per message, asked once for a batch: the final rows
    of the account with the same bytes (SHA-256) as one of the batch's rows. Rows of the batch
    join as they are processed, as they would be found by the query in the same transaction."""

    def __init__(self, session: Session, rows: Sequence[Message]) -> None:
        self._by_sha: dict[str, list[Earlier]] = {}
        if not rows:
            return
        query = select(Message.id, Message.sha256, Message.message_id, Message.case_id, Message.rule).where(
            Message.account == rows[0].account,
            Message.sha256.in_({row.sha256 for row in rows}),
            Message.status.in_(FINAL),
        )
        for row_id, sha256, message_id, case_id, rule in session.execute(query):
            self._by_sha.setdefault(sha256, []).append(Earlier(row_id, message_id, case_id, rule))

    def original_of(self, row: Message) -> Earlier | None:
        """The earliest final row (lowest id) other than `row` with its bytes and Message-ID."""
        found = [
            earlier
            for earlier in self._by_sha.get(row.sha256, ())
            if earlier.id != row.id and (row.message_id is None or earlier.message_id == row.message_id)
        ]
        return min(found, key=lambda earlier: earlier.id) if found else None

    def add(self, row: Message) -> None:
        """`row` was processed in this transaction: later rows of the batch may repeat it."""
        if row.status in FINAL:
            self._by_sha.setdefault(row.sha256, []).append(
                Earlier(row.id, row.message_id, row.case_id, row.rule)
            )


def defects_json(mail: InboundMail) -> str | None:
    """The parser's defects for messages.defects: the whole list and where each part had which."""
    if not mail.defects:
        return None
    defects = list(mail.defects)[:200]
    parts = [{"part": p.path, "type": p.content_type, "defects": list(p.defects)} for p in mail.part_defects]
    text = json.dumps({"defects": defects, "parts": parts}, ensure_ascii=False)
    while len(text) > DEFECTS_LIMIT and parts:  # a mail of hundreds of broken parts: keep the first
        parts = parts[: len(parts) // 2]
        text = json.dumps({"defects": defects, "parts": parts}, ensure_ascii=False)
    return text if len(text) <= DEFECTS_LIMIT else json.dumps({"defects": defects[:20], "parts": []})


def header_facts(raw: bytes) -> InboundMail:
    """Sender, subject and Message-ID for the quarantine list, from the header alone: the body is
    what may have killed the process."""
    try:
        return parse_header_only(split_header(raw), size=len(raw))
    except Exception:  # a header too broken to read still gets its row
        log.warning("cannot read the header of a crashed-on message", exc_info=True)
        return InboundMail(message_id=None, subject="", from_addr=None, from_name=None, size=len(raw))
