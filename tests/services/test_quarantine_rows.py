"""A mail whose refused PDFs already have quarantine rows of their own can still be quarantined."""

from __future__ import annotations

from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Message, QuarantineItem
from mailflow.clock import ManualClock
from mailflow.services.ingest.quarantine import quarantine_message


def test_a_mail_with_two_refused_files_gets_one_message_row(database: Database, clock: ManualClock) -> None:
    now = clock.now()
    with database.transaction() as session:
        message = Message(
            account="diskominfo", folder="INBOX", uidvalidity=1, uid=7, sha256="0" * 64, raw_path="x.eml",
            size=10, received_at=now, status="received", attempts=1, server_state="pending",
        )  # fmt: skip
        session.add(message)
        session.flush()
        for name in ("a.pdf", "b.pdf"):
            session.add(
                QuarantineItem(kind="file", message_id=message.id, path=name, reason_code="unsigned",
                               reason="tidak bertanda tangan", created_at=now, retries=0)
            )  # fmt: skip
        session.flush()
        quarantine_message(session, message, code="unsigned", reason="surat ditolak", now=now)
        quarantine_message(session, message, code="unsigned", reason="surat ditolak lagi", now=now)
        rows = session.execute(
            select(QuarantineItem).where(QuarantineItem.message_id == message.id)
        ).scalars()
        kinds = sorted(row.kind for row in rows)
    assert kinds == ["file", "file", "message"]
