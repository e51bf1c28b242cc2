"""The server copy of a message released from quarantine leaves the quarantine folder.

The poller moved the message into `Karantina` when it was quarantined. Once `quarantine retry`
has processed it, that copy would keep telling whoever looks at the folder in a mail client that
the message is still set aside. It is found again by Message-ID (its UID changed with the move)
and identified exactly by the SHA-256 of its bytes, so another message that reuses the
Message-ID is left alone; then it is marked the way the mailbox marks processed mail.
"""

from __future__ import annotations

import hashlib
import logging

from mailflow.adapters.imap import ImapConnection
from mailflow.config.model import MailboxSection
from mailflow.services.ingest.poller import PROCESSED_KEYWORD

log = logging.getLogger("mailflow.quarantine")


def release_server_copy(conn: ImapConnection, mailbox: MailboxSection, message_id: str, sha256: str) -> int:
    """Move the copies of the message (`message_id` header, `sha256` of the raw bytes) out of the
    quarantine folder; returns how many were moved (0 when none is there any more)."""
    if not conn.has_folder(mailbox.quarantine_folder):
        return 0
    conn.select(mailbox.quarantine_folder)
    candidates = conn.search_header("Message-ID", message_id.strip())
    same = [f.uid for f in conn.fetch(candidates) if hashlib.sha256(f.raw).hexdigest() == sha256]
    if not same:
        return 0
    if mailbox.mark_processed == "move":
        conn.ensure_folder(mailbox.processed_folder)
        conn.move(same, mailbox.processed_folder)
    else:
        # The keyword travels with the message, so the poller skips it back in the source folder.
        conn.add_keyword(same, PROCESSED_KEYWORD)
        conn.move(same, mailbox.folder)
    log.info("%s: %d released message(s) moved out of %s", mailbox.name, len(same), mailbox.quarantine_folder)
    return len(same)
