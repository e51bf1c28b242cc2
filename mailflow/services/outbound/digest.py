"""Digests of held mails: when an address reached its daily limit, the mails after that were
`held`; the first send pass after local midnight bundles each address's held mails into one
`digest` mail (their texts, subjects, reply addresses and attachments) and marks them
`digested`. The digest is queued through the outbox like any mail, idempotently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mail_templates import MailTemplates
from mailflow.config.model import Settings
from mailflow.domain.calendar import format_date, format_local
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.services.outbound.outbox import queue

log = logging.getLogger("mailflow.sender")


@dataclass(frozen=True)
class DigestBuilder:
    settings: Settings
    templates: MailTemplates
    zone: ZoneInfo

    def bundle_held(self, database: Database, now: datetime, day_start: datetime) -> int:
        """Queue one digest per address whose mails were held before `day_start`; returns how many."""
        with database.reader() as session:
            addresses = list(
                session.execute(
                    select(OutboxMail.to_addr)
                    .where(OutboxMail.status == "held", OutboxMail.next_attempt_at < day_start)
                    .distinct()
                ).scalars()
            )
        for address in addresses:
            self._bundle(database, address, now, day_start)
        return len(addresses)

    def _bundle(self, database: Database, address: str, now: datetime, day_start: datetime) -> None:
        lang = self.settings.general.language
        with database.transaction() as session:
            held = list(
                session.execute(
                    select(OutboxMail)
                    .where(
                        OutboxMail.to_addr == address,
                        OutboxMail.status == "held",
                        OutboxMail.next_attempt_at < day_start,
                    )
                    .order_by(OutboxMail.id)
                    .with_for_update()
                ).scalars()
            )
            if not held:
                return
            first_day = min(m.next_attempt_at for m in held).astimezone(self.zone).date()
            context = {
                "instance_name": self.settings.general.instance_name,
                "to_name": held[0].to_name,
                "limit": self.settings.limits.max_mails_per_address_per_day,
                "day": format_date(first_day, lang),
                "mails": [
                    {
                        "subject": m.subject,
                        "created": format_local(
                            m.created_at, self.zone, lang, self.settings.general.zone_label
                        ),
                        "reply_to": m.reply_to,
                        "text": m.text_body.strip(),
                    }
                    for m in held
                ],
            }
            text, html = self.templates.render_mail("digest", lang, context)
            subject = (
                self.templates.render_subject("digest", lang, context) or self.settings.general.instance_name
            )
            attachments = tuple(
                AttachmentRef(
                    document_id=a.document_id,
                    variant=a.variant if a.document_id is not None else "file",
                    path=a.path if a.document_id is None else None,
                    filename=a.filename,
                    content_type=a.content_type,
                )
                for m in held
                for a in m.attachments
                if not a.inline_cid and (a.document_id is not None or a.path is not None)
            )
            digest = queue(
                session,
                OutgoingMail(
                    kind="digest",
                    to_addr=address,
                    to_name=held[0].to_name,
                    subject=subject,
                    text=text,
                    html=html,
                    headers={"Auto-Submitted": "auto-generated"},
                    attachments=attachments,
                    dedup_key=f"digest:{address}:{held[0].id}",
                    language=lang,
                ),
                now=now,
                domain=str(self.settings.smtp.from_address).rsplit("@", 1)[1],
            )
            for mail in held:
                mail.status = "digested"
                mail.last_error = f"in digest outbox {digest.id}"
        log.info("digest of %d held mails queued for %s", len(held), address)
