"""Grouped action mails: one mail per directory person per `sending.group_minutes` (domain/pacing).

The sender asks `pace` about an action mail it has claimed, inside the transaction that holds
the row (and, through the sender's claim, the address: one sender at a time per address):

- inside the window after the last action or grouped mail to that person (or while a grouped
  mail made for them waits to go), the mail waits for the window's end: `WAIT`, no attempt;
- when the window is open and other action mails to the person are due too, they are bundled:
  one `group` mail is queued through the outbox (its own dedup key, its Message-ID fixed now)
  and the bundled rows become `grouped`, all in that one transaction, so a crash either leaves
  every row as it was or the group queued and its rows marked: never both, never neither;
- otherwise the mail goes out on its own.

Each section of the grouped mail is what the action mail would have shown (outbox.group_section),
with that case's own commands: its one-click links and its written reply address carry the
case's token, so acting on one case from the grouped mail works as from its own mail. The
grouped mail's Reply-To is the plain reply address and its Message-ID carries no token: a reply
to the grouped mail itself names no case and is answered with an explanation (conversation.replies).

Only rows never handed to SMTP are bundled: queued ones, and ones this sender claimed afresh in
this pass. A row taken over from an expired or dead lease may have been delivered just before
its sender died; it goes out alone as before, with its own Message-ID, so at worst the same mail
arrives twice, never the same case in two different mails.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mail_templates import MailTemplates
from mailflow.config.model import Settings
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.domain.outgoing import split_addresses
from mailflow.domain.pacing import ACTION_PREFIX, GROUP_KIND, next_window
from mailflow.domain.statuses import OutboxStatus
from mailflow.services.outbound.outbox import queue, resolve_attachments

log = logging.getLogger("mailflow.sender")
MAX_SECTIONS = 200  # one grouped mail lists at most this many cases; the rest go in the next


class Paced(Enum):
    ALONE = "alone"  # send the mail as it is
    WAIT = "wait"  # inside the window: put back until it ends
    GROUPED = "grouped"  # bundled into a grouped mail just queued


@dataclass(frozen=True)
class GroupBuilder:
    settings: Settings
    templates: MailTemplates

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.settings.sending.group_minutes)

    def pace(
        self,
        session: Session,
        row: OutboxMail,
        now: datetime,
        *,
        owner: str,
        fresh: Collection[int],
    ) -> Paced:
        """What to do with the claimed action mail `row` now. `fresh`: the rows this sender
        claimed from `queued` in this pass (never handed to SMTP)."""
        opens = next_window(
            self._last_sent(session, row.to_addr, now), self._pending_since(session, row), self.window
        )
        if opens is not None and now < opens:
            row.status, row.lease_owner, row.lease_until = OutboxStatus.QUEUED, None, None
            row.next_attempt_at = opens
            return Paced.WAIT
        if row.id not in fresh or row.group_section is None or resolve_attachments(session, row) is None:
            return Paced.ALONE  # possibly delivered already, or a letter on its way: as before
        others = [
            other
            for other in self._due(session, row, now, owner=owner, fresh=fresh)
            if other.group_section is not None and resolve_attachments(session, other) is not None
        ]
        if not others:
            return Paced.ALONE
        self._bundle(session, [row, *others][:MAX_SECTIONS], now)
        return Paced.GROUPED

    # --- the rows ---------------------------------------------------------------------------

    def _last_sent(self, session: Session, address: str, now: datetime) -> datetime | None:
        """The last action or grouped mail sent to `address` within the window (an older one does
        not matter)."""
        return session.execute(
            select(func.max(OutboxMail.sent_at)).where(
                OutboxMail.to_addr == address,
                OutboxMail.status == OutboxStatus.SENT,
                OutboxMail.sent_at >= now - self.window,
                (OutboxMail.kind == GROUP_KIND) | OutboxMail.kind.startswith(ACTION_PREFIX),
            )
        ).scalar_one()

    def _pending_since(self, session: Session, row: OutboxMail) -> datetime | None:
        """When a grouped mail to the same person that has not gone yet was made."""
        return session.execute(
            select(func.min(OutboxMail.created_at)).where(
                OutboxMail.to_addr == row.to_addr,
                OutboxMail.kind == GROUP_KIND,
                OutboxMail.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING)),
            )
        ).scalar_one()

    def _due(
        self, session: Session, row: OutboxMail, now: datetime, *, owner: str, fresh: Collection[int]
    ) -> list[OutboxMail]:
        """The other action mails to the same person that may go now, locked, oldest first."""
        queued = (OutboxMail.status == OutboxStatus.QUEUED) & (OutboxMail.next_attempt_at <= now)
        ours = (
            (OutboxMail.status == OutboxStatus.SENDING)
            & (OutboxMail.lease_owner == owner)
            & OutboxMail.id.in_(list(fresh))
        )
        return list(
            session.execute(
                select(OutboxMail)
                .where(
                    OutboxMail.to_addr == row.to_addr,
                    OutboxMail.id != row.id,
                    OutboxMail.kind.startswith(ACTION_PREFIX),
                    queued | ours,
                )
                .order_by(OutboxMail.id)
                .limit(MAX_SECTIONS)
                .with_for_update()
            ).scalars()
        )

    # --- the grouped mail -------------------------------------------------------------------

    def _bundle(self, session: Session, members: list[OutboxMail], now: datetime) -> OutboxMail:
        first = members[0]
        lang = first.language
        sections = [_section(member) for member in members]
        context = {
            "instance_name": self.settings.general.instance_name,
            "recipient": sections[0].get("recipient") or first.to_name or first.to_addr,
            "count": len(sections),
            "sections": sections,
            "minutes": _minutes(self.settings.sending.group_minutes),
        }
        text, html = self.templates.render_mail("group", lang, context)
        subject = self.templates.render_subject("group", lang, context) or self.settings.general.instance_name
        cc = [a for m in members for a in split_addresses(m.cc_addrs) if a != first.to_addr]
        group = queue(
            session,
            OutgoingMail(
                kind=GROUP_KIND,
                to_addr=first.to_addr,
                to_name=first.to_name,
                cc=tuple(dict.fromkeys(cc)),
                subject=subject,
                text=text,
                html=html,
                reply_to=str(self.settings.tokens.reply_address),
                headers={"X-Mailflow-Group": str(len(members))},
                attachments=tuple(ref for m in members for ref in _attachment_refs(m)),
                dedup_key=f"group:{first.to_addr}:{first.id}",
                language=lang,
            ),
            now=now,
            domain=str(self.settings.smtp.from_address).rsplit("@", 1)[1],
        )
        for member in members:
            member.status, member.lease_owner, member.lease_until = OutboxStatus.GROUPED, None, None
            member.last_error = f"in group outbox {group.id}"
        log.info("%d action mails to %s grouped into outbox %s", len(members), first.to_addr, group.id)
        return group


def _section(member: OutboxMail) -> dict[str, Any]:
    section: dict[str, Any] = json.loads(member.group_section or "{}")
    section.setdefault("subject", member.subject)
    section.setdefault("reply_address", member.reply_to)
    return section


def _attachment_refs(member: OutboxMail) -> list[AttachmentRef]:
    return [
        AttachmentRef(
            document_id=a.document_id,
            variant=a.variant if a.document_id is not None else "file",
            path=a.path if a.document_id is None else None,
            filename=a.filename,
            content_type=a.content_type,
        )
        for a in member.attachments
        if not a.inline_cid and (a.document_id is not None or a.path is not None)
    ]


def _minutes(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
